/* test_virt_dup.c — [resource-dup] (legacy resource_clone): more own handles to one
 * resource, reference counted; the destructor runs once, when the last is dropped. */
#include "test_virt_util.h"

static void dup_is_reference_counted(void **state) {
  vt_fix *f = *state;
  uint32_t lib = vt_inst(f->rt);
  uint32_t t = vt_type(f->rt, lib, "r", &f->log);
  int32_t h = vt_new(f->rt, lib, t, 31), d = 0;
  assert_virt_ok(f->rt, mb_ht_dup(f->rt, lib, t, h, &d));
  assert_true(d > 0);
  assert_int_not_equal(d, h);
  assert_int_equal(vt_rep(f->rt, lib, t, d), 31);
  mb_ht_info info;
  assert_int_equal(mb_ht_inspect(f->rt, lib, d, &info), MB_VIRT_OK);
  assert_int_equal(info.kind, MB_HT_OWN);
  assert_int_equal(info.refs, 2);
  assert_int_equal(mb_rt_resource_count(f->rt), 1);
  /* either may go first */
  assert_virt_ok(f->rt, mb_ht_drop(f->rt, lib, t, h));
  assert_int_equal(f->log.n, 0);
  assert_int_equal(vt_rep(f->rt, lib, t, d), 31);
  assert_int_equal(mb_ht_inspect(f->rt, lib, d, &info), MB_VIRT_OK);
  assert_int_equal(info.refs, 1);
  assert_virt_ok(f->rt, mb_ht_drop(f->rt, lib, t, d));
  assert_int_equal(f->log.n, 1);
  assert_int_equal(f->log.ev[0].rep, 31);
  assert_int_equal(mb_rt_resource_count(f->rt), 0);
}

/* Copies travel to other instances; the destructor waits for the last one anywhere. */
static void dups_across_instances(void **state) {
  vt_fix *f = *state;
  uint32_t lib = vt_inst(f->rt), a = vt_inst(f->rt), b = vt_inst(f->rt);
  uint32_t t = vt_type(f->rt, lib, "r", &f->log);
  int32_t h = vt_new(f->rt, lib, t, 8), ha, hb, hb2;
  assert_virt_ok(f->rt, mb_ht_move(f->rt, lib, t, h, a, &ha));
  /* a user (not the definer) may dup what it owns */
  assert_virt_ok(f->rt, mb_ht_dup(f->rt, a, t, ha, &hb));
  assert_virt_ok(f->rt, mb_ht_move(f->rt, a, t, hb, b, &hb));
  assert_virt_ok(f->rt, mb_ht_dup(f->rt, b, t, hb, &hb2));
  assert_virt_ok(f->rt, mb_ht_drop(f->rt, a, t, ha));
  assert_virt_ok(f->rt, mb_ht_drop(f->rt, b, t, hb));
  assert_int_equal(f->log.n, 0);
  /* the definer can still open the last copy when it comes home */
  int32_t home;
  assert_virt_ok(f->rt, mb_ht_move(f->rt, b, t, hb2, lib, &home));
  assert_int_equal(vt_rep(f->rt, lib, t, home), 8);
  assert_virt_ok(f->rt, mb_ht_drop(f->rt, lib, t, home));
  assert_int_equal(f->log.n, 1);
}

/* Many copies, dropped in a scrambled order: exactly one destructor call, at the last. */
static void destructor_exactly_once(void **state) {
  vt_fix *f = *state;
  enum { N = 1000 };
  uint32_t lib = vt_inst(f->rt), app = vt_inst(f->rt);
  uint32_t t = vt_type(f->rt, lib, "r", &f->log);
  int32_t h[N], x = vt_new(f->rt, lib, t, 4);
  uint32_t holder[N];
  h[0] = x;
  holder[0] = lib;
  for (int i = 1; i < N; i++) {
    assert_virt_ok(f->rt, mb_ht_dup(f->rt, holder[i - 1], t, h[i - 1], &h[i]));
    holder[i] = holder[i - 1];
    if (i % 3 == 0) {
      assert_virt_ok(f->rt, mb_ht_move(f->rt, holder[i], t, h[i], app, &h[i]));
      holder[i] = app;
    }
  }
  mb_ht_info info;
  assert_int_equal(mb_ht_inspect(f->rt, lib, x, &info), MB_VIRT_OK);
  assert_int_equal(info.refs, N);
  for (int k = 0; k < N; k++) {
    int i = (int)(((long)k * 7919) % N); /* a permutation: 7919 is prime to 1000 */
    assert_int_equal(f->log.n, 0);
    assert_virt_ok(f->rt, mb_ht_drop(f->rt, holder[i], t, h[i]));
    assert_virt(f->rt, mb_ht_drop(f->rt, holder[i], t, h[i]), MB_VIRT_ERR_DROPPED);
  }
  assert_int_equal(f->log.n, 1);
  assert_int_equal(vt_log_count(&f->log, 4), 1);
  assert_int_equal(mb_rt_resource_count(f->rt), 0);
}

static void dup_errors(void **state) {
  vt_fix *f = *state;
  uint32_t lib = vt_inst(f->rt), app = vt_inst(f->rt);
  uint32_t t = vt_type(f->rt, lib, "r", &f->log);
  uint32_t u = vt_type(f->rt, lib, "u", &f->log);
  int32_t h = vt_new(f->rt, lib, t, 1), out = -2, gone = vt_new(f->rt, lib, t, 2);
  assert_virt_ok(f->rt, mb_ht_drop(f->rt, lib, t, gone));
  assert_virt(f->rt, mb_ht_dup(f->rt, lib, t, gone, &out), MB_VIRT_ERR_DROPPED);
  assert_string_equal(mb_rt_diag(f->rt)->op, "resource.dup");
  assert_virt(f->rt, mb_ht_dup(f->rt, lib, u, h, &out), MB_VIRT_ERR_WRONG_TYPE);
  assert_virt(f->rt, mb_ht_dup(f->rt, app, t, h, &out), MB_VIRT_ERR_INVALID_HANDLE);
  assert_virt(f->rt, mb_ht_dup(f->rt, lib, t, 0, &out), MB_VIRT_ERR_INVALID_HANDLE);
  assert_int_equal(out, -2);
  mb_ht_info info;
  assert_int_equal(mb_ht_inspect(f->rt, lib, h, &info), MB_VIRT_OK);
  assert_int_equal(info.refs, 1);
  assert_int_equal(mb_ht_count(f->rt, lib), 1);
}

/* A destructor that drops the handles its resource owned (a tree), run from a drop in
 * the middle of a table that the destructor makes grow: the runtime re-reads its state
 * after the callback. */
typedef struct tree {
  mb_rt *rt;
  uint32_t inst, t;
  int32_t child_of[64]; /* rep -> own handle of its child, 0 = none */
  int grow_on;          /* rep whose destructor creates 100 more handles */
  int32_t extra[100];
  vt_log log;
} tree;

static void tree_dtor(void *user, uint32_t type, int32_t rep) {
  tree *tr = user;
  vt_dtor_log(&tr->log, type, rep);
  if (rep == tr->grow_on)
    for (int i = 0; i < 100; i++)
      assert_virt_ok(tr->rt, mb_ht_new(tr->rt, tr->inst, tr->t, 1000 + i, &tr->extra[i]));
  int32_t c = rep >= 0 && rep < 64 ? tr->child_of[rep] : 0;
  if (c) {
    tr->child_of[rep] = 0;
    assert_virt_ok(tr->rt, mb_ht_drop(tr->rt, tr->inst, tr->t, c));
  }
}

static void destructor_drops_what_it_owned(void **state) {
  vt_fix *f = *state;
  static tree tr;
  memset(&tr, 0, sizeof tr);
  tr.rt = f->rt;
  tr.inst = vt_inst(f->rt);
  mb_virt_dtor d = {tree_dtor, &tr};
  assert_virt_ok(f->rt, mb_rt_type_add(f->rt, tr.inst, "node", 4, &d, &tr.t));
  /* a chain 1 -> 2 -> ... -> 10; 5 has a dup'd child, dropped later by us */
  int32_t h[11];
  for (int r = 1; r <= 10; r++) h[r] = vt_new(f->rt, tr.inst, tr.t, r);
  for (int r = 1; r < 10; r++) tr.child_of[r] = h[r + 1];
  int32_t extra_ref;
  assert_virt_ok(f->rt, mb_ht_dup(f->rt, tr.inst, tr.t, h[6], &extra_ref));
  tr.grow_on = 3;
  assert_virt_ok(f->rt, mb_ht_drop(f->rt, tr.inst, tr.t, h[1]));
  /* 1..5 went; 6 is still referenced by extra_ref */
  assert_int_equal(tr.log.n, 5);
  for (int r = 1; r <= 5; r++) assert_int_equal(tr.log.ev[r - 1].rep, r);
  assert_int_equal(mb_ht_count(f->rt, tr.inst), 4 + 1 + 100); /* h7..h10, extra_ref */
  for (int i = 0; i < 100; i++) assert_int_equal(vt_rep(f->rt, tr.inst, tr.t, tr.extra[i]), 1000 + i);
  assert_virt_ok(f->rt, mb_ht_drop(f->rt, tr.inst, tr.t, extra_ref));
  assert_int_equal(tr.log.n, 10);
  for (int r = 6; r <= 10; r++) assert_int_equal(tr.log.ev[r - 1].rep, r);
  assert_virt_ok(f->rt, mb_rt_teardown(f->rt, tr.inst));
  assert_int_equal(tr.log.n, 110);
  assert_int_equal(mb_rt_resource_count(f->rt), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      VIRT_TEST(dup_is_reference_counted),
      VIRT_TEST(dups_across_instances),
      VIRT_TEST(destructor_exactly_once),
      VIRT_TEST(dup_errors),
      VIRT_TEST(destructor_drops_what_it_owned),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
