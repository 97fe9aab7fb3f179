/* Arguments, environment, clocks, randomness, and the exit status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  printf("argc %d\n", argc);
  for (int i = 1; i < argc; i++) printf("argv[%d] = %s\n", i, argv[i]);
  const char *names[] = {"GREETING", "EMPTY", "UNSET"};
  for (int i = 0; i < 3; i++) {
    const char *v = getenv(names[i]);
    printf("%s=%s\n", names[i], v ? v : "(unset)");
  }
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  struct timespec nap = {0, 2000000};
  nanosleep(&nap, NULL);
  clock_gettime(CLOCK_MONOTONIC, &b);
  long long d = (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
  /* at least 1 ms: Node's own WASI wakes a 2 ms sleep up to 1 ms early (libuv's timers
   * count whole milliseconds of a cached loop time) */
  printf("monotonic advanced across a 2 ms sleep: %s\n", d >= 1000000 ? "yes" : "no");
  unsigned char r[32];
  int ok = getentropy(r, sizeof r) == 0;
  int nonzero = 0;
  for (size_t i = 0; i < sizeof r; i++) nonzero |= r[i];
  printf("getentropy: %s\n", ok && nonzero ? "ok" : "failed");
  fflush(stdout);
  return argc > 2 ? atoi(argv[2]) : 0;
}
