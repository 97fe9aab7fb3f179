/* alloc.c — the allocator hook and the byte buffer. */
#include <stdlib.h>
#include <string.h>

#include "vfs_internal.h"

static void *default_realloc(void *ptr, size_t size, void *user) {
  (void)user;
  if (size == 0) {
    free(ptr);
    return NULL;
  }
  return realloc(ptr, size);
}

static mb_vfs_realloc_fn hook = default_realloc;
static void *hook_user;

void mb_vfs_set_allocator(mb_vfs_realloc_fn fn, void *user) {
  hook = fn ? fn : default_realloc;
  hook_user = fn ? user : NULL;
}

void *mb__vfs_realloc(void *ptr, size_t size) {
  if (size == 0) { /* never a free in disguise: callers test for NULL */
    mb__vfs_free(ptr);
    return NULL;
  }
  return hook(ptr, size, hook_user);
}
void *mb__vfs_malloc(size_t size) { return size ? hook(NULL, size, hook_user) : NULL; }
void mb__vfs_free(void *ptr) {
  if (ptr) hook(ptr, 0, hook_user);
}
void *mb__vfs_calloc(size_t n, size_t size) {
  if (size && n > SIZE_MAX / size) return NULL;
  void *p = mb__vfs_malloc(n * size);
  if (p) memset(p, 0, n * size);
  return p;
}

void mb_vfs_buf_init(mb_vfs_buf *b) { memset(b, 0, sizeof *b); }
void mb_vfs_buf_fini(mb_vfs_buf *b) {
  mb__vfs_free(b->data);
  memset(b, 0, sizeof *b);
}

bool mb__vfs_buf_reserve(mb_vfs_buf *b, size_t more) {
  if (b->cap - b->len >= more) return true;
  if (more > SIZE_MAX - b->len) return false;
  size_t need = b->len + more, cap = b->cap ? b->cap : 256;
  while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  uint8_t *p = mb__vfs_realloc(b->data, cap);
  if (!p) return false;
  b->data = p;
  b->cap = cap;
  return true;
}

bool mb__vfs_buf_put(mb_vfs_buf *b, const void *p, size_t n) {
  if (!mb__vfs_buf_reserve(b, n)) return false;
  if (n) memcpy(b->data + b->len, p, n);
  b->len += n;
  return true;
}
