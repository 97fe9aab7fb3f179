/* link_util.c — small helpers every file of the link library uses: growing an array by
 * one element, copying a name, warnings, the text of a function type in messages. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "link_internal.h"

const char *mb_link_err_name(mb_link_err code) {
  switch (code) {
  case MB_LINK_OK: return "ok";
  case MB_LINK_ERR_NOMEM: return "out of memory";
  case MB_LINK_ERR_IO: return "i/o error";
  case MB_LINK_ERR_INPUT: return "malformed input";
  case MB_LINK_ERR_OPTION: return "bad option";
  case MB_LINK_ERR_UNRESOLVED: return "unresolved import";
  case MB_LINK_ERR_TYPE_MISMATCH: return "type mismatch";
  case MB_LINK_ERR_ABI: return "resource ABI rule broken";
  case MB_LINK_ERR_CONFLICT: return "conflict";
  case MB_LINK_ERR_LAYOUT: return "memory layout does not fit";
  case MB_LINK_ERR_TOO_LARGE: return "output too large";
  case MB_LINK_ERR_UNSUPPORTED: return "unsupported";
  case MB_LINK_ERR_USAGE: return "invalid call";
  }
  return "unknown error";
}

mb_link_err mb_link_fail(mb_diag *diag, mb_link_err code, uint64_t offset, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  mb_wasm_diag_fill(diag, (unsigned)code, offset, fmt, ap);
  va_end(ap);
  return code;
}

/* A binary-model failure as the link's: out of memory stays that, anything else means an
 * input (or what was built from it) is malformed. The model's message is kept. */
mb_link_err mb__link_wasm(mb_err e, mb_diag *diag) {
  mb_link_err le = e == MB_OK ? MB_LINK_OK : e == MB_ERR_NOMEM ? MB_LINK_ERR_NOMEM
                                           : e == MB_ERR_IO   ? MB_LINK_ERR_IO
                                                              : MB_LINK_ERR_INPUT;
  if (diag && le) diag->code = (unsigned)le;
  return le;
}

bool mb__is_wasi_module(mb_bytes m) {
  return mb_bytes_eq(m, "wasi_snapshot_preview1") || mb_bytes_eq(m, "wasi_unstable");
}

void mb__link_warn(mb_link *l, const char *fmt, ...) {
  if (!l->warn) return;
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  l->warn(l->warn_user, msg);
}

/* Grow an array by one element (zeroed); false when out of memory. */
bool mb__grow1(const mb_allocator *alloc, void **arr, uint32_t n, size_t elem) {
  void *p = mb_mem_realloc(alloc, *arr, (size_t)(n + 1) * elem);
  if (!p) return false;
  memset((char *)p + (size_t)n * elem, 0, elem);
  *arr = p;
  return true;
}

char *mb__strndup(const mb_allocator *alloc, const char *s, size_t n) {
  char *p = mb_mem_alloc(alloc, n + 1);
  if (p) {
    memcpy(p, s, n);
    p[n] = 0;
  }
  return p;
}

void mb__type_text(const mb_functype *t, char *buf, size_t cap) {
  size_t n = 0;
  n += (size_t)snprintf(buf + n, cap - n, "(");
  for (uint32_t i = 0; i < t->nparams && n < cap; i++)
    n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? ", " : "", mb_valtype_name(t->params[i]).s);
  if (n < cap) n += (size_t)snprintf(buf + n, cap - n, ") -> (");
  for (uint32_t i = 0; i < t->nresults && n < cap; i++)
    n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? ", " : "", mb_valtype_name(t->results[i]).s);
  if (n < cap) snprintf(buf + n, cap - n, ")");
}

