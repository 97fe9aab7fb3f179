/* compose.c — `membrane virt`: an application fused with wasi-virt in front of the
 * host's WASI. Native only; the linker does the fusing. Besides the two real modules
 * it links two small generated ones, built as models with the wasm library's builder:
 *   membrane_config  the configuration blob as a passive data segment, copied into
 *                    wasi-virt's memory at start-up (membrane:config size/copy);
 *   membrane_host    the host preview1 functions wasi-virt imports: the ones the policy
 *                    needs are re-exported host imports, the rest are stubs that return
 *                    notcapable, so the output imports from the host only what the
 *                    policy passes through. It also imports wasi-virt's memory, which
 *                    makes that the memory exported as `memory` for the host.
 * With --save there is a third, membrane_entry, the output's _start: the program's
 * _start, then wasi-virt's membrane:exit, which saves the trees (p1_save.c). It is the
 * link's main instance, so the linker's generated _start still initializes wasi-virt
 * first; the program's other exports are exported by name.
 * wasi-virt reaches its clients' memories through the linker's caller-memory access
 * (membrane:caller read/write/id, granted to wasi_virt): every instance that imports
 * wasi_snapshot_preview1 is a client with its own descriptor table. No client's memory
 * is exported: the host never sees them. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "membrane_link.h"
#include "membrane_wasm_emit.h"
#include "vfs_internal.h"

#define fail mb__policy_fail

/* ---- the generated modules: built as models (the linker takes them as they are) ---- */

static mb_bytes str(const char *s) { return (mb_bytes){(const uint8_t *)s, (uint32_t)strlen(s)}; }

static mb_err import_func(mb_module *m, mb_bytes module, mb_bytes field, uint32_t type,
                          uint32_t *index, mb_diag *d) {
  const mb_import im = {module, field, MB_KIND_FUNC, {.func_type = type}};
  return mb_module_add_import(m, &im, index, d);
}

static mb_err import_memory(mb_module *m, const char *module, const mb_limits *l, mb_diag *d) {
  const mb_import im = {str(module), str("memory"), MB_KIND_MEMORY, {.memory = *l}};
  return mb_module_add_import(m, &im, NULL, d);
}

/* The limits of m's exported memory `memory`, or NULL. */
static const mb_limits *exported_memory(const mb_module *m) {
  int64_t i = mb_module_find_export(m, "memory", 6, MB_KIND_MEMORY);
  return i < 0 ? NULL : mb_module_memory(m, (uint32_t)i);
}

static const mb_valtype I32[] = {0x7F, 0x7F, 0x7F};

/* A function of type t whose body (no locals) is what b holds, then end. */
static mb_err add_code(mb_module *m, uint32_t t, mb_buf *b, uint32_t *index, mb_diag *d) {
  mb_wasm_emit(b, MB_OP_END);
  mb_err e = b->failed ? MB_ERR_NOMEM : mb_module_add_func(m, t, b->data, b->len, index, d);
  b->len = 0;
  mb_buf_byte(b, 0); /* the next body's local groups: none */
  return e;
}

/* membrane_config: (import "wasi_virt" "memory") (data passive BLOB)
 *   size() -> i32, copy(dst, off, len) = memory.init. blob must outlive the module. */
static mb_err config_module(mb_module *m, const mb_limits *virt_mem, const uint8_t *blob,
                            size_t len, mb_diag *d) {
  static const mb_functype size_t_ = {0, 1, NULL, I32}, copy_t = {3, 0, I32, NULL};
  const mb_data seg = {MB_SEG_PASSIVE, 0, {NULL, 0}, {blob, (uint32_t)len}};
  uint32_t t_size, t_copy, f_size, f_copy;
  mb_buf b;
  mb_buf_init(&b, mb_module_allocator(m));
  mb_buf_byte(&b, 0);
  mb_err e;
  if (!(e = mb_module_add_type(m, &size_t_, &t_size, d)) &&
      !(e = mb_module_add_type(m, &copy_t, &t_copy, d)) &&
      !(e = import_memory(m, "wasi_virt", virt_mem, d))) {
    mb_wasm_emit_i32(&b, (int32_t)(uint32_t)len); /* len <= INT32_MAX: the caller checks */
    e = add_code(m, t_size, &b, &f_size, d);
  }
  if (!e) {
    for (uint32_t i = 0; i < 3; i++) mb_wasm_emit_u32(&b, MB_OP_LOCAL_GET, i);
    mb_wasm_emit_fc(&b, MB_FC_MEMORY_INIT);
    mb_buf_u32(&b, 0); /* data 0 */
    mb_buf_byte(&b, 0); /* memory 0 */
    e = add_code(m, t_copy, &b, &f_copy, d);
  }
  if (!e && !(e = mb_module_add_export(m, "size", 4, MB_KIND_FUNC, f_size, d)) &&
      !(e = mb_module_add_export(m, "copy", 4, MB_KIND_FUNC, f_copy, d)))
    e = mb_module_add_data(m, &seg, NULL, d);
  if (!e) mb_module_set_datacount(m, true);
  mb_buf_fini(&b);
  return e;
}

/* membrane_host: every wasi_snapshot_preview1 import of wasi-virt, re-exported from the
 * host when allowed (bit i of allow: mb_wasi_func_names[i]), a notcapable stub if not. */
static mb_err host_module(mb_module *m, const mb_module *virt, const mb_limits *virt_mem,
                          uint64_t allow, mb_diag *d) {
  mb_buf b;
  mb_buf_init(&b, mb_module_allocator(m));
  mb_buf_byte(&b, 0);
  mb_err e = import_memory(m, "wasi_virt", virt_mem, d);
  /* imported functions come first in the index space: two passes */
  for (int pass = 0; pass < 2 && !e; pass++) {
    for (uint32_t k = 0; k < virt->nimports && !e; k++) {
      const mb_import *im = &virt->imports[k];
      if (im->kind != MB_KIND_FUNC || !mb_bytes_eq(im->module, "wasi_snapshot_preview1")) continue;
      int f = mb_wasi_func_index((const char *)im->field.ptr, im->field.len);
      bool allowed = f >= 0 && (allow >> f & 1);
      if (allowed != (pass == 0)) continue;
      const mb_functype *t = &virt->types[im->u.func_type];
      uint32_t type, index;
      if ((e = mb_module_add_type(m, t, &type, d))) break;
      if (pass == 0) {
        e = import_func(m, im->module, im->field, type, &index, d);
      } else {
        /* an errno result: notcapable; none (proc_exit): a trap */
        if (t->nresults == 1) mb_wasm_emit_i32(&b, MB_WASI_ENOTCAPABLE);
        else mb_wasm_emit(&b, MB_OP_UNREACHABLE);
        e = add_code(m, type, &b, &index, d);
      }
      if (!e)
        e = mb_module_add_export(m, (const char *)im->field.ptr, im->field.len, MB_KIND_FUNC, index, d);
    }
  }
  mb_buf_fini(&b);
  return e;
}

/* membrane_entry: (import APP "_start") (import "wasi_virt" "membrane:exit")
 *   (func (export "_start") call 0 call 1) */
static mb_err entry_module(mb_module *m, const char *app, mb_diag *d) {
  static const mb_functype void_t = {0, 0, NULL, NULL};
  uint32_t t, start, exit_, f;
  mb_buf b;
  mb_buf_init(&b, mb_module_allocator(m));
  mb_buf_byte(&b, 0);
  mb_err e;
  if (!(e = mb_module_add_type(m, &void_t, &t, d)) &&
      !(e = import_func(m, str(app), str("_start"), t, &start, d)) &&
      !(e = import_func(m, str("wasi_virt"), str("membrane:exit"), t, &exit_, d))) {
    mb_wasm_emit_call(&b, start);
    mb_wasm_emit_call(&b, exit_);
    e = add_code(m, t, &b, &f, d);
  }
  if (!e) e = mb_module_add_export(m, "_start", 6, MB_KIND_FUNC, f, d);
  mb_buf_fini(&b);
  return e;
}

/* With membrane_entry as the main instance, the program's exports by name (the default
 * a link gives only to the main instance): its _start is the entry's, its `memory`
 * stays out (the output's is wasi-virt's). */
static mb_wv_err entry_exports(mb_link *l, const mb_wv_instance *app,
                               mb_wv_diag *diag) {
  mb_diag d;
  const mb_module *m = app->module;
  for (uint32_t i = 0; i < m->nexports; i++) {
    const mb_export *x = &m->exports[i];
    if (memchr(x->name.ptr, 0, x->name.len)) continue; /* no C string names it */
    char *nm = mb_mem_alloc(mb_module_allocator(m), (size_t)x->name.len + 1);
    if (!nm) return fail(diag, MB_WV_ERR_NOMEM, "", "out of memory");
    memcpy(nm, x->name.ptr, x->name.len);
    nm[x->name.len] = '\0';
    bool start = x->kind == MB_KIND_FUNC && !strcmp(nm, "_start");
    bool bad = !(x->kind == MB_KIND_MEMORY && !strcmp(nm, "memory")) &&
               mb_link_export(l, start ? "membrane_entry" : app->name, nm, NULL, &d);
    mb_mem_free(mb_module_allocator(m), nm);
    if (bad) return fail(diag, MB_WV_ERR_BAD_VALUE, app->path, "%s", d.message);
  }
  return MB_WV_OK;
}

/* The preview1 functions m imports (bit i: mb_wasi_func_names[i]). */
static uint64_t preview1_imports(const mb_module *m) {
  uint64_t f = 0;
  for (uint32_t k = 0; k < m->nimports; k++) {
    const mb_import *im = &m->imports[k];
    if (im->kind != MB_KIND_FUNC || im->module.len != 22 ||
        memcmp(im->module.ptr, "wasi_snapshot_preview1", 22) != 0)
      continue;
    int i = mb_wasi_func_index((const char *)im->field.ptr, im->field.len);
    if (i >= 0) f |= UINT64_C(1) << i;
  }
  return f;
}

static bool exports_func(const mb_module *m, const char *name) {
  size_t n = strlen(name);
  for (uint32_t k = 0; k < m->nexports; k++)
    if (m->exports[k].kind == MB_KIND_FUNC && m->exports[k].name.len == n &&
        memcmp(m->exports[k].name.ptr, name, n) == 0)
      return true;
  return false;
}

uint64_t mb_wv_single_pages(const mb_wv_policy *p, uint64_t initial_pages, uint64_t image_len) {
  const uint64_t page = 65536;
  uint64_t pages = initial_pages + 2 * ((image_len + page - 1) / page) + MB_WV_SINGLE_HEAP_PAGES;
  for (size_t i = 0; i < p->mount_count; i++) {
    const mb_wv_mount *m = &p->mounts[i];
    if (m->kind != MB_WV_MOUNT_MEM) continue;
    if (m->limit == MB_VFS_NO_LIMIT || m->limit > 65536 * page) pages += MB_WV_SINGLE_MEM_UNLIMITED_PAGES;
    else pages += 2 * ((m->limit + page - 1) / page);
  }
  return pages;
}

/* The program's exports the host asked for: only its own instances (wasi-virt's parts
 * are no API), and never as `memory`, which is wasi-virt's for the host's WASI. */
static mb_wv_err add_exports(mb_link *l, const mb_wv_instance *insts, size_t ninsts,
                             const mb_wv_export *exports, size_t nexports,
                             bool entry, mb_wv_diag *diag) {
  mb_diag d;
  for (size_t x = 0; x < nexports; x++) {
    const mb_wv_export *ex = &exports[x];
    const char *as = ex->as ? ex->as : ex->name;
    bool ours = false;
    for (size_t i = 0; i < ninsts; i++) ours |= strcmp(insts[i].name, ex->inst) == 0;
    if (!ours) {
      char names[200] = "";
      size_t n = 0;
      for (size_t i = 0; i < ninsts && n < sizeof names; i++)
        n += (size_t)snprintf(names + n, sizeof names - n, "%s'%s'", i ? ", " : "", insts[i].name);
      return fail(diag, MB_WV_ERR_BAD_VALUE, "--export",
                  "%s.%s: no instance called '%s' (the program's instances: %s)", ex->inst,
                  ex->name, ex->inst, names);
    }
    if (strcmp(as, "memory") == 0)
      return fail(diag, MB_WV_ERR_CONFLICT, "--export",
                  "%s.%s%s%s: the output's 'memory' is wasi-virt's (the host's WASI reads it); "
                  "export it under another name, e.g. --export %s.%s=%s_%s",
                  ex->inst, ex->name, ex->as ? "=" : "", ex->as ? ex->as : "", ex->inst,
                  ex->name, ex->inst, ex->name);
    /* with --save the program's _start is the entry's, which saves after it */
    bool start = entry && !strcmp(ex->inst, insts[0].name) && !strcmp(ex->name, "_start");
    if (mb_link_export(l, start ? "membrane_entry" : ex->inst, ex->name, ex->as, &d))
      return fail(diag, MB_WV_ERR_BAD_VALUE, "--export", "%s", d.message);
  }
  return MB_WV_OK;
}

/* Whether the recording a replay's configuration holds saved trees (--save). */
static bool replay_saves(const mb_buf *blob) {
  mb_wv_config outer, inner;
  mb_wv_log_reader rd;
  bool saves = false;
  if (mb_wv_config_parse(&blob->alloc, &outer, blob->data, blob->len)) return false;
  if (!mb_wv_log_open(&rd, outer.log_data, (size_t)outer.log_len) &&
      !mb_wv_config_parse(&blob->alloc, &inner, rd.config, rd.config_len)) {
    saves = inner.save_count > 0;
    mb_wv_config_fini(&inner);
  }
  mb_wv_config_fini(&outer);
  return saves;
}

mb_wv_err mb_wv_compose(const mb_wv_instance *insts, size_t ninsts,
                        const mb_wv_export *exports, size_t nexports,
                        const mb_wv_policy *p, const char *out_path,
                        void (*warn)(void *user, const char *message), void *user,
                        mb_wv_diag *diag) {
  return mb_wv_compose_memory(insts, ninsts, exports, nexports, p, NULL, out_path, warn, user,
                                diag);
}

mb_wv_err mb_wv_compose_memory(const mb_wv_instance *insts, size_t ninsts,
                               const mb_wv_export *exports, size_t nexports,
                               const mb_wv_policy *p,
                               const mb_wv_memory_opts *mem, const char *out_path,
                               void (*warn)(void *user, const char *message),
                               void *user, mb_wv_diag *diag) {
  static const char *const generated[] = {"wasi_virt", "membrane_host", "membrane_config",
                                          "membrane_entry"};
  mb_wv_err err = MB_WV_OK;
  mb_diag d;
  mb_module *virt = NULL, *config = NULL, *host = NULL, *fused = NULL, *entry = NULL;
  mb_link *l = NULL;
  mb_buf blob;
  mb_buf_init(&blob, &p->alloc);
  if (diag) memset(diag, 0, sizeof *diag);
  if (ninsts == 0) return fail(diag, MB_WV_ERR_BAD_VALUE, "", "no application");

  size_t clients = 0;
  uint64_t client_funcs = 0;
  for (size_t i = 0; i < ninsts; i++) {
    const mb_wv_instance *in = &insts[i];
    for (size_t k = 0; k < sizeof generated / sizeof *generated; k++)
      if (strcmp(in->name, generated[k]) == 0) {
        err = fail(diag, MB_WV_ERR_CONFLICT, in->path,
                   "the instance name '%s' is taken by wasi-virt's own parts: give it another "
                   "(NAME=%s)",
                   in->name, in->path);
        goto out;
      }
    if (mb_module_imports_from(in->module, "wasi_unstable")) {
      err = fail(diag, MB_WV_ERR_BAD_VALUE, in->path,
                 "imports from 'wasi_unstable' (WASI preview 0); wasi-virt implements "
                 "wasi_snapshot_preview1: rebuild the program with a current toolchain");
      goto out;
    }
    if (!mb_module_imports_from(in->module, "wasi_snapshot_preview1")) continue;
    clients++;
    client_funcs |= preview1_imports(in->module);
    const mb_limits *mem = exported_memory(in->module);
    if (!mem) {
      err = fail(diag, MB_WV_ERR_BAD_VALUE, in->path,
                 "exports no memory called 'memory': a WASI program must export its memory");
      goto out;
    }
    if (mem->flags & MB_LIMITS_64) {
      err = fail(diag, MB_WV_ERR_BAD_VALUE, in->path,
                 "its memory is 64-bit (memory64); WASI preview1 passes 32-bit pointers");
      goto out;
    }
  }
  if (clients == 0 && !exported_memory(insts[0].module)) {
    err = fail(diag, MB_WV_ERR_BAD_VALUE, insts[0].path,
               "exports no memory called 'memory' and imports no WASI: nothing to virtualize");
    goto out;
  }
  bool saves = p->save_count > 0;
  if (saves && !exports_func(insts[0].module, "_start")) {
    err = fail(diag, MB_WV_ERR_CONFLICT, insts[0].path,
               "--save copies the trees when the program exits, but it exports no _start (a "
               "reactor has no exit to save at); --save needs a command");
    goto out;
  }
  const char *base = strrchr(insts[0].path, '/');
  if ((err = mb_wv_config_build(p, base ? base + 1 : insts[0].path, NULL, &blob, diag)))
    goto out;
  if (blob.len > INT32_MAX) {
    err = fail(diag, MB_WV_ERR_BAD_VALUE, "--embed",
               "the embedded files and configuration take %zu bytes; at most 2 GiB fit in "
               "wasi-virt's memory",
               blob.len);
    goto out;
  }

  /* a replay of a run that saved trees at exit saves them again, against the log (the
   * host calls of the saves are in it and checked): the same exit, and the same status */
  if (p->replay_path) saves = replay_saves(&blob);
  if (saves && !exports_func(insts[0].module, "_start")) {
    err = fail(diag, MB_WV_ERR_CONFLICT, insts[0].path,
               "the recorded run saved trees at exit, but this program exports no _start");
    goto out;
  }

  /* a replay: whatever the recording mounted; record and replay are in the full one only */
  bool host_mounts = p->replay_path != NULL || p->record_path != NULL;
  for (size_t i = 0; i < p->mount_count; i++) host_mounts |= p->mounts[i].kind == MB_WV_MOUNT_HOST;
  if (mb_wasm_read(&p->alloc, host_mounts ? mb_wasi_virt_wasm : mb_wasi_virt_nohost_wasm,
                   host_mounts ? mb_wasi_virt_wasm_len : mb_wasi_virt_nohost_wasm_len, &virt,
                   &d)) {
    err = fail(diag, MB_WV_ERR_IO, "wasi-virt", "the built-in module is unreadable: %s",
               d.message);
    goto out;
  }
  const mb_limits *virt_mem = exported_memory(virt);
  mb_limits any = {0, 0, 0};
  if (!(config = mb_module_new(&p->alloc)) || !(host = mb_module_new(&p->alloc)) ||
      (saves && !(entry = mb_module_new(&p->alloc))) ||
      config_module(config, virt_mem ? virt_mem : &any, blob.data, blob.len, &d) ||
      host_module(host, virt, virt_mem ? virt_mem : &any, mb_wv_config_host_funcs(p, client_funcs), &d) ||
      (saves && entry_module(entry, insts[0].name, &d))) {
    err = fail(diag, MB_WV_ERR_NOMEM, "", "out of memory");
    goto out;
  }

  if (!(l = mb_link_new(&p->alloc))) {
    err = fail(diag, MB_WV_ERR_NOMEM, "", "out of memory");
    goto out;
  }
  if (warn) mb_link_set_warn(l, warn, user);
  const char *where = insts[0].path;
  bool bad = false;
  for (size_t i = 0; i < ninsts && !bad; i++) {
    where = insts[i].path;
    bad = mb_link_add_instance(l, insts[i].name, insts[i].module, insts[i].path, &d) != MB_LINK_OK;
  }
  bad = bad || mb_link_add_instance(l, "wasi_virt", virt, "wasi-virt", &d) ||
        mb_link_add_instance(l, "membrane_host", host, "membrane_host", &d) ||
        mb_link_add_instance(l, "membrane_config", config, "membrane_config", &d) ||
        (saves && (mb_link_add_instance(l, "membrane_entry", entry, "membrane_entry", &d) ||
                   mb_link_set_main(l, "membrane_entry", &d)));
  for (size_t i = 0; i < ninsts && !bad; i++) {
    where = insts[i].path;
    if (mb_module_imports_from(insts[i].module, "wasi_snapshot_preview1"))
      bad = mb_link_wire(l, insts[i].name, "wasi_snapshot_preview1", "wasi_virt", &d) != MB_LINK_OK;
  }
  if (!bad) where = insts[0].path;
  if (!bad && mem && mem->single) {
    /* the application grows, last; wasi-virt is a fixed region the policy sizes */
    uint64_t pages = mem->virt_pages ? mem->virt_pages
                                     : mb_wv_single_pages(p, virt_mem ? virt_mem->min : 0, blob.len);
    if (pages > 65536) {
      err = fail(diag, MB_WV_ERR_BAD_VALUE, "--memory single",
                 "wasi-virt's region would need %llu pages (more than 4 GiB) for this policy; "
                 "give --mem limits or --memory-size wasi_virt=PAGES",
                 (unsigned long long)pages);
      goto out;
    }
    mb_link_set_memory(l, MB_MEMORY_SINGLE);
    bad = mb_link_set_growable(l, insts[0].name, &d) ||
          mb_link_set_memory_size(l, "wasi_virt", (uint32_t)pages, &d) ||
          mb_link_trust(l, "wasi_virt", &d);
    for (size_t i = 0; i < ninsts && !bad; i++) {
      where = insts[i].path;
      if (insts[i].memory_pages) bad = mb_link_set_memory_size(l, insts[i].name, insts[i].memory_pages, &d);
      if (!bad && insts[i].trust) bad = mb_link_trust(l, insts[i].name, &d);
    }
    if (!bad) where = insts[0].path;
  }
  if (!bad && (err = add_exports(l, insts, ninsts, exports, nexports, saves, diag))) goto out;
  if (!bad && saves && nexports == 0 && (err = entry_exports(l, &insts[0], diag))) goto out;
  if (bad || mb_link_wire(l, "wasi_virt", "wasi_snapshot_preview1", "membrane_host", &d) ||
      mb_link_wire(l, "wasi_virt", "membrane:config", "membrane_config", &d) ||
      mb_link_grant_caller_memory(l, "wasi_virt", &d) || mb_link_fuse(l, &fused, &d)) {
    err = fail(diag, MB_WV_ERR_BAD_VALUE, where, "%s", d.message);
    goto out;
  }
  if (mb_wasm_write_path(fused, out_path, &d)) {
    err = fail(diag, MB_WV_ERR_IO, "", "%s", d.message);
    goto out;
  }

out:
  mb_module_free(fused);
  mb_link_free(l);
  mb_module_free(config);
  mb_module_free(host);
  mb_module_free(entry);
  mb_module_free(virt);
  mb_buf_fini(&blob);
  return err;
}
