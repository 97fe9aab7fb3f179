/* What a program learns about its stdio (issue 10, item 2): for fd 0, 1 and 2, isatty()
 * and what fd_fdstat_get and fd_filestat_get report; then stdout's rights cut down to
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
    fprintf(stderr, "fd %d: isatty %d fdstat %u filetype %u flags %u base 0x%llx inheriting 0x%llx"
            " filestat %u filetype %u\n",
            fd, isatty(fd), e, st.fs_filetype, st.fs_flags & 0x1Fu,
            (unsigned long long)st.fs_rights_base, (unsigned long long)st.fs_rights_inheriting,
            e2, e2 ? 0u : fs.filetype);
  }
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
