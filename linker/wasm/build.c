/* wasm/build.c — building and changing a module: every change to the model's arrays
 * goes through here (or the remapper), and each function marks the sections it changes,
 * so no caller can forget to tell the writer to re-encode them. Arrays live in the
 * module's arena and grow geometrically (mb_module.room). */
#include <string.h>

#include "internal.h"

static mb_err nomem(mb_diag *diag) {
  return mb_wasm_fail(diag, MB_ERR_NOMEM, 0, "out of memory while building a module");
}

/* Room for `more` items past the n in *arr, whose allocated length is *room (0: exactly
 * n, as read). The old array is left to the arena. */
static bool grow(mb_module *m, void **arr, uint32_t n, uint32_t *room, size_t elem, uint32_t more) {
  uint32_t have = *room > n ? *room : n;
  if (more <= have - n) return true;
  if (more > UINT32_MAX - n) return false;
  uint64_t want = (uint64_t)n + more, cap = have ? (uint64_t)have * 2 : 16;
  if (cap < want) cap = want;
  if (cap > UINT32_MAX) cap = UINT32_MAX;
  void *p = mb_wasm_arena_array(m->arena, (size_t)cap, elem);
  if (!p) return false;
  if (n) memcpy(p, *arr, (size_t)n * elem);
  *arr = p;
  *room = (uint32_t)cap;
  return true;
}

/* func_types and codes grow together (one room for both). */
static bool grow_funcs(mb_module *m, uint32_t more) {
  uint32_t r1 = m->room[MB_SEC_FUNCTION], r2 = r1;
  if (!grow(m, (void **)&m->func_types, m->nfuncs, &r1, sizeof *m->func_types, more) ||
      !grow(m, (void **)&m->codes, m->ncodes, &r2, sizeof *m->codes, more))
    return false;
  m->room[MB_SEC_FUNCTION] = r1 < r2 ? r1 : r2;
  return true;
}

mb_err mb__module_grow(mb_module *m, mb_sec sec, uint32_t more) {
  uint32_t *room = &m->room[sec];
  bool ok;
  switch (sec) {
  case MB_SEC_TYPE: {
    /* typedefs, when the module has them, grow with types (one room for both) */
    uint32_t r1 = *room, r2 = *room;
    ok = grow(m, (void **)&m->types, m->ntypes, &r1, sizeof *m->types, more) &&
         (!m->typedefs || grow(m, (void **)&m->typedefs, m->ntypes, &r2, sizeof *m->typedefs, more));
    if (ok) *room = m->typedefs && r2 < r1 ? r2 : r1;
    break;
  }
  case MB_SEC_IMPORT: ok = grow(m, (void **)&m->imports, m->nimports, room, sizeof *m->imports, more); break;
  case MB_SEC_FUNCTION: case MB_SEC_CODE: ok = grow_funcs(m, more); break;
  case MB_SEC_TABLE: ok = grow(m, (void **)&m->tables, m->ntables, room, sizeof *m->tables, more); break;
  case MB_SEC_MEMORY: ok = grow(m, (void **)&m->memories, m->nmemories, room, sizeof *m->memories, more); break;
  case MB_SEC_TAG: ok = grow(m, (void **)&m->tag_types, m->ntags, room, sizeof *m->tag_types, more); break;
  case MB_SEC_GLOBAL: ok = grow(m, (void **)&m->globals, m->nglobals, room, sizeof *m->globals, more); break;
  case MB_SEC_EXPORT: ok = grow(m, (void **)&m->exports, m->nexports, room, sizeof *m->exports, more); break;
  case MB_SEC_ELEMENT: ok = grow(m, (void **)&m->elems, m->nelems, room, sizeof *m->elems, more); break;
  case MB_SEC_DATA: ok = grow(m, (void **)&m->datas, m->ndatas, room, sizeof *m->datas, more); break;
  case MB_SEC_COUNT: ok = grow(m, (void **)&m->customs, m->ncustoms, room, sizeof *m->customs, more); break;
  default: ok = true; /* start, data count: no array */
  }
  return ok ? MB_OK : MB_ERR_NOMEM;
}

mb_err mb_module_reserve(mb_module *m, mb_sec sec, uint32_t more, mb_diag *diag) {
  return mb__module_grow(m, sec, more) ? nomem(diag) : MB_OK;
}

/* A copy of p[0..n) in m's arena (at least one byte, so the result is never NULL). */
static const uint8_t *copy(mb_module *m, const void *p, size_t n) {
  uint8_t *q = mb_wasm_arena_alloc(m->arena, n ? n : 1);
  if (q && n) memcpy(q, p, n);
  return q;
}

static bool copy_bytes(mb_module *m, mb_bytes *b) {
  if (!b->len) return true;
  const uint8_t *p = copy(m, b->ptr, b->len);
  if (p) b->ptr = p;
  return p != NULL;
}

mb_err mb_module_add_type(mb_module *m, const mb_functype *t, uint32_t *index, mb_diag *diag) {
  mb_valtype *p = mb_wasm_arena_array(m->arena, (size_t)t->nparams + t->nresults + 1, sizeof *p);
  if (!p || mb__module_grow(m, MB_SEC_TYPE, 1)) return nomem(diag);
  if (t->nparams) memcpy(p, t->params, t->nparams * sizeof *p);
  if (t->nresults) memcpy(p + t->nparams, t->results, t->nresults * sizeof *p);
  m->types[m->ntypes] = (mb_functype){t->nparams, t->nresults, p, p + t->nparams};
  if (m->typedefs)
    m->typedefs[m->ntypes] = (mb_typedef){.form = MB_COMP_FUNC, .rec = m->ntypes, .rec_size = 1};
  *index = m->ntypes++;
  mb_module_mark_dirty(m, MB_SEC_TYPE);
  return MB_OK;
}

mb_err mb_module_intern_type(mb_module *m, const mb_functype *t, uint32_t *index, mb_diag *diag) {
  for (uint32_t i = 0; i < m->ntypes; i++)
    if ((!m->typedefs || m->typedefs[i].form == MB_COMP_FUNC) && mb_functype_eq(&m->types[i], t)) {
      *index = i;
      return MB_OK;
    }
  return mb_module_add_type(m, t, index, diag);
}

static uint32_t defined(const mb_module *m, mb_kind kind) {
  return mb_module_count(m, kind) - m->nimported[kind];
}

mb_err mb_module_add_import(mb_module *m, const mb_import *im, uint32_t *index, mb_diag *diag) {
  if ((unsigned)im->kind >= MB_KIND_COUNT || defined(m, im->kind))
    return mb_wasm_fail(diag, MB_ERR_INVALID_ARG, 0,
                        "an import added after a definition of its kind would renumber it");
  mb_import x = *im;
  if (!copy_bytes(m, &x.module) || !copy_bytes(m, &x.field) || mb__module_grow(m, MB_SEC_IMPORT, 1))
    return nomem(diag);
  m->imports[m->nimports++] = x;
  uint32_t i = m->nimported[x.kind]++;
  if (index) *index = i;
  mb_module_mark_dirty(m, MB_SEC_IMPORT);
  return MB_OK;
}

mb_err mb_module_add_func(mb_module *m, uint32_t type, const uint8_t *body, size_t len,
                          uint32_t *index, mb_diag *diag) {
  const uint8_t *p = copy(m, body, len);
  if (!p || len > UINT32_MAX || mb__module_grow(m, MB_SEC_FUNCTION, 1)) return nomem(diag);
  m->func_types[m->nfuncs] = type;
  m->codes[m->ncodes++] = (mb_code){{p, (uint32_t)len}, 0, NULL};
  if (index) *index = m->nimported[MB_KIND_FUNC] + m->nfuncs;
  m->nfuncs++;
  mb_module_mark_dirty(m, MB_SEC_FUNCTION);
  mb_module_mark_dirty(m, MB_SEC_CODE);
  return MB_OK;
}

mb_err mb_module_add_memory(mb_module *m, const mb_limits *mem, uint32_t *index, mb_diag *diag) {
  if (mb__module_grow(m, MB_SEC_MEMORY, 1)) return nomem(diag);
  m->memories[m->nmemories] = *mem;
  if (index) *index = m->nimported[MB_KIND_MEMORY] + m->nmemories;
  m->nmemories++;
  mb_module_mark_dirty(m, MB_SEC_MEMORY);
  return MB_OK;
}

mb_err mb_module_add_global(mb_module *m, const mb_global *g, uint32_t *index, mb_diag *diag) {
  mb_global x = *g;
  if (!copy_bytes(m, &x.init) || mb__module_grow(m, MB_SEC_GLOBAL, 1)) return nomem(diag);
  m->globals[m->nglobals] = x;
  if (index) *index = m->nimported[MB_KIND_GLOBAL] + m->nglobals;
  m->nglobals++;
  mb_module_mark_dirty(m, MB_SEC_GLOBAL);
  return MB_OK;
}

mb_err mb_module_add_export(mb_module *m, const char *name, size_t len, mb_kind kind,
                            uint32_t index, mb_diag *diag) {
  const uint8_t *p = copy(m, name, len);
  if (!p || len > UINT32_MAX || mb__module_grow(m, MB_SEC_EXPORT, 1)) return nomem(diag);
  m->exports[m->nexports++] = (mb_export){{p, (uint32_t)len}, kind, index};
  mb_module_mark_dirty(m, MB_SEC_EXPORT);
  return MB_OK;
}

mb_err mb_module_add_elem(mb_module *m, const mb_elem *seg, uint32_t *index, mb_diag *diag) {
  mb_elem x = *seg;
  bool ok = copy_bytes(m, &x.offset);
  if (ok && x.exprs) {
    mb_bytes *items = mb_wasm_arena_array(m->arena, x.count ? x.count : 1, sizeof *items);
    ok = items != NULL;
    for (uint32_t k = 0; ok && k < x.count; k++) {
      items[k] = seg->items[k];
      ok = copy_bytes(m, &items[k]);
    }
    x.items = items;
  } else if (ok) {
    x.funcs = (uint32_t *)copy(m, seg->funcs, (size_t)x.count * sizeof *x.funcs);
    ok = x.funcs != NULL;
  }
  if (!ok || mb__module_grow(m, MB_SEC_ELEMENT, 1)) return nomem(diag);
  if (index) *index = m->nelems;
  m->elems[m->nelems++] = x;
  mb_module_mark_dirty(m, MB_SEC_ELEMENT);
  return MB_OK;
}

mb_err mb_module_add_data(mb_module *m, const mb_data *seg, uint32_t *index, mb_diag *diag) {
  mb_data x = *seg;
  if (!copy_bytes(m, &x.offset) || mb__module_grow(m, MB_SEC_DATA, 1)) return nomem(diag);
  if (index) *index = m->ndatas;
  m->datas[m->ndatas++] = x;
  mb_module_mark_dirty(m, MB_SEC_DATA);
  mb_module_mark_dirty(m, MB_SEC_DATACOUNT); /* its count, when the module has one */
  return MB_OK;
}

mb_err mb_module_add_custom(mb_module *m, const char *name, const uint8_t *payload, size_t len,
                            mb_sec before, mb_diag *diag) {
  size_t nlen = strlen(name);
  const uint8_t *n = copy(m, name, nlen), *p = copy(m, payload, len);
  if (!n || !p || len > UINT32_MAX || nlen > UINT32_MAX || mb__module_grow(m, MB_SEC_COUNT, 1))
    return nomem(diag);
  m->customs[m->ncustoms++] = (mb_custom){.name = {n, (uint32_t)nlen},
                                          .payload = {p, (uint32_t)len},
                                          .before = before};
  return MB_OK;
}

mb_err mb_module_set_code(mb_module *m, uint32_t i, const uint8_t *body, size_t len,
                          mb_diag *diag) {
  if (i >= m->ncodes) return mb_wasm_fail(diag, MB_ERR_INVALID_ARG, 0, "no function body %u", i);
  const uint8_t *p = copy(m, body, len);
  if (!p || len > UINT32_MAX) return nomem(diag);
  m->codes[i] = (mb_code){{p, (uint32_t)len}, m->codes[i].offset, NULL};
  mb_module_mark_dirty(m, MB_SEC_CODE);
  return MB_OK;
}

void mb_module_set_start(mb_module *m, uint32_t func) {
  m->has_start = true;
  m->start = func;
  mb_module_mark_dirty(m, MB_SEC_START);
}

void mb_module_set_datacount(mb_module *m, bool on) {
  m->has_datacount = on;
  mb_module_mark_dirty(m, MB_SEC_DATACOUNT);
}

void mb_module_truncate_memories(mb_module *m, uint32_t n) {
  if (n < m->nmemories) m->nmemories = n;
  mb_module_mark_dirty(m, MB_SEC_MEMORY);
}

#define EDIT(fn, type, arr, count, sec)            \
  type *fn(mb_module *m, uint32_t i) {            \
    if (i >= m->count) return NULL;                \
    mb_module_mark_dirty(m, sec);                  \
    return &m->arr[i];                             \
  }
EDIT(mb_module_edit_global, mb_global, globals, nglobals, MB_SEC_GLOBAL)
EDIT(mb_module_edit_table, mb_table, tables, ntables, MB_SEC_TABLE)
EDIT(mb_module_edit_export, mb_export, exports, nexports, MB_SEC_EXPORT)
EDIT(mb_module_edit_elem, mb_elem, elems, nelems, MB_SEC_ELEMENT)
EDIT(mb_module_edit_data, mb_data, datas, ndatas, MB_SEC_DATA)
#undef EDIT
