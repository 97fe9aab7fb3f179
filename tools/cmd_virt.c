/* cmd_virt.c — `membrane virt [NAME=]APP.wasm [[NAME=]MOD.wasm ...] -o OUT.wasm [policy]`:
 * the application (and the modules it is linked with) fused with wasi-virt, configured
 * by the policy flags (wasi-virt/policy_opts.c parses them). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "membrane_wasi_virt.h"

static void usage(FILE *out) {
  fputs("usage: membrane virt [NAME=]APP.wasm [[NAME=]MOD.wasm ...] -o OUT.wasm [policy options]\n\n"
        "Put a virtualized WASI (wasi-virt) in front of a WASI preview1 program: OUT runs\n"
        "APP against a sandbox it cannot leave. Everything not configured is denied.\n"
        "Further modules are linked in as by `membrane link` (instance NAME, default the\n"
        "file name up to its first '.'; APP's exports are the output's). Every one that\n"
        "uses WASI gets wasi-virt too, with descriptors of its own, the same filesystem.\n\n"
        "  -o, --output OUT     the composed module (written atomically)\n"
        "  --export INST.NAME[=AS]\n"
        "                       export INST's NAME (as AS), as `membrane link` does;\n"
        "                       repeatable; replaces the default (APP's exports). The\n"
        "                       output's 'memory' stays wasi-virt's, for the host's WASI:\n"
        "                       a JS host reads the program's memory under another name\n"
        "                       (--export app.memory=app_memory)\n"
        "  --memory multi|single  multi (default): a memory per instance (needs\n"
        "                       multi-memory); single: one memory, a region per instance\n"
        "                       (the application's last and growable, wasi-virt's sized\n"
        "                       from the policy), for engines without multi-memory\n"
        "  --memory-size INST=PAGES  single: INST's region is PAGES 64 KiB pages (INST may\n"
        "                       be wasi_virt, to override the size the policy gives it)\n"
        "  --trust INST         single: INST's accesses are not bounds-checked\n"
        "  -h, --help           show this text\n\n",
        out);
  fputs(mb_wv_policy_help(), out);
}

static void warn(void *user, const char *msg) {
  (void)user;
  fprintf(stderr, "membrane virt: warning: %s\n", msg);
}

static void report(const mb_wv_diag *d) {
  if (d->where[0]) fprintf(stderr, "membrane virt: %s: %s\n", d->where, d->message);
  else fprintf(stderr, "membrane virt: %s\n", d->message);
}

int mb_cmd_virt(int argc, char **argv) {
  int status = 1;
  const char *out = NULL;
  mb_wv_policy p;
  mb_wv_diag d;
  int ninputs = 0;
  const char **inputs = calloc((size_t)argc, sizeof *inputs);
  mb_cli_module *cms = calloc((size_t)argc, sizeof *cms);
  mb_wv_instance *insts = calloc((size_t)argc, sizeof *insts);
  mb_wv_export *exports = calloc((size_t)argc, sizeof *exports);
  char **specs = calloc((size_t)argc, sizeof *specs);
  int nexports = 0;
  const char **sizes = calloc((size_t)argc, sizeof *sizes), **trusts = calloc((size_t)argc, sizeof *trusts);
  int nsizes = 0, ntrusts = 0;
  mb_wv_memory_opts mem = {0};
  mb_wv_policy_init(&p);
  if (!inputs || !cms || !insts || !exports || !specs || !sizes || !trusts) {
    fputs("membrane virt: out of memory\n", stderr);
    goto done;
  }
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (mb_cli_is_help(a)) {
      usage(stdout);
      status = 0;
      goto done;
    }
    if (strcmp(a, "--memory") == 0 || strcmp(a, "--memory-size") == 0 || strcmp(a, "--trust") == 0) {
      if (i + 1 >= argc) {
        fprintf(stderr, "membrane virt: %s needs a value (see membrane virt --help)\n", a);
        goto done;
      }
      const char *v = argv[++i];
      if (strcmp(a, "--memory") == 0) {
        if (strcmp(v, "single") == 0) mem.single = true;
        else if (strcmp(v, "multi") == 0) mem.single = false;
        else {
          fprintf(stderr, "membrane virt: --memory '%s': expected multi or single\n", v);
          goto done;
        }
      } else if (strcmp(a, "--trust") == 0) {
        trusts[ntrusts++] = v;
      } else {
        sizes[nsizes++] = v;
      }
      continue;
    }
    if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
      if (i + 1 >= argc) {
        fprintf(stderr, "membrane virt: %s needs a file name\n", a);
        goto done;
      }
      out = argv[++i];
      continue;
    }
    if (strcmp(a, "--export") == 0) {
      if (i + 1 >= argc) {
        fputs("membrane virt: --export needs INSTANCE.NAME[=AS]\n", stderr);
        goto done;
      }
      char *inst, *name, *as;
      if (!mb_cli_export_spec("virt", argv[++i], &specs[nexports], &inst, &name, &as)) goto done;
      exports[nexports++] = (mb_wv_export){inst, name, as};
      continue;
    }
    int arity = mb_wv_policy_option_arity(a);
    if (arity < 0 && a[0] == '-' && a[1]) {
      fprintf(stderr, "membrane virt: unknown option '%s' (see membrane virt --help)\n", a);
      goto done;
    }
    if (arity < 0) {
      inputs[ninputs++] = a;
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
    if (mb_wv_policy_option(&p, a, value, &d)) {
      report(&d);
      goto done;
    }
  }
  if (!ninputs) {
    fputs("membrane virt: no application: give APP.wasm (see membrane virt --help)\n", stderr);
    goto done;
  }
  if (!out) {
    fputs("membrane virt: no output file: use -o OUT.wasm\n", stderr);
    goto done;
  }
  if (mb_wv_policy_check(&p, &d)) {
    report(&d);
    goto done;
  }
  for (int i = 0; i < ninputs; i++) {
    const char *path;
    char *name = mb_cli_instance_name(inputs[i], &path);
    insts[i].name = name;
    insts[i].path = path;
    if (!name) {
      fputs("membrane virt: out of memory\n", stderr);
      goto done;
    }
    for (int k = 0; k < i; k++)
      if (strcmp(insts[k].name, name) == 0) {
        fprintf(stderr, "membrane virt: two instances called '%s' (%s and %s): name one with "
                        "NAME=FILE\n", name, insts[k].path, path);
        goto done;
      }
    if (!mb_cli_load(&cms[i], path)) goto done;
    insts[i].module = cms[i].module;
  }
  if ((nsizes || ntrusts) && !mem.single) {
    fputs("membrane virt: --memory-size and --trust apply to --memory single only\n", stderr);
    goto done;
  }
  for (int k = 0; k < nsizes + ntrusts; k++) {
    const char *v = k < nsizes ? sizes[k] : trusts[k - nsizes];
    const char *eq = k < nsizes ? strrchr(v, '=') : v + strlen(v);
    char *end = NULL;
    unsigned long pages = k < nsizes && eq ? strtoul(eq + 1, &end, 10) : 0;
    if (k < nsizes && (!eq || eq == v || !eq[1] || *end || pages == 0 || pages > 65536)) {
      fprintf(stderr, "membrane virt: --memory-size '%s': expected INSTANCE=PAGES (1..65536 "
                      "pages of 64 KiB)\n", v);
      goto done;
    }
    size_t n = (size_t)(eq - v);
    bool found = false;
    if (k < nsizes && n == 9 && strncmp(v, "wasi_virt", 9) == 0) {
      mem.virt_pages = (uint32_t)pages;
      found = true;
    }
    for (int i = 0; i < ninputs && !found; i++)
      if (strlen(insts[i].name) == n && strncmp(insts[i].name, v, n) == 0) {
        if (k < nsizes) insts[i].memory_pages = (uint32_t)pages;
        else insts[i].trust = true;
        found = true;
      }
    if (!found) {
      fprintf(stderr, "membrane virt: %s %s: no instance called '%.*s'\n",
              k < nsizes ? "--memory-size" : "--trust", v, (int)n, v);
      goto done;
    }
  }
  if (mb_wv_compose_memory(insts, (size_t)ninputs, exports, (size_t)nexports, &p, &mem, out,
                           warn, NULL, &d)) {
    report(&d);
    goto done;
  }
  status = 0;
done:
  for (int i = 0; cms && i < ninputs; i++) mb_cli_unload(&cms[i]);
  for (int i = 0; insts && i < ninputs; i++) free((char *)insts[i].name);
  for (int i = 0; specs && i < nexports; i++) free(specs[i]);
  free(specs);
  free(exports);
  free(inputs);
  free(cms);
  free(insts);
  free(sizes);
  free(trusts);
  mb_wv_policy_fini(&p);
  return status;
}
