/* wasm/internal.h — private to the binary-model library (linker/wasm/): the LEB helpers
 * of the writer, value types, and the instruction walker shared by the reader
 * and the rewriter. What the WIT and link libraries may use is in membrane_wasm_ext.h. */
#ifndef MB_WASM_INTERNAL_H
#define MB_WASM_INTERNAL_H

#include "membrane_wasm_ext.h"

/* Room for `more` items in the array(s) of a known section (MB_SEC_COUNT: customs);
 * MB_ERR_NOMEM when it cannot grow (build.c). */
mb_err mb__module_grow(mb_module *m, mb_sec sec, uint32_t more);

/* ---- LEB writing into a fixed buffer (returns bytes written, <= 10) ---- */
unsigned mb__put_u64(uint8_t *dst, uint64_t v);
unsigned mb__put_s64(uint8_t *dst, int64_t v);

/* ---- value types ---- */
/* Is code a one-byte value type (numeric, vector, abstract reference shorthand)? */
bool mb__is_valtype(uint8_t code);
bool mb__is_reftype(uint8_t code);
/* Read a value type, reference type, storage type (value type or packed) or heap type.
 * A type index must be below type_limit ("unknown type"). */
mb_err mb__valtype(mb_wasm_reader *r, mb_valtype *out, uint32_t type_limit, const char *what);
mb_err mb__reftype(mb_wasm_reader *r, mb_valtype *out, uint32_t type_limit, const char *what);
mb_err mb__storagetype(mb_wasm_reader *r, mb_valtype *out, uint32_t type_limit, const char *what);
mb_err mb__heaptype(mb_wasm_reader *r, mb_heaptype *out, uint32_t type_limit, const char *what);
void mb__put_heaptype(mb_buf *b, mb_heaptype h);
/* The MB_FEAT_* bits a value type shows. */
uint32_t mb__valtype_features(mb_valtype t);

/* ---- instructions ---- */
/* Internal feature bit: a data index was used in code (data count section required). */
#define MB__FEAT_USES_DATAIDX (1u << 31)

typedef enum mb_expr_kind { MB_EXPR_BODY, MB_EXPR_CONST } mb_expr_kind;

/* Walk one expression (instructions up to and including the matching final end) from
 * r. With out == NULL only decodes and checks (index ranges against limits when given);
 * with out != NULL appends the rewritten expression (remap may be NULL = identity). */
mb_err mb__expr_walk(mb_wasm_reader *r, mb_expr_kind kind, const uint32_t *limits,
                     const mb_remap *remap, mb_buf *out, uint32_t *features);


/* Decode or rewrite a code entry's body: local groups then expression. */
mb_err mb__body_walk(mb_wasm_reader *r, const uint32_t *limits, const mb_remap *remap,
                     mb_buf *out, uint32_t *features);

#endif
