/* membrane_wit.h — WIT interfaces and worlds, and the canonical ABI of their functions.
 *
 * The public header of linker/wit/. It has its own error enum and diagnostic; it needs
 * the wasm model only for one conversion (mb_wit_sig_functype, a core signature as an
 * mb_functype).
 */
#ifndef MEMBRANE_WIT_H
#define MEMBRANE_WIT_H

#include "membrane_wasm.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mb_wit mb_wit;
typedef struct mb_wit_world mb_wit_world;

/* ---- errors ---------------------------------------------------------------------- */

typedef enum mb_wit_err {
  MB_WIT_OK = 0,
  MB_WIT_ERR_NOMEM,       /* allocation failed */
  MB_WIT_ERR_IO,          /* a file or directory could not be read */
  MB_WIT_ERR_BAD_UTF8,    /* malformed UTF-8 in the text */
  MB_WIT_ERR_SYNTAX,      /* malformed token, or a token where another was expected */
  MB_WIT_ERR_UNDEFINED,   /* a type, interface or package that is not defined/loaded */
  MB_WIT_ERR_DUPLICATE,   /* a name defined twice */
  MB_WIT_ERR_INVALID,     /* well-formed but invalid (recursive type, borrow result, ...) */
  MB_WIT_ERR_UNSUPPORTED, /* valid WIT outside the subset read (see below) */
  MB_WIT_ERR_TOO_MANY,    /* a file, nesting or count beyond an implementation limit */
  MB_WIT_ERR_USAGE,       /* the call does not fit the set's state (resolved twice, NULL) */
} mb_wit_err;

/* Where and why. For an error in a file: offset is the byte offset in it, line and column
 * (from 1; columns count characters) where it is, and message starts with
 * "FILE:LINE:COLUMN: ". line is 0 when the error has no position (a file that cannot be
 * read). message is for people and never parsed by code. */
typedef struct mb_wit_diag {
  mb_wit_err code;
  uint64_t offset;
  uint32_t line, column;
  char message[256];
} mb_wit_diag;

/* Short stable name of an error code ("WIT syntax error", ...). */
const char *mb_wit_err_name(mb_wit_err code);

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
 * once. Errors are reported as mb_wit_err codes with diag->message
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

/* A new, empty WIT set; everything in it is allocated from alloc (copied; NULL: libc)
 * and freed by mb_wit_free. NULL when out of memory. */
mb_wit *mb_wit_new(const mb_allocator *alloc);
void mb_wit_free(mb_wit *w);

/* A .wit file (which must declare its package), or a directory: its *.wit files are one
 * package (at least one declares it; all that do agree), and each entry of its deps/
 * folder is another package (a .wit file or a directory). */
mb_wit_err mb_wit_add_path(mb_wit *w, const char *path, mb_wit_diag *diag);
/* One file's text (need not be NUL-terminated; copied as needed). filename is for
 * messages. Files declaring the same package are one package. */
mb_wit_err mb_wit_add_source(mb_wit *w, const char *filename, const char *text, size_t len,
                             mb_wit_diag *diag);
/* Bind every name (uses, types, interfaces across packages), check the rules (no
 * recursive types, handles only of resources, no borrow in results, ...), lay out every
 * type and list each world's imports and exports. Once per set. */
mb_wit_err mb_wit_resolve(mb_wit *w, mb_wit_diag *diag);

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
  mb_valtype params[MB_WIT_MAX_FLAT_PARAMS + 1];
  mb_valtype results[MB_WIT_MAX_FLAT_RESULTS];
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
