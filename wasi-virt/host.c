/* host.c — the host kind: a directory of the real host, reached only through the
 * backend calls of mb_vfs_host_ops with single components and without following
 * symlinks. The walker holds an open host fd for each directory on its stack, so a
 * component is always opened relative to a directory already known to be inside the
 * mount; ".." never reaches the host (the walker pops instead) and symlink texts are
 * read and walked here, by the same confined walker. */
#include <string.h>

#include "vfs_internal.h"

#define HN(n) ((mb__hnode *)(n))
#define HOPS(n) ((n)->mount->hops)
#define HCTX(n) ((n)->mount->hctx)

static mb__hnode *hnode_new(mb__mount *m, uint32_t fd, uint8_t type) {
  mb__hnode *h = mb_mem_calloc(MB__MOUNT_ALLOC(m), 1, sizeof *h);
  if (!h) return NULL;
  h->base.mount = m;
  h->base.type = type;
  h->base.refs = 1;
  h->fd = fd;
  return h;
}

/* n's host ino, asking the host only the first time (0 when it cannot say). */
static uint64_t ino_of(mb__node *n) {
  mb__hnode *h = HN(n);
  mb_vfs_filestat st;
  if (!h->ino && !n->mount->hops->stat(n->mount->hctx, h->fd, &st)) h->ino = st.ino;
  return h->ino;
}

/* Wrap a host fd freshly opened in dir (ino: what the host said), closing it when that
 * fails. A directory remembers dir's ino for its ".." entry. (Linux gives the current
 * parent, which differs from this one once the directory is moved while open.) */
static mb_wasi_errno wrap(mb__node *dir, uint32_t fd, uint8_t type, uint64_t ino,
                          mb__node **out) {
  mb__mount *m = dir->mount;
  mb__hnode *h = hnode_new(m, fd, type);
  if (!h) {
    m->hops->close(m->hctx, fd);
    return MB_WASI_ENOMEM;
  }
  h->ino = ino;
  if (type == MB_WASI_FILETYPE_DIRECTORY) h->parent_ino = ino_of(dir);
  *out = &h->base;
  return MB_WASI_ESUCCESS;
}

/* ---- nanoseconds the host rounds away ----
 * preview1 times are nanoseconds and Linux keeps them, but Node's WASI (uvwasi) hands
 * the host whole seconds: fd_ and path_filestat_set_times divide by 10^9 before calling
 * libuv, and write an omitted time back rounded too. The host file then holds whole
 * seconds and nothing here can change that (no other preview1 call sets times). What
 * can be done is that the program reads back, during the run, what it set: a set
 * remembers the times asked for and what the host reported right after, and a stat that
 * finds the host still reporting exactly that reports what was asked instead. When
 * anything else moves the host's times (a write, a read that updates atime, another
 * process), the host reports something else, which is then reported as it is. A later
 * run sees the host's whole seconds. MB__HTIMES files are remembered per mount; one
 * pushed out keeps the host's rounding. */

static mb__htimes *htimes_find(mb__mount *m, uint64_t dev, uint64_t ino) {
  if (!m->htimes) return NULL;
  for (uint32_t i = 0; i < MB__HTIMES; i++) {
    mb__htimes *t = &m->htimes[i];
    if (t->has && t->dev == dev && t->ino == ino) return t;
  }
  return NULL;
}

/* st as the host reported it (the host's dev and ino). */
static void htimes_apply(mb__mount *m, mb_vfs_filestat *st) {
  mb__htimes *t = htimes_find(m, st->dev, st->ino);
  if (!t) return;
  if ((t->has & 1) && st->atim == t->host_atim) st->atim = t->atim;
  if ((t->has & 2) && st->mtim == t->host_mtim) st->mtim = t->mtim;
}

/* The host reported st right after a set of atim and mtim (explicit where fst says). */
static void htimes_note(mb__mount *m, const mb_vfs_filestat *st, uint64_t atim, uint64_t mtim,
                        uint16_t fst) {
  uint8_t has = 0;
  if ((fst & MB_WASI_FST_ATIM) && st->atim != atim) has |= 1;
  if ((fst & MB_WASI_FST_MTIM) && st->mtim != mtim) has |= 2;
  mb__htimes *t = htimes_find(m, st->dev, st->ino);
  if (!has) { /* the host kept what was asked (or set "now" itself) */
    if (t) t->has = 0;
    return;
  }
  if (!t) {
    /* best effort: without the table the host's rounding stands */
    if (!m->htimes && !(m->htimes = mb_mem_calloc(MB__MOUNT_ALLOC(m), MB__HTIMES, sizeof *m->htimes))) return;
    for (uint32_t i = 0; i < MB__HTIMES && !t; i++)
      if (!m->htimes[i].has) t = &m->htimes[i];
    if (!t) t = &m->htimes[m->htimes_next++ % MB__HTIMES];
  }
  *t = (mb__htimes){st->dev, st->ino, st->atim, st->mtim, atim, mtim, has};
}

/* Make both times explicit, an omitted one as it is now (cur), so that a host that
 * writes both whatever fst says (uvwasi) rounds nothing the program did not set and
 * the table above remembers it exactly. "now" stays the host's. */
static void times_resolve(const mb_vfs_filestat *cur, uint64_t *atim, uint64_t *mtim,
                          uint16_t *fst) {
  if (!(*fst & (MB_WASI_FST_ATIM | MB_WASI_FST_ATIM_NOW))) {
    *atim = cur->atim;
    *fst |= MB_WASI_FST_ATIM;
  }
  if (!(*fst & (MB_WASI_FST_MTIM | MB_WASI_FST_MTIM_NOW))) {
    *mtim = cur->mtim;
    *fst |= MB_WASI_FST_MTIM;
  }
}

static void fix_stat(mb__node *n, mb_vfs_filestat *st) {
  htimes_apply(n->mount, st);
  /* one device per mount, as for the other kinds; inos are the host's */
  st->dev = n->mount->dev;
  memset(st->pad_, 0, sizeof st->pad_);
}

/* Open a directory component; a symlink's text goes to link instead. Also the subdir
 * walk of mb__host_mount_init. */
static mb_wasi_errno open_dir(mb__node *dir, const char *name, size_t len, mb__node **child,
                              char *link, size_t *link_len) {
  mb__mount *m = dir->mount;
  uint32_t fd;
  uint8_t type = 0;
  uint64_t ino = 0;
  *child = NULL;
  mb_wasi_errno e = m->hops->open_at(m->hctx, HN(dir)->fd, name, len, MB_WASI_O_DIRECTORY,
                                     MB_VFS_ACCESS_READ, &fd, &type, &ino);
  if (!e) {
    if (type != MB_WASI_FILETYPE_DIRECTORY) { /* a host that ignored O_DIRECTORY */
      m->hops->close(m->hctx, fd);
      return MB_WASI_ENOTDIR;
    }
    return wrap(dir, fd, type, ino, child);
  }
  /* a symlink opened with nofollow gives ELOOP or ENOTDIR, depending on the host */
  if (e != MB_WASI_ELOOP && e != MB_WASI_ENOTDIR && e != MB_WASI_EMLINK) return e;
  mb_vfs_filestat st;
  mb_wasi_errno e2 = m->hops->stat_at(m->hctx, HN(dir)->fd, name, len, &st);
  if (e2) return e2;
  if (st.filetype != MB_WASI_FILETYPE_SYMBOLIC_LINK)
    return st.filetype == MB_WASI_FILETYPE_DIRECTORY ? e : MB_WASI_ENOTDIR;
  if (!link) return MB_WASI_ELOOP;
  size_t n = 0;
  if ((e2 = m->hops->readlink_at(m->hctx, HN(dir)->fd, name, len, link, MB_VFS_PATH_MAX, &n)))
    return e2;
  if (n >= MB_VFS_PATH_MAX) return MB_WASI_ENAMETOOLONG;
  *link_len = n;
  return MB_WASI_ESUCCESS;
}

static mb_wasi_errno host_step(mb__node *dir, const char *name, size_t len, mb__node **child,
                               char *link, size_t *link_len) {
  return open_dir(dir, name, len, child, link, link_len);
}

static mb_wasi_errno host_open_at(mb__node *dir, const char *name, size_t len, uint16_t oflags,
                                  uint32_t access, uint16_t fdflags, mb__node **out) {
  (void)fdflags; /* kept by the vfs file, never given to the host */
  mb__mount *m = dir->mount;
  uint32_t fd, hdir = HN(dir)->fd;
  uint8_t type = 0;
  uint64_t ino = 0;
  bool excl = (oflags & (MB_WASI_O_CREAT | MB_WASI_O_EXCL)) == (MB_WASI_O_CREAT | MB_WASI_O_EXCL);
  bool writes = (access & MB_VFS_ACCESS_WRITE) || (oflags & MB_WASI_O_TRUNC);
  if (!excl) oflags &= (uint16_t)~MB_WASI_O_EXCL;
  if (m->readonly) {
    /* Open for reading only, creating and truncating nothing, then decide. */
    mb_wasi_errno e = m->hops->open_at(m->hctx, hdir, name, len,
                                       oflags & MB_WASI_O_DIRECTORY, MB_VFS_ACCESS_READ, &fd,
                                       &type, &ino);
    if (e == MB_WASI_ENOENT) return (oflags & MB_WASI_O_CREAT) ? MB_WASI_EROFS : e;
    if (e == MB_WASI_ELOOP && excl) return MB_WASI_EEXIST;
    if (e) return e;
    bool is_dir = type == MB_WASI_FILETYPE_DIRECTORY;
    if (excl)
      e = MB_WASI_EEXIST;
    else if (is_dir && (writes || (oflags & MB_WASI_O_CREAT)))
      e = MB_WASI_EISDIR;
    else if (writes)
      e = MB_WASI_EROFS;
    if (e) {
      m->hops->close(m->hctx, fd);
      return e;
    }
    return wrap(dir, fd, type, ino, out);
  }
  mb_wasi_errno e = m->hops->open_at(m->hctx, hdir, name, len, oflags, access, &fd, &type, &ino);
  if (e) return e;
  if (type == MB_WASI_FILETYPE_DIRECTORY && (writes || (oflags & MB_WASI_O_CREAT))) {
    /* a host that let it through (Linux says EISDIR for both) */
    m->hops->close(m->hctx, fd);
    return MB_WASI_EISDIR;
  }
  if ((oflags & MB_WASI_O_DIRECTORY) && type != MB_WASI_FILETYPE_DIRECTORY) {
    m->hops->close(m->hctx, fd);
    return MB_WASI_ENOTDIR;
  }
  return wrap(dir, fd, type, ino, out);
}

static mb_wasi_errno host_stat_at(mb__node *dir, const char *name, size_t len, mb_vfs_filestat *st) {
  mb_wasi_errno e = HOPS(dir)->stat_at(HCTX(dir), HN(dir)->fd, name, len, st);
  if (!e) fix_stat(dir, st);
  return e;
}

static mb_wasi_errno host_readlink_at(mb__node *dir, const char *name, size_t len, char *buf,
                                      size_t cap, size_t *n) {
  *n = 0;
  mb_wasi_errno e = HOPS(dir)->readlink_at(HCTX(dir), HN(dir)->fd, name, len, buf, cap, n);
  if (!e && *n > cap) return MB_WASI_EIO; /* a host that overran the buffer */
  return e;
}

static mb_wasi_errno host_set_times_at(mb__node *dir, const char *name, size_t len, uint64_t atim,
                                       uint64_t mtim, uint16_t fst) {
  const mb_vfs_host_ops *h = HOPS(dir);
  uint32_t fd = HN(dir)->fd;
  mb_vfs_filestat st;
  mb_wasi_errno e = h->stat_at(HCTX(dir), fd, name, len, &st);
  if (e) return e;
  htimes_apply(dir->mount, &st);
  times_resolve(&st, &atim, &mtim, &fst);
  if ((e = h->set_times_at(HCTX(dir), fd, name, len, atim, mtim, fst))) return e;
  if (!h->stat_at(HCTX(dir), fd, name, len, &st)) htimes_note(dir->mount, &st, atim, mtim, fst);
  return MB_WASI_ESUCCESS;
}

static mb_wasi_errno host_mkdir_at(mb__node *dir, const char *name, size_t len) {
  return HOPS(dir)->mkdir_at(HCTX(dir), HN(dir)->fd, name, len);
}
static mb_wasi_errno host_rmdir_at(mb__node *dir, const char *name, size_t len) {
  return HOPS(dir)->rmdir_at(HCTX(dir), HN(dir)->fd, name, len);
}
static mb_wasi_errno host_unlink_at(mb__node *dir, const char *name, size_t len) {
  return HOPS(dir)->unlink_at(HCTX(dir), HN(dir)->fd, name, len);
}
static mb_wasi_errno host_symlink_at(const char *text, size_t text_len, mb__node *dir,
                                     const char *name, size_t len) {
  return HOPS(dir)->symlink_at(HCTX(dir), text, text_len, HN(dir)->fd, name, len);
}
static mb_wasi_errno host_rename_at(mb__node *d1, const char *n1, size_t l1, mb__node *d2,
                                    const char *n2, size_t l2) {
  return HOPS(d1)->rename_at(HCTX(d1), HN(d1)->fd, n1, l1, HN(d2)->fd, n2, l2);
}
static mb_wasi_errno host_link_at(mb__node *d1, const char *n1, size_t l1, mb__node *d2,
                                  const char *n2, size_t l2) {
  return HOPS(d1)->link_at(HCTX(d1), HN(d1)->fd, n1, l1, HN(d2)->fd, n2, l2);
}

static mb_wasi_errno host_stat(mb__node *n, mb_vfs_filestat *st) {
  mb_wasi_errno e = HOPS(n)->stat(HCTX(n), HN(n)->fd, st);
  if (!e) fix_stat(n, st);
  return e;
}

static mb_wasi_errno host_pread(mb__node *n, void *buf, size_t len, uint64_t off, size_t *got) {
  *got = 0;
  mb_wasi_errno e = HOPS(n)->pread(HCTX(n), HN(n)->fd, buf, len, off, got);
  if (!e && *got > len) return MB_WASI_EIO;
  return e;
}

static mb_wasi_errno host_pwrite(mb__node *n, const void *buf, size_t len, uint64_t off,
                                 bool append, size_t *put, uint64_t *end) {
  *put = 0;
  if (append) {
    mb_vfs_filestat st;
    mb_wasi_errno e = HOPS(n)->stat(HCTX(n), HN(n)->fd, &st);
    if (e) return e;
    off = st.size;
  }
  *end = off;
  if (off > MB_VFS_FILE_MAX || len > MB_VFS_FILE_MAX - off) return MB_WASI_EFBIG;
  mb_wasi_errno e = HOPS(n)->pwrite(HCTX(n), HN(n)->fd, buf, len, off, put);
  if (e) return e;
  if (*put > len) return MB_WASI_EIO;
  *end = off + *put;
  return MB_WASI_ESUCCESS;
}

static mb_wasi_errno host_set_size(mb__node *n, uint64_t size) {
  return HOPS(n)->set_size(HCTX(n), HN(n)->fd, size);
}

static mb_wasi_errno host_set_times(mb__node *n, uint64_t atim, uint64_t mtim, uint16_t fst) {
  const mb_vfs_host_ops *h = HOPS(n);
  mb_vfs_filestat st;
  mb_wasi_errno e = h->stat(HCTX(n), HN(n)->fd, &st);
  if (e) return e;
  htimes_apply(n->mount, &st);
  times_resolve(&st, &atim, &mtim, &fst);
  if ((e = h->set_times(HCTX(n), HN(n)->fd, atim, mtim, fst))) return e;
  if (!h->stat(HCTX(n), HN(n)->fd, &st)) htimes_note(n->mount, &st, atim, mtim, fst);
  return MB_WASI_ESUCCESS;
}

static mb_wasi_errno host_sync(mb__node *n, bool data_only) {
  return HOPS(n)->sync(HCTX(n), HN(n)->fd, data_only);
}

static uint64_t rd64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

enum { RD_BUF = 4096, RD_BUF_MAX = 64 * 1024, DIRENT = 24 };

/* "." and "..", then the host's entries without its own "." and ".." (uvwasi lists
 * none). Our cookie c >= 2 stands for host cookie c - 2, so the cookies stay the host's
 * and as stable as its own. The host's bytes are checked like any input. */
static mb_wasi_errno host_readdir(mb__node *n, uint64_t cookie, mb__dirent_cb cb, void *ctx) {
  mb__mount *m = n->mount;
  mb_vfs *vfs = m->vfs;
  mb__dirent_view v = {0};
  if (cookie <= 1) {
    mb_vfs_filestat st;
    mb_wasi_errno e = m->hops->stat(m->hctx, HN(n)->fd, &st);
    if (e) return e;
    if (st.nlink == 0) return MB_WASI_ENOENT; /* removed: Linux lists not even "." */
    v.type = MB_WASI_FILETYPE_DIRECTORY;
    v.ino = HN(n)->ino = st.ino;
    if (cookie == 0) {
      v.next = 1;
      v.name = ".";
      v.name_len = 1;
      if (!cb(ctx, &v)) return MB_WASI_ESUCCESS;
    }
    v.next = 2;
    v.ino = HN(n)->parent_ino ? HN(n)->parent_ino : st.ino;
    v.name = "..";
    v.name_len = 2;
    if (!cb(ctx, &v)) return MB_WASI_ESUCCESS;
  }
  uint64_t hc = cookie >= 2 ? cookie - 2 : 0;
  size_t cap = RD_BUF;
  uint8_t *buf = mb_mem_alloc(MB__NODE_ALLOC(n), cap);
  mb_wasi_errno e = MB_WASI_ESUCCESS;
  if (!buf) return MB_WASI_ENOMEM;
  for (;;) {
    size_t used = 0;
    if ((e = m->hops->readdir(m->hctx, HN(n)->fd, buf, cap, hc, &used))) break;
    if (used > cap) {
      e = MB_WASI_EIO;
      break;
    }
    size_t off = 0, records = 0;
    uint64_t start = hc;
    bool stop = false;
    while (used - off >= DIRENT) {
      const uint8_t *r = buf + off;
      uint64_t next = rd64(r);
      uint32_t namlen = (uint32_t)r[16] | (uint32_t)r[17] << 8 | (uint32_t)r[18] << 16 |
                        (uint32_t)r[19] << 24;
      if (namlen > used - off - DIRENT) break; /* cut off by the buffer */
      const char *name = (const char *)r + DIRENT;
      off += DIRENT + namlen;
      records++;
      hc = next;
      if (!mb__name_ok(name, namlen)) continue; /* ".", "..", or nothing we could open */
      if (next > UINT64_MAX - 2) {
        e = MB_WASI_EIO;
        stop = true;
        break;
      }
      memcpy(vfs->name, name, namlen);
      vfs->name[namlen] = '\0';
      v.next = next + 2;
      v.ino = rd64(r + 8);
      v.type = r[20];
      v.name = vfs->name;
      v.name_len = namlen;
      if (!cb(ctx, &v)) {
        stop = true;
        break;
      }
    }
    if (stop || used < cap) break; /* stopped, or the host said the listing ended */
    if (records == 0) {
      /* one record larger than the buffer: grow, within reason */
      if (cap >= RD_BUF_MAX) {
        e = MB_WASI_EIO;
        break;
      }
      uint8_t *p = mb_mem_realloc(MB__NODE_ALLOC(n), buf, cap * 2);
      if (!p) {
        e = MB_WASI_ENOMEM;
        break;
      }
      buf = p;
      cap *= 2;
    } else if (hc == start) {
      e = MB_WASI_EIO; /* a host whose cookies do not advance would loop forever */
      break;
    }
  }
  mb_mem_free(MB__NODE_ALLOC(n), buf);
  return e;
}

static void host_released(mb__node *n) {
  if (!HN(n)->borrowed) HOPS(n)->close(HCTX(n), HN(n)->fd);
  mb_mem_free(MB__NODE_ALLOC(n), n);
}

static void host_unmount(mb__mount *m) {
  mb__node *root = m->root;
  m->root = NULL;
  mb__node_unref(root);
}

const mb__fs_ops mb__host_ops = {
    .step = host_step,
    .open_at = host_open_at,
    .stat_at = host_stat_at,
    .readlink_at = host_readlink_at,
    .set_times_at = host_set_times_at,
    .mkdir_at = host_mkdir_at,
    .rmdir_at = host_rmdir_at,
    .unlink_at = host_unlink_at,
    .symlink_at = host_symlink_at,
    .rename_at = host_rename_at,
    .link_at = host_link_at,
    .stat = host_stat,
    .pread = host_pread,
    .pwrite = host_pwrite,
    .set_size = host_set_size,
    .set_times = host_set_times,
    .sync = host_sync,
    .readdir = host_readdir,
    .released = host_released,
    .unmount = host_unmount,
};

mb_wasi_errno mb__host_mount_init(mb__mount *m, const mb_vfs_host_ops *ops, void *ctx,
                                  uint32_t dirfd, const char *subdir, size_t subdir_len) {
  m->ops = &mb__host_ops;
  m->hops = ops;
  m->hctx = ctx;
  mb__hnode *root = hnode_new(m, dirfd, MB_WASI_FILETYPE_DIRECTORY);
  if (!root) return MB_WASI_ENOMEM;
  root->borrowed = true;
  mb__node *cur = &root->base;
  /* Configuration, but walked as carefully as a guest path: each component must be a
   * real directory; no "..", no symlinks. */
  size_t i = 0;
  mb_wasi_errno e = MB_WASI_ESUCCESS;
  if (subdir_len && subdir[0] == '/') e = MB_WASI_EINVAL; /* relative to dirfd only */
  while (!e && i < subdir_len) {
    if (subdir[i] == '/') {
      i++;
      continue;
    }
    size_t s = i;
    while (i < subdir_len && subdir[i] != '/') i++;
    const char *name = subdir + s;
    size_t len = i - s;
    if (len > MB_VFS_NAME_MAX) {
      e = MB_WASI_ENAMETOOLONG;
      break;
    }
    if (!mb__name_ok(name, len)) {
      e = MB_WASI_EINVAL;
      break;
    }
    mb__node *child = NULL;
    if ((e = open_dir(cur, name, len, &child, NULL, NULL))) break;
    mb__node_unref(cur);
    cur = child;
  }
  if (e) {
    mb__node_unref(cur);
    return e;
  }
  HN(cur)->parent_ino = 0; /* the mount root's ".." is itself: nothing above it shows */
  m->root = cur;
  return MB_WASI_ESUCCESS;
}
