/* prog.c — an ordinary WASI command, linked alone: the output must be a faithful copy
 * (same imports, same exports, same behaviour). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static unsigned long fnv(const char *s) {
  unsigned long h = 2166136261u;
  while (*s) h = (h ^ (unsigned char)*s++) * 16777619u;
  return h;
}

int main(int argc, char **argv) {
  const char *words[] = {"pear", "apple", "fig", "kiwi", "banana", "cherry", "date"};
  size_t n = sizeof words / sizeof *words;
  qsort(words, n, sizeof *words, cmp);
  unsigned long h = 0;
  for (size_t i = 0; i < n; i++) {
    printf("%zu %s %lx\n", i, words[i], fnv(words[i]));
    h ^= fnv(words[i]);
  }
  double x = 1.0;
  for (int i = 0; i < 20; i++) x = x * 1.5 - 0.25;
  printf("x = %.6f\n", x);
  for (int i = 1; i < argc; i++) printf("arg %s\n", argv[i]);
  char *buf = malloc(100000);
  memset(buf, 'z', 100000);
  printf("heap ok %d\n", buf[99999] == 'z');
  fflush(stdout);
  fprintf(stderr, "exiting with %lu\n", h % 100);
  exit((int)(h % 100));
}
