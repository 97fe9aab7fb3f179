/* virt_io.c — the I/O the wasi-virt benchmark times: 100,000 read()s of 4 KiB from
 * /data/big.bin (rewinding at its end) and 100,000 small write()s to stdout, each one
 * preview1 call. Prints the two phases' times (monotonic clock) to stderr as
 * "read_ns write_ns", and a checksum to stdout's last line so every way of running it
 * can be checked for the same data. */
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
  char line[64];
  int len = snprintf(line, sizeof line, "sum %llu\n", sum);
  if (write(1, line, (size_t)len) != len) return 1;
  fprintf(stderr, "%lld %lld\n", t1 - t0, t2 - t1);
  close(fd);
  return 0;
}
