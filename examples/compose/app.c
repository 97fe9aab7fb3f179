/* app.c — a WASI command that imports its math from the instance called "mathlib". */
#include <inttypes.h>
#include <stdio.h>

#define FROM_MATHLIB(name) __attribute__((import_module("mathlib"), import_name(name)))
FROM_MATHLIB("fib") uint64_t fib(unsigned n);
FROM_MATHLIB("is_prime") int is_prime(unsigned n);
FROM_MATHLIB("calls") unsigned calls(void);

int main(void) {
  printf("fib(90) = %" PRIu64 "\n", fib(90));
  printf("primes below 50:");
  for (unsigned n = 0; n < 50; n++)
    if (is_prime(n)) printf(" %u", n);
  printf("\nmathlib was called %u times, from its own memory\n", calls());
  return 0;
}
