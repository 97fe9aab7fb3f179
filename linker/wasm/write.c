/* write.c — the module writer. Clean sections are copied byte for byte (so a module read
 * and written unchanged comes out identical, whatever LEB padding its producer chose);
 * dirty ones are encoded from the model with minimal LEB128. Output goes to a sink: a
 * memory buffer or a FILE, so large modules are streamed rather than copied. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

typedef struct sink {
  mb_buf *buf;
  FILE *file;
  bool failed;
} sink;

static void put(sink *s, const void *p, size_t n) {
  if (s->failed || !n) return;
  if (s->buf) s->failed = !mb_buf_append(s->buf, p, n);
  else s->failed = fwrite(p, 1, n, s->file) != n;
}

static void put_bytes(mb_buf *b, mb_bytes v) { mb_buf_append(b, v.ptr, v.len); }
static void put_name(mb_buf *b, mb_bytes v) {
  mb_buf_u32(b, v.len);
  put_bytes(b, v);
}

static void put_limits(mb_buf *b, const mb_limits *l) {
  mb_buf_byte(b, l->flags);
  mb_buf_u64(b, l->min);
  if (l->flags & MB_LIMITS_HAS_MAX) mb_buf_u64(b, l->max);
}

static void put_tabletype(mb_buf *b, const mb_tabletype *t) {
  mb_buf_valtype(b, t->elemtype);
  put_limits(b, &t->limits);
}

static void put_globaltype(mb_buf *b, const mb_globaltype *g) {
  mb_buf_valtype(b, g->valtype);
  mb_buf_byte(b, g->mutable_ ? 1 : 0);
}

static void put_functype(mb_buf *b, const mb_functype *t) {
  mb_buf_byte(b, MB_COMP_FUNC);
  mb_buf_u32(b, t->nparams);
  for (uint32_t k = 0; k < t->nparams; k++) mb_buf_valtype(b, t->params[k]);
  mb_buf_u32(b, t->nresults);
  for (uint32_t k = 0; k < t->nresults; k++) mb_buf_valtype(b, t->results[k]);
}

static void put_field(mb_buf *b, const mb_field *f) {
  mb_buf_valtype(b, f->type);
  mb_buf_byte(b, f->mutable_ ? 1 : 0);
}

static void put_subtype(mb_buf *b, const mb_functype *ft, const mb_typedef *td) {
  if (td->sub != MB_SUB_NONE) {
    mb_buf_byte(b, td->sub);
    mb_buf_u32(b, td->has_super ? 1 : 0);
    if (td->has_super) mb_buf_u32(b, td->super);
  }
  switch (td->form) {
  case MB_COMP_STRUCT:
    mb_buf_byte(b, MB_COMP_STRUCT);
    mb_buf_u32(b, td->nfields);
    for (uint32_t k = 0; k < td->nfields; k++) put_field(b, &td->fields[k]);
    break;
  case MB_COMP_ARRAY:
    mb_buf_byte(b, MB_COMP_ARRAY);
    put_field(b, &td->fields[0]);
    break;
  default: put_functype(b, ft); break;
  }
}

/* Rec groups as the model has them: a group of one without 0x4E is a bare subtype. */
static void enc_types(const mb_module *m, mb_buf *b) {
  const mb_typedef *td = m->typedefs;
  uint32_t ngroups = 0;
  for (uint32_t i = 0; i < m->ntypes; i++) ngroups += !td || td[i].rec == i;
  mb_buf_u32(b, ngroups);
  for (uint32_t i = 0; i < m->ntypes; i++) {
    if (!td) {
      put_functype(b, &m->types[i]);
      continue;
    }
    if (td[i].rec == i && td[i].rec_explicit) {
      mb_buf_byte(b, 0x4E);
      mb_buf_u32(b, td[i].rec_size);
    }
    put_subtype(b, &m->types[i], &td[i]);
  }
}

static void enc_imports(const mb_module *m, mb_buf *b) {
  mb_buf_u32(b, m->nimports);
  for (uint32_t i = 0; i < m->nimports; i++) {
    const mb_import *im = &m->imports[i];
    put_name(b, im->module);
    put_name(b, im->field);
    mb_buf_byte(b, (uint8_t)im->kind);
    switch (im->kind) {
    case MB_KIND_FUNC: mb_buf_u32(b, im->u.func_type); break;
    case MB_KIND_TABLE: put_tabletype(b, &im->u.table); break;
    case MB_KIND_MEMORY: put_limits(b, &im->u.memory); break;
    case MB_KIND_GLOBAL: put_globaltype(b, &im->u.global); break;
    case MB_KIND_TAG:
      mb_buf_byte(b, 0);
      mb_buf_u32(b, im->u.tag_type);
      break;
    }
  }
}

static void enc_functions(const mb_module *m, mb_buf *b) {
  mb_buf_u32(b, m->nfuncs);
  for (uint32_t i = 0; i < m->nfuncs; i++) mb_buf_u32(b, m->func_types[i]);
}

static void enc_tables(const mb_module *m, mb_buf *b) {
  mb_buf_u32(b, m->ntables);
  for (uint32_t i = 0; i < m->ntables; i++) {
    const mb_table *t = &m->tables[i];
    if (t->init.len) {
      mb_buf_byte(b, 0x40);
      mb_buf_byte(b, 0x00);
    }
    put_tabletype(b, &t->type);
    put_bytes(b, t->init);
  }
}

static void enc_memories(const mb_module *m, mb_buf *b) {
  mb_buf_u32(b, m->nmemories);
  for (uint32_t i = 0; i < m->nmemories; i++) put_limits(b, &m->memories[i]);
}

static void enc_tags(const mb_module *m, mb_buf *b) {
  mb_buf_u32(b, m->ntags);
  for (uint32_t i = 0; i < m->ntags; i++) {
    mb_buf_byte(b, 0);
    mb_buf_u32(b, m->tag_types[i]);
  }
}

static void enc_globals(const mb_module *m, mb_buf *b) {
  mb_buf_u32(b, m->nglobals);
  for (uint32_t i = 0; i < m->nglobals; i++) {
    put_globaltype(b, &m->globals[i].type);
    put_bytes(b, m->globals[i].init);
  }
}

static void enc_exports(const mb_module *m, mb_buf *b) {
  mb_buf_u32(b, m->nexports);
  for (uint32_t i = 0; i < m->nexports; i++) {
    put_name(b, m->exports[i].name);
    mb_buf_byte(b, (uint8_t)m->exports[i].kind);
    mb_buf_u32(b, m->exports[i].index);
  }
}

static void enc_start(const mb_module *m, mb_buf *b) { mb_buf_u32(b, m->start); }

/* The smallest flags value for the segment, keeping an explicit table index when the
 * input had one (wabt and LLVM choose differently; both stay byte-stable). */
static uint32_t elem_flags(const mb_elem *s) {
  uint32_t exprs = s->exprs ? 4 : 0;
  switch (s->mode) {
  case MB_SEG_PASSIVE: return 1 | exprs;
  case MB_SEG_DECLARATIVE: return 3 | exprs;
  case MB_SEG_ACTIVE: break;
  }
  bool implicit_ok = s->table == 0 && s->reftype == 0x70 && !(s->flags & 2);
  return (implicit_ok ? 0 : 2) | exprs;
}

static void enc_elements(const mb_module *m, mb_buf *b) {
  mb_buf_u32(b, m->nelems);
  for (uint32_t i = 0; i < m->nelems; i++) {
    const mb_elem *s = &m->elems[i];
    uint32_t flags = elem_flags(s);
    mb_buf_u32(b, flags);
    if (flags & 2 && !(flags & 1)) mb_buf_u32(b, s->table);
    if (!(flags & 1)) put_bytes(b, s->offset);
    if (flags & 3) { /* passive, declarative or explicit table: type field present */
      if (s->exprs) mb_buf_valtype(b, s->reftype);
      else mb_buf_byte(b, 0x00);
    }
    mb_buf_u32(b, s->count);
    for (uint32_t k = 0; k < s->count; k++) {
      if (s->exprs) put_bytes(b, s->items[k]);
      else mb_buf_u32(b, s->funcs[k]);
    }
  }
}

static void enc_datacount(const mb_module *m, mb_buf *b) { mb_buf_u32(b, m->ndatas); }

/* A data segment's fields before its bytes. */
static void data_header(mb_buf *b, const mb_data *d) {
  if (d->mode == MB_SEG_PASSIVE) {
    mb_buf_u32(b, 1);
  } else if (d->memory == 0) {
    mb_buf_u32(b, 0);
    put_bytes(b, d->offset);
  } else {
    mb_buf_u32(b, 2);
    mb_buf_u32(b, d->memory);
    put_bytes(b, d->offset);
  }
  mb_buf_u32(b, d->bytes.len);
}

static void put_leb(sink *s, uint64_t v) {
  uint8_t tmp[10];
  put(s, tmp, mb__put_u64(tmp, v));
}

/* Where the sink is, to patch a size there later; -1 when it cannot go back: a pipe, or
 * a file opened for appending (whose writes all land at its end). */
static int64_t sink_tell(sink *s) {
  if (s->buf) return (int64_t)s->buf->len;
  int flags = fcntl(fileno(s->file), F_GETFL);
  if (flags < 0 || (flags & O_APPEND)) return -1;
  return (int64_t)ftello(s->file);
}

/* Overwrite n bytes at `at`, then carry on from `end`, where the sink was. */
static void sink_patch(sink *s, int64_t at, int64_t end, const uint8_t *p, size_t n) {
  if (s->failed || (s->buf && s->buf->failed)) return;
  if (s->buf) memcpy(s->buf->data + at, p, n);
  else if (fseeko(s->file, (off_t)at, SEEK_SET) != 0 || fwrite(p, 1, n, s->file) != n ||
           fseeko(s->file, (off_t)end, SEEK_SET) != 0)
    s->failed = true;
}

/* A body as it goes out: renumbered into tmp when it carries a map. */
static mb_err code_bytes(const mb_code *c, mb_buf *tmp, mb_bytes *out, mb_diag *diag) {
  if (!c->remap) {
    *out = c->body;
    return MB_OK;
  }
  tmp->len = 0;
  mb_err e = mb_code_rewrite(c->body.ptr, c->body.len, c->offset, c->remap, tmp, diag);
  if (e) return e;
  if (tmp->failed) return mb_wasm_fail(diag, MB_ERR_NOMEM, 0, "out of memory while writing the module");
  if (tmp->len > UINT32_MAX)
    return mb_wasm_fail(diag, MB_ERR_TOO_MANY, c->offset, "function body too large once renumbered");
  *out = (mb_bytes){tmp->data, (uint32_t)tmp->len};
  return MB_OK;
}

/* Code and data carry most of a module's bytes: they are streamed item by item, their
 * size summed first, rather than encoded into a copy (which doubled peak memory when
 * writing a large fused module). */
/* The code section. Bodies still to be renumbered have their size only once rewritten,
 * and the section's size comes first: it is written as a 5-byte LEB128 (a valid, padded
 * encoding) and patched at the end, so each body is rewritten once. A sink that cannot
 * go back gets a measuring pass instead. */
static mb_err stream_code(const mb_module *m, sink *s, mb_buf *tmp, mb_diag *diag) {
  bool pending = false;
  for (uint32_t i = 0; i < m->ncodes && !pending; i++) pending = m->codes[i].remap != NULL;
  int64_t at = pending ? sink_tell(s) : -1;
  mb_bytes body = {NULL, 0};
  mb_err e = MB_OK;
  uint64_t size = mb_leb_size(m->ncodes);
  if (at < 0)
    for (uint32_t i = 0; i < m->ncodes; i++) {
      if ((e = code_bytes(&m->codes[i], tmp, &body, diag))) return e;
      size += mb_leb_size(body.len) + body.len;
    }
  put(s, "\x0a", 1);
  if (at >= 0) put(s, "\x80\x80\x80\x80\x00", 5);
  else put_leb(s, size);
  put_leb(s, m->ncodes);
  for (uint32_t i = 0; i < m->ncodes; i++) {
    if ((e = code_bytes(&m->codes[i], tmp, &body, diag))) return e;
    put_leb(s, body.len);
    put(s, body.ptr, body.len);
  }
  /* a failed sink is reported by the caller (out of memory or the write error) */
  if (at < 0 || s->failed || (s->buf && s->buf->failed)) return MB_OK;
  int64_t end = sink_tell(s);
  if (end < 0) {
    s->failed = true;
    return MB_OK;
  }
  size = (uint64_t)(end - at - 6);
  if (size > UINT32_MAX) return mb_wasm_fail(diag, MB_ERR_TOO_MANY, 0, "code section too large");
  uint8_t padded[5];
  for (int k = 0; k < 4; k++, size >>= 7) padded[k] = (uint8_t)(0x80 | (size & 0x7f));
  padded[4] = (uint8_t)size;
  sink_patch(s, at + 1, end, padded, sizeof padded);
  return MB_OK;
}

static void stream_data(const mb_module *m, sink *s, mb_buf *tmp) {
  uint64_t size = mb_leb_size(m->ndatas);
  for (uint32_t i = 0; i < m->ndatas; i++) {
    tmp->len = 0;
    data_header(tmp, &m->datas[i]);
    size += tmp->len + m->datas[i].bytes.len;
  }
  put(s, "\x0b", 1);
  put_leb(s, size);
  put_leb(s, m->ndatas);
  for (uint32_t i = 0; i < m->ndatas; i++) {
    tmp->len = 0;
    data_header(tmp, &m->datas[i]);
    put(s, tmp->data, tmp->len);
    put(s, m->datas[i].bytes.ptr, m->datas[i].bytes.len);
  }
}

typedef void (*section_encoder)(const mb_module *, mb_buf *);
static const section_encoder encoders[MB_SEC_COUNT] = {
    enc_types,    enc_imports, enc_functions, enc_tables,   enc_memories,
    enc_tags,     enc_globals, enc_exports,   enc_start,    enc_elements,
    enc_datacount, NULL,       NULL, /* streamed */
};

/* Whether a section must be written: present in the input, or added by a caller. A
 * dirty section whose model is empty is omitted (an empty vector section carries
 * nothing), except the data count which a caller may rely on. */
static bool section_wanted(const mb_module *m, mb_sec s) {
  if (!m->sec[s].present) return false;
  if (!m->sec[s].dirty) return true;
  if (s == MB_SEC_DATACOUNT) return m->has_datacount; /* even with no data segments */
  return mb_module_section_count(m, s) != 0;
}

static void put_section(sink *s, uint8_t id, const mb_buf *contents) {
  uint8_t hdr[11];
  hdr[0] = id;
  unsigned n = 1 + mb__put_u64(hdr + 1, contents->len);
  put(s, hdr, n);
  put(s, contents->data, contents->len);
}

static void put_customs(sink *s, const mb_module *m, mb_sec before, mb_buf *tmp) {
  for (uint32_t i = 0; i < m->ncustoms; i++) {
    const mb_custom *c = &m->customs[i];
    if (c->before != before) continue;
    if (c->raw.len) {
      put(s, c->raw.ptr, c->raw.len);
      continue;
    }
    tmp->len = 0;
    put_name(tmp, c->name);
    put_bytes(tmp, c->payload);
    put_section(s, 0, tmp);
  }
}

static mb_err write_to(const mb_module *m, sink *s, mb_diag *diag) {
  static const uint8_t preamble[8] = {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00};
  mb_buf tmp;
  mb_buf_init(&tmp, mb_module_allocator(m));
  put(s, preamble, sizeof preamble);
  for (int sec = 0; sec < MB_SEC_COUNT; sec++) {
    put_customs(s, m, (mb_sec)sec, &tmp);
    if (!section_wanted(m, (mb_sec)sec)) continue;
    if (!m->sec[sec].dirty && m->sec[sec].raw.len) {
      put(s, m->sec[sec].raw.ptr, m->sec[sec].raw.len);
      continue;
    }
    if (sec == MB_SEC_CODE) {
      mb_err e = stream_code(m, s, &tmp, diag);
      if (e) {
        mb_buf_fini(&tmp);
        return e;
      }
    } else if (sec == MB_SEC_DATA) {
      stream_data(m, s, &tmp);
    } else {
      tmp.len = 0;
      encoders[sec](m, &tmp);
      put_section(s, mb_sec_id((mb_sec)sec), &tmp);
    }
  }
  put_customs(s, m, MB_SEC_COUNT, &tmp);
  bool nomem = tmp.failed || (s->buf && s->buf->failed);
  mb_buf_fini(&tmp);
  if (nomem) return mb_wasm_fail(diag, MB_ERR_NOMEM, 0, "out of memory while writing the module");
  if (s->failed) return mb_wasm_fail(diag, MB_ERR_IO, 0, "write failed: %s", strerror(errno));
  return MB_OK;
}

mb_err mb_wasm_write(const mb_module *m, mb_buf *out, mb_diag *diag) {
  sink s = {out, NULL, false};
  return write_to(m, &s, diag);
}

mb_err mb_wasm_write_file(const mb_module *m, FILE *f, mb_diag *diag) {
  sink s = {NULL, f, false};
  return write_to(m, &s, diag);
}

mb_err mb_wasm_write_path(const mb_module *m, const char *path, mb_diag *diag) {
  size_t n = strlen(path);
  char *tmp = mb_mem_alloc(mb_module_allocator(m), n + 16);
  if (!tmp) return mb_wasm_fail(diag, MB_ERR_NOMEM, 0, "out of memory");
  memcpy(tmp, path, n);
  memcpy(tmp + n, ".tmp.XXXXXX", 12);
  mb_err e = MB_OK;
  FILE *f = NULL;
  int fd = mkstemp(tmp);
  if (fd < 0) {
    e = mb_wasm_fail(diag, MB_ERR_IO, 0, "cannot create %s: %s", tmp, strerror(errno));
    goto out;
  }
  if (!(f = fdopen(fd, "wb"))) {
    close(fd);
    unlink(tmp);
    e = mb_wasm_fail(diag, MB_ERR_IO, 0, "cannot open %s: %s", tmp, strerror(errno));
    goto out;
  }
  /* mkstemp makes the file 0600; an output module should get ordinary permissions */
  fchmod(fd, 0644);
  if ((e = mb_wasm_write_file(m, f, diag))) {
    fclose(f);
    unlink(tmp);
    goto out;
  }
  if (fclose(f) != 0) {
    unlink(tmp);
    e = mb_wasm_fail(diag, MB_ERR_IO, 0, "cannot write %s: %s", path, strerror(errno));
    goto out;
  }
  if (rename(tmp, path) != 0) {
    unlink(tmp);
    e = mb_wasm_fail(diag, MB_ERR_IO, 0, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
  }
out:
  mb_mem_free(mb_module_allocator(m), tmp);
  return e;
}

void mb_module_strip_customs(mb_module *m, bool keep_names) {
  uint32_t kept = 0;
  for (uint32_t i = 0; i < m->ncustoms; i++) {
    const mb_custom *c = &m->customs[i];
    if (keep_names && c->name.len == 4 && memcmp(c->name.ptr, "name", 4) == 0)
      m->customs[kept++] = *c;
  }
  m->ncustoms = kept;
}
