/* fuzz_wit.c — the WIT parser, resolver and canonical ABI on arbitrary text.
 *
 * The input is up to four files separated by NUL bytes (a.wit, b.wit, c.wit, d.wit), so
 * uses across files and packages are reachable. Each is added with mb_wit_add_source,
 * then the set is resolved.
 *
 * Properties:
 * - every failure has a diagnostic whose code is the returned error; an error about the
 *   text carries "FILE:LINE:COLUMN: " naming one of the files, and LINE:COLUMN is where
 *   diag->offset points in that file (columns count characters);
 * - a failed resolve repeats its error when called again;
 * - after a successful resolve, every interface and world is found again by its id,
 *   every function by its core name; every type reachable from them is laid out
 *   consistently (power-of-two alignment dividing the size, fields and payloads inside
 *   the type, flattening counts that add up, has_* flags that are the union of the
 *   children's, handles that point to resources); every function's lift and lower
 *   signatures agree with each other and with the 16-parameter / 1-result limits.
 * And, as for every target (fuzz_common.h), the same run with one allocation failing
 * reports MB_WIT_ERR_NOMEM or produces the same digest, without leaks. */
#include "fuzz_common.h"

#define MAX_FILES 4
static const char *const file_names[MAX_FILES] = {"a.wit", "b.wit", "c.wit", "d.wit"};

typedef struct part {
  const char *text;
  size_t len;
} part;

static size_t split(const uint8_t *data, size_t size, part parts[MAX_FILES]) {
  size_t n = 0, start = 0;
  for (size_t i = 0; i <= size && n < MAX_FILES; i++) {
    if (i == size || (data[i] == 0 && n + 1 < MAX_FILES)) {
      parts[n].text = (const char *)data + start;
      parts[n].len = i - start;
      n++;
      start = i + 1;
    }
  }
  return n;
}

/* Errors about the text of a file. */
static bool positioned(mb_wit_err e) {
  switch (e) {
  case MB_WIT_ERR_SYNTAX:
  case MB_WIT_ERR_UNDEFINED:
  case MB_WIT_ERR_DUPLICATE:
  case MB_WIT_ERR_INVALID:
  case MB_WIT_ERR_BAD_UTF8:
  case MB_WIT_ERR_UNSUPPORTED:
  case MB_WIT_ERR_TOO_MANY:
    return true;
  default:
    return false;
  }
}

static uint64_t record(uint64_t h, mb_wit_err e, const mb_wit_diag *d, const part *parts, size_t nparts) {
  h = fz_hash(h, &e, sizeof e);
  if (!e) return h;
  FUZZ_CHECK(d->code == e, "returned %d but the diagnostic says %d", e, d->code);
  FUZZ_CHECK(strcmp(mb_wit_err_name(e), "unknown error") != 0, "error %d has no name", e);
  size_t mlen = strnlen(d->message, sizeof d->message);
  FUZZ_CHECK(mlen < sizeof d->message, "unterminated message");
  FUZZ_CHECK(mlen > 0, "empty message for %s", mb_wit_err_name(e));
  h = fz_hash(h, d->message, mlen);
  h = fz_hash(h, &d->offset, sizeof d->offset);
  if (!positioned(e)) return h;
  size_t f = 0;
  while (f < nparts && !(strncmp(d->message, file_names[f], 5) == 0 && d->message[5] == ':')) f++;
  FUZZ_CHECK(f < nparts, "%s without a file position: \"%s\"", mb_wit_err_name(e), d->message);
  unsigned line, col;
  int used = 0;
  FUZZ_CHECK(sscanf(d->message + 6, "%u:%u: %n", &line, &col, &used) == 2 && used > 0,
             "no LINE:COLUMN in \"%s\"", d->message);
  FUZZ_CHECK(d->offset <= parts[f].len, "offset %llu past the end of %s (%zu bytes): \"%s\"",
             (unsigned long long)d->offset, file_names[f], parts[f].len, d->message);
  unsigned want_line = 1, want_col = 1;
  for (size_t i = 0; i < d->offset; i++) {
    uint8_t c = (uint8_t)parts[f].text[i];
    if (c == '\n') {
      want_line++;
      want_col = 1;
    } else if ((c & 0xC0) != 0x80) {
      want_col++;
    }
  }
  FUZZ_CHECK(line == want_line && col == want_col,
             "message says %u:%u but offset %llu is %u:%u: \"%s\"", line, col,
             (unsigned long long)d->offset, want_line, want_col, d->message);
  return h;
}

/* ---- a set of visited types (the model is a DAG that can be exponentially wide) ---- */

typedef struct seen {
  const void **slots;
  size_t cap, n;
} seen;

/* true when p was not seen before */
static bool seen_add(seen *s, const void *p) {
  if ((s->n + 1) * 2 > s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 64;
    const void **slots = calloc(cap, sizeof *slots);
    FUZZ_CHECK(slots != NULL, "out of memory in the fuzzer");
    for (size_t i = 0; i < s->cap; i++) {
      if (!s->slots[i]) continue;
      size_t j = ((uintptr_t)s->slots[i] >> 4) & (cap - 1);
      while (slots[j]) j = (j + 1) & (cap - 1);
      slots[j] = s->slots[i];
    }
    free(s->slots);
    s->slots = slots;
    s->cap = cap;
  }
  size_t j = ((uintptr_t)p >> 4) & (s->cap - 1);
  while (s->slots[j]) {
    if (s->slots[j] == p) return false;
    j = (j + 1) & (s->cap - 1);
  }
  s->slots[j] = p;
  s->n++;
  return true;
}

static bool core_type(uint8_t t) {
  return t == MB_WIT_CORE_I32 || t == MB_WIT_CORE_I64 || t == MB_WIT_CORE_F32 ||
         t == MB_WIT_CORE_F64;
}

static uint32_t sat_add(uint32_t a, uint32_t b) { return a > UINT32_MAX - b ? UINT32_MAX : a + b; }

typedef struct walk {
  seen types;
  uint64_t digest;
} walk;

static void check_type(walk *wk, const mb_wit_type *t);

static void child(walk *wk, const mb_wit_type *parent, const mb_wit_type *c, bool *own,
                  bool *borrow, bool *lists) {
  if (!c) return;
  FUZZ_CHECK(c->kind != MB_WIT_RESOURCE, "a resource in a value position of kind %d",
             parent->kind);
  check_type(wk, c);
  *own |= c->has_own;
  *borrow |= c->has_borrow;
  *lists |= c->has_lists;
}

static void check_type(walk *wk, const mb_wit_type *t) {
  if (!seen_add(&wk->types, t)) return;
  wk->digest = fz_hash(wk->digest, &t->kind, sizeof t->kind);
  wk->digest = fz_hash(wk->digest, &t->size, sizeof t->size);
  wk->digest = fz_hash(wk->digest, &t->nflat, sizeof t->nflat);
  if (t->kind == MB_WIT_RESOURCE) {
    FUZZ_CHECK(t->name != NULL, "a resource without a name");
    return;
  }
  FUZZ_CHECK(t->align == 1 || t->align == 2 || t->align == 4 || t->align == 8,
             "alignment %u of a kind %d", t->align, t->kind);
  FUZZ_CHECK(t->size % t->align == 0, "size %u not a multiple of alignment %u (kind %d)",
             t->size, t->align, t->kind);
  FUZZ_CHECK(t->nflat >= 1, "kind %d flattens to nothing", t->kind);
  for (uint32_t i = 0; i < t->nflat && i < MB_WIT_MAX_FLAT_PARAMS; i++)
    FUZZ_CHECK(core_type(t->flat[i]), "flat[%u] = 0x%02x", i, t->flat[i]);
  bool own = false, borrow = false, lists = false;
  uint32_t nflat = 0;
  switch (t->kind) {
  case MB_WIT_OWN:
  case MB_WIT_BORROW:
    FUZZ_CHECK(t->elem && t->elem->kind == MB_WIT_RESOURCE, "a handle to a non-resource");
    check_type(wk, t->elem);
    FUZZ_CHECK(t->size == 4 && t->nflat == 1, "a handle is not one i32");
    own = t->kind == MB_WIT_OWN;
    borrow = !own;
    nflat = 1;
    break;
  case MB_WIT_STRING:
  case MB_WIT_LIST:
    if (t->kind == MB_WIT_LIST) child(wk, t, t->elem, &own, &borrow, &lists);
    FUZZ_CHECK(t->size == 8 && t->align == 4, "a list is not (ptr, len)");
    lists = true;
    nflat = 2;
    break;
  case MB_WIT_TUPLE:
  case MB_WIT_RECORD: {
    FUZZ_CHECK(t->nfields > 0, "an empty record");
    uint64_t end = 0;
    for (uint32_t i = 0; i < t->nfields; i++) {
      const mb_wit_type *f = t->fields[i].type;
      FUZZ_CHECK(f != NULL, "a field without a type");
      child(wk, t, f, &own, &borrow, &lists);
      FUZZ_CHECK(t->fields[i].offset % f->align == 0 && t->fields[i].offset >= end &&
                     (uint64_t)t->fields[i].offset + f->size <= t->size,
                 "field %u at %u (size %u) of a record of size %u", i, t->fields[i].offset,
                 f->size, t->size);
      end = (uint64_t)t->fields[i].offset + f->size;
      nflat = sat_add(nflat, f->nflat);
    }
    break;
  }
  case MB_WIT_OPTION:
  case MB_WIT_RESULT:
  case MB_WIT_VARIANT:
  case MB_WIT_ENUM: {
    const mb_wit_type *payloads[2] = {t->elem, t->err};
    uint32_t n = t->kind == MB_WIT_OPTION ? 1 : t->kind == MB_WIT_RESULT ? 2 : t->nfields;
    uint32_t cases = t->kind == MB_WIT_VARIANT || t->kind == MB_WIT_ENUM ? t->nfields : 2;
    FUZZ_CHECK(cases > 0, "a variant without cases");
    FUZZ_CHECK(t->disc_size == (cases <= 256 ? 1u : cases <= 65536 ? 2u : 4u),
               "discriminant of %u bytes for %u cases", t->disc_size, cases);
    FUZZ_CHECK(t->payload_offset >= t->disc_size, "payload over the discriminant");
    uint32_t most = 0;
    for (uint32_t i = 0; i < n; i++) {
      const mb_wit_type *p = t->kind == MB_WIT_OPTION || t->kind == MB_WIT_RESULT
                                 ? payloads[i]
                                 : t->fields[i].type;
      if (!p) continue;
      FUZZ_CHECK(t->kind != MB_WIT_ENUM, "an enum case with a payload");
      child(wk, t, p, &own, &borrow, &lists);
      FUZZ_CHECK(t->payload_offset % p->align == 0 &&
                     (uint64_t)t->payload_offset + p->size <= t->size,
                 "payload of size %u at %u in a variant of size %u", p->size,
                 t->payload_offset, t->size);
      if (p->nflat > most) most = p->nflat;
    }
    FUZZ_CHECK(t->flat[0] == MB_WIT_CORE_I32, "a variant's discriminant is not i32");
    nflat = sat_add(1, most);
    break;
  }
  case MB_WIT_FLAGS:
    FUZZ_CHECK(t->nfields >= 1 && t->nfields <= 32, "flags with %u labels", t->nfields);
    FUZZ_CHECK(t->size == (t->nfields <= 8 ? 1u : t->nfields <= 16 ? 2u : 4u), "flags size");
    nflat = 1;
    break;
  default:
    FUZZ_CHECK(t->kind <= MB_WIT_STRING, "unknown kind %d", t->kind);
    FUZZ_CHECK(t->size == t->align && t->size >= 1 && t->size <= 8, "primitive size %u",
               t->size);
    nflat = 1;
    break;
  }
  FUZZ_CHECK(t->nflat == nflat, "kind %d flattens to %u values, its parts to %u", t->kind,
             t->nflat, nflat);
  FUZZ_CHECK(t->has_own == own && t->has_borrow == borrow && t->has_lists == lists,
             "kind %d: has_own %d has_borrow %d has_lists %d, its parts %d %d %d", t->kind,
             t->has_own, t->has_borrow, t->has_lists, own, borrow, lists);
}

static void check_func(walk *wk, const mb_wit_func *f, const mb_wit_iface *iface) {
  FUZZ_CHECK(f->core_name && f->name && f->file, "a function without names");
  FUZZ_CHECK(f->iface == iface, "%s: wrong interface", f->core_name);
  if (iface) FUZZ_CHECK(mb_wit_find_func(iface, f->core_name) == f, "%s not found by name",
                        f->core_name);
  bool handles = false, lists = false;
  uint32_t nflat = 0;
  for (uint32_t i = 0; i < f->nparams; i++) {
    const mb_wit_type *t = f->params[i].type;
    FUZZ_CHECK(t && t->kind != MB_WIT_RESOURCE, "%s: parameter %u", f->core_name, i);
    check_type(wk, t);
    handles |= t->has_own || t->has_borrow;
    lists |= t->has_lists;
    nflat = sat_add(nflat, t->nflat);
  }
  if (f->result) {
    check_type(wk, f->result);
    FUZZ_CHECK(!f->result->has_borrow, "%s returns a borrow", f->core_name);
    handles |= f->result->has_own;
    lists |= f->result->has_lists;
  }
  FUZZ_CHECK(f->has_handles == handles && f->has_lists == lists, "%s: has_* flags",
             f->core_name);
  if (f->kind == MB_WIT_FUNC_METHOD)
    FUZZ_CHECK(f->nparams >= 1 && f->params[0].type->kind == MB_WIT_BORROW &&
                   f->params[0].type->elem == f->resource,
               "%s: self is not borrow<resource>", f->core_name);
  if (f->kind == MB_WIT_FUNC_CONSTRUCTOR)
    FUZZ_CHECK(f->result && f->result->kind == MB_WIT_OWN && f->result->elem == f->resource,
               "%s: does not return own<resource>", f->core_name);

  mb_wit_core_sig lift, lower;
  mb_wit_func_sig(f, MB_WIT_LIFT, &lift);
  mb_wit_func_sig(f, MB_WIT_LOWER, &lower);
  FUZZ_CHECK(lift.nparams <= 16 && lower.nparams <= 17 && lift.nresults <= 1 &&
                 lower.nresults <= 1,
             "%s: %u/%u params, %u/%u results", f->core_name, lift.nparams, lower.nparams,
             lift.nresults, lower.nresults);
  FUZZ_CHECK(lift.params_in_memory == (nflat > 16) && lower.params_in_memory == (nflat > 16),
             "%s: %u flat params, in memory %d/%d", f->core_name, nflat,
             lift.params_in_memory, lower.params_in_memory);
  FUZZ_CHECK(lift.nparams == (nflat > 16 ? 1 : nflat), "%s: lifted params", f->core_name);
  if (lift.params_in_memory) FUZZ_CHECK(lift.params[0] == MB_WIT_CORE_I32, "pointer not i32");
  bool spill = f->result && f->result->nflat > 1;
  FUZZ_CHECK(lift.result_in_memory == spill && lower.result_in_memory == spill,
             "%s: result in memory", f->core_name);
  FUZZ_CHECK(memcmp(lift.params, lower.params, lift.nparams * sizeof *lift.params) == 0, "%s: params differ",
             f->core_name);
  if (spill) {
    FUZZ_CHECK(lift.nresults == 1 && lift.results[0] == MB_WIT_CORE_I32 && lower.nresults == 0 &&
                   lower.nparams == lift.nparams + 1 &&
                   lower.params[lift.nparams] == MB_WIT_CORE_I32,
               "%s: return pointer", f->core_name);
  } else {
    FUZZ_CHECK(lift.nparams == lower.nparams && lift.nresults == lower.nresults &&
                   lift.nresults == (f->result ? 1u : 0u) &&
                   (!f->result || lift.results[0] == f->result->flat[0]),
               "%s: lift and lower differ", f->core_name);
  }
  for (uint32_t i = 0; i < lower.nparams; i++)
    FUZZ_CHECK(core_type(lower.params[i]), "%s: param %u", f->core_name, i);
  wk->digest = fz_hash(wk->digest, f->core_name, strlen(f->core_name));
  wk->digest = fz_hash(wk->digest, &lower, sizeof lower);
}

static void check_iface(walk *wk, const mb_wit_iface *i) {
  for (uint32_t k = 0; k < i->ntypes; k++) {
    FUZZ_CHECK(mb_wit_find_type(i, i->types[k].name) != NULL, "type %s not found",
               i->types[k].name);
    check_type(wk, i->types[k].type);
  }
  for (uint32_t k = 0; k < i->nresources; k++)
    FUZZ_CHECK(i->resources[k]->kind == MB_WIT_RESOURCE && i->resources[k]->iface == i,
               "resource %u of %s", k, i->id);
  for (uint32_t k = 0; k < i->nfuncs; k++) check_func(wk, i->funcs[k], i);
  wk->digest = fz_hash(wk->digest, i->id, strlen(i->id));
}

static void check_model(walk *wk, const mb_wit *w) {
  for (uint32_t k = 0; k < mb_wit_interface_count(w); k++) {
    const mb_wit_iface *i = mb_wit_interface_at(w, k);
    FUZZ_CHECK(mb_wit_find_interface(w, i->id) == i, "interface %s not found by id", i->id);
    check_iface(wk, i);
  }
  for (uint32_t k = 0; k < mb_wit_world_count(w); k++) {
    const mb_wit_world *world = mb_wit_world_at(w, k);
    FUZZ_CHECK(mb_wit_find_world(w, world->id) == world, "world %s not found", world->id);
    bool explicit_seen = false;
    for (uint32_t n = 0; n < world->nimports + world->nexports; n++) {
      bool imp = n < world->nimports;
      const mb_wit_world_item *it = imp ? &world->imports[n] : &world->exports[n - world->nimports];
      FUZZ_CHECK(it->name && (!it->iface != !it->func), "world %s item %u", world->id, n);
      FUZZ_CHECK(!it->implicit || (imp && !explicit_seen), "implicit import after explicit");
      if (imp && !it->implicit) explicit_seen = true;
      if (it->func) check_func(wk, it->func, NULL);
      if (it->iface && !it->iface->package) check_iface(wk, it->iface); /* inline */
      wk->digest = fz_hash(wk->digest, it->name, strlen(it->name));
    }
  }
}

static fz_result steps(const uint8_t *data, size_t size, bool injecting, uint64_t *digest) {
  part parts[MAX_FILES];
  size_t nparts = split(data, size, parts);
  mb_wit *w = mb_wit_new(FA);
  if (!w) {
    FUZZ_CHECK(injecting, "mb_wit_new failed");
    return FZ_STOPPED;
  }
  fz_result res = FZ_STOPPED;
  mb_wit_diag d;
  /* a file that fails to add (any error in its text) leaves the set as it was */
  for (size_t i = 0; i < nparts; i++) {
    memset(&d, 0, sizeof d);
    mb_wit_err e = mb_wit_add_source(w, file_names[i], parts[i].text, parts[i].len, &d);
    if (e == MB_WIT_ERR_NOMEM && injecting) goto out;
    *digest = record(*digest, e, &d, parts, nparts);
  }
  memset(&d, 0, sizeof d);
  mb_wit_err e = mb_wit_resolve(w, &d);
  if (e == MB_WIT_ERR_NOMEM && injecting) goto out;
  *digest = record(*digest, e, &d, parts, nparts);
  if (e) {
    FUZZ_CHECK(mb_wit_interface_count(w) == 0 && mb_wit_world_count(w) == 0,
               "a failed resolve lists interfaces");
    mb_wit_err again = mb_wit_resolve(w, &d);
    FUZZ_CHECK(again == e, "a failed set resolved again gives %s, not %s", mb_wit_err_name(again),
               mb_wit_err_name(e));
  } else {
    walk wk = {.digest = *digest};
    check_model(&wk, w);
    free(wk.types.slots);
    *digest = wk.digest;
    e = mb_wit_resolve(w, &d);
    FUZZ_CHECK(e == MB_WIT_ERR_USAGE, "resolving twice gives %s", mb_wit_err_name(e));
  }
  res = FZ_DONE;
out:
  mb_wit_free(w);
  return res;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_run_with_oom(steps, data, size);
  return 0;
}
