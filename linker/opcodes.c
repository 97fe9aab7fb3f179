/* opcodes.c — the immediate shape of every opcode (ref/wasm-binary.md §7.7). The walker
 * decodes and rewrites generically from this table; an opcode not listed is illegal. */
#include "opcodes.h"

mb_shape mb__shape_single(uint8_t op) {
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

mb_shape mb__shape_fc(uint32_t sub) {
  if (sub <= 7) return SH_NONE;
  switch (sub) {
  case 8: return SH_DATA_MEM;
  case 9: return SH_DATA;
  case 10: return SH_MEM_MEM;
  case 11: return SH_MEM;
  case 12: return SH_ELEM_TABLE;
  case 13: return SH_ELEM;
  case 14: return SH_TABLE_TABLE;
  case 15: case 16: case 17: return SH_TABLE;
  default: return SH_ILLEGAL;
  }
}

mb_shape mb__shape_fd(uint32_t sub) {
  if (sub <= 11 || sub == 92 || sub == 93) return SH_MEMARG;
  if (sub == 12) return SH_V128;
  if (sub == 13) return SH_SHUFFLE;
  if (sub >= 21 && sub <= 34) return SH_LANE;
  if (sub >= 84 && sub <= 91) return SH_MEMARG_LANE;
  if (sub >= 256 && sub <= 275) return SH_NONE; /* relaxed SIMD */
  if (sub > 255) return SH_ILLEGAL;
  switch (sub) {
  case 154: case 162: case 165: case 166: case 175: case 176: case 178: case 179:
  case 180: case 187: case 194: case 197: case 198: case 207: case 208: case 210:
  case 211: case 212: case 226: case 238:
    return SH_ILLEGAL;
  default:
    return SH_NONE;
  }
}

mb_shape mb__shape_fe(uint32_t sub) {
  if (sub <= 2 || (sub >= 0x10 && sub <= 0x4E)) return SH_MEMARG;
  if (sub == 3) return SH_FENCE;
  return SH_ILLEGAL;
}
