/* link_internal.h — the link session shared by link.c (instances, resolution, checks),
 * fuse.c (building the output) and link_custom.c (name and producers sections). */
#ifndef MB_LINK_INTERNAL_H
#define MB_LINK_INTERNAL_H

#include "internal.h"

/* Where an import ends up after following re-exports. */
typedef struct mb_target {
  int inst;        /* instance that defines it, or -1 for a host import */
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
} mb_link_inst;

typedef struct mb_wire {
  char *consumer, *module, *provider;
} mb_wire;

typedef struct mb_link_export_sel {
  char *inst, *name, *as;
} mb_link_export_sel;

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
  mb_host_import *hosts;
  uint32_t nhosts;
  int *order;        /* instances in dependency order (providers first) */
};

/* Helpers shared across the link files. */
bool mb__bytes_eq(mb_bytes b, const char *s);
/* The host's WASI (preview1 or its predecessor): always provided by the host, so never
 * stubbed or refused as "unresolved". */
bool mb__is_wasi_module(mb_bytes module);
bool mb__functype_eq(const mb_functype *a, const mb_functype *b);
void mb__link_warn(mb_link *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *mb__strdup(const char *s);
/* The function type of function `index` of module m (imported or defined). */
const mb_functype *mb__func_type(const mb_module *m, uint32_t index);
/* Find an export of m by name and kind; -1 when absent. */
int64_t mb__find_export(const mb_module *m, const char *name, size_t len, mb_kind kind);

/* Custom sections of the output: merged name and producers sections. */
mb_err mb__link_customs(mb_link *l, mb_module *out, const char *const *extra_names,
                        const uint32_t *extra_funcs, uint32_t nextra, mb_diag *diag);

#endif
