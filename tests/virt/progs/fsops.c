/* File operations a program does on its data directory: write, read back, seek,
 * pread/pwrite, append, truncate, rename, unlink, mkdir/rmdir, stat, errors. Prints
 * only what every correct preview1 host agrees on (no timestamps, no inode numbers). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void check(const char *what, int ok) { printf("%s: %s\n", what, ok ? "ok" : strerror(errno)); }

int main(void) {
  int fd = open("/data/new.txt", O_CREAT | O_TRUNC | O_RDWR, 0644);
  check("create", fd >= 0);
  check("write", write(fd, "hello, world\n", 13) == 13);
  check("seek", lseek(fd, 7, SEEK_SET) == 7);
  char buf[64] = {0};
  check("read", read(fd, buf, 5) == 5);
  printf("read back '%s'\n", buf);
  check("pwrite", pwrite(fd, "W", 1, 7) == 1);
  memset(buf, 0, sizeof buf);
  check("pread", pread(fd, buf, 13, 0) == 13);
  printf("now '%.12s'\n", buf);
  printf("tell %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
  check("ftruncate", ftruncate(fd, 5) == 0);
  struct stat st;
  check("fstat", fstat(fd, &st) == 0);
  printf("size after truncate %lld, regular %d\n", (long long)st.st_size, S_ISREG(st.st_mode));
  close(fd);

  fd = open("/data/new.txt", O_WRONLY | O_APPEND);
  check("append open", fd >= 0);
  lseek(fd, 0, SEEK_SET);
  check("append write", write(fd, "+tail", 5) == 5);
  close(fd);
  FILE *f = fopen("/data/new.txt", "r");
  memset(buf, 0, sizeof buf);
  fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  printf("after append '%s'\n", buf);

  check("mkdir", mkdir("/data/dir", 0755) == 0);
  check("mkdir again fails", mkdir("/data/dir", 0755) != 0 && errno == EEXIST);
  check("rename into dir", rename("/data/new.txt", "/data/dir/moved.txt") == 0);
  check("old name gone", stat("/data/new.txt", &st) != 0 && errno == ENOENT);
  check("stat moved", stat("/data/dir/moved.txt", &st) == 0 && st.st_size == 10);
  check("rmdir non-empty fails", rmdir("/data/dir") != 0 && errno == ENOTEMPTY);
  check("unlink", unlink("/data/dir/moved.txt") == 0);
  check("rmdir", rmdir("/data/dir") == 0);
  check("open missing fails", open("/data/missing", O_RDONLY) < 0 && errno == ENOENT);
  check("read existing", (f = fopen("/data/in.txt", "r")) != NULL);
  if (f) {
    memset(buf, 0, sizeof buf);
    fgets(buf, sizeof buf, f);
    printf("in.txt: %s", buf);
    fclose(f);
  }
  check("unlink a directory fails", unlink("/data/sub") != 0);
  f = fopen("/data/out.txt", "w");
  for (int i = 0; i < 1000; i++) fprintf(f, "line %d\n", i);
  fclose(f);
  check("stat out", stat("/data/out.txt", &st) == 0);
  printf("out.txt size %lld\n", (long long)st.st_size);
  return 0;
}
