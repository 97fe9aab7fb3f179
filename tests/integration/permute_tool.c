/* permute_tool — `permute_tool IN OUT`: read IN, reverse every index space
 * (reverse_permute.h) and write the equivalent module to OUT. Used by run_permuted.mjs to
 * run a fixture and its permuted twin side by side. Exit status 1 on any error. */
#include <stdio.h>

#include "membrane_link.h"
#include "reverse_permute.h"

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: permute_tool IN.wasm OUT.wasm\n");
    return 2;
  }
  uint8_t *data = NULL;
  size_t len = 0;
  mb_module *m = NULL;
  mb_diag diag = {0};
  int status = 1;
  mb_err e = mb_file_read(NULL, argv[1], &data, &len, &diag);
  if (!e) e = mb_wasm_read(NULL, data, len, &m, &diag);
  if (!e) e = mbt_reverse_permute(m, &diag);
  if (!e) e = mb_wasm_write_path(m, argv[2], &diag);
  if (e)
    fprintf(stderr, "permute_tool: %s: %s at offset %llu: %s\n", argv[1], mb_err_name(e),
            (unsigned long long)diag.offset, diag.message);
  else
    status = 0;
  mb_module_free(m);
  mb_file_free(NULL, data, len);
  return status;
}
