/* fuzz_link.c — mb_link_fuse (multi-memory, the default) on two or three modules wired
 * together by their imports and exports.
 *
 * Input: CONFIG MODULE MODULE [MODULE]. The modules are split at each "\0asm" (the
 * preamble every module starts with): the bytes before the first one are the
 * configuration, a third module runs to the end of the input. Fewer than two modules
 * read: nothing to do (fuzz_link_single links one module with itself).
 *
 * The instances are called "app", "lib" and "c", so the link compositions of tests/link
 * (app imports lib) are seeds as they are. Configuration bytes, in order (missing = 0):
 *   0: bits 0-1 the unresolved-import policy (3 = import), bit 2 a main instance other
 *      than the first (the last), bit 3 explicit exports (every export of every
 *      instance, renamed "INSTANCE.NAME");
 *   then one byte per distinct import module name that names no instance (nor WASI), in
 *   instance and import order: byte % (n + 1) == 0 leaves it alone, k --wires it to
 *   instance k - 1 (itself included: the linker must refuse that with a diagnostic).
 *
 * What must hold: every step either fails with a diagnostic whose code is the returned
 * error (a non-empty message) and no output, or the fused module writes, reads back with
 * every body index-checked, and writes back byte for byte (fuzz_link_common.h). The same
 * under injected allocation failures (each MB_LINK_ERR_NOMEM, the same output otherwise). Any
 * failure aborts. */
#include "fuzz_link_common.h"

#define FZ_MAX_MODULES 3

static const char *const inst_names[FZ_MAX_MODULES] = {"app", "lib", "c"};

typedef struct fz_input {
  const uint8_t *cfg;
  size_t ncfg, cfg_pos;
  const uint8_t *mod[FZ_MAX_MODULES];
  size_t len[FZ_MAX_MODULES];
  int n;
} fz_input;

static void split(const uint8_t *data, size_t size, fz_input *in) {
  static const uint8_t magic[4] = {0, 'a', 's', 'm'};
  memset(in, 0, sizeof *in);
  size_t starts[FZ_MAX_MODULES];
  int n = 0;
  for (size_t i = 0; i + 4 <= size && n < FZ_MAX_MODULES; i++) {
    if (memcmp(data + i, magic, 4) == 0) {
      starts[n++] = i;
      i += 3;
    }
  }
  in->n = n;
  in->cfg = data;
  in->ncfg = n ? starts[0] : size;
  for (int k = 0; k < n; k++) {
    in->mod[k] = data + starts[k];
    in->len[k] = (k + 1 < n ? starts[k + 1] : size) - starts[k];
  }
}

static uint8_t cfg_byte(fz_input *in) {
  return in->cfg_pos < in->ncfg ? in->cfg[in->cfg_pos++] : 0;
}

static bool bytes_eq(const mb_bytes *a, const mb_bytes *b) {
  return a->len == b->len && (a->len == 0 || memcmp(a->ptr, b->ptr, a->len) == 0);
}

static bool names_instance(const mb_bytes *name, int n) {
  for (int k = 0; k < n; k++)
    if (name->len == strlen(inst_names[k]) && memcmp(name->ptr, inst_names[k], name->len) == 0)
      return true;
  return false;
}

static bool is_wasi(const mb_bytes *name) {
  return (name->len == 22 && memcmp(name->ptr, "wasi_snapshot_preview1", 22) == 0) ||
         (name->len == 13 && memcmp(name->ptr, "wasi_unstable", 13) == 0);
}

/* MB_FUZZ_OUT=DIR (link_validate.sh): each clean run's linked output as DIR/N.out.wasm
 * with its input modules as DIR/N.in.K.wasm, so that an outside validator can check
 * that valid inputs give a valid output. */
static void save_link(const fz_input *in, const mb_module *out) {
  static const char *dir;
  static int checked;
  static unsigned n;
  if (!checked) dir = getenv("MB_FUZZ_OUT"), checked = 1;
  if (!dir) return;
  char path[4096];
  for (int k = 0; k < in->n; k++) {
    snprintf(path, sizeof path, "%s/%u.in.%d.wasm", dir, n, k);
    FILE *f = fopen(path, "wb");
    FUZZ_CHECK(f && fwrite(in->mod[k], 1, in->len[k], f) == in->len[k] && fclose(f) == 0,
               "cannot write %s", path);
  }
  mb_diag d;
  snprintf(path, sizeof path, "%s/%u.out.wasm", dir, n++);
  FUZZ_CHECK(mb_wasm_write_path(out, path, &d) == MB_OK, "cannot write %s", path);
}

/* The link's steps; *stop when an injected allocation failure ended them. */
static void link_all(fz_input *in, mb_module **m, bool injecting, bool *stop, uint64_t *digest) {
  mb_diag d = {0};
  mb_module *out = NULL;
  mb_link_err e = MB_LINK_OK;
  *stop = false;
  mb_link *l = mb_link_new();
  if (!l) {
    FUZZ_CHECK(injecting, "mb_link_new failed without injected failures");
    *stop = true;
    return;
  }
  in->cfg_pos = 0;
  uint8_t flags = cfg_byte(in);
  static const mb_link_unresolved policies[4] = {MB_UNRESOLVED_IMPORT, MB_UNRESOLVED_STUB,
                                                 MB_UNRESOLVED_ERROR, MB_UNRESOLVED_IMPORT};
  mb_link_set_unresolved(l, policies[flags & 3]);
  for (int k = 0; k < in->n && !e; k++) e = mb_link_add_instance(l, inst_names[k], m[k], inst_names[k], &d);
  if (!e && (flags & 4)) e = mb_link_set_main(l, inst_names[in->n - 1], &d);
  /* --wire for import modules that name no instance; each name once per consumer */
  for (int k = 0; k < in->n && !e; k++) {
    for (uint32_t i = 0; i < m[k]->nimports && !e; i++) {
      const mb_bytes *mod = &m[k]->imports[i].module;
      if (names_instance(mod, in->n) || is_wasi(mod) || (mod->len && memchr(mod->ptr, 0, mod->len))) continue;
      bool seen = false;
      for (uint32_t j = 0; j < i && !seen; j++)
        seen = bytes_eq(&m[k]->imports[j].module, mod);
      if (seen) continue;
      int p = cfg_byte(in) % (in->n + 1) - 1;
      if (p < 0) continue;
      char name[64];
      size_t len = mod->len < sizeof name - 1 ? mod->len : sizeof name - 1;
      memcpy(name, mod->ptr, len);
      name[len] = 0;
      e = mb_link_wire(l, inst_names[k], name, inst_names[p], &d);
    }
  }
  if (!e && (flags & 8)) {
    for (int k = 0; k < in->n && !e; k++) {
      for (uint32_t i = 0; i < m[k]->nexports && !e; i++) {
        const mb_bytes *nm = &m[k]->exports[i].name;
        if ((nm->len && memchr(nm->ptr, 0, nm->len)) || nm->len > 40) continue;
        char name[48], as[56];
        memcpy(name, nm->ptr, nm->len);
        name[nm->len] = 0;
        snprintf(as, sizeof as, "%s.%s", inst_names[k], name);
        e = mb_link_export(l, inst_names[k], name, as, &d);
      }
    }
  }
  if (!e) e = mb_link_fuse(l, &out, &d);
  if (e == MB_LINK_ERR_NOMEM && injecting) {
    *stop = true;
    goto out;
  }
  *digest = fz_link_record(*digest, e, &d);
  if (e) {
    FUZZ_CHECK(out == NULL, "a failed link left an output");
    goto out;
  }
  fz_link_check_output(out, UINT32_MAX, injecting, stop, digest);
  if (!injecting) save_link(in, out);
out:
  mb_module_free(out);
  mb_link_free(l);
}

static fz_result steps(const uint8_t *data, size_t size, bool injecting, uint64_t *digest) {
  fz_input in;
  split(data, size, &in);
  mb_module *m[FZ_MAX_MODULES] = {0};
  fz_result res = FZ_DONE;
  int nread = 0;
  for (int k = 0; k < in.n; k++) {
    mb_diag d;
    mb_err e = mb_wasm_read(in.mod[k], in.len[k], &m[k], &d);
    if (e == MB_ERR_NOMEM && injecting) {
      res = FZ_STOPPED;
      goto out;
    }
    if (e) goto out; /* fuzz_wasm_read covers the reader */
    nread++;
  }
  if (nread >= 2) {
    bool stop = false;
    link_all(&in, m, injecting, &stop, digest);
    if (stop) res = FZ_STOPPED;
  }
out:
  for (int k = 0; k < FZ_MAX_MODULES; k++) mb_module_free(m[k]);
  return res;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_run_with_oom(steps, data, size);
  return 0;
}

#ifdef MB_FUZZ_LIBFUZZER
/* Mutates one part at a time (the configuration or one module) and leaves the others
 * as they are: a mutation anywhere breaks a module's reading more often than not, and
 * the link is reached only when every module reads. */
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned seed);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned seed) {
  fz_input in;
  split(data, size, &in);
  if (in.n < 2 || seed % 8 == 0 || max_size < size) return LLVMFuzzerMutate(data, size, max_size);
  int k = (int)(seed / 8 % (unsigned)(in.n + 1));
  size_t start = k ? (size_t)(in.mod[k - 1] - data) : 0, len = k ? in.len[k - 1] : in.ncfg;
  size_t tail = size - start - len;
  if (len == 0) return LLVMFuzzerMutate(data, size, max_size);
  uint8_t *saved = malloc(tail ? tail : 1);
  if (!saved) return LLVMFuzzerMutate(data, size, max_size);
  memcpy(saved, data + start + len, tail);
  size_t n = LLVMFuzzerMutate(data + start, len, max_size - start - tail);
  memcpy(data + start + n, saved, tail);
  free(saved);
  return start + n + tail;
}
#endif
