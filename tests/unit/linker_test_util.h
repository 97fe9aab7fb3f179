/* linker_test_util.h — shared by the tests/unit/test_linker_*.c files: a byte builder
 * for hand-assembled modules and the counting allocator (tests/common/test_alloc.h, passed as TA), so every
 * test can check that the library freed what it allocated and the sweeps can fail the
 * N-th allocation. Header-only (static functions) so each test stays one executable. */
#ifndef MB_LINKER_TEST_UTIL_H
#define MB_LINKER_TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "membrane_link.h"
#include "../common/test_alloc.h"

/* ---- byte builder (test side: plain libc, never the library's allocator) ---- */

typedef struct tb {
  uint8_t *d;
  size_t n, cap;
} tb;

static inline void tb_init(tb *b) { memset(b, 0, sizeof *b); }
static inline void tb_fini(tb *b) {
  free(b->d);
  memset(b, 0, sizeof *b);
}
static inline void tb_put(tb *b, const void *p, size_t n) {
  if (b->cap - b->n < n) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->n < n) cap *= 2;
    uint8_t *d = realloc(b->d, cap);
    assert_non_null(d);
    b->d = d;
    b->cap = cap;
  }
  if (n) memcpy(b->d + b->n, p, n);
  b->n += n;
}
static inline void tb_byte(tb *b, uint8_t v) { tb_put(b, &v, 1); }
/* Unsigned LEB128; width 0 = minimal, else exactly `width` bytes (padded). */
static inline void tb_uleb_w(tb *b, uint64_t v, unsigned width) {
  unsigned n = 0;
  for (;;) {
    uint8_t byte = v & 0x7F;
    v >>= 7;
    n++;
    bool more = width ? n < width : v != 0;
    tb_byte(b, (uint8_t)(byte | (more ? 0x80 : 0)));
    if (!more) break;
  }
}
static inline void tb_u32(tb *b, uint64_t v) { tb_uleb_w(b, v, 0); }
static inline void tb_sleb(tb *b, int64_t v) {
  for (;;) {
    uint8_t byte = (uint8_t)(v & 0x7F);
    v >>= 7;
    bool done = (v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40));
    tb_byte(b, (uint8_t)(byte | (done ? 0 : 0x80)));
    if (done) return;
  }
}
static inline void tb_name(tb *b, const char *s) {
  size_t n = strlen(s);
  tb_u32(b, n);
  tb_put(b, s, n);
}
static inline void tb_preamble(tb *b) {
  static const uint8_t pre[8] = {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00};
  tb_put(b, pre, sizeof pre);
}
/* A section: id, minimal size, contents. */
static inline void tb_section(tb *b, uint8_t id, const tb *contents) {
  tb_byte(b, id);
  tb_u32(b, contents->n);
  tb_put(b, contents->d, contents->n);
}
static inline void tb_section_raw(tb *b, uint8_t id, const void *p, size_t n) {
  tb_byte(b, id);
  tb_u32(b, n);
  tb_put(b, p, n);
}

/* Byte list helpers for literals. */
#define TB_BYTES(...) (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})
#define TB_PUT(b, ...) tb_put((b), TB_BYTES(__VA_ARGS__))

/* ---- counting allocator (tests/common/test_alloc.h) ---- */

static test_alloc g_alloc;
/* What every test passes where the library takes an allocator. */
#define TA (&g_alloc.mb)

static inline void test_alloc_install(long fail_at, bool fail_all_after) {
  test_alloc_init(&g_alloc, fail_at, fail_all_after);
}

/* cmocka setup/teardown: every test runs on the counting allocator and fails if the
 * library leaked a block. */
static inline int test_alloc_setup(void **state) {
  (void)state;
  test_alloc_install(0, false);
  return 0;
}
static inline int test_alloc_teardown(void **state) {
  (void)state;
  if (g_alloc.live != 0) {
    print_message("leak: %ld library blocks still allocated\n", g_alloc.live);
    return -1;
  }
  return 0;
}

#define LINKER_TEST(f) cmocka_unit_test_setup_teardown(f, test_alloc_setup, test_alloc_teardown)

/* Assert an error: code, a substring of the message and the byte offset. */
#define assert_diag(diag, err, substr, off)                                                  \
  do {                                                                                       \
    if ((diag).code != (err) || !strstr((diag).message, (substr)) ||                          \
        (diag).offset != (uint64_t)(off))                                                    \
      print_message("diag: code %d (%s) offset %llu message \"%s\"\n", (int)(diag).code,     \
                    mb_err_name((diag).code), (unsigned long long)(diag).offset,             \
                    (diag).message);                                                         \
    assert_int_equal((diag).code, (err));                                                    \
    assert_non_null(strstr((diag).message, (substr)));                                       \
    assert_int_equal((diag).offset, (uint64_t)(off));                                        \
  } while (0)

#endif
