/* app.c — a WASI command using the resource `counter` from example:counter/api.
 *
 * Handles are small integers in this instance's own table: meaningless anywhere else,
 * and never the library's addresses. `membrane link` puts an adapter between each call
 * and the library that moves (own) or lends (borrow) them. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMPORT(name) __attribute__((import_module("example:counter/api"), import_name(name)))

typedef int32_t counter; /* a handle */

IMPORT("[constructor]counter") counter counter_new(uint32_t start);
IMPORT("[method]counter.add") void counter_add(counter self, uint32_t n);
IMPORT("[method]counter.get") uint32_t counter_get(counter self);
IMPORT("[static]counter.merge") counter counter_merge(counter a, counter b);
IMPORT("[resource-drop]counter") void counter_drop(counter self);
/* string result: lowered with a return pointer to (pointer, length) */
IMPORT("describe") void counter_describe(counter c, char **ret);

__attribute__((export_name("cabi_realloc")))
void *cabi_realloc(void *old, size_t old_size, size_t align, size_t size) {
  (void)old_size;
  (void)align;
  return realloc(old, size);
}

static void describe(const char *what, counter c) {
  char *ret[2];
  counter_describe(c, ret);
  printf("%s: %.*s\n", what, (int)(uintptr_t)ret[1], ret[0]);
  free(ret[0]);
}

int main(int argc, char **argv) {
  counter a = counter_new(10), b = counter_new(5);
  printf("handles in app's table: a = %d, b = %d\n", (int)a, (int)b);
  counter_add(a, 3);
  printf("a = %u, b = %u\n", counter_get(a), counter_get(b));
  counter c = counter_merge(a, b); /* a is moved into lib and destroyed there */
  printf("merge(a, b) = %u\n", counter_get(c));
  describe("c", c);
  counter_drop(b);
  counter_drop(c);
  counter d = counter_new(99);
  describe("d (left for teardown)", d);
  if (argc > 2 && strcmp(argv[1], "exit") == 0)
    exit(atoi(argv[2])); /* proc_exit: the link tears everything down first, d included */
  if (argc > 1 && strcmp(argv[1], "use-after-drop") == 0) {
    printf("now using a dropped handle...\n");
    fflush(stdout);
    return (int)counter_get(a); /* a was moved into merge: traps */
  }
  return 0;
}
