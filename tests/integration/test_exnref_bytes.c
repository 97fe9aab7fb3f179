/* test_exnref_bytes.c — the Wasm 3.0 exception instructions (try_table with all four
 * catch clause kinds, throw_ref, the exnref type in block types, locals and ref.null)
 * that wabt 1.0.32 can neither assemble nor validate, so the module is built here byte
 * by byte. It also carries the other 3.0 form wabt lacks that membrane accepts: a table
 * with an initialiser expression (0x40 0x00 tabletype expr).
 *
 * The same builder writes the module twice: in its original order, and with every index
 * space reversed (types, defined functions, defined tags; the imported tag stays). So the
 * expected output of mb_module_permute is known exactly, byte for byte: catch clause tag
 * indices, throw tag indices and type-index block types are all rewritten.
 *
 * With MB_NODE set to a Node 26 binary (meson sets it when .deps/node exists) both
 * modules are also run and must return the same values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "membrane_link.h"
#include "reverse_permute.h"

/* ---- a tiny assembler ---- */

typedef struct bytes {
  uint8_t d[1024];
  size_t n;
} bytes;

static void b_put(bytes *b, const uint8_t *p, size_t n) {
  assert_true(b->n + n <= sizeof b->d);
  memcpy(b->d + b->n, p, n);
  b->n += n;
}
#define B(b, ...)                                  \
  do {                                             \
    const uint8_t tmp_[] = {__VA_ARGS__};          \
    b_put((b), tmp_, sizeof tmp_);                 \
  } while (0)

static void b_u32(bytes *b, uint32_t v) {
  do {
    uint8_t c = v & 0x7f;
    v >>= 7;
    if (v) c |= 0x80;
    B(b, c);
  } while (v);
}

static void b_vec(bytes *b, const bytes *inner) {
  b_u32(b, (uint32_t)inner->n);
  b_put(b, inner->d, inner->n);
}

static void b_section(bytes *mod, uint8_t id, const bytes *contents) {
  B(mod, id);
  b_vec(mod, contents);
}

static void b_name(bytes *b, const char *s) {
  b_u32(b, (uint32_t)strlen(s));
  b_put(b, (const uint8_t *)s, strlen(s));
}

/* A custom section; they sit at several places so placement is checked too. */
static void b_custom(bytes *mod, const char *name, const char *payload) {
  bytes c = {{0}, 0};
  b_name(&c, name);
  b_put(&c, (const uint8_t *)payload, strlen(payload));
  b_section(mod, 0, &c);
}

enum { NTYPES = 4, NFUNCS = 4, NTAGS_DEFINED = 2 };
enum { EXNREF = 0x69, I32 = 0x7f };

/* Index mapping for the permuted build: reversed defined parts, imports in place. */
static bool permuted;
static uint8_t T(uint8_t i) { return permuted ? (uint8_t)(NTYPES - 1 - i) : i; }
static uint8_t F(uint8_t i) { return permuted ? (uint8_t)(NFUNCS - 1 - i) : i; }
static uint8_t TAG(uint8_t i) { /* tag 0 is imported */
  return i == 0 || !permuted ? i : (uint8_t)(1 + NTAGS_DEFINED - i);
}

/* Types, in their original order:
 *   0 (func (param i32))                  the payload of every tag
 *   1 (func (result i32))                 every exported function
 *   2 (func (result exnref))
 *   3 (func (result i32 exnref))          a block type (type index in s33) */
static void type_entry(bytes *b, uint8_t old) {
  switch (old) {
  case 0: B(b, 0x60, 1, I32, 0); break;
  case 1: B(b, 0x60, 0, 1, I32); break;
  case 2: B(b, 0x60, 0, 1, EXNREF); break;
  case 3: B(b, 0x60, 0, 2, I32, EXNREF); break;
  }
}

/* Function bodies (all of type 1), original indices in the comments. */
static void body(bytes *b, uint8_t old) {
  bytes e = {{0}, 0};
  switch (old) {
  case 0: /* catch: the payload leaves through the catch label -> 7 */
    B(&e, 0x00);                               /* no locals */
    B(&e, 0x02, I32);                          /* block (result i32) */
    B(&e, 0x1F, 0x40, 1, 0x00, TAG(1), 0);     /*   try_table (catch tag1 0) */
    B(&e, 0x41, 7, 0x08, TAG(1));              /*     i32.const 7; throw tag1 */
    B(&e, 0x0B);                               /*   end */
    B(&e, 0x41, 0x7F);                         /*   i32.const -1 (not reached) */
    B(&e, 0x0B, 0x0B);                         /* end; end */
    break;
  case 1: /* catch_ref into a type-index block: payload and exnref -> 9 */
    B(&e, 0x00);
    B(&e, 0x02, T(3));                         /* block (type 3) [i32 exnref] */
    B(&e, 0x1F, 0x40, 1, 0x01, TAG(2), 0);     /*   try_table (catch_ref tag2 0) */
    B(&e, 0x41, 9, 0x08, TAG(2));              /*     i32.const 9; throw tag2 */
    B(&e, 0x0B, 0x00);                         /*   end; unreachable */
    B(&e, 0x0B);                               /* end */
    B(&e, 0x1A, 0x0B);                         /* drop (the exnref); end */
    break;
  case 2: /* catch_all_ref, then throw_ref caught by catch_all -> 42 */
    B(&e, 0x01, 1, EXNREF);                    /* one local: exnref */
    B(&e, 0x02, 0x40);                         /* block $all */
    B(&e, 0x02, EXNREF);                       /*   block $h (result exnref) */
    B(&e, 0x1F, 0x40, 1, 0x03, 0);             /*     try_table (catch_all_ref $h) */
    B(&e, 0x41, 1, 0x08, TAG(0));              /*       i32.const 1; throw tag0 (imported) */
    B(&e, 0x0B, 0x00);                         /*     end; unreachable */
    B(&e, 0x0B);                               /*   end */
    B(&e, 0x21, 0);                            /*   local.set 0 */
    B(&e, 0x1F, 0x40, 1, 0x02, 0);             /*   try_table (catch_all $all) */
    B(&e, 0x20, 0, 0x0A);                      /*     local.get 0; throw_ref */
    B(&e, 0x0B);                               /*   end */
    B(&e, 0x41, 0x7F, 0x0F);                   /*   i32.const -1; return */
    B(&e, 0x0B);                               /* end */
    B(&e, 0x41, 42, 0x0B);                     /* i32.const 42; end */
    break;
  case 3: /* exnref local, ref.null exn, ref.is_null, a typed block returning exnref */
    B(&e, 0x01, 2, EXNREF);                    /* two exnref locals */
    B(&e, 0x02, T(2));                         /* block (type 2) [exnref] */
    B(&e, 0xD0, EXNREF);                       /*   ref.null exn */
    B(&e, 0x0B);                               /* end */
    B(&e, 0x21, 1, 0x20, 1);                   /* local.set 1; local.get 1 */
    B(&e, 0xD1);                               /* ref.is_null */
    B(&e, 0x20, 0, 0xD1, 0x6A);                /* local.get 0; ref.is_null; i32.add */
    B(&e, 0x0B);                               /* end -> 2 */
    break;
  }
  b_vec(b, &e);
}

static const char *const export_names[NFUNCS] = {"catch_value", "catch_ref", "throw_ref",
                                                 "null_exnref"};

/* The module, in original order or with every index space reversed. */
static void build(bytes *mod, bool permute) {
  permuted = permute;
  bytes s;
  mod->n = 0;
  B(mod, 0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00);
  b_custom(mod, "first", "before every section");

  s.n = 0; /* types, at their new positions */
  b_u32(&s, NTYPES);
  for (uint8_t nw = 0; nw < NTYPES; nw++)
    for (uint8_t old = 0; old < NTYPES; old++)
      if (T(old) == nw) type_entry(&s, old);
  b_section(mod, 1, &s);

  s.n = 0; /* import: one tag */
  b_u32(&s, 1);
  b_name(&s, "env");
  b_name(&s, "imported_tag");
  B(&s, 0x04, 0x00, T(0));
  b_section(mod, 2, &s);
  b_custom(mod, "after-import", "x");
  b_custom(mod, "after-import-2", "yy");

  s.n = 0; /* functions: all of type 1 */
  b_u32(&s, NFUNCS);
  for (uint8_t i = 0; i < NFUNCS; i++) B(&s, T(1));
  b_section(mod, 3, &s);

  s.n = 0; /* table: 2 funcref slots, each initialised to ref.func of old function 3 */
  b_u32(&s, 1);
  B(&s, 0x40, 0x00, 0x70, 0x00, 2, 0xD2, F(3), 0x0B);
  b_section(mod, 4, &s);

  s.n = 0; /* tags (section 13, between memory and global) */
  b_u32(&s, NTAGS_DEFINED);
  for (uint8_t i = 0; i < NTAGS_DEFINED; i++) B(&s, 0x00, T(0));
  b_section(mod, 13, &s);

  s.n = 0; /* exports: the four functions, both defined tags, the table */
  b_u32(&s, NFUNCS + NTAGS_DEFINED + 1);
  for (uint8_t i = 0; i < NFUNCS; i++) {
    b_name(&s, export_names[i]);
    B(&s, 0x00, F(i));
  }
  b_name(&s, "tag1");
  B(&s, 0x04, TAG(1));
  b_name(&s, "tag2");
  B(&s, 0x04, TAG(2));
  b_name(&s, "table");
  B(&s, 0x01, 0);
  b_section(mod, 7, &s);
  b_custom(mod, "before-code", "zzz");

  s.n = 0; /* code, at the new positions */
  b_u32(&s, NFUNCS);
  for (uint8_t nw = 0; nw < NFUNCS; nw++)
    for (uint8_t old = 0; old < NFUNCS; old++)
      if (F(old) == nw) body(&s, old);
  b_section(mod, 10, &s);
  b_custom(mod, "last", "");
}

/* ---- helpers ---- */

static mb_module *read_ok(const bytes *b) {
  mb_module *m = NULL;
  mb_diag diag = {0};
  mb_err e = mb_wasm_read(NULL, b->d, b->n, &m, &diag);
  if (e) fail_msg("read: %s at offset %llu: %s", mb_err_name(e), (unsigned long long)diag.offset,
                  diag.message);
  return m;
}

static void assert_writes(const mb_module *m, const bytes *expect, const char *what) {
  mb_buf out;
  mb_diag diag = {0};
  mb_buf_init(&out, NULL);
  assert_int_equal(mb_wasm_write(m, &out, &diag), MB_OK);
  size_t i = 0;
  while (i < out.len && i < expect->n && out.data[i] == expect->d[i]) i++;
  if (i != out.len || i != expect->n)
    fail_msg("%s: bytes differ at offset %zu (lengths %zu, expected %zu)", what, i, out.len,
             expect->n);
  mb_buf_fini(&out);
}

/* ---- tests ---- */

static void test_read_write(void **state) {
  (void)state;
  bytes mod;
  build(&mod, false);
  mb_module *m = read_ok(&mod);
  assert_true(m->features & MB_FEAT_EXCEPTIONS);
  assert_false(m->features & MB_FEAT_LEGACY_EXCEPTIONS);
  assert_int_equal(m->ntypes, NTYPES);
  assert_int_equal(m->nimported[MB_KIND_TAG], 1);
  assert_int_equal(m->ntags, NTAGS_DEFINED);
  assert_int_equal(m->types[3].nresults, 2);
  assert_int_equal(m->types[3].results[1], EXNREF);
  assert_int_equal(m->ntables, 1);
  assert_int_equal(m->tables[0].init.len, 3); /* ref.func 3; end */
  assert_int_equal(m->ncustoms, 5);
  assert_int_equal(m->customs[0].before, MB_SEC_TYPE);
  assert_int_equal(m->customs[1].before, MB_SEC_FUNCTION);
  assert_int_equal(m->customs[2].before, MB_SEC_FUNCTION);
  assert_int_equal(m->customs[3].before, MB_SEC_CODE);
  assert_int_equal(m->customs[4].before, MB_SEC_COUNT);
  assert_writes(m, &mod, "read + write");
  mb_module_mark_all_dirty(m);
  assert_writes(m, &mod, "re-encoded");
  mb_module_free(m);
}

static void test_identity_remap(void **state) {
  (void)state;
  bytes mod;
  build(&mod, false);
  mb_module *m = read_ok(&mod);
  mb_remap none = {{0}, {0}};
  mb_diag diag = {0};
  assert_int_equal(mb_module_remap(m, &none, &diag), MB_OK);
  assert_writes(m, &mod, "identity remap");
  mb_module_free(m);
}

static void test_permute_exact(void **state) {
  (void)state;
  bytes mod, expect;
  build(&mod, false);
  build(&expect, true);
  mb_module *m = read_ok(&mod);
  mb_diag diag = {0};
  mb_err e = mbt_reverse_permute(m, &diag);
  if (e) fail_msg("permute: %s: %s", mb_err_name(e), diag.message);
  assert_writes(m, &expect, "permuted");
  mb_module_free(m);

  /* and back */
  m = read_ok(&expect);
  assert_int_equal(mbt_reverse_permute(m, &diag), MB_OK);
  assert_writes(m, &mod, "permuted twice");
  mb_module_free(m);
}

/* A remap that moves only tags rewrites exactly the tag immediates of every catch clause
 * kind that has one (catch, catch_ref) and of throw; catch_all(_ref) have none. */
static void test_code_rewrite_tags(void **state) {
  (void)state;
  static const uint8_t in[] = {
      0x00,                                                  /* locals */
      0x02, 0x40,                                            /* block */
      0x1F, 0x40, 4, 0x00, 1, 0, 0x01, 2, 0, 0x02, 0, 0x03, 0, /* try_table, 4 clauses */
      0x08, 2,                                               /* throw 2 */
      0x0B, 0x0B, 0x0B};
  static const uint8_t want[] = {
      0x00, 0x02, 0x40,
      0x1F, 0x40, 4, 0x00, 0x81, 0x01, 0, 0x01, 0x80, 0x01, 0, 0x02, 0, 0x03, 0,
      0x08, 0x80, 0x01,
      0x0B, 0x0B, 0x0B};
  uint32_t tags[3] = {0, 129, 128}; /* LEBs grow from one byte to two */
  mb_remap rm = {{0}, {0}};
  rm.map[MB_SPACE_TAG] = tags;
  rm.count[MB_SPACE_TAG] = 3;
  mb_buf out;
  mb_diag diag = {0};
  mb_buf_init(&out, NULL);
  assert_int_equal(mb_code_rewrite(in, sizeof in, 0, &rm, &out, &diag), MB_OK);
  assert_int_equal(out.len, sizeof want);
  assert_memory_equal(out.data, want, sizeof want);
  mb_buf_fini(&out);
}

static void test_malformed(void **state) {
  (void)state;
  static const uint32_t lim[MB_SPACE_COUNT] = {4, 4, 0, 0, 0, 3, 0, 0};
  mb_diag diag = {0};
  /* catch clause kind 4 does not exist */
  static const uint8_t bad_kind[] = {0x00, 0x1F, 0x40, 1, 0x04, 0, 0x0B, 0x0B};
  assert_int_equal(mb_code_check(NULL, bad_kind, sizeof bad_kind, 100, lim, &diag),
                   MB_ERR_BAD_IMMEDIATE);
  assert_int_equal(diag.offset, 104);
  /* catch_ref of tag 3 with 3 tags */
  static const uint8_t bad_tag[] = {0x00, 0x1F, 0x40, 1, 0x01, 3, 0, 0x0B, 0x0B};
  assert_int_equal(mb_code_check(NULL, bad_tag, sizeof bad_tag, 0, lim, &diag), MB_ERR_INDEX_RANGE);
  /* clause list cut short */
  static const uint8_t cut[] = {0x00, 0x1F, 0x40, 2, 0x02, 0};
  assert_int_equal(mb_code_check(NULL, cut, sizeof cut, 0, lim, &diag), MB_ERR_UNEXPECTED_END);
  /* try_table closed by delegate is not legacy try */
  static const uint8_t delegate[] = {0x00, 0x1F, 0x40, 0, 0x18, 0, 0x0B};
  assert_int_equal(mb_code_check(NULL, delegate, sizeof delegate, 0, lim, &diag),
                   MB_ERR_BAD_STRUCTURE);
  /* exnref is a value type, and so is the typed (ref null exn) spelling (3.0) */
  static const uint8_t typed[] = {0x01, 1, 0x63, 0x69, 0x0B};
  assert_int_equal(mb_code_check(NULL, typed, sizeof typed, 0, lim, &diag), MB_OK);
  static const uint8_t typed_bad[] = {0x01, 1, 0x63, 0x7F, 0x0B};
  assert_int_equal(mb_code_check(NULL, typed_bad, sizeof typed_bad, 0, lim, &diag), MB_ERR_BAD_TYPE);
}

/* Run both builds on Node 26 and compare with the values the bodies are built to give. */
static void test_runs_on_node(void **state) {
  (void)state;
  const char *node = getenv("MB_NODE");
  if (!node || !*node) skip();
  static const char script[] =
      "const fs = require('fs');\n"
      "const tag = new WebAssembly.Tag({parameters: ['i32']});\n"
      "const out = [];\n"
      "for (const f of process.argv.slice(1)) {\n"
      "  const instance = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(f)),\n"
      "    {env: {imported_tag: tag}});\n"
      "  const e = instance.exports;\n"
      "  out.push([e.catch_value(), e.catch_ref(), e.throw_ref(), e.null_exnref(),\n"
      "            e.table.get(0)(), e.table.get(1)()].join(' '));\n"
      "}\n"
      "process.stdout.write(out.join('\\n') + '\\n');\n";
  bytes mods[2];
  build(&mods[0], false);
  build(&mods[1], true);
  char paths[2][512];
  const char *tmp = getenv("TMPDIR");
  for (int i = 0; i < 2; i++) {
    snprintf(paths[i], sizeof paths[i], "%s/mb-exnref-%d-XXXXXX", tmp && *tmp ? tmp : "/tmp", i);
    int fd = mkstemp(paths[i]);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, mods[i].d, mods[i].n), (ssize_t)mods[i].n);
    close(fd);
  }
  int pipefd[2];
  assert_int_equal(pipe(pipefd), 0);
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pipefd[1], 1);
    close(pipefd[0]);
    execl(node, node, "-e", script, paths[0], paths[1], (char *)NULL);
    _exit(127);
  }
  close(pipefd[1]);
  char got[256] = {0};
  size_t n = 0;
  ssize_t r;
  while (n < sizeof got - 1 && (r = read(pipefd[0], got + n, sizeof got - 1 - n)) > 0)
    n += (size_t)r;
  close(pipefd[0]);
  int status;
  waitpid(pid, &status, 0);
  unlink(paths[0]);
  unlink(paths[1]);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  assert_string_equal(got, "7 9 42 2 2 2\n7 9 42 2 2 2\n");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_read_write),
      cmocka_unit_test(test_identity_remap),
      cmocka_unit_test(test_permute_exact),
      cmocka_unit_test(test_code_rewrite_tags),
      cmocka_unit_test(test_malformed),
      cmocka_unit_test(test_runs_on_node),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
