/* ht.c — the handle table: slot lookup with generation check, growth, and the arrival
 * order teardown goes by (slots sorted by serial when it starts, not a list kept on
 * every move). */
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
  if (!mb__slot_live(s, idx) || ((s->key & ~MB__KEY_BORROW) >> MB_HT_INDEX_BITS) != gen)
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
    void *p = mb__virt_alloc(rt, t->slots, (size_t)cap * MB__HT_SLOT_BYTES);
    if (!p) return MB_VIRT_ERR_TABLE_EXHAUSTED;
    t->slots = p;
    t->cap = cap;
  } else {
    uint32_t old = t->cap;
    mb_virt_err err = mb__virt_grow(rt, (void **)&t->slots, &t->cap, need, MB__HT_SLOT_BYTES,
                                    rt->max_handles + 1, MB_VIRT_ERR_TABLE_EXHAUSTED);
    if (err) return err;
    /* the scratch words follow the slots: move them up (a teardown may be using them) */
    __builtin_memmove(mb__ht_scratch(t), t->slots + old, (size_t)old * sizeof(uint32_t));
  }
  if (!t->len) {
    mb__virt_memset(&t->slots[0], 0, sizeof t->slots[0]);
    t->slots[0].key = UINT32_MAX; /* never live, never equal to a handle */
    t->len = 1;
  }
  return MB_VIRT_OK;
}

/* Heapsort of slot indices by serial: O(n log n) with no recursion and no memory (the
 * wasm32 glue has no qsort). */
static void sift(const mb__slot *sl, uint32_t *a, uint32_t root, uint32_t n) {
  for (;;) {
    uint32_t c = 2 * root + 1;
    if (c >= n) return;
    if (c + 1 < n && sl[a[c + 1]].serial > sl[a[c]].serial) c++;
    if (sl[a[root]].serial >= sl[a[c]].serial) return;
    uint32_t x = a[root];
    a[root] = a[c];
    a[c] = x;
    root = c;
  }
}

uint32_t mb__ht_arrivals(mb__ht *t, uint32_t n, uint64_t mark) {
  if (!t->len) return 0; /* nothing allocated yet */
  uint32_t *a = mb__ht_scratch(t), keep = 0;
  for (uint32_t i = 0; i < n; i++)
    if (mb__slot_kind(&t->slots[a[i]], a[i]) == MB__OWN && t->slots[a[i]].serial < mark)
      a[keep++] = a[i];
  uint32_t base = keep;
  for (uint32_t i = 1; i < t->len; i++)
    if (mb__slot_kind(&t->slots[i], i) == MB__OWN && t->slots[i].serial >= mark) a[keep++] = i;
  uint32_t *seg = a + base, m = keep - base;
  for (uint32_t i = m / 2; i-- > 0;) sift(t->slots, seg, i, m);
  for (uint32_t end = m; end > 1;) {
    end--;
    uint32_t x = seg[0];
    seg[0] = seg[end];
    seg[end] = x;
    sift(t->slots, seg, 0, end);
  }
  return keep;
}
