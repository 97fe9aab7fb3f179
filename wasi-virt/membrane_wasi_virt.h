/* membrane_wasi_virt.h — the virtual filesystem core of wasi-virt.
 *
 * One public header for the wasi-virt library. This part is portable C11 that uses only
 * what wasi-libc also has (no POSIX file APIs in the core), so the same sources build
 * natively (unit tests, the host-side image builder) and to wasm32, where the WASI
 * preview1 function layer sits on top of it.
 *
 * A filesystem (mb_vfs) holds mounts. Each mount is one root the guest sees as a
 * preopened directory, named by its guest path ("/data", "/tmp"):
 *   embed — a read-only tree read from an image (see "Images" below), mapped in place:
 *           names, file contents and symlink texts stay in the caller's image bytes;
 *   mem   — an in-memory writable tree with a byte limit, optionally over an image
 *           (copy-on-write: image contents are copied on first modification);
 *   host  — a directory of the real host, reached only through mb_vfs_host_ops (WASI
 *           path_open & co. in the wasm build, a fake in the tests), read-only or
 *           read-write, confined to its subtree.
 * Mounts are independent roots, as the preopens of every WASI host are: a mount at
 * /a/b is not visible as an entry of a mount at /a (wasi-libc sends "/a/b/x" to the
 * longest matching preopen, so programs that name paths in full see the nesting).
 *
 * Every operation has WASI preview1 semantics and returns a preview1 errno
 * (mb_wasi_errno, numbered as the spec numbers them, so the WASI layer passes them
 * through). Paths are (pointer, length) byte strings, as preview1 passes them, and are
 * resolved component by component below a directory file, never by string prefix:
 *   - absolute paths, and ".." above the starting directory: MB_WASI_ENOTCAPABLE.
 *     A directory descriptor is a capability for its subtree only; preview1 names
 *     `notcapable` for this, the CloudABI-lineage hosts (uvwasi, WAMR) return it, and
 *     wasi-testsuite accepts it (wasmtime returns `perm`);
 *   - symlinks are followed inside the tree with the same rule (relative texts only; an
 *     absolute text gives ENOTCAPABLE); at most MB_VFS_SYMLOOP_MAX expansions, then
 *     ELOOP; a final symlink is followed only with MB_WASI_LOOKUP_SYMLINK_FOLLOW (or a
 *     trailing slash); open() of a final symlink without it gives ELOOP (Linux
 *     O_NOFOLLOW, what wasi-testsuite requires);
 *   - a path of MB_VFS_PATH_MAX bytes or more, or a component longer than
 *     MB_VFS_NAME_MAX: ENAMETOOLONG; a NUL byte anywhere: EINVAL (wasmtime and uvwasi
 *     say `inval`; `ilseq` is for invalid UTF-8, which is not checked here); an empty
 *     path: ENOENT (Linux openat("")).
 *   - writes to an embed mount or a read-only host mount: MB_WASI_EROFS. The spec
 *     defines `rofs` for exactly this, Linux read-only mounts return it, and wasi-libc
 *     hands it to the program unchanged ("Read-only file system"). wasmtime's own
 *     read-only preopen mode says `perm`, which a program cannot tell from a
 *     permission problem; wasi-testsuite does not test it.
 *
 * Not thread-safe: one mb_vfs and its files are used from one thread at a time (the
 * wasm build is single-threaded). Library code never prints, exits or aborts.
 */
#ifndef MEMBRANE_WASI_VIRT_H
#define MEMBRANE_WASI_VIRT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "membrane_alloc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- preview1 constants ------------------------------------------------------------ */

/* errno, with the numbers of wasi_snapshot_preview1 (and of wasi-libc's errno.h). */
typedef enum mb_wasi_errno {
  MB_WASI_ESUCCESS = 0,
  MB_WASI_E2BIG = 1,
  MB_WASI_EACCES = 2,
  MB_WASI_EADDRINUSE = 3,
  MB_WASI_EADDRNOTAVAIL = 4,
  MB_WASI_EAFNOSUPPORT = 5,
  MB_WASI_EAGAIN = 6,
  MB_WASI_EALREADY = 7,
  MB_WASI_EBADF = 8,
  MB_WASI_EBADMSG = 9,
  MB_WASI_EBUSY = 10,
  MB_WASI_ECANCELED = 11,
  MB_WASI_ECHILD = 12,
  MB_WASI_ECONNABORTED = 13,
  MB_WASI_ECONNREFUSED = 14,
  MB_WASI_ECONNRESET = 15,
  MB_WASI_EDEADLK = 16,
  MB_WASI_EDESTADDRREQ = 17,
  MB_WASI_EDOM = 18,
  MB_WASI_EDQUOT = 19,
  MB_WASI_EEXIST = 20,
  MB_WASI_EFAULT = 21,
  MB_WASI_EFBIG = 22,
  MB_WASI_EHOSTUNREACH = 23,
  MB_WASI_EIDRM = 24,
  MB_WASI_EILSEQ = 25,
  MB_WASI_EINPROGRESS = 26,
  MB_WASI_EINTR = 27,
  MB_WASI_EINVAL = 28,
  MB_WASI_EIO = 29,
  MB_WASI_EISCONN = 30,
  MB_WASI_EISDIR = 31,
  MB_WASI_ELOOP = 32,
  MB_WASI_EMFILE = 33,
  MB_WASI_EMLINK = 34,
  MB_WASI_EMSGSIZE = 35,
  MB_WASI_EMULTIHOP = 36,
  MB_WASI_ENAMETOOLONG = 37,
  MB_WASI_ENETDOWN = 38,
  MB_WASI_ENETRESET = 39,
  MB_WASI_ENETUNREACH = 40,
  MB_WASI_ENFILE = 41,
  MB_WASI_ENOBUFS = 42,
  MB_WASI_ENODEV = 43,
  MB_WASI_ENOENT = 44,
  MB_WASI_ENOEXEC = 45,
  MB_WASI_ENOLCK = 46,
  MB_WASI_ENOLINK = 47,
  MB_WASI_ENOMEM = 48,
  MB_WASI_ENOMSG = 49,
  MB_WASI_ENOPROTOOPT = 50,
  MB_WASI_ENOSPC = 51,
  MB_WASI_ENOSYS = 52,
  MB_WASI_ENOTCONN = 53,
  MB_WASI_ENOTDIR = 54,
  MB_WASI_ENOTEMPTY = 55,
  MB_WASI_ENOTRECOVERABLE = 56,
  MB_WASI_ENOTSOCK = 57,
  MB_WASI_ENOTSUP = 58,
  MB_WASI_ENOTTY = 59,
  MB_WASI_ENXIO = 60,
  MB_WASI_EOVERFLOW = 61,
  MB_WASI_EOWNERDEAD = 62,
  MB_WASI_EPERM = 63,
  MB_WASI_EPIPE = 64,
  MB_WASI_EPROTO = 65,
  MB_WASI_EPROTONOSUPPORT = 66,
  MB_WASI_EPROTOTYPE = 67,
  MB_WASI_ERANGE = 68,
  MB_WASI_EROFS = 69,
  MB_WASI_ESPIPE = 70,
  MB_WASI_ESRCH = 71,
  MB_WASI_ESTALE = 72,
  MB_WASI_ETIMEDOUT = 73,
  MB_WASI_ETXTBSY = 74,
  MB_WASI_EXDEV = 75,
  MB_WASI_ENOTCAPABLE = 76,
} mb_wasi_errno;
#define MB_WASI_ERRNO_COUNT 77

/* The spec's name of an errno ("noent", "notcapable", ...); "unknown" outside 0..76. */
const char *mb_wasi_errno_name(mb_wasi_errno e);

/* filetype */
enum {
  MB_WASI_FILETYPE_UNKNOWN = 0,
  MB_WASI_FILETYPE_BLOCK_DEVICE = 1,
  MB_WASI_FILETYPE_CHARACTER_DEVICE = 2,
  MB_WASI_FILETYPE_DIRECTORY = 3,
  MB_WASI_FILETYPE_REGULAR_FILE = 4,
  MB_WASI_FILETYPE_SOCKET_DGRAM = 5,
  MB_WASI_FILETYPE_SOCKET_STREAM = 6,
  MB_WASI_FILETYPE_SYMBOLIC_LINK = 7,
};
/* oflags */
enum {
  MB_WASI_O_CREAT = 0x1,
  MB_WASI_O_DIRECTORY = 0x2,
  MB_WASI_O_EXCL = 0x4,
  MB_WASI_O_TRUNC = 0x8,
};
/* lookupflags */
enum { MB_WASI_LOOKUP_SYMLINK_FOLLOW = 0x1 };
/* fdflags */
enum {
  MB_WASI_FDFLAG_APPEND = 0x1,
  MB_WASI_FDFLAG_DSYNC = 0x2,
  MB_WASI_FDFLAG_NONBLOCK = 0x4,
  MB_WASI_FDFLAG_RSYNC = 0x8,
  MB_WASI_FDFLAG_SYNC = 0x10,
};
/* fstflags */
enum {
  MB_WASI_FST_ATIM = 0x1,
  MB_WASI_FST_ATIM_NOW = 0x2,
  MB_WASI_FST_MTIM = 0x4,
  MB_WASI_FST_MTIM_NOW = 0x8,
};
/* whence */
enum { MB_WASI_WHENCE_SET = 0, MB_WASI_WHENCE_CUR = 1, MB_WASI_WHENCE_END = 2 };

/* preview1 `filestat`, laid out exactly as the ABI struct (64 bytes, align 8), so the
 * WASI layer can copy it out as is. */
typedef struct mb_vfs_filestat {
  uint64_t dev;
  uint64_t ino;
  uint8_t filetype;
  uint8_t pad_[7];
  uint64_t nlink;
  uint64_t size; /* bytes; for a symlink the length of its text */
  uint64_t atim; /* nanoseconds since the epoch of the filesystem's clock */
  uint64_t mtim;
  uint64_t ctim;
} mb_vfs_filestat;

/* ---- limits ------------------------------------------------------------------------ */

#define MB_VFS_NAME_MAX 255     /* bytes in one path component (wasi-libc NAME_MAX) */
#define MB_VFS_PATH_MAX 4096    /* a path must be shorter than this (wasi-libc PATH_MAX) */
#define MB_VFS_SYMLOOP_MAX 40   /* symlink expansions in one resolution (Linux's limit) */
#define MB_VFS_NO_LIMIT UINT64_MAX
/* What a mem mount charges against its limit for each node the guest creates, on top
 * of the name, the symlink text and the file bytes: keeps a flood of empty files from
 * using memory for free. */
#define MB_VFS_NODE_COST 64

/* ---- allocation ---------------------------------------------------------------------
 *
 * No process-wide hook: mb_vfs_new, mb_vfs_image_writer_new and mb_wv_policy_init take
 * an mb_allocator (membrane_alloc.h; NULL: libc) and everything made from that object
 * comes from it. Output goes to an mb_buf (membrane_alloc.h), which carries its own. */

/* ---- images ------------------------------------------------------------------------ *
 *
 * An image is a directory tree serialized at build time and embedded in the output.
 * Format, version 1 (all integers little-endian, no alignment requirements):
 *
 *   header, 32 bytes:
 *     0  u8[8]  magic  7F 'M' 'B' 'V' 'F' 'S' 0D 0A
 *     8  u32    version = 1
 *     12 u32    flags = 0 (reserved; an image with unknown flags is refused)
 *     16 u64    image size in bytes (= the whole buffer; catches truncation)
 *     24 u32    node count N (>= 1)
 *     28 u32    node table offset (>= 32; the table is N * 32 bytes)
 *   node, 32 bytes:
 *     0  u8     type: 3 directory, 4 regular file, 7 symlink
 *     1  u8     reserved = 0
 *     2  u16    name length (0 for the root, 1..255 otherwise)
 *     4  u32    name offset in the image
 *     8  u64    mtim, nanoseconds
 *     16 u64    directory: index of its first child; file/symlink: data offset
 *     24 u64    directory: number of children; file: size; symlink: text length
 *   names, file contents and symlink texts: anywhere after the header, in range.
 *
 * Node 0 is the root directory. Nodes are in breadth-first order: the children of each
 * directory are consecutive nodes, sorted by name (bytewise, strictly increasing, so
 * lookups are binary searches and names are unique), and the child ranges of the
 * directories, taken in node order, tile 1..N-1 exactly. So every node but the root has
 * exactly one parent, of a smaller index: the tree has no cycles, no shared nodes and
 * nothing unreachable, and the reader checks all of it in one pass without allocating.
 * Names are 1..255 bytes without '/' or NUL and are not "." or "..". Symlink texts are
 * 1..4095 bytes without NUL, stored verbatim (an absolute one is refused when followed).
 * There are no hard links: the builder stores a hard-linked host file once per name.
 */

/* ---- errors ------------------------------------------------------------------------ *
 *
 * One enum for the library's builders and readers: images, policy, config, compose and
 * logs. (The vfs itself answers in mb_wasi_errno, the ABI's own codes.) */

typedef enum mb_wv_err {
  MB_WV_OK = 0,
  MB_WV_ERR_NOMEM,
  MB_WV_ERR_IO,                /* a host file (policy, image source, log) could not be read */
  MB_WV_ERR_UNSUPPORTED,       /* image builder: a host file type images cannot hold */
  MB_WV_ERR_INVALID_ARG,       /* image builder: bad parent, duplicate name, bad name or text */
  /* policy, config and compose */
  MB_WV_ERR_UNKNOWN_OPTION,    /* a flag or JSON key that does not exist */
  MB_WV_ERR_BAD_VALUE,         /* a value of the wrong form ("--clock sometimes") */
  MB_WV_ERR_CONFLICT,          /* two settings that cannot both hold (same mount point) */
  MB_WV_ERR_SYNTAX,            /* the JSON file is not JSON */
  /* image reader: the bytes are not a valid image */
  MB_WV_ERR_IMAGE_TRUNCATED,   /* shorter than the header or than the size it declares */
  MB_WV_ERR_IMAGE_BAD_MAGIC,   /* magic header not detected */
  MB_WV_ERR_IMAGE_BAD_VERSION, /* unknown image version */
  MB_WV_ERR_IMAGE_BAD_HEADER,  /* reserved flags, size mismatch, node table out of range */
  MB_WV_ERR_IMAGE_BAD_NODE,    /* unknown node type, reserved byte set, root not a directory */
  MB_WV_ERR_IMAGE_BAD_RANGE,   /* a name, data or text range outside the image */
  MB_WV_ERR_IMAGE_BAD_NAME,    /* empty, too long, '/', NUL, "." or ".." (or NUL in a text) */
  MB_WV_ERR_IMAGE_BAD_ORDER,   /* children not strictly sorted by name */
  MB_WV_ERR_IMAGE_BAD_TREE,    /* child ranges do not tile the nodes in breadth-first order */
  MB_WV_ERR_IMAGE_TOO_BIG,     /* a count or size beyond a sanity limit */
} mb_wv_err;

/* What went wrong and where. offset: a byte offset in an image (reader), else 0. where:
 * "--mount /h=host/sub:rw" for a flag, "policy.json:3:14" (line:column, both from 1, the
 * column counted in bytes) for a JSON syntax error, "policy.json: mount[2]" or
 * "policy.json: clock" (the key path) for a JSON value error; empty for image errors,
 * whose message names the host path or node. Both strings are always NUL-terminated and
 * truncated to fit. message: what is wrong and what would be right. */
typedef struct mb_wv_diag {
  mb_wv_err code;
  uint64_t offset;
  char where[256];
  char message[512];
} mb_wv_diag;

/* Short stable name of an error code ("unexpected end", ...). */
const char *mb_wv_err_name(mb_wv_err e);

#define MB_VFS_IMAGE_VERSION 1
#define MB_VFS_IMAGE_HEADER_SIZE 32
#define MB_VFS_IMAGE_NODE_SIZE 32
#define MB_VFS_IMAGE_MAX_NODES (1u << 24)

/* A validated image: a view of the caller's bytes, which must outlive it and every
 * mb_vfs it is mounted in. Caller-owned; nothing to free. */
typedef struct mb_vfs_image {
  const uint8_t *data;
  size_t size;
  uint32_t node_count;
  uint32_t nodes_offset;
} mb_vfs_image;

/* Check every rule of the format (O(size), no allocation) and fill *img. On error *img
 * is zeroed and diag (if non-NULL) says what and at which byte offset. Never reads
 * outside data[0..size). */
mb_wv_err mb_vfs_image_open(mb_vfs_image *img, const void *data, size_t size,
                            mb_wv_diag *diag);

/* One node of an opened image; pointers point into the image. */
typedef struct mb_vfs_image_node {
  uint8_t type; /* MB_WASI_FILETYPE_DIRECTORY / _REGULAR_FILE / _SYMBOLIC_LINK */
  const char *name;
  size_t name_len;
  uint64_t mtim;
  const uint8_t *data; /* file contents or symlink text; NULL for directories */
  uint64_t size;       /* file size or text length; children for a directory */
  uint32_t first_child, child_count;
} mb_vfs_image_node;

/* Node `index` (< node_count) of an opened image. */
void mb_vfs_image_node_get(const mb_vfs_image *img, uint32_t index, mb_vfs_image_node *out);
/* Binary search of directory `dir` for a child; false when absent or dir is no dir. */
bool mb_vfs_image_lookup(const mb_vfs_image *img, uint32_t dir, const char *name, size_t len,
                         uint32_t *child);

/* Building an image in memory (portable). The writer owns copies of everything added. */
typedef struct mb_vfs_image_writer mb_vfs_image_writer;
/* A writer holding only the root directory (node id 0, mtim 0), allocating from alloc
 * (copied; NULL: libc). NULL when out of memory. */
mb_vfs_image_writer *mb_vfs_image_writer_new(const mb_allocator *alloc);
void mb_vfs_image_writer_free(mb_vfs_image_writer *w);
/* Add a node under directory `parent`. data/size: file contents or symlink text (copied;
 * ignored for directories). *id (if non-NULL) receives the new node's id for later
 * add calls. Errors: INVALID_ARG for a parent that is not a directory, a bad name or
 * symlink text; TOO_BIG past the sanity limits; NOMEM. (Two children of one name are
 * reported by _finish, which sorts the children anyway.) */
mb_wv_err mb_vfs_image_writer_add(mb_vfs_image_writer *w, uint32_t parent, const char *name,
                                  size_t name_len, uint8_t type, const void *data,
                                  size_t size, uint64_t mtim, uint32_t *id,
                                  mb_wv_diag *diag);
/* Change a node's mtim (e.g. the root's). */
void mb_vfs_image_writer_set_mtim(mb_vfs_image_writer *w, uint32_t id, uint64_t mtim);
/* Serialize into out (appended to whatever it holds; the result always opens). */
mb_wv_err mb_vfs_image_writer_finish(const mb_vfs_image_writer *w, mb_buf *out,
                                     mb_wv_diag *diag);

/* The host-side builder (native builds only: it reads host directories with POSIX
 * calls; not part of the wasm32 build). */
typedef struct mb_vfs_build_options {
  bool fixed_mtim;      /* use mtim below for every node (reproducible outputs) */
  uint64_t mtim;
  bool skip_special;    /* skip fifos, sockets and devices instead of failing */
  uint32_t max_nodes;   /* 0: MB_VFS_IMAGE_MAX_NODES */
  uint64_t max_bytes;   /* total file and text bytes; 0: no limit but the format's */
} mb_vfs_build_options;
/* Add host_path under `parent` as `name` (non-NULL; the last component of host_path
 * when NULL): a directory recursively, a file's contents, a symlink's text (never
 * followed). opt may be NULL. */
mb_wv_err mb_vfs_image_add_host(mb_vfs_image_writer *w, uint32_t parent, const char *name,
                                const char *host_path, const mb_vfs_build_options *opt,
                                mb_wv_diag *diag);
/* The contents of host directory host_dir (followed if it is a symlink) under `parent`;
 * for parent 0 the root also gets host_dir's mtim. */
mb_wv_err mb_vfs_image_add_host_children(mb_vfs_image_writer *w, uint32_t parent,
                                         const char *host_dir,
                                         const mb_vfs_build_options *opt,
                                         mb_wv_diag *diag);
/* The image of host directory host_dir (its contents become the root), appended to out.
 * The root gets host_dir's mtim. */
mb_wv_err mb_vfs_image_build_dir(const char *host_dir, const mb_vfs_build_options *opt,
                                 mb_buf *out, mb_wv_diag *diag);

/* ---- the host backend ---------------------------------------------------------------
 *
 * A host mount reaches the host only through these calls. They are preview1 calls cut
 * down to single components: `name` is always 1..255 bytes with no '/' and no NUL, and
 * never "." or ".."; no call asks the host to follow a symlink; the vfs resolves paths
 * and symlinks itself and keeps every fd it gets beneath the mount's root. Host fds are
 * numbers the backend hands out; they never reach the guest. Every call returns a
 * preview1 errno. In the wasm build these wrap the host's wasi_snapshot_preview1.
 * Host fds are never opened with fdflags: the vfs keeps positions and the append flag
 * itself (the guest may toggle append at any time), and appends at the size fd
 * filestat reports, so an append is not atomic against other writers on the host.
 */
typedef struct mb_vfs_host_ops {
  /* path_open(dirfd, lookupflags 0, name, oflags, rights for `access`, fdflags 0).
   * access: MB_VFS_ACCESS_* bits. *filetype: the opened object's type; *ino: its inode
   * number as fd filestat gives it (0 when not known). */
  mb_wasi_errno (*open_at)(void *ctx, uint32_t dirfd, const char *name, size_t name_len,
                           uint16_t oflags, uint32_t access, uint32_t *fd, uint8_t *filetype,
                           uint64_t *ino);
  mb_wasi_errno (*close)(void *ctx, uint32_t fd);
  mb_wasi_errno (*stat)(void *ctx, uint32_t fd, mb_vfs_filestat *st);
  /* path_filestat_get without symlink_follow */
  mb_wasi_errno (*stat_at)(void *ctx, uint32_t dirfd, const char *name, size_t name_len,
                           mb_vfs_filestat *st);
  /* path_readlink: copies min(cap, length) bytes, *len = bytes copied */
  mb_wasi_errno (*readlink_at)(void *ctx, uint32_t dirfd, const char *name, size_t name_len,
                               char *buf, size_t cap, size_t *len);
  mb_wasi_errno (*pread)(void *ctx, uint32_t fd, void *buf, size_t len, uint64_t offset,
                         size_t *got);
  mb_wasi_errno (*pwrite)(void *ctx, uint32_t fd, const void *buf, size_t len,
                          uint64_t offset, size_t *put);
  mb_wasi_errno (*set_size)(void *ctx, uint32_t fd, uint64_t size);
  mb_wasi_errno (*set_times)(void *ctx, uint32_t fd, uint64_t atim, uint64_t mtim,
                             uint16_t fstflags);
  /* path_filestat_set_times without symlink_follow */
  mb_wasi_errno (*set_times_at)(void *ctx, uint32_t dirfd, const char *name, size_t name_len,
                                uint64_t atim, uint64_t mtim, uint16_t fstflags);
  /* fd_readdir: preview1 dirent records into buf */
  mb_wasi_errno (*readdir)(void *ctx, uint32_t fd, uint8_t *buf, size_t buf_len, uint64_t cookie,
                           size_t *used);
  mb_wasi_errno (*mkdir_at)(void *ctx, uint32_t dirfd, const char *name, size_t name_len);
  mb_wasi_errno (*rmdir_at)(void *ctx, uint32_t dirfd, const char *name, size_t name_len);
  mb_wasi_errno (*unlink_at)(void *ctx, uint32_t dirfd, const char *name, size_t name_len);
  mb_wasi_errno (*symlink_at)(void *ctx, const char *text, size_t text_len, uint32_t dirfd,
                              const char *name, size_t name_len);
  mb_wasi_errno (*rename_at)(void *ctx, uint32_t dirfd, const char *name, size_t name_len,
                             uint32_t new_dirfd, const char *new_name, size_t new_name_len);
  /* path_link without symlink_follow */
  mb_wasi_errno (*link_at)(void *ctx, uint32_t dirfd, const char *name, size_t name_len,
                           uint32_t new_dirfd, const char *new_name, size_t new_name_len);
  /* fd_datasync (data_only) or fd_sync of a file or directory fd: what a program syncs
   * must reach the host's stable storage, as it would without wasi-virt */
  mb_wasi_errno (*sync)(void *ctx, uint32_t fd, bool data_only);
} mb_vfs_host_ops;

/* ---- filesystems and mounts -------------------------------------------------------- */

typedef struct mb_vfs mb_vfs;           /* the mount table */
typedef struct mb_vfs_file mb_vfs_file; /* an open file or directory (what an fd names) */

/* The clock for timestamps of mem nodes and for the *_NOW flags: realtime nanoseconds.
 * Without one, a counter that starts at 0 and advances by 1 per reading. */
typedef uint64_t (*mb_vfs_clock_fn)(void *user);

/* A new filesystem without mounts; it, its mounts, nodes and open files allocate from
 * alloc (copied; NULL: libc). NULL when out of memory. */
mb_vfs *mb_vfs_new(const mb_allocator *alloc);
/* Drop the caller's reference. Mounts and nodes go away when the last mb_vfs_file is
 * closed too, so files may outlive this call; host fds are closed then. */
void mb_vfs_free(mb_vfs *vfs);
void mb_vfs_set_clock(mb_vfs *vfs, mb_vfs_clock_fn fn, void *user);

/* Mount points are named by `guest` (the preopen name the guest sees, e.g. "/data";
 * any bytes but NUL, not empty, unique: EINVAL / EEXIST otherwise). *id (if non-NULL)
 * receives the mount's id, an index from 0 in mount order. */

/* A read-only tree from img (borrowed: img->data must outlive vfs). */
mb_wasi_errno mb_vfs_mount_embed(mb_vfs *vfs, const char *guest, size_t guest_len,
                                 const mb_vfs_image *img, uint32_t *id);
/* A writable in-memory tree of at most `limit` bytes (MB_VFS_NO_LIMIT: none), charged
 * for file bytes, names, symlink texts and MB_VFS_NODE_COST per created node. With
 * lower != NULL it starts as a copy-on-write view of that image: its contents are read
 * in place and charged only once copied (on the first change to a file). */
mb_wasi_errno mb_vfs_mount_mem(mb_vfs *vfs, const char *guest, size_t guest_len,
                               const mb_vfs_image *lower, uint64_t limit, uint32_t *id);
/* Host directory `subdir` (relative, '/'-separated, "" for dirfd itself; every
 * component a real directory: no ".", "..", or symlinks, EINVAL / ENOTDIR / ELOOP
 * otherwise) below the host's open directory fd `dirfd` (borrowed: never closed by the
 * vfs). ops and ctx are borrowed and must outlive vfs. */
mb_wasi_errno mb_vfs_mount_host(mb_vfs *vfs, const char *guest, size_t guest_len,
                                const mb_vfs_host_ops *ops, void *ctx, uint32_t dirfd,
                                const char *subdir, size_t subdir_len, bool readonly,
                                uint32_t *id);

uint32_t mb_vfs_mount_count(const mb_vfs *vfs);
/* The guest path of mount id (not NUL-terminated: *len bytes); NULL if no such mount. */
const char *mb_vfs_mount_name(const mb_vfs *vfs, uint32_t id, size_t *len);
/* Bytes charged and the limit of a mem mount (0 and 0 for other kinds). */
mb_wasi_errno mb_vfs_mount_usage(const mb_vfs *vfs, uint32_t id, uint64_t *used, uint64_t *limit);

/* A directory file for the root of mount id (what the guest's preopen fd names). */
mb_wasi_errno mb_vfs_open_root(mb_vfs *vfs, uint32_t id, mb_vfs_file **out);

/* ---- files ------------------------------------------------------------------------- */

enum { MB_VFS_ACCESS_READ = 0x1, MB_VFS_ACCESS_WRITE = 0x2 };

/* path_open below directory file `dir`. lookupflags: MB_WASI_LOOKUP_*; oflags:
 * MB_WASI_O_*; access: MB_VFS_ACCESS_*; fdflags: MB_WASI_FDFLAG_* (kept on the file;
 * only append changes behaviour). Beyond the path rules above:
 *   creat|excl on anything (a dangling symlink too): EEXIST; directory with creat or
 *   trunc: EINVAL (as wasmtime); a directory opened with write access, trunc or creat
 *   (Linux), or creat with a trailing slash: EISDIR; `directory` on a non-directory:
 *   ENOTDIR;
 *   write access, trunc or creating on a read-only mount: EROFS.
 * On success *out is a new file the caller closes. */
mb_wasi_errno mb_vfs_open(mb_vfs_file *dir, uint32_t lookupflags, const char *path, size_t len,
                          uint16_t oflags, uint32_t access, uint16_t fdflags, mb_vfs_file **out);
/* Close; NULL is a no-op. */
void mb_vfs_close(mb_vfs_file *f);

uint8_t mb_vfs_file_filetype(const mb_vfs_file *f); /* directory or regular file */
uint32_t mb_vfs_file_access(const mb_vfs_file *f);
uint16_t mb_vfs_file_fdflags(const mb_vfs_file *f);
/* fd_fdstat_set_flags: replaces the flags (undefined bits: EINVAL). */
mb_wasi_errno mb_vfs_file_set_fdflags(mb_vfs_file *f, uint16_t fdflags);

/* Reads and writes. Short counts are normal (a mem mount nearly full writes what fits,
 * then ENOSPC). Not opened for reading/writing: EBADF; a directory: EISDIR. A write
 * ending past MB_VFS_FILE_MAX: EFBIG. With append, write and pwrite go to the end of
 * the file (as on Linux); write leaves the position at the new end, pwrite leaves it
 * alone. */
mb_wasi_errno mb_vfs_read(mb_vfs_file *f, void *buf, size_t len, size_t *got);
mb_wasi_errno mb_vfs_write(mb_vfs_file *f, const void *buf, size_t len, size_t *put);
mb_wasi_errno mb_vfs_pread(mb_vfs_file *f, void *buf, size_t len, uint64_t offset, size_t *got);
mb_wasi_errno mb_vfs_pwrite(mb_vfs_file *f, const void *buf, size_t len, uint64_t offset,
                            size_t *put);
#define MB_VFS_FILE_MAX ((uint64_t)INT64_MAX)
/* fd_seek: a resulting position below 0 or above MB_VFS_FILE_MAX, or a bad whence:
 * EINVAL. Positions past the end are allowed. Directories: EISDIR. */
mb_wasi_errno mb_vfs_seek(mb_vfs_file *f, int64_t offset, uint8_t whence, uint64_t *pos);
mb_wasi_errno mb_vfs_tell(mb_vfs_file *f, uint64_t *pos);
/* fd_filestat_set_size: truncate or extend with zeros; the position stays. A directory:
 * EISDIR; read-only mount: EROFS; not opened for writing: EINVAL (Linux ftruncate). */
mb_wasi_errno mb_vfs_set_size(mb_vfs_file *f, uint64_t size);
mb_wasi_errno mb_vfs_stat(mb_vfs_file *f, mb_vfs_filestat *st);
/* fd_filestat_set_times: X and X_NOW together, or undefined bits: EINVAL, nothing
 * changes. Read-only mount: EROFS. */
mb_wasi_errno mb_vfs_set_times(mb_vfs_file *f, uint64_t atim, uint64_t mtim, uint16_t fstflags);
/* fd_sync, or fd_datasync (data_only), of a file or directory: a host mount passes it to
 * the host's descriptor (and its answer back); a mem mount has nothing more durable to
 * reach, and nothing was written through an embed or read-only host mount: success. */
mb_wasi_errno mb_vfs_sync(mb_vfs_file *f, bool data_only);

/* fd_readdir into buf: preview1 dirent records (24-byte header + name, packed). Every
 * directory lists "." and ".." first. Cookies: 0 starts; each record's d_next resumes
 * right after it, and stays valid while the directory changes (an entry present for the
 * whole listing is returned exactly once; new entries come last). When the next record
 * does not fit, as many of its bytes as fit are written and *used == buf_len; *used <
 * buf_len means the end was reached. Not a directory: ENOTDIR. A directory removed
 * while open: ENOENT (Linux's getdents). */
mb_wasi_errno mb_vfs_readdir(mb_vfs_file *dir, void *buf, size_t buf_len, uint64_t cookie,
                             size_t *used);
/* One entry at a time: the entry at `cookie`, or *end = true. name points into the vfs
 * and stays valid until the next call on it. */
typedef struct mb_vfs_dirent {
  uint64_t next; /* cookie of the entry after this one */
  uint64_t ino;
  uint8_t type;
  const char *name;
  size_t name_len;
} mb_vfs_dirent;
mb_wasi_errno mb_vfs_dir_next(mb_vfs_file *dir, uint64_t cookie, mb_vfs_dirent *ent, bool *end);

/* ---- path operations (below directory file `dir`) ---------------------------------- */

/* path_filestat_get / path_filestat_set_times; lookupflags says whether a final symlink
 * is followed (without: the link itself). */
mb_wasi_errno mb_vfs_path_stat(mb_vfs_file *dir, uint32_t lookupflags, const char *path,
                               size_t len, mb_vfs_filestat *st);
mb_wasi_errno mb_vfs_path_set_times(mb_vfs_file *dir, uint32_t lookupflags, const char *path,
                                    size_t len, uint64_t atim, uint64_t mtim, uint16_t fstflags);
/* path_create_directory: EEXIST if anything is there (a dangling symlink too). */
mb_wasi_errno mb_vfs_mkdir(mb_vfs_file *dir, const char *path, size_t len);
/* path_remove_directory: ENOTEMPTY, ENOTDIR (a file or a symlink), EINVAL for ".". */
mb_wasi_errno mb_vfs_rmdir(mb_vfs_file *dir, const char *path, size_t len);
/* path_unlink_file: a directory: EISDIR; "name/" on a non-directory: ENOTDIR. */
mb_wasi_errno mb_vfs_unlink(mb_vfs_file *dir, const char *path, size_t len);
/* path_rename (POSIX renameat; final components never followed): file over a directory:
 * EISDIR; directory over a file: ENOTDIR; over a non-empty directory: ENOTEMPTY; a
 * directory into its own subtree, or "."/".." as either name: EINVAL; across mounts:
 * EXDEV; onto itself: success, nothing changes. */
mb_wasi_errno mb_vfs_rename(mb_vfs_file *dir, const char *path, size_t len, mb_vfs_file *new_dir,
                            const char *new_path, size_t new_len);
/* path_symlink: a link at `path` whose text is `text`, stored verbatim. The text must be
 * relative (ENOTCAPABLE: it could never resolve here), non-empty (ENOENT), without NUL
 * (EINVAL) and shorter than MB_VFS_PATH_MAX (ENAMETOOLONG). */
mb_wasi_errno mb_vfs_symlink(const char *text, size_t text_len, mb_vfs_file *dir,
                             const char *path, size_t len);
/* path_readlink: copies min(cap, length) bytes (silently truncated, no NUL) and sets
 * *n to that. Not a symlink: EINVAL. */
mb_wasi_errno mb_vfs_readlink(mb_vfs_file *dir, const char *path, size_t len, char *buf,
                              size_t cap, size_t *n);
/* path_link: a new name for a file (a directory: EPERM); lookupflags for the old path. */
mb_wasi_errno mb_vfs_link(mb_vfs_file *dir, uint32_t lookupflags, const char *path, size_t len,
                          mb_vfs_file *new_dir, const char *new_path, size_t new_len);

/* ---- preview1 function names (portable: also in the wasm32 build) --------------------- */

/* The 46 wasi_snapshot_preview1 function names, in the order of the preview1 witx;
 * mb_wasi_func_index gives the index of a name (exact bytes, len of them) or -1. */
#define MB_WASI_FUNC_COUNT 46
extern const char *const mb_wasi_func_names[MB_WASI_FUNC_COUNT];
int mb_wasi_func_index(const char *name, size_t len);
/* The errno of a spec name ("noent") or of a decimal number 1..76 (no sign, no leading
 * zero); false otherwise, also for "success" and 0, which are not errors. */
bool mb_wasi_errno_parse(const char *s, size_t len, mb_wasi_errno *out);

/* ---- policy (native builds only) ---------------------------------------------------
 *
 * What `membrane virt` is told: mounts, args, env, stdio, clocks, random, faults, trace.
 * Filled option by option (mb_wv_policy_option, the CLI's flags) and/or from a JSON
 * file (mb_wv_policy_parse_json, the same settings); later settings of a single-valued
 * option (stdin, clock, ...) replace earlier ones, list options append. Everything not
 * configured is denied: no mounts, no host env or args, stdin null, clocks and random
 * deterministic (fixed:0, seed:0). stdout and stderr default to inherit: they are the
 * program's own output, not a reach into the host. Trace defaults to none.
 *
 * The value forms (mb_wv_policy_help() gives the same as CLI help text):
 *   GUEST     an absolute guest path. "//", a trailing '/' and "." components are
 *             dropped; ".." is refused (write the path you mean); components of at most
 *             MB_VFS_NAME_MAX bytes, the whole shorter than MB_VFS_PATH_MAX.
 *   --embed GUEST=HOSTPATH     split at the first '=' (so GUEST has no '='); HOSTPATH is
 *             any non-empty host path, not looked at here.
 *   --mem GUEST[:LIMIT]        when the value has a ':', what follows the last one is
 *             LIMIT (a guest path with ':' in it therefore needs a LIMIT): decimal bytes
 *             with an optional K, M or G suffix (2^10, 2^20, 2^30; k m g too), or
 *             "unlimited". Without LIMIT: unlimited (MB_VFS_NO_LIMIT; the wasm memory
 *             still bounds it).
 *   --mount GUEST=HOST[:ro|:rw]   split at the first '='; when HOST has a ':', what
 *             follows the last one must be ro or rw (default ro), so preopen names and
 *             subdirectories cannot contain ':'. The preopen is HOST's first component,
 *             with its leading '/' if it has one; the rest is SUBDIR:
 *               "/host"          -> preopen "/host", subdir ""
 *               "/host/sub/dir"  -> preopen "/host", subdir "sub/dir"
 *               "data/sub"       -> preopen "data",  subdir "sub"
 *               "/"              -> preopen "/",     subdir ""
 *             (a preopen whose name itself has a '/' beyond the first byte can be
 *             mounted whole only). SUBDIR has no empty, "." or ".." components; the
 *             preopen name is not empty and not "..".
 *   --env K=V   K non-empty (split at the first '='), V anything; --env-allow K.
 *   --arg A     anything, also empty.
 *   --stdin, --stdout, --stderr  inherit | null | GUEST (an absolute path: FILE mode).
 *   --clock real | fixed:NANOS     --random real | seed:N    (decimal, up to 2^64-1)
 *   --fault FUNC:N:ERRNO  FUNC a preview1 name, N decimal 1..2^32-1, ERRNO as
 *             mb_wasi_errno_parse takes it.
 *   --trace stderr | none | GUEST (an absolute path: FILE mode, on a writable mount).
 *   --save GUEST=DEST   split at the first '='; both absolute guest paths (normalized as
 *             GUEST above). At exit the tree at GUEST is copied to DEST (see
 *             mb_wv_save); list option.
 *   --policy FILE  a JSON policy (below), applied where it stands among the flags.
 */

/* Errors: mb_wv_err and mb_wv_diag (see "errors", before the images section). */

typedef enum mb_wv_mount_kind {
  MB_WV_MOUNT_EMBED = 1, /* --embed GUEST=HOSTPATH */
  MB_WV_MOUNT_MEM = 2,   /* --mem GUEST[:LIMIT] */
  MB_WV_MOUNT_HOST = 3,  /* --mount GUEST=PREOPEN[/SUBDIR][:ro|:rw] */
} mb_wv_mount_kind;

/* Strings are NUL-terminated and owned by the policy; a field a kind does not use is
 * NULL. Guest paths are absolute and normalized (no trailing '/', no "//", no "." or ".."
 * components; "/" itself allowed). */
typedef struct mb_wv_mount {
  mb_wv_mount_kind kind;
  char *guest;
  char *host_path; /* EMBED: the host file or directory copied in at build time. A
                    * directory's contents become the tree at guest; a file becomes the
                    * entry basename(guest) of a mount at dirname(guest) (several file
                    * embeds in one directory share that mount) */
  char *preopen;   /* HOST: the name of a directory the host runtime preopens ("/host") */
  char *subdir;    /* HOST: relative path below the preopen, "" for the preopen itself */
  bool readonly;   /* HOST: :ro (the default is :ro; :rw makes it writable) */
  uint64_t limit;  /* MEM: byte limit (suffixes K, M, G = 2^10, 2^20, 2^30), or MB_VFS_NO_LIMIT */
} mb_wv_mount;

typedef enum mb_wv_stdio_mode {
  MB_WV_STDIO_INHERIT = 0, /* the host's descriptor */
  MB_WV_STDIO_NULL = 1,    /* reads give end of file, writes are discarded */
  MB_WV_STDIO_FILE = 2,    /* a file in the virtual filesystem (path: absolute guest path) */
} mb_wv_stdio_mode;

typedef struct mb_wv_stdio {
  mb_wv_stdio_mode mode;
  char *path; /* FILE only (NULL otherwise) */
} mb_wv_stdio;

typedef enum mb_wv_env_kind {
  MB_WV_ENV_FIXED = 0, /* --env K=V */
  MB_WV_ENV_ALLOW = 1, /* --env-allow K: the host's value of K, if it has one */
} mb_wv_env_kind;

typedef struct mb_wv_env {
  mb_wv_env_kind kind;
  char *name;
  char *value; /* FIXED only (NULL otherwise) */
} mb_wv_env;

/* --fault FUNC:N:ERRNO: the N-th call (from 1) of preview1 function FUNC returns ERRNO
 * (a spec name such as "io" or "noent", or a number 1..76) without doing anything. */
typedef struct mb_wv_fault {
  char *func; /* one of the 46 preview1 names (mb_wasi_func_index) */
  uint32_t nth;
  mb_wasi_errno err;
} mb_wv_fault;

/* --save GUEST=DEST: when the program exits (returns from _start, or calls proc_exit),
 * wasi-virt copies the tree at GUEST (a --mem mount point or a directory below one, as
 * the program left it: copy-on-write changes over an --embed included) to DEST, a guest
 * path strictly inside a :rw --mount, i.e. onto the host. Directories, regular files
 * (contents) and symlinks (as symlinks, texts verbatim); atim and mtim set where the
 * host lets them be set. The whole tree is built under a temporary name in DEST's
 * directory (".NAME.membrane-save-N") and renamed to DEST at the end; a DEST that exists
 * must be a directory, and is replaced whole (moved aside to ".NAME.membrane-old-N",
 * removed after the rename). A save that fails leaves DEST as it was, removes its
 * temporary tree, says on stderr which file and why, and makes the exit status
 * MB_WV_SAVE_FAILED_STATUS if the program's own was 0 (a non-zero one is kept).
 * A trap ends the run without saving. */
typedef struct mb_wv_save {
  char *guest;
  char *dest;
} mb_wv_save;
#define MB_WV_SAVE_FAILED_STATUS 74 /* sysexits.h EX_IOERR */

typedef enum mb_wv_clock_mode { MB_WV_CLOCK_FIXED = 0, MB_WV_CLOCK_REAL = 1 } mb_wv_clock_mode;
typedef enum mb_wv_random_mode { MB_WV_RANDOM_SEED = 0, MB_WV_RANDOM_REAL = 1 } mb_wv_random_mode;

/* Whether the host's poll_oneoff is imported: for an inherited stdin or the real clock.
 * One rule for the tool, which decides the imports (mb_wv_config_host_funcs), and for
 * wasi-virt, which asks the host about inherited stdio only when it can. */
static inline bool mb_wv_host_polls(mb_wv_stdio_mode stdin_mode, mb_wv_clock_mode clock) {
  return stdin_mode == MB_WV_STDIO_INHERIT || clock == MB_WV_CLOCK_REAL;
}
typedef enum mb_wv_trace_mode {
  MB_WV_TRACE_NONE = 0,
  MB_WV_TRACE_STDERR = 1, /* the host's stderr */
  MB_WV_TRACE_FILE = 2,   /* a file in the virtual filesystem (trace_path), truncated */
} mb_wv_trace_mode;

/* --record GUEST-FILE / --replay HOSTFILE (the log: see "the record/replay log"). */
typedef enum mb_wv_log_mode {
  MB_WV_LOG_NONE = 0,
  MB_WV_LOG_RECORD = 1, /* append what the run takes from outside to log_path */
  MB_WV_LOG_REPLAY = 2, /* serve it from the embedded log instead of the host */
} mb_wv_log_mode;

/* Caller-owned: mb_wv_policy_init, then _fini frees everything in it (and leaves it
 * as _init does, on the same allocator, so it can be used again). Arrays are (pointer,
 * count), allocated from the allocator given to _init, and grow as options are
 * added. Treat the fields as read-only: change the policy through the functions. */
typedef struct mb_wv_policy {
  mb_wv_mount *mounts;
  size_t mount_count;
  char **args; /* --arg, in order; argv[0] is not among them (the builder supplies it) */
  size_t arg_count;
  bool args_inherit; /* the host's whole argv instead */
  mb_wv_env *env;
  size_t env_count;
  bool env_inherit; /* every host variable, then FIXED entries override */
  mb_wv_stdio stdio[3];
  mb_wv_clock_mode clock;
  uint64_t clock_start; /* FIXED: realtime at start, nanoseconds (--clock fixed:NANOS) */
  mb_wv_random_mode random;
  uint64_t random_seed; /* SEED (--random seed:N) */
  mb_wv_fault *faults;
  size_t fault_count;
  mb_wv_trace_mode trace;
  char *trace_path; /* FILE: an absolute guest path on a writable mount */
  char *record_path; /* --record: an absolute guest path on a writable mount, or NULL */
  char *replay_path; /* --replay: the host file of a recorded log, read by the builder;
                        no other setting may be given with it (the log has the policy) */
  mb_wv_save *saves; /* --save, in order */
  size_t save_count;
  mb_allocator alloc; /* of every array and string above (mb_wv_policy_init's) */
} mb_wv_policy;

/* An empty policy (the defaults) allocating from alloc (copied; NULL: libc). */
void mb_wv_policy_init(mb_wv_policy *p, const mb_allocator *alloc);
void mb_wv_policy_fini(mb_wv_policy *p);

/* Whether flag (e.g. "--env") is a policy option: 1 takes a value, 0 takes none
 * (--env-inherit, --args-inherit), -1 not a policy option. */
int mb_wv_policy_option_arity(const char *flag);

/* Apply one option as the CLI gives it: flag "--mount", value "/h=/host/sub:rw" (NULL
 * for the ones without a value). "--policy FILE" reads and applies a JSON file (at most
 * MB_WV_POLICY_FILE_MAX bytes; IO when it cannot be read, and then where is the file
 * name). On error the policy is unchanged and diag says what and where. diag may be NULL. */
#define MB_WV_POLICY_FILE_MAX (1u << 20)
mb_wv_err mb_wv_policy_option(mb_wv_policy *p, const char *flag, const char *value,
                              mb_wv_diag *diag);

/* Apply a JSON policy (filename is for messages only; NULL means "policy"). The text is
 * exactly len bytes (no NUL needed; a NUL byte in it, or a \u0000 escape, is a SYNTAX
 * error). The top level is one object whose keys are the flags without "--": "embed",
 * "mem", "mount", "env", "env-allow", "arg", ... with either one string value as the
 * flag takes it or an array of strings (for any option: several values of a
 * single-valued one replace each other in order), and true for the flags without a
 * value (false leaves them off: it clears an earlier true):
 *   {"mount": ["/data=/host/data:ro"], "mem": "/tmp:1M", "env": ["HOME=/tmp"],
 *    "clock": "fixed:0", "stdout": "inherit", "fault": ["fd_read:2:io"]}
 * Keys apply in the order they appear. Unknown keys are errors (a typo must not silently
 * deny or allow something), and so is a key given twice (use an array). "policy" is not
 * a key: a policy file does not include others (give --policy several times instead), so
 * what one file grants is all in that file. The text must be strict JSON (RFC 8259; a
 * leading UTF-8 BOM is skipped), nested at most 64 deep, numbers at most 63 characters;
 * a syntax error names the first byte that is wrong and what was expected there. On
 * error the policy is unchanged. */
mb_wv_err mb_wv_policy_parse_json(mb_wv_policy *p, const char *filename,
                                  const char *text, size_t len,
                                  mb_wv_diag *diag);

/* Cross-option checks, once all options are in (CONFLICT): two mounts at one guest
 * path, except one EMBED plus one MEM there, which make one copy-on-write mount; two
 * EMBEDs of files whose guest paths are the same (so: two EMBEDs at one guest path,
 * since whether HOSTPATH is a file is not known here); a stdin FILE outside every mount;
 * a stdout/stderr FILE outside every MEM or :rw HOST mount (the mount that holds a path
 * is the one with the longest guest path that contains it, as wasi-libc picks preopens;
 * a path equal to a mount point is not inside it, except for an EMBED, which may be a
 * single file); --arg together with --args-inherit; one environment name given twice
 * (--env or --env-allow); two --fault for the same call of one function; a --save whose
 * GUEST is not a --mem mount point or below one (the longest mount holding it, as for
 * files), whose DEST is not strictly inside a :rw --mount (the longest mount holding
 * it), whose GUEST and DEST are one inside the other, or whose DEST is another save's
 * DEST or one inside the other. Mounts nested
 * inside other mounts are allowed (they are separate preopens, as on every WASI host).
 * The first conflict found is reported (where: the later of the two settings); NOMEM if
 * a scratch array cannot be allocated. diag may be NULL. */
mb_wv_err mb_wv_policy_check(const mb_wv_policy *p, mb_wv_diag *diag);

/* The CLI help for every policy flag: a static NUL-terminated paragraph, lines of at
 * most 80 columns, ending in '\n'. */
const char *mb_wv_policy_help(void);

/* ---- the configuration blob -------------------------------------------------------
 *
 * What `membrane virt` embeds in the output and wasi-virt reads at start-up: the policy
 * with the embedded images inside. Portable (the wasm32 layer parses it; the native
 * builder writes it). All integers little-endian, no alignment:
 *   magic 7F 'M' 'B' 'V' 'C' 'F' 'G' '1', u32 version = 1, u64 total size
 *   args:   u8 inherit, u32 n, n * str
 *   env:    u8 inherit, u32 n, n * (u8 kind, str name, str value)
 *   mounts: u32 n, n * (u8 kind, u8 readonly, u64 limit, str guest, str preopen,
 *                       str subdir, blob image)      -- in preopen order (fd 3, 4, ...)
 *   stdio:  3 * (u8 mode, str path)
 *   clock:  u8 mode, u64 start;  random: u8 mode, u64 seed
 *   faults: u32 n, n * (u8 func index, u32 nth, u16 errno)
 *   trace:  u8 mode, str path (FILE mode; empty otherwise)
 *   saves:  u32 n, n * (str guest, str dest)
 *   log:    u8 mode (mb_wv_log_mode), str path (RECORD: the guest file the log goes
 *           to; empty otherwise), blob log (REPLAY: the recorded log, whose header holds
 *           the configuration the run then uses in place of this one; empty otherwise)
 * where str = u32 length + bytes and blob = u64 length + bytes. A MEM mount's image is
 * its copy-on-write lower layer (length 0: none); an EMBED mount's is its tree.
 */
#define MB_WV_CONFIG_VERSION 4

typedef struct mb_wv_config_str {
  const char *ptr; /* into the blob; not NUL-terminated */
  uint32_t len;
} mb_wv_config_str;

typedef struct mb_wv_config_mount {
  uint8_t kind; /* mb_wv_mount_kind */
  bool readonly;
  uint64_t limit;
  mb_wv_config_str guest, preopen, subdir;
  const uint8_t *image;
  uint64_t image_len;
} mb_wv_config_mount;

typedef struct mb_wv_config_env {
  uint8_t kind; /* mb_wv_env_kind */
  mb_wv_config_str name, value;
} mb_wv_config_env;

typedef struct mb_wv_config_save {
  mb_wv_config_str guest, dest;
} mb_wv_config_save;

typedef struct mb_wv_config_fault {
  uint8_t func; /* index into mb_wasi_func_names */
  uint32_t nth;
  uint16_t err;
} mb_wv_config_fault;

/* A parsed blob: views into the caller's bytes, which must outlive it. Arrays are
 * allocated from the allocator given to mb_wv_config_parse; mb_wv_config_fini frees
 * them. */
typedef struct mb_wv_config {
  bool args_inherit, env_inherit;
  uint32_t arg_count, env_count, mount_count, fault_count;
  mb_wv_config_str *args;
  mb_wv_config_env *env;
  mb_wv_config_mount *mounts;
  struct {
    uint8_t mode; /* mb_wv_stdio_mode */
    mb_wv_config_str path;
  } stdio[3];
  uint8_t clock, random, trace;
  mb_wv_config_str trace_path;
  uint8_t log;                   /* mb_wv_log_mode */
  mb_wv_config_str log_path;   /* RECORD */
  const uint8_t *log_data;       /* REPLAY: the log */
  uint64_t log_len;
  uint64_t clock_start, random_seed;
  mb_wv_config_fault *faults;
  uint32_t save_count;
  mb_wv_config_save *saves;
  mb_allocator alloc; /* of the arrays */
} mb_wv_config;

/* Parse and check a blob (bounds, counts, enum values, func indices; images are checked
 * when mounted). MB_WASI_EINVAL for a malformed blob, MB_WASI_ENOMEM. */
mb_wasi_errno mb_wv_config_parse(const mb_allocator *alloc, mb_wv_config *cfg, const uint8_t *data,
                                 size_t len);
void mb_wv_config_fini(mb_wv_config *cfg);

/* Native builder: the blob for policy p (checked with mb_wv_policy_check first),
 * appended to out. Embedded host files and directories are read now (opt: image build
 * options, may be NULL). argv0 is the guest's argv[0] unless the policy inherits args. */
mb_wv_err mb_wv_config_build(const mb_wv_policy *p, const char *argv0,
                             const mb_vfs_build_options *opt, mb_buf *out,
                             mb_wv_diag *diag);

/* Which host preview1 functions a configuration may call (bit i: mb_wasi_func_names[i]):
 * what the builder leaves as imports of the output; the others are never called and are
 * stubbed out. client_funcs: the preview1 functions the clients import (same bits;
 * UINT64_MAX when unknown): what wasi-virt asks of the host only on behalf of a call of
 * the same kind (fd_fdstat_get of inherited stdio, fd_sync, fd_datasync) is left out
 * when no client can make that call. */
uint64_t mb_wv_config_host_funcs(const mb_wv_policy *p, uint64_t client_funcs);

/* `membrane virt` (native, with the linker): the instances fused with wasi-virt
 * configured by p (checked), written atomically to out_path: nothing is left there on
 * error. insts[0] is the main instance (its exports are the output's); instances wire
 * to each other by name as in `membrane link`; each one that imports
 * wasi_snapshot_preview1 is a client of wasi-virt with its own descriptor table, and
 * all share the filesystem. diag's where names the file or option. warn (may be NULL)
 * gets the linker's warnings, e.g. an input's dropped custom sections. With --save the
 * output's _start is a generated entry (instance membrane_entry, the link's main one):
 * insts[0]'s _start, then wasi-virt's membrane:exit, which saves; insts[0] must then
 * export _start (CONFLICT otherwise), and its other exports are the output's by name. */
struct mb_module;
typedef struct mb_wv_instance {
  const char *name; /* instance name */
  const struct mb_module *module;
  const char *path; /* for messages */
  uint32_t memory_pages; /* --memory single: --memory-size NAME=PAGES, 0 when not given */
  bool trust;            /* --memory single: --trust NAME */
} mb_wv_instance;
/* --export INST.NAME[=AS]: export NAME of the program's instance INST as AS (NULL: NAME),
 * as `membrane link` does. Any export replaces the default (insts[0]'s exports); the
 * output's `memory` stays wasi-virt's (the host's WASI reads it), so a program's memory
 * is exported under another name (e.g. app.memory=app_memory) for a JS host to read. */
typedef struct mb_wv_export {
  const char *inst, *name, *as;
} mb_wv_export;
mb_wv_err mb_wv_compose(const mb_wv_instance *insts, size_t ninsts,
                        const mb_wv_export *exports, size_t nexports,
                        const mb_wv_policy *p, const char *out_path,
                        void (*warn)(void *user, const char *message), void *user,
                        mb_wv_diag *diag);
/* The same with the memory model (DESIGN.md, "Memory models of an output"): single
 * writes one memory, insts[0] (the application) the growable region, wasi-virt a fixed
 * region at base 0 sized from the policy (mb_wv_single_pages) unless virt_pages is
 * given, unchecked (it is ours); the other instances as in `link --memory single`
 * (their memory_pages / trust). */
typedef struct mb_wv_memory_opts {
  bool single;
  uint32_t virt_pages; /* wasi-virt's region, 0: from the policy */
} mb_wv_memory_opts;
mb_wv_err mb_wv_compose_memory(const mb_wv_instance *insts, size_t ninsts,
                               const mb_wv_export *exports, size_t nexports,
                               const mb_wv_policy *p,
                               const mb_wv_memory_opts *mem, const char *out_path,
                               void (*warn)(void *user, const char *message),
                               void *user, mb_wv_diag *diag);
/* wasi-virt's region for policy p with its module's initial pages and an image of
 * image_len bytes: the initial memory, the image copied into the heap twice over (an
 * --embed under a --mem copies on write), each --mem limit twice over (files grow by
 * realloc), MB_WV_SINGLE_MEM_UNLIMITED_PAGES for a --mem without a limit, and
 * MB_WV_SINGLE_HEAP_PAGES of heap for descriptors, paths and buffers. */
#define MB_WV_SINGLE_MEM_UNLIMITED_PAGES 512u /* 32 MiB */
#define MB_WV_SINGLE_HEAP_PAGES 64u           /* 4 MiB */
uint64_t mb_wv_single_pages(const mb_wv_policy *p, uint64_t initial_pages, uint64_t image_len);

/* ---- the record/replay log (--record, --replay, `membrane replay-inspect`) ----------
 *
 * What a recording run took from outside the module, in the order it took it. Portable
 * (wasi-virt writes and replays it; the tool checks, embeds and prints it) and read as
 * untrusted input (tests/fuzz/fuzz_replay_log.c). Integers little-endian; uleb = an
 * unsigned LEB128 of at most 10 bytes (64 bits), no unused bits set:
 *   header: magic 7F 'M' 'B' 'V' 'L' 'O' 'G' '1', u32 version = 1,
 *           u32 n, n bytes: the recording's configuration blob (its policy, above)
 *   then records, up to the end of the file, each:
 *     u8 kind   1 call: a preview1 call of the program (at its start)
 *               2 host: a call wasi-virt made to the host's preview1
 *               3 exit: proc_exit (args[0]: the status)
 *     u8 func   index into mb_wasi_func_names
 *     u8 n      argument count (at most MB_WV_LOG_MAX_ARGS), n * uleb arguments
 *     uleb      errno (host: the host's answer, < 77; call, exit: 0)
 *     uleb n, n bytes: in  -- call: the path strings the call names (two joined by a
 *                            NUL); host: the path(s) asked, or for a write the FNV-1a
 *                            64 hash of the bytes written (8 bytes), for poll_oneoff
 *                            the subscriptions
 *     uleb m, out -- host: what the host wrote into wasi-virt's memory (bytes read, a
 *                    readdir listing, a filestat, readlink text, clock values, random
 *                    bytes, args/environ strings, a new fd, ...), n = m >> 1 bytes:
 *                    m even: the n bytes follow; m odd: uleb offset, from the start
 *                    of the log, of the same n bytes earlier in it (they must end at
 *                    or before this record's start): a file read again costs a few
 *                    bytes, not its data again
 * The arguments of a call are the program's as it passed them (pointers too, as
 * --trace prints them); a host call's are the scalars wasi-virt passed (descriptors,
 * lengths, offsets, flags), never its own pointers. A log ends wherever the run ended:
 * a truncated last record is a malformed log, a missing exit record is not. */
#define MB_WV_LOG_VERSION 1
#define MB_WV_LOG_MAX_ARGS 10
#define MB_WV_LOG_HEADER 16 /* bytes before the configuration */
typedef enum mb_wv_log_kind {
  MB_WV_LOG_CALL = 1,
  MB_WV_LOG_HOST = 2,
  MB_WV_LOG_EXIT = 3,
} mb_wv_log_kind;

typedef struct mb_wv_log_rec {
  uint8_t kind, func, nargs;
  uint16_t err;
  uint64_t args[MB_WV_LOG_MAX_ARGS];
  const uint8_t *in, *out; /* views into the log (or the writer's buffers) */
  uint32_t in_len, out_len;
  /* reading: where out lies in the log, and whether it was a back reference; writing:
   * out_ref set writes a back reference to out_at instead of the bytes */
  uint64_t out_at;
  bool out_ref;
} mb_wv_log_rec;

/* A reader over len bytes (borrowed: they must outlive it). */
typedef struct mb_wv_log_reader {
  const uint8_t *base, *p, *end;
  const uint8_t *config; /* the recording's configuration blob */
  uint32_t config_len;
  uint64_t records; /* read so far */
} mb_wv_log_reader;

/* The header: MB_WASI_EINVAL when it is not a log (bad magic, short), MB_WASI_ENOTSUP
 * for another version. */
mb_wasi_errno mb_wv_log_open(mb_wv_log_reader *r, const uint8_t *data, size_t len);
/* The next record: 1 read, 0 at the end, -1 malformed (then *offset is where, from the
 * start of the log, and the reader stays there). */
int mb_wv_log_next(mb_wv_log_reader *r, mb_wv_log_rec *rec, size_t *offset);
/* The encoded size of rec, and its bytes into out when cap allows (out may be NULL).
 * The out bytes, when written (no out_ref), are the last rec->out_len bytes. */
size_t mb_wv_log_encode(const mb_wv_log_rec *rec, uint8_t *out, size_t cap);
/* The header for a configuration of config_len bytes (MB_WV_LOG_HEADER bytes). */
void mb_wv_log_header(uint8_t out[MB_WV_LOG_HEADER], uint32_t config_len);
/* One line of text for rec, NUL-terminated, cut to cap (at least 64) with "...":
 *   call path_open(3, 1, 70016, 9, 0, 0, 0, 0, 70000) "data/a.txt"
 *   host fd_read(5, 65536) = 0 (success) -> 12 bytes "hello world\n"
 *   exit 3
 * Printable in/out bytes are shown quoted (C escapes), others as hex, the first 32. */
size_t mb_wv_log_format(const mb_wv_log_rec *rec, char *out, size_t cap);
/* Bit i set: argument i of the preview1 function func is a pointer into the program's
 * memory (replay compares the other arguments and the paths); path_args: up to two
 * (pointer, length) argument index pairs of path strings, 0xFF for none. */
uint32_t mb_wv_log_pointer_args(int func);
void mb_wv_log_path_args(int func, uint8_t pairs[4]);
/* FNV-1a 64 over n bytes, continued from h (start: MB_WV_LOG_FNV_START). */
#define MB_WV_LOG_FNV_START UINT64_C(0xcbf29ce484222325)
uint64_t mb_wv_log_hash(uint64_t h, const void *data, size_t n);

/* The wasi-virt reactor modules (native builds: the byte arrays the tool embeds): the
 * full one, and one without host mounts for policies that mount nothing of the host. */
extern const unsigned char mb_wasi_virt_wasm[];
extern const size_t mb_wasi_virt_wasm_len;
extern const unsigned char mb_wasi_virt_nohost_wasm[];
extern const size_t mb_wasi_virt_nohost_wasm_len;

#ifdef __cplusplus
}
#endif

#endif
