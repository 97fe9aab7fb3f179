/* lib.c — a reactor whose constructor fills a table */
#include <stdint.h>
static int32_t squares[100];
__attribute__((constructor)) static void fill(void) {
  for (int32_t i = 0; i < 100; i++) squares[i] = i * i;
}
__attribute__((export_name("square"))) int32_t square(int32_t i) {
  return i >= 0 && i < 100 ? squares[i] : -1;
}
