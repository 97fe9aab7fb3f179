/* fuse_internal.h — the state of one mb_link_fuse call, shared by the three files that
 * build the output: fuse.c (layout, copying, stubs, the driver), fuse_adapt.c (the
 * resource ABI's generated functions) and fuse_init.c (start, init, exports). */
#ifndef MB_FUSE_INTERNAL_H
#define MB_FUSE_INTERNAL_H

#include "membrane_wasm_emit.h"
#include "link_internal.h"

typedef struct mb__fuse mb__fuse;
struct mb__fuse {
  mb_link *l;
  mb_module *out;
  mb_type_interner *ti;               /* every type of the output goes through it */
  mb_diag *diag;
  uint32_t host_index[MB_KIND_COUNT]; /* next free import slot per kind */
  uint32_t *host_slot;                /* per mb_link.hosts: index in its kind's space */
  uint32_t ngen;                      /* generated functions so far */
  uint32_t gen_cap;
  const char **gen_names;             /* names of generated functions (name section) */
  uint32_t *gen_funcs;
  mb_buf body;                        /* scratch */
  int64_t teardown_fn;                /* exported as membrane:teardown, or -1 */
  uint32_t list_trap;                 /* adapters: the trap for a list too long to copy */
};

/* fuse.c */
mb_link_err mb__fuse_nomem(mb__fuse *f);
/* n elements (at least one) from the output's arena, zeroed; NULL when out of memory. */
void *mb__fuse_arr(mb__fuse *f, size_t n, size_t elem);
/* Output index of a function type whose type indices are the output's, adding it when
 * new (equal types are merged). */
mb_link_err mb__fuse_add_type(mb__fuse *f, const mb_functype *t, uint32_t *out_index);
/* A generated function of type `type` whose body is f->body, named `name` (copied) in the
 * name section; its output index in *index. */
mb_link_err mb__fuse_add_generated(mb__fuse *f, uint32_t type, const char *name, uint32_t *index);
extern const mb_functype mb__fuse_void_type; /* [] -> [] */
/* A value type of module m (an instance's) in the output's numbering. */
mb_valtype mb__fuse_valtype(const mb__fuse *f, const mb_module *m, mb_valtype v);

/* fuse_adapt.c */
/* The output index of the glue's export `name`. */
mb_link_err mb__fuse_glue_export(mb__fuse *f, const char *name, mb_kind kind, uint32_t *out);
/* Calls of `teardown` for every instance but the glue, consumers first. */
void mb__fuse_teardowns(const mb_link *l, mb_buf *b, uint32_t teardown);
/* The generated functions link_res.c recorded, right after the stubs. */
mb_link_err mb__fuse_add_gens(mb__fuse *f);

/* fuse_init.c */
mb_link_err mb__fuse_allocate_output(mb__fuse *f);
mb_link_err mb__fuse_caller_globals(mb__fuse *f);
mb_link_err mb__fuse_add_init(mb__fuse *f, int64_t *start_fn, int64_t *init_fn);
mb_link_err mb__fuse_build_exports(mb__fuse *f, int64_t start_fn, int64_t init_fn);
mb_link_err mb__fuse_hidden_exports(mb__fuse *f);
/* The output memory the host's WASI reads, or -1. */
mb_link_err mb__fuse_wasi_memory(mb__fuse *f, int64_t *mem);

#endif
