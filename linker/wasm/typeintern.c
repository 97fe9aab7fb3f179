/* wasm/typeintern.c — bringing types of other modules into one module, by the spec's
 * iso-recursive type equivalence, and subtyping within a module.
 *
 * Two rec groups define the same types when they have as many members, and member by
 * member the same form, finality, fields or signature, and supertype, where a reference
 * to a member of the group counts by its position in the group and a reference outside
 * it by the (already interned) type it names. So each group gets a key: its members
 * serialized with inner references as positions and outer ones as destination indices.
 * Groups of the destination are hashed by key once; a source group whose key is found
 * maps onto that group, any other is appended whole. Bare function types (no GC) are
 * groups of one: the same rule merges identical signatures, as the linker always did. */
#include <string.h>

#include "internal.h"

typedef struct slot {
  uint64_t hash; /* 0: empty */
  uint32_t first, key_off, key_len;
} slot;

struct mb_type_interner {
  mb_module *dst;
  slot *slots;
  uint32_t nslots, used; /* nslots a power of two, at most half used */
  mb_buf keys;           /* every group's key, back to back */
  mb_buf key;            /* scratch: the key being looked up */
};

static mb_err nomem(mb_diag *diag) {
  return mb_wasm_fail(diag, MB_ERR_NOMEM, 0, "out of memory while merging types");
}

/* ---- keys ---- */

/* Where a group's references lead: members g .. g+n-1 of the module it is read from are
 * inner (by position); an index below g is outer, named by map (NULL: itself). */
typedef struct frame {
  uint32_t g, n;
  const uint32_t *map;
  uint32_t map_len;
} frame;

enum { REF_INNER = 1, REF_OUTER = 2 };

static bool key_ref(mb_buf *k, const frame *fr, uint32_t x) {
  if (x >= fr->g && x - fr->g < fr->n) {
    mb_buf_byte(k, REF_INNER);
    mb_buf_u32(k, x - fr->g);
    return true;
  }
  if (fr->map && x >= fr->map_len) return false; /* a forward reference out of the group */
  mb_buf_byte(k, REF_OUTER);
  mb_buf_u32(k, fr->map ? fr->map[x] : x);
  return true;
}

static bool key_valtype(mb_buf *k, const frame *fr, mb_valtype t) {
  if (!mb_valtype_has_index(t)) {
    mb_buf_u64(k, t);
    return true;
  }
  mb_buf_byte(k, mb_valtype_code(t));
  return key_ref(k, fr, mb_valtype_heap(t));
}

static bool key_member(mb_buf *k, const frame *fr, const mb_functype *ft, const mb_typedef *td) {
  uint8_t form = td ? td->form : MB_COMP_FUNC;
  mb_buf_byte(k, form);
  mb_buf_byte(k, td && td->sub == MB_SUB_OPEN ? 0 : 1); /* no prefix means final */
  bool ok = true;
  if (td && td->has_super) {
    mb_buf_byte(k, 1);
    ok = key_ref(k, fr, td->super);
  } else {
    mb_buf_byte(k, 0);
  }
  if (form == MB_COMP_FUNC) {
    mb_buf_u32(k, ft->nparams);
    for (uint32_t i = 0; i < ft->nparams && ok; i++) ok = key_valtype(k, fr, ft->params[i]);
    mb_buf_u32(k, ft->nresults);
    for (uint32_t i = 0; i < ft->nresults && ok; i++) ok = key_valtype(k, fr, ft->results[i]);
  } else {
    mb_buf_u32(k, td->nfields);
    for (uint32_t i = 0; i < td->nfields && ok; i++) {
      mb_buf_byte(k, td->fields[i].mutable_);
      ok = key_valtype(k, fr, td->fields[i].type);
    }
  }
  return ok;
}

/* The key of m's group at g (n members), references outside it through fr->map. */
static bool key_group(mb_buf *k, const mb_module *m, const frame *fr) {
  k->len = 0;
  mb_buf_u32(k, fr->n);
  bool ok = true;
  for (uint32_t j = 0; j < fr->n && ok; j++)
    ok = key_member(k, fr, &m->types[fr->g + j], m->typedefs ? &m->typedefs[fr->g + j] : NULL);
  return ok;
}

static uint64_t hash_bytes(const uint8_t *p, size_t n) {
  uint64_t h = 0xcbf29ce484222325u; /* FNV-1a */
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3u;
  return h ? h : 1;
}

/* ---- the table ---- */

static slot *find(mb_type_interner *ti, uint64_t h, const mb_buf *k) {
  for (uint32_t i = (uint32_t)h & (ti->nslots - 1);; i = (i + 1) & (ti->nslots - 1)) {
    slot *s = &ti->slots[i];
    if (!s->hash || (s->hash == h && s->key_len == k->len &&
                     memcmp(ti->keys.data + s->key_off, k->data, k->len) == 0))
      return s;
  }
}

static bool rehash(mb_type_interner *ti) {
  uint32_t n = ti->nslots ? ti->nslots * 2 : 64;
  slot *old = ti->slots, *nw = mb_mem_calloc(&ti->keys.alloc, n, sizeof *nw);
  if (!nw) return false;
  uint32_t on = ti->nslots;
  ti->slots = nw;
  ti->nslots = n;
  for (uint32_t i = 0; i < on; i++) {
    if (!old[i].hash) continue;
    uint32_t j = (uint32_t)old[i].hash & (n - 1);
    while (nw[j].hash) j = (j + 1) & (n - 1);
    nw[j] = old[i];
  }
  mb_mem_free(&ti->keys.alloc, old);
  return true;
}

/* Record the key in ti->key as the group at first. */
static bool insert(mb_type_interner *ti, slot *s, uint64_t h, uint32_t first) {
  if (ti->keys.len > UINT32_MAX - ti->key.len) return false;
  *s = (slot){h, first, (uint32_t)ti->keys.len, (uint32_t)ti->key.len};
  mb_buf_append(&ti->keys, ti->key.data, ti->key.len);
  if (ti->keys.failed) return false;
  return ++ti->used * 2 <= ti->nslots || rehash(ti);
}

/* ---- building groups in dst ---- */

/* dst gets typedefs (all plain function types so far) before its first GC type. */
static bool ensure_typedefs(mb_module *m) {
  if (m->typedefs) return true;
  uint32_t room = m->room[MB_SEC_TYPE] > m->ntypes ? m->room[MB_SEC_TYPE] : m->ntypes;
  mb_typedef *td = mb_wasm_arena_array(m->arena, room ? room : 1, sizeof *td);
  if (!td) return false;
  for (uint32_t i = 0; i < m->ntypes; i++)
    td[i] = (mb_typedef){.form = MB_COMP_FUNC, .rec = i, .rec_size = 1};
  m->typedefs = td;
  return true;
}

static uint32_t map_ref(const frame *fr, uint32_t base, uint32_t x) {
  if (x >= fr->g && x - fr->g < fr->n) return base + (x - fr->g);
  return fr->map ? fr->map[x] : x;
}

static mb_valtype map_valtype(const frame *fr, uint32_t base, mb_valtype t) {
  if (!mb_valtype_has_index(t)) return t;
  return mb_valtype_ref(mb_valtype_nullable(t), map_ref(fr, base, mb_valtype_heap(t)));
}

/* Append src's types first .. first+n-1 to dst as one group, references renumbered
 * through fr. */
static mb_err append_group(mb_module *dst, const mb_module *src, uint32_t first, uint32_t n,
                           const frame *fr, mb_diag *diag) {
  uint32_t base = dst->ntypes;
  bool gc = src->typedefs != NULL;
  if (mb__module_grow(dst, MB_SEC_TYPE, n) || ((gc || dst->typedefs) && !ensure_typedefs(dst)))
    return nomem(diag);
  for (uint32_t j = 0; j < n; j++) {
    const mb_functype *ft = &src->types[first + j];
    mb_valtype *v = mb_wasm_arena_array(dst->arena, (size_t)ft->nparams + ft->nresults + 1, sizeof *v);
    if (!v) return nomem(diag);
    for (uint32_t i = 0; i < ft->nparams; i++) v[i] = map_valtype(fr, base, ft->params[i]);
    for (uint32_t i = 0; i < ft->nresults; i++)
      v[ft->nparams + i] = map_valtype(fr, base, ft->results[i]);
    dst->types[base + j] = (mb_functype){ft->nparams, ft->nresults, v, v + ft->nparams};
    if (!dst->typedefs) continue;
    mb_typedef td = {.form = MB_COMP_FUNC, .rec = base, .rec_size = n};
    if (gc) {
      td = src->typedefs[first + j];
      td.rec = base;
      td.rec_size = n;
      if (td.has_super) td.super = map_ref(fr, base, td.super);
      if (td.nfields) {
        mb_field *f = mb_wasm_arena_array(dst->arena, td.nfields, sizeof *f);
        if (!f) return nomem(diag);
        for (uint32_t i = 0; i < td.nfields; i++)
          f[i] = (mb_field){map_valtype(fr, base, td.fields[i].type), td.fields[i].mutable_};
        td.fields = f;
      }
    }
    dst->typedefs[base + j] = td;
  }
  dst->ntypes += n;
  mb_module_mark_dirty(dst, MB_SEC_TYPE);
  return MB_OK;
}

/* ---- the interface ---- */

mb_err mb_type_interner_new(mb_module *dst, mb_type_interner **out, mb_diag *diag) {
  *out = NULL;
  mb_type_interner *ti = mb_mem_calloc(mb_module_allocator(dst), 1, sizeof *ti);
  if (!ti) return nomem(diag);
  ti->dst = dst;
  mb_buf_init(&ti->keys, mb_module_allocator(dst)); /* keys.alloc: the interner's */
  mb_buf_init(&ti->key, mb_module_allocator(dst));
  if (!rehash(ti)) goto fail;
  for (uint32_t g = 0; g < dst->ntypes;) {
    uint32_t n = dst->typedefs && dst->typedefs[g].rec_size ? dst->typedefs[g].rec_size : 1;
    frame fr = {g, n, NULL, 0};
    key_group(&ti->key, dst, &fr);
    if (ti->key.failed) goto fail;
    uint64_t h = hash_bytes(ti->key.data, ti->key.len);
    slot *s = find(ti, h, &ti->key);
    if (!s->hash && !insert(ti, s, h, g)) goto fail; /* of two equal groups, the first */
    g += n;
  }
  *out = ti;
  return MB_OK;
fail:
  mb_type_interner_free(ti);
  return nomem(diag);
}

void mb_type_interner_free(mb_type_interner *ti) {
  if (!ti) return;
  mb_allocator a = ti->keys.alloc;
  mb_mem_free(&a, ti->slots);
  mb_buf_fini(&ti->keys);
  mb_buf_fini(&ti->key);
  mb_mem_free(&a, ti);
}

mb_err mb_type_interner_add_module(mb_type_interner *ti, const mb_module *src, uint32_t *map,
                                   mb_diag *diag) {
  for (uint32_t g = 0; g < src->ntypes;) {
    uint32_t n = src->typedefs ? src->typedefs[g].rec_size : 1;
    if (!n || n > src->ntypes - g)
      return mb_wasm_fail(diag, MB_ERR_INVALID_ARG, 0, "type %u: a malformed rec group", g);
    frame fr = {g, n, map, g};
    if (!key_group(&ti->key, src, &fr))
      return mb_wasm_fail(diag, MB_ERR_INDEX_RANGE, 0,
                          "type %u refers to a later type outside its rec group", g);
    if (ti->key.failed) return nomem(diag);
    uint64_t h = hash_bytes(ti->key.data, ti->key.len);
    slot *s = find(ti, h, &ti->key);
    uint32_t first;
    if (s->hash) {
      first = s->first;
    } else {
      first = ti->dst->ntypes;
      mb_err e = append_group(ti->dst, src, g, n, &fr, diag);
      if (e) return e;
      if (!insert(ti, s, h, first)) return nomem(diag);
    }
    for (uint32_t j = 0; j < n; j++) map[g + j] = first + j;
    g += n;
  }
  return MB_OK;
}

mb_err mb_type_interner_add_func(mb_type_interner *ti, const mb_functype *t, uint32_t *index,
                                 mb_diag *diag) {
  /* a bare function type whose references are already dst's: a group of one */
  mb_module one = {.ntypes = 1, .types = (mb_functype *)t};
  frame fr = {UINT32_MAX, 0, NULL, 0};
  ti->key.len = 0;
  mb_buf_u32(&ti->key, 1);
  key_member(&ti->key, &fr, t, NULL);
  if (ti->key.failed) return nomem(diag);
  uint64_t h = hash_bytes(ti->key.data, ti->key.len);
  slot *s = find(ti, h, &ti->key);
  if (s->hash) {
    *index = s->first;
    return MB_OK;
  }
  *index = ti->dst->ntypes;
  mb_err e = append_group(ti->dst, &one, 0, 1, &fr, diag); /* fr: nothing inner */
  if (e) return e;
  return insert(ti, s, h, *index) ? MB_OK : nomem(diag);
}

/* ---- subtyping ---- */

bool mb_module_type_sub(const mb_module *m, uint32_t a, uint32_t b) {
  for (uint32_t steps = 0; steps <= m->ntypes; steps++) {
    if (a == b) return true;
    if (!m->typedefs || a >= m->ntypes || !m->typedefs[a].has_super) return false;
    a = m->typedefs[a].super;
  }
  return false; /* a cycle: not a valid module */
}

enum {
  HT_EXN = 0x69, HT_ARRAY = 0x6A, HT_STRUCT = 0x6B, HT_I31 = 0x6C, HT_EQ = 0x6D,
  HT_ANY = 0x6E, HT_EXTERN = 0x6F, HT_FUNC = 0x70, HT_NONE = 0x71, HT_NOEXTERN = 0x72,
  HT_NOFUNC = 0x73, HT_NOEXN = 0x74,
};

/* The abstract heap type standing for h: itself, or for a type index its form's
 * (func, struct, array). */
static uint8_t abstract_of(const mb_module *m, mb_heaptype h) {
  if (!mb_heap_is_index(h)) return (uint8_t)h;
  uint8_t form = m->typedefs && h < m->ntypes ? m->typedefs[h].form : MB_COMP_FUNC;
  return form == MB_COMP_STRUCT ? HT_STRUCT : form == MB_COMP_ARRAY ? HT_ARRAY : HT_FUNC;
}

static uint8_t top_of(uint8_t a) {
  switch (a) {
  case HT_FUNC: case HT_NOFUNC: return HT_FUNC;
  case HT_EXTERN: case HT_NOEXTERN: return HT_EXTERN;
  case HT_EXN: case HT_NOEXN: return HT_EXN;
  default: return HT_ANY;
  }
}

static bool heap_sub(const mb_module *m, mb_heaptype a, mb_heaptype b) {
  if (a == b) return true;
  uint8_t aa = abstract_of(m, a), ab = abstract_of(m, b);
  if (top_of(aa) != top_of(ab)) return false;
  if (!mb_heap_is_index(a) && (aa == HT_NONE || aa == HT_NOFUNC || aa == HT_NOEXTERN || aa == HT_NOEXN))
    return true; /* a bottom type */
  if (mb_heap_is_index(b)) return mb_heap_is_index(a) && mb_module_type_sub(m, a, b);
  switch (ab) {
  case HT_ANY: case HT_FUNC: case HT_EXTERN: case HT_EXN: return true;
  case HT_EQ: return aa == HT_I31 || aa == HT_STRUCT || aa == HT_ARRAY || aa == HT_EQ;
  case HT_STRUCT: case HT_ARRAY: return aa == ab;
  default: return false;
  }
}

bool mb_module_valtype_sub(const mb_module *m, mb_valtype a, mb_valtype b) {
  if (a == b) return true;
  if (!mb_valtype_is_ref(a) || !mb_valtype_is_ref(b)) return false;
  if (mb_valtype_nullable(a) && !mb_valtype_nullable(b)) return false;
  return heap_sub(m, mb_valtype_heap(a), mb_valtype_heap(b));
}
