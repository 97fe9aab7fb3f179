/* wasi/api.h for the native build of wasi-virt's preview1 layer (fuzz_wasi_p1 only):
 * the few types and host calls the layer uses, with wasi-libc's names and layouts.
 * fuzz_wasi_p1.c implements the calls as a fake host. */
#ifndef MB_FUZZ_WASI_SHIM_API_H
#define MB_FUZZ_WASI_SHIM_API_H

#include <stddef.h>
#include <stdint.h>

typedef uint32_t __wasi_size_t; /* wasm32's size_t, also natively */
typedef uint16_t __wasi_errno_t;
typedef uint32_t __wasi_fd_t;
typedef uint64_t __wasi_timestamp_t;
typedef struct __wasi_iovec_t {
  uint8_t *buf;
  size_t buf_len;
} __wasi_iovec_t;
typedef struct __wasi_ciovec_t {
  const uint8_t *buf;
  size_t buf_len;
} __wasi_ciovec_t;
typedef struct __wasi_subscription_clock_t {
  uint32_t id;
  uint64_t timeout, precision;
  uint16_t flags;
} __wasi_subscription_clock_t;
typedef struct __wasi_subscription_fd_readwrite_t {
  __wasi_fd_t file_descriptor;
} __wasi_subscription_fd_readwrite_t;
typedef struct __wasi_subscription_t {
  uint64_t userdata;
  struct {
    uint8_t tag;
    union {
      __wasi_subscription_clock_t clock;
      __wasi_subscription_fd_readwrite_t fd_read, fd_write;
    } u;
  } u;
} __wasi_subscription_t;
typedef struct __wasi_event_fd_readwrite_t {
  uint64_t nbytes;
  uint16_t flags;
} __wasi_event_fd_readwrite_t;
typedef struct __wasi_event_t {
  uint64_t userdata;
  uint16_t error;
  uint8_t type;
  __wasi_event_fd_readwrite_t fd_readwrite;
} __wasi_event_t;

typedef struct __wasi_fdstat_t {
  uint8_t fs_filetype;
  uint16_t fs_flags;
  uint64_t fs_rights_base;
  uint64_t fs_rights_inheriting;
} __wasi_fdstat_t;

typedef uint64_t __wasi_filesize_t;
typedef int64_t __wasi_filedelta_t;
typedef uint8_t __wasi_whence_t;
typedef struct __wasi_filestat_t {
  uint64_t dev;
  uint64_t ino;
  uint8_t filetype;
  uint64_t nlink;
  uint64_t size;
  uint64_t atim;
  uint64_t mtim;
  uint64_t ctim;
} __wasi_filestat_t;

#define __WASI_ERRNO_BADF 8
#define __WASI_EVENTTYPE_CLOCK 0
#define __WASI_EVENTTYPE_FD_READ 1
#define __WASI_EVENTTYPE_FD_WRITE 2
#define __WASI_CLOCKID_MONOTONIC 1

__wasi_errno_t __wasi_fd_write(__wasi_fd_t fd, const __wasi_ciovec_t *iovs, size_t n,
                               __wasi_size_t *put);
__wasi_errno_t __wasi_fd_read(__wasi_fd_t fd, const __wasi_iovec_t *iovs, size_t n,
                              __wasi_size_t *got);
__wasi_errno_t __wasi_args_sizes_get(__wasi_size_t *count, __wasi_size_t *bytes);
__wasi_errno_t __wasi_args_get(uint8_t **argv, uint8_t *buf);
__wasi_errno_t __wasi_environ_sizes_get(__wasi_size_t *count, __wasi_size_t *bytes);
__wasi_errno_t __wasi_environ_get(uint8_t **env, uint8_t *buf);
__wasi_errno_t __wasi_clock_time_get(uint32_t id, uint64_t precision, uint64_t *out);
__wasi_errno_t __wasi_clock_res_get(uint32_t id, uint64_t *out);
__wasi_errno_t __wasi_random_get(uint8_t *buf, size_t len);
__wasi_errno_t __wasi_poll_oneoff(const __wasi_subscription_t *in, __wasi_event_t *out,
                                  size_t n, __wasi_size_t *got);
__wasi_errno_t __wasi_fd_fdstat_get(__wasi_fd_t fd, __wasi_fdstat_t *st);
__wasi_errno_t __wasi_fd_sync(__wasi_fd_t fd);
__wasi_errno_t __wasi_fd_seek(__wasi_fd_t fd, __wasi_filedelta_t off, __wasi_whence_t whence,
                              __wasi_filesize_t *pos);
__wasi_errno_t __wasi_fd_tell(__wasi_fd_t fd, __wasi_filesize_t *pos);
__wasi_errno_t __wasi_fd_filestat_get(__wasi_fd_t fd, __wasi_filestat_t *st);
__wasi_errno_t __wasi_fd_datasync(__wasi_fd_t fd);
_Noreturn void __wasi_proc_exit(uint32_t code);

#endif
