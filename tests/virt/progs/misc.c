/* Less common calls: fd_renumber (wasi-libc has no dup2), readdir cookies (telldir/seekdir), poll on a
 * timeout, timestamps set and read back (whole seconds: Node's own WASI
 * keeps no more), fsync, and exit() flushing a line stdio still buffers. */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

int main(void) {
  int a = open("/data/in.txt", O_RDONLY);
  int b = open("/data/sub/deep.txt", O_RDONLY);
  printf("renumber: %s\n", __wasi_fd_renumber((__wasi_fd_t)a, (__wasi_fd_t)b) == 0 ? "ok" : "failed");
  char buf[32] = {0};
  if (read(b, buf, 5) != 5) printf("short read\n");
  printf("read through the renumbered fd: '%s'\n", buf);
  printf("old fd closed after renumber... %s\n", read(a, buf, 1) < 0 ? "yes" : "still open");
  close(b);

  DIR *d = opendir("/data");
  long mark = -1;
  int seen = 0;
  struct dirent *e;
  /* "." and ".." are not counted: Node's own WASI does not list them */
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    if (++seen == 1) mark = telldir(d);
  }
  seekdir(d, mark);
  int again = 0;
  while ((e = readdir(d)))
    if (e->d_name[0] != '.') again++;
  printf("entries after the 1st, read again from its cookie: %d of %d\n", again, seen - 1);
  closedir(d);

  /* (poll on a file: Node's own WASI fails it, so features.sh checks it instead) */
  printf("poll with a 1 ms timeout and nothing: %d\n", poll(NULL, 0, 1));

  int fd = open("/data/stamp", O_CREAT | O_WRONLY, 0644);
  struct timespec times[2] = {{1000000000, 0}, {1234567890, 500000000}};
  printf("futimens: %s\n", futimens(fd, times) == 0 ? "ok" : "failed");
  printf("fsync: %s\n", fsync(fd) == 0 ? "ok" : "failed");
  close(fd);
  struct stat st;
  stat("/data/stamp", &st);
  printf("mtime seconds %lld\n", (long long)st.st_mtim.tv_sec);
  unlink("/data/stamp");
  printf("an unterminated line that exit() must flush");
  exit(5);
}
