/* types.c — value type codes and section ids. */
#include "internal.h"

bool mb__is_reftype(uint8_t code) { return code >= 0x69 && code <= 0x74; }

bool mb__is_valtype(uint8_t code) {
  return (code >= 0x7B && code <= 0x7F) || mb__is_reftype(code);
}

mb_err mb__heaptype(mb_wasm_reader *r, mb_heaptype *out, uint32_t type_limit, const char *what) {
  uint64_t off = mb_wasm_off(r);
  if (r->pos < r->end && mb__is_reftype(*r->pos)) {
    *out = MB_HEAP_ABSTRACT | *r->pos++;
    return MB_OK;
  }
  int64_t v;
  mb_err e = mb_wasm_s33(r, &v, what);
  if (e) return e;
  if (v < 0)
    return mb_wasm_fail(r->diag, MB_ERR_BAD_TYPE, off, "malformed heap type %lld in %s",
                        (long long)v, what);
  if ((uint64_t)v >= type_limit)
    return mb_wasm_fail(r->diag, MB_ERR_INDEX_RANGE, off,
                        "unknown type %lld in %s: type index out of range (%u types)", (long long)v,
                        what, type_limit);
  *out = (mb_heaptype)v;
  return MB_OK;
}

/* The rest of a reference type whose first byte c was read (0x63/0x64 or a shorthand). */
static mb_err ref_rest(mb_wasm_reader *r, uint8_t c, mb_valtype *out, uint32_t type_limit,
                       const char *what) {
  mb_heaptype ht;
  if (c != MB_VT_REF_NULL && c != MB_VT_REF) {
    *out = c;
    return MB_OK;
  }
  mb_err e = mb__heaptype(r, &ht, type_limit, what);
  if (e) return e;
  *out = mb_valtype_ref(c == MB_VT_REF_NULL, ht);
  return MB_OK;
}

mb_err mb_wasm_valtype(mb_wasm_reader *r, mb_valtype *out, uint32_t type_limit, const char *what) {
  return mb__valtype(r, out, type_limit, what);
}

mb_err mb__valtype(mb_wasm_reader *r, mb_valtype *out, uint32_t type_limit, const char *what) {
  uint64_t off = mb_wasm_off(r);
  uint8_t b;
  mb_err e = mb_wasm_byte(r, &b, what);
  if (e) return e;
  if (b >= 0x7B && b <= 0x7F) {
    *out = b;
    return MB_OK;
  }
  if (b == MB_VT_REF_NULL || b == MB_VT_REF || mb__is_reftype(b))
    return ref_rest(r, b, out, type_limit, what);
  return mb_wasm_fail(r->diag, MB_ERR_BAD_TYPE, off, "malformed value type 0x%02x in %s", b, what);
}

mb_err mb__reftype(mb_wasm_reader *r, mb_valtype *out, uint32_t type_limit, const char *what) {
  uint64_t off = mb_wasm_off(r);
  uint8_t b;
  mb_err e = mb_wasm_byte(r, &b, what);
  if (e) return e;
  if (b == MB_VT_REF_NULL || b == MB_VT_REF || mb__is_reftype(b))
    return ref_rest(r, b, out, type_limit, what);
  return mb_wasm_fail(r->diag, MB_ERR_BAD_TYPE, off, "malformed reference type 0x%02x in %s", b,
                      what);
}

mb_err mb__storagetype(mb_wasm_reader *r, mb_valtype *out, uint32_t type_limit, const char *what) {
  if (r->pos < r->end && (*r->pos == MB_PACKED_I8 || *r->pos == MB_PACKED_I16)) {
    *out = *r->pos++;
    return MB_OK;
  }
  return mb__valtype(r, out, type_limit, what);
}

uint32_t mb__valtype_features(mb_valtype t) {
  uint8_t c = mb_valtype_code(t);
  uint32_t f = 0;
  if (c == MB_VT_REF_NULL || c == MB_VT_REF) f |= MB_FEAT_TYPED_FUNC_REFS;
  if (mb_valtype_is_ref(t)) {
    mb_heaptype h = mb_valtype_heap(t);
    if (!mb_heap_is_index(h) && (h & 0xFF) >= 0x6A && (h & 0xFF) <= 0x6E) f |= MB_FEAT_GC;
    if (!mb_heap_is_index(h) && (h & 0xFF) == 0x71) f |= MB_FEAT_GC;
    if (!mb_heap_is_index(h) && ((h & 0xFF) == 0x70 || (h & 0xFF) == 0x6F))
      f |= MB_FEAT_REFERENCE_TYPES;
  }
  return f;
}

void mb__put_heaptype(mb_buf *b, mb_heaptype h) {
  if (mb_heap_is_index(h)) mb_buf_s64(b, (int64_t)h);
  else mb_buf_byte(b, (uint8_t)h);
}

bool mb_buf_valtype(mb_buf *b, mb_valtype t) {
  uint8_t c = mb_valtype_code(t);
  mb_buf_byte(b, c);
  if (c == MB_VT_REF_NULL || c == MB_VT_REF) mb__put_heaptype(b, mb_valtype_heap(t));
  return !b->failed;
}

static const uint8_t sec_ids[MB_SEC_COUNT] = {1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11};
static const char *const sec_names[MB_SEC_COUNT] = {
    "type", "import", "function", "table", "memory", "tag", "global",
    "export", "start", "element", "data count", "code", "data"};

uint8_t mb_sec_id(mb_sec sec) { return sec < MB_SEC_COUNT ? sec_ids[sec] : 0; }

int mb_sec_from_id(uint8_t id) {
  for (int i = 0; i < MB_SEC_COUNT; i++)
    if (sec_ids[i] == id) return i;
  return -1;
}

const char *mb_sec_name(mb_sec sec) { return sec < MB_SEC_COUNT ? sec_names[sec] : "custom"; }

uint32_t mb_module_count(const mb_module *m, mb_kind kind) {
  uint32_t defined = 0;
  switch (kind) {
  case MB_KIND_FUNC: defined = m->nfuncs; break;
  case MB_KIND_TABLE: defined = m->ntables; break;
  case MB_KIND_MEMORY: defined = m->nmemories; break;
  case MB_KIND_GLOBAL: defined = m->nglobals; break;
  case MB_KIND_TAG: defined = m->ntags; break;
  }
  return m->nimported[kind] + defined;
}
