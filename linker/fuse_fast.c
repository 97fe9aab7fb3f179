/* fuse_fast.c — the hot path of a fused adapter written out as wasm: the common cases of
 * an own move, a lend (the rep into the definer, else a borrow handle), and opening and
 * closing the call scope, over the glue's state in its memory (virt/membrane_glue_abi.h).
 * Each is exactly the glue's fast path (virt/glue.c: fast_move, fast_lend, fast_begin,
 * fast_end): the same checks and, when they all pass, the same stores; anything else,
 * every error included, calls the glue's full operation, which fails or succeeds
 * exactly as on its own, so traps keep their messages. Two glue calls per adapter cost
 * more than the work they do: V8 inlines neither. */
#include "fuse_fast.h"
#include "membrane_wasm_emit.h"

#include "membrane_glue_abi.h"

#define KEY_LIVE_MASK 0x7FFFFFFF /* the key without its borrow bit */
#define INDEX_MASK ((1u << MB_GL_INDEX_BITS) - 1)

/* the temporaries, c->tmp + k: INS and OK are set by mb__fast_phase */
enum { INS, IDX, S, RI, T, NL, R, NS, I, OK, FH, SLS, SRC_S, SRC_IDX };

static void op(const mb__fast *c, uint8_t o) { mb_wasm_emit(c->b, o); }
static void op_u(const mb__fast *c, uint8_t o, uint32_t v) { mb_wasm_emit_u32(c->b, o, v); }
static void k32(const mb__fast *c, int64_t v) { mb_wasm_emit_i32(c->b, (int32_t)v); }
static void get(const mb__fast *c, uint32_t l) { op_u(c, MB_OP_LOCAL_GET, l); }
static void set(const mb__fast *c, uint32_t l) { op_u(c, MB_OP_LOCAL_SET, l); }
static void tee(const mb__fast *c, uint32_t l) { op_u(c, MB_OP_LOCAL_TEE, l); }
static void tget(const mb__fast *c, uint32_t k) { get(c, c->tmp + k); }
static void tset(const mb__fast *c, uint32_t k) { set(c, c->tmp + k); }
static void ttee(const mb__fast *c, uint32_t k) { tee(c, c->tmp + k); }
/* a load or store in the glue's memory */
static void mem(const mb__fast *c, uint8_t o, uint32_t offset) {
  mb_wasm_emit_mem(c->b, o, o == MB_OP_I64_LOAD || o == MB_OP_I64_STORE ? 3 : 2, c->mem, offset);
}
/* a field of the runtime */
static void rt_load(const mb__fast *c, uint32_t field) {
  k32(c, 0);
  mem(c, MB_OP_I32_LOAD, c->rt + field);
}
static void rt_store_begin(const mb__fast *c) { k32(c, 0); }
static void rt_store(const mb__fast *c, uint32_t field) { mem(c, MB_OP_I32_STORE, c->rt + field); }
/* base + index * size on the stack, from locals */
static void scaled(const mb__fast *c, uint32_t size) {
  k32(c, size);
  op(c, MB_OP_I32_MUL);
  op(c, MB_OP_I32_ADD);
}
static void block(const mb__fast *c) { op_u(c, MB_OP_BLOCK, MB_BT_VOID); }

/* Inside the slow block: leaves in S the slot of the live handle (local h) in inst's
 * table with type `type` (own only, or own or borrow), IDX its index and SLS the
 * table's slots; else br 0. */
static void find_slot(const mb__fast *c, uint32_t inst, uint32_t type, uint32_t h, bool own) {
  uint32_t ht = inst * MB_GL_INST_SIZE;
  get(c, h);
  k32(c, 1);
  op(c, MB_OP_I32_LT_S);
  op_u(c, MB_OP_BR_IF, 0);
  get(c, h);
  k32(c, INDEX_MASK);
  op(c, MB_OP_I32_AND);
  ttee(c, IDX);
  tget(c, INS);
  mem(c, MB_OP_I32_LOAD, ht + MB_GL_HT_LEN);
  op(c, MB_OP_I32_GE_U);
  op_u(c, MB_OP_BR_IF, 0);
  tget(c, INS);
  mem(c, MB_OP_I32_LOAD, ht + MB_GL_HT_SLOTS);
  ttee(c, SLS);
  tget(c, IDX);
  scaled(c, MB_GL_SLOT_SIZE);
  ttee(c, S);
  mem(c, MB_OP_I32_LOAD, MB_GL_SLOT_KEY);
  if (!own) {
    k32(c, KEY_LIVE_MASK);
    op(c, MB_OP_I32_AND);
  }
  get(c, h);
  op(c, MB_OP_I32_NE);
  op_u(c, MB_OP_BR_IF, 0);
  tget(c, S);
  mem(c, MB_OP_I32_LOAD, MB_GL_SLOT_TYPE);
  k32(c, type);
  op(c, MB_OP_I32_NE);
  op_u(c, MB_OP_BR_IF, 0);
}

/* br 0 unless the phase's instance ids are all < rt->ninsts */
static void check_insts(const mb__fast *c) {
  tget(c, OK);
  op(c, MB_OP_I32_EQZ);
  op_u(c, MB_OP_BR_IF, 0);
}

/* Moves, lends and scope operations never add instances, so between two calls out of
 * the adapter rt->insts and rt->ninsts stay put: loaded once, before the parameters and
 * again after the callee. */
void mb__fast_phase(const mb__fast *c, uint32_t a, uint32_t b) {
  rt_load(c, MB_GL_RT_NINSTS);
  k32(c, a > b ? a : b);
  op(c, MB_OP_I32_GT_U);
  tset(c, OK);
  rt_load(c, MB_GL_RT_INSTS);
  tset(c, INS);
}

/* Inside the slow block: br 0 unless inst's table has room for a publish (a free slot,
 * or len < cap in an allocated table); FH = its free head. */
static void room(const mb__fast *c, uint32_t inst) {
  uint32_t dst = inst * MB_GL_INST_SIZE;
  tget(c, INS);
  mem(c, MB_OP_I32_LOAD, dst + MB_GL_HT_FREE_HEAD);
  ttee(c, FH);
  op(c, MB_OP_I32_EQZ);
  op_u(c, MB_OP_IF, MB_BT_VOID);
  tget(c, INS);
  mem(c, MB_OP_I32_LOAD, dst + MB_GL_HT_LEN);
  ttee(c, T);
  op(c, MB_OP_I32_EQZ);
  op_u(c, MB_OP_BR_IF, 1);
  tget(c, T);
  tget(c, INS);
  mem(c, MB_OP_I32_LOAD, dst + MB_GL_HT_CAP);
  op(c, MB_OP_I32_GE_U);
  op_u(c, MB_OP_BR_IF, 1);
  op(c, MB_OP_END);
}

/* mb__ht_publish into inst's table, after room(): the free FIFO's head (FH, or re-read
 * when `reload`: a release since may have set it) or slot len++, with type, res RI and
 * the key; an own slot gets the next serial. The handle in `out`, the slot in S. */
static void publish(const mb__fast *c, uint32_t inst, uint32_t type, bool own, bool reload,
                    uint32_t out) {
  uint32_t dst = inst * MB_GL_INST_SIZE;
  if (reload) {
    tget(c, INS);
    mem(c, MB_OP_I32_LOAD, dst + MB_GL_HT_FREE_HEAD);
  } else {
    tget(c, FH);
  }
  ttee(c, IDX);
  op_u(c, MB_OP_IF, MB_VT_I32);
  tget(c, INS);
  mem(c, MB_OP_I32_LOAD, dst + MB_GL_HT_SLOTS);
  tget(c, IDX);
  scaled(c, MB_GL_SLOT_SIZE);
  ttee(c, S);
  mem(c, MB_OP_I32_LOAD, MB_GL_SLOT_RES);
  tset(c, T);
  tget(c, INS);
  tget(c, T);
  mem(c, MB_OP_I32_STORE, dst + MB_GL_HT_FREE_HEAD);
  tget(c, T);
  op(c, MB_OP_I32_EQZ);
  op_u(c, MB_OP_IF, MB_BT_VOID);
  tget(c, INS);
  k32(c, 0);
  mem(c, MB_OP_I32_STORE, dst + MB_GL_HT_FREE_TAIL);
  op(c, MB_OP_END);
  tget(c, S);
  mem(c, MB_OP_I32_LOAD, MB_GL_SLOT_KEY);
  k32(c, -1);
  op(c, MB_OP_I32_XOR);
  op(c, MB_OP_ELSE);
  tget(c, INS);
  tget(c, INS);
  mem(c, MB_OP_I32_LOAD, dst + MB_GL_HT_LEN);
  ttee(c, IDX);
  k32(c, 1);
  op(c, MB_OP_I32_ADD);
  mem(c, MB_OP_I32_STORE, dst + MB_GL_HT_LEN);
  tget(c, INS);
  mem(c, MB_OP_I32_LOAD, dst + MB_GL_HT_SLOTS);
  tget(c, IDX);
  scaled(c, MB_GL_SLOT_SIZE);
  ttee(c, S);
  k32(c, 0);
  mem(c, MB_OP_I32_STORE, MB_GL_SLOT_LENDS);
  tget(c, IDX); /* generation 0 */
  op(c, MB_OP_END);
  set(c, out);
  tget(c, S);
  k32(c, type);
  mem(c, MB_OP_I32_STORE, MB_GL_SLOT_TYPE);
  tget(c, S);
  tget(c, RI);
  mem(c, MB_OP_I32_STORE, MB_GL_SLOT_RES);
  tget(c, S);
  get(c, out);
  if (!own) {
    k32(c, (int32_t)0x80000000);
    op(c, MB_OP_I32_OR);
  }
  mem(c, MB_OP_I32_STORE, MB_GL_SLOT_KEY);
  if (!own) return;
  tget(c, S);
  tget(c, INS);
  mem(c, MB_OP_I64_LOAD, dst + MB_GL_HT_SERIAL);
  mem(c, MB_OP_I64_STORE, MB_GL_SLOT_SERIAL);
  tget(c, INS);
  tget(c, INS);
  mem(c, MB_OP_I64_LOAD, dst + MB_GL_HT_SERIAL);
  op(c, MB_OP_I64_CONST);
  mb_buf_s64(c->b, 1);
  op(c, MB_OP_I64_ADD);
  mem(c, MB_OP_I64_STORE, dst + MB_GL_HT_SERIAL);
}

void mb__fast_move(const mb__fast *c, uint32_t from, uint32_t to, uint32_t type, uint32_t h,
                   uint32_t out) {
  uint32_t src = from * MB_GL_INST_SIZE;
  block(c); /* done */
  block(c); /* slow */
  check_insts(c);
  find_slot(c, from, type, h, true);
  tget(c, S);
  mem(c, MB_OP_I32_LOAD, MB_GL_SLOT_LENDS);
  op_u(c, MB_OP_BR_IF, 0);
  room(c, to);
  /* release: the key becomes ~(the next generation's handle), onto the free FIFO */
  tget(c, S);
  get(c, h);
  k32(c, 1u << MB_GL_INDEX_BITS);
  op(c, MB_OP_I32_ADD);
  k32(c, KEY_LIVE_MASK);
  op(c, MB_OP_I32_AND);
  k32(c, -1);
  op(c, MB_OP_I32_XOR);
  mem(c, MB_OP_I32_STORE, MB_GL_SLOT_KEY);
  tget(c, S);
  mem(c, MB_OP_I32_LOAD, MB_GL_SLOT_RES);
  tset(c, RI);
  tget(c, S);
  k32(c, 0);
  mem(c, MB_OP_I32_STORE, MB_GL_SLOT_RES);
  tget(c, INS);
  mem(c, MB_OP_I32_LOAD, src + MB_GL_HT_FREE_TAIL);
  ttee(c, T);
  op_u(c, MB_OP_IF, MB_BT_VOID);
  tget(c, SLS);
  tget(c, T);
  scaled(c, MB_GL_SLOT_SIZE);
  tget(c, IDX);
  mem(c, MB_OP_I32_STORE, MB_GL_SLOT_RES);
  op(c, MB_OP_ELSE);
  tget(c, INS);
  tget(c, IDX);
  mem(c, MB_OP_I32_STORE, src + MB_GL_HT_FREE_HEAD);
  op(c, MB_OP_END);
  tget(c, INS);
  tget(c, IDX);
  mem(c, MB_OP_I32_STORE, src + MB_GL_HT_FREE_TAIL);
  publish(c, to, type, true, from == to, out);
  op_u(c, MB_OP_BR, 1);
  op(c, MB_OP_END);
  k32(c, from);
  k32(c, type);
  get(c, h);
  k32(c, to);
  op_u(c, MB_OP_CALL, c->own_move);
  set(c, out);
  op(c, MB_OP_END);
}

void mb__fast_lend(const mb__fast *c, uint32_t caller, uint32_t callee, uint32_t type,
                   bool into_definer, uint32_t h, uint32_t scope, uint32_t out) {
  block(c);
  block(c);
  rt_load(c, MB_GL_RT_NLENDERS);
  ttee(c, NL);
  rt_load(c, MB_GL_RT_LENDERS_CAP);
  op(c, MB_OP_I32_GE_U);
  op_u(c, MB_OP_BR_IF, 0);
  find_slot(c, caller, type, h, false);
  rt_load(c, MB_GL_RT_RES);
  tget(c, S);
  mem(c, MB_OP_I32_LOAD, MB_GL_SLOT_RES);
  ttee(c, RI);
  scaled(c, MB_GL_RES_SIZE);
  ttee(c, R);
  mem(c, MB_OP_I32_LOAD, MB_GL_RES_DESTROYED);
  op_u(c, MB_OP_BR_IF, 0);
  /* the definer as the linker registered it, checked: the other case is the glue's */
  rt_load(c, MB_GL_RT_TYPES);
  mem(c, MB_OP_I32_LOAD, type * MB_GL_TYPE_SIZE + MB_GL_TYPE_DEFINER);
  k32(c, callee);
  op(c, into_definer ? MB_OP_I32_NE : MB_OP_I32_EQ);
  op_u(c, MB_OP_BR_IF, 0);
  if (into_definer) {
    /* the rep itself */
    tget(c, R);
    mem(c, MB_OP_I32_LOAD, MB_GL_RES_REP);
    set(c, out);
  } else {
    /* a borrow handle in the callee's table, counted in the innermost scope */
    tget(c, S);
    tset(c, SRC_S);
    tget(c, IDX);
    tset(c, SRC_IDX);
    room(c, callee);
    publish(c, callee, type, false, false, out);
    rt_load(c, MB_GL_RT_NSCOPES);
    ttee(c, NS);
    tset(c, T);
    tget(c, S);
    tget(c, T);
    mem(c, MB_OP_I32_STORE, MB_GL_SLOT_DEPTH); /* the scope's depth + 1 */
    tget(c, R);
    tget(c, R);
    mem(c, MB_OP_I32_LOAD, MB_GL_RES_REFS);
    k32(c, 1);
    op(c, MB_OP_I32_ADD);
    mem(c, MB_OP_I32_STORE, MB_GL_RES_REFS);
    rt_load(c, MB_GL_RT_SCOPES);
    tget(c, NS);
    k32(c, 1);
    op(c, MB_OP_I32_SUB);
    scaled(c, MB_GL_SCOPE_SIZE);
    ttee(c, T);
    tget(c, T);
    mem(c, MB_OP_I32_LOAD, MB_GL_SCOPE_BORROWS);
    k32(c, 1);
    op(c, MB_OP_I32_ADD);
    mem(c, MB_OP_I32_STORE, MB_GL_SCOPE_BORROWS);
    tget(c, SRC_S);
    tset(c, S);
    tget(c, SRC_IDX);
    tset(c, IDX);
  }
  /* the lender lent until the scope ends */
  tget(c, S);
  tget(c, S);
  mem(c, MB_OP_I32_LOAD, MB_GL_SLOT_LENDS);
  k32(c, 1);
  op(c, MB_OP_I32_ADD);
  mem(c, MB_OP_I32_STORE, MB_GL_SLOT_LENDS);
  rt_load(c, MB_GL_RT_LENDERS);
  tget(c, NL);
  scaled(c, MB_GL_LENDER_SIZE);
  ttee(c, T);
  k32(c, caller);
  mem(c, MB_OP_I32_STORE, MB_GL_LENDER_INST);
  tget(c, T);
  tget(c, IDX);
  mem(c, MB_OP_I32_STORE, MB_GL_LENDER_SLOT);
  rt_store_begin(c);
  tget(c, NL);
  k32(c, 1);
  op(c, MB_OP_I32_ADD);
  rt_store(c, MB_GL_RT_NLENDERS);
  op_u(c, MB_OP_BR, 1);
  op(c, MB_OP_END);
  get(c, scope);
  k32(c, type);
  get(c, h);
  op_u(c, MB_OP_CALL, c->lend);
  set(c, out);
  op(c, MB_OP_END);
}

void mb__fast_begin(const mb__fast *c, uint32_t caller, uint32_t callee, uint32_t scope) {
  block(c);
  block(c);
  check_insts(c);
  rt_load(c, MB_GL_RT_NSCOPES);
  ttee(c, NS);
  rt_load(c, MB_GL_RT_SCOPES_CAP);
  op(c, MB_OP_I32_GE_U);
  op_u(c, MB_OP_BR_IF, 0);
  /* ids: the serial, skipping 0 when it wraps */
  rt_load(c, MB_GL_RT_SCOPE_SERIAL);
  k32(c, 1);
  op(c, MB_OP_I32_ADD);
  tee(c, scope);
  k32(c, 1);
  get(c, scope);
  op(c, MB_OP_SELECT);
  set(c, scope);
  rt_store_begin(c);
  get(c, scope);
  rt_store(c, MB_GL_RT_SCOPE_SERIAL);
  rt_load(c, MB_GL_RT_SCOPES);
  tget(c, NS);
  scaled(c, MB_GL_SCOPE_SIZE);
  ttee(c, T);
  get(c, scope);
  mem(c, MB_OP_I32_STORE, MB_GL_SCOPE_ID);
  tget(c, T);
  k32(c, caller);
  mem(c, MB_OP_I32_STORE, MB_GL_SCOPE_CALLER);
  tget(c, T);
  k32(c, callee);
  mem(c, MB_OP_I32_STORE, MB_GL_SCOPE_CALLEE);
  tget(c, T);
  k32(c, 0);
  mem(c, MB_OP_I32_STORE, MB_GL_SCOPE_BORROWS);
  tget(c, T);
  rt_load(c, MB_GL_RT_NLENDERS);
  mem(c, MB_OP_I32_STORE, MB_GL_SCOPE_LENDER_BASE);
  rt_store_begin(c);
  tget(c, NS);
  k32(c, 1);
  op(c, MB_OP_I32_ADD);
  rt_store(c, MB_GL_RT_NSCOPES);
  op_u(c, MB_OP_BR, 1);
  op(c, MB_OP_END);
  k32(c, caller);
  k32(c, callee);
  op_u(c, MB_OP_CALL, c->begin);
  set(c, scope);
  op(c, MB_OP_END);
}

void mb__fast_end(const mb__fast *c, uint32_t scope) {
  block(c);
  block(c);
  /* the innermost scope, this one (never 0), with its borrows all dropped */
  rt_load(c, MB_GL_RT_NSCOPES);
  ttee(c, NS);
  op(c, MB_OP_I32_EQZ);
  op_u(c, MB_OP_BR_IF, 0);
  rt_load(c, MB_GL_RT_SCOPES);
  tget(c, NS);
  k32(c, 1);
  op(c, MB_OP_I32_SUB);
  scaled(c, MB_GL_SCOPE_SIZE);
  ttee(c, T);
  mem(c, MB_OP_I32_LOAD, MB_GL_SCOPE_ID);
  get(c, scope);
  op(c, MB_OP_I32_NE);
  op_u(c, MB_OP_BR_IF, 0);
  get(c, scope);
  op(c, MB_OP_I32_EQZ);
  op_u(c, MB_OP_BR_IF, 0);
  tget(c, T);
  mem(c, MB_OP_I32_LOAD, MB_GL_SCOPE_BORROWS);
  op_u(c, MB_OP_BR_IF, 0);
  /* its loans end: lenders[lender_base .. nlenders-1] */
  tget(c, T);
  mem(c, MB_OP_I32_LOAD, MB_GL_SCOPE_LENDER_BASE);
  ttee(c, I);
  tset(c, IDX); /* the base, for nlenders afterwards */
  rt_load(c, MB_GL_RT_NLENDERS);
  tset(c, NL);
  block(c);
  op_u(c, MB_OP_LOOP, MB_BT_VOID);
  tget(c, I);
  tget(c, NL);
  op(c, MB_OP_I32_GE_U);
  op_u(c, MB_OP_BR_IF, 1);
  rt_load(c, MB_GL_RT_LENDERS);
  tget(c, I);
  scaled(c, MB_GL_LENDER_SIZE);
  tset(c, R);
  tget(c, INS);
  tget(c, R);
  mem(c, MB_OP_I32_LOAD, MB_GL_LENDER_INST);
  scaled(c, MB_GL_INST_SIZE);
  mem(c, MB_OP_I32_LOAD, MB_GL_HT_SLOTS);
  tget(c, R);
  mem(c, MB_OP_I32_LOAD, MB_GL_LENDER_SLOT);
  scaled(c, MB_GL_SLOT_SIZE);
  ttee(c, S);
  tget(c, S);
  mem(c, MB_OP_I32_LOAD, MB_GL_SLOT_LENDS);
  k32(c, 1);
  op(c, MB_OP_I32_SUB);
  mem(c, MB_OP_I32_STORE, MB_GL_SLOT_LENDS);
  tget(c, I);
  k32(c, 1);
  op(c, MB_OP_I32_ADD);
  tset(c, I);
  op_u(c, MB_OP_BR, 0);
  op(c, MB_OP_END);
  op(c, MB_OP_END);
  rt_store_begin(c);
  tget(c, IDX);
  rt_store(c, MB_GL_RT_NLENDERS);
  rt_store_begin(c);
  tget(c, NS);
  k32(c, 1);
  op(c, MB_OP_I32_SUB);
  rt_store(c, MB_GL_RT_NSCOPES);
  op_u(c, MB_OP_BR, 1);
  op(c, MB_OP_END);
  get(c, scope);
  op_u(c, MB_OP_CALL, c->end);
  op(c, MB_OP_END);
}
