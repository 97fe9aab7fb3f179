/* test_linker_resources.c — mb_link_resources_read, the reader of the "membrane:resources"
 * custom section `membrane link` writes when the resource ABI is used: absent, valid,
 * truncated at every byte, a definer out of range, trailing bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "membrane_link.h"

/* version 1; instances app (handles), lib (handles), tool (none); types
 * (1, "example:counter/api", "counter", dtor) and (1, "canonical_abi", "old", none) */
static const uint8_t valid[] = {
    1, 3, 3, 'a', 'p', 'p', 1, 3, 'l', 'i', 'b', 1, 4, 't', 'o', 'o', 'l', 0,
    2, 1, 19, 'e', 'x', 'a', 'm', 'p', 'l', 'e', ':', 'c', 'o', 'u', 'n', 't', 'e', 'r', '/',
    'a', 'p', 'i', 7, 'c', 'o', 'u', 'n', 't', 'e', 'r', 1,
    1, 13, 'c', 'a', 'n', 'o', 'n', 'i', 'c', 'a', 'l', '_', 'a', 'b', 'i', 3, 'o', 'l', 'd', 0,
};

static mb_module *with_section(const uint8_t *payload, size_t n) {
  mb_module *m = mb_module_new();
  assert_non_null(m);
  mb_custom *cs = mb_module_alloc(m, sizeof *cs);
  uint8_t *p = mb_module_alloc(m, n ? n : 1);
  assert_non_null(cs);
  assert_non_null(p);
  memcpy(p, payload, n);
  *cs = (mb_custom){.name = {(const uint8_t *)"membrane:resources", 18},
                    .payload = {p, (uint32_t)n}, .before = MB_SEC_COUNT};
  m->customs = cs;
  m->ncustoms = 1;
  return m;
}

static bool bytes_is(mb_bytes b, const char *s) {
  return b.len == strlen(s) && memcmp(b.ptr, s, b.len) == 0;
}

static void absent(void **state) {
  (void)state;
  mb_module *m = mb_module_new();
  mb_res_info ri;
  bool found = true;
  assert_int_equal(mb_link_resources_read(m, &ri, &found, NULL), MB_OK);
  assert_false(found);
  assert_int_equal(ri.ninsts, 0);
  mb_module_free(m);
}

static void reads_valid(void **state) {
  (void)state;
  mb_module *m = with_section(valid, sizeof valid);
  mb_res_info ri;
  bool found = false;
  mb_diag d = {0};
  assert_int_equal(mb_link_resources_read(m, &ri, &found, &d), MB_OK);
  assert_true(found);
  assert_int_equal(ri.ninsts, 3);
  assert_true(bytes_is(ri.insts[0].name, "app") && ri.insts[0].handles);
  assert_true(bytes_is(ri.insts[2].name, "tool") && !ri.insts[2].handles);
  assert_int_equal(ri.ntypes, 2);
  assert_int_equal(ri.types[0].definer, 1);
  assert_true(bytes_is(ri.types[0].iface, "example:counter/api"));
  assert_true(bytes_is(ri.types[0].name, "counter") && ri.types[0].dtor);
  assert_true(bytes_is(ri.types[1].iface, "canonical_abi") && !ri.types[1].dtor);
  mb_module_free(m);
}

static void truncated_everywhere(void **state) {
  (void)state;
  for (size_t n = 0; n < sizeof valid; n++) {
    mb_module *m = with_section(valid, n);
    mb_res_info ri;
    bool found = false;
    mb_diag d = {0};
    mb_link_err e = mb_link_resources_read(m, &ri, &found, &d);
    if (e != MB_LINK_ERR_INPUT) fail_msg("truncated at %zu: %s", n, mb_link_err_name(e));
    assert_true(found);
    assert_int_equal(ri.ninsts, 0);
    assert_non_null(strstr(d.message, "membrane:resources"));
    mb_module_free(m);
  }
}

static void rejects_bad_values(void **state) {
  (void)state;
  uint8_t bad[sizeof valid + 1];
  mb_res_info ri;
  bool found;
  mb_diag d = {0};
  /* a definer past the instances */
  memcpy(bad, valid, sizeof valid);
  bad[19] = 3;
  mb_module *m = with_section(bad, sizeof valid);
  assert_int_equal(mb_link_resources_read(m, &ri, &found, &d), MB_LINK_ERR_INPUT);
  mb_module_free(m);
  /* an unknown version */
  memcpy(bad, valid, sizeof valid);
  bad[0] = 2;
  m = with_section(bad, sizeof valid);
  assert_int_equal(mb_link_resources_read(m, &ri, &found, &d), MB_LINK_ERR_INPUT);
  mb_module_free(m);
  /* a trailing byte */
  memcpy(bad, valid, sizeof valid);
  bad[sizeof valid] = 0;
  m = with_section(bad, sizeof bad);
  assert_int_equal(mb_link_resources_read(m, &ri, &found, &d), MB_LINK_ERR_INPUT);
  assert_int_equal(d.offset, sizeof valid);
  mb_module_free(m);
  /* a huge count claims more entries than the section has bytes */
  static const uint8_t huge[] = {1, 0xff, 0xff, 0xff, 0xff, 0x0f};
  m = with_section(huge, sizeof huge);
  assert_int_equal(mb_link_resources_read(m, &ri, &found, &d), MB_LINK_ERR_INPUT);
  mb_module_free(m);
}

#define B(s) {(const uint8_t *)(s), (uint32_t)(sizeof(s) - 1)}

/* mb_link_resource_host_drop: which imports are drops of a resource the module does not
 * define (the host's, in a fused output). */
static void host_drops(void **state) {
  (void)state;
  mb_module *m = mb_module_new();
  assert_non_null(m);
  mb_import imps[] = {
      {B("canonical_abi"), B("resource_drop_file"), MB_KIND_FUNC, {0}},    /* 0 host */
      {B("canonical_abi"), B("resource_drop_own"), MB_KIND_FUNC, {0}},     /* 1 defined: new */
      {B("canonical_abi"), B("resource_new_own"), MB_KIND_FUNC, {0}},      /* 2 */
      {B("canonical_abi"), B("resource_drop_dtor"), MB_KIND_FUNC, {0}},    /* 3 defined: dtor */
      {B("canonical_abi"), B("resource_get_file"), MB_KIND_FUNC, {0}},     /* 4 not a drop */
      {B("example:host/fs"), B("[resource-drop]dir"), MB_KIND_FUNC, {0}},  /* 5 host */
      {B("[export]example:host/fs"), B("[resource-drop]dir"), MB_KIND_FUNC, {0}}, /* 6 definer */
      {B("example:host/fs"), B("[resource-rep]dir"), MB_KIND_FUNC, {0}},   /* 7 not a drop */
      {B("example:host/fs"), B("[resource-drop]"), MB_KIND_FUNC, {0}},     /* 8 no name */
      {B("canonical_abi"), B("resource_drop_"), MB_KIND_FUNC, {0}},        /* 9 no name */
      {B("example:host/fs"), B("[resource-drop]dir"), MB_KIND_GLOBAL, {0}}, /* 10 not a func */
  };
  mb_export exps[] = {{B("canonical_abi_drop_dtor"), MB_KIND_FUNC, 0}};
  m->imports = imps;
  m->nimports = sizeof imps / sizeof *imps;
  m->exports = exps;
  m->nexports = 1;
  const bool want[] = {true, false, false, false, false, true, false, false, false, false, false};
  for (uint32_t k = 0; k < m->nimports; k++) {
    mb_bytes iface = {0}, name = {0};
    bool got = mb_link_resource_host_drop(m, k, &iface, &name);
    if (got != want[k]) fail_msg("import %u: %d, expected %d", k, got, want[k]);
  }
  mb_bytes iface, name;
  assert_true(mb_link_resource_host_drop(m, 0, &iface, &name));
  assert_true(bytes_is(iface, "canonical_abi") && bytes_is(name, "file"));
  assert_true(mb_link_resource_host_drop(m, 5, &iface, &name));
  assert_true(bytes_is(iface, "example:host/fs") && bytes_is(name, "dir"));
  assert_false(mb_link_resource_host_drop(m, m->nimports, &iface, &name));
  m->imports = NULL; /* on the stack: not the module's to free */
  m->nimports = 0;
  m->exports = NULL;
  m->nexports = 0;
  mb_module_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(absent),
      cmocka_unit_test(reads_valid),
      cmocka_unit_test(truncated_everywhere),
      cmocka_unit_test(rejects_bad_values),
      cmocka_unit_test(host_drops),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
