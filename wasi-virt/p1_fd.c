/* p1_fd.c — preview1 calls on descriptors: read, write, seek, stat, readdir, close,
 * renumber, prestat. Every call has the same shape (STYLE.md): decode arguments
 * (inval first), look the descriptor up (badf), check its kind, then the work; errnos
 * come straight from the vfs, which already speaks preview1. Data moves through one
 * bounce buffer in wasi-virt's memory: the vfs or the host on one side, a cross-memory
 * copy into the client on the other. */
#include <stdlib.h>
#include <string.h>

#include "p1_calls.h"

#define BOUNCE (64 * 1024)
static uint8_t bounce[BOUNCE];

static bool is_file(const p1_fd *f) { return f->kind == P1_FD_FILE; }

/* The i-th iovec (buf, len) of the array at iovs. */
static void iov_get(uint32_t iovs, uint32_t i, uint32_t *buf, uint32_t *len) {
  uint32_t v[2];
  p1_check_align(iovs, 4);
  p1_caller_read(v, iovs + 8 * i, 8);
  *buf = v[0];
  *len = v[1];
}

/* One transfer of up to len bytes at the current position (offset < 0) or at offset. */
static mb_wasi_errno file_read(p1_fd *f, void *buf, size_t len, int64_t offset, size_t *got) {
  if (offset < 0) return mb_vfs_read(f->file, buf, len, got);
  return mb_vfs_pread(f->file, buf, len, (uint64_t)offset, got);
}
static mb_wasi_errno file_write(p1_fd *f, const void *buf, size_t len, int64_t offset,
                                size_t *put) {
  if (offset < 0) return mb_vfs_write(f->file, buf, len, put);
  return mb_vfs_pwrite(f->file, buf, len, (uint64_t)offset, put);
}

static mb_wasi_errno do_read(uint32_t fd, uint32_t iovs, uint32_t n, int64_t offset,
                             uint32_t ret) {
  p1_fd *f = p1_fd_get(fd);
  if (!f) return MB_WASI_EBADF;
  if (!(f->base & P1_RIGHT_FD_READ)) return MB_WASI_EBADF;
  if (offset >= 0 && !is_file(f)) return MB_WASI_ESPIPE;
  uint64_t total = 0;
  mb_wasi_errno e = MB_WASI_ESUCCESS;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t buf, len;
    iov_get(iovs, i, &buf, &len);
    if (len > UINT32_MAX - total) len = (uint32_t)(UINT32_MAX - total); /* the count is a u32 */
    bool short_read = false;
    while (len > 0) {
      size_t chunk = len < BOUNCE ? len : BOUNCE, got = 0;
      if (f->kind == P1_FD_NULL) {
        got = 0;
      } else if (f->kind == P1_FD_HOST_STDIO) {
        __wasi_iovec_t v = {bounce, chunk};
        __wasi_size_t g = 0;
        e = p1_from_host(__wasi_fd_read(f->host_fd, &v, 1, &g));
        got = g;
      } else {
        e = file_read(f, bounce, chunk, offset < 0 ? -1 : offset + (int64_t)total, &got);
      }
      if (e) break;
      p1_caller_write(buf, bounce, (uint32_t)got);
      total += got;
      buf += (uint32_t)got;
      len -= (uint32_t)got;
      /* a stream gives what it has: stop at the first short transfer */
      if (got < chunk || f->kind != P1_FD_FILE) {
        short_read = true;
        break;
      }
    }
    if (e || short_read) break;
  }
  if (e && total == 0) return e;
  p1_put_u32(ret, (uint32_t)total);
  return MB_WASI_ESUCCESS;
}

/* Write bounce[0..*fill) to a host stream; false when it took less (or failed). */
static bool host_flush(uint32_t host_fd, size_t *fill, uint64_t *total, mb_wasi_errno *e) {
  __wasi_ciovec_t v = {bounce, *fill};
  __wasi_size_t put = 0;
  *e = p1_from_host(__wasi_fd_write(host_fd, &v, 1, &put));
  *total += put;
  bool all = !*e && put == *fill;
  *fill = 0;
  return all;
}

static mb_wasi_errno do_write(uint32_t fd, uint32_t iovs, uint32_t n, int64_t offset,
                              uint32_t ret) {
  p1_fd *f = p1_fd_get(fd);
  if (!f) return MB_WASI_EBADF;
  if (!(f->base & P1_RIGHT_FD_WRITE)) return MB_WASI_EBADF;
  if (offset >= 0 && !is_file(f)) return MB_WASI_ESPIPE;
  uint64_t total = 0;
  mb_wasi_errno e = MB_WASI_ESUCCESS;
  bool stop = false;
  if (f->kind == P1_FD_HOST_STDIO) {
    /* gather the iovecs into one host write: printf hands over two or three */
    size_t fill = 0;
    for (uint32_t i = 0; i < n && !stop; i++) {
      uint32_t buf, len;
      iov_get(iovs, i, &buf, &len);
      if (len > UINT32_MAX - total - fill) len = (uint32_t)(UINT32_MAX - total - fill);
      while (len > 0 && !stop) {
        size_t take = len < BOUNCE - fill ? len : BOUNCE - fill;
        p1_caller_read(bounce + fill, buf, (uint32_t)take);
        fill += take;
        buf += (uint32_t)take;
        len -= (uint32_t)take;
        if (fill == BOUNCE) stop = !host_flush(f->host_fd, &fill, &total, &e);
      }
    }
    if (!stop && fill) host_flush(f->host_fd, &fill, &total, &e);
  } else {
    for (uint32_t i = 0; i < n && !stop; i++) {
      uint32_t buf, len;
      iov_get(iovs, i, &buf, &len);
      if (len > UINT32_MAX - total) len = (uint32_t)(UINT32_MAX - total);
      while (len > 0) {
        size_t chunk = len < BOUNCE ? len : BOUNCE, put = chunk;
        if (f->kind == P1_FD_FILE) {
          p1_caller_read(bounce, buf, (uint32_t)chunk);
          e = file_write(f, bounce, chunk, offset < 0 ? -1 : offset + (int64_t)total, &put);
        }
        if (e) {
          stop = true;
          break;
        }
        total += put;
        buf += (uint32_t)put;
        len -= (uint32_t)put;
        if (put < chunk) {
          stop = true;
          break;
        }
      }
    }
  }
  if (e && total == 0) return e;
  p1_put_u32(ret, (uint32_t)total);
  return MB_WASI_ESUCCESS;
}

mb_wasi_errno p1_fd_read(uint32_t fd, uint32_t iovs, uint32_t n, uint32_t ret) {
  return do_read(fd, iovs, n, -1, ret);
}
mb_wasi_errno p1_fd_pread(uint32_t fd, uint32_t iovs, uint32_t n, uint64_t off, uint32_t ret) {
  if (off > MB_VFS_FILE_MAX) return MB_WASI_EINVAL;
  return do_read(fd, iovs, n, (int64_t)off, ret);
}
mb_wasi_errno p1_fd_write(uint32_t fd, uint32_t iovs, uint32_t n, uint32_t ret) {
  return do_write(fd, iovs, n, -1, ret);
}
mb_wasi_errno p1_fd_pwrite(uint32_t fd, uint32_t iovs, uint32_t n, uint64_t off, uint32_t ret) {
  if (off > MB_VFS_FILE_MAX) return MB_WASI_EINVAL;
  return do_write(fd, iovs, n, (int64_t)off, ret);
}

mb_wasi_errno p1_fd_seek(uint32_t fd, int64_t off, uint32_t whence, uint32_t ret) {
  if (whence > MB_WASI_WHENCE_END) return MB_WASI_EINVAL;
  p1_fd *f = p1_fd_get(fd);
  if (!f) return MB_WASI_EBADF;
  if (f->kind == P1_FD_NULL) { /* Linux: every seek on /dev/null lands at 0 */
    p1_put_u64(ret, 0);
    return MB_WASI_ESUCCESS;
  }
  if (!is_file(f)) return MB_WASI_ESPIPE;
  uint64_t pos;
  mb_wasi_errno e = mb_vfs_seek(f->file, off, (uint8_t)whence, &pos);
  if (e) return e;
  p1_put_u64(ret, pos);
  return MB_WASI_ESUCCESS;
}

mb_wasi_errno p1_fd_tell(uint32_t fd, uint32_t ret) {
  p1_fd *f = p1_fd_get(fd);
  if (!f) return MB_WASI_EBADF;
  if (f->kind == P1_FD_NULL) {
    p1_put_u64(ret, 0);
    return MB_WASI_ESUCCESS;
  }
  if (!is_file(f)) return MB_WASI_ESPIPE;
  uint64_t pos;
  mb_wasi_errno e = mb_vfs_tell(f->file, &pos);
  if (e) return e;
  p1_put_u64(ret, pos);
  return MB_WASI_ESUCCESS;
}

mb_wasi_errno p1_fd_close(uint32_t fd) {
  if (!p1_fd_get(fd)) return MB_WASI_EBADF;
  p1_fd_release(fd);
  return MB_WASI_ESUCCESS;
}

mb_wasi_errno p1_fd_renumber(uint32_t fd, uint32_t to) {
  p1_fd *from = p1_fd_get(fd), *dst = p1_fd_get(to);
  if (!from || !dst) return MB_WASI_EBADF;
  if (fd == to) return MB_WASI_ESUCCESS;
  p1_fd_release(to);
  *dst = *from;
  memset(from, 0, sizeof *from);
  return MB_WASI_ESUCCESS;
}

/* Inherited stdio is whatever the host's descriptor is: a terminal, a file, a pipe.
 * wasi-libc's isatty (so stdio's buffering, and a shell's banner and prompts) looks at
 * the file type and rights fd_fdstat_get reports, so they are the host's, asked once at
 * the first call that shows them (the host's fd_fdstat_get is imported only for
 * programs that can make such a call). The flags are masked to the five preview1
 * defines: Node reports the host's raw O_* bits there. */
static void ask_host(p1_fd *f) {
  if (f->kind != P1_FD_HOST_STDIO || f->host_asked) return;
  f->host_asked = true; /* a failing host keeps the defaults, without asking again */
  __wasi_fdstat_t st;
  if (__wasi_fd_fdstat_get(f->host_fd, &st)) return;
  f->filetype = st.fs_filetype;
  f->fdflags = st.fs_flags & 0x1F;
  f->base = st.fs_rights_base;
  f->inheriting = st.fs_rights_inheriting;
}

static uint16_t fdflags_of(const p1_fd *f) {
  return is_file(f) ? mb_vfs_file_fdflags(f->file) : f->fdflags;
}

mb_wasi_errno p1_fd_fdstat_get(uint32_t fd, uint32_t ret) {
  p1_fd *f = p1_fd_get(fd);
  if (!f) return MB_WASI_EBADF;
  ask_host(f);
  uint8_t st[24] = {0};
  st[0] = f->filetype;
  uint16_t fl = fdflags_of(f);
  memcpy(st + 2, &fl, 2);
  memcpy(st + 8, &f->base, 8);
  memcpy(st + 16, &f->inheriting, 8);
  p1_check_align(ret, 8);
  p1_caller_write(ret, st, sizeof st);
  return MB_WASI_ESUCCESS;
}

mb_wasi_errno p1_fd_fdstat_set_flags(uint32_t fd, uint32_t flags) {
  if (flags > 0x1F) return MB_WASI_EINVAL;
  p1_fd *f = p1_fd_get(fd);
  if (!f) return MB_WASI_EBADF;
  if (!is_file(f)) {
    ask_host(f); /* first, so the host's flags do not replace these later */
    f->fdflags = (uint16_t)flags;
    return MB_WASI_ESUCCESS;
  }
  return mb_vfs_file_set_fdflags(f->file, (uint16_t)flags);
}

mb_wasi_errno p1_fd_fdstat_set_rights(uint32_t fd, uint64_t base, uint64_t inh) {
  p1_fd *f = p1_fd_get(fd);
  if (!f) return MB_WASI_EBADF;
  ask_host(f); /* first: the host's rights are what is attenuated, and stay dropped */
  if ((base & ~f->base) || (inh & ~f->inheriting)) return MB_WASI_ENOTCAPABLE;
  f->base = base;
  f->inheriting = inh;
  return MB_WASI_ESUCCESS;
}

static void put_filestat(uint32_t ret, const mb_vfs_filestat *st) {
  p1_check_align(ret, 8);
  p1_caller_write(ret, st, sizeof *st);
}

mb_wasi_errno p1_fd_filestat_get(uint32_t fd, uint32_t ret) {
  p1_fd *f = p1_fd_get(fd);
  if (!f) return MB_WASI_EBADF;
  mb_vfs_filestat st;
  memset(&st, 0, sizeof st);
  if (is_file(f)) {
    mb_wasi_errno e = mb_vfs_stat(f->file, &st);
    if (e) return e;
  } else {
    ask_host(f);
    st.filetype = f->filetype;
    st.nlink = 1;
  }
  put_filestat(ret, &st);
  return MB_WASI_ESUCCESS;
}

mb_wasi_errno p1_fd_filestat_set_size(uint32_t fd, uint64_t size) {
  p1_fd *f = p1_fd_get(fd);
  if (!f) return MB_WASI_EBADF;
  if (!is_file(f)) return MB_WASI_EINVAL;
  return mb_vfs_set_size(f->file, size);
}

mb_wasi_errno p1_fd_filestat_set_times(uint32_t fd, uint64_t atim, uint64_t mtim, uint32_t fst) {
  if (fst > 0xF) return MB_WASI_EINVAL;
  p1_fd *f = p1_fd_get(fd);
  if (!f) return MB_WASI_EBADF;
  if (!is_file(f)) return MB_WASI_EBADF;
  return mb_vfs_set_times(f->file, atim, mtim, (uint16_t)fst);
}

mb_wasi_errno p1_fd_advise(uint32_t fd, uint64_t off, uint64_t len, uint32_t advice) {
  if (advice > 5) return MB_WASI_EINVAL;
  p1_fd *f = p1_fd_get(fd);
  if (!f) return MB_WASI_EBADF;
  if (!is_file(f)) return MB_WASI_ESPIPE;
  if (mb_vfs_file_filetype(f->file) == MB_WASI_FILETYPE_DIRECTORY) return MB_WASI_EBADF;
  if (off > MB_VFS_FILE_MAX || len > MB_VFS_FILE_MAX - off) return MB_WASI_EINVAL;
  return MB_WASI_ESUCCESS; /* advice only */
}

/* posix_fallocate: the file is at least off+len bytes afterwards. */
mb_wasi_errno p1_fd_allocate(uint32_t fd, uint64_t off, uint64_t len) {
  p1_fd *f = p1_fd_get(fd);
  if (!f) return MB_WASI_EBADF;
  if (!is_file(f)) return MB_WASI_ESPIPE;
  if (off > MB_VFS_FILE_MAX || len > MB_VFS_FILE_MAX - off) return MB_WASI_EFBIG;
  if (mb_vfs_file_filetype(f->file) == MB_WASI_FILETYPE_DIRECTORY) return MB_WASI_EBADF;
  if (!(mb_vfs_file_access(f->file) & MB_VFS_ACCESS_WRITE)) return MB_WASI_EBADF;
  mb_vfs_filestat st;
  mb_wasi_errno e = mb_vfs_stat(f->file, &st);
  if (e) return e;
  return st.size >= off + len ? MB_WASI_ESUCCESS : mb_vfs_set_size(f->file, off + len);
}

/* Durability as the program would get it without wasi-virt: a file of a host mount is
 * synced by the host (mb_vfs_sync), inherited stdio gets the host's answer too (Node:
 * success for a file, notcapable for a pipe or terminal); a null stream is /dev/null,
 * where Linux says inval. */
static mb_wasi_errno do_sync(uint32_t fd, bool data_only) {
  p1_fd *f = p1_fd_get(fd);
  if (!f) return MB_WASI_EBADF;
  if (is_file(f)) return mb_vfs_sync(f->file, data_only);
  if (f->kind == P1_FD_HOST_STDIO)
    return p1_from_host(data_only ? __wasi_fd_datasync(f->host_fd) : __wasi_fd_sync(f->host_fd));
  return MB_WASI_EINVAL;
}

mb_wasi_errno p1_fd_sync(uint32_t fd) { return do_sync(fd, false); }
mb_wasi_errno p1_fd_datasync(uint32_t fd) { return do_sync(fd, true); }

mb_wasi_errno p1_fd_prestat_get(uint32_t fd, uint32_t ret) {
  p1_fd *f = p1_fd_get(fd);
  if (!f || f->preopen < 0) return MB_WASI_EBADF;
  size_t n;
  mb_vfs_mount_name(p1.vfs, (uint32_t)f->preopen, &n);
  uint32_t st[2] = {0, (uint32_t)n};
  p1_check_align(ret, 4);
  p1_caller_write(ret, st, sizeof st);
  return MB_WASI_ESUCCESS;
}

mb_wasi_errno p1_fd_prestat_dir_name(uint32_t fd, uint32_t path, uint32_t len) {
  p1_fd *f = p1_fd_get(fd);
  if (!f || f->preopen < 0) return MB_WASI_EBADF;
  size_t n;
  const char *name = mb_vfs_mount_name(p1.vfs, (uint32_t)f->preopen, &n);
  if (len < n) return MB_WASI_ENAMETOOLONG;
  p1_caller_write(path, name, (uint32_t)n);
  return MB_WASI_ESUCCESS;
}

mb_wasi_errno p1_fd_readdir(uint32_t fd, uint32_t buf, uint32_t len, uint64_t cookie,
                            uint32_t ret) {
  p1_fd *f = p1_fd_get(fd);
  if (!f) return MB_WASI_EBADF;
  if (!is_file(f)) return MB_WASI_ENOTDIR;
  uint8_t *tmp = len <= BOUNCE ? bounce : malloc(len);
  if (!tmp) return MB_WASI_ENOMEM;
  size_t used = 0;
  mb_wasi_errno e = mb_vfs_readdir(f->file, tmp, len, cookie, &used);
  if (!e) {
    p1_caller_write(buf, tmp, (uint32_t)used);
    p1_put_u32(ret, (uint32_t)used);
  }
  if (tmp != bounce) free(tmp);
  return e;
}
