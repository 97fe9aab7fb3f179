/* fuse.c — build the fused module from a resolved link session: one index space per
 * kind (host imports first, then each instance's definitions in input order), constant
 * expressions rewritten through per-instance maps (code bodies carry their map and are
 * renumbered as they are written), generated functions for trapping stubs and
 * initialization, exports, and the exported `memory` rule. */
#include <string.h>

#include "fuse_fast.h"
#include "link_internal.h"

typedef struct fuse {
  mb_link *l;
  mb_module *out;
  mb_diag *diag;
  uint32_t ntypes_cap;
  uint32_t host_index[MB_KIND_COUNT]; /* next free import slot per kind */
  uint32_t *host_slot;                /* per mb_link.hosts: index in its kind's space */
  uint32_t ngen;                      /* generated functions so far */
  uint32_t gen_cap;
  const char **gen_names;             /* names of generated functions (name section) */
  uint32_t *gen_funcs;
  mb_buf body;                        /* scratch */
  int64_t teardown_fn;                /* exported as membrane:teardown, or -1 */
  uint32_t list_trap;                 /* adapters: the trap for a list too long to copy */
} fuse;

static mb_err nomem(fuse *f) { return mb__fail(f->diag, MB_ERR_NOMEM, 0, "out of memory while linking"); }

static void *arr(fuse *f, size_t n, size_t elem) {
  return mb__arena_array(f->out->arena, n ? n : 1, elem);
}

/* Output index of a function type, adding it when new (identical types are merged). */
static mb_err add_type(fuse *f, const mb_functype *t, uint32_t *out_index) {
  mb_module *o = f->out;
  for (uint32_t i = 0; i < o->ntypes; i++)
    if (mb__functype_eq(&o->types[i], t)) {
      *out_index = i;
      return MB_OK;
    }
  if (o->ntypes == f->ntypes_cap) return mb__fail(f->diag, MB_ERR_INVALID_ARG, 0, "type table full");
  o->types[o->ntypes] = *t;
  *out_index = o->ntypes++;
  return MB_OK;
}

static const mb_functype void_type = {0, 0, NULL, NULL};

static mb_err alloc_maps(fuse *f, mb_link_inst *in) {
  const mb_module *m = in->m;
  uint32_t sizes[MB_SPACE_COUNT] = {
      m->ntypes,
      mb_module_count(m, MB_KIND_FUNC),
      mb_module_count(m, MB_KIND_TABLE),
      mb_module_count(m, MB_KIND_MEMORY),
      mb_module_count(m, MB_KIND_GLOBAL),
      mb_module_count(m, MB_KIND_TAG),
      m->nelems,
      m->ndatas,
  };
  for (int s = 0; s < MB_SPACE_COUNT; s++) {
    mb__free(in->map[s]);
    in->count[s] = sizes[s];
    if (!(in->map[s] = mb__calloc(sizes[s] ? sizes[s] : 1, sizeof(uint32_t)))) return nomem(f);
  }
  return MB_OK;
}

static const mb_space kind_space[MB_KIND_COUNT] = {MB_SPACE_FUNC, MB_SPACE_TABLE, MB_SPACE_MEMORY,
                                                   MB_SPACE_GLOBAL, MB_SPACE_TAG};

static uint32_t defined_count(const mb_module *m, mb_kind k) {
  return mb_module_count(m, k) - m->nimported[k];
}

/* Host imports become the output's imports (stubs become functions later). */
static mb_err place_imports(fuse *f) {
  mb_link *l = f->l;
  mb_module *o = f->out;
  uint32_t n = 0;
  for (uint32_t h = 0; h < l->nhosts; h++) n += !l->hosts[h].stub;
  o->imports = arr(f, n, sizeof *o->imports);
  f->host_slot = mb__calloc(l->nhosts ? l->nhosts : 1, sizeof *f->host_slot);
  if (!o->imports || !f->host_slot) return nomem(f);
  /* The instances' types first, in input order, so a single input keeps its type
   * indices (a faithful copy); host imports' types are among them. */
  for (uint32_t i = 0; i < l->ninst; i++)
    for (uint32_t t = 0; t < l->inst[i].m->ntypes; t++) {
      uint32_t ignored;
      mb_err e = add_type(f, &l->inst[i].m->types[t], &ignored);
      if (e) return e;
    }
  for (uint32_t h = 0; h < l->nhosts; h++) {
    if (l->hosts[h].stub) continue;
    mb_import im = *l->hosts[h].im;
    uint32_t t;
    mb_err e = MB_OK;
    if (im.kind == MB_KIND_FUNC) e = add_type(f, &l->hosts[h].from->types[im.u.func_type], &t), im.u.func_type = t;
    if (im.kind == MB_KIND_TAG) e = add_type(f, &l->hosts[h].from->types[im.u.tag_type], &t), im.u.tag_type = t;
    if (e) return e;
    f->host_slot[h] = o->nimported[im.kind]++;
    o->imports[o->nimports++] = im;
  }
  return MB_OK;
}

/* Decide every instance's output indices. Stubs are numbered after all definitions. */
static mb_err place_instances(fuse *f, uint32_t *stub_base) {
  mb_link *l = f->l;
  mb_module *o = f->out;
  uint32_t next[MB_KIND_COUNT], elem = 0, data = 0;
  for (int k = 0; k < MB_KIND_COUNT; k++) next[k] = o->nimported[k];
  /* first pass: bases of defined entities */
  uint32_t (*bases)[MB_KIND_COUNT] = mb__calloc(l->ninst, sizeof *bases);
  if (!bases) return nomem(f);
  for (uint32_t i = 0; i < l->ninst; i++)
    for (int k = 0; k < MB_KIND_COUNT; k++) {
      bases[i][k] = next[k];
      next[k] += defined_count(l->inst[i].m, (mb_kind)k);
    }
  *stub_base = next[MB_KIND_FUNC];
  /* stubs: one function per stubbed host import, in host order */
  uint32_t nstub = 0, *stub_index = mb__calloc(l->nhosts ? l->nhosts : 1, sizeof *stub_index);
  if (!stub_index) {
    mb__free(bases);
    return nomem(f);
  }
  for (uint32_t h = 0; h < l->nhosts; h++)
    if (l->hosts[h].stub) stub_index[h] = *stub_base + nstub++;
  mb_err e = MB_OK;
  for (uint32_t i = 0; i < l->ninst && !e; i++) {
    mb_link_inst *in = &l->inst[i];
    const mb_module *m = in->m;
    if ((e = alloc_maps(f, in))) break;
    for (uint32_t t = 0; t < m->ntypes && !e; t++) e = add_type(f, &m->types[t], &in->map[MB_SPACE_TYPE][t]);
    uint32_t seen[MB_KIND_COUNT] = {0};
    for (uint32_t k = 0; k < m->nimports; k++) {
      mb_kind kind = m->imports[k].kind;
      const mb_target *t = &in->res[k];
      uint32_t to;
      if (t->inst >= 0) to = bases[t->inst][kind] + (t->index - l->inst[t->inst].m->nimported[kind]);
      else if (t->inst == MB_TARGET_GEN) to = *stub_base + nstub + t->index;
      else if (l->hosts[t->host].stub) to = stub_index[t->host];
      else to = f->host_slot[t->host];
      in->map[kind_space[kind]][seen[kind]++] = to;
    }
    for (int k = 0; k < MB_KIND_COUNT; k++)
      for (uint32_t d = 0; d < defined_count(m, (mb_kind)k); d++)
        in->map[kind_space[k]][m->nimported[k] + d] = bases[i][k] + d;
  }
  /* Segments are numbered in dependency order: the output applies active segments in
   * index order, and a provider's must land before its consumers' (as when each
   * instance is instantiated in turn), e.g. overlapping data in a shared memory. */
  for (uint32_t k = 0; k < l->ninst && !e; k++) {
    mb_link_inst *in = &l->inst[l->order[k]];
    for (uint32_t s = 0; s < in->m->nelems; s++) in->map[MB_SPACE_ELEM][s] = elem++;
    for (uint32_t s = 0; s < in->m->ndatas; s++) in->map[MB_SPACE_DATA][s] = data++;
  }
  mb__free(bases);
  mb__free(stub_index);
  return e;
}

static mb_remap remap_of(const mb_link_inst *in) {
  mb_remap r;
  for (int s = 0; s < MB_SPACE_COUNT; s++) {
    r.map[s] = in->map[s];
    r.count[s] = in->count[s];
  }
  return r;
}

static mb_err keep_buf(fuse *f, mb_bytes *dst) {
  if (f->body.failed) return nomem(f);
  uint8_t *p = mb__arena_alloc(f->out->arena, f->body.len);
  if (!p) return nomem(f);
  memcpy(p, f->body.data, f->body.len);
  dst->ptr = p;
  dst->len = (uint32_t)f->body.len;
  return MB_OK;
}

static mb_err rewrite_const(fuse *f, const mb_link_inst *in, const mb_remap *r, mb_bytes *expr) {
  if (!expr->len) return MB_OK;
  f->body.len = 0;
  mb_err e = mb_const_expr_rewrite(expr->ptr, expr->len, 0, r, &f->body, f->diag);
  if (e) {
    size_t n = strlen(f->diag->message);
    snprintf(f->diag->message + n, sizeof f->diag->message - n, " (instance '%s')", in->name);
    return e;
  }
  return keep_buf(f, expr);
}

/* The instance's maps, copied into the output's arena: its bodies are renumbered
 * through them when the output is written, after the link itself is gone. */
static const mb_remap *remap_in_output(fuse *f, const mb_link_inst *in) {
  mb_remap *r = mb__arena_alloc(f->out->arena, sizeof *r);
  if (!r) return NULL;
  for (int s = 0; s < MB_SPACE_COUNT; s++) {
    r->count[s] = in->count[s];
    r->map[s] = NULL;
    if (!in->map[s] || !in->count[s]) continue;
    uint32_t *map = mb__arena_alloc(f->out->arena, (size_t)in->count[s] * sizeof *map);
    if (!map) return NULL;
    memcpy(map, in->map[s], (size_t)in->count[s] * sizeof *map);
    r->map[s] = map;
  }
  return r;
}

/* Append instance in's definitions (already counted) to the output arrays. The bodies
 * stay the input's bytes, renumbered as they are written: a large module's code is not
 * held a second time (the reader has already checked them). */
static mb_err copy_definitions(fuse *f, mb_link_inst *in) {
  const mb_module *m = in->m;
  mb_module *o = f->out;
  mb_remap r = remap_of(in);
  mb_err e = MB_OK;
  const mb_remap *body_remap = m->nfuncs ? remap_in_output(f, in) : NULL;
  if (m->nfuncs && !body_remap) return nomem(f);
  for (uint32_t i = 0; i < m->nfuncs; i++) {
    o->func_types[o->nfuncs++] = in->map[MB_SPACE_TYPE][m->func_types[i]];
    o->codes[o->ncodes++] = (mb_code){m->codes[i].body, m->codes[i].offset, body_remap};
  }
  for (uint32_t i = 0; i < m->ntables && !e; i++) {
    mb_table *t = &o->tables[o->ntables++];
    *t = m->tables[i];
    e = rewrite_const(f, in, &r, &t->init);
  }
  for (uint32_t i = 0; i < m->nmemories; i++) o->memories[o->nmemories++] = m->memories[i];
  for (uint32_t i = 0; i < m->nglobals && !e; i++) {
    mb_global *g = &o->globals[o->nglobals++];
    *g = m->globals[i];
    e = rewrite_const(f, in, &r, &g->init);
  }
  for (uint32_t i = 0; i < m->ntags; i++)
    o->tag_types[o->ntags++] = in->map[MB_SPACE_TYPE][m->tag_types[i]];
  for (uint32_t i = 0; i < m->nelems && !e; i++) {
    mb_elem *s = &o->elems[in->map[MB_SPACE_ELEM][i]];
    o->nelems++;
    *s = m->elems[i];
    if (s->mode == MB_SEG_ACTIVE) {
      s->table = in->map[MB_SPACE_TABLE][s->table];
      if ((e = rewrite_const(f, in, &r, &s->offset))) break;
    }
    if (s->exprs) {
      s->items = arr(f, s->count, sizeof *s->items);
      if (!s->items) return nomem(f);
      for (uint32_t k = 0; k < s->count && !e; k++) {
        s->items[k] = m->elems[i].items[k];
        e = rewrite_const(f, in, &r, &s->items[k]);
      }
    } else {
      s->funcs = arr(f, s->count, sizeof *s->funcs);
      if (!s->funcs) return nomem(f);
      for (uint32_t k = 0; k < s->count; k++) s->funcs[k] = in->map[MB_SPACE_FUNC][m->elems[i].funcs[k]];
    }
  }
  for (uint32_t i = 0; i < m->ndatas && !e; i++) {
    mb_data *d = &o->datas[in->map[MB_SPACE_DATA][i]];
    o->ndatas++;
    *d = m->datas[i];
    if (d->mode == MB_SEG_ACTIVE) {
      d->memory = in->map[MB_SPACE_MEMORY][d->memory];
      e = rewrite_const(f, in, &r, &d->offset);
    }
  }
  return e;
}

/* Constant expressions may read only imported globals (Wasm 2.0; wabt 1.0.32 rejects
 * anything else). An instance's imported global that another instance defines is a
 * defined global of the output, so each global.get of a defined global is replaced by
 * that global's initializer: such a global is immutable (as constant expressions
 * require), so its value is always its initializer's. Appends the expression without
 * its final end to out; *changed tells whether anything was replaced. An expression
 * with an instruction this does not know clears *understood and is kept as it is. */
static mb_err inline_globals(fuse *f, mb_bytes expr, unsigned depth, mb_buf *out, bool *changed,
                             bool *understood) {
  const mb_module *o = f->out;
  mb_reader r = {expr.ptr, expr.ptr, expr.ptr + expr.len, 0, NULL};
  if (depth > 64)
    return mb__fail(f->diag, MB_ERR_INVALID_ARG, 0,
                    "global initializers of the instances read each other in a cycle");
  while (r.pos < r.end) {
    const uint8_t *at = r.pos;
    uint8_t op;
    uint32_t u;
    int32_t s32;
    int64_t s64;
    const uint8_t *skip;
    bool bad = mb__byte(&r, &op, "");
    if (bad) break;
    switch (op) {
    case 0x0B: return MB_OK; /* end */
    case 0x23:               /* global.get */
      if ((bad = mb__u32(&r, &u, ""))) break;
      if (u >= o->nimported[MB_KIND_GLOBAL] && u - o->nimported[MB_KIND_GLOBAL] < o->nglobals) {
        mb_err e = inline_globals(f, o->globals[u - o->nimported[MB_KIND_GLOBAL]].init,
                                  depth + 1, out, changed, understood);
        if (e) return e;
        *changed = true;
        continue;
      }
      break;
    case 0x41: bad = mb__s32(&r, &s32, ""); break;
    case 0x42: bad = mb__s64(&r, &s64, ""); break;
    case 0x43: bad = mb__bytes(&r, 4, &skip, ""); break;
    case 0x44: bad = mb__bytes(&r, 8, &skip, ""); break;
    case 0xD0: bad = mb__byte(&r, &op, ""); break; /* ref.null: abstract heap type */
    case 0xD2: bad = mb__u32(&r, &u, ""); break;   /* ref.func */
    case 0x6A: case 0x6B: case 0x6C: case 0x7C: case 0x7D: case 0x7E: break;
    case 0xFD: /* v128.const */
      bad = mb__u32(&r, &u, "") || u != 12 || mb__bytes(&r, 16, &skip, "");
      break;
    default: bad = true;
    }
    if (bad) break;
    mb_buf_append(out, at, (size_t)(r.pos - at));
  }
  *understood = false;
  return MB_OK;
}

static mb_err inline_const(fuse *f, mb_bytes *expr) {
  if (!expr->len) return MB_OK;
  mb_buf b;
  mb_buf_init(&b);
  bool changed = false, understood = true;
  mb_err e = inline_globals(f, *expr, 0, &b, &changed, &understood);
  mb_buf_byte(&b, 0x0B);
  if (!e && changed && understood && !b.failed) {
    uint8_t *p = mb__arena_alloc(f->out->arena, b.len);
    if (!p) e = nomem(f);
    else {
      memcpy(p, b.data, b.len);
      *expr = (mb_bytes){p, (uint32_t)b.len};
    }
  } else if (!e && b.failed) {
    e = nomem(f);
  }
  mb_buf_fini(&b);
  return e;
}

static mb_err inline_all_consts(fuse *f) {
  mb_module *o = f->out;
  mb_err e = MB_OK;
  for (uint32_t i = 0; i < o->nglobals && !e; i++) e = inline_const(f, &o->globals[i].init);
  for (uint32_t i = 0; i < o->ntables && !e; i++) e = inline_const(f, &o->tables[i].init);
  for (uint32_t i = 0; i < o->nelems && !e; i++) {
    mb_elem *s = &o->elems[i];
    if (s->mode == MB_SEG_ACTIVE) e = inline_const(f, &s->offset);
    for (uint32_t k = 0; s->exprs && k < s->count && !e; k++) e = inline_const(f, &s->items[k]);
  }
  for (uint32_t i = 0; i < o->ndatas && !e; i++)
    if (o->datas[i].mode == MB_SEG_ACTIVE) e = inline_const(f, &o->datas[i].offset);
  return e;
}

/* Name function `index` (arena string) in the name section. */
static mb_err add_name(fuse *f, const char *name, uint32_t index) {
  if (f->ngen == f->gen_cap) {
    uint32_t cap = f->gen_cap ? f->gen_cap * 2 : 8;
    const char **names = mb__realloc(f->gen_names, cap * sizeof *names);
    if (!names) return nomem(f);
    f->gen_names = names;
    uint32_t *funcs = mb__realloc(f->gen_funcs, cap * sizeof *funcs);
    if (!funcs) return nomem(f);
    f->gen_funcs = funcs;
    f->gen_cap = cap;
  }
  f->gen_names[f->ngen] = name;
  f->gen_funcs[f->ngen++] = index;
  return MB_OK;
}

/* A generated function: body from f->body (locals + code + end), name for traces. */
static mb_err add_generated(fuse *f, uint32_t type, const char *name, uint32_t *index) {
  mb_module *o = f->out;
  o->func_types[o->nfuncs] = type;
  mb_code *c = &o->codes[o->ncodes++];
  mb_err e = keep_buf(f, &c->body);
  if (e) return e;
  *index = o->nimported[MB_KIND_FUNC] + o->nfuncs++;
  if (f->ngen == f->gen_cap) {
    uint32_t cap = f->gen_cap ? f->gen_cap * 2 : 8;
    const char **names = mb__realloc(f->gen_names, cap * sizeof *names);
    if (!names) return nomem(f);
    f->gen_names = names;
    uint32_t *funcs = mb__realloc(f->gen_funcs, cap * sizeof *funcs);
    if (!funcs) return nomem(f);
    f->gen_funcs = funcs;
    f->gen_cap = cap;
  }
  char *copy = mb__arena_alloc(o->arena, strlen(name) + 1);
  if (!copy) return nomem(f);
  strcpy(copy, name);
  f->gen_names[f->ngen] = copy;
  f->gen_funcs[f->ngen++] = *index;
  return MB_OK;
}

static mb_err add_stubs(fuse *f) {
  mb_link *l = f->l;
  for (uint32_t h = 0; h < l->nhosts; h++) {
    if (!l->hosts[h].stub) continue;
    const mb_import *im = l->hosts[h].im;
    uint32_t t, idx;
    mb_err e = add_type(f, &l->hosts[h].from->types[im->u.func_type], &t);
    if (e) return e;
    f->body.len = 0;
    mb_buf_append(&f->body, "\x00\x00\x0b", 3); /* no locals; unreachable; end */
    char name[300];
    snprintf(name, sizeof name, "membrane: unresolved import %.*s.%.*s", (int)im->module.len,
             (const char *)im->module.ptr, (int)im->field.len, (const char *)im->field.ptr);
    if ((e = add_generated(f, t, name, &idx))) return e;
  }
  return MB_OK;
}

/* ---- the resource ABI: intrinsics, adapters, registration, teardown ---- */

/* The output index of the glue's export `name`. */
static mb_err glue_export(fuse *f, const char *name, mb_kind kind, uint32_t *out) {
  const mb_link_inst *g = &f->l->inst[f->l->glue];
  int64_t idx = mb__find_export(g->m, name, strlen(name), kind);
  if (idx < 0)
    return mb__fail(f->diag, MB_ERR_INVALID_ARG, 0, "the glue module has no export '%s'", name);
  *out = g->map[kind_space[kind]][idx];
  return MB_OK;
}

/* The value of the glue's exported immutable global `name`, an i32.const (the address
 * of a data symbol wasm-ld exported). */
static mb_err glue_const_global(fuse *f, const char *name, uint32_t *out) {
  const mb_module *m = f->l->inst[f->l->glue].m;
  int64_t idx = mb__find_export(m, name, strlen(name), MB_KIND_GLOBAL);
  uint32_t d = idx < 0 ? UINT32_MAX : (uint32_t)idx - m->nimported[MB_KIND_GLOBAL];
  if (idx >= 0 && (uint32_t)idx >= m->nimported[MB_KIND_GLOBAL] && d < m->nglobals) {
    const mb_bytes *x = &m->globals[d].init;
    /* i32.const, a signed LEB128 of at most 5 bytes, end */
    if (x->len >= 3 && x->ptr[0] == 0x41 && x->ptr[x->len - 1] == 0x0B && x->len <= 7) {
      uint32_t v = 0, shift = 0, i = 1;
      for (; i < x->len - 1; i++, shift += 7) v |= (uint32_t)(x->ptr[i] & 0x7F) << shift;
      if (!(x->ptr[x->len - 2] & 0xC0)) { /* last byte, non-negative */
        *out = v;
        return MB_OK;
      }
    }
  }
  return mb__fail(f->diag, MB_ERR_INVALID_ARG, 0,
                  "the glue module has no constant global export '%s'", name);
}

static void op_i32(mb_buf *b, int32_t v) {
  mb_buf_byte(b, 0x41);
  mb_buf_s32(b, v);
}
static void op_call(mb_buf *b, uint32_t fn) {
  mb_buf_byte(b, 0x10);
  mb_buf_u32(b, fn);
}
static void op_local(mb_buf *b, uint8_t op, uint32_t i) {
  mb_buf_byte(b, op);
  mb_buf_u32(b, i);
}

static const char *const intrinsic_glue[] = {
    [MB_GEN_RES_NEW] = "mb_resource_new",   [MB_GEN_RES_REP] = "mb_resource_rep",
    [MB_GEN_RES_DROP] = "mb_resource_drop", [MB_GEN_RES_DUP] = "mb_resource_dup",
    [MB_GEN_RES_DESTROY] = "mb_resource_destroy",
};

static void op_mem(mb_buf *b, uint8_t op, uint32_t align, uint32_t mem, uint32_t offset) {
  mb_buf_byte(b, op);
  if (mem) {
    mb_buf_u32(b, align | 0x40);
    mb_buf_u32(b, mem);
  } else {
    mb_buf_u32(b, align);
  }
  mb_buf_u32(b, offset);
}

/* Bytes of a string or list of `len` (a local) elements, on the stack; traps in
 * `trap` when the size does not fit in 32 bits (the canonical ABI's bounds check). */
static void op_list_bytes(mb_buf *b, const mb_wit_type *t, uint32_t len, uint32_t trap) {
  uint32_t size = t->kind == MB_WIT_STRING ? 1 : t->elem->size;
  if (size > 1) {
    op_local(b, 0x20, len);
    op_i32(b, (int32_t)(UINT32_MAX / size));
    mb_buf_byte(b, 0x4B); /* i32.gt_u */
    mb_buf_append(b, "\x04\x40", 2);
    op_call(b, trap);
    mb_buf_byte(b, 0x0B);
  }
  op_local(b, 0x20, len);
  if (size > 1) {
    op_i32(b, (int32_t)size);
    mb_buf_byte(b, 0x6C); /* i32.mul */
  }
}

static uint32_t list_align(const mb_wit_type *t) {
  return t->kind == MB_WIT_STRING ? 1 : t->elem->align;
}

/* Handle parameters of one fused glue call (virt/glue.c, MB_GLUE_ARGS_MAX). */
#define MB_FUSED_ARGS_MAX 16

static bool has_stuff_t(const mb_wit_type *t) {
  return t && (t->has_own || t->has_borrow || t->has_lists);
}

/* ---- adapters ----
 * A value crossing from one instance to the other is rewritten where it lies: flat
 * parameters in their locals, values in memory (a list's elements, a result returned in
 * memory) at their address in the destination memory after their bytes were copied
 * there. own<R> moves between the tables, borrow<R> is lent in the call's scope, a string
 * or list is copied into memory from the destination's cabi_realloc (its elements then
 * rewritten in turn), a variant's payload only when its case is the active one. */

/* One direction of a crossing. */
typedef struct adir {
  int32_t from, to;          /* runtime instance ids (link indices) */
  uint32_t src_mem, dst_mem; /* output memory indices */
  uint32_t realloc_fn;       /* the destination's cabi_realloc (output index) */
} adir;

typedef struct actx {
  fuse *f;
  const mb_gen *g;
  mb_buf *b;
  uint32_t first_extra, nextra; /* i32 locals after the parameters */
  uint32_t scope;               /* local: the call scope (borrows) */
  uint32_t own_move, lend;      /* glue functions */
  const mb__fast *fast;         /* non-NULL: op_handle writes the common case inline */
} actx;

static uint32_t new_local(actx *a) { return a->first_extra + a->nextra++; }

/* A flat position the adapter reads or rewrites holds an i32 value, but in a variant's
 * payload the canonical ABI may have widened it to i64 (joined with another case's i64):
 * the parameter's actual core type says which. */
static bool local_is_i64(const actx *a, uint32_t y) {
  return y < a->first_extra && a->g->ft->params[y] == MB_WIT_CORE_I64;
}
static void op_get_i32(actx *a, uint32_t y) {
  op_local(a->b, 0x20, y);
  if (local_is_i64(a, y)) mb_buf_byte(a->b, 0xA7); /* i32.wrap_i64 */
}
static void op_set_i32(actx *a, uint32_t y) {
  if (local_is_i64(a, y)) mb_buf_byte(a->b, 0xAD); /* i64.extend_i32_u */
  op_local(a->b, 0x21, y);
}
/* An i32 copy of position y (itself when it is an i32). */
static uint32_t as_i32_local(actx *a, uint32_t y) {
  if (!local_is_i64(a, y)) return y;
  uint32_t t = new_local(a);
  op_get_i32(a, y);
  op_local(a->b, 0x21, t);
  return t;
}

static uint32_t type_id(const actx *a, const mb_wit_type *res) {
  for (uint32_t k = 0; k < a->g->nres; k++)
    if (a->g->res_keys[k] == res) return a->g->res_ids[k];
  return UINT32_MAX; /* link_res.c registered every one */
}

/* Push the counterpart on the other side of the handle in value_local. */
static void op_handle(actx *a, const mb_wit_type *t, const adir *d, uint32_t value_local) {
  mb_buf *b = a->b;
  if (a->fast) { /* the glue's state is reloaded each time: calls out may have moved it */
    uint32_t out = new_local(a), type = type_id(a, t->elem);
    mb__fast_phase(a->fast, (uint32_t)d->from, (uint32_t)d->to);
    if (t->kind == MB_WIT_OWN)
      mb__fast_move(a->fast, (uint32_t)d->from, (uint32_t)d->to, type, value_local, out);
    else
      mb__fast_lend(a->fast, (uint32_t)d->from, (uint32_t)d->to, type,
                    a->f->l->rtypes[type].definer == d->to, value_local, a->scope, out);
    op_local(b, 0x20, out);
  } else if (t->kind == MB_WIT_OWN) {
    op_i32(b, d->from);
    op_i32(b, (int32_t)type_id(a, t->elem));
    op_local(b, 0x20, value_local);
    op_i32(b, d->to);
    op_call(b, a->own_move);
  } else {
    op_local(b, 0x20, a->scope);
    op_i32(b, (int32_t)type_id(a, t->elem));
    op_local(b, 0x20, value_local);
    op_call(b, a->lend);
  }
}

static void emit_mem(actx *a, const mb_wit_type *t, const adir *d, uint32_t addr, uint32_t off);

/* A string or list (pointer, length in locals ptr, len, in the source memory): a copy in
 * the destination memory, its elements rewritten; leaves the new pointer in local `out`. */
static void emit_list_copy(actx *a, const mb_wit_type *t, const adir *d, uint32_t ptr,
                           uint32_t len, uint32_t out) {
  mb_buf *b = a->b;
  op_i32(b, 0);
  op_i32(b, 0);
  op_i32(b, (int32_t)list_align(t));
  op_list_bytes(b, t, len, a->f->list_trap);
  op_call(b, d->realloc_fn);
  op_local(b, 0x21, out);
  op_local(b, 0x20, out);
  op_local(b, 0x20, ptr);
  op_list_bytes(b, t, len, a->f->list_trap);
  mb_buf_append(b, "\xfc\x0a", 2);
  mb_buf_u32(b, d->dst_mem);
  mb_buf_u32(b, d->src_mem);
  if (t->kind == MB_WIT_LIST && has_stuff_t(t->elem)) {
    uint32_t i = new_local(a), e = new_local(a);
    op_i32(b, 0);
    op_local(b, 0x21, i);
    mb_buf_append(b, "\x02\x40\x03\x40", 4); /* block loop */
    op_local(b, 0x20, i);
    op_local(b, 0x20, len);
    mb_buf_byte(b, 0x4F); /* i32.ge_u */
    mb_buf_append(b, "\x0d\x01", 2); /* br_if 1 */
    op_local(b, 0x20, out);
    op_local(b, 0x20, i);
    op_i32(b, (int32_t)t->elem->size);
    mb_buf_byte(b, 0x6C);
    mb_buf_byte(b, 0x6A); /* i32.add */
    op_local(b, 0x21, e);
    emit_mem(a, t->elem, d, e, 0);
    op_local(b, 0x20, i);
    op_i32(b, 1);
    mb_buf_byte(b, 0x6A);
    op_local(b, 0x21, i);
    mb_buf_append(b, "\x0c\x00\x0b\x0b", 4); /* br 0 end end */
  }
}

/* The cases of a variant-like type: payload of case c (NULL: none). */
static uint32_t ncases(const mb_wit_type *t) {
  return t->kind == MB_WIT_OPTION || t->kind == MB_WIT_RESULT ? 2 : t->nfields;
}
static const mb_wit_type *case_payload(const mb_wit_type *t, uint32_t c) {
  if (t->kind == MB_WIT_OPTION) return c == 1 ? t->elem : NULL;
  if (t->kind == MB_WIT_RESULT) return c == 0 ? t->elem : t->err;
  return t->fields[c].type;
}

/* A value at addr + off in the destination memory (its bytes already copied there). */
static void emit_mem(actx *a, const mb_wit_type *t, const adir *d, uint32_t addr, uint32_t off) {
  mb_buf *b = a->b;
  if (!has_stuff_t(t)) return;
  switch (t->kind) {
  case MB_WIT_OWN:
  case MB_WIT_BORROW: {
    uint32_t v = new_local(a);
    op_local(b, 0x20, addr);
    op_mem(b, 0x28, 2, d->dst_mem, off);
    op_local(b, 0x21, v);
    op_local(b, 0x20, addr);
    op_handle(a, t, d, v);
    op_mem(b, 0x36, 2, d->dst_mem, off);
    break;
  }
  case MB_WIT_STRING:
  case MB_WIT_LIST: {
    uint32_t ptr = new_local(a), len = new_local(a), out = new_local(a);
    op_local(b, 0x20, addr);
    op_mem(b, 0x28, 2, d->dst_mem, off);
    op_local(b, 0x21, ptr);
    op_local(b, 0x20, addr);
    op_mem(b, 0x28, 2, d->dst_mem, off + 4);
    op_local(b, 0x21, len);
    emit_list_copy(a, t, d, ptr, len, out);
    op_local(b, 0x20, addr);
    op_local(b, 0x20, out);
    op_mem(b, 0x36, 2, d->dst_mem, off);
    break;
  }
  case MB_WIT_RECORD:
  case MB_WIT_TUPLE:
    for (uint32_t i = 0; i < t->nfields; i++) emit_mem(a, t->fields[i].type, d, addr, off + t->fields[i].offset);
    break;
  case MB_WIT_OPTION:
  case MB_WIT_RESULT:
  case MB_WIT_VARIANT: {
    uint32_t disc = new_local(a);
    op_local(b, 0x20, addr);
    op_mem(b, t->disc_size == 1 ? 0x2D : t->disc_size == 2 ? 0x2F : 0x28,
           t->disc_size == 1 ? 0 : t->disc_size == 2 ? 1 : 2, d->dst_mem, off);
    op_local(b, 0x21, disc);
    for (uint32_t c = 0; c < ncases(t); c++) {
      const mb_wit_type *p = case_payload(t, c);
      if (!has_stuff_t(p)) continue;
      op_local(b, 0x20, disc);
      op_i32(b, (int32_t)c);
      mb_buf_byte(b, 0x46);
      mb_buf_append(b, "\x04\x40", 2);
      emit_mem(a, p, d, addr, off + t->payload_offset);
      mb_buf_byte(b, 0x0B);
    }
    break;
  }
  default: break;
  }
}

/* A flat value in locals x.. (a parameter, or a one-value result), rewritten in place.
 * `disc` >= 0: inside the payload of a variant whose discriminant was already tested. */
static void emit_flat(actx *a, const mb_wit_type *t, const adir *d, uint32_t x) {
  mb_buf *b = a->b;
  if (!has_stuff_t(t)) return;
  switch (t->kind) {
  case MB_WIT_OWN:
  case MB_WIT_BORROW:
    op_handle(a, t, d, as_i32_local(a, x));
    op_set_i32(a, x);
    break;
  case MB_WIT_STRING:
  case MB_WIT_LIST: {
    uint32_t out = new_local(a);
    emit_list_copy(a, t, d, as_i32_local(a, x), as_i32_local(a, x + 1), out);
    op_local(b, 0x20, out);
    op_set_i32(a, x);
    break;
  }
  case MB_WIT_RECORD:
  case MB_WIT_TUPLE:
    for (uint32_t i = 0, pos = x; i < t->nfields; pos += t->fields[i++].type->nflat)
      emit_flat(a, t->fields[i].type, d, pos);
    break;
  case MB_WIT_OPTION:
  case MB_WIT_RESULT:
  case MB_WIT_VARIANT:
    for (uint32_t c = 0; c < ncases(t); c++) {
      const mb_wit_type *p = case_payload(t, c);
      if (!has_stuff_t(p)) continue;
      op_get_i32(a, x);
      op_i32(b, (int32_t)c);
      mb_buf_byte(b, 0x46);
      mb_buf_append(b, "\x04\x40", 2);
      emit_flat(a, p, d, x + 1);
      mb_buf_byte(b, 0x0B);
    }
    break;
  default: break;
  }
}

/* The adapter of g: parameters rewritten caller -> callee, the call (with the caller
 * global of a provider granted caller-memory access), the result rewritten callee ->
 * caller (into the caller's return area when the canonical ABI returns it in memory,
 * then cabi_post_), and the end-of-call check when borrows were lent. */
static mb_err adapter_body(fuse *f, const mb_gen *g) {
  mb_link *l = f->l;
  const mb_wit_func *fn = g->func;
  const mb_link_inst *cin = &l->inst[g->inst], *pin = &l->inst[g->callee];
  uint32_t begin = 0, end = 0, np = g->ft->nparams;
  actx a = {.f = f, .g = g, .first_extra = np};
  mb_err e;
  if (fn->has_handles &&
      ((e = glue_export(f, "mb_own_move", MB_KIND_FUNC, &a.own_move)) ||
       (e = glue_export(f, "mb_borrow_lend", MB_KIND_FUNC, &a.lend)) ||
       (e = glue_export(f, "mb_call_begin", MB_KIND_FUNC, &begin)) ||
       (e = glue_export(f, "mb_call_end", MB_KIND_FUNC, &end))))
    return e;
  bool borrows = false;
  for (uint32_t q = 0; q < fn->nparams; q++) borrows |= fn->params[q].type->has_borrow;
  mb_wit_core_sig lower;
  mb_wit_func_sig(fn, MB_WIT_LOWER, &lower);
  uint32_t cmem = 0, pmem = 0;
  if (cin->count[MB_SPACE_MEMORY] > g->caller_mem) cmem = cin->map[MB_SPACE_MEMORY][g->caller_mem];
  if (pin->count[MB_SPACE_MEMORY] > g->callee_mem) pmem = pin->map[MB_SPACE_MEMORY][g->callee_mem];
  int32_t caller = g->inst, callee = g->callee;
  adir down = {caller, callee, cmem, pmem,
               g->callee_realloc >= 0 ? pin->map[MB_SPACE_FUNC][g->callee_realloc] : 0};
  adir up = {callee, caller, pmem, cmem,
             g->caller_realloc >= 0 ? cin->map[MB_SPACE_FUNC][g->caller_realloc] : 0};
  a.scope = new_local(&a);
  uint32_t result = new_local(&a), saved = new_local(&a);
  mb_buf code;
  mb_buf_init(&code);
  a.b = &code;
  mb_buf *b = &code;
  /* The fused path (virt/glue.c, mb_call_enter): every handle a top-level flat
   * parameter, nothing else to rewrite in the parameters, and the result nothing to
   * rewrite or an own<R>. Then one glue call moves and lends the parameters, in order,
   * and one moves the result back and closes the scope. */
  uint32_t nfused = 0, enter = 0, leave = 0, args = 0, gmem = 0;
  bool fused = fn->has_handles && !lower.params_in_memory &&
               (!has_stuff_t(fn->result) ||
                (fn->result->kind == MB_WIT_OWN && !lower.result_in_memory));
  for (uint32_t q = 0; q < fn->nparams && fused; q++) {
    const mb_wit_type *t = fn->params[q].type;
    if (t->kind == MB_WIT_OWN || t->kind == MB_WIT_BORROW)
      fused = ++nfused <= MB_FUSED_ARGS_MAX;
    else
      fused = !has_stuff_t(t);
  }
  if (fused && ((e = glue_export(f, "mb_call_enter", MB_KIND_FUNC, &enter)) ||
                (e = glue_export(f, "mb_call_leave", MB_KIND_FUNC, &leave)) ||
                (e = glue_const_global(f, "mb_args", &args)))) {
    mb_buf_fini(&code);
    return e;
  }
  /* Inline (fuse_fast.c): the common case of each handle operation written out in the
   * adapter, calling the glue only off it. Instance and type ids become memarg offsets,
   * so they must be small (they always are but for a pathological link). */
  mb__fast fc = {.b = b, .own_move = a.own_move, .lend = a.lend, .begin = begin, .end = end};
  bool fast = fn->has_handles && (uint32_t)caller < MB__FAST_MAX_ID &&
              (uint32_t)callee < MB__FAST_MAX_ID;
  for (uint32_t k = 0; k < g->nres && fast; k++) fast = g->res_ids[k] < MB__FAST_MAX_ID;
  if ((fused || fast) && (e = glue_export(f, "memory", MB_KIND_MEMORY, &gmem))) {
    mb_buf_fini(&code);
    return e;
  }
  fc.mem = gmem;
  if (fast && (e = glue_const_global(f, "mb_rt_store", &fc.rt))) {
    mb_buf_fini(&code);
    return e;
  }
  if (fast) {
    fc.tmp = new_local(&a);
    for (uint32_t k = 1; k < MB__FAST_TEMPS; k++) new_local(&a);
    a.fast = &fc; /* for handles anywhere else: records, variants, lists, results */
  }
  bool inl = fused && fast;
  if (inl) {
    mb__fast_phase(&fc, caller, callee);
    if (borrows) mb__fast_begin(&fc, caller, callee, a.scope);
    for (uint32_t q = 0, x = 0; q < fn->nparams; x += fn->params[q++].type->nflat) {
      const mb_wit_type *t = fn->params[q].type;
      if (t->kind == MB_WIT_OWN)
        mb__fast_move(&fc, caller, callee, type_id(&a, t->elem), x, x);
      else if (t->kind == MB_WIT_BORROW)
        mb__fast_lend(&fc, caller, callee, type_id(&a, t->elem),
                      l->rtypes[type_id(&a, t->elem)].definer == callee, x, a.scope, x);
    }
  } else if (fused && nfused) {
    for (uint32_t q = 0, x = 0, k = 0; q < fn->nparams; x += fn->params[q++].type->nflat) {
      const mb_wit_type *t = fn->params[q].type;
      if (t->kind != MB_WIT_OWN && t->kind != MB_WIT_BORROW) continue;
      op_i32(b, 0);
      op_local(b, 0x20, x);
      op_mem(b, 0x36, 2, gmem, args + 8 * k);
      op_i32(b, 0);
      op_i32(b, (int32_t)(type_id(&a, t->elem) << 1 | (t->kind == MB_WIT_BORROW)));
      op_mem(b, 0x36, 2, gmem, args + 8 * k + 4);
      k++;
    }
    op_i32(b, caller);
    op_i32(b, callee);
    op_i32(b, (int32_t)nfused);
    op_call(b, enter);
    op_local(b, 0x21, a.scope);
    for (uint32_t q = 0, x = 0, k = 0; q < fn->nparams; x += fn->params[q++].type->nflat) {
      const mb_wit_type *t = fn->params[q].type;
      if (t->kind != MB_WIT_OWN && t->kind != MB_WIT_BORROW) continue;
      op_i32(b, 0);
      op_mem(b, 0x28, 2, gmem, args + 8 * k);
      op_local(b, 0x21, x);
      k++;
    }
  } else if (borrows && fast) {
    mb__fast_phase(&fc, caller, callee);
    mb__fast_begin(&fc, caller, callee, a.scope);
  } else if (borrows) {
    op_i32(b, caller);
    op_i32(b, callee);
    op_call(b, begin);
    op_local(b, 0x21, a.scope);
  }
  if (fused) {
    /* the parameters are done */
  } else if (lower.params_in_memory) {
    /* local 0 points to the parameters as a tuple in the caller's memory: a copy in the
     * callee's, each parameter rewritten where it lies */
    uint32_t copy = new_local(&a);
    op_i32(b, 0);
    op_i32(b, 0);
    op_i32(b, (int32_t)fn->params_align);
    op_i32(b, (int32_t)fn->params_size);
    op_call(b, down.realloc_fn);
    op_local(b, 0x21, copy);
    op_local(b, 0x20, copy);
    op_local(b, 0x20, 0);
    op_i32(b, (int32_t)fn->params_size);
    mb_buf_append(b, "\xfc\x0a", 2);
    mb_buf_u32(b, down.dst_mem);
    mb_buf_u32(b, down.src_mem);
    uint64_t off = 0;
    for (uint32_t q = 0; q < fn->nparams; q++) {
      const mb_wit_type *t = fn->params[q].type;
      off = (off + t->align - 1) / t->align * t->align;
      emit_mem(&a, t, &down, copy, (uint32_t)off);
      off += t->size;
    }
    op_local(b, 0x20, copy);
    op_local(b, 0x21, 0);
  } else {
    for (uint32_t q = 0, x = 0; q < fn->nparams; x += fn->params[q++].type->nflat)
      emit_flat(&a, fn->params[q].type, &down, x);
  }
  /* the callee's arguments: the caller's, less the return pointer of a result in memory */
  for (uint32_t i = 0; i < np - (lower.result_in_memory ? 1u : 0u); i++) op_local(b, 0x20, i);
  if (pin->caller_memory) {
    op_local(b, 0x23, pin->caller_global); /* global.get */
    op_local(b, 0x21, saved);
    op_i32(b, caller);
    op_local(b, 0x24, pin->caller_global); /* global.set */
  }
  op_call(b, pin->map[MB_SPACE_FUNC][g->callee_func]);
  if (pin->caller_memory) {
    op_local(b, 0x20, saved);
    op_local(b, 0x24, pin->caller_global);
  }
  const mb_wit_type *rt = fn->result;
  if (rt && lower.result_in_memory) {
    uint32_t retptr = np - 1;
    op_local(b, 0x21, result);
    op_local(b, 0x20, retptr);
    op_local(b, 0x20, result);
    op_i32(b, (int32_t)rt->size);
    mb_buf_append(b, "\xfc\x0a", 2);
    mb_buf_u32(b, cmem);
    mb_buf_u32(b, pmem);
    emit_mem(&a, rt, &up, retptr, 0);
    if (g->callee_post >= 0) {
      op_local(b, 0x20, result);
      op_call(b, pin->map[MB_SPACE_FUNC][g->callee_post]);
    }
  } else if (inl && rt && has_stuff_t(rt)) {
    op_local(b, 0x21, result);
    mb__fast_phase(&fc, caller, callee);
    mb__fast_move(&fc, callee, caller, type_id(&a, rt->elem), result, result);
    if (borrows) mb__fast_end(&fc, a.scope);
    op_local(b, 0x20, result);
    borrows = false;
  } else if (fused && rt && has_stuff_t(rt)) {
    /* own<R> back, then the scope closed (a.scope is 0 without borrows) */
    op_local(b, 0x21, result);
    op_local(b, 0x20, a.scope);
    op_i32(b, callee);
    op_i32(b, (int32_t)type_id(&a, rt->elem));
    op_local(b, 0x20, result);
    op_i32(b, caller);
    op_call(b, leave);
    borrows = false;
  } else if (rt && has_stuff_t(rt)) {
    op_local(b, 0x21, result);
    emit_flat(&a, rt, &up, result);
    op_local(b, 0x20, result);
  }
  if (borrows && fast) {
    mb__fast_phase(&fc, caller, callee);
    mb__fast_end(&fc, a.scope);
  } else if (borrows) {
    op_local(b, 0x20, a.scope);
    op_call(b, end);
  }
  mb_buf_byte(b, 0x0B);
  mb_buf *body = &f->body;
  body->len = 0;
  mb_buf_byte(body, 1);
  mb_buf_u32(body, a.nextra);
  mb_buf_byte(body, 0x7F);
  mb_buf_append(body, code.data, code.len);
  e = code.failed ? nomem(f) : MB_OK;
  mb_buf_fini(&code);
  return e;
}

/* A call into a provider with caller-memory access: its caller global says who calls
 * for the duration of the call (saved and restored, so nested calls unwind right). */
static void call_as_body(fuse *f, const mb_gen *g) {
  const mb_link_inst *pin = &f->l->inst[g->callee];
  uint32_t np = g->ft->nparams, glob = pin->caller_global;
  mb_buf *b = &f->body;
  b->len = 0;
  mb_buf_append(b, "\x01\x01\x7f", 3);
  op_local(b, 0x23, glob);
  op_local(b, 0x21, np);
  op_i32(b, g->inst);
  op_local(b, 0x24, glob);
  for (uint32_t i = 0; i < np; i++) op_local(b, 0x20, i);
  op_call(b, pin->map[MB_SPACE_FUNC][g->callee_func]);
  op_local(b, 0x20, np);
  op_local(b, 0x24, glob);
  mb_buf_byte(b, 0x0B);
}

/* membrane:caller.read/write/size in provider g->inst: one branch per instance that
 * calls it through a wired import, each one memory.copy (or memory.size) between the
 * two memories; no caller: the trap function `no_caller`. */
static mb_err caller_body(fuse *f, const mb_gen *g, uint32_t no_caller) {
  mb_link *l = f->l;
  const mb_link_inst *pin = &l->inst[g->inst];
  int64_t pm = mb__find_export(pin->m, "memory", 6, MB_KIND_MEMORY);
  if (pm < 0) pm = 0;
  if (pin->count[MB_SPACE_MEMORY] == 0)
    return mb__fail(f->diag, MB_ERR_INVALID_ARG, 0,
                    "instance '%s' imports membrane:caller but has no memory", pin->name);
  uint32_t pmem = pin->map[MB_SPACE_MEMORY][pm];
  mb_buf *b = &f->body;
  b->len = 0;
  mb_buf_byte(b, 0);
  for (uint32_t c = 0; c < l->ninst; c++) {
    const mb_link_inst *cin = &l->inst[c];
    bool calls = false;
    for (uint32_t k = 0; k < l->ngens && !calls; k++)
      calls = (l->gens[k].kind == MB_GEN_CALL_AS || l->gens[k].kind == MB_GEN_ADAPTER) &&
              l->gens[k].inst == (int)c && l->gens[k].callee == g->inst;
    if (!calls || cin->count[MB_SPACE_MEMORY] == 0) continue;
    int64_t cm = mb__find_export(cin->m, "memory", 6, MB_KIND_MEMORY);
    uint32_t cmem = cin->map[MB_SPACE_MEMORY][cm < 0 ? 0 : cm];
    op_local(b, 0x23, pin->caller_global);
    op_i32(b, (int32_t)c);
    mb_buf_byte(b, 0x46); /* i32.eq */
    mb_buf_append(b, "\x04\x40", 2);
    if (g->kind == MB_GEN_CALLER_SIZE) {
      mb_buf_byte(b, 0x3F);
      mb_buf_u32(b, cmem);
    } else {
      for (uint32_t i = 0; i < 3; i++) op_local(b, 0x20, i);
      mb_buf_append(b, "\xfc\x0a", 2);
      mb_buf_u32(b, g->kind == MB_GEN_CALLER_READ ? pmem : cmem);
      mb_buf_u32(b, g->kind == MB_GEN_CALLER_READ ? cmem : pmem);
    }
    mb_buf_byte(b, 0x0F); /* return */
    mb_buf_byte(b, 0x0B);
  }
  op_call(b, no_caller);
  if (g->kind == MB_GEN_CALLER_SIZE) op_i32(b, 0); /* unreachable after the call: types */
  mb_buf_byte(b, 0x0B);
  return MB_OK;
}

/* Every instance but the glue torn down, consumers first (reverse dependency order), so
 * each instance's handles are dropped and destructors run while their definers live. */
static void op_teardowns(const mb_link *l, mb_buf *b, uint32_t teardown) {
  for (uint32_t k = l->ninst; k-- > 0;) {
    int i = l->order[k];
    if (i == l->glue) continue;
    op_i32(b, i);
    op_call(b, teardown);
  }
}

/* WASI proc_exit(code) with the resource ABI: the calls it exits from never return, so
 * their scopes are closed first (mb_unwind); then every instance is torn down, as at the
 * end of _start, and the host's proc_exit gets the code. */
static mb_err exit_body(fuse *f, const mb_gen *g) {
  uint32_t unwind, teardown;
  mb_err e;
  if ((e = glue_export(f, "mb_unwind", MB_KIND_FUNC, &unwind)) ||
      (e = glue_export(f, "mb_teardown", MB_KIND_FUNC, &teardown)))
    return e;
  mb_buf *b = &f->body;
  b->len = 0;
  mb_buf_byte(b, 0);
  op_call(b, unwind);
  op_teardowns(f->l, b, teardown);
  op_local(b, 0x20, 0);
  op_call(b, f->host_slot[g->host]);
  mb_buf_byte(b, 0x0B);
  return MB_OK;
}

/* Generated functions for the imports link_res.c recorded, numbered right after the
 * stubs, in order; then the trap functions of membrane:caller and of the adapters. */
static mb_err add_gens(fuse *f) {
  mb_link *l = f->l;
  /* after the generated functions: the trap functions they call, when any does */
  bool any_caller = false, any_adapter = false;
  for (uint32_t k = 0; k < l->ngens; k++) {
    any_caller |= l->gens[k].kind >= MB_GEN_CALLER_READ && l->gens[k].kind <= MB_GEN_CALLER_SIZE;
    any_adapter |= l->gens[k].kind == MB_GEN_ADAPTER;
  }
  uint32_t no_caller = f->out->nimported[MB_KIND_FUNC] + f->out->nfuncs + l->ngens;
  f->list_trap = no_caller + any_caller;
  for (uint32_t k = 0; k < l->ngens; k++) {
    const mb_gen *g = &l->gens[k];
    uint32_t t, idx, fn;
    mb_err e = add_type(f, g->ft, &t);
    if (e) return e;
    if (g->kind == MB_GEN_ADAPTER) {
      if ((e = adapter_body(f, g))) return e;
    } else if (g->kind == MB_GEN_CALL_AS) {
      call_as_body(f, g);
    } else if (g->kind == MB_GEN_EXIT) {
      if ((e = exit_body(f, g))) return e;
    } else if (g->kind == MB_GEN_CALLER_ID) {
      /* who calls: tells the callers apart (wasi-virt keeps a descriptor table each) */
      f->body.len = 0;
      mb_buf_byte(&f->body, 0);
      op_local(&f->body, 0x23, l->inst[g->inst].caller_global);
      mb_buf_byte(&f->body, 0x0B);
    } else if (g->kind >= MB_GEN_CALLER_READ && g->kind <= MB_GEN_CALLER_SIZE) {
      if ((e = caller_body(f, g, no_caller))) return e;
    } else {
      if ((e = glue_export(f, intrinsic_glue[g->kind], MB_KIND_FUNC, &fn))) return e;
      f->body.len = 0;
      mb_buf_byte(&f->body, 0);
      op_i32(&f->body, g->inst);
      op_i32(&f->body, (int32_t)g->type);
      op_local(&f->body, 0x20, 0);
      op_call(&f->body, fn);
      mb_buf_byte(&f->body, 0x0B);
    }
    if ((e = add_generated(f, t, g->name, &idx))) return e;
  }
  if (any_caller) {
    uint32_t t, idx;
    mb_err e = add_type(f, &void_type, &t);
    if (e) return e;
    f->body.len = 0;
    mb_buf_append(&f->body, "\x00\x00\x0b", 3);
    if ((e = add_generated(f, t, "membrane: no calling instance", &idx))) return e;
  }
  if (any_adapter) {
    uint32_t t, idx;
    mb_err e = add_type(f, &void_type, &t);
    if (e) return e;
    f->body.len = 0;
    mb_buf_append(&f->body, "\x00\x00\x0b", 3);
    if ((e = add_generated(f, t, "membrane: list too long to copy", &idx))) return e;
    if (idx != f->list_trap) return mb__fail(f->diag, MB_ERR_INVALID_ARG, 0, "internal: trap index");
  }
  return MB_OK;
}

/* One mutable i32 global per instance with caller-memory access: the link index of the
 * instance whose call is running in it, -1 for none. */
static void add_caller_globals(fuse *f) {
  mb_link *l = f->l;
  mb_module *o = f->out;
  static const uint8_t minus_one[] = {0x41, 0x7F, 0x0B};
  for (uint32_t i = 0; i < l->ninst; i++) {
    if (!l->inst[i].caller_memory) continue;
    l->inst[i].caller_global = o->nimported[MB_KIND_GLOBAL] + o->nglobals;
    o->globals[o->nglobals++] = (mb_global){{0x7F, true}, {minus_one, sizeof minus_one}};
  }
}

/* The first start function: one runtime instance per input (ids = link indices, the
 * glue last and without one), then every resource type in mb_link.rtypes order (ids =
 * indices), its name written into the glue's memory and its destructor appended to the
 * glue's function table. */
static mb_err add_res_init(fuse *f, uint32_t *index) {
  mb_link *l = f->l;
  uint32_t inst_new, type_new, alloc, mem, table, t;
  mb_err e;
  if ((e = glue_export(f, "mb_instance_new", MB_KIND_FUNC, &inst_new)) ||
      (e = glue_export(f, "mb_type_new", MB_KIND_FUNC, &type_new)) ||
      (e = glue_export(f, "mb_alloc", MB_KIND_FUNC, &alloc)) ||
      (e = glue_export(f, "memory", MB_KIND_MEMORY, &mem)) ||
      (e = glue_export(f, "__indirect_function_table", MB_KIND_TABLE, &table)) ||
      (e = add_type(f, &void_type, &t)))
    return e;
  mb_buf *b = &f->body;
  b->len = 0;
  mb_buf_append(b, "\x01\x01\x7f", 3); /* one i32 local: the name */
  for (uint32_t i = 0; i < l->ninst; i++) {
    if ((int)i == l->glue) continue;
    op_call(b, inst_new);
    mb_buf_byte(b, 0x1A); /* drop: the id is i */
  }
  for (uint32_t k = 0; k < l->nrtypes; k++) {
    const mb_rtype *r = &l->rtypes[k];
    char name[600];
    int n = snprintf(name, sizeof name, "%s#%s", r->iface, r->name);
    if (n < 0 || (size_t)n >= sizeof name) n = (int)strlen(name);
    op_i32(b, n);
    op_call(b, alloc);
    op_local(b, 0x21, 0);
    for (int j = 0; j < n; j++) {
      op_local(b, 0x20, 0);
      op_i32(b, (uint8_t)name[j]);
      mb_buf_byte(b, 0x3A); /* i32.store8 */
      if (mem) {
        mb_buf_byte(b, 0x40);
        mb_buf_u32(b, mem);
      } else {
        mb_buf_byte(b, 0);
      }
      mb_buf_u32(b, (uint32_t)j);
    }
    op_i32(b, r->definer);
    op_local(b, 0x20, 0);
    op_i32(b, n);
    if (r->dtor >= 0) {
      mb_buf_byte(b, 0xD2); /* ref.func */
      mb_buf_u32(b, l->inst[r->definer].map[MB_SPACE_FUNC][r->dtor]);
      op_i32(b, 1);
      mb_buf_byte(b, 0xFC); /* table.grow: the old size is the new entry's index */
      mb_buf_u32(b, 15);
      mb_buf_u32(b, table);
    } else {
      op_i32(b, 0);
    }
    op_call(b, type_new);
    mb_buf_byte(b, 0x1A);
  }
  mb_buf_byte(b, 0x0B);
  return add_generated(f, t, "membrane:resource-init", index);
}

/* A command's entry with the resource ABI: reactors' _initialize, main's _start, then
 * every instance torn down, consumers first (reverse dependency order), so each
 * instance's handles are dropped and destructors run while their definers are alive.
 * With no callees: the explicit teardown export of a reactor. */
static mb_err add_res_start(fuse *f, const uint32_t *callees, uint32_t n, const char *name,
                            uint32_t *index) {
  mb_link *l = f->l;
  uint32_t teardown, t;
  mb_err e;
  if ((e = glue_export(f, "mb_teardown", MB_KIND_FUNC, &teardown)) ||
      (e = add_type(f, &void_type, &t)))
    return e;
  mb_buf *b = &f->body;
  b->len = 0;
  mb_buf_byte(b, 0);
  for (uint32_t i = 0; i < n; i++) op_call(b, callees[i]);
  op_teardowns(l, b, teardown);
  mb_buf_byte(b, 0x0B);
  return add_generated(f, t, name, index);
}

/* A function calling `n` functions in order. */
static mb_err add_caller(fuse *f, const uint32_t *callees, uint32_t n, const char *name,
                         uint32_t *index) {
  uint32_t t;
  mb_err e = add_type(f, &void_type, &t);
  if (e) return e;
  f->body.len = 0;
  mb_buf_byte(&f->body, 0);
  for (uint32_t i = 0; i < n; i++) {
    mb_buf_byte(&f->body, 0x10);
    mb_buf_u32(&f->body, callees[i]);
  }
  mb_buf_byte(&f->body, 0x0B);
  return add_generated(f, t, name, index);
}

typedef struct out_export {
  const char *name; /* NUL-terminated, arena or caller-owned for the fuse's duration */
  size_t len;
  mb_kind kind;
  uint32_t index;
} out_export;

static mb_err push_export(fuse *f, out_export *v, uint32_t *n, uint32_t cap, const char *name,
                          size_t len, mb_kind kind, uint32_t index) {
  for (uint32_t i = 0; i < *n; i++)
    if (v[i].len == len && memcmp(v[i].name, name, len) == 0)
      return mb__fail(f->diag, MB_ERR_INVALID_ARG, 0,
                      "two exports of the output are called '%.*s'; rename one with --export "
                      "INST.NAME=AS",
                      (int)len, name);
  if (*n == cap) return mb__fail(f->diag, MB_ERR_INVALID_ARG, 0, "too many exports");
  v[(*n)++] = (out_export){name, len, kind, index};
  return MB_OK;
}


/* The memory the host's WASI reads: memory 0 of every instance that imports host WASI
 * functions directly. Two different ones cannot both be served. */
static mb_err wasi_memory(fuse *f, int64_t *mem) {
  mb_link *l = f->l;
  int owner = -1;
  *mem = -1;
  for (uint32_t i = 0; i < l->ninst; i++) {
    const mb_link_inst *in = &l->inst[i];
    bool uses = false;
    for (uint32_t k = 0; k < in->m->nimports && !uses; k++)
      uses = in->res[k].inst == MB_TARGET_HOST && !l->hosts[in->res[k].host].stub &&
             in->m->imports[k].kind == MB_KIND_FUNC && mb__is_wasi_module(in->m->imports[k].module);
    if (!uses || in->count[MB_SPACE_MEMORY] == 0) continue;
    uint32_t m0 = in->map[MB_SPACE_MEMORY][0];
    if (*mem >= 0 && (uint32_t)*mem != m0)
      return mb__fail(f->diag, MB_ERR_INVALID_ARG, 0,
                      "instances '%s' and '%s' both call the host's WASI but have different "
                      "memories; the host can read only one (exported as 'memory'). Let one of "
                      "them reach WASI through the other, or share a memory",
                      l->inst[owner].name, in->name);
    *mem = m0;
    owner = (int)i;
  }
  return MB_OK;
}

static mb_err build_exports(fuse *f, int64_t start_fn, int64_t init_fn) {
  mb_link *l = f->l;
  mb_module *o = f->out;
  const mb_link_inst *main = &l->inst[l->main];
  uint32_t cap = (l->nexports ? l->nexports : main->m->nexports) + 3, n = 0;
  out_export *v = mb__calloc(cap, sizeof *v);
  if (!v) return nomem(f);
  mb_err e = MB_OK;
  int64_t mem;
  if ((e = wasi_memory(f, &mem))) goto out;
  if (l->nexports) {
    for (uint32_t i = 0; i < l->nexports && !e; i++) {
      const mb_link_export_sel *x = &l->exports[i];
      const mb_link_inst *in = NULL;
      for (uint32_t k = 0; k < l->ninst; k++)
        if (strcmp(l->inst[k].name, x->inst) == 0) in = &l->inst[k];
      int64_t idx = -1;
      int kind = 0;
      for (; kind < MB_KIND_COUNT && idx < 0; kind++)
        idx = mb__find_export(in->m, x->name, strlen(x->name), (mb_kind)kind);
      if (idx < 0) {
        e = mb__fail(f->diag, MB_ERR_INVALID_ARG, 0,
                     "--export %s.%s: instance '%s' (%s) has no export '%s'", x->inst, x->name,
                     x->inst, in->path, x->name);
        break;
      }
      kind--;
      uint32_t to = in->map[kind_space[kind]][idx];
      /* the main instance's entry points stand for the generated ones, which also
       * initialize the reactors */
      if (in == main && kind == MB_KIND_FUNC && start_fn >= 0 && strcmp(x->name, "_start") == 0)
        to = (uint32_t)start_fn;
      if (in == main && kind == MB_KIND_FUNC && init_fn >= 0 &&
          strcmp(x->name, "_initialize") == 0)
        to = (uint32_t)init_fn;
      e = push_export(f, v, &n, cap, x->as, strlen(x->as), (mb_kind)kind, to);
    }
  } else {
    for (uint32_t i = 0; i < main->m->nexports && !e; i++) {
      const mb_export *x = &main->m->exports[i];
      uint32_t idx = main->map[kind_space[x->kind]][x->index];
      if (x->kind == MB_KIND_FUNC && start_fn >= 0 && mb__bytes_eq(x->name, "_start"))
        idx = (uint32_t)start_fn;
      if (x->kind == MB_KIND_FUNC && init_fn >= 0 && mb__bytes_eq(x->name, "_initialize"))
        idx = (uint32_t)init_fn;
      if (mem >= 0 && x->kind == MB_KIND_MEMORY && mb__bytes_eq(x->name, "memory"))
        idx = (uint32_t)mem; /* the WASI rule decides which memory is `memory` */
      e = push_export(f, v, &n, cap, (const char *)x->name.ptr, x->name.len, x->kind, idx);
    }
  }
  if (!e && f->teardown_fn >= 0)
    e = push_export(f, v, &n, cap, "membrane:teardown", 17, MB_KIND_FUNC, (uint32_t)f->teardown_fn);
  if (!e && init_fn >= 0) {
    /* a generated _initialize the host must call, also when main had none */
    bool has = false;
    for (uint32_t i = 0; i < n; i++) has |= v[i].len == 11 && !memcmp(v[i].name, "_initialize", 11);
    if (!has) e = push_export(f, v, &n, cap, "_initialize", 11, MB_KIND_FUNC, (uint32_t)init_fn);
  }
  if (!e && mem >= 0) {
    bool has = false;
    for (uint32_t i = 0; i < n; i++)
      if (v[i].len == 6 && memcmp(v[i].name, "memory", 6) == 0) {
        if (v[i].kind != MB_KIND_MEMORY || v[i].index != (uint32_t)mem)
          e = mb__fail(f->diag, MB_ERR_INVALID_ARG, 0,
                       "the export 'memory' must be the memory of the instance that calls the "
                       "host's WASI; export something else under that name with a different AS");
        has = true;
      }
    if (!e && !has) e = push_export(f, v, &n, cap, "memory", 6, MB_KIND_MEMORY, (uint32_t)mem);
  }
  if (e) goto out;
  o->exports = arr(f, n, sizeof *o->exports);
  if (!o->exports) {
    e = nomem(f);
    goto out;
  }
  for (uint32_t i = 0; i < n; i++) {
    uint8_t *name = mb__arena_alloc(o->arena, v[i].len);
    if (!name) {
      e = nomem(f);
      goto out;
    }
    memcpy(name, v[i].name, v[i].len);
    o->exports[i] = (mb_export){{name, (uint32_t)v[i].len}, v[i].kind, v[i].index};
  }
  o->nexports = n;
out:
  mb__free(v);
  return e;
}

/* Start functions of all instances and, for commands, the reactors' _initialize, in
 * dependency order. */
/* Instantiated one by one, an instance's active segments are applied after the start
 * functions of the instances instantiated before it: a provider's start function
 * cannot overwrite what a consumer's data segment put there. So the active segments
 * of an instance that comes after a start function become passive, and a generated
 * function applies them (table.init / memory.init, then elem.drop / data.drop, elements
 * before data, as instantiation does) in the start sequence, right where that instance
 * is instantiated. Out of bounds traps there, as instantiation fails. *made: whether
 * the instance had any such segment. */
static mb_err add_segment_init(fuse *f, const mb_link_inst *in, uint32_t *index, bool *made) {
  mb_module *o = f->out;
  const mb_module *m = in->m;
  mb_buf *b = &f->body;
  *made = false;
  b->len = 0;
  mb_buf_byte(b, 0);
  for (uint32_t i = 0; i < m->nelems; i++) {
    uint32_t seg = in->map[MB_SPACE_ELEM][i];
    mb_elem *s = &o->elems[seg];
    if (s->mode != MB_SEG_ACTIVE) continue;
    mb_buf_append(b, s->offset.ptr, s->offset.len - 1); /* the expression without its end */
    mb_buf_append(b, "\x41\x00\x41", 3);                /* i32.const 0, i32.const count */
    mb_buf_s32(b, (int32_t)s->count);
    mb_buf_append(b, "\xfc\x0c", 2); /* table.init seg table */
    mb_buf_u32(b, seg);
    mb_buf_u32(b, s->table);
    mb_buf_append(b, "\xfc\x0d", 2); /* elem.drop seg */
    mb_buf_u32(b, seg);
    s->mode = MB_SEG_PASSIVE;
    *made = true;
  }
  for (uint32_t i = 0; i < m->ndatas; i++) {
    uint32_t seg = in->map[MB_SPACE_DATA][i];
    mb_data *d = &o->datas[seg];
    if (d->mode != MB_SEG_ACTIVE) continue;
    mb_buf_append(b, d->offset.ptr, d->offset.len - 1);
    mb_buf_append(b, "\x41\x00\x41", 3);
    mb_buf_s32(b, (int32_t)(uint32_t)d->bytes.len); /* as u32: memory.init reads it so */
    mb_buf_append(b, "\xfc\x08", 2); /* memory.init seg memory */
    mb_buf_u32(b, seg);
    mb_buf_u32(b, d->memory);
    mb_buf_append(b, "\xfc\x09", 2); /* data.drop seg */
    mb_buf_u32(b, seg);
    d->mode = MB_SEG_PASSIVE;
    *made = true;
  }
  mb_buf_byte(b, 0x0B);
  if (!*made) return MB_OK;
  o->has_datacount = true; /* memory.init and data.drop need the data count section */
  uint32_t t;
  mb_err e = add_type(f, &void_type, &t);
  if (e) return e;
  char name[300];
  snprintf(name, sizeof name, "membrane:segments %s", in->name);
  return add_generated(f, t, name, index);
}

static mb_err add_init(fuse *f, int64_t *start_fn, int64_t *init_fn) {
  mb_link *l = f->l;
  mb_module *o = f->out;
  const mb_link_inst *main = &l->inst[l->main];
  int64_t main_start = mb__find_export(main->m, "_start", 6, MB_KIND_FUNC);
  int64_t main_init = mb__find_export(main->m, "_initialize", 11, MB_KIND_FUNC);
  uint32_t *starts = mb__calloc(2 * l->ninst + 2, sizeof *starts);
  uint32_t *inits = mb__calloc(l->ninst + 1, sizeof *inits);
  uint32_t nstarts = 0, ninits = 0;
  mb_err e = MB_OK;
  if (!starts || !inits) {
    e = nomem(f);
    goto out;
  }
  bool after_start = false;
  for (uint32_t k = 0; k < l->ninst; k++) {
    const mb_link_inst *in = &l->inst[l->order[k]];
    if (after_start) {
      uint32_t seg_fn;
      bool made;
      if ((e = add_segment_init(f, in, &seg_fn, &made))) goto out;
      if (made) starts[nstarts++] = seg_fn;
    }
    if (in->m->has_start) {
      starts[nstarts++] = in->map[MB_SPACE_FUNC][in->m->start];
      after_start = true;
    }
    int64_t ini = mb__find_export(in->m, "_initialize", 11, MB_KIND_FUNC);
    if (ini >= 0 && (in != main || main_start < 0))
      inits[ninits++] = in->map[MB_SPACE_FUNC][ini];
  }
  *start_fn = *init_fn = -1;
  bool reactors = ninits > (main_init >= 0 ? 1u : 0u);
  if (l->glue >= 0 && main_start < 0) {
    /* no command entry to end with a teardown: an export the embedder calls */
    uint32_t idx;
    if ((e = add_res_start(f, NULL, 0, "membrane:teardown", &idx))) goto out;
    f->teardown_fn = idx;
  }
  if (l->glue >= 0) {
    /* resource registration runs before every other start function */
    uint32_t idx;
    if ((e = add_res_init(f, &idx))) goto out;
    memmove(starts + 1, starts, nstarts * sizeof *starts);
    starts[0] = idx;
    nstarts++;
  }
  if (main_start >= 0 && l->glue >= 0) {
    inits[ninits++] = main->map[MB_SPACE_FUNC][main_start];
    uint32_t idx;
    if ((e = add_res_start(f, inits, ninits, "membrane:_start", &idx))) goto out;
    *start_fn = idx;
  } else if (main_start >= 0 && reactors) {
    inits[ninits++] = main->map[MB_SPACE_FUNC][main_start];
    uint32_t idx;
    if ((e = add_caller(f, inits, ninits, "membrane:_start", &idx))) goto out;
    *start_fn = idx;
  } else if (main_init >= 0 && reactors) {
    uint32_t idx;
    if ((e = add_caller(f, inits, ninits, "membrane:_initialize", &idx))) goto out;
    *init_fn = idx;
  } else if (main_start < 0 && main_init < 0 && ninits) {
    int64_t mem;
    if ((e = wasi_memory(f, &mem))) goto out;
    if (mem >= 0) {
      /* The host's WASI reaches the memory only once it has called _initialize
       * (node:wasi's initialize()): a start function would run before, and a reactor's
       * constructor calling WASI would fail. The output becomes a reactor. */
      uint32_t idx;
      if ((e = add_caller(f, inits, ninits, "membrane:_initialize", &idx))) goto out;
      *init_fn = idx;
    } else {
      /* no entry point to hook: reactors are initialized by the start function */
      memcpy(starts + nstarts, inits, ninits * sizeof *inits);
      nstarts += ninits;
    }
  }
  if (nstarts == 1) {
    o->has_start = true;
    o->start = starts[0];
  } else if (nstarts > 1) {
    uint32_t idx;
    if ((e = add_caller(f, starts, nstarts, "membrane:start", &idx))) goto out;
    o->has_start = true;
    o->start = idx;
  }
out:
  mb__free(starts);
  mb__free(inits);
  return e;
}

/* A function an instance exports counts as declared for `ref.func` in its code; an
 * export the output does not keep would leave such a ref.func invalid ("undeclared
 * function reference"). One declarative element segment declares them. */
static mb_err declare_hidden_exports(fuse *f) {
  mb_link *l = f->l;
  mb_module *o = f->out;
  uint32_t cap = 0, n = 0;
  for (uint32_t i = 0; i < l->ninst; i++) cap += l->inst[i].m->nexports;
  uint32_t *funcs = arr(f, cap, sizeof *funcs);
  if (!funcs) return nomem(f);
  for (uint32_t i = 0; i < l->ninst; i++) {
    const mb_link_inst *in = &l->inst[i];
    for (uint32_t k = 0; k < in->m->nexports; k++) {
      const mb_export *x = &in->m->exports[k];
      if (x->kind != MB_KIND_FUNC) continue;
      uint32_t idx = in->map[MB_SPACE_FUNC][x->index];
      bool seen = false;
      for (uint32_t j = 0; j < o->nexports && !seen; j++)
        seen = o->exports[j].kind == MB_KIND_FUNC && o->exports[j].index == idx;
      for (uint32_t j = 0; j < n && !seen; j++) seen = funcs[j] == idx;
      if (!seen) funcs[n++] = idx;
    }
  }
  if (!n) return MB_OK;
  o->elems[o->nelems++] = (mb_elem){.mode = MB_SEG_DECLARATIVE, .reftype = 0x70, .count = n,
                                    .funcs = funcs};
  return MB_OK;
}

static mb_err allocate_output(fuse *f) {
  mb_link *l = f->l;
  mb_module *o = f->out;
  uint64_t types = 1 + 16, funcs = 5 + 2 * (uint64_t)l->ninst + l->ngens, tables = 0, mems = 0, globals = 0, tags = 0,
           elems = 1 /* declare_hidden_exports */, datas = 0;
  for (uint32_t h = 0; h < l->nhosts; h++) funcs += l->hosts[h].stub;
  for (uint32_t i = 0; i < l->ninst; i++) {
    const mb_module *m = l->inst[i].m;
    types += m->ntypes;
    funcs += m->nfuncs;
    tables += m->ntables;
    mems += m->nmemories;
    globals += m->nglobals + l->inst[i].caller_memory;
    tags += m->ntags;
    elems += m->nelems;
    datas += m->ndatas;
    o->has_datacount |= m->has_datacount;
    o->features |= m->features;
  }
  if (types > UINT32_MAX || funcs > UINT32_MAX || elems > UINT32_MAX || datas > UINT32_MAX)
    return mb__fail(f->diag, MB_ERR_TOO_MANY, 0, "the fused module would be too large");
  f->ntypes_cap = (uint32_t)types;
  o->types = arr(f, types, sizeof *o->types);
  o->func_types = arr(f, funcs, sizeof *o->func_types);
  o->codes = arr(f, funcs, sizeof *o->codes);
  o->tables = arr(f, tables, sizeof *o->tables);
  o->memories = arr(f, mems, sizeof *o->memories);
  o->globals = arr(f, globals, sizeof *o->globals);
  o->tag_types = arr(f, tags, sizeof *o->tag_types);
  o->elems = arr(f, elems, sizeof *o->elems);
  o->datas = arr(f, datas, sizeof *o->datas);
  if (!o->types || !o->func_types || !o->codes || !o->tables || !o->memories || !o->globals ||
      !o->tag_types || !o->elems || !o->datas)
    return nomem(f);
  if (mems + o->nimported[MB_KIND_MEMORY] > 1) o->features |= MB_FEAT_MULTI_MEMORY;
  return MB_OK;
}

mb_err mb_link_fuse(mb_link *l, mb_module **out, mb_diag *diag) {
  *out = NULL;
  mb_err e = mb_link_resolve(l, diag);
  if (e) return e;
  fuse f = {.l = l, .diag = diag, .teardown_fn = -1};
  mb_buf_init(&f.body);
  if (!(f.out = mb_module_new())) return mb__fail(diag, MB_ERR_NOMEM, 0, "out of memory");
  uint32_t stub_base;
  int64_t start_fn = -1, init_fn = -1;
  if ((e = allocate_output(&f)) || (e = place_imports(&f)) || (e = place_instances(&f, &stub_base)))
    goto out;
  for (uint32_t i = 0; i < l->ninst && !e; i++) e = copy_definitions(&f, &l->inst[i]);
  if (e) goto out;
  if ((e = inline_all_consts(&f))) goto out;
  add_caller_globals(&f);
  if ((e = add_stubs(&f)) || (e = add_gens(&f)) || (e = add_init(&f, &start_fn, &init_fn)) ||
      (e = build_exports(&f, start_fn, init_fn)) || (e = declare_hidden_exports(&f)))
    goto out;
  (void)stub_base;
  if (l->single) {
    /* --memory single: the output lowered to one memory; its helpers named too */
    int64_t wmem;
    const char **names = NULL;
    uint32_t *funcs = NULL, n = 0;
    if ((e = wasi_memory(&f, &wmem)) ||
        (e = mb__single_lower(l, f.out, wmem, &names, &funcs, &n, diag)))
      goto out;
    for (uint32_t i = 0; i < n && !e; i++) e = add_name(&f, names[i], funcs[i]);
    if (e) goto out;
  }
  for (int s = 0; s < MB_SEC_COUNT; s++) mb_module_mark_dirty(f.out, (mb_sec)s);
  e = mb__link_customs(l, f.out, f.gen_names, f.gen_funcs, f.ngen, diag);
  if (!e && l->glue >= 0) e = mb__link_resources_custom(l, f.out, diag);
out:
  mb_buf_fini(&f.body);
  mb__free(f.host_slot);
  mb__free(f.gen_names);
  mb__free(f.gen_funcs);
  if (e) {
    mb_module_free(f.out);
    return e;
  }
  *out = f.out;
  return MB_OK;
}
