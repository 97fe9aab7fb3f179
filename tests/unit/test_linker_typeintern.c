/* test_linker_typeintern.c — types of several modules in one (mb_type_interner): equal
 * rec groups become one by the spec's iso-recursive equivalence (position of inner
 * references, identity of outer ones), anything else stays apart; subtyping of types and
 * value types within a module. Every test runs on the counting allocator (no leaks). */
#include "linker_test_util.h"

/* A module holding only a type section with these contents (count included). */
static mb_module *types_module(const uint8_t *sec, size_t n, tb *keep) {
  tb_init(keep);
  tb_preamble(keep);
  tb_section_raw(keep, 1, sec, n);
  mb_module *m = NULL;
  mb_diag d;
  if (mb_wasm_read(TA, keep->d, keep->n, &m, &d)) fail_msg("read: %s", d.message);
  return m;
}
#define TYPES(keep, ...) types_module(TB_BYTES(__VA_ARGS__), keep)

/* rec { $0 = struct (field i32) (field (ref null 1)), $1 = struct (field (ref null 0)) },
 * $2 = func (param (ref 0)) */
#define PAIR_GROUP 0x4E, 0x02, 0x5F, 0x02, 0x7F, 0x00, 0x63, 0x01, 0x00, 0x5F, 0x01, 0x63, 0x00, 0x00
#define TAKES_0 0x60, 0x01, 0x64, 0x00, 0x00

static void equal_groups_merge(void **state) {
  (void)state;
  tb ka, kb;
  mb_module *a = TYPES(&ka, 0x02, PAIR_GROUP, TAKES_0);
  /* b: a plain function type first, then the same group and a function of it: the
   * group's inner references are the same positions, the function's outer reference
   * names the same (merged) type */
  mb_module *b = TYPES(&kb, 0x03, 0x60, 0x00, 0x00, 0x4E, 0x02, 0x5F, 0x02, 0x7F, 0x00, 0x63, 0x02,
                       0x00, 0x5F, 0x01, 0x63, 0x01, 0x00, 0x60, 0x01, 0x64, 0x01, 0x00);
  mb_module *out = mb_module_new(TA);
  mb_type_interner *ti = NULL;
  mb_diag d;
  assert_int_equal(mb_type_interner_new(out, &ti, &d), MB_OK);
  uint32_t ma[3], mbm[4];
  assert_int_equal(mb_type_interner_add_module(ti, a, ma, &d), MB_OK);
  assert_int_equal(mb_type_interner_add_module(ti, b, mbm, &d), MB_OK);
  assert_int_equal(ma[0], 0);
  assert_int_equal(ma[1], 1);
  assert_int_equal(ma[2], 2);
  assert_int_equal(mbm[0], 3); /* new: () -> () */
  assert_int_equal(mbm[1], 0);
  assert_int_equal(mbm[2], 1);
  assert_int_equal(mbm[3], 2);
  assert_int_equal(out->ntypes, 4);
  /* the group stays a group in the output, its references renumbered */
  assert_non_null(out->typedefs);
  assert_int_equal(out->typedefs[0].rec_size, 2);
  assert_int_equal(out->typedefs[1].rec, 0);
  assert_int_equal(mb_valtype_heap(out->typedefs[0].fields[1].type), 1);
  assert_int_equal(out->typedefs[3].rec_size, 1);
  /* a bare function type equal to one in the output is that one */
  uint32_t idx;
  const mb_valtype p[1] = {mb_valtype_ref(false, 0)};
  const mb_functype f = {1, 0, p, NULL};
  assert_int_equal(mb_type_interner_add_func(ti, &f, &idx, &d), MB_OK);
  assert_int_equal(idx, 2);
  /* it round-trips: written and read back, the same groups */
  mb_buf w;
  mb_buf_init(&w, TA);
  assert_int_equal(mb_wasm_write(out, &w, &d), MB_OK);
  mb_module *back = NULL;
  assert_int_equal(mb_wasm_read(TA, w.data, w.len, &back, &d), MB_OK);
  assert_int_equal(back->ntypes, 4);
  assert_int_equal(back->typedefs[0].rec_size, 2);
  mb_module_free(back);
  mb_buf_fini(&w);
  mb_type_interner_free(ti);
  mb_module_free(out);
  mb_module_free(a);
  mb_module_free(b);
  tb_fini(&ka);
  tb_fini(&kb);
}

/* Each of these differs from PAIR_GROUP in one way the equivalence sees. */
static void different_groups_stay_apart(void **state) {
  (void)state;
  static const struct {
    const char *why;
    uint8_t sec[24];
    size_t n;
  } cases[] = {
      {"members swapped", {0x01, 0x4E, 0x02, 0x5F, 0x01, 0x63, 0x01, 0x00, 0x5F, 0x02, 0x7F, 0x00, 0x63, 0x00, 0x00}, 15},
      {"a field mutable", {0x01, 0x4E, 0x02, 0x5F, 0x02, 0x7F, 0x01, 0x63, 0x01, 0x00, 0x5F, 0x01, 0x63, 0x00, 0x00}, 15},
      {"non-nullable", {0x01, 0x4E, 0x02, 0x5F, 0x02, 0x7F, 0x00, 0x64, 0x01, 0x00, 0x5F, 0x01, 0x63, 0x00, 0x00}, 15},
      {"an inner reference to itself", {0x01, 0x4E, 0x02, 0x5F, 0x02, 0x7F, 0x00, 0x63, 0x00, 0x00, 0x5F, 0x01, 0x63, 0x00, 0x00}, 15},
      {"a packed field", {0x01, 0x4E, 0x02, 0x5F, 0x02, 0x78, 0x00, 0x63, 0x01, 0x00, 0x5F, 0x01, 0x63, 0x00, 0x00}, 15},
      {"open for subtypes", {0x01, 0x4E, 0x02, 0x50, 0x00, 0x5F, 0x02, 0x7F, 0x00, 0x63, 0x01, 0x00, 0x5F, 0x01, 0x63, 0x00, 0x00}, 17},
      {"three members", {0x01, 0x4E, 0x03, 0x5F, 0x02, 0x7F, 0x00, 0x63, 0x01, 0x00, 0x5F, 0x01, 0x63, 0x00, 0x00, 0x5F, 0x00}, 17},
      {"the members apart", {0x02, 0x5F, 0x02, 0x7F, 0x00, 0x63, 0x00, 0x00, 0x5F, 0x01, 0x63, 0x00, 0x00}, 13},
  };
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    tb ka, kb;
    mb_module *a = TYPES(&ka, 0x01, PAIR_GROUP);
    mb_module *b = types_module(cases[c].sec, cases[c].n, &kb);
    mb_module *out = mb_module_new(TA);
    mb_type_interner *ti = NULL;
    mb_diag d;
    uint32_t ma[2], mbm[3];
    assert_int_equal(mb_type_interner_new(out, &ti, &d), MB_OK);
    assert_int_equal(mb_type_interner_add_module(ti, a, ma, &d), MB_OK);
    assert_int_equal(mb_type_interner_add_module(ti, b, mbm, &d), MB_OK);
    if (mbm[0] < 2) fail_msg("%s: merged with the pair", cases[c].why);
    assert_int_equal(out->ntypes, 2 + b->ntypes);
    mb_type_interner_free(ti);
    mb_module_free(out);
    mb_module_free(a);
    mb_module_free(b);
    tb_fini(&ka);
    tb_fini(&kb);
  }
}

/* No prefix and `sub final` with no supertype are the same type; an explicit rec of one
 * is the bare type; a module's own duplicate groups map to the first. */
static void spellings_of_one_type(void **state) {
  (void)state;
  tb k;
  /* $0 = struct (field i32), $1 = sub final () struct (field i32), $2 = rec { struct
   * (field i32) }, $3 = sub () struct (field i32): only $3 differs */
  mb_module *m = TYPES(&k, 0x04, 0x5F, 0x01, 0x7F, 0x00, 0x4F, 0x00, 0x5F, 0x01, 0x7F, 0x00, 0x4E,
                       0x01, 0x5F, 0x01, 0x7F, 0x00, 0x50, 0x00, 0x5F, 0x01, 0x7F, 0x00);
  mb_module *out = mb_module_new(TA);
  mb_type_interner *ti = NULL;
  mb_diag d;
  uint32_t map[4];
  assert_int_equal(mb_type_interner_new(out, &ti, &d), MB_OK);
  assert_int_equal(mb_type_interner_add_module(ti, m, map, &d), MB_OK);
  assert_int_equal(map[0], 0);
  assert_int_equal(map[1], 0);
  assert_int_equal(map[2], 0);
  assert_int_equal(map[3], 1);
  assert_int_equal(out->ntypes, 2);
  mb_type_interner_free(ti);
  /* an interner over a module that has types indexes them: the same groups map there */
  uint32_t again[4];
  assert_int_equal(mb_type_interner_new(out, &ti, &d), MB_OK);
  assert_int_equal(mb_type_interner_add_module(ti, m, again, &d), MB_OK);
  assert_memory_equal(again, map, sizeof map);
  assert_int_equal(out->ntypes, 2);
  mb_type_interner_free(ti);
  mb_module_free(out);
  mb_module_free(m);
  tb_fini(&k);
}

/* Subtyping: declared chains and the abstract heap type hierarchy. */
static void subtyping(void **state) {
  (void)state;
  tb k;
  /* $0 = sub struct (field i32); $1 = sub $0 struct (field i32) (field i64);
   * $2 = sub $1 struct (...); $3 = array i8; $4 = func */
  mb_module *m = TYPES(&k, 0x05, 0x50, 0x00, 0x5F, 0x01, 0x7F, 0x00, 0x50, 0x01, 0x00, 0x5F, 0x02,
                       0x7F, 0x00, 0x7E, 0x00, 0x50, 0x01, 0x01, 0x5F, 0x02, 0x7F, 0x00, 0x7E, 0x00,
                       0x5E, 0x78, 0x00, 0x60, 0x00, 0x00);
  assert_true(mb_module_type_sub(m, 2, 0));
  assert_true(mb_module_type_sub(m, 1, 1));
  assert_false(mb_module_type_sub(m, 0, 1));
  assert_false(mb_module_type_sub(m, 3, 0));
  const mb_valtype r0 = mb_valtype_ref(false, 0), rn0 = mb_valtype_ref(true, 0),
                   r2 = mb_valtype_ref(false, 2), r3 = mb_valtype_ref(false, 3),
                   r4 = mb_valtype_ref(false, 4);
#define ABS(nullable, code) mb_valtype_ref(nullable, MB_HEAP_ABSTRACT | (code))
  struct { mb_valtype a, b; bool sub; } cases[] = {
      {r2, rn0, true},  {rn0, r0, false}, {r0, ABS(true, 0x6B), true},
      {r0, ABS(false, 0x6D), true},  {r0, ABS(false, 0x6A), false}, {r3, ABS(false, 0x6A), true},
      {r3, ABS(true, 0x6E), true},   {ABS(false, 0x6C), ABS(false, 0x6D), true},
      {ABS(true, 0x6C), ABS(false, 0x6D), false}, {ABS(false, 0x71), r0, true},
      {ABS(true, 0x71), rn0, true},  {ABS(true, 0x71), r0, false}, {r4, ABS(true, 0x70), true},
      {r4, ABS(true, 0x6E), false},  {ABS(true, 0x73), r4, false}, {ABS(false, 0x73), r4, true},
      {ABS(true, 0x70), ABS(true, 0x6E), false}, {ABS(true, 0x72), ABS(true, 0x6F), true},
      {ABS(true, 0x6F), ABS(true, 0x6E), false}, {ABS(true, 0x74), ABS(true, 0x69), true},
      {0x7F, 0x7F, true},            {0x7F, 0x7E, false}, {0x7F, ABS(true, 0x6E), false},
      {ABS(true, 0x6D), ABS(true, 0x6B), false},
  };
#undef ABS
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
    if (mb_module_valtype_sub(m, cases[i].a, cases[i].b) != cases[i].sub)
      fail_msg("case %zu: %s <: %s should be %s", i, mb_valtype_name(cases[i].a).s,
               mb_valtype_name(cases[i].b).s, cases[i].sub ? "true" : "false");
  mb_module_free(m);
  tb_fini(&k);
}

/* Every allocation failure is reported as such, and leaks nothing. */
static void allocation_failures(void **state) {
  (void)state;
  tb ka;
  tb_init(&ka);
  tb_preamble(&ka);
  tb_section_raw(&ka, 1, TB_BYTES(0x02, PAIR_GROUP, TAKES_0));
  for (long n = 1;; n++) {
    test_alloc_install(n, false);
    mb_module *a = NULL, *out = mb_module_new(TA);
    mb_type_interner *ti = NULL;
    mb_diag d = {0};
    uint32_t map[3];
    mb_err e = out ? mb_wasm_read(TA, ka.d, ka.n, &a, &d) : MB_ERR_NOMEM;
    if (!e) e = mb_type_interner_new(out, &ti, &d);
    if (!e) e = mb_type_interner_add_module(ti, a, map, &d);
    mb_type_interner_free(ti);
    mb_module_free(out);
    mb_module_free(a);
    long failed = g_alloc.failed, live = g_alloc.live;
    if (live) fail_msg("allocation %ld failed: %ld blocks leaked", n, live);
    if (!failed) {
      assert_int_equal(e, MB_OK);
      break;
    }
    assert_int_equal(e, MB_ERR_NOMEM);
  }
  test_alloc_install(0, false);
  tb_fini(&ka);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(equal_groups_merge, test_alloc_setup, test_alloc_teardown),
      cmocka_unit_test_setup_teardown(different_groups_stay_apart, test_alloc_setup, test_alloc_teardown),
      cmocka_unit_test_setup_teardown(spellings_of_one_type, test_alloc_setup, test_alloc_teardown),
      cmocka_unit_test_setup_teardown(subtyping, test_alloc_setup, test_alloc_teardown),
      cmocka_unit_test_setup_teardown(allocation_failures, test_alloc_setup, test_alloc_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
