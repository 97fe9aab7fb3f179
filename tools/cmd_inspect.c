/* cmd_inspect.c — `membrane inspect FILE.wasm [--json]`. The description is built once
 * as a JSON tree (cJSON) and printed either as JSON or as text from that tree, so both
 * forms always say the same thing. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* "(i32, i32) -> (i64)" */
static char *functype_text(const mb_functype *t) {
  size_t cap = 16 + 11 * ((size_t)t->nparams + t->nresults), n = 0;
  char *s = malloc(cap);
  if (!s) return NULL;
  n += (size_t)snprintf(s + n, cap - n, "(");
  for (uint32_t i = 0; i < t->nparams; i++)
    n += (size_t)snprintf(s + n, cap - n, "%s%s", i ? ", " : "", mb_valtype_name(t->params[i]).s);
  n += (size_t)snprintf(s + n, cap - n, ") -> (");
  for (uint32_t i = 0; i < t->nresults; i++)
    n += (size_t)snprintf(s + n, cap - n, "%s%s", i ? ", " : "", mb_valtype_name(t->results[i]).s);
  snprintf(s + n, cap - n, ")");
  return s;
}

static void add_str_n(cJSON *o, const char *key, mb_bytes b) {
  char *s = malloc((size_t)b.len + 1);
  if (!s) return;
  memcpy(s, b.ptr, b.len);
  s[b.len] = 0;
  cJSON_AddStringToObject(o, key, s);
  free(s);
}

static void add_limits(cJSON *o, const mb_limits *l) {
  cJSON_AddNumberToObject(o, "min", (double)l->min);
  if (l->flags & MB_LIMITS_HAS_MAX) cJSON_AddNumberToObject(o, "max", (double)l->max);
  else cJSON_AddNullToObject(o, "max");
  cJSON_AddBoolToObject(o, "shared", l->flags & MB_LIMITS_SHARED);
  cJSON_AddBoolToObject(o, "address64", l->flags & MB_LIMITS_64);
}

static int by_offset(const void *a, const void *b) {
  double x = cJSON_GetObjectItem(*(cJSON *const *)a, "offset")->valuedouble;
  double y = cJSON_GetObjectItem(*(cJSON *const *)b, "offset")->valuedouble;
  return x < y ? -1 : x > y;
}

static cJSON *sections_json(const mb_module *m) {
  size_t n = 0, total = MB_SEC_COUNT + m->ncustoms;
  cJSON **items = calloc(total ? total : 1, sizeof *items);
  cJSON *arr = cJSON_CreateArray();
  if (!items || !arr) {
    free(items);
    return arr;
  }
  for (int s = 0; s < MB_SEC_COUNT; s++) {
    if (!m->sec[s].present) continue;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", mb_sec_id((mb_sec)s));
    cJSON_AddStringToObject(o, "name", mb_sec_name((mb_sec)s));
    cJSON_AddNumberToObject(o, "offset", (double)m->sec[s].offset);
    cJSON_AddNumberToObject(o, "size", m->sec[s].raw.len);
    cJSON_AddNumberToObject(o, "count", mb_module_section_count(m, (mb_sec)s));
    items[n++] = o;
  }
  for (uint32_t i = 0; i < m->ncustoms; i++) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", 0);
    add_str_n(o, "name", m->customs[i].name);
    cJSON_AddNumberToObject(o, "offset", (double)m->customs[i].offset);
    cJSON_AddNumberToObject(o, "size", m->customs[i].raw.len);
    cJSON_AddBoolToObject(o, "custom", 1);
    items[n++] = o;
  }
  qsort(items, n, sizeof *items, by_offset);
  for (size_t i = 0; i < n; i++) cJSON_AddItemToArray(arr, items[i]);
  free(items);
  return arr;
}

static cJSON *import_json(const mb_module *m, const mb_import *im) {
  cJSON *o = cJSON_CreateObject();
  add_str_n(o, "module", im->module);
  add_str_n(o, "field", im->field);
  cJSON_AddStringToObject(o, "kind", mb_kind_name(im->kind));
  switch (im->kind) {
  case MB_KIND_FUNC:
  case MB_KIND_TAG: {
    uint32_t t = im->kind == MB_KIND_FUNC ? im->u.func_type : im->u.tag_type;
    char *s = functype_text(&m->types[t]);
    cJSON_AddNumberToObject(o, "type_index", t);
    cJSON_AddStringToObject(o, "type", s ? s : "?");
    free(s);
    break;
  }
  case MB_KIND_TABLE:
    cJSON_AddStringToObject(o, "type", mb_valtype_name(im->u.table.elemtype).s);
    add_limits(o, &im->u.table.limits);
    break;
  case MB_KIND_MEMORY:
    add_limits(o, &im->u.memory);
    break;
  case MB_KIND_GLOBAL:
    cJSON_AddStringToObject(o, "type", mb_valtype_name(im->u.global.valtype).s);
    cJSON_AddBoolToObject(o, "mutable", im->u.global.mutable_);
    break;
  }
  return o;
}

static const char *const feature_names[] = {
    "multi-memory", "memory64",         "threads",   "simd",            "exceptions",
    "legacy-exceptions", "tail-call",   "reference-types", "bulk-memory", "multi-value",
    "relaxed-simd", "gc", "typed-function-references",
};

/* The resource ABI of a fused module: "resources": {instances: [{id, name, handle_table,
 * handles}], types: [{id, interface, name, definer, definer_name, destructor}]}, or null. */
static cJSON *resources_json(const mb_res_info *ri) {
  cJSON *o = cJSON_CreateObject();
  cJSON *insts = cJSON_AddArrayToObject(o, "instances");
  for (uint32_t i = 0; i < ri->ninsts; i++) {
    cJSON *x = cJSON_CreateObject();
    cJSON_AddNumberToObject(x, "id", i);
    add_str_n(x, "name", ri->insts[i].name);
    cJSON_AddBoolToObject(x, "handles", ri->insts[i].handles);
    cJSON_AddItemToArray(insts, x);
  }
  cJSON *types = cJSON_AddArrayToObject(o, "types");
  for (uint32_t t = 0; t < ri->ntypes; t++) {
    const mb_res_type_info *r = &ri->types[t];
    cJSON *x = cJSON_CreateObject();
    cJSON_AddNumberToObject(x, "id", t);
    add_str_n(x, "interface", r->iface);
    add_str_n(x, "name", r->name);
    cJSON_AddNumberToObject(x, "definer", r->definer);
    add_str_n(x, "definer_name", ri->insts[r->definer].name);
    cJSON_AddBoolToObject(x, "destructor", r->dtor);
    cJSON_AddItemToArray(types, x);
  }
  return o;
}

static cJSON *describe(const char *path, size_t size, const mb_module *m) {
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "file", path);
  cJSON_AddNumberToObject(root, "size", (double)size);
  cJSON_AddItemToObject(root, "sections", sections_json(m));
  cJSON_AddNumberToObject(root, "types", m->ntypes);

  cJSON *funcs = cJSON_AddObjectToObject(root, "functions");
  cJSON_AddNumberToObject(funcs, "imported", m->nimported[MB_KIND_FUNC]);
  cJSON_AddNumberToObject(funcs, "defined", m->nfuncs);

  cJSON *imports = cJSON_AddArrayToObject(root, "imports");
  for (uint32_t i = 0; i < m->nimports; i++)
    cJSON_AddItemToArray(imports, import_json(m, &m->imports[i]));

  /* drops of resources the module does not define: in a fused output the host defines
   * them (2022 wit-bindgen JS hosts), and their handles are the host's i32 values */
  cJSON *host_res = cJSON_AddArrayToObject(root, "host_resources");
  for (uint32_t i = 0; i < m->nimports; i++) {
    mb_bytes iface, name;
    if (!mb_link_resource_host_drop(m, i, &iface, &name)) continue;
    cJSON *o = cJSON_CreateObject();
    add_str_n(o, "interface", iface);
    add_str_n(o, "name", name);
    cJSON_AddStringToObject(o, "definer", "host");
    add_str_n(o, "drop_module", m->imports[i].module);
    add_str_n(o, "drop_field", m->imports[i].field);
    cJSON_AddItemToArray(host_res, o);
  }

  cJSON *exports = cJSON_AddArrayToObject(root, "exports");
  for (uint32_t i = 0; i < m->nexports; i++) {
    cJSON *o = cJSON_CreateObject();
    add_str_n(o, "name", m->exports[i].name);
    cJSON_AddStringToObject(o, "kind", mb_kind_name(m->exports[i].kind));
    cJSON_AddNumberToObject(o, "index", m->exports[i].index);
    cJSON_AddItemToArray(exports, o);
  }

  cJSON *mems = cJSON_AddArrayToObject(root, "memories");
  cJSON *tables = cJSON_AddArrayToObject(root, "tables");
  cJSON *globals = cJSON_AddArrayToObject(root, "globals");
  uint32_t mi = 0, ti = 0, gi = 0;
  for (uint32_t i = 0; i < m->nimports; i++) {
    const mb_import *im = &m->imports[i];
    cJSON *o = NULL;
    if (im->kind == MB_KIND_MEMORY) {
      cJSON_AddItemToArray(mems, o = cJSON_CreateObject());
      cJSON_AddNumberToObject(o, "index", mi++);
      add_limits(o, &im->u.memory);
    } else if (im->kind == MB_KIND_TABLE) {
      cJSON_AddItemToArray(tables, o = cJSON_CreateObject());
      cJSON_AddNumberToObject(o, "index", ti++);
      cJSON_AddStringToObject(o, "type", mb_valtype_name(im->u.table.elemtype).s);
      add_limits(o, &im->u.table.limits);
    } else if (im->kind == MB_KIND_GLOBAL) {
      cJSON_AddItemToArray(globals, o = cJSON_CreateObject());
      cJSON_AddNumberToObject(o, "index", gi++);
      cJSON_AddStringToObject(o, "type", mb_valtype_name(im->u.global.valtype).s);
      cJSON_AddBoolToObject(o, "mutable", im->u.global.mutable_);
    }
    if (o) {
      cJSON_AddBoolToObject(o, "imported", 1);
      char *from = malloc((size_t)im->module.len + im->field.len + 2);
      if (from) {
        sprintf(from, "%.*s.%.*s", (int)im->module.len, (const char *)im->module.ptr,
                (int)im->field.len, (const char *)im->field.ptr);
        cJSON_AddStringToObject(o, "from", from);
        free(from);
      }
    }
  }
  for (uint32_t i = 0; i < m->nmemories; i++) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "index", mi++);
    add_limits(o, &m->memories[i]);
    cJSON_AddBoolToObject(o, "imported", 0);
    cJSON_AddItemToArray(mems, o);
  }
  for (uint32_t i = 0; i < m->ntables; i++) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "index", ti++);
    cJSON_AddStringToObject(o, "type", mb_valtype_name(m->tables[i].type.elemtype).s);
    add_limits(o, &m->tables[i].type.limits);
    cJSON_AddBoolToObject(o, "imported", 0);
    cJSON_AddItemToArray(tables, o);
  }
  for (uint32_t i = 0; i < m->nglobals; i++) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "index", gi++);
    cJSON_AddStringToObject(o, "type", mb_valtype_name(m->globals[i].type.valtype).s);
    cJSON_AddBoolToObject(o, "mutable", m->globals[i].type.mutable_);
    cJSON_AddBoolToObject(o, "imported", 0);
    cJSON_AddItemToArray(globals, o);
  }
  cJSON_AddNumberToObject(root, "tags", mb_module_count(m, MB_KIND_TAG));
  if (m->has_start) cJSON_AddNumberToObject(root, "start", m->start);
  else cJSON_AddNullToObject(root, "start");
  cJSON_AddNumberToObject(root, "element_segments", m->nelems);
  cJSON_AddNumberToObject(root, "data_segments", m->ndatas);

  cJSON *customs = cJSON_AddArrayToObject(root, "custom_sections");
  for (uint32_t i = 0; i < m->ncustoms; i++) {
    cJSON *o = cJSON_CreateObject();
    add_str_n(o, "name", m->customs[i].name);
    cJSON_AddNumberToObject(o, "size", m->customs[i].payload.len);
    cJSON_AddNumberToObject(o, "offset", (double)m->customs[i].offset);
    cJSON_AddItemToArray(customs, o);
  }
  cJSON *features = cJSON_AddArrayToObject(root, "features");
  for (size_t i = 0; i < sizeof feature_names / sizeof *feature_names; i++)
    if (m->features & (1u << i)) cJSON_AddItemToArray(features, cJSON_CreateString(feature_names[i]));
  return root;
}

/* ---- text rendering of the tree ---- */

static double num(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItem(o, k);
  return cJSON_IsNumber(v) ? v->valuedouble : -1;
}
static const char *str(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItem(o, k);
  return cJSON_IsString(v) ? v->valuestring : "";
}
static bool flag(const cJSON *o, const char *k) { return cJSON_IsTrue(cJSON_GetObjectItem(o, k)); }

static void limits_text(const cJSON *o) {
  const cJSON *max = cJSON_GetObjectItem(o, "max");
  printf("min %.0f", num(o, "min"));
  if (cJSON_IsNumber(max)) printf(" max %.0f", max->valuedouble);
  if (flag(o, "shared")) printf(" shared");
  if (flag(o, "address64")) printf(" i64");
}

static void print_text(const cJSON *root) {
  const cJSON *it;
  printf("%s: wasm module, %.0f bytes\n", str(root, "file"), num(root, "size"));
  printf("\nsections:\n  %-14s %10s %10s %8s\n", "name", "offset", "size", "count");
  cJSON_ArrayForEach(it, cJSON_GetObjectItem(root, "sections")) {
    if (flag(it, "custom"))
      printf("  %-14s %10.0f %10.0f   custom \"%s\"\n", "custom", num(it, "offset"),
             num(it, "size"), str(it, "name"));
    else
      printf("  %-14s %10.0f %10.0f %8.0f\n", str(it, "name"), num(it, "offset"), num(it, "size"),
             num(it, "count"));
  }
  const cJSON *f = cJSON_GetObjectItem(root, "functions");
  printf("\ntypes: %.0f   functions: %.0f imported + %.0f defined   tags: %.0f\n",
         num(root, "types"), num(f, "imported"), num(f, "defined"), num(root, "tags"));
  printf("element segments: %.0f   data segments: %.0f   start: ", num(root, "element_segments"),
         num(root, "data_segments"));
  if (cJSON_IsNumber(cJSON_GetObjectItem(root, "start"))) printf("func %.0f\n", num(root, "start"));
  else printf("none\n");

  const cJSON *arr = cJSON_GetObjectItem(root, "imports");
  printf("\nimports (%d):\n", cJSON_GetArraySize(arr));
  cJSON_ArrayForEach(it, arr) {
    printf("  %-6s %s.%s", str(it, "kind"), str(it, "module"), str(it, "field"));
    if (cJSON_GetObjectItem(it, "min")) {
      printf("  %s ", str(it, "type"));
      limits_text(it);
    } else if (*str(it, "type")) {
      printf("  %s%s", flag(it, "mutable") ? "mut " : "", str(it, "type"));
    }
    printf("\n");
  }
  arr = cJSON_GetObjectItem(root, "exports");
  printf("\nexports (%d):\n", cJSON_GetArraySize(arr));
  cJSON_ArrayForEach(it, arr) printf("  %-6s %-30s index %.0f\n", str(it, "kind"), str(it, "name"), num(it, "index"));

  printf("\nmemories:\n");
  cJSON_ArrayForEach(it, cJSON_GetObjectItem(root, "memories")) {
    printf("  %.0f: ", num(it, "index"));
    limits_text(it);
    printf("%s%s\n", flag(it, "imported") ? "  imported from " : "", str(it, "from"));
  }
  printf("tables:\n");
  cJSON_ArrayForEach(it, cJSON_GetObjectItem(root, "tables")) {
    printf("  %.0f: %s ", num(it, "index"), str(it, "type"));
    limits_text(it);
    printf("%s%s\n", flag(it, "imported") ? "  imported from " : "", str(it, "from"));
  }
  printf("globals:\n");
  cJSON_ArrayForEach(it, cJSON_GetObjectItem(root, "globals")) {
    printf("  %.0f: %s%s%s%s\n", num(it, "index"), flag(it, "mutable") ? "mut " : "",
           str(it, "type"), flag(it, "imported") ? "  imported from " : "", str(it, "from"));
  }
  arr = cJSON_GetObjectItem(root, "custom_sections");
  printf("\ncustom sections (%d):\n", cJSON_GetArraySize(arr));
  cJSON_ArrayForEach(it, arr) printf("  %-30s %10.0f bytes\n", str(it, "name"), num(it, "size"));
  const cJSON *res = cJSON_GetObjectItem(root, "resources");
  if (cJSON_IsObject(res)) {
    printf("\nresource ABI (membrane:resources):\n  instances, each with its own handle table:\n");
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(res, "instances"))
      printf("    %.0f: %s%s\n", num(it, "id"), str(it, "name"),
             flag(it, "handles") ? "" : "  (no handles)");
    printf("  resource types:\n");
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(res, "types"))
      printf("    %.0f: %s %s  defined by %s (instance %.0f)%s\n", num(it, "id"),
             str(it, "interface"), str(it, "name"), str(it, "definer_name"), num(it, "definer"),
             flag(it, "destructor") ? ", destructor" : "");
  }
  const cJSON *regions = cJSON_GetObjectItem(root, "regions");
  if (cJSON_IsArray(regions)) {
    printf("\nregions of the single memory (membrane:memory; 64 KiB pages):\n");
    cJSON_ArrayForEach(it, regions) {
      printf("  %-20s base page %-6.0f ", str(it, "instance"), num(it, "base"));
      if (flag(it, "growable")) printf("growable (to the end of the memory)");
      else printf("%.0f pages", num(it, "pages"));
      printf("  initial %.0f%s\n", num(it, "initial"), flag(it, "checked") ? "  checked" : "");
    }
  }
  arr = cJSON_GetObjectItem(root, "host_resources");
  if (cJSON_GetArraySize(arr) > 0) {
    printf("\nresources the host defines (their handles are the host's i32 values):\n");
    cJSON_ArrayForEach(it, arr)
      printf("  %s %s  host-defined, dropped through the import %s.%s\n", str(it, "interface"),
             str(it, "name"), str(it, "drop_module"), str(it, "drop_field"));
  }
  printf("\nfeatures used:");
  int nf = 0;
  cJSON_ArrayForEach(it, cJSON_GetObjectItem(root, "features")) printf(" %s", it->valuestring), nf++;
  printf("%s\n", nf ? "" : " none beyond the MVP");
}

static void usage(FILE *out) {
  fputs("usage: membrane inspect FILE.wasm [--json]\n\n"
        "Describe a module: sections with offsets, sizes and counts; imports; exports;\n"
        "memories, tables, globals; start function; custom sections; features used; for a\n"
        "module `membrane link` fused with the resource ABI, its instances (each with a\n"
        "handle table) and resource types with their definers; resources the host\n"
        "defines (drops of resources no instance defines, left as imports).\n\n"
        "  --json       machine-readable output (one JSON object)\n"
        "  -h, --help   show this text\n",
        out);
}

int mb_cmd_inspect(int argc, char **argv) {
  const char *path = NULL;
  bool json = false;
  for (int i = 1; i < argc; i++) {
    if (mb_cli_is_help(argv[i])) {
      usage(stdout);
      return 0;
    } else if (strcmp(argv[i], "--json") == 0) {
      json = true;
    } else if (argv[i][0] == '-' && argv[i][1]) {
      fprintf(stderr, "membrane inspect: unknown option '%s' (see membrane inspect --help)\n",
              argv[i]);
      return 1;
    } else if (path) {
      fprintf(stderr, "membrane inspect: one file at a time ('%s' and '%s')\n", path, argv[i]);
      return 1;
    } else {
      path = argv[i];
    }
  }
  if (!path) {
    fprintf(stderr, "membrane inspect: no input file\n");
    usage(stderr);
    return 1;
  }
  mb_cli_module cm;
  if (!mb_cli_load(&cm, path)) return 1;
  cJSON *root = describe(path, cm.len, cm.module);
  int status = 0;
  mb_res_info ri;
  bool found = false;
  mb_diag d = {0};
  if (mb_link_resources_read(cm.module, &ri, &found, &d)) {
    mb_cli_diag(path, &d, false);
    cJSON_Delete(root);
    mb_cli_unload(&cm);
    return 1;
  }
  if (found) cJSON_AddItemToObject(root, "resources", resources_json(&ri));
  else cJSON_AddNullToObject(root, "resources");
  mb_region_info *rg;
  uint32_t nrg;
  if (mb_link_regions_read(cm.module, &rg, &nrg, &found, &d)) {
    mb_cli_diag(path, &d, false);
    cJSON_Delete(root);
    mb_cli_unload(&cm);
    return 1;
  }
  if (found) {
    cJSON *arr = cJSON_AddArrayToObject(root, "regions");
    for (uint32_t i = 0; arr && i < nrg; i++) {
      cJSON *o = cJSON_CreateObject();
      char name[300];
      snprintf(name, sizeof name, "%.*s", (int)rg[i].name.len, (const char *)rg[i].name.ptr);
      cJSON_AddStringToObject(o, "instance", name);
      cJSON_AddNumberToObject(o, "base", rg[i].base);
      cJSON_AddNumberToObject(o, "pages", rg[i].pages);
      cJSON_AddNumberToObject(o, "initial", rg[i].initial);
      cJSON_AddBoolToObject(o, "growable", rg[i].growable);
      cJSON_AddBoolToObject(o, "checked", rg[i].checked);
      cJSON_AddItemToArray(arr, o);
    }
  } else {
    cJSON_AddNullToObject(root, "regions");
  }
  if (json) {
    char *s = cJSON_Print(root);
    if (s) puts(s);
    else status = 1;
    free(s);
  } else {
    print_text(root);
  }
  cJSON_Delete(root);
  mb_cli_unload(&cm);
  if (status) fprintf(stderr, "membrane inspect: out of memory\n");
  return status;
}
