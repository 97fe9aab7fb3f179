/* membrane_alloc.h — the allocator every membrane library takes, and the byte buffer.
 *
 * Header only, shared by linker/wasm, linker/wit, linker/, virt/ and wasi-virt/ (also in
 * wasi-virt's wasm32 reactor, and, types only, in virt's freestanding wasm32 glue).
 * There is no process-wide allocation hook: each object that allocates is given an
 * mb_allocator when it is created (mb_wasm_read, mb_module_new, mb_wit_new, mb_link_new,
 * mb_vfs_new, mb_wv_policy_init, mb_buf_init, mb_rt_new's options, ...), keeps a copy,
 * and frees through it; what an operation allocates for a while comes from the object it
 * works on. NULL, or an allocator whose fn is NULL, is the C library's realloc/free. (Lua's lua_Alloc, uvwasi's uvwasi_mem_t: one function, realloc
 * semantics, so a test can count blocks and fail the N-th request.)
 */
#ifndef MEMBRANE_ALLOC_H
#define MEMBRANE_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* realloc semantics: (NULL, n) allocates, (p, n) resizes, (p, 0) frees p and returns
 * NULL. Returns NULL when out of memory (p then stays valid). */
typedef void *(*mb_realloc_fn)(void *ptr, size_t size, void *user);

/* Small, copied by value into every object created with it. user is passed to fn. */
typedef struct mb_allocator {
  mb_realloc_fn fn; /* NULL: the C library's */
  void *user;
} mb_allocator;

/* The rest needs a C library: a freestanding build (virt's wasm32 glue, which brings its
 * own allocator) gets the two types above only. */
#if __STDC_HOSTED__
#include <stdlib.h>
#include <string.h>

static inline void *mb_libc_realloc(void *ptr, size_t size, void *user) {
  (void)user;
  if (size == 0) {
    free(ptr);
    return NULL;
  }
  return realloc(ptr, size);
}

/* The allocator an object keeps: *a, or the C library's when a (or a->fn) is NULL. */
static inline mb_allocator mb_allocator_of(const mb_allocator *a) {
  mb_allocator r = {mb_libc_realloc, NULL};
  if (a && a->fn) r = *a;
  return r;
}

/* size 0 frees ptr and returns NULL (never a zero-sized block: callers test for NULL). */
static inline void *mb_mem_realloc(const mb_allocator *a, void *ptr, size_t size) {
  if (a && a->fn) return a->fn(ptr, size, a->user);
  return mb_libc_realloc(ptr, size, NULL);
}
/* NULL for size 0. */
static inline void *mb_mem_alloc(const mb_allocator *a, size_t size) {
  return size ? mb_mem_realloc(a, NULL, size) : NULL;
}
/* Zeroed; NULL when n * size overflows. */
static inline void *mb_mem_calloc(const mb_allocator *a, size_t n, size_t size) {
  if (size && n > SIZE_MAX / size) return NULL;
  void *p = mb_mem_alloc(a, n * size);
  if (p) memset(p, 0, n * size);
  return p;
}
/* NULL is a no-op. */
static inline void mb_mem_free(const mb_allocator *a, void *ptr) {
  if (ptr) mb_mem_realloc(a, ptr, 0);
}

/* ---- byte buffer --------------------------------------------------------------------- */

/* A growable byte buffer, caller-owned: _init with an allocator (NULL: libc), then _fini
 * frees data and leaves the buffer empty on the same allocator. A zeroed mb_buf is an
 * empty buffer on the C library's allocator. data is owned by the buffer; a caller that
 * takes it frees it through b->alloc. After a failed allocation `failed` stays set and
 * later appends do nothing, so a writer may append a run of items and check once. */
typedef struct mb_buf {
  uint8_t *data;
  size_t len, cap;
  bool failed;
  mb_allocator alloc;
} mb_buf;

static inline void mb_buf_init(mb_buf *b, const mb_allocator *a) {
  memset(b, 0, sizeof *b);
  b->alloc = mb_allocator_of(a);
}
static inline void mb_buf_fini(mb_buf *b) {
  mb_allocator a = b->alloc;
  mb_mem_free(&a, b->data);
  memset(b, 0, sizeof *b);
  b->alloc = a;
}

/* Room for n more bytes; false (and failed set) when out of memory. */
static inline bool mb_buf_reserve(mb_buf *b, size_t n) {
  if (b->failed) return false;
  if (b->cap - b->len >= n) return true;
  size_t cap = b->cap ? b->cap : 256;
  while (cap - b->len < n) {
    if (cap > SIZE_MAX / 2) {
      b->failed = true;
      return false;
    }
    cap *= 2;
  }
  uint8_t *p = (uint8_t *)mb_mem_realloc(&b->alloc, b->data, cap);
  if (!p) {
    b->failed = true;
    return false;
  }
  b->data = p;
  b->cap = cap;
  return true;
}

static inline bool mb_buf_append(mb_buf *b, const void *p, size_t n) {
  if (!n) return !b->failed;
  if (!mb_buf_reserve(b, n)) return false;
  memcpy(b->data + b->len, p, n);
  b->len += n;
  return true;
}
static inline bool mb_buf_byte(mb_buf *b, uint8_t v) { return mb_buf_append(b, &v, 1); }

#endif /* __STDC_HOSTED__ */

#ifdef __cplusplus
}
#endif
#endif
