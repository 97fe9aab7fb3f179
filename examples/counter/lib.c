/* lib.c — defines the resource `counter` of example:counter/api (counter.wit).
 *
 * A reactor with its own memory and heap. A counter's rep is the address of its struct
 * in this memory; handles live in the glue's tables, so no other instance ever sees the
 * address, and only this instance can turn a handle back into it ([resource-rep]).
 * It calls no WASI function (no stdio): only the application talks to the host. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define IMPORT(name) \
  __attribute__((import_module("[export]example:counter/api"), import_name(name)))
#define EXPORT(name) __attribute__((export_name(name)))

IMPORT("[resource-new]counter") int32_t counter_new(int32_t rep);
IMPORT("[resource-rep]counter") int32_t counter_rep(int32_t handle);
IMPORT("[resource-drop]counter") void counter_drop(int32_t handle);

typedef struct counter {
  uint32_t value;
  uint32_t serial;
} counter;

static uint32_t created, destroyed;

EXPORT("example:counter/api#[constructor]counter") int32_t counter_ctor(uint32_t start) {
  counter *c = malloc(sizeof *c);
  if (!c) __builtin_trap();
  c->value = start;
  c->serial = ++created;
  return counter_new((int32_t)(uintptr_t)c);
}

/* Methods take borrow<counter> self: a borrow into the definer arrives as the rep. */
EXPORT("example:counter/api#[method]counter.add") void counter_add(counter *self, uint32_t n) {
  self->value += n;
}

EXPORT("example:counter/api#[method]counter.get") uint32_t counter_get(counter *self) {
  return self->value;
}

/* own<counter> arrives as a handle in this instance's table; dropping it here runs the
 * destructor below. */
EXPORT("example:counter/api#[static]counter.merge")
int32_t counter_merge(int32_t a, counter *b) {
  counter *ca = (counter *)(uintptr_t)counter_rep(a);
  uint32_t sum = ca->value + b->value;
  counter_drop(a);
  return counter_ctor(sum);
}

EXPORT("example:counter/api#[dtor]counter") void counter_dtor(counter *c) {
  destroyed++;
  free(c);
}

/* A string result: returned in memory (pointer, length) from this instance's heap; the
 * adapter copies it into the caller's memory, then calls cabi_post_ to free it. */
static char *ret_area[2];

static size_t put(char *p, const char *s) {
  size_t n = strlen(s);
  memcpy(p, s, n);
  return n;
}

static size_t put_u32(char *p, uint32_t v) {
  char d[10];
  size_t n = 0, k = 0;
  do d[n++] = (char)('0' + v % 10); while ((v /= 10) != 0);
  while (n) p[k++] = d[--n];
  return k;
}

EXPORT("example:counter/api#describe") char **counter_describe(counter *c) {
  char *s = malloc(96), *p = s;
  if (!s) __builtin_trap();
  p += put(p, "counter #");
  p += put_u32(p, c->serial);
  p += put(p, " = ");
  p += put_u32(p, c->value);
  p += put(p, " (");
  p += put_u32(p, created);
  p += put(p, " created, ");
  p += put_u32(p, destroyed);
  p += put(p, " destroyed in lib)");
  ret_area[0] = s;
  ret_area[1] = (char *)(uintptr_t)(p - s);
  return ret_area;
}

EXPORT("cabi_post_example:counter/api#describe") void counter_describe_post(char **ret) {
  free(ret[0]);
}

EXPORT("cabi_realloc") void *cabi_realloc(void *old, size_t old_size, size_t align, size_t size) {
  (void)old_size;
  (void)align; /* malloc's alignment (16) covers every canonical ABI type */
  return realloc(old, size);
}

/* for the example's runner: how many destructors ran */
EXPORT("destroyed") uint32_t lib_destroyed(void) { return destroyed; }
