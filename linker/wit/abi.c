/* wit/abi.c — the canonical ABI of WIT types and functions: alignment, size,
 * flattening to core values and core function signatures (CanonicalABI.md:
 * despecialize, alignment, size, flatten_type, flatten_functype).
 *
 * Despecialization is done in place: tuple is laid out as a record, option<T> as the
 * variant {none, some(T)}, result<T, E> as {ok(T), error(E)}, enum as a variant without
 * payloads. Each type's layout is computed once, from its children's, when the resolver
 * finishes it; the flattening keeps the true count (saturating) and only the first 16
 * core types, which is all flatten_functype ever looks at: a longer list is replaced by
 * a pointer. */
#include <string.h>

#include "internal.h"

enum {
  I32 = MB_WIT_CORE_I32,
  I64 = MB_WIT_CORE_I64,
  F32 = MB_WIT_CORE_F32,
  F64 = MB_WIT_CORE_F64,
  MAX_FLAT = MB_WIT_MAX_FLAT_PARAMS,
};

static uint32_t sat_add(uint32_t a, uint32_t b) { return a > UINT32_MAX - b ? UINT32_MAX : a + b; }

static uint64_t align_to(uint64_t x, uint32_t align) { return (x + align - 1) / align * align; }

/* The narrowest core type both can be bit-cast to. */
static uint8_t join(uint8_t a, uint8_t b) {
  if (a == b) return a;
  if ((a == I32 && b == F32) || (a == F32 && b == I32)) return I32;
  return I64;
}

static void inherit(mb_wit_type *t, const mb_wit_type *c) {
  t->has_own |= c->has_own;
  t->has_borrow |= c->has_borrow;
  t->has_lists |= c->has_lists;
}

/* Append c's flattening to t's (records, tuples). */
static void flat_append(mb_wit_type *t, const mb_wit_type *c) {
  for (uint32_t i = 0; i < c->nflat && i < MAX_FLAT; i++)
    if (t->nflat < MAX_FLAT - i) t->flat[t->nflat + i] = c->flat[i];
  t->nflat = sat_add(t->nflat, c->nflat);
}

/* Cases of a variant, accumulated. */
typedef struct vacc {
  uint32_t align; /* of the payloads */
  uint64_t size;  /* largest payload */
  uint32_t nflat;
  uint8_t flat[MAX_FLAT];
} vacc;

static void vacc_add(vacc *a, mb_wit_type *t, const mb_wit_type *payload) {
  if (!payload) return;
  if (payload->align > a->align) a->align = payload->align;
  if (payload->size > a->size) a->size = payload->size;
  for (uint32_t i = 0; i < payload->nflat && i < MAX_FLAT; i++)
    a->flat[i] = i < a->nflat ? join(a->flat[i], payload->flat[i]) : payload->flat[i];
  if (payload->nflat > a->nflat) a->nflat = payload->nflat;
  inherit(t, payload);
}

static uint64_t vacc_finish(mb_wit_type *t, const vacc *a, uint64_t ncases) {
  /* discriminant_type: the smallest of u8/u16/u32 that numbers the cases */
  t->disc_size = ncases <= 256 ? 1 : ncases <= 65536 ? 2 : 4;
  t->align = t->disc_size > a->align ? t->disc_size : a->align;
  t->payload_offset = (uint32_t)align_to(t->disc_size, a->align);
  t->flat[0] = I32;
  for (uint32_t i = 0; i + 1 < MAX_FLAT && i < a->nflat; i++) t->flat[i + 1] = a->flat[i];
  t->nflat = sat_add(1, a->nflat);
  return align_to(t->payload_offset + a->size, t->align);
}

mb_wit_err mb__wit_layout(wit_node *n, mb_wit_diag *diag) {
  mb_wit_type *t = &n->pub;
  uint64_t size = 0;
  t->align = 1;
  t->nflat = 1;
  t->has_own = t->has_borrow = t->has_lists = false;
  switch (t->kind) {
  case MB_WIT_BOOL:
  case MB_WIT_S8:
  case MB_WIT_U8:
    size = 1;
    t->flat[0] = I32;
    break;
  case MB_WIT_S16:
  case MB_WIT_U16:
    size = t->align = 2;
    t->flat[0] = I32;
    break;
  case MB_WIT_S32:
  case MB_WIT_U32:
  case MB_WIT_CHAR:
    size = t->align = 4;
    t->flat[0] = I32;
    break;
  case MB_WIT_S64:
  case MB_WIT_U64:
    size = t->align = 8;
    t->flat[0] = I64;
    break;
  case MB_WIT_F32:
    size = t->align = 4;
    t->flat[0] = F32;
    break;
  case MB_WIT_F64:
    size = t->align = 8;
    t->flat[0] = F64;
    break;
  case MB_WIT_LIST:
    inherit(t, t->elem);
    /* fall through */
  case MB_WIT_STRING:
    size = 8;
    t->align = 4;
    t->nflat = 2;
    t->flat[0] = t->flat[1] = I32;
    t->has_lists = true;
    break;
  case MB_WIT_OWN:
  case MB_WIT_BORROW:
    size = t->align = 4;
    t->flat[0] = I32;
    if (t->kind == MB_WIT_OWN)
      t->has_own = true;
    else
      t->has_borrow = true;
    break;
  case MB_WIT_TUPLE:
  case MB_WIT_RECORD:
    t->nflat = 0;
    for (uint32_t i = 0; i < t->nfields; i++) {
      const mb_wit_type *f = t->fields[i].type;
      size = align_to(size, f->align);
      n->fields[i].offset = (uint32_t)(size < UINT32_MAX ? size : UINT32_MAX);
      size += f->size;
      if (size > UINT32_MAX) break;
      if (f->align > t->align) t->align = f->align;
      flat_append(t, f);
      inherit(t, f);
    }
    size = align_to(size, t->align);
    break;
  case MB_WIT_OPTION: {
    vacc a = {.align = 1};
    vacc_add(&a, t, t->elem);
    size = vacc_finish(t, &a, 2);
    break;
  }
  case MB_WIT_RESULT: {
    vacc a = {.align = 1};
    vacc_add(&a, t, t->elem);
    vacc_add(&a, t, t->err);
    size = vacc_finish(t, &a, 2);
    break;
  }
  case MB_WIT_VARIANT:
  case MB_WIT_ENUM: {
    vacc a = {.align = 1};
    for (uint32_t i = 0; i < t->nfields; i++) vacc_add(&a, t, t->fields[i].type);
    size = vacc_finish(t, &a, t->nfields);
    break;
  }
  case MB_WIT_FLAGS:
    /* 1..32 labels (the parser enforces it): one i32, stored in 1, 2 or 4 bytes */
    size = t->align = t->nfields <= 8 ? 1 : t->nfields <= 16 ? 2 : 4;
    t->flat[0] = I32;
    break;
  case MB_WIT_RESOURCE:
    t->nflat = 0;
    break;
  }
  if (size > UINT32_MAX)
    return mb__wit_fail(diag, MB_WIT_ERR_INVALID, &n->pos,
                        "type%s%.60s is larger than 4 GiB in memory", t->name ? " " : "",
                        t->name ? t->name : "");
  t->size = (uint32_t)size;
  return MB_WIT_OK;
}

mb_wit_err mb__wit_func_layout(wit_func *f, mb_wit_diag *diag) {
  uint64_t size = 0;
  uint32_t align = 1;
  mb_wit_type all = {.kind = MB_WIT_TUPLE};
  for (uint32_t i = 0; i < f->pub.nparams; i++) {
    const mb_wit_type *t = f->params[i].type;
    size = align_to(size, t->align) + t->size;
    if (t->align > align) align = t->align;
    inherit(&all, t);
  }
  if (f->pub.result) inherit(&all, f->pub.result);
  size = align_to(size, align);
  if (size > UINT32_MAX)
    return mb__wit_fail(diag, MB_WIT_ERR_INVALID, &f->pos,
                        "the parameters of '%.60s' are larger than 4 GiB in memory",
                        f->pub.core_name);
  f->pub.params_size = (uint32_t)size;
  f->pub.params_align = align;
  f->pub.has_handles = all.has_own || all.has_borrow;
  f->pub.has_lists = all.has_lists;
  return MB_WIT_OK;
}

void mb_wit_func_sig(const mb_wit_func *f, mb_wit_abi abi, mb_wit_core_sig *out) {
  memset(out, 0, sizeof *out);
  uint32_t n = 0;
  for (uint32_t p = 0; p < f->nparams; p++) {
    const mb_wit_type *t = f->params[p].type;
    for (uint32_t i = 0; i < t->nflat && i < MAX_FLAT; i++)
      if (n < MAX_FLAT - i) out->params[n + i] = t->flat[i];
    n = sat_add(n, t->nflat);
  }
  if (n > MB_WIT_MAX_FLAT_PARAMS) {
    out->params[0] = I32;
    n = 1;
    out->params_in_memory = true;
  }
  out->nparams = n;
  const mb_wit_type *r = f->result;
  if (!r) return;
  if (r->nflat > MB_WIT_MAX_FLAT_RESULTS) {
    out->result_in_memory = true;
    if (abi == MB_WIT_LIFT) {
      out->results[0] = I32;
      out->nresults = 1;
    } else {
      out->params[out->nparams++] = I32;
    }
  } else {
    for (uint32_t i = 0; i < r->nflat; i++) out->results[i] = r->flat[i];
    out->nresults = r->nflat;
  }
}

mb_functype mb_wit_sig_functype(const mb_wit_core_sig *sig) {
  return (mb_functype){sig->nparams, sig->nresults, sig->params, sig->results};
}
