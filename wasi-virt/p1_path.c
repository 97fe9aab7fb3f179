/* p1_path.c — preview1 calls on paths below a directory descriptor. The vfs resolves
 * and confines every path (membrane_wasi_virt.h); this layer copies the path out of
 * the client's memory and picks the directory. */
#include <string.h>

#include "p1_calls.h"

/* The directory a path call starts from, holding the rights need (base) and need_inh
 * (inheriting): badf when not open, notcapable when a right is missing (a regular file
 * holds no path_* right), notdir when it is not a directory of the virtual filesystem. */
static mb_wasi_errno dir_of(uint32_t fd, uint64_t need, uint64_t need_inh, mb_vfs_file **dir) {
  p1_fd *f;
  mb_wasi_errno e = p1_fd_lookup(fd, need, need_inh, &f);
  if (e) return e;
  if (f->kind != P1_FD_FILE || mb_vfs_file_filetype(f->file) != MB_WASI_FILETYPE_DIRECTORY)
    return MB_WASI_ENOTDIR;
  *dir = f->file;
  return MB_WASI_ESUCCESS;
}

/* Both: the directory (with the rights `need`) and the path text in slot `slot`. */
#define DIR_AND_PATH(fd, need, dir, ptr, len, slot, text) \
  mb_vfs_file *dir;                                       \
  mb_wasi_errno e_ = dir_of(fd, need, 0, &dir);           \
  if (e_) return e_;                                      \
  const char *text = p1_path(slot, ptr, len);             \
  if (!text) return MB_WASI_ENAMETOOLONG

/* The rights that open a file for reading or writing (as uvwasi and WAMR count them). */
#define READ_RIGHTS (P1_RIGHT_FD_READ | P1_RIGHT_FD_READDIR)
#define WRITE_RIGHTS                                                                   \
  (P1_RIGHT_FD_DATASYNC | P1_RIGHT_FD_WRITE | P1_RIGHT_FD_ALLOCATE |                   \
   P1_RIGHT_FD_FILESTAT_SET_SIZE)

/* The directory needs path_open (and path_create_file for creat, path_filestat_set_size
 * for trunc) in its base set, and in its inheriting set every right asked for, plus
 * those the fdflags use (dsync: fd_datasync; rsync, sync: fd_sync) and fd_seek for a
 * write that is not appending or truncating: what Node's WASI asks, so that a program
 * meets notcapable where it meets it there. The new descriptor gets what it asked for
 * (a subset of the directory's inheriting set, then) less what its file type cannot
 * have: preview1 lets a host drop only those. */
mb_wasi_errno p1_path_open(uint32_t fd, uint32_t dirflags, uint32_t path, uint32_t len,
                           uint32_t oflags, uint64_t base, uint64_t inh, uint32_t fdflags,
                           uint32_t ret) {
  if (dirflags > 1 || oflags > 0xF || fdflags > 0x1F) return MB_WASI_EINVAL;
  uint32_t access = 0;
  if (base & READ_RIGHTS) access |= MB_VFS_ACCESS_READ;
  if (base & WRITE_RIGHTS) access |= MB_VFS_ACCESS_WRITE;
  uint64_t need = P1_RIGHT_PATH_OPEN, need_inh = base | inh;
  if (oflags & MB_WASI_O_CREAT) need |= P1_RIGHT_PATH_CREATE_FILE;
  if (oflags & MB_WASI_O_TRUNC) need |= P1_RIGHT_PATH_FILESTAT_SET_SIZE;
  if (fdflags & MB_WASI_FDFLAG_DSYNC) need_inh |= P1_RIGHT_FD_DATASYNC;
  if (fdflags & (MB_WASI_FDFLAG_RSYNC | MB_WASI_FDFLAG_SYNC)) need_inh |= P1_RIGHT_FD_SYNC;
  if ((access & MB_VFS_ACCESS_WRITE) && !(fdflags & MB_WASI_FDFLAG_APPEND) &&
      !(oflags & MB_WASI_O_TRUNC))
    need_inh |= P1_RIGHT_FD_SEEK;
  mb_vfs_file *dir;
  mb_wasi_errno e = dir_of(fd, need, need_inh, &dir);
  if (e) return e;
  const char *text = p1_path(0, path, len);
  if (!text) return MB_WASI_ENAMETOOLONG;
  int64_t nfd = p1_fd_alloc();
  if (nfd < 0) return MB_WASI_EMFILE;
  mb_vfs_file *file;
  e = mb_vfs_open(dir, dirflags, text, len, (uint16_t)oflags, access, (uint16_t)fdflags, &file);
  if (e) return e;
  p1_fd *f = p1_fd_slot((uint32_t)nfd);
  f->kind = P1_FD_FILE;
  f->file = file;
  f->preopen = -1;
  f->filetype = mb_vfs_file_filetype(file);
  uint64_t max_base, max_inh;
  p1_rights_max(f->filetype, &max_base, &max_inh);
  f->base = base & max_base;
  f->inheriting = inh & max_inh;
  p1_put_u32(ret, (uint32_t)nfd);
  return MB_WASI_ESUCCESS;
}

mb_wasi_errno p1_path_filestat_get(uint32_t fd, uint32_t flags, uint32_t path, uint32_t len,
                                   uint32_t ret) {
  if (flags > 1) return MB_WASI_EINVAL;
  DIR_AND_PATH(fd, P1_RIGHT_PATH_FILESTAT_GET, dir, path, len, 0, text);
  mb_vfs_filestat st;
  mb_wasi_errno e = mb_vfs_path_stat(dir, flags, text, len, &st);
  if (e) return e;
  p1_check_align(ret, _Alignof(mb_vfs_filestat));
  p1_caller_write(ret, &st, sizeof st);
  return MB_WASI_ESUCCESS;
}

mb_wasi_errno p1_path_filestat_set_times(uint32_t fd, uint32_t flags, uint32_t path,
                                         uint32_t len, uint64_t atim, uint64_t mtim,
                                         uint32_t fst) {
  if (flags > 1 || fst > 0xF) return MB_WASI_EINVAL;
  DIR_AND_PATH(fd, P1_RIGHT_PATH_FILESTAT_SET_TIMES, dir, path, len, 0, text);
  return mb_vfs_path_set_times(dir, flags, text, len, atim, mtim, (uint16_t)fst);
}

mb_wasi_errno p1_path_create_directory(uint32_t fd, uint32_t path, uint32_t len) {
  DIR_AND_PATH(fd, P1_RIGHT_PATH_CREATE_DIRECTORY, dir, path, len, 0, text);
  return mb_vfs_mkdir(dir, text, len);
}

mb_wasi_errno p1_path_remove_directory(uint32_t fd, uint32_t path, uint32_t len) {
  DIR_AND_PATH(fd, P1_RIGHT_PATH_REMOVE_DIRECTORY, dir, path, len, 0, text);
  return mb_vfs_rmdir(dir, text, len);
}

mb_wasi_errno p1_path_unlink_file(uint32_t fd, uint32_t path, uint32_t len) {
  DIR_AND_PATH(fd, P1_RIGHT_PATH_UNLINK_FILE, dir, path, len, 0, text);
  return mb_vfs_unlink(dir, text, len);
}

mb_wasi_errno p1_path_readlink(uint32_t fd, uint32_t path, uint32_t len, uint32_t buf,
                               uint32_t cap, uint32_t ret) {
  DIR_AND_PATH(fd, P1_RIGHT_PATH_READLINK, dir, path, len, 0, text);
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
  DIR_AND_PATH(fd, P1_RIGHT_PATH_SYMLINK, dir, path, len, 1, text);
  const char *target = p1_path(0, old_path, old_len);
  if (!target) return MB_WASI_ENAMETOOLONG;
  return mb_vfs_symlink(target, old_len, dir, text, len);
}

mb_wasi_errno p1_path_rename(uint32_t fd, uint32_t path, uint32_t len, uint32_t nfd,
                             uint32_t npath, uint32_t nlen) {
  DIR_AND_PATH(fd, P1_RIGHT_PATH_RENAME_SOURCE, dir, path, len, 0, text);
  mb_vfs_file *ndir;
  mb_wasi_errno e = dir_of(nfd, P1_RIGHT_PATH_RENAME_TARGET, 0, &ndir);
  if (e) return e;
  const char *ntext = p1_path(1, npath, nlen);
  if (!ntext) return MB_WASI_ENAMETOOLONG;
  return mb_vfs_rename(dir, text, len, ndir, ntext, nlen);
}

mb_wasi_errno p1_path_link(uint32_t fd, uint32_t flags, uint32_t path, uint32_t len,
                           uint32_t nfd, uint32_t npath, uint32_t nlen) {
  if (flags > 1) return MB_WASI_EINVAL;
  DIR_AND_PATH(fd, P1_RIGHT_PATH_LINK_SOURCE, dir, path, len, 0, text);
  mb_vfs_file *ndir;
  mb_wasi_errno e = dir_of(nfd, P1_RIGHT_PATH_LINK_TARGET, 0, &ndir);
  if (e) return e;
  const char *ntext = p1_path(1, npath, nlen);
  if (!ntext) return MB_WASI_ENAMETOOLONG;
  return mb_vfs_link(dir, flags, text, len, ndir, ntext, nlen);
}
