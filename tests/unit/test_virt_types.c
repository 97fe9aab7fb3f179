/* test_virt_types.c — the runtime object, instances, resource types (definer, name),
 * error messages and the diagnostic. */
#include "test_virt_util.h"

static void error_messages_are_stable(void **state) {
  (void)state;
  /* the strings the glue's trap functions are named after, and users grep for */
  static const struct {
    mb_virt_err code;
    const char *msg;
  } want[] = {
      {MB_VIRT_ERR_INVALID_HANDLE, "membrane: unknown handle"},
      {MB_VIRT_ERR_DROPPED, "membrane: use of dropped handle"},
      {MB_VIRT_ERR_WRONG_TYPE, "membrane: handle of wrong resource type"},
      {MB_VIRT_ERR_BORROW_OUTLIVED, "membrane: borrow outlived its call"},
      {MB_VIRT_ERR_LENT, "membrane: lent handle dropped or moved"},
      {MB_VIRT_ERR_DESTROYED, "membrane: use of destroyed resource"},
      {MB_VIRT_ERR_TABLE_EXHAUSTED, "membrane: handle table exhausted"},
      {MB_VIRT_ERR_NOT_DEFINER, "membrane: resource.new/rep outside the definer"},
      {MB_VIRT_ERR_NOT_OWN, "membrane: borrowed handle used as owned"},
      {MB_VIRT_ERR_SCOPE, "membrane: call scope is not the innermost open call"},
      {MB_VIRT_ERR_BUSY, "membrane: instance torn down during a call"},
      {MB_VIRT_ERR_DUPLICATE_TYPE, "membrane: resource type defined twice"},
      {MB_VIRT_ERR_UNKNOWN_INSTANCE, "membrane: unknown instance"},
      {MB_VIRT_ERR_UNKNOWN_TYPE, "membrane: unknown resource type"},
      {MB_VIRT_ERR_NOMEM, "membrane: out of memory"},
      {MB_VIRT_ERR_INVALID_ARG, "membrane: invalid argument"},
  };
  assert_int_equal(sizeof want / sizeof want[0], MB_VIRT_ERR_COUNT - 1);
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    assert_int_equal(want[i].code, i + 1); /* the glue ABI pins the numbers */
    assert_string_equal(mb_virt_err_message(want[i].code), want[i].msg);
    for (size_t j = 0; j < i; j++)
      assert_string_not_equal(want[i].msg, want[j].msg);
  }
  assert_string_equal(mb_virt_err_message(MB_VIRT_OK), "membrane: ok");
  assert_string_equal(mb_virt_err_message((mb_virt_err)MB_VIRT_ERR_COUNT),
                      "membrane: unknown error");
  assert_string_equal(mb_virt_err_message((mb_virt_err)-1), "membrane: unknown error");
}

static void runtime_new_and_free(void **state) {
  (void)state;
  assert_int_equal(mb_rt_new(NULL, NULL), MB_VIRT_ERR_INVALID_ARG);
  mb_rt_free(NULL);

  /* no options: the C library's allocator and the largest tables */
  mb_rt *rt = NULL;
  assert_int_equal(mb_rt_new(NULL, &rt), MB_VIRT_OK);
  assert_non_null(rt);
  assert_int_equal(mb_rt_diag(rt)->code, MB_VIRT_OK);
  uint32_t a = vt_inst(rt);
  uint32_t t = vt_type(rt, a, "r", NULL);
  int32_t h = vt_new(rt, a, t, 5);
  assert_int_equal(vt_rep(rt, a, t, h), 5);
  mb_rt_free(rt); /* with a live handle: freed without destructors */

  /* the first allocation fails: nothing is left behind */
  vt_alloc al = {0};
  al.fail_at = 1;
  mb_rt_options opt = {{vt_realloc, &al}, 0};
  rt = (mb_rt *)&al; /* must be reset on failure */
  assert_int_equal(mb_rt_new(&opt, &rt), MB_VIRT_ERR_NOMEM);
  assert_null(rt);
  assert_int_equal(al.live, 0);
}

static void instances_are_numbered_in_order(void **state) {
  vt_fix *f = *state;
  for (uint32_t i = 0; i < 100; i++) assert_int_equal(vt_inst(f->rt), i);
  assert_int_equal(mb_ht_count(f->rt, 99), 0);
  assert_int_equal(mb_ht_count(f->rt, 100), 0); /* unknown: 0, not a crash */
  assert_int_equal(mb_ht_capacity(f->rt, 100), 0);
  assert_int_equal(mb_rt_instance_add(f->rt, NULL), MB_VIRT_ERR_INVALID_ARG);
  assert_int_equal(mb_rt_instance_add(NULL, NULL), MB_VIRT_ERR_INVALID_ARG);
}

static void type_is_definer_and_name(void **state) {
  vt_fix *f = *state;
  uint32_t a = vt_inst(f->rt), b = vt_inst(f->rt);
  uint32_t ta = vt_type(f->rt, a, "counter", NULL);
  uint32_t tb = vt_type(f->rt, b, "counter", NULL); /* same name, other definer */
  uint32_t ta2 = vt_type(f->rt, a, "counter2", NULL);
  assert_int_equal(ta, 0);
  assert_int_equal(tb, 1);
  assert_int_equal(ta2, 2);
  assert_int_equal(mb_rt_type_definer(f->rt, ta), a);
  assert_int_equal(mb_rt_type_definer(f->rt, tb), b);
  assert_int_equal(mb_rt_type_definer(f->rt, 3), UINT32_MAX);
  size_t len = 99;
  assert_string_equal(mb_rt_type_name(f->rt, tb, &len), "counter");
  assert_int_equal(len, 7);
  assert_null(mb_rt_type_name(f->rt, 3, &len));
  assert_int_equal(len, 0);
  assert_null(mb_rt_type_name(f->rt, 3, NULL));

  /* the same (definer, name) twice is refused, and the diagnostic says which */
  uint32_t t = 77;
  assert_virt(f->rt, mb_rt_type_add(f->rt, a, "counter", 7, NULL, &t),
              MB_VIRT_ERR_DUPLICATE_TYPE);
  assert_int_equal(t, 77);
  const mb_virt_diag *d = mb_rt_diag(f->rt);
  assert_int_equal(d->code, MB_VIRT_ERR_DUPLICATE_TYPE);
  assert_string_equal(d->op, "resource.type");
  assert_int_equal(d->inst, a);
  assert_int_equal(d->type, ta);
}

static void type_name_is_copied_and_counted(void **state) {
  vt_fix *f = *state;
  uint32_t a = vt_inst(f->rt);
  char buf[] = "descriptorXYZ";
  uint32_t t, t2, t3;
  /* a length, not a terminator: "descriptor" out of a longer buffer */
  assert_virt_ok(f->rt, mb_rt_type_add(f->rt, a, buf, 10, NULL, &t));
  memset(buf, 'x', sizeof buf - 1);
  assert_string_equal(mb_rt_type_name(f->rt, t, NULL), "descriptor");
  /* a prefix is another name; the empty name is a name */
  assert_virt_ok(f->rt, mb_rt_type_add(f->rt, a, "desc", 4, NULL, &t2));
  assert_virt_ok(f->rt, mb_rt_type_add(f->rt, a, NULL, 0, NULL, &t3));
  assert_string_equal(mb_rt_type_name(f->rt, t3, NULL), "");
  assert_virt(f->rt, mb_rt_type_add(f->rt, a, "", 0, NULL, &t3), MB_VIRT_ERR_DUPLICATE_TYPE);
  /* embedded NUL bytes are part of the name */
  assert_virt_ok(f->rt, mb_rt_type_add(f->rt, a, "a\0b", 3, NULL, &t3));
  assert_virt(f->rt, mb_rt_type_add(f->rt, a, "a\0b", 3, NULL, &t3),
              MB_VIRT_ERR_DUPLICATE_TYPE);
  assert_virt_ok(f->rt, mb_rt_type_add(f->rt, a, "a\0c", 3, NULL, &t3));
}

static void type_errors(void **state) {
  vt_fix *f = *state;
  uint32_t a = vt_inst(f->rt);
  uint32_t t;
  assert_virt(f->rt, mb_rt_type_add(f->rt, 1, "r", 1, NULL, &t), MB_VIRT_ERR_UNKNOWN_INSTANCE);
  assert_int_equal(mb_rt_diag(f->rt)->inst, 1);
  assert_virt(f->rt, mb_rt_type_add(f->rt, a, NULL, 1, NULL, &t), MB_VIRT_ERR_INVALID_ARG);
  assert_virt(f->rt, mb_rt_type_add(f->rt, a, "r", 1, NULL, NULL), MB_VIRT_ERR_INVALID_ARG);
  assert_int_equal(mb_rt_type_add(NULL, a, "r", 1, NULL, &t), MB_VIRT_ERR_INVALID_ARG);
  /* a dtor struct with a NULL function is no destructor */
  mb_virt_dtor none = {NULL, &f->log};
  assert_virt_ok(f->rt, mb_rt_type_add(f->rt, a, "r", 1, &none, &t));
  int32_t h = vt_new(f->rt, a, t, 1);
  assert_virt_ok(f->rt, mb_ht_drop(f->rt, a, t, h));
  assert_int_equal(f->log.n, 0);
}

/* DESIGN.md: two instances of the same module define two different types, and a handle
 * of one is never accepted as the other. */
static void same_module_twice_gives_two_types(void **state) {
  vt_fix *f = *state;
  uint32_t lib1 = vt_inst(f->rt), lib2 = vt_inst(f->rt), app = vt_inst(f->rt);
  uint32_t t1 = vt_type(f->rt, lib1, "counter", &f->log);
  uint32_t t2 = vt_type(f->rt, lib2, "counter", &f->log);
  assert_int_not_equal(t1, t2);

  int32_t h1 = vt_new(f->rt, lib1, t1, 10);
  int32_t h2 = vt_new(f->rt, lib2, t2, 20);
  int32_t r = 0;
  /* lib2 cannot open lib1's counter, whatever the handle value */
  assert_virt(f->rt, mb_ht_rep(f->rt, lib2, t1, h1, &r), MB_VIRT_ERR_NOT_DEFINER);
  /* handles are table-local: the same number is another resource in another table */
  assert_int_equal(h1, h2);
  assert_int_equal(vt_rep(f->rt, lib2, t2, h1), 20);

  /* the app holds one of each; each is accepted only as its own type */
  int32_t a1, a2;
  assert_virt_ok(f->rt, mb_ht_move(f->rt, lib1, t1, h1, app, &a1));
  assert_virt_ok(f->rt, mb_ht_move(f->rt, lib2, t2, h2, app, &a2));
  assert_virt(f->rt, mb_ht_drop(f->rt, app, t2, a1), MB_VIRT_ERR_WRONG_TYPE);
  assert_virt(f->rt, mb_ht_drop(f->rt, app, t1, a2), MB_VIRT_ERR_WRONG_TYPE);
  const mb_virt_diag *d = mb_rt_diag(f->rt);
  assert_string_equal(d->op, "resource.drop");
  assert_int_equal(d->inst, app);
  assert_int_equal(d->type, t1);
  assert_int_equal(d->handle, a2);

  /* passed back to the wrong library it is still the wrong type there */
  int32_t back;
  assert_virt_ok(f->rt, mb_ht_move(f->rt, app, t1, a1, lib2, &back));
  assert_virt(f->rt, mb_ht_rep(f->rt, lib2, t2, back, &r), MB_VIRT_ERR_WRONG_TYPE);
  assert_virt(f->rt, mb_ht_rep(f->rt, lib2, t1, back, &r), MB_VIRT_ERR_NOT_DEFINER);
  assert_int_equal(f->log.n, 0);

  assert_virt_ok(f->rt, mb_ht_drop(f->rt, lib2, t1, back));
  assert_virt_ok(f->rt, mb_ht_drop(f->rt, app, t2, a2));
  assert_int_equal(f->log.n, 2);
  assert_int_equal(f->log.ev[0].type, t1);
  assert_int_equal(f->log.ev[0].rep, 10);
  assert_int_equal(f->log.ev[1].type, t2);
  assert_int_equal(f->log.ev[1].rep, 20);
}

static void unknown_ids_in_operations(void **state) {
  vt_fix *f = *state;
  uint32_t a = vt_inst(f->rt);
  uint32_t t = vt_type(f->rt, a, "r", NULL);
  int32_t h = vt_new(f->rt, a, t, 1), out;
  assert_virt(f->rt, mb_ht_new(f->rt, 5, t, 1, &out), MB_VIRT_ERR_UNKNOWN_INSTANCE);
  assert_virt(f->rt, mb_ht_new(f->rt, a, 5, 1, &out), MB_VIRT_ERR_UNKNOWN_TYPE);
  assert_virt(f->rt, mb_ht_rep(f->rt, 5, t, h, &out), MB_VIRT_ERR_UNKNOWN_INSTANCE);
  assert_virt(f->rt, mb_ht_rep(f->rt, a, 5, h, &out), MB_VIRT_ERR_UNKNOWN_TYPE);
  assert_virt(f->rt, mb_ht_drop(f->rt, 5, t, h), MB_VIRT_ERR_UNKNOWN_INSTANCE);
  assert_virt(f->rt, mb_ht_drop(f->rt, a, 5, h), MB_VIRT_ERR_UNKNOWN_TYPE);
  assert_virt(f->rt, mb_ht_dup(f->rt, a, 5, h, &out), MB_VIRT_ERR_UNKNOWN_TYPE);
  assert_virt(f->rt, mb_ht_destroy(f->rt, 5, t, h), MB_VIRT_ERR_UNKNOWN_INSTANCE);
  assert_virt(f->rt, mb_ht_move(f->rt, a, t, h, 5, &out), MB_VIRT_ERR_UNKNOWN_INSTANCE);
  assert_virt(f->rt, mb_ht_move(f->rt, 5, t, h, a, &out), MB_VIRT_ERR_UNKNOWN_INSTANCE);
  uint32_t sc;
  assert_virt(f->rt, mb_rt_call_begin(f->rt, a, 5, &sc), MB_VIRT_ERR_UNKNOWN_INSTANCE);
  assert_virt(f->rt, mb_rt_call_begin(f->rt, 5, a, &sc), MB_VIRT_ERR_UNKNOWN_INSTANCE);
  assert_virt(f->rt, mb_rt_teardown(f->rt, 5), MB_VIRT_ERR_UNKNOWN_INSTANCE);
  mb_ht_info info;
  assert_int_equal(mb_ht_inspect(f->rt, 5, h, &info), MB_VIRT_ERR_UNKNOWN_INSTANCE);
  /* NULL results */
  assert_int_equal(mb_ht_new(f->rt, a, t, 1, NULL), MB_VIRT_ERR_INVALID_ARG);
  assert_int_equal(mb_ht_rep(f->rt, a, t, h, NULL), MB_VIRT_ERR_INVALID_ARG);
  assert_int_equal(mb_ht_dup(f->rt, a, t, h, NULL), MB_VIRT_ERR_INVALID_ARG);
  assert_int_equal(mb_ht_move(f->rt, a, t, h, a, NULL), MB_VIRT_ERR_INVALID_ARG);
  assert_int_equal(mb_ht_lend(f->rt, 1, t, h, NULL), MB_VIRT_ERR_INVALID_ARG);
  assert_int_equal(mb_rt_call_begin(f->rt, a, a, NULL), MB_VIRT_ERR_INVALID_ARG);
  assert_int_equal(mb_ht_inspect(f->rt, a, h, NULL), MB_VIRT_ERR_INVALID_ARG);
  assert_int_equal(mb_ht_drop(NULL, a, t, h), MB_VIRT_ERR_INVALID_ARG);
  /* nothing above changed the handle */
  assert_int_equal(vt_rep(f->rt, a, t, h), 1);
  assert_int_equal(mb_ht_count(f->rt, a), 1);
}

/* The tool carries the wasm32 glue: a wasm module, version 1, exporting the ABI. */
static void glue_wasm_is_embedded(void **state) {
  (void)state;
  static const unsigned char preamble[8] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  assert_true(mb_virt_glue_wasm_len > 1000);
  assert_memory_equal(mb_virt_glue_wasm, preamble, sizeof preamble);
  /* export and trap names are in there as plain bytes */
  const char *want[] = {"mb_resource_new", "mb_borrow_lend", "__indirect_function_table",
                        "membrane: use of dropped handle", "membrane: borrow outlived its call"};
  for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
    size_t n = strlen(want[i]);
    int found = 0;
    for (size_t off = 0; off + n <= mb_virt_glue_wasm_len && !found; off++)
      found = memcmp(mb_virt_glue_wasm + off, want[i], n) == 0;
    if (!found) print_message("not in the glue: %s\n", want[i]);
    assert_true(found);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(error_messages_are_stable),
      cmocka_unit_test(runtime_new_and_free),
      cmocka_unit_test(glue_wasm_is_embedded),
      VIRT_TEST(instances_are_numbered_in_order),
      VIRT_TEST(type_is_definer_and_name),
      VIRT_TEST(type_name_is_copied_and_counted),
      VIRT_TEST(type_errors),
      VIRT_TEST(same_module_twice_gives_two_types),
      VIRT_TEST(unknown_ids_in_operations),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
