/* lib.c — a reactor library with its own memory and malloc: a growable stack of
 * integers and a string interner whose bytes stay in this instance's memory. The
 * application sees only numbers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT(name) __attribute__((export_name(name)))

static int32_t *items;
static size_t count, cap;
static unsigned initialized; /* set by a constructor, which _initialize runs */

__attribute__((constructor)) static void init(void) { initialized = 0x1234; }

EXPORT("push") int push(int32_t v) {
  if (count == cap) {
    size_t ncap = cap ? cap * 2 : 4;
    int32_t *p = realloc(items, ncap * sizeof *p);
    if (!p) return -1;
    items = p;
    cap = ncap;
  }
  items[count++] = v;
  return (int)count;
}

EXPORT("pop") int32_t pop(void) { return count ? items[--count] : INT32_MIN; }

EXPORT("sum") int64_t sum(void) {
  int64_t s = 0;
  for (size_t i = 0; i < count; i++) s += items[i];
  return s;
}

/* Interned "names" made from numbers; returns the interned string's length. */
static char **names;
static size_t nnames;
EXPORT("intern") int intern(uint32_t n) {
  char buf[32];
  size_t len = 0;
  do buf[len++] = (char)('a' + n % 26); while ((n /= 26) != 0);
  buf[len] = 0;
  for (size_t i = 0; i < nnames; i++)
    if (strcmp(names[i], buf) == 0) return -(int)len;
  char **p = realloc(names, (nnames + 1) * sizeof *p);
  if (!p) return 0;
  names = p;
  names[nnames] = strdup(buf);
  return names[nnames++] ? (int)len : 0;
}

EXPORT("heap_top") uintptr_t heap_top(void) { return (uintptr_t)malloc(1); }
EXPORT("initialized") unsigned initialized_magic(void) { return initialized; }
EXPORT("names") int name_count(void) { return (int)nnames; }
