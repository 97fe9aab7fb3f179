/* opcodes.h — immediate shapes (private to the linker library). */
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
  SH_LOCAL, SH_GLOBAL, SH_TABLE, SH_TABLE_TABLE, SH_ELEM_TABLE, SH_ELEM,
  SH_DATA_MEM, SH_DATA, SH_MEM, SH_MEM_MEM, SH_MEMARG, SH_MEMARG_LANE, SH_LANE,
  SH_I32, SH_I64, SH_F32, SH_F64, SH_V128, SH_SHUFFLE, SH_FENCE,
} mb_shape;

mb_shape mb__shape_single(uint8_t op);
mb_shape mb__shape_fc(uint32_t sub);
mb_shape mb__shape_fd(uint32_t sub);
mb_shape mb__shape_fe(uint32_t sub);

#endif
