/* wasi_virt_test_util.h — shared by tests/unit/test_wasi_virt_*.c: a counting allocator
 * for mb_vfs_set_allocator (leak check, N-th allocation failure), a deterministic clock,
 * images from a compact spec, a fake host backend, and fixtures that give the same tree
 * on every kind of mount. Header-only (static functions) so each test stays one
 * executable.
 *
 * The fake host is itself an mb_vfs (a mem mount standing for the host's disk), driven
 * through mb_vfs_host_ops exactly as the wasm build will drive the host's WASI. Every
 * call is checked against the backend contract: names are single components (no '/',
 * not "." or "..", no NUL, 1..255 bytes); nothing is ever asked to follow a symlink (the
 * host vfs is called with lookupflags 0); and no call but the mount's own subdir walk
 * may touch the host's root directory, where a "secret" file sits next to the mounted
 * "mnt" directory. A broken rule fails the test on the spot. */
#ifndef MB_WASI_VIRT_TEST_UTIL_H
#define MB_WASI_VIRT_TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "membrane_wasi_virt.h"

/* ---- errno assertions ---- */

/* What the failing assertion was about (a mount kind, a case); printed with it. */
static const char *vt_where = "";

#define assert_errno(expr, want)                                                          \
  do {                                                                                    \
    mb_wasi_errno got_ = (expr);                                                          \
    mb_wasi_errno want_ = (want);                                                         \
    if (got_ != want_)                                                                    \
      fail_msg("%s:%d: [%s] %s\n  returned %s (%d), expected %s (%d)", __FILE__, __LINE__, \
               vt_where, #expr, mb_wasi_errno_name(got_), (int)got_,                      \
               mb_wasi_errno_name(want_), (int)want_);                                    \
  } while (0)
#define assert_ok(expr) assert_errno((expr), MB_WASI_ESUCCESS)

/* ---- counting allocator ---- */

typedef struct vt_alloc {
  long live, calls, fail_at;
  bool failed;
} vt_alloc;
static vt_alloc g_vt_alloc;

static inline void *vt_alloc_fn(void *ptr, size_t size, void *user) {
  vt_alloc *a = user;
  if (size == 0) {
    if (ptr) {
      a->live--;
      free(ptr);
    }
    return NULL;
  }
  a->calls++;
  if (size > ((size_t)1 << 40)) return NULL;
  if (a->fail_at && a->calls == a->fail_at) {
    a->failed = true;
    return NULL;
  }
  void *p = realloc(ptr, size);
  if (p && !ptr) a->live++;
  return p;
}

static inline void vt_alloc_install(long fail_at) {
  memset(&g_vt_alloc, 0, sizeof g_vt_alloc);
  g_vt_alloc.fail_at = fail_at;
  mb_vfs_set_allocator(vt_alloc_fn, &g_vt_alloc);
}

static inline int vt_setup(void **state) {
  (void)state;
  vt_alloc_install(0);
  return 0;
}
static inline int vt_teardown(void **state) {
  (void)state;
  mb_vfs_set_allocator(NULL, NULL);
  if (g_vt_alloc.live != 0) {
    print_message("leak: %ld library blocks still allocated\n", g_vt_alloc.live);
    return -1;
  }
  return 0;
}
#define VT_TEST(f) cmocka_unit_test_setup_teardown(f, vt_setup, vt_teardown)

/* ---- clock: 1000, 1001, ... ---- */

static inline uint64_t vt_clock(void *user) { return (*(uint64_t *)user)++; }

/* ---- images from a spec ---- */

/* One node: path ("a/b/c", parents listed first), type 'd' 'f' 'l', data (file
 * contents or symlink text), mtim. */
typedef struct vt_spec {
  const char *path;
  char type;
  const char *data;
  uint64_t mtim;
} vt_spec;

static inline uint8_t vt_type(char t) {
  return t == 'd' ? MB_WASI_FILETYPE_DIRECTORY
       : t == 'l' ? MB_WASI_FILETYPE_SYMBOLIC_LINK
                  : MB_WASI_FILETYPE_REGULAR_FILE;
}

/* Serialize the spec into out (test-owned malloc copy, *len bytes). */
static inline uint8_t *vt_image(const vt_spec *spec, size_t n, size_t *len) {
  mb_vfs_image_writer *w = mb_vfs_image_writer_new();
  assert_non_null(w);
  uint32_t *ids = calloc(n ? n : 1, sizeof *ids);
  assert_non_null(ids);
  for (size_t i = 0; i < n; i++) {
    const char *slash = strrchr(spec[i].path, '/');
    uint32_t parent = 0;
    const char *name = spec[i].path;
    if (slash) {
      size_t plen = (size_t)(slash - spec[i].path);
      size_t k;
      for (k = 0; k < i; k++)
        if (strlen(spec[k].path) == plen && !strncmp(spec[k].path, spec[i].path, plen)) break;
      assert_true(k < i);
      parent = ids[k];
      name = slash + 1;
    }
    const char *data = spec[i].data ? spec[i].data : "";
    mb_wv_diag d;
    mb_wv_err e = mb_vfs_image_writer_add(w, parent, name, strlen(name), vt_type(spec[i].type),
                                                 data, strlen(data), spec[i].mtim, &ids[i], &d);
    if (e) fail_msg("image spec %s: %s", spec[i].path, d.message);
  }
  mb_vfs_buf b;
  mb_vfs_buf_init(&b);
  mb_wv_diag d;
  if (mb_vfs_image_writer_finish(w, &b, &d)) fail_msg("finish: %s", d.message);
  mb_vfs_image_writer_free(w);
  free(ids);
  uint8_t *copy = malloc(b.len);
  assert_non_null(copy);
  memcpy(copy, b.data, b.len);
  *len = b.len;
  mb_vfs_buf_fini(&b);
  return copy;
}

/* ---- the fake host ---- */

enum { VT_HOST_FDS = 512, VT_HOST_ROOT = 3 };

typedef struct vt_host {
  mb_vfs *vfs;
  mb_vfs_file *fd[VT_HOST_FDS];
  uint64_t clock;
  bool mounted;       /* after mb_vfs_mount_host: the root is off limits */
  bool uvwasi_readdir; /* list no "." and ".." (as uvwasi does) */
  bool whole_seconds;  /* set times as uvwasi does: both, in whole seconds */
  unsigned calls, mutations, open_fds;
  unsigned syncs, datasyncs; /* sync calls that reached the host */
  int fail_call;      /* fail the n-th call (1-based) with fail_errno; 0 = never */
  mb_wasi_errno fail_errno;
} vt_host;

static inline void vt_host_check_name(const char *name, size_t len) {
  if (len == 0 || len > MB_VFS_NAME_MAX) fail_msg("host got a name of %zu bytes", len);
  if (memchr(name, '/', len)) fail_msg("host got a name with '/' (%zu bytes)", len);
  if (memchr(name, '\0', len)) fail_msg("host got a name with NUL");
  if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
    fail_msg("host got the name \"%.*s\"", (int)len, name);
}

static inline mb_vfs_file *vt_host_fd(vt_host *h, uint32_t fd) {
  if (fd >= VT_HOST_FDS || !h->fd[fd]) fail_msg("host got fd %u, which is not open", fd);
  if (h->mounted && fd == VT_HOST_ROOT) fail_msg("host root touched after the mount");
  return h->fd[fd];
}

/* Count the call; true when it must fail (fault injection). */
static inline bool vt_host_call(vt_host *h, bool mutation) {
  h->calls++;
  if (mutation) h->mutations++;
  return h->fail_call && (int)h->calls == h->fail_call;
}

#define VT_HOST_ENTER(mut)                                \
  vt_host *h = ctx;                                       \
  if (vt_host_call(h, (mut))) return h->fail_errno

static inline mb_wasi_errno vt_h_open_at(void *ctx, uint32_t dirfd, const char *name, size_t len,
                                         uint16_t oflags, uint32_t access, uint32_t *fd,
                                         uint8_t *type, uint64_t *ino) {
  VT_HOST_ENTER(oflags & (MB_WASI_O_CREAT | MB_WASI_O_TRUNC));
  vt_host_check_name(name, len);
  mb_vfs_file *f;
  mb_wasi_errno e = mb_vfs_open(vt_host_fd(h, dirfd), 0, name, len, oflags, access, 0, &f);
  if (e) return e;
  for (uint32_t i = VT_HOST_ROOT + 1; i < VT_HOST_FDS; i++)
    if (!h->fd[i]) {
      h->fd[i] = f;
      h->open_fds++;
      *fd = i;
      *type = mb_vfs_file_filetype(f);
      mb_vfs_filestat st;
      *ino = mb_vfs_stat(f, &st) ? 0 : st.ino;
      return MB_WASI_ESUCCESS;
    }
  mb_vfs_close(f);
  return MB_WASI_EMFILE;
}
static inline mb_wasi_errno vt_h_close(void *ctx, uint32_t fd) {
  vt_host *h = ctx; /* not counted: close cannot fail here, so no fault lands on it */
  mb_vfs_close(vt_host_fd(h, fd));
  h->fd[fd] = NULL;
  h->open_fds--;
  return MB_WASI_ESUCCESS;
}
static inline mb_wasi_errno vt_h_stat(void *ctx, uint32_t fd, mb_vfs_filestat *st) {
  VT_HOST_ENTER(false);
  return mb_vfs_stat(vt_host_fd(h, fd), st);
}
static inline mb_wasi_errno vt_h_stat_at(void *ctx, uint32_t dirfd, const char *name, size_t len,
                                         mb_vfs_filestat *st) {
  VT_HOST_ENTER(false);
  vt_host_check_name(name, len);
  return mb_vfs_path_stat(vt_host_fd(h, dirfd), 0, name, len, st);
}
static inline mb_wasi_errno vt_h_readlink_at(void *ctx, uint32_t dirfd, const char *name,
                                             size_t len, char *buf, size_t cap, size_t *n) {
  VT_HOST_ENTER(false);
  vt_host_check_name(name, len);
  /* A real host can hold absolute symlinks, which no mb_vfs can create: a link whose
   * text is the placeholder ABSOLUTE reads as /etc/passwd. */
  char tmp[16];
  size_t k;
  mb_wasi_errno e = mb_vfs_readlink(vt_host_fd(h, dirfd), name, len, tmp, sizeof tmp, &k);
  if (!e && k == 8 && !memcmp(tmp, "ABSOLUTE", 8)) {
    *n = cap < 11 ? cap : 11;
    memcpy(buf, "/etc/passwd", *n);
    return MB_WASI_ESUCCESS;
  }
  return mb_vfs_readlink(vt_host_fd(h, dirfd), name, len, buf, cap, n);
}
static inline mb_wasi_errno vt_h_pread(void *ctx, uint32_t fd, void *buf, size_t len, uint64_t off,
                                       size_t *got) {
  VT_HOST_ENTER(false);
  return mb_vfs_pread(vt_host_fd(h, fd), buf, len, off, got);
}
static inline mb_wasi_errno vt_h_pwrite(void *ctx, uint32_t fd, const void *buf, size_t len,
                                        uint64_t off, size_t *put) {
  VT_HOST_ENTER(true);
  return mb_vfs_pwrite(vt_host_fd(h, fd), buf, len, off, put);
}
static inline mb_wasi_errno vt_h_set_size(void *ctx, uint32_t fd, uint64_t size) {
  VT_HOST_ENTER(true);
  return mb_vfs_set_size(vt_host_fd(h, fd), size);
}
/* uvwasi's set_times: the times divided by 10^9 for libuv, and an omitted one written
 * back too (from cur), as rounded. "now" is left to the fake's clock. */
static inline uint16_t vt_host_round(const mb_vfs_filestat *cur, uint64_t *a, uint64_t *m,
                                     uint16_t fst) {
  const uint64_t s = 1000000000u;
  if (!(fst & (MB_WASI_FST_ATIM | MB_WASI_FST_ATIM_NOW))) {
    *a = cur->atim;
    fst |= MB_WASI_FST_ATIM;
  }
  if (!(fst & (MB_WASI_FST_MTIM | MB_WASI_FST_MTIM_NOW))) {
    *m = cur->mtim;
    fst |= MB_WASI_FST_MTIM;
  }
  *a = *a / s * s;
  *m = *m / s * s;
  return fst;
}
static inline mb_wasi_errno vt_h_set_times(void *ctx, uint32_t fd, uint64_t a, uint64_t m,
                                           uint16_t fst) {
  VT_HOST_ENTER(true);
  if (h->whole_seconds) {
    mb_vfs_filestat cur;
    mb_wasi_errno e = mb_vfs_stat(vt_host_fd(h, fd), &cur);
    if (e) return e;
    fst = vt_host_round(&cur, &a, &m, fst);
  }
  return mb_vfs_set_times(vt_host_fd(h, fd), a, m, fst);
}
static inline mb_wasi_errno vt_h_set_times_at(void *ctx, uint32_t dirfd, const char *name,
                                              size_t len, uint64_t a, uint64_t m, uint16_t fst) {
  VT_HOST_ENTER(true);
  vt_host_check_name(name, len);
  if (h->whole_seconds) {
    mb_vfs_filestat cur;
    mb_wasi_errno e = mb_vfs_path_stat(vt_host_fd(h, dirfd), 0, name, len, &cur);
    if (e) return e;
    fst = vt_host_round(&cur, &a, &m, fst);
  }
  return mb_vfs_path_set_times(vt_host_fd(h, dirfd), 0, name, len, a, m, fst);
}
static inline mb_wasi_errno vt_h_readdir(void *ctx, uint32_t fd, uint8_t *buf, size_t len,
                                         uint64_t cookie, size_t *used) {
  VT_HOST_ENTER(false);
  mb_vfs_file *f = vt_host_fd(h, fd);
  /* uvwasi style: skip the first two records by starting at cookie 2 */
  if (h->uvwasi_readdir && cookie < 2) cookie = 2;
  return mb_vfs_readdir(f, buf, len, cookie, used);
}
static inline mb_wasi_errno vt_h_mkdir_at(void *ctx, uint32_t dirfd, const char *name, size_t len) {
  VT_HOST_ENTER(true);
  vt_host_check_name(name, len);
  return mb_vfs_mkdir(vt_host_fd(h, dirfd), name, len);
}
static inline mb_wasi_errno vt_h_rmdir_at(void *ctx, uint32_t dirfd, const char *name, size_t len) {
  VT_HOST_ENTER(true);
  vt_host_check_name(name, len);
  return mb_vfs_rmdir(vt_host_fd(h, dirfd), name, len);
}
static inline mb_wasi_errno vt_h_unlink_at(void *ctx, uint32_t dirfd, const char *name, size_t len) {
  VT_HOST_ENTER(true);
  vt_host_check_name(name, len);
  return mb_vfs_unlink(vt_host_fd(h, dirfd), name, len);
}
static inline mb_wasi_errno vt_h_symlink_at(void *ctx, const char *text, size_t tlen, uint32_t dirfd,
                                            const char *name, size_t len) {
  VT_HOST_ENTER(true);
  vt_host_check_name(name, len);
  return mb_vfs_symlink(text, tlen, vt_host_fd(h, dirfd), name, len);
}
static inline mb_wasi_errno vt_h_rename_at(void *ctx, uint32_t d1, const char *n1, size_t l1,
                                           uint32_t d2, const char *n2, size_t l2) {
  VT_HOST_ENTER(true);
  vt_host_check_name(n1, l1);
  vt_host_check_name(n2, l2);
  return mb_vfs_rename(vt_host_fd(h, d1), n1, l1, vt_host_fd(h, d2), n2, l2);
}
static inline mb_wasi_errno vt_h_link_at(void *ctx, uint32_t d1, const char *n1, size_t l1,
                                         uint32_t d2, const char *n2, size_t l2) {
  VT_HOST_ENTER(true);
  vt_host_check_name(n1, l1);
  vt_host_check_name(n2, l2);
  return mb_vfs_link(vt_host_fd(h, d1), 0, n1, l1, vt_host_fd(h, d2), n2, l2);
}

static inline mb_wasi_errno vt_h_sync(void *ctx, uint32_t fd, bool data_only) {
  VT_HOST_ENTER(false);
  (void)vt_host_fd(h, fd);
  if (data_only) h->datasyncs++;
  else h->syncs++;
  return MB_WASI_ESUCCESS;
}

static const mb_vfs_host_ops vt_host_ops = {
    .open_at = vt_h_open_at,
    .close = vt_h_close,
    .stat = vt_h_stat,
    .stat_at = vt_h_stat_at,
    .readlink_at = vt_h_readlink_at,
    .pread = vt_h_pread,
    .pwrite = vt_h_pwrite,
    .set_size = vt_h_set_size,
    .set_times = vt_h_set_times,
    .set_times_at = vt_h_set_times_at,
    .readdir = vt_h_readdir,
    .mkdir_at = vt_h_mkdir_at,
    .rmdir_at = vt_h_rmdir_at,
    .unlink_at = vt_h_unlink_at,
    .symlink_at = vt_h_symlink_at,
    .rename_at = vt_h_rename_at,
    .link_at = vt_h_link_at,
    .sync = vt_h_sync,
};

/* ---- building the standard tree through the API ---- */

static inline void vt_put_file(mb_vfs_file *dir, const char *path, const char *data) {
  mb_vfs_file *f;
  assert_ok(mb_vfs_open(dir, 0, path, strlen(path), MB_WASI_O_CREAT | MB_WASI_O_TRUNC,
                        MB_VFS_ACCESS_WRITE, 0, &f));
  size_t put;
  assert_ok(mb_vfs_write(f, data, strlen(data), &put));
  assert_int_equal(put, strlen(data));
  mb_vfs_close(f);
}

static inline void vt_populate(mb_vfs_file *dir, const vt_spec *spec, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const char *p = spec[i].path, *d = spec[i].data ? spec[i].data : "";
    switch (spec[i].type) {
    case 'd':
      assert_ok(mb_vfs_mkdir(dir, p, strlen(p)));
      break;
    case 'l':
      assert_ok(mb_vfs_symlink(d, strlen(d), dir, p, strlen(p)));
      break;
    default:
      vt_put_file(dir, p, d);
      break;
    }
  }
}

/* ---- fixtures: one tree, every kind of mount ---- */

typedef enum vt_kind { VT_MEM, VT_EMBED, VT_OVERLAY, VT_HOST, VT_HOST_RO, VT_KINDS } vt_kind;
static const char *const vt_kind_names[VT_KINDS] = {"mem", "embed", "mem over embed", "host",
                                                    "host read-only"};

/* The standard tree. Absolute link texts cannot be created through the API (that is
 * refused), so the image and the host get those by other means below. */
static const vt_spec vt_tree[] = {
    {"a", 'd', NULL, 0},
    {"a/b", 'd', NULL, 0},
    {"a/b/file", 'f', "hello", 0},
    {"a/up", 'l', "..", 0},
    {"a/b/up2", 'l', "../..", 0},
    {"a/b/escape", 'l', "../../../secret", 0},
    {"file", 'f', "0123456789", 0},
    {"empty", 'd', NULL, 0},
    {"link_file", 'l', "file", 0},
    {"link_dir", 'l', "a", 0},
    {"link_dangling", 'l', "nowhere", 0},
    {"link_escape", 'l', "../secret", 0},
    {"link_escape2", 'l', "a/../../secret", 0},
    {"link_escape3", 'l', "a/up/../secret", 0},
    {"loop1", 'l', "loop2", 0},
    {"loop2", 'l', "loop1", 0},
    {"self", 'l', "self", 0},
    {"link_via_dir", 'l', "link_dir/b/file", 0},
};
#define VT_TREE_N (sizeof vt_tree / sizeof *vt_tree)

typedef struct vt_fs {
  vt_kind kind;
  mb_vfs *vfs;
  mb_vfs_file *root; /* the mount's root directory */
  uint32_t mount;
  uint64_t clock;
  uint8_t *image; /* embed / overlay: the image bytes (test-owned) */
  size_t image_len;
  mb_vfs_image img;
  vt_host host;
} vt_fs;

static inline void vt_host_init(vt_host *h) {
  memset(h, 0, sizeof *h);
  h->clock = 5000;
  h->vfs = mb_vfs_new();
  assert_non_null(h->vfs);
  mb_vfs_set_clock(h->vfs, vt_clock, &h->clock);
  assert_ok(mb_vfs_mount_mem(h->vfs, "/", 1, NULL, MB_VFS_NO_LIMIT, NULL));
  assert_ok(mb_vfs_open_root(h->vfs, 0, &h->fd[VT_HOST_ROOT]));
  vt_put_file(h->fd[VT_HOST_ROOT], "secret", "top secret");
  assert_ok(mb_vfs_mkdir(h->fd[VT_HOST_ROOT], "mnt", 3));
}

static inline void vt_host_fini(vt_host *h) {
  for (int i = 0; i < VT_HOST_FDS; i++) mb_vfs_close(h->fd[i]);
  mb_vfs_free(h->vfs);
}

/* The host's secret is untouched: same contents, same mtim and ctim as at creation. */
static inline void vt_host_secret_intact(vt_host *h) {
  bool was = h->mounted;
  h->mounted = false;
  mb_vfs_file *f;
  assert_ok(mb_vfs_open(h->fd[VT_HOST_ROOT], 0, "secret", 6, 0, MB_VFS_ACCESS_READ, 0, &f));
  char buf[32];
  size_t got;
  assert_ok(mb_vfs_read(f, buf, sizeof buf, &got));
  assert_int_equal(got, 10);
  assert_memory_equal(buf, "top secret", 10);
  mb_vfs_filestat st;
  assert_ok(mb_vfs_stat(f, &st));
  assert_int_equal(st.nlink, 1);
  mb_vfs_close(f);
  h->mounted = was;
}

/* Make fs: kind's mount at "/m" holding vt_tree (+ "abs" -> "/etc/passwd" where the
 * kind can hold it). Starts the counting allocator's leak check over the whole vfs. */
static inline void vt_fs_init(vt_fs *fs, vt_kind kind) {
  memset(fs, 0, sizeof *fs);
  fs->kind = kind;
  fs->clock = 1000;
  fs->vfs = mb_vfs_new();
  assert_non_null(fs->vfs);
  mb_vfs_set_clock(fs->vfs, vt_clock, &fs->clock);
  switch (kind) {
  case VT_MEM:
    assert_ok(mb_vfs_mount_mem(fs->vfs, "/m", 2, NULL, MB_VFS_NO_LIMIT, &fs->mount));
    assert_ok(mb_vfs_open_root(fs->vfs, fs->mount, &fs->root));
    vt_populate(fs->root, vt_tree, VT_TREE_N);
    break;
  case VT_EMBED:
  case VT_OVERLAY: {
    vt_spec spec[VT_TREE_N + 1];
    memcpy(spec, vt_tree, sizeof vt_tree);
    spec[VT_TREE_N] = (vt_spec){"abs", 'l', "/etc/passwd", 0};
    fs->image = vt_image(spec, VT_TREE_N + 1, &fs->image_len);
    mb_wv_diag d;
    if (mb_vfs_image_open(&fs->img, fs->image, fs->image_len, &d)) fail_msg("%s", d.message);
    if (kind == VT_EMBED)
      assert_ok(mb_vfs_mount_embed(fs->vfs, "/m", 2, &fs->img, &fs->mount));
    else
      assert_ok(mb_vfs_mount_mem(fs->vfs, "/m", 2, &fs->img, MB_VFS_NO_LIMIT, &fs->mount));
    assert_ok(mb_vfs_open_root(fs->vfs, fs->mount, &fs->root));
    break;
  }
  case VT_HOST:
  case VT_HOST_RO: {
    vt_host_init(&fs->host);
    mb_vfs_file *mnt;
    assert_ok(mb_vfs_open(fs->host.fd[VT_HOST_ROOT], 0, "mnt", 3, MB_WASI_O_DIRECTORY,
                          MB_VFS_ACCESS_READ, 0, &mnt));
    vt_populate(mnt, vt_tree, VT_TREE_N);
    assert_ok(mb_vfs_symlink("ABSOLUTE", 8, mnt, "abs", 3));
    mb_vfs_close(mnt);
    assert_ok(mb_vfs_mount_host(fs->vfs, "/m", 2, &vt_host_ops, &fs->host, VT_HOST_ROOT, "mnt",
                                3, kind == VT_HOST_RO, &fs->mount));
    fs->host.mounted = true;
    assert_ok(mb_vfs_open_root(fs->vfs, fs->mount, &fs->root));
    break;
  }
  default:
    fail();
  }
}

static inline void vt_fs_fini(vt_fs *fs) {
  mb_vfs_close(fs->root);
  mb_vfs_free(fs->vfs);
  if (fs->kind == VT_HOST || fs->kind == VT_HOST_RO) {
    vt_host_secret_intact(&fs->host);
    assert_int_equal(fs->host.open_fds, 0); /* every host fd the vfs opened was closed */
    fs->host.mounted = false;
    vt_host_fini(&fs->host);
  }
  free(fs->image);
}

static inline bool vt_writable(vt_kind k) { return k == VT_MEM || k == VT_OVERLAY || k == VT_HOST; }
/* Kinds whose tree has "abs" -> "/etc/passwd" (no API can make one on a mem mount). */
static inline bool vt_has_abs(vt_kind k) { return k != VT_MEM; }

/* Run body once on every kind of mount, each on a fresh fixture. */
static inline void vt_each_kind(void (*body)(vt_fs *fs)) {
  for (int k = 0; k < VT_KINDS; k++) {
    vt_fs fs;
    vt_where = vt_kind_names[k];
    vt_fs_init(&fs, (vt_kind)k);
    body(&fs);
    vt_fs_fini(&fs);
  }
  vt_where = "";
}
#define VT_EACH_KIND(name)                                                                \
  static void test_##name(void **state) {                                                 \
    (void)state;                                                                          \
    vt_each_kind(case_##name);                                                            \
  }

/* Shorthands on the fixture's root. */
#define P(s) (s), strlen(s)

static inline mb_wasi_errno vt_open(vt_fs *fs, uint32_t lookup, const char *path, uint16_t oflags,
                                    uint32_t access, mb_vfs_file **f) {
  return mb_vfs_open(fs->root, lookup, path, strlen(path), oflags, access, 0, f);
}

/* Open, and close at once: only the errno matters. */
static inline mb_wasi_errno vt_try_open(vt_fs *fs, uint32_t lookup, const char *path,
                                        uint16_t oflags, uint32_t access) {
  mb_vfs_file *f = NULL;
  mb_wasi_errno e = vt_open(fs, lookup, path, oflags, access, &f);
  mb_vfs_close(f);
  return e;
}

/* Read a whole file by path into buf (NUL-terminated); returns its length. */
static inline size_t vt_cat(vt_fs *fs, const char *path, char *buf, size_t cap) {
  mb_vfs_file *f;
  assert_ok(vt_open(fs, MB_WASI_LOOKUP_SYMLINK_FOLLOW, path, 0, MB_VFS_ACCESS_READ, &f));
  size_t n = 0, got;
  do {
    assert_ok(mb_vfs_read(f, buf + n, cap - 1 - n, &got));
    n += got;
  } while (got && n < cap - 1);
  buf[n] = '\0';
  mb_vfs_close(f);
  return n;
}

#endif
