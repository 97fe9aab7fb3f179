/* glue.c — the wasm32 glue instance: the runtime behind i32 exports (the ABI is written
 * in membrane_virt.h, "The wasm32 glue"). wasm32 build only.
 *
 * Every operation has two exports: NAME_e returns the error code and leaves the result
 * in mb_result(); NAME returns the result and traps on error inside a function whose
 * name is the error message, so the engine's stack trace says what went wrong. The trap
 * functions get those names through asm labels (symbol names may be any string in wasm
 * objects); they are kept out of line and distinct so the name section keeps them. */
#include "membrane_glue_abi.h"
#include "internal.h"

/* MB_GLUE_NATIVE: tests/fuzz/fuzz_handles.c compiles this file natively too, to run
 * the same entries (fast paths included) against the library's single operations; traps
 * and destructor calls then go to the two hooks it defines, and the wasm32 layout checks
 * do not apply. */
#ifdef MB_GLUE_NATIVE
#define EXPORT(name)
__attribute__((noreturn)) void mb__glue_native_trap(int32_t code);
void mb__glue_native_dtor(uint32_t index, int32_t rep);
#elif !defined(__wasm__)
#error "glue.c is only for the wasm32 glue"
#else
#define EXPORT(name) __attribute__((export_name(name)))
#endif

#ifndef MB_GLUE_NATIVE
/* The runtime's allocation hook over the wasm32 allocator; realloc(ptr, 0) frees. */
void *mb__glue_realloc(void *ptr, size_t size, void *user) {
  (void)user;
  if (size == 0) {
    free(ptr);
    return NULL;
  }
  return realloc(ptr, size);
}
#endif

/* The one runtime, in static memory: initialised as mb_rt_new would (zeroes, the glue's
 * allocator, the maximum table size), so it needs no start function and its fields sit
 * at constant addresses the hot paths load without a pointer chase first. */
mb_rt mb_rt_store = {.realloc = mb__glue_realloc, .max_handles = MB_HT_MAX_HANDLES};
#define g_rt (&mb_rt_store)

/* The layout the fused adapters' inline hot paths assume (membrane_glue_abi.h). */
#ifdef MB_GLUE_NATIVE
#define LAYOUT(a, b)
#else
#define LAYOUT(a, b) _Static_assert((a) == (b), #a " is not " #b " (update membrane_glue_abi.h)");
#endif
LAYOUT(offsetof(mb_rt, insts), MB_GL_RT_INSTS)
LAYOUT(offsetof(mb_rt, ninsts), MB_GL_RT_NINSTS)
LAYOUT(offsetof(mb_rt, types), MB_GL_RT_TYPES)
LAYOUT(offsetof(mb_rt, res), MB_GL_RT_RES)
LAYOUT(offsetof(mb_rt, scopes), MB_GL_RT_SCOPES)
LAYOUT(offsetof(mb_rt, nscopes), MB_GL_RT_NSCOPES)
LAYOUT(offsetof(mb_rt, scopes_cap), MB_GL_RT_SCOPES_CAP)
LAYOUT(offsetof(mb_rt, scope_serial), MB_GL_RT_SCOPE_SERIAL)
LAYOUT(offsetof(mb_rt, lenders), MB_GL_RT_LENDERS)
LAYOUT(offsetof(mb_rt, nlenders), MB_GL_RT_NLENDERS)
LAYOUT(offsetof(mb_rt, lenders_cap), MB_GL_RT_LENDERS_CAP)
LAYOUT(sizeof(mb__inst), MB_GL_INST_SIZE)
LAYOUT(offsetof(mb__inst, ht), 0)
LAYOUT(offsetof(mb__ht, slots), MB_GL_HT_SLOTS)
LAYOUT(offsetof(mb__ht, cap), MB_GL_HT_CAP)
LAYOUT(offsetof(mb__ht, len), MB_GL_HT_LEN)
LAYOUT(offsetof(mb__ht, free_head), MB_GL_HT_FREE_HEAD)
LAYOUT(offsetof(mb__ht, free_tail), MB_GL_HT_FREE_TAIL)
LAYOUT(offsetof(mb__ht, serial), MB_GL_HT_SERIAL)
LAYOUT(sizeof(mb__slot), MB_GL_SLOT_SIZE)
LAYOUT(offsetof(mb__slot, key), MB_GL_SLOT_KEY)
LAYOUT(offsetof(mb__slot, type), MB_GL_SLOT_TYPE)
LAYOUT(offsetof(mb__slot, res), MB_GL_SLOT_RES)
LAYOUT(offsetof(mb__slot, lends), MB_GL_SLOT_LENDS)
LAYOUT(offsetof(mb__slot, serial), MB_GL_SLOT_SERIAL)
LAYOUT(offsetof(mb__slot, depth), MB_GL_SLOT_DEPTH)
LAYOUT(MB_HT_INDEX_BITS, MB_GL_INDEX_BITS)
LAYOUT(sizeof(mb__type), MB_GL_TYPE_SIZE)
LAYOUT(offsetof(mb__type, definer), MB_GL_TYPE_DEFINER)
LAYOUT(sizeof(mb__res), MB_GL_RES_SIZE)
LAYOUT(offsetof(mb__res, rep), MB_GL_RES_REP)
LAYOUT(offsetof(mb__res, refs), MB_GL_RES_REFS)
LAYOUT(offsetof(mb__res, destroyed), MB_GL_RES_DESTROYED)
LAYOUT(sizeof(mb__scope), MB_GL_SCOPE_SIZE)
LAYOUT(offsetof(mb__scope, id), MB_GL_SCOPE_ID)
LAYOUT(offsetof(mb__scope, caller), MB_GL_SCOPE_CALLER)
LAYOUT(offsetof(mb__scope, callee), MB_GL_SCOPE_CALLEE)
LAYOUT(offsetof(mb__scope, borrows), MB_GL_SCOPE_BORROWS)
LAYOUT(offsetof(mb__scope, lender_base), MB_GL_SCOPE_LENDER_BASE)
LAYOUT(sizeof(mb__lender), MB_GL_LENDER_SIZE)
LAYOUT(offsetof(mb__lender, inst), MB_GL_LENDER_INST)
LAYOUT(offsetof(mb__lender, slot), MB_GL_LENDER_SLOT)
static int32_t g_result;
/* The code of the last trap, for a debugger: the trap functions must differ anyway. */
static volatile int32_t g_trap_code;

#ifdef MB_GLUE_NATIVE
#define TRAP_FN(ident, code, message)                                                     \
  __attribute__((noinline, noreturn, cold)) static void ident(void) {                    \
    g_trap_code = code;                                                                  \
    mb__glue_native_trap(code);                                                          \
  }
#else
#define TRAP_FN(ident, code, message)                                                     \
  __attribute__((noinline, noreturn, cold)) static void ident(void) __asm__(message);     \
  static void ident(void) {                                                              \
    g_trap_code = code;                                                                  \
    __builtin_trap();                                                                    \
  }
#endif

/* The names must equal mb_virt_err_message(code); tests/integration checks the stack. */
TRAP_FN(trap_invalid_handle, 1, "membrane: unknown handle")
TRAP_FN(trap_dropped, 2, "membrane: use of dropped handle")
TRAP_FN(trap_wrong_type, 3, "membrane: handle of wrong resource type")
TRAP_FN(trap_borrow_outlived, 4, "membrane: borrow outlived its call")
TRAP_FN(trap_lent, 5, "membrane: lent handle dropped or moved")
TRAP_FN(trap_destroyed, 6, "membrane: use of destroyed resource")
TRAP_FN(trap_table_exhausted, 7, "membrane: handle table exhausted")
TRAP_FN(trap_not_definer, 8, "membrane: resource.new/rep outside the definer")
TRAP_FN(trap_not_own, 9, "membrane: borrowed handle used as owned")
TRAP_FN(trap_scope, 10, "membrane: call scope is not the innermost open call")
TRAP_FN(trap_busy, 11, "membrane: instance torn down during a call")
TRAP_FN(trap_duplicate_type, 12, "membrane: resource type defined twice")
TRAP_FN(trap_unknown_instance, 13, "membrane: unknown instance")
TRAP_FN(trap_unknown_type, 14, "membrane: unknown resource type")
TRAP_FN(trap_nomem, 15, "membrane: out of memory")
TRAP_FN(trap_invalid_arg, 16, "membrane: invalid argument")
TRAP_FN(trap_unknown, -1, "membrane: unknown error")

_Static_assert(MB_VIRT_ERR_COUNT == 17, "a new error code needs a trap function here");

__attribute__((noreturn)) static void trap(mb_virt_err code) {
  switch (code) {
  case MB_VIRT_ERR_INVALID_HANDLE: trap_invalid_handle();
  case MB_VIRT_ERR_DROPPED: trap_dropped();
  case MB_VIRT_ERR_WRONG_TYPE: trap_wrong_type();
  case MB_VIRT_ERR_BORROW_OUTLIVED: trap_borrow_outlived();
  case MB_VIRT_ERR_LENT: trap_lent();
  case MB_VIRT_ERR_DESTROYED: trap_destroyed();
  case MB_VIRT_ERR_TABLE_EXHAUSTED: trap_table_exhausted();
  case MB_VIRT_ERR_NOT_DEFINER: trap_not_definer();
  case MB_VIRT_ERR_NOT_OWN: trap_not_own();
  case MB_VIRT_ERR_SCOPE: trap_scope();
  case MB_VIRT_ERR_BUSY: trap_busy();
  case MB_VIRT_ERR_DUPLICATE_TYPE: trap_duplicate_type();
  case MB_VIRT_ERR_UNKNOWN_INSTANCE: trap_unknown_instance();
  case MB_VIRT_ERR_UNKNOWN_TYPE: trap_unknown_type();
  case MB_VIRT_ERR_NOMEM: trap_nomem();
  case MB_VIRT_ERR_INVALID_ARG: trap_invalid_arg();
  case MB_VIRT_OK: break;
  }
  trap_unknown();
}

static int32_t result_or_trap(int32_t err) {
  if (err) trap((mb_virt_err)err);
  return g_result;
}

static mb_virt_err rt_get(mb_rt **out) {
  *out = g_rt;
  return MB_VIRT_OK;
}

/* Destructors are funcref table entries of type (func (param i32)); a function pointer
 * in wasm32 C is exactly such a table index, so the call below is a call_indirect. */
typedef void (*wasm_dtor_fn)(int32_t rep);
static void call_table_dtor(void *user, uint32_t type, int32_t rep) {
  (void)type;
#ifdef MB_GLUE_NATIVE
  mb__glue_native_dtor((uint32_t)(uintptr_t)user, rep);
#else
  ((wasm_dtor_fn)(uintptr_t)user)(rep);
#endif
}

/* Each _e body: run `call` with an mb_rt *rt in scope, store the result, return the code.
 * `res` is the variable holding the result (0 when there is none). */
#define GLUE_BODY(decls, call, res)                                                      \
  mb_rt *rt;                                                                             \
  decls;                                                                                 \
  mb_virt_err err = rt_get(&rt);                                                         \
  if (!err) err = (call);                                                                \
  g_result = err ? 0 : (int32_t)(res);                                                   \
  return (int32_t)err;

EXPORT("mb_instance_new_e") int32_t glue_instance_new_e(void) {
  GLUE_BODY(uint32_t id = 0, mb_rt_instance_add(rt, &id), id)
}
EXPORT("mb_instance_new") int32_t glue_instance_new(void) {
  return result_or_trap(glue_instance_new_e());
}

EXPORT("mb_type_new_e")
int32_t glue_type_new_e(uint32_t definer, const char *name, uint32_t name_len,
                        uint32_t dtor_index) {
  mb_virt_dtor d = {call_table_dtor, (void *)(uintptr_t)dtor_index};
  GLUE_BODY(uint32_t id = 0,
            mb_rt_type_add(rt, definer, name, name_len, dtor_index ? &d : NULL, &id), id)
}
EXPORT("mb_type_new")
int32_t glue_type_new(uint32_t definer, const char *name, uint32_t name_len,
                      uint32_t dtor_index) {
  return result_or_trap(glue_type_new_e(definer, name, name_len, dtor_index));
}

EXPORT("mb_resource_new_e")
int32_t glue_resource_new_e(uint32_t inst, uint32_t type, int32_t rep) {
  GLUE_BODY(int32_t h = 0, mb_ht_new(rt, inst, type, rep, &h), h)
}
EXPORT("mb_resource_new")
int32_t glue_resource_new(uint32_t inst, uint32_t type, int32_t rep) {
  return result_or_trap(glue_resource_new_e(inst, type, rep));
}

EXPORT("mb_resource_rep_e")
int32_t glue_resource_rep_e(uint32_t inst, uint32_t type, int32_t handle) {
  GLUE_BODY(int32_t rep = 0, mb_ht_rep(rt, inst, type, handle, &rep), rep)
}
EXPORT("mb_resource_rep")
int32_t glue_resource_rep(uint32_t inst, uint32_t type, int32_t handle) {
  return result_or_trap(glue_resource_rep_e(inst, type, handle));
}

EXPORT("mb_resource_drop_e")
int32_t glue_resource_drop_e(uint32_t inst, uint32_t type, int32_t handle) {
  GLUE_BODY((void)0, mb_ht_drop(rt, inst, type, handle), 0)
}
EXPORT("mb_resource_drop")
void glue_resource_drop(uint32_t inst, uint32_t type, int32_t handle) {
  result_or_trap(glue_resource_drop_e(inst, type, handle));
}

EXPORT("mb_resource_dup_e")
int32_t glue_resource_dup_e(uint32_t inst, uint32_t type, int32_t handle) {
  GLUE_BODY(int32_t h = 0, mb_ht_dup(rt, inst, type, handle, &h), h)
}
EXPORT("mb_resource_dup")
int32_t glue_resource_dup(uint32_t inst, uint32_t type, int32_t handle) {
  return result_or_trap(glue_resource_dup_e(inst, type, handle));
}

EXPORT("mb_resource_destroy_e")
int32_t glue_resource_destroy_e(uint32_t inst, uint32_t type, int32_t handle) {
  GLUE_BODY((void)0, mb_ht_destroy(rt, inst, type, handle), 0)
}
EXPORT("mb_resource_destroy")
void glue_resource_destroy(uint32_t inst, uint32_t type, int32_t handle) {
  result_or_trap(glue_resource_destroy_e(inst, type, handle));
}

EXPORT("mb_own_move_e")
int32_t glue_own_move_e(uint32_t from, uint32_t type, int32_t handle, uint32_t to) {
  GLUE_BODY(int32_t h = 0, mb_ht_move(rt, from, type, handle, to, &h), h)
}
EXPORT("mb_own_move")
int32_t glue_own_move(uint32_t from, uint32_t type, int32_t handle, uint32_t to) {
  return result_or_trap(glue_own_move_e(from, type, handle, to));
}

EXPORT("mb_call_begin_e") int32_t glue_call_begin_e(uint32_t caller, uint32_t callee) {
  GLUE_BODY(uint32_t scope = 0, mb_rt_call_begin(rt, caller, callee, &scope), scope)
}
EXPORT("mb_call_begin") int32_t glue_call_begin(uint32_t caller, uint32_t callee) {
  return result_or_trap(glue_call_begin_e(caller, callee));
}

EXPORT("mb_borrow_lend_e")
int32_t glue_borrow_lend_e(uint32_t scope, uint32_t type, int32_t handle) {
  GLUE_BODY(int32_t out = 0, mb_ht_lend(rt, scope, type, handle, &out), out)
}
EXPORT("mb_borrow_lend")
int32_t glue_borrow_lend(uint32_t scope, uint32_t type, int32_t handle) {
  return result_or_trap(glue_borrow_lend_e(scope, type, handle));
}

EXPORT("mb_call_end_e") int32_t glue_call_end_e(uint32_t scope) {
  GLUE_BODY((void)0, mb_rt_call_end(rt, scope), 0)
}
EXPORT("mb_call_end") void glue_call_end(uint32_t scope) {
  result_or_trap(glue_call_end_e(scope));
}

/* ---- the fused adapter entries ----
 * An adapter whose handles are all top-level flat parameters (and at most an own<R>
 * result) makes two glue calls instead of one per operation. It stores each handle
 * parameter, in order, into mb_args as (handle, type << 1 | is_borrow), calls
 * mb_call_enter, which opens the call scope when any of them is a borrow and then moves
 * or lends them in that order (exactly the single operations, so the same checks, traps
 * and state), and reads the callee's values back from the handle words. After the call,
 * mb_call_leave moves the own result back and closes the scope (0: none). */
int32_t mb_args[2 * MB_GLUE_ARGS_MAX];

/* The common cases of mb_ht_move and mb_ht_lend, inlined into the fused entries: the
 * same checks, and the same changes when they all pass and no table or stack has to
 * grow; anything else (every error included) returns 0 having changed nothing, and the
 * entry takes the full operation, which fails or succeeds exactly as on its own.
 * linker/fuse_fast.c writes these same paths (and fast_begin, fast_end) into the fused
 * adapters as wasm: a change here is a change there. */
#define HOT __attribute__((always_inline)) static inline

/* The live slot of `handle` in t when it has type `type`, else NULL: own or borrow
 * (any), or own only. */
HOT mb__slot *fast_slot(const mb__ht *t, uint32_t type, int32_t handle, int own_only) {
  uint32_t idx = (uint32_t)handle & MB__HT_INDEX_MASK;
  if (handle <= 0 || idx >= t->len) return NULL;
  mb__slot *s = &t->slots[idx];
  uint32_t key = own_only ? s->key : s->key & ~MB__KEY_BORROW;
  if (key != (uint32_t)handle || s->type != type) return NULL;
  return s;
}

HOT int fast_has_room(const mb__ht *t) { return t->free_head || (t->len && t->len < t->cap); }

HOT int fast_move(mb_rt *rt, uint32_t from, uint32_t type, int32_t handle, uint32_t to,
                  int32_t *out) {
  /* no type < ntypes check: a live slot of that type proves it */
  if (from >= rt->ninsts || to >= rt->ninsts) return 0;
  mb__ht *src = &rt->insts[from].ht, *dst = &rt->insts[to].ht;
  mb__slot *s = fast_slot(src, type, handle, 1);
  if (!s || s->lends || !fast_has_room(dst)) return 0;
  uint32_t ri = s->res;
  mb__ht_release(src, (uint32_t)(s - src->slots));
  *out = mb__ht_publish(dst, MB__OWN, type, ri);
  return 1;
}

/* In the innermost scope, which runs from caller to callee. */
HOT int fast_lend(mb_rt *rt, uint32_t caller, uint32_t callee, uint32_t type, int32_t handle,
                  int32_t *out) {
  if (rt->nlenders >= rt->lenders_cap) return 0; /* type: as in fast_move */
  mb__ht *src = &rt->insts[caller].ht, *dst = &rt->insts[callee].ht;
  mb__slot *s = fast_slot(src, type, handle, 0);
  if (!s) return 0;
  uint32_t ri = s->res, slot = (uint32_t)(s - src->slots);
  mb__res *r = &rt->res[ri];
  if (r->destroyed) return 0;
  if (rt->types[type].definer == callee) {
    *out = r->rep;
  } else {
    if (!fast_has_room(dst)) return 0;
    int32_t b = mb__ht_publish(dst, MB__BORROW, type, ri);
    dst->slots[(uint32_t)b & MB__HT_INDEX_MASK].depth = rt->nscopes; /* depth + 1 */
    r->refs++;
    rt->scopes[rt->nscopes - 1].borrows++;
    *out = b;
  }
  src->slots[slot].lends++; /* re-read: caller may be the callee */
  rt->lenders[rt->nlenders].inst = caller;
  rt->lenders[rt->nlenders].slot = slot;
  rt->nlenders++;
  return 1;
}

/* The full operations, out of line: the entries' fast paths then need no stack frame. */
#define SLOW __attribute__((noinline, cold)) static

SLOW uint32_t slow_begin(mb_rt *rt, uint32_t caller, uint32_t callee) {
  uint32_t scope = 0;
  mb_virt_err err = mb_rt_call_begin(rt, caller, callee, &scope);
  if (err) trap(err);
  return scope;
}
SLOW int32_t slow_lend(mb_rt *rt, uint32_t scope, uint32_t type, int32_t handle) {
  int32_t out = 0;
  mb_virt_err err = mb_ht_lend(rt, scope, type, handle, &out);
  if (err) trap(err);
  return out;
}
SLOW int32_t slow_move(mb_rt *rt, uint32_t from, uint32_t type, int32_t handle, uint32_t to) {
  int32_t out = 0;
  mb_virt_err err = mb_ht_move(rt, from, type, handle, to, &out);
  if (err) trap(err);
  return out;
}
SLOW void slow_end(mb_rt *rt, uint32_t scope) {
  mb_virt_err err = mb_rt_call_end(rt, scope);
  if (err) trap(err);
}

/* mb_rt_call_begin when the scope stack has room (ids as there). */
HOT uint32_t fast_begin(mb_rt *rt, uint32_t caller, uint32_t callee) {
  if (caller >= rt->ninsts || callee >= rt->ninsts || rt->nscopes >= rt->scopes_cap)
    return slow_begin(rt, caller, callee);
  if (++rt->scope_serial == 0) rt->scope_serial = 1;
  mb__scope *sc = &rt->scopes[rt->nscopes++];
  sc->id = rt->scope_serial;
  sc->caller = caller;
  sc->callee = callee;
  sc->borrows = 0;
  sc->lender_base = rt->nlenders;
  return sc->id;
}

/* mb_rt_call_end when scope is the innermost and its borrows are all dropped. */
HOT void fast_end(mb_rt *rt, uint32_t scope) {
  mb__scope *sc = rt->nscopes ? &rt->scopes[rt->nscopes - 1] : NULL;
  if (!sc || sc->id != scope || scope == 0 || sc->borrows) {
    slow_end(rt, scope);
    return;
  }
  for (uint32_t i = sc->lender_base; i < rt->nlenders; i++) {
    rt->insts[rt->lenders[i].inst].ht.slots[rt->lenders[i].slot].lends--;
  }
  rt->nlenders = sc->lender_base;
  rt->nscopes--;
}

EXPORT("mb_call_enter")
int32_t glue_call_enter(uint32_t caller, uint32_t callee, uint32_t n) {
  mb_rt *rt = g_rt;
  if (n > MB_GLUE_ARGS_MAX) trap(MB_VIRT_ERR_INVALID_ARG);
  uint32_t scope = 0, borrows = 0;
  for (uint32_t i = 0; i < n; i++) borrows |= (uint32_t)mb_args[2 * i + 1] & 1;
  if (borrows) scope = fast_begin(rt, caller, callee);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t word = (uint32_t)mb_args[2 * i + 1], type = word >> 1;
    int32_t h = mb_args[2 * i], out = 0;
    if (word & 1) {
      if (!fast_lend(rt, caller, callee, type, h, &out))
        out = slow_lend(rt, scope, type, h);
    } else if (!fast_move(rt, caller, type, h, callee, &out)) {
      out = slow_move(rt, caller, type, h, callee);
    }
    mb_args[2 * i] = out;
  }
  return (int32_t)scope;
}

EXPORT("mb_call_leave")
int32_t glue_call_leave(uint32_t scope, uint32_t from, uint32_t type, int32_t handle,
                        uint32_t to) {
  mb_rt *rt = g_rt;
  int32_t out = 0;
  if (!fast_move(rt, from, type, handle, to, &out)) out = slow_move(rt, from, type, handle, to);
  if (scope) fast_end(rt, scope);
  return out;
}

EXPORT("mb_teardown_e") int32_t glue_teardown_e(uint32_t inst) {
  GLUE_BODY((void)0, mb_rt_teardown(rt, inst), 0)
}
EXPORT("mb_teardown") void glue_teardown(uint32_t inst) { result_or_trap(glue_teardown_e(inst)); }

EXPORT("mb_unwind_e") int32_t glue_unwind_e(void) { GLUE_BODY((void)0, mb_rt_unwind(rt), 0) }
EXPORT("mb_unwind") void glue_unwind(void) { result_or_trap(glue_unwind_e()); }

EXPORT("mb_result") int32_t glue_result(void) { return g_result; }

EXPORT("mb_err_message") const char *glue_err_message(int32_t code) {
  return mb_virt_err_message((mb_virt_err)code);
}

EXPORT("mb_alloc") void *glue_alloc(uint32_t size) {
  return size ? mb__glue_realloc(NULL, size, NULL) : NULL;
}
EXPORT("mb_free") void glue_free(void *ptr) { mb__glue_realloc(ptr, 0, NULL); }

EXPORT("mb_handle_count") uint32_t glue_handle_count(uint32_t inst) {
  return mb_ht_count(g_rt, inst);
}
EXPORT("mb_resource_count") uint32_t glue_resource_count(void) {
  return mb_rt_resource_count(g_rt);
}
