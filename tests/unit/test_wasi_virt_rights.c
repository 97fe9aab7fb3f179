/* test_wasi_virt_rights.c — wasi-virt's preview1 layer (p1_*.c) built natively, as the
 * fuzz target builds it, driven through its exports: the one descriptor lookup
 * (p1_fd_lookup: badf for a number not open, notcapable for a missing right), the
 * rights path_open grants and fd_fdstat_set_rights drops, and the bytes fdstat and
 * prestat put into the client's memory (layout, and no stale padding).
 *
 * The client's memory is a 64 KiB buffer; the configuration is built from a policy (an
 * empty --mem /data, stdio null), so the host's WASI is never called: the stubs below
 * only satisfy the linker (fd_fdstat_get, fd_sync and fd_datasync included, for layers
 * that ask the host about inherited stdio). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "membrane_wasi_virt.h"
#include "p1.h"

/* ---- the client's memory, the configuration ---- */

#define GUEST_SIZE 65536
static uint8_t guest[GUEST_SIZE];
static mb_vfs_buf config;

_Noreturn void p1_native_trap(void) {
  fail_msg("wasi-virt trapped");
  abort();
}
void p1_caller_read(void *dst, uint32_t src, uint32_t len) {
  if ((uint64_t)src + len > GUEST_SIZE) p1_native_trap();
  memcpy(dst, guest + src, len);
}
void p1_caller_write(uint32_t dst, const void *src, uint32_t len) {
  if ((uint64_t)dst + len > GUEST_SIZE) p1_native_trap();
  memcpy(guest + dst, src, len);
}
int32_t p1_caller_id(void) { return 0; }
uint32_t p1_caller_size(void) { return GUEST_SIZE >> 16; }
uint32_t p1_config_size(void) { return (uint32_t)config.len; }
void p1_config_copy(void *dst, uint32_t off, uint32_t len) { memcpy(dst, config.data + off, len); }

/* ---- the host's WASI: never reached with this configuration ---- */

#pragma GCC diagnostic ignored "-Wunused-parameter"

#define UNREACHED(...)                                                                   \
  {                                                                                      \
    fail_msg("the host's %s was called", __func__);                                      \
    return MB_WASI_ENOSYS;                                                               \
  }
__wasi_errno_t __wasi_fd_write(__wasi_fd_t fd, const __wasi_ciovec_t *iovs, size_t n,
                               __wasi_size_t *put) UNREACHED()
__wasi_errno_t __wasi_fd_read(__wasi_fd_t fd, const __wasi_iovec_t *iovs, size_t n,
                              __wasi_size_t *got) UNREACHED()
__wasi_errno_t __wasi_args_sizes_get(__wasi_size_t *count, __wasi_size_t *bytes) UNREACHED()
__wasi_errno_t __wasi_args_get(uint8_t **argv, uint8_t *buf) UNREACHED()
__wasi_errno_t __wasi_environ_sizes_get(__wasi_size_t *count, __wasi_size_t *bytes) UNREACHED()
__wasi_errno_t __wasi_environ_get(uint8_t **env, uint8_t *buf) UNREACHED()
__wasi_errno_t __wasi_clock_time_get(uint32_t id, uint64_t precision, uint64_t *out) UNREACHED()
__wasi_errno_t __wasi_clock_res_get(uint32_t id, uint64_t *out) UNREACHED()
__wasi_errno_t __wasi_random_get(uint8_t *buf, size_t len) UNREACHED()
__wasi_errno_t __wasi_poll_oneoff(const __wasi_subscription_t *in, __wasi_event_t *out,
                                  size_t n, __wasi_size_t *got) UNREACHED()
struct __wasi_fdstat_t;
__wasi_errno_t __wasi_fd_fdstat_get(__wasi_fd_t fd, struct __wasi_fdstat_t *st) UNREACHED()
__wasi_errno_t __wasi_fd_sync(__wasi_fd_t fd) UNREACHED()
__wasi_errno_t __wasi_fd_datasync(__wasi_fd_t fd) UNREACHED()
__wasi_errno_t __wasi_fd_seek(__wasi_fd_t fd, __wasi_filedelta_t off, __wasi_whence_t whence,
                              __wasi_filesize_t *pos) UNREACHED()
__wasi_errno_t __wasi_fd_tell(__wasi_fd_t fd, __wasi_filesize_t *pos) UNREACHED()
__wasi_errno_t __wasi_fd_filestat_get(__wasi_fd_t fd, __wasi_filestat_t *st) UNREACHED()
_Noreturn void __wasi_proc_exit(uint32_t code) {
  fail_msg("proc_exit(%u)", (unsigned)code);
  abort();
}

/* ---- the exports (p1_exports.c) ---- */

int32_t p1x_fd_close(uint32_t);
int32_t p1x_fd_fdstat_get(uint32_t, uint32_t);
int32_t p1x_fd_fdstat_set_rights(uint32_t, uint64_t, uint64_t);
int32_t p1x_fd_prestat_get(uint32_t, uint32_t);
int32_t p1x_fd_read(uint32_t, uint32_t, uint32_t, uint32_t);
int32_t p1x_fd_renumber(uint32_t, uint32_t);
int32_t p1x_fd_seek(uint32_t, int64_t, uint32_t, uint32_t);
int32_t p1x_fd_write(uint32_t, uint32_t, uint32_t, uint32_t);
int32_t p1x_path_open(uint32_t, uint32_t, uint32_t, uint32_t, uint32_t, uint64_t, uint64_t, uint32_t,
                      uint32_t);

enum {
  PREOPEN = 3, /* /data, after stdio */
  PATH = 1024, /* a path argument */
  RET = 2048,  /* results: fdstat, prestat, new fd, counts */
  IOV = 3072,  /* one iovec */
  BUF = 4096,  /* its buffer */
};

static mb_wasi_errno errno_of(int32_t r) { return (mb_wasi_errno)r; }

static uint64_t get_u64(uint32_t at) {
  uint64_t v;
  memcpy(&v, guest + at, 8);
  return v;
}
static uint32_t get_u32(uint32_t at) {
  uint32_t v;
  memcpy(&v, guest + at, 4);
  return v;
}

/* path_open of name below dir with the given rights (creat when oflags says so); the
 * errno, and the new fd in *fd. */
static mb_wasi_errno open_at(uint32_t dir, const char *name, uint32_t oflags, uint64_t base,
                             uint64_t inh, uint32_t *fd) {
  size_t n = strlen(name);
  memcpy(guest + PATH, name, n);
  mb_wasi_errno e = errno_of(p1x_path_open(dir, 0, PATH, (uint32_t)n, oflags, base, inh, 0, RET));
  if (!e) *fd = get_u32(RET);
  return e;
}

static void rights_of(uint32_t fd, uint64_t *base, uint64_t *inh) {
  assert_int_equal(p1x_fd_fdstat_get(fd, RET), MB_WASI_ESUCCESS);
  *base = get_u64(RET + 8);
  *inh = get_u64(RET + 16);
}

static mb_wasi_errno read_one(uint32_t fd) {
  uint32_t iov[2] = {BUF, 1};
  memcpy(guest + IOV, iov, sizeof iov);
  return errno_of(p1x_fd_read(fd, IOV, 1, RET));
}
static mb_wasi_errno write_one(uint32_t fd) {
  uint32_t iov[2] = {BUF, 1};
  memcpy(guest + IOV, iov, sizeof iov);
  return errno_of(p1x_fd_write(fd, IOV, 1, RET));
}

static int setup(void **state) {
  (void)state;
  memset(guest, 0, sizeof guest);
  p1_init();
  return 0;
}
static int teardown(void **state) {
  (void)state;
  p1_fini();
  return 0;
}

/* ---- the tests ---- */

/* One lookup: badf for a number that is not open, notcapable for a missing right, in
 * the base set and in the inheriting set. */
static void test_lookup(void **state) {
  (void)state;
  assert_int_equal(p1x_fd_fdstat_get(PREOPEN, RET), MB_WASI_ESUCCESS); /* the first call */
  p1_fd *f = NULL;
  assert_int_equal(p1_fd_lookup(4711, 0, 0, &f), MB_WASI_EBADF);
  assert_int_equal(p1_fd_lookup(UINT32_MAX, 0, 0, &f), MB_WASI_EBADF);
  assert_int_equal(p1_fd_lookup(PREOPEN, P1_RIGHTS_DIRECTORY_BASE, P1_RIGHTS_DIRECTORY_INHERITING, &f),
                   MB_WASI_ESUCCESS);
  assert_non_null(f);
  assert_int_equal(p1_fd_lookup(PREOPEN, P1_RIGHT_FD_READ, 0, &f), MB_WASI_ENOTCAPABLE);
  assert_int_equal(p1_fd_lookup(PREOPEN, P1_RIGHT_FD_SEEK, 0, &f), MB_WASI_ENOTCAPABLE);
  assert_int_equal(p1_fd_lookup(PREOPEN, 0, P1_RIGHT_SOCK_ACCEPT, &f), MB_WASI_ENOTCAPABLE);
  assert_int_equal(p1_fd_lookup(PREOPEN, 0, P1_RIGHT_FD_READ | P1_RIGHT_FD_WRITE, &f),
                   MB_WASI_ESUCCESS);
  /* null stdio: /dev/null in its one direction (seekable, so no terminal) */
  assert_int_equal(p1_fd_lookup(0, P1_RIGHT_FD_READ, 0, &f), MB_WASI_ESUCCESS);
  assert_int_equal(p1_fd_lookup(0, P1_RIGHT_FD_WRITE, 0, &f), MB_WASI_ENOTCAPABLE);
  assert_int_equal(p1_fd_lookup(1, P1_RIGHT_FD_WRITE, 0, &f), MB_WASI_ESUCCESS);
  assert_int_equal(p1_fd_lookup(1, P1_RIGHT_FD_READ, 0, &f), MB_WASI_ENOTCAPABLE);
  assert_int_equal(p1_fd_lookup(1, P1_RIGHT_FD_SEEK | P1_RIGHT_FD_TELL, 0, &f), MB_WASI_ESUCCESS);
}

/* fdstat of the preopen, byte by byte: filetype at 0, flags at 2, rights at 8 and 16,
 * the padding cleared; prestat likewise. */
static void test_abi_bytes(void **state) {
  (void)state;
  memset(guest + RET, 0xAA, 64);
  assert_int_equal(p1x_fd_fdstat_get(PREOPEN, RET), MB_WASI_ESUCCESS);
  static const uint8_t want[24] = {3, 0, 0, 0, 0, 0, 0, 0, 0x98, 0xFE, 0xBF, 0x0F, 0, 0, 0, 0,
                                   0xFF, 0xFF, 0xFF, 0x0F, 0, 0, 0, 0};
  assert_memory_equal(guest + RET, want, sizeof want);
  assert_int_equal(guest[RET + 24], 0xAA); /* nothing past the struct */
  memset(guest + RET, 0xAA, 64);
  assert_int_equal(p1x_fd_prestat_get(PREOPEN, RET), MB_WASI_ESUCCESS);
  static const uint8_t pre[8] = {0, 0, 0, 0, 5, 0, 0, 0}; /* dir, "/data" */
  assert_memory_equal(guest + RET, pre, sizeof pre);
  assert_int_equal(guest[RET + 8], 0xAA);
}

/* path_open: what was asked, narrowed to the file type; nothing beyond the directory's
 * inheriting set; a directory opened below passes the inheriting set on. */
static void test_path_open_rights(void **state) {
  (void)state;
  uint32_t fd = UINT32_MAX, dir = UINT32_MAX; /* set by open_at on success */
  uint64_t b, i;
  assert_int_equal(open_at(PREOPEN, "f", MB_WASI_O_CREAT, P1_RIGHTS_DIRECTORY_INHERITING,
                           P1_RIGHTS_DIRECTORY_INHERITING, &fd), MB_WASI_ESUCCESS);
  rights_of(fd, &b, &i);
  assert_int_equal(b, P1_RIGHTS_REGULAR_FILE_BASE);
  assert_int_equal(i, 0);
  assert_int_equal(open_at(PREOPEN, "f", 0, P1_RIGHT_FD_READ | P1_RIGHT_FD_SEEK, 0, &fd),
                   MB_WASI_ESUCCESS);
  rights_of(fd, &b, &i);
  assert_int_equal(b, P1_RIGHT_FD_READ | P1_RIGHT_FD_SEEK);
  assert_int_equal(write_one(fd), MB_WASI_ENOTCAPABLE);
  assert_int_equal(read_one(fd), MB_WASI_ESUCCESS);
  /* more than the directory passes on */
  assert_int_equal(open_at(PREOPEN, "f", 0, P1_RIGHT_SOCK_ACCEPT, 0, &fd), MB_WASI_ENOTCAPABLE);
  assert_int_equal(open_at(PREOPEN, "f", 0, 0, P1_RIGHT_SOCK_SHUTDOWN, &fd), MB_WASI_ENOTCAPABLE);
  assert_int_equal(open_at(PREOPEN, "f", 0, UINT64_MAX, 0, &fd), MB_WASI_ENOTCAPABLE);
  /* a directory: its own sets, whatever else was asked */
  assert_int_equal(open_at(PREOPEN, ".", MB_WASI_O_DIRECTORY, P1_RIGHTS_DIRECTORY_BASE,
                           P1_RIGHTS_DIRECTORY_INHERITING, &dir), MB_WASI_ESUCCESS);
  rights_of(dir, &b, &i);
  assert_int_equal(b, P1_RIGHTS_DIRECTORY_BASE);
  assert_int_equal(i, P1_RIGHTS_DIRECTORY_INHERITING);
  assert_int_equal(open_at(PREOPEN, ".", 0, P1_RIGHT_FD_SEEK | P1_RIGHT_PATH_OPEN, 0, &dir),
                   MB_WASI_ESUCCESS);
  rights_of(dir, &b, &i);
  assert_int_equal(b, P1_RIGHT_PATH_OPEN); /* no fd_seek on a directory (preview1 5.11) */
  /* a regular file is no directory to open below */
  assert_int_equal(open_at(fd, "x", 0, 0, 0, &dir), MB_WASI_ENOTCAPABLE);
}

/* fd_fdstat_set_rights only drops; the dropped right is gone for the calls, and moves
 * with the number on fd_renumber; a closed number is badf whatever is asked. */
static void test_set_rights(void **state) {
  (void)state;
  uint32_t fd = UINT32_MAX, other = UINT32_MAX; /* set by open_at on success */
  uint64_t b, i;
  assert_int_equal(open_at(PREOPEN, "g", MB_WASI_O_CREAT, P1_RIGHTS_REGULAR_FILE_BASE, 0, &fd),
                   MB_WASI_ESUCCESS);
  assert_int_equal(write_one(fd), MB_WASI_ESUCCESS);
  uint64_t less = P1_RIGHTS_REGULAR_FILE_BASE & ~(P1_RIGHT_FD_WRITE | P1_RIGHT_FD_SEEK);
  assert_int_equal(p1x_fd_fdstat_set_rights(fd, less, 0), MB_WASI_ESUCCESS);
  rights_of(fd, &b, &i);
  assert_int_equal(b, less);
  assert_int_equal(write_one(fd), MB_WASI_ENOTCAPABLE);
  assert_int_equal(p1x_fd_fdstat_set_rights(fd, P1_RIGHTS_REGULAR_FILE_BASE, 0),
                   MB_WASI_ENOTCAPABLE);
  assert_int_equal(p1x_fd_fdstat_set_rights(fd, less, P1_RIGHT_FD_READ), MB_WASI_ENOTCAPABLE);
  rights_of(fd, &b, &i); /* a refused change changes nothing */
  assert_int_equal(b, less);
  /* fd_seek gone, fd_tell kept: only the seek that moves nothing */
  assert_int_equal(p1x_fd_seek(fd, 0, MB_WASI_WHENCE_SET, RET), MB_WASI_ENOTCAPABLE);
  assert_int_equal(p1x_fd_seek(fd, 0, MB_WASI_WHENCE_CUR, RET), MB_WASI_ESUCCESS);
  assert_int_equal(get_u64(RET), 1);
  assert_int_equal(p1x_fd_seek(fd, 1, MB_WASI_WHENCE_CUR, RET), MB_WASI_ENOTCAPABLE);
  /* the rights move with the number */
  assert_int_equal(open_at(PREOPEN, "g", 0, P1_RIGHTS_REGULAR_FILE_BASE, 0, &other),
                   MB_WASI_ESUCCESS);
  assert_int_equal(p1x_fd_renumber(fd, other), MB_WASI_ESUCCESS);
  rights_of(other, &b, &i);
  assert_int_equal(b, less);
  /* stale numbers */
  assert_int_equal(read_one(fd), MB_WASI_EBADF);
  assert_int_equal(p1x_fd_fdstat_set_rights(fd, 0, 0), MB_WASI_EBADF);
  assert_int_equal(p1x_fd_close(other), MB_WASI_ESUCCESS);
  assert_int_equal(read_one(other), MB_WASI_EBADF);
  assert_int_equal(p1x_fd_close(other), MB_WASI_EBADF);
  /* the inheriting set of a directory bounds what is opened below it */
  assert_int_equal(p1x_fd_fdstat_set_rights(PREOPEN, P1_RIGHTS_DIRECTORY_BASE,
                                            P1_RIGHTS_DIRECTORY_INHERITING & ~P1_RIGHT_FD_READ),
                   MB_WASI_ESUCCESS);
  assert_int_equal(open_at(PREOPEN, "g", 0, P1_RIGHT_FD_READ, 0, &fd), MB_WASI_ENOTCAPABLE);
  assert_int_equal(open_at(PREOPEN, "g", 0, P1_RIGHT_FD_TELL, 0, &fd), MB_WASI_ESUCCESS);
  assert_int_equal(p1x_fd_fdstat_set_rights(PREOPEN, 0, P1_RIGHTS_DIRECTORY_INHERITING),
                   MB_WASI_ENOTCAPABLE);
  assert_int_equal(p1x_fd_fdstat_set_rights(PREOPEN, P1_RIGHT_FD_READDIR, 0), MB_WASI_ESUCCESS);
  assert_int_equal(open_at(PREOPEN, "g", 0, 0, 0, &fd), MB_WASI_ENOTCAPABLE);
}

int main(void) {
  mb_wv_policy p;
  mb_wv_policy_init(&p);
  mb_wv_diag diag;
  static const char *const opts[][2] = {
      {"--mem", "/data"}, {"--stdin", "null"}, {"--stdout", "null"}, {"--stderr", "null"}};
  for (size_t k = 0; k < sizeof opts / sizeof *opts; k++)
    if (mb_wv_policy_option(&p, opts[k][0], opts[k][1], &diag)) return 2;
  mb_vfs_buf_init(&config);
  if (mb_wv_config_build(&p, "rights", NULL, &config, &diag)) return 2;
  mb_wv_policy_fini(&p);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_lookup, setup, teardown),
      cmocka_unit_test_setup_teardown(test_abi_bytes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_path_open_rights, setup, teardown),
      cmocka_unit_test_setup_teardown(test_set_rights, setup, teardown),
  };
  int r = cmocka_run_group_tests(tests, NULL, NULL);
  mb_vfs_buf_fini(&config);
  return r;
}
