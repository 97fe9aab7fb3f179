/* single.c — `--memory single`: the fused multi-memory module lowered to one memory with
 * a region per memory (DESIGN.md, "Memory models of an output").
 *
 * Every memory instruction names its memory, so the lowering is per instruction and
 * needs no idea of which instance a function belongs to:
 *   - loads, stores, atomics, SIMD memory ops: the region's base goes into the static
 *     memarg offset (offset + base must fit in u32). The engine computes addr + offset
 *     without wraparound, so nothing reaches below the base; the last region ends where
 *     the memory ends, so the engine's own bounds check is the region's. A fixed region
 *     that is checked gets `addr + offset + size > current bytes` -> trap before the
 *     access (in i64, exact: it traps where the instance's own memory would have);
 *   - memory.size / memory.grow: the region's own pages (a global per fixed region;
 *     memory.size 0 minus the base for the last), grow returning -1 past a fixed region;
 *   - memory.fill / copy / init: run-time addresses checked against the region(s) and
 *     moved by the base (a helper function each, init inline);
 *   - active data segments move by the base (checked to fit the region at link time);
 *   - the exported memories are the one memory.
 * The host's WASI reads pointers as absolute addresses: its memory is put at base 0, or,
 * when it is the growable region (a command calling WASI itself), each WASI import that
 * takes pointers is called through a wrapper that moves them by the base (iovec arrays
 * are rebuilt in a small region of membrane's own). */
#include <string.h>

#include "membrane_wasm_emit.h"
#include "link_internal.h"

#define PAGE 65536u
#define GLUE_EXTRA_PAGES 256u /* 16 MiB the glue's handle tables grow into (100,000 handles take ~4 MiB) */
#define IOV_MAX_ 1024u       /* iovecs a translated call may pass (Linux's IOV_MAX) */
#define SCRATCH_PAGES 1u     /* IOV_MAX_ iovecs + two sizes */

typedef struct region {
  char owner[160];
  int inst;           /* owning instance, -1 for membrane's scratch */
  uint32_t base;      /* pages */
  uint32_t cap;       /* fixed: capacity in pages */
  uint32_t grow_max;  /* fixed: pages memory.grow may reach */
  uint32_t min;       /* initial pages */
  bool last, checked, has_max;
  uint32_t max;       /* declared maximum (the last region's) */
  uint32_t g_pages, g_bytes; /* fixed: globals, current pages (i32) and bytes (i64) */
} region;

enum { H_TRAP, H_GROW, H_FILL, H_COPY, H_WRAP };
typedef struct helper {
  int kind;
  uint32_t a, b;      /* regions; wrap: the import's function index */
  uint32_t index;     /* function index in the output */
} helper;

typedef struct single {
  mb_link *l;
  mb_module *o;
  mb_diag *diag;
  region *rg;         /* per output memory, then the scratch region */
  uint32_t nrg, nmem;
  int64_t wasi_mem;
  int scratch;        /* region index of the scratch, -1 */
  uint32_t next_func; /* next free function index */
  helper *h;
  uint32_t nh, hcap;
  uint32_t *redirect; /* function index map (WASI imports -> wrappers), or NULL */
  uint32_t nfuncs_total;
} single;

static mb_link_err nomem(single *s) { return mb_link_fail(s->diag, MB_LINK_ERR_NOMEM, 0, "out of memory while lowering to one memory"); }

/* ---- output module growth ---- */

static const mb_valtype I32[] = {0x7F, 0x7F, 0x7F};

static mb_link_err add_type(single *s, const mb_valtype *params, uint32_t np,
                            const mb_valtype *results, uint32_t nr, uint32_t *out) {
  mb_functype t = {np, nr, np ? params : I32, nr ? results : I32};
  return mb__link_wasm(mb_module_intern_type(s->o, &t, out, s->diag), s->diag);
}

static mb_link_err find_helper(single *s, int kind, uint32_t a, uint32_t b, uint32_t *index) {
  for (uint32_t i = 0; i < s->nh; i++)
    if (s->h[i].kind == kind && s->h[i].a == a && s->h[i].b == b) {
      *index = s->h[i].index;
      return MB_LINK_OK;
    }
  if (s->nh == s->hcap) {
    uint32_t cap = s->hcap * 2 + 8;
    helper *v = mb_mem_realloc(&s->l->alloc, s->h, cap * sizeof *v);
    if (!v) return nomem(s);
    s->h = v;
    s->hcap = cap;
  }
  s->h[s->nh++] = (helper){kind, a, b, s->next_func};
  *index = s->next_func++;
  return MB_LINK_OK;
}

/* ---- the plan: one region per memory ---- */

static const mb_mem_opt *opt_of(const mb_link *l, const char *name) {
  for (uint32_t i = 0; i < l->nmemopts; i++)
    if (strcmp(l->memopts[i].inst, name) == 0) return &l->memopts[i];
  return NULL;
}

static mb_link_err plan(single *s) {
  mb_link *l = s->l;
  mb_module *o = s->o;
  if (o->nimported[MB_KIND_MEMORY])
    return mb_link_fail(s->diag, MB_LINK_ERR_UNSUPPORTED, 0,
                        "--memory single: the output imports a memory from the host; a single "
                        "memory of membrane's layout cannot be imported (use --memory multi)");
  for (uint32_t i = 0; i < l->nmemopts; i++) {
    bool found = false;
    for (uint32_t k = 0; k < l->ninst && !found; k++) found = strcmp(l->inst[k].name, l->memopts[i].inst) == 0;
    if (!found)
      return mb_link_fail(s->diag, MB_LINK_ERR_OPTION, 0,
                          "--memory-size/--trust %s: no instance called '%s'", l->memopts[i].inst,
                          l->memopts[i].inst);
  }
  s->nmem = o->nmemories;
  s->rg = mb_mem_calloc(&s->l->alloc, s->nmem + 1, sizeof *s->rg);
  if (!s->rg) return nomem(s);
  s->nrg = s->nmem;
  s->scratch = -1;
  /* owners */
  for (uint32_t k = 0; k < s->nmem; k++) s->rg[k].inst = -1;
  for (uint32_t i = 0; i < l->ninst; i++) {
    const mb_link_inst *in = &l->inst[i];
    uint32_t imp = in->m->nimported[MB_KIND_MEMORY];
    for (uint32_t d = imp; d < in->count[MB_SPACE_MEMORY]; d++) {
      uint32_t k = in->map[MB_SPACE_MEMORY][d];
      region *r = &s->rg[k];
      r->inst = (int)i;
      if (in->count[MB_SPACE_MEMORY] - imp > 1)
        snprintf(r->owner, sizeof r->owner, "%s#%u", in->name, d);
      else
        snprintf(r->owner, sizeof r->owner, "%s", in->name);
    }
  }
  int last = -1, other = -1;
  for (uint32_t k = 0; k < s->nmem; k++) {
    region *r = &s->rg[k];
    const mb_limits *lim = &o->memories[k];
    const mb_link_inst *in = &l->inst[r->inst];
    if (lim->flags & MB_LIMITS_64)
      return mb_link_fail(s->diag, MB_LINK_ERR_UNSUPPORTED, 0,
                          "--memory single: instance '%s' has a 64-bit memory; only 32-bit memories "
                          "can share one memory (use --memory multi)", r->owner);
    if (lim->flags & MB_LIMITS_SHARED)
      return mb_link_fail(s->diag, MB_LINK_ERR_UNSUPPORTED, 0,
                          "--memory single: instance '%s' has a shared memory (threads); not supported "
                          "with one memory (use --memory multi)", r->owner);
    const mb_mem_opt *opt = opt_of(l, in->name);
    r->min = (uint32_t)lim->min;
    r->has_max = lim->flags & MB_LIMITS_HAS_MAX;
    r->max = r->has_max ? (uint32_t)lim->max : 65536;
    if (opt && opt->grow && last < 0) {
      last = (int)k;
    } else if (opt && opt->pages) {
      if (opt->pages < r->min)
        return mb_link_fail(s->diag, MB_LINK_ERR_LAYOUT, 0,
                            "--memory-size %s=%u: the memory of '%s' starts with %u pages; give at "
                            "least that", in->name, opt->pages, r->owner, r->min);
      r->cap = opt->pages;
    } else if ((int)r->inst == l->glue) {
      r->cap = (r->has_max && r->max < r->min + GLUE_EXTRA_PAGES) ? r->max : r->min + GLUE_EXTRA_PAGES;
    } else if (r->has_max) {
      r->cap = r->max;
    } else if (opt && opt->grow) { /* a second memory of the growable instance */
      return mb_link_fail(s->diag, MB_LINK_ERR_LAYOUT, 0,
                          "--memory single: '%s' has a second memory without a maximum; give it a "
                          "size with --memory-size %s=PAGES", r->owner, in->name);
    } else if (last < 0) {
      last = (int)k;
    } else {
      other = (int)k;
      break;
    }
  }
  if (other >= 0)
    return mb_link_fail(s->diag, MB_LINK_ERR_LAYOUT, 0,
                        "--memory single: instances '%s' and '%s' must both grow their memory (no "
                        "maximum declared), but only one region of the single memory can grow: give "
                        "one of them a fixed size with --memory-size %s=PAGES (or --memory-size "
                        "%s=PAGES)", s->rg[last].owner, s->rg[other].owner,
                        l->inst[s->rg[other].inst].name, l->inst[s->rg[last].inst].name);
  if (last < 0 && s->nmem) {
    /* every region fixed: the main instance's memory may grow up to its maximum */
    const mb_link_inst *main = &l->inst[l->main];
    last = (int)s->nmem - 1;
    if (main->count[MB_SPACE_MEMORY]) last = (int)main->map[MB_SPACE_MEMORY][0];
  }
  for (uint32_t k = 0; k < s->nmem; k++) {
    region *r = &s->rg[k];
    r->last = (int)k == last;
    const mb_mem_opt *opt = opt_of(l, l->inst[r->inst].name);
    r->checked = !r->last && r->inst != l->glue && !(opt && opt->trust);
    r->grow_max = r->has_max && r->max < r->cap ? r->max : r->cap;
  }
  /* WASI through the growable region: wrappers need membrane's scratch region */
  bool translate = s->wasi_mem >= 0 && s->rg[s->wasi_mem].last;
  if (s->wasi_mem >= 0 && !translate && s->rg[s->wasi_mem].checked)
    return mb_link_fail(s->diag, MB_LINK_ERR_UNSUPPORTED, 0,
                        "--memory single: instance '%s' calls the host's WASI directly but has a "
                        "fixed, checked region: the host would not keep it inside. Let it be the "
                        "growable one (the others need --memory-size), or --trust %s",
                        s->rg[s->wasi_mem].owner, l->inst[s->rg[s->wasi_mem].inst].name);
  if (translate) {
    region *r = &s->rg[s->nrg];
    s->scratch = (int)s->nrg++;
    snprintf(r->owner, sizeof r->owner, "membrane:wasi");
    r->inst = -1;
    r->cap = r->grow_max = r->min = SCRATCH_PAGES;
  }
  /* layout: the host's WASI memory at 0 (its pointers are absolute), the other fixed
   * regions in memory order, the growable one last */
  uint64_t base = 0;
  if (s->wasi_mem >= 0 && !translate) {
    s->rg[s->wasi_mem].base = 0;
    base = s->rg[s->wasi_mem].cap;
  }
  for (uint32_t k = 0; k < s->nrg; k++) {
    region *r = &s->rg[k];
    if (r->last || ((int64_t)k == s->wasi_mem && !translate)) continue;
    r->base = (uint32_t)base;
    base += r->cap;
    if (base > 65536)
      return mb_link_fail(s->diag, MB_LINK_ERR_LAYOUT, 0,
                          "--memory single: the fixed regions need %llu pages, more than 4 GiB (the "
                          "region of '%s' has %u pages); give smaller sizes with --memory-size "
                          "INST=PAGES", (unsigned long long)base, r->owner, r->cap);
  }
  if (last >= 0) {
    region *r = &s->rg[last];
    r->base = (uint32_t)base;
    if (base + r->min > 65536)
      return mb_link_fail(s->diag, MB_LINK_ERR_LAYOUT, 0,
                          "--memory single: the fixed regions (%llu pages) and the initial memory of "
                          "'%s' (%u pages) exceed 4 GiB", (unsigned long long)base, r->owner, r->min);
  }
  return MB_LINK_OK;
}

/* ---- code ---- */


/* The current size of region k in bytes, as an i64. */
static void op_limit(single *s, mb_buf *b, uint32_t k) {
  const region *r = &s->rg[k];
  if (r->last) {
    mb_wasm_emit_u32(b, MB_OP_MEMORY_SIZE, 0);
    mb_wasm_emit(b, MB_OP_I64_EXTEND_I32_U);
    mb_wasm_emit_i64(b, 16);
    mb_wasm_emit(b, MB_OP_I64_SHL);
    mb_wasm_emit_i64(b, (int64_t)r->base * PAGE);
    mb_wasm_emit(b, MB_OP_I64_SUB);
  } else {
    mb_wasm_emit_u32(b, MB_OP_GLOBAL_GET, r->g_bytes);
  }
}

/* Trap unless [local a, + local n) is inside region k (both locals i32). */
static mb_link_err op_check_range(single *s, mb_buf *b, uint32_t a, uint32_t n, uint32_t k) {
  uint32_t trap;
  mb_link_err e = find_helper(s, H_TRAP, 0, 0, &trap);
  if (e) return e;
  mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, a);
  mb_wasm_emit(b, MB_OP_I64_EXTEND_I32_U);
  mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, n);
  mb_wasm_emit(b, MB_OP_I64_EXTEND_I32_U);
  mb_wasm_emit(b, MB_OP_I64_ADD);
  op_limit(s, b, k);
  mb_wasm_emit(b, MB_OP_I64_GT_U);
  mb_wasm_emit_block(b, MB_OP_IF);
  mb_wasm_emit_u32(b, MB_OP_CALL, trap);
  mb_wasm_emit(b, MB_OP_END);
  return MB_LINK_OK;
}

/* Access size and the operands above the address of a memarg instruction. */
typedef struct access {
  uint32_t size;
  uint8_t nvals;
  uint8_t vals[2];
} access;

static bool access_of(uint8_t op, uint32_t sub, access *a) {
  static const uint8_t load_size[] = {4, 8, 4, 8, 1, 1, 2, 2, 1, 1, 2, 2, 4, 4};
  static const uint8_t store_size[] = {4, 8, 4, 8, 1, 2, 1, 2, 4};  /* 0x36..0x3E */
  static const uint8_t store_type[] = {0x7F, 0x7E, 0x7D, 0x7C, 0x7F, 0x7F, 0x7E, 0x7E, 0x7E};
  static const uint8_t rmw_size[] = {4, 8, 1, 2, 1, 2, 4};
  static const uint8_t rmw_type[] = {0x7F, 0x7E, 0x7F, 0x7F, 0x7E, 0x7E, 0x7E};
  memset(a, 0, sizeof *a);
  if (op >= 0x28 && op <= 0x35) {
    a->size = load_size[op - 0x28];
    return true;
  }
  if (op >= 0x36 && op <= 0x3E) {
    a->size = store_size[op - 0x36];
    a->nvals = 1;
    a->vals[0] = store_type[op - 0x36];
    return true;
  }
  if (op == 0xFD) {
    if (sub == 0 || sub == 11) a->size = 16;
    else if (sub <= 6) a->size = 8;
    else if (sub <= 10) a->size = 1u << (sub - 7);
    else if (sub == 92) a->size = 4;
    else if (sub == 93) a->size = 8;
    else if (sub >= 84 && sub <= 91) a->size = 1u << ((sub - 84) & 3);
    else return false;
    if (sub == 11 || (sub >= 84 && sub <= 91)) {
      a->nvals = 1;
      a->vals[0] = 0x7B;
    }
    return true;
  }
  if (op == 0xFE) {
    if (sub == 0) *a = (access){4, 1, {0x7F, 0}};
    else if (sub == 1) *a = (access){4, 2, {0x7F, 0x7E}};
    else if (sub == 2) *a = (access){8, 2, {0x7E, 0x7E}};
    else if (sub >= 0x10 && sub <= 0x16) a->size = rmw_size[sub - 0x10];
    else if (sub >= 0x17 && sub <= 0x1D) *a = (access){rmw_size[sub - 0x17], 1, {rmw_type[sub - 0x17], 0}};
    else if (sub >= 0x1E && sub <= 0x47) *a = (access){rmw_size[(sub - 0x1E) % 7], 1, {rmw_type[(sub - 0x1E) % 7], 0}};
    else if (sub >= 0x48 && sub <= 0x4E) *a = (access){rmw_size[sub - 0x48], 2, {rmw_type[sub - 0x48], rmw_type[sub - 0x48]}};
    else return false;
    return true;
  }
  return false;
}

/* Scratch locals of one body, appended after its own: at most nine (an i32 address, i32
 * operands 0-2, two i64, f32, f64, v128), each instruction's sequence self-contained. */
typedef struct body {
  single *s;
  uint32_t first;     /* index of the first scratch local */
  uint8_t type[16];
  uint8_t ord[16];
  uint32_t n;
  mb_link_err err; /* what lower_insn failed with (the walker only carries mb_err) */
} body;

static uint32_t scratch_local(body *c, uint8_t type, uint8_t ord) {
  for (uint32_t i = 0; i < c->n; i++)
    if (c->type[i] == type && c->ord[i] == ord) return c->first + i;
  if (c->n == sizeof c->type) return UINT32_MAX; /* not reached (at most nine); for gcc -O3 */
  c->type[c->n] = type;
  c->ord[c->n] = ord;
  return c->first + c->n++;
}

static mb_link_err lower_insn(void *user, mb_buf *b, const mb_wasm_mem_insn *in) {
  body *c = user;
  single *s = c->s;
  if (in->mem >= s->nmem || (in->op == 0xFC && in->sub == 10 && in->mem2 >= s->nmem))
    return mb_link_fail(s->diag, MB_LINK_ERR_INPUT, in->offset_at, "memory index out of range");
  const region *r = &s->rg[in->mem];
  uint64_t base = (uint64_t)r->base * PAGE;
  mb_link_err e;
  if (in->memarg) {
    uint64_t off = in->offset + base;
    if (off > UINT32_MAX)
      return mb_link_fail(s->diag, MB_LINK_ERR_LAYOUT, in->offset_at,
                          "--memory single: a memory access of '%s' has offset %llu, which with its "
                          "region's base %llu does not fit in 32 bits", r->owner,
                          (unsigned long long)in->offset, (unsigned long long)base);
    if (r->checked) {
      access a;
      uint32_t trap;
      if (!access_of(in->op, in->sub, &a))
        return mb_link_fail(s->diag, MB_LINK_ERR_UNSUPPORTED, in->offset_at, "unknown memory instruction");
      if ((e = find_helper(s, H_TRAP, 0, 0, &trap))) return e;
      uint32_t vals[2] = {0, 0};
      for (int j = a.nvals - 1; j >= 0; j--) {
        vals[j] = scratch_local(c, a.vals[j], (uint8_t)j);
        mb_wasm_emit_u32(b, MB_OP_LOCAL_SET, vals[j]);
      }
      uint32_t addr = scratch_local(c, 0x7F, 7);
      mb_wasm_emit_u32(b, MB_OP_LOCAL_TEE, addr); /* local.tee */
      mb_wasm_emit(b, MB_OP_I64_EXTEND_I32_U);
      mb_wasm_emit_i64(b, (int64_t)(in->offset + a.size));
      mb_wasm_emit(b, MB_OP_I64_ADD);
      op_limit(s, b, in->mem);
      mb_wasm_emit(b, MB_OP_I64_GT_U);
      mb_wasm_emit_block(b, MB_OP_IF);
      mb_wasm_emit_u32(b, MB_OP_CALL, trap);
      mb_wasm_emit(b, MB_OP_END);
      mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, addr);
      for (uint32_t j = 0; j < a.nvals; j++) mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, vals[j]);
    }
    mb_buf_byte(b, in->op);
    if (in->op >= 0xFC) mb_buf_u32(b, in->sub);
    mb_buf_u32(b, in->align);
    mb_buf_u32(b, (uint32_t)off);
    if (in->has_lane) mb_buf_byte(b, in->lane);
    return MB_LINK_OK;
  }
  uint32_t fn;
  if (in->op == 0x3F) { /* memory.size */
    if (r->last) {
      mb_wasm_emit_u32(b, MB_OP_MEMORY_SIZE, 0);
      mb_wasm_emit_i32(b, (int32_t)r->base);
      mb_wasm_emit(b, MB_OP_I32_SUB);
    } else {
      mb_wasm_emit_u32(b, MB_OP_GLOBAL_GET, r->g_pages);
    }
    return MB_LINK_OK;
  }
  if (in->op == 0x40) { /* memory.grow */
    if ((e = find_helper(s, H_GROW, in->mem, 0, &fn))) return e;
    mb_wasm_emit_u32(b, MB_OP_CALL, fn);
    return MB_LINK_OK;
  }
  if (in->op == 0xFC && in->sub == 11) { /* memory.fill */
    if ((e = find_helper(s, H_FILL, in->mem, 0, &fn))) return e;
    mb_wasm_emit_u32(b, MB_OP_CALL, fn);
    return MB_LINK_OK;
  }
  if (in->op == 0xFC && in->sub == 10) { /* memory.copy dst src */
    if ((e = find_helper(s, H_COPY, in->mem, in->mem2, &fn))) return e;
    mb_wasm_emit_u32(b, MB_OP_CALL, fn);
    return MB_LINK_OK;
  }
  if (in->op == 0xFC && in->sub == 8) { /* memory.init seg mem: d s n */
    uint32_t n = scratch_local(c, 0x7F, 0), src = scratch_local(c, 0x7F, 1),
             d = scratch_local(c, 0x7F, 2);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_SET, n);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_SET, src);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_SET, d);
    if ((e = op_check_range(s, b, d, n, in->mem))) return e;
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, d);
    mb_wasm_emit_i32(b, (int32_t)(uint32_t)base);
    mb_wasm_emit(b, MB_OP_I32_ADD);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, src);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, n);
    mb_wasm_emit_fc(b, MB_FC_MEMORY_INIT);
    mb_buf_u32(b, in->data);
    mb_buf_byte(b, 0);
    return MB_LINK_OK;
  }
  return mb_link_fail(s->diag, MB_LINK_ERR_UNSUPPORTED, in->offset_at, "unknown memory instruction");
}

/* One body: renumbered (its remap) if needed, then lowered, with its scratch locals. */
/* The walker's hook: the model's code type, with the link's code kept in the body. */
static mb_err lower_insn_hook(void *user, mb_buf *b, const mb_wasm_mem_insn *in) {
  body *c = user;
  c->err = lower_insn(user, b, in);
  return c->err ? MB_ERR_INVALID_ARG : MB_OK;
}

static mb_link_err lower_body(single *s, uint32_t i, mb_buf *tmp, mb_buf *code) {
  mb_module *o = s->o;
  const mb_code *cd = &o->codes[i];
  const uint8_t *p = cd->body.ptr;
  size_t len = cd->body.len;
  mb_link_err e;
  if (cd->remap) {
    tmp->len = 0;
    if ((e = mb__link_wasm(mb_code_rewrite(p, len, cd->offset, cd->remap, tmp, s->diag), s->diag)))
      return e;
    if (tmp->failed) return nomem(s);
    p = tmp->data;
    len = tmp->len;
  }
  mb_wasm_reader r = {p, p, p + len, 0, s->diag, &s->l->alloc};
  uint32_t groups, total = o->types[o->func_types[i]].nparams;
  if ((e = mb__link_wasm(mb_wasm_u32(&r, &groups, "local groups"), s->diag))) return e;
  for (uint32_t g = 0; g < groups; g++) {
    uint32_t n;
    mb_valtype t; /* a GC reference type is more than a byte */
    if ((e = mb__link_wasm(mb_wasm_u32(&r, &n, "local count"), s->diag)) ||
        (e = mb__link_wasm(mb_wasm_valtype(&r, &t, o->ntypes, "local type"), s->diag)))
      return e;
    total += n;
  }
  const uint8_t *groups_end = r.pos;
  body c = {.s = s, .first = total};
  mb_wasm_mem_hook hook = {lower_insn_hook, &c};
  mb_remap rm = {{0}, {0}};
  if (s->redirect) {
    rm.map[MB_SPACE_FUNC] = s->redirect;
    rm.count[MB_SPACE_FUNC] = s->nfuncs_total;
  }
  code->len = 0;
  mb_err we = mb_wasm_expr_walk_hooked(&r, s->redirect ? &rm : NULL, &hook, code);
  if (we) return c.err ? c.err : mb__link_wasm(we, s->diag);
  mb_buf out;
  mb_buf_init(&out, &s->l->alloc);
  mb_buf_u32(&out, groups + c.n);
  /* the groups as they were (after the count), then one per scratch local */
  {
    mb_wasm_reader g = {p, p, p + len, 0, NULL, &s->l->alloc};
    uint32_t dummy;
    mb_wasm_u32(&g, &dummy, "");
    mb_buf_append(&out, g.pos, (size_t)(groups_end - g.pos));
  }
  for (uint32_t k = 0; k < c.n; k++) {
    mb_buf_u32(&out, 1);
    mb_buf_byte(&out, c.type[k]);
  }
  mb_buf_append(&out, code->data, code->len);
  if (out.failed || code->failed) {
    mb_buf_fini(&out);
    return nomem(s);
  }
  e = mb__link_wasm(mb_module_set_code(o, i, out.data, out.len, s->diag), s->diag);
  mb_buf_fini(&out);
  return e;
}

/* ---- WASI pointer translation (the growable region calls the host's WASI) ----
 * Per preview1 function, one letter per parameter: '-' a value, 'P' a pointer, 'I' an
 * iovec array (its count is the next parameter), 'A' args_get/environ_get's two
 * pointers (the array of pointers is fixed up after the call). */
static const struct {
  const char *name, *sig;
} wasi_sigs[] = {
    {"args_get", "AA"}, {"args_sizes_get", "PP"}, {"environ_get", "AA"},
    {"environ_sizes_get", "PP"}, {"clock_res_get", "-P"}, {"clock_time_get", "--P"},
    {"fd_advise", "----"}, {"fd_allocate", "---"}, {"fd_close", "-"}, {"fd_datasync", "-"},
    {"fd_fdstat_get", "-P"}, {"fd_fdstat_set_flags", "--"}, {"fd_fdstat_set_rights", "---"},
    {"fd_filestat_get", "-P"}, {"fd_filestat_set_size", "--"},
    {"fd_filestat_set_times", "----"}, {"fd_pread", "-I--P"}, {"fd_prestat_get", "-P"},
    {"fd_prestat_dir_name", "-P-"}, {"fd_pwrite", "-I--P"}, {"fd_read", "-I-P"},
    {"fd_readdir", "-P--P"}, {"fd_renumber", "--"}, {"fd_seek", "---P"}, {"fd_sync", "-"},
    {"fd_tell", "-P"}, {"fd_write", "-I-P"}, {"path_create_directory", "-P-"},
    {"path_filestat_get", "--P-P"}, {"path_filestat_set_times", "--P----"},
    {"path_link", "--P--P-"}, {"path_open", "--P-----P"}, {"path_readlink", "-P-P-P"},
    {"path_remove_directory", "-P-"}, {"path_rename", "-P--P-"}, {"path_symlink", "P--P-"},
    {"path_unlink_file", "-P-"}, {"poll_oneoff", "PP-P"}, {"proc_exit", "-"},
    {"proc_raise", "-"}, {"sched_yield", ""}, {"random_get", "P-"}, {"sock_accept", "--P"},
    {"sock_recv", "-I--PP"}, {"sock_send", "-I--P"}, {"sock_shutdown", "--"},
};

static const char *wasi_sig(mb_bytes field) {
  for (size_t i = 0; i < sizeof wasi_sigs / sizeof *wasi_sigs; i++)
    if (mb_bytes_eq(field, wasi_sigs[i].name)) return wasi_sigs[i].sig;
  return NULL;
}

/* Wrappers for the WASI imports that take pointers; calls are redirected to them. */
static mb_link_err plan_wrappers(single *s) {
  mb_module *o = s->o;
  uint32_t nimp = o->nimported[MB_KIND_FUNC];
  s->nfuncs_total = nimp + o->nfuncs;
  s->redirect = mb_mem_calloc(&s->l->alloc, s->nfuncs_total ? s->nfuncs_total : 1, sizeof *s->redirect);
  if (!s->redirect) return nomem(s);
  for (uint32_t f = 0; f < s->nfuncs_total; f++) s->redirect[f] = f;
  for (uint32_t k = 0, f = 0; k < o->nimports; k++) {
    const mb_import *im = &o->imports[k];
    if (im->kind != MB_KIND_FUNC) continue;
    uint32_t fi = f++;
    if (!mb__is_wasi_module(im->module)) continue;
    const char *sig = wasi_sig(im->field);
    const mb_functype *t = &o->types[im->u.func_type];
    if (!sig || strlen(sig) != t->nparams)
      return mb_link_fail(s->diag, MB_LINK_ERR_UNSUPPORTED, 0,
                          "--memory single: the host's WASI function %.*s.%.*s is not known to "
                          "membrane, so its pointers cannot be moved into the region of '%s'",
                          (int)im->module.len, (const char *)im->module.ptr, (int)im->field.len,
                          (const char *)im->field.ptr, s->rg[s->wasi_mem].owner);
    if (!strpbrk(sig, "PIA")) continue;
    mb_link_err e = find_helper(s, H_WRAP, fi, 0, &s->redirect[fi]);
    if (e) return e;
  }
  return MB_LINK_OK;
}

/* The wrapper of WASI import `imp` for the growable region (base K): pointers p moved to
 * p + K, and a pointer past the region's end so that the host sees it past the memory's
 * end and answers with its own errno, as it would have to the program directly. */
static mb_link_err wrap_body(single *s, uint32_t imp, mb_buf *b) {
  mb_module *o = s->o;
  const mb_import *im = NULL;
  for (uint32_t k = 0, f = 0; k < o->nimports && !im; k++)
    if (o->imports[k].kind == MB_KIND_FUNC && f++ == imp) im = &o->imports[k];
  const char *sig = wasi_sig(im->field);
  const mb_functype *t = &o->types[im->u.func_type];
  const region *app = &s->rg[s->wasi_mem], *sc = &s->rg[s->scratch];
  uint32_t K = app->base * PAGE, S = sc->base * PAGE, np = t->nparams;
  uint32_t i_loc = np, cnt = np + 1, res = np + 2, iarg = np + 3; /* i32 locals */
  b->len = 0;
  mb_buf_append(b, "\x01\x04\x7f", 3);
  /* A pointer that p + K cannot reach is past the end of the memory (whose last K bytes
   * at least belong to others): it goes to the host as 2^32-1, which the host refuses
   * with the errno it would have given p directly. */
  for (uint32_t p = 0; p < np; p++) {
    if (sig[p] == '-') continue;
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, p);
    mb_wasm_emit_i32(b, (int32_t)(UINT32_MAX - K));
    mb_wasm_emit(b, MB_OP_I32_GT_U);
    mb_wasm_emit_block(b, MB_OP_IF);
    mb_wasm_emit_i32(b, (int32_t)(UINT32_MAX - K));
    mb_wasm_emit_u32(b, MB_OP_LOCAL_SET, p);
    mb_wasm_emit(b, MB_OP_END);
  }
  bool argv = false;
  for (uint32_t p = 0; p < np; p++) {
    if (sig[p] != 'I') {
      argv |= sig[p] == 'A';
      continue;
    }
    /* An array not inside the region goes to the host as it is (moved by K): its end is
     * then past the memory's, and the host refuses it with its own errno, as directly. */
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, p);
    mb_wasm_emit_i32(b, (int32_t)K);
    mb_wasm_emit(b, MB_OP_I32_ADD);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_SET, iarg);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, p);
    mb_wasm_emit(b, MB_OP_I64_EXTEND_I32_U);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, p + 1);
    mb_wasm_emit(b, MB_OP_I64_EXTEND_I32_U);
    mb_wasm_emit_i64(b, 3);
    mb_wasm_emit(b, MB_OP_I64_SHL);
    mb_wasm_emit(b, MB_OP_I64_ADD);
    op_limit(s, b, (uint32_t)s->wasi_mem);
    mb_wasm_emit(b, MB_OP_I64_LE_U);
    mb_wasm_emit_block(b, MB_OP_IF);
    /* inside: the iovecs rebuilt in the scratch region with absolute buffers */
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, p + 1);
    mb_wasm_emit_i32(b, IOV_MAX_);
    mb_wasm_emit(b, MB_OP_I32_GT_U);
    mb_wasm_emit_block(b, MB_OP_IF);
    mb_wasm_emit_i32(b, 28); /* inval */
    mb_wasm_emit(b, MB_OP_RETURN);
    mb_wasm_emit(b, MB_OP_END);
    mb_wasm_emit_i32(b, 0);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_SET, i_loc);
    mb_wasm_emit_block(b, MB_OP_BLOCK);
    mb_wasm_emit_block(b, MB_OP_LOOP);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, i_loc);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, p + 1);
    mb_wasm_emit(b, MB_OP_I32_GE_U);
    mb_wasm_emit_u32(b, MB_OP_BR_IF, 1);
    /* buf = iovs[i].buf, checked */
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, p);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, i_loc);
    mb_wasm_emit_i32(b, 3);
    mb_wasm_emit(b, MB_OP_I32_SHL);
    mb_wasm_emit(b, MB_OP_I32_ADD);
    mb_wasm_emit_mem(b, MB_OP_I32_LOAD, 2, 0, K);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_TEE, cnt);
    mb_wasm_emit_i32(b, (int32_t)(UINT32_MAX - K));
    mb_wasm_emit(b, MB_OP_I32_GT_U);
    mb_wasm_emit_block(b, MB_OP_IF); /* unreachable by + K: to the host as 2^32-1 */
    mb_wasm_emit_i32(b, (int32_t)(UINT32_MAX - K));
    mb_wasm_emit_u32(b, MB_OP_LOCAL_SET, cnt);
    mb_wasm_emit(b, MB_OP_END);
    /* scratch[i].buf = buf + K */
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, i_loc);
    mb_wasm_emit_i32(b, 3);
    mb_wasm_emit(b, MB_OP_I32_SHL);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, cnt);
    mb_wasm_emit_i32(b, (int32_t)K);
    mb_wasm_emit(b, MB_OP_I32_ADD);
    mb_wasm_emit_mem(b, MB_OP_I32_STORE, 2, 0, S);
    /* scratch[i].len = iovs[i].len */
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, i_loc);
    mb_wasm_emit_i32(b, 3);
    mb_wasm_emit(b, MB_OP_I32_SHL);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, p);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, i_loc);
    mb_wasm_emit_i32(b, 3);
    mb_wasm_emit(b, MB_OP_I32_SHL);
    mb_wasm_emit(b, MB_OP_I32_ADD);
    mb_wasm_emit_mem(b, MB_OP_I32_LOAD, 2, 0, K + 4);
    mb_wasm_emit_mem(b, MB_OP_I32_STORE, 2, 0, S + 4);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, i_loc);
    mb_wasm_emit_i32(b, 1);
    mb_wasm_emit(b, MB_OP_I32_ADD);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_SET, i_loc);
    mb_wasm_emit_u32(b, MB_OP_BR, 0);
    mb_wasm_emit(b, MB_OP_END);
    mb_wasm_emit(b, MB_OP_END);
    mb_wasm_emit_i32(b, (int32_t)S);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_SET, iarg);
    mb_wasm_emit(b, MB_OP_END); /* end of the inside case */
  }
  uint32_t args_sizes = UINT32_MAX;
  if (argv) {
    /* the count of pointers args_get/environ_get will write: from the sizes call */
    bool env = mb_bytes_eq(im->field, "environ_get");
    for (uint32_t k = 0, f = 0; k < o->nimports; k++) {
      const mb_import *x = &o->imports[k];
      if (x->kind != MB_KIND_FUNC) continue;
      if (x->module.len == im->module.len &&
          memcmp(x->module.ptr, im->module.ptr, im->module.len) == 0 &&
          mb_bytes_eq(x->field, env ? "environ_sizes_get" : "args_sizes_get"))
        args_sizes = f;
      f++;
    }
    if (args_sizes == UINT32_MAX)
      return mb_link_fail(s->diag, MB_LINK_ERR_UNSUPPORTED, 0,
                          "--memory single: %.*s is imported without %s, which membrane needs to "
                          "move its pointers", (int)im->field.len, (const char *)im->field.ptr,
                          env ? "environ_sizes_get" : "args_sizes_get");
    mb_wasm_emit_i32(b, (int32_t)S);
    mb_wasm_emit_i32(b, (int32_t)(S + 4));
    mb_wasm_emit_u32(b, MB_OP_CALL, args_sizes);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_TEE, res);
    mb_wasm_emit_block(b, MB_OP_IF);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, res);
    mb_wasm_emit(b, MB_OP_RETURN);
    mb_wasm_emit(b, MB_OP_END);
    mb_wasm_emit_i32(b, (int32_t)S);
    mb_wasm_emit_mem(b, MB_OP_I32_LOAD, 2, 0, 0);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_SET, cnt);
  }
  for (uint32_t p = 0; p < np; p++) {
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, p);
    if (sig[p] == 'I') {
      mb_wasm_emit(b, MB_OP_DROP);
      mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, iarg);
    } else if (sig[p] != '-') {
      mb_wasm_emit_i32(b, (int32_t)K);
      mb_wasm_emit(b, MB_OP_I32_ADD);
    }
  }
  mb_wasm_emit_u32(b, MB_OP_CALL, imp);
  if (argv) {
    mb_wasm_emit_u32(b, MB_OP_LOCAL_TEE, res);
    mb_wasm_emit_block(b, MB_OP_IF);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, res);
    mb_wasm_emit(b, MB_OP_RETURN);
    mb_wasm_emit(b, MB_OP_END);
    /* argv[i] -= K */
    mb_wasm_emit_i32(b, 0);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_SET, i_loc);
    mb_wasm_emit_block(b, MB_OP_BLOCK);
    mb_wasm_emit_block(b, MB_OP_LOOP);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, i_loc);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, cnt);
    mb_wasm_emit(b, MB_OP_I32_GE_U);
    mb_wasm_emit_u32(b, MB_OP_BR_IF, 1);
    for (int twice = 0; twice < 2; twice++) {
      mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, 0);
      mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, i_loc);
      mb_wasm_emit_i32(b, 2);
      mb_wasm_emit(b, MB_OP_I32_SHL);
      mb_wasm_emit(b, MB_OP_I32_ADD);
    }
    mb_wasm_emit_mem(b, MB_OP_I32_LOAD, 2, 0, K);
    mb_wasm_emit_i32(b, (int32_t)K);
    mb_wasm_emit(b, MB_OP_I32_SUB);
    mb_wasm_emit_mem(b, MB_OP_I32_STORE, 2, 0, K);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, i_loc);
    mb_wasm_emit_i32(b, 1);
    mb_wasm_emit(b, MB_OP_I32_ADD);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_SET, i_loc);
    mb_wasm_emit_u32(b, MB_OP_BR, 0);
    mb_wasm_emit(b, MB_OP_END);
    mb_wasm_emit(b, MB_OP_END);
    mb_wasm_emit_i32(b, 0);
  }
  mb_wasm_emit(b, MB_OP_END);
  return MB_LINK_OK;
}

/* ---- helper bodies ---- */

static mb_link_err helper_body(single *s, const helper *h, mb_buf *b, uint32_t *type, const char **name,
                               char *namebuf, size_t namecap) {
  mb_link_err e = MB_LINK_OK;
  b->len = 0;
  const region *r = h->kind == H_WRAP || h->kind == H_TRAP ? &s->rg[0] : &s->rg[h->a];
  uint32_t base = r->base * PAGE;
  switch (h->kind) {
  case H_TRAP:
    *name = "membrane: out of bounds";
    mb_buf_byte(b, 0); /* no locals */
    mb_wasm_emit(b, MB_OP_UNREACHABLE);
    mb_wasm_emit(b, MB_OP_END);
    return add_type(s, NULL, 0, NULL, 0, type);
  case H_GROW:
    snprintf(namebuf, namecap, "membrane:memory.grow %s", r->owner);
    *name = namebuf;
    if ((e = add_type(s, I32, 1, I32, 1, type))) return e;
    if (r->last) {
      mb_buf_append(b, "\x01\x01\x7f", 3);
      mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, 0);
      mb_wasm_emit_u32(b, MB_OP_MEMORY_GROW, 0);
      mb_wasm_emit_u32(b, MB_OP_LOCAL_TEE, 1);
      mb_wasm_emit_i32(b, -1);
      mb_wasm_emit(b, MB_OP_I32_EQ);
      mb_wasm_emit_block(b, MB_OP_IF);
      mb_wasm_emit_i32(b, -1);
      mb_wasm_emit(b, MB_OP_RETURN);
      mb_wasm_emit(b, MB_OP_END);
      mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, 1);
      mb_wasm_emit_i32(b, (int32_t)r->base);
      mb_wasm_emit(b, MB_OP_I32_SUB);
    } else {
      /* n > grow_max - pages: -1 (no change), else the old size */
      mb_buf_byte(b, 0);
      mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, 0);
      mb_wasm_emit_i32(b, (int32_t)r->grow_max);
      mb_wasm_emit_u32(b, MB_OP_GLOBAL_GET, r->g_pages);
      mb_wasm_emit(b, MB_OP_I32_SUB);
      mb_wasm_emit(b, MB_OP_I32_GT_U);
      mb_wasm_emit_block(b, MB_OP_IF);
      mb_wasm_emit_i32(b, -1);
      mb_wasm_emit(b, MB_OP_RETURN);
      mb_wasm_emit(b, MB_OP_END);
      mb_wasm_emit_u32(b, MB_OP_GLOBAL_GET, r->g_pages);
      mb_wasm_emit_u32(b, MB_OP_GLOBAL_GET, r->g_pages);
      mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, 0);
      mb_wasm_emit(b, MB_OP_I32_ADD);
      mb_wasm_emit_u32(b, MB_OP_GLOBAL_SET, r->g_pages);
      mb_wasm_emit_u32(b, MB_OP_GLOBAL_GET, r->g_pages);
      mb_wasm_emit(b, MB_OP_I64_EXTEND_I32_U);
      mb_wasm_emit_i64(b, 16);
      mb_wasm_emit(b, MB_OP_I64_SHL);
      mb_wasm_emit_u32(b, MB_OP_GLOBAL_SET, r->g_bytes);
    }
    break;
  case H_FILL:
    snprintf(namebuf, namecap, "membrane:memory.fill %s", r->owner);
    *name = namebuf;
    if ((e = add_type(s, I32, 3, NULL, 0, type))) return e;
    mb_buf_byte(b, 0);
    if ((e = op_check_range(s, b, 0, 2, h->a))) return e;
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, 0);
    mb_wasm_emit_i32(b, (int32_t)base);
    mb_wasm_emit(b, MB_OP_I32_ADD);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, 1);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, 2);
    mb_wasm_emit_fc(b, MB_FC_MEMORY_FILL);
    mb_buf_u32(b, 0);
    break;
  case H_COPY: {
    const region *src = &s->rg[h->b];
    snprintf(namebuf, namecap, "membrane:memory.copy %s <- %s", r->owner, src->owner);
    *name = namebuf;
    if ((e = add_type(s, I32, 3, NULL, 0, type))) return e;
    mb_buf_byte(b, 0);
    if ((e = op_check_range(s, b, 0, 2, h->a)) || (e = op_check_range(s, b, 1, 2, h->b))) return e;
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, 0);
    mb_wasm_emit_i32(b, (int32_t)base);
    mb_wasm_emit(b, MB_OP_I32_ADD);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, 1);
    mb_wasm_emit_i32(b, (int32_t)(src->base * PAGE));
    mb_wasm_emit(b, MB_OP_I32_ADD);
    mb_wasm_emit_u32(b, MB_OP_LOCAL_GET, 2);
    mb_wasm_emit_fc(b, MB_FC_MEMORY_COPY);
    mb_buf_u32(b, 0);
    mb_buf_u32(b, 0);
    break;
  }
  case H_WRAP: {
    const mb_import *im = NULL;
    for (uint32_t k = 0, f = 0; k < s->o->nimports && !im; k++)
      if (s->o->imports[k].kind == MB_KIND_FUNC && f++ == h->a) im = &s->o->imports[k];
    snprintf(namebuf, namecap, "membrane:wasi %.*s", (int)im->field.len, (const char *)im->field.ptr);
    *name = namebuf;
    *type = im->u.func_type;
    return wrap_body(s, h->a, b);
  }
  }
  mb_wasm_emit(b, MB_OP_END);
  return MB_LINK_OK;
}

static mb_link_err add_global(single *s, uint8_t valtype, int64_t init, uint32_t *index) {
  mb_buf b;
  mb_buf_init(&b, &s->l->alloc);
  if (valtype == 0x7F) mb_wasm_emit_i32(&b, (int32_t)init);
  else mb_wasm_emit_i64(&b, init);
  mb_wasm_emit(&b, MB_OP_END);
  mb_global g = {{valtype, true}, {b.data, (uint32_t)b.len}};
  mb_link_err e =
      b.failed ? nomem(s) : mb__link_wasm(mb_module_add_global(s->o, &g, index, s->diag), s->diag);
  mb_buf_fini(&b);
  return e;
}

/* Active data segments move by their region's base; one that would not fit in its
 * region's initial pages is an error (the instance would have failed to instantiate, and
 * here it would write into the next region). */
static mb_link_err move_data(single *s) {
  mb_module *o = s->o;
  for (uint32_t i = 0; i < o->ndatas; i++) {
    if (o->datas[i].mode != MB_SEG_ACTIVE) continue;
    mb_data *d = mb_module_edit_data(o, i);
    const region *r = &s->rg[d->memory];
    mb_wasm_reader rd = {d->offset.ptr, d->offset.ptr, d->offset.ptr + d->offset.len, 0, NULL, &s->l->alloc};
    uint8_t op;
    int32_t c;
    if (mb_wasm_byte(&rd, &op, "") || op != 0x41 || mb_wasm_s32(&rd, &c, "") || rd.pos + 1 != rd.end)
      return mb_link_fail(s->diag, MB_LINK_ERR_UNSUPPORTED, 0,
                          "--memory single: an active data segment of '%s' has a computed offset; "
                          "only i32.const offsets can be moved into a region", r->owner);
    uint64_t end = (uint64_t)(uint32_t)c + d->bytes.len;
    if (!r->last && end > (uint64_t)r->min * PAGE)
      return mb_link_fail(s->diag, MB_LINK_ERR_LAYOUT, 0,
                          "--memory single: a data segment of '%s' ends at byte %llu, past its "
                          "initial memory (%u pages)", r->owner, (unsigned long long)end, r->min);
    uint64_t at = (uint64_t)(uint32_t)c + (uint64_t)r->base * PAGE;
    if (at > UINT32_MAX)
      return mb_link_fail(s->diag, MB_LINK_ERR_LAYOUT, 0,
                          "--memory single: a data segment of '%s' lands past 4 GiB", r->owner);
    mb_buf b;
    mb_buf_init(&b, &s->l->alloc);
    mb_wasm_emit_i32(&b, (int32_t)(uint32_t)at);
    mb_wasm_emit(&b, MB_OP_END);
    uint8_t *p = b.failed ? NULL : mb_wasm_arena_alloc(o->arena, b.len);
    if (!p) {
      mb_buf_fini(&b);
      return nomem(s);
    }
    memcpy(p, b.data, b.len);
    d->offset = (mb_bytes){p, (uint32_t)b.len};
    d->memory = 0;
    mb_buf_fini(&b);
  }
  return MB_LINK_OK;
}

/* Element segments and exports pointing at a wrapped WASI import use the wrapper. */
static mb_link_err redirect_refs(single *s) {
  mb_module *o = s->o;
  if (!s->redirect) return MB_LINK_OK;
  mb_remap rm = {{0}, {0}};
  rm.map[MB_SPACE_FUNC] = s->redirect;
  rm.count[MB_SPACE_FUNC] = s->nfuncs_total;
  for (uint32_t i = 0; i < o->nelems; i++) {
    mb_elem *el = mb_module_edit_elem(o, i);
    if (!el->exprs) {
      for (uint32_t k = 0; k < el->count; k++)
        if (el->funcs[k] < s->nfuncs_total) el->funcs[k] = s->redirect[el->funcs[k]];
      continue;
    }
    for (uint32_t k = 0; k < el->count; k++) {
      mb_buf b;
      mb_buf_init(&b, &s->l->alloc);
      mb_link_err e = mb__link_wasm(
          mb_const_expr_rewrite(el->items[k].ptr, el->items[k].len, 0, &rm, &b, s->diag), s->diag);
      uint8_t *p = e || b.failed ? NULL : mb_wasm_arena_alloc(o->arena, b.len);
      uint32_t n = (uint32_t)b.len;
      if (p) memcpy(p, b.data, b.len);
      mb_buf_fini(&b);
      if (e) return e;
      if (!p) return nomem(s);
      el->items[k] = (mb_bytes){p, n};
    }
  }
  for (uint32_t i = 0; i < o->nexports; i++)
    if (o->exports[i].kind == MB_KIND_FUNC && o->exports[i].index < s->nfuncs_total)
      mb_module_edit_export(o, i)->index = s->redirect[o->exports[i].index];
  return MB_LINK_OK;
}

static mb_link_err regions_custom(single *s) {
  mb_module *o = s->o;
  mb_buf b;
  mb_buf_init(&b, &s->l->alloc);
  mb_buf_u32(&b, 1); /* version */
  mb_buf_u32(&b, s->nrg);
  for (uint32_t k = 0; k < s->nrg; k++) {
    const region *r = &s->rg[k];
    size_t n = strlen(r->owner);
    mb_buf_u32(&b, (uint32_t)n);
    mb_buf_append(&b, r->owner, n);
    mb_buf_u32(&b, r->base);
    mb_buf_u32(&b, r->last ? 0 : r->cap);
    mb_buf_u32(&b, r->min);
    mb_buf_byte(&b, (uint8_t)((r->last ? 1 : 0) | (r->checked ? 2 : 0)));
  }
  mb_link_err e =
      b.failed ? nomem(s)
               : mb__link_wasm(mb_module_add_custom(o, "membrane:memory", b.data, b.len, MB_SEC_COUNT, s->diag),
                               s->diag);
  mb_buf_fini(&b);
  return e;
}

mb_link_err mb__single_lower(mb_link *l, mb_module *o, int64_t wasi_mem, const char ***names,
                             uint32_t **funcs, uint32_t *nnames, mb_diag *diag) {
  single s = {.l = l, .o = o, .diag = diag, .wasi_mem = wasi_mem};
  *nnames = 0;
  mb_buf tmp, code;
  mb_buf_init(&tmp, &l->alloc);
  mb_buf_init(&code, &l->alloc);
  mb_link_err e = plan(&s);
  if (e) goto out;
  s.next_func = o->nimported[MB_KIND_FUNC] + o->nfuncs;
  for (uint32_t k = 0; k < s.nrg && !e; k++) {
    region *r = &s.rg[k];
    if (r->last) continue;
    if (!(e = add_global(&s, 0x7F, r->min, &r->g_pages)))
      e = add_global(&s, 0x7E, (int64_t)r->min * PAGE, &r->g_bytes);
  }
  if (e) goto out;
  if (s.scratch >= 0 && (e = plan_wrappers(&s))) goto out;
  uint32_t nbodies = o->ncodes;
  for (uint32_t i = 0; i < nbodies && !e; i++) e = lower_body(&s, i, &tmp, &code);
  if (e) goto out;
  /* the helper functions, in the order their indices were handed out (a helper's body
   * may ask for the trap, which is then appended after it) */
  {
    uint32_t cap = s.nh + 2;
    const char **nm = mb_wasm_arena_array(o->arena, cap, sizeof *nm);
    uint32_t *fi = mb_wasm_arena_array(o->arena, cap, sizeof *fi);
    if (!nm || !fi) {
      e = nomem(&s);
      goto out;
    }
    for (uint32_t h = 0; h < s.nh; h++) {
      if (h >= cap) {
        uint32_t ncap = cap * 2;
        const char **nm2 = mb_wasm_arena_array(o->arena, ncap, sizeof *nm2);
        uint32_t *fi2 = mb_wasm_arena_array(o->arena, ncap, sizeof *fi2);
        if (!nm2 || !fi2) {
          e = nomem(&s);
          goto out;
        }
        memcpy(nm2, nm, h * sizeof *nm2);
        memcpy(fi2, fi, h * sizeof *fi2);
        nm = nm2;
        fi = fi2;
        cap = ncap;
      }
      helper hh = s.h[h];
      char namebuf[400]; /* two owners of up to 159 bytes, and the words */
      const char *name = NULL;
      uint32_t type = 0;
      if ((e = helper_body(&s, &hh, &code, &type, &name, namebuf, sizeof namebuf))) goto out;
      if (code.failed) {
        e = nomem(&s);
        goto out;
      }
      char *n = mb_wasm_arena_alloc(o->arena, strlen(name) + 1);
      if (!n) {
        e = nomem(&s);
        goto out;
      }
      strcpy(n, name);
      if (o->nimported[MB_KIND_FUNC] + o->nfuncs != hh.index) {
        e = mb_link_fail(diag, MB_LINK_ERR_USAGE, 0, "internal: helper index");
        goto out;
      }
      if ((e = mb__link_wasm(mb_module_add_func(o, type, code.data, code.len, NULL, diag), diag)))
        goto out;
      nm[h] = n;
      fi[h] = hh.index;
      *nnames = h + 1;
    }
    *names = nm;
    *funcs = fi;
  }
  if ((e = move_data(&s)) || (e = redirect_refs(&s))) goto out;
  /* one memory */
  {
    mb_limits one = {0, 0, 0}, *m = &one;
    uint64_t fixed = 0, min = 0;
    const region *last = NULL;
    for (uint32_t k = 0; k < s.nrg; k++) {
      if (s.rg[k].last) last = &s.rg[k];
      else fixed += s.rg[k].cap;
    }
    min = fixed + (last ? last->min : 0);
    *m = (mb_limits){0, min, 0};
    if (!last) {
      m->flags = MB_LIMITS_HAS_MAX;
      m->max = min;
    } else if (last->has_max) {
      m->flags = MB_LIMITS_HAS_MAX;
      m->max = fixed + last->max > 65536 ? 65536 : fixed + last->max;
    }
    mb_module_truncate_memories(o, 0);
    if (s.nmem && (e = mb__link_wasm(mb_module_add_memory(o, m, NULL, diag), diag))) goto out;
    for (uint32_t i = 0; i < o->nexports; i++)
      if (o->exports[i].kind == MB_KIND_MEMORY) mb_module_edit_export(o, i)->index = 0;
    o->features &= ~(uint32_t)MB_FEAT_MULTI_MEMORY;
  }
  e = regions_custom(&s);
out:
  mb_buf_fini(&tmp);
  mb_buf_fini(&code);
  mb_mem_free(&l->alloc, s.rg);
  mb_mem_free(&l->alloc, s.h);
  mb_mem_free(&l->alloc, s.redirect);
  return e;
}

mb_link_err mb_link_regions_read(mb_module *m, mb_region_info **out, uint32_t *n, bool *found,
                                 mb_diag *diag) {
  *out = NULL;
  *n = 0;
  *found = false;
  const mb_custom *cs = NULL;
  for (uint32_t i = 0; i < m->ncustoms && !cs; i++)
    if (mb_bytes_eq(m->customs[i].name, "membrane:memory")) cs = &m->customs[i];
  if (!cs) return MB_LINK_OK;
  *found = true;
  mb_wasm_reader r = {cs->payload.ptr, cs->payload.ptr, cs->payload.ptr + cs->payload.len, 0, NULL,
                      mb_module_allocator(m)};
  uint32_t version, count;
  if (mb_wasm_u32(&r, &version, "") || version != 1 || mb_wasm_u32(&r, &count, "") ||
      count > cs->payload.len)
    goto bad;
  mb_region_info *v = mb_module_alloc(m, (size_t)(count ? count : 1) * sizeof *v);
  if (!v) return mb_link_fail(diag, MB_LINK_ERR_NOMEM, 0, "out of memory");
  for (uint32_t i = 0; i < count; i++) {
    uint8_t flags;
    if (mb_wasm_name(&r, &v[i].name, "") || mb_wasm_u32(&r, &v[i].base, "") ||
        mb_wasm_u32(&r, &v[i].pages, "") || mb_wasm_u32(&r, &v[i].initial, "") ||
        mb_wasm_byte(&r, &flags, ""))
      goto bad;
    v[i].growable = flags & 1;
    v[i].checked = flags & 2;
  }
  if (r.pos != r.end) goto bad;
  *out = v;
  *n = count;
  return MB_LINK_OK;
bad:
  return mb_link_fail(diag, MB_LINK_ERR_INPUT, r.pos ? (uint64_t)(r.pos - r.start) : 0,
                      "malformed custom section 'membrane:memory'");
}
