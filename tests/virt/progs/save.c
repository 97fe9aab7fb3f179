/* save.c — writes a tree into /out for `membrane virt --save` (tests/virt/save.sh):
 *   /out/a.txt                 "alpha\n"
 *   /out/sub/b.txt             "bravo\n", mtime set to 1600000000 s
 *   /out/sub/deeper/c.bin      70000 bytes (more than one copy chunk), byte i = i % 251
 *   /out/empty/                an empty directory
 *   /out/link -> sub/b.txt     a symlink
 * and, when /out is an --embed with a --mem over it (argument "cow"): deletes
 * /out/gone.txt and appends to /out/changed.txt. Then ends as argv[1] says:
 *   return     return 0 from main (wasi-libc's _start returns)
 *   exit0      exit(0) (proc_exit(0))
 *   exit7      exit(7)
 *   trap       __builtin_trap() after writing everything
 * It prints what it did, one line per step. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int put(const char *path, const void *data, size_t n) {
  FILE *f = fopen(path, "w");
  if (!f || fwrite(data, 1, n, f) != n || fclose(f)) {
    printf("write %s: %s\n", path, strerror(errno));
    return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  const char *how = argc > 1 ? argv[1] : "return";
  int cow = argc > 2 && !strcmp(argv[2], "cow");
  int bad = 0;
  static unsigned char big[70000];
  for (size_t i = 0; i < sizeof big; i++) big[i] = (unsigned char)(i % 251);
  bad |= put("/out/a.txt", "alpha\n", 6);
  if (mkdir("/out/sub", 0777) || mkdir("/out/sub/deeper", 0777) || mkdir("/out/empty", 0777))
    printf("mkdir: %s\n", strerror(errno)), bad = 1;
  bad |= put("/out/sub/b.txt", "bravo\n", 6);
  bad |= put("/out/sub/deeper/c.bin", big, sizeof big);
  if (symlink("sub/b.txt", "/out/link")) printf("symlink: %s\n", strerror(errno)), bad = 1;
  struct timespec ts[2] = {{1600000000, 0}, {1600000000, 0}};
  if (utimensat(AT_FDCWD, "/out/sub/b.txt", ts, 0)) printf("utimensat: %s\n", strerror(errno)), bad = 1;
  if (cow) {
    if (unlink("/out/gone.txt")) printf("unlink gone.txt: %s\n", strerror(errno)), bad = 1;
    FILE *f = fopen("/out/changed.txt", "a");
    if (!f || fputs("changed\n", f) < 0 || fclose(f)) printf("append: %s\n", strerror(errno)), bad = 1;
  }
  printf("wrote /out%s; ending with %s\n", cow ? " over the embed" : "", how);
  fflush(stdout);
  if (bad) return 1;
  if (!strcmp(how, "exit0")) exit(0);
  if (!strcmp(how, "exit7")) exit(7);
  if (!strcmp(how, "trap")) __builtin_trap();
  return 0;
}
