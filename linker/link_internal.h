/* link_internal.h — the link session shared by the files of the link library: link.c
 * (instances, resolution, checks), wiring.c (who provides what), link_res.c (the resource
 * ABI's imports), fuse*.c (building the output), link_custom.c (name and producers
 * sections) and single.c (--memory single). */
#ifndef MB_LINK_INTERNAL_H
#define MB_LINK_INTERNAL_H

#include "membrane_link.h"
#include "membrane_wasm_ext.h"

/* Fill diag (may be NULL) and return code. */
mb_link_err mb_link_fail(mb_diag *diag, mb_link_err code, uint64_t offset, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A binary-model error as the link library's (diag->code is rewritten). */
mb_link_err mb__link_wasm(mb_err e, mb_diag *diag);

/* Where an import ends up after following re-exports. */
enum { MB_TARGET_HOST = -1, MB_TARGET_GEN = -2 };
typedef struct mb_target {
  int inst;        /* instance that defines it, MB_TARGET_HOST for a host import, or
                      MB_TARGET_GEN for a generated function (index: into mb_link.gens) */
  uint32_t index;  /* that instance's index (in its own space) of the definition */
  uint32_t host;   /* inst == -1: index into mb_link.hosts */
} mb_target;

/* A host import of the output (identical imports of several instances merged). */
typedef struct mb_host_import {
  const mb_import *im;   /* first instance's import (module, field, kind, type) */
  const mb_module *from; /* the module that owns im (for its type) */
  bool stub;             /* replaced by a trapping function */
} mb_host_import;

typedef struct mb_link_inst {
  char *name, *path;
  const mb_module *m;
  mb_target *res;     /* per import; filled by resolve */
  uint8_t *state;     /* per import: 0 todo, 1 in progress, 2 done (cycle detection) */
  int provider_of_wasi; /* imports host WASI directly */
  uint32_t *map[MB_SPACE_COUNT]; /* instance index -> output index, filled by fuse */
  uint32_t count[MB_SPACE_COUNT];
  const mb_wit_world *world; /* --world, or NULL */
  bool glue;          /* the resource ABI glue: its names keep no instance prefix */
  bool caller_memory; /* --grant-caller-memory: may import membrane:caller */
  uint32_t caller_global; /* fuse: output index of its "who calls me" global */
  uint32_t *canon;    /* resolve: type index -> index in mb_link.canon */
} mb_link_inst;

/* Functions the linker generates for imports (link_res.c builds the list, fuse_adapt.c
 * the bodies): resource intrinsics calling the glue with constant ids, and adapters
 * between a caller and a callee whose WIT signature carries handles. */
typedef enum mb_gen_kind {
  MB_GEN_RES_NEW, MB_GEN_RES_REP, MB_GEN_RES_DROP, MB_GEN_RES_DUP, MB_GEN_RES_DESTROY,
  MB_GEN_ADAPTER,
  MB_GEN_CALL_AS,       /* a call into a provider granted caller-memory access: sets its
                           caller global around the call */
  MB_GEN_CALLER_READ,   /* membrane:caller.read/write/size in the granted provider */
  MB_GEN_CALLER_WRITE,
  MB_GEN_CALLER_SIZE,
  MB_GEN_CALLER_ID,     /* membrane:caller.id: the calling instance's link index, or -1 */
  MB_GEN_EXIT,          /* WASI proc_exit: every open call unwound and every instance torn
                           down, then the host's proc_exit */
} mb_gen_kind;

typedef struct mb_gen {
  mb_gen_kind kind;
  int inst;                 /* the importing instance */
  const mb_functype *ft;    /* the import's type */
  uint32_t type;            /* intrinsics: resource type id (mb_link.rtypes) */
  int callee;               /* adapter, call-as: the instance whose function it calls */
  uint32_t callee_func;     /* adapter, call-as: that instance's function index */
  const mb_wit_func *func;  /* adapter: the WIT function */
  uint32_t nres;            /* adapter: the resources its signature mentions ... */
  const mb_wit_type **res_keys;
  uint32_t *res_ids;        /* ... and their type ids (mb_link.rtypes) */
  uint32_t caller_mem, callee_mem;   /* adapter: the canonical ABI memories (own index) */
  int64_t callee_realloc, caller_realloc; /* adapter: cabi_realloc function indices, or -1 */
  int64_t callee_post;      /* adapter: the callee's cabi_post_<export>, or -1 */
  uint32_t host;            /* exit: the host proc_exit it ends with (mb_link.hosts) */
  char *name;               /* for the name section */
} mb_gen;

/* A resource type: (definer instance, interface, resource). Its id is its index, which
 * is also the id the glue's mb_type_new returns, as the generated init registers them
 * in this order. */
typedef struct mb_rtype {
  int definer;
  char *iface;   /* interface id as the core names spell it */
  char *name;    /* resource name */
  int64_t dtor;  /* definer's function index of `<iface>#[dtor]R`, or -1 */
} mb_rtype;

typedef struct mb_wire {
  char *consumer, *module, *provider;
} mb_wire;

typedef struct mb_link_export_sel {
  char *inst, *name, *as;
} mb_link_export_sel;

/* --memory-size / --trust / the growable instance of --memory single, by instance name
 * (checked when the output is built: the glue instance exists only then). */
typedef struct mb_mem_opt {
  char *inst;
  uint32_t pages; /* 0: not given */
  bool trust, grow;
} mb_mem_opt;

struct mb_link {
  mb_link_inst *inst;
  uint32_t ninst;
  int main;
  mb_wire *wires;
  uint32_t nwires;
  mb_link_export_sel *exports;
  uint32_t nexports;
  mb_link_unresolved policy;
  mb_warn_fn warn;
  void *warn_user;
  bool resolved;
  /* resolve: every instance's types in one module, equal rec groups merged, so types of
   * different instances compare by index (and subtype by supertype chains) */
  mb_module *canon;
  mb_host_import *hosts;
  uint32_t nhosts;
  int *order;        /* instances in dependency order (providers first) */
  /* the resource ABI */
  const mb_wit *wit;          /* borrowed, resolved; NULL: no WIT */
  const mb_module *glue_module; /* borrowed; the glue instance's module */
  int glue;                   /* the glue's instance index (last), or -1 */
  mb_gen *gens;
  uint32_t ngens;
  mb_rtype *rtypes;
  uint32_t nrtypes;
  /* the memory model (DESIGN.md, "Memory models of an output") */
  bool single;
  mb_mem_opt *memopts;
  uint32_t nmemopts;
  mb_allocator alloc; /* everything of the session and its output module */
};

/* Helpers shared across the link files. */
/* The host's WASI (preview1 or its predecessor): always provided by the host, so never
 * stubbed or refused as "unresolved". */
bool mb__is_wasi_module(mb_bytes module);
void mb__link_warn(mb_link *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* link_util.c */
/* Grow *arr (n elements of elem bytes) by one zeroed element; false when out of memory. */
bool mb__grow1(const mb_allocator *alloc, void **arr, uint32_t n, size_t elem);
/* A NUL-terminated copy of s[0..n) from alloc (mb_mem_free it); NULL when out of memory. */
char *mb__strndup(const mb_allocator *alloc, const char *s, size_t n);
/* "(i32, i32) -> (i64)", truncated to cap. */
void mb__type_text(const mb_functype *t, char *buf, size_t cap);

/* wiring.c: provider selection. */
/* The instance called name[0..len), or -1. */
int mb__find_inst(const mb_link *l, const char *name, size_t len);
/* The provider instance of an import module for a consumer (wires, instance names, then
 * WIT: the instance whose world exports that interface). -1 none, -3 more than one
 * candidate (then *other is the second). */
int mb__provider_for(const mb_link *l, int consumer, mb_bytes module, int *other);
/* Whether instance i's world (or, without one, its exports) exports interface iface. */
bool mb__exports_iface(const mb_link *l, int i, const char *module, size_t len);
/* The interface an import module names, when WIT is loaded (else NULL). */
const mb_wit_iface *mb__iface_by_module(const mb_link *l, const char *module, size_t len);

/* link.c: follow instance p's entity to its definition, resolving the imports on the way
 * (the one call back from link_res.c into resolution: an adapted import's target is
 * wherever the provider's export leads). */
mb_link_err mb__chase(mb_link *l, int p, mb_kind kind, uint32_t index, mb_target *out, mb_diag *diag);

/* link_res.c: imports the resource ABI handles (intrinsics, WIT-wired functions).
 * *handled says whether it did; when it did, in->res[k] is set or an error returned. */
mb_link_err mb__link_res_import(mb_link *l, int i, uint32_t k, int provider, bool *handled, mb_diag *diag);
void mb__link_res_reset(mb_link *l);
/* After every import is resolved: calls into instances granted caller-memory access go
 * through a generated function telling them who calls. */
mb_link_err mb__link_res_caller_calls(mb_link *l, mb_diag *diag);
/* With the glue in the link: WASI proc_exit imported from the host goes through a
 * generated function that runs every destructor first (an exit skips _start's end). */
mb_link_err mb__link_res_exit_calls(mb_link *l, mb_diag *diag);

/* single.c: --memory single. Lowers the fused multi-memory module `out` (every section
 * built, before the custom sections) to one memory with a region per memory; wasi_mem is
 * the output memory the host's WASI reads (-1: none). The functions it adds are listed
 * in *names / *funcs (arena of out) for the name section. */
mb_link_err mb__single_lower(mb_link *l, mb_module *out, int64_t wasi_mem, const char ***names,
                             uint32_t **funcs, uint32_t *nnames, mb_diag *diag);

/* The "membrane:resources" custom section of an output using the glue. */
mb_link_err mb__link_resources_custom(mb_link *l, mb_module *out, mb_diag *diag);

/* Custom sections of the output: merged name and producers sections. */
mb_link_err mb__link_customs(mb_link *l, mb_module *out, const char *const *extra_names,
                             const uint32_t *extra_funcs, uint32_t nextra, mb_diag *diag);

#endif
