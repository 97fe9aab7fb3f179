/* membrane_link.h — the wasm binary model: read, write, remap.
 *
 * One public header for the linker library. A module is read from a byte buffer the
 * caller keeps alive; the model points into that buffer (code bodies, constant
 * expressions, data bytes and custom payloads are byte ranges of the input), so reading
 * a 10 MB module allocates little. Unchanged sections are written back byte for byte;
 * sections the caller changed (mb_module_mark_dirty, or the remapper) are re-encoded.
 *
 * Errors: every function that can fail returns an mb_err and fills an mb_diag with the
 * byte offset and a message; library code never prints or exits.
 */
#ifndef MEMBRANE_LINK_H
#define MEMBRANE_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors ---------------------------------------------------------------------- */

typedef enum mb_err {
  MB_OK = 0,
  MB_ERR_NOMEM,             /* allocation failed */
  MB_ERR_IO,                /* reading or writing a file failed */
  MB_ERR_UNEXPECTED_END,    /* input ended inside an item */
  MB_ERR_BAD_MAGIC,         /* magic header not detected */
  MB_ERR_BAD_VERSION,       /* unknown binary version */
  MB_ERR_LEB_TOO_LONG,      /* integer representation too long */
  MB_ERR_LEB_TOO_LARGE,     /* integer too large (unused bits set) */
  MB_ERR_BAD_SECTION_ID,    /* malformed section id */
  MB_ERR_SECTION_ORDER,     /* section out of order or duplicated */
  MB_ERR_SECTION_SIZE,      /* section size mismatch */
  MB_ERR_BAD_UTF8,          /* malformed UTF-8 encoding in a name */
  MB_ERR_BAD_TYPE,          /* malformed value type, type form, mutability or limits */
  MB_ERR_BAD_KIND,          /* malformed import/export kind */
  MB_ERR_BAD_OPCODE,        /* illegal opcode */
  MB_ERR_BAD_IMMEDIATE,     /* malformed immediate (memarg flags, lane, reserved byte, ...) */
  MB_ERR_BAD_STRUCTURE,     /* misplaced else/catch/end, unterminated body */
  MB_ERR_FUNC_CODE_MISMATCH,/* function and code section have inconsistent lengths */
  MB_ERR_DATA_COUNT,        /* data count mismatch, or data count section required */
  MB_ERR_BAD_SEGMENT,       /* malformed element/data segment flags or element kind */
  MB_ERR_TOO_MANY,          /* a count exceeds an implementation limit */
  MB_ERR_INDEX_RANGE,       /* an index refers past the end of its index space */
  MB_ERR_BAD_CONST_EXPR,    /* an instruction that is not allowed in a constant expression */
  MB_ERR_UNSUPPORTED,       /* valid wasm that membrane does not handle (GC, typed refs) */
  MB_ERR_INVALID_ARG,       /* a caller's request is inconsistent (e.g. remap table too short) */
  MB_ERR_WIT_SYNTAX,        /* WIT: malformed token, or a token where another was expected */
  MB_ERR_WIT_UNDEFINED,     /* WIT: a type, interface or package that is not defined/loaded */
  MB_ERR_WIT_DUPLICATE,     /* WIT: a name defined twice */
  MB_ERR_WIT_INVALID,       /* WIT: well-formed but invalid (recursive type, borrow result, ...) */
  MB_ERR_COUNT_             /* not an error: the number of codes */
} mb_err;

/* Where and why. offset is a byte offset in the input module (or, for remapping, in the
 * module being remapped). message is human-readable and never parsed by code. */
typedef struct mb_diag {
  mb_err code;
  uint64_t offset;
  char message[256];
} mb_diag;

/* Short stable name of an error code ("unexpected end", ...). */
const char *mb_err_name(mb_err code);

/* ---- allocation hook ------------------------------------------------------------- */

/* Every allocation in the library goes through this hook so tests can count
 * allocations and fail the N-th one. realloc(ptr, 0) frees. NULL restores the default. */
typedef void *(*mb_realloc_fn)(void *ptr, size_t size, void *user);
void mb_set_allocator(mb_realloc_fn fn, void *user);

/* ---- the model ------------------------------------------------------------------- */

typedef enum mb_kind {
  MB_KIND_FUNC = 0,
  MB_KIND_TABLE = 1,
  MB_KIND_MEMORY = 2,
  MB_KIND_GLOBAL = 3,
  MB_KIND_TAG = 4,
} mb_kind;
#define MB_KIND_COUNT 5

/* A byte range. For a model read from input it points into the input buffer; for
 * re-encoded items it points into the module's arena. Never owned by the holder. */
typedef struct mb_bytes {
  const uint8_t *ptr;
  uint32_t len;
} mb_bytes;

/* Value types are kept as their one-byte codes (0x7F i32 ... 0x69 exnref). Typed
 * references (0x63/0x64 + heap type) are rejected as MB_ERR_UNSUPPORTED. */
typedef struct mb_functype {
  uint32_t nparams, nresults;
  const uint8_t *params, *results; /* valtype codes */
} mb_functype;

enum {
  MB_LIMITS_HAS_MAX = 0x01,
  MB_LIMITS_SHARED = 0x02,
  MB_LIMITS_64 = 0x04,
};
typedef struct mb_limits {
  uint8_t flags; /* MB_LIMITS_* bits, as in the binary */
  uint64_t min, max;
} mb_limits;

typedef struct mb_tabletype {
  uint8_t elemtype; /* reftype code */
  mb_limits limits;
} mb_tabletype;

typedef struct mb_globaltype {
  uint8_t valtype;
  bool mutable_;
} mb_globaltype;

typedef struct mb_import {
  mb_bytes module, field;
  mb_kind kind;
  union {
    uint32_t func_type;   /* MB_KIND_FUNC: type index */
    mb_tabletype table;   /* MB_KIND_TABLE */
    mb_limits memory;     /* MB_KIND_MEMORY */
    mb_globaltype global; /* MB_KIND_GLOBAL */
    uint32_t tag_type;    /* MB_KIND_TAG: type index */
  } u;
} mb_import;

typedef struct mb_table {
  mb_tabletype type;
  mb_bytes init; /* constant expression incl. its end byte; len 0 when absent */
} mb_table;

typedef struct mb_global {
  mb_globaltype type;
  mb_bytes init; /* constant expression incl. end */
} mb_global;

typedef struct mb_export {
  mb_bytes name;
  mb_kind kind;
  uint32_t index;
} mb_export;

/* Element segment. mode and the item form are decoded from the flags; the writer picks
 * the smallest flags value that expresses (mode, table, form, reftype). */
typedef enum mb_seg_mode { MB_SEG_ACTIVE, MB_SEG_PASSIVE, MB_SEG_DECLARATIVE } mb_seg_mode;
typedef struct mb_elem {
  uint32_t flags;     /* as read; the writer recomputes it */
  mb_seg_mode mode;
  uint32_t table;     /* active only */
  mb_bytes offset;    /* active only: constant expression incl. end */
  uint8_t reftype;    /* 0x70 funcref for the function-index form */
  bool exprs;         /* items are constant expressions (flags bit 2) */
  uint32_t count;
  uint32_t *funcs;    /* !exprs: count function indices (arena) */
  mb_bytes *items;    /* exprs: count expressions incl. end (arena) */
} mb_elem;

typedef struct mb_data {
  mb_seg_mode mode;   /* ACTIVE or PASSIVE */
  uint32_t memory;    /* active only */
  mb_bytes offset;    /* active only */
  mb_bytes bytes;
} mb_data;

struct mb_remap;
typedef struct mb_code {
  mb_bytes body;      /* the code entry without its size: local groups then expr */
  uint64_t offset;    /* byte offset of body in the input, for diagnostics */
  /* Non-NULL: body is still in its input's numbering and is renumbered through this
   * map as it is written (the linker's output, so that a large input's code is never
   * held twice). The writer and mb_module_remap apply it; body.len is the input's. */
  const struct mb_remap *remap;
} mb_code;

/* Canonical positions of the known sections in the required order. */
typedef enum mb_sec {
  MB_SEC_TYPE, MB_SEC_IMPORT, MB_SEC_FUNCTION, MB_SEC_TABLE, MB_SEC_MEMORY, MB_SEC_TAG,
  MB_SEC_GLOBAL, MB_SEC_EXPORT, MB_SEC_START, MB_SEC_ELEMENT, MB_SEC_DATACOUNT,
  MB_SEC_CODE, MB_SEC_DATA,
  MB_SEC_COUNT
} mb_sec;

/* Binary section id of a canonical position, and back (-1 for custom/unknown). */
uint8_t mb_sec_id(mb_sec sec);
int mb_sec_from_id(uint8_t id);
const char *mb_sec_name(mb_sec sec);

typedef struct mb_section_info {
  bool present;       /* the section is in the output (read from input or added) */
  bool dirty;         /* re-encode from the model instead of copying raw */
  mb_bytes raw;       /* whole section as read: id, size, contents */
  uint64_t offset;    /* offset of the section id byte in the input */
} mb_section_info;

typedef struct mb_custom {
  mb_bytes name;
  mb_bytes payload;
  mb_bytes raw;       /* whole section as read; len 0 for a section built in memory */
  uint64_t offset;
  /* Placement: written just before the known section at this canonical position, after
   * any customs already placed there; MB_SEC_COUNT = after the last section. */
  mb_sec before;
} mb_custom;

/* Import counts per kind give the start of each index space's defined part. */
typedef struct mb_module {
  uint32_t ntypes;        mb_functype *types;
  uint32_t nimports;      mb_import *imports;
  uint32_t nimported[MB_KIND_COUNT]; /* imports per kind */
  uint32_t nfuncs;        uint32_t *func_types;  /* defined functions' type indices */
  uint32_t ntables;       mb_table *tables;
  uint32_t nmemories;     mb_limits *memories;
  uint32_t ntags;         uint32_t *tag_types;
  uint32_t nglobals;      mb_global *globals;
  uint32_t nexports;      mb_export *exports;
  bool has_start;         uint32_t start;
  uint32_t nelems;        mb_elem *elems;
  bool has_datacount;     /* written with value ndatas */
  uint32_t ncodes;        mb_code *codes;
  uint32_t ndatas;        mb_data *datas;
  uint32_t ncustoms;      mb_custom *customs;

  mb_section_info sec[MB_SEC_COUNT];
  struct mb_arena *arena; /* owns every array above and re-encoded bytes */
  uint32_t features;      /* MB_FEAT_* seen while reading (informational) */
} mb_module;

/* Features observed while reading, for `inspect` (not a validation result). */
enum {
  MB_FEAT_MULTI_MEMORY = 1u << 0,
  MB_FEAT_MEMORY64 = 1u << 1,
  MB_FEAT_THREADS = 1u << 2,
  MB_FEAT_SIMD = 1u << 3,
  MB_FEAT_EXCEPTIONS = 1u << 4,
  MB_FEAT_LEGACY_EXCEPTIONS = 1u << 5,
  MB_FEAT_TAIL_CALL = 1u << 6,
  MB_FEAT_REFERENCE_TYPES = 1u << 7,
  MB_FEAT_BULK_MEMORY = 1u << 8,
  MB_FEAT_MULTI_VALUE = 1u << 9,
  MB_FEAT_RELAXED_SIMD = 1u << 10,
};

/* Number of entities in an index space, imports included. */
uint32_t mb_module_count(const mb_module *m, mb_kind kind);

/* ---- reading --------------------------------------------------------------------- */

typedef struct mb_read_options {
  /* Decode every code body (structure, opcodes, immediates, index ranges). On by
   * default through mb_wasm_read; turning it off only frames the code entries. */
  bool check_code;
} mb_read_options;

/* Read a module from bytes[0..len). The bytes must outlive the module. On error returns
 * the code, fills *diag (if non-NULL) and sets *out to NULL. */
mb_err mb_wasm_read(const uint8_t *bytes, size_t len, mb_module **out, mb_diag *diag);
mb_err mb_wasm_read_opts(const uint8_t *bytes, size_t len, const mb_read_options *opts,
                         mb_module **out, mb_diag *diag);

/* An empty module (no sections), for building output from scratch. */
mb_module *mb_module_new(void);
void mb_module_free(mb_module *m);

/* Allocate from the module's arena (freed with the module). NULL when out of memory. */
void *mb_module_alloc(mb_module *m, size_t size);

/* Mark a known section as changed so the writer re-encodes it from the model (it also
 * becomes present). */
void mb_module_mark_dirty(mb_module *m, mb_sec sec);
void mb_module_mark_all_dirty(mb_module *m);

/* ---- writing --------------------------------------------------------------------- */

/* Growable byte buffer. _init to zero; _fini frees. data is owned by the buffer. */
typedef struct mb_buf {
  uint8_t *data;
  size_t len, cap;
  bool failed; /* an allocation failed; later appends are ignored */
} mb_buf;
void mb_buf_init(mb_buf *b);
void mb_buf_fini(mb_buf *b);
bool mb_buf_append(mb_buf *b, const void *p, size_t n);
bool mb_buf_byte(mb_buf *b, uint8_t v);
bool mb_buf_u32(mb_buf *b, uint32_t v);  /* unsigned LEB128, minimal */
bool mb_buf_u64(mb_buf *b, uint64_t v);
bool mb_buf_s32(mb_buf *b, int32_t v);
bool mb_buf_s64(mb_buf *b, int64_t v);

/* Write the module. Present, clean sections are copied byte for byte; dirty ones are
 * encoded from the model (minimal LEB128). Custom sections are kept in place. */
mb_err mb_wasm_write(const mb_module *m, mb_buf *out, mb_diag *diag);
/* Same, streaming to a FILE (no copy of the whole output in memory). */
mb_err mb_wasm_write_file(const mb_module *m, FILE *f, mb_diag *diag);

/* Write to PATH atomically: a temporary file beside it, then rename. PATH is never left
 * half-written. */
mb_err mb_wasm_write_path(const mb_module *m, const char *path, mb_diag *diag);

/* Read a whole file into memory (caller frees *data with mb_file_free). */
mb_err mb_file_read(const char *path, uint8_t **data, size_t *len, mb_diag *diag);
void mb_file_free(uint8_t *data, size_t len);

/* Remove custom sections; with keep_names the `name` section stays. */
void mb_module_strip_customs(mb_module *m, bool keep_names);

/* ---- remapping ------------------------------------------------------------------- */

/* Old index → new index, per index space. A NULL map is the identity. Each map has
 * `count` entries, which must equal the module's size of that space; every index found
 * in the module must be < count. The new indices are not checked against anything:
 * the caller builds the target module. */
typedef enum mb_space {
  MB_SPACE_TYPE, MB_SPACE_FUNC, MB_SPACE_TABLE, MB_SPACE_MEMORY, MB_SPACE_GLOBAL,
  MB_SPACE_TAG, MB_SPACE_ELEM, MB_SPACE_DATA,
  MB_SPACE_COUNT
} mb_space;

typedef struct mb_remap {
  const uint32_t *map[MB_SPACE_COUNT];
  uint32_t count[MB_SPACE_COUNT];
} mb_remap;

/* Rewrite one function body (local groups + expr, as in mb_code.body) with remapped
 * indices, appending the result to *out. One pass, no tree: untouched bytes are copied
 * in runs, changed immediates re-encoded; a memory access whose memory becomes non-zero
 * gets the multi-memory memarg, one that becomes zero the plain one. base_offset is the
 * body's offset in its input, for diagnostics. */
mb_err mb_code_rewrite(const uint8_t *body, size_t len, uint64_t base_offset,
                       const mb_remap *remap, mb_buf *out, mb_diag *diag);

/* The same for a constant expression (incl. its end byte); also rejects instructions
 * not allowed in constant expressions. */
mb_err mb_const_expr_rewrite(const uint8_t *expr, size_t len, uint64_t base_offset,
                             const mb_remap *remap, mb_buf *out, mb_diag *diag);

/* Decode-only check of a body / constant expression (what the reader runs). index_limit
 * (may be NULL) holds the size of each index space; indices past it are
 * MB_ERR_INDEX_RANGE. */
mb_err mb_code_check(const uint8_t *body, size_t len, uint64_t base_offset,
                     const uint32_t index_limit[MB_SPACE_COUNT], mb_diag *diag);

/* Renumber every reference in m in place: import, function and tag type indices,
 * exports, start, element and data segments (table/memory indices, offsets, items),
 * constant expressions, code bodies and the name section (keys remapped, maps re-sorted;
 * an unparseable name section is dropped). Definitions keep their order: this is the
 * step that moves a module into a larger, fused index space. Everything touched is
 * marked dirty. */
mb_err mb_module_remap(mb_module *m, const mb_remap *remap, mb_diag *diag);

/* Remap, then move each definition to its new index. Every map must be a permutation of
 * its space that keeps imports in place, and keeps each global after the globals its
 * initialiser reads (else MB_ERR_INVALID_ARG, with the module unchanged). The module
 * stays equivalent except for the order in which active element/data segments are
 * applied, which follows their new indices: overlapping segments can then give a
 * different initial memory or table. */
mb_err mb_module_permute(mb_module *m, const mb_remap *remap, mb_diag *diag);


/* ---- linking: fuse several modules into one multi-memory module ----------------- */

/* A link session. Instances are added in order (the first is the main one unless
 * mb_link_set_main says otherwise); their modules are borrowed and must outlive the
 * session and any output it produced. */
typedef struct mb_link mb_link;
typedef struct mb_wit mb_wit;
typedef struct mb_wit_world mb_wit_world;

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

mb_link *mb_link_new(void);
void mb_link_free(mb_link *l);
void mb_link_set_warn(mb_link *l, mb_warn_fn fn, void *user);

/* Add an instance called name (copied) of module m; path is for messages (copied). */
mb_err mb_link_add_instance(mb_link *l, const char *name, const mb_module *m, const char *path,
                            mb_diag *diag);
mb_err mb_link_set_main(mb_link *l, const char *name, mb_diag *diag);
/* Imports of `consumer` from module `import_module` go to instance `provider`. */
mb_err mb_link_wire(mb_link *l, const char *consumer, const char *import_module,
                    const char *provider, mb_diag *diag);
/* Export instance.name as `as` (NULL = same name). Any explicit export replaces the
 * default (the main instance's exports). */
mb_err mb_link_export(mb_link *l, const char *instance, const char *name, const char *as,
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
mb_err mb_link_set_world(mb_link *l, const char *instance, const char *world, mb_diag *diag);
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
mb_err mb_link_grant_caller_memory(mb_link *l, const char *provider, mb_diag *diag);

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
mb_err mb_link_set_memory_size(mb_link *l, const char *instance, uint32_t pages, mb_diag *diag);
mb_err mb_link_trust(mb_link *l, const char *instance, mb_diag *diag);
mb_err mb_link_set_growable(mb_link *l, const char *instance, mb_diag *diag);

/* The regions of a --memory single output: the custom section "membrane:memory". */
typedef struct mb_region_info {
  mb_bytes name;      /* the instance (and memory index when it has several: "lib#1") */
  uint32_t base;      /* first page */
  uint32_t pages;     /* capacity in pages; 0 for the growable region (up to the end) */
  uint32_t initial;   /* pages at instantiation */
  bool growable, checked;
} mb_region_info;
/* *found false when m has no such section. Arrays in m's arena. */
mb_err mb_regions_read(mb_module *m, mb_region_info **out, uint32_t *n, bool *found,
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
 * *found is false when m has none. A malformed section is MB_ERR_BAD_STRUCTURE with the
 * offset in the section's payload. */
mb_err mb_resources_read(mb_module *m, mb_res_info *out, bool *found, mb_diag *diag);

/* Whether import k of m is the drop of a resource m does not define: the legacy
 * `canonical_abi.resource_drop_R` (m neither imports canonical_abi.resource_new_R nor
 * exports canonical_abi_drop_R) or `<iface>.[resource-drop]R`. Then *iface (the import
 * module) and *name (R) point into m. In an output of mb_link_fuse every such import is
 * the drop of a resource the host defines: its handles are the host's own i32 values. */
bool mb_resource_host_drop(const mb_module *m, uint32_t k, mb_bytes *iface, mb_bytes *name);

/* Resolve every import and type-check it. Idempotent; mb_link_fuse calls it. */
mb_err mb_link_resolve(mb_link *l, mb_diag *diag);

/* Build the fused module. The result borrows from the inputs' bytes; free it with
 * mb_module_free before them. */
mb_err mb_link_fuse(mb_link *l, mb_module **out, mb_diag *diag);

/* Describe the resolved wiring: who provides each import, what stays a host import.
 * As text, or as a Graphviz graph. */
mb_err mb_link_describe(mb_link *l, FILE *f, bool dot, mb_diag *diag);

/* Byte length of an unsigned LEB128 encoding of v. */
unsigned mb_leb_size(uint64_t v);

/* ---- WIT: interfaces and the canonical ABI of their functions --------------------- */

/* A set of WIT packages, for checking core signatures against the interfaces they
 * implement and for generating adapters. The subset read: `package ns:name@version;`,
 * top-level `use`, `interface`, `world` (import/export of interfaces by name or inline,
 * and of functions), `use` inside interfaces and worlds, `type` aliases, record, variant,
 * enum, flags, resource (constructor, methods, static functions), func (named
 * parameters, at most one unnamed result), own/borrow handles, bool, s8..s64, u8..u64,
 * f32, f64, char, string, list, option, result, tuple; line and (nested) block comments;
 * `%` escapes a keyword; @since/@unstable/@deprecated annotations are skipped.
 *
 * Use: mb_wit_new, any number of mb_wit_add_path/mb_wit_add_source, then mb_wit_resolve
 * once. Errors in WIT are reported as MB_ERR_WIT_* with diag->message
 * "FILE:LINE:COLUMN: what went wrong, and what was expected" (columns count characters)
 * and diag->offset the byte offset in FILE. A failed mb_wit_add_source leaves the set as
 * it was; a failed mb_wit_add_path may have added part of a tree, and a failed
 * mb_wit_resolve leaves the set unresolved: from then on every call repeats that error
 * and only mb_wit_free is useful.
 *
 * After mb_wit_resolve succeeds, every structure below is read-only and lives until
 * mb_wit_free. Names never show in the model: a type alias or a `use` is replaced by the
 * type it names (a resource `R` in a value position by own<R>), so types compare by
 * pointer where identity matters (resources) and by structure elsewhere. */
typedef struct mb_wit_type mb_wit_type;
typedef struct mb_wit_iface mb_wit_iface;

typedef enum mb_wit_kind {
  MB_WIT_BOOL, MB_WIT_S8, MB_WIT_U8, MB_WIT_S16, MB_WIT_U16, MB_WIT_S32, MB_WIT_U32,
  MB_WIT_S64, MB_WIT_U64, MB_WIT_F32, MB_WIT_F64, MB_WIT_CHAR, MB_WIT_STRING,
  MB_WIT_LIST,     /* elem */
  MB_WIT_OPTION,   /* elem */
  MB_WIT_RESULT,   /* elem = ok type, err = error type, each NULL when absent */
  MB_WIT_TUPLE,    /* fields (name NULL) */
  MB_WIT_RECORD,   /* fields */
  MB_WIT_VARIANT,  /* fields = cases; a case without payload has type NULL */
  MB_WIT_ENUM,     /* fields = cases, all without payload */
  MB_WIT_FLAGS,    /* fields = labels (1..32), bit i = label i */
  MB_WIT_RESOURCE, /* not a value: what own/borrow point to; identity = the pointer */
  MB_WIT_OWN,      /* elem = the resource */
  MB_WIT_BORROW,   /* elem = the resource */
} mb_wit_kind;

/* Core value types as in the binary format. */
enum { MB_WIT_CORE_I32 = 0x7F, MB_WIT_CORE_I64 = 0x7E, MB_WIT_CORE_F32 = 0x7D, MB_WIT_CORE_F64 = 0x7C };

#define MB_WIT_MAX_FLAT_PARAMS 16
#define MB_WIT_MAX_FLAT_RESULTS 1

typedef struct mb_wit_field {
  const char *name;
  const mb_wit_type *type;
  uint32_t offset; /* record/tuple: byte offset of the field in memory */
} mb_wit_field;

struct mb_wit_type {
  mb_wit_kind kind;
  const char *name;           /* record/variant/enum/flags/resource: declared name */
  const mb_wit_iface *iface;  /* where a named type is declared; NULL in a world */
  const mb_wit_type *elem, *err;
  uint32_t nfields;
  const mb_wit_field *fields;
  /* Canonical ABI (CanonicalABI.md: despecialize, alignment, size, flatten_type). */
  uint32_t size, align;
  uint32_t disc_size;      /* variant/enum/option/result: bytes of the discriminant */
  uint32_t payload_offset; /* variant/option/result: where every case's payload starts */
  uint32_t nflat;          /* core values when flattened (saturates at UINT32_MAX) */
  uint8_t flat[MB_WIT_MAX_FLAT_PARAMS]; /* the first min(nflat, 16) of them */
  bool has_own, has_borrow, has_lists;  /* contains own/borrow handles, string or list */
};

typedef enum mb_wit_func_kind {
  MB_WIT_FUNC_PLAIN,
  MB_WIT_FUNC_CONSTRUCTOR,   /* [constructor]R: params as written, result own<R> */
  MB_WIT_FUNC_METHOD,        /* [method]R.name: params[0] is self: borrow<R> */
  MB_WIT_FUNC_STATIC,        /* [static]R.name */
  MB_WIT_FUNC_RESOURCE_DROP, /* [resource-drop]R: one param, own<R> (the canon built-in) */
} mb_wit_func_kind;

typedef struct mb_wit_func {
  mb_wit_func_kind kind;
  const char *name;       /* as declared ("add"); constructor and drop: the resource's */
  const char *core_name;  /* "get-total", "[constructor]counter", "[method]counter.add",
                             "[static]counter.make", "[resource-drop]counter" */
  const mb_wit_type *resource; /* the resource of a constructor/method/static/drop */
  const mb_wit_iface *iface;   /* NULL for a function imported/exported by a world */
  uint32_t nparams;
  const mb_wit_field *params;
  const mb_wit_type *result;   /* NULL: no result */
  uint32_t params_size, params_align; /* the parameters as a tuple in memory */
  bool has_handles, has_lists; /* some parameter or the result contains them */
  const char *file;            /* where it is declared */
  uint32_t line, column;
} mb_wit_func;

/* A named type of an interface, in declaration order; `from` is the interface a `use`
 * brought it from (NULL when defined here). */
typedef struct mb_wit_typedef {
  const char *name;
  const mb_wit_type *type;
  const mb_wit_iface *from;
} mb_wit_typedef;

struct mb_wit_iface {
  const char *name;    /* "api" (inline in a world: its plain import/export name) */
  const char *id;      /* "example:counter/api@1.0.0", the core import module name */
  const char *package; /* "example:counter@1.0.0"; NULL when inline in a world */
  uint32_t nfuncs;     /* declaration order; a resource's functions where it is declared */
  const mb_wit_func *const *funcs;
  uint32_t ntypes;
  const mb_wit_typedef *types;
  uint32_t nresources; /* resources defined here (not the ones brought by `use`) */
  const mb_wit_type *const *resources;
  uint32_t ndeps;      /* interfaces this one uses types from */
  const mb_wit_iface *const *deps;
};

typedef struct mb_wit_world_item {
  const char *name;           /* an interface's id, or the plain name of a function or of
                                 an inline interface */
  const mb_wit_iface *iface;  /* NULL for a function */
  const mb_wit_func *func;    /* NULL for an interface */
  bool implicit;              /* an import only because an item uses its types */
} mb_wit_world_item;

struct mb_wit_world {
  const char *name, *id, *package;
  uint32_t nimports; /* implicit imports first (dependencies before users), then as written */
  const mb_wit_world_item *imports;
  uint32_t nexports;
  const mb_wit_world_item *exports;
};

mb_wit *mb_wit_new(void);
void mb_wit_free(mb_wit *w);

/* A .wit file (which must declare its package), or a directory: its *.wit files are one
 * package (at least one declares it; all that do agree), and each entry of its deps/
 * folder is another package (a .wit file or a directory). */
mb_err mb_wit_add_path(mb_wit *w, const char *path, mb_diag *diag);
/* One file's text (need not be NUL-terminated; copied as needed). filename is for
 * messages. Files declaring the same package are one package. */
mb_err mb_wit_add_source(mb_wit *w, const char *filename, const char *text, size_t len,
                         mb_diag *diag);
/* Bind every name (uses, types, interfaces across packages), check the rules (no
 * recursive types, handles only of resources, no borrow in results, ...), lay out every
 * type and list each world's imports and exports. Once per set. */
mb_err mb_wit_resolve(mb_wit *w, mb_diag *diag);

/* Lookups, after mb_wit_resolve (NULL before, or when absent). An id is
 * "ns:pkg/name@version"; the version may be left out when only one version of the
 * package is loaded. */
uint32_t mb_wit_interface_count(const mb_wit *w);
const mb_wit_iface *mb_wit_interface_at(const mb_wit *w, uint32_t i);
const mb_wit_iface *mb_wit_find_interface(const mb_wit *w, const char *id);
uint32_t mb_wit_world_count(const mb_wit *w);
const mb_wit_world *mb_wit_world_at(const mb_wit *w, uint32_t i);
const mb_wit_world *mb_wit_find_world(const mb_wit *w, const char *id);
/* By core name ("[method]counter.add", "get-total"). */
const mb_wit_func *mb_wit_find_func(const mb_wit_iface *iface, const char *core_name);
/* A type by the name it has in the interface (defined there or brought by `use`). */
const mb_wit_type *mb_wit_find_type(const mb_wit_iface *iface, const char *name);

/* The core signature of a function (CanonicalABI.md flatten_functype). Parameters that
 * flatten to more than 16 values are passed as one i32 pointer. A result that flattens
 * to more than one value: when lifting (the callee's export) the function returns an
 * i32 pointer to it; when lowering (the caller's import) the caller passes an i32
 * return pointer as the last parameter and nothing is returned. */
typedef enum mb_wit_abi { MB_WIT_LIFT, MB_WIT_LOWER } mb_wit_abi;
typedef struct mb_wit_core_sig {
  uint32_t nparams, nresults;
  uint8_t params[MB_WIT_MAX_FLAT_PARAMS + 1];
  uint8_t results[MB_WIT_MAX_FLAT_RESULTS];
  bool params_in_memory;  /* params[0] points to the parameters as a tuple */
  bool result_in_memory;  /* the result is behind a pointer (see above) */
} mb_wit_core_sig;
void mb_wit_func_sig(const mb_wit_func *f, mb_wit_abi abi, mb_wit_core_sig *out);
/* The same signature as a mb_functype pointing into *sig (valid while *sig is). */
mb_functype mb_wit_sig_functype(const mb_wit_core_sig *sig);

#ifdef __cplusplus
}
#endif
#endif
