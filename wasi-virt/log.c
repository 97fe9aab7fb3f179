/* log.c — the record/replay log (format: membrane_wasi_virt.h): the reader, the
 * encoder and one line of text per record. Portable and printf-free: wasi-virt encodes
 * records as it records, reads them as it replays and names them in a divergence
 * message; the tool checks a log before it embeds one, and prints it (replay-inspect).
 * The reader takes any bytes (tests/fuzz/fuzz_replay_log.c). */
#include <string.h>

#include "vfs_internal.h"

static const uint8_t magic[8] = {0x7F, 'M', 'B', 'V', 'L', 'O', 'G', '1'};

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

mb_wasi_errno mb_virt_log_open(mb_virt_log_reader *r, const uint8_t *data, size_t len) {
  memset(r, 0, sizeof *r);
  if (len < MB_VIRT_LOG_HEADER || memcmp(data, magic, 8) != 0) return MB_WASI_EINVAL;
  if (le32(data + 8) != MB_VIRT_LOG_VERSION) return MB_WASI_ENOTSUP;
  uint32_t n = le32(data + 12);
  if (n > len - MB_VIRT_LOG_HEADER) return MB_WASI_EINVAL;
  r->base = data;
  r->config = data + MB_VIRT_LOG_HEADER;
  r->config_len = n;
  r->p = r->config + n;
  r->end = data + len;
  return MB_WASI_ESUCCESS;
}

void mb_virt_log_header(uint8_t out[MB_VIRT_LOG_HEADER], uint32_t config_len) {
  memcpy(out, magic, 8);
  uint32_t v[2] = {MB_VIRT_LOG_VERSION, config_len};
  for (int k = 0; k < 2; k++)
    for (int i = 0; i < 4; i++) out[8 + 4 * k + i] = (uint8_t)(v[k] >> (8 * i));
}

/* An unsigned LEB128 of at most 10 bytes whose value fits in max. */
static bool uleb(const uint8_t **p, const uint8_t *end, uint64_t max, uint64_t *out) {
  uint64_t v = 0;
  for (unsigned i = 0; i < 10; i++) {
    if (*p == end) return false;
    uint8_t b = *(*p)++;
    if (i == 9 && b > 1) return false; /* bits above 64 */
    v |= (uint64_t)(b & 0x7F) << (7 * i);
    if (!(b & 0x80)) {
      *out = v;
      return v <= max;
    }
  }
  return false;
}

static bool bytes(const uint8_t **p, const uint8_t *end, const uint8_t **out, uint32_t *len) {
  uint64_t n;
  if (!uleb(p, end, UINT32_MAX, &n) || n > (uint64_t)(end - *p)) return false;
  *out = *p;
  *len = (uint32_t)n;
  *p += n;
  return true;
}

int mb_virt_log_next(mb_virt_log_reader *r, mb_virt_log_rec *rec, size_t *offset) {
  memset(rec, 0, sizeof *rec);
  if (!r->p || r->p == r->end) return 0;
  const uint8_t *p = r->p, *end = r->end;
  uint64_t v;
  bool ok = (size_t)(end - p) >= 3;
  if (ok) {
    rec->kind = p[0];
    rec->func = p[1];
    rec->nargs = p[2];
    p += 3;
    ok = rec->kind >= MB_VIRT_LOG_CALL && rec->kind <= MB_VIRT_LOG_EXIT &&
         rec->func < MB_WASI_FUNC_COUNT && rec->nargs <= MB_VIRT_LOG_MAX_ARGS;
  }
  for (unsigned i = 0; ok && i < rec->nargs; i++) ok = uleb(&p, end, UINT64_MAX, &rec->args[i]);
  ok = ok && uleb(&p, end, MB_WASI_ERRNO_COUNT - 1, &v);
  if (ok) rec->err = (uint16_t)v;
  ok = ok && bytes(&p, end, &rec->in, &rec->in_len) && uleb(&p, end, (uint64_t)UINT32_MAX * 2 + 1, &v);
  if (ok) {
    uint64_t n = v >> 1, at;
    rec->out_ref = v & 1;
    if (!rec->out_ref) {
      ok = n <= (uint64_t)(end - p);
      at = (uint64_t)(p - r->base);
      p += ok ? n : 0;
    } else {
      /* earlier bytes of the log: they end at or before this record's start */
      uint64_t here = (uint64_t)(r->p - r->base);
      ok = uleb(&p, end, here, &at) && n <= here - at;
    }
    if (ok) {
      rec->out = r->base + at;
      rec->out_len = (uint32_t)n;
      rec->out_at = at;
    }
  }
  if (!ok) {
    if (offset) *offset = (size_t)(r->p - r->base);
    memset(rec, 0, sizeof *rec);
    return -1;
  }
  r->p = p;
  r->records++;
  return 1;
}

static size_t put_uleb(uint8_t *out, size_t at, size_t cap, uint64_t v) {
  do {
    uint8_t b = v & 0x7F;
    v >>= 7;
    if (v) b |= 0x80;
    if (at < cap) out[at] = b;
    at++;
  } while (v);
  return at;
}

size_t mb_virt_log_encode(const mb_virt_log_rec *rec, uint8_t *out, size_t cap) {
  if (!out) cap = 0;
  size_t n = 0;
  uint8_t head[3] = {rec->kind, rec->func, rec->nargs};
  for (int i = 0; i < 3; i++, n++)
    if (n < cap) out[n] = head[i];
  for (unsigned i = 0; i < rec->nargs && i < MB_VIRT_LOG_MAX_ARGS; i++)
    n = put_uleb(out, n, cap, rec->args[i]);
  n = put_uleb(out, n, cap, rec->err);
  n = put_uleb(out, n, cap, rec->in_len);
  if (n + rec->in_len <= cap && rec->in_len) memcpy(out + n, rec->in, rec->in_len);
  n += rec->in_len;
  n = put_uleb(out, n, cap, (uint64_t)rec->out_len * 2 + rec->out_ref);
  if (rec->out_ref) return put_uleb(out, n, cap, rec->out_at);
  if (n + rec->out_len <= cap && rec->out_len) memcpy(out + n, rec->out, rec->out_len);
  return n + rec->out_len;
}

uint64_t mb_virt_log_hash(uint64_t h, const void *data, size_t n) {
  const uint8_t *p = data;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * UINT64_C(0x100000001b3);
  return h;
}

/* ---- which arguments are pointers, which are paths (shared/ref/wasi-preview1.md) ---- */

uint32_t mb_virt_log_pointer_args(int func) {
  static const uint16_t masks[MB_WASI_FUNC_COUNT] = {
      [0] = 0x3,    [1] = 0x3,   [2] = 0x3,   [3] = 0x3,  [4] = 0x2,  [5] = 0x4,
      [10] = 0x2,   [13] = 0x2,  [16] = 0x12, [17] = 0x2, [18] = 0x2, [19] = 0x12,
      [20] = 0xA,   [21] = 0x12, [23] = 0x8,  [25] = 0x2, [26] = 0xA, [27] = 0x2,
      [28] = 0x14,  [29] = 0x4,  [30] = 0x24, [31] = 0x104, [32] = 0x2A, [33] = 0x2,
      [34] = 0x12,  [35] = 0x9,  [36] = 0x2,  [37] = 0xB, [41] = 0x1, [42] = 0x4,
      [43] = 0x32,  [44] = 0x12,
  };
  return func >= 0 && func < MB_WASI_FUNC_COUNT ? masks[func] : 0;
}

void mb_virt_log_path_args(int func, uint8_t pairs[4]) {
  memset(pairs, 0xFF, 4);
  switch (func) {
  case 27: case 33: case 36: pairs[0] = 1, pairs[1] = 2; break; /* fd, path, len */
  case 28: case 29: case 31: pairs[0] = 2, pairs[1] = 3; break; /* fd, flags, path, len */
  case 32: pairs[0] = 1, pairs[1] = 2; break;
  case 30: pairs[0] = 2, pairs[1] = 3, pairs[2] = 5, pairs[3] = 6; break;
  case 34: pairs[0] = 1, pairs[1] = 2, pairs[2] = 4, pairs[3] = 5; break;
  case 35: pairs[0] = 0, pairs[1] = 1, pairs[2] = 3, pairs[3] = 4; break;
  default: break;
  }
}

/* ---- text ---- */

typedef struct out {
  char *p;
  size_t n, cap; /* cap: room before the "..." and the NUL */
  bool cut;
} out;

static void put(out *o, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (o->n >= o->cap) {
      o->cut = true;
      return;
    }
    o->p[o->n++] = s[i];
  }
}
static void puts_(out *o, const char *s) { put(o, s, strlen(s)); }
static void put_dec(out *o, uint64_t v) {
  char t[20];
  size_t n = 0;
  do t[n++] = (char)('0' + v % 10); while ((v /= 10) != 0);
  while (n) put(o, &t[--n], 1);
}
static const char hex[] = "0123456789abcdef";

/* Up to 32 bytes: quoted when printable text, else hex; "..." after a longer one. */
static void put_bytes(out *o, const uint8_t *b, uint32_t n) {
  uint32_t show = n < 32 ? n : 32;
  bool text = true;
  for (uint32_t i = 0; i < show; i++)
    text &= (b[i] >= 0x20 && b[i] < 0x7F) || b[i] == '\n' || b[i] == '\t' || b[i] == 0;
  if (text) {
    put(o, "\"", 1);
    for (uint32_t i = 0; i < show; i++) {
      char c = (char)b[i];
      if (c == '\n') put(o, "\\n", 2);
      else if (c == '\t') put(o, "\\t", 2);
      else if (c == 0) put(o, "\\0", 2);
      else if (c == '"' || c == '\\') put(o, "\\", 1), put(o, &c, 1);
      else put(o, &c, 1);
    }
    put(o, "\"", 1);
  } else {
    put(o, "0x", 2);
    for (uint32_t i = 0; i < show; i++) {
      char h[2] = {hex[b[i] >> 4], hex[b[i] & 15]};
      put(o, h, 2);
    }
  }
  if (show < n) put(o, "...", 3);
}

size_t mb_virt_log_format(const mb_virt_log_rec *rec, char *buf, size_t cap) {
  if (cap < 64) {
    if (cap) buf[0] = 0;
    return 0;
  }
  out o = {buf, 0, cap - 4, false};
  static const char *const kinds[] = {"?", "call ", "host ", "exit "};
  puts_(&o, kinds[rec->kind <= 3 ? rec->kind : 0]);
  if (rec->kind == MB_VIRT_LOG_EXIT) {
    put_dec(&o, rec->nargs ? rec->args[0] : 0);
  } else {
    puts_(&o, rec->func < MB_WASI_FUNC_COUNT ? mb_wasi_func_names[rec->func] : "?");
    put(&o, "(", 1);
    for (unsigned i = 0; i < rec->nargs && i < MB_VIRT_LOG_MAX_ARGS; i++) {
      if (i) put(&o, ", ", 2);
      put_dec(&o, rec->args[i]);
    }
    put(&o, ")", 1);
    if (rec->in_len) {
      put(&o, " ", 1);
      put_bytes(&o, rec->in, rec->in_len);
    }
    if (rec->kind == MB_VIRT_LOG_HOST) {
      put(&o, " = ", 3);
      put_dec(&o, rec->err);
      put(&o, " (", 2);
      puts_(&o, mb_wasi_errno_name((mb_wasi_errno)rec->err));
      put(&o, ")", 1);
      if (rec->out_len) {
        put(&o, " -> ", 4);
        put_dec(&o, rec->out_len);
        puts_(&o, rec->out_len == 1 ? " byte " : " bytes ");
        put_bytes(&o, rec->out, rec->out_len);
      }
    }
  }
  if (o.cut) {
    memcpy(buf + o.n, "...", 3);
    o.n += 3;
  }
  buf[o.n] = 0;
  return o.n;
}
