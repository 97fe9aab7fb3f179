/* remap.c — renumber every reference to every index space of a module: sections,
 * segments, constant expressions, code bodies and the name section. Definitions keep
 * their order (mb_module_remap), move with their index (mb_module_permute), or are
 * copied into another module (mb_module_append, the linker's fusion), all through the
 * same per-item functions. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static uint32_t map1(const mb_remap *rm, mb_space s, uint32_t v) {
  const uint32_t *map = rm->map[s];
  return map && v < rm->count[s] ? map[v] : v;
}

static mb_valtype map_valtype(const mb_remap *rm, mb_valtype t) {
  if (!mb_valtype_has_index(t)) return t;
  return mb_valtype_ref(mb_valtype_nullable(t), map1(rm, MB_SPACE_TYPE, mb_valtype_heap(t)));
}

/* A signature's value types through the map: a new array only when one refers to a type
 * (the arrays may be shared or constant, so they are never written in place). */
static mb_err map_valtypes(mb_module *m, const mb_remap *rm, const mb_valtype **v, uint32_t n,
                           mb_diag *diag) {
  uint32_t k = 0;
  while (k < n && !mb_valtype_has_index((*v)[k])) k++;
  if (k == n) return MB_OK;
  mb_valtype *copy = mb_wasm_arena_array(m->arena, n, sizeof *copy);
  if (!copy) return mb_wasm_fail(diag, MB_ERR_NOMEM, 0, "out of memory while remapping");
  for (k = 0; k < n; k++) copy[k] = map_valtype(rm, (*v)[k]);
  *v = copy;
  return MB_OK;
}

/* Type indices inside the type section: signatures, fields, supertypes, rec groups. */
static mb_err remap_types(mb_module *m, const mb_remap *rm, mb_diag *diag) {
  mb_err e = MB_OK;
  if (!rm->map[MB_SPACE_TYPE]) return MB_OK;
  for (uint32_t i = 0; i < m->ntypes && !e; i++) {
    mb_functype *t = &m->types[i];
    if (!(e = map_valtypes(m, rm, &t->params, t->nparams, diag)))
      e = map_valtypes(m, rm, &t->results, t->nresults, diag);
    if (!m->typedefs) continue;
    /* rec is where the group starts among the definitions, which do not move here */
    mb_typedef *td = &m->typedefs[i];
    if (td->has_super) td->super = map1(rm, MB_SPACE_TYPE, td->super);
    for (uint32_t k = 0; k < td->nfields; k++)
      td->fields[k].type = map_valtype(rm, td->fields[k].type);
  }
  return e;
}

/* Copy a rewritten expression or body into the arena. */
static mb_err keep(mb_module *m, const mb_buf *b, mb_bytes *out, mb_diag *diag) {
  uint8_t *p = mb_wasm_arena_alloc(m->arena, b->len);
  if (!p) return mb_wasm_fail(diag, MB_ERR_NOMEM, 0, "out of memory while remapping");
  /* an empty result (a name section with no subsections) has never allocated: data is
   * NULL, which memcpy may not be given even for 0 bytes */
  if (b->len) memcpy(p, b->data, b->len);
  out->ptr = p;
  out->len = (uint32_t)b->len;
  return MB_OK;
}

static mb_err remap_expr(mb_module *m, const mb_remap *rm, mb_bytes *expr, mb_buf *tmp,
                         mb_diag *diag) {
  if (!expr->len) return MB_OK;
  tmp->len = 0;
  mb_err e = mb_const_expr_rewrite(expr->ptr, expr->len, 0, rm, tmp, diag);
  return e ? e : keep(m, tmp, expr, diag);
}

static bool check_counts(const mb_module *m, const mb_remap *rm, mb_diag *diag) {
  uint32_t sizes[MB_SPACE_COUNT];
  mb_module_space_sizes(m, sizes);
  for (int s = 0; s < MB_SPACE_COUNT; s++)
    if (rm->map[s] && rm->count[s] != sizes[s]) {
      mb_wasm_fail(diag, MB_ERR_INVALID_ARG, 0, "remap table %d has %u entries, the module has %u", s,
                   rm->count[s], sizes[s]);
      return false;
    }
  return true;
}

/* ---- name section ---- */

typedef struct name_entry {
  uint32_t key;
  const uint8_t *rest; /* the entry after its key: a name, or an inner name map */
  uint32_t len;
} name_entry;

static int by_key(const void *a, const void *b) {
  uint32_t x = ((const name_entry *)a)->key, y = ((const name_entry *)b)->key;
  return x < y ? -1 : x > y;
}

/* Skip one name map (vec(u32 name)) in r. */
static mb_err skip_namemap(mb_wasm_reader *r) {
  uint32_t n, k;
  mb_bytes name;
  mb_err e = mb_wasm_u32(r, &n, "name map");
  for (uint32_t i = 0; !e && i < n; i++)
    if (!(e = mb_wasm_u32(r, &k, "name index"))) e = mb_wasm_name(r, &name, "name");
  return e;
}

/* Rewrite one map subsection: keys through `space` (or unchanged when none), entries
 * re-sorted by their new key. */
static mb_err remap_map(mb_wasm_reader *r, const mb_remap *rm, int space, bool indirect,
                        mb_buf *out) {
  uint32_t n;
  mb_err e = mb_wasm_u32(r, &n, "name map");
  if (e) return e;
  if (n > mb_wasm_left(r)) return MB_ERR_UNEXPECTED_END;
  name_entry *v = mb_mem_calloc(&out->alloc, n ? n : 1, sizeof *v);
  if (!v) return MB_ERR_NOMEM;
  for (uint32_t i = 0; i < n && !e; i++) {
    uint32_t key;
    mb_bytes name;
    if ((e = mb_wasm_u32(r, &key, "name index"))) break;
    const uint8_t *start = r->pos;
    e = indirect ? skip_namemap(r) : mb_wasm_name(r, &name, "name");
    v[i].key = space >= 0 ? map1(rm, (mb_space)space, key) : key;
    v[i].rest = start;
    v[i].len = (uint32_t)(r->pos - start);
  }
  if (!e) {
    qsort(v, n, sizeof *v, by_key);
    mb_buf_u32(out, n);
    for (uint32_t i = 0; i < n; i++) {
      mb_buf_u32(out, v[i].key);
      mb_buf_append(out, v[i].rest, v[i].len);
    }
  }
  mb_mem_free(&out->alloc, v);
  return e;
}

static int name_subsection_space(uint8_t id, bool gc) {
  switch (id) {
  case 1: case 2: case 3: return MB_SPACE_FUNC;
  case 4: return MB_SPACE_TYPE;
  case 5: return MB_SPACE_TABLE;
  case 6: return MB_SPACE_MEMORY;
  case 7: return MB_SPACE_GLOBAL;
  case 8: return MB_SPACE_ELEM;
  case 9: return MB_SPACE_DATA;
  /* 10 is field names in 3.0 (keyed by type) but tag names in wabt 1.0.32, which
   * writes no GC types: a module with GC types means fields there. */
  case 10: return gc ? MB_SPACE_TYPE : MB_SPACE_TAG;
  case 11: return MB_SPACE_TAG;
  default: return -1;
  }
}

/* Rewrite the name section payload. MB_ERR_NOMEM when a buffer could not grow; any
 * other error means it cannot be parsed (the caller drops it rather than keep names that
 * point at the wrong entities). Out of memory must not pass for unparseable: that would
 * drop the names silently. */
static mb_err remap_names(const mb_bytes *payload, const mb_remap *rm, bool gc, mb_buf *out) {
  mb_wasm_reader r = {payload->ptr, payload->ptr, payload->ptr + payload->len, 0, NULL, &out->alloc};
  mb_buf sub;
  mb_buf_init(&sub, &out->alloc);
  mb_err e = MB_OK;
  while (!e && r.pos < r.end) {
    uint8_t id;
    uint32_t size;
    mb_wasm_reader s;
    if ((e = mb_wasm_byte(&r, &id, "name subsection")) || (e = mb_wasm_u32(&r, &size, "size")) ||
        (e = mb_wasm_sub(&r, size, &s, "name subsection")))
      break;
    int space = name_subsection_space(id, gc);
    if (id == 0 || space < 0) { /* module name or unknown: copy */
      mb_buf_byte(out, id);
      mb_buf_u32(out, size);
      mb_buf_append(out, s.start, size);
      continue;
    }
    sub.len = 0;
    bool indirect = id == 2 || id == 3 || (id == 10 && gc);
    if (!(e = remap_map(&s, rm, space, indirect, &sub)) && s.pos != s.end)
      e = MB_ERR_SECTION_SIZE;
    mb_buf_byte(out, id);
    mb_buf_u32(out, (uint32_t)sub.len);
    mb_buf_append(out, sub.data, sub.len);
  }
  if (sub.failed || out->failed) e = MB_ERR_NOMEM;
  mb_buf_fini(&sub);
  return e;
}

static mb_err remap_customs(mb_module *m, const mb_remap *rm, mb_diag *diag) {
  uint32_t kept = 0;
  mb_buf tmp;
  mb_buf_init(&tmp, mb_module_allocator(m));
  mb_err e = MB_OK;
  for (uint32_t i = 0; i < m->ncustoms; i++) {
    mb_custom c = m->customs[i];
    if (c.name.len == 4 && memcmp(c.name.ptr, "name", 4) == 0) {
      tmp.len = 0;
      mb_err ne = remap_names(&c.payload, rm, m->typedefs != NULL, &tmp);
      if (ne == MB_ERR_NOMEM) {
        e = mb_wasm_fail(diag, MB_ERR_NOMEM, c.offset, "out of memory while remapping names");
        break;
      }
      if (ne) continue; /* unparseable: dropped */
      if ((e = keep(m, &tmp, &c.payload, diag))) break;
      c.raw.len = 0; /* re-encode */
    }
    m->customs[kept++] = c;
  }
  if (!e) m->ncustoms = kept;
  mb_buf_fini(&tmp);
  return e;
}

/* ---- one item, renumbered ----
 * The one place each kind of item is renumbered: mb_module_remap calls these in place
 * (to == from), mb_module_append copying from another module. Expressions and arrays a
 * renumbered item gets are allocated in m, the module that holds `to`. */

static mb_err remap_table(mb_module *m, const mb_remap *rm, const mb_table *from, mb_table *to,
                          mb_buf *tmp, mb_diag *diag) {
  *to = *from;
  to->type.elemtype = map_valtype(rm, from->type.elemtype);
  return remap_expr(m, rm, &to->init, tmp, diag);
}

static mb_err remap_global(mb_module *m, const mb_remap *rm, const mb_global *from, mb_global *to,
                           mb_buf *tmp, mb_diag *diag) {
  *to = *from;
  to->type.valtype = map_valtype(rm, from->type.valtype);
  return remap_expr(m, rm, &to->init, tmp, diag);
}

static mb_err remap_elem(mb_module *m, const mb_remap *rm, const mb_elem *from, mb_elem *to,
                         mb_buf *tmp, mb_diag *diag) {
  const uint32_t *funcs = from->funcs;
  const mb_bytes *items = from->items;
  bool copy = to != from;
  mb_err e = MB_OK;
  *to = *from;
  to->reftype = map_valtype(rm, from->reftype);
  if (copy) { /* the item arrays become m's */
    size_t n = to->count ? to->count : 1;
    if (to->exprs) to->items = mb_wasm_arena_array(m->arena, n, sizeof *to->items);
    else to->funcs = mb_wasm_arena_array(m->arena, n, sizeof *to->funcs);
    if (to->exprs ? !to->items : !to->funcs)
      return mb_wasm_fail(diag, MB_ERR_NOMEM, 0, "out of memory while remapping");
  }
  if (to->mode == MB_SEG_ACTIVE) {
    to->table = map1(rm, MB_SPACE_TABLE, to->table);
    e = remap_expr(m, rm, &to->offset, tmp, diag);
  }
  for (uint32_t k = 0; k < to->count && !e; k++) {
    if (to->exprs) {
      to->items[k] = items[k];
      e = remap_expr(m, rm, &to->items[k], tmp, diag);
    } else {
      to->funcs[k] = map1(rm, MB_SPACE_FUNC, funcs[k]);
    }
  }
  return e;
}

static mb_err remap_data(mb_module *m, const mb_remap *rm, const mb_data *from, mb_data *to,
                         mb_buf *tmp, mb_diag *diag) {
  *to = *from;
  if (to->mode != MB_SEG_ACTIVE) return MB_OK;
  to->memory = map1(rm, MB_SPACE_MEMORY, to->memory);
  return remap_expr(m, rm, &to->offset, tmp, diag);
}

/* A body rewritten now (the eager path): a map it still carries first. */
static mb_err remap_code(mb_module *m, const mb_remap *rm, const mb_code *from, mb_code *to,
                         mb_buf *tmp, mb_diag *diag) {
  mb_code c = *from;
  mb_err e = MB_OK;
  tmp->len = 0;
  if (c.remap) { /* a body still in its input's numbering: that map first */
    if (!(e = mb_code_rewrite(c.body.ptr, c.body.len, c.offset, c.remap, tmp, diag)) &&
        !(e = keep(m, tmp, &c.body, diag)))
      c.remap = NULL;
    tmp->len = 0;
  }
  if (!e && !(e = mb_code_rewrite(c.body.ptr, c.body.len, c.offset, rm, tmp, diag)))
    e = keep(m, tmp, &c.body, diag);
  if (!e) *to = c;
  return e;
}

mb_err mb_module_remap(mb_module *m, const mb_remap *rm, mb_diag *diag) {
  if (!check_counts(m, rm, diag)) return MB_ERR_INVALID_ARG;
  mb_buf tmp;
  mb_buf_init(&tmp, mb_module_allocator(m));
  mb_err e = MB_OK;

  e = remap_types(m, rm, diag);
  for (uint32_t i = 0; i < m->nimports; i++) {
    mb_import *im = &m->imports[i];
    if (im->kind == MB_KIND_FUNC) im->u.func_type = map1(rm, MB_SPACE_TYPE, im->u.func_type);
    if (im->kind == MB_KIND_TAG) im->u.tag_type = map1(rm, MB_SPACE_TYPE, im->u.tag_type);
    if (im->kind == MB_KIND_TABLE) im->u.table.elemtype = map_valtype(rm, im->u.table.elemtype);
    if (im->kind == MB_KIND_GLOBAL) im->u.global.valtype = map_valtype(rm, im->u.global.valtype);
  }
  for (uint32_t i = 0; i < m->nfuncs; i++)
    m->func_types[i] = map1(rm, MB_SPACE_TYPE, m->func_types[i]);
  for (uint32_t i = 0; i < m->ntags; i++)
    m->tag_types[i] = map1(rm, MB_SPACE_TYPE, m->tag_types[i]);
  for (uint32_t i = 0; i < m->ntables && !e; i++)
    e = remap_table(m, rm, &m->tables[i], &m->tables[i], &tmp, diag);
  for (uint32_t i = 0; i < m->nglobals && !e; i++)
    e = remap_global(m, rm, &m->globals[i], &m->globals[i], &tmp, diag);
  for (uint32_t i = 0; i < m->nexports; i++)
    m->exports[i].index = map1(rm, mb_kind_space(m->exports[i].kind), m->exports[i].index);
  if (m->has_start) m->start = map1(rm, MB_SPACE_FUNC, m->start);
  for (uint32_t i = 0; i < m->nelems && !e; i++)
    e = remap_elem(m, rm, &m->elems[i], &m->elems[i], &tmp, diag);
  for (uint32_t i = 0; i < m->ndatas && !e; i++)
    e = remap_data(m, rm, &m->datas[i], &m->datas[i], &tmp, diag);
  for (uint32_t i = 0; i < m->ncodes && !e; i++)
    e = remap_code(m, rm, &m->codes[i], &m->codes[i], &tmp, diag);
  if (!e) e = remap_customs(m, rm, diag);
  mb_buf_fini(&tmp);
  if (!e) mb_module_mark_all_dirty(m);
  return e;
}

/* ---- appending one module to another ---- */

/* The map a lazily appended body carries, in dst's arena (the caller's maps need not
 * outlive the call): r, or r after `first` when src's body still carries a map. */
static const mb_remap *carried_map(mb_module *dst, const mb_remap *r, const mb_remap *first) {
  mb_remap *c = mb_wasm_arena_alloc(dst->arena, sizeof *c);
  if (!c) return NULL;
  for (int s = 0; s < MB_SPACE_COUNT; s++) {
    const uint32_t *a = first ? first->map[s] : NULL;
    c->map[s] = NULL;
    c->count[s] = a ? first->count[s] : r->count[s];
    if (!c->count[s] || (!a && !r->map[s])) continue;
    uint32_t *map = mb_wasm_arena_array(dst->arena, c->count[s], sizeof *map);
    if (!map) return NULL;
    for (uint32_t i = 0; i < c->count[s]; i++) map[i] = map1(r, (mb_space)s, a ? a[i] : i);
    c->map[s] = map;
  }
  return c;
}

static uint32_t defined_count(const mb_module *m, mb_kind k) {
  return mb_module_count(m, k) - m->nimported[k];
}

/* What mb_module_append refuses, found before dst changes; the segments' end in *nelems
 * and *ndatas. */
static mb_err check_append(const mb_module *dst, const mb_module *src, const mb_remap *r,
                           uint32_t *nelems, uint32_t *ndatas, mb_diag *diag) {
  if (!check_counts(src, r, diag)) return MB_ERR_INVALID_ARG;
  for (uint32_t t = 0; t < src->ntypes; t++)
    if (map1(r, MB_SPACE_TYPE, t) >= dst->ntypes)
      return mb_wasm_fail(diag, MB_ERR_INVALID_ARG, 0,
                          "append: type %u maps to %u, past the target's %u types", t,
                          map1(r, MB_SPACE_TYPE, t), dst->ntypes);
  for (int k = 0; k < MB_KIND_COUNT; k++) {
    uint32_t base = dst->nimported[k] + defined_count(dst, (mb_kind)k);
    for (uint32_t d = 0; d < defined_count(src, (mb_kind)k); d++) {
      uint32_t to = map1(r, mb_kind_space((mb_kind)k), src->nimported[k] + d);
      if (to != base + d)
        return mb_wasm_fail(diag, MB_ERR_INVALID_ARG, 0,
                            "append: %s %u maps to %u; the target's next is %u",
                            mb_kind_name((mb_kind)k), src->nimported[k] + d, to, base + d);
    }
  }
  *nelems = dst->nelems;
  *ndatas = dst->ndatas;
  for (uint32_t i = 0; i < src->nelems; i++) {
    uint32_t to = map1(r, MB_SPACE_ELEM, i);
    if (to == UINT32_MAX) return mb_wasm_fail(diag, MB_ERR_INVALID_ARG, 0, "append: element index");
    if (to >= *nelems) *nelems = to + 1;
  }
  for (uint32_t i = 0; i < src->ndatas; i++) {
    uint32_t to = map1(r, MB_SPACE_DATA, i);
    if (to == UINT32_MAX) return mb_wasm_fail(diag, MB_ERR_INVALID_ARG, 0, "append: data index");
    if (to >= *ndatas) *ndatas = to + 1;
  }
  return MB_OK;
}

mb_err mb_module_append(mb_module *dst, const mb_module *src, const mb_remap *r, unsigned flags,
                        mb_diag *diag) {
  uint32_t nelems = 0, ndatas = 0;
  mb_err e = check_append(dst, src, r, &nelems, &ndatas, diag);
  if (e) return e;
  if (mb__module_grow(dst, MB_SEC_FUNCTION, src->nfuncs) ||
      mb__module_grow(dst, MB_SEC_TABLE, src->ntables) ||
      mb__module_grow(dst, MB_SEC_MEMORY, src->nmemories) ||
      mb__module_grow(dst, MB_SEC_GLOBAL, src->nglobals) ||
      mb__module_grow(dst, MB_SEC_TAG, src->ntags) ||
      mb__module_grow(dst, MB_SEC_ELEMENT, nelems - dst->nelems) ||
      mb__module_grow(dst, MB_SEC_DATA, ndatas - dst->ndatas))
    return mb_wasm_fail(diag, MB_ERR_NOMEM, 0, "out of memory while appending");
  mb_buf tmp;
  mb_buf_init(&tmp, mb_module_allocator(dst));
  const mb_remap *first = NULL, *carried = NULL; /* the lazy maps, for runs of one first */
  for (uint32_t i = 0; i < src->nfuncs && !e; i++) {
    const mb_code *c = &src->codes[i];
    mb_code *to = &dst->codes[dst->ncodes];
    dst->func_types[dst->nfuncs] = map1(r, MB_SPACE_TYPE, src->func_types[i]);
    if (!(flags & MB_APPEND_LAZY)) {
      e = remap_code(dst, r, c, to, &tmp, diag);
    } else {
      if (!carried || c->remap != first) {
        first = c->remap;
        if (!(carried = carried_map(dst, r, first)))
          e = mb_wasm_fail(diag, MB_ERR_NOMEM, 0, "out of memory while appending");
      }
      *to = (mb_code){c->body, c->offset, carried};
    }
    if (!e) dst->nfuncs++, dst->ncodes++;
  }
  for (uint32_t i = 0; i < src->ntables && !e; i++)
    if (!(e = remap_table(dst, r, &src->tables[i], &dst->tables[dst->ntables], &tmp, diag)))
      dst->ntables++;
  for (uint32_t i = 0; i < src->nmemories && !e; i++) dst->memories[dst->nmemories++] = src->memories[i];
  for (uint32_t i = 0; i < src->nglobals && !e; i++)
    if (!(e = remap_global(dst, r, &src->globals[i], &dst->globals[dst->nglobals], &tmp, diag)))
      dst->nglobals++;
  for (uint32_t i = 0; i < src->ntags && !e; i++)
    dst->tag_types[dst->ntags++] = map1(r, MB_SPACE_TYPE, src->tag_types[i]);
  for (uint32_t i = 0; i < src->nelems && !e; i++)
    e = remap_elem(dst, r, &src->elems[i], &dst->elems[map1(r, MB_SPACE_ELEM, i)], &tmp, diag);
  for (uint32_t i = 0; i < src->ndatas && !e; i++)
    e = remap_data(dst, r, &src->datas[i], &dst->datas[map1(r, MB_SPACE_DATA, i)], &tmp, diag);
  mb_buf_fini(&tmp);
  dst->nelems = nelems;
  dst->ndatas = ndatas;
  dst->has_datacount |= src->has_datacount;
  dst->features |= src->features;
  static const mb_sec changed[] = {MB_SEC_FUNCTION, MB_SEC_CODE, MB_SEC_TABLE, MB_SEC_MEMORY,
                                   MB_SEC_GLOBAL, MB_SEC_TAG, MB_SEC_ELEMENT, MB_SEC_DATA,
                                   MB_SEC_DATACOUNT};
  for (size_t i = 0; i < sizeof changed / sizeof *changed; i++) mb_module_mark_dirty(dst, changed[i]);
  return e;
}

/* ---- permutation: definitions move to their new index ---- */

/* A defined global's initialiser may read only the globals before it (the reader
 * enforces this), so a permutation that moves a global in front of one its initialiser
 * reads would give a module that no longer reads back. Checked by rewriting each
 * initialiser and walking it with the global space cut at the global's new index. */
static mb_err check_global_order(const mb_module *m, const mb_remap *rm, mb_diag *diag) {
  const uint32_t *gm = rm->map[MB_SPACE_GLOBAL];
  uint32_t imported = m->nimported[MB_KIND_GLOBAL];
  uint32_t lim[MB_SPACE_COUNT];
  mb_buf tmp;
  mb_err e = MB_OK;
  if (!gm) return MB_OK;
  mb_buf_init(&tmp, mb_module_allocator(m));
  for (uint32_t i = 0; i < m->nglobals && !e; i++) {
    const mb_bytes *init = &m->globals[i].init;
    if (!init->len) continue;
    tmp.len = 0;
    if ((e = mb_const_expr_rewrite(init->ptr, init->len, 0, rm, &tmp, diag))) break;
    for (int s = 0; s < MB_SPACE_COUNT; s++) lim[s] = UINT32_MAX;
    lim[MB_SPACE_GLOBAL] = gm[imported + i];
    mb_wasm_reader r = {tmp.data, tmp.data, tmp.data + tmp.len, 0, NULL, mb_module_allocator(m)};
    if (mb__expr_walk(&r, MB_EXPR_CONST, lim, NULL, NULL, NULL) == MB_ERR_INDEX_RANGE)
      e = mb_wasm_fail(diag, MB_ERR_INVALID_ARG, 0,
                       "the permutation moves global %u to %u, before a global its initialiser "
                       "reads",
                       imported + i, gm[imported + i]);
  }
  mb_buf_fini(&tmp);
  return e;
}

/* A type permutation must keep the type section valid: each rec group moves as a block
 * (its members may be reordered among themselves), a supertype stays before its subtype,
 * and a type may refer to a later type only inside its own rec group. */
static mb_err check_type_order(const mb_module *m, const mb_remap *rm, mb_diag *diag) {
  const uint32_t *tm = rm->map[MB_SPACE_TYPE];
  const mb_typedef *td = m->typedefs;
  if (!tm) return MB_OK;
  for (uint32_t i = 0; i < m->ntypes; i++) {
    uint32_t rec = td ? td[i].rec : i, size = td ? td[i].rec_size : 1, lo = UINT32_MAX, hi = 0;
    for (uint32_t k = rec; k < rec + size; k++) {
      lo = tm[k] < lo ? tm[k] : lo;
      hi = tm[k] > hi ? tm[k] : hi;
    }
    if (hi - lo + 1 != size)
      return mb_wasm_fail(diag, MB_ERR_INVALID_ARG, 0,
                          "the permutation splits the rec group of types %u..%u", rec, rec + size - 1);
    if (td && td[i].has_super && tm[td[i].super] >= tm[i])
      return mb_wasm_fail(diag, MB_ERR_INVALID_ARG, 0,
                          "the permutation moves type %u before its supertype %u", i, td[i].super);
    /* every type index the definition mentions */
    const mb_functype *ft = &m->types[i];
    uint32_t nv = ft->nparams + ft->nresults + (td ? td[i].nfields : 0);
    for (uint32_t k = 0; k < nv; k++) {
      mb_valtype t = k < ft->nparams ? ft->params[k]
                     : k < ft->nparams + ft->nresults ? ft->results[k - ft->nparams]
                     : td[i].fields[k - ft->nparams - ft->nresults].type;
      if (!mb_valtype_has_index(t)) continue;
      uint32_t j = mb_valtype_heap(t);
      if ((j < rec || j >= rec + size) && tm[j] >= lo)
        return mb_wasm_fail(diag, MB_ERR_INVALID_ARG, 0,
                            "the permutation moves type %u before type %u, which it refers to", i, j);
    }
  }
  return MB_OK;
}

/* After the types moved: each member of a group gets the group's new first index. */
static void fix_rec_groups(mb_module *m) {
  mb_typedef *td = m->typedefs;
  for (uint32_t i = 0; td && i < m->ntypes; i += td[i].rec_size ? td[i].rec_size : 1) {
    uint32_t size = td[i].rec_size ? td[i].rec_size : 1;
    for (uint32_t k = i; k < i + size && k < m->ntypes; k++) td[k].rec = i;
  }
}

/* Move defined entries of one space: new_arr[map[imported + i] - imported] = arr[i]. */
static mb_err permute_array(mb_module *m, void *arr, uint32_t n, size_t elem, uint32_t imported,
                            const uint32_t *map, mb_diag *diag) {
  if (!map || !n) return MB_OK;
  uint8_t *copy = mb_mem_alloc(mb_module_allocator(m), n * elem);
  uint8_t *seen = mb_mem_calloc(mb_module_allocator(m), n, 1);
  mb_err e = MB_OK;
  if (!copy || !seen) {
    e = mb_wasm_fail(diag, MB_ERR_NOMEM, 0, "out of memory");
    goto out;
  }
  memcpy(copy, arr, n * elem);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t to = map[imported + i];
    if (to < imported || to - imported >= n || seen[to - imported]) {
      e = mb_wasm_fail(diag, MB_ERR_INVALID_ARG, 0,
                       "remap is not a permutation of the defined entities (entry %u -> %u)",
                       imported + i, to);
      goto out;
    }
    seen[to - imported] = 1;
    memcpy((uint8_t *)arr + (size_t)(to - imported) * elem, copy + (size_t)i * elem, elem);
  }
out:
  mb_mem_free(mb_module_allocator(m), copy);
  mb_mem_free(mb_module_allocator(m), seen);
  (void)m;
  return e;
}

mb_err mb_module_permute(mb_module *m, const mb_remap *rm, mb_diag *diag) {
  if (!check_counts(m, rm, diag)) return MB_ERR_INVALID_ARG;
  for (int s = 0; s < MB_SPACE_COUNT; s++) {
    static const int kind_of[MB_SPACE_COUNT] = {-1, MB_KIND_FUNC, MB_KIND_TABLE, MB_KIND_MEMORY,
                                                MB_KIND_GLOBAL, MB_KIND_TAG, -1, -1};
    if (!rm->map[s] || kind_of[s] < 0) continue;
    for (uint32_t i = 0; i < m->nimported[kind_of[s]]; i++)
      if (rm->map[s][i] != i)
        return mb_wasm_fail(diag, MB_ERR_INVALID_ARG, 0, "imports must keep their index (%u -> %u)",
                            i, rm->map[s][i]);
  }
  /* Check every map is a permutation before changing anything. */
  for (int s = 0; s < MB_SPACE_COUNT; s++) {
    if (!rm->map[s]) continue;
    uint8_t *seen = mb_mem_calloc(mb_module_allocator(m), rm->count[s] ? rm->count[s] : 1, 1);
    if (!seen) return mb_wasm_fail(diag, MB_ERR_NOMEM, 0, "out of memory");
    uint32_t bad = UINT32_MAX;
    for (uint32_t i = 0; i < rm->count[s] && bad == UINT32_MAX; i++) {
      uint32_t to = rm->map[s][i];
      if (to >= rm->count[s] || seen[to]) bad = i;
      else seen[to] = 1;
    }
    mb_mem_free(mb_module_allocator(m), seen);
    if (bad != UINT32_MAX)
      return mb_wasm_fail(diag, MB_ERR_INVALID_ARG, 0,
                          "remap table %d is not a permutation (entry %u -> %u)", s, bad,
                          rm->map[s][bad]);
  }
  mb_err e = check_global_order(m, rm, diag);
  if (!e) e = check_type_order(m, rm, diag);
  if (e) return e;
  if ((e = mb_module_remap(m, rm, diag))) return e;
  const uint32_t *fm = rm->map[MB_SPACE_FUNC];
  uint32_t fi = m->nimported[MB_KIND_FUNC];
  if (m->typedefs &&
      (e = permute_array(m, m->typedefs, m->ntypes, sizeof *m->typedefs, 0, rm->map[MB_SPACE_TYPE], diag)))
    return e;
  fix_rec_groups(m);
  if (!(e = permute_array(m, m->types, m->ntypes, sizeof *m->types, 0, rm->map[MB_SPACE_TYPE], diag)) &&
      !(e = permute_array(m, m->func_types, m->nfuncs, sizeof *m->func_types, fi, fm, diag)) &&
      !(e = permute_array(m, m->codes, m->ncodes, sizeof *m->codes, fi, fm, diag)) &&
      !(e = permute_array(m, m->tables, m->ntables, sizeof *m->tables,
                          m->nimported[MB_KIND_TABLE], rm->map[MB_SPACE_TABLE], diag)) &&
      !(e = permute_array(m, m->memories, m->nmemories, sizeof *m->memories,
                          m->nimported[MB_KIND_MEMORY], rm->map[MB_SPACE_MEMORY], diag)) &&
      !(e = permute_array(m, m->globals, m->nglobals, sizeof *m->globals,
                          m->nimported[MB_KIND_GLOBAL], rm->map[MB_SPACE_GLOBAL], diag)) &&
      !(e = permute_array(m, m->tag_types, m->ntags, sizeof *m->tag_types,
                          m->nimported[MB_KIND_TAG], rm->map[MB_SPACE_TAG], diag)) &&
      !(e = permute_array(m, m->elems, m->nelems, sizeof *m->elems, 0, rm->map[MB_SPACE_ELEM], diag)))
    e = permute_array(m, m->datas, m->ndatas, sizeof *m->datas, 0, rm->map[MB_SPACE_DATA], diag);
  return e;
}
