/* policy_opts.c — the `membrane virt` policy's options: the option table, each option's
 * value forms, the delta they go to, and the flags (mb_wv_policy_option). JSON files
 * are read by policy_json.c and the cross-option checks are in policy_check.c.
 *
 * Every change goes to a delta first (a policy of its own plus which single-valued
 * settings it sets), and is merged into the caller's policy only once the whole option
 * or file has been read: the merge grows the caller's arrays before it moves anything,
 * so an error, out of memory included, leaves the policy as it was. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "policy_internal.h"

typedef mb__policy_opt opt;
typedef mb__policy_delta delta;

/* ---- the options ---- */

const mb__policy_opt_info mb__policy_opts[O_COUNT] = {
    [O_EMBED] = {"embed", 1, "GUEST=HOSTPATH"},
    [O_MEM] = {"mem", 1, "GUEST[:LIMIT]"},
    [O_MOUNT] = {"mount", 1, "GUEST=PREOPEN[/SUBDIR][:ro|:rw]"},
    [O_ENV] = {"env", 1, "NAME=VALUE"},
    [O_ENV_ALLOW] = {"env-allow", 1, "NAME"},
    [O_ENV_INHERIT] = {"env-inherit", 0, ""},
    [O_ARG] = {"arg", 1, "ARG"},
    [O_ARGS_INHERIT] = {"args-inherit", 0, ""},
    [O_STDIN] = {"stdin", 1, "inherit|null|GUEST-FILE"},
    [O_STDOUT] = {"stdout", 1, "inherit|null|GUEST-FILE"},
    [O_STDERR] = {"stderr", 1, "inherit|null|GUEST-FILE"},
    [O_CLOCK] = {"clock", 1, "real|fixed:NANOS"},
    [O_RANDOM] = {"random", 1, "real|seed:N"},
    [O_FAULT] = {"fault", 1, "FUNC:N:ERRNO"},
    [O_TRACE] = {"trace", 1, "stderr|none"},
    [O_SAVE] = {"save", 1, "GUEST=MOUNT-GUEST-PATH"},
    [O_RECORD] = {"record", 1, "GUEST-FILE"},
    [O_REPLAY] = {"replay", 1, "HOSTFILE"},
    [O_POLICY] = {"policy", 1, "FILE.json"},
};

/* Single-valued settings a delta sets. */
enum {
  SET_STDIN = 1u << 0, /* SET_STDIN << fd for the three */
  SET_CLOCK = 1u << 3,
  SET_RANDOM = 1u << 4,
  SET_TRACE = 1u << 5,
  SET_ARGS_INHERIT = 1u << 6,
  SET_ENV_INHERIT = 1u << 7,
  SET_RECORD = 1u << 8,
  SET_REPLAY = 1u << 9,
};

int mb__policy_opt_find(const char *name, size_t len) {
  for (int i = 0; i < O_COUNT; i++)
    if (strlen(mb__policy_opts[i].name) == len && memcmp(mb__policy_opts[i].name, name, len) == 0)
      return i;
  return -1;
}

/* ---- diagnostics ---- */

mb_wv_err mb__policy_fail(mb_wv_diag *d, mb_wv_err code,
                          const char *where, const char *fmt, ...) {
  if (!d) return code;
  d->code = code;
  snprintf(d->where, sizeof d->where, "%s", where ? where : "");
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(d->message, sizeof d->message, fmt, ap);
  va_end(ap);
  return code;
}

#define fail mb__policy_fail

mb_wv_err mb__policy_nomem(mb_wv_diag *d, const char *where) {
  return fail(d, MB_WV_ERR_NOMEM, where, "out of memory");
}

/* Levenshtein distance of a to b (b at most 39 bytes; a longer than 64 bytes is
 * simply far). For "did you mean" hints. */
static size_t distance(const char *a, size_t al, const char *b) {
  size_t bl = strlen(b), row[40];
  if (al > 64 || bl >= sizeof row / sizeof *row) return SIZE_MAX;
  for (size_t j = 0; j <= bl; j++) row[j] = j;
  for (size_t i = 1; i <= al; i++) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= bl; j++) {
      size_t up = row[j];
      size_t best = diag + (a[i - 1] != b[j - 1]);
      if (up + 1 < best) best = up + 1;
      if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  return row[bl];
}

const char *mb__policy_closest(const char *s, size_t len, const char *const *names, size_t n,
                               size_t stride) {
  const char *best = NULL;
  size_t bd = SIZE_MAX;
  for (size_t i = 0; i < n; i++) {
    const char *name = *(const char *const *)((const char *)names + i * stride);
    size_t d = distance(s, len, name);
    if (d < bd) bd = d, best = name;
  }
  size_t limit = len <= 4 ? 1 : len <= 9 ? 2 : 3;
  return bd <= limit ? best : NULL;
}

/* ---- the delta ---- */

static char *dup_n(const mb_allocator *alloc, const char *s, size_t n) {
  if (n == SIZE_MAX) return NULL;
  char *c = mb_mem_alloc(alloc, n + 1);
  if (!c) return NULL;
  if (n) memcpy(c, s, n);
  c[n] = '\0';
  return c;
}

/* Room for one more element of size elem in (*arr, count) of capacity *cap. */
static bool grow(const mb_allocator *alloc, void **arr, size_t *cap, size_t count, size_t elem) {
  if (count < *cap) return true;
  size_t ncap = *cap ? *cap * 2 : 4;
  if (ncap < *cap || ncap > SIZE_MAX / elem) return false;
  void *n = mb_mem_realloc(alloc, *arr, ncap * elem);
  if (!n) return false;
  *arr = n;
  *cap = ncap;
  return true;
}

static void mount_fini(const mb_allocator *alloc, mb_wv_mount *m) {
  mb_mem_free(alloc, m->guest);
  mb_mem_free(alloc, m->host_path);
  mb_mem_free(alloc, m->preopen);
  mb_mem_free(alloc, m->subdir);
}

void mb_wv_policy_init(mb_wv_policy *p, const mb_allocator *alloc) {
  memset(p, 0, sizeof *p);
  p->alloc = mb_allocator_of(alloc);
  p->stdio[0].mode = MB_WV_STDIO_NULL;
  p->stdio[1].mode = MB_WV_STDIO_INHERIT;
  p->stdio[2].mode = MB_WV_STDIO_INHERIT;
  p->clock = MB_WV_CLOCK_FIXED;
  p->random = MB_WV_RANDOM_SEED;
  p->trace = MB_WV_TRACE_NONE;
}

void mb_wv_policy_fini(mb_wv_policy *p) {
  for (size_t i = 0; i < p->mount_count; i++) mount_fini(&p->alloc, &p->mounts[i]);
  mb_mem_free(&p->alloc, p->mounts);
  for (size_t i = 0; i < p->arg_count; i++) mb_mem_free(&p->alloc, p->args[i]);
  mb_mem_free(&p->alloc, p->args);
  for (size_t i = 0; i < p->env_count; i++) {
    mb_mem_free(&p->alloc, p->env[i].name);
    mb_mem_free(&p->alloc, p->env[i].value);
  }
  mb_mem_free(&p->alloc, p->env);
  for (size_t i = 0; i < 3; i++) mb_mem_free(&p->alloc, p->stdio[i].path);
  mb_mem_free(&p->alloc, p->trace_path);
  mb_mem_free(&p->alloc, p->record_path);
  mb_mem_free(&p->alloc, p->replay_path);
  for (size_t i = 0; i < p->fault_count; i++) mb_mem_free(&p->alloc, p->faults[i].func);
  mb_mem_free(&p->alloc, p->faults);
  for (size_t i = 0; i < p->save_count; i++) {
    mb_mem_free(&p->alloc, p->saves[i].guest);
    mb_mem_free(&p->alloc, p->saves[i].dest);
  }
  mb_mem_free(&p->alloc, p->saves);
  mb_allocator a = p->alloc;
  mb_wv_policy_init(p, &a);
}

/* Make room in dst for n more elements (nothing moves yet). */
static bool reserve_exact(const mb_allocator *alloc, void **dst, size_t count, size_t n, size_t elem) {
  if (n == 0) return true;
  if (n > SIZE_MAX / elem - count) return false;
  void *a = mb_mem_realloc(alloc, *dst, (count + n) * elem);
  if (!a) return false;
  *dst = a;
  return true;
}

bool mb__policy_merge(mb_wv_policy *p, delta *t) {
  mb_wv_policy *d = &t->p;
  if (!reserve_exact(&p->alloc, (void **)&p->mounts, p->mount_count, d->mount_count, sizeof *p->mounts) ||
      !reserve_exact(&p->alloc, (void **)&p->args, p->arg_count, d->arg_count, sizeof *p->args) ||
      !reserve_exact(&p->alloc, (void **)&p->env, p->env_count, d->env_count, sizeof *p->env) ||
      !reserve_exact(&p->alloc, (void **)&p->faults, p->fault_count, d->fault_count, sizeof *p->faults) ||
      !reserve_exact(&p->alloc, (void **)&p->saves, p->save_count, d->save_count, sizeof *p->saves))
    return false;
  if (d->mount_count) memcpy(p->mounts + p->mount_count, d->mounts, d->mount_count * sizeof *d->mounts);
  if (d->arg_count) memcpy(p->args + p->arg_count, d->args, d->arg_count * sizeof *d->args);
  if (d->env_count) memcpy(p->env + p->env_count, d->env, d->env_count * sizeof *d->env);
  if (d->fault_count) memcpy(p->faults + p->fault_count, d->faults, d->fault_count * sizeof *d->faults);
  p->mount_count += d->mount_count;
  p->arg_count += d->arg_count;
  p->env_count += d->env_count;
  p->fault_count += d->fault_count;
  if (d->save_count) memcpy(p->saves + p->save_count, d->saves, d->save_count * sizeof *d->saves);
  p->save_count += d->save_count;
  d->mount_count = d->arg_count = d->env_count = d->fault_count = d->save_count = 0;
  for (int fd = 0; fd < 3; fd++)
    if (t->set & (SET_STDIN << fd)) {
      mb_mem_free(&p->alloc, p->stdio[fd].path);
      p->stdio[fd] = d->stdio[fd];
      d->stdio[fd].path = NULL;
    }
  if (t->set & SET_CLOCK) p->clock = d->clock, p->clock_start = d->clock_start;
  if (t->set & SET_RANDOM) p->random = d->random, p->random_seed = d->random_seed;
  if (t->set & SET_TRACE) {
    mb_mem_free(&p->alloc, p->trace_path);
    p->trace = d->trace;
    p->trace_path = d->trace_path;
    d->trace_path = NULL;
  }
  if (t->set & SET_RECORD) {
    mb_mem_free(&p->alloc, p->record_path);
    p->record_path = d->record_path;
    d->record_path = NULL;
  }
  if (t->set & SET_REPLAY) {
    mb_mem_free(&p->alloc, p->replay_path);
    p->replay_path = d->replay_path;
    d->replay_path = NULL;
  }
  if (t->set & SET_ARGS_INHERIT) p->args_inherit = d->args_inherit;
  if (t->set & SET_ENV_INHERIT) p->env_inherit = d->env_inherit;
  return true;
}

/* ---- value forms ---- */

/* Decimal digits only, overflow-checked. */
static bool parse_u64(const char *s, size_t len, uint64_t *out) {
  if (len == 0) return false;
  uint64_t v = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    unsigned dg = (unsigned)(s[i] - '0');
    if (v > (UINT64_MAX - dg) / 10) return false;
    v = v * 10 + dg;
  }
  *out = v;
  return true;
}

/* Bytes with an optional K/M/G suffix, or "unlimited". 2^64-1 is the "no limit" value
 * itself and cannot be given as a number. */
static bool parse_size(const char *s, size_t len, uint64_t *out) {
  if (len == 9 && memcmp(s, "unlimited", 9) == 0) {
    *out = MB_VFS_NO_LIMIT;
    return true;
  }
  unsigned shift = 0;
  if (len > 1) {
    switch (s[len - 1]) {
    case 'K': case 'k': shift = 10; break;
    case 'M': case 'm': shift = 20; break;
    case 'G': case 'g': shift = 30; break;
    default: break;
    }
  }
  uint64_t v;
  if (!parse_u64(s, shift ? len - 1 : len, &v)) return false;
  if (v > (UINT64_MAX >> shift)) return false;
  v <<= shift;
  if (v == MB_VFS_NO_LIMIT) return false;
  *out = v;
  return true;
}

/* Normalize an absolute guest path into a new string (*out). */
static mb_wv_err guest_path(const mb_allocator *alloc, mb_wv_diag *d, const char *where, const char *s,
                            size_t len, char **out) {
  if (len == 0)
    return fail(d, MB_WV_ERR_BAD_VALUE, where,
                "empty guest path; expected an absolute path such as /data");
  if (s[0] != '/')
    return fail(d, MB_WV_ERR_BAD_VALUE, where,
                "guest path '%.*s' is relative; expected an absolute path such as /%.*s",
                (int)(len > 200 ? 200 : len), s, (int)(len > 200 ? 200 : len), s);
  char *n = mb_mem_alloc(alloc, len + 2);
  if (!n) return mb__policy_nomem(d, where);
  size_t o = 0;
  for (size_t i = 0; i < len;) {
    while (i < len && s[i] == '/') i++;
    size_t b = i;
    while (i < len && s[i] != '/') i++;
    size_t c = i - b;
    if (c == 0 || (c == 1 && s[b] == '.')) continue;
    if (c == 2 && s[b] == '.' && s[b + 1] == '.') {
      mb_mem_free(alloc, n);
      return fail(d, MB_WV_ERR_BAD_VALUE, where,
                  "guest path '%.*s' has a '..' component; write the path it means without it",
                  (int)(len > 200 ? 200 : len), s);
    }
    if (c > MB_VFS_NAME_MAX) {
      mb_mem_free(alloc, n);
      return fail(d, MB_WV_ERR_BAD_VALUE, where,
                  "guest path has a component of %zu bytes; at most %d are allowed", c,
                  MB_VFS_NAME_MAX);
    }
    n[o++] = '/';
    memcpy(n + o, s + b, c);
    o += c;
  }
  if (o == 0) n[o++] = '/';
  n[o] = '\0';
  if (o >= MB_VFS_PATH_MAX) {
    mb_mem_free(alloc, n);
    return fail(d, MB_WV_ERR_BAD_VALUE, where,
                "guest path of %zu bytes; it must be shorter than %d", o, MB_VFS_PATH_MAX);
  }
  *out = n;
  return MB_WV_OK;
}

static mb_wv_err add_mount(delta *t, mb_wv_diag *d, const char *where,
                           mb_wv_mount *m) {
  if (!grow(&t->p.alloc, (void **)&t->p.mounts, &t->mount_cap, t->p.mount_count, sizeof *t->p.mounts)) {
    mount_fini(&t->p.alloc, m);
    return mb__policy_nomem(d, where);
  }
  t->p.mounts[t->p.mount_count++] = *m;
  return MB_WV_OK;
}

static mb_wv_err opt_embed(delta *t, mb_wv_diag *d, const char *where,
                           const char *v) {
  const char *eq = strchr(v, '=');
  if (!eq)
    return fail(d, MB_WV_ERR_BAD_VALUE, where,
                "expected GUEST=HOSTPATH (e.g. /data=./assets), got '%.*s' without '='",
                Q(strlen(v)), v);
  if (eq[1] == '\0')
    return fail(d, MB_WV_ERR_BAD_VALUE, where,
                "empty HOSTPATH after '='; expected GUEST=HOSTPATH, e.g. /data=./assets");
  mb_wv_mount m = {.kind = MB_WV_MOUNT_EMBED};
  mb_wv_err e = guest_path(&t->p.alloc, d, where, v, (size_t)(eq - v), &m.guest);
  if (e) return e;
  if (!(m.host_path = dup_n(&t->p.alloc, eq + 1, strlen(eq + 1)))) {
    mount_fini(&t->p.alloc, &m);
    return mb__policy_nomem(d, where);
  }
  return add_mount(t, d, where, &m);
}

static mb_wv_err opt_mem(delta *t, mb_wv_diag *d, const char *where,
                         const char *v) {
  size_t len = strlen(v);
  const char *colon = strrchr(v, ':');
  mb_wv_mount m = {.kind = MB_WV_MOUNT_MEM, .limit = MB_VFS_NO_LIMIT};
  if (colon) {
    size_t ll = len - (size_t)(colon + 1 - v);
    if (!parse_size(colon + 1, ll, &m.limit))
      return fail(d, MB_WV_ERR_BAD_VALUE, where,
                  "bad LIMIT '%.*s'; expected bytes with an optional K, M or G suffix (e.g. "
                  "64M), below 2^64-1, or unlimited",
                  Q(ll), colon + 1);
    len = (size_t)(colon - v);
  }
  mb_wv_err e = guest_path(&t->p.alloc, d, where, v, len, &m.guest);
  if (e) return e;
  return add_mount(t, d, where, &m);
}

static mb_wv_err opt_mount(delta *t, mb_wv_diag *d, const char *where,
                           const char *v) {
  const char *eq = strchr(v, '=');
  if (!eq)
    return fail(d, MB_WV_ERR_BAD_VALUE, where,
                "expected GUEST=PREOPEN[/SUBDIR][:ro|:rw] (e.g. /data=/host/data:ro), got "
                "'%.*s' without '='",
                Q(strlen(v)), v);
  const char *h = eq + 1;
  size_t hl = strlen(h);
  bool readonly = true;
  const char *colon = strrchr(h, ':');
  if (colon) {
    size_t ml = hl - (size_t)(colon + 1 - h);
    if (ml == 2 && colon[1] == 'r' && (colon[2] == 'o' || colon[2] == 'w'))
      readonly = colon[2] == 'o';
    else
      return fail(d, MB_WV_ERR_BAD_VALUE, where,
                  "expected :ro or :rw at the end, got ':%.*s' (preopen names and "
                  "subdirectories cannot contain ':')",
                  Q(ml), colon + 1);
    hl = (size_t)(colon - h);
    const char *other = memchr(h, ':', hl);
    if (other)
      return fail(d, MB_WV_ERR_BAD_VALUE, where,
                  "a ':' inside '%.*s'; only a final :ro or :rw may follow the host path "
                  "(preopen names and subdirectories cannot contain ':')",
                  Q(hl), h);
  }
  if (hl == 0)
    return fail(d, MB_WV_ERR_BAD_VALUE, where,
                "empty host side; expected PREOPEN[/SUBDIR] after '=', e.g. /host or "
                "/host/data");
  /* the preopen: the first component, with its leading '/' */
  size_t pe; /* end of the preopen name in h */
  if (hl == 1 && h[0] == '/') {
    pe = 1;
  } else {
    size_t b = h[0] == '/' ? 1 : 0;
    pe = b;
    while (pe < hl && h[pe] != '/') pe++;
    if (pe == b)
      return fail(d, MB_WV_ERR_BAD_VALUE, where,
                  "empty preopen name in '%.*s'; expected PREOPEN[/SUBDIR] such as /host/data",
                  Q(hl), h);
    if (pe - b == 2 && h[b] == '.' && h[b + 1] == '.')
      return fail(d, MB_WV_ERR_BAD_VALUE, where,
                  "'..' is not a preopen name; name the directory the host preopens, e.g. "
                  "/host");
  }
  size_t sb = pe < hl ? pe + 1 : hl; /* SUBDIR begins after the '/' */
  if (pe < hl && sb == hl)
    return fail(d, MB_WV_ERR_BAD_VALUE, where,
                "'%.*s' ends in '/'; remove it (SUBDIR has no empty components)", Q(hl), h);
  for (size_t i = sb; i < hl;) {
    size_t b = i;
    while (i < hl && h[i] != '/') i++;
    size_t c = i - b;
    if (c == 0 || (c == 1 && h[b] == '.') || (c == 2 && h[b] == '.' && h[b + 1] == '.'))
      return fail(d, MB_WV_ERR_BAD_VALUE, where,
                  "SUBDIR '%.*s' has an empty, '.' or '..' component; write it as a plain "
                  "relative path such as data/sub",
                  Q(hl - sb), h + sb);
    if (c > MB_VFS_NAME_MAX)
      return fail(d, MB_WV_ERR_BAD_VALUE, where,
                  "SUBDIR has a component of %zu bytes; at most %d are allowed", c,
                  MB_VFS_NAME_MAX);
    if (i < hl) {
      i++;
      if (i == hl)
        return fail(d, MB_WV_ERR_BAD_VALUE, where,
                    "'%.*s' ends in '/'; remove it (SUBDIR has no empty components)", Q(hl), h);
    }
  }
  if (hl >= MB_VFS_PATH_MAX)
    return fail(d, MB_WV_ERR_BAD_VALUE, where,
                "host side of %zu bytes; it must be shorter than %d", hl, MB_VFS_PATH_MAX);
  mb_wv_mount m = {.kind = MB_WV_MOUNT_HOST, .readonly = readonly};
  mb_wv_err e = guest_path(&t->p.alloc, d, where, v, (size_t)(eq - v), &m.guest);
  if (e) return e;
  if (!(m.preopen = dup_n(&t->p.alloc, h, pe)) || !(m.subdir = dup_n(&t->p.alloc, h + sb, hl - sb))) {
    mount_fini(&t->p.alloc, &m);
    return mb__policy_nomem(d, where);
  }
  return add_mount(t, d, where, &m);
}

static mb_wv_err add_env(delta *t, mb_wv_diag *d, const char *where,
                         mb_wv_env_kind kind, const char *name, size_t nl,
                         const char *value) {
  mb_wv_env ev = {.kind = kind};
  if (!(ev.name = dup_n(&t->p.alloc, name, nl)) || (value && !(ev.value = dup_n(&t->p.alloc, value, strlen(value)))) ||
      !grow(&t->p.alloc, (void **)&t->p.env, &t->env_cap, t->p.env_count, sizeof *t->p.env)) {
    mb_mem_free(&t->p.alloc, ev.name);
    mb_mem_free(&t->p.alloc, ev.value);
    return mb__policy_nomem(d, where);
  }
  t->p.env[t->p.env_count++] = ev;
  return MB_WV_OK;
}

static mb_wv_err opt_env(delta *t, mb_wv_diag *d, const char *where,
                         const char *v) {
  const char *eq = strchr(v, '=');
  if (!eq)
    return fail(d, MB_WV_ERR_BAD_VALUE, where,
                "expected NAME=VALUE (e.g. HOME=/tmp), got '%.*s' without '='; to pass the "
                "host's value use --env-allow %.*s",
                Q(strlen(v)), v, Q(strlen(v)), v);
  if (eq == v)
    return fail(d, MB_WV_ERR_BAD_VALUE, where,
                "empty variable name before '='; expected NAME=VALUE, e.g. HOME=/tmp");
  return add_env(t, d, where, MB_WV_ENV_FIXED, v, (size_t)(eq - v), eq + 1);
}

static mb_wv_err opt_env_allow(delta *t, mb_wv_diag *d, const char *where,
                               const char *v) {
  if (!*v)
    return fail(d, MB_WV_ERR_BAD_VALUE, where,
                "empty variable name; expected the NAME of a host variable, e.g. HOME");
  if (strchr(v, '='))
    return fail(d, MB_WV_ERR_BAD_VALUE, where,
                "'%.*s' has a '='; --env-allow takes a NAME only (to set a value use --env "
                "NAME=VALUE)",
                Q(strlen(v)), v);
  return add_env(t, d, where, MB_WV_ENV_ALLOW, v, strlen(v), NULL);
}

static mb_wv_err opt_arg(delta *t, mb_wv_diag *d, const char *where,
                         const char *v) {
  char *a = dup_n(&t->p.alloc, v, strlen(v));
  if (!a || !grow(&t->p.alloc, (void **)&t->p.args, &t->arg_cap, t->p.arg_count, sizeof *t->p.args)) {
    mb_mem_free(&t->p.alloc, a);
    return mb__policy_nomem(d, where);
  }
  t->p.args[t->p.arg_count++] = a;
  return MB_WV_OK;
}

static mb_wv_err opt_stdio(delta *t, mb_wv_diag *d, const char *where, int fd,
                           const char *v) {
  mb_wv_stdio s = {MB_WV_STDIO_INHERIT, NULL};
  if (!strcmp(v, "inherit")) {
    s.mode = MB_WV_STDIO_INHERIT;
  } else if (!strcmp(v, "null")) {
    s.mode = MB_WV_STDIO_NULL;
  } else if (v[0] == '/') {
    s.mode = MB_WV_STDIO_FILE;
    mb_wv_err e = guest_path(&t->p.alloc, d, where, v, strlen(v), &s.path);
    if (e) return e;
    if (!strcmp(s.path, "/")) {
      mb_mem_free(&t->p.alloc, s.path);
      return fail(d, MB_WV_ERR_BAD_VALUE, where,
                  "'%.*s' is the root directory, not a file; name a file such as /out/log",
                  Q(strlen(v)), v);
    }
  } else {
    return fail(d, MB_WV_ERR_BAD_VALUE, where,
                "expected inherit, null or an absolute guest file path such as /out/log, got "
                "'%.*s'",
                Q(strlen(v)), v);
  }
  mb_mem_free(&t->p.alloc, t->p.stdio[fd].path);
  t->p.stdio[fd] = s;
  t->set |= SET_STDIN << fd;
  return MB_WV_OK;
}

static mb_wv_err opt_clock(delta *t, mb_wv_diag *d, const char *where,
                           const char *v) {
  if (!strcmp(v, "real")) {
    t->p.clock = MB_WV_CLOCK_REAL;
    t->p.clock_start = 0;
  } else if (!strncmp(v, "fixed:", 6) && parse_u64(v + 6, strlen(v + 6), &t->p.clock_start)) {
    t->p.clock = MB_WV_CLOCK_FIXED;
  } else {
    return fail(d, MB_WV_ERR_BAD_VALUE, where,
                "expected real or fixed:NANOS (decimal nanoseconds since 1970, e.g. fixed:0), "
                "got '%.*s'",
                Q(strlen(v)), v);
  }
  t->set |= SET_CLOCK;
  return MB_WV_OK;
}

static mb_wv_err opt_random(delta *t, mb_wv_diag *d, const char *where,
                            const char *v) {
  if (!strcmp(v, "real")) {
    t->p.random = MB_WV_RANDOM_REAL;
    t->p.random_seed = 0;
  } else if (!strncmp(v, "seed:", 5) && parse_u64(v + 5, strlen(v + 5), &t->p.random_seed)) {
    t->p.random = MB_WV_RANDOM_SEED;
  } else {
    return fail(d, MB_WV_ERR_BAD_VALUE, where,
                "expected real or seed:N (N decimal, 0 to 2^64-1), got '%.*s'", Q(strlen(v)),
                v);
  }
  t->set |= SET_RANDOM;
  return MB_WV_OK;
}

static mb_wv_err opt_fault(delta *t, mb_wv_diag *d, const char *where,
                           const char *v) {
  const char *c1 = strchr(v, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
  if (!c1 || !c2 || strchr(c2 + 1, ':'))
    return fail(d, MB_WV_ERR_BAD_VALUE, where,
                "expected FUNC:N:ERRNO (e.g. fd_read:2:io), got '%.*s'", Q(strlen(v)), v);
  size_t fl = (size_t)(c1 - v);
  if (mb_wasi_func_index(v, fl) < 0) {
    const char *near =
        mb__policy_closest(v, fl, mb_wasi_func_names, MB_WASI_FUNC_COUNT, sizeof(char *));
    if (near)
      return fail(d, MB_WV_ERR_BAD_VALUE, where,
                  "'%.*s' is not a wasi_snapshot_preview1 function; did you mean %s?", Q(fl), v,
                  near);
    return fail(d, MB_WV_ERR_BAD_VALUE, where,
                "'%.*s' is not a wasi_snapshot_preview1 function; expected a name such as "
                "fd_read, path_open or clock_time_get",
                Q(fl), v);
  }
  uint64_t nth;
  size_t nl = (size_t)(c2 - c1 - 1);
  if (!parse_u64(c1 + 1, nl, &nth) || nth == 0 || nth > UINT32_MAX)
    return fail(d, MB_WV_ERR_BAD_VALUE, where,
                "bad call number '%.*s'; expected N from 1 (the first call) to 4294967295",
                Q(nl), c1 + 1);
  mb_wasi_errno err;
  if (!mb_wasi_errno_parse(c2 + 1, strlen(c2 + 1), &err))
    return fail(d, MB_WV_ERR_BAD_VALUE, where,
                "bad ERRNO '%.*s'; expected a preview1 errno name such as io, noent, acces or "
                "badf, or its number 1..76",
                Q(strlen(c2 + 1)), c2 + 1);
  mb_wv_fault f = {.nth = (uint32_t)nth, .err = err};
  if (!(f.func = dup_n(&t->p.alloc, v, fl)) ||
      !grow(&t->p.alloc, (void **)&t->p.faults, &t->fault_cap, t->p.fault_count, sizeof *t->p.faults)) {
    mb_mem_free(&t->p.alloc, f.func);
    return mb__policy_nomem(d, where);
  }
  t->p.faults[t->p.fault_count++] = f;
  return MB_WV_OK;
}

static mb_wv_err opt_trace(delta *t, mb_wv_diag *d, const char *where,
                           const char *v) {
  char *path = NULL;
  mb_wv_trace_mode mode;
  if (!strcmp(v, "stderr")) {
    mode = MB_WV_TRACE_STDERR;
  } else if (!strcmp(v, "none")) {
    mode = MB_WV_TRACE_NONE;
  } else if (v[0] == '/') {
    mode = MB_WV_TRACE_FILE;
    mb_wv_err e = guest_path(&t->p.alloc, d, where, v, strlen(v), &path);
    if (e) return e;
    if (!strcmp(path, "/")) {
      mb_mem_free(&t->p.alloc, path);
      return fail(d, MB_WV_ERR_BAD_VALUE, where,
                  "'%.*s' is the root directory, not a file; name a file such as /out/trace.log",
                  Q(strlen(v)), v);
    }
  } else {
    return fail(d, MB_WV_ERR_BAD_VALUE, where,
                "expected stderr, none or an absolute guest file path such as /out/trace.log, "
                "got '%.*s'",
                Q(strlen(v)), v);
  }
  mb_mem_free(&t->p.alloc, t->p.trace_path);
  t->p.trace = mode;
  t->p.trace_path = path;
  t->set |= SET_TRACE;
  return MB_WV_OK;
}

/* --save GUEST=DEST: two guest paths; what they must be on is checked with the mounts
 * (mb_wv_policy_check). */
static mb_wv_err opt_save(delta *t, mb_wv_diag *d, const char *where,
                          const char *v) {
  const char *eq = strchr(v, '=');
  if (!eq)
    return fail(d, MB_WV_ERR_BAD_VALUE, where,
                "expected GUEST=MOUNT-GUEST-PATH (e.g. /out=/results/out, with /out a --mem "
                "tree and /results a :rw --mount), got '%.*s' without '='",
                Q(strlen(v)), v);
  mb_wv_save s = {NULL, NULL};
  mb_wv_err e = guest_path(&t->p.alloc, d, where, v, (size_t)(eq - v), &s.guest);
  if (!e) e = guest_path(&t->p.alloc, d, where, eq + 1, strlen(eq + 1), &s.dest);
  if (!e && !grow(&t->p.alloc, (void **)&t->p.saves, &t->save_cap, t->p.save_count, sizeof *t->p.saves))
    e = mb__policy_nomem(d, where);
  if (e) {
    mb_mem_free(&t->p.alloc, s.guest);
    mb_mem_free(&t->p.alloc, s.dest);
    return e;
  }
  t->p.saves[t->p.save_count++] = s;
  return MB_WV_OK;
}

/* --record GUEST-FILE (none: off), --replay HOSTFILE (none: off). */
static mb_wv_err opt_record(delta *t, mb_wv_diag *d, const char *where,
                            const char *v) {
  char *path = NULL;
  if (strcmp(v, "none")) {
    if (v[0] != '/')
      return fail(d, MB_WV_ERR_BAD_VALUE, where,
                  "expected an absolute guest file path such as /out/run.log (or none), got '%.*s'",
                  Q(strlen(v)), v);
    mb_wv_err e = guest_path(&t->p.alloc, d, where, v, strlen(v), &path);
    if (e) return e;
    if (!strcmp(path, "/")) {
      mb_mem_free(&t->p.alloc, path);
      return fail(d, MB_WV_ERR_BAD_VALUE, where,
                  "'%.*s' is the root directory, not a file; name a file such as /out/run.log",
                  Q(strlen(v)), v);
    }
  }
  mb_mem_free(&t->p.alloc, t->p.record_path);
  t->p.record_path = path;
  t->set |= SET_RECORD;
  return MB_WV_OK;
}

static mb_wv_err opt_replay(delta *t, mb_wv_diag *d, const char *where,
                            const char *v) {
  char *path = NULL;
  if (strcmp(v, "none")) {
    if (!v[0]) return fail(d, MB_WV_ERR_BAD_VALUE, where, "expected the host file of a log");
    if (!(path = dup_n(&t->p.alloc, v, strlen(v)))) return mb__policy_nomem(d, where);
  }
  mb_mem_free(&t->p.alloc, t->p.replay_path);
  t->p.replay_path = path;
  t->set |= SET_REPLAY;
  return MB_WV_OK;
}

mb_wv_err mb__policy_apply(delta *t, mb_wv_diag *d, const char *where, opt o,
                           const char *v) {
  switch (o) {
  case O_EMBED: return opt_embed(t, d, where, v);
  case O_MEM: return opt_mem(t, d, where, v);
  case O_MOUNT: return opt_mount(t, d, where, v);
  case O_ENV: return opt_env(t, d, where, v);
  case O_ENV_ALLOW: return opt_env_allow(t, d, where, v);
  case O_ARG: return opt_arg(t, d, where, v);
  case O_STDIN: return opt_stdio(t, d, where, 0, v);
  case O_STDOUT: return opt_stdio(t, d, where, 1, v);
  case O_STDERR: return opt_stdio(t, d, where, 2, v);
  case O_CLOCK: return opt_clock(t, d, where, v);
  case O_RANDOM: return opt_random(t, d, where, v);
  case O_FAULT: return opt_fault(t, d, where, v);
  case O_TRACE: return opt_trace(t, d, where, v);
  case O_SAVE: return opt_save(t, d, where, v);
  case O_RECORD: return opt_record(t, d, where, v);
  case O_REPLAY: return opt_replay(t, d, where, v);
  case O_ENV_INHERIT:
  case O_ARGS_INHERIT:
  case O_POLICY:
  case O_COUNT: break;
  }
  return fail(d, MB_WV_ERR_UNKNOWN_OPTION, where, "internal: option %d has no value form",
              (int)o);
}

void mb__policy_apply_flag(delta *t, opt o, bool on) {
  if (o == O_ENV_INHERIT) {
    t->p.env_inherit = on;
    t->set |= SET_ENV_INHERIT;
  } else {
    t->p.args_inherit = on;
    t->set |= SET_ARGS_INHERIT;
  }
}

static mb_wv_err commit(mb_wv_policy *p, delta *t, mb_wv_diag *d,
                        const char *where) {
  mb_wv_err e =
      mb__policy_merge(p, t) ? MB_WV_OK : mb__policy_nomem(d, where);
  mb_wv_policy_fini(&t->p);
  return e;
}

void mb__policy_delta_init(delta *t, const mb_allocator *alloc) {
  memset(t, 0, sizeof *t);
  mb_wv_policy_init(&t->p, alloc);
}

/* ---- flags ---- */

int mb_wv_policy_option_arity(const char *flag) {
  if (!flag || strncmp(flag, "--", 2) != 0) return -1;
  int o = mb__policy_opt_find(flag + 2, strlen(flag + 2));
  return o < 0 ? -1 : mb__policy_opts[o].arity;
}

static mb_wv_err read_policy_file(mb_wv_policy *p, const char *path,
                                  mb_wv_diag *d) {
  char *buf = NULL;
  size_t len = 0;
  mb_wv_err e = MB_WV_OK;
  FILE *f = fopen(path, "rb");
  if (!f) {
    e = fail(d, MB_WV_ERR_IO, path, "cannot open the policy file: %s; check the path "
             "given to --policy", strerror(errno));
    goto out;
  }
  if (!(buf = mb_mem_alloc(&p->alloc, MB_WV_POLICY_FILE_MAX + 1))) {
    e = mb__policy_nomem(d, path);
    goto out;
  }
  len = fread(buf, 1, MB_WV_POLICY_FILE_MAX + 1, f);
  if (ferror(f)) {
    e = fail(d, MB_WV_ERR_IO, path, "cannot read the policy file: %s", strerror(errno));
    goto out;
  }
  if (len > MB_WV_POLICY_FILE_MAX) {
    e = fail(d, MB_WV_ERR_IO, path,
             "the policy file is larger than %u bytes; a policy is a few lines of JSON",
             MB_WV_POLICY_FILE_MAX);
    goto out;
  }
  e = mb_wv_policy_parse_json(p, path, buf, len, d);
out:
  if (f) fclose(f);
  mb_mem_free(&p->alloc, buf);
  return e;
}

mb_wv_err mb_wv_policy_option(mb_wv_policy *p, const char *flag, const char *value,
                              mb_wv_diag *diag) {
  mb_wv_diag scratch;
  mb_wv_diag *d = diag ? diag : &scratch;
  memset(d, 0, sizeof *d);
  char where[sizeof d->where];
  snprintf(where, sizeof where, "%s%s%s", flag ? flag : "(null)", value ? " " : "",
           value ? value : "");
  int o = flag && !strncmp(flag, "--", 2) ? mb__policy_opt_find(flag + 2, strlen(flag + 2)) : -1;
  if (o < 0) {
    const char *f = flag ? flag : "";
    const char *body = !strncmp(f, "--", 2) ? f + 2 : f;
    const char *near = mb__policy_closest(body, strlen(body), &mb__policy_opts[0].name, O_COUNT,
                                          sizeof mb__policy_opts[0]);
    if (near)
      return fail(d, MB_WV_ERR_UNKNOWN_OPTION, where,
                  "'%.*s' is not a policy option; did you mean --%s?", Q(strlen(f)), f, near);
    return fail(d, MB_WV_ERR_UNKNOWN_OPTION, where,
                "'%.*s' is not a policy option; see `membrane virt --help` for the list",
                Q(strlen(f)), f);
  }
  if (mb__policy_opts[o].arity == 0 && value)
    return fail(d, MB_WV_ERR_BAD_VALUE, where, "%s takes no value", flag);
  if (mb__policy_opts[o].arity == 1 && !value)
    return fail(d, MB_WV_ERR_BAD_VALUE, where, "%s needs a value: %s %s", flag, flag,
                mb__policy_opts[o].form);
  if (o == O_POLICY) return read_policy_file(p, value, d);
  delta t;
  mb__policy_delta_init(&t, &p->alloc);
  mb_wv_err e;
  if (mb__policy_opts[o].arity == 0) {
    mb__policy_apply_flag(&t, (opt)o, true);
    e = MB_WV_OK;
  } else {
    e = mb__policy_apply(&t, d, where, (opt)o, value);
  }
  if (!e) return commit(p, &t, d, where);
  mb_wv_policy_fini(&t.p);
  return e;
}

