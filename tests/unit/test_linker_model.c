/* test_linker_model.c — the questions every user asks of a module (linker/wasm/model.c):
 * index-space sizes, function types, memories, exports by name, imports by module,
 * section item counts, kind and value-type names, on one hand-assembled module with
 * imports before definitions in two index spaces. */
#include "linker_test_util.h"

/* (type 0 (func)) (type 1 (func (param i32) (result i64)))
 * (import "env" "f" (func (type 0)))  (import "env" "mem" (memory 1 2))
 * (func (type 1) i64.const 7) (memory 3) (global i32 (i32.const 0))
 * (export "run" (func 1)) (export "memory" (memory 1)) (start 0) */
static const uint8_t module_bytes[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x09, 0x02, 0x60, 0x00, 0x00, 0x60, 0x01, 0x7f, 0x01, 0x7e,
    0x02, 0x15, 0x02, 0x03, 'e', 'n', 'v', 0x01, 'f', 0x00, 0x00,
    0x03, 'e', 'n', 'v', 0x03, 'm', 'e', 'm', 0x02, 0x01, 0x01, 0x02,
    0x03, 0x02, 0x01, 0x01,
    0x05, 0x03, 0x01, 0x00, 0x03,
    0x06, 0x06, 0x01, 0x7f, 0x00, 0x41, 0x00, 0x0b,
    0x07, 0x10, 0x02, 0x03, 'r', 'u', 'n', 0x00, 0x01,
    0x06, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0x01,
    0x08, 0x01, 0x00,
    0x0a, 0x06, 0x01, 0x04, 0x00, 0x42, 0x07, 0x0b,
};

static mb_module *read_module(void) {
  mb_module *m = NULL;
  mb_diag d;
  assert_int_equal(mb_wasm_read(TA, module_bytes, sizeof module_bytes, &m, &d), MB_OK);
  assert_non_null(m);
  return m;
}

static void space_sizes_count_imports_and_definitions(void **state) {
  (void)state;
  mb_module *m = read_module();
  uint32_t n[MB_SPACE_COUNT];
  mb_module_space_sizes(m, n);
  assert_int_equal(n[MB_SPACE_TYPE], 2);
  assert_int_equal(n[MB_SPACE_FUNC], 2);
  assert_int_equal(n[MB_SPACE_TABLE], 0);
  assert_int_equal(n[MB_SPACE_MEMORY], 2);
  assert_int_equal(n[MB_SPACE_GLOBAL], 1);
  assert_int_equal(n[MB_SPACE_TAG], 0);
  assert_int_equal(n[MB_SPACE_ELEM], 0);
  assert_int_equal(n[MB_SPACE_DATA], 0);
  assert_int_equal(mb_kind_space(MB_KIND_FUNC), MB_SPACE_FUNC);
  assert_int_equal(mb_kind_space(MB_KIND_MEMORY), MB_SPACE_MEMORY);
  assert_int_equal(mb_kind_space(MB_KIND_GLOBAL), MB_SPACE_GLOBAL);
  assert_int_equal(mb_kind_space(MB_KIND_TAG), MB_SPACE_TAG);
  mb_module_free(m);
}

static void func_types_and_memories_imports_first(void **state) {
  (void)state;
  mb_module *m = read_module();
  assert_ptr_equal(mb_module_func_type(m, 0), &m->types[0]);
  assert_ptr_equal(mb_module_func_type(m, 1), &m->types[1]);
  assert_null(mb_module_func_type(m, 2));
  assert_true(mb_functype_eq(mb_module_func_type(m, 1), &m->types[1]));
  assert_false(mb_functype_eq(&m->types[0], &m->types[1]));
  const mb_limits *imported = mb_module_memory(m, 0), *defined = mb_module_memory(m, 1);
  assert_non_null(imported);
  assert_non_null(defined);
  assert_int_equal(imported->min, 1);
  assert_int_equal(imported->max, 2);
  assert_int_equal(defined->min, 3);
  assert_null(mb_module_memory(m, 2));
  mb_module_free(m);
}

static void exports_by_name_and_kind(void **state) {
  (void)state;
  mb_module *m = read_module();
  assert_int_equal(mb_module_find_export(m, "run", 3, MB_KIND_FUNC), 1);
  assert_int_equal(mb_module_find_export(m, "memory", 6, MB_KIND_MEMORY), 1);
  assert_int_equal(mb_module_find_export(m, "run", 3, MB_KIND_MEMORY), -1);
  assert_int_equal(mb_module_find_export(m, "ru", 2, MB_KIND_FUNC), -1);
  assert_true(mb_module_imports_from(m, "env"));
  assert_false(mb_module_imports_from(m, "en"));
  assert_false(mb_module_imports_from(m, "wasi_snapshot_preview1"));
  assert_true(mb_bytes_eq(m->exports[0].name, "run"));
  assert_false(mb_bytes_eq(m->exports[0].name, "runs"));
  mb_module_free(m);
}

static void section_counts_as_the_model_holds_them(void **state) {
  (void)state;
  mb_module *m = read_module();
  assert_int_equal(mb_module_section_count(m, MB_SEC_TYPE), 2);
  assert_int_equal(mb_module_section_count(m, MB_SEC_IMPORT), 2);
  assert_int_equal(mb_module_section_count(m, MB_SEC_FUNCTION), 1);
  assert_int_equal(mb_module_section_count(m, MB_SEC_MEMORY), 1);
  assert_int_equal(mb_module_section_count(m, MB_SEC_GLOBAL), 1);
  assert_int_equal(mb_module_section_count(m, MB_SEC_EXPORT), 2);
  assert_int_equal(mb_module_section_count(m, MB_SEC_START), 1);
  assert_int_equal(mb_module_section_count(m, MB_SEC_DATACOUNT), 0);
  assert_int_equal(mb_module_section_count(m, MB_SEC_CODE), 1);
  assert_int_equal(mb_module_section_count(m, MB_SEC_DATA), 0);
  mb_module_free(m);
}

static void kind_and_value_type_names(void **state) {
  (void)state;
  assert_string_equal(mb_kind_name(MB_KIND_FUNC), "func");
  assert_string_equal(mb_kind_name(MB_KIND_TAG), "tag");
  assert_string_equal(mb_valtype_name(0x7F).s, "i32");
  assert_string_equal(mb_valtype_name(0x7E).s, "i64");
  assert_string_equal(mb_valtype_name(0x7B).s, "v128");
  assert_string_equal(mb_valtype_name(0x70).s, "funcref");
  assert_string_equal(mb_valtype_name(0x69).s, "exnref");
  assert_string_equal(mb_valtype_name(0x74).s, "nullexnref");
  assert_string_equal(mb_valtype_name(0x00).s, "?");
  /* references: nullable abstract ones are their shorthand, whichever way built */
  assert_int_equal(mb_valtype_ref(true, MB_HEAP_ABSTRACT | 0x70), 0x70);
  assert_string_equal(mb_valtype_name(mb_valtype_ref(true, MB_HEAP_ABSTRACT | 0x6E)).s, "anyref");
  assert_string_equal(mb_valtype_name(mb_valtype_ref(false, MB_HEAP_ABSTRACT | 0x6E)).s,
                      "(ref any)");
  assert_string_equal(mb_valtype_name(mb_valtype_ref(false, MB_HEAP_ABSTRACT | 0x73)).s,
                      "(ref nofunc)");
  assert_string_equal(mb_valtype_name(mb_valtype_ref(true, 3)).s, "(ref null 3)");
  assert_string_equal(mb_valtype_name(mb_valtype_ref(false, 999999)).s, "(ref 999999)");
  assert_true(mb_valtype_has_index(mb_valtype_ref(false, 0)));
  assert_false(mb_valtype_has_index(mb_valtype_ref(false, MB_HEAP_ABSTRACT | 0x70)));
  assert_false(mb_valtype_nullable(mb_valtype_ref(false, 7)));
  assert_int_equal(mb_valtype_heap(0x6F), MB_HEAP_ABSTRACT | 0x6F);
  assert_true(mb_valtype_is_ref(0x69) && !mb_valtype_is_ref(0x7F));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(space_sizes_count_imports_and_definitions),
      cmocka_unit_test(func_types_and_memories_imports_first),
      cmocka_unit_test(exports_by_name_and_kind),
      cmocka_unit_test(section_counts_as_the_model_holds_them),
      cmocka_unit_test(kind_and_value_type_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
