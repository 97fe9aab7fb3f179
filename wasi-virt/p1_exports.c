/* p1_exports.c — the 46 wasi_snapshot_preview1 exports of wasi-virt. Each one counts
 * its calls, fails with the configured errno on the configured call (--fault), runs
 * the implementation, and traces the call with its arguments and result (--trace).
 * One line per function below (signatures from shared/ref/wasi-preview1.md, section 2;
 * the indices are mb_wasi_func_names'). */
#include <string.h>

#include "p1.h"
#include "p1_calls.h"

/* The errno the n-th call of func must fail with, or 0. */
static uint16_t fault(int func) {
  uint32_t n = ++p1.calls[func];
  for (uint32_t i = 0; i < p1.cfg.fault_count; i++)
    if (p1.cfg.faults[i].func == func && p1.cfg.faults[i].nth == n) return p1.cfg.faults[i].err;
  return 0;
}

static size_t put_dec(char *b, uint64_t v) {
  char t[20];
  size_t n = 0, k = 0;
  do t[n++] = (char)('0' + v % 10); while ((v /= 10) != 0);
  while (n) b[k++] = t[--n];
  return k;
}

/* "wasi: fd_write(1, 70016, 1, 70012) = 0 (success)" on the host's stderr or into the
 * trace file (whose own writes, made inside wasi-virt, are not calls to trace). */
static void trace(int func, const uint64_t *args, int nargs, int32_t result, bool faulted) {
  if (p1.cfg.trace == MB_VIRT_TRACE_NONE) return;
  char b[512];
  size_t n = 0;
  memcpy(b, "wasi: ", 6);
  n = 6;
  const char *name = mb_wasi_func_names[func];
  size_t len = strlen(name);
  memcpy(b + n, name, len);
  n += len;
  b[n++] = '(';
  for (int i = 0; i < nargs; i++) {
    if (i) b[n++] = ',', b[n++] = ' ';
    n += put_dec(b + n, args[i]);
  }
  b[n++] = ')';
  if (result >= 0) {
    memcpy(b + n, " = ", 3);
    n += 3;
    n += put_dec(b + n, (uint64_t)result);
    b[n++] = ' ';
    b[n++] = '(';
    const char *en = mb_wasi_errno_name((mb_wasi_errno)result);
    len = strlen(en);
    memcpy(b + n, en, len);
    n += len;
    b[n++] = ')';
  }
  if (faulted) {
    memcpy(b + n, " [fault]", 8);
    n += 8;
  }
  b[n++] = '\n';
  size_t put;
  if (p1.trace_file)
    mb_vfs_write(p1.trace_file, b, n, &put); /* a full mount ends the trace quietly */
  else
    p1_host_stderr(b, n);
}



/* Count, maybe fail, call, trace: the same for every function that returns an errno.
 * The argument array is built only when tracing (this is every call's hot path). */
#define P1_CALL(idx, name, PARAMS, ARGS, ...)                                  \
  P1_EXPORT(#name) int32_t p1x_##name PARAMS {                                \
    p1_enter();                                                               \
    bool logged = p1_log_mode() != MB_VIRT_LOG_NONE;                          \
    if (logged) {                                                             \
      const uint64_t a[] = {__VA_ARGS__};                                     \
      p1_log_call(idx, a, (int)(sizeof a / sizeof *a));                       \
    }                                                                         \
    uint16_t f = fault(idx);                                                  \
    int32_t r = f ? f : (int32_t)p1_##name ARGS;                              \
    if (p1.cfg.trace) {                                                       \
      const uint64_t a[] = {__VA_ARGS__};                                     \
      trace(idx, a, (int)(sizeof a / sizeof *a), r, f != 0);                  \
    }                                                                         \
    if (logged) p1_log_call_end();                                            \
    return r;                                                                 \
  }

P1_CALL(0, args_get, (uint32_t a0, uint32_t a1), (a0, a1), a0, a1)
P1_CALL(1, args_sizes_get, (uint32_t a0, uint32_t a1), (a0, a1), a0, a1)
P1_CALL(2, environ_get, (uint32_t a0, uint32_t a1), (a0, a1), a0, a1)
P1_CALL(3, environ_sizes_get, (uint32_t a0, uint32_t a1), (a0, a1), a0, a1)
P1_CALL(4, clock_res_get, (uint32_t a0, uint32_t a1), (a0, a1), a0, a1)
P1_CALL(5, clock_time_get, (uint32_t a0, uint64_t a1, uint32_t a2), (a0, a1, a2), a0, a1, a2)
P1_CALL(6, fd_advise, (uint32_t a0, uint64_t a1, uint64_t a2, uint32_t a3),
        (a0, a1, a2, a3), a0, a1, a2, a3)
P1_CALL(7, fd_allocate, (uint32_t a0, uint64_t a1, uint64_t a2), (a0, a1, a2), a0, a1, a2)
P1_CALL(8, fd_close, (uint32_t a0), (a0), a0)
P1_CALL(9, fd_datasync, (uint32_t a0), (a0), a0)
P1_CALL(10, fd_fdstat_get, (uint32_t a0, uint32_t a1), (a0, a1), a0, a1)
P1_CALL(11, fd_fdstat_set_flags, (uint32_t a0, uint32_t a1), (a0, a1), a0, a1)
P1_CALL(12, fd_fdstat_set_rights, (uint32_t a0, uint64_t a1, uint64_t a2), (a0, a1, a2), a0, a1, a2)
P1_CALL(13, fd_filestat_get, (uint32_t a0, uint32_t a1), (a0, a1), a0, a1)
P1_CALL(14, fd_filestat_set_size, (uint32_t a0, uint64_t a1), (a0, a1), a0, a1)
P1_CALL(15, fd_filestat_set_times, (uint32_t a0, uint64_t a1, uint64_t a2, uint32_t a3),
        (a0, a1, a2, a3), a0, a1, a2, a3)
P1_CALL(16, fd_pread, (uint32_t a0, uint32_t a1, uint32_t a2, uint64_t a3, uint32_t a4),
        (a0, a1, a2, a3, a4), a0, a1, a2, a3, a4)
P1_CALL(17, fd_prestat_get, (uint32_t a0, uint32_t a1), (a0, a1), a0, a1)
P1_CALL(18, fd_prestat_dir_name, (uint32_t a0, uint32_t a1, uint32_t a2), (a0, a1, a2), a0, a1, a2)
P1_CALL(19, fd_pwrite, (uint32_t a0, uint32_t a1, uint32_t a2, uint64_t a3, uint32_t a4),
        (a0, a1, a2, a3, a4), a0, a1, a2, a3, a4)
P1_CALL(20, fd_read, (uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3),
        (a0, a1, a2, a3), a0, a1, a2, a3)
P1_CALL(21, fd_readdir, (uint32_t a0, uint32_t a1, uint32_t a2, uint64_t a3, uint32_t a4),
        (a0, a1, a2, a3, a4), a0, a1, a2, a3, a4)
P1_CALL(22, fd_renumber, (uint32_t a0, uint32_t a1), (a0, a1), a0, a1)
P1_CALL(23, fd_seek, (uint32_t a0, int64_t a1, uint32_t a2, uint32_t a3),
        (a0, a1, a2, a3), a0, a1, a2, a3)
P1_CALL(24, fd_sync, (uint32_t a0), (a0), a0)
P1_CALL(25, fd_tell, (uint32_t a0, uint32_t a1), (a0, a1), a0, a1)
P1_CALL(26, fd_write, (uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3),
        (a0, a1, a2, a3), a0, a1, a2, a3)
P1_CALL(27, path_create_directory, (uint32_t a0, uint32_t a1, uint32_t a2),
        (a0, a1, a2), a0, a1, a2)
P1_CALL(28, path_filestat_get, (uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4),
        (a0, a1, a2, a3, a4), a0, a1, a2, a3, a4)
P1_CALL(29, path_filestat_set_times,
        (uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint64_t a4, uint64_t a5, uint32_t a6),
        (a0, a1, a2, a3, a4, a5, a6), a0, a1, a2, a3, a4, a5, a6)
P1_CALL(30, path_link,
        (uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4, uint32_t a5, uint32_t a6),
        (a0, a1, a2, a3, a4, a5, a6), a0, a1, a2, a3, a4, a5, a6)
P1_CALL(31, path_open,
        (uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4, uint64_t a5,
         uint64_t a6, uint32_t a7, uint32_t a8),
        (a0, a1, a2, a3, a4, a5, a6, a7, a8), a0, a1, a2, a3, a4, a5, a6, a7, a8)
P1_CALL(32, path_readlink,
        (uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4, uint32_t a5),
        (a0, a1, a2, a3, a4, a5), a0, a1, a2, a3, a4, a5)
P1_CALL(33, path_remove_directory, (uint32_t a0, uint32_t a1, uint32_t a2),
        (a0, a1, a2), a0, a1, a2)
P1_CALL(34, path_rename,
        (uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4, uint32_t a5),
        (a0, a1, a2, a3, a4, a5), a0, a1, a2, a3, a4, a5)
P1_CALL(35, path_symlink, (uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4),
        (a0, a1, a2, a3, a4), a0, a1, a2, a3, a4)
P1_CALL(36, path_unlink_file, (uint32_t a0, uint32_t a1, uint32_t a2), (a0, a1, a2), a0, a1, a2)
P1_CALL(37, poll_oneoff, (uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3),
        (a0, a1, a2, a3), a0, a1, a2, a3)

P1_EXPORT("proc_exit") void p1x_proc_exit(uint32_t a0) {
  const uint64_t a[] = {a0};
  trace(38, a, 1, -1, false);
  p1_log_exit(a0);
  p1_proc_exit(a0);
}
P1_CALL(39, proc_raise, (uint32_t a0), (a0), (uint64_t)a0)
P1_EXPORT("sched_yield") int32_t p1x_sched_yield(void) {
  p1_enter();
  bool logged = p1_log_mode() != MB_VIRT_LOG_NONE;
  if (logged) p1_log_call(40, NULL, 0);
  uint16_t f = fault(40);
  int32_t r = f ? f : (int32_t)p1_sched_yield();
  if (p1.cfg.trace) trace(40, NULL, 0, r, f != 0);
  if (logged) p1_log_call_end();
  return r;
}
P1_CALL(41, random_get, (uint32_t a0, uint32_t a1), (a0, a1), (uint64_t)a0, (uint64_t)a1)
P1_CALL(42, sock_accept, (uint32_t a0, uint32_t a1, uint32_t a2),
        (a0, a1, a2),
        (uint64_t)a0, (uint64_t)a1, (uint64_t)a2)
P1_CALL(43, sock_recv,
        (uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4, uint32_t a5),
        (a0, a1, a2, a3, a4, a5),
        (uint64_t)a0, (uint64_t)a1, (uint64_t)a2, (uint64_t)a3, (uint64_t)a4, (uint64_t)a5)
P1_CALL(44, sock_send, (uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4),
        (a0, a1, a2, a3, a4),
        (uint64_t)a0, (uint64_t)a1, (uint64_t)a2, (uint64_t)a3, (uint64_t)a4)
P1_CALL(45, sock_shutdown, (uint32_t a0, uint32_t a1), (a0, a1), (uint64_t)a0, (uint64_t)a1)
