/* Sequential and positional I/O mixed on one file through two descriptors: the access
 * patterns where wasi-virt's host mounts switch between fd_read/fd_write at the host
 * file's position and fd_pread/fd_pwrite elsewhere. Every byte read is checked against
 * what the program wrote, and a checksum of the file is printed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum { N = 64 * 1024, CHUNK = 1000 };
static unsigned char want[N], got[CHUNK];

static int fail(const char *what, long at) {
  printf("%s at %ld: %s\n", what, at, strerror(errno));
  return 1;
}

/* n bytes at the descriptor's position must be want[at ...] */
static int expect(int fd, long at, size_t n, const char *how) {
  ssize_t r = read(fd, got, n);
  if (r != (ssize_t)n || memcmp(got, want + at, n)) return fail(how, at);
  return 0;
}

int main(void) {
  for (long i = 0; i < N; i++) want[i] = (unsigned char)(i * 7 + i / 251);
  int w = open("/data/mix.bin", O_CREAT | O_TRUNC | O_RDWR, 0644);
  int r = open("/data/mix.bin", O_RDONLY);
  if (w < 0 || r < 0) return fail("open", 0);
  /* writes in order, each followed by a read of it through the other descriptor */
  for (long at = 0; at < N; at += CHUNK) {
    size_t n = at + CHUNK <= N ? CHUNK : (size_t)(N - at);
    if (write(w, want + at, n) != (ssize_t)n) return fail("write", at);
    if (expect(r, at, n, "read behind the writer")) return 1;
  }
  /* positional reads at scattered offsets between sequential ones on the same fd */
  if (lseek(r, 0, SEEK_SET) != 0) return fail("lseek", 0);
  for (long at = 0; at + 2 * CHUNK <= N; at += 2 * CHUNK) {
    long p = (at * 13) % (N - CHUNK);
    if (pread(r, got, CHUNK, p) != CHUNK || memcmp(got, want + p, CHUNK)) return fail("pread", p);
    if (expect(r, at, CHUNK, "read after pread")) return 1;
    if (lseek(r, CHUNK, SEEK_CUR) != at + 2 * CHUNK) return fail("lseek forward", at);
  }
  /* positional writes, then a sequential pass from a jump: the host position resyncs */
  for (long p = 5; p < N; p += 4099) {
    want[p] ^= 0xFF;
    if (pwrite(w, want + p, 1, p) != 1) return fail("pwrite", p);
  }
  if (lseek(r, 1234, SEEK_SET) != 1234) return fail("lseek", 1234);
  for (long at = 1234; at + CHUNK <= N; at += CHUNK)
    if (expect(r, at, CHUNK, "read after jump")) return 1;
  /* the two descriptors alternating, both sequential from different places */
  if (lseek(r, 0, SEEK_SET) != 0 || lseek(w, N / 2, SEEK_SET) != N / 2) return fail("lseek", 0);
  for (long k = 0; k < 20; k++) {
    if (expect(r, k * CHUNK, CHUNK, "alternating read")) return 1;
    if (expect(w, N / 2 + k * CHUNK, CHUNK, "alternating read (rw descriptor)")) return 1;
  }
  close(w);
  close(r);
  unsigned long sum = 0;
  for (long i = 0; i < N; i++) sum = sum * 31 + want[i];
  printf("64 KiB written and read back through both descriptors: ok, sum %lu\n", sum);
  return 0;
}
