/* opcodes.c — the immediate shape of every opcode (ref/wasm-binary.md §7.7). The walker
 * decodes and rewrites generically from this table; an opcode not listed is illegal. */
#include "opcodes.h"

/* GC (§7.3): sub-opcodes 0-30. */
mb_shape mb__shape_fb(uint32_t sub) {
  switch (sub) {
  case 0: case 1: case 6: case 7: case 11: case 12: case 13: case 14: case 16: return SH_TYPE;
  case 2: case 3: case 4: case 5: return SH_TYPE_FIELD;
  case 8: return SH_TYPE_COUNT;
  case 9: case 18: return SH_TYPE_DATA;
  case 10: case 19: return SH_TYPE_ELEM;
  case 15: case 26: case 27: case 28: case 29: case 30: return SH_NONE;
  case 17: return SH_TYPE_TYPE;
  case 20: case 21: case 22: case 23: return SH_HEAPTYPE;
  case 24: case 25: return SH_BR_ON_CAST;
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
