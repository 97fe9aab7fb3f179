/* clients_app.c — the command of the two-client composition (see clients_lib.c): a
 * descriptor number means nothing in another client's table, even for the same file. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#define LIB(name) __attribute__((import_module("clients_lib"), import_name(name)))
LIB("probe") int lib_probe(int fd);
LIB("open_own") int lib_open_own(void);
LIB("say") void lib_say(void);

int main(void) {
  int fd = open("/data/in.txt", O_RDONLY);
  printf("app opened /data/in.txt as fd %d\n", fd);
  printf("the library reading the app's fd %d: errno %d\n", fd, lib_probe(fd));
  printf("the library reading fd 4711: errno %d\n", lib_probe(4711));
  int own = lib_open_own();
  printf("the library opened its own: %s\n", own >= 3 ? "ok" : "failed");
  printf("the library reading its own fd: errno %d\n", lib_probe(own));
  char c;
  printf("the app reading its fd %d afterwards: %s\n", fd, read(fd, &c, 1) == 1 ? "ok" : "failed");
  /* stdout into a pipe is fully buffered (it is no terminal): the app's lines first */
  fflush(stdout);
  lib_say();
  return 0;
}
