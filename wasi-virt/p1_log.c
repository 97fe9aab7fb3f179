/* p1_log.c — every call wasi-virt makes to the host's preview1 (p1h_*), and the one
 * place that records them (--record) or answers them from a log (--replay).
 *
 * Recording: each host call becomes a record with the scalars wasi-virt passed, the
 * host's errno and the bytes the host wrote into wasi-virt's memory; each preview1 call
 * of the program a record with its arguments and path strings (p1_exports.c), so that a
 * replay can say where a program went another way. Records collect in a buffer that is
 * written to the log file at the end of every program call that added any (and at
 * proc_exit): a run that traps in its own code or is killed leaves the log up to its
 * last call; on a :rw mount each of those writes reaches the host at once. The log's
 * own writes (and its open) pass through unrecorded.
 *
 * Replaying: the log is embedded in the configuration; its header holds the recorded
 * configuration, which replaces this one (p1_log_start), so the vfs, the mounts and the
 * descriptors are set up as they were, and every host call they make is answered by
 * the next record instead of the host, after checking it is the same call (function,
 * scalars, paths, the hash of bytes written). Writes to the host's stdout and stderr
 * are made for real, so the user sees the output. Any difference ends the run: a
 * message naming the call, what the log holds and what was asked, exit status 70. */
#include <stdlib.h>
#include <string.h>

#include "p1.h"

#ifndef MB_VFS_NO_HOST
#define HOST(name) P1_IMPORT("wasi_snapshot_preview1", name)
HOST("path_open")
int32_t host_path_open(uint32_t fd, uint32_t dirflags, const char *path, size_t len,
                       uint32_t oflags, uint64_t base, uint64_t inh, uint32_t fdflags,
                       uint32_t *out);
HOST("path_filestat_get")
int32_t host_path_filestat_get(uint32_t fd, uint32_t flags, const char *path, size_t len,
                               mb_vfs_filestat *out);
HOST("path_readlink")
int32_t host_path_readlink(uint32_t fd, const char *path, size_t len, char *buf, size_t cap,
                           uint32_t *out);
HOST("path_filestat_set_times")
int32_t host_path_filestat_set_times(uint32_t fd, uint32_t flags, const char *path, size_t len,
                                     uint64_t atim, uint64_t mtim, uint32_t fst);
HOST("path_create_directory")
int32_t host_path_create_directory(uint32_t fd, const char *path, size_t len);
HOST("path_remove_directory")
int32_t host_path_remove_directory(uint32_t fd, const char *path, size_t len);
HOST("path_unlink_file")
int32_t host_path_unlink_file(uint32_t fd, const char *path, size_t len);
HOST("path_symlink")
int32_t host_path_symlink(const char *text, size_t text_len, uint32_t fd, const char *path,
                          size_t len);
HOST("path_rename")
int32_t host_path_rename(uint32_t fd, const char *path, size_t len, uint32_t nfd,
                         const char *npath, size_t nlen);
HOST("path_link")
int32_t host_path_link(uint32_t fd, uint32_t flags, const char *path, size_t len, uint32_t nfd,
                       const char *npath, size_t nlen);
#endif

/* preview1 function indices (mb_wasi_func_names) */
enum {
  F_ARGS_GET = 0, F_ARGS_SIZES_GET = 1, F_ENVIRON_GET = 2, F_ENVIRON_SIZES_GET = 3,
  F_CLOCK_RES_GET = 4, F_CLOCK_TIME_GET = 5, F_FD_CLOSE = 8, F_FD_DATASYNC = 9,
  F_FD_FDSTAT_GET = 10, F_FD_FILESTAT_GET = 13, F_FD_FILESTAT_SET_SIZE = 14,
  F_FD_FILESTAT_SET_TIMES = 15, F_FD_PREAD = 16, F_FD_PRESTAT_GET = 17,
  F_FD_PRESTAT_DIR_NAME = 18, F_FD_PWRITE = 19, F_FD_READ = 20, F_FD_READDIR = 21,
  F_FD_SEEK = 23, F_FD_SYNC = 24, F_FD_TELL = 25, F_FD_WRITE = 26,
  F_PATH_CREATE_DIRECTORY = 27, F_PATH_FILESTAT_GET = 28, F_PATH_FILESTAT_SET_TIMES = 29,
  F_PATH_LINK = 30, F_PATH_OPEN = 31, F_PATH_READLINK = 32, F_PATH_REMOVE_DIRECTORY = 33,
  F_PATH_RENAME = 34, F_PATH_SYMLINK = 35, F_PATH_UNLINK_FILE = 36, F_POLL_ONEOFF = 37,
  F_PROC_EXIT = 38, F_RANDOM_GET = 41,
};

static struct {
  uint8_t mode;      /* MB_WV_LOG_NONE, _RECORD, _REPLAY */
  uint64_t written;  /* recording: bytes of the log so far, header included */
  bool quiet;        /* the log's own calls: not recorded */
  bool stopped;      /* recording: the log could not be written, nothing more is */
  mb_vfs_file *file; /* recording: the log, once open */
  uint8_t *buf;      /* recording: records not yet written */
  size_t len, cap;
  mb_wv_log_reader rd; /* replaying */
  uint64_t calls;        /* the program's calls so far (the one running included) */
  bool exiting;          /* the saves at exit are running */
  uint32_t exit_code;
  char scratch[2 * MB_VFS_PATH_MAX + 1]; /* two paths joined by a NUL */
} lg;

#ifdef MB_WV_NO_LOG
/* the wasi-virt of fully virtual outputs: none of this is compiled in (its size) */
static bool recording(void) { return false; }
static bool replaying(void) { return false; }
#else
static bool recording(void) { return lg.mode == MB_WV_LOG_RECORD && !lg.quiet && !lg.stopped; }
static bool replaying(void) { return lg.mode == MB_WV_LOG_REPLAY; }
#endif

/* ---- recording ---- */

static void say(const char *s) { p1_host_stderr(s, strlen(s)); }

static void stop(const char *why) {
  lg.stopped = true;
  say("membrane wasi-virt: the recording stops here: ");
  say(why);
  say("\n");
  free(lg.buf);
  lg.buf = NULL;
  lg.len = lg.cap = 0;
}

static void flush(void) {
  if (!lg.file || !lg.len || lg.stopped) return;
  size_t put = 0;
  lg.quiet = true;
  mb_wasi_errno e = mb_vfs_write(lg.file, lg.buf, lg.len, &put);
  lg.quiet = false;
  if (e || put != lg.len) {
    stop(e ? mb_wasi_errno_name(e) : "the log's mount is full");
    return;
  }
  lg.written += lg.len;
  lg.len = 0;
}

/* Append r; the offset in the log where its out bytes go (when written, not referred). */
static uint64_t add(const mb_wv_log_rec *r) {
  /* room for the longest encoding (10-byte LEB128s), so it is encoded once */
  size_t n = 3 + 10 * (size_t)r->nargs + 5 + 5 + r->in_len + 10 + 10 + (r->out_ref ? 0 : r->out_len);
  if (n > lg.cap - lg.len) {
    size_t cap = lg.cap ? lg.cap : 4096;
    while (cap - lg.len < n && cap <= SIZE_MAX / 2) cap *= 2;
    uint8_t *b = cap - lg.len >= n ? realloc(lg.buf, cap) : NULL;
    if (!b) {
      stop("out of memory");
      return 0;
    }
    lg.buf = b;
    lg.cap = cap;
  }
  n = mb_wv_log_encode(r, lg.buf + lg.len, lg.cap - lg.len);
  uint64_t at = lg.written + lg.len + (n - r->out_len);
  lg.len += n;
  if (lg.len >= (1u << 20)) flush(); /* a long call (a big read) keeps memory bounded */
  return at;
}

/* Bytes the host gave before are not written again: the record refers back to them.
 * A file read in a loop, a listing asked twice, cost a few bytes each time after the
 * first. The earlier bytes are kept (up to CACHE_BYTES in all; CACHE_SLOTS blocks in
 * sets of CACHE_WAYS chosen by a hash, so a 4 MiB file read in 4 KiB blocks fits
 * whole) and compared in full, so a reference is never wrong. */
enum { CACHE_SLOTS = 8192, CACHE_WAYS = 4, CACHE_MIN = 256, CACHE_BYTES = 32 << 20 };
typedef struct cached {
  uint64_t hash, at;
  uint32_t len;
  uint8_t *copy;
} cached;
static cached *cache;
static size_t cache_bytes;

/* Only picks the set to look in (equal() decides): four independent lanes, so the
 * multiplies overlap (one chain made it the recording's slowest step). */
static uint64_t quick_hash(const uint8_t *p, size_t n) {
  const uint64_t k = UINT64_C(0x9E3779B97F4A7C15);
  uint64_t h[4] = {n, n ^ k, n + k, n * k}, w[4];
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    memcpy(w, p + i, 32);
    for (int l = 0; l < 4; l++) h[l] = (h[l] ^ w[l]) * k;
  }
  uint64_t r = h[0] ^ (h[1] >> 17) ^ (h[2] << 13) ^ (h[3] >> 31);
  for (; i < n; i++) r = (r ^ p[i]) * UINT64_C(0x100000001B3);
  return r ^ (r >> 29);
}

/* memcmp(a, b, n) == 0 eight bytes at a time: wasi-libc's memcmp goes byte by byte,
 * which made this the recording's slowest step. */
static bool equal(const uint8_t *a, const uint8_t *b, size_t n) {
  uint64_t x, y;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    memcpy(&x, a + i, 8);
    memcpy(&y, b + i, 8);
    if (x != y) return false;
  }
  for (; i < n; i++)
    if (a[i] != b[i]) return false;
  return true;
}

static void rec_host(int func, const uint64_t *a, int n, const void *in, size_t in_len,
                     mb_wasi_errno e, const void *out, size_t out_len) {
  mb_wv_log_rec r = {.kind = MB_WV_LOG_HOST, .func = (uint8_t)func, .nargs = (uint8_t)n,
                       .err = (uint16_t)e, .in = in, .in_len = (uint32_t)in_len,
                       .out = out, .out_len = e ? 0 : (uint32_t)out_len};
  if (n) memcpy(r.args, a, (size_t)n * sizeof *a);
  if (r.out_len < CACHE_MIN || (!cache && !(cache = calloc(CACHE_SLOTS, sizeof *cache)))) {
    add(&r);
    return;
  }
  uint64_t h = quick_hash(out, r.out_len);
  cached *set = &cache[(h % (CACHE_SLOTS / CACHE_WAYS)) * CACHE_WAYS], *c = NULL;
  for (int w = 0; w < CACHE_WAYS; w++)
    if (set[w].copy && set[w].hash == h && set[w].len == r.out_len &&
        equal(set[w].copy, out, r.out_len)) {
      r.out_ref = true;
      r.out_at = set[w].at;
      add(&r);
      return;
    }
  /* a free way, else the one the hash picks (no bookkeeping on the hot path) */
  for (int w = 0; w < CACHE_WAYS && !c; w++)
    if (!set[w].copy) c = &set[w];
  if (!c) c = &set[(h >> 32) % CACHE_WAYS];
  uint64_t at = add(&r);
  if (lg.stopped) return;
  if (!c->copy || c->len != r.out_len) {
    if (c->copy) cache_bytes -= c->len;
    free(c->copy);
    c->copy = cache_bytes + r.out_len <= CACHE_BYTES ? malloc(r.out_len) : NULL;
    if (!c->copy) return;
    cache_bytes += r.out_len;
  }
  memcpy(c->copy, out, r.out_len);
  c->hash = h;
  c->len = r.out_len;
  c->at = at;
}

/* ---- replaying ---- */

static _Noreturn void diverge(const mb_wv_log_rec *logged, const mb_wv_log_rec *asked,
                              const char *why) {
  static char line[512];
  char num[24];
  size_t k = sizeof num;
  uint64_t c = lg.calls;
  num[--k] = 0;
  do num[--k] = (char)('0' + c % 10); while ((c /= 10) && k);
  say("membrane replay: the program left the recording at call ");
  say(num + k);
  say(": ");
  if (why) {
    say(why);
  } else if (logged) {
    say("recorded ");
    mb_wv_log_format(logged, line, sizeof line);
    say(line);
  } else {
    say("the recording ends here (the recorded run returned, trapped or was killed)");
  }
  if (asked) {
    say(", asked ");
    mb_wv_log_format(asked, line, sizeof line);
    say(line);
  }
  say("\n");
  __wasi_proc_exit(70);
}

static bool same_bytes(const uint8_t *a, uint32_t an, const void *b, size_t bn) {
  return an == bn && (bn == 0 || memcmp(a, b, bn) == 0);
}

/* The next record, which must be `want` (for a call: its arguments but the pointers). */
static const mb_wv_log_rec *expect(const mb_wv_log_rec *want) {
  static mb_wv_log_rec r;
  int k = mb_wv_log_next(&lg.rd, &r, NULL);
  if (k < 0) diverge(NULL, want, "the log is corrupt here");
  /* a log kept in a tree saved at exit cannot hold that save's own calls: where it ends
   * during the saves, the run ends as the program asked */
  if (k == 0 && lg.exiting) __wasi_proc_exit(lg.exit_code);
  if (k == 0) diverge(NULL, want, NULL);
  uint32_t ptrs = want->kind == MB_WV_LOG_CALL ? mb_wv_log_pointer_args(want->func) : 0;
  bool same = r.kind == want->kind && r.func == want->func && r.nargs == want->nargs &&
              same_bytes(r.in, r.in_len, want->in, want->in_len);
  for (unsigned i = 0; same && i < r.nargs; i++)
    same = (ptrs >> i & 1) || r.args[i] == want->args[i];
  if (!same) diverge(&r, want, NULL);
  return &r;
}

static const mb_wv_log_rec *rep_host(int func, const uint64_t *a, int n, const void *in,
                                       size_t in_len) {
  mb_wv_log_rec want = {.kind = MB_WV_LOG_HOST, .func = (uint8_t)func, .nargs = (uint8_t)n,
                          .in = in, .in_len = (uint32_t)in_len};
  if (n) memcpy(want.args, a, (size_t)n * sizeof *a);
  return expect(&want);
}

/* The recorded answer's bytes must fit what the call can give: lo..hi bytes. */
static const mb_wv_log_rec *fits(const mb_wv_log_rec *r, size_t lo, size_t hi) {
  if (!r->err && (r->out_len < lo || r->out_len > hi))
    diverge(r, NULL, "the recorded answer does not fit the call (a corrupt log)");
  return r;
}

/* ---- start-up, the program's calls, exit ---- */

mb_wasi_errno p1_log_start(void) {
#ifdef MB_WV_NO_LOG
  return p1.cfg.log == MB_WV_LOG_NONE ? MB_WASI_ESUCCESS : MB_WASI_ENOTSUP;
#endif
  if (p1.cfg.log == MB_WV_LOG_RECORD) {
    lg.mode = MB_WV_LOG_RECORD;
    lg.written = MB_WV_LOG_HEADER + (uint64_t)p1.blob_len; /* where the records start */
    return MB_WASI_ESUCCESS;
  }
  if (p1.cfg.log != MB_WV_LOG_REPLAY) return MB_WASI_ESUCCESS;
  if (mb_wv_log_open(&lg.rd, p1.cfg.log_data, (size_t)p1.cfg.log_len)) return MB_WASI_EINVAL;
  /* the recording's configuration, from here on (its views are into p1.blob too) */
  mb_wv_config_fini(&p1.cfg);
  mb_wasi_errno e = mb_wv_config_parse(&p1.alloc, &p1.cfg, lg.rd.config, lg.rd.config_len);
  if (e) return e;
  if (p1.cfg.log != MB_WV_LOG_RECORD) return MB_WASI_EINVAL;
  lg.mode = MB_WV_LOG_REPLAY;
  return MB_WASI_ESUCCESS;
}

uint8_t p1_log_mode(void) {
#ifdef MB_WV_NO_LOG
  return MB_WV_LOG_NONE;
#else
  return lg.mode;
#endif
}
void p1_log_quiet(bool on) { lg.quiet = on; }

void p1_log_attach(mb_vfs_file *f) {
  uint8_t head[MB_WV_LOG_HEADER];
  mb_wv_log_header(head, p1.blob_len);
  size_t put = 0;
  lg.file = f;
  lg.quiet = true;
  mb_wasi_errno e = mb_vfs_write(f, head, sizeof head, &put);
  if (!e && put == sizeof head) e = mb_vfs_write(f, p1.blob, p1.blob_len, &put);
  lg.quiet = false;
  if (e || put != p1.blob_len) stop(e ? mb_wasi_errno_name(e) : "the log's mount is full");
  flush(); /* what start-up took from the host */
}

void p1_log_call(int func, const uint64_t *args, int nargs) {
  lg.calls++;
  uint8_t pairs[4];
  size_t in_len = 0;
  mb_wv_log_path_args(func, pairs);
  uint64_t mem = (uint64_t)p1_caller_size() << 16;
  for (int k = 0; k < 2 && pairs[2 * k] != 0xFF; k++) {
    uint64_t ptr = args[pairs[2 * k]], len = args[pairs[2 * k + 1]];
    if (k) lg.scratch[in_len++] = 0;
    /* a path the call itself refuses (too long, outside the memory) is not read here:
     * the call decides whether that traps */
    if (len >= MB_VFS_PATH_MAX || ptr + len > mem) continue;
    p1_caller_read(lg.scratch + in_len, (uint32_t)ptr, (uint32_t)len);
    in_len += len;
  }
  mb_wv_log_rec r = {.kind = MB_WV_LOG_CALL, .func = (uint8_t)func, .nargs = (uint8_t)nargs,
                       .in = (const uint8_t *)lg.scratch, .in_len = (uint32_t)in_len};
  if (nargs) memcpy(r.args, args, (size_t)nargs * sizeof *args);
  if (replaying()) expect(&r);
  else if (recording()) add(&r);
}

void p1_log_exiting(uint32_t code) {
  lg.exiting = true;
  lg.exit_code = code;
}

void p1_log_call_end(void) {
  if (recording()) flush();
}

void p1_log_exit(uint32_t code) {
  mb_wv_log_rec r = {.kind = MB_WV_LOG_EXIT, .func = F_PROC_EXIT, .nargs = 1, .args = {code}};
  lg.calls++;
  if (replaying()) expect(&r);
  if (recording()) {
    add(&r);
    flush();
  }
}

/* ---- the host calls ----
 * Each: replaying, the next record answers; otherwise the host does, and recording
 * keeps its answer. */

#define A(...) const uint64_t a[] = {__VA_ARGS__}; const int na = (int)(sizeof a / sizeof *a)

static uint64_t le_get(const uint8_t *p, unsigned n) {
  uint64_t v = 0;
  for (unsigned i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
  return v;
}

/* A call whose answer is bytes of a known size (a struct, a number) copied to out. */
static mb_wasi_errno fixed_answer(int func, const uint64_t *a, int na, const void *in,
                                  size_t in_len, void *out, size_t size) {
  const mb_wv_log_rec *r = fits(rep_host(func, a, na, in, in_len), size, size);
  if (!r->err) memcpy(out, r->out, size);
  return (mb_wasi_errno)r->err;
}

/* A call that answers only an errno. */
static mb_wasi_errno plain(int func, const uint64_t *a, int na, const void *in, size_t in_len,
                           mb_wasi_errno (*call)(void *), void *ctx) {
  if (replaying()) return (mb_wasi_errno)rep_host(func, a, na, in, in_len)->err;
  mb_wasi_errno e = call(ctx);
  if (recording()) rec_host(func, a, na, in, in_len, e, NULL, 0);
  return e;
}

mb_wasi_errno p1h_fd_read(uint32_t fd, void *buf, size_t len, size_t *got) {
  A(fd, len);
  if (replaying()) {
    const mb_wv_log_rec *r = fits(rep_host(F_FD_READ, a, na, NULL, 0), 0, len);
    if (!r->err && r->out_len) memcpy(buf, r->out, r->out_len);
    *got = r->err ? 0 : r->out_len;
    return (mb_wasi_errno)r->err;
  }
  __wasi_iovec_t v = {buf, len};
  __wasi_size_t n = 0;
  mb_wasi_errno e = p1_from_host(__wasi_fd_read(fd, &v, 1, &n));
  *got = n;
  if (recording()) rec_host(F_FD_READ, a, na, NULL, 0, e, buf, n);
  return e;
}

/* A write is checked by its length and the hash of its bytes; the count the host took
 * is the answer. Replaying, the host's stdout and stderr are written for real. */
static mb_wasi_errno write_answer(int func, const uint64_t *a, int na, const void *buf,
                                  size_t len, size_t *put) {
  uint64_t h = mb_wv_log_hash(MB_WV_LOG_FNV_START, buf, len);
  uint8_t hash[8];
  for (int i = 0; i < 8; i++) hash[i] = (uint8_t)(h >> (8 * i));
  const mb_wv_log_rec *r = fits(rep_host(func, a, na, hash, 8), 4, 4);
  *put = r->err ? 0 : (size_t)le_get(r->out, 4);
  if (*put > len) diverge(r, NULL, "the recorded answer does not fit the call (a corrupt log)");
  if (func == F_FD_WRITE && (a[0] == 1 || a[0] == 2) && *put) {
    __wasi_ciovec_t v = {buf, *put};
    __wasi_size_t n;
    (void)__wasi_fd_write((uint32_t)a[0], &v, 1, &n);
  }
  return (mb_wasi_errno)r->err;
}

static void rec_write(int func, const uint64_t *a, int na, const void *buf, size_t len,
                      mb_wasi_errno e, size_t put) {
  uint64_t h = mb_wv_log_hash(MB_WV_LOG_FNV_START, buf, len);
  uint8_t hash[8], n[4];
  for (int i = 0; i < 8; i++) hash[i] = (uint8_t)(h >> (8 * i));
  for (int i = 0; i < 4; i++) n[i] = (uint8_t)(put >> (8 * i));
  rec_host(func, a, na, hash, 8, e, n, 4);
}

mb_wasi_errno p1h_fd_write(uint32_t fd, const void *buf, size_t len, size_t *put) {
  A(fd, len);
  if (replaying()) return write_answer(F_FD_WRITE, a, na, buf, len, put);
  __wasi_ciovec_t v = {buf, len};
  __wasi_size_t n = 0;
  mb_wasi_errno e = p1_from_host(__wasi_fd_write(fd, &v, 1, &n));
  *put = n;
  if (recording()) rec_write(F_FD_WRITE, a, na, buf, len, e, n);
  return e;
}

static mb_wasi_errno seek_or_tell(int func, const uint64_t *a, int na, uint32_t fd, int64_t off,
                                  uint8_t whence, uint64_t *pos) {
  uint8_t b[8];
  if (replaying()) {
    mb_wasi_errno e = fixed_answer(func, a, na, NULL, 0, b, 8);
    if (!e) *pos = le_get(b, 8);
    return e;
  }
  __wasi_filesize_t p = 0;
  mb_wasi_errno e = func == F_FD_SEEK ? p1_from_host(__wasi_fd_seek(fd, off, whence, &p))
                                      : p1_from_host(__wasi_fd_tell(fd, &p));
  *pos = p;
  if (recording()) rec_host(func, a, na, NULL, 0, e, &p, 8);
  return e;
}
mb_wasi_errno p1h_fd_seek(uint32_t fd, int64_t off, uint8_t whence, uint64_t *pos) {
  A(fd, (uint64_t)off, whence);
  return seek_or_tell(F_FD_SEEK, a, na, fd, off, whence, pos);
}
mb_wasi_errno p1h_fd_tell(uint32_t fd, uint64_t *pos) {
  A(fd);
  return seek_or_tell(F_FD_TELL, a, na, fd, 0, 0, pos);
}

mb_wasi_errno p1h_fd_filestat_get(uint32_t fd, mb_vfs_filestat *st) {
  A(fd);
  if (replaying()) return fixed_answer(F_FD_FILESTAT_GET, a, na, NULL, 0, st, sizeof *st);
  mb_wasi_errno e = p1_from_host(__wasi_fd_filestat_get(fd, (__wasi_filestat_t *)st));
  if (recording()) rec_host(F_FD_FILESTAT_GET, a, na, NULL, 0, e, st, sizeof *st);
  return e;
}

mb_wasi_errno p1h_fd_fdstat_get(uint32_t fd, __wasi_fdstat_t *st) {
  A(fd);
  if (replaying()) return fixed_answer(F_FD_FDSTAT_GET, a, na, NULL, 0, st, sizeof *st);
  mb_wasi_errno e = p1_from_host(__wasi_fd_fdstat_get(fd, st));
  if (recording()) rec_host(F_FD_FDSTAT_GET, a, na, NULL, 0, e, st, sizeof *st);
  return e;
}

static mb_wasi_errno call_sync(void *ctx) {
  const uint32_t *x = ctx;
  return p1_from_host(x[1] ? __wasi_fd_datasync(x[0]) : __wasi_fd_sync(x[0]));
}
mb_wasi_errno p1h_fd_sync(uint32_t fd, bool data_only) {
  A(fd);
  uint32_t x[2] = {fd, data_only};
  return plain(data_only ? F_FD_DATASYNC : F_FD_SYNC, a, na, NULL, 0, call_sync, x);
}

mb_wasi_errno p1h_clock_time_get(uint32_t id, uint64_t precision, uint64_t *t) {
  A(id, precision);
  if (replaying()) return fixed_answer(F_CLOCK_TIME_GET, a, na, NULL, 0, t, 8);
  mb_wasi_errno e = p1_from_host(__wasi_clock_time_get(id, precision, t));
  if (recording()) rec_host(F_CLOCK_TIME_GET, a, na, NULL, 0, e, t, 8);
  return e;
}

mb_wasi_errno p1h_clock_res_get(uint32_t id, uint64_t *r) {
  A(id);
  if (replaying()) return fixed_answer(F_CLOCK_RES_GET, a, na, NULL, 0, r, 8);
  mb_wasi_errno e = p1_from_host(__wasi_clock_res_get(id, r));
  if (recording()) rec_host(F_CLOCK_RES_GET, a, na, NULL, 0, e, r, 8);
  return e;
}

mb_wasi_errno p1h_random_get(void *buf, size_t n) {
  A(n);
  if (replaying()) return fixed_answer(F_RANDOM_GET, a, na, NULL, 0, buf, n);
  mb_wasi_errno e = p1_from_host(__wasi_random_get(buf, n));
  if (recording()) rec_host(F_RANDOM_GET, a, na, NULL, 0, e, buf, n);
  return e;
}

mb_wasi_errno p1h_poll_oneoff(const __wasi_subscription_t *in, __wasi_event_t *out, size_t n,
                              size_t *got) {
  A(n);
  size_t in_len = n * sizeof *in;
  if (replaying()) {
    const mb_wv_log_rec *r = fits(rep_host(F_POLL_ONEOFF, a, na, in, in_len), 0, n * sizeof *out);
    if (r->out_len % sizeof *out) diverge(r, NULL, "the recorded answer does not fit the call (a corrupt log)");
    if (!r->err && r->out_len) memcpy(out, r->out, r->out_len);
    *got = r->err ? 0 : r->out_len / sizeof *out;
    return (mb_wasi_errno)r->err;
  }
  __wasi_size_t g = 0;
  mb_wasi_errno e = p1_from_host(__wasi_poll_oneoff(in, out, n, &g));
  *got = g;
  if (recording()) rec_host(F_POLL_ONEOFF, a, na, in, in_len, e, out, (size_t)g * sizeof *out);
  return e;
}

mb_wasi_errno p1h_list_sizes(bool env, uint32_t *count, uint32_t *bytes) {
  int func = env ? F_ENVIRON_SIZES_GET : F_ARGS_SIZES_GET;
  uint8_t b[8];
  if (replaying()) {
    mb_wasi_errno e = fixed_answer(func, NULL, 0, NULL, 0, b, 8);
    if (e) return e;
    *count = (uint32_t)le_get(b, 4), *bytes = (uint32_t)le_get(b + 4, 4);
    /* each string has its NUL, and the strings come in a later record of this log: sizes
     * beyond that are a corrupt log, not an allocation to try */
    if (*count > *bytes || *bytes > (size_t)(lg.rd.end - lg.rd.p))
      diverge(NULL, NULL, "the recorded sizes do not fit the log (a corrupt log)");
    return e;
  }
  __wasi_size_t n = 0, m = 0;
  mb_wasi_errno e = p1_from_host(env ? __wasi_environ_sizes_get(&n, &m) : __wasi_args_sizes_get(&n, &m));
  *count = n;
  *bytes = m;
  for (int i = 0; i < 4; i++) b[i] = (uint8_t)(n >> (8 * i)), b[4 + i] = (uint8_t)(m >> (8 * i));
  if (recording()) rec_host(func, NULL, 0, NULL, 0, e, b, 8);
  return e;
}

mb_wasi_errno p1h_list_get(bool env, char **v, char *buf, uint32_t count, uint32_t bytes) {
  int func = env ? F_ENVIRON_GET : F_ARGS_GET;
  A(count, bytes);
  if (replaying()) {
    const mb_wv_log_rec *r = fits(rep_host(func, a, na, NULL, 0), bytes, bytes);
    if (r->err) return (mb_wasi_errno)r->err;
    /* count strings, each NUL-terminated, back to back, as a host lays them out */
    uint32_t k = 0;
    for (uint32_t i = 0; i < bytes; i++)
      if (r->out[i] == 0) k++;
    if (k != count || (bytes && r->out[bytes - 1] != 0))
      diverge(r, NULL, "the recorded answer does not fit the call (a corrupt log)");
    memcpy(buf, r->out, bytes);
    for (uint32_t i = 0, s = 0; i < count; i++) {
      v[i] = buf + s;
      s += (uint32_t)strlen(buf + s) + 1;
    }
    return MB_WASI_ESUCCESS;
  }
  mb_wasi_errno e = p1_from_host(env ? __wasi_environ_get((uint8_t **)v, (uint8_t *)buf)
                                     : __wasi_args_get((uint8_t **)v, (uint8_t *)buf));
  if (recording()) rec_host(func, a, na, NULL, 0, e, buf, bytes);
  return e;
}

#ifndef MB_VFS_NO_HOST
mb_wasi_errno p1h_fd_pread(uint32_t fd, void *buf, size_t len, uint64_t off, size_t *got) {
  A(fd, len, off);
  if (replaying()) {
    const mb_wv_log_rec *r = fits(rep_host(F_FD_PREAD, a, na, NULL, 0), 0, len);
    if (!r->err && r->out_len) memcpy(buf, r->out, r->out_len);
    *got = r->err ? 0 : r->out_len;
    return (mb_wasi_errno)r->err;
  }
  __wasi_iovec_t v = {buf, len};
  __wasi_size_t n = 0;
  mb_wasi_errno e = p1_from_host(__wasi_fd_pread(fd, &v, 1, off, &n));
  *got = n;
  if (recording()) rec_host(F_FD_PREAD, a, na, NULL, 0, e, buf, n);
  return e;
}

mb_wasi_errno p1h_fd_pwrite(uint32_t fd, const void *buf, size_t len, uint64_t off, size_t *put) {
  A(fd, len, off);
  if (replaying()) return write_answer(F_FD_PWRITE, a, na, buf, len, put);
  __wasi_ciovec_t v = {buf, len};
  __wasi_size_t n = 0;
  mb_wasi_errno e = p1_from_host(__wasi_fd_pwrite(fd, &v, 1, off, &n));
  *put = n;
  if (recording()) rec_write(F_FD_PWRITE, a, na, buf, len, e, n);
  return e;
}

static mb_wasi_errno call_close(void *ctx) { return p1_from_host(__wasi_fd_close(*(uint32_t *)ctx)); }
mb_wasi_errno p1h_fd_close(uint32_t fd) {
  A(fd);
  return plain(F_FD_CLOSE, a, na, NULL, 0, call_close, &fd);
}

static mb_wasi_errno call_set_size(void *ctx) {
  const uint64_t *x = ctx;
  return p1_from_host(__wasi_fd_filestat_set_size((uint32_t)x[0], x[1]));
}
mb_wasi_errno p1h_fd_filestat_set_size(uint32_t fd, uint64_t size) {
  A(fd, size);
  return plain(F_FD_FILESTAT_SET_SIZE, a, na, NULL, 0, call_set_size, (void *)a);
}

static mb_wasi_errno call_set_times(void *ctx) {
  const uint64_t *x = ctx;
  return p1_from_host(__wasi_fd_filestat_set_times((uint32_t)x[0], x[1], x[2], (uint16_t)x[3]));
}
mb_wasi_errno p1h_fd_filestat_set_times(uint32_t fd, uint64_t atim, uint64_t mtim, uint16_t fst) {
  A(fd, atim, mtim, fst);
  return plain(F_FD_FILESTAT_SET_TIMES, a, na, NULL, 0, call_set_times, (void *)a);
}

mb_wasi_errno p1h_fd_readdir(uint32_t fd, void *buf, size_t len, uint64_t cookie, size_t *used) {
  A(fd, len, cookie);
  if (replaying()) {
    const mb_wv_log_rec *r = fits(rep_host(F_FD_READDIR, a, na, NULL, 0), 0, len);
    if (!r->err && r->out_len) memcpy(buf, r->out, r->out_len);
    *used = r->err ? 0 : r->out_len;
    return (mb_wasi_errno)r->err;
  }
  __wasi_size_t n = 0;
  mb_wasi_errno e = p1_from_host(__wasi_fd_readdir(fd, buf, len, cookie, &n));
  *used = n;
  if (recording()) rec_host(F_FD_READDIR, a, na, NULL, 0, e, buf, n);
  return e;
}

mb_wasi_errno p1h_fd_prestat_get(uint32_t fd, __wasi_prestat_t *ps) {
  A(fd);
  if (replaying()) return fixed_answer(F_FD_PRESTAT_GET, a, na, NULL, 0, ps, sizeof *ps);
  mb_wasi_errno e = p1_from_host(__wasi_fd_prestat_get(fd, ps));
  if (recording()) rec_host(F_FD_PRESTAT_GET, a, na, NULL, 0, e, ps, sizeof *ps);
  return e;
}

mb_wasi_errno p1h_fd_prestat_dir_name(uint32_t fd, char *buf, size_t len) {
  A(fd, len);
  if (replaying()) return fixed_answer(F_FD_PRESTAT_DIR_NAME, a, na, NULL, 0, buf, len);
  mb_wasi_errno e = p1_from_host(__wasi_fd_prestat_dir_name(fd, (uint8_t *)buf, len));
  if (recording()) rec_host(F_FD_PRESTAT_DIR_NAME, a, na, NULL, 0, e, buf, len);
  return e;
}

/* Two paths, joined by a NUL, for a record's in bytes. */
static size_t two(const char *p, size_t pl, const char *q, size_t ql) {
  if (pl >= MB_VFS_PATH_MAX) pl = MB_VFS_PATH_MAX - 1; /* the vfs passes shorter ones */
  if (ql >= MB_VFS_PATH_MAX) ql = MB_VFS_PATH_MAX - 1;
  memcpy(lg.scratch, p, pl);
  lg.scratch[pl] = 0;
  memcpy(lg.scratch + pl + 1, q, ql);
  return pl + 1 + ql;
}

mb_wasi_errno p1h_path_open(uint32_t fd, uint32_t dirflags, const char *path, size_t len,
                            uint16_t oflags, uint64_t base, uint64_t inh, uint16_t fdflags,
                            uint32_t *out) {
  A(fd, dirflags, oflags, base, inh, fdflags);
  uint8_t b[4];
  if (replaying()) {
    mb_wasi_errno e = fixed_answer(F_PATH_OPEN, a, na, path, len, b, 4);
    if (!e) *out = (uint32_t)le_get(b, 4);
    return e;
  }
  mb_wasi_errno e = (mb_wasi_errno)host_path_open(fd, dirflags, path, len, oflags, base, inh,
                                                  fdflags, out);
  if (recording()) rec_host(F_PATH_OPEN, a, na, path, len, e, out, 4);
  return e;
}

mb_wasi_errno p1h_path_filestat_get(uint32_t fd, uint32_t flags, const char *path, size_t len,
                                    mb_vfs_filestat *st) {
  A(fd, flags);
  if (replaying()) return fixed_answer(F_PATH_FILESTAT_GET, a, na, path, len, st, sizeof *st);
  mb_wasi_errno e = (mb_wasi_errno)host_path_filestat_get(fd, flags, path, len, st);
  if (recording()) rec_host(F_PATH_FILESTAT_GET, a, na, path, len, e, st, sizeof *st);
  return e;
}

mb_wasi_errno p1h_path_readlink(uint32_t fd, const char *path, size_t len, char *buf, size_t cap,
                                uint32_t *n) {
  A(fd, cap);
  if (replaying()) {
    const mb_wv_log_rec *r = fits(rep_host(F_PATH_READLINK, a, na, path, len), 0, cap);
    if (!r->err && r->out_len) memcpy(buf, r->out, r->out_len);
    *n = r->err ? 0 : r->out_len;
    return (mb_wasi_errno)r->err;
  }
  mb_wasi_errno e = (mb_wasi_errno)host_path_readlink(fd, path, len, buf, cap, n);
  if (recording()) rec_host(F_PATH_READLINK, a, na, path, len, e, buf, e ? 0 : *n);
  return e;
}

typedef struct path_args {
  uint32_t fd, flags, nfd;
  const char *path, *npath;
  size_t len, nlen;
  uint64_t atim, mtim;
  uint16_t fst;
  int func;
} path_args;

static mb_wasi_errno call_path(void *ctx) {
  const path_args *x = ctx;
  switch (x->func) {
  case F_PATH_FILESTAT_SET_TIMES:
    return (mb_wasi_errno)host_path_filestat_set_times(x->fd, x->flags, x->path, x->len, x->atim,
                                                       x->mtim, x->fst);
  case F_PATH_CREATE_DIRECTORY: return (mb_wasi_errno)host_path_create_directory(x->fd, x->path, x->len);
  case F_PATH_REMOVE_DIRECTORY: return (mb_wasi_errno)host_path_remove_directory(x->fd, x->path, x->len);
  case F_PATH_UNLINK_FILE: return (mb_wasi_errno)host_path_unlink_file(x->fd, x->path, x->len);
  case F_PATH_SYMLINK:
    return (mb_wasi_errno)host_path_symlink(x->npath, x->nlen, x->fd, x->path, x->len);
  case F_PATH_RENAME:
    return (mb_wasi_errno)host_path_rename(x->fd, x->path, x->len, x->nfd, x->npath, x->nlen);
  default:
    return (mb_wasi_errno)host_path_link(x->fd, x->flags, x->path, x->len, x->nfd, x->npath, x->nlen);
  }
}

mb_wasi_errno p1h_path_filestat_set_times(uint32_t fd, uint32_t flags, const char *path,
                                          size_t len, uint64_t atim, uint64_t mtim, uint16_t fst) {
  A(fd, flags, atim, mtim, fst);
  path_args x = {.fd = fd, .flags = flags, .path = path, .len = len, .atim = atim, .mtim = mtim,
                 .fst = fst, .func = F_PATH_FILESTAT_SET_TIMES};
  return plain(x.func, a, na, path, len, call_path, &x);
}

static mb_wasi_errno one_path(int func, uint32_t fd, const char *path, size_t len) {
  A(fd);
  path_args x = {.fd = fd, .path = path, .len = len, .func = func};
  return plain(func, a, na, path, len, call_path, &x);
}
mb_wasi_errno p1h_path_create_directory(uint32_t fd, const char *path, size_t len) {
  return one_path(F_PATH_CREATE_DIRECTORY, fd, path, len);
}
mb_wasi_errno p1h_path_remove_directory(uint32_t fd, const char *path, size_t len) {
  return one_path(F_PATH_REMOVE_DIRECTORY, fd, path, len);
}
mb_wasi_errno p1h_path_unlink_file(uint32_t fd, const char *path, size_t len) {
  return one_path(F_PATH_UNLINK_FILE, fd, path, len);
}

mb_wasi_errno p1h_path_symlink(const char *text, size_t text_len, uint32_t fd, const char *path,
                               size_t len) {
  A(fd);
  path_args x = {.fd = fd, .path = path, .len = len, .npath = text, .nlen = text_len,
                 .func = F_PATH_SYMLINK};
  return plain(x.func, a, na, lg.scratch, two(text, text_len, path, len), call_path, &x);
}

mb_wasi_errno p1h_path_rename(uint32_t fd, const char *path, size_t len, uint32_t nfd,
                              const char *npath, size_t nlen) {
  A(fd, nfd);
  path_args x = {.fd = fd, .path = path, .len = len, .nfd = nfd, .npath = npath, .nlen = nlen,
                 .func = F_PATH_RENAME};
  return plain(x.func, a, na, lg.scratch, two(path, len, npath, nlen), call_path, &x);
}

mb_wasi_errno p1h_path_link(uint32_t fd, uint32_t flags, const char *path, size_t len,
                            uint32_t nfd, const char *npath, size_t nlen) {
  A(fd, flags, nfd);
  path_args x = {.fd = fd, .flags = flags, .path = path, .len = len, .nfd = nfd, .npath = npath,
                 .nlen = nlen, .func = F_PATH_LINK};
  return plain(x.func, a, na, lg.scratch, two(path, len, npath, nlen), call_path, &x);
}
#endif

void p1_log_fini(void) {
  if (lg.file) mb_vfs_close(lg.file);
  for (uint32_t i = 0; cache && i < CACHE_SLOTS; i++) free(cache[i].copy);
  free(cache);
  cache = NULL;
  cache_bytes = 0;
  free(lg.buf);
  memset(&lg, 0, sizeof lg);
}
