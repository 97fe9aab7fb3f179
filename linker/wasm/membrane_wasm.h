/* membrane_wasm.h — the wasm binary model: read, write, remap.
 *
 * The public header of linker/wasm/, the lowest of the linker's three libraries (the WIT
 * library and the link library sit on it). It owns the module model, the reader, the
 * writer, the index remapper and constant expressions, the LEB128 writers of the byte
 * buffer, and the error enum and diagnostics shared by the three. The allocator and the
 * byte buffer are membrane_alloc.h's: a module allocates from the allocator it was read
 * or created with (NULL: libc), and every buffer from its own.
 *
 * A module is read from a byte buffer the caller keeps alive; the model points into that
 * buffer (code bodies, constant expressions, data bytes and custom payloads are byte
 * ranges of the input), so reading a 10 MB module allocates little. Unchanged sections are written back byte for byte;
 * sections the caller changed are re-encoded.
 *
 * The model's fields are for reading. It is changed through the functions under
 * "building and changing a module" (and the remapper), which mark what they change for
 * the writer; a caller never sets a dirty flag itself.
 *
 * Errors: every function that can fail returns an mb_err and fills an mb_diag with the
 * byte offset and a message; library code never prints or exits.
 */
#ifndef MEMBRANE_WASM_H
#define MEMBRANE_WASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "membrane_alloc.h"

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
  MB_ERR_COUNT_             /* not an error: the number of codes */
} mb_err;

/* Where and why. offset is a byte offset in the input module (or, for remapping, in the
 * module being remapped). message is human-readable and never parsed by code. code is the
 * error enum of the library that filled it: mb_err here, mb_link_err from the link
 * library, which shares this diagnostic. */
typedef struct mb_diag {
  unsigned code;
  uint64_t offset;
  char message[256];
} mb_diag;

/* Short stable name of an error code ("unexpected end", ...). */
const char *mb_err_name(mb_err code);

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

/* A value type. The low byte is its code as in the binary, so a number or vector type is
 * just its code (0x7F i32 ... 0x7B v128) and `t == 0x7F` asks "is it i32". References:
 *   - a nullable reference to an abstract heap type is its shorthand code (0x70 funcref,
 *     0x6F externref, 0x6E anyref, ... 0x69 exnref), whichever way the input spelled it
 *     (0x70 and 0x63 0x70 read the same);
 *   - every other reference is 0x63 (ref null ht) or 0x64 (ref ht) with the heap type in
 *     bits 8..39: (ref func) is 0x64 | (MB_HEAP_ABSTRACT | 0x70) << 8, (ref null $3) is
 *     0x63 | 3 << 8.
 * A concrete heap type is a type index of the module the value type belongs to: two
 * value types of different modules are equal only once their indices are mapped into one
 * index space (see mb_functype_eq). Build references with mb_valtype_ref. */
typedef uint64_t mb_valtype;
/* A heap type: a type index, or MB_HEAP_ABSTRACT | the abstract heap type's code
 * (0x69 exn ... 0x74 noexn, the same bytes as the shorthand reference types). */
typedef uint32_t mb_heaptype;
#define MB_HEAP_ABSTRACT 0x80000000u
enum { MB_VT_REF_NULL = 0x63, MB_VT_REF = 0x64 };
/* Packed storage types, in struct and array fields only. */
enum { MB_PACKED_I8 = 0x78, MB_PACKED_I16 = 0x77 };

static inline uint8_t mb_valtype_code(mb_valtype t) { return (uint8_t)t; }
static inline bool mb_valtype_is_ref(mb_valtype t) {
  uint8_t c = (uint8_t)t;
  return c == MB_VT_REF_NULL || c == MB_VT_REF || (c >= 0x69 && c <= 0x74);
}
static inline bool mb_valtype_nullable(mb_valtype t) { return (uint8_t)t != MB_VT_REF; }
/* The heap type of a reference (MB_HEAP_ABSTRACT | code for a shorthand). */
static inline mb_heaptype mb_valtype_heap(mb_valtype t) {
  uint8_t c = (uint8_t)t;
  return c == MB_VT_REF_NULL || c == MB_VT_REF ? (mb_heaptype)(t >> 8) : MB_HEAP_ABSTRACT | c;
}
static inline bool mb_heap_is_index(mb_heaptype h) { return !(h & MB_HEAP_ABSTRACT); }
/* Whether t refers to a type index (a reference to a concrete heap type). */
static inline bool mb_valtype_has_index(mb_valtype t) {
  uint8_t c = (uint8_t)t;
  return (c == MB_VT_REF_NULL || c == MB_VT_REF) && mb_heap_is_index((mb_heaptype)(t >> 8));
}
/* The reference type (ref [null] ht), in the canonical form described above. */
static inline mb_valtype mb_valtype_ref(bool nullable, mb_heaptype ht) {
  if (nullable && !mb_heap_is_index(ht)) return (uint8_t)ht;
  return (nullable ? MB_VT_REF_NULL : MB_VT_REF) | (mb_valtype)ht << 8;
}

/* A function type. params and results are arrays of nparams/nresults value types; for a
 * struct or array type (see mb_typedef) both are empty. */
typedef struct mb_functype {
  uint32_t nparams, nresults;
  const mb_valtype *params, *results;
} mb_functype;

/* Composite type forms. */
enum { MB_COMP_FUNC = 0x60, MB_COMP_STRUCT = 0x5F, MB_COMP_ARRAY = 0x5E };
/* The sub-type prefix a type definition was written with. */
enum { MB_SUB_NONE = 0, MB_SUB_OPEN = 0x50, MB_SUB_FINAL = 0x4F };

/* A struct or array field: a value type or MB_PACKED_I8/I16, and its mutability. */
typedef struct mb_field {
  mb_valtype type;
  bool mutable_;
} mb_field;

/* What the type section says about type i beyond a function type's signature (GC):
 * m->typedefs[i], parallel to m->types[i]. m->typedefs is NULL when every type is a bare
 * function type in a rec group of its own (any module without GC types; code building a
 * module of function types need not know about it). A rec group is the types
 * rec .. rec + rec_size - 1; its members share rec, rec_size and rec_explicit. */
typedef struct mb_typedef {
  uint8_t form;          /* MB_COMP_FUNC (signature in m->types[i]), _STRUCT or _ARRAY */
  uint8_t sub;           /* MB_SUB_*: no prefix (final), sub, sub final */
  bool has_super;        /* the spec allows at most one supertype */
  uint32_t super;        /* type index of the supertype */
  uint32_t rec, rec_size;
  bool rec_explicit;     /* the group is written with 0x4E (even a group of one) */
  uint32_t nfields;      /* struct: its fields; array: 1 */
  mb_field *fields;
} mb_typedef;

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
  mb_valtype elemtype; /* a reference type */
  mb_limits limits;
} mb_tabletype;

typedef struct mb_globaltype {
  mb_valtype valtype;
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
  mb_valtype reftype; /* 0x70 funcref for the function-index form */
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
  /* Deferred renumbering (mb_module_append's lazy mode): non-NULL when body is still in
   * its input's numbering and is renumbered through this map as it is written, so that
   * a large input's code is never held twice. The writer and mb_module_remap apply it;
   * body.len is the input's. Set only by mb_module_append. */
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
  mb_typedef *typedefs;   /* NULL, or ntypes entries: see mb_typedef */
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
  /* The builder's (build.c): allocated length of each array above, by the section that
   * holds it (MB_SEC_FUNCTION: func_types and codes; MB_SEC_COUNT: customs); 0 when the
   * array holds exactly its count, as read. */
  uint32_t room[MB_SEC_COUNT + 1];
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
  MB_FEAT_GC = 1u << 11,               /* struct/array/rec/sub types, 0xFB, GC heap types */
  MB_FEAT_TYPED_FUNC_REFS = 1u << 12,  /* (ref ...) types, call_ref, br_on_null, ... */
};

/* Number of entities in an index space, imports included. */
uint32_t mb_module_count(const mb_module *m, mb_kind kind);

/* ---- questions about a module --------------------------------------------------- */

/* b holds exactly the bytes of the NUL-terminated s. */
bool mb_bytes_eq(mb_bytes b, const char *s);
/* Same parameters and results. Value types are compared as they are: type indices in
 * them are equal only when both types live in one index space. */
bool mb_functype_eq(const mb_functype *a, const mb_functype *b);
/* The type of function `index` (imports first), or NULL when out of range. Points into m. */
const mb_functype *mb_module_func_type(const mb_module *m, uint32_t index);
/* The limits of memory `index` (imports first), or NULL when out of range. Points into m. */
const mb_limits *mb_module_memory(const mb_module *m, uint32_t index);
/* The index of the first export called name[0..len) of this kind, or -1. */
int64_t mb_module_find_export(const mb_module *m, const char *name, size_t len, mb_kind kind);
/* Whether some import of m names module `module`. */
bool mb_module_imports_from(const mb_module *m, const char *module);
/* Items in a known section as the model holds them (start: 0 or 1; data count: the
 * number of data segments when the module has the section, else 0). */
uint32_t mb_module_section_count(const mb_module *m, mb_sec sec);
/* "func", "table", "memory", "global", "tag". */
const char *mb_kind_name(mb_kind kind);
/* The text of a value type: "i32" ... "nullexnref", "(ref null 3)", "(ref any)"; "?" for
 * something that is not one (a packed storage type gives "i8"/"i16"). Returned by value:
 * use .s within the expression, or copy it. */
typedef struct mb_valtype_text {
  char s[32];
} mb_valtype_text;
mb_valtype_text mb_valtype_name(mb_valtype t);

/* ---- reading --------------------------------------------------------------------- */

typedef struct mb_read_options {
  /* Decode every code body (structure, opcodes, immediates, index ranges). On by
   * default through mb_wasm_read; turning it off only frames the code entries. */
  bool check_code;
} mb_read_options;

/* Read a module from bytes[0..len). The bytes must outlive the module. The module and
 * its arena allocate from alloc (copied; NULL: libc). On error returns the code, fills
 * *diag (if non-NULL) and sets *out to NULL. */
mb_err mb_wasm_read(const mb_allocator *alloc, const uint8_t *bytes, size_t len, mb_module **out,
                    mb_diag *diag);
mb_err mb_wasm_read_opts(const mb_allocator *alloc, const uint8_t *bytes, size_t len,
                         const mb_read_options *opts, mb_module **out, mb_diag *diag);

/* An empty module (no sections), for building output from scratch, allocating from
 * alloc (NULL: libc). */
mb_module *mb_module_new(const mb_allocator *alloc);
void mb_module_free(mb_module *m);
/* The allocator m was read or created with (valid while m lives): temporary buffers
 * about m come from it. */
const mb_allocator *mb_module_allocator(const mb_module *m);

/* Allocate from the module's arena (freed with the module). NULL when out of memory. */
void *mb_module_alloc(mb_module *m, size_t size);

/* Mark a known section as changed so the writer re-encodes it from the model (it also
 * becomes present). The builder functions below do this themselves; what is left for
 * callers is re-encoding on purpose (tests comparing the encoder with the input). */
void mb_module_mark_dirty(mb_module *m, mb_sec sec);
void mb_module_mark_all_dirty(mb_module *m);

/* ---- building and changing a module --------------------------------------------- */

/* Every change to a module goes through these (or mb_module_remap/_permute/_append):
 * each marks the sections it changes, so the writer re-encodes them. Arrays grow
 * geometrically in the module's arena. Items are copied into the module (names, init
 * expressions, element arrays, function bodies, types, custom payloads), except what
 * can be large and is usually the caller's input anyway: a data segment's bytes. Indices
 * are not checked against the module (a caller may add a function before its type).
 * Every function returns MB_OK or MB_ERR_NOMEM (MB_ERR_INVALID_ARG where said). */

/* Room for `more` items in the arrays of a known section, so a caller that knows the
 * final size allocates once (MB_SEC_FUNCTION and MB_SEC_CODE: both function arrays). */
mb_err mb_module_reserve(mb_module *m, mb_sec sec, uint32_t more, mb_diag *diag);
/* Append type t (params and results copied); its index in *index. */
mb_err mb_module_add_type(mb_module *m, const mb_functype *t, uint32_t *index, mb_diag *diag);
/* The index of the first type equal to t, adding t when there is none. */
mb_err mb_module_intern_type(mb_module *m, const mb_functype *t, uint32_t *index, mb_diag *diag);

/* ---- types across modules --------------------------------------------------------- */

/* Brings the types of other modules into dst by the spec's type equivalence
 * (iso-recursive): a rec group equal to one dst has (member by member the same form,
 * finality, supertype and fields or signature, references inside the group counted by
 * position, references out of it by the type they name) maps onto it; any other group
 * is appended whole, in order. A module without GC types is groups of one function
 * type each, so identical signatures merge. While an interner lives, dst's types change
 * only through it. */
typedef struct mb_type_interner mb_type_interner;
mb_err mb_type_interner_new(mb_module *dst, mb_type_interner **out, mb_diag *diag);
void mb_type_interner_free(mb_type_interner *ti);
/* Every type of src; map (src->ntypes entries) receives each one's index in dst. */
mb_err mb_type_interner_add_module(mb_type_interner *ti, const mb_module *src, uint32_t *map,
                                   mb_diag *diag);
/* A bare (final, group of one) function type whose type indices are dst's already. */
mb_err mb_type_interner_add_func(mb_type_interner *ti, const mb_functype *t, uint32_t *index,
                                 mb_diag *diag);

/* Subtyping within m: type a is b or declares it as a (transitive) supertype. */
bool mb_module_type_sub(const mb_module *m, uint32_t a, uint32_t b);
/* Value type a matches b (numbers equal; references by nullability and the heap type
 * hierarchy: none <: i31, struct, array <: eq <: any, a struct/array/func type <: its
 * supertypes and struct/array/func, nofunc/noextern/noexn at the bottom of theirs). */
bool mb_module_valtype_sub(const mb_module *m, mb_valtype a, mb_valtype b);
/* Append an import; *index (may be NULL) is its index in its kind's space. Imports come
 * first in an index space: MB_ERR_INVALID_ARG when m already defines an entity of that
 * kind. */
mb_err mb_module_add_import(mb_module *m, const mb_import *im, uint32_t *index, mb_diag *diag);
/* A defined function of type `type` with body[0..len) (locals and expression, as in
 * mb_code.body; copied); *index is its function index, imports included. */
mb_err mb_module_add_func(mb_module *m, uint32_t type, const uint8_t *body, size_t len,
                          uint32_t *index, mb_diag *diag);
mb_err mb_module_add_memory(mb_module *m, const mb_limits *mem, uint32_t *index, mb_diag *diag);
/* A defined global (its init expression, with its end byte, copied). */
mb_err mb_module_add_global(mb_module *m, const mb_global *g, uint32_t *index, mb_diag *diag);
/* An export called name[0..len) (copied). */
mb_err mb_module_add_export(mb_module *m, const char *name, size_t len, mb_kind kind,
                            uint32_t index, mb_diag *diag);
/* An element segment (its offset, items or function indices copied). */
mb_err mb_module_add_elem(mb_module *m, const mb_elem *seg, uint32_t *index, mb_diag *diag);
/* A data segment (offset copied; the bytes are not, and must outlive m). */
mb_err mb_module_add_data(mb_module *m, const mb_data *seg, uint32_t *index, mb_diag *diag);
/* A custom section written before the known section `before` (MB_SEC_COUNT: at the
 * end); name and payload copied. */
mb_err mb_module_add_custom(mb_module *m, const char *name, const uint8_t *payload, size_t len,
                            mb_sec before, mb_diag *diag);
/* Replace the body of defined function i (counted without imports) by body[0..len)
 * (copied; a map the old body carried is dropped). MB_ERR_INVALID_ARG when out of
 * range. */
mb_err mb_module_set_code(mb_module *m, uint32_t i, const uint8_t *body, size_t len,
                          mb_diag *diag);
void mb_module_set_start(mb_module *m, uint32_t func);
/* Whether the module has a data count section (which memory.init and data.drop need). */
void mb_module_set_datacount(mb_module *m, bool on);
/* Keep only the first n defined memories (n <= m->nmemories). */
void mb_module_truncate_memories(mb_module *m, uint32_t n);

/* An existing item to change in place: the pointer stays valid until the next add to the
 * same array, and its section is marked as changed. `i` counts the module's own
 * definitions (imports not included), exports and segments from 0. NULL when out of
 * range. */
mb_global *mb_module_edit_global(mb_module *m, uint32_t i);
mb_table *mb_module_edit_table(mb_module *m, uint32_t i);
mb_export *mb_module_edit_export(mb_module *m, uint32_t i);
mb_elem *mb_module_edit_elem(mb_module *m, uint32_t i);
mb_data *mb_module_edit_data(mb_module *m, uint32_t i);

/* ---- writing --------------------------------------------------------------------- */

/* LEB128 appended to a byte buffer (mb_buf: membrane_alloc.h). */
bool mb_buf_u32(mb_buf *b, uint32_t v);  /* unsigned LEB128, minimal */
bool mb_buf_u64(mb_buf *b, uint64_t v);
bool mb_buf_s32(mb_buf *b, int32_t v);
bool mb_buf_s64(mb_buf *b, int64_t v);
/* A value type (or packed storage type) in its binary encoding. */
bool mb_buf_valtype(mb_buf *b, mb_valtype t);

/* Write the module. Present, clean sections are copied byte for byte; dirty ones are
 * encoded from the model (minimal LEB128). Custom sections are kept in place. */
mb_err mb_wasm_write(const mb_module *m, mb_buf *out, mb_diag *diag);
/* Same, streaming to a FILE (no copy of the whole output in memory). */
mb_err mb_wasm_write_file(const mb_module *m, FILE *f, mb_diag *diag);

/* Write to PATH atomically: a temporary file beside it, then rename. PATH is never left
 * half-written. */
mb_err mb_wasm_write_path(const mb_module *m, const char *path, mb_diag *diag);

/* Read a whole file into memory allocated from alloc (NULL: libc); the caller frees
 * *data with mb_file_free and the same allocator. */
mb_err mb_file_read(const mb_allocator *alloc, const char *path, uint8_t **data, size_t *len,
                    mb_diag *diag);
void mb_file_free(const mb_allocator *alloc, uint8_t *data, size_t len);

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

/* The size of every index space of m, imports included (what mb_remap.count must say). */
void mb_module_space_sizes(const mb_module *m, uint32_t out[MB_SPACE_COUNT]);
/* The index space of an import/export kind. */
mb_space mb_kind_space(mb_kind kind);

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
 * MB_ERR_INDEX_RANGE. The check's scratch memory comes from alloc (NULL: libc). */
mb_err mb_code_check(const mb_allocator *alloc, const uint8_t *body, size_t len, uint64_t base_offset,
                     const uint32_t index_limit[MB_SPACE_COUNT], mb_diag *diag);

/* Renumber every reference in m in place: type indices (in the type section's
 * signatures, fields and supertypes, and in every value type: globals, tables, element
 * segments, locals, block types; docs/gc-remap.md lists the sites), import, function and
 * tag type indices, exports, start, element and data segments (table/memory indices, offsets, items),
 * constant expressions, code bodies and the name section (keys remapped, maps re-sorted;
 * an unparseable name section is dropped). Definitions keep their order: this is the
 * step that moves a module into a larger, fused index space. Everything touched is
 * marked dirty. */
mb_err mb_module_remap(mb_module *m, const mb_remap *remap, mb_diag *diag);

/* Append src's definitions to dst, renumbered through r (a map from src's index spaces,
 * with src's sizes as counts, as for mb_module_remap, into dst's): functions with their
 * code, tables, memories, globals, tags, element and data segments. This is how a
 * linker moves each input into one fused module.
 *   - Types are not copied: r's type map must name dst's types (mb_module_intern_type
 *     them first); an index past dst's types is MB_ERR_INVALID_ARG.
 *   - Src's defined functions, tables, memories, globals and tags go to the end of dst's
 *     in order: r must map each to exactly that index (else MB_ERR_INVALID_ARG).
 *   - Element and data segments go to the index r gives them, which need not be the end
 *     (a linker orders segments by dependency, since active ones are applied in index
 *     order); a gap left below it must be filled by a later append before dst is
 *     written.
 *   - Imports, exports, the start function and custom sections are the caller's (a
 *     linker resolves src's imports to other modules and chooses what to export).
 *   - dst gets a data count section when src has one, and src's features.
 * Code bodies: with MB_APPEND_LAZY they are not rewritten but keep pointing at src's
 * bytes and carry a copy of r (mb_code.remap, composed with any map a body of src
 * already carries), and the writer renumbers them as it writes: a large input's code is
 * never held twice. src must then outlive dst's writing. Without it each body is
 * rewritten into dst now. Both write the same module (the lazy one with its code
 * section's size as a padded 5-byte LEB128, written before the bodies are renumbered).
 * On any error dst may hold
 * part of src and should be freed; MB_ERR_INVALID_ARG is found before anything is
 * changed. */
enum { MB_APPEND_LAZY = 1u << 0 };
mb_err mb_module_append(mb_module *dst, const mb_module *src, const mb_remap *r, unsigned flags,
                        mb_diag *diag);

/* Remap, then move each definition to its new index. Every map must be a permutation of
 * its space that keeps imports in place, keeps each global after the globals its
 * initialiser reads, keeps each rec group together, each type after its supertype and
 * after the types of other groups it refers to (else MB_ERR_INVALID_ARG, with the module
 * unchanged). The module
 * stays equivalent except for the order in which active element/data segments are
 * applied, which follows their new indices: overlapping segments can then give a
 * different initial memory or table. */
mb_err mb_module_permute(mb_module *m, const mb_remap *remap, mb_diag *diag);

/* Byte length of an unsigned LEB128 encoding of v. */
unsigned mb_leb_size(uint64_t v);

#ifdef __cplusplus
}
#endif
#endif
