/* fuzz_common.h — shared by the fuzz targets: property checks that abort (so libFuzzer
 * and the replay tests flag them), an output digest, and allocation-failure injection
 * through the allocator the targets create their objects with (FA, tests/common/test_alloc.h).
 *
 * Each target runs its steps twice per input: once normally (every property must hold)
 * and once with the k-th library allocation failing, k derived from the input. The
 * second run must either report MB_ERR_NOMEM from some step or produce exactly what the
 * first produced: an allocation failure that is swallowed and changes the output (a
 * name section silently dropped, a body half rewritten) is a bug even when nothing
 * crashes. Leaks on those error paths are caught by LeakSanitizer. */
#ifndef MB_FUZZ_COMMON_H
#define MB_FUZZ_COMMON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "membrane_link.h"
#include "../common/test_alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...)                                             \
  do {                                                                    \
    if (!(cond)) {                                                        \
      fprintf(stderr, "%s:%d: property failed: %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                       \
      fputc('\n', stderr);                                                \
      abort();                                                            \
    }                                                                     \
  } while (0)

/* ---- digest of everything a run produced ---- */

static inline uint64_t fz_hash(uint64_t h, const void *p, size_t n) {
  const uint8_t *b = p;
  for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001B3u;
  return h;
}
#define FZ_HASH_INIT 0xCBF29CE484222325u

/* ---- allocator (tests/common/test_alloc.h) ---- */

/* The one the library objects of a run are created with: counts requests, fails the
 * N-th. */
static test_alloc fz_ta;
#define FA (&fz_ta.mb)

/* One run of a target's steps. A step that returns MB_ERR_NOMEM while a failure is
 * being injected ends the run early (FZ_STOPPED); any other error is a property
 * failure unless the step is allowed to fail. */
typedef enum fz_result { FZ_DONE, FZ_STOPPED } fz_result;

/* Run `steps` normally, then again failing one allocation; compare digests. */
static inline void fz_run_with_oom(fz_result (*steps)(const uint8_t *, size_t, bool, uint64_t *),
                                   const uint8_t *data, size_t size) {
  uint64_t digest = FZ_HASH_INIT, digest2 = FZ_HASH_INIT;
  test_alloc_init(&fz_ta, 0, false);
  fz_result r = steps(data, size, false, &digest);
  uint64_t total = (uint64_t)fz_ta.calls;
  FUZZ_CHECK(fz_ta.live == 0, "a run left %ld blocks (%zu bytes) allocated", fz_ta.live,
             fz_ta.live_bytes);
  FUZZ_CHECK(r == FZ_DONE, "a run without injected failures stopped early");
  if (total == 0) return;
  /* MB_FUZZ_OOM_SWEEP=1 (the replay tests set it) fails each allocation in turn,
   * so a regression input keeps testing its failure point when allocation counts move. */
  static int sweep = -1;
  if (sweep < 0) sweep = getenv("MB_FUZZ_OOM_SWEEP") != NULL;
  uint64_t first = 1 + fz_hash(FZ_HASH_INIT, data, size) % total, last = first;
  if (sweep) first = 1, last = total;
  for (uint64_t k = first; k <= last; k++) {
    digest2 = FZ_HASH_INIT;
    test_alloc_init(&fz_ta, (long)k, false);
    r = steps(data, size, true, &digest2);
    bool failed = fz_ta.failed;
    FUZZ_CHECK(fz_ta.live == 0, "allocation %llu failed and %ld blocks (%zu bytes) leaked",
               (unsigned long long)k, fz_ta.live, fz_ta.live_bytes);
    if (r == FZ_DONE)
      FUZZ_CHECK(digest2 == digest,
                 "allocation %llu of %llu failed%s, no step reported out of memory, and the "
                 "output differs",
                 (unsigned long long)k, (unsigned long long)total,
                 failed ? "" : " (not reached)");
  }
}

/* Write m into *out (an initialised buffer, emptied first); the caller frees it with
 * mb_buf_fini. */
static inline mb_err fz_write(const mb_module *m, mb_buf *out, mb_diag *d) {
  mb_buf_fini(out);
  return mb_wasm_write(m, out, d);
}

static inline bool fz_same(const mb_buf *a, const uint8_t *p, size_t n) {
  return a->len == n && (n == 0 || memcmp(a->data, p, n) == 0);
}

#endif
