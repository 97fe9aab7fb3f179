/* test_virt_alloc.c — allocation failure sweep: a scenario that uses every operation is
 * run with the N-th allocation failing, for every N until it runs clean, and with every
 * allocation from the N-th on failing. Each failure must be a clean error (out of memory
 * or table exhausted) that changed nothing; retried once memory is back, the operation
 * must succeed, and the run must end exactly like the run without failures. No leaks. */
#include "test_virt_util.h"

typedef struct snap {
  uint32_t count[4];
  uint32_t resources;
  size_t dtors;
} snap;

typedef struct run {
  vt_alloc al;
  mb_rt *rt;
  vt_log log;
  int single;   /* only one allocation fails: retry after a failure */
  int failures; /* operations that failed (then were retried, when single) */
  int stopped;  /* fail_all_after: the scenario stopped at a failure */
  long base;    /* allocations made by mb_rt_new, before the scenario */
} run;

static snap take_snap(run *r) {
  snap s;
  memset(&s, 0, sizeof s);
  for (uint32_t i = 0; i < 4; i++) s.count[i] = mb_ht_count(r->rt, i);
  s.resources = mb_rt_resource_count(r->rt);
  s.dtors = r->log.n;
  return s;
}

/* Runs one operation: on an allocation failure checks nothing changed, then retries it
 * (single failure) or stops the scenario (returns from it). */
#define STEP(r, expr)                                                                       \
  do {                                                                                      \
    if ((r)->stopped) return;                                                               \
    snap before_ = take_snap(r);                                                            \
    mb_virt_err err_ = (expr);                                                              \
    if (err_ != MB_VIRT_OK) {                                                               \
      if (err_ != MB_VIRT_ERR_NOMEM && err_ != MB_VIRT_ERR_TABLE_EXHAUSTED)                 \
        print_message("%s: %s\n", #expr, mb_virt_err_message(err_));                       \
      assert_true(err_ == MB_VIRT_ERR_NOMEM || err_ == MB_VIRT_ERR_TABLE_EXHAUSTED);        \
      snap after_ = take_snap(r);                                                           \
      assert_memory_equal(&before_, &after_, sizeof before_);                               \
      (r)->failures++;                                                                      \
      if (!(r)->single) {                                                                   \
        (r)->stopped = 1;                                                                   \
        return;                                                                             \
      }                                                                                     \
      assert_virt_ok((r)->rt, (expr));                                                      \
    }                                                                                       \
  } while (0)

enum { N = 200 }; /* handles: enough to grow the tables and the pool several times */

static void scenario(run *r) {
  mb_rt *rt = r->rt;
  uint32_t lib = 0, app = 0, svc = 0, lib2 = 0, t = 0, u = 0, t2 = 0, sc = 0, sc2 = 0;
  mb_virt_dtor d = {vt_dtor_log, &r->log};
  int32_t h[N], a[N], b = 0, b2 = 0, rep = 0, dup = 0, x = 0;
  STEP(r, mb_rt_instance_add(rt, &lib));
  STEP(r, mb_rt_instance_add(rt, &app));
  STEP(r, mb_rt_instance_add(rt, &svc));
  STEP(r, mb_rt_instance_add(rt, &lib2));
  STEP(r, mb_rt_type_add(rt, lib, "counter", 7, &d, &t));
  STEP(r, mb_rt_type_add(rt, lib, "blob", 4, &d, &u));
  STEP(r, mb_rt_type_add(rt, lib2, "counter", 7, &d, &t2));
  for (int i = 0; i < N; i++) STEP(r, mb_ht_new(rt, lib, i % 2 ? t : u, i, &h[i]));
  for (int i = 0; i < N; i++) STEP(r, mb_ht_move(rt, lib, i % 2 ? t : u, h[i], app, &a[i]));
  STEP(r, mb_ht_dup(rt, app, t, a[1], &dup));
  STEP(r, mb_ht_move(rt, app, t, dup, svc, &dup));
  /* calls: a borrow into svc, one passed on into the definer, nested */
  STEP(r, mb_rt_call_begin(rt, app, svc, &sc));
  for (int i = 1; i < 20; i += 2) STEP(r, mb_ht_lend(rt, sc, t, a[i], &b));
  STEP(r, mb_rt_call_begin(rt, svc, lib, &sc2));
  STEP(r, mb_ht_lend(rt, sc2, t, b, &rep));
  STEP(r, mb_rt_call_end(rt, sc2));
  /* drop the ten borrows: handles 1..10 of svc's table are its dup and the borrows */
  for (int i = 0; i < 40; i++) {
    mb_ht_info info;
    int32_t hh = (int32_t)i + 1;
    if (mb_ht_inspect(rt, svc, hh, &info) == MB_VIRT_OK && info.kind == MB_HT_BORROW)
      STEP(r, mb_ht_drop(rt, svc, t, hh));
  }
  STEP(r, mb_rt_call_end(rt, sc));
  STEP(r, mb_rt_call_begin(rt, app, app, &sc));
  STEP(r, mb_ht_lend(rt, sc, u, a[0], &b2));
  STEP(r, mb_ht_drop(rt, app, u, b2));
  STEP(r, mb_rt_call_end(rt, sc));
  /* destroy, drops, and a second definer's type */
  STEP(r, mb_ht_destroy(rt, app, t, a[1]));
  for (int i = 2; i < N; i += 3) STEP(r, mb_ht_drop(rt, app, i % 2 ? t : u, a[i]));
  STEP(r, mb_ht_new(rt, lib2, t2, 99, &x));
  STEP(r, mb_ht_move(rt, lib2, t2, x, app, &x));
  for (int i = 0; i < 10; i++) STEP(r, mb_ht_new(rt, lib, t, 200 + i, &h[i]));
  /* everyone goes away */
  STEP(r, mb_rt_teardown(rt, app));
  STEP(r, mb_rt_teardown(rt, svc));
  STEP(r, mb_rt_teardown(rt, lib));
}

static void run_one(run *r, long fail_at, int fail_all_after) {
  memset(r, 0, sizeof *r);
  r->single = !fail_all_after;
  r->rt = vt_rt_new(&r->al, 0);
  assert_non_null(r->rt);
  r->base = r->al.calls;
  r->al.fail_at = fail_at ? r->base + fail_at : 0;
  r->al.fail_all_after = fail_all_after;
  scenario(r);
  /* lift the failures so mb_rt_free's bookkeeping is not in the way */
  r->al.fail_at = 0;
}

static void allocation_failure_sweep(void **state) {
  (void)state;
  static run ref, r;
  run_one(&ref, 0, 0);
  long total = ref.al.calls - ref.base; /* the scenario's allocations */
  size_t ref_dtors = ref.log.n;
  snap ref_end = take_snap(&ref);
  assert_int_equal(ref.failures, 0);
  print_message("the scenario makes %ld allocations\n", total);
  assert_true(total > 25);
  assert_int_equal(ref_dtors, N + 1 + 10);
  mb_rt_free(ref.rt);
  assert_int_equal(ref.al.live, 0);

  long single_fails = 0, stops = 0;
  for (long n = 1; n <= total + 1; n++) {
    /* the n-th allocation fails, then memory is back */
    run_one(&r, n, 0);
    if (n <= total) assert_int_equal(r.al.failed, 1);
    single_fails += r.failures;
    snap end = take_snap(&r);
    assert_memory_equal(&end, &ref_end, sizeof end);
    assert_int_equal(r.log.n, ref_dtors);
    assert_memory_equal(r.log.ev, ref.log.ev, ref_dtors * sizeof(vt_event));
    mb_rt_free(r.rt);
    assert_int_equal(r.al.live, 0);

    /* from the n-th on, nothing: the scenario stops at the first failure */
    run_one(&r, n, 1);
    stops += r.stopped;
    mb_rt_free(r.rt);
    assert_int_equal(r.al.live, 0);
  }
  /* every allocation of the scenario was failed once, and each was seen as an error */
  assert_int_equal(single_fails, total);
  assert_int_equal(stops, total);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(allocation_failure_sweep),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
