/* fuzz_wasm_roundtrip.c — write, re-encode, remap and permute modules the reader accepts.
 *
 * For an input x that mb_wasm_read accepts:
 *  1. write(read(x)) == x (clean sections and customs are copied raw), and reading and
 *     writing that again gives the same bytes.
 *  2. With every section dirty and every custom re-encoded, write gives z; read(z)
 *     succeeds, write(read(z)) == z, and re-encoding read(z) gives z again (the encoder
 *     is a fixpoint); read(z) is the same model as read(x).
 *  3. mb_module_remap with identity tables changes nothing: same bytes as 2 (custom
 *     sections stripped on both sides, since the name section is re-sorted).
 *  4. mb_module_remap reversing each index space (imports and definitions alike; for
 *     globals only among the imports, as a defined global's initialiser may only read
 *     earlier globals) succeeds and its output reads back.
 *     The same map left on the bodies (mb_code.remap) and applied by the writer gives
 *     the same bodies.
 *  5. mb_module_permute rotating the definitions of each space (imports stay) moves
 *     every definition to its new index with its references rewritten, and its output
 *     reads back.
 *  6. Permuting back with the inverse gives x's model again, and the same bytes as
 *     remapping there and back: both rewrite every reference the same way.
 *  7. A remap table of the wrong size, a permute table that is not a permutation or
 *     that moves an import: MB_ERR_INVALID_ARG and the module unchanged.
 * Any failure aborts. */
#include "fuzz_common.h"

typedef enum map_mode {
  MAP_IDENTITY,
  MAP_REVERSE_ALL,     /* reverse whole spaces; globals only within the imports */
  MAP_ROTATE_DEFINED,  /* rotate the definitions; imports keep their index */
  MAP_ROTATE_DEFINED_NOT_GLOBALS, /* the same, but globals stay where they are */
  MAP_ROTATE_DEFINED_NOT_GLOBALS_TYPES, /* ... and types too (GC type order rules) */
} map_mode;

typedef struct maps {
  uint32_t *v[MB_SPACE_COUNT];
  mb_remap rm;
} maps;

static void maps_free(maps *mp) {
  for (int s = 0; s < MB_SPACE_COUNT; s++) free(mp->v[s]);
  memset(mp, 0, sizeof *mp);
}

/* Build the tables for m (NULL for an empty space). Rotations move each entry `rot`
 * places on, so unlike the reversal they are not their own inverse: a permutation
 * applied the wrong way round shows. The harness's own memory comes from malloc, not
 * the library hook, so injected failures stay inside the library. */
static void maps_build(const mb_module *m, map_mode mode, uint32_t rot, maps *mp) {
  static const int kind_of[MB_SPACE_COUNT] = {-1, MB_KIND_FUNC, MB_KIND_TABLE, MB_KIND_MEMORY,
                                              MB_KIND_GLOBAL, MB_KIND_TAG, -1, -1};
  memset(mp, 0, sizeof *mp);
  for (int s = 0; s < MB_SPACE_COUNT; s++) {
    uint32_t n = s == MB_SPACE_TYPE   ? m->ntypes
                 : s == MB_SPACE_ELEM ? m->nelems
                 : s == MB_SPACE_DATA ? m->ndatas
                                      : mb_module_count(m, (mb_kind)kind_of[s]);
    uint32_t imported = kind_of[s] >= 0 ? m->nimported[kind_of[s]] : 0;
    if (n == 0) continue;
    uint32_t *v = malloc((size_t)n * sizeof *v);
    FUZZ_CHECK(v != NULL, "harness out of memory");
    for (uint32_t i = 0; i < n; i++) v[i] = i;
    uint32_t lo = 0, hi = n; /* the range [lo, hi) is reversed or rotated */
    if (mode == MAP_IDENTITY) hi = 0;
    else if (mode == MAP_ROTATE_DEFINED) lo = imported;
    else if (mode == MAP_ROTATE_DEFINED_NOT_GLOBALS)
      lo = imported, hi = s == MB_SPACE_GLOBAL ? 0 : n;
    else if (mode == MAP_ROTATE_DEFINED_NOT_GLOBALS_TYPES)
      lo = imported, hi = s == MB_SPACE_GLOBAL || s == MB_SPACE_TYPE ? 0 : n;
    else if (s == MB_SPACE_GLOBAL) hi = imported;
    for (uint32_t i = lo; i < hi; i++)
      v[i] = mode == MAP_REVERSE_ALL ? lo + (hi - 1 - i) : lo + (i - lo + rot) % (hi - lo);
    mp->v[s] = v;
    mp->rm.map[s] = v;
    mp->rm.count[s] = n;
  }
}

/* ---- model equality ---- */

static bool same_bytes(mb_bytes a, mb_bytes b) {
  return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static bool same_limits(const mb_limits *a, const mb_limits *b) {
  return a->flags == b->flags && a->min == b->min &&
         (!(a->flags & MB_LIMITS_HAS_MAX) || a->max == b->max);
}

/* Fail unless a and b describe the same module: every count, type, import, definition,
 * export, segment and custom section. With exprs, constant expressions and code bodies
 * must be the same bytes too; without, only present in the same places (an index
 * rewritten twice comes back in minimal LEB128 even if the input padded it). Section
 * presence and the flags an element segment was read with are encoding choices, not
 * checked. */
static void check_same_model(const mb_module *a, const mb_module *b, bool exprs,
                             const char *what) {
#define SAME(cond) FUZZ_CHECK(cond, "%s: the models differ", what)
#define SAME_EXPR(x, y) SAME(exprs ? same_bytes(x, y) : ((x).len == 0) == ((y).len == 0))
  SAME(a->ntypes == b->ntypes && a->nimports == b->nimports && a->nfuncs == b->nfuncs &&
       a->ntables == b->ntables && a->nmemories == b->nmemories && a->ntags == b->ntags &&
       a->nglobals == b->nglobals && a->nexports == b->nexports &&
       a->has_start == b->has_start && a->nelems == b->nelems &&
       a->has_datacount == b->has_datacount && a->ncodes == b->ncodes &&
       a->ndatas == b->ndatas && a->ncustoms == b->ncustoms);
  SAME(memcmp(a->nimported, b->nimported, sizeof a->nimported) == 0);
  for (uint32_t i = 0; i < a->ntypes; i++) SAME(mb_functype_eq(&a->types[i], &b->types[i]));
  for (uint32_t i = 0; i < a->nimports; i++) {
    const mb_import *x = &a->imports[i], *y = &b->imports[i];
    SAME(same_bytes(x->module, y->module) && same_bytes(x->field, y->field));
    SAME(x->kind == y->kind);
    switch (x->kind) {
    case MB_KIND_FUNC: SAME(x->u.func_type == y->u.func_type); break;
    case MB_KIND_TABLE:
      SAME(x->u.table.elemtype == y->u.table.elemtype &&
           same_limits(&x->u.table.limits, &y->u.table.limits));
      break;
    case MB_KIND_MEMORY: SAME(same_limits(&x->u.memory, &y->u.memory)); break;
    case MB_KIND_GLOBAL:
      SAME(x->u.global.valtype == y->u.global.valtype &&
           x->u.global.mutable_ == y->u.global.mutable_);
      break;
    case MB_KIND_TAG: SAME(x->u.tag_type == y->u.tag_type); break;
    }
  }
  SAME(!a->nfuncs || memcmp(a->func_types, b->func_types, a->nfuncs * sizeof(uint32_t)) == 0);
  for (uint32_t i = 0; i < a->ntables; i++) {
    SAME(a->tables[i].type.elemtype == b->tables[i].type.elemtype &&
         same_limits(&a->tables[i].type.limits, &b->tables[i].type.limits));
    SAME_EXPR(a->tables[i].init, b->tables[i].init);
  }
  for (uint32_t i = 0; i < a->nmemories; i++) SAME(same_limits(&a->memories[i], &b->memories[i]));
  SAME(!a->ntags || memcmp(a->tag_types, b->tag_types, a->ntags * sizeof(uint32_t)) == 0);
  for (uint32_t i = 0; i < a->nglobals; i++) {
    SAME(a->globals[i].type.valtype == b->globals[i].type.valtype &&
         a->globals[i].type.mutable_ == b->globals[i].type.mutable_);
    SAME_EXPR(a->globals[i].init, b->globals[i].init);
  }
  for (uint32_t i = 0; i < a->nexports; i++)
    SAME(same_bytes(a->exports[i].name, b->exports[i].name) &&
         a->exports[i].kind == b->exports[i].kind && a->exports[i].index == b->exports[i].index);
  SAME(!a->has_start || a->start == b->start);
  for (uint32_t i = 0; i < a->nelems; i++) {
    const mb_elem *x = &a->elems[i], *y = &b->elems[i];
    SAME(x->mode == y->mode && x->reftype == y->reftype && x->exprs == y->exprs &&
         x->count == y->count);
    if (x->mode == MB_SEG_ACTIVE) {
      SAME(x->table == y->table);
      SAME_EXPR(x->offset, y->offset);
    }
    for (uint32_t k = 0; k < x->count; k++) {
      if (x->exprs) SAME_EXPR(x->items[k], y->items[k]);
      else SAME(x->funcs[k] == y->funcs[k]);
    }
  }
  for (uint32_t i = 0; i < a->ncodes; i++) SAME_EXPR(a->codes[i].body, b->codes[i].body);
  for (uint32_t i = 0; i < a->ndatas; i++) {
    const mb_data *x = &a->datas[i], *y = &b->datas[i];
    SAME(x->mode == y->mode && same_bytes(x->bytes, y->bytes));
    if (x->mode == MB_SEG_ACTIVE) {
      SAME(x->memory == y->memory);
      SAME_EXPR(x->offset, y->offset);
    }
  }
  for (uint32_t i = 0; i < a->ncustoms; i++)
    SAME(same_bytes(a->customs[i].name, b->customs[i].name) &&
         same_bytes(a->customs[i].payload, b->customs[i].payload));
#undef SAME_EXPR
#undef SAME
}

/* A request mb_module_remap or mb_module_permute must refuse: MB_ERR_INVALID_ARG (or
 * out of memory while injecting) and the module left as it was, i.e. still written as
 * `orig`. Returns false when the run must stop. */
static bool check_refused(mb_module *m, const mb_remap *rm, bool permute, const mb_buf *orig,
                          bool injecting, const char *what) {
  mb_diag d;
  mb_buf out;
  mb_err e = permute ? mb_module_permute(m, rm, &d) : mb_module_remap(m, rm, &d);
  if (e == MB_ERR_NOMEM && injecting) return false;
  FUZZ_CHECK(e == MB_ERR_INVALID_ARG, "%s: expected invalid argument, got %s", what,
             mb_err_name(e));
  mb_buf_init(&out, FA);
  e = fz_write(m, &out, &d);
  bool stop = e == MB_ERR_NOMEM && injecting;
  if (!stop) {
    FUZZ_CHECK(e == MB_OK, "%s: writing failed: %s", what, mb_err_name(e));
    FUZZ_CHECK(fz_same(&out, orig->data, orig->len), "%s: the refused call changed the module",
               what);
  }
  mb_buf_fini(&out);
  return !stop;
}

/* inv = the inverse of every table in mp. */
static void maps_invert(const maps *mp, maps *inv) {
  memset(inv, 0, sizeof *inv);
  for (int s = 0; s < MB_SPACE_COUNT; s++) {
    uint32_t n = mp->rm.count[s];
    if (!mp->v[s]) continue;
    uint32_t *v = malloc((size_t)n * sizeof *v);
    FUZZ_CHECK(v != NULL, "harness out of memory");
    for (uint32_t i = 0; i < n; i++) v[mp->v[s][i]] = i;
    inv->v[s] = v;
    inv->rm.map[s] = v;
    inv->rm.count[s] = n;
  }
}

static uint32_t map_of(const mb_remap *rm, mb_space s, uint32_t v) {
  return rm->map[s] ? rm->map[s][v] : v;
}

/* Does a type definition mention a type index (GC, typed function references)? */
static bool types_refer(const mb_module *m) {
  if (m->typedefs) return true;
  for (uint32_t i = 0; i < m->ntypes; i++) {
    const mb_functype *t = &m->types[i];
    for (uint32_t k = 0; k < t->nparams; k++)
      if (mb_valtype_has_index(t->params[k])) return true;
    for (uint32_t k = 0; k < t->nresults; k++)
      if (mb_valtype_has_index(t->results[k])) return true;
  }
  return false;
}

static mb_valtype vt_of(const mb_remap *rm, mb_valtype t) {
  if (!mb_valtype_has_index(t)) return t;
  return mb_valtype_ref(mb_valtype_nullable(t), map_of(rm, MB_SPACE_TYPE, mb_valtype_heap(t)));
}

/* Is `now` the rewrite of `was` (a body, or a constant expression) under rm? -1 when
 * the rewrite ran out of memory. */
static int rewritten(mb_bytes was, mb_bytes now, bool body, const mb_remap *rm) {
  if (!was.len) return !now.len;
  mb_diag d;
  mb_buf out;
  mb_buf_init(&out, FA);
  mb_err e = body ? mb_code_rewrite(was.ptr, was.len, 0, rm, &out, &d)
                  : mb_const_expr_rewrite(was.ptr, was.len, 0, rm, &out, &d);
  FUZZ_CHECK(e == MB_OK || e == MB_ERR_NOMEM, "rewriting an accepted %s failed: %s",
             body ? "body" : "expression", mb_err_name(e));
  int same = e ? -1 : fz_same(&out, now.ptr, now.len);
  mb_buf_fini(&out);
  return same;
}

/* Fail unless `now` is `was` permuted by rm: each definition at its new index with every
 * reference in it renumbered, imports and exports in place with renumbered references.
 * False when a rewrite ran out of memory (the run stops). */
static bool check_permuted(const mb_module *was, const mb_module *now, const mb_remap *rm) {
#define SAME(cond) FUZZ_CHECK(cond, "permute: definition or reference in the wrong place")
#define SAME_REWRITE(a, b, body)                                                          \
  do {                                                                                    \
    int r_ = rewritten(a, b, body, rm);                                                   \
    if (r_ < 0) return false;                                                             \
    SAME(r_);                                                                             \
  } while (0)
  static const mb_space kind_space[MB_KIND_COUNT] = {MB_SPACE_FUNC, MB_SPACE_TABLE,
                                                     MB_SPACE_MEMORY, MB_SPACE_GLOBAL,
                                                     MB_SPACE_TAG};
  const uint32_t *imp = was->nimported;
  for (uint32_t i = 0; i < was->ntypes; i++) {
    const mb_functype *x = &was->types[i], *y = &now->types[map_of(rm, MB_SPACE_TYPE, i)];
    SAME(x->nparams == y->nparams && x->nresults == y->nresults);
    for (uint32_t k = 0; k < x->nparams; k++) SAME(y->params[k] == vt_of(rm, x->params[k]));
    for (uint32_t k = 0; k < x->nresults; k++) SAME(y->results[k] == vt_of(rm, x->results[k]));
  }
  for (uint32_t i = 0; i < was->nimports; i++) {
    const mb_import *x = &was->imports[i], *y = &now->imports[i];
    SAME(x->kind == y->kind && same_bytes(x->field, y->field));
    if (x->kind == MB_KIND_FUNC) SAME(y->u.func_type == map_of(rm, MB_SPACE_TYPE, x->u.func_type));
    if (x->kind == MB_KIND_TAG) SAME(y->u.tag_type == map_of(rm, MB_SPACE_TYPE, x->u.tag_type));
  }
  for (uint32_t i = 0; i < was->nfuncs; i++) {
    uint32_t to = map_of(rm, MB_SPACE_FUNC, imp[MB_KIND_FUNC] + i) - imp[MB_KIND_FUNC];
    SAME(now->func_types[to] == map_of(rm, MB_SPACE_TYPE, was->func_types[i]));
    SAME_REWRITE(was->codes[i].body, now->codes[to].body, true);
  }
  for (uint32_t i = 0; i < was->ntables; i++) {
    uint32_t to = map_of(rm, MB_SPACE_TABLE, imp[MB_KIND_TABLE] + i) - imp[MB_KIND_TABLE];
    SAME(now->tables[to].type.elemtype == vt_of(rm, was->tables[i].type.elemtype) &&
         same_limits(&now->tables[to].type.limits, &was->tables[i].type.limits));
    SAME_REWRITE(was->tables[i].init, now->tables[to].init, false);
  }
  for (uint32_t i = 0; i < was->nmemories; i++) {
    uint32_t to = map_of(rm, MB_SPACE_MEMORY, imp[MB_KIND_MEMORY] + i) - imp[MB_KIND_MEMORY];
    SAME(same_limits(&now->memories[to], &was->memories[i]));
  }
  for (uint32_t i = 0; i < was->ntags; i++) {
    uint32_t to = map_of(rm, MB_SPACE_TAG, imp[MB_KIND_TAG] + i) - imp[MB_KIND_TAG];
    SAME(now->tag_types[to] == map_of(rm, MB_SPACE_TYPE, was->tag_types[i]));
  }
  for (uint32_t i = 0; i < was->nglobals; i++) {
    uint32_t to = map_of(rm, MB_SPACE_GLOBAL, imp[MB_KIND_GLOBAL] + i) - imp[MB_KIND_GLOBAL];
    SAME(now->globals[to].type.valtype == vt_of(rm, was->globals[i].type.valtype) &&
         now->globals[to].type.mutable_ == was->globals[i].type.mutable_);
    SAME_REWRITE(was->globals[i].init, now->globals[to].init, false);
  }
  for (uint32_t i = 0; i < was->nexports; i++) {
    const mb_export *x = &was->exports[i], *y = &now->exports[i];
    SAME(same_bytes(x->name, y->name) && x->kind == y->kind &&
         y->index == map_of(rm, kind_space[x->kind], x->index));
  }
  SAME(!was->has_start || now->start == map_of(rm, MB_SPACE_FUNC, was->start));
  for (uint32_t i = 0; i < was->nelems; i++) {
    const mb_elem *x = &was->elems[i], *y = &now->elems[map_of(rm, MB_SPACE_ELEM, i)];
    SAME(x->mode == y->mode && x->exprs == y->exprs && y->reftype == vt_of(rm, x->reftype) &&
         x->count == y->count);
    if (x->mode == MB_SEG_ACTIVE) {
      SAME(y->table == map_of(rm, MB_SPACE_TABLE, x->table));
      SAME_REWRITE(x->offset, y->offset, false);
    }
    for (uint32_t k = 0; k < x->count; k++) {
      if (x->exprs) SAME_REWRITE(x->items[k], y->items[k], false);
      else SAME(y->funcs[k] == map_of(rm, MB_SPACE_FUNC, x->funcs[k]));
    }
  }
  for (uint32_t i = 0; i < was->ndatas; i++) {
    const mb_data *x = &was->datas[i], *y = &now->datas[map_of(rm, MB_SPACE_DATA, i)];
    SAME(x->mode == y->mode && same_bytes(x->bytes, y->bytes));
    if (x->mode == MB_SEG_ACTIVE) {
      SAME(y->memory == map_of(rm, MB_SPACE_MEMORY, x->memory));
      SAME_REWRITE(x->offset, y->offset, false);
    }
  }
  return true;
#undef SAME_REWRITE
#undef SAME
}

static void dirty_all(mb_module *m) {
  mb_module_mark_all_dirty(m);
  for (uint32_t i = 0; i < m->ncustoms; i++) m->customs[i].raw.len = 0;
}

/* The module's canonical encoding without custom sections. */
static mb_err canonical(mb_module *m, mb_buf *out, mb_diag *d) {
  mb_module_strip_customs(m, false);
  dirty_all(m);
  return fz_write(m, out, d);
}

enum { B_W, B_W1, B_Z1, B_Z1B, B_Z2, B_ZS, B_ZI, B_R, B_D, B_P, B_P2, B_R2, NBUF };
enum { M_X, M_W, M_Z, M_I, M_R, M_D, M_P, M_RR, M_REREAD, NMOD };

static fz_result steps(const uint8_t *x, size_t size, bool injecting, uint64_t *digest) {
  mb_diag d;
  mb_module *m[NMOD] = {0};
  mb_buf b[NBUF];
  maps mp = {0}, inv = {0};
  fz_result res = FZ_STOPPED;
  mb_err e;
  for (int i = 0; i < NBUF; i++) mb_buf_init(&b[i], FA);

#define STEP(call, what)                                                                   \
  do {                                                                                     \
    e = (call);                                                                            \
    if (e == MB_ERR_NOMEM && injecting) goto out;                                          \
    FUZZ_CHECK(e == MB_OK, "%s failed: %s at offset %llu: %s", what, mb_err_name(e),       \
               (unsigned long long)d.offset, d.message);                                   \
  } while (0)
#define REREAD(buf, what)                                                                  \
  do {                                                                                     \
    mb_module_free(m[M_REREAD]);                                                           \
    m[M_REREAD] = NULL;                                                                    \
    STEP(mb_wasm_read(FA, (buf).data, (buf).len, &m[M_REREAD], &d), what);                     \
  } while (0)

  e = mb_wasm_read(FA, x, size, &m[M_X], &d);
  if (e) {
    res = e == MB_ERR_NOMEM && injecting ? FZ_STOPPED : FZ_DONE;
    goto out;
  }

  /* 1. unchanged: byte for byte */
  STEP(fz_write(m[M_X], &b[B_W], &d), "writing an unchanged module");
  FUZZ_CHECK(fz_same(&b[B_W], x, size), "write(read(x)) != x (%zu bytes in, %zu out)", size,
             b[B_W].len);
  STEP(mb_wasm_read(FA, b[B_W].data, b[B_W].len, &m[M_W], &d), "reading write(read(x))");
  STEP(fz_write(m[M_W], &b[B_W1], &d), "writing read(write(read(x)))");
  FUZZ_CHECK(fz_same(&b[B_W1], b[B_W].data, b[B_W].len), "second raw round trip differs");

  /* 2. everything re-encoded */
  dirty_all(m[M_X]);
  STEP(fz_write(m[M_X], &b[B_Z1], &d), "writing the re-encoded module");
  STEP(mb_wasm_read(FA, b[B_Z1].data, b[B_Z1].len, &m[M_Z], &d), "reading the re-encoded module");
  check_same_model(m[M_X], m[M_Z], true, "re-encoding");
  STEP(fz_write(m[M_Z], &b[B_Z1B], &d), "writing read(z) unchanged");
  FUZZ_CHECK(fz_same(&b[B_Z1B], b[B_Z1].data, b[B_Z1].len), "write(read(z)) != z");
  dirty_all(m[M_Z]);
  STEP(fz_write(m[M_Z], &b[B_Z2], &d), "re-encoding read(z)");
  FUZZ_CHECK(fz_same(&b[B_Z2], b[B_Z1].data, b[B_Z1].len),
             "re-encoding is not idempotent (%zu bytes, then %zu)", b[B_Z1].len, b[B_Z2].len);

  /* 3. identity remap */
  STEP(canonical(m[M_X], &b[B_ZS], &d), "writing the canonical module");
  STEP(mb_wasm_read(FA, x, size, &m[M_I], &d), "reading x again");
  maps_build(m[M_I], MAP_IDENTITY, 0, &mp);
  STEP(mb_module_remap(m[M_I], &mp.rm, &d), "identity remap");
  maps_free(&mp);
  STEP(canonical(m[M_I], &b[B_ZI], &d), "writing the identity-remapped module");
  FUZZ_CHECK(fz_same(&b[B_ZI], b[B_ZS].data, b[B_ZS].len), "an identity remap changed the module");

  /* 4. remap reversing whole spaces; types only when no type refers to another (else
   * the type section would refer forward, which does not read back) */
  STEP(mb_wasm_read(FA, x, size, &m[M_R], &d), "reading x again");
  maps_build(m[M_R], MAP_REVERSE_ALL, 0, &mp);
  if (types_refer(m[M_R])) {
    free(mp.v[MB_SPACE_TYPE]);
    mp.v[MB_SPACE_TYPE] = NULL;
    mp.rm.map[MB_SPACE_TYPE] = NULL;
  }
  STEP(mb_module_remap(m[M_R], &mp.rm, &d), "reversing remap");
  STEP(fz_write(m[M_R], &b[B_R], &d), "writing the remapped module");
  REREAD(b[B_R], "reading the remapped module");
  /* 4b. the same map left on the bodies (mb_code.remap, as the linker does) renumbers
   * them as they are written: the bodies read back are the remapped ones */
  STEP(mb_wasm_read(FA, x, size, &m[M_D], &d), "reading x again");
  for (uint32_t i = 0; i < m[M_D]->ncodes; i++) m[M_D]->codes[i].remap = &mp.rm;
  mb_module_mark_dirty(m[M_D], MB_SEC_CODE);
  STEP(fz_write(m[M_D], &b[B_D], &d), "writing bodies renumbered on the way out");
  REREAD(b[B_D], "reading bodies renumbered on the way out");
  FUZZ_CHECK(m[M_REREAD]->ncodes == m[M_R]->ncodes, "renumbered on write: %u bodies, not %u",
             m[M_REREAD]->ncodes, m[M_R]->ncodes);
  for (uint32_t i = 0; i < m[M_R]->ncodes; i++)
    FUZZ_CHECK(same_bytes(m[M_REREAD]->codes[i].body, m[M_R]->codes[i].body),
               "body %u renumbered on write differs from mb_module_remap's", i);
  maps_free(&mp);

  /* 5. permute rotating definitions. Refused (and nothing changed) when a global would
   * move before one its initialiser reads; then globals stay and the rest rotates. */
  uint32_t rot = 1 + (uint32_t)(fz_hash(FZ_HASH_INIT, x, size) % 7);
  STEP(mb_wasm_read(FA, x, size, &m[M_P], &d), "reading x again");
  maps_build(m[M_P], MAP_ROTATE_DEFINED, rot, &mp);
  e = mb_module_permute(m[M_P], &mp.rm, &d);
  if (e == MB_ERR_NOMEM && injecting) goto out;
  if (e == MB_ERR_INVALID_ARG && m[M_P]->nglobals > 1) {
    STEP(fz_write(m[M_P], &b[B_P], &d), "writing the module a permutation was refused for");
    FUZZ_CHECK(fz_same(&b[B_P], x, size), "a refused permutation changed the module");
    maps_free(&mp);
    maps_build(m[M_P], MAP_ROTATE_DEFINED_NOT_GLOBALS, rot, &mp);
    e = mb_module_permute(m[M_P], &mp.rm, &d);
  }
  if (e == MB_ERR_INVALID_ARG && m[M_P]->ntypes > 1) { /* a GC type order the rotation breaks */
    STEP(fz_write(m[M_P], &b[B_P], &d), "writing the module a permutation was refused for");
    FUZZ_CHECK(fz_same(&b[B_P], x, size), "a refused permutation changed the module");
    maps_free(&mp);
    maps_build(m[M_P], MAP_ROTATE_DEFINED_NOT_GLOBALS_TYPES, rot, &mp);
    e = mb_module_permute(m[M_P], &mp.rm, &d);
  }
  STEP(e, "permuting");
  if (!check_permuted(m[M_W], m[M_P], &mp.rm)) goto out;
  STEP(fz_write(m[M_P], &b[B_P], &d), "writing the permuted module");
  REREAD(b[B_P], "reading the permuted module");

  /* 6. permuting back with the inverse gives x's model again, and the same bytes as
   * remapping there and back */
  maps_invert(&mp, &inv);
  STEP(mb_module_permute(m[M_P], &inv.rm, &d), "permuting back");
  STEP(canonical(m[M_P], &b[B_P2], &d), "writing the twice-permuted module");
  STEP(mb_wasm_read(FA, x, size, &m[M_RR], &d), "reading x again");
  STEP(mb_module_remap(m[M_RR], &mp.rm, &d), "remapping");
  STEP(mb_module_remap(m[M_RR], &inv.rm, &d), "remapping back");
  STEP(canonical(m[M_RR], &b[B_R2], &d), "writing the twice-remapped module");
  FUZZ_CHECK(fz_same(&b[B_P2], b[B_R2].data, b[B_R2].len),
             "permuting there and back differs from remapping there and back");
  REREAD(b[B_P2], "reading the twice-permuted module");
  check_same_model(m[M_X], m[M_REREAD], false, "permuting there and back");

  /* 7. requests that must be refused before anything changes: a table of the wrong
   * size, a table that is not a permutation, a permutation that moves an import. The
   * space is the first non-empty one from an input-chosen start. */
  maps_free(&mp);
  maps_build(m[M_W], MAP_IDENTITY, 0, &mp);
  for (int k = 0, s0 = (int)(size % MB_SPACE_COUNT); k < MB_SPACE_COUNT; k++) {
    int sp = (s0 + k) % MB_SPACE_COUNT;
    uint32_t n = mp.rm.count[sp];
    if (!n) continue;
    mp.rm.count[sp] = n - 1;
    if (!check_refused(m[M_W], &mp.rm, false, &b[B_W], injecting, "remap, short table"))
      goto out;
    mp.rm.count[sp] = n;
    if (n >= 2) {
      mp.v[sp][n - 1] = mp.v[sp][0];
      if (!check_refused(m[M_W], &mp.rm, true, &b[B_W], injecting, "permute, not a permutation"))
        goto out;
      mp.v[sp][n - 1] = n - 1;
    }
    break;
  }
  for (int sp = MB_SPACE_FUNC; sp <= MB_SPACE_TAG; sp++) {
    static const int kind_of[MB_SPACE_COUNT] = {-1, MB_KIND_FUNC, MB_KIND_TABLE,
                                                MB_KIND_MEMORY, MB_KIND_GLOBAL, MB_KIND_TAG};
    uint32_t n = mp.rm.count[sp];
    if (n < 2 || m[M_W]->nimported[kind_of[sp]] == 0) continue;
    mp.v[sp][0] = n - 1, mp.v[sp][n - 1] = 0;
    if (!check_refused(m[M_W], &mp.rm, true, &b[B_W], injecting, "permute moving an import"))
      goto out;
    mp.v[sp][0] = 0, mp.v[sp][n - 1] = n - 1;
    break;
  }

  for (int i = 0; i < NBUF; i++) *digest = fz_hash(*digest, b[i].data, b[i].len);
  res = FZ_DONE;

#undef STEP
#undef REREAD
out:
  maps_free(&mp);
  maps_free(&inv);
  for (int i = 0; i < NBUF; i++) mb_buf_fini(&b[i]);
  for (int i = 0; i < NMOD; i++) mb_module_free(m[i]);
  return res;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_run_with_oom(steps, data, size);
  return 0;
}
