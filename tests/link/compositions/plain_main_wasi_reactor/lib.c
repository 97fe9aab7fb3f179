#include <stdio.h>
static int ready;
__attribute__((constructor)) static void hello(void) { printf("lib constructor\n"); fflush(stdout); ready = 42; }
__attribute__((export_name("ready"))) int get_ready(void) { return ready; }
