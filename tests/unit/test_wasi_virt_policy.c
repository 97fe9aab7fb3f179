/* test_wasi_virt_policy.c — the `membrane virt` policy: every flag's accepted forms and
 * every refusal (code, where and message, word for word: the messages are the user
 * interface), JSON files (syntax errors at line:column, key paths, unknown keys, types),
 * the cross-option checks, the preview1 name table, and an allocation-failure sweep: a
 * scenario run once per allocation with that allocation failing must report NOMEM with
 * the policy exactly as before the call, or succeed, and leak nothing. */
#include <stdio.h>
#include <unistd.h>

#include "wasi_virt_test_util.h"

/* ---- a policy as text, to compare states ---- */

typedef struct text {
  char *s;
  size_t len, cap;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(text *t, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  assert_true(n >= 0);
  if (t->cap - t->len <= (size_t)n) {
    t->cap = (t->len + (size_t)n + 1) * 2;
    t->s = realloc(t->s, t->cap);
    assert_non_null(t->s);
  }
  va_start(ap, fmt);
  vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
  va_end(ap);
  t->len += (size_t)n;
}

#define S(x) ((x) ? (x) : "(null)")

/* Test-owned (libc malloc); the caller frees. */
static char *dump(const mb_wv_policy *p) {
  text t = {NULL, 0, 0};
  put(&t, "mounts %zu\n", p->mount_count);
  for (size_t i = 0; i < p->mount_count; i++) {
    const mb_wv_mount *m = &p->mounts[i];
    put(&t, " %d %s %s %s %s %d %llu\n", (int)m->kind, S(m->guest), S(m->host_path),
        S(m->preopen), S(m->subdir), m->readonly, (unsigned long long)m->limit);
  }
  put(&t, "args %zu inherit %d\n", p->arg_count, p->args_inherit);
  for (size_t i = 0; i < p->arg_count; i++) put(&t, " [%s]\n", p->args[i]);
  put(&t, "env %zu inherit %d\n", p->env_count, p->env_inherit);
  for (size_t i = 0; i < p->env_count; i++)
    put(&t, " %d %s %s\n", (int)p->env[i].kind, S(p->env[i].name), S(p->env[i].value));
  for (int i = 0; i < 3; i++) put(&t, "stdio%d %d %s\n", i, (int)p->stdio[i].mode, S(p->stdio[i].path));
  put(&t, "clock %d %llu random %d %llu trace %d\n", (int)p->clock,
      (unsigned long long)p->clock_start, (int)p->random, (unsigned long long)p->random_seed,
      (int)p->trace);
  put(&t, "record %s replay %s\n", S(p->record_path), S(p->replay_path));
  put(&t, "faults %zu\n", p->fault_count);
  for (size_t i = 0; i < p->fault_count; i++)
    put(&t, " %s %u %d\n", S(p->faults[i].func), (unsigned)p->faults[i].nth, (int)p->faults[i].err);
  put(&t, "saves %zu\n", p->save_count);
  for (size_t i = 0; i < p->save_count; i++)
    put(&t, " %s=%s\n", S(p->saves[i].guest), S(p->saves[i].dest));
  return t.s;
}

/* ---- assertions ---- */

static void ok(mb_wv_policy *p, const char *flag, const char *value) {
  mb_wv_diag d;
  mb_wv_err e = mb_wv_policy_option(p, flag, value, &d);
  if (e) fail_msg("%s %s: error %d at '%s': %s", flag, S(value), (int)e, d.where, d.message);
}

/* The option fails with code, where and message exactly, and the policy is unchanged. */
static void refused(mb_wv_policy *p, const char *flag, const char *value,
                    mb_wv_err code, const char *where, const char *message) {
  char *before = dump(p);
  mb_wv_diag d;
  mb_wv_err e = mb_wv_policy_option(p, flag, value, &d);
  if (e != code || d.code != code || strcmp(d.where, where) || strcmp(d.message, message))
    fail_msg("%s %s:\n  got      %d '%s': %s\n  expected %d '%s': %s", S(flag), S(value),
             (int)e, d.where, d.message, (int)code, where, message);
  char *after = dump(p);
  assert_string_equal(before, after);
  free(before);
  free(after);
}

static void bad(mb_wv_policy *p, const char *flag, const char *value, const char *message) {
  char where[sizeof ((mb_wv_diag *)0)->where]; /* cut as the library cuts it */
  snprintf(where, sizeof where, "%s%s%s", flag, value ? " " : "", value ? value : "");
  refused(p, flag, value, MB_WV_ERR_BAD_VALUE, where, message);
}

static mb_wv_err json(mb_wv_policy *p, const char *text, mb_wv_diag *d) {
  return mb_wv_policy_parse_json(p, "p.json", text, strlen(text), d);
}

static void json_ok(mb_wv_policy *p, const char *text) {
  mb_wv_diag d;
  mb_wv_err e = json(p, text, &d);
  if (e) fail_msg("%s\n  error %d at '%s': %s", text, (int)e, d.where, d.message);
}

static void json_refused(mb_wv_policy *p, const char *text, size_t len,
                         mb_wv_err code, const char *where, const char *message) {
  char *before = dump(p);
  mb_wv_diag d;
  mb_wv_err e = mb_wv_policy_parse_json(p, "p.json", text, len, &d);
  if (e != code || d.code != code || strcmp(d.where, where) || strcmp(d.message, message))
    fail_msg("%.*s:\n  got      %d '%s': %s\n  expected %d '%s': %s", (int)len, text, (int)e,
             d.where, d.message, (int)code, where, message);
  char *after = dump(p);
  assert_string_equal(before, after);
  free(before);
  free(after);
}
#define JSON_BAD(p, text, code, where, message) json_refused((p), (text), strlen(text), (code), (where), (message))

static void check_ok(const mb_wv_policy *p) {
  mb_wv_diag d;
  mb_wv_err e = mb_wv_policy_check(p, &d);
  if (e) fail_msg("check: error %d at '%s': %s", (int)e, d.where, d.message);
}

static void check_bad(const mb_wv_policy *p, const char *where, const char *message) {
  mb_wv_diag d;
  mb_wv_err e = mb_wv_policy_check(p, &d);
  if (e != MB_WV_ERR_CONFLICT || d.code != e || strcmp(d.where, where) ||
      strcmp(d.message, message))
    fail_msg("check:\n  got      %d '%s': %s\n  expected CONFLICT '%s': %s", (int)e, d.where,
             d.message, where, message);
}

/* ---- defaults, arity ---- */

static void test_defaults(void **state) {
  (void)state;
  mb_wv_policy p;
  mb_wv_policy_init(&p);
  assert_int_equal(p.mount_count, 0);
  assert_int_equal(p.arg_count, 0);
  assert_false(p.args_inherit);
  assert_int_equal(p.env_count, 0);
  assert_false(p.env_inherit);
  assert_int_equal(p.stdio[0].mode, MB_WV_STDIO_NULL);
  assert_int_equal(p.stdio[1].mode, MB_WV_STDIO_INHERIT);
  assert_int_equal(p.stdio[2].mode, MB_WV_STDIO_INHERIT);
  assert_int_equal(p.clock, MB_WV_CLOCK_FIXED);
  assert_int_equal(p.clock_start, 0);
  assert_int_equal(p.random, MB_WV_RANDOM_SEED);
  assert_int_equal(p.random_seed, 0);
  assert_int_equal(p.trace, MB_WV_TRACE_NONE);
  assert_int_equal(p.fault_count, 0);
  check_ok(&p);
  mb_wv_policy_fini(&p);
  mb_wv_policy_fini(&p); /* fini leaves an initialised policy */
}

static void test_arity(void **state) {
  (void)state;
  static const char *const one[] = {"--embed", "--mem", "--mount", "--env", "--env-allow",
                                    "--arg", "--stdin", "--stdout", "--stderr", "--clock",
                                    "--random", "--fault", "--trace", "--save", "--record",
                                    "--replay", "--policy"};
  for (size_t i = 0; i < sizeof one / sizeof *one; i++)
    assert_int_equal(mb_wv_policy_option_arity(one[i]), 1);
  assert_int_equal(mb_wv_policy_option_arity("--env-inherit"), 0);
  assert_int_equal(mb_wv_policy_option_arity("--args-inherit"), 0);
  assert_int_equal(mb_wv_policy_option_arity("--output"), -1);
  assert_int_equal(mb_wv_policy_option_arity("embed"), -1);
  assert_int_equal(mb_wv_policy_option_arity("--"), -1);
  assert_int_equal(mb_wv_policy_option_arity("-o"), -1);
  assert_int_equal(mb_wv_policy_option_arity(NULL), -1);
}

static void test_unknown_flags(void **state) {
  (void)state;
  mb_wv_policy p;
  mb_wv_policy_init(&p);
  refused(&p, "--mout", "/d=/h", MB_WV_ERR_UNKNOWN_OPTION, "--mout /d=/h",
          "'--mout' is not a policy option; did you mean --mount?");
  refused(&p, "--env_inherit", NULL, MB_WV_ERR_UNKNOWN_OPTION, "--env_inherit",
          "'--env_inherit' is not a policy option; did you mean --env-inherit?");
  refused(&p, "clock", "real", MB_WV_ERR_UNKNOWN_OPTION, "clock real",
          "'clock' is not a policy option; did you mean --clock?");
  refused(&p, "--xyzzy", "1", MB_WV_ERR_UNKNOWN_OPTION, "--xyzzy 1",
          "'--xyzzy' is not a policy option; see `membrane virt --help` for the list");
  refused(&p, NULL, "1", MB_WV_ERR_UNKNOWN_OPTION, "(null) 1",
          "'' is not a policy option; see `membrane virt --help` for the list");
  /* arity */
  bad(&p, "--env-inherit", "yes", "--env-inherit takes no value");
  bad(&p, "--args-inherit", "", "--args-inherit takes no value");
  bad(&p, "--mount", NULL, "--mount needs a value: --mount GUEST=PREOPEN[/SUBDIR][:ro|:rw]");
  bad(&p, "--clock", NULL, "--clock needs a value: --clock real|fixed:NANOS");
  bad(&p, "--policy", NULL, "--policy needs a value: --policy FILE.json");
  /* diag is optional */
  assert_int_equal(mb_wv_policy_option(&p, "--nope", NULL, NULL), MB_WV_ERR_UNKNOWN_OPTION);
  mb_wv_policy_fini(&p);
}

/* ---- mounts ---- */

static void test_embed(void **state) {
  (void)state;
  mb_wv_policy p;
  mb_wv_policy_init(&p);
  ok(&p, "--embed", "/data=./assets");
  ok(&p, "--embed", "//a/./b//=x=y");
  ok(&p, "--embed", "/=/srv/root dir/");
  ok(&p, "--embed", "/./.=f");
  assert_int_equal(p.mount_count, 4);
  assert_int_equal(p.mounts[0].kind, MB_WV_MOUNT_EMBED);
  assert_string_equal(p.mounts[0].guest, "/data");
  assert_string_equal(p.mounts[0].host_path, "./assets");
  assert_null(p.mounts[0].preopen);
  assert_null(p.mounts[0].subdir);
  assert_string_equal(p.mounts[1].guest, "/a/b");
  assert_string_equal(p.mounts[1].host_path, "x=y"); /* split at the first '=' */
  assert_string_equal(p.mounts[2].guest, "/");
  assert_string_equal(p.mounts[2].host_path, "/srv/root dir/");
  assert_string_equal(p.mounts[3].guest, "/");

  bad(&p, "--embed", "/data", "expected GUEST=HOSTPATH (e.g. /data=./assets), got '/data' without '='");
  bad(&p, "--embed", "/data=", "empty HOSTPATH after '='; expected GUEST=HOSTPATH, e.g. /data=./assets");
  bad(&p, "--embed", "=x", "empty guest path; expected an absolute path such as /data");
  bad(&p, "--embed", "data=x", "guest path 'data' is relative; expected an absolute path such as /data");
  bad(&p, "--embed", "/a/../b=x",
      "guest path '/a/../b' has a '..' component; write the path it means without it");
  bad(&p, "--embed", "/..=x", "guest path '/..' has a '..' component; write the path it means without it");
  mb_wv_policy_fini(&p);
}

static void test_guest_path_limits(void **state) {
  (void)state;
  mb_wv_policy p;
  mb_wv_policy_init(&p);
  char v[MB_VFS_PATH_MAX + 64];
  /* a component of NAME_MAX bytes is fine, one more is not */
  v[0] = '/';
  memset(v + 1, 'n', MB_VFS_NAME_MAX);
  strcpy(v + 1 + MB_VFS_NAME_MAX, "=x");
  ok(&p, "--embed", v);
  assert_int_equal(strlen(p.mounts[0].guest), MB_VFS_NAME_MAX + 1);
  memset(v + 1, 'n', MB_VFS_NAME_MAX + 1);
  strcpy(v + 2 + MB_VFS_NAME_MAX, "=x");
  char *before = dump(&p);
  mb_wv_diag d;
  assert_int_equal(mb_wv_policy_option(&p, "--embed", v, &d), MB_WV_ERR_BAD_VALUE);
  assert_string_equal(d.message, "guest path has a component of 256 bytes; at most 255 are allowed");
  assert_int_equal(strlen(d.where), sizeof d.where - 1); /* cut to fit */
  assert_memory_equal(d.where, "--embed /nnn", 12);
  /* the whole path: shorter than PATH_MAX after normalization */
  size_t o = 0;
  while (o + 101 < MB_VFS_PATH_MAX) {
    v[o++] = '/';
    memset(v + o, 'c', 100);
    o += 100;
  }
  /* o is now 4040 bytes of "/ccc..."; pad to exactly PATH_MAX - 1, then PATH_MAX */
  size_t pad = MB_VFS_PATH_MAX - 1 - o - 1;
  v[o++] = '/';
  memset(v + o, 'd', pad);
  o += pad;
  assert_int_equal(o, MB_VFS_PATH_MAX - 1);
  strcpy(v + o, "//=x"); /* extra slashes do not count */
  ok(&p, "--mem", "/m");
  ok(&p, "--embed", v);
  assert_int_equal(strlen(p.mounts[2].guest), MB_VFS_PATH_MAX - 1);
  v[o] = 'd';
  strcpy(v + o + 1, "=x");
  assert_int_equal(mb_wv_policy_option(&p, "--embed", v, &d), MB_WV_ERR_BAD_VALUE);
  assert_string_equal(d.message, "guest path of 4096 bytes; it must be shorter than 4096");
  free(before);
  mb_wv_policy_fini(&p);
}

static void test_mem(void **state) {
  (void)state;
  mb_wv_policy p;
  mb_wv_policy_init(&p);
  static const struct {
    const char *v, *guest;
    uint64_t limit;
  } good[] = {
      {"/tmp", "/tmp", MB_VFS_NO_LIMIT},
      {"/tmp:1M", "/tmp", 1u << 20},
      {"/tmp/:64k", "/tmp", 64u << 10},
      {"/t:3G", "/t", 3ull << 30},
      {"/t:2g", "/t", 2ull << 30},
      {"/t:5m", "/t", 5u << 20},
      {"/t:7K", "/t", 7u << 10},
      {"/t:0", "/t", 0},
      {"/t:1000", "/t", 1000},
      {"/t:unlimited", "/t", MB_VFS_NO_LIMIT},
      {"/a:b:10", "/a:b", 10}, /* the last ':' */
      {"/t:18446744073709551614", "/t", UINT64_MAX - 1},
      {"/t:17179869183G", "/t", 17179869183ull << 30},
      {"/:1", "/", 1},
  };
  for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
    ok(&p, "--mem", good[i].v);
    const mb_wv_mount *m = &p.mounts[p.mount_count - 1];
    assert_int_equal(m->kind, MB_WV_MOUNT_MEM);
    assert_string_equal(m->guest, good[i].guest);
    assert_true(m->limit == good[i].limit);
    assert_null(m->host_path);
  }
  static const char *const limits[] = {"", "K", "1X", "1KK", "-1", "+1", " 1", "1.5M",
                                       "18446744073709551615", "18446744073709551616",
                                       "17179869184G", "Unlimited", "0x10"};
  for (size_t i = 0; i < sizeof limits / sizeof *limits; i++) {
    char v[64], msg[300];
    snprintf(v, sizeof v, "/t:%s", limits[i]);
    snprintf(msg, sizeof msg,
             "bad LIMIT '%s'; expected bytes with an optional K, M or G suffix (e.g. 64M), "
             "below 2^64-1, or unlimited",
             limits[i]);
    bad(&p, "--mem", v, msg);
  }
  bad(&p, "--mem", "tmp:1M", "guest path 'tmp' is relative; expected an absolute path such as /tmp");
  bad(&p, "--mem", "", "empty guest path; expected an absolute path such as /data");
  bad(&p, "--mem", ":1M", "empty guest path; expected an absolute path such as /data");
  mb_wv_policy_fini(&p);
}

static void test_mount(void **state) {
  (void)state;
  mb_wv_policy p;
  mb_wv_policy_init(&p);
  static const struct {
    const char *v, *guest, *preopen, *subdir;
    bool ro;
  } good[] = {
      {"/data=/host", "/data", "/host", "", true},
      {"/data=/host:ro", "/data", "/host", "", true},
      {"/data=/host:rw", "/data", "/host", "", false},
      {"/data=/host/sub/dir", "/data", "/host", "sub/dir", true},
      {"/data/=/host/sub/dir:rw", "/data", "/host", "sub/dir", false},
      {"/d=data/sub", "/d", "data", "sub", true},
      {"/d=data", "/d", "data", "", true},
      {"/d=.", "/d", ".", "", true},
      {"/d=./x:rw", "/d", ".", "x", false},
      {"/d=/", "/d", "/", "", true},
      {"/d=/:rw", "/d", "/", "", false},
      {"/d=/h/.hidden/..x", "/d", "/h", ".hidden/..x", true},
      {"/d=/h=x/y", "/d", "/h=x", "y", true}, /* the first '=' */
  };
  for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
    ok(&p, "--mount", good[i].v);
    const mb_wv_mount *m = &p.mounts[p.mount_count - 1];
    assert_int_equal(m->kind, MB_WV_MOUNT_HOST);
    assert_string_equal(m->guest, good[i].guest);
    assert_string_equal(m->preopen, good[i].preopen);
    assert_string_equal(m->subdir, good[i].subdir);
    assert_int_equal(m->readonly, good[i].ro);
    assert_null(m->host_path);
  }
  bad(&p, "--mount", "/data",
      "expected GUEST=PREOPEN[/SUBDIR][:ro|:rw] (e.g. /data=/host/data:ro), got '/data' without '='");
  bad(&p, "--mount", "/d=", "empty host side; expected PREOPEN[/SUBDIR] after '=', e.g. /host or /host/data");
  bad(&p, "--mount", "/d=:rw", "empty host side; expected PREOPEN[/SUBDIR] after '=', e.g. /host or /host/data");
  bad(&p, "--mount", "/d=/host:rx",
      "expected :ro or :rw at the end, got ':rx' (preopen names and subdirectories cannot contain ':')");
  bad(&p, "--mount", "/d=/host:", "expected :ro or :rw at the end, got ':' (preopen names and subdirectories cannot contain ':')");
  bad(&p, "--mount", "/d=C:/x", "expected :ro or :rw at the end, got ':/x' (preopen names and subdirectories cannot contain ':')");
  bad(&p, "--mount", "/d=/h:rw/x:ro",
      "a ':' inside '/h:rw/x'; only a final :ro or :rw may follow the host path (preopen names and subdirectories cannot contain ':')");
  bad(&p, "--mount", "/d=C:/x:rw",
      "a ':' inside 'C:/x'; only a final :ro or :rw may follow the host path (preopen names and subdirectories cannot contain ':')");
  bad(&p, "--mount", "/d=/host/", "'/host/' ends in '/'; remove it (SUBDIR has no empty components)");
  bad(&p, "--mount", "/d=/host/a/:rw", "'/host/a/' ends in '/'; remove it (SUBDIR has no empty components)");
  bad(&p, "--mount", "/d=/host//x",
      "SUBDIR '/x' has an empty, '.' or '..' component; write it as a plain relative path such as data/sub");
  bad(&p, "--mount", "/d=/host/./x",
      "SUBDIR './x' has an empty, '.' or '..' component; write it as a plain relative path such as data/sub");
  bad(&p, "--mount", "/d=/host/a/..",
      "SUBDIR 'a/..' has an empty, '.' or '..' component; write it as a plain relative path such as data/sub");
  bad(&p, "--mount", "/d=h/../x",
      "SUBDIR '../x' has an empty, '.' or '..' component; write it as a plain relative path such as data/sub");
  bad(&p, "--mount", "/d=//x", "empty preopen name in '//x'; expected PREOPEN[/SUBDIR] such as /host/data");
  bad(&p, "--mount", "/d=/..", "'..' is not a preopen name; name the directory the host preopens, e.g. /host");
  bad(&p, "--mount", "/d=../x", "'..' is not a preopen name; name the directory the host preopens, e.g. /host");
  bad(&p, "--mount", "d=/host", "guest path 'd' is relative; expected an absolute path such as /d");
  char v[400];
  strcpy(v, "/d=/h/");
  memset(v + 6, 's', 256);
  v[262] = '\0';
  bad(&p, "--mount", v, "SUBDIR has a component of 256 bytes; at most 255 are allowed");
  mb_wv_policy_fini(&p);
}

/* ---- env, args ---- */

static void test_env_args(void **state) {
  (void)state;
  mb_wv_policy p;
  mb_wv_policy_init(&p);
  ok(&p, "--env", "HOME=/tmp");
  ok(&p, "--env", "EMPTY=");
  ok(&p, "--env", "A==b");
  ok(&p, "--env-allow", "PATH");
  ok(&p, "--env-inherit", NULL);
  ok(&p, "--arg", "--verbose");
  ok(&p, "--arg", "");
  ok(&p, "--arg", "two words");
  ok(&p, "--args-inherit", NULL);
  assert_int_equal(p.env_count, 4);
  assert_int_equal(p.env[0].kind, MB_WV_ENV_FIXED);
  assert_string_equal(p.env[0].name, "HOME");
  assert_string_equal(p.env[0].value, "/tmp");
  assert_string_equal(p.env[1].name, "EMPTY");
  assert_string_equal(p.env[1].value, "");
  assert_string_equal(p.env[2].name, "A");
  assert_string_equal(p.env[2].value, "=b");
  assert_int_equal(p.env[3].kind, MB_WV_ENV_ALLOW);
  assert_string_equal(p.env[3].name, "PATH");
  assert_null(p.env[3].value);
  assert_true(p.env_inherit);
  assert_int_equal(p.arg_count, 3);
  assert_string_equal(p.args[0], "--verbose");
  assert_string_equal(p.args[1], "");
  assert_string_equal(p.args[2], "two words");
  assert_true(p.args_inherit);

  bad(&p, "--env", "HOME",
      "expected NAME=VALUE (e.g. HOME=/tmp), got 'HOME' without '='; to pass the host's value use --env-allow HOME");
  bad(&p, "--env", "=x", "empty variable name before '='; expected NAME=VALUE, e.g. HOME=/tmp");
  bad(&p, "--env-allow", "", "empty variable name; expected the NAME of a host variable, e.g. HOME");
  bad(&p, "--env-allow", "A=b",
      "'A=b' has a '='; --env-allow takes a NAME only (to set a value use --env NAME=VALUE)");
  mb_wv_policy_fini(&p);
}

/* ---- stdio, clock, random, trace ---- */

static void test_stdio(void **state) {
  (void)state;
  mb_wv_policy p;
  mb_wv_policy_init(&p);
  ok(&p, "--stdin", "inherit");
  assert_int_equal(p.stdio[0].mode, MB_WV_STDIO_INHERIT);
  ok(&p, "--stdout", "null");
  assert_int_equal(p.stdio[1].mode, MB_WV_STDIO_NULL);
  ok(&p, "--stderr", "//out/./log/");
  assert_int_equal(p.stdio[2].mode, MB_WV_STDIO_FILE);
  assert_string_equal(p.stdio[2].path, "/out/log");
  ok(&p, "--stderr", "/out/other"); /* replaces (the old path is freed: no leak) */
  assert_string_equal(p.stdio[2].path, "/out/other");
  ok(&p, "--stderr", "inherit");
  assert_int_equal(p.stdio[2].mode, MB_WV_STDIO_INHERIT);
  assert_null(p.stdio[2].path);
  ok(&p, "--stdin", "/in");
  assert_string_equal(p.stdio[0].path, "/in");
  for (int i = 0; i < 3; i++) {
    static const char *const f[3] = {"--stdin", "--stdout", "--stderr"};
    bad(&p, f[i], "log.txt",
        "expected inherit, null or an absolute guest file path such as /out/log, got 'log.txt'");
    bad(&p, f[i], "", "expected inherit, null or an absolute guest file path such as /out/log, got ''");
    bad(&p, f[i], "Inherit",
        "expected inherit, null or an absolute guest file path such as /out/log, got 'Inherit'");
    bad(&p, f[i], "//", "'//' is the root directory, not a file; name a file such as /out/log");
    bad(&p, f[i], "/a/../b", "guest path '/a/../b' has a '..' component; write the path it means without it");
  }
  assert_string_equal(p.stdio[0].path, "/in");
  mb_wv_policy_fini(&p);
}

static void test_clock_random_trace(void **state) {
  (void)state;
  mb_wv_policy p;
  mb_wv_policy_init(&p);
  ok(&p, "--clock", "real");
  assert_int_equal(p.clock, MB_WV_CLOCK_REAL);
  ok(&p, "--clock", "fixed:1700000000000000000");
  assert_int_equal(p.clock, MB_WV_CLOCK_FIXED);
  assert_true(p.clock_start == 1700000000000000000ull);
  ok(&p, "--clock", "fixed:18446744073709551615");
  assert_true(p.clock_start == UINT64_MAX);
  ok(&p, "--random", "real");
  assert_int_equal(p.random, MB_WV_RANDOM_REAL);
  ok(&p, "--random", "seed:42");
  assert_int_equal(p.random, MB_WV_RANDOM_SEED);
  assert_int_equal(p.random_seed, 42);
  ok(&p, "--trace", "stderr");
  assert_int_equal(p.trace, MB_WV_TRACE_STDERR);
  ok(&p, "--trace", "//out/./t.log");
  assert_int_equal(p.trace, MB_WV_TRACE_FILE);
  assert_string_equal(p.trace_path, "/out/t.log");
  ok(&p, "--trace", "/out/other.log"); /* replaces (the old path is freed: no leak) */
  assert_string_equal(p.trace_path, "/out/other.log");
  ok(&p, "--trace", "none");
  assert_int_equal(p.trace, MB_WV_TRACE_NONE);
  assert_null(p.trace_path);

  static const char *const clocks[] = {"sometimes", "fixed:", "fixed:-1", "fixed:1x", "fixed",
                                       "fixed:18446744073709551616", "REAL", "fixed: 1"};
  for (size_t i = 0; i < sizeof clocks / sizeof *clocks; i++) {
    char msg[300];
    snprintf(msg, sizeof msg,
             "expected real or fixed:NANOS (decimal nanoseconds since 1970, e.g. fixed:0), got '%s'",
             clocks[i]);
    bad(&p, "--clock", clocks[i], msg);
  }
  static const char *const randoms[] = {"seed", "seed:", "seed:0x10", "urandom",
                                        "seed:99999999999999999999"};
  for (size_t i = 0; i < sizeof randoms / sizeof *randoms; i++) {
    char msg[300];
    snprintf(msg, sizeof msg, "expected real or seed:N (N decimal, 0 to 2^64-1), got '%s'", randoms[i]);
    bad(&p, "--random", randoms[i], msg);
  }
  bad(&p, "--trace", "file",
      "expected stderr, none or an absolute guest file path such as /out/trace.log, got 'file'");
  bad(&p, "--trace", "/", "'/' is the root directory, not a file; name a file such as /out/trace.log");
  bad(&p, "--trace", "/a/../b", "guest path '/a/../b' has a '..' component; write the path it means without it");
  assert_int_equal(p.trace, MB_WV_TRACE_NONE);
  assert_true(p.clock_start == UINT64_MAX && p.random_seed == 42);
  mb_wv_policy_fini(&p);
}

/* ---- record and replay ---- */

static void test_record_replay(void **state) {
  (void)state;
  mb_wv_policy p;
  mb_wv_policy_init(&p);
  ok(&p, "--record", "//out/./run.log");
  assert_string_equal(p.record_path, "/out/run.log");
  bad(&p, "--record", "run.log",
      "expected an absolute guest file path such as /out/run.log (or none), got 'run.log'");
  bad(&p, "--record", "/", "'/' is the root directory, not a file; name a file such as /out/run.log");
  /* on a writable mount only, and not another output's file */
  check_bad(&p, "--record /out/run.log",
            "/out/run.log is not inside any mount; mount a directory that holds it (--mem or "
            "--mount ...:rw), or use --record none");
  ok(&p, "--mount", "/out=out:ro");
  check_bad(&p, "--record /out/run.log",
            "/out/run.log is on the read-only mount --mount /out=out:ro; put it under a --mem or "
            "a --mount ...:rw mount, or add --mem /out over the embed");
  mb_wv_policy_fini(&p);
  mb_wv_policy_init(&p);
  ok(&p, "--mount", "/out=out:rw");
  ok(&p, "--record", "/out/run.log");
  check_ok(&p);
  ok(&p, "--trace", "/out/run.log");
  check_bad(&p, "--record /out/run.log",
            "/out/run.log is also --trace's file: the two would overwrite each other; record "
            "into another file");
  ok(&p, "--record", "none");
  assert_null(p.record_path);
  mb_wv_policy_fini(&p);

  /* a replay takes its policy from the log: nothing else may be given */
  mb_wv_policy_init(&p);
  ok(&p, "--replay", "run.log");
  assert_string_equal(p.replay_path, "run.log");
  check_ok(&p);
  ok(&p, "--clock", "real");
  check_bad(&p, "--replay run.log",
            "a replay runs with the recorded policy, which the log holds: drop --clock");
  ok(&p, "--clock", "fixed:0");
  ok(&p, "--mem", "/tmp");
  check_bad(&p, "--replay run.log", "a replay runs with the recorded policy, which the log "
                                    "holds: drop mounts (--embed, --mem, --mount)");
  bad(&p, "--replay", "", "expected the host file of a log");
  mb_wv_policy_fini(&p);
}

/* ---- --save ---- */

static void test_save(void **state) {
  (void)state;
  mb_wv_policy p;
  mb_wv_policy_init(&p);
  ok(&p, "--save", "//out/./x/=/res//out");
  ok(&p, "--save", "/out=/res/b=c"); /* split at the first '=' */
  assert_int_equal(p.save_count, 2);
  assert_string_equal(p.saves[0].guest, "/out/x");
  assert_string_equal(p.saves[0].dest, "/res/out");
  assert_string_equal(p.saves[1].dest, "/res/b=c");
  bad(&p, "--save", "/out",
      "expected GUEST=MOUNT-GUEST-PATH (e.g. /out=/results/out, with /out a --mem tree and /results "
      "a :rw --mount), got '/out' without '='");
  bad(&p, "--save", "out=/res/out",
      "guest path 'out' is relative; expected an absolute path such as /out");
  bad(&p, "--save", "/out=res", "guest path 'res' is relative; expected an absolute path such as /res");
  bad(&p, "--save", "/out=", "empty guest path; expected an absolute path such as /data");
  bad(&p, "--save", "/out=/a/../b",
      "guest path '/a/../b' has a '..' component; write the path it means without it");
  bad(&p, "--save", NULL, "--save needs a value: --save GUEST=MOUNT-GUEST-PATH");
  json_ok(&p, "{\"save\": [\"/a=/r/a\", \"/b=/r/b\"]}");
  json_ok(&p, "{\"save\": \"/c=/r/c\"}");
  assert_int_equal(p.save_count, 5);
  assert_string_equal(p.saves[4].guest, "/c");
  JSON_BAD(&p, "{\"save\": [\"/d=/r/d\", 1]}", MB_WV_ERR_BAD_VALUE, "p.json: save[1]",
           "expected a string (GUEST=MOUNT-GUEST-PATH), got a number");
  JSON_BAD(&p, "{\"sav\": \"/d=/r/d\"}", MB_WV_ERR_UNKNOWN_OPTION, "p.json: sav",
           "unknown key 'sav'; did you mean \"save\"?");
  assert_int_equal(p.save_count, 5);
  mb_wv_policy_fini(&p);
}

/* ---- faults and the name tables ---- */

static void test_fault(void **state) {
  (void)state;
  mb_wv_policy p;
  mb_wv_policy_init(&p);
  ok(&p, "--fault", "fd_read:2:io");
  ok(&p, "--fault", "path_open:1:44");
  ok(&p, "--fault", "sock_shutdown:4294967295:notcapable");
  assert_int_equal(p.fault_count, 3);
  assert_string_equal(p.faults[0].func, "fd_read");
  assert_int_equal(p.faults[0].nth, 2);
  assert_int_equal(p.faults[0].err, MB_WASI_EIO);
  assert_int_equal(p.faults[1].err, MB_WASI_ENOENT);
  assert_int_equal(p.faults[2].nth, UINT32_MAX);
  assert_int_equal(p.faults[2].err, MB_WASI_ENOTCAPABLE);

  bad(&p, "--fault", "fd_raed:1:io", "'fd_raed' is not a wasi_snapshot_preview1 function; did you mean fd_read?");
  bad(&p, "--fault", "path_opne:1:io", "'path_opne' is not a wasi_snapshot_preview1 function; did you mean path_open?");
  bad(&p, "--fault", "nonsense:1:io",
      "'nonsense' is not a wasi_snapshot_preview1 function; expected a name such as fd_read, path_open or clock_time_get");
  bad(&p, "--fault", ":1:io",
      "'' is not a wasi_snapshot_preview1 function; expected a name such as fd_read, path_open or clock_time_get");
  bad(&p, "--fault", "fd_read:0:io", "bad call number '0'; expected N from 1 (the first call) to 4294967295");
  bad(&p, "--fault", "fd_read:4294967296:io",
      "bad call number '4294967296'; expected N from 1 (the first call) to 4294967295");
  bad(&p, "--fault", "fd_read::io", "bad call number ''; expected N from 1 (the first call) to 4294967295");
  bad(&p, "--fault", "fd_read:x:io", "bad call number 'x'; expected N from 1 (the first call) to 4294967295");
  static const char *const errs[] = {"success", "0", "77", "EIO", "", "01", "noentt"};
  for (size_t i = 0; i < sizeof errs / sizeof *errs; i++) {
    char v[64], msg[300];
    snprintf(v, sizeof v, "fd_read:1:%s", errs[i]);
    snprintf(msg, sizeof msg,
             "bad ERRNO '%s'; expected a preview1 errno name such as io, noent, acces or badf, or "
             "its number 1..76",
             errs[i]);
    bad(&p, "--fault", v, msg);
  }
  bad(&p, "--fault", "fd_read:1", "expected FUNC:N:ERRNO (e.g. fd_read:2:io), got 'fd_read:1'");
  bad(&p, "--fault", "fd_read", "expected FUNC:N:ERRNO (e.g. fd_read:2:io), got 'fd_read'");
  bad(&p, "--fault", "fd_read:1:io:x", "expected FUNC:N:ERRNO (e.g. fd_read:2:io), got 'fd_read:1:io:x'");
  mb_wv_policy_fini(&p);
}

static void test_func_names(void **state) {
  (void)state;
  assert_string_equal(mb_wasi_func_names[0], "args_get");
  assert_string_equal(mb_wasi_func_names[5], "clock_time_get");
  assert_string_equal(mb_wasi_func_names[17], "fd_prestat_get");
  assert_string_equal(mb_wasi_func_names[26], "fd_write");
  assert_string_equal(mb_wasi_func_names[31], "path_open");
  assert_string_equal(mb_wasi_func_names[38], "proc_exit");
  assert_string_equal(mb_wasi_func_names[41], "random_get");
  assert_string_equal(mb_wasi_func_names[45], "sock_shutdown");
  for (int i = 0; i < MB_WASI_FUNC_COUNT; i++) {
    const char *n = mb_wasi_func_names[i];
    assert_int_equal(mb_wasi_func_index(n, strlen(n)), i);
    for (int k = 0; k < i; k++) assert_string_not_equal(mb_wasi_func_names[k], n);
  }
  assert_int_equal(mb_wasi_func_index("fd_rea", 6), -1);
  assert_int_equal(mb_wasi_func_index("fd_readx", 8), -1);
  assert_int_equal(mb_wasi_func_index("fd_readdir", 7), 20); /* len counts, not the NUL */
  assert_int_equal(mb_wasi_func_index("", 0), -1);
  assert_int_equal(mb_wasi_func_index(NULL, 0), -1);

  mb_wasi_errno e;
  assert_true(mb_wasi_errno_parse("noent", 5, &e));
  assert_int_equal(e, MB_WASI_ENOENT);
  assert_true(mb_wasi_errno_parse("2big", 4, &e));
  assert_int_equal(e, MB_WASI_E2BIG);
  assert_true(mb_wasi_errno_parse("notcapable", 10, &e));
  assert_int_equal(e, MB_WASI_ENOTCAPABLE);
  assert_true(mb_wasi_errno_parse("1", 1, &e));
  assert_int_equal(e, 1);
  assert_true(mb_wasi_errno_parse("76", 2, &e));
  assert_int_equal(e, 76);
  assert_true(mb_wasi_errno_parse("iox", 2, &e)); /* exactly len bytes */
  assert_int_equal(e, MB_WASI_EIO);
  for (unsigned i = 1; i < MB_WASI_ERRNO_COUNT; i++) {
    const char *n = mb_wasi_errno_name((mb_wasi_errno)i);
    assert_true(mb_wasi_errno_parse(n, strlen(n), &e));
    assert_int_equal(e, i);
  }
  e = MB_WASI_EIO;
  static const char *const no[] = {"success", "0", "77", "100", "01", "-1", "", "ENOENT", "Noent", "1a"};
  for (size_t i = 0; i < sizeof no / sizeof *no; i++)
    assert_false(mb_wasi_errno_parse(no[i], strlen(no[i]), &e));
  assert_false(mb_wasi_errno_parse(NULL, 0, &e));
  assert_int_equal(e, MB_WASI_EIO);
}

/* ---- later settings, help ---- */

static void test_later_replaces(void **state) {
  (void)state;
  mb_wv_policy p;
  mb_wv_policy_init(&p);
  ok(&p, "--clock", "fixed:5");
  ok(&p, "--clock", "real");
  ok(&p, "--stdin", "/a");
  ok(&p, "--stdin", "null");
  ok(&p, "--trace", "stderr");
  ok(&p, "--mem", "/a");
  ok(&p, "--mem", "/b");
  assert_int_equal(p.clock, MB_WV_CLOCK_REAL);
  assert_int_equal(p.stdio[0].mode, MB_WV_STDIO_NULL);
  assert_null(p.stdio[0].path);
  assert_int_equal(p.mount_count, 2);
  assert_string_equal(p.mounts[1].guest, "/b");
  mb_wv_policy_fini(&p);
}

static void test_help(void **state) {
  (void)state;
  const char *h = mb_wv_policy_help();
  assert_non_null(h);
  size_t n = strlen(h);
  assert_true(n > 0 && h[n - 1] == '\n');
  for (const char *l = h; *l;) {
    const char *nl = strchr(l, '\n');
    assert_non_null(nl);
    if (nl - l > 80) fail_msg("help line longer than 80 columns: %.*s", (int)(nl - l), l);
    l = nl + 1;
  }
  static const char *const flags[] = {"--embed", "--mem", "--mount", "--env ", "--env-allow",
                                      "--env-inherit", "--arg ", "--args-inherit", "--stdin",
                                      "--stdout", "--stderr", "--clock", "--random", "--fault",
                                      "--trace", "--save", "--policy", ":ro", ":rw",
                                      "PREOPEN[/SUBDIR]"};
  for (size_t i = 0; i < sizeof flags / sizeof *flags; i++)
    if (!strstr(h, flags[i])) fail_msg("help does not mention %s", flags[i]);
}

/* ---- JSON ---- */

static void test_json_good(void **state) {
  (void)state;
  mb_wv_policy p;
  mb_wv_policy_init(&p);
  json_ok(&p, "{\"mount\": [\"/data=/host/data:ro\"], \"mem\": \"/tmp:1M\", \"env\": [\"HOME=/tmp\"],\n"
              " \"clock\": \"fixed:0\", \"stdout\": \"inherit\", \"fault\": [\"fd_read:2:io\"],\n"
              " \"embed\": [\"/etc=./etc\", \"/x=y\"], \"env-allow\": \"TERM\", \"env-inherit\": true,\n"
              " \"arg\": [\"a\", \"\"], \"args-inherit\": false, \"stdin\": \"/etc/in\",\n"
              " \"stderr\": [\"/tmp/a\", \"null\"], \"random\": \"seed:7\", \"trace\": \"stderr\"}");
  assert_int_equal(p.mount_count, 4);
  assert_int_equal(p.mounts[0].kind, MB_WV_MOUNT_HOST);
  assert_string_equal(p.mounts[0].preopen, "/host");
  assert_string_equal(p.mounts[0].subdir, "data");
  assert_int_equal(p.mounts[1].kind, MB_WV_MOUNT_MEM);
  assert_int_equal(p.mounts[1].limit, 1u << 20);
  assert_string_equal(p.mounts[3].guest, "/x");
  assert_int_equal(p.env_count, 2);
  assert_int_equal(p.env[1].kind, MB_WV_ENV_ALLOW);
  assert_true(p.env_inherit);
  assert_int_equal(p.arg_count, 2);
  assert_false(p.args_inherit);
  assert_int_equal(p.stdio[0].mode, MB_WV_STDIO_FILE);
  assert_int_equal(p.stdio[2].mode, MB_WV_STDIO_NULL); /* the last of the array */
  assert_int_equal(p.random_seed, 7);
  assert_int_equal(p.trace, MB_WV_TRACE_STDERR);
  assert_int_equal(p.fault_count, 1);
  check_ok(&p);
  /* a second file appends and replaces; false clears an earlier true */
  json_ok(&p, "\xEF\xBB\xBF {\"env-inherit\": false, \"arg\": [], \"clock\": \"real\"} \n\t");
  assert_false(p.env_inherit);
  assert_int_equal(p.arg_count, 2);
  assert_int_equal(p.clock, MB_WV_CLOCK_REAL);
  json_ok(&p, "{}");
  json_ok(&p, "\xEF\xBB\xBF{}"); /* cJSON 1.7.15 (the parser once) refused this one */
  JSON_BAD(&p, "\xEF\xBB\xBF" "5", MB_WV_ERR_BAD_VALUE, "p.json",
           "the top level is a number; expected an object of options such as {\"mem\": \"/tmp:1M\", "
           "\"env\": [\"HOME=/tmp\"]}");
  /* filename NULL, diag NULL */
  assert_int_equal(mb_wv_policy_parse_json(&p, NULL, "{}", 2, NULL), MB_WV_OK);
  mb_wv_policy_fini(&p);
}

static void test_json_syntax(void **state) {
  (void)state;
  mb_wv_policy p;
  mb_wv_policy_init(&p);
  ok(&p, "--mem", "/keep"); /* what must survive every refusal */
  static const char V[] = "expected a value (a string, number, object, array, true, false or null)";
  char msg[300];
  snprintf(msg, sizeof msg, "not JSON: %s, got '}'", V);
  JSON_BAD(&p, "{\n  \"mem\": \"/tmp\",\n  \"env\": [}\n", MB_WV_ERR_SYNTAX, "p.json:3:11", msg);
  JSON_BAD(&p, "{\"mem\": \"/tmp\"", MB_WV_ERR_SYNTAX, "p.json:1:15",
           "not JSON: expected ',' or '}', got the end of the text");
  JSON_BAD(&p, "{\"arg\": [\"a\" \"b\"]}", MB_WV_ERR_SYNTAX, "p.json:1:14",
           "not JSON: expected ',' or ']', got '\"'");
  JSON_BAD(&p, "{\"mem\": \"/tmp\"} {}", MB_WV_ERR_SYNTAX, "p.json:1:17",
           "not JSON: more after the end of the JSON value; a policy is one object, got '{'");
  JSON_BAD(&p, "{\"a\" 1}", MB_WV_ERR_SYNTAX, "p.json:1:6",
           "not JSON: expected ':' after the key, got '1'");
  JSON_BAD(&p, "{'mem': 1}", MB_WV_ERR_SYNTAX, "p.json:1:2",
           "not JSON: expected '\"' to begin a key, got '''");
  JSON_BAD(&p, "{\"mem\": \"/t\",}", MB_WV_ERR_SYNTAX, "p.json:1:14",
           "not JSON: expected '\"' to begin a key, got '}'");
  JSON_BAD(&p, "{\"mem\": /t}", MB_WV_ERR_SYNTAX, "p.json:1:9",
           "not JSON: expected a value (a string, number, object, array, true, false or null), got '/'");
  JSON_BAD(&p, "{\"env-inherit\": yes}", MB_WV_ERR_SYNTAX, "p.json:1:17",
           "not JSON: expected a value (a string, number, object, array, true, false or null), got 'y'");
  JSON_BAD(&p, "{\"env-inherit\": tru}", MB_WV_ERR_SYNTAX, "p.json:1:17",
           "not JSON: a bare word; strings are quoted, and the literals are true, false and null");
  JSON_BAD(&p, "{\"x\": -}", MB_WV_ERR_SYNTAX, "p.json:1:7", "not JSON: a malformed number");
  JSON_BAD(&p, "{\"x\": 1.e5}", MB_WV_ERR_SYNTAX, "p.json:1:7", "not JSON: a malformed number");
  JSON_BAD(&p, "{\"x\": 01}", MB_WV_ERR_SYNTAX, "p.json:1:8", "not JSON: expected ',' or '}', got '1'");
  JSON_BAD(&p, "{\"mem\": \"/tmp\n\"}", MB_WV_ERR_SYNTAX, "p.json:1:14",
           "not JSON: a control character in a string (write it as an escape such as \\n), got byte 0x0a");
  JSON_BAD(&p, "{\n\"mem\": \"/tmp}", MB_WV_ERR_SYNTAX, "p.json:2:8", "not JSON: a string that is never closed");
  JSON_BAD(&p, "{\"mem\": \"\\q\"}", MB_WV_ERR_SYNTAX, "p.json:1:10",
           "not JSON: an unknown escape; the escapes are \\\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX");
  JSON_BAD(&p, "{\"mem\": \"\\u12G4\"}", MB_WV_ERR_SYNTAX, "p.json:1:10",
           "not JSON: a \\u escape without four hex digits");
  JSON_BAD(&p, "{\"arg\": \"\\udc00\"}", MB_WV_ERR_SYNTAX, "p.json:1:10",
           "not JSON: a \\u escape of a low surrogate without a high one before it");
  JSON_BAD(&p, "{\"arg\": \"\\ud83dx\"}", MB_WV_ERR_SYNTAX, "p.json:1:10",
           "not JSON: a \\u escape of a high surrogate without a low one (\\uDC00-\\uDFFF) after it");
  JSON_BAD(&p, "{\"arg\": \"\\ud83d\\u0041\"}", MB_WV_ERR_SYNTAX, "p.json:1:10",
           "not JSON: a \\u escape of a high surrogate without a low one (\\uDC00-\\uDFFF) after it");
  JSON_BAD(&p, "{\"x\": 1234567890123456789012345678901234567890123456789012345678901234}",
           MB_WV_ERR_SYNTAX, "p.json:1:7",
           "not JSON: a number longer than 63 characters (policy values are strings)");
  JSON_BAD(&p, "{\"arg\": -12345678901234567890123456789012345678901234567890.12345678901}",
           MB_WV_ERR_BAD_VALUE, "p.json: arg",
           "expected a string (ARG) or an array of them, got a number"); /* 63: cJSON's limit, kept */
  json_ok(&p, "{\"arg\": \"\\ud83d\\ude00\\u00e9\"}");
  assert_string_equal(p.args[p.arg_count - 1], "\xF0\x9F\x98\x80\xC3\xA9");
  JSON_BAD(&p, "\n\n   \x01", MB_WV_ERR_SYNTAX, "p.json:3:4",
           "not JSON: expected a value (a string, number, object, array, true, false or null), got byte 0x01");
  JSON_BAD(&p, "", MB_WV_ERR_SYNTAX, "p.json:1:1",
           "the text is empty; expected a JSON object such as {\"mem\": \"/tmp:1M\"}");
  JSON_BAD(&p, " \n ", MB_WV_ERR_SYNTAX, "p.json:2:2",
           "the text is empty; expected a JSON object such as {\"mem\": \"/tmp:1M\"}");
  JSON_BAD(&p, "{\"arg\": \"a\\u0000b\"}", MB_WV_ERR_SYNTAX, "p.json:1:11",
           "not JSON: a \\u0000 escape; policy strings cannot hold NUL");
  json_refused(&p, "{\"arg\": \"a\0b\"}", 14, MB_WV_ERR_SYNTAX, "p.json:1:11",
               "not JSON: a NUL byte; a policy is JSON text");
  json_refused(&p, "{}\0", 3, MB_WV_ERR_SYNTAX, "p.json:1:3",
               "not JSON: more after the end of the JSON value; a policy is one object, got byte 0x00");
  /* nesting: 64 levels are read (and then refused as values), 65 are not JSON here */
  char deep[200];
  size_t n = 0;
  deep[n++] = '{';
  memcpy(deep + n, "\"arg\":", 6);
  n += 6;
  for (int i = 0; i < 63; i++) deep[n++] = '[';
  for (int i = 0; i < 63; i++) deep[n++] = ']';
  deep[n++] = '}';
  deep[n] = '\0';
  JSON_BAD(&p, deep, MB_WV_ERR_BAD_VALUE, "p.json: arg[0]", "expected a string (ARG), got an array");
  memmove(deep + 8, deep + 7, n - 7 + 1);
  deep[7] = '[';
  memmove(deep + 8 + 64, deep + 7 + 64, strlen(deep + 7 + 64) + 1);
  deep[7 + 64] = ']';
  JSON_BAD(&p, deep, MB_WV_ERR_SYNTAX, "p.json:1:71", "not JSON: nesting deeper than 64 levels");
  /* an escaped backslash before u0000 is no escape of NUL */
  json_ok(&p, "{\"arg\": \"a\\\\u0000b\"}");
  assert_string_equal(p.args[p.arg_count - 1], "a\\u0000b");
  mb_wv_policy_fini(&p);
}

/* Strings are decoded by the policy's own scanner: every escape, \u as UTF-8 (1 to 4
 * bytes; a surrogate pair as one 4-byte character), raw UTF-8 passed through, and keys
 * decoded like values (so an escaped key is the same key, given twice or not). */
static void test_json_strings(void **state) {
  (void)state;
  mb_wv_policy p;
  mb_wv_policy_init(&p);
  json_ok(&p, "{\"arg\": [\"\\\"\\\\\\/\\b\\f\\n\\r\\t\", \"\\u0041\\u007f\\u0080\\u07ff\\u0800\\uffff\","
              " \"\\ud83d\\ude00\\uD800\\uDC00\\udbff\\udfff\", \"\xc3\xa9\xff raw\", \"\"]}");
  assert_int_equal(p.arg_count, 5);
  assert_string_equal(p.args[0], "\"\\/\b\f\n\r\t");
  assert_string_equal(p.args[1], "A\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf");
  assert_string_equal(p.args[2], "\xf0\x9f\x98\x80\xf0\x90\x80\x80\xf4\x8f\xbf\xbf");
  assert_string_equal(p.args[3], "\xc3\xa9\xff raw");
  assert_string_equal(p.args[4], "");
  json_ok(&p, "{\"\\u0065nv\": \"A=\\u00e9\", \"\\u0065nv-allow\": [\"B\"]}");
  assert_int_equal(p.env_count, 2);
  assert_string_equal(p.env[0].name, "A");
  assert_string_equal(p.env[0].value, "\xc3\xa9");
  assert_string_equal(p.env[1].name, "B");
  JSON_BAD(&p, "{\"arg\": \"a\", \"\\u0061rg\": \"b\"}", MB_WV_ERR_CONFLICT, "p.json: arg",
           "\"arg\" is given twice; give it once, with an array for several values");
  JSON_BAD(&p, "{\"\\u006dout\": \"/d=/h\"}", MB_WV_ERR_UNKNOWN_OPTION, "p.json: mout",
           "unknown key 'mout'; did you mean \"mount\"?");
  assert_int_equal(p.arg_count, 5);
  mb_wv_policy_fini(&p);
}

static void test_json_values(void **state) {
  (void)state;
  mb_wv_policy p;
  mb_wv_policy_init(&p);
  ok(&p, "--mem", "/keep");
  const mb_wv_err U = MB_WV_ERR_UNKNOWN_OPTION, B = MB_WV_ERR_BAD_VALUE;
  JSON_BAD(&p, "{\"mem\": \"/t\", \"mout\": \"/d=/h\"}", U, "p.json: mout",
           "unknown key 'mout'; did you mean \"mount\"?");
  JSON_BAD(&p, "{\"--mem\": \"/t\"}", U, "p.json: --mem",
           "unknown key '--mem'; keys are the flags without '--': write \"mem\"");
  JSON_BAD(&p, "{\"output\": \"x\"}", U, "p.json: output",
           "unknown key 'output'; the keys are the policy flags without '--' (embed, mem, mount, env, "
           "env-allow, env-inherit, arg, args-inherit, stdin, stdout, stderr, clock, random, fault, trace, "
           "save, record, replay)");
  JSON_BAD(&p, "{\"policy\": \"other.json\"}", U, "p.json: policy",
           "a policy file cannot include another; give --policy once for each file");
  JSON_BAD(&p, "{\"clock\": \"real\", \"clock\": \"fixed:1\"}", MB_WV_ERR_CONFLICT, "p.json: clock",
           "\"clock\" is given twice; give it once, with an array for several values");
  JSON_BAD(&p, "{\"clock\": 5}", B, "p.json: clock",
           "expected a string (real|fixed:NANOS) or an array of them, got a number");
  JSON_BAD(&p, "{\"mem\": {\"/t\": 1}}", B, "p.json: mem",
           "expected a string (GUEST[:LIMIT]) or an array of them, got an object");
  JSON_BAD(&p, "{\"arg\": true}", B, "p.json: arg", "expected a string (ARG) or an array of them, got a boolean");
  JSON_BAD(&p, "{\"env\": [\"A=1\", null]}", B, "p.json: env[1]", "expected a string (NAME=VALUE), got null");
  JSON_BAD(&p, "{\"env\": [\"A=1\", [\"B=2\"]]}", B, "p.json: env[1]",
           "expected a string (NAME=VALUE), got an array");
  JSON_BAD(&p, "{\"env-inherit\": \"yes\"}", B, "p.json: env-inherit", "expected true or false, got a string");
  JSON_BAD(&p, "{\"args-inherit\": 1}", B, "p.json: args-inherit", "expected true or false, got a number");
  JSON_BAD(&p, "[\"mem\", \"/t\"]", B, "p.json",
           "the top level is an array; expected an object of options such as {\"mem\": \"/tmp:1M\", "
           "\"env\": [\"HOME=/tmp\"]}");
  JSON_BAD(&p, "\"x\"", B, "p.json",
           "the top level is a string; expected an object of options such as {\"mem\": \"/tmp:1M\", "
           "\"env\": [\"HOME=/tmp\"]}");
  /* the flag's own messages, with the key path as where */
  JSON_BAD(&p, "{\"clock\": \"sometimes\"}", B, "p.json: clock",
           "expected real or fixed:NANOS (decimal nanoseconds since 1970, e.g. fixed:0), got 'sometimes'");
  JSON_BAD(&p, "{\"arg\": [\"x\"], \"env\": [\"A=1\", \"B\"]}", B, "p.json: env[1]",
           "expected NAME=VALUE (e.g. HOME=/tmp), got 'B' without '='; to pass the host's value use --env-allow B");
  JSON_BAD(&p, "{\"mount\": [\"/d=/h:rx\"]}", B, "p.json: mount[0]",
           "expected :ro or :rw at the end, got ':rx' (preopen names and subdirectories cannot contain ':')");
  assert_int_equal(p.mount_count, 1);
  assert_int_equal(p.arg_count, 0);
  mb_wv_policy_fini(&p);
}

static void test_policy_file(void **state) {
  (void)state;
  char path[] = "/tmp/mb_policy_test_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  const char *body = "{\n  \"mem\": \"/tmp:4K\",\n  \"clock\": \"real\"\n}\n";
  assert_int_equal(write(fd, body, strlen(body)), (ssize_t)strlen(body));
  close(fd);
  mb_wv_policy p;
  mb_wv_policy_init(&p);
  ok(&p, "--policy", path);
  assert_int_equal(p.mount_count, 1);
  assert_int_equal(p.mounts[0].limit, 4096);
  assert_int_equal(p.clock, MB_WV_CLOCK_REAL);

  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs("{\n  \"mem\": \"/tmp:4K\",\n  \"clock\": \"never\"\n}\n", f);
  fclose(f);
  char where[300];
  snprintf(where, sizeof where, "%s: clock", path);
  refused(&p, "--policy", path, MB_WV_ERR_BAD_VALUE, where,
          "expected real or fixed:NANOS (decimal nanoseconds since 1970, e.g. fixed:0), got 'never'");
  f = fopen(path, "w");
  assert_non_null(f);
  fputs("{\n  \"mem\": \"/tmp:4K\",,\n}\n", f);
  fclose(f);
  snprintf(where, sizeof where, "%s:2:20", path);
  refused(&p, "--policy", path, MB_WV_ERR_SYNTAX, where,
          "not JSON: expected '\"' to begin a key, got ','");
  /* too big */
  f = fopen(path, "w");
  assert_non_null(f);
  fputc('{', f);
  for (unsigned i = 0; i < MB_WV_POLICY_FILE_MAX; i++) fputc(' ', f);
  fputc('}', f);
  fclose(f);
  refused(&p, "--policy", path, MB_WV_ERR_IO, path,
          "the policy file is larger than 1048576 bytes; a policy is a few lines of JSON");
  unlink(path);
  refused(&p, "--policy", path, MB_WV_ERR_IO, path,
          "cannot open the policy file: No such file or directory; check the path given to --policy");
  refused(&p, "--policy", "/", MB_WV_ERR_IO, "/", "cannot read the policy file: Is a directory");
  mb_wv_policy_fini(&p);
}

/* ---- check ---- */

static void policy_of(mb_wv_policy *p, const char *const *flags) {
  mb_wv_policy_init(p);
  for (size_t i = 0; flags[i]; i += 2) ok(p, flags[i], flags[i + 1]);
}

static void test_check_ok(void **state) {
  (void)state;
  mb_wv_policy p;
  const char *const all[] = {
      "--embed", "/data=./d", "--mem", "/data:1M", /* copy-on-write */
      "--mount", "/data/host=/h", /* nested */
      "--mount", "/rw=/h/w:rw", "--embed", "/one/file.txt=./f.txt",
      "--stdin", "/one/file.txt",   /* an embedded file itself */
      "--stdout", "/data/out",      /* the mem over the embed */
      "--stderr", "/rw/logs/err",   /* a :rw host mount */
      "--trace", "/rw/logs/trace",  /* the same */
      "--env", "A=1", "--env-allow", "B", "--env-inherit", NULL,
      "--arg", "x", "--fault", "fd_read:1:io", "--fault", "fd_read:2:io",
      "--fault", "fd_write:1:io",
      "--save", "/data=/rw/saved/data",   /* the copy-on-write mount */
      "--save", "/data/sub=/rw/saved/sub", /* below a --mem mount point */
      "--save", "/data=/rw/again",          /* one tree twice */
      NULL};
  policy_of(&p, all);
  check_ok(&p);
  mb_wv_policy_fini(&p);
  const char *const root[] = {"--mem", "/", "--stdout", "/out", "--stdin", "/x/y", NULL};
  policy_of(&p, root);
  check_ok(&p);
  mb_wv_policy_fini(&p);
  const char *const inherit[] = {"--args-inherit", NULL, "--env-inherit", NULL, NULL};
  policy_of(&p, inherit);
  check_ok(&p);
  assert_int_equal(mb_wv_policy_check(&p, NULL), MB_WV_OK);
  mb_wv_policy_fini(&p);
}

static void test_check_conflicts(void **state) {
  (void)state;
  mb_wv_policy p;
  static const struct {
    const char *const flags[14];
    const char *where, *message;
  } cases[] = {
      {{"--mem", "/a", "--mount", "/a/=/h:rw", NULL}, "--mount /a=/h:rw",
       "/a is already the mount point of --mem /a; two mounts cannot share a guest path, except one "
       "--embed and one --mem over it (copy-on-write)"},
      {{"--mem", "/a:1K", "--mem", "/a", NULL}, "--mem /a",
       "/a is already the mount point of --mem /a:1024; two mounts cannot share a guest path, except "
       "one --embed and one --mem over it (copy-on-write)"},
      {{"--embed", "/a=x", "--mount", "/a=/h/s", NULL}, "--mount /a=/h/s:ro",
       "/a is already the mount point of --embed /a=x; two mounts cannot share a guest path, except "
       "one --embed and one --mem over it (copy-on-write)"},
      {{"--embed", "/a/f=x", "--embed", "/a/f=y", NULL}, "--embed /a/f=y",
       "/a/f is already embedded by --embed /a/f=x; put both into one host directory and embed that, "
       "or give them different guest paths"},
      {{"--embed", "/a=x", "--mem", "/a", "--embed", "/a=y", NULL}, "--embed /a=y",
       "/a is already embedded by --embed /a=x; put both into one host directory and embed that, or "
       "give them different guest paths"},
      {{"--stdin", "/in", NULL}, "--stdin /in",
       "/in is not inside any mount; mount a directory that holds it (--embed, --mem or --mount), or "
       "use --stdin null"},
      {{"--mem", "/in", "--stdin", "/in", NULL}, "--stdin /in",
       "/in is not inside any mount; mount a directory that holds it (--embed, --mem or --mount), or "
       "use --stdin null"},
      {{"--mem", "/tmp", "--stdout", "/out/log", NULL}, "--stdout /out/log",
       "/out/log is not inside any mount; mount a directory that holds it (--mem or --mount ...:rw), "
       "or use --stdout inherit"},
      {{"--embed", "/log=x", "--stderr", "/log", NULL}, "--stderr /log",
       "/log is not inside any mount; mount a directory that holds it (--mem or --mount ...:rw), or "
       "use --stderr inherit"},
      {{"--mount", "/d=/h", "--stdout", "/d/out", NULL}, "--stdout /d/out",
       "/d/out is on the read-only mount --mount /d=/h:ro; put it under a --mem or a --mount ...:rw "
       "mount, or add --mem /d over the embed"},
      {{"--mem", "/d", "--embed", "/d/ro=x", "--stderr", "/d/ro/err", NULL}, "--stderr /d/ro/err",
       "/d/ro/err is on the read-only mount --embed /d/ro=x; put it under a --mem or a --mount ...:rw "
       "mount, or add --mem /d/ro over the embed"},
      {{"--trace", "/t.log", NULL}, "--trace /t.log",
       "/t.log is not inside any mount; mount a directory that holds it (--mem or --mount ...:rw), or "
       "use --trace stderr"},
      {{"--mount", "/d=/h", "--trace", "/d/t.log", NULL}, "--trace /d/t.log",
       "/d/t.log is on the read-only mount --mount /d=/h:ro; put it under a --mem or a --mount ...:rw "
       "mount, or add --mem /d over the embed"},
      {{"--mem", "/o", "--stderr", "/o/log", "--trace", "/o/log", NULL}, "--trace /o/log",
       "/o/log is also --stderr's file: the two would overwrite each other; trace to another file"},
      {{"--arg", "x", "--args-inherit", NULL, NULL}, "--args-inherit",
       "--args-inherit passes the host's whole argv, so --arg x would be ignored; drop one or the other"},
      {{"--env", "HOME=/a", "--env", "PATH=/b", "--env", "HOME=/c", NULL}, "--env HOME=/c",
       "HOME is already given by --env HOME=/a; give each variable once"},
      {{"--env-allow", "TERM", "--env", "TERM=xterm", NULL}, "--env TERM=xterm",
       "TERM is already given by --env-allow TERM; give each variable once"},
      {{"--fault", "fd_read:2:io", "--fault", "fd_read:3:io", "--fault", "fd_read:2:noent", NULL},
       "--fault fd_read:2:noent",
       "call 2 of fd_read already fails with --fault fd_read:2:io; give each call one fault"},
      {{"--mount", "/r=/h:rw", "--save", "/o=/r/o", NULL}, "--save /o=/r/o",
       "/o is not on any mount; GUEST must be a --mem tree (e.g. --mem /o) or a directory inside one"},
      {{"--embed", "/o=x", "--mount", "/r=/h:rw", "--save", "/o/s=/r/o", NULL}, "--save /o/s=/r/o",
       "/o/s is on --embed /o=x, which is read-only and in the output as built; add --mem /o over it "
       "to save what the program changes"},
      {{"--mem", "/o", "--mount", "/o/h=/h:rw", "--save", "/o/h/x=/o/h/y", NULL}, "--save /o/h/x=/o/h/y",
       "/o/h/x is on the host mount --mount /o/h=/h:rw, whose files are on the host already; GUEST "
       "must be a --mem tree or a directory inside one"},
      {{"--mem", "/o", "--save", "/o=/r/o", NULL}, "--save /o=/r/o",
       "/r/o is not inside any mount; DEST must be a path inside a :rw --mount (e.g. --mount "
       "/results=/host/results:rw --save /o=/results/out)"},
      {{"--mem", "/o", "--mount", "/r=/h:rw", "--save", "/o=/r", NULL}, "--save /o=/r",
       "/r is not inside any mount; DEST must be a path inside a :rw --mount (e.g. --mount "
       "/results=/host/results:rw --save /o=/results/out)"},
      {{"--mem", "/o", "--mount", "/r=/h", "--save", "/o=/r/o", NULL}, "--save /o=/r/o",
       "/r/o is on --mount /r=/h:ro; DEST must be inside a :rw --mount, so that the tree reaches the "
       "host"},
      {{"--mem", "/o", "--mem", "/t", "--save", "/o=/t/o", NULL}, "--save /o=/t/o",
       "/t/o is on --mem /t; DEST must be inside a :rw --mount, so that the tree reaches the host"},
      {{"--mem", "/o", "--mount", "/r=/h:rw", "--mem", "/r/m", "--save", "/o=/r/m/o", NULL},
       "--save /o=/r/m/o", /* the longest mount holding DEST decides */
       "/r/m/o is on --mem /r/m; DEST must be inside a :rw --mount, so that the tree reaches the "
       "host"},
      {{"--mem", "/o", "--mount", "/r=/h:rw", "--mem", "/r/o", "--save", "/o=/r/o", NULL},
       "--save /o=/r/o",
       "/r/o would replace the mount point of --mem /r/o; save to a path no mount is at or below"},
      {{"--mem", "/o", "--mount", "/r=/h:rw", "--mount", "/r/o/in=/h2", "--save", "/o=/r/o", NULL},
       "--save /o=/r/o",
       "/r/o would replace the mount point of --mount /r/o/in=/h2:ro; save to a path no mount is at or "
       "below"},
      {{"--mem", "/r/o/m", "--mount", "/r=/h:rw", "--save", "/r/o/m/x=/r/o", NULL}, "--save /r/o/m/x=/r/o",
       "/r/o would replace the mount point of --mem /r/o/m; save to a path no mount is at or below"},
      {{"--mem", "/o", "--mount", "/o/h=/h:rw", "--save", "/o=/o/h/x", NULL}, "--save /o=/o/h/x",
       "GUEST /o and DEST /o/h/x overlap; save to a path outside the tree, and not above it"},
      {{"--mem", "/a", "--mem", "/b", "--mount", "/r=/h:rw", "--save", "/a=/r/a", "--save", "/b=/r/a",
        NULL},
       "--save /b=/r/a", "/r/a overlaps the DEST of --save /a=/r/a; give each save its own directory"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    policy_of(&p, cases[i].flags);
    check_bad(&p, cases[i].where, cases[i].message);
    mb_wv_policy_fini(&p);
  }
}

/* ---- allocation failures ---- */

static const char sweep_json[] =
    "{\"mount\": [\"/data=/host/data:ro\", \"/w=/h:rw\"], \"mem\": [\"/tmp:1M\", \"/data\"],\n"
    " \"env\": [\"HOME=/tmp\", \"A=b\"], \"env-allow\": [\"TERM\"], \"arg\": [\"a\", \"b\", \"c\", \"d\", \"e\"],\n"
    " \"clock\": \"fixed:0\", \"stdout\": \"/tmp/out\", \"fault\": [\"fd_read:2:io\", \"fd_write:1:5\"],\n"
    " \"embed\": [\"/data=./d\"], \"env-inherit\": true, \"stdin\": \"/data/in\"}";

/* One scenario. Every call either succeeds or reports NOMEM with the policy unchanged;
 * returns whether any call reported NOMEM. */
static bool sweep_once(void) {
  static const char *const ops[][2] = {
      {"--mem", "/scratch:64K"}, {"--embed", "/e=./e"}, {"--mount", "/m=/pre/sub/dir:rw"},
      {"--env", "X=1"},         {"--env-allow", "Y"},  {"--arg", "--flag"},
      {"--arg", "v"},           {"--stderr", "/scratch/err"}, {"--fault", "path_open:3:acces"},
      {"--stdout", "null"},     {"--args-inherit", NULL}, {"--clock", "real"},
      {"--save", "/scratch=/m/out"}, {"--save", "/scratch/sub=/m/sub"},
  };
  bool nomem = false;
  mb_wv_policy p;
  mb_wv_policy_init(&p);
  for (size_t i = 0; i < sizeof ops / sizeof *ops; i++) {
    char *before = dump(&p);
    mb_wv_diag d;
    mb_wv_err e = mb_wv_policy_option(&p, ops[i][0], ops[i][1], &d);
    if (e) {
      assert_int_equal(e, MB_WV_ERR_NOMEM);
      assert_string_equal(d.message, "out of memory");
      char *after = dump(&p);
      assert_string_equal(before, after);
      free(after);
      nomem = true;
    }
    free(before);
  }
  for (int k = 0; k < 2; k++) { /* the second time over a bigger policy */
    char *before = dump(&p);
    mb_wv_diag d;
    mb_wv_err e = mb_wv_policy_parse_json(&p, "s.json", sweep_json, strlen(sweep_json), &d);
    if (e) {
      assert_int_equal(e, MB_WV_ERR_NOMEM);
      assert_memory_equal(d.where, "s.json", 6);
      char *after = dump(&p);
      assert_string_equal(before, after);
      free(after);
      nomem = true;
    }
    free(before);
  }
  mb_wv_diag d;
  mb_wv_err e = mb_wv_policy_check(&p, &d);
  if (e == MB_WV_ERR_NOMEM)
    nomem = true;
  else if (e != MB_WV_OK && e != MB_WV_ERR_CONFLICT)
    fail_msg("check: %d %s", (int)e, d.message);
  mb_wv_policy_fini(&p);
  return nomem;
}

static void test_alloc_failure_sweep(void **state) {
  (void)state;
  vt_alloc_install(0);
  assert_false(sweep_once());
  long total = g_vt_alloc.calls;
  assert_int_equal(g_vt_alloc.live, 0);
  assert_true(total > 20);
  long n;
  for (n = 1;; n++) {
    vt_alloc_install(n);
    bool nomem = sweep_once();
    if (g_vt_alloc.live != 0) fail_msg("allocation %ld failed: %ld blocks leaked", n, g_vt_alloc.live);
    if (!g_vt_alloc.failed) break;
    if (!nomem) fail_msg("allocation %ld of %ld failed and nothing reported NOMEM", n, total);
  }
  assert_int_equal(n, total + 1);
  vt_alloc_install(0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      VT_TEST(test_defaults),          VT_TEST(test_arity),
      VT_TEST(test_unknown_flags),     VT_TEST(test_embed),
      VT_TEST(test_guest_path_limits), VT_TEST(test_mem),
      VT_TEST(test_mount),             VT_TEST(test_env_args),
      VT_TEST(test_stdio),             VT_TEST(test_clock_random_trace),
      VT_TEST(test_save),
      VT_TEST(test_fault),             VT_TEST(test_func_names),
      VT_TEST(test_later_replaces),    VT_TEST(test_help),
      VT_TEST(test_json_good),         VT_TEST(test_json_syntax),
      VT_TEST(test_json_values),       VT_TEST(test_policy_file),
      VT_TEST(test_json_strings),
      VT_TEST(test_check_ok),          VT_TEST(test_check_conflicts),
      VT_TEST(test_alloc_failure_sweep), VT_TEST(test_record_replay),
  };
  return cmocka_run_group_tests_name("wasi_virt_policy", tests, NULL, NULL);
}
