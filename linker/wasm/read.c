/* read.c — the module reader: preamble, section framing and order, every known section
 * decoded into the model, custom sections kept with their placement. */
#include <string.h>

#include "internal.h"

/* Implementation limits from the JS API (ref/wasm-binary.md §13): checked before any
 * allocation sized by input. */
enum {
  MAX_TYPES = 1000000,
  MAX_FUNCS = 1000000,
  MAX_IMPORTS = 1000000,
  MAX_EXPORTS = 1000000,
  MAX_GLOBALS = 1000000,
  MAX_TAGS = 1000000,
  MAX_DATA_SEGMENTS = 100000,
  MAX_TABLES = 100000,
  MAX_MEMORIES = 100,
  MAX_PARAMS = 1000,
  MAX_FIELDS = 10000,
  MAX_ELEM_SEGMENTS = 10000000,
};
#define MAX_MODULE_SIZE ((size_t)1 << 30)

typedef struct ctx {
  mb_module *m;
  mb_diag *diag;
  bool check_code;
  uint32_t datacount;
} ctx;

static mb_err nomem(ctx *c, uint64_t off) {
  return mb_wasm_fail(c->diag, MB_ERR_NOMEM, off, "out of memory");
}

/* Read a vector count and make sure it is plausible: within `limit` and no larger than
 * the bytes left (every item takes at least one byte). */
static mb_err count(ctx *c, mb_wasm_reader *r, uint32_t limit, uint32_t *out, const char *what) {
  uint64_t off = mb_wasm_off(r);
  mb_err e = mb_wasm_u32(r, out, what);
  if (e) return e;
  if (*out > limit)
    return mb_wasm_fail(c->diag, MB_ERR_TOO_MANY, off, "too many %s: %u (the limit is %u)", what,
                    *out, limit);
  if (*out > mb_wasm_left(r))
    return mb_wasm_fail(c->diag, MB_ERR_UNEXPECTED_END, off,
                        "unexpected end: %u %s declared but only %zu bytes left", *out, what,
                        mb_wasm_left(r));
  return MB_OK;
}

static void *array(ctx *c, size_t n, size_t elem) {
  return n ? mb_wasm_arena_array(c->m->arena, n, elem) : NULL;
}
#define ALLOC_ARRAY(c, ptr, n, off)                                        \
  do {                                                                    \
    if ((n) && !((ptr) = array((c), (n), sizeof *(ptr)))) return nomem((c), (off)); \
  } while (0)

static mb_err limits(ctx *c, mb_wasm_reader *r, bool table, mb_limits *out) {
  uint64_t off = mb_wasm_off(r);
  uint8_t flags;
  mb_err e = mb_wasm_byte(r, &flags, "limits flags");
  if (e) return e;
  if (flags & 0x08)
    return mb_wasm_fail(c->diag, MB_ERR_UNSUPPORTED, off,
                        "unsupported feature: custom page sizes (limits flags 0x%02x)", flags);
  if (flags > 0x07)
    return mb_wasm_fail(c->diag, MB_ERR_BAD_TYPE, off, "malformed limits flags 0x%02x", flags);
  if (table && (flags & MB_LIMITS_SHARED))
    return mb_wasm_fail(c->diag, MB_ERR_BAD_TYPE, off, "malformed limits flags 0x%02x: tables may not be shared", flags);
  out->flags = flags;
  out->max = 0;
  if ((e = mb_wasm_u64(r, &out->min, "limits minimum"))) return e;
  if ((flags & MB_LIMITS_HAS_MAX) && (e = mb_wasm_u64(r, &out->max, "limits maximum"))) return e;
  bool is64 = flags & MB_LIMITS_64;
  uint64_t bound = table ? (is64 ? UINT64_MAX : UINT32_MAX) : (is64 ? (uint64_t)1 << 48 : 65536);
  if (out->min > bound || out->max > bound)
    return mb_wasm_fail(c->diag, MB_ERR_BAD_TYPE, off, "%s size must be at most %llu %s",
                        table ? "table" : "memory", (unsigned long long)bound,
                        table ? "entries" : "pages");
  if ((flags & MB_LIMITS_HAS_MAX) && out->min > out->max)
    return mb_wasm_fail(c->diag, MB_ERR_BAD_TYPE, off,
                        "size minimum must not be greater than maximum (%llu > %llu)",
                        (unsigned long long)out->min, (unsigned long long)out->max);
  if (flags & MB_LIMITS_64) c->m->features |= MB_FEAT_MEMORY64;
  if (flags & MB_LIMITS_SHARED) c->m->features |= MB_FEAT_THREADS;
  return MB_OK;
}

static mb_err tabletype(ctx *c, mb_wasm_reader *r, mb_tabletype *out) {
  mb_err e = mb__reftype(r, &out->elemtype, c->m->ntypes, "table type");
  if (e) return e;
  c->m->features |= mb__valtype_features(out->elemtype);
  return limits(c, r, true, &out->limits);
}

static mb_err globaltype(ctx *c, mb_wasm_reader *r, mb_globaltype *out) {
  uint64_t off;
  uint8_t mut;
  mb_err e = mb__valtype(r, &out->valtype, c->m->ntypes, "global type");
  if (e) return e;
  c->m->features |= mb__valtype_features(out->valtype);
  off = mb_wasm_off(r);
  if ((e = mb_wasm_byte(r, &mut, "global mutability"))) return e;
  if (mut > 1) return mb_wasm_fail(c->diag, MB_ERR_BAD_TYPE, off, "malformed mutability 0x%02x", mut);
  out->mutable_ = mut;
  return MB_OK;
}

static mb_err type_index(ctx *c, mb_wasm_reader *r, uint32_t *out, const char *what) {
  uint64_t off = mb_wasm_off(r);
  mb_err e = mb_wasm_u32(r, out, what);
  if (e) return e;
  if (*out >= c->m->ntypes)
    return mb_wasm_fail(c->diag, MB_ERR_INDEX_RANGE, off, "type index %u out of range in %s (%u types)",
                    *out, what, c->m->ntypes);
  /* every user of these indices takes m->types[i] as a signature */
  if (c->m->typedefs && c->m->typedefs[*out].form != MB_COMP_FUNC)
    return mb_wasm_fail(c->diag, MB_ERR_BAD_TYPE, off, "type %u in %s is not a function type", *out,
                        what);
  return MB_OK;
}

/* Limits for the code/constant-expression walker: the index spaces as known so far. */
static void index_limits(ctx *c, uint32_t lim[MB_SPACE_COUNT]) {
  mb_module *m = c->m;
  mb_module_space_sizes(m, lim);
  /* data indices are checked against the data count section after the walk */
  lim[MB_SPACE_DATA] = m->has_datacount ? c->datacount : UINT32_MAX;
}

static mb_err const_expr(ctx *c, mb_wasm_reader *r, mb_bytes *out) {
  uint32_t lim[MB_SPACE_COUNT];
  index_limits(c, lim);
  const uint8_t *start = r->pos;
  mb_err e = mb__expr_walk(r, MB_EXPR_CONST, lim, NULL, NULL, &c->m->features);
  if (e) return e;
  out->ptr = start;
  out->len = (uint32_t)(r->pos - start);
  return MB_OK;
}

/* A vector of value types (params or results) into the arena. */
static mb_err valtypes(ctx *c, mb_wasm_reader *r, uint32_t limit, uint32_t *n,
                       const mb_valtype **out, const char *what, const char *one) {
  mb_err e = count(c, r, MAX_PARAMS, n, what);
  if (e) return e;
  mb_valtype *v = NULL;
  ALLOC_ARRAY(c, v, *n, mb_wasm_off(r));
  for (uint32_t k = 0; k < *n; k++) {
    if ((e = mb__valtype(r, &v[k], limit, one))) return e;
    c->m->features |= mb__valtype_features(v[k]);
  }
  *out = v;
  return MB_OK;
}

static mb_err field(ctx *c, mb_wasm_reader *r, uint32_t limit, mb_field *out) {
  uint8_t mut;
  mb_err e = mb__storagetype(r, &out->type, limit, "field type");
  if (e) return e;
  c->m->features |= mb__valtype_features(out->type);
  uint64_t off = mb_wasm_off(r);
  if ((e = mb_wasm_byte(r, &mut, "field mutability"))) return e;
  if (mut > 1) return mb_wasm_fail(c->diag, MB_ERR_BAD_TYPE, off, "malformed mutability 0x%02x", mut);
  out->mutable_ = mut;
  return MB_OK;
}

/* One subtype: [sub [final] supertypes] comptype, as type index `index` of a rec group
 * ending at `limit` (references inside the group may point forward). */
static mb_err subtype(ctx *c, mb_wasm_reader *r, uint32_t index, uint32_t limit, mb_functype *ft,
                      mb_typedef *td, bool *gc) {
  uint64_t off = mb_wasm_off(r);
  uint8_t form;
  mb_err e = mb_wasm_byte(r, &form, "type form");
  if (e) return e;
  if (form == MB_SUB_OPEN || form == MB_SUB_FINAL) {
    uint32_t nsuper;
    td->sub = form;
    *gc = true;
    off = mb_wasm_off(r);
    if ((e = mb_wasm_u32(r, &nsuper, "supertype count"))) return e;
    if (nsuper > 1)
      return mb_wasm_fail(c->diag, MB_ERR_BAD_TYPE, off,
                          "sub type must have at most one supertype (type %u has %u)", index, nsuper);
    if (nsuper) {
      off = mb_wasm_off(r);
      if ((e = mb_wasm_u32(r, &td->super, "supertype"))) return e;
      if (td->super >= limit)
        return mb_wasm_fail(c->diag, MB_ERR_INDEX_RANGE, off, "unknown type %u: supertype of type %u",
                            td->super, index);
      if (td->super >= index)
        return mb_wasm_fail(c->diag, MB_ERR_BAD_TYPE, off,
                            "supertype %u of type %u must be defined before it", td->super, index);
      td->has_super = true;
    }
    off = mb_wasm_off(r);
    if ((e = mb_wasm_byte(r, &form, "type form"))) return e;
  }
  td->form = form;
  switch (form) {
  case MB_COMP_FUNC:
    if ((e = valtypes(c, r, limit, &ft->nparams, &ft->params, "parameters", "parameter type")) ||
        (e = valtypes(c, r, limit, &ft->nresults, &ft->results, "results", "result type")))
      return e;
    if (ft->nresults > 1) c->m->features |= MB_FEAT_MULTI_VALUE;
    return MB_OK;
  case MB_COMP_STRUCT:
    *gc = true;
    if ((e = count(c, r, MAX_FIELDS, &td->nfields, "struct fields"))) return e;
    ALLOC_ARRAY(c, td->fields, td->nfields, mb_wasm_off(r));
    for (uint32_t k = 0; k < td->nfields; k++)
      if ((e = field(c, r, limit, &td->fields[k]))) return e;
    return MB_OK;
  case MB_COMP_ARRAY:
    *gc = true;
    td->nfields = 1;
    ALLOC_ARRAY(c, td->fields, 1, mb_wasm_off(r));
    return field(c, r, limit, &td->fields[0]);
  default:
    return mb_wasm_fail(c->diag, MB_ERR_BAD_TYPE, off, "malformed function type form 0x%02x", form);
  }
}

/* The section is a vector of rec groups; a bare subtype is a group of one. Types are
 * collected in growing buffers (the number of types is known only at the end), then
 * moved into the arena. */
static mb_err read_types(ctx *c, mb_wasm_reader *r) {
  mb_module *m = c->m;
  uint32_t ngroups, n = 0;
  bool gc = false;
  mb_buf fts, tds;
  mb_buf_init(&fts, mb_module_allocator(m));
  mb_buf_init(&tds, mb_module_allocator(m));
  mb_err e = count(c, r, MAX_TYPES, &ngroups, "types");
  for (uint32_t g = 0; g < ngroups && !e; g++) {
    uint64_t off = mb_wasm_off(r);
    uint32_t size = 1;
    bool explicit_rec = r->pos < r->end && *r->pos == 0x4E;
    if (explicit_rec) {
      r->pos++;
      gc = true;
      if ((e = count(c, r, MAX_TYPES, &size, "rec group types"))) break;
    }
    if ((uint64_t)n + size > MAX_TYPES) {
      e = mb_wasm_fail(c->diag, MB_ERR_TOO_MANY, off, "too many types (the limit is %d)", MAX_TYPES);
      break;
    }
    for (uint32_t k = 0; k < size && !e; k++) {
      mb_functype ft = {0};
      mb_typedef td = {.rec = n - k, .rec_size = size, .rec_explicit = explicit_rec};
      if ((e = subtype(c, r, n, n - k + size, &ft, &td, &gc))) break;
      mb_buf_append(&fts, &ft, sizeof ft);
      mb_buf_append(&tds, &td, sizeof td);
      n++;
    }
  }
  if (!e && (fts.failed || tds.failed)) e = nomem(c, mb_wasm_off(r));
  if (!e) {
    m->ntypes = n;
    m->types = array(c, n, sizeof *m->types);
    if (gc) m->typedefs = array(c, n, sizeof *m->typedefs);
    if (n && (!m->types || (gc && !m->typedefs))) e = nomem(c, mb_wasm_off(r));
  }
  if (!e && n) {
    memcpy(m->types, fts.data, fts.len);
    if (gc) memcpy(m->typedefs, tds.data, tds.len);
  }
  if (gc) m->features |= MB_FEAT_GC;
  mb_buf_fini(&fts);
  mb_buf_fini(&tds);
  return e;
}

static mb_err read_imports(ctx *c, mb_wasm_reader *r) {
  mb_module *m = c->m;
  mb_err e = count(c, r, MAX_IMPORTS, &m->nimports, "imports");
  if (e) return e;
  ALLOC_ARRAY(c, m->imports, m->nimports, mb_wasm_off(r));
  for (uint32_t i = 0; i < m->nimports; i++) {
    mb_import *im = &m->imports[i];
    uint8_t kind;
    if ((e = mb_wasm_name(r, &im->module, "import module name")) ||
        (e = mb_wasm_name(r, &im->field, "import field name")))
      return e;
    uint64_t off = mb_wasm_off(r);
    if ((e = mb_wasm_byte(r, &kind, "import kind"))) return e;
    switch (kind) {
    case MB_KIND_FUNC: e = type_index(c, r, &im->u.func_type, "function import"); break;
    case MB_KIND_TABLE: e = tabletype(c, r, &im->u.table); break;
    case MB_KIND_MEMORY: e = limits(c, r, false, &im->u.memory); break;
    case MB_KIND_GLOBAL: e = globaltype(c, r, &im->u.global); break;
    case MB_KIND_TAG: {
      uint8_t attr;
      uint64_t aoff = mb_wasm_off(r);
      if ((e = mb_wasm_byte(r, &attr, "tag attribute"))) return e;
      if (attr != 0)
        return mb_wasm_fail(c->diag, MB_ERR_BAD_TYPE, aoff, "malformed tag attribute 0x%02x", attr);
      e = type_index(c, r, &im->u.tag_type, "tag import");
      m->features |= MB_FEAT_EXCEPTIONS;
      break;
    }
    default:
      return mb_wasm_fail(c->diag, MB_ERR_BAD_KIND, off, "malformed import kind 0x%02x", kind);
    }
    if (e) return e;
    im->kind = (mb_kind)kind;
    m->nimported[kind]++;
  }
  if (m->nimported[MB_KIND_MEMORY] > MAX_MEMORIES)
    return mb_wasm_fail(c->diag, MB_ERR_TOO_MANY, mb_wasm_off(r), "too many memories: %u (the limit is %d)",
                        m->nimported[MB_KIND_MEMORY], MAX_MEMORIES);
  return MB_OK;
}

static mb_err read_functions(ctx *c, mb_wasm_reader *r) {
  mb_module *m = c->m;
  mb_err e = count(c, r, MAX_FUNCS, &m->nfuncs, "functions");
  if (e) return e;
  ALLOC_ARRAY(c, m->func_types, m->nfuncs, mb_wasm_off(r));
  for (uint32_t i = 0; i < m->nfuncs; i++)
    if ((e = type_index(c, r, &m->func_types[i], "function section"))) return e;
  return MB_OK;
}

static mb_err read_tables(ctx *c, mb_wasm_reader *r) {
  mb_module *m = c->m;
  mb_err e = count(c, r, MAX_TABLES, &m->ntables, "tables");
  if (e) return e;
  ALLOC_ARRAY(c, m->tables, m->ntables, mb_wasm_off(r));
  for (uint32_t i = 0; i < m->ntables; i++) {
    mb_table *t = &m->tables[i];
    if (r->pos < r->end && *r->pos == 0x40) {
      uint8_t b, reserved;
      uint64_t off = mb_wasm_off(r) + 1;
      if ((e = mb_wasm_byte(r, &b, "table")) || (e = mb_wasm_byte(r, &reserved, "table reserved byte")))
        return e;
      if (reserved != 0)
        return mb_wasm_fail(c->diag, MB_ERR_BAD_TYPE, off, "malformed table: reserved byte 0x%02x",
                            reserved);
      if ((e = tabletype(c, r, &t->type)) || (e = const_expr(c, r, &t->init))) return e;
    } else if ((e = tabletype(c, r, &t->type))) {
      return e;
    }
  }
  return MB_OK;
}

static mb_err read_memories(ctx *c, mb_wasm_reader *r) {
  mb_module *m = c->m;
  mb_err e = count(c, r, MAX_MEMORIES, &m->nmemories, "memories");
  if (e) return e;
  if (m->nmemories + m->nimported[MB_KIND_MEMORY] > MAX_MEMORIES)
    return mb_wasm_fail(c->diag, MB_ERR_TOO_MANY, mb_wasm_off(r), "too many memories (the limit is %d)",
                        MAX_MEMORIES);
  if (m->nmemories + m->nimported[MB_KIND_MEMORY] > 1) m->features |= MB_FEAT_MULTI_MEMORY;
  ALLOC_ARRAY(c, m->memories, m->nmemories, mb_wasm_off(r));
  for (uint32_t i = 0; i < m->nmemories; i++)
    if ((e = limits(c, r, false, &m->memories[i]))) return e;
  return MB_OK;
}

static mb_err read_tags(ctx *c, mb_wasm_reader *r) {
  mb_module *m = c->m;
  mb_err e = count(c, r, MAX_TAGS, &m->ntags, "tags");
  if (e) return e;
  ALLOC_ARRAY(c, m->tag_types, m->ntags, mb_wasm_off(r));
  for (uint32_t i = 0; i < m->ntags; i++) {
    uint8_t attr;
    uint64_t off = mb_wasm_off(r);
    if ((e = mb_wasm_byte(r, &attr, "tag attribute"))) return e;
    if (attr != 0)
      return mb_wasm_fail(c->diag, MB_ERR_BAD_TYPE, off, "malformed tag attribute 0x%02x", attr);
    if ((e = type_index(c, r, &m->tag_types[i], "tag section"))) return e;
  }
  if (m->ntags) m->features |= MB_FEAT_EXCEPTIONS;
  return MB_OK;
}

static mb_err read_globals(ctx *c, mb_wasm_reader *r) {
  mb_module *m = c->m;
  uint32_t n;
  mb_err e = count(c, r, MAX_GLOBALS, &n, "globals");
  if (e) return e;
  ALLOC_ARRAY(c, m->globals, n, mb_wasm_off(r));
  /* m->nglobals grows as we go so an initialiser sees only earlier globals */
  for (m->nglobals = 0; m->nglobals < n; m->nglobals++) {
    mb_global *g = &m->globals[m->nglobals];
    if ((e = globaltype(c, r, &g->type)) || (e = const_expr(c, r, &g->init))) return e;
  }
  return MB_OK;
}

static mb_err read_exports(ctx *c, mb_wasm_reader *r) {
  mb_module *m = c->m;
  mb_err e = count(c, r, MAX_EXPORTS, &m->nexports, "exports");
  if (e) return e;
  ALLOC_ARRAY(c, m->exports, m->nexports, mb_wasm_off(r));
  for (uint32_t i = 0; i < m->nexports; i++) {
    mb_export *ex = &m->exports[i];
    uint8_t kind;
    if ((e = mb_wasm_name(r, &ex->name, "export name"))) return e;
    uint64_t off = mb_wasm_off(r);
    if ((e = mb_wasm_byte(r, &kind, "export kind"))) return e;
    if (kind >= MB_KIND_COUNT)
      return mb_wasm_fail(c->diag, MB_ERR_BAD_KIND, off, "malformed export kind 0x%02x", kind);
    ex->kind = (mb_kind)kind;
    off = mb_wasm_off(r);
    if ((e = mb_wasm_u32(r, &ex->index, "export index"))) return e;
    uint32_t n = mb_module_count(m, ex->kind);
    if (ex->index >= n)
      return mb_wasm_fail(c->diag, MB_ERR_INDEX_RANGE, off,
                          "export \"%.*s\" refers to index %u, past the %u entities of its kind",
                          (int)ex->name.len, (const char *)ex->name.ptr, ex->index, n);
  }
  return MB_OK;
}

static mb_err read_start(ctx *c, mb_wasm_reader *r) {
  uint64_t off = mb_wasm_off(r);
  mb_err e = mb_wasm_u32(r, &c->m->start, "start function index");
  if (e) return e;
  if (c->m->start >= mb_module_count(c->m, MB_KIND_FUNC))
    return mb_wasm_fail(c->diag, MB_ERR_INDEX_RANGE, off, "start function index %u out of range",
                        c->m->start);
  c->m->has_start = true;
  return MB_OK;
}

static mb_err func_index(ctx *c, mb_wasm_reader *r, uint32_t *out) {
  uint64_t off = mb_wasm_off(r);
  mb_err e = mb_wasm_u32(r, out, "function index");
  if (e) return e;
  if (*out >= mb_module_count(c->m, MB_KIND_FUNC))
    return mb_wasm_fail(c->diag, MB_ERR_INDEX_RANGE, off, "function index %u out of range (%u functions)",
                    *out, mb_module_count(c->m, MB_KIND_FUNC));
  return MB_OK;
}

static mb_err table_index(ctx *c, mb_wasm_reader *r, uint32_t *out, bool implicit, uint64_t off) {
  mb_err e = MB_OK;
  if (!implicit) {
    off = mb_wasm_off(r);
    e = mb_wasm_u32(r, out, "table index");
  } else {
    *out = 0;
  }
  if (e) return e;
  if (*out >= mb_module_count(c->m, MB_KIND_TABLE))
    return mb_wasm_fail(c->diag, MB_ERR_INDEX_RANGE, off,
                        "element segment refers to table %u, but the module has %u tables", *out,
                        mb_module_count(c->m, MB_KIND_TABLE));
  return MB_OK;
}

static mb_err read_elements(ctx *c, mb_wasm_reader *r) {
  mb_module *m = c->m;
  uint32_t n;
  mb_err e = count(c, r, MAX_ELEM_SEGMENTS, &n, "element segments");
  if (e) return e;
  ALLOC_ARRAY(c, m->elems, n, mb_wasm_off(r));
  m->nelems = n;
  for (uint32_t i = 0; i < n; i++) {
    mb_elem *s = &m->elems[i];
    uint64_t off = mb_wasm_off(r);
    if ((e = mb_wasm_u32(r, &s->flags, "element segment flags"))) return e;
    if (s->flags > 7)
      return mb_wasm_fail(c->diag, MB_ERR_BAD_SEGMENT, off, "malformed elements segment kind %u",
                          s->flags);
    bool passive_or_decl = s->flags & 1, explicit_table = s->flags & 2;
    s->exprs = s->flags & 4;
    s->mode = !passive_or_decl ? MB_SEG_ACTIVE : explicit_table ? MB_SEG_DECLARATIVE
                                                                : MB_SEG_PASSIVE;
    s->reftype = 0x70;
    if (s->mode == MB_SEG_ACTIVE) {
      if ((e = table_index(c, r, &s->table, !explicit_table, off)) ||
          (e = const_expr(c, r, &s->offset)))
        return e;
    }
    if (passive_or_decl || explicit_table) {
      if (s->exprs) {
        if ((e = mb__reftype(r, &s->reftype, m->ntypes, "element segment"))) return e;
        m->features |= mb__valtype_features(s->reftype);
      } else {
        uint8_t kind;
        uint64_t koff = mb_wasm_off(r);
        if ((e = mb_wasm_byte(r, &kind, "element kind"))) return e;
        if (kind != 0)
          return mb_wasm_fail(c->diag, MB_ERR_BAD_SEGMENT, koff, "malformed element kind 0x%02x",
                              kind);
      }
    }
    if ((e = count(c, r, UINT32_MAX, &s->count, "element segment items"))) return e;
    if (s->exprs) {
      ALLOC_ARRAY(c, s->items, s->count, mb_wasm_off(r));
      for (uint32_t k = 0; k < s->count; k++)
        if ((e = const_expr(c, r, &s->items[k]))) return e;
    } else {
      ALLOC_ARRAY(c, s->funcs, s->count, mb_wasm_off(r));
      for (uint32_t k = 0; k < s->count; k++)
        if ((e = func_index(c, r, &s->funcs[k]))) return e;
    }
  }
  return MB_OK;
}

static mb_err read_datacount(ctx *c, mb_wasm_reader *r) {
  mb_err e = mb_wasm_u32(r, &c->datacount, "data count");
  if (e) return e;
  c->m->has_datacount = true;
  return MB_OK;
}

static mb_err read_code(ctx *c, mb_wasm_reader *r) {
  mb_module *m = c->m;
  uint64_t off = mb_wasm_off(r);
  mb_err e = count(c, r, MAX_FUNCS, &m->ncodes, "function bodies");
  if (e) return e;
  if (m->ncodes != m->nfuncs)
    return mb_wasm_fail(c->diag, MB_ERR_FUNC_CODE_MISMATCH, off,
                        "function and code section have inconsistent lengths: %u functions, %u bodies",
                        m->nfuncs, m->ncodes);
  ALLOC_ARRAY(c, m->codes, m->ncodes, mb_wasm_off(r));
  uint32_t lim[MB_SPACE_COUNT];
  index_limits(c, lim);
  for (uint32_t i = 0; i < m->ncodes; i++) {
    uint32_t size;
    mb_wasm_reader body;
    if ((e = mb_wasm_u32(r, &size, "function body size")) ||
        (e = mb_wasm_sub(r, size, &body, "function body")))
      return e;
    m->codes[i].body.ptr = body.pos;
    m->codes[i].body.len = size;
    m->codes[i].offset = body.base;
    if (c->check_code && (e = mb__body_walk(&body, lim, NULL, NULL, &m->features))) return e;
  }
  if ((m->features & MB__FEAT_USES_DATAIDX) && !m->has_datacount)
    return mb_wasm_fail(c->diag, MB_ERR_DATA_COUNT, off,
                        "data count section required: code uses a data segment index (memory.init, "
                        "data.drop, array.new_data or array.init_data)");
  return MB_OK;
}

static mb_err read_data(ctx *c, mb_wasm_reader *r) {
  mb_module *m = c->m;
  uint64_t off = mb_wasm_off(r);
  mb_err e = count(c, r, MAX_DATA_SEGMENTS, &m->ndatas, "data segments");
  if (e) return e;
  if (m->has_datacount && m->ndatas != c->datacount)
    return mb_wasm_fail(c->diag, MB_ERR_DATA_COUNT, off,
                        "data count and data section have inconsistent lengths: %u and %u",
                        c->datacount, m->ndatas);
  ALLOC_ARRAY(c, m->datas, m->ndatas, mb_wasm_off(r));
  for (uint32_t i = 0; i < m->ndatas; i++) {
    mb_data *d = &m->datas[i];
    uint32_t flags, len;
    uint64_t soff = mb_wasm_off(r);
    if ((e = mb_wasm_u32(r, &flags, "data segment flags"))) return e;
    if (flags > 2)
      return mb_wasm_fail(c->diag, MB_ERR_BAD_SEGMENT, soff, "malformed data segment kind %u", flags);
    d->mode = flags == 1 ? MB_SEG_PASSIVE : MB_SEG_ACTIVE;
    if (flags == 2) {
      soff = mb_wasm_off(r);
      if ((e = mb_wasm_u32(r, &d->memory, "memory index"))) return e;
    }
    if (d->mode == MB_SEG_ACTIVE) {
      if (d->memory >= mb_module_count(m, MB_KIND_MEMORY))
        return mb_wasm_fail(c->diag, MB_ERR_INDEX_RANGE, soff,
                            "data segment refers to memory %u, but the module has %u memories",
                            d->memory, mb_module_count(m, MB_KIND_MEMORY));
      if ((e = const_expr(c, r, &d->offset))) return e;
    } else {
      m->features |= MB_FEAT_BULK_MEMORY;
    }
    if ((e = mb_wasm_u32(r, &len, "data segment size"))) return e;
    if ((e = mb_wasm_bytes(r, len, &d->bytes.ptr, "data segment"))) return e;
    d->bytes.len = len;
  }
  return MB_OK;
}

typedef mb_err (*section_reader)(ctx *, mb_wasm_reader *);
static const section_reader readers[MB_SEC_COUNT] = {
    read_types,    read_imports, read_functions, read_tables,   read_memories,
    read_tags,     read_globals, read_exports,   read_start,    read_elements,
    read_datacount, read_code,   read_data,
};

mb_module *mb_module_new(const mb_allocator *alloc) {
  mb_module *m = mb_mem_calloc(alloc, 1, sizeof *m);
  if (!m) return NULL;
  if (!(m->arena = mb_wasm_arena_new(alloc))) {
    mb_mem_free(alloc, m);
    return NULL;
  }
  return m;
}

void mb_module_free(mb_module *m) {
  if (!m) return;
  mb_allocator a = *mb_wasm_arena_allocator(m->arena);
  mb_wasm_arena_free(m->arena);
  mb_mem_free(&a, m);
}

const mb_allocator *mb_module_allocator(const mb_module *m) {
  return mb_wasm_arena_allocator(m->arena);
}

void *mb_module_alloc(mb_module *m, size_t size) { return mb_wasm_arena_alloc(m->arena, size); }

void mb_module_mark_dirty(mb_module *m, mb_sec sec) {
  if (sec < MB_SEC_COUNT) {
    m->sec[sec].dirty = true;
    m->sec[sec].present = true;
  }
}

void mb_module_mark_all_dirty(mb_module *m) {
  for (int s = 0; s < MB_SEC_COUNT; s++)
    if (m->sec[s].present) m->sec[s].dirty = true;
}

static mb_err read_sections(ctx *c, mb_wasm_reader *r, mb_buf *customs) {
  mb_module *m = c->m;
  int last = -1;
  size_t unplaced = 0; /* customs not yet anchored before a known section */
  while (r->pos < r->end) {
    uint64_t off = mb_wasm_off(r);
    const uint8_t *raw_start = r->pos;
    uint8_t id;
    uint32_t size;
    mb_wasm_reader sub;
    mb_err e;
    if ((e = mb_wasm_byte(r, &id, "section id"))) return e;
    if (id > 13)
      return mb_wasm_fail(c->diag, MB_ERR_BAD_SECTION_ID, off, "malformed section id %u", id);
    if ((e = mb_wasm_u32(r, &size, "section size"))) return e;
    if (size > mb_wasm_left(r))
      return mb_wasm_fail(c->diag, MB_ERR_UNEXPECTED_END, off,
                          "unexpected end: section %u declares %u bytes but only %zu are left", id,
                          size, mb_wasm_left(r));
    if ((e = mb_wasm_sub(r, size, &sub, "section"))) return e;
    mb_bytes raw = {raw_start, (uint32_t)(r->pos - raw_start)};
    if (id == 0) {
      mb_custom cs = {0};
      if ((e = mb_wasm_name(&sub, &cs.name, "custom section name"))) return e;
      cs.payload.ptr = sub.pos;
      cs.payload.len = (uint32_t)mb_wasm_left(&sub);
      cs.raw = raw;
      cs.offset = off;
      cs.before = MB_SEC_COUNT;
      if (!mb_buf_append(customs, &cs, sizeof cs)) return nomem(c, off);
      continue;
    }
    int sec = mb_sec_from_id(id);
    if (sec <= last)
      return mb_wasm_fail(c->diag, MB_ERR_SECTION_ORDER, off,
                          "unexpected %s section (id %u): sections must appear once each, in order",
                          mb_sec_name((mb_sec)sec), id);
    last = sec;
    mb_custom *cs = (mb_custom *)customs->data;
    size_t ncs = customs->len / sizeof(mb_custom);
    for (; unplaced < ncs; unplaced++) cs[unplaced].before = (mb_sec)sec;
    m->sec[sec].present = true;
    m->sec[sec].raw = raw;
    m->sec[sec].offset = off;
    if ((e = readers[sec](c, &sub))) return e;
    if ((e = mb_wasm_expect_end(&sub, mb_sec_name((mb_sec)sec)))) return e;
  }
  if (m->nfuncs && !m->sec[MB_SEC_CODE].present)
    return mb_wasm_fail(c->diag, MB_ERR_FUNC_CODE_MISMATCH, mb_wasm_off(r),
                        "function and code section have inconsistent lengths: %u functions, no code "
                        "section",
                        m->nfuncs);
  if (m->has_datacount && !m->sec[MB_SEC_DATA].present && c->datacount != 0)
    return mb_wasm_fail(c->diag, MB_ERR_DATA_COUNT, mb_wasm_off(r),
                        "data count and data section have inconsistent lengths: %u and no data section",
                        c->datacount);
  return MB_OK;
}

mb_err mb_wasm_read_opts(const mb_allocator *alloc, const uint8_t *bytes, size_t len,
                         const mb_read_options *opts, mb_module **out, mb_diag *diag) {
  static const uint8_t magic[4] = {0x00, 0x61, 0x73, 0x6D};
  static const uint8_t version[4] = {0x01, 0x00, 0x00, 0x00};
  mb_wasm_reader r = {bytes, bytes, bytes + len, 0, diag, alloc};
  mb_buf customs;
  mb_buf_init(&customs, alloc);
  ctx c = {NULL, diag, opts ? opts->check_code : true, 0};
  mb_err e = MB_OK;
  *out = NULL;
  if (len > MAX_MODULE_SIZE) {
    e = mb_wasm_fail(diag, MB_ERR_TOO_MANY, 0, "module too large: %zu bytes (the limit is 1 GiB)", len);
    goto done;
  }
  /* As the spec's binary.wast: a preamble cut short is "unexpected end" (even "\01"),
   * wrong bytes are a bad magic or version. */
  if (len < 4 || (len < 8 && memcmp(bytes, magic, 4) == 0)) {
    e = mb_wasm_fail(diag, MB_ERR_UNEXPECTED_END, len < 4 ? 0 : 4,
                     "unexpected end: expected the %s", len < 4 ? "magic header" : "binary version");
    goto done;
  }
  if (memcmp(bytes, magic, 4) != 0) {
    e = mb_wasm_fail(diag, MB_ERR_BAD_MAGIC, 0, "magic header not detected: not a wasm module");
    goto done;
  }
  if (memcmp(bytes + 4, version, 4) != 0) {
    e = mb_wasm_fail(diag, MB_ERR_BAD_VERSION, 4,
                     bytes[6] == 0x01
                     ? "unknown binary version: this is a component, not a core module"
                     : "unknown binary version: expected 1");
    goto done;
  }
  r.pos += 8;
  if (!(c.m = mb_module_new(alloc))) {
    e = mb_wasm_fail(diag, MB_ERR_NOMEM, 0, "out of memory");
    goto done;
  }
  if ((e = read_sections(&c, &r, &customs))) goto done;
  c.m->ncustoms = (uint32_t)(customs.len / sizeof(mb_custom));
  if (c.m->ncustoms) {
    if (!(c.m->customs = array(&c, c.m->ncustoms, sizeof(mb_custom)))) {
      e = nomem(&c, 0);
      goto done;
    }
    memcpy(c.m->customs, customs.data, customs.len);
  }
  if (customs.failed) e = nomem(&c, 0);
done:
  mb_buf_fini(&customs);
  if (e) {
    mb_module_free(c.m);
    return e;
  }
  c.m->features &= ~MB__FEAT_USES_DATAIDX; /* internal to the reader */
  *out = c.m;
  return MB_OK;
}

mb_err mb_wasm_read(const mb_allocator *alloc, const uint8_t *bytes, size_t len, mb_module **out,
                    mb_diag *diag) {
  mb_read_options opts = {.check_code = true};
  return mb_wasm_read_opts(alloc, bytes, len, &opts, out, diag);
}
