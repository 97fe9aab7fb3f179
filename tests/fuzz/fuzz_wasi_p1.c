/* fuzz_wasi_p1.c — wasi-virt's preview1 layer, built natively, on any sequence of
 * preview1 calls with any arguments: what a hostile guest can send it.
 *
 * The layer is wasm32 code; here the fake host below stands in for its imports: the
 * client's memory is a 64 KiB buffer holding the input itself (so paths, iovecs and
 * structs come from the fuzzer), a second client can be switched to, membrane:config
 * hands out a fixed configuration (an embedded tree at /data, a copy-on-write mem mount
 * over it at /cow, an in-memory /tmp with a small limit, fixed env and args, fixed clock,
 * seeded random, a fault on the 5th fd_read, the trace into /tmp/trace, a recording
 * into /tmp/rec), and the host's WASI answers
 * from fixed data. Out-of-bounds guest pointers and misaligned structs trap, as they do
 * in wasm: the run ends there (longjmp), as the instance would.
 *
 * What must hold: no memory error, no undefined behaviour, every call returns an errno
 * in 0..76, and p1_fini frees the state (leaks of a run that trapped are expected: a
 * trapped instance is gone with its memory, so the replay runs without LeakSanitizer).
 *
 * Input: the whole input is copied into guest memory at 0; then it is read as records:
 * u8 op (op % 47 == 46: switch client to the next byte & 1; else the function
 * op % 47), then per parameter a u16 (i32 parameters) or an s32 (i64 parameters),
 * little-endian. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "membrane_wasi_virt.h"
#include "p1.h"
#include "../common/test_alloc.h"

/* wasi-virt's objects, every run (run_calls). */
static test_alloc p1_ta;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define GUEST_SIZE 65536
static uint8_t guest[GUEST_SIZE];
static int32_t client;
static jmp_buf run_end;

_Noreturn void p1_native_trap(void) { longjmp(run_end, 1); }

void p1_caller_read(void *dst, uint32_t src, uint32_t len) {
  if ((uint64_t)src + len > GUEST_SIZE) p1_native_trap();
  memcpy(dst, guest + src, len);
}
void p1_caller_write(uint32_t dst, const void *src, uint32_t len) {
  if ((uint64_t)dst + len > GUEST_SIZE) p1_native_trap();
  memcpy(guest + dst, src, len);
}
int32_t p1_caller_id(void) { return client; }
uint32_t p1_caller_size(void) { return GUEST_SIZE >> 16; }

/* ---- the configuration ---- */

static uint8_t *config;
static size_t config_len;

static void put_le(mb_buf *b, uint64_t v, unsigned n) {
  for (unsigned i = 0; i < n; i++) {
    uint8_t c = (uint8_t)(v >> (8 * i));
    if (b->len == b->cap) {
      b->cap = b->cap ? b->cap * 2 : 256;
      b->data = realloc(b->data, b->cap);
    }
    b->data[b->len++] = c;
  }
}
static void put_bytes(mb_buf *b, const void *p, size_t n) {
  for (size_t i = 0; i < n; i++) put_le(b, ((const uint8_t *)p)[i], 1);
}
static void put_str(mb_buf *b, const char *s) {
  put_le(b, strlen(s), 4);
  put_bytes(b, s, strlen(s));
}

/* The configuration: its log fields as given (the replay variant builds a recording's
 * and a replay's). */
#ifdef P1_FUZZ_REPLAY
#define REPLAY 1
#else
#define REPLAY 0
#endif
static void build_config(mb_buf *out, uint8_t log_mode, const char *log_path,
                         const uint8_t *log, size_t log_len) {
  /* the tree: /a.txt, /dir/b.txt, /dir/link -> ../a.txt, /up -> ../../x */
  mb_vfs_image_writer *w = mb_vfs_image_writer_new(NULL);
  uint32_t dir;
  mb_vfs_image_writer_add(w, 0, "a.txt", 5, MB_WASI_FILETYPE_REGULAR_FILE, "alpha\n", 6, 1, NULL, NULL);
  mb_vfs_image_writer_add(w, 0, "dir", 3, MB_WASI_FILETYPE_DIRECTORY, NULL, 0, 2, &dir, NULL);
  mb_vfs_image_writer_add(w, dir, "b.txt", 5, MB_WASI_FILETYPE_REGULAR_FILE, "bravo bravo\n", 12, 3, NULL, NULL);
  mb_vfs_image_writer_add(w, dir, "link", 4, MB_WASI_FILETYPE_SYMBOLIC_LINK, "../a.txt", 8, 4, NULL, NULL);
  mb_vfs_image_writer_add(w, 0, "up", 2, MB_WASI_FILETYPE_SYMBOLIC_LINK, "../../x", 7, 5, NULL, NULL);
  mb_buf img;
  mb_buf_init(&img, NULL);
  if (!w || mb_vfs_image_writer_finish(w, &img, NULL)) abort();
  mb_vfs_image_writer_free(w);

  mb_buf b = {0};
  put_bytes(&b, "\x7fMBVCFG1", 8);
  put_le(&b, MB_WV_CONFIG_VERSION, 4);
  put_le(&b, 0, 8); /* size, patched */
  put_le(&b, 0, 1); /* args */
  put_le(&b, 2, 4);
  put_str(&b, "prog");
  put_str(&b, "arg");
  put_le(&b, 0, 1); /* env */
  put_le(&b, 2, 4);
  put_le(&b, MB_WV_ENV_FIXED, 1);
  put_str(&b, "K");
  put_str(&b, "V");
  put_le(&b, MB_WV_ENV_ALLOW, 1);
  put_str(&b, "HOME");
  put_str(&b, "");
  put_le(&b, 3, 4); /* mounts */
  struct { uint8_t kind; const char *guest; uint64_t limit; bool image; } m[3] = {
      {MB_WV_MOUNT_EMBED, "/data", 0, true},
      {MB_WV_MOUNT_MEM, "/cow", 4096, true},
      {MB_WV_MOUNT_MEM, "/tmp", REPLAY ? 1 << 20 : 8192, false}};
  for (int i = 0; i < 3; i++) {
    put_le(&b, m[i].kind, 1);
    put_le(&b, m[i].kind == MB_WV_MOUNT_EMBED, 1);
    put_le(&b, m[i].limit, 8);
    put_str(&b, m[i].guest);
    put_str(&b, "");
    put_str(&b, "");
    put_le(&b, m[i].image ? img.len : 0, 8);
    if (m[i].image) put_bytes(&b, img.data, img.len);
  }
  put_le(&b, REPLAY ? MB_WV_STDIO_INHERIT : MB_WV_STDIO_NULL, 1); /* stdin */
  put_str(&b, "");
  put_le(&b, MB_WV_STDIO_FILE, 1); /* stdout into /tmp */
  put_str(&b, "/tmp/out");
  put_le(&b, MB_WV_STDIO_INHERIT, 1);
  put_str(&b, "");
  put_le(&b, REPLAY ? MB_WV_CLOCK_REAL : MB_WV_CLOCK_FIXED, 1);
  put_le(&b, 1000000000, 8);
  put_le(&b, REPLAY ? MB_WV_RANDOM_REAL : MB_WV_RANDOM_SEED, 1);
  put_le(&b, 42, 8);
  put_le(&b, 1, 4); /* faults */
  put_le(&b, (uint64_t)mb_wasi_func_index("fd_read", 7), 1);
  put_le(&b, 5, 4);
  put_le(&b, MB_WASI_EIO, 2);
  put_le(&b, MB_WV_TRACE_FILE, 1); /* into /tmp too: guest calls may unlink or fill it */
  put_str(&b, "/tmp/trace");
  put_le(&b, 0, 4); /* saves: none (they need a host mount, which this build has not) */
  put_le(&b, log_mode, 1);
  put_str(&b, log_path);
  put_le(&b, log_len, 8);
  put_bytes(&b, log, log_len);
  for (unsigned k = 0; k < 8; k++) b.data[12 + k] = (uint8_t)(b.len >> (8 * k));
  mb_buf_fini(&img);
  *out = b;
}

#ifndef P1_FUZZ_REPLAY
static void make_config(void) {
  mb_buf b;
  build_config(&b, MB_WV_LOG_RECORD, "/tmp/rec", NULL, 0); /* recording too, into /tmp */
  config = b.data;
  config_len = b.len;
  /* a blob wasi-virt refused would end every run at start-up, finding nothing */
  mb_wv_config c;
  if (mb_wv_config_parse(NULL, &c, config, config_len)) abort();
  mb_wv_config_fini(&c);
}
#endif

uint32_t p1_config_size(void) { return (uint32_t)config_len; }
void p1_config_copy(void *dst, uint32_t off, uint32_t len) { memcpy(dst, config + off, len); }

/* ---- the fake host ---- */

__wasi_errno_t __wasi_fd_write(__wasi_fd_t fd, const __wasi_ciovec_t *iovs, size_t n,
                               __wasi_size_t *put) {
  size_t total = 0;
  for (size_t i = 0; i < n; i++) total += iovs[i].buf_len;
  *put = (__wasi_size_t)total;
  return fd <= 2 ? 0 : MB_WASI_EBADF;
}
__wasi_errno_t __wasi_fd_read(__wasi_fd_t fd, const __wasi_iovec_t *iovs, size_t n,
                              __wasi_size_t *got) {
  (void)iovs, (void)n;
  *got = 0;
  return fd == 0 ? 0 : MB_WASI_EBADF;
}
static const char host_env[] = "HOME=/home/h\0PATH=/bin";
__wasi_errno_t __wasi_args_sizes_get(__wasi_size_t *count, __wasi_size_t *bytes) {
  *count = 1;
  *bytes = 5;
  return 0;
}
__wasi_errno_t __wasi_args_get(uint8_t **argv, uint8_t *buf) {
  memcpy(buf, "host", 5);
  argv[0] = buf;
  return 0;
}
__wasi_errno_t __wasi_environ_sizes_get(__wasi_size_t *count, __wasi_size_t *bytes) {
  *count = 2;
  *bytes = sizeof host_env;
  return 0;
}
__wasi_errno_t __wasi_environ_get(uint8_t **env, uint8_t *buf) {
  memcpy(buf, host_env, sizeof host_env);
  env[0] = buf;
  env[1] = buf + 13;
  return 0;
}
__wasi_errno_t __wasi_clock_time_get(uint32_t id, uint64_t precision, uint64_t *out) {
  (void)id, (void)precision;
  *out = 7;
  return 0;
}
__wasi_errno_t __wasi_clock_res_get(uint32_t id, uint64_t *out) {
  (void)id;
  *out = 1;
  return 0;
}
__wasi_errno_t __wasi_random_get(uint8_t *buf, size_t len) {
  memset(buf, 0x42, len);
  return 0;
}
__wasi_errno_t __wasi_poll_oneoff(const __wasi_subscription_t *in, __wasi_event_t *out, size_t n,
                                  __wasi_size_t *got) {
  /* everything ready at once: each subscription its event (clocks time out) */
  for (size_t i = 0; i < n; i++) {
    out[i].userdata = in[i].userdata;
    out[i].error = 0;
    out[i].type = in[i].u.tag;
    out[i].fd_readwrite.nbytes = in[i].u.tag ? 1 : 0;
    out[i].fd_readwrite.flags = 0;
  }
  *got = (__wasi_size_t)n;
  return 0;
}
/* stdio as Node reports a pipe: socket_stream, raw O_* flags (masked by wasi-virt) */
__wasi_errno_t __wasi_fd_fdstat_get(__wasi_fd_t fd, __wasi_fdstat_t *st) {
  if (fd > 2) return MB_WASI_EBADF;
  st->fs_filetype = 6;
  st->fs_flags = 0x8001;
  st->fs_rights_base = UINT64_C(0x3820004a);
  st->fs_rights_inheriting = UINT64_C(0x3fffffff);
  return 0;
}
__wasi_errno_t __wasi_fd_sync(__wasi_fd_t fd) {
  return fd <= 2 ? MB_WASI_ENOTCAPABLE : MB_WASI_EBADF;
}
__wasi_errno_t __wasi_fd_datasync(__wasi_fd_t fd) { return __wasi_fd_sync(fd); }
/* the host's stdio is a pipe: no seeking; its stat is a fifo's */
__wasi_errno_t __wasi_fd_seek(__wasi_fd_t fd, __wasi_filedelta_t off, __wasi_whence_t whence,
                              __wasi_filesize_t *pos) {
  (void)off, (void)whence, (void)pos;
  return fd <= 2 ? MB_WASI_ESPIPE : MB_WASI_EBADF;
}
__wasi_errno_t __wasi_fd_tell(__wasi_fd_t fd, __wasi_filesize_t *pos) {
  return __wasi_fd_seek(fd, 0, 1, pos);
}
__wasi_errno_t __wasi_fd_filestat_get(__wasi_fd_t fd, __wasi_filestat_t *st) {
  if (fd > 2) return MB_WASI_EBADF;
  memset(st, 0, sizeof *st);
  st->filetype = 6;
  st->nlink = 1;
  return 0;
}
_Noreturn void __wasi_proc_exit(uint32_t code) {
  (void)code;
  longjmp(run_end, 2);
}

/* ---- the calls ---- */

int32_t p1x_args_get(uint32_t, uint32_t);
int32_t p1x_args_sizes_get(uint32_t, uint32_t);
int32_t p1x_environ_get(uint32_t, uint32_t);
int32_t p1x_environ_sizes_get(uint32_t, uint32_t);
int32_t p1x_clock_res_get(uint32_t, uint32_t);
int32_t p1x_clock_time_get(uint32_t, uint64_t, uint32_t);
int32_t p1x_fd_advise(uint32_t, uint64_t, uint64_t, uint32_t);
int32_t p1x_fd_allocate(uint32_t, uint64_t, uint64_t);
int32_t p1x_fd_close(uint32_t);
int32_t p1x_fd_datasync(uint32_t);
int32_t p1x_fd_fdstat_get(uint32_t, uint32_t);
int32_t p1x_fd_fdstat_set_flags(uint32_t, uint32_t);
int32_t p1x_fd_fdstat_set_rights(uint32_t, uint64_t, uint64_t);
int32_t p1x_fd_filestat_get(uint32_t, uint32_t);
int32_t p1x_fd_filestat_set_size(uint32_t, uint64_t);
int32_t p1x_fd_filestat_set_times(uint32_t, uint64_t, uint64_t, uint32_t);
int32_t p1x_fd_pread(uint32_t, uint32_t, uint32_t, uint64_t, uint32_t);
int32_t p1x_fd_prestat_get(uint32_t, uint32_t);
int32_t p1x_fd_prestat_dir_name(uint32_t, uint32_t, uint32_t);
int32_t p1x_fd_pwrite(uint32_t, uint32_t, uint32_t, uint64_t, uint32_t);
int32_t p1x_fd_read(uint32_t, uint32_t, uint32_t, uint32_t);
int32_t p1x_fd_readdir(uint32_t, uint32_t, uint32_t, uint64_t, uint32_t);
int32_t p1x_fd_renumber(uint32_t, uint32_t);
int32_t p1x_fd_seek(uint32_t, int64_t, uint32_t, uint32_t);
int32_t p1x_fd_sync(uint32_t);
int32_t p1x_fd_tell(uint32_t, uint32_t);
int32_t p1x_fd_write(uint32_t, uint32_t, uint32_t, uint32_t);
int32_t p1x_path_create_directory(uint32_t, uint32_t, uint32_t);
int32_t p1x_path_filestat_get(uint32_t, uint32_t, uint32_t, uint32_t, uint32_t);
int32_t p1x_path_filestat_set_times(uint32_t, uint32_t, uint32_t, uint32_t, uint64_t, uint64_t, uint32_t);
int32_t p1x_path_link(uint32_t, uint32_t, uint32_t, uint32_t, uint32_t, uint32_t, uint32_t);
int32_t p1x_path_open(uint32_t, uint32_t, uint32_t, uint32_t, uint32_t, uint64_t, uint64_t, uint32_t, uint32_t);
int32_t p1x_path_readlink(uint32_t, uint32_t, uint32_t, uint32_t, uint32_t, uint32_t);
int32_t p1x_path_remove_directory(uint32_t, uint32_t, uint32_t);
int32_t p1x_path_rename(uint32_t, uint32_t, uint32_t, uint32_t, uint32_t, uint32_t);
int32_t p1x_path_symlink(uint32_t, uint32_t, uint32_t, uint32_t, uint32_t);
int32_t p1x_path_unlink_file(uint32_t, uint32_t, uint32_t);
int32_t p1x_poll_oneoff(uint32_t, uint32_t, uint32_t, uint32_t);
void p1x_proc_exit(uint32_t);
int32_t p1x_proc_raise(uint32_t);
int32_t p1x_sched_yield(void);
int32_t p1x_random_get(uint32_t, uint32_t);
int32_t p1x_sock_accept(uint32_t, uint32_t, uint32_t);
int32_t p1x_sock_recv(uint32_t, uint32_t, uint32_t, uint32_t, uint32_t, uint32_t);
int32_t p1x_sock_send(uint32_t, uint32_t, uint32_t, uint32_t, uint32_t);
int32_t p1x_sock_shutdown(uint32_t, uint32_t);

static const char *const sigs[46] = {"ii", "ii", "ii", "ii", "ii", "iIi", "iIIi", "iII", "i", "i", "ii", "ii", "iII", "ii", "iI", "iIIi", "iiiIi", "ii", "iii", "iiiIi", "iiii", "iiiIi", "ii", "iIii", "i", "ii", "iiii", "iii", "iiiii", "iiiiIIi", "iiiiiii", "iiiiiIIii", "iiiiii", "iii", "iiiiii", "iiiii", "iii", "iiii", "i", "i", "", "ii", "iii", "iiiiii", "iiiii", "ii"};

static int32_t dispatch(int f, const uint64_t *a) {
  switch (f) {
  case 0: return p1x_args_get((uint32_t)a[0], (uint32_t)a[1]);
  case 1: return p1x_args_sizes_get((uint32_t)a[0], (uint32_t)a[1]);
  case 2: return p1x_environ_get((uint32_t)a[0], (uint32_t)a[1]);
  case 3: return p1x_environ_sizes_get((uint32_t)a[0], (uint32_t)a[1]);
  case 4: return p1x_clock_res_get((uint32_t)a[0], (uint32_t)a[1]);
  case 5: return p1x_clock_time_get((uint32_t)a[0], (uint64_t)a[1], (uint32_t)a[2]);
  case 6: return p1x_fd_advise((uint32_t)a[0], (uint64_t)a[1], (uint64_t)a[2], (uint32_t)a[3]);
  case 7: return p1x_fd_allocate((uint32_t)a[0], (uint64_t)a[1], (uint64_t)a[2]);
  case 8: return p1x_fd_close((uint32_t)a[0]);
  case 9: return p1x_fd_datasync((uint32_t)a[0]);
  case 10: return p1x_fd_fdstat_get((uint32_t)a[0], (uint32_t)a[1]);
  case 11: return p1x_fd_fdstat_set_flags((uint32_t)a[0], (uint32_t)a[1]);
  case 12: return p1x_fd_fdstat_set_rights((uint32_t)a[0], (uint64_t)a[1], (uint64_t)a[2]);
  case 13: return p1x_fd_filestat_get((uint32_t)a[0], (uint32_t)a[1]);
  case 14: return p1x_fd_filestat_set_size((uint32_t)a[0], (uint64_t)a[1]);
  case 15: return p1x_fd_filestat_set_times((uint32_t)a[0], (uint64_t)a[1], (uint64_t)a[2], (uint32_t)a[3]);
  case 16: return p1x_fd_pread((uint32_t)a[0], (uint32_t)a[1], (uint32_t)a[2], (uint64_t)a[3], (uint32_t)a[4]);
  case 17: return p1x_fd_prestat_get((uint32_t)a[0], (uint32_t)a[1]);
  case 18: return p1x_fd_prestat_dir_name((uint32_t)a[0], (uint32_t)a[1], (uint32_t)a[2]);
  case 19: return p1x_fd_pwrite((uint32_t)a[0], (uint32_t)a[1], (uint32_t)a[2], (uint64_t)a[3], (uint32_t)a[4]);
  case 20: return p1x_fd_read((uint32_t)a[0], (uint32_t)a[1], (uint32_t)a[2], (uint32_t)a[3]);
  case 21: return p1x_fd_readdir((uint32_t)a[0], (uint32_t)a[1], (uint32_t)a[2], (uint64_t)a[3], (uint32_t)a[4]);
  case 22: return p1x_fd_renumber((uint32_t)a[0], (uint32_t)a[1]);
  case 23: return p1x_fd_seek((uint32_t)a[0], (int64_t)a[1], (uint32_t)a[2], (uint32_t)a[3]);
  case 24: return p1x_fd_sync((uint32_t)a[0]);
  case 25: return p1x_fd_tell((uint32_t)a[0], (uint32_t)a[1]);
  case 26: return p1x_fd_write((uint32_t)a[0], (uint32_t)a[1], (uint32_t)a[2], (uint32_t)a[3]);
  case 27: return p1x_path_create_directory((uint32_t)a[0], (uint32_t)a[1], (uint32_t)a[2]);
  case 28: return p1x_path_filestat_get((uint32_t)a[0], (uint32_t)a[1], (uint32_t)a[2], (uint32_t)a[3], (uint32_t)a[4]);
  case 29: return p1x_path_filestat_set_times((uint32_t)a[0], (uint32_t)a[1], (uint32_t)a[2], (uint32_t)a[3], (uint64_t)a[4], (uint64_t)a[5], (uint32_t)a[6]);
  case 30: return p1x_path_link((uint32_t)a[0], (uint32_t)a[1], (uint32_t)a[2], (uint32_t)a[3], (uint32_t)a[4], (uint32_t)a[5], (uint32_t)a[6]);
  case 31: return p1x_path_open((uint32_t)a[0], (uint32_t)a[1], (uint32_t)a[2], (uint32_t)a[3], (uint32_t)a[4], (uint64_t)a[5], (uint64_t)a[6], (uint32_t)a[7], (uint32_t)a[8]);
  case 32: return p1x_path_readlink((uint32_t)a[0], (uint32_t)a[1], (uint32_t)a[2], (uint32_t)a[3], (uint32_t)a[4], (uint32_t)a[5]);
  case 33: return p1x_path_remove_directory((uint32_t)a[0], (uint32_t)a[1], (uint32_t)a[2]);
  case 34: return p1x_path_rename((uint32_t)a[0], (uint32_t)a[1], (uint32_t)a[2], (uint32_t)a[3], (uint32_t)a[4], (uint32_t)a[5]);
  case 35: return p1x_path_symlink((uint32_t)a[0], (uint32_t)a[1], (uint32_t)a[2], (uint32_t)a[3], (uint32_t)a[4]);
  case 36: return p1x_path_unlink_file((uint32_t)a[0], (uint32_t)a[1], (uint32_t)a[2]);
  case 37: return p1x_poll_oneoff((uint32_t)a[0], (uint32_t)a[1], (uint32_t)a[2], (uint32_t)a[3]);
  case 38: p1x_proc_exit((uint32_t)a[0]); return 0;
  case 39: return p1x_proc_raise((uint32_t)a[0]);
  case 40: return p1x_sched_yield();
  case 41: return p1x_random_get((uint32_t)a[0], (uint32_t)a[1]);
  case 42: return p1x_sock_accept((uint32_t)a[0], (uint32_t)a[1], (uint32_t)a[2]);
  case 43: return p1x_sock_recv((uint32_t)a[0], (uint32_t)a[1], (uint32_t)a[2], (uint32_t)a[3], (uint32_t)a[4], (uint32_t)a[5]);
  case 44: return p1x_sock_send((uint32_t)a[0], (uint32_t)a[1], (uint32_t)a[2], (uint32_t)a[3], (uint32_t)a[4]);
  case 45: return p1x_sock_shutdown((uint32_t)a[0], (uint32_t)a[1]);
  default: return -1;
  }
}

#ifdef P1_FUZZ_REPLAY
/* The replay variant (fuzz_p1_replay.c): the input is u16 n, n bytes of log records, then
 * the calls as above. The records follow the header and the recording's configuration
 * (make_config's) in a log replayed by wasi-virt: every call is answered from them or
 * ends the run with the divergence message and exit 70, whatever they hold.
 * MB_FUZZ_P1_SEED=FILE: instead, run the calls recording, and write FILE as a replay
 * input (the log's records, then the calls): a seed whose replay goes to the end. */
static uint8_t *recording;
static size_t recording_len;

/* A divergence ends a run where it stands, often in the middle of start-up (a mount half
 * made when the clock it asks for is not the recorded one): wasi-virt's objects are
 * created on the test allocator and what p1_fini left is freed after each run, or a long
 * libFuzzer run grows by gigabytes. (The p1 layer's own mallocs are few and not on it.) */
static void save_seed(const char *path, const uint8_t *calls, size_t n) {
  mb_vfs_file *root = NULL, *f = NULL;
  static uint8_t log[1 << 20];
  size_t len = 0, got = 1;
  if (mb_vfs_open_root(p1.vfs, 2, &root) ||
      mb_vfs_open(root, 0, "rec", 3, 0, MB_VFS_ACCESS_READ, 0, &f))
    abort();
  while (got && len < sizeof log) mb_vfs_read(f, log + len, sizeof log - len, &got), len += got;
  mb_vfs_close(f);
  mb_vfs_close(root);
  size_t skip = MB_WV_LOG_HEADER + recording_len;
  if (len < skip || len - skip > 65535) abort();
  FILE *o = fopen(path, "wb");
  uint8_t l[2] = {(uint8_t)(len - skip), (uint8_t)((len - skip) >> 8)};
  fwrite(l, 1, 2, o);
  fwrite(log + skip, 1, len - skip, o);
  fwrite(calls, 1, n, o);
  fclose(o);
}
#endif

static void run_calls(const uint8_t *data, size_t size, const char *seed);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *seed = NULL;
#ifdef P1_FUZZ_REPLAY
  seed = getenv("MB_FUZZ_P1_SEED");
  if (!recording) {
    mb_buf b;
    build_config(&b, MB_WV_LOG_RECORD, "/tmp/rec", NULL, 0);
    recording = b.data;
    recording_len = b.len;
  }
  free(config);
  if (seed) {
    config_len = recording_len;
    config = malloc(config_len);
    memcpy(config, recording, config_len);
  } else {
    size_t n = size >= 2 ? (size_t)(data[0] | data[1] << 8) : 0;
    if (n > size - (size >= 2 ? 2 : size)) n = size >= 2 ? size - 2 : 0;
    uint8_t *log = malloc(MB_WV_LOG_HEADER + recording_len + n);
    mb_wv_log_header(log, (uint32_t)recording_len);
    memcpy(log + MB_WV_LOG_HEADER, recording, recording_len);
    if (n) memcpy(log + MB_WV_LOG_HEADER + recording_len, data + 2, n);
    mb_buf b;
    build_config(&b, MB_WV_LOG_REPLAY, "", log, MB_WV_LOG_HEADER + recording_len + n);
    free(log);
    config = b.data;
    config_len = b.len;
    size_t skip = size >= 2 ? 2 + n : size;
    data += skip;
    size -= skip;
  }
#else
  if (!config) make_config();
#endif
  run_calls(data, size, seed);
  return 0;
}

/* The calls of one input (data, size: set once, so a longjmp back here clobbers nothing). */
static void run_calls(const uint8_t *data, size_t size, const char *seed) {
  static int verbose = -1; /* FUZZ_P1_VERBOSE=1: each call and its errno on stderr */
  if (verbose < 0) verbose = getenv("FUZZ_P1_VERBOSE") != NULL;
  (void)seed;
  memset(guest, 0, sizeof guest);
  memcpy(guest, data, size < GUEST_SIZE ? size : GUEST_SIZE);
  client = 0;
  /* volatile: read after a longjmp back here */
  volatile size_t pos = 0;
  if (setjmp(run_end) == 0) {
    test_alloc_init(&p1_ta, 0, false);
    p1.alloc = p1_ta.mb;
    p1_init();
    while (pos < size) {
      uint8_t op = data[pos++] % 47;
      if (op == 46) {
        client = pos < size ? data[pos++] & 1 : 0;
        continue;
      }
      uint64_t a[9] = {0};
      const char *sig = sigs[op];
      for (size_t k = 0; sig[k]; k++) {
        if (sig[k] == 'i') {
          uint16_t v = 0;
          if (pos + 2 <= size) memcpy(&v, data + pos, 2);
          pos += 2;
          a[k] = v;
        } else {
          int32_t v = 0;
          if (pos + 4 <= size) memcpy(&v, data + pos, 4);
          pos += 4;
          a[k] = (uint64_t)(int64_t)v;
        }
      }
      int32_t r = dispatch(op, a);
      if (verbose) fprintf(stderr, "client %d: %s = %s\n", client, mb_wasi_func_names[op],
                           mb_wasi_errno_name((mb_wasi_errno)r));
      if (r < 0 || r >= MB_WASI_ERRNO_COUNT) {
        fprintf(stderr, "%s returned %d, not an errno\n", mb_wasi_func_names[op], r);
        abort();
      }
    }
  }
#ifdef P1_FUZZ_REPLAY
  if (seed) save_seed(seed, data, size);
  p1_fini();
  test_alloc_free_left(&p1_ta);
#else
  p1_fini();
  if (p1_ta.live) {
    fprintf(stderr, "a run left %ld blocks (%zu bytes) of wasi-virt allocated\n", p1_ta.live,
            p1_ta.live_bytes);
    abort();
  }
#endif
}
