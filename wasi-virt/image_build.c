/* image_build.c — the host-side builder: walks a host directory with POSIX calls and
 * feeds an image writer. Native only; the wasm32 build leaves this file out. Symlinks
 * are stored as symlinks (their text verbatim, never followed), so the image holds
 * exactly what the directory holds. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vfs_internal.h"

typedef struct build {
  mb_vfs_image_writer *w;
  mb_vfs_build_options opt;
  uint32_t nodes;
  uint64_t bytes;
  mb_wv_diag *diag;
} build;

static uint64_t mtim_of(const build *b, const struct stat *st) {
  if (b->opt.fixed_mtim) return b->opt.mtim;
  if (st->st_mtim.tv_sec < 0) return 0;
  return (uint64_t)st->st_mtim.tv_sec * 1000000000u + (uint64_t)st->st_mtim.tv_nsec;
}

static mb_wv_err io_fail(build *b, const char *what, const char *path) {
  return mb__image_fail(b->diag, MB_WV_ERR_IO, 0, "%s %s: %s", what, path, strerror(errno));
}

static mb_wv_err count(build *b, uint64_t bytes, const char *path) {
  if (++b->nodes >= b->opt.max_nodes)
    return mb__image_fail(b->diag, MB_WV_ERR_IMAGE_TOO_BIG, 0, "%s: more than %u nodes", path,
                          b->opt.max_nodes);
  if (bytes > b->opt.max_bytes - b->bytes)
    return mb__image_fail(b->diag, MB_WV_ERR_IMAGE_TOO_BIG, 0,
                          "%s: more than %llu bytes of files and symlink texts", path,
                          (unsigned long long)b->opt.max_bytes);
  b->bytes += bytes;
  return MB_WV_OK;
}

static mb_wv_err add_path(build *b, uint32_t parent, const char *name, size_t name_len,
                          const char *path, const struct stat *st);

static int by_strcmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Add the entries of host directory `path` under node dir. */
static mb_wv_err add_children(build *b, uint32_t dir, const char *path) {
  mb_wv_err err = MB_WV_OK;
  char **names = NULL, *child = NULL;
  size_t n = 0, cap = 0;
  DIR *d = opendir(path);
  if (!d) return io_fail(b, "cannot open directory", path);
  /* read all names first: fewer directory streams open at once in deep trees, and a
   * sorted walk gives the same errors on every machine */
  for (;;) {
    errno = 0;
    struct dirent *e = readdir(d);
    if (!e) {
      if (errno) err = io_fail(b, "cannot read directory", path);
      break;
    }
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    if (n == cap) {
      size_t ncap = cap ? cap * 2 : 16;
      char **p = mb_mem_realloc(mb__image_writer_alloc(b->w), names, ncap * sizeof *p);
      if (!p) goto nomem;
      names = p;
      cap = ncap;
    }
    size_t nlen = strlen(e->d_name);
    if (!(names[n] = mb_mem_alloc(mb__image_writer_alloc(b->w), nlen + 1))) goto nomem;
    memcpy(names[n], e->d_name, nlen + 1);
    n++;
  }
  closedir(d);
  d = NULL;
  if (err) goto out;
  if (n) qsort(names, n, sizeof *names, by_strcmp);
  size_t plen = strlen(path);
  for (size_t i = 0; i < n && !err; i++) {
    size_t nlen = strlen(names[i]);
    mb_mem_free(mb__image_writer_alloc(b->w), child);
    if (!(child = mb_mem_alloc(mb__image_writer_alloc(b->w), plen + 1 + nlen + 1))) goto nomem;
    memcpy(child, path, plen);
    child[plen] = '/';
    memcpy(child + plen + 1, names[i], nlen + 1);
    struct stat st;
    if (lstat(child, &st) != 0) {
      err = io_fail(b, "cannot stat", child);
      break;
    }
    err = add_path(b, dir, names[i], nlen, child, &st);
  }
  goto out;
nomem:
  err = mb__image_fail(b->diag, MB_WV_ERR_NOMEM, 0, "out of memory reading %s", path);
out:
  if (d) closedir(d);
  for (size_t i = 0; i < n; i++) mb_mem_free(mb__image_writer_alloc(b->w), names[i]);
  mb_mem_free(mb__image_writer_alloc(b->w), names);
  mb_mem_free(mb__image_writer_alloc(b->w), child);
  return err;
}

static mb_wv_err read_file(build *b, const char *path, const struct stat *st,
                           uint8_t **data, size_t *size) {
  *data = NULL;
  *size = 0;
  FILE *f = fopen(path, "rb");
  if (!f) return io_fail(b, "cannot open", path);
  size_t cap = st->st_size > 0 ? (size_t)st->st_size + 1 : 4096, len = 0;
  uint8_t *buf = mb_mem_alloc(mb__image_writer_alloc(b->w), cap);
  mb_wv_err err = MB_WV_OK;
  if (!buf) goto nomem;
  for (;;) {
    if (len == cap) { /* the file grew while we read it: keep reading */
      uint8_t *p = cap > SIZE_MAX / 2 ? NULL : mb_mem_realloc(mb__image_writer_alloc(b->w), buf, cap * 2);
      if (!p) goto nomem;
      buf = p;
      cap *= 2;
    }
    size_t got = fread(buf + len, 1, cap - len, f);
    len += got;
    if (got == 0) break;
  }
  if (ferror(f)) {
    err = io_fail(b, "cannot read", path);
    mb_mem_free(mb__image_writer_alloc(b->w), buf);
    buf = NULL;
    len = 0;
  }
  fclose(f);
  *data = buf;
  *size = len;
  return err;
nomem:
  fclose(f);
  mb_mem_free(mb__image_writer_alloc(b->w), buf);
  return mb__image_fail(b->diag, MB_WV_ERR_NOMEM, 0, "out of memory reading %s", path);
}

static mb_wv_err add_path(build *b, uint32_t parent, const char *name, size_t name_len,
                          const char *path, const struct stat *st) {
  mb_wv_err err;
  uint32_t id;
  if (!mb__name_ok(name, name_len))
    return mb__image_fail(b->diag, MB_WV_ERR_INVALID_ARG, 0,
                          "%s: the name is not a valid component (1..%d bytes)", path,
                          MB_VFS_NAME_MAX);
  if (S_ISDIR(st->st_mode)) {
    if ((err = count(b, 0, path))) return err;
    err = mb_vfs_image_writer_add(b->w, parent, name, name_len, MB_WASI_FILETYPE_DIRECTORY, NULL,
                                  0, mtim_of(b, st), &id, b->diag);
    if (err) return err;
    return add_children(b, id, path);
  }
  if (S_ISREG(st->st_mode)) {
    uint8_t *data;
    size_t size;
    if ((err = read_file(b, path, st, &data, &size))) return err;
    if (!(err = count(b, size, path)))
      err = mb_vfs_image_writer_add(b->w, parent, name, name_len, MB_WASI_FILETYPE_REGULAR_FILE,
                                    data, size, mtim_of(b, st), NULL, b->diag);
    mb_mem_free(mb__image_writer_alloc(b->w), data);
    return err;
  }
  if (S_ISLNK(st->st_mode)) {
    char text[MB_VFS_PATH_MAX];
    ssize_t len = readlink(path, text, sizeof text);
    if (len < 0) return io_fail(b, "cannot read symlink", path);
    if ((size_t)len >= sizeof text)
      return mb__image_fail(b->diag, MB_WV_ERR_INVALID_ARG, 0, "%s: symlink text too long",
                            path);
    if ((err = count(b, (uint64_t)len, path))) return err;
    return mb_vfs_image_writer_add(b->w, parent, name, name_len, MB_WASI_FILETYPE_SYMBOLIC_LINK,
                                   text, (size_t)len, mtim_of(b, st), NULL, b->diag);
  }
  if (b->opt.skip_special) return MB_WV_OK;
  return mb__image_fail(b->diag, MB_WV_ERR_UNSUPPORTED, 0,
                        "%s: not a directory, regular file or symlink (fifos, sockets and "
                        "devices cannot be embedded)",
                        path);
}

static void init_build(build *b, mb_vfs_image_writer *w, const mb_vfs_build_options *opt,
                       mb_wv_diag *diag) {
  memset(b, 0, sizeof *b);
  b->w = w;
  if (opt) b->opt = *opt;
  if (!b->opt.max_nodes || b->opt.max_nodes > MB_VFS_IMAGE_MAX_NODES)
    b->opt.max_nodes = MB_VFS_IMAGE_MAX_NODES;
  if (!b->opt.max_bytes) b->opt.max_bytes = UINT64_MAX;
  b->diag = diag;
  if (diag) memset(diag, 0, sizeof *diag);
}

mb_wv_err mb_vfs_image_add_host(mb_vfs_image_writer *w, uint32_t parent, const char *name,
                                const char *host_path, const mb_vfs_build_options *opt,
                                mb_wv_diag *diag) {
  build b;
  init_build(&b, w, opt, diag);
  if (!name) { /* the last component of host_path, trailing slashes ignored */
    size_t end = strlen(host_path);
    while (end > 1 && host_path[end - 1] == '/') end--;
    size_t start = end;
    while (start > 0 && host_path[start - 1] != '/') start--;
    struct stat st;
    if (lstat(host_path, &st) != 0) return io_fail(&b, "cannot stat", host_path);
    return add_path(&b, parent, host_path + start, end - start, host_path, &st);
  }
  struct stat st;
  if (lstat(host_path, &st) != 0) return io_fail(&b, "cannot stat", host_path);
  return add_path(&b, parent, name, strlen(name), host_path, &st);
}

mb_wv_err mb_vfs_image_add_host_children(mb_vfs_image_writer *w, uint32_t parent,
                                         const char *host_dir,
                                         const mb_vfs_build_options *opt,
                                         mb_wv_diag *diag) {
  build b;
  init_build(&b, w, opt, diag);
  struct stat st;
  if (stat(host_dir, &st) != 0) return io_fail(&b, "cannot stat", host_dir);
  if (!S_ISDIR(st.st_mode))
    return mb__image_fail(diag, MB_WV_ERR_INVALID_ARG, 0, "%s: not a directory", host_dir);
  if (parent == 0) mb_vfs_image_writer_set_mtim(w, 0, mtim_of(&b, &st));
  return add_children(&b, parent, host_dir);
}

mb_wv_err mb_vfs_image_build_dir(const char *host_dir, const mb_vfs_build_options *opt,
                                 mb_buf *out, mb_wv_diag *diag) {
  build b;
  mb_vfs_image_writer *w = mb_vfs_image_writer_new(&out->alloc);
  init_build(&b, w, opt, diag);
  if (!w) return mb__image_fail(diag, MB_WV_ERR_NOMEM, 0, "out of memory");
  mb_wv_err err;
  struct stat st;
  /* the directory named on the command line may be a symlink to one; below it
   * nothing is followed */
  if (stat(host_dir, &st) != 0) {
    err = io_fail(&b, "cannot stat", host_dir);
  } else if (!S_ISDIR(st.st_mode)) {
    err = mb__image_fail(diag, MB_WV_ERR_INVALID_ARG, 0, "%s: not a directory", host_dir);
  } else {
    mb_vfs_image_writer_set_mtim(w, 0, mtim_of(&b, &st));
    err = add_children(&b, 0, host_dir);
    if (!err) err = mb_vfs_image_writer_finish(w, out, diag);
  }
  mb_vfs_image_writer_free(w);
  return err;
}
