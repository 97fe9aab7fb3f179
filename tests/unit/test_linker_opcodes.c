/* test_linker_opcodes.c — the whole opcode space against an expectation table written
 * from ref/wasm-binary.md §7 (deliberately not linker/wasm/opcodes.h, so this is an independent
 * check of the reader's and rewriter's shape table).
 *
 * For every single byte, every 0xFC sub-op 0–40, 0xFD 0–300, 0xFE 0–100 and 0xFB 0–40 a
 * module is hand-assembled whose one function body holds just that instruction (wrapped
 * in block/if/try when it needs a construct around it). Every index space has 3
 * entries. Checks: defined opcodes decode; undefined ones fail at the opcode's offset;
 * mb_code_rewrite with the map {0->2, 1->0, 2->1} on every space gives exactly the bytes
 * this file's own encoder predicts; an index of 3 anywhere is MB_ERR_INDEX_RANGE at that
 * immediate's offset. */
#include <stdio.h>

#include "linker_test_util.h"

/* ---- the expectation table (ref/wasm-binary.md §7.1–7.7) ---- */

/* Immediate layout tokens, in encoding order:
 *   B blocktype (s33 type index here; 0x40 in the wrappers)   C try_table catch vector
 *   l label u32   R br_table vec(label) + default   L local u32
 *   f func  y type  t table  m memory (u32)  g global  x tag  e elem  d data   (u32 indices)
 *   M memarg (flags, [memidx if bit 6], u64 offset)   n lane byte
 *   i s32  I s64  4 f32 bytes  8 f64 bytes  V 16 raw bytes  Z atomic.fence reserved 0x00
 *   S select vec(valtype)   H heap type (abstract byte)   h heap type (s33 type index)
 *   F field index u32   N operand count u32   c br_on_cast flags byte */
enum role {
  R_PLAIN,     /* stands alone */
  R_OPEN,      /* block/loop/if/try/try_table: needs a matching end */
  R_ELSE,      /* only inside if */
  R_CATCH,     /* only inside legacy try */
  R_CATCH_ALL, /* only inside legacy try */
  R_DELEGATE,  /* ends a legacy try (no end of its own) */
  R_END,       /* closes a block */
};

typedef struct opdesc {
  uint8_t prefix; /* 0 = single-byte opcode */
  uint32_t code;  /* the byte, or the sub-opcode after the prefix */
  bool defined;
  const char *imm;
  enum role role;
} opdesc;

static const struct {
  uint8_t op;
  const char *imm;
  enum role role;
} single_ops[] = {
    {0x00, "", R_PLAIN},     {0x01, "", R_PLAIN},      {0x02, "B", R_OPEN},
    {0x03, "B", R_OPEN},     {0x04, "B", R_OPEN},      {0x05, "", R_ELSE},
    {0x06, "B", R_OPEN},     {0x07, "x", R_CATCH},     {0x08, "x", R_PLAIN},
    {0x09, "l", R_PLAIN},    {0x0A, "", R_PLAIN},      {0x0B, "", R_END},
    {0x0C, "l", R_PLAIN},    {0x0D, "l", R_PLAIN},     {0x0E, "R", R_PLAIN},
    {0x0F, "", R_PLAIN},     {0x10, "f", R_PLAIN},     {0x11, "yt", R_PLAIN},
    {0x12, "f", R_PLAIN},    {0x13, "yt", R_PLAIN},    {0x14, "y", R_PLAIN},
    {0x15, "y", R_PLAIN},    {0x18, "l", R_DELEGATE},  {0x19, "", R_CATCH_ALL},
    {0x1A, "", R_PLAIN},     {0x1B, "", R_PLAIN},      {0x1C, "S", R_PLAIN},
    {0x1F, "BC", R_OPEN},    {0x20, "L", R_PLAIN},     {0x21, "L", R_PLAIN},
    {0x22, "L", R_PLAIN},    {0x23, "g", R_PLAIN},     {0x24, "g", R_PLAIN},
    {0x25, "t", R_PLAIN},    {0x26, "t", R_PLAIN},     {0x3F, "m", R_PLAIN},
    {0x40, "m", R_PLAIN},    {0x41, "i", R_PLAIN},     {0x42, "I", R_PLAIN},
    {0x43, "4", R_PLAIN},    {0x44, "8", R_PLAIN},     {0xD0, "H", R_PLAIN},
    {0xD1, "", R_PLAIN},     {0xD2, "f", R_PLAIN},     {0xD3, "", R_PLAIN},
    {0xD4, "", R_PLAIN},     {0xD5, "l", R_PLAIN},     {0xD6, "l", R_PLAIN},
};

static opdesc single_desc(uint8_t op) {
  opdesc d = {0, op, false, NULL, R_PLAIN};
  if (op >= 0x28 && op <= 0x3E) d.defined = true, d.imm = "M"; /* loads and stores */
  if (op >= 0x45 && op <= 0xC4) d.defined = true, d.imm = "";  /* numeric, §7.2 */
  for (size_t i = 0; i < sizeof single_ops / sizeof *single_ops; i++)
    if (single_ops[i].op == op) {
      d.defined = true;
      d.imm = single_ops[i].imm;
      d.role = single_ops[i].role;
    }
  return d;
}

static opdesc fc_desc(uint32_t sub) { /* §7.4 */
  static const char *const imm[18] = {"", "", "", "", "", "", "", "", "dm",
                                      "d", "mm", "m", "et", "e", "tt", "t", "t", "t"};
  opdesc d = {0xFC, sub, sub < 18, sub < 18 ? imm[sub] : NULL, R_PLAIN};
  return d;
}

static opdesc fd_desc(uint32_t sub) { /* §7.5 */
  static const uint32_t holes[] = {154, 162, 165, 166, 175, 176, 178, 179, 180, 187,
                                   194, 197, 198, 207, 208, 210, 211, 212, 226, 238};
  opdesc d = {0xFD, sub, sub <= 275, "", R_PLAIN};
  for (size_t i = 0; i < sizeof holes / sizeof *holes; i++)
    if (holes[i] == sub) d.defined = false;
  if (sub <= 11 || sub == 92 || sub == 93) d.imm = "M";
  else if (sub == 12 || sub == 13) d.imm = "V"; /* v128.const, i8x16.shuffle */
  else if (sub >= 21 && sub <= 34) d.imm = "n";
  else if (sub >= 84 && sub <= 91) d.imm = "Mn";
  if (!d.defined) d.imm = NULL;
  return d;
}

static opdesc fe_desc(uint32_t sub) { /* §7.6 */
  opdesc d = {0xFE, sub, false, NULL, R_PLAIN};
  if (sub <= 2 || (sub >= 0x10 && sub <= 0x4E)) d.defined = true, d.imm = "M";
  if (sub == 3) d.defined = true, d.imm = "Z";
  return d;
}

static opdesc fb_desc(uint32_t sub) { /* §7.3 */
  static const char *const imm[31] = {
      "y",  "y",  "yF", "yF", "yF", "yF", "y", "y", "yN", "yd", "ye", "y", "y", "y", "y", "",
      "y",  "yy", "yd", "ye", "h",  "h",  "h", "h", "clhh", "clhh", "", "", "", "", ""};
  opdesc d = {0xFB, sub, sub < 31, sub < 31 ? imm[sub] : NULL, R_PLAIN};
  return d;
}

/* Every opcode of the sweep. */
static size_t all_ops(opdesc *out) {
  size_t n = 0;
  for (unsigned op = 0; op <= 0xFF; op++)
    if (op < 0xFB || op > 0xFE) out[n++] = single_desc((uint8_t)op);
  for (uint32_t s = 0; s <= 40; s++) out[n++] = fb_desc(s);
  for (uint32_t s = 0; s <= 40; s++) out[n++] = fc_desc(s);
  for (uint32_t s = 0; s <= 300; s++) out[n++] = fd_desc(s);
  for (uint32_t s = 0; s <= 100; s++) out[n++] = fe_desc(s);
  return n;
}
#define MAX_OPS 800

/* ---- this file's own encoder ---- */

enum { V_ZERO, V_SMALL, V_PADDED, NVARIANTS };

typedef struct enc {
  int variant;
  const uint32_t *const *map; /* NULL: the input; else the rewrite expected under these
                               * per-space maps (a NULL entry is the identity) */
  int oor_slot;        /* this index slot gets the out-of-range value 3 (input only) */
  int nslots;
  size_t slot_off[16]; /* offset in the output of each index slot */
  size_t op_off;       /* offset of the instruction under test */
} enc;

static uint32_t slot_value(const enc *e, int k) {
  if (k == e->oor_slot) return 3;
  switch (e->variant) {
  case V_ZERO: return 0;
  case V_SMALL: return k % 2 ? 2 : 1;
  default: return k % 2 ? 1 : 2;
  }
}

/* A plain u32 that is never remapped (label, local, count): padded in V_PADDED. */
static void plain_u32(tb *b, const enc *e, uint32_t v) {
  tb_uleb_w(b, v, e->variant == V_PADDED ? 5 : 0);
}

static uint32_t mapped(const enc *e, mb_space s, uint32_t v) {
  return e->map && e->map[s] ? e->map[s][v] : v;
}

/* An index immediate: a changed index is re-encoded minimally, an unchanged one copied. */
static void index_u32(tb *b, enc *e, mb_space s) {
  int k = e->nslots++;
  uint32_t v = slot_value(e, k);
  e->slot_off[k] = b->n;
  if (mapped(e, s, v) != v) tb_u32(b, mapped(e, s, v));
  else plain_u32(b, e, v);
}

static void memarg(tb *b, enc *e) {
  int k = e->nslots++;
  uint32_t v = slot_value(e, k);
  bool has_idx = e->variant != V_ZERO || k == e->oor_slot;
  uint32_t align = 2;
  tb off;
  tb_init(&off);
  tb_uleb_w(&off, 8, e->variant == V_PADDED ? 10 : 0); /* offsets are u64 */
  if (mapped(e, MB_SPACE_MEMORY, v) != v) {
    uint32_t nm = mapped(e, MB_SPACE_MEMORY, v);
    tb_u32(b, nm ? align | 0x40 : align);
    e->slot_off[k] = b->n;
    if (nm) tb_u32(b, nm);
  } else {
    plain_u32(b, e, has_idx ? align | 0x40 : align);
    e->slot_off[k] = b->n;
    if (has_idx) plain_u32(b, e, v);
  }
  tb_put(b, off.d, off.n); /* the offset is copied as it was */
  tb_fini(&off);
}

static void raw_bytes(tb *b, size_t n, uint8_t first) {
  for (size_t i = 0; i < n; i++) tb_byte(b, (uint8_t)(first + i));
}

static void instruction(tb *b, enc *e, const opdesc *d) {
  e->op_off = b->n;
  if (d->prefix) {
    tb_byte(b, d->prefix);
    plain_u32(b, e, d->code);
  } else {
    tb_byte(b, (uint8_t)d->code);
  }
  for (const char *p = d->imm; *p; p++) {
    switch (*p) {
    /* small non-negative s33 block types encode like u32 */
    case 'B': case 'y': case 'h': index_u32(b, e, MB_SPACE_TYPE); break;
    case 'F': case 'N': plain_u32(b, e, e->variant == V_ZERO ? 0 : e->variant == V_SMALL ? 1 : 2); break;
    case 'c': tb_byte(b, e->variant == V_ZERO ? 0 : e->variant == V_SMALL ? 1 : 3); break;
    case 'f': index_u32(b, e, MB_SPACE_FUNC); break;
    case 't': index_u32(b, e, MB_SPACE_TABLE); break;
    case 'm': index_u32(b, e, MB_SPACE_MEMORY); break;
    case 'g': index_u32(b, e, MB_SPACE_GLOBAL); break;
    case 'x': index_u32(b, e, MB_SPACE_TAG); break;
    case 'e': index_u32(b, e, MB_SPACE_ELEM); break;
    case 'd': index_u32(b, e, MB_SPACE_DATA); break;
    case 'M': memarg(b, e); break;
    case 'l': plain_u32(b, e, e->variant == V_SMALL ? 1 : 0); break;
    case 'L': plain_u32(b, e, e->variant == V_ZERO ? 0 : e->variant == V_SMALL ? 1 : 3); break;
    case 'R':
      if (e->variant == V_ZERO) {
        plain_u32(b, e, 0);
        plain_u32(b, e, 0);
      } else {
        plain_u32(b, e, 2);
        plain_u32(b, e, 0);
        plain_u32(b, e, 1);
        plain_u32(b, e, 0);
      }
      break;
    case 'C':
      if (e->variant == V_ZERO) {
        plain_u32(b, e, 1);
        tb_byte(b, 0x00);
        index_u32(b, e, MB_SPACE_TAG);
        plain_u32(b, e, 0);
      } else {
        plain_u32(b, e, 4);
        tb_byte(b, 0x00); /* catch tag label */
        index_u32(b, e, MB_SPACE_TAG);
        plain_u32(b, e, 0);
        tb_byte(b, 0x01); /* catch_ref tag label */
        index_u32(b, e, MB_SPACE_TAG);
        plain_u32(b, e, 1);
        tb_byte(b, 0x02); /* catch_all label */
        plain_u32(b, e, 0);
        tb_byte(b, 0x03); /* catch_all_ref label */
        plain_u32(b, e, 1);
      }
      break;
    case 'n': tb_byte(b, e->variant == V_ZERO ? 0 : e->variant == V_SMALL ? 1 : 15); break;
    case 'i':
      if (e->variant == V_PADDED) TB_PUT(b, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F); /* -1, 5 bytes */
      else tb_sleb(b, e->variant == V_ZERO ? 0 : -1);
      break;
    case 'I':
      if (e->variant == V_PADDED)
        TB_PUT(b, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F);
      else tb_sleb(b, e->variant == V_ZERO ? 0 : INT64_MIN);
      break;
    case '4': TB_PUT(b, 0x01, 0x00, 0xC0, 0x7F); break; /* a NaN with payload */
    case '8': raw_bytes(b, 8, 0xF0); break;
    case 'V': raw_bytes(b, 16, 0); break;
    case 'Z': tb_byte(b, 0x00); break;
    case 'S':
      plain_u32(b, e, 1);
      tb_byte(b, e->variant == V_ZERO ? 0x7F : e->variant == V_SMALL ? 0x70 : 0x7B);
      break;
    case 'H': tb_byte(b, e->variant == V_ZERO ? 0x70 : e->variant == V_SMALL ? 0x6F : 0x69); break;
    default: fail_msg("bad token %c", *p);
    }
  }
}

/* A function body (locals + expr) holding the instruction, wrapped as its role needs. */
static void body(tb *b, enc *e, const opdesc *d) {
  tb_byte(b, 0x00); /* no locals */
  switch (d->role) {
  case R_PLAIN: instruction(b, e, d); break;
  case R_OPEN: instruction(b, e, d); tb_byte(b, 0x0B); break;
  case R_ELSE: TB_PUT(b, 0x04, 0x40); instruction(b, e, d); tb_byte(b, 0x0B); break;
  case R_CATCH:
  case R_CATCH_ALL: TB_PUT(b, 0x06, 0x40); instruction(b, e, d); tb_byte(b, 0x0B); break;
  case R_DELEGATE: TB_PUT(b, 0x06, 0x40); instruction(b, e, d); break;
  case R_END: TB_PUT(b, 0x02, 0x40); instruction(b, e, d); break;
  }
  tb_byte(b, 0x0B);
}

/* ---- the module around the body: 3 entries in every index space ---- */

static void module_prefix(tb *m) {
  tb s;
  tb_preamble(m);
  tb_init(&s); /* types: [] -> [], [i32] -> [i32], [] -> [i32] */
  TB_PUT(&s, 0x03, 0x60, 0x00, 0x00, 0x60, 0x01, 0x7F, 0x01, 0x7F, 0x60, 0x00, 0x01, 0x7F);
  tb_section(m, 1, &s);
  s.n = 0; /* two imported functions: with the defined one, 3 functions */
  TB_PUT(&s, 0x02, 0x01, 'm', 0x01, 'a', 0x00, 0x00, 0x01, 'm', 0x01, 'b', 0x00, 0x00);
  tb_section(m, 2, &s);
  s.n = 0;
  TB_PUT(&s, 0x01, 0x00);
  tb_section(m, 3, &s);
  s.n = 0; /* 3 funcref tables */
  TB_PUT(&s, 0x03, 0x70, 0x00, 0x01, 0x70, 0x00, 0x01, 0x70, 0x00, 0x01);
  tb_section(m, 4, &s);
  s.n = 0; /* 3 memories */
  TB_PUT(&s, 0x03, 0x00, 0x01, 0x00, 0x01, 0x00, 0x01);
  tb_section(m, 5, &s);
  s.n = 0; /* 3 tags of type 0 (tag section id 13 sits between memory and global) */
  TB_PUT(&s, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00);
  tb_section(m, 13, &s);
  s.n = 0; /* 3 mutable i32 globals */
  TB_PUT(&s, 0x03, 0x7F, 0x01, 0x41, 0x00, 0x0B, 0x7F, 0x01, 0x41, 0x00, 0x0B, 0x7F, 0x01, 0x41,
         0x00, 0x0B);
  tb_section(m, 6, &s);
  s.n = 0; /* 3 empty passive element segments */
  TB_PUT(&s, 0x03, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00);
  tb_section(m, 9, &s);
  s.n = 0; /* data count 3 */
  TB_PUT(&s, 0x03);
  tb_section(m, 12, &s);
  tb_fini(&s);
}

static void module_suffix(tb *m) { /* 3 empty passive data segments */
  tb_section_raw(m, 11, TB_BYTES(0x03, 0x01, 0x00, 0x01, 0x00, 0x01, 0x00));
}

/* The whole module around a body; returns the body's offset in the module. */
static size_t module_with_body(tb *m, const tb *bd) {
  tb code;
  tb_init(&code);
  module_prefix(m);
  tb_u32(&code, 1);
  tb_u32(&code, bd->n);
  size_t in_section = code.n;
  tb_put(&code, bd->d, bd->n);
  tb_byte(m, 10);
  tb_u32(m, code.n);
  size_t body_off = m->n + in_section;
  tb_put(m, code.d, code.n);
  tb_fini(&code);
  module_suffix(m);
  return body_off;
}

static const uint32_t rot[3] = {2, 0, 1};
static const uint32_t ident[3] = {0, 1, 2};

static mb_remap remap_all(const uint32_t *map) {
  mb_remap r;
  for (int s = 0; s < MB_SPACE_COUNT; s++) {
    r.map[s] = map;
    r.count[s] = 3;
  }
  return r;
}

static char *op_name(const opdesc *d, char *buf, size_t n) {
  if (d->prefix) snprintf(buf, n, "0x%02X %u", d->prefix, d->code);
  else snprintf(buf, n, "0x%02X", d->code);
  return buf;
}

/* ---- tests ---- */

static void expectation_table_is_complete(void **state) {
  (void)state;
  opdesc ops[MAX_OPS];
  size_t n = all_ops(ops), defined = 0;
  for (size_t i = 0; i < n; i++) defined += ops[i].defined;
  /* 251 single bytes (4 prefixes excluded): 128 numeric + 23 loads/stores + 48 others;
   * FB 31; FC 18; FD 256; FE 3 + 1 + 63 */
  assert_int_equal(n, 252 + 41 + 41 + 301 + 101);
  assert_int_equal(defined, (128 + 23 + 48) + 31 + 18 + 256 + 67);
}

static void defined_opcodes_decode(void **state) {
  (void)state;
  opdesc ops[MAX_OPS];
  size_t n = all_ops(ops), checked = 0;
  char name[32];
  for (size_t i = 0; i < n; i++) {
    if (!ops[i].defined) continue;
    for (int v = 0; v < NVARIANTS; v++) {
      tb bd, m;
      tb_init(&bd);
      tb_init(&m);
      enc e = {.variant = v, .oor_slot = -1};
      body(&bd, &e, &ops[i]);
      size_t body_off = module_with_body(&m, &bd);
      mb_module *mod = NULL;
      mb_diag diag = {0};
      mb_err err = mb_wasm_read(TA, m.d, m.n, &mod, &diag);
      if (err != MB_OK)
        fail_msg("%s variant %d: %s at %llu: %s", op_name(&ops[i], name, sizeof name), v,
                 mb_err_name(err), (unsigned long long)diag.offset, diag.message);
      assert_non_null(mod);
      assert_int_equal(mod->ncodes, 1);
      assert_int_equal(mod->codes[0].body.len, bd.n);
      assert_memory_equal(mod->codes[0].body.ptr, bd.d, bd.n);
      assert_int_equal(mod->codes[0].offset, body_off);
      mb_module_free(mod);
      tb_fini(&bd);
      tb_fini(&m);
      checked++;
    }
  }
  assert_int_equal(checked, ((128 + 23 + 48) + 31 + 18 + 256 + 67) * NVARIANTS);
}

static void undefined_opcodes_rejected_at_their_offset(void **state) {
  (void)state;
  opdesc ops[MAX_OPS];
  size_t n = all_ops(ops), checked = 0;
  char name[32];
  for (size_t i = 0; i < n; i++) {
    if (ops[i].defined) continue;
    for (int padded = 0; padded < 2; padded++) {
      if (padded && !ops[i].prefix) continue;
      tb bd, m;
      tb_init(&bd);
      tb_init(&m);
      tb_byte(&bd, 0x00); /* no locals */
      size_t op_off = bd.n;
      if (ops[i].prefix) {
        tb_byte(&bd, ops[i].prefix);
        tb_uleb_w(&bd, ops[i].code, padded ? 5 : 0);
      } else {
        tb_byte(&bd, (uint8_t)ops[i].code);
      }
      tb_byte(&bd, 0x0B);
      size_t body_off = module_with_body(&m, &bd);
      mb_module *mod = (mb_module *)&mod; /* must be reset to NULL */
      mb_diag diag = {0};
      mb_err err = mb_wasm_read(TA, m.d, m.n, &mod, &diag);
      op_name(&ops[i], name, sizeof name);
      if (err != MB_ERR_BAD_OPCODE) fail_msg("%s: %s (%s)", name, mb_err_name(err), diag.message);
      assert_diag(diag, MB_ERR_BAD_OPCODE, "illegal opcode", body_off + op_off);
      assert_null(mod);
      /* the rewriter refuses it the same way */
      mb_buf out;
      mb_buf_init(&out, TA);
      mb_remap r = remap_all(rot);
      memset(&diag, 0, sizeof diag);
      err = mb_code_rewrite(bd.d, bd.n, body_off, &r, &out, &diag);
      assert_int_equal(err, MB_ERR_BAD_OPCODE);
      assert_int_equal(diag.offset, body_off + op_off);
      mb_buf_fini(&out);
      tb_fini(&bd);
      tb_fini(&m);
      checked++;
    }
  }
  /* 5 + 11 + 36 + 1 undefined single bytes: 0x16 0x17 0x1D 0x1E 0x27, 0xC5–0xCF,
   * 0xD7–0xFA, 0xFF; FC 23 (18–40); FD 20 holes + 25 (276–300); FE 12 (4–15) + 22 (79–100);
   * FB 10 (31–40). Prefixed ones run twice (minimal and padded sub-opcode). */
  assert_int_equal(checked, 53 + 2 * (23 + 45 + 34 + 10));
}

static void dump(const char *label, const uint8_t *p, size_t n) {
  print_message("  %s:", label);
  for (size_t k = 0; k < n; k++) print_message(" %02x", p[k]);
  print_message("\n");
}

/* Rewrite one body under `maps` (rotation on the spaces whose entry is non-NULL) and
 * compare with this file's encoder. */
static void check_rewrite(const opdesc *d, int v, const uint32_t *const maps[MB_SPACE_COUNT],
                          const char *what) {
  tb in, want, m;
  char name[32];
  tb_init(&in);
  tb_init(&want);
  tb_init(&m);
  enc ein = {.variant = v, .oor_slot = -1};
  enc ewant = {.variant = v, .oor_slot = -1, .map = maps};
  body(&in, &ein, d);
  body(&want, &ewant, d);
  size_t body_off = module_with_body(&m, &in);

  mb_remap r;
  for (int s = 0; s < MB_SPACE_COUNT; s++) {
    r.map[s] = maps[s];
    r.count[s] = 3;
  }
  mb_buf out;
  mb_buf_init(&out, TA);
  mb_diag diag = {0};
  mb_err err = mb_code_rewrite(m.d + body_off, in.n, body_off, &r, &out, &diag);
  op_name(d, name, sizeof name);
  if (err != MB_OK)
    fail_msg("%s variant %d, %s: %s: %s", name, v, what, mb_err_name(err), diag.message);
  if (out.len != want.n || memcmp(out.data, want.d, want.n) != 0) {
    print_message("%s variant %d, %s\n", name, v, what);
    dump("in  ", in.d, in.n);
    dump("want", want.d, want.n);
    dump("got ", out.data, out.len);
    fail();
  }
  /* the rewritten body is itself a valid body of the same module */
  out.len = 0;
  assert_int_equal(mb_code_rewrite(want.d, want.n, 0, &r, &out, &diag), MB_OK);
  mb_buf_fini(&out);
  tb_fini(&in);
  tb_fini(&want);
  tb_fini(&m);
}

static void remap_rewrites_every_index_space(void **state) {
  (void)state;
  static const char *const space_names[MB_SPACE_COUNT] = {"type",   "func", "table", "memory",
                                                         "global", "tag",  "elem",  "data"};
  opdesc ops[MAX_OPS];
  size_t n = all_ops(ops);
  for (size_t i = 0; i < n; i++) {
    if (!ops[i].defined) continue;
    for (int v = 0; v < NVARIANTS; v++) {
      /* every space rotated at once */
      const uint32_t *all[MB_SPACE_COUNT];
      for (int s = 0; s < MB_SPACE_COUNT; s++) all[s] = rot;
      check_rewrite(&ops[i], v, all, "all spaces");
      /* one space at a time, so an immediate read as the wrong space shows */
      for (int s = 0; s < MB_SPACE_COUNT; s++) {
        const uint32_t *one[MB_SPACE_COUNT] = {0};
        one[s] = rot;
        check_rewrite(&ops[i], v, one, space_names[s]);
      }
      /* the identity, as NULL maps or as explicit tables, copies the body unchanged */
      tb in, m;
      tb_init(&in);
      tb_init(&m);
      enc ein = {.variant = v, .oor_slot = -1};
      body(&in, &ein, &ops[i]);
      size_t body_off = module_with_body(&m, &in);
      mb_buf out;
      mb_buf_init(&out, TA);
      for (int idmode = 0; idmode < 2; idmode++) {
        mb_remap id = remap_all(idmode ? ident : NULL);
        mb_diag diag = {0};
        out.len = 0;
        assert_int_equal(mb_code_rewrite(in.d, in.n, body_off, &id, &out, &diag), MB_OK);
        assert_int_equal(out.len, in.n);
        assert_memory_equal(out.data, in.d, in.n);
      }
      mb_buf_fini(&out);
      tb_fini(&in);
      tb_fini(&m);
    }
  }
}

static void index_three_is_out_of_range(void **state) {
  (void)state;
  opdesc ops[MAX_OPS];
  size_t n = all_ops(ops), checked = 0;
  char name[32];
  for (size_t i = 0; i < n; i++) {
    if (!ops[i].defined) continue;
    tb probe;
    tb_init(&probe);
    enc ep = {.variant = V_SMALL, .oor_slot = -1};
    body(&probe, &ep, &ops[i]);
    tb_fini(&probe);
    for (int k = 0; k < ep.nslots; k++) {
      for (int v = V_SMALL; v <= V_PADDED; v++) {
        tb bd, m;
        tb_init(&bd);
        tb_init(&m);
        enc e = {.variant = v, .oor_slot = k};
        body(&bd, &e, &ops[i]);
        size_t body_off = module_with_body(&m, &bd);
        mb_module *mod = NULL;
        mb_diag diag = {0};
        mb_err err = mb_wasm_read(TA, m.d, m.n, &mod, &diag);
        op_name(&ops[i], name, sizeof name);
        if (err != MB_ERR_INDEX_RANGE)
          fail_msg("%s slot %d: %s (%s)", name, k, mb_err_name(err), diag.message);
        assert_diag(diag, MB_ERR_INDEX_RANGE, "out of range", body_off + e.slot_off[k]);
        assert_null(mod);

        mb_remap r = remap_all(rot);
        mb_buf out;
        mb_buf_init(&out, TA);
        memset(&diag, 0, sizeof diag);
        err = mb_code_rewrite(bd.d, bd.n, body_off, &r, &out, &diag);
        assert_diag(diag, MB_ERR_INDEX_RANGE, "out of range", body_off + e.slot_off[k]);
        assert_int_equal(err, MB_ERR_INDEX_RANGE);
        mb_buf_fini(&out);
        tb_fini(&bd);
        tb_fini(&m);
        checked++;
      }
    }
  }
  /* every index-carrying opcode contributed at least one slot */
  assert_true(checked > 2 * (23 + 14 + 67 + 8));
}

/* Literal vectors, independent of the encoder above (ref §6.3, §8.12, Appendix A.2). */
static void rewrite(const uint8_t *in, size_t n, const uint8_t *want, size_t wn) {
  mb_remap r = remap_all(rot);
  mb_buf out;
  mb_diag diag = {0};
  mb_buf_init(&out, TA);
  mb_err err = mb_code_rewrite(in, n, 0, &r, &out, &diag);
  if (err) fail_msg("%s: %s", mb_err_name(err), diag.message);
  assert_int_equal(out.len, wn);
  assert_memory_equal(out.data, want, wn);
  mb_buf_fini(&out);
}
#define REWRITE(in, want) rewrite(in, sizeof in, want, sizeof want)

static void memarg_literal_vectors(void **state) {
  (void)state;
  { /* i32.load offset=8 align=4, memory 0 -> 2: bit 6 and memidx appear */
    static const uint8_t in[] = {0x00, 0x28, 0x02, 0x08, 0x0B};
    static const uint8_t want[] = {0x00, 0x28, 0x42, 0x02, 0x08, 0x0B};
    REWRITE(in, want);
  }
  { /* memory 1 -> 0: back to the plain form */
    static const uint8_t in[] = {0x00, 0x28, 0x42, 0x01, 0x08, 0x0B};
    static const uint8_t want[] = {0x00, 0x28, 0x02, 0x08, 0x0B};
    REWRITE(in, want);
  }
  { /* a padded offset (5 and 10 bytes) survives; padded flags and memidx are re-encoded */
    static const uint8_t in[] = {0x00, 0x36, 0xC2, 0x80, 0x80, 0x80, 0x00, 0x82, 0x80, 0x80, 0x80,
                                 0x00, 0x88, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00,
                                 0x29, 0x03, 0x88, 0x80, 0x80, 0x80, 0x00, 0x0B};
    static const uint8_t want[] = {0x00, 0x36, 0x42, 0x01, 0x88, 0x80, 0x80, 0x80, 0x80, 0x80,
                                   0x80, 0x80, 0x80, 0x00, 0x29, 0x43, 0x02, 0x88, 0x80, 0x80,
                                   0x80, 0x00, 0x0B};
    REWRITE(in, want);
  }
  { /* memory.size 0, memory.grow 1, memory.fill 2, memory.copy 0 1 */
    static const uint8_t in[] = {0x00, 0x3F, 0x00, 0x40, 0x01, 0xFC, 0x0B, 0x02,
                                 0xFC, 0x0A, 0x00, 0x01, 0x0B};
    static const uint8_t want[] = {0x00, 0x3F, 0x02, 0x40, 0x00, 0xFC, 0x0B, 0x01,
                                   0xFC, 0x0A, 0x02, 0x00, 0x0B};
    REWRITE(in, want);
  }
  { /* memory.init data 1 mem 0; data.drop 2; table.init elem 0 table 2; elem.drop 1 */
    static const uint8_t in[] = {0x00, 0xFC, 0x08, 0x01, 0x00, 0xFC, 0x09, 0x02,
                                 0xFC, 0x0C, 0x00, 0x02, 0xFC, 0x0D, 0x01, 0x0B};
    static const uint8_t want[] = {0x00, 0xFC, 0x08, 0x00, 0x02, 0xFC, 0x09, 0x01,
                                   0xFC, 0x0C, 0x02, 0x01, 0xFC, 0x0D, 0x00, 0x0B};
    REWRITE(in, want);
  }
  { /* SIMD load lane and an atomic: memory 0 -> 2; atomic.fence untouched */
    static const uint8_t in[] = {0x00, 0xFD, 0x54, 0x00, 0x00, 0x03, 0xFE, 0x10,
                                 0x02, 0x04, 0xFE, 0x03, 0x00, 0x0B};
    static const uint8_t want[] = {0x00, 0xFD, 0x54, 0x40, 0x02, 0x00, 0x03, 0xFE, 0x10,
                                   0x42, 0x02, 0x04, 0xFE, 0x03, 0x00, 0x0B};
    REWRITE(in, want);
  }
  { /* call_indirect type 1 table 0; block with type index 0 (s33); call 2 */
    static const uint8_t in[] = {0x01, 0x02, 0x7F, 0x11, 0x01, 0x00, 0x02, 0x00,
                                 0x10, 0x02, 0x0B, 0x0B};
    static const uint8_t want[] = {0x01, 0x02, 0x7F, 0x11, 0x00, 0x02, 0x02, 0x02,
                                   0x10, 0x01, 0x0B, 0x0B};
    REWRITE(in, want);
  }
}

/* A block type is an s33: type index 64 is C0 00, never 40 (the empty block type). */
static void block_type_index_64_is_signed_leb(void **state) {
  (void)state;
  uint32_t map[65];
  for (uint32_t i = 0; i < 65; i++) map[i] = 64 - i;
  mb_remap r = {{0}, {0}};
  r.map[MB_SPACE_TYPE] = map;
  r.count[MB_SPACE_TYPE] = 65;
  static const uint8_t in[] = {0x00, 0x02, 0x00, 0x0B, 0x03, 0xC0, 0x00, 0x0B, 0x04, 0x3F, 0x0B,
                               0x0B};
  static const uint8_t want[] = {0x00, 0x02, 0xC0, 0x00, 0x0B, 0x03, 0x00, 0x0B, 0x04, 0x01, 0x0B,
                                 0x0B};
  mb_buf out;
  mb_diag diag = {0};
  mb_buf_init(&out, TA);
  assert_int_equal(mb_code_rewrite(in, sizeof in, 0, &r, &out, &diag), MB_OK);
  assert_int_equal(out.len, sizeof want);
  assert_memory_equal(out.data, want, sizeof want);
  /* and 65 is out of range */
  static const uint8_t oor[] = {0x00, 0x02, 0xC1, 0x00, 0x0B, 0x0B};
  out.len = 0;
  assert_int_equal(mb_code_rewrite(oor, sizeof oor, 100, &r, &out, &diag), MB_ERR_INDEX_RANGE);
  assert_int_equal(diag.offset, 102);
  mb_buf_fini(&out);
}

/* Constant expressions: the same rewriting, and only constant instructions. */
static void const_expr_rewrite(void **state) {
  (void)state;
  mb_remap r = remap_all(rot);
  mb_buf out;
  mb_diag diag = {0};
  mb_buf_init(&out, TA);
  static const uint8_t in[] = {0x23, 0x00, 0x23, 0x82, 0x80, 0x00, 0x6A, 0xD2, 0x01, 0x1A,
                               0x41, 0x80, 0x00, 0x6B, 0x0B};
  /* drop (0x1A) is not constant: refused at its offset */
  assert_int_equal(mb_const_expr_rewrite(in, sizeof in, 50, &r, &out, &diag),
                   MB_ERR_BAD_CONST_EXPR);
  assert_diag(diag, MB_ERR_BAD_CONST_EXPR, "constant expression required", 50 + 9);
  static const uint8_t in2[] = {0x23, 0x00, 0x23, 0x82, 0x80, 0x00, 0x6A, 0x41, 0x80, 0x00, 0x6B,
                                0x0B};
  static const uint8_t want2[] = {0x23, 0x02, 0x23, 0x01, 0x6A, 0x41, 0x80, 0x00, 0x6B, 0x0B};
  out.len = 0;
  assert_int_equal(mb_const_expr_rewrite(in2, sizeof in2, 0, &r, &out, &diag), MB_OK);
  assert_int_equal(out.len, sizeof want2);
  assert_memory_equal(out.data, want2, sizeof want2);
  static const uint8_t in3[] = {0xD2, 0x02, 0x0B};
  static const uint8_t want3[] = {0xD2, 0x01, 0x0B};
  out.len = 0;
  assert_int_equal(mb_const_expr_rewrite(in3, sizeof in3, 0, &r, &out, &diag), MB_OK);
  assert_memory_equal(out.data, want3, sizeof want3);
  /* bytes after the end */
  static const uint8_t trailing[] = {0x41, 0x00, 0x0B, 0x0B};
  out.len = 0;
  assert_int_equal(mb_const_expr_rewrite(trailing, sizeof trailing, 10, &r, &out, &diag),
                   MB_ERR_BAD_CONST_EXPR);
  assert_diag(diag, MB_ERR_BAD_CONST_EXPR, "after the end of a constant expression", 13);
  /* no end at all */
  static const uint8_t open[] = {0x41, 0x00};
  out.len = 0;
  assert_int_equal(mb_const_expr_rewrite(open, sizeof open, 0, &r, &out, &diag),
                   MB_ERR_UNEXPECTED_END);
  /* the GC constant instructions (3.0 §5.2), type indices remapped */
  static const uint8_t gc[] = {0x41, 0x05, 0xFB, 0x1C, 0xFB, 0x00, 0x01, 0xFB, 0x01, 0x00,
                               0xFB, 0x06, 0x02, 0xFB, 0x07, 0x00, 0xFB, 0x08, 0x02, 0x03,
                               0xD0, 0x6F, 0xFB, 0x1A, 0xFB, 0x1B, 0x0B};
  static const uint8_t want_gc[] = {0x41, 0x05, 0xFB, 0x1C, 0xFB, 0x00, 0x00, 0xFB, 0x01, 0x02,
                                    0xFB, 0x06, 0x01, 0xFB, 0x07, 0x02, 0xFB, 0x08, 0x01, 0x03,
                                    0xD0, 0x6F, 0xFB, 0x1A, 0xFB, 0x1B, 0x0B};
  out.len = 0;
  assert_int_equal(mb_const_expr_rewrite(gc, sizeof gc, 0, &r, &out, &diag), MB_OK);
  assert_int_equal(out.len, sizeof want_gc);
  assert_memory_equal(out.data, want_gc, sizeof want_gc);
  /* ... and no other 0xFB instruction */
  static const uint8_t not_const[][6] = {
      {0xFB, 0x09, 0x00, 0x00, 0x0B}, /* array.new_data */
      {0xFB, 0x0A, 0x00, 0x00, 0x0B}, /* array.new_elem */
      {0xFB, 0x02, 0x00, 0x00, 0x0B}, /* struct.get */
      {0xFB, 0x0F, 0x0B},             /* array.len */
      {0xFB, 0x16, 0x6E, 0x0B},       /* ref.cast */
      {0xFB, 0x1D, 0x0B},             /* i31.get_s */
      {0xD4, 0x0B},                   /* ref.as_non_null */
  };
  for (size_t k = 0; k < sizeof not_const / sizeof *not_const; k++) {
    size_t len = 1;
    while (not_const[k][len - 1] != 0x0B) len++;
    out.len = 0;
    assert_int_equal(mb_const_expr_rewrite(not_const[k], len, 20, &r, &out, &diag),
                     MB_ERR_BAD_CONST_EXPR);
    assert_diag(diag, MB_ERR_BAD_CONST_EXPR, "constant expression required", 20);
  }
  /* a structured instruction is not constant either */
  static const uint8_t blk[] = {0x02, 0x40, 0x0B, 0x0B};
  out.len = 0;
  assert_int_equal(mb_const_expr_rewrite(blk, sizeof blk, 0, &r, &out, &diag),
                   MB_ERR_BAD_CONST_EXPR);
  mb_buf_fini(&out);
}

/* mb_code_check: decoding against explicit index limits; a remap table of the wrong
 * shape is the caller's error. */
static void code_check_limits(void **state) {
  (void)state;
  static const uint8_t body[] = {0x00, 0x10, 0x02, 0x23, 0x01, 0x1A, 0x0B};
  uint32_t lim[MB_SPACE_COUNT] = {3, 3, 3, 3, 3, 3, 3, 3};
  mb_diag diag = {0};
  assert_int_equal(mb_code_check(TA, body, sizeof body, 0, lim, &diag), MB_OK);
  lim[MB_SPACE_FUNC] = 2;
  assert_int_equal(mb_code_check(TA, body, sizeof body, 7, lim, &diag), MB_ERR_INDEX_RANGE);
  assert_diag(diag, MB_ERR_INDEX_RANGE, "function index 2 out of range", 7 + 2);
  lim[MB_SPACE_FUNC] = 3;
  lim[MB_SPACE_GLOBAL] = 1;
  assert_int_equal(mb_code_check(TA, body, sizeof body, 0, lim, &diag), MB_ERR_INDEX_RANGE);
  assert_diag(diag, MB_ERR_INDEX_RANGE, "global index 1 out of range", 4);
  assert_int_equal(mb_code_check(TA, body, sizeof body, 0, NULL, &diag), MB_OK);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      LINKER_TEST(expectation_table_is_complete),
      LINKER_TEST(defined_opcodes_decode),
      LINKER_TEST(undefined_opcodes_rejected_at_their_offset),
      LINKER_TEST(remap_rewrites_every_index_space),
      LINKER_TEST(index_three_is_out_of_range),
      LINKER_TEST(memarg_literal_vectors),
      LINKER_TEST(block_type_index_64_is_signed_leb),
      LINKER_TEST(const_expr_rewrite),
      LINKER_TEST(code_check_limits),
  };
  return cmocka_run_group_tests_name("linker_opcodes", tests, NULL, NULL);
}
