/* fuse.c — build the fused module from a resolved link session: one index space per
 * kind (host imports first, then each instance's definitions in input order), constant
 * expressions rewritten through per-instance maps (code bodies carry their map and are
 * renumbered as they are written), trapping stubs for unresolved imports, and the driver,
 * mb_link_fuse. The resource ABI's generated functions are fuse_adapt.c; the start and
 * init functions and the exports are fuse_init.c. */
#include <stdio.h>
#include <string.h>

#include "fuse_internal.h"

mb_link_err mb__fuse_nomem(mb__fuse *f) { return mb_link_fail(f->diag, MB_LINK_ERR_NOMEM, 0, "out of memory while linking"); }

void *mb__fuse_arr(mb__fuse *f, size_t n, size_t elem) {
  return mb_wasm_arena_array(f->out->arena, n ? n : 1, elem);
}

/* Room for one more element in an array of the output's arena holding n of cap: twice
 * the room, the old array left to the arena. The output's arrays start at what the inputs
 * need (mb__fuse_allocate_output); generated types and functions may go past it. */
static mb_link_err grow(mb__fuse *f, void **arr, uint32_t n, uint32_t *cap, size_t elem) {
  if (n < *cap) return MB_LINK_OK;
  if (*cap > UINT32_MAX / 2)
    return mb_link_fail(f->diag, MB_LINK_ERR_TOO_LARGE, 0, "the fused module would be too large");
  uint32_t ncap = *cap ? *cap * 2 : 16;
  void *p = mb_wasm_arena_array(f->out->arena, ncap, elem);
  if (!p) return mb__fuse_nomem(f);
  if (n) memcpy(p, *arr, (size_t)n * elem);
  *arr = p;
  *cap = ncap;
  return MB_LINK_OK;
}

/* Output index of a function type, adding it when new (identical types are merged). */
mb_link_err mb__fuse_add_type(mb__fuse *f, const mb_functype *t, uint32_t *out_index) {
  mb_module *o = f->out;
  for (uint32_t i = 0; i < o->ntypes; i++)
    if (mb_functype_eq(&o->types[i], t)) {
      *out_index = i;
      return MB_LINK_OK;
    }
  mb_link_err e = grow(f, (void **)&o->types, o->ntypes, &f->ntypes_cap, sizeof *o->types);
  if (e) return e;
  o->types[o->ntypes] = *t;
  *out_index = o->ntypes++;
  return MB_LINK_OK;
}

const mb_functype mb__fuse_void_type = {0, 0, NULL, NULL};

static mb_link_err alloc_maps(mb__fuse *f, mb_link_inst *in) {
  const mb_module *m = in->m;
  uint32_t sizes[MB_SPACE_COUNT];
  mb_module_space_sizes(m, sizes);
  for (int s = 0; s < MB_SPACE_COUNT; s++) {
    mb_wasm_free(in->map[s]);
    in->count[s] = sizes[s];
    if (!(in->map[s] = mb_wasm_calloc(sizes[s] ? sizes[s] : 1, sizeof(uint32_t)))) return mb__fuse_nomem(f);
  }
  return MB_LINK_OK;
}

static uint32_t defined_count(const mb_module *m, mb_kind k) {
  return mb_module_count(m, k) - m->nimported[k];
}

/* Host imports become the output's imports (stubs become functions later). */
static mb_link_err place_imports(mb__fuse *f) {
  mb_link *l = f->l;
  mb_module *o = f->out;
  uint32_t n = 0;
  for (uint32_t h = 0; h < l->nhosts; h++) n += !l->hosts[h].stub;
  o->imports = mb__fuse_arr(f, n, sizeof *o->imports);
  f->host_slot = mb_wasm_calloc(l->nhosts ? l->nhosts : 1, sizeof *f->host_slot);
  if (!o->imports || !f->host_slot) return mb__fuse_nomem(f);
  /* The instances' types first, in input order, so a single input keeps its type
   * indices (a faithful copy); host imports' types are among them. */
  for (uint32_t i = 0; i < l->ninst; i++)
    for (uint32_t t = 0; t < l->inst[i].m->ntypes; t++) {
      uint32_t ignored;
      mb_link_err e = mb__fuse_add_type(f, &l->inst[i].m->types[t], &ignored);
      if (e) return e;
    }
  for (uint32_t h = 0; h < l->nhosts; h++) {
    if (l->hosts[h].stub) continue;
    mb_import im = *l->hosts[h].im;
    uint32_t t;
    mb_link_err e = MB_LINK_OK;
    if (im.kind == MB_KIND_FUNC) e = mb__fuse_add_type(f, &l->hosts[h].from->types[im.u.func_type], &t), im.u.func_type = t;
    if (im.kind == MB_KIND_TAG) e = mb__fuse_add_type(f, &l->hosts[h].from->types[im.u.tag_type], &t), im.u.tag_type = t;
    if (e) return e;
    f->host_slot[h] = o->nimported[im.kind]++;
    o->imports[o->nimports++] = im;
  }
  return MB_LINK_OK;
}

/* Decide every instance's output indices. Stubs are numbered after all definitions. */
static mb_link_err place_instances(mb__fuse *f, uint32_t *stub_base) {
  mb_link *l = f->l;
  mb_module *o = f->out;
  uint32_t next[MB_KIND_COUNT], elem = 0, data = 0;
  for (int k = 0; k < MB_KIND_COUNT; k++) next[k] = o->nimported[k];
  /* first pass: bases of defined entities */
  uint32_t (*bases)[MB_KIND_COUNT] = mb_wasm_calloc(l->ninst, sizeof *bases);
  if (!bases) return mb__fuse_nomem(f);
  for (uint32_t i = 0; i < l->ninst; i++)
    for (int k = 0; k < MB_KIND_COUNT; k++) {
      bases[i][k] = next[k];
      next[k] += defined_count(l->inst[i].m, (mb_kind)k);
    }
  *stub_base = next[MB_KIND_FUNC];
  /* stubs: one function per stubbed host import, in host order */
  uint32_t nstub = 0, *stub_index = mb_wasm_calloc(l->nhosts ? l->nhosts : 1, sizeof *stub_index);
  if (!stub_index) {
    mb_wasm_free(bases);
    return mb__fuse_nomem(f);
  }
  for (uint32_t h = 0; h < l->nhosts; h++)
    if (l->hosts[h].stub) stub_index[h] = *stub_base + nstub++;
  mb_link_err e = MB_LINK_OK;
  for (uint32_t i = 0; i < l->ninst && !e; i++) {
    mb_link_inst *in = &l->inst[i];
    const mb_module *m = in->m;
    if ((e = alloc_maps(f, in))) break;
    for (uint32_t t = 0; t < m->ntypes && !e; t++) e = mb__fuse_add_type(f, &m->types[t], &in->map[MB_SPACE_TYPE][t]);
    uint32_t seen[MB_KIND_COUNT] = {0};
    for (uint32_t k = 0; k < m->nimports; k++) {
      mb_kind kind = m->imports[k].kind;
      const mb_target *t = &in->res[k];
      uint32_t to;
      if (t->inst >= 0) to = bases[t->inst][kind] + (t->index - l->inst[t->inst].m->nimported[kind]);
      else if (t->inst == MB_TARGET_GEN) to = *stub_base + nstub + t->index;
      else if (l->hosts[t->host].stub) to = stub_index[t->host];
      else to = f->host_slot[t->host];
      in->map[mb_kind_space(kind)][seen[kind]++] = to;
    }
    for (int k = 0; k < MB_KIND_COUNT; k++)
      for (uint32_t d = 0; d < defined_count(m, (mb_kind)k); d++)
        in->map[mb_kind_space(k)][m->nimported[k] + d] = bases[i][k] + d;
  }
  /* Segments are numbered in dependency order: the output applies active segments in
   * index order, and a provider's must land before its consumers' (as when each
   * instance is instantiated in turn), e.g. overlapping data in a shared memory. */
  for (uint32_t k = 0; k < l->ninst && !e; k++) {
    mb_link_inst *in = &l->inst[l->order[k]];
    for (uint32_t s = 0; s < in->m->nelems; s++) in->map[MB_SPACE_ELEM][s] = elem++;
    for (uint32_t s = 0; s < in->m->ndatas; s++) in->map[MB_SPACE_DATA][s] = data++;
  }
  mb_wasm_free(bases);
  mb_wasm_free(stub_index);
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

static mb_link_err keep_buf(mb__fuse *f, mb_bytes *dst) {
  if (f->body.failed) return mb__fuse_nomem(f);
  uint8_t *p = mb_wasm_arena_alloc(f->out->arena, f->body.len);
  if (!p) return mb__fuse_nomem(f);
  memcpy(p, f->body.data, f->body.len);
  dst->ptr = p;
  dst->len = (uint32_t)f->body.len;
  return MB_LINK_OK;
}

static mb_link_err rewrite_const(mb__fuse *f, const mb_link_inst *in, const mb_remap *r, mb_bytes *expr) {
  if (!expr->len) return MB_LINK_OK;
  f->body.len = 0;
  mb_link_err e = mb__link_wasm(mb_const_expr_rewrite(expr->ptr, expr->len, 0, r, &f->body, f->diag), f->diag);
  if (e) {
    size_t n = strlen(f->diag->message);
    snprintf(f->diag->message + n, sizeof f->diag->message - n, " (instance '%s')", in->name);
    return e;
  }
  return keep_buf(f, expr);
}

/* The instance's maps, copied into the output's arena: its bodies are renumbered
 * through them when the output is written, after the link itself is gone. */
static const mb_remap *remap_in_output(mb__fuse *f, const mb_link_inst *in) {
  mb_remap *r = mb_wasm_arena_alloc(f->out->arena, sizeof *r);
  if (!r) return NULL;
  for (int s = 0; s < MB_SPACE_COUNT; s++) {
    r->count[s] = in->count[s];
    r->map[s] = NULL;
    if (!in->map[s] || !in->count[s]) continue;
    uint32_t *map = mb_wasm_arena_alloc(f->out->arena, (size_t)in->count[s] * sizeof *map);
    if (!map) return NULL;
    memcpy(map, in->map[s], (size_t)in->count[s] * sizeof *map);
    r->map[s] = map;
  }
  return r;
}

/* Append instance in's definitions (already counted) to the output arrays. The bodies
 * stay the input's bytes, renumbered as they are written: a large module's code is not
 * held a second time (the reader has already checked them). */
static mb_link_err copy_definitions(mb__fuse *f, mb_link_inst *in) {
  const mb_module *m = in->m;
  mb_module *o = f->out;
  mb_remap r = remap_of(in);
  mb_link_err e = MB_LINK_OK;
  const mb_remap *body_remap = m->nfuncs ? remap_in_output(f, in) : NULL;
  if (m->nfuncs && !body_remap) return mb__fuse_nomem(f);
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
      s->items = mb__fuse_arr(f, s->count, sizeof *s->items);
      if (!s->items) return mb__fuse_nomem(f);
      for (uint32_t k = 0; k < s->count && !e; k++) {
        s->items[k] = m->elems[i].items[k];
        e = rewrite_const(f, in, &r, &s->items[k]);
      }
    } else {
      s->funcs = mb__fuse_arr(f, s->count, sizeof *s->funcs);
      if (!s->funcs) return mb__fuse_nomem(f);
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
static mb_link_err inline_globals(mb__fuse *f, mb_bytes expr, unsigned depth, mb_buf *out, bool *changed,
                             bool *understood) {
  const mb_module *o = f->out;
  mb_wasm_reader r = {expr.ptr, expr.ptr, expr.ptr + expr.len, 0, NULL};
  if (depth > 64)
    return mb_link_fail(f->diag, MB_LINK_ERR_CONFLICT, 0,
                        "global initializers of the instances read each other in a cycle");
  while (r.pos < r.end) {
    const uint8_t *at = r.pos;
    uint8_t op;
    uint32_t u;
    int32_t s32;
    int64_t s64;
    const uint8_t *skip;
    bool bad = mb_wasm_byte(&r, &op, "");
    if (bad) break;
    switch (op) {
    case 0x0B: return MB_LINK_OK; /* end */
    case 0x23:               /* global.get */
      if ((bad = mb_wasm_u32(&r, &u, ""))) break;
      if (u >= o->nimported[MB_KIND_GLOBAL] && u - o->nimported[MB_KIND_GLOBAL] < o->nglobals) {
        mb_link_err e = inline_globals(f, o->globals[u - o->nimported[MB_KIND_GLOBAL]].init,
                                  depth + 1, out, changed, understood);
        if (e) return e;
        *changed = true;
        continue;
      }
      break;
    case 0x41: bad = mb_wasm_s32(&r, &s32, ""); break;
    case 0x42: bad = mb_wasm_s64(&r, &s64, ""); break;
    case 0x43: bad = mb_wasm_bytes(&r, 4, &skip, ""); break;
    case 0x44: bad = mb_wasm_bytes(&r, 8, &skip, ""); break;
    case 0xD0: bad = mb_wasm_byte(&r, &op, ""); break; /* ref.null: abstract heap type */
    case 0xD2: bad = mb_wasm_u32(&r, &u, ""); break;   /* ref.func */
    case 0x6A: case 0x6B: case 0x6C: case 0x7C: case 0x7D: case 0x7E: break;
    case 0xFD: /* v128.const */
      bad = mb_wasm_u32(&r, &u, "") || u != 12 || mb_wasm_bytes(&r, 16, &skip, "");
      break;
    default: bad = true;
    }
    if (bad) break;
    mb_buf_append(out, at, (size_t)(r.pos - at));
  }
  *understood = false;
  return MB_LINK_OK;
}

static mb_link_err inline_const(mb__fuse *f, mb_bytes *expr) {
  if (!expr->len) return MB_LINK_OK;
  mb_buf b;
  mb_buf_init(&b);
  bool changed = false, understood = true;
  mb_link_err e = inline_globals(f, *expr, 0, &b, &changed, &understood);
  mb__emit(&b, MB_OP_END);
  if (!e && changed && understood && !b.failed) {
    uint8_t *p = mb_wasm_arena_alloc(f->out->arena, b.len);
    if (!p) e = mb__fuse_nomem(f);
    else {
      memcpy(p, b.data, b.len);
      *expr = (mb_bytes){p, (uint32_t)b.len};
    }
  } else if (!e && b.failed) {
    e = mb__fuse_nomem(f);
  }
  mb_buf_fini(&b);
  return e;
}

static mb_link_err inline_all_consts(mb__fuse *f) {
  mb_module *o = f->out;
  mb_link_err e = MB_LINK_OK;
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
static mb_link_err add_name(mb__fuse *f, const char *name, uint32_t index) {
  if (f->ngen == f->gen_cap) {
    uint32_t cap = f->gen_cap ? f->gen_cap * 2 : 8;
    const char **names = mb_wasm_realloc(f->gen_names, cap * sizeof *names);
    if (!names) return mb__fuse_nomem(f);
    f->gen_names = names;
    uint32_t *funcs = mb_wasm_realloc(f->gen_funcs, cap * sizeof *funcs);
    if (!funcs) return mb__fuse_nomem(f);
    f->gen_funcs = funcs;
    f->gen_cap = cap;
  }
  f->gen_names[f->ngen] = name;
  f->gen_funcs[f->ngen++] = index;
  return MB_LINK_OK;
}

/* A generated function: body from f->body (locals + code + end), name for traces. */
mb_link_err mb__fuse_add_generated(mb__fuse *f, uint32_t type, const char *name, uint32_t *index) {
  mb_module *o = f->out;
  uint32_t cap = f->nfuncs_cap;
  mb_link_err e = grow(f, (void **)&o->func_types, o->nfuncs, &cap, sizeof *o->func_types);
  if (e || (e = grow(f, (void **)&o->codes, o->ncodes, &f->nfuncs_cap, sizeof *o->codes))) return e;
  o->func_types[o->nfuncs] = type;
  mb_code *c = &o->codes[o->ncodes++];
  if ((e = keep_buf(f, &c->body))) return e;
  *index = o->nimported[MB_KIND_FUNC] + o->nfuncs++;
  if (f->ngen == f->gen_cap) {
    uint32_t cap = f->gen_cap ? f->gen_cap * 2 : 8;
    const char **names = mb_wasm_realloc(f->gen_names, cap * sizeof *names);
    if (!names) return mb__fuse_nomem(f);
    f->gen_names = names;
    uint32_t *funcs = mb_wasm_realloc(f->gen_funcs, cap * sizeof *funcs);
    if (!funcs) return mb__fuse_nomem(f);
    f->gen_funcs = funcs;
    f->gen_cap = cap;
  }
  char *copy = mb_wasm_arena_alloc(o->arena, strlen(name) + 1);
  if (!copy) return mb__fuse_nomem(f);
  strcpy(copy, name);
  f->gen_names[f->ngen] = copy;
  f->gen_funcs[f->ngen++] = *index;
  return MB_LINK_OK;
}

static mb_link_err add_stubs(mb__fuse *f) {
  mb_link *l = f->l;
  for (uint32_t h = 0; h < l->nhosts; h++) {
    if (!l->hosts[h].stub) continue;
    const mb_import *im = l->hosts[h].im;
    uint32_t t, idx;
    mb_link_err e = mb__fuse_add_type(f, &l->hosts[h].from->types[im->u.func_type], &t);
    if (e) return e;
    f->body.len = 0;
    mb_buf_byte(&f->body, 0); /* no locals */
    mb__emit(&f->body, MB_OP_UNREACHABLE);
    mb__emit(&f->body, MB_OP_END);
    char name[300];
    snprintf(name, sizeof name, "membrane: unresolved import %.*s.%.*s", (int)im->module.len,
             (const char *)im->module.ptr, (int)im->field.len, (const char *)im->field.ptr);
    if ((e = mb__fuse_add_generated(f, t, name, &idx))) return e;
  }
  return MB_LINK_OK;
}

mb_link_err mb_link_fuse(mb_link *l, mb_module **out, mb_diag *diag) {
  *out = NULL;
  mb_link_err e = mb_link_resolve(l, diag);
  if (e) return e;
  mb__fuse f = {.l = l, .diag = diag, .teardown_fn = -1};
  mb_buf_init(&f.body);
  if (!(f.out = mb_module_new())) return mb_link_fail(diag, MB_LINK_ERR_NOMEM, 0, "out of memory");
  uint32_t stub_base;
  int64_t start_fn = -1, init_fn = -1;
  if ((e = mb__fuse_allocate_output(&f)) || (e = place_imports(&f)) || (e = place_instances(&f, &stub_base)))
    goto out;
  for (uint32_t i = 0; i < l->ninst && !e; i++) e = copy_definitions(&f, &l->inst[i]);
  if (e) goto out;
  if ((e = inline_all_consts(&f))) goto out;
  mb__fuse_caller_globals(&f);
  if ((e = add_stubs(&f)) || (e = mb__fuse_add_gens(&f)) || (e = mb__fuse_add_init(&f, &start_fn, &init_fn)) ||
      (e = mb__fuse_build_exports(&f, start_fn, init_fn)) || (e = mb__fuse_hidden_exports(&f)))
    goto out;
  (void)stub_base;
  if (l->single) {
    /* --memory single: the output lowered to one memory; its helpers named too */
    int64_t wmem;
    const char **names = NULL;
    uint32_t *funcs = NULL, n = 0;
    if ((e = mb__fuse_wasi_memory(&f, &wmem)) ||
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
  mb_wasm_free(f.host_slot);
  mb_wasm_free(f.gen_names);
  mb_wasm_free(f.gen_funcs);
  if (e) {
    mb_module_free(f.out);
    return e;
  }
  *out = f.out;
  return MB_LINK_OK;
}
