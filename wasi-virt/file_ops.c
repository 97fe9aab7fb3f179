/* file_ops.c — operations on open files: positions, the append flag, access modes,
 * and the checks that do not depend on the kind of mount. */
#include "vfs_internal.h"

#define OPS(f) ((f)->node->mount->ops)

static bool is_dir(const mb_vfs_file *f) { return f->node->type == MB_WASI_FILETYPE_DIRECTORY; }

/* A file usable for data: open (EBADF), not a directory (EISDIR), with `access`
 * (EBADF, as POSIX read/write on a descriptor not opened for it). */
static mb_wasi_errno data_file(const mb_vfs_file *f, uint32_t access) {
  if (!f) return MB_WASI_EBADF;
  if (is_dir(f)) return MB_WASI_EISDIR;
  if (access && !(f->access & access)) return MB_WASI_EBADF;
  return MB_WASI_ESUCCESS;
}

mb_wasi_errno mb_vfs_file_set_fdflags(mb_vfs_file *f, uint16_t fdflags) {
  if (fdflags & ~0x1Fu) return MB_WASI_EINVAL;
  if (!f) return MB_WASI_EBADF;
  f->fdflags = fdflags;
  return MB_WASI_ESUCCESS;
}

mb_wasi_errno mb_vfs_read(mb_vfs_file *f, void *buf, size_t len, size_t *got) {
  *got = 0;
  mb_wasi_errno e = data_file(f, MB_VFS_ACCESS_READ);
  if (e) return e;
  if ((e = OPS(f)->pread(f->node, buf, len, f->pos, got))) return e;
  f->pos += *got;
  return MB_WASI_ESUCCESS;
}

mb_wasi_errno mb_vfs_pread(mb_vfs_file *f, void *buf, size_t len, uint64_t offset, size_t *got) {
  *got = 0;
  mb_wasi_errno e = data_file(f, MB_VFS_ACCESS_READ);
  if (e) return e;
  if (offset > MB_VFS_FILE_MAX) return MB_WASI_EINVAL;
  return OPS(f)->pread(f->node, buf, len, offset, got);
}

mb_wasi_errno mb_vfs_write(mb_vfs_file *f, const void *buf, size_t len, size_t *put) {
  *put = 0;
  mb_wasi_errno e = data_file(f, MB_VFS_ACCESS_WRITE);
  if (e) return e;
  bool append = f->fdflags & MB_WASI_FDFLAG_APPEND;
  uint64_t end = f->pos;
  if ((e = OPS(f)->pwrite(f->node, buf, len, f->pos, append, put, &end))) return e;
  f->pos = end; /* with append: the new end of the file */
  return MB_WASI_ESUCCESS;
}

mb_wasi_errno mb_vfs_pwrite(mb_vfs_file *f, const void *buf, size_t len, uint64_t offset,
                            size_t *put) {
  *put = 0;
  mb_wasi_errno e = data_file(f, MB_VFS_ACCESS_WRITE);
  if (e) return e;
  if (offset > MB_VFS_FILE_MAX) return MB_WASI_EINVAL;
  uint64_t end;
  /* Linux (and so wasmtime and Node) append even here when the file has append */
  return OPS(f)->pwrite(f->node, buf, len, offset, f->fdflags & MB_WASI_FDFLAG_APPEND, put, &end);
}

mb_wasi_errno mb_vfs_seek(mb_vfs_file *f, int64_t offset, uint8_t whence, uint64_t *pos) {
  if (whence > MB_WASI_WHENCE_END) return MB_WASI_EINVAL;
  mb_wasi_errno e = data_file(f, 0);
  if (e) return e;
  uint64_t base = f->pos;
  if (whence == MB_WASI_WHENCE_SET) {
    base = 0;
  } else if (whence == MB_WASI_WHENCE_END) {
    mb_vfs_filestat st;
    if ((e = OPS(f)->stat(f->node, &st))) return e;
    base = st.size;
  }
  uint64_t to;
  if (offset < 0) {
    uint64_t back = (uint64_t)0 - (uint64_t)offset; /* no overflow for INT64_MIN */
    if (back > base) return MB_WASI_EINVAL;
    to = base - back;
  } else {
    if ((uint64_t)offset > MB_VFS_FILE_MAX || base > MB_VFS_FILE_MAX - (uint64_t)offset)
      return MB_WASI_EINVAL;
    to = base + (uint64_t)offset;
  }
  f->pos = to;
  if (pos) *pos = to;
  return MB_WASI_ESUCCESS;
}

mb_wasi_errno mb_vfs_tell(mb_vfs_file *f, uint64_t *pos) {
  mb_wasi_errno e = data_file(f, 0);
  if (e) return e;
  *pos = f->pos;
  return MB_WASI_ESUCCESS;
}

mb_wasi_errno mb_vfs_set_size(mb_vfs_file *f, uint64_t size) {
  mb_wasi_errno e = data_file(f, 0);
  if (e) return e;
  if (f->node->mount->readonly) return MB_WASI_EROFS;
  if (!(f->access & MB_VFS_ACCESS_WRITE)) return MB_WASI_EINVAL; /* Linux ftruncate */
  if (size > MB_VFS_FILE_MAX) return MB_WASI_EFBIG;
  return OPS(f)->set_size(f->node, size);
}

mb_wasi_errno mb_vfs_stat(mb_vfs_file *f, mb_vfs_filestat *st) {
  if (!f) return MB_WASI_EBADF;
  return OPS(f)->stat(f->node, st);
}

mb_wasi_errno mb_vfs_sync(mb_vfs_file *f, bool data_only) {
  if (!f) return MB_WASI_EBADF;
  if (f->node->mount->readonly || !OPS(f)->sync) return MB_WASI_ESUCCESS;
  return OPS(f)->sync(f->node, data_only);
}

mb_wasi_errno mb_vfs_set_times(mb_vfs_file *f, uint64_t atim, uint64_t mtim, uint16_t fst) {
  if ((fst & ~0xFu) || ((fst & MB_WASI_FST_ATIM) && (fst & MB_WASI_FST_ATIM_NOW)) ||
      ((fst & MB_WASI_FST_MTIM) && (fst & MB_WASI_FST_MTIM_NOW)))
    return MB_WASI_EINVAL;
  if (!f) return MB_WASI_EBADF;
  if (f->node->mount->readonly) return MB_WASI_EROFS;
  return OPS(f)->set_times(f->node, atim, mtim, fst);
}
