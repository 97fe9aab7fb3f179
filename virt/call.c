/* call.c — call scopes, borrow lending, and instance teardown.
 * Calls are synchronous, so scopes form a stack: a borrow handle records the depth of its
 * scope, and a scope's lenders are the top of one shared lender stack. */
#include "internal.h"

static mb_virt_err innermost(mb_rt *rt, const char *op, uint32_t scope, mb__scope **out) {
  if (!rt->nscopes || rt->scopes[rt->nscopes - 1].id != scope || scope == 0)
    return mb__virt_fail(rt, MB_VIRT_ERR_SCOPE, op, 0, 0, 0);
  *out = &rt->scopes[rt->nscopes - 1];
  return MB_VIRT_OK;
}

mb_virt_err mb_rt_call_begin(mb_rt *rt, uint32_t caller, uint32_t callee,
                             uint32_t *out_scope) {
  static const char op[] = "call.begin";
  if (!rt || !out_scope) return MB_VIRT_ERR_INVALID_ARG;
  if (caller >= rt->ninsts)
    return mb__virt_fail(rt, MB_VIRT_ERR_UNKNOWN_INSTANCE, op, caller, 0, 0);
  if (callee >= rt->ninsts)
    return mb__virt_fail(rt, MB_VIRT_ERR_UNKNOWN_INSTANCE, op, callee, 0, 0);
  /* a borrow slot keeps depth + 1 in a uint32_t */
  mb_virt_err err = mb__virt_grow(rt, (void **)&rt->scopes, &rt->scopes_cap, rt->nscopes + 1,
                                  sizeof *rt->scopes, UINT32_MAX - 1, MB_VIRT_ERR_NOMEM);
  if (err) return mb__virt_fail(rt, err, op, caller, 0, 0);
  /* ids only need to differ from the other open scopes' (and from 0) */
  if (++rt->scope_serial == 0) rt->scope_serial = 1;
  mb__scope *sc = &rt->scopes[rt->nscopes++];
  sc->id = rt->scope_serial;
  sc->caller = caller;
  sc->callee = callee;
  sc->borrows = 0;
  sc->lender_base = rt->nlenders;
  *out_scope = sc->id;
  return MB_VIRT_OK;
}

mb_virt_err mb_ht_lend(mb_rt *rt, uint32_t scope, uint32_t type, int32_t handle,
                       int32_t *out) {
  static const char op[] = "resource.lend";
  if (!rt || !out) return MB_VIRT_ERR_INVALID_ARG;
  mb__scope *sc = NULL;
  mb_virt_err err = innermost(rt, op, scope, &sc);
  if (err) return err;
  uint32_t caller = sc->caller, callee = sc->callee;
  uint32_t slot = 0;
  if ((err = mb__res_find(rt, op, caller, type, handle, &slot))) return err;
  uint32_t ri = rt->insts[caller].ht.slots[slot].res;
  if (rt->res[ri].destroyed)
    return mb__virt_fail(rt, MB_VIRT_ERR_DESTROYED, op, caller, type, handle);
  err = mb__virt_grow(rt, (void **)&rt->lenders, &rt->lenders_cap, rt->nlenders + 1,
                      sizeof *rt->lenders, UINT32_MAX, MB_VIRT_ERR_NOMEM);
  if (err) return mb__virt_fail(rt, err, op, caller, type, handle);
  int into_definer = rt->types[type].definer == callee;
  mb__ht *dst = &rt->insts[callee].ht;
  if (!into_definer && (err = mb__ht_reserve(rt, dst)))
    return mb__virt_fail(rt, err, op, callee, type, handle);

  /* everything reserved: commit */
  if (into_definer) {
    *out = rt->res[ri].rep;
  } else {
    int32_t b = mb__ht_publish(dst, MB__BORROW, type, ri);
    dst->slots[(uint32_t)b & MB__HT_INDEX_MASK].depth = rt->nscopes; /* depth + 1 */
    rt->res[ri].refs++;
    sc->borrows++;
    *out = b;
  }
  rt->insts[caller].ht.slots[slot].lends++; /* re-read: caller may be the callee */
  rt->lenders[rt->nlenders].inst = caller;
  rt->lenders[rt->nlenders].slot = slot;
  rt->nlenders++;
  return MB_VIRT_OK;
}

mb_virt_err mb_rt_call_end(mb_rt *rt, uint32_t scope) {
  static const char op[] = "call.end";
  if (!rt) return MB_VIRT_ERR_INVALID_ARG;
  mb__scope *sc = NULL;
  mb_virt_err err = innermost(rt, op, scope, &sc);
  if (err) return err;
  if (sc->borrows) return mb__virt_fail(rt, MB_VIRT_ERR_BORROW_OUTLIVED, op, sc->callee, 0, 0);
  /* a lent slot cannot be dropped, moved or torn down, so every lender is still live */
  for (uint32_t i = sc->lender_base; i < rt->nlenders; i++) {
    rt->insts[rt->lenders[i].inst].ht.slots[rt->lenders[i].slot].lends--;
  }
  rt->nlenders = sc->lender_base;
  rt->nscopes--;
  return MB_VIRT_OK;
}

mb_virt_err mb_rt_teardown(mb_rt *rt, uint32_t inst) {
  static const char op[] = "instance.teardown";
  if (!rt) return MB_VIRT_ERR_INVALID_ARG;
  if (inst >= rt->ninsts) return mb__virt_fail(rt, MB_VIRT_ERR_UNKNOWN_INSTANCE, op, inst, 0, 0);
  if (rt->insts[inst].tearing_down) return MB_VIRT_OK;
  for (uint32_t i = 0; i < rt->nscopes; i++)
    if (rt->scopes[i].caller == inst || rt->scopes[i].callee == inst)
      return mb__virt_fail(rt, MB_VIRT_ERR_BUSY, op, inst, 0, 0);
  rt->insts[inst].tearing_down = 1;
  mb_virt_err err = MB_VIRT_OK;
  /* Newest first: the live own slots sorted by serial (the table's scratch words), taken
   * from the end. A destructor may drop, create or move handles of this instance, or
   * add instances (moving rt->insts), so everything is re-read after each drop. An own
   * slot can only arrive with a new serial: while the table's serial stays at `mark`,
   * every live own slot is one the list had, and an entry whose slot is no longer own
   * is gone. When it moves on, the list is rebuilt: what arrived meanwhile is newer than
   * every entry left, so it goes on top, sorted. (A destructor that makes handles here
   * costs a pass over the table each time; the common teardown sorts once.) */
  uint64_t mark = rt->insts[inst].ht.serial;
  uint32_t n = mb__ht_arrivals(&rt->insts[inst].ht, 0, 0);
  for (;;) {
    mb__ht *t = &rt->insts[inst].ht;
    if (t->serial != mark) {
      n = mb__ht_arrivals(t, n, mark);
      mark = t->serial;
    }
    if (!n) break;
    uint32_t slot = mb__ht_scratch(t)[--n];
    if (mb__slot_kind(&t->slots[slot], slot) != MB__OWN) continue;
    if (t->slots[slot].lends) {
      /* only a destructor that left a call open could have lent it */
      err = mb__virt_fail(rt, MB_VIRT_ERR_BUSY, op, inst, t->slots[slot].type, 0);
      break;
    }
    mb__res_drop_slot(rt, inst, slot);
  }
  rt->insts[inst].tearing_down = 0;
  return err;
}
