/* internal.h — private to the linker library: arena, bounds-checked reader, diagnostics,
 * and the instruction walker shared by the reader and the rewriter. */
#ifndef MB_LINKER_INTERNAL_H
#define MB_LINKER_INTERNAL_H

#include "membrane_link.h"

/* ---- allocation ---- */
void *mb__realloc(void *ptr, size_t size);
void *mb__malloc(size_t size);
void *mb__calloc(size_t n, size_t size); /* overflow-checked, zeroed */
void mb__free(void *ptr);

typedef struct mb_arena mb_arena;
mb_arena *mb__arena_new(void);
void mb__arena_free(mb_arena *a);
/* Zeroed, 8-byte aligned; NULL on overflow or out of memory. */
void *mb__arena_alloc(mb_arena *a, size_t size);
void *mb__arena_array(mb_arena *a, size_t n, size_t elem);
/* The arena takes ownership of ptr (from mb__malloc) and frees it with itself, so a big
 * buffer built elsewhere need not be copied in. False (ptr not taken) when out of
 * memory. */
bool mb__arena_adopt(mb_arena *a, void *ptr);

/* ---- diagnostics ---- */
/* Fill diag (if non-NULL) and return code. */
mb_err mb__fail(mb_diag *diag, mb_err code, uint64_t offset, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- bounds-checked reader ----
 * pos/end delimit what may be read; base is the input offset of the buffer's first byte
 * (so offsets in errors are offsets in the file). */
typedef struct mb_reader {
  const uint8_t *start, *pos, *end;
  uint64_t base;
  mb_diag *diag;
} mb_reader;

static inline uint64_t mb__off(const mb_reader *r) {
  return r->base + (uint64_t)(r->pos - r->start);
}
static inline size_t mb__left(const mb_reader *r) { return (size_t)(r->end - r->pos); }

mb_err mb__bytes(mb_reader *r, size_t n, const uint8_t **out, const char *what);

/* The general decoders, with every check and error message. */
mb_err mb__byte_slow(mb_reader *r, uint8_t *out, const char *what);
mb_err mb__u32_slow(mb_reader *r, uint32_t *out, const char *what);
mb_err mb__u64_slow(mb_reader *r, uint64_t *out, const char *what);
mb_err mb__s32_slow(mb_reader *r, int32_t *out, const char *what);
mb_err mb__s33_slow(mb_reader *r, int64_t *out, const char *what);
mb_err mb__s64_slow(mb_reader *r, int64_t *out, const char *what);

/* Inline fast paths: most bytes and LEB128s in code are a single byte, and a call per
 * immediate was a quarter of the time spent reading a large module. Anything longer
 * or at the end of input takes the general path. */
static inline mb_err mb__byte(mb_reader *r, uint8_t *out, const char *what) {
  if (__builtin_expect(r->pos < r->end, 1)) {
    *out = *r->pos++;
    return MB_OK;
  }
  return mb__byte_slow(r, out, what);
}
#define MB__ONE_BYTE_LEB(r) (__builtin_expect((r)->pos < (r)->end && *(r)->pos < 0x80, 1))
/* A one-byte signed LEB: bit 6 is the sign. */
#define MB__SIGNED7(b) ((int64_t)((b) & 0x40 ? (int64_t)(b) - 0x80 : (int64_t)(b)))
static inline mb_err mb__u32(mb_reader *r, uint32_t *out, const char *what) {
  if (MB__ONE_BYTE_LEB(r)) {
    *out = *r->pos++;
    return MB_OK;
  }
  return mb__u32_slow(r, out, what);
}
static inline mb_err mb__u64(mb_reader *r, uint64_t *out, const char *what) {
  if (MB__ONE_BYTE_LEB(r)) {
    *out = *r->pos++;
    return MB_OK;
  }
  return mb__u64_slow(r, out, what);
}
static inline mb_err mb__s32(mb_reader *r, int32_t *out, const char *what) {
  if (MB__ONE_BYTE_LEB(r)) {
    *out = (int32_t)MB__SIGNED7(*r->pos);
    r->pos++;
    return MB_OK;
  }
  return mb__s32_slow(r, out, what);
}
static inline mb_err mb__s33(mb_reader *r, int64_t *out, const char *what) {
  if (MB__ONE_BYTE_LEB(r)) {
    *out = MB__SIGNED7(*r->pos);
    r->pos++;
    return MB_OK;
  }
  return mb__s33_slow(r, out, what);
}
static inline mb_err mb__s64(mb_reader *r, int64_t *out, const char *what) {
  if (MB__ONE_BYTE_LEB(r)) {
    *out = MB__SIGNED7(*r->pos);
    r->pos++;
    return MB_OK;
  }
  return mb__s64_slow(r, out, what);
}
/* A name: u32 length + valid UTF-8. */
mb_err mb__name(mb_reader *r, mb_bytes *out, const char *what);
/* A sub-reader over the next n bytes (the parent skips them). */
mb_err mb__sub(mb_reader *r, size_t n, mb_reader *sub, const char *what);
/* Fail unless the reader is exhausted. */
mb_err mb__expect_end(mb_reader *r, const char *what);

bool mb__utf8_valid(const uint8_t *p, size_t n);

/* Make room for n more bytes in b (false, and b->failed, when out of memory). */
bool mb__buf_reserve(mb_buf *b, size_t n);

/* ---- LEB writing into a fixed buffer (returns bytes written, <= 10) ---- */
unsigned mb__put_u64(uint8_t *dst, uint64_t v);
unsigned mb__put_s64(uint8_t *dst, int64_t v);

/* ---- value types ---- */
/* Is code a value type membrane handles (numeric, vector, abstract reference)? */
bool mb__is_valtype(uint8_t code);
bool mb__is_reftype(uint8_t code);
/* Read one value type byte; typed references are MB_ERR_UNSUPPORTED. */
mb_err mb__valtype(mb_reader *r, uint8_t *out, const char *what);

/* ---- instructions ---- */
/* Internal feature bit: a data index was used in code (data count section required). */
#define MB__FEAT_USES_DATAIDX (1u << 31)

typedef enum mb_expr_kind { MB_EXPR_BODY, MB_EXPR_CONST } mb_expr_kind;

/* Walk one expression (instructions up to and including the matching final end) from
 * r. With out == NULL only decodes and checks (index ranges against limits when given);
 * with out != NULL appends the rewritten expression (remap may be NULL = identity). */
mb_err mb__expr_walk(mb_reader *r, mb_expr_kind kind, const uint32_t *limits,
                     const mb_remap *remap, mb_buf *out, uint32_t *features);

/* A memory instruction (memarg load/store/atomic/SIMD, memory.size/grow/fill/copy/init)
 * as the hooked walker decoded it. */
typedef struct mb__mem_insn {
  uint8_t op;
  uint32_t sub;         /* 0xFC/0xFD/0xFE sub-opcode */
  bool memarg, has_lane;
  uint32_t align;       /* memarg: log2 alignment */
  uint32_t mem, mem2;   /* memory index; memory.copy: mem = destination, mem2 = source */
  uint32_t data;        /* memory.init: data segment */
  uint64_t offset;      /* memarg offset */
  uint8_t lane;
  uint64_t offset_at;   /* input offset of the immediates, for messages */
} mb__mem_insn;
typedef struct mb__mem_hook {
  /* Appends the replacement of the whole instruction to out. */
  mb_err (*fn)(void *user, mb_buf *out, const mb__mem_insn *in);
  void *user;
} mb__mem_hook;
/* Rewrite an expression (up to its final end; the reader is after the local groups) with
 * remap applied to every index but memory and data indices in memory instructions, which
 * the hook rewrites. */
mb_err mb__expr_walk_hooked(mb_reader *r, const mb_remap *remap, const mb__mem_hook *hook,
                            mb_buf *out);

/* Decode or rewrite a code entry's body: local groups then expression. */
mb_err mb__body_walk(mb_reader *r, const uint32_t *limits, const mb_remap *remap,
                     mb_buf *out, uint32_t *features);

#endif
