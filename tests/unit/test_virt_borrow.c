/* test_virt_borrow.c — passing borrow<R>: call scopes, lending, the end-of-call check,
 * borrows into the definer arriving as the rep, lent handles pinned until the call ends. */
#include "test_virt_util.h"

typedef struct world {
  uint32_t lib, app, svc; /* lib defines r; app owns one; svc is a third party */
  uint32_t t;
  int32_t h; /* the app's own handle, rep 500 */
} world;

static world make_world(vt_fix *f) {
  world w;
  w.lib = vt_inst(f->rt);
  w.app = vt_inst(f->rt);
  w.svc = vt_inst(f->rt);
  w.t = vt_type(f->rt, w.lib, "r", &f->log);
  int32_t h = vt_new(f->rt, w.lib, w.t, 500);
  assert_virt_ok(f->rt, mb_ht_move(f->rt, w.lib, w.t, h, w.app, &w.h));
  return w;
}

static void borrow_into_a_non_definer(void **state) {
  vt_fix *f = *state;
  world w = make_world(f);
  uint32_t sc = 0;
  assert_virt_ok(f->rt, mb_rt_call_begin(f->rt, w.app, w.svc, &sc));
  assert_int_not_equal(sc, 0);
  int32_t b = 0;
  assert_virt_ok(f->rt, mb_ht_lend(f->rt, sc, w.t, w.h, &b));
  assert_true(b > 0);
  mb_ht_info info;
  assert_int_equal(mb_ht_inspect(f->rt, w.svc, b, &info), MB_VIRT_OK);
  assert_int_equal(info.kind, MB_HT_BORROW);
  assert_int_equal(info.type, w.t);
  assert_int_equal(info.rep, 500);
  assert_int_equal(mb_ht_inspect(f->rt, w.app, w.h, &info), MB_VIRT_OK);
  assert_int_equal(info.lends, 1);
  /* the borrower cannot open it (not the definer) nor keep it */
  int32_t out;
  assert_virt(f->rt, mb_ht_rep(f->rt, w.svc, w.t, b, &out), MB_VIRT_ERR_NOT_DEFINER);
  /* dropping the borrow ends the loan; no destructor */
  assert_virt_ok(f->rt, mb_ht_drop(f->rt, w.svc, w.t, b));
  assert_virt(f->rt, mb_ht_drop(f->rt, w.svc, w.t, b), MB_VIRT_ERR_DROPPED);
  assert_int_equal(f->log.n, 0);
  assert_virt_ok(f->rt, mb_rt_call_end(f->rt, sc));
  assert_int_equal(mb_ht_inspect(f->rt, w.app, w.h, &info), MB_VIRT_OK);
  assert_int_equal(info.lends, 0);
  assert_int_equal(info.refs, 1);
  /* the owner drops it later: the destructor runs then */
  assert_virt_ok(f->rt, mb_ht_drop(f->rt, w.app, w.t, w.h));
  assert_int_equal(f->log.n, 1);
}

/* DESIGN.md: a borrow passed into the definer arrives as the rep itself. */
static void borrow_into_the_definer_is_the_rep(void **state) {
  vt_fix *f = *state;
  world w = make_world(f);
  uint32_t sc;
  int32_t rep = 0;
  assert_virt_ok(f->rt, mb_rt_call_begin(f->rt, w.app, w.lib, &sc));
  assert_virt_ok(f->rt, mb_ht_lend(f->rt, sc, w.t, w.h, &rep));
  assert_int_equal(rep, 500);
  assert_int_equal(mb_ht_count(f->rt, w.lib), 0); /* no handle was made */
  /* still lent for the duration: the owner cannot drop it under the definer */
  assert_virt(f->rt, mb_ht_drop(f->rt, w.app, w.t, w.h), MB_VIRT_ERR_LENT);
  assert_virt_ok(f->rt, mb_rt_call_end(f->rt, sc));
  assert_virt_ok(f->rt, mb_ht_drop(f->rt, w.app, w.t, w.h));
  assert_int_equal(f->log.n, 1);
}

static void borrow_outlived_its_call(void **state) {
  vt_fix *f = *state;
  world w = make_world(f);
  uint32_t sc;
  int32_t b;
  assert_virt_ok(f->rt, mb_rt_call_begin(f->rt, w.app, w.svc, &sc));
  assert_virt_ok(f->rt, mb_ht_lend(f->rt, sc, w.t, w.h, &b));
  assert_virt(f->rt, mb_rt_call_end(f->rt, sc), MB_VIRT_ERR_BORROW_OUTLIVED);
  const mb_virt_diag *d = mb_rt_diag(f->rt);
  assert_string_equal(d->op, "call.end");
  assert_int_equal(d->inst, w.svc);
  /* nothing changed: the scope is still open, the loan still on */
  mb_ht_info info;
  assert_int_equal(mb_ht_inspect(f->rt, w.app, w.h, &info), MB_VIRT_OK);
  assert_int_equal(info.lends, 1);
  assert_virt(f->rt, mb_rt_call_end(f->rt, sc), MB_VIRT_ERR_BORROW_OUTLIVED);
  assert_virt_ok(f->rt, mb_ht_drop(f->rt, w.svc, w.t, b));
  assert_virt_ok(f->rt, mb_rt_call_end(f->rt, sc));
  /* ended: ending again is a scope error */
  assert_virt(f->rt, mb_rt_call_end(f->rt, sc), MB_VIRT_ERR_SCOPE);
}

/* The owner cannot drop, move or destroy an own handle while it is lent. */
static void lent_handle_is_pinned(void **state) {
  vt_fix *f = *state;
  world w = make_world(f);
  uint32_t sc;
  int32_t b, out;
  assert_virt_ok(f->rt, mb_rt_call_begin(f->rt, w.app, w.svc, &sc));
  assert_virt_ok(f->rt, mb_ht_lend(f->rt, sc, w.t, w.h, &b));
  /* (the callee could call back into the owner, which then tries) */
  assert_virt(f->rt, mb_ht_drop(f->rt, w.app, w.t, w.h), MB_VIRT_ERR_LENT);
  assert_string_equal(mb_rt_diag(f->rt)->op, "resource.drop");
  assert_virt(f->rt, mb_ht_move(f->rt, w.app, w.t, w.h, w.lib, &out), MB_VIRT_ERR_LENT);
  assert_virt(f->rt, mb_ht_destroy(f->rt, w.app, w.t, w.h), MB_VIRT_ERR_LENT);
  /* but it can still be used: lent again, dup'd */
  int32_t d;
  assert_virt_ok(f->rt, mb_ht_dup(f->rt, w.app, w.t, w.h, &d));
  assert_virt_ok(f->rt, mb_ht_drop(f->rt, w.app, w.t, d));
  assert_int_equal(f->log.n, 0);
  assert_virt_ok(f->rt, mb_ht_drop(f->rt, w.svc, w.t, b));
  /* the borrow is gone but the loan lasts until the call returns */
  assert_virt(f->rt, mb_ht_drop(f->rt, w.app, w.t, w.h), MB_VIRT_ERR_LENT);
  assert_virt_ok(f->rt, mb_rt_call_end(f->rt, sc));
  assert_virt_ok(f->rt, mb_ht_drop(f->rt, w.app, w.t, w.h));
  assert_int_equal(f->log.n, 1);
}

/* A borrow handle is not owned: no move, dup or destroy. */
static void borrow_is_not_own(void **state) {
  vt_fix *f = *state;
  world w = make_world(f);
  uint32_t sc;
  int32_t b, out = -3;
  assert_virt_ok(f->rt, mb_rt_call_begin(f->rt, w.app, w.svc, &sc));
  assert_virt_ok(f->rt, mb_ht_lend(f->rt, sc, w.t, w.h, &b));
  assert_virt(f->rt, mb_ht_dup(f->rt, w.svc, w.t, b, &out), MB_VIRT_ERR_NOT_OWN);
  assert_virt(f->rt, mb_ht_destroy(f->rt, w.svc, w.t, b), MB_VIRT_ERR_NOT_OWN);
  assert_virt(f->rt, mb_ht_move(f->rt, w.svc, w.t, b, w.app, &out), MB_VIRT_ERR_NOT_OWN);
  assert_int_equal(out, -3);
  uint32_t u = vt_type(f->rt, w.lib, "u", NULL);
  assert_virt(f->rt, mb_ht_drop(f->rt, w.svc, u, b), MB_VIRT_ERR_WRONG_TYPE);
  assert_virt_ok(f->rt, mb_ht_drop(f->rt, w.svc, w.t, b));
  assert_virt_ok(f->rt, mb_rt_call_end(f->rt, sc));
  assert_int_equal(f->log.n, 0);
}

/* The callee passes its borrow on: to the definer (the rep) and to a third instance. The
 * borrow cannot be dropped while the nested call has it. */
static void nested_calls_lend_a_borrow_on(void **state) {
  vt_fix *f = *state;
  world w = make_world(f);
  uint32_t third = vt_inst(f->rt);
  uint32_t outer, inner, inner2;
  int32_t b, rep, b2;
  assert_virt_ok(f->rt, mb_rt_call_begin(f->rt, w.app, w.svc, &outer));
  assert_virt_ok(f->rt, mb_ht_lend(f->rt, outer, w.t, w.h, &b));

  assert_virt_ok(f->rt, mb_rt_call_begin(f->rt, w.svc, w.lib, &inner));
  assert_int_not_equal(inner, outer);
  /* the outer scope is not the innermost any more */
  assert_virt(f->rt, mb_ht_lend(f->rt, outer, w.t, w.h, &rep), MB_VIRT_ERR_SCOPE);
  assert_virt(f->rt, mb_rt_call_end(f->rt, outer), MB_VIRT_ERR_SCOPE);
  assert_virt_ok(f->rt, mb_ht_lend(f->rt, inner, w.t, b, &rep));
  assert_int_equal(rep, 500);
  assert_virt(f->rt, mb_ht_drop(f->rt, w.svc, w.t, b), MB_VIRT_ERR_LENT);
  assert_virt_ok(f->rt, mb_rt_call_end(f->rt, inner));

  assert_virt_ok(f->rt, mb_rt_call_begin(f->rt, w.svc, third, &inner2));
  assert_virt_ok(f->rt, mb_ht_lend(f->rt, inner2, w.t, b, &b2));
  mb_ht_info info;
  assert_int_equal(mb_ht_inspect(f->rt, third, b2, &info), MB_VIRT_OK);
  assert_int_equal(info.kind, MB_HT_BORROW);
  assert_int_equal(info.rep, 500);
  /* the inner callee keeps it: the inner call cannot end; the outer borrow stays pinned */
  assert_virt(f->rt, mb_rt_call_end(f->rt, inner2), MB_VIRT_ERR_BORROW_OUTLIVED);
  assert_virt(f->rt, mb_ht_drop(f->rt, w.svc, w.t, b), MB_VIRT_ERR_LENT);
  assert_virt_ok(f->rt, mb_ht_drop(f->rt, third, w.t, b2));
  assert_virt_ok(f->rt, mb_rt_call_end(f->rt, inner2));

  assert_virt_ok(f->rt, mb_ht_drop(f->rt, w.svc, w.t, b));
  assert_virt_ok(f->rt, mb_rt_call_end(f->rt, outer));
  assert_int_equal(mb_ht_inspect(f->rt, w.app, w.h, &info), MB_VIRT_OK);
  assert_int_equal(info.lends, 0);
  assert_int_equal(info.refs, 1);
  assert_int_equal(f->log.n, 0);
}

static void lend_twice_and_several_handles(void **state) {
  vt_fix *f = *state;
  world w = make_world(f);
  int32_t h2 = vt_new(f->rt, w.lib, w.t, 600), a2;
  assert_virt_ok(f->rt, mb_ht_move(f->rt, w.lib, w.t, h2, w.app, &a2));
  uint32_t sc;
  int32_t b1, b2, b3;
  assert_virt_ok(f->rt, mb_rt_call_begin(f->rt, w.app, w.svc, &sc));
  assert_virt_ok(f->rt, mb_ht_lend(f->rt, sc, w.t, w.h, &b1));
  assert_virt_ok(f->rt, mb_ht_lend(f->rt, sc, w.t, w.h, &b2));
  assert_virt_ok(f->rt, mb_ht_lend(f->rt, sc, w.t, a2, &b3));
  assert_int_not_equal(b1, b2);
  mb_ht_info info;
  assert_int_equal(mb_ht_inspect(f->rt, w.app, w.h, &info), MB_VIRT_OK);
  assert_int_equal(info.lends, 2);
  assert_virt_ok(f->rt, mb_ht_drop(f->rt, w.svc, w.t, b1));
  assert_virt_ok(f->rt, mb_ht_drop(f->rt, w.svc, w.t, b3));
  assert_virt(f->rt, mb_rt_call_end(f->rt, sc), MB_VIRT_ERR_BORROW_OUTLIVED);
  assert_virt_ok(f->rt, mb_ht_drop(f->rt, w.svc, w.t, b2));
  assert_virt_ok(f->rt, mb_rt_call_end(f->rt, sc));
  assert_int_equal(mb_ht_inspect(f->rt, w.app, w.h, &info), MB_VIRT_OK);
  assert_int_equal(info.lends, 0);
  assert_int_equal(mb_ht_inspect(f->rt, w.app, a2, &info), MB_VIRT_OK);
  assert_int_equal(info.lends, 0);
  assert_int_equal(mb_ht_count(f->rt, w.svc), 0);
}

/* An instance calling itself lends within one table. */
static void lend_to_the_same_instance(void **state) {
  vt_fix *f = *state;
  world w = make_world(f);
  uint32_t sc;
  int32_t b;
  assert_virt_ok(f->rt, mb_rt_call_begin(f->rt, w.app, w.app, &sc));
  assert_virt_ok(f->rt, mb_ht_lend(f->rt, sc, w.t, w.h, &b));
  assert_int_not_equal(b, w.h);
  assert_int_equal(mb_ht_count(f->rt, w.app), 2);
  assert_virt(f->rt, mb_ht_drop(f->rt, w.app, w.t, w.h), MB_VIRT_ERR_LENT);
  assert_virt_ok(f->rt, mb_ht_drop(f->rt, w.app, w.t, b));
  assert_virt_ok(f->rt, mb_rt_call_end(f->rt, sc));
  assert_virt_ok(f->rt, mb_ht_drop(f->rt, w.app, w.t, w.h));
  assert_int_equal(f->log.n, 1);
}

static void lend_errors_change_nothing(void **state) {
  vt_fix *f = *state;
  world w = make_world(f);
  uint32_t u = vt_type(f->rt, w.lib, "u", NULL);
  uint32_t sc;
  int32_t out = -7;
  assert_virt(f->rt, mb_ht_lend(f->rt, 0, w.t, w.h, &out), MB_VIRT_ERR_SCOPE);
  assert_virt(f->rt, mb_ht_lend(f->rt, 1, w.t, w.h, &out), MB_VIRT_ERR_SCOPE); /* none open */
  assert_virt_ok(f->rt, mb_rt_call_begin(f->rt, w.app, w.svc, &sc));
  assert_virt(f->rt, mb_ht_lend(f->rt, sc + 1, w.t, w.h, &out), MB_VIRT_ERR_SCOPE);
  assert_virt(f->rt, mb_ht_lend(f->rt, sc, u, w.h, &out), MB_VIRT_ERR_WRONG_TYPE);
  assert_string_equal(mb_rt_diag(f->rt)->op, "resource.lend");
  assert_virt(f->rt, mb_ht_lend(f->rt, sc, w.t, w.h + 1, &out), MB_VIRT_ERR_INVALID_HANDLE);
  /* the handle lives in the caller's table, not the callee's */
  int32_t s_own = vt_new(f->rt, w.lib, w.t, 1), moved;
  assert_virt_ok(f->rt, mb_ht_move(f->rt, w.lib, w.t, s_own, w.svc, &moved));
  assert_virt(f->rt, mb_ht_lend(f->rt, sc, w.t, moved + 5, &out), MB_VIRT_ERR_INVALID_HANDLE);
  assert_virt(f->rt, mb_ht_lend(f->rt, sc, 9, w.h, &out), MB_VIRT_ERR_UNKNOWN_TYPE);
  assert_int_equal(out, -7);
  mb_ht_info info;
  assert_int_equal(mb_ht_inspect(f->rt, w.app, w.h, &info), MB_VIRT_OK);
  assert_int_equal(info.lends, 0);
  assert_int_equal(mb_ht_count(f->rt, w.svc), 1);
  assert_virt_ok(f->rt, mb_rt_call_end(f->rt, sc));
}

/* A borrow needs a slot in the callee's table: when there is none the lend fails and no
 * loan is recorded. */
static void lend_into_a_full_table(void **state) {
  (void)state;
  vt_alloc al = {0};
  mb_rt *rt = vt_rt_new(&al, 2);
  uint32_t lib = vt_inst(rt), app = vt_inst(rt), svc = vt_inst(rt);
  uint32_t t = vt_type(rt, lib, "r", NULL);
  int32_t a[2], b[2];
  for (int i = 0; i < 2; i++) {
    int32_t h = vt_new(rt, lib, t, i);
    assert_virt_ok(rt, mb_ht_move(rt, lib, t, h, app, &a[i]));
  }
  uint32_t sc;
  int32_t out = -1;
  assert_virt_ok(rt, mb_rt_call_begin(rt, app, svc, &sc));
  assert_virt_ok(rt, mb_ht_lend(rt, sc, t, a[0], &b[0]));
  assert_virt_ok(rt, mb_ht_lend(rt, sc, t, a[1], &b[1]));
  assert_virt(rt, mb_ht_lend(rt, sc, t, a[0], &out), MB_VIRT_ERR_TABLE_EXHAUSTED);
  assert_int_equal(out, -1);
  mb_ht_info info;
  assert_int_equal(mb_ht_inspect(rt, app, a[0], &info), MB_VIRT_OK);
  assert_int_equal(info.lends, 1);
  for (int i = 0; i < 2; i++) assert_virt_ok(rt, mb_ht_drop(rt, svc, t, b[i]));
  assert_virt_ok(rt, mb_rt_call_end(rt, sc));
  assert_int_equal(mb_ht_inspect(rt, app, a[0], &info), MB_VIRT_OK);
  assert_int_equal(info.lends, 0);
  mb_rt_free(rt);
  assert_int_equal(al.live, 0);
}

/* Deep nesting: the scope and lender stacks grow; every scope closes in order. */
static void deep_call_nesting(void **state) {
  vt_fix *f = *state;
  world w = make_world(f);
  enum { DEPTH = 2000 };
  static uint32_t sc[DEPTH];
  static int32_t b[DEPTH];
  uint32_t prev = w.app;
  int32_t h = w.h;
  for (int i = 0; i < DEPTH; i++) {
    uint32_t callee = i % 2 ? w.app : w.svc;
    assert_virt_ok(f->rt, mb_rt_call_begin(f->rt, prev, callee, &sc[i]));
    assert_virt_ok(f->rt, mb_ht_lend(f->rt, sc[i], w.t, h, &b[i]));
    prev = callee;
    h = b[i];
  }
  for (int i = DEPTH - 1; i >= 0; i--) {
    uint32_t callee = i % 2 ? w.app : w.svc;
    assert_virt(f->rt, mb_ht_drop(f->rt, callee, w.t, b[i]), MB_VIRT_OK);
    assert_virt_ok(f->rt, mb_rt_call_end(f->rt, sc[i]));
  }
  mb_ht_info info;
  assert_int_equal(mb_ht_inspect(f->rt, w.app, w.h, &info), MB_VIRT_OK);
  assert_int_equal(info.lends, 0);
  assert_int_equal(mb_ht_count(f->rt, w.app), 1);
  assert_int_equal(mb_ht_count(f->rt, w.svc), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      VIRT_TEST(borrow_into_a_non_definer),
      VIRT_TEST(borrow_into_the_definer_is_the_rep),
      VIRT_TEST(borrow_outlived_its_call),
      VIRT_TEST(lent_handle_is_pinned),
      VIRT_TEST(borrow_is_not_own),
      VIRT_TEST(nested_calls_lend_a_borrow_on),
      VIRT_TEST(lend_twice_and_several_handles),
      VIRT_TEST(lend_to_the_same_instance),
      VIRT_TEST(lend_errors_change_nothing),
      cmocka_unit_test(lend_into_a_full_table),
      VIRT_TEST(deep_call_nesting),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
