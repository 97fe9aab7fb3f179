/* test_wasi_virt_escape.c — the escape matrix: every way out of a mount, each its own
 * test, each run on every kind of mount (mem, embed, mem over embed, host, host
 * read-only) with the errno the rules in membrane_wasi_virt.h give:
 *   ".." above the starting directory, absolute paths, symlinks out: ENOTCAPABLE;
 *   symlink loops and chains past 40: ELOOP; names over 255 bytes and paths of 4096:
 *   ENAMETOOLONG; NUL in a name: EINVAL; writes to read-only mounts: EROFS.
 * On host mounts the fake host also fails the test if any call names more than one
 * component, "." or "..", or touches the host directory above the mount, and checks at
 * the end that the host's "secret" next to the mount is untouched. */
#include <stdio.h>

#include "wasi_virt_test_util.h"

#define NOTCAP MB_WASI_ENOTCAPABLE
#define FOLLOW MB_WASI_LOOKUP_SYMLINK_FOLLOW
#define RD MB_VFS_ACCESS_READ

static mb_wasi_errno stat_path(vt_fs *fs, uint32_t flags, const char *path) {
  mb_vfs_filestat st;
  return mb_vfs_path_stat(fs->root, flags, P(path), &st);
}

/* Every path operation refuses `path` with `want`, whatever else it would do. */
static void refused_everywhere(vt_fs *fs, const char *path, size_t len, mb_wasi_errno want) {
  mb_vfs_file *f = NULL;
  mb_vfs_filestat st;
  char buf[64];
  size_t n;
  for (uint32_t fl = 0; fl <= FOLLOW; fl++) {
    assert_errno(mb_vfs_open(fs->root, fl, path, len, 0, RD, 0, &f), want);
    assert_errno(mb_vfs_open(fs->root, fl, path, len, MB_WASI_O_CREAT, MB_VFS_ACCESS_WRITE, 0, &f),
                 want);
    assert_errno(mb_vfs_open(fs->root, fl, path, len, MB_WASI_O_DIRECTORY, RD, 0, &f), want);
    assert_errno(mb_vfs_path_stat(fs->root, fl, path, len, &st), want);
    assert_errno(mb_vfs_path_set_times(fs->root, fl, path, len, 1, 2,
                                       MB_WASI_FST_ATIM | MB_WASI_FST_MTIM),
                 want);
    assert_errno(mb_vfs_link(fs->root, fl, path, len, fs->root, P("newlink")), want);
  }
  assert_errno(mb_vfs_mkdir(fs->root, path, len), want);
  assert_errno(mb_vfs_rmdir(fs->root, path, len), want);
  assert_errno(mb_vfs_unlink(fs->root, path, len), want);
  assert_errno(mb_vfs_readlink(fs->root, path, len, buf, sizeof buf, &n), want);
  assert_errno(mb_vfs_symlink(P("file"), fs->root, path, len), want);
  assert_errno(mb_vfs_rename(fs->root, path, len, fs->root, P("renamed")), want);
  assert_errno(mb_vfs_rename(fs->root, P("file"), fs->root, path, len), want);
  assert_errno(mb_vfs_link(fs->root, 0, P("file"), fs->root, path, len), want);
  assert_null(f);
}
#define REFUSED(fs, s, want) refused_everywhere((fs), (s), strlen(s), (want))

/* ---- ".." ---- */

static void case_dotdot_at_mount_root(vt_fs *fs) {
  REFUSED(fs, "..", NOTCAP);
  REFUSED(fs, "../", NOTCAP);
  REFUSED(fs, "../secret", NOTCAP);
  REFUSED(fs, "../mnt/file", NOTCAP);
  REFUSED(fs, "./..", NOTCAP);
  REFUSED(fs, ".//../secret", NOTCAP);
}
VT_EACH_KIND(dotdot_at_mount_root)

static void case_dotdot_chains(vt_fs *fs) {
  REFUSED(fs, "a/../..", NOTCAP);
  REFUSED(fs, "a/../../secret", NOTCAP);
  REFUSED(fs, "a/b/../../../secret", NOTCAP);
  REFUSED(fs, "a/b/../../a/b/../../../secret", NOTCAP);
  REFUSED(fs, "a/./b/.././../..", NOTCAP);
  REFUSED(fs, "empty/../empty/../../m", NOTCAP);
  /* a missing directory does not hide the escape after it... */
  assert_errno(stat_path(fs, 0, "a/../../x"), NOTCAP);
  /* ...but one before it stops the walk first */
  assert_errno(stat_path(fs, 0, "nope/../../x"), MB_WASI_ENOENT);
}
VT_EACH_KIND(dotdot_chains)

static void case_dotdot_inside_is_fine(vt_fs *fs) {
  char buf[64];
  assert_int_equal(vt_cat(fs, "a/b/../../file", buf, sizeof buf), 10);
  assert_int_equal(vt_cat(fs, "a/.//b/../../a/b/../b///./file", buf, sizeof buf), 5);
  assert_string_equal(buf, "hello");
  mb_vfs_filestat st;
  assert_ok(mb_vfs_path_stat(fs->root, 0, P("a/.."), &st));
  assert_int_equal(st.filetype, MB_WASI_FILETYPE_DIRECTORY);
  mb_vfs_filestat rst;
  assert_ok(mb_vfs_stat(fs->root, &rst));
  assert_int_equal(st.ino, rst.ino);
}
VT_EACH_KIND(dotdot_inside_is_fine)

/* A directory descriptor is a capability for its own subtree: ".." above it is an
 * escape even though the mount goes on above. */
static void case_dotdot_above_a_subdirectory_descriptor(vt_fs *fs) {
  mb_vfs_file *a, *f = NULL;
  assert_ok(vt_open(fs, 0, "a", MB_WASI_O_DIRECTORY, RD, &a));
  assert_errno(mb_vfs_open(a, 0, P("../file"), 0, RD, 0, &f), NOTCAP);
  assert_errno(mb_vfs_open(a, 0, P(".."), 0, RD, 0, &f), NOTCAP);
  assert_errno(mb_vfs_open(a, 0, P("b/../../file"), 0, RD, 0, &f), NOTCAP);
  mb_vfs_filestat st;
  assert_errno(mb_vfs_path_stat(a, 0, P("../a"), &st), NOTCAP);
  /* "up" is a symlink to "..": fine from the root, an escape from a */
  assert_errno(mb_vfs_open(a, FOLLOW, P("up/file"), 0, RD, 0, &f), NOTCAP);
  assert_errno(mb_vfs_open(a, FOLLOW, P("up"), 0, RD, 0, &f), NOTCAP);
  assert_errno(mb_vfs_open(a, FOLLOW, P("b/up2/file"), 0, RD, 0, &f), NOTCAP);
  assert_ok(mb_vfs_open(a, 0, P("b/.."), MB_WASI_O_DIRECTORY, RD, 0, &f));
  mb_vfs_close(f);
  char buf[16];
  assert_int_equal(vt_cat(fs, "a/up/file", buf, sizeof buf), 10);
  assert_int_equal(vt_cat(fs, "a/b/up2/a/b/file", buf, sizeof buf), 5);
  mb_vfs_close(a);
}
VT_EACH_KIND(dotdot_above_a_subdirectory_descriptor)

/* ---- absolute paths ---- */

static void case_absolute_paths(vt_fs *fs) {
  REFUSED(fs, "/", NOTCAP);
  REFUSED(fs, "/file", NOTCAP);
  REFUSED(fs, "//file", NOTCAP);
  REFUSED(fs, "/m/file", NOTCAP);
  REFUSED(fs, "/etc/passwd", NOTCAP);
  REFUSED(fs, "/../secret", NOTCAP);
}
VT_EACH_KIND(absolute_paths)

/* ---- symlinks ---- */

static void case_symlink_to_outside(vt_fs *fs) {
  static const char *const links[] = {"link_escape", "link_escape2", "link_escape3",
                                      "a/b/escape"};
  for (size_t i = 0; i < sizeof links / sizeof *links; i++) {
    char sub[64];
    mb_vfs_file *f = NULL;
    assert_errno(vt_open(fs, FOLLOW, links[i], 0, RD, &f), NOTCAP);
    assert_errno(vt_open(fs, FOLLOW, links[i], MB_WASI_O_CREAT, MB_VFS_ACCESS_WRITE, &f), NOTCAP);
    assert_errno(stat_path(fs, FOLLOW, links[i]), NOTCAP);
    snprintf(sub, sizeof sub, "%s/", links[i]); /* a trailing slash follows too */
    assert_errno(stat_path(fs, 0, sub), NOTCAP);
    snprintf(sub, sizeof sub, "%s/x", links[i]); /* as an intermediate component */
    assert_errno(stat_path(fs, 0, sub), NOTCAP);
    assert_errno(mb_vfs_mkdir(fs->root, P(sub)), NOTCAP);
    /* without following, the link itself is an ordinary object */
    mb_vfs_filestat st;
    assert_ok(mb_vfs_path_stat(fs->root, 0, P(links[i]), &st));
    assert_int_equal(st.filetype, MB_WASI_FILETYPE_SYMBOLIC_LINK);
    assert_errno(vt_open(fs, 0, links[i], 0, RD, &f), MB_WASI_ELOOP);
    assert_null(f);
  }
}
VT_EACH_KIND(symlink_to_outside)

static void case_symlink_absolute(vt_fs *fs) {
  /* creating one is refused on every kind: it could never resolve */
  mb_wasi_errno want = NOTCAP;
  assert_errno(mb_vfs_symlink(P("/etc/passwd"), fs->root, P("newabs")), want);
  assert_errno(mb_vfs_symlink(P("/"), fs->root, P("newabs")), want);
  assert_errno(stat_path(fs, 0, "newabs"), MB_WASI_ENOENT);
  if (!vt_has_abs(fs->kind)) return;
  /* one that exists (from the image, or on the host) is refused when followed */
  mb_vfs_file *f = NULL;
  assert_errno(vt_open(fs, FOLLOW, "abs", 0, RD, &f), NOTCAP);
  assert_errno(stat_path(fs, FOLLOW, "abs"), NOTCAP);
  assert_errno(stat_path(fs, 0, "abs/"), NOTCAP);
  assert_errno(stat_path(fs, 0, "abs/x"), NOTCAP);
  assert_errno(mb_vfs_mkdir(fs->root, P("abs/x")), NOTCAP);
  assert_ok(stat_path(fs, 0, "abs"));
  char buf[32];
  size_t n;
  assert_ok(mb_vfs_readlink(fs->root, P("abs"), buf, sizeof buf, &n));
  assert_int_equal(n, 11);
  assert_memory_equal(buf, "/etc/passwd", 11);
}
VT_EACH_KIND(symlink_absolute)

static void case_symlink_loops(vt_fs *fs) {
  static const char *const loops[] = {"self", "loop1", "loop2"};
  for (size_t i = 0; i < 3; i++) {
    char sub[32];
    mb_vfs_file *f = NULL;
    assert_errno(vt_open(fs, FOLLOW, loops[i], 0, RD, &f), MB_WASI_ELOOP);
    assert_errno(vt_open(fs, 0, loops[i], 0, RD, &f), MB_WASI_ELOOP); /* O_NOFOLLOW */
    assert_errno(stat_path(fs, FOLLOW, loops[i]), MB_WASI_ELOOP);
    snprintf(sub, sizeof sub, "%s/x", loops[i]);
    assert_errno(stat_path(fs, 0, sub), MB_WASI_ELOOP);
    assert_errno(vt_open(fs, FOLLOW, sub, MB_WASI_O_CREAT, MB_VFS_ACCESS_WRITE, &f), MB_WASI_ELOOP);
    assert_ok(stat_path(fs, 0, loops[i]));
    assert_null(f);
  }
}
VT_EACH_KIND(symlink_loops)

/* 40 expansions resolve, 41 are a loop (Linux's limit). */
static void case_symlink_chain_limit(vt_fs *fs) {
  if (!vt_writable(fs->kind)) return; /* an image chain is tested below */
  char name[16], text[16];
  for (int i = 0; i <= 40; i++) {
    snprintf(name, sizeof name, "c%d", i);
    if (i == 40)
      snprintf(text, sizeof text, "file");
    else
      snprintf(text, sizeof text, "c%d", i + 1);
    assert_ok(mb_vfs_symlink(P(text), fs->root, P(name)));
  }
  char buf[16];
  assert_int_equal(vt_cat(fs, "c1", buf, sizeof buf), 10); /* c1 .. c40, file: 40 */
  assert_errno(vt_try_open(fs, FOLLOW, "c0", 0, RD), MB_WASI_ELOOP);
  assert_errno(stat_path(fs, FOLLOW, "c0"), MB_WASI_ELOOP);
  assert_ok(stat_path(fs, FOLLOW, "c1"));
}
VT_EACH_KIND(symlink_chain_limit)

static void test_symlink_chain_limit_in_an_image(void **state) {
  (void)state;
  vt_spec spec[42];
  char names[42][8], texts[42][8];
  for (int i = 0; i <= 40; i++) {
    snprintf(names[i], 8, "c%02d", i);
    snprintf(texts[i], 8, i == 40 ? "f" : "c%02d", i + 1);
    spec[i] = (vt_spec){names[i], 'l', texts[i], 0};
  }
  spec[41] = (vt_spec){"f", 'f', "end", 0};
  size_t len;
  uint8_t *image = vt_image(spec, 42, &len);
  mb_vfs_image img;
  assert_int_equal(mb_vfs_image_open(&img, image, len, NULL), MB_WV_OK);
  mb_vfs *vfs = mb_vfs_new();
  mb_vfs_file *root, *f = NULL;
  assert_ok(mb_vfs_mount_embed(vfs, P("/e"), &img, NULL));
  assert_ok(mb_vfs_open_root(vfs, 0, &root));
  assert_ok(mb_vfs_open(root, FOLLOW, P("c01"), 0, RD, 0, &f));
  mb_vfs_close(f);
  assert_errno(mb_vfs_open(root, FOLLOW, P("c00"), 0, RD, 0, &f), MB_WASI_ELOOP);
  mb_vfs_close(root);
  mb_vfs_free(vfs);
  free(image);
}

/* ---- names and paths too long, NUL, empty ---- */

static void case_long_names(vt_fs *fs) {
  char name[300];
  memset(name, 'n', sizeof name);
  refused_everywhere(fs, name, 256, MB_WASI_ENAMETOOLONG);
  refused_everywhere(fs, name, 299, MB_WASI_ENAMETOOLONG);
  /* as an intermediate component, and behind a missing directory that comes later */
  char path[300];
  memcpy(path, name, 256);
  memcpy(path + 256, "/file", 5);
  refused_everywhere(fs, path, 261, MB_WASI_ENAMETOOLONG);
  /* 255 bytes is a name like any other */
  assert_errno(stat_path(fs, 0, "") , MB_WASI_ENOENT);
  mb_vfs_filestat st;
  assert_errno(mb_vfs_path_stat(fs->root, 0, name, 255, &st), MB_WASI_ENOENT);
  if (vt_writable(fs->kind)) {
    assert_ok(mb_vfs_mkdir(fs->root, name, 255));
    assert_ok(mb_vfs_path_stat(fs->root, 0, name, 255, &st));
    assert_ok(mb_vfs_rmdir(fs->root, name, 255));
  } else {
    assert_errno(mb_vfs_mkdir(fs->root, name, 255), MB_WASI_EROFS);
  }
}
VT_EACH_KIND(long_names)

static void case_long_paths(vt_fs *fs) {
  static char path[MB_VFS_PATH_MAX + 64];
  /* "./" repeated then "file": 4095 bytes resolve, 4096 do not */
  size_t k = (MB_VFS_PATH_MAX - 1 - 4) / 2;
  for (size_t i = 0; i < k; i++) memcpy(path + 2 * i, "./", 2);
  size_t len = 2 * k;
  if (len + 4 < MB_VFS_PATH_MAX - 1) path[len++] = '/';
  memcpy(path + len, "file", 4);
  len += 4;
  assert_int_equal(len, MB_VFS_PATH_MAX - 1);
  mb_vfs_filestat st;
  assert_ok(mb_vfs_path_stat(fs->root, 0, path, len, &st));
  assert_int_equal(st.size, 10);
  memmove(path + 1, path, len);
  path[0] = '.';
  path[1] = '/';
  refused_everywhere(fs, path, len + 1, MB_WASI_ENAMETOOLONG);
  memset(path, 'a', sizeof path);
  refused_everywhere(fs, path, sizeof path, MB_WASI_ENAMETOOLONG);
}
VT_EACH_KIND(long_paths)

/* A symlink's text spliced in front of the rest must still fit. */
static void case_long_symlink_texts(vt_fs *fs) {
  static char text[MB_VFS_PATH_MAX + 2];
  memset(text, 'x', sizeof text);
  assert_errno(mb_vfs_symlink(text, MB_VFS_PATH_MAX, fs->root, P("big")), MB_WASI_ENAMETOOLONG);
  if (!vt_writable(fs->kind)) return;
  /* 3001 bytes of "./././.../file" work alone... */
  size_t k = 1498;
  for (size_t i = 0; i < k; i++) memcpy(text + 2 * i, "./", 2);
  memcpy(text + 2 * k, "link_dir", 8); /* -> a */
  size_t tlen = 2 * k + 8;
  assert_ok(mb_vfs_symlink(text, tlen, fs->root, P("long")));
  char buf[16];
  assert_int_equal(vt_cat(fs, "long/b/file", buf, sizeof buf), 5);
  /* ...but not in front of 1200 more bytes of path */
  static char path[1300];
  memcpy(path, "long/", 5);
  size_t len = 5;
  for (int i = 0; i < 600; i++, len += 2) memcpy(path + len, "./", 2);
  memcpy(path + len, "b/file", 6);
  len += 6;
  mb_vfs_filestat st;
  assert_errno(mb_vfs_path_stat(fs->root, 0, path, len, &st), MB_WASI_ENAMETOOLONG);
  /* a text of 4095 bytes is the longest there is */
  memset(text, 'y', MB_VFS_PATH_MAX - 1);
  assert_ok(mb_vfs_symlink(text, MB_VFS_PATH_MAX - 1, fs->root, P("longest")));
  assert_errno(stat_path(fs, FOLLOW, "longest"), MB_WASI_ENAMETOOLONG); /* 'y' x 4095 > 255 */
}
VT_EACH_KIND(long_symlink_texts)

static void case_nul_in_names(vt_fs *fs) {
  refused_everywhere(fs, "fi\0le", 5, MB_WASI_EINVAL);
  refused_everywhere(fs, "file\0", 5, MB_WASI_EINVAL); /* uvwasi opens "file" here */
  refused_everywhere(fs, "\0", 1, MB_WASI_EINVAL);
  refused_everywhere(fs, "a/\0/file", 8, MB_WASI_EINVAL);
  assert_errno(mb_vfs_symlink("fi\0le", 5, fs->root, P("nul")), MB_WASI_EINVAL);
}
VT_EACH_KIND(nul_in_names)

static void case_empty_path(vt_fs *fs) { refused_everywhere(fs, "", 0, MB_WASI_ENOENT); }
VT_EACH_KIND(empty_path)

/* ---- read-only mounts ---- */

static void case_writes_to_read_only(vt_fs *fs) {
  if (vt_writable(fs->kind)) return;
  unsigned mutations = fs->host.mutations;
  const mb_wasi_errno RO = MB_WASI_EROFS;
  mb_vfs_file *f = NULL;
  assert_errno(vt_open(fs, 0, "file", 0, MB_VFS_ACCESS_WRITE, &f), RO);
  assert_errno(vt_open(fs, 0, "file", 0, RD | MB_VFS_ACCESS_WRITE, &f), RO);
  assert_errno(vt_open(fs, 0, "file", MB_WASI_O_TRUNC, RD, &f), RO);
  assert_errno(vt_open(fs, 0, "new", MB_WASI_O_CREAT, MB_VFS_ACCESS_WRITE, &f), RO);
  assert_errno(vt_open(fs, 0, "new", MB_WASI_O_CREAT, RD, &f), RO);
  assert_errno(vt_open(fs, 0, "a/b/new", MB_WASI_O_CREAT | MB_WASI_O_EXCL, RD, &f), RO);
  assert_errno(vt_open(fs, FOLLOW, "link_dangling", MB_WASI_O_CREAT, RD, &f), RO);
  assert_errno(vt_open(fs, FOLLOW, "link_file", 0, MB_VFS_ACCESS_WRITE, &f), RO);
  /* what exists still answers as it would */
  assert_errno(vt_open(fs, 0, "file", MB_WASI_O_CREAT | MB_WASI_O_EXCL, RD, &f), MB_WASI_EEXIST);
  assert_errno(vt_open(fs, 0, "a", 0, MB_VFS_ACCESS_WRITE, &f), MB_WASI_EISDIR);
  assert_errno(vt_open(fs, 0, "missing", 0, RD, &f), MB_WASI_ENOENT);
  assert_errno(mb_vfs_mkdir(fs->root, P("newdir")), RO);
  assert_errno(mb_vfs_mkdir(fs->root, P("a")), MB_WASI_EEXIST);
  assert_errno(mb_vfs_rmdir(fs->root, P("empty")), RO);
  assert_errno(mb_vfs_unlink(fs->root, P("file")), RO);
  assert_errno(mb_vfs_unlink(fs->root, P("link_file")), RO);
  assert_errno(mb_vfs_rename(fs->root, P("file"), fs->root, P("file2")), RO);
  assert_errno(mb_vfs_rename(fs->root, P("a"), fs->root, P("empty")), RO);
  assert_errno(mb_vfs_symlink(P("file"), fs->root, P("sym")), RO);
  assert_errno(mb_vfs_symlink(P("file"), fs->root, P("file")), MB_WASI_EEXIST);
  assert_errno(mb_vfs_link(fs->root, 0, P("file"), fs->root, P("hard")), RO);
  assert_errno(mb_vfs_path_set_times(fs->root, 0, P("file"), 1, 2,
                                     MB_WASI_FST_ATIM | MB_WASI_FST_MTIM),
               RO);
  assert_errno(mb_vfs_path_set_times(fs->root, 0, P("."), 0, 0, MB_WASI_FST_MTIM_NOW), RO);
  /* through a descriptor opened for reading */
  assert_ok(vt_open(fs, 0, "file", 0, RD, &f));
  assert_errno(mb_vfs_set_size(f, 0), RO);
  assert_errno(mb_vfs_set_times(f, 1, 2, MB_WASI_FST_ATIM), RO);
  size_t put;
  assert_errno(mb_vfs_write(f, "x", 1, &put), MB_WASI_EBADF);
  assert_errno(mb_vfs_pwrite(f, "x", 1, 0, &put), MB_WASI_EBADF);
  char buf[16];
  size_t got;
  assert_ok(mb_vfs_read(f, buf, sizeof buf, &got));
  assert_int_equal(got, 10);
  mb_vfs_close(f);
  assert_errno(mb_vfs_set_times(fs->root, 1, 2, MB_WASI_FST_ATIM), RO);
  assert_int_equal(vt_cat(fs, "file", buf, sizeof buf), 10);
  assert_string_equal(buf, "0123456789");
  /* not one mutating call reached the host */
  assert_int_equal(fs->host.mutations, mutations);
}
VT_EACH_KIND(writes_to_read_only)

/* ---- descriptors ---- */

static void case_bad_directory_descriptors(vt_fs *fs) {
  mb_vfs_file *file, *f = NULL;
  assert_ok(vt_open(fs, 0, "file", 0, RD, &file));
  mb_vfs_filestat st;
  assert_errno(mb_vfs_open(file, 0, P("x"), 0, RD, 0, &f), MB_WASI_ENOTDIR);
  assert_errno(mb_vfs_path_stat(file, 0, P("."), &st), MB_WASI_ENOTDIR);
  assert_errno(mb_vfs_mkdir(file, P("x")), MB_WASI_ENOTDIR);
  assert_errno(mb_vfs_rename(fs->root, P("file"), file, P("x")), MB_WASI_ENOTDIR);
  assert_errno(mb_vfs_open(NULL, 0, P("x"), 0, RD, 0, &f), MB_WASI_EBADF);
  assert_errno(mb_vfs_mkdir(NULL, P("x")), MB_WASI_EBADF);
  mb_vfs_close(file);
  /* a file in the middle of a path */
  assert_errno(stat_path(fs, 0, "file/x"), MB_WASI_ENOTDIR);
  assert_errno(stat_path(fs, 0, "link_file/x"), MB_WASI_ENOTDIR);
  assert_errno(stat_path(fs, 0, "file/.."), MB_WASI_ENOTDIR);
}
VT_EACH_KIND(bad_directory_descriptors)

/* Two mounts: nothing reaches one from the other. */
static void test_mounts_are_separate(void **state) {
  (void)state;
  mb_vfs *vfs = mb_vfs_new();
  uint32_t a, b;
  assert_ok(mb_vfs_mount_mem(vfs, P("/a"), NULL, MB_VFS_NO_LIMIT, &a));
  assert_ok(mb_vfs_mount_mem(vfs, P("/a/b"), NULL, MB_VFS_NO_LIMIT, &b));
  assert_errno(mb_vfs_mount_mem(vfs, P("/a"), NULL, 0, NULL), MB_WASI_EEXIST);
  assert_errno(mb_vfs_mount_mem(vfs, "", 0, NULL, 0, NULL), MB_WASI_EINVAL);
  assert_errno(mb_vfs_mount_mem(vfs, "/x\0", 3, NULL, 0, NULL), MB_WASI_EINVAL);
  mb_vfs_file *ra, *rb, *f = NULL;
  assert_ok(mb_vfs_open_root(vfs, a, &ra));
  assert_ok(mb_vfs_open_root(vfs, b, &rb));
  assert_ok(mb_vfs_mkdir(ra, P("b")));
  assert_ok(mb_vfs_open(rb, 0, P("only_in_b"), MB_WASI_O_CREAT, MB_VFS_ACCESS_WRITE, 0, &f));
  mb_vfs_close(f);
  mb_vfs_filestat st;
  assert_errno(mb_vfs_path_stat(ra, 0, P("b/only_in_b"), &st), MB_WASI_ENOENT);
  assert_errno(mb_vfs_path_stat(rb, 0, P("../b/only_in_b"), &st), NOTCAP);
  assert_errno(mb_vfs_rename(rb, P("only_in_b"), ra, P("moved")), MB_WASI_EXDEV);
  assert_errno(mb_vfs_link(rb, 0, P("only_in_b"), ra, P("moved")), MB_WASI_EXDEV);
  size_t len;
  assert_memory_equal(mb_vfs_mount_name(vfs, b, &len), "/a/b", 4);
  assert_int_equal(len, 4);
  assert_null(mb_vfs_mount_name(vfs, 7, &len));
  assert_int_equal(mb_vfs_mount_count(vfs), 2);
  mb_vfs_close(ra);
  mb_vfs_close(rb);
  mb_vfs_free(vfs);
}

/* A host mount's subdir is walked as carefully as a guest path. */
static void test_host_mount_subdir_rules(void **state) {
  (void)state;
  vt_host h;
  vt_host_init(&h);
  assert_ok(mb_vfs_mkdir(h.fd[VT_HOST_ROOT], P("mnt/inner")));
  assert_ok(mb_vfs_symlink(P("mnt"), h.fd[VT_HOST_ROOT], P("via_link")));
  mb_vfs *vfs = mb_vfs_new();
  assert_errno(mb_vfs_mount_host(vfs, P("/h"), &vt_host_ops, &h, VT_HOST_ROOT, P("../x"), false,
                                 NULL),
               MB_WASI_EINVAL);
  assert_errno(mb_vfs_mount_host(vfs, P("/h"), &vt_host_ops, &h, VT_HOST_ROOT, P("/mnt"), false,
                                 NULL),
               MB_WASI_EINVAL);
  assert_errno(mb_vfs_mount_host(vfs, P("/h"), &vt_host_ops, &h, VT_HOST_ROOT, P("mnt/./inner"),
                                 false, NULL),
               MB_WASI_EINVAL);
  assert_errno(mb_vfs_mount_host(vfs, P("/h"), &vt_host_ops, &h, VT_HOST_ROOT, P("via_link"),
                                 false, NULL),
               MB_WASI_ELOOP);
  assert_errno(mb_vfs_mount_host(vfs, P("/h"), &vt_host_ops, &h, VT_HOST_ROOT, P("secret"), false,
                                 NULL),
               MB_WASI_ENOTDIR);
  assert_errno(mb_vfs_mount_host(vfs, P("/h"), &vt_host_ops, &h, VT_HOST_ROOT, P("nope"), false,
                                 NULL),
               MB_WASI_ENOENT);
  assert_int_equal(h.open_fds, 0);
  uint32_t id;
  assert_ok(mb_vfs_mount_host(vfs, P("/h"), &vt_host_ops, &h, VT_HOST_ROOT, P("mnt//inner/"),
                              false, &id));
  h.mounted = true;
  mb_vfs_file *r, *f;
  assert_ok(mb_vfs_open_root(vfs, id, &r));
  assert_ok(mb_vfs_open(r, 0, P("made_here"), MB_WASI_O_CREAT, MB_VFS_ACCESS_WRITE, 0, &f));
  mb_vfs_close(f);
  assert_errno(mb_vfs_mkdir(r, P("../escape")), NOTCAP);
  mb_vfs_close(r);
  mb_vfs_free(vfs);
  assert_int_equal(h.open_fds, 0);
  h.mounted = false;
  mb_vfs_filestat st;
  assert_ok(mb_vfs_path_stat(h.fd[VT_HOST_ROOT], 0, P("mnt/inner/made_here"), &st));
  vt_host_secret_intact(&h);
  vt_host_fini(&h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      VT_TEST(test_dotdot_at_mount_root),
      VT_TEST(test_dotdot_chains),
      VT_TEST(test_dotdot_inside_is_fine),
      VT_TEST(test_dotdot_above_a_subdirectory_descriptor),
      VT_TEST(test_absolute_paths),
      VT_TEST(test_symlink_to_outside),
      VT_TEST(test_symlink_absolute),
      VT_TEST(test_symlink_loops),
      VT_TEST(test_symlink_chain_limit),
      VT_TEST(test_symlink_chain_limit_in_an_image),
      VT_TEST(test_long_names),
      VT_TEST(test_long_paths),
      VT_TEST(test_long_symlink_texts),
      VT_TEST(test_nul_in_names),
      VT_TEST(test_empty_path),
      VT_TEST(test_writes_to_read_only),
      VT_TEST(test_bad_directory_descriptors),
      VT_TEST(test_mounts_are_separate),
      VT_TEST(test_host_mount_subdir_rules),
  };
  return cmocka_run_group_tests_name("wasi_virt_escape", tests, NULL, NULL);
}
