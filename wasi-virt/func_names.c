/* func_names.c — the names of the 46 preview1 functions, and errno names to numbers.
 * Portable: the wasm32 layer uses the same table for traces and faults. */
#include <string.h>

#include "vfs_internal.h"

/* In the order of wasi_snapshot_preview1.witx (shared/ref/wasi-preview1.md, section 2). */
const char *const mb_wasi_func_names[MB_WASI_FUNC_COUNT] = {
    "args_get",
    "args_sizes_get",
    "environ_get",
    "environ_sizes_get",
    "clock_res_get",
    "clock_time_get",
    "fd_advise",
    "fd_allocate",
    "fd_close",
    "fd_datasync",
    "fd_fdstat_get",
    "fd_fdstat_set_flags",
    "fd_fdstat_set_rights",
    "fd_filestat_get",
    "fd_filestat_set_size",
    "fd_filestat_set_times",
    "fd_pread",
    "fd_prestat_get",
    "fd_prestat_dir_name",
    "fd_pwrite",
    "fd_read",
    "fd_readdir",
    "fd_renumber",
    "fd_seek",
    "fd_sync",
    "fd_tell",
    "fd_write",
    "path_create_directory",
    "path_filestat_get",
    "path_filestat_set_times",
    "path_link",
    "path_open",
    "path_readlink",
    "path_remove_directory",
    "path_rename",
    "path_symlink",
    "path_unlink_file",
    "poll_oneoff",
    "proc_exit",
    "proc_raise",
    "sched_yield",
    "random_get",
    "sock_accept",
    "sock_recv",
    "sock_send",
    "sock_shutdown",
};

int mb_wasi_func_index(const char *name, size_t len) {
  if (!name) return -1;
  for (int i = 0; i < MB_WASI_FUNC_COUNT; i++) {
    const char *f = mb_wasi_func_names[i];
    if (strlen(f) == len && memcmp(f, name, len) == 0) return i;
  }
  return -1;
}

bool mb_wasi_errno_parse(const char *s, size_t len, mb_wasi_errno *out) {
  if (!s || len == 0) return false;
  size_t digits = 0;
  while (digits < len && s[digits] >= '0' && s[digits] <= '9') digits++;
  if (digits == len) { /* a number ("2big" is a name): 1..76, no leading zero */
    if (len > 2 || (len == 2 && s[0] == '0')) return false;
    unsigned v = 0;
    for (size_t i = 0; i < len; i++) v = v * 10 + (unsigned)(s[i] - '0');
    if (v == 0 || v >= MB_WASI_ERRNO_COUNT) return false;
    *out = (mb_wasi_errno)v;
    return true;
  }
  /* "success" (0) is not an error: start at 1 */
  for (unsigned e = 1; e < MB_WASI_ERRNO_COUNT; e++) {
    const char *n = mb_wasi_errno_name((mb_wasi_errno)e);
    if (strlen(n) == len && memcmp(n, s, len) == 0) {
      *out = (mb_wasi_errno)e;
      return true;
    }
  }
  return false;
}
