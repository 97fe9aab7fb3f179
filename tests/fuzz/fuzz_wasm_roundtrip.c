/* fuzz_wasm_roundtrip.c — write, re-encode, remap and permute modules the reader accepts.
 *
 * For an input x that mb_wasm_read accepts:
 *  1. write(read(x)) == x (clean sections and customs are copied raw), and reading and
 *     writing that again gives the same bytes.
 *  2. With every section dirty and every custom re-encoded, write gives z; read(z)
 *     succeeds, write(read(z)) == z, and re-encoding read(z) gives z again (the encoder
 *     is a fixpoint).
 *  3. mb_module_remap with identity tables changes nothing: same bytes as 2 (custom
 *     sections stripped on both sides, since the name section is re-sorted).
 *  4. mb_module_remap reversing each index space (imports and definitions alike; for
 *     globals only among the imports, as a defined global's initialiser may only read
 *     earlier globals) succeeds and its output reads back.
 *  5. mb_module_permute reversing the definitions of each space (imports stay) succeeds
 *     and its output reads back.
 *  6. Permuting twice with that involution gives the same bytes as remapping twice with
 *     it: both rewrite every reference the same way, and the definitions end where they
 *     started.
 * Any failure aborts. */
#include "fuzz_common.h"

typedef enum map_mode {
  MAP_IDENTITY,
  MAP_REVERSE_ALL,     /* reverse whole spaces; globals only within the imports */
  MAP_REVERSE_DEFINED, /* reverse the definitions; imports keep their index */
  MAP_REVERSE_DEFINED_NOT_GLOBALS, /* the same, but globals stay where they are */
} map_mode;

typedef struct maps {
  uint32_t *v[MB_SPACE_COUNT];
  mb_remap rm;
} maps;

static void maps_free(maps *mp) {
  for (int s = 0; s < MB_SPACE_COUNT; s++) free(mp->v[s]);
  memset(mp, 0, sizeof *mp);
}

/* Build the tables for m (NULL for an empty space). The harness's own memory comes from
 * malloc, not the library hook, so injected failures stay inside the library. */
static void maps_build(const mb_module *m, map_mode mode, maps *mp) {
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
    uint32_t lo = 0, hi = n; /* the range [lo, hi) is reversed */
    if (mode == MAP_IDENTITY) hi = 0;
    else if (mode == MAP_REVERSE_DEFINED) lo = imported;
    else if (mode == MAP_REVERSE_DEFINED_NOT_GLOBALS)
      lo = imported, hi = s == MB_SPACE_GLOBAL ? 0 : n;
    else if (s == MB_SPACE_GLOBAL) hi = imported;
    for (uint32_t i = lo; i < hi; i++) v[i] = lo + (hi - 1 - i);
    mp->v[s] = v;
    mp->rm.map[s] = v;
    mp->rm.count[s] = n;
  }
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

enum { B_W, B_W1, B_Z1, B_Z1B, B_Z2, B_ZS, B_ZI, B_R, B_P, B_P2, B_R2, NBUF };
enum { M_X, M_W, M_Z, M_I, M_R, M_P, M_RR, M_REREAD, NMOD };

static fz_result steps(const uint8_t *x, size_t size, bool injecting, uint64_t *digest) {
  mb_diag d;
  mb_module *m[NMOD] = {0};
  mb_buf b[NBUF];
  maps mp = {0};
  fz_result res = FZ_STOPPED;
  mb_err e;
  for (int i = 0; i < NBUF; i++) mb_buf_init(&b[i]);

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
    STEP(mb_wasm_read((buf).data, (buf).len, &m[M_REREAD], &d), what);                     \
  } while (0)

  e = mb_wasm_read(x, size, &m[M_X], &d);
  if (e) {
    res = e == MB_ERR_NOMEM && injecting ? FZ_STOPPED : FZ_DONE;
    goto out;
  }

  /* 1. unchanged: byte for byte */
  STEP(fz_write(m[M_X], &b[B_W], &d), "writing an unchanged module");
  FUZZ_CHECK(fz_same(&b[B_W], x, size), "write(read(x)) != x (%zu bytes in, %zu out)", size,
             b[B_W].len);
  STEP(mb_wasm_read(b[B_W].data, b[B_W].len, &m[M_W], &d), "reading write(read(x))");
  STEP(fz_write(m[M_W], &b[B_W1], &d), "writing read(write(read(x)))");
  FUZZ_CHECK(fz_same(&b[B_W1], b[B_W].data, b[B_W].len), "second raw round trip differs");

  /* 2. everything re-encoded */
  dirty_all(m[M_X]);
  STEP(fz_write(m[M_X], &b[B_Z1], &d), "writing the re-encoded module");
  STEP(mb_wasm_read(b[B_Z1].data, b[B_Z1].len, &m[M_Z], &d), "reading the re-encoded module");
  STEP(fz_write(m[M_Z], &b[B_Z1B], &d), "writing read(z) unchanged");
  FUZZ_CHECK(fz_same(&b[B_Z1B], b[B_Z1].data, b[B_Z1].len), "write(read(z)) != z");
  dirty_all(m[M_Z]);
  STEP(fz_write(m[M_Z], &b[B_Z2], &d), "re-encoding read(z)");
  FUZZ_CHECK(fz_same(&b[B_Z2], b[B_Z1].data, b[B_Z1].len),
             "re-encoding is not idempotent (%zu bytes, then %zu)", b[B_Z1].len, b[B_Z2].len);

  /* 3. identity remap */
  STEP(canonical(m[M_X], &b[B_ZS], &d), "writing the canonical module");
  STEP(mb_wasm_read(x, size, &m[M_I], &d), "reading x again");
  maps_build(m[M_I], MAP_IDENTITY, &mp);
  STEP(mb_module_remap(m[M_I], &mp.rm, &d), "identity remap");
  maps_free(&mp);
  STEP(canonical(m[M_I], &b[B_ZI], &d), "writing the identity-remapped module");
  FUZZ_CHECK(fz_same(&b[B_ZI], b[B_ZS].data, b[B_ZS].len), "an identity remap changed the module");

  /* 4. remap reversing whole spaces */
  STEP(mb_wasm_read(x, size, &m[M_R], &d), "reading x again");
  maps_build(m[M_R], MAP_REVERSE_ALL, &mp);
  STEP(mb_module_remap(m[M_R], &mp.rm, &d), "reversing remap");
  maps_free(&mp);
  STEP(fz_write(m[M_R], &b[B_R], &d), "writing the remapped module");
  REREAD(b[B_R], "reading the remapped module");

  /* 5. permute reversing definitions. Refused (and nothing changed) when a global would
   * move before one its initialiser reads; then globals stay and the rest is reversed. */
  STEP(mb_wasm_read(x, size, &m[M_P], &d), "reading x again");
  maps_build(m[M_P], MAP_REVERSE_DEFINED, &mp);
  e = mb_module_permute(m[M_P], &mp.rm, &d);
  if (e == MB_ERR_NOMEM && injecting) goto out;
  if (e == MB_ERR_INVALID_ARG && m[M_P]->nglobals > 1) {
    STEP(fz_write(m[M_P], &b[B_P], &d), "writing the module a permutation was refused for");
    FUZZ_CHECK(fz_same(&b[B_P], x, size), "a refused permutation changed the module");
    maps_free(&mp);
    maps_build(m[M_P], MAP_REVERSE_DEFINED_NOT_GLOBALS, &mp);
    e = mb_module_permute(m[M_P], &mp.rm, &d);
  }
  STEP(e, "reversing permutation");
  STEP(fz_write(m[M_P], &b[B_P], &d), "writing the permuted module");
  REREAD(b[B_P], "reading the permuted module");

  /* 6. permute twice == remap twice (same tables: the involution is its own inverse) */
  STEP(mb_module_permute(m[M_P], &mp.rm, &d), "permuting back");
  STEP(canonical(m[M_P], &b[B_P2], &d), "writing the twice-permuted module");
  STEP(mb_wasm_read(x, size, &m[M_RR], &d), "reading x again");
  STEP(mb_module_remap(m[M_RR], &mp.rm, &d), "remapping");
  STEP(mb_module_remap(m[M_RR], &mp.rm, &d), "remapping back");
  STEP(canonical(m[M_RR], &b[B_R2], &d), "writing the twice-remapped module");
  FUZZ_CHECK(fz_same(&b[B_P2], b[B_R2].data, b[B_R2].len),
             "permuting twice differs from remapping twice");
  REREAD(b[B_P2], "reading the twice-permuted module");
  for (int i = 0; i < NBUF; i++) *digest = fz_hash(*digest, b[i].data, b[i].len);
  res = FZ_DONE;

#undef STEP
#undef REREAD
out:
  maps_free(&mp);
  for (int i = 0; i < NBUF; i++) mb_buf_fini(&b[i]);
  for (int i = 0; i < NMOD; i++) mb_module_free(m[i]);
  return res;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_run_with_oom(steps, data, size);
  return 0;
}
