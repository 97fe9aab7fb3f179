/* link.c — a link session: instances, wires, import resolution and type checks, and the
 * description of the result (--dry-run, --dot). Who provides an import module is
 * wiring.c; building the output is fuse.c. */
#include <stdarg.h>
#include <string.h>

#include "link_internal.h"

mb_link *mb_link_new(const mb_allocator *alloc) {
  mb_link *l = mb_mem_calloc(alloc, 1, sizeof *l);
  if (l) {
    l->alloc = mb_allocator_of(alloc);
    l->policy = MB_UNRESOLVED_IMPORT;
    l->glue = -1;
  }
  return l;
}

static void free_inst(mb_link *l, mb_link_inst *in) {
  mb_mem_free(&l->alloc, in->name);
  mb_mem_free(&l->alloc, in->path);
  mb_mem_free(&l->alloc, in->res);
  mb_mem_free(&l->alloc, in->state);
  for (int s = 0; s < MB_SPACE_COUNT; s++) mb_mem_free(&l->alloc, in->map[s]);
  mb_mem_free(&l->alloc, in->canon);
  memset(in, 0, sizeof *in);
}

void mb_link_free(mb_link *l) {
  if (!l) return;
  for (uint32_t i = 0; i < l->nmemopts; i++) mb_mem_free(&l->alloc, l->memopts[i].inst);
  mb_mem_free(&l->alloc, l->memopts);
  mb__link_res_reset(l);
  for (uint32_t i = 0; i < l->ninst; i++) free_inst(l, &l->inst[i]);
  for (uint32_t i = 0; i < l->nwires; i++) {
    mb_mem_free(&l->alloc, l->wires[i].consumer);
    mb_mem_free(&l->alloc, l->wires[i].module);
    mb_mem_free(&l->alloc, l->wires[i].provider);
  }
  for (uint32_t i = 0; i < l->nexports; i++) {
    mb_mem_free(&l->alloc, l->exports[i].inst);
    mb_mem_free(&l->alloc, l->exports[i].name);
    mb_mem_free(&l->alloc, l->exports[i].as);
  }
  mb_mem_free(&l->alloc, l->inst);
  mb_mem_free(&l->alloc, l->wires);
  mb_mem_free(&l->alloc, l->exports);
  mb_mem_free(&l->alloc, l->hosts);
  mb_mem_free(&l->alloc, l->order);
  mb_module_free(l->canon);
  mb_allocator a = l->alloc;
  mb_mem_free(&a, l);
}

void mb_link_set_warn(mb_link *l, mb_warn_fn fn, void *user) {
  l->warn = fn;
  l->warn_user = user;
}

void mb_link_set_unresolved(mb_link *l, mb_link_unresolved policy) { l->policy = policy; }

/* The glue instance, added by resolve when the resource ABI is used, goes away before
 * anything changes the set of instances. */
static void drop_glue(mb_link *l) {
  if (l->glue < 0) return;
  free_inst(l, &l->inst[l->glue]);
  l->ninst--;
  l->glue = -1;
}

void mb_link_set_wit(mb_link *l, const mb_wit *wit) {
  l->wit = wit;
  l->resolved = false;
}

void mb_link_set_glue(mb_link *l, const mb_module *glue) {
  l->glue_module = glue;
  l->resolved = false;
}

mb_link_err mb_link_set_world(mb_link *l, const char *instance, const char *world, mb_diag *diag) {
  drop_glue(l);
  int i = mb__find_inst(l, instance, strlen(instance));
  if (i < 0)
    return mb_link_fail(diag, MB_LINK_ERR_OPTION, 0, "--world %s=%s: no instance called '%s'",
                        instance, world, instance);
  const mb_wit_world *w = l->wit ? mb_wit_find_world(l->wit, world) : NULL;
  if (!w)
    return mb_link_fail(diag, MB_LINK_ERR_OPTION, 0,
                        "--world %s=%s: no world '%s' in the WIT files%s", instance, world, world,
                        l->wit ? " (give it as NAMESPACE:PACKAGE/WORLD)" : " (none given: use --wit PATH)");
  l->inst[i].world = w;
  l->resolved = false;
  return MB_LINK_OK;
}

void mb_link_set_memory(mb_link *l, mb_link_memory model) { l->single = model == MB_MEMORY_SINGLE; }

static mb_mem_opt *mem_opt(mb_link *l, const char *instance) {
  for (uint32_t i = 0; i < l->nmemopts; i++)
    if (strcmp(l->memopts[i].inst, instance) == 0) return &l->memopts[i];
  if (!mb__grow1(&l->alloc, (void **)&l->memopts, l->nmemopts, sizeof *l->memopts)) return NULL;
  mb_mem_opt *o = &l->memopts[l->nmemopts];
  if (!(o->inst = mb_wasm_strdup(&l->alloc, instance))) return NULL;
  l->nmemopts++;
  return o;
}

mb_link_err mb_link_set_memory_size(mb_link *l, const char *instance, uint32_t pages, mb_diag *diag) {
  if (pages == 0 || pages > 65536)
    return mb_link_fail(diag, MB_LINK_ERR_OPTION, 0,
                        "--memory-size %s=%u: PAGES must be 1..65536 (64 KiB pages)", instance, pages);
  mb_mem_opt *o = mem_opt(l, instance);
  if (!o) return mb_link_fail(diag, MB_LINK_ERR_NOMEM, 0, "out of memory");
  o->pages = pages;
  return MB_LINK_OK;
}

mb_link_err mb_link_trust(mb_link *l, const char *instance, mb_diag *diag) {
  mb_mem_opt *o = mem_opt(l, instance);
  if (!o) return mb_link_fail(diag, MB_LINK_ERR_NOMEM, 0, "out of memory");
  o->trust = true;
  return MB_LINK_OK;
}

mb_link_err mb_link_set_growable(mb_link *l, const char *instance, mb_diag *diag) {
  for (uint32_t i = 0; i < l->nmemopts; i++) l->memopts[i].grow = false;
  mb_mem_opt *o = mem_opt(l, instance);
  if (!o) return mb_link_fail(diag, MB_LINK_ERR_NOMEM, 0, "out of memory");
  o->grow = true;
  return MB_LINK_OK;
}

mb_link_err mb_link_grant_caller_memory(mb_link *l, const char *provider, mb_diag *diag) {
  drop_glue(l);
  int i = mb__find_inst(l, provider, strlen(provider));
  if (i < 0)
    return mb_link_fail(diag, MB_LINK_ERR_OPTION, 0, "--grant-caller-memory %s: no instance called '%s'",
                        provider, provider);
  l->inst[i].caller_memory = true;
  l->resolved = false;
  return MB_LINK_OK;
}

mb_link_err mb_link_add_instance(mb_link *l, const char *name, const mb_module *m, const char *path,
                                 mb_diag *diag) {
  drop_glue(l);
  if (!*name || strchr(name, '.') || strchr(name, '='))
    return mb_link_fail(diag, MB_LINK_ERR_OPTION, 0,
                        "instance name '%s' must be non-empty and contain no '.' or '='", name);
  if (mb__find_inst(l, name, strlen(name)) >= 0)
    return mb_link_fail(diag, MB_LINK_ERR_OPTION, 0, "two instances are called '%s'", name);
  if (strcmp(name, "membrane:glue") == 0)
    return mb_link_fail(diag, MB_LINK_ERR_OPTION, 0,
                        "the instance name 'membrane:glue' is reserved for the resource ABI glue");
  if (!mb__grow1(&l->alloc, (void **)&l->inst, l->ninst, sizeof *l->inst))
    return mb_link_fail(diag, MB_LINK_ERR_NOMEM, 0, "out of memory");
  mb_link_inst *in = &l->inst[l->ninst];
  in->m = m;
  in->name = mb_wasm_strdup(&l->alloc, name);
  in->path = mb_wasm_strdup(&l->alloc, path ? path : name);
  l->ninst++;
  if (!in->name || !in->path) return mb_link_fail(diag, MB_LINK_ERR_NOMEM, 0, "out of memory");
  l->resolved = false;
  return MB_LINK_OK;
}

mb_link_err mb_link_set_main(mb_link *l, const char *name, mb_diag *diag) {
  int i = mb__find_inst(l, name, strlen(name));
  if (i < 0) return mb_link_fail(diag, MB_LINK_ERR_OPTION, 0, "--main: no instance called '%s'", name);
  l->main = i;
  return MB_LINK_OK;
}

mb_link_err mb_link_wire(mb_link *l, const char *consumer, const char *import_module,
                         const char *provider, mb_diag *diag) {
  if (mb__find_inst(l, consumer, strlen(consumer)) < 0)
    return mb_link_fail(diag, MB_LINK_ERR_OPTION, 0, "--wire %s.%s=%s: no instance called '%s'",
                        consumer, import_module, provider, consumer);
  if (mb__find_inst(l, provider, strlen(provider)) < 0)
    return mb_link_fail(diag, MB_LINK_ERR_OPTION, 0, "--wire %s.%s=%s: no instance called '%s'",
                        consumer, import_module, provider, provider);
  if (!mb__grow1(&l->alloc, (void **)&l->wires, l->nwires, sizeof *l->wires))
    return mb_link_fail(diag, MB_LINK_ERR_NOMEM, 0, "out of memory");
  mb_wire *w = &l->wires[l->nwires++];
  w->consumer = mb_wasm_strdup(&l->alloc, consumer);
  w->module = mb_wasm_strdup(&l->alloc, import_module);
  w->provider = mb_wasm_strdup(&l->alloc, provider);
  if (!w->consumer || !w->module || !w->provider)
    return mb_link_fail(diag, MB_LINK_ERR_NOMEM, 0, "out of memory");
  l->resolved = false;
  return MB_LINK_OK;
}

mb_link_err mb_link_export(mb_link *l, const char *instance, const char *name, const char *as,
                           mb_diag *diag) {
  if (mb__find_inst(l, instance, strlen(instance)) < 0)
    return mb_link_fail(diag, MB_LINK_ERR_OPTION, 0, "--export %s.%s: no instance called '%s'",
                        instance, name, instance);
  if (!mb__grow1(&l->alloc, (void **)&l->exports, l->nexports, sizeof *l->exports))
    return mb_link_fail(diag, MB_LINK_ERR_NOMEM, 0, "out of memory");
  mb_link_export_sel *e = &l->exports[l->nexports++];
  e->inst = mb_wasm_strdup(&l->alloc, instance);
  e->name = mb_wasm_strdup(&l->alloc, name);
  e->as = mb_wasm_strdup(&l->alloc, as ? as : name);
  if (!e->inst || !e->name || !e->as) return mb_link_fail(diag, MB_LINK_ERR_NOMEM, 0, "out of memory");
  return MB_LINK_OK;
}

/* ---- resolution ---- */

static int provider_for(const mb_link *l, int consumer, mb_bytes module) {
  int p = mb__provider_for(l, consumer, module, NULL);
  return p < 0 ? -1 : p;
}

/* Index of import number `k` within its kind's index space. */
static uint32_t import_space_index(const mb_module *m, uint32_t k) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < k; i++) n += m->imports[i].kind == m->imports[k].kind;
  return n;
}

/* Import number of the `index`-th import of `kind`. */
static uint32_t import_number(const mb_module *m, mb_kind kind, uint32_t index) {
  for (uint32_t i = 0, n = 0; i < m->nimports; i++)
    if (m->imports[i].kind == kind && n++ == index) return i;
  return UINT32_MAX;
}

static void limits_text(const mb_limits *lim, char *buf, size_t cap) {
  int n = snprintf(buf, cap, "%s%llu", lim->flags & MB_LIMITS_64 ? "i64 " : "",
                   (unsigned long long)lim->min);
  if (lim->flags & MB_LIMITS_HAS_MAX)
    n += snprintf(buf + n, cap - (size_t)n, "..%llu", (unsigned long long)lim->max);
  if (lim->flags & MB_LIMITS_SHARED) snprintf(buf + n, cap - (size_t)n, " shared");
}

/* An import with limits `want` accepts a provider with limits `have` when the provider
 * is at least as large and no less bounded (the spec's import subtyping). */
static bool limits_match(const mb_limits *want, const mb_limits *have) {
  if ((want->flags & (MB_LIMITS_64 | MB_LIMITS_SHARED)) !=
      (have->flags & (MB_LIMITS_64 | MB_LIMITS_SHARED)))
    return false;
  if (have->min < want->min) return false;
  if (want->flags & MB_LIMITS_HAS_MAX)
    return (have->flags & MB_LIMITS_HAS_MAX) && have->max <= want->max;
  return true;
}

/* An import's or export's type, for the check and the mismatch message. Types are
 * compared in l->canon's numbering (canonical), printed in the module's own. */
typedef struct entity {
  mb_kind kind;
  const mb_module *m;
  uint32_t type, canon; /* func, tag: type index in m, and in l->canon */
  const mb_limits *limits;
  mb_valtype elemtype, elemtype_canon;
  mb_globaltype global;
  mb_valtype global_canon;
} entity;

/* The canonical type map of module m (an instance's). */
static const uint32_t *canon_map(const mb_link *l, const mb_module *m) {
  for (uint32_t i = 0; i < l->ninst; i++)
    if (l->inst[i].m == m && l->inst[i].canon) return l->inst[i].canon;
  return NULL;
}

static mb_valtype canon_valtype(const uint32_t *map, mb_valtype v) {
  if (!map || !mb_valtype_has_index(v)) return v;
  return mb_valtype_ref(mb_valtype_nullable(v), map[mb_valtype_heap(v)]);
}

static entity entity_of(const mb_link *l, const mb_module *m, mb_kind kind, uint32_t index) {
  entity e = {.kind = kind, .m = m};
  const uint32_t *map = canon_map(l, m);
  uint32_t nimp = m->nimported[kind];
  const mb_import *im = index < nimp ? &m->imports[import_number(m, kind, index)] : NULL;
  switch (kind) {
  case MB_KIND_FUNC: e.type = im ? im->u.func_type : m->func_types[index - nimp]; break;
  case MB_KIND_TAG: e.type = im ? im->u.tag_type : m->tag_types[index - nimp]; break;
  case MB_KIND_MEMORY: e.limits = im ? &im->u.memory : &m->memories[index - nimp]; break;
  case MB_KIND_TABLE:
    e.limits = im ? &im->u.table.limits : &m->tables[index - nimp].type.limits;
    e.elemtype = im ? im->u.table.elemtype : m->tables[index - nimp].type.elemtype;
    break;
  case MB_KIND_GLOBAL: e.global = im ? im->u.global : m->globals[index - nimp].type; break;
  }
  e.canon = map && (kind == MB_KIND_FUNC || kind == MB_KIND_TAG) ? map[e.type] : e.type;
  e.elemtype_canon = canon_valtype(map, e.elemtype);
  e.global_canon = canon_valtype(map, e.global.valtype);
  return e;
}

/* The definition of type t of m as text: a function type as "(i32, (ref 2)) -> (i32)",
 * "struct (field (mut i32)) ...", "array (mut i8)", then " (sub of N)" for a
 * declared supertype. */
static size_t deftype_text(const mb_module *m, uint32_t t, char *buf, size_t cap) {
  size_t n = 0;
#define PUT(...) (n += n < cap ? (size_t)snprintf(buf + n, cap - n, __VA_ARGS__) : 0)
  const mb_typedef *td = m->typedefs ? &m->typedefs[t] : NULL;
  if (!td || td->form == MB_COMP_FUNC) {
    mb__type_text(&m->types[t], buf, cap);
    n = strlen(buf);
  } else {
    PUT("%s", td->form == MB_COMP_STRUCT ? "struct" : "array");
    for (uint32_t i = 0; i < td->nfields; i++) {
      const mb_field *f = &td->fields[i];
      const char *vt = mb_valtype_name(f->type).s;
      if (td->form == MB_COMP_STRUCT) PUT(f->mutable_ ? " (field (mut %s))" : " (field %s)", vt);
      else PUT(f->mutable_ ? " (mut %s)" : " %s", vt);
    }
  }
  if (td && td->has_super) PUT(" (sub of %u)", td->super);
#undef PUT
  return n < cap ? n : cap;
}

/* Type t of m with the definitions of the types its signature or fields name (one
 * level), so both sides of a mismatch read on their own: "func (param (ref 2)) where
 * 2 = struct (field i32)". */
static void type_text(const mb_module *m, uint32_t t, char *buf, size_t cap) {
  size_t n = deftype_text(m, t, buf, cap);
  const mb_functype *ft = &m->types[t];
  const mb_typedef *td = m->typedefs ? &m->typedefs[t] : NULL;
  uint32_t nv = td && td->form != MB_COMP_FUNC ? td->nfields : ft->nparams + ft->nresults;
  uint32_t shown[8], nshown = 0;
  for (uint32_t i = 0; i < nv && n + 1 < cap; i++) {
    mb_valtype v = td && td->form != MB_COMP_FUNC ? td->fields[i].type
                   : i < ft->nparams             ? ft->params[i]
                                                 : ft->results[i - ft->nparams];
    if (!mb_valtype_has_index(v)) continue;
    uint32_t x = mb_valtype_heap(v), k = 0;
    while (k < nshown && shown[k] != x) k++;
    if (k < nshown || x == t || x >= m->ntypes || nshown == 8) continue;
    shown[nshown++] = x;
    n += (size_t)snprintf(buf + n, cap - n, "%s %u = ", nshown == 1 ? " where" : ",", x);
    if (n < cap) n += deftype_text(m, x, buf + n, cap - n);
  }
}

static void entity_text(const entity *e, char *buf, size_t cap) {
  switch (e->kind) {
  case MB_KIND_FUNC:
  case MB_KIND_TAG: type_text(e->m, e->type, buf, cap); break;
  case MB_KIND_MEMORY: limits_text(e->limits, buf, cap); break;
  case MB_KIND_TABLE: {
    char lim[64];
    limits_text(e->limits, lim, sizeof lim);
    snprintf(buf, cap, "%s %s", mb_valtype_name(e->elemtype).s, lim);
    break;
  }
  case MB_KIND_GLOBAL: {
    mb_valtype v = e->global.valtype;
    int n = snprintf(buf, cap, "%s%s", e->global.mutable_ ? "mut " : "", mb_valtype_name(v).s);
    uint32_t x = mb_valtype_has_index(v) ? mb_valtype_heap(v) : UINT32_MAX;
    if (x < e->m->ntypes && n > 0 && (size_t)n < cap) {
      n += snprintf(buf + n, cap - (size_t)n, " where %u = ", x);
      if (n > 0 && (size_t)n < cap) deftype_text(e->m, x, buf + n, cap - (size_t)n);
    }
    break;
  }
  }
}

/* Whether `have` may be imported as `want` (the spec's import matching): a function of
 * a subtype, an immutable global of a subtype; tags, tables and mutable globals of the
 * same type; memories and tables by their limits. */
static bool entity_match(const mb_link *l, const entity *want, const entity *have) {
  switch (want->kind) {
  case MB_KIND_FUNC: return mb_module_type_sub(l->canon, have->canon, want->canon);
  case MB_KIND_TAG: return want->canon == have->canon;
  case MB_KIND_MEMORY: return limits_match(want->limits, have->limits);
  case MB_KIND_TABLE:
    return want->elemtype_canon == have->elemtype_canon && limits_match(want->limits, have->limits);
  case MB_KIND_GLOBAL:
    if (want->global.mutable_ != have->global.mutable_) return false;
    return want->global.mutable_ ? want->global_canon == have->global_canon
                                 : mb_module_valtype_sub(l->canon, have->global_canon, want->global_canon);
  }
  return false;
}

/* Every instance's types into l->canon (see there). */
static mb_link_err canon_types(mb_link *l, mb_diag *diag) {
  mb_module_free(l->canon);
  mb_type_interner *ti = NULL;
  if (!(l->canon = mb_module_new(&l->alloc))) return mb_link_fail(diag, MB_LINK_ERR_NOMEM, 0, "out of memory");
  mb_link_err e = mb__link_wasm(mb_type_interner_new(l->canon, &ti, diag), diag);
  for (uint32_t i = 0; i < l->ninst && !e; i++) {
    mb_link_inst *in = &l->inst[i];
    mb_mem_free(&l->alloc, in->canon);
    in->canon = mb_mem_calloc(&l->alloc, in->m->ntypes ? in->m->ntypes : 1, sizeof *in->canon);
    if (!in->canon) e = mb_link_fail(diag, MB_LINK_ERR_NOMEM, 0, "out of memory");
    else e = mb__link_wasm(mb_type_interner_add_module(ti, in->m, in->canon, diag), diag);
    if (e && e != MB_LINK_ERR_NOMEM) {
      size_t n = strlen(diag->message);
      snprintf(diag->message + n, sizeof diag->message - n, " (instance '%s')", in->name);
    }
  }
  mb_type_interner_free(ti);
  return e;
}

static mb_link_err resolve_import(mb_link *l, int i, uint32_t k, mb_diag *diag);

/* Follow instance p's entity (kind, index) to its definition. */
mb_link_err mb__chase(mb_link *l, int p, mb_kind kind, uint32_t index, mb_target *out,
                      mb_diag *diag) {
  const mb_module *m = l->inst[p].m;
  if (index >= m->nimported[kind]) {
    out->inst = p;
    out->index = index;
    return MB_LINK_OK;
  }
  uint32_t k = import_number(m, kind, index);
  mb_link_err e = resolve_import(l, p, k, diag);
  if (e) return e;
  *out = l->inst[p].res[k];
  return MB_LINK_OK;
}

static mb_link_err host_import(mb_link *l, int i, uint32_t k, mb_target *out, mb_diag *diag) {
  const mb_module *m = l->inst[i].m;
  const mb_import *im = &m->imports[k];
  for (uint32_t h = 0; h < l->nhosts; h++) {
    const mb_import *o = l->hosts[h].im;
    if (o->kind != im->kind || o->module.len != im->module.len || o->field.len != im->field.len ||
        memcmp(o->module.ptr, im->module.ptr, im->module.len) ||
        memcmp(o->field.ptr, im->field.ptr, im->field.len))
      continue;
    entity a = entity_of(l, l->hosts[h].from, im->kind,
                         import_space_index(l->hosts[h].from,
                                            (uint32_t)(o - l->hosts[h].from->imports)));
    entity b = entity_of(l, m, im->kind, import_space_index(m, k));
    bool same = a.kind == b.kind && entity_match(l, &a, &b) && entity_match(l, &b, &a);
    if (same) {
      out->inst = -1;
      out->host = h;
      return MB_LINK_OK;
    }
  }
  if (!mb__grow1(&l->alloc, (void **)&l->hosts, l->nhosts, sizeof *l->hosts))
    return mb_link_fail(diag, MB_LINK_ERR_NOMEM, 0, "out of memory");
  l->hosts[l->nhosts].im = im;
  l->hosts[l->nhosts].from = m;
  l->hosts[l->nhosts].stub = l->policy == MB_UNRESOLVED_STUB && im->kind == MB_KIND_FUNC &&
                             !mb__is_wasi_module(im->module);
  out->inst = -1;
  out->host = l->nhosts++;
  return MB_LINK_OK;
}

static mb_link_err resolve_import(mb_link *l, int i, uint32_t k, mb_diag *diag) {
  mb_link_inst *in = &l->inst[i];
  if (in->state[k] == 2) return MB_LINK_OK;
  const mb_import *im = &in->m->imports[k];
  if (in->state[k] == 1)
    return mb_link_fail(diag, MB_LINK_ERR_UNRESOLVED, 0,
                        "instance '%s': import %.*s.%.*s is part of a cycle of re-exports that "
                        "never reaches a definition",
                        in->name, (int)im->module.len, (const char *)im->module.ptr,
                        (int)im->field.len, (const char *)im->field.ptr);
  in->state[k] = 1;
  mb_link_err e = MB_LINK_OK;
  int other = -1;
  int p = mb__provider_for(l, i, im->module, &other);
  bool handled = false;
  if (im->kind == MB_KIND_FUNC) e = mb__link_res_import(l, i, k, p, &handled, diag);
  if (handled) {
  } else if (p == -3) {
    int first = -1;
    for (uint32_t j = 0; j < l->ninst && first < 0; j++)
      if ((int)j != i && mb__exports_iface(l, (int)j, (const char *)im->module.ptr, im->module.len))
        first = (int)j;
    e = mb_link_fail(diag, MB_LINK_ERR_UNRESOLVED, 0,
                     "instance '%s' imports %.*s.%.*s, but instances '%s' and '%s' both export that "
                     "interface; choose one with --wire %s.%.*s=INSTANCE",
                     in->name, (int)im->module.len, (const char *)im->module.ptr, (int)im->field.len,
                     (const char *)im->field.ptr, l->inst[first].name, l->inst[other].name, in->name,
                     (int)im->module.len, (const char *)im->module.ptr);
  } else if (p == i) {
    e = mb_link_fail(diag, MB_LINK_ERR_UNRESOLVED, 0,
                     "instance '%s' imports %.*s.%.*s from itself; use --wire to send it elsewhere",
                     in->name, (int)im->module.len, (const char *)im->module.ptr, (int)im->field.len,
                     (const char *)im->field.ptr);
  } else if (p < 0) {
    if (l->policy == MB_UNRESOLVED_ERROR && !mb__is_wasi_module(im->module))
      e = mb_link_fail(diag, MB_LINK_ERR_UNRESOLVED, 0,
                       "instance '%s' (%s): import %.*s.%.*s (%s) is not provided by any instance "
                       "(--require-resolved); add an instance called '%.*s' or --wire %s.%.*s=INSTANCE",
                       in->name, in->path, (int)im->module.len, (const char *)im->module.ptr,
                       (int)im->field.len, (const char *)im->field.ptr, mb_kind_name(im->kind),
                       (int)im->module.len, (const char *)im->module.ptr, in->name,
                       (int)im->module.len, (const char *)im->module.ptr);
    else
      e = host_import(l, i, k, &in->res[k], diag);
  } else {
    const mb_module *pm = l->inst[p].m;
    char field[256];
    snprintf(field, sizeof field, "%.*s", (int)im->field.len, (const char *)im->field.ptr);
    int64_t idx = mb_module_find_export(pm, (const char *)im->field.ptr, im->field.len, im->kind);
    if (idx < 0) {
      const char *other = NULL;
      for (int kk = 0; kk < MB_KIND_COUNT && !other; kk++)
        if (mb_module_find_export(pm, (const char *)im->field.ptr, im->field.len, (mb_kind)kk) >= 0)
          other = mb_kind_name((mb_kind)kk);
      if (other)
        e = mb_link_fail(diag, MB_LINK_ERR_TYPE_MISMATCH, 0,
                         "type mismatch: instance '%s' imports %.*s.%s as a %s, but instance '%s' "
                         "exports '%s' as a %s",
                         in->name, (int)im->module.len, (const char *)im->module.ptr, field,
                         mb_kind_name(im->kind), l->inst[p].name, field, other);
      else
        e = mb_link_fail(diag, MB_LINK_ERR_UNRESOLVED, 0,
                         "instance '%s' imports %.*s.%s (%s), but instance '%s' (%s) has no export "
                         "'%s'",
                         in->name, (int)im->module.len, (const char *)im->module.ptr, field,
                         mb_kind_name(im->kind), l->inst[p].name, l->inst[p].path, field);
    } else {
      entity want = entity_of(l, in->m, im->kind, import_space_index(in->m, k));
      entity have = entity_of(l, pm, im->kind, (uint32_t)idx);
      if (!entity_match(l, &want, &have)) {
        char a[400], b[400];
        entity_text(&want, a, sizeof a);
        entity_text(&have, b, sizeof b);
        e = mb_link_fail(diag, MB_LINK_ERR_TYPE_MISMATCH, 0,
                         "type mismatch: instance '%s' imports %.*s.%s as %s %s, but instance '%s' "
                         "exports '%s' as %s %s",
                         in->name, (int)im->module.len, (const char *)im->module.ptr, field,
                         mb_kind_name(im->kind), a, l->inst[p].name, field, mb_kind_name(im->kind), b);
      } else {
        e = mb__chase(l, p, im->kind, (uint32_t)idx, &in->res[k], diag);
      }
    }
  }
  in->state[k] = e ? 0 : 2;
  return e;
}

/* Dependency order: providers before consumers (DFS post-order over import edges).
 * A cycle is an error only when an instance on it has a start function or an
 * _initialize to run: otherwise the order inside the cycle does not matter. */
static bool needs_init(const mb_module *m) {
  return m->has_start || mb_module_find_export(m, "_initialize", 11, MB_KIND_FUNC) >= 0;
}

static mb_link_err visit(mb_link *l, int i, uint8_t *mark, uint32_t *n, mb_diag *diag) {
  if (mark[i] == 2) return MB_LINK_OK;
  if (mark[i] == 1) return MB_LINK_OK; /* a cycle: check_init_cycles decides */
  mark[i] = 1;
  const mb_module *m = l->inst[i].m;
  for (uint32_t k = 0; k < m->nimports; k++) {
    int p = provider_for(l, i, m->imports[k].module);
    if (p >= 0 && p != i) {
      mb_link_err e = visit(l, p, mark, n, diag);
      if (e) {
        mark[i] = 0;
        return e;
      }
    }
  }
  mark[i] = 2;
  l->order[(*n)++] = i;
  return MB_LINK_OK;
}

/* An instance with a start function or _initialize that reaches itself through function
 * imports has no order: whichever instance of the cycle is initialized first runs before one it
 * depends on. Every such instance is checked (a depth-first search sees only the back
 * edges of the root it happens to start from); breadth-first from each, so the message
 * names a shortest cycle. */
static mb_link_err check_init_cycles(mb_link *l, mb_diag *diag) {
  int *from = mb_mem_calloc(&l->alloc, l->ninst, sizeof *from);
  int *queue = mb_mem_calloc(&l->alloc, l->ninst, sizeof *queue);
  mb_link_err e = MB_LINK_OK;
  if (!from || !queue) e = mb_link_fail(diag, MB_LINK_ERR_NOMEM, 0, "out of memory");
  for (uint32_t s = 0; s < l->ninst && !e; s++) {
    if (!needs_init(l->inst[s].m)) continue;
    for (uint32_t k = 0; k < l->ninst; k++) from[k] = -1;
    uint32_t head = 0, tail = 0;
    bool found = false;
    queue[tail++] = (int)s;
    while (head < tail && !found) {
      int i = queue[head++];
      const mb_module *m = l->inst[i].m;
      for (uint32_t k = 0; k < m->nimports && !found; k++) {
        /* Only calls make a start-time dependency: memories, tables and globals exist,
         * initialized, before any start function of the fused module runs. */
        if (m->imports[k].kind != MB_KIND_FUNC) continue;
        int p = provider_for(l, i, m->imports[k].module);
        if (p < 0 || p == i) continue;
        if (p == (int)s) found = true;
        else if (from[p] >= 0) continue;
        else queue[tail++] = p;
        from[p] = i;
      }
    }
    if (!found) continue;
    /* s -> ... -> from[s] -> s, where x -> y means x imports from y */
    int path[64];
    uint32_t len = 0;
    for (int x = from[s]; x != (int)s && len < 62; x = from[x]) path[len++] = x;
    char text[200];
    size_t n = (size_t)snprintf(text, sizeof text, "%s", l->inst[s].name);
    for (uint32_t k = len; k-- > 0 && n < sizeof text;)
      n += (size_t)snprintf(text + n, sizeof text - n, " -> %s", l->inst[path[k]].name);
    if (n < sizeof text) snprintf(text + n, sizeof text - n, " -> %s", l->inst[s].name);
    e = mb_link_fail(diag, MB_LINK_ERR_CONFLICT, 0,
                     "instance '%s' has a start function or _initialize but is on a cycle of "
                     "imports (%s; A -> B: A imports from B): there is no order in which to "
                     "initialize it",
                     l->inst[s].name, text);
  }
  mb_mem_free(&l->alloc, from);
  mb_mem_free(&l->alloc, queue);
  return e;
}

mb_link_err mb_link_resolve(mb_link *l, mb_diag *diag) {
  if (l->resolved) return MB_LINK_OK;
  drop_glue(l);
  mb__link_res_reset(l);
  if (l->ninst == 0) return mb_link_fail(diag, MB_LINK_ERR_USAGE, 0, "no instances to link");
  mb_mem_free(&l->alloc, l->hosts);
  l->hosts = NULL;
  l->nhosts = 0;
  for (uint32_t i = 0; i < l->ninst; i++) {
    mb_link_inst *in = &l->inst[i];
    mb_mem_free(&l->alloc, in->res);
    mb_mem_free(&l->alloc, in->state);
    in->res = mb_mem_calloc(&l->alloc, in->m->nimports ? in->m->nimports : 1, sizeof *in->res);
    in->state = mb_mem_calloc(&l->alloc, in->m->nimports ? in->m->nimports : 1, 1);
    if (!in->res || !in->state) return mb_link_fail(diag, MB_LINK_ERR_NOMEM, 0, "out of memory");
  }
  {
    mb_link_err e = canon_types(l, diag);
    if (e) return e;
  }
  for (uint32_t i = 0; i < l->ninst; i++)
    for (uint32_t k = 0; k < l->inst[i].m->nimports; k++) {
      mb_link_err e = resolve_import(l, (int)i, k, diag);
      if (e) return e;
    }
  {
    mb_link_err e = mb__link_res_caller_calls(l, diag);
    if (e) return e;
  }
  if (l->nrtypes) {
    /* the resource ABI is used: the glue joins as the last instance */
    if (!l->glue_module)
      return mb_link_fail(diag, MB_LINK_ERR_USAGE, 0,
                          "the resource ABI is used but no glue module was given (mb_link_set_glue)");
    if (!mb__grow1(&l->alloc, (void **)&l->inst, l->ninst, sizeof *l->inst))
      return mb_link_fail(diag, MB_LINK_ERR_NOMEM, 0, "out of memory");
    mb_link_inst *g = &l->inst[l->ninst];
    g->m = l->glue_module;
    g->glue = true;
    g->name = mb_wasm_strdup(&l->alloc, "membrane:glue");
    g->path = mb_wasm_strdup(&l->alloc, "(the resource ABI glue)");
    g->res = mb_mem_calloc(&l->alloc, 1, sizeof *g->res);
    g->state = mb_mem_calloc(&l->alloc, 1, 1);
    l->glue = (int)l->ninst++;
    if (!g->name || !g->path || !g->res || !g->state)
      return mb_link_fail(diag, MB_LINK_ERR_NOMEM, 0, "out of memory");
    if (g->m->nimports)
      return mb_link_fail(diag, MB_LINK_ERR_USAGE, 0, "the glue module must not import anything");
    mb_link_err e = mb__link_res_exit_calls(l, diag);
    if (e) return e;
  }
  mb_mem_free(&l->alloc, l->order);
  uint8_t *mark = mb_mem_calloc(&l->alloc, l->ninst, 1);
  l->order = mb_mem_calloc(&l->alloc, l->ninst, sizeof *l->order);
  if (!mark || !l->order) {
    mb_mem_free(&l->alloc, mark);
    return mb_link_fail(diag, MB_LINK_ERR_NOMEM, 0, "out of memory");
  }
  uint32_t n = 0;
  mb_link_err e = MB_LINK_OK;
  for (uint32_t i = 0; i < l->ninst && !e; i++) e = visit(l, (int)i, mark, &n, diag);
  mb_mem_free(&l->alloc, mark);
  if (!e) e = check_init_cycles(l, diag);
  if (e) return e;
  l->resolved = true;
  return MB_LINK_OK;
}

/* ---- description ---- */

mb_link_err mb_link_describe(mb_link *l, FILE *f, bool dot, mb_diag *diag) {
  mb_link_err e = mb_link_resolve(l, diag);
  if (e) return e;
  if (dot) {
    fprintf(f, "digraph membrane {\n  rankdir=LR;\n  node [shape=box];\n");
    for (uint32_t i = 0; i < l->ninst; i++)
      fprintf(f, "  \"%s\" [label=\"%s\\n%s\"%s];\n", l->inst[i].name, l->inst[i].name,
              l->inst[i].path, (int)i == l->main ? ", style=bold" : "");
    fprintf(f, "  \"host\" [shape=ellipse];\n");
  } else {
    fprintf(f, "instances (initialization order):");
    for (uint32_t i = 0; i < l->ninst; i++) fprintf(f, " %s", l->inst[l->order[i]].name);
    fprintf(f, "\nmain: %s\n", l->inst[l->main].name);
  }
  for (uint32_t i = 0; i < l->ninst; i++) {
    const mb_link_inst *in = &l->inst[i];
    for (uint32_t k = 0; k < in->m->nimports; k++) {
      const mb_import *im = &in->m->imports[k];
      const mb_target *t = &in->res[k];
      const char *who = t->inst >= 0 ? l->inst[t->inst].name : "host";
      const char *how = "";
      if (t->inst == MB_TARGET_GEN) {
        /* generated: an adapter or call-as goes to its callee, an intrinsic to the glue */
        const mb_gen *g = &l->gens[t->index];
        switch (g->kind) {
        case MB_GEN_ADAPTER:
          who = l->inst[g->callee].name;
          how = g->func->has_handles ? " (adapter: handles through the glue)"
                                     : " (adapter: data copied between memories)";
          break;
        case MB_GEN_CALL_AS:
          who = l->inst[g->callee].name;
          how = " (tells it the caller, for membrane:caller)";
          break;
        case MB_GEN_CALLER_READ:
        case MB_GEN_CALLER_WRITE:
        case MB_GEN_CALLER_SIZE:
          who = "caller memory";
          how = " (granted)";
          break;
        case MB_GEN_EXIT:
          who = "host";
          how = " (after every instance is torn down)";
          break;
        default:
          who = "membrane:glue";
          how = " (resource intrinsic)";
          break;
        }
      }
      bool stub = t->inst == MB_TARGET_HOST && l->hosts[t->host].stub;
      if (dot) {
        fprintf(f, "  \"%s\" -> \"%s\" [label=\"%.*s.%.*s\"%s];\n", in->name,
                stub ? "host" : who, (int)im->module.len, (const char *)im->module.ptr,
                (int)im->field.len, (const char *)im->field.ptr, stub ? ", style=dashed" : "");
      } else if (t->inst >= 0 || t->inst == MB_TARGET_GEN) {
        fprintf(f, "  %s imports %.*s.%.*s (%s) <- %s%s\n", in->name, (int)im->module.len,
                (const char *)im->module.ptr, (int)im->field.len, (const char *)im->field.ptr,
                mb_kind_name(im->kind), who, how);
      } else {
        mb_bytes iface, res;
        bool host_res = !stub && mb_link_resource_host_drop(in->m, k, &iface, &res);
        fprintf(f, "  %s imports %.*s.%.*s (%s) <- %s", in->name, (int)im->module.len,
                (const char *)im->module.ptr, (int)im->field.len, (const char *)im->field.ptr,
                mb_kind_name(im->kind), stub ? "trapping stub" : "host import");
        if (host_res)
          fprintf(f, " (resource '%.*s' is host-defined: its handles are the host's)",
                  (int)res.len, (const char *)res.ptr);
        fputc('\n', f);
      }
    }
  }
  if (dot) fprintf(f, "}\n");
  return ferror(f) ? mb_link_fail(diag, MB_LINK_ERR_IO, 0, "cannot write the description") : MB_LINK_OK;
}
