/* fuzz_link_common.h — shared by the linking targets (fuzz_link_single, fuzz_link): how a
 * link's outcome goes into the digest, and the check every fused output must pass.
 *
 * An output passes when it writes, reads back with membrane's reader (which checks every
 * index in every body, as mb_code_check does) and writes back byte for byte. Under an
 * injected allocation failure any step may instead report MB_ERR_NOMEM, which ends the
 * run (*stop). */
#ifndef MB_FUZZ_LINK_COMMON_H
#define MB_FUZZ_LINK_COMMON_H

#include "fuzz_common.h"

/* A link step's error, checked against its diagnostic, into the digest. */
static inline uint64_t fz_link_record(uint64_t h, mb_link_err e, const mb_diag *d) {
  if (e) {
    FUZZ_CHECK(d->code == e, "returned %d but the diagnostic says %u", (int)e, d->code);
    FUZZ_CHECK(memchr(d->message, 0, sizeof d->message) != NULL, "unterminated message");
    FUZZ_CHECK(d->message[0] != 0, "an error (%s) with an empty diagnostic", mb_link_err_name(e));
  }
  return fz_hash(h, &e, sizeof e);
}

/* The output's checks; max_memories caps its memory count (UINT32_MAX: no cap). Adds the
 * written bytes to *digest. Returns MB_ERR_NOMEM with *stop set when an injected failure
 * ended it, else MB_OK (every other failure aborts). */
static inline mb_err fz_link_check_output(const mb_module *out, uint32_t max_memories,
                                          bool injecting, bool *stop, uint64_t *digest) {
  mb_diag d = {0};
  mb_module *back = NULL;
  mb_buf b, b2;
  mb_buf_init(&b);
  mb_buf_init(&b2);
  *stop = false;
  FUZZ_CHECK(mb_module_count(out, MB_KIND_MEMORY) <= max_memories, "the output has %u memories",
             mb_module_count(out, MB_KIND_MEMORY));
  mb_err e = fz_write(out, &b, &d);
  if (e == MB_ERR_NOMEM && injecting) goto stopped;
  FUZZ_CHECK(e == MB_OK, "writing the output failed: %s: %s", mb_err_name(e), d.message);
  e = mb_wasm_read(b.data, b.len, &back, &d);
  if (e == MB_ERR_NOMEM && injecting) goto stopped;
  FUZZ_CHECK(e == MB_OK, "the output does not read back: %s at %llu: %s", mb_err_name(e),
             (unsigned long long)d.offset, d.message);
  FUZZ_CHECK(mb_module_count(back, MB_KIND_MEMORY) <= max_memories,
             "the output read back has %u memories", mb_module_count(back, MB_KIND_MEMORY));
  e = fz_write(back, &b2, &d);
  if (e == MB_ERR_NOMEM && injecting) goto stopped;
  FUZZ_CHECK(e == MB_OK && fz_same(&b2, b.data, b.len), "the output does not write back as read");
  *digest = fz_hash(*digest, b.data, b.len);
  goto out;
stopped:
  *stop = true;
out:
  mb_module_free(back);
  mb_buf_fini(&b);
  mb_buf_fini(&b2);
  return e;
}

#endif
