/* image_write.c — builds an image in memory and serializes it (portable: the host-side
 * builder and the tests use it; the format is in membrane_wasi_virt.h). */
#include <stdlib.h>
#include <string.h>

#include "vfs_internal.h"

typedef struct wnode {
  uint8_t type;
  uint16_t name_len;
  char *name;
  uint64_t mtim;
  uint8_t *data; /* file contents or symlink text */
  size_t size;
  uint32_t *kids; /* directories: children ids in the order added */
  uint32_t nkids, kids_cap;
} wnode;

struct mb_vfs_image_writer {
  wnode *nodes;
  uint32_t n, cap;
  mb_allocator alloc;
};

mb_vfs_image_writer *mb_vfs_image_writer_new(const mb_allocator *alloc) {
  mb_vfs_image_writer *w = mb_mem_calloc(alloc, 1, sizeof *w);
  if (!w) return NULL;
  w->alloc = mb_allocator_of(alloc);
  w->nodes = mb_mem_calloc(&w->alloc, 16, sizeof *w->nodes);
  if (!w->nodes) {
    mb_mem_free(alloc, w);
    return NULL;
  }
  w->cap = 16;
  w->n = 1;
  w->nodes[0].type = MB_WASI_FILETYPE_DIRECTORY;
  return w;
}

const mb_allocator *mb__image_writer_alloc(const mb_vfs_image_writer *w) { return &w->alloc; }

void mb_vfs_image_writer_free(mb_vfs_image_writer *w) {
  if (!w) return;
  for (uint32_t i = 0; i < w->n; i++) {
    mb_mem_free(&w->alloc, w->nodes[i].name);
    mb_mem_free(&w->alloc, w->nodes[i].data);
    mb_mem_free(&w->alloc, w->nodes[i].kids);
  }
  mb_mem_free(&w->alloc, w->nodes);
  mb_allocator a = w->alloc;
  mb_mem_free(&a, w);
}

void mb_vfs_image_writer_set_mtim(mb_vfs_image_writer *w, uint32_t id, uint64_t mtim) {
  if (id < w->n) w->nodes[id].mtim = mtim;
}

mb_wv_err mb_vfs_image_writer_add(mb_vfs_image_writer *w, uint32_t parent, const char *name,
                                  size_t name_len, uint8_t type, const void *data,
                                  size_t size, uint64_t mtim, uint32_t *id,
                                  mb_wv_diag *diag) {
  if (parent >= w->n || w->nodes[parent].type != MB_WASI_FILETYPE_DIRECTORY)
    return mb__image_fail(diag, MB_WV_ERR_INVALID_ARG, 0, "parent %u is not a directory", parent);
  if (!name || !mb__name_ok(name, name_len))
    return mb__image_fail(diag, MB_WV_ERR_INVALID_ARG, 0,
                          "a name must be 1..%d bytes without '/' or NUL and not \".\" or \"..\"",
                          MB_VFS_NAME_MAX);
  if (type == MB_WASI_FILETYPE_DIRECTORY) {
    data = NULL;
    size = 0;
  } else if (type == MB_WASI_FILETYPE_SYMBOLIC_LINK) {
    if (size == 0 || size >= MB_VFS_PATH_MAX || !data || memchr(data, '\0', size))
      return mb__image_fail(diag, MB_WV_ERR_INVALID_ARG, 0,
                            "symlink %.*s: the text must be 1..%d bytes without NUL", (int)name_len,
                            name, MB_VFS_PATH_MAX - 1);
  } else if (type != MB_WASI_FILETYPE_REGULAR_FILE) {
    return mb__image_fail(diag, MB_WV_ERR_INVALID_ARG, 0, "node type %u is not a directory, "
                          "regular file or symlink", type);
  } else if (size && !data) {
    return mb__image_fail(diag, MB_WV_ERR_INVALID_ARG, 0, "file %.*s: no data", (int)name_len,
                          name);
  }
  if (w->n >= MB_VFS_IMAGE_MAX_NODES)
    return mb__image_fail(diag, MB_WV_ERR_IMAGE_TOO_BIG, 0, "more than %u nodes",
                          MB_VFS_IMAGE_MAX_NODES);
  if (w->n == w->cap) {
    wnode *p = mb_mem_realloc(&w->alloc, w->nodes, (size_t)w->cap * 2 * sizeof *p);
    if (!p) goto nomem;
    w->nodes = p;
    w->cap *= 2;
  }
  wnode *par = &w->nodes[parent];
  if (par->nkids == par->kids_cap) {
    uint32_t cap = par->kids_cap ? par->kids_cap * 2 : 8;
    uint32_t *k = mb_mem_realloc(&w->alloc, par->kids, (size_t)cap * sizeof *k);
    if (!k) goto nomem;
    par->kids = k;
    par->kids_cap = cap;
  }
  wnode nn = {0};
  nn.type = type;
  nn.name_len = (uint16_t)name_len;
  nn.mtim = mtim;
  nn.size = size;
  if (!(nn.name = mb_mem_alloc(&w->alloc, name_len))) goto nomem;
  memcpy(nn.name, name, name_len);
  if (size) {
    if (!(nn.data = mb_mem_alloc(&w->alloc, size))) {
      mb_mem_free(&w->alloc, nn.name);
      goto nomem;
    }
    memcpy(nn.data, data, size);
  }
  uint32_t nid = w->n++;
  w->nodes[nid] = nn;
  par->kids[par->nkids++] = nid;
  if (id) *id = nid;
  return MB_WV_OK;
nomem:
  return mb__image_fail(diag, MB_WV_ERR_NOMEM, 0, "out of memory");
}

static int by_name(const void *a, const void *b) {
  const wnode *x = *(const wnode *const *)a, *y = *(const wnode *const *)b;
  return mb__name_cmp(x->name, x->name_len, y->name, y->name_len);
}

static void put16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void put64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

mb_wv_err mb_vfs_image_writer_finish(const mb_vfs_image_writer *w, mb_buf *out,
                                     mb_wv_diag *diag) {
  mb_wv_err err = MB_WV_OK;
  uint32_t n = w->n;
  /* Breadth-first order: order[i] is the node written at index i; first[i] the index
   * of its first child. */
  const wnode **order = mb_mem_calloc(&w->alloc, n, sizeof *order);
  uint32_t *first = mb_mem_calloc(&w->alloc, n, sizeof *first);
  if (!order || !first) {
    err = mb__image_fail(diag, MB_WV_ERR_NOMEM, 0, "out of memory");
    goto out;
  }
  order[0] = &w->nodes[0];
  uint32_t next = 1;
  uint64_t names = 0, bytes = 0;
  for (uint32_t i = 0; i < next; i++) {
    const wnode *d = order[i];
    names += d->name_len;
    bytes += d->size;
    first[i] = next;
    if (d->type != MB_WASI_FILETYPE_DIRECTORY || d->nkids == 0) continue;
    for (uint32_t k = 0; k < d->nkids; k++) order[next + k] = &w->nodes[d->kids[k]];
    qsort(order + next, d->nkids, sizeof *order, by_name);
    for (uint32_t k = 1; k < d->nkids; k++)
      if (by_name(&order[next + k - 1], &order[next + k]) == 0) {
        const wnode *dup = order[next + k];
        err = mb__image_fail(diag, MB_WV_ERR_INVALID_ARG, 0,
                             "two entries named \"%.*s\" in one directory", (int)dup->name_len,
                             dup->name);
        goto out;
      }
    next += d->nkids;
  }
  /* every node was added under a directory, so all are reached */
  uint64_t table = MB_VFS_IMAGE_HEADER_SIZE;
  uint64_t names_at = table + (uint64_t)n * MB_VFS_IMAGE_NODE_SIZE;
  uint64_t data_at = names_at + names;
  uint64_t total = data_at + bytes;
  if (data_at > UINT32_MAX || total > SIZE_MAX - out->len || total < data_at) {
    err = mb__image_fail(diag, MB_WV_ERR_IMAGE_TOO_BIG, 0,
                         "the image would be %llu bytes (names must end below 4 GiB)",
                         (unsigned long long)total);
    goto out;
  }
  if (!mb_buf_reserve(out, (size_t)total)) {
    err = mb__image_fail(diag, MB_WV_ERR_NOMEM, 0, "out of memory for %llu bytes",
                         (unsigned long long)total);
    goto out;
  }
  uint8_t *base = out->data + out->len;
  memset(base, 0, (size_t)total);
  static const uint8_t magic[8] = {0x7F, 'M', 'B', 'V', 'F', 'S', 0x0D, 0x0A};
  memcpy(base, magic, 8);
  put32(base + 8, MB_VFS_IMAGE_VERSION);
  put32(base + 12, 0);
  put64(base + 16, total);
  put32(base + 24, n);
  put32(base + 28, (uint32_t)table);
  uint64_t name_pos = names_at, data_pos = data_at;
  for (uint32_t i = 0; i < n; i++) {
    const wnode *d = order[i];
    uint8_t *p = base + table + (uint64_t)i * MB_VFS_IMAGE_NODE_SIZE;
    p[0] = d->type;
    put16(p + 2, d->name_len);
    put32(p + 4, d->name_len ? (uint32_t)name_pos : 0);
    if (d->name_len) memcpy(base + name_pos, d->name, d->name_len);
    name_pos += d->name_len;
    put64(p + 8, d->mtim);
    if (d->type == MB_WASI_FILETYPE_DIRECTORY) {
      put64(p + 16, first[i]);
      put64(p + 24, d->nkids);
    } else {
      put64(p + 16, data_pos);
      put64(p + 24, d->size);
      if (d->size) memcpy(base + data_pos, d->data, d->size);
      data_pos += d->size;
    }
  }
  out->len += (size_t)total;
out:
  mb_mem_free(&w->alloc, order);
  mb_mem_free(&w->alloc, first);
  return err;
}
