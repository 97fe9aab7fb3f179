/* test_linker_write.c — the writer: byte-identical copies of unchanged modules (padded
 * LEBs, customs between sections), re-encoding of minimal modules, stripping and custom
 * placement, modules built in memory, mb_module_permute's output bytes, bodies renumbered
 * as they are written (to a buffer, a file, a pipe), and the atomic mb_wasm_write_path. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linker_test_util.h"

/* ---- helpers ---- */

static mb_module *read_ok(const tb *m) {
  mb_module *mod = NULL;
  mb_diag diag = {0};
  mb_err e = mb_wasm_read(TA, m->d, m->n, &mod, &diag);
  if (e) fail_msg("read: %s at %llu: %s", mb_err_name(e), (unsigned long long)diag.offset,
                  diag.message);
  return mod;
}

static void dump(const char *label, const uint8_t *p, size_t n) {
  print_message("%s (%zu bytes):", label, n);
  for (size_t k = 0; k < n; k++) print_message("%s%02x", k % 32 ? " " : "\n  ", p[k]);
  print_message("\n");
}

static void assert_bytes(const uint8_t *got, size_t gn, const uint8_t *want, size_t wn) {
  if (gn != wn || memcmp(got, want, wn) != 0) {
    dump("want", want, wn);
    dump("got ", got, gn);
    fail_msg("bytes differ");
  }
}

/* Write m and compare with want. */
static void assert_writes(const mb_module *m, const tb *want) {
  mb_buf out;
  mb_diag diag = {0};
  mb_buf_init(&out, TA);
  mb_err e = mb_wasm_write(m, &out, &diag);
  if (e) fail_msg("write: %s: %s", mb_err_name(e), diag.message);
  assert_bytes(out.data, out.len, want->d, want->n);
  mb_buf_fini(&out);
}

/* A section whose size LEB is padded to 5 bytes. */
static void padded_section(tb *m, uint8_t id, const tb *c) {
  tb_byte(m, id);
  tb_uleb_w(m, c->n, 5);
  tb_put(m, c->d, c->n);
}

static void custom_n(tb *m, const char *name, const char *payload, size_t n) {
  tb c;
  tb_init(&c);
  tb_name(&c, name);
  tb_put(&c, payload, n);
  tb_section(m, 0, &c);
  tb_fini(&c);
}
/* A custom section from a string literal payload (which may hold NUL bytes). */
#define custom(m, name, lit) custom_n((m), (name), (lit), sizeof(lit) - 1)

/* ---- unchanged modules ---- */

/* Padded LEBs everywhere a producer may put them, customs before, between and after. */
static void padded_module(tb *m) {
  tb c;
  tb_init(&c);
  tb_preamble(m);
  TB_PUT(&c, 0x01, 'a', 0xFF); /* custom "a", padded size */
  padded_section(m, 0, &c);
  c.n = 0;
  tb_uleb_w(&c, 2, 5); /* type count */
  TB_PUT(&c, 0x60, 0x00, 0x00, 0x60, 0x81, 0x00, 0x7F, 0x80, 0x00);
  padded_section(m, 1, &c);
  c.n = 0;
  TB_PUT(&c, 0x01, 0x83, 0x00, 'e', 'n', 'v', 0x01, 'f', 0x00, 0x81, 0x80, 0x00);
  tb_section(m, 2, &c);
  custom(m, "between", "import/function");
  c.n = 0;
  TB_PUT(&c, 0x82, 0x00, 0x80, 0x80, 0x80, 0x80, 0x00, 0x81, 0x00);
  tb_section(m, 3, &c);
  c.n = 0;
  TB_PUT(&c, 0x01, 0x01, 0x81, 0x80, 0x80, 0x80, 0x00, 0x82, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
         0x80, 0x80, 0x00);
  tb_section(m, 5, &c);
  c.n = 0;
  TB_PUT(&c, 0x01, 0x7F, 0x01, 0x41, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x0B);
  tb_section(m, 6, &c);
  custom(m, "between", "global/export");
  custom(m, "second", "");
  c.n = 0;
  TB_PUT(&c, 0x81, 0x80, 0x00, 0x83, 0x80, 0x00, 'r', 'u', 'n', 0x00, 0x82, 0x80, 0x80, 0x80,
         0x00);
  tb_section(m, 7, &c);
  c.n = 0;
  TB_PUT(&c, 0x81, 0x80, 0x80, 0x00);
  padded_section(m, 12, &c);
  c.n = 0;
  TB_PUT(&c, 0x02, 0x8C, 0x80, 0x00, 0x00, 0x41, 0x80, 0x80, 0x80, 0x80, 0x00, 0x10, 0x80, 0x80,
         0x00, 0x0B, 0x84, 0x00, 0x00, 0x01, 0x0F, 0x0B);
  padded_section(m, 10, &c);
  c.n = 0;
  TB_PUT(&c, 0x81, 0x00, 0x80, 0x80, 0x00, 0x41, 0x80, 0x00, 0x0B, 0x82, 0x80, 0x00, 'h', 'i');
  tb_section(m, 11, &c);
  custom(m, "name", "\x01\x04\x01\x00\x01" "f");
  custom(m, "end", "x");
  tb_fini(&c);
}

static void unchanged_module_written_byte_identical(void **state) {
  (void)state;
  tb in;
  tb_init(&in);
  padded_module(&in);
  mb_module *m = read_ok(&in);
  assert_int_equal(m->ncustoms, 6);
  assert_writes(m, &in);

  /* streaming to a FILE gives the same bytes */
  char *mem = NULL;
  size_t memlen = 0;
  FILE *f = open_memstream(&mem, &memlen);
  assert_non_null(f);
  mb_diag diag = {0};
  assert_int_equal(mb_wasm_write_file(m, f, &diag), MB_OK);
  assert_int_equal(fclose(f), 0);
  assert_bytes((const uint8_t *)mem, memlen, in.d, in.n);
  free(mem);

  /* writing is repeatable and does not change the model */
  assert_writes(m, &in);
  mb_module_free(m);
  tb_fini(&in);
}

/* ---- re-encoding ---- */

/* Minimal LEBs, every section, every import kind, all 8 element segment forms, all 3
 * data forms, tables with and without an initialiser, 64-bit and shared limits. */
static void minimal_module(tb *m) {
  tb c;
  tb_init(&c);
  tb_preamble(m);
  custom(m, "c0", "first");
  tb_section_raw(m, 1, TB_BYTES(0x03, 0x60, 0x00, 0x00, 0x60, 0x01, 0x7F, 0x01, 0x7F, 0x60, 0x02,
                                0x7E, 0x7D, 0x00));
  TB_PUT(&c, 0x05);
  TB_PUT(&c, 0x01, 'm', 0x01, 'f', 0x00, 0x01);
  TB_PUT(&c, 0x01, 'm', 0x01, 't', 0x01, 0x70, 0x01, 0x01, 0x02);
  TB_PUT(&c, 0x01, 'm', 0x01, 'M', 0x02, 0x03, 0x01, 0x02);
  TB_PUT(&c, 0x01, 'm', 0x01, 'g', 0x03, 0x7E, 0x01);
  TB_PUT(&c, 0x01, 'm', 0x01, 'x', 0x04, 0x00, 0x02);
  tb_section(m, 2, &c);
  tb_section_raw(m, 3, TB_BYTES(0x02, 0x00, 0x01));
  tb_section_raw(m, 4, TB_BYTES(0x02, 0x6F, 0x00, 0x01, 0x40, 0x00, 0x70, 0x05, 0x01, 0x02, 0xD2,
                                0x01, 0x0B));
  tb_section_raw(m, 5, TB_BYTES(0x01, 0x05, 0x01, 0x80, 0x02));
  custom(m, "c1", "before tag");
  tb_section_raw(m, 13, TB_BYTES(0x01, 0x00, 0x02));
  tb_section_raw(m, 6, TB_BYTES(0x02, 0x7F, 0x00, 0x41, 0x2A, 0x0B, 0x70, 0x00, 0xD2, 0x00, 0x0B));
  c.n = 0;
  TB_PUT(&c, 0x03, 0x03, 'r', 'u', 'n', 0x00, 0x02, 0x03, 'm', 'e', 'm', 0x02, 0x01, 0x01, 'x',
         0x04, 0x01);
  tb_section(m, 7, &c);
  tb_section_raw(m, 8, TB_BYTES(0x01));
  c.n = 0;
  TB_PUT(&c, 0x0B);
  TB_PUT(&c, 0x00, 0x41, 0x00, 0x0B, 0x01, 0x01);                   /* active, table 0 */
  TB_PUT(&c, 0x02, 0x01, 0x41, 0x00, 0x0B, 0x00, 0x02, 0x00, 0x02); /* active, table 1 */
  TB_PUT(&c, 0x02, 0x00, 0x41, 0x00, 0x0B, 0x00, 0x01, 0x02); /* table 0, but explicit (LLVM) */
  TB_PUT(&c, 0x06, 0x00, 0x41, 0x00, 0x0B, 0x70, 0x01, 0xD2, 0x01, 0x0B); /* same, exprs */
  TB_PUT(&c, 0x05, 0x6F, 0x01, 0xD0, 0x6F, 0x0B);                   /* externref exprs */
  TB_PUT(&c, 0x01, 0x00, 0x01, 0x02);                               /* passive */
  TB_PUT(&c, 0x03, 0x00, 0x01, 0x01);                               /* declarative */
  TB_PUT(&c, 0x04, 0x41, 0x01, 0x0B, 0x01, 0xD2, 0x00, 0x0B);       /* exprs, table 0 */
  TB_PUT(&c, 0x05, 0x70, 0x02, 0xD2, 0x01, 0x0B, 0xD0, 0x70, 0x0B); /* exprs, passive */
  TB_PUT(&c, 0x06, 0x02, 0x41, 0x02, 0x0B, 0x70, 0x01, 0xD0, 0x70, 0x0B); /* exprs, table 2 */
  TB_PUT(&c, 0x07, 0x70, 0x01, 0xD2, 0x02, 0x0B);                   /* exprs, declarative */
  tb_section(m, 9, &c);
  tb_section_raw(m, 12, TB_BYTES(0x03));
  custom(m, "c2", "before code");
  tb_section_raw(m, 10, TB_BYTES(0x02, 0x0A, 0x01, 0x02, 0x7F, 0x41, 0x00, 0x28, 0x02, 0x08, 0x1A,
                                 0x0B, 0x04, 0x00, 0x20, 0x00, 0x0B));
  tb_section_raw(m, 11, TB_BYTES(0x03, 0x00, 0x41, 0x00, 0x0B, 0x02, 'h', 'i', 0x01, 0x01, 'p',
                                 0x02, 0x01, 0x42, 0x04, 0x0B, 0x01, 'q'));
  custom(m, "name", "\x01\x07\x02\x01\x01" "a\x02\x01" "b");
  custom(m, "z", "");
  tb_fini(&c);
}

static void all_dirty_minimal_module_is_byte_identical(void **state) {
  (void)state;
  tb in;
  tb_init(&in);
  minimal_module(&in);
  mb_module *m = read_ok(&in);
  assert_int_equal(m->nelems, 11);
  assert_int_equal(m->ndatas, 3);
  mb_module_mark_all_dirty(m);
  for (int s = 0; s < MB_SEC_COUNT; s++) assert_true(m->sec[s].dirty && m->sec[s].present);
  assert_writes(m, &in);
  mb_module_free(m);

  /* so is the padded module once every LEB is minimal: compare against a re-read of
   * the re-encoded output, which must itself be stable */
  tb_fini(&in);
  padded_module(&in);
  m = read_ok(&in);
  mb_module_mark_all_dirty(m);
  mb_buf once;
  mb_diag diag = {0};
  mb_buf_init(&once, TA);
  assert_int_equal(mb_wasm_write(m, &once, &diag), MB_OK);
  assert_true(once.len < in.n);
  tb again;
  tb_init(&again);
  tb_put(&again, once.data, once.len);
  mb_module *m2 = read_ok(&again);
  mb_module_mark_all_dirty(m2);
  assert_writes(m2, &again);
  mb_module_free(m2);
  mb_buf_fini(&once);
  mb_module_free(m);
  tb_fini(&again);
  tb_fini(&in);
}

/* ---- customs ---- */

static void strip_removes_customs(void **state) {
  (void)state;
  tb in, want;
  tb_init(&in);
  tb_init(&want);
  tb_preamble(&in);
  custom(&in, "name", "\x00\x02\x01M"); /* a name section before everything */
  custom(&in, "names", "not it");
  tb_section_raw(&in, 1, TB_BYTES(0x01, 0x60, 0x00, 0x00));
  custom(&in, "nam", "not it either");
  custom(&in, "producers", "\x00");
  custom(&in, "name", "\x00\x02\x01N"); /* duplicates are allowed; both are kept */
  custom(&in, "NAME", "case matters");
  mb_module *m = read_ok(&in);
  assert_int_equal(m->ncustoms, 6);

  mb_module_strip_customs(m, true);
  assert_int_equal(m->ncustoms, 2);
  tb_preamble(&want);
  custom(&want, "name", "\x00\x02\x01M");
  tb_section_raw(&want, 1, TB_BYTES(0x01, 0x60, 0x00, 0x00));
  custom(&want, "name", "\x00\x02\x01N");
  assert_writes(m, &want);

  mb_module_strip_customs(m, false);
  assert_int_equal(m->ncustoms, 0);
  want.n = 0;
  tb_preamble(&want);
  tb_section_raw(&want, 1, TB_BYTES(0x01, 0x60, 0x00, 0x00));
  assert_writes(m, &want);
  mb_module_free(m);

  /* stripping a module without customs, and all customs of one with only customs */
  in.n = 0;
  tb_preamble(&in);
  custom(&in, "a", "1");
  custom(&in, "b", "2");
  m = read_ok(&in);
  mb_module_strip_customs(m, false);
  want.n = 0;
  tb_preamble(&want);
  assert_writes(m, &want);
  mb_module_strip_customs(m, true);
  assert_writes(m, &want);
  mb_module_free(m);
  tb_fini(&in);
  tb_fini(&want);
}

static void custom_placement_preserved(void **state) {
  (void)state;
  tb in, want;
  tb_init(&in);
  tb_init(&want);
  tb_preamble(&in);
  custom(&in, "A", "before type");
  tb_section_raw(&in, 1, TB_BYTES(0x01, 0x60, 0x00, 0x00));
  custom(&in, "B", "type/function");
  tb_section_raw(&in, 3, TB_BYTES(0x01, 0x00));
  tb_section_raw(&in, 5, TB_BYTES(0x01, 0x00, 0x01));
  custom(&in, "C", "memory/export 1");
  custom(&in, "D", "memory/export 2");
  tb_section_raw(&in, 7, TB_BYTES(0x01, 0x01, 'f', 0x00, 0x00));
  custom(&in, "E", "export/code");
  tb_section_raw(&in, 10, TB_BYTES(0x01, 0x02, 0x00, 0x0B));
  custom(&in, "F", "after code 1");
  custom(&in, "G", "after code 2");

  mb_module *m = read_ok(&in);
  static const mb_sec before[7] = {MB_SEC_TYPE,   MB_SEC_FUNCTION, MB_SEC_EXPORT, MB_SEC_EXPORT,
                                   MB_SEC_CODE,   MB_SEC_COUNT,    MB_SEC_COUNT};
  assert_int_equal(m->ncustoms, 7);
  for (int i = 0; i < 7; i++) assert_int_equal(m->customs[i].before, before[i]);

  /* every known section re-encoded: the customs stay where they were */
  mb_module_mark_all_dirty(m);
  assert_writes(m, &in);

  /* the export section dropped: C, D and E now sit together between memory and code */
  m->nexports = 0;
  mb_module_mark_dirty(m, MB_SEC_EXPORT);
  tb_preamble(&want);
  custom(&want, "A", "before type");
  tb_section_raw(&want, 1, TB_BYTES(0x01, 0x60, 0x00, 0x00));
  custom(&want, "B", "type/function");
  tb_section_raw(&want, 3, TB_BYTES(0x01, 0x00));
  tb_section_raw(&want, 5, TB_BYTES(0x01, 0x00, 0x01));
  custom(&want, "C", "memory/export 1");
  custom(&want, "D", "memory/export 2");
  custom(&want, "E", "export/code");
  tb_section_raw(&want, 10, TB_BYTES(0x01, 0x02, 0x00, 0x0B));
  custom(&want, "F", "after code 1");
  custom(&want, "G", "after code 2");
  assert_writes(m, &want);

  /* a custom built in memory (no raw bytes) is encoded where it is placed */
  mb_custom *cs = mb_module_alloc(m, (m->ncustoms + 1) * sizeof *cs);
  assert_non_null(cs);
  memcpy(cs, m->customs, m->ncustoms * sizeof *cs);
  mb_custom *n = &cs[m->ncustoms];
  n->name = (mb_bytes){(const uint8_t *)"new", 3};
  n->payload = (mb_bytes){(const uint8_t *)"\x01\x02", 2};
  n->before = MB_SEC_CODE;
  m->customs = cs;
  m->ncustoms++;
  want.n = 0;
  tb_preamble(&want);
  custom(&want, "A", "before type");
  tb_section_raw(&want, 1, TB_BYTES(0x01, 0x60, 0x00, 0x00));
  custom(&want, "B", "type/function");
  tb_section_raw(&want, 3, TB_BYTES(0x01, 0x00));
  tb_section_raw(&want, 5, TB_BYTES(0x01, 0x00, 0x01));
  custom(&want, "C", "memory/export 1");
  custom(&want, "D", "memory/export 2");
  custom(&want, "E", "export/code");
  custom(&want, "new", "\x01\x02");
  tb_section_raw(&want, 10, TB_BYTES(0x01, 0x02, 0x00, 0x0B));
  custom(&want, "F", "after code 1");
  custom(&want, "G", "after code 2");
  assert_writes(m, &want);
  mb_module_free(m);
  tb_fini(&in);
  tb_fini(&want);
}

/* ---- a module built in memory ---- */

static void built_module_roundtrip(void **state) {
  (void)state;
  static const mb_valtype i32[] = {0x7F};
  static const uint8_t body[] = {0x00, 0x41, 0x07, 0x10, 0x00, 0x0B}; /* i32.const 7, call 0 */
  static const uint8_t offset[] = {0x41, 0x10, 0x0B};

  mb_module *m = mb_module_new(TA);
  assert_non_null(m);
  m->ntypes = 2;
  m->types = mb_module_alloc(m, 2 * sizeof *m->types);
  assert_non_null(m->types);
  m->types[0] = (mb_functype){1, 0, i32, NULL}; /* [i32] -> [] */
  m->types[1] = (mb_functype){0, 0, NULL, NULL}; /* [] -> [] */
  m->nimports = 1;
  m->imports = mb_module_alloc(m, sizeof *m->imports);
  m->imports[0].module = (mb_bytes){(const uint8_t *)"env", 3};
  m->imports[0].field = (mb_bytes){(const uint8_t *)"log", 3};
  m->imports[0].kind = MB_KIND_FUNC;
  m->imports[0].u.func_type = 0;
  m->nimported[MB_KIND_FUNC] = 1;
  m->nfuncs = 1;
  m->func_types = mb_module_alloc(m, sizeof *m->func_types);
  m->func_types[0] = 1;
  m->nmemories = 1;
  m->memories = mb_module_alloc(m, sizeof *m->memories);
  m->memories[0] = (mb_limits){MB_LIMITS_HAS_MAX, 1, 2};
  m->nexports = 2;
  m->exports = mb_module_alloc(m, 2 * sizeof *m->exports);
  m->exports[0] = (mb_export){{(const uint8_t *)"run", 3}, MB_KIND_FUNC, 1};
  m->exports[1] = (mb_export){{(const uint8_t *)"memory", 6}, MB_KIND_MEMORY, 0};
  m->ncodes = 1;
  m->codes = mb_module_alloc(m, sizeof *m->codes);
  m->codes[0].body = (mb_bytes){body, sizeof body};
  m->ndatas = 1;
  m->datas = mb_module_alloc(m, sizeof *m->datas);
  m->datas[0].mode = MB_SEG_ACTIVE;
  m->datas[0].memory = 0;
  m->datas[0].offset = (mb_bytes){offset, sizeof offset};
  m->datas[0].bytes = (mb_bytes){(const uint8_t *)"hey", 3};
  m->has_datacount = true;
  static const mb_sec secs[] = {MB_SEC_TYPE,   MB_SEC_IMPORT,    MB_SEC_FUNCTION, MB_SEC_MEMORY,
                                MB_SEC_EXPORT, MB_SEC_DATACOUNT, MB_SEC_CODE,     MB_SEC_DATA};
  for (size_t i = 0; i < sizeof secs / sizeof *secs; i++) mb_module_mark_dirty(m, secs[i]);

  tb want;
  tb_init(&want);
  tb_preamble(&want);
  tb_section_raw(&want, 1, TB_BYTES(0x02, 0x60, 0x01, 0x7F, 0x00, 0x60, 0x00, 0x00));
  tb_section_raw(&want, 2, TB_BYTES(0x01, 0x03, 'e', 'n', 'v', 0x03, 'l', 'o', 'g', 0x00, 0x00));
  tb_section_raw(&want, 3, TB_BYTES(0x01, 0x01));
  tb_section_raw(&want, 5, TB_BYTES(0x01, 0x01, 0x01, 0x02));
  tb_section_raw(&want, 7, TB_BYTES(0x02, 0x03, 'r', 'u', 'n', 0x00, 0x01, 0x06, 'm', 'e', 'm',
                                    'o', 'r', 'y', 0x02, 0x00));
  tb_section_raw(&want, 12, TB_BYTES(0x01));
  tb_section_raw(&want, 10, TB_BYTES(0x01, 0x06, 0x00, 0x41, 0x07, 0x10, 0x00, 0x0B));
  tb_section_raw(&want, 11, TB_BYTES(0x01, 0x00, 0x41, 0x10, 0x0B, 0x03, 'h', 'e', 'y'));
  assert_writes(m, &want);

  /* read back: the same model */
  mb_buf out;
  mb_diag diag = {0};
  mb_buf_init(&out, TA);
  assert_int_equal(mb_wasm_write(m, &out, &diag), MB_OK);
  mb_module *r = NULL;
  assert_int_equal(mb_wasm_read(TA, out.data, out.len, &r, &diag), MB_OK);
  assert_int_equal(r->ntypes, 2);
  for (uint32_t i = 0; i < 2; i++) {
    assert_int_equal(r->types[i].nparams, m->types[i].nparams);
    assert_int_equal(r->types[i].nresults, m->types[i].nresults);
    assert_memory_equal(r->types[i].params, m->types[i].params, m->types[i].nparams * sizeof *m->types[i].params);
  }
  assert_int_equal(r->nimports, 1);
  assert_int_equal(r->imports[0].kind, MB_KIND_FUNC);
  assert_int_equal(r->imports[0].u.func_type, 0);
  assert_int_equal(r->imports[0].module.len, 3);
  assert_memory_equal(r->imports[0].module.ptr, "env", 3);
  assert_memory_equal(r->imports[0].field.ptr, "log", 3);
  assert_int_equal(r->nimported[MB_KIND_FUNC], 1);
  assert_int_equal(r->nfuncs, 1);
  assert_int_equal(r->func_types[0], 1);
  assert_int_equal(r->nmemories, 1);
  assert_int_equal(r->memories[0].flags, MB_LIMITS_HAS_MAX);
  assert_int_equal(r->memories[0].min, 1);
  assert_int_equal(r->memories[0].max, 2);
  assert_int_equal(r->nexports, 2);
  for (uint32_t i = 0; i < 2; i++) {
    assert_int_equal(r->exports[i].kind, m->exports[i].kind);
    assert_int_equal(r->exports[i].index, m->exports[i].index);
    assert_int_equal(r->exports[i].name.len, m->exports[i].name.len);
    assert_memory_equal(r->exports[i].name.ptr, m->exports[i].name.ptr, m->exports[i].name.len);
  }
  assert_true(r->has_datacount);
  assert_int_equal(r->ncodes, 1);
  assert_int_equal(r->codes[0].body.len, sizeof body);
  assert_memory_equal(r->codes[0].body.ptr, body, sizeof body);
  assert_int_equal(r->ndatas, 1);
  assert_int_equal(r->datas[0].mode, MB_SEG_ACTIVE);
  assert_int_equal(r->datas[0].memory, 0);
  assert_memory_equal(r->datas[0].offset.ptr, offset, sizeof offset);
  assert_memory_equal(r->datas[0].bytes.ptr, "hey", 3);
  assert_false(r->has_start);
  assert_int_equal(r->ncustoms, 0);
  mb_module_free(r);
  mb_buf_fini(&out);
  mb_module_free(m);
  tb_fini(&want);

  /* the empty module */
  m = mb_module_new(TA);
  assert_non_null(m);
  want.n = 0;
  tb_init(&want);
  tb_preamble(&want);
  assert_writes(m, &want);
  mb_module_free(m);
  tb_fini(&want);
}

/* Bug fix: mb_module_alloc rounded the size up to 16 before checking it, so a size
 * near SIZE_MAX wrapped to 0 and came back as a 16-byte block. */
/* A GC type section built in memory: rec group, sub types, struct and array fields,
 * typed references in a signature and a global, written as the spec encodes them and
 * read back as the same model. */
static void built_gc_types_roundtrip(void **state) {
  (void)state;
  static const uint8_t init[] = {0xD0, 0x03, 0x0B}; /* ref.null 3 */
  mb_module *m = mb_module_new(TA);
  assert_non_null(m);
  mb_field *f0 = mb_module_alloc(m, 2 * sizeof *f0), *f1 = mb_module_alloc(m, sizeof *f1),
           *f3 = mb_module_alloc(m, 3 * sizeof *f3);
  mb_valtype *params = mb_module_alloc(m, sizeof *params);
  mb_valtype *results = mb_module_alloc(m, sizeof *results);
  assert_true(f0 && f1 && f3 && params && results);
  f0[0] = (mb_field){mb_valtype_ref(true, 1), true};
  f0[1] = (mb_field){MB_PACKED_I8, false};
  f1[0] = (mb_field){MB_PACKED_I16, true};
  f3[0] = f0[0];
  f3[1] = f0[1];
  f3[2] = (mb_field){mb_valtype_ref(false, MB_HEAP_ABSTRACT | 0x6C), false}; /* (ref i31) */
  params[0] = mb_valtype_ref(false, 0);
  results[0] = mb_valtype_ref(true, MB_HEAP_ABSTRACT | 0x6E); /* anyref */
  assert_int_equal(results[0], 0x6E);
  m->ntypes = 4;
  m->types = mb_module_alloc(m, 4 * sizeof *m->types);
  m->typedefs = mb_module_alloc(m, 4 * sizeof *m->typedefs);
  assert_true(m->types && m->typedefs);
  m->types[2] = (mb_functype){1, 1, params, results};
  m->typedefs[0] = (mb_typedef){MB_COMP_STRUCT, MB_SUB_OPEN, false, 0, 0, 2, true, 2, f0};
  m->typedefs[1] = (mb_typedef){MB_COMP_ARRAY, MB_SUB_FINAL, false, 0, 0, 2, true, 1, f1};
  m->typedefs[2] = (mb_typedef){MB_COMP_FUNC, MB_SUB_NONE, false, 0, 2, 1, false, 0, NULL};
  m->typedefs[3] = (mb_typedef){MB_COMP_STRUCT, MB_SUB_FINAL, true, 0, 3, 1, false, 3, f3};
  m->nglobals = 1;
  m->globals = mb_module_alloc(m, sizeof *m->globals);
  m->globals[0].type = (mb_globaltype){mb_valtype_ref(true, 3), true};
  m->globals[0].init = (mb_bytes){init, sizeof init};
  mb_module_mark_dirty(m, MB_SEC_TYPE);
  mb_module_mark_dirty(m, MB_SEC_GLOBAL);

  tb want, s;
  tb_init(&want);
  tb_init(&s);
  tb_preamble(&want);
  TB_PUT(&s, 0x03,                                     /* 3 rec groups */
         0x4E, 0x02,                                   /* rec of 2 */
         0x50, 0x00, 0x5F, 0x02, 0x63, 0x01, 0x01, 0x78, 0x00, /* sub struct */
         0x4F, 0x00, 0x5E, 0x77, 0x01,                 /* sub final array (mut i16) */
         0x60, 0x01, 0x64, 0x00, 0x01, 0x6E,           /* func [(ref 0)] -> [anyref] */
         0x4F, 0x01, 0x00, 0x5F, 0x03, 0x63, 0x01, 0x01, 0x78, 0x00, 0x64, 0x6C, 0x00);
  tb_section(&want, 1, &s);
  s.n = 0;
  TB_PUT(&s, 0x01, 0x63, 0x03, 0x01, 0xD0, 0x03, 0x0B);
  tb_section(&want, 6, &s);
  assert_writes(m, &want);

  mb_module *r = NULL;
  mb_diag diag = {0};
  assert_int_equal(mb_wasm_read(TA, want.d, want.n, &r, &diag), MB_OK);
  assert_true(r->features & MB_FEAT_GC);
  assert_true(r->features & MB_FEAT_TYPED_FUNC_REFS);
  assert_int_equal(r->ntypes, 4);
  assert_non_null(r->typedefs);
  for (uint32_t i = 0; i < 4; i++) {
    const mb_typedef *x = &r->typedefs[i], *y = &m->typedefs[i];
    assert_int_equal(x->form, y->form);
    assert_int_equal(x->sub, y->sub);
    assert_int_equal(x->has_super, y->has_super);
    assert_int_equal(x->super, y->super);
    assert_int_equal(x->rec, y->rec);
    assert_int_equal(x->rec_size, y->rec_size);
    assert_int_equal(x->rec_explicit, y->rec_explicit);
    assert_int_equal(x->nfields, y->nfields);
    for (uint32_t k = 0; k < x->nfields; k++) {
      assert_int_equal(x->fields[k].type, y->fields[k].type);
      assert_int_equal(x->fields[k].mutable_, y->fields[k].mutable_);
    }
    assert_true(mb_functype_eq(&r->types[i], &m->types[i]));
  }
  assert_int_equal(r->globals[0].type.valtype, mb_valtype_ref(true, 3));
  assert_string_equal(mb_valtype_name(r->globals[0].type.valtype).s, "(ref null 3)");
  assert_string_equal(mb_valtype_name(r->types[2].params[0]).s, "(ref 0)");
  assert_string_equal(mb_valtype_name(r->typedefs[3].fields[2].type).s, "(ref i31)");
  assert_string_equal(mb_valtype_name(r->typedefs[0].fields[1].type).s, "i8");
  mb_module_free(r);
  mb_module_free(m);
  tb_fini(&want);
  tb_fini(&s);
}

static void module_alloc_refuses_sizes_that_overflow(void **state) {
  (void)state;
  mb_module *m = mb_module_new(TA);
  assert_non_null(m);
  assert_null(mb_module_alloc(m, SIZE_MAX));
  assert_null(mb_module_alloc(m, SIZE_MAX - 1));
  assert_null(mb_module_alloc(m, SIZE_MAX - 15));
  assert_null(mb_module_alloc(m, SIZE_MAX / 2 + 1));
  /* ordinary requests: zeroed, 8-byte aligned, distinct, also past a chunk */
  uint8_t *a = mb_module_alloc(m, 1), *b = mb_module_alloc(m, 100000), *c = mb_module_alloc(m, 0);
  assert_non_null(a);
  assert_non_null(b);
  assert_non_null(c);
  assert_true(a != b && b != c && a != c);
  assert_int_equal((uintptr_t)a % 8, 0);
  assert_int_equal((uintptr_t)b % 8, 0);
  for (size_t i = 0; i < 100000; i++) assert_int_equal(b[i], 0);
  memset(b, 0xFF, 100000);
  assert_int_equal(a[0], 0);
  mb_module_free(m);
}

/* ---- permute ---- */

static void permute_module(tb *m, bool permuted) {
  tb c;
  tb_init(&c);
  tb_preamble(m);
  tb_section_raw(m, 1, TB_BYTES(0x02, 0x60, 0x00, 0x00, 0x60, 0x00, 0x01, 0x7F));
  tb_section_raw(m, 2, TB_BYTES(0x01, 0x03, 'e', 'n', 'v', 0x01, 'f', 0x00, 0x00));
  if (!permuted) {
    tb_section_raw(m, 3, TB_BYTES(0x02, 0x01, 0x00));            /* a: [] -> [i32], b */
    tb_section_raw(m, 4, TB_BYTES(0x01, 0x70, 0x00, 0x02));
    tb_section_raw(m, 5, TB_BYTES(0x02, 0x00, 0x01, 0x00, 0x02)); /* 1 page, 2 pages */
    tb_section_raw(m, 6, TB_BYTES(0x01, 0x70, 0x00, 0xD2, 0x01, 0x0B)); /* ref.func a */
    tb_section_raw(m, 7, TB_BYTES(0x03, 0x01, 'a', 0x00, 0x01, 0x01, 'b', 0x00, 0x02, 0x02, 'm',
                                  '0', 0x02, 0x00));
    tb_section_raw(m, 8, TB_BYTES(0x02)); /* start: b */
    tb_section_raw(m, 9, TB_BYTES(0x02, 0x00, 0x41, 0x00, 0x0B, 0x02, 0x01, 0x02, 0x03, 0x00, 0x01,
                                  0x02));
    tb_section_raw(m, 10, TB_BYTES(0x02,
                                   0x07, 0x00, 0x41, 0x00, 0x28, 0x02, 0x04, 0x0B, /* a */
                                   0x0A, 0x00, 0x10, 0x01, 0x1A, 0x3F, 0x01, 0x1A, 0x10, 0x00,
                                   0x0B)); /* b: call a, memory.size 1, call f */
    tb_section_raw(m, 11, TB_BYTES(0x02, 0x00, 0x41, 0x00, 0x0B, 0x01, 'A', 0x02, 0x01, 0x41,
                                   0x00, 0x0B, 0x01, 'B'));
    custom(m, "name", "\x00\x02\x01M"
                      "\x01\x0A\x03\x00\x01" "f\x01\x01" "a\x02\x01" "b"
                      "\x06\x09\x02\x00\x02" "m0\x01\x02" "m1");
  } else {
    tb_section_raw(m, 3, TB_BYTES(0x02, 0x00, 0x01));
    tb_section_raw(m, 4, TB_BYTES(0x01, 0x70, 0x00, 0x02));
    tb_section_raw(m, 5, TB_BYTES(0x02, 0x00, 0x02, 0x00, 0x01));
    tb_section_raw(m, 6, TB_BYTES(0x01, 0x70, 0x00, 0xD2, 0x02, 0x0B));
    tb_section_raw(m, 7, TB_BYTES(0x03, 0x01, 'a', 0x00, 0x02, 0x01, 'b', 0x00, 0x01, 0x02, 'm',
                                  '0', 0x02, 0x01));
    tb_section_raw(m, 8, TB_BYTES(0x01));
    tb_section_raw(m, 9, TB_BYTES(0x02, 0x00, 0x41, 0x00, 0x0B, 0x02, 0x02, 0x01, 0x03, 0x00, 0x01,
                                  0x01));
    tb_section_raw(m, 10, TB_BYTES(0x02,
                                   0x0A, 0x00, 0x10, 0x02, 0x1A, 0x3F, 0x00, 0x1A, 0x10, 0x00,
                                   0x0B, /* b, now function 1 */
                                   0x08, 0x00, 0x41, 0x00, 0x28, 0x42, 0x01, 0x04, 0x0B)); /* a */
    /* flag 0 (memory 0) became flag 2 with memory 1, and the other way round */
    tb_section_raw(m, 11, TB_BYTES(0x02, 0x02, 0x01, 0x41, 0x00, 0x0B, 0x01, 'A', 0x00, 0x41, 0x00,
                                   0x0B, 0x01, 'B'));
    /* the name maps keyed by the new indices, in increasing order again */
    custom(m, "name", "\x00\x02\x01M"
                      "\x01\x0A\x03\x00\x01" "f\x01\x01" "b\x02\x01" "a"
                      "\x06\x09\x02\x00\x02" "m1\x01\x02" "m0");
  }
  tb_fini(&c);
}

static void permute_swaps_memories_and_functions(void **state) {
  (void)state;
  tb in, want;
  tb_init(&in);
  tb_init(&want);
  permute_module(&in, false);
  permute_module(&want, true);
  mb_module *m = read_ok(&in);
  static const uint32_t fmap[3] = {0, 2, 1}, mmap[2] = {1, 0};
  mb_remap r = {{0}, {0}};
  r.map[MB_SPACE_FUNC] = fmap;
  r.count[MB_SPACE_FUNC] = 3;
  r.map[MB_SPACE_MEMORY] = mmap;
  r.count[MB_SPACE_MEMORY] = 2;
  mb_diag diag = {0};
  mb_err e = mb_module_permute(m, &r, &diag);
  if (e) fail_msg("permute: %s: %s", mb_err_name(e), diag.message);
  assert_writes(m, &want);
  mb_module_free(m);
  mb_module_free(read_ok(&want)); /* and it reads back */

  /* permuting back gives the original bytes, except the name section's position-free
   * re-encoding, which is the same here */
  m = read_ok(&want);
  assert_int_equal(mb_module_permute(m, &r, &diag), MB_OK);
  assert_writes(m, &in);
  mb_module_free(m);

  /* an import may not move; a map that is not a permutation is refused, module unchanged */
  m = read_ok(&in);
  static const uint32_t moves_import[3] = {1, 0, 2}, not_perm[3] = {0, 1, 1};
  r.map[MB_SPACE_FUNC] = moves_import;
  assert_int_equal(mb_module_permute(m, &r, &diag), MB_ERR_INVALID_ARG);
  r.map[MB_SPACE_FUNC] = not_perm;
  assert_int_equal(mb_module_permute(m, &r, &diag), MB_ERR_INVALID_ARG);
  r.map[MB_SPACE_FUNC] = fmap;
  r.count[MB_SPACE_FUNC] = 2; /* wrong size */
  assert_int_equal(mb_module_permute(m, &r, &diag), MB_ERR_INVALID_ARG);
  assert_writes(m, &in);
  mb_module_free(m);
  tb_fini(&in);
  tb_fini(&want);
}

/* Permuting every space and then applying the inverse permutation to the module read
 * back from the output gives the original bytes. */
static void permute_and_back_is_identity(void **state) {
  (void)state;
  tb in, mid;
  tb_init(&in);
  tb_init(&mid);
  minimal_module(&in);
  /* imports (index 0 of func, table, memory, global, tag) stay; the rest moves */
  static const uint32_t type_f[3] = {2, 0, 1}, type_b[3] = {1, 2, 0};
  static const uint32_t swap12[3] = {0, 2, 1};
  static const uint32_t elem_f[11] = {3, 4, 5, 6, 7, 8, 9, 10, 0, 1, 2},
                        elem_b[11] = {8, 9, 10, 0, 1, 2, 3, 4, 5, 6, 7};
  static const uint32_t data_f[3] = {2, 0, 1}, data_b[3] = {1, 2, 0};
  mb_remap fwd = {{0}, {0}}, back = {{0}, {0}};
  fwd.map[MB_SPACE_TYPE] = type_f, back.map[MB_SPACE_TYPE] = type_b;
  fwd.map[MB_SPACE_FUNC] = back.map[MB_SPACE_FUNC] = swap12;
  fwd.map[MB_SPACE_TABLE] = back.map[MB_SPACE_TABLE] = swap12;
  fwd.map[MB_SPACE_GLOBAL] = back.map[MB_SPACE_GLOBAL] = swap12;
  fwd.map[MB_SPACE_ELEM] = elem_f, back.map[MB_SPACE_ELEM] = elem_b;
  fwd.map[MB_SPACE_DATA] = data_f, back.map[MB_SPACE_DATA] = data_b;
  for (int s = 0; s < MB_SPACE_COUNT; s++)
    fwd.count[s] = back.count[s] = s == MB_SPACE_ELEM ? 11 : 3;

  mb_module *m = read_ok(&in);
  mb_diag diag = {0};
  mb_err e = mb_module_permute(m, &fwd, &diag);
  if (e) fail_msg("permute: %s: %s", mb_err_name(e), diag.message);
  mb_buf out;
  mb_buf_init(&out, TA);
  assert_int_equal(mb_wasm_write(m, &out, &diag), MB_OK);
  tb_put(&mid, out.data, out.len);
  mb_buf_fini(&out);
  mb_module_free(m);
  assert_true(mid.n != in.n || memcmp(mid.d, in.d, in.n) != 0);

  m = read_ok(&mid);
  e = mb_module_permute(m, &back, &diag);
  if (e) fail_msg("permute back: %s: %s", mb_err_name(e), diag.message);
  assert_writes(m, &in);
  mb_module_free(m);
  tb_fini(&in);
  tb_fini(&mid);
}

/* mb_module_remap keeps names pointing at the right entities or drops them: an
 * unparseable name section goes, other customs stay, unknown subsections are copied. */
static void remap_drops_unparseable_names(void **state) {
  (void)state;
  static const uint32_t swap[3] = {0, 2, 1};
  mb_remap r = {{0}, {0}};
  r.map[MB_SPACE_FUNC] = swap;
  r.count[MB_SPACE_FUNC] = 3;
  for (int bad = 0; bad < 2; bad++) {
    tb in, want;
    tb_init(&in);
    tb_init(&want);
    for (int w = 0; w < 2; w++) {
      tb *t = w ? &want : &in;
      tb_preamble(t);
      tb_section_raw(t, 1, TB_BYTES(0x01, 0x60, 0x00, 0x00));
      tb_section_raw(t, 3, TB_BYTES(0x03, 0x00, 0x00, 0x00));
      tb_section_raw(t, 10, TB_BYTES(0x03, 0x02, 0x00, 0x0B, 0x02, 0x00, 0x0B, 0x02, 0x00, 0x0B));
      custom(t, "other", "");
      if (bad && !w) /* function names whose map runs past its subsection */
        custom(t, "name", "\x01\x05\x03\x00\x01" "a\x01");
      else if (!bad && !w) /* function names and an unknown subsection 0x20 */
        custom(t, "name", "\x01\x0A\x03\x00\x01" "a\x01\x01" "b\x02\x01" "c\x20\x01\xFF");
      else if (!bad && w)
        custom(t, "name", "\x01\x0A\x03\x00\x01" "a\x01\x01" "c\x02\x01" "b\x20\x01\xFF");
      custom(t, "last", "");
    }
    mb_module *m = read_ok(&in);
    mb_diag diag = {0};
    assert_int_equal(mb_module_remap(m, &r, &diag), MB_OK);
    assert_writes(m, &want);
    mb_module_free(m);
    tb_fini(&in);
    tb_fini(&want);
  }
}

/* ---- bodies renumbered on the way out (mb_code.remap, the linker's output) ---- */

/* Two functions, the first calling the second: f0 = call IDX, f1 = nop. */
static void calls_module(tb *m, const uint8_t *call_idx, size_t idx_len, bool padded) {
  tb code;
  tb_init(&code);
  TB_PUT(&code, 0x02, (uint8_t)(3 + idx_len), 0x00, 0x10);
  tb_put(&code, call_idx, idx_len);
  TB_PUT(&code, 0x0B, 0x02, 0x00, 0x0B);
  tb_preamble(m);
  tb_section_raw(m, 1, TB_BYTES(0x01, 0x60, 0x00, 0x00));
  tb_section_raw(m, 3, TB_BYTES(0x02, 0x00, 0x00));
  if (padded) padded_section(m, 10, &code);
  else tb_section(m, 10, &code);
  tb_fini(&code);
}

static void slurp_fd(int fd, tb *out) {
  uint8_t chunk[256];
  ssize_t n;
  while ((n = read(fd, chunk, sizeof chunk)) > 0) tb_put(out, chunk, (size_t)n);
  assert_true(n == 0);
}

static void file_equals(const char *path, const tb *want); /* below, with the path tests */

static void pending_bodies_renumbered_on_write(void **state) {
  (void)state;
  static const uint8_t one[1] = {0x01}, wide[2] = {0xC8, 0x01}; /* 1, and 200 */
  static const uint32_t to200[2] = {0, 200};
  mb_remap r = {{0}, {0}};
  r.map[MB_SPACE_FUNC] = to200;
  r.count[MB_SPACE_FUNC] = 2;
  tb in, padded, minimal, got;
  tb_init(&in);
  tb_init(&padded);
  tb_init(&minimal);
  calls_module(&in, one, 1, false);
  calls_module(&padded, wide, 2, true);
  calls_module(&minimal, wide, 2, false);
  mb_module *m = read_ok(&in);
  for (uint32_t i = 0; i < m->ncodes; i++) m->codes[i].remap = &r;
  mb_module_mark_dirty(m, MB_SEC_CODE);

  /* a buffer and a seekable file: the body grew by one byte, the section size was
   * patched into its 5-byte slot */
  assert_writes(m, &padded);
  FILE *f = tmpfile();
  assert_non_null(f);
  mb_diag diag = {0};
  assert_int_equal(mb_wasm_write_file(m, f, &diag), MB_OK);
  assert_int_equal(fflush(f), 0);
  rewind(f);
  tb_init(&got);
  slurp_fd(fileno(f), &got);
  assert_bytes(got.d, got.n, padded.d, padded.n);
  fclose(f);
  tb_fini(&got);

  /* a pipe cannot go back: a measuring pass, and the minimal encoding */
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  FILE *w = fdopen(fds[1], "wb");
  assert_non_null(w);
  assert_int_equal(mb_wasm_write_file(m, w, &diag), MB_OK);
  assert_int_equal(fclose(w), 0);
  tb_init(&got);
  slurp_fd(fds[0], &got);
  close(fds[0]);
  assert_bytes(got.d, got.n, minimal.d, minimal.n);
  tb_fini(&got);

  /* a file opened for appending writes only at its end: the same as a pipe */
  char path[] = "/tmp/mb-append-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, "xy", 2), 2);
  close(fd);
  FILE *a = fopen(path, "ab");
  assert_non_null(a);
  assert_int_equal(mb_wasm_write_file(m, a, &diag), MB_OK);
  assert_int_equal(fclose(a), 0);
  tb want_appended;
  tb_init(&want_appended);
  tb_put(&want_appended, "xy", 2);
  tb_put(&want_appended, minimal.d, minimal.n);
  file_equals(path, &want_appended);
  tb_fini(&want_appended);
  assert_int_equal(unlink(path), 0);

  /* mb_module_remap applies the pending map first (here followed by the identity) */
  mb_remap none = {{0}, {0}};
  assert_int_equal(mb_module_remap(m, &none, &diag), MB_OK);
  assert_null(m->codes[0].remap);
  assert_writes(m, &minimal);
  mb_module_free(m);
  tb_fini(&in);
  tb_fini(&padded);
  tb_fini(&minimal);
}

/* ---- primitives ---- */

static void buffer_and_leb_primitives(void **state) {
  (void)state;
  mb_buf b;
  mb_buf_init(&b, TA);
  assert_true(mb_buf_u32(&b, 0));
  assert_true(mb_buf_u32(&b, 127));
  assert_true(mb_buf_u32(&b, 128));
  assert_true(mb_buf_u32(&b, UINT32_MAX));
  assert_true(mb_buf_u64(&b, UINT64_MAX));
  assert_true(mb_buf_s32(&b, -1));
  assert_true(mb_buf_s32(&b, 63));
  assert_true(mb_buf_s32(&b, 64));
  assert_true(mb_buf_s32(&b, -64));
  assert_true(mb_buf_s32(&b, -65));
  assert_true(mb_buf_s32(&b, INT32_MIN));
  assert_true(mb_buf_s64(&b, INT64_MIN));
  assert_true(mb_buf_s64(&b, INT64_MAX));
  assert_true(mb_buf_byte(&b, 0xAB));
  assert_true(mb_buf_append(&b, "xyz", 3));
  assert_true(mb_buf_append(&b, NULL, 0));
  static const uint8_t want[] = {
      0x00, 0x7F, 0x80, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F,                   /* u32 */
      0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01,             /* u64 max */
      0x7F, 0x3F, 0xC0, 0x00, 0x40, 0xBF, 0x7F, 0x80, 0x80, 0x80, 0x80, 0x78, /* s32 */
      0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7F,             /* s64 min */
      0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00,             /* s64 max */
      0xAB, 'x', 'y', 'z'};
  assert_bytes(b.data, b.len, want, sizeof want);
  assert_false(b.failed);
  mb_buf_fini(&b);
  assert_null(b.data);
  assert_int_equal(b.len, 0);

  /* a failed buffer stays failed and ignores later appends */
  test_alloc_install(1, false);
  mb_buf_init(&b, TA);
  assert_false(mb_buf_byte(&b, 1));
  assert_true(b.failed);
  assert_false(mb_buf_append(&b, "ab", 2));
  assert_false(mb_buf_append(&b, "", 0));
  assert_int_equal(b.len, 0);
  mb_buf_fini(&b);
  test_alloc_install(0, false);

  assert_int_equal(mb_leb_size(0), 1);
  assert_int_equal(mb_leb_size(127), 1);
  assert_int_equal(mb_leb_size(128), 2);
  assert_int_equal(mb_leb_size(UINT32_MAX), 5);
  assert_int_equal(mb_leb_size(UINT64_MAX), 10);
}

static void section_ids_and_names(void **state) {
  (void)state;
  /* the required order is not numeric: tag (13) after memory, data count (12) before code */
  static const uint8_t ids[MB_SEC_COUNT] = {1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11};
  static const char *const names[MB_SEC_COUNT] = {
      "type",   "import", "function", "table",      "memory", "tag", "global",
      "export", "start",  "element",  "data count", "code",   "data"};
  for (int s = 0; s < MB_SEC_COUNT; s++) {
    assert_int_equal(mb_sec_id((mb_sec)s), ids[s]);
    assert_int_equal(mb_sec_from_id(ids[s]), s);
    assert_string_equal(mb_sec_name((mb_sec)s), names[s]);
  }
  assert_int_equal(mb_sec_from_id(0), -1);
  assert_int_equal(mb_sec_from_id(14), -1);
  assert_int_equal(mb_sec_from_id(255), -1);
  for (int e = MB_OK; e < MB_ERR_COUNT_; e++)
    assert_string_not_equal(mb_err_name((mb_err)e), "unknown error");
  assert_string_equal(mb_err_name(MB_ERR_UNEXPECTED_END), "unexpected end");
  assert_string_equal(mb_err_name(MB_ERR_BAD_MAGIC), "magic header not detected");
  assert_string_equal(mb_err_name(MB_ERR_COUNT_), "unknown error");
  assert_string_equal(mb_err_name((mb_err)-1), "unknown error");
}

/* ---- mb_wasm_write_path ---- */

static size_t dir_entries(const char *dir, char *first, size_t n) {
  DIR *d = opendir(dir);
  assert_non_null(d);
  size_t count = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
    if (count++ == 0 && first) snprintf(first, n, "%s", de->d_name);
  }
  closedir(d);
  return count;
}

static void file_equals(const char *path, const tb *want) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  tb got;
  tb_init(&got);
  uint8_t buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) tb_put(&got, buf, n);
  fclose(f);
  assert_bytes(got.d, got.n, want->d, want->n);
  tb_fini(&got);
}

static void write_file_bytes(const char *path, const char *s) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  fputs(s, f);
  assert_int_equal(fclose(f), 0);
}

static void write_path_is_atomic(void **state) {
  (void)state;
  char dir[] = "/tmp/mb-write-test-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char path[512], name[256];
  tb in;
  tb_init(&in);
  minimal_module(&in);
  mb_module *m = read_ok(&in);
  mb_diag diag = {0};

  /* a new file: complete, ordinary permissions, nothing else left in the directory */
  snprintf(path, sizeof path, "%s/out.wasm", dir);
  assert_int_equal(mb_wasm_write_path(m, path, &diag), MB_OK);
  file_equals(path, &in);
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  mode_t mask = umask(0);
  umask(mask);
  /* not mkstemp's 0600: an ordinary file (0644 as written today, or what the umask
   * allows) */
  assert_true((st.st_mode & 0777) == 0644 || (st.st_mode & 0777) == (0666 & ~mask));
  assert_int_equal(dir_entries(dir, name, sizeof name), 1);
  assert_string_equal(name, "out.wasm");

  /* mb_file_read gives it back */
  uint8_t *data = NULL;
  size_t len = 0;
  assert_int_equal(mb_file_read(TA, path, &data, &len, &diag), MB_OK);
  assert_bytes(data, len, in.d, in.n);
  mb_file_free(TA, data, len);
  memset(&diag, 0, sizeof diag);
  assert_int_equal(mb_file_read(TA, dir, &data, &len, &diag), MB_ERR_IO);
  assert_non_null(strstr(diag.message, "not a regular file"));
  assert_null(data);
  snprintf(name, sizeof name, "%s/none.wasm", dir);
  assert_int_equal(mb_file_read(TA, name, &data, &len, &diag), MB_ERR_IO);
  assert_non_null(strstr(diag.message, "cannot open"));
  assert_null(data);

  /* over an existing file: replaced whole */
  write_file_bytes(path, "old contents");
  assert_int_equal(mb_wasm_write_path(m, path, &diag), MB_OK);
  file_equals(path, &in);
  assert_int_equal(dir_entries(dir, NULL, 0), 1);

  /* a directory that does not exist: an I/O error, nothing created */
  snprintf(path, sizeof path, "%s/missing/out.wasm", dir);
  memset(&diag, 0, sizeof diag);
  assert_int_equal(mb_wasm_write_path(m, path, &diag), MB_ERR_IO);
  assert_int_equal(diag.code, MB_ERR_IO);
  assert_non_null(strstr(diag.message, "cannot create"));
  assert_int_equal(dir_entries(dir, NULL, 0), 1);

  /* a "directory" that is a regular file (unwritable even for root) */
  snprintf(path, sizeof path, "%s/out.wasm/x.wasm", dir);
  assert_int_equal(mb_wasm_write_path(m, path, &diag), MB_ERR_IO);
  assert_int_equal(dir_entries(dir, NULL, 0), 1);

  /* an unwritable directory (permissions do not stop root, so only when not root) */
  char ro[300];
  snprintf(ro, sizeof ro, "%s/ro", dir);
  assert_int_equal(mkdir(ro, 0555), 0);
  if (geteuid() != 0) {
    snprintf(path, sizeof path, "%s/out.wasm", ro);
    memset(&diag, 0, sizeof diag);
    assert_int_equal(mb_wasm_write_path(m, path, &diag), MB_ERR_IO);
    assert_int_equal(diag.code, MB_ERR_IO);
    assert_int_equal(dir_entries(ro, NULL, 0), 0);
  }
  assert_int_equal(rmdir(ro), 0);

  /* the rename fails (the target is a non-empty directory): the temporary file is gone */
  char target[300], inner[400];
  snprintf(target, sizeof target, "%s/target", dir);
  assert_int_equal(mkdir(target, 0755), 0);
  snprintf(inner, sizeof inner, "%s/keep", target);
  write_file_bytes(inner, "k");
  memset(&diag, 0, sizeof diag);
  assert_int_equal(mb_wasm_write_path(m, target, &diag), MB_ERR_IO);
  assert_non_null(strstr(diag.message, "cannot rename"));
  assert_int_equal(dir_entries(dir, NULL, 0), 2); /* out.wasm and target */
  assert_int_equal(dir_entries(target, NULL, 0), 1);
  assert_int_equal(unlink(inner), 0);
  assert_int_equal(rmdir(target), 0);

  /* the write itself fails (file size limit): the old file is untouched, no temporary
   * file is left */
  snprintf(path, sizeof path, "%s/out.wasm", dir);
  write_file_bytes(path, "old contents");
  struct rlimit saved, small;
  assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
  small = saved;
  small.rlim_cur = 16;
  void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
  assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
  memset(&diag, 0, sizeof diag);
  mb_err e = mb_wasm_write_path(m, path, &diag);
  assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
  signal(SIGXFSZ, old_handler);
  assert_int_equal(e, MB_ERR_IO);
  assert_int_equal(diag.code, MB_ERR_IO);
  tb old;
  tb_init(&old);
  tb_put(&old, "old contents", 12);
  file_equals(path, &old);
  tb_fini(&old);
  assert_int_equal(dir_entries(dir, NULL, 0), 1);

  assert_int_equal(unlink(path), 0);
  assert_int_equal(rmdir(dir), 0);
  mb_module_free(m);
  tb_fini(&in);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      LINKER_TEST(unchanged_module_written_byte_identical),
      LINKER_TEST(all_dirty_minimal_module_is_byte_identical),
      LINKER_TEST(strip_removes_customs),
      LINKER_TEST(custom_placement_preserved),
      LINKER_TEST(built_module_roundtrip),
      LINKER_TEST(built_gc_types_roundtrip),
      LINKER_TEST(module_alloc_refuses_sizes_that_overflow),
      LINKER_TEST(permute_swaps_memories_and_functions),
      LINKER_TEST(permute_and_back_is_identity),
      LINKER_TEST(remap_drops_unparseable_names),
      LINKER_TEST(pending_bodies_renumbered_on_write),
      LINKER_TEST(write_path_is_atomic),
      LINKER_TEST(buffer_and_leb_primitives),
      LINKER_TEST(section_ids_and_names),
  };
  return cmocka_run_group_tests_name("linker_write", tests, NULL, NULL);
}
