/* A program that commits like a database (issue 10, item 3): N times a record written
 * then made durable, fsync and fdatasync in turn, and the directory synced once (a new
 * name made durable). sync.sh counts the syncs that reach the host.
 * usage: syncs N */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 10;
  int fd = open("/data/journal", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    perror("open");
    return 1;
  }
  int failed = 0;
  for (int i = 0; i < n; i++) {
    char rec[32];
    int len = snprintf(rec, sizeof rec, "record %d\n", i);
    if (write(fd, rec, (size_t)len) != len) failed++;
    if ((i % 2 ? fdatasync(fd) : fsync(fd)) != 0) failed++;
  }
  close(fd);
  int dir = open("/data", O_RDONLY | O_DIRECTORY);
  printf("directory fsync: %s\n", fsync(dir) == 0 ? "ok" : "failed");
  close(dir);
  printf("commits: %d, failed: %d\n", n, failed);
  return failed != 0;
}
