/* p1_fd.c — preview1 calls on descriptors: read, write, seek, stat, readdir, close,
 * renumber, prestat. Every call has the same shape (STYLE.md): decode arguments
 * (inval first), look the descriptor up with the rights the call needs (badf,
 * notcapable), check its kind, then the work; errnos
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
  p1_abi_iovec v;
  p1_check_align(iovs, _Alignof(p1_abi_iovec));
  p1_caller_read(&v, iovs + (uint32_t)sizeof v * i, sizeof v);
  *buf = v.buf;
  *len = v.buf_len;
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

/* A read needs fd_read; at an offset (pread) fd_seek too, as uvwasi asks: a stream
 * lacks it, which wasi-libc's pread turns into ESPIPE. A write-only file lacks fd_read:
 * notcapable, as on Node. */
static mb_wasi_errno do_read(uint32_t fd, uint32_t iovs, uint32_t n, int64_t offset,
                             uint32_t ret) {
  p1_fd *f;
  uint64_t need = P1_RIGHT_FD_READ | (offset >= 0 ? P1_RIGHT_FD_SEEK : 0);
  mb_wasi_errno e = p1_fd_lookup(fd, need, 0, &f);
  if (e) return e;
  if (offset >= 0 && !is_file(f)) return MB_WASI_ESPIPE;
  uint64_t total = 0;
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
        e = p1h_fd_read(f->host_fd, bounce, chunk, &got);
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
  size_t put = 0;
  *e = p1h_fd_write(host_fd, bounce, *fill, &put);
  *total += put;
  bool all = !*e && put == *fill;
  *fill = 0;
  return all;
}

static mb_wasi_errno do_write(uint32_t fd, uint32_t iovs, uint32_t n, int64_t offset,
                              uint32_t ret) {
  p1_fd *f;
  uint64_t need = P1_RIGHT_FD_WRITE | (offset >= 0 ? P1_RIGHT_FD_SEEK : 0);
  mb_wasi_errno e = p1_fd_lookup(fd, need, 0, &f);
  if (e) return e;
  if (offset >= 0 && !is_file(f)) return MB_WASI_ESPIPE;
  uint64_t total = 0;
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

/* fd_seek needs fd_seek; only fd_tell when it moves nothing (offset 0 from cur), which
 * is how the spec defines fd_tell (preview1 3.3). */
mb_wasi_errno p1_fd_seek(uint32_t fd, int64_t off, uint32_t whence, uint32_t ret) {
  if (whence > MB_WASI_WHENCE_END) return MB_WASI_EINVAL;
  bool tell = off == 0 && whence == MB_WASI_WHENCE_CUR;
  p1_fd *f;
  mb_wasi_errno e = p1_fd_lookup(fd, tell ? P1_RIGHT_FD_TELL : P1_RIGHT_FD_SEEK, 0, &f);
  if (e) return e;
  if (f->kind == P1_FD_NULL) { /* Linux: every seek on /dev/null lands at 0 */
    p1_put_u64(ret, 0);
    return MB_WASI_ESUCCESS;
  }
  uint64_t pos;
  if (f->kind == P1_FD_HOST_STDIO) { /* a file the host redirected stdio from or to seeks */
    uint64_t hpos = 0;
    e = p1h_fd_seek(f->host_fd, off, (uint8_t)whence, &hpos);
    if (e) return e;
    p1_put_u64(ret, hpos);
    return MB_WASI_ESUCCESS;
  }
  if (!is_file(f)) return MB_WASI_ESPIPE;
  e = mb_vfs_seek(f->file, off, (uint8_t)whence, &pos);
  if (e) return e;
  p1_put_u64(ret, pos);
  return MB_WASI_ESUCCESS;
}

mb_wasi_errno p1_fd_tell(uint32_t fd, uint32_t ret) {
  p1_fd *f;
  mb_wasi_errno e = p1_fd_lookup(fd, P1_RIGHT_FD_TELL, 0, &f);
  if (e) return e;
  if (f->kind == P1_FD_NULL) { /* Linux: every seek on /dev/null lands at 0 */
    p1_put_u64(ret, 0);
    return MB_WASI_ESUCCESS;
  }
  uint64_t pos;
  if (f->kind == P1_FD_HOST_STDIO) {
    uint64_t hpos = 0;
    e = p1h_fd_tell(f->host_fd, &hpos);
    if (e) return e;
    p1_put_u64(ret, hpos);
    return MB_WASI_ESUCCESS;
  }
  if (!is_file(f)) return MB_WASI_ESPIPE;
  e = mb_vfs_tell(f->file, &pos);
  if (e) return e;
  p1_put_u64(ret, pos);
  return MB_WASI_ESUCCESS;
}

mb_wasi_errno p1_fd_close(uint32_t fd) {
  p1_fd *f;
  mb_wasi_errno e = p1_fd_lookup(fd, 0, 0, &f);
  if (e) return e;
  p1_fd_release(fd);
  return MB_WASI_ESUCCESS;
}

/* Everything moves with the number, its rights too. */
mb_wasi_errno p1_fd_renumber(uint32_t fd, uint32_t to) {
  p1_fd *from, *dst;
  mb_wasi_errno e = p1_fd_lookup(fd, 0, 0, &from);
  if (!e) e = p1_fd_lookup(to, 0, 0, &dst);
  if (e) return e;
  if (fd == to) return MB_WASI_ESUCCESS;
  p1_fd_release(to);
  *dst = *from;
  memset(from, 0, sizeof *from);
  return MB_WASI_ESUCCESS;
}

static uint16_t fdflags_of(const p1_fd *f) {
  return is_file(f) ? mb_vfs_file_fdflags(f->file) : f->fdflags;
}

mb_wasi_errno p1_fd_fdstat_get(uint32_t fd, uint32_t ret) {
  p1_fd *f;
  mb_wasi_errno e = p1_fd_lookup(fd, 0, 0, &f);
  if (e) return e;
  p1_abi_fdstat st = {0};
  st.filetype = f->filetype;
  st.flags = fdflags_of(f);
  st.rights_base = f->base;
  st.rights_inheriting = f->inheriting;
  p1_check_align(ret, _Alignof(p1_abi_fdstat));
  p1_caller_write(ret, &st, sizeof st);
  return MB_WASI_ESUCCESS;
}

mb_wasi_errno p1_fd_fdstat_set_flags(uint32_t fd, uint32_t flags) {
  if (flags > 0x1F) return MB_WASI_EINVAL;
  p1_fd *f;
  mb_wasi_errno e = p1_fd_lookup(fd, P1_RIGHT_FD_FDSTAT_SET_FLAGS, 0, &f);
  if (e) return e;
  if (!is_file(f)) {
    f->fdflags = (uint16_t)flags;
    return MB_WASI_ESUCCESS;
  }
  return mb_vfs_file_set_fdflags(f->file, (uint16_t)flags);
}

/* Rights only ever shrink: asking for one the descriptor lacks is notcapable (which the
 * lookup says when it is asked for the new sets). */
mb_wasi_errno p1_fd_fdstat_set_rights(uint32_t fd, uint64_t base, uint64_t inh) {
  p1_fd *f;
  mb_wasi_errno e = p1_fd_lookup(fd, base, inh, &f);
  if (e) return e;
  f->base = base;
  f->inheriting = inh;
  return MB_WASI_ESUCCESS;
}

static void put_filestat(uint32_t ret, const mb_vfs_filestat *st) {
  p1_check_align(ret, _Alignof(mb_vfs_filestat));
  p1_caller_write(ret, st, sizeof *st);
}

mb_wasi_errno p1_fd_filestat_get(uint32_t fd, uint32_t ret) {
  p1_fd *f;
  mb_wasi_errno e = p1_fd_lookup(fd, P1_RIGHT_FD_FILESTAT_GET, 0, &f);
  if (e) return e;
  mb_vfs_filestat st;
  memset(&st, 0, sizeof st);
  if (is_file(f)) {
    if ((e = mb_vfs_stat(f->file, &st))) return e;
  } else if (f->kind == P1_FD_HOST_STDIO) { /* the host's file, pipe or terminal */
    mb_vfs_filestat h;
    if ((e = p1h_fd_filestat_get(f->host_fd, &h))) return e;
    st.dev = h.dev;
    st.ino = h.ino;
    st.filetype = h.filetype;
    st.nlink = h.nlink;
    st.size = h.size;
    st.atim = h.atim;
    st.mtim = h.mtim;
    st.ctim = h.ctim;
  } else {
    st.filetype = f->filetype;
    st.nlink = 1;
  }
  put_filestat(ret, &st);
  return MB_WASI_ESUCCESS;
}

mb_wasi_errno p1_fd_filestat_set_size(uint32_t fd, uint64_t size) {
  p1_fd *f;
  mb_wasi_errno e = p1_fd_lookup(fd, P1_RIGHT_FD_FILESTAT_SET_SIZE, 0, &f);
  if (e) return e;
  if (!is_file(f)) return MB_WASI_EINVAL;
  return mb_vfs_set_size(f->file, size);
}

mb_wasi_errno p1_fd_filestat_set_times(uint32_t fd, uint64_t atim, uint64_t mtim, uint32_t fst) {
  if (fst > 0xF) return MB_WASI_EINVAL;
  p1_fd *f;
  mb_wasi_errno e = p1_fd_lookup(fd, P1_RIGHT_FD_FILESTAT_SET_TIMES, 0, &f);
  if (e) return e;
  if (!is_file(f)) return MB_WASI_EBADF;
  return mb_vfs_set_times(f->file, atim, mtim, (uint16_t)fst);
}

mb_wasi_errno p1_fd_advise(uint32_t fd, uint64_t off, uint64_t len, uint32_t advice) {
  if (advice > 5) return MB_WASI_EINVAL;
  p1_fd *f;
  mb_wasi_errno e = p1_fd_lookup(fd, P1_RIGHT_FD_ADVISE, 0, &f);
  if (e) return e;
  if (!is_file(f)) return MB_WASI_ESPIPE;
  if (mb_vfs_file_filetype(f->file) == MB_WASI_FILETYPE_DIRECTORY) return MB_WASI_EBADF;
  if (off > MB_VFS_FILE_MAX || len > MB_VFS_FILE_MAX - off) return MB_WASI_EINVAL;
  return MB_WASI_ESUCCESS; /* advice only */
}

/* posix_fallocate: the file is at least off+len bytes afterwards. */
mb_wasi_errno p1_fd_allocate(uint32_t fd, uint64_t off, uint64_t len) {
  p1_fd *f;
  mb_wasi_errno e = p1_fd_lookup(fd, P1_RIGHT_FD_ALLOCATE, 0, &f);
  if (e) return e;
  if (!is_file(f)) return MB_WASI_ESPIPE;
  if (off > MB_VFS_FILE_MAX || len > MB_VFS_FILE_MAX - off) return MB_WASI_EFBIG;
  if (mb_vfs_file_filetype(f->file) == MB_WASI_FILETYPE_DIRECTORY) return MB_WASI_EBADF;
  if (!(mb_vfs_file_access(f->file) & MB_VFS_ACCESS_WRITE)) return MB_WASI_EBADF;
  mb_vfs_filestat st;
  if ((e = mb_vfs_stat(f->file, &st))) return e;
  return st.size >= off + len ? MB_WASI_ESUCCESS : mb_vfs_set_size(f->file, off + len);
}

/* Durability as the program would get it without wasi-virt: a file of a host mount is
 * synced by the host (mb_vfs_sync), inherited stdio gets the host's answer too (Node:
 * success for a file, notcapable for a pipe or terminal); a null stream is /dev/null,
 * where Linux says inval. */
static mb_wasi_errno do_sync(uint32_t fd, bool data_only) {
  p1_fd *f;
  mb_wasi_errno e = p1_fd_lookup(fd, data_only ? P1_RIGHT_FD_DATASYNC : P1_RIGHT_FD_SYNC, 0, &f);
  if (e) return e;
  if (is_file(f)) return mb_vfs_sync(f->file, data_only);
  if (f->kind == P1_FD_HOST_STDIO)
    return p1h_fd_sync(f->host_fd, data_only);
  return MB_WASI_EINVAL;
}

mb_wasi_errno p1_fd_sync(uint32_t fd) { return do_sync(fd, false); }
mb_wasi_errno p1_fd_datasync(uint32_t fd) { return do_sync(fd, true); }

mb_wasi_errno p1_fd_prestat_get(uint32_t fd, uint32_t ret) {
  p1_fd *f;
  mb_wasi_errno e = p1_fd_lookup(fd, 0, 0, &f);
  if (e) return e;
  if (f->preopen < 0) return MB_WASI_EBADF;
  size_t n;
  mb_vfs_mount_name(p1.vfs, (uint32_t)f->preopen, &n);
  p1_abi_prestat st = {0};
  st.tag = 0; /* dir */
  st.name_len = (uint32_t)n;
  p1_check_align(ret, _Alignof(p1_abi_prestat));
  p1_caller_write(ret, &st, sizeof st);
  return MB_WASI_ESUCCESS;
}

mb_wasi_errno p1_fd_prestat_dir_name(uint32_t fd, uint32_t path, uint32_t len) {
  p1_fd *f;
  mb_wasi_errno e = p1_fd_lookup(fd, 0, 0, &f);
  if (e) return e;
  if (f->preopen < 0) return MB_WASI_EBADF;
  size_t n;
  const char *name = mb_vfs_mount_name(p1.vfs, (uint32_t)f->preopen, &n);
  if (len < n) return MB_WASI_ENAMETOOLONG;
  p1_caller_write(path, name, (uint32_t)n);
  return MB_WASI_ESUCCESS;
}

mb_wasi_errno p1_fd_readdir(uint32_t fd, uint32_t buf, uint32_t len, uint64_t cookie,
                            uint32_t ret) {
  p1_fd *f;
  mb_wasi_errno e = p1_fd_lookup(fd, P1_RIGHT_FD_READDIR, 0, &f);
  if (e) return e;
  if (!is_file(f)) return MB_WASI_ENOTDIR;
  uint8_t *tmp = len <= BOUNCE ? bounce : malloc(len);
  if (!tmp) return MB_WASI_ENOMEM;
  size_t used = 0;
  e = mb_vfs_readdir(f->file, tmp, len, cookie, &used);
  if (!e) {
    p1_caller_write(buf, tmp, (uint32_t)used);
    p1_put_u32(ret, (uint32_t)used);
  }
  if (tmp != bounce) free(tmp);
  return e;
}
