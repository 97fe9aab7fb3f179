/* test_common_alloc.c — the one allocator type (common/membrane_alloc.h), the one byte
 * buffer, the one test allocator (tests/common/test_alloc.h), and that each object
 * allocates from the allocator it was created with: two sessions on two allocators never
 * touch each other's, and nothing reaches a process-wide one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "membrane_link.h"
#include "membrane_virt.h"
#include "membrane_wasi_virt.h"
#include "../common/test_alloc.h"

/* (module (func (export "f") (result i32) i32.const 7)) */
static const uint8_t k_module[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01,
    0x7f, 0x03, 0x02, 0x01, 0x00, 0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00, 0x0a, 0x06,
    0x01, 0x04, 0x00, 0x41, 0x07, 0x0b};

static void mem_helpers_keep_realloc_semantics(void **state) {
  (void)state;
  test_alloc a = {0};
  const mb_allocator *al = test_alloc_init(&a, 0, false);
  assert_null(mb_mem_alloc(al, 0)); /* never a zero-sized block */
  assert_int_equal(a.calls, 0);
  uint8_t *p = mb_mem_calloc(al, 4, 8);
  assert_non_null(p);
  for (int i = 0; i < 32; i++) assert_int_equal(p[i], 0);
  assert_int_equal(a.live, 1);
  assert_int_equal(a.live_bytes, 32);
  p = mb_mem_realloc(al, p, 100);
  assert_non_null(p);
  assert_int_equal(a.live, 1);
  assert_int_equal(a.live_bytes, 100);
  assert_null(mb_mem_realloc(al, p, 0)); /* size 0 frees */
  assert_int_equal(a.live, 0);
  assert_int_equal(a.live_bytes, 0);
  assert_null(mb_mem_calloc(al, SIZE_MAX / 2, 4)); /* n * size overflows: no request */
  mb_mem_free(al, NULL);
  assert_int_equal(a.calls, 2);
  /* NULL, and an allocator without a function, are the C library's */
  void *q = mb_mem_alloc(NULL, 16);
  assert_non_null(q);
  mb_mem_free(NULL, q);
  mb_allocator none = {NULL, NULL};
  q = mb_mem_alloc(&none, 16);
  assert_non_null(q);
  mb_mem_free(&none, q);
  assert_int_equal(a.calls, 2);
}

static void test_alloc_fails_the_nth_and_frees_what_is_left(void **state) {
  (void)state;
  test_alloc a = {0};
  const mb_allocator *al = test_alloc_init(&a, 2, false);
  void *x = mb_mem_alloc(al, 8), *y = mb_mem_alloc(al, 8), *z = mb_mem_alloc(al, 24);
  assert_non_null(x);
  assert_null(y);
  assert_non_null(z);
  assert_int_equal(a.failed, 1);
  assert_int_equal(a.live, 2);
  assert_int_equal(a.live_bytes, 32);
  test_alloc_free_left(&a); /* x and z: what an abandoned run left */
  assert_int_equal(a.live, 0);
  assert_int_equal(a.live_bytes, 0);
  test_alloc_init(&a, 2, true); /* from the second request on, every one fails */
  void *u = mb_mem_alloc(al, 8);
  assert_non_null(u);
  assert_null(mb_mem_alloc(al, 8));
  assert_null(mb_mem_realloc(al, u, 64)); /* a failed resize keeps the block */
  assert_int_equal(a.failed, 2);
  assert_int_equal(a.live, 1);
  assert_int_equal(a.live_bytes, 8);
  mb_mem_free(al, u);
  assert_int_equal(a.live, 0);
}

static void buffer_carries_its_allocator(void **state) {
  (void)state;
  test_alloc a = {0};
  const mb_allocator *al = test_alloc_init(&a, 0, false);
  mb_buf b;
  mb_buf_init(&b, al);
  for (int i = 0; i < 1000; i++) assert_true(mb_buf_byte(&b, (uint8_t)i));
  assert_true(mb_buf_u32(&b, 624485)); /* the model's LEB128 writer on the same buffer */
  assert_int_equal(b.len, 1003);
  assert_memory_equal(b.data + 1000, "\xe5\x8e\x26", 3);
  assert_int_equal(a.live, 1);
  mb_buf_fini(&b);
  assert_int_equal(a.live, 0);
  assert_true(mb_buf_append(&b, "x", 1)); /* after _fini: empty, same allocator */
  assert_int_equal(a.live, 1);
  mb_buf_fini(&b);
  /* a failed allocation sticks: later appends do nothing */
  test_alloc_init(&a, 1, false);
  mb_buf_init(&b, al);
  assert_false(mb_buf_byte(&b, 1));
  assert_true(b.failed);
  assert_false(mb_buf_byte(&b, 2));
  assert_int_equal(a.calls, 1);
  mb_buf_fini(&b);
  /* zeroed: the C library's */
  mb_buf z;
  memset(&z, 0, sizeof z);
  assert_true(mb_buf_append(&z, "abc", 3));
  mb_buf_fini(&z);
  assert_int_equal(a.live, 0);
}

/* Two of everything, each on its own allocator: every block comes back to the one it
 * came from, and each allocator saw requests. */
static void each_object_uses_its_own_allocator(void **state) {
  (void)state;
  test_alloc a = {0}, b = {0};
  const mb_allocator *aa = test_alloc_init(&a, 0, false), *ab = test_alloc_init(&b, 0, false);
  mb_module *ma = NULL, *mb = NULL;
  mb_diag d;
  assert_int_equal(mb_wasm_read(aa, k_module, sizeof k_module, &ma, &d), MB_OK);
  long after_read = a.calls;
  assert_true(after_read > 0);
  assert_int_equal(b.calls, 0);
  assert_int_equal(mb_wasm_read(ab, k_module, sizeof k_module, &mb, &d), MB_OK);
  assert_int_equal(a.calls, after_read);
  assert_ptr_equal(mb_module_allocator(ma)->user, &a);

  /* the writer's scratch comes from the module's allocator, the output from the buffer's */
  mb_buf out;
  mb_buf_init(&out, ab);
  mb_module_mark_all_dirty(ma);
  long b_before = b.calls;
  assert_int_equal(mb_wasm_write(ma, &out, &d), MB_OK);
  assert_true(a.calls > after_read);
  assert_true(b.calls > b_before);
  mb_buf_fini(&out);

  mb_link *l = mb_link_new(ab);
  assert_non_null(l);
  assert_int_equal(mb_link_add_instance(l, "a", ma, "a.wasm", &d), MB_LINK_OK);
  mb_module *fused = NULL;
  long a_before = a.calls;
  assert_int_equal(mb_link_fuse(l, &fused, &d), MB_LINK_OK);
  assert_int_equal(a.calls, a_before); /* the session's, not the input module's */
  assert_ptr_equal(mb_module_allocator(fused)->user, &b);
  mb_module_free(fused);
  mb_link_free(l);

  mb_wit *wa = mb_wit_new(aa);
  assert_non_null(wa);
  mb_wit_free(wa);

  mb_vfs *va = mb_vfs_new(aa), *vb = mb_vfs_new(ab);
  assert_non_null(va);
  assert_non_null(vb);
  assert_int_equal(mb_vfs_mount_mem(vb, "/m", 2, NULL, 1 << 20, NULL), MB_WASI_ESUCCESS);
  mb_vfs_free(va);
  mb_vfs_free(vb);

  mb_wv_policy p;
  mb_wv_policy_init(&p, aa);
  a_before = a.calls;
  assert_int_equal(mb_wv_policy_option(&p, "--env", "HOME=/tmp", NULL), MB_WV_OK);
  assert_true(a.calls > a_before);
  mb_wv_policy_fini(&p);
  assert_ptr_equal(p.alloc.user, &a); /* _fini leaves it on the same allocator */

  mb_rt_options opt;
  memset(&opt, 0, sizeof opt);
  opt.alloc = *ab;
  mb_rt *rt = NULL;
  assert_int_equal(mb_rt_new(&opt, &rt), MB_VIRT_OK);
  mb_rt_free(rt);

  mb_module_free(ma);
  mb_module_free(mb);
  assert_int_equal(a.live, 0);
  assert_int_equal(b.live, 0);
  assert_int_equal(a.live_bytes, 0);
  assert_int_equal(b.live_bytes, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(mem_helpers_keep_realloc_semantics),
      cmocka_unit_test(test_alloc_fails_the_nth_and_frees_what_is_left),
      cmocka_unit_test(buffer_carries_its_allocator),
      cmocka_unit_test(each_object_uses_its_own_allocator),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
