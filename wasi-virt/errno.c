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

const char *mb_wv_err_name(mb_wv_err e) {
  switch (e) {
  case MB_WV_OK: return "ok";
  case MB_WV_ERR_NOMEM: return "out of memory";
  case MB_WV_ERR_IO: return "i/o error";
  case MB_WV_ERR_UNSUPPORTED: return "unsupported file type";
  case MB_WV_ERR_INVALID_ARG: return "invalid argument";
  case MB_WV_ERR_UNKNOWN_OPTION: return "unknown option";
  case MB_WV_ERR_BAD_VALUE: return "bad value";
  case MB_WV_ERR_CONFLICT: return "conflicting settings";
  case MB_WV_ERR_SYNTAX: return "syntax error";
  case MB_WV_ERR_IMAGE_TRUNCATED: return "unexpected end";
  case MB_WV_ERR_IMAGE_BAD_MAGIC: return "magic header not detected";
  case MB_WV_ERR_IMAGE_BAD_VERSION: return "unknown image version";
  case MB_WV_ERR_IMAGE_BAD_HEADER: return "malformed header";
  case MB_WV_ERR_IMAGE_BAD_NODE: return "malformed node";
  case MB_WV_ERR_IMAGE_BAD_RANGE: return "range out of bounds";
  case MB_WV_ERR_IMAGE_BAD_NAME: return "malformed name";
  case MB_WV_ERR_IMAGE_BAD_ORDER: return "names out of order";
  case MB_WV_ERR_IMAGE_BAD_TREE: return "malformed tree";
  case MB_WV_ERR_IMAGE_TOO_BIG: return "implementation limit exceeded";
  }
  return "unknown error";
}
