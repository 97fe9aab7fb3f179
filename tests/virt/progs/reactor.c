/* reactor.c — a WASI reactor (-mexec-model=reactor) a JS host drives through
 * `membrane virt --export` (reactor.mjs): the host calls _initialize, then greet(n),
 * which writes a string into the program's own memory and prints it through WASI; the
 * host reads the string from the program's memory, exported as app_memory. */
#include <stdio.h>

static char greeting[64];
static int calls;
/* volatile: clang would otherwise evaluate the constructor at compile time */
static volatile int initialized;

/* run by _initialize (wasi-libc's constructors): the host sees 42 only if it called it */
__attribute__((constructor)) static void init(void) { initialized = 42; }

__attribute__((export_name("initialized"))) int get_initialized(void) { return initialized; }

/* The greeting for n, at a fixed address in this program's memory. */
__attribute__((export_name("greet"))) const char *greet(int n) {
  calls++;
  snprintf(greeting, sizeof greeting, "hello %d from the reactor", n);
  printf("greet(%d): %s\n", n, greeting);
  fflush(stdout);
  return greeting;
}

__attribute__((export_name("calls"))) int get_calls(void) { return calls; }
