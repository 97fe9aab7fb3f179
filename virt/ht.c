/* ht.c — the handle table: slot lookup with generation check, growth, the free FIFO and
 * the arrival-order list teardown walks backwards. */
#include "internal.h"

/* Tables start small: most instances hold a handful of handles. */
enum { HT_INITIAL_CAP = 16 };

void mb__ht_fini(mb_rt *rt, mb__ht *t) {
  mb__virt_release(rt, t->slots);
  mb__virt_memset(t, 0, sizeof *t);
}

mb_virt_err mb__ht_find(const mb__ht *t, int32_t handle, uint32_t *slot) {
  if (handle <= 0) return MB_VIRT_ERR_INVALID_HANDLE;
  uint32_t idx = (uint32_t)handle & MB__HT_INDEX_MASK;
  uint32_t gen = (uint32_t)handle >> MB_HT_INDEX_BITS;
  if (idx == 0 || idx >= t->len) return MB_VIRT_ERR_INVALID_HANDLE;
  const mb__slot *s = &t->slots[idx];
  if (s->kind == MB__FREE || ((uint32_t)s->gen & MB__HT_GEN_MASK) != gen)
    return MB_VIRT_ERR_DROPPED;
  *slot = idx;
  return MB_VIRT_OK;
}

mb_virt_err mb__ht_reserve(mb_rt *rt, mb__ht *t) {
  if (t->free_head || (t->len && t->len < t->cap)) return MB_VIRT_OK;
  /* slot 0 is allocated but never issued: max_handles slots need max_handles + 1 */
  uint32_t need = t->len ? t->len + 1 : 2;
  if (need - 1 > rt->max_handles) return MB_VIRT_ERR_TABLE_EXHAUSTED;
  uint32_t cap = t->cap;
  if (need > cap && cap < HT_INITIAL_CAP) {
    /* the first allocation: straight to the initial size, capped by max_handles */
    cap = rt->max_handles < HT_INITIAL_CAP - 1 ? rt->max_handles + 1 : HT_INITIAL_CAP;
    void *p = mb__virt_alloc(rt, t->slots, (size_t)cap * sizeof(mb__slot));
    if (!p) return MB_VIRT_ERR_TABLE_EXHAUSTED;
    t->slots = p;
    t->cap = cap;
  } else {
    mb_virt_err err = mb__virt_grow(rt, (void **)&t->slots, &t->cap, need, sizeof(mb__slot),
                                    rt->max_handles + 1, MB_VIRT_ERR_TABLE_EXHAUSTED);
    if (err) return err;
  }
  if (!t->len) {
    mb__virt_memset(&t->slots[0], 0, sizeof t->slots[0]);
    t->len = 1;
  }
  return MB_VIRT_OK;
}
