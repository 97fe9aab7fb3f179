/* test_virt_util.h — shared by the tests/unit/test_virt_*.c files: a counting allocator
 * given to each runtime (so every test checks the runtime freed what it allocated, and the
 * sweeps fail the N-th allocation), a destructor that logs its calls, and a per-test
 * fixture. Header-only (static functions) so each test stays one executable. */
#ifndef MB_TEST_VIRT_UTIL_H
#define MB_TEST_VIRT_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "membrane_virt.h"
#include "../common/test_alloc.h"

/* ---- counting allocator ---- */

typedef test_alloc vt_alloc;
#define vt_realloc test_alloc_realloc

static inline mb_rt *vt_rt_new(vt_alloc *a, uint32_t max_handles) {
  mb_rt_options opt;
  memset(&opt, 0, sizeof opt);
  opt.alloc.fn = vt_realloc;
  opt.alloc.user = a;
  opt.max_handles = max_handles;
  mb_rt *rt = NULL;
  mb_virt_err err = mb_rt_new(&opt, &rt);
  if (err != MB_VIRT_OK) return NULL;
  return rt;
}

/* ---- destructor log ---- */

enum { VT_LOG_CAP = 4096 };

typedef struct vt_event {
  uint32_t type;
  int32_t rep;
} vt_event;

typedef struct vt_log {
  size_t n;                 /* destructor calls so far (events past VT_LOG_CAP not kept) */
  vt_event ev[VT_LOG_CAP];
} vt_log;

static inline void vt_dtor_log(void *user, uint32_t type, int32_t rep) {
  vt_log *log = user;
  if (log->n < VT_LOG_CAP) {
    log->ev[log->n].type = type;
    log->ev[log->n].rep = rep;
  }
  log->n++;
}

/* How many times rep was destroyed (type ignored). */
static inline size_t vt_log_count(const vt_log *log, int32_t rep) {
  size_t c = 0;
  for (size_t i = 0; i < log->n && i < VT_LOG_CAP; i++)
    if (log->ev[i].rep == rep) c++;
  return c;
}

/* ---- fixture: a runtime on the counting allocator, checked for leaks ---- */

typedef struct vt_fix {
  vt_alloc alloc;
  mb_rt *rt;
  vt_log log;
} vt_fix;

static vt_fix g_fix;

static inline int vt_setup(void **state) {
  memset(&g_fix, 0, sizeof g_fix);
  g_fix.rt = vt_rt_new(&g_fix.alloc, 0);
  if (!g_fix.rt) return -1;
  *state = &g_fix;
  return 0;
}

static inline int vt_teardown(void **state) {
  (void)state;
  mb_rt_free(g_fix.rt);
  g_fix.rt = NULL;
  if (g_fix.alloc.live != 0) {
    print_message("leak: %ld runtime blocks still allocated\n", g_fix.alloc.live);
    return -1;
  }
  return 0;
}

#define VIRT_TEST(f) cmocka_unit_test_setup_teardown(f, vt_setup, vt_teardown)

/* Assert an operation's result, printing the message and the diagnostic on mismatch. */
#define assert_virt(rt, expr, want)                                                         \
  do {                                                                                      \
    mb_virt_err got_ = (expr);                                                              \
    if (got_ != (want)) {                                                                   \
      const mb_virt_diag *d_ = mb_rt_diag(rt);                                              \
      print_message("%s: got \"%s\", want \"%s\" (diag: %s inst %u type %u handle %d)\n",   \
                    #expr, mb_virt_err_message(got_), mb_virt_err_message(want),            \
                    d_->op ? d_->op : "-", (unsigned)d_->inst, (unsigned)d_->type,          \
                    (int)d_->handle);                                                       \
    }                                                                                       \
    assert_int_equal(got_, (want));                                                         \
  } while (0)
#define assert_virt_ok(rt, expr) assert_virt(rt, expr, MB_VIRT_OK)

/* Helpers for the common setup: an instance, a type with the logging destructor. */
static inline uint32_t vt_inst(mb_rt *rt) {
  uint32_t id = UINT32_MAX;
  assert_virt_ok(rt, mb_rt_instance_add(rt, &id));
  return id;
}

static inline uint32_t vt_type(mb_rt *rt, uint32_t definer, const char *name, vt_log *log) {
  mb_virt_dtor d = {vt_dtor_log, log};
  uint32_t id = UINT32_MAX;
  assert_virt_ok(rt, mb_rt_type_add(rt, definer, name, strlen(name), log ? &d : NULL, &id));
  return id;
}

static inline int32_t vt_new(mb_rt *rt, uint32_t inst, uint32_t type, int32_t rep) {
  int32_t h = 0;
  assert_virt_ok(rt, mb_ht_new(rt, inst, type, rep, &h));
  assert_true(h > 0);
  return h;
}

static inline int32_t vt_rep(mb_rt *rt, uint32_t inst, uint32_t type, int32_t h) {
  int32_t rep = 0;
  assert_virt_ok(rt, mb_ht_rep(rt, inst, type, h, &rep));
  return rep;
}

#endif
