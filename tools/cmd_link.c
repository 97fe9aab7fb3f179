/* cmd_link.c — `membrane link NAME=FILE.wasm ... -o OUT.wasm [options]`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "membrane_virt.h"

static void usage(FILE *out) {
  fputs("usage: membrane link NAME=FILE.wasm [NAME=FILE.wasm ...] -o OUT.wasm [options]\n\n"
        "Fuse modules into one multi-memory module (one memory with --memory single).\n"
        "Each input is an instance called NAME\n"
        "(default: the file name up to its first '.', e.g. tool for tool.core.wasm) with\n"
        "its own memories, tables and globals.\n"
        "An import (module M, field F) is wired to export F of the instance called M.\n\n"
        "  -o, --output OUT            the fused module (written atomically)\n"
        "  --main NAME                 the main instance (default: the first input); its\n"
        "                              exports are the output's unless --export is given\n"
        "  --wire CONSUMER.M=PROVIDER  imports of CONSUMER from module M go to PROVIDER\n"
        "  --export INST.NAME[=AS]     export INST's NAME (as AS); repeatable\n"
        "  --stub-missing              unresolved function imports become functions that\n"
        "                              trap, named 'membrane: unresolved import M.F'\n"
        "  --require-resolved          unresolved imports are errors\n"
        "                              (imports of the host's WASI are always left to it)\n"
        "  --wit PATH                  WIT interfaces and worlds (a .wit file or a package\n"
        "                              directory with deps/); repeatable\n"
        "  --world INST=NS:PKG/WORLD   INST implements that world: the interfaces it exports\n"
        "                              are wired to the instances importing them\n"
        "  --grant-caller-memory INST  INST may import membrane:caller read/write/size: copy\n"
        "                              from and to the memory of the instance calling it\n"
        "  --memory multi|single       multi (default): a memory per instance (needs\n"
        "                              multi-memory); single: one memory, a region per\n"
        "                              instance, for engines without multi-memory\n"
        "  --memory-size INST=PAGES    single: INST's region is PAGES 64 KiB pages (fixed)\n"
        "  --trust INST                single: no bounds checks on INST's accesses\n"
        "  --dry-run                   print the wiring, write nothing\n"
        "  --dot FILE                  write the wiring as a Graphviz graph\n"
        "  -h, --help                  show this text\n\n"
        "Imports nobody provides stay imports of the output (identical ones merged). The\n"
        "exported 'memory' is the memory of the instance that calls the host's WASI.\n"
        "Resource handles ([resource-new]R, own<R>/borrow<R> parameters of WIT functions)\n"
        "go through the resource ABI glue, added as an extra instance when used.\n",
        out);
}

typedef struct input {
  char *name;
  const char *path;
  mb_cli_module cm;
} input;

static void warn(void *user, const char *msg) {
  (void)user;
  fprintf(stderr, "membrane link: warning: %s\n", msg);
}

static int fail(const char *msg, const char *arg) {
  fprintf(stderr, "membrane link: %s%s%s\n", msg, arg ? " " : "", arg ? arg : "");
  return 1;
}

static int report(const mb_diag *d) {
  fprintf(stderr, "membrane link: %s\n", d->message);
  return 1;
}

int mb_cmd_link(int argc, char **argv) {
  const char *out = NULL, *main_name = NULL, *dot = NULL;
  bool dry_run = false;
  mb_link_unresolved policy = MB_UNRESOLVED_IMPORT;
  input *inputs = calloc((size_t)argc, sizeof *inputs);
  char **wires = calloc((size_t)argc, sizeof *wires), **exports = calloc((size_t)argc, sizeof *exports);
  char **wits = calloc((size_t)argc, sizeof *wits), **worlds = calloc((size_t)argc, sizeof *worlds);
  char **grants = calloc((size_t)argc, sizeof *grants);
  char **memsizes = calloc((size_t)argc, sizeof *memsizes), **trusts = calloc((size_t)argc, sizeof *trusts);
  int nmemsizes = 0, ntrusts = 0;
  bool single = false;
  int ninputs = 0, nwires = 0, nexports = 0, nwits = 0, nworlds = 0, ngrants = 0, status = 1;
  mb_link *l = NULL;
  mb_module *fused = NULL, *glue = NULL;
  mb_wit *wit = NULL;
  mb_diag d = {0};
  if (!inputs || !wires || !exports || !wits || !worlds || !grants || !memsizes || !trusts) {
    fail("out of memory", NULL);
    goto out;
  }
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    bool has_value = strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0 ||
                     strcmp(a, "--main") == 0 || strcmp(a, "--wire") == 0 ||
                     strcmp(a, "--export") == 0 || strcmp(a, "--dot") == 0 ||
                     strcmp(a, "--wit") == 0 || strcmp(a, "--world") == 0 ||
                     strcmp(a, "--grant-caller-memory") == 0 || strcmp(a, "--memory") == 0 ||
                     strcmp(a, "--memory-size") == 0 || strcmp(a, "--trust") == 0;
    if (has_value && i + 1 == argc) {
      fail("missing value after", a);
      goto out;
    }
    if (mb_cli_is_help(a)) {
      usage(stdout);
      status = 0;
      goto out;
    } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) out = argv[++i];
    else if (strcmp(a, "--main") == 0) main_name = argv[++i];
    else if (strcmp(a, "--wire") == 0) wires[nwires++] = argv[++i];
    else if (strcmp(a, "--export") == 0) exports[nexports++] = argv[++i];
    else if (strcmp(a, "--dot") == 0) dot = argv[++i];
    else if (strcmp(a, "--wit") == 0) wits[nwits++] = argv[++i];
    else if (strcmp(a, "--world") == 0) worlds[nworlds++] = argv[++i];
    else if (strcmp(a, "--grant-caller-memory") == 0) grants[ngrants++] = argv[++i];
    else if (strcmp(a, "--memory") == 0) {
      const char *v = argv[++i];
      if (strcmp(v, "multi") == 0) single = false;
      else if (strcmp(v, "single") == 0) single = true;
      else {
        fprintf(stderr, "membrane link: --memory '%s': expected multi or single\n", v);
        goto out;
      }
    } else if (strcmp(a, "--memory-size") == 0) memsizes[nmemsizes++] = argv[++i];
    else if (strcmp(a, "--trust") == 0) trusts[ntrusts++] = argv[++i];
    else if (strcmp(a, "--dry-run") == 0) dry_run = true;
    else if (strcmp(a, "--stub-missing") == 0) policy = MB_UNRESOLVED_STUB;
    else if (strcmp(a, "--require-resolved") == 0) policy = MB_UNRESOLVED_ERROR;
    else if (a[0] == '-' && a[1]) {
      fprintf(stderr, "membrane link: unknown option '%s' (see membrane link --help)\n", a);
      goto out;
    } else {
      input *in = &inputs[ninputs++];
      if (!(in->name = mb_cli_instance_name(a, &in->path))) {
        fail("out of memory", NULL);
        goto out;
      }
    }
  }
  if (!ninputs) {
    fail("no input modules: give NAME=FILE.wasm for each instance (see --help)", NULL);
    goto out;
  }
  if (!out && !dry_run && !dot) {
    fail("no output file: use -o OUT.wasm (or --dry-run)", NULL);
    goto out;
  }
  if (!(l = mb_link_new())) {
    fail("out of memory", NULL);
    goto out;
  }
  mb_link_set_warn(l, warn, NULL);
  mb_link_set_unresolved(l, policy);
  for (int i = 0; i < ninputs; i++) {
    for (int k = 0; k < i; k++)
      if (strcmp(inputs[k].name, inputs[i].name) == 0) {
        fprintf(stderr, "membrane link: two instances are called '%s' (%s and %s): name one with "
                        "NAME=FILE\n", inputs[i].name, inputs[k].path, inputs[i].path);
        goto out;
      }
    if (!mb_cli_load(&inputs[i].cm, inputs[i].path)) goto out;
    if (mb_link_add_instance(l, inputs[i].name, inputs[i].cm.module, inputs[i].path, &d)) {
      report(&d);
      goto out;
    }
  }
  if (mb_wasm_read(mb_virt_glue_wasm, mb_virt_glue_wasm_len, &glue, &d)) {
    fprintf(stderr, "membrane link: the embedded glue module: %s\n", d.message);
    goto out;
  }
  mb_link_set_glue(l, glue);
  if (nwits) {
    if (!(wit = mb_wit_new())) {
      fail("out of memory", NULL);
      goto out;
    }
    mb_wit_diag wd = {0};
    for (int i = 0; i < nwits && !wd.code; i++) mb_wit_add_path(wit, wits[i], &wd);
    if (!wd.code) mb_wit_resolve(wit, &wd);
    if (wd.code) {
      fail(wd.message, NULL);
      goto out;
    }
    mb_link_set_wit(l, wit);
  }
  for (int i = 0; i < nworlds; i++) {
    char *spec = strdup(worlds[i]);
    char *eq = spec ? strchr(spec, '=') : NULL;
    if (!spec || !eq || eq == spec || !eq[1]) {
      fprintf(stderr, "membrane link: --world '%s': expected INSTANCE=NAMESPACE:PACKAGE/WORLD\n",
              worlds[i]);
      free(spec);
      goto out;
    }
    *eq = 0;
    mb_link_err e = mb_link_set_world(l, spec, eq + 1, &d);
    free(spec);
    if (e) {
      report(&d);
      goto out;
    }
  }
  for (int i = 0; i < ngrants; i++)
    if (mb_link_grant_caller_memory(l, grants[i], &d)) {
      report(&d);
      goto out;
    }
  if ((nmemsizes || ntrusts) && !single) {
    fail("--memory-size and --trust apply to --memory single only", NULL);
    goto out;
  }
  mb_link_set_memory(l, single ? MB_MEMORY_SINGLE : MB_MEMORY_MULTI);
  for (int i = 0; i < nmemsizes; i++) {
    const char *eq = strrchr(memsizes[i], '=');
    char *end = NULL;
    unsigned long pages = eq ? strtoul(eq + 1, &end, 10) : 0;
    if (!eq || eq == memsizes[i] || !eq[1] || *end || pages == 0 || pages > 65536) {
      fprintf(stderr, "membrane link: --memory-size '%s': expected INSTANCE=PAGES (1..65536 "
                      "pages of 64 KiB)\n", memsizes[i]);
      goto out;
    }
    char *name = strndup(memsizes[i], (size_t)(eq - memsizes[i]));
    mb_link_err e = name ? mb_link_set_memory_size(l, name, (uint32_t)pages, &d) : MB_LINK_ERR_NOMEM;
    free(name);
    if (e) {
      report(&d);
      goto out;
    }
  }
  for (int i = 0; i < ntrusts; i++)
    if (mb_link_trust(l, trusts[i], &d)) {
      report(&d);
      goto out;
    }
  if (main_name && mb_link_set_main(l, main_name, &d)) {
    report(&d);
    goto out;
  }
  for (int i = 0; i < nwires; i++) {
    /* CONSUMER.M=PROVIDER: M may itself contain dots (e.g. example:counter/api) */
    char *spec = strdup(wires[i]);
    char *dotp = spec ? strchr(spec, '.') : NULL, *eq = spec ? strrchr(spec, '=') : NULL;
    if (!spec || !dotp || !eq || eq < dotp || dotp == spec || eq == dotp + 1 || !eq[1]) {
      fprintf(stderr, "membrane link: --wire '%s': expected CONSUMER.MODULE=PROVIDER\n", wires[i]);
      free(spec);
      goto out;
    }
    *dotp = *eq = 0;
    mb_link_err e = mb_link_wire(l, spec, dotp + 1, eq + 1, &d);
    free(spec);
    if (e) {
      report(&d);
      goto out;
    }
  }
  for (int i = 0; i < nexports; i++) {
    char *spec, *inst, *name, *as;
    if (!mb_cli_export_spec("link", exports[i], &spec, &inst, &name, &as)) goto out;
    mb_link_err e = mb_link_export(l, inst, name, as, &d);
    free(spec);
    if (e) {
      report(&d);
      goto out;
    }
  }
  if (mb_link_resolve(l, &d)) {
    report(&d);
    goto out;
  }
  if (dry_run && mb_link_describe(l, stdout, false, &d)) {
    report(&d);
    goto out;
  }
  if (dot) {
    FILE *f = fopen(dot, "w");
    if (!f) {
      perror(dot);
      goto out;
    }
    mb_link_err e = mb_link_describe(l, f, true, &d);
    if (fclose(f) != 0 && !e) {
      perror(dot);
      goto out;
    }
    if (e) {
      report(&d);
      goto out;
    }
  }
  /* Fuse even on --dry-run so every error a real run would hit is reported. */
  if (mb_link_fuse(l, &fused, &d)) {
    report(&d);
    goto out;
  }
  if (out && !dry_run && mb_wasm_write_path(fused, out, &d)) {
    report(&d);
    goto out;
  }
  status = 0;
out:
  mb_module_free(fused);
  mb_link_free(l);
  mb_module_free(glue);
  mb_wit_free(wit);
  for (int i = 0; inputs && i < ninputs; i++) {
    mb_cli_unload(&inputs[i].cm);
    free(inputs[i].name);
  }
  free(inputs);
  free(wires);
  free(exports);
  free(wits);
  free(grants);
  free(worlds);
  free(memsizes);
  free(trusts);
  return status;
}
