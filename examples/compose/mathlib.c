/* mathlib.c — a reactor library with its own memory: a memoized Fibonacci and a prime
 * sieve. It knows nothing about the program that uses it; `membrane link` wires it in. */
#include <stdint.h>
#include <stdlib.h>

static uint64_t *memo;   /* lives in this instance's memory, not the app's */
static uint8_t *sieve;
static unsigned sieve_size;
static unsigned calls;

__attribute__((export_name("fib"))) uint64_t fib(unsigned n) {
  calls++;
  if (!memo) memo = calloc(94, sizeof *memo);
  if (n > 93) return 0; /* fib(94) overflows 64 bits */
  if (n < 2) return n;
  if (!memo[n]) memo[n] = fib(n - 1) + fib(n - 2);
  return memo[n];
}

__attribute__((export_name("is_prime"))) int is_prime(unsigned n) {
  calls++;
  if (n >= sieve_size) {
    unsigned size = n + 1 > 1024 ? n + 1 : 1024;
    free(sieve);
    sieve = malloc(size);
    if (!sieve) return -1;
    for (unsigned i = 0; i < size; i++) sieve[i] = i >= 2;
    for (unsigned i = 2; (uint64_t)i * i < size; i++)
      if (sieve[i])
        for (unsigned j = i * i; j < size; j += i) sieve[j] = 0;
    sieve_size = size;
  }
  return sieve[n];
}

__attribute__((export_name("calls"))) unsigned call_count(void) { return calls; }
