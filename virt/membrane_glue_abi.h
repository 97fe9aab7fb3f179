/* membrane_glue_abi.h — virt's public glue ABI: where the wasm32 glue keeps what the
 * fused adapters' hot paths touch. Public (beside membrane_virt.h) because another
 * library writes code against it: the linker, which writes those paths out as wasm in
 * each adapter (linker/fuse_fast.c) instead of calling into the glue: the common own
 * move, lend and call scope. Byte offsets in the glue's memory, wasm32 layout; glue.c
 * checks each against the structs of internal.h, so changing a struct without this file
 * fails the glue build. Append-only in spirit: an output fused by one membrane carries its
 * own glue, so the offsets need only agree within one build.
 * The adapters fall back to the glue's full operations for anything else. */
#ifndef MEMBRANE_GLUE_ABI_H
#define MEMBRANE_GLUE_ABI_H

/* the runtime (the glue exports its address as the global `mb_rt_store`) */
#define MB_GL_RT_INSTS 12
#define MB_GL_RT_NINSTS 16
#define MB_GL_RT_TYPES 24
#define MB_GL_RT_RES 36
#define MB_GL_RT_SCOPES 56
#define MB_GL_RT_NSCOPES 60
#define MB_GL_RT_SCOPES_CAP 64
#define MB_GL_RT_SCOPE_SERIAL 68
#define MB_GL_RT_LENDERS 72
#define MB_GL_RT_NLENDERS 76
#define MB_GL_RT_LENDERS_CAP 80

/* an instance: its handle table first */
#define MB_GL_INST_SIZE 40
#define MB_GL_HT_SLOTS 0
#define MB_GL_HT_CAP 4
#define MB_GL_HT_LEN 8
#define MB_GL_HT_FREE_HEAD 12
#define MB_GL_HT_FREE_TAIL 16
#define MB_GL_HT_SERIAL 24 /* u64 */

/* a slot; the key encoding is internal.h's */
#define MB_GL_SLOT_SIZE 24
#define MB_GL_SLOT_KEY 0
#define MB_GL_SLOT_TYPE 4
#define MB_GL_SLOT_RES 8
#define MB_GL_SLOT_LENDS 12
#define MB_GL_SLOT_SERIAL 16 /* u64, own */
#define MB_GL_SLOT_DEPTH 16  /* u32, borrow */
#define MB_GL_INDEX_BITS 26

#define MB_GL_TYPE_SIZE 20
#define MB_GL_TYPE_DEFINER 0

#define MB_GL_RES_SIZE 16
#define MB_GL_RES_REP 4
#define MB_GL_RES_REFS 8
#define MB_GL_RES_DESTROYED 12

#define MB_GL_SCOPE_SIZE 20
#define MB_GL_SCOPE_ID 0
#define MB_GL_SCOPE_CALLER 4
#define MB_GL_SCOPE_CALLEE 8
#define MB_GL_SCOPE_BORROWS 12
#define MB_GL_SCOPE_LENDER_BASE 16

#define MB_GL_LENDER_SIZE 8
#define MB_GL_LENDER_INST 0
#define MB_GL_LENDER_SLOT 4

#endif
