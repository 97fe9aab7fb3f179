/* policy.c — the `membrane virt` policy: flags, JSON files, cross-option checks.
 *
 * Every change goes to a delta first (a policy of its own plus which single-valued
 * settings it sets), and is merged into the caller's policy only once the whole option
 * or file has been read: the merge grows the caller's arrays before it moves anything,
 * so an error, out of memory included, leaves the policy as it was. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "vfs_internal.h"

/* ---- the options ---- */

typedef enum opt {
  O_EMBED, O_MEM, O_MOUNT, O_ENV, O_ENV_ALLOW, O_ENV_INHERIT, O_ARG, O_ARGS_INHERIT,
  O_STDIN, O_STDOUT, O_STDERR, O_CLOCK, O_RANDOM, O_FAULT, O_TRACE, O_SAVE, O_RECORD, O_REPLAY,
  O_POLICY, O_COUNT
} opt;

static const struct {
  const char *name; /* without "--" (the JSON key) */
  int arity;
  const char *form; /* for "needs a value" messages */
} opts[O_COUNT] = {
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

static int opt_find(const char *name, size_t len) {
  for (int i = 0; i < O_COUNT; i++)
    if (strlen(opts[i].name) == len && memcmp(opts[i].name, name, len) == 0) return i;
  return -1;
}

/* ---- diagnostics ---- */

mb_virt_policy_err mb__policy_fail(mb_virt_policy_diag *d, mb_virt_policy_err code,
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

static mb_virt_policy_err nomem(mb_virt_policy_diag *d, const char *where) {
  return fail(d, MB_VIRT_POLICY_NOMEM, where, "out of memory");
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

/* The closest of names to s, if it is close enough to be a typo; NULL otherwise. */
static const char *closest(const char *s, size_t len, const char *const *names, size_t n,
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

typedef struct delta {
  mb_virt_policy p;
  size_t mount_cap, arg_cap, env_cap, fault_cap, save_cap;
  unsigned set;
} delta;

static char *dup_n(const char *s, size_t n) {
  if (n == SIZE_MAX) return NULL;
  char *c = mb__vfs_malloc(n + 1);
  if (!c) return NULL;
  if (n) memcpy(c, s, n);
  c[n] = '\0';
  return c;
}

/* Room for one more element of size elem in (*arr, count) of capacity *cap. */
static bool grow(void **arr, size_t *cap, size_t count, size_t elem) {
  if (count < *cap) return true;
  size_t ncap = *cap ? *cap * 2 : 4;
  if (ncap < *cap || ncap > SIZE_MAX / elem) return false;
  void *n = mb__vfs_realloc(*arr, ncap * elem);
  if (!n) return false;
  *arr = n;
  *cap = ncap;
  return true;
}

static void mount_fini(mb_virt_mount *m) {
  mb__vfs_free(m->guest);
  mb__vfs_free(m->host_path);
  mb__vfs_free(m->preopen);
  mb__vfs_free(m->subdir);
}

void mb_virt_policy_init(mb_virt_policy *p) {
  memset(p, 0, sizeof *p);
  p->stdio[0].mode = MB_VIRT_STDIO_NULL;
  p->stdio[1].mode = MB_VIRT_STDIO_INHERIT;
  p->stdio[2].mode = MB_VIRT_STDIO_INHERIT;
  p->clock = MB_VIRT_CLOCK_FIXED;
  p->random = MB_VIRT_RANDOM_SEED;
  p->trace = MB_VIRT_TRACE_NONE;
}

void mb_virt_policy_fini(mb_virt_policy *p) {
  for (size_t i = 0; i < p->mount_count; i++) mount_fini(&p->mounts[i]);
  mb__vfs_free(p->mounts);
  for (size_t i = 0; i < p->arg_count; i++) mb__vfs_free(p->args[i]);
  mb__vfs_free(p->args);
  for (size_t i = 0; i < p->env_count; i++) {
    mb__vfs_free(p->env[i].name);
    mb__vfs_free(p->env[i].value);
  }
  mb__vfs_free(p->env);
  for (size_t i = 0; i < 3; i++) mb__vfs_free(p->stdio[i].path);
  mb__vfs_free(p->trace_path);
  mb__vfs_free(p->record_path);
  mb__vfs_free(p->replay_path);
  for (size_t i = 0; i < p->fault_count; i++) mb__vfs_free(p->faults[i].func);
  mb__vfs_free(p->faults);
  for (size_t i = 0; i < p->save_count; i++) {
    mb__vfs_free(p->saves[i].guest);
    mb__vfs_free(p->saves[i].dest);
  }
  mb__vfs_free(p->saves);
  mb_virt_policy_init(p);
}

/* Make room in dst for n more elements (nothing moves yet). */
static bool reserve_exact(void **dst, size_t count, size_t n, size_t elem) {
  if (n == 0) return true;
  if (n > SIZE_MAX / elem - count) return false;
  void *a = mb__vfs_realloc(*dst, (count + n) * elem);
  if (!a) return false;
  *dst = a;
  return true;
}

/* Move everything of t into p; t is left empty (still to be finished by the caller).
 * False (out of memory) before anything moved: p is then as it was, its arrays at most
 * larger than needed. */
static bool merge(mb_virt_policy *p, delta *t) {
  mb_virt_policy *d = &t->p;
  if (!reserve_exact((void **)&p->mounts, p->mount_count, d->mount_count, sizeof *p->mounts) ||
      !reserve_exact((void **)&p->args, p->arg_count, d->arg_count, sizeof *p->args) ||
      !reserve_exact((void **)&p->env, p->env_count, d->env_count, sizeof *p->env) ||
      !reserve_exact((void **)&p->faults, p->fault_count, d->fault_count, sizeof *p->faults) ||
      !reserve_exact((void **)&p->saves, p->save_count, d->save_count, sizeof *p->saves))
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
      mb__vfs_free(p->stdio[fd].path);
      p->stdio[fd] = d->stdio[fd];
      d->stdio[fd].path = NULL;
    }
  if (t->set & SET_CLOCK) p->clock = d->clock, p->clock_start = d->clock_start;
  if (t->set & SET_RANDOM) p->random = d->random, p->random_seed = d->random_seed;
  if (t->set & SET_TRACE) {
    mb__vfs_free(p->trace_path);
    p->trace = d->trace;
    p->trace_path = d->trace_path;
    d->trace_path = NULL;
  }
  if (t->set & SET_RECORD) {
    mb__vfs_free(p->record_path);
    p->record_path = d->record_path;
    d->record_path = NULL;
  }
  if (t->set & SET_REPLAY) {
    mb__vfs_free(p->replay_path);
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
static mb_virt_policy_err guest_path(mb_virt_policy_diag *d, const char *where, const char *s,
                                     size_t len, char **out) {
  if (len == 0)
    return fail(d, MB_VIRT_POLICY_BAD_VALUE, where,
                "empty guest path; expected an absolute path such as /data");
  if (s[0] != '/')
    return fail(d, MB_VIRT_POLICY_BAD_VALUE, where,
                "guest path '%.*s' is relative; expected an absolute path such as /%.*s",
                (int)(len > 200 ? 200 : len), s, (int)(len > 200 ? 200 : len), s);
  char *n = mb__vfs_malloc(len + 2);
  if (!n) return nomem(d, where);
  size_t o = 0;
  for (size_t i = 0; i < len;) {
    while (i < len && s[i] == '/') i++;
    size_t b = i;
    while (i < len && s[i] != '/') i++;
    size_t c = i - b;
    if (c == 0 || (c == 1 && s[b] == '.')) continue;
    if (c == 2 && s[b] == '.' && s[b + 1] == '.') {
      mb__vfs_free(n);
      return fail(d, MB_VIRT_POLICY_BAD_VALUE, where,
                  "guest path '%.*s' has a '..' component; write the path it means without it",
                  (int)(len > 200 ? 200 : len), s);
    }
    if (c > MB_VFS_NAME_MAX) {
      mb__vfs_free(n);
      return fail(d, MB_VIRT_POLICY_BAD_VALUE, where,
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
    mb__vfs_free(n);
    return fail(d, MB_VIRT_POLICY_BAD_VALUE, where,
                "guest path of %zu bytes; it must be shorter than %d", o, MB_VFS_PATH_MAX);
  }
  *out = n;
  return MB_VIRT_POLICY_OK;
}

static mb_virt_policy_err add_mount(delta *t, mb_virt_policy_diag *d, const char *where,
                                    mb_virt_mount *m) {
  if (!grow((void **)&t->p.mounts, &t->mount_cap, t->p.mount_count, sizeof *t->p.mounts)) {
    mount_fini(m);
    return nomem(d, where);
  }
  t->p.mounts[t->p.mount_count++] = *m;
  return MB_VIRT_POLICY_OK;
}

#define Q(len) (int)((len) > 200 ? 200 : (len)) /* a quoted value, cut for the message */

static mb_virt_policy_err opt_embed(delta *t, mb_virt_policy_diag *d, const char *where,
                                    const char *v) {
  const char *eq = strchr(v, '=');
  if (!eq)
    return fail(d, MB_VIRT_POLICY_BAD_VALUE, where,
                "expected GUEST=HOSTPATH (e.g. /data=./assets), got '%.*s' without '='",
                Q(strlen(v)), v);
  if (eq[1] == '\0')
    return fail(d, MB_VIRT_POLICY_BAD_VALUE, where,
                "empty HOSTPATH after '='; expected GUEST=HOSTPATH, e.g. /data=./assets");
  mb_virt_mount m = {.kind = MB_VIRT_MOUNT_EMBED};
  mb_virt_policy_err e = guest_path(d, where, v, (size_t)(eq - v), &m.guest);
  if (e) return e;
  if (!(m.host_path = dup_n(eq + 1, strlen(eq + 1)))) {
    mount_fini(&m);
    return nomem(d, where);
  }
  return add_mount(t, d, where, &m);
}

static mb_virt_policy_err opt_mem(delta *t, mb_virt_policy_diag *d, const char *where,
                                  const char *v) {
  size_t len = strlen(v);
  const char *colon = strrchr(v, ':');
  mb_virt_mount m = {.kind = MB_VIRT_MOUNT_MEM, .limit = MB_VFS_NO_LIMIT};
  if (colon) {
    size_t ll = len - (size_t)(colon + 1 - v);
    if (!parse_size(colon + 1, ll, &m.limit))
      return fail(d, MB_VIRT_POLICY_BAD_VALUE, where,
                  "bad LIMIT '%.*s'; expected bytes with an optional K, M or G suffix (e.g. "
                  "64M), below 2^64-1, or unlimited",
                  Q(ll), colon + 1);
    len = (size_t)(colon - v);
  }
  mb_virt_policy_err e = guest_path(d, where, v, len, &m.guest);
  if (e) return e;
  return add_mount(t, d, where, &m);
}

static mb_virt_policy_err opt_mount(delta *t, mb_virt_policy_diag *d, const char *where,
                                    const char *v) {
  const char *eq = strchr(v, '=');
  if (!eq)
    return fail(d, MB_VIRT_POLICY_BAD_VALUE, where,
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
      return fail(d, MB_VIRT_POLICY_BAD_VALUE, where,
                  "expected :ro or :rw at the end, got ':%.*s' (preopen names and "
                  "subdirectories cannot contain ':')",
                  Q(ml), colon + 1);
    hl = (size_t)(colon - h);
    const char *other = memchr(h, ':', hl);
    if (other)
      return fail(d, MB_VIRT_POLICY_BAD_VALUE, where,
                  "a ':' inside '%.*s'; only a final :ro or :rw may follow the host path "
                  "(preopen names and subdirectories cannot contain ':')",
                  Q(hl), h);
  }
  if (hl == 0)
    return fail(d, MB_VIRT_POLICY_BAD_VALUE, where,
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
      return fail(d, MB_VIRT_POLICY_BAD_VALUE, where,
                  "empty preopen name in '%.*s'; expected PREOPEN[/SUBDIR] such as /host/data",
                  Q(hl), h);
    if (pe - b == 2 && h[b] == '.' && h[b + 1] == '.')
      return fail(d, MB_VIRT_POLICY_BAD_VALUE, where,
                  "'..' is not a preopen name; name the directory the host preopens, e.g. "
                  "/host");
  }
  size_t sb = pe < hl ? pe + 1 : hl; /* SUBDIR begins after the '/' */
  if (pe < hl && sb == hl)
    return fail(d, MB_VIRT_POLICY_BAD_VALUE, where,
                "'%.*s' ends in '/'; remove it (SUBDIR has no empty components)", Q(hl), h);
  for (size_t i = sb; i < hl;) {
    size_t b = i;
    while (i < hl && h[i] != '/') i++;
    size_t c = i - b;
    if (c == 0 || (c == 1 && h[b] == '.') || (c == 2 && h[b] == '.' && h[b + 1] == '.'))
      return fail(d, MB_VIRT_POLICY_BAD_VALUE, where,
                  "SUBDIR '%.*s' has an empty, '.' or '..' component; write it as a plain "
                  "relative path such as data/sub",
                  Q(hl - sb), h + sb);
    if (c > MB_VFS_NAME_MAX)
      return fail(d, MB_VIRT_POLICY_BAD_VALUE, where,
                  "SUBDIR has a component of %zu bytes; at most %d are allowed", c,
                  MB_VFS_NAME_MAX);
    if (i < hl) {
      i++;
      if (i == hl)
        return fail(d, MB_VIRT_POLICY_BAD_VALUE, where,
                    "'%.*s' ends in '/'; remove it (SUBDIR has no empty components)", Q(hl), h);
    }
  }
  if (hl >= MB_VFS_PATH_MAX)
    return fail(d, MB_VIRT_POLICY_BAD_VALUE, where,
                "host side of %zu bytes; it must be shorter than %d", hl, MB_VFS_PATH_MAX);
  mb_virt_mount m = {.kind = MB_VIRT_MOUNT_HOST, .readonly = readonly};
  mb_virt_policy_err e = guest_path(d, where, v, (size_t)(eq - v), &m.guest);
  if (e) return e;
  if (!(m.preopen = dup_n(h, pe)) || !(m.subdir = dup_n(h + sb, hl - sb))) {
    mount_fini(&m);
    return nomem(d, where);
  }
  return add_mount(t, d, where, &m);
}

static mb_virt_policy_err add_env(delta *t, mb_virt_policy_diag *d, const char *where,
                                  mb_virt_env_kind kind, const char *name, size_t nl,
                                  const char *value) {
  mb_virt_env ev = {.kind = kind};
  if (!(ev.name = dup_n(name, nl)) || (value && !(ev.value = dup_n(value, strlen(value)))) ||
      !grow((void **)&t->p.env, &t->env_cap, t->p.env_count, sizeof *t->p.env)) {
    mb__vfs_free(ev.name);
    mb__vfs_free(ev.value);
    return nomem(d, where);
  }
  t->p.env[t->p.env_count++] = ev;
  return MB_VIRT_POLICY_OK;
}

static mb_virt_policy_err opt_env(delta *t, mb_virt_policy_diag *d, const char *where,
                                  const char *v) {
  const char *eq = strchr(v, '=');
  if (!eq)
    return fail(d, MB_VIRT_POLICY_BAD_VALUE, where,
                "expected NAME=VALUE (e.g. HOME=/tmp), got '%.*s' without '='; to pass the "
                "host's value use --env-allow %.*s",
                Q(strlen(v)), v, Q(strlen(v)), v);
  if (eq == v)
    return fail(d, MB_VIRT_POLICY_BAD_VALUE, where,
                "empty variable name before '='; expected NAME=VALUE, e.g. HOME=/tmp");
  return add_env(t, d, where, MB_VIRT_ENV_FIXED, v, (size_t)(eq - v), eq + 1);
}

static mb_virt_policy_err opt_env_allow(delta *t, mb_virt_policy_diag *d, const char *where,
                                        const char *v) {
  if (!*v)
    return fail(d, MB_VIRT_POLICY_BAD_VALUE, where,
                "empty variable name; expected the NAME of a host variable, e.g. HOME");
  if (strchr(v, '='))
    return fail(d, MB_VIRT_POLICY_BAD_VALUE, where,
                "'%.*s' has a '='; --env-allow takes a NAME only (to set a value use --env "
                "NAME=VALUE)",
                Q(strlen(v)), v);
  return add_env(t, d, where, MB_VIRT_ENV_ALLOW, v, strlen(v), NULL);
}

static mb_virt_policy_err opt_arg(delta *t, mb_virt_policy_diag *d, const char *where,
                                  const char *v) {
  char *a = dup_n(v, strlen(v));
  if (!a || !grow((void **)&t->p.args, &t->arg_cap, t->p.arg_count, sizeof *t->p.args)) {
    mb__vfs_free(a);
    return nomem(d, where);
  }
  t->p.args[t->p.arg_count++] = a;
  return MB_VIRT_POLICY_OK;
}

static mb_virt_policy_err opt_stdio(delta *t, mb_virt_policy_diag *d, const char *where, int fd,
                                    const char *v) {
  mb_virt_stdio s = {MB_VIRT_STDIO_INHERIT, NULL};
  if (!strcmp(v, "inherit")) {
    s.mode = MB_VIRT_STDIO_INHERIT;
  } else if (!strcmp(v, "null")) {
    s.mode = MB_VIRT_STDIO_NULL;
  } else if (v[0] == '/') {
    s.mode = MB_VIRT_STDIO_FILE;
    mb_virt_policy_err e = guest_path(d, where, v, strlen(v), &s.path);
    if (e) return e;
    if (!strcmp(s.path, "/")) {
      mb__vfs_free(s.path);
      return fail(d, MB_VIRT_POLICY_BAD_VALUE, where,
                  "'%.*s' is the root directory, not a file; name a file such as /out/log",
                  Q(strlen(v)), v);
    }
  } else {
    return fail(d, MB_VIRT_POLICY_BAD_VALUE, where,
                "expected inherit, null or an absolute guest file path such as /out/log, got "
                "'%.*s'",
                Q(strlen(v)), v);
  }
  mb__vfs_free(t->p.stdio[fd].path);
  t->p.stdio[fd] = s;
  t->set |= SET_STDIN << fd;
  return MB_VIRT_POLICY_OK;
}

static mb_virt_policy_err opt_clock(delta *t, mb_virt_policy_diag *d, const char *where,
                                    const char *v) {
  if (!strcmp(v, "real")) {
    t->p.clock = MB_VIRT_CLOCK_REAL;
    t->p.clock_start = 0;
  } else if (!strncmp(v, "fixed:", 6) && parse_u64(v + 6, strlen(v + 6), &t->p.clock_start)) {
    t->p.clock = MB_VIRT_CLOCK_FIXED;
  } else {
    return fail(d, MB_VIRT_POLICY_BAD_VALUE, where,
                "expected real or fixed:NANOS (decimal nanoseconds since 1970, e.g. fixed:0), "
                "got '%.*s'",
                Q(strlen(v)), v);
  }
  t->set |= SET_CLOCK;
  return MB_VIRT_POLICY_OK;
}

static mb_virt_policy_err opt_random(delta *t, mb_virt_policy_diag *d, const char *where,
                                     const char *v) {
  if (!strcmp(v, "real")) {
    t->p.random = MB_VIRT_RANDOM_REAL;
    t->p.random_seed = 0;
  } else if (!strncmp(v, "seed:", 5) && parse_u64(v + 5, strlen(v + 5), &t->p.random_seed)) {
    t->p.random = MB_VIRT_RANDOM_SEED;
  } else {
    return fail(d, MB_VIRT_POLICY_BAD_VALUE, where,
                "expected real or seed:N (N decimal, 0 to 2^64-1), got '%.*s'", Q(strlen(v)),
                v);
  }
  t->set |= SET_RANDOM;
  return MB_VIRT_POLICY_OK;
}

static mb_virt_policy_err opt_fault(delta *t, mb_virt_policy_diag *d, const char *where,
                                    const char *v) {
  const char *c1 = strchr(v, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
  if (!c1 || !c2 || strchr(c2 + 1, ':'))
    return fail(d, MB_VIRT_POLICY_BAD_VALUE, where,
                "expected FUNC:N:ERRNO (e.g. fd_read:2:io), got '%.*s'", Q(strlen(v)), v);
  size_t fl = (size_t)(c1 - v);
  if (mb_wasi_func_index(v, fl) < 0) {
    const char *near = closest(v, fl, mb_wasi_func_names, MB_WASI_FUNC_COUNT, sizeof(char *));
    if (near)
      return fail(d, MB_VIRT_POLICY_BAD_VALUE, where,
                  "'%.*s' is not a wasi_snapshot_preview1 function; did you mean %s?", Q(fl), v,
                  near);
    return fail(d, MB_VIRT_POLICY_BAD_VALUE, where,
                "'%.*s' is not a wasi_snapshot_preview1 function; expected a name such as "
                "fd_read, path_open or clock_time_get",
                Q(fl), v);
  }
  uint64_t nth;
  size_t nl = (size_t)(c2 - c1 - 1);
  if (!parse_u64(c1 + 1, nl, &nth) || nth == 0 || nth > UINT32_MAX)
    return fail(d, MB_VIRT_POLICY_BAD_VALUE, where,
                "bad call number '%.*s'; expected N from 1 (the first call) to 4294967295",
                Q(nl), c1 + 1);
  mb_wasi_errno err;
  if (!mb_wasi_errno_parse(c2 + 1, strlen(c2 + 1), &err))
    return fail(d, MB_VIRT_POLICY_BAD_VALUE, where,
                "bad ERRNO '%.*s'; expected a preview1 errno name such as io, noent, acces or "
                "badf, or its number 1..76",
                Q(strlen(c2 + 1)), c2 + 1);
  mb_virt_fault f = {.nth = (uint32_t)nth, .err = err};
  if (!(f.func = dup_n(v, fl)) ||
      !grow((void **)&t->p.faults, &t->fault_cap, t->p.fault_count, sizeof *t->p.faults)) {
    mb__vfs_free(f.func);
    return nomem(d, where);
  }
  t->p.faults[t->p.fault_count++] = f;
  return MB_VIRT_POLICY_OK;
}

static mb_virt_policy_err opt_trace(delta *t, mb_virt_policy_diag *d, const char *where,
                                    const char *v) {
  char *path = NULL;
  mb_virt_trace_mode mode;
  if (!strcmp(v, "stderr")) {
    mode = MB_VIRT_TRACE_STDERR;
  } else if (!strcmp(v, "none")) {
    mode = MB_VIRT_TRACE_NONE;
  } else if (v[0] == '/') {
    mode = MB_VIRT_TRACE_FILE;
    mb_virt_policy_err e = guest_path(d, where, v, strlen(v), &path);
    if (e) return e;
    if (!strcmp(path, "/")) {
      mb__vfs_free(path);
      return fail(d, MB_VIRT_POLICY_BAD_VALUE, where,
                  "'%.*s' is the root directory, not a file; name a file such as /out/trace.log",
                  Q(strlen(v)), v);
    }
  } else {
    return fail(d, MB_VIRT_POLICY_BAD_VALUE, where,
                "expected stderr, none or an absolute guest file path such as /out/trace.log, "
                "got '%.*s'",
                Q(strlen(v)), v);
  }
  mb__vfs_free(t->p.trace_path);
  t->p.trace = mode;
  t->p.trace_path = path;
  t->set |= SET_TRACE;
  return MB_VIRT_POLICY_OK;
}

/* --save GUEST=DEST: two guest paths; what they must be on is checked with the mounts
 * (mb_virt_policy_check). */
static mb_virt_policy_err opt_save(delta *t, mb_virt_policy_diag *d, const char *where,
                                   const char *v) {
  const char *eq = strchr(v, '=');
  if (!eq)
    return fail(d, MB_VIRT_POLICY_BAD_VALUE, where,
                "expected GUEST=MOUNT-GUEST-PATH (e.g. /out=/results/out, with /out a --mem "
                "tree and /results a :rw --mount), got '%.*s' without '='",
                Q(strlen(v)), v);
  mb_virt_save s = {NULL, NULL};
  mb_virt_policy_err e = guest_path(d, where, v, (size_t)(eq - v), &s.guest);
  if (!e) e = guest_path(d, where, eq + 1, strlen(eq + 1), &s.dest);
  if (!e && !grow((void **)&t->p.saves, &t->save_cap, t->p.save_count, sizeof *t->p.saves))
    e = nomem(d, where);
  if (e) {
    mb__vfs_free(s.guest);
    mb__vfs_free(s.dest);
    return e;
  }
  t->p.saves[t->p.save_count++] = s;
  return MB_VIRT_POLICY_OK;
}

/* --record GUEST-FILE (none: off), --replay HOSTFILE (none: off). */
static mb_virt_policy_err opt_record(delta *t, mb_virt_policy_diag *d, const char *where,
                                     const char *v) {
  char *path = NULL;
  if (strcmp(v, "none")) {
    if (v[0] != '/')
      return fail(d, MB_VIRT_POLICY_BAD_VALUE, where,
                  "expected an absolute guest file path such as /out/run.log (or none), got '%.*s'",
                  Q(strlen(v)), v);
    mb_virt_policy_err e = guest_path(d, where, v, strlen(v), &path);
    if (e) return e;
    if (!strcmp(path, "/")) {
      mb__vfs_free(path);
      return fail(d, MB_VIRT_POLICY_BAD_VALUE, where,
                  "'%.*s' is the root directory, not a file; name a file such as /out/run.log",
                  Q(strlen(v)), v);
    }
  }
  mb__vfs_free(t->p.record_path);
  t->p.record_path = path;
  t->set |= SET_RECORD;
  return MB_VIRT_POLICY_OK;
}

static mb_virt_policy_err opt_replay(delta *t, mb_virt_policy_diag *d, const char *where,
                                     const char *v) {
  char *path = NULL;
  if (strcmp(v, "none")) {
    if (!v[0]) return fail(d, MB_VIRT_POLICY_BAD_VALUE, where, "expected the host file of a log");
    if (!(path = dup_n(v, strlen(v)))) return nomem(d, where);
  }
  mb__vfs_free(t->p.replay_path);
  t->p.replay_path = path;
  t->set |= SET_REPLAY;
  return MB_VIRT_POLICY_OK;
}

/* One option with a value (o != O_POLICY) into the delta. */
static mb_virt_policy_err apply(delta *t, mb_virt_policy_diag *d, const char *where, opt o,
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
  return fail(d, MB_VIRT_POLICY_UNKNOWN_OPTION, where, "internal: option %d has no value form",
              (int)o);
}

static void apply_flag(delta *t, opt o, bool on) {
  if (o == O_ENV_INHERIT) {
    t->p.env_inherit = on;
    t->set |= SET_ENV_INHERIT;
  } else {
    t->p.args_inherit = on;
    t->set |= SET_ARGS_INHERIT;
  }
}

static mb_virt_policy_err commit(mb_virt_policy *p, delta *t, mb_virt_policy_diag *d,
                                 const char *where) {
  mb_virt_policy_err e = merge(p, t) ? MB_VIRT_POLICY_OK : nomem(d, where);
  mb_virt_policy_fini(&t->p);
  return e;
}

static void delta_init(delta *t) {
  memset(t, 0, sizeof *t);
  mb_virt_policy_init(&t->p);
}

/* ---- flags ---- */

int mb_virt_policy_option_arity(const char *flag) {
  if (!flag || strncmp(flag, "--", 2) != 0) return -1;
  int o = opt_find(flag + 2, strlen(flag + 2));
  return o < 0 ? -1 : opts[o].arity;
}

static mb_virt_policy_err read_policy_file(mb_virt_policy *p, const char *path,
                                           mb_virt_policy_diag *d) {
  char *buf = NULL;
  size_t len = 0;
  mb_virt_policy_err e = MB_VIRT_POLICY_OK;
  FILE *f = fopen(path, "rb");
  if (!f) {
    e = fail(d, MB_VIRT_POLICY_IO, path, "cannot open the policy file: %s; check the path "
             "given to --policy", strerror(errno));
    goto out;
  }
  if (!(buf = mb__vfs_malloc(MB_VIRT_POLICY_FILE_MAX + 1))) {
    e = nomem(d, path);
    goto out;
  }
  len = fread(buf, 1, MB_VIRT_POLICY_FILE_MAX + 1, f);
  if (ferror(f)) {
    e = fail(d, MB_VIRT_POLICY_IO, path, "cannot read the policy file: %s", strerror(errno));
    goto out;
  }
  if (len > MB_VIRT_POLICY_FILE_MAX) {
    e = fail(d, MB_VIRT_POLICY_IO, path,
             "the policy file is larger than %u bytes; a policy is a few lines of JSON",
             MB_VIRT_POLICY_FILE_MAX);
    goto out;
  }
  e = mb_virt_policy_parse_json(p, path, buf, len, d);
out:
  if (f) fclose(f);
  mb__vfs_free(buf);
  return e;
}

mb_virt_policy_err mb_virt_policy_option(mb_virt_policy *p, const char *flag, const char *value,
                                         mb_virt_policy_diag *diag) {
  mb_virt_policy_diag scratch;
  mb_virt_policy_diag *d = diag ? diag : &scratch;
  memset(d, 0, sizeof *d);
  char where[sizeof d->where];
  snprintf(where, sizeof where, "%s%s%s", flag ? flag : "(null)", value ? " " : "",
           value ? value : "");
  int o = flag && !strncmp(flag, "--", 2) ? opt_find(flag + 2, strlen(flag + 2)) : -1;
  if (o < 0) {
    const char *f = flag ? flag : "";
    const char *body = !strncmp(f, "--", 2) ? f + 2 : f;
    const char *near = closest(body, strlen(body), &opts[0].name, O_COUNT, sizeof opts[0]);
    if (near)
      return fail(d, MB_VIRT_POLICY_UNKNOWN_OPTION, where,
                  "'%.*s' is not a policy option; did you mean --%s?", Q(strlen(f)), f, near);
    return fail(d, MB_VIRT_POLICY_UNKNOWN_OPTION, where,
                "'%.*s' is not a policy option; see `membrane virt --help` for the list",
                Q(strlen(f)), f);
  }
  if (opts[o].arity == 0 && value)
    return fail(d, MB_VIRT_POLICY_BAD_VALUE, where, "%s takes no value", flag);
  if (opts[o].arity == 1 && !value)
    return fail(d, MB_VIRT_POLICY_BAD_VALUE, where, "%s needs a value: %s %s", flag, flag,
                opts[o].form);
  if (o == O_POLICY) return read_policy_file(p, value, d);
  delta t;
  delta_init(&t);
  mb_virt_policy_err e;
  if (opts[o].arity == 0) {
    apply_flag(&t, (opt)o, true);
    e = MB_VIRT_POLICY_OK;
  } else {
    e = apply(&t, d, where, (opt)o, value);
  }
  if (!e) return commit(p, &t, d, where);
  mb_virt_policy_fini(&t.p);
  return e;
}

/* ---- JSON ---- */

/* cJSON's allocations go through the library's hook while a parse runs (cJSON has one
 * global pair of hooks; its defaults are put back afterwards). A failed allocation is
 * noted, since cJSON reports it as a failed parse like any syntax error. */
static bool cj_nomem;
static void *cj_malloc(size_t n) {
  void *p = mb__vfs_malloc(n ? n : 1);
  if (!p) cj_nomem = true;
  return p;
}
static void cj_free(void *p) { mb__vfs_free(p); }

static void line_col(const char *text, size_t off, unsigned long *line, unsigned long *col) {
  *line = 1;
  *col = 1;
  for (size_t i = 0; i < off; i++) {
    if (text[i] == '\n') {
      ++*line;
      *col = 1;
    } else {
      ++*col;
    }
  }
}

static mb_virt_policy_err syntax(mb_virt_policy_diag *d, const char *file, const char *text,
                                 size_t off, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static mb_virt_policy_err syntax(mb_virt_policy_diag *d, const char *file, const char *text,
                                 size_t off, const char *fmt, ...) {
  unsigned long line, col;
  line_col(text, off, &line, &col);
  d->code = MB_VIRT_POLICY_SYNTAX;
  snprintf(d->where, sizeof d->where, "%s:%lu:%lu", file, line, col);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(d->message, sizeof d->message, fmt, ap);
  va_end(ap);
  return MB_VIRT_POLICY_SYNTAX;
}

/* A character for a message: 'x', or "byte 0xNN" when it is not printable. */
static const char *show(unsigned char c, char buf[16]) {
  if (c >= 0x20 && c < 0x7f)
    snprintf(buf, 16, "'%c'", c);
  else
    snprintf(buf, 16, "byte 0x%02x", c);
  return buf;
}

static bool json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static const char *json_type(const cJSON *v) {
  if (cJSON_IsString(v)) return "a string";
  if (cJSON_IsNumber(v)) return "a number";
  if (cJSON_IsBool(v)) return "a boolean";
  if (cJSON_IsNull(v)) return "null";
  if (cJSON_IsArray(v)) return "an array";
  if (cJSON_IsObject(v)) return "an object";
  return "something else";
}

/* A strict JSON syntax check that runs before cJSON, for two reasons: cJSON's error
 * offset is only near the fault (one byte past a bad string, past whitespace) and it
 * says nothing about what was expected; and cJSON strings end at a NUL, so a NUL byte or
 * a \u0000 escape would silently cut a value short. The scanner allocates nothing;
 * nesting is bounded. On failure it sets the offset and a message ("expected ':' after
 * the key"), to which the caller adds what was found there. */
enum { JSON_DEPTH_MAX = 64 };

typedef struct jscan {
  const char *s;
  size_t len, pos;
  const char *msg; /* NULL until a fault */
  bool found;      /* add "got X" (the byte at pos, or the end) to msg */
} jscan;

static bool js_fail(jscan *j, size_t pos, bool found, const char *msg) {
  j->pos = pos;
  j->msg = msg;
  j->found = found;
  return false;
}

static void js_space(jscan *j) {
  while (j->pos < j->len && json_space(j->s[j->pos])) j->pos++;
}

static bool js_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool js_string(jscan *j) {
  size_t start = j->pos++;
  while (j->pos < j->len) {
    unsigned char c = (unsigned char)j->s[j->pos];
    if (c == '"') {
      j->pos++;
      return true;
    }
    if (c == '\0') return js_fail(j, j->pos, false, "a NUL byte; a policy is JSON text");
    if (c < 0x20)
      return js_fail(j, j->pos, true,
                     "a control character in a string (write it as an escape such as \\n)");
    if (c != '\\') {
      j->pos++;
      continue;
    }
    if (j->pos + 1 >= j->len) break;
    char e = j->s[j->pos + 1];
    if (e == 'u') {
      if (j->len - j->pos < 6 || !js_hex(j->s[j->pos + 2]) || !js_hex(j->s[j->pos + 3]) ||
          !js_hex(j->s[j->pos + 4]) || !js_hex(j->s[j->pos + 5]))
        return js_fail(j, j->pos, false, "a \\u escape without four hex digits");
      if (!memcmp(j->s + j->pos + 2, "0000", 4))
        return js_fail(j, j->pos, false, "a \\u0000 escape; policy strings cannot hold NUL");
      /* UTF-16 surrogates come in pairs (cJSON refuses a lone one, rightly) */
      unsigned u = (unsigned)strtoul((char[5]){j->s[j->pos + 2], j->s[j->pos + 3],
                                              j->s[j->pos + 4], j->s[j->pos + 5], 0},
                                     NULL, 16);
      if (u >= 0xDC00 && u <= 0xDFFF)
        return js_fail(j, j->pos, false,
                       "a \\u escape of a low surrogate without a high one before it");
      if (u >= 0xD800 && u <= 0xDBFF) {
        const char *n = j->s + j->pos + 6;
        size_t left = j->len - j->pos - 6;
        unsigned lo = 0;
        if (left >= 6 && n[0] == '\\' && n[1] == 'u' && js_hex(n[2]) && js_hex(n[3]) &&
            js_hex(n[4]) && js_hex(n[5]))
          lo = (unsigned)strtoul((char[5]){n[2], n[3], n[4], n[5], 0}, NULL, 16);
        if (lo < 0xDC00 || lo > 0xDFFF)
          return js_fail(j, j->pos, false,
                         "a \\u escape of a high surrogate without a low one (\\uDC00-\\uDFFF) "
                         "after it");
        j->pos += 6;
      }
      j->pos += 6;
    } else if (strchr("\"\\/bfnrt", e) && e) {
      j->pos += 2;
    } else {
      return js_fail(j, j->pos, false,
                     "an unknown escape; the escapes are \\\" \\\\ \\/ \\b \\f \\n \\r \\t and "
                     "\\uXXXX");
    }
  }
  return js_fail(j, start, false, "a string that is never closed");
}

static bool js_digits(jscan *j) {
  size_t b = j->pos;
  while (j->pos < j->len && j->s[j->pos] >= '0' && j->s[j->pos] <= '9') j->pos++;
  return j->pos > b;
}

/* cJSON reads at most 63 bytes of a number (and then fails on the rest); policy values
 * are strings anyway. */
enum { JSON_NUMBER_MAX = 63 };

static bool js_number(jscan *j) {
  size_t start = j->pos;
  if (j->s[j->pos] == '-') j->pos++;
  if (j->pos < j->len && j->s[j->pos] == '0')
    j->pos++;
  else if (!js_digits(j))
    return js_fail(j, start, false, "a malformed number");
  if (j->pos < j->len && j->s[j->pos] == '.') {
    j->pos++;
    if (!js_digits(j)) return js_fail(j, start, false, "a malformed number");
  }
  if (j->pos < j->len && (j->s[j->pos] == 'e' || j->s[j->pos] == 'E')) {
    j->pos++;
    if (j->pos < j->len && (j->s[j->pos] == '+' || j->s[j->pos] == '-')) j->pos++;
    if (!js_digits(j)) return js_fail(j, start, false, "a malformed number");
  }
  if (j->pos - start > JSON_NUMBER_MAX)
    return js_fail(j, start, false,
                   "a number longer than 63 characters (policy values are strings)");
  return true;
}

static bool js_value(jscan *j, int depth) {
  static const char expected[] =
      "expected a value (a string, number, object, array, true, false or null)";
  js_space(j);
  if (j->pos >= j->len) return js_fail(j, j->pos, true, expected);
  char c = j->s[j->pos];
  if (c == '"') return js_string(j);
  if (c == '-' || (c >= '0' && c <= '9')) return js_number(j);
  static const char *const words[] = {"true", "false", "null"};
  for (int i = 0; i < 3; i++) {
    size_t n = strlen(words[i]);
    if (c == words[i][0]) {
      if (j->len - j->pos < n || memcmp(j->s + j->pos, words[i], n))
        return js_fail(j, j->pos, false,
                       "a bare word; strings are quoted, and the literals are true, false and "
                       "null");
      j->pos += n;
      return true;
    }
  }
  if (c != '{' && c != '[') return js_fail(j, j->pos, true, expected);
  if (depth >= JSON_DEPTH_MAX)
    return js_fail(j, j->pos, false, "nesting deeper than 64 levels");
  bool object = c == '{';
  char close = object ? '}' : ']';
  j->pos++;
  js_space(j);
  if (j->pos < j->len && j->s[j->pos] == close) {
    j->pos++;
    return true;
  }
  for (;;) {
    if (object) {
      js_space(j);
      if (j->pos >= j->len || j->s[j->pos] != '"')
        return js_fail(j, j->pos, true, "expected '\"' to begin a key");
      if (!js_string(j)) return false;
      js_space(j);
      if (j->pos >= j->len || j->s[j->pos] != ':')
        return js_fail(j, j->pos, true, "expected ':' after the key");
      j->pos++;
    }
    if (!js_value(j, depth + 1)) return false;
    js_space(j);
    if (j->pos < j->len && j->s[j->pos] == ',') {
      j->pos++;
      continue;
    }
    if (j->pos < j->len && j->s[j->pos] == close) {
      j->pos++;
      return true;
    }
    return js_fail(j, j->pos, true, object ? "expected ',' or '}'" : "expected ',' or ']'");
  }
}

/* Check the whole text; false with j->pos and j->msg set on a fault. */
static bool js_check(jscan *j) {
  if (j->len >= 3 && !memcmp(j->s, "\xEF\xBB\xBF", 3)) j->pos = 3; /* cJSON skips it too */
  if (!js_value(j, 0)) return false;
  js_space(j);
  if (j->pos < j->len)
    return js_fail(j, j->pos, true,
                   "more after the end of the JSON value; a policy is one object");
  return true;
}

static mb_virt_policy_err json_apply(delta *t, mb_virt_policy_diag *d, const char *file,
                                     const cJSON *root) {
  char where[sizeof d->where];
  uint32_t seen = 0;
  for (const cJSON *it = root->child; it; it = it->next) {
    const char *key = it->string ? it->string : "";
    size_t kl = strlen(key);
    snprintf(where, sizeof where, "%s: %s", file, key);
    int o = opt_find(key, kl);
    if (o == O_POLICY)
      return fail(d, MB_VIRT_POLICY_UNKNOWN_OPTION, where,
                  "a policy file cannot include another; give --policy once for each file");
    if (o < 0) {
      const char *body = !strncmp(key, "--", 2) ? key + 2 : key;
      if (body != key && opt_find(body, strlen(body)) >= 0)
        return fail(d, MB_VIRT_POLICY_UNKNOWN_OPTION, where,
                    "unknown key '%.*s'; keys are the flags without '--': write \"%s\"", Q(kl),
                    key, body);
      const char *near = closest(body, strlen(body), &opts[0].name, O_COUNT, sizeof opts[0]);
      if (near && near != opts[O_POLICY].name)
        return fail(d, MB_VIRT_POLICY_UNKNOWN_OPTION, where,
                    "unknown key '%.*s'; did you mean \"%s\"?", Q(kl), key, near);
      return fail(d, MB_VIRT_POLICY_UNKNOWN_OPTION, where,
                  "unknown key '%.*s'; the keys are the policy flags without '--' (embed, "
                  "mem, mount, env, env-allow, env-inherit, arg, args-inherit, stdin, stdout, "
                  "stderr, clock, random, fault, trace, save, record, replay)",
                  Q(kl), key);
    }
    if (seen & (1u << o))
      return fail(d, MB_VIRT_POLICY_CONFLICT, where,
                  "\"%s\" is given twice; give it once, with an array for several values", key);
    seen |= 1u << o;
    if (opts[o].arity == 0) {
      if (!cJSON_IsBool(it))
        return fail(d, MB_VIRT_POLICY_BAD_VALUE, where, "expected true or false, got %s",
                    json_type(it));
      apply_flag(t, (opt)o, cJSON_IsTrue(it));
      continue;
    }
    if (cJSON_IsString(it)) {
      mb_virt_policy_err e = apply(t, d, where, (opt)o, it->valuestring);
      if (e) return e;
      continue;
    }
    if (!cJSON_IsArray(it))
      return fail(d, MB_VIRT_POLICY_BAD_VALUE, where,
                  "expected a string (%s) or an array of them, got %s", opts[o].form,
                  json_type(it));
    size_t i = 0;
    for (const cJSON *el = it->child; el; el = el->next, i++) {
      snprintf(where, sizeof where, "%s: %s[%zu]", file, key, i);
      if (!cJSON_IsString(el))
        return fail(d, MB_VIRT_POLICY_BAD_VALUE, where, "expected a string (%s), got %s",
                    opts[o].form, json_type(el));
      mb_virt_policy_err e = apply(t, d, where, (opt)o, el->valuestring);
      if (e) return e;
    }
  }
  return MB_VIRT_POLICY_OK;
}

mb_virt_policy_err mb_virt_policy_parse_json(mb_virt_policy *p, const char *filename,
                                             const char *text, size_t len,
                                             mb_virt_policy_diag *diag) {
  mb_virt_policy_diag scratch;
  mb_virt_policy_diag *d = diag ? diag : &scratch;
  memset(d, 0, sizeof *d);
  const char *file = filename ? filename : "policy";
  char c[16];
  if (!text) len = 0;
  size_t k = 0;
  while (k < len && json_space(text[k])) k++;
  if (k == len)
    return syntax(d, file, text, len,
                  "the text is empty; expected a JSON object such as {\"mem\": \"/tmp:1M\"}");
  jscan j = {text, len, 0, NULL, false};
  if (!js_check(&j)) {
    if (!j.found) return syntax(d, file, text, j.pos, "not JSON: %s", j.msg);
    if (j.pos >= len)
      return syntax(d, file, text, j.pos, "not JSON: %s, got the end of the text", j.msg);
    return syntax(d, file, text, j.pos, "not JSON: %s, got %s", j.msg,
                  show((unsigned char)text[j.pos], c));
  }

  cJSON_Hooks hooks = {cj_malloc, cj_free};
  cJSON_InitHooks(&hooks);
  cj_nomem = false;
  /* the BOM the scanner skipped: cJSON 1.7.15 skips one only in texts of 5 bytes or more */
  size_t bom = len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3) ? 3 : 0;
  cJSON *root = cJSON_ParseWithLengthOpts(text + bom, len - bom, NULL, 0);
  bool oom = cj_nomem;
  mb_virt_policy_err e = MB_VIRT_POLICY_OK;
  delta t;
  delta_init(&t);
  if (!root) {
    /* the scanner accepted it: cJSON failed for want of memory, or disagrees */
    if (oom) {
      e = nomem(d, file);
      goto out;
    }
    const char *ep = cJSON_GetErrorPtr();
    size_t off = ep && ep >= text && ep <= text + len ? (size_t)(ep - text) : 0;
    e = syntax(d, file, text, off, "not JSON (as cJSON reads it) near here");
    goto out;
  }
  if (!cJSON_IsObject(root)) {
    e = fail(d, MB_VIRT_POLICY_BAD_VALUE, file,
             "the top level is %s; expected an object of options such as {\"mem\": "
             "\"/tmp:1M\", \"env\": [\"HOME=/tmp\"]}",
             json_type(root));
    goto out;
  }
  e = json_apply(&t, d, file, root);
  if (!e) {
    e = merge(p, &t) ? MB_VIRT_POLICY_OK : nomem(d, file);
  }
out:
  mb_virt_policy_fini(&t.p);
  cJSON_Delete(root);
  cJSON_InitHooks(NULL);
  return e;
}

/* ---- cross-option checks ---- */

static void describe_mount(const mb_virt_mount *m, char *buf, size_t cap) {
  switch (m->kind) {
  case MB_VIRT_MOUNT_EMBED:
    snprintf(buf, cap, "--embed %s=%s", m->guest, m->host_path ? m->host_path : "");
    break;
  case MB_VIRT_MOUNT_MEM:
    if (m->limit == MB_VFS_NO_LIMIT)
      snprintf(buf, cap, "--mem %s", m->guest);
    else
      snprintf(buf, cap, "--mem %s:%llu", m->guest, (unsigned long long)m->limit);
    break;
  case MB_VIRT_MOUNT_HOST:
    snprintf(buf, cap, "--mount %s=%s%s%s:%s", m->guest, m->preopen ? m->preopen : "",
             m->subdir && m->subdir[0] ? "/" : "", m->subdir ? m->subdir : "",
             m->readonly ? "ro" : "rw");
    break;
  default:
    snprintf(buf, cap, "mount of kind %d at %s", (int)m->kind, m->guest ? m->guest : "?");
    break;
  }
}

static void describe_env(const mb_virt_env *e, char *buf, size_t cap) {
  if (e->kind == MB_VIRT_ENV_FIXED)
    snprintf(buf, cap, "--env %s=%s", e->name, e->value ? e->value : "");
  else
    snprintf(buf, cap, "--env-allow %s", e->name);
}

/* Sorting pointers into an array: ties keep array order (pointer order). */
static int cmp_mount(const void *a, const void *b) {
  const mb_virt_mount *x = *(const mb_virt_mount *const *)a, *y = *(const mb_virt_mount *const *)b;
  int c = strcmp(x->guest, y->guest);
  return c ? c : (x < y ? -1 : x > y);
}
static int cmp_env(const void *a, const void *b) {
  const mb_virt_env *x = *(const mb_virt_env *const *)a, *y = *(const mb_virt_env *const *)b;
  int c = strcmp(x->name, y->name);
  return c ? c : (x < y ? -1 : x > y);
}
static int cmp_fault(const void *a, const void *b) {
  const mb_virt_fault *x = *(const mb_virt_fault *const *)a, *y = *(const mb_virt_fault *const *)b;
  int c = strcmp(x->func, y->func);
  if (!c) c = x->nth < y->nth ? -1 : x->nth > y->nth;
  return c ? c : (x < y ? -1 : x > y);
}

/* Whether guest path `path` lies strictly below mount point `mp`. */
static bool below(const char *mp, const char *path) {
  size_t n = strlen(mp);
  if (n == 1) return path[1] != '\0'; /* "/" holds everything but itself */
  return !strncmp(mp, path, n) && path[n] == '/';
}

/* The mount point that holds `path` (longest; for_read: an EMBED at path itself too, a
 * single embedded file), or NULL. */
static const char *holder(const mb_virt_policy *p, const char *path, bool for_read) {
  const char *best = NULL;
  size_t bl = 0;
  for (size_t i = 0; i < p->mount_count; i++) {
    const mb_virt_mount *m = &p->mounts[i];
    bool in = below(m->guest, path) ||
              (for_read && m->kind == MB_VIRT_MOUNT_EMBED && !strcmp(m->guest, path));
    size_t l = strlen(m->guest);
    if (in && (!best || l > bl)) best = m->guest, bl = l;
  }
  return best;
}

/* A file the output reads (stdin) or writes (stdout, stderr, the trace) at `path`: on a
 * mount, and a writable one for writing. flag names the option; other: its other mode. */
static mb_virt_policy_err check_file(const mb_virt_policy *p, mb_virt_policy_diag *d,
                                     const char *flag, const char *path, bool reading,
                                     const char *other) {
  char where[sizeof d->where];
  snprintf(where, sizeof where, "%s %s", flag, path);
  const char *mp = holder(p, path, reading);
  if (!mp)
    return fail(d, MB_VIRT_POLICY_CONFLICT, where,
                "%s is not inside any mount; mount a directory that holds it (%s), or use "
                "%s %s",
                path, reading ? "--embed, --mem or --mount" : "--mem or --mount ...:rw", flag,
                other);
  if (reading) return MB_VIRT_POLICY_OK;
  const mb_virt_mount *ro = NULL;
  bool writable = false;
  for (size_t i = 0; i < p->mount_count; i++) {
    const mb_virt_mount *m = &p->mounts[i];
    if (strcmp(m->guest, mp)) continue;
    if (m->kind == MB_VIRT_MOUNT_MEM || (m->kind == MB_VIRT_MOUNT_HOST && !m->readonly))
      writable = true;
    else
      ro = m;
  }
  if (!writable && ro) {
    char desc[300];
    describe_mount(ro, desc, sizeof desc);
    return fail(d, MB_VIRT_POLICY_CONFLICT, where,
                "%s is on the read-only mount %s; put it under a --mem or a --mount ...:rw "
                "mount, or add --mem %s over the embed",
                path, desc, mp);
  }
  return MB_VIRT_POLICY_OK;
}

static mb_virt_policy_err check_stdio(const mb_virt_policy *p, mb_virt_policy_diag *d) {
  static const char *const names[3] = {"--stdin", "--stdout", "--stderr"};
  for (int fd = 0; fd < 3; fd++) {
    const mb_virt_stdio *s = &p->stdio[fd];
    if (s->mode != MB_VIRT_STDIO_FILE || !s->path) continue;
    mb_virt_policy_err e = check_file(p, d, names[fd], s->path, fd == 0, fd == 0 ? "null" : "inherit");
    if (e) return e;
  }
  if (p->record_path) {
    const char *other = NULL;
    for (int fd = 1; fd < 3; fd++)
      if (p->stdio[fd].mode == MB_VIRT_STDIO_FILE && p->stdio[fd].path &&
          !strcmp(p->stdio[fd].path, p->record_path))
        other = names[fd];
    if (p->trace == MB_VIRT_TRACE_FILE && p->trace_path && !strcmp(p->trace_path, p->record_path))
      other = "--trace";
    if (other) {
      char where[sizeof d->where];
      snprintf(where, sizeof where, "--record %s", p->record_path);
      return fail(d, MB_VIRT_POLICY_CONFLICT, where,
                  "%s is also %s's file: the two would overwrite each other; record into "
                  "another file",
                  p->record_path, other);
    }
    mb_virt_policy_err e = check_file(p, d, "--record", p->record_path, false, "none");
    if (e) return e;
  }
  if (p->trace != MB_VIRT_TRACE_FILE || !p->trace_path) return MB_VIRT_POLICY_OK;
  for (int fd = 1; fd < 3; fd++)
    if (p->stdio[fd].mode == MB_VIRT_STDIO_FILE && p->stdio[fd].path &&
        !strcmp(p->stdio[fd].path, p->trace_path)) {
      char where[sizeof d->where];
      snprintf(where, sizeof where, "--trace %s", p->trace_path);
      return fail(d, MB_VIRT_POLICY_CONFLICT, where,
                  "%s is also %s's file: the two would overwrite each other; trace to another "
                  "file",
                  p->trace_path, names[fd]);
    }
  return check_file(p, d, "--trace", p->trace_path, false, "stderr");
}

/* Whether path is `mp` itself or lies below it. */
static bool at_or_below(const char *mp, const char *path) {
  return !strcmp(mp, path) || below(mp, path);
}

/* --save GUEST=DEST: GUEST on a --mem tree (its mount point or below: the longest mount
 * at or above it is a --mem, maybe over an --embed), DEST strictly inside a :rw --mount
 * (the longest mount holding it) and no mount point itself or above one (the host
 * directory there is replaced), GUEST and DEST apart, and no two DESTs one inside the
 * other (one save would replace or move the other's tree). */
static mb_virt_policy_err check_saves(const mb_virt_policy *p, mb_virt_policy_diag *d) {
  char where[sizeof d->where], desc[300];
  for (size_t i = 0; i < p->save_count; i++) {
    const mb_virt_save *s = &p->saves[i];
    snprintf(where, sizeof where, "--save %s=%s", s->guest, s->dest);
    const char *mp = NULL;
    for (size_t k = 0; k < p->mount_count; k++)
      if (at_or_below(p->mounts[k].guest, s->guest) &&
          (!mp || strlen(p->mounts[k].guest) > strlen(mp)))
        mp = p->mounts[k].guest;
    if (!mp)
      return fail(d, MB_VIRT_POLICY_CONFLICT, where,
                  "%s is not on any mount; GUEST must be a --mem tree (e.g. --mem %s) or a "
                  "directory inside one",
                  s->guest, s->guest);
    const mb_virt_mount *mem = NULL, *other = NULL;
    for (size_t k = 0; k < p->mount_count; k++)
      if (!strcmp(p->mounts[k].guest, mp)) {
        if (p->mounts[k].kind == MB_VIRT_MOUNT_MEM) mem = &p->mounts[k];
        else other = &p->mounts[k];
      }
    if (!mem && other) {
      describe_mount(other, desc, sizeof desc);
      if (other->kind == MB_VIRT_MOUNT_EMBED)
        return fail(d, MB_VIRT_POLICY_CONFLICT, where,
                    "%s is on %s, which is read-only and in the output as built; add --mem %s "
                    "over it to save what the program changes",
                    s->guest, desc, mp);
      return fail(d, MB_VIRT_POLICY_CONFLICT, where,
                  "%s is on the host mount %s, whose files are on the host already; GUEST must "
                  "be a --mem tree or a directory inside one",
                  s->guest, desc);
    }
    const char *hp = holder(p, s->dest, false);
    const mb_virt_mount *host = NULL;
    for (size_t k = 0; hp && k < p->mount_count; k++)
      if (!strcmp(p->mounts[k].guest, hp)) host = &p->mounts[k];
    if (!host)
      return fail(d, MB_VIRT_POLICY_CONFLICT, where,
                  "%s is not inside any mount; DEST must be a path inside a :rw --mount (e.g. "
                  "--mount /results=/host/results:rw --save %s=/results/out)",
                  s->dest, s->guest);
    describe_mount(host, desc, sizeof desc);
    if (host->kind != MB_VIRT_MOUNT_HOST || host->readonly)
      return fail(d, MB_VIRT_POLICY_CONFLICT, where,
                  "%s is on %s; DEST must be inside a :rw --mount, so that the tree reaches "
                  "the host",
                  s->dest, desc);
    for (size_t k = 0; k < p->mount_count; k++)
      if (at_or_below(s->dest, p->mounts[k].guest)) {
        describe_mount(&p->mounts[k], desc, sizeof desc);
        return fail(d, MB_VIRT_POLICY_CONFLICT, where,
                    "%s would replace the mount point of %s; save to a path no mount is at or "
                    "below",
                    s->dest, desc);
      }
    if (at_or_below(s->guest, s->dest) || at_or_below(s->dest, s->guest))
      return fail(d, MB_VIRT_POLICY_CONFLICT, where,
                  "GUEST %s and DEST %s overlap; save to a path outside the tree, and not above "
                  "it",
                  s->guest, s->dest);
    for (size_t j = 0; j < i; j++)
      if (at_or_below(p->saves[j].dest, s->dest) || at_or_below(s->dest, p->saves[j].dest))
        return fail(d, MB_VIRT_POLICY_CONFLICT, where,
                    "%s overlaps the DEST of --save %s=%s; give each save its own directory",
                    s->dest, p->saves[j].guest, p->saves[j].dest);
  }
  return MB_VIRT_POLICY_OK;
}

mb_virt_policy_err mb_virt_policy_check(const mb_virt_policy *p, mb_virt_policy_diag *diag) {
  mb_virt_policy_diag scratch;
  mb_virt_policy_diag *d = diag ? diag : &scratch;
  memset(d, 0, sizeof *d);
  mb_virt_policy_err e = MB_VIRT_POLICY_OK;
  char a[300], b[300];
  size_t most = p->mount_count;
  if (p->env_count > most) most = p->env_count;
  if (p->fault_count > most) most = p->fault_count;
  const void **sorted = most ? mb__vfs_calloc(most, sizeof *sorted) : NULL;
  if (most && !sorted) return nomem(d, "policy");

  /* one guest path, one mount; or an embed with a mem over it */
  for (size_t i = 0; i < p->mount_count; i++) sorted[i] = &p->mounts[i];
  if (p->mount_count) qsort(sorted, p->mount_count, sizeof *sorted, cmp_mount);
  for (size_t i = 0; i < p->mount_count;) {
    size_t j = i + 1;
    while (j < p->mount_count &&
           !strcmp(((const mb_virt_mount *)sorted[i])->guest,
                   ((const mb_virt_mount *)sorted[j])->guest))
      j++;
    if (j - i >= 2) {
      const mb_virt_mount *first = sorted[i], *second = sorted[i + 1];
      bool pair = j - i == 2 && first->kind != second->kind &&
                  (first->kind == MB_VIRT_MOUNT_EMBED || first->kind == MB_VIRT_MOUNT_MEM) &&
                  (second->kind == MB_VIRT_MOUNT_EMBED || second->kind == MB_VIRT_MOUNT_MEM);
      if (!pair) {
        /* name the first two that cannot be combined */
        const mb_virt_mount *x = first, *y = second;
        if (j - i > 2 && first->kind != second->kind && first->kind != MB_VIRT_MOUNT_HOST &&
            second->kind != MB_VIRT_MOUNT_HOST)
          y = sorted[i + 2];
        describe_mount(x, a, sizeof a);
        describe_mount(y, b, sizeof b);
        if (x->kind == MB_VIRT_MOUNT_EMBED && y->kind == MB_VIRT_MOUNT_EMBED)
          e = fail(d, MB_VIRT_POLICY_CONFLICT, b,
                   "%s is already embedded by %s; put both into one host directory and embed "
                   "that, or give them different guest paths",
                   y->guest, a);
        else
          e = fail(d, MB_VIRT_POLICY_CONFLICT, b,
                   "%s is already the mount point of %s; two mounts cannot share a guest path, "
                   "except one --embed and one --mem over it (copy-on-write)",
                   y->guest, a);
        goto out;
      }
    }
    i = j;
  }

  if (p->replay_path) {
    /* the log holds the recording's policy, the one the replay runs with */
    mb_virt_policy def;
    mb_virt_policy_init(&def);
    const char *other =
        p->mount_count ? "mounts (--embed, --mem, --mount)"
        : p->arg_count || p->args_inherit ? "arguments"
        : p->env_count || p->env_inherit ? "environment variables"
        : p->fault_count ? "--fault"
        : p->save_count ? "--save"
        : p->record_path ? "--record"
        : p->trace != def.trace ? "--trace"
        : p->clock != def.clock || p->clock_start != def.clock_start ? "--clock"
        : p->random != def.random || p->random_seed != def.random_seed ? "--random"
        : p->stdio[0].mode != def.stdio[0].mode || p->stdio[1].mode != def.stdio[1].mode ||
                p->stdio[2].mode != def.stdio[2].mode
            ? "stdio settings"
            : NULL;
    if (other) {
      snprintf(a, sizeof a, "--replay %s", p->replay_path);
      e = fail(d, MB_VIRT_POLICY_CONFLICT, a,
               "a replay runs with the recorded policy, which the log holds: drop %s", other);
      goto out;
    }
  }
  if ((e = check_stdio(p, d))) goto out;
  if ((e = check_saves(p, d))) goto out;

  if (p->args_inherit && p->arg_count) {
    e = fail(d, MB_VIRT_POLICY_CONFLICT, "--args-inherit",
             "--args-inherit passes the host's whole argv, so --arg %s would be ignored; drop "
             "one or the other",
             p->args[0]);
    goto out;
  }

  for (size_t i = 0; i < p->env_count; i++) sorted[i] = &p->env[i];
  if (p->env_count) qsort(sorted, p->env_count, sizeof *sorted, cmp_env);
  for (size_t i = 1; i < p->env_count; i++) {
    const mb_virt_env *x = sorted[i - 1], *y = sorted[i];
    if (strcmp(x->name, y->name)) continue;
    describe_env(x, a, sizeof a);
    describe_env(y, b, sizeof b);
    e = fail(d, MB_VIRT_POLICY_CONFLICT, b, "%s is already given by %s; give each variable once",
             y->name, a);
    goto out;
  }

  for (size_t i = 0; i < p->fault_count; i++) sorted[i] = &p->faults[i];
  if (p->fault_count) qsort(sorted, p->fault_count, sizeof *sorted, cmp_fault);
  for (size_t i = 1; i < p->fault_count; i++) {
    const mb_virt_fault *x = sorted[i - 1], *y = sorted[i];
    if (strcmp(x->func, y->func) || x->nth != y->nth) continue;
    snprintf(b, sizeof b, "--fault %s:%u:%s", y->func, (unsigned)y->nth,
             mb_wasi_errno_name(y->err));
    e = fail(d, MB_VIRT_POLICY_CONFLICT, b,
             "call %u of %s already fails with --fault %s:%u:%s; give each call one fault",
             (unsigned)y->nth, y->func, x->func, (unsigned)x->nth, mb_wasi_errno_name(x->err));
    goto out;
  }
out:
  mb__vfs_free(sorted);
  return e;
}
