/* config_build.c — the native side of the configuration: a checked policy becomes the
 * blob wasi-virt reads at start-up (format: membrane_wasi_virt.h), with the embedded
 * host files and directories read into images now. Native only. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "vfs_internal.h"

/* One preopen of the guest: the policy's mounts at one guest path, merged. */
typedef struct point {
  const char *guest;
  size_t guest_len;
  mb_wv_mount_kind kind; /* HOST, MEM (maybe over embeds) or EMBED */
  bool has_embed;
  const mb_wv_mount *host; /* HOST */
  uint64_t limit;
  mb_vfs_image_writer *w; /* the embedded tree, when has_embed */
} point;

typedef struct builder {
  point *pts;
  size_t npts;
  mb_buf *out;
  bool nomem;
  mb_wv_diag *diag;
  const mb_allocator *alloc; /* the policy's: scratch and embedded images */
} builder;

#define fail mb__policy_fail

static point *point_at(builder *b, const char *guest, size_t len) {
  for (size_t i = 0; i < b->npts; i++)
    if (b->pts[i].guest_len == len && memcmp(b->pts[i].guest, guest, len) == 0)
      return &b->pts[i];
  point *p = &b->pts[b->npts++];
  memset(p, 0, sizeof *p);
  p->guest = guest;
  p->guest_len = len;
  p->kind = MB_WV_MOUNT_EMBED;
  p->limit = MB_VFS_NO_LIMIT;
  return p;
}

static void put(builder *b, const void *p, size_t n) {
  if (!mb_buf_append(b->out, p, n)) b->nomem = true;
}
static void put_le(builder *b, uint64_t v, unsigned n) {
  uint8_t t[8];
  for (unsigned i = 0; i < n; i++) t[i] = (uint8_t)(v >> (8 * i));
  put(b, t, n);
}
static void put_str(builder *b, const char *s, size_t n) {
  put_le(b, n, 4);
  put(b, s, n);
}
static void put_cstr(builder *b, const char *s) { put_str(b, s ? s : "", s ? strlen(s) : 0); }

static mb_wv_err add_embed(builder *b, const mb_wv_mount *m,
                           const mb_vfs_build_options *opt) {
  char where[300];
  snprintf(where, sizeof where, "--embed %s=%s", m->guest, m->host_path);
  struct stat st;
  if (stat(m->host_path, &st) != 0)
    return fail(b->diag, MB_WV_ERR_IO, where, "cannot read '%s': no such file or directory",
                m->host_path);
  point *p;
  size_t glen = strlen(m->guest);
  const char *base = NULL;
  if (S_ISDIR(st.st_mode)) {
    p = point_at(b, m->guest, glen);
  } else {
    /* a file: the entry basename(guest) of the mount at dirname(guest) */
    const char *slash = strrchr(m->guest, '/');
    if (!slash || slash[1] == '\0')
      return fail(b->diag, MB_WV_ERR_BAD_VALUE, where,
                  "a file is embedded under a name: give GUEST as /DIR/NAME");
    base = slash + 1;
    p = point_at(b, m->guest, slash == m->guest ? 1 : (size_t)(slash - m->guest));
  }
  p->has_embed = true;
  if (!p->w && !(p->w = mb_vfs_image_writer_new(b->alloc))) return MB_WV_ERR_NOMEM;
  mb_wv_diag id;
  mb_wv_err e = base ? mb_vfs_image_add_host(p->w, 0, base, m->host_path, opt, &id)
                            : mb_vfs_image_add_host_children(p->w, 0, m->host_path, opt, &id);
  if (e == MB_WV_ERR_NOMEM) return MB_WV_ERR_NOMEM;
  if (e) return fail(b->diag, MB_WV_ERR_IO, where, "%s", id.message);
  return MB_WV_OK;
}

static mb_wv_err write_mount(builder *b, point *p) {
  const mb_wv_mount *h = p->host;
  put_le(b, (uint64_t)p->kind, 1);
  put_le(b, h ? h->readonly : p->kind == MB_WV_MOUNT_EMBED, 1);
  put_le(b, p->limit, 8);
  put_str(b, p->guest, p->guest_len);
  put_cstr(b, h ? h->preopen : "");
  put_cstr(b, h ? h->subdir : "");
  if (!p->has_embed) {
    put_le(b, 0, 8);
    return MB_WV_OK;
  }
  mb_buf img;
  mb_buf_init(&img, b->alloc);
  mb_wv_diag id;
  mb_wv_err e = mb_vfs_image_writer_finish(p->w, &img, &id);
  if (e == MB_WV_OK) {
    put_le(b, img.len, 8);
    put(b, img.data, img.len);
  }
  mb_buf_fini(&img);
  if (e == MB_WV_ERR_NOMEM) return MB_WV_ERR_NOMEM;
  if (e) {
    char where[300];
    snprintf(where, sizeof where, "--embed %.*s", (int)p->guest_len, p->guest);
    return fail(b->diag, MB_WV_ERR_CONFLICT, where, "%s", id.message);
  }
  return MB_WV_OK;
}

/* --replay: the recorded log, checked record by record (it is untrusted: whatever
 * wrote the file), as a blob. Its configuration must be a recording's. */
static mb_wv_err read_log(builder *b, const char *path, mb_wv_diag *diag) {
  char where[300];
  snprintf(where, sizeof where, "--replay %s", path);
  mb_wv_err err = MB_WV_OK;
  uint8_t *data = NULL;
  size_t len = 0, cap = 0;
  FILE *f = fopen(path, "rb");
  if (!f) return fail(diag, MB_WV_ERR_IO, where, "cannot read '%s'", path);
  for (;;) {
    if (len == cap) {
      size_t ncap = cap ? cap * 2 : 65536;
      uint8_t *n = ncap > cap ? mb_mem_realloc(b->alloc, data, ncap) : NULL;
      if (!n) {
        err = fail(diag, MB_WV_ERR_NOMEM, where, "out of memory");
        goto out;
      }
      data = n;
      cap = ncap;
    }
    size_t got = fread(data + len, 1, cap - len, f);
    len += got;
    if (got == 0) break;
  }
  if (ferror(f)) {
    err = fail(diag, MB_WV_ERR_IO, where, "cannot read '%s'", path);
    goto out;
  }
  mb_wv_log_reader r;
  mb_wasi_errno e = mb_wv_log_open(&r, data, len);
  if (e) {
    err = fail(diag, MB_WV_ERR_BAD_VALUE, where,
               e == MB_WASI_ENOTSUP ? "a log of another version (this membrane reads version %d)"
                                    : "not a membrane log (no 7F MBVLOG1 header): record one with "
                                      "membrane virt --record (version %d)",
               MB_WV_LOG_VERSION);
    goto out;
  }
  mb_wv_config c;
  e = mb_wv_config_parse(b->alloc, &c, r.config, r.config_len);
  bool nested = !e && c.log != MB_WV_LOG_RECORD;
  if (!e) mb_wv_config_fini(&c);
  if (e || nested) {
    err = fail(diag, e == MB_WASI_ENOMEM ? MB_WV_ERR_NOMEM : MB_WV_ERR_BAD_VALUE, where,
               e ? "the recorded configuration is corrupt or of another membrane version"
                 : "the recorded configuration is not a recording's");
    goto out;
  }
  mb_wv_log_rec rec;
  size_t at = 0;
  int k;
  while ((k = mb_wv_log_next(&r, &rec, &at)) > 0) {
  }
  if (k < 0) {
    err = fail(diag, MB_WV_ERR_BAD_VALUE, where,
               "malformed record %llu at byte %zu (a log ends only between records)",
               (unsigned long long)r.records + 1, at);
    goto out;
  }
  put_le(b, len, 8);
  put(b, data, len);
out:
  fclose(f);
  mb_mem_free(b->alloc, data);
  return err;
}

mb_wv_err mb_wv_config_build(const mb_wv_policy *pol, const char *argv0,
                             const mb_vfs_build_options *opt, mb_buf *out,
                             mb_wv_diag *diag) {
  static const uint8_t magic[8] = {0x7F, 'M', 'B', 'V', 'C', 'F', 'G', '1'};
  builder b = {.out = out, .diag = diag, .alloc = &pol->alloc};
  mb_wv_err err = MB_WV_OK;
  size_t start = out->len;
  if (diag) memset(diag, 0, sizeof *diag);
  b.pts = mb_mem_calloc(b.alloc, pol->mount_count ? pol->mount_count : 1, sizeof *b.pts);
  if (!b.pts) return fail(diag, MB_WV_ERR_NOMEM, "", "out of memory");

  for (size_t i = 0; i < pol->mount_count && !err; i++) {
    const mb_wv_mount *m = &pol->mounts[i];
    if (m->kind == MB_WV_MOUNT_EMBED) {
      err = add_embed(&b, m, opt);
    } else {
      point *p = point_at(&b, m->guest, strlen(m->guest));
      p->kind = m->kind;
      if (m->kind == MB_WV_MOUNT_HOST) p->host = m;
      else p->limit = m->limit;
    }
  }
  if (err) goto out;

  put(&b, magic, 8);
  put_le(&b, MB_WV_CONFIG_VERSION, 4);
  put_le(&b, 0, 8); /* the total size, patched below */

  put_le(&b, pol->args_inherit, 1);
  if (pol->args_inherit) {
    put_le(&b, 0, 4);
  } else {
    put_le(&b, pol->arg_count + 1, 4);
    put_cstr(&b, argv0);
    for (size_t i = 0; i < pol->arg_count; i++) put_cstr(&b, pol->args[i]);
  }
  put_le(&b, pol->env_inherit, 1);
  put_le(&b, pol->env_count, 4);
  for (size_t i = 0; i < pol->env_count; i++) {
    put_le(&b, (uint64_t)pol->env[i].kind, 1);
    put_cstr(&b, pol->env[i].name);
    put_cstr(&b, pol->env[i].value);
  }
  put_le(&b, b.npts, 4);
  for (size_t i = 0; i < b.npts && !err; i++) err = write_mount(&b, &b.pts[i]);
  if (err) goto out;
  for (int i = 0; i < 3; i++) {
    put_le(&b, (uint64_t)pol->stdio[i].mode, 1);
    put_cstr(&b, pol->stdio[i].mode == MB_WV_STDIO_FILE ? pol->stdio[i].path : "");
  }
  put_le(&b, (uint64_t)pol->clock, 1);
  put_le(&b, pol->clock_start, 8);
  put_le(&b, (uint64_t)pol->random, 1);
  put_le(&b, pol->random_seed, 8);
  put_le(&b, pol->fault_count, 4);
  for (size_t i = 0; i < pol->fault_count; i++) {
    int f = mb_wasi_func_index(pol->faults[i].func, strlen(pol->faults[i].func));
    put_le(&b, f < 0 ? 0xFF : (uint64_t)f, 1);
    put_le(&b, pol->faults[i].nth, 4);
    put_le(&b, (uint64_t)pol->faults[i].err, 2);
  }
  put_le(&b, (uint64_t)pol->trace, 1);
  put_cstr(&b, pol->trace == MB_WV_TRACE_FILE ? pol->trace_path : NULL);
  put_le(&b, pol->save_count, 4);
  for (size_t i = 0; i < pol->save_count; i++) {
    put_cstr(&b, pol->saves[i].guest);
    put_cstr(&b, pol->saves[i].dest);
  }
  put_le(&b, pol->replay_path ? MB_WV_LOG_REPLAY : pol->record_path ? MB_WV_LOG_RECORD : 0, 1);
  put_cstr(&b, pol->replay_path ? NULL : pol->record_path);
  if (pol->replay_path) {
    if ((err = read_log(&b, pol->replay_path, diag))) goto out;
  } else {
    put_le(&b, 0, 8);
  }
  if (!b.nomem) {
    uint64_t total = out->len - start;
    for (unsigned k = 0; k < 8; k++) out->data[start + 12 + k] = (uint8_t)(total >> (8 * k));
  }

out:
  for (size_t i = 0; i < b.npts; i++) mb_vfs_image_writer_free(b.pts[i].w);
  mb_mem_free(b.alloc, b.pts);
  if (!err && b.nomem) err = MB_WV_ERR_NOMEM;
  if (err == MB_WV_ERR_NOMEM) fail(diag, err, "", "out of memory");
  if (err) out->len = start;
  return err;
}

static uint64_t bit(const char *name) {
  int i = mb_wasi_func_index(name, strlen(name));
  return i < 0 ? 0 : UINT64_C(1) << i;
}

uint64_t mb_wv_config_host_funcs(const mb_wv_policy *p, uint64_t client_funcs) {
  uint64_t f = bit("proc_exit");
  /* a replay asks the host nothing: the log answers; stdout and stderr are written */
  if (p->replay_path) return f | bit("fd_write");
  bool stdio_host = false, rw_host = false;
  for (int i = 0; i < 3; i++) stdio_host |= p->stdio[i].mode == MB_WV_STDIO_INHERIT;
  for (size_t i = 0; i < p->mount_count; i++)
    rw_host |= p->mounts[i].kind == MB_WV_MOUNT_HOST && !p->mounts[i].readonly;
  /* the host's descriptor of inherited stdio is asked about (file type, flags, rights)
   * when a client asks wasi-virt about it; fsyncs of inherited stdio and of :rw mounts
   * reach the host (a :ro mount was never written through wasi-virt) */
  uint64_t asks = bit("fd_fdstat_get") | bit("fd_filestat_get") | bit("fd_fdstat_set_flags") |
                  bit("fd_fdstat_set_rights");
  if (stdio_host && (client_funcs & asks)) f |= bit("fd_fdstat_get");
  if (stdio_host || rw_host) f |= client_funcs & (bit("fd_sync") | bit("fd_datasync"));
  /* inherited stdio may be a file the host redirected: it seeks and stats as the host's */
  if (stdio_host)
    f |= client_funcs & (bit("fd_seek") | bit("fd_tell") | bit("fd_filestat_get"));
  if (p->stdio[1].mode == MB_WV_STDIO_INHERIT || p->stdio[2].mode == MB_WV_STDIO_INHERIT ||
      p->trace == MB_WV_TRACE_STDERR)
    f |= bit("fd_write");
  if (p->stdio[0].mode == MB_WV_STDIO_INHERIT) f |= bit("fd_read");
  /* a failed --save is reported on the host's stderr (its writes are a :rw mount's) */
  if (p->save_count) f |= bit("fd_write");
  if (p->clock == MB_WV_CLOCK_REAL) f |= bit("clock_time_get") | bit("clock_res_get");
  if (mb_wv_host_polls(p->stdio[0].mode, p->clock)) f |= bit("poll_oneoff");
  if (p->random == MB_WV_RANDOM_REAL) f |= bit("random_get");
  if (p->args_inherit) f |= bit("args_get") | bit("args_sizes_get");
  bool env_host = p->env_inherit;
  for (size_t i = 0; i < p->env_count; i++) env_host |= p->env[i].kind == MB_WV_ENV_ALLOW;
  if (env_host) f |= bit("environ_get") | bit("environ_sizes_get");
  /* host mounts: what reading needs, and what writing needs only for :rw ones (the vfs
   * refuses every write to a :ro mount itself, with rofs) */
  static const char *const reads[] = {"fd_prestat_get", "fd_prestat_dir_name", "path_open",
                                      "fd_close", "fd_filestat_get", "path_filestat_get",
                                      "path_readlink", "fd_pread", "fd_read", "fd_seek",
                                      "fd_readdir"};
  static const char *const writes[] = {
      "fd_pwrite", "fd_write", "fd_filestat_set_size", "fd_filestat_set_times", "path_filestat_set_times",
      "path_create_directory", "path_remove_directory", "path_unlink_file", "path_symlink",
      "path_rename", "path_link"};
  for (size_t i = 0; i < p->mount_count; i++) {
    if (p->mounts[i].kind != MB_WV_MOUNT_HOST) continue;
    for (size_t k = 0; k < sizeof reads / sizeof *reads; k++) f |= bit(reads[k]);
    if (!p->mounts[i].readonly)
      for (size_t k = 0; k < sizeof writes / sizeof *writes; k++) f |= bit(writes[k]);
  }
  return f;
}
