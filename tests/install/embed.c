/* embed.c — an embedder of the installed libraries (tests/install/install.sh).
 *
 * Built outside the project, against the installed tree only:
 *   cc embed.c $(pkg-config --cflags --libs membrane)
 * so it includes nothing but the public headers and links nothing but what membrane.pc
 * lists. It uses one thing of each library: the binary model (read, write, questions),
 * the link session (fuse a command with the reactor it imports from), the resource ABI
 * glue (mb_virt_glue_wasm, from libmb_virt), and the wasi-virt policy's JSON reader.
 *
 * usage: embed APP.wasm MATHLIB.wasm OUT.wasm
 * Prints one `key: value` line per check; exit 0 only when every check holds.
 */
#include <stdio.h>
#include <string.h>

#include <membrane_link.h>
#include <membrane_virt.h>
#include <membrane_wasi_virt.h>

static int failures;

static void check(const char *key, int ok, const char *detail) {
  printf("%s: %s%s%s\n", key, ok ? "ok" : "FAIL", detail ? " " : "", detail ? detail : "");
  if (!ok) failures++;
}

/* Reads path into *out; *data must outlive the module (it borrows the bytes). */
static int read_module(const char *path, uint8_t **data, size_t *len, mb_module **out) {
  mb_diag d = {0};
  if (mb_file_read(path, data, len, &d) || mb_wasm_read(*data, *len, out, &d)) {
    fprintf(stderr, "embed: %s: %s (%s, offset %llu)\n", path, d.message, mb_err_name(d.code),
            (unsigned long long)d.offset);
    return 0;
  }
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: embed APP.wasm MATHLIB.wasm OUT.wasm\n");
    return 2;
  }
  uint8_t *app_bytes = NULL, *lib_bytes = NULL, *out_bytes = NULL;
  size_t app_len = 0, lib_len = 0, out_len = 0;
  mb_module *app = NULL, *lib = NULL, *glue = NULL, *fused = NULL, *reread = NULL;
  mb_diag d = {0};

  if (!read_module(argv[1], &app_bytes, &app_len, &app) ||
      !read_module(argv[2], &lib_bytes, &lib_len, &lib))
    return 1;
  check("read", mb_module_imports_from(app, "mathlib"), "app imports from mathlib");

  int glue_ok = mb_wasm_read(mb_virt_glue_wasm, mb_virt_glue_wasm_len, &glue, &d) == MB_OK;
  check("glue", glue_ok, glue_ok ? NULL : d.message);

  mb_link *l = mb_link_new();
  int linked = l && glue_ok && mb_link_add_instance(l, "app", app, argv[1], &d) == MB_LINK_OK &&
               mb_link_add_instance(l, "mathlib", lib, argv[2], &d) == MB_LINK_OK;
  if (linked) {
    mb_link_set_glue(l, glue);
    mb_link_set_unresolved(l, MB_UNRESOLVED_ERROR);
    linked = mb_link_fuse(l, &fused, &d) == MB_LINK_OK;
  }
  check("link", linked, linked ? NULL : d.message);

  int written = linked && mb_wasm_write_path(fused, argv[3], &d) == MB_OK;
  check("write", written, written ? NULL : d.message);

  /* The output read back: two memories (app's and mathlib's, no glue: nothing needs
   * it), app's _start exported, nothing left to import from mathlib. */
  if (written && read_module(argv[3], &out_bytes, &out_len, &reread)) {
    char detail[64];
    snprintf(detail, sizeof detail, "%u memories", mb_module_count(reread, MB_KIND_MEMORY));
    check("reread_memories", mb_module_count(reread, MB_KIND_MEMORY) == 2, detail);
    check("reread_start", mb_module_find_export(reread, "_start", 6, MB_KIND_FUNC) >= 0, NULL);
    check("reread_no_mathlib_import", !mb_module_imports_from(reread, "mathlib"), NULL);
  } else {
    check("reread", 0, NULL);
  }

  mb_wv_policy p;
  mb_wv_diag pd = {0};
  mb_wv_policy_init(&p);
  static const char json[] = "{\"mem\": \"/tmp:1M\", \"env\": [\"HOME=/tmp\"]}";
  int pol = mb_wv_policy_parse_json(&p, NULL, json, strlen(json), &pd) == MB_WV_OK &&
            mb_wv_policy_check(&p, &pd) == MB_WV_OK;
  check("policy_json", pol && p.mount_count == 1 && p.env_count == 1, pol ? NULL : pd.message);
  mb_wv_policy_fini(&p);

  mb_module_free(reread);
  mb_module_free(fused);
  mb_link_free(l);
  mb_module_free(glue);
  mb_module_free(lib);
  mb_module_free(app);
  if (out_bytes) mb_file_free(out_bytes, out_len);
  mb_file_free(lib_bytes, lib_len);
  mb_file_free(app_bytes, app_len);
  printf("result: %s\n", failures ? "FAIL" : "ok");
  return failures ? 1 : 0;
}
