/* dir_iter.c — directory listings: preview1 fd_readdir buffers and one-entry steps,
 * over the entries each kind of mount hands out ("." and ".." first; cookies are the
 * kind's, 0 always the start). */
#include <stddef.h>
#include <string.h>

#include "vfs_internal.h"

/* dirent (preview1 3.5), as it goes into the buffer: copied whole (wasm32 and the
 * native builds are little-endian), its layout pinned. */
typedef struct dirent_abi {
  uint64_t d_next;
  uint64_t d_ino;
  uint32_t d_namlen;
  uint8_t d_type;
  uint8_t pad_[3];
} dirent_abi;
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "dirents are copied as they are");
_Static_assert(sizeof(dirent_abi) == 24 && _Alignof(dirent_abi) == 8, "dirent");
_Static_assert(offsetof(dirent_abi, d_next) == 0 && offsetof(dirent_abi, d_ino) == 8 &&
                   offsetof(dirent_abi, d_namlen) == 16 && offsetof(dirent_abi, d_type) == 20,
               "dirent offsets");

typedef struct pack {
  uint8_t *buf;
  size_t cap, used;
} pack;

static size_t put(pack *p, const void *src, size_t n) {
  size_t k = p->cap - p->used < n ? p->cap - p->used : n;
  if (k) memcpy(p->buf + p->used, src, k);
  p->used += k;
  return k;
}

/* One record: header then name, as many bytes as fit; stop once the buffer is full. */
static bool pack_one(void *ctx, const mb__dirent_view *ent) {
  pack *p = ctx;
  dirent_abi h = {0};
  h.d_next = ent->next;
  h.d_ino = ent->ino;
  h.d_namlen = (uint32_t)ent->name_len;
  h.d_type = ent->type;
  put(p, &h, sizeof h);
  put(p, ent->name, ent->name_len);
  return p->used < p->cap;
}

static mb_wasi_errno dir_of(mb_vfs_file *f) {
  if (!f) return MB_WASI_EBADF;
  if (f->node->type != MB_WASI_FILETYPE_DIRECTORY) return MB_WASI_ENOTDIR;
  return MB_WASI_ESUCCESS;
}

mb_wasi_errno mb_vfs_readdir(mb_vfs_file *f, void *buf, size_t buf_len, uint64_t cookie,
                             size_t *used) {
  *used = 0;
  mb_wasi_errno e = dir_of(f);
  if (e) return e;
  if (buf_len == 0) return MB_WASI_ESUCCESS;
  pack p = {buf, buf_len, 0};
  if ((e = f->node->mount->ops->readdir(f->node, cookie, pack_one, &p))) return e;
  *used = p.used;
  return MB_WASI_ESUCCESS;
}

typedef struct one {
  mb_vfs *vfs;
  mb_vfs_dirent *ent;
  bool found;
} one;

static bool take_one(void *ctx, const mb__dirent_view *v) {
  one *o = ctx;
  /* copied: a host listing's buffer is gone when readdir returns (and host names
   * already sit in vfs->name, hence memmove) */
  memmove(o->vfs->name, v->name, v->name_len);
  o->vfs->name[v->name_len] = '\0';
  o->ent->next = v->next;
  o->ent->ino = v->ino;
  o->ent->type = v->type;
  o->ent->name = o->vfs->name;
  o->ent->name_len = v->name_len;
  o->found = true;
  return false;
}

mb_wasi_errno mb_vfs_dir_next(mb_vfs_file *f, uint64_t cookie, mb_vfs_dirent *ent, bool *end) {
  memset(ent, 0, sizeof *ent);
  *end = true;
  mb_wasi_errno e = dir_of(f);
  if (e) return e;
  one o = {f->vfs, ent, false};
  if ((e = f->node->mount->ops->readdir(f->node, cookie, take_one, &o))) return e;
  *end = !o.found;
  return MB_WASI_ESUCCESS;
}
