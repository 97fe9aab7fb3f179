/* test_linker_reader.c — every error path of mb_wasm_read: the code, a substring of the
 * message and the byte offset, on hand-assembled modules (ref/wasm-binary.md §1–§4,
 * §13). Offsets are taken from the builder while the offending byte is written, not
 * counted by hand. Also: every truncation of a small module, and a fail-the-N-th-
 * allocation sweep over read + remap + write. */
#include <stdio.h>
#include <sys/mman.h>

#include "linker_test_util.h"

/* ---- helpers ---- */

/* Append a section; returns the module offset of its contents. */
static size_t sec(tb *m, uint8_t id, const tb *contents) {
  tb_byte(m, id);
  tb_u32(m, contents->n);
  size_t at = m->n;
  tb_put(m, contents->d, contents->n);
  return at;
}

static void expect_at(const tb *m, mb_err code, const char *substr, size_t off, int line) {
  mb_module *mod = (mb_module *)&mod; /* must come back NULL */
  mb_diag diag;
  memset(&diag, 0xAB, sizeof diag);
  mb_err e = mb_wasm_read(TA, m->d, m->n, &mod, &diag);
  if (e != code || diag.code != code || diag.offset != off || !strstr(diag.message, substr))
    fail_msg("line %d: want %s at %zu containing \"%s\"; got %s at %llu: \"%s\"", line,
             mb_err_name(code), off, substr, mb_err_name(e), (unsigned long long)diag.offset,
             e == MB_OK ? "" : diag.message);
  assert_null(mod);
}
#define EXPECT(m, code, substr, off) expect_at((m), (code), (substr), (off), __LINE__)

static void expect_ok_at(const tb *m, int line) {
  mb_module *mod = NULL;
  mb_diag diag = {0};
  mb_err e = mb_wasm_read(TA, m->d, m->n, &mod, &diag);
  if (e != MB_OK)
    fail_msg("line %d: want ok; got %s at %llu: \"%s\"", line, mb_err_name(e),
             (unsigned long long)diag.offset, diag.message);
  assert_non_null(mod);
  mb_module_free(mod);
}
#define EXPECT_OK(m) expect_ok_at((m), __LINE__)

/* Type section with the one type [] -> []. */
static void type_void(tb *m) { tb_section_raw(m, 1, TB_BYTES(0x01, 0x60, 0x00, 0x00)); }

enum { WITH_MEM = 1, WITH_DATACOUNT = 2, WITH_TABLE = 4, WITH_GLOBAL = 8, WITH_TAG = 16 };

/* A module with one function of type [] -> [] whose code entry (locals + expr) is
 * `body`; returns the module offset of the body. WITH_DATACOUNT adds a data count of 1
 * and one passive data segment. */
static size_t func_module(tb *m, const uint8_t *body, size_t n, unsigned with) {
  tb s;
  tb_init(&s);
  tb_preamble(m);
  type_void(m);
  tb_section_raw(m, 3, TB_BYTES(0x01, 0x00));
  if (with & WITH_TABLE) tb_section_raw(m, 4, TB_BYTES(0x01, 0x70, 0x00, 0x01));
  if (with & WITH_MEM) tb_section_raw(m, 5, TB_BYTES(0x01, 0x00, 0x01));
  if (with & WITH_TAG) tb_section_raw(m, 13, TB_BYTES(0x01, 0x00, 0x00));
  if (with & WITH_GLOBAL) tb_section_raw(m, 6, TB_BYTES(0x01, 0x7F, 0x01, 0x41, 0x00, 0x0B));
  if (with & WITH_DATACOUNT) tb_section_raw(m, 12, TB_BYTES(0x01));
  tb_u32(&s, 1);
  tb_u32(&s, n);
  size_t in_sec = s.n;
  tb_put(&s, body, n);
  size_t at = sec(m, 10, &s) + in_sec;
  if (with & WITH_DATACOUNT) tb_section_raw(m, 11, TB_BYTES(0x01, 0x01, 0x00));
  tb_fini(&s);
  return at;
}
#define FUNC(m, with, ...) func_module((m), TB_BYTES(__VA_ARGS__), (with))

/* Expect an error inside a function body at body offset `at` (0 = the local count). */
#define EXPECT_BODY(with, code, substr, at, ...)                                  \
  do {                                                                           \
    tb m_;                                                                       \
    tb_init(&m_);                                                                \
    size_t off_ = FUNC(&m_, (with), __VA_ARGS__);                                \
    EXPECT(&m_, (code), (substr), off_ + (at));                                  \
    tb_fini(&m_);                                                                \
  } while (0)
#define EXPECT_BODY_OK(with, ...)                                                \
  do {                                                                           \
    tb m_;                                                                       \
    tb_init(&m_);                                                                \
    FUNC(&m_, (with), __VA_ARGS__);                                              \
    EXPECT_OK(&m_);                                                              \
    tb_fini(&m_);                                                                \
  } while (0)

/* A module: preamble + one section (id, contents); the error is at contents + at. */
#define EXPECT_SECTION(id, code, substr, at, ...)                                 \
  do {                                                                           \
    tb m_, s_;                                                                   \
    tb_init(&m_);                                                                \
    tb_init(&s_);                                                                \
    tb_preamble(&m_);                                                            \
    TB_PUT(&s_, __VA_ARGS__);                                                    \
    size_t off_ = sec(&m_, (id), &s_);                                           \
    EXPECT(&m_, (code), (substr), off_ + (at));                                  \
    tb_fini(&m_);                                                                \
    tb_fini(&s_);                                                                \
  } while (0)

#define EXPECT_SECTION_OK(id, ...)                                                \
  do {                                                                           \
    tb m_, s_;                                                                   \
    tb_init(&m_);                                                                \
    tb_init(&s_);                                                                \
    tb_preamble(&m_);                                                            \
    TB_PUT(&s_, __VA_ARGS__);                                                    \
    sec(&m_, (id), &s_);                                                         \
    EXPECT_OK(&m_);                                                              \
    tb_fini(&m_);                                                                \
    tb_fini(&s_);                                                                \
  } while (0)

/* ---- preamble ---- */

/* Bug fix: a preamble cut short was "magic header not detected" / "unknown binary
 * version"; the spec's binary.wast says "unexpected end" (even for "\01"). */
static void preamble_errors(void **state) {
  (void)state;
  tb m;
  tb_init(&m);
  EXPECT(&m, MB_ERR_UNEXPECTED_END, "unexpected end", 0); /* empty input */
  TB_PUT(&m, 0x01);
  EXPECT(&m, MB_ERR_UNEXPECTED_END, "unexpected end", 0);
  m.n = 0;
  TB_PUT(&m, 0x00, 0x61, 0x73);
  EXPECT(&m, MB_ERR_UNEXPECTED_END, "unexpected end", 0);
  m.n = 0;
  TB_PUT(&m, 0x61, 0x73, 0x6D, 0x00); /* "asm\0" */
  EXPECT(&m, MB_ERR_BAD_MAGIC, "magic header not detected", 0);
  m.n = 0;
  TB_PUT(&m, 0x00, 0x61, 0x73, 0x6E, 0x01, 0x00, 0x00, 0x00);
  EXPECT(&m, MB_ERR_BAD_MAGIC, "magic header not detected", 0);
  m.n = 0;
  TB_PUT(&m, 0x00, 0x41, 0x53, 0x4D, 0x01, 0x00, 0x00, 0x00); /* "\0ASM" */
  EXPECT(&m, MB_ERR_BAD_MAGIC, "magic header not detected", 0);
  m.n = 0;
  TB_PUT(&m, 0x00, 0x61, 0x73, 0x6D);
  EXPECT(&m, MB_ERR_UNEXPECTED_END, "unexpected end", 4);
  TB_PUT(&m, 0x01, 0x00, 0x00);
  EXPECT(&m, MB_ERR_UNEXPECTED_END, "unexpected end", 4);
  TB_PUT(&m, 0x01); /* version 0x01000001 */
  EXPECT(&m, MB_ERR_BAD_VERSION, "unknown binary version", 4);
  m.n = 0;
  TB_PUT(&m, 0x00, 0x61, 0x73, 0x6D, 0x02, 0x00, 0x00, 0x00);
  EXPECT(&m, MB_ERR_BAD_VERSION, "unknown binary version: expected 1", 4);
  m.n = 0;
  TB_PUT(&m, 0x00, 0x61, 0x73, 0x6D, 0x00, 0x00, 0x00, 0x01);
  EXPECT(&m, MB_ERR_BAD_VERSION, "unknown binary version", 4);
  m.n = 0; /* a component: version 0x0d, layer 1 */
  TB_PUT(&m, 0x00, 0x61, 0x73, 0x6D, 0x0D, 0x00, 0x01, 0x00);
  EXPECT(&m, MB_ERR_BAD_VERSION, "this is a component, not a core module", 4);
  m.n = 0;
  tb_preamble(&m);
  EXPECT_OK(&m); /* the empty module */
  tb_fini(&m);
}

/* Past 1 GiB (the JS API's module size limit) a module is refused before it is read. */
static void module_size_limit(void **state) {
  (void)state;
  size_t len = ((size_t)1 << 30) + 1;
  /* address space only: no page is ever touched */
  uint8_t *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) skip();
  mb_module *mod = (mb_module *)&mod;
  mb_diag diag = {0};
  assert_int_equal(mb_wasm_read(TA, p, len, &mod, &diag), MB_ERR_TOO_MANY);
  assert_diag(diag, MB_ERR_TOO_MANY, "module too large", 0);
  assert_null(mod);
  munmap(p, len);
}

/* ---- every truncation of a small module ---- */

static void truncation_at_every_byte(void **state) {
  (void)state;
  tb m;
  tb_init(&m);
  size_t cut[16], ncut = 0; /* section boundaries: valid prefixes of the module */
  tb_preamble(&m);
  cut[ncut++] = m.n;
  tb_section_raw(&m, 1, TB_BYTES(0x02, 0x60, 0x00, 0x00, 0x60, 0x01, 0x7F, 0x01, 0x7F));
  cut[ncut++] = m.n;
  tb_section_raw(&m, 2, TB_BYTES(0x01, 0x03, 'e', 'n', 'v', 0x01, 'f', 0x00, 0x01));
  cut[ncut++] = m.n;
  size_t func_end = 0;
  tb_section_raw(&m, 3, TB_BYTES(0x02, 0x00, 0x01));
  func_end = cut[ncut++] = m.n;
  tb_section_raw(&m, 4, TB_BYTES(0x01, 0x70, 0x00, 0x02));
  cut[ncut++] = m.n;
  tb_section_raw(&m, 5, TB_BYTES(0x01, 0x01, 0x01, 0x02));
  cut[ncut++] = m.n;
  tb_section_raw(&m, 6, TB_BYTES(0x01, 0x7F, 0x00, 0x41, 0x10, 0x0B));
  cut[ncut++] = m.n;
  tb_section_raw(&m, 7, TB_BYTES(0x02, 0x04, 'm', 'a', 'i', 'n', 0x00, 0x01, 0x01, 'm', 0x02, 0x00));
  cut[ncut++] = m.n;
  tb_section_raw(&m, 8, TB_BYTES(0x01));
  cut[ncut++] = m.n;
  tb_section_raw(&m, 9, TB_BYTES(0x01, 0x00, 0x41, 0x00, 0x0B, 0x02, 0x01, 0x02));
  cut[ncut++] = m.n;
  size_t dc_end = 0;
  tb_section_raw(&m, 12, TB_BYTES(0x02));
  dc_end = cut[ncut++] = m.n;
  size_t code_end = 0;
  tb_section_raw(&m, 10, TB_BYTES(0x02, 0x09, 0x01, 0x01, 0x7E, 0x20, 0x00, 0x10, 0x00, 0x1A,
                                   0x0B, 0x0B, 0x00, 0x41, 0x00, 0x28, 0x02, 0x08, 0x1A, 0xFC,
                                   0x09, 0x01, 0x0B));
  code_end = cut[ncut++] = m.n;
  tb_section_raw(&m, 11, TB_BYTES(0x02, 0x00, 0x41, 0x10, 0x0B, 0x02, 'h', 'i', 0x01, 0x01, 'x'));
  size_t data_end = cut[ncut++] = m.n;
  tb_section_raw(&m, 0, TB_BYTES(0x04, 'n', 'o', 't', 'e', 0xFF, 0x00));
  EXPECT_OK(&m);

  size_t errors = 0;
  for (size_t len = 0; len < m.n; len++) {
    bool boundary = false;
    for (size_t k = 0; k < ncut; k++) boundary |= cut[k] == len;
    mb_module *mod = (mb_module *)&mod;
    mb_diag diag = {0};
    mb_err e = mb_wasm_read(TA, m.d, len, &mod, &diag);
    /* a prefix that ends between sections is a module; it is valid unless the function
     * section lacks its code section or the data count its data section */
    mb_err want;
    if (!boundary) want = MB_ERR_UNEXPECTED_END;
    else if (len >= func_end && len < code_end) want = MB_ERR_FUNC_CODE_MISMATCH;
    else if (len >= dc_end && len < data_end) want = MB_ERR_DATA_COUNT;
    else want = MB_OK;
    if (e != want)
      fail_msg("truncated to %zu of %zu bytes: want %s, got %s (%s)", len, m.n, mb_err_name(want),
               mb_err_name(e), e ? diag.message : "");
    if (e == MB_OK) {
      assert_non_null(mod);
      mb_module_free(mod);
      continue;
    }
    errors++;
    assert_null(mod);
    assert_int_equal(diag.code, e);
    assert_true(diag.offset <= len);
    if (e == MB_ERR_UNEXPECTED_END) assert_non_null(strstr(diag.message, "unexpected end"));
  }
  assert_true(errors >= m.n - ncut);
  tb_fini(&m);
}

/* ---- LEB128 (§1.1) ---- */

static void leb_limits(void **state) {
  (void)state;
  /* u32: a count in 6 bytes, or 5 bytes with the unused bits set */
  EXPECT_SECTION(1, MB_ERR_LEB_TOO_LONG, "integer representation too long", 0, 0x80, 0x80,
                 0x80, 0x80, 0x80, 0x00);
  EXPECT_SECTION(1, MB_ERR_LEB_TOO_LARGE, "integer too large", 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F);
  EXPECT_SECTION(1, MB_ERR_LEB_TOO_LARGE, "integer too large", 0, 0x80, 0x80, 0x80, 0x80, 0x10);
  EXPECT_SECTION(1, MB_ERR_UNEXPECTED_END, "unexpected end", 0, 0x80, 0x80);
  { /* a section size in 6 bytes; padded to 5 it is fine */
    tb m;
    tb_init(&m);
    tb_preamble(&m);
    size_t at = m.n + 1;
    TB_PUT(&m, 0x01, 0x84, 0x80, 0x80, 0x80, 0x80, 0x00, 0x01, 0x60, 0x00, 0x00);
    EXPECT(&m, MB_ERR_LEB_TOO_LONG, "integer representation too long", at);
    m.n = 0;
    tb_preamble(&m);
    TB_PUT(&m, 0x01, 0x84, 0x80, 0x80, 0x80, 0x00, 0x01, 0x60, 0x00, 0x00);
    EXPECT_OK(&m);
    tb_fini(&m);
  }
  /* s32: i32.const */
  EXPECT_BODY(0, MB_ERR_LEB_TOO_LONG, "integer representation too long", 2, 0x00, 0x41, 0x80,
              0x80, 0x80, 0x80, 0x80, 0x00, 0x1A, 0x0B);
  EXPECT_BODY(0, MB_ERR_LEB_TOO_LARGE, "integer too large", 2, 0x00, 0x41, 0xFF, 0xFF, 0xFF,
              0xFF, 0x0F, 0x1A, 0x0B);
  EXPECT_BODY(0, MB_ERR_LEB_TOO_LARGE, "integer too large", 2, 0x00, 0x41, 0x80, 0x80, 0x80,
              0x80, 0x70, 0x1A, 0x0B);
  EXPECT_BODY_OK(0, 0x00, 0x41, 0x80, 0x80, 0x80, 0x80, 0x78, 0x1A, 0x0B); /* INT32_MIN */
  EXPECT_BODY_OK(0, 0x00, 0x41, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x1A, 0x0B); /* INT32_MAX */
  /* s33: a block type index */
  EXPECT_BODY(0, MB_ERR_LEB_TOO_LONG, "integer representation too long", 2, 0x00, 0x02, 0x80,
              0x80, 0x80, 0x80, 0x80, 0x00, 0x0B, 0x0B);
  EXPECT_BODY(0, MB_ERR_LEB_TOO_LARGE, "integer too large", 2, 0x00, 0x02, 0xFF, 0xFF, 0xFF,
              0xFF, 0x1F, 0x0B, 0x0B);
  EXPECT_BODY(0, MB_ERR_LEB_TOO_LARGE, "integer too large", 2, 0x00, 0x02, 0x80, 0x80, 0x80,
              0x80, 0x60, 0x0B, 0x0B);
  EXPECT_BODY_OK(0, 0x00, 0x02, 0x80, 0x80, 0x80, 0x80, 0x00, 0x0B, 0x0B); /* type 0, padded */
  /* a negative s33 that is not a value type code is no block type */
  EXPECT_BODY(0, MB_ERR_BAD_TYPE, "malformed block type", 2, 0x00, 0x02, 0xFF, 0xFF, 0xFF, 0xFF,
              0x7F, 0x0B, 0x0B);
  EXPECT_BODY(0, MB_ERR_INDEX_RANGE, "out of range", 2, 0x00, 0x02, 0x81, 0x80, 0x80, 0x80, 0x00,
              0x0B, 0x0B);
  /* s64: i64.const */
  EXPECT_BODY(0, MB_ERR_LEB_TOO_LONG, "integer representation too long", 2, 0x00, 0x42, 0x80,
              0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x1A, 0x0B);
  EXPECT_BODY(0, MB_ERR_LEB_TOO_LARGE, "integer too large", 2, 0x00, 0x42, 0x80, 0x80, 0x80,
              0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02, 0x1A, 0x0B);
  EXPECT_BODY(0, MB_ERR_LEB_TOO_LARGE, "integer too large", 2, 0x00, 0x42, 0xFF, 0xFF, 0xFF,
              0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7E, 0x1A, 0x0B);
  EXPECT_BODY_OK(0, 0x00, 0x42, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x1A,
                 0x0B);
  EXPECT_BODY_OK(0, 0x00, 0x42, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x1A,
                 0x0B);
  /* u64: memory limits and a memarg offset */
  EXPECT_SECTION(5, MB_ERR_LEB_TOO_LONG, "integer representation too long", 2, 0x01, 0x00, 0x80,
                 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00);
  EXPECT_SECTION(5, MB_ERR_LEB_TOO_LARGE, "integer too large", 2, 0x01, 0x00, 0x80, 0x80, 0x80,
                 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02);
  EXPECT_BODY(WITH_MEM, MB_ERR_LEB_TOO_LONG, "integer representation too long", 5, 0x00, 0x41,
              0x00, 0x28, 0x02, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00,
              0x1A, 0x0B);
  EXPECT_BODY(WITH_MEM, MB_ERR_LEB_TOO_LARGE, "integer too large", 5, 0x00, 0x41, 0x00, 0x28,
              0x02, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02, 0x1A, 0x0B);
  /* a 10-byte offset is legal (3.0 decodes every offset as u64) */
  EXPECT_BODY_OK(WITH_MEM, 0x00, 0x41, 0x00, 0x28, 0x02, 0x88, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                 0x80, 0x80, 0x00, 0x1A, 0x0B);
  /* a sub-opcode is a u32 too */
  EXPECT_BODY(0, MB_ERR_LEB_TOO_LONG, "integer representation too long", 2, 0x00, 0xFC, 0x80,
              0x80, 0x80, 0x80, 0x80, 0x00, 0x0B);
}

/* ---- section framing (§3) ---- */

static void section_ids_and_order(void **state) {
  (void)state;
  tb m;
  tb_init(&m);
  static const uint8_t bad_ids[] = {14, 15, 16, 20, 0x7F, 0x80, 0xFF};
  for (size_t i = 0; i < sizeof bad_ids; i++) {
    m.n = 0;
    tb_preamble(&m);
    type_void(&m);
    size_t at = m.n;
    tb_byte(&m, bad_ids[i]);
    tb_byte(&m, 0x00);
    EXPECT(&m, MB_ERR_BAD_SECTION_ID, "malformed section id", at);
  }
  /* out of order: type after function */
  m.n = 0;
  tb_preamble(&m);
  tb_section_raw(&m, 3, TB_BYTES(0x00));
  size_t at = m.n;
  type_void(&m);
  EXPECT(&m, MB_ERR_SECTION_ORDER, "unexpected type section", at);
  /* duplicate */
  m.n = 0;
  tb_preamble(&m);
  type_void(&m);
  at = m.n;
  type_void(&m);
  EXPECT(&m, MB_ERR_SECTION_ORDER, "unexpected type section", at);
  /* the order is not numeric: tag (13) before global (6), data count (12) before code */
  m.n = 0;
  tb_preamble(&m);
  type_void(&m);
  tb_section_raw(&m, 6, TB_BYTES(0x01, 0x7F, 0x00, 0x41, 0x00, 0x0B));
  at = m.n;
  tb_section_raw(&m, 13, TB_BYTES(0x01, 0x00, 0x00));
  EXPECT(&m, MB_ERR_SECTION_ORDER, "unexpected tag section", at);
  m.n = 0;
  tb_preamble(&m);
  type_void(&m);
  tb_section_raw(&m, 13, TB_BYTES(0x01, 0x00, 0x00));
  tb_section_raw(&m, 6, TB_BYTES(0x01, 0x7F, 0x00, 0x41, 0x00, 0x0B));
  EXPECT_OK(&m);
  m.n = 0;
  tb_preamble(&m);
  tb_section_raw(&m, 10, TB_BYTES(0x00));
  at = m.n;
  tb_section_raw(&m, 12, TB_BYTES(0x00));
  EXPECT(&m, MB_ERR_SECTION_ORDER, "unexpected data count section", at);
  /* data (11) after data count (12) after element (9) is fine; element after data count not */
  m.n = 0;
  tb_preamble(&m);
  tb_section_raw(&m, 12, TB_BYTES(0x00));
  at = m.n;
  tb_section_raw(&m, 9, TB_BYTES(0x00));
  EXPECT(&m, MB_ERR_SECTION_ORDER, "unexpected element section", at);
  /* customs go anywhere, any number of times */
  m.n = 0;
  tb_preamble(&m);
  tb_section_raw(&m, 0, TB_BYTES(0x01, 'a'));
  type_void(&m);
  tb_section_raw(&m, 0, TB_BYTES(0x01, 'a'));
  tb_section_raw(&m, 0, TB_BYTES(0x00));
  EXPECT_OK(&m);
  tb_fini(&m);
}

static void section_size_mismatch(void **state) {
  (void)state;
  tb m;
  tb_init(&m);
  /* too long: one byte left over after the type vector */
  tb_preamble(&m);
  TB_PUT(&m, 0x01, 0x05, 0x01, 0x60, 0x00, 0x00);
  size_t at = m.n;
  TB_PUT(&m, 0x00);
  EXPECT(&m, MB_ERR_SECTION_SIZE, "section size mismatch", at);
  /* too long in a start section and a data count section */
  m.n = 0;
  tb_preamble(&m);
  type_void(&m);
  tb_section_raw(&m, 3, TB_BYTES(0x01, 0x00));
  TB_PUT(&m, 0x08, 0x02, 0x00);
  at = m.n;
  TB_PUT(&m, 0x00);
  EXPECT(&m, MB_ERR_SECTION_SIZE, "section size mismatch", at);
  m.n = 0;
  tb_preamble(&m);
  TB_PUT(&m, 0x0C, 0x02, 0x00);
  at = m.n;
  TB_PUT(&m, 0x00);
  EXPECT(&m, MB_ERR_SECTION_SIZE, "section size mismatch", at);
  /* too short: the type entry runs past the section's end (where the next bytes are) —
   * "unexpected end of section or function" in the spec's interpreter */
  m.n = 0;
  tb_preamble(&m);
  TB_PUT(&m, 0x01, 0x03, 0x01, 0x60, 0x00);
  at = m.n;
  TB_PUT(&m, 0x00, 0x03, 0x01, 0x00);
  EXPECT(&m, MB_ERR_UNEXPECTED_END, "unexpected end", at);
  /* too short by a whole item */
  m.n = 0;
  tb_preamble(&m);
  TB_PUT(&m, 0x01, 0x04, 0x02, 0x60, 0x00, 0x00);
  at = m.n;
  TB_PUT(&m, 0x60, 0x00, 0x00);
  EXPECT(&m, MB_ERR_UNEXPECTED_END, "unexpected end", at);
  /* a section larger than the rest of the module */
  m.n = 0;
  tb_preamble(&m);
  at = m.n;
  TB_PUT(&m, 0x01, 0x10, 0x01, 0x60, 0x00, 0x00);
  EXPECT(&m, MB_ERR_UNEXPECTED_END, "unexpected end", at);
  /* a function body shorter than its instructions: i32.const's immediate is past it */
  m.n = 0;
  tb_preamble(&m);
  type_void(&m);
  tb_section_raw(&m, 3, TB_BYTES(0x01, 0x00));
  at = m.n + 4;
  tb_section_raw(&m, 10, TB_BYTES(0x01, 0x02, 0x00, 0x41));
  tb_section_raw(&m, 0, TB_BYTES(0x01, 'x', 0x00, 0x0B));
  EXPECT(&m, MB_ERR_UNEXPECTED_END, "unexpected end", at + 2);
  tb_fini(&m);
}

/* ---- names (§1.2) ---- */

static void bad_utf8_names(void **state) {
  (void)state;
  static const struct {
    uint8_t len, b[4];
  } bad[] = {
      {2, {0xC0, 0x80}},             /* overlong NUL */
      {2, {0xC1, 0xBF}},             /* overlong */
      {3, {0xE0, 0x80, 0xAF}},       /* overlong '/' */
      {4, {0xF0, 0x80, 0x80, 0xAF}}, /* overlong */
      {3, {0xED, 0xA0, 0x80}},       /* surrogate U+D800 */
      {3, {0xED, 0xBF, 0xBF}},       /* surrogate U+DFFF */
      {2, {0xE2, 0x82}},             /* truncated sequence */
      {1, {0xC3}},                   /* truncated sequence */
      {1, {0x80}},                   /* lone continuation byte */
      {2, {0x41, 0xBF}},             /* continuation after ASCII */
      {4, {0xF4, 0x90, 0x80, 0x80}}, /* above U+10FFFF */
      {1, {0xF8}},                   /* 5-byte lead */
      {1, {0xFF}},
  };
  tb m, s;
  tb_init(&m);
  tb_init(&s);
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    for (int where = 0; where < 4; where++) {
      m.n = s.n = 0;
      tb_preamble(&m);
      type_void(&m);
      size_t at;
      if (where <= 1) { /* import module name, import field name */
        tb_u32(&s, 1);
        if (where == 1) tb_name(&s, "env");
        at = s.n;
        tb_byte(&s, bad[i].len);
        tb_put(&s, bad[i].b, bad[i].len);
        if (where == 0) tb_name(&s, "f");
        TB_PUT(&s, 0x00, 0x00);
        at += sec(&m, 2, &s);
      } else if (where == 2) { /* export name */
        tb_section_raw(&m, 3, TB_BYTES(0x01, 0x00));
        tb_u32(&s, 1);
        at = s.n;
        tb_byte(&s, bad[i].len);
        tb_put(&s, bad[i].b, bad[i].len);
        TB_PUT(&s, 0x00, 0x00);
        at += sec(&m, 7, &s);
      } else { /* custom section name */
        at = s.n;
        tb_byte(&s, bad[i].len);
        tb_put(&s, bad[i].b, bad[i].len);
        TB_PUT(&s, 0x01, 0x02, 0x03);
        at += sec(&m, 0, &s);
      }
      EXPECT(&m, MB_ERR_BAD_UTF8, "malformed UTF-8 encoding", at);
    }
  }
  /* the boundaries that are valid: U+0000, U+007F, U+0080, U+07FF, U+0800, U+D7FF,
   * U+E000, U+FFFF, U+10000, U+10FFFF */
  m.n = 0;
  tb_preamble(&m);
  tb_section_raw(&m, 0, TB_BYTES(27, 0x00, 0x7F, 0xC2, 0x80, 0xDF, 0xBF, 0xE0, 0xA0, 0x80, 0xED,
                                 0x9F, 0xBF, 0xEE, 0x80, 0x80, 0xEF, 0xBF, 0xBF, 0xF0, 0x90, 0x80,
                                 0x80, 0xF4, 0x8F, 0xBF, 0xBF, 'x'));
  EXPECT_OK(&m);
  /* a custom payload is not a name: anything goes */
  m.n = 0;
  tb_preamble(&m);
  tb_section_raw(&m, 0, TB_BYTES(0x01, 'x', 0xC0, 0x80, 0xFF));
  EXPECT_OK(&m);
  tb_fini(&m);
  tb_fini(&s);
}

/* ---- types (§2) ---- */

static void type_errors(void **state) {
  (void)state;
  /* value types */
  EXPECT_SECTION(1, MB_ERR_BAD_TYPE, "malformed value type 0x7a", 3, 0x01, 0x60, 0x01, 0x7A, 0x00);
  EXPECT_SECTION(1, MB_ERR_BAD_TYPE, "malformed value type 0x40", 4, 0x01, 0x60, 0x00, 0x01, 0x40);
  EXPECT_SECTION(1, MB_ERR_BAD_TYPE, "malformed value type", 3, 0x01, 0x60, 0x01, 0x00, 0x00);
  EXPECT_SECTION(1, MB_ERR_BAD_TYPE, "malformed value type", 3, 0x01, 0x60, 0x01, 0x78, 0x00);
  /* typed references (3.0): a heap type is abstract or a type index in range */
  EXPECT_SECTION_OK(1, 0x01, 0x60, 0x01, 0x63, 0x70, 0x00);
  EXPECT_SECTION_OK(1, 0x01, 0x60, 0x00, 0x01, 0x64, 0x00); /* refers to itself */
  EXPECT_SECTION(1, MB_ERR_INDEX_RANGE, "unknown type 1", 5, 0x01, 0x60, 0x00, 0x01, 0x64, 0x01);
  EXPECT_SECTION(1, MB_ERR_BAD_TYPE, "malformed heap type", 5, 0x01, 0x60, 0x00, 0x01, 0x64, 0x40);
  EXPECT_SECTION(1, MB_ERR_BAD_TYPE, "malformed value type 0x65", 3, 0x01, 0x60, 0x01, 0x65, 0x00);
  EXPECT_SECTION_OK(6, 0x01, 0x63, 0x70, 0x00, 0xD0, 0x70, 0x0B);
  EXPECT_SECTION(6, MB_ERR_INDEX_RANGE, "unknown type 0", 2, 0x01, 0x63, 0x00, 0x00, 0xD0, 0x70,
                 0x0B);
  EXPECT_BODY_OK(0, 0x01, 0x01, 0x64, 0x70, 0x0B);
  EXPECT_BODY_OK(0, 0x01, 0x01, 0x63, 0x00, 0x0B);
  EXPECT_BODY(0, MB_ERR_INDEX_RANGE, "unknown type 1", 3, 0x01, 0x01, 0x63, 0x01, 0x0B);
  EXPECT_BODY_OK(0, 0x00, 0x02, 0x63, 0x70, 0x0B, 0x0B);
  EXPECT_BODY(0, MB_ERR_INDEX_RANGE, "unknown type 9", 3, 0x00, 0x02, 0x64, 0x09, 0x0B, 0x0B);
  EXPECT_BODY_OK(0, 0x00, 0xD0, 0x00, 0x1A, 0x0B);
  EXPECT_BODY(0, MB_ERR_INDEX_RANGE, "unknown type 5", 2, 0x00, 0xD0, 0x05, 0x1A, 0x0B);
  EXPECT_BODY(0, MB_ERR_BAD_TYPE, "malformed heap type", 2, 0x00, 0xD0, 0x7F, 0x1A, 0x0B);
  EXPECT_BODY_OK(0, 0x00, 0x1C, 0x01, 0x63, 0x70, 0x0B);
  EXPECT_BODY(0, MB_ERR_BAD_TYPE, "malformed value type 0x62", 3, 0x00, 0x1C, 0x01, 0x62, 0x0B);
  /* GC type definitions: rec groups, sub types, struct and array */
  EXPECT_SECTION_OK(1, 0x01, 0x4E, 0x02, 0x5F, 0x01, 0x63, 0x01, 0x00, 0x5F, 0x00);
  EXPECT_SECTION_OK(1, 0x02, 0x50, 0x00, 0x5F, 0x00, 0x4F, 0x01, 0x00, 0x5F, 0x01, 0x78, 0x01);
  EXPECT_SECTION_OK(1, 0x01, 0x5E, 0x77, 0x00);
  /* a reference into a later rec group */
  EXPECT_SECTION(1, MB_ERR_INDEX_RANGE, "unknown type 1", 4, 0x02, 0x5F, 0x01, 0x63, 0x01, 0x00,
                 0x5F, 0x00);
  EXPECT_SECTION(1, MB_ERR_BAD_TYPE, "sub type must have at most one supertype", 4, 0x02, 0x5F,
                 0x00, 0x50, 0x02, 0x00, 0x00, 0x5F, 0x00);
  EXPECT_SECTION(1, MB_ERR_BAD_TYPE, "supertype 0 of type 0 must be defined before it", 3, 0x01,
                 0x50, 0x01, 0x00, 0x5F, 0x00);
  EXPECT_SECTION(1, MB_ERR_INDEX_RANGE, "unknown type 5", 5, 0x01, 0x4E, 0x01, 0x50, 0x01, 0x05,
                 0x5F, 0x00);
  EXPECT_SECTION(1, MB_ERR_BAD_TYPE, "malformed mutability 0x02", 3, 0x01, 0x5E, 0x7F, 0x02);
  EXPECT_SECTION(1, MB_ERR_BAD_TYPE, "malformed value type 0x76", 2, 0x01, 0x5E, 0x76, 0x00);
  EXPECT_SECTION(1, MB_ERR_BAD_TYPE, "malformed function type form 0x5d", 3, 0x01, 0x50, 0x00,
                 0x5D);
  EXPECT_SECTION(1, MB_ERR_UNEXPECTED_END, "rec group types", 2, 0x01, 0x4E, 0x05, 0x5F, 0x00);
  /* a function (or tag) must have a function type, not a struct or array type */
  {
    tb m;
    tb_init(&m);
    tb_preamble(&m);
    tb_section_raw(&m, 1, TB_BYTES(0x02, 0x5F, 0x00, 0x60, 0x00, 0x00));
    size_t at = m.n + 2 + 2;
    tb_section_raw(&m, 3, TB_BYTES(0x02, 0x01, 0x00));
    EXPECT(&m, MB_ERR_BAD_TYPE, "type 0 in function section is not a function type", at);
    m.n = 0;
    tb_preamble(&m);
    tb_section_raw(&m, 1, TB_BYTES(0x01, 0x5E, 0x7F, 0x01));
    at = m.n + 2 + 6;
    tb_section_raw(&m, 2, TB_BYTES(0x01, 0x01, 'm', 0x01, 'f', 0x00, 0x00));
    EXPECT(&m, MB_ERR_BAD_TYPE, "not a function type", at);
    tb_fini(&m);
  }
  /* anything else is malformed */
  EXPECT_SECTION(1, MB_ERR_BAD_TYPE, "malformed function type form 0x61", 1, 0x01, 0x61, 0x00,
                 0x00);
  EXPECT_SECTION(1, MB_ERR_BAD_TYPE, "malformed function type form", 1, 0x01, 0x40, 0x00, 0x00);
  /* a table of a non-reference type */
  EXPECT_SECTION(4, MB_ERR_BAD_TYPE, "malformed reference type 0x7f", 1, 0x01, 0x7F, 0x00, 0x01);
}

static void limits_errors(void **state) {
  (void)state;
  /* flags: bits above 3 */
  EXPECT_SECTION(5, MB_ERR_BAD_TYPE, "malformed limits flags 0x10", 1, 0x01, 0x10, 0x00);
  EXPECT_SECTION(5, MB_ERR_BAD_TYPE, "malformed limits flags 0x80", 1, 0x01, 0x80, 0x00);
  /* custom page sizes (bit 3): a proposal, refused by name */
  EXPECT_SECTION(5, MB_ERR_UNSUPPORTED, "custom page sizes", 1, 0x01, 0x08, 0x01, 0x00);
  EXPECT_SECTION(5, MB_ERR_UNSUPPORTED, "custom page sizes", 1, 0x01, 0x09, 0x01, 0x01, 0x10);
  /* sizes */
  EXPECT_SECTION(5, MB_ERR_BAD_TYPE, "memory size must be at most 65536 pages", 1, 0x01, 0x00,
                 0x81, 0x80, 0x04);
  EXPECT_SECTION(5, MB_ERR_BAD_TYPE, "memory size must be at most 65536 pages", 1, 0x01, 0x01,
                 0x00, 0x81, 0x80, 0x04);
  EXPECT_SECTION(5, MB_ERR_BAD_TYPE, "memory size must be at most 281474976710656", 3, 0x02,
                 0x00, 0x01, 0x05, 0x00, 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40); /* 2^48+1 */
  {
    tb m;
    tb_init(&m);
    tb_preamble(&m);
    tb_section_raw(&m, 5, TB_BYTES(0x01, 0x01, 0x80, 0x80, 0x04, 0x80, 0x80, 0x04)); /* 65536 */
    EXPECT_OK(&m);
    tb_fini(&m);
  }
  EXPECT_SECTION(5, MB_ERR_BAD_TYPE, "minimum must not be greater than maximum", 1, 0x01, 0x01,
                 0x02, 0x01);
  EXPECT_SECTION(4, MB_ERR_BAD_TYPE, "minimum must not be greater than maximum", 2, 0x01, 0x70,
                 0x01, 0x0A, 0x09);
  /* tables are never shared */
  EXPECT_SECTION(4, MB_ERR_BAD_TYPE, "tables may not be shared", 2, 0x01, 0x70, 0x03, 0x01, 0x01);
  EXPECT_SECTION(4, MB_ERR_BAD_TYPE, "tables may not be shared", 2, 0x01, 0x70, 0x02, 0x01);
  /* a table of more than 2^32-1 entries needs table64 */
  EXPECT_SECTION(4, MB_ERR_BAD_TYPE, "table size must be at most", 2, 0x01, 0x70, 0x00, 0x80,
                 0x80, 0x80, 0x80, 0x10);
  /* the limits in an import */
  EXPECT_SECTION(2, MB_ERR_BAD_TYPE, "malformed limits flags", 6, 0x01, 0x01, 'a', 0x01, 'b',
                 0x02, 0x20, 0x00);
}

/* ---- imports, exports, start (§4.3, §4.9, §4.10) ---- */

static void import_export_errors(void **state) {
  (void)state;
  EXPECT_SECTION(2, MB_ERR_BAD_KIND, "malformed import kind 0x05", 5, 0x01, 0x01, 'a', 0x01, 'b',
                 0x05, 0x00);
  EXPECT_SECTION(2, MB_ERR_BAD_KIND, "malformed import kind 0x80", 5, 0x01, 0x01, 'a', 0x01, 'b',
                 0x80, 0x00);
  EXPECT_SECTION(2, MB_ERR_BAD_TYPE, "malformed mutability 0x02", 7, 0x01, 0x01, 'a', 0x01, 'b',
                 0x03, 0x7F, 0x02);
  EXPECT_SECTION(6, MB_ERR_BAD_TYPE, "malformed mutability 0xff", 2, 0x01, 0x7F, 0xFF, 0x41, 0x00,
                 0x0B);
  EXPECT_SECTION(2, MB_ERR_BAD_TYPE, "malformed tag attribute", 6, 0x01, 0x01, 'a', 0x01, 'b', 0x04,
                 0x01, 0x00);
  /* a function import of a type that does not exist */
  EXPECT_SECTION(2, MB_ERR_INDEX_RANGE, "type index 0 out of range", 6, 0x01, 0x01, 'a', 0x01, 'b',
                 0x00, 0x00);

  tb m;
  tb_init(&m);
  /* export kinds */
  tb_preamble(&m);
  type_void(&m);
  tb_section_raw(&m, 3, TB_BYTES(0x01, 0x00));
  size_t at = m.n + 2 + 3;
  tb_section_raw(&m, 7, TB_BYTES(0x01, 0x01, 'f', 0x05, 0x00));
  EXPECT(&m, MB_ERR_BAD_KIND, "malformed export kind 0x05", at);
  /* export indices: function 1 of 1, memory 0 of 0, global 0 of 0, table 0, tag 0 */
  static const uint8_t kinds[] = {0x00, 0x01, 0x02, 0x03, 0x04};
  for (size_t k = 0; k < sizeof kinds; k++) {
    m.n = 0;
    tb_preamble(&m);
    type_void(&m);
    tb_section_raw(&m, 3, TB_BYTES(0x01, 0x00));
    at = m.n + 2 + 4;
    tb_section_raw(&m, 7, TB_BYTES(0x01, 0x01, 'f', kinds[k], kinds[k] == 0 ? 0x01 : 0x00));
    tb_section_raw(&m, 10, TB_BYTES(0x01, 0x02, 0x00, 0x0B));
    EXPECT(&m, MB_ERR_INDEX_RANGE, "export \"f\" refers to index", at);
  }
  /* start */
  m.n = 0;
  tb_preamble(&m);
  type_void(&m);
  tb_section_raw(&m, 3, TB_BYTES(0x01, 0x00));
  at = m.n + 2;
  tb_section_raw(&m, 8, TB_BYTES(0x01));
  tb_section_raw(&m, 10, TB_BYTES(0x01, 0x02, 0x00, 0x0B));
  EXPECT(&m, MB_ERR_INDEX_RANGE, "start function index 1 out of range", at);
  m.n = 0;
  tb_preamble(&m);
  at = m.n + 2;
  tb_section_raw(&m, 8, TB_BYTES(0x00));
  EXPECT(&m, MB_ERR_INDEX_RANGE, "start function index 0 out of range", at);
  tb_fini(&m);
}

static void table_tag_function_errors(void **state) {
  (void)state;
  /* the 0x40 0x00 table form: reserved byte, then a constant initialiser */
  EXPECT_SECTION(4, MB_ERR_BAD_TYPE, "malformed table: reserved byte 0x01", 2, 0x01, 0x40, 0x01,
                 0x70, 0x00, 0x01, 0xD0, 0x70, 0x0B);
  EXPECT_SECTION(4, MB_ERR_BAD_CONST_EXPR, "constant expression required", 6, 0x01, 0x40, 0x00,
                 0x70, 0x00, 0x01, 0x1A, 0x0B);
  EXPECT_SECTION(4, MB_ERR_UNEXPECTED_END, "unexpected end", 8, 0x01, 0x40, 0x00, 0x70, 0x00,
                 0x01, 0xD0, 0x70);
  /* a table import of a non-reference type */
  EXPECT_SECTION(2, MB_ERR_BAD_TYPE, "malformed reference type 0x7f", 6, 0x01, 0x01, 'a', 0x01,
                 'b', 0x01, 0x7F, 0x00, 0x00);
  /* tags: attribute and type index */
  {
    tb m;
    tb_init(&m);
    tb_preamble(&m);
    type_void(&m);
    size_t at = m.n + 2;
    tb_section_raw(&m, 13, TB_BYTES(0x01, 0x01, 0x00));
    EXPECT(&m, MB_ERR_BAD_TYPE, "malformed tag attribute 0x01", at + 1);
    m.n = 0;
    tb_preamble(&m);
    type_void(&m);
    at = m.n + 2;
    tb_section_raw(&m, 13, TB_BYTES(0x02, 0x00, 0x00, 0x00, 0x01));
    EXPECT(&m, MB_ERR_INDEX_RANGE, "type index 1 out of range in tag section", at + 4);
    /* the function section's type indices */
    m.n = 0;
    tb_preamble(&m);
    type_void(&m);
    at = m.n + 2;
    tb_section_raw(&m, 3, TB_BYTES(0x02, 0x00, 0x81, 0x00));
    EXPECT(&m, MB_ERR_INDEX_RANGE, "type index 1 out of range in function section", at + 2);
    tb_fini(&m);
  }
}

/* ---- cross-section counts (§3.3) ---- */

static void function_code_mismatch(void **state) {
  (void)state;
  tb m;
  tb_init(&m);
  /* one function, two bodies */
  tb_preamble(&m);
  type_void(&m);
  tb_section_raw(&m, 3, TB_BYTES(0x01, 0x00));
  size_t at = m.n + 2;
  tb_section_raw(&m, 10, TB_BYTES(0x02, 0x02, 0x00, 0x0B, 0x02, 0x00, 0x0B));
  EXPECT(&m, MB_ERR_FUNC_CODE_MISMATCH, "function and code section have inconsistent lengths", at);
  /* two functions, one body */
  m.n = 0;
  tb_preamble(&m);
  type_void(&m);
  tb_section_raw(&m, 3, TB_BYTES(0x02, 0x00, 0x00));
  at = m.n + 2;
  tb_section_raw(&m, 10, TB_BYTES(0x01, 0x02, 0x00, 0x0B));
  EXPECT(&m, MB_ERR_FUNC_CODE_MISMATCH, "function and code section have inconsistent lengths", at);
  /* a code section and no function section */
  m.n = 0;
  tb_preamble(&m);
  type_void(&m);
  at = m.n + 2;
  tb_section_raw(&m, 10, TB_BYTES(0x01, 0x02, 0x00, 0x0B));
  EXPECT(&m, MB_ERR_FUNC_CODE_MISMATCH, "function and code section have inconsistent lengths", at);
  /* functions and no code section: reported at the end of the module */
  m.n = 0;
  tb_preamble(&m);
  type_void(&m);
  tb_section_raw(&m, 3, TB_BYTES(0x01, 0x00));
  tb_section_raw(&m, 0, TB_BYTES(0x01, 'c'));
  EXPECT(&m, MB_ERR_FUNC_CODE_MISMATCH, "no code section", m.n);
  /* an empty function section and an empty code section agree */
  m.n = 0;
  tb_preamble(&m);
  tb_section_raw(&m, 3, TB_BYTES(0x00));
  tb_section_raw(&m, 10, TB_BYTES(0x00));
  EXPECT_OK(&m);
  tb_fini(&m);
}

static void data_count_errors(void **state) {
  (void)state;
  tb m;
  tb_init(&m);
  /* data count 2, one segment */
  tb_preamble(&m);
  tb_section_raw(&m, 12, TB_BYTES(0x02));
  size_t at = m.n + 2;
  tb_section_raw(&m, 11, TB_BYTES(0x01, 0x01, 0x00));
  EXPECT(&m, MB_ERR_DATA_COUNT, "data count and data section have inconsistent lengths", at);
  /* data count 1, no data section */
  m.n = 0;
  tb_preamble(&m);
  tb_section_raw(&m, 12, TB_BYTES(0x01));
  EXPECT(&m, MB_ERR_DATA_COUNT, "data count and data section have inconsistent lengths", m.n);
  /* data count 0 and no data section is consistent */
  m.n = 0;
  tb_preamble(&m);
  tb_section_raw(&m, 12, TB_BYTES(0x00));
  EXPECT_OK(&m);
  /* memory.init / data.drop without a data count section */
  m.n = 0;
  tb_preamble(&m);
  type_void(&m);
  tb_section_raw(&m, 3, TB_BYTES(0x01, 0x00));
  tb_section_raw(&m, 5, TB_BYTES(0x01, 0x00, 0x01));
  at = m.n + 2;
  tb_section_raw(&m, 10, TB_BYTES(0x01, 0x0C, 0x00, 0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xFC, 0x08,
                                  0x00, 0x00, 0x0B));
  tb_section_raw(&m, 11, TB_BYTES(0x01, 0x01, 0x00));
  EXPECT(&m, MB_ERR_DATA_COUNT, "data count section required", at);
  m.n = 0;
  tb_preamble(&m);
  type_void(&m);
  tb_section_raw(&m, 3, TB_BYTES(0x01, 0x00));
  at = m.n + 2;
  tb_section_raw(&m, 10, TB_BYTES(0x01, 0x05, 0x00, 0xFC, 0x09, 0x00, 0x0B));
  tb_section_raw(&m, 11, TB_BYTES(0x01, 0x01, 0x00));
  EXPECT(&m, MB_ERR_DATA_COUNT, "data count section required", at);
  /* array.new_data (0xFB 9) needs it too: type 0 an array of i8, data segment 0 */
  m.n = 0;
  tb_preamble(&m);
  tb_section_raw(&m, 1, TB_BYTES(0x02, 0x5E, 0x78, 0x00, 0x60, 0x00, 0x00));
  tb_section_raw(&m, 3, TB_BYTES(0x01, 0x01));
  at = m.n + 2;
  tb_section_raw(&m, 10, TB_BYTES(0x01, 0x0B, 0x00, 0x41, 0x00, 0x41, 0x01, 0xFB, 0x09, 0x00,
                                  0x00, 0x1A, 0x0B));
  tb_section_raw(&m, 11, TB_BYTES(0x01, 0x01, 0x01, 0x2A));
  EXPECT(&m, MB_ERR_DATA_COUNT, "array.new_data", at);
  /* with the data count, a data index past it is out of range */
  EXPECT_BODY(WITH_DATACOUNT, MB_ERR_INDEX_RANGE, "data segment index 1 out of range", 3, 0x00,
              0xFC, 0x09, 0x01, 0x0B);
  EXPECT_BODY(WITH_DATACOUNT, MB_ERR_INDEX_RANGE, "data segment index 1 out of range", 4, 0x00,
              0xFB, 0x12, 0x00, 0x01, 0x0B);
  EXPECT_BODY_OK(WITH_DATACOUNT, 0x00, 0xFC, 0x09, 0x00, 0x0B);
  tb_fini(&m);
}

/* ---- element and data segments (§4.11, §4.14) ---- */

static void segment_errors(void **state) {
  (void)state;
  tb m;
  tb_init(&m);
  for (uint32_t flags = 8; flags <= 200; flags += 64) { /* element flags > 7 */
    m.n = 0;
    tb_preamble(&m);
    tb t;
    tb_init(&t);
    tb_u32(&t, 1);
    tb_u32(&t, flags);
    TB_PUT(&t, 0x00);
    size_t at = sec(&m, 9, &t) + 1;
    EXPECT(&m, MB_ERR_BAD_SEGMENT, "malformed elements segment kind", at);
    tb_fini(&t);
  }
  /* elemkind other than 0x00 (flags 1, 2, 3) */
  EXPECT_SECTION(9, MB_ERR_BAD_SEGMENT, "malformed element kind 0x01", 2, 0x01, 0x01, 0x01, 0x00);
  EXPECT_SECTION(9, MB_ERR_BAD_SEGMENT, "malformed element kind 0x70", 2, 0x01, 0x03, 0x70, 0x00);
  /* expression segments take a reference type instead */
  EXPECT_SECTION(9, MB_ERR_BAD_TYPE, "malformed reference type", 2, 0x01, 0x05, 0x7F, 0x00);
  /* data flags > 2 */
  EXPECT_SECTION(11, MB_ERR_BAD_SEGMENT, "malformed data segment kind 3", 1, 0x01, 0x03, 0x00);
  EXPECT_SECTION(11, MB_ERR_BAD_SEGMENT, "malformed data segment kind 128", 1, 0x01, 0x80, 0x01,
                 0x00);
  /* data into a memory that does not exist: implicit 0, explicit 1 of 1 */
  EXPECT_SECTION(11, MB_ERR_INDEX_RANGE, "data segment refers to memory 0", 1, 0x01, 0x00, 0x41,
                 0x00, 0x0B, 0x00);
  {
    m.n = 0;
    tb_preamble(&m);
    tb_section_raw(&m, 5, TB_BYTES(0x01, 0x00, 0x01));
    size_t at = m.n + 2 + 2;
    tb_section_raw(&m, 11, TB_BYTES(0x01, 0x02, 0x01, 0x41, 0x00, 0x0B, 0x00));
    EXPECT(&m, MB_ERR_INDEX_RANGE, "data segment refers to memory 1", at);
  }
  /* elements into a table that does not exist: flags 0 and 4 (implicit), 2 and 6 */
  EXPECT_SECTION(9, MB_ERR_INDEX_RANGE, "element segment refers to table 0", 1, 0x01, 0x00, 0x41,
                 0x00, 0x0B, 0x00);
  EXPECT_SECTION(9, MB_ERR_INDEX_RANGE, "element segment refers to table 0", 1, 0x01, 0x04, 0x41,
                 0x00, 0x0B, 0x00);
  {
    m.n = 0;
    tb_preamble(&m);
    tb_section_raw(&m, 4, TB_BYTES(0x01, 0x70, 0x00, 0x01));
    size_t at = m.n + 2 + 2;
    tb_section_raw(&m, 9, TB_BYTES(0x01, 0x02, 0x01, 0x41, 0x00, 0x0B, 0x00, 0x00));
    EXPECT(&m, MB_ERR_INDEX_RANGE, "element segment refers to table 1", at);
    m.n = 0;
    tb_preamble(&m);
    tb_section_raw(&m, 4, TB_BYTES(0x01, 0x70, 0x00, 0x01));
    at = m.n + 2 + 2;
    tb_section_raw(&m, 9, TB_BYTES(0x01, 0x06, 0x02, 0x41, 0x00, 0x0B, 0x70, 0x00));
    EXPECT(&m, MB_ERR_INDEX_RANGE, "element segment refers to table 2", at);
  }
  /* a function index past the functions */
  EXPECT_SECTION(9, MB_ERR_INDEX_RANGE, "function index 0 out of range", 4, 0x01, 0x01, 0x00, 0x01,
                 0x00);
  /* an item expression that is not constant */
  EXPECT_SECTION(9, MB_ERR_BAD_CONST_EXPR, "constant expression required", 4, 0x01, 0x05, 0x70,
                 0x01, 0x00, 0x0B);
  /* the data payload longer than the section */
  EXPECT_SECTION(11, MB_ERR_UNEXPECTED_END, "unexpected end", 3, 0x01, 0x01, 0x05, 'a', 'b');
  tb_fini(&m);
}

/* ---- code (§4.13, §6) ---- */

static void code_structure_errors(void **state) {
  (void)state;
  /* locals: more than 50,000 in total, in one group or across groups */
  EXPECT_BODY(0, MB_ERR_TOO_MANY, "too many locals", 1, 0x01, 0xD1, 0x86, 0x03, 0x7F, 0x0B);
  EXPECT_BODY_OK(0, 0x01, 0xD0, 0x86, 0x03, 0x7F, 0x0B); /* exactly 50,000 */
  EXPECT_BODY(0, MB_ERR_TOO_MANY, "too many locals", 5, 0x02, 0xD0, 0x86, 0x03, 0x7F, 0x01, 0x7E,
              0x0B);
  EXPECT_BODY(0, MB_ERR_TOO_MANY, "too many locals", 1, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x7F,
              0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x7F, 0x0B);
  EXPECT_BODY(0, MB_ERR_BAD_TYPE, "malformed value type", 2, 0x01, 0x01, 0x00, 0x0B);
  /* misplaced separators */
  EXPECT_BODY(0, MB_ERR_BAD_STRUCTURE, "misplaced else opcode", 1, 0x00, 0x05, 0x0B);
  EXPECT_BODY(0, MB_ERR_BAD_STRUCTURE, "misplaced else opcode", 3, 0x00, 0x02, 0x40, 0x05, 0x0B,
              0x0B);
  EXPECT_BODY(0, MB_ERR_BAD_STRUCTURE, "misplaced else opcode", 4, 0x00, 0x04, 0x40, 0x05, 0x05,
              0x0B, 0x0B);
  EXPECT_BODY(WITH_TAG, MB_ERR_BAD_STRUCTURE, "misplaced catch opcode", 1, 0x00, 0x07, 0x00, 0x0B);
  EXPECT_BODY(WITH_TAG, MB_ERR_BAD_STRUCTURE, "misplaced catch opcode", 3, 0x00, 0x04, 0x40, 0x07,
              0x00, 0x0B, 0x0B);
  EXPECT_BODY(WITH_TAG, MB_ERR_BAD_STRUCTURE, "misplaced catch opcode", 4, 0x00, 0x06, 0x40, 0x19,
              0x07, 0x00, 0x0B, 0x0B);
  EXPECT_BODY(0, MB_ERR_BAD_STRUCTURE, "misplaced catch_all opcode", 1, 0x00, 0x19, 0x0B);
  EXPECT_BODY(0, MB_ERR_BAD_STRUCTURE, "misplaced catch_all opcode", 4, 0x00, 0x06, 0x40, 0x19,
              0x19, 0x0B, 0x0B);
  EXPECT_BODY(0, MB_ERR_BAD_STRUCTURE, "misplaced catch_all opcode", 4, 0x00, 0x1F, 0x40, 0x00,
              0x19, 0x0B, 0x0B);
  EXPECT_BODY(0, MB_ERR_BAD_STRUCTURE, "misplaced delegate opcode", 1, 0x00, 0x18, 0x00, 0x0B);
  EXPECT_BODY(0, MB_ERR_BAD_STRUCTURE, "misplaced delegate opcode", 3, 0x00, 0x02, 0x40, 0x18,
              0x00, 0x0B);
  EXPECT_BODY(0, MB_ERR_BAD_STRUCTURE, "misplaced delegate opcode", 4, 0x00, 0x06, 0x40, 0x19,
              0x18, 0x00, 0x0B);
  /* the legal forms of the same */
  EXPECT_BODY_OK(WITH_TAG, 0x00, 0x06, 0x40, 0x07, 0x00, 0x07, 0x00, 0x19, 0x0B, 0x0B);
  EXPECT_BODY_OK(0, 0x00, 0x06, 0x40, 0x02, 0x40, 0x06, 0x40, 0x18, 0x01, 0x0B, 0x18, 0x00, 0x0B);
  EXPECT_BODY_OK(0, 0x00, 0x04, 0x40, 0x04, 0x40, 0x05, 0x0B, 0x05, 0x0B, 0x0B);
  /* body not terminated: no end at all, or a block left open */
  EXPECT_BODY(0, MB_ERR_UNEXPECTED_END, "unexpected end", 3, 0x00, 0x41, 0x00);
  EXPECT_BODY(0, MB_ERR_UNEXPECTED_END, "unexpected end", 4, 0x00, 0x02, 0x40, 0x0B);
  EXPECT_BODY(0, MB_ERR_UNEXPECTED_END, "unexpected end", 1, 0x00);
  { /* an empty code entry: not even the local count */
    tb m;
    tb_init(&m);
    tb_preamble(&m);
    type_void(&m);
    tb_section_raw(&m, 3, TB_BYTES(0x01, 0x00));
    size_t at = m.n + 2 + 2;
    tb_section_raw(&m, 10, TB_BYTES(0x01, 0x00));
    EXPECT(&m, MB_ERR_UNEXPECTED_END, "unexpected end", at);
    tb_fini(&m);
  }
  /* bytes after the body's end */
  EXPECT_BODY(0, MB_ERR_SECTION_SIZE, "function body ends 1 bytes before its size", 2, 0x00, 0x0B,
              0x0B);
  EXPECT_BODY(0, MB_ERR_SECTION_SIZE, "function body ends 3 bytes before its size", 2, 0x00, 0x0B,
              0x01, 0x01, 0x01);
  /* illegal opcodes */
  EXPECT_BODY(0, MB_ERR_BAD_OPCODE, "illegal opcode 0xff", 1, 0x00, 0xFF, 0x0B);
  EXPECT_BODY(0, MB_ERR_BAD_OPCODE, "illegal opcode 0x27", 3, 0x00, 0x01, 0x01, 0x27, 0x0B);
  EXPECT_BODY(0, MB_ERR_BAD_OPCODE, "illegal opcode 0xfc 18", 1, 0x00, 0xFC, 0x12, 0x0B);
  EXPECT_BODY(0, MB_ERR_BAD_OPCODE, "illegal opcode 0xfd 154", 1, 0x00, 0xFD, 0x9A, 0x01, 0x0B);
  EXPECT_BODY(0, MB_ERR_BAD_OPCODE, "illegal opcode 0xfb 31", 1, 0x00, 0xFB, 0x1F, 0x0B);
  EXPECT_BODY(0, MB_ERR_INDEX_RANGE, "type index 5 out of range", 3, 0x00, 0xFB, 0x00, 0x05, 0x0B);
  EXPECT_BODY(0, MB_ERR_BAD_IMMEDIATE, "malformed cast flags 0x04", 3, 0x00, 0xFB, 0x18, 0x04, 0x00,
              0x70, 0x70, 0x0B);
  EXPECT_BODY(0, MB_ERR_INDEX_RANGE, "unknown type 2", 6, 0x00, 0xFB, 0x19, 0x03, 0x00, 0x70, 0x02,
              0x0B);
  /* memarg flags must be < 128 */
  EXPECT_BODY(WITH_MEM, MB_ERR_BAD_IMMEDIATE, "malformed memop flags 0x80", 4, 0x00, 0x41, 0x00,
              0x28, 0x80, 0x01, 0x00, 0x1A, 0x0B);
  EXPECT_BODY(WITH_MEM, MB_ERR_BAD_IMMEDIATE, "malformed memop flags 0xff", 5, 0x00, 0x41, 0x00,
              0xFE, 0x10, 0xFF, 0x01, 0x00, 0x1A, 0x0B);
  /* a memory access without any memory */
  EXPECT_BODY(0, MB_ERR_INDEX_RANGE, "memory access without a memory", 4, 0x00, 0x41, 0x00, 0x28,
              0x02, 0x00, 0x1A, 0x0B);
  EXPECT_BODY(WITH_MEM, MB_ERR_INDEX_RANGE, "memory index 1 out of range", 5, 0x00, 0x41, 0x00,
              0x28, 0x42, 0x01, 0x00, 0x1A, 0x0B);
  /* try_table catch clause kinds 0..3 only */
  EXPECT_BODY(0, MB_ERR_BAD_IMMEDIATE, "malformed catch clause kind 0x04", 4, 0x00, 0x1F, 0x40,
              0x01, 0x04, 0x00, 0x0B, 0x0B);
  EXPECT_BODY(WITH_TAG, MB_ERR_BAD_IMMEDIATE, "malformed catch clause kind 0x80", 7, 0x00, 0x1F,
              0x40, 0x02, 0x00, 0x00, 0x00, 0x80, 0x00, 0x0B, 0x0B);
  EXPECT_BODY(0, MB_ERR_INDEX_RANGE, "tag index 0 out of range", 5, 0x00, 0x1F, 0x40, 0x01, 0x01,
              0x00, 0x00, 0x0B, 0x0B);
  /* lengths larger than what is left */
  EXPECT_BODY(0, MB_ERR_UNEXPECTED_END, "br_table of 1000 labels", 1, 0x00, 0x0E, 0xE8, 0x07, 0x00,
              0x0B);
  EXPECT_BODY(0, MB_ERR_UNEXPECTED_END, "select of 100 types", 1, 0x00, 0x1C, 0x64, 0x7F, 0x0B);
  EXPECT_BODY(0, MB_ERR_UNEXPECTED_END, "unexpected end", 2, 0x00, 0x44, 0x00, 0x00, 0x0B);
  EXPECT_BODY(0, MB_ERR_UNEXPECTED_END, "unexpected end", 3, 0x00, 0xFD, 0x0C, 0x00, 0x0B);
}

/* Bug fix: the offset was the opcode's + 2, wrong when the sub-opcode is padded. */
static void atomic_fence_error_points_at_reserved_byte(void **state) {
  (void)state;
  EXPECT_BODY(0, MB_ERR_BAD_IMMEDIATE, "malformed atomic.fence", 3, 0x00, 0xFE, 0x03, 0x01, 0x0B);
  EXPECT_BODY(0, MB_ERR_BAD_IMMEDIATE, "malformed atomic.fence", 4, 0x00, 0xFE, 0x83, 0x00, 0x01,
              0x0B);
  EXPECT_BODY(0, MB_ERR_BAD_IMMEDIATE, "malformed atomic.fence", 6, 0x00, 0xFE, 0x83, 0x80, 0x80,
              0x00, 0x02, 0x0B);
  EXPECT_BODY_OK(0, 0x00, 0xFE, 0x83, 0x80, 0x80, 0x00, 0x00, 0x0B);
}

static void const_expr_errors(void **state) {
  (void)state;
  /* globals: non-constant instructions */
  EXPECT_SECTION(6, MB_ERR_BAD_CONST_EXPR, "constant expression required", 3, 0x01, 0x7F, 0x00,
                 0x20, 0x00, 0x0B);
  EXPECT_SECTION(6, MB_ERR_BAD_CONST_EXPR, "constant expression required", 3, 0x01, 0x7F, 0x00,
                 0x01, 0x41, 0x00, 0x0B);
  EXPECT_SECTION(6, MB_ERR_BAD_CONST_EXPR, "constant expression required", 7, 0x01, 0x7F, 0x00,
                 0x41, 0x00, 0x41, 0x01, 0x6D, 0x0B); /* i32.div_s is not extended-const */
  EXPECT_SECTION(6, MB_ERR_BAD_CONST_EXPR, "constant expression required", 3, 0x01, 0x7F, 0x00,
                 0x02, 0x40, 0x0B, 0x0B);
  EXPECT_SECTION(6, MB_ERR_BAD_CONST_EXPR, "constant expression required", 3, 0x01, 0x7B, 0x00,
                 0xFD, 0x0E, 0x0B);
  /* a global initialiser sees only the globals before it */
  EXPECT_SECTION(6, MB_ERR_INDEX_RANGE, "global index 0 out of range", 4, 0x01, 0x7F, 0x00, 0x23,
                 0x00, 0x0B);
  { /* extended-const, v128.const and an earlier global are fine */
    tb m;
    tb_init(&m);
    tb_preamble(&m);
    tb_section_raw(&m, 6, TB_BYTES(0x03, 0x7F, 0x00, 0x41, 0x02, 0x41, 0x03, 0x6C, 0x41, 0x01, 0x6A,
                                   0x0B, 0x7F, 0x00, 0x23, 0x00, 0x41, 0x01, 0x6B, 0x0B, 0x7B, 0x00,
                                   0xFD, 0x0C, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
                                   0x0B));
    EXPECT_OK(&m);
    tb_fini(&m);
  }
  /* an unterminated initialiser */
  EXPECT_SECTION(6, MB_ERR_UNEXPECTED_END, "unexpected end", 5, 0x01, 0x7F, 0x00, 0x41, 0x00);
  /* a data segment offset */
  {
    tb m;
    tb_init(&m);
    tb_preamble(&m);
    tb_section_raw(&m, 5, TB_BYTES(0x01, 0x00, 0x01));
    size_t at = m.n + 2 + 2;
    tb_section_raw(&m, 11, TB_BYTES(0x01, 0x00, 0x3F, 0x00, 0x0B, 0x00));
    EXPECT(&m, MB_ERR_BAD_CONST_EXPR, "constant expression required", at);
    tb_fini(&m);
  }
}

/* ---- implementation limits (§13) ---- */

static void limit_errors(void **state) {
  (void)state;
  tb m, s;
  tb_init(&m);
  tb_init(&s);
  /* 101 defined memories */
  tb_preamble(&m);
  tb_u32(&s, 101);
  for (int i = 0; i < 101; i++) TB_PUT(&s, 0x00, 0x00);
  size_t at = sec(&m, 5, &s);
  EXPECT(&m, MB_ERR_TOO_MANY, "too many memories", at);
  /* 100 is fine */
  m.n = s.n = 0;
  tb_preamble(&m);
  tb_u32(&s, 100);
  for (int i = 0; i < 100; i++) TB_PUT(&s, 0x00, 0x00);
  sec(&m, 5, &s);
  EXPECT_OK(&m);
  /* 101 imported memories */
  m.n = s.n = 0;
  tb_preamble(&m);
  tb_u32(&s, 101);
  for (int i = 0; i < 101; i++) TB_PUT(&s, 0x00, 0x00, 0x02, 0x00, 0x00);
  at = sec(&m, 2, &s) + s.n;
  EXPECT(&m, MB_ERR_TOO_MANY, "too many memories", at);
  /* 60 imported + 41 defined */
  m.n = s.n = 0;
  tb_preamble(&m);
  tb_u32(&s, 60);
  for (int i = 0; i < 60; i++) TB_PUT(&s, 0x00, 0x00, 0x02, 0x00, 0x00);
  sec(&m, 2, &s);
  s.n = 0;
  tb_u32(&s, 41);
  for (int i = 0; i < 41; i++) TB_PUT(&s, 0x00, 0x00);
  at = sec(&m, 5, &s) + 1;
  EXPECT(&m, MB_ERR_TOO_MANY, "too many memories", at);
  /* counts above the limits */
  EXPECT_SECTION(1, MB_ERR_TOO_MANY, "too many types", 0, 0xC1, 0x84, 0x3D); /* 1,000,001 */
  EXPECT_SECTION(1, MB_ERR_TOO_MANY, "too many parameters", 2, 0x01, 0x60, 0xE9, 0x07);
  EXPECT_SECTION(11, MB_ERR_TOO_MANY, "too many data segments", 0, 0xA1, 0x8D, 0x06);
  /* counts larger than the bytes left */
  EXPECT_SECTION(1, MB_ERR_UNEXPECTED_END, "5 types declared but only 0 bytes left", 0, 0x05);
  EXPECT_SECTION(1, MB_ERR_UNEXPECTED_END, "declared but only", 2, 0x01, 0x60, 0x10, 0x7F);
  EXPECT_SECTION(2, MB_ERR_UNEXPECTED_END, "declared but only", 0, 0xFF, 0xFF, 0x03);
  EXPECT_SECTION(3, MB_ERR_UNEXPECTED_END, "declared but only", 0, 0x03, 0x00, 0x00);
  EXPECT_SECTION(7, MB_ERR_UNEXPECTED_END, "declared but only", 0, 0x80, 0x80, 0x04);
  EXPECT_SECTION(9, MB_ERR_UNEXPECTED_END, "declared but only", 0, 0xFF, 0xFF, 0x03);
  EXPECT_SECTION(9, MB_ERR_UNEXPECTED_END, "element segment items", 3, 0x01, 0x01, 0x00, 0x7F);
  EXPECT_SECTION(10, MB_ERR_UNEXPECTED_END, "declared but only", 0, 0x02, 0x00);
  EXPECT_SECTION(11, MB_ERR_UNEXPECTED_END, "declared but only", 0, 0x09, 0x01, 0x00);
  /* a name longer than what is left */
  EXPECT_SECTION(0, MB_ERR_UNEXPECTED_END, "unexpected end", 1, 0x10, 'a');
  EXPECT_SECTION(7, MB_ERR_UNEXPECTED_END, "unexpected end", 2, 0x01, 0x7F, 'a');
  /* a body size past the section */
  m.n = 0;
  tb_preamble(&m);
  type_void(&m);
  tb_section_raw(&m, 3, TB_BYTES(0x01, 0x00));
  at = m.n + 2 + 2;
  tb_section_raw(&m, 10, TB_BYTES(0x01, 0x40, 0x00, 0x0B));
  EXPECT(&m, MB_ERR_UNEXPECTED_END, "unexpected end", at);
  tb_fini(&m);
  tb_fini(&s);
}

/* ---- fail the N-th allocation over read + remap + write ---- */

/* A module with every section, imports of every kind, customs, names and code that
 * touches every index space. */
static void full_module(tb *m) {
  tb s;
  tb_init(&s);
  tb_preamble(m);
  tb_section_raw(m, 0, TB_BYTES(0x05, 'f', 'i', 'r', 's', 't', 0x01, 0x02));
  tb_section_raw(m, 1, TB_BYTES(0x03, 0x60, 0x00, 0x00, 0x60, 0x01, 0x7F, 0x01, 0x7F, 0x60, 0x02,
                                0x7F, 0x7E, 0x00));
  TB_PUT(&s, 0x05);
  TB_PUT(&s, 0x01, 'm', 0x01, 'f', 0x00, 0x01);
  TB_PUT(&s, 0x01, 'm', 0x01, 't', 0x01, 0x70, 0x00, 0x01);
  TB_PUT(&s, 0x01, 'm', 0x01, 'M', 0x02, 0x00, 0x01);
  TB_PUT(&s, 0x01, 'm', 0x01, 'g', 0x03, 0x7F, 0x00);
  TB_PUT(&s, 0x01, 'm', 0x01, 'x', 0x04, 0x00, 0x00);
  sec(m, 2, &s);
  tb_section_raw(m, 3, TB_BYTES(0x02, 0x00, 0x01));
  tb_section_raw(m, 4, TB_BYTES(0x02, 0x70, 0x00, 0x02, 0x40, 0x00, 0x70, 0x00, 0x01, 0xD2, 0x01,
                                0x0B));
  tb_section_raw(m, 5, TB_BYTES(0x01, 0x01, 0x01, 0x02));
  tb_section_raw(m, 0, TB_BYTES(0x03, 'm', 'i', 'd'));
  tb_section_raw(m, 13, TB_BYTES(0x01, 0x00, 0x02));
  tb_section_raw(m, 6, TB_BYTES(0x02, 0x7F, 0x01, 0x23, 0x00, 0x0B, 0x70, 0x00, 0xD2, 0x02, 0x0B));
  s.n = 0;
  TB_PUT(&s, 0x03, 0x04, 'm', 'a', 'i', 'n', 0x00, 0x01, 0x03, 'm', 'e', 'm', 0x02, 0x01, 0x01, 'g',
         0x03, 0x02);
  sec(m, 7, &s);
  tb_section_raw(m, 8, TB_BYTES(0x01));
  s.n = 0;
  TB_PUT(&s, 0x04);
  TB_PUT(&s, 0x00, 0x41, 0x00, 0x0B, 0x02, 0x01, 0x02);                   /* active table 0 */
  TB_PUT(&s, 0x02, 0x02, 0x41, 0x01, 0x0B, 0x00, 0x01, 0x00);             /* active table 2 */
  TB_PUT(&s, 0x05, 0x70, 0x02, 0xD2, 0x01, 0x0B, 0xD0, 0x70, 0x0B);       /* passive exprs */
  TB_PUT(&s, 0x03, 0x00, 0x01, 0x02);                                     /* declarative */
  sec(m, 9, &s);
  tb_section_raw(m, 12, TB_BYTES(0x03));
  s.n = 0;
  TB_PUT(&s, 0x02);
  static const uint8_t f1[] = {
      0x01, 0x01, 0x7E,                   /* one i64 local */
      0x20, 0x00, 0x10, 0x00, 0x1A,       /* local.get 0, call 0, drop */
      0x41, 0x00, 0x28, 0x02, 0x08,       /* i32.load offset 8 (memory 0) */
      0x41, 0x00, 0x36, 0x42, 0x01, 0x00, /* i32.store memory 1 */
      0x3F, 0x01, 0x1A,                   /* memory.size 1 */
      0x23, 0x01, 0x24, 0x00,             /* global.get 1, global.set 0 */
      0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xFC, 0x08, 0x02, 0x01, /* memory.init 2 1 */
      0xFC, 0x09, 0x00, 0xFC, 0x0D, 0x02, /* data.drop 0, elem.drop 2 */
      0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xFC, 0x0C, 0x01, 0x02, /* table.init 1 2 */
      0x41, 0x00, 0x11, 0x01, 0x01,       /* call_indirect type 1 table 1 */
      0xD2, 0x02, 0x1A,                   /* ref.func 2 */
      0x1F, 0x40, 0x01, 0x00, 0x01, 0x00, 0x08, 0x01, 0x0B, /* try_table (catch 1 0) throw 1 */
      0x02, 0x02, 0x0B,                   /* block (type 2) */
      0x20, 0x00, 0x0B,
  };
  tb_u32(&s, sizeof f1);
  tb_put(&s, f1, sizeof f1);
  /* 300 nested blocks: the walker's block stack and the output buffers must grow */
  tb f2;
  tb_init(&f2);
  tb_byte(&f2, 0x00);
  for (int i = 0; i < 300; i++) TB_PUT(&f2, 0x02, 0x40);
  TB_PUT(&f2, 0x3F, 0x01, 0x1A, 0x10, 0x02);
  for (int i = 0; i <= 300; i++) tb_byte(&f2, 0x0B);
  tb_u32(&s, f2.n);
  tb_put(&s, f2.d, f2.n);
  tb_fini(&f2);
  sec(m, 10, &s);
  s.n = 0;
  TB_PUT(&s, 0x03, 0x00, 0x41, 0x00, 0x0B, 0x02, 'h', 'i', 0x01, 0x01, 'p', 0x02, 0x01, 0x41, 0x04,
         0x0B, 0x01, 'q');
  sec(m, 11, &s);
  /* name section: module name, function names (out of order on purpose after remap),
   * local names, memory names, global names */
  s.n = 0;
  tb_name(&s, "name");
  TB_PUT(&s, 0x00, 0x02, 0x01, 'M');
  TB_PUT(&s, 0x01, 0x0A, 0x03, 0x00, 0x01, 'a', 0x01, 0x01, 'b', 0x02, 0x01, 'c');
  TB_PUT(&s, 0x02, 0x06, 0x01, 0x01, 0x01, 0x00, 0x01, 'p');
  TB_PUT(&s, 0x06, 0x07, 0x02, 0x00, 0x01, 'x', 0x01, 0x01, 'y');
  TB_PUT(&s, 0x07, 0x04, 0x01, 0x01, 0x01, 'g');
  sec(m, 0, &s);
  tb_section_raw(m, 0, TB_BYTES(0x04, 'l', 'a', 's', 't'));
  tb_fini(&s);
}

/* The outputs of one pipeline run: written unchanged, after a remap, after a
 * permutation, and after stripping and re-encoding everything. */
enum { OUT_PLAIN, OUT_REMAPPED, OUT_PERMUTED, OUT_STRIPPED, NOUT };
static const char *const out_names[NOUT] = {"plain", "remapped", "permuted", "stripped"};

static const uint32_t rot_type[3] = {1, 2, 0}, rot_func[3] = {2, 0, 1}, swap2[2] = {1, 0},
                      rot_elem[4] = {3, 0, 1, 2}, rot_data[3] = {2, 1, 0},
                      swap12[3] = {0, 2, 1}; /* keeps the import at 0 */

static mb_err run_pipeline(const tb *in, mb_buf out[NOUT]) {
  mb_module *m = NULL;
  mb_diag diag = {0};
  mb_err e;
  const char *stage = "read";
  for (int i = 0; i < NOUT; i++) mb_buf_init(&out[i], TA);
  if ((e = mb_wasm_read(TA, in->d, in->n, &m, &diag))) goto out;
  stage = "write";
  if ((e = mb_wasm_write(m, &out[OUT_PLAIN], &diag))) goto out;
  mb_remap r = {{0}, {0}};
  r.map[MB_SPACE_TYPE] = rot_type, r.count[MB_SPACE_TYPE] = 3;
  r.map[MB_SPACE_FUNC] = rot_func, r.count[MB_SPACE_FUNC] = 3;
  r.map[MB_SPACE_TABLE] = rot_func, r.count[MB_SPACE_TABLE] = 3;
  r.map[MB_SPACE_MEMORY] = swap2, r.count[MB_SPACE_MEMORY] = 2;
  r.map[MB_SPACE_GLOBAL] = rot_func, r.count[MB_SPACE_GLOBAL] = 3;
  r.map[MB_SPACE_TAG] = swap2, r.count[MB_SPACE_TAG] = 2;
  r.map[MB_SPACE_ELEM] = rot_elem, r.count[MB_SPACE_ELEM] = 4;
  r.map[MB_SPACE_DATA] = rot_data, r.count[MB_SPACE_DATA] = 3;
  stage = "remap";
  if ((e = mb_module_remap(m, &r, &diag))) goto out;
  stage = "write after remap";
  if ((e = mb_wasm_write(m, &out[OUT_REMAPPED], &diag))) goto out;
  mb_module_free(m);
  m = NULL;

  stage = "read again";
  if ((e = mb_wasm_read(TA, in->d, in->n, &m, &diag))) goto out;
  /* a permutation keeps imports (index 0 of func, table, memory, global, tag) */
  r.map[MB_SPACE_FUNC] = r.map[MB_SPACE_TABLE] = r.map[MB_SPACE_GLOBAL] = swap12;
  r.map[MB_SPACE_MEMORY] = r.map[MB_SPACE_TAG] = NULL;
  stage = "permute";
  if ((e = mb_module_permute(m, &r, &diag))) goto out;
  stage = "write after permute";
  if ((e = mb_wasm_write(m, &out[OUT_PERMUTED], &diag))) goto out;
  mb_module_strip_customs(m, true);
  mb_module_mark_all_dirty(m);
  stage = "write stripped";
  if ((e = mb_wasm_write(m, &out[OUT_STRIPPED], &diag))) goto out;
out:
  /* every error fills the diagnostic (bug fix: out of memory while pushing a block in
   * the code walker returned MB_ERR_NOMEM with an empty diagnostic) */
  if (e && diag.code != e)
    fail_msg("%s failed with %s but the diagnostic says %s (\"%s\")", stage, mb_err_name(e),
             mb_err_name(diag.code), diag.message);
  mb_module_free(m);
  return e;
}

static void allocation_failure_sweep(void **state) {
  (void)state;
  tb in;
  tb_init(&in);
  full_module(&in);

  mb_buf first[NOUT];
  assert_int_equal(run_pipeline(&in, first), MB_OK);
  long total_calls = g_alloc.calls;
  assert_int_equal(first[OUT_PLAIN].len, in.n);
  assert_memory_equal(first[OUT_PLAIN].data, in.d, in.n);
  assert_int_equal(g_alloc.live, NOUT); /* the output buffers */
  tb ref[NOUT];
  for (int i = 0; i < NOUT; i++) {
    assert_true(first[i].len > 8);
    tb_init(&ref[i]);
    tb_put(&ref[i], first[i].data, first[i].len);
    mb_buf_fini(&first[i]);
    /* every output reads back, except the remapped one: mb_module_remap renumbers
     * references for a larger, fused index space, so alone it refers past its ends */
    if (i == OUT_REMAPPED) continue;
    mb_module *back = NULL;
    mb_diag diag = {0};
    if (mb_wasm_read(TA, ref[i].d, ref[i].n, &back, &diag))
      fail_msg("%s output: %s", out_names[i], diag.message);
    mb_module_free(back);
  }
  assert_true(total_calls > 20);

  long oks = 0, nomems = 0;
  for (long n = 1;; n++) {
    for (int all_after = 0; all_after < 2; all_after++) {
      test_alloc_install(n, all_after);
      mb_buf res[NOUT];
      mb_err e = run_pipeline(&in, res);
      long failed = g_alloc.failed;
      if (e == MB_OK) {
        /* an allocation that failed must not have changed the result */
        oks++;
        for (int i = 0; i < NOUT; i++)
          if (res[i].len != ref[i].n || memcmp(res[i].data, ref[i].d, ref[i].n) != 0)
            fail_msg("failing allocation %ld%s: success with a different %s output", n,
                     all_after ? "+" : "", out_names[i]);
      } else {
        if (e != MB_ERR_NOMEM)
          fail_msg("failing allocation %ld%s: %s instead of out of memory", n, all_after ? "+" : "",
                   mb_err_name(e));
        nomems++;
      }
      for (int i = 0; i < NOUT; i++) mb_buf_fini(&res[i]);
      if (g_alloc.live != 0)
        fail_msg("failing allocation %ld%s: %ld blocks leaked", n, all_after ? "+" : "",
                 g_alloc.live);
      if (failed == 0) { /* past the last allocation: done */
        assert_int_equal(e, MB_OK);
        assert_true(n > total_calls);
        goto done;
      }
    }
  }
done:
  assert_true(nomems > 0);
  print_message("allocation sweep: %ld allocating calls, %ld runs out of memory, %ld ok\n",
                total_calls, nomems, oks);
  test_alloc_install(0, false);
  for (int i = 0; i < NOUT; i++) tb_fini(&ref[i]);
  tb_fini(&in);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      LINKER_TEST(preamble_errors),
      LINKER_TEST(truncation_at_every_byte),
      LINKER_TEST(module_size_limit),
      LINKER_TEST(leb_limits),
      LINKER_TEST(section_ids_and_order),
      LINKER_TEST(section_size_mismatch),
      LINKER_TEST(bad_utf8_names),
      LINKER_TEST(type_errors),
      LINKER_TEST(limits_errors),
      LINKER_TEST(import_export_errors),
      LINKER_TEST(table_tag_function_errors),
      LINKER_TEST(function_code_mismatch),
      LINKER_TEST(data_count_errors),
      LINKER_TEST(segment_errors),
      LINKER_TEST(code_structure_errors),
      LINKER_TEST(atomic_fence_error_points_at_reserved_byte),
      LINKER_TEST(const_expr_errors),
      LINKER_TEST(limit_errors),
      LINKER_TEST(allocation_failure_sweep),
  };
  return cmocka_run_group_tests_name("linker_reader", tests, NULL, NULL);
}
