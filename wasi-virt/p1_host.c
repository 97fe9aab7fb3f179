/* p1_host.c — the backend of host mounts: mb_vfs_host_ops over the host's preview1.
 * The vfs only ever asks for single components below fds it already holds, never to
 * follow a symlink, so the host resolves nothing but one name at a time. The path
 * calls are declared here with (pointer, length) as preview1 passes them (wasi-libc's
 * wrappers want NUL-terminated strings). */
#include <string.h>

#include "p1.h"

_Static_assert(sizeof(mb_vfs_filestat) == sizeof(__wasi_filestat_t), "filestat layout");

/* Read bits ask for reading, write bits for writing: a host such as uvwasi opens
 * read-write (EISDIR on a directory) as soon as any write right is requested. */
#define R_READ (UINT64_C(0x2) | UINT64_C(0x4000))
#define R_WRITE (UINT64_C(0x1) | UINT64_C(0x40) | UINT64_C(0x100) | UINT64_C(0x400000))
#define R_ALL UINT64_C(0x0FFFFFFF)

/* The host file position of the files opened here, while known: a read or write at
 * that offset goes through fd_read/fd_write, which Node's WASI serves faster than
 * fd_pread/fd_pwrite (their i64 offset crosses into JS as a BigInt). Elsewhere the
 * positional calls, which leave the position alone, until the accesses run on from
 * where the last one ended: then one fd_seek, and sequential again. The host fds are
 * wasi-virt's own, so only these calls move their positions. A small direct-mapped
 * table: an fd that loses its entry just keeps the positional calls. */
enum { POS_SLOTS = 64 };
typedef struct host_pos {
  uint32_t fd_plus_1; /* 0: empty */
  uint64_t pos;       /* the host fd's position */
  uint64_t next;      /* where the last positional access ended */
} host_pos;
static host_pos positions[POS_SLOTS];

static host_pos *known_pos(uint32_t fd) {
  host_pos *p = &positions[fd % POS_SLOTS];
  return p->fd_plus_1 == fd + 1 ? p : NULL;
}
static void forget_pos(uint32_t fd) {
  host_pos *p = known_pos(fd);
  if (p) p->fd_plus_1 = 0;
}
/* Whether an access at off can use the position (seeking there first when the
 * accesses have become sequential at another offset). */
static bool at_pos(host_pos *p, uint32_t fd, uint64_t off) {
  if (!p) return false;
  if (p->pos == off) return true;
  if (p->next != off) return false;
  uint64_t now;
  if (p1h_fd_seek(fd, (int64_t)off, __WASI_WHENCE_SET, &now) || now != off) {
    forget_pos(fd);
    return false;
  }
  p->pos = off;
  return true;
}
/* After an access at off of n bytes (e: its error), positional or not. */
static void moved(host_pos *p, uint32_t fd, bool positional, uint64_t off, size_t n,
                  mb_wasi_errno e) {
  if (!p) return;
  if (positional) p->next = off + n;
  else if (e) forget_pos(fd);
  else p->pos += n;
}

/* path_open without following a final symlink. The vfs relies on that, but a host may
 * follow anyway (Node's uvwasi does: it would open the target of a symlink that points
 * out of the mount). So the name is looked at first (lstat: a symlink gives ELOOP, as
 * O_NOFOLLOW does), and what was opened must be the object looked at (same device and
 * inode), or it was swapped for something else in between. */
static mb_wasi_errno h_open_at(void *ctx, uint32_t dirfd, const char *name, size_t len,
                               uint16_t oflags, uint32_t access, uint32_t *fd, uint8_t *type,
                               uint64_t *ino) {
  (void)ctx;
  uint64_t base = R_ALL & ~(R_READ | R_WRITE);
  if (access & MB_VFS_ACCESS_READ) base |= R_READ;
  if (access & MB_VFS_ACCESS_WRITE) base |= R_WRITE;
  mb_vfs_filestat before;
  mb_wasi_errno e = p1h_path_filestat_get(dirfd, 0, name, len, &before);
  bool existed = e == MB_WASI_ESUCCESS;
  if (e && e != MB_WASI_ENOENT) return e;
  if (existed && before.filetype == MB_WASI_FILETYPE_SYMBOLIC_LINK) {
    bool excl = (oflags & (MB_WASI_O_CREAT | MB_WASI_O_EXCL)) == (MB_WASI_O_CREAT | MB_WASI_O_EXCL);
    return excl ? MB_WASI_EEXIST : MB_WASI_ELOOP;
  }
  if (!existed && !(oflags & MB_WASI_O_CREAT)) return MB_WASI_ENOENT;
  e = p1h_path_open(dirfd, 0, name, len, oflags, base, R_ALL, 0, fd);
  if (e) return e;
  mb_vfs_filestat st;
  if ((e = p1h_fd_filestat_get(*fd, &st)) ||
      (existed && (st.dev != before.dev || st.ino != before.ino))) {
    (void)p1h_fd_close(*fd);
    return e ? e : MB_WASI_ELOOP;
  }
  if (!existed && st.filetype != MB_WASI_FILETYPE_REGULAR_FILE) {
    (void)p1h_fd_close(*fd); /* created: must be the new, empty regular file */
    return MB_WASI_ELOOP;
  }
  *type = st.filetype;
  *ino = st.ino;
  positions[*fd % POS_SLOTS] = (host_pos){*fd + 1, 0, UINT64_MAX}; /* a fresh open: at 0 */
  return MB_WASI_ESUCCESS;
}

static mb_wasi_errno h_close(void *ctx, uint32_t fd) {
  (void)ctx;
  forget_pos(fd);
  return p1h_fd_close(fd);
}

static mb_wasi_errno h_stat(void *ctx, uint32_t fd, mb_vfs_filestat *st) {
  (void)ctx;
  return p1h_fd_filestat_get(fd, st);
}

static mb_wasi_errno h_stat_at(void *ctx, uint32_t dirfd, const char *name, size_t len,
                               mb_vfs_filestat *st) {
  (void)ctx;
  return p1h_path_filestat_get(dirfd, 0, name, len, st);
}

/* Truncates to cap as the spec (and the contract) say. A short buffer goes to the
 * host as a full-size one: Node's uvwasi says nobufs for a buffer that is not longer
 * than the text, a zero-length one included. */
static mb_wasi_errno h_readlink_at(void *ctx, uint32_t dirfd, const char *name, size_t len,
                                   char *buf, size_t cap, size_t *n) {
  (void)ctx;
  static char whole[MB_VFS_PATH_MAX];
  uint32_t got = 0;
  bool small = cap < sizeof whole;
  mb_wasi_errno e = p1h_path_readlink(dirfd, name, len, small ? whole : buf,
                                      small ? sizeof whole : cap, &got);
  if (!e && small) {
    if (got > cap) got = (uint32_t)cap;
    memcpy(buf, whole, got);
  }
  *n = got;
  return e;
}

static mb_wasi_errno h_pread(void *ctx, uint32_t fd, void *buf, size_t len, uint64_t off,
                             size_t *got) {
  (void)ctx;
  size_t n = 0;
  host_pos *p = known_pos(fd);
  bool seq = at_pos(p, fd, off);
  mb_wasi_errno e = seq ? p1h_fd_read(fd, buf, len, &n) : p1h_fd_pread(fd, buf, len, off, &n);
  moved(p, fd, !seq, off, n, e);
  *got = n;
  return e;
}

static mb_wasi_errno h_pwrite(void *ctx, uint32_t fd, const void *buf, size_t len, uint64_t off,
                              size_t *put) {
  (void)ctx;
  size_t n = 0;
  host_pos *p = known_pos(fd);
  bool seq = at_pos(p, fd, off);
  mb_wasi_errno e = seq ? p1h_fd_write(fd, buf, len, &n) : p1h_fd_pwrite(fd, buf, len, off, &n);
  moved(p, fd, !seq, off, n, e);
  *put = n;
  return e;
}

static mb_wasi_errno h_set_size(void *ctx, uint32_t fd, uint64_t size) {
  (void)ctx;
  return p1h_fd_filestat_set_size(fd, size);
}

static mb_wasi_errno h_set_times(void *ctx, uint32_t fd, uint64_t atim, uint64_t mtim,
                                 uint16_t fst) {
  (void)ctx;
  return p1h_fd_filestat_set_times(fd, atim, mtim, fst);
}

static mb_wasi_errno h_sync(void *ctx, uint32_t fd, bool data_only) {
  (void)ctx;
  return p1h_fd_sync(fd, data_only);
}

static mb_wasi_errno h_set_times_at(void *ctx, uint32_t dirfd, const char *name, size_t len,
                                    uint64_t atim, uint64_t mtim, uint16_t fst) {
  (void)ctx;
  return p1h_path_filestat_set_times(dirfd, 0, name, len, atim, mtim, fst);
}

static mb_wasi_errno h_readdir(void *ctx, uint32_t fd, uint8_t *buf, size_t len, uint64_t cookie,
                               size_t *used) {
  (void)ctx;
  return p1h_fd_readdir(fd, buf, len, cookie, used);
}

static mb_wasi_errno h_mkdir_at(void *ctx, uint32_t dirfd, const char *name, size_t len) {
  (void)ctx;
  return p1h_path_create_directory(dirfd, name, len);
}
static mb_wasi_errno h_rmdir_at(void *ctx, uint32_t dirfd, const char *name, size_t len) {
  (void)ctx;
  return p1h_path_remove_directory(dirfd, name, len);
}
static mb_wasi_errno h_unlink_at(void *ctx, uint32_t dirfd, const char *name, size_t len) {
  (void)ctx;
  return p1h_path_unlink_file(dirfd, name, len);
}
static mb_wasi_errno h_symlink_at(void *ctx, const char *text, size_t text_len, uint32_t dirfd,
                                  const char *name, size_t len) {
  (void)ctx;
  return p1h_path_symlink(text, text_len, dirfd, name, len);
}
static mb_wasi_errno h_rename_at(void *ctx, uint32_t dirfd, const char *name, size_t len,
                                 uint32_t ndirfd, const char *nname, size_t nlen) {
  (void)ctx;
  return p1h_path_rename(dirfd, name, len, ndirfd, nname, nlen);
}
static mb_wasi_errno h_link_at(void *ctx, uint32_t dirfd, const char *name, size_t len,
                               uint32_t ndirfd, const char *nname, size_t nlen) {
  (void)ctx;
  return p1h_path_link(dirfd, 0, name, len, ndirfd, nname, nlen);
}

const mb_vfs_host_ops p1_host_ops = {
    .open_at = h_open_at,
    .close = h_close,
    .stat = h_stat,
    .stat_at = h_stat_at,
    .readlink_at = h_readlink_at,
    .pread = h_pread,
    .pwrite = h_pwrite,
    .set_size = h_set_size,
    .set_times = h_set_times,
    .set_times_at = h_set_times_at,
    .readdir = h_readdir,
    .mkdir_at = h_mkdir_at,
    .rmdir_at = h_rmdir_at,
    .unlink_at = h_unlink_at,
    .symlink_at = h_symlink_at,
    .rename_at = h_rename_at,
    .link_at = h_link_at,
    .sync = h_sync,
};
