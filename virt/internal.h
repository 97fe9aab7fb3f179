/* internal.h — shared by the virt/ sources; never included outside virt/.
 * Freestanding: only <stddef.h> and <stdint.h>, plus the compiler's memset/memcpy. */
#ifndef MB_VIRT_INTERNAL_H
#define MB_VIRT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "membrane_virt.h"

/* Natively these are libc calls; in the wasm32 build (-mbulk-memory) they become
 * memory.copy / memory.fill, and wasm32_alloc.c defines the functions for any call left. */
#define mb__virt_memcpy __builtin_memcpy
#define mb__virt_memset __builtin_memset

#define MB__HT_INDEX_MASK MB_HT_MAX_HANDLES
#define MB__KEY_BORROW UINT32_C(0x80000000)

enum { MB__FREE = 0, MB__OWN = MB_HT_OWN, MB__BORROW = MB_HT_BORROW };

/* The fused adapters the linker writes update slots, tables, resources, scopes and
 * lenders in the glue's memory directly (linker/fuse_fast.c): their wasm32 layout is
 * written down in membrane_glue_abi.h, and the fast paths there must stay those of glue.c. */

/* One slot of a handle table. 24 bytes (and a scratch word, see mb__ht_scratch).
 * The key makes a lookup one compare: a live own slot's key is its handle (generation
 * and index), a live borrow's is its handle | MB__KEY_BORROW, and a free slot's is
 * ~(the handle it will issue next), whose index bits are never the slot's own index.
 * So key == handle (handle > 0) means "live own, this generation", and
 * (key & ~MB__KEY_BORROW) == handle "live, this generation". */
typedef struct mb__slot {
  uint32_t key;
  uint32_t type;
  uint32_t res;   /* live: the resource record; free: the next free slot (0 = none) */
  uint32_t lends; /* outstanding loans of this handle; 0 in every free slot */
  union {
    uint64_t serial; /* own: its arrival in this table; teardown drops the highest first */
    uint32_t depth;  /* borrow: the depth of its scope + 1 */
  };
} mb__slot;

/* A handle table: slots[0] is never used, so index 0 is never a handle. */
typedef struct mb__ht {
  mb__slot *slots;
  uint32_t cap;       /* slots allocated, slot 0 included */
  uint32_t len;       /* slots[1 .. len-1] have been issued at least once */
  uint32_t free_head; /* FIFO of free slots (0 = empty): a freed slot waits for every */
  uint32_t free_tail; /* slot freed before it, so its generation moves on slowly */
  uint64_t serial;    /* the next own slot's arrival serial (64 bits: never wraps) */
} mb__ht;

static inline int mb__slot_live(const mb__slot *s, uint32_t idx) {
  return (s->key & MB__HT_INDEX_MASK) == idx;
}
static inline uint8_t mb__slot_kind(const mb__slot *s, uint32_t idx) {
  if (!mb__slot_live(s, idx)) return MB__FREE;
  return s->key & MB__KEY_BORROW ? MB__BORROW : MB__OWN;
}

typedef struct mb__inst {
  mb__ht ht;
  uint8_t tearing_down;
} mb__inst;

typedef struct mb__type {
  uint32_t definer;
  uint32_t name_len;
  char *name; /* owned, NUL-terminated */
  mb_virt_dtor dtor;
} mb__type;

/* A resource, shared by every handle that refers to it (own, dup'd own, borrow, null). */
typedef struct mb__res {
  uint32_t type;
  int32_t rep;
  uint32_t refs;  /* handles referring to it; free record: the next free record */
  uint32_t destroyed;
} mb__res;

typedef struct mb__scope {
  uint32_t id;
  uint32_t caller, callee;
  uint32_t borrows;     /* borrow handles of this scope still in the callee's table */
  uint32_t lender_base; /* its lenders are lenders[lender_base .. nlenders-1] */
} mb__scope;

typedef struct mb__lender {
  uint32_t inst;
  uint32_t slot;
} mb__lender;

struct mb_rt {
  mb_virt_realloc_fn realloc;
  void *alloc_user;
  uint32_t max_handles;

  mb__inst *insts;
  uint32_t ninsts, insts_cap;
  mb__type *types;
  uint32_t ntypes, types_cap;

  mb__res *res;      /* res[0] unused */
  uint32_t res_cap, res_len, res_free, res_live;

  mb__scope *scopes;
  uint32_t nscopes, scopes_cap;
  uint32_t scope_serial;
  mb__lender *lenders;
  uint32_t nlenders, lenders_cap;

  mb_virt_diag diag;
};

/* Handle parameters one fused glue entry takes (virt/glue.c, mb_args). */
#define MB_GLUE_ARGS_MAX 16

/* ---- alloc_libc.c (native builds only) ---- */
void *mb__virt_libc_realloc(void *ptr, size_t size, void *user);

/* ---- wasm32 glue only: wasm32_alloc.c's malloc family, and the runtime's hook over it
 * (glue.c) ---- */
void *malloc(size_t n);
void free(void *p);
void *realloc(void *p, size_t n);
void *mb__glue_realloc(void *ptr, size_t size, void *user);

/* ---- rt.c ---- */
void *mb__virt_alloc(mb_rt *rt, void *ptr, size_t size);
void mb__virt_release(mb_rt *rt, void *ptr);
/* Grows *arr (elements of `elem` bytes, *cap of them) to hold at least `need`, doubling;
 * at most `max` elements. 0 or an error (`err` for a failed allocation or over max). */
mb_virt_err mb__virt_grow(mb_rt *rt, void **arr, uint32_t *cap, uint32_t need, size_t elem,
                          uint32_t max, mb_virt_err err);
/* Records the failure in rt->diag and returns code. */
mb_virt_err mb__virt_fail(mb_rt *rt, mb_virt_err code, const char *op, uint32_t inst,
                          uint32_t type, int32_t handle);

/* ---- ht.c ---- */
void mb__ht_fini(mb_rt *rt, mb__ht *t);
/* Finds the live slot of a handle: its index in *slot. INVALID_HANDLE or DROPPED. */
mb_virt_err mb__ht_find(const mb__ht *t, int32_t handle, uint32_t *slot);
/* Makes sure the next mb__ht_publish has a slot, growing the table (t->slots may move).
 * TABLE_EXHAUSTED at rt->max_handles or when memory runs out. */
mb_virt_err mb__ht_reserve(mb_rt *rt, mb__ht *t);
/* Takes a slot (reserved before) and makes it live: kind, type, res, no lends; an own
 * slot gets the next arrival serial (a borrow's caller sets its depth). Returns the
 * handle. (Inline: the hot path of every move.) */
__attribute__((always_inline)) static inline int32_t mb__ht_publish(mb__ht *t, uint8_t kind, uint32_t type, uint32_t res) {
  uint32_t idx, h;
  mb__slot *s;
  if (t->free_head) {
    idx = t->free_head;
    s = &t->slots[idx];
    t->free_head = s->res;
    if (!t->free_head) t->free_tail = 0;
    h = ~s->key; /* lends is already 0 */
  } else {
    idx = t->len++;
    s = &t->slots[idx];
    s->lends = 0;
    h = idx; /* generation 0 */
  }
  s->type = type;
  s->res = res;
  if (kind == MB__OWN) {
    s->key = h;
    s->serial = t->serial++;
  } else {
    s->key = h | MB__KEY_BORROW;
  }
  return (int32_t)h;
}

/* Frees a live slot (its lends are 0): generation bumped, onto the free FIFO. */
__attribute__((always_inline)) static inline void mb__ht_release(mb__ht *t, uint32_t idx) {
  mb__slot *s = &t->slots[idx];
  /* the generation is bits 26..30: adding one there wraps within them */
  uint32_t h = s->key & ~MB__KEY_BORROW;
  uint32_t next = (h + (UINT32_C(1) << MB_HT_INDEX_BITS)) & ~MB__KEY_BORROW;
  s->key = ~next;
  s->res = 0; /* the free FIFO's link, set when the next slot is freed */
  if (t->free_tail)
    t->slots[t->free_tail].res = idx;
  else
    t->free_head = idx;
  t->free_tail = idx;
}

/* Teardown's work list: after the cap slots, the same allocation holds cap scratch
 * words, so teardown needs no memory of its own and cannot fail for the lack of it. */
#define MB__HT_SLOT_BYTES (sizeof(mb__slot) + sizeof(uint32_t))
static inline uint32_t *mb__ht_scratch(const mb__ht *t) {
  return (uint32_t *)(void *)(t->slots + t->cap);
}
/* Rebuilds the work list in the scratch words from its first n entries: keeps, in
 * order, those still live own with a serial below mark, then appends every live own
 * slot with a serial from mark on, sorted by serial. Returns the new length, at most
 * the live own slots. O(n + len + k log k) for k appended. */
uint32_t mb__ht_arrivals(mb__ht *t, uint32_t n, uint64_t mark);

/* ---- resource.c ---- */
/* The live slot of `handle` in inst's table, of type `type`; failures go to rt->diag. */
mb_virt_err mb__res_find(mb_rt *rt, const char *op, uint32_t inst, uint32_t type,
                         int32_t handle, uint32_t *slot);
/* Frees a live slot and settles its resource (may run a destructor: re-read pointers). */
void mb__res_drop_slot(mb_rt *rt, uint32_t inst, uint32_t slot);

#endif
