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

int32_t mb__ht_publish(mb__ht *t, uint8_t kind, uint32_t type, uint32_t res) {
  uint32_t idx;
  uint16_t gen;
  if (t->free_head) {
    idx = t->free_head;
    t->free_head = t->slots[idx].res;
    if (!t->free_head) t->free_tail = 0;
    gen = t->slots[idx].gen;
  } else {
    idx = t->len++;
    gen = 0;
  }
  mb__slot *s = &t->slots[idx];
  s->gen = gen;
  s->kind = kind;
  s->pad = 0;
  s->type = type;
  s->res = res;
  s->lends = 0;
  s->prev = 0;
  s->next = 0;
  if (kind == MB__OWN) {
    s->prev = t->last;
    if (t->last)
      t->slots[t->last].next = idx;
    else
      t->first = idx;
    t->last = idx;
  }
  t->count++;
  return (int32_t)(((uint32_t)gen & MB__HT_GEN_MASK) << MB_HT_INDEX_BITS | idx);
}

void mb__ht_release(mb__ht *t, uint32_t idx) {
  mb__slot *s = &t->slots[idx];
  if (s->kind == MB__OWN) {
    if (s->prev)
      t->slots[s->prev].next = s->next;
    else
      t->first = s->next;
    if (s->next)
      t->slots[s->next].prev = s->prev;
    else
      t->last = s->prev;
  }
  s->kind = MB__FREE;
  s->gen++; /* wraps at 2^16; only the low bits are compared anyway */
  s->type = 0;
  s->lends = 0;
  s->prev = 0;
  s->next = 0;
  s->res = 0;
  if (t->free_tail)
    t->slots[t->free_tail].res = idx;
  else
    t->free_head = idx;
  t->free_tail = idx;
  t->count--;
}
