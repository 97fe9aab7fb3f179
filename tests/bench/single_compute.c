/* single_compute.c — the application-side work bench-single times: memory-heavy compute
 * with no WASI calls in the loop (a sieve of 8 million, sorting 1 million integers, a
 * hash over 16 MiB), each phase timed with the monotonic clock. Prints
 * "sieve_ns sort_ns hash_ns" to stderr and a checksum to stdout, so every way of running
 * it can be checked for the same result. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long long now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int cmp(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

int main(void) {
  enum { N = 8000000, M = 1000000, H = 16 << 20 };
  unsigned char *sieve = malloc(N);
  uint32_t *v = malloc(M * sizeof *v);
  unsigned char *h = malloc(H);
  if (!sieve || !v || !h) return 1;
  long long t0 = now();
  memset(sieve, 1, N);
  for (long i = 2; i * i < N; i++)
    if (sieve[i])
      for (long j = i * i; j < N; j += i) sieve[j] = 0;
  unsigned long primes = 0;
  for (long i = 2; i < N; i++) primes += sieve[i];
  long long t1 = now();
  uint32_t x = 2463534242u;
  for (int i = 0; i < M; i++) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    v[i] = x;
  }
  qsort(v, M, sizeof *v, cmp);
  long long t2 = now();
  for (int i = 0; i < H; i++) h[i] = (unsigned char)(i * 31 + (i >> 8));
  uint64_t hash = 1469598103934665603ull;
  for (int round = 0; round < 4; round++)
    for (int i = 0; i < H; i += 8) {
      uint64_t w;
      memcpy(&w, h + i, 8);
      hash = (hash ^ w) * 1099511628211ull;
    }
  long long t3 = now();
  printf("%lu %u %u %llu\n", primes, v[0], v[M - 1], (unsigned long long)hash);
  fprintf(stderr, "%lld %lld %lld\n", t1 - t0, t2 - t1, t3 - t2);
  return 0;
}
