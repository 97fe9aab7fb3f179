/* image_read.c — the image reader: one validating pass over the header and the node
 * table (no allocation), then accessors that point into the caller's bytes. The format
 * is described in membrane_wasi_virt.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vfs_internal.h"

static const uint8_t magic[8] = {0x7F, 'M', 'B', 'V', 'F', 'S', 0x0D, 0x0A};

mb_wv_err mb__image_fail(mb_wv_diag *diag, mb_wv_err code, uint64_t offset,
                         const char *fmt, ...) {
  if (diag) {
    diag->code = code;
    diag->offset = offset;
#ifdef MB_VFS_TERSE
    /* The wasm32 build reads images the builder made: no printf family there (it
     * would pull in stdio, ~14 KB, and fd_write/fd_seek/fd_close imports). */
    (void)fmt;
    const char *name = mb_wv_err_name(code);
    size_t n = strlen(name);
    memcpy(diag->message, name, n + 1 <= sizeof diag->message ? n + 1 : 0);
#else
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(diag->message, sizeof diag->message, fmt, ap);
    va_end(ap);
#endif
  }
  return code;
}

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

int mb__name_cmp(const char *a, size_t alen, const char *b, size_t blen) {
  int c = memcmp(a, b, alen < blen ? alen : blen);
  if (c) return c;
  return alen < blen ? -1 : alen > blen;
}

bool mb__name_ok(const char *name, size_t len) {
  if (len == 0 || len > MB_VFS_NAME_MAX) return false;
  if (memchr(name, '/', len) || memchr(name, '\0', len)) return false;
  if (name[0] == '.' && (len == 1 || (len == 2 && name[1] == '.'))) return false;
  return true;
}

/* off + len within size, without overflow. */
static bool in_range(uint64_t off, uint64_t len, size_t size) {
  return off <= size && len <= size - off;
}

mb_wv_err mb_vfs_image_open(mb_vfs_image *img, const void *data_, size_t size,
                            mb_wv_diag *diag) {
  const uint8_t *data = data_;
  memset(img, 0, sizeof *img);
  if (diag) memset(diag, 0, sizeof *diag);
  if (!data || size < MB_VFS_IMAGE_HEADER_SIZE)
    return mb__image_fail(diag, MB_WV_ERR_IMAGE_TRUNCATED, data ? size : 0,
                          "unexpected end: %zu bytes, the header alone has %d", data ? size : 0,
                          MB_VFS_IMAGE_HEADER_SIZE);
  if (memcmp(data, magic, sizeof magic) != 0)
    return mb__image_fail(diag, MB_WV_ERR_IMAGE_BAD_MAGIC, 0, "magic header not detected");
  uint32_t version = rd32(data + 8), flags = rd32(data + 12);
  if (version != MB_VFS_IMAGE_VERSION)
    return mb__image_fail(diag, MB_WV_ERR_IMAGE_BAD_VERSION, 8,
                          "unknown image version %u (this reader knows %d)", version,
                          MB_VFS_IMAGE_VERSION);
  if (flags != 0)
    return mb__image_fail(diag, MB_WV_ERR_IMAGE_BAD_HEADER, 12, "unknown flags 0x%x", flags);
  uint64_t declared = rd64(data + 16);
  if (declared > size)
    return mb__image_fail(diag, MB_WV_ERR_IMAGE_TRUNCATED, size,
                          "unexpected end: the image declares %llu bytes, %zu are present",
                          (unsigned long long)declared, size);
  if (declared < size)
    return mb__image_fail(diag, MB_WV_ERR_IMAGE_BAD_HEADER, 16,
                          "the image declares %llu bytes but %zu were given",
                          (unsigned long long)declared, size);
  uint32_t n = rd32(data + 24), table = rd32(data + 28);
  if (n == 0)
    return mb__image_fail(diag, MB_WV_ERR_IMAGE_BAD_HEADER, 24, "no nodes (the root is missing)");
  if (n > MB_VFS_IMAGE_MAX_NODES)
    return mb__image_fail(diag, MB_WV_ERR_IMAGE_TOO_BIG, 24, "%u nodes, more than the limit %u", n,
                          MB_VFS_IMAGE_MAX_NODES);
  if (table < MB_VFS_IMAGE_HEADER_SIZE || !in_range(table, (uint64_t)n * MB_VFS_IMAGE_NODE_SIZE, size))
    return mb__image_fail(diag, MB_WV_ERR_IMAGE_BAD_RANGE, 28,
                          "node table of %u nodes at offset %u is outside the image", n, table);

  /* Pass 1: each node on its own, and the breadth-first tiling: the child ranges of
   * the directories, in node order, must continue exactly where the previous ended. */
  uint64_t next_child = 1;
  for (uint32_t i = 0; i < n; i++) {
    uint64_t o = table + (uint64_t)i * MB_VFS_IMAGE_NODE_SIZE;
    const uint8_t *p = data + o;
    uint8_t type = p[0];
    if (type != MB_WASI_FILETYPE_DIRECTORY && type != MB_WASI_FILETYPE_REGULAR_FILE &&
        type != MB_WASI_FILETYPE_SYMBOLIC_LINK)
      return mb__image_fail(diag, MB_WV_ERR_IMAGE_BAD_NODE, o, "node %u: unknown type %u", i, type);
    if (p[1] != 0)
      return mb__image_fail(diag, MB_WV_ERR_IMAGE_BAD_NODE, o + 1, "node %u: reserved byte is 0x%02x",
                            i, p[1]);
    uint16_t name_len = rd16(p + 2);
    uint32_t name_off = rd32(p + 4);
    uint64_t a = rd64(p + 16), b = rd64(p + 24);
    if (i == 0) {
      if (type != MB_WASI_FILETYPE_DIRECTORY)
        return mb__image_fail(diag, MB_WV_ERR_IMAGE_BAD_NODE, o, "the root (node 0) is not a directory");
      if (name_len != 0)
        return mb__image_fail(diag, MB_WV_ERR_IMAGE_BAD_NAME, o + 2, "the root (node 0) has a name");
    } else {
      if (next_child <= i)
        return mb__image_fail(diag, MB_WV_ERR_IMAGE_BAD_TREE, o,
                              "node %u is in no directory listed before it", i);
      if (!in_range(name_off, name_len, size))
        return mb__image_fail(diag, MB_WV_ERR_IMAGE_BAD_RANGE, o + 4,
                              "node %u: name of %u bytes at offset %u is outside the image", i,
                              name_len, name_off);
      if (!mb__name_ok((const char *)data + name_off, name_len))
        return mb__image_fail(diag, MB_WV_ERR_IMAGE_BAD_NAME, o + 2,
                              "node %u: a name must be 1..%d bytes without '/' or NUL and not "
                              "\".\" or \"..\"",
                              i, MB_VFS_NAME_MAX);
    }
    if (type == MB_WASI_FILETYPE_DIRECTORY) {
      if (a != next_child)
        return mb__image_fail(diag, MB_WV_ERR_IMAGE_BAD_TREE, o + 16,
                              "directory node %u: children start at %llu, expected %llu", i,
                              (unsigned long long)a, (unsigned long long)next_child);
      if (b > n - next_child)
        return mb__image_fail(diag, MB_WV_ERR_IMAGE_BAD_TREE, o + 24,
                              "directory node %u: %llu children, only %llu nodes follow", i,
                              (unsigned long long)b, (unsigned long long)(n - next_child));
      next_child += b;
    } else {
      if (!in_range(a, b, size))
        return mb__image_fail(diag, MB_WV_ERR_IMAGE_BAD_RANGE, o + 16,
                              "node %u: %llu bytes at offset %llu are outside the image", i,
                              (unsigned long long)b, (unsigned long long)a);
      if (type == MB_WASI_FILETYPE_SYMBOLIC_LINK &&
          (b == 0 || b >= MB_VFS_PATH_MAX || memchr(data + a, '\0', (size_t)b)))
        return mb__image_fail(diag, MB_WV_ERR_IMAGE_BAD_NAME, o + 24,
                              "symlink node %u: the text must be 1..%d bytes without NUL", i,
                              MB_VFS_PATH_MAX - 1);
    }
  }
  if (next_child != n)
    return mb__image_fail(diag, MB_WV_ERR_IMAGE_BAD_TREE, table,
                          "the directories hold %llu nodes, the table has %u",
                          (unsigned long long)next_child, n);

  img->data = data;
  img->size = size;
  img->node_count = n;
  img->nodes_offset = table;

  /* Pass 2: siblings strictly increasing (names are valid and in range by now). */
  for (uint32_t i = 0; i < n; i++) {
    mb_vfs_image_node dir, prev, cur;
    mb_vfs_image_node_get(img, i, &dir);
    if (dir.type != MB_WASI_FILETYPE_DIRECTORY || dir.child_count < 2) continue;
    mb_vfs_image_node_get(img, dir.first_child, &prev);
    for (uint32_t k = 1; k < dir.child_count; k++) {
      mb_vfs_image_node_get(img, dir.first_child + k, &cur);
      if (mb__name_cmp(prev.name, prev.name_len, cur.name, cur.name_len) >= 0) {
        uint64_t o = table + (uint64_t)(dir.first_child + k) * MB_VFS_IMAGE_NODE_SIZE + 4;
        memset(img, 0, sizeof *img);
        return mb__image_fail(diag, MB_WV_ERR_IMAGE_BAD_ORDER, o,
                              "node %u: name not after its previous sibling's (children of "
                              "node %u must be sorted and unique)",
                              dir.first_child + k, i);
      }
      prev = cur;
    }
  }
  return MB_WV_OK;
}

void mb_vfs_image_node_get(const mb_vfs_image *img, uint32_t index, mb_vfs_image_node *out) {
  const uint8_t *p = img->data + img->nodes_offset + (size_t)index * MB_VFS_IMAGE_NODE_SIZE;
  memset(out, 0, sizeof *out);
  out->type = p[0];
  out->name_len = rd16(p + 2);
  /* the root's name offset is not checked (it has no name): never form that pointer */
  out->name = (const char *)img->data + (out->name_len ? rd32(p + 4) : 0);
  out->mtim = rd64(p + 8);
  uint64_t a = rd64(p + 16), b = rd64(p + 24);
  if (out->type == MB_WASI_FILETYPE_DIRECTORY) {
    out->first_child = (uint32_t)a;
    out->child_count = (uint32_t)b;
    out->size = b;
  } else {
    out->data = img->data + a;
    out->size = b;
  }
}

bool mb_vfs_image_lookup(const mb_vfs_image *img, uint32_t dir, const char *name, size_t len,
                         uint32_t *child) {
  mb_vfs_image_node d, c;
  mb_vfs_image_node_get(img, dir, &d);
  if (d.type != MB_WASI_FILETYPE_DIRECTORY) return false;
  uint32_t lo = d.first_child, hi = d.first_child + d.child_count;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    mb_vfs_image_node_get(img, mid, &c);
    int cmp = mb__name_cmp(name, len, c.name, c.name_len);
    if (cmp == 0) {
      *child = mid;
      return true;
    }
    if (cmp < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  return false;
}
