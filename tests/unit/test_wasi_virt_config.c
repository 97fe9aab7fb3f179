/* test_wasi_virt_config.c — the configuration blob: a policy built into a blob
 * (mb_wv_config_build, embedding a host directory) parses back to the same settings;
 * mounts at one guest path merge (embed + mem = copy-on-write); every truncation and
 * every single-byte corruption of a blob is refused or parsed without reading outside
 * it; what the host must provide follows the policy; allocation failures are reported,
 * never leaked. */
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi_virt_test_util.h"

static void opt(mb_wv_policy *p, const char *flag, const char *value) {
  mb_wv_diag d;
  mb_wv_err e = mb_wv_policy_option(p, flag, value, &d);
  if (e) fail_msg("%s %s: %s: %s", flag, value ? value : "", d.where, d.message);
}

static bool str_is(mb_wv_config_str s, const char *want) {
  return s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0;
}

/* A host directory with one file, for --embed. */
static char host_dir[64];
static void make_host_dir(void) {
  snprintf(host_dir, sizeof host_dir, "/tmp/mbcfgXXXXXX");
  assert_non_null(mkdtemp(host_dir));
  char path[128];
  snprintf(path, sizeof path, "%s/hello.txt", host_dir);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs("hello\n", f);
  fclose(f);
}
static void remove_host_dir(void) {
  char path[128];
  snprintf(path, sizeof path, "%s/hello.txt", host_dir);
  unlink(path);
  rmdir(host_dir);
}

static void full_policy(mb_wv_policy *p) {
  char v[128];
  mb_wv_policy_init(p);
  snprintf(v, sizeof v, "/data=%s", host_dir);
  opt(p, "--embed", v);
  opt(p, "--mem", "/data:1M");
  opt(p, "--mem", "/tmp");
  opt(p, "--mount", "/host=/pre/sub/dir:rw");
  opt(p, "--arg", "one");
  opt(p, "--arg", "");
  opt(p, "--env", "K=V");
  opt(p, "--env-allow", "HOME");
  opt(p, "--stdout", "/tmp/out");
  opt(p, "--stdin", "null");
  opt(p, "--clock", "fixed:42");
  opt(p, "--random", "seed:7");
  opt(p, "--fault", "fd_read:3:io");
  opt(p, "--trace", "/tmp/trace.log");
  opt(p, "--save", "/tmp=/host/saved");
  opt(p, "--save", "/data/sub=/host/x/y");
}

static void build(const mb_wv_policy *p, mb_vfs_buf *out) {
  mb_wv_diag d;
  mb_vfs_buf_init(out);
  mb_wv_err e = mb_wv_config_build(p, "prog.wasm", NULL, out, &d);
  if (e) fail_msg("build: %s: %s", d.where, d.message);
}

static void test_round_trip(void **state) {
  (void)state;
  make_host_dir();
  mb_wv_policy p;
  full_policy(&p);
  mb_vfs_buf blob;
  build(&p, &blob);
  mb_wv_config c;
  assert_ok(mb_wv_config_parse(&c, blob.data, blob.len));
  assert_false(c.args_inherit);
  assert_int_equal(c.arg_count, 3);
  assert_true(str_is(c.args[0], "prog.wasm"));
  assert_true(str_is(c.args[1], "one"));
  assert_true(str_is(c.args[2], ""));
  assert_int_equal(c.env_count, 2);
  assert_int_equal(c.env[0].kind, MB_WV_ENV_FIXED);
  assert_true(str_is(c.env[0].name, "K") && str_is(c.env[0].value, "V"));
  assert_int_equal(c.env[1].kind, MB_WV_ENV_ALLOW);
  assert_true(str_is(c.env[1].name, "HOME"));
  /* /data: embed + mem merged into one copy-on-write mount; then /tmp and /host */
  assert_int_equal(c.mount_count, 3);
  assert_int_equal(c.mounts[0].kind, MB_WV_MOUNT_MEM);
  assert_true(str_is(c.mounts[0].guest, "/data"));
  assert_int_equal(c.mounts[0].limit, 1024 * 1024);
  assert_true(c.mounts[0].image_len > 0);
  mb_vfs_image img;
  assert_int_equal(mb_vfs_image_open(&img, c.mounts[0].image, c.mounts[0].image_len, NULL),
                   MB_WV_OK);
  uint32_t child;
  assert_true(mb_vfs_image_lookup(&img, 0, "hello.txt", 9, &child));
  assert_int_equal(c.mounts[1].kind, MB_WV_MOUNT_MEM);
  assert_true(str_is(c.mounts[1].guest, "/tmp"));
  assert_int_equal(c.mounts[1].image_len, 0);
  assert_int_equal(c.mounts[2].kind, MB_WV_MOUNT_HOST);
  assert_true(str_is(c.mounts[2].preopen, "/pre") && str_is(c.mounts[2].subdir, "sub/dir"));
  assert_false(c.mounts[2].readonly);
  assert_int_equal(c.stdio[0].mode, MB_WV_STDIO_NULL);
  assert_int_equal(c.stdio[1].mode, MB_WV_STDIO_FILE);
  assert_true(str_is(c.stdio[1].path, "/tmp/out"));
  assert_int_equal(c.stdio[2].mode, MB_WV_STDIO_INHERIT);
  assert_int_equal(c.clock, MB_WV_CLOCK_FIXED);
  assert_int_equal(c.clock_start, 42);
  assert_int_equal(c.random_seed, 7);
  assert_int_equal(c.fault_count, 1);
  assert_int_equal(c.faults[0].func, mb_wasi_func_index("fd_read", 7));
  assert_int_equal(c.faults[0].nth, 3);
  assert_int_equal(c.faults[0].err, MB_WASI_EIO);
  assert_int_equal(c.trace, MB_WV_TRACE_FILE);
  assert_true(str_is(c.trace_path, "/tmp/trace.log"));
  assert_int_equal(c.save_count, 2);
  assert_true(str_is(c.saves[0].guest, "/tmp") && str_is(c.saves[0].dest, "/host/saved"));
  assert_true(str_is(c.saves[1].guest, "/data/sub") && str_is(c.saves[1].dest, "/host/x/y"));
  mb_wv_config_fini(&c);

  /* every truncation is refused; every one-byte change parses or is refused, in bounds
   * (ASan watches the reads) */
  for (size_t n = 0; n < blob.len; n++) {
    uint8_t *copy = malloc(n ? n : 1);
    memcpy(copy, blob.data, n);
    assert_errno(mb_wv_config_parse(&c, copy, n), MB_WASI_EINVAL);
    free(copy);
  }
  for (size_t i = 0; i < blob.len; i++) {
    uint8_t *copy = malloc(blob.len);
    memcpy(copy, blob.data, blob.len);
    copy[i] ^= 0xA5;
    if (mb_wv_config_parse(&c, copy, blob.len) == MB_WASI_ESUCCESS) mb_wv_config_fini(&c);
    free(copy);
  }
  mb_vfs_buf_fini(&blob);
  mb_wv_policy_fini(&p);
  remove_host_dir();
}

static void test_host_funcs(void **state) {
  (void)state;
  mb_wv_policy p;
  mb_wv_policy_init(&p);
#define HAS(name) \
  ((mb_wv_config_host_funcs(&p, UINT64_MAX) >> mb_wasi_func_index(name, strlen(name))) & 1)
  /* the defaults: stdout/stderr inherit, nothing else of the host's */
  assert_true(HAS("proc_exit") && HAS("fd_write"));
  assert_false(HAS("fd_read") || HAS("clock_time_get") || HAS("random_get") ||
               HAS("path_open") || HAS("environ_get") || HAS("args_get"));
  opt(&p, "--stdout", "null");
  opt(&p, "--stderr", "null");
  assert_false(HAS("fd_write"));
  opt(&p, "--save", "/o=/e/o"); /* a failed save is told on the host's stderr */
  assert_true(HAS("fd_write"));
  mb_wv_policy_fini(&p);
  mb_wv_policy_init(&p);
  opt(&p, "--stdout", "null");
  opt(&p, "--stderr", "null");
  opt(&p, "--mount", "/d=/pre:ro");
  assert_true(HAS("path_open") && HAS("fd_pread") && HAS("fd_readdir"));
  assert_false(HAS("fd_pwrite") || HAS("path_unlink_file") || HAS("path_rename"));
  opt(&p, "--mount", "/e=/pre2:rw");
  assert_true(HAS("fd_pwrite") && HAS("path_unlink_file"));
  opt(&p, "--clock", "real");
  opt(&p, "--random", "real");
  opt(&p, "--env-inherit", NULL);
  opt(&p, "--args-inherit", NULL);
  assert_true(HAS("clock_time_get") && HAS("random_get") && HAS("environ_get") && HAS("args_get"));
#undef HAS
  mb_wv_policy_fini(&p);
}

/* What wasi-virt asks of the host only on behalf of a client's call of the same kind
 * (the file type of inherited stdio, fsync) is imported only for clients that import
 * that call, and only where the host holds something: inherited stdio, a :rw mount. */
static void test_host_funcs_on_demand(void **state) {
  (void)state;
#define BIT(name) (UINT64_C(1) << mb_wasi_func_index(name, strlen(name)))
#define HAS(clients, name) ((mb_wv_config_host_funcs(&p, (clients)) & BIT(name)) != 0)
  mb_wv_policy p;
  mb_wv_policy_init(&p); /* stdout and stderr inherit */
  assert_true(HAS(BIT("fd_fdstat_get"), "fd_fdstat_get"));
  assert_true(HAS(BIT("fd_filestat_get"), "fd_fdstat_get"));
  assert_true(HAS(BIT("fd_fdstat_set_rights"), "fd_fdstat_get"));
  assert_false(HAS(BIT("fd_write") | BIT("fd_sync"), "fd_fdstat_get"));
  assert_true(HAS(BIT("fd_sync"), "fd_sync") && !HAS(BIT("fd_sync"), "fd_datasync"));
  assert_true(HAS(BIT("fd_datasync"), "fd_datasync"));
  opt(&p, "--stdout", "null");
  opt(&p, "--stderr", "null");
  assert_false(HAS(UINT64_MAX, "fd_fdstat_get") || HAS(UINT64_MAX, "fd_sync"));
  opt(&p, "--mount", "/d=/pre:ro");
  assert_false(HAS(UINT64_MAX, "fd_sync") || HAS(UINT64_MAX, "fd_datasync"));
  opt(&p, "--mount", "/e=/pre2:rw");
  assert_true(HAS(UINT64_MAX, "fd_sync") && HAS(UINT64_MAX, "fd_datasync"));
  assert_false(HAS(BIT("fd_write"), "fd_sync") || HAS(BIT("fd_write"), "fd_datasync"));
  assert_false(HAS(UINT64_MAX, "fd_fdstat_get"));
#undef HAS
#undef BIT
  mb_wv_policy_fini(&p);
}

static void test_bad_blobs(void **state) {
  (void)state;
  mb_wv_config c;
  static const uint8_t not_magic[24] = "not a configuration!!!";
  assert_errno(mb_wv_config_parse(&c, not_magic, sizeof not_magic), MB_WASI_EINVAL);
  assert_errno(mb_wv_config_parse(&c, NULL, 0), MB_WASI_EINVAL);
  /* a count that could never fit in what is left is refused before any allocation */
  mb_wv_policy p;
  mb_wv_policy_init(&p);
  mb_vfs_buf blob;
  build(&p, &blob);
  mb_wv_config_fini(&c);
  /* args count at offset 21 (magic 8, version 4, size 8, inherit 1) */
  blob.data[21] = blob.data[22] = blob.data[23] = blob.data[24] = 0xFF;
  long before = g_vt_alloc.calls;
  assert_errno(mb_wv_config_parse(&c, blob.data, blob.len), MB_WASI_EINVAL);
  assert_int_equal(g_vt_alloc.calls, before);
  mb_vfs_buf_fini(&blob);
  mb_wv_policy_fini(&p);
}

static void test_alloc_failures(void **state) {
  (void)state;
  make_host_dir();
  mb_wv_policy p;
  full_policy(&p);
  long baseline = g_vt_alloc.live; /* the policy's own blocks */
  for (long n = 1;; n++) {
    g_vt_alloc.calls = 0;
    g_vt_alloc.failed = false;
    g_vt_alloc.fail_at = n;
    mb_vfs_buf blob;
    mb_vfs_buf_init(&blob);
    mb_wv_diag d;
    mb_wv_err e = mb_wv_config_build(&p, "prog.wasm", NULL, &blob, &d);
    bool failed = g_vt_alloc.failed;
    if (!e) {
      mb_wv_config c;
      mb_wasi_errno pe = mb_wv_config_parse(&c, blob.data, blob.len);
      if (pe == MB_WASI_ESUCCESS) mb_wv_config_fini(&c);
      else assert_errno(pe, MB_WASI_ENOMEM);
    } else {
      assert_int_equal(e, MB_WV_ERR_NOMEM);
      assert_int_equal(blob.len, 0);
    }
    mb_vfs_buf_fini(&blob);
    assert_int_equal(g_vt_alloc.live, baseline);
    if (!failed) break;
  }
  g_vt_alloc.fail_at = 0;
  mb_wv_policy_fini(&p);
  remove_host_dir();
}

int main(void) {
  const struct CMUnitTest tests[] = {
      VT_TEST(test_round_trip),
      VT_TEST(test_host_funcs),
      VT_TEST(test_host_funcs_on_demand),
      VT_TEST(test_bad_blobs),
      VT_TEST(test_alloc_failures),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
