/* fmt.c — a reactor that uses store from its own constructor: it must be initialized
 * after store. */
#include <stdint.h>

#define EXPORT(name) __attribute__((export_name(name)))
#define FROM_STORE(name) __attribute__((import_module("store"), import_name(name)))
FROM_STORE("put") int32_t put(int32_t key, int32_t value);
FROM_STORE("get") int32_t get(int32_t key);

static int32_t seeded;
__attribute__((constructor)) static void seed(void) {
  for (int32_t k = 0; k < 10; k++) put(k, k * 11);
  seeded = get(9);
}

EXPORT("seeded") int32_t seeded_value(void) { return seeded; }

/* Render the store's values 0..n-1 as text in this instance's own memory; return a
 * checksum of the text (the app sees only numbers). */
static char buf[256];
EXPORT("render") uint32_t render(int32_t n) {
  uint32_t h = 5381, len = 0;
  for (int32_t k = 0; k < n && len < sizeof buf - 12; k++) {
    int32_t v = get(k);
    char tmp[12];
    int t = 0;
    uint32_t u = v < 0 ? (uint32_t)-v : (uint32_t)v;
    do tmp[t++] = (char)('0' + u % 10); while ((u /= 10) != 0);
    if (v < 0) tmp[t++] = '-';
    while (t) buf[len++] = tmp[--t];
    buf[len++] = ',';
  }
  for (uint32_t i = 0; i < len; i++) h = h * 33 + (unsigned char)buf[i];
  return h;
}
