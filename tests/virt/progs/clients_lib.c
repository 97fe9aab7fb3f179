/* clients_lib.c — a reactor that uses WASI itself, linked with clients_app.c by
 * `membrane virt`: a second client of wasi-virt, with descriptors of its own. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <wasi/api.h>

/* The errno of reading one byte from descriptor fd: what this instance's table says. */
__attribute__((export_name("probe"))) int probe(int fd) {
  uint8_t b;
  __wasi_iovec_t v = {&b, 1};
  __wasi_size_t n;
  return __wasi_fd_read((__wasi_fd_t)fd, &v, 1, &n);
}

/* Opens /data/in.txt through this instance's own preopen; its fd number. */
__attribute__((export_name("open_own"))) int open_own(void) {
  return open("/data/in.txt", O_RDONLY);
}

__attribute__((export_name("say"))) void say(void) {
  printf("hello from the library's own stdout\n");
  fflush(stdout);
}
