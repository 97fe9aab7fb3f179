/* fuzz_handles.c — differential handle-table fuzzer: the resource runtime's single
 * operations (mb_ht_* / mb_rt_* of virt/, as the native library runs them) against the
 * wasm32 glue's entries (virt/glue.c compiled natively with MB_GLUE_NATIVE: the same
 * source as the glue module, its exports, traps and the fused entries' inline fast paths
 * fast_move / fast_lend / fast_begin / fast_end that linker/fuse_fast.c mirrors in wasm).
 *
 * Input: a header (instances 2..4, resource types 1..3 with their definers, an optional
 * small max_handles) and then operations, one selector byte each followed by its
 * operands: new, rep, drop, dup, destroy, move, call begin, lend, call end, a fused call
 * (mb_call_enter with 1..4 own/borrow arguments, natively begin + move/lend each), a
 * fused return (mb_call_leave: move + end), teardown, unwind and an inspection of every
 * table. Handles are taken from the values the operations returned so far, or are 0,
 * negative, stale (another generation) or any i32; scopes from the open ones or any
 * value. The glue side calls either the `_e` export or the trapping one.
 *
 * What must hold, after every operation: both sides give the same error code, result,
 * diagnostic (code, op, instance, type, handle) and the same destructor calls; a glue
 * trap (a trapping export or a fused entry) happens exactly when the runtime's sequence
 * fails, with that error's code, and ends the run as it ends the wasm instance. The
 * inspection compares every handle's mb_ht_inspect, table counts and live resources.
 * At the end both sides unwind and tear every instance down: the same destructor calls,
 * and no resource is left alive. Destructors call back into the runtime when the rep
 * says so (dtor_action), so drop, destroy and teardown also run re-entrantly.
 *
 * Allocation failures: both sides allocate through one counter; the k-th allocation
 * fails (every k in turn under MB_FUZZ_OOM_SWEEP, else one from the input's hash). Each
 * operation must then give exactly what it gave in the clean run, or NOMEM /
 * TABLE_EXHAUSTED (a trap with that code on the glue side), which ends the run. Nothing
 * may leak: the counter (tests/common/test_alloc.h) has no block left after a run.
 *
 * MB_FUZZ_TRACE=FILE appends the glue calls of each clean run, with their results, to
 * FILE: tests/fuzz/handles_replay.mjs replays them on the real wasm32 glue under Node
 * (README.md: what that covers and what it does not). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "membrane_virt.h"
#include "../common/test_alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...)                                                              \
  do {                                                                                     \
    if (!(cond)) {                                                                         \
      fprintf(stderr, "%s:%d: property failed: %s: ", __FILE__, __LINE__, #cond);         \
      fprintf(stderr, __VA_ARGS__);                                                        \
      fputc('\n', stderr);                                                                 \
      abort();                                                                             \
    }                                                                                      \
  } while (0)

/* ---- the glue, compiled natively (virt/glue.c with MB_GLUE_NATIVE) ---- */

extern mb_rt mb_rt_store;
extern int32_t mb_args[];
int32_t glue_instance_new_e(void);
int32_t glue_type_new_e(uint32_t definer, const char *name, uint32_t name_len,
                        uint32_t dtor_index);
int32_t glue_resource_new_e(uint32_t inst, uint32_t type, int32_t rep);
int32_t glue_resource_new(uint32_t inst, uint32_t type, int32_t rep);
int32_t glue_resource_rep_e(uint32_t inst, uint32_t type, int32_t handle);
int32_t glue_resource_rep(uint32_t inst, uint32_t type, int32_t handle);
int32_t glue_resource_drop_e(uint32_t inst, uint32_t type, int32_t handle);
void glue_resource_drop(uint32_t inst, uint32_t type, int32_t handle);
int32_t glue_resource_dup_e(uint32_t inst, uint32_t type, int32_t handle);
int32_t glue_resource_dup(uint32_t inst, uint32_t type, int32_t handle);
int32_t glue_resource_destroy_e(uint32_t inst, uint32_t type, int32_t handle);
void glue_resource_destroy(uint32_t inst, uint32_t type, int32_t handle);
int32_t glue_own_move_e(uint32_t from, uint32_t type, int32_t handle, uint32_t to);
int32_t glue_own_move(uint32_t from, uint32_t type, int32_t handle, uint32_t to);
int32_t glue_call_begin_e(uint32_t caller, uint32_t callee);
int32_t glue_call_begin(uint32_t caller, uint32_t callee);
int32_t glue_borrow_lend_e(uint32_t scope, uint32_t type, int32_t handle);
int32_t glue_borrow_lend(uint32_t scope, uint32_t type, int32_t handle);
int32_t glue_call_end_e(uint32_t scope);
void glue_call_end(uint32_t scope);
int32_t glue_call_enter(uint32_t caller, uint32_t callee, uint32_t n);
int32_t glue_call_leave(uint32_t scope, uint32_t from, uint32_t type, int32_t handle,
                        uint32_t to);
int32_t glue_teardown_e(uint32_t inst);
void glue_teardown(uint32_t inst);
int32_t glue_unwind_e(void);
int32_t glue_result(void);

/* ---- allocation: one counter for both sides (tests/common/test_alloc.h) ---- */

static test_alloc g_ta;

/* The glue's allocator. mb_rt_free(&mb_rt_store) ends by freeing the runtime itself,
 * which is static here: skipped. */
void *mb__glue_realloc(void *ptr, size_t size, void *user) {
  (void)user;
  if (ptr == (void *)&mb_rt_store) return NULL;
  return test_alloc_realloc(ptr, size, &g_ta);
}

/* ---- traps and destructors ---- */

static jmp_buf g_trap_jmp;
static int32_t g_trap;

void mb__glue_native_trap(int32_t code) {
  g_trap = code;
  longjmp(g_trap_jmp, 1);
}

#define LOG_MAX 512
typedef struct dtor_log {
  uint32_t n;
  struct {
    uint32_t type;
    int32_t rep;
  } e[LOG_MAX];
} dtor_log;
static dtor_log g_log_native, g_log_glue;

static void log_add(dtor_log *l, uint32_t type, int32_t rep) {
  if (l->n < LOG_MAX) {
    l->e[l->n].type = type;
    l->e[l->n].rep = rep;
  }
  l->n++;
}

static mb_rt *g_native_rt;
static bool g_dtor_actions;
/* A destructor's call ran out of memory or table: the outer operation cannot report it,
 * so a run with an injected failure stops there (the state may differ from then on). */
static bool g_dtor_oom;

/* A destructor may call back into the runtime (membrane_virt.h). One whose rep has bit 7
 * set does, in the type's definer, on its own side: (rep >> 5) & 3 == 0 drops handle
 * rep & 31 there, 1 creates a resource (rep 0), 2 tears the definer down. The code and
 * result go into the log, which both sides must write alike. Off while tracing: the
 * Node replay registers no destructors, so it could not make these calls. */
static void dtor_action(bool glue, uint32_t type, int32_t rep, dtor_log *l) {
  if (!g_dtor_actions || !(rep & 0x80)) return;
  mb_rt *rt = glue ? &mb_rt_store : g_native_rt;
  uint32_t inst = mb_rt_type_definer(rt, type);
  int32_t err = 0, res = 0;
  switch ((rep >> 5) & 3) {
  case 0:
    err = glue ? glue_resource_drop_e(inst, type, rep & 31)
               : (int32_t)mb_ht_drop(rt, inst, type, rep & 31);
    break;
  case 1:
    if (glue) {
      err = glue_resource_new_e(inst, type, 0);
      res = glue_result();
    } else {
      err = (int32_t)mb_ht_new(rt, inst, type, 0, &res);
      if (err) res = 0;
    }
    break;
  case 2: err = glue ? glue_teardown_e(inst) : (int32_t)mb_rt_teardown(rt, inst); break;
  default: return;
  }
  if (err == MB_VIRT_ERR_NOMEM || err == MB_VIRT_ERR_TABLE_EXHAUSTED) g_dtor_oom = true;
  log_add(l, UINT32_MAX, err);
  log_add(l, UINT32_MAX - 1, res);
}

static void native_dtor(void *user, uint32_t type, int32_t rep) {
  (void)user;
  log_add(&g_log_native, type, rep);
  dtor_action(false, type, rep, &g_log_native);
}

/* The glue's destructor index is type + 1 (0 means none). */
void mb__glue_native_dtor(uint32_t index, int32_t rep) {
  log_add(&g_log_glue, index - 1, rep);
  dtor_action(true, index - 1, rep, &g_log_glue);
}

static bool logs_equal(void) {
  if (g_log_native.n != g_log_glue.n) return false;
  uint32_t n = g_log_native.n < LOG_MAX ? g_log_native.n : LOG_MAX;
  for (uint32_t i = 0; i < n; i++)
    if (g_log_native.e[i].type != g_log_glue.e[i].type ||
        g_log_native.e[i].rep != g_log_glue.e[i].rep)
      return false;
  return true;
}

/* ---- the trace for the Node replay ---- */

static FILE *g_trace;

static void trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void trace(const char *fmt, ...) {
  if (!g_trace) return;
  va_list ap;
  va_start(ap, fmt);
  vfprintf(g_trace, fmt, ap);
  va_end(ap);
}

/* ---- input ---- */

typedef struct reader {
  const uint8_t *p;
  size_t n, pos;
} reader;

static uint8_t rd8(reader *r) { return r->pos < r->n ? r->p[r->pos++] : 0; }
static uint32_t rd32(reader *r) {
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) v |= (uint32_t)rd8(r) << (8 * i);
  return v;
}

/* ---- one run ---- */

#define MAX_OPS 200
#define POOL 64
#define MAX_INSTS 4
#define MAX_TYPES 3

/* What one operation gave on one side. */
typedef struct outcome {
  int32_t err;       /* mb_virt_err; for a trapping call the trap's code, 0 if none */
  int32_t res;       /* result (0 on error) */
  int32_t outs[4];   /* a fused call's callee values */
  mb_virt_diag diag; /* after an `_e` failure; zeroed otherwise */
  uint64_t state;    /* digest of an inspection */
} outcome;

typedef struct run {
  reader in;
  bool injecting;
  uint64_t *expect; /* per operation: the clean run's outcome digest */
  uint32_t nexpect;
  mb_rt *rt; /* the native side */
  uint32_t ninsts, ntypes;
  int32_t pool[POOL];
  uint32_t npool, pool_next;
  uint32_t scopes[64]; /* open scopes, as the native side opened them */
  uint32_t nscopes;
} run;

static void pool_add(run *r, int32_t h) {
  if (h == 0) return;
  if (r->npool < POOL) {
    r->pool[r->npool++] = h;
  } else {
    r->pool[r->pool_next] = h;
    r->pool_next = (r->pool_next + 1) % POOL;
  }
}

static int32_t pick_handle(run *r) {
  uint8_t b = rd8(&r->in);
  if (b < 208 && r->npool) return r->pool[b % r->npool];
  switch (b & 7) {
  case 0: return 0;
  case 1: return -1;
  case 2: return INT32_MIN;
  case 3: return r->npool ? (int32_t)((uint32_t)r->pool[b % r->npool] + (1u << MB_HT_INDEX_BITS)) & INT32_MAX : 1;
  case 4: return (int32_t)(b >> 3); /* a small index */
  default: return (int32_t)rd32(&r->in);
  }
}

static uint32_t pick_inst(run *r) {
  uint8_t b = rd8(&r->in);
  return b < 250 ? b % r->ninsts : b - 250 + r->ninsts; /* a few unknown ones */
}

static uint32_t pick_type(run *r) {
  uint8_t b = rd8(&r->in);
  return b < 250 ? b % r->ntypes : b - 250 + r->ntypes;
}

static uint32_t pick_scope(run *r) {
  uint8_t b = rd8(&r->in);
  if (b < 200 && r->nscopes) return r->scopes[r->nscopes - 1 - (b % 4 < r->nscopes ? b % 4 : 0)];
  return b & 1 ? 0 : b;
}

static uint64_t hash(uint64_t h, const void *p, size_t n) {
  const uint8_t *b = p;
  for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001B3u;
  return h;
}

static uint64_t outcome_digest(const outcome *o) {
  uint64_t h = 0xCBF29CE484222325u;
  h = hash(h, &o->err, sizeof o->err);
  h = hash(h, &o->res, sizeof o->res);
  h = hash(h, o->outs, sizeof o->outs);
  h = hash(h, &o->diag.code, sizeof o->diag.code);
  if (o->diag.op) h = hash(h, o->diag.op, strlen(o->diag.op));
  h = hash(h, &o->diag.inst, sizeof o->diag.inst);
  h = hash(h, &o->diag.type, sizeof o->diag.type);
  h = hash(h, &o->diag.handle, sizeof o->diag.handle);
  h = hash(h, &o->state, sizeof o->state);
  return h;
}

static bool is_oom(int32_t err) {
  return err == MB_VIRT_ERR_NOMEM || err == MB_VIRT_ERR_TABLE_EXHAUSTED;
}

static void diag_of(const mb_rt *rt, int32_t err, outcome *o) {
  if (err) o->diag = *mb_rt_diag(rt);
}

/* The state both sides must agree on: every pooled handle in every table as inspected,
 * table counts, live resources. */
static uint64_t inspect_digest(const run *r, const mb_rt *rt) {
  uint64_t h = 0xCBF29CE484222325u;
  for (uint32_t i = 0; i < r->ninsts; i++) {
    uint32_t c = mb_ht_count(rt, i);
    h = hash(h, &c, sizeof c);
    for (uint32_t k = 0; k < r->npool; k++) {
      mb_ht_info info;
      memset(&info, 0, sizeof info);
      int32_t e = mb_ht_inspect(rt, i, r->pool[k], &info);
      h = hash(h, &e, sizeof e);
      if (!e) {
        h = hash(h, &info.kind, sizeof info.kind);
        h = hash(h, &info.type, sizeof info.type);
        h = hash(h, &info.rep, sizeof info.rep);
        h = hash(h, &info.lends, sizeof info.lends);
        h = hash(h, &info.refs, sizeof info.refs);
        h = hash(h, &info.destroyed, sizeof info.destroyed);
      }
    }
  }
  uint32_t live = mb_rt_resource_count(rt);
  return hash(h, &live, sizeof live);
}

static void glue_reset(uint32_t max_handles) {
  mb_rt_free(&mb_rt_store); /* frees its arrays; the store itself is static */
  memset(&mb_rt_store, 0, sizeof mb_rt_store);
  mb_rt_store.alloc.fn = mb__glue_realloc;
  mb_rt_store.max_handles = max_handles;
}

/* Compares one operation's outcomes; returns false when the run must stop (a trap, or an
 * injected failure surfaced). */
static bool settle(run *r, uint32_t op_index, const outcome *n, const outcome *g, bool trapped,
                   const char *what) {
  if (r->injecting) {
    if (is_oom(n->err) || is_oom(g->err) || g_dtor_oom) return false;
    FUZZ_CHECK(op_index < r->nexpect && outcome_digest(n) == r->expect[op_index],
               "%s (op %u): under an injected allocation failure the runtime gave err %d res %d, "
               "not what the clean run gave", what, op_index, n->err, n->res);
    FUZZ_CHECK(outcome_digest(g) == r->expect[op_index],
               "%s (op %u): under an injected allocation failure the glue gave err %d res %d, "
               "not what the clean run gave", what, op_index, g->err, g->res);
  } else {
    FUZZ_CHECK(n->err == g->err, "%s (op %u): runtime err %d (%s), glue err %d (%s)%s", what,
               op_index, n->err, mb_virt_err_message((mb_virt_err)n->err), g->err,
               mb_virt_err_message((mb_virt_err)g->err), trapped ? " (a trap)" : "");
    FUZZ_CHECK(n->res == g->res, "%s (op %u): runtime result %d, glue result %d", what, op_index,
               n->res, g->res);
    FUZZ_CHECK(memcmp(n->outs, g->outs, sizeof n->outs) == 0,
               "%s (op %u): the callee's values differ: runtime %d %d %d %d, glue %d %d %d %d",
               what, op_index, n->outs[0], n->outs[1], n->outs[2], n->outs[3], g->outs[0],
               g->outs[1], g->outs[2], g->outs[3]);
    FUZZ_CHECK(n->diag.code == g->diag.code && n->diag.inst == g->diag.inst &&
                   n->diag.type == g->diag.type && n->diag.handle == g->diag.handle &&
                   (n->diag.op == g->diag.op ||
                    (n->diag.op && g->diag.op && strcmp(n->diag.op, g->diag.op) == 0)),
               "%s (op %u): diagnostics differ: runtime %d %s %u %u %d, glue %d %s %u %u %d", what,
               op_index, n->diag.code, n->diag.op ? n->diag.op : "-", n->diag.inst, n->diag.type,
               n->diag.handle, g->diag.code, g->diag.op ? g->diag.op : "-", g->diag.inst,
               g->diag.type, g->diag.handle);
    FUZZ_CHECK(n->state == g->state, "%s (op %u): the tables differ on inspection", what,
               op_index);
    FUZZ_CHECK(logs_equal(), "%s (op %u): destructor calls differ (%u vs %u)", what, op_index,
               g_log_native.n, g_log_glue.n);
    if (r->nexpect < MAX_OPS + 8) r->expect[r->nexpect++] = outcome_digest(n);
  }
  return !trapped;
}

/* A call of one of the glue's trapping entries: the setjmp lives here, in a frame whose
 * only locals are the two pointers, so nothing the callers keep can be clobbered. */
typedef enum gk {
  GK_NEW, GK_REP, GK_DROP, GK_DUP, GK_DESTROY, GK_MOVE, GK_BEGIN, GK_LEND, GK_END,
  GK_ENTER, GK_LEAVE, GK_TEARDOWN
} gk;
typedef struct gcall {
  gk kind;
  uint32_t a[5];
  int32_t res;
} gcall;

/* Runs c; true when it trapped (the code in *code), else its result in c->res. */
static bool glue_trapping(gcall *c, int32_t *code) {
  if (setjmp(g_trap_jmp) != 0) {
    *code = g_trap;
    c->res = 0;
    return true;
  }
  const uint32_t *a = c->a;
  int32_t res = 0;
  switch (c->kind) {
  case GK_NEW: res = glue_resource_new(a[0], a[1], (int32_t)a[2]); break;
  case GK_REP: res = glue_resource_rep(a[0], a[1], (int32_t)a[2]); break;
  case GK_DROP: glue_resource_drop(a[0], a[1], (int32_t)a[2]); break;
  case GK_DUP: res = glue_resource_dup(a[0], a[1], (int32_t)a[2]); break;
  case GK_DESTROY: glue_resource_destroy(a[0], a[1], (int32_t)a[2]); break;
  case GK_MOVE: res = glue_own_move(a[0], a[1], (int32_t)a[2], a[3]); break;
  case GK_BEGIN: res = glue_call_begin(a[0], a[1]); break;
  case GK_LEND: res = glue_borrow_lend(a[0], a[1], (int32_t)a[2]); break;
  case GK_END: glue_call_end(a[0]); break;
  case GK_ENTER: res = glue_call_enter(a[0], a[1], a[2]); break;
  case GK_LEAVE: res = glue_call_leave(a[0], a[1], a[2], (int32_t)a[3], a[4]); break;
  case GK_TEARDOWN: glue_teardown(a[0]); break;
  }
  c->res = res;
  *code = 0;
  return false;
}

static const char *const single_names[] = {"mb_resource_new", "mb_resource_rep",
                                           "mb_resource_drop", "mb_resource_dup",
                                           "mb_resource_destroy"};

/* new / rep / drop / dup / destroy: (inst, type, x) with x the rep for new. */
static bool op_single(run *r, uint32_t idx, int which) {
  uint8_t mode = rd8(&r->in);
  uint32_t inst = pick_inst(r), type = pick_type(r);
  int32_t x = which == 0 ? (int32_t)(rd8(&r->in) & 1 ? rd32(&r->in) : rd8(&r->in)) : pick_handle(r);
  outcome n = {0}, g = {0};
  switch (which) {
  case 0: n.err = mb_ht_new(r->rt, inst, type, x, &n.res); break;
  case 1: n.err = mb_ht_rep(r->rt, inst, type, x, &n.res); break;
  case 2: n.err = mb_ht_drop(r->rt, inst, type, x); break;
  case 3: n.err = mb_ht_dup(r->rt, inst, type, x, &n.res); break;
  default: n.err = mb_ht_destroy(r->rt, inst, type, x); break;
  }
  if (n.err) n.res = 0;
  diag_of(r->rt, n.err, &n);
  bool trapping = mode & 1, trapped = false;
  if (!trapping) {
    switch (which) {
    case 0: g.err = glue_resource_new_e(inst, type, x); break;
    case 1: g.err = glue_resource_rep_e(inst, type, x); break;
    case 2: g.err = glue_resource_drop_e(inst, type, x); break;
    case 3: g.err = glue_resource_dup_e(inst, type, x); break;
    default: g.err = glue_resource_destroy_e(inst, type, x); break;
    }
    g.res = glue_result();
    diag_of(&mb_rt_store, g.err, &g);
    trace("C %s_e %u %u %d = %d %d\n", single_names[which], inst, type, x, g.err, g.res);
  } else {
    static const gk kinds[] = {GK_NEW, GK_REP, GK_DROP, GK_DUP, GK_DESTROY};
    gcall c = {kinds[which], {inst, type, (uint32_t)x}, 0};
    trapped = glue_trapping(&c, &g.err);
    g.res = c.res;
    n.diag = (mb_virt_diag){0}; /* a trap carries only its code */
    trace("T %s %u %u %d = %d %d\n", single_names[which], inst, type, x, g.err, g.res);
  }
  if (!n.err && (which == 0 || which == 3)) pool_add(r, n.res);
  return settle(r, idx, &n, &g, trapped, single_names[which]);
}

static bool op_move(run *r, uint32_t idx) {
  uint8_t mode = rd8(&r->in) % 4;
  uint32_t from = pick_inst(r), type = pick_type(r), to = pick_inst(r);
  int32_t h = pick_handle(r);
  outcome n = {0}, g = {0};
  n.err = mb_ht_move(r->rt, from, type, h, to, &n.res);
  if (n.err) n.res = 0;
  bool trapped = false;
  if (mode == 0) {
    diag_of(r->rt, n.err, &n);
    g.err = glue_own_move_e(from, type, h, to);
    g.res = glue_result();
    diag_of(&mb_rt_store, g.err, &g);
    trace("C mb_own_move_e %u %u %d %u = %d %d\n", from, type, h, to, g.err, g.res);
  } else {
    int32_t res = 0;
    if (mode == 1) {
      gcall c = {GK_MOVE, {from, type, (uint32_t)h, to}, 0};
      trapped = glue_trapping(&c, &g.err);
      res = c.res;
      trace("T mb_own_move %u %u %d %u", from, type, h, to);
    } else if (mode == 2) {
      /* a fused call with one own argument: no scope, the fast move */
      mb_args[0] = h;
      mb_args[1] = (int32_t)(type << 1);
      gcall c = {GK_ENTER, {from, to, 1}, 0};
      trapped = glue_trapping(&c, &g.err);
      res = c.res;
      FUZZ_CHECK(trapped || res == 0, "mb_call_enter of an own argument opened scope %d", res);
      if (!trapped) res = mb_args[0];
      trace("E %u %u 1 %d %u = %d 0 %d\n", from, to, h, type << 1, g.err, trapped ? 0 : res);
    } else {
      /* a fused return without a scope */
      gcall c = {GK_LEAVE, {0, from, type, (uint32_t)h, to}, 0};
      trapped = glue_trapping(&c, &g.err);
      res = c.res;
      trace("L 0 %u %u %d %u", from, type, h, to);
    }
    g.res = trapped ? 0 : res;
    if (mode != 2) trace(" = %d %d\n", g.err, g.res);
  }
  if (!n.err) pool_add(r, n.res);
  return settle(r, idx, &n, &g, trapped, "move");
}

static bool op_begin(run *r, uint32_t idx) {
  uint8_t mode = rd8(&r->in);
  uint32_t caller = pick_inst(r), callee = pick_inst(r);
  outcome n = {0}, g = {0};
  uint32_t scope = 0;
  n.err = mb_rt_call_begin(r->rt, caller, callee, &scope);
  n.res = n.err ? 0 : (int32_t)scope;
  bool trapped = false;
  if (mode & 1) {
    gcall c = {GK_BEGIN, {caller, callee}, 0};
    trapped = glue_trapping(&c, &g.err);
    g.res = c.res;
    trace("T mb_call_begin %u %u = %d %d\n", caller, callee, g.err, g.res);
  } else {
    diag_of(r->rt, n.err, &n);
    g.err = glue_call_begin_e(caller, callee);
    g.res = glue_result();
    diag_of(&mb_rt_store, g.err, &g);
    trace("C mb_call_begin_e %u %u = %d %d\n", caller, callee, g.err, g.res);
  }
  if (!n.err && r->nscopes < 64) r->scopes[r->nscopes++] = scope;
  return settle(r, idx, &n, &g, trapped, "call begin");
}

static bool op_lend(run *r, uint32_t idx) {
  uint8_t mode = rd8(&r->in);
  uint32_t scope = pick_scope(r), type = pick_type(r);
  int32_t h = pick_handle(r);
  outcome n = {0}, g = {0};
  n.err = mb_ht_lend(r->rt, scope, type, h, &n.res);
  if (n.err) n.res = 0;
  bool trapped = false;
  if (mode & 1) {
    gcall c = {GK_LEND, {scope, type, (uint32_t)h}, 0};
    trapped = glue_trapping(&c, &g.err);
    g.res = c.res;
    trace("T mb_borrow_lend %u %u %d = %d %d\n", scope, type, h, g.err, g.res);
  } else {
    diag_of(r->rt, n.err, &n);
    g.err = glue_borrow_lend_e(scope, type, h);
    g.res = glue_result();
    diag_of(&mb_rt_store, g.err, &g);
    trace("C mb_borrow_lend_e %u %u %d = %d %d\n", scope, type, h, g.err, g.res);
  }
  if (!n.err) pool_add(r, n.res);
  return settle(r, idx, &n, &g, trapped, "lend");
}

static void scope_closed(run *r, uint32_t scope) {
  for (uint32_t i = r->nscopes; i-- > 0;) {
    if (r->scopes[i] == scope) {
      r->nscopes = i;
      return;
    }
  }
}

static bool op_end(run *r, uint32_t idx) {
  uint8_t mode = rd8(&r->in) % 3;
  uint32_t scope = pick_scope(r);
  outcome n = {0}, g = {0};
  bool trapped = false;
  if (mode == 2) {
    /* a fused return: move the own result back, then end the scope */
    uint32_t from = pick_inst(r), type = pick_type(r), to = pick_inst(r);
    int32_t h = pick_handle(r);
    n.err = mb_ht_move(r->rt, from, type, h, to, &n.res);
    if (!n.err && scope) n.err = mb_rt_call_end(r->rt, scope);
    if (n.err) n.res = 0;
    gcall c = {GK_LEAVE, {scope, from, type, (uint32_t)h, to}, 0};
    trapped = glue_trapping(&c, &g.err);
    g.res = c.res;
    trace("L %u %u %u %d %u = %d %d\n", scope, from, type, h, to, g.err, g.res);
    if (!n.err) pool_add(r, n.res);
  } else {
    n.err = mb_rt_call_end(r->rt, scope);
    if (mode == 1) {
      gcall c = {GK_END, {scope}, 0};
      trapped = glue_trapping(&c, &g.err);
      trace("T mb_call_end %u = %d 0\n", scope, g.err);
    } else {
      diag_of(r->rt, n.err, &n);
      g.err = glue_call_end_e(scope);
      g.res = glue_result();
      diag_of(&mb_rt_store, g.err, &g);
      trace("C mb_call_end_e %u = %d %d\n", scope, g.err, g.res);
    }
  }
  if (!n.err) scope_closed(r, scope);
  return settle(r, idx, &n, &g, trapped, "call end");
}

/* A fused call: mb_call_enter(caller, callee, k) against begin (when any argument is a
 * borrow) and a move or lend per argument, in order, stopping at the first failure. */
static bool op_enter(run *r, uint32_t idx) {
  uint32_t caller = pick_inst(r), callee = pick_inst(r);
  uint32_t k = 1 + rd8(&r->in) % 4;
  int32_t hs[4];
  uint32_t words[4];
  bool any_borrow = false;
  for (uint32_t i = 0; i < k; i++) {
    uint8_t b = rd8(&r->in);
    words[i] = (pick_type(r) << 1) | (b & 1);
    hs[i] = pick_handle(r);
    any_borrow |= b & 1;
  }
  outcome n = {0}, g = {0};
  uint32_t scope = 0;
  if (any_borrow) n.err = mb_rt_call_begin(r->rt, caller, callee, &scope);
  for (uint32_t i = 0; i < k && !n.err; i++) {
    if (words[i] & 1)
      n.err = mb_ht_lend(r->rt, scope, words[i] >> 1, hs[i], &n.outs[i]);
    else
      n.err = mb_ht_move(r->rt, caller, words[i] >> 1, hs[i], callee, &n.outs[i]);
  }
  n.res = (int32_t)scope;
  if (n.err) {
    n.res = 0;
    memset(n.outs, 0, sizeof n.outs);
  }
  for (uint32_t i = 0; i < k; i++) {
    mb_args[2 * i] = hs[i];
    mb_args[2 * i + 1] = (int32_t)words[i];
  }
  bool trapped = false;
  gcall c = {GK_ENTER, {caller, callee, k}, 0};
  trapped = glue_trapping(&c, &g.err);
  int32_t res = c.res;
  trace("E %u %u %u", caller, callee, k);
  for (uint32_t i = 0; i < k; i++) trace(" %d %u", hs[i], words[i]);
  if (!trapped) {
    g.res = res;
    for (uint32_t i = 0; i < k; i++) g.outs[i] = mb_args[2 * i];
  }
  trace(" = %d %d", g.err, g.res);
  for (uint32_t i = 0; i < k; i++) trace(" %d", g.outs[i]);
  trace("\n");
  if (!n.err) {
    if (any_borrow && r->nscopes < 64) r->scopes[r->nscopes++] = scope;
    for (uint32_t i = 0; i < k; i++) pool_add(r, n.outs[i]);
  }
  return settle(r, idx, &n, &g, trapped, "fused call");
}

static bool op_teardown(run *r, uint32_t idx, bool unwind) {
  uint8_t mode = rd8(&r->in);
  uint32_t inst = unwind ? 0 : pick_inst(r);
  outcome n = {0}, g = {0};
  bool trapped = false;
  n.err = unwind ? mb_rt_unwind(r->rt) : mb_rt_teardown(r->rt, inst);
  if (unwind) {
    diag_of(r->rt, n.err, &n);
    g.err = glue_unwind_e();
    diag_of(&mb_rt_store, g.err, &g);
    trace("C mb_unwind_e = %d 0\n", g.err);
    if (!n.err) r->nscopes = 0;
  } else if (mode & 1) {
    gcall c = {GK_TEARDOWN, {inst}, 0};
    trapped = glue_trapping(&c, &g.err);
    trace("T mb_teardown %u = %d 0\n", inst, g.err);
  } else {
    diag_of(r->rt, n.err, &n);
    g.err = glue_teardown_e(inst);
    diag_of(&mb_rt_store, g.err, &g);
    trace("C mb_teardown_e %u = %d 0\n", inst, g.err);
  }
  return settle(r, idx, &n, &g, trapped, unwind ? "unwind" : "teardown");
}

static bool op_inspect(run *r, uint32_t idx) {
  outcome n = {0}, g = {0};
  n.state = inspect_digest(r, r->rt);
  g.state = inspect_digest(r, &mb_rt_store);
  n.res = (int32_t)mb_rt_resource_count(r->rt);
  g.res = (int32_t)mb_rt_resource_count(&mb_rt_store);
  trace("I = %d\n", g.res);
  return settle(r, idx, &n, &g, false, "inspect");
}

/* Returns false when an injected failure stopped the run. */
static bool run_once(run *r) {
  bool stopped = false, ok = true;
  g_log_native.n = g_log_glue.n = 0;
  g_dtor_oom = false;
  uint8_t h0 = rd8(&r->in), h1 = rd8(&r->in);
  r->ninsts = 2 + h0 % 3;
  r->ntypes = 1 + (h0 >> 2) % 3;
  uint32_t max_handles = h1 & 0x80 ? 1u + (h1 & 7u) : MB_HT_MAX_HANDLES;
  mb_rt_options opt = {.alloc = g_ta.mb, .max_handles = max_handles};
  glue_reset(max_handles);
  trace("R %u\n", max_handles);
  if (mb_rt_new(&opt, &r->rt)) {
    FUZZ_CHECK(r->injecting, "mb_rt_new failed");
    return false;
  }
  g_native_rt = r->rt;
  /* Instances and types: set-up, not differential operations; a failure here can only
   * be an injected one. */
  for (uint32_t i = 0; i < r->ninsts && ok; i++) {
    uint32_t a = 0;
    mb_virt_err e = mb_rt_instance_add(r->rt, &a);
    int32_t ge = glue_instance_new_e();
    trace("C mb_instance_new_e = %d %d\n", ge, glue_result());
    ok = !e && !ge;
    FUZZ_CHECK(ok || r->injecting, "adding an instance failed: %d %d", e, ge);
    FUZZ_CHECK(!ok || (a == i && glue_result() == (int32_t)i), "instance ids differ");
  }
  for (uint32_t t = 0; t < r->ntypes && ok; t++) {
    uint32_t definer = rd8(&r->in) % r->ninsts, a = 0;
    char name[2] = {(char)('a' + t), 0};
    mb_virt_dtor d = {native_dtor, NULL};
    mb_virt_err e = mb_rt_type_add(r->rt, definer, name, 1, &d, &a);
    int32_t ge = glue_type_new_e(definer, name, 1, t + 1);
    trace("Y %u %s = %d %d\n", definer, name, ge, glue_result());
    ok = !e && !ge;
    FUZZ_CHECK(ok || r->injecting, "adding a type failed: %d %d", e, ge);
    FUZZ_CHECK(!ok || (a == t && glue_result() == (int32_t)t), "type ids differ");
  }
  if (!ok) stopped = true;
  uint32_t idx = 0;
  while (ok && r->in.pos < r->in.n && idx < MAX_OPS) {
    uint8_t op = rd8(&r->in) % 14;
    switch (op) {
    case 0: case 1: case 2: case 3: case 4: ok = op_single(r, idx, op); break;
    case 5: ok = op_move(r, idx); break;
    case 6: ok = op_begin(r, idx); break;
    case 7: ok = op_lend(r, idx); break;
    case 8: ok = op_end(r, idx); break;
    case 9: case 10: ok = op_enter(r, idx); break;
    case 11: ok = op_teardown(r, idx, (rd8(&r->in) & 7) == 0); break;
    default: ok = op_inspect(r, idx); break;
    }
    idx++;
  }
  if (!ok && r->injecting) stopped = true; /* a trap, or the injected failure surfaced */
  if (ok) {
    /* the end of the process: unwind, tear everything down; nothing may stay alive */
    ok = op_teardown(r, idx++, true);
    /* A destructor that runs in a teardown may create a resource in an instance torn
     * down before (dtor_action): a second round drops those (their rep 0 acts no more). */
    for (uint32_t round = 0; ok && round < 2 && (round == 0 || mb_rt_resource_count(r->rt));
         round++)
    for (uint32_t i = 0; i < r->ninsts && ok; i++) {
      outcome n = {0}, g = {0};
      n.err = mb_rt_teardown(r->rt, i);
      diag_of(r->rt, n.err, &n);
      g.err = glue_teardown_e(i);
      diag_of(&mb_rt_store, g.err, &g);
      trace("C mb_teardown_e %u = %d 0\n", i, g.err);
      ok = settle(r, idx++, &n, &g, false, "final teardown");
    }
    if (ok) {
      FUZZ_CHECK(mb_rt_resource_count(r->rt) == 0 && mb_rt_resource_count(&mb_rt_store) == 0,
                 "resources alive after every instance was torn down: %u, glue %u",
                 mb_rt_resource_count(r->rt), mb_rt_resource_count(&mb_rt_store));
      trace("I = 0\n");
    } else if (r->injecting) {
      stopped = true;
    }
  }
  mb_rt_free(r->rt);
  r->rt = NULL;
  glue_reset(MB_HT_MAX_HANDLES);
  return !stopped;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int sweep = -1;
  static const char *trace_path;
  if (sweep < 0) {
    sweep = getenv("MB_FUZZ_OOM_SWEEP") != NULL;
    trace_path = getenv("MB_FUZZ_TRACE");
  }
  uint64_t expect[MAX_OPS + 8];
  run r = {.in = {data, size, 0}, .expect = expect};
  test_alloc_init(&g_ta, 0, false);
  g_dtor_actions = trace_path == NULL;
  if (trace_path) g_trace = fopen(trace_path, "a");
  run_once(&r);
  FUZZ_CHECK(g_ta.live == 0, "a run left %ld blocks (%zu bytes)", g_ta.live, g_ta.live_bytes);
  if (g_trace) {
    fclose(g_trace);
    g_trace = NULL;
  }
  uint64_t total = (uint64_t)g_ta.calls;
  if (total == 0) return 0;
  uint64_t first = 1 + hash(0xCBF29CE484222325u, data, size) % total, last = first;
  if (sweep) first = 1, last = total;
  uint32_t nexpect = r.nexpect;
  for (uint64_t k = first; k <= last; k++) {
    run r2 = {.in = {data, size, 0}, .injecting = true, .expect = expect, .nexpect = nexpect};
    test_alloc_init(&g_ta, (long)k, false);
    run_once(&r2);
    FUZZ_CHECK(g_ta.live == 0, "allocation %llu failed and %ld blocks leaked", (unsigned long long)k,
               g_ta.live);
  }
  g_ta.fail_at = 0;
  return 0;
}
