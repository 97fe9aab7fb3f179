/* fuse_init.c — what runs and what is seen of the fused module: the caller globals, the
 * start function (resource-ABI registration, each instance's segment initialization and
 * start in dependency order), the exports and the exported `memory` rule, the hidden
 * exports, and the output's arrays sized before anything is placed. */
#include <stdio.h>
#include <string.h>

#include "fuse_internal.h"

/* One mutable i32 global per instance with caller-memory access: the link index of the
 * instance whose call is running in it, -1 for none. */
mb_link_err mb__fuse_caller_globals(mb__fuse *f) {
  mb_link *l = f->l;
  static const uint8_t minus_one[] = {0x41, 0x7F, 0x0B};
  static const mb_global g = {{0x7F, true}, {minus_one, sizeof minus_one}};
  mb_err e = MB_OK;
  for (uint32_t i = 0; i < l->ninst && !e; i++)
    if (l->inst[i].caller_memory)
      e = mb_module_add_global(f->out, &g, &l->inst[i].caller_global, f->diag);
  return mb__link_wasm(e, f->diag);
}

/* The first start function: one runtime instance per input (ids = link indices, the
 * glue last and without one), then every resource type in mb_link.rtypes order (ids =
 * indices), its name written into the glue's memory and its destructor appended to the
 * glue's function table. */
static mb_link_err add_res_init(mb__fuse *f, uint32_t *index) {
  mb_link *l = f->l;
  uint32_t inst_new, type_new, alloc, mem, table, t;
  mb_link_err e;
  if ((e = mb__fuse_glue_export(f, "mb_instance_new", MB_KIND_FUNC, &inst_new)) ||
      (e = mb__fuse_glue_export(f, "mb_type_new", MB_KIND_FUNC, &type_new)) ||
      (e = mb__fuse_glue_export(f, "mb_alloc", MB_KIND_FUNC, &alloc)) ||
      (e = mb__fuse_glue_export(f, "memory", MB_KIND_MEMORY, &mem)) ||
      (e = mb__fuse_glue_export(f, "__indirect_function_table", MB_KIND_TABLE, &table)) ||
      (e = mb__fuse_add_type(f, &mb__fuse_void_type, &t)))
    return e;
  mb_buf *b = &f->body;
  b->len = 0;
  mb_buf_append(b, "\x01\x01\x7f", 3); /* one i32 local: the name */
  for (uint32_t i = 0; i < l->ninst; i++) {
    if ((int)i == l->glue) continue;
    mb_wasm_emit_call(b, inst_new);
    mb_wasm_emit(b, MB_OP_DROP); /* drop: the id is i */
  }
  for (uint32_t k = 0; k < l->nrtypes; k++) {
    const mb_rtype *r = &l->rtypes[k];
    char name[600];
    int n = snprintf(name, sizeof name, "%s#%s", r->iface, r->name);
    if (n < 0 || (size_t)n >= sizeof name) n = (int)strlen(name);
    mb_wasm_emit_i32(b, n);
    mb_wasm_emit_call(b, alloc);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_SET, 0);
    for (int j = 0; j < n; j++) {
      mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, 0);
      mb_wasm_emit_i32(b, (uint8_t)name[j]);
      mb_wasm_emit_mem(b, MB_OP_I32_STORE8, 0, mem, (uint32_t)j);
    }
    mb_wasm_emit_i32(b, r->definer);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, 0);
    mb_wasm_emit_i32(b, n);
    if (r->dtor >= 0) {
      mb_wasm_emit_u32(b, MB_OP_REF_FUNC, l->inst[r->definer].map[MB_SPACE_FUNC][r->dtor]);
      mb_wasm_emit_i32(b, 1);
      mb_wasm_emit_fc(b, MB_FC_TABLE_GROW); /* the old size is the new entry's index */
      mb_buf_u32(b, table);
    } else {
      mb_wasm_emit_i32(b, 0);
    }
    mb_wasm_emit_call(b, type_new);
    mb_wasm_emit(b, MB_OP_DROP);
  }
  mb_wasm_emit(b, MB_OP_END);
  return mb__fuse_add_generated(f, t, "membrane:resource-init", index);
}

/* A command's entry with the resource ABI: reactors' _initialize, main's _start, then
 * every instance torn down, consumers first (reverse dependency order), so each
 * instance's handles are dropped and destructors run while their definers are alive.
 * With no callees: the explicit teardown export of a reactor. */
static mb_link_err add_res_start(mb__fuse *f, const uint32_t *callees, uint32_t n, const char *name,
                                 uint32_t *index) {
  mb_link *l = f->l;
  uint32_t teardown, t;
  mb_link_err e;
  if ((e = mb__fuse_glue_export(f, "mb_teardown", MB_KIND_FUNC, &teardown)) ||
      (e = mb__fuse_add_type(f, &mb__fuse_void_type, &t)))
    return e;
  mb_buf *b = &f->body;
  b->len = 0;
  mb_buf_byte(b, 0);
  for (uint32_t i = 0; i < n; i++) mb_wasm_emit_call(b, callees[i]);
  mb__fuse_teardowns(l, b, teardown);
  mb_wasm_emit(b, MB_OP_END);
  return mb__fuse_add_generated(f, t, name, index);
}

/* A function calling `n` functions in order. */
static mb_link_err add_caller(mb__fuse *f, const uint32_t *callees, uint32_t n, const char *name,
                              uint32_t *index) {
  uint32_t t;
  mb_link_err e = mb__fuse_add_type(f, &mb__fuse_void_type, &t);
  if (e) return e;
  f->body.len = 0;
  mb_buf_byte(&f->body, 0);
  for (uint32_t i = 0; i < n; i++) {
    mb_wasm_emit_call(&f->body, callees[i]);
  }
  mb_wasm_emit(&f->body, MB_OP_END);
  return mb__fuse_add_generated(f, t, name, index);
}

typedef struct out_export {
  const char *name; /* NUL-terminated, arena or caller-owned for the fuse's duration */
  size_t len;
  mb_kind kind;
  uint32_t index;
} out_export;

static mb_link_err push_export(mb__fuse *f, out_export *v, uint32_t *n, uint32_t cap, const char *name,
                               size_t len, mb_kind kind, uint32_t index) {
  for (uint32_t i = 0; i < *n; i++)
    if (v[i].len == len && memcmp(v[i].name, name, len) == 0)
      return mb_link_fail(f->diag, MB_LINK_ERR_CONFLICT, 0,
                          "two exports of the output are called '%.*s'; rename one with --export "
                          "INST.NAME=AS",
                          (int)len, name);
  if (*n == cap) return mb_link_fail(f->diag, MB_LINK_ERR_CONFLICT, 0, "too many exports");
  v[(*n)++] = (out_export){name, len, kind, index};
  return MB_LINK_OK;
}


/* The memory the host's WASI reads: memory 0 of every instance that imports host WASI
 * functions directly. Two different ones cannot both be served. */
mb_link_err mb__fuse_wasi_memory(mb__fuse *f, int64_t *mem) {
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
      return mb_link_fail(f->diag, MB_LINK_ERR_CONFLICT, 0,
                          "instances '%s' and '%s' both call the host's WASI but have different "
                          "memories; the host can read only one (exported as 'memory'). Let one of "
                          "them reach WASI through the other, or share a memory",
                          l->inst[owner].name, in->name);
    *mem = m0;
    owner = (int)i;
  }
  return MB_LINK_OK;
}

mb_link_err mb__fuse_build_exports(mb__fuse *f, int64_t start_fn, int64_t init_fn) {
  mb_link *l = f->l;
  mb_module *o = f->out;
  const mb_link_inst *main = &l->inst[l->main];
  uint32_t cap = (l->nexports ? l->nexports : main->m->nexports) + 3, n = 0;
  out_export *v = mb_mem_calloc(&f->l->alloc, cap, sizeof *v);
  if (!v) return mb__fuse_nomem(f);
  mb_link_err e = MB_LINK_OK;
  int64_t mem;
  if ((e = mb__fuse_wasi_memory(f, &mem))) goto out;
  if (l->nexports) {
    for (uint32_t i = 0; i < l->nexports && !e; i++) {
      const mb_link_export_sel *x = &l->exports[i];
      const mb_link_inst *in = NULL;
      for (uint32_t k = 0; k < l->ninst; k++)
        if (strcmp(l->inst[k].name, x->inst) == 0) in = &l->inst[k];
      int64_t idx = -1;
      int kind = 0;
      for (; kind < MB_KIND_COUNT && idx < 0; kind++)
        idx = mb_module_find_export(in->m, x->name, strlen(x->name), (mb_kind)kind);
      if (idx < 0) {
        e = mb_link_fail(f->diag, MB_LINK_ERR_OPTION, 0,
                         "--export %s.%s: instance '%s' (%s) has no export '%s'", x->inst, x->name,
                         x->inst, in->path, x->name);
        break;
      }
      kind--;
      uint32_t to = in->map[mb_kind_space(kind)][idx];
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
      uint32_t idx = main->map[mb_kind_space(x->kind)][x->index];
      if (x->kind == MB_KIND_FUNC && start_fn >= 0 && mb_bytes_eq(x->name, "_start"))
        idx = (uint32_t)start_fn;
      if (x->kind == MB_KIND_FUNC && init_fn >= 0 && mb_bytes_eq(x->name, "_initialize"))
        idx = (uint32_t)init_fn;
      if (mem >= 0 && x->kind == MB_KIND_MEMORY && mb_bytes_eq(x->name, "memory"))
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
          e = mb_link_fail(f->diag, MB_LINK_ERR_CONFLICT, 0,
                           "the export 'memory' must be the memory of the instance that calls the "
                           "host's WASI; export something else under that name with a different AS");
        has = true;
      }
    if (!e && !has) e = push_export(f, v, &n, cap, "memory", 6, MB_KIND_MEMORY, (uint32_t)mem);
  }
  if (!e) e = mb__link_wasm(mb_module_reserve(o, MB_SEC_EXPORT, n, f->diag), f->diag);
  for (uint32_t i = 0; i < n && !e; i++)
    e = mb__link_wasm(mb_module_add_export(o, v[i].name, v[i].len, v[i].kind, v[i].index, f->diag),
                      f->diag);
out:
  mb_mem_free(&f->l->alloc, v);
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
static mb_link_err add_segment_init(mb__fuse *f, const mb_link_inst *in, uint32_t *index, bool *made) {
  mb_module *o = f->out;
  const mb_module *m = in->m;
  mb_buf *b = &f->body;
  *made = false;
  b->len = 0;
  mb_buf_byte(b, 0);
  for (uint32_t i = 0; i < m->nelems; i++) {
    uint32_t seg = in->map[MB_SPACE_ELEM][i];
    if (o->elems[seg].mode != MB_SEG_ACTIVE) continue;
    mb_elem *s = mb_module_edit_elem(o, seg);
    mb_buf_append(b, s->offset.ptr, s->offset.len - 1); /* the expression without its end */
    mb_wasm_emit_i32(b, 0);
    mb_wasm_emit_i32(b, (int32_t)s->count);
    mb_wasm_emit_fc(b, MB_FC_TABLE_INIT); /* seg table */
    mb_buf_u32(b, seg);
    mb_buf_u32(b, s->table);
    mb_wasm_emit_fc(b, MB_FC_ELEM_DROP);
    mb_buf_u32(b, seg);
    s->mode = MB_SEG_PASSIVE;
    *made = true;
  }
  for (uint32_t i = 0; i < m->ndatas; i++) {
    uint32_t seg = in->map[MB_SPACE_DATA][i];
    if (o->datas[seg].mode != MB_SEG_ACTIVE) continue;
    mb_data *d = mb_module_edit_data(o, seg);
    mb_buf_append(b, d->offset.ptr, d->offset.len - 1);
    mb_wasm_emit_i32(b, 0);
    mb_wasm_emit_i32(b, (int32_t)(uint32_t)d->bytes.len); /* as u32: memory.init reads it so */
    mb_wasm_emit_fc(b, MB_FC_MEMORY_INIT); /* seg memory */
    mb_buf_u32(b, seg);
    mb_buf_u32(b, d->memory);
    mb_wasm_emit_fc(b, MB_FC_DATA_DROP);
    mb_buf_u32(b, seg);
    d->mode = MB_SEG_PASSIVE;
    *made = true;
  }
  mb_wasm_emit(b, MB_OP_END);
  if (!*made) return MB_LINK_OK;
  mb_module_set_datacount(o, true); /* memory.init and data.drop need it */
  uint32_t t;
  mb_link_err e = mb__fuse_add_type(f, &mb__fuse_void_type, &t);
  if (e) return e;
  char name[300];
  snprintf(name, sizeof name, "membrane:segments %s", in->name);
  return mb__fuse_add_generated(f, t, name, index);
}

mb_link_err mb__fuse_add_init(mb__fuse *f, int64_t *start_fn, int64_t *init_fn) {
  mb_link *l = f->l;
  mb_module *o = f->out;
  const mb_link_inst *main = &l->inst[l->main];
  int64_t main_start = mb_module_find_export(main->m, "_start", 6, MB_KIND_FUNC);
  int64_t main_init = mb_module_find_export(main->m, "_initialize", 11, MB_KIND_FUNC);
  uint32_t *starts = mb_mem_calloc(&f->l->alloc, 2 * l->ninst + 2, sizeof *starts);
  uint32_t *inits = mb_mem_calloc(&f->l->alloc, l->ninst + 1, sizeof *inits);
  uint32_t nstarts = 0, ninits = 0;
  mb_link_err e = MB_LINK_OK;
  if (!starts || !inits) {
    e = mb__fuse_nomem(f);
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
    int64_t ini = mb_module_find_export(in->m, "_initialize", 11, MB_KIND_FUNC);
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
    if ((e = mb__fuse_wasi_memory(f, &mem))) goto out;
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
    mb_module_set_start(o, starts[0]);
  } else if (nstarts > 1) {
    uint32_t idx;
    if ((e = add_caller(f, starts, nstarts, "membrane:start", &idx))) goto out;
    mb_module_set_start(o, idx);
  }
out:
  mb_mem_free(&f->l->alloc, starts);
  mb_mem_free(&f->l->alloc, inits);
  return e;
}

/* A function an instance exports counts as declared for `ref.func` in its code; an
 * export the output does not keep would leave such a ref.func invalid ("undeclared
 * function reference"). One declarative element segment declares them. */
mb_link_err mb__fuse_hidden_exports(mb__fuse *f) {
  mb_link *l = f->l;
  mb_module *o = f->out;
  uint32_t cap = 0, n = 0;
  for (uint32_t i = 0; i < l->ninst; i++) cap += l->inst[i].m->nexports;
  uint32_t *funcs = mb__fuse_arr(f, cap, sizeof *funcs);
  if (!funcs) return mb__fuse_nomem(f);
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
  if (!n) return MB_LINK_OK;
  const mb_elem seg = {.mode = MB_SEG_DECLARATIVE, .reftype = 0x70, .count = n, .funcs = funcs};
  return mb__link_wasm(mb_module_add_elem(o, &seg, NULL, f->diag), f->diag);
}

mb_link_err mb__fuse_allocate_output(mb__fuse *f) {
  mb_link *l = f->l;
  mb_module *o = f->out;
  /* Exact for what is copied from the inputs; for the generated types and functions a
   * first guess (the model grows past it), so the output's arrays are allocated once. */
  uint64_t types = 1 + 16, funcs = 5 + 2 * (uint64_t)l->ninst + l->ngens, tables = 0, mems = 0,
           globals = 0, tags = 0, elems = 1 /* declare_hidden_exports */, datas = 0;
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
  }
  if (types > UINT32_MAX || funcs > UINT32_MAX || tables > UINT32_MAX || mems > UINT32_MAX ||
      globals > UINT32_MAX || tags > UINT32_MAX || elems > UINT32_MAX || datas > UINT32_MAX)
    return mb_link_fail(f->diag, MB_LINK_ERR_TOO_LARGE, 0, "the fused module would be too large");
  static const mb_sec secs[] = {MB_SEC_TYPE,   MB_SEC_FUNCTION, MB_SEC_TABLE,   MB_SEC_MEMORY,
                                MB_SEC_GLOBAL, MB_SEC_TAG,      MB_SEC_ELEMENT, MB_SEC_DATA};
  const uint64_t want[] = {types, funcs, tables, mems, globals, tags, elems, datas};
  for (size_t i = 0; i < sizeof secs / sizeof *secs; i++)
    if (mb_module_reserve(o, secs[i], (uint32_t)want[i], f->diag)) return mb__fuse_nomem(f);
  if (mems + o->nimported[MB_KIND_MEMORY] > 1) o->features |= MB_FEAT_MULTI_MEMORY;
  return MB_LINK_OK;
}
