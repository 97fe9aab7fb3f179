/* link_res.c — the resource ABI at link time: which imports are resource intrinsics
 * (`[resource-new]R` ... from `[export]<iface>`, `[resource-drop]R` ... from `<iface>`),
 * which are functions of a WIT interface wired to the instance exporting it (checked
 * against the canonical ABI), and the resource types they involve. Building the
 * generated functions is fuse_adapt.c's job; this file only decides and records them. */
#include <string.h>

#include "link_internal.h"

#define EXPORT_PREFIX "[export]"

typedef enum intrinsic {
  INTR_NONE = -1,
  INTR_NEW = MB_GEN_RES_NEW,
  INTR_REP = MB_GEN_RES_REP,
  INTR_DROP = MB_GEN_RES_DROP,
  INTR_DUP = MB_GEN_RES_DUP,
  INTR_DESTROY = MB_GEN_RES_DESTROY,
} intrinsic;

static const struct {
  const char *prefix;
  intrinsic kind;
  bool result; /* (i32) -> (i32), else (i32) -> () */
} intrinsics[] = {
    {"[resource-new]", INTR_NEW, true},      {"[resource-rep]", INTR_REP, true},
    {"[resource-drop]", INTR_DROP, false},   {"[resource-dup]", INTR_DUP, true},
    {"[resource-destroy]", INTR_DESTROY, false},
};

/* Which intrinsic a field names, and the resource name after the prefix. */
static intrinsic intrinsic_of(mb_bytes field, mb_bytes *resource, bool *result) {
  for (size_t i = 0; i < sizeof intrinsics / sizeof *intrinsics; i++) {
    size_t n = strlen(intrinsics[i].prefix);
    if (field.len > n && memcmp(field.ptr, intrinsics[i].prefix, n) == 0) {
      *resource = (mb_bytes){field.ptr + n, field.len - (uint32_t)n};
      *result = intrinsics[i].result;
      return intrinsics[i].kind;
    }
  }
  return INTR_NONE;
}

static bool starts_with(mb_bytes b, const char *prefix) {
  size_t n = strlen(prefix);
  return b.len >= n && memcmp(b.ptr, prefix, n) == 0;
}

void mb__link_res_reset(mb_link *l) {
  for (uint32_t i = 0; i < l->ngens; i++) {
    mb_mem_free(&l->alloc, l->gens[i].name);
    mb_mem_free(&l->alloc, l->gens[i].res_keys);
    mb_mem_free(&l->alloc, l->gens[i].res_ids);
  }
  for (uint32_t i = 0; i < l->nrtypes; i++) {
    mb_mem_free(&l->alloc, l->rtypes[i].iface);
    mb_mem_free(&l->alloc, l->rtypes[i].name);
  }
  mb_mem_free(&l->alloc, l->gens);
  mb_mem_free(&l->alloc, l->rtypes);
  l->gens = NULL;
  l->rtypes = NULL;
  l->ngens = l->nrtypes = 0;
}

static const mb_valtype one_i32[1] = {0x7F};
static const mb_functype i32_i32 = {1, 1, one_i32, one_i32};
static const mb_functype i32_void = {1, 0, one_i32, NULL};

/* The id of resource type (definer, iface, name), registered when new. The destructor
 * is the definer's export `<iface>#[dtor]<name>`, of type (i32) -> (). */
static bool legacy_defines(const mb_module *m, mb_bytes res);

static mb_link_err rtype_id(mb_link *l, int definer, const char *iface, mb_bytes name, uint32_t *out,
                            mb_diag *diag) {
  /* a definer using the legacy intrinsics has one type per resource name, which WIT
   * signatures naming that resource refer to as well */
  bool legacy_type = strcmp(iface, "canonical_abi") == 0 || legacy_defines(l->inst[definer].m, name);
  if (legacy_type) iface = "canonical_abi";
  for (uint32_t t = 0; t < l->nrtypes; t++) {
    const mb_rtype *r = &l->rtypes[t];
    if (r->definer == definer && strcmp(r->iface, iface) == 0 && mb_bytes_eq(name, r->name)) {
      *out = t;
      return MB_LINK_OK;
    }
  }
  if (!mb__grow1(&l->alloc, (void **)&l->rtypes, l->nrtypes, sizeof *l->rtypes))
    return mb_link_fail(diag, MB_LINK_ERR_NOMEM, 0, "out of memory");
  mb_rtype *r = &l->rtypes[l->nrtypes++];
  r->definer = definer;
  r->iface = mb_wasm_strdup(&l->alloc, iface);
  r->name = mb__strndup(&l->alloc, (const char *)name.ptr, name.len);
  r->dtor = -1;
  if (!r->iface || !r->name) return mb_link_fail(diag, MB_LINK_ERR_NOMEM, 0, "out of memory");
  char dtor[600];
  int n = legacy_type ? snprintf(dtor, sizeof dtor, "canonical_abi_drop_%s", r->name)
                     : snprintf(dtor, sizeof dtor, "%s#[dtor]%s", r->iface, r->name);
  const mb_module *m = l->inst[definer].m;
  if (n > 0 && (size_t)n < sizeof dtor) r->dtor = mb_module_find_export(m, dtor, (size_t)n, MB_KIND_FUNC);
  if (r->dtor >= 0 && !mb_functype_eq(mb_module_func_type(m, (uint32_t)r->dtor), &i32_void)) {
    char have[160];
    mb__type_text(mb_module_func_type(m, (uint32_t)r->dtor), have, sizeof have);
    return mb_link_fail(diag, MB_LINK_ERR_TYPE_MISMATCH, 0,
                        "instance '%s' exports the destructor '%s' as %s, but a destructor is "
                        "(i32) -> () (it receives the rep)",
                        l->inst[definer].name, dtor, have);
  }
  *out = l->nrtypes - 1;
  return MB_LINK_OK;
}

static mb_link_err add_gen(mb_link *l, mb_gen_kind kind, int inst, const mb_functype *ft,
                           const char *name, mb_gen **out, mb_diag *diag) {
  if (!mb__grow1(&l->alloc, (void **)&l->gens, l->ngens, sizeof *l->gens))
    return mb_link_fail(diag, MB_LINK_ERR_NOMEM, 0, "out of memory");
  mb_gen *g = &l->gens[l->ngens++];
  g->kind = kind;
  g->inst = inst;
  g->ft = ft;
  if (!(g->name = mb_wasm_strdup(&l->alloc, name))) return mb_link_fail(diag, MB_LINK_ERR_NOMEM, 0, "out of memory");
  *out = g;
  return MB_LINK_OK;
}

/* The definer of resource `res` as instance i sees it: i itself when it exports the
 * interface declaring it, else the instance providing that interface to i. */
static mb_link_err definer_of(mb_link *l, int i, const mb_wit_type *res, int *out, mb_diag *diag) {
  const char *id = res->iface ? res->iface->id : NULL;
  if (!id)
    return mb_link_fail(diag, MB_LINK_ERR_UNSUPPORTED, 0,
                        "resource '%s' is declared in a world, not an interface: not supported",
                        res->name);
  if (mb__exports_iface(l, i, id, strlen(id))) {
    *out = i;
    return MB_LINK_OK;
  }
  int p = mb__provider_for(l, i, (mb_bytes){(const uint8_t *)id, (uint32_t)strlen(id)}, NULL);
  if (p < 0)
    return mb_link_fail(diag, MB_LINK_ERR_ABI, 0,
                        "instance '%s' uses resource '%s' of interface %s, but %s instance exports "
                        "that interface; give the definer a --world that exports it (or --wire)",
                        l->inst[i].name, res->name, id, p == -3 ? "more than one" : "no");
  *out = p;
  return MB_LINK_OK;
}

static void sig_text(const mb_wit_core_sig *sig, char *buf, size_t cap) {
  mb_functype t = mb_wit_sig_functype(sig);
  mb__type_text(&t, buf, cap);
}


/* The memory the canonical ABI uses for an instance: its export `memory`, else memory 0. */
static mb_link_err abi_memory(const mb_link *l, int i, const char *why, uint32_t *out, mb_diag *diag) {
  const mb_module *m = l->inst[i].m;
  int64_t x = mb_module_find_export(m, "memory", 6, MB_KIND_MEMORY);
  if (x >= 0) {
    *out = (uint32_t)x;
    return MB_LINK_OK;
  }
  if (mb_module_count(m, MB_KIND_MEMORY) == 0)
    return mb_link_fail(diag, MB_LINK_ERR_ABI, 0, "instance '%s' has no memory, but %s",
                        l->inst[i].name, why);
  *out = 0;
  return MB_LINK_OK;
}

static const mb_valtype realloc_params[4] = {0x7F, 0x7F, 0x7F, 0x7F};
static const mb_functype realloc_type = {4, 1, realloc_params, one_i32};

/* Instance i's `cabi_realloc` (old ptr, old size, align, new size) -> ptr. */
static mb_link_err abi_realloc(const mb_link *l, int i, const char *why, int64_t *out, mb_diag *diag) {
  const mb_module *m = l->inst[i].m;
  *out = mb_module_find_export(m, "cabi_realloc", 12, MB_KIND_FUNC);
  if (*out < 0)
    return mb_link_fail(diag, MB_LINK_ERR_ABI, 0,
                        "instance '%s' exports no 'cabi_realloc', but %s: the adapter allocates "
                        "the copy in its memory with it",
                        l->inst[i].name, why);
  if (!mb_functype_eq(mb_module_func_type(m, (uint32_t)*out), &realloc_type)) {
    char have[160];
    mb__type_text(mb_module_func_type(m, (uint32_t)*out), have, sizeof have);
    return mb_link_fail(diag, MB_LINK_ERR_TYPE_MISMATCH, 0,
                        "instance '%s' exports 'cabi_realloc' as %s, but it is (i32, i32, i32, i32) "
                        "-> (i32)",
                        l->inst[i].name, have);
  }
  return MB_LINK_OK;
}

/* Registers every resource type t mentions for adapter gi (as instance i sees it). */
static mb_link_err collect_resources(mb_link *l, int i, uint32_t gi, const mb_wit_type *t,
                                     unsigned depth, mb_diag *diag) {
  if (!t || !(t->has_own || t->has_borrow) || depth > 200) return MB_LINK_OK;
  if (t->kind == MB_WIT_OWN || t->kind == MB_WIT_BORROW) {
    mb_gen *g = &l->gens[gi];
    for (uint32_t k = 0; k < g->nres; k++)
      if (g->res_keys[k] == t->elem) return MB_LINK_OK;
    int d = -1;
    uint32_t id = 0;
    mb_link_err e = definer_of(l, i, t->elem, &d, diag);
    if (!e)
      e = rtype_id(l, d, t->elem->iface->id,
                   (mb_bytes){(const uint8_t *)t->elem->name, (uint32_t)strlen(t->elem->name)},
                   &id, diag);
    if (e) return e;
    g = &l->gens[gi];
    const mb_wit_type **keys = mb_mem_realloc(&l->alloc, g->res_keys, (g->nres + 1) * sizeof *keys);
    if (!keys) return mb_link_fail(diag, MB_LINK_ERR_NOMEM, 0, "out of memory");
    g->res_keys = keys;
    uint32_t *ids = mb_mem_realloc(&l->alloc, g->res_ids, (g->nres + 1) * sizeof *ids);
    if (!ids) return mb_link_fail(diag, MB_LINK_ERR_NOMEM, 0, "out of memory");
    g->res_ids = ids;
    g->res_keys[g->nres] = t->elem;
    g->res_ids[g->nres++] = id;
    return MB_LINK_OK;
  }
  mb_link_err e = collect_resources(l, i, gi, t->elem, depth + 1, diag);
  if (!e) e = collect_resources(l, i, gi, t->err, depth + 1, diag);
  for (uint32_t k = 0; k < t->nfields && !e; k++)
    e = collect_resources(l, i, gi, t->fields[k].type, depth + 1, diag);
  return e;
}

/* An import of a WIT interface's function from the instance exporting the interface. */
static mb_link_err wit_func_import(mb_link *l, int i, uint32_t k, int p, const mb_wit_iface *wi,
                                   mb_diag *diag) {
  mb_link_inst *in = &l->inst[i];
  const mb_import *im = &in->m->imports[k];
  const mb_link_inst *pin = &l->inst[p];
  char field[300], exp[800];
  snprintf(field, sizeof field, "%.*s", (int)im->field.len, (const char *)im->field.ptr);
  const mb_wit_func *fn = mb_wit_find_func(wi, field);
  if (!fn)
    return mb_link_fail(diag, MB_LINK_ERR_ABI, 0,
                        "instance '%s' imports %s.%s, but interface %s has no function '%s'",
                        in->name, wi->id, field, wi->id, field);
  int n = snprintf(exp, sizeof exp, "%s#%s", wi->id, field);
  int64_t idx = mb_module_find_export(pin->m, exp, (size_t)n, MB_KIND_FUNC);
  if (idx < 0) {
    n = snprintf(exp, sizeof exp, "%.*s#%s", (int)im->module.len, (const char *)im->module.ptr,
                 field);
    idx = mb_module_find_export(pin->m, exp, (size_t)n, MB_KIND_FUNC);
  }
  if (idx < 0)
    return mb_link_fail(diag, MB_LINK_ERR_ABI, 0,
                        "instance '%s' imports %s.%s, but instance '%s' (%s), which exports interface "
                        "%s, has no export '%s#%s'",
                        in->name, wi->id, field, pin->name, pin->path, wi->id, wi->id, field);
  mb_wit_core_sig lower, lift;
  mb_wit_func_sig(fn, MB_WIT_LOWER, &lower);
  mb_wit_func_sig(fn, MB_WIT_LIFT, &lift);
  mb_functype want_lower = mb_wit_sig_functype(&lower), want_lift = mb_wit_sig_functype(&lift);
  const mb_functype *have_imp = &in->m->types[im->u.func_type];
  const mb_functype *have_exp = mb_module_func_type(pin->m, (uint32_t)idx);
  char a[200], b[200];
  if (!mb_functype_eq(have_imp, &want_lower)) {
    mb__type_text(have_imp, a, sizeof a);
    sig_text(&lower, b, sizeof b);
    return mb_link_fail(diag, MB_LINK_ERR_TYPE_MISMATCH, 0,
                        "WIT signature mismatch: instance '%s' imports %s.%s as %s, but its canonical "
                        "ABI signature (lowered, %s:%u:%u) is %s",
                        in->name, wi->id, field, a, fn->file, fn->line, fn->column, b);
  }
  if (!mb_functype_eq(have_exp, &want_lift)) {
    mb__type_text(have_exp, a, sizeof a);
    sig_text(&lift, b, sizeof b);
    return mb_link_fail(diag, MB_LINK_ERR_TYPE_MISMATCH, 0,
                        "WIT signature mismatch: instance '%s' exports %s as %s, but its canonical ABI "
                        "signature (lifted, %s:%u:%u) is %s",
                        pin->name, exp, a, fn->file, fn->line, fn->column, b);
  }
  mb_target t;
  mb_link_err e = mb__chase(l, p, MB_KIND_FUNC, (uint32_t)idx, &t, diag);
  if (e) return e;
  if (!fn->has_handles && !fn->has_lists && !lower.params_in_memory && !lower.result_in_memory) {
    in->res[k] = t; /* a direct call */
    return MB_LINK_OK;
  }
  if (t.inst < 0)
    return mb_link_fail(diag, MB_LINK_ERR_UNSUPPORTED, 0,
                        "instance '%s' imports %s.%s, which instance '%s' re-exports from outside the "
                        "link: an adapter needs the implementing instance",
                        in->name, wi->id, field, pin->name);
  char name[900];
  snprintf(name, sizeof name, "membrane:adapter %s->%s %s", in->name, l->inst[t.inst].name, exp);
  mb_gen *g = NULL;
  if ((e = add_gen(l, MB_GEN_ADAPTER, i, have_imp, name, &g, diag))) return e;
  uint32_t gi = l->ngens - 1;
  g->callee = t.inst;
  g->callee_func = t.index;
  g->func = fn;
  g->callee_realloc = g->caller_realloc = g->callee_post = -1;
  /* parameters in memory are copied into the callee's memory like a list's bytes */
  bool list_params = lower.params_in_memory;
  for (uint32_t q = 0; q < fn->nparams; q++) list_params |= fn->params[q].type->has_lists;
  char why[900];
  if (list_params || lower.result_in_memory) {
    snprintf(why, sizeof why, "%s.%s passes data in memory", wi->id, field);
    if ((e = abi_memory(l, i, why, &l->gens[l->ngens - 1].caller_mem, diag)) ||
        (e = abi_memory(l, t.inst, why, &l->gens[l->ngens - 1].callee_mem, diag)))
      return e;
  }
  if (list_params) {
    snprintf(why, sizeof why, "%s.%s %s", wi->id, field,
             lower.params_in_memory ? "passes its parameters in memory" : "takes strings or lists");
    if ((e = abi_realloc(l, t.inst, why, &l->gens[l->ngens - 1].callee_realloc, diag))) return e;
  }
  if (fn->result && fn->result->has_lists) {
    snprintf(why, sizeof why, "%s.%s returns a string or list", wi->id, field);
    if ((e = abi_realloc(l, i, why, &l->gens[l->ngens - 1].caller_realloc, diag))) return e;
  }
  if (lower.result_in_memory) {
    char post[900];
    int pn = snprintf(post, sizeof post, "cabi_post_%s", exp);
    int64_t x = mb_module_find_export(pin->m, post, (size_t)pn, MB_KIND_FUNC);
    if (x >= 0 && !mb_functype_eq(mb_module_func_type(pin->m, (uint32_t)x), &i32_void))
      return mb_link_fail(diag, MB_LINK_ERR_TYPE_MISMATCH, 0,
                          "instance '%s' exports '%s' with a type other than (i32) -> ()",
                          pin->name, post);
    if (x >= 0 && t.inst != p)
      return mb_link_fail(diag, MB_LINK_ERR_UNSUPPORTED, 0,
                          "instance '%s' re-exports %s with a cabi_post function: not supported",
                          pin->name, exp);
    l->gens[l->ngens - 1].callee_post = x;
  }
  /* every resource the signature mentions, with its type as the importer sees it */
  for (uint32_t q = 0; q <= fn->nparams; q++) {
    const mb_wit_type *pt = q < fn->nparams ? fn->params[q].type : fn->result;
    if (pt && (e = collect_resources(l, i, gi, pt, 0, diag))) return e;
  }
  in->res[k] = (mb_target){.inst = MB_TARGET_GEN, .index = gi};
  return MB_LINK_OK;
}

/* ---- the legacy wit-bindgen convention ----
 * Module `canonical_abi`: resource_new_R, resource_get_R (the rep), resource_clone_R (a
 * second reference-counted handle: [resource-dup]), resource_drop_R; the destructor is
 * the export `canonical_abi_drop_R`. An instance importing resource_new_R or exporting
 * canonical_abi_drop_R defines R; the others get R from the one definer (or the one
 * --wire CONSUMER.canonical_abi=DEFINER names). */
#define LEGACY_MODULE "canonical_abi"

static const struct {
  const char *prefix;
  intrinsic kind;
  bool result;
} legacy[] = {
    {"resource_new_", INTR_NEW, true},
    {"resource_get_", INTR_REP, true},
    {"resource_clone_", INTR_DUP, true},
    {"resource_drop_", INTR_DROP, false},
};

static bool legacy_defines(const mb_module *m, mb_bytes res) {
  char name[300];
  int n = snprintf(name, sizeof name, "canonical_abi_drop_%.*s", (int)res.len, (const char *)res.ptr);
  if (n > 0 && (size_t)n < sizeof name && mb_module_find_export(m, name, (size_t)n, MB_KIND_FUNC) >= 0)
    return true;
  n = snprintf(name, sizeof name, "resource_new_%.*s", (int)res.len, (const char *)res.ptr);
  for (uint32_t k = 0; k < m->nimports; k++)
    if (m->imports[k].kind == MB_KIND_FUNC && mb_bytes_eq(m->imports[k].module, LEGACY_MODULE) &&
        m->imports[k].field.len == (uint32_t)n && !memcmp(m->imports[k].field.ptr, name, (size_t)n))
      return true;
  return false;
}

/* The tail both kinds of intrinsic import share (legacy canonical_abi.* and WIT
 * [resource-*]R): import k of instance i has the intrinsic's type, its resource type gets
 * its id, and the import becomes generated function `name` calling the glue. */
static mb_link_err register_intrinsic(mb_link *l, int i, uint32_t k, intrinsic kind, bool has_result,
                                 int definer, const char *iface, mb_bytes res, const char *name,
                                      mb_diag *diag) {
  mb_link_inst *in = &l->inst[i];
  const mb_import *im = &in->m->imports[k];
  const mb_functype *ft = &in->m->types[im->u.func_type];
  const mb_functype *want = has_result ? &i32_i32 : &i32_void;
  if (!mb_functype_eq(ft, want)) {
    char a[160], b[160];
    mb__type_text(ft, a, sizeof a);
    mb__type_text(want, b, sizeof b);
    return mb_link_fail(diag, MB_LINK_ERR_TYPE_MISMATCH, 0,
                        "type mismatch: instance '%s' imports the intrinsic %.*s.%.*s as %s, but it "
                        "is %s",
                        in->name, (int)im->module.len, (const char *)im->module.ptr,
                        (int)im->field.len, (const char *)im->field.ptr, a, b);
  }
  uint32_t type;
  mb_link_err e = rtype_id(l, definer, iface, res, &type, diag);
  if (e) return e;
  mb_gen *g = NULL;
  if ((e = add_gen(l, (mb_gen_kind)kind, i, ft, name, &g, diag))) return e;
  g->type = type;
  in->res[k] = (mb_target){.inst = MB_TARGET_GEN, .index = l->ngens - 1};
  return MB_LINK_OK;
}

/* *host is set when the import is the drop of a resource no instance defines: the host
 * defines it (as the 2022 wit-bindgen JS hosts did), its handles are the host's plain
 * i32s, and the import stays an import of the output under the usual unresolved rules. */
bool mb_link_resource_host_drop(const mb_module *m, uint32_t k, mb_bytes *iface, mb_bytes *name) {
  if (k >= m->nimports || m->imports[k].kind != MB_KIND_FUNC) return false;
  const mb_import *im = &m->imports[k];
  static const char legacy_drop[] = "resource_drop_";
  size_t n = sizeof legacy_drop - 1;
  if (mb_bytes_eq(im->module, LEGACY_MODULE)) {
    if (im->field.len <= n || memcmp(im->field.ptr, legacy_drop, n) != 0) return false;
    mb_bytes res = {im->field.ptr + n, im->field.len - (uint32_t)n};
    if (legacy_defines(m, res)) return false;
    *iface = im->module;
    *name = res;
    return true;
  }
  mb_bytes res;
  bool has_result;
  if (starts_with(im->module, EXPORT_PREFIX) || intrinsic_of(im->field, &res, &has_result) != INTR_DROP)
    return false;
  *iface = im->module;
  *name = res;
  return true;
}

static mb_link_err legacy_import(mb_link *l, int i, uint32_t k, bool *host, mb_diag *diag) {
  mb_link_inst *in = &l->inst[i];
  *host = false;
  const mb_import *im = &in->m->imports[k];
  intrinsic kind = INTR_NONE;
  bool has_result = false;
  mb_bytes res = {0};
  for (size_t j = 0; j < sizeof legacy / sizeof *legacy && kind == INTR_NONE; j++) {
    size_t n = strlen(legacy[j].prefix);
    if (im->field.len > n && memcmp(im->field.ptr, legacy[j].prefix, n) == 0) {
      kind = legacy[j].kind;
      has_result = legacy[j].result;
      res = (mb_bytes){im->field.ptr + n, im->field.len - (uint32_t)n};
    }
  }
  if (kind == INTR_NONE)
    return mb_link_fail(diag, MB_LINK_ERR_ABI, 0,
                        "instance '%s' imports canonical_abi.%.*s: the legacy module canonical_abi "
                        "provides only resource_new_R, resource_get_R, resource_clone_R and "
                        "resource_drop_R",
                        in->name, (int)im->field.len, (const char *)im->field.ptr);
  int definer = -1;
  if (legacy_defines(in->m, res)) {
    definer = i;
  } else {
    int p = mb__provider_for(l, i, im->module, NULL); /* --wire CONSUMER.canonical_abi=DEFINER */
    if (p >= 0) {
      if (!legacy_defines(l->inst[p].m, res))
        return mb_link_fail(diag, MB_LINK_ERR_ABI, 0,
                            "instance '%s' imports canonical_abi.%.*s from instance '%s' (--wire), "
                            "which does not define resource '%.*s' (imports "
                            "canonical_abi.resource_new_%.*s or exports canonical_abi_drop_%.*s)",
                            in->name, (int)im->field.len, (const char *)im->field.ptr,
                            l->inst[p].name, (int)res.len, (const char *)res.ptr, (int)res.len,
                            (const char *)res.ptr, (int)res.len, (const char *)res.ptr);
      definer = p;
    } else {
      for (uint32_t j = 0; j < l->ninst; j++) {
        if ((int)j == i || l->inst[j].glue || !legacy_defines(l->inst[j].m, res)) continue;
        if (definer >= 0)
          return mb_link_fail(diag, MB_LINK_ERR_ABI, 0,
                              "instance '%s' imports canonical_abi.%.*s, but instances '%s' and '%s' "
                              "both define resource '%.*s'; choose one with --wire "
                              "%s.canonical_abi=INSTANCE",
                              in->name, (int)im->field.len, (const char *)im->field.ptr,
                              l->inst[definer].name, l->inst[j].name, (int)res.len,
                              (const char *)res.ptr, in->name);
        definer = (int)j;
      }
    }
    if (definer < 0 && kind == INTR_DROP) {
      *host = true;
      return MB_LINK_OK;
    }
    /* a host-defined resource's handles are the host's: only the host can read, copy
     * or create them, so a user's get/clone without a definer is a mistake, not a
     * host resource */
    if (definer < 0)
      return mb_link_fail(diag, MB_LINK_ERR_ABI, 0,
                          "instance '%s' imports canonical_abi.%.*s, but no instance defines resource "
                          "'%.*s' (by importing resource_new_%.*s or exporting "
                          "canonical_abi_drop_%.*s); the host's resources can only be dropped",
                          in->name, (int)im->field.len, (const char *)im->field.ptr, (int)res.len,
                          (const char *)res.ptr, (int)res.len, (const char *)res.ptr, (int)res.len,
                          (const char *)res.ptr);
    if (kind == INTR_NEW || kind == INTR_REP)
      return mb_link_fail(diag, MB_LINK_ERR_ABI, 0,
                          "instance '%s' imports canonical_abi.%.*s, but only the definer of resource "
                          "'%.*s' (instance '%s') may read its rep",
                          in->name, (int)im->field.len, (const char *)im->field.ptr, (int)res.len,
                          (const char *)res.ptr, l->inst[definer].name);
  }
  char name[400];
  snprintf(name, sizeof name, "membrane:%s:canonical_abi.%.*s", in->name, (int)im->field.len,
           (const char *)im->field.ptr);
  return register_intrinsic(l, i, k, kind, has_result, definer, LEGACY_MODULE, res, name, diag);
}

/* ---- caller-memory access ---- */
#define CALLER_MODULE "membrane:caller"

static const mb_valtype three_i32[3] = {0x7F, 0x7F, 0x7F};
static const mb_functype copy_type = {3, 0, three_i32, NULL};
static const mb_functype size_type = {0, 1, NULL, one_i32};

static mb_link_err caller_import(mb_link *l, int i, uint32_t k, mb_diag *diag) {
  mb_link_inst *in = &l->inst[i];
  const mb_import *im = &in->m->imports[k];
  mb_gen_kind kind;
  const mb_functype *want;
  if (mb_bytes_eq(im->field, "read")) kind = MB_GEN_CALLER_READ, want = &copy_type;
  else if (mb_bytes_eq(im->field, "write")) kind = MB_GEN_CALLER_WRITE, want = &copy_type;
  else if (mb_bytes_eq(im->field, "size")) kind = MB_GEN_CALLER_SIZE, want = &size_type;
  else if (mb_bytes_eq(im->field, "id")) kind = MB_GEN_CALLER_ID, want = &size_type;
  else
    return mb_link_fail(diag, MB_LINK_ERR_ABI, 0,
                        "instance '%s' imports membrane:caller.%.*s: membrane:caller provides read, "
                        "write, size and id",
                        in->name, (int)im->field.len, (const char *)im->field.ptr);
  if (!in->caller_memory)
    return mb_link_fail(diag, MB_LINK_ERR_ABI, 0,
                        "instance '%s' imports membrane:caller.%.*s, but it has no access to its "
                        "callers' memory: grant it with --grant-caller-memory %s",
                        in->name, (int)im->field.len, (const char *)im->field.ptr, in->name);
  const mb_functype *ft = &in->m->types[im->u.func_type];
  if (im->kind != MB_KIND_FUNC || !mb_functype_eq(ft, want)) {
    char a[160], b[160];
    mb__type_text(ft, a, sizeof a);
    mb__type_text(want, b, sizeof b);
    return mb_link_fail(diag, MB_LINK_ERR_TYPE_MISMATCH, 0,
                        "type mismatch: instance '%s' imports membrane:caller.%.*s as %s, but it is %s",
                        in->name, (int)im->field.len, (const char *)im->field.ptr, a, b);
  }
  char name[300];
  snprintf(name, sizeof name, "membrane:%s:membrane:caller.%.*s", in->name, (int)im->field.len,
           (const char *)im->field.ptr);
  mb_gen *g = NULL;
  mb_link_err e = add_gen(l, kind, i, ft, name, &g, diag);
  if (e) return e;
  in->res[k] = (mb_target){.inst = MB_TARGET_GEN, .index = l->ngens - 1};
  return MB_LINK_OK;
}

mb_link_err mb__link_res_caller_calls(mb_link *l, mb_diag *diag) {
  for (uint32_t i = 0; i < l->ninst; i++) {
    mb_link_inst *in = &l->inst[i];
    for (uint32_t k = 0; k < in->m->nimports; k++) {
      const mb_import *im = &in->m->imports[k];
      if (im->kind != MB_KIND_FUNC) continue;
      mb_target t = in->res[k];
      if (t.inst < 0 || t.inst == (int)i || !l->inst[t.inst].caller_memory) continue;
      char name[600];
      snprintf(name, sizeof name, "membrane:call %s->%s %.*s.%.*s", in->name,
               l->inst[t.inst].name, (int)im->module.len, (const char *)im->module.ptr,
               (int)im->field.len, (const char *)im->field.ptr);
      mb_gen *g = NULL;
      mb_link_err e = add_gen(l, MB_GEN_CALL_AS, (int)i, &in->m->types[im->u.func_type], name, &g, diag);
      if (e) return e;
      g->callee = t.inst;
      g->callee_func = t.index;
      in->res[k] = (mb_target){.inst = MB_TARGET_GEN, .index = l->ngens - 1};
    }
  }
  return MB_LINK_OK;
}

static const mb_functype exit_type = {1, 0, one_i32, NULL};

mb_link_err mb__link_res_exit_calls(mb_link *l, mb_diag *diag) {
  int64_t *gen_of_host = mb_mem_calloc(&l->alloc, l->nhosts ? l->nhosts : 1, sizeof *gen_of_host);
  if (!gen_of_host) return mb_link_fail(diag, MB_LINK_ERR_NOMEM, 0, "out of memory");
  for (uint32_t h = 0; h < l->nhosts; h++) gen_of_host[h] = -1;
  mb_link_err e = MB_LINK_OK;
  for (uint32_t i = 0; i < l->ninst && !e; i++) {
    mb_link_inst *in = &l->inst[i];
    for (uint32_t k = 0; k < in->m->nimports && !e; k++) {
      const mb_import *im = &in->m->imports[k];
      mb_target t = in->res[k];
      if (im->kind != MB_KIND_FUNC || t.inst != MB_TARGET_HOST || l->hosts[t.host].stub ||
          !mb__is_wasi_module(im->module) || !mb_bytes_eq(im->field, "proc_exit") ||
          !mb_functype_eq(&in->m->types[im->u.func_type], &exit_type))
        continue;
      if (gen_of_host[t.host] < 0) {
        char name[300];
        snprintf(name, sizeof name, "membrane:exit %.*s.proc_exit", (int)im->module.len,
                 (const char *)im->module.ptr);
        mb_gen *g = NULL;
        if ((e = add_gen(l, MB_GEN_EXIT, (int)i, &exit_type, name, &g, diag))) break;
        g->host = t.host;
        gen_of_host[t.host] = l->ngens - 1;
      }
      in->res[k] = (mb_target){.inst = MB_TARGET_GEN, .index = (uint32_t)gen_of_host[t.host]};
    }
  }
  mb_mem_free(&l->alloc, gen_of_host);
  return e;
}

mb_link_err mb__link_res_import(mb_link *l, int i, uint32_t k, int p, bool *handled, mb_diag *diag) {
  mb_link_inst *in = &l->inst[i];
  const mb_import *im = &in->m->imports[k];
  *handled = false;
  if (mb_bytes_eq(im->module, CALLER_MODULE) && p < 0) {
    *handled = true;
    return caller_import(l, i, k, diag);
  }
  bool legacy_instance = false; /* an instance called canonical_abi is an ordinary provider */
  for (uint32_t j = 0; j < l->ninst; j++) legacy_instance |= strcmp(l->inst[j].name, LEGACY_MODULE) == 0;
  if (mb_bytes_eq(im->module, LEGACY_MODULE) && !legacy_instance) {
    bool host = false;
    mb_link_err e = legacy_import(l, i, k, &host, diag);
    *handled = !host;
    return e;
  }
  mb_bytes res;
  bool has_result = false;
  intrinsic kind = intrinsic_of(im->field, &res, &has_result);
  bool is_export = starts_with(im->module, EXPORT_PREFIX);
  const char *mod = (const char *)im->module.ptr;
  size_t modlen = im->module.len;
  if (is_export) {
    mod += strlen(EXPORT_PREFIX);
    modlen -= strlen(EXPORT_PREFIX);
  }
  const mb_wit_iface *wi = mb__iface_by_module(l, mod, modlen);
  char iface[512];
  snprintf(iface, sizeof iface, "%s", wi ? wi->id : "");
  if (!wi) snprintf(iface, sizeof iface, "%.*s", (int)modlen, mod);
  char name[800];
  snprintf(name, sizeof name, "membrane:%s:%.*s.%.*s", in->name, (int)im->module.len,
           (const char *)im->module.ptr, (int)im->field.len, (const char *)im->field.ptr);

  if (!is_export && kind != INTR_NEW && kind != INTR_REP) {
    if (kind == INTR_NONE) {
      /* a function of a WIT interface, provided by the instance that exports it */
      if (!wi || p < 0 || !mb__exports_iface(l, p, (const char *)im->module.ptr, im->module.len))
        return MB_LINK_OK;
      *handled = true;
      return wit_func_import(l, i, k, p, wi, diag);
    }
    /* no definer in the link: a drop is of a resource the host defines (its handles are
     * the host's i32s, no adapter touches them), the rest the usual unresolved rules */
    if (p < 0) return MB_LINK_OK;
  }
  if (kind == INTR_NONE && !is_export) return MB_LINK_OK;
  *handled = true;
  if (kind == INTR_NONE)
    return mb_link_fail(diag, MB_LINK_ERR_ABI, 0,
                        "instance '%s' imports %.*s.%.*s: the module '%.*s' provides only the "
                        "resource intrinsics [resource-new]R, [resource-rep]R, [resource-drop]R, "
                        "[resource-dup]R and [resource-destroy]R",
                        in->name, (int)im->module.len, (const char *)im->module.ptr,
                        (int)im->field.len, (const char *)im->field.ptr, (int)im->module.len,
                        (const char *)im->module.ptr);
  int definer = p;
  if (is_export) {
    definer = i;
    if (in->world && !mb__exports_iface(l, i, mod, modlen))
      return mb_link_fail(diag, MB_LINK_ERR_ABI, 0,
                          "instance '%s' imports %.*s.%.*s, but its world %s does not export %s: only "
                          "the instance exporting an interface defines its resources",
                          in->name, (int)im->module.len, (const char *)im->module.ptr,
                          (int)im->field.len, (const char *)im->field.ptr, in->world->id, iface);
  } else {
    /* [resource-new]/[resource-rep] from `<iface>`: a user asking for the definer's
     * private operations (the 2021 private.new/private.get), refused statically */
    if (kind == INTR_NEW || kind == INTR_REP)
      return mb_link_fail(diag, MB_LINK_ERR_ABI, 0,
                          "instance '%s' imports %.*s.%.*s, but only the definer of resource '%.*s' "
                          "may create it or read its rep (it imports them from '[export]%.*s'): "
                          "instance '%s' does not define it",
                          in->name, (int)im->module.len, (const char *)im->module.ptr,
                          (int)im->field.len, (const char *)im->field.ptr, (int)res.len,
                          (const char *)res.ptr, (int)im->module.len, (const char *)im->module.ptr,
                          in->name);
  }
  if (wi) {
    bool found = false;
    for (uint32_t r = 0; r < wi->nresources && !found; r++)
      found = mb_bytes_eq(res, wi->resources[r]->name);
    if (!found)
      return mb_link_fail(diag, MB_LINK_ERR_ABI, 0,
                          "instance '%s' imports %.*s.%.*s, but interface %s defines no resource "
                          "'%.*s'",
                          in->name, (int)im->module.len, (const char *)im->module.ptr,
                          (int)im->field.len, (const char *)im->field.ptr, wi->id, (int)res.len,
                          (const char *)res.ptr);
  }
  return register_intrinsic(l, i, k, kind, has_result, definer, iface, res, name, diag);
}
