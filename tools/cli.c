/* cli.c — loading modules and printing diagnostics for the subcommands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void mb_cli_diag(const char *path, const mb_diag *d, bool with_offset) {
  if (with_offset)
    fprintf(stderr, "membrane: %s: offset %llu (0x%llx): %s\n", path,
            (unsigned long long)d->offset, (unsigned long long)d->offset, d->message);
  else
    fprintf(stderr, "membrane: %s: %s\n", path, d->message);
}

bool mb_cli_load(mb_cli_module *cm, const char *path) {
  mb_diag d = {0};
  memset(cm, 0, sizeof *cm);
  cm->path = path;
  if (mb_file_read(NULL, path, &cm->bytes, &cm->len, &d)) {
    fprintf(stderr, "membrane: %s\n", d.message);
    return false;
  }
  mb_err e = mb_wasm_read(NULL, cm->bytes, cm->len, &cm->module, &d);
  if (e) {
    mb_cli_diag(path, &d, e != MB_ERR_NOMEM);
    if (e == MB_ERR_UNSUPPORTED)
      fprintf(stderr, "membrane: %s uses a feature membrane cannot rewrite yet\n", path);
    mb_cli_unload(cm);
    return false;
  }
  return true;
}

void mb_cli_unload(mb_cli_module *cm) {
  mb_module_free(cm->module);
  mb_file_free(NULL, cm->bytes, cm->len);
  memset(cm, 0, sizeof *cm);
}

bool mb_cli_is_help(const char *arg) {
  return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

bool mb_cli_export_spec(const char *tool, const char *arg, char **spec, char **inst, char **name,
                        char **as) {
  char *s = strdup(arg);
  char *dot = s ? strchr(s, '.') : NULL, *eq = s ? strchr(s, '=') : NULL;
  *spec = *inst = *name = *as = NULL;
  if (!s) {
    fprintf(stderr, "membrane %s: out of memory\n", tool);
    return false;
  }
  if (!dot || dot == s || !dot[1] || (eq && (eq < dot || !eq[1] || eq == dot + 1))) {
    fprintf(stderr, "membrane %s: --export '%s': expected INSTANCE.NAME or INSTANCE.NAME=AS\n",
            tool, arg);
    free(s);
    return false;
  }
  *dot = 0;
  if (eq) *eq = 0;
  *spec = s;
  *inst = s;
  *name = dot + 1;
  *as = eq ? eq + 1 : NULL;
  return true;
}

char *mb_cli_default_name(const char *path) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  return strndup(base, strcspn(base, "."));
}

char *mb_cli_instance_name(const char *arg, const char **path) {
  const char *eq = strchr(arg, '=');
  if (eq) {
    *path = eq + 1;
    return strndup(arg, (size_t)(eq - arg));
  }
  *path = arg;
  return mb_cli_default_name(arg);
}
