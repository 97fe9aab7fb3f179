/* errno.c — names of preview1 errnos and of image errors. */
#include "vfs_internal.h"

static const char *const errno_names[MB_WASI_ERRNO_COUNT] = {
    "success",     "2big",        "acces",        "addrinuse",      "addrnotavail",
    "afnosupport", "again",       "already",      "badf",           "badmsg",
    "busy",        "canceled",    "child",        "connaborted",    "connrefused",
    "connreset",   "deadlk",      "destaddrreq",  "dom",            "dquot",
    "exist",       "fault",       "fbig",         "hostunreach",    "idrm",
    "ilseq",       "inprogress",  "intr",         "inval",          "io",
    "isconn",      "isdir",       "loop",         "mfile",          "mlink",
    "msgsize",     "multihop",    "nametoolong",  "netdown",        "netreset",
    "netunreach",  "nfile",       "nobufs",       "nodev",          "noent",
    "noexec",      "nolck",       "nolink",       "nomem",          "nomsg",
    "noprotoopt",  "nospc",       "nosys",        "notconn",        "notdir",
    "notempty",    "notrecoverable", "notsock",   "notsup",         "notty",
    "nxio",        "overflow",    "ownerdead",    "perm",           "pipe",
    "proto",       "protonosupport", "prototype", "range",          "rofs",
    "spipe",       "srch",        "stale",        "timedout",       "txtbsy",
    "xdev",        "notcapable",
};

const char *mb_wasi_errno_name(mb_wasi_errno e) {
  return (unsigned)e < MB_WASI_ERRNO_COUNT ? errno_names[e] : "unknown";
}

static const char *const image_err_names[] = {
    [MB_VFS_IMAGE_OK] = "ok",
    [MB_VFS_IMAGE_TRUNCATED] = "unexpected end",
    [MB_VFS_IMAGE_BAD_MAGIC] = "magic header not detected",
    [MB_VFS_IMAGE_BAD_VERSION] = "unknown image version",
    [MB_VFS_IMAGE_BAD_HEADER] = "malformed header",
    [MB_VFS_IMAGE_BAD_NODE] = "malformed node",
    [MB_VFS_IMAGE_BAD_RANGE] = "range out of bounds",
    [MB_VFS_IMAGE_BAD_NAME] = "malformed name",
    [MB_VFS_IMAGE_BAD_ORDER] = "names out of order",
    [MB_VFS_IMAGE_BAD_TREE] = "malformed tree",
    [MB_VFS_IMAGE_TOO_BIG] = "implementation limit exceeded",
    [MB_VFS_IMAGE_NOMEM] = "out of memory",
    [MB_VFS_IMAGE_IO] = "i/o error",
    [MB_VFS_IMAGE_UNSUPPORTED] = "unsupported file type",
    [MB_VFS_IMAGE_INVALID_ARG] = "invalid argument",
};

const char *mb_vfs_image_err_name(mb_vfs_image_err e) {
  if ((unsigned)e < sizeof image_err_names / sizeof *image_err_names && image_err_names[e])
    return image_err_names[e];
  return "unknown error";
}
