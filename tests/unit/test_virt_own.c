/* test_virt_own.c — passing own<R>: the handle moves from the caller's table to the
 * callee's (arguments) and back (results); the old index becomes free. */
#include "test_virt_util.h"

static void own_moves_both_ways(void **state) {
  vt_fix *f = *state;
  uint32_t lib = vt_inst(f->rt), app = vt_inst(f->rt);
  uint32_t t = vt_type(f->rt, lib, "counter", &f->log);
  int32_t out;

  /* a constructor returns own<counter>: from the definer's table into the app's */
  int32_t h = vt_new(f->rt, lib, t, 1234);
  int32_t a = 0;
  assert_virt_ok(f->rt, mb_ht_move(f->rt, lib, t, h, app, &a));
  assert_true(a > 0);
  assert_int_equal(mb_ht_count(f->rt, lib), 0);
  assert_int_equal(mb_ht_count(f->rt, app), 1);
  assert_virt(f->rt, mb_ht_rep(f->rt, lib, t, h, &out), MB_VIRT_ERR_DROPPED);
  assert_virt(f->rt, mb_ht_drop(f->rt, lib, t, h), MB_VIRT_ERR_DROPPED);
  mb_ht_info info;
  assert_int_equal(mb_ht_inspect(f->rt, app, a, &info), MB_VIRT_OK);
  assert_int_equal(info.kind, MB_HT_OWN);
  assert_int_equal(info.rep, 1234);
  assert_int_equal(info.refs, 1);

  /* a method taking own<counter>: back into the definer, which can open it */
  int32_t back = 0;
  assert_virt_ok(f->rt, mb_ht_move(f->rt, app, t, a, lib, &back));
  assert_int_equal(vt_rep(f->rt, lib, t, back), 1234);
  assert_virt(f->rt, mb_ht_drop(f->rt, app, t, a), MB_VIRT_ERR_DROPPED);
  assert_int_equal(mb_ht_count(f->rt, app), 0);
  assert_int_equal(f->log.n, 0); /* moves never destroy */

  /* dropped by whoever holds it last: the destructor runs once */
  assert_virt_ok(f->rt, mb_ht_move(f->rt, lib, t, back, app, &a));
  assert_virt_ok(f->rt, mb_ht_drop(f->rt, app, t, a));
  assert_int_equal(f->log.n, 1);
  assert_int_equal(f->log.ev[0].rep, 1234);
  assert_int_equal(mb_rt_resource_count(f->rt), 0);
}

/* Through several instances: every hop frees the previous index. */
static void own_moves_through_a_chain(void **state) {
  vt_fix *f = *state;
  uint32_t inst[5];
  for (int i = 0; i < 5; i++) inst[i] = vt_inst(f->rt);
  uint32_t t = vt_type(f->rt, inst[0], "r", &f->log);
  int32_t h = vt_new(f->rt, inst[0], t, 77);
  for (int i = 1; i < 5; i++) {
    int32_t n;
    assert_virt_ok(f->rt, mb_ht_move(f->rt, inst[i - 1], t, h, inst[i], &n));
    assert_int_equal(mb_ht_count(f->rt, inst[i - 1]), 0);
    assert_int_equal(mb_ht_count(f->rt, inst[i]), 1);
    h = n;
  }
  int32_t home;
  assert_virt_ok(f->rt, mb_ht_move(f->rt, inst[4], t, h, inst[0], &home));
  assert_int_equal(vt_rep(f->rt, inst[0], t, home), 77);
  assert_virt_ok(f->rt, mb_ht_drop(f->rt, inst[0], t, home));
  assert_int_equal(f->log.n, 1);
}

/* Moving within one table (a call from an instance to itself): a new handle, the old
 * one gone. */
static void own_move_to_the_same_instance(void **state) {
  vt_fix *f = *state;
  uint32_t lib = vt_inst(f->rt);
  uint32_t t = vt_type(f->rt, lib, "r", &f->log);
  int32_t h = vt_new(f->rt, lib, t, 5), n, out;
  assert_virt_ok(f->rt, mb_ht_move(f->rt, lib, t, h, lib, &n));
  assert_int_not_equal(n, h);
  assert_virt(f->rt, mb_ht_rep(f->rt, lib, t, h, &out), MB_VIRT_ERR_DROPPED);
  assert_int_equal(vt_rep(f->rt, lib, t, n), 5);
  assert_int_equal(mb_ht_count(f->rt, lib), 1);
  /* also when the table has to grow to take it (the slots move under the old one) */
  int32_t many[14];
  for (int i = 0; i < 14; i++) many[i] = vt_new(f->rt, lib, t, 100 + i);
  uint32_t cap = mb_ht_capacity(f->rt, lib);
  assert_int_equal(mb_ht_count(f->rt, lib), cap - 1); /* full: slot 0 + 15 handles */
  assert_virt_ok(f->rt, mb_ht_move(f->rt, lib, t, many[7], lib, &n));
  assert_true(mb_ht_capacity(f->rt, lib) > cap);
  assert_int_equal(vt_rep(f->rt, lib, t, n), 107);
  assert_virt(f->rt, mb_ht_rep(f->rt, lib, t, many[7], &out), MB_VIRT_ERR_DROPPED);
  assert_int_equal(f->log.n, 0);
}

static void own_move_errors_change_nothing(void **state) {
  vt_fix *f = *state;
  uint32_t lib = vt_inst(f->rt), app = vt_inst(f->rt);
  uint32_t t = vt_type(f->rt, lib, "r", &f->log);
  uint32_t u = vt_type(f->rt, lib, "u", &f->log);
  int32_t h = vt_new(f->rt, lib, t, 5), out = -9;
  assert_virt(f->rt, mb_ht_move(f->rt, lib, u, h, app, &out), MB_VIRT_ERR_WRONG_TYPE);
  assert_virt(f->rt, mb_ht_move(f->rt, lib, t, h + 1, app, &out), MB_VIRT_ERR_INVALID_HANDLE);
  assert_virt(f->rt, mb_ht_move(f->rt, lib, t, h, 9, &out), MB_VIRT_ERR_UNKNOWN_INSTANCE);
  assert_virt(f->rt, mb_ht_move(f->rt, app, t, h, lib, &out), MB_VIRT_ERR_INVALID_HANDLE);
  assert_string_equal(mb_rt_diag(f->rt)->op, "resource.move");
  assert_int_equal(out, -9);
  assert_int_equal(mb_ht_count(f->rt, app), 0);
  assert_int_equal(vt_rep(f->rt, lib, t, h), 5);
}

/* Moving a lent own handle is refused until the call that borrowed it ends; moving a
 * borrow is refused always (it is not owned). */
static void moving_lent_or_borrowed_handles(void **state) {
  vt_fix *f = *state;
  uint32_t lib = vt_inst(f->rt), app = vt_inst(f->rt), other = vt_inst(f->rt);
  uint32_t t = vt_type(f->rt, lib, "r", &f->log);
  int32_t h = vt_new(f->rt, lib, t, 5), a, out = -1;
  assert_virt_ok(f->rt, mb_ht_move(f->rt, lib, t, h, app, &a));

  uint32_t sc;
  int32_t b;
  assert_virt_ok(f->rt, mb_rt_call_begin(f->rt, app, other, &sc));
  assert_virt_ok(f->rt, mb_ht_lend(f->rt, sc, t, a, &b));
  assert_virt(f->rt, mb_ht_move(f->rt, app, t, a, other, &out), MB_VIRT_ERR_LENT);
  assert_int_equal(mb_rt_diag(f->rt)->handle, a);
  assert_virt(f->rt, mb_ht_move(f->rt, other, t, b, app, &out), MB_VIRT_ERR_NOT_OWN);
  assert_virt(f->rt, mb_ht_move(f->rt, other, t, b, lib, &out), MB_VIRT_ERR_NOT_OWN);
  assert_int_equal(out, -1);
  assert_virt_ok(f->rt, mb_ht_drop(f->rt, other, t, b));
  assert_virt_ok(f->rt, mb_rt_call_end(f->rt, sc));
  /* the call is over: the handle moves again */
  assert_virt_ok(f->rt, mb_ht_move(f->rt, app, t, a, other, &out));
  assert_virt_ok(f->rt, mb_ht_drop(f->rt, other, t, out));
  assert_int_equal(f->log.n, 1);
}

/* A failed move (the callee's table is full) leaves the handle with the caller. */
static void own_move_into_a_full_table(void **state) {
  (void)state;
  vt_alloc al = {0};
  mb_rt *rt = vt_rt_new(&al, 3);
  uint32_t lib = vt_inst(rt), app = vt_inst(rt);
  uint32_t t = vt_type(rt, lib, "r", NULL);
  int32_t h[3], a, out = 0;
  for (int i = 0; i < 3; i++) h[i] = vt_new(rt, lib, t, i);
  for (int i = 0; i < 3; i++) assert_virt_ok(rt, mb_ht_move(rt, lib, t, h[i], app, &a));
  int32_t x = vt_new(rt, lib, t, 9);
  assert_virt(rt, mb_ht_move(rt, lib, t, x, app, &out), MB_VIRT_ERR_TABLE_EXHAUSTED);
  assert_int_equal(vt_rep(rt, lib, t, x), 9);
  assert_int_equal(mb_ht_count(rt, lib), 1);
  assert_int_equal(mb_ht_count(rt, app), 3);
  mb_rt_free(rt);
  assert_int_equal(al.live, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      VIRT_TEST(own_moves_both_ways),
      VIRT_TEST(own_moves_through_a_chain),
      VIRT_TEST(own_move_to_the_same_instance),
      VIRT_TEST(own_move_errors_change_nothing),
      VIRT_TEST(moving_lent_or_borrowed_handles),
      cmocka_unit_test(own_move_into_a_full_table),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
