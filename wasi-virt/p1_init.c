/* p1_init.c — the preview1 layer's state: the client's memory, the descriptor table,
 * and the start-up that turns the configuration into mounts and stdio. */
#include <stdlib.h>
#include <string.h>

#include "p1.h"

p1_state p1;

/* ---- the client's memory ---- */

void p1_check_align(uint32_t p, uint32_t align) {
  if (p & (align - 1)) P1_TRAP();
}
void p1_put_u8(uint32_t p, uint8_t v) { p1_caller_write(p, &v, 1); }
void p1_put_u16(uint32_t p, uint16_t v) {
  p1_check_align(p, 2);
  p1_caller_write(p, &v, 2);
}
void p1_put_u32(uint32_t p, uint32_t v) {
  p1_check_align(p, 4);
  p1_caller_write(p, &v, 4);
}
void p1_put_u64(uint32_t p, uint64_t v) {
  p1_check_align(p, 8);
  p1_caller_write(p, &v, 8);
}
uint32_t p1_get_u32(uint32_t p) {
  uint32_t v;
  p1_check_align(p, 4);
  p1_caller_read(&v, p, 4);
  return v;
}

const char *p1_path(int slot, uint32_t ptr, uint32_t len) {
  static char buf[2][MB_VFS_PATH_MAX];
  if (len >= MB_VFS_PATH_MAX) return NULL;
  p1_caller_read(buf[slot], ptr, len);
  return buf[slot];
}

/* ---- descriptors ---- */

/* One descriptor table per client instance (the link index membrane:caller.id gives),
 * made on the client's first call: a client's numbers mean nothing in another's table. */
typedef struct p1_client {
  int32_t id;
  p1_fd *fds;
  uint32_t nfds;
} p1_client;
static p1_client *clients;
static uint32_t nclients;
static p1_client *cur; /* the client whose call is running */
#define fds (cur->fds)
#define nfds (cur->nfds)

uint32_t p1_fd_capacity(void) { return nfds; }
p1_fd *p1_fd_slot(uint32_t fd) { return fd < nfds ? &fds[fd] : NULL; }

p1_fd *p1_fd_get(uint32_t fd) {
  if (fd >= nfds || fds[fd].kind == P1_FD_FREE) return NULL;
  return &fds[fd];
}

/* Inherited stdio is whatever the host's descriptor is: a terminal, a file, a pipe.
 * wasi-libc's isatty (so stdio's buffering, and a shell's banner and prompts) looks at
 * the file type and rights fd_fdstat_get reports, and what the descriptor may do is
 * what the host lets it do, so they are the host's, asked once, at the descriptor's
 * first lookup (the host's fd_fdstat_get is imported only for programs that can ask
 * about it; without it the stub says notcapable and a terminal's defaults stay). The
 * flags are masked to the five preview1 defines: Node reports the host's raw O_* bits
 * there. */
static void ask_host(p1_fd *f) {
  if (f->kind != P1_FD_HOST_STDIO || f->host_asked) return;
  f->host_asked = true; /* a failing host keeps the defaults, without asking again */
  __wasi_fdstat_t st;
  if (p1h_fd_fdstat_get(f->host_fd, &st)) return;
  f->filetype = st.fs_filetype;
  f->fdflags = st.fs_flags & 0x1F;
  f->base = st.fs_rights_base;
  f->inheriting = st.fs_rights_inheriting;
}

mb_wasi_errno p1_fd_lookup(uint32_t fd, uint64_t need_base, uint64_t need_inheriting,
                           p1_fd **out) {
  p1_fd *f = p1_fd_get(fd);
  if (!f) return MB_WASI_EBADF;
  ask_host(f); /* first: the host's rights are the ones checked, and attenuated */
  if ((f->base & need_base) != need_base || (f->inheriting & need_inheriting) != need_inheriting)
    return MB_WASI_ENOTCAPABLE;
  *out = f;
  return MB_WASI_ESUCCESS;
}

void p1_rights_max(uint8_t filetype, uint64_t *base, uint64_t *inheriting) {
  switch (filetype) {
  case MB_WASI_FILETYPE_DIRECTORY:
    *base = P1_RIGHTS_DIRECTORY_BASE;
    *inheriting = P1_RIGHTS_DIRECTORY_INHERITING;
    break;
  case MB_WASI_FILETYPE_CHARACTER_DEVICE:
    *base = P1_RIGHTS_CHARACTER_DEVICE_BASE;
    *inheriting = P1_RIGHTS_CHARACTER_DEVICE_INHERITING;
    break;
  default: /* regular files, and what a host mount may hold besides (read and written alike) */
    *base = P1_RIGHTS_REGULAR_FILE_BASE;
    *inheriting = P1_RIGHTS_REGULAR_FILE_INHERITING;
  }
}

/* The lowest free number, 0, 1 and 2 included: `close(1); open(...)` gives 1 on every
 * host (POSIX), and a program relies on it to send its stdout into a file. At start-up
 * stdio fills 0..2 before the preopens are allocated, so those still come at 3.. */
int64_t p1_fd_alloc(void) {
  for (uint32_t i = 0; i < nfds; i++)
    if (fds[i].kind == P1_FD_FREE) return i;
  if (nfds >= (UINT32_C(1) << 30)) return -1;
  uint32_t cap = nfds < 8 ? 8 : nfds * 2;
  p1_fd *n = realloc(fds, (size_t)cap * sizeof *n);
  if (!n) return -1;
  memset(n + nfds, 0, (size_t)(cap - nfds) * sizeof *n);
  fds = n;
  uint32_t fd = nfds;
  nfds = cap;
  return fd;
}

void p1_fd_release(uint32_t fd) {
  p1_fd *f = p1_fd_get(fd);
  if (!f) return;
  if (f->kind == P1_FD_FILE) mb_vfs_close(f->file);
  memset(f, 0, sizeof *f);
}

/* ---- start-up ---- */

void p1_host_stderr(const char *s, size_t n) {
  __wasi_ciovec_t iov = {(const uint8_t *)s, n};
  __wasi_size_t put;
  (void)__wasi_fd_write(2, &iov, 1, &put);
}

/* A start-up failure is the user's configuration, not a bug: after its one line, exit
 * status 1 (what the tool's own errors give) before the program runs, not a trap with
 * the engine's stack under the line. */
static _Noreturn void startup_exit(void) { __wasi_proc_exit(1); }

_Noreturn void p1_fatal(const char *what, const char *detail, size_t detail_len) {
  static const char pre[] = "membrane wasi-virt: ";
  p1_host_stderr(pre, sizeof pre - 1);
  p1_host_stderr(what, strlen(what));
  p1_host_stderr(detail, detail_len);
  p1_host_stderr("\n", 1);
  startup_exit();
}

static uint64_t vfs_clock(void *user) {
  (void)user;
  uint64_t t = 0;
  (void)p1_clock_now(0, &t);
  return t;
}

#ifndef MB_VFS_NO_HOST
/* The host's preopen called name, or -1. */
static int64_t host_preopen(const char *name, size_t len) {
  for (uint32_t fd = 3;; fd++) {
    __wasi_prestat_t ps;
    __wasi_errno_t e = p1h_fd_prestat_get(fd, &ps);
    if (e == __WASI_ERRNO_BADF) return -1;
    if (e != 0 || ps.tag != __WASI_PREOPENTYPE_DIR) continue;
    size_t n = ps.u.dir.pr_name_len;
    if (n != len || n >= MB_VFS_PATH_MAX) continue;
    static char buf[MB_VFS_PATH_MAX];
    if (p1h_fd_prestat_dir_name(fd, buf, n) == 0 && memcmp(buf, name, n) == 0)
      return fd;
  }
}

/* SUBDIR of a --mount, checked component by component before the vfs walks it (which
 * refuses the same things with a bare errno), so that a mistake in the command line is
 * reported at start with the path and the reason, on one line:
 *   membrane wasi-virt: cannot mount /data (--mount /data=/host/a/b): /host/a: no such directory
 * then exit status 1, as every other start-up failure. */
static void say(const char *s, size_t n) { p1_host_stderr(s, n); }
static void says(const char *s) { p1_host_stderr(s, strlen(s)); }

static _Noreturn void mount_fatal(const mb_wv_config_mount *m, const char *at, size_t at_len,
                                  const char *why, uint32_t err) {
  says("membrane wasi-virt: cannot mount ");
  say(m->guest.ptr, m->guest.len);
  says(" (--mount ");
  say(m->guest.ptr, m->guest.len);
  says("=");
  say(m->preopen.ptr, m->preopen.len);
  if (m->subdir.len) says("/");
  say(m->subdir.ptr, m->subdir.len);
  says("): ");
  say(m->preopen.ptr, m->preopen.len);
  says("/");
  say(at, at_len);
  says(": ");
  says(why);
  if (err) { /* an errno the host gave that has no reason of its own here */
    char num[12];
    size_t n = sizeof num;
    do num[--n] = (char)('0' + err % 10); while ((err /= 10) && n);
    says(" (errno ");
    say(num + n, sizeof num - n);
    says(")");
  }
  says("\n");
  startup_exit();
}

static void check_subdir(const mb_wv_config_mount *m, uint32_t hfd) {
  static char path[MB_VFS_PATH_MAX];
  size_t n = m->subdir.len;
  if (n == 0 || n >= sizeof path) return; /* the preopen itself; the policy bounds n */
  memcpy(path, m->subdir.ptr, n);
  path[n] = 0;
  for (size_t i = 1; i <= n; i++) {
    if (i < n && path[i] != '/') continue;
    char c = path[i];
    path[i] = 0; /* the prefix up to this component */
    mb_vfs_filestat st;
    __wasi_errno_t e = p1h_path_filestat_get(hfd, 0, path, i, &st); /* no symlink followed */
    if (e == __WASI_ERRNO_NOENT) mount_fatal(m, path, i, "no such directory", 0);
    if (e == __WASI_ERRNO_NOTDIR) mount_fatal(m, path, i, "not a directory", 0);
    if (e) mount_fatal(m, path, i, "the host refuses to look it up", e);
    if (st.filetype == __WASI_FILETYPE_SYMBOLIC_LINK)
      mount_fatal(m, path, i, "a symlink (not followed: mount the directory it points to)", 0);
    if (st.filetype != __WASI_FILETYPE_DIRECTORY) mount_fatal(m, path, i, "not a directory", 0);
    path[i] = c;
  }
}
#endif

static void mount_all(void) {
  for (uint32_t i = 0; i < p1.cfg.mount_count; i++) {
    const mb_wv_config_mount *m = &p1.cfg.mounts[i];
    mb_vfs_image img, *lower = NULL;
    mb_wasi_errno e = MB_WASI_ESUCCESS;
    if (m->image_len) {
      if (mb_vfs_image_open(&img, m->image, (size_t)m->image_len, NULL) != MB_WV_OK)
        p1_fatal("corrupt embedded image for ", m->guest.ptr, m->guest.len);
      lower = &img;
    }
    switch (m->kind) {
    case MB_WV_MOUNT_EMBED: e = mb_vfs_mount_embed(p1.vfs, m->guest.ptr, m->guest.len, lower, NULL); break;
    case MB_WV_MOUNT_MEM:
      e = mb_vfs_mount_mem(p1.vfs, m->guest.ptr, m->guest.len, lower, m->limit, NULL);
      break;
    default: {
#ifdef MB_VFS_NO_HOST
      p1_fatal("this wasi-virt has no host mounts: ", m->guest.ptr, m->guest.len);
#else
      int64_t hfd = host_preopen(m->preopen.ptr, m->preopen.len);
      if (hfd < 0)
        p1_fatal("the host preopens no directory called ", m->preopen.ptr, m->preopen.len);
      check_subdir(m, (uint32_t)hfd);
      e = mb_vfs_mount_host(p1.vfs, m->guest.ptr, m->guest.len, &p1_host_ops, NULL,
                            (uint32_t)hfd, m->subdir.ptr, m->subdir.len, m->readonly, NULL);
      if (e) p1_fatal("cannot mount the host directory below preopen ", m->preopen.ptr,
                      m->preopen.len);
#endif
    }
    }
    if (e) p1_fatal("cannot mount ", m->guest.ptr, m->guest.len);
  }
}

/* A stdio FILE: the longest mount that contains the guest path, the rest relative. */
static mb_wasi_errno open_guest_file(const mb_wv_config_str *path, bool write, bool first,
                                     mb_vfs_file **out) {
  int best = -1;
  size_t best_len = 0;
  for (uint32_t i = 0; i < mb_vfs_mount_count(p1.vfs); i++) {
    size_t n;
    const char *name = mb_vfs_mount_name(p1.vfs, i, &n);
    bool root = n == 1 && name[0] == '/';
    bool match = root || (path->len > n && memcmp(path->ptr, name, n) == 0 && path->ptr[n] == '/');
    if (match && (best < 0 || n > best_len)) best = (int)i, best_len = n;
  }
  if (best < 0) return MB_WASI_ENOENT;
  mb_vfs_file *root;
  mb_wasi_errno e = mb_vfs_open_root(p1.vfs, (uint32_t)best, &root);
  if (e) return e;
  size_t skip = best_len == 1 ? 1 : best_len + 1;
  e = mb_vfs_open(root, MB_WASI_LOOKUP_SYMLINK_FOLLOW, path->ptr + skip, path->len - skip,
                  write ? (uint16_t)(MB_WASI_O_CREAT | (first ? MB_WASI_O_TRUNC : 0)) : 0,
                  write ? MB_VFS_ACCESS_WRITE : MB_VFS_ACCESS_READ,
                  write && !first ? MB_WASI_FDFLAG_APPEND : 0, out);
  mb_vfs_close(root);
  return e;
}

static void setup_stdio(void) {
  for (uint32_t i = 0; i < 3; i++) {
    p1_fd *f = &fds[i];
    f->preopen = -1;
    /* the direction of the stream: stdin is not written, stdout and stderr not read */
    uint64_t deny = i == 0 ? P1_RIGHT_FD_WRITE : P1_RIGHT_FD_READ;
    switch (p1.cfg.stdio[i].mode) {
    case MB_WV_STDIO_INHERIT:
      f->kind = P1_FD_HOST_STDIO;
      f->host_fd = i;
      f->filetype = MB_WASI_FILETYPE_CHARACTER_DEVICE; /* until the host is asked (p1_fd_lookup) */
      f->base = P1_RIGHTS_TTY_BASE & ~deny;
      f->inheriting = P1_RIGHTS_TTY_INHERITING;
      break;
    case MB_WV_STDIO_NULL:
      /* /dev/null: a character device that seeks (to 0), so no terminal to isatty(),
       * which wants a character device without fd_seek and fd_tell; every right, as Node
       * reports it, but for the direction of the stream */
      f->kind = P1_FD_NULL;
      f->filetype = MB_WASI_FILETYPE_CHARACTER_DEVICE;
      f->base = P1_RIGHTS_CHARACTER_DEVICE_BASE & ~deny;
      f->inheriting = P1_RIGHTS_CHARACTER_DEVICE_INHERITING;
      break;
    default: {
      mb_wasi_errno e = open_guest_file(&p1.cfg.stdio[i].path, i != 0, nclients == 1, &f->file);
      if (e) {
        static const char *const what[] = {"cannot open stdin from ", "cannot open stdout at ",
                                           "cannot open stderr at "};
        p1_fatal(what[i], p1.cfg.stdio[i].path.ptr, p1.cfg.stdio[i].path.len);
      }
      f->kind = P1_FD_FILE;
      f->filetype = MB_WASI_FILETYPE_REGULAR_FILE;
      f->base = P1_RIGHTS_REGULAR_FILE_BASE & ~deny;
    }
    }
  }
}

static void setup_preopens(void) {
  for (uint32_t id = 0; id < mb_vfs_mount_count(p1.vfs); id++) {
    int64_t fd = p1_fd_alloc();
    if (fd < 0) p1_fatal("out of memory", "", 0);
    p1_fd *f = &fds[fd];
    if (mb_vfs_open_root(p1.vfs, id, &f->file)) p1_fatal("cannot open a mount root", "", 0);
    f->kind = P1_FD_FILE;
    f->filetype = MB_WASI_FILETYPE_DIRECTORY;
    f->preopen = (int32_t)id;
    /* every right a directory may have, as Node gives its preopens */
    f->base = P1_RIGHTS_DIRECTORY_BASE;
    f->inheriting = P1_RIGHTS_DIRECTORY_INHERITING;
  }
}

/* xoshiro256** seeded through splitmix64: deterministic, and good enough that
 * programs seeding their own generators see well-mixed bytes. */
static uint64_t splitmix(uint64_t *x) {
  uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

/* Runs in _initialize (crt1-reactor calls the constructors), before any client call. */
#ifdef __wasm__
__attribute__((constructor))
#endif
void p1_init(void) {
  uint32_t n = p1_config_size();
  p1.blob = malloc(n ? n : 1);
  if (!p1.blob) p1_fatal("out of memory reading the configuration", "", 0);
  p1_config_copy(p1.blob, 0, n);
  p1.blob_len = n;
  if (mb_wv_config_parse(&p1.cfg, p1.blob, n)) p1_fatal("corrupt configuration", "", 0);
  mb_wasi_errno le = p1_log_start();
  if (le == MB_WASI_ENOTSUP) p1_fatal("this wasi-virt cannot record or replay", "", 0);
  if (le) p1_fatal("corrupt replay log", "", 0);
  p1.vfs = mb_vfs_new();
  if (!p1.vfs) p1_fatal("out of memory", "", 0);
  mb_vfs_set_clock(p1.vfs, vfs_clock, NULL);
  mount_all();
  if (p1.cfg.trace == MB_WV_TRACE_FILE &&
      open_guest_file(&p1.cfg.trace_path, true, true, &p1.trace_file))
    p1_fatal("cannot open the trace file at ", p1.cfg.trace_path.ptr, p1.cfg.trace_path.len);
  if (p1_log_mode() == MB_WV_LOG_RECORD) {
    mb_vfs_file *log;
    p1_log_quiet(true);
    mb_wasi_errno e = open_guest_file(&p1.cfg.log_path, true, true, &log);
    p1_log_quiet(false);
    if (e) p1_fatal("cannot open the record log at ", p1.cfg.log_path.ptr, p1.cfg.log_path.len);
    p1_log_attach(log);
  }
  uint64_t s = p1.cfg.random_seed;
  for (int i = 0; i < 4; i++) p1.rng[i] = splitmix(&s);
}

void p1_enter(void) {
  int32_t id = p1_caller_id();
  if (cur && cur->id == id) return;
  for (uint32_t i = 0; i < nclients; i++)
    if (clients[i].id == id) {
      cur = &clients[i];
      return;
    }
  /* a new client: stdio, then the preopens from fd 3, as every WASI host gives them */
  p1_client *c = realloc(clients, (nclients + 1) * sizeof *c);
  if (!c) p1_fatal("out of memory", "", 0);
  clients = c;
  cur = &clients[nclients++];
  memset(cur, 0, sizeof *cur);
  cur->id = id;
  if (p1_fd_alloc() < 0) p1_fatal("out of memory", "", 0); /* slots 0..7, all free */
  setup_stdio();
  setup_preopens();
}

void p1_fini(void) {
  /* first: what closing files asks of the host (the clock) goes to the host, not to a
   * replay, whose end would be a divergence in the middle of this */
  p1_log_fini();
  for (uint32_t c = 0; c < nclients; c++) {
    cur = &clients[c];
    for (uint32_t fd = 0; fd < nfds; fd++) p1_fd_release(fd);
    free(fds);
  }
  free(clients);
  clients = cur = NULL;
  nclients = 0;
  p1_proc_fini();
  if (p1.trace_file) mb_vfs_close(p1.trace_file);
  mb_vfs_free(p1.vfs);
  mb_wv_config_fini(&p1.cfg);
  free(p1.blob);
  memset(&p1, 0, sizeof p1);
}
