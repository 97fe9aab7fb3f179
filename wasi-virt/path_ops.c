/* path_ops.c — the path operations: walk to the final component, apply the rules that
 * do not depend on the kind of mount (trailing slashes, ".", "..", following a final
 * symlink, read-only mounts, cross-mount renames), then call the mount's operation.
 *
 * Order of errors, as preview1 hosts order them: bad flags (EINVAL) before the
 * descriptor (EBADF, ENOTDIR), then the path (ENAMETOOLONG, EINVAL for NUL, ENOENT,
 * ENOTCAPABLE, ENOTDIR, ELOOP), then existence (EEXIST, ENOENT), then EROFS. */
#include <string.h>

#include "vfs_internal.h"

#define OPS(n) ((n)->mount->ops)

static mb_wasi_errno base_dir(mb_vfs_file *f, mb__node **out) {
  if (!f) return MB_WASI_EBADF;
  if (f->node->type != MB_WASI_FILETYPE_DIRECTORY) return MB_WASI_ENOTDIR;
  *out = f->node;
  return MB_WASI_ESUCCESS;
}

static bool fst_ok(uint16_t fst) {
  if (fst & ~0xFu) return false;
  if ((fst & MB_WASI_FST_ATIM) && (fst & MB_WASI_FST_ATIM_NOW)) return false;
  if ((fst & MB_WASI_FST_MTIM) && (fst & MB_WASI_FST_MTIM_NOW)) return false;
  return true;
}

/* Read the final symlink w->name in the walk's top directory and splice it in. */
static mb_wasi_errno follow_final(mb__walk *w) {
  mb__node *top = mb__walk_dir(w);
  size_t n = 0;
  mb_wasi_errno e = OPS(top)->readlink_at(top, w->name, w->name_len, w->vfs->link,
                                          MB_VFS_PATH_MAX, &n);
  if (e) return e;
  if (n >= MB_VFS_PATH_MAX) return MB_WASI_ENAMETOOLONG;
  return mb__walk_follow(w, w->vfs->link, n);
}

/* Walk to the final object and stat it, following final symlinks when `follow` or a
 * trailing slash asks. Afterwards w->name (or the top itself for "."/"..") names it. */
static mb_wasi_errno walk_stat(mb__walk *w, bool follow, mb_vfs_filestat *st) {
  for (;;) {
    mb_wasi_errno e = mb__walk_last(w);
    if (e) return e;
    mb__node *top = mb__walk_dir(w);
    if (!w->name) return OPS(top)->stat(top, st);
    if ((e = OPS(top)->stat_at(top, w->name, w->name_len, st))) return e;
    if (st->filetype == MB_WASI_FILETYPE_SYMBOLIC_LINK && (follow || w->trailing_slash)) {
      if ((e = follow_final(w))) return e;
      continue;
    }
    if (w->trailing_slash && st->filetype != MB_WASI_FILETYPE_DIRECTORY) return MB_WASI_ENOTDIR;
    return MB_WASI_ESUCCESS;
  }
}

/* Does the final name exist (nofollow)? ESUCCESS, ENOENT or another error. */
static mb_wasi_errno exists(mb__walk *w) {
  mb_vfs_filestat st;
  mb__node *top = mb__walk_dir(w);
  return OPS(top)->stat_at(top, w->name, w->name_len, &st);
}

mb_wasi_errno mb_vfs_open(mb_vfs_file *dirf, uint32_t lookupflags, const char *path, size_t len,
                          uint16_t oflags, uint32_t access, uint16_t fdflags, mb_vfs_file **out) {
  *out = NULL;
  if ((lookupflags & ~(uint32_t)MB_WASI_LOOKUP_SYMLINK_FOLLOW) || (oflags & ~0xFu) ||
      (fdflags & ~0x1Fu) || (access & ~3u))
    return MB_WASI_EINVAL;
  if ((oflags & MB_WASI_O_DIRECTORY) && (oflags & (MB_WASI_O_CREAT | MB_WASI_O_TRUNC)))
    return MB_WASI_EINVAL;
  mb__node *dir, *node = NULL;
  mb_wasi_errno e = base_dir(dirf, &dir);
  if (e) return e;
  mb_vfs *vfs = dirf->vfs;
  /* allocated first, so a created file is never left without its descriptor */
  mb_vfs_file *f = mb_mem_calloc(&vfs->alloc, 1, sizeof *f);
  if (!f) return MB_WASI_ENOMEM;
  bool follow = lookupflags & MB_WASI_LOOKUP_SYMLINK_FOLLOW;
  bool excl = (oflags & (MB_WASI_O_CREAT | MB_WASI_O_EXCL)) == (MB_WASI_O_CREAT | MB_WASI_O_EXCL);
  mb__walk w;
  e = mb__walk_begin(&w, vfs, dir, path, len);
  while (!e) {
    if ((e = mb__walk_last(&w))) break;
    mb__node *top = mb__walk_dir(&w);
    if (!w.name) { /* "." or "..": the directory itself */
      if (excl)
        e = MB_WASI_EEXIST;
      else if ((access & MB_VFS_ACCESS_WRITE) || (oflags & (MB_WASI_O_TRUNC | MB_WASI_O_CREAT)))
        e = MB_WASI_EISDIR;
      else
        node = mb__node_ref(top);
      break;
    }
    uint16_t of = oflags;
    if (w.trailing_slash) {
      if (oflags & MB_WASI_O_CREAT) { /* Linux: open("new/", O_CREAT) */
        e = MB_WASI_EISDIR;
        break;
      }
      of |= MB_WASI_O_DIRECTORY;
    }
    e = OPS(top)->open_at(top, w.name, w.name_len, of, access, fdflags, &node);
    if (e == MB_WASI_ELOOP && !excl && (follow || w.trailing_slash)) {
      size_t n = 0;
      mb_wasi_errno e2 = OPS(top)->readlink_at(top, w.name, w.name_len, vfs->link,
                                               MB_VFS_PATH_MAX, &n);
      if (e2 == MB_WASI_EINVAL) break; /* not a symlink: the ELOOP stands */
      if (!e2 && n >= MB_VFS_PATH_MAX) e2 = MB_WASI_ENAMETOOLONG;
      if (!e2) e2 = mb__walk_follow(&w, vfs->link, n);
      e = e2;
      continue;
    }
    break;
  }
  mb__walk_end(&w);
  if (e) {
    mb__node_unref(node);
    mb_mem_free(&vfs->alloc, f);
    return e;
  }
  f->vfs = vfs;
  f->node = node;
  f->access = access;
  f->fdflags = fdflags;
  vfs->files++;
  *out = f;
  return MB_WASI_ESUCCESS;
}

mb_wasi_errno mb_vfs_path_stat(mb_vfs_file *dirf, uint32_t lookupflags, const char *path,
                               size_t len, mb_vfs_filestat *st) {
  if (lookupflags & ~(uint32_t)MB_WASI_LOOKUP_SYMLINK_FOLLOW) return MB_WASI_EINVAL;
  mb__node *dir;
  mb_wasi_errno e = base_dir(dirf, &dir);
  if (e) return e;
  mb__walk w;
  if (!(e = mb__walk_begin(&w, dirf->vfs, dir, path, len)))
    e = walk_stat(&w, lookupflags & MB_WASI_LOOKUP_SYMLINK_FOLLOW, st);
  mb__walk_end(&w);
  return e;
}

mb_wasi_errno mb_vfs_path_set_times(mb_vfs_file *dirf, uint32_t lookupflags, const char *path,
                                    size_t len, uint64_t atim, uint64_t mtim, uint16_t fst) {
  if ((lookupflags & ~(uint32_t)MB_WASI_LOOKUP_SYMLINK_FOLLOW) || !fst_ok(fst))
    return MB_WASI_EINVAL;
  mb__node *dir;
  mb_wasi_errno e = base_dir(dirf, &dir);
  if (e) return e;
  mb__walk w;
  mb_vfs_filestat st;
  if (!(e = mb__walk_begin(&w, dirf->vfs, dir, path, len)))
    e = walk_stat(&w, lookupflags & MB_WASI_LOOKUP_SYMLINK_FOLLOW, &st);
  if (!e) {
    mb__node *top = mb__walk_dir(&w);
    if (top->mount->readonly)
      e = MB_WASI_EROFS;
    else if (w.name)
      e = OPS(top)->set_times_at(top, w.name, w.name_len, atim, mtim, fst);
    else
      e = OPS(top)->set_times(top, atim, mtim, fst);
  }
  mb__walk_end(&w);
  return e;
}

mb_wasi_errno mb_vfs_mkdir(mb_vfs_file *dirf, const char *path, size_t len) {
  mb__node *dir;
  mb_wasi_errno e = base_dir(dirf, &dir);
  if (e) return e;
  mb__walk w;
  if (!(e = mb__walk_begin(&w, dirf->vfs, dir, path, len)) && !(e = mb__walk_last(&w))) {
    mb__node *top = mb__walk_dir(&w);
    if (!w.name) {
      e = MB_WASI_EEXIST;
    } else if (top->mount->readonly) {
      e = exists(&w);
      e = e == MB_WASI_ENOENT ? MB_WASI_EROFS : e ? e : MB_WASI_EEXIST;
    } else {
      e = OPS(top)->mkdir_at(top, w.name, w.name_len);
    }
  }
  mb__walk_end(&w);
  return e;
}

mb_wasi_errno mb_vfs_rmdir(mb_vfs_file *dirf, const char *path, size_t len) {
  mb__node *dir;
  mb_wasi_errno e = base_dir(dirf, &dir);
  if (e) return e;
  mb__walk w;
  if (!(e = mb__walk_begin(&w, dirf->vfs, dir, path, len)) && !(e = mb__walk_last(&w))) {
    mb__node *top = mb__walk_dir(&w);
    if (!w.name) /* POSIX: "." is EINVAL; ".." names a directory that is not empty */
      e = w.dots == 1 ? MB_WASI_EINVAL : MB_WASI_ENOTEMPTY;
    else if (top->mount->readonly)
      e = MB_WASI_EROFS;
    else
      e = OPS(top)->rmdir_at(top, w.name, w.name_len);
  }
  mb__walk_end(&w);
  return e;
}

mb_wasi_errno mb_vfs_unlink(mb_vfs_file *dirf, const char *path, size_t len) {
  mb__node *dir;
  mb_wasi_errno e = base_dir(dirf, &dir);
  if (e) return e;
  mb__walk w;
  if (!(e = mb__walk_begin(&w, dirf->vfs, dir, path, len)) && !(e = mb__walk_last(&w))) {
    mb__node *top = mb__walk_dir(&w);
    mb_vfs_filestat st;
    if (!w.name) {
      e = MB_WASI_EISDIR;
    } else if (top->mount->readonly) {
      e = MB_WASI_EROFS;
    } else if (w.trailing_slash) {
      /* "name/": a directory is EISDIR (as without the slash); anything else, symlinks
       * included (the final component is never followed here), ENOTDIR */
      e = OPS(top)->stat_at(top, w.name, w.name_len, &st);
      if (!e) e = st.filetype == MB_WASI_FILETYPE_DIRECTORY ? MB_WASI_EISDIR : MB_WASI_ENOTDIR;
    } else {
      e = OPS(top)->unlink_at(top, w.name, w.name_len);
    }
  }
  mb__walk_end(&w);
  return e;
}

mb_wasi_errno mb_vfs_rename(mb_vfs_file *dirf, const char *path, size_t len, mb_vfs_file *new_dirf,
                            const char *new_path, size_t new_len) {
  mb__node *dir, *new_dir, *p1 = NULL;
  mb_wasi_errno e = base_dir(dirf, &dir);
  if (!e) e = base_dir(new_dirf, &new_dir);
  if (e) return e;
  if (dirf->vfs != new_dirf->vfs) return MB_WASI_EXDEV;
  char name1[MB_VFS_NAME_MAX];
  size_t len1 = 0;
  bool slash = false;
  mb__walk w;
  if (!(e = mb__walk_begin(&w, dirf->vfs, dir, path, len)) && !(e = mb__walk_last(&w))) {
    if (!w.name) { /* a final "." or "..": POSIX says EINVAL, Linux (the hosts) EBUSY */
      e = MB_WASI_EBUSY;
    } else {
      p1 = mb__node_ref(mb__walk_dir(&w));
      memcpy(name1, w.name, w.name_len);
      len1 = w.name_len;
      slash = w.trailing_slash;
    }
  }
  mb__walk_end(&w);
  if (!e && !(e = mb__walk_begin(&w, dirf->vfs, new_dir, new_path, new_len)) &&
      !(e = mb__walk_last(&w))) {
    mb__node *p2 = mb__walk_dir(&w);
    mb_vfs_filestat st;
    if (!w.name)
      e = MB_WASI_EBUSY;
    else if (p1->mount != p2->mount)
      e = MB_WASI_EXDEV;
    else if (p1->mount->readonly)
      e = MB_WASI_EROFS;
    else if ((slash || w.trailing_slash) &&
             !(e = OPS(p1)->stat_at(p1, name1, len1, &st)) &&
             st.filetype != MB_WASI_FILETYPE_DIRECTORY)
      e = MB_WASI_ENOTDIR; /* trailing slashes: only directories move */
    if (!e) e = OPS(p1)->rename_at(p1, name1, len1, p2, w.name, w.name_len);
  }
  mb__walk_end(&w);
  mb__node_unref(p1);
  return e;
}

mb_wasi_errno mb_vfs_symlink(const char *text, size_t text_len, mb_vfs_file *dirf,
                             const char *path, size_t len) {
  mb__node *dir;
  mb_wasi_errno e = base_dir(dirf, &dir);
  if (e) return e;
  if (!text && text_len) return MB_WASI_EINVAL;
  if ((e = mb__check_link_text(text, text_len))) return e;
  mb__walk w;
  if (!(e = mb__walk_begin(&w, dirf->vfs, dir, path, len)) && !(e = mb__walk_last(&w))) {
    mb__node *top = mb__walk_dir(&w);
    if (!w.name) {
      e = MB_WASI_EEXIST;
    } else if (w.trailing_slash || top->mount->readonly) {
      /* "new/" cannot name a symlink (ENOENT, as Linux); read-only: EROFS, unless
       * something is there already */
      e = exists(&w);
      e = !e ? MB_WASI_EEXIST
          : e != MB_WASI_ENOENT ? e
          : w.trailing_slash ? MB_WASI_ENOENT
                             : MB_WASI_EROFS;
    } else {
      e = OPS(top)->symlink_at(text, text_len, top, w.name, w.name_len);
    }
  }
  mb__walk_end(&w);
  return e;
}

mb_wasi_errno mb_vfs_readlink(mb_vfs_file *dirf, const char *path, size_t len, char *buf,
                              size_t cap, size_t *n) {
  *n = 0;
  mb__node *dir;
  mb_wasi_errno e = base_dir(dirf, &dir);
  if (e) return e;
  mb__walk w;
  if (!(e = mb__walk_begin(&w, dirf->vfs, dir, path, len)) && !(e = mb__walk_last(&w))) {
    mb__node *top = mb__walk_dir(&w);
    mb_vfs_filestat st;
    if (!w.name) {
      e = MB_WASI_EINVAL;
    } else if (w.trailing_slash) {
      /* "link/" means what the link points to, which is a directory or an error */
      e = OPS(top)->stat_at(top, w.name, w.name_len, &st);
      if (!e) e = st.filetype == MB_WASI_FILETYPE_DIRECTORY ? MB_WASI_EINVAL : MB_WASI_ENOTDIR;
    } else {
      e = OPS(top)->readlink_at(top, w.name, w.name_len, buf, cap, n);
    }
  }
  mb__walk_end(&w);
  return e;
}

mb_wasi_errno mb_vfs_link(mb_vfs_file *dirf, uint32_t lookupflags, const char *path, size_t len,
                          mb_vfs_file *new_dirf, const char *new_path, size_t new_len) {
  if (lookupflags & ~(uint32_t)MB_WASI_LOOKUP_SYMLINK_FOLLOW) return MB_WASI_EINVAL;
  mb__node *dir, *new_dir, *p1 = NULL;
  mb_wasi_errno e = base_dir(dirf, &dir);
  if (!e) e = base_dir(new_dirf, &new_dir);
  if (e) return e;
  if (dirf->vfs != new_dirf->vfs) return MB_WASI_EXDEV;
  char name1[MB_VFS_NAME_MAX];
  size_t len1 = 0;
  mb__walk w;
  mb_vfs_filestat st;
  if (!(e = mb__walk_begin(&w, dirf->vfs, dir, path, len)) &&
      !(e = walk_stat(&w, lookupflags & MB_WASI_LOOKUP_SYMLINK_FOLLOW, &st))) {
    if (!w.name || st.filetype == MB_WASI_FILETYPE_DIRECTORY) {
      e = MB_WASI_EPERM; /* no hard links to directories */
    } else {
      p1 = mb__node_ref(mb__walk_dir(&w));
      memcpy(name1, w.name, w.name_len);
      len1 = w.name_len;
    }
  }
  mb__walk_end(&w);
  if (!e && !(e = mb__walk_begin(&w, dirf->vfs, new_dir, new_path, new_len)) &&
      !(e = mb__walk_last(&w))) {
    mb__node *p2 = mb__walk_dir(&w);
    if (!w.name) {
      e = MB_WASI_EEXIST;
    } else if (w.trailing_slash || p2->mount->readonly || p1->mount != p2->mount) {
      e = exists(&w);
      e = !e ? MB_WASI_EEXIST
          : e != MB_WASI_ENOENT ? e
          : w.trailing_slash ? MB_WASI_ENOENT
          : p1->mount != p2->mount ? MB_WASI_EXDEV
                                   : MB_WASI_EROFS;
    } else {
      e = OPS(p1)->link_at(p1, name1, len1, p2, w.name, w.name_len);
    }
  }
  mb__walk_end(&w);
  mb__node_unref(p1);
  return e;
}
