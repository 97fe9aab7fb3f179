/* alloc_libc.c — the default allocation hook of native builds (the wasm32 glue brings its
 * own, wasm32_alloc.c, and never compiles this file). */
#include <stdlib.h>

#include "internal.h"

void *mb__virt_libc_realloc(void *ptr, size_t size, void *user) {
  (void)user;
  if (size == 0) {
    free(ptr);
    return NULL;
  }
  return realloc(ptr, size);
}
