/* cmd_virt.c — `membrane virt APP.wasm -o OUT.wasm [policy]`: the application fused with
 * wasi-virt, configured by the policy flags (wasi-virt/policy.c parses them). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "membrane_wasi_virt.h"

static void usage(FILE *out) {
  fputs("usage: membrane virt APP.wasm -o OUT.wasm [policy options]\n\n"
        "Put a virtualized WASI (wasi-virt) in front of a WASI preview1 program: OUT runs\n"
        "APP against a sandbox it cannot leave. Everything not configured is denied.\n\n"
        "  -o, --output OUT     the composed module (written atomically)\n"
        "  -h, --help           show this text\n\n",
        out);
  fputs(mb_virt_policy_help(), out);
}

static void warn(void *user, const char *msg) {
  (void)user;
  fprintf(stderr, "membrane virt: warning: %s\n", msg);
}

static void report(const mb_virt_policy_diag *d) {
  if (d->where[0]) fprintf(stderr, "membrane virt: %s: %s\n", d->where, d->message);
  else fprintf(stderr, "membrane virt: %s\n", d->message);
}

int mb_cmd_virt(int argc, char **argv) {
  int status = 1;
  const char *app = NULL, *out = NULL;
  mb_virt_policy p;
  mb_virt_policy_diag d;
  mb_cli_module cm = {0};
  mb_virt_policy_init(&p);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (mb_cli_is_help(a)) {
      usage(stdout);
      status = 0;
      goto done;
    }
    if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
      if (i + 1 >= argc) {
        fprintf(stderr, "membrane virt: %s needs a file name\n", a);
        goto done;
      }
      out = argv[++i];
      continue;
    }
    int arity = mb_virt_policy_option_arity(a);
    if (arity < 0 && a[0] == '-' && a[1]) {
      fprintf(stderr, "membrane virt: unknown option '%s' (see membrane virt --help)\n", a);
      goto done;
    }
    if (arity < 0) {
      if (app) {
        fprintf(stderr, "membrane virt: one application only: '%s' and '%s'\n", app, a);
        goto done;
      }
      app = a;
      continue;
    }
    const char *value = NULL;
    if (arity == 1) {
      if (i + 1 >= argc) {
        fprintf(stderr, "membrane virt: %s needs a value (see membrane virt --help)\n", a);
        goto done;
      }
      value = argv[++i];
    }
    if (mb_virt_policy_option(&p, a, value, &d)) {
      report(&d);
      goto done;
    }
  }
  if (!app) {
    fputs("membrane virt: no application: give APP.wasm (see membrane virt --help)\n", stderr);
    goto done;
  }
  if (!out) {
    fputs("membrane virt: no output file: use -o OUT.wasm\n", stderr);
    goto done;
  }
  if (mb_virt_policy_check(&p, &d)) {
    report(&d);
    goto done;
  }
  if (!mb_cli_load(&cm, app)) goto done;
  if (mb_virt_compose(cm.module, app, &p, out, warn, NULL, &d)) {
    report(&d);
    goto done;
  }
  status = 0;
done:
  mb_cli_unload(&cm);
  mb_virt_policy_fini(&p);
  return status;
}
