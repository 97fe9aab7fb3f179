/* cmd_replay_inspect.c — `membrane replay-inspect LOG [--json]`: a recorded log
 * (membrane virt --record) as one line per record, text or JSON. The reading is the
 * library's (mb_virt_log_*), the same reader a replay uses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "membrane_wasi_virt.h"

static void usage(FILE *out) {
  fputs("usage: membrane replay-inspect LOG [--json]\n\n"
        "Print a log recorded by `membrane virt --record`, one line per record:\n"
        "  call FUNC(ARGS) \"PATHS\"           a preview1 call of the program, numbered\n"
        "    host FUNC(ARGS) = ERRNO -> OUT   what wasi-virt asked the host, its answer\n"
        "  exit STATUS\n"
        "With --json, one object per line: {\"record\": N, \"kind\": \"call\"|\"host\"|\"exit\",\n"
        "\"call\": N, \"func\": NAME, \"args\": [...], \"errno\": N, \"errno_name\": NAME,\n"
        "\"in\": TEXT, \"out_len\": N, \"out_hex\": HEX (the first 64 bytes), and\n"
        "\"out_ref\": true, \"out_at\": OFFSET when the bytes repeat earlier ones of the\n"
        "log}; the first line describes the log (version, configuration size).\n",
        out);
}

static void json_str(const uint8_t *p, uint32_t n) {
  putchar('"');
  for (uint32_t i = 0; i < n; i++) {
    uint8_t c = p[i];
    if (c == '"' || c == '\\') printf("\\%c", c);
    else if (c >= 0x20 && c < 0x7F) putchar(c);
    else printf("\\u%04x", c);
  }
  putchar('"');
}

static uint8_t *read_all(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  uint8_t *data = NULL;
  size_t cap = 0, n = 0;
  for (;;) {
    if (n == cap) {
      cap = cap ? cap * 2 : 65536;
      uint8_t *d = realloc(data, cap);
      if (!d) {
        free(data);
        fclose(f);
        return NULL;
      }
      data = d;
    }
    size_t got = fread(data + n, 1, cap - n, f);
    n += got;
    if (got == 0) break;
  }
  bool bad = ferror(f);
  fclose(f);
  if (bad) {
    free(data);
    return NULL;
  }
  *len = n;
  return data ? data : malloc(1);
}

int mb_cmd_replay_inspect(int argc, char **argv) {
  const char *path = NULL;
  bool json = false;
  for (int i = 1; i < argc; i++) {
    if (mb_cli_is_help(argv[i])) {
      usage(stdout);
      return 0;
    }
    if (!strcmp(argv[i], "--json")) json = true;
    else if (argv[i][0] == '-' && argv[i][1]) {
      fprintf(stderr, "membrane replay-inspect: unknown option '%s'\n", argv[i]);
      return 1;
    } else if (path) {
      fputs("membrane replay-inspect: give one LOG\n", stderr);
      return 1;
    } else {
      path = argv[i];
    }
  }
  if (!path) {
    usage(stderr);
    return 1;
  }
  size_t len = 0;
  uint8_t *data = read_all(path, &len);
  if (!data) {
    fprintf(stderr, "membrane replay-inspect: %s: cannot read it\n", path);
    return 1;
  }
  int status = 1;
  mb_virt_log_reader r;
  mb_wasi_errno e = mb_virt_log_open(&r, data, len);
  if (e) {
    fprintf(stderr, "membrane replay-inspect: %s: %s\n", path,
            e == MB_WASI_ENOTSUP ? "a log of another version" : "not a membrane log");
    goto out;
  }
  if (json)
    printf("{\"log\": \"membrane\", \"version\": %d, \"config_bytes\": %u}\n", MB_VIRT_LOG_VERSION,
           (unsigned)r.config_len);
  mb_virt_log_rec rec;
  size_t at = 0;
  uint64_t calls = 0;
  int k;
  static char line[1024];
  while ((k = mb_virt_log_next(&r, &rec, &at)) > 0) {
    if (rec.kind == MB_VIRT_LOG_CALL) calls++;
    if (!json) {
      mb_virt_log_format(&rec, line, sizeof line);
      if (rec.kind == MB_VIRT_LOG_CALL)
        printf("%llu %s\n", (unsigned long long)calls, line);
      else
        printf("  %s\n", line);
      continue;
    }
    static const char *const kinds[] = {"", "call", "host", "exit"};
    printf("{\"record\": %llu, \"kind\": \"%s\", \"call\": %llu, \"func\": \"%s\", \"args\": [",
           (unsigned long long)r.records, kinds[rec.kind], (unsigned long long)calls,
           mb_wasi_func_names[rec.func]);
    for (unsigned i = 0; i < rec.nargs; i++)
      printf("%s%llu", i ? ", " : "", (unsigned long long)rec.args[i]);
    printf("]");
    if (rec.kind == MB_VIRT_LOG_HOST)
      printf(", \"errno\": %u, \"errno_name\": \"%s\"", (unsigned)rec.err,
             mb_wasi_errno_name((mb_wasi_errno)rec.err));
    if (rec.in_len) {
      printf(", \"in\": ");
      json_str(rec.in, rec.in_len);
    }
    if (rec.kind == MB_VIRT_LOG_HOST) {
      printf(", \"out_len\": %u, \"out_hex\": \"", (unsigned)rec.out_len);
      for (uint32_t i = 0; i < rec.out_len && i < 64; i++) printf("%02x", rec.out[i]);
      printf("\"");
      if (rec.out_ref) printf(", \"out_ref\": true, \"out_at\": %llu", (unsigned long long)rec.out_at);
    }
    printf("}\n");
  }
  if (k < 0) {
    fflush(stdout);
    fprintf(stderr, "membrane replay-inspect: %s: malformed record %llu at byte %zu\n", path,
            (unsigned long long)r.records + 1, at);
    goto out;
  }
  status = 0;
out:
  free(data);
  return status;
}
