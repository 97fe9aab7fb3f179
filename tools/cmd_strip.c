/* cmd_strip.c — `membrane strip IN -o OUT [--keep-names]`. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *out) {
  fputs("usage: membrane strip FILE.wasm -o OUT.wasm [--keep-names]\n\n"
        "Drop custom sections (DWARF, producers, name, ...). The module is decoded and\n"
        "checked first; the output is written atomically (temporary file, then rename).\n\n"
        "  -o, --output OUT   where to write the stripped module (may equal FILE)\n"
        "  --keep-names       keep the `name` section (function names in stack traces)\n"
        "  -h, --help         show this text\n",
        out);
}

int mb_cmd_strip(int argc, char **argv) {
  const char *in = NULL, *out = NULL;
  bool keep_names = false;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (mb_cli_is_help(a)) {
      usage(stdout);
      return 0;
    } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
      if (++i == argc) {
        fprintf(stderr, "membrane strip: %s needs a file name\n", a);
        return 1;
      }
      out = argv[i];
    } else if (strcmp(a, "--keep-names") == 0) {
      keep_names = true;
    } else if (a[0] == '-' && a[1]) {
      fprintf(stderr, "membrane strip: unknown option '%s' (see membrane strip --help)\n", a);
      return 1;
    } else if (in) {
      fprintf(stderr, "membrane strip: one input file only ('%s' and '%s')\n", in, a);
      return 1;
    } else {
      in = a;
    }
  }
  if (!in || !out) {
    fprintf(stderr, "membrane strip: %s\n", !in ? "no input file" : "no output file: use -o OUT.wasm");
    usage(stderr);
    return 1;
  }
  mb_cli_module cm;
  if (!mb_cli_load(&cm, in)) return 1;
  mb_module_strip_customs(cm.module, keep_names);
  mb_diag d = {0};
  int status = 0;
  if (mb_wasm_write_path(cm.module, out, &d)) {
    fprintf(stderr, "membrane strip: %s\n", d.message);
    status = 1;
  }
  mb_cli_unload(&cm);
  return status;
}
