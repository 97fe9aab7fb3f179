/* remap.c — renumber every reference to every index space of a module: sections,
 * segments, constant expressions, code bodies and the name section. Definitions keep
 * their order (mb_module_remap) or move with their index (mb_module_permute). */
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
  name_entry *v = mb_wasm_calloc(n ? n : 1, sizeof *v);
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
  mb_wasm_free(v);
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
  mb_wasm_reader r = {payload->ptr, payload->ptr, payload->ptr + payload->len, 0, NULL};
  mb_buf sub;
  mb_buf_init(&sub);
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
  mb_buf_init(&tmp);
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

mb_err mb_module_remap(mb_module *m, const mb_remap *rm, mb_diag *diag) {
  if (!check_counts(m, rm, diag)) return MB_ERR_INVALID_ARG;
  mb_buf tmp;
  mb_buf_init(&tmp);
  mb_err e = MB_OK;

  e = remap_types(m, rm, diag);
  for (uint32_t i = 0; i < m->nimports; i++) {
    mb_import *im = &m->imports[i];
    if (im->kind == MB_KIND_FUNC) im->u.func_type = map1(rm, MB_SPACE_TYPE, im->u.func_type);
    if (im->kind == MB_KIND_TAG) im->u.tag_type = map1(rm, MB_SPACE_TYPE, im->u.tag_type);
    if (im->kind == MB_KIND_TABLE) im->u.table.elemtype = map_valtype(rm, im->u.table.elemtype);
    if (im->kind == MB_KIND_GLOBAL) im->u.global.valtype = map_valtype(rm, im->u.global.valtype);
  }
  for (uint32_t i = 0; i < m->ntables; i++)
    m->tables[i].type.elemtype = map_valtype(rm, m->tables[i].type.elemtype);
  for (uint32_t i = 0; i < m->nglobals; i++)
    m->globals[i].type.valtype = map_valtype(rm, m->globals[i].type.valtype);
  for (uint32_t i = 0; i < m->nelems; i++) m->elems[i].reftype = map_valtype(rm, m->elems[i].reftype);
  for (uint32_t i = 0; i < m->nfuncs; i++)
    m->func_types[i] = map1(rm, MB_SPACE_TYPE, m->func_types[i]);
  for (uint32_t i = 0; i < m->ntags; i++)
    m->tag_types[i] = map1(rm, MB_SPACE_TYPE, m->tag_types[i]);
  for (uint32_t i = 0; i < m->ntables && !e; i++)
    e = remap_expr(m, rm, &m->tables[i].init, &tmp, diag);
  for (uint32_t i = 0; i < m->nglobals && !e; i++)
    e = remap_expr(m, rm, &m->globals[i].init, &tmp, diag);
  for (uint32_t i = 0; i < m->nexports; i++)
    m->exports[i].index = map1(rm, mb_kind_space(m->exports[i].kind), m->exports[i].index);
  if (m->has_start) m->start = map1(rm, MB_SPACE_FUNC, m->start);
  for (uint32_t i = 0; i < m->nelems && !e; i++) {
    mb_elem *s = &m->elems[i];
    if (s->mode == MB_SEG_ACTIVE) {
      s->table = map1(rm, MB_SPACE_TABLE, s->table);
      e = remap_expr(m, rm, &s->offset, &tmp, diag);
    }
    for (uint32_t k = 0; k < s->count && !e; k++) {
      if (s->exprs) e = remap_expr(m, rm, &s->items[k], &tmp, diag);
      else s->funcs[k] = map1(rm, MB_SPACE_FUNC, s->funcs[k]);
    }
  }
  for (uint32_t i = 0; i < m->ndatas && !e; i++) {
    mb_data *d = &m->datas[i];
    if (d->mode == MB_SEG_ACTIVE) {
      d->memory = map1(rm, MB_SPACE_MEMORY, d->memory);
      e = remap_expr(m, rm, &d->offset, &tmp, diag);
    }
  }
  for (uint32_t i = 0; i < m->ncodes && !e; i++) {
    tmp.len = 0;
    mb_code *c = &m->codes[i];
    if (c->remap) { /* a body still in its input's numbering: that map first */
      if (!(e = mb_code_rewrite(c->body.ptr, c->body.len, c->offset, c->remap, &tmp, diag)) &&
          !(e = keep(m, &tmp, &c->body, diag)))
        c->remap = NULL;
      tmp.len = 0;
    }
    if (!e && !(e = mb_code_rewrite(c->body.ptr, c->body.len, c->offset, rm, &tmp, diag)))
      e = keep(m, &tmp, &c->body, diag);
  }
  if (!e) e = remap_customs(m, rm, diag);
  mb_buf_fini(&tmp);
  if (!e) mb_module_mark_all_dirty(m);
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
  mb_buf_init(&tmp);
  for (uint32_t i = 0; i < m->nglobals && !e; i++) {
    const mb_bytes *init = &m->globals[i].init;
    if (!init->len) continue;
    tmp.len = 0;
    if ((e = mb_const_expr_rewrite(init->ptr, init->len, 0, rm, &tmp, diag))) break;
    for (int s = 0; s < MB_SPACE_COUNT; s++) lim[s] = UINT32_MAX;
    lim[MB_SPACE_GLOBAL] = gm[imported + i];
    mb_wasm_reader r = {tmp.data, tmp.data, tmp.data + tmp.len, 0, NULL};
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
  uint8_t *copy = mb_wasm_malloc(n * elem);
  uint8_t *seen = mb_wasm_calloc(n, 1);
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
  mb_wasm_free(copy);
  mb_wasm_free(seen);
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
    uint8_t *seen = mb_wasm_calloc(rm->count[s] ? rm->count[s] : 1, 1);
    if (!seen) return mb_wasm_fail(diag, MB_ERR_NOMEM, 0, "out of memory");
    uint32_t bad = UINT32_MAX;
    for (uint32_t i = 0; i < rm->count[s] && bad == UINT32_MAX; i++) {
      uint32_t to = rm->map[s][i];
      if (to >= rm->count[s] || seen[to]) bad = i;
      else seen[to] = 1;
    }
    mb_wasm_free(seen);
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
