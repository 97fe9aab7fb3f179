/* membrane_wasm_emit.h — writing wasm instructions into an mb_buf: named opcodes and one
 * helper per immediate shape. A public header of linker/wasm/ (header only): every piece
 * of membrane that generates code writes through it, so an opcode is spelled once — the
 * link library (fuse.c's stubs, fuse_adapt.c's adapters, fuse_init.c's start and init
 * functions, fuse_fast.c's inline hot paths, single.c's memory lowering) and wasi-virt's
 * generated modules (compose.c). A failed allocation sticks in the buffer
 * (mb_buf.failed), so callers check once at the end. */
#ifndef MEMBRANE_WASM_EMIT_H
#define MEMBRANE_WASM_EMIT_H

#include "membrane_wasm.h"

/* Opcodes (the binary format's names, MB_OP_ + the instruction with . and / as _). */
enum {
  MB_OP_UNREACHABLE = 0x00, MB_OP_NOP = 0x01, MB_OP_BLOCK = 0x02, MB_OP_LOOP = 0x03,
  MB_OP_IF = 0x04, MB_OP_ELSE = 0x05, MB_OP_END = 0x0B, MB_OP_BR = 0x0C, MB_OP_BR_IF = 0x0D,
  MB_OP_RETURN = 0x0F, MB_OP_CALL = 0x10, MB_OP_DROP = 0x1A, MB_OP_SELECT = 0x1B,
  MB_OP_LOCAL_GET = 0x20, MB_OP_LOCAL_SET = 0x21, MB_OP_LOCAL_TEE = 0x22,
  MB_OP_GLOBAL_GET = 0x23, MB_OP_GLOBAL_SET = 0x24,
  MB_OP_I32_LOAD = 0x28, MB_OP_I64_LOAD = 0x29, MB_OP_I32_LOAD8_U = 0x2D,
  MB_OP_I32_LOAD16_U = 0x2F, MB_OP_I32_STORE = 0x36, MB_OP_I64_STORE = 0x37,
  MB_OP_I32_STORE8 = 0x3A, MB_OP_I32_STORE16 = 0x3B,
  MB_OP_MEMORY_SIZE = 0x3F, MB_OP_MEMORY_GROW = 0x40,
  MB_OP_I32_CONST = 0x41, MB_OP_I64_CONST = 0x42,
  MB_OP_I32_EQZ = 0x45, MB_OP_I32_EQ = 0x46, MB_OP_I32_NE = 0x47, MB_OP_I32_LT_S = 0x48,
  MB_OP_I32_LT_U = 0x49, MB_OP_I32_GT_S = 0x4A, MB_OP_I32_GT_U = 0x4B, MB_OP_I32_LE_U = 0x4D,
  MB_OP_I32_GE_U = 0x4F, MB_OP_I64_EQZ = 0x50, MB_OP_I64_GT_U = 0x56, MB_OP_I64_LE_U = 0x58,
  MB_OP_I64_GE_U = 0x5A,
  MB_OP_I32_ADD = 0x6A, MB_OP_I32_SUB = 0x6B, MB_OP_I32_MUL = 0x6C, MB_OP_I32_AND = 0x71,
  MB_OP_I32_OR = 0x72, MB_OP_I32_XOR = 0x73, MB_OP_I32_SHL = 0x74, MB_OP_I32_SHR_U = 0x76,
  MB_OP_I64_ADD = 0x7C, MB_OP_I64_SUB = 0x7D, MB_OP_I64_MUL = 0x7E, MB_OP_I64_SHL = 0x86,
  MB_OP_I32_WRAP_I64 = 0xA7, MB_OP_I64_EXTEND_I32_U = 0xAD,
  MB_OP_REF_FUNC = 0xD2,
  MB_OP_PREFIX_FC = 0xFC,
};
/* Sub-opcodes after MB_OP_PREFIX_FC (bulk memory and tables). */
enum {
  MB_FC_MEMORY_INIT = 0x08, MB_FC_DATA_DROP = 0x09, MB_FC_MEMORY_COPY = 0x0A,
  MB_FC_MEMORY_FILL = 0x0B, MB_FC_TABLE_INIT = 0x0C, MB_FC_ELEM_DROP = 0x0D,
  MB_FC_TABLE_GROW = 0x0F,
};
/* Block types and value types where an instruction or a local declaration needs one. */
enum { MB_BT_VOID = 0x40, MB_VT_I32 = 0x7F, MB_VT_I64 = 0x7E };

/* An instruction without immediates. */
static inline void mb_wasm_emit(mb_buf *b, uint8_t op) { mb_buf_byte(b, op); }
/* An instruction with one u32 immediate: an index (call, local.get, br_if ...). */
static inline void mb_wasm_emit_u32(mb_buf *b, uint8_t op, uint32_t v) {
  mb_buf_byte(b, op);
  mb_buf_u32(b, v);
}
static inline void mb_wasm_emit_call(mb_buf *b, uint32_t fn) { mb_wasm_emit_u32(b, MB_OP_CALL, fn); }
static inline void mb_wasm_emit_i32(mb_buf *b, int32_t v) {
  mb_buf_byte(b, MB_OP_I32_CONST);
  mb_buf_s32(b, v);
}
static inline void mb_wasm_emit_i64(mb_buf *b, int64_t v) {
  mb_buf_byte(b, MB_OP_I64_CONST);
  mb_buf_s64(b, v);
}
/* block, loop or if without parameters or results. */
static inline void mb_wasm_emit_block(mb_buf *b, uint8_t op) {
  mb_buf_byte(b, op);
  mb_buf_byte(b, MB_BT_VOID);
}
/* A load or store: the memarg, with the multi-memory form only when mem is not 0 (so a
 * single-memory module keeps the plain encoding). align is log2 of the alignment. */
static inline void mb_wasm_emit_mem(mb_buf *b, uint8_t op, uint32_t align, uint32_t mem,
                                uint32_t offset) {
  mb_buf_byte(b, op);
  if (mem) {
    mb_buf_u32(b, align | 0x40);
    mb_buf_u32(b, mem);
  } else {
    mb_buf_u32(b, align);
  }
  mb_buf_u32(b, offset);
}
/* A 0xFC-prefixed instruction; its immediates follow from the caller. */
static inline void mb_wasm_emit_fc(mb_buf *b, uint32_t sub) { mb_wasm_emit_u32(b, MB_OP_PREFIX_FC, sub); }

#endif
