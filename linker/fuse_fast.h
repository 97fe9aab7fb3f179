/* fuse_fast.h — the fused adapters' hot path as wasm (fuse_fast.c), for fuse.c. */
#ifndef MB_FUSE_FAST_H
#define MB_FUSE_FAST_H

#include "link_internal.h"

/* Where the code goes and what it uses. */
typedef struct mb__fast {
  mb_buf *b;
  uint32_t mem;  /* the glue's memory (output index) */
  uint32_t rt;   /* the address of the glue's runtime (its export mb_rt_store) */
  uint32_t tmp;  /* the first of MB__FAST_TEMPS i32 locals the code may clobber */
  uint32_t own_move, lend, begin, end; /* the glue's full operations (output indices) */
} mb__fast;
#define MB__FAST_TEMPS 14

/* Instance and type ids the code takes as constants (memarg offsets) stay below this. */
#define MB__FAST_MAX_ID 65536

/* Each reads the handle from local h and leaves the result in local `out` (may be h),
 * as the glue's mb_own_move(from, type, h, to) / mb_borrow_lend(scope, type, h) would
 * (the inline case of a lend: into_definer, the rep; else a borrow handle). begin and
 * end open and close the scope in local `scope` as mb_call_begin / mb_call_end would. */
/* First in each run of the operations below between calls out of the adapter (before
 * the parameters, after the callee): a and b are every instance id they use. */
void mb__fast_phase(const mb__fast *c, uint32_t a, uint32_t b);
void mb__fast_move(const mb__fast *c, uint32_t from, uint32_t to, uint32_t type, uint32_t h,
                   uint32_t out);
void mb__fast_lend(const mb__fast *c, uint32_t caller, uint32_t callee, uint32_t type,
                   bool into_definer, uint32_t h, uint32_t scope, uint32_t out);
void mb__fast_begin(const mb__fast *c, uint32_t caller, uint32_t callee, uint32_t scope);
void mb__fast_end(const mb__fast *c, uint32_t scope);

#endif
