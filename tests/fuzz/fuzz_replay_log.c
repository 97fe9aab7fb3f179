/* fuzz_replay_log.c — the record/replay log reader (wasi-virt/log.c) on any bytes: the
 * reader `membrane replay-inspect` and `membrane virt --replay` use natively, and that
 * wasi-virt's wasm32 replay uses on the embedded log.
 *
 * What must hold: mb_wv_log_open refuses (EINVAL, ENOTSUP) or gives a configuration
 * view inside the input; then mb_wv_log_next reads records until the end or a
 * malformed one, whose offset is inside the input at the first byte not consumed; each
 * record has a kind 1..3, a function < 46, at most 10 arguments, an errno < 77, in/out
 * views inside the input, a back reference (out bytes repeated from earlier in the log)
 * wholly before its record; re-encoding a record takes at most the bytes it was read
 * from (LEB128 need not be minimal there), and the record alone, with its out bytes
 * written out, reads back as the same record, and cut by a byte as malformed; the text line
 * (mb_wv_log_format) is NUL-terminated inside its buffer at every size from 64 up,
 * and a longer buffer holds the shorter line as its prefix unless that one was cut; the
 * recorded configuration parses or is refused cleanly (EINVAL, ENOMEM), without leaks. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "membrane_wasi_virt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond, ...)                                                            \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      fprintf(stderr, "%s:%d: property failed: %s: ", __FILE__, __LINE__, #cond);   \
      fprintf(stderr, __VA_ARGS__);                                                 \
      fputc('\n', stderr);                                                          \
      abort();                                                                      \
    }                                                                               \
  } while (0)

static bool inside(const uint8_t *p, uint32_t n, const uint8_t *data, size_t size) {
  return n == 0 || (p >= data && (size_t)(p - data) <= size && n <= size - (size_t)(p - data));
}

static bool same(const mb_wv_log_rec *a, const mb_wv_log_rec *b) {
  if (a->kind != b->kind || a->func != b->func || a->nargs != b->nargs || a->err != b->err ||
      a->in_len != b->in_len || a->out_len != b->out_len)
    return false;
  for (unsigned i = 0; i < a->nargs; i++)
    if (a->args[i] != b->args[i]) return false;
  return (!a->in_len || !memcmp(a->in, b->in, a->in_len)) &&
         (!a->out_len || !memcmp(a->out, b->out, a->out_len));
}

static void check_text(const mb_wv_log_rec *r) {
  static char big[2048], small[64], mid[200];
  size_t nb = mb_wv_log_format(r, big, sizeof big);
  CHECK(nb < sizeof big && strlen(big) == nb, "text length %zu", nb);
  size_t ns = mb_wv_log_format(r, small, sizeof small);
  CHECK(ns < sizeof small && strlen(small) == ns, "short text length %zu", ns);
  size_t nm = mb_wv_log_format(r, mid, sizeof mid);
  CHECK(nm < sizeof mid && strlen(mid) == nm, "mid text length %zu", nm);
  /* an uncut line is the same at every size */
  if (nb + 4 < sizeof mid) CHECK(!strcmp(big, mid), "'%s' vs '%s'", big, mid);
  CHECK(mb_wv_log_format(r, small, 10) == 0 && small[0] == 0, "a buffer under 64 bytes");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mb_wv_log_reader r;
  mb_wasi_errno e = mb_wv_log_open(&r, data, size);
  if (e) {
    CHECK(e == MB_WASI_EINVAL || e == MB_WASI_ENOTSUP, "open: errno %d", (int)e);
    mb_wv_log_rec rec;
    CHECK(mb_wv_log_next(&r, &rec, NULL) == 0, "a refused log gives no records");
    return 0;
  }
  CHECK(inside(r.config, r.config_len, data, size), "configuration view");
  mb_wv_config c;
  e = mb_wv_config_parse(NULL, &c, r.config, r.config_len);
  CHECK(e == MB_WASI_ESUCCESS || e == MB_WASI_EINVAL || e == MB_WASI_ENOMEM, "config: %d", (int)e);
  if (!e) {
    CHECK(c.log <= MB_WV_LOG_REPLAY, "log mode");
    CHECK(inside(c.log_data, (uint32_t)(c.log_len > UINT32_MAX ? UINT32_MAX : c.log_len),
                 r.config, r.config_len),
          "log view");
    mb_wv_config_fini(&c);
  }
  static uint8_t enc[1 << 17];
  mb_wv_log_rec rec, back;
  size_t at = SIZE_MAX;
  const uint8_t *before = r.p;
  uint64_t n = 0;
  int k;
  while ((k = mb_wv_log_next(&r, &rec, &at)) > 0) {
    n++;
    CHECK(r.records == n, "records %llu", (unsigned long long)r.records);
    CHECK(rec.kind >= MB_WV_LOG_CALL && rec.kind <= MB_WV_LOG_EXIT, "kind %d", rec.kind);
    CHECK(rec.func < MB_WASI_FUNC_COUNT && rec.nargs <= MB_WV_LOG_MAX_ARGS &&
              rec.err < MB_WASI_ERRNO_COUNT,
          "func %d nargs %d err %d", rec.func, rec.nargs, rec.err);
    CHECK(inside(rec.in, rec.in_len, data, size) && inside(rec.out, rec.out_len, data, size),
          "views");
    CHECK(rec.out_len == 0 || rec.out == data + rec.out_at, "out_at");
    /* a back reference lies wholly before the record that makes it */
    if (rec.out_ref) CHECK(rec.out_at + rec.out_len <= (uint64_t)(before - data), "reference ahead");
    CHECK(r.p > before && r.p <= data + size, "progress");
    /* the encoder's size agrees with its bytes, at most the bytes read (LEB128 may have
     * been padded), and they read back as the same record */
    size_t need = mb_wv_log_encode(&rec, NULL, 0);
    CHECK(need <= (size_t)(r.p - before), "encoded %zu > read %zu", need, (size_t)(r.p - before));
    rec.out_ref = false; /* alone in a log of its own, the bytes themselves */
    need = mb_wv_log_encode(&rec, NULL, 0);
    if (need <= sizeof enc - MB_WV_LOG_HEADER) {
      mb_wv_log_header(enc, 0);
      CHECK(mb_wv_log_encode(&rec, enc + MB_WV_LOG_HEADER, need) == need, "encode size");
      mb_wv_log_reader r2;
      CHECK(!mb_wv_log_open(&r2, enc, MB_WV_LOG_HEADER + need), "own header");
      CHECK(mb_wv_log_next(&r2, &back, NULL) == 1 && same(&rec, &back), "round trip");
      CHECK(mb_wv_log_next(&r2, &back, NULL) == 0, "one record");
      /* a cut encoding is malformed, never a shorter record */
      CHECK(!mb_wv_log_open(&r2, enc, MB_WV_LOG_HEADER + need - 1), "own header");
      size_t off = 0;
      CHECK(mb_wv_log_next(&r2, &back, &off) == -1 && off == MB_WV_LOG_HEADER, "cut record");
    }
    check_text(&rec);
    before = r.p;
  }
  if (k < 0) {
    CHECK(at == (size_t)(before - data), "malformed at %zu, reader at %zu", at, (size_t)(before - data));
    CHECK(r.p == before, "the reader stays at a malformed record");
    CHECK(mb_wv_log_next(&r, &rec, &at) == -1, "and stays malformed");
  } else {
    CHECK(r.p == data + size, "the end is the end");
  }
  return 0;
}
