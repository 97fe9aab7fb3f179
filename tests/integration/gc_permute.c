/* gc_permute — `gc_permute IN.wasm OUT.wasm`: the binary model against a GC module
 * (binaryen 132's output), then the permuted twin for gc_run.mjs to run beside IN.
 *
 * Checks, each fatal (exit 1 with the reason):
 *   1. read then write unchanged is byte-identical;
 *   2. every section re-encoded from the model (mark all dirty) is byte-identical too:
 *      rec groups, sub types, fields, typed references and GC constant expressions are
 *      all written back as binaryen wrote them;
 *   3. mb_module_remap with identity maps on every space gives the input again;
 *   4. a permutation of every index space is applied with mb_module_permute: types move
 *      as far as the type section allows (rec groups in reverse dependency order, members
 *      of a group reversed where their supertypes allow), every other space is reversed
 *      (globals stay when an initialiser reads an earlier global). At least one type
 *      moves. The result reads back, and the inverse permutation gives the input's bytes.
 * The permuted module is written to OUT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "membrane_wasm.h"

static int fail(const char *what, mb_err e, const mb_diag *d) {
  fprintf(stderr, "gc_permute: %s: %s at offset %llu: %s\n", what, mb_err_name(e),
          (unsigned long long)d->offset, d->message);
  return 1;
}

static int differ(const char *what, const mb_buf *a, const uint8_t *b, size_t n) {
  if (a->len == n && memcmp(a->data, b, n) == 0) return 0;
  size_t k = 0;
  while (k < a->len && k < n && a->data[k] == b[k]) k++;
  fprintf(stderr, "gc_permute: %s: %zu bytes vs %zu, first difference at offset %zu\n", what,
          a->len, n, k);
  return 1;
}

static uint32_t rec_of(const mb_module *m, uint32_t i) { return m->typedefs ? m->typedefs[i].rec : i; }
static uint32_t rec_size(const mb_module *m, uint32_t i) {
  return m->typedefs ? m->typedefs[i].rec_size : 1;
}

/* Does type i mention type j (in a field, signature or as supertype)? */
static bool mentions(const mb_module *m, uint32_t i, uint32_t j) {
  const mb_functype *ft = &m->types[i];
  for (uint32_t k = 0; k < ft->nparams; k++)
    if (mb_valtype_has_index(ft->params[k]) && mb_valtype_heap(ft->params[k]) == j) return true;
  for (uint32_t k = 0; k < ft->nresults; k++)
    if (mb_valtype_has_index(ft->results[k]) && mb_valtype_heap(ft->results[k]) == j) return true;
  if (!m->typedefs) return false;
  const mb_typedef *td = &m->typedefs[i];
  if (td->has_super && td->super == j) return true;
  for (uint32_t k = 0; k < td->nfields; k++)
    if (mb_valtype_has_index(td->fields[k].type) && mb_valtype_heap(td->fields[k].type) == j)
      return true;
  return false;
}

/* Groups in reverse order as far as dependencies allow (a group goes out only once every
 * group it mentions is out), members of a group reversed as far as supertypes allow. */
static void type_map(const mb_module *m, uint32_t *map) {
  uint32_t n = m->ntypes, next = 0;
  bool *placed = calloc(n ? n : 1, 1);
  while (next < n) {
    for (uint32_t g = n; g-- > 0;) {
      if (placed[g] || rec_of(m, g) != g) continue;
      bool ready = true;
      for (uint32_t i = g; i < g + rec_size(m, g) && ready; i++)
        for (uint32_t j = 0; j < n && ready; j++)
          if (!placed[j] && (j < g || j >= g + rec_size(m, g)) && mentions(m, i, j)) ready = false;
      if (!ready) continue;
      uint32_t size = rec_size(m, g);
      for (uint32_t done = 0; done < size;) /* members: highest index whose supertype is out */
        for (uint32_t i = g + size; i-- > g;) {
          if (placed[i]) continue;
          const mb_typedef *td = m->typedefs ? &m->typedefs[i] : NULL;
          if (td && td->has_super && td->super >= g && !placed[td->super]) continue;
          map[i] = next++;
          placed[i] = true;
          done++;
          break;
        }
      break;
    }
  }
  free(placed);
}

typedef struct maps {
  uint32_t *v[MB_SPACE_COUNT];
  mb_remap rm, inv;
  uint32_t *iv[MB_SPACE_COUNT];
} maps;

static void build(const mb_module *m, bool move_globals, maps *mp) {
  static const int kind_of[MB_SPACE_COUNT] = {-1, MB_KIND_FUNC, MB_KIND_TABLE, MB_KIND_MEMORY,
                                              MB_KIND_GLOBAL, MB_KIND_TAG, -1, -1};
  uint32_t sizes[MB_SPACE_COUNT];
  mb_module_space_sizes(m, sizes);
  memset(mp, 0, sizeof *mp);
  for (int s = 0; s < MB_SPACE_COUNT; s++) {
    uint32_t n = sizes[s], imported = kind_of[s] >= 0 ? m->nimported[kind_of[s]] : 0;
    if (!n) continue;
    mp->v[s] = malloc(n * sizeof *mp->v[s]);
    mp->iv[s] = malloc(n * sizeof *mp->iv[s]);
    if (s == MB_SPACE_TYPE) type_map(m, mp->v[s]);
    else
      for (uint32_t i = 0; i < n; i++)
        mp->v[s][i] = i < imported || (s == MB_SPACE_GLOBAL && !move_globals)
                          ? i : imported + (n - 1 - i);
    for (uint32_t i = 0; i < n; i++) mp->iv[s][mp->v[s][i]] = i;
    mp->rm.map[s] = mp->v[s];
    mp->inv.map[s] = mp->iv[s];
    mp->rm.count[s] = mp->inv.count[s] = n;
  }
}

static void maps_free(maps *mp) {
  for (int s = 0; s < MB_SPACE_COUNT; s++) free(mp->v[s]), free(mp->iv[s]);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: gc_permute IN.wasm OUT.wasm\n");
    return 2;
  }
  uint8_t *data = NULL;
  size_t len = 0;
  mb_module *m = NULL;
  mb_diag d = {0};
  mb_buf out;
  mb_buf_init(&out, NULL);
  maps mp = {0};
  int status = 1;
  mb_err e;
  if ((e = mb_file_read(NULL, argv[1], &data, &len, &d))) return fail("reading the file", e, &d);
  if ((e = mb_wasm_read(NULL, data, len, &m, &d))) {
    fail("reading the module", e, &d);
    goto out;
  }
  if (!(m->features & MB_FEAT_GC)) {
    fprintf(stderr, "gc_permute: %s: the reader saw no GC\n", argv[1]);
    goto out;
  }
  if ((e = mb_wasm_write(m, &out, &d))) {
    fail("writing", e, &d);
    goto out;
  }
  if (differ("read then write", &out, data, len)) goto out;
  mb_module_mark_all_dirty(m);
  out.len = 0;
  if ((e = mb_wasm_write(m, &out, &d))) {
    fail("re-encoding", e, &d);
    goto out;
  }
  if (differ("every section re-encoded", &out, data, len)) goto out;
  mb_module_free(m);
  m = NULL;

  /* 3. identity maps */
  if ((e = mb_wasm_read(NULL, data, len, &m, &d))) goto out;
  build(m, true, &mp);
  for (int s = 0; s < MB_SPACE_COUNT; s++) mp.rm.map[s] = mp.rm.count[s] ? mp.iv[s] : NULL;
  for (int s = 0; s < MB_SPACE_COUNT; s++)
    for (uint32_t i = 0; i < mp.rm.count[s]; i++) mp.iv[s][i] = i;
  if ((e = mb_module_remap(m, &mp.rm, &d))) {
    fail("remapping with identity maps", e, &d);
    goto out;
  }
  out.len = 0;
  if ((e = mb_wasm_write(m, &out, &d)) || differ("remapped with identity maps", &out, data, len))
    goto out;
  maps_free(&mp);
  mb_module_free(m);
  m = NULL;

  /* 4. permute, read back, permute back */
  if ((e = mb_wasm_read(NULL, data, len, &m, &d))) goto out;
  build(m, true, &mp);
  e = mb_module_permute(m, &mp.rm, &d);
  if (e == MB_ERR_INVALID_ARG && strstr(d.message, "global")) {
    maps_free(&mp);
    build(m, false, &mp);
    e = mb_module_permute(m, &mp.rm, &d);
  }
  if (e) {
    fail("permuting", e, &d);
    goto out;
  }
  uint32_t moved = 0;
  for (uint32_t i = 0; i < m->ntypes; i++) moved += mp.v[MB_SPACE_TYPE][i] != i;
  fprintf(stderr, "gc_permute: %s: %u of %u types moved:", argv[1], moved, m->ntypes);
  for (uint32_t i = 0; i < m->ntypes; i++) fprintf(stderr, " %u", mp.v[MB_SPACE_TYPE][i]);
  fprintf(stderr, "\n");
  if (m->ntypes > 1 && !moved) {
    fprintf(stderr, "gc_permute: no type moved\n");
    goto out;
  }
  out.len = 0;
  if ((e = mb_wasm_write(m, &out, &d))) {
    fail("writing the permuted module", e, &d);
    goto out;
  }
  if ((e = mb_wasm_write_path(m, argv[2], &d))) {
    fail("writing OUT", e, &d);
    goto out;
  }
  mb_module *back = NULL;
  if ((e = mb_wasm_read(NULL, out.data, out.len, &back, &d))) {
    fail("reading the permuted module back", e, &d);
    goto out;
  }
  mb_module_free(back);
  if ((e = mb_module_permute(m, &mp.inv, &d))) {
    fail("permuting back", e, &d);
    goto out;
  }
  out.len = 0;
  if ((e = mb_wasm_write(m, &out, &d)) || differ("permuted there and back", &out, data, len))
    goto out;
  status = 0;
out:
  maps_free(&mp);
  mb_buf_fini(&out);
  mb_module_free(m);
  mb_file_free(NULL, data, len);
  return status;
}
