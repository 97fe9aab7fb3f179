/* expr.c — one pass over an instruction sequence: decode every instruction from the
 * shape table, check structure and index ranges, and (when rewriting) copy untouched
 * bytes in runs while re-encoding the immediates whose index changed. No tree. */
#include <string.h>

#include "internal.h"
#include "opcodes.h"

/* Frame kinds on the structure stack. */
enum { F_BLOCK, F_IF, F_ELSE, F_TRY, F_TRY_CATCH, F_TRY_CATCH_ALL };


typedef struct walker {
  mb_wasm_reader *r;
  const uint32_t *limits;
  const mb_remap *remap;
  mb_buf *out;
  const uint8_t *copied; /* input bytes before this are already in out */
  uint32_t features;
  const mb_wasm_mem_hook *hook; /* non-NULL: memory instructions are replaced by its output */
} walker;

static const char *const space_names[MB_SPACE_COUNT] = {
    "type", "function", "table", "memory", "global", "tag", "element segment", "data segment"};

static uint32_t space_limit(const walker *w, mb_space s) {
  if (w->limits) return w->limits[s];
  if (w->remap && w->remap->map[s]) return w->remap->count[s];
  return UINT32_MAX;
}

static const uint32_t *space_map(const walker *w, mb_space s) {
  return (w->out && w->remap) ? w->remap->map[s] : NULL;
}

/* Append input bytes up to `upto` that are not yet in out. */
static void flush_to(walker *w, const uint8_t *upto) {
  if (!w->out) return;
  if (upto > w->copied) mb_buf_append(w->out, w->copied, (size_t)(upto - w->copied));
  w->copied = upto;
}

static mb_err index_imm(walker *w, mb_space s, uint32_t *val) {
  const uint8_t *at = w->r->pos;
  uint64_t off = mb_wasm_off(w->r);
  uint32_t v;
  mb_err e = mb_wasm_u32(w->r, &v, space_names[s]);
  if (e) return e;
  uint32_t lim = space_limit(w, s);
  if (v >= lim)
    return mb_wasm_fail(w->r->diag, MB_ERR_INDEX_RANGE, off, "%s index %u out of range (%u %s%s)",
                        space_names[s], v, lim, space_names[s], lim == 1 ? "" : "s");
  if (s == MB_SPACE_DATA) w->features |= MB__FEAT_USES_DATAIDX;
  const uint32_t *map = space_map(w, s);
  if (map && map[v] != v) {
    flush_to(w, at);
    mb_buf_u32(w->out, map[v]);
    w->copied = w->r->pos;
  }
  if (val) *val = v;
  return MB_OK;
}

/* A heap type: abstract byte, or s33 type index (range-checked, remapped). */
static mb_err heap_imm(walker *w, const char *what) {
  mb_wasm_reader *r = w->r;
  const uint8_t *at = r->pos;
  mb_heaptype h;
  mb_err e = mb__heaptype(r, &h, space_limit(w, MB_SPACE_TYPE), what);
  if (e) return e;
  if (!mb_heap_is_index(h)) {
    w->features |= mb__valtype_features(mb_valtype_ref(true, h));
    return MB_OK;
  }
  const uint32_t *map = space_map(w, MB_SPACE_TYPE);
  if (map && map[h] != h) {
    flush_to(w, at);
    mb_buf_s64(w->out, (int64_t)map[h]);
    w->copied = r->pos;
  }
  return MB_OK;
}

/* A value type in code (local declarations, select, block types): a type index in a
 * typed reference is range-checked and remapped like any other index. */
static mb_err valtype_imm(walker *w, const char *what) {
  mb_wasm_reader *r = w->r;
  uint64_t off = mb_wasm_off(r);
  uint8_t b;
  mb_err e = mb_wasm_byte(r, &b, what);
  if (e) return e;
  if (mb__is_valtype(b)) {
    w->features |= mb__valtype_features(b);
    return MB_OK;
  }
  if (b != MB_VT_REF_NULL && b != MB_VT_REF)
    return mb_wasm_fail(r->diag, MB_ERR_BAD_TYPE, off, "malformed value type 0x%02x in %s", b, what);
  w->features |= MB_FEAT_TYPED_FUNC_REFS;
  return heap_imm(w, what);
}

/* blocktype: 0x40 | valtype | s33 type index. */
static mb_err block_type(walker *w) {
  mb_wasm_reader *r = w->r;
  uint64_t off = mb_wasm_off(r);
  if (r->pos >= r->end)
    return mb_wasm_fail(r->diag, MB_ERR_UNEXPECTED_END, off, "unexpected end: expected block type");
  uint8_t b = *r->pos;
  if (b == 0x40 || mb__is_valtype(b)) {
    r->pos++;
    return MB_OK;
  }
  if (b == MB_VT_REF_NULL || b == MB_VT_REF) return valtype_imm(w, "block type");
  const uint8_t *at = r->pos;
  int64_t v;
  mb_err e = mb_wasm_s33(r, &v, "block type");
  if (e) return e;
  if (v < 0) return mb_wasm_fail(r->diag, MB_ERR_BAD_TYPE, off, "malformed block type 0x%02x", b);
  uint32_t lim = space_limit(w, MB_SPACE_TYPE);
  if ((uint64_t)v >= lim)
    return mb_wasm_fail(r->diag, MB_ERR_INDEX_RANGE, off,
                        "type index %lld out of range in block type (%u types)", (long long)v, lim);
  w->features |= MB_FEAT_MULTI_VALUE;
  const uint32_t *map = space_map(w, MB_SPACE_TYPE);
  if (map && map[v] != (uint64_t)v) {
    flush_to(w, at);
    mb_buf_s64(w->out, (int64_t)map[v]);
    w->copied = r->pos;
  }
  return MB_OK;
}

/* br_on_cast(_fail): cast flags byte, label, source and target heap types. */
static mb_err br_on_cast(walker *w) {
  mb_wasm_reader *r = w->r;
  uint64_t off = mb_wasm_off(r);
  uint8_t flags;
  uint32_t label;
  mb_err e = mb_wasm_byte(r, &flags, "cast flags");
  if (e) return e;
  if (flags > 3)
    return mb_wasm_fail(r->diag, MB_ERR_BAD_IMMEDIATE, off, "malformed cast flags 0x%02x", flags);
  if ((e = mb_wasm_u32(r, &label, "label index")) || (e = heap_imm(w, "cast source type")))
    return e;
  return heap_imm(w, "cast target type");
}

/* memarg: flags u32 (< 128; bit 6 = memidx follows), [memidx], offset u64. */
static mb_err memarg(walker *w) {
  mb_wasm_reader *r = w->r;
  const uint8_t *at = r->pos;
  uint64_t off = mb_wasm_off(r);
  uint32_t flags, mem = 0;
  mb_err e = mb_wasm_u32(r, &flags, "memarg flags");
  if (e) return e;
  if (flags >= 128)
    return mb_wasm_fail(r->diag, MB_ERR_BAD_IMMEDIATE, off, "malformed memop flags 0x%x", flags);
  const uint8_t *mem_at = r->pos;
  if (flags & 0x40) {
    uint64_t moff = mb_wasm_off(r);
    if ((e = mb_wasm_u32(r, &mem, "memory index"))) return e;
    uint32_t lim = space_limit(w, MB_SPACE_MEMORY);
    if (mem >= lim)
      return mb_wasm_fail(r->diag, MB_ERR_INDEX_RANGE, moff,
                          "memory index %u out of range (%u memories)", mem, lim);
    w->features |= MB_FEAT_MULTI_MEMORY;
  } else if (space_limit(w, MB_SPACE_MEMORY) == 0) {
    return mb_wasm_fail(r->diag, MB_ERR_INDEX_RANGE, off,
                        "memory access without a memory (memory index 0 out of range)");
  }
  const uint8_t *offset_at = r->pos;
  uint64_t offset;
  if ((e = mb_wasm_u64(r, &offset, "memarg offset"))) return e;
  const uint32_t *map = space_map(w, MB_SPACE_MEMORY);
  if (map && map[mem] != mem) {
    /* re-encode flags and memidx; the offset bytes are copied as they were */
    uint32_t nm = map[mem], align = flags & 0x3F;
    flush_to(w, at);
    if (nm == 0) {
      mb_buf_u32(w->out, align);
    } else {
      mb_buf_u32(w->out, align | 0x40);
      mb_buf_u32(w->out, nm);
    }
    w->copied = offset_at;
  }
  (void)mem_at;
  return MB_OK;
}

static mb_err skip(walker *w, size_t n, const char *what) {
  const uint8_t *p;
  return mb_wasm_bytes(w->r, n, &p, what);
}

static mb_err lane(walker *w) { return skip(w, 1, "lane index"); }

static bool const_allowed(uint8_t op, uint32_t sub) {
  switch (op) {
  case 0x41: case 0x42: case 0x43: case 0x44: /* t.const */
  case 0xD0: case 0xD2: case 0x23:            /* ref.null, ref.func, global.get */
  case 0x6A: case 0x6B: case 0x6C:            /* i32.add/sub/mul (extended-const) */
  case 0x7C: case 0x7D: case 0x7E:            /* i64.add/sub/mul */
  case 0x0B:
    return true;
  case 0xFD:
    return sub == 12; /* v128.const */
  case 0xFB: /* struct.new(_default), array.new(_default/_fixed), any/extern.convert, ref.i31 */
    return sub <= 1 || (sub >= 6 && sub <= 8) || (sub >= 26 && sub <= 28);
  default:
    return false;
  }
}

/* A memory instruction handed to the hook: its immediates decoded (no remapping of the
 * memory or data index), the whole instruction replaced by what the hook appends. */
static mb_err hook_insn(walker *w, const uint8_t *start, uint8_t op, uint32_t sub, mb_shape shape) {
  mb_wasm_reader *r = w->r;
  mb_wasm_mem_insn in = {.op = op, .sub = sub, .offset_at = mb_wasm_off(r)};
  mb_err e = MB_OK;
  switch (shape) {
  case SH_MEMARG:
  case SH_MEMARG_LANE: {
    uint32_t flags;
    if ((e = mb_wasm_u32(r, &flags, "memarg flags"))) return e;
    in.align = flags & 0x3F;
    if ((flags & 0x40) && (e = mb_wasm_u32(r, &in.mem, "memory index"))) return e;
    if ((e = mb_wasm_u64(r, &in.offset, "memarg offset"))) return e;
    in.memarg = true;
    if (shape == SH_MEMARG_LANE) {
      if (r->pos >= r->end) return mb_wasm_fail(r->diag, MB_ERR_UNEXPECTED_END, mb_wasm_off(r), "unexpected end: lane");
      in.lane = *r->pos++;
      in.has_lane = true;
    }
    break;
  }
  case SH_MEM: e = mb_wasm_u32(r, &in.mem, "memory index"); break;
  case SH_MEM_MEM:
    if (!(e = mb_wasm_u32(r, &in.mem, "memory index"))) e = mb_wasm_u32(r, &in.mem2, "memory index");
    break;
  case SH_DATA_MEM:
    if (!(e = mb_wasm_u32(r, &in.data, "data index"))) e = mb_wasm_u32(r, &in.mem, "memory index");
    break;
  default: return MB_OK;
  }
  if (e) return e;
  if (w->out) {
    flush_to(w, start);
    if ((e = w->hook->fn(w->hook->user, w->out, &in))) return e;
    w->copied = r->pos;
  }
  return MB_OK;
}

static mb_err frame_push(walker *w, mb_buf *stack, uint8_t kind) {
  if (mb_buf_byte(stack, kind)) return MB_OK;
  return mb_wasm_fail(w->r->diag, MB_ERR_NOMEM, mb_wasm_off(w->r), "out of memory while reading code");
}

static mb_err walk(walker *w, mb_expr_kind kind) {
  mb_wasm_reader *r = w->r;
  mb_buf stack; /* open structured instructions, one byte each */
  mb_buf_init(&stack, w->out ? &w->out->alloc : r->alloc);
  mb_err e = MB_OK;
  for (;;) {
    uint64_t off = mb_wasm_off(r);
    const uint8_t *insn_start = r->pos;
    uint8_t op;
    uint32_t sub = 0;
    mb_shape shape;
    if ((e = mb_wasm_byte(r, &op, kind == MB_EXPR_CONST ? "end of constant expression"
                                                    : "end of function body")))
      goto out;
    switch (op) {
    case 0xFB:
      if ((e = mb_wasm_u32(r, &sub, "0xFB sub-opcode"))) goto out;
      shape = mb__shape_fb(sub);
      w->features |= MB_FEAT_GC;
      break;
    case 0xFC:
      if ((e = mb_wasm_u32(r, &sub, "0xFC sub-opcode"))) goto out;
      shape = mb__shape_fc(sub);
      if (shape != SH_NONE || sub > 7) w->features |= MB_FEAT_BULK_MEMORY;
      break;
    case 0xFD:
      if ((e = mb_wasm_u32(r, &sub, "0xFD sub-opcode"))) goto out;
      shape = mb__shape_fd(sub);
      w->features |= sub >= 256 ? MB_FEAT_RELAXED_SIMD | MB_FEAT_SIMD : MB_FEAT_SIMD;
      break;
    case 0xFE:
      if ((e = mb_wasm_u32(r, &sub, "0xFE sub-opcode"))) goto out;
      shape = mb__shape_fe(sub);
      w->features |= MB_FEAT_THREADS;
      break;
    default:
      shape = mb__shape_single(op);
      if (op >= 0xD3 && op <= 0xD6) /* ref.eq (GC); ref.as_non_null, br_on_null, br_on_non_null */
        w->features |= op == 0xD3 ? MB_FEAT_GC : MB_FEAT_TYPED_FUNC_REFS;
      break;
    }
    if (shape == SH_ILLEGAL) {
      if (op >= 0xFB)
        e = mb_wasm_fail(r->diag, MB_ERR_BAD_OPCODE, off, "illegal opcode 0x%02x %u", op, sub);
      else
        e = mb_wasm_fail(r->diag, MB_ERR_BAD_OPCODE, off, "illegal opcode 0x%02x", op);
      goto out;
    }
    if (kind == MB_EXPR_CONST && !const_allowed(op, sub)) {
      e = mb_wasm_fail(r->diag, MB_ERR_BAD_CONST_EXPR, off,
                       "constant expression required: opcode 0x%02x is not allowed here", op);
      goto out;
    }
    uint8_t top = stack.len ? stack.data[stack.len - 1] : 0xFF;
    if (w->hook && (shape == SH_MEMARG || shape == SH_MEMARG_LANE || shape == SH_MEM ||
                    shape == SH_MEM_MEM || shape == SH_DATA_MEM)) {
      if ((e = hook_insn(w, insn_start, op, sub, shape))) goto out;
      continue;
    }
    switch (shape) {
    case SH_NONE:
      break;
    case SH_THROW_REF:
      w->features |= MB_FEAT_EXCEPTIONS;
      break;
    case SH_BLOCK:
      if ((e = block_type(w)) || (e = frame_push(w, &stack, F_BLOCK))) goto out;
      break;
    case SH_IF:
      if ((e = block_type(w)) || (e = frame_push(w, &stack, F_IF))) goto out;
      break;
    case SH_TRY:
      w->features |= MB_FEAT_LEGACY_EXCEPTIONS;
      if ((e = block_type(w)) || (e = frame_push(w, &stack, F_TRY))) goto out;
      break;
    case SH_TRY_TABLE: {
      w->features |= MB_FEAT_EXCEPTIONS;
      if ((e = block_type(w))) goto out;
      uint32_t n;
      if ((e = mb_wasm_u32(r, &n, "catch clause count"))) goto out;
      for (uint32_t i = 0; i < n; i++) {
        uint64_t coff = mb_wasm_off(r);
        uint8_t ck;
        uint32_t label;
        if ((e = mb_wasm_byte(r, &ck, "catch clause kind"))) goto out;
        if (ck > 3) {
          e = mb_wasm_fail(r->diag, MB_ERR_BAD_IMMEDIATE, coff, "malformed catch clause kind 0x%02x",
                           ck);
          goto out;
        }
        if (ck <= 1 && (e = index_imm(w, MB_SPACE_TAG, NULL))) goto out;
        if ((e = mb_wasm_u32(r, &label, "catch label"))) goto out;
      }
      if ((e = frame_push(w, &stack, F_BLOCK))) goto out;
      break;
    }
    case SH_ELSE:
      if (top != F_IF) {
        e = mb_wasm_fail(r->diag, MB_ERR_BAD_STRUCTURE, off, "misplaced else opcode");
        goto out;
      }
      stack.data[stack.len - 1] = F_ELSE;
      break;
    case SH_CATCH:
      if (top != F_TRY && top != F_TRY_CATCH) {
        e = mb_wasm_fail(r->diag, MB_ERR_BAD_STRUCTURE, off, "misplaced catch opcode");
        goto out;
      }
      stack.data[stack.len - 1] = F_TRY_CATCH;
      if ((e = index_imm(w, MB_SPACE_TAG, NULL))) goto out;
      break;
    case SH_CATCH_ALL:
      if (top != F_TRY && top != F_TRY_CATCH) {
        e = mb_wasm_fail(r->diag, MB_ERR_BAD_STRUCTURE, off, "misplaced catch_all opcode");
        goto out;
      }
      stack.data[stack.len - 1] = F_TRY_CATCH_ALL;
      break;
    case SH_DELEGATE: {
      uint32_t label;
      if (top != F_TRY) {
        e = mb_wasm_fail(r->diag, MB_ERR_BAD_STRUCTURE, off, "misplaced delegate opcode");
        goto out;
      }
      if ((e = mb_wasm_u32(r, &label, "delegate label"))) goto out;
      stack.len--;
      break;
    }
    case SH_END:
      if (stack.len == 0) {
        flush_to(w, r->pos);
        goto out; /* the expression's own end */
      }
      stack.len--;
      break;
    case SH_RETHROW:
    case SH_LABEL: {
      uint32_t label;
      if ((e = mb_wasm_u32(r, &label, "label index"))) goto out;
      break;
    }
    case SH_BR_TABLE: {
      uint32_t n, label;
      if ((e = mb_wasm_u32(r, &n, "br_table length"))) goto out;
      if (n > mb_wasm_left(r)) { /* each entry takes at least one byte */
        e = mb_wasm_fail(r->diag, MB_ERR_UNEXPECTED_END, off, "unexpected end: br_table of %u labels",
                         n);
        goto out;
      }
      for (uint32_t i = 0; i <= n; i++)
        if ((e = mb_wasm_u32(r, &label, "label index"))) goto out;
      break;
    }
    case SH_FUNC:
      if (op == 0x12) w->features |= MB_FEAT_TAIL_CALL;
      if ((e = index_imm(w, MB_SPACE_FUNC, NULL))) goto out;
      break;
    case SH_REF_FUNC:
      w->features |= MB_FEAT_REFERENCE_TYPES;
      if ((e = index_imm(w, MB_SPACE_FUNC, NULL))) goto out;
      break;
    case SH_TYPE_TABLE:
      if (op == 0x13) w->features |= MB_FEAT_TAIL_CALL;
      if ((e = index_imm(w, MB_SPACE_TYPE, NULL)) || (e = index_imm(w, MB_SPACE_TABLE, NULL)))
        goto out;
      break;
    case SH_TYPE:
      if (op == 0x14 || op == 0x15) /* call_ref, return_call_ref */
        w->features |= op == 0x15 ? MB_FEAT_TYPED_FUNC_REFS | MB_FEAT_TAIL_CALL
                                  : MB_FEAT_TYPED_FUNC_REFS;
      if ((e = index_imm(w, MB_SPACE_TYPE, NULL))) goto out;
      break;
    case SH_TYPE_TYPE:
      if ((e = index_imm(w, MB_SPACE_TYPE, NULL)) || (e = index_imm(w, MB_SPACE_TYPE, NULL)))
        goto out;
      break;
    case SH_TYPE_FIELD:
    case SH_TYPE_COUNT: {
      uint32_t n; /* field index or operand count: not an index space of the module */
      if ((e = index_imm(w, MB_SPACE_TYPE, NULL)) ||
          (e = mb_wasm_u32(r, &n, shape == SH_TYPE_FIELD ? "field index" : "operand count")))
        goto out;
      break;
    }
    case SH_TYPE_DATA:
      if ((e = index_imm(w, MB_SPACE_TYPE, NULL)) || (e = index_imm(w, MB_SPACE_DATA, NULL)))
        goto out;
      break;
    case SH_TYPE_ELEM:
      if ((e = index_imm(w, MB_SPACE_TYPE, NULL)) || (e = index_imm(w, MB_SPACE_ELEM, NULL)))
        goto out;
      break;
    case SH_HEAPTYPE:
      if (op == 0xD0) w->features |= MB_FEAT_REFERENCE_TYPES;
      if ((e = heap_imm(w, "heap type"))) goto out;
      break;
    case SH_BR_ON_CAST:
      if ((e = br_on_cast(w))) goto out;
      break;
    case SH_SELECT_T: {
      uint32_t n;
      if ((e = mb_wasm_u32(r, &n, "select type count"))) goto out;
      if (n > mb_wasm_left(r)) {
        e = mb_wasm_fail(r->diag, MB_ERR_UNEXPECTED_END, off, "unexpected end: select of %u types", n);
        goto out;
      }
      for (uint32_t i = 0; i < n; i++)
        if ((e = valtype_imm(w, "select type"))) goto out;
      break;
    }
    case SH_TAG:
      w->features |= MB_FEAT_EXCEPTIONS;
      if ((e = index_imm(w, MB_SPACE_TAG, NULL))) goto out;
      break;
    case SH_LOCAL: {
      uint32_t local;
      if ((e = mb_wasm_u32(r, &local, "local index"))) goto out;
      break;
    }
    case SH_GLOBAL:
      if ((e = index_imm(w, MB_SPACE_GLOBAL, NULL))) goto out;
      break;
    case SH_TABLE:
      if ((e = index_imm(w, MB_SPACE_TABLE, NULL))) goto out;
      break;
    case SH_TABLE_TABLE:
      if ((e = index_imm(w, MB_SPACE_TABLE, NULL)) || (e = index_imm(w, MB_SPACE_TABLE, NULL)))
        goto out;
      break;
    case SH_ELEM_TABLE:
      if ((e = index_imm(w, MB_SPACE_ELEM, NULL)) || (e = index_imm(w, MB_SPACE_TABLE, NULL)))
        goto out;
      break;
    case SH_ELEM:
      if ((e = index_imm(w, MB_SPACE_ELEM, NULL))) goto out;
      break;
    case SH_DATA_MEM:
      if ((e = index_imm(w, MB_SPACE_DATA, NULL)) || (e = index_imm(w, MB_SPACE_MEMORY, NULL)))
        goto out;
      break;
    case SH_DATA:
      if ((e = index_imm(w, MB_SPACE_DATA, NULL))) goto out;
      break;
    case SH_MEM:
      if ((e = index_imm(w, MB_SPACE_MEMORY, NULL))) goto out;
      break;
    case SH_MEM_MEM:
      if ((e = index_imm(w, MB_SPACE_MEMORY, NULL)) || (e = index_imm(w, MB_SPACE_MEMORY, NULL)))
        goto out;
      break;
    case SH_MEMARG:
      if ((e = memarg(w))) goto out;
      break;
    case SH_MEMARG_LANE:
      if ((e = memarg(w)) || (e = lane(w))) goto out;
      break;
    case SH_LANE:
      if ((e = lane(w))) goto out;
      break;
    case SH_I32: {
      int32_t v;
      if ((e = mb_wasm_s32(r, &v, "i32 constant"))) goto out;
      break;
    }
    case SH_I64: {
      int64_t v;
      if ((e = mb_wasm_s64(r, &v, "i64 constant"))) goto out;
      break;
    }
    case SH_F32:
      if ((e = skip(w, 4, "f32 constant"))) goto out;
      break;
    case SH_F64:
      if ((e = skip(w, 8, "f64 constant"))) goto out;
      break;
    case SH_V128:
      if ((e = skip(w, 16, "v128 constant"))) goto out;
      break;
    case SH_SHUFFLE:
      if ((e = skip(w, 16, "shuffle lanes"))) goto out;
      break;
    case SH_FENCE: {
      uint8_t b;
      uint64_t boff = mb_wasm_off(r); /* the sub-opcode before it may be padded */
      if ((e = mb_wasm_byte(r, &b, "atomic.fence reserved byte"))) goto out;
      if (b != 0) {
        e = mb_wasm_fail(r->diag, MB_ERR_BAD_IMMEDIATE, boff,
                         "malformed atomic.fence: reserved byte must be 0x00, got 0x%02x", b);
        goto out;
      }
      break;
    }
    case SH_ILLEGAL:
      break; /* handled above */
    }
  }
out:
  if (e == MB_OK && w->out && w->out->failed)
    e = mb_wasm_fail(r->diag, MB_ERR_NOMEM, mb_wasm_off(r), "out of memory while rewriting code");
  if (e == MB_OK && stack.failed)
    e = mb_wasm_fail(r->diag, MB_ERR_NOMEM, mb_wasm_off(r), "out of memory while reading code");
  mb_buf_fini(&stack);
  return e;
}

mb_err mb__expr_walk(mb_wasm_reader *r, mb_expr_kind kind, const uint32_t *limits,
                     const mb_remap *remap, mb_buf *out, uint32_t *features) {
  walker w = {r, limits, remap, out, r->pos, 0, NULL};
  mb_err e = walk(&w, kind);
  if (features) *features |= w.features;
  return e;
}

/* Local groups: vec(n:u32 valtype), total below 50,000 (the JS API's limit, which every
 * engine enforces) so later per-local work stays bounded. */
enum { MAX_LOCALS = 50000 };

mb_err mb__body_walk(mb_wasm_reader *r, const uint32_t *limits, const mb_remap *remap, mb_buf *out,
                     uint32_t *features) {
  walker w = {r, limits, remap, out, r->pos, 0, NULL};
  uint32_t groups;
  uint64_t total = 0;
  mb_err e = mb_wasm_u32(r, &groups, "local group count");
  if (e) return e;
  for (uint32_t i = 0; i < groups; i++) {
    uint32_t n;
    uint64_t goff = mb_wasm_off(r);
    if ((e = mb_wasm_u32(r, &n, "local count")) || (e = valtype_imm(&w, "local type"))) return e;
    total += n;
    if (total > MAX_LOCALS)
      return mb_wasm_fail(r->diag, MB_ERR_TOO_MANY, goff,
                          "too many locals: %llu declared, the limit is %d", (unsigned long long)total,
                          MAX_LOCALS);
  }
  e = walk(&w, MB_EXPR_BODY);
  if (features) *features |= w.features;
  if (e) return e;
  if (r->pos != r->end)
    return mb_wasm_fail(r->diag, MB_ERR_SECTION_SIZE, mb_wasm_off(r),
                        "section size mismatch: function body ends %zu bytes before its size",
                        mb_wasm_left(r));
  return MB_OK;
}

/* Public wrappers over a plain byte range. */
static mb_err run_body(const mb_allocator *alloc, const uint8_t *body, size_t len, uint64_t base,
                       const uint32_t *limits, const mb_remap *remap, mb_buf *out, mb_diag *diag) {
  mb_wasm_reader r = {body, body, body + len, base, diag, alloc};
  return mb__body_walk(&r, limits, remap, out, NULL);
}

mb_err mb_code_rewrite(const uint8_t *body, size_t len, uint64_t base_offset,
                       const mb_remap *remap, mb_buf *out, mb_diag *diag) {
  return run_body(&out->alloc, body, len, base_offset, NULL, remap, out, diag);
}

mb_err mb_code_check(const mb_allocator *alloc, const uint8_t *body, size_t len, uint64_t base_offset,
                     const uint32_t index_limit[MB_SPACE_COUNT], mb_diag *diag) {
  return run_body(alloc, body, len, base_offset, index_limit, NULL, NULL, diag);
}

mb_err mb_const_expr_rewrite(const uint8_t *expr, size_t len, uint64_t base_offset,
                             const mb_remap *remap, mb_buf *out, mb_diag *diag) {
  mb_wasm_reader r = {expr, expr, expr + len, base_offset, diag, &out->alloc};
  mb_err e = mb__expr_walk(&r, MB_EXPR_CONST, NULL, remap, out, NULL);
  if (e) return e;
  if (r.pos != r.end)
    return mb_wasm_fail(diag, MB_ERR_BAD_CONST_EXPR, mb_wasm_off(&r),
                        "%zu bytes after the end of a constant expression", mb_wasm_left(&r));
  return MB_OK;
}

mb_err mb_wasm_expr_walk_hooked(mb_wasm_reader *r, const mb_remap *remap, const mb_wasm_mem_hook *hook,
                                mb_buf *out) {
  walker w = {r, NULL, remap, out, r->pos, 0, hook};
  return walk(&w, MB_EXPR_BODY);
}
