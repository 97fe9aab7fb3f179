/* opcodes.h — immediate shapes (private to linker/wasm/). */
#ifndef MB_LINKER_OPCODES_H
#define MB_LINKER_OPCODES_H

#include <stdint.h>

typedef enum mb_shape {
  SH_ILLEGAL,
  SH_NONE,
  SH_BLOCK, SH_IF, SH_ELSE, SH_END, SH_TRY, SH_CATCH, SH_CATCH_ALL, SH_DELEGATE,
  SH_TRY_TABLE, SH_THROW_REF, SH_RETHROW,
  SH_LABEL, SH_BR_TABLE,
  SH_FUNC, SH_REF_FUNC, SH_TYPE_TABLE, SH_TYPE, SH_HEAPTYPE, SH_SELECT_T, SH_TAG,
  SH_TYPE_TYPE, SH_TYPE_FIELD, SH_TYPE_COUNT, SH_TYPE_DATA, SH_TYPE_ELEM, SH_BR_ON_CAST,
  SH_LOCAL, SH_GLOBAL, SH_TABLE, SH_TABLE_TABLE, SH_ELEM_TABLE, SH_ELEM,
  SH_DATA_MEM, SH_DATA, SH_MEM, SH_MEM_MEM, SH_MEMARG, SH_MEMARG_LANE, SH_LANE,
  SH_I32, SH_I64, SH_F32, SH_F64, SH_V128, SH_SHUFFLE, SH_FENCE,
} mb_shape;

/* Inline so the walker's per-instruction lookup compiles to a table load (gcc turns a
 * switch returning constants into one), not a call. */
static inline mb_shape mb__shape_single(uint8_t op) {
  if (op >= 0x45 && op <= 0xC4) return SH_NONE; /* numeric */
  if (op >= 0x28 && op <= 0x3E) return SH_MEMARG;
  switch (op) {
  case 0x00: case 0x01: case 0x0F: case 0x1A: case 0x1B: case 0xD1: case 0xD3: case 0xD4:
    return SH_NONE;
  case 0x0A: return SH_THROW_REF;
  case 0x02: case 0x03: return SH_BLOCK;
  case 0x04: return SH_IF;
  case 0x05: return SH_ELSE;
  case 0x06: return SH_TRY;
  case 0x07: return SH_CATCH;
  case 0x08: return SH_TAG;
  case 0x09: return SH_RETHROW;
  case 0x0B: return SH_END;
  case 0x0C: case 0x0D: case 0xD5: case 0xD6: return SH_LABEL;
  case 0x0E: return SH_BR_TABLE;
  case 0x10: case 0x12: return SH_FUNC;
  case 0xD2: return SH_REF_FUNC;
  case 0x11: case 0x13: return SH_TYPE_TABLE;
  case 0x14: case 0x15: return SH_TYPE;
  case 0x18: return SH_DELEGATE;
  case 0x19: return SH_CATCH_ALL;
  case 0x1C: return SH_SELECT_T;
  case 0x1F: return SH_TRY_TABLE;
  case 0x20: case 0x21: case 0x22: return SH_LOCAL;
  case 0x23: case 0x24: return SH_GLOBAL;
  case 0x25: case 0x26: return SH_TABLE;
  case 0x3F: case 0x40: return SH_MEM;
  case 0x41: return SH_I32;
  case 0x42: return SH_I64;
  case 0x43: return SH_F32;
  case 0x44: return SH_F64;
  case 0xD0: return SH_HEAPTYPE;
  default: return SH_ILLEGAL;
  }
}

mb_shape mb__shape_fb(uint32_t sub);
mb_shape mb__shape_fc(uint32_t sub);
mb_shape mb__shape_fd(uint32_t sub);
mb_shape mb__shape_fe(uint32_t sub);

#endif
