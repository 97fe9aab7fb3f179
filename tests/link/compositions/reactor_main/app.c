/* app.c — the main instance is a WASI reactor too: the output is a reactor whose
 * generated _initialize runs lib's _initialize, then app's. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

__attribute__((import_module("lib"), import_name("square"))) int32_t square(int32_t i);

static int32_t *cache;
__attribute__((constructor)) static void setup(void) {
  cache = malloc(10 * sizeof *cache);
  for (int i = 0; i < 10; i++) cache[i] = square(i) + 1;
}

__attribute__((export_name("run"))) int32_t run(int32_t n) {
  int32_t s = 0;
  for (int32_t i = 0; i < n && i < 10; i++) s += cache[i];
  printf("run(%d) = %d, square(%d) = %d\n", n, s, n * 3, square(n * 3));
  fflush(stdout);
  return s;
}
