/* wit/resolve.c — WIT packages: adding files and directories, binding names across
 * interfaces and packages, checking the rules one file cannot show, listing worlds'
 * imports and exports, and the lookups of membrane_link.h.
 *
 * Resolution runs in dependency order: interfaces are sorted so that every interface
 * comes after the ones it `use`s (a cycle is an error), then each type is resolved
 * depth-first with memoisation (a node being resolved that is met again is a recursive
 * type). Each node is visited once, so resolution is linear in the size of the input
 * even when types share structure, and the depth of the recursion is bounded by
 * WIT_MAX_DEPTH within one interface. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

#define TRY(x)                \
  do {                        \
    mb_wit_err e_ = (x);          \
    if (e_) return e_;        \
  } while (0)

static mb_wit_err nomem(mb_wit_diag *diag) {
  return mb__wit_fail(diag, MB_WIT_ERR_NOMEM, NULL, "out of memory");
}

mb_wit *mb_wit_new(const mb_allocator *alloc) {
  mb_arena *a = mb_wasm_arena_new(alloc);
  if (!a) return NULL;
  mb_wit *w = mb_wasm_arena_alloc(a, sizeof *w);
  if (!w) {
    mb_wasm_arena_free(a);
    return NULL;
  }
  w->arena = a;
  return w;
}

void mb_wit_free(mb_wit *w) {
  if (w) mb_wasm_arena_free(w->arena);
}

/* ---- adding files ---- */

/* Refuse work on a set that is resolved or was left inconsistent. */
static mb_wit_err usable(mb_wit *w, mb_wit_diag *diag) {
  if (!w) return mb__wit_fail(diag, MB_WIT_ERR_USAGE, NULL, "no WIT set");
  if (w->broken) {
    if (diag) *diag = w->broken_diag;
    return w->broken;
  }
  if (w->resolved)
    return mb__wit_fail(diag, MB_WIT_ERR_USAGE, NULL,
                        "the WIT set is already resolved: add files before mb_wit_resolve");
  return MB_WIT_OK;
}

/* diag is never NULL here: the public functions substitute a local one */
static mb_wit_err poison(mb_wit *w, mb_wit_err e, const mb_wit_diag *diag) {
  w->broken = e;
  w->broken_diag = *diag;
  return e;
}

static bool same(const char *a, const char *b) {
  return a == b || (a && b && strcmp(a, b) == 0);
}

/* Put a parsed file into the package (ns:name@version), made on first use. */
static mb_wit_err attach(mb_wit *w, wit_file *f, const char *ns, const char *name,
                         const char *version, mb_wit_diag *diag) {
  wit_pkg *pkg = NULL;
  for (uint32_t i = 0; i < w->pkgs.n && !pkg; i++) {
    wit_pkg *q = w->pkgs.data[i];
    if (same(q->ns, ns) && same(q->name, name) && same(q->version, version)) pkg = q;
  }
  /* nothing changes unless everything was allocated */
  bool fresh = !pkg;
  if (fresh) {
    if (!(pkg = mb_wasm_arena_alloc(w->arena, sizeof *pkg))) return nomem(diag);
    pkg->ns = ns;
    pkg->name = name;
    pkg->version = version;
    pkg->id = version ? mb__wit_printf(w->arena, "%s:%s@%s", ns, name, version)
                      : mb__wit_printf(w->arena, "%s:%s", ns, name);
    if (!pkg->id) return nomem(diag);
  }
  if (!mb__wit_vec_push(w->arena, &pkg->files, f)) return nomem(diag);
  if (fresh && !mb__wit_vec_push(w->arena, &w->pkgs, pkg)) {
    pkg->files.n--;
    return nomem(diag);
  }
  f->package = pkg;
  w->nfiles++;
  return MB_WIT_OK;
}

static mb_wit_err add_parsed(mb_wit *w, wit_file *f, mb_wit_diag *diag) {
  if (!f->has_package) {
    wit_pos start = {f->name, 0, 1, 1};
    return mb__wit_fail(diag, MB_WIT_ERR_INVALID, &start,
                        "no package declaration: expected 'package ns:name;' at the top");
  }
  return attach(w, f, f->ns, f->pkg, f->version, diag);
}

mb_wit_err mb_wit_add_source(mb_wit *w, const char *filename, const char *text, size_t len,
                             mb_wit_diag *diag) {
  mb_wit_diag local;
  if (!diag) diag = &local;
  TRY(usable(w, diag));
  if (!text && len) return mb__wit_fail(diag, MB_WIT_ERR_USAGE, NULL, "no text");
  wit_file *f;
  TRY(mb__wit_parse(w, filename ? filename : "<input>", text ? text : "", len, &f, diag));
  uint32_t before = w->nfiles;
  mb_wit_err e = add_parsed(w, f, diag);
  if (e && w->nfiles != before) poison(w, e, diag);
  return e;
}

static mb_wit_err read_text(const mb_allocator *alloc, const char *path, uint8_t **data, size_t *len,
                            mb_wit_diag *diag) {
  struct stat st;
  if (stat(path, &st) != 0)
    return mb__wit_fail(diag, MB_WIT_ERR_IO, NULL, "cannot open %s: %s", path, strerror(errno));
  if ((uint64_t)st.st_size > WIT_MAX_SOURCE)
    return mb__wit_fail(diag, MB_WIT_ERR_TOO_MANY, NULL,
                        "%s is %llu bytes; WIT files are limited to %u", path,
                        (unsigned long long)st.st_size, WIT_MAX_SOURCE);
  mb_diag fd;
  switch (mb_file_read(alloc, path, data, len, &fd)) {
  case MB_OK: return MB_WIT_OK;
  case MB_ERR_NOMEM: return mb__wit_fail(diag, MB_WIT_ERR_NOMEM, NULL, "%s", fd.message);
  default: return mb__wit_fail(diag, MB_WIT_ERR_IO, NULL, "%s", fd.message);
  }
}

static mb_wit_err parse_path_file(mb_wit *w, const char *path, wit_file **f, mb_wit_diag *diag) {
  uint8_t *data;
  size_t len;
  const mb_allocator *alloc = mb_wasm_arena_allocator(w->arena);
  TRY(read_text(alloc, path, &data, &len, diag));
  mb_wit_err e = mb__wit_parse(w, path, (const char *)data, len, f, diag);
  mb_file_free(alloc, data, len);
  return e;
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The entries of a directory (no dot files), sorted, as paths in the arena. Only
 * regular files ending in `suffix` when given, else files and directories. */
static mb_wit_err list_dir(mb_wit *w, const char *dir, const char *suffix, wit_vec *out,
                           mb_wit_diag *diag) {
  DIR *d = opendir(dir);
  if (!d)
    return mb__wit_fail(diag, MB_WIT_ERR_IO, NULL, "cannot open directory %s: %s", dir,
                        strerror(errno));
  mb_wit_err e = MB_WIT_OK;
  struct dirent *ent;
  while ((ent = readdir(d))) {
    if (ent->d_name[0] == '.') continue;
    if (suffix && !ends_with(ent->d_name, suffix)) continue;
    size_t n = strlen(dir);
    char *path = mb__wit_printf(w->arena, "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/",
                                ent->d_name);
    if (!path) {
      e = nomem(diag);
      break;
    }
    struct stat st;
    if (stat(path, &st) != 0) continue; /* a dangling link is not a WIT file */
    if (!S_ISREG(st.st_mode) && (suffix || !S_ISDIR(st.st_mode))) continue;
    if (!mb__wit_vec_push(w->arena, out, path)) {
      e = nomem(diag);
      break;
    }
  }
  closedir(d);
  if (!e && out->n) qsort(out->data, out->n, sizeof *out->data, by_name);
  return e;
}

static mb_wit_err add_path(mb_wit *w, const char *path, bool with_deps, mb_wit_diag *diag);

/* A directory of .wit files is one package: every file that declares it agrees. */
static mb_wit_err add_dir(mb_wit *w, const char *dir, bool with_deps, mb_wit_diag *diag) {
  wit_vec paths = {0};
  TRY(list_dir(w, dir, ".wit", &paths, diag));
  if (!paths.n) return mb__wit_fail(diag, MB_WIT_ERR_IO, NULL, "%s: no .wit files in the directory", dir);
  wit_file **files = mb_wasm_arena_array(w->arena, paths.n, sizeof *files);
  if (!files) return nomem(diag);
  const wit_file *decl = NULL;
  for (uint32_t i = 0; i < paths.n; i++) {
    TRY(parse_path_file(w, paths.data[i], &files[i], diag));
    wit_file *f = files[i];
    if (!f->has_package) continue;
    if (!decl) {
      decl = f;
    } else if (!same(f->ns, decl->ns) || !same(f->pkg, decl->pkg) ||
               !same(f->version, decl->version)) {
      return mb__wit_fail(diag, MB_WIT_ERR_INVALID, &f->package_pos,
                          "package '%s:%s%s%s' differs from '%s:%s%s%s' declared in %s: the "
                          "files of a directory are one package",
                          f->ns, f->pkg, f->version ? "@" : "", f->version ? f->version : "",
                          decl->ns, decl->pkg, decl->version ? "@" : "",
                          decl->version ? decl->version : "", decl->name);
    }
  }
  if (!decl)
    return mb__wit_fail(diag, MB_WIT_ERR_INVALID, NULL,
                        "%s: no file declares the package: expected 'package ns:name;' at the "
                        "top of one of them", dir);
  for (uint32_t i = 0; i < paths.n; i++)
    TRY(attach(w, files[i], decl->ns, decl->pkg, decl->version, diag));
  if (!with_deps) return MB_WIT_OK;
  /* deps/: one package per entry, a .wit file or a directory */
  size_t n = strlen(dir);
  char *deps = mb__wit_printf(w->arena, "%s%sdeps", dir, n && dir[n - 1] == '/' ? "" : "/");
  if (!deps) return nomem(diag);
  struct stat st;
  if (stat(deps, &st) != 0 || !S_ISDIR(st.st_mode)) return MB_WIT_OK;
  wit_vec entries = {0};
  TRY(list_dir(w, deps, NULL, &entries, diag));
  for (uint32_t i = 0; i < entries.n; i++) {
    const char *entry = entries.data[i];
    if (stat(entry, &st) == 0 && S_ISREG(st.st_mode) && !ends_with(entry, ".wit")) continue;
    TRY(add_path(w, entry, false, diag));
  }
  return MB_WIT_OK;
}

static mb_wit_err add_path(mb_wit *w, const char *path, bool with_deps, mb_wit_diag *diag) {
  struct stat st;
  if (stat(path, &st) != 0)
    return mb__wit_fail(diag, MB_WIT_ERR_IO, NULL, "cannot open %s: %s", path, strerror(errno));
  if (S_ISDIR(st.st_mode)) return add_dir(w, path, with_deps, diag);
  if (!S_ISREG(st.st_mode))
    return mb__wit_fail(diag, MB_WIT_ERR_IO, NULL, "%s is neither a file nor a directory", path);
  wit_file *f;
  TRY(parse_path_file(w, path, &f, diag));
  return add_parsed(w, f, diag);
}

mb_wit_err mb_wit_add_path(mb_wit *w, const char *path, mb_wit_diag *diag) {
  mb_wit_diag local;
  if (!diag) diag = &local;
  TRY(usable(w, diag));
  uint32_t before = w->nfiles;
  mb_wit_err e = add_path(w, path, true, diag);
  /* a failure after part of the tree was added leaves a set nobody asked for */
  if (e && w->nfiles != before) poison(w, e, diag);
  return e;
}

/* ---- resolution ---- */

typedef struct rctx {
  mb_wit *w;
  mb_wit_diag *diag;
} rctx;

static const char *scope_id(const wit_scope *s) {
  return s->is_world ? s->pub.world.id : s->pub.iface.id;
}

static mb_wit_err lookup_iface(rctx *r, const wit_file *file, const wit_path *path,
                               wit_scope **out) {
  wit_scope *s;
  if (!path->ns) {
    s = mb__wit_map_get(&file->use_names, path->name);
    if (!s) s = mb__wit_map_get(&file->package->names, path->name);
    if (!s)
      return mb__wit_fail(r->diag, MB_WIT_ERR_UNDEFINED, &path->pos,
                          "unknown interface '%.60s': expected an interface of package '%s' "
                          "or a name from a top-level 'use'",
                          path->name, file->package->id);
  } else {
    wit_pkg *pkg = NULL;
    unsigned matches = 0;
    for (uint32_t i = 0; i < r->w->pkgs.n; i++) {
      wit_pkg *q = r->w->pkgs.data[i];
      if (!same(q->ns, path->ns) || !same(q->name, path->pkg)) continue;
      if (path->version && !same(q->version, path->version)) continue;
      pkg = q;
      matches++;
    }
    if (!pkg)
      return mb__wit_fail(r->diag, MB_WIT_ERR_UNDEFINED, &path->pos,
                          "package '%.40s:%.40s%s%.40s' is not loaded (add its WIT with --wit)",
                          path->ns, path->pkg, path->version ? "@" : "",
                          path->version ? path->version : "");
    if (matches > 1)
      return mb__wit_fail(r->diag, MB_WIT_ERR_INVALID, &path->pos,
                          "several versions of package '%.40s:%.40s' are loaded: expected a "
                          "version ('%.40s:%.40s/%.40s@X.Y.Z')",
                          path->ns, path->pkg, path->ns, path->pkg, path->name);
    s = mb__wit_map_get(&pkg->names, path->name);
    if (!s)
      return mb__wit_fail(r->diag, MB_WIT_ERR_UNDEFINED, &path->pos,
                          "interface '%.60s' is not defined in package '%s'", path->name,
                          pkg->id);
  }
  if (s->is_world)
    return mb__wit_fail(r->diag, MB_WIT_ERR_INVALID, &path->pos,
                        "'%.60s' is a world: expected an interface", path->name);
  *out = s;
  return MB_WIT_OK;
}

static mb_wit_err add_scope(rctx *r, wit_scope *s) {
  if (!mb__wit_vec_push(r->w->arena, &r->w->scopes, s)) return nomem(r->diag);
  return MB_WIT_OK;
}

/* Package namespaces, ids, and the list of every scope. */
static mb_wit_err name_scopes(rctx *r) {
  mb_arena *a = r->w->arena;
  for (uint32_t i = 0; i < r->w->pkgs.n; i++) {
    wit_pkg *pkg = r->w->pkgs.data[i];
    const char *v = pkg->version ? pkg->version : "", *at = pkg->version ? "@" : "";
    for (uint32_t j = 0; j < pkg->files.n; j++) {
      wit_file *f = pkg->files.data[j];
      for (uint32_t k = 0; k < f->scopes.n; k++) {
        wit_scope *s = f->scopes.data[k];
        wit_scope *old = mb__wit_map_get(&pkg->names, s->name);
        if (old)
          return mb__wit_fail(r->diag, MB_WIT_ERR_DUPLICATE, &s->pos,
                              "'%.60s' is already defined in package '%s' (at %s:%u:%u): "
                              "interfaces and worlds of a package need distinct names",
                              s->name, pkg->id, old->pos.file, old->pos.line, old->pos.col);
        if (!mb__wit_map_put(a, &pkg->names, s->name, s)) return nomem(r->diag);
        const char *id = mb__wit_printf(a, "%s:%s/%s%s%s", pkg->ns, pkg->name, s->name, at, v);
        if (!id) return nomem(r->diag);
        if (s->is_world) {
          s->pub.world.name = s->name;
          s->pub.world.id = id;
          s->pub.world.package = pkg->id;
        } else {
          s->pub.iface.name = s->name;
          s->pub.iface.id = id;
          s->pub.iface.package = pkg->id;
        }
        TRY(add_scope(r, s));
        for (uint32_t x = 0; s->is_world && x < s->externs.n; x++) {
          wit_extern *e = s->externs.data[x];
          if (!e->iface) continue; /* a path: bound later */
          e->iface->pub.iface.name = e->name;
          e->iface->pub.iface.id = e->name;
          TRY(add_scope(r, e->iface));
        }
      }
    }
  }
  return MB_WIT_OK;
}

static mb_wit_err bind_toplevel_uses(rctx *r) {
  for (uint32_t i = 0; i < r->w->pkgs.n; i++) {
    wit_pkg *pkg = r->w->pkgs.data[i];
    for (uint32_t j = 0; j < pkg->files.n; j++) {
      wit_file *f = pkg->files.data[j];
      for (uint32_t k = 0; k < f->uses.n; k++) {
        wit_toplevel_use *u = f->uses.data[k];
        wit_scope *target;
        /* a plain name refers to the package: the file's own names come from these */
        wit_map none = {0}, saved = f->use_names;
        f->use_names = none;
        mb_wit_err e = lookup_iface(r, f, &u->path, &target);
        f->use_names = saved;
        TRY(e);
        const char *name = u->as ? u->as : u->path.name;
        wit_scope *in_pkg = mb__wit_map_get(&pkg->names, name);
        if (mb__wit_map_get(&f->use_names, name) || (in_pkg && in_pkg != target))
          return mb__wit_fail(r->diag, MB_WIT_ERR_DUPLICATE, &u->as_pos,
                              "'%.60s' is already a name in this file or package: expected "
                              "'use %.60s as another-name;'",
                              name, u->path.name);
        if (!mb__wit_map_put(r->w->arena, &f->use_names, name, target)) return nomem(r->diag);
      }
    }
  }
  return MB_WIT_OK;
}

/* Targets of every `use` and world import/export by name; the dependency graph. */
static mb_wit_err bind_uses(rctx *r) {
  mb_arena *a = r->w->arena;
  for (uint32_t i = 0; i < r->w->scopes.n; i++) {
    wit_scope *s = r->w->scopes.data[i];
    uint32_t stamp = ++r->w->stamp;
    for (uint32_t k = 0; k < s->uses.n; k++) {
      wit_use *u = s->uses.data[k];
      TRY(lookup_iface(r, s->file, &u->path, &u->target));
      wit_scope *t = u->target;
      if (t == s)
        return mb__wit_fail(r->diag, MB_WIT_ERR_INVALID, &u->path.pos,
                            "interface '%.60s' uses itself: expected another interface",
                            s->name);
      if (t->stamp == stamp) continue;
      t->stamp = stamp;
      if (!mb__wit_vec_push(a, &s->deps, t) || !mb__wit_vec_push(a, &t->users, s))
        return nomem(r->diag);
      s->indeg++;
    }
    for (uint32_t k = 0; s->is_world && k < s->externs.n; k++) {
      wit_extern *x = s->externs.data[k];
      if (!x->iface && !x->func) TRY(lookup_iface(r, s->file, &x->path, &x->iface));
    }
  }
  return MB_WIT_OK;
}

/* Kahn's algorithm: every scope after the ones it uses types from. */
static mb_wit_err sort_scopes(rctx *r) {
  mb_wit *w = r->w;
  for (uint32_t i = 0; i < w->scopes.n; i++) {
    wit_scope *s = w->scopes.data[i];
    if (!s->indeg && !mb__wit_vec_push(w->arena, &w->order, s)) return nomem(r->diag);
  }
  for (uint32_t i = 0; i < w->order.n; i++) {
    wit_scope *s = w->order.data[i];
    for (uint32_t k = 0; k < s->users.n; k++) {
      wit_scope *u = s->users.data[k];
      if (--u->indeg == 0 && !mb__wit_vec_push(w->arena, &w->order, u)) return nomem(r->diag);
    }
  }
  for (uint32_t i = 0; i < w->order.n; i++) {
    wit_scope *s = w->order.data[i];
    s->topo = i;
  }
  if (w->order.n == w->scopes.n) return MB_WIT_OK;
  for (uint32_t i = 0; i < w->scopes.n; i++) {
    wit_scope *s = w->scopes.data[i];
    if (!s->indeg) continue;
    for (uint32_t k = 0; k < s->uses.n; k++) {
      wit_use *u = s->uses.data[k];
      if (u->target->indeg)
        return mb__wit_fail(r->diag, MB_WIT_ERR_INVALID, &u->path.pos,
                            "interfaces '%.60s' and '%.60s' use each other's types (directly or "
                            "through others): expected no cycle of 'use'",
                            s->name, u->target->name);
    }
  }
  return mb__wit_fail(r->diag, MB_WIT_ERR_INVALID, NULL, "cycle of 'use' between interfaces");
}

static mb_wit_err resolve(rctx *r, wit_node *n, unsigned depth, wit_node **out);

/* A type in a value position: a resource named there means own<resource>. */
static mb_wit_err value(rctx *r, const mb_wit_type **slot, unsigned depth) {
  wit_node *t = NULL;
  TRY(resolve(r, WIT_OF(wit_node, *slot), depth, &t));
  if (t->pub.kind == MB_WIT_RESOURCE) {
    if (!t->own) {
      wit_node *own = mb_wasm_arena_alloc(r->w->arena, sizeof *own);
      if (!own) return nomem(r->diag);
      own->pub.kind = MB_WIT_OWN;
      own->pub.elem = &t->pub;
      own->pos = t->pos;
      own->state = 2;
      TRY(mb__wit_layout(own, r->diag));
      t->own = own;
    }
    t = t->own;
  }
  *slot = &t->pub;
  return MB_WIT_OK;
}

static mb_wit_err resolve_ref(rctx *r, wit_node *n, unsigned depth) {
  wit_scope *s = n->use ? n->use->target : n->scope;
  wit_item *it = mb__wit_map_get(&s->names, n->ref);
  if (!it && n->use)
    return mb__wit_fail(r->diag, MB_WIT_ERR_UNDEFINED, &n->pos,
                        "'%.60s' is not defined in interface '%s': expected one of its types",
                        n->ref, scope_id(s));
  if (!it)
    return mb__wit_fail(r->diag, MB_WIT_ERR_UNDEFINED, &n->pos,
                        "unknown type '%.60s': expected a type defined in %s '%.60s' or "
                        "brought in by 'use'",
                        n->ref, s->is_world ? "world" : "interface", s->name);
  if (it->kind != WIT_ITEM_TYPE)
    return mb__wit_fail(r->diag, MB_WIT_ERR_INVALID, &n->pos,
                        "'%.60s' is a function: expected a type", n->ref);
  if (it->node->state == 1) /* report the cycle where the name is used */
    return mb__wit_fail(r->diag, MB_WIT_ERR_INVALID, &n->pos,
                        "type '%.60s' refers to itself: WIT types cannot be recursive",
                        n->ref);
  return resolve(r, it->node, depth + 1, &n->target);
}

static mb_wit_err resolve(rctx *r, wit_node *n, unsigned depth, wit_node **out) {
  if (n->state == 2) {
    *out = n->is_ref ? n->target : n;
    return MB_WIT_OK;
  }
  if (n->state == 1) /* resolve_ref reports cycles where the name is; this is a backstop */
    return mb__wit_fail(r->diag, MB_WIT_ERR_INVALID, &n->pos,
                        "type refers to itself: WIT types cannot be recursive");
  if (depth > WIT_MAX_DEPTH)
    return mb__wit_fail(r->diag, MB_WIT_ERR_TOO_MANY, &n->pos,
                        "types nested or aliased more than %d deep", WIT_MAX_DEPTH);
  n->state = 1;
  if (n->is_ref) {
    TRY(resolve_ref(r, n, depth));
  } else {
    switch (n->pub.kind) {
    case MB_WIT_OWN:
    case MB_WIT_BORROW: {
      wit_node *t, *ref = WIT_OF(wit_node, n->pub.elem);
      TRY(resolve(r, ref, depth + 1, &t));
      if (t->pub.kind != MB_WIT_RESOURCE)
        return mb__wit_fail(r->diag, MB_WIT_ERR_INVALID, &ref->pos,
                            "'%.60s' is not a resource: expected a resource in %s<...>",
                            ref->is_ref ? ref->ref : "?",
                            n->pub.kind == MB_WIT_OWN ? "own" : "borrow");
      n->pub.elem = &t->pub;
      break;
    }
    case MB_WIT_LIST:
    case MB_WIT_OPTION:
      TRY(value(r, &n->pub.elem, depth + 1));
      break;
    case MB_WIT_RESULT:
      if (n->pub.elem) TRY(value(r, &n->pub.elem, depth + 1));
      if (n->pub.err) TRY(value(r, &n->pub.err, depth + 1));
      break;
    case MB_WIT_TUPLE:
    case MB_WIT_RECORD:
    case MB_WIT_VARIANT:
      for (uint32_t i = 0; i < n->pub.nfields; i++)
        if (n->fields[i].type) TRY(value(r, &n->fields[i].type, depth + 1));
      break;
    default:
      break;
    }
    if (n->pub.kind != MB_WIT_RESOURCE) TRY(mb__wit_layout(n, r->diag));
  }
  n->state = 2;
  *out = n->is_ref ? n->target : n;
  return MB_WIT_OK;
}

static mb_wit_err resolve_func(rctx *r, wit_func *f) {
  for (uint32_t i = 0; i < f->pub.nparams; i++) TRY(value(r, &f->params[i].type, 0));
  if (f->result) {
    f->pub.result = &f->result->pub;
    TRY(value(r, &f->pub.result, 0));
    if (f->pub.result->has_borrow)
      return mb__wit_fail(r->diag, MB_WIT_ERR_INVALID, &f->pos,
                          "'%.60s' returns a borrow handle: borrow<...> may only appear in "
                          "parameters (expected an own handle)",
                          f->pub.core_name);
  }
  if (f->scope && !f->scope->is_world) f->pub.iface = &f->scope->pub.iface;
  return mb__wit_func_layout(f, r->diag);
}

/* Types and functions of one scope, then its public arrays. */
static mb_wit_err resolve_scope(rctx *r, wit_scope *s) {
  mb_arena *a = r->w->arena;
  uint32_t ntypes = 0;
  for (uint32_t i = 0; i < s->items.n; i++) {
    wit_item *it = s->items.data[i];
    if (it->kind != WIT_ITEM_TYPE) continue;
    wit_node *t;
    TRY(resolve(r, it->node, 0, &t));
    if (!s->is_world && !it->use && !it->node->is_ref) it->node->pub.iface = &s->pub.iface;
    ntypes++;
  }
  for (uint32_t i = 0; i < s->funcs.n; i++) TRY(resolve_func(r, s->funcs.data[i]));
  for (uint32_t i = 0; s->is_world && i < s->externs.n; i++) {
    wit_extern *x = s->externs.data[i];
    if (x->func) TRY(resolve_func(r, x->func));
  }
  if (s->is_world) return MB_WIT_OK;

  mb_wit_iface *pub = &s->pub.iface;
  mb_wit_typedef *types = mb_wasm_arena_array(a, ntypes, sizeof *types);
  const mb_wit_func **funcs = mb_wasm_arena_array(a, s->funcs.n, sizeof *funcs);
  const mb_wit_type **res = mb_wasm_arena_array(a, s->resources.n, sizeof *res);
  const mb_wit_iface **deps = mb_wasm_arena_array(a, s->deps.n, sizeof *deps);
  if (!types || !funcs || !res || !deps) return nomem(r->diag);
  for (uint32_t i = 0, k = 0; i < s->items.n; i++) {
    wit_item *it = s->items.data[i];
    if (it->kind != WIT_ITEM_TYPE) continue;
    wit_node *t = it->node->is_ref ? it->node->target : it->node;
    types[k++] = (mb_wit_typedef){it->name, &t->pub, it->use ? &it->use->target->pub.iface : NULL};
  }
  for (uint32_t i = 0; i < s->funcs.n; i++) {
    wit_func *f = s->funcs.data[i];
    funcs[i] = &f->pub;
    if (!mb__wit_map_put(a, &s->core_names, f->pub.core_name, f)) return nomem(r->diag);
  }
  for (uint32_t i = 0; i < s->resources.n; i++) {
    wit_node *n = s->resources.data[i];
    res[i] = &n->pub;
  }
  for (uint32_t i = 0; i < s->deps.n; i++) {
    wit_scope *d = s->deps.data[i];
    deps[i] = &d->pub.iface;
  }
  pub->ntypes = ntypes;
  pub->types = types;
  pub->nfuncs = s->funcs.n;
  pub->funcs = funcs;
  pub->nresources = s->resources.n;
  pub->resources = res;
  pub->ndeps = s->deps.n;
  pub->deps = deps;
  return MB_WIT_OK;
}

static int by_topo(const void *a, const void *b) {
  const wit_scope *x = *(wit_scope *const *)a, *y = *(wit_scope *const *)b;
  return x->topo < y->topo ? -1 : x->topo > y->topo;
}

static mb_wit_err need(rctx *r, wit_vec *work, wit_scope *s, uint32_t stamp) {
  if (s->need_stamp == stamp) return MB_WIT_OK;
  s->need_stamp = stamp;
  if (!mb__wit_vec_push(r->w->arena, work, s)) return nomem(r->diag);
  return MB_WIT_OK;
}

/* A world's items, with the interfaces they use types from as implicit imports (an
 * exported interface's dependencies are imports unless exported themselves). */
static mb_wit_err resolve_world(rctx *r, wit_scope *s) {
  mb_wit *w = r->w;
  mb_arena *a = w->arena;
  uint32_t stamp = ++w->stamp;
  wit_map plain = {0}, imp_ids = {0}, exp_ids = {0};
  uint32_t nimp = 0, nexp = 0;
  for (uint32_t i = 0; i < s->externs.n; i++) {
    wit_extern *x = s->externs.data[i];
    const char *dir = x->is_export ? "exported" : "imported";
    if (x->name) {
      wit_extern *old = mb__wit_map_get(&plain, x->name);
      if (old)
        return mb__wit_fail(r->diag, MB_WIT_ERR_DUPLICATE, &x->pos,
                            "'%.60s' is already imported or exported by world '%.60s' (at line "
                            "%u, column %u): expected distinct names",
                            x->name, s->name, old->pos.line, old->pos.col);
      if (!mb__wit_map_put(a, &plain, x->name, x)) return nomem(r->diag);
    } else {
      wit_map *ids = x->is_export ? &exp_ids : &imp_ids;
      wit_extern *old = mb__wit_map_get(ids, x->iface->pub.iface.id);
      if (old)
        return mb__wit_fail(r->diag, MB_WIT_ERR_DUPLICATE, &x->pos,
                            "interface '%s' is %s twice by world '%.60s' (first at line %u, "
                            "column %u)",
                            x->iface->pub.iface.id, dir, s->name, old->pos.line, old->pos.col);
      if (!mb__wit_map_put(a, ids, x->iface->pub.iface.id, x)) return nomem(r->diag);
    }
    if (x->iface) {
      if (x->is_export)
        x->iface->exp_stamp = stamp;
      else
        x->iface->imp_stamp = stamp;
    }
    if (x->is_export)
      nexp++;
    else
      nimp++;
  }
  /* what must be imported: dependencies of imports and of the world's own uses, and of
   * exports, except through interfaces that are exported too */
  wit_vec work = {0};
  for (uint32_t k = 0; k < s->deps.n; k++) TRY(need(r, &work, s->deps.data[k], stamp));
  wit_vec exports = {0};
  for (uint32_t i = 0; i < s->externs.n; i++) {
    wit_extern *x = s->externs.data[i];
    if (!x->iface) continue;
    if (!x->is_export) {
      for (uint32_t k = 0; k < x->iface->deps.n; k++)
        TRY(need(r, &work, x->iface->deps.data[k], stamp));
    } else if (x->iface->walk_stamp != stamp) {
      x->iface->walk_stamp = stamp;
      if (!mb__wit_vec_push(a, &exports, x->iface)) return nomem(r->diag);
    }
  }
  /* every exported interface is in `exports`: a dependency that is exported refers to
   * the export, any other is imported */
  for (uint32_t i = 0; i < exports.n; i++) {
    wit_scope *e = exports.data[i];
    for (uint32_t k = 0; k < e->deps.n; k++) {
      wit_scope *d = e->deps.data[k];
      if (d->exp_stamp != stamp) TRY(need(r, &work, d, stamp));
    }
  }
  for (uint32_t i = 0; i < work.n; i++) {
    wit_scope *d = work.data[i];
    for (uint32_t k = 0; k < d->deps.n; k++) TRY(need(r, &work, d->deps.data[k], stamp));
  }
  /* the implicit imports, dependencies first: in the order of the topological sort */
  uint32_t nimplicit = 0;
  for (uint32_t i = 0; i < work.n; i++) {
    wit_scope *d = work.data[i];
    if (d->imp_stamp != stamp) work.data[nimplicit++] = d;
  }
  if (nimplicit) qsort(work.data, nimplicit, sizeof *work.data, by_topo);
  if (nimp + nimplicit < nimp) return nomem(r->diag);
  mb_wit_world_item *imports = mb_wasm_arena_array(a, nimp + nimplicit, sizeof *imports);
  mb_wit_world_item *exps = mb_wasm_arena_array(a, nexp, sizeof *exps);
  if (!imports || !exps) return nomem(r->diag);
  uint32_t ni = 0, ne = 0;
  for (uint32_t i = 0; i < nimplicit; i++) {
    wit_scope *d = work.data[i];
    imports[ni++] = (mb_wit_world_item){d->pub.iface.id, &d->pub.iface, NULL, true};
  }
  for (uint32_t i = 0; i < s->externs.n; i++) {
    wit_extern *x = s->externs.data[i];
    mb_wit_world_item it = {
        .name = x->name ? x->name : x->iface->pub.iface.id,
        .iface = x->iface ? &x->iface->pub.iface : NULL,
        .func = x->func ? &x->func->pub : NULL,
    };
    if (x->is_export)
      exps[ne++] = it;
    else
      imports[ni++] = it;
  }
  s->pub.world.nimports = ni;
  s->pub.world.imports = imports;
  s->pub.world.nexports = ne;
  s->pub.world.exports = exps;
  return MB_WIT_OK;
}

/* Sentinel for a short id ("ns:pkg/name") that two versions share. */
static char ambiguous;

static mb_wit_err index_id(rctx *r, wit_map *m, const char *id, const char *name,
                           const wit_pkg *pkg, void *val) {
  if (!mb__wit_map_put(r->w->arena, m, id, val)) return nomem(r->diag);
  if (!pkg->version) return MB_WIT_OK;
  const char *shortid = mb__wit_printf(r->w->arena, "%s:%s/%s", pkg->ns, pkg->name, name);
  if (!shortid) return nomem(r->diag);
  void *old = mb__wit_map_get(m, shortid);
  if (!mb__wit_map_put(r->w->arena, m, shortid, old ? &ambiguous : val)) return nomem(r->diag);
  return MB_WIT_OK;
}

static mb_wit_err resolve_all(rctx *r) {
  mb_wit *w = r->w;
  TRY(name_scopes(r));
  TRY(bind_toplevel_uses(r));
  TRY(bind_uses(r));
  TRY(sort_scopes(r));
  for (uint32_t i = 0; i < w->order.n; i++) TRY(resolve_scope(r, w->order.data[i]));
  for (uint32_t i = 0; i < w->scopes.n; i++) {
    wit_scope *s = w->scopes.data[i];
    if (s->is_world) TRY(resolve_world(r, s));
  }
  for (uint32_t i = 0; i < w->pkgs.n; i++) {
    wit_pkg *pkg = w->pkgs.data[i];
    for (uint32_t j = 0; j < pkg->files.n; j++) {
      wit_file *f = pkg->files.data[j];
      for (uint32_t k = 0; k < f->scopes.n; k++) {
        wit_scope *s = f->scopes.data[k];
        if (s->is_world) {
          if (!mb__wit_vec_push(w->arena, &w->worlds, &s->pub.world)) return nomem(r->diag);
          TRY(index_id(r, &w->world_ids, s->pub.world.id, s->name, pkg, &s->pub.world));
        } else {
          if (!mb__wit_vec_push(w->arena, &w->ifaces, &s->pub.iface)) return nomem(r->diag);
          TRY(index_id(r, &w->iface_ids, s->pub.iface.id, s->name, pkg, &s->pub.iface));
        }
      }
    }
  }
  return MB_WIT_OK;
}

mb_wit_err mb_wit_resolve(mb_wit *w, mb_wit_diag *diag) {
  mb_wit_diag local;
  if (!diag) diag = &local;
  TRY(usable(w, diag));
  rctx r = {w, diag};
  mb_wit_err e = resolve_all(&r);
  if (e) return poison(w, e, diag);
  w->resolved = true;
  return MB_WIT_OK;
}

/* ---- lookups ---- */

uint32_t mb_wit_interface_count(const mb_wit *w) { return w && w->resolved ? w->ifaces.n : 0; }

const mb_wit_iface *mb_wit_interface_at(const mb_wit *w, uint32_t i) {
  return i < mb_wit_interface_count(w) ? w->ifaces.data[i] : NULL;
}

uint32_t mb_wit_world_count(const mb_wit *w) { return w && w->resolved ? w->worlds.n : 0; }

const mb_wit_world *mb_wit_world_at(const mb_wit *w, uint32_t i) {
  return i < mb_wit_world_count(w) ? w->worlds.data[i] : NULL;
}

const mb_wit_iface *mb_wit_find_interface(const mb_wit *w, const char *id) {
  if (!w || !w->resolved || !id) return NULL;
  void *v = mb__wit_map_get(&w->iface_ids, id);
  return v == &ambiguous ? NULL : v;
}

const mb_wit_world *mb_wit_find_world(const mb_wit *w, const char *id) {
  if (!w || !w->resolved || !id) return NULL;
  void *v = mb__wit_map_get(&w->world_ids, id);
  return v == &ambiguous ? NULL : v;
}

const mb_wit_func *mb_wit_find_func(const mb_wit_iface *iface, const char *core_name) {
  if (!iface || !core_name) return NULL;
  const wit_scope *s = WIT_OF(wit_scope, iface);
  const wit_func *f = mb__wit_map_get(&s->core_names, core_name);
  return f ? &f->pub : NULL;
}

const mb_wit_type *mb_wit_find_type(const mb_wit_iface *iface, const char *name) {
  if (!iface || !name) return NULL;
  for (uint32_t i = 0; i < iface->ntypes; i++)
    if (strcmp(iface->types[i].name, name) == 0) return iface->types[i].type;
  return NULL;
}
