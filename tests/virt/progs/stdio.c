/* What a program learns about its stdio (issue 10, item 2): for fd 0, 1 and 2, isatty(),
 * what fd_fdstat_get and fd_filestat_get report, and where fd_tell says it is (a file
 * the host redirected stdio from or to seeks: its size, and reading stdin after a seek); then stdout's rights cut down to
 * fd_write, and stderr's before anything asked about it. Written to stderr (stdio.sh sends
 * it to a file), one line per descriptor; stdout gets one line of its own, so a pipe
 * or file there is really written. The flags are shown in their five preview1 bits:
 * Node reports the host's raw O_* bits beyond them, which wasi-virt drops. */
#include <stdio.h>
#include <unistd.h>
#include <wasi/api.h>

int main(void) {
  /* stderr's rights cut down before anything asked about it: what the loop reports
   * (fd_filestat_get kept, so that the loop's call stays allowed) */
  __wasi_errno_t cut = __wasi_fd_fdstat_set_rights(
      2, __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_FILESTAT_GET, 0);
  for (int fd = 0; fd < 3; fd++) {
    __wasi_fdstat_t st;
    __wasi_filestat_t fs;
    __wasi_errno_t e = __wasi_fd_fdstat_get((__wasi_fd_t)fd, &st);
    __wasi_errno_t e2 = __wasi_fd_filestat_get((__wasi_fd_t)fd, &fs);
    __wasi_filesize_t pos = 0;
    __wasi_errno_t e3 = __wasi_fd_tell((__wasi_fd_t)fd, &pos);
    fprintf(stderr, "fd %d: isatty %d fdstat %u filetype %u flags %u base 0x%llx inheriting 0x%llx"
            " filestat %u filetype %u size %llu tell %u %llu\n",
            fd, isatty(fd), e, st.fs_filetype, st.fs_flags & 0x1Fu,
            (unsigned long long)st.fs_rights_base, (unsigned long long)st.fs_rights_inheriting,
            e2, e2 ? 0u : fs.filetype, e2 ? 0ull : (unsigned long long)fs.size, e3,
            (unsigned long long)pos);
  }
  /* stdin from a file: seek to its 6th byte and read from there */
  __wasi_filesize_t at = 0;
  __wasi_errno_t es = __wasi_fd_seek(0, 6, __WASI_WHENCE_SET, &at);
  char buf[16] = {0};
  __wasi_iovec_t v = {(uint8_t *)buf, sizeof buf - 1};
  __wasi_size_t got = 0;
  if (!es) es = __wasi_fd_read(0, &v, 1, &got);
  for (char *c = buf; *c; c++)
    if (*c == '\n') *c = '|';
  fprintf(stderr, "fd 0 seek 6 then read: %u at %llu '%s'\n", es, (unsigned long long)at,
          es ? "" : buf);
  /* rights dropped stay dropped (attenuation of what the host granted) */
  __wasi_errno_t e = __wasi_fd_fdstat_set_rights(1, __WASI_RIGHTS_FD_WRITE, 0);
  __wasi_fdstat_t st;
  if (__wasi_fd_fdstat_get(1, &st)) st.fs_rights_base = 0;
  fprintf(stderr, "fd 1 after set_rights(fd_write): %u base 0x%llx\n", e,
          (unsigned long long)st.fs_rights_base);
  fprintf(stderr, "fd 2 set_rights(fd_write, fd_filestat_get) at the start: %u\n", cut);
  printf("to stdout\n");
  return 0;
}
