/* paths.c — path semantics as preview1 and Linux give them (issue 10, item 5): trailing
 * slashes, symlinks that loop or dangle, hard links, rename's special cases, names
 * removed while descriptors to them stay open, "." and ".." in fd_readdir with stable
 * cookies, nanosecond timestamps. Raw __wasi_* calls, so every errno is the host's or
 * wasi-virt's own and not wasi-libc's rewriting of it. The program makes its fixtures
 * in a scratch directory below /data and removes it at the end, so it runs the same on
 * an empty --mem tree. One line per case: `key: result`. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

/* Fixture calls (create, clean up) are not checked one by one: a fixture that failed
 * shows in the result lines that depend on it. */
#pragma clang diagnostic ignored "-Wunused-result"

#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW
#define CREAT __WASI_OFLAGS_CREAT
#define EXCL __WASI_OFLAGS_EXCL
#define DIRECTORY __WASI_OFLAGS_DIRECTORY
#define TRUNC __WASI_OFLAGS_TRUNC

/* Read and write rights for files; a directory asks for reading only (Node opens
 * read-write as soon as a write right is asked, which fails on a directory). */
#define R_FILE                                                                          \
  (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK |             \
   __WASI_RIGHTS_FD_TELL | __WASI_RIGHTS_FD_FILESTAT_GET |                              \
   __WASI_RIGHTS_FD_FILESTAT_SET_TIMES | __WASI_RIGHTS_FD_FILESTAT_SET_SIZE)
#define R_ALL ((__wasi_rights_t)0x1FFFFFFF)
#define R_DIR                                                                            \
  (R_ALL & ~(__wasi_rights_t)(__WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_DATASYNC |       \
                              __WASI_RIGHTS_FD_ALLOCATE | __WASI_RIGHTS_FD_FILESTAT_SET_SIZE))

static __wasi_fd_t dir; /* the scratch directory */

static const char *ename(__wasi_errno_t e) {
  switch (e) {
  case __WASI_ERRNO_SUCCESS: return "ok";
  case __WASI_ERRNO_BADF: return "badf";
  case __WASI_ERRNO_BUSY: return "busy";
  case __WASI_ERRNO_EXIST: return "exist";
  case __WASI_ERRNO_INVAL: return "inval";
  case __WASI_ERRNO_ISDIR: return "isdir";
  case __WASI_ERRNO_LOOP: return "loop";
  case __WASI_ERRNO_NOENT: return "noent";
  case __WASI_ERRNO_NOTDIR: return "notdir";
  case __WASI_ERRNO_NOTEMPTY: return "notempty";
  case __WASI_ERRNO_PERM: return "perm";
  case __WASI_ERRNO_ACCES: return "acces";
  case __WASI_ERRNO_NOTCAPABLE: return "notcapable";
  case __WASI_ERRNO_XDEV: return "xdev";
  case __WASI_ERRNO_NOSYS: return "nosys";
  case __WASI_ERRNO_NOTSUP: return "notsup";
  default: {
    static char buf[16];
    snprintf(buf, sizeof buf, "errno %u", (unsigned)e);
    return buf;
  }
  }
}

static void say(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const char *key, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("%s: ", key);
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
}
static void say_e(const char *key, __wasi_errno_t e) { say(key, "%s", ename(e)); }

/* ---- helpers on the scratch directory ---- */

static __wasi_errno_t open_at(int at, uint32_t look, const char *p, uint16_t of,
                              __wasi_rights_t r, __wasi_fd_t *fd) {
  /* as wasi-libc does: ask only for what the directory can hand on */
  __wasi_fdstat_t fs;
  __wasi_errno_t e = __wasi_fd_fdstat_get(at, &fs);
  if (e) return e;
  return __wasi_path_open(at, look, p, of, r & fs.fs_rights_inheriting, fs.fs_rights_inheriting,
                          0, fd);
}
static __wasi_errno_t try_open(uint32_t look, const char *p, uint16_t of) {
  __wasi_fd_t fd;
  __wasi_errno_t e = open_at(dir, look, p, of, R_FILE, &fd);
  if (!e) __wasi_fd_close(fd);
  return e;
}
static __wasi_errno_t lstat_(const char *p, __wasi_filestat_t *st) {
  return __wasi_path_filestat_get(dir, 0, p, st);
}
static bool exists(const char *p) {
  __wasi_filestat_t st;
  return lstat_(p, &st) == 0;
}

static void put(const char *p, const char *data) {
  __wasi_fd_t fd;
  __wasi_errno_t e = open_at(dir, 0, p, CREAT | TRUNC, R_FILE, &fd);
  if (e) {
    printf("setup: create %s: %s\n", p, ename(e));
    exit(1);
  }
  __wasi_ciovec_t v = {(const uint8_t *)data, strlen(data)};
  __wasi_size_t n;
  __wasi_fd_write(fd, &v, 1, &n);
  __wasi_fd_close(fd);
}
static void mkd(const char *p) {
  __wasi_errno_t e = __wasi_path_create_directory(dir, p);
  if (e) {
    printf("setup: mkdir %s: %s\n", p, ename(e));
    exit(1);
  }
}

/* Read a whole descriptor from offset 0 into buf (NUL-terminated). */
static const char *slurp_fd(__wasi_fd_t fd, char *buf, size_t cap) {
  __wasi_iovec_t v = {(uint8_t *)buf, cap - 1};
  __wasi_size_t n = 0;
  __wasi_errno_t e = __wasi_fd_pread(fd, &v, 1, 0, &n);
  if (e) return ename(e);
  buf[n] = '\0';
  return buf;
}
static const char *slurp(const char *p, char *buf, size_t cap) {
  __wasi_fd_t fd;
  __wasi_errno_t e = open_at(dir, 0, p, 0, R_FILE, &fd);
  if (e) return ename(e);
  const char *s = slurp_fd(fd, buf, cap);
  __wasi_fd_close(fd);
  return s;
}

/* Remove a tree below the scratch directory, depth first (fixtures only). */
static void rm_tree(int at, const char *p) {
  __wasi_filestat_t st;
  if (__wasi_path_filestat_get(at, 0, p, &st)) return;
  if (st.filetype != __WASI_FILETYPE_DIRECTORY) {
    __wasi_path_unlink_file(at, p);
    return;
  }
  __wasi_fd_t d;
  if (open_at(at, 0, p, DIRECTORY, R_DIR, &d) == 0) {
    static uint8_t buf[4096];
    for (;;) { /* list from the start each time: the listing changes as we delete */
      __wasi_size_t used = 0;
      if (__wasi_fd_readdir(d, buf, sizeof buf, 0, &used)) break;
      bool removed = false;
      for (size_t off = 0; off + sizeof(__wasi_dirent_t) <= used;) {
        __wasi_dirent_t ent;
        memcpy(&ent, buf + off, sizeof ent);
        size_t nl = ent.d_namlen;
        if (off + sizeof ent + nl > used) break;
        char name[256];
        memcpy(name, buf + off + sizeof ent, nl);
        name[nl] = '\0';
        off += sizeof ent + nl;
        if (!strcmp(name, ".") || !strcmp(name, "..")) continue;
        rm_tree(d, name);
        removed = true;
      }
      if (!removed) break;
    }
    __wasi_fd_close(d);
  }
  __wasi_path_remove_directory(at, p);
}

/* ---- trailing slashes ---- */

static void trailing_slashes(void) {
  put("file", "f");
  mkd("dir");
  say_e("unlink_file_slash", __wasi_path_unlink_file(dir, "file/"));
  say_e("unlink_dir_slash", __wasi_path_unlink_file(dir, "dir/"));
  say_e("unlink_dir", __wasi_path_unlink_file(dir, "dir"));
  say_e("rmdir_file_slash", __wasi_path_remove_directory(dir, "file/"));
  say_e("rmdir_file", __wasi_path_remove_directory(dir, "file"));
  say_e("rmdir_dir_slash", __wasi_path_remove_directory(dir, "dir/"));
  say("rmdir_dir_slash_gone", "%s", exists("dir") ? "no" : "yes");
  say_e("mkdir_new_slash", __wasi_path_create_directory(dir, "dir/"));
  say("mkdir_new_slash_type", "%s", exists("dir") ? "dir" : "missing");
  say_e("mkdir_exist_slash", __wasi_path_create_directory(dir, "dir/"));
  say_e("mkdir_file_slash", __wasi_path_create_directory(dir, "file/"));
  say_e("symlink_new_slash", __wasi_path_symlink("file", dir, "lnk/"));
  say_e("symlink_exist_slash", __wasi_path_symlink("file", dir, "file/"));
  say_e("symlink_dir_slash", __wasi_path_symlink("file", dir, "dir/"));
  say_e("rename_file_to_slash", __wasi_path_rename(dir, "file", dir, "file2/"));
  say_e("rename_file_slash", __wasi_path_rename(dir, "file/", dir, "file2"));
  say("rename_file_slash_kept", "%s", exists("file") && !exists("file2") ? "yes" : "no");
  say_e("rename_dir_slash", __wasi_path_rename(dir, "dir/", dir, "dir2/"));
  say_e("rename_dir_to_slash", __wasi_path_rename(dir, "dir2", dir, "dir/"));
  say("rename_dir_back", "%s", exists("dir") && !exists("dir2") ? "yes" : "no");
  say_e("open_file_slash", try_open(0, "file/", 0));
  say_e("open_creat_slash", try_open(0, "new/", CREAT));
  say_e("link_to_slash", __wasi_path_link(dir, 0, "file", dir, "hl/"));
  say_e("link_from_slash", __wasi_path_link(dir, 0, "file/", dir, "hl"));
  /* a symlink to a directory, with a trailing slash: followed where a path is resolved,
   * but unlink and rmdir act on the final name itself (Linux) */
  __wasi_path_symlink("dir", dir, "dl");
  __wasi_path_symlink("none", dir, "dangl");
  say_e("rename_file_onto_dir_slash", __wasi_path_rename(dir, "file", dir, "dir/"));
  say_e("unlink_symlink_dir_slash", __wasi_path_unlink_file(dir, "dl/"));
  say_e("rmdir_symlink_dir_slash", __wasi_path_remove_directory(dir, "dl/"));
  say_e("rmdir_symlink_dir", __wasi_path_remove_directory(dir, "dl"));
  __wasi_fd_t dfd;
  __wasi_errno_t e = open_at(dir, 0, "dl/", 0, R_DIR, &dfd);
  if (!e) __wasi_fd_close(dfd);
  say_e("open_symlink_dir_slash", e);
  say_e("open_symlink_dir_slash_write", try_open(0, "dl/", 0));
  say_e("mkdir_dangling_slash", __wasi_path_create_directory(dir, "dangl/"));
  say("symlinks_kept", "%s", exists("dl") && exists("dangl") && exists("dir") ? "yes" : "no");
  __wasi_path_unlink_file(dir, "dl");
  __wasi_path_unlink_file(dir, "dangl");
  __wasi_path_unlink_file(dir, "file");
  __wasi_path_remove_directory(dir, "dir");
}

/* ---- symlinks that loop or dangle ---- */

static void symlinks(void) {
  __wasi_path_symlink("self", dir, "self");
  __wasi_path_symlink("target", dir, "dangling");
  say_e("open_self_follow", try_open(FOLLOW, "self", 0));
  say_e("open_self_nofollow", try_open(0, "self", 0));
  say_e("stat_self_follow", ({
          __wasi_filestat_t st;
          __wasi_path_filestat_get(dir, FOLLOW, "self", &st);
        }));
  say_e("open_self_dir_slash", try_open(0, "self/", 0));
  say_e("open_dangling", try_open(FOLLOW, "dangling", 0));
  say_e("open_dangling_excl", try_open(FOLLOW, "dangling", CREAT | EXCL));
  say_e("open_dangling_excl_nofollow", try_open(0, "dangling", CREAT | EXCL));
  say("dangling_still", "%s", exists("target") ? "target made" : "no target");
  say_e("open_dangling_creat", try_open(FOLLOW, "dangling", CREAT));
  __wasi_filestat_t st;
  __wasi_errno_t e = lstat_("target", &st);
  say("open_dangling_creat_target", "%s", e ? ename(e) : st.filetype == __WASI_FILETYPE_REGULAR_FILE ? "file" : "other");
  __wasi_path_unlink_file(dir, "self");
  __wasi_path_unlink_file(dir, "dangling");
  __wasi_path_unlink_file(dir, "target");
}

/* ---- hard links ---- */

static void hard_links(void) {
  char buf[64];
  put("h1", "one");
  say_e("link", __wasi_path_link(dir, 0, "h1", dir, "h2"));
  __wasi_filestat_t a, b;
  lstat_("h1", &a);
  lstat_("h2", &b);
  say("link_same_ino", "%s", a.ino == b.ino && a.dev == b.dev ? "yes" : "no");
  say("link_nlink", "%llu %llu", (unsigned long long)a.nlink, (unsigned long long)b.nlink);
  __wasi_fd_t fd;
  if (!open_at(dir, 0, "h2", TRUNC, R_FILE, &fd)) {
    __wasi_ciovec_t v = {(const uint8_t *)"through h2", 10};
    __wasi_size_t n;
    __wasi_fd_write(fd, &v, 1, &n);
    __wasi_fd_close(fd);
  }
  say("link_data", "%s", slurp("h1", buf, sizeof buf));
  say_e("link_exist", __wasi_path_link(dir, 0, "h1", dir, "h2"));
  mkd("ld");
  say_e("link_dir", __wasi_path_link(dir, 0, "ld", dir, "ld2"));
  say_e("link_missing", __wasi_path_link(dir, 0, "nothing", dir, "ld3"));
  say_e("link_unlink_one", __wasi_path_unlink_file(dir, "h1"));
  lstat_("h2", &b);
  say("link_other_kept", "%s nlink %llu", slurp("h2", buf, sizeof buf), (unsigned long long)b.nlink);
  /* a link to a symlink, not to its target (flags 0) */
  __wasi_path_symlink("h2", dir, "sl");
  say_e("link_symlink", __wasi_path_link(dir, 0, "sl", dir, "sl2"));
  {
    __wasi_filestat_t st;
    __wasi_errno_t e = lstat_("sl2", &st);
    say("link_symlink_type", "%s", e ? ename(e)
                                  : st.filetype == __WASI_FILETYPE_SYMBOLIC_LINK ? "symlink"
                                                                                 : "other");
  }
  __wasi_path_unlink_file(dir, "sl");
  __wasi_path_unlink_file(dir, "sl2");
  __wasi_path_unlink_file(dir, "h2");
  __wasi_path_remove_directory(dir, "ld");
}

/* ---- rename ---- */

static void renames(void) {
  char buf[64];
  put("f", "eff");
  mkd("d");
  mkd("d/sub");
  mkd("full");
  put("full/x", "x");
  mkd("empty");
  say_e("rename_file_self", __wasi_path_rename(dir, "f", dir, "f"));
  say("rename_file_self_kept", "%s", slurp("f", buf, sizeof buf));
  say_e("rename_dir_self", __wasi_path_rename(dir, "d", dir, "d"));
  __wasi_path_link(dir, 0, "f", dir, "f_link");
  say_e("rename_hardlink_same", __wasi_path_rename(dir, "f", dir, "f_link"));
  say("rename_hardlink_both_kept", "%s", exists("f") && exists("f_link") ? "yes" : "no");
  __wasi_path_unlink_file(dir, "f_link");
  say_e("rename_file_onto_dir", __wasi_path_rename(dir, "f", dir, "empty"));
  say_e("rename_dir_onto_file", __wasi_path_rename(dir, "empty", dir, "f"));
  say_e("rename_onto_nonempty", __wasi_path_rename(dir, "d", dir, "full"));
  say_e("rename_into_subtree", __wasi_path_rename(dir, "d", dir, "d/sub/d"));
  say_e("rename_into_itself", __wasi_path_rename(dir, "d", dir, "d/d"));
  say_e("rename_onto_empty_dir", __wasi_path_rename(dir, "d", dir, "empty"));
  say("rename_onto_empty_dir_moved", "%s", exists("empty/sub") && !exists("d") ? "yes" : "no");
  put("g", "gee");
  say_e("rename_file_onto_file", __wasi_path_rename(dir, "g", dir, "f"));
  say("rename_file_onto_file_data", "%s %s", slurp("f", buf, sizeof buf), exists("g") ? "g kept" : "g gone");
  say_e("rename_missing", __wasi_path_rename(dir, "nothing", dir, "h"));
  /* a final "." or "..": POSIX says EINVAL (Linux EBUSY); on its own directory, as
   * Node renames "dd" itself */
  mkd("dd");
  say_e("rename_dot", __wasi_path_rename(dir, "dd/.", dir, "e"));
  say_e("rename_onto_dot", __wasi_path_rename(dir, "f", dir, "dd/."));
  __wasi_path_remove_directory(dir, "dd");
  __wasi_path_remove_directory(dir, "e");
  __wasi_path_unlink_file(dir, "f");
  __wasi_path_unlink_file(dir, "full/x");
  __wasi_path_remove_directory(dir, "full");
  __wasi_path_remove_directory(dir, "empty/sub");
  __wasi_path_remove_directory(dir, "empty");
}

/* ---- names removed under open descriptors ---- */

static void open_while_removed(void) {
  char buf[64];
  put("u", "before");
  __wasi_fd_t fd;
  if (open_at(dir, 0, "u", 0, R_FILE, &fd)) {
    say("unlinked_open", "failed");
    return;
  }
  say_e("unlinked_unlink", __wasi_path_unlink_file(dir, "u"));
  say("unlinked_read", "%s", slurp_fd(fd, buf, sizeof buf));
  __wasi_ciovec_t v = {(const uint8_t *)" after", 6};
  __wasi_size_t n = 0;
  __wasi_errno_t e = __wasi_fd_pwrite(fd, &v, 1, 6, &n);
  say("unlinked_write", "%s %u", ename(e), (unsigned)n);
  say("unlinked_read_again", "%s", slurp_fd(fd, buf, sizeof buf));
  __wasi_filestat_t st;
  e = __wasi_fd_filestat_get(fd, &st);
  say("unlinked_fstat", "%s nlink %llu size %llu", ename(e), (unsigned long long)st.nlink,
      (unsigned long long)st.size);
  say("unlinked_name_gone", "%s", exists("u") ? "no" : "yes");
  put("u", "new");
  say("unlinked_recreated", "%s", slurp("u", buf, sizeof buf));
  say("unlinked_old_fd", "%s", slurp_fd(fd, buf, sizeof buf));
  __wasi_fd_close(fd);
  __wasi_path_unlink_file(dir, "u");

  mkd("r");
  __wasi_fd_t dfd;
  if (open_at(dir, 0, "r", DIRECTORY, R_DIR, &dfd)) {
    say("rmdir_open", "failed");
    return;
  }
  say_e("rmdir_open_rmdir", __wasi_path_remove_directory(dir, "r"));
  e = __wasi_fd_filestat_get(dfd, &st);
  say("rmdir_open_fstat", "%s type %s nlink %llu", ename(e),
      st.filetype == __WASI_FILETYPE_DIRECTORY ? "dir" : "other", (unsigned long long)st.nlink);
  static uint8_t rbuf[1024];
  __wasi_size_t used = 0;
  e = __wasi_fd_readdir(dfd, rbuf, sizeof rbuf, 0, &used);
  say("rmdir_open_readdir", "%s %u bytes", ename(e), (unsigned)used);
  __wasi_fd_t x;
  say_e("rmdir_open_create_in", open_at(dfd, 0, "x", CREAT, R_FILE, &x));
  say_e("rmdir_open_mkdir_in", __wasi_path_create_directory(dfd, "y"));
  say_e("rmdir_recreate", __wasi_path_create_directory(dir, "r"));
  __wasi_fd_close(dfd);
  __wasi_path_remove_directory(dir, "r");
}

/* ---- readdir: "." and ".." with stable cookies ---- */

typedef struct ent {
  char name[32];
  uint64_t next, ino;
} ent;

static int list(int d, uint64_t cookie, ent *out, int max) {
  static uint8_t buf[4096];
  __wasi_size_t used = 0;
  if (__wasi_fd_readdir(d, buf, sizeof buf, cookie, &used)) return -1;
  int k = 0;
  for (size_t off = 0; off + sizeof(__wasi_dirent_t) <= used && k < max;) {
    __wasi_dirent_t de;
    memcpy(&de, buf + off, sizeof de);
    size_t nl = de.d_namlen < 31 ? de.d_namlen : 31;
    if (off + sizeof de + de.d_namlen > used) break;
    memcpy(out[k].name, buf + off + sizeof de, nl);
    out[k].name[nl] = '\0';
    out[k].next = de.d_next;
    out[k].ino = de.d_ino;
    k++;
    off += sizeof de + de.d_namlen;
  }
  return k;
}

static int by_name(const void *a, const void *b) {
  return strcmp(((const ent *)a)->name, ((const ent *)b)->name);
}

static void readdir_dots(void) {
  mkd("rd");
  put("rd/a", "");
  put("rd/b", "");
  mkd("rd/c");
  __wasi_fd_t d;
  if (open_at(dir, 0, "rd", DIRECTORY, R_DIR, &d)) {
    say("readdir_open", "failed");
    return;
  }
  ent e[16], s[16];
  int n = list(d, 0, e, 16);
  memcpy(s, e, sizeof e);
  if (n > 0) qsort(s, (size_t)n, sizeof *s, by_name);
  char names[128] = "";
  for (int i = 0; i < n; i++) {
    strcat(names, i ? " " : "");
    strcat(names, s[i].name);
  }
  say("readdir_names", "%s", names);
  /* inos: "." is the directory, ".." its parent */
  __wasi_filestat_t self, parent;
  lstat_("rd", &self);
  __wasi_fd_filestat_get(dir, &parent);
  const char *dot = "missing", *dotdot = "missing";
  for (int i = 0; i < n; i++) {
    if (!strcmp(e[i].name, ".")) dot = e[i].ino == self.ino ? "dir" : "wrong";
    if (!strcmp(e[i].name, "..")) dotdot = e[i].ino == parent.ino ? "parent" : "wrong";
  }
  say("readdir_dot_ino", "%s", dot);
  say("readdir_dotdot_ino", "%s", dotdot);
  /* the same directory reached as "rd/c/..": the same "." and ".." */
  __wasi_fd_t d2;
  dot = dotdot = "missing";
  if (!open_at(dir, 0, "rd/c/..", DIRECTORY, R_DIR, &d2)) {
    ent e2[16];
    int n2 = list(d2, 0, e2, 16);
    for (int i = 0; i < n2; i++) {
      if (!strcmp(e2[i].name, ".")) dot = e2[i].ino == self.ino ? "dir" : "wrong";
      if (!strcmp(e2[i].name, "..")) dotdot = e2[i].ino == parent.ino ? "parent" : "wrong";
    }
    __wasi_fd_close(d2);
  }
  say("readdir_via_dotdot", "%s %s", dot, dotdot);
  /* every entry's cookie resumes right after it, also after a change elsewhere */
  put("rd/d", "");
  __wasi_path_unlink_file(dir, "rd/d");
  int bad = 0;
  for (int i = 0; i < n; i++) {
    ent r[16];
    int m = list(d, e[i].next, r, 16);
    if (m != n - i - 1) {
      bad++;
      continue;
    }
    for (int j = 0; j < m; j++)
      if (strcmp(r[j].name, e[i + 1 + j].name) || r[j].next != e[i + 1 + j].next) bad++;
  }
  say("readdir_cookies", "%s", bad ? "unstable" : "stable");
  /* a second listing from 0 gives the same entries and cookies */
  ent again[16];
  int m = list(d, 0, again, 16);
  bool same = m == n;
  for (int i = 0; same && i < n; i++)
    same = !strcmp(again[i].name, e[i].name) && again[i].next == e[i].next;
  say("readdir_repeat", "%s", same ? "same" : "different");
  __wasi_fd_close(d);
  __wasi_path_unlink_file(dir, "rd/a");
  __wasi_path_unlink_file(dir, "rd/b");
  __wasi_path_remove_directory(dir, "rd/c");
  __wasi_path_remove_directory(dir, "rd");
}

/* ---- timestamps with nanoseconds ---- */

#define T_A UINT64_C(1234567890123456789)
#define T_M UINT64_C(1300000000987654321)
#define T_M2 UINT64_C(1400000000000000001)

static void times(void) {
  put("t", "t");
  __wasi_fd_t fd;
  if (open_at(dir, 0, "t", 0, R_FILE, &fd)) {
    say("times_open", "failed");
    return;
  }
  __wasi_filestat_t st;
  __wasi_errno_t e = __wasi_fd_filestat_set_times(
      fd, T_A, T_M, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM);
  __wasi_fd_filestat_get(fd, &st);
  say("fd_set_times", "%s atim %llu mtim %llu", ename(e), (unsigned long long)st.atim,
      (unsigned long long)st.mtim);
  e = __wasi_fd_filestat_set_times(fd, 0, T_M2, __WASI_FSTFLAGS_MTIM);
  __wasi_fd_filestat_get(fd, &st);
  say("fd_set_mtim_only", "%s atim %llu mtim %llu", ename(e), (unsigned long long)st.atim,
      (unsigned long long)st.mtim);
  __wasi_fd_close(fd);
  e = __wasi_path_filestat_set_times(dir, 0, "t", T_M, T_A,
                                     __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM);
  lstat_("t", &st);
  say("path_set_times", "%s atim %llu mtim %llu", ename(e), (unsigned long long)st.atim,
      (unsigned long long)st.mtim);
  e = __wasi_path_filestat_set_times(dir, 0, "t", T_M2, 0, __WASI_FSTFLAGS_ATIM);
  lstat_("t", &st);
  say("path_set_atim_only", "%s atim %llu mtim %llu", ename(e), (unsigned long long)st.atim,
      (unsigned long long)st.mtim);
  mkd("td");
  e = __wasi_path_filestat_set_times(dir, 0, "td", T_A, T_M,
                                     __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM);
  lstat_("td", &st);
  say("path_set_times_dir", "%s atim %llu mtim %llu", ename(e), (unsigned long long)st.atim,
      (unsigned long long)st.mtim);
  /* the times survive a rename and are those of every hard link */
  __wasi_path_rename(dir, "t", dir, "t2");
  __wasi_path_link(dir, 0, "t2", dir, "t3");
  lstat_("t3", &st);
  say("times_after_rename_link", "atim %llu mtim %llu", (unsigned long long)st.atim,
      (unsigned long long)st.mtim);
  __wasi_path_unlink_file(dir, "t2");
  __wasi_path_unlink_file(dir, "t3");
  __wasi_path_remove_directory(dir, "td");
}

int main(void) {
  int data = open("/data", O_RDONLY | O_DIRECTORY);
  if (data < 0) {
    perror("/data");
    return 1;
  }
  rm_tree(data, "paths_scratch"); /* a previous run's, if any */
  __wasi_errno_t e = __wasi_path_create_directory(data, "paths_scratch");
  if (e) {
    printf("setup: mkdir paths_scratch: %s\n", ename(e));
    return 1;
  }
  e = open_at(data, 0, "paths_scratch", DIRECTORY, R_DIR, &dir);
  if (e) {
    printf("setup: open paths_scratch: %s\n", ename(e));
    return 1;
  }
  trailing_slashes();
  symlinks();
  hard_links();
  renames();
  open_while_removed();
  readdir_dots();
  times();
  __wasi_fd_close(dir);
  rm_tree(data, "paths_scratch");
  say("scratch_removed", "%s", ({
        __wasi_filestat_t st;
        __wasi_path_filestat_get(data, 0, "paths_scratch", &st) == __WASI_ERRNO_NOENT ? "yes"
                                                                                     : "no";
      }));
  return 0;
}
