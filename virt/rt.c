/* rt.c — the runtime object: allocation, instances, resource types, error messages and
 * the diagnostic. */
#include "internal.h"

static const char *const messages[MB_VIRT_ERR_COUNT] = {
    [MB_VIRT_OK] = "membrane: ok",
    [MB_VIRT_ERR_INVALID_HANDLE] = "membrane: unknown handle",
    [MB_VIRT_ERR_DROPPED] = "membrane: use of dropped handle",
    [MB_VIRT_ERR_WRONG_TYPE] = "membrane: handle of wrong resource type",
    [MB_VIRT_ERR_BORROW_OUTLIVED] = "membrane: borrow outlived its call",
    [MB_VIRT_ERR_LENT] = "membrane: lent handle dropped or moved",
    [MB_VIRT_ERR_DESTROYED] = "membrane: use of destroyed resource",
    [MB_VIRT_ERR_TABLE_EXHAUSTED] = "membrane: handle table exhausted",
    [MB_VIRT_ERR_NOT_DEFINER] = "membrane: resource.new/rep outside the definer",
    [MB_VIRT_ERR_NOT_OWN] = "membrane: borrowed handle used as owned",
    [MB_VIRT_ERR_SCOPE] = "membrane: call scope is not the innermost open call",
    [MB_VIRT_ERR_BUSY] = "membrane: instance torn down during a call",
    [MB_VIRT_ERR_DUPLICATE_TYPE] = "membrane: resource type defined twice",
    [MB_VIRT_ERR_UNKNOWN_INSTANCE] = "membrane: unknown instance",
    [MB_VIRT_ERR_UNKNOWN_TYPE] = "membrane: unknown resource type",
    [MB_VIRT_ERR_NOMEM] = "membrane: out of memory",
    [MB_VIRT_ERR_INVALID_ARG] = "membrane: invalid argument",
};

const char *mb_virt_err_message(mb_virt_err code) {
  if ((unsigned)code < MB_VIRT_ERR_COUNT && messages[code]) return messages[code];
  return "membrane: unknown error";
}

/* ---- allocation ---- */

void *mb__virt_alloc(mb_rt *rt, void *ptr, size_t size) {
  if (size == 0) return NULL; /* never a request; a zero size would free */
  return rt->alloc.fn(ptr, size, rt->alloc.user);
}

void mb__virt_release(mb_rt *rt, void *ptr) {
  if (ptr) rt->alloc.fn(ptr, 0, rt->alloc.user);
}

mb_virt_err mb__virt_grow(mb_rt *rt, void **arr, uint32_t *cap, uint32_t need, size_t elem,
                          uint32_t max, mb_virt_err err) {
  if (need <= *cap) return MB_VIRT_OK;
  if (need > max) return err;
  /* doubling in 64 bits, then clamped: never wraps, and the last step lands on max */
  uint64_t n = *cap ? (uint64_t)*cap * 2 : 8;
  if (n < need) n = need;
  if (n > max) n = max;
  if (n > SIZE_MAX / elem) return err; /* 32-bit size_t: the bytes would not fit */
  void *p = mb__virt_alloc(rt, *arr, (size_t)n * elem);
  if (!p) return err;
  *arr = p;
  *cap = (uint32_t)n;
  return MB_VIRT_OK;
}

mb_virt_err mb__virt_fail(mb_rt *rt, mb_virt_err code, const char *op, uint32_t inst,
                          uint32_t type, int32_t handle) {
  rt->diag.code = code;
  rt->diag.op = op;
  rt->diag.inst = inst;
  rt->diag.type = type;
  rt->diag.handle = handle;
  return code;
}

/* ---- runtime ---- */

mb_virt_err mb_rt_new(const mb_rt_options *opt, mb_rt **out) {
  if (!out) return MB_VIRT_ERR_INVALID_ARG;
  *out = NULL;
  mb_allocator a = {NULL, NULL};
  if (opt) a = opt->alloc;
  if (!a.fn) {
#ifdef MB_VIRT_FREESTANDING
    return MB_VIRT_ERR_INVALID_ARG;
#else
    a = mb_allocator_of(NULL);
#endif
  }
  mb_rt *rt = a.fn(NULL, sizeof *rt, a.user);
  if (!rt) return MB_VIRT_ERR_NOMEM;
  mb__virt_memset(rt, 0, sizeof *rt);
  rt->alloc = a;
  uint32_t max = opt ? opt->max_handles : 0;
  rt->max_handles = max == 0 || max > MB_HT_MAX_HANDLES ? MB_HT_MAX_HANDLES : max;
  rt->diag.code = MB_VIRT_OK;
  *out = rt;
  return MB_VIRT_OK;
}

void mb_rt_free(mb_rt *rt) {
  if (!rt) return;
  for (uint32_t i = 0; i < rt->ninsts; i++) mb__ht_fini(rt, &rt->insts[i].ht);
  for (uint32_t i = 0; i < rt->ntypes; i++) mb__virt_release(rt, rt->types[i].name);
  mb__virt_release(rt, rt->insts);
  mb__virt_release(rt, rt->types);
  mb__virt_release(rt, rt->res);
  mb__virt_release(rt, rt->scopes);
  mb__virt_release(rt, rt->lenders);
  mb_allocator a = rt->alloc;
  a.fn(rt, 0, a.user);
}

const mb_virt_diag *mb_rt_diag(const mb_rt *rt) { return &rt->diag; }

mb_virt_err mb_rt_instance_add(mb_rt *rt, uint32_t *out_inst) {
  if (!rt || !out_inst) return MB_VIRT_ERR_INVALID_ARG;
  /* UINT32_MAX stays free: it is the "unknown" of mb_rt_type_definer */
  mb_virt_err err = mb__virt_grow(rt, (void **)&rt->insts, &rt->insts_cap, rt->ninsts + 1,
                                  sizeof *rt->insts, UINT32_MAX - 1, MB_VIRT_ERR_NOMEM);
  if (err) return mb__virt_fail(rt, err, "instance.new", rt->ninsts, 0, 0);
  mb__virt_memset(&rt->insts[rt->ninsts], 0, sizeof rt->insts[0]);
  *out_inst = rt->ninsts++;
  return MB_VIRT_OK;
}

/* A loop rather than memcmp: the wasm32 build has no C library to call. */
static int bytes_eq(const char *a, const char *b, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (a[i] != b[i]) return 0;
  return 1;
}

mb_virt_err mb_rt_type_add(mb_rt *rt, uint32_t definer, const char *name, size_t name_len,
                           const mb_virt_dtor *dtor, uint32_t *out_type) {
  static const char op[] = "resource.type";
  if (!rt || !out_type || (!name && name_len) || name_len > UINT32_MAX - 1)
    return rt ? mb__virt_fail(rt, MB_VIRT_ERR_INVALID_ARG, op, definer, 0, 0)
              : MB_VIRT_ERR_INVALID_ARG;
  if (definer >= rt->ninsts)
    return mb__virt_fail(rt, MB_VIRT_ERR_UNKNOWN_INSTANCE, op, definer, 0, 0);
  for (uint32_t i = 0; i < rt->ntypes; i++) {
    const mb__type *t = &rt->types[i];
    if (t->definer == definer && t->name_len == name_len &&
        bytes_eq(t->name, name, name_len))
      return mb__virt_fail(rt, MB_VIRT_ERR_DUPLICATE_TYPE, op, definer, i, 0);
  }
  char *copy = NULL;
  mb_virt_err err = MB_VIRT_OK;
  copy = mb__virt_alloc(rt, NULL, name_len + 1);
  if (!copy) {
    err = MB_VIRT_ERR_NOMEM;
    goto out;
  }
  if (name_len) mb__virt_memcpy(copy, name, name_len);
  copy[name_len] = 0;
  err = mb__virt_grow(rt, (void **)&rt->types, &rt->types_cap, rt->ntypes + 1,
                      sizeof *rt->types, UINT32_MAX - 1, MB_VIRT_ERR_NOMEM);
  if (err) goto out;
  mb__type *t = &rt->types[rt->ntypes];
  t->definer = definer;
  t->name_len = (uint32_t)name_len;
  t->name = copy;
  copy = NULL;
  t->dtor.fn = dtor ? dtor->fn : NULL;
  t->dtor.user = dtor && dtor->fn ? dtor->user : NULL;
  *out_type = rt->ntypes++;
out:
  mb__virt_release(rt, copy);
  return err ? mb__virt_fail(rt, err, op, definer, rt->ntypes, 0) : MB_VIRT_OK;
}

const char *mb_rt_type_name(const mb_rt *rt, uint32_t type, size_t *len) {
  if (!rt || type >= rt->ntypes) {
    if (len) *len = 0;
    return NULL;
  }
  if (len) *len = rt->types[type].name_len;
  return rt->types[type].name;
}

uint32_t mb_rt_type_definer(const mb_rt *rt, uint32_t type) {
  return rt && type < rt->ntypes ? rt->types[type].definer : UINT32_MAX;
}
