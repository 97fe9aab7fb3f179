/* mem.c — the mem kind: embed mounts (read-only) and mem mounts (writable, limited,
 * optionally over an image). Both are trees of mb__mnode. Nodes from an image are made
 * lazily, one directory at a time on first use, and point into the image: names, file
 * contents and symlink texts are not copied until the guest changes them (a file's
 * contents are copied on its first change: copy-on-write). So an embed mount is a mem
 * mount that refuses writes, and one code path serves both.
 *
 * A node lives while a directory entry names it (nlink) or a file or walk holds it
 * (refs). Freeing is iterative (a guest can build arbitrarily deep trees). */
#include <string.h>

#include "vfs_internal.h"

#define MN(n) ((mb__mnode *)(n))
#define IS_DIR(n) ((n)->base.type == MB_WASI_FILETYPE_DIRECTORY)

static uint64_t now(mb__mount *m) { return mb__vfs_now(m->vfs); }

/* ---- the byte limit ---- */

static bool charge(mb__mount *m, uint64_t bytes) {
  if (bytes > m->limit - m->used) return false;
  m->used += bytes;
  return true;
}
static void uncharge(mb__mount *m, uint64_t bytes) { m->used -= bytes < m->used ? bytes : m->used; }

/* ---- nodes ---- */

static mb__mnode *node_new(mb__mount *m, uint8_t type) {
  mb__mnode *n = mb_mem_calloc(MB__MOUNT_ALLOC(m), 1, sizeof *n);
  if (!n) return NULL;
  n->base.type = type;
  n->base.mount = m;
  n->ino = m->next_ino++;
  n->atim = n->mtim = n->ctim = now(m);
  if (type == MB_WASI_FILETYPE_DIRECTORY) {
    n->u.dir.lazy = MB__NOT_LAZY;
    n->u.dir.next_seq = 2;
  }
  return n;
}

static mb__mnode *node_from_image(mb__mount *m, uint32_t index) {
  mb_vfs_image_node in;
  mb_vfs_image_node_get(&m->img, index, &in);
  mb__mnode *n = mb_mem_calloc(MB__MOUNT_ALLOC(m), 1, sizeof *n);
  if (!n) return NULL;
  n->base.type = in.type;
  n->base.mount = m;
  n->ino = (uint64_t)index + 1;
  n->atim = n->mtim = n->ctim = in.mtim;
  if (in.type == MB_WASI_FILETYPE_DIRECTORY) {
    n->u.dir.lazy = index;
    n->u.dir.next_seq = 2;
  } else if (in.type == MB_WASI_FILETYPE_SYMBOLIC_LINK) {
    n->u.link.text = (const char *)in.data;
    n->u.link.len = (size_t)in.size;
  } else {
    n->u.file.img = in.data;
    n->u.file.size = (size_t)in.size;
  }
  return n;
}

/* Free n and everything only it kept alive. */
static void free_tree(mb__mnode *n) {
  mb__mount *m = n->base.mount;
  n->free_next = NULL;
  while (n) {
    mb__mnode *x = n;
    n = n->free_next;
    if (x->charged) uncharge(m, MB_VFS_NODE_COST);
    switch (x->base.type) {
    case MB_WASI_FILETYPE_DIRECTORY: {
      mb__mdir *d = &x->u.dir;
      for (uint32_t i = 0; i < d->count; i++) {
        mb__dent *e = &d->ents[i];
        if (!e->node) continue;
        if (e->name_owned) uncharge(m, e->len);
        mb__mnode *c = e->node;
        if (IS_DIR(c)) {
          c->u.dir.parent = NULL;
          c->u.dir.removed = true;
        }
        if (--c->nlink == 0 && c->base.refs == 0) {
          c->free_next = n;
          n = c;
        }
      }
      mb__mdir_fini(MB__MOUNT_ALLOC(m), d);
      break;
    }
    case MB_WASI_FILETYPE_SYMBOLIC_LINK:
      if (x->u.link.owned) {
        uncharge(m, x->u.link.len);
        mb_mem_free(MB__MOUNT_ALLOC(m), (void *)x->u.link.text);
      }
      break;
    default:
      if (!x->u.file.img) uncharge(m, x->u.file.size);
      mb_mem_free(MB__MOUNT_ALLOC(m), x->u.file.data);
      break;
    }
    mb_mem_free(MB__MOUNT_ALLOC(m), x);
  }
}

static void maybe_free(mb__mnode *n) {
  if (n->nlink == 0 && n->base.refs == 0) free_tree(n);
}

/* Make the entries of an image directory, all or nothing. */
static mb_wasi_errno materialize(mb__mnode *dir) {
  mb__mdir *d = &dir->u.dir;
  if (d->lazy == MB__NOT_LAZY) return MB_WASI_ESUCCESS;
  mb__mount *m = dir->base.mount;
  mb_vfs_image_node in;
  mb_vfs_image_node_get(&m->img, d->lazy, &in);
  uint32_t k = in.child_count, nslots = 8;
  while (nslots < (uint64_t)k * 2) nslots *= 2;
  mb__dent *ents = k ? mb_mem_calloc(MB__NODE_ALLOC(&dir->base), k, sizeof *ents) : NULL;
  uint32_t *slots = mb_mem_calloc(MB__NODE_ALLOC(&dir->base), nslots, sizeof *slots);
  uint32_t made = 0;
  if ((k && !ents) || !slots) goto nomem;
  for (; made < k; made++) {
    mb__mnode *c = node_from_image(m, in.first_child + made);
    if (!c) goto nomem;
    ents[made].node = c;
  }
  d->ents = ents;
  d->cap = k;
  d->slots = slots;
  d->nslots = nslots;
  d->lazy = MB__NOT_LAZY;
  for (uint32_t i = 0; i < k; i++) {
    mb_vfs_image_node cn;
    mb_vfs_image_node_get(&m->img, in.first_child + i, &cn);
    mb__mnode *c = ents[i].node;
    c->nlink = 1;
    if (IS_DIR(c)) c->u.dir.parent = dir;
    /* mb__mdir_insert fills the entry (seq 2.. in name order) and the index */
    mb__mdir_insert(d, cn.name, cn.name_len, false, c);
  }
  return MB_WASI_ESUCCESS;
nomem:
  for (uint32_t i = 0; i < made; i++) mb_mem_free(MB__NODE_ALLOC(&dir->base), ents[i].node);
  mb_mem_free(MB__NODE_ALLOC(&dir->base), ents);
  mb_mem_free(MB__NODE_ALLOC(&dir->base), slots);
  return MB_WASI_ENOMEM;
}

static mb_wasi_errno lookup(mb__mnode *dir, const char *name, size_t len, mb__mnode **out) {
  *out = NULL;
  if (dir->u.dir.removed) return MB_WASI_ENOENT;
  mb_wasi_errno e = materialize(dir);
  if (e) return e;
  mb__dent *ent = mb__mdir_find(&dir->u.dir, name, len);
  if (!ent) return MB_WASI_ENOENT;
  *out = ent->node;
  return MB_WASI_ESUCCESS;
}

/* Entries and subdirectories, without materializing. */
static void dir_counts(mb__mnode *n, uint64_t *live, uint64_t *subdirs) {
  mb__mdir *d = &n->u.dir;
  if (d->lazy == MB__NOT_LAZY) {
    *live = d->live;
    *subdirs = d->nsubdirs;
    return;
  }
  const mb_vfs_image *img = &n->base.mount->img;
  mb_vfs_image_node in, c;
  mb_vfs_image_node_get(img, d->lazy, &in);
  *live = in.child_count;
  *subdirs = 0;
  for (uint32_t i = 0; i < in.child_count; i++) {
    mb_vfs_image_node_get(img, in.first_child + i, &c);
    if (c.type == MB_WASI_FILETYPE_DIRECTORY) ++*subdirs;
  }
}

static void fill_stat(mb__mnode *n, mb_vfs_filestat *st) {
  memset(st, 0, sizeof *st);
  st->dev = n->base.mount->dev;
  st->ino = n->ino;
  st->filetype = n->base.type;
  st->atim = n->atim;
  st->mtim = n->mtim;
  st->ctim = n->ctim;
  switch (n->base.type) {
  case MB_WASI_FILETYPE_DIRECTORY: {
    uint64_t live, subdirs;
    dir_counts(n, &live, &subdirs);
    /* removed: 0 links, as Linux reports for a deleted directory */
    st->nlink = n->u.dir.removed ? 0 : 2 + subdirs;
    st->size = live;
    break;
  }
  case MB_WASI_FILETYPE_SYMBOLIC_LINK:
    st->nlink = n->nlink;
    st->size = n->u.link.len;
    break;
  default:
    st->nlink = n->nlink;
    st->size = n->u.file.size;
    break;
  }
}

static void touch_dir(mb__mnode *dir) { dir->mtim = dir->ctim = now(dir->base.mount); }

/* A new node named `name` in dir (which must have no such entry and be materialized),
 * charging the node and its name. */
static mb_wasi_errno create(mb__mnode *dir, const char *name, size_t len, uint8_t type,
                            mb__mnode **out) {
  mb__mount *m = dir->base.mount;
  if (dir->u.dir.removed) return MB_WASI_ENOENT;
  uint64_t cost = MB_VFS_NODE_COST + len;
  if (!charge(m, cost)) return MB_WASI_ENOSPC;
  mb_wasi_errno e = mb__mdir_reserve(MB__NODE_ALLOC(&dir->base), &dir->u.dir);
  char *copy = NULL;
  mb__mnode *n = NULL;
  if (!e && !(copy = mb_mem_alloc(MB__NODE_ALLOC(&dir->base), len))) e = MB_WASI_ENOMEM;
  if (!e && !(n = node_new(m, type))) e = MB_WASI_ENOMEM;
  if (e) {
    mb_mem_free(MB__NODE_ALLOC(&dir->base), copy);
    uncharge(m, cost);
    return e;
  }
  memcpy(copy, name, len);
  n->charged = 1;
  n->nlink = 1;
  if (type == MB_WASI_FILETYPE_DIRECTORY) n->u.dir.parent = dir;
  mb__mdir_insert(&dir->u.dir, copy, len, true, n);
  touch_dir(dir);
  *out = n;
  return MB_WASI_ESUCCESS;
}

/* ---- file contents ---- */

/* Make the contents owned and at least `size` bytes of capacity, charging what the
 * file's owned size grows by. */
static mb_wasi_errno own_contents(mb__mnode *n, size_t size) {
  mb__mount *m = n->base.mount;
  size_t cur = n->u.file.img ? 0 : n->u.file.size;
  if (size > cur && !charge(m, size - cur)) return MB_WASI_ENOSPC;
  if (n->u.file.img || size > n->u.file.cap) {
    size_t cap = n->u.file.cap ? n->u.file.cap : 64;
    while (cap < size) cap = cap > SIZE_MAX / 2 ? size : cap * 2;
    uint8_t *p = n->u.file.img ? mb_mem_alloc(MB__NODE_ALLOC(&n->base), cap) : mb_mem_realloc(MB__NODE_ALLOC(&n->base), n->u.file.data, cap);
    if (!p) {
      if (size > cur) uncharge(m, size - cur);
      return MB_WASI_ENOMEM;
    }
    if (n->u.file.img) {
      size_t keep = n->u.file.size < size ? n->u.file.size : size;
      if (keep) memcpy(p, n->u.file.img, keep);
      n->u.file.size = keep; /* what is owned now */
      n->u.file.img = NULL;
    }
    n->u.file.data = p;
    n->u.file.cap = cap;
  }
  return MB_WASI_ESUCCESS;
}

static mb_wasi_errno mem_set_size(mb__node *node, uint64_t size) {
  mb__mnode *n = MN(node);
  if (size > MB_VFS_FILE_MAX || size > SIZE_MAX) return MB_WASI_EFBIG;
  if (n->u.file.img && size == 0) { /* dropping image contents copies nothing */
    n->u.file.img = NULL;
    n->u.file.size = 0;
  } else {
    bool was_owned = !n->u.file.img;
    size_t cur = was_owned ? n->u.file.size : 0; /* bytes charged so far */
    mb_wasi_errno e = own_contents(n, (size_t)size);
    if (e) return e;
    if (size > n->u.file.size)
      memset(n->u.file.data + n->u.file.size, 0, (size_t)size - n->u.file.size);
    else if (was_owned && size < cur)
      uncharge(node->mount, cur - (size_t)size);
    n->u.file.size = (size_t)size;
  }
  n->mtim = n->ctim = now(node->mount);
  return MB_WASI_ESUCCESS;
}

static mb_wasi_errno mem_pread(mb__node *node, void *buf, size_t len, uint64_t off, size_t *got) {
  mb__mnode *n = MN(node);
  const uint8_t *src = n->u.file.img ? n->u.file.img : n->u.file.data;
  size_t size = n->u.file.size;
  *got = 0;
  if (off >= size || len == 0) return MB_WASI_ESUCCESS;
  size_t k = size - (size_t)off < len ? size - (size_t)off : len;
  memcpy(buf, src + off, k);
  *got = k;
  return MB_WASI_ESUCCESS;
}

static mb_wasi_errno mem_pwrite(mb__node *node, const void *buf, size_t len, uint64_t off,
                                bool append, size_t *put, uint64_t *end) {
  mb__mnode *n = MN(node);
  mb__mount *m = node->mount;
  *put = 0;
  if (append) off = n->u.file.size;
  *end = off;
  if (len == 0) return MB_WASI_ESUCCESS;
  if (off > MB_VFS_FILE_MAX || len > MB_VFS_FILE_MAX - off || off + len > SIZE_MAX)
    return MB_WASI_EFBIG;
  size_t size = n->u.file.size, owned = n->u.file.img ? 0 : size;
  uint64_t want = off + len > size ? off + len : size;
  /* Near the limit, write what fits (a short count, as a full disk gives), and
   * ENOSPC when not one byte fits. Copying image contents counts too. */
  uint64_t room = m->limit - m->used, reach = owned + room < owned ? UINT64_MAX : owned + room;
  if (want > reach) {
    if (reach <= off || reach < size) return MB_WASI_ENOSPC;
    len = (size_t)(reach - off);
    want = reach;
  }
  mb_wasi_errno e = own_contents(n, (size_t)want);
  if (e) return e;
  if (off > n->u.file.size) memset(n->u.file.data + n->u.file.size, 0, (size_t)off - n->u.file.size);
  memcpy(n->u.file.data + off, buf, len);
  if (want > n->u.file.size) n->u.file.size = (size_t)want;
  n->mtim = n->ctim = now(m);
  *put = len;
  *end = off + len;
  return MB_WASI_ESUCCESS;
}

/* ---- times ---- */

static void apply_times(mb__mnode *n, uint64_t atim, uint64_t mtim, uint16_t fst) {
  uint64_t t = now(n->base.mount);
  if (fst & MB_WASI_FST_ATIM) n->atim = atim;
  if (fst & MB_WASI_FST_ATIM_NOW) n->atim = t;
  if (fst & MB_WASI_FST_MTIM) n->mtim = mtim;
  if (fst & MB_WASI_FST_MTIM_NOW) n->mtim = t;
  n->ctim = t;
}

/* ---- the operations ---- */

static mb_wasi_errno mem_step(mb__node *dir, const char *name, size_t len, mb__node **child,
                              char *link, size_t *link_len) {
  mb__mnode *n;
  mb_wasi_errno e = lookup(MN(dir), name, len, &n);
  if (e) return e;
  if (IS_DIR(n)) {
    *child = mb__node_ref(&n->base);
    return MB_WASI_ESUCCESS;
  }
  if (n->base.type != MB_WASI_FILETYPE_SYMBOLIC_LINK) return MB_WASI_ENOTDIR;
  if (n->u.link.len >= MB_VFS_PATH_MAX) return MB_WASI_ENAMETOOLONG;
  memcpy(link, n->u.link.text, n->u.link.len);
  *link_len = n->u.link.len;
  return MB_WASI_ESUCCESS;
}

static mb_wasi_errno mem_open_at(mb__node *dir, const char *name, size_t len, uint16_t oflags,
                                 uint32_t access, uint16_t fdflags, mb__node **out) {
  (void)fdflags;
  mb__mount *m = dir->mount;
  mb__mnode *n;
  bool writes = (access & MB_VFS_ACCESS_WRITE) || (oflags & MB_WASI_O_TRUNC);
  mb_wasi_errno e = lookup(MN(dir), name, len, &n);
  if (e == MB_WASI_ENOENT && (oflags & MB_WASI_O_CREAT) && !MN(dir)->u.dir.removed) {
    if (m->readonly) return MB_WASI_EROFS;
    if ((e = create(MN(dir), name, len, MB_WASI_FILETYPE_REGULAR_FILE, &n))) return e;
    *out = mb__node_ref(&n->base);
    return MB_WASI_ESUCCESS;
  }
  if (e) return e;
  if ((oflags & (MB_WASI_O_CREAT | MB_WASI_O_EXCL)) == (MB_WASI_O_CREAT | MB_WASI_O_EXCL))
    return MB_WASI_EEXIST;
  switch (n->base.type) {
  case MB_WASI_FILETYPE_SYMBOLIC_LINK:
    return MB_WASI_ELOOP;
  case MB_WASI_FILETYPE_DIRECTORY: /* Linux: creat on a directory is EISDIR too */
    if (writes || (oflags & MB_WASI_O_CREAT)) return MB_WASI_EISDIR;
    break;
  default:
    if (oflags & MB_WASI_O_DIRECTORY) return MB_WASI_ENOTDIR;
    if (writes && m->readonly) return MB_WASI_EROFS;
    if ((oflags & MB_WASI_O_TRUNC) && (e = mem_set_size(&n->base, 0))) return e;
    break;
  }
  *out = mb__node_ref(&n->base);
  return MB_WASI_ESUCCESS;
}

static mb_wasi_errno mem_stat_at(mb__node *dir, const char *name, size_t len, mb_vfs_filestat *st) {
  mb__mnode *n;
  mb_wasi_errno e = lookup(MN(dir), name, len, &n);
  if (e) return e;
  fill_stat(n, st);
  return MB_WASI_ESUCCESS;
}

static mb_wasi_errno mem_readlink_at(mb__node *dir, const char *name, size_t len, char *buf,
                                     size_t cap, size_t *out) {
  mb__mnode *n;
  mb_wasi_errno e = lookup(MN(dir), name, len, &n);
  if (e) return e;
  if (n->base.type != MB_WASI_FILETYPE_SYMBOLIC_LINK) return MB_WASI_EINVAL;
  size_t k = n->u.link.len < cap ? n->u.link.len : cap;
  if (k) memcpy(buf, n->u.link.text, k);
  *out = k;
  return MB_WASI_ESUCCESS;
}

static mb_wasi_errno mem_set_times_at(mb__node *dir, const char *name, size_t len, uint64_t atim,
                                      uint64_t mtim, uint16_t fst) {
  mb__mnode *n;
  mb_wasi_errno e = lookup(MN(dir), name, len, &n);
  if (e) return e;
  apply_times(n, atim, mtim, fst);
  return MB_WASI_ESUCCESS;
}

static mb_wasi_errno mem_mkdir_at(mb__node *dir, const char *name, size_t len) {
  mb__mnode *n;
  mb_wasi_errno e = lookup(MN(dir), name, len, &n);
  if (!e) return MB_WASI_EEXIST;
  if (e != MB_WASI_ENOENT) return e;
  return create(MN(dir), name, len, MB_WASI_FILETYPE_DIRECTORY, &n);
}

static mb_wasi_errno mem_symlink_at(const char *text, size_t text_len, mb__node *dir,
                                    const char *name, size_t len) {
  mb__mnode *n;
  mb_wasi_errno e = lookup(MN(dir), name, len, &n);
  if (!e) return MB_WASI_EEXIST;
  if (e != MB_WASI_ENOENT) return e;
  mb__mount *m = dir->mount;
  if (!charge(m, text_len)) return MB_WASI_ENOSPC;
  char *copy = mb_mem_alloc(MB__NODE_ALLOC(dir), text_len);
  if (!copy) e = MB_WASI_ENOMEM;
  else e = create(MN(dir), name, len, MB_WASI_FILETYPE_SYMBOLIC_LINK, &n);
  if (e) {
    mb_mem_free(MB__NODE_ALLOC(dir), copy);
    uncharge(m, text_len);
    return e;
  }
  memcpy(copy, text, text_len);
  n->u.link.text = copy;
  n->u.link.len = text_len;
  n->u.link.owned = 1;
  return MB_WASI_ESUCCESS;
}

/* Remove the entry `name` of dir naming n. */
static void unlink_entry(mb__mnode *dir, const char *name, size_t len, mb__mnode *n) {
  mb__mdir *d = &dir->u.dir;
  mb__dent *e = mb__mdir_find(d, name, len);
  if (e->name_owned) uncharge(dir->base.mount, e->len);
  mb__mdir_remove(MB__NODE_ALLOC(&dir->base), d, e);
  if (IS_DIR(n)) {
    n->u.dir.parent = NULL;
    n->u.dir.removed = true;
    n->nlink = 0;
  } else {
    n->nlink--;
  }
  n->ctim = now(dir->base.mount);
  touch_dir(dir);
}

static mb_wasi_errno mem_rmdir_at(mb__node *dir, const char *name, size_t len) {
  mb__mnode *n;
  mb_wasi_errno e = lookup(MN(dir), name, len, &n);
  if (e) return e;
  if (!IS_DIR(n)) return MB_WASI_ENOTDIR;
  uint64_t live, subdirs;
  dir_counts(n, &live, &subdirs);
  if (live) return MB_WASI_ENOTEMPTY;
  unlink_entry(MN(dir), name, len, n);
  maybe_free(n);
  return MB_WASI_ESUCCESS;
}

static mb_wasi_errno mem_unlink_at(mb__node *dir, const char *name, size_t len) {
  mb__mnode *n;
  mb_wasi_errno e = lookup(MN(dir), name, len, &n);
  if (e) return e;
  if (IS_DIR(n)) return MB_WASI_EISDIR;
  unlink_entry(MN(dir), name, len, n);
  maybe_free(n);
  return MB_WASI_ESUCCESS;
}

static mb_wasi_errno mem_rename_at(mb__node *dir1, const char *name1, size_t len1, mb__node *dir2,
                                   const char *name2, size_t len2) {
  mb__mnode *d1 = MN(dir1), *d2 = MN(dir2), *src, *dst;
  mb__mount *m = dir1->mount;
  mb_wasi_errno e = lookup(d1, name1, len1, &src);
  if (e) return e;
  e = lookup(d2, name2, len2, &dst);
  if (e && e != MB_WASI_ENOENT) return e;
  if (d2->u.dir.removed) return MB_WASI_ENOENT;
  if (dst == src) return MB_WASI_ESUCCESS; /* the same name, or another link to it */
  if (IS_DIR(src)) {
    for (mb__mnode *a = d2; a; a = a->u.dir.parent)
      if (a == src) return MB_WASI_EINVAL; /* into its own subtree */
    if (dst) {
      if (!IS_DIR(dst)) return MB_WASI_ENOTDIR;
      uint64_t live, subdirs;
      dir_counts(dst, &live, &subdirs);
      if (live) return MB_WASI_ENOTEMPTY;
    }
  } else if (dst && IS_DIR(dst)) {
    return MB_WASI_EISDIR;
  }
  /* Everything that can fail first: the name, the charge, the room in d2. */
  if (!charge(m, len2)) return MB_WASI_ENOSPC;
  char *copy = mb_mem_alloc(MB__NODE_ALLOC(dir1), len2);
  if (!copy || (e = mb__mdir_reserve(MB__NODE_ALLOC(dir1), &d2->u.dir))) {
    mb_mem_free(MB__NODE_ALLOC(dir1), copy);
    uncharge(m, len2);
    return copy ? e : MB_WASI_ENOMEM;
  }
  memcpy(copy, name2, len2);
  if (dst) unlink_entry(d2, name2, len2, dst);
  /* src's own entry, without the unlink bookkeeping: it lives on under the new name */
  mb__dent *se = mb__mdir_find(&d1->u.dir, name1, len1);
  if (se->name_owned) uncharge(m, se->len);
  mb__mdir_remove(MB__NODE_ALLOC(dir1), &d1->u.dir, se);
  mb__mdir_insert(&d2->u.dir, copy, len2, true, src);
  if (IS_DIR(src)) src->u.dir.parent = d2;
  src->ctim = now(m);
  touch_dir(d1);
  touch_dir(d2);
  if (dst) maybe_free(dst);
  return MB_WASI_ESUCCESS;
}

static mb_wasi_errno mem_link_at(mb__node *dir1, const char *name1, size_t len1, mb__node *dir2,
                                 const char *name2, size_t len2) {
  mb__mnode *src, *dst;
  mb__mount *m = dir1->mount;
  mb_wasi_errno e = lookup(MN(dir1), name1, len1, &src);
  if (e) return e;
  if (IS_DIR(src)) return MB_WASI_EPERM;
  e = lookup(MN(dir2), name2, len2, &dst);
  if (!e) return MB_WASI_EEXIST;
  if (e != MB_WASI_ENOENT) return e;
  if (MN(dir2)->u.dir.removed) return MB_WASI_ENOENT;
  if (!charge(m, len2)) return MB_WASI_ENOSPC;
  char *copy = mb_mem_alloc(MB__NODE_ALLOC(dir1), len2);
  if (!copy || (e = mb__mdir_reserve(MB__NODE_ALLOC(dir1), &MN(dir2)->u.dir))) {
    mb_mem_free(MB__NODE_ALLOC(dir1), copy);
    uncharge(m, len2);
    return copy ? e : MB_WASI_ENOMEM;
  }
  memcpy(copy, name2, len2);
  mb__mdir_insert(&MN(dir2)->u.dir, copy, len2, true, src);
  src->nlink++;
  src->ctim = now(m);
  touch_dir(MN(dir2));
  return MB_WASI_ESUCCESS;
}

static mb_wasi_errno mem_stat(mb__node *node, mb_vfs_filestat *st) {
  fill_stat(MN(node), st);
  return MB_WASI_ESUCCESS;
}

static mb_wasi_errno mem_set_times(mb__node *node, uint64_t atim, uint64_t mtim, uint16_t fst) {
  apply_times(MN(node), atim, mtim, fst);
  return MB_WASI_ESUCCESS;
}

static mb_wasi_errno mem_readdir(mb__node *node, uint64_t cookie, mb__dirent_cb cb, void *ctx) {
  mb__mnode *n = MN(node);
  mb__mdir *d = &n->u.dir;
  /* Linux's getdents on a removed directory: ENOENT, not even "." and ".." */
  if (d->removed) return MB_WASI_ENOENT;
  mb_wasi_errno e = materialize(n);
  if (e) return e;
  mb__dirent_view v = {0};
  v.type = MB_WASI_FILETYPE_DIRECTORY;
  if (cookie == 0) {
    v.next = 1;
    v.ino = n->ino;
    v.name = ".";
    v.name_len = 1;
    if (!cb(ctx, &v)) return MB_WASI_ESUCCESS;
  }
  if (cookie <= 1) {
    v.next = 2;
    v.ino = d->parent ? d->parent->ino : n->ino;
    v.name = "..";
    v.name_len = 2;
    if (!cb(ctx, &v)) return MB_WASI_ESUCCESS;
  }
  /* the first entry whose seq is >= cookie */
  uint32_t lo = 0, hi = d->count;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (d->ents[mid].seq < cookie)
      lo = mid + 1;
    else
      hi = mid;
  }
  for (uint32_t i = lo; i < d->count; i++) {
    mb__dent *ent = &d->ents[i];
    if (!ent->node) continue;
    v.next = ent->seq + 1;
    v.ino = ent->node->ino;
    v.type = ent->node->base.type;
    v.name = ent->name;
    v.name_len = ent->len;
    if (!cb(ctx, &v)) break;
  }
  return MB_WASI_ESUCCESS;
}

static void mem_released(mb__node *node) { maybe_free(MN(node)); }

static void mem_unmount(mb__mount *m) {
  mb__mnode *root = MN(m->root);
  m->root = NULL;
  root->nlink = 0;
  maybe_free(root);
}

const mb__fs_ops mb__mem_ops = {
    .step = mem_step,
    .open_at = mem_open_at,
    .stat_at = mem_stat_at,
    .readlink_at = mem_readlink_at,
    .set_times_at = mem_set_times_at,
    .mkdir_at = mem_mkdir_at,
    .rmdir_at = mem_rmdir_at,
    .unlink_at = mem_unlink_at,
    .symlink_at = mem_symlink_at,
    .rename_at = mem_rename_at,
    .link_at = mem_link_at,
    .stat = mem_stat,
    .pread = mem_pread,
    .pwrite = mem_pwrite,
    .set_size = mem_set_size,
    .set_times = mem_set_times,
    .readdir = mem_readdir,
    .released = mem_released,
    .unmount = mem_unmount,
};

mb_wasi_errno mb__mem_mount_init(mb__mount *m, const mb_vfs_image *img, uint64_t limit,
                                 bool readonly) {
  m->ops = &mb__mem_ops;
  m->readonly = readonly;
  m->limit = readonly ? 0 : limit;
  if (img) m->img = *img;
  m->next_ino = img ? (uint64_t)img->node_count + 1 : 1;
  mb__mnode *root = img ? node_from_image(m, 0) : node_new(m, MB_WASI_FILETYPE_DIRECTORY);
  if (!root) return MB_WASI_ENOMEM;
  root->nlink = 1; /* the mount's */
  m->root = &root->base;
  return MB_WASI_ESUCCESS;
}
