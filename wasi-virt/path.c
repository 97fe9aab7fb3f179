/* path.c — path resolution, component by component, with a stack of directories.
 *
 * The bottom of the stack is the directory the path is relative to; every entry above
 * it is a child of the entry below, so ".." is a pop, and a pop of the bottom is an
 * escape (ENOTCAPABLE): no string is ever compared with a mount prefix. A symlink's
 * text is spliced in front of the rest of the path and walked by the same loop, so it
 * is confined by the same stack. The rest of the path is kept at the end of
 * vfs->path, so a splice only moves the start leftwards. */
#include <string.h>

#include "vfs_internal.h"

enum { END = MB_VFS_PATH_MAX, STACK_MAX = 1 << 16 };

mb_wasi_errno mb__check_link_text(const char *text, size_t len) {
  if (len == 0) return MB_WASI_ENOENT; /* Linux: an empty link resolves to nothing */
  if (len >= MB_VFS_PATH_MAX) return MB_WASI_ENAMETOOLONG;
  if (memchr(text, '\0', len)) return MB_WASI_EINVAL;
  if (text[0] == '/') return MB_WASI_ENOTCAPABLE;
  return MB_WASI_ESUCCESS;
}

mb_wasi_errno mb__walk_begin(mb__walk *w, mb_vfs *vfs, mb__node *dir, const char *path,
                             size_t len) {
  memset(w, 0, sizeof *w);
  w->vfs = vfs;
  if (len >= MB_VFS_PATH_MAX) return MB_WASI_ENAMETOOLONG;
  if (len && memchr(path, '\0', len)) return MB_WASI_EINVAL;
  if (len == 0) return MB_WASI_ENOENT;
  if (path[0] == '/') return MB_WASI_ENOTCAPABLE;
  if (dir->type != MB_WASI_FILETYPE_DIRECTORY) return MB_WASI_ENOTDIR;
  vfs->stack[0] = mb__node_ref(dir);
  w->depth = 1;
  w->pos = END - len;
  memcpy(vfs->path + w->pos, path, len);
  return MB_WASI_ESUCCESS;
}

static mb_wasi_errno push(mb__walk *w, mb__node *n) {
  mb_vfs *v = w->vfs;
  if (w->depth == v->stack_cap) {
    if (v->stack_cap >= STACK_MAX) return MB_WASI_ENAMETOOLONG;
    mb__node **s = mb_mem_realloc(&v->alloc, v->stack, v->stack_cap * 2 * sizeof *s);
    if (!s) return MB_WASI_ENOMEM;
    v->stack = s;
    v->stack_cap *= 2;
  }
  v->stack[w->depth++] = n;
  return MB_WASI_ESUCCESS;
}

/* Put text where vfs->path[at..) begins; the rest follows it. */
static mb_wasi_errno splice(mb__walk *w, size_t at, const char *text, size_t len) {
  if (++w->links > MB_VFS_SYMLOOP_MAX) return MB_WASI_ELOOP;
  mb_wasi_errno e = mb__check_link_text(text, len);
  if (e) return e;
  if (len > at) return MB_WASI_ENAMETOOLONG;
  memmove(w->vfs->path + at - len, text, len);
  w->pos = at - len;
  return MB_WASI_ESUCCESS;
}

mb_wasi_errno mb__walk_last(mb__walk *w) {
  char *p = w->vfs->path;
  w->name = NULL;
  w->name_len = 0;
  w->dots = 0;
  w->trailing_slash = false;
  for (;;) {
    size_t s = w->pos;
    while (s < END && p[s] == '/') s++;
    if (s == END) return MB_WASI_ENOENT; /* unreachable: paths and texts are not empty */
    size_t e = s;
    while (e < END && p[e] != '/') e++;
    size_t t = e;
    while (t < END && p[t] == '/') t++;
    bool last = t == END;
    size_t len = e - s;
    if (len > MB_VFS_NAME_MAX) return MB_WASI_ENAMETOOLONG;
    w->pos = e;
    if (p[s] == '.' && (len == 1 || (len == 2 && p[s + 1] == '.'))) {
      if (len == 2) {
        if (w->depth == 1) return MB_WASI_ENOTCAPABLE; /* above the starting directory */
        mb__node_unref(w->vfs->stack[--w->depth]);
      }
      if (last) {
        w->dots = (uint8_t)len;
        w->trailing_slash = e < END;
        w->rest = e;
        return MB_WASI_ESUCCESS;
      }
      continue;
    }
    if (last) {
      w->name = p + s;
      w->name_len = len;
      w->trailing_slash = e < END;
      w->rest = e;
      return MB_WASI_ESUCCESS;
    }
    mb__node *top = mb__walk_dir(w), *child = NULL;
    size_t link_len = 0;
    mb_wasi_errno err = top->mount->ops->step(top, p + s, len, &child, w->vfs->link, &link_len);
    if (err) return err;
    if (child) {
      if ((err = push(w, child))) {
        mb__node_unref(child);
        return err;
      }
      continue;
    }
    /* a symlink: its text replaces the component; p[e] is the '/' before the rest */
    if ((err = splice(w, e, w->vfs->link, link_len))) return err;
  }
}

mb_wasi_errno mb__walk_follow(mb__walk *w, const char *text, size_t len) {
  /* text + any trailing slashes: a followed "link/" still has to be a directory */
  return splice(w, w->rest, text, len);
}

void mb__walk_end(mb__walk *w) {
  while (w->depth) mb__node_unref(w->vfs->stack[--w->depth]);
}
