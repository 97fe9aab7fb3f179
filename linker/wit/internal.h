/* wit/internal.h — private to the WIT parser (parse.c), resolver (resolve.c) and
 * canonical ABI (abi.c).
 *
 * Everything lives in the mb_wit's arena. Public structs (mb_wit_type, mb_wit_func,
 * mb_wit_iface, mb_wit_world) are the first member of their private node so a public
 * pointer converts back with WIT_OF. Until mb_wit_resolve, type positions hold
 * unresolved nodes (is_ref: a name still to be looked up); resolution rewrites every
 * child pointer to the final, structural node, so the public model never shows a name. */
#ifndef MB_LINKER_WIT_INTERNAL_H
#define MB_LINKER_WIT_INTERNAL_H

#include <stddef.h>

#include "membrane_wit.h"
#include "membrane_wasm_ext.h"

/* Named sanity limits. Depth bounds the parser's and the resolver's recursion: nesting of
 * types (list<list<...>>) and chains of aliases and uses. */
#define WIT_MAX_DEPTH 100
#define WIT_MAX_SOURCE (16u << 20) /* bytes in one .wit file */
#define WIT_MAX_FLAGS 32           /* the canonical ABI's limit for flags */

/* From a public pointer back to the private struct it is the first member of. */
#define WIT_OF(type, ptr) ((type *)(uintptr_t)(const void *)(ptr))

/* ---- small containers in the arena ---- */

typedef struct wit_vec {
  void **data;
  uint32_t n, cap;
} wit_vec;
bool mb__wit_vec_push(mb_arena *a, wit_vec *v, void *item);

typedef struct wit_slot {
  const char *key;
  void *val;
} wit_slot;
typedef struct wit_map {
  wit_slot *slots;
  uint32_t cap, count;
} wit_map;
void *mb__wit_map_get(const wit_map *m, const char *key);
/* Insert or replace. false when out of memory. */
bool mb__wit_map_put(mb_arena *a, wit_map *m, const char *key, void *val);

char *mb__wit_strdup(mb_arena *a, const char *s, size_t n);
char *mb__wit_printf(mb_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- positions and diagnostics ---- */

typedef struct wit_pos {
  const char *file;
  uint64_t offset;
  uint32_t line, col; /* 1-based; col counts characters */
} wit_pos;

/* diag->message = "FILE:LINE:COL: " + the formatted text; diag->offset = pos->offset. */
mb_wit_err mb__wit_fail(mb_wit_diag *diag, mb_wit_err code, const wit_pos *pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- the model under construction ---- */

typedef struct wit_scope wit_scope;
typedef struct wit_func wit_func;

/* A use path: `name` alone (ns == NULL), or `ns:pkg/name[@version]`. */
typedef struct wit_path {
  wit_pos pos;
  const char *ns, *pkg, *name, *version;
} wit_path;

/* `use PATH.{...}` inside an interface or world. */
typedef struct wit_use {
  wit_path path;
  wit_scope *target; /* resolved */
} wit_use;

typedef struct wit_node {
  mb_wit_type pub;
  wit_pos pos;
  uint8_t state; /* 0 new, 1 being resolved, 2 done */
  bool is_ref;   /* a name: `ref` in `scope`, or through `use` */
  const char *ref;
  wit_scope *scope;
  wit_use *use;
  struct wit_node *target; /* is_ref: the node it resolved to */
  struct wit_node *own;    /* a resource: its own<R> node, made once */
  mb_wit_field *fields;    /* mutable view of pub.fields */
} wit_node;

typedef enum wit_item_kind { WIT_ITEM_TYPE, WIT_ITEM_FUNC } wit_item_kind;

/* A name in an interface's or world's one namespace. */
typedef struct wit_item {
  wit_item_kind kind;
  const char *name;
  wit_pos pos;
  wit_node *node; /* TYPE */
  wit_func *func; /* FUNC */
  wit_use *use;   /* TYPE brought in by `use` */
} wit_item;

struct wit_func {
  mb_wit_func pub;
  wit_pos pos;
  mb_wit_field *params;   /* mutable view of pub.params */
  wit_node *result;       /* unresolved result; NULL = none */
  wit_scope *scope;
};

/* `import`/`export` in a world. */
typedef struct wit_extern {
  wit_pos pos;
  bool is_export;
  const char *name;   /* plain name (func or inline interface); NULL for a path */
  wit_path path;      /* an interface by name */
  wit_scope *iface;   /* inline or resolved */
  wit_func *func;
} wit_extern;

/* An interface (package-level, or inline in a world) or a world. */
struct wit_scope {
  union {
    mb_wit_iface iface;
    mb_wit_world world;
  } pub;
  bool is_world;
  bool inline_iface; /* `import name: interface { ... }` */
  const char *name;
  wit_pos pos;
  struct wit_file *file;
  wit_map names;     /* name → wit_item* */
  wit_vec items;     /* wit_item* in order */
  wit_vec funcs;     /* wit_func*, resources' functions expanded in place */
  wit_vec resources; /* wit_node* */
  wit_vec uses;      /* wit_use* */
  wit_vec externs;   /* worlds: wit_extern* */
  wit_map core_names; /* resolved: core name → wit_func* */
  /* resolution */
  wit_vec deps;      /* wit_scope* this one uses types from (distinct) */
  wit_vec users;     /* wit_scope* that use this one (with repeats) */
  uint32_t indeg, topo, stamp, imp_stamp, exp_stamp, need_stamp, walk_stamp;
};

typedef struct wit_toplevel_use {
  wit_path path;
  const char *as; /* NULL: the path's last name */
  wit_pos as_pos;
} wit_toplevel_use;

typedef struct wit_file {
  const char *name;
  bool has_package;
  wit_pos package_pos;
  const char *ns, *pkg, *version;
  wit_vec uses;   /* wit_toplevel_use* */
  wit_vec scopes; /* wit_scope*: interfaces and worlds in order */
  wit_map use_names; /* resolved: name → wit_scope* */
  struct wit_pkg *package;
} wit_file;

typedef struct wit_pkg {
  const char *ns, *name, *version;
  const char *id; /* "ns:name@version" */
  wit_vec files;
  wit_map names; /* interface/world name → wit_scope* */
} wit_pkg;

struct mb_wit {
  mb_arena *arena;
  wit_vec pkgs;     /* wit_pkg* */
  bool resolved;
  mb_wit_err broken;    /* an earlier failure left the set inconsistent */
  mb_wit_diag broken_diag;
  uint32_t nfiles;  /* files attached to packages so far */
  wit_vec scopes;   /* wit_scope*: every interface (inline ones too) and world */
  wit_vec order;    /* the same, dependencies before their users */
  wit_vec ifaces;   /* mb_wit_iface*: package-level interfaces */
  wit_vec worlds;   /* mb_wit_world* */
  wit_map iface_ids, world_ids; /* "ns:pkg/name@v" and, when unambiguous, "ns:pkg/name" */
  uint32_t stamp;
};

/* Parse one file into *out (not yet attached to a package). */
mb_wit_err mb__wit_parse(mb_wit *w, const char *filename, const char *text, size_t len,
                         wit_file **out, mb_wit_diag *diag);

/* Fill n's size, alignment, flattening and has_* from its (resolved) children. Fails
 * only when the type is larger than 4 GiB in memory. */
mb_wit_err mb__wit_layout(wit_node *n, mb_wit_diag *diag);
/* The function's params_size/params_align and has_* from its resolved types. */
mb_wit_err mb__wit_func_layout(wit_func *f, mb_wit_diag *diag);

#endif
