/* fuse_fast.c — the hot path of a fused adapter written out as wasm: the common cases of
 * an own move, a lend (the rep into the definer, else a borrow handle), and opening and
 * closing the call scope, over the glue's state in its memory (virt/membrane_glue_abi.h).
 * Each is exactly the glue's fast path (virt/glue.c: fast_move, fast_lend, fast_begin,
 * fast_end): the same checks and, when they all pass, the same stores; anything else,
 * every error included, calls the glue's full operation, which fails or succeeds
 * exactly as on its own, so traps keep their messages. Two glue calls per adapter cost
 * more than the work they do: V8 inlines neither. */
#include "fuse_fast.h"

#include "membrane_glue_abi.h"

enum {
  BLOCK = 0x02, LOOP = 0x03, IF = 0x04, ELSE = 0x05, END = 0x0B, BR = 0x0C, BR_IF = 0x0D,
  CALL = 0x10, SELECT = 0x1B, LGET = 0x20, LSET = 0x21, LTEE = 0x22,
  I32_LOAD = 0x28, I64_LOAD = 0x29, I32_STORE = 0x36, I64_STORE = 0x37,
  I32_CONST = 0x41, I64_CONST = 0x42, I32_EQZ = 0x45, I32_EQ = 0x46, I32_NE = 0x47,
  I32_LT_S = 0x48, I32_GT_U = 0x4B, I32_GE_U = 0x4F, I32_ADD = 0x6A, I32_SUB = 0x6B,
  I32_MUL = 0x6C,
  I32_AND = 0x71, I32_OR = 0x72, I32_XOR = 0x73, I64_ADD = 0x7C,
  VOID = 0x40, I32 = 0x7F,
};

#define KEY_LIVE_MASK 0x7FFFFFFF /* the key without its borrow bit */
#define INDEX_MASK ((1u << MB_GL_INDEX_BITS) - 1)

/* the temporaries, c->tmp + k: INS and OK are set by mb__fast_phase */
enum { INS, IDX, S, RI, T, NL, R, NS, I, OK, FH, SLS, SRC_S, SRC_IDX };

static void op(const mb__fast *c, uint8_t o) { mb_buf_byte(c->b, o); }
static void op_u(const mb__fast *c, uint8_t o, uint32_t v) {
  mb_buf_byte(c->b, o);
  mb_buf_u32(c->b, v);
}
static void k32(const mb__fast *c, int64_t v) {
  mb_buf_byte(c->b, I32_CONST);
  mb_buf_s32(c->b, (int32_t)v);
}
static void get(const mb__fast *c, uint32_t l) { op_u(c, LGET, l); }
static void set(const mb__fast *c, uint32_t l) { op_u(c, LSET, l); }
static void tee(const mb__fast *c, uint32_t l) { op_u(c, LTEE, l); }
static void tget(const mb__fast *c, uint32_t k) { get(c, c->tmp + k); }
static void tset(const mb__fast *c, uint32_t k) { set(c, c->tmp + k); }
static void ttee(const mb__fast *c, uint32_t k) { tee(c, c->tmp + k); }
/* a load or store in the glue's memory */
static void mem(const mb__fast *c, uint8_t o, uint32_t offset) {
  uint32_t align = o == I64_LOAD || o == I64_STORE ? 3 : 2;
  mb_buf_byte(c->b, o);
  if (c->mem) {
    mb_buf_u32(c->b, align | 0x40);
    mb_buf_u32(c->b, c->mem);
  } else {
    mb_buf_u32(c->b, align);
  }
  mb_buf_u32(c->b, offset);
}
/* a field of the runtime */
static void rt_load(const mb__fast *c, uint32_t field) {
  k32(c, 0);
  mem(c, I32_LOAD, c->rt + field);
}
static void rt_store_begin(const mb__fast *c) { k32(c, 0); }
static void rt_store(const mb__fast *c, uint32_t field) { mem(c, I32_STORE, c->rt + field); }
/* base + index * size on the stack, from locals */
static void scaled(const mb__fast *c, uint32_t size) {
  k32(c, size);
  op(c, I32_MUL);
  op(c, I32_ADD);
}
static void block(const mb__fast *c) { op_u(c, BLOCK, VOID); }

/* Inside the slow block: leaves in S the slot of the live handle (local h) in inst's
 * table with type `type` (own only, or own or borrow), IDX its index and SLS the
 * table's slots; else br 0. */
static void find_slot(const mb__fast *c, uint32_t inst, uint32_t type, uint32_t h, bool own) {
  uint32_t ht = inst * MB_GL_INST_SIZE;
  get(c, h);
  k32(c, 1);
  op(c, I32_LT_S);
  op_u(c, BR_IF, 0);
  get(c, h);
  k32(c, INDEX_MASK);
  op(c, I32_AND);
  ttee(c, IDX);
  tget(c, INS);
  mem(c, I32_LOAD, ht + MB_GL_HT_LEN);
  op(c, I32_GE_U);
  op_u(c, BR_IF, 0);
  tget(c, INS);
  mem(c, I32_LOAD, ht + MB_GL_HT_SLOTS);
  ttee(c, SLS);
  tget(c, IDX);
  scaled(c, MB_GL_SLOT_SIZE);
  ttee(c, S);
  mem(c, I32_LOAD, MB_GL_SLOT_KEY);
  if (!own) {
    k32(c, KEY_LIVE_MASK);
    op(c, I32_AND);
  }
  get(c, h);
  op(c, I32_NE);
  op_u(c, BR_IF, 0);
  tget(c, S);
  mem(c, I32_LOAD, MB_GL_SLOT_TYPE);
  k32(c, type);
  op(c, I32_NE);
  op_u(c, BR_IF, 0);
}

/* br 0 unless the phase's instance ids are all < rt->ninsts */
static void check_insts(const mb__fast *c) {
  tget(c, OK);
  op(c, I32_EQZ);
  op_u(c, BR_IF, 0);
}

/* Moves, lends and scope operations never add instances, so between two calls out of
 * the adapter rt->insts and rt->ninsts stay put: loaded once, before the parameters and
 * again after the callee. */
void mb__fast_phase(const mb__fast *c, uint32_t a, uint32_t b) {
  rt_load(c, MB_GL_RT_NINSTS);
  k32(c, a > b ? a : b);
  op(c, I32_GT_U);
  tset(c, OK);
  rt_load(c, MB_GL_RT_INSTS);
  tset(c, INS);
}

/* Inside the slow block: br 0 unless inst's table has room for a publish (a free slot,
 * or len < cap in an allocated table); FH = its free head. */
static void room(const mb__fast *c, uint32_t inst) {
  uint32_t dst = inst * MB_GL_INST_SIZE;
  tget(c, INS);
  mem(c, I32_LOAD, dst + MB_GL_HT_FREE_HEAD);
  ttee(c, FH);
  op(c, I32_EQZ);
  op_u(c, IF, VOID);
  tget(c, INS);
  mem(c, I32_LOAD, dst + MB_GL_HT_LEN);
  ttee(c, T);
  op(c, I32_EQZ);
  op_u(c, BR_IF, 1);
  tget(c, T);
  tget(c, INS);
  mem(c, I32_LOAD, dst + MB_GL_HT_CAP);
  op(c, I32_GE_U);
  op_u(c, BR_IF, 1);
  op(c, END);
}

/* mb__ht_publish into inst's table, after room(): the free FIFO's head (FH, or re-read
 * when `reload`: a release since may have set it) or slot len++, with type, res RI and
 * the key; an own slot gets the next serial. The handle in `out`, the slot in S. */
static void publish(const mb__fast *c, uint32_t inst, uint32_t type, bool own, bool reload,
                    uint32_t out) {
  uint32_t dst = inst * MB_GL_INST_SIZE;
  if (reload) {
    tget(c, INS);
    mem(c, I32_LOAD, dst + MB_GL_HT_FREE_HEAD);
  } else {
    tget(c, FH);
  }
  ttee(c, IDX);
  op_u(c, IF, I32);
  tget(c, INS);
  mem(c, I32_LOAD, dst + MB_GL_HT_SLOTS);
  tget(c, IDX);
  scaled(c, MB_GL_SLOT_SIZE);
  ttee(c, S);
  mem(c, I32_LOAD, MB_GL_SLOT_RES);
  tset(c, T);
  tget(c, INS);
  tget(c, T);
  mem(c, I32_STORE, dst + MB_GL_HT_FREE_HEAD);
  tget(c, T);
  op(c, I32_EQZ);
  op_u(c, IF, VOID);
  tget(c, INS);
  k32(c, 0);
  mem(c, I32_STORE, dst + MB_GL_HT_FREE_TAIL);
  op(c, END);
  tget(c, S);
  mem(c, I32_LOAD, MB_GL_SLOT_KEY);
  k32(c, -1);
  op(c, I32_XOR);
  op(c, ELSE);
  tget(c, INS);
  tget(c, INS);
  mem(c, I32_LOAD, dst + MB_GL_HT_LEN);
  ttee(c, IDX);
  k32(c, 1);
  op(c, I32_ADD);
  mem(c, I32_STORE, dst + MB_GL_HT_LEN);
  tget(c, INS);
  mem(c, I32_LOAD, dst + MB_GL_HT_SLOTS);
  tget(c, IDX);
  scaled(c, MB_GL_SLOT_SIZE);
  ttee(c, S);
  k32(c, 0);
  mem(c, I32_STORE, MB_GL_SLOT_LENDS);
  tget(c, IDX); /* generation 0 */
  op(c, END);
  set(c, out);
  tget(c, S);
  k32(c, type);
  mem(c, I32_STORE, MB_GL_SLOT_TYPE);
  tget(c, S);
  tget(c, RI);
  mem(c, I32_STORE, MB_GL_SLOT_RES);
  tget(c, S);
  get(c, out);
  if (!own) {
    k32(c, (int32_t)0x80000000);
    op(c, I32_OR);
  }
  mem(c, I32_STORE, MB_GL_SLOT_KEY);
  if (!own) return;
  tget(c, S);
  tget(c, INS);
  mem(c, I64_LOAD, dst + MB_GL_HT_SERIAL);
  mem(c, I64_STORE, MB_GL_SLOT_SERIAL);
  tget(c, INS);
  tget(c, INS);
  mem(c, I64_LOAD, dst + MB_GL_HT_SERIAL);
  op(c, I64_CONST);
  mb_buf_s64(c->b, 1);
  op(c, I64_ADD);
  mem(c, I64_STORE, dst + MB_GL_HT_SERIAL);
}

void mb__fast_move(const mb__fast *c, uint32_t from, uint32_t to, uint32_t type, uint32_t h,
                   uint32_t out) {
  uint32_t src = from * MB_GL_INST_SIZE;
  block(c); /* done */
  block(c); /* slow */
  check_insts(c);
  find_slot(c, from, type, h, true);
  tget(c, S);
  mem(c, I32_LOAD, MB_GL_SLOT_LENDS);
  op_u(c, BR_IF, 0);
  room(c, to);
  /* release: the key becomes ~(the next generation's handle), onto the free FIFO */
  tget(c, S);
  get(c, h);
  k32(c, 1u << MB_GL_INDEX_BITS);
  op(c, I32_ADD);
  k32(c, KEY_LIVE_MASK);
  op(c, I32_AND);
  k32(c, -1);
  op(c, I32_XOR);
  mem(c, I32_STORE, MB_GL_SLOT_KEY);
  tget(c, S);
  mem(c, I32_LOAD, MB_GL_SLOT_RES);
  tset(c, RI);
  tget(c, S);
  k32(c, 0);
  mem(c, I32_STORE, MB_GL_SLOT_RES);
  tget(c, INS);
  mem(c, I32_LOAD, src + MB_GL_HT_FREE_TAIL);
  ttee(c, T);
  op_u(c, IF, VOID);
  tget(c, SLS);
  tget(c, T);
  scaled(c, MB_GL_SLOT_SIZE);
  tget(c, IDX);
  mem(c, I32_STORE, MB_GL_SLOT_RES);
  op(c, ELSE);
  tget(c, INS);
  tget(c, IDX);
  mem(c, I32_STORE, src + MB_GL_HT_FREE_HEAD);
  op(c, END);
  tget(c, INS);
  tget(c, IDX);
  mem(c, I32_STORE, src + MB_GL_HT_FREE_TAIL);
  publish(c, to, type, true, from == to, out);
  op_u(c, BR, 1);
  op(c, END);
  k32(c, from);
  k32(c, type);
  get(c, h);
  k32(c, to);
  op_u(c, CALL, c->own_move);
  set(c, out);
  op(c, END);
}

void mb__fast_lend(const mb__fast *c, uint32_t caller, uint32_t callee, uint32_t type,
                   bool into_definer, uint32_t h, uint32_t scope, uint32_t out) {
  block(c);
  block(c);
  rt_load(c, MB_GL_RT_NLENDERS);
  ttee(c, NL);
  rt_load(c, MB_GL_RT_LENDERS_CAP);
  op(c, I32_GE_U);
  op_u(c, BR_IF, 0);
  find_slot(c, caller, type, h, false);
  rt_load(c, MB_GL_RT_RES);
  tget(c, S);
  mem(c, I32_LOAD, MB_GL_SLOT_RES);
  ttee(c, RI);
  scaled(c, MB_GL_RES_SIZE);
  ttee(c, R);
  mem(c, I32_LOAD, MB_GL_RES_DESTROYED);
  op_u(c, BR_IF, 0);
  /* the definer as the linker registered it, checked: the other case is the glue's */
  rt_load(c, MB_GL_RT_TYPES);
  mem(c, I32_LOAD, type * MB_GL_TYPE_SIZE + MB_GL_TYPE_DEFINER);
  k32(c, callee);
  op(c, into_definer ? I32_NE : I32_EQ);
  op_u(c, BR_IF, 0);
  if (into_definer) {
    /* the rep itself */
    tget(c, R);
    mem(c, I32_LOAD, MB_GL_RES_REP);
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
    mem(c, I32_STORE, MB_GL_SLOT_DEPTH); /* the scope's depth + 1 */
    tget(c, R);
    tget(c, R);
    mem(c, I32_LOAD, MB_GL_RES_REFS);
    k32(c, 1);
    op(c, I32_ADD);
    mem(c, I32_STORE, MB_GL_RES_REFS);
    rt_load(c, MB_GL_RT_SCOPES);
    tget(c, NS);
    k32(c, 1);
    op(c, I32_SUB);
    scaled(c, MB_GL_SCOPE_SIZE);
    ttee(c, T);
    tget(c, T);
    mem(c, I32_LOAD, MB_GL_SCOPE_BORROWS);
    k32(c, 1);
    op(c, I32_ADD);
    mem(c, I32_STORE, MB_GL_SCOPE_BORROWS);
    tget(c, SRC_S);
    tset(c, S);
    tget(c, SRC_IDX);
    tset(c, IDX);
  }
  /* the lender lent until the scope ends */
  tget(c, S);
  tget(c, S);
  mem(c, I32_LOAD, MB_GL_SLOT_LENDS);
  k32(c, 1);
  op(c, I32_ADD);
  mem(c, I32_STORE, MB_GL_SLOT_LENDS);
  rt_load(c, MB_GL_RT_LENDERS);
  tget(c, NL);
  scaled(c, MB_GL_LENDER_SIZE);
  ttee(c, T);
  k32(c, caller);
  mem(c, I32_STORE, MB_GL_LENDER_INST);
  tget(c, T);
  tget(c, IDX);
  mem(c, I32_STORE, MB_GL_LENDER_SLOT);
  rt_store_begin(c);
  tget(c, NL);
  k32(c, 1);
  op(c, I32_ADD);
  rt_store(c, MB_GL_RT_NLENDERS);
  op_u(c, BR, 1);
  op(c, END);
  get(c, scope);
  k32(c, type);
  get(c, h);
  op_u(c, CALL, c->lend);
  set(c, out);
  op(c, END);
}

void mb__fast_begin(const mb__fast *c, uint32_t caller, uint32_t callee, uint32_t scope) {
  block(c);
  block(c);
  check_insts(c);
  rt_load(c, MB_GL_RT_NSCOPES);
  ttee(c, NS);
  rt_load(c, MB_GL_RT_SCOPES_CAP);
  op(c, I32_GE_U);
  op_u(c, BR_IF, 0);
  /* ids: the serial, skipping 0 when it wraps */
  rt_load(c, MB_GL_RT_SCOPE_SERIAL);
  k32(c, 1);
  op(c, I32_ADD);
  tee(c, scope);
  k32(c, 1);
  get(c, scope);
  op(c, SELECT);
  set(c, scope);
  rt_store_begin(c);
  get(c, scope);
  rt_store(c, MB_GL_RT_SCOPE_SERIAL);
  rt_load(c, MB_GL_RT_SCOPES);
  tget(c, NS);
  scaled(c, MB_GL_SCOPE_SIZE);
  ttee(c, T);
  get(c, scope);
  mem(c, I32_STORE, MB_GL_SCOPE_ID);
  tget(c, T);
  k32(c, caller);
  mem(c, I32_STORE, MB_GL_SCOPE_CALLER);
  tget(c, T);
  k32(c, callee);
  mem(c, I32_STORE, MB_GL_SCOPE_CALLEE);
  tget(c, T);
  k32(c, 0);
  mem(c, I32_STORE, MB_GL_SCOPE_BORROWS);
  tget(c, T);
  rt_load(c, MB_GL_RT_NLENDERS);
  mem(c, I32_STORE, MB_GL_SCOPE_LENDER_BASE);
  rt_store_begin(c);
  tget(c, NS);
  k32(c, 1);
  op(c, I32_ADD);
  rt_store(c, MB_GL_RT_NSCOPES);
  op_u(c, BR, 1);
  op(c, END);
  k32(c, caller);
  k32(c, callee);
  op_u(c, CALL, c->begin);
  set(c, scope);
  op(c, END);
}

void mb__fast_end(const mb__fast *c, uint32_t scope) {
  block(c);
  block(c);
  /* the innermost scope, this one (never 0), with its borrows all dropped */
  rt_load(c, MB_GL_RT_NSCOPES);
  ttee(c, NS);
  op(c, I32_EQZ);
  op_u(c, BR_IF, 0);
  rt_load(c, MB_GL_RT_SCOPES);
  tget(c, NS);
  k32(c, 1);
  op(c, I32_SUB);
  scaled(c, MB_GL_SCOPE_SIZE);
  ttee(c, T);
  mem(c, I32_LOAD, MB_GL_SCOPE_ID);
  get(c, scope);
  op(c, I32_NE);
  op_u(c, BR_IF, 0);
  get(c, scope);
  op(c, I32_EQZ);
  op_u(c, BR_IF, 0);
  tget(c, T);
  mem(c, I32_LOAD, MB_GL_SCOPE_BORROWS);
  op_u(c, BR_IF, 0);
  /* its loans end: lenders[lender_base .. nlenders-1] */
  tget(c, T);
  mem(c, I32_LOAD, MB_GL_SCOPE_LENDER_BASE);
  ttee(c, I);
  tset(c, IDX); /* the base, for nlenders afterwards */
  rt_load(c, MB_GL_RT_NLENDERS);
  tset(c, NL);
  block(c);
  op_u(c, LOOP, VOID);
  tget(c, I);
  tget(c, NL);
  op(c, I32_GE_U);
  op_u(c, BR_IF, 1);
  rt_load(c, MB_GL_RT_LENDERS);
  tget(c, I);
  scaled(c, MB_GL_LENDER_SIZE);
  tset(c, R);
  tget(c, INS);
  tget(c, R);
  mem(c, I32_LOAD, MB_GL_LENDER_INST);
  scaled(c, MB_GL_INST_SIZE);
  mem(c, I32_LOAD, MB_GL_HT_SLOTS);
  tget(c, R);
  mem(c, I32_LOAD, MB_GL_LENDER_SLOT);
  scaled(c, MB_GL_SLOT_SIZE);
  ttee(c, S);
  tget(c, S);
  mem(c, I32_LOAD, MB_GL_SLOT_LENDS);
  k32(c, 1);
  op(c, I32_SUB);
  mem(c, I32_STORE, MB_GL_SLOT_LENDS);
  tget(c, I);
  k32(c, 1);
  op(c, I32_ADD);
  tset(c, I);
  op_u(c, BR, 0);
  op(c, END);
  op(c, END);
  rt_store_begin(c);
  tget(c, IDX);
  rt_store(c, MB_GL_RT_NLENDERS);
  rt_store_begin(c);
  tget(c, NS);
  k32(c, 1);
  op(c, I32_SUB);
  rt_store(c, MB_GL_RT_NSCOPES);
  op_u(c, BR, 1);
  op(c, END);
  get(c, scope);
  op_u(c, CALL, c->end);
  op(c, END);
}
