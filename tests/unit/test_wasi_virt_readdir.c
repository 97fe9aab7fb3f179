/* test_wasi_virt_readdir.c — fd_readdir: "." and ".." first with the right inodes,
 * d_ino equal to stat's, cookies that resume exactly after a record (wasi-testsuite
 * fd_readdir), partial records filling the buffer to the byte, 100 entries through a
 * 256-byte buffer, cookies that stay valid while the directory changes, and host
 * listings with or without the host's own "." and "..". */
#include <stdio.h>

#include "wasi_virt_test_util.h"

#define RD MB_VFS_ACCESS_READ

typedef struct rec {
  uint64_t next, ino;
  uint8_t type;
  char name[MB_VFS_NAME_MAX + 1];
} rec;

static uint64_t le(const uint8_t *p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

/* Parse complete records of buf[0..used); returns how many. */
static size_t parse(const uint8_t *buf, size_t used, rec *out, size_t max) {
  size_t off = 0, n = 0;
  while (used - off >= 24 && n < max) {
    uint32_t nl = (uint32_t)le(buf + off + 16, 4);
    if (nl > used - off - 24) break;
    out[n].next = le(buf + off, 8);
    out[n].ino = le(buf + off + 8, 8);
    out[n].type = buf[off + 20];
    assert_int_equal(buf[off + 21] | buf[off + 22] | buf[off + 23], 0);
    memcpy(out[n].name, buf + off + 24, nl);
    out[n].name[nl] = '\0';
    off += 24 + nl;
    n++;
  }
  return n;
}

/* List a directory the way wasi-libc does: buffer of buf_len bytes, resume from the
 * last complete record's d_next, stop at a short return. */
static size_t list(mb_vfs_file *dir, size_t buf_len, rec *out, size_t max) {
  uint8_t *buf = malloc(buf_len);
  assert_non_null(buf);
  uint64_t cookie = 0;
  size_t total = 0;
  for (int guard = 0; guard < 100000; guard++) {
    size_t used;
    assert_ok(mb_vfs_readdir(dir, buf, buf_len, cookie, &used));
    size_t n = parse(buf, used, out + total, max - total);
    total += n;
    if (used < buf_len) break;
    assert_true(n > 0); /* every test buffer holds at least one record */
    cookie = out[total - 1].next;
  }
  free(buf);
  return total;
}

static const rec *find(const rec *r, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (!strcmp(r[i].name, name)) return &r[i];
  return NULL;
}

static mb_vfs_filestat stat_of(mb_vfs_file *dir, const char *path) {
  mb_vfs_filestat st;
  assert_ok(mb_vfs_path_stat(dir, 0, P(path), &st));
  return st;
}

static void case_dot_entries(vt_fs *fs) {
  mb_vfs_file *e, *a;
  assert_ok(vt_open(fs, 0, "empty", MB_WASI_O_DIRECTORY, RD, &e));
  rec r[8];
  assert_int_equal(list(e, 4096, r, 8), 2);
  assert_string_equal(r[0].name, ".");
  assert_string_equal(r[1].name, "..");
  assert_int_equal(r[0].type, MB_WASI_FILETYPE_DIRECTORY);
  assert_int_equal(r[1].type, MB_WASI_FILETYPE_DIRECTORY);
  mb_vfs_filestat st, root;
  assert_ok(mb_vfs_stat(e, &st));
  assert_ok(mb_vfs_stat(fs->root, &root));
  assert_int_equal(r[0].ino, st.ino);
  assert_int_equal(r[1].ino, root.ino); /* host mounts too: the ino of where it was opened */
  /* the whole record bytes: d_next 1, namlen 1, "." */
  uint8_t buf[64];
  size_t used;
  assert_ok(mb_vfs_readdir(e, buf, sizeof buf, 0, &used));
  assert_int_equal(used, 24 + 1 + 24 + 2);
  assert_int_equal(le(buf, 8), 1);
  assert_int_equal(le(buf + 16, 4), 1);
  assert_int_equal(buf[24], '.');
  mb_vfs_close(e);
  /* every entry's d_ino is stat's (nofollow) ino, and its type */
  assert_ok(vt_open(fs, 0, "a", MB_WASI_O_DIRECTORY, RD, &a));
  size_t n = list(a, 4096, r, 8);
  assert_int_equal(n, 4); /* . .. b up */
  assert_int_equal(find(r, n, "b")->ino, stat_of(a, "b").ino);
  assert_int_equal(find(r, n, "b")->type, MB_WASI_FILETYPE_DIRECTORY);
  assert_int_equal(find(r, n, "up")->ino, stat_of(a, "up").ino);
  assert_int_equal(find(r, n, "up")->type, MB_WASI_FILETYPE_SYMBOLIC_LINK);
  assert_int_equal(find(r, n, "..")->ino, root.ino);
  mb_vfs_close(a);
  /* a level deeper, and the mount root, whose ".." is itself (nothing above it shows) */
  mb_vfs_file *b;
  assert_ok(vt_open(fs, 0, "a/b", MB_WASI_O_DIRECTORY, RD, &b));
  n = list(b, 4096, r, 8);
  assert_int_equal(find(r, n, "..")->ino, stat_of(fs->root, "a").ino);
  mb_vfs_close(b);
  /* a directory reached as "." or "..", or through a symlink, knows its parent too */
  static const char *const same_a[] = {"a/.", "a/b/..", "link_dir", "a/b/up2/a"};
  for (size_t i = 0; i < 4; i++) {
    assert_ok(vt_open(fs, MB_WASI_LOOKUP_SYMLINK_FOLLOW, same_a[i], MB_WASI_O_DIRECTORY, RD, &b));
    n = list(b, 4096, r, 8);
    assert_int_equal(find(r, n, ".")->ino, stat_of(fs->root, "a").ino);
    assert_int_equal(find(r, n, "..")->ino, root.ino);
    mb_vfs_close(b);
  }
  rec all[32];
  n = list(fs->root, 4096, all, 32);
  assert_int_equal(find(all, n, "..")->ino, root.ino);
}
VT_EACH_KIND(dot_entries)

static void case_cookies_resume_after_a_record(vt_fs *fs) {
  rec all[64], rest[64];
  size_t n = list(fs->root, 4096, all, 64);
  assert_int_equal(n, 2 + VT_TREE_N - 5 + (vt_has_abs(fs->kind) ? 1 : 0)); /* top level */
  assert_string_equal(all[0].name, ".");
  assert_string_equal(all[1].name, "..");
  for (size_t i = 2; i < n; i++) {
    mb_vfs_filestat st = stat_of(fs->root, all[i].name);
    assert_int_equal(all[i].ino, st.ino);
    assert_int_equal(all[i].type, st.filetype);
  }
  /* wasi-testsuite: d_next of the 2nd record gives exactly the records after it */
  for (size_t k = 0; k < n; k++) {
    uint8_t buf[4096];
    size_t used;
    assert_ok(mb_vfs_readdir(fs->root, buf, sizeof buf, all[k].next, &used));
    size_t m = parse(buf, used, rest, 64);
    assert_int_equal(m, n - k - 1);
    for (size_t i = 0; i < m; i++) assert_string_equal(rest[i].name, all[k + 1 + i].name);
  }
  /* the one-at-a-time form agrees */
  uint64_t c = 0;
  for (size_t i = 0;; i++) {
    mb_vfs_dirent ent;
    bool end;
    assert_ok(mb_vfs_dir_next(fs->root, c, &ent, &end));
    if (end) {
      assert_int_equal(i, n);
      break;
    }
    assert_int_equal(ent.name_len, strlen(all[i].name));
    assert_memory_equal(ent.name, all[i].name, ent.name_len);
    assert_int_equal(ent.ino, all[i].ino);
    c = ent.next;
  }
  /* past the end: nothing */
  uint8_t buf[64];
  size_t used;
  assert_ok(mb_vfs_readdir(fs->root, buf, sizeof buf, all[n - 1].next, &used));
  assert_int_equal(used, 0);
  assert_ok(mb_vfs_readdir(fs->root, buf, 0, 0, &used));
  assert_int_equal(used, 0);
  /* on a file: ENOTDIR */
  mb_vfs_file *f;
  assert_ok(vt_open(fs, 0, "file", 0, RD, &f));
  assert_errno(mb_vfs_readdir(f, buf, sizeof buf, 0, &used), MB_WASI_ENOTDIR);
  mb_vfs_dirent ent;
  bool end;
  assert_errno(mb_vfs_dir_next(f, 0, &ent, &end), MB_WASI_ENOTDIR);
  mb_vfs_close(f);
}
VT_EACH_KIND(cookies_resume_after_a_record)

/* A record that does not fit is written as far as it fits and the count is buf_len
 * exactly; the caller resumes at the last complete record's cookie. */
static void case_partial_records(vt_fs *fs) {
  rec all[64];
  size_t n = list(fs->root, 4096, all, 64);
  uint8_t full[4096], part[4096];
  size_t used_full, used;
  assert_ok(mb_vfs_readdir(fs->root, full, sizeof full, 0, &used_full));
  for (size_t len = 1; len < used_full; len++) {
    memset(part, 0xEE, sizeof part);
    assert_ok(mb_vfs_readdir(fs->root, part, len, 0, &used));
    assert_int_equal(used, len);
    assert_memory_equal(part, full, len); /* the same bytes, cut */
    assert_int_equal(part[len], 0xEE);    /* and nothing after */
  }
  /* tiny buffers, one record at a time at most: still every entry exactly once */
  for (size_t buf_len = 24 + MB_VFS_NAME_MAX; buf_len <= 24 + MB_VFS_NAME_MAX + 3; buf_len++) {
    rec got[64];
    assert_int_equal(list(fs->root, buf_len, got, 64), n);
  }
  rec got[64];
  assert_int_equal(list(fs->root, 40, got, 64), n);
}
VT_EACH_KIND(partial_records)

/* wasi-testsuite fd_readdir: 100 files through a 256-byte buffer are 102 records. */
static void case_hundred_entries(vt_fs *fs) {
  mb_vfs_file *d;
  if (vt_writable(fs->kind)) {
    assert_ok(mb_vfs_mkdir(fs->root, P("many")));
    for (int i = 0; i < 100; i++) {
      char name[32];
      snprintf(name, sizeof name, "many/file_%03d", i);
      vt_put_file(fs->root, name, "x");
    }
    assert_ok(vt_open(fs, 0, "many", MB_WASI_O_DIRECTORY, RD, &d));
  } else {
    assert_ok(vt_open(fs, 0, ".", MB_WASI_O_DIRECTORY, RD, &d));
  }
  static rec r[256];
  size_t n = list(d, 256, r, 256);
  if (vt_writable(fs->kind)) {
    assert_int_equal(n, 102);
    for (int i = 0; i < 100; i++) {
      char name[32];
      snprintf(name, sizeof name, "file_%03d", i);
      const rec *e = find(r, n, name);
      assert_non_null(e);
      assert_int_equal(e->ino, stat_of(d, name).ino);
    }
  }
  mb_vfs_close(d);
}
VT_EACH_KIND(hundred_entries)

static void test_hundred_entries_in_an_image(void **state) {
  (void)state;
  vt_spec spec[101];
  char names[100][16];
  spec[0] = (vt_spec){"d", 'd', NULL, 0};
  for (int i = 0; i < 100; i++) {
    snprintf(names[i], sizeof names[i], "d/f%03d", 99 - i); /* out of order: the writer sorts */
    spec[i + 1] = (vt_spec){names[i], 'f', "x", 0};
  }
  size_t len;
  uint8_t *image = vt_image(spec, 101, &len);
  mb_vfs_image img;
  assert_int_equal(mb_vfs_image_open(&img, image, len, NULL), MB_WV_OK);
  mb_vfs *vfs = mb_vfs_new();
  mb_vfs_file *root, *d;
  assert_ok(mb_vfs_mount_embed(vfs, P("/e"), &img, NULL));
  assert_ok(mb_vfs_open_root(vfs, 0, &root));
  assert_ok(mb_vfs_open(root, 0, P("d"), 0, RD, 0, &d));
  static rec r[128];
  size_t n = list(d, 256, r, 128);
  assert_int_equal(n, 102);
  for (int i = 0; i < 100; i++) { /* image order is name order */
    char want[8];
    snprintf(want, sizeof want, "f%03d", i);
    assert_string_equal(r[2 + i].name, want);
  }
  mb_vfs_close(d);
  mb_vfs_close(root);
  mb_vfs_free(vfs);
  free(image);
}

/* Cookies stay valid while the directory changes: an entry there for the whole
 * listing comes exactly once, a removed one not at all, new ones at the end. */
static void case_stable_cookies(vt_fs *fs) {
  if (!vt_writable(fs->kind) || fs->kind == VT_HOST) return; /* the host's own cookies */
  assert_ok(mb_vfs_mkdir(fs->root, P("s")));
  for (int i = 0; i < 40; i++) {
    char name[16];
    snprintf(name, sizeof name, "s/e%02d", i);
    vt_put_file(fs->root, name, "");
  }
  mb_vfs_file *d;
  assert_ok(vt_open(fs, 0, "s", MB_WASI_O_DIRECTORY, RD, &d));
  rec seen[256];
  size_t nseen = 0;
  uint64_t cookie = 0;
  mb_vfs_dirent ent;
  bool end;
  for (int step = 0;; step++) {
    assert_ok(mb_vfs_dir_next(d, cookie, &ent, &end));
    if (end) break;
    memcpy(seen[nseen].name, ent.name, ent.name_len);
    seen[nseen].name[ent.name_len] = '\0';
    nseen++;
    cookie = ent.next;
    if (step == 10) {
      /* remove some seen and some unseen, add new ones, rename one of each */
      assert_ok(mb_vfs_unlink(fs->root, P("s/e02")));
      assert_ok(mb_vfs_unlink(fs->root, P("s/e30")));
      assert_ok(mb_vfs_rename(fs->root, P("s/e05"), fs->root, P("s/r05")));
      assert_ok(mb_vfs_rename(fs->root, P("s/e35"), fs->root, P("s/r35")));
      vt_put_file(fs->root, "s/new1", "");
      /* enough churn to compact the entry array more than once */
      for (int k = 0; k < 200; k++) {
        vt_put_file(fs->root, "s/tmp", "");
        assert_ok(mb_vfs_unlink(fs->root, P("s/tmp")));
      }
      vt_put_file(fs->root, "s/new2", "");
    }
    assert_true(nseen < 256);
  }
  for (int i = 0; i < 40; i++) {
    char name[16];
    snprintf(name, sizeof name, "e%02d", i);
    int count = 0;
    for (size_t k = 0; k < nseen; k++) count += !strcmp(seen[k].name, name);
    bool kept = i != 2 && i != 30 && i != 5 && i != 35;
    bool early = i < 9; /* listed before the changes (after "." and "..") */
    assert_int_equal(count, kept || early ? 1 : 0);
  }
  assert_non_null(find(seen, nseen, "new1"));
  assert_non_null(find(seen, nseen, "new2"));
  assert_non_null(find(seen, nseen, "r35")); /* renamed = new, at the end */
  assert_null(find(seen, nseen, "tmp"));
  assert_string_equal(seen[nseen - 1].name, "new2");
  mb_vfs_close(d);
}
VT_EACH_KIND(stable_cookies)

/* A removed directory takes no new entries, and listing it is ENOENT, as Linux's
 * getdents answers for a directory removed while open (not even "." and ".."). */
static void case_removed_directory(vt_fs *fs) {
  if (!vt_writable(fs->kind)) return;
  mb_vfs_file *d, *f = NULL;
  assert_ok(mb_vfs_mkdir(fs->root, P("gone")));
  assert_ok(vt_open(fs, 0, "gone", MB_WASI_O_DIRECTORY, RD, &d));
  assert_ok(mb_vfs_rmdir(fs->root, P("gone")));
  uint8_t buf[256];
  size_t used;
  assert_errno(mb_vfs_readdir(d, buf, sizeof buf, 0, &used), MB_WASI_ENOENT);
  assert_int_equal(used, 0);
  assert_errno(mb_vfs_readdir(d, buf, sizeof buf, 2, &used), MB_WASI_ENOENT);
  mb_vfs_dirent ent;
  bool end;
  assert_errno(mb_vfs_dir_next(d, 0, &ent, &end), MB_WASI_ENOENT);
  assert_errno(mb_vfs_open(d, 0, P("x"), MB_WASI_O_CREAT, MB_VFS_ACCESS_WRITE, 0, &f),
               MB_WASI_ENOENT);
  assert_errno(mb_vfs_mkdir(d, P("x")), MB_WASI_ENOENT);
  assert_errno(mb_vfs_symlink(P("t"), d, P("x")), MB_WASI_ENOENT);
  mb_vfs_filestat st;
  assert_ok(mb_vfs_stat(d, &st));
  assert_int_equal(st.nlink, 0);
  mb_vfs_close(d);
}
VT_EACH_KIND(removed_directory)

/* uvwasi lists no "." and "..": the host mount still lists each exactly once. */
static void test_host_without_dot_entries(void **state) {
  (void)state;
  vt_fs fs;
  vt_fs_init(&fs, VT_HOST);
  rec with[64], without[64];
  size_t n = list(fs.root, 4096, with, 64);
  fs.host.uvwasi_readdir = true;
  size_t m = list(fs.root, 4096, without, 64);
  assert_int_equal(n, m);
  for (size_t i = 0; i < n; i++) {
    assert_string_equal(with[i].name, without[i].name);
    assert_int_equal(with[i].next, without[i].next);
  }
  assert_string_equal(without[0].name, ".");
  assert_string_equal(without[1].name, "..");
  assert_null(find(without + 2, m - 2, "."));
  vt_fs_fini(&fs);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      VT_TEST(test_dot_entries),
      VT_TEST(test_cookies_resume_after_a_record),
      VT_TEST(test_partial_records),
      VT_TEST(test_hundred_entries),
      VT_TEST(test_hundred_entries_in_an_image),
      VT_TEST(test_stable_cookies),
      VT_TEST(test_removed_directory),
      VT_TEST(test_host_without_dot_entries),
  };
  return cmocka_run_group_tests_name("wasi_virt_readdir", tests, NULL, NULL);
}
