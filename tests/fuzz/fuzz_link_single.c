/* fuzz_link_single.c — `--memory single` (linker/single.c) on every module the reader
 * accepts.
 *
 * For an input x that mb_wasm_read accepts, two links with --memory single: x alone, and
 * x twice (the second instance given a fixed region of 64 pages, the first trusted).
 * Each either fails with a diagnostic whose code is the returned error, or gives a module
 * with at most one memory that writes, reads back (the reader checks every index in every
 * body: a memory instruction left pointing at memory 1 or more is an error there) and
 * writes back byte for byte. The same under injected allocation failures (every failure
 * MB_LINK_ERR_NOMEM, the same outputs otherwise). Any failure aborts. */
#include "fuzz_link_common.h"

/* One link of n copies of m; *stop when an injected allocation failure ended it. */
static void link_single(const mb_module *m, int n, bool injecting, bool *stop, uint64_t *digest) {
  static const char *const names[2] = {"fz_a", "fz_b"};
  mb_diag d = {0};
  mb_module *out = NULL;
  mb_link_err e = MB_LINK_OK;
  mb_link *l = mb_link_new();
  *stop = false;
  if (!l) {
    *stop = injecting;
    FUZZ_CHECK(injecting, "mb_link_new failed without injected failures");
    return;
  }
  mb_link_set_memory(l, MB_MEMORY_SINGLE);
  for (int i = 0; i < n && !e; i++) e = mb_link_add_instance(l, names[i], m, names[i], &d);
  if (!e && n == 2) e = mb_link_set_memory_size(l, "fz_b", 64, &d);
  if (!e && n == 2) e = mb_link_trust(l, "fz_a", &d);
  if (!e) e = mb_link_fuse(l, &out, &d);
  if (e == MB_LINK_ERR_NOMEM && injecting) {
    *stop = true;
    goto out;
  }
  *digest = fz_link_record(*digest, e, &d);
  if (e) {
    FUZZ_CHECK(out == NULL, "a failed link left an output");
    goto out;
  }
  fz_link_check_output(out, 1, injecting, stop, digest);
out:
  mb_module_free(out);
  mb_link_free(l);
}

static fz_result steps(const uint8_t *data, size_t size, bool injecting, uint64_t *digest) {
  mb_diag d;
  mb_module *m = NULL;
  fz_result res = FZ_STOPPED;
  mb_err e = mb_wasm_read(data, size, &m, &d);
  if (e == MB_ERR_NOMEM && injecting) return FZ_STOPPED;
  if (e) return FZ_DONE;
  bool stop = false;
  for (int n = 1; n <= 2 && !stop; n++) link_single(m, n, injecting, &stop, digest);
  if (!stop) res = FZ_DONE;
  mb_module_free(m);
  return res;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_run_with_oom(steps, data, size);
  return 0;
}
