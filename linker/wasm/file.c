/* file.c — reading a whole input file. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

mb_err mb_file_read(const mb_allocator *alloc, const char *path, uint8_t **data, size_t *len,
                    mb_diag *diag) {
  *data = NULL;
  *len = 0;
  FILE *f = fopen(path, "rb");
  if (!f) return mb_wasm_fail(diag, MB_ERR_IO, 0, "cannot open %s: %s", path, strerror(errno));
  mb_err e = MB_OK;
  struct stat st;
  uint8_t *buf = NULL;
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
    e = mb_wasm_fail(diag, MB_ERR_IO, 0, "cannot read %s: not a regular file", path);
    goto out;
  }
  size_t size = (size_t)st.st_size;
  if (!(buf = mb_mem_alloc(alloc, size ? size : 1))) {
    e = mb_wasm_fail(diag, MB_ERR_NOMEM, 0, "out of memory reading %s (%zu bytes)", path, size);
    goto out;
  }
  if (fread(buf, 1, size, f) != size) {
    e = mb_wasm_fail(diag, MB_ERR_IO, 0, "cannot read %s: %s", path, strerror(errno));
    mb_mem_free(alloc, buf);
    buf = NULL;
    goto out;
  }
  *data = buf;
  *len = size;
out:
  fclose(f);
  return e;
}

void mb_file_free(const mb_allocator *alloc, uint8_t *data, size_t len) {
  (void)len;
  mb_mem_free(alloc, data);
}
