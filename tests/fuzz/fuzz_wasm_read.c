/* fuzz_wasm_read.c — the reader on arbitrary bytes.
 *
 * Properties: mb_wasm_read either fails with a diagnostic whose code is the returned
 * error, or returns a module that writes back byte for byte (every section is clean) and
 * whose every code body passes mb_code_check against the module's own index spaces (the
 * check the reader ran, repeated through the public entry point). The input is also fed
 * to the instruction walker directly as a code body and as a constant expression, so
 * mutations reach the decoder without first having to frame a whole module. */
#include "fuzz_common.h"

/* The sizes of m's index spaces, as mb_code_check takes them. */
static void module_limits(const mb_module *m, uint32_t lim[MB_SPACE_COUNT]) {
  lim[MB_SPACE_TYPE] = m->ntypes;
  lim[MB_SPACE_FUNC] = mb_module_count(m, MB_KIND_FUNC);
  lim[MB_SPACE_TABLE] = mb_module_count(m, MB_KIND_TABLE);
  lim[MB_SPACE_MEMORY] = mb_module_count(m, MB_KIND_MEMORY);
  lim[MB_SPACE_GLOBAL] = mb_module_count(m, MB_KIND_GLOBAL);
  lim[MB_SPACE_TAG] = mb_module_count(m, MB_KIND_TAG);
  lim[MB_SPACE_ELEM] = m->nelems;
  lim[MB_SPACE_DATA] = m->ndatas;
}

/* A failing call must say so in its diagnostic, with a name for the code. */
static uint64_t record(uint64_t h, mb_err e, const mb_diag *d) {
  if (e) {
    FUZZ_CHECK(d->code == e, "returned %d but the diagnostic says %d", e, d->code);
    FUZZ_CHECK(strcmp(mb_err_name(e), "unknown error") != 0, "error %d has no name", e);
    FUZZ_CHECK(memchr(d->message, 0, sizeof d->message) != NULL, "unterminated message");
  }
  return fz_hash(h, &e, sizeof e);
}

static fz_result steps(const uint8_t *data, size_t size, bool injecting, uint64_t *digest) {
  mb_diag d;
  mb_module *m = NULL;
  mb_buf out;
  fz_result res = FZ_STOPPED;
  mb_buf_init(&out, FA);

  /* The walker on raw bytes: no limits, tight limits, and as a constant expression. */
  static const uint32_t small[MB_SPACE_COUNT] = {2, 3, 1, 2, 3, 1, 1, 1};
  mb_err e = mb_code_check(FA, data, size, 0, NULL, &d);
  if (e == MB_ERR_NOMEM && injecting) goto out;
  *digest = record(*digest, e, &d);
  e = mb_code_check(FA, data, size, 0, small, &d);
  if (e == MB_ERR_NOMEM && injecting) goto out;
  *digest = record(*digest, e, &d);
  e = mb_const_expr_rewrite(data, size, 0, NULL, &out, &d);
  if (e == MB_ERR_NOMEM && injecting) goto out;
  *digest = record(*digest, e, &d);
  if (!e) {
    /* an identity rewrite copies the expression as it was */
    FUZZ_CHECK(fz_same(&out, data, size), "identity constant expression rewrite changed bytes");
  }

  e = mb_wasm_read(FA, data, size, &m, &d);
  if (e == MB_ERR_NOMEM && injecting) goto out;
  *digest = record(*digest, e, &d);
  if (e) {
    FUZZ_CHECK(m == NULL, "failed read left a module");
    res = FZ_DONE;
    goto out;
  }
  FUZZ_CHECK(m != NULL, "successful read returned no module");

  e = fz_write(m, &out, &d);
  if (e == MB_ERR_NOMEM && injecting) goto out;
  FUZZ_CHECK(e == MB_OK, "writing an unchanged module failed: %s", mb_err_name(e));
  FUZZ_CHECK(fz_same(&out, data, size),
             "an unchanged module did not write back byte for byte (%zu bytes in, %zu out)",
             size, out.len);
  *digest = fz_hash(*digest, out.data, out.len);

  uint32_t lim[MB_SPACE_COUNT];
  module_limits(m, lim);
  for (uint32_t i = 0; i < m->ncodes; i++) {
    const mb_code *c = &m->codes[i];
    FUZZ_CHECK(c->body.ptr >= data && c->body.ptr + c->body.len <= data + size,
               "body %u is not a range of the input", i);
    e = mb_code_check(FA, c->body.ptr, c->body.len, c->offset, lim, &d);
    if (e == MB_ERR_NOMEM && injecting) goto out;
    FUZZ_CHECK(e == MB_OK, "body %u accepted by the reader fails mb_code_check: %s at %llu: %s", i,
               mb_err_name(e), (unsigned long long)d.offset, d.message);
  }
  res = FZ_DONE;
out:
  mb_buf_fini(&out);
  mb_module_free(m);
  return res;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_run_with_oom(steps, data, size);
  return 0;
}
