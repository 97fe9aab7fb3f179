/* test_wasi_virt_image.c — the image format: the writer's output and its determinism,
 * the reader's lookups, one test per rule the reader enforces (error code and byte
 * offset), every truncation and thousands of single-byte corruptions (each either
 * refused or, when accepted, mounted and walked completely: never a crash under
 * ASan/UBSan), the host-side builder over a real temporary directory, and allocation
 * failures in the writer and builder. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi_virt_test_util.h"

#define RD MB_VFS_ACCESS_READ

static const vt_spec tree[] = {
    {"zeta", 'f', "last", 1},
    {"alpha", 'd', NULL, 2},
    {"alpha/x", 'f', "", 3},
    {"alpha/y", 'l', "../zeta", 4},
    {"alpha/deep", 'd', NULL, 5},
    {"alpha/deep/er", 'd', NULL, 6},
    {"alpha/deep/er/file", 'f', "deep contents", 7},
    {"beta", 'd', NULL, 8},
    {"m", 'f', "middle", 9},
};
#define TREE_N (sizeof tree / sizeof *tree)

static uint8_t *image_of(size_t *len) { return vt_image(tree, TREE_N, len); }

static void put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void put64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* Node index of a path in an opened image. */
static uint32_t node_at(const mb_vfs_image *img, const char *path) {
  uint32_t cur = 0;
  while (*path) {
    const char *slash = strchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : strlen(path);
    assert_true(mb_vfs_image_lookup(img, cur, path, n, &cur));
    path += n + (slash ? 1 : 0);
  }
  return cur;
}

static size_t node_off(const mb_vfs_image *img, uint32_t i) {
  return img->nodes_offset + (size_t)i * MB_VFS_IMAGE_NODE_SIZE;
}

static void test_roundtrip(void **state) {
  (void)state;
  size_t len;
  uint8_t *image = image_of(&len);
  mb_vfs_image img;
  mb_wv_diag d;
  assert_int_equal(mb_vfs_image_open(&img, image, len, &d), MB_WV_OK);
  assert_int_equal(img.node_count, TREE_N + 1);
  assert_int_equal(img.size, len);
  assert_memory_equal(image, "\x7fMBVFS\r\n", 8);
  /* breadth-first, sorted: root, alpha beta m zeta, deep x y, er, file */
  static const char *const order[] = {"", "alpha", "beta", "m", "zeta", "deep", "x", "y", "er",
                                      "file"};
  for (uint32_t i = 0; i < img.node_count; i++) {
    mb_vfs_image_node n;
    mb_vfs_image_node_get(&img, i, &n);
    assert_int_equal(n.name_len, strlen(order[i]));
    assert_memory_equal(n.name, order[i], n.name_len);
  }
  for (size_t i = 0; i < TREE_N; i++) {
    mb_vfs_image_node n;
    mb_vfs_image_node_get(&img, node_at(&img, tree[i].path), &n);
    assert_int_equal(n.type, vt_type(tree[i].type));
    assert_int_equal(n.mtim, tree[i].mtim);
    if (tree[i].type != 'd') {
      assert_int_equal(n.size, strlen(tree[i].data));
      assert_memory_equal(n.data, tree[i].data, n.size);
      assert_true(n.data >= image && n.data + n.size <= image + len); /* in place */
    }
  }
  uint32_t c;
  assert_false(mb_vfs_image_lookup(&img, 0, P("gamma"), &c));
  assert_false(mb_vfs_image_lookup(&img, 0, P("alph"), &c));
  assert_false(mb_vfs_image_lookup(&img, 0, P("alphaa"), &c));
  assert_false(mb_vfs_image_lookup(&img, node_at(&img, "zeta"), P("x"), &c));
  assert_false(mb_vfs_image_lookup(&img, node_at(&img, "beta"), P("x"), &c));
  free(image);
}

/* The same tree added in another order gives the same bytes. */
static void test_writer_is_deterministic(void **state) {
  (void)state;
  vt_spec rev[TREE_N];
  /* parents must come first: reverse within that constraint by hand */
  static const int perm[TREE_N] = {8, 7, 1, 4, 5, 6, 3, 2, 0};
  for (size_t i = 0; i < TREE_N; i++) rev[i] = tree[perm[i]];
  size_t a_len, b_len;
  uint8_t *a = image_of(&a_len), *b = vt_image(rev, TREE_N, &b_len);
  assert_int_equal(a_len, b_len);
  assert_memory_equal(a, b, a_len);
  free(a);
  free(b);
}

static void test_writer_refusals(void **state) {
  (void)state;
  mb_vfs_image_writer *w = mb_vfs_image_writer_new();
  mb_wv_diag d;
  uint32_t f, dir;
  const uint8_t F = MB_WASI_FILETYPE_REGULAR_FILE, D = MB_WASI_FILETYPE_DIRECTORY,
                L = MB_WASI_FILETYPE_SYMBOLIC_LINK;
  assert_int_equal(mb_vfs_image_writer_add(w, 0, P("f"), F, "x", 1, 0, &f, &d), MB_WV_OK);
  assert_int_equal(mb_vfs_image_writer_add(w, 0, P("d"), D, NULL, 0, 0, &dir, &d), MB_WV_OK);
  assert_int_equal(mb_vfs_image_writer_add(w, f, P("x"), F, "", 0, 0, NULL, &d),
                   MB_WV_ERR_INVALID_ARG);
  assert_non_null(strstr(d.message, "not a directory"));
  assert_int_equal(mb_vfs_image_writer_add(w, 99, P("x"), F, "", 0, 0, NULL, &d),
                   MB_WV_ERR_INVALID_ARG);
  static const char *const bad[] = {"", ".", "..", "a/b", "/"};
  for (size_t i = 0; i < 5; i++)
    assert_int_equal(mb_vfs_image_writer_add(w, 0, P(bad[i]), F, "", 0, 0, NULL, &d),
                     MB_WV_ERR_INVALID_ARG);
  assert_int_equal(mb_vfs_image_writer_add(w, 0, "a\0b", 3, F, "", 0, 0, NULL, &d),
                   MB_WV_ERR_INVALID_ARG);
  char long_name[256];
  memset(long_name, 'l', sizeof long_name);
  assert_int_equal(mb_vfs_image_writer_add(w, 0, long_name, 256, F, "", 0, 0, NULL, &d),
                   MB_WV_ERR_INVALID_ARG);
  assert_int_equal(mb_vfs_image_writer_add(w, 0, long_name, 255, F, "", 0, 0, NULL, &d),
                   MB_WV_OK);
  assert_int_equal(mb_vfs_image_writer_add(w, 0, P("l"), L, "", 0, 0, NULL, &d),
                   MB_WV_ERR_INVALID_ARG);
  assert_int_equal(mb_vfs_image_writer_add(w, 0, P("l"), L, "a\0", 2, 0, NULL, &d),
                   MB_WV_ERR_INVALID_ARG);
  static char text[MB_VFS_PATH_MAX];
  memset(text, 't', sizeof text);
  assert_int_equal(mb_vfs_image_writer_add(w, 0, P("l"), L, text, MB_VFS_PATH_MAX, 0, NULL, &d),
                   MB_WV_ERR_INVALID_ARG);
  assert_int_equal(mb_vfs_image_writer_add(w, 0, P("l"), L, text, MB_VFS_PATH_MAX - 1, 0, NULL, &d),
                   MB_WV_OK);
  assert_int_equal(mb_vfs_image_writer_add(w, 0, P("s"), 6, "", 0, 0, NULL, &d),
                   MB_WV_ERR_INVALID_ARG);
  assert_int_equal(mb_vfs_image_writer_add(w, 0, P("n"), F, NULL, 5, 0, NULL, &d),
                   MB_WV_ERR_INVALID_ARG);
  /* a second "f" in the root: found when the children are sorted */
  assert_int_equal(mb_vfs_image_writer_add(w, dir, P("f"), F, "", 0, 0, NULL, &d), MB_WV_OK);
  mb_vfs_buf out;
  mb_vfs_buf_init(&out);
  assert_int_equal(mb_vfs_image_writer_finish(w, &out, &d), MB_WV_OK);
  assert_int_equal(mb_vfs_image_writer_add(w, 0, P("f"), F, "", 0, 0, NULL, &d), MB_WV_OK);
  size_t before = out.len;
  assert_int_equal(mb_vfs_image_writer_finish(w, &out, &d), MB_WV_ERR_INVALID_ARG);
  assert_non_null(strstr(d.message, "two entries named \"f\""));
  assert_int_equal(out.len, before);
  mb_vfs_buf_fini(&out);
  mb_vfs_image_writer_free(w);
  mb_vfs_image_writer_free(NULL);
  assert_string_equal(mb_wv_err_name(MB_WV_ERR_IMAGE_TRUNCATED), "unexpected end");
  assert_string_equal(mb_wv_err_name((mb_wv_err)99), "unknown error");
}

/* ---- the reader's rules, one by one ---- */

typedef struct bad {
  uint8_t *b;
  size_t len;
  mb_vfs_image img; /* of the valid original */
} bad;

static void bad_init(bad *x) {
  x->b = image_of(&x->len);
  assert_int_equal(mb_vfs_image_open(&x->img, x->b, x->len, NULL), MB_WV_OK);
}

static void expect(bad *x, mb_wv_err code, uint64_t offset, const char *substr) {
  mb_vfs_image img;
  mb_wv_diag d;
  mb_wv_err e = mb_vfs_image_open(&img, x->b, x->len, &d);
  if (e != code || d.offset != offset || !strstr(d.message, substr))
    fail_msg("got %s at %llu: %s\nexpected %s at %llu with \"%s\"", mb_wv_err_name(e),
             (unsigned long long)d.offset, d.message, mb_wv_err_name(code),
             (unsigned long long)offset, substr);
  assert_int_equal(d.code, e);
  assert_null(img.data); /* zeroed on error */
  free(x->b);
}

static void test_reader_header_rules(void **state) {
  (void)state;
  bad x;
  mb_vfs_image img;
  mb_wv_diag d;
  assert_int_equal(mb_vfs_image_open(&img, NULL, 0, &d), MB_WV_ERR_IMAGE_TRUNCATED);
  assert_int_equal(mb_vfs_image_open(&img, "\x7fMBVFS\r\n", 8, &d), MB_WV_ERR_IMAGE_TRUNCATED);
  assert_int_equal(d.offset, 8);
  bad_init(&x);
  x.b[1] = 'm';
  expect(&x, MB_WV_ERR_IMAGE_BAD_MAGIC, 0, "magic");
  bad_init(&x);
  x.b[7] = '\n'; /* text-mode mangling of the \r\n is caught */
  x.b[6] = '\n';
  expect(&x, MB_WV_ERR_IMAGE_BAD_MAGIC, 0, "magic");
  bad_init(&x);
  put32(x.b + 8, 2);
  expect(&x, MB_WV_ERR_IMAGE_BAD_VERSION, 8, "version 2");
  bad_init(&x);
  put32(x.b + 12, 1);
  expect(&x, MB_WV_ERR_IMAGE_BAD_HEADER, 12, "flags");
  bad_init(&x);
  x.len--;
  expect(&x, MB_WV_ERR_IMAGE_TRUNCATED, x.len, "declares");
  bad_init(&x);
  put64(x.b + 16, x.len - 1);
  expect(&x, MB_WV_ERR_IMAGE_BAD_HEADER, 16, "declares");
  bad_init(&x);
  put32(x.b + 24, 0);
  expect(&x, MB_WV_ERR_IMAGE_BAD_HEADER, 24, "no nodes");
  bad_init(&x);
  put32(x.b + 24, MB_VFS_IMAGE_MAX_NODES + 1);
  expect(&x, MB_WV_ERR_IMAGE_TOO_BIG, 24, "limit");
  bad_init(&x);
  put32(x.b + 24, 1000);
  expect(&x, MB_WV_ERR_IMAGE_BAD_RANGE, 28, "outside");
  bad_init(&x);
  put32(x.b + 28, 16);
  expect(&x, MB_WV_ERR_IMAGE_BAD_RANGE, 28, "outside");
  bad_init(&x);
  put32(x.b + 28, UINT32_MAX - 8);
  expect(&x, MB_WV_ERR_IMAGE_BAD_RANGE, 28, "outside");
}

static void test_reader_node_rules(void **state) {
  (void)state;
  bad x;
  size_t o;
  bad_init(&x);
  o = node_off(&x.img, node_at(&x.img, "m"));
  x.b[o] = 5;
  expect(&x, MB_WV_ERR_IMAGE_BAD_NODE, o, "unknown type 5");
  bad_init(&x);
  o = node_off(&x.img, node_at(&x.img, "m"));
  x.b[o + 1] = 1;
  expect(&x, MB_WV_ERR_IMAGE_BAD_NODE, o + 1, "reserved");
  bad_init(&x);
  x.b[node_off(&x.img, 0)] = MB_WASI_FILETYPE_REGULAR_FILE;
  expect(&x, MB_WV_ERR_IMAGE_BAD_NODE, node_off(&x.img, 0), "root");
  bad_init(&x);
  x.b[node_off(&x.img, 0) + 2] = 1;
  expect(&x, MB_WV_ERR_IMAGE_BAD_NAME, node_off(&x.img, 0) + 2, "root");
  /* names */
  bad_init(&x);
  o = node_off(&x.img, node_at(&x.img, "m"));
  put32(x.b + o + 4, (uint32_t)x.len);
  expect(&x, MB_WV_ERR_IMAGE_BAD_RANGE, o + 4, "outside");
  bad_init(&x);
  o = node_off(&x.img, node_at(&x.img, "m"));
  x.b[o + 2] = 0;
  expect(&x, MB_WV_ERR_IMAGE_BAD_NAME, o + 2, "1..255");
  static const char bad_names[][2] = {"/", ".", {0, 0}};
  for (int i = 0; i < 3; i++) {
    bad_init(&x);
    mb_vfs_image_node n;
    uint32_t idx = node_at(&x.img, "m");
    mb_vfs_image_node_get(&x.img, idx, &n);
    ((uint8_t *)x.b)[(const uint8_t *)n.name - x.b] = (uint8_t)bad_names[i][0];
    expect(&x, MB_WV_ERR_IMAGE_BAD_NAME, node_off(&x.img, idx) + 2, "without");
  }
  bad_init(&x); /* ".." : rename "beta" to "..ta" then shorten to 2 */
  {
    uint32_t idx = node_at(&x.img, "beta");
    mb_vfs_image_node n;
    mb_vfs_image_node_get(&x.img, idx, &n);
    uint8_t *nm = x.b + ((const uint8_t *)n.name - x.b);
    nm[0] = nm[1] = '.';
    x.b[node_off(&x.img, idx) + 2] = 2;
    expect(&x, MB_WV_ERR_IMAGE_BAD_NAME, node_off(&x.img, idx) + 2, "\"..\"");
  }
  /* data and texts */
  bad_init(&x);
  o = node_off(&x.img, node_at(&x.img, "zeta"));
  put64(x.b + o + 24, x.len);
  expect(&x, MB_WV_ERR_IMAGE_BAD_RANGE, o + 16, "outside");
  bad_init(&x);
  o = node_off(&x.img, node_at(&x.img, "zeta"));
  put64(x.b + o + 16, UINT64_MAX);
  expect(&x, MB_WV_ERR_IMAGE_BAD_RANGE, o + 16, "outside");
  bad_init(&x);
  o = node_off(&x.img, node_at(&x.img, "alpha/y"));
  put64(x.b + o + 24, 0);
  expect(&x, MB_WV_ERR_IMAGE_BAD_NAME, o + 24, "text");
  bad_init(&x);
  {
    uint32_t idx = node_at(&x.img, "alpha/y");
    mb_vfs_image_node n;
    mb_vfs_image_node_get(&x.img, idx, &n);
    x.b[n.data - x.b + 2] = 0;
    expect(&x, MB_WV_ERR_IMAGE_BAD_NAME, node_off(&x.img, idx) + 24, "NUL");
  }
}

static void test_reader_tree_rules(void **state) {
  (void)state;
  bad x;
  size_t o;
  /* siblings out of order: swap the names of "beta" and "m" (same length? no: patch
   * the name offsets) */
  bad_init(&x);
  {
    size_t ob = node_off(&x.img, node_at(&x.img, "beta")), om = node_off(&x.img, node_at(&x.img, "m"));
    uint8_t tmp[6];
    memcpy(tmp, x.b + ob + 2, 6);
    memcpy(x.b + ob + 2, x.b + om + 2, 6);
    memcpy(x.b + om + 2, tmp, 6);
    expect(&x, MB_WV_ERR_IMAGE_BAD_ORDER, om + 4, "sorted");
  }
  bad_init(&x); /* a duplicate name */
  {
    size_t ob = node_off(&x.img, node_at(&x.img, "beta")), om = node_off(&x.img, node_at(&x.img, "m"));
    memcpy(x.b + om + 2, x.b + ob + 2, 6);
    expect(&x, MB_WV_ERR_IMAGE_BAD_ORDER, om + 4, "unique");
  }
  /* child ranges */
  bad_init(&x);
  o = node_off(&x.img, node_at(&x.img, "alpha"));
  put64(x.b + o + 16, 6);
  expect(&x, MB_WV_ERR_IMAGE_BAD_TREE, o + 16, "expected 5");
  bad_init(&x);
  o = node_off(&x.img, 0);
  put64(x.b + o + 24, 100);
  expect(&x, MB_WV_ERR_IMAGE_BAD_TREE, o + 24, "children");
  bad_init(&x); /* root lists fewer: node 4 ("zeta") has no parent before it */
  o = node_off(&x.img, 0);
  put64(x.b + o + 24, 3);
  expect(&x, MB_WV_ERR_IMAGE_BAD_TREE, node_off(&x.img, 1) + 16, "expected 4");
  bad_init(&x); /* the last directory lists one child fewer: a node nobody holds */
  o = node_off(&x.img, node_at(&x.img, "alpha/deep/er"));
  size_t last = node_off(&x.img, node_at(&x.img, "alpha/deep/er/file"));
  put64(x.b + o + 24, 0);
  expect(&x, MB_WV_ERR_IMAGE_BAD_TREE, last, "no directory");
  /* a directory that is its own child: a cycle */
  {
    mb_vfs_image_writer *w = mb_vfs_image_writer_new();
    assert_int_equal(mb_vfs_image_writer_add(w, 0, P("d"), MB_WASI_FILETYPE_DIRECTORY, NULL, 0, 0,
                                             NULL, NULL),
                     MB_WV_OK);
    mb_vfs_buf b;
    mb_vfs_buf_init(&b);
    assert_int_equal(mb_vfs_image_writer_finish(w, &b, NULL), MB_WV_OK);
    mb_vfs_image_writer_free(w);
    /* root: children [1, 2); d (node 1): make it list [1, 2) too */
    x.len = b.len;
    x.b = malloc(b.len);
    memcpy(x.b, b.data, b.len);
    mb_vfs_buf_fini(&b);
    assert_int_equal(mb_vfs_image_open(&x.img, x.b, x.len, NULL), MB_WV_OK);
    o = node_off(&x.img, 1);
    put64(x.b + o + 16, 1);
    put64(x.b + o + 24, 1);
    expect(&x, MB_WV_ERR_IMAGE_BAD_TREE, o + 16, "expected 2");
  }
}

/* ---- no input crashes ---- */

/* Mount an accepted image and read everything in it. */
static void exercise(const mb_vfs_image *img) {
  mb_vfs *vfs = mb_vfs_new();
  mb_vfs_file *root;
  assert_ok(mb_vfs_mount_embed(vfs, P("/e"), img, NULL));
  assert_ok(mb_vfs_mount_mem(vfs, P("/m"), img, 1 << 16, NULL));
  for (uint32_t id = 0; id < 2; id++) {
    assert_ok(mb_vfs_open_root(vfs, id, &root));
    /* walk by index: stat every node through its path from the image, read it */
    mb_vfs_file *stack[64];
    int depth = 0;
    stack[depth++] = root;
    while (depth) {
      mb_vfs_file *dir = stack[--depth];
      uint64_t cookie = 0;
      for (int guard = 0; guard < 10000; guard++) {
        mb_vfs_dirent ent;
        bool end;
        assert_ok(mb_vfs_dir_next(dir, cookie, &ent, &end));
        if (end) break;
        cookie = ent.next;
        char name[MB_VFS_NAME_MAX + 1];
        size_t nl = ent.name_len;
        memcpy(name, ent.name, nl);
        if ((nl == 1 && name[0] == '.') || (nl == 2 && name[0] == '.' && name[1] == '.')) continue;
        mb_vfs_file *f = NULL;
        char buf[256];
        size_t n;
        mb_wasi_errno e = mb_vfs_open(dir, MB_WASI_LOOKUP_SYMLINK_FOLLOW, name, nl, 0, RD, 0, &f);
        assert_true(e == MB_WASI_ESUCCESS || e == MB_WASI_ENOENT || e == MB_WASI_ELOOP ||
                    e == MB_WASI_ENOTCAPABLE || e == MB_WASI_ENOTDIR ||
                    e == MB_WASI_ENAMETOOLONG);
        (void)mb_vfs_readlink(dir, name, nl, buf, sizeof buf, &n);
        if (!f) continue;
        if (mb_vfs_file_filetype(f) == MB_WASI_FILETYPE_DIRECTORY && depth < 63 &&
            ent.type == MB_WASI_FILETYPE_DIRECTORY) {
          stack[depth++] = f;
          continue;
        }
        while (mb_vfs_read(f, buf, sizeof buf, &n) == MB_WASI_ESUCCESS && n) {
        }
        if (id == 1) (void)mb_vfs_pwrite(f, "w", 1, 0, &n);
        mb_vfs_close(f);
      }
      mb_vfs_close(dir);
    }
  }
  mb_vfs_free(vfs);
}

static void test_every_truncation_is_refused(void **state) {
  (void)state;
  size_t len;
  uint8_t *image = image_of(&len);
  for (size_t n = 0; n < len; n++) {
    uint8_t *cut = malloc(n ? n : 1); /* exact size: reads past the end hit a redzone */
    memcpy(cut, image, n);
    mb_vfs_image img;
    mb_wv_diag d;
    assert_int_not_equal(mb_vfs_image_open(&img, cut, n, &d), MB_WV_OK);
    free(cut);
  }
  free(image);
}

static void test_corruptions_never_crash(void **state) {
  (void)state;
  size_t len;
  uint8_t *image = image_of(&len);
  static const uint8_t values[] = {0x00, 0x01, 0x02, 0x03, 0x07, 0x2E, 0x2F, 0x7F, 0x80, 0xFF};
  long accepted = 0, refused = 0;
  for (size_t pos = 0; pos < len; pos++) {
    for (size_t v = 0; v < sizeof values + 2; v++) {
      uint8_t *copy = malloc(len);
      memcpy(copy, image, len);
      copy[pos] = v < sizeof values ? values[v] : v == sizeof values ? (uint8_t)(image[pos] ^ 1)
                                                                     : (uint8_t)(image[pos] + 1);
      mb_vfs_image img;
      mb_wv_diag d;
      if (mb_vfs_image_open(&img, copy, len, &d) == MB_WV_OK) {
        accepted++;
        exercise(&img);
      } else {
        refused++;
        assert_true(d.offset <= len);
        assert_true(d.message[0] != '\0');
      }
      free(copy);
    }
  }
  print_message("corruptions: %ld accepted and walked, %ld refused\n", accepted, refused);
  assert_true(accepted > 0 && refused > 0);
  free(image);
}

/* ---- the host-side builder ---- */

static char tmpl[] = "/tmp/mb-vfs-build-XXXXXX";

static void mkfile(const char *dir, const char *name, const char *data) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  fputs(data, f);
  fclose(f);
}

static void rm_rf(const char *path) {
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
  assert_int_equal(system(cmd), 0);
}

static char *make_host_tree(void) {
  char *dir = mkdtemp(strcpy(malloc(sizeof tmpl), tmpl));
  assert_non_null(dir);
  char p[512];
  mkfile(dir, "hello.txt", "hello, world\n");
  mkfile(dir, "empty", "");
  snprintf(p, sizeof p, "%s/sub", dir);
  assert_int_equal(mkdir(p, 0755), 0);
  snprintf(p, sizeof p, "%s/sub/deeper", dir);
  assert_int_equal(mkdir(p, 0755), 0);
  mkfile(dir, "sub/deeper/data.bin", "\x01\x02\x03");
  snprintf(p, sizeof p, "%s/sub/emptydir", dir);
  assert_int_equal(mkdir(p, 0755), 0);
  snprintf(p, sizeof p, "%s/rel", dir);
  assert_int_equal(symlink("sub/deeper/data.bin", p), 0);
  snprintf(p, sizeof p, "%s/abs", dir);
  assert_int_equal(symlink("/etc/passwd", p), 0);
  snprintf(p, sizeof p, "%s/dangling", dir);
  assert_int_equal(symlink("nowhere", p), 0);
  char q[512];
  snprintf(p, sizeof p, "%s/hello.txt", dir);
  snprintf(q, sizeof q, "%s/sub/hardlink", dir);
  assert_int_equal(link(p, q), 0);
  /* a known mtim, to the nanosecond */
  struct timespec ts[2] = {{1700000000, 123456789}, {1700000000, 123456789}};
  assert_int_equal(utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW), 0);
  return dir;
}

static void test_builder(void **state) {
  (void)state;
  char *dir = make_host_tree();
  mb_vfs_buf out;
  mb_vfs_buf_init(&out);
  mb_wv_diag d;
  if (mb_vfs_image_build_dir(dir, NULL, &out, &d)) fail_msg("%s", d.message);
  mb_vfs_image img;
  assert_int_equal(mb_vfs_image_open(&img, out.data, out.len, &d), MB_WV_OK);
  assert_int_equal(img.node_count, 1 + 10);
  mb_vfs_image_node n;
  mb_vfs_image_node_get(&img, node_at(&img, "hello.txt"), &n);
  assert_int_equal(n.mtim, 1700000000123456789u);
  assert_int_equal(n.size, 13);
  mb_vfs_image_node_get(&img, node_at(&img, "abs"), &n);
  assert_int_equal(n.type, MB_WASI_FILETYPE_SYMBOLIC_LINK);
  assert_memory_equal(n.data, "/etc/passwd", 11); /* verbatim; refused when followed */
  /* through a mount: contents, links, hard link copied */
  mb_vfs *vfs = mb_vfs_new();
  mb_vfs_file *root, *f;
  assert_ok(mb_vfs_mount_embed(vfs, P("/e"), &img, NULL));
  assert_ok(mb_vfs_open_root(vfs, 0, &root));
  char buf[64];
  size_t got;
  assert_ok(mb_vfs_open(root, MB_WASI_LOOKUP_SYMLINK_FOLLOW, P("rel"), 0, RD, 0, &f));
  assert_ok(mb_vfs_read(f, buf, sizeof buf, &got));
  assert_int_equal(got, 3);
  assert_memory_equal(buf, "\x01\x02\x03", 3);
  mb_vfs_close(f);
  assert_ok(mb_vfs_open(root, 0, P("sub/hardlink"), 0, RD, 0, &f));
  assert_ok(mb_vfs_read(f, buf, sizeof buf, &got));
  assert_int_equal(got, 13);
  mb_vfs_close(f);
  assert_errno(mb_vfs_open(root, MB_WASI_LOOKUP_SYMLINK_FOLLOW, P("abs"), 0, RD, 0, &f),
               MB_WASI_ENOTCAPABLE);
  mb_vfs_filestat st;
  assert_ok(mb_vfs_path_stat(root, 0, P("sub/emptydir"), &st));
  assert_int_equal(st.filetype, MB_WASI_FILETYPE_DIRECTORY);
  mb_vfs_close(root);
  mb_vfs_free(vfs);
  /* reproducible: fixed mtim gives identical bytes for identical trees */
  mb_vfs_build_options opt = {.fixed_mtim = true, .mtim = 42};
  mb_vfs_buf a, b;
  mb_vfs_buf_init(&a);
  mb_vfs_buf_init(&b);
  assert_int_equal(mb_vfs_image_build_dir(dir, &opt, &a, &d), MB_WV_OK);
  assert_int_equal(mb_vfs_image_build_dir(dir, &opt, &b, &d), MB_WV_OK);
  assert_int_equal(a.len, b.len);
  assert_memory_equal(a.data, b.data, a.len);
  /* limits */
  opt.max_nodes = 5;
  mb_vfs_buf_fini(&a);
  assert_int_equal(mb_vfs_image_build_dir(dir, &opt, &a, &d), MB_WV_ERR_IMAGE_TOO_BIG);
  opt.max_nodes = 0;
  opt.max_bytes = 20;
  assert_int_equal(mb_vfs_image_build_dir(dir, &opt, &a, &d), MB_WV_ERR_IMAGE_TOO_BIG);
  assert_int_equal(a.len, 0); /* nothing written on error */
  /* a fifo: refused, or skipped when asked */
  char p[512];
  snprintf(p, sizeof p, "%s/sub/fifo", dir);
  assert_int_equal(mkfifo(p, 0600), 0);
  assert_int_equal(mb_vfs_image_build_dir(dir, NULL, &a, &d), MB_WV_ERR_UNSUPPORTED);
  assert_non_null(strstr(d.message, "sub/fifo"));
  mb_vfs_build_options skip = {.skip_special = true};
  assert_int_equal(mb_vfs_image_build_dir(dir, &skip, &a, &d), MB_WV_OK);
  /* errors name the path */
  assert_int_equal(mb_vfs_image_build_dir("/nonexistent/mb-vfs", NULL, &b, &d), MB_WV_ERR_IO);
  assert_non_null(strstr(d.message, "/nonexistent/mb-vfs"));
  snprintf(p, sizeof p, "%s/hello.txt", dir);
  assert_int_equal(mb_vfs_image_build_dir(p, NULL, &b, &d), MB_WV_ERR_INVALID_ARG);
  /* single host paths under chosen names */
  mb_vfs_image_writer *w = mb_vfs_image_writer_new();
  uint32_t etc;
  assert_int_equal(mb_vfs_image_writer_add(w, 0, P("etc"), MB_WASI_FILETYPE_DIRECTORY, NULL, 0, 0,
                                           &etc, &d),
                   MB_WV_OK);
  assert_int_equal(mb_vfs_image_add_host(w, etc, "config.txt", p, NULL, &d), MB_WV_OK);
  snprintf(p, sizeof p, "%s/sub/", dir);
  assert_int_equal(mb_vfs_image_add_host(w, 0, NULL, p, &skip, &d), MB_WV_OK);
  mb_vfs_buf_fini(&b);
  assert_int_equal(mb_vfs_image_writer_finish(w, &b, &d), MB_WV_OK);
  mb_vfs_image_writer_free(w);
  assert_int_equal(mb_vfs_image_open(&img, b.data, b.len, &d), MB_WV_OK);
  mb_vfs_image_node_get(&img, node_at(&img, "etc/config.txt"), &n);
  assert_int_equal(n.size, 13);
  mb_vfs_image_node_get(&img, node_at(&img, "sub/deeper/data.bin"), &n);
  assert_int_equal(n.size, 3);
  mb_vfs_buf_fini(&a);
  mb_vfs_buf_fini(&b);
  mb_vfs_buf_fini(&out);
  rm_rf(dir);
  free(dir);
}

/* Writer and builder, failing each allocation in turn. */
static void test_builder_allocation_failures(void **state) {
  (void)state;
  char *dir = make_host_tree();
  long k, ok = 0;
  for (k = 1; k < 400; k++) {
    vt_alloc_install(k);
    mb_vfs_buf out;
    mb_vfs_buf_init(&out);
    mb_wv_diag d;
    mb_vfs_build_options opt = {.skip_special = true};
    mb_wv_err e = mb_vfs_image_build_dir(dir, &opt, &out, &d);
    assert_true(e == MB_WV_OK || e == MB_WV_ERR_NOMEM);
    if (e == MB_WV_OK) {
      ok++;
      mb_vfs_image img;
      assert_int_equal(mb_vfs_image_open(&img, out.data, out.len, &d), MB_WV_OK);
    }
    assert_int_equal(e == MB_WV_OK, g_vt_alloc.failed == false);
    mb_vfs_buf_fini(&out);
    mb_vfs_set_allocator(NULL, NULL);
    assert_int_equal(g_vt_alloc.live, 0);
    if (!g_vt_alloc.failed) break;
  }
  assert_true(ok == 1 && k > 10);
  vt_alloc_install(0);
  rm_rf(dir);
  free(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      VT_TEST(test_roundtrip),
      VT_TEST(test_writer_is_deterministic),
      VT_TEST(test_writer_refusals),
      VT_TEST(test_reader_header_rules),
      VT_TEST(test_reader_node_rules),
      VT_TEST(test_reader_tree_rules),
      VT_TEST(test_every_truncation_is_refused),
      VT_TEST(test_corruptions_never_crash),
      VT_TEST(test_builder),
      VT_TEST(test_builder_allocation_failures),
  };
  return cmocka_run_group_tests_name("wasi_virt_image", tests, NULL, NULL);
}
