/* test_virt_destroy.c — [resource-destroy]: the destructor runs now; every other handle
 * to the resource is in the null state, whose use is an error and whose drop frees it. */
#include "test_virt_util.h"

static void destroy_runs_the_destructor_now(void **state) {
  vt_fix *f = *state;
  uint32_t lib = vt_inst(f->rt), app = vt_inst(f->rt);
  uint32_t t = vt_type(f->rt, lib, "r", &f->log);
  int32_t h = vt_new(f->rt, lib, t, 66), a, d;
  assert_virt_ok(f->rt, mb_ht_move(f->rt, lib, t, h, app, &a));
  assert_virt_ok(f->rt, mb_ht_dup(f->rt, app, t, a, &d));
  assert_virt_ok(f->rt, mb_ht_destroy(f->rt, app, t, a));
  assert_int_equal(f->log.n, 1);
  assert_int_equal(f->log.ev[0].rep, 66);
  /* the destroying handle is consumed */
  assert_virt(f->rt, mb_ht_drop(f->rt, app, t, a), MB_VIRT_ERR_DROPPED);
  /* the other one is null */
  mb_ht_info info;
  assert_int_equal(mb_ht_inspect(f->rt, app, d, &info), MB_VIRT_OK);
  assert_true(info.destroyed);
  assert_int_equal(info.rep, 0);
  assert_int_equal(info.refs, 1);
  assert_int_equal(mb_rt_resource_count(f->rt), 1); /* the record waits for the null handle */
  /* its drop just frees it: no second destructor call */
  assert_virt_ok(f->rt, mb_ht_drop(f->rt, app, t, d));
  assert_virt(f->rt, mb_ht_drop(f->rt, app, t, d), MB_VIRT_ERR_DROPPED);
  assert_int_equal(f->log.n, 1);
  assert_int_equal(mb_rt_resource_count(f->rt), 0);
}

/* Use after destroy: rep (in the definer), lend, dup and destroy of a null handle fail
 * with "use of destroyed resource"; a move carries it along, so the failure happens where
 * the callee uses it — the 2021 semantics. */
static void use_after_destroy(void **state) {
  vt_fix *f = *state;
  uint32_t lib = vt_inst(f->rt), app = vt_inst(f->rt), svc = vt_inst(f->rt);
  uint32_t t = vt_type(f->rt, lib, "r", &f->log);
  int32_t h = vt_new(f->rt, lib, t, 12), null_lib, a, out = -4;
  assert_virt_ok(f->rt, mb_ht_dup(f->rt, lib, t, h, &null_lib));
  assert_virt_ok(f->rt, mb_ht_move(f->rt, lib, t, h, app, &a));
  assert_virt_ok(f->rt, mb_ht_destroy(f->rt, app, t, a));
  assert_int_equal(f->log.n, 1);

  assert_virt(f->rt, mb_ht_rep(f->rt, lib, t, null_lib, &out), MB_VIRT_ERR_DESTROYED);
  const mb_virt_diag *dg = mb_rt_diag(f->rt);
  assert_string_equal(dg->op, "resource.rep");
  assert_int_equal(dg->inst, lib);
  assert_int_equal(dg->handle, null_lib);
  assert_virt(f->rt, mb_ht_dup(f->rt, lib, t, null_lib, &out), MB_VIRT_ERR_DESTROYED);
  assert_virt(f->rt, mb_ht_destroy(f->rt, lib, t, null_lib), MB_VIRT_ERR_DESTROYED);
  uint32_t sc;
  assert_virt_ok(f->rt, mb_rt_call_begin(f->rt, lib, svc, &sc));
  assert_virt(f->rt, mb_ht_lend(f->rt, sc, t, null_lib, &out), MB_VIRT_ERR_DESTROYED);
  assert_virt_ok(f->rt, mb_rt_call_end(f->rt, sc));
  assert_int_equal(out, -4);

  /* passed as own<r> to someone and back: still null, and it fails at rep */
  int32_t m, back;
  assert_virt_ok(f->rt, mb_ht_move(f->rt, lib, t, null_lib, svc, &m));
  assert_virt_ok(f->rt, mb_ht_move(f->rt, svc, t, m, lib, &back));
  assert_virt(f->rt, mb_ht_rep(f->rt, lib, t, back, &out), MB_VIRT_ERR_DESTROYED);
  assert_virt_ok(f->rt, mb_ht_drop(f->rt, lib, t, back));
  assert_int_equal(f->log.n, 1);
  assert_int_equal(mb_rt_resource_count(f->rt), 0);
}

/* Destroy is refused while the handle, or any handle to the resource, is lent: a
 * borrower (or the definer, holding the bare rep) is using it. */
static void destroy_while_lent(void **state) {
  vt_fix *f = *state;
  uint32_t lib = vt_inst(f->rt), app = vt_inst(f->rt), svc = vt_inst(f->rt);
  uint32_t t = vt_type(f->rt, lib, "r", &f->log);
  int32_t h = vt_new(f->rt, lib, t, 3), a, d, b, rep;
  assert_virt_ok(f->rt, mb_ht_move(f->rt, lib, t, h, app, &a));
  assert_virt_ok(f->rt, mb_ht_dup(f->rt, app, t, a, &d));
  uint32_t sc;
  assert_virt_ok(f->rt, mb_rt_call_begin(f->rt, app, svc, &sc));
  assert_virt_ok(f->rt, mb_ht_lend(f->rt, sc, t, a, &b));
  assert_virt(f->rt, mb_ht_destroy(f->rt, app, t, a), MB_VIRT_ERR_LENT);
  assert_virt(f->rt, mb_ht_destroy(f->rt, app, t, d), MB_VIRT_ERR_LENT); /* the copy too */
  assert_string_equal(mb_rt_diag(f->rt)->op, "resource.destroy");
  /* the borrower cannot destroy at all */
  assert_virt(f->rt, mb_ht_destroy(f->rt, svc, t, b), MB_VIRT_ERR_NOT_OWN);
  assert_virt_ok(f->rt, mb_ht_drop(f->rt, svc, t, b));
  assert_virt_ok(f->rt, mb_rt_call_end(f->rt, sc));
  /* into the definer as a rep: the same */
  assert_virt_ok(f->rt, mb_rt_call_begin(f->rt, app, lib, &sc));
  assert_virt_ok(f->rt, mb_ht_lend(f->rt, sc, t, d, &rep));
  assert_int_equal(rep, 3);
  assert_virt(f->rt, mb_ht_destroy(f->rt, app, t, a), MB_VIRT_ERR_LENT);
  assert_virt_ok(f->rt, mb_rt_call_end(f->rt, sc));
  assert_int_equal(f->log.n, 0);
  assert_virt_ok(f->rt, mb_ht_destroy(f->rt, app, t, d));
  assert_int_equal(f->log.n, 1);
  assert_virt_ok(f->rt, mb_ht_drop(f->rt, app, t, a));
  assert_int_equal(f->log.n, 1);
}

static void destroy_without_a_destructor(void **state) {
  vt_fix *f = *state;
  uint32_t lib = vt_inst(f->rt);
  uint32_t t = vt_type(f->rt, lib, "plain", NULL);
  int32_t h = vt_new(f->rt, lib, t, 1), out;
  assert_virt_ok(f->rt, mb_ht_destroy(f->rt, lib, t, h));
  assert_virt(f->rt, mb_ht_rep(f->rt, lib, t, h, &out), MB_VIRT_ERR_DROPPED);
  assert_int_equal(mb_rt_resource_count(f->rt), 0);
  assert_int_equal(mb_ht_count(f->rt, lib), 0);
}

/* A destructor run by destroy may call back in: here it destroys a second resource
 * through a handle it keeps, and drops the null copy of its own. */
typedef struct reenter {
  mb_rt *rt;
  uint32_t inst, t;
  int32_t other, own_copy;
  vt_log log;
} reenter;

static void reenter_dtor(void *user, uint32_t type, int32_t rep) {
  reenter *r = user;
  vt_dtor_log(&r->log, type, rep);
  if (rep == 1) {
    assert_virt_ok(r->rt, mb_ht_destroy(r->rt, r->inst, r->t, r->other));
    assert_virt_ok(r->rt, mb_ht_drop(r->rt, r->inst, r->t, r->own_copy));
  }
}

static void destructor_reenters_destroy(void **state) {
  vt_fix *f = *state;
  static reenter r;
  memset(&r, 0, sizeof r);
  r.rt = f->rt;
  r.inst = vt_inst(f->rt);
  mb_virt_dtor d = {reenter_dtor, &r};
  assert_virt_ok(f->rt, mb_rt_type_add(f->rt, r.inst, "r", 1, &d, &r.t));
  int32_t one = vt_new(f->rt, r.inst, r.t, 1);
  r.other = vt_new(f->rt, r.inst, r.t, 2);
  assert_virt_ok(f->rt, mb_ht_dup(f->rt, r.inst, r.t, one, &r.own_copy));
  assert_virt_ok(f->rt, mb_ht_destroy(f->rt, r.inst, r.t, one));
  assert_int_equal(r.log.n, 2);
  assert_int_equal(r.log.ev[0].rep, 1);
  assert_int_equal(r.log.ev[1].rep, 2);
  assert_int_equal(mb_ht_count(f->rt, r.inst), 0);
  assert_int_equal(mb_rt_resource_count(f->rt), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      VIRT_TEST(destroy_runs_the_destructor_now),
      VIRT_TEST(use_after_destroy),
      VIRT_TEST(destroy_while_lent),
      VIRT_TEST(destroy_without_a_destructor),
      VIRT_TEST(destructor_reenters_destroy),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
