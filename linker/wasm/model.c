/* wasm/model.c — questions about a module that every user of the model asks: sizes of
 * the index spaces, the type of a function, an export by name, names of kinds and value
 * types. Kept here once so the linker, wasi-virt's compose and `membrane inspect` do not
 * each answer them their own way. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

char *mb_wasm_strdup(const mb_allocator *alloc, const char *s) {
  size_t n = strlen(s) + 1;
  char *p = mb_mem_alloc(alloc, n);
  if (p) memcpy(p, s, n);
  return p;
}

bool mb_bytes_eq(mb_bytes b, const char *s) {
  size_t n = strlen(s);
  return b.len == n && memcmp(b.ptr, s, n) == 0;
}

bool mb_functype_eq(const mb_functype *a, const mb_functype *b) {
  /* memcmp with a NULL pointer is undefined even for 0 bytes (a type without params) */
  return a->nparams == b->nparams && a->nresults == b->nresults &&
         (!a->nparams || memcmp(a->params, b->params, a->nparams * sizeof *a->params) == 0) &&
         (!a->nresults || memcmp(a->results, b->results, a->nresults * sizeof *a->results) == 0);
}

const mb_functype *mb_module_func_type(const mb_module *m, uint32_t index) {
  uint32_t nimp = m->nimported[MB_KIND_FUNC];
  if (index >= nimp)
    return index - nimp < m->nfuncs ? &m->types[m->func_types[index - nimp]] : NULL;
  for (uint32_t i = 0, k = 0; i < m->nimports; i++)
    if (m->imports[i].kind == MB_KIND_FUNC && k++ == index)
      return &m->types[m->imports[i].u.func_type];
  return NULL;
}

const mb_limits *mb_module_memory(const mb_module *m, uint32_t index) {
  uint32_t nimp = m->nimported[MB_KIND_MEMORY];
  if (index >= nimp) return index - nimp < m->nmemories ? &m->memories[index - nimp] : NULL;
  for (uint32_t i = 0, k = 0; i < m->nimports; i++)
    if (m->imports[i].kind == MB_KIND_MEMORY && k++ == index) return &m->imports[i].u.memory;
  return NULL;
}

int64_t mb_module_find_export(const mb_module *m, const char *name, size_t len, mb_kind kind) {
  for (uint32_t i = 0; i < m->nexports; i++) {
    const mb_export *e = &m->exports[i];
    if (e->kind == kind && e->name.len == len && memcmp(e->name.ptr, name, len) == 0)
      return e->index;
  }
  return -1;
}

bool mb_module_imports_from(const mb_module *m, const char *module) {
  for (uint32_t k = 0; k < m->nimports; k++)
    if (mb_bytes_eq(m->imports[k].module, module)) return true;
  return false;
}

void mb_module_space_sizes(const mb_module *m, uint32_t out[MB_SPACE_COUNT]) {
  out[MB_SPACE_TYPE] = m->ntypes;
  out[MB_SPACE_FUNC] = mb_module_count(m, MB_KIND_FUNC);
  out[MB_SPACE_TABLE] = mb_module_count(m, MB_KIND_TABLE);
  out[MB_SPACE_MEMORY] = mb_module_count(m, MB_KIND_MEMORY);
  out[MB_SPACE_GLOBAL] = mb_module_count(m, MB_KIND_GLOBAL);
  out[MB_SPACE_TAG] = mb_module_count(m, MB_KIND_TAG);
  out[MB_SPACE_ELEM] = m->nelems;
  out[MB_SPACE_DATA] = m->ndatas;
}

mb_space mb_kind_space(mb_kind kind) {
  static const mb_space spaces[MB_KIND_COUNT] = {MB_SPACE_FUNC, MB_SPACE_TABLE, MB_SPACE_MEMORY,
                                                 MB_SPACE_GLOBAL, MB_SPACE_TAG};
  return spaces[kind];
}

uint32_t mb_module_section_count(const mb_module *m, mb_sec sec) {
  switch (sec) {
  case MB_SEC_TYPE: return m->ntypes;
  case MB_SEC_IMPORT: return m->nimports;
  case MB_SEC_FUNCTION: return m->nfuncs;
  case MB_SEC_TABLE: return m->ntables;
  case MB_SEC_MEMORY: return m->nmemories;
  case MB_SEC_TAG: return m->ntags;
  case MB_SEC_GLOBAL: return m->nglobals;
  case MB_SEC_EXPORT: return m->nexports;
  case MB_SEC_START: return m->has_start;
  case MB_SEC_ELEMENT: return m->nelems;
  case MB_SEC_DATACOUNT: return m->has_datacount ? m->ndatas : 0;
  case MB_SEC_CODE: return m->ncodes;
  case MB_SEC_DATA: return m->ndatas;
  default: return 0;
  }
}

const char *mb_kind_name(mb_kind kind) {
  static const char *const names[MB_KIND_COUNT] = {"func", "table", "memory", "global", "tag"};
  return (unsigned)kind < MB_KIND_COUNT ? names[kind] : "?";
}

static const char *code_name(uint8_t code) {
  switch (code) {
  case 0x7F: return "i32";
  case 0x7E: return "i64";
  case 0x7D: return "f32";
  case 0x7C: return "f64";
  case 0x7B: return "v128";
  case 0x78: return "i8";
  case 0x77: return "i16";
  case 0x70: return "funcref";
  case 0x6F: return "externref";
  case 0x69: return "exnref";
  case 0x6E: return "anyref";
  case 0x6D: return "eqref";
  case 0x6C: return "i31ref";
  case 0x6B: return "structref";
  case 0x6A: return "arrayref";
  case 0x71: return "nullref";
  case 0x72: return "nullexternref";
  case 0x73: return "nullfuncref";
  case 0x74: return "nullexnref";
  default: return NULL;
  }
}

static const char *heap_name(uint8_t code) {
  static const char *const names[] = {"exn",    "array", "struct", "i31",    "eq",  "any",
                                      "extern", "func",  "none",   "noextern", "nofunc", "noexn"};
  return code >= 0x69 && code <= 0x74 ? names[code - 0x69] : "?";
}

mb_valtype_text mb_valtype_name(mb_valtype t) {
  mb_valtype_text out;
  uint8_t c = mb_valtype_code(t);
  const char *s = t >> 8 ? NULL : code_name(c);
  if (s) {
    snprintf(out.s, sizeof out.s, "%s", s);
  } else if ((c == MB_VT_REF_NULL || c == MB_VT_REF) && !(t >> 40)) {
    mb_heaptype h = mb_valtype_heap(t);
    const char *null = c == MB_VT_REF_NULL ? "null " : "";
    if (mb_heap_is_index(h)) snprintf(out.s, sizeof out.s, "(ref %s%u)", null, h);
    else snprintf(out.s, sizeof out.s, "(ref %s%s)", null, heap_name((uint8_t)h));
  } else {
    snprintf(out.s, sizeof out.s, "?");
  }
  return out;
}
