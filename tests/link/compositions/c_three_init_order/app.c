/* app.c — a WASI command using both reactors. */
#include <inttypes.h>
#include <stdio.h>

#define IMPORT(mod, name) __attribute__((import_module(mod), import_name(name)))
IMPORT("store", "put") int32_t put(int32_t key, int32_t value);
IMPORT("store", "get") int32_t get(int32_t key);
IMPORT("fmt", "seeded") int32_t seeded(void);
IMPORT("fmt", "render") uint32_t render(int32_t n);

int main(void) {
  printf("fmt seeded %" PRId32 " from store's constructor-made table\n", seeded());
  printf("put 5 -> old %" PRId32 "\n", put(5, -12345));
  printf("render(12) = %" PRIu32 "\n", render(12));
  printf("get(5) = %" PRId32 ", get(99) = %" PRId32 "\n", get(5), get(99));
  return get(3) == 33 ? 0 : 1;
}
