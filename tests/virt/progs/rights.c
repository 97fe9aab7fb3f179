/* rights.c — preview1 rights as a program meets them (issue 10, item 6): what
 * fd_fdstat_get reports for a preopen, for files opened read-only, write-only and
 * read-write and for a directory; that fd_fdstat_set_rights only drops rights; that a
 * dropped right gives notcapable (76) to the call that needs it, on the descriptor and,
 * through the inheriting set, to what is opened below a directory; and badf (8) for a
 * number that is not open. One `key: result` line per check; errnos as numbers.
 *
 * The program makes its own fixtures (r.txt, rdir/, rdir/f) so that it runs on an empty
 * --mem tree too. Where Node's WASI differs from the spec, tests/virt/meson.build says so
 * and the expected file (rights.expected) gives the spec's answer. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

#define DATA 3 /* the preopen /data: the first after stdio in every mode */

static void fdstat(const char *key, int fd) {
  __wasi_fdstat_t s;
  __wasi_errno_t e = __wasi_fd_fdstat_get((__wasi_fd_t)fd, &s);
  if (e) {
    printf("%s: errno %u\n", key, (unsigned)e);
    return;
  }
  printf("%s: type %u base 0x%08llx inheriting 0x%08llx\n", key, (unsigned)s.fs_filetype,
         (unsigned long long)s.fs_rights_base, (unsigned long long)s.fs_rights_inheriting);
}

static void result(const char *key, __wasi_errno_t e) { printf("%s: %u\n", key, (unsigned)e); }

static __wasi_errno_t read1(int fd) {
  char c;
  __wasi_iovec_t v = {(uint8_t *)&c, 1};
  __wasi_size_t n;
  return __wasi_fd_read((__wasi_fd_t)fd, &v, 1, &n);
}
static __wasi_errno_t write1(int fd) {
  __wasi_ciovec_t v = {(const uint8_t *)"x", 1};
  __wasi_size_t n;
  return __wasi_fd_write((__wasi_fd_t)fd, &v, 1, &n);
}
static __wasi_errno_t open_at(int dir, const char *path, __wasi_oflags_t of, __wasi_rights_t base,
                              __wasi_rights_t inh, __wasi_fd_t *out) {
  return __wasi_path_open((__wasi_fd_t)dir, 0, path, of, base, inh, 0, out);
}
static __wasi_rights_t base_of(int fd) {
  __wasi_fdstat_t s;
  return __wasi_fd_fdstat_get((__wasi_fd_t)fd, &s) ? 0 : s.fs_rights_base;
}
static __wasi_rights_t inh_of(int fd) {
  __wasi_fdstat_t s;
  return __wasi_fd_fdstat_get((__wasi_fd_t)fd, &s) ? 0 : s.fs_rights_inheriting;
}

int main(void) {
  /* inherited stdout (a file under corpus.sh) before anything asked about it: its rights
   * are the host's from the first call on, so fd_sync is allowed, as directly */
  __wasi_errno_t early_sync = __wasi_fd_sync(1);
  /* fixtures */
  int fd = open("/data/r.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, "rights\n", 7) != 7 || close(fd)) return 1;
  if (mkdir("/data/rdir", 0755)) return 1;
  fd = open("/data/rdir/f", O_WRONLY | O_CREAT, 0644);
  if (fd < 0 || close(fd)) return 1;

  /* what each kind of descriptor reports (wasi-libc asks for every right it may pass on,
   * narrowed by the access mode; the host narrows to the file type) */
  result("fd_sync on stdout as the first call", early_sync);
  fdstat("preopen", DATA);
  int wo = open("/data/r.txt", O_WRONLY);
  int ro = open("/data/r.txt", O_RDONLY);
  int rw = open("/data/r.txt", O_RDWR);
  int dir = open("/data/rdir", O_RDONLY | O_DIRECTORY);
  fdstat("write-only file", wo);
  fdstat("read-only file", ro);
  fdstat("read-write file", rw);
  fdstat("directory", dir);
  __wasi_fd_t f0;
  __wasi_errno_t e = open_at(DATA, "r.txt", 0, 0, 0, &f0);
  result("path_open with no rights", e);
  if (!e) {
    fdstat("no rights", (int)f0);
    result("read without fd_read", read1((int)f0));
    close((int)f0);
  }

  /* the access mode is a right */
  result("read on the write-only file", read1(wo));
  result("write on the read-only file", write1(ro));
  result("ftruncate right on the read-only file", __wasi_fd_filestat_set_size((__wasi_fd_t)ro, 0));
  result("fdatasync right on the read-only file", __wasi_fd_datasync((__wasi_fd_t)ro));
  result("read on the read-write file", read1(rw));

  /* rights a file type does not have */
  char buf[64];
  __wasi_size_t used;
  result("readdir on a file", __wasi_fd_readdir((__wasi_fd_t)rw, (uint8_t *)buf, sizeof buf, 0, &used));
  result("path_open below a file", open_at(rw, "x", 0, 0, 0, &f0));
  __wasi_filesize_t pos;
  result("seek on a directory", __wasi_fd_seek((__wasi_fd_t)dir, 0, __WASI_WHENCE_SET, &pos));
  result("read on a directory", read1(dir));
  result("write on a directory", write1(dir));

  /* path_open may not ask for more than the directory passes on */
  result("path_open asking beyond the inheriting set",
         open_at(DATA, "r.txt", 0, ((__wasi_rights_t)1 << 30) - 1, 0, &f0));

  /* fd_fdstat_set_rights drops rights; a dropped right is gone for good */
  __wasi_rights_t rwb = base_of(rw);
  result("drop fd_write", __wasi_fd_fdstat_set_rights((__wasi_fd_t)rw,
                                                      rwb & ~__WASI_RIGHTS_FD_WRITE, 0));
  fdstat("after dropping fd_write", rw);
  result("write after dropping fd_write", write1(rw));
  result("pwrite after dropping fd_write",
         __wasi_fd_pwrite((__wasi_fd_t)rw, &(__wasi_ciovec_t){(const uint8_t *)"x", 1}, 1, 0, &used));
  result("read after dropping fd_write", read1(rw));
  result("add fd_write back", __wasi_fd_fdstat_set_rights((__wasi_fd_t)rw, rwb, 0));
  result("add an inheriting right to a file",
         __wasi_fd_fdstat_set_rights((__wasi_fd_t)rw, rwb & ~__WASI_RIGHTS_FD_WRITE,
                                     __WASI_RIGHTS_FD_READ));
  result("the same sets again", __wasi_fd_fdstat_set_rights((__wasi_fd_t)rw,
                                                            rwb & ~__WASI_RIGHTS_FD_WRITE, 0));
  /* fd_seek dropped, fd_tell kept: a seek that moves nothing is fd_tell's (preview1 3.3) */
  result("drop fd_seek", __wasi_fd_fdstat_set_rights(
                             (__wasi_fd_t)rw, rwb & ~(__WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK), 0));
  result("seek to 0 without fd_seek", __wasi_fd_seek((__wasi_fd_t)rw, 0, __WASI_WHENCE_SET, &pos));
  e = __wasi_fd_seek((__wasi_fd_t)rw, 0, __WASI_WHENCE_CUR, &pos);
  printf("seek-cur-0 with fd_tell only: %u at %llu\n", (unsigned)e, e ? 0ULL : (unsigned long long)pos);
  e = __wasi_fd_tell((__wasi_fd_t)rw, &pos);
  printf("tell without fd_seek: %u at %llu\n", (unsigned)e, e ? 0ULL : (unsigned long long)pos);
  result("pread without fd_seek",
         __wasi_fd_pread((__wasi_fd_t)rw, &(__wasi_iovec_t){(uint8_t *)buf, 1}, 1, 0, &used));
  /* the rights move with the number */
  int spare = open("/data/r.txt", O_RDONLY);
  result("renumber", __wasi_fd_renumber((__wasi_fd_t)rw, (__wasi_fd_t)spare));
  printf("renumbered keeps the rights: %s\n",
         base_of(spare) == (rwb & ~(__WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK)) ? "yes" : "no");
  close(spare);

  /* a directory's inheriting set bounds what is opened below it */
  __wasi_rights_t db = base_of(dir), di = inh_of(dir);
  result("drop fd_read from the directory's inheriting set",
         __wasi_fd_fdstat_set_rights((__wasi_fd_t)dir, db, di & ~__WASI_RIGHTS_FD_READ));
  fdstat("directory after the drop", dir);
  result("path_open asking fd_read", open_at(dir, "f", 0, __WASI_RIGHTS_FD_READ, 0, &f0));
  e = open_at(dir, "f", 0, __WASI_RIGHTS_FD_FILESTAT_GET, 0, &f0);
  result("path_open asking what is left", e);
  if (!e) close((int)f0);
  int via_libc = openat(dir, "f", O_RDONLY);
  result("openat O_RDONLY", via_libc < 0 ? (__wasi_errno_t)errno : 0);
  if (via_libc >= 0) close(via_libc);
  result("drop fd_seek from the inheriting set",
         __wasi_fd_fdstat_set_rights((__wasi_fd_t)dir, db,
                                     di & ~(__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK)));
  result("path_open for writing without fd_seek to pass on",
         open_at(dir, "f", 0, __WASI_RIGHTS_FD_WRITE, 0, &f0));
  e = __wasi_path_open((__wasi_fd_t)dir, 0, "f", 0, __WASI_RIGHTS_FD_WRITE, 0,
                       __WASI_FDFLAGS_APPEND, &f0);
  result("path_open for appending without fd_seek to pass on", e);
  if (!e) close((int)f0);
  /* base rights of the directory itself */
  result("drop path_create_file and path_filestat_set_size",
         __wasi_fd_fdstat_set_rights(
             (__wasi_fd_t)dir, db & ~(__WASI_RIGHTS_PATH_CREATE_FILE | __WASI_RIGHTS_PATH_FILESTAT_SET_SIZE),
             di & ~(__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK)));
  result("creat without path_create_file", open_at(dir, "g", __WASI_OFLAGS_CREAT, 0, 0, &f0));
  result("trunc without path_filestat_set_size", open_at(dir, "f", __WASI_OFLAGS_TRUNC, 0, 0, &f0));
  result("mkdir with path_create_directory", __wasi_path_create_directory((__wasi_fd_t)dir, "sub"));
  result("drop every right", __wasi_fd_fdstat_set_rights((__wasi_fd_t)dir, 0, 0));
  fdstat("directory without rights", dir);
  result("path_open without path_open", open_at(dir, "f", 0, 0, 0, &f0));
  result("mkdir without path_create_directory", __wasi_path_create_directory((__wasi_fd_t)dir, "sub2"));
  result("unlink without path_unlink_file", __wasi_path_unlink_file((__wasi_fd_t)dir, "f"));
  result("readdir without fd_readdir",
         __wasi_fd_readdir((__wasi_fd_t)dir, (uint8_t *)buf, sizeof buf, 0, &used));
  __wasi_filestat_t st;
  result("stat without fd_filestat_get", __wasi_fd_filestat_get((__wasi_fd_t)dir, &st));
  result("fdstat needs no right", __wasi_fd_fdstat_get((__wasi_fd_t)dir, &(__wasi_fdstat_t){0}));
  result("close needs no right", __wasi_fd_close((__wasi_fd_t)dir));

  /* numbers that are not open: badf, whatever the call */
  result("read on a closed number", read1(dir));
  result("fdstat on a closed number", __wasi_fd_fdstat_get((__wasi_fd_t)dir, &(__wasi_fdstat_t){0}));
  result("set_rights on a closed number", __wasi_fd_fdstat_set_rights((__wasi_fd_t)dir, 0, 0));
  result("read on a number never handed out", read1(4711));
  result("path_open below a closed number", open_at(dir, "f", 0, 0, 0, &f0));

  close(wo);
  close(ro);
  unlink("/data/rdir/sub");
  rmdir("/data/rdir/sub");
  unlink("/data/rdir/f");
  rmdir("/data/rdir");
  unlink("/data/r.txt");
  return 0;
}
