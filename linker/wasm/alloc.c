/* alloc.c — the module arena, error names and diagnostics. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Chunks are chained; big requests get a chunk of their own so a 10 MB module's arrays
 * don't waste a half-used chunk. */
typedef struct chunk {
  struct chunk *next;
  size_t used, cap;
  _Alignas(16) uint8_t data[];
} chunk;

/* A block the arena took over (mb_wasm_arena_adopt), freed with it. */
typedef struct adopted {
  struct adopted *next;
  void *ptr;
} adopted;

struct mb_arena {
  chunk *head;
  adopted *adopted;
  mb_allocator alloc; /* the arena, its chunks and adopted blocks come from it */
};

enum { CHUNK_SIZE = 64 * 1024 };

mb_arena *mb_wasm_arena_new(const mb_allocator *alloc) {
  mb_arena *a = mb_mem_calloc(alloc, 1, sizeof(mb_arena));
  if (a) a->alloc = mb_allocator_of(alloc);
  return a;
}

const mb_allocator *mb_wasm_arena_allocator(const mb_arena *a) { return &a->alloc; }

void mb_wasm_arena_free(mb_arena *a) {
  if (!a) return;
  mb_allocator al = a->alloc;
  for (adopted *d = a->adopted; d; d = d->next) mb_mem_free(&al, d->ptr);
  for (chunk *c = a->head, *next; c; c = next) {
    next = c->next;
    mb_mem_free(&al, c);
  }
  mb_mem_free(&al, a);
}

void *mb_wasm_arena_alloc(mb_arena *a, size_t size) {
  if (size > SIZE_MAX - 15) return NULL; /* rounding up would wrap to a tiny block */
  size = (size + 15) & ~(size_t)15;
  if (size == 0) size = 16;
  chunk *c = a->head;
  if (!c || c->cap - c->used < size) {
    size_t cap = size > CHUNK_SIZE / 4 ? size : CHUNK_SIZE;
    if (cap > SIZE_MAX - sizeof(chunk)) return NULL;
    chunk *n = mb_mem_alloc(&a->alloc, sizeof(chunk) + cap);
    if (!n) return NULL;
    n->used = 0;
    n->cap = cap;
    if (c && cap != CHUNK_SIZE) {
      /* keep the partly used chunk at the head for later small requests */
      n->next = c->next;
      c->next = n;
    } else {
      n->next = c;
      a->head = n;
    }
    c = n;
  }
  void *p = c->data + c->used;
  c->used += size;
  memset(p, 0, size);
  return p;
}

bool mb_wasm_arena_adopt(mb_arena *a, void *ptr) {
  adopted *d = mb_wasm_arena_alloc(a, sizeof *d);
  if (!d) return false;
  d->ptr = ptr;
  d->next = a->adopted;
  a->adopted = d;
  return true;
}

void *mb_wasm_arena_array(mb_arena *a, size_t n, size_t elem) {
  if (elem && n > (SIZE_MAX - 16) / elem) return NULL;
  return mb_wasm_arena_alloc(a, n * elem);
}

static const char *const err_names[] = {
    [MB_OK] = "ok",
    [MB_ERR_NOMEM] = "out of memory",
    [MB_ERR_IO] = "i/o error",
    [MB_ERR_UNEXPECTED_END] = "unexpected end",
    [MB_ERR_BAD_MAGIC] = "magic header not detected",
    [MB_ERR_BAD_VERSION] = "unknown binary version",
    [MB_ERR_LEB_TOO_LONG] = "integer representation too long",
    [MB_ERR_LEB_TOO_LARGE] = "integer too large",
    [MB_ERR_BAD_SECTION_ID] = "malformed section id",
    [MB_ERR_SECTION_ORDER] = "unexpected section",
    [MB_ERR_SECTION_SIZE] = "section size mismatch",
    [MB_ERR_BAD_UTF8] = "malformed UTF-8 encoding",
    [MB_ERR_BAD_TYPE] = "malformed type",
    [MB_ERR_BAD_KIND] = "malformed kind",
    [MB_ERR_BAD_OPCODE] = "illegal opcode",
    [MB_ERR_BAD_IMMEDIATE] = "malformed immediate",
    [MB_ERR_BAD_STRUCTURE] = "malformed structure",
    [MB_ERR_FUNC_CODE_MISMATCH] = "function and code section have inconsistent lengths",
    [MB_ERR_DATA_COUNT] = "data count mismatch",
    [MB_ERR_BAD_SEGMENT] = "malformed segment",
    [MB_ERR_TOO_MANY] = "implementation limit exceeded",
    [MB_ERR_INDEX_RANGE] = "index out of range",
    [MB_ERR_BAD_CONST_EXPR] = "constant expression required",
    [MB_ERR_UNSUPPORTED] = "unsupported feature",
    [MB_ERR_INVALID_ARG] = "invalid argument",
};

const char *mb_err_name(mb_err code) {
  if ((unsigned)code < sizeof err_names / sizeof *err_names && err_names[code])
    return err_names[code];
  return "unknown error";
}

void mb_wasm_diag_fill(mb_diag *diag, unsigned code, uint64_t offset, const char *fmt, va_list ap) {
  if (!diag) return;
  diag->code = code;
  diag->offset = offset;
  vsnprintf(diag->message, sizeof diag->message, fmt, ap);
}

mb_err mb_wasm_fail(mb_diag *diag, mb_err code, uint64_t offset, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  mb_wasm_diag_fill(diag, (unsigned)code, offset, fmt, ap);
  va_end(ap);
  return code;
}
