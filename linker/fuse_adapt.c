/* fuse_adapt.c — the resource ABI's generated functions in the fused module: the legacy
 * intrinsics calling the glue with constant ids, the canonical-ABI adapters between a
 * caller and a callee whose WIT signature carries handles, strings or lists (the common
 * case of each handle operation inline through fuse_fast.c), the caller-memory functions
 * and the proc_exit wrapper. */
#include <string.h>

#include "fuse_fast.h"
#include "fuse_internal.h"

/* The output index of the glue's export `name`. */
mb_link_err mb__fuse_glue_export(mb__fuse *f, const char *name, mb_kind kind, uint32_t *out) {
  const mb_link_inst *g = &f->l->inst[f->l->glue];
  int64_t idx = mb_module_find_export(g->m, name, strlen(name), kind);
  if (idx < 0)
    return mb_link_fail(f->diag, MB_LINK_ERR_UNRESOLVED, 0, "the glue module has no export '%s'", name);
  *out = g->map[mb_kind_space(kind)][idx];
  return MB_LINK_OK;
}

/* The value of the glue's exported immutable global `name`, an i32.const (the address
 * of a data symbol wasm-ld exported). */
static mb_link_err glue_const_global(mb__fuse *f, const char *name, uint32_t *out) {
  const mb_module *m = f->l->inst[f->l->glue].m;
  int64_t idx = mb_module_find_export(m, name, strlen(name), MB_KIND_GLOBAL);
  uint32_t d = idx < 0 ? UINT32_MAX : (uint32_t)idx - m->nimported[MB_KIND_GLOBAL];
  if (idx >= 0 && (uint32_t)idx >= m->nimported[MB_KIND_GLOBAL] && d < m->nglobals) {
    const mb_bytes *x = &m->globals[d].init;
    /* i32.const, a signed LEB128 of at most 5 bytes, end */
    if (x->len >= 3 && x->ptr[0] == 0x41 && x->ptr[x->len - 1] == 0x0B && x->len <= 7) {
      uint32_t v = 0, shift = 0, i = 1;
      for (; i < x->len - 1; i++, shift += 7) v |= (uint32_t)(x->ptr[i] & 0x7F) << shift;
      if (!(x->ptr[x->len - 2] & 0xC0)) { /* last byte, non-negative */
        *out = v;
        return MB_LINK_OK;
      }
    }
  }
  return mb_link_fail(f->diag, MB_LINK_ERR_USAGE, 0,
                      "the glue module has no constant global export '%s'", name);
}


static const char *const intrinsic_glue[] = {
    [MB_GEN_RES_NEW] = "mb_resource_new",   [MB_GEN_RES_REP] = "mb_resource_rep",
    [MB_GEN_RES_DROP] = "mb_resource_drop", [MB_GEN_RES_DUP] = "mb_resource_dup",
    [MB_GEN_RES_DESTROY] = "mb_resource_destroy",
};

/* Bytes of a string or list of `len` (a local) elements, on the stack; traps in
 * `trap` when the size does not fit in 32 bits (the canonical ABI's bounds check). */
static void op_list_bytes(mb_buf *b, const mb_wit_type *t, uint32_t len, uint32_t trap) {
  uint32_t size = t->kind == MB_WIT_STRING ? 1 : t->elem->size;
  if (size > 1) {
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, len);
    mb_wasm_emit_i32(b, (int32_t)(UINT32_MAX / size));
    mb_wasm_emit(b, MB_OP_I32_GT_U);
    mb_wasm_emit_block(b, MB_OP_IF);
    mb_wasm_emit_call(b, trap);
    mb_wasm_emit(b, MB_OP_END);
  }
  mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, len);
  if (size > 1) {
    mb_wasm_emit_i32(b, (int32_t)size);
    mb_wasm_emit(b, MB_OP_I32_MUL);
  }
}

static uint32_t list_align(const mb_wit_type *t) {
  return t->kind == MB_WIT_STRING ? 1 : t->elem->align;
}

/* Handle parameters an adapter moves and lends inline in one run before the call. The
 * limit is that of the glue's one-call entry (virt/glue.c, MB_GLUE_ARGS_MAX) which this
 * path used to call; kept, so adapters are written as before. */
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
  mb__fuse *f;
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
  mb_wasm_emit_u32(a->b, MB_OP_LOCAL_GET, y);
  if (local_is_i64(a, y)) mb_wasm_emit(a->b, MB_OP_I32_WRAP_I64);
}
static void op_set_i32(actx *a, uint32_t y) {
  if (local_is_i64(a, y)) mb_wasm_emit(a->b, MB_OP_I64_EXTEND_I32_U);
  mb_wasm_emit_u32(a->b, MB_OP_LOCAL_SET, y);
}
/* An i32 copy of position y (itself when it is an i32). */
static uint32_t as_i32_local(actx *a, uint32_t y) {
  if (!local_is_i64(a, y)) return y;
  uint32_t t = new_local(a);
  op_get_i32(a, y);
  mb_wasm_emit_u32(a->b, MB_OP_LOCAL_SET, t);
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
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, out);
  } else if (t->kind == MB_WIT_OWN) {
    mb_wasm_emit_i32(b, d->from);
    mb_wasm_emit_i32(b, (int32_t)type_id(a, t->elem));
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, value_local);
    mb_wasm_emit_i32(b, d->to);
    mb_wasm_emit_call(b, a->own_move);
  } else {
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, a->scope);
    mb_wasm_emit_i32(b, (int32_t)type_id(a, t->elem));
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, value_local);
    mb_wasm_emit_call(b, a->lend);
  }
}

static void emit_mem(actx *a, const mb_wit_type *t, const adir *d, uint32_t addr, uint32_t off);

/* A string or list (pointer, length in locals ptr, len, in the source memory): a copy in
 * the destination memory, its elements rewritten; leaves the new pointer in local `out`. */
static void emit_list_copy(actx *a, const mb_wit_type *t, const adir *d, uint32_t ptr,
                           uint32_t len, uint32_t out) {
  mb_buf *b = a->b;
  mb_wasm_emit_i32(b, 0);
  mb_wasm_emit_i32(b, 0);
  mb_wasm_emit_i32(b, (int32_t)list_align(t));
  op_list_bytes(b, t, len, a->f->list_trap);
  mb_wasm_emit_call(b, d->realloc_fn);
  mb_wasm_emit_u32(b, MB_OP_LOCAL_SET, out);
  mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, out);
  mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, ptr);
  op_list_bytes(b, t, len, a->f->list_trap);
  mb_wasm_emit_fc(b, MB_FC_MEMORY_COPY);
  mb_buf_u32(b, d->dst_mem);
  mb_buf_u32(b, d->src_mem);
  if (t->kind == MB_WIT_LIST && has_stuff_t(t->elem)) {
    uint32_t i = new_local(a), e = new_local(a);
    mb_wasm_emit_i32(b, 0);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_SET, i);
    mb_wasm_emit_block(b, MB_OP_BLOCK);
    mb_wasm_emit_block(b, MB_OP_LOOP);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, i);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, len);
    mb_wasm_emit(b, MB_OP_I32_GE_U);
    mb_wasm_emit_u32(b, MB_OP_BR_IF, 1);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, out);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, i);
    mb_wasm_emit_i32(b, (int32_t)t->elem->size);
    mb_wasm_emit(b, MB_OP_I32_MUL);
    mb_wasm_emit(b, MB_OP_I32_ADD);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_SET, e);
    emit_mem(a, t->elem, d, e, 0);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, i);
    mb_wasm_emit_i32(b, 1);
    mb_wasm_emit(b, MB_OP_I32_ADD);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_SET, i);
    mb_wasm_emit_u32(b, MB_OP_BR, 0);
    mb_wasm_emit(b, MB_OP_END);
    mb_wasm_emit(b, MB_OP_END);
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
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, addr);
    mb_wasm_emit_mem(b, MB_OP_I32_LOAD, 2, d->dst_mem, off);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_SET, v);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, addr);
    op_handle(a, t, d, v);
    mb_wasm_emit_mem(b, MB_OP_I32_STORE, 2, d->dst_mem, off);
    break;
  }
  case MB_WIT_STRING:
  case MB_WIT_LIST: {
    uint32_t ptr = new_local(a), len = new_local(a), out = new_local(a);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, addr);
    mb_wasm_emit_mem(b, MB_OP_I32_LOAD, 2, d->dst_mem, off);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_SET, ptr);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, addr);
    mb_wasm_emit_mem(b, MB_OP_I32_LOAD, 2, d->dst_mem, off + 4);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_SET, len);
    emit_list_copy(a, t, d, ptr, len, out);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, addr);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, out);
    mb_wasm_emit_mem(b, MB_OP_I32_STORE, 2, d->dst_mem, off);
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
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, addr);
    mb_wasm_emit_mem(b,
                 t->disc_size == 1   ? MB_OP_I32_LOAD8_U
                 : t->disc_size == 2 ? MB_OP_I32_LOAD16_U
                                     : MB_OP_I32_LOAD,
                 t->disc_size == 1 ? 0 : t->disc_size == 2 ? 1 : 2, d->dst_mem, off);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_SET, disc);
    for (uint32_t c = 0; c < ncases(t); c++) {
      const mb_wit_type *p = case_payload(t, c);
      if (!has_stuff_t(p)) continue;
      mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, disc);
      mb_wasm_emit_i32(b, (int32_t)c);
      mb_wasm_emit(b, MB_OP_I32_EQ);
      mb_wasm_emit_block(b, MB_OP_IF);
      emit_mem(a, p, d, addr, off + t->payload_offset);
      mb_wasm_emit(b, MB_OP_END);
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
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, out);
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
      mb_wasm_emit_i32(b, (int32_t)c);
      mb_wasm_emit(b, MB_OP_I32_EQ);
      mb_wasm_emit_block(b, MB_OP_IF);
      emit_flat(a, p, d, x + 1);
      mb_wasm_emit(b, MB_OP_END);
    }
    break;
  default: break;
  }
}

/* The adapter of g: parameters rewritten caller -> callee, the call (with the caller
 * global of a provider granted caller-memory access), the result rewritten callee ->
 * caller (into the caller's return area when the canonical ABI returns it in memory,
 * then cabi_post_), and the end-of-call check when borrows were lent. */
static mb_link_err adapter_body(mb__fuse *f, const mb_gen *g) {
  mb_link *l = f->l;
  const mb_wit_func *fn = g->func;
  const mb_link_inst *cin = &l->inst[g->inst], *pin = &l->inst[g->callee];
  uint32_t begin = 0, end = 0, np = g->ft->nparams;
  actx a = {.f = f, .g = g, .first_extra = np};
  mb_link_err e;
  if (fn->has_handles &&
      ((e = mb__fuse_glue_export(f, "mb_own_move", MB_KIND_FUNC, &a.own_move)) ||
       (e = mb__fuse_glue_export(f, "mb_borrow_lend", MB_KIND_FUNC, &a.lend)) ||
       (e = mb__fuse_glue_export(f, "mb_call_begin", MB_KIND_FUNC, &begin)) ||
       (e = mb__fuse_glue_export(f, "mb_call_end", MB_KIND_FUNC, &end))))
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
  mb_buf_init(&code, &f->l->alloc);
  a.b = &code;
  mb_buf *b = &code;
  /* The one-run path: every handle a top-level flat parameter, nothing else to rewrite in
   * the parameters, and the result nothing to rewrite or an own<R>. Then the parameters'
   * moves and lends are written inline, in order, and the result's move and the scope's
   * end likewise. */
  uint32_t nhandles = 0, gmem = 0;
  bool one_run = fn->has_handles && !lower.params_in_memory &&
               (!has_stuff_t(fn->result) ||
                (fn->result->kind == MB_WIT_OWN && !lower.result_in_memory));
  for (uint32_t q = 0; q < fn->nparams && one_run; q++) {
    const mb_wit_type *t = fn->params[q].type;
    if (t->kind == MB_WIT_OWN || t->kind == MB_WIT_BORROW)
      one_run = ++nhandles <= MB_FUSED_ARGS_MAX;
    else
      one_run = !has_stuff_t(t);
  }
  /* Inline (fuse_fast.c): the common case of each handle operation written out in the
   * adapter, calling the glue only off it. Instance and type ids become memarg offsets,
   * so they must be small (they always are but for a pathological link: then every
   * handle goes through one call of the glue's full operation, as handles nested in
   * records or lists do; no adapter calls the glue's mb_call_enter/mb_call_leave). */
  mb__fast fc = {.b = b, .own_move = a.own_move, .lend = a.lend, .begin = begin, .end = end};
  bool fast = fn->has_handles && (uint32_t)caller < MB__FAST_MAX_ID &&
              (uint32_t)callee < MB__FAST_MAX_ID;
  for (uint32_t k = 0; k < g->nres && fast; k++) fast = g->res_ids[k] < MB__FAST_MAX_ID;
  if (fast && (e = mb__fuse_glue_export(f, "memory", MB_KIND_MEMORY, &gmem))) {
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
  bool inl = one_run && fast;
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
  } else if (borrows && fast) {
    mb__fast_phase(&fc, caller, callee);
    mb__fast_begin(&fc, caller, callee, a.scope);
  } else if (borrows) {
    mb_wasm_emit_i32(b, caller);
    mb_wasm_emit_i32(b, callee);
    mb_wasm_emit_call(b, begin);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_SET, a.scope);
  }
  if (inl) {
    /* the parameters are done */
  } else if (lower.params_in_memory) {
    /* local 0 points to the parameters as a tuple in the caller's memory: a copy in the
     * callee's, each parameter rewritten where it lies */
    uint32_t copy = new_local(&a);
    mb_wasm_emit_i32(b, 0);
    mb_wasm_emit_i32(b, 0);
    mb_wasm_emit_i32(b, (int32_t)fn->params_align);
    mb_wasm_emit_i32(b, (int32_t)fn->params_size);
    mb_wasm_emit_call(b, down.realloc_fn);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_SET, copy);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, copy);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, 0);
    mb_wasm_emit_i32(b, (int32_t)fn->params_size);
    mb_wasm_emit_fc(b, MB_FC_MEMORY_COPY);
    mb_buf_u32(b, down.dst_mem);
    mb_buf_u32(b, down.src_mem);
    uint64_t off = 0;
    for (uint32_t q = 0; q < fn->nparams; q++) {
      const mb_wit_type *t = fn->params[q].type;
      off = (off + t->align - 1) / t->align * t->align;
      emit_mem(&a, t, &down, copy, (uint32_t)off);
      off += t->size;
    }
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, copy);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_SET, 0);
  } else {
    for (uint32_t q = 0, x = 0; q < fn->nparams; x += fn->params[q++].type->nflat)
      emit_flat(&a, fn->params[q].type, &down, x);
  }
  /* the callee's arguments: the caller's, less the return pointer of a result in memory */
  for (uint32_t i = 0; i < np - (lower.result_in_memory ? 1u : 0u); i++) mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, i);
  if (pin->caller_memory) {
    mb_wasm_emit_u32(b, MB_OP_GLOBAL_GET, pin->caller_global);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_SET, saved);
    mb_wasm_emit_i32(b, caller);
    mb_wasm_emit_u32(b, MB_OP_GLOBAL_SET, pin->caller_global);
  }
  mb_wasm_emit_call(b, pin->map[MB_SPACE_FUNC][g->callee_func]);
  if (pin->caller_memory) {
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, saved);
    mb_wasm_emit_u32(b, MB_OP_GLOBAL_SET, pin->caller_global);
  }
  const mb_wit_type *rt = fn->result;
  if (rt && lower.result_in_memory) {
    uint32_t retptr = np - 1;
    mb_wasm_emit_u32(b, MB_OP_LOCAL_SET, result);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, retptr);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, result);
    mb_wasm_emit_i32(b, (int32_t)rt->size);
    mb_wasm_emit_fc(b, MB_FC_MEMORY_COPY);
    mb_buf_u32(b, cmem);
    mb_buf_u32(b, pmem);
    emit_mem(&a, rt, &up, retptr, 0);
    if (g->callee_post >= 0) {
      mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, result);
      mb_wasm_emit_call(b, pin->map[MB_SPACE_FUNC][g->callee_post]);
    }
  } else if (inl && rt && has_stuff_t(rt)) {
    mb_wasm_emit_u32(b, MB_OP_LOCAL_SET, result);
    mb__fast_phase(&fc, caller, callee);
    mb__fast_move(&fc, callee, caller, type_id(&a, rt->elem), result, result);
    if (borrows) mb__fast_end(&fc, a.scope);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, result);
    borrows = false;
  } else if (rt && has_stuff_t(rt)) {
    mb_wasm_emit_u32(b, MB_OP_LOCAL_SET, result);
    emit_flat(&a, rt, &up, result);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, result);
  }
  if (borrows && fast) {
    mb__fast_phase(&fc, caller, callee);
    mb__fast_end(&fc, a.scope);
  } else if (borrows) {
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, a.scope);
    mb_wasm_emit_call(b, end);
  }
  mb_wasm_emit(b, MB_OP_END);
  mb_buf *body = &f->body;
  body->len = 0;
  mb_buf_byte(body, 1);
  mb_buf_u32(body, a.nextra);
  mb_buf_byte(body, MB_VT_I32);
  mb_buf_append(body, code.data, code.len);
  e = code.failed ? mb__fuse_nomem(f) : MB_LINK_OK;
  mb_buf_fini(&code);
  return e;
}

/* A call into a provider with caller-memory access: its caller global says who calls
 * for the duration of the call (saved and restored, so nested calls unwind right). */
static void call_as_body(mb__fuse *f, const mb_gen *g) {
  const mb_link_inst *pin = &f->l->inst[g->callee];
  uint32_t np = g->ft->nparams, glob = pin->caller_global;
  mb_buf *b = &f->body;
  b->len = 0;
  mb_buf_append(b, "\x01\x01\x7f", 3);
  mb_wasm_emit_u32(b, MB_OP_GLOBAL_GET, glob);
  mb_wasm_emit_u32(b, MB_OP_LOCAL_SET, np);
  mb_wasm_emit_i32(b, g->inst);
  mb_wasm_emit_u32(b, MB_OP_GLOBAL_SET, glob);
  for (uint32_t i = 0; i < np; i++) mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, i);
  mb_wasm_emit_call(b, pin->map[MB_SPACE_FUNC][g->callee_func]);
  mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, np);
  mb_wasm_emit_u32(b, MB_OP_GLOBAL_SET, glob);
  mb_wasm_emit(b, MB_OP_END);
}

/* membrane:caller.read/write/size in provider g->inst: one branch per instance that
 * calls it through a wired import, each one memory.copy (or memory.size) between the
 * two memories; no caller: the trap function `no_caller`. */
static mb_link_err caller_body(mb__fuse *f, const mb_gen *g, uint32_t no_caller) {
  mb_link *l = f->l;
  const mb_link_inst *pin = &l->inst[g->inst];
  int64_t pm = mb_module_find_export(pin->m, "memory", 6, MB_KIND_MEMORY);
  if (pm < 0) pm = 0;
  if (pin->count[MB_SPACE_MEMORY] == 0)
    return mb_link_fail(f->diag, MB_LINK_ERR_ABI, 0,
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
    int64_t cm = mb_module_find_export(cin->m, "memory", 6, MB_KIND_MEMORY);
    uint32_t cmem = cin->map[MB_SPACE_MEMORY][cm < 0 ? 0 : cm];
    mb_wasm_emit_u32(b, MB_OP_GLOBAL_GET, pin->caller_global);
    mb_wasm_emit_i32(b, (int32_t)c);
    mb_wasm_emit(b, MB_OP_I32_EQ);
    mb_wasm_emit_block(b, MB_OP_IF);
    if (g->kind == MB_GEN_CALLER_SIZE) {
      mb_wasm_emit(b, MB_OP_MEMORY_SIZE);
      mb_buf_u32(b, cmem);
    } else {
      for (uint32_t i = 0; i < 3; i++) mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, i);
      mb_wasm_emit_fc(b, MB_FC_MEMORY_COPY);
      mb_buf_u32(b, g->kind == MB_GEN_CALLER_READ ? pmem : cmem);
      mb_buf_u32(b, g->kind == MB_GEN_CALLER_READ ? cmem : pmem);
    }
    mb_wasm_emit(b, MB_OP_RETURN);
    mb_wasm_emit(b, MB_OP_END);
  }
  mb_wasm_emit_call(b, no_caller);
  if (g->kind == MB_GEN_CALLER_SIZE) mb_wasm_emit_i32(b, 0); /* unreachable after the call: types */
  mb_wasm_emit(b, MB_OP_END);
  return MB_LINK_OK;
}

/* Every instance but the glue torn down, consumers first (reverse dependency order), so
 * each instance's handles are dropped and destructors run while their definers live. */
void mb__fuse_teardowns(const mb_link *l, mb_buf *b, uint32_t teardown) {
  for (uint32_t k = l->ninst; k-- > 0;) {
    int i = l->order[k];
    if (i == l->glue) continue;
    mb_wasm_emit_i32(b, i);
    mb_wasm_emit_call(b, teardown);
  }
}

/* WASI proc_exit(code) with the resource ABI: the calls it exits from never return, so
 * their scopes are closed first (mb_unwind); then every instance is torn down, as at the
 * end of _start, and the host's proc_exit gets the code. */
static mb_link_err exit_body(mb__fuse *f, const mb_gen *g) {
  uint32_t unwind, teardown;
  mb_link_err e;
  if ((e = mb__fuse_glue_export(f, "mb_unwind", MB_KIND_FUNC, &unwind)) ||
      (e = mb__fuse_glue_export(f, "mb_teardown", MB_KIND_FUNC, &teardown)))
    return e;
  mb_buf *b = &f->body;
  b->len = 0;
  mb_buf_byte(b, 0);
  mb_wasm_emit_call(b, unwind);
  mb__fuse_teardowns(f->l, b, teardown);
  mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, 0);
  mb_wasm_emit_call(b, f->host_slot[g->host]);
  mb_wasm_emit(b, MB_OP_END);
  return MB_LINK_OK;
}

/* Generated functions for the imports link_res.c recorded, numbered right after the
 * stubs, in order; then the trap functions of membrane:caller and of the adapters. */
mb_link_err mb__fuse_add_gens(mb__fuse *f) {
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
    mb_link_err e = mb__fuse_add_type(f, g->ft, &t);
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
      mb_wasm_emit_u32(&f->body, MB_OP_GLOBAL_GET, l->inst[g->inst].caller_global);
      mb_wasm_emit(&f->body, MB_OP_END);
    } else if (g->kind >= MB_GEN_CALLER_READ && g->kind <= MB_GEN_CALLER_SIZE) {
      if ((e = caller_body(f, g, no_caller))) return e;
    } else {
      if ((e = mb__fuse_glue_export(f, intrinsic_glue[g->kind], MB_KIND_FUNC, &fn))) return e;
      f->body.len = 0;
      mb_buf_byte(&f->body, 0);
      mb_wasm_emit_i32(&f->body, g->inst);
      mb_wasm_emit_i32(&f->body, (int32_t)g->type);
      mb_wasm_emit_u32(&f->body, MB_OP_LOCAL_GET, 0);
      mb_wasm_emit_call(&f->body, fn);
      mb_wasm_emit(&f->body, MB_OP_END);
    }
    if ((e = mb__fuse_add_generated(f, t, g->name, &idx))) return e;
  }
  if (any_caller) {
    uint32_t t, idx;
    mb_link_err e = mb__fuse_add_type(f, &mb__fuse_void_type, &t);
    if (e) return e;
    f->body.len = 0;
    mb_buf_byte(&f->body, 0); /* no locals */
    mb_wasm_emit(&f->body, MB_OP_UNREACHABLE);
    mb_wasm_emit(&f->body, MB_OP_END);
    if ((e = mb__fuse_add_generated(f, t, "membrane: no calling instance", &idx))) return e;
  }
  if (any_adapter) {
    uint32_t t, idx;
    mb_link_err e = mb__fuse_add_type(f, &mb__fuse_void_type, &t);
    if (e) return e;
    f->body.len = 0;
    mb_buf_byte(&f->body, 0); /* no locals */
    mb_wasm_emit(&f->body, MB_OP_UNREACHABLE);
    mb_wasm_emit(&f->body, MB_OP_END);
    if ((e = mb__fuse_add_generated(f, t, "membrane: list too long to copy", &idx))) return e;
    if (idx != f->list_trap) return mb_link_fail(f->diag, MB_LINK_ERR_USAGE, 0, "internal: trap index");
  }
  return MB_LINK_OK;
}

