/* What a program learns about its stdio (issue 10, item 2): for fd 0, 1 and 2, isatty()
 * and what fd_fdstat_get and fd_filestat_get report. Written to stderr (stdio.sh sends
 * it to a file), one line per descriptor; stdout gets one line of its own, so a pipe
 * or file there is really written. The flags are shown in their five preview1 bits:
 * Node reports the host's raw O_* bits beyond them, which wasi-virt drops. */
#include <stdio.h>
#include <unistd.h>
#include <wasi/api.h>

int main(void) {
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
  printf("to stdout\n");
  return 0;
}
