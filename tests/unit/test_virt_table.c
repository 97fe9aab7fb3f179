/* test_virt_table.c — the handle table: resource.new / rep / drop, reserved index 0,
 * stale handles after slot reuse, growth past 100,000 live handles, exhaustion. */
#include "test_virt_util.h"

static void new_rep_drop(void **state) {
  vt_fix *f = *state;
  uint32_t lib = vt_inst(f->rt);
  uint32_t t = vt_type(f->rt, lib, "r", &f->log);
  /* reps are anything the definer chooses */
  const int32_t reps[] = {0, 1, -1, INT32_MIN, INT32_MAX, 42};
  int32_t h[6];
  for (int i = 0; i < 6; i++) {
    h[i] = vt_new(f->rt, lib, t, reps[i]);
    assert_int_equal(h[i], i + 1); /* a fresh table hands out 1, 2, 3, ... */
  }
  assert_int_equal(mb_ht_count(f->rt, lib), 6);
  assert_int_equal(mb_rt_resource_count(f->rt), 6);
  for (int i = 0; i < 6; i++) assert_int_equal(vt_rep(f->rt, lib, t, h[i]), reps[i]);

  mb_ht_info info;
  assert_int_equal(mb_ht_inspect(f->rt, lib, h[4], &info), MB_VIRT_OK);
  assert_int_equal(info.kind, MB_HT_OWN);
  assert_int_equal(info.type, t);
  assert_int_equal(info.rep, INT32_MAX);
  assert_int_equal(info.lends, 0);
  assert_int_equal(info.refs, 1);
  assert_false(info.destroyed);

  /* drop: the destructor runs once, in order, with the rep */
  for (int i = 0; i < 6; i++) assert_virt_ok(f->rt, mb_ht_drop(f->rt, lib, t, h[i]));
  assert_int_equal(f->log.n, 6);
  for (int i = 0; i < 6; i++) {
    assert_int_equal(f->log.ev[i].type, t);
    assert_int_equal(f->log.ev[i].rep, reps[i]);
  }
  assert_int_equal(mb_ht_count(f->rt, lib), 0);
  assert_int_equal(mb_rt_resource_count(f->rt), 0);
}

static void double_drop_and_use_after_drop(void **state) {
  vt_fix *f = *state;
  uint32_t lib = vt_inst(f->rt), app = vt_inst(f->rt);
  uint32_t t = vt_type(f->rt, lib, "r", &f->log);
  int32_t h = vt_new(f->rt, lib, t, 7), keep = vt_new(f->rt, lib, t, 8), out;
  assert_virt_ok(f->rt, mb_ht_drop(f->rt, lib, t, h));
  assert_int_equal(f->log.n, 1);
  /* every use of the dropped handle fails the same way, and changes nothing */
  assert_virt(f->rt, mb_ht_drop(f->rt, lib, t, h), MB_VIRT_ERR_DROPPED);
  const mb_virt_diag *d = mb_rt_diag(f->rt);
  assert_int_equal(d->code, MB_VIRT_ERR_DROPPED);
  assert_string_equal(d->op, "resource.drop");
  assert_int_equal(d->inst, lib);
  assert_int_equal(d->type, t);
  assert_int_equal(d->handle, h);
  assert_virt(f->rt, mb_ht_rep(f->rt, lib, t, h, &out), MB_VIRT_ERR_DROPPED);
  assert_string_equal(mb_rt_diag(f->rt)->op, "resource.rep");
  assert_virt(f->rt, mb_ht_dup(f->rt, lib, t, h, &out), MB_VIRT_ERR_DROPPED);
  assert_virt(f->rt, mb_ht_destroy(f->rt, lib, t, h), MB_VIRT_ERR_DROPPED);
  assert_virt(f->rt, mb_ht_move(f->rt, lib, t, h, app, &out), MB_VIRT_ERR_DROPPED);
  mb_ht_info info;
  assert_int_equal(mb_ht_inspect(f->rt, lib, h, &info), MB_VIRT_ERR_DROPPED);
  assert_int_equal(f->log.n, 1); /* destructor exactly once */
  assert_int_equal(vt_rep(f->rt, lib, t, keep), 8);
  assert_int_equal(mb_ht_count(f->rt, app), 0);
}

/* Index 0 is reserved; negative values and indices the table never issued are not
 * handles. None of them may reach a slot. */
static void invalid_handles(void **state) {
  vt_fix *f = *state;
  uint32_t lib = vt_inst(f->rt);
  uint32_t t = vt_type(f->rt, lib, "r", &f->log);
  int32_t out;
  /* an empty table: nothing is a handle, not even 1 */
  const int32_t bad0[] = {0, 1, -1, INT32_MIN, INT32_MAX, 1 << MB_HT_INDEX_BITS};
  for (size_t i = 0; i < sizeof bad0 / sizeof *bad0; i++) {
    assert_virt(f->rt, mb_ht_drop(f->rt, lib, t, bad0[i]), MB_VIRT_ERR_INVALID_HANDLE);
    assert_virt(f->rt, mb_ht_rep(f->rt, lib, t, bad0[i], &out), MB_VIRT_ERR_INVALID_HANDLE);
  }
  int32_t h = vt_new(f->rt, lib, t, 3);
  assert_int_equal(h, 1);
  /* slot 0 with any generation, slots past the high-water mark, bit 31 */
  const int32_t bad[] = {0, -1, INT32_MIN, (int32_t)(1u << MB_HT_INDEX_BITS),
                         (int32_t)(3u << MB_HT_INDEX_BITS), 2, 17, (int32_t)MB_HT_MAX_HANDLES,
                         (int32_t)(0x80000000u | 1u)};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    assert_virt(f->rt, mb_ht_drop(f->rt, lib, t, bad[i]), MB_VIRT_ERR_INVALID_HANDLE);
    assert_virt(f->rt, mb_ht_rep(f->rt, lib, t, bad[i], &out), MB_VIRT_ERR_INVALID_HANDLE);
  }
  /* the right slot with a generation it never had */
  assert_virt(f->rt, mb_ht_rep(f->rt, lib, t, h | (5 << MB_HT_INDEX_BITS), &out),
              MB_VIRT_ERR_DROPPED);
  assert_int_equal(vt_rep(f->rt, lib, t, h), 3);
  assert_int_equal(f->log.n, 0);
}

static void wrong_type_changes_nothing(void **state) {
  vt_fix *f = *state;
  uint32_t lib = vt_inst(f->rt);
  uint32_t ta = vt_type(f->rt, lib, "a", &f->log);
  uint32_t tb = vt_type(f->rt, lib, "b", &f->log);
  int32_t h = vt_new(f->rt, lib, ta, 1), out;
  assert_virt(f->rt, mb_ht_rep(f->rt, lib, tb, h, &out), MB_VIRT_ERR_WRONG_TYPE);
  assert_virt(f->rt, mb_ht_drop(f->rt, lib, tb, h), MB_VIRT_ERR_WRONG_TYPE);
  assert_virt(f->rt, mb_ht_dup(f->rt, lib, tb, h, &out), MB_VIRT_ERR_WRONG_TYPE);
  assert_virt(f->rt, mb_ht_destroy(f->rt, lib, tb, h), MB_VIRT_ERR_WRONG_TYPE);
  assert_virt(f->rt, mb_ht_move(f->rt, lib, tb, h, lib, &out), MB_VIRT_ERR_WRONG_TYPE);
  assert_int_equal(f->log.n, 0);
  assert_int_equal(vt_rep(f->rt, lib, ta, h), 1);
  assert_virt_ok(f->rt, mb_ht_drop(f->rt, lib, ta, h));
  assert_int_equal(f->log.n, 1);
}

static void new_and_rep_only_in_the_definer(void **state) {
  vt_fix *f = *state;
  uint32_t lib = vt_inst(f->rt), app = vt_inst(f->rt);
  uint32_t t = vt_type(f->rt, lib, "r", &f->log);
  int32_t out = 99;
  assert_virt(f->rt, mb_ht_new(f->rt, app, t, 1, &out), MB_VIRT_ERR_NOT_DEFINER);
  assert_int_equal(out, 99);
  assert_int_equal(mb_ht_count(f->rt, app), 0);
  assert_int_equal(mb_rt_resource_count(f->rt), 0);
  int32_t h = vt_new(f->rt, lib, t, 5), a;
  assert_virt_ok(f->rt, mb_ht_move(f->rt, lib, t, h, app, &a));
  /* the app holds the handle but cannot open it */
  assert_virt(f->rt, mb_ht_rep(f->rt, app, t, a, &out), MB_VIRT_ERR_NOT_DEFINER);
  assert_string_equal(mb_rt_diag(f->rt)->op, "resource.rep");
  /* the app may drop it: the destructor runs (in the definer) */
  assert_virt_ok(f->rt, mb_ht_drop(f->rt, app, t, a));
  assert_int_equal(f->log.n, 1);
  assert_int_equal(f->log.ev[0].rep, 5);
}

/* A freed slot is reused, but the old handle to it is caught: the generation moved on. */
static void stale_handle_after_slot_reuse(void **state) {
  vt_fix *f = *state;
  uint32_t lib = vt_inst(f->rt);
  uint32_t t = vt_type(f->rt, lib, "r", &f->log);
  int32_t old = vt_new(f->rt, lib, t, 1), out;
  assert_virt_ok(f->rt, mb_ht_drop(f->rt, lib, t, old));
  int32_t fresh = vt_new(f->rt, lib, t, 2);
  assert_int_equal(fresh & MB_HT_MAX_HANDLES, old & MB_HT_MAX_HANDLES); /* same slot */
  assert_int_not_equal(fresh, old);
  assert_true(fresh > 0);
  assert_virt(f->rt, mb_ht_rep(f->rt, lib, t, old, &out), MB_VIRT_ERR_DROPPED);
  assert_virt(f->rt, mb_ht_drop(f->rt, lib, t, old), MB_VIRT_ERR_DROPPED);
  /* the new resource is untouched by the stale drop */
  assert_int_equal(vt_rep(f->rt, lib, t, fresh), 2);
  assert_int_equal(f->log.n, 1);

  /* The generation has 31 - MB_HT_INDEX_BITS bits: a handle is caught for 31 reuses of
   * its slot, and at the 32nd the same number comes back. Pinned so a change of the
   * encoding is a decision, not an accident; handles stay positive throughout. */
  int32_t h = fresh;
  int reuses = 1;
  for (; reuses < 64; reuses++) {
    assert_virt_ok(f->rt, mb_ht_drop(f->rt, lib, t, h));
    h = vt_new(f->rt, lib, t, reuses);
    assert_true(h > 0);
    if (h == old) break;
    assert_virt(f->rt, mb_ht_rep(f->rt, lib, t, old, &out), MB_VIRT_ERR_DROPPED);
  }
  assert_int_equal(reuses + 1, 1 << (31 - MB_HT_INDEX_BITS));
  assert_virt_ok(f->rt, mb_ht_drop(f->rt, lib, t, h));
}

/* Freed slots are reused oldest first, so a slot waits as long as possible before its
 * generation moves on. */
static void free_slots_are_reused_fifo(void **state) {
  vt_fix *f = *state;
  uint32_t lib = vt_inst(f->rt);
  uint32_t t = vt_type(f->rt, lib, "r", NULL);
  int32_t h[8];
  for (int i = 0; i < 8; i++) h[i] = vt_new(f->rt, lib, t, i);
  const int order[] = {5, 2, 7, 0};
  for (int i = 0; i < 4; i++) assert_virt_ok(f->rt, mb_ht_drop(f->rt, lib, t, h[order[i]]));
  for (int i = 0; i < 4; i++) {
    int32_t n = vt_new(f->rt, lib, t, 100 + i);
    assert_int_equal(n & MB_HT_MAX_HANDLES, h[order[i]] & MB_HT_MAX_HANDLES);
  }
  /* free list empty: the next one extends the table */
  assert_int_equal(vt_new(f->rt, lib, t, 200) & MB_HT_MAX_HANDLES, 9);
}

/* More than 100,000 live handles, all distinct and correct; freed slots are reused
 * without growing the table; everything is dropped with one destructor call each. */
static void over_100000_live_handles(void **state) {
  vt_fix *f = *state;
  enum { N = 150000 };
  uint32_t lib = vt_inst(f->rt), other = vt_inst(f->rt);
  uint32_t t = vt_type(f->rt, lib, "r", &f->log);
  int32_t *h = malloc(N * sizeof *h);
  assert_non_null(h);
  for (int i = 0; i < N; i++) {
    h[i] = vt_new(f->rt, lib, t, i * 3);
    assert_int_equal(h[i], i + 1);
  }
  assert_int_equal(mb_ht_count(f->rt, lib), N);
  assert_int_equal(mb_ht_count(f->rt, other), 0);
  uint32_t cap = mb_ht_capacity(f->rt, lib);
  assert_true(cap > N);
  for (int i = 0; i < N; i++) assert_int_equal(vt_rep(f->rt, lib, t, h[i]), i * 3);

  /* drop every other one, make as many new ones: they take the freed slots */
  for (int i = 0; i < N; i += 2) assert_virt_ok(f->rt, mb_ht_drop(f->rt, lib, t, h[i]));
  assert_int_equal(f->log.n, N / 2);
  assert_int_equal(mb_ht_count(f->rt, lib), N / 2);
  for (int i = 0; i < N; i += 2) {
    int32_t old = h[i];
    h[i] = vt_new(f->rt, lib, t, -i);
    assert_int_equal(h[i] & MB_HT_MAX_HANDLES, old & MB_HT_MAX_HANDLES);
    assert_int_not_equal(h[i], old);
  }
  assert_int_equal(mb_ht_capacity(f->rt, lib), cap);
  assert_int_equal(mb_ht_count(f->rt, lib), N);
  for (int i = 0; i < N; i++)
    assert_int_equal(vt_rep(f->rt, lib, t, h[i]), i % 2 ? i * 3 : -i);

  for (int i = N - 1; i >= 0; i--) assert_virt_ok(f->rt, mb_ht_drop(f->rt, lib, t, h[i]));
  assert_int_equal(f->log.n, N + N / 2);
  assert_int_equal(mb_ht_count(f->rt, lib), 0);
  assert_int_equal(mb_rt_resource_count(f->rt), 0);
  free(h);
}

/* An exhausted table is an error, never a wrap-around: at max_handles live handles the
 * next new fails and changes nothing; a drop makes room again. */
static void exhausted_at_max_handles(void **state) {
  (void)state;
  vt_alloc al = {0};
  enum { MAX = 1000 };
  mb_rt *rt = vt_rt_new(&al, MAX);
  assert_non_null(rt);
  vt_log log = {0};
  uint32_t lib = vt_inst(rt), app = vt_inst(rt);
  uint32_t t = vt_type(rt, lib, "r", &log);
  int32_t h[MAX], out = -5;
  for (int i = 0; i < MAX; i++) h[i] = vt_new(rt, lib, t, i);
  assert_virt(rt, mb_ht_new(rt, lib, t, 7, &out), MB_VIRT_ERR_TABLE_EXHAUSTED);
  assert_int_equal(out, -5);
  assert_string_equal(mb_rt_diag(rt)->op, "resource.new");
  assert_virt(rt, mb_ht_dup(rt, lib, t, h[0], &out), MB_VIRT_ERR_TABLE_EXHAUSTED);
  assert_int_equal(mb_ht_count(rt, lib), MAX);
  assert_int_equal(mb_rt_resource_count(rt), MAX);
  assert_true(mb_ht_capacity(rt, lib) <= MAX + 1);
  /* other tables have their own limit */
  int32_t moved;
  assert_virt_ok(rt, mb_ht_move(rt, lib, t, h[10], app, &moved));
  h[10] = vt_new(rt, lib, t, 10);
  assert_virt(rt, mb_ht_move(rt, app, t, moved, lib, &out), MB_VIRT_ERR_TABLE_EXHAUSTED);
  assert_int_equal(mb_ht_count(rt, app), 1); /* a failed move leaves it where it was */
  assert_virt_ok(rt, mb_ht_drop(rt, app, t, moved));
  /* room again after a drop */
  assert_virt_ok(rt, mb_ht_drop(rt, lib, t, h[500]));
  h[500] = vt_new(rt, lib, t, 500);
  for (int i = 0; i < MAX; i++) {
    assert_true(h[i] > 0);
    assert_int_equal(vt_rep(rt, lib, t, h[i]), i);
  }
  assert_int_equal(mb_rt_teardown(rt, lib), MB_VIRT_OK);
  assert_int_equal(log.n, MAX + 2);
  mb_rt_free(rt);
  assert_int_equal(al.live, 0);

  /* the smallest table: one handle */
  rt = vt_rt_new(&al, 1);
  lib = vt_inst(rt);
  t = vt_type(rt, lib, "r", NULL);
  int32_t one = vt_new(rt, lib, t, 1);
  assert_virt(rt, mb_ht_new(rt, lib, t, 2, &out), MB_VIRT_ERR_TABLE_EXHAUSTED);
  assert_virt_ok(rt, mb_ht_drop(rt, lib, t, one));
  assert_int_not_equal(vt_new(rt, lib, t, 3), one);
  assert_int_equal(mb_ht_capacity(rt, lib), 2);
  mb_rt_free(rt);
  assert_int_equal(al.live, 0);
}

/* The table grows until an allocation fails; then new is an error, the table and every
 * handle in it stay intact, and it grows again once memory is back. */
static void exhausted_when_memory_runs_out(void **state) {
  (void)state;
  vt_alloc al = {0};
  mb_rt *rt = vt_rt_new(&al, 0);
  assert_non_null(rt);
  uint32_t lib = vt_inst(rt);
  uint32_t t = vt_type(rt, lib, "r", NULL);
  enum { N = 5000 };
  static int32_t h[N];
  int made = 0;
  al.fail_at = al.calls + 12; /* a dozen more allocations, then nothing */
  al.fail_all_after = 1;
  for (; made < N; made++) {
    int32_t out = 0;
    mb_virt_err err = mb_ht_new(rt, lib, t, made, &out);
    if (err) {
      assert_int_equal(err, MB_VIRT_ERR_TABLE_EXHAUSTED);
      break;
    }
    h[made] = out;
  }
  assert_true(made > 0 && made < N);
  assert_int_equal(mb_ht_count(rt, lib), (uint32_t)made);
  assert_int_equal(mb_rt_resource_count(rt), (uint32_t)made);
  for (int i = 0; i < made; i++) assert_int_equal(vt_rep(rt, lib, t, h[i]), i);
  /* memory is back */
  al.fail_at = 0;
  al.fail_all_after = 0;
  for (int i = made; i < N; i++) h[i] = vt_new(rt, lib, t, i);
  for (int i = 0; i < N; i++) assert_int_equal(vt_rep(rt, lib, t, h[i]), i);
  mb_rt_free(rt);
  assert_int_equal(al.live, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      VIRT_TEST(new_rep_drop),
      VIRT_TEST(double_drop_and_use_after_drop),
      VIRT_TEST(invalid_handles),
      VIRT_TEST(wrong_type_changes_nothing),
      VIRT_TEST(new_and_rep_only_in_the_definer),
      VIRT_TEST(stale_handle_after_slot_reuse),
      VIRT_TEST(free_slots_are_reused_fifo),
      VIRT_TEST(over_100000_live_handles),
      cmocka_unit_test(exhausted_at_max_handles),
      cmocka_unit_test(exhausted_when_memory_runs_out),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
