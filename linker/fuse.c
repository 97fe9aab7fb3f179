/* fuse.c — build the fused module from a resolved link session: one index space per
 * kind (host imports first, then each instance's definitions in input order), each
 * instance appended through its maps by the model (mb_module_append's lazy mode: code
 * bodies carry their map and are renumbered as they are written), trapping stubs for
 * unresolved imports, and the driver, mb_link_fuse. This file decides the layout; the
 * model copies and renumbers. The resource ABI's generated functions are fuse_adapt.c;
 * the start and init functions and the exports are fuse_init.c. */
#include <stdio.h>
#include <string.h>

#include "fuse_internal.h"

mb_link_err mb__fuse_nomem(mb__fuse *f) { return mb_link_fail(f->diag, MB_LINK_ERR_NOMEM, 0, "out of memory while linking"); }

void *mb__fuse_arr(mb__fuse *f, size_t n, size_t elem) {
  return mb_wasm_arena_array(f->out->arena, n ? n : 1, elem);
}

mb_link_err mb__fuse_add_type(mb__fuse *f, const mb_functype *t, uint32_t *out_index) {
  return mb__link_wasm(mb_type_interner_add_func(f->ti, t, out_index, f->diag), f->diag);
}

/* The output index of type t of module m (the type map of an instance of m). */
static uint32_t output_type(const mb__fuse *f, const mb_module *m, uint32_t t) {
  for (uint32_t i = 0; i < f->l->ninst; i++)
    if (f->l->inst[i].m == m) return f->l->inst[i].map[MB_SPACE_TYPE][t];
  return t; /* not reached: host imports come from instances */
}

/* A value type of module m in the output's numbering. */
mb_valtype mb__fuse_valtype(const mb__fuse *f, const mb_module *m, mb_valtype v) {
  if (!mb_valtype_has_index(v)) return v;
  return mb_valtype_ref(mb_valtype_nullable(v), output_type(f, m, mb_valtype_heap(v)));
}

const mb_functype mb__fuse_void_type = {0, 0, NULL, NULL};

static mb_link_err alloc_maps(mb__fuse *f, mb_link_inst *in) {
  const mb_module *m = in->m;
  uint32_t sizes[MB_SPACE_COUNT];
  mb_module_space_sizes(m, sizes);
  for (int s = 0; s < MB_SPACE_COUNT; s++) {
    mb_mem_free(&f->l->alloc, in->map[s]);
    in->count[s] = sizes[s];
    if (!(in->map[s] = mb_mem_calloc(&f->l->alloc, sizes[s] ? sizes[s] : 1, sizeof(uint32_t)))) return mb__fuse_nomem(f);
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
  mb_link_err e = mb__link_wasm(mb_module_reserve(o, MB_SEC_IMPORT, n, f->diag), f->diag);
  if (e) return e;
  f->host_slot = mb_mem_calloc(&f->l->alloc, l->nhosts ? l->nhosts : 1, sizeof *f->host_slot);
  if (!f->host_slot) return mb__fuse_nomem(f);
  /* The instances' types first, in input order, so a single input keeps its type
   * indices (a faithful copy); equal rec groups of different instances become one, so
   * a struct one instance makes is the type another one casts to. */
  if ((e = mb__link_wasm(mb_type_interner_new(o, &f->ti, f->diag), f->diag))) return e;
  for (uint32_t i = 0; i < l->ninst && !e; i++)
    if (!(e = alloc_maps(f, &l->inst[i])))
      e = mb__link_wasm(mb_type_interner_add_module(f->ti, l->inst[i].m,
                                                    l->inst[i].map[MB_SPACE_TYPE], f->diag),
                        f->diag);
  for (uint32_t h = 0; h < l->nhosts && !e; h++) {
    if (l->hosts[h].stub) continue;
    mb_import im = *l->hosts[h].im;
    const mb_module *from = l->hosts[h].from;
    if (im.kind == MB_KIND_FUNC) im.u.func_type = output_type(f, from, im.u.func_type);
    if (im.kind == MB_KIND_TAG) im.u.tag_type = output_type(f, from, im.u.tag_type);
    if (im.kind == MB_KIND_GLOBAL) im.u.global.valtype = mb__fuse_valtype(f, from, im.u.global.valtype);
    if (im.kind == MB_KIND_TABLE) im.u.table.elemtype = mb__fuse_valtype(f, from, im.u.table.elemtype);
    e = mb__link_wasm(mb_module_add_import(o, &im, &f->host_slot[h], f->diag), f->diag);
  }
  if (e) return e;
  return MB_LINK_OK;
}

/* Decide every instance's output indices. Stubs are numbered after all definitions. */
static mb_link_err place_instances(mb__fuse *f, uint32_t *stub_base) {
  mb_link *l = f->l;
  mb_module *o = f->out;
  uint32_t next[MB_KIND_COUNT], elem = 0, data = 0;
  for (int k = 0; k < MB_KIND_COUNT; k++) next[k] = o->nimported[k];
  /* first pass: bases of defined entities */
  uint32_t (*bases)[MB_KIND_COUNT] = mb_mem_calloc(&f->l->alloc, l->ninst, sizeof *bases);
  if (!bases) return mb__fuse_nomem(f);
  for (uint32_t i = 0; i < l->ninst; i++)
    for (int k = 0; k < MB_KIND_COUNT; k++) {
      bases[i][k] = next[k];
      next[k] += defined_count(l->inst[i].m, (mb_kind)k);
    }
  *stub_base = next[MB_KIND_FUNC];
  /* stubs: one function per stubbed host import, in host order */
  uint32_t nstub = 0, *stub_index = mb_mem_calloc(&f->l->alloc, l->nhosts ? l->nhosts : 1, sizeof *stub_index);
  if (!stub_index) {
    mb_mem_free(&f->l->alloc, bases);
    return mb__fuse_nomem(f);
  }
  for (uint32_t h = 0; h < l->nhosts; h++)
    if (l->hosts[h].stub) stub_index[h] = *stub_base + nstub++;
  mb_link_err e = MB_LINK_OK;
  for (uint32_t i = 0; i < l->ninst && !e; i++) {
    mb_link_inst *in = &l->inst[i];
    const mb_module *m = in->m;
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
  mb_mem_free(&f->l->alloc, bases);
  mb_mem_free(&f->l->alloc, stub_index);
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

/* Append instance in's definitions (already placed) to the output. The bodies stay the
 * input's bytes, renumbered as they are written: a large module's code is not held a
 * second time (the reader has already checked them). */
static mb_link_err copy_definitions(mb__fuse *f, mb_link_inst *in) {
  mb_remap r = remap_of(in);
  mb_link_err e = mb__link_wasm(mb_module_append(f->out, in->m, &r, MB_APPEND_LAZY, f->diag), f->diag);
  if (e && e != MB_LINK_ERR_NOMEM) {
    size_t n = strlen(f->diag->message);
    snprintf(f->diag->message + n, sizeof f->diag->message - n, " (instance '%s')", in->name);
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
  mb_wasm_reader r = {expr.ptr, expr.ptr, expr.ptr + expr.len, 0, NULL, &f->l->alloc};
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
  mb_buf_init(&b, &f->l->alloc);
  bool changed = false, understood = true;
  mb_link_err e = inline_globals(f, *expr, 0, &b, &changed, &understood);
  mb_wasm_emit(&b, MB_OP_END);
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
  for (uint32_t i = 0; i < o->nglobals && !e; i++) e = inline_const(f, &mb_module_edit_global(o, i)->init);
  for (uint32_t i = 0; i < o->ntables && !e; i++) e = inline_const(f, &mb_module_edit_table(o, i)->init);
  for (uint32_t i = 0; i < o->nelems && !e; i++) {
    mb_elem *s = mb_module_edit_elem(o, i);
    if (s->mode == MB_SEG_ACTIVE) e = inline_const(f, &s->offset);
    for (uint32_t k = 0; s->exprs && k < s->count && !e; k++) e = inline_const(f, &s->items[k]);
  }
  for (uint32_t i = 0; i < o->ndatas && !e; i++)
    if (o->datas[i].mode == MB_SEG_ACTIVE) e = inline_const(f, &mb_module_edit_data(o, i)->offset);
  return e;
}

/* Name function `index` (arena string) in the name section. */
static mb_link_err add_name(mb__fuse *f, const char *name, uint32_t index) {
  if (f->ngen == f->gen_cap) {
    uint32_t cap = f->gen_cap ? f->gen_cap * 2 : 8;
    const char **names = mb_mem_realloc(&f->l->alloc, f->gen_names, cap * sizeof *names);
    if (!names) return mb__fuse_nomem(f);
    f->gen_names = names;
    uint32_t *funcs = mb_mem_realloc(&f->l->alloc, f->gen_funcs, cap * sizeof *funcs);
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
  if (f->body.failed) return mb__fuse_nomem(f);
  mb_link_err e =
      mb__link_wasm(mb_module_add_func(o, type, f->body.data, f->body.len, index, f->diag), f->diag);
  if (e) return e;
  if (f->ngen == f->gen_cap) {
    uint32_t cap = f->gen_cap ? f->gen_cap * 2 : 8;
    const char **names = mb_mem_realloc(&f->l->alloc, f->gen_names, cap * sizeof *names);
    if (!names) return mb__fuse_nomem(f);
    f->gen_names = names;
    uint32_t *funcs = mb_mem_realloc(&f->l->alloc, f->gen_funcs, cap * sizeof *funcs);
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
    uint32_t t = output_type(f, l->hosts[h].from, im->u.func_type), idx;
    mb_link_err e;
    f->body.len = 0;
    mb_buf_byte(&f->body, 0); /* no locals */
    mb_wasm_emit(&f->body, MB_OP_UNREACHABLE);
    mb_wasm_emit(&f->body, MB_OP_END);
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
  mb_buf_init(&f.body, &l->alloc);
  if (!(f.out = mb_module_new(&l->alloc))) return mb_link_fail(diag, MB_LINK_ERR_NOMEM, 0, "out of memory");
  uint32_t stub_base;
  int64_t start_fn = -1, init_fn = -1;
  if ((e = mb__fuse_allocate_output(&f)) || (e = place_imports(&f)) || (e = place_instances(&f, &stub_base)))
    goto out;
  for (uint32_t i = 0; i < l->ninst && !e; i++) e = copy_definitions(&f, &l->inst[i]);
  if (e) goto out;
  if ((e = inline_all_consts(&f))) goto out;
  if ((e = mb__fuse_caller_globals(&f)) || (e = add_stubs(&f)) || (e = mb__fuse_add_gens(&f)) ||
      (e = mb__fuse_add_init(&f, &start_fn, &init_fn)) ||
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
  e = mb__link_customs(l, f.out, f.gen_names, f.gen_funcs, f.ngen, diag);
  if (!e && l->glue >= 0) e = mb__link_resources_custom(l, f.out, diag);
out:
  mb_type_interner_free(f.ti);
  mb_buf_fini(&f.body);
  mb_mem_free(&l->alloc, f.host_slot);
  mb_mem_free(&l->alloc, f.gen_names);
  mb_mem_free(&l->alloc, f.gen_funcs);
  if (e) {
    mb_module_free(f.out);
    return e;
  }
  *out = f.out;
  return MB_LINK_OK;
}
