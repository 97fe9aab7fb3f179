/* test_linker_append.c — building a module through the model's functions, and
 * mb_module_append: two small modules appended into one through their maps (imports
 * resolved to the other's definitions, memories and globals shifted, segments placed out
 * of order), written, read back and checked index by index; the lazy mode (bodies
 * renumbered as written) gives the same module as the eager one; what append refuses
 * leaves the target unchanged. */
#include "linker_test_util.h"

static const mb_valtype I32[] = {0x7F};
static const mb_functype void_to_i32 = {0, 1, NULL, I32};
static const mb_functype i32_to_void = {1, 0, I32, NULL};
static const uint8_t const5[] = {0x41, 0x05, 0x0B}, const7[] = {0x41, 0x07, 0x0B},
                     const8[] = {0x41, 0x08, 0x0B};

static void ok(mb_err e, const mb_diag *d) {
  if (e) fail_msg("%s: %s", mb_err_name(e), d->message);
}

/* A: (func (result i32) i32.const 1) (memory 1) (global i32 (i32.const 5)), export "a". */
static mb_module *module_a(void) {
  mb_module *m = mb_module_new(TA);
  mb_diag d = {0};
  uint32_t t, f, i;
  static const uint8_t body[] = {0x00, 0x41, 0x01, 0x0B};
  const mb_limits mem = {0, 1, 0};
  const mb_global g = {{0x7F, false}, {const5, sizeof const5}};
  assert_non_null(m);
  ok(mb_module_add_type(m, &void_to_i32, &t, &d), &d);
  ok(mb_module_add_func(m, t, body, sizeof body, &f, &d), &d);
  ok(mb_module_add_memory(m, &mem, &i, &d), &d);
  ok(mb_module_add_global(m, &g, &i, &d), &d);
  ok(mb_module_add_export(m, "a", 1, MB_KIND_FUNC, f, &d), &d);
  return m;
}

/* B: imports a's function; one function (param i32) that calls it, loads from memory 0,
 * calls itself and reads global 0; a memory, a global, a declarative element segment
 * naming the function, an active and a passive data segment. */
static const uint8_t b_body[] = {0x00,                   /* no locals */
                                 0x10, 0x00, 0x1A,       /* call 0, drop */
                                 0x20, 0x00, 0x28, 0x02, 0x00, 0x1A, /* i32.load mem 0 */
                                 0x20, 0x00, 0x10, 0x01, /* local.get 0, call 1 */
                                 0x23, 0x00, 0x1A,       /* global.get 0, drop */
                                 0x0B};
static mb_module *module_b(void) {
  mb_module *m = mb_module_new(TA);
  mb_diag d = {0};
  uint32_t t0, t1, i;
  const mb_limits mem = {0, 1, 0};
  const mb_global g = {{0x7F, false}, {const7, sizeof const7}};
  uint32_t funcs[] = {1};
  const mb_elem seg = {.mode = MB_SEG_DECLARATIVE, .reftype = 0x70, .count = 1, .funcs = funcs};
  const mb_data active = {MB_SEG_ACTIVE, 0, {const8, sizeof const8}, {(const uint8_t *)"hi", 2}};
  const mb_data passive = {MB_SEG_PASSIVE, 0, {NULL, 0}, {(const uint8_t *)"xyz", 3}};
  assert_non_null(m);
  ok(mb_module_add_type(m, &i32_to_void, &t0, &d), &d);
  ok(mb_module_add_type(m, &void_to_i32, &t1, &d), &d);
  const mb_import im = {{(const uint8_t *)"a", 1}, {(const uint8_t *)"a", 1}, MB_KIND_FUNC,
                        {.func_type = t1}};
  ok(mb_module_add_import(m, &im, &i, &d), &d);
  assert_int_equal(i, 0);
  ok(mb_module_add_func(m, t0, b_body, sizeof b_body, &i, &d), &d);
  assert_int_equal(i, 1);
  ok(mb_module_add_memory(m, &mem, &i, &d), &d);
  ok(mb_module_add_global(m, &g, &i, &d), &d);
  ok(mb_module_add_elem(m, &seg, &i, &d), &d);
  ok(mb_module_add_data(m, &active, &i, &d), &d);
  ok(mb_module_add_data(m, &passive, &i, &d), &d);
  mb_module_set_datacount(m, true);
  return m;
}

/* Both appended into a new module: A first (identity), then B with its import resolved
 * to A's function, its memory and global after A's, its data segments swapped. */
static mb_module *fuse(const mb_module *a, const mb_module *b, unsigned flags) {
  mb_module *o = mb_module_new(TA);
  mb_diag d = {0};
  assert_non_null(o);
  uint32_t atypes[1], btypes[2];
  ok(mb_module_intern_type(o, &a->types[0], &atypes[0], &d), &d);
  for (uint32_t t = 0; t < 2; t++) ok(mb_module_intern_type(o, &b->types[t], &btypes[t], &d), &d);
  assert_int_equal(o->ntypes, 2); /* B's () -> i32 is A's */
  assert_int_equal(btypes[1], atypes[0]);
  mb_remap ra = {{0}, {0}};
  uint32_t sa[MB_SPACE_COUNT];
  mb_module_space_sizes(a, sa);
  ra.map[MB_SPACE_TYPE] = atypes;
  ra.count[MB_SPACE_TYPE] = sa[MB_SPACE_TYPE];
  ok(mb_module_append(o, a, &ra, flags, &d), &d);

  static const uint32_t bfuncs[] = {0, 1}, bmems[] = {1}, bglobals[] = {1}, belems[] = {0},
                        bdatas[] = {1, 0};
  mb_remap rb = {{0}, {0}};
  rb.map[MB_SPACE_TYPE] = btypes;
  rb.map[MB_SPACE_FUNC] = bfuncs;
  rb.map[MB_SPACE_MEMORY] = bmems;
  rb.map[MB_SPACE_GLOBAL] = bglobals;
  rb.map[MB_SPACE_ELEM] = belems;
  rb.map[MB_SPACE_DATA] = bdatas;
  mb_module_space_sizes(b, rb.count);
  ok(mb_module_append(o, b, &rb, flags, &d), &d);
  ok(mb_module_add_export(o, "b", 1, MB_KIND_FUNC, 1, &d), &d);
  return o;
}

static void write_ok(const mb_module *m, mb_buf *out) {
  mb_diag d = {0};
  mb_buf_init(out, TA);
  ok(mb_wasm_write(m, out, &d), &d);
}

static void appended_modules_read_back_renumbered(void **state) {
  (void)state;
  mb_module *a = module_a(), *b = module_b(), *o = fuse(a, b, 0), *r = NULL;
  mb_buf out;
  mb_diag d = {0};
  write_ok(o, &out);
  ok(mb_wasm_read(TA, out.data, out.len, &r, &d), &d); /* checks every index against its space */
  assert_int_equal(r->nimports, 0);
  assert_int_equal(r->nfuncs, 2);
  assert_int_equal(r->func_types[0], 0);
  assert_int_equal(r->func_types[1], 1);
  assert_int_equal(r->nmemories, 2);
  assert_int_equal(r->nglobals, 2);
  assert_memory_equal(r->globals[1].init.ptr, const7, sizeof const7);
  static const uint8_t want[] = {0x00, 0x10, 0x00, 0x1A,
                                 0x20, 0x00, 0x28, 0x42, 0x01, 0x00, 0x1A, /* memory 1 */
                                 0x20, 0x00, 0x10, 0x01, 0x23, 0x01, 0x1A, 0x0B};
  assert_int_equal(r->codes[1].body.len, sizeof want);
  assert_memory_equal(r->codes[1].body.ptr, want, sizeof want);
  assert_int_equal(r->nelems, 1);
  assert_int_equal(r->elems[0].mode, MB_SEG_DECLARATIVE);
  assert_int_equal(r->elems[0].funcs[0], 1);
  assert_int_equal(r->ndatas, 2);
  assert_true(r->has_datacount);
  assert_int_equal(r->datas[0].mode, MB_SEG_PASSIVE); /* B's second segment */
  assert_memory_equal(r->datas[0].bytes.ptr, "xyz", 3);
  assert_int_equal(r->datas[1].mode, MB_SEG_ACTIVE);
  assert_int_equal(r->datas[1].memory, 1);
  assert_int_equal(mb_module_find_export(r, "a", 1, MB_KIND_FUNC), -1); /* the caller's */
  assert_int_equal(mb_module_find_export(r, "b", 1, MB_KIND_FUNC), 1);
  mb_module_free(r);
  mb_buf_fini(&out);
  mb_module_free(o);
  mb_module_free(a);
  mb_module_free(b);
}

/* The bytes of m, read back and re-encoded: a module whose bodies are renumbered as
 * they are written has its code section's size padded to 5 bytes (written before the
 * bodies are); everything else is the same. */
static void canonical(const mb_module *m, mb_buf *out) {
  mb_buf first;
  mb_module *r = NULL;
  mb_diag d = {0};
  write_ok(m, &first);
  ok(mb_wasm_read(TA, first.data, first.len, &r, &d), &d);
  mb_module_mark_all_dirty(r);
  write_ok(r, out);
  mb_module_free(r);
  mb_buf_fini(&first);
}

static void lazy_and_eager_write_the_same_bytes(void **state) {
  (void)state;
  mb_module *a = module_a(), *b = module_b();
  mb_module *eager = fuse(a, b, 0), *lazy = fuse(a, b, MB_APPEND_LAZY);
  /* the lazy one still points at B's body, with the map to apply on writing */
  assert_ptr_equal(lazy->codes[1].body.ptr, b->codes[0].body.ptr);
  assert_non_null(lazy->codes[1].remap);
  assert_null(eager->codes[1].remap);
  mb_buf x, y;
  canonical(eager, &x);
  canonical(lazy, &y);
  assert_int_equal(x.len, y.len);
  assert_memory_equal(x.data, y.data, x.len);
  /* and a lazy module appended again composes its map with the next one */
  mb_module *again = mb_module_new(TA);
  mb_diag d = {0};
  uint32_t t;
  for (uint32_t i = 0; i < lazy->ntypes; i++) ok(mb_module_intern_type(again, &lazy->types[i], &t, &d), &d);
  mb_remap none = {{0}, {0}};
  mb_module_space_sizes(lazy, none.count);
  ok(mb_module_append(again, lazy, &none, MB_APPEND_LAZY, &d), &d);
  ok(mb_module_add_export(again, "b", 1, MB_KIND_FUNC, 1, &d), &d);
  mb_buf z;
  canonical(again, &z);
  assert_int_equal(x.len, z.len);
  assert_memory_equal(x.data, z.data, x.len);
  mb_buf_fini(&x);
  mb_buf_fini(&y);
  mb_buf_fini(&z);
  mb_module_free(again);
  mb_module_free(eager);
  mb_module_free(lazy);
  mb_module_free(a);
  mb_module_free(b);
}

static void append_refuses_before_changing_anything(void **state) {
  (void)state;
  mb_module *a = module_a(), *b = module_b(), *o = mb_module_new(TA);
  mb_diag d = {0};
  uint32_t t;
  ok(mb_module_intern_type(o, &void_to_i32, &t, &d), &d);
  mb_remap r = {{0}, {0}};
  mb_module_space_sizes(a, r.count);
  static const uint32_t past_end[] = {3};
  r.map[MB_SPACE_FUNC] = past_end; /* A's function must be the target's next (0) */
  assert_int_equal(mb_module_append(o, a, &r, 0, &d), MB_ERR_INVALID_ARG);
  assert_diag(d, MB_ERR_INVALID_ARG, "func 0 maps to 3", 0);
  assert_int_equal(o->nfuncs, 0);
  r.map[MB_SPACE_FUNC] = NULL;
  mb_module_space_sizes(b, r.count); /* B's (i32) -> () is not among the target's types */
  assert_int_equal(mb_module_append(o, b, &r, 0, &d), MB_ERR_INVALID_ARG);
  assert_diag(d, MB_ERR_INVALID_ARG, "type 1 maps to 1", 0);
  r.count[MB_SPACE_FUNC] = 7; /* not B's size */
  assert_int_equal(mb_module_append(o, b, &r, 0, &d), MB_ERR_INVALID_ARG);
  assert_int_equal(o->nfuncs + o->nmemories + o->nglobals + o->ndatas, 0);
  mb_module_free(o);
  mb_module_free(a);
  mb_module_free(b);
}

/* A module read from bytes, changed through the functions: the changed sections are
 * re-encoded without the caller marking anything. */
static void changes_mark_their_sections(void **state) {
  (void)state;
  mb_module *a = module_a(), *r = NULL, *r2 = NULL;
  mb_buf out, out2;
  mb_diag d = {0};
  uint32_t i;
  write_ok(a, &out);
  ok(mb_wasm_read(TA, out.data, out.len, &r, &d), &d);
  ok(mb_module_intern_type(r, &void_to_i32, &i, &d), &d);
  assert_int_equal(i, 0);
  assert_int_equal(r->ntypes, 1);
  ok(mb_module_add_export(r, "again", 5, MB_KIND_FUNC, 0, &d), &d);
  mb_global *g = mb_module_edit_global(r, 0);
  assert_non_null(g);
  g->init = (mb_bytes){const7, sizeof const7};
  assert_null(mb_module_edit_global(r, 1));
  mb_module_set_start(r, 0);
  const mb_import im = {{(const uint8_t *)"m", 1}, {(const uint8_t *)"f", 1}, MB_KIND_FUNC, {0}};
  assert_int_equal(mb_module_add_import(r, &im, NULL, &d), MB_ERR_INVALID_ARG); /* after a func */
  write_ok(r, &out2);
  ok(mb_wasm_read(TA, out2.data, out2.len, &r2, &d), &d);
  assert_int_equal(r2->nexports, 2);
  assert_int_equal(mb_module_find_export(r2, "again", 5, MB_KIND_FUNC), 0);
  assert_memory_equal(r2->globals[0].init.ptr, const7, sizeof const7);
  assert_true(r2->has_start);
  assert_int_equal(r2->nimports, 0);
  mb_module_free(r2);
  mb_module_free(r);
  mb_module_free(a);
  mb_buf_fini(&out);
  mb_buf_fini(&out2);
}

/* The rest of the builder: a replaced body drops its pending map, memories cut back,
 * element expressions copied, a custom placed before a section, reserve then add. */
static void builder_copies_and_replaces(void **state) {
  (void)state;
  mb_module *a = module_a(), *b = module_b(), *o = fuse(a, b, MB_APPEND_LAZY), *r = NULL;
  mb_diag d = {0};
  uint32_t i;
  static const uint8_t nop_body[] = {0x00, 0x01, 0x0B}; /* nop */
  assert_non_null(o->codes[1].remap);
  assert_int_equal(mb_module_set_code(o, 1, nop_body, sizeof nop_body, &d), MB_OK);
  assert_null(o->codes[1].remap);
  assert_int_equal(mb_module_set_code(o, 2, nop_body, sizeof nop_body, &d), MB_ERR_INVALID_ARG);
  mb_module_truncate_memories(o, 1);
  mb_data *seg1 = mb_module_edit_data(o, 1); /* B's active segment, on the memory cut */
  assert_non_null(seg1);
  seg1->memory = 0;
  assert_null(mb_module_edit_data(o, 2));
  uint8_t ref_func[] = {0xD2, 0x00, 0x0B};
  mb_bytes items[] = {{ref_func, sizeof ref_func}};
  const mb_elem seg = {.mode = MB_SEG_DECLARATIVE, .reftype = 0x70, .exprs = true, .count = 1, .items = items};
  ok(mb_module_reserve(o, MB_SEC_ELEMENT, 100, &d), &d);
  ok(mb_module_add_elem(o, &seg, &i, &d), &d);
  assert_int_equal(i, 1);
  ref_func[1] = 0x01; /* the module has its own copy */
  assert_int_equal(o->elems[1].items[0].ptr[1], 0x00);
  ok(mb_module_add_custom(o, "note", (const uint8_t *)"xy", 2, MB_SEC_CODE, &d), &d);
  mb_buf out;
  write_ok(o, &out);
  ok(mb_wasm_read(TA, out.data, out.len, &r, &d), &d);
  assert_int_equal(r->nmemories, 1);
  assert_int_equal(r->codes[1].body.len, sizeof nop_body);
  assert_memory_equal(r->codes[1].body.ptr, nop_body, sizeof nop_body);
  assert_int_equal(r->nelems, 2);
  assert_true(r->elems[1].exprs);
  assert_int_equal(r->ncustoms, 1);
  assert_true(mb_bytes_eq(r->customs[0].name, "note"));
  assert_int_equal(r->customs[0].before, MB_SEC_CODE);
  mb_module_free(r);
  mb_buf_fini(&out);
  mb_module_free(o);
  mb_module_free(a);
  mb_module_free(b);
}

/* Every allocation failing in turn: an error, never a crash or a leak. */
static void append_out_of_memory(void **state) {
  (void)state;
  for (long n = 1;; n++) {
    mb_module *a = module_a(), *b = module_b();
    test_alloc_install(n, false);
    mb_module *o = mb_module_new(TA);
    mb_err e = o ? MB_OK : MB_ERR_NOMEM;
    mb_diag d = {0};
    uint32_t t[2];
    for (uint32_t i = 0; i < 2 && !e; i++) e = mb_module_intern_type(o, &b->types[i], &t[i], &d);
    mb_remap r = {{0}, {0}};
    mb_module_space_sizes(b, r.count);
    r.map[MB_SPACE_TYPE] = t;
    static const uint32_t funcs[] = {0, 0};
    r.map[MB_SPACE_FUNC] = funcs;
    if (!e) e = mb_module_append(o, b, &r, n % 2 ? MB_APPEND_LAZY : 0, &d);
    long failed = g_alloc.failed;
    test_alloc_install(0, false);
    mb_module_free(o);
    mb_module_free(a);
    mb_module_free(b);
    if (!failed) {
      assert_int_equal(e, MB_OK);
      break;
    }
    assert_int_equal(e, MB_ERR_NOMEM);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      LINKER_TEST(appended_modules_read_back_renumbered),
      LINKER_TEST(lazy_and_eager_write_the_same_bytes),
      LINKER_TEST(append_refuses_before_changing_anything),
      LINKER_TEST(changes_mark_their_sections),
      LINKER_TEST(builder_copies_and_replaces),
      cmocka_unit_test(append_out_of_memory),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
