/* test_roundtrip.c — the binary model against real modules: every WAT fixture (wat2wasm)
 * and every C fixture (clang + wasm-ld) is read, written, re-encoded, remapped and
 * permuted, and the results are compared with the input or validated by wabt.
 *
 * usage: test_roundtrip --wasm-validate PATH [--validate-flag FLAG]...
 *                       [--wat FILE...] [--clang FILE...]
 *
 * Files after --wat were written by wat2wasm, files after --clang by clang: at -O1 and
 * above rewritten by binaryen's wasm-opt (clang runs it), at -O0 straight from wasm-ld.
 * All of them use minimal LEB128 for everything the model re-encodes (section sizes,
 * counts, body sizes, indices outside code), so re-encoding any of them must give the
 * input back byte for byte. wasm-ld pads one thing: relocated immediates inside code
 * bodies (call targets, global indices, ...) are 5-byte LEBs. Bodies are byte ranges of
 * the input, so that survives a re-encode, but the remapper writes every immediate it
 * changes minimally; tests that remap compare such modules after normalising (see
 * normalised_model).
 *
 * Five tests per fixture:
 *   read_write   read then write unchanged: byte-identical (buffer, FILE and path writers)
 *   reencode     mb_module_mark_all_dirty + write: byte-identical for wat2wasm output; for
 *                clang output an equal model, and the re-encoding is a fixed point
 *   remap_id     mb_module_remap with all-NULL maps, and with explicit identity maps: the
 *                same bytes as the plain re-encoding (so: the input, for wat2wasm output)
 *   append_identity  an empty module given the input's types and imports, then the input
 *                appended with identity maps (mb_module_append, eager and lazy), then its
 *                exports and start: the input's bytes without its custom sections
 *   permute      reverse every index space (reverse_permute.h): the output differs, passes
 *                wasm-validate, reads back, and reversing again gives back the original
 *                model (exactly for wat2wasm output; after normalising for clang output)
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "membrane_link.h"
#include "reverse_permute.h"

typedef struct fixture {
  const char *path;
  const char *name; /* basename, for test names */
  bool minimal_leb; /* written by wat2wasm: index LEBs in code are minimal too */
  uint8_t *data;
  size_t len;
} fixture;

static const char *wasm_validate;
static const char *validate_flags[32];
static int nvalidate_flags;

/* ---- helpers ---- */

static void load(fixture *f) {
  if (f->data) return;
  mb_diag diag = {0};
  mb_err e = mb_file_read(NULL, f->path, &f->data, &f->len, &diag);
  if (e) fail_msg("%s: %s", f->path, diag.message);
}

static mb_module *read_ok(const uint8_t *data, size_t len, const char *what) {
  mb_module *m = NULL;
  mb_diag diag = {0};
  mb_err e = mb_wasm_read(NULL, data, len, &m, &diag);
  if (e)
    fail_msg("%s: read failed: %s at offset %llu: %s", what, mb_err_name(e),
             (unsigned long long)diag.offset, diag.message);
  return m;
}

static void write_ok(const mb_module *m, mb_buf *out, const char *what) {
  mb_diag diag = {0};
  mb_buf_init(out, NULL);
  mb_err e = mb_wasm_write(m, out, &diag);
  if (e) fail_msg("%s: write failed: %s: %s", what, mb_err_name(e), diag.message);
}

/* Fail with the first differing offset when two byte strings differ. */
static void assert_same_bytes(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
                              const char *what) {
  size_t n = alen < blen ? alen : blen, i = 0;
  while (i < n && a[i] == b[i]) i++;
  if (i == n && alen == blen) return;
  fail_msg("%s: bytes differ at offset %zu (lengths %zu and %zu)", what, i, alen, blen);
}

static bool same_bytes(mb_bytes a, mb_bytes b) {
  return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* Compare two models field by field. Element segment flags are compared only when
 * `elem_flags` is set: they are "as read" and the writer recomputes them, so a model that
 * went through a permutation may legitimately carry another (equivalent) encoding.
 * Returns NULL when equal, else a description of the first difference (static buffer). */
static const char *model_diff(const mb_module *a, const mb_module *b, bool elem_flags) {
  static char why[256];
#define DIFF(...) do { snprintf(why, sizeof why, __VA_ARGS__); return why; } while (0)
  if (a->ntypes != b->ntypes) DIFF("type count %u vs %u", a->ntypes, b->ntypes);
  for (uint32_t i = 0; i < a->ntypes; i++) {
    const mb_functype *x = &a->types[i], *y = &b->types[i];
    if (!mb_functype_eq(x, y))
      DIFF("type %u differs", i);
  }
  if (a->nimports != b->nimports) DIFF("import count %u vs %u", a->nimports, b->nimports);
  for (uint32_t i = 0; i < a->nimports; i++) {
    const mb_import *x = &a->imports[i], *y = &b->imports[i];
    if (!same_bytes(x->module, y->module) || !same_bytes(x->field, y->field) || x->kind != y->kind)
      DIFF("import %u name or kind differs", i);
    bool same = true;
    switch (x->kind) {
    case MB_KIND_FUNC: same = x->u.func_type == y->u.func_type; break;
    case MB_KIND_TAG: same = x->u.tag_type == y->u.tag_type; break;
    case MB_KIND_TABLE:
      same = x->u.table.elemtype == y->u.table.elemtype &&
             x->u.table.limits.flags == y->u.table.limits.flags &&
             x->u.table.limits.min == y->u.table.limits.min &&
             x->u.table.limits.max == y->u.table.limits.max;
      break;
    case MB_KIND_MEMORY:
      same = x->u.memory.flags == y->u.memory.flags && x->u.memory.min == y->u.memory.min &&
             x->u.memory.max == y->u.memory.max;
      break;
    case MB_KIND_GLOBAL:
      same = x->u.global.valtype == y->u.global.valtype &&
             x->u.global.mutable_ == y->u.global.mutable_;
      break;
    }
    if (!same) DIFF("import %u type differs", i);
  }
  for (int k = 0; k < MB_KIND_COUNT; k++)
    if (a->nimported[k] != b->nimported[k]) DIFF("imports of kind %d: %u vs %u", k,
                                                 a->nimported[k], b->nimported[k]);
  if (a->nfuncs != b->nfuncs) DIFF("function count %u vs %u", a->nfuncs, b->nfuncs);
  for (uint32_t i = 0; i < a->nfuncs; i++)
    if (a->func_types[i] != b->func_types[i]) DIFF("function %u type differs", i);
  if (a->ntables != b->ntables) DIFF("table count %u vs %u", a->ntables, b->ntables);
  for (uint32_t i = 0; i < a->ntables; i++) {
    const mb_table *x = &a->tables[i], *y = &b->tables[i];
    if (x->type.elemtype != y->type.elemtype || x->type.limits.flags != y->type.limits.flags ||
        x->type.limits.min != y->type.limits.min || x->type.limits.max != y->type.limits.max ||
        !same_bytes(x->init, y->init))
      DIFF("table %u differs", i);
  }
  if (a->nmemories != b->nmemories) DIFF("memory count %u vs %u", a->nmemories, b->nmemories);
  for (uint32_t i = 0; i < a->nmemories; i++) {
    const mb_limits *x = &a->memories[i], *y = &b->memories[i];
    if (x->flags != y->flags || x->min != y->min || x->max != y->max) DIFF("memory %u differs", i);
  }
  if (a->ntags != b->ntags) DIFF("tag count %u vs %u", a->ntags, b->ntags);
  for (uint32_t i = 0; i < a->ntags; i++)
    if (a->tag_types[i] != b->tag_types[i]) DIFF("tag %u type differs", i);
  if (a->nglobals != b->nglobals) DIFF("global count %u vs %u", a->nglobals, b->nglobals);
  for (uint32_t i = 0; i < a->nglobals; i++) {
    const mb_global *x = &a->globals[i], *y = &b->globals[i];
    if (x->type.valtype != y->type.valtype || x->type.mutable_ != y->type.mutable_ ||
        !same_bytes(x->init, y->init))
      DIFF("global %u differs", i);
  }
  if (a->nexports != b->nexports) DIFF("export count %u vs %u", a->nexports, b->nexports);
  for (uint32_t i = 0; i < a->nexports; i++) {
    const mb_export *x = &a->exports[i], *y = &b->exports[i];
    if (!same_bytes(x->name, y->name) || x->kind != y->kind || x->index != y->index)
      DIFF("export %u (%.*s) differs", i, (int)x->name.len, (const char *)x->name.ptr);
  }
  if (a->has_start != b->has_start || (a->has_start && a->start != b->start))
    DIFF("start function differs");
  if (a->nelems != b->nelems) DIFF("element segment count %u vs %u", a->nelems, b->nelems);
  for (uint32_t i = 0; i < a->nelems; i++) {
    const mb_elem *x = &a->elems[i], *y = &b->elems[i];
    if ((elem_flags && x->flags != y->flags) || x->mode != y->mode || x->exprs != y->exprs ||
        x->reftype != y->reftype || x->count != y->count)
      DIFF("element segment %u header differs (flags %u/%u)", i, x->flags, y->flags);
    if (x->mode == MB_SEG_ACTIVE && (x->table != y->table || !same_bytes(x->offset, y->offset)))
      DIFF("element segment %u table or offset differs", i);
    for (uint32_t k = 0; k < x->count; k++)
      if (x->exprs ? !same_bytes(x->items[k], y->items[k]) : x->funcs[k] != y->funcs[k])
        DIFF("element segment %u item %u differs", i, k);
  }
  if (a->has_datacount != b->has_datacount) DIFF("data count presence differs");
  if (a->ncodes != b->ncodes) DIFF("code count %u vs %u", a->ncodes, b->ncodes);
  for (uint32_t i = 0; i < a->ncodes; i++)
    if (!same_bytes(a->codes[i].body, b->codes[i].body))
      DIFF("body of defined function %u differs (%u vs %u bytes)", i, a->codes[i].body.len,
           b->codes[i].body.len);
  if (a->ndatas != b->ndatas) DIFF("data segment count %u vs %u", a->ndatas, b->ndatas);
  for (uint32_t i = 0; i < a->ndatas; i++) {
    const mb_data *x = &a->datas[i], *y = &b->datas[i];
    if (x->mode != y->mode || !same_bytes(x->bytes, y->bytes))
      DIFF("data segment %u differs", i);
    if (x->mode == MB_SEG_ACTIVE && (x->memory != y->memory || !same_bytes(x->offset, y->offset)))
      DIFF("data segment %u memory or offset differs", i);
  }
  if (a->ncustoms != b->ncustoms) DIFF("custom section count %u vs %u", a->ncustoms, b->ncustoms);
  for (uint32_t i = 0; i < a->ncustoms; i++) {
    const mb_custom *x = &a->customs[i], *y = &b->customs[i];
    if (!same_bytes(x->name, y->name) || !same_bytes(x->payload, y->payload) ||
        x->before != y->before)
      DIFF("custom section %u (%.*s) differs", i, (int)x->name.len, (const char *)x->name.ptr);
  }
  for (int s = 0; s < MB_SEC_COUNT; s++)
    if (a->sec[s].present != b->sec[s].present)
      DIFF("%s section presence differs", mb_sec_name((mb_sec)s));
  return NULL;
#undef DIFF
}

static void assert_same_model(const mb_module *a, const mb_module *b, bool elem_flags,
                              const char *what) {
  const char *why = model_diff(a, b, elem_flags);
  if (why) fail_msg("%s: models differ: %s", what, why);
}

/* Known sections whose re-encoding differs from the input bytes (informational). */
static void report_reencoded_sections(const fixture *f, const mb_module *m, const mb_buf *out) {
  mb_module *r = read_ok(out->data, out->len, "re-encoded output");
  char list[256] = "";
  for (int s = 0; s < MB_SEC_COUNT; s++) {
    if (!m->sec[s].present) continue;
    if (!same_bytes(m->sec[s].raw, r->sec[s].raw)) {
      size_t n = strlen(list);
      snprintf(list + n, sizeof list - n, "%s%s (%u -> %u bytes)", n ? ", " : "",
               mb_sec_name((mb_sec)s), m->sec[s].raw.len, r->sec[s].raw.len);
    }
  }
  print_message("[ INFO     ] %s: re-encoding changes %s\n", f->name, list[0] ? list : "no known section");
  mb_module_free(r);
}

/* Write bytes to a fresh temporary file; the caller unlinks and frees the path. */
static char *temp_file(const uint8_t *data, size_t len) {
  const char *dir = getenv("TMPDIR");
  size_t n = strlen(dir ? dir : "/tmp") + 32;
  char *path = malloc(n);
  assert_non_null(path);
  snprintf(path, n, "%s/mb-roundtrip-XXXXXX", dir ? dir : "/tmp");
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, data, len), (ssize_t)len);
  close(fd);
  return path;
}

/* Run wasm-validate with the configured flags on a file; its exit status. */
static int run_validate(const char *file) {
  const char *argv[40];
  int n = 0;
  argv[n++] = wasm_validate;
  for (int i = 0; i < nvalidate_flags; i++) argv[n++] = validate_flags[i];
  argv[n++] = file;
  argv[n] = NULL;
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    execv(wasm_validate, (char *const *)argv);
    _exit(127);
  }
  assert_true(pid > 0);
  int status;
  while (waitpid(pid, &status, 0) < 0) assert_int_equal(errno, EINTR);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* Remap every index of every space to index + 2^20, so that every index immediate in
 * the module is re-encoded (minimally) by the remapper. Two modules that differ only in
 * how their index LEBs are padded give equal models afterwards. The result is not a
 * valid module (the indices point nowhere); it is only compared. */
static mb_module *normalised_model(const uint8_t *data, size_t len, const char *what) {
  mb_module *m = read_ok(data, len, what);
  const uint32_t sizes[MB_SPACE_COUNT] = {
      m->ntypes, mb_module_count(m, MB_KIND_FUNC), mb_module_count(m, MB_KIND_TABLE),
      mb_module_count(m, MB_KIND_MEMORY), mb_module_count(m, MB_KIND_GLOBAL),
      mb_module_count(m, MB_KIND_TAG), m->nelems, m->ndatas};
  mb_remap shift = {{0}, {0}};
  uint32_t *maps[MB_SPACE_COUNT] = {0};
  for (int s = 0; s < MB_SPACE_COUNT; s++) {
    if (!sizes[s]) continue;
    maps[s] = malloc(sizes[s] * sizeof(uint32_t));
    assert_non_null(maps[s]);
    for (uint32_t i = 0; i < sizes[s]; i++) maps[s][i] = i + (1u << 20);
    shift.map[s] = maps[s];
    shift.count[s] = sizes[s];
  }
  mb_diag diag = {0};
  mb_err e = mb_module_remap(m, &shift, &diag);
  for (int s = 0; s < MB_SPACE_COUNT; s++) free(maps[s]);
  if (e) fail_msg("%s: normalising remap: %s: %s", what, mb_err_name(e), diag.message);
  return m;
}

/* ---- the tests ---- */

static void test_read_write(void **state) {
  fixture *f = *state;
  load(f);
  mb_module *m = read_ok(f->data, f->len, f->path);
  mb_buf out;
  write_ok(m, &out, f->path);
  assert_same_bytes(f->data, f->len, out.data, out.len, "read+write");

  /* the streaming writer and the atomic path writer give the same bytes */
  char *path = temp_file((const uint8_t *)"", 0);
  FILE *fp = fopen(path, "wb");
  assert_non_null(fp);
  mb_diag diag = {0};
  assert_int_equal(mb_wasm_write_file(m, fp, &diag), MB_OK);
  assert_int_equal(fclose(fp), 0);
  uint8_t *back = NULL;
  size_t blen = 0;
  assert_int_equal(mb_file_read(NULL, path, &back, &blen, &diag), MB_OK);
  assert_same_bytes(f->data, f->len, back, blen, "mb_wasm_write_file");
  mb_file_free(NULL, back, blen);
  assert_int_equal(mb_wasm_write_path(m, path, &diag), MB_OK);
  assert_int_equal(mb_file_read(NULL, path, &back, &blen, &diag), MB_OK);
  assert_same_bytes(f->data, f->len, back, blen, "mb_wasm_write_path");
  mb_file_free(NULL, back, blen);
  unlink(path);
  free(path);
  mb_buf_fini(&out);
  mb_module_free(m);
}

static void test_reencode(void **state) {
  fixture *f = *state;
  load(f);
  mb_module *m = read_ok(f->data, f->len, f->path);
  mb_module_mark_all_dirty(m);
  mb_buf out;
  write_ok(m, &out, "re-encode");
  if (out.len != f->len || memcmp(out.data, f->data, f->len) != 0)
    report_reencoded_sections(f, m, &out); /* which sections, before failing */
  assert_same_bytes(f->data, f->len, out.data, out.len, "mark_all_dirty + write");
  /* read → write → read gives an equal model */
  mb_module *r = read_ok(out.data, out.len, "re-encoded output");
  assert_same_model(m, r, true, "read vs re-encoded");
  /* and the encoding is a fixed point */
  mb_module_mark_all_dirty(r);
  mb_buf again;
  write_ok(r, &again, "second re-encode");
  assert_same_bytes(out.data, out.len, again.data, again.len, "re-encoding twice");
  mb_buf_fini(&again);
  mb_buf_fini(&out);
  mb_module_free(r);
  mb_module_free(m);
}

static void test_remap_identity(void **state) {
  fixture *f = *state;
  load(f);
  mb_diag diag = {0};

  mb_module *plain = read_ok(f->data, f->len, f->path);
  mb_module_mark_all_dirty(plain);
  mb_buf expect;
  write_ok(plain, &expect, "re-encode");

  mb_module *m = read_ok(f->data, f->len, f->path);
  mb_remap none = {{0}, {0}};
  mb_err e = mb_module_remap(m, &none, &diag);
  if (e) fail_msg("identity remap: %s: %s", mb_err_name(e), diag.message);
  mb_buf out;
  write_ok(m, &out, "identity remap");
  assert_same_bytes(expect.data, expect.len, out.data, out.len, "NULL-map remap");
  assert_same_bytes(f->data, f->len, out.data, out.len, "NULL-map remap vs input");
  mb_buf_fini(&out);
  mb_module_free(m);

  /* explicit identity tables take the map lookup path everywhere */
  m = read_ok(f->data, f->len, f->path);
  const uint32_t sizes[MB_SPACE_COUNT] = {
      m->ntypes, mb_module_count(m, MB_KIND_FUNC), mb_module_count(m, MB_KIND_TABLE),
      mb_module_count(m, MB_KIND_MEMORY), mb_module_count(m, MB_KIND_GLOBAL),
      mb_module_count(m, MB_KIND_TAG), m->nelems, m->ndatas};
  mb_remap id = {{0}, {0}};
  uint32_t *maps[MB_SPACE_COUNT] = {0};
  for (int s = 0; s < MB_SPACE_COUNT; s++) {
    maps[s] = malloc((sizes[s] ? sizes[s] : 1) * sizeof(uint32_t));
    assert_non_null(maps[s]);
    for (uint32_t i = 0; i < sizes[s]; i++) maps[s][i] = i;
    id.map[s] = maps[s];
    id.count[s] = sizes[s];
  }
  e = mb_module_remap(m, &id, &diag);
  if (e) fail_msg("explicit identity remap: %s: %s", mb_err_name(e), diag.message);
  write_ok(m, &out, "explicit identity remap");
  assert_same_bytes(expect.data, expect.len, out.data, out.len, "explicit identity remap");
  for (int s = 0; s < MB_SPACE_COUNT; s++) free(maps[s]);
  mb_buf_fini(&out);
  mb_buf_fini(&expect);
  mb_module_free(m);
  mb_module_free(plain);
}

/* The input rebuilt by the builder functions and mb_module_append with identity maps. */
static mb_module *rebuilt(const mb_module *m, unsigned flags) {
  mb_module *o = mb_module_new(NULL);
  mb_diag diag = {0};
  uint32_t index;
  mb_err e = o ? MB_OK : MB_ERR_NOMEM;
  for (uint32_t t = 0; t < m->ntypes && !e; t++) e = mb_module_add_type(o, &m->types[t], &index, &diag);
  for (uint32_t i = 0; i < m->nimports && !e; i++) e = mb_module_add_import(o, &m->imports[i], &index, &diag);
  mb_remap none = {{0}, {0}};
  mb_module_space_sizes(m, none.count);
  if (!e) e = mb_module_append(o, m, &none, flags, &diag);
  for (uint32_t i = 0; i < m->nexports && !e; i++)
    e = mb_module_add_export(o, (const char *)m->exports[i].name.ptr, m->exports[i].name.len,
                             m->exports[i].kind, m->exports[i].index, &diag);
  if (m->has_start) mb_module_set_start(o, m->start);
  if (e) fail_msg("rebuild: %s: %s", mb_err_name(e), diag.message);
  return o;
}

static void test_append_identity(void **state) {
  fixture *f = *state;
  load(f);
  mb_module *plain = read_ok(f->data, f->len, f->path);
  mb_module_strip_customs(plain, false);
  mb_module_mark_all_dirty(plain);
  mb_buf expect;
  write_ok(plain, &expect, "re-encode without customs");
  for (unsigned flags = 0; flags <= MB_APPEND_LAZY; flags += MB_APPEND_LAZY) {
    mb_module *m = read_ok(f->data, f->len, f->path);
    mb_module *o = rebuilt(m, flags);
    mb_buf out;
    write_ok(o, &out, "rebuilt");
    /* lazily renumbered bodies: the code section's size is written padded; re-encode */
    mb_module *back = read_ok(out.data, out.len, "rebuilt output");
    mb_module_mark_all_dirty(back);
    mb_buf again;
    write_ok(back, &again, "rebuilt, re-encoded");
    assert_same_bytes(expect.data, expect.len, again.data, again.len,
                      flags ? "appended lazily" : "appended eagerly");
    mb_buf_fini(&again);
    mb_module_free(back);
    mb_buf_fini(&out);
    mb_module_free(o);
    mb_module_free(m);
  }
  mb_buf_fini(&expect);
  mb_module_free(plain);
}

static void test_permute(void **state) {
  fixture *f = *state;
  load(f);
  mb_diag diag = {0};
  mb_module *orig = read_ok(f->data, f->len, f->path);
  mb_module *m = read_ok(f->data, f->len, f->path);
  mb_err e = mbt_reverse_permute(m, &diag);
  if (e) fail_msg("permute: %s at %llu: %s", mb_err_name(e), (unsigned long long)diag.offset,
                  diag.message);
  mb_buf out;
  write_ok(m, &out, "permuted");
  if (orig->nfuncs >= 2) {
    bool differs = out.len != f->len || memcmp(out.data, f->data, f->len) != 0;
    assert_true(differs);
  }

  char *path = temp_file(out.data, out.len);
  int status = run_validate(path);
  unlink(path);
  free(path);
  if (status != 0) fail_msg("%s: permuted module fails wasm-validate (status %d)", f->name, status);

  /* reversal is an involution: permuting the output again restores the original model;
   * exactly when the input's index LEBs are minimal, else after normalising both */
  mb_module *p = read_ok(out.data, out.len, "permuted output");
  e = mbt_reverse_permute(p, &diag);
  if (e) fail_msg("second permute: %s: %s", mb_err_name(e), diag.message);
  mb_buf twice;
  write_ok(p, &twice, "permuted twice");
  if (f->minimal_leb) {
    mb_module *back = read_ok(twice.data, twice.len, "permuted twice");
    assert_same_model(orig, back, false, "original vs permuted twice");
    mb_module_free(back);
  }
  mb_module *norm_orig = normalised_model(f->data, f->len, "original");
  mb_module *norm_back = normalised_model(twice.data, twice.len, "permuted twice");
  assert_same_model(norm_orig, norm_back, false, "original vs permuted twice, normalised");
  mb_module_free(norm_back);
  mb_module_free(norm_orig);
  mb_buf_fini(&twice);
  mb_module_free(p);
  mb_buf_fini(&out);
  mb_module_free(m);
  mb_module_free(orig);
}

static int teardown_fixture(void **state) {
  fixture *f = *state;
  mb_file_free(NULL, f->data, f->len);
  f->data = NULL;
  return 0;
}

int main(int argc, char **argv) {
  fixture *fx = calloc((size_t)argc, sizeof *fx);
  size_t nfx = 0;
  int mode = -1; /* 1: --wat, 0: --clang */
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--wasm-validate") && i + 1 < argc) {
      wasm_validate = argv[++i];
    } else if (!strcmp(argv[i], "--validate-flag") && i + 1 < argc) {
      if (nvalidate_flags < 32) validate_flags[nvalidate_flags++] = argv[++i];
    } else if (!strcmp(argv[i], "--wat")) {
      mode = 1;
    } else if (!strcmp(argv[i], "--clang")) {
      mode = 0;
    } else if (mode >= 0 && argv[i][0] != '-') {
      const char *slash = strrchr(argv[i], '/');
      fx[nfx].path = argv[i];
      fx[nfx].name = slash ? slash + 1 : argv[i];
      fx[nfx].minimal_leb = mode == 1;
      nfx++;
    } else {
      fprintf(stderr, "usage: test_roundtrip --wasm-validate PATH [--validate-flag FLAG]... "
                      "[--wat FILE...] [--clang FILE...]\n");
      return 2;
    }
  }
  if (!wasm_validate || nfx == 0) {
    fprintf(stderr, "test_roundtrip: need --wasm-validate and at least one fixture\n");
    return 2;
  }
  static const struct {
    const char *suffix;
    CMUnitTestFunction fn;
  } kinds[] = {{"read_write", test_read_write},
               {"reencode", test_reencode},
               {"remap_identity", test_remap_identity},
               {"append_identity", test_append_identity},
               {"permute", test_permute}};
  enum { NKINDS = sizeof kinds / sizeof kinds[0] };
  struct CMUnitTest *tests = calloc(nfx * NKINDS, sizeof *tests);
  char **names = calloc(nfx * NKINDS, sizeof *names);
  for (size_t i = 0; i < nfx; i++)
    for (size_t k = 0; k < NKINDS; k++) {
      size_t t = i * NKINDS + k;
      size_t n = strlen(fx[i].name) + strlen(kinds[k].suffix) + 3;
      names[t] = malloc(n);
      snprintf(names[t], n, "%s: %s", fx[i].name, kinds[k].suffix);
      tests[t].name = names[t];
      tests[t].test_func = kinds[k].fn;
      tests[t].teardown_func = k == NKINDS - 1 ? teardown_fixture : NULL;
      tests[t].initial_state = &fx[i];
    }
  int failed = _cmocka_run_group_tests("roundtrip", tests, nfx * NKINDS, NULL, NULL);
  for (size_t t = 0; t < nfx * NKINDS; t++) free(names[t]);
  for (size_t i = 0; i < nfx; i++) mb_file_free(NULL, fx[i].data, fx[i].len);
  free(names);
  free(tests);
  free(fx);
  return failed;
}
