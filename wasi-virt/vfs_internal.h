/* vfs_internal.h — private to wasi-virt: allocation, the node and mount structures,
 * the per-kind operations table, the path walker. */
#ifndef MB_WASI_VIRT_INTERNAL_H
#define MB_WASI_VIRT_INTERNAL_H

#include "membrane_wasi_virt.h"

/* ---- allocation ----
 * Everything comes from an mb_allocator (membrane_alloc.h) given at creation: a
 * filesystem's from mb_vfs_new's (its mounts, nodes and open files use it), a policy's
 * from mb_wv_policy_init's, an image writer's from its own. */
#define MB__MOUNT_ALLOC(m) (&(m)->vfs->alloc)
#define MB__NODE_ALLOC(n) (&(n)->mount->vfs->alloc)
/* The allocator of an image writer (image_write.c), for the host-side builder. */
const mb_allocator *mb__image_writer_alloc(const mb_vfs_image_writer *w);

/* ---- policy diagnostics (policy_opts.c; native only) ---- */
/* Fill d (if non-NULL; where may be NULL) and return code. */
mb_wv_err mb__policy_fail(mb_wv_diag *d, mb_wv_err code,
                          const char *where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- images (image_read.c) ---- */
/* Fill diag (if non-NULL) and return code. */
mb_wv_err mb__image_fail(mb_wv_diag *diag, mb_wv_err code, uint64_t offset,
                         const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Bytewise order of names, shorter first on a common prefix. */
int mb__name_cmp(const char *a, size_t alen, const char *b, size_t blen);
/* A valid component: 1..NAME_MAX bytes, no '/', no NUL, not "." or "..". */
bool mb__name_ok(const char *name, size_t len);

/* ---- nodes ----
 * A node is what a file, a directory of the path walker, or a directory entry refers
 * to. Every node starts with mb__node; `refs` counts open files and walker stack slots
 * (names are counted apart, by the mem kind). When refs drops to 0 the mount's kind
 * decides whether it goes away. */
typedef struct mb__mount mb__mount;
typedef struct mb__node {
  uint32_t refs;
  uint8_t type; /* MB_WASI_FILETYPE_* */
  mb__mount *mount;
} mb__node;

static inline mb__node *mb__node_ref(mb__node *n) {
  n->refs++;
  return n;
}
void mb__node_unref(mb__node *n); /* NULL is a no-op */

/* What readdir backends hand to their consumer, one entry at a time. */
typedef struct mb__dirent_view {
  uint64_t next;
  uint64_t ino;
  uint8_t type;
  const char *name;
  size_t name_len;
} mb__dirent_view;
/* Return false to stop the listing. */
typedef bool (*mb__dirent_cb)(void *ctx, const mb__dirent_view *ent);

/* The operations each kind of mount provides. `name` arguments are single components
 * already checked by the walker (1..NAME_MAX bytes, no '/', no NUL, not "."/".."), and
 * `dir` arguments directories of the same mount. *_at calls never follow a final
 * symlink. Read-only refusals are made by the caller (path_ops.c, file_ops.c). */
typedef struct mb__fs_ops {
  /* One intermediate step of a walk: a directory child → *child (a new reference); a
   * symlink → *child NULL and its text in link[0..*link_len) (cap MB_VFS_PATH_MAX;
   * ENAMETOOLONG if longer); anything else ENOTDIR; absent ENOENT. */
  mb_wasi_errno (*step)(mb__node *dir, const char *name, size_t len, mb__node **child,
                        char *link, size_t *link_len);
  /* Open without following: a final symlink gives ELOOP (EEXIST with creat|excl).
   * Checks existence, excl, directory/notdir/isdir rules; creates with creat. */
  mb_wasi_errno (*open_at)(mb__node *dir, const char *name, size_t len, uint16_t oflags,
                           uint32_t access, uint16_t fdflags, mb__node **out);
  mb_wasi_errno (*stat_at)(mb__node *dir, const char *name, size_t len, mb_vfs_filestat *st);
  /* EINVAL if not a symlink. Copies min(cap, length) bytes; *n = bytes copied. */
  mb_wasi_errno (*readlink_at)(mb__node *dir, const char *name, size_t len, char *buf,
                               size_t cap, size_t *n);
  mb_wasi_errno (*set_times_at)(mb__node *dir, const char *name, size_t len, uint64_t atim,
                                uint64_t mtim, uint16_t fst);
  mb_wasi_errno (*mkdir_at)(mb__node *dir, const char *name, size_t len);
  mb_wasi_errno (*rmdir_at)(mb__node *dir, const char *name, size_t len);
  mb_wasi_errno (*unlink_at)(mb__node *dir, const char *name, size_t len);
  mb_wasi_errno (*symlink_at)(const char *text, size_t text_len, mb__node *dir,
                              const char *name, size_t len);
  mb_wasi_errno (*rename_at)(mb__node *dir, const char *name, size_t len, mb__node *new_dir,
                             const char *new_name, size_t new_len);
  mb_wasi_errno (*link_at)(mb__node *dir, const char *name, size_t len, mb__node *new_dir,
                           const char *new_name, size_t new_len);
  /* on nodes (files and directories) */
  mb_wasi_errno (*stat)(mb__node *n, mb_vfs_filestat *st);
  mb_wasi_errno (*pread)(mb__node *n, void *buf, size_t len, uint64_t off, size_t *got);
  /* append: write at the end, whatever off says. *end: the offset after the last byte
   * written. */
  mb_wasi_errno (*pwrite)(mb__node *n, const void *buf, size_t len, uint64_t off, bool append,
                          size_t *put, uint64_t *end);
  mb_wasi_errno (*set_size)(mb__node *n, uint64_t size);
  mb_wasi_errno (*set_times)(mb__node *n, uint64_t atim, uint64_t mtim, uint16_t fst);
  /* fd_sync / fd_datasync; NULL: the kind keeps nothing more durable than memory (mem) */
  mb_wasi_errno (*sync)(mb__node *n, bool data_only);
  /* Entries from cookie on, "." and ".." included, until cb returns false. */
  mb_wasi_errno (*readdir)(mb__node *n, uint64_t cookie, mb__dirent_cb cb, void *ctx);
  /* refs reached 0 */
  void (*released)(mb__node *n);
  /* the mount goes away (all files are closed): free everything */
  void (*unmount)(mb__mount *m);
} mb__fs_ops;

/* ---- mem kind (mem.c, mem_dir.c) ---- */
typedef struct mb__mnode mb__mnode;

typedef struct mb__dent {
  const char *name; /* owned (name_owned) or in the image */
  mb__mnode *node;  /* NULL: a deleted entry kept for the cookie order */
  uint64_t seq;     /* readdir position: increasing in the array */
  uint32_t hash;
  uint16_t len;
  uint8_t name_owned;
} mb__dent;

typedef struct mb__mdir {
  mb__dent *ents;
  uint32_t count, cap; /* entries in the array, deleted ones included */
  uint32_t live;       /* entries naming a node */
  uint32_t nsubdirs;   /* live entries that are directories */
  uint32_t *slots;     /* hash index: entry index + 1, 0 = empty; nslots a power of 2 */
  uint32_t nslots;
  uint64_t next_seq;
  mb__mnode *parent;   /* NULL for the mount root and removed directories */
  uint32_t lazy;       /* image directory whose children are not materialized yet */
  bool removed;
} mb__mdir;

#define MB__NOT_LAZY UINT32_MAX

struct mb__mnode {
  mb__node base;
  uint32_t nlink; /* entries naming it; the mount counts as one for its root */
  uint8_t charged;
  uint64_t ino, atim, mtim, ctim;
  mb__mnode *free_next;
  union {
    struct {
      uint8_t *data;     /* owned copy (img == NULL) */
      const uint8_t *img; /* contents still in the image (copy-on-write) */
      size_t size, cap;
    } file;
    mb__mdir dir;
    struct {
      const char *text;
      size_t len;
      uint8_t owned;
    } link;
  } u;
};

/* mem_dir.c: a directory's entries */
/* Entry pointers stay valid until the next reserve on the directory. */
mb__dent *mb__mdir_find(mb__mdir *d, const char *name, size_t len);
/* Make room for one more entry (ENOMEM); the following insert cannot fail. */
mb_wasi_errno mb__mdir_reserve(const mb_allocator *alloc, mb__mdir *d);
/* Append an entry with the next seq; owned: the directory frees name. */
void mb__mdir_insert(mb__mdir *d, const char *name, size_t len, bool owned, mb__mnode *node);
/* Forget entry e (must be live); frees its name if owned. */
void mb__mdir_remove(const mb_allocator *alloc, mb__mdir *d, mb__dent *e);
/* Free the entry storage (names it owns too); the nodes are the caller's business. */
void mb__mdir_fini(const mb_allocator *alloc, mb__mdir *d);
uint32_t mb__name_hash(const char *name, size_t len);

/* mem.c */
extern const mb__fs_ops mb__mem_ops;
mb_wasi_errno mb__mem_mount_init(mb__mount *m, const mb_vfs_image *img, uint64_t limit,
                                 bool readonly);

/* ---- host kind (host.c) ---- */
typedef struct mb__hnode {
  mb__node base;
  uint32_t fd;
  bool borrowed; /* the host's preopen itself: never closed */
  uint64_t ino;  /* the host's, 0 until known */
  /* A directory: the ino of the directory it was opened in, for its ".." entry (0 for
   * the mount root, whose ".." is itself) */
  uint64_t parent_ino;
} mb__hnode;

/* Times a host mount was asked to set and the host could not store exactly (Node's WASI
 * keeps whole seconds): what was asked, and what the host reported right after. While
 * the host still reports that, stat reports what was asked. */
typedef struct mb__htimes {
  uint64_t dev, ino;               /* the host's */
  uint64_t host_atim, host_mtim;   /* what the host stored */
  uint64_t atim, mtim;             /* what was asked */
  uint8_t has;                     /* 1: atim, 2: mtim remembered; 0: a free slot */
} mb__htimes;
enum { MB__HTIMES = 32 };

extern const mb__fs_ops mb__host_ops;
mb_wasi_errno mb__host_mount_init(mb__mount *m, const mb_vfs_host_ops *ops, void *ctx,
                                  uint32_t dirfd, const char *subdir, size_t subdir_len);

/* ---- mounts and the filesystem (vfs.c) ---- */
struct mb__mount {
  mb_vfs *vfs;
  const mb__fs_ops *ops;
  mb__node *root;
  char *name;
  size_t name_len;
  uint32_t id;
  uint64_t dev;
  bool readonly;
  /* mem */
  mb_vfs_image img; /* node_count 0 when none */
  uint64_t limit, used, next_ino;
  /* host */
  const mb_vfs_host_ops *hops;
  void *hctx;
  mb__htimes *htimes; /* MB__HTIMES slots, made at the first time the host rounded */
  uint32_t htimes_next;
};

struct mb_vfs {
  mb__mount **mounts;
  uint32_t nmounts;
  uint32_t files;  /* open mb_vfs_file count */
  bool freed;      /* the owner called mb_vfs_free */
  mb_vfs_clock_fn clock;
  void *clock_user;
  uint64_t counter;
  /* walker scratch, reused by every resolution */
  mb__node **stack;
  size_t stack_cap;
  char path[MB_VFS_PATH_MAX];  /* remaining path, kept at the end */
  char link[MB_VFS_PATH_MAX];  /* a symlink text being spliced in */
  char name[MB_VFS_NAME_MAX + 1]; /* readdir names of host directories */
  mb_allocator alloc; /* the filesystem, its mounts, nodes and open files */
};

struct mb_vfs_file {
  mb_vfs *vfs;
  mb__node *node;
  uint64_t pos;
  uint32_t access;
  uint16_t fdflags;
};

uint64_t mb__vfs_now(mb_vfs *vfs);

/* ---- the walker (path.c) ----
 * Resolves a path below a directory with a stack of directories: the bottom is the
 * starting directory, each entry above is a child of the one below, ".." pops and
 * refuses to pop the bottom. Symlink texts are spliced in front of the rest of the
 * path. One walk at a time per vfs (it uses the vfs scratch). */
typedef struct mb__walk {
  mb_vfs *vfs;
  size_t depth;
  size_t pos;       /* the rest of the path is vfs->path[pos..MB_VFS_PATH_MAX) */
  unsigned links;   /* symlink expansions so far */
  /* result of mb__walk_last: */
  size_t rest;      /* where the final component ends (a followed text goes before) */
  const char *name; /* final component (points into vfs->path), NULL for "."/".." */
  size_t name_len;
  bool trailing_slash;
  uint8_t dots;     /* final component was "." (1) or ".." (2) */
} mb__walk;

/* Check the path (length, NUL, empty, absolute) and start at dir (a directory node). */
mb_wasi_errno mb__walk_begin(mb__walk *w, mb_vfs *vfs, mb__node *dir, const char *path,
                             size_t len);
/* Walk every component but the last; then the top of the stack (mb__walk_dir) is the
 * directory that holds the final name (w->name), or, when the path ends in "." or
 * "..", is the final object itself (w->name NULL). */
mb_wasi_errno mb__walk_last(mb__walk *w);
/* The final component was a symlink to follow: splice its text in its place (counting
 * an expansion); the next mb__walk_last continues from there. */
mb_wasi_errno mb__walk_follow(mb__walk *w, const char *text, size_t len);
static inline mb__node *mb__walk_dir(const mb__walk *w) { return w->vfs->stack[w->depth - 1]; }
/* Release the stack; always call after a successful begin. */
void mb__walk_end(mb__walk *w);

/* Checks shared by symlink creation and following. */
mb_wasi_errno mb__check_link_text(const char *text, size_t len);

#endif
