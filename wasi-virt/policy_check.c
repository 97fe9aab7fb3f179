/* policy_check.c — the policy's cross-option checks (mb_wv_policy_check), once all
 * flags and files are in: what no single option can know (two mounts at one guest path,
 * a file on a read-only mount, a --save with no --mem tree to copy, ...). Each message
 * names both options, as the user wrote them, and the way out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_internal.h"

#define fail mb__policy_fail

static void describe_mount(const mb_wv_mount *m, char *buf, size_t cap) {
  switch (m->kind) {
  case MB_WV_MOUNT_EMBED:
    snprintf(buf, cap, "--embed %s=%s", m->guest, m->host_path ? m->host_path : "");
    break;
  case MB_WV_MOUNT_MEM:
    if (m->limit == MB_VFS_NO_LIMIT)
      snprintf(buf, cap, "--mem %s", m->guest);
    else
      snprintf(buf, cap, "--mem %s:%llu", m->guest, (unsigned long long)m->limit);
    break;
  case MB_WV_MOUNT_HOST:
    snprintf(buf, cap, "--mount %s=%s%s%s:%s", m->guest, m->preopen ? m->preopen : "",
             m->subdir && m->subdir[0] ? "/" : "", m->subdir ? m->subdir : "",
             m->readonly ? "ro" : "rw");
    break;
  default:
    snprintf(buf, cap, "mount of kind %d at %s", (int)m->kind, m->guest ? m->guest : "?");
    break;
  }
}

static void describe_env(const mb_wv_env *e, char *buf, size_t cap) {
  if (e->kind == MB_WV_ENV_FIXED)
    snprintf(buf, cap, "--env %s=%s", e->name, e->value ? e->value : "");
  else
    snprintf(buf, cap, "--env-allow %s", e->name);
}

/* Sorting pointers into an array: ties keep array order (pointer order). */
static int cmp_mount(const void *a, const void *b) {
  const mb_wv_mount *x = *(const mb_wv_mount *const *)a, *y = *(const mb_wv_mount *const *)b;
  int c = strcmp(x->guest, y->guest);
  return c ? c : (x < y ? -1 : x > y);
}
static int cmp_env(const void *a, const void *b) {
  const mb_wv_env *x = *(const mb_wv_env *const *)a, *y = *(const mb_wv_env *const *)b;
  int c = strcmp(x->name, y->name);
  return c ? c : (x < y ? -1 : x > y);
}
static int cmp_fault(const void *a, const void *b) {
  const mb_wv_fault *x = *(const mb_wv_fault *const *)a, *y = *(const mb_wv_fault *const *)b;
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
static const char *holder(const mb_wv_policy *p, const char *path, bool for_read) {
  const char *best = NULL;
  size_t bl = 0;
  for (size_t i = 0; i < p->mount_count; i++) {
    const mb_wv_mount *m = &p->mounts[i];
    bool in = below(m->guest, path) ||
              (for_read && m->kind == MB_WV_MOUNT_EMBED && !strcmp(m->guest, path));
    size_t l = strlen(m->guest);
    if (in && (!best || l > bl)) best = m->guest, bl = l;
  }
  return best;
}

/* A file the output reads (stdin) or writes (stdout, stderr, the trace) at `path`: on a
 * mount, and a writable one for writing. flag names the option; other: its other mode. */
static mb_wv_err check_file(const mb_wv_policy *p, mb_wv_diag *d,
                            const char *flag, const char *path, bool reading,
                            const char *other) {
  char where[sizeof d->where];
  snprintf(where, sizeof where, "%s %s", flag, path);
  const char *mp = holder(p, path, reading);
  if (!mp)
    return fail(d, MB_WV_ERR_CONFLICT, where,
                "%s is not inside any mount; mount a directory that holds it (%s), or use "
                "%s %s",
                path, reading ? "--embed, --mem or --mount" : "--mem or --mount ...:rw", flag,
                other);
  if (reading) return MB_WV_OK;
  const mb_wv_mount *ro = NULL;
  bool writable = false;
  for (size_t i = 0; i < p->mount_count; i++) {
    const mb_wv_mount *m = &p->mounts[i];
    if (strcmp(m->guest, mp)) continue;
    if (m->kind == MB_WV_MOUNT_MEM || (m->kind == MB_WV_MOUNT_HOST && !m->readonly))
      writable = true;
    else
      ro = m;
  }
  if (!writable && ro) {
    char desc[300];
    describe_mount(ro, desc, sizeof desc);
    return fail(d, MB_WV_ERR_CONFLICT, where,
                "%s is on the read-only mount %s; put it under a --mem or a --mount ...:rw "
                "mount, or add --mem %s over the embed",
                path, desc, mp);
  }
  return MB_WV_OK;
}

static mb_wv_err check_stdio(const mb_wv_policy *p, mb_wv_diag *d) {
  static const char *const names[3] = {"--stdin", "--stdout", "--stderr"};
  for (int fd = 0; fd < 3; fd++) {
    const mb_wv_stdio *s = &p->stdio[fd];
    if (s->mode != MB_WV_STDIO_FILE || !s->path) continue;
    mb_wv_err e = check_file(p, d, names[fd], s->path, fd == 0, fd == 0 ? "null" : "inherit");
    if (e) return e;
  }
  if (p->record_path) {
    const char *other = NULL;
    for (int fd = 1; fd < 3; fd++)
      if (p->stdio[fd].mode == MB_WV_STDIO_FILE && p->stdio[fd].path &&
          !strcmp(p->stdio[fd].path, p->record_path))
        other = names[fd];
    if (p->trace == MB_WV_TRACE_FILE && p->trace_path && !strcmp(p->trace_path, p->record_path))
      other = "--trace";
    if (other) {
      char where[sizeof d->where];
      snprintf(where, sizeof where, "--record %s", p->record_path);
      return fail(d, MB_WV_ERR_CONFLICT, where,
                  "%s is also %s's file: the two would overwrite each other; record into "
                  "another file",
                  p->record_path, other);
    }
    mb_wv_err e = check_file(p, d, "--record", p->record_path, false, "none");
    if (e) return e;
  }
  if (p->trace != MB_WV_TRACE_FILE || !p->trace_path) return MB_WV_OK;
  for (int fd = 1; fd < 3; fd++)
    if (p->stdio[fd].mode == MB_WV_STDIO_FILE && p->stdio[fd].path &&
        !strcmp(p->stdio[fd].path, p->trace_path)) {
      char where[sizeof d->where];
      snprintf(where, sizeof where, "--trace %s", p->trace_path);
      return fail(d, MB_WV_ERR_CONFLICT, where,
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
static mb_wv_err check_saves(const mb_wv_policy *p, mb_wv_diag *d) {
  char where[sizeof d->where], desc[300];
  for (size_t i = 0; i < p->save_count; i++) {
    const mb_wv_save *s = &p->saves[i];
    snprintf(where, sizeof where, "--save %s=%s", s->guest, s->dest);
    const char *mp = NULL;
    for (size_t k = 0; k < p->mount_count; k++)
      if (at_or_below(p->mounts[k].guest, s->guest) &&
          (!mp || strlen(p->mounts[k].guest) > strlen(mp)))
        mp = p->mounts[k].guest;
    if (!mp)
      return fail(d, MB_WV_ERR_CONFLICT, where,
                  "%s is not on any mount; GUEST must be a --mem tree (e.g. --mem %s) or a "
                  "directory inside one",
                  s->guest, s->guest);
    const mb_wv_mount *mem = NULL, *other = NULL;
    for (size_t k = 0; k < p->mount_count; k++)
      if (!strcmp(p->mounts[k].guest, mp)) {
        if (p->mounts[k].kind == MB_WV_MOUNT_MEM) mem = &p->mounts[k];
        else other = &p->mounts[k];
      }
    if (!mem && other) {
      describe_mount(other, desc, sizeof desc);
      if (other->kind == MB_WV_MOUNT_EMBED)
        return fail(d, MB_WV_ERR_CONFLICT, where,
                    "%s is on %s, which is read-only and in the output as built; add --mem %s "
                    "over it to save what the program changes",
                    s->guest, desc, mp);
      return fail(d, MB_WV_ERR_CONFLICT, where,
                  "%s is on the host mount %s, whose files are on the host already; GUEST must "
                  "be a --mem tree or a directory inside one",
                  s->guest, desc);
    }
    const char *hp = holder(p, s->dest, false);
    const mb_wv_mount *host = NULL;
    for (size_t k = 0; hp && k < p->mount_count; k++)
      if (!strcmp(p->mounts[k].guest, hp)) host = &p->mounts[k];
    if (!host)
      return fail(d, MB_WV_ERR_CONFLICT, where,
                  "%s is not inside any mount; DEST must be a path inside a :rw --mount (e.g. "
                  "--mount /results=/host/results:rw --save %s=/results/out)",
                  s->dest, s->guest);
    describe_mount(host, desc, sizeof desc);
    if (host->kind != MB_WV_MOUNT_HOST || host->readonly)
      return fail(d, MB_WV_ERR_CONFLICT, where,
                  "%s is on %s; DEST must be inside a :rw --mount, so that the tree reaches "
                  "the host",
                  s->dest, desc);
    for (size_t k = 0; k < p->mount_count; k++)
      if (at_or_below(s->dest, p->mounts[k].guest)) {
        describe_mount(&p->mounts[k], desc, sizeof desc);
        return fail(d, MB_WV_ERR_CONFLICT, where,
                    "%s would replace the mount point of %s; save to a path no mount is at or "
                    "below",
                    s->dest, desc);
      }
    if (at_or_below(s->guest, s->dest) || at_or_below(s->dest, s->guest))
      return fail(d, MB_WV_ERR_CONFLICT, where,
                  "GUEST %s and DEST %s overlap; save to a path outside the tree, and not above "
                  "it",
                  s->guest, s->dest);
    for (size_t j = 0; j < i; j++)
      if (at_or_below(p->saves[j].dest, s->dest) || at_or_below(s->dest, p->saves[j].dest))
        return fail(d, MB_WV_ERR_CONFLICT, where,
                    "%s overlaps the DEST of --save %s=%s; give each save its own directory",
                    s->dest, p->saves[j].guest, p->saves[j].dest);
  }
  return MB_WV_OK;
}

mb_wv_err mb_wv_policy_check(const mb_wv_policy *p, mb_wv_diag *diag) {
  mb_wv_diag scratch;
  mb_wv_diag *d = diag ? diag : &scratch;
  memset(d, 0, sizeof *d);
  mb_wv_err e = MB_WV_OK;
  char a[300], b[300];
  size_t most = p->mount_count;
  if (p->env_count > most) most = p->env_count;
  if (p->fault_count > most) most = p->fault_count;
  const void **sorted = most ? mb_mem_calloc(&p->alloc, most, sizeof *sorted) : NULL;
  if (most && !sorted) return mb__policy_nomem(d, "policy");

  /* one guest path, one mount; or an embed with a mem over it */
  for (size_t i = 0; i < p->mount_count; i++) sorted[i] = &p->mounts[i];
  if (p->mount_count) qsort(sorted, p->mount_count, sizeof *sorted, cmp_mount);
  for (size_t i = 0; i < p->mount_count;) {
    size_t j = i + 1;
    while (j < p->mount_count &&
           !strcmp(((const mb_wv_mount *)sorted[i])->guest,
                   ((const mb_wv_mount *)sorted[j])->guest))
      j++;
    if (j - i >= 2) {
      const mb_wv_mount *first = sorted[i], *second = sorted[i + 1];
      bool pair = j - i == 2 && first->kind != second->kind &&
                  (first->kind == MB_WV_MOUNT_EMBED || first->kind == MB_WV_MOUNT_MEM) &&
                  (second->kind == MB_WV_MOUNT_EMBED || second->kind == MB_WV_MOUNT_MEM);
      if (!pair) {
        /* name the first two that cannot be combined */
        const mb_wv_mount *x = first, *y = second;
        if (j - i > 2 && first->kind != second->kind && first->kind != MB_WV_MOUNT_HOST &&
            second->kind != MB_WV_MOUNT_HOST)
          y = sorted[i + 2];
        describe_mount(x, a, sizeof a);
        describe_mount(y, b, sizeof b);
        if (x->kind == MB_WV_MOUNT_EMBED && y->kind == MB_WV_MOUNT_EMBED)
          e = fail(d, MB_WV_ERR_CONFLICT, b,
                   "%s is already embedded by %s; put both into one host directory and embed "
                   "that, or give them different guest paths",
                   y->guest, a);
        else
          e = fail(d, MB_WV_ERR_CONFLICT, b,
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
    mb_wv_policy def;
    mb_wv_policy_init(&def, &p->alloc);
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
      e = fail(d, MB_WV_ERR_CONFLICT, a,
               "a replay runs with the recorded policy, which the log holds: drop %s", other);
      goto out;
    }
  }
  if ((e = check_stdio(p, d))) goto out;
  if ((e = check_saves(p, d))) goto out;

  if (p->args_inherit && p->arg_count) {
    e = fail(d, MB_WV_ERR_CONFLICT, "--args-inherit",
             "--args-inherit passes the host's whole argv, so --arg %s would be ignored; drop "
             "one or the other",
             p->args[0]);
    goto out;
  }

  for (size_t i = 0; i < p->env_count; i++) sorted[i] = &p->env[i];
  if (p->env_count) qsort(sorted, p->env_count, sizeof *sorted, cmp_env);
  for (size_t i = 1; i < p->env_count; i++) {
    const mb_wv_env *x = sorted[i - 1], *y = sorted[i];
    if (strcmp(x->name, y->name)) continue;
    describe_env(x, a, sizeof a);
    describe_env(y, b, sizeof b);
    e = fail(d, MB_WV_ERR_CONFLICT, b, "%s is already given by %s; give each variable once",
             y->name, a);
    goto out;
  }

  for (size_t i = 0; i < p->fault_count; i++) sorted[i] = &p->faults[i];
  if (p->fault_count) qsort(sorted, p->fault_count, sizeof *sorted, cmp_fault);
  for (size_t i = 1; i < p->fault_count; i++) {
    const mb_wv_fault *x = sorted[i - 1], *y = sorted[i];
    if (strcmp(x->func, y->func) || x->nth != y->nth) continue;
    snprintf(b, sizeof b, "--fault %s:%u:%s", y->func, (unsigned)y->nth,
             mb_wasi_errno_name(y->err));
    e = fail(d, MB_WV_ERR_CONFLICT, b,
             "call %u of %s already fails with --fault %s:%u:%s; give each call one fault",
             (unsigned)y->nth, y->func, x->func, (unsigned)x->nth, mb_wasi_errno_name(x->err));
    goto out;
  }
out:
  mb_mem_free(&p->alloc, sorted);
  return e;
}
