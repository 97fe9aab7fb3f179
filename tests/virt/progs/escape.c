/* The escape matrix: one raw preview1 call per case (argv[1]) against the /data
 * preopen (fd 3), printing the errno. Raw calls because wasi-libc would strip an
 * absolute path or refuse a NUL before the host saw it. */
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

#define DATA 3

static __wasi_errno_t open_path(const char *p, size_t n, __wasi_oflags_t of, __wasi_rights_t r) {
  __wasi_fd_t fd;
  /* the raw import, with an explicit length (NUL bytes included) */
  extern __wasi_errno_t __imported_wasi_snapshot_preview1_path_open(
      int32_t, int32_t, int32_t, int32_t, int32_t, int64_t, int64_t, int32_t, int32_t)
      __attribute__((import_module("wasi_snapshot_preview1"), import_name("path_open")));
  return __imported_wasi_snapshot_preview1_path_open(
      DATA, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, (int32_t)p, (int32_t)n, of, (int64_t)r, (int64_t)r,
      0, (int32_t)&fd);
}
static __wasi_errno_t open_str(const char *p) { return open_path(p, strlen(p), 0, __WASI_RIGHTS_FD_READ); }

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  const char *c = argv[1];
  static char big[6000];
  __wasi_errno_t e = 0;
  if (!strcmp(c, "dotdot")) e = open_str("../outside.txt");
  else if (!strcmp(c, "dotdot-chain")) e = open_str("sub/../../outside.txt");
  else if (!strcmp(c, "dotdot-deep")) e = open_str("sub/./../sub/../../../../../etc/passwd");
  else if (!strcmp(c, "absolute")) e = open_str("/etc/passwd");
  else if (!strcmp(c, "symlink-out")) e = open_str("sub/escape");
  else if (!strcmp(c, "symlink-loop")) {
    (void)__wasi_path_symlink("loop2", DATA, "loop1");
    (void)__wasi_path_symlink("loop1", DATA, "loop2");
    e = open_str("loop1");
  } else if (!strcmp(c, "long-name")) {
    memset(big, 'n', 300);
    big[300] = 0;
    e = open_str(big);
  } else if (!strcmp(c, "long-path")) {
    for (int i = 0; i < 2500; i++) memcpy(big + 2 * i, "a/", 2);
    big[5000] = 0;
    e = open_str(big);
  } else if (!strcmp(c, "nul")) e = open_path("in.txt\0x", 8, 0, __WASI_RIGHTS_FD_READ);
  else if (!strcmp(c, "ro-create")) e = open_path("new.txt", 7, __WASI_OFLAGS_CREAT, __WASI_RIGHTS_FD_WRITE);
  else if (!strcmp(c, "ro-write")) e = open_path("in.txt", 6, 0, __WASI_RIGHTS_FD_WRITE);
  else if (!strcmp(c, "ro-unlink")) e = __wasi_path_unlink_file(DATA, "in.txt");
  else if (!strcmp(c, "ro-mkdir")) e = __wasi_path_create_directory(DATA, "newdir");
  else if (!strcmp(c, "bad-fd")) {
    uint8_t b[4];
    __wasi_iovec_t v = {b, 4};
    __wasi_size_t n;
    e = __wasi_fd_read(4711, &v, 1, &n);
  } else if (!strcmp(c, "bad-dirfd")) {
    __wasi_fd_t fd;
    e = __wasi_path_open(99, 0, "in.txt", 0, 0, 0, 0, &fd);
  } else if (!strcmp(c, "closed-fd")) {
    __wasi_fd_t fd;
    (void)__wasi_path_open(DATA, 0, "in.txt", 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd);
    (void)__wasi_fd_close(fd);
    __wasi_filestat_t st;
    e = __wasi_fd_filestat_get(fd, &st);
  } else return 2;
  printf("%s errno=%u\n", c, (unsigned)e);
  return 0;
}
