/* fuzz_policy.c — the virt policy's JSON parser and cross-option checks on any bytes.
 *
 * What must hold: mb_wv_policy_parse_json, applied over a policy that already holds
 * some settings, either refuses the input with a consistent diagnostic (the code it
 * returns; a where and a message; for a syntax error "fuzz.json:LINE:COLUMN" naming a
 * position inside the input; never the message of the second parser (cJSON) the
 * library had once, which could disagree with the syntax check) and leaves the policy
 * exactly as it was, or accepts it and
 * the policy holds only values of the documented forms (normalized absolute guest
 * paths, preopen names and subdirs as the --mount rule makes them, env names without
 * '=', faults on real preview1 functions with errnos 1..76, ...). An accepted policy is
 * then rebuilt flag by flag through mb_wv_policy_option from what it holds, which
 * must give the same policy (so every stored value can be written back as a flag), and
 * mb_wv_policy_check answers OK or CONFLICT with a diagnostic. Everything is freed by
 * fini: the allocation hook counts live blocks.
 *
 * Each input runs twice: once normally, once with the k-th library allocation failing
 * (k from the input's hash; every k with MB_FUZZ_OOM_SWEEP=1). The second run must see
 * NOMEM from some call, with the policy unchanged by that call, or produce exactly the
 * first run's digest.
 *
 * Self-contained (fuzz_common.h is for the linker library's allocator hook). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "membrane_wasi_virt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond, ...)                                                            \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      fprintf(stderr, "%s:%d: property failed: %s: ", __FILE__, __LINE__, #cond);   \
      fprintf(stderr, __VA_ARGS__);                                                 \
      fputc('\n', stderr);                                                          \
      abort();                                                                      \
    }                                                                               \
  } while (0)

static uint64_t hash(uint64_t h, const void *p, size_t n) {
  const uint8_t *b = p;
  for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001B3u;
  return h;
}
#define HASH_INIT 0xCBF29CE484222325u

/* ---- allocation failure injection, live-block count ---- */

typedef struct alloc {
  uint64_t count, fail_at;
  long live;
  bool failed;
} alloc;

static void *fz_realloc(void *ptr, size_t size, void *user) {
  alloc *a = user;
  if (size == 0) {
    if (ptr) a->live--;
    free(ptr);
    return NULL;
  }
  if (++a->count == a->fail_at) {
    a->failed = true;
    return NULL;
  }
  void *p = realloc(ptr, size);
  if (p && !ptr) a->live++;
  return p;
}

/* ---- the policy as text (libc-allocated: outside the hook) ---- */

typedef struct text {
  char *s;
  size_t len, cap;
} text;

static void put(text *t, const char *s, size_t n) {
  if (t->cap - t->len <= n) {
    size_t cap = (t->len + n + 1) * 2;
    char *p = realloc(t->s, cap);
    CHECK(p != NULL, "out of memory in the harness");
    t->s = p;
    t->cap = cap;
  }
  memcpy(t->s + t->len, s, n);
  t->len += n;
  t->s[t->len] = '\0';
}
static void puts_(text *t, const char *s) { put(t, s ? s : "(null)", strlen(s ? s : "(null)")); }
static void putu(text *t, unsigned long long v) {
  char b[32];
  snprintf(b, sizeof b, " %llu ", v);
  puts_(t, b);
}

static void dump(const mb_wv_policy *p, text *t) {
  t->len = 0;
  puts_(t, "");
  for (size_t i = 0; i < p->mount_count; i++) {
    const mb_wv_mount *m = &p->mounts[i];
    putu(t, (unsigned)m->kind);
    puts_(t, m->guest);
    puts_(t, "|");
    puts_(t, m->host_path);
    puts_(t, "|");
    puts_(t, m->preopen);
    puts_(t, "|");
    puts_(t, m->subdir);
    putu(t, m->readonly);
    putu(t, m->limit);
    puts_(t, "\n");
  }
  putu(t, p->arg_count);
  putu(t, p->args_inherit);
  for (size_t i = 0; i < p->arg_count; i++) {
    puts_(t, p->args[i]);
    puts_(t, "|");
  }
  putu(t, p->env_count);
  putu(t, p->env_inherit);
  for (size_t i = 0; i < p->env_count; i++) {
    putu(t, (unsigned)p->env[i].kind);
    puts_(t, p->env[i].name);
    puts_(t, "=");
    puts_(t, p->env[i].value);
  }
  for (int i = 0; i < 3; i++) {
    putu(t, (unsigned)p->stdio[i].mode);
    puts_(t, p->stdio[i].path);
  }
  putu(t, (unsigned)p->clock);
  putu(t, p->clock_start);
  putu(t, (unsigned)p->random);
  putu(t, p->random_seed);
  putu(t, (unsigned)p->trace);
  puts_(t, p->trace_path);
  puts_(t, p->record_path);
  puts_(t, p->replay_path);
  for (size_t i = 0; i < p->fault_count; i++) {
    puts_(t, p->faults[i].func);
    putu(t, p->faults[i].nth);
    putu(t, (unsigned)p->faults[i].err);
  }
  for (size_t i = 0; i < p->save_count; i++) {
    puts_(t, p->saves[i].guest);
    puts_(t, "=");
    puts_(t, p->saves[i].dest);
  }
}

/* ---- the documented forms ---- */

static void check_guest(const char *g, const char *what) {
  CHECK(g && g[0] == '/', "%s: guest path '%s' not absolute", what, g ? g : "(null)");
  size_t n = strlen(g);
  CHECK(n < MB_VFS_PATH_MAX, "%s: guest path of %zu bytes", what, n);
  if (n == 1) return;
  CHECK(g[n - 1] != '/', "%s: trailing '/' in '%s'", what, g);
  for (const char *c = g + 1;;) {
    const char *e = strchr(c, '/');
    size_t l = e ? (size_t)(e - c) : strlen(c);
    CHECK(l > 0 && l <= MB_VFS_NAME_MAX, "%s: component of %zu bytes in '%s'", what, l, g);
    CHECK(!(l == 1 && c[0] == '.') && !(l == 2 && c[0] == '.' && c[1] == '.'),
          "%s: '.' or '..' in '%s'", what, g);
    if (!e) break;
    c = e + 1;
  }
}

static void check_forms(const mb_wv_policy *p) {
  for (size_t i = 0; i < p->mount_count; i++) {
    const mb_wv_mount *m = &p->mounts[i];
    check_guest(m->guest, "mount");
    switch (m->kind) {
    case MB_WV_MOUNT_EMBED:
      CHECK(m->host_path && m->host_path[0] && !m->preopen && !m->subdir, "embed fields");
      break;
    case MB_WV_MOUNT_MEM:
      CHECK(!m->host_path && !m->preopen && !m->subdir, "mem fields");
      break;
    case MB_WV_MOUNT_HOST: {
      CHECK(!m->host_path && m->preopen && m->subdir, "host fields");
      const char *pre = m->preopen;
      CHECK(pre[0] && !strchr(pre, ':'), "preopen '%s'", pre);
      CHECK(!strcmp(pre, "/") || !strchr(pre + 1, '/'), "preopen '%s' has a '/' inside", pre);
      CHECK(strcmp(pre, "..") && strcmp(pre, "/.."), "preopen '%s'", pre);
      const char *s = m->subdir;
      CHECK(!strchr(s, ':') && (s[0] == '\0' || strcmp(pre, "/")), "subdir '%s' of '%s'", s, pre);
      if (s[0]) {
        for (const char *c = s;;) {
          const char *e = strchr(c, '/');
          size_t l = e ? (size_t)(e - c) : strlen(c);
          CHECK(l > 0 && l <= MB_VFS_NAME_MAX && !(l == 1 && c[0] == '.') &&
                    !(l == 2 && c[0] == '.' && c[1] == '.'),
                "subdir '%s'", s);
          if (!e) break;
          c = e + 1;
        }
      }
      break;
    }
    default:
      CHECK(0, "mount kind %d", (int)m->kind);
    }
  }
  for (size_t i = 0; i < p->env_count; i++) {
    const mb_wv_env *e = &p->env[i];
    CHECK(e->name && e->name[0] && !strchr(e->name, '='), "env name");
    CHECK((e->kind == MB_WV_ENV_FIXED) == (e->value != NULL), "env value");
  }
  for (size_t i = 0; i < p->arg_count; i++) CHECK(p->args[i] != NULL, "arg %zu", i);
  for (int i = 0; i < 3; i++) {
    const mb_wv_stdio *s = &p->stdio[i];
    CHECK((s->mode == MB_WV_STDIO_FILE) == (s->path != NULL), "stdio %d path", i);
    CHECK(s->mode <= MB_WV_STDIO_FILE, "stdio mode");
    if (s->path) {
      check_guest(s->path, "stdio");
      CHECK(strcmp(s->path, "/"), "stdio file is /");
    }
  }
  CHECK(p->trace <= MB_WV_TRACE_FILE && (p->trace == MB_WV_TRACE_FILE) == (p->trace_path != NULL),
        "trace mode %d, path %s", (int)p->trace, p->trace_path ? p->trace_path : "(none)");
  if (p->trace_path) {
    check_guest(p->trace_path, "trace");
    CHECK(strcmp(p->trace_path, "/"), "trace file is /");
  }
  if (p->record_path) {
    check_guest(p->record_path, "record");
    CHECK(strcmp(p->record_path, "/"), "record file is /");
  }
  CHECK(!p->replay_path || (p->replay_path[0] && strcmp(p->replay_path, "none")), "replay path");
  for (size_t i = 0; i < p->fault_count; i++) {
    const mb_wv_fault *f = &p->faults[i];
    CHECK(mb_wasi_func_index(f->func, strlen(f->func)) >= 0, "fault func '%s'", f->func);
    CHECK(f->nth >= 1 && f->err >= 1 && f->err < MB_WASI_ERRNO_COUNT, "fault %u %d", f->nth,
          (int)f->err);
  }
  for (size_t i = 0; i < p->save_count; i++) {
    check_guest(p->saves[i].guest, "save guest");
    check_guest(p->saves[i].dest, "save dest");
  }
}

static void check_diag(mb_wv_err e, const mb_wv_diag *d, size_t size) {
  CHECK(d->code == e, "diag code %d, returned %d", (int)d->code, (int)e);
  CHECK(e == MB_WV_ERR_NOMEM || e == MB_WV_ERR_IO || e == MB_WV_ERR_UNKNOWN_OPTION ||
            e == MB_WV_ERR_BAD_VALUE || e == MB_WV_ERR_CONFLICT || e == MB_WV_ERR_SYNTAX,
        "code %d is not one the policy reader gives", (int)e);
  CHECK(d->where[0] && d->message[0], "empty where or message");
  CHECK(memchr(d->where, '\0', sizeof d->where) && memchr(d->message, '\0', sizeof d->message),
        "unterminated diag");
  /* the library's own syntax check and cJSON had to agree on what is JSON; cJSON is
   * gone from the policy, and its fallback SYNTAX message must stay gone. Only that
   * message started so (syntax messages quote no input text but one byte); a substring
   * test was fooled by a key that spelled it out. */
  CHECK(!(e == MB_WV_ERR_SYNTAX && !strncmp(d->message, "not JSON (as cJSON reads it)", 28)),
        "%s: %s", d->where, d->message);
  if (e == MB_WV_ERR_SYNTAX) {
    unsigned long line, col;
    char tail;
    CHECK(sscanf(d->where, "fuzz.json:%lu:%lu%c", &line, &col, &tail) == 2, "where '%s'",
          d->where);
    CHECK(line >= 1 && col >= 1 && line - 1 + col - 1 <= size, "where '%s' past %zu bytes",
          d->where, size);
  } else {
    CHECK(!strncmp(d->where, "fuzz.json", 9), "where '%s'", d->where);
  }
}

/* ---- a policy written back as flags ---- */

typedef struct run {
  uint64_t digest;
  bool nomem;
} run;

/* Apply one flag to q; false when it ran out of memory under injection. */
static bool reapply(run *r, mb_wv_policy *q, bool injecting, const char *flag, const char *v) {
  mb_wv_diag d;
  mb_wv_err e = mb_wv_policy_option(q, flag, v, &d);
  if (e == MB_WV_ERR_NOMEM && injecting) {
    r->nomem = true;
    return false;
  }
  CHECK(e == MB_WV_OK, "writing back %s %s: %s: %s", flag, v ? v : "", d.where,
        d.message);
  return true;
}

static bool rebuild(run *r, const mb_wv_policy *p, mb_wv_policy *q, bool injecting) {
  text v = {NULL, 0, 0};
  bool ok = true;
  static const char *const stdio_flags[3] = {"--stdin", "--stdout", "--stderr"};
  char num[64];
  for (size_t i = 0; ok && i < p->mount_count; i++) {
    const mb_wv_mount *m = &p->mounts[i];
    v.len = 0;
    puts_(&v, m->guest);
    if (m->kind == MB_WV_MOUNT_EMBED) {
      puts_(&v, "=");
      puts_(&v, m->host_path);
      ok = reapply(r, q, injecting, "--embed", v.s);
    } else if (m->kind == MB_WV_MOUNT_MEM) {
      if (m->limit == MB_VFS_NO_LIMIT)
        puts_(&v, ":unlimited");
      else {
        snprintf(num, sizeof num, ":%llu", (unsigned long long)m->limit);
        puts_(&v, num);
      }
      ok = reapply(r, q, injecting, "--mem", v.s);
    } else {
      puts_(&v, "=");
      puts_(&v, m->preopen);
      if (m->subdir[0]) {
        puts_(&v, "/");
        puts_(&v, m->subdir);
      }
      puts_(&v, m->readonly ? ":ro" : ":rw");
      ok = reapply(r, q, injecting, "--mount", v.s);
    }
  }
  for (size_t i = 0; ok && i < p->arg_count; i++) ok = reapply(r, q, injecting, "--arg", p->args[i]);
  if (ok && p->args_inherit) ok = reapply(r, q, injecting, "--args-inherit", NULL);
  for (size_t i = 0; ok && i < p->env_count; i++) {
    const mb_wv_env *e = &p->env[i];
    v.len = 0;
    puts_(&v, e->name);
    if (e->kind == MB_WV_ENV_FIXED) {
      puts_(&v, "=");
      puts_(&v, e->value);
      ok = reapply(r, q, injecting, "--env", v.s);
    } else {
      ok = reapply(r, q, injecting, "--env-allow", v.s);
    }
  }
  if (ok && p->env_inherit) ok = reapply(r, q, injecting, "--env-inherit", NULL);
  for (int i = 0; ok && i < 3; i++) {
    const mb_wv_stdio *s = &p->stdio[i];
    ok = reapply(r, q, injecting, stdio_flags[i],
                 s->mode == MB_WV_STDIO_FILE ? s->path
                 : s->mode == MB_WV_STDIO_NULL ? "null" : "inherit");
  }
  if (ok) {
    if (p->clock == MB_WV_CLOCK_REAL)
      snprintf(num, sizeof num, "real");
    else
      snprintf(num, sizeof num, "fixed:%llu", (unsigned long long)p->clock_start);
    ok = reapply(r, q, injecting, "--clock", num);
  }
  if (ok) {
    if (p->random == MB_WV_RANDOM_REAL)
      snprintf(num, sizeof num, "real");
    else
      snprintf(num, sizeof num, "seed:%llu", (unsigned long long)p->random_seed);
    ok = reapply(r, q, injecting, "--random", num);
  }
  if (ok)
    ok = reapply(r, q, injecting, "--trace",
                 p->trace == MB_WV_TRACE_FILE     ? p->trace_path
                 : p->trace == MB_WV_TRACE_STDERR ? "stderr"
                                                    : "none");
  if (ok) ok = reapply(r, q, injecting, "--record", p->record_path ? p->record_path : "none");
  if (ok) ok = reapply(r, q, injecting, "--replay", p->replay_path ? p->replay_path : "none");
  for (size_t i = 0; ok && i < p->fault_count; i++) {
    const mb_wv_fault *f = &p->faults[i];
    v.len = 0;
    puts_(&v, f->func);
    /* the number form for odd errnos, the name for even ones: both must read back */
    if (f->err % 2)
      snprintf(num, sizeof num, ":%u:%d", (unsigned)f->nth, (int)f->err);
    else
      snprintf(num, sizeof num, ":%u:%s", (unsigned)f->nth, mb_wasi_errno_name(f->err));
    puts_(&v, num);
    ok = reapply(r, q, injecting, "--fault", v.s);
  }
  for (size_t i = 0; ok && i < p->save_count; i++) {
    v.len = 0;
    puts_(&v, p->saves[i].guest);
    puts_(&v, "=");
    puts_(&v, p->saves[i].dest);
    ok = reapply(r, q, injecting, "--save", v.s);
  }
  free(v.s);
  return ok;
}

/* ---- one run ---- */

/* What the policy holds before the input is applied, so "unchanged on error" and
 * appending are both tested. */
static const char *const base[][2] = {
    {"--mem", "/tmp:1M"}, {"--arg", "base"}, {"--env", "HOME=/tmp"},
    {"--stdout", "/tmp/out"}, {"--fault", "fd_read:1:io"},
};

static void one_run(run *r, const uint8_t *data, size_t size, bool injecting) {
  mb_wv_policy p, q;
  mb_wv_policy_init(&p);
  mb_wv_policy_init(&q);
  text before = {NULL, 0, 0}, after = {NULL, 0, 0};
  mb_wv_diag d;
  for (size_t i = 0; i < sizeof base / sizeof *base; i++)
    if (!reapply(r, &p, injecting, base[i][0], base[i][1])) goto out;

  dump(&p, &before);
  mb_wv_err e = mb_wv_policy_parse_json(&p, "fuzz.json", (const char *)data, size, &d);
  dump(&p, &after);
  r->digest = hash(r->digest, &e, sizeof e);
  if (e) {
    check_diag(e, &d, size);
    CHECK(before.len == after.len && !memcmp(before.s, after.s, before.len),
          "policy changed by a refused input (%s: %s)", d.where, d.message);
    if (e == MB_WV_ERR_NOMEM) {
      CHECK(injecting, "NOMEM without an injected failure");
      r->nomem = true;
      goto out;
    }
    r->digest = hash(r->digest, d.where, strlen(d.where));
    r->digest = hash(r->digest, d.message, strlen(d.message));
  }
  r->digest = hash(r->digest, after.s, after.len);
  check_forms(&p);

  if (!rebuild(r, &p, &q, injecting)) goto out;
  dump(&q, &before);
  CHECK(before.len == after.len && !memcmp(before.s, after.s, before.len),
        "the policy written back as flags differs:\n%s\n---\n%s", after.s, before.s);

  e = mb_wv_policy_check(&p, &d);
  if (e == MB_WV_ERR_NOMEM && injecting) {
    r->nomem = true;
    goto out;
  }
  CHECK(e == MB_WV_OK || e == MB_WV_ERR_CONFLICT, "check gave %d", (int)e);
  CHECK(d.code == e, "check diag code");
  if (e) {
    CHECK(d.where[0] && d.message[0], "check: empty diag");
    r->digest = hash(r->digest, d.where, strlen(d.where));
    r->digest = hash(r->digest, d.message, strlen(d.message));
  }
out:
  mb_wv_policy_fini(&p);
  mb_wv_policy_fini(&q);
  free(before.s);
  free(after.s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  alloc a = {0, 0, 0, false};
  mb_vfs_set_allocator(fz_realloc, &a);
  run first = {HASH_INIT, false};
  one_run(&first, data, size, false);
  uint64_t total = a.count;
  mb_vfs_set_allocator(NULL, NULL);
  CHECK(a.live == 0, "%ld blocks leaked", a.live);
  CHECK(!first.nomem, "NOMEM without an injected failure");
  if (total == 0) return 0;
  static int sweep = -1;
  if (sweep < 0) sweep = getenv("MB_FUZZ_OOM_SWEEP") != NULL;
  uint64_t lo = 1 + hash(HASH_INIT, data, size) % total, hi = lo;
  if (sweep) lo = 1, hi = total;
  for (uint64_t k = lo; k <= hi; k++) {
    a = (alloc){0, k, 0, false};
    mb_vfs_set_allocator(fz_realloc, &a);
    run second = {HASH_INIT, false};
    one_run(&second, data, size, true);
    mb_vfs_set_allocator(NULL, NULL);
    CHECK(a.live == 0, "allocation %llu failed: %ld blocks leaked", (unsigned long long)k, a.live);
    if (!second.nomem)
      CHECK(second.digest == first.digest,
            "allocation %llu of %llu failed%s, nothing reported NOMEM, and the result differs",
            (unsigned long long)k, (unsigned long long)total, a.failed ? "" : " (not reached)");
  }
  return 0;
}
