/* policy_json.c — a JSON policy file (mb_wv_policy_parse_json): one strict scanner
 * that both checks the text and decodes the strings the options take.
 *
 * The scanner runs twice. The first pass checks the whole text and allocates nothing, so
 * a syntax error anywhere wins over a value error before it, and names the first wrong
 * byte as FILE:LINE:COLUMN with what was expected there. The second pass walks the
 * checked text again: the top-level object's keys in order, each value decoded into one
 * scratch buffer and handed to the option it names (policy_opts.c), into a delta that is
 * merged into the policy only when the whole file was read.
 *
 * Why not a JSON library: cJSON (used before) gives an error offset only near the fault
 * (one byte past a bad string, past whitespace) and no word of what was expected, and its
 * strings end at a NUL, so a NUL byte or \u0000 would silently cut a value short. A
 * scanner was needed for the messages anyway; decoding on top of it is a few lines, and
 * no process-wide allocator hooks are touched. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "policy_internal.h"

typedef mb__policy_opt opt;
typedef mb__policy_delta delta;

#define fail mb__policy_fail

static void line_col(const char *text, size_t off, unsigned long *line, unsigned long *col) {
  *line = 1;
  *col = 1;
  for (size_t i = 0; i < off; i++) {
    if (text[i] == '\n') {
      ++*line;
      *col = 1;
    } else {
      ++*col;
    }
  }
}

static mb_wv_err syntax(mb_wv_diag *d, const char *file, const char *text,
                        size_t off, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static mb_wv_err syntax(mb_wv_diag *d, const char *file, const char *text,
                        size_t off, const char *fmt, ...) {
  unsigned long line, col;
  line_col(text, off, &line, &col);
  d->code = MB_WV_ERR_SYNTAX;
  snprintf(d->where, sizeof d->where, "%s:%lu:%lu", file, line, col);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(d->message, sizeof d->message, fmt, ap);
  va_end(ap);
  return MB_WV_ERR_SYNTAX;
}

/* A character for a message: 'x', or "byte 0xNN" when it is not printable. */
static const char *show(unsigned char c, char buf[16]) {
  if (c >= 0x20 && c < 0x7f)
    snprintf(buf, 16, "'%c'", c);
  else
    snprintf(buf, 16, "byte 0x%02x", c);
  return buf;
}

static bool json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* The type of the (checked) value that begins with c. */
static const char *json_type(char c) {
  switch (c) {
  case '"': return "a string";
  case 't': case 'f': return "a boolean";
  case 'n': return "null";
  case '[': return "an array";
  case '{': return "an object";
  default: return "a number";
  }
}

/* ---- the scanner ----
 *
 * Strict RFC 8259, nesting bounded, no NUL in strings. On failure it sets the offset and
 * a message ("expected ':' after the key"), to which the caller adds what was found
 * there. */
enum { JSON_DEPTH_MAX = 64 };

/* Numbers are never policy values, but their length is bounded as it was when cJSON
 * read them (it reads at most 63 bytes of one), so that the same files are accepted. */
enum { JSON_NUMBER_MAX = 63 };

typedef struct jscan {
  const char *s;
  size_t len, pos;
  const char *msg; /* NULL until a fault */
  bool found;      /* add "got X" (the byte at pos, or the end) to msg */
} jscan;

static bool js_fail(jscan *j, size_t pos, bool found, const char *msg) {
  j->pos = pos;
  j->msg = msg;
  j->found = found;
  return false;
}

static void js_space(jscan *j) {
  while (j->pos < j->len && json_space(j->s[j->pos])) j->pos++;
}

static int js_hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* The four hex digits at p (p[0..3] readable) as a number, or -1. */
static long js_hex4(const char *p) {
  long u = 0;
  for (int i = 0; i < 4; i++) {
    int h = js_hex(p[i]);
    if (h < 0) return -1;
    u = u * 16 + h;
  }
  return u;
}

/* Code point cp (at most 0x10FFFF) as UTF-8 at o; returns the end. */
static char *utf8(char *o, unsigned long cp) {
  if (cp < 0x80) {
    *o++ = (char)cp;
  } else if (cp < 0x800) {
    *o++ = (char)(0xC0 | (cp >> 6));
    *o++ = (char)(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *o++ = (char)(0xE0 | (cp >> 12));
    *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
    *o++ = (char)(0x80 | (cp & 0x3F));
  } else {
    *o++ = (char)(0xF0 | (cp >> 18));
    *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
    *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
    *o++ = (char)(0x80 | (cp & 0x3F));
  }
  return o;
}

/* The string at pos (its opening quote). With out non-NULL, its value is written there,
 * NUL-terminated: never longer than the string's text less one byte, since every escape
 * is at least as long as what it stands for and the two quotes make room for the NUL. */
static bool js_string(jscan *j, char *out) {
  size_t start = j->pos++;
  char *o = out;
  while (j->pos < j->len) {
    unsigned char c = (unsigned char)j->s[j->pos];
    if (c == '"') {
      j->pos++;
      if (o) *o = '\0';
      return true;
    }
    if (c == '\0') return js_fail(j, j->pos, false, "a NUL byte; a policy is JSON text");
    if (c < 0x20)
      return js_fail(j, j->pos, true,
                     "a control character in a string (write it as an escape such as \\n)");
    if (c != '\\') {
      if (o) *o++ = (char)c;
      j->pos++;
      continue;
    }
    if (j->pos + 1 >= j->len) break;
    char e = j->s[j->pos + 1];
    if (e == 'u') {
      long u = j->len - j->pos < 6 ? -1 : js_hex4(j->s + j->pos + 2);
      if (u < 0) return js_fail(j, j->pos, false, "a \\u escape without four hex digits");
      if (u == 0)
        return js_fail(j, j->pos, false, "a \\u0000 escape; policy strings cannot hold NUL");
      /* UTF-16 surrogates come in pairs (a lone one is no character) */
      if (u >= 0xDC00 && u <= 0xDFFF)
        return js_fail(j, j->pos, false,
                       "a \\u escape of a low surrogate without a high one before it");
      unsigned long cp = (unsigned long)u;
      if (u >= 0xD800 && u <= 0xDBFF) {
        const char *n = j->s + j->pos + 6;
        size_t left = j->len - j->pos - 6;
        long lo = left >= 6 && n[0] == '\\' && n[1] == 'u' ? js_hex4(n + 2) : -1;
        if (lo < 0xDC00 || lo > 0xDFFF)
          return js_fail(j, j->pos, false,
                         "a \\u escape of a high surrogate without a low one (\\uDC00-\\uDFFF) "
                         "after it");
        cp = 0x10000 + (((unsigned long)u & 0x3FF) << 10 | ((unsigned long)lo & 0x3FF));
        j->pos += 6;
      }
      if (o) o = utf8(o, cp);
      j->pos += 6;
      continue;
    }
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *k = e ? strchr(from, e) : NULL;
    if (!k)
      return js_fail(j, j->pos, false,
                     "an unknown escape; the escapes are \\\" \\\\ \\/ \\b \\f \\n \\r \\t and "
                     "\\uXXXX");
    if (o) *o++ = to[k - from];
    j->pos += 2;
  }
  return js_fail(j, start, false, "a string that is never closed");
}

static bool js_digits(jscan *j) {
  size_t b = j->pos;
  while (j->pos < j->len && j->s[j->pos] >= '0' && j->s[j->pos] <= '9') j->pos++;
  return j->pos > b;
}

static bool js_number(jscan *j) {
  size_t start = j->pos;
  if (j->s[j->pos] == '-') j->pos++;
  if (j->pos < j->len && j->s[j->pos] == '0')
    j->pos++;
  else if (!js_digits(j))
    return js_fail(j, start, false, "a malformed number");
  if (j->pos < j->len && j->s[j->pos] == '.') {
    j->pos++;
    if (!js_digits(j)) return js_fail(j, start, false, "a malformed number");
  }
  if (j->pos < j->len && (j->s[j->pos] == 'e' || j->s[j->pos] == 'E')) {
    j->pos++;
    if (j->pos < j->len && (j->s[j->pos] == '+' || j->s[j->pos] == '-')) j->pos++;
    if (!js_digits(j)) return js_fail(j, start, false, "a malformed number");
  }
  if (j->pos - start > JSON_NUMBER_MAX)
    return js_fail(j, start, false,
                   "a number longer than 63 characters (policy values are strings)");
  return true;
}

/* The value at pos (after whitespace), skipped; strings are not decoded. */
static bool js_value(jscan *j, int depth) {
  static const char expected[] =
      "expected a value (a string, number, object, array, true, false or null)";
  js_space(j);
  if (j->pos >= j->len) return js_fail(j, j->pos, true, expected);
  char c = j->s[j->pos];
  if (c == '"') return js_string(j, NULL);
  if (c == '-' || (c >= '0' && c <= '9')) return js_number(j);
  static const char *const words[] = {"true", "false", "null"};
  for (int i = 0; i < 3; i++) {
    size_t n = strlen(words[i]);
    if (c == words[i][0]) {
      if (j->len - j->pos < n || memcmp(j->s + j->pos, words[i], n))
        return js_fail(j, j->pos, false,
                       "a bare word; strings are quoted, and the literals are true, false and "
                       "null");
      j->pos += n;
      return true;
    }
  }
  if (c != '{' && c != '[') return js_fail(j, j->pos, true, expected);
  if (depth >= JSON_DEPTH_MAX)
    return js_fail(j, j->pos, false, "nesting deeper than 64 levels");
  bool object = c == '{';
  char close = object ? '}' : ']';
  j->pos++;
  js_space(j);
  if (j->pos < j->len && j->s[j->pos] == close) {
    j->pos++;
    return true;
  }
  for (;;) {
    if (object) {
      js_space(j);
      if (j->pos >= j->len || j->s[j->pos] != '"')
        return js_fail(j, j->pos, true, "expected '\"' to begin a key");
      if (!js_string(j, NULL)) return false;
      js_space(j);
      if (j->pos >= j->len || j->s[j->pos] != ':')
        return js_fail(j, j->pos, true, "expected ':' after the key");
      j->pos++;
    }
    if (!js_value(j, depth + 1)) return false;
    js_space(j);
    if (j->pos < j->len && j->s[j->pos] == ',') {
      j->pos++;
      continue;
    }
    if (j->pos < j->len && j->s[j->pos] == close) {
      j->pos++;
      return true;
    }
    return js_fail(j, j->pos, true, object ? "expected ',' or '}'" : "expected ',' or ']'");
  }
}

/* Where the value begins: past a UTF-8 BOM (allowed, as cJSON allowed it) and spaces. */
static void js_start(jscan *j) {
  j->pos = j->len >= 3 && !memcmp(j->s, "\xEF\xBB\xBF", 3) ? 3 : 0;
  js_space(j);
}

/* Check the whole text; false with j->pos and j->msg set on a fault. */
static bool js_check(jscan *j) {
  js_start(j);
  if (!js_value(j, 0)) return false;
  js_space(j);
  if (j->pos < j->len)
    return js_fail(j, j->pos, true,
                   "more after the end of the JSON value; a policy is one object");
  return true;
}

/* ---- the checked text into a delta ---- */

/* The separator after a member or element (',' or the closing bracket, both checked):
 * true when another one follows. */
static bool js_next(jscan *j) {
  js_space(j);
  return j->s[j->pos++] == ',';
}

/* The top-level object at j->pos, checked by js_check, into t. buf has room for the
 * text's length: a key and a value decoded one after the other fit, being two disjoint
 * strings of the text. */
static mb_wv_err json_apply(delta *t, mb_wv_diag *d, const char *file,
                            jscan *j, char *buf) {
  char where[sizeof d->where];
  uint32_t seen = 0;
  j->pos++; /* '{' */
  js_space(j);
  if (j->s[j->pos] == '}') return MB_WV_OK;
  do {
    js_space(j);
    const char *key = buf;
    js_string(j, buf);
    size_t kl = strlen(key);
    char *val = buf + kl + 1;
    js_space(j);
    j->pos++; /* ':' */
    js_space(j);
    char c = j->s[j->pos];
    snprintf(where, sizeof where, "%s: %s", file, key);
    int o = mb__policy_opt_find(key, kl);
    if (o == O_POLICY)
      return fail(d, MB_WV_ERR_UNKNOWN_OPTION, where,
                  "a policy file cannot include another; give --policy once for each file");
    if (o < 0) {
      const char *body = !strncmp(key, "--", 2) ? key + 2 : key;
      if (body != key && mb__policy_opt_find(body, strlen(body)) >= 0)
        return fail(d, MB_WV_ERR_UNKNOWN_OPTION, where,
                    "unknown key '%.*s'; keys are the flags without '--': write \"%s\"", Q(kl),
                    key, body);
      const char *near = mb__policy_closest(body, strlen(body), &mb__policy_opts[0].name,
                                            O_COUNT, sizeof mb__policy_opts[0]);
      if (near && near != mb__policy_opts[O_POLICY].name)
        return fail(d, MB_WV_ERR_UNKNOWN_OPTION, where,
                    "unknown key '%.*s'; did you mean \"%s\"?", Q(kl), key, near);
      return fail(d, MB_WV_ERR_UNKNOWN_OPTION, where,
                  "unknown key '%.*s'; the keys are the policy flags without '--' (embed, "
                  "mem, mount, env, env-allow, env-inherit, arg, args-inherit, stdin, stdout, "
                  "stderr, clock, random, fault, trace, save, record, replay)",
                  Q(kl), key);
    }
    if (seen & (1u << o))
      return fail(d, MB_WV_ERR_CONFLICT, where,
                  "\"%s\" is given twice; give it once, with an array for several values", key);
    seen |= 1u << o;
    if (mb__policy_opts[o].arity == 0) {
      if (c != 't' && c != 'f')
        return fail(d, MB_WV_ERR_BAD_VALUE, where, "expected true or false, got %s",
                    json_type(c));
      mb__policy_apply_flag(t, (opt)o, c == 't');
      js_value(j, 0);
      continue;
    }
    if (c == '"') {
      js_string(j, val);
      mb_wv_err e = mb__policy_apply(t, d, where, (opt)o, val);
      if (e) return e;
      continue;
    }
    if (c != '[')
      return fail(d, MB_WV_ERR_BAD_VALUE, where,
                  "expected a string (%s) or an array of them, got %s", mb__policy_opts[o].form,
                  json_type(c));
    j->pos++;
    js_space(j);
    if (j->s[j->pos] == ']') {
      j->pos++;
      continue;
    }
    size_t i = 0;
    do {
      js_space(j);
      snprintf(where, sizeof where, "%s: %s[%zu]", file, key, i++);
      if (j->s[j->pos] != '"')
        return fail(d, MB_WV_ERR_BAD_VALUE, where, "expected a string (%s), got %s",
                    mb__policy_opts[o].form, json_type(j->s[j->pos]));
      js_string(j, val);
      mb_wv_err e = mb__policy_apply(t, d, where, (opt)o, val);
      if (e) return e;
    } while (js_next(j));
  } while (js_next(j));
  return MB_WV_OK;
}

mb_wv_err mb_wv_policy_parse_json(mb_wv_policy *p, const char *filename,
                                  const char *text, size_t len,
                                  mb_wv_diag *diag) {
  mb_wv_diag scratch;
  mb_wv_diag *d = diag ? diag : &scratch;
  memset(d, 0, sizeof *d);
  const char *file = filename ? filename : "policy";
  char c[16];
  if (!text) len = 0;
  size_t k = 0;
  while (k < len && json_space(text[k])) k++;
  if (k == len)
    return syntax(d, file, text, len,
                  "the text is empty; expected a JSON object such as {\"mem\": \"/tmp:1M\"}");
  jscan j = {text, len, 0, NULL, false};
  if (!js_check(&j)) {
    if (!j.found) return syntax(d, file, text, j.pos, "not JSON: %s", j.msg);
    if (j.pos >= len)
      return syntax(d, file, text, j.pos, "not JSON: %s, got the end of the text", j.msg);
    return syntax(d, file, text, j.pos, "not JSON: %s, got %s", j.msg,
                  show((unsigned char)text[j.pos], c));
  }
  js_start(&j);
  if (text[j.pos] != '{')
    return fail(d, MB_WV_ERR_BAD_VALUE, file,
                "the top level is %s; expected an object of options such as {\"mem\": "
                "\"/tmp:1M\", \"env\": [\"HOME=/tmp\"]}",
                json_type(text[j.pos]));
  char *buf = mb_mem_alloc(&p->alloc, len);
  if (!buf) return mb__policy_nomem(d, file);
  delta t;
  mb__policy_delta_init(&t, &p->alloc);
  mb_wv_err e = json_apply(&t, d, file, &j, buf);
  if (!e && !mb__policy_merge(p, &t)) e = mb__policy_nomem(d, file);
  mb_wv_policy_fini(&t.p);
  mb_mem_free(&p->alloc, buf);
  return e;
}
