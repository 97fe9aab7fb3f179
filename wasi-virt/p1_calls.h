/* p1_calls.h — the implementations behind the exports (p1_fd.c, p1_path.c, p1_proc.c). */
#ifndef MB_WASI_VIRT_P1_CALLS_H
#define MB_WASI_VIRT_P1_CALLS_H
#include "p1.h"
mb_wasi_errno p1_args_get(uint32_t a0, uint32_t a1);
mb_wasi_errno p1_args_sizes_get(uint32_t a0, uint32_t a1);
mb_wasi_errno p1_environ_get(uint32_t a0, uint32_t a1);
mb_wasi_errno p1_environ_sizes_get(uint32_t a0, uint32_t a1);
mb_wasi_errno p1_clock_res_get(uint32_t a0, uint32_t a1);
mb_wasi_errno p1_clock_time_get(uint32_t a0, uint64_t a1, uint32_t a2);
mb_wasi_errno p1_fd_advise(uint32_t a0, uint64_t a1, uint64_t a2, uint32_t a3);
mb_wasi_errno p1_fd_allocate(uint32_t a0, uint64_t a1, uint64_t a2);
mb_wasi_errno p1_fd_close(uint32_t a0);
mb_wasi_errno p1_fd_datasync(uint32_t a0);
mb_wasi_errno p1_fd_fdstat_get(uint32_t a0, uint32_t a1);
mb_wasi_errno p1_fd_fdstat_set_flags(uint32_t a0, uint32_t a1);
mb_wasi_errno p1_fd_fdstat_set_rights(uint32_t a0, uint64_t a1, uint64_t a2);
mb_wasi_errno p1_fd_filestat_get(uint32_t a0, uint32_t a1);
mb_wasi_errno p1_fd_filestat_set_size(uint32_t a0, uint64_t a1);
mb_wasi_errno p1_fd_filestat_set_times(uint32_t a0, uint64_t a1, uint64_t a2, uint32_t a3);
mb_wasi_errno p1_fd_pread(uint32_t a0, uint32_t a1, uint32_t a2, uint64_t a3, uint32_t a4);
mb_wasi_errno p1_fd_prestat_get(uint32_t a0, uint32_t a1);
mb_wasi_errno p1_fd_prestat_dir_name(uint32_t a0, uint32_t a1, uint32_t a2);
mb_wasi_errno p1_fd_pwrite(uint32_t a0, uint32_t a1, uint32_t a2, uint64_t a3, uint32_t a4);
mb_wasi_errno p1_fd_read(uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3);
mb_wasi_errno p1_fd_readdir(uint32_t a0, uint32_t a1, uint32_t a2, uint64_t a3, uint32_t a4);
mb_wasi_errno p1_fd_renumber(uint32_t a0, uint32_t a1);
mb_wasi_errno p1_fd_seek(uint32_t a0, int64_t a1, uint32_t a2, uint32_t a3);
mb_wasi_errno p1_fd_sync(uint32_t a0);
mb_wasi_errno p1_fd_tell(uint32_t a0, uint32_t a1);
mb_wasi_errno p1_fd_write(uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3);
mb_wasi_errno p1_path_create_directory(uint32_t a0, uint32_t a1, uint32_t a2);
mb_wasi_errno p1_path_filestat_get(uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4);
mb_wasi_errno p1_path_filestat_set_times(uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint64_t a4, uint64_t a5, uint32_t a6);
mb_wasi_errno p1_path_link(uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4, uint32_t a5, uint32_t a6);
mb_wasi_errno p1_path_open(uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4, uint64_t a5, uint64_t a6, uint32_t a7, uint32_t a8);
mb_wasi_errno p1_path_readlink(uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4, uint32_t a5);
mb_wasi_errno p1_path_remove_directory(uint32_t a0, uint32_t a1, uint32_t a2);
mb_wasi_errno p1_path_rename(uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4, uint32_t a5);
mb_wasi_errno p1_path_symlink(uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4);
mb_wasi_errno p1_path_unlink_file(uint32_t a0, uint32_t a1, uint32_t a2);
mb_wasi_errno p1_poll_oneoff(uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3);
_Noreturn void p1_proc_exit(uint32_t a0);
mb_wasi_errno p1_proc_raise(uint32_t a0);
mb_wasi_errno p1_sched_yield(void);
mb_wasi_errno p1_random_get(uint32_t a0, uint32_t a1);
mb_wasi_errno p1_sock_accept(uint32_t a0, uint32_t a1, uint32_t a2);
mb_wasi_errno p1_sock_recv(uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4, uint32_t a5);
mb_wasi_errno p1_sock_send(uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4);
mb_wasi_errno p1_sock_shutdown(uint32_t a0, uint32_t a1);
#endif
