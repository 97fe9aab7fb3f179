/* membrane_virt.h — the resource ABI runtime: resource types, per-instance handle tables,
 * own / borrow / dup / destroy, call scopes for borrows, instance teardown.
 *
 * Portable C11 that needs nothing but an allocation hook and memset/memcpy, built twice:
 * natively (library, unit tests) and to wasm32, where it becomes the glue instance of a
 * fused module (see "The wasm32 glue" at the end of this header).
 *
 * Model (DESIGN.md, "The resource ABI"):
 * - A runtime (mb_rt) holds instances and resource types. A resource type is the pair
 *   (definer instance, resource name); the same name registered for two instances gives
 *   two distinct types, and a handle of one is never accepted as the other.
 * - Every instance has its own handle table. A handle is a positive i32 meaningful only
 *   in the table of the instance that holds it. Index 0 is reserved, so 0 is never a
 *   handle; freed slots are reused first-in first-out, and a generation in the handle
 *   catches a stale handle whose slot has been reused (see MB_HT_INDEX_BITS).
 * - A handle refers to a resource (type, rep). Own handles keep it alive: `dup` makes a
 *   second own handle to the same resource (reference counted; the "shared" entries of
 *   DESIGN.md), and the destructor runs once, in the definer, when the last own handle
 *   is dropped. `destroy` runs the destructor at once and leaves every other handle to
 *   the resource in the null state: rep, lend, dup and destroy of it fail with
 *   MB_VIRT_ERR_DESTROYED, drop frees it, move carries it along.
 * - A borrow lives inside one call scope: mb_rt_call_begin(caller, callee), then
 *   mb_ht_lend for each borrow<R> argument, then mb_rt_call_end, which fails while the
 *   callee still holds a borrow from that scope. A lent handle cannot be dropped, moved
 *   or destroyed until the scope ends.
 *
 * Every operation returns an mb_virt_err; on error nothing changed, and mb_rt_diag says
 * which operation, instance, type and handle it was about. No operation aborts, prints
 * or exits. Destructors are called after the runtime's state is consistent again, so a
 * destructor may call back into the runtime (drop handles its resource owned, create
 * new ones, ...). The runtime is not thread-safe: one runtime, one thread at a time. */
#ifndef MEMBRANE_VIRT_H
#define MEMBRANE_VIRT_H

#include <stddef.h>
#include <stdint.h>

/* ---- errors ------------------------------------------------------------------------ */

/* The values are part of the wasm32 glue ABI (the `_e` exports return them): never
 * renumber, only append. Each has a stable message, mb_virt_err_message. */
typedef enum mb_virt_err {
  MB_VIRT_OK = 0,
  MB_VIRT_ERR_INVALID_HANDLE = 1,   /* "membrane: unknown handle": 0, negative, never issued */
  MB_VIRT_ERR_DROPPED = 2,          /* "membrane: use of dropped handle": free or stale slot */
  MB_VIRT_ERR_WRONG_TYPE = 3,       /* "membrane: handle of wrong resource type" */
  MB_VIRT_ERR_BORROW_OUTLIVED = 4,  /* "membrane: borrow outlived its call" */
  MB_VIRT_ERR_LENT = 5,             /* "membrane: lent handle dropped or moved" */
  MB_VIRT_ERR_DESTROYED = 6,        /* "membrane: use of destroyed resource" */
  MB_VIRT_ERR_TABLE_EXHAUSTED = 7,  /* "membrane: handle table exhausted" */
  MB_VIRT_ERR_NOT_DEFINER = 8,      /* "membrane: resource.new/rep outside the definer" */
  MB_VIRT_ERR_NOT_OWN = 9,          /* "membrane: borrowed handle used as owned" */
  MB_VIRT_ERR_SCOPE = 10,           /* "membrane: call scope is not the innermost open call" */
  MB_VIRT_ERR_BUSY = 11,            /* "membrane: instance torn down during a call" */
  MB_VIRT_ERR_DUPLICATE_TYPE = 12,  /* "membrane: resource type defined twice" */
  MB_VIRT_ERR_UNKNOWN_INSTANCE = 13, /* "membrane: unknown instance" */
  MB_VIRT_ERR_UNKNOWN_TYPE = 14,    /* "membrane: unknown resource type" */
  MB_VIRT_ERR_NOMEM = 15,           /* "membrane: out of memory" */
  MB_VIRT_ERR_INVALID_ARG = 16,     /* "membrane: invalid argument" */
} mb_virt_err;
#define MB_VIRT_ERR_COUNT 17

/* The message of a code; "membrane: unknown error" for a value outside the enum. Static
 * storage, never NULL. Messages are for people (and trap names); code compares codes. */
const char *mb_virt_err_message(mb_virt_err code);

/* ---- runtime ----------------------------------------------------------------------- */

/* Handle encoding: bits 0..25 are the slot index (1..MB_HT_MAX_HANDLES), bits 26..30 the
 * low bits of the slot's generation, bit 31 is clear, so every handle is a positive i32.
 * 2^26 - 1 slots of 28 bytes are 1.75 GiB: in wasm32, where the glue's tables share one
 * 4 GiB memory and grow by doubling, memory runs out before the index does. */
#define MB_HT_INDEX_BITS 26
#define MB_HT_MAX_HANDLES ((UINT32_C(1) << MB_HT_INDEX_BITS) - 1)

/* The allocation hook: realloc semantics; size 0 frees ptr and returns NULL. */
typedef void *(*mb_virt_realloc_fn)(void *ptr, size_t size, void *user);

/* Caller-owned options, read during mb_rt_new only. Zeroed = the defaults. */
typedef struct mb_rt_options {
  mb_virt_realloc_fn realloc; /* NULL: the C library's (native builds only) */
  void *alloc_user;           /* passed to realloc */
  uint32_t max_handles;       /* per table; 0 or more than MB_HT_MAX_HANDLES: the maximum */
} mb_rt_options;

typedef struct mb_rt mb_rt;

/* A new empty runtime in *out (the caller frees it with mb_rt_free).
 * MB_VIRT_ERR_NOMEM, or MB_VIRT_ERR_INVALID_ARG when out is NULL or no allocator exists
 * (freestanding build without opt->realloc). */
mb_virt_err mb_rt_new(const mb_rt_options *opt, mb_rt **out);

/* Frees the runtime and everything in it. Runs no destructor: call mb_rt_teardown for
 * each instance first when the resources' destructors must run. NULL is a no-op. */
void mb_rt_free(mb_rt *rt);

/* What the last failed operation was about. Valid until the next call on rt; code is
 * MB_VIRT_OK before any failure. op is a static string ("resource.drop", ...). Fields
 * that do not apply are 0 (inst, type are ids; handle is as passed). */
typedef struct mb_virt_diag {
  mb_virt_err code;
  const char *op;
  uint32_t inst;
  uint32_t type;
  int32_t handle;
} mb_virt_diag;
const mb_virt_diag *mb_rt_diag(const mb_rt *rt);

/* A new instance with an empty handle table; ids are 0, 1, 2, ... in order.
 * MB_VIRT_ERR_NOMEM. */
mb_virt_err mb_rt_instance_add(mb_rt *rt, uint32_t *out_inst);

/* Destructor of a resource type: called once per resource, with the rep, when its last
 * own handle is dropped, when it is destroyed, or when teardown drops its last handle.
 * Natively fn is any function; the wasm32 glue passes a trampoline and a funcref table
 * index as user (see below). The callee may call back into the runtime. */
typedef void (*mb_virt_dtor_fn)(void *user, uint32_t type, int32_t rep);
typedef struct mb_virt_dtor {
  mb_virt_dtor_fn fn;
  void *user;
} mb_virt_dtor;

/* Registers the resource type (definer, name) and returns its id (0, 1, 2, ... in order).
 * name is copied (name_len bytes, need not be NUL-terminated; NULL only with length 0).
 * dtor is copied; NULL or a NULL fn: no destructor. MB_VIRT_ERR_UNKNOWN_INSTANCE,
 * MB_VIRT_ERR_DUPLICATE_TYPE when the same definer already has that name,
 * MB_VIRT_ERR_NOMEM, MB_VIRT_ERR_INVALID_ARG. */
mb_virt_err mb_rt_type_add(mb_rt *rt, uint32_t definer, const char *name, size_t name_len,
                           const mb_virt_dtor *dtor, uint32_t *out_type);

/* The type's definer and name (NUL-terminated, owned by rt, valid until mb_rt_free);
 * NULL / UINT32_MAX for an unknown type. len may be NULL. */
const char *mb_rt_type_name(const mb_rt *rt, uint32_t type, size_t *len);
uint32_t mb_rt_type_definer(const mb_rt *rt, uint32_t type);

/* ---- handles ----------------------------------------------------------------------- */

/* Common errors of the handle operations below, checked in this order:
 * MB_VIRT_ERR_UNKNOWN_INSTANCE / MB_VIRT_ERR_UNKNOWN_TYPE for bad ids,
 * MB_VIRT_ERR_INVALID_HANDLE for 0, a negative value or an index the table never issued,
 * MB_VIRT_ERR_DROPPED for a free slot or a stale generation,
 * MB_VIRT_ERR_WRONG_TYPE when the handle's type is not `type`. */

/* resource.new: a new resource (type, rep) and an own handle to it in the definer's
 * table. MB_VIRT_ERR_NOT_DEFINER unless inst defines type; MB_VIRT_ERR_TABLE_EXHAUSTED
 * when the table is at max_handles or memory runs out. */
mb_virt_err mb_ht_new(mb_rt *rt, uint32_t inst, uint32_t type, int32_t rep,
                      int32_t *out_handle);

/* resource.rep: the rep behind a handle in the definer's table (own or borrow).
 * MB_VIRT_ERR_NOT_DEFINER unless inst defines type; MB_VIRT_ERR_DESTROYED in the null
 * state. */
mb_virt_err mb_ht_rep(mb_rt *rt, uint32_t inst, uint32_t type, int32_t handle,
                      int32_t *out_rep);

/* resource.drop, by any holder. Own: the slot is freed and, when it was the last own
 * handle of a live resource, the destructor runs. Borrow: the loan in this scope ends
 * (the lender stays lent until mb_rt_call_end). Null state: the slot is freed.
 * MB_VIRT_ERR_LENT while the handle is lent. */
mb_virt_err mb_ht_drop(mb_rt *rt, uint32_t inst, uint32_t type, int32_t handle);

/* [resource-dup] / legacy resource_clone: a second own handle, in the same table, to the
 * same resource. MB_VIRT_ERR_NOT_OWN for a borrow, MB_VIRT_ERR_DESTROYED in the null
 * state, MB_VIRT_ERR_TABLE_EXHAUSTED. */
mb_virt_err mb_ht_dup(mb_rt *rt, uint32_t inst, uint32_t type, int32_t handle,
                      int32_t *out_handle);

/* [resource-destroy]: runs the destructor now, frees this handle and puts every other
 * handle to the resource in the null state. MB_VIRT_ERR_NOT_OWN for a borrow,
 * MB_VIRT_ERR_DESTROYED when already destroyed, MB_VIRT_ERR_LENT while any handle to the
 * resource is lent (a borrower, maybe the definer holding the bare rep, is using it). */
mb_virt_err mb_ht_destroy(mb_rt *rt, uint32_t inst, uint32_t type, int32_t handle);

/* Passing own<R>: moves the handle from `from`'s table to `to`'s (a new index there;
 * the old index becomes free). Works in either direction (argument or result) and for a
 * handle in the null state. MB_VIRT_ERR_NOT_OWN for a borrow, MB_VIRT_ERR_LENT while
 * lent, MB_VIRT_ERR_TABLE_EXHAUSTED (then the handle stays where it was). */
mb_virt_err mb_ht_move(mb_rt *rt, uint32_t from, uint32_t type, int32_t handle, uint32_t to,
                       int32_t *out_handle);

/* ---- calls and borrows ------------------------------------------------------------- */

/* Opens a call scope from caller to callee (they may be equal) and returns its id, never
 * 0. Scopes nest: only the innermost open one can lend or end. MB_VIRT_ERR_NOMEM. */
mb_virt_err mb_rt_call_begin(mb_rt *rt, uint32_t caller, uint32_t callee,
                             uint32_t *out_scope);

/* Passing borrow<R>: lends the caller's handle (own or borrow) for the call. When the
 * callee defines type, *out is the rep itself; otherwise it is a new borrow handle in the
 * callee's table, which the callee must drop before the call ends. The lender cannot be
 * dropped, moved or destroyed until mb_rt_call_end. MB_VIRT_ERR_SCOPE unless scope is the
 * innermost open scope, MB_VIRT_ERR_DESTROYED in the null state,
 * MB_VIRT_ERR_TABLE_EXHAUSTED, MB_VIRT_ERR_NOMEM. */
mb_virt_err mb_ht_lend(mb_rt *rt, uint32_t scope, uint32_t type, int32_t handle,
                       int32_t *out);

/* Closes the innermost scope and ends its loans. MB_VIRT_ERR_BORROW_OUTLIVED while the
 * callee still holds a borrow handle from this scope: then nothing changes (the glue
 * traps; a native caller may drop the borrow and call again). MB_VIRT_ERR_SCOPE unless
 * scope is the innermost open scope. */
mb_virt_err mb_rt_call_end(mb_rt *rt, uint32_t scope);

/* Instance teardown: drops every handle the instance still holds, newest first (handles
 * moved or lent in count from their arrival), running destructors as resources lose
 * their last own handle. Handles created by destructors meanwhile are dropped too. The
 * instance stays usable with an empty table. MB_VIRT_ERR_BUSY when the instance is the
 * caller or callee of an open call scope. A teardown of the same instance from one of its
 * destructors returns MB_VIRT_OK at once (the outer one finishes the work). */
mb_virt_err mb_rt_teardown(mb_rt *rt, uint32_t inst);

/* A process exit from inside calls that will never return: closes every open scope,
 * innermost first, dropping the borrow handles its callee still holds and ending its
 * loans, so that mb_rt_teardown can then drop everything. */
mb_virt_err mb_rt_unwind(mb_rt *rt);

/* ---- inspection -------------------------------------------------------------------- */

typedef enum mb_ht_kind { MB_HT_OWN = 1, MB_HT_BORROW = 2 } mb_ht_kind;

typedef struct mb_ht_info {
  mb_ht_kind kind;
  uint32_t type;
  int32_t rep;        /* 0 in the null state */
  uint32_t lends;     /* outstanding loans of this handle */
  uint32_t refs;      /* handles to the resource in every table: own, dup'd, borrowed, null */
  int destroyed;      /* null state */
} mb_ht_info;

/* What a handle in inst's table is, without a type check; the errors of a lookup. */
mb_virt_err mb_ht_inspect(const mb_rt *rt, uint32_t inst, int32_t handle, mb_ht_info *out);

/* Live handles in inst's table (0 for an unknown instance; a walk of the table), and its
 * allocated slots. */
uint32_t mb_ht_count(const mb_rt *rt, uint32_t inst);
uint32_t mb_ht_capacity(const mb_rt *rt, uint32_t inst);

/* Resources alive in the runtime (created and neither fully dropped nor released). */
uint32_t mb_rt_resource_count(const mb_rt *rt);

/* ---- the wasm32 glue --------------------------------------------------------------- */

/* The glue module built from this library (virt/glue.c + virt/wasm32_alloc.c) by clang
 * --target=wasm32: a freestanding module with no imports, exporting `memory`, the function
 * table `__indirect_function_table` (growable) and the functions below, each over one
 * runtime created on first use. Every parameter and result is an i32.
 *
 * Trapping exports (the ABI adapters and intrinsics call): on error they trap with
 * `unreachable` inside a function whose name-section name is the error message, e.g.
 * "membrane: use of dropped handle", so engines show it in the stack trace.
 *   mb_instance_new() -> inst
 *   mb_type_new(definer, name_ptr, name_len, dtor) -> type
 *       name: bytes in the glue's memory (mb_alloc); dtor: 0 for none, else an index into
 *       __indirect_function_table of a (func (param i32 rep)) called with the rep (the
 *       glue's own entries come first: add destructors with table.grow and pass the index)
 *   mb_resource_new(inst, type, rep) -> handle
 *   mb_resource_rep(inst, type, handle) -> rep
 *   mb_resource_drop(inst, type, handle)
 *   mb_resource_dup(inst, type, handle) -> handle
 *   mb_resource_destroy(inst, type, handle)
 *   mb_own_move(from, type, handle, to) -> handle
 *   mb_call_begin(caller, callee) -> scope
 *   mb_borrow_lend(scope, type, handle) -> borrow handle in the callee, or rep
 *   mb_call_end(scope)
 *   mb_teardown(inst)
 *   mb_unwind()  (mb_rt_unwind: before the teardowns of a process exit)
 * Fused adapter entries (one glue call per side of a call instead of one per handle):
 *   mb_args: an exported i32 global, the address of 16 (handle, type << 1 | is_borrow)
 *       pairs of i32 in the glue's memory
 *   mb_call_enter(caller, callee, n) -> scope (0 when no pair is a borrow)
 *       opens the scope when any of the first n pairs is a borrow, then moves each own
 *       (caller -> callee) and lends each borrow, in order, exactly as mb_own_move and
 *       mb_borrow_lend would, replacing each handle by the callee's value
 *   mb_call_leave(scope, from, type, handle, to) -> handle
 *       mb_own_move(from, type, handle, to), then mb_call_end(scope) unless scope is 0
 * Inline adapters (for the same signatures the linker writes the common case of each
 * move, lend and scope into the adapter itself and calls the single operations above
 * only for the rest, errors included; the fused entries stay for other callers):
 *   mb_rt_store: an exported i32 global, the address of the runtime, whose fields and
 *       tables those adapters read and write at the offsets of virt/membrane_glue_abi.h (glue.c
 *       checks them against the structs at build time)
 * Error-returning twins: the same name with `_e` (mb_resource_new_e, ...), same
 * parameters, return the mb_virt_err code; a function's result is then read with
 *   mb_result() -> the last `_e` call's result (0 on error)
 * Helpers:
 *   mb_err_message(code) -> pointer to the NUL-terminated message in the glue's memory
 *   mb_alloc(size) -> pointer (0 when out of memory); mb_free(ptr)
 *   mb_handle_count(inst) -> live handles in the instance's table
 *   mb_resource_count() -> live resources
 */
extern const unsigned char mb_virt_glue_wasm[];
extern const size_t mb_virt_glue_wasm_len;

#endif
