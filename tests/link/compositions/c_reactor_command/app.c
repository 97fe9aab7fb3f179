/* app.c — a WASI command that uses the library instance through imports. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FROM_LIB(name) __attribute__((import_module("lib"), import_name(name)))
FROM_LIB("push") int push(int32_t v);
FROM_LIB("pop") int32_t pop(void);
FROM_LIB("sum") int64_t sum(void);
FROM_LIB("intern") int intern(uint32_t n);
FROM_LIB("heap_top") uintptr_t lib_heap_top(void);
FROM_LIB("initialized") unsigned lib_initialized(void);
FROM_LIB("names") int name_count(void);

int main(int argc, char **argv) {
  printf("lib initialized: %#x\n", lib_initialized());
  for (int32_t i = 1; i <= 100; i++) push(i * i - 50);
  printf("sum of 100 values: %" PRId64 "\n", sum());
  int32_t top = pop(), next = pop();
  printf("popped %" PRId32 " %" PRId32 ", sum now %" PRId64 "\n", top, next, sum());
  int fresh = 0, again = 0;
  for (uint32_t n = 0; n < 500; n++) {
    int r = intern(n * 7 % 300);
    if (r > 0) fresh++; else again++;
  }
  printf("interned %d fresh and %d repeated names; lib holds %d\n", fresh, again, name_count());
  /* app's own heap, in its own memory */
  char *mine = malloc(64);
  strcpy(mine, "app heap");
  printf("%s; lib's heap pointer %s app's\n", mine,
         lib_heap_top() == (uintptr_t)mine ? "equals" : "differs from");
  for (int i = 0; i < argc; i++) printf("argv[%d] = %s\n", i, argv[i]);
  const char *v = getenv("LINK_TEST");
  printf("LINK_TEST=%s\n", v ? v : "(unset)");
  fprintf(stderr, "to stderr\n");
  return (int)(sum() % 7) + 3;
}
