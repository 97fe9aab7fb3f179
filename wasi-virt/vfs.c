/* vfs.c — the filesystem object: mounts, open files, node references, the clock. */
#include <stddef.h>
#include <string.h>

#include "vfs_internal.h"

/* mb_vfs_filestat is the preview1 filestat byte for byte (api.h's layout). */
_Static_assert(sizeof(mb_vfs_filestat) == 64, "filestat size");
_Static_assert(offsetof(mb_vfs_filestat, ino) == 8, "filestat.ino");
_Static_assert(offsetof(mb_vfs_filestat, filetype) == 16, "filestat.filetype");
_Static_assert(offsetof(mb_vfs_filestat, nlink) == 24, "filestat.nlink");
_Static_assert(offsetof(mb_vfs_filestat, size) == 32, "filestat.size");
_Static_assert(offsetof(mb_vfs_filestat, atim) == 40, "filestat.atim");
_Static_assert(offsetof(mb_vfs_filestat, mtim) == 48, "filestat.mtim");
_Static_assert(offsetof(mb_vfs_filestat, ctim) == 56, "filestat.ctim");

enum { STACK_INITIAL = 16 };

mb_vfs *mb_vfs_new(const mb_allocator *alloc) {
  mb_vfs *v = mb_mem_calloc(alloc, 1, sizeof *v);
  if (!v) return NULL;
  v->alloc = mb_allocator_of(alloc);
  v->stack = mb_mem_calloc(&v->alloc, STACK_INITIAL, sizeof *v->stack);
  if (!v->stack) {
    mb_mem_free(&v->alloc, v);
    return NULL;
  }
  v->stack_cap = STACK_INITIAL;
  return v;
}

static void mount_free(mb__mount *m) {
  if (!m) return;
  if (m->root && m->ops) m->ops->unmount(m);
  mb_mem_free(MB__MOUNT_ALLOC(m), m->htimes);
  mb_mem_free(MB__MOUNT_ALLOC(m), m->name);
  mb_mem_free(MB__MOUNT_ALLOC(m), m);
}

static void destroy(mb_vfs *v) {
  for (uint32_t i = 0; i < v->nmounts; i++) mount_free(v->mounts[i]);
  mb_mem_free(&v->alloc, v->mounts);
  mb_mem_free(&v->alloc, v->stack);
  mb_allocator a = v->alloc;
  mb_mem_free(&a, v);
}

void mb_vfs_free(mb_vfs *v) {
  if (!v) return;
  v->freed = true;
  if (v->files == 0) destroy(v);
}

void mb_vfs_set_clock(mb_vfs *v, mb_vfs_clock_fn fn, void *user) {
  v->clock = fn;
  v->clock_user = fn ? user : NULL;
}

uint64_t mb__vfs_now(mb_vfs *v) { return v->clock ? v->clock(v->clock_user) : v->counter++; }

void mb__node_unref(mb__node *n) {
  if (n && --n->refs == 0) n->mount->ops->released(n);
}

/* ---- mounts ---- */

static mb_wasi_errno mount_new(mb_vfs *v, const char *guest, size_t len, mb__mount **out) {
  *out = NULL;
  if (!v || !guest || len == 0 || memchr(guest, '\0', len)) return MB_WASI_EINVAL;
  for (uint32_t i = 0; i < v->nmounts; i++)
    if (v->mounts[i]->name_len == len && memcmp(v->mounts[i]->name, guest, len) == 0)
      return MB_WASI_EEXIST;
  if (v->nmounts == UINT32_MAX - 1) return MB_WASI_ENOMEM;
  mb__mount **ms = mb_mem_realloc(&v->alloc, v->mounts, ((size_t)v->nmounts + 1) * sizeof *ms);
  if (!ms) return MB_WASI_ENOMEM;
  v->mounts = ms;
  mb__mount *m = mb_mem_calloc(&v->alloc, 1, sizeof *m);
  if (!m) return MB_WASI_ENOMEM;
  if (!(m->name = mb_mem_alloc(&v->alloc, len))) {
    mb_mem_free(&v->alloc, m);
    return MB_WASI_ENOMEM;
  }
  memcpy(m->name, guest, len);
  m->name_len = len;
  m->vfs = v;
  m->id = v->nmounts;
  m->dev = (uint64_t)m->id + 1;
  *out = m;
  return MB_WASI_ESUCCESS;
}

static mb_wasi_errno mount_done(mb_vfs *v, mb__mount *m, mb_wasi_errno e, uint32_t *id) {
  if (e) {
    mount_free(m);
    return e;
  }
  v->mounts[v->nmounts++] = m;
  if (id) *id = m->id;
  return MB_WASI_ESUCCESS;
}

mb_wasi_errno mb_vfs_mount_embed(mb_vfs *v, const char *guest, size_t guest_len,
                                 const mb_vfs_image *img, uint32_t *id) {
  if (!img || !img->data || img->node_count == 0) return MB_WASI_EINVAL;
  mb__mount *m;
  mb_wasi_errno e = mount_new(v, guest, guest_len, &m);
  if (e) return e;
  return mount_done(v, m, mb__mem_mount_init(m, img, 0, true), id);
}

mb_wasi_errno mb_vfs_mount_mem(mb_vfs *v, const char *guest, size_t guest_len,
                               const mb_vfs_image *lower, uint64_t limit, uint32_t *id) {
  if (lower && (!lower->data || lower->node_count == 0)) return MB_WASI_EINVAL;
  mb__mount *m;
  mb_wasi_errno e = mount_new(v, guest, guest_len, &m);
  if (e) return e;
  return mount_done(v, m, mb__mem_mount_init(m, lower, limit, false), id);
}

mb_wasi_errno mb_vfs_mount_host(mb_vfs *v, const char *guest, size_t guest_len,
                                const mb_vfs_host_ops *ops, void *ctx, uint32_t dirfd,
                                const char *subdir, size_t subdir_len, bool readonly,
                                uint32_t *id) {
  if (!ops || (subdir_len && !subdir)) return MB_WASI_EINVAL;
  mb__mount *m;
  mb_wasi_errno e = mount_new(v, guest, guest_len, &m);
  if (e) return e;
  m->readonly = readonly;
#ifdef MB_VFS_NO_HOST /* a build without host mounts (wasi-virt for fully virtual policies) */
  (void)ctx, (void)dirfd;
  return mount_done(v, m, MB_WASI_ENOTSUP, id);
#else
  return mount_done(v, m, mb__host_mount_init(m, ops, ctx, dirfd, subdir, subdir_len), id);
#endif
}

uint32_t mb_vfs_mount_count(const mb_vfs *v) { return v->nmounts; }

const char *mb_vfs_mount_name(const mb_vfs *v, uint32_t id, size_t *len) {
  if (id >= v->nmounts) return NULL;
  if (len) *len = v->mounts[id]->name_len;
  return v->mounts[id]->name;
}

mb_wasi_errno mb_vfs_mount_usage(const mb_vfs *v, uint32_t id, uint64_t *used, uint64_t *limit) {
  if (id >= v->nmounts) return MB_WASI_EINVAL;
  const mb__mount *m = v->mounts[id];
  bool mem = m->ops == &mb__mem_ops && !m->readonly;
  if (used) *used = mem ? m->used : 0;
  if (limit) *limit = mem ? m->limit : 0;
  return MB_WASI_ESUCCESS;
}

/* ---- files ---- */

mb_wasi_errno mb_vfs_open_root(mb_vfs *v, uint32_t id, mb_vfs_file **out) {
  *out = NULL;
  if (id >= v->nmounts) return MB_WASI_EBADF;
  mb_vfs_file *f = mb_mem_calloc(&v->alloc, 1, sizeof *f);
  if (!f) return MB_WASI_ENOMEM;
  f->vfs = v;
  f->node = mb__node_ref(v->mounts[id]->root);
  f->access = MB_VFS_ACCESS_READ;
  v->files++;
  *out = f;
  return MB_WASI_ESUCCESS;
}

void mb_vfs_close(mb_vfs_file *f) {
  if (!f) return;
  mb_vfs *v = f->vfs;
  mb__node_unref(f->node);
  mb_mem_free(&v->alloc, f);
  if (--v->files == 0 && v->freed) destroy(v);
}

uint8_t mb_vfs_file_filetype(const mb_vfs_file *f) { return f->node->type; }
uint32_t mb_vfs_file_access(const mb_vfs_file *f) { return f->access; }
uint16_t mb_vfs_file_fdflags(const mb_vfs_file *f) { return f->fdflags; }
