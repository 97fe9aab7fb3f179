/* test_linker_link_res.c — the resource ABI through the link API (mb_link_set_wit,
 * mb_link_set_world, mb_link_set_glue, mb_link_grant_caller_memory): the composition of
 * tests/link/resources (three instances, handles, strings, nested types) fuses and
 * carries its membrane:resources section; the API's own errors; and an allocation
 * failure sweep over the whole link (every failure is MB_LINK_ERR_NOMEM, nothing leaks); the
 * same with --memory single (mb_link_set_memory): one memory, its regions in the
 * membrane:memory section.
 *
 * usage: test_linker_link_res LIB.wasm SVC.wasm APP.wasm COUNTER.wit */
#include <stdio.h>

#include "linker_test_util.h"
#include "membrane_virt.h"

static const char *paths[4];
typedef struct file {
  uint8_t *d;
  size_t n;
} file;
static file files[4];

/* Plain libc: the test's inputs never come from the library's allocator. */
static file slurp(const char *path) {
  file f = {0};
  FILE *fp = fopen(path, "rb");
  if (!fp) fail_msg("cannot open %s", path);
  fseek(fp, 0, SEEK_END);
  long n = ftell(fp);
  fseek(fp, 0, SEEK_SET);
  f.d = malloc(n > 0 ? (size_t)n : 1);
  f.n = fread(f.d, 1, (size_t)n, fp);
  fclose(fp);
  return f;
}

/* The whole link, as the tool does it; out_bytes: the fused module's size. */
static bool single; /* link_all with --memory single */
static mb_region_info regions[8];
static uint32_t nregions;

/* A binary-model result as the link's (out of memory stays that). */
static mb_link_err wasm_e(mb_err e) {
  return e == MB_OK ? MB_LINK_OK : e == MB_ERR_NOMEM ? MB_LINK_ERR_NOMEM : MB_LINK_ERR_INPUT;
}

static mb_link_err link_all(mb_diag *d, size_t *out_bytes, uint32_t *ntypes) {
  mb_link_err e = MB_LINK_OK;
  mb_wit *w = mb_wit_new(TA);
  mb_module *m[3] = {NULL, NULL, NULL}, *glue = NULL, *out = NULL;
  mb_link *l = NULL;
  mb_buf b;
  mb_buf_init(&b, TA);
  static const char *names[3] = {"lib", "svc", "app"};
  static const char *worlds[3] = {"example:counter/lib", "example:counter/svc",
                                  "example:counter/app"};
  if (!w) {
    e = MB_LINK_ERR_NOMEM;
    goto out;
  }
  mb_wit_diag wd;
  mb_wit_err we = mb_wit_add_source(w, "counter.wit", (const char *)files[3].d, files[3].n, &wd);
  if (!we) we = mb_wit_resolve(w, &wd);
  if (we) { /* the WIT library's own code, told as the link's */
    e = we == MB_WIT_ERR_NOMEM ? MB_LINK_ERR_NOMEM : MB_LINK_ERR_USAGE;
    snprintf(d->message, sizeof d->message, "%s", wd.message);
    goto out;
  }
  for (int i = 0; i < 3; i++)
    if ((e = wasm_e(mb_wasm_read(TA, files[i].d, files[i].n, &m[i], d)))) goto out;
  if ((e = wasm_e(mb_wasm_read(TA, mb_virt_glue_wasm, mb_virt_glue_wasm_len, &glue, d)))) goto out;
  if (!(l = mb_link_new(TA))) {
    e = MB_LINK_ERR_NOMEM;
    goto out;
  }
  /* app first: the main instance */
  for (int i = 2; i >= 0; i--)
    if ((e = mb_link_add_instance(l, names[i], m[i], paths[i], d))) goto out;
  mb_link_set_glue(l, glue);
  mb_link_set_wit(l, w);
  for (int i = 0; i < 3; i++)
    if ((e = mb_link_set_world(l, names[i], worlds[i], d))) goto out;
  if (single) {
    mb_link_set_memory(l, MB_MEMORY_SINGLE);
    if ((e = mb_link_set_memory_size(l, "lib", 64, d)) || (e = mb_link_trust(l, "svc", d)))
      goto out;
  }
  if ((e = mb_link_fuse(l, &out, d)) || (e = wasm_e(mb_wasm_write(out, &b, d)))) goto out;
  *out_bytes = b.len;
  if (single) {
    mb_region_info *rg;
    bool has;
    if ((e = mb_link_regions_read(out, &rg, &nregions, &has, d))) goto out;
    if (!has || out->nmemories != 1 || nregions > 8) {
      e = MB_LINK_ERR_USAGE;
      goto out;
    }
    memcpy(regions, rg, nregions * sizeof *rg);
    for (uint32_t i = 0; i < nregions; i++) regions[i].name.ptr = NULL; /* freed with out */
  }
  mb_res_info ri;
  bool found = false;
  if ((e = mb_link_resources_read(out, &ri, &found, d))) goto out;
  *ntypes = found ? ri.ntypes : 0;
out:
  mb_buf_fini(&b);
  mb_module_free(out);
  mb_link_free(l);
  mb_module_free(glue);
  for (int i = 0; i < 3; i++) mb_module_free(m[i]);
  mb_wit_free(w);
  return e;
}

static void fuses(void **state) {
  (void)state;
  mb_diag d = {0};
  size_t n = 0;
  uint32_t ntypes = 0;
  mb_link_err e = link_all(&d, &n, &ntypes);
  if (e) fail_msg("link: %s: %s", mb_link_err_name(e), d.message);
  assert_true(n > mb_virt_glue_wasm_len);
  assert_int_equal(ntypes, 2); /* counter and other, both defined by lib */
}

/* app (no maximum) grows, last; lib fixed at 64 pages and checked; the glue fixed and
 * unchecked (ours). svc has no memory. */
static void fuses_single(void **state) {
  (void)state;
  mb_diag d = {0};
  size_t n = 0;
  uint32_t ntypes = 0;
  single = true;
  mb_link_err e = link_all(&d, &n, &ntypes);
  single = false;
  if (e) fail_msg("link: %s: %s", mb_link_err_name(e), d.message);
  assert_int_equal(ntypes, 2);
  assert_int_equal(nregions, 3); /* app, lib, the glue */
  uint32_t grow = 0, checked = 0, fixed_pages = 0, top = 0;
  for (uint32_t i = 0; i < nregions; i++) {
    grow += regions[i].growable;
    checked += regions[i].checked;
    if (!regions[i].growable) fixed_pages += regions[i].pages;
    else top = regions[i].base;
  }
  assert_int_equal(grow, 1);
  assert_int_equal(checked, 1); /* lib */
  assert_int_equal(top, fixed_pages); /* the growable region sits on the fixed ones */
  assert_true(fixed_pages >= 64);
}

/* A module with the custom section "membrane:memory" holding payload[0..n). */
static mb_link_err read_regions(const uint8_t *payload, size_t n, mb_region_info **rg, uint32_t *count,
                                bool *found) {
  uint8_t buf[128] = {0, 'a', 's', 'm', 1, 0, 0, 0, 0};
  size_t len = 9;
  buf[len++] = (uint8_t)(1 + 15 + n);
  buf[len++] = 15;
  memcpy(buf + len, "membrane:memory", 15);
  len += 15;
  memcpy(buf + len, payload, n);
  len += n;
  buf[8] = 0; /* custom section id */
  mb_diag d = {0};
  mb_module *m = NULL;
  assert_int_equal(mb_wasm_read(TA, buf, len, &m, &d), MB_OK);
  mb_link_err e = mb_link_regions_read(m, rg, count, found, &d);
  if (e) assert_int_equal(d.code, e);
  if (!e && *found) assert_true(*count <= 2);
  mb_module_free(m);
  return e;
}

/* membrane:memory as inspect reads it: one region, and malformed payloads refused. */
static void regions_section(void **state) {
  (void)state;
  mb_region_info *rg;
  uint32_t n;
  bool found;
  static const uint8_t one[] = {1, 1, 3, 'a', 'p', 'p', 5, 0, 2, 1};
  assert_int_equal(read_regions(one, sizeof one, &rg, &n, &found), MB_OK);
  assert_true(found);
  assert_int_equal(n, 1);
  static const uint8_t short_entry[] = {1, 1, 3, 'a', 'p', 'p', 5, 0};
  assert_int_equal(read_regions(short_entry, sizeof short_entry, &rg, &n, &found),
                   MB_LINK_ERR_INPUT);
  static const uint8_t bad_version[] = {2, 0};
  assert_int_equal(read_regions(bad_version, sizeof bad_version, &rg, &n, &found),
                   MB_LINK_ERR_INPUT);
  static const uint8_t too_many[] = {1, 100};
  assert_int_equal(read_regions(too_many, sizeof too_many, &rg, &n, &found), MB_LINK_ERR_INPUT);
  static const uint8_t trailing[] = {1, 0, 0};
  assert_int_equal(read_regions(trailing, sizeof trailing, &rg, &n, &found), MB_LINK_ERR_INPUT);
}

static void api_errors(void **state) {
  (void)state;
  mb_diag d = {0};
  mb_module *m = NULL;
  assert_int_equal(mb_wasm_read(TA, files[0].d, files[0].n, &m, &d), MB_OK);
  mb_link *l = mb_link_new(TA);
  assert_int_equal(mb_link_add_instance(l, "lib", m, "lib.wasm", &d), MB_OK);
  assert_int_equal(mb_link_set_world(l, "lib", "example:counter/lib", &d), MB_LINK_ERR_OPTION);
  assert_non_null(strstr(d.message, "use --wit PATH"));
  assert_int_equal(mb_link_grant_caller_memory(l, "nope", &d), MB_LINK_ERR_OPTION);
  assert_non_null(strstr(d.message, "no instance called 'nope'"));
  assert_int_equal(mb_link_add_instance(l, "membrane:glue", m, "x.wasm", &d), MB_LINK_ERR_OPTION);
  assert_non_null(strstr(d.message, "reserved"));
  /* lib imports [resource-new]counter: without a glue module the link says so */
  mb_module *out = NULL;
  assert_int_equal(mb_link_fuse(l, &out, &d), MB_LINK_ERR_USAGE);
  assert_non_null(strstr(d.message, "no glue module"));
  assert_null(out);
  mb_link_free(l);
  mb_module_free(m);
}

static void alloc_sweep_single(void **state);
static void alloc_sweep(void **state) {
  (void)state;
  for (long n = 1;; n++) {
    test_alloc_install(n, false);
    mb_diag d = {0};
    size_t bytes = 0;
    uint32_t ntypes = 0;
    mb_link_err e = link_all(&d, &bytes, &ntypes);
    long failed = g_alloc.failed, live = g_alloc.live;
    if (failed && e != MB_LINK_ERR_NOMEM)
      fail_msg("allocation %ld failed but got %s: %s", n, mb_link_err_name(e), d.message);
    if (!failed && e) fail_msg("no allocation failed but got %s: %s", mb_link_err_name(e), d.message);
    if (live) fail_msg("allocation %ld failed: %ld blocks leaked", n, live);
    if (!failed) {
      assert_true(n > 100); /* the sweep went through the whole link */
      print_message("alloc_sweep: %ld allocations, each failed once\n", n - 1);
      break;
    }
  }
}

static void alloc_sweep_single(void **state) {
  single = true;
  alloc_sweep(state);
  single = false;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s LIB.wasm SVC.wasm APP.wasm COUNTER.wit\n", argv[0]);
    return 2;
  }
  for (int i = 0; i < 4; i++) {
    paths[i] = argv[i + 1];
    files[i] = slurp(argv[i + 1]);
  }
  const struct CMUnitTest tests[] = {
      LINKER_TEST(fuses),
      LINKER_TEST(api_errors),
      cmocka_unit_test(alloc_sweep),
      LINKER_TEST(fuses_single),
      LINKER_TEST(regions_section),
      cmocka_unit_test(alloc_sweep_single),
  };
  int status = cmocka_run_group_tests(tests, NULL, NULL);
  for (int i = 0; i < 4; i++) free(files[i].d);
  return status;
}
