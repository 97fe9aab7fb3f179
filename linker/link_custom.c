/* link_custom.c — custom sections of a fused module: the name section merged with
 * "INSTANCE:" prefixes (so traps and profiles say where code came from), the producers
 * sections merged, everything else dropped with a warning naming it. */
#include <stdlib.h>
#include <string.h>

#include "link_internal.h"

typedef struct named {
  uint32_t key;
  mb_bytes value; /* a name, or (local names) an encoded inner name map */
} named;

typedef struct named_list {
  named *v;
  uint32_t n, cap;
} named_list;

static bool push(const mb_allocator *alloc, named_list *l, uint32_t key, mb_bytes value) {
  if (l->n == l->cap) {
    uint32_t cap = l->cap ? l->cap * 2 : 64;
    named *v = mb_mem_realloc(alloc, l->v, cap * sizeof *v);
    if (!v) return false;
    l->v = v;
    l->cap = cap;
  }
  l->v[l->n++] = (named){key, value};
  return true;
}

static int by_key(const void *a, const void *b) {
  uint32_t x = ((const named *)a)->key, y = ((const named *)b)->key;
  return x < y ? -1 : x > y;
}

/* "INST:name" in the output arena. */
static mb_bytes prefixed(mb_module *out, const char *inst, mb_bytes name) {
  size_t n = strlen(inst);
  uint8_t *p = mb_wasm_arena_alloc(out->arena, n + 1 + name.len);
  if (!p) return (mb_bytes){NULL, 0};
  memcpy(p, inst, n);
  p[n] = ':';
  memcpy(p + n + 1, name.ptr, name.len);
  return (mb_bytes){p, (uint32_t)(n + 1 + name.len)};
}

enum { SUB_FUNC = 1, SUB_LOCAL = 2, SUB_MEMORY = 6, SUB_GLOBAL = 7, NSUB = 8 };

static mb_space sub_space(int id) {
  return id == SUB_MEMORY ? MB_SPACE_MEMORY : id == SUB_GLOBAL ? MB_SPACE_GLOBAL : MB_SPACE_FUNC;
}
static mb_kind sub_kind(int id) {
  return id == SUB_MEMORY ? MB_KIND_MEMORY : id == SUB_GLOBAL ? MB_KIND_GLOBAL : MB_KIND_FUNC;
}

/* Collect one instance's names of defined entities (imports are named by their
 * definer). A malformed name section is skipped: names are debug information. */
static bool collect_names(const mb_link_inst *in, mb_bytes payload, mb_module *out,
                          named_list lists[NSUB]) {
  mb_wasm_reader r = {payload.ptr, payload.ptr, payload.ptr + payload.len, 0, NULL,
                      mb_module_allocator(out)};
  while (r.pos < r.end) {
    uint8_t id;
    uint32_t size, n;
    mb_wasm_reader s;
    if (mb_wasm_byte(&r, &id, "") || mb_wasm_u32(&r, &size, "") || mb_wasm_sub(&r, size, &s, "")) return true;
    if (id != SUB_FUNC && id != SUB_LOCAL && id != SUB_MEMORY && id != SUB_GLOBAL) continue;
    if (mb_wasm_u32(&s, &n, "")) return true;
    for (uint32_t i = 0; i < n; i++) {
      uint32_t key;
      mb_bytes name;
      if (mb_wasm_u32(&s, &key, "")) return true;
      const uint8_t *start = s.pos;
      if (id == SUB_LOCAL) {
        uint32_t m, k;
        if (mb_wasm_u32(&s, &m, "")) return true;
        for (uint32_t j = 0; j < m; j++)
          if (mb_wasm_u32(&s, &k, "") || mb_wasm_name(&s, &name, "")) return true;
        name = (mb_bytes){start, (uint32_t)(s.pos - start)};
      } else if (mb_wasm_name(&s, &name, "")) {
        return true;
      } else if (!in->glue) { /* the glue's trap functions are named by their message */
        name = prefixed(out, in->name, name);
        if (!name.ptr) return false;
      }
      mb_space sp = sub_space(id);
      if (key >= in->count[sp] || key < in->m->nimported[sub_kind(id)]) continue;
      if (!push(mb_module_allocator(out), &lists[id], in->map[sp][key], name)) return false;
    }
  }
  return true;
}

static void put_list(mb_buf *b, int id, named_list *l) {
  if (!l->n) return;
  qsort(l->v, l->n, sizeof *l->v, by_key);
  mb_buf sub;
  mb_buf_init(&sub, &b->alloc);
  uint32_t n = 0;
  for (uint32_t i = 0; i < l->n; i++) n += !(i && l->v[i].key == l->v[i - 1].key);
  mb_buf_u32(&sub, n);
  for (uint32_t i = 0; i < l->n; i++) {
    if (i && l->v[i].key == l->v[i - 1].key) continue; /* first name wins */
    mb_buf_u32(&sub, l->v[i].key);
    if (id != SUB_LOCAL) mb_buf_u32(&sub, l->v[i].value.len);
    mb_buf_append(&sub, l->v[i].value.ptr, l->v[i].value.len);
  }
  mb_buf_byte(b, (uint8_t)id);
  mb_buf_u32(b, (uint32_t)sub.len);
  mb_buf_append(b, sub.data, sub.len);
  if (sub.failed) b->failed = true;
  mb_buf_fini(&sub);
}

/* ---- producers: field -> unique values, in first-seen order ---- */

typedef struct pvalue {
  mb_bytes name, version;
} pvalue;
typedef struct pfield {
  mb_bytes name;
  pvalue *v;
  uint32_t n, cap;
} pfield;

static bool merge_producers(const mb_allocator *alloc, mb_bytes payload, pfield *fields,
                            uint32_t *nfields) {
  mb_wasm_reader r = {payload.ptr, payload.ptr, payload.ptr + payload.len, 0, NULL, alloc};
  uint32_t n;
  if (mb_wasm_u32(&r, &n, "")) return true;
  for (uint32_t i = 0; i < n; i++) {
    mb_bytes fname;
    uint32_t nv;
    if (mb_wasm_name(&r, &fname, "") || mb_wasm_u32(&r, &nv, "")) return true;
    pfield *f = NULL;
    for (uint32_t k = 0; k < *nfields; k++)
      if (fields[k].name.len == fname.len && !memcmp(fields[k].name.ptr, fname.ptr, fname.len))
        f = &fields[k];
    if (!f) {
      if (*nfields == 3) return true; /* language, processed-by, sdk */
      f = &fields[(*nfields)++];
      f->name = fname;
    }
    for (uint32_t j = 0; j < nv; j++) {
      pvalue v;
      if (mb_wasm_name(&r, &v.name, "") || mb_wasm_name(&r, &v.version, "")) return true;
      bool dup = false;
      for (uint32_t k = 0; k < f->n && !dup; k++)
        dup = f->v[k].name.len == v.name.len && !memcmp(f->v[k].name.ptr, v.name.ptr, v.name.len);
      if (dup) continue;
      if (f->n == f->cap) {
        uint32_t cap = f->cap ? f->cap * 2 : 4;
        pvalue *p = mb_mem_realloc(alloc, f->v, cap * sizeof *p);
        if (!p) return false;
        f->v = p;
        f->cap = cap;
      }
      f->v[f->n++] = v;
    }
  }
  return true;
}

static void put_name(mb_buf *b, mb_bytes s) {
  mb_buf_u32(b, s.len);
  mb_buf_append(b, s.ptr, s.len);
}

static mb_link_err add_custom(mb_module *out, const char *name, const mb_buf *payload, mb_diag *diag) {
  if (payload->failed) return mb_link_fail(diag, MB_LINK_ERR_NOMEM, 0, "out of memory");
  return mb__link_wasm(mb_module_add_custom(out, name, payload->data, payload->len, MB_SEC_COUNT, diag), diag);
}

mb_link_err mb__link_customs(mb_link *l, mb_module *out, const char *const *extra_names,
                             const uint32_t *extra_funcs, uint32_t nextra, mb_diag *diag) {
  named_list lists[NSUB];
  pfield fields[3];
  uint32_t nfields = 0;
  memset(lists, 0, sizeof lists);
  memset(fields, 0, sizeof fields);
  mb_buf b;
  mb_buf_init(&b, mb_module_allocator(out));
  mb_link_err e = MB_LINK_OK;
  bool ok = true;
  /* One warning for the whole output, on one line, saying what the user can do: a
   * warning per input (DWARF alone is a dozen sections in each) buried the output of
   * every link of programs built with debug info. DWARF is counted, other sections
   * named. */
  char warn[900];
  size_t nw = 0, nwarned = 0;
  for (uint32_t i = 0; i < l->ninst && ok; i++) {
    const mb_link_inst *in = &l->inst[i];
    char other[300] = "";
    size_t no = 0, ndwarf = 0, nother = 0;
    for (uint32_t c = 0; c < in->m->ncustoms && ok; c++) {
      const mb_custom *cs = &in->m->customs[c];
      if (mb_bytes_eq(cs->name, "name")) {
        ok = collect_names(in, cs->payload, out, lists);
      } else if (mb_bytes_eq(cs->name, "producers")) {
        ok = merge_producers(mb_module_allocator(out), cs->payload, fields, &nfields);
      } else if (mb_bytes_eq(cs->name, "target_features")) {
        /* wasm-ld's note of the features an input was compiled for: dropped without a
         * word, as the output's features are not any one input's, and nothing is lost
         * that anyone could act on (clang writes it into every program using libc) */
      } else if (cs->name.len > 7 && memcmp(cs->name.ptr, ".debug_", 7) == 0) {
        ndwarf++;
      } else {
        nother++;
        if (no < sizeof other - 1)
          no += (size_t)snprintf(other + no, sizeof other - no, "%s'%.*s'", no ? ", " : "",
                                 (int)cs->name.len, (const char *)cs->name.ptr);
      }
    }
    /* the glue's own sections: nothing the user can act on */
    if (!(ndwarf || nother) || in->glue) continue;
    if (nw < sizeof warn - 1)
      nw += (size_t)snprintf(warn + nw, sizeof warn - nw, "%sinstance '%s' (%s): ",
                             nwarned ? "; " : "", in->name, in->path);
    if (ndwarf && nw < sizeof warn - 1)
      nw += (size_t)snprintf(warn + nw, sizeof warn - nw, "DWARF (%zu .debug_* section%s)%s",
                             ndwarf, ndwarf == 1 ? "" : "s", nother ? ", " : "");
    if (nother && nw < sizeof warn - 1)
      nw += (size_t)snprintf(warn + nw, sizeof warn - nw, "%s", other);
    nwarned++;
  }
  if (nwarned)
    mb__link_warn(l, "dropped custom sections that would be wrong in the fused module, from "
                     "%s; to keep them out of the inputs, build without -g or run membrane strip "
                     "--keep-names IN.wasm -o OUT.wasm",
                  warn);
  /* host imports are named module.field; generated functions by what they do */
  for (uint32_t i = 0; i < out->nimports && ok; i++) {
    const mb_import *im = &out->imports[i];
    if (im->kind != MB_KIND_FUNC) continue;
    uint32_t idx = 0;
    for (uint32_t k = 0; k < i; k++) idx += out->imports[k].kind == MB_KIND_FUNC;
    size_t n = (size_t)im->module.len + 1 + im->field.len;
    uint8_t *p = mb_wasm_arena_alloc(out->arena, n);
    if (!p) ok = false;
    else {
      memcpy(p, im->module.ptr, im->module.len);
      p[im->module.len] = '.';
      memcpy(p + im->module.len + 1, im->field.ptr, im->field.len);
      ok = push(mb_module_allocator(out), &lists[SUB_FUNC], idx, (mb_bytes){p, (uint32_t)n});
    }
  }
  for (uint32_t i = 0; i < nextra && ok; i++)
    ok = push(mb_module_allocator(out), &lists[SUB_FUNC], extra_funcs[i],
              (mb_bytes){(const uint8_t *)extra_names[i], (uint32_t)strlen(extra_names[i])});
  if (!ok) {
    e = mb_link_fail(diag, MB_LINK_ERR_NOMEM, 0, "out of memory");
    goto out;
  }
  for (int id = 1; id < NSUB; id++)
    if (id != SUB_MEMORY || !l->single) /* one memory: the instances' memory names are gone */
      put_list(&b, id, &lists[id]);
  /* a failed append leaves len 0 too: add_custom reports it */
  if ((b.len || b.failed) && (e = add_custom(out, "name", &b, diag))) goto out;
  if (nfields) {
    b.len = 0;
    mb_buf_u32(&b, nfields);
    for (uint32_t k = 0; k < nfields; k++) {
      put_name(&b, fields[k].name);
      mb_buf_u32(&b, fields[k].n);
      for (uint32_t j = 0; j < fields[k].n; j++) {
        put_name(&b, fields[k].v[j].name);
        put_name(&b, fields[k].v[j].version);
      }
    }
    e = add_custom(out, "producers", &b, diag);
  }
out:
  for (int id = 0; id < NSUB; id++) mb_mem_free(mb_module_allocator(out), lists[id].v);
  for (uint32_t k = 0; k < 3; k++) mb_mem_free(mb_module_allocator(out), fields[k].v);
  mb_buf_fini(&b);
  return e;
}

/* ---- the resource ABI's description: "membrane:resources" ----
 * version 1: u32 1; vec of instances (name, u8 flags: 1 = takes part in handles); vec of
 * types (u32 definer, name iface, name resource, u8 has destructor). */
#define RES_SECTION "membrane:resources"

mb_link_err mb__link_resources_custom(mb_link *l, mb_module *out, mb_diag *diag) {
  mb_buf b;
  mb_buf_init(&b, mb_module_allocator(out));
  mb_buf_u32(&b, 1);
  mb_buf_u32(&b, l->ninst - 1); /* the glue, last, holds no table */
  for (uint32_t i = 0; i < l->ninst; i++) {
    if ((int)i == l->glue) continue;
    bool handles = false;
    for (uint32_t t = 0; t < l->nrtypes && !handles; t++) handles = l->rtypes[t].definer == (int)i;
    for (uint32_t g = 0; g < l->ngens && !handles; g++) {
      const mb_gen *x = &l->gens[g];
      if (x->kind <= MB_GEN_RES_DESTROY) handles = x->inst == (int)i;
      else if (x->kind == MB_GEN_ADAPTER && x->func->has_handles)
        handles = x->inst == (int)i || x->callee == (int)i;
    }
    put_name(&b, (mb_bytes){(const uint8_t *)l->inst[i].name, (uint32_t)strlen(l->inst[i].name)});
    mb_buf_byte(&b, handles ? 1 : 0);
  }
  mb_buf_u32(&b, l->nrtypes);
  for (uint32_t t = 0; t < l->nrtypes; t++) {
    const mb_rtype *r = &l->rtypes[t];
    mb_buf_u32(&b, (uint32_t)r->definer);
    put_name(&b, (mb_bytes){(const uint8_t *)r->iface, (uint32_t)strlen(r->iface)});
    put_name(&b, (mb_bytes){(const uint8_t *)r->name, (uint32_t)strlen(r->name)});
    mb_buf_byte(&b, r->dtor >= 0 ? 1 : 0);
  }
  mb_link_err e = add_custom(out, RES_SECTION, &b, diag);
  mb_buf_fini(&b);
  return e;
}

mb_link_err mb_link_resources_read(mb_module *m, mb_res_info *out, bool *found, mb_diag *diag) {
  memset(out, 0, sizeof *out);
  *found = false;
  const mb_custom *cs = NULL;
  for (uint32_t i = 0; i < m->ncustoms && !cs; i++)
    if (mb_bytes_eq(m->customs[i].name, RES_SECTION)) cs = &m->customs[i];
  if (!cs) return MB_LINK_OK;
  *found = true;
  mb_wasm_reader r = {cs->payload.ptr, cs->payload.ptr, cs->payload.ptr + cs->payload.len, 0, NULL,
                      mb_module_allocator(m)};
  uint32_t version, n;
  uint8_t flags;
  if (mb_wasm_u32(&r, &version, "") || version != 1 || mb_wasm_u32(&r, &n, "") || n > cs->payload.len)
    goto bad;
  out->insts = mb_module_alloc(m, (size_t)(n ? n : 1) * sizeof *out->insts);
  if (!out->insts) return mb_link_fail(diag, MB_LINK_ERR_NOMEM, 0, "out of memory");
  out->ninsts = n;
  for (uint32_t i = 0; i < n; i++) {
    if (mb_wasm_name(&r, &out->insts[i].name, "") || mb_wasm_byte(&r, &flags, "")) goto bad;
    out->insts[i].handles = flags & 1;
  }
  if (mb_wasm_u32(&r, &n, "") || n > cs->payload.len) goto bad;
  out->types = mb_module_alloc(m, (size_t)(n ? n : 1) * sizeof *out->types);
  if (!out->types) return mb_link_fail(diag, MB_LINK_ERR_NOMEM, 0, "out of memory");
  out->ntypes = n;
  for (uint32_t t = 0; t < n; t++) {
    mb_res_type_info *x = &out->types[t];
    if (mb_wasm_u32(&r, &x->definer, "") || x->definer >= out->ninsts || mb_wasm_name(&r, &x->iface, "") ||
        mb_wasm_name(&r, &x->name, "") || mb_wasm_byte(&r, &flags, ""))
      goto bad;
    x->dtor = flags & 1;
  }
  if (r.pos != r.end) goto bad;
  return MB_LINK_OK;
bad:
  memset(out, 0, sizeof *out);
  return mb_link_fail(diag, MB_LINK_ERR_INPUT, (uint64_t)(r.pos - r.start),
                      "malformed %s custom section", RES_SECTION);
}
