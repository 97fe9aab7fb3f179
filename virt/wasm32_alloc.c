/* wasm32_alloc.c — the one allocator of membrane's wasm32 modules: the resource ABI glue
 * (virt/glue_unity.c includes it) and the wasi-virt reactor (linked in place of
 * wasi-libc's dlmalloc: 12 KB of code, a third of the size budget of a fully virtual
 * output). wasm32 builds only.
 *
 * Power-of-two size classes with a free list each, carved from a bump region that grows
 * with memory.grow. Memory is never returned to the engine (wasm memories do not shrink),
 * but a freed block is reused by its class. The block at the top of the region grows in
 * place, so a buffer that keeps being appended to (a mem mount's file, a handle table
 * that doubles) is not copied at every doubling. Also memcpy, memmove and memset as
 * single bulk-memory instructions, for the calls the compiler still emits. */
#include <stddef.h>
#include <stdint.h>

#ifndef __wasm__
#error "wasm32_alloc.c is for membrane's wasm32 modules only"
#endif

void *malloc(size_t n);
void free(void *p);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);

extern unsigned char __heap_base; /* wasm-ld: the end of the stack and static data */

enum {
  MIN_SHIFT = 4, /* the smallest block, header included: 16 bytes */
  CLASSES = 28,  /* up to 16 << 27 = 2 GiB */
  PAGE = 65536,
};

/* 16 bytes, so payloads keep the 16-byte alignment malloc promises (long double). */
typedef struct hdr {
  uint32_t cls;
  uint32_t magic; /* catches a free of something this allocator never handed out */
  uint64_t pad_;
} hdr;
#define MAGIC UINT32_C(0x6d627761) /* "mbwa" */

/* The bump region [top, end): 64-bit, because the end of a full 4 GiB memory is 2^32. */
static uint64_t top, end;
static hdr *free_list[CLASSES];

static uint64_t class_bytes(uint32_t c) { return (uint64_t)1 << (c + MIN_SHIFT); }

static uint32_t class_for(size_t n) {
  uint32_t c = 0;
  while (c < CLASSES && class_bytes(c) - sizeof(hdr) < n) c++;
  return c;
}

/* Make [top, top + n) available; 0 when memory cannot grow so far. The region starts at
 * the heap base and first uses the pages the module was instantiated with. */
static int reserve(uint64_t n) {
  if (!end) {
    top = ((uint64_t)(uintptr_t)&__heap_base + 15) & ~(uint64_t)15;
    end = (uint64_t)__builtin_wasm_memory_size(0) * PAGE;
    if (end < top) end = top;
  }
  if (end - top >= n) return 1;
  uint64_t pages = (n - (end - top) + PAGE - 1) / PAGE;
  if (__builtin_wasm_memory_grow(0, (size_t)pages) == (size_t)-1) return 0;
  end += pages * PAGE;
  return 1;
}

static hdr *take(uint32_t c) {
  hdr *h = free_list[c];
  if (h) {
    free_list[c] = *(hdr **)(h + 1);
  } else {
    if (!reserve(class_bytes(c))) return NULL;
    h = (hdr *)(uintptr_t)top;
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
  *(hdr **)p = free_list[h->cls];
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
  if (c <= h->cls) return p; /* never shrinks: the block already fits */
  uint64_t block_end = (uint64_t)(uintptr_t)h + class_bytes(h->cls);
  if (block_end == top && reserve(class_bytes(c) - class_bytes(h->cls))) {
    top = (uint64_t)(uintptr_t)h + class_bytes(c); /* the top block grows in place */
    h->cls = c;
    return p;
  }
  void *q = malloc(n);
  if (!q) return NULL;
  __builtin_memcpy(q, p, (size_t)(class_bytes(h->cls) - sizeof(hdr)));
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
