/* p1_proc.c — preview1 calls that are not about files: args and environ, clocks,
 * random, poll_oneoff, proc_exit, sched_yield, sockets. Each is either served from the
 * configuration (fixed, seeded, denied) or passed to the host, as the policy says. */
#include <stdlib.h>
#include <string.h>

#include "p1_calls.h"

/* ---- args and environ: a list of strings, built once ---- */

typedef struct strlist {
  bool built;
  uint32_t count;
  uint32_t bytes; /* including one NUL per string */
  const char **ptr;
  uint32_t *len;
  void **owned; /* blocks the strings live in, freed by p1_proc_fini */
  uint32_t nowned;
} strlist;
static strlist args_list, env_list;

static bool own(strlist *l, void *p) {
  void **n = realloc(l->owned, (l->nowned + 1) * sizeof *n);
  if (!n) return false;
  l->owned = n;
  l->owned[l->nowned++] = p;
  return true;
}

/* The host's list (args, or environ when env): pointers into one buffer, both owned by
 * l before the host is asked, so a run that stops inside the call (a replay that
 * diverges) leaves nothing behind. */
static mb_wasi_errno host_list(strlist *l, bool env, uint32_t *count, char ***items) {
  uint32_t n = 0, bytes = 0;
  mb_wasi_errno e = p1h_list_sizes(env, &n, &bytes);
  if (e) return e;
  char **v = malloc(((size_t)n + 1) * sizeof *v);
  if (!v || !own(l, v)) {
    free(v);
    return MB_WASI_ENOMEM;
  }
  char *buf = malloc(bytes ? bytes : 1);
  if (!buf || !own(l, buf)) {
    free(buf);
    return MB_WASI_ENOMEM;
  }
  /* An empty list is not asked for: Node's environ_get says inval when the host has no
   * variables, which would fail the guest's environ_sizes_get (Rust exits 71). */
  if (n > 0 && (e = p1h_list_get(env, v, buf, n, bytes))) return e;
  *count = n;
  *items = v; /* the strings stay in buf for the program's life */
  return MB_WASI_ESUCCESS;
}

static bool push(strlist *l, const char *p, uint32_t n) {
  const char **np = realloc(l->ptr, (l->count + 1) * sizeof *np);
  uint32_t *nl = np ? realloc(l->len, (l->count + 1) * sizeof *nl) : NULL;
  if (np) l->ptr = np;
  if (!nl) return false;
  l->len = nl;
  l->ptr[l->count] = p;
  l->len[l->count++] = n;
  l->bytes += n + 1;
  return true;
}

static mb_wasi_errno fill_args(void) {
  if (p1.cfg.args_inherit) {
    uint32_t n;
    char **v;
    mb_wasi_errno e = host_list(&args_list, false, &n, &v);
    if (e) return e;
    for (uint32_t i = 0; i < n && !e; i++)
      if (!push(&args_list, v[i], (uint32_t)strlen(v[i]))) e = MB_WASI_ENOMEM;
    if (e) return e;
  } else {
    for (uint32_t i = 0; i < p1.cfg.arg_count; i++)
      if (!push(&args_list, p1.cfg.args[i].ptr, p1.cfg.args[i].len)) return MB_WASI_ENOMEM;
  }
  return MB_WASI_ESUCCESS;
}

static bool name_is(const char *entry, size_t elen, mb_wv_config_str name) {
  return elen > name.len && memcmp(entry, name.ptr, name.len) == 0 && entry[name.len] == '=';
}

/* inherit: every host variable a FIXED entry does not override; otherwise the allowed
 * host variables; then the FIXED ones ("K=V" texts built here). */
static mb_wasi_errno fill_env(void) {
  uint32_t hn = 0;
  char **hv = NULL;
  bool need_host = p1.cfg.env_inherit;
  for (uint32_t i = 0; i < p1.cfg.env_count; i++)
    need_host |= p1.cfg.env[i].kind == MB_WV_ENV_ALLOW;
  if (need_host) {
    mb_wasi_errno e = host_list(&env_list, true, &hn, &hv);
    if (e) return e;
  }
  for (uint32_t h = 0; h < hn; h++) {
    size_t n = strlen(hv[h]);
    bool keep = p1.cfg.env_inherit, fixed = false;
    for (uint32_t i = 0; i < p1.cfg.env_count; i++) {
      if (!name_is(hv[h], n, p1.cfg.env[i].name)) continue;
      if (p1.cfg.env[i].kind == MB_WV_ENV_FIXED) fixed = true;
      else keep = true;
    }
    if (keep && !fixed && !push(&env_list, hv[h], (uint32_t)n)) return MB_WASI_ENOMEM;
  }
  for (uint32_t i = 0; i < p1.cfg.env_count; i++) {
    const mb_wv_config_env *v = &p1.cfg.env[i];
    if (v->kind != MB_WV_ENV_FIXED) continue;
    char *s = malloc((size_t)v->name.len + v->value.len + 2);
    if (!s || !own(&env_list, s)) {
      free(s);
      return MB_WASI_ENOMEM;
    }
    memcpy(s, v->name.ptr, v->name.len);
    s[v->name.len] = '=';
    memcpy(s + v->name.len + 1, v->value.ptr, v->value.len);
    if (!push(&env_list, s, v->name.len + 1 + v->value.len)) return MB_WASI_ENOMEM;
  }
  return MB_WASI_ESUCCESS;
}

static void list_fini(strlist *l) {
  for (uint32_t i = 0; i < l->nowned; i++) free(l->owned[i]);
  free(l->owned);
  free(l->ptr);
  free(l->len);
  memset(l, 0, sizeof *l);
}

/* Built once; a failure (out of memory, the host's error) leaves nothing behind, so a
 * later call tries again from scratch. */
static mb_wasi_errno build(strlist *l, mb_wasi_errno (*fill)(void)) {
  if (l->built) return MB_WASI_ESUCCESS;
  mb_wasi_errno e = fill();
  if (e) list_fini(l);
  else l->built = true;
  return e;
}
static mb_wasi_errno build_args(void) { return build(&args_list, fill_args); }
static mb_wasi_errno build_env(void) { return build(&env_list, fill_env); }

static mb_wasi_errno list_sizes(strlist *l, uint32_t count_ret, uint32_t bytes_ret) {
  p1_put_u32(count_ret, l->count);
  p1_put_u32(bytes_ret, l->bytes);
  return MB_WASI_ESUCCESS;
}

static mb_wasi_errno list_get(strlist *l, uint32_t vec, uint32_t buf) {
  static const char nul = 0;
  p1_check_align(vec, 4);
  for (uint32_t i = 0; i < l->count; i++) {
    p1_put_u32(vec + 4 * i, buf);
    p1_caller_write(buf, l->ptr[i], l->len[i]);
    p1_caller_write(buf + l->len[i], &nul, 1);
    buf += l->len[i] + 1;
  }
  return MB_WASI_ESUCCESS;
}

mb_wasi_errno p1_args_sizes_get(uint32_t c, uint32_t b) {
  mb_wasi_errno e = build_args();
  return e ? e : list_sizes(&args_list, c, b);
}
mb_wasi_errno p1_args_get(uint32_t v, uint32_t b) {
  mb_wasi_errno e = build_args();
  return e ? e : list_get(&args_list, v, b);
}
mb_wasi_errno p1_environ_sizes_get(uint32_t c, uint32_t b) {
  mb_wasi_errno e = build_env();
  return e ? e : list_sizes(&env_list, c, b);
}
mb_wasi_errno p1_environ_get(uint32_t v, uint32_t b) {
  mb_wasi_errno e = build_env();
  return e ? e : list_get(&env_list, v, b);
}

/* ---- clocks ---- */

/* The fixed clock: every reading advances it by this much, sleeps advance it by what
 * they wait; realtime starts at the configured instant, the others at 0. */
#define P1_FIXED_STEP UINT64_C(1000000)
static uint64_t fixed_elapsed;

mb_wasi_errno p1_clock_now(uint32_t id, uint64_t *out) {
  if (id > 3) return MB_WASI_EINVAL;
  if (p1.cfg.clock == MB_WV_CLOCK_REAL) return p1h_clock_time_get(id, 1, out);
  fixed_elapsed += P1_FIXED_STEP;
  *out = (id == 0 ? p1.cfg.clock_start : 0) + fixed_elapsed;
  return MB_WASI_ESUCCESS;
}

mb_wasi_errno p1_clock_res_get(uint32_t id, uint32_t ret) {
  if (id > 3) return MB_WASI_EINVAL;
  uint64_t r = P1_FIXED_STEP;
  if (p1.cfg.clock == MB_WV_CLOCK_REAL) {
    mb_wasi_errno e = p1h_clock_res_get(id, &r);
    if (e) return e;
  }
  p1_put_u64(ret, r);
  return MB_WASI_ESUCCESS;
}

mb_wasi_errno p1_clock_time_get(uint32_t id, uint64_t precision, uint32_t ret) {
  (void)precision;
  uint64_t t;
  mb_wasi_errno e = p1_clock_now(id, &t);
  if (e) return e;
  p1_put_u64(ret, t);
  return MB_WASI_ESUCCESS;
}

/* ---- random ---- */

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static uint64_t next_random(void) {
  uint64_t *s = p1.rng, r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return r;
}

mb_wasi_errno p1_random_get(uint32_t buf, uint32_t len) {
  static uint8_t chunk[4096];
  while (len > 0) {
    uint32_t n = len < sizeof chunk ? len : sizeof chunk;
    if (p1.cfg.random == MB_WV_RANDOM_REAL) {
      mb_wasi_errno e = p1h_random_get(chunk, n);
      if (e) return e;
    } else {
      for (uint32_t i = 0; i < n; i += 8) {
        uint64_t r = next_random();
        memcpy(chunk + i, &r, n - i < 8 ? n - i : 8);
      }
    }
    p1_caller_write(buf, chunk, n);
    buf += n;
    len -= n;
  }
  return MB_WASI_ESUCCESS;
}

/* ---- poll_oneoff ---- */

/* Descriptors of the virtual filesystem and null streams are always ready; a descriptor
 * that is not open gives an event with badf (libc: POLLNVAL); inherited stdio is asked
 * of the host when its poll_oneoff is imported, else ready. Clocks: when nothing else is
 * ready, the earliest deadline is waited for, for real on the host's monotonic clock or
 * by advancing the fixed clock. With the host's stdio in the set the host waits for real
 * either way (stdin may become ready meanwhile); the fixed clock then advances as much. */
static void put_event(uint32_t out, uint32_t k, uint64_t userdata, uint16_t err, uint8_t tag,
                      uint64_t nbytes, uint16_t flags) {
  p1_abi_event ev = {0};
  ev.userdata = userdata;
  ev.error = err;
  ev.type = tag;
  ev.nbytes = nbytes;
  ev.flags = flags;
  p1_caller_write(out + (uint32_t)sizeof ev * k, &ev, sizeof ev);
}

static mb_wasi_errno wait_for(uint64_t ns) {
  if (p1.cfg.clock != MB_WV_CLOCK_REAL) {
    fixed_elapsed += ns;
    return MB_WASI_ESUCCESS;
  }
  __wasi_subscription_t s;
  memset(&s, 0, sizeof s);
  s.u.tag = __WASI_EVENTTYPE_CLOCK;
  s.u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
  s.u.u.clock.timeout = ns;
  __wasi_event_t e;
  size_t got;
  return p1h_poll_oneoff(&s, &e, 1, &got);
}

typedef struct poll_sub {
  uint64_t userdata;
  uint64_t left;    /* clocks: nanoseconds to the deadline */
  uint32_t host_fd; /* host stdio */
  uint8_t tag;
} poll_sub;

#define POLL_TIMEOUT UINT64_MAX /* the host clock subscription's userdata */

/* The host's stdio subscriptions (n of them), each asked of the host, with a monotonic
 * timeout of `wait` nanoseconds (UINT64_MAX: none, block). Ready ones become events
 * from *events on; *timed_out when the timeout fired instead. */
static mb_wasi_errno poll_host(const poll_sub *subs, uint32_t n, uint64_t wait, uint32_t out,
                               uint32_t *events, bool *timed_out) {
  *timed_out = false;
  uint32_t total = n + (wait != UINT64_MAX);
  __wasi_subscription_t *in = calloc(total, sizeof *in);
  __wasi_event_t *ev = calloc(total, sizeof *ev);
  mb_wasi_errno e = in && ev ? MB_WASI_ESUCCESS : MB_WASI_ENOMEM;
  for (uint32_t i = 0; i < n && !e; i++) {
    in[i].userdata = i;
    in[i].u.tag = subs[i].tag;
    if (subs[i].tag == __WASI_EVENTTYPE_FD_READ)
      in[i].u.u.fd_read.file_descriptor = subs[i].host_fd;
    else
      in[i].u.u.fd_write.file_descriptor = subs[i].host_fd;
  }
  if (!e && wait != UINT64_MAX) {
    in[n].userdata = POLL_TIMEOUT;
    in[n].u.tag = __WASI_EVENTTYPE_CLOCK;
    in[n].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    in[n].u.u.clock.timeout = wait;
  }
  size_t got = 0;
  if (!e) e = p1h_poll_oneoff(in, ev, total, &got);
  for (uint32_t k = 0; k < got && k < total && !e; k++) {
    if (ev[k].userdata == POLL_TIMEOUT) {
      *timed_out = true;
    } else if (ev[k].userdata < n) {
      const poll_sub *s = &subs[ev[k].userdata];
      put_event(out, (*events)++, s->userdata, ev[k].error, s->tag,
                ev[k].fd_readwrite.nbytes, ev[k].fd_readwrite.flags);
    }
  }
  free(in);
  free(ev);
  return e;
}

mb_wasi_errno p1_poll_oneoff(uint32_t in, uint32_t out, uint32_t n, uint32_t ret) {
  if (n == 0) return MB_WASI_EINVAL;
  p1_check_align(in, _Alignof(p1_abi_subscription));
  p1_check_align(out, _Alignof(p1_abi_event));
  /* both arrays inside the client's memory before n (the client's number) sizes an
   * allocation that a trap halfway through would leave behind */
  uint64_t mem = (uint64_t)p1_caller_size() << 16;
  if ((uint64_t)in + sizeof(p1_abi_subscription) * n > mem ||
      (uint64_t)out + sizeof(p1_abi_event) * n > mem)
    P1_TRAP();
  /* clocks from the front, host stdio from the back */
  poll_sub *subs = malloc((size_t)n * sizeof *subs);
  if (!subs) return MB_WASI_ENOMEM;
  uint32_t events = 0, nclocks = 0, nhost = 0;
  uint64_t earliest = UINT64_MAX;
  mb_wasi_errno e = MB_WASI_ESUCCESS;
  /* without the host's poll_oneoff, inherited stdout and stderr count as ready */
  bool host_poll = mb_wv_host_polls(p1.cfg.stdio[0].mode, p1.cfg.clock);
  for (uint32_t i = 0; i < n && !e; i++) {
    p1_abi_subscription sub;
    p1_caller_read(&sub, in + (uint32_t)sizeof sub * i, sizeof sub);
    uint64_t userdata = sub.userdata;
    uint8_t tag = sub.tag;
    if (tag > 2) {
      e = MB_WASI_EINVAL;
    } else if (tag == 0) {
      uint32_t id = sub.u.clock.id;
      uint64_t timeout = sub.u.clock.timeout, now;
      uint16_t flags = sub.u.clock.flags;
      if (flags > 1 || (e = p1_clock_now(id, &now))) {
        e = e ? e : MB_WASI_EINVAL;
        break;
      }
      uint64_t left = (flags & 1) ? (timeout > now ? timeout - now : 0) : timeout;
      subs[nclocks++] = (poll_sub){.userdata = userdata, .left = left};
      if (left < earliest) earliest = left;
    } else {
      /* poll_fd_readwrite and the right of the transfer waited for; a descriptor that
       * is not open or lacks them gets its event at once, with the errno */
      p1_fd *f;
      uint64_t need = P1_RIGHT_POLL_FD_READWRITE |
                      (tag == __WASI_EVENTTYPE_FD_READ ? P1_RIGHT_FD_READ : P1_RIGHT_FD_WRITE);
      mb_wasi_errno fe = p1_fd_lookup(sub.u.fd, need, 0, &f);
      if (!fe && f->kind == P1_FD_HOST_STDIO && host_poll)
        subs[n - ++nhost] = (poll_sub){.userdata = userdata, .host_fd = f->host_fd, .tag = tag};
      else
        put_event(out, events++, userdata, (uint16_t)fe, tag, fe ? 0 : 1, 0);
    }
  }
  uint64_t due = 0; /* clocks whose deadline is at most this far away are reported */
  if (!e && nhost) {
    /* block only when nothing is ready yet: until the earliest deadline, or for good
     * without a clock */
    uint64_t wait = events ? 0 : nclocks ? earliest : UINT64_MAX;
    bool timed_out = false;
    e = poll_host(subs + n - nhost, nhost, wait, out, &events, &timed_out);
    if (!e && timed_out) {
      due = wait;
      if (p1.cfg.clock != MB_WV_CLOCK_REAL) e = wait_for(wait); /* fixed: as much later */
    }
  } else if (!e && events == 0) {
    /* only clocks (every other subscription gave an event) */
    if (earliest > 0) e = wait_for(earliest);
    due = earliest;
  }
  for (uint32_t i = 0; i < nclocks && !e; i++)
    if (subs[i].left <= due) put_event(out, events++, subs[i].userdata, 0, 0, 0, 0);
  free(subs);
  if (e) return e;
  p1_put_u32(ret, events);
  return MB_WASI_ESUCCESS;
}

void p1_proc_fini(void) {
  list_fini(&args_list);
  list_fini(&env_list);
  fixed_elapsed = 0;
}

/* ---- process, scheduling, sockets ---- */

_Noreturn void p1_proc_exit(uint32_t code) {
  p1_log_exiting(code);
  uint32_t status = p1_save_at_exit(code);
  p1_log_call_end(); /* what the saves took from the host, recorded too */
  __wasi_proc_exit(status);
}

mb_wasi_errno p1_proc_raise(uint32_t sig) {
  (void)sig;
  return MB_WASI_ENOTSUP;
}

mb_wasi_errno p1_sched_yield(void) { return MB_WASI_ESUCCESS; }

/* Sockets: preview1 cannot create them and the policy grants none, so every open
 * descriptor is not a socket: notsock whatever rights it holds (the wasi-testsuite's
 * sock_shutdown-not_sock wants notsock, not notcapable, for a file). */
static mb_wasi_errno no_socket(uint32_t fd) {
  p1_fd *f;
  mb_wasi_errno e = p1_fd_lookup(fd, 0, 0, &f);
  return e ? e : MB_WASI_ENOTSOCK;
}
mb_wasi_errno p1_sock_accept(uint32_t fd, uint32_t flags, uint32_t ret) {
  (void)flags, (void)ret;
  return no_socket(fd);
}
mb_wasi_errno p1_sock_recv(uint32_t fd, uint32_t iovs, uint32_t n, uint32_t flags, uint32_t r0,
                           uint32_t r1) {
  (void)iovs, (void)n, (void)flags, (void)r0, (void)r1;
  return no_socket(fd);
}
mb_wasi_errno p1_sock_send(uint32_t fd, uint32_t iovs, uint32_t n, uint32_t flags, uint32_t r0) {
  (void)iovs, (void)n, (void)flags, (void)r0;
  return no_socket(fd);
}
mb_wasi_errno p1_sock_shutdown(uint32_t fd, uint32_t how) {
  (void)how;
  return no_socket(fd);
}
