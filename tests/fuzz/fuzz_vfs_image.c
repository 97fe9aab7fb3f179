/* fuzz_vfs_image.c — the wasi-virt image reader on any bytes.
 *
 * What must hold: mb_vfs_image_open either refuses the input with a diagnostic (a code,
 * an offset inside the input, a message) or accepts an image whose every node reads
 * back in range, whose children are sorted and found again by lookup; the accepted
 * image then mounts as an embed and as a mem mount over it, and a bounded walk of both
 * (readdir, stat, open through symlinks, read, readlink; on the mem mount also a write,
 * a rename and an unlink per file) never crashes, and leaks nothing.
 *
 * Each input runs twice: once normally, once with the k-th allocation of the library
 * failing (k from the input's hash; every k with MB_FUZZ_OOM_SWEEP=1). The second run
 * must see ENOMEM from some call or produce exactly the first run's digest.
 *
 * Self-contained (fuzz_common.h is for the linker library's allocator hook). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "membrane_wasi_virt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond, ...)                                                            \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      fprintf(stderr, "%s:%d: property failed: %s: ", __FILE__, __LINE__, #cond);   \
      fprintf(stderr, __VA_ARGS__);                                                 \
      fputc('\n', stderr);                                                          \
      abort();                                                                      \
    }                                                                               \
  } while (0)

static uint64_t hash(uint64_t h, const void *p, size_t n) {
  const uint8_t *b = p;
  for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001B3u;
  return h;
}
#define HASH_INIT 0xCBF29CE484222325u

/* ---- allocation failure injection ---- */

typedef struct alloc {
  uint64_t count, fail_at;
  bool failed;
} alloc;

static void *fz_realloc(void *ptr, size_t size, void *user) {
  alloc *a = user;
  if (size == 0) {
    free(ptr);
    return NULL;
  }
  if (++a->count == a->fail_at) {
    a->failed = true;
    return NULL;
  }
  return realloc(ptr, size);
}

/* ---- one run ---- */

typedef struct run {
  uint64_t digest;
  bool nomem;   /* some call reported ENOMEM */
  unsigned work; /* bounded: a deep or wide image must not take forever */
} run;

enum { WORK_MAX = 4000, DEPTH_MAX = 48 };

static void note(run *r, mb_wasi_errno e) {
  if (e == MB_WASI_ENOMEM) r->nomem = true;
  r->digest = hash(r->digest, &e, sizeof e);
}

static void walk(run *r, mb_vfs_file *dir, bool writable, int depth) {
  uint64_t cookie = 0;
  while (r->work < WORK_MAX) {
    r->work++;
    mb_vfs_dirent ent;
    bool end;
    mb_wasi_errno e = mb_vfs_dir_next(dir, cookie, &ent, &end);
    note(r, e);
    if (e || end) return;
    cookie = ent.next;
    char name[MB_VFS_NAME_MAX + 1];
    size_t nl = ent.name_len;
    CHECK(nl >= 1 && nl <= MB_VFS_NAME_MAX, "entry name of %zu bytes", nl);
    memcpy(name, ent.name, nl);
    r->digest = hash(r->digest, name, nl);
    if ((nl == 1 && name[0] == '.') || (nl == 2 && name[0] == '.' && name[1] == '.')) continue;
    mb_vfs_filestat st;
    e = mb_vfs_path_stat(dir, 0, name, nl, &st);
    note(r, e);
    if (!e) {
      CHECK(st.ino == ent.ino && st.filetype == ent.type, "readdir and stat disagree");
      r->digest = hash(r->digest, &st.size, sizeof st.size);
    }
    char text[64];
    size_t n = 0;
    e = mb_vfs_readlink(dir, name, nl, text, sizeof text, &n);
    note(r, e);
    r->digest = hash(r->digest, text, n);
    mb_vfs_file *f = NULL;
    e = mb_vfs_open(dir, MB_WASI_LOOKUP_SYMLINK_FOLLOW, name, nl, 0, MB_VFS_ACCESS_READ, 0, &f);
    note(r, e);
    if (!f) continue;
    if (mb_vfs_file_filetype(f) == MB_WASI_FILETYPE_DIRECTORY) {
      if (depth < DEPTH_MAX && ent.type == MB_WASI_FILETYPE_DIRECTORY) walk(r, f, writable, depth + 1);
    } else {
      uint8_t buf[512];
      while (r->work < WORK_MAX) {
        r->work++;
        e = mb_vfs_read(f, buf, sizeof buf, &n);
        note(r, e);
        if (e || n == 0) break;
        r->digest = hash(r->digest, buf, n);
      }
    }
    mb_vfs_close(f);
    if (!writable || ent.type != MB_WASI_FILETYPE_REGULAR_FILE) continue;
    /* change it: copy-on-write, a new name, then away */
    e = mb_vfs_open(dir, 0, name, nl, 0, MB_VFS_ACCESS_WRITE, 0, &f);
    note(r, e);
    if (!e) {
      note(r, mb_vfs_pwrite(f, "w", 1, 0, &n));
      mb_vfs_close(f);
    }
    note(r, mb_vfs_rename(dir, name, nl, dir, "renamed.fz", 10));
    note(r, mb_vfs_unlink(dir, "renamed.fz", 10));
  }
}

static void one_run(run *r, const mb_vfs_image *img) {
  r->digest = HASH_INIT;
  r->nomem = false;
  r->work = 0;
  mb_vfs *vfs = mb_vfs_new();
  if (!vfs) {
    r->nomem = true;
    return;
  }
  note(r, mb_vfs_mount_embed(vfs, "/e", 2, img, NULL));
  note(r, mb_vfs_mount_mem(vfs, "/m", 2, img, 1 << 16, NULL));
  for (uint32_t id = 0; id < mb_vfs_mount_count(vfs); id++) {
    mb_vfs_file *root = NULL;
    mb_wasi_errno e = mb_vfs_open_root(vfs, id, &root);
    note(r, e);
    if (e) continue;
    r->work = 0;
    walk(r, root, id == 1, 0);
    mb_vfs_close(root);
  }
  mb_vfs_free(vfs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mb_vfs_image img;
  mb_wv_diag d;
  mb_wv_err err = mb_vfs_image_open(&img, data, size, &d);
  if (err) {
    CHECK(d.code == err, "diag code %d, returned %d", (int)d.code, (int)err);
    CHECK(d.offset <= size, "offset %llu past the input (%zu bytes)",
          (unsigned long long)d.offset, size);
    CHECK(d.message[0], "no message");
    CHECK(img.data == NULL && img.node_count == 0, "image not cleared on error");
    return 0;
  }
  CHECK(img.node_count >= 1 && img.size == size, "bad view");
  /* accessors: every node in range; children sorted and found again */
  for (uint32_t i = 0; i < img.node_count; i++) {
    mb_vfs_image_node n;
    mb_vfs_image_node_get(&img, i, &n);
    if (i) {
      CHECK((const uint8_t *)n.name >= data && (const uint8_t *)n.name + n.name_len <= data + size,
            "node %u: name out of range", i);
    }
    if (n.type != MB_WASI_FILETYPE_DIRECTORY) {
      CHECK(n.data >= data && n.size <= (uint64_t)(data + size - n.data), "node %u: data", i);
      continue;
    }
    CHECK(n.first_child > i || n.child_count == 0, "node %u: child before parent", i);
    for (uint32_t k = 0; k < n.child_count; k++) {
      mb_vfs_image_node c;
      uint32_t found;
      mb_vfs_image_node_get(&img, n.first_child + k, &c);
      CHECK(mb_vfs_image_lookup(&img, i, c.name, c.name_len, &found) && found == n.first_child + k,
            "node %u: child %u not found by name", i, n.first_child + k);
    }
  }
  /* the filesystem over it, then again with one allocation failing */
  alloc a = {0, 0, false};
  mb_vfs_set_allocator(fz_realloc, &a);
  run first;
  one_run(&first, &img);
  uint64_t total = a.count;
  mb_vfs_set_allocator(NULL, NULL);
  CHECK(!first.nomem, "ENOMEM without an injected failure");
  if (total == 0) return 0;
  static int sweep = -1;
  if (sweep < 0) sweep = getenv("MB_FUZZ_OOM_SWEEP") != NULL;
  uint64_t lo = 1 + hash(HASH_INIT, data, size) % total, hi = lo;
  if (sweep) lo = 1, hi = total;
  for (uint64_t k = lo; k <= hi; k++) {
    a = (alloc){0, k, false};
    mb_vfs_set_allocator(fz_realloc, &a);
    run second;
    one_run(&second, &img);
    mb_vfs_set_allocator(NULL, NULL);
    if (!second.nomem)
      CHECK(second.digest == first.digest,
            "allocation %llu of %llu failed%s, nothing reported ENOMEM, and the walk differs",
            (unsigned long long)k, (unsigned long long)total, a.failed ? "" : " (not reached)");
  }
  return 0;
}
