/* store.c — a reactor: a key/value table allocated by its constructor (run by
 * _initialize). Calling it before _initialize would find no table. */
#include <stdint.h>
#include <stdlib.h>

#define EXPORT(name) __attribute__((export_name(name)))
static int32_t *table;
static int32_t size;

__attribute__((constructor)) static void setup(void) {
  size = 64;
  table = calloc((size_t)size, sizeof *table);
}

EXPORT("put") int32_t put(int32_t key, int32_t value) {
  if (!table) return -1000; /* not initialized */
  if (key < 0 || key >= size) return -1;
  int32_t old = table[key];
  table[key] = value;
  return old;
}

EXPORT("get") int32_t get(int32_t key) {
  if (!table) return -1000;
  return key >= 0 && key < size ? table[key] : -1;
}
