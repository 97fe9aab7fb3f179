/* test_alloc.h — the one counting allocator of the unit tests and the fuzzers.
 *
 * An mb_allocator (membrane_alloc.h) that counts requests, live blocks and live bytes
 * (the leak check) and fails the N-th request, or every request from the N-th on
 * (SQLite's fault simulator, knot-resolver's cmocka allocator). Tests pass &a->mb to
 * whatever they create; virt's runtime takes test_alloc_realloc and a as its
 * realloc/alloc_user pair. Header only; single-threaded, like the tests.
 */
#ifndef MB_TEST_ALLOC_H
#define MB_TEST_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "membrane_alloc.h"

/* Each block carries a header: its size (for live_bytes) and its place in the list of
 * live blocks (for test_alloc_free_left). 32 bytes keep the payload as aligned as
 * malloc's. */
typedef struct test_alloc_block {
  struct test_alloc_block *prev, *next;
  size_t size, pad_;
} test_alloc_block;

typedef struct test_alloc {
  long calls;          /* allocating requests (new blocks and resizes) so far */
  long live;           /* blocks allocated and not yet freed */
  size_t live_bytes;   /* bytes in those blocks */
  long fail_at;        /* 1-based request to fail; 0 = never */
  long failed;         /* how many requests were failed */
  bool fail_all_after; /* fail every request from fail_at on, not only that one */
  test_alloc_block blocks; /* list head of the live blocks (zeroed: empty) */
  mb_allocator mb;     /* {test_alloc_realloc, this}: what tests hand to the libraries */
} test_alloc;

static inline void test_alloc__unlink(test_alloc_block *b) {
  b->prev->next = b->next;
  b->next->prev = b->prev;
  b->prev = b->next = b;
}
static inline void test_alloc__link(test_alloc *a, test_alloc_block *b) {
  if (!a->blocks.next) a->blocks.prev = a->blocks.next = &a->blocks; /* a zeroed test_alloc */
  b->next = a->blocks.next;
  b->prev = &a->blocks;
  a->blocks.next->prev = b;
  a->blocks.next = b;
}

/* An mb_realloc_fn; user is the test_alloc. */
static inline void *test_alloc_realloc(void *ptr, size_t size, void *user) {
  test_alloc *a = (test_alloc *)user;
  test_alloc_block *b = ptr ? (test_alloc_block *)ptr - 1 : NULL;
  size_t old = b ? b->size : 0;
  if (size == 0) {
    if (b) {
      a->live--;
      a->live_bytes -= old;
      test_alloc__unlink(b);
      free(b);
    }
    return NULL;
  }
  a->calls++;
  /* a request no machine can meet fails as malloc would (ASan would abort instead) */
  if (size > ((size_t)1 << 40)) return NULL;
  if (a->fail_at && (a->calls == a->fail_at || (a->fail_all_after && a->calls > a->fail_at))) {
    a->failed++;
    return NULL;
  }
  if (b) test_alloc__unlink(b); /* realloc may move it */
  test_alloc_block *n = (test_alloc_block *)realloc(b, sizeof *n + size);
  if (!n) {
    if (b) test_alloc__link(a, b); /* a failed realloc keeps the old block */
    return NULL;
  }
  n->size = size;
  test_alloc__link(a, n);
  if (!b) a->live++;
  a->live_bytes = a->live_bytes - old + size;
  return n + 1;
}

/* Reset the counters; fail the fail_at-th request (0: none), and every later one too
 * when fail_all_after. a is zeroed (static, or = {0}) or was set up before: blocks still
 * live then stay valid (freeing them later is harmless) but are no longer counted.
 * Returns &a->mb. */
static inline const mb_allocator *test_alloc_init(test_alloc *a, long fail_at, bool fail_all_after) {
  if (a->blocks.next)
    for (test_alloc_block *b = a->blocks.next, *next; b != &a->blocks; b = next) {
      next = b->next;
      b->prev = b->next = b;
    }
  memset(a, 0, sizeof *a);
  a->blocks.prev = a->blocks.next = &a->blocks;
  a->fail_at = fail_at;
  a->fail_all_after = fail_all_after;
  a->mb.fn = test_alloc_realloc;
  a->mb.user = a;
  return &a->mb;
}

/* Free every block still live (a run abandoned half-way, as a fuzzer's may be). */
static inline void test_alloc_free_left(test_alloc *a) {
  if (!a->blocks.next) return;
  while (a->blocks.next != &a->blocks) {
    test_alloc_block *b = a->blocks.next;
    a->live--;
    a->live_bytes -= b->size;
    test_alloc__unlink(b);
    free(b);
  }
}

#endif
