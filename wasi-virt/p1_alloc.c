/* p1_alloc.c — malloc and friends for the wasi-virt reactor (wasm32 only), replacing
 * wasi-libc's dlmalloc: 12 KB of code, a third of the size budget of a fully virtual
 * output. Power-of-two size classes with a free list each, carved from a bump region
 * that grows with memory.grow; a block at the top of the region grows in place, so a
 * file that keeps being appended to (a mem mount's contents) is not copied at every
 * doubling. Memory is never returned to the engine (wasm memories do not shrink).
 * Also memcpy, memmove and memset as single bulk-memory instructions. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef __wasm__
#error "p1_alloc.c is for the wasm32 reactor only"
#endif

extern unsigned char __heap_base; /* wasm-ld: the end of the stack and static data */

enum { MIN_SHIFT = 4, CLASSES = 28, HDR = 16, PAGE = 65536 };

/* 16 bytes, so payloads keep the 16-byte alignment malloc promises (long double). */
typedef struct hdr {
  uint32_t cls;
  uint32_t magic;
  uint64_t pad_;
} hdr;
#define MAGIC UINT32_C(0x7076616d) /* "mavp" */

static uintptr_t top, end; /* the bump region [top, end) */
static void *free_list[CLASSES];

static size_t class_bytes(uint32_t c) { return (size_t)1 << (c + MIN_SHIFT); }

static uint32_t class_for(size_t n) {
  uint32_t c = 0;
  while (c < CLASSES && class_bytes(c) - HDR < n) c++;
  return c;
}

/* Make [top, top + n) available; false when memory cannot grow so far. */
static int reserve(size_t n) {
  if (!top) top = end = ((uintptr_t)&__heap_base + 15) & ~(uintptr_t)15;
  if (end - top >= n) return 1;
  uint64_t need = (uint64_t)top + n - end, pages = (need + PAGE - 1) / PAGE;
  if (__builtin_wasm_memory_grow(0, (size_t)pages) == (size_t)-1) return 0;
  end += (uintptr_t)(pages * PAGE);
  return 1;
}

static hdr *take(uint32_t c) {
  hdr *h = free_list[c];
  if (h) {
    free_list[c] = *(void **)(h + 1);
  } else {
    if (!reserve(class_bytes(c))) return NULL;
    h = (hdr *)top;
    top += class_bytes(c);
  }
  h->cls = c;
  h->magic = MAGIC;
  return h;
}

static hdr *header_of(void *p) {
  hdr *h = (hdr *)p - 1;
  if (h->magic != MAGIC || h->cls >= CLASSES) __builtin_trap(); /* not ours, or freed */
  return h;
}

void *malloc(size_t n) {
  uint32_t c = class_for(n ? n : 1);
  hdr *h = c < CLASSES ? take(c) : NULL;
  return h ? h + 1 : NULL;
}

void free(void *p) {
  if (!p) return;
  hdr *h = header_of(p);
  h->magic = 0;
  *(void **)p = free_list[h->cls];
  free_list[h->cls] = h;
}

void *calloc(size_t n, size_t size) {
  if (size && n > SIZE_MAX / size) return NULL;
  void *p = malloc(n * size);
  if (p) __builtin_memset(p, 0, n * size);
  return p;
}

void *realloc(void *p, size_t n) {
  if (!p) return malloc(n);
  hdr *h = header_of(p);
  uint32_t c = class_for(n ? n : 1);
  if (c >= CLASSES) return NULL;
  if (c <= h->cls) return p;
  uintptr_t block_end = (uintptr_t)h + class_bytes(h->cls);
  if (block_end == top && reserve(class_bytes(c) - class_bytes(h->cls))) {
    top = (uintptr_t)h + class_bytes(c); /* the top block grows in place */
    h->cls = c;
    return p;
  }
  void *q = malloc(n);
  if (!q) return NULL;
  __builtin_memcpy(q, p, class_bytes(h->cls) - HDR);
  free(p);
  return q;
}

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
