/* unwind.c — closing every open call at a process exit, whose calls never return. */
#include "internal.h"

mb_virt_err mb_rt_unwind(mb_rt *rt) {
  if (!rt) return MB_VIRT_ERR_INVALID_ARG;
  while (rt->nscopes) {
    mb__scope *sc = &rt->scopes[rt->nscopes - 1];
    /* the callee's borrow handles of this scope record its depth + 1 */
    for (uint32_t i = 1; sc->borrows && i < rt->insts[sc->callee].ht.len; i++) {
      const mb__slot *s = &rt->insts[sc->callee].ht.slots[i];
      if (mb__slot_kind(s, i) == MB__BORROW && s->depth == rt->nscopes)
        mb__res_drop_slot(rt, sc->callee, i);
    }
    mb_virt_err err = mb_rt_call_end(rt, sc->id);
    if (err) return err;
  }
  return MB_VIRT_OK;
}
