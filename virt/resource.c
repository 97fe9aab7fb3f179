/* resource.c — resources and the handle operations: new, rep, drop, dup, destroy, move.
 * Every operation checks everything first, reserves the memory it needs, and only then
 * changes state, so a failure leaves nothing half done; a destructor runs last, when the
 * state is consistent again, because it may call back into the runtime. */
#include "internal.h"

/* ---- resource records ---- */

static mb_virt_err res_reserve(mb_rt *rt) {
  if (rt->res_free || (rt->res_len && rt->res_len < rt->res_cap)) return MB_VIRT_OK;
  uint32_t need = rt->res_len ? rt->res_len + 1 : 2; /* record 0 is never used */
  if (need < rt->res_len) return MB_VIRT_ERR_TABLE_EXHAUSTED;
  mb_virt_err err = mb__virt_grow(rt, (void **)&rt->res, &rt->res_cap, need, sizeof *rt->res,
                                  UINT32_MAX, MB_VIRT_ERR_TABLE_EXHAUSTED);
  if (err) return err;
  if (!rt->res_len) rt->res_len = 1;
  return MB_VIRT_OK;
}

/* A record for a new resource, reserved before; one reference. */
static uint32_t res_take(mb_rt *rt, uint32_t type, int32_t rep) {
  uint32_t ri;
  if (rt->res_free) {
    ri = rt->res_free;
    rt->res_free = rt->res[ri].refs;
  } else {
    ri = rt->res_len++;
  }
  mb__res *r = &rt->res[ri];
  r->type = type;
  r->rep = rep;
  r->refs = 1;
  r->destroyed = 0;
  rt->res_live++;
  return ri;
}

static void res_release(mb_rt *rt, uint32_t ri) {
  mb__res *r = &rt->res[ri];
  r->type = 0;
  r->rep = 0;
  r->destroyed = 0;
  r->refs = rt->res_free;
  rt->res_free = ri;
  rt->res_live--;
}

/* Whether any handle to the resource is lent: every loan of every open scope is on the
 * lender stack, and a lender stays live until its scope ends. Only destroy asks, so a
 * walk of the open loans here saves a count kept on every lend. */
static int res_lent(const mb_rt *rt, uint32_t ri) {
  for (uint32_t i = 0; i < rt->nlenders; i++)
    if (rt->insts[rt->lenders[i].inst].ht.slots[rt->lenders[i].slot].res == ri) return 1;
  return 0;
}

static void run_dtor(mb_rt *rt, uint32_t type, int32_t rep) {
  mb_virt_dtor d = rt->types[type].dtor;
  if (d.fn) d.fn(d.user, type, rep);
}

/* Frees a live slot and settles its resource: a borrow leaves its scope; the last handle
 * of a resource releases the record and, unless it was destroyed, runs the destructor. */
void mb__res_drop_slot(mb_rt *rt, uint32_t inst, uint32_t slot) {
  mb__ht *t = &rt->insts[inst].ht;
  mb__slot *s = &t->slots[slot];
  uint32_t ri = s->res;
  if (s->key & MB__KEY_BORROW) rt->scopes[s->depth - 1].borrows--;
  mb__ht_release(t, slot);
  mb__res *r = &rt->res[ri];
  if (--r->refs) return;
  int run = !r->destroyed;
  uint32_t type = r->type;
  int32_t rep = r->rep;
  res_release(rt, ri);
  if (run) run_dtor(rt, type, rep);
}

/* ---- lookups ---- */

static mb_virt_err check_ids(mb_rt *rt, const char *op, uint32_t inst, uint32_t type,
                             int32_t handle) {
  if (inst >= rt->ninsts)
    return mb__virt_fail(rt, MB_VIRT_ERR_UNKNOWN_INSTANCE, op, inst, type, handle);
  if (type >= rt->ntypes)
    return mb__virt_fail(rt, MB_VIRT_ERR_UNKNOWN_TYPE, op, inst, type, handle);
  return MB_VIRT_OK;
}

/* The live slot of `handle` in inst's table, of resource type `type`. */
mb_virt_err mb__res_find(mb_rt *rt, const char *op, uint32_t inst, uint32_t type,
                         int32_t handle, uint32_t *slot) {
  mb_virt_err err = check_ids(rt, op, inst, type, handle);
  if (err) return err;
  const mb__ht *t = &rt->insts[inst].ht;
  err = mb__ht_find(t, handle, slot);
  if (err) return mb__virt_fail(rt, err, op, inst, type, handle);
  if (t->slots[*slot].type != type)
    return mb__virt_fail(rt, MB_VIRT_ERR_WRONG_TYPE, op, inst, type, handle);
  return MB_VIRT_OK;
}

/* ---- operations ---- */

mb_virt_err mb_ht_new(mb_rt *rt, uint32_t inst, uint32_t type, int32_t rep,
                      int32_t *out_handle) {
  static const char op[] = "resource.new";
  if (!rt || !out_handle) return MB_VIRT_ERR_INVALID_ARG;
  mb_virt_err err = check_ids(rt, op, inst, type, 0);
  if (err) return err;
  if (rt->types[type].definer != inst)
    return mb__virt_fail(rt, MB_VIRT_ERR_NOT_DEFINER, op, inst, type, 0);
  mb__ht *t = &rt->insts[inst].ht;
  if ((err = res_reserve(rt)) || (err = mb__ht_reserve(rt, t)))
    return mb__virt_fail(rt, err, op, inst, type, 0);
  uint32_t ri = res_take(rt, type, rep);
  *out_handle = mb__ht_publish(t, MB__OWN, type, ri);
  return MB_VIRT_OK;
}

mb_virt_err mb_ht_rep(mb_rt *rt, uint32_t inst, uint32_t type, int32_t handle,
                      int32_t *out_rep) {
  static const char op[] = "resource.rep";
  if (!rt || !out_rep) return MB_VIRT_ERR_INVALID_ARG;
  mb_virt_err err = check_ids(rt, op, inst, type, handle);
  if (err) return err;
  if (rt->types[type].definer != inst)
    return mb__virt_fail(rt, MB_VIRT_ERR_NOT_DEFINER, op, inst, type, handle);
  uint32_t slot = 0;
  if ((err = mb__res_find(rt, op, inst, type, handle, &slot))) return err;
  const mb__res *r = &rt->res[rt->insts[inst].ht.slots[slot].res];
  if (r->destroyed) return mb__virt_fail(rt, MB_VIRT_ERR_DESTROYED, op, inst, type, handle);
  *out_rep = r->rep;
  return MB_VIRT_OK;
}

mb_virt_err mb_ht_drop(mb_rt *rt, uint32_t inst, uint32_t type, int32_t handle) {
  static const char op[] = "resource.drop";
  if (!rt) return MB_VIRT_ERR_INVALID_ARG;
  uint32_t slot = 0;
  mb_virt_err err = mb__res_find(rt, op, inst, type, handle, &slot);
  if (err) return err;
  if (rt->insts[inst].ht.slots[slot].lends)
    return mb__virt_fail(rt, MB_VIRT_ERR_LENT, op, inst, type, handle);
  mb__res_drop_slot(rt, inst, slot);
  return MB_VIRT_OK;
}

mb_virt_err mb_ht_dup(mb_rt *rt, uint32_t inst, uint32_t type, int32_t handle,
                      int32_t *out_handle) {
  static const char op[] = "resource.dup";
  if (!rt || !out_handle) return MB_VIRT_ERR_INVALID_ARG;
  uint32_t slot = 0;
  mb_virt_err err = mb__res_find(rt, op, inst, type, handle, &slot);
  if (err) return err;
  mb__ht *t = &rt->insts[inst].ht;
  if (t->slots[slot].key & MB__KEY_BORROW)
    return mb__virt_fail(rt, MB_VIRT_ERR_NOT_OWN, op, inst, type, handle);
  uint32_t ri = t->slots[slot].res;
  if (rt->res[ri].destroyed)
    return mb__virt_fail(rt, MB_VIRT_ERR_DESTROYED, op, inst, type, handle);
  if ((err = mb__ht_reserve(rt, t))) return mb__virt_fail(rt, err, op, inst, type, handle);
  rt->res[ri].refs++;
  *out_handle = mb__ht_publish(t, MB__OWN, type, ri);
  return MB_VIRT_OK;
}

mb_virt_err mb_ht_destroy(mb_rt *rt, uint32_t inst, uint32_t type, int32_t handle) {
  static const char op[] = "resource.destroy";
  if (!rt) return MB_VIRT_ERR_INVALID_ARG;
  uint32_t slot = 0;
  mb_virt_err err = mb__res_find(rt, op, inst, type, handle, &slot);
  if (err) return err;
  mb__ht *t = &rt->insts[inst].ht;
  const mb__slot *s = &t->slots[slot];
  if (s->key & MB__KEY_BORROW) return mb__virt_fail(rt, MB_VIRT_ERR_NOT_OWN, op, inst, type, handle);
  uint32_t ri = s->res;
  mb__res *r = &rt->res[ri];
  if (r->destroyed) return mb__virt_fail(rt, MB_VIRT_ERR_DESTROYED, op, inst, type, handle);
  if (s->lends || res_lent(rt, ri))
    return mb__virt_fail(rt, MB_VIRT_ERR_LENT, op, inst, type, handle);
  int32_t rep = r->rep;
  mb__ht_release(t, slot);
  r->destroyed = 1;
  r->rep = 0;
  if (--r->refs == 0) res_release(rt, ri);
  run_dtor(rt, type, rep);
  return MB_VIRT_OK;
}

mb_virt_err mb_ht_move(mb_rt *rt, uint32_t from, uint32_t type, int32_t handle, uint32_t to,
                       int32_t *out_handle) {
  static const char op[] = "resource.move";
  if (!rt || !out_handle) return MB_VIRT_ERR_INVALID_ARG;
  if (to >= rt->ninsts) return mb__virt_fail(rt, MB_VIRT_ERR_UNKNOWN_INSTANCE, op, to, type, 0);
  uint32_t slot = 0;
  mb_virt_err err = mb__res_find(rt, op, from, type, handle, &slot);
  if (err) return err;
  const mb__slot *s = &rt->insts[from].ht.slots[slot];
  if (s->key & MB__KEY_BORROW) return mb__virt_fail(rt, MB_VIRT_ERR_NOT_OWN, op, from, type, handle);
  if (s->lends) return mb__virt_fail(rt, MB_VIRT_ERR_LENT, op, from, type, handle);
  mb__ht *dst = &rt->insts[to].ht;
  if ((err = mb__ht_reserve(rt, dst))) return mb__virt_fail(rt, err, op, to, type, handle);
  mb__ht *src = &rt->insts[from].ht; /* when from == to the slots may have moved */
  uint32_t ri = src->slots[slot].res;
  mb__ht_release(src, slot);
  *out_handle = mb__ht_publish(dst, MB__OWN, type, ri);
  return MB_VIRT_OK;
}

/* ---- inspection ---- */

mb_virt_err mb_ht_inspect(const mb_rt *rt, uint32_t inst, int32_t handle, mb_ht_info *out) {
  if (!rt || !out) return MB_VIRT_ERR_INVALID_ARG;
  if (inst >= rt->ninsts) return MB_VIRT_ERR_UNKNOWN_INSTANCE;
  const mb__ht *t = &rt->insts[inst].ht;
  uint32_t slot = 0;
  mb_virt_err err = mb__ht_find(t, handle, &slot);
  if (err) return err;
  const mb__slot *s = &t->slots[slot];
  const mb__res *r = &rt->res[s->res];
  out->kind = (mb_ht_kind)mb__slot_kind(s, slot);
  out->type = s->type;
  out->rep = r->destroyed ? 0 : r->rep;
  out->lends = s->lends;
  out->refs = r->refs;
  out->destroyed = r->destroyed != 0;
  return MB_VIRT_OK;
}

/* Counted when asked, not kept on every move: it is for inspection, not the hot path. */
uint32_t mb_ht_count(const mb_rt *rt, uint32_t inst) {
  if (!rt || inst >= rt->ninsts) return 0;
  const mb__ht *t = &rt->insts[inst].ht;
  uint32_t n = 0;
  for (uint32_t i = 1; i < t->len; i++) n += mb__slot_live(&t->slots[i], i);
  return n;
}

uint32_t mb_ht_capacity(const mb_rt *rt, uint32_t inst) {
  return rt && inst < rt->ninsts ? rt->insts[inst].ht.cap : 0;
}

uint32_t mb_rt_resource_count(const mb_rt *rt) { return rt ? rt->res_live : 0; }
