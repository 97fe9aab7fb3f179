/* membrane_link.h — the link session: wire instances, fuse them into one module.
 *
 * The public header of linker/, the library on top of the binary model (membrane_wasm.h)
 * and WIT (membrane_wit.h), both included here. It owns wiring (which instance provides
 * each import), fusion into one module, the canonical-ABI adapters, the memory models and
 * the custom sections a fused module carries.
 *
 * Errors: every function that can fail returns an mb_link_err and fills an mb_diag; library
 * code never prints or exits (warnings go through mb_link_set_warn's callback).
 */
#ifndef MEMBRANE_LINK_H
#define MEMBRANE_LINK_H

#include "membrane_wasm.h"
#include "membrane_wit.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors ---------------------------------------------------------------------- */

typedef enum mb_link_err {
  MB_LINK_OK = 0,
  MB_LINK_ERR_NOMEM,         /* allocation failed */
  MB_LINK_ERR_IO,            /* writing a description failed */
  MB_LINK_ERR_INPUT,         /* an input module or its custom section is malformed; the
                              * message is the binary model's */
  MB_LINK_ERR_OPTION,        /* a request names no instance or world, or a bad name/size */
  MB_LINK_ERR_UNRESOLVED,    /* an import no instance provides, or several do, or a cycle */
  MB_LINK_ERR_TYPE_MISMATCH, /* an import and the export it is wired to differ in type */
  MB_LINK_ERR_ABI,           /* a rule of the resource ABI or membrane:caller is broken */
  MB_LINK_ERR_CONFLICT,      /* instances need what cannot both hold (export names, WASI
                              * memories, start order) */
  MB_LINK_ERR_LAYOUT,        /* --memory single: the regions do not fit */
  MB_LINK_ERR_TOO_LARGE,     /* the output would pass an index-space limit */
  MB_LINK_ERR_UNSUPPORTED,   /* valid input membrane does not link */
  MB_LINK_ERR_USAGE,         /* the session is used out of order (no instances, no glue) */
} mb_link_err;

/* Short stable name of an error code ("type mismatch", ...). */
const char *mb_link_err_name(mb_link_err code);

/* ---- linking: fuse several modules into one multi-memory module ----------------- */

/* A link session. Instances are added in order (the first is the main one unless
 * mb_link_set_main says otherwise); their modules are borrowed and must outlive the
 * session and any output it produced. */
typedef struct mb_link mb_link;

/* What happens to imports no instance provides. Imports of the host's WASI
 * (wasi_snapshot_preview1, wasi_unstable) always stay host imports: the host provides
 * them, so they are never stubbed or refused. */
typedef enum mb_link_unresolved {
  MB_UNRESOLVED_IMPORT, /* keep as an import of the output (identical ones merged) */
  MB_UNRESOLVED_STUB,   /* a function that traps with a named message */
  MB_UNRESOLVED_ERROR,  /* a link error */
} mb_link_unresolved;

/* Warnings (dropped custom sections, ...) are reported through this callback; the
 * library never prints. */
typedef void (*mb_warn_fn)(void *user, const char *message);

/* A new link session; it, and the module mb_link_fuse builds, allocate from alloc
 * (copied; NULL: libc). NULL when out of memory. */
mb_link *mb_link_new(const mb_allocator *alloc);
void mb_link_free(mb_link *l);
void mb_link_set_warn(mb_link *l, mb_warn_fn fn, void *user);

/* Add an instance called name (copied) of module m; path is for messages (copied). */
mb_link_err mb_link_add_instance(mb_link *l, const char *name, const mb_module *m, const char *path,
                                 mb_diag *diag);
mb_link_err mb_link_set_main(mb_link *l, const char *name, mb_diag *diag);
/* Imports of `consumer` from module `import_module` go to instance `provider`. */
mb_link_err mb_link_wire(mb_link *l, const char *consumer, const char *import_module,
                         const char *provider, mb_diag *diag);
/* Export instance.name as `as` (NULL = same name). Any explicit export replaces the
 * default (the main instance's exports). */
mb_link_err mb_link_export(mb_link *l, const char *instance, const char *name, const char *as,
                           mb_diag *diag);
void mb_link_set_unresolved(mb_link *l, mb_link_unresolved policy);

/* The resource ABI (DESIGN.md, "The resource ABI").
 *
 * mb_link_set_wit: the WIT interfaces and worlds (resolved; borrowed until the session is
 * freed). An import module naming an interface (`example:counter/api`) is then wired to
 * the instance exporting it (through its --world, or, without one, because it exports
 * functions `example:counter/api#...`), each function checked against the canonical ABI
 * flattening of its WIT signature (lowered for the importer, lifted for the exporter).
 * Functions without handles, strings or lists (and with no value passed in memory)
 * stay direct calls. The others get an adapter: own<R> handles move between the two
 * instances' tables, borrow<R> handles are lent for the call (a borrow into the definer
 * arrives as the rep; the callee must drop the others before returning), strings and
 * lists are copied into memory from the receiving instance's `cabi_realloc` (export),
 * wherever they are (records, tuples, variants, lists, parameters passed in memory);
 * a result the canonical ABI returns in memory is copied into the caller's return
 * area, and the callee's `cabi_post_<export>` runs afterwards. The legacy intrinsics
 * `canonical_abi.resource_new_R/get_R/clone_R/drop_R` (destructor export
 * `canonical_abi_drop_R`) are accepted as well: an instance importing resource_new_R
 * or exporting canonical_abi_drop_R defines R.
 *
 * mb_link_set_world: instance's world, "NAMESPACE:PACKAGE/WORLD" (after mb_link_set_wit).
 *
 * mb_link_set_glue: the wasm32 glue module (virt/, mb_virt_glue_wasm, read by the
 * caller; borrowed). It becomes an extra instance only when some import needs it: the
 * intrinsics `[resource-new]R`, `[resource-rep]R`, `[resource-drop]R`, `[resource-dup]R`,
 * `[resource-destroy]R` from `[export]<iface>` (the definer), `[resource-drop]R`,
 * `[resource-dup]R`, `[resource-destroy]R` from `<iface>` (users), or an adapter. A
 * generated start function registers one runtime instance per input and every resource
 * type (with its destructor export `<iface>#[dtor]R`); a command's generated `_start`
 * tears every instance down after the main one returns; an output without `_start` (a
 * reactor) exports `membrane:teardown` instead, for the embedder to call. */
void mb_link_set_wit(mb_link *l, const mb_wit *wit);
mb_link_err mb_link_set_world(mb_link *l, const char *instance, const char *world, mb_diag *diag);
void mb_link_set_glue(mb_link *l, const mb_module *glue);

/* Caller-memory access for `provider`: it may import from module `membrane:caller`
 *   read(dst, src, len)   copy len bytes from the calling instance's memory at src to its
 *                         own memory at dst
 *   write(dst, src, len)  copy len bytes from its own memory at src to the caller's at dst
 *   size() -> pages       the calling instance's memory size, in 64 KiB pages
 *   id() -> i32           the calling instance's index in the link (order of
 *                         mb_link_add_instance, from 0), -1 when none; never traps
 * each one cross-memory memory.copy (out of bounds traps). The calling instance is the
 * instance whose call (a wired import, direct or adapted) is running in the provider;
 * the caller's memory is its export `memory`, else its memory 0. With no such call
 * (e.g. the host called the provider) read/write/size trap with
 * "membrane: no calling instance". Without the grant, importing membrane:caller is a
 * link error. */
mb_link_err mb_link_grant_caller_memory(mb_link *l, const char *provider, mb_diag *diag);

/* The memory model of the output (DESIGN.md, "Memory models of an output").
 * MB_MEMORY_MULTI (the default): one memory per instance memory (multi-memory).
 * MB_MEMORY_SINGLE: exactly one memory, a region per instance memory. One region may grow
 * and is placed last: the growable instance's (mb_link_set_growable), else the one memory
 * declaring no maximum and given no size; two such memories are an error naming both.
 * Every other region is fixed: mb_link_set_memory_size's pages, else its declared
 * maximum (the glue: its initial size + 256 pages); memory.grow returns -1 once it is
 * full. Accesses add the region's base to the static memarg offset; accesses to fixed
 * regions are bounds-checked (trap `membrane: out of bounds`) unless the instance is
 * trusted (mb_link_trust) or the glue. The memory the host's WASI reads is at base 0, or,
 * when it is the growable one, its WASI imports get pointer-translating wrappers.
 * Names are matched when the output is built. */
typedef enum mb_link_memory { MB_MEMORY_MULTI, MB_MEMORY_SINGLE } mb_link_memory;
void mb_link_set_memory(mb_link *l, mb_link_memory model);
mb_link_err mb_link_set_memory_size(mb_link *l, const char *instance, uint32_t pages, mb_diag *diag);
mb_link_err mb_link_trust(mb_link *l, const char *instance, mb_diag *diag);
mb_link_err mb_link_set_growable(mb_link *l, const char *instance, mb_diag *diag);

/* The regions of a --memory single output: the custom section "membrane:memory". */
typedef struct mb_region_info {
  mb_bytes name;      /* the instance (and memory index when it has several: "lib#1") */
  uint32_t base;      /* first page */
  uint32_t pages;     /* capacity in pages; 0 for the growable region (up to the end) */
  uint32_t initial;   /* pages at instantiation */
  bool growable, checked;
} mb_region_info;
/* *found false when m has no such section. Arrays in m's arena. */
mb_link_err mb_link_regions_read(mb_module *m, mb_region_info **out, uint32_t *n, bool *found,
                                 mb_diag *diag);

/* What a fused module says about its resource ABI: the custom section
 * "membrane:resources", written by mb_link_fuse when the glue is part of the output.
 * Runtime instance i is insts[i] (an input of the link; each has its own handle table,
 * `handles` when it creates, holds or passes handles); types[t] is resource type t,
 * defined by instance `definer`, with a destructor when `dtor`. */
typedef struct mb_res_inst_info {
  mb_bytes name;
  bool handles;
} mb_res_inst_info;
typedef struct mb_res_type_info {
  uint32_t definer;
  mb_bytes iface, name; /* iface is "canonical_abi" for the legacy intrinsics */
  bool dtor;
} mb_res_type_info;
typedef struct mb_res_info {
  uint32_t ninsts;
  mb_res_inst_info *insts;
  uint32_t ntypes;
  mb_res_type_info *types;
} mb_res_info;
/* Reads the section of m into *out (arrays in m's arena, names pointing into the section).
 * *found is false when m has none. A malformed section is MB_LINK_ERR_INPUT with the
 * offset in the section's payload. */
mb_link_err mb_link_resources_read(mb_module *m, mb_res_info *out, bool *found, mb_diag *diag);

/* Whether import k of m is the drop of a resource m does not define: the legacy
 * `canonical_abi.resource_drop_R` (m neither imports canonical_abi.resource_new_R nor
 * exports canonical_abi_drop_R) or `<iface>.[resource-drop]R`. Then *iface (the import
 * module) and *name (R) point into m. In an output of mb_link_fuse every such import is
 * the drop of a resource the host defines: its handles are the host's own i32 values. */
bool mb_link_resource_host_drop(const mb_module *m, uint32_t k, mb_bytes *iface, mb_bytes *name);

/* Resolve every import and type-check it. Idempotent; mb_link_fuse calls it. */
mb_link_err mb_link_resolve(mb_link *l, mb_diag *diag);

/* Build the fused module. The result borrows from the inputs' bytes; free it with
 * mb_module_free before them. */
mb_link_err mb_link_fuse(mb_link *l, mb_module **out, mb_diag *diag);

/* Describe the resolved wiring: who provides each import, what stays a host import.
 * As text, or as a Graphviz graph. */
mb_link_err mb_link_describe(mb_link *l, FILE *f, bool dot, mb_diag *diag);

#ifdef __cplusplus
}
#endif
#endif
