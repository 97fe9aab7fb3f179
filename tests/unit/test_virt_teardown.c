/* test_virt_teardown.c — instance teardown: every handle the instance still holds is
 * dropped, newest first, and destructors run; nothing leaks when a client goes away. */
#include "test_virt_util.h"

static void teardown_in_reverse_order_of_creation(void **state) {
  vt_fix *f = *state;
  uint32_t lib = vt_inst(f->rt);
  uint32_t t = vt_type(f->rt, lib, "r", &f->log);
  int32_t h[6];
  for (int i = 0; i < 6; i++) h[i] = vt_new(f->rt, lib, t, i + 1);
  /* the slot order differs from the creation order once slots are reused */
  assert_virt_ok(f->rt, mb_ht_drop(f->rt, lib, t, h[1]));
  int32_t late = vt_new(f->rt, lib, t, 7); /* takes slot 2 */
  assert_int_equal(late & MB_HT_MAX_HANDLES, h[1] & MB_HT_MAX_HANDLES);
  f->log.n = 0;
  assert_virt_ok(f->rt, mb_rt_teardown(f->rt, lib));
  const int32_t want[] = {7, 6, 5, 4, 3, 1};
  assert_int_equal(f->log.n, 6);
  for (int i = 0; i < 6; i++) assert_int_equal(f->log.ev[i].rep, want[i]);
  assert_int_equal(mb_ht_count(f->rt, lib), 0);
  assert_int_equal(mb_rt_resource_count(f->rt), 0);
}

/* Arrival counts, not the resource's birth: a moved-in handle or a dup is as new as the
 * moment it arrived. */
static void teardown_order_counts_arrival(void **state) {
  vt_fix *f = *state;
  uint32_t lib = vt_inst(f->rt), app = vt_inst(f->rt);
  uint32_t t = vt_type(f->rt, lib, "r", &f->log);
  int32_t h1 = vt_new(f->rt, lib, t, 1), h2 = vt_new(f->rt, lib, t, 2), h3 = vt_new(f->rt, lib, t, 3);
  int32_t a1, a2, a3;
  assert_virt_ok(f->rt, mb_ht_move(f->rt, lib, t, h3, app, &a3));
  assert_virt_ok(f->rt, mb_ht_move(f->rt, lib, t, h1, app, &a1));
  assert_virt_ok(f->rt, mb_ht_move(f->rt, lib, t, h2, app, &a2));
  /* moved out and back: now the newest of the three */
  int32_t tmp;
  assert_virt_ok(f->rt, mb_ht_move(f->rt, app, t, a3, lib, &tmp));
  assert_virt_ok(f->rt, mb_ht_move(f->rt, lib, t, tmp, app, &a3));
  assert_virt_ok(f->rt, mb_rt_teardown(f->rt, app));
  assert_int_equal(f->log.n, 3);
  assert_int_equal(f->log.ev[0].rep, 3);
  assert_int_equal(f->log.ev[1].rep, 2);
  assert_int_equal(f->log.ev[2].rep, 1);
  assert_int_equal(mb_ht_count(f->rt, lib), 0);
}

/* A client going away: its handles to another instance's resources are dropped; shared
 * resources survive while someone else holds a copy; null handles are just freed. */
static void client_goes_away(void **state) {
  vt_fix *f = *state;
  uint32_t lib = vt_inst(f->rt), app = vt_inst(f->rt), other = vt_inst(f->rt);
  uint32_t t = vt_type(f->rt, lib, "r", &f->log);
  int32_t x = vt_new(f->rt, lib, t, 1), y = vt_new(f->rt, lib, t, 2), z = vt_new(f->rt, lib, t, 3);
  int32_t ax, ay, az, ay2, oy, az2;
  assert_virt_ok(f->rt, mb_ht_move(f->rt, lib, t, x, app, &ax));
  assert_virt_ok(f->rt, mb_ht_move(f->rt, lib, t, y, app, &ay));
  assert_virt_ok(f->rt, mb_ht_move(f->rt, lib, t, z, app, &az));
  assert_virt_ok(f->rt, mb_ht_dup(f->rt, app, t, ay, &ay2));
  assert_virt_ok(f->rt, mb_ht_move(f->rt, app, t, ay2, other, &oy)); /* other keeps y */
  assert_virt_ok(f->rt, mb_ht_dup(f->rt, app, t, az, &az2));
  assert_virt_ok(f->rt, mb_ht_destroy(f->rt, app, t, az2)); /* az is null now */
  assert_int_equal(f->log.n, 1);
  assert_virt_ok(f->rt, mb_rt_teardown(f->rt, app));
  assert_int_equal(f->log.n, 2); /* x; not y (other has it), not z again */
  assert_int_equal(vt_log_count(&f->log, 1), 1);
  assert_int_equal(vt_log_count(&f->log, 3), 1);
  assert_int_equal(mb_ht_count(f->rt, app), 0);
  assert_int_equal(mb_rt_resource_count(f->rt), 1);
  assert_virt_ok(f->rt, mb_rt_teardown(f->rt, other));
  assert_int_equal(f->log.n, 3);
  assert_int_equal(vt_log_count(&f->log, 2), 1);
  assert_int_equal(mb_rt_resource_count(f->rt), 0);
  /* the definer holds nothing: tearing it down is a no-op */
  assert_virt_ok(f->rt, mb_rt_teardown(f->rt, lib));
  assert_int_equal(f->log.n, 3);
}

static void teardown_during_a_call_is_refused(void **state) {
  vt_fix *f = *state;
  uint32_t lib = vt_inst(f->rt), app = vt_inst(f->rt), svc = vt_inst(f->rt);
  uint32_t t = vt_type(f->rt, lib, "r", &f->log);
  int32_t h = vt_new(f->rt, lib, t, 1), a, b;
  assert_virt_ok(f->rt, mb_ht_move(f->rt, lib, t, h, app, &a));
  uint32_t sc;
  assert_virt_ok(f->rt, mb_rt_call_begin(f->rt, app, svc, &sc));
  assert_virt_ok(f->rt, mb_ht_lend(f->rt, sc, t, a, &b));
  assert_virt(f->rt, mb_rt_teardown(f->rt, app), MB_VIRT_ERR_BUSY);
  assert_string_equal(mb_rt_diag(f->rt)->op, "instance.teardown");
  assert_virt(f->rt, mb_rt_teardown(f->rt, svc), MB_VIRT_ERR_BUSY);
  assert_virt_ok(f->rt, mb_rt_teardown(f->rt, lib)); /* not in the call */
  assert_int_equal(mb_ht_count(f->rt, app), 1);
  assert_int_equal(mb_ht_count(f->rt, svc), 1);
  assert_int_equal(f->log.n, 0);
  assert_virt_ok(f->rt, mb_ht_drop(f->rt, svc, t, b));
  assert_virt_ok(f->rt, mb_rt_call_end(f->rt, sc));
  assert_virt_ok(f->rt, mb_rt_teardown(f->rt, app));
  assert_int_equal(f->log.n, 1);
}

/* A process exit inside two nested calls: mb_rt_unwind closes both scopes (dropping the
 * borrow handles the callees still hold, ending the loans), then teardown drops all. */
static void unwind_then_teardown_at_exit(void **state) {
  vt_fix *f = *state;
  uint32_t lib = vt_inst(f->rt), app = vt_inst(f->rt), svc = vt_inst(f->rt);
  uint32_t t = vt_type(f->rt, lib, "r", &f->log);
  int32_t h1 = vt_new(f->rt, lib, t, 1), h2 = vt_new(f->rt, lib, t, 2), a1, a2, b1, b2, r;
  assert_virt_ok(f->rt, mb_ht_move(f->rt, lib, t, h1, app, &a1));
  assert_virt_ok(f->rt, mb_ht_move(f->rt, lib, t, h2, app, &a2));
  uint32_t outer, inner;
  assert_virt_ok(f->rt, mb_rt_call_begin(f->rt, app, svc, &outer));
  assert_virt_ok(f->rt, mb_ht_lend(f->rt, outer, t, a1, &b1));
  assert_virt_ok(f->rt, mb_ht_lend(f->rt, outer, t, a2, &b2));
  assert_virt_ok(f->rt, mb_rt_call_begin(f->rt, svc, lib, &inner));
  assert_virt_ok(f->rt, mb_ht_lend(f->rt, inner, t, b1, &r)); /* into the definer: the rep */
  assert_int_equal(r, 1);
  assert_virt(f->rt, mb_rt_teardown(f->rt, app), MB_VIRT_ERR_BUSY);
  assert_virt_ok(f->rt, mb_rt_unwind(f->rt));
  assert_int_equal(mb_ht_count(f->rt, svc), 0);
  assert_int_equal(f->log.n, 0); /* borrows run no destructor */
  mb_ht_info info;
  assert_virt_ok(f->rt, mb_ht_inspect(f->rt, app, a1, &info));
  assert_int_equal(info.lends, 0);
  assert_virt_ok(f->rt, mb_rt_teardown(f->rt, svc));
  assert_virt_ok(f->rt, mb_rt_teardown(f->rt, app));
  assert_int_equal(f->log.n, 2);
  assert_int_equal(mb_rt_resource_count(f->rt), 0);
  assert_virt_ok(f->rt, mb_rt_unwind(f->rt)); /* nothing open: nothing to do */
  assert_virt(f->rt, mb_rt_unwind(NULL), MB_VIRT_ERR_INVALID_ARG);
}

/* The instance stays usable with an empty table, and its old handles stay stale. */
static void instance_usable_after_teardown(void **state) {
  vt_fix *f = *state;
  uint32_t lib = vt_inst(f->rt);
  uint32_t t = vt_type(f->rt, lib, "r", &f->log);
  int32_t old = vt_new(f->rt, lib, t, 1), out;
  assert_virt_ok(f->rt, mb_rt_teardown(f->rt, lib));
  assert_virt(f->rt, mb_ht_rep(f->rt, lib, t, old, &out), MB_VIRT_ERR_DROPPED);
  int32_t fresh = vt_new(f->rt, lib, t, 2);
  assert_int_not_equal(fresh, old);
  assert_virt(f->rt, mb_ht_drop(f->rt, lib, t, old), MB_VIRT_ERR_DROPPED);
  assert_int_equal(vt_rep(f->rt, lib, t, fresh), 2);
  assert_virt_ok(f->rt, mb_rt_teardown(f->rt, lib));
  assert_virt_ok(f->rt, mb_rt_teardown(f->rt, lib)); /* twice: nothing left */
  assert_int_equal(f->log.n, 2);
}

/* Destructors run by teardown call back in: dropping handles the instance holds (which
 * teardown then does not see again), creating new ones (dropped too), adding instances
 * (the instance array moves), and tearing down the same instance (a no-op). */
typedef struct td {
  mb_rt *rt;
  uint32_t inst, t;
  int32_t partner[16]; /* rep -> a handle of the same instance to drop, 0 = none */
  int spawned;
  vt_log log;
} td;

static void td_dtor(void *user, uint32_t type, int32_t rep) {
  td *s = user;
  vt_dtor_log(&s->log, type, rep);
  assert_virt_ok(s->rt, mb_rt_teardown(s->rt, s->inst));
  if (rep >= 0 && rep < 16 && s->partner[rep]) {
    int32_t p = s->partner[rep];
    s->partner[rep] = 0;
    assert_virt_ok(s->rt, mb_ht_drop(s->rt, s->inst, s->t, p));
  }
  if (rep == 5 && !s->spawned) {
    s->spawned = 1;
    int32_t h;
    for (int i = 0; i < 40; i++) assert_virt_ok(s->rt, mb_ht_new(s->rt, s->inst, s->t, 100 + i, &h));
    for (int i = 0; i < 20; i++) {
      uint32_t id;
      assert_virt_ok(s->rt, mb_rt_instance_add(s->rt, &id));
    }
  }
}

static void teardown_with_reentrant_destructors(void **state) {
  vt_fix *f = *state;
  static td s;
  memset(&s, 0, sizeof s);
  s.rt = f->rt;
  s.inst = vt_inst(f->rt);
  mb_virt_dtor d = {td_dtor, &s};
  assert_virt_ok(f->rt, mb_rt_type_add(f->rt, s.inst, "r", 1, &d, &s.t));
  int32_t h[10];
  for (int i = 0; i < 10; i++) h[i] = vt_new(f->rt, s.inst, s.t, i);
  s.partner[8] = h[2]; /* when 8 goes it takes 2 with it */
  assert_virt_ok(f->rt, mb_rt_teardown(f->rt, s.inst));
  /* 9, 8 (+2), 7, 6, 5 (spawns 100..139, dropped newest first: 139 .. 100), 4, 3, 1, 0 */
  int32_t want[50];
  int n = 0;
  want[n++] = 9;
  want[n++] = 8;
  want[n++] = 2;
  want[n++] = 7;
  want[n++] = 6;
  want[n++] = 5;
  for (int i = 39; i >= 0; i--) want[n++] = 100 + i;
  want[n++] = 4;
  want[n++] = 3;
  want[n++] = 1;
  want[n++] = 0;
  assert_int_equal(s.log.n, (size_t)n);
  for (int i = 0; i < n; i++) assert_int_equal(s.log.ev[i].rep, want[i]);
  assert_int_equal(mb_ht_count(f->rt, s.inst), 0);
  assert_int_equal(mb_rt_resource_count(f->rt), 0);
}

/* Handles that arrive during teardown (moved in, dup'd, made by a destructor) are newer
 * than everything left, even when they take the slot of one teardown has yet to reach;
 * a destructor's drop of one teardown has yet to reach takes it out of the order. */
typedef struct arr {
  mb_rt *rt;
  uint32_t app, other, t;
  int32_t in_other, h1, h2;
  vt_log log;
} arr;

static void arr_dtor(void *user, uint32_t type, int32_t rep) {
  arr *s = user;
  vt_dtor_log(&s->log, type, rep);
  if (rep != 3) return;
  int32_t h;
  assert_virt_ok(s->rt, mb_ht_drop(s->rt, s->app, s->t, s->h1)); /* runs 1's destructor */
  assert_virt_ok(s->rt, mb_ht_move(s->rt, s->other, s->t, s->in_other, s->app, &h)); /* 10 */
  assert_virt_ok(s->rt, mb_ht_new(s->rt, s->app, s->t, 20, &h));
  assert_virt_ok(s->rt, mb_ht_dup(s->rt, s->app, s->t, s->h2, &h)); /* 2 twice now */
}

static void teardown_takes_arrivals_first(void **state) {
  vt_fix *f = *state;
  static arr s;
  memset(&s, 0, sizeof s);
  s.rt = f->rt;
  s.app = vt_inst(f->rt);
  s.other = vt_inst(f->rt);
  mb_virt_dtor d = {arr_dtor, &s};
  assert_virt_ok(f->rt, mb_rt_type_add(f->rt, s.app, "r", 1, &d, &s.t));
  int32_t h[5], o = vt_new(f->rt, s.app, s.t, 10);
  assert_virt_ok(f->rt, mb_ht_move(f->rt, s.app, s.t, o, s.other, &s.in_other));
  for (int i = 0; i < 5; i++) h[i] = vt_new(f->rt, s.app, s.t, i);
  s.h1 = h[1];
  s.h2 = h[2];
  assert_virt_ok(f->rt, mb_rt_teardown(f->rt, s.app));
  /* 4, 3 (which drops 1, brings 10 in, makes 20, dups 2), then 2's dup (no destructor
   * yet: 2 has another owner), 20, 10, 2, 0 */
  const int32_t want[] = {4, 3, 1, 20, 10, 2, 0};
  assert_int_equal(s.log.n, 7);
  for (int i = 0; i < 7; i++) assert_int_equal(s.log.ev[i].rep, want[i]);
  assert_int_equal(mb_ht_count(f->rt, s.app), 0);
  assert_int_equal(mb_rt_resource_count(f->rt), 0);
}

/* Many handles: teardown is linear and complete. */
static void teardown_of_many_handles(void **state) {
  vt_fix *f = *state;
  enum { N = 3000 };
  uint32_t lib = vt_inst(f->rt);
  uint32_t t = vt_type(f->rt, lib, "r", &f->log);
  for (int i = 0; i < N; i++) vt_new(f->rt, lib, t, i);
  assert_virt_ok(f->rt, mb_rt_teardown(f->rt, lib));
  assert_int_equal(f->log.n, N);
  for (int i = 0; i < N; i++) assert_int_equal(f->log.ev[i].rep, N - 1 - i);
  assert_int_equal(mb_rt_resource_count(f->rt), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      VIRT_TEST(teardown_in_reverse_order_of_creation),
      VIRT_TEST(teardown_order_counts_arrival),
      VIRT_TEST(client_goes_away),
      VIRT_TEST(teardown_during_a_call_is_refused),
      VIRT_TEST(unwind_then_teardown_at_exit),
      VIRT_TEST(instance_usable_after_teardown),
      VIRT_TEST(teardown_with_reentrant_destructors),
      VIRT_TEST(teardown_takes_arrivals_first),
      VIRT_TEST(teardown_of_many_handles),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
