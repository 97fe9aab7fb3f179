/* types.c — value type codes and section ids. */
#include "internal.h"

bool mb__is_reftype(uint8_t code) { return code >= 0x69 && code <= 0x74; }

bool mb__is_valtype(uint8_t code) {
  return (code >= 0x7B && code <= 0x7F) || mb__is_reftype(code);
}

mb_err mb__valtype(mb_wasm_reader *r, uint8_t *out, const char *what) {
  uint64_t off = mb_wasm_off(r);
  uint8_t b;
  mb_err e = mb_wasm_byte(r, &b, what);
  if (e) return e;
  if (b == 0x63 || b == 0x64)
    return mb_wasm_fail(r->diag, MB_ERR_UNSUPPORTED, off,
                        "unsupported feature: typed reference type 0x%02x in %s (typed function "
                        "references / GC are not supported by membrane yet)",
                        b, what);
  if (!mb__is_valtype(b))
    return mb_wasm_fail(r->diag, MB_ERR_BAD_TYPE, off, "malformed value type 0x%02x in %s", b, what);
  *out = b;
  return MB_OK;
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
