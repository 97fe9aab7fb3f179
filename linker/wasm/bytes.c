/* bytes.c — the bounds-checked reader: bytes, LEB128, names, sub-readers. */
#include <string.h>

#include "internal.h"

mb_err mb_wasm_byte_slow(mb_wasm_reader *r, uint8_t *out, const char *what) {
  if (r->pos >= r->end)
    return mb_wasm_fail(r->diag, MB_ERR_UNEXPECTED_END, mb_wasm_off(r), "unexpected end: expected %s",
                        what);
  *out = *r->pos++;
  return MB_OK;
}

mb_err mb_wasm_bytes(mb_wasm_reader *r, size_t n, const uint8_t **out, const char *what) {
  if (mb_wasm_left(r) < n)
    return mb_wasm_fail(r->diag, MB_ERR_UNEXPECTED_END, mb_wasm_off(r),
                        "unexpected end: expected %zu bytes of %s, %zu left", n, what, mb_wasm_left(r));
  *out = r->pos;
  r->pos += n;
  return MB_OK;
}

/* Unsigned LEB128 of `bits` width (32 or 64): at most ceil(bits/7) bytes, unused bits of
 * the last byte must be zero. */
static mb_err read_uleb(mb_wasm_reader *r, unsigned bits, uint64_t *out, const char *what) {
  uint64_t result = 0;
  unsigned shift = 0, max_bytes = (bits + 6) / 7;
  uint64_t start = mb_wasm_off(r);
  for (unsigned i = 0;; i++) {
    if (r->pos >= r->end)
      return mb_wasm_fail(r->diag, MB_ERR_UNEXPECTED_END, start, "unexpected end: expected %s",
                          what);
    uint8_t b = *r->pos++;
    if (i == max_bytes - 1) {
      if (b & 0x80)
        return mb_wasm_fail(r->diag, MB_ERR_LEB_TOO_LONG, start,
                            "integer representation too long in %s", what);
      if (bits - shift < 7 && (b >> (bits - shift)))
        return mb_wasm_fail(r->diag, MB_ERR_LEB_TOO_LARGE, start, "integer too large in %s", what);
    }
    result |= (uint64_t)(b & 0x7F) << shift;
    shift += 7;
    if (!(b & 0x80)) break;
  }
  *out = result;
  return MB_OK;
}

static mb_err read_sleb(mb_wasm_reader *r, unsigned bits, int64_t *out, const char *what) {
  uint64_t result = 0;
  unsigned shift = 0, max_bytes = (bits + 6) / 7;
  uint64_t start = mb_wasm_off(r);
  uint8_t b = 0;
  for (unsigned i = 0;; i++) {
    if (r->pos >= r->end)
      return mb_wasm_fail(r->diag, MB_ERR_UNEXPECTED_END, start, "unexpected end: expected %s",
                          what);
    b = *r->pos++;
    if (i == max_bytes - 1) {
      if (b & 0x80)
        return mb_wasm_fail(r->diag, MB_ERR_LEB_TOO_LONG, start,
                            "integer representation too long in %s", what);
      unsigned used = bits - shift; /* value bits in this byte, 1..7 */
      if (used < 7) {
        uint8_t hi = (uint8_t)((b & 0x7F) >> (used - 1));
        uint8_t all = (uint8_t)(0x7F >> (used - 1));
        if (hi != 0 && hi != all)
          return mb_wasm_fail(r->diag, MB_ERR_LEB_TOO_LARGE, start, "integer too large in %s",
                              what);
      }
    }
    result |= (uint64_t)(b & 0x7F) << shift;
    shift += 7;
    if (!(b & 0x80)) break;
  }
  if (shift < 64 && (b & 0x40)) result |= ~(uint64_t)0 << shift;
  *out = (int64_t)result;
  return MB_OK;
}

mb_err mb_wasm_u32_slow(mb_wasm_reader *r, uint32_t *out, const char *what) {
  uint64_t v = 0; /* gcc -O3 thinks it may be unset */
  mb_err e = read_uleb(r, 32, &v, what);
  if (e == MB_OK) *out = (uint32_t)v;
  return e;
}
mb_err mb_wasm_u64_slow(mb_wasm_reader *r, uint64_t *out, const char *what) { return read_uleb(r, 64, out, what); }
mb_err mb_wasm_s32_slow(mb_wasm_reader *r, int32_t *out, const char *what) {
  int64_t v = 0;
  mb_err e = read_sleb(r, 32, &v, what);
  if (e == MB_OK) *out = (int32_t)v;
  return e;
}
mb_err mb_wasm_s33_slow(mb_wasm_reader *r, int64_t *out, const char *what) { return read_sleb(r, 33, out, what); }
mb_err mb_wasm_s64_slow(mb_wasm_reader *r, int64_t *out, const char *what) { return read_sleb(r, 64, out, what); }

bool mb_wasm_utf8_valid(const uint8_t *p, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t c = p[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t len;
    uint32_t cp, min;
    if ((c & 0xE0) == 0xC0) len = 2, cp = c & 0x1F, min = 0x80;
    else if ((c & 0xF0) == 0xE0) len = 3, cp = c & 0x0F, min = 0x800;
    else if ((c & 0xF8) == 0xF0) len = 4, cp = c & 0x07, min = 0x10000;
    else return false;
    if (n - i < len) return false;
    for (size_t k = 1; k < len; k++) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

mb_err mb_wasm_name(mb_wasm_reader *r, mb_bytes *out, const char *what) {
  uint32_t n;
  const uint8_t *p;
  uint64_t at = mb_wasm_off(r);
  mb_err e = mb_wasm_u32(r, &n, what);
  if (e) return e;
  if ((e = mb_wasm_bytes(r, n, &p, what))) return e;
  if (!mb_wasm_utf8_valid(p, n))
    return mb_wasm_fail(r->diag, MB_ERR_BAD_UTF8, at, "malformed UTF-8 encoding in %s", what);
  out->ptr = p;
  out->len = n;
  return MB_OK;
}

mb_err mb_wasm_sub(mb_wasm_reader *r, size_t n, mb_wasm_reader *sub, const char *what) {
  const uint8_t *p;
  uint64_t at = mb_wasm_off(r);
  mb_err e = mb_wasm_bytes(r, n, &p, what);
  if (e) return e;
  sub->start = sub->pos = p;
  sub->end = p + n;
  sub->base = at;
  sub->diag = r->diag;
  sub->alloc = r->alloc;
  return MB_OK;
}

mb_err mb_wasm_expect_end(mb_wasm_reader *r, const char *what) {
  if (r->pos != r->end)
    return mb_wasm_fail(r->diag, MB_ERR_SECTION_SIZE, mb_wasm_off(r),
                        "section size mismatch: %zu unread bytes at the end of %s", mb_wasm_left(r),
                        what);
  return MB_OK;
}

unsigned mb__put_u64(uint8_t *dst, uint64_t v) {
  unsigned n = 0;
  do {
    uint8_t b = v & 0x7F;
    v >>= 7;
    dst[n++] = (uint8_t)(b | (v ? 0x80 : 0));
  } while (v);
  return n;
}

unsigned mb__put_s64(uint8_t *dst, int64_t v) {
  unsigned n = 0;
  for (;;) {
    uint8_t b = (uint8_t)(v & 0x7F);
    v >>= 7; /* arithmetic shift: implementation-defined but universal; gcc/clang do it */
    bool done = (v == 0 && !(b & 0x40)) || (v == -1 && (b & 0x40));
    dst[n++] = (uint8_t)(b | (done ? 0 : 0x80));
    if (done) return n;
  }
}

unsigned mb_leb_size(uint64_t v) {
  unsigned n = 1;
  while (v >>= 7) n++;
  return n;
}

/* The buffer itself (init, append, reserve) is membrane_alloc.h's; the LEB128 writers
 * are the model's. */
bool mb_buf_u64(mb_buf *b, uint64_t v) {
  uint8_t tmp[10];
  return mb_buf_append(b, tmp, mb__put_u64(tmp, v));
}
bool mb_buf_u32(mb_buf *b, uint32_t v) { return mb_buf_u64(b, v); }
bool mb_buf_s64(mb_buf *b, int64_t v) {
  uint8_t tmp[10];
  return mb_buf_append(b, tmp, mb__put_s64(tmp, v));
}
bool mb_buf_s32(mb_buf *b, int32_t v) { return mb_buf_s64(b, v); }
