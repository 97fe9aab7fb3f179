/* test_linker_wit.c — the WIT parser and resolver: every construct of the subset, every
 * error path with its FILE:LINE:COLUMN and byte offset, packages spread over a directory
 * and its deps/, use across interfaces and packages, worlds' implicit imports, lookups,
 * and an allocation-failure sweep. The canonical ABI is in test_linker_wit_abi.c. */
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linker_test_util.h"

/* ---- helpers ---- */

/* Line and column (characters) of byte offset off in src. */
static void pos_of(const char *src, size_t off, unsigned *line, unsigned *col) {
  *line = 1;
  *col = 1;
  for (size_t i = 0; i < off; i++) {
    if (src[i] == '\n') {
      (*line)++;
      *col = 1;
    } else if (((unsigned char)src[i] & 0xC0) != 0x80) {
      (*col)++;
    }
  }
}

/* Add the sources (name, text pairs, NULL-terminated) and resolve; the first error. */
static mb_wit_err load_many(mb_wit **out, mb_wit_diag *d, const char *const *files) {
  mb_wit *w = mb_wit_new();
  assert_non_null(w);
  mb_wit_err e = MB_WIT_OK;
  for (size_t i = 0; files[i] && !e; i += 2)
    e = mb_wit_add_source(w, files[i], files[i + 1], strlen(files[i + 1]), d);
  if (!e) e = mb_wit_resolve(w, d);
  *out = w;
  return e;
}

static mb_wit *load_ok_many(const char *const *files) {
  mb_wit *w;
  mb_wit_diag d;
  mb_wit_err e = load_many(&w, &d, files);
  if (e) fail_msg("want ok, got %s: %s", mb_wit_err_name(e), d.message);
  return w;
}

static mb_wit *load_ok(const char *src) {
  const char *files[] = {"t.wit", src, NULL};
  return load_ok_many(files);
}

/* The error must be `code` in file `file`, at the first occurrence of `at` in `src`
 * plus `skip` bytes (at == NULL: the start of the file; at == "": its end). */
static void check_error_in(const char *what, mb_wit_err e, const mb_wit_diag *d, const char *file,
                           const char *src, const char *at, size_t skip, mb_wit_err code,
                           const char *substr) {
  size_t off = 0;
  if (at && !*at) {
    off = strlen(src);
  } else if (at) {
    const char *p = strstr(src, at);
    if (!p) fail_msg("%s: '%s' is not in the source", what, at);
    off = (size_t)(p - src) + skip;
  }
  unsigned line, col;
  pos_of(src, off, &line, &col);
  char prefix[512];
  snprintf(prefix, sizeof prefix, "%s:%u:%u: ", file, line, col);
  if (e != code || d->code != code || strncmp(d->message, prefix, strlen(prefix)) != 0 ||
      !strstr(d->message, substr) || d->offset != off)
    fail_msg("%s\n  want %s at %s (offset %zu) with \"%s\"\n  got  %s (diag %s) at offset "
             "%llu: \"%s\"",
             what, mb_wit_err_name(code), prefix, off, substr, mb_wit_err_name(e), mb_wit_err_name(d->code),
             (unsigned long long)d->offset, d->message);
}

typedef struct err_case {
  const char *src;
  const char *at;
  size_t skip;
  mb_wit_err code;
  const char *substr;
} err_case;

static void run_error_cases(const err_case *cases, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const err_case *c = &cases[i];
    mb_wit *w;
    mb_wit_diag d;
    memset(&d, 0, sizeof d);
    const char *files[] = {"t.wit", c->src, NULL};
    mb_wit_err e = load_many(&w, &d, files);
    char what[640];
    snprintf(what, sizeof what, "case %zu: %s", i, c->src);
    check_error_in(what, e, &d, "t.wit", c->src, c->at, c->skip, c->code, c->substr);
    mb_wit_free(w);
  }
}

#define P "package a:b;\n"

/* ---- every construct ---- */

static const char other_pkg[] =
    "package example:other@0.1.0;\n"
    "interface shapes { record circle { r: f64 } }\n";

static const char all_pkg[] =
    "// comment\n"
    "/// doc comment\n"
    "package example:all@1.2.3-rc.1+build.5;\n"
    "\n"
    "use example:other/shapes@0.1.0 as shp; // another package\n"
    "\n"
    "@since(version = 1.0.0)\n"
    "interface types {\n"
    "  /** block doc /* nested */ still comment */\n"
    "  record point { x: f32, y: float64, }\n"
    "  variant shape { none, circle(f32), label(string) }\n"
    "  enum color { red, green, blue }\n"
    "  flags perms { read, write, exec }\n"
    "  type bytes = list<u8>;\n"
    "  type pair = tuple<s8, s16, s32, s64, u8, u16, u32, u64, bool, char>;\n"
    "  type maybe = option<bytes>;\n"
    "  type res0 = result;\n"
    "  type res1 = result<u8>;\n"
    "  type res2 = result<_, color>;\n"
    "  type res3 = result<string, perms>;\n"
    "  resource blob;\n"
    "}\n"
    "\n"
    "interface api {\n"
    "  use types.{point, bytes as data, blob, color};\n"
    "  use shp.{circle};\n"
    "  @unstable(feature = fancy)\n"
    "  resource counter {\n"
    "    constructor(start: u32);\n"
    "    add: func(n: u32);\n"
    "    get: func() -> u32;\n"
    "    make: static func(p: point) -> counter;\n"
    "    take: static func(a: own<counter>, b: borrow<counter>, c: blob);\n"
    "    %static: func();\n"
    "  }\n"
    "  get-total: func() -> u64;\n"
    "  %type: func(%record: data) -> list<color>;\n"
    "  area: func(c: circle) -> f64;\n"
    "  parse-XML: func();\n"
    "}\n"
    "\n"
    "world app {\n"
    "  use types.{color};\n"
    "  import api;\n"
    "  import log: func(msg: string, c: color);\n"
    "  import host: interface { now: func() -> u64; }\n"
    "  export example:all/types@1.2.3-rc.1+build.5;\n"
    "  export run: func() -> result;\n"
    "}\n";

static const mb_wit_type *typedef_named(const mb_wit_iface *i, const char *name,
                                        const mb_wit_iface **from) {
  for (uint32_t k = 0; k < i->ntypes; k++) {
    if (strcmp(i->types[k].name, name) == 0) {
      if (from) *from = i->types[k].from;
      return i->types[k].type;
    }
  }
  fail_msg("no type '%s' in %s", name, i->id);
  return NULL;
}

static void test_all_constructs(void **state) {
  (void)state;
  const char *files[] = {"other.wit", other_pkg, "all.wit", all_pkg, NULL};
  mb_wit *w = load_ok_many(files);

  assert_int_equal(mb_wit_interface_count(w), 3);
  const mb_wit_iface *shapes = mb_wit_interface_at(w, 0);
  const mb_wit_iface *types = mb_wit_find_interface(w, "example:all/types");
  const mb_wit_iface *api = mb_wit_find_interface(w, "example:all/api@1.2.3-rc.1+build.5");
  assert_string_equal(shapes->id, "example:other/shapes@0.1.0");
  assert_non_null(types);
  assert_non_null(api);
  assert_ptr_equal(mb_wit_find_interface(w, "example:all/api"), api);
  assert_null(mb_wit_find_interface(w, "example:all/api@9.9.9"));
  assert_null(mb_wit_find_interface(w, "example:all/app")); /* a world */
  assert_string_equal(api->name, "api");
  assert_string_equal(api->package, "example:all@1.2.3-rc.1+build.5");

  /* types */
  const mb_wit_type *point = typedef_named(types, "point", NULL);
  assert_int_equal(point->kind, MB_WIT_RECORD);
  assert_string_equal(point->name, "point");
  assert_ptr_equal(point->iface, types);
  assert_int_equal(point->nfields, 2);
  assert_string_equal(point->fields[0].name, "x");
  assert_int_equal(point->fields[0].type->kind, MB_WIT_F32);
  assert_int_equal(point->fields[1].type->kind, MB_WIT_F64);
  const mb_wit_type *shape = typedef_named(types, "shape", NULL);
  assert_int_equal(shape->kind, MB_WIT_VARIANT);
  assert_int_equal(shape->nfields, 3);
  assert_null(shape->fields[0].type);
  assert_int_equal(shape->fields[1].type->kind, MB_WIT_F32);
  assert_int_equal(shape->fields[2].type->kind, MB_WIT_STRING);
  const mb_wit_type *color = typedef_named(types, "color", NULL);
  assert_int_equal(color->kind, MB_WIT_ENUM);
  assert_int_equal(color->nfields, 3);
  assert_string_equal(color->fields[2].name, "blue");
  const mb_wit_type *perms = typedef_named(types, "perms", NULL);
  assert_int_equal(perms->kind, MB_WIT_FLAGS);
  assert_int_equal(perms->nfields, 3);
  const mb_wit_type *bytes = typedef_named(types, "bytes", NULL);
  assert_int_equal(bytes->kind, MB_WIT_LIST);
  assert_null(bytes->name);
  assert_int_equal(bytes->elem->kind, MB_WIT_U8);
  const mb_wit_type *pair = typedef_named(types, "pair", NULL);
  static const mb_wit_kind pair_kinds[] = {MB_WIT_S8,  MB_WIT_S16, MB_WIT_S32, MB_WIT_S64,
                                           MB_WIT_U8,  MB_WIT_U16, MB_WIT_U32, MB_WIT_U64,
                                           MB_WIT_BOOL, MB_WIT_CHAR};
  assert_int_equal(pair->kind, MB_WIT_TUPLE);
  assert_int_equal(pair->nfields, 10);
  for (unsigned k = 0; k < 10; k++) {
    assert_null(pair->fields[k].name);
    assert_int_equal(pair->fields[k].type->kind, pair_kinds[k]);
  }
  const mb_wit_type *maybe = typedef_named(types, "maybe", NULL);
  assert_int_equal(maybe->kind, MB_WIT_OPTION);
  assert_ptr_equal(maybe->elem, bytes); /* an alias is the type it names */
  const mb_wit_type *res0 = typedef_named(types, "res0", NULL);
  assert_int_equal(res0->kind, MB_WIT_RESULT);
  assert_null(res0->elem);
  assert_null(res0->err);
  const mb_wit_type *res1 = typedef_named(types, "res1", NULL);
  assert_int_equal(res1->elem->kind, MB_WIT_U8);
  assert_null(res1->err);
  const mb_wit_type *res2 = typedef_named(types, "res2", NULL);
  assert_null(res2->elem);
  assert_ptr_equal(res2->err, color);
  const mb_wit_type *res3 = typedef_named(types, "res3", NULL);
  assert_int_equal(res3->elem->kind, MB_WIT_STRING);
  assert_ptr_equal(res3->err, perms);
  const mb_wit_type *blob = typedef_named(types, "blob", NULL);
  assert_int_equal(blob->kind, MB_WIT_RESOURCE);
  assert_int_equal(types->nresources, 1);
  assert_ptr_equal(types->resources[0], blob);
  assert_int_equal(types->nfuncs, 1); /* [resource-drop]blob */
  assert_string_equal(types->funcs[0]->core_name, "[resource-drop]blob");
  assert_int_equal(types->funcs[0]->kind, MB_WIT_FUNC_RESOURCE_DROP);
  assert_int_equal(types->ndeps, 0);

  /* api: uses, resources, functions */
  const mb_wit_iface *from;
  assert_ptr_equal(typedef_named(api, "point", &from), point);
  assert_ptr_equal(from, types);
  assert_ptr_equal(typedef_named(api, "data", &from), bytes);
  assert_ptr_equal(from, types);
  assert_ptr_equal(mb_wit_find_type(api, "data"), bytes);
  assert_null(mb_wit_find_type(api, "bytes"));
  const mb_wit_type *circle = typedef_named(api, "circle", &from);
  assert_ptr_equal(from, shapes);
  assert_ptr_equal(circle->iface, shapes);
  const mb_wit_type *counter = typedef_named(api, "counter", &from);
  assert_null(from);
  assert_int_equal(counter->kind, MB_WIT_RESOURCE);
  assert_ptr_equal(counter->iface, api);
  assert_int_equal(api->ntypes, 6);
  assert_int_equal(api->ndeps, 2);
  assert_ptr_equal(api->deps[0], types);
  assert_ptr_equal(api->deps[1], shapes);

  static const char *const names[] = {
      "[constructor]counter", "[method]counter.add", "[method]counter.get",
      "[static]counter.make", "[static]counter.take", "[method]counter.static",
      "[resource-drop]counter", "get-total", "type", "area", "parse-XML"};
  static const mb_wit_func_kind kinds[] = {
      MB_WIT_FUNC_CONSTRUCTOR, MB_WIT_FUNC_METHOD, MB_WIT_FUNC_METHOD, MB_WIT_FUNC_STATIC,
      MB_WIT_FUNC_STATIC, MB_WIT_FUNC_METHOD, MB_WIT_FUNC_RESOURCE_DROP, MB_WIT_FUNC_PLAIN,
      MB_WIT_FUNC_PLAIN, MB_WIT_FUNC_PLAIN, MB_WIT_FUNC_PLAIN};
  assert_int_equal(api->nfuncs, 11);
  for (unsigned k = 0; k < 11; k++) {
    const mb_wit_func *f = api->funcs[k];
    assert_string_equal(f->core_name, names[k]);
    assert_int_equal(f->kind, kinds[k]);
    assert_ptr_equal(f->iface, api);
    assert_ptr_equal(mb_wit_find_func(api, names[k]), f);
    assert_string_equal(f->file, "all.wit");
    if (k < 7) assert_ptr_equal(f->resource, counter);
  }
  assert_null(mb_wit_find_func(api, "add"));
  const mb_wit_func *ctor = api->funcs[0];
  assert_string_equal(ctor->name, "counter");
  assert_int_equal(ctor->nparams, 1);
  assert_string_equal(ctor->params[0].name, "start");
  assert_int_equal(ctor->result->kind, MB_WIT_OWN);
  assert_ptr_equal(ctor->result->elem, counter);
  assert_int_equal(ctor->line, 29);
  assert_int_equal(ctor->column, 5);
  const mb_wit_func *get = api->funcs[2];
  assert_string_equal(get->name, "get");
  assert_int_equal(get->nparams, 1);
  assert_string_equal(get->params[0].name, "self");
  assert_int_equal(get->params[0].type->kind, MB_WIT_BORROW);
  assert_ptr_equal(get->params[0].type->elem, counter);
  assert_int_equal(get->result->kind, MB_WIT_U32);
  const mb_wit_func *make = api->funcs[3];
  assert_int_equal(make->nparams, 1);
  assert_ptr_equal(make->params[0].type, point);
  assert_int_equal(make->result->kind, MB_WIT_OWN); /* plain `counter` means own<counter> */
  assert_ptr_equal(make->result->elem, counter);
  const mb_wit_func *take = api->funcs[4];
  assert_int_equal(take->nparams, 3);
  assert_int_equal(take->params[0].type->kind, MB_WIT_OWN);
  assert_ptr_equal(take->params[0].type->elem, counter);
  assert_int_equal(take->params[1].type->kind, MB_WIT_BORROW);
  assert_ptr_equal(take->params[1].type->elem, counter);
  assert_int_equal(take->params[2].type->kind, MB_WIT_OWN);
  assert_ptr_equal(take->params[2].type->elem, blob);
  assert_ptr_equal(blob->iface, types);
  assert_null(take->result);
  assert_true(take->has_handles);
  assert_false(take->has_lists);
  const mb_wit_func *drop = api->funcs[6];
  assert_int_equal(drop->nparams, 1);
  assert_int_equal(drop->params[0].type->kind, MB_WIT_OWN);
  const mb_wit_func *ty = api->funcs[8];
  assert_string_equal(ty->name, "type");
  assert_string_equal(ty->params[0].name, "record");
  assert_ptr_equal(ty->params[0].type, bytes);
  assert_int_equal(ty->result->kind, MB_WIT_LIST);
  assert_ptr_equal(ty->result->elem, color);
  assert_true(ty->has_lists);
  assert_false(ty->has_handles);
  assert_ptr_equal(api->funcs[9]->params[0].type, circle);

  /* the world */
  assert_int_equal(mb_wit_world_count(w), 1);
  const mb_wit_world *app = mb_wit_find_world(w, "example:all/app");
  assert_non_null(app);
  assert_ptr_equal(app, mb_wit_world_at(w, 0));
  assert_ptr_equal(app, mb_wit_find_world(w, "example:all/app@1.2.3-rc.1+build.5"));
  assert_string_equal(app->name, "app");
  assert_int_equal(app->nimports, 5);
  /* the interfaces the items use types from come first, implicitly */
  assert_string_equal(app->imports[0].name, "example:other/shapes@0.1.0");
  assert_true(app->imports[0].implicit);
  assert_ptr_equal(app->imports[1].iface, types);
  assert_true(app->imports[1].implicit);
  assert_ptr_equal(app->imports[2].iface, api);
  assert_string_equal(app->imports[2].name, api->id);
  assert_false(app->imports[2].implicit);
  assert_string_equal(app->imports[3].name, "log");
  assert_null(app->imports[3].iface);
  const mb_wit_func *log = app->imports[3].func;
  assert_string_equal(log->core_name, "log");
  assert_null(log->iface);
  assert_ptr_equal(log->params[1].type, color);
  assert_string_equal(app->imports[4].name, "host");
  const mb_wit_iface *host = app->imports[4].iface;
  assert_string_equal(host->id, "host");
  assert_null(host->package);
  assert_int_equal(host->nfuncs, 1);
  assert_string_equal(host->funcs[0]->core_name, "now");
  assert_int_equal(app->nexports, 2);
  assert_ptr_equal(app->exports[0].iface, types);
  assert_string_equal(app->exports[1].name, "run");
  assert_int_equal(app->exports[1].func->result->kind, MB_WIT_RESULT);
  mb_wit_free(w);
}

/* Kebab-case names, %-escapes, comments anywhere, trailing commas, annotations. */
static void test_lexical(void **state) {
  (void)state;
  mb_wit *w = load_ok(
      "/* leading */ package /* between */ lex:ical /* x */ ; // end\n"
      "interface %interface {\n"
      "  %use: func(%own: u8, %borrow: u16, %list: u32,);\n"
      "  a-b-c: func(XML-HTTP: u8, utf8-ok: u8, x1y2: u8);\n"
      "  /// unicode in a comment: é ✓ 😀\n"
      "  record r { x: u8, } variant v { a, } enum e { a, } flags f { a, }\n"
      "  @deprecated(version = 0.1.0)\n"
      "  tab-sep:\tfunc();\r\n"
      "}\n");
  const mb_wit_iface *i = mb_wit_find_interface(w, "lex:ical/interface");
  assert_non_null(i);
  assert_int_equal(i->nfuncs, 3);
  assert_string_equal(i->funcs[0]->name, "use");
  assert_string_equal(i->funcs[0]->params[1].name, "borrow");
  assert_int_equal(i->funcs[0]->nparams, 3);
  assert_string_equal(i->funcs[1]->params[0].name, "XML-HTTP");
  assert_int_equal(i->funcs[2]->line, 8);
  mb_wit_free(w);
}

/* Versions: pre-release and build metadata, and stopping before `.{`. */
static void test_versions(void **state) {
  (void)state;
  const char *files[] = {
      "v1.wit", "package a:b@1.0.0; interface i { type x = u8; }",
      "v2.wit", "package a:b@2.0.0-rc.1; interface i { type x = u16; }",
      "c.wit",
      "package c:d;\n"
      "interface j {\n"
      "  use a:b/i@1.0.0.{x};\n"
      "  use a:b/i@2.0.0-rc.1.{x as y};\n"
      "  f: func(a: x, b: y);\n"
      "}\n",
      NULL};
  mb_wit *w = load_ok_many(files);
  const mb_wit_iface *j = mb_wit_find_interface(w, "c:d/j");
  assert_non_null(j);
  assert_int_equal(j->funcs[0]->params[0].type->kind, MB_WIT_U8);
  assert_int_equal(j->funcs[0]->params[1].type->kind, MB_WIT_U16);
  /* two versions: the short id is ambiguous */
  assert_null(mb_wit_find_interface(w, "a:b/i"));
  assert_non_null(mb_wit_find_interface(w, "a:b/i@1.0.0"));
  assert_non_null(mb_wit_find_interface(w, "a:b/i@2.0.0-rc.1"));
  mb_wit_free(w);

  /* without a version, a path to a package loaded in two versions is an error */
  const char *src = "package c:d;\ninterface j { use a:b/i.{x}; }\n";
  const char *files2[] = {files[0], files[1], files[2], files[3], "c.wit", src, NULL};
  mb_wit_diag d;
  mb_wit_err e = load_many(&w, &d, files2);
  check_error_in("two versions", e, &d, "c.wit", src, "a:b/i", 0, MB_WIT_ERR_INVALID,
                 "several versions of package 'a:b'");
  mb_wit_free(w);
}

/* use across interfaces of a package in several files, in any order; top-level use. */
static void test_use_resolution(void **state) {
  (void)state;
  const char *files[] = {
      "1.wit",
      "package p:q;\n"
      "interface top { use mid.{m as m2, res}; f: func(a: m2, r: borrow<res>) -> res; }\n",
      "2.wit",
      "package p:q;\n"
      "interface mid { use base.{b}; type m = list<b>; use base.{res}; }\n",
      "3.wit",
      "package p:q;\n"
      "use p:q/base as bottom;\n"
      "interface base { record b { x: u32 } resource res; }\n"
      "interface other { use bottom.{b}; g: func(x: b); }\n",
      NULL};
  mb_wit *w = load_ok_many(files);
  const mb_wit_iface *top = mb_wit_find_interface(w, "p:q/top");
  const mb_wit_iface *mid = mb_wit_find_interface(w, "p:q/mid");
  const mb_wit_iface *base = mb_wit_find_interface(w, "p:q/base");
  const mb_wit_iface *other = mb_wit_find_interface(w, "p:q/other");
  assert_non_null(top);
  assert_non_null(mid);
  assert_non_null(base);
  assert_non_null(other);
  const mb_wit_type *b = mb_wit_find_type(base, "b");
  const mb_wit_type *res = mb_wit_find_type(base, "res");
  const mb_wit_func *f = top->funcs[0];
  assert_int_equal(f->params[0].type->kind, MB_WIT_LIST);
  assert_ptr_equal(f->params[0].type->elem, b);
  assert_ptr_equal(f->params[1].type->elem, res); /* the same resource through two uses */
  assert_ptr_equal(f->result->elem, res);
  assert_ptr_equal(other->funcs[0]->params[0].type, b);
  /* the resource is defined (and dropped) only where it is declared */
  assert_int_equal(top->nresources, 0);
  assert_int_equal(mid->nresources, 0);
  assert_non_null(mb_wit_find_func(base, "[resource-drop]res"));
  assert_null(mb_wit_find_func(top, "[resource-drop]res"));
  assert_int_equal(top->ndeps, 1);
  assert_ptr_equal(top->deps[0], mid);
  assert_int_equal(mid->ndeps, 1); /* two uses of one interface: one dependency */
  mb_wit_free(w);
}

/* Worlds: implicit imports follow dependencies, exported ones are not re-imported. */
static void test_world_imports(void **state) {
  (void)state;
  mb_wit *w = load_ok(P "interface a { type t = u8; }\n"
                        "interface b { use a.{t}; }\n"
                        "interface c { use b.{t}; }\n"
                        "interface d { type u = u8; }\n"
                        "interface e { use d.{u}; }\n"
                        "world w1 { export c; }\n"
                        "world w2 { export c; export b; }\n"
                        "world w3 { import c; export c; export e; export d; }\n"
                        "world w4 { use a.{t}; import f: func(x: t); }\n"
                        "world w5 { export x: interface { use e.{u}; } }\n"
                        "world empty {}\n");
  const mb_wit_world *w1 = mb_wit_find_world(w, "a:b/w1");
  assert_int_equal(w1->nimports, 2);
  assert_string_equal(w1->imports[0].name, "a:b/a");
  assert_string_equal(w1->imports[1].name, "a:b/b");
  assert_true(w1->imports[1].implicit);
  const mb_wit_world *w2 = mb_wit_find_world(w, "a:b/w2");
  assert_int_equal(w2->nimports, 1);
  assert_string_equal(w2->imports[0].name, "a:b/a");
  assert_int_equal(w2->nexports, 2);
  const mb_wit_world *w3 = mb_wit_find_world(w, "a:b/w3");
  assert_int_equal(w3->nimports, 3); /* a, b (for the import c), then c */
  assert_string_equal(w3->imports[0].name, "a:b/a");
  assert_string_equal(w3->imports[1].name, "a:b/b");
  assert_string_equal(w3->imports[2].name, "a:b/c");
  assert_false(w3->imports[2].implicit);
  const mb_wit_world *w4 = mb_wit_find_world(w, "a:b/w4");
  assert_int_equal(w4->nimports, 2);
  assert_string_equal(w4->imports[0].name, "a:b/a");
  assert_string_equal(w4->imports[1].name, "f");
  assert_int_equal(w4->imports[1].func->params[0].type->kind, MB_WIT_U8);
  const mb_wit_world *w5 = mb_wit_find_world(w, "a:b/w5");
  assert_int_equal(w5->nimports, 2);
  assert_string_equal(w5->imports[0].name, "a:b/d");
  assert_string_equal(w5->imports[1].name, "a:b/e");
  assert_string_equal(w5->exports[0].name, "x");
  const mb_wit_world *empty = mb_wit_find_world(w, "a:b/empty");
  assert_int_equal(empty->nimports + empty->nexports, 0);
  mb_wit_free(w);
}

/* ---- errors ---- */

static void test_lexer_errors(void **state) {
  (void)state;
  static const err_case cases[] = {
      {P "interface i { f: func() -> $; }", "$", 0, MB_WIT_ERR_SYNTAX, "unexpected character '$'"},
      {P "interface i { f: func(x: u32\xc3\xa9); }", "\xc3\xa9", 0, MB_WIT_ERR_SYNTAX,
       "outside comments WIT is ASCII"},
      {P "interface i {\x01}", "\x01", 0, MB_WIT_ERR_SYNTAX, "control character 0x01"},
      {P "interface i { } /* never /* closed */", "/* never", 0, MB_WIT_ERR_SYNTAX,
       "unterminated block comment"},
      {P "// bell \x07\ninterface i {}", "//", 0, MB_WIT_ERR_SYNTAX,
       "control character 0x07 in a comment"},
      {P "/* bad \xff byte */", "/*", 0, MB_WIT_ERR_BAD_UTF8, "malformed UTF-8 in a comment"},
      {P "// \xe2\x80\xae rtl\n", "//", 0, MB_WIT_ERR_SYNTAX, "bidirectional override"},
      {P "interface foo_bar {}", "foo_bar", 0, MB_WIT_ERR_SYNTAX,
       "'foo_bar' is not a valid identifier"},
      {P "interface Foo {}", "Foo", 0, MB_WIT_ERR_SYNTAX, "'Foo' is not a valid identifier"},
      {P "interface a--b {}", "a--b", 0, MB_WIT_ERR_SYNTAX, "not a valid identifier"},
      {P "interface a-b- {}", "a-b-", 0, MB_WIT_ERR_SYNTAX, "not a valid identifier"},
      {P "interface a1b-2c {}", "a1b", 0, MB_WIT_ERR_SYNTAX, "not a valid identifier"},
      {P "interface i { -f: func(); }", "-f", 0, MB_WIT_ERR_SYNTAX, "'-f' is not a valid identifier"},
      {P "interface i { f: func() - u8; }", "- u8", 0, MB_WIT_ERR_SYNTAX, "'-' is not a valid"},
      {P "interface i { % }", "%", 0, MB_WIT_ERR_SYNTAX, "expected an identifier after '%'"},
      {P "interface i { f: func() -> 5; }", "5", 0, MB_WIT_ERR_SYNTAX, "unexpected number"},
      {"package a:b@1.0;", "1.0", 0, MB_WIT_ERR_SYNTAX, "malformed version after '@'"},
      {"package a:b@01.0.0;", "01", 0, MB_WIT_ERR_SYNTAX, "malformed version"},
      {"package a:b@1.0.0x;", "1.0.0x", 0, MB_WIT_ERR_SYNTAX, "malformed version"},
      {"package a:b@1.0.0-;", "1.0.0-", 0, MB_WIT_ERR_SYNTAX, "malformed version"},
      {"package a:b@1.0.0+;", "1.0.0", 0, MB_WIT_ERR_SYNTAX, "malformed version"},
      {"package a:b@;", ";", 0, MB_WIT_ERR_SYNTAX, "malformed version"},
  };
  run_error_cases(cases, sizeof cases / sizeof *cases);
}

static void test_syntax_errors(void **state) {
  (void)state;
  static const err_case cases[] = {
      {"package a:b\ninterface i {}", "interface", 0, MB_WIT_ERR_SYNTAX,
       "expected ';' after the package name, found 'interface'"},
      {"package a;", ";", 0, MB_WIT_ERR_SYNTAX, "expected ':' between namespace and package"},
      {"package;", ";", 0, MB_WIT_ERR_SYNTAX, "expected a namespace"},
      {P "interface type {}", "type {}", 0, MB_WIT_ERR_SYNTAX,
       "found keyword 'type' (write '%type'"},
      {P "interface i {}\npackage a:b;", "\npackage", 1, MB_WIT_ERR_SYNTAX,
       "'package' declaration must come first"},
      {"package a:b:c;", ":c", 0, MB_WIT_ERR_UNSUPPORTED, "nested package names"},
      {"package a:b { }", "{", 0, MB_WIT_ERR_UNSUPPORTED, "nested package blocks"},
      {P "record r {}", "record", 0, MB_WIT_ERR_SYNTAX,
       "expected 'interface', 'world' or 'use', found 'record'"},
      {"interface i {}\n", NULL, 0, MB_WIT_ERR_INVALID, "no package declaration"},
      {"", NULL, 0, MB_WIT_ERR_INVALID, "no package declaration"},
      {P "@foo interface i {}", "foo", 0, MB_WIT_ERR_SYNTAX, "unknown annotation '@foo'"},
      {P "@since(version = 1) interface i {}", "1)", 0, MB_WIT_ERR_SYNTAX, "malformed version"},
      {P "@since(feature = x) interface i {}", "feature", 0, MB_WIT_ERR_SYNTAX,
       "expected 'version', found 'feature'"},
      {P "@unstable(feature x) interface i {}", "x)", 0, MB_WIT_ERR_SYNTAX, "expected '='"},
      {P "@since(version = 1.0.0 interface i {}", "interface", 0, MB_WIT_ERR_SYNTAX,
       "expected ')' to close the annotation"},
      {P "interface i { import x; }", "import", 0, MB_WIT_ERR_SYNTAX,
       "expected a type, a function, 'use' or '}', found 'import'"},
      {P "interface i {", "", 0, MB_WIT_ERR_SYNTAX, "found end of file"},
      {P "interface i { f: func() }", "}", 0, MB_WIT_ERR_SYNTAX,
       "expected ';' after the function, found '}'"},
      {P "interface i { f: func(x: u32 }", "}", 0, MB_WIT_ERR_SYNTAX,
       "expected ',' or ')' after a parameter"},
      {P "interface i { f: func(x u32); }", "u32", 0, MB_WIT_ERR_SYNTAX,
       "expected ':' after the parameter name, found 'u32'"},
      {P "interface i { f: fun(); }", "fun", 0, MB_WIT_ERR_SYNTAX,
       "expected 'func' to start a function type, found 'fun'"},
      {P "interface i { f func(); }", "func", 0, MB_WIT_ERR_SYNTAX,
       "expected ':' after the function name"},
      {P "interface i { f: func() -> ; }", "-> ;", 3, MB_WIT_ERR_SYNTAX, "expected a type, found ';'"},
      {P "interface i { type t = list<u8; }", "u8;", 2, MB_WIT_ERR_SYNTAX,
       "expected '>' to close the type"},
      {P "interface i { type t = own<u8>; }", "u8", 0, MB_WIT_ERR_SYNTAX,
       "expected a resource name, found keyword 'u8'"},
      {P "interface i { type t = u8 }", "}", 0, MB_WIT_ERR_SYNTAX, "expected ';' after the type"},
      {P "interface i { record r { a u8 } }", "u8", 0, MB_WIT_ERR_SYNTAX,
       "expected ':' after the field name"},
      {P "interface i { record r { a: u8 b: u8 } }", "b:", 0, MB_WIT_ERR_SYNTAX,
       "expected ',' or '}' after a field"},
      {P "interface i { variant v { a(u8 } }", "}", 0, MB_WIT_ERR_SYNTAX,
       "expected ')' after the case's type"},
      {P "interface i { resource r { f(); } }", "(", 0, MB_WIT_ERR_SYNTAX,
       "expected ':' after the function name"},
      {P "interface i { resource r }", "}", 0, MB_WIT_ERR_SYNTAX,
       "expected ';' or '{' after the resource name"},
      {P "interface i { use x.{}; }", "}", 0, MB_WIT_ERR_SYNTAX, "expected a type name"},
      {P "interface i { use x; }", "x;", 1, MB_WIT_ERR_SYNTAX, "expected '.' and '{names}'"},
      {P "interface i { use x.{a b}; }", "b}", 0, MB_WIT_ERR_SYNTAX,
       "expected '}' to close the list of names"},
      {P "interface i { use a:b.{x}; }", ".{", 0, MB_WIT_ERR_SYNTAX, "expected '/'"},
      {P "interface i { use a:b/c/d.{x}; }", "/d", 0, MB_WIT_ERR_UNSUPPORTED, "nested interface paths"},
      {P "interface i { use a:b:c/d.{x}; }", ":c", 0, MB_WIT_ERR_UNSUPPORTED, "nested package namespaces"},
      {P "use a.{b};", ".{", 0, MB_WIT_ERR_SYNTAX, "belongs inside an interface or world"},
      {P "use a:b/c as;", "as;", 2, MB_WIT_ERR_SYNTAX, "expected a name after 'as'"},
      {P "world w { f: func(); }", "f:", 0, MB_WIT_ERR_SYNTAX,
       "expected 'import', 'export', 'use', a type or '}', found 'f'"},
      {P "world w { import x:y; }", "x:y;", 3, MB_WIT_ERR_SYNTAX,
       "expected '/' and an interface name after the package"},
      {P "world w { import x: record; }", "record;", 0, MB_WIT_ERR_SYNTAX,
       "expected 'func', 'interface' or a package name after ':'"},
      {P "world w { import x }", "}", 0, MB_WIT_ERR_SYNTAX, "expected ';' after the interface name"},
      {P "world w { export f: func() }", "}", 0, MB_WIT_ERR_SYNTAX, "expected ';' after the function"},
      {P "world w { include x; }", "include", 0, MB_WIT_ERR_UNSUPPORTED, "'include' is not supported"},
      {P "interface i { include x; }", "include", 0, MB_WIT_ERR_SYNTAX,
       "expected a type, a function, 'use' or '}', found 'include'"},
      {P "@deprecated(feature = x) interface i {}", "feature", 0, MB_WIT_ERR_SYNTAX,
       "expected 'version'"},
      {P "@unstable(version = 1.0.0) interface i {}", "version", 0, MB_WIT_ERR_SYNTAX,
       "expected 'feature', found 'version'"},
      {P "world w { resource r; }", "resource", 0, MB_WIT_ERR_UNSUPPORTED,
       "resources in a world are not supported"},
      {P "interface i { type t = result<_>; }", ">;", 0, MB_WIT_ERR_SYNTAX,
       "expected ',' and an error type after 'result<_'"},
      {P "interface i { type t = result<u8, u8, u8>; }", ", u8>", 0, MB_WIT_ERR_SYNTAX,
       "expected '>' to close 'result<...'"},
      {P "interface i { type t = tuple<u8 u8>; }", "u8>", 0, MB_WIT_ERR_SYNTAX,
       "expected ',' or '>' in 'tuple<...>'"},
      {P "interface i { type t = list<u8, 4>; }", ", 4", 0, MB_WIT_ERR_UNSUPPORTED,
       "fixed-size lists are not supported"},
      {P "interface i { type t = future<u8>; }", "future", 0, MB_WIT_ERR_UNSUPPORTED,
       "'future' types are not supported"},
      {P "interface i { type t = stream<u8>; }", "stream", 0, MB_WIT_ERR_UNSUPPORTED,
       "'stream' types are not supported"},
      {P "interface i { f: async func(); }", "async", 0, MB_WIT_ERR_UNSUPPORTED,
       "async functions are not supported"},
      {P "interface i { f: func() -> (a: u32); }", "(a", 0, MB_WIT_ERR_UNSUPPORTED,
       "named results '-> (...)' are not supported"},
      {P "interface i { resource r { constructor() -> r; } }", "->", 0, MB_WIT_ERR_UNSUPPORTED,
       "a constructor's result is always its resource"},
  };
  run_error_cases(cases, sizeof cases / sizeof *cases);
}

static void test_definition_errors(void **state) {
  (void)state;
  static const err_case cases[] = {
      {P "interface i { type t = tuple<>; }", "tuple", 0, MB_WIT_ERR_INVALID,
       "a tuple needs at least one type"},
      {P "interface i { record r {} }", "r {", 0, MB_WIT_ERR_INVALID,
       "record 'r' is empty: expected at least one field"},
      {P "interface i { variant v {} }", "v {", 0, MB_WIT_ERR_INVALID, "variant 'v' is empty"},
      {P "interface i { enum e {} }", "e {", 0, MB_WIT_ERR_INVALID, "enum 'e' is empty"},
      {P "interface i { flags f {} }", "f {", 0, MB_WIT_ERR_INVALID, "flags 'f' is empty"},
      {P "interface i { flags f { a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, b0, b1, b2, b3, b4, "
         "b5, b6, b7, b8, b9, c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, d0, d1, d2 } }",
       "f {", 0, MB_WIT_ERR_INVALID, "flags 'f' has 33 flags: the canonical ABI allows at most 32"},
      {P "interface i { resource r { constructor(); constructor(x: u32); } }", "constructor(x",
       0, MB_WIT_ERR_DUPLICATE, "resource 'r' has a second constructor (first at line 2, column 28)"},
      {P "interface i { resource r { m: func(); m: static func(); } }", "m: static", 0,
       MB_WIT_ERR_DUPLICATE, "function 'm' appears twice in resource 'r'"},
      {P "interface i { record r { a: u8, a: u16 } }", "a: u16", 0, MB_WIT_ERR_DUPLICATE,
       "field 'a' appears twice in record 'r' (first at line 2, column 26)"},
      {P "interface i { variant v { a, b(u8), a } }", "a }", 0, MB_WIT_ERR_DUPLICATE,
       "case 'a' appears twice in variant 'v'"},
      {P "interface i { enum e { x, x } }", "x }", 0, MB_WIT_ERR_DUPLICATE,
       "case 'x' appears twice in enum 'e'"},
      {P "interface i { flags f { x, y, x } }", "x }", 0, MB_WIT_ERR_DUPLICATE,
       "flag 'x' appears twice in flags 'f'"},
      {P "interface i { f: func(a: u8, a: u8); }", "a: u8)", 0, MB_WIT_ERR_DUPLICATE,
       "parameter 'a' appears twice in the parameters of 'f'"},
      {P "interface i { resource r { m: func(self: u8); } }", "self", 0, MB_WIT_ERR_DUPLICATE,
       "parameter 'self' appears twice"},
      {P "interface i { type t = u8; t: func(); }", "t: func", 0, MB_WIT_ERR_DUPLICATE,
       "'t' is already defined in interface 'i' (at line 2, column 20)"},
      {P "interface i { resource t; record t { a: u8 } }", "t {", 0, MB_WIT_ERR_DUPLICATE,
       "'t' is already defined in interface 'i'"},
      {P "interface i { type t = u8; use j.{t}; }", "t}", 0, MB_WIT_ERR_DUPLICATE,
       "'t' is already defined"},
      {P "world w { use i.{t}; type t = u8; }", "t =", 0, MB_WIT_ERR_DUPLICATE,
       "'t' is already defined in world 'w'"},
  };
  run_error_cases(cases, sizeof cases / sizeof *cases);
}

static void test_resolve_errors(void **state) {
  (void)state;
  static const err_case cases[] = {
      {P "interface i { f: func(x: countr); }", "countr", 0, MB_WIT_ERR_UNDEFINED,
       "unknown type 'countr': expected a type defined in interface 'i' or brought in by 'use'"},
      {P "world w { import f: func(x: nope); }", "nope", 0, MB_WIT_ERR_UNDEFINED,
       "unknown type 'nope': expected a type defined in world 'w'"},
      {P "interface i { use nope.{x}; }", "nope", 0, MB_WIT_ERR_UNDEFINED,
       "unknown interface 'nope': expected an interface of package 'a:b'"},
      {P "interface i { use wasi:io/streams.{x}; }", "wasi", 0, MB_WIT_ERR_UNDEFINED,
       "package 'wasi:io' is not loaded (add its WIT with --wit)"},
      {P "interface i { use wasi:io/streams@0.2.0.{x}; }", "wasi", 0, MB_WIT_ERR_UNDEFINED,
       "package 'wasi:io@0.2.0' is not loaded"},
      {P "interface i { use a:b/nope.{x}; }", "a:b/nope", 0, MB_WIT_ERR_UNDEFINED,
       "interface 'nope' is not defined in package 'a:b'"},
      {P "world w {}\ninterface i { use w.{x}; }", "w.{", 0, MB_WIT_ERR_INVALID,
       "'w' is a world: expected an interface"},
      {P "interface j {}\ninterface i { use j.{x}; }", "x}", 0, MB_WIT_ERR_UNDEFINED,
       "'x' is not defined in interface 'a:b/j'"},
      {P "interface j { f: func(); }\ninterface i { use j.{f}; }", "f}", 0, MB_WIT_ERR_INVALID,
       "'f' is a function: expected a type"},
      {P "interface i { g: func(); f: func(x: g); }", "g);", 0, MB_WIT_ERR_INVALID,
       "'g' is a function: expected a type"},
      {P "interface i { type t = t; }", "= t;", 2, MB_WIT_ERR_INVALID,
       "type 't' refers to itself: WIT types cannot be recursive"},
      {P "interface i { type a = list<b>; type b = option<a>; }", "<a>", 1, MB_WIT_ERR_INVALID,
       "type 'a' refers to itself"},
      {P "interface i { record a { b: b } record b { a: a } }", "a: a", 3, MB_WIT_ERR_INVALID,
       "type 'a' refers to itself"},
      {P "interface i { variant v { x(list<v>) } }", "<v>", 1, MB_WIT_ERR_INVALID,
       "type 'v' refers to itself"},
      {P "interface i { record r { x: u8 } f: func(x: own<r>); }", "r>", 0, MB_WIT_ERR_INVALID,
       "'r' is not a resource: expected a resource in own<...>"},
      {P "interface i { type t = u8; f: func(x: borrow<t>); }", "t>", 0, MB_WIT_ERR_INVALID,
       "'t' is not a resource: expected a resource in borrow<...>"},
      {P "interface i { resource r; f: func() -> borrow<r>; }", "f:", 0, MB_WIT_ERR_INVALID,
       "'f' returns a borrow handle"},
      {P "interface i { resource r; type b = borrow<r>; f: func() -> option<b>; }", "f:", 0,
       MB_WIT_ERR_INVALID, "borrow<...> may only appear in parameters"},
      {P "interface i { resource r { m: func() -> borrow<r>; } }", "m:", 0, MB_WIT_ERR_INVALID,
       "'[method]r.m' returns a borrow handle"},
      {P "interface i { use i.{x}; }", "i.{", 0, MB_WIT_ERR_INVALID,
       "interface 'i' uses itself"},
      {P "interface i { use j.{x}; type y = u8; }\ninterface j { use i.{y}; type x = u8; }",
       "j.{x}", 0, MB_WIT_ERR_INVALID, "interfaces 'i' and 'j' use each other's types"},
      {P "interface i {}\nworld w { import i; import i; }", "import i; }", 0,
       MB_WIT_ERR_DUPLICATE, "interface 'a:b/i' is imported twice by world 'w'"},
      {P "interface i {}\nworld w { export i; export a:b/i; }", "export a:b", 0,
       MB_WIT_ERR_DUPLICATE, "interface 'a:b/i' is exported twice"},
      {P "world w { import f: func(); export f: func(); }", "export f", 0, MB_WIT_ERR_DUPLICATE,
       "'f' is already imported or exported by world 'w'"},
      {P "world w { import x: interface {} import x: func(); }", "import x: func", 0,
       MB_WIT_ERR_DUPLICATE, "'x' is already imported or exported"},
      {P "world w { import nope; }", "nope", 0, MB_WIT_ERR_UNDEFINED, "unknown interface 'nope'"},
      {P "world w { export x:y/z; }", "x:y", 0, MB_WIT_ERR_UNDEFINED,
       "package 'x:y' is not loaded"},
      {P "world v {}\nworld w { import v; }", "v; }", 0, MB_WIT_ERR_INVALID, "'v' is a world"},
      {P "interface i {}\nworld i {}", "world i", 6, MB_WIT_ERR_DUPLICATE,
       "'i' is already defined in package 'a:b' (at t.wit:2:11)"},
      {P "use a:b/nope;", "a:b/nope", 0, MB_WIT_ERR_UNDEFINED, "interface 'nope' is not defined"},
      {P "interface i {}\ninterface j {}\nuse a:b/i as j;", "as j", 3, MB_WIT_ERR_DUPLICATE,
       "'j' is already a name in this file or package"},
      {P "interface i {}\nuse a:b/i as k;\nuse i as k;", "use i as k", 9, MB_WIT_ERR_DUPLICATE,
       "'k' is already a name"},
  };
  run_error_cases(cases, sizeof cases / sizeof *cases);
}

/* A source with `n` repetitions of `unit` between a prefix and a suffix. */
static char *repeat(const char *prefix, const char *unit, unsigned n, const char *mid,
                    const char *unit2, unsigned n2, const char *suffix) {
  size_t len = strlen(prefix) + strlen(unit) * n + strlen(mid) + strlen(unit2) * n2 +
               strlen(suffix) + 1;
  char *s = malloc(len), *p = s;
  assert_non_null(s);
  p += sprintf(p, "%s", prefix);
  for (unsigned i = 0; i < n; i++) p += sprintf(p, "%s", unit);
  p += sprintf(p, "%s", mid);
  for (unsigned i = 0; i < n2; i++) p += sprintf(p, "%s", unit2);
  sprintf(p, "%s", suffix);
  return s;
}

static void test_limits(void **state) {
  (void)state;
  const char *prefix = P "interface i { type t = ";
  /* 100 nested types parse; 101 do not */
  char *ok = repeat(prefix, "list<", 99, "u8", ">", 99, "; }");
  mb_wit *w = load_ok(ok);
  mb_wit_free(w);
  free(ok);
  char *deep = repeat(prefix, "list<", 100, "u8", ">", 100, "; }");
  mb_wit_diag d;
  const char *files[] = {"t.wit", deep, NULL};
  mb_wit_err e = load_many(&w, &d, files);
  check_error_in("nesting", e, &d, "t.wit", deep, "u8", 0, MB_WIT_ERR_TOO_MANY,
                 "types nested more than 100 deep");
  mb_wit_free(w);
  free(deep);

  /* a chain of 150 aliases, declared users first */
  size_t cap = 150 * 40 + 100;
  char *chain = malloc(cap), *p = chain;
  assert_non_null(chain);
  p += sprintf(p, P "interface i {\n");
  for (int k = 0; k < 150; k++) p += sprintf(p, "type t%d = t%d;\n", k, k + 1);
  sprintf(p, "type t150 = u8; }\n");
  const char *files2[] = {"t.wit", chain, NULL};
  e = load_many(&w, &d, files2);
  assert_int_equal(e, MB_WIT_ERR_TOO_MANY);
  assert_non_null(strstr(d.message, "types nested or aliased more than 100 deep"));
  assert_int_equal(strncmp(d.message, "t.wit:", 6), 0);
  mb_wit_free(w);
  /* declared in dependency order, the same chain is fine */
  p = chain;
  p += sprintf(p, P "interface i {\ntype t150 = u8;\n");
  for (int k = 149; k >= 0; k--) p += sprintf(p, "type t%d = t%d;\n", k, k + 1);
  sprintf(p, "}\n");
  w = load_ok(chain);
  assert_int_equal(mb_wit_find_type(mb_wit_interface_at(w, 0), "t0")->kind, MB_WIT_U8);
  mb_wit_free(w);
  free(chain);

  /* a type of 2^35 bytes: 16 u64 = 128 bytes, each level 16 times the last */
  const char *big =
      P "interface i {\n"
        "type t0 = tuple<u64, u64, u64, u64, u64, u64, u64, u64, u64, u64, u64, u64, u64, u64, "
        "u64, u64>;\n"
        "type t1 = tuple<t0, t0, t0, t0, t0, t0, t0, t0, t0, t0, t0, t0, t0, t0, t0, t0>;\n"
        "type t2 = tuple<t1, t1, t1, t1, t1, t1, t1, t1, t1, t1, t1, t1, t1, t1, t1, t1>;\n"
        "type t3 = tuple<t2, t2, t2, t2, t2, t2, t2, t2, t2, t2, t2, t2, t2, t2, t2, t2>;\n"
        "type t4 = tuple<t3, t3, t3, t3, t3, t3, t3, t3, t3, t3, t3, t3, t3, t3, t3, t3>;\n"
        "type t5 = tuple<t4, t4, t4, t4, t4, t4, t4, t4, t4, t4, t4, t4, t4, t4, t4, t4>;\n"
        "type t6 = tuple<t5, t5, t5, t5, t5, t5, t5, t5, t5, t5, t5, t5, t5, t5, t5, t5>;\n"
        "type t7 = tuple<t6, t6, t6, t6, t6, t6, t6, t6, t6, t6, t6, t6, t6, t6, t6, t6>;\n"
        "}\n";
  const char *files3[] = {"t.wit", big, NULL};
  e = load_many(&w, &d, files3);
  check_error_in("4 GiB", e, &d, "t.wit", big, "tuple<t6", 0, MB_WIT_ERR_INVALID,
                 "type is larger than 4 GiB in memory");
  mb_wit_free(w);
  /* 2 GiB fits; two such parameters do not */
  size_t blen = strlen(big);
  char *params = malloc(blen + 64);
  assert_non_null(params);
  memcpy(params, big, blen);
  strcpy(strstr(params, "type t7"), "f: func(a: t6, b: t6); }\n");
  const char *files4[] = {"t.wit", params, NULL};
  e = load_many(&w, &d, files4);
  check_error_in("4 GiB of parameters", e, &d, "t.wit", params, "f: func", 0,
                 MB_WIT_ERR_INVALID, "the parameters of 'f' are larger than 4 GiB in memory");
  mb_wit_free(w);
  free(params);

  /* a file over the size limit */
  size_t huge = (16u << 20) + 1;
  char *text = malloc(huge);
  assert_non_null(text);
  memset(text, ' ', huge);
  w = mb_wit_new();
  e = mb_wit_add_source(w, "huge.wit", text, huge, &d);
  assert_int_equal(e, MB_WIT_ERR_TOO_MANY);
  assert_non_null(strstr(d.message, "huge.wit:1:1: file is 16777217 bytes"));
  mb_wit_free(w);
  free(text);
}

/* Errors in the second of several files name that file. */
static void test_errors_in_other_files(void **state) {
  (void)state;
  const char *b = "package a:b;\ninterface i { type x = u8; }\n";
  const char *files[] = {"a.wit", "package a:b; interface i {}", "b.wit", b, NULL};
  mb_wit *w;
  mb_wit_diag d;
  mb_wit_err e = load_many(&w, &d, files);
  check_error_in("duplicate interface", e, &d, "b.wit", b, "i {", 0, MB_WIT_ERR_DUPLICATE,
                 "'i' is already defined in package 'a:b' (at a.wit:1:24)");
  mb_wit_free(w);

  const char *c = "package c:d;\ninterface j { use a:b/i.{y}; }\n";
  const char *files2[] = {"a.wit", "package a:b; interface i { type x = u8; }", "c.wit", c, NULL};
  e = load_many(&w, &d, files2);
  check_error_in("use of another package", e, &d, "c.wit", c, "y}", 0, MB_WIT_ERR_UNDEFINED,
                 "'y' is not defined in interface 'a:b/i'");
  mb_wit_free(w);
}

/* The API's own rules: adding after resolving, resolving twice, a failed set. */
static void test_api_misuse(void **state) {
  (void)state;
  mb_wit_diag d;
  mb_wit *w = mb_wit_new();
  assert_null(mb_wit_find_interface(w, "a:b/i")); /* not resolved yet */
  assert_int_equal(mb_wit_interface_count(w), 0);
  /* a syntax error leaves the set as it was */
  assert_int_equal(mb_wit_add_source(w, "bad.wit", "package a:b; interface {", 24, &d),
                   MB_WIT_ERR_SYNTAX);
  assert_int_equal(mb_wit_add_source(w, "t.wit", "package a:b; interface i {}", 27, &d), MB_WIT_OK);
  assert_int_equal(mb_wit_resolve(w, &d), MB_WIT_OK);
  assert_int_equal(mb_wit_interface_count(w), 1);
  assert_int_equal(mb_wit_add_source(w, "u.wit", "package a:b;", 12, &d), MB_WIT_ERR_USAGE);
  assert_non_null(strstr(d.message, "already resolved"));
  assert_int_equal(mb_wit_resolve(w, &d), MB_WIT_ERR_USAGE);
  assert_int_equal(mb_wit_add_path(w, "/nonexistent", &d), MB_WIT_ERR_USAGE);
  assert_null(mb_wit_find_func(NULL, "f"));
  assert_null(mb_wit_find_type(NULL, "t"));
  assert_null(mb_wit_interface_at(w, 1));
  assert_null(mb_wit_world_at(w, 0));
  mb_wit_free(w);

  /* after a failed resolve, every call repeats its error */
  w = mb_wit_new();
  assert_int_equal(mb_wit_add_source(w, "t.wit", "package a:b; interface i { f: func(x: y); }",
                                     43, NULL),
                   MB_WIT_OK);
  assert_int_equal(mb_wit_resolve(w, NULL), MB_WIT_ERR_UNDEFINED);
  assert_int_equal(mb_wit_resolve(w, &d), MB_WIT_ERR_UNDEFINED);
  assert_non_null(strstr(d.message, "t.wit:1:39: unknown type 'y'"));
  assert_int_equal(mb_wit_add_source(w, "u.wit", "package a:b;", 12, &d), MB_WIT_ERR_UNDEFINED);
  assert_null(mb_wit_find_interface(w, "a:b/i"));
  mb_wit_free(w);
  mb_wit_free(NULL);
  assert_int_equal(mb_wit_resolve(NULL, &d), MB_WIT_ERR_USAGE);

  /* text need not be NUL-terminated */
  w = mb_wit_new();
  const char text[] = {'p', 'a', 'c', 'k', 'a', 'g', 'e', ' ', 'a', ':', 'b', ';'};
  assert_int_equal(mb_wit_add_source(w, NULL, text, sizeof text, &d), MB_WIT_OK);
  assert_int_equal(mb_wit_resolve(w, &d), MB_WIT_OK);
  mb_wit_free(w);
}

/* ---- files and directories ---- */

typedef struct tmpdir {
  char root[256];
  char paths[16][512];
  int npaths; /* created, removed in reverse */
} tmpdir;

static void td_init(tmpdir *t) {
  const char *base = getenv("TMPDIR");
  snprintf(t->root, sizeof t->root, "%s/mb-wit-XXXXXX", base && *base ? base : "/tmp");
  assert_non_null(mkdtemp(t->root));
  t->npaths = 0;
}

static const char *td_path(tmpdir *t, const char *rel) {
  assert_true(t->npaths < 16);
  char *p = t->paths[t->npaths++];
  /* not snprintf(p, .., t->root): gcc -O2 sees both in *t and fails -Werror=restrict */
  size_t n = strlen(t->root), m = strlen(rel);
  assert_true(n + 1 + m < 512);
  memcpy(p, t->root, n);
  p[n] = '/';
  memcpy(p + n + 1, rel, m + 1);
  return p;
}

static void td_dir(tmpdir *t, const char *rel) { assert_int_equal(mkdir(td_path(t, rel), 0700), 0); }

static void td_file(tmpdir *t, const char *rel, const char *text) {
  FILE *f = fopen(td_path(t, rel), "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static void td_fini(tmpdir *t) {
  while (t->npaths) remove(t->paths[--t->npaths]);
  rmdir(t->root);
}

static void test_directory(void **state) {
  (void)state;
  tmpdir t;
  td_init(&t);
  td_file(&t, "a.wit",
          "package example:app;\n"
          "interface a { use b.{r}; use example:dep/d.{x}; use example:single/s.{z};\n"
          "  f: func(p: r, q: x, s: z); }\n");
  td_file(&t, "b.wit", "interface b { record r { v: u8 } }\nworld w { import a; }\n");
  td_file(&t, "notes.txt", "not WIT");
  td_dir(&t, "deps");
  td_dir(&t, "deps/dep");
  td_file(&t, "deps/dep/d.wit", "package example:dep; interface d { type x = string; }");
  td_file(&t, "deps/single.wit", "package example:single; interface s { type z = u64; }");
  td_file(&t, "deps/readme.md", "ignored");

  mb_wit *w = mb_wit_new();
  mb_wit_diag d;
  if (mb_wit_add_path(w, t.root, &d)) fail_msg("%s", d.message);
  if (mb_wit_resolve(w, &d)) fail_msg("%s", d.message);
  assert_int_equal(mb_wit_interface_count(w), 4);
  const mb_wit_iface *a = mb_wit_find_interface(w, "example:app/a");
  assert_non_null(a);
  const mb_wit_func *f = a->funcs[0];
  assert_int_equal(f->params[0].type->kind, MB_WIT_RECORD);
  assert_int_equal(f->params[1].type->kind, MB_WIT_STRING);
  assert_int_equal(f->params[2].type->kind, MB_WIT_U64);
  assert_non_null(strstr(f->file, "/a.wit"));
  const mb_wit_world *world = mb_wit_find_world(w, "example:app/w");
  assert_non_null(world);
  assert_int_equal(world->nimports, 4); /* b, d, s implicitly, then a */
  assert_string_equal(world->imports[3].name, "example:app/a");
  mb_wit_free(w);

  /* the same with a trailing slash: paths in messages have no doubled '/' */
  char slash[600];
  snprintf(slash, sizeof slash, "%s/", t.root);
  w = mb_wit_new();
  assert_int_equal(mb_wit_add_path(w, slash, &d), MB_WIT_OK);
  assert_int_equal(mb_wit_resolve(w, &d), MB_WIT_OK);
  a = mb_wit_find_interface(w, "example:app/a");
  assert_null(strstr(a->funcs[0]->file, "//"));
  mb_wit_free(w);

  /* a single file of the directory */
  char path[600];
  snprintf(path, sizeof path, "%s/deps/single.wit", t.root);
  w = mb_wit_new();
  assert_int_equal(mb_wit_add_path(w, path, &d), MB_WIT_OK);
  assert_int_equal(mb_wit_resolve(w, &d), MB_WIT_OK);
  assert_non_null(mb_wit_find_interface(w, "example:single/s"));
  mb_wit_free(w);

  /* a file without package declaration cannot stand alone */
  snprintf(path, sizeof path, "%s/b.wit", t.root);
  w = mb_wit_new();
  assert_int_equal(mb_wit_add_path(w, path, &d), MB_WIT_ERR_INVALID);
  assert_non_null(strstr(d.message, "/b.wit:1:1: no package declaration"));
  mb_wit_free(w);
  td_fini(&t);
}

static void test_directory_errors(void **state) {
  (void)state;
  mb_wit_diag d;
  tmpdir t;
  /* empty, then missing */
  td_init(&t);
  mb_wit *w = mb_wit_new();
  assert_int_equal(mb_wit_add_path(w, t.root, &d), MB_WIT_ERR_IO);
  assert_non_null(strstr(d.message, "no .wit files"));
  char path[600];
  snprintf(path, sizeof path, "%s/missing", t.root);
  assert_int_equal(mb_wit_add_path(w, path, &d), MB_WIT_ERR_IO);
  assert_non_null(strstr(d.message, "cannot open"));
  /* no file declares the package */
  td_file(&t, "a.wit", "interface a {}");
  assert_int_equal(mb_wit_add_path(w, t.root, &d), MB_WIT_ERR_INVALID);
  assert_non_null(strstr(d.message, "no file declares the package"));
  /* two packages in one directory */
  td_file(&t, "b.wit", "package x:y;");
  td_file(&t, "c.wit", "// other\npackage x:z@1.0.0;");
  assert_int_equal(mb_wit_add_path(w, t.root, &d), MB_WIT_ERR_INVALID);
  assert_non_null(strstr(d.message, "/c.wit:2:1: package 'x:z@1.0.0' differs from 'x:y' "
                                    "declared in"));
  assert_int_equal(d.offset, 9);
  td_fini(&t);

  /* a syntax error names the file; the set is unchanged */
  td_init(&t);
  td_file(&t, "a.wit", "package x:y;");
  td_file(&t, "d.wit", "package x:y;\n\ninterface d { f: func(; }");
  assert_int_equal(mb_wit_add_path(w, t.root, &d), MB_WIT_ERR_SYNTAX);
  assert_non_null(strstr(d.message, "/d.wit:3:23: expected a parameter name or ')', found ';'"));
  assert_int_equal(d.offset, 36);
  td_fini(&t);

  /* a bad package in deps/ after the root was added: the set is unusable */
  td_init(&t);
  td_file(&t, "a.wit", "package x:y; interface i {}");
  td_dir(&t, "deps");
  td_file(&t, "deps/bad.wit", "package q:r; interface {");
  mb_wit *w2 = mb_wit_new();
  assert_int_equal(mb_wit_add_path(w2, t.root, &d), MB_WIT_ERR_SYNTAX);
  assert_non_null(strstr(d.message, "/deps/bad.wit:1:24: expected a name after 'interface'"));
  assert_int_equal(mb_wit_resolve(w2, &d), MB_WIT_ERR_SYNTAX);
  mb_wit_free(w2);
  td_fini(&t);

  assert_int_equal(mb_wit_add_source(w, "ok.wit", "package o:k; interface i {}", 27, &d), MB_WIT_OK);
  assert_int_equal(mb_wit_resolve(w, &d), MB_WIT_OK);
  assert_int_equal(mb_wit_interface_count(w), 1);
  mb_wit_free(w);
}

/* ---- allocation failures ---- */

/* Every allocation failing in turn: each run reports MB_WIT_ERR_NOMEM (or succeeds when
 * the failure is not reached) and frees everything. */
static void test_alloc_sweep(void **state) {
  (void)state;
  for (long n = 1;; n++) {
    test_alloc_install(n, false);
    mb_wit_diag d;
    mb_wit_err e = MB_WIT_ERR_NOMEM;
    mb_wit *w = mb_wit_new();
    if (w) {
      e = mb_wit_add_source(w, "other.wit", other_pkg, strlen(other_pkg), &d);
      if (!e) e = mb_wit_add_source(w, "all.wit", all_pkg, strlen(all_pkg), &d);
      if (!e) e = mb_wit_resolve(w, &d);
      if (!e) {
        const mb_wit_iface *api = mb_wit_find_interface(w, "example:all/api");
        assert_non_null(api);
        assert_int_equal(api->nfuncs, 11);
      }
      mb_wit_free(w);
    }
    long failed = g_alloc.failed, live = g_alloc.live;
    mb_set_allocator(NULL, NULL);
    if (failed) {
      if (e != MB_WIT_ERR_NOMEM) fail_msg("allocation %ld failed but got %s", n, mb_wit_err_name(e));
    } else {
      assert_int_equal(e, MB_WIT_OK);
    }
    if (live) fail_msg("allocation %ld failed: %ld blocks leaked", n, live);
    if (!failed) break;
  }
  test_alloc_install(0, false);
}

/* A package big enough that the arena takes many chunks, so failing each allocation in
 * turn stops the parser and the resolver at many different places. */
static char *big_package(unsigned n) {
  size_t cap = 1024 + (size_t)n * 700;
  char *s = malloc(cap), *p = s;
  assert_non_null(s);
  p += sprintf(p, "package big:pkg@1.0.0;\n");
  for (unsigned i = 0; i < n; i++) {
    p += sprintf(p,
                 "interface i%u {\n"
                 "  record r { a: u8, b: list<string>, c: option<tuple<u64, f32>> }\n"
                 "  variant v { x, y(r), z(result<u32, string>) }\n"
                 "  enum e { one, two, three }\n"
                 "  flags g { p, q }\n"
                 "  type alias = list<v>;\n"
                 "  resource res { constructor(x: r); m: func(y: borrow<res>) -> alias; "
                 "s: static func() -> res; }\n"
                 "  f: func(a: r, b: v, c: e, d: g, e: alias) -> result<res, e>;\n"
                 "}\n",
                 i);
    /* q is i1's r, through a chain of uses as long as the package */
    if (i == 1) p += sprintf(p, "interface user1 { use i1.{r, res as h}; type q = r; ");
    if (i > 1)
      p += sprintf(p, "interface user%u { use i%u.{r, res as h}; use user%u.{q}; ", i, i, i - 1);
    if (i) p += sprintf(p, "k: func(x: q, y: h) -> r; }\n");
  }
  p += sprintf(p, "world w {\n");
  for (unsigned i = 1; i < n; i++) p += sprintf(p, "  import user%u;\n", i);
  p += sprintf(p, "  export i0;\n}\n");
  assert_true((size_t)(p - s) < cap);
  return s;
}

static void test_alloc_sweep_big(void **state) {
  (void)state;
  char *src = big_package(150);
  size_t len = strlen(src);
  long n;
  for (n = 1;; n++) {
    test_alloc_install(n, false);
    mb_wit_diag d;
    mb_wit_err e = MB_WIT_ERR_NOMEM;
    mb_wit *w = mb_wit_new();
    if (w) {
      e = mb_wit_add_source(w, "big.wit", src, len, &d);
      if (!e) e = mb_wit_resolve(w, &d);
      if (!e) {
        const mb_wit_world *world = mb_wit_find_world(w, "big:pkg/w");
        assert_non_null(world);
        assert_int_equal(world->nimports, 149 + 149); /* i1..i149 implicitly, user1..user149 */
      }
      mb_wit_free(w);
    }
    long failed = g_alloc.failed, live = g_alloc.live;
    mb_set_allocator(NULL, NULL);
    if (failed && e != MB_WIT_ERR_NOMEM) fail_msg("allocation %ld failed but got %s", n, mb_wit_err_name(e));
    if (!failed && e) fail_msg("%s: %s", mb_wit_err_name(e), d.message);
    if (live) fail_msg("allocation %ld failed: %ld blocks leaked", n, live);
    if (!failed) break;
  }
  assert_true(n > 20); /* the package really spans many chunks */
  free(src);
  test_alloc_install(0, false);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      LINKER_TEST(test_all_constructs),  LINKER_TEST(test_lexical),
      LINKER_TEST(test_versions),        LINKER_TEST(test_use_resolution),
      LINKER_TEST(test_world_imports),   LINKER_TEST(test_lexer_errors),
      LINKER_TEST(test_syntax_errors),   LINKER_TEST(test_definition_errors),
      LINKER_TEST(test_resolve_errors),  LINKER_TEST(test_limits),
      LINKER_TEST(test_errors_in_other_files), LINKER_TEST(test_api_misuse),
      LINKER_TEST(test_directory),       LINKER_TEST(test_directory_errors),
      LINKER_TEST(test_alloc_sweep),     LINKER_TEST(test_alloc_sweep_big),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
