/* test_linker_wit_abi.c — the canonical ABI of WIT: core signatures (flatten_functype,
 * lift and lower), flattening of every type with the variant join rules, and sizes,
 * alignments, field and payload offsets. Every expected value is computed by hand from
 * CanonicalABI.md, not by running the code under test. */
#include <stdio.h>

#include "linker_test_util.h"

static const char *core_name(uint8_t t) {
  switch (t) {
  case MB_WIT_CORE_I32: return "i32";
  case MB_WIT_CORE_I64: return "i64";
  case MB_WIT_CORE_F32: return "f32";
  case MB_WIT_CORE_F64: return "f64";
  default: return "?";
  }
}

/* "(i32 i32) -> (i32)" */
static void sig_text(const mb_wit_core_sig *s, char *buf, size_t cap) {
  size_t n = (size_t)snprintf(buf, cap, "(");
  for (uint32_t i = 0; i < s->nparams; i++)
    n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? " " : "", core_name(s->params[i]));
  n += (size_t)snprintf(buf + n, cap - n, ") -> (");
  for (uint32_t i = 0; i < s->nresults; i++)
    n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? " " : "", core_name(s->results[i]));
  snprintf(buf + n, cap - n, ")");
}

/* Interface `i` of package t:t holding `resource r;` and decls. */
static mb_wit *load(const char *decls) {
  size_t cap = strlen(decls) + 128;
  char *src = malloc(cap);
  assert_non_null(src);
  snprintf(src, cap, "package t:t;\ninterface i {\n  resource r;\n  %s\n}\n", decls);
  mb_wit *w = mb_wit_new();
  mb_wit_diag d;
  mb_wit_err e = mb_wit_add_source(w, "t.wit", src, strlen(src), &d);
  if (!e) e = mb_wit_resolve(w, &d);
  if (e) fail_msg("%s: %s\nin: %s", mb_wit_err_name(e), d.message, src);
  free(src);
  return w;
}

static const mb_wit_iface *iface(const mb_wit *w) {
  const mb_wit_iface *i = mb_wit_find_interface(w, "t:t/i");
  assert_non_null(i);
  return i;
}

typedef struct sig_case {
  const char *decls;
  const char *func; /* core name; NULL = "f" */
  const char *lift, *lower;
  bool params_in_memory, result_in_memory;
} sig_case;

#define U32X8 "u32, u32, u32, u32, u32, u32, u32, u32"
#define P8(x) x "1: u32, " x "2: u32, " x "3: u32, " x "4: u32, " x "5: u32, " x "6: u32, " \
              x "7: u32, " x "8: u32"
#define I32X8 "i32 i32 i32 i32 i32 i32 i32 i32"
#define I32X16 I32X8 " " I32X8

static void test_signatures(void **state) {
  (void)state;
  static const sig_case cases[] = {
      /* the brief's table */
      {"f: func(s: string);", 0, "(i32 i32) -> ()", "(i32 i32) -> ()", 0, 0},
      {"f: func(b: list<u8>);", 0, "(i32 i32) -> ()", "(i32 i32) -> ()", 0, 0},
      {"f: func(a: own<r>, b: borrow<r>, c: r);", 0, "(i32 i32 i32) -> ()", "(i32 i32 i32) -> ()",
       0, 0},
      {"f: func(x: option<u64>);", 0, "(i32 i64) -> ()", "(i32 i64) -> ()", 0, 0},
      {"f: func(x: result<string, u32>);", 0, "(i32 i32 i32) -> ()", "(i32 i32 i32) -> ()", 0, 0},
      /* variant join: equal types stay, i32/f32 join to i32, anything else to i64 */
      {"variant v { a(f32), b(s64) } f: func(x: v);", 0, "(i32 i64) -> ()", "(i32 i64) -> ()", 0, 0},
      {"variant v { a(f32), b(u32) } f: func(x: v);", 0, "(i32 i32) -> ()", "(i32 i32) -> ()", 0, 0},
      {"variant v { a(f32), b(f32) } f: func(x: v);", 0, "(i32 f32) -> ()", "(i32 f32) -> ()", 0, 0},
      {"variant v { a(f32), b(f64) } f: func(x: v);", 0, "(i32 i64) -> ()", "(i32 i64) -> ()", 0, 0},
      {"variant v { a(f64), b(u32) } f: func(x: v);", 0, "(i32 i64) -> ()", "(i32 i64) -> ()", 0, 0},
      {"variant v { a(f64) } f: func(x: v);", 0, "(i32 f64) -> ()", "(i32 f64) -> ()", 0, 0},
      {"variant v { a, b(tuple<f32, u8>), c(tuple<u64>) } f: func(x: v);", 0,
       "(i32 i64 i32) -> ()", "(i32 i64 i32) -> ()", 0, 0},
      {"variant v { a(string), b(f64) } f: func(x: v);", 0, "(i32 i64 i32) -> ()",
       "(i32 i64 i32) -> ()", 0, 0},
      {"variant v { a, b } f: func(x: v);", 0, "(i32) -> ()", "(i32) -> ()", 0, 0},
      /* despecialized types */
      {"enum e { a, b } f: func(x: e) -> e;", 0, "(i32) -> (i32)", "(i32) -> (i32)", 0, 0},
      {"flags g { a, b, c } f: func(x: g) -> g;", 0, "(i32) -> (i32)", "(i32) -> (i32)", 0, 0},
      {"f: func(x: result<option<f32>, list<u8>>);", 0, "(i32 i32 i32) -> ()",
       "(i32 i32 i32) -> ()", 0, 0},
      {"f: func(x: tuple<u8, f64, string>);", 0, "(i32 f64 i32 i32) -> ()",
       "(i32 f64 i32 i32) -> ()", 0, 0},
      {"f: func(x: option<option<f32>>);", 0, "(i32 i32 f32) -> ()", "(i32 i32 f32) -> ()", 0, 0},
      {"f: func(x: result<f32, f32>);", 0, "(i32 f32) -> ()", "(i32 f32) -> ()", 0, 0},
      {"f: func(x: result<u64, f32>);", 0, "(i32 i64) -> ()", "(i32 i64) -> ()", 0, 0},
      {"f: func(x: result<_, f32>, y: result<u8>, z: result);", 0,
       "(i32 f32 i32 i32 i32) -> ()", "(i32 f32 i32 i32 i32) -> ()", 0, 0},
      {"f: func(x: list<string>);", 0, "(i32 i32) -> ()", "(i32 i32) -> ()", 0, 0},
      {"f: func(a: char, b: bool, c: s8, d: u16, e: s64, g: f32, h: f64, k: u8, m: s16, n: s32, "
       "o: u64);",
       0, "(i32 i32 i32 i32 i64 f32 f64 i32 i32 i32 i64) -> ()",
       "(i32 i32 i32 i32 i64 f32 f64 i32 i32 i32 i64) -> ()", 0, 0},
      /* parameters: 16 flat values pass as they are, 17 go through memory */
      {"record rr { " P8("a") ", " P8("b") " } f: func(x: rr);", 0, "(" I32X16 ") -> ()",
       "(" I32X16 ") -> ()", 0, 0},
      {"record rr { " P8("a") ", " P8("b") ", c: u8 } f: func(x: rr);", 0, "(i32) -> ()",
       "(i32) -> ()", 1, 0},
      {"f: func(" P8("a") ", " P8("b") ");", 0, "(" I32X16 ") -> ()", "(" I32X16 ") -> ()", 0, 0},
      {"f: func(" P8("a") ", " P8("b") ", c: u8);", 0, "(i32) -> ()", "(i32) -> ()", 1, 0},
      {"f: func(a: string, b: string, c: string, d: string, e: string, g: string, h: string, "
       "k: string);",
       0, "(" I32X16 ") -> ()", "(" I32X16 ") -> ()", 0, 0},
      {"f: func(a: string, b: string, c: string, d: string, e: string, g: string, h: string, "
       "k: string, m: string);",
       0, "(i32) -> ()", "(i32) -> ()", 1, 0},
      {"variant big { a(tuple<" U32X8 ", " U32X8 ">) } f: func(x: big);", 0, "(i32) -> ()",
       "(i32) -> ()", 1, 0},
      {"f: func(x: tuple<tuple<" U32X8 ", " U32X8 ">, u8>);", 0, "(i32) -> ()", "(i32) -> ()",
       1, 0},
      /* results: one flat value is returned, more go through memory */
      {"f: func() -> u32;", 0, "() -> (i32)", "() -> (i32)", 0, 0},
      {"f: func() -> f64;", 0, "() -> (f64)", "() -> (f64)", 0, 0},
      {"f: func() -> result;", 0, "() -> (i32)", "() -> (i32)", 0, 0},
      {"f: func() -> r;", 0, "() -> (i32)", "() -> (i32)", 0, 0},
      {"f: func() -> string;", 0, "() -> (i32)", "(i32) -> ()", 0, 1},
      {"f: func() -> tuple<u32, u32>;", 0, "() -> (i32)", "(i32) -> ()", 0, 1},
      {"f: func() -> option<u32>;", 0, "() -> (i32)", "(i32) -> ()", 0, 1},
      {"enum e { a } f: func() -> result<_, e>;", 0, "() -> (i32)", "(i32) -> ()", 0, 1},
      {"f: func(x: f32) -> tuple<f32>;", 0, "(f32) -> (f32)", "(f32) -> (f32)", 0, 0},
      /* both: the return pointer comes after 16 flat parameters, or after the pointer */
      {"f: func(" P8("a") ", " P8("b") ") -> string;", 0, "(" I32X16 ") -> (i32)",
       "(" I32X16 " i32) -> ()", 0, 1},
      {"f: func(" P8("a") ", " P8("b") ", c: u8) -> string;", 0, "(i32) -> (i32)",
       "(i32 i32) -> ()", 1, 1},
      /* resource functions */
      {"resource c { m: func(x: u64) -> bool; }", "[method]c.m", "(i32 i64) -> (i32)",
       "(i32 i64) -> (i32)", 0, 0},
      {"resource c { constructor(s: string); }", "[constructor]c", "(i32 i32) -> (i32)",
       "(i32 i32) -> (i32)", 0, 0},
      {"resource c { s: static func() -> c; }", "[static]c.s", "() -> (i32)", "() -> (i32)", 0, 0},
      {"resource c { s: static func() -> list<c>; }", "[static]c.s", "() -> (i32)",
       "(i32) -> ()", 0, 1},
      {"resource c;", "[resource-drop]c", "(i32) -> ()", "(i32) -> ()", 0, 0},
      {"", "[resource-drop]r", "(i32) -> ()", "(i32) -> ()", 0, 0},
  };
  for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
    const sig_case *c = &cases[k];
    mb_wit *w = load(c->decls);
    const mb_wit_func *f = mb_wit_find_func(iface(w), c->func ? c->func : "f");
    if (!f) fail_msg("case %zu: no function %s", k, c->func ? c->func : "f");
    for (int abi = MB_WIT_LIFT; abi <= MB_WIT_LOWER; abi++) {
      mb_wit_core_sig s;
      char got[512];
      mb_wit_func_sig(f, (mb_wit_abi)abi, &s);
      sig_text(&s, got, sizeof got);
      const char *want = abi == MB_WIT_LIFT ? c->lift : c->lower;
      if (strcmp(got, want) != 0 || s.params_in_memory != c->params_in_memory ||
          s.result_in_memory != c->result_in_memory)
        fail_msg("case %zu (%s) %s: want %s%s%s, got %s%s%s", k, c->decls,
                 abi == MB_WIT_LIFT ? "lift" : "lower", want,
                 c->params_in_memory ? " params-in-memory" : "",
                 c->result_in_memory ? " result-in-memory" : "", got,
                 s.params_in_memory ? " params-in-memory" : "",
                 s.result_in_memory ? " result-in-memory" : "");
      mb_functype ft = mb_wit_sig_functype(&s);
      assert_int_equal(ft.nparams, s.nparams);
      assert_int_equal(ft.nresults, s.nresults);
      assert_ptr_equal(ft.params, s.params);
      assert_ptr_equal(ft.results, s.results);
    }
    mb_wit_free(w);
  }
}

typedef struct layout_case {
  const char *decls; /* defines type `t` */
  uint32_t size, align, nflat;
  const char *flat; /* the first min(nflat, 16) core types */
  uint32_t disc_size, payload_offset;
} layout_case;

static void flat_text(const mb_wit_type *t, char *buf, size_t cap) {
  size_t n = 0;
  buf[0] = 0;
  for (uint32_t i = 0; i < t->nflat && i < MB_WIT_MAX_FLAT_PARAMS; i++)
    n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? " " : "", core_name(t->flat[i]));
}

static void check_layout(size_t k, const layout_case *c) {
  mb_wit *w = load(c->decls);
  const mb_wit_type *t = mb_wit_find_type(iface(w), "t");
  if (!t) fail_msg("case %zu: no type t", k);
  char flat[256];
  flat_text(t, flat, sizeof flat);
  if (t->size != c->size || t->align != c->align || t->nflat != c->nflat ||
      strcmp(flat, c->flat) != 0 || t->disc_size != c->disc_size ||
      t->payload_offset != c->payload_offset)
    fail_msg("case %zu (%.80s): want size %u align %u nflat %u [%s] disc %u payload %u; got "
             "size %u align %u nflat %u [%s] disc %u payload %u",
             k, c->decls, c->size, c->align, c->nflat, c->flat, c->disc_size, c->payload_offset,
             t->size, t->align, t->nflat, flat, t->disc_size, t->payload_offset);
  mb_wit_free(w);
}

static void test_layout(void **state) {
  (void)state;
  static const layout_case cases[] = {
      {"type t = bool;", 1, 1, 1, "i32", 0, 0},
      {"type t = s8;", 1, 1, 1, "i32", 0, 0},
      {"type t = u8;", 1, 1, 1, "i32", 0, 0},
      {"type t = s16;", 2, 2, 1, "i32", 0, 0},
      {"type t = u16;", 2, 2, 1, "i32", 0, 0},
      {"type t = s32;", 4, 4, 1, "i32", 0, 0},
      {"type t = u32;", 4, 4, 1, "i32", 0, 0},
      {"type t = s64;", 8, 8, 1, "i64", 0, 0},
      {"type t = u64;", 8, 8, 1, "i64", 0, 0},
      {"type t = f32;", 4, 4, 1, "f32", 0, 0},
      {"type t = f64;", 8, 8, 1, "f64", 0, 0},
      {"type t = char;", 4, 4, 1, "i32", 0, 0},
      {"type t = string;", 8, 4, 2, "i32 i32", 0, 0},
      {"type t = list<u64>;", 8, 4, 2, "i32 i32", 0, 0},
      {"type t = own<r>;", 4, 4, 1, "i32", 0, 0},
      {"type t = borrow<r>;", 4, 4, 1, "i32", 0, 0},
      {"type t = option<u8>;", 2, 1, 2, "i32 i32", 1, 1},
      {"type t = option<u64>;", 16, 8, 2, "i32 i64", 1, 8},
      {"type t = option<string>;", 12, 4, 3, "i32 i32 i32", 1, 4},
      {"type t = result;", 1, 1, 1, "i32", 1, 1},
      {"type t = result<u8, u64>;", 16, 8, 2, "i32 i64", 1, 8},
      {"type t = result<_, u32>;", 8, 4, 2, "i32 i32", 1, 4},
      {"type t = result<f64, string>;", 16, 8, 3, "i32 i64 i32", 1, 8},
      {"type t = tuple<u8, u16>;", 4, 2, 2, "i32 i32", 0, 0},
      {"type t = tuple<u8, u32, u8>;", 12, 4, 3, "i32 i32 i32", 0, 0},
      {"type t = tuple<u64, u8>;", 16, 8, 2, "i64 i32", 0, 0},
      {"record t { a: u8, b: f64, c: string }", 24, 8, 4, "i32 f64 i32 i32", 0, 0},
      {"enum t { a, b }", 1, 1, 1, "i32", 1, 1},
      {"flags t { a }", 1, 1, 1, "i32", 0, 0},
      {"flags t { a0, a1, a2, a3, a4, a5, a6, a7 }", 1, 1, 1, "i32", 0, 0},
      {"flags t { a0, a1, a2, a3, a4, a5, a6, a7, a8 }", 2, 2, 1, "i32", 0, 0},
      {"flags t { a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, b0, b1, b2, b3, b4, b5 }", 2, 2, 1,
       "i32", 0, 0},
      {"flags t { a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, b0, b1, b2, b3, b4, b5, b6 }", 4, 4, 1,
       "i32", 0, 0},
      {"flags t { a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, b0, b1, b2, b3, b4, b5, b6, b7, b8, "
       "b9, c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, d0, d1 }",
       4, 4, 1, "i32", 0, 0},
      {"variant t { a, b(u64) }", 16, 8, 2, "i32 i64", 1, 8},
      {"variant t { a(u8) }", 2, 1, 2, "i32 i32", 1, 1},
      {"variant t { a(u16), b(u8) }", 4, 2, 2, "i32 i32", 1, 2},
      {"variant t { a(f32), b(tuple<u8, u8, u8, u8, u8>) }", 12, 4, 6,
       "i32 i32 i32 i32 i32 i32", 1, 4},
      {"type t = tuple<tuple<" U32X8 ", " U32X8 ">, u64, f32>;", 80, 8, 18,
       I32X16, 0, 0},
      {"variant t { a(tuple<" U32X8 ", " U32X8 ">), b(f32) }", 68, 4, 17,
       "i32 " I32X8 " i32 i32 i32 i32 i32 i32 i32", 1, 4},
  };
  for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) check_layout(k, &cases[k]);
}

/* The discriminant grows from u8 to u16 after 256 cases. */
static void test_discriminants(void **state) {
  (void)state;
  static const struct {
    const char *kind;
    unsigned n;
    const char *payload;
    uint32_t size, align, disc, payload_offset;
  } cases[] = {
      {"enum", 256, "", 1, 1, 1, 1},
      {"enum", 257, "", 2, 2, 2, 2},
      {"variant", 256, "(u8)", 2, 1, 1, 1},
      {"variant", 257, "(u8)", 4, 2, 2, 2},
      {"variant", 300, "(u64)", 16, 8, 2, 8},
  };
  for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
    size_t cap = 64 + cases[k].n * 16;
    char *decls = malloc(cap), *p = decls;
    assert_non_null(decls);
    p += sprintf(p, "%s t { ", cases[k].kind);
    for (unsigned i = 0; i < cases[k].n; i++) p += sprintf(p, "c%u%s, ", i, i ? "" : cases[k].payload);
    sprintf(p, "}");
    layout_case c = {decls, cases[k].size, cases[k].align, cases[k].payload[0] ? 2 : 1,
                     cases[k].payload[0] ? (strcmp(cases[k].payload, "(u64)") ? "i32 i32" : "i32 i64")
                                         : "i32",
                     cases[k].disc, cases[k].payload_offset};
    check_layout(k, &c);
    free(decls);
  }
}

static void test_fields_and_flags(void **state) {
  (void)state;
  mb_wit *w = load("record rr { a: u8, b: u32, c: u8, d: u64 }\n"
                   "record hold { h: own<r> }\n"
                   "type lend = list<borrow<r>>;\n"
                   "type text = option<string>;\n"
                   "type plain = tuple<u32, f64>;\n"
                   "f: func(a: u8, b: u64, c: u16);\n"
                   "g: func(x: lend) -> u32;\n"
                   "h: func() -> hold;\n"
                   "k: func();\n");
  const mb_wit_iface *i = iface(w);
  const mb_wit_type *rr = mb_wit_find_type(i, "rr");
  assert_int_equal(rr->size, 24);
  assert_int_equal(rr->align, 8);
  assert_int_equal(rr->fields[0].offset, 0);
  assert_int_equal(rr->fields[1].offset, 4);
  assert_int_equal(rr->fields[2].offset, 8);
  assert_int_equal(rr->fields[3].offset, 16);
  const mb_wit_type *hold = mb_wit_find_type(i, "hold");
  assert_true(hold->has_own);
  assert_false(hold->has_borrow);
  assert_false(hold->has_lists);
  const mb_wit_type *lend = mb_wit_find_type(i, "lend");
  assert_true(lend->has_borrow);
  assert_true(lend->has_lists);
  assert_false(lend->has_own);
  const mb_wit_type *text = mb_wit_find_type(i, "text");
  assert_true(text->has_lists);
  assert_false(text->has_own || text->has_borrow);
  const mb_wit_type *plain = mb_wit_find_type(i, "plain");
  assert_false(plain->has_own || plain->has_borrow || plain->has_lists);

  const mb_wit_func *f = mb_wit_find_func(i, "f");
  assert_int_equal(f->params_size, 24); /* u8 @0, u64 @8, u16 @16, rounded to 8 */
  assert_int_equal(f->params_align, 8);
  assert_false(f->has_handles || f->has_lists);
  const mb_wit_func *g = mb_wit_find_func(i, "g");
  assert_true(g->has_handles);
  assert_true(g->has_lists);
  assert_int_equal(g->params_size, 8);
  assert_int_equal(g->params_align, 4);
  const mb_wit_func *h = mb_wit_find_func(i, "h");
  assert_true(h->has_handles);
  assert_false(h->has_lists);
  const mb_wit_func *k = mb_wit_find_func(i, "k");
  assert_int_equal(k->params_size, 0);
  assert_int_equal(k->params_align, 1);
  mb_wit_func_sig(k, MB_WIT_LOWER, &(mb_wit_core_sig){0});
  mb_wit_free(w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      LINKER_TEST(test_signatures),
      LINKER_TEST(test_layout),
      LINKER_TEST(test_discriminants),
      LINKER_TEST(test_fields_and_flags),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
