/* test_wasi_virt_mem.c — mem mounts: the byte limit (exact charges, short writes then
 * ENOSPC, nothing charged twice or forgotten), copy-on-write over an image (image bytes
 * never change, charges only for what was copied), and an allocation-failure sweep: a
 * scenario run once per allocation with that allocation failing must report ENOMEM, or
 * succeed, and leave a tree that is consistent, fully charged and leak-free. */
#include <stdio.h>

#include "wasi_virt_test_util.h"

#define RD MB_VFS_ACCESS_READ
#define WR MB_VFS_ACCESS_WRITE
#define CREAT MB_WASI_O_CREAT
#define COST MB_VFS_NODE_COST

static uint64_t usage(mb_vfs *vfs, uint32_t id) {
  uint64_t used, limit;
  assert_ok(mb_vfs_mount_usage(vfs, id, &used, &limit));
  return used;
}

typedef struct mem_fs {
  mb_vfs *vfs;
  mb_vfs_file *root;
  uint32_t id;
} mem_fs;

static void mem_init(mem_fs *m, const mb_vfs_image *lower, uint64_t limit) {
  m->vfs = mb_vfs_new();
  assert_non_null(m->vfs);
  assert_ok(mb_vfs_mount_mem(m->vfs, P("/m"), lower, limit, &m->id));
  assert_ok(mb_vfs_open_root(m->vfs, m->id, &m->root));
}
static void mem_fini(mem_fs *m) {
  mb_vfs_close(m->root);
  mb_vfs_free(m->vfs);
}

static void test_limit_charges(void **state) {
  (void)state;
  mem_fs m;
  mem_init(&m, NULL, 1000);
  uint64_t used, limit;
  assert_ok(mb_vfs_mount_usage(m.vfs, m.id, &used, &limit));
  assert_int_equal(used, 0);
  assert_int_equal(limit, 1000);
  mb_vfs_file *f;
  assert_ok(mb_vfs_open(m.root, 0, P("f"), CREAT, RD | WR, 0, &f));
  assert_int_equal(usage(m.vfs, m.id), COST + 1);
  /* a write that does not fit writes what does, then ENOSPC */
  static char big[2000];
  memset(big, 'b', sizeof big);
  size_t put;
  assert_ok(mb_vfs_write(f, big, sizeof big, &put));
  assert_int_equal(put, 1000 - COST - 1);
  assert_int_equal(usage(m.vfs, m.id), 1000);
  assert_errno(mb_vfs_write(f, big, 1, &put), MB_WASI_ENOSPC);
  assert_int_equal(put, 0);
  assert_errno(mb_vfs_set_size(f, 1000), MB_WASI_ENOSPC);
  assert_errno(mb_vfs_mkdir(m.root, P("d")), MB_WASI_ENOSPC);
  assert_errno(mb_vfs_symlink(P("f"), m.root, P("l")), MB_WASI_ENOSPC);
  mb_vfs_file *g = NULL;
  assert_errno(mb_vfs_open(m.root, 0, P("g"), CREAT, WR, 0, &g), MB_WASI_ENOSPC);
  assert_null(g);
  mb_vfs_filestat st;
  assert_errno(mb_vfs_path_stat(m.root, 0, P("d"), &st), MB_WASI_ENOENT); /* nothing half made */
  /* overwriting in place costs nothing; shrinking gives bytes back */
  assert_ok(mb_vfs_pwrite(f, "xyz", 3, 0, &put));
  assert_int_equal(put, 3);
  assert_ok(mb_vfs_set_size(f, 100));
  assert_int_equal(usage(m.vfs, m.id), COST + 1 + 100);
  /* a write past the end charges the gap too */
  assert_ok(mb_vfs_pwrite(f, "!", 1, 199, &put));
  assert_int_equal(usage(m.vfs, m.id), COST + 1 + 200);
  /* names, texts, nodes */
  assert_ok(mb_vfs_mkdir(m.root, P("dir")));
  assert_int_equal(usage(m.vfs, m.id), 2 * COST + 1 + 200 + 3);
  assert_ok(mb_vfs_symlink(P("target"), m.root, P("dir/l")));
  assert_int_equal(usage(m.vfs, m.id), 3 * COST + 1 + 200 + 3 + 1 + 6);
  assert_ok(mb_vfs_rename(m.root, P("dir"), m.root, P("dir2")));
  assert_int_equal(usage(m.vfs, m.id), 3 * COST + 1 + 200 + 4 + 1 + 6);
  assert_ok(mb_vfs_link(m.root, 0, P("f"), m.root, P("dir2/hard")));
  assert_int_equal(usage(m.vfs, m.id), 3 * COST + 1 + 200 + 4 + 1 + 6 + 4);
  /* an unlinked file keeps its bytes until closed */
  assert_ok(mb_vfs_unlink(m.root, P("f")));
  assert_ok(mb_vfs_unlink(m.root, P("dir2/hard")));
  assert_int_equal(usage(m.vfs, m.id), 3 * COST + 200 + 4 + 1 + 6);
  mb_vfs_close(f);
  assert_int_equal(usage(m.vfs, m.id), 2 * COST + 4 + 1 + 6);
  assert_ok(mb_vfs_unlink(m.root, P("dir2/l")));
  assert_ok(mb_vfs_rmdir(m.root, P("dir2")));
  assert_int_equal(usage(m.vfs, m.id), 0);
  /* filling with empty files stops at the limit */
  int made = 0;
  for (;; made++) {
    char name[16];
    snprintf(name, sizeof name, "e%03d", made);
    mb_wasi_errno e = mb_vfs_open(m.root, 0, P(name), CREAT, WR, 0, &f);
    if (e) {
      assert_errno(e, MB_WASI_ENOSPC);
      break;
    }
    mb_vfs_close(f);
  }
  assert_int_equal(made, 1000 / (COST + 4));
  mem_fini(&m);
}

static void test_limit_zero_and_none(void **state) {
  (void)state;
  mem_fs m;
  mem_init(&m, NULL, 0);
  assert_errno(mb_vfs_mkdir(m.root, P("d")), MB_WASI_ENOSPC);
  mem_fini(&m);
  mem_init(&m, NULL, MB_VFS_NO_LIMIT);
  mb_vfs_file *f;
  assert_ok(mb_vfs_open(m.root, 0, P("f"), CREAT, WR, 0, &f));
  size_t put;
  assert_ok(mb_vfs_pwrite(f, "x", 1, 1 << 20, &put));
  assert_int_equal(put, 1);
  assert_int_equal(usage(m.vfs, m.id), COST + 1 + (1 << 20) + 1);
  mb_vfs_close(f);
  uint64_t used, limit;
  assert_ok(mb_vfs_mount_usage(m.vfs, m.id, &used, &limit));
  assert_int_equal(limit, MB_VFS_NO_LIMIT);
  assert_errno(mb_vfs_mount_usage(m.vfs, 9, &used, &limit), MB_WASI_EINVAL);
  mem_fini(&m);
}

/* ---- copy-on-write over an image ---- */

static const vt_spec cow_tree[] = {
    {"file", 'f', "0123456789", 7},
    {"d", 'd', NULL, 8},
    {"d/inner", 'f', "inner", 9},
    {"d/link", 'l', "../file", 10},
};

static void test_copy_on_write(void **state) {
  (void)state;
  size_t len;
  uint8_t *image = vt_image(cow_tree, 4, &len);
  uint8_t *pristine = malloc(len);
  memcpy(pristine, image, len);
  mb_vfs_image img;
  assert_int_equal(mb_vfs_image_open(&img, image, len, NULL), MB_WV_OK);
  mem_fs m, m2;
  mem_init(&m, &img, MB_VFS_NO_LIMIT);
  mem_init(&m2, &img, MB_VFS_NO_LIMIT);
  uint32_t embed;
  assert_ok(mb_vfs_mount_embed(m2.vfs, P("/e"), &img, &embed));
  uint64_t used, limit;
  assert_ok(mb_vfs_mount_usage(m2.vfs, embed, &used, &limit)); /* not a mem mount */
  assert_int_equal(used + limit, 0);
  /* reading costs nothing; times come from the image */
  mb_vfs_filestat st;
  assert_ok(mb_vfs_path_stat(m.root, 0, P("d/inner"), &st));
  assert_int_equal(st.mtim, 9);
  assert_int_equal(st.size, 5);
  assert_int_equal(usage(m.vfs, m.id), 0);
  /* the first change copies the file (and charges it) */
  mb_vfs_file *f;
  size_t put;
  assert_ok(mb_vfs_open(m.root, 0, P("file"), 0, RD | WR, 0, &f));
  assert_ok(mb_vfs_pwrite(f, "AB", 2, 4, &put));
  assert_int_equal(usage(m.vfs, m.id), 10);
  char buf[32];
  size_t got;
  assert_ok(mb_vfs_pread(f, buf, sizeof buf, 0, &got));
  assert_int_equal(got, 10);
  assert_memory_equal(buf, "0123AB6789", 10);
  assert_ok(mb_vfs_stat(f, &st));
  assert_int_not_equal(st.mtim, 7);
  mb_vfs_close(f);
  /* truncating an untouched image file to 0 copies nothing */
  assert_ok(mb_vfs_open(m.root, 0, P("d/inner"), MB_WASI_O_TRUNC, RD, 0, &f));
  mb_vfs_close(f);
  assert_int_equal(usage(m.vfs, m.id), 10);
  /* structure changes: renamed image entries get owned names; removal frees nothing */
  assert_ok(mb_vfs_rename(m.root, P("d/link"), m.root, P("lnk")));
  assert_int_equal(usage(m.vfs, m.id), 13);
  assert_ok(mb_vfs_unlink(m.root, P("lnk")));
  assert_int_equal(usage(m.vfs, m.id), 10);
  assert_errno(mb_vfs_rmdir(m.root, P("d")), MB_WASI_ENOTEMPTY);
  assert_ok(mb_vfs_unlink(m.root, P("d/inner")));
  assert_ok(mb_vfs_rmdir(m.root, P("d")));
  assert_int_equal(usage(m.vfs, m.id), 10);
  /* the image and the other mounts of it saw none of that */
  assert_memory_equal(image, pristine, len);
  mb_vfs_file *r2e;
  assert_ok(mb_vfs_open_root(m2.vfs, embed, &r2e));
  static const char *const roots[2] = {"m2", "embed"};
  mb_vfs_file *rs[2] = {m2.root, r2e};
  for (int i = 0; i < 2; i++) {
    vt_where = roots[i];
    assert_ok(mb_vfs_open(rs[i], MB_WASI_LOOKUP_SYMLINK_FOLLOW, P("d/link"), 0, RD, 0, &f));
    assert_ok(mb_vfs_read(f, buf, sizeof buf, &got));
    assert_int_equal(got, 10);
    assert_memory_equal(buf, "0123456789", 10);
    mb_vfs_close(f);
  }
  vt_where = "";
  mb_vfs_close(r2e);
  mem_fini(&m);
  mem_fini(&m2);
  free(pristine);
  free(image);
}

/* A limit smaller than an image file: it cannot be copied, so it cannot change. */
static void test_copy_on_write_limit(void **state) {
  (void)state;
  size_t len;
  uint8_t *image = vt_image(cow_tree, 4, &len);
  mb_vfs_image img;
  assert_int_equal(mb_vfs_image_open(&img, image, len, NULL), MB_WV_OK);
  mem_fs m;
  mem_init(&m, &img, 8);
  mb_vfs_file *f;
  size_t put;
  assert_ok(mb_vfs_open(m.root, 0, P("file"), 0, WR, 0, &f));
  assert_errno(mb_vfs_pwrite(f, "A", 1, 0, &put), MB_WASI_ENOSPC);
  assert_errno(mb_vfs_set_size(f, 9), MB_WASI_ENOSPC);
  assert_ok(mb_vfs_set_size(f, 5)); /* keeps 5 bytes: fits */
  assert_int_equal(usage(m.vfs, m.id), 5);
  assert_ok(mb_vfs_write(f, "0123456789", 10, &put));
  assert_int_equal(put, 8); /* up to the limit */
  mb_vfs_close(f);
  mem_fini(&m);
  free(image);
}

/* ---- allocation failures ---- */

typedef struct sweep {
  mb_vfs_file *open[8];
  int nopen;
} sweep;

#define STEP(expr, want)                                 \
  do {                                                   \
    mb_wasi_errno e_ = (expr);                           \
    if (e_ == MB_WASI_ENOMEM) goto stopped;              \
    assert_errno(e_, (want));                            \
  } while (0)

/* Returns true when it ran to the end. */
static bool scenario(vt_fs *fs, sweep *s) {
  mb_vfs_file *root = fs->root, *f;
  size_t n;
  char buf[64];
  uint8_t dirbuf[512];
  STEP(mb_vfs_mkdir(root, P("s")), MB_WASI_ESUCCESS);
  STEP(mb_vfs_mkdir(root, P("s/t")), MB_WASI_ESUCCESS);
  for (int i = 0; i < 20; i++) { /* enough to grow and rehash a directory */
    char name[16];
    snprintf(name, sizeof name, "s/f%02d", i);
    STEP(mb_vfs_open(root, 0, P(name), MB_WASI_O_CREAT, WR, 0, &f), MB_WASI_ESUCCESS);
    s->open[s->nopen++] = f;
    STEP(mb_vfs_write(f, "some bytes", 10, &n), MB_WASI_ESUCCESS);
    mb_vfs_close(s->open[--s->nopen]);
  }
  STEP(mb_vfs_open(root, 0, P("file"), 0, RD | WR, 0, &f), MB_WASI_ESUCCESS);
  s->open[s->nopen++] = f;
  STEP(mb_vfs_pwrite(f, "changed", 7, 2, &n), MB_WASI_ESUCCESS);
  STEP(mb_vfs_set_size(f, 300), MB_WASI_ESUCCESS);
  STEP(mb_vfs_symlink(P("../../file"), root, P("s/t/l")), MB_WASI_ESUCCESS);
  STEP(mb_vfs_rename(root, P("s/f03"), root, P("s/t/moved")), MB_WASI_ESUCCESS);
  STEP(mb_vfs_rename(root, P("a/b"), root, P("s/b")), MB_WASI_ESUCCESS);
  STEP(mb_vfs_link(root, 0, P("s/f04"), root, P("a/hard")), MB_WASI_ESUCCESS);
  STEP(mb_vfs_unlink(root, P("s/f05")), MB_WASI_ESUCCESS);
  STEP(mb_vfs_readdir(root, dirbuf, sizeof dirbuf, 0, &n), MB_WASI_ESUCCESS);
  STEP(mb_vfs_open(root, MB_WASI_LOOKUP_SYMLINK_FOLLOW, P("s/t/l"), 0, RD, 0, &f),
       MB_WASI_ESUCCESS);
  s->open[s->nopen++] = f;
  STEP(mb_vfs_read(f, buf, sizeof buf, &n), MB_WASI_ESUCCESS);
  STEP(mb_vfs_open(root, 0, P("s"), MB_WASI_O_DIRECTORY, RD, 0, &f), MB_WASI_ESUCCESS);
  s->open[s->nopen++] = f;
  STEP(mb_vfs_readdir(f, dirbuf, sizeof dirbuf, 0, &n), MB_WASI_ESUCCESS);
  STEP(mb_vfs_mkdir(f, P("t/u")), MB_WASI_ESUCCESS);
  STEP(mb_vfs_rmdir(f, P("t/u")), MB_WASI_ESUCCESS);
  mb_vfs_filestat st;
  STEP(mb_vfs_path_stat(root, MB_WASI_LOOKUP_SYMLINK_FOLLOW, P("link_via_dir"), &st),
       MB_WASI_ENOENT); /* a/b moved away */
  return true;
stopped:
  return false;
}

/* Walk the whole tree; for a plain mem mount, add up what it must be charged. */
static uint64_t walk(mb_vfs_file *dir, int depth) {
  uint64_t charge = 0, cookie = 0;
  assert_true(depth < 32);
  for (;;) {
    mb_vfs_dirent ent;
    bool end;
    assert_ok(mb_vfs_dir_next(dir, cookie, &ent, &end));
    if (end) break;
    cookie = ent.next;
    char name[MB_VFS_NAME_MAX + 1];
    memcpy(name, ent.name, ent.name_len);
    name[ent.name_len] = '\0';
    if (!strcmp(name, ".") || !strcmp(name, "..")) continue;
    mb_vfs_filestat st;
    assert_ok(mb_vfs_path_stat(dir, 0, P(name), &st));
    assert_int_equal(st.ino, ent.ino);
    charge += COST + strlen(name);
    if (st.filetype == MB_WASI_FILETYPE_DIRECTORY) {
      mb_vfs_file *sub;
      assert_ok(mb_vfs_open(dir, 0, P(name), MB_WASI_O_DIRECTORY, RD, 0, &sub));
      charge += walk(sub, depth + 1);
      mb_vfs_close(sub);
    } else {
      charge += st.size;
    }
  }
  return charge;
}

static void sweep_kind(vt_kind kind) {
  long total = 0, stopped = 0;
  for (long k = 0;; k++) {
    vt_fs fs;
    sweep s = {{0}, 0};
    vt_alloc_install(0);
    vt_fs_init(&fs, kind);
    long base = g_vt_alloc.calls;
    g_vt_alloc.fail_at = k ? base + k : 0;
    bool done = scenario(&fs, &s);
    long used = g_vt_alloc.calls - base;
    bool failed = g_vt_alloc.failed;
    g_vt_alloc.fail_at = 0;
    while (s.nopen) mb_vfs_close(s.open[--s.nopen]);
    /* consistent whatever happened: every entry stats, and a plain mem mount is
     * charged exactly for what it holds (no hard links survive in it: f04's second
     * name only exists while a/hard does, so count by walking is exact there) */
    uint64_t walked = walk(fs.root, 0);
    if (kind == VT_MEM) {
      mb_vfs_filestat st;
      bool hard = mb_vfs_path_stat(fs.root, 0, P("a/hard"), &st) == MB_WASI_ESUCCESS;
      uint64_t f04 = hard ? COST + 10 : 0; /* its node and bytes, counted twice by the walk */
      assert_int_equal(walked - f04, usage(fs.vfs, fs.mount));
    }
    vt_fs_fini(&fs);
    mb_vfs_set_allocator(NULL, NULL);
    if (g_vt_alloc.live) fail_msg("[%s] allocation %ld failed: %ld blocks leaked",
                                  vt_kind_names[kind], k, g_vt_alloc.live);
    if (k == 0) {
      assert_true(done);
      total = used;
      continue;
    }
    if (!done) {
      assert_true(failed);
      stopped++;
    }
    if (k >= total) break;
  }
  print_message("[%s] %ld allocations, %ld runs stopped by ENOMEM\n", vt_kind_names[kind], total,
                stopped);
  assert_true(stopped > 0);
  vt_alloc_install(0);
}

static void test_allocation_failures_mem(void **state) {
  (void)state;
  sweep_kind(VT_MEM);
}
static void test_allocation_failures_overlay(void **state) {
  (void)state;
  sweep_kind(VT_OVERLAY);
}
static void test_allocation_failures_host(void **state) {
  (void)state;
  sweep_kind(VT_HOST);
}

/* ---- names and nodes: hard links, renames, descriptors that outlive names ---- */

static mb_vfs_filestat lstat_of(mb_vfs_file *dir, const char *path) {
  mb_vfs_filestat st;
  assert_ok(mb_vfs_path_stat(dir, 0, P(path), &st));
  return st;
}

static size_t pread_all(mb_vfs_file *f, char *buf, size_t cap) {
  size_t got;
  assert_ok(mb_vfs_pread(f, buf, cap - 1, 0, &got));
  buf[got] = '\0';
  return got;
}

/* Run on a plain mem mount and on a mem mount over an image (the image's "file",
 * copied on its first write): one node behind every name, counted by nlink, alive
 * while a name or a descriptor holds it, and the mount's charge back to where it
 * started once everything made here is gone. */
static void case_mem_names_and_nodes(vt_fs *fs) {
  mb_vfs_file *root = fs->root, *f, *g, *d;
  uint64_t used0, limit;
  assert_ok(mb_vfs_mount_usage(fs->vfs, fs->mount, &used0, &limit));
  char buf[32];
  size_t put;
  /* three names, one node */
  assert_ok(mb_vfs_link(root, 0, P("file"), root, P("h1")));
  assert_ok(mb_vfs_link(root, 0, P("h1"), root, P("a/h2")));
  mb_vfs_filestat s0 = lstat_of(root, "file");
  assert_int_equal(s0.nlink, 3);
  assert_int_equal(lstat_of(root, "h1").ino, s0.ino);
  assert_int_equal(lstat_of(root, "a/h2").ino, s0.ino);
  assert_ok(vt_open(fs, 0, "a/h2", 0, RD | WR, &f));
  assert_ok(mb_vfs_pwrite(f, "AB", 2, 0, &put));
  assert_int_equal(vt_cat(fs, "file", buf, sizeof buf), 10);
  assert_memory_equal(buf, "AB23456789", 10);
  /* rename onto another name of the same node: nothing changes, both names stay */
  assert_ok(mb_vfs_rename(root, P("h1"), root, P("file")));
  assert_int_equal(lstat_of(root, "h1").nlink, 3);
  assert_int_equal(lstat_of(root, "file").nlink, 3);
  /* names go one by one; the last descriptor keeps the node */
  assert_ok(mb_vfs_unlink(root, P("file")));
  assert_int_equal(lstat_of(root, "h1").nlink, 2);
  assert_ok(mb_vfs_unlink(root, P("h1")));
  assert_ok(mb_vfs_unlink(root, P("a/h2")));
  mb_vfs_filestat st;
  assert_ok(mb_vfs_stat(f, &st));
  assert_int_equal(st.nlink, 0);
  assert_int_equal(st.ino, s0.ino);
  /* the name again: a new node; the old descriptor still reads the old one */
  vt_put_file(root, "file", "new");
  assert_true(lstat_of(root, "file").ino != s0.ino);
  assert_int_equal(pread_all(f, buf, sizeof buf), 10);
  assert_memory_equal(buf, "AB23456789", 10);
  assert_ok(mb_vfs_pwrite(f, "C", 1, 10, &put));
  assert_int_equal(vt_cat(fs, "file", buf, sizeof buf), 3);
  mb_vfs_close(f);
  /* a directory removed while open, then made again under the same name */
  assert_ok(mb_vfs_mkdir(root, P("r")));
  assert_ok(vt_open(fs, 0, "r", MB_WASI_O_DIRECTORY, RD, &d));
  mb_vfs_filestat r0 = lstat_of(root, "r");
  assert_ok(mb_vfs_rmdir(root, P("r/")));
  assert_ok(mb_vfs_mkdir(root, P("r")));
  assert_true(lstat_of(root, "r").ino != r0.ino);
  uint8_t rb[256];
  size_t used;
  assert_errno(mb_vfs_readdir(d, rb, sizeof rb, 0, &used), MB_WASI_ENOENT);
  assert_errno(mb_vfs_open(d, 0, P("x"), CREAT, WR, 0, &g), MB_WASI_ENOENT);
  assert_errno(mb_vfs_mkdir(d, P("x")), MB_WASI_ENOENT);
  assert_errno(mb_vfs_rename(root, P("a/b/file"), d, P("x")), MB_WASI_ENOENT);
  assert_errno(mb_vfs_link(root, 0, P("a/b/file"), d, P("x")), MB_WASI_ENOENT);
  assert_ok(mb_vfs_stat(d, &st));
  assert_int_equal(st.nlink, 0);
  assert_ok(vt_open(fs, 0, "r", MB_WASI_O_DIRECTORY, RD, &g));
  assert_ok(mb_vfs_readdir(g, rb, sizeof rb, 0, &used));
  assert_int_equal(used, 2 * 24 + 1 + 2); /* "." and ".." */
  mb_vfs_close(g);
  mb_vfs_close(d);
  /* a directory renamed over an empty one that is open: the open one is removed */
  assert_ok(mb_vfs_mkdir(root, P("r/sub")));
  assert_ok(vt_open(fs, 0, "empty", MB_WASI_O_DIRECTORY, RD, &d));
  assert_ok(mb_vfs_rename(root, P("r"), root, P("empty/")));
  assert_errno(mb_vfs_readdir(d, rb, sizeof rb, 0, &used), MB_WASI_ENOENT);
  assert_int_equal(lstat_of(root, "empty/sub").filetype, MB_WASI_FILETYPE_DIRECTORY);
  /* into its own subtree, also through a symlink: EINVAL; onto itself: nothing */
  assert_errno(mb_vfs_rename(root, P("empty"), root, P("empty/sub/x")), MB_WASI_EINVAL);
  assert_ok(mb_vfs_symlink(P("empty/sub"), root, P("to_sub")));
  assert_errno(mb_vfs_rename(root, P("empty"), root, P("to_sub/x")), MB_WASI_EINVAL);
  assert_ok(mb_vfs_rename(root, P("empty"), root, P("empty/")));
  assert_ok(mb_vfs_stat(d, &st));
  assert_int_equal(st.nlink, 0);
  mb_vfs_close(d);
  /* clean up: the charge is back where it started, but for the new "file" and the
   * "empty" that replaced the old one (on the overlay, both replaced uncharged image
   * nodes: each is now a node and its name, "file" 3 bytes more) */
  assert_ok(mb_vfs_unlink(root, P("to_sub")));
  assert_ok(mb_vfs_rmdir(root, P("empty/sub")));
  uint64_t used1;
  assert_ok(mb_vfs_mount_usage(fs->vfs, fs->mount, &used1, &limit));
  if (fs->kind == VT_MEM)
    assert_int_equal(used1, used0 - 10 + 3); /* the old file's 10 bytes went with it */
  else
    assert_int_equal(used1, used0 + COST + 4 + 3 + COST + 5);
}

static void test_mem_names_and_nodes(void **state) {
  (void)state;
  static const vt_kind kinds[] = {VT_MEM, VT_OVERLAY};
  for (size_t i = 0; i < 2; i++) {
    vt_fs fs;
    vt_where = vt_kind_names[kinds[i]];
    vt_fs_init(&fs, kinds[i]);
    case_mem_names_and_nodes(&fs);
    vt_fs_fini(&fs);
  }
  vt_where = "";
}

/* Setup itself, failing each allocation in turn: mb_vfs_new, mounts, roots. */
static void test_allocation_failures_setup(void **state) {
  (void)state;
  size_t len;
  uint8_t *image = vt_image(cow_tree, 4, &len);
  mb_vfs_image img;
  assert_int_equal(mb_vfs_image_open(&img, image, len, NULL), MB_WV_OK);
  for (long k = 1; k < 64; k++) {
    vt_alloc_install(k);
    mb_vfs *vfs = mb_vfs_new();
    mb_vfs_file *r = NULL;
    if (vfs) {
      mb_wasi_errno e = mb_vfs_mount_mem(vfs, P("/a"), &img, 100, NULL);
      if (!e) e = mb_vfs_mount_embed(vfs, P("/b"), &img, NULL);
      if (!e) e = mb_vfs_open_root(vfs, 1, &r);
      if (!e) {
        mb_vfs_filestat st;
        e = mb_vfs_path_stat(r, 0, P("d/inner"), &st);
      }
      assert_true(e == MB_WASI_ESUCCESS || e == MB_WASI_ENOMEM);
      mb_vfs_close(r);
      mb_vfs_free(vfs);
    }
    mb_vfs_set_allocator(NULL, NULL);
    assert_int_equal(g_vt_alloc.live, 0);
  }
  vt_alloc_install(0);
  free(image);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      VT_TEST(test_limit_charges),
      VT_TEST(test_limit_zero_and_none),
      VT_TEST(test_copy_on_write),
      VT_TEST(test_copy_on_write_limit),
      VT_TEST(test_mem_names_and_nodes),
      VT_TEST(test_allocation_failures_mem),
      VT_TEST(test_allocation_failures_overlay),
      VT_TEST(test_allocation_failures_host),
      VT_TEST(test_allocation_failures_setup),
  };
  return cmocka_run_group_tests_name("wasi_virt_mem", tests, NULL, NULL);
}
