/* wit/util.c — containers in the arena and positioned diagnostics for the WIT parser. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

bool mb__wit_vec_push(mb_arena *a, wit_vec *v, void *item) {
  if (v->n == v->cap) {
    /* the old array stays in the arena: at most as much again as the final one */
    uint32_t cap = v->cap ? v->cap * 2 : 8;
    if (cap < v->cap) return false;
    void **data = mb_wasm_arena_array(a, cap, sizeof *data);
    if (!data) return false;
    if (v->n) memcpy(data, v->data, v->n * sizeof *data);
    v->data = data;
    v->cap = cap;
  }
  v->data[v->n++] = item;
  return true;
}

static uint32_t hash(const char *s) {
  uint32_t h = 2166136261u;
  for (; *s; s++) h = (h ^ (uint8_t)*s) * 16777619u;
  return h;
}

void *mb__wit_map_get(const wit_map *m, const char *key) {
  if (!m->cap) return NULL;
  for (uint32_t i = hash(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
    if (!m->slots[i].key) return NULL;
    if (strcmp(m->slots[i].key, key) == 0) return m->slots[i].val;
  }
}

static void put(wit_slot *slots, uint32_t cap, const char *key, void *val) {
  for (uint32_t i = hash(key) & (cap - 1);; i = (i + 1) & (cap - 1)) {
    if (!slots[i].key || strcmp(slots[i].key, key) == 0) {
      slots[i].key = key;
      slots[i].val = val;
      return;
    }
  }
}

bool mb__wit_map_put(mb_arena *a, wit_map *m, const char *key, void *val) {
  /* at most half full, so probes stay short and always find an empty slot */
  if ((m->count + 1) * 2 > m->cap) {
    uint32_t cap = m->cap ? m->cap * 2 : 16;
    if (cap < m->cap) return false;
    wit_slot *slots = mb_wasm_arena_array(a, cap, sizeof *slots);
    if (!slots) return false;
    for (uint32_t i = 0; i < m->cap; i++)
      if (m->slots[i].key) put(slots, cap, m->slots[i].key, m->slots[i].val);
    m->slots = slots;
    m->cap = cap;
  }
  if (!mb__wit_map_get(m, key)) m->count++;
  put(m->slots, m->cap, key, val);
  return true;
}

char *mb__wit_strdup(mb_arena *a, const char *s, size_t n) {
  if (n == SIZE_MAX) return NULL;
  char *d = mb_wasm_arena_alloc(a, n + 1);
  if (!d) return NULL;
  if (n) memcpy(d, s, n);
  d[n] = 0;
  return d;
}

char *mb__wit_printf(mb_arena *a, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) return NULL;
  char *d = mb_wasm_arena_alloc(a, (size_t)n + 1);
  if (!d) return NULL;
  va_start(ap, fmt);
  vsnprintf(d, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return d;
}

const char *mb_wit_err_name(mb_wit_err code) {
  switch (code) {
  case MB_WIT_OK: return "ok";
  case MB_WIT_ERR_NOMEM: return "out of memory";
  case MB_WIT_ERR_IO: return "i/o error";
  case MB_WIT_ERR_BAD_UTF8: return "malformed UTF-8 encoding";
  case MB_WIT_ERR_SYNTAX: return "WIT syntax error";
  case MB_WIT_ERR_UNDEFINED: return "undefined name";
  case MB_WIT_ERR_DUPLICATE: return "duplicate name";
  case MB_WIT_ERR_INVALID: return "invalid WIT";
  case MB_WIT_ERR_UNSUPPORTED: return "unsupported WIT";
  case MB_WIT_ERR_TOO_MANY: return "implementation limit exceeded";
  case MB_WIT_ERR_USAGE: return "invalid call";
  }
  return "unknown error";
}

mb_wit_err mb__wit_fail(mb_wit_diag *diag, mb_wit_err code, const wit_pos *pos, const char *fmt, ...) {
  if (!diag) return code;
  diag->code = code;
  diag->offset = pos ? pos->offset : 0;
  diag->line = pos ? pos->line : 0;
  diag->column = pos ? pos->col : 0;
  int n = 0;
  if (pos) n = snprintf(diag->message, sizeof diag->message, "%s:%u:%u: ", pos->file,
                        pos->line, pos->col);
  if (n < 0) n = 0;
  if ((size_t)n < sizeof diag->message) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(diag->message + n, sizeof diag->message - (size_t)n, fmt, ap);
    va_end(ap);
  }
  return code;
}
