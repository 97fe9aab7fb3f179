/* wit/parse.c — lexer and recursive-descent parser for the WIT subset (one file).
 *
 * The lexer keeps one token of lookahead and lexes lazily, so a version after '@' can be
 * read with its own rules (semver: `1.0.0-rc.1` must stop before `.{` in
 * `use a:b/c@1.0.0.{x}`). The parser builds the scopes of membrane_link.h's model with
 * names left unresolved; it checks what one file can show (syntax, identifiers,
 * duplicate names within an interface, empty records, too many flags) and leaves
 * everything that needs other files to resolve.c. */
#include <string.h>

#include "internal.h"

typedef enum tok {
  T_EOF, T_ID, T_UNDERSCORE,
  T_LBRACE, T_RBRACE, T_LPAREN, T_RPAREN, T_LT, T_GT, T_COMMA, T_SEMI, T_COLON, T_DOT,
  T_EQ, T_ARROW, T_SLASH, T_AT, T_STAR,
  /* keywords */
  K_USE, K_TYPE, K_RESOURCE, K_FUNC, K_RECORD, K_ENUM, K_FLAGS, K_VARIANT, K_STATIC,
  K_INTERFACE, K_WORLD, K_IMPORT, K_EXPORT, K_PACKAGE, K_INCLUDE, K_CONSTRUCTOR, K_AS,
  K_WITH, K_OWN, K_BORROW, K_LIST, K_OPTION, K_RESULT, K_TUPLE, K_STRING, K_CHAR, K_BOOL,
  K_S8, K_U8, K_S16, K_U16, K_S32, K_U32, K_S64, K_U64, K_F32, K_F64, K_FLOAT32,
  K_FLOAT64, K_ASYNC, K_FUTURE, K_STREAM,
  T_COUNT
} tok;

static const char *const tok_text[T_COUNT] = {
    [T_EOF] = "end of file", [T_ID] = "identifier", [T_UNDERSCORE] = "_",
    [T_LBRACE] = "{", [T_RBRACE] = "}", [T_LPAREN] = "(", [T_RPAREN] = ")", [T_LT] = "<",
    [T_GT] = ">", [T_COMMA] = ",", [T_SEMI] = ";", [T_COLON] = ":", [T_DOT] = ".",
    [T_EQ] = "=", [T_ARROW] = "->", [T_SLASH] = "/", [T_AT] = "@", [T_STAR] = "*",
    [K_USE] = "use", [K_TYPE] = "type", [K_RESOURCE] = "resource", [K_FUNC] = "func",
    [K_RECORD] = "record", [K_ENUM] = "enum", [K_FLAGS] = "flags", [K_VARIANT] = "variant",
    [K_STATIC] = "static", [K_INTERFACE] = "interface", [K_WORLD] = "world",
    [K_IMPORT] = "import", [K_EXPORT] = "export", [K_PACKAGE] = "package",
    [K_INCLUDE] = "include", [K_CONSTRUCTOR] = "constructor", [K_AS] = "as",
    [K_WITH] = "with", [K_OWN] = "own", [K_BORROW] = "borrow", [K_LIST] = "list",
    [K_OPTION] = "option", [K_RESULT] = "result", [K_TUPLE] = "tuple", [K_STRING] = "string",
    [K_CHAR] = "char", [K_BOOL] = "bool", [K_S8] = "s8", [K_U8] = "u8", [K_S16] = "s16",
    [K_U16] = "u16", [K_S32] = "s32", [K_U32] = "u32", [K_S64] = "s64", [K_U64] = "u64",
    [K_F32] = "f32", [K_F64] = "f64", [K_FLOAT32] = "float32", [K_FLOAT64] = "float64",
    [K_ASYNC] = "async", [K_FUTURE] = "future", [K_STREAM] = "stream",
};

typedef struct parser {
  mb_wit *w;
  mb_arena *a;
  mb_wit_diag *diag;
  const char *file;
  const uint8_t *src;
  size_t len;
  /* the cursor: just after the current token */
  size_t pos;
  uint32_t line, col;
  /* the current token */
  tok t;
  wit_pos tpos;
  size_t tlen;
  const char *id; /* T_ID: the name without '%' (in the arena) */
  unsigned depth;
  wit_file *f;
} parser;

#define TRY(x)                \
  do {                        \
    mb_wit_err e_ = (x);          \
    if (e_) return e_;        \
  } while (0)

static mb_wit_err nomem(parser *p) {
  return mb__wit_fail(p->diag, MB_WIT_ERR_NOMEM, &p->tpos, "out of memory");
}

static void *alloc(parser *p, size_t n) { return mb_wasm_arena_alloc(p->a, n); }

/* ---- lexer ---- */

static wit_pos cursor(const parser *p) {
  return (wit_pos){p->file, p->pos, p->line, p->col};
}

static void adv(parser *p) {
  uint8_t c = p->src[p->pos++];
  if (c == '\n') {
    p->line++;
    p->col = 1;
  } else if ((c & 0xC0) != 0x80) {
    p->col++; /* continuation bytes do not start a character */
  }
}

static int peekc(const parser *p, size_t ahead) {
  return ahead < p->len - p->pos ? p->src[p->pos + ahead] : -1;
}

static bool is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_digit(int c) { return c >= '0' && c <= '9'; }
static bool is_idchar(int c) { return is_alpha(c) || is_digit(c) || c == '-' || c == '_'; }

/* Comments may hold any UTF-8 but no control characters other than tab and line ends,
 * and no bidirectional overrides (WIT forbids them: they make text read differently
 * from how it parses). */
static mb_wit_err check_comment(parser *p, const wit_pos *start, size_t from, size_t to) {
  const uint8_t *s = p->src;
  for (size_t i = from; i < to; i++) {
    if ((s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') || s[i] == 0x7F)
      return mb__wit_fail(p->diag, MB_WIT_ERR_SYNTAX, start,
                          "control character 0x%02x in a comment", s[i]);
    if (s[i] == 0xE2 && to - i >= 3 &&
        ((s[i + 1] == 0x80 && s[i + 2] >= 0xAA && s[i + 2] <= 0xAE) ||
         (s[i + 1] == 0x81 && s[i + 2] >= 0xA6 && s[i + 2] <= 0xA9)))
      return mb__wit_fail(p->diag, MB_WIT_ERR_SYNTAX, start,
                          "bidirectional override character in a comment");
  }
  if (!mb_wasm_utf8_valid(s + from, to - from))
    return mb__wit_fail(p->diag, MB_WIT_ERR_BAD_UTF8, start, "malformed UTF-8 in a comment");
  return MB_WIT_OK;
}

static mb_wit_err skip_space(parser *p) {
  for (;;) {
    int c = peekc(p, 0);
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      adv(p);
    } else if (c == '/' && peekc(p, 1) == '/') {
      wit_pos start = cursor(p);
      size_t from = p->pos;
      while (p->pos < p->len && p->src[p->pos] != '\n') adv(p);
      TRY(check_comment(p, &start, from, p->pos));
    } else if (c == '/' && peekc(p, 1) == '*') {
      /* block comments nest */
      wit_pos start = cursor(p);
      size_t from = p->pos;
      unsigned depth = 0;
      do {
        if (p->pos >= p->len)
          return mb__wit_fail(p->diag, MB_WIT_ERR_SYNTAX, &start,
                              "unterminated block comment (expected '*/')");
        if (peekc(p, 0) == '/' && peekc(p, 1) == '*') {
          adv(p), adv(p);
          depth++;
        } else if (peekc(p, 0) == '*' && peekc(p, 1) == '/') {
          adv(p), adv(p);
          depth--;
        } else {
          adv(p);
        }
      } while (depth);
      TRY(check_comment(p, &start, from, p->pos));
    } else {
      return MB_WIT_OK;
    }
  }
}

/* kebab-case: words separated by single '-', each word a letter followed by letters and
 * digits, all lower case or all upper case ("get-total", "parse-XML-document"). */
static bool kebab(const uint8_t *s, size_t n) {
  size_t i = 0;
  for (;;) {
    if (i >= n || !is_alpha(s[i])) return false;
    bool upper = s[i] >= 'A' && s[i] <= 'Z';
    for (i++; i < n && s[i] != '-'; i++) {
      int c = s[i];
      bool ok = is_digit(c) || (upper ? (c >= 'A' && c <= 'Z') : (c >= 'a' && c <= 'z'));
      if (!ok) return false;
    }
    if (i == n) return true;
    i++; /* '-' */
  }
}

static tok keyword(const uint8_t *s, size_t n) {
  for (int k = K_USE; k < T_COUNT; k++)
    if (strlen(tok_text[k]) == n && memcmp(tok_text[k], s, n) == 0) return (tok)k;
  return T_ID;
}

static mb_wit_err next(parser *p) {
  TRY(skip_space(p));
  p->tpos = cursor(p);
  p->id = NULL;
  size_t start = p->pos;
  int c = peekc(p, 0);
  if (c < 0) {
    p->t = T_EOF;
    p->tlen = 0;
    return MB_WIT_OK;
  }
  static const struct {
    char c;
    tok t;
  } single[] = {{'{', T_LBRACE}, {'}', T_RBRACE}, {'(', T_LPAREN}, {')', T_RPAREN},
                {'<', T_LT},     {'>', T_GT},     {',', T_COMMA},  {';', T_SEMI},
                {':', T_COLON},  {'.', T_DOT},    {'=', T_EQ},     {'/', T_SLASH},
                {'@', T_AT},     {'*', T_STAR}};
  for (size_t i = 0; i < sizeof single / sizeof *single; i++) {
    if (c == single[i].c) {
      adv(p);
      p->t = single[i].t;
      p->tlen = 1;
      return MB_WIT_OK;
    }
  }
  if (c == '-' && peekc(p, 1) == '>') {
    adv(p), adv(p);
    p->t = T_ARROW;
    p->tlen = 2;
    return MB_WIT_OK;
  }
  if (is_digit(c))
    return mb__wit_fail(p->diag, MB_WIT_ERR_SYNTAX, &p->tpos,
                        "unexpected number: numbers appear only in versions, after '@'");
  bool escaped = c == '%';
  if (escaped) adv(p);
  size_t from = p->pos;
  if (is_idchar(peekc(p, 0))) {
    while (is_idchar(peekc(p, 0))) adv(p);
    const uint8_t *s = p->src + from;
    size_t n = p->pos - from;
    p->tlen = p->pos - start;
    if (!escaped && n == 1 && s[0] == '_') {
      p->t = T_UNDERSCORE;
      return MB_WIT_OK;
    }
    tok k = escaped ? T_ID : keyword(s, n);
    if (k != T_ID) {
      p->t = k;
      return MB_WIT_OK;
    }
    if (!kebab(s, n))
      return mb__wit_fail(p->diag, MB_WIT_ERR_SYNTAX, &p->tpos,
                          "'%.*s' is not a valid identifier: expected kebab-case words "
                          "separated by '-', each a letter then letters or digits, all "
                          "lower or all upper case",
                          (int)(n > 60 ? 60 : n), (const char *)s);
    p->t = T_ID;
    if (!(p->id = mb__wit_strdup(p->a, (const char *)s, n))) return nomem(p);
    return MB_WIT_OK;
  }
  if (escaped)
    return mb__wit_fail(p->diag, MB_WIT_ERR_SYNTAX, &p->tpos,
                        "expected an identifier after '%%'");
  if (c >= 0x21 && c < 0x7F)
    return mb__wit_fail(p->diag, MB_WIT_ERR_SYNTAX, &p->tpos, "unexpected character '%c'",
                        c);
  if (c >= 0x80)
    return mb__wit_fail(p->diag, MB_WIT_ERR_SYNTAX, &p->tpos,
                        "unexpected byte 0x%02x: outside comments WIT is ASCII", c);
  return mb__wit_fail(p->diag, MB_WIT_ERR_SYNTAX, &p->tpos,
                      "unexpected control character 0x%02x", c);
}

/* After an '@' token: a semver version, read straight from the cursor. */
static mb_wit_err lex_version(parser *p, const char **out) {
  TRY(skip_space(p)); /* `@since(version = 1.0.0)` */
  wit_pos start = cursor(p);
  size_t from = p->pos;
  for (int part = 0; part < 3; part++) {
    if (part) {
      if (peekc(p, 0) != '.') goto bad;
      adv(p);
    }
    if (!is_digit(peekc(p, 0))) goto bad;
    bool zero = peekc(p, 0) == '0';
    adv(p);
    if (zero && is_digit(peekc(p, 0))) goto bad; /* no leading zeros */
    while (is_digit(peekc(p, 0))) adv(p);
  }
  /* pre-release after '-', build after '+': dot-separated [0-9A-Za-z-]+ identifiers; a
   * '.' not followed by one ends the version */
  for (int sep = '-'; sep; sep = sep == '-' ? '+' : 0) {
    if (peekc(p, 0) != sep) continue;
    adv(p);
    for (;;) {
      int c = peekc(p, 0);
      if (!(is_alpha(c) || is_digit(c) || c == '-')) goto bad;
      while (is_alpha(peekc(p, 0)) || is_digit(peekc(p, 0)) || peekc(p, 0) == '-') adv(p);
      c = peekc(p, 1);
      if (peekc(p, 0) == '.' && (is_alpha(c) || is_digit(c) || c == '-'))
        adv(p);
      else
        break;
    }
  }
  if (is_alpha(peekc(p, 0)) || is_digit(peekc(p, 0)) || peekc(p, 0) == '_') goto bad;
  if (!(*out = mb__wit_strdup(p->a, (const char *)p->src + from, p->pos - from)))
    return nomem(p);
  return MB_WIT_OK;
bad:
  return mb__wit_fail(p->diag, MB_WIT_ERR_SYNTAX, &start,
                      "malformed version after '@': expected semver MAJOR.MINOR.PATCH "
                      "(e.g. 1.0.0 or 0.2.0-rc.1)");
}

/* ---- parser helpers ---- */

static mb_wit_err unexpected(parser *p, const char *expected) {
  if (p->t == T_ID)
    return mb__wit_fail(p->diag, MB_WIT_ERR_SYNTAX, &p->tpos, "expected %s, found '%.60s'",
                        expected, p->id);
  if (p->t == T_EOF)
    return mb__wit_fail(p->diag, MB_WIT_ERR_SYNTAX, &p->tpos, "expected %s, found end of file",
                        expected);
  return mb__wit_fail(p->diag, MB_WIT_ERR_SYNTAX, &p->tpos, "expected %s, found '%s'",
                      expected, tok_text[p->t]);
}

static mb_wit_err expect(parser *p, tok t, const char *context) {
  if (p->t != t) {
    char what[128];
    snprintf(what, sizeof what, "'%s' %s", tok_text[t], context);
    return unexpected(p, what);
  }
  return next(p);
}

/* An identifier (plain or %-escaped), with its position. */
static mb_wit_err ident(parser *p, const char *what, const char **name, wit_pos *pos) {
  if (p->t != T_ID) {
    /* a bare keyword where a name belongs gets the fix in the message */
    if (p->t >= K_USE && p->t < T_COUNT) {
      return mb__wit_fail(p->diag, MB_WIT_ERR_SYNTAX, &p->tpos,
                          "expected %s, found keyword '%s' (write '%%%s' to use it as a name)",
                          what, tok_text[p->t], tok_text[p->t]);
    }
    return unexpected(p, what);
  }
  *name = p->id;
  if (pos) *pos = p->tpos;
  return next(p);
}

static mb_wit_err skip_attributes(parser *p) {
  /* @since(version = 1.2.3), @unstable(feature = name), @deprecated(version = 1.2.3):
   * feature gates that do not change the types, so they are read and dropped */
  while (p->t == T_AT) {
    TRY(next(p));
    wit_pos pos = p->tpos;
    const char *name = NULL, *key = NULL;
    TRY(ident(p, "an annotation name after '@'", &name, NULL));
    bool since = strcmp(name, "since") == 0, deprecated = strcmp(name, "deprecated") == 0;
    if (!since && !deprecated && strcmp(name, "unstable") != 0)
      return mb__wit_fail(p->diag, MB_WIT_ERR_SYNTAX, &pos,
                          "unknown annotation '@%.60s' (expected @since, @unstable or "
                          "@deprecated)", name);
    TRY(expect(p, T_LPAREN, "after the annotation name"));
    pos = p->tpos;
    TRY(ident(p, since || deprecated ? "'version'" : "'feature'", &key, NULL));
    if (strcmp(key, since || deprecated ? "version" : "feature") != 0)
      return mb__wit_fail(p->diag, MB_WIT_ERR_SYNTAX, &pos, "expected '%s', found '%.60s'",
                          since || deprecated ? "version" : "feature", key);
    if (p->t != T_EQ) return unexpected(p, "'='");
    if (since || deprecated) {
      const char *v;
      TRY(lex_version(p, &v));
      TRY(next(p));
    } else {
      TRY(next(p));
      TRY(ident(p, "a feature name", &key, NULL));
    }
    TRY(expect(p, T_RPAREN, "to close the annotation"));
  }
  return MB_WIT_OK;
}

static wit_node *new_node(parser *p, mb_wit_kind kind, const wit_pos *pos) {
  wit_node *n = alloc(p, sizeof *n);
  if (!n) return NULL;
  n->pub.kind = kind;
  n->pos = *pos;
  return n;
}

static wit_node *new_ref(parser *p, const char *name, const wit_pos *pos, wit_scope *s) {
  wit_node *n = new_node(p, MB_WIT_BOOL, pos);
  if (!n) return NULL;
  n->is_ref = true;
  n->ref = name;
  n->scope = s;
  return n;
}

static const char *scope_what(const wit_scope *s) { return s->is_world ? "world" : "interface"; }

/* Enter a name in the scope's one namespace. */
static mb_wit_err define(parser *p, wit_scope *s, wit_item *it) {
  const wit_item *old = mb__wit_map_get(&s->names, it->name);
  if (old)
    return mb__wit_fail(p->diag, MB_WIT_ERR_DUPLICATE, &it->pos,
                        "'%.60s' is already defined in %s '%.60s' (at line %u, column %u); "
                        "expected a new name",
                        it->name, scope_what(s), s->name, old->pos.line, old->pos.col);
  if (!mb__wit_map_put(p->a, &s->names, it->name, it) || !mb__wit_vec_push(p->a, &s->items, it))
    return nomem(p);
  return MB_WIT_OK;
}

/* Field, case, label and parameter names are unique within their list. */
static mb_wit_err unique(parser *p, wit_map *seen, const char *name, const wit_pos *pos,
                         const char *what, const char *in) {
  const wit_pos *old = mb__wit_map_get(seen, name);
  if (old)
    return mb__wit_fail(p->diag, MB_WIT_ERR_DUPLICATE, pos,
                        "%s '%.60s' appears twice in %.80s (first at line %u, column %u)", what,
                        name, in, old->line, old->col);
  wit_pos *copy = alloc(p, sizeof *copy);
  if (!copy) return nomem(p);
  *copy = *pos;
  if (!mb__wit_map_put(p->a, seen, name, copy)) return nomem(p);
  return MB_WIT_OK;
}

/* Turn a vector of fields into the node's array. */
static mb_wit_err set_fields(parser *p, wit_node *n, const wit_vec *v) {
  if (v->n) {
    n->fields = mb_wasm_arena_array(p->a, v->n, sizeof *n->fields);
    if (!n->fields) return nomem(p);
    for (uint32_t i = 0; i < v->n; i++) n->fields[i] = *(mb_wit_field *)v->data[i];
  }
  n->pub.fields = n->fields;
  n->pub.nfields = v->n;
  return MB_WIT_OK;
}

static mb_wit_err push_field(parser *p, wit_vec *v, const char *name, wit_node *type) {
  mb_wit_field *f = alloc(p, sizeof *f);
  if (!f) return nomem(p);
  f->name = name;
  f->type = type ? &type->pub : NULL;
  if (!mb__wit_vec_push(p->a, v, f)) return nomem(p);
  return MB_WIT_OK;
}

/* ---- types ---- */

static mb_wit_err parse_type(parser *p, wit_scope *s, wit_node **out);

static mb_wit_err angle_type(parser *p, wit_scope *s, const char *what, wit_node **out) {
  TRY(expect(p, T_LT, what));
  TRY(parse_type(p, s, out));
  if (p->t == T_COMMA)
    return mb__wit_fail(p->diag, MB_WIT_ERR_UNSUPPORTED, &p->tpos,
                        "fixed-size lists are not supported; expected '>'");
  return expect(p, T_GT, "to close the type");
}

static mb_wit_err parse_type_inner(parser *p, wit_scope *s, wit_node **out) {
  wit_pos pos = p->tpos;
  static const struct {
    tok t;
    mb_wit_kind k;
  } prims[] = {{K_BOOL, MB_WIT_BOOL}, {K_S8, MB_WIT_S8},     {K_U8, MB_WIT_U8},
               {K_S16, MB_WIT_S16},   {K_U16, MB_WIT_U16},   {K_S32, MB_WIT_S32},
               {K_U32, MB_WIT_U32},   {K_S64, MB_WIT_S64},   {K_U64, MB_WIT_U64},
               {K_F32, MB_WIT_F32},   {K_F64, MB_WIT_F64},   {K_FLOAT32, MB_WIT_F32},
               {K_FLOAT64, MB_WIT_F64}, {K_CHAR, MB_WIT_CHAR}, {K_STRING, MB_WIT_STRING}};
  for (size_t i = 0; i < sizeof prims / sizeof *prims; i++) {
    if (p->t == prims[i].t) {
      if (!(*out = new_node(p, prims[i].k, &pos))) return nomem(p);
      return next(p);
    }
  }
  wit_node *n = NULL, *child;
  switch (p->t) {
  case K_LIST:
  case K_OPTION:
    if (!(n = new_node(p, p->t == K_LIST ? MB_WIT_LIST : MB_WIT_OPTION, &pos))) return nomem(p);
    TRY(next(p));
    TRY(angle_type(p, s, n->pub.kind == MB_WIT_LIST ? "after 'list'" : "after 'option'", &child));
    n->pub.elem = &child->pub;
    break;
  case K_RESULT:
    if (!(n = new_node(p, MB_WIT_RESULT, &pos))) return nomem(p);
    TRY(next(p));
    if (p->t != T_LT) break; /* plain `result` */
    TRY(next(p));
    if (p->t == T_UNDERSCORE) {
      TRY(next(p));
      if (p->t != T_COMMA)
        return mb__wit_fail(p->diag, MB_WIT_ERR_SYNTAX, &p->tpos,
                            "expected ',' and an error type after 'result<_' (a result with "
                            "neither type is written 'result')");
    } else {
      TRY(parse_type(p, s, &child));
      n->pub.elem = &child->pub;
    }
    if (p->t == T_COMMA) {
      TRY(next(p));
      TRY(parse_type(p, s, &child));
      n->pub.err = &child->pub;
    }
    TRY(expect(p, T_GT, "to close 'result<...'"));
    break;
  case K_TUPLE: {
    if (!(n = new_node(p, MB_WIT_TUPLE, &pos))) return nomem(p);
    TRY(next(p));
    TRY(expect(p, T_LT, "after 'tuple'"));
    wit_vec v = {0};
    while (p->t != T_GT) {
      TRY(parse_type(p, s, &child));
      TRY(push_field(p, &v, NULL, child));
      if (p->t != T_COMMA) break;
      TRY(next(p));
    }
    if (p->t != T_GT) return unexpected(p, "',' or '>' in 'tuple<...>'");
    if (!v.n)
      return mb__wit_fail(p->diag, MB_WIT_ERR_INVALID, &pos,
                          "a tuple needs at least one type: expected 'tuple<T, ...>'");
    TRY(next(p));
    TRY(set_fields(p, n, &v));
    break;
  }
  case K_OWN:
  case K_BORROW: {
    if (!(n = new_node(p, p->t == K_OWN ? MB_WIT_OWN : MB_WIT_BORROW, &pos))) return nomem(p);
    bool own = p->t == K_OWN;
    TRY(next(p));
    TRY(expect(p, T_LT, own ? "after 'own'" : "after 'borrow'"));
    const char *name;
    wit_pos npos;
    TRY(ident(p, "a resource name", &name, &npos));
    if (!(child = new_ref(p, name, &npos, s))) return nomem(p);
    n->pub.elem = &child->pub;
    TRY(expect(p, T_GT, "to close the handle type"));
    break;
  }
  case T_ID:
    if (!(n = new_ref(p, p->id, &pos, s))) return nomem(p);
    TRY(next(p));
    break;
  case K_FUTURE:
  case K_STREAM:
    return mb__wit_fail(p->diag, MB_WIT_ERR_UNSUPPORTED, &pos,
                        "'%s' types are not supported (async is outside membrane's WIT subset)",
                        tok_text[p->t]);
  default:
    return unexpected(p, "a type");
  }
  *out = n;
  return MB_WIT_OK;
}

static mb_wit_err parse_type(parser *p, wit_scope *s, wit_node **out) {
  if (++p->depth > WIT_MAX_DEPTH)
    return mb__wit_fail(p->diag, MB_WIT_ERR_TOO_MANY, &p->tpos,
                        "types nested more than %d deep", WIT_MAX_DEPTH);
  mb_wit_err e = parse_type_inner(p, s, out);
  p->depth--;
  return e;
}

/* ---- functions ---- */

static wit_func *new_func(parser *p, wit_scope *s, mb_wit_func_kind kind, const char *name,
                          const wit_pos *pos) {
  wit_func *f = alloc(p, sizeof *f);
  if (!f) return NULL;
  f->pub.kind = kind;
  f->pub.name = name;
  f->pub.file = pos->file;
  f->pub.line = pos->line;
  f->pub.column = pos->col;
  f->pos = *pos;
  f->scope = s;
  return f;
}

/* '(' params ')' with `self` first when given. */
static mb_wit_err parse_params(parser *p, wit_scope *s, wit_func *f, wit_node *self) {
  wit_vec v = {0};
  wit_map seen = {0};
  const char *in = mb__wit_printf(p->a, "the parameters of '%.60s'", f->pub.name);
  if (!in) return nomem(p);
  if (self) {
    TRY(unique(p, &seen, "self", &f->pos, "parameter", in));
    TRY(push_field(p, &v, "self", self));
  }
  TRY(expect(p, T_LPAREN, "to open the parameter list"));
  while (p->t != T_RPAREN) {
    const char *name = NULL;
    wit_pos pos;
    wit_node *type;
    TRY(ident(p, "a parameter name or ')'", &name, &pos));
    TRY(unique(p, &seen, name, &pos, "parameter", in));
    TRY(expect(p, T_COLON, "after the parameter name"));
    TRY(parse_type(p, s, &type));
    TRY(push_field(p, &v, name, type));
    if (p->t != T_COMMA) break;
    TRY(next(p));
  }
  if (p->t != T_RPAREN) return unexpected(p, "',' or ')' after a parameter");
  TRY(next(p));
  if (v.n) {
    f->params = mb_wasm_arena_array(p->a, v.n, sizeof *f->params);
    if (!f->params) return nomem(p);
    for (uint32_t i = 0; i < v.n; i++) f->params[i] = *(mb_wit_field *)v.data[i];
  }
  f->pub.params = f->params;
  f->pub.nparams = v.n;
  return MB_WIT_OK;
}

/* 'func' '(' params ')' ('->' type)? — the caller has read `name:` and `static`. */
static mb_wit_err parse_functype(parser *p, wit_scope *s, wit_func *f, wit_node *self) {
  if (p->t == K_ASYNC)
    return mb__wit_fail(p->diag, MB_WIT_ERR_UNSUPPORTED, &p->tpos,
                        "async functions are not supported; expected 'func'");
  TRY(expect(p, K_FUNC, "to start a function type"));
  TRY(parse_params(p, s, f, self));
  if (p->t == T_ARROW) {
    TRY(next(p));
    if (p->t == T_LPAREN)
      return mb__wit_fail(p->diag, MB_WIT_ERR_UNSUPPORTED, &p->tpos,
                          "named results '-> (...)' are not supported; expected one type "
                          "(a tuple or record for several values)");
    TRY(parse_type(p, s, &f->result));
  }
  return MB_WIT_OK;
}

static mb_wit_err add_func(parser *p, wit_scope *s, wit_func *f) {
  if (!mb__wit_vec_push(p->a, &s->funcs, f)) return nomem(p);
  return MB_WIT_OK;
}

/* ---- type definitions ---- */

static mb_wit_err define_type(parser *p, wit_scope *s, const char *name, const wit_pos *pos,
                              wit_node *n) {
  wit_item *it = alloc(p, sizeof *it);
  if (!it) return nomem(p);
  it->kind = WIT_ITEM_TYPE;
  it->name = name;
  it->pos = *pos;
  it->node = n;
  return define(p, s, it);
}

/* record/variant/enum/flags NAME '{' ... '}' */
static mb_wit_err parse_compound(parser *p, wit_scope *s) {
  tok kw = p->t;
  mb_wit_kind kind = kw == K_RECORD ? MB_WIT_RECORD
                     : kw == K_VARIANT ? MB_WIT_VARIANT
                     : kw == K_ENUM    ? MB_WIT_ENUM
                                       : MB_WIT_FLAGS;
  const char *what = kw == K_RECORD ? "field" : kw == K_FLAGS ? "flag" : "case";
  TRY(next(p));
  const char *name;
  wit_pos pos;
  char expected[64];
  snprintf(expected, sizeof expected, "a name after '%s'", tok_text[kw]);
  TRY(ident(p, expected, &name, &pos));
  wit_node *n = new_node(p, kind, &pos);
  if (!n) return nomem(p);
  n->pub.name = name;
  TRY(define_type(p, s, name, &pos, n));
  TRY(expect(p, T_LBRACE, "to open the body"));
  wit_vec v = {0};
  wit_map seen = {0};
  const char *in = mb__wit_printf(p->a, "%s '%.60s'", tok_text[kw], name);
  if (!in) return nomem(p);
  while (p->t != T_RBRACE) {
    const char *fname;
    wit_pos fpos;
    wit_node *type = NULL;
    snprintf(expected, sizeof expected, "a %s name or '}'", what);
    TRY(ident(p, expected, &fname, &fpos));
    TRY(unique(p, &seen, fname, &fpos, what, in));
    if (kind == MB_WIT_RECORD) {
      TRY(expect(p, T_COLON, "after the field name"));
      TRY(parse_type(p, s, &type));
    } else if (kind == MB_WIT_VARIANT && p->t == T_LPAREN) {
      TRY(next(p));
      TRY(parse_type(p, s, &type));
      TRY(expect(p, T_RPAREN, "after the case's type"));
    }
    TRY(push_field(p, &v, fname, type));
    if (p->t != T_COMMA) break;
    TRY(next(p));
  }
  if (p->t != T_RBRACE) {
    snprintf(expected, sizeof expected, "',' or '}' after a %s", what);
    return unexpected(p, expected);
  }
  if (!v.n)
    return mb__wit_fail(p->diag, MB_WIT_ERR_INVALID, &pos,
                        "%s '%.60s' is empty: expected at least one %s", tok_text[kw], name,
                        what);
  if (kind == MB_WIT_FLAGS && v.n > WIT_MAX_FLAGS)
    return mb__wit_fail(p->diag, MB_WIT_ERR_INVALID, &pos,
                        "flags '%.60s' has %u flags: the canonical ABI allows at most %d",
                        name, v.n, WIT_MAX_FLAGS);
  TRY(next(p));
  return set_fields(p, n, &v);
}

static mb_wit_err parse_alias(parser *p, wit_scope *s) {
  TRY(next(p));
  const char *name;
  wit_pos pos;
  wit_node *type;
  TRY(ident(p, "a name after 'type'", &name, &pos));
  TRY(expect(p, T_EQ, "after the type name"));
  TRY(parse_type(p, s, &type));
  TRY(expect(p, T_SEMI, "after the type"));
  return define_type(p, s, name, &pos, type);
}

static mb_wit_err parse_resource(parser *p, wit_scope *s) {
  TRY(next(p));
  const char *name;
  wit_pos pos;
  TRY(ident(p, "a name after 'resource'", &name, &pos));
  wit_node *r = new_node(p, MB_WIT_RESOURCE, &pos);
  if (!r) return nomem(p);
  r->pub.name = name;
  TRY(define_type(p, s, name, &pos, r));
  if (!mb__wit_vec_push(p->a, &s->resources, r)) return nomem(p);
  if (p->t == T_LBRACE) {
    TRY(next(p));
    wit_map seen = {0};
    bool has_ctor = false;
    wit_pos ctor_pos = pos;
    const char *in = mb__wit_printf(p->a, "resource '%.60s'", name);
    if (!in) return nomem(p);
    while (p->t != T_RBRACE) {
      TRY(skip_attributes(p));
      wit_pos fpos = p->tpos;
      wit_func *f;
      if (p->t == K_CONSTRUCTOR) {
        if (has_ctor)
          return mb__wit_fail(p->diag, MB_WIT_ERR_DUPLICATE, &fpos,
                              "resource '%.60s' has a second constructor (first at line %u, "
                              "column %u); expected at most one",
                              name, ctor_pos.line, ctor_pos.col);
        has_ctor = true;
        ctor_pos = fpos;
        TRY(next(p));
        if (!(f = new_func(p, s, MB_WIT_FUNC_CONSTRUCTOR, name, &fpos))) return nomem(p);
        TRY(parse_params(p, s, f, NULL));
        if (p->t == T_ARROW)
          return mb__wit_fail(p->diag, MB_WIT_ERR_UNSUPPORTED, &p->tpos,
                              "a constructor's result is always its resource; expected ';'");
        if (!(f->result = new_node(p, MB_WIT_OWN, &fpos))) return nomem(p);
        f->result->pub.elem = &r->pub;
        if (!(f->pub.core_name = mb__wit_printf(p->a, "[constructor]%s", name))) return nomem(p);
      } else {
        const char *fname;
        TRY(ident(p, "'constructor', a method name or '}'", &fname, NULL));
        TRY(unique(p, &seen, fname, &fpos, "function", in));
        TRY(expect(p, T_COLON, "after the function name"));
        bool is_static = p->t == K_STATIC;
        if (is_static) TRY(next(p));
        f = new_func(p, s, is_static ? MB_WIT_FUNC_STATIC : MB_WIT_FUNC_METHOD, fname, &fpos);
        if (!f) return nomem(p);
        wit_node *self = NULL;
        if (!is_static) {
          if (!(self = new_node(p, MB_WIT_BORROW, &fpos))) return nomem(p);
          self->pub.elem = &r->pub;
        }
        TRY(parse_functype(p, s, f, self));
        f->pub.core_name = mb__wit_printf(p->a, "[%s]%s.%s", is_static ? "static" : "method",
                                          name, fname);
        if (!f->pub.core_name) return nomem(p);
      }
      f->pub.resource = &r->pub;
      TRY(expect(p, T_SEMI, "after the function"));
      TRY(add_func(p, s, f));
    }
    TRY(next(p));
  } else if (p->t == T_SEMI) {
    TRY(next(p));
  } else {
    return unexpected(p, "';' or '{' after the resource name");
  }
  /* the drop built-in every resource has, for users of the interface */
  wit_func *drop = new_func(p, s, MB_WIT_FUNC_RESOURCE_DROP, name, &pos);
  wit_node *own = new_node(p, MB_WIT_OWN, &pos);
  if (!drop || !own) return nomem(p);
  own->pub.elem = &r->pub;
  if (!(drop->params = alloc(p, sizeof *drop->params))) return nomem(p);
  drop->params[0] = (mb_wit_field){.name = "handle", .type = &own->pub};
  drop->pub.params = drop->params;
  drop->pub.nparams = 1;
  drop->pub.resource = &r->pub;
  if (!(drop->pub.core_name = mb__wit_printf(p->a, "[resource-drop]%s", name))) return nomem(p);
  return add_func(p, s, drop);
}

/* ---- use ---- */

/* NAME, or NS:PKG/NAME[@VERSION]. */
static mb_wit_err parse_path(parser *p, wit_path *path, const char *what) {
  memset(path, 0, sizeof *path);
  path->pos = p->tpos;
  const char *first = NULL;
  TRY(ident(p, what, &first, NULL));
  if (p->t != T_COLON) {
    path->name = first;
    return MB_WIT_OK;
  }
  TRY(next(p));
  path->ns = first;
  TRY(ident(p, "a package name after ':'", &path->pkg, NULL));
  if (p->t == T_COLON)
    return mb__wit_fail(p->diag, MB_WIT_ERR_UNSUPPORTED, &p->tpos,
                        "nested package namespaces are not supported; expected '/'");
  TRY(expect(p, T_SLASH, "and an interface name after the package"));
  TRY(ident(p, "an interface name after '/'", &path->name, NULL));
  if (p->t == T_SLASH)
    return mb__wit_fail(p->diag, MB_WIT_ERR_UNSUPPORTED, &p->tpos,
                        "nested interface paths are not supported");
  if (p->t == T_AT) {
    TRY(lex_version(p, &path->version));
    TRY(next(p));
  }
  return MB_WIT_OK;
}

static mb_wit_err parse_use(parser *p, wit_scope *s) {
  TRY(next(p));
  wit_use *u = alloc(p, sizeof *u);
  if (!u) return nomem(p);
  TRY(parse_path(p, &u->path, "an interface after 'use'"));
  if (!mb__wit_vec_push(p->a, &s->uses, u)) return nomem(p);
  TRY(expect(p, T_DOT, "and '{names}' after the interface (use iface.{a, b as c};)"));
  TRY(expect(p, T_LBRACE, "after '.'"));
  do {
    const char *name, *as;
    wit_pos pos, as_pos;
    TRY(ident(p, "a type name", &name, &pos));
    as = name;
    as_pos = pos;
    if (p->t == K_AS) {
      TRY(next(p));
      TRY(ident(p, "a new name after 'as'", &as, &as_pos));
    }
    wit_node *ref = new_ref(p, name, &pos, s);
    if (!ref) return nomem(p);
    ref->use = u;
    wit_item *it = alloc(p, sizeof *it);
    if (!it) return nomem(p);
    it->kind = WIT_ITEM_TYPE;
    it->name = as;
    it->pos = as_pos;
    it->node = ref;
    it->use = u;
    TRY(define(p, s, it));
    if (p->t != T_COMMA) break;
    TRY(next(p));
  } while (p->t != T_RBRACE);
  TRY(expect(p, T_RBRACE, "to close the list of names"));
  return expect(p, T_SEMI, "after 'use'");
}

/* ---- interfaces and worlds ---- */

static wit_scope *new_scope(parser *p, const char *name, const wit_pos *pos, bool world) {
  wit_scope *s = alloc(p, sizeof *s);
  if (!s) return NULL;
  s->is_world = world;
  s->name = name;
  s->pos = *pos;
  s->file = p->f;
  return s;
}

static mb_wit_err parse_items(parser *p, wit_scope *s);

/* NAME ':' ('func' ... | 'interface' '{' ... '}') or a path, after import/export. */
static mb_wit_err parse_extern(parser *p, wit_scope *world) {
  wit_extern *x = alloc(p, sizeof *x);
  if (!x) return nomem(p);
  x->is_export = p->t == K_EXPORT;
  x->pos = p->tpos;
  TRY(next(p));
  wit_pos pos = p->tpos;
  const char *name;
  TRY(ident(p, "an interface or a name after 'import'/'export'", &name, NULL));
  if (p->t == T_COLON) {
    TRY(next(p));
    if (p->t == K_FUNC || p->t == K_ASYNC) {
      x->name = name;
      if (!(x->func = new_func(p, world, MB_WIT_FUNC_PLAIN, name, &pos))) return nomem(p);
      x->func->pub.core_name = name;
      TRY(parse_functype(p, world, x->func, NULL));
      TRY(expect(p, T_SEMI, "after the function"));
    } else if (p->t == K_INTERFACE) {
      TRY(next(p));
      x->name = name;
      wit_scope *s = new_scope(p, name, &pos, false);
      if (!s) return nomem(p);
      s->inline_iface = true;
      x->iface = s;
      TRY(expect(p, T_LBRACE, "to open the interface"));
      TRY(parse_items(p, s));
      TRY(expect(p, T_RBRACE, "to close the interface"));
    } else if (p->t == T_ID) {
      /* ns:pkg/iface[@version] */
      x->path.pos = pos;
      x->path.ns = name;
      TRY(ident(p, "a package name", &x->path.pkg, NULL));
      TRY(expect(p, T_SLASH, "and an interface name after the package"));
      TRY(ident(p, "an interface name after '/'", &x->path.name, NULL));
      if (p->t == T_AT) {
        TRY(lex_version(p, &x->path.version));
        TRY(next(p));
      }
      TRY(expect(p, T_SEMI, "after the interface"));
    } else {
      return unexpected(p, "'func', 'interface' or a package name after ':'");
    }
  } else {
    x->path.pos = pos;
    x->path.name = name;
    TRY(expect(p, T_SEMI, "after the interface name (or ':' for a function or inline "
                          "interface)"));
  }
  if (!mb__wit_vec_push(p->a, &world->externs, x)) return nomem(p);
  return MB_WIT_OK;
}

/* The items of an interface or world body, up to (not including) '}'. */
static mb_wit_err parse_items(parser *p, wit_scope *s) {
  for (;;) {
    TRY(skip_attributes(p));
    switch (p->t) {
    case T_RBRACE:
      return MB_WIT_OK;
    case K_USE:
      TRY(parse_use(p, s));
      break;
    case K_TYPE:
      TRY(parse_alias(p, s));
      break;
    case K_RECORD:
    case K_VARIANT:
    case K_ENUM:
    case K_FLAGS:
      TRY(parse_compound(p, s));
      break;
    case K_RESOURCE:
      if (s->is_world)
        return mb__wit_fail(p->diag, MB_WIT_ERR_UNSUPPORTED, &p->tpos,
                            "resources in a world are not supported; define them in an "
                            "interface");
      TRY(parse_resource(p, s));
      break;
    case K_IMPORT:
    case K_EXPORT:
      if (!s->is_world) return unexpected(p, "a type, a function, 'use' or '}'");
      TRY(parse_extern(p, s));
      break;
    case K_INCLUDE:
      if (s->is_world)
        return mb__wit_fail(p->diag, MB_WIT_ERR_UNSUPPORTED, &p->tpos,
                            "'include' is not supported: list the imports and exports");
      return unexpected(p, "a type, a function, 'use' or '}'");
    case T_ID: {
      if (s->is_world) return unexpected(p, "'import', 'export', 'use', a type or '}'");
      const char *name;
      wit_pos pos;
      TRY(ident(p, "a function name", &name, &pos));
      TRY(expect(p, T_COLON, "after the function name"));
      wit_func *f = new_func(p, s, MB_WIT_FUNC_PLAIN, name, &pos);
      wit_item *it = alloc(p, sizeof *it);
      if (!f || !it) return nomem(p);
      f->pub.core_name = name;
      it->kind = WIT_ITEM_FUNC;
      it->name = name;
      it->pos = pos;
      it->func = f;
      TRY(define(p, s, it));
      TRY(parse_functype(p, s, f, NULL));
      TRY(expect(p, T_SEMI, "after the function"));
      TRY(add_func(p, s, f));
      break;
    }
    default:
      return unexpected(p, s->is_world ? "'import', 'export', 'use', a type or '}'"
                                       : "a type, a function, 'use' or '}'");
    }
  }
}

static mb_wit_err parse_scope(parser *p, bool world) {
  TRY(next(p));
  const char *name = NULL;
  wit_pos pos;
  TRY(ident(p, world ? "a name after 'world'" : "a name after 'interface'", &name, &pos));
  wit_scope *s = new_scope(p, name, &pos, world);
  if (!s) return nomem(p);
  if (!mb__wit_vec_push(p->a, &p->f->scopes, s)) return nomem(p);
  TRY(expect(p, T_LBRACE, world ? "to open the world" : "to open the interface"));
  TRY(parse_items(p, s));
  return next(p); /* '}' */
}

static mb_wit_err parse_package(parser *p) {
  wit_file *f = p->f;
  f->package_pos = p->tpos;
  TRY(next(p));
  TRY(ident(p, "a namespace after 'package' (package ns:name;)", &f->ns, NULL));
  TRY(expect(p, T_COLON, "between namespace and package name (package ns:name;)"));
  TRY(ident(p, "a package name", &f->pkg, NULL));
  if (p->t == T_COLON || p->t == T_SLASH)
    return mb__wit_fail(p->diag, MB_WIT_ERR_UNSUPPORTED, &p->tpos,
                        "nested package names are not supported; expected '@' or ';'");
  if (p->t == T_AT) {
    TRY(lex_version(p, &f->version));
    TRY(next(p));
  }
  if (p->t == T_LBRACE)
    return mb__wit_fail(p->diag, MB_WIT_ERR_UNSUPPORTED, &p->tpos,
                        "nested package blocks are not supported; expected ';'");
  TRY(expect(p, T_SEMI, "after the package name"));
  f->has_package = true;
  return MB_WIT_OK;
}

static mb_wit_err parse_toplevel_use(parser *p) {
  TRY(next(p));
  wit_toplevel_use *u = alloc(p, sizeof *u);
  if (!u) return nomem(p);
  TRY(parse_path(p, &u->path, "an interface after 'use'"));
  u->as_pos = u->path.pos;
  if (p->t == K_AS) {
    TRY(next(p));
    TRY(ident(p, "a name after 'as'", &u->as, &u->as_pos));
  }
  if (p->t == T_DOT)
    return mb__wit_fail(p->diag, MB_WIT_ERR_SYNTAX, &p->tpos,
                        "'use iface.{...}' belongs inside an interface or world; at the top "
                        "level expected 'use ns:pkg/iface;'");
  TRY(expect(p, T_SEMI, "after 'use'"));
  if (!mb__wit_vec_push(p->a, &p->f->uses, u)) return nomem(p);
  return MB_WIT_OK;
}

mb_wit_err mb__wit_parse(mb_wit *w, const char *filename, const char *text, size_t len,
                         wit_file **out, mb_wit_diag *diag) {
  *out = NULL;
  parser p = {.w = w, .a = w->arena, .diag = diag, .src = (const uint8_t *)text, .len = len,
              .line = 1, .col = 1};
  p.file = mb__wit_strdup(p.a, filename, strlen(filename));
  p.tpos = cursor(&p);
  if (!p.file) return mb__wit_fail(diag, MB_WIT_ERR_NOMEM, NULL, "out of memory");
  p.tpos.file = p.file;
  if (len > WIT_MAX_SOURCE)
    return mb__wit_fail(diag, MB_WIT_ERR_TOO_MANY, &p.tpos,
                        "file is %zu bytes; WIT files are limited to %u", len, WIT_MAX_SOURCE);
  if (!(p.f = alloc(&p, sizeof *p.f))) return nomem(&p);
  p.f->name = p.file;
  TRY(next(&p));
  bool first = true;
  while (p.t != T_EOF) {
    TRY(skip_attributes(&p));
    switch (p.t) {
    case K_PACKAGE:
      if (!first)
        return mb__wit_fail(diag, MB_WIT_ERR_SYNTAX, &p.tpos,
                            "the 'package' declaration must come first in the file, once");
      TRY(parse_package(&p));
      break;
    case K_USE:
      TRY(parse_toplevel_use(&p));
      break;
    case K_INTERFACE:
      TRY(parse_scope(&p, false));
      break;
    case K_WORLD:
      TRY(parse_scope(&p, true));
      break;
    default:
      return unexpected(&p, first ? "'package', 'interface', 'world' or 'use'"
                                  : "'interface', 'world' or 'use'");
    }
    first = false;
  }
  *out = p.f;
  return MB_WIT_OK;
}
