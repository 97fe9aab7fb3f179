/* membrane_wasm_ext.h — the binary model's toolkit for the libraries built on it.
 *
 * Not for applications: linker/wit/ and linker/ use it to keep their own data in an arena, report errors the way the model does,
 * and read bytes (custom-section payloads, code bodies) with the same bounds-checked reader
 * as the model's reader. Everything else in linker/wasm/ stays private (wasm/internal.h).
 * Names are mb_wasm_*; the contracts are the ones the model itself relies on.
 */
#ifndef MEMBRANE_WASM_EXT_H
#define MEMBRANE_WASM_EXT_H

#include <stdarg.h>

#include "membrane_wasm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- allocation (through an mb_allocator: membrane_alloc.h) ---- */

/* A copy of s from alloc (mb_mem_free it with the same); NULL when out of memory. */
char *mb_wasm_strdup(const mb_allocator *alloc, const char *s);

/* An arena allocates its chunks from alloc (copied; NULL: libc) and frees them with
 * itself. */
typedef struct mb_arena mb_arena;
mb_arena *mb_wasm_arena_new(const mb_allocator *alloc);
void mb_wasm_arena_free(mb_arena *a);
/* The arena's allocator (valid while the arena lives). */
const mb_allocator *mb_wasm_arena_allocator(const mb_arena *a);
/* Zeroed, 8-byte aligned; NULL on overflow or out of memory. */
void *mb_wasm_arena_alloc(mb_arena *a, size_t size);
void *mb_wasm_arena_array(mb_arena *a, size_t n, size_t elem);
/* The arena takes ownership of ptr (from the arena's allocator) and frees it with itself, so a big
 * buffer built elsewhere need not be copied in. False (ptr not taken) when out of
 * memory. */
bool mb_wasm_arena_adopt(mb_arena *a, void *ptr);

/* ---- diagnostics ---- */
/* Fill diag (if non-NULL) and return code. */
/* Fill diag (may be NULL): code (the filling library's enum), offset, the message. */
void mb_wasm_diag_fill(mb_diag *diag, unsigned code, uint64_t offset, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));
mb_err mb_wasm_fail(mb_diag *diag, mb_err code, uint64_t offset, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- bounds-checked reader ----
 * pos/end delimit what may be read; base is the input offset of the buffer's first byte
 * (so offsets in errors are offsets in the file). */
typedef struct mb_wasm_reader {
  const uint8_t *start, *pos, *end;
  uint64_t base;
  mb_diag *diag;
  const mb_allocator *alloc; /* scratch memory of walks over it (NULL: libc); sub-readers inherit it */
} mb_wasm_reader;

static inline uint64_t mb_wasm_off(const mb_wasm_reader *r) {
  return r->base + (uint64_t)(r->pos - r->start);
}
static inline size_t mb_wasm_left(const mb_wasm_reader *r) { return (size_t)(r->end - r->pos); }

mb_err mb_wasm_bytes(mb_wasm_reader *r, size_t n, const uint8_t **out, const char *what);

/* The general decoders, with every check and error message. */
mb_err mb_wasm_byte_slow(mb_wasm_reader *r, uint8_t *out, const char *what);
mb_err mb_wasm_u32_slow(mb_wasm_reader *r, uint32_t *out, const char *what);
mb_err mb_wasm_u64_slow(mb_wasm_reader *r, uint64_t *out, const char *what);
mb_err mb_wasm_s32_slow(mb_wasm_reader *r, int32_t *out, const char *what);
mb_err mb_wasm_s33_slow(mb_wasm_reader *r, int64_t *out, const char *what);
mb_err mb_wasm_s64_slow(mb_wasm_reader *r, int64_t *out, const char *what);

/* Inline fast paths: most bytes and LEB128s in code are a single byte, and a call per
 * immediate was a quarter of the time spent reading a large module. Anything longer
 * or at the end of input takes the general path. */
static inline mb_err mb_wasm_byte(mb_wasm_reader *r, uint8_t *out, const char *what) {
  if (__builtin_expect(r->pos < r->end, 1)) {
    *out = *r->pos++;
    return MB_OK;
  }
  return mb_wasm_byte_slow(r, out, what);
}
#define MB_WASM_ONE_BYTE_LEB(r) (__builtin_expect((r)->pos < (r)->end && *(r)->pos < 0x80, 1))
/* A one-byte signed LEB: bit 6 is the sign. */
#define MB_WASM_SIGNED7(b) ((int64_t)((b) & 0x40 ? (int64_t)(b) - 0x80 : (int64_t)(b)))
static inline mb_err mb_wasm_u32(mb_wasm_reader *r, uint32_t *out, const char *what) {
  if (MB_WASM_ONE_BYTE_LEB(r)) {
    *out = *r->pos++;
    return MB_OK;
  }
  return mb_wasm_u32_slow(r, out, what);
}
/* A value type (a reference's heap type index must be < type_limit), e.g. of a local. */
mb_err mb_wasm_valtype(mb_wasm_reader *r, mb_valtype *out, uint32_t type_limit, const char *what);
static inline mb_err mb_wasm_u64(mb_wasm_reader *r, uint64_t *out, const char *what) {
  if (MB_WASM_ONE_BYTE_LEB(r)) {
    *out = *r->pos++;
    return MB_OK;
  }
  return mb_wasm_u64_slow(r, out, what);
}
static inline mb_err mb_wasm_s32(mb_wasm_reader *r, int32_t *out, const char *what) {
  if (MB_WASM_ONE_BYTE_LEB(r)) {
    *out = (int32_t)MB_WASM_SIGNED7(*r->pos);
    r->pos++;
    return MB_OK;
  }
  return mb_wasm_s32_slow(r, out, what);
}
static inline mb_err mb_wasm_s33(mb_wasm_reader *r, int64_t *out, const char *what) {
  if (MB_WASM_ONE_BYTE_LEB(r)) {
    *out = MB_WASM_SIGNED7(*r->pos);
    r->pos++;
    return MB_OK;
  }
  return mb_wasm_s33_slow(r, out, what);
}
static inline mb_err mb_wasm_s64(mb_wasm_reader *r, int64_t *out, const char *what) {
  if (MB_WASM_ONE_BYTE_LEB(r)) {
    *out = MB_WASM_SIGNED7(*r->pos);
    r->pos++;
    return MB_OK;
  }
  return mb_wasm_s64_slow(r, out, what);
}
/* A name: u32 length + valid UTF-8. */
mb_err mb_wasm_name(mb_wasm_reader *r, mb_bytes *out, const char *what);
/* A sub-reader over the next n bytes (the parent skips them). */
mb_err mb_wasm_sub(mb_wasm_reader *r, size_t n, mb_wasm_reader *sub, const char *what);
/* Fail unless the reader is exhausted. */
mb_err mb_wasm_expect_end(mb_wasm_reader *r, const char *what);

bool mb_wasm_utf8_valid(const uint8_t *p, size_t n);

/* A memory instruction (memarg load/store/atomic/SIMD, memory.size/grow/fill/copy/init)
 * as the hooked walker decoded it. */
typedef struct mb_wasm_mem_insn {
  uint8_t op;
  uint32_t sub;         /* 0xFC/0xFD/0xFE sub-opcode */
  bool memarg, has_lane;
  uint32_t align;       /* memarg: log2 alignment */
  uint32_t mem, mem2;   /* memory index; memory.copy: mem = destination, mem2 = source */
  uint32_t data;        /* memory.init: data segment */
  uint64_t offset;      /* memarg offset */
  uint8_t lane;
  uint64_t offset_at;   /* input offset of the immediates, for messages */
} mb_wasm_mem_insn;
typedef struct mb_wasm_mem_hook {
  /* Appends the replacement of the whole instruction to out. */
  mb_err (*fn)(void *user, mb_buf *out, const mb_wasm_mem_insn *in);
  void *user;
} mb_wasm_mem_hook;
/* Rewrite an expression (up to its final end; the reader is after the local groups) with
 * remap applied to every index but memory and data indices in memory instructions, which
 * the hook rewrites. */
mb_err mb_wasm_expr_walk_hooked(mb_wasm_reader *r, const mb_remap *remap, const mb_wasm_mem_hook *hook,
                                mb_buf *out);

#ifdef __cplusplus
}
#endif
#endif
