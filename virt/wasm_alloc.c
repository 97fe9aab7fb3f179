/* wasm_alloc.c — the glue's allocator, wasm32 build only: power-of-two size classes with
 * one free list each, carved from the top of the heap, which grows with memory.grow.
 * Blocks are never returned to the engine (wasm memory cannot shrink) but are reused by
 * their class. A handle table that doubles leaves its old blocks to later tables of that
 * size: at most as much again as the largest live table, which is what doubling costs
 * with any allocator that cannot grow a block in place. */
#include "internal.h"

#ifndef __wasm__
#error "wasm_alloc.c is only for the wasm32 glue"
#endif

/* Set by wasm-ld: the first byte after the stack and the static data. */
extern unsigned char __heap_base;

enum {
  MIN_SHIFT = 4,  /* the smallest block, header included: 16 bytes */
  NCLASSES = 28,  /* up to 16 << 27 = 2 GiB */
  HDR = 8,        /* keeps payloads 8-byte aligned */
  PAGE = 65536,
};

typedef struct block {
  uint32_t cls;
  uint32_t magic; /* catches a free of something this allocator never handed out */
} block;

#define MAGIC UINT32_C(0x6d62766d) /* "mbvm" */

static uint64_t heap_top, heap_end; /* 64-bit: the end of a full 4 GiB memory is 2^32 */
static void *free_list[NCLASSES];

static uint64_t class_size(uint32_t cls) { return (uint64_t)1 << (cls + MIN_SHIFT); }

static void *take(uint32_t cls) {
  if (free_list[cls]) {
    void *p = free_list[cls];
    free_list[cls] = *(void **)p;
    return p;
  }
  if (!heap_end) {
    heap_top = ((uint64_t)(uintptr_t)&__heap_base + 15) & ~(uint64_t)15;
    heap_end = (uint64_t)__builtin_wasm_memory_size(0) * PAGE;
  }
  uint64_t size = class_size(cls);
  if (heap_end - heap_top < size) {
    uint64_t pages = (size - (heap_end - heap_top) + PAGE - 1) / PAGE;
    if (__builtin_wasm_memory_grow(0, (size_t)pages) == (size_t)-1) return NULL;
    heap_end += pages * PAGE;
  }
  void *p = (void *)(uintptr_t)heap_top;
  heap_top += size;
  return p;
}

static void give(void *p, uint32_t cls) {
  *(void **)p = free_list[cls];
  free_list[cls] = p;
}

void *mb__glue_realloc(void *ptr, size_t size, void *user) {
  (void)user;
  block *old = ptr ? (block *)((unsigned char *)ptr - HDR) : NULL;
  if (old && (old->magic != MAGIC || old->cls >= NCLASSES)) __builtin_trap();
  if (size == 0) {
    if (old) {
      old->magic = 0;
      give(old, old->cls);
    }
    return NULL;
  }
  uint32_t cls = 0;
  while (cls < NCLASSES && class_size(cls) - HDR < size) cls++;
  if (cls == NCLASSES) return NULL;
  if (old && old->cls >= cls) return ptr; /* never shrinks: the block already fits */
  block *b = take(cls);
  if (!b) return NULL;
  b->cls = cls;
  b->magic = MAGIC;
  void *p = (unsigned char *)b + HDR;
  if (old) {
    mb__virt_memcpy(p, ptr, (size_t)(class_size(old->cls) - HDR));
    old->magic = 0;
    give(old, old->cls);
  }
  return p;
}

/* The compiler may still emit calls to these (struct copies, zeroing); with
 * -mbulk-memory the builtins below are single memory.copy / memory.fill instructions. */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);

void *memcpy(void *dst, const void *src, size_t n) {
  __builtin_memcpy(dst, src, n);
  return dst;
}
void *memmove(void *dst, const void *src, size_t n) {
  __builtin_memmove(dst, src, n);
  return dst;
}
void *memset(void *dst, int c, size_t n) {
  __builtin_memset(dst, c, n);
  return dst;
}
