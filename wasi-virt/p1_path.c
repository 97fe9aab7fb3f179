/* p1_path.c — preview1 calls on paths below a directory descriptor. The vfs resolves
 * and confines every path (membrane_wasi_virt.h); this layer copies the path out of
 * the client's memory and picks the directory. */
#include <string.h>

#include "p1_calls.h"

/* The directory a path call starts from: badf when not open, notdir when not a
 * directory of the virtual filesystem. */
static mb_wasi_errno dir_of(uint32_t fd, mb_vfs_file **dir) {
  p1_fd *f = p1_fd_get(fd);
  if (!f) return MB_WASI_EBADF;
  if (f->kind != P1_FD_FILE || mb_vfs_file_filetype(f->file) != MB_WASI_FILETYPE_DIRECTORY)
    return MB_WASI_ENOTDIR;
  *dir = f->file;
  return MB_WASI_ESUCCESS;
}

/* Both: the directory and the path text in slot `slot`. */
#define DIR_AND_PATH(fd, dir, ptr, len, slot, text)       \
  mb_vfs_file *dir;                                       \
  mb_wasi_errno e_ = dir_of(fd, &dir);                    \
  if (e_) return e_;                                      \
  const char *text = p1_path(slot, ptr, len);             \
  if (!text) return MB_WASI_ENAMETOOLONG

#define READ_BITS (UINT64_C(0x2) | UINT64_C(0x4000))
#define WRITE_BITS (UINT64_C(0x1) | UINT64_C(0x40) | UINT64_C(0x100) | UINT64_C(0x400000))
/* rights a directory descriptor never has (preview1 3.3: no seek, size or write) */
#define DIR_DENIED (UINT64_C(0x4) | UINT64_C(0x400000) | UINT64_C(0x40) | UINT64_C(0x20))

mb_wasi_errno p1_path_open(uint32_t fd, uint32_t dirflags, uint32_t path, uint32_t len,
                           uint32_t oflags, uint64_t base, uint64_t inh, uint32_t fdflags,
                           uint32_t ret) {
  if (dirflags > 1 || oflags > 0xF || fdflags > 0x1F) return MB_WASI_EINVAL;
  DIR_AND_PATH(fd, dir, path, len, 0, text);
  uint32_t access = 0;
  if (base & READ_BITS) access |= MB_VFS_ACCESS_READ;
  if (base & WRITE_BITS) access |= MB_VFS_ACCESS_WRITE;
  int64_t nfd = p1_fd_alloc();
  if (nfd < 0) return MB_WASI_EMFILE;
  mb_vfs_file *file;
  mb_wasi_errno e = mb_vfs_open(dir, dirflags, text, len, (uint16_t)oflags, access,
                                (uint16_t)fdflags, &file);
  if (e) return e;
  p1_fd *f = p1_fd_slot((uint32_t)nfd);
  f->kind = P1_FD_FILE;
  f->file = file;
  f->preopen = -1;
  f->filetype = mb_vfs_file_filetype(file);
  bool is_dir = f->filetype == MB_WASI_FILETYPE_DIRECTORY;
  f->base = base & (is_dir ? P1_RIGHTS_DIR_INH & ~DIR_DENIED : P1_RIGHTS_FILE);
  if (!(access & MB_VFS_ACCESS_READ)) f->base &= ~READ_BITS;
  if (!(access & MB_VFS_ACCESS_WRITE)) f->base &= ~WRITE_BITS;
  f->inheriting = inh & (is_dir ? P1_RIGHTS_DIR_INH : 0);
  p1_put_u32(ret, (uint32_t)nfd);
  return MB_WASI_ESUCCESS;
}

mb_wasi_errno p1_path_filestat_get(uint32_t fd, uint32_t flags, uint32_t path, uint32_t len,
                                   uint32_t ret) {
  if (flags > 1) return MB_WASI_EINVAL;
  DIR_AND_PATH(fd, dir, path, len, 0, text);
  mb_vfs_filestat st;
  mb_wasi_errno e = mb_vfs_path_stat(dir, flags, text, len, &st);
  if (e) return e;
  p1_check_align(ret, 8);
  p1_caller_write(ret, &st, sizeof st);
  return MB_WASI_ESUCCESS;
}

mb_wasi_errno p1_path_filestat_set_times(uint32_t fd, uint32_t flags, uint32_t path,
                                         uint32_t len, uint64_t atim, uint64_t mtim,
                                         uint32_t fst) {
  if (flags > 1 || fst > 0xF) return MB_WASI_EINVAL;
  DIR_AND_PATH(fd, dir, path, len, 0, text);
  return mb_vfs_path_set_times(dir, flags, text, len, atim, mtim, (uint16_t)fst);
}

mb_wasi_errno p1_path_create_directory(uint32_t fd, uint32_t path, uint32_t len) {
  DIR_AND_PATH(fd, dir, path, len, 0, text);
  return mb_vfs_mkdir(dir, text, len);
}

mb_wasi_errno p1_path_remove_directory(uint32_t fd, uint32_t path, uint32_t len) {
  DIR_AND_PATH(fd, dir, path, len, 0, text);
  return mb_vfs_rmdir(dir, text, len);
}

mb_wasi_errno p1_path_unlink_file(uint32_t fd, uint32_t path, uint32_t len) {
  DIR_AND_PATH(fd, dir, path, len, 0, text);
  return mb_vfs_unlink(dir, text, len);
}

mb_wasi_errno p1_path_readlink(uint32_t fd, uint32_t path, uint32_t len, uint32_t buf,
                               uint32_t cap, uint32_t ret) {
  DIR_AND_PATH(fd, dir, path, len, 0, text);
  static char out[MB_VFS_PATH_MAX];
  size_t n = 0;
  mb_wasi_errno e = mb_vfs_readlink(dir, text, len, out, cap < sizeof out ? cap : sizeof out, &n);
  if (e) return e;
  p1_caller_write(buf, out, (uint32_t)n);
  p1_put_u32(ret, (uint32_t)n);
  return MB_WASI_ESUCCESS;
}

mb_wasi_errno p1_path_symlink(uint32_t old_path, uint32_t old_len, uint32_t fd, uint32_t path,
                              uint32_t len) {
  DIR_AND_PATH(fd, dir, path, len, 1, text);
  const char *target = p1_path(0, old_path, old_len);
  if (!target) return MB_WASI_ENAMETOOLONG;
  return mb_vfs_symlink(target, old_len, dir, text, len);
}

mb_wasi_errno p1_path_rename(uint32_t fd, uint32_t path, uint32_t len, uint32_t nfd,
                             uint32_t npath, uint32_t nlen) {
  DIR_AND_PATH(fd, dir, path, len, 0, text);
  mb_vfs_file *ndir;
  mb_wasi_errno e = dir_of(nfd, &ndir);
  if (e) return e;
  const char *ntext = p1_path(1, npath, nlen);
  if (!ntext) return MB_WASI_ENAMETOOLONG;
  return mb_vfs_rename(dir, text, len, ndir, ntext, nlen);
}

mb_wasi_errno p1_path_link(uint32_t fd, uint32_t flags, uint32_t path, uint32_t len,
                           uint32_t nfd, uint32_t npath, uint32_t nlen) {
  if (flags > 1) return MB_WASI_EINVAL;
  DIR_AND_PATH(fd, dir, path, len, 0, text);
  mb_vfs_file *ndir;
  mb_wasi_errno e = dir_of(nfd, &ndir);
  if (e) return e;
  const char *ntext = p1_path(1, npath, nlen);
  if (!ntext) return MB_WASI_ENAMETOOLONG;
  return mb_vfs_link(dir, flags, text, len, ndir, ntext, nlen);
}
