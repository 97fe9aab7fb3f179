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

/* A value type the reader accepted has a name, and its type index is in range. */
static void check_valtype(const mb_module *m, mb_valtype t, bool storage, const char *where) {
  const char *name = mb_valtype_name(t).s;
  FUZZ_CHECK(strcmp(name, "?") != 0, "%s: value type 0x%llx has no name", where,
             (unsigned long long)t);
  FUZZ_CHECK(storage || (t != MB_PACKED_I8 && t != MB_PACKED_I16), "%s: packed type %s", where,
             name);
  FUZZ_CHECK(!mb_valtype_has_index(t) || mb_valtype_heap(t) < m->ntypes,
             "%s: %s refers past the %u types", where, name, m->ntypes);
}

/* The type model the reader built: rec groups tile the types, supertypes come first,
 * struct and array types have no signature, every value type is valid. */
static void check_types(const mb_module *m) {
  for (uint32_t i = 0; i < m->ntypes; i++) {
    const mb_functype *ft = &m->types[i];
    for (uint32_t k = 0; k < ft->nparams; k++) check_valtype(m, ft->params[k], false, "param");
    for (uint32_t k = 0; k < ft->nresults; k++) check_valtype(m, ft->results[k], false, "result");
    if (!m->typedefs) continue;
    const mb_typedef *td = &m->typedefs[i];
    FUZZ_CHECK(td->rec <= i && i < td->rec + td->rec_size, "type %u outside its rec group", i);
    FUZZ_CHECK(td->rec_size == m->typedefs[td->rec].rec_size &&
                   td->rec_explicit == m->typedefs[td->rec].rec_explicit,
               "type %u disagrees with its rec group", i);
    FUZZ_CHECK(!td->has_super || td->super < i, "type %u: supertype %u", i, td->super);
    FUZZ_CHECK(td->form == MB_COMP_FUNC || (ft->nparams == 0 && ft->nresults == 0),
               "struct or array type %u has a signature", i);
    FUZZ_CHECK(td->form != MB_COMP_ARRAY || td->nfields == 1, "array type %u has %u fields", i,
               td->nfields);
    for (uint32_t k = 0; k < td->nfields; k++) check_valtype(m, td->fields[k].type, true, "field");
  }
  for (uint32_t i = 0; i < m->nglobals; i++) check_valtype(m, m->globals[i].type.valtype, false, "global");
  for (uint32_t i = 0; i < m->ntables; i++) {
    mb_valtype t = m->tables[i].type.elemtype;
    check_valtype(m, t, false, "table");
    FUZZ_CHECK(mb_valtype_is_ref(t), "table %u of %s", i, mb_valtype_name(t).s);
  }
  for (uint32_t i = 0; i < m->nelems; i++) check_valtype(m, m->elems[i].reftype, false, "elem");
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

  check_types(m);
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
