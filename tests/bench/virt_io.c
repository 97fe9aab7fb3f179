/* virt_io.c — the I/O the wasi-virt benchmark times: 100,000 read()s of 4 KiB from
 * /data/big.bin (rewinding at its end), 100,000 small write()s to stdout, each one
 * preview1 call, and 1,000 commits to /data/sync.bin (a 4 KiB pwrite then fdatasync, as a
 * database journals). Prints the three phases' times (monotonic clock) to stderr as
 * "read_ns write_ns sync_ns" (sync_ns 0 when /data is not writable), and a checksum to
 * stdout's last line so every way of running it can be checked for the same data. */
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static long long now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(void) {
  enum { READS = 100000, WRITES = 100000, CHUNK = 4096 };
  static unsigned char buf[CHUNK];
  int fd = open("/data/big.bin", O_RDONLY);
  if (fd < 0) {
    perror("/data/big.bin");
    return 1;
  }
  unsigned long long sum = 0;
  long long t0 = now();
  for (int i = 0; i < READS; i++) {
    ssize_t n = read(fd, buf, CHUNK);
    if (n <= 0) {
      lseek(fd, 0, SEEK_SET);
      n = read(fd, buf, CHUNK);
    }
    sum += buf[0] + (unsigned)n;
  }
  long long t1 = now();
  for (int i = 0; i < WRITES; i++) {
    if (write(1, "ok\n", 3) != 3) return 1;
  }
  long long t2 = now();
  enum { SYNCS = 1000 };
  long long t3 = t2;
  int sfd = open("/data/sync.bin", O_CREAT | O_WRONLY | O_TRUNC, 0644);
  if (sfd >= 0) {
    for (int i = 0; i < SYNCS; i++) {
      if (pwrite(sfd, buf, CHUNK, (off_t)(i % 16) * CHUNK) != CHUNK) return 1;
      if (fdatasync(sfd) != 0) return 1;
    }
    t3 = now();
    close(sfd);
  }
  char line[64];
  int len = snprintf(line, sizeof line, "sum %llu\n", sum);
  if (write(1, line, (size_t)len) != len) return 1;
  fprintf(stderr, "%lld %lld %lld\n", t1 - t0, t2 - t1, t3 - t2);
  close(fd);
  return 0;
}
