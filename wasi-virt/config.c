/* config.c — parsing the configuration blob (format: membrane_wasi_virt.h). Portable:
 * the wasm32 layer reads its configuration with it at start-up. The blob comes from
 * the builder, but it is checked as untrusted anyway: every length against what is
 * left, every count against what its records could possibly occupy. */
#include <string.h>

#include "vfs_internal.h"

typedef struct rd {
  const uint8_t *p, *end;
  bool bad;
  const mb_allocator *alloc; /* of the arrays */
} rd;

static bool need(rd *r, uint64_t n) {
  if (r->bad || (uint64_t)(r->end - r->p) < n) {
    r->bad = true;
    return false;
  }
  return true;
}

static uint64_t get_le(rd *r, unsigned n) {
  if (!need(r, n)) return 0;
  uint64_t v = 0;
  for (unsigned i = 0; i < n; i++) v |= (uint64_t)r->p[i] << (8 * i);
  r->p += n;
  return v;
}
#define U8(r) ((uint8_t)get_le(r, 1))
#define U16(r) ((uint16_t)get_le(r, 2))
#define U32(r) ((uint32_t)get_le(r, 4))
#define U64(r) get_le(r, 8)

static mb_wv_config_str get_str(rd *r) {
  mb_wv_config_str s = {0};
  uint32_t n = U32(r);
  if (!need(r, n)) return s;
  s.ptr = (const char *)r->p;
  s.len = n;
  r->p += n;
  return s;
}

static const uint8_t *get_blob(rd *r, uint64_t *len) {
  *len = U64(r);
  if (!need(r, *len)) {
    *len = 0;
    return NULL;
  }
  const uint8_t *p = r->p;
  r->p += *len;
  return p;
}

/* An array of n records of at least min_size bytes each, or NULL (bad or no memory). */
static void *get_array(rd *r, uint32_t n, size_t min_size, size_t elem, bool *nomem) {
  if (!need(r, (uint64_t)n * min_size)) return NULL;
  if (n == 0) return NULL;
  void *a = mb_mem_calloc(r->alloc, n, elem);
  if (!a) *nomem = true;
  return a;
}

static bool get_bool(rd *r) {
  uint8_t b = U8(r);
  if (b > 1) r->bad = true;
  return b == 1;
}

mb_wasi_errno mb_wv_config_parse(const mb_allocator *alloc, mb_wv_config *cfg, const uint8_t *data,
                                 size_t len) {
  static const uint8_t magic[8] = {0x7F, 'M', 'B', 'V', 'C', 'F', 'G', '1'};
  memset(cfg, 0, sizeof *cfg);
  cfg->alloc = mb_allocator_of(alloc);
  rd r = {data, data + len, false, &cfg->alloc};
  bool nomem = false;
  if (!need(&r, 8) || memcmp(data, magic, 8) != 0) return MB_WASI_EINVAL;
  r.p += 8;
  if (U32(&r) != MB_WV_CONFIG_VERSION || U64(&r) != len) return MB_WASI_EINVAL;

  cfg->args_inherit = get_bool(&r);
  cfg->arg_count = U32(&r);
  cfg->args = get_array(&r, cfg->arg_count, 4, sizeof *cfg->args, &nomem);
  for (uint32_t i = 0; cfg->args && i < cfg->arg_count; i++) cfg->args[i] = get_str(&r);

  cfg->env_inherit = get_bool(&r);
  cfg->env_count = U32(&r);
  cfg->env = get_array(&r, cfg->env_count, 9, sizeof *cfg->env, &nomem);
  for (uint32_t i = 0; cfg->env && i < cfg->env_count; i++) {
    cfg->env[i].kind = U8(&r);
    if (cfg->env[i].kind > MB_WV_ENV_ALLOW) r.bad = true;
    cfg->env[i].name = get_str(&r);
    cfg->env[i].value = get_str(&r);
  }

  cfg->mount_count = U32(&r);
  cfg->mounts = get_array(&r, cfg->mount_count, 30, sizeof *cfg->mounts, &nomem);
  for (uint32_t i = 0; cfg->mounts && i < cfg->mount_count; i++) {
    mb_wv_config_mount *m = &cfg->mounts[i];
    m->kind = U8(&r);
    if (m->kind < MB_WV_MOUNT_EMBED || m->kind > MB_WV_MOUNT_HOST) r.bad = true;
    m->readonly = get_bool(&r);
    m->limit = U64(&r);
    m->guest = get_str(&r);
    m->preopen = get_str(&r);
    m->subdir = get_str(&r);
    m->image = get_blob(&r, &m->image_len);
    if (m->guest.len == 0 || (m->kind == MB_WV_MOUNT_EMBED && m->image_len == 0)) r.bad = true;
  }

  for (int i = 0; i < 3; i++) {
    cfg->stdio[i].mode = U8(&r);
    if (cfg->stdio[i].mode > MB_WV_STDIO_FILE) r.bad = true;
    cfg->stdio[i].path = get_str(&r);
  }
  cfg->clock = U8(&r);
  cfg->clock_start = U64(&r);
  cfg->random = U8(&r);
  cfg->random_seed = U64(&r);
  if (cfg->clock > MB_WV_CLOCK_REAL || cfg->random > MB_WV_RANDOM_REAL) r.bad = true;

  cfg->fault_count = U32(&r);
  cfg->faults = get_array(&r, cfg->fault_count, 7, sizeof *cfg->faults, &nomem);
  for (uint32_t i = 0; cfg->faults && i < cfg->fault_count; i++) {
    cfg->faults[i].func = U8(&r);
    cfg->faults[i].nth = U32(&r);
    cfg->faults[i].err = U16(&r);
    if (cfg->faults[i].func >= MB_WASI_FUNC_COUNT || cfg->faults[i].err >= MB_WASI_ERRNO_COUNT ||
        cfg->faults[i].nth == 0)
      r.bad = true;
  }
  cfg->trace = U8(&r);
  cfg->trace_path = get_str(&r);
  if (cfg->trace > MB_WV_TRACE_FILE || (cfg->trace == MB_WV_TRACE_FILE) != (cfg->trace_path.len > 0))
    r.bad = true;
  cfg->save_count = U32(&r);
  cfg->saves = get_array(&r, cfg->save_count, 8, sizeof *cfg->saves, &nomem);
  for (uint32_t i = 0; cfg->saves && i < cfg->save_count; i++) {
    cfg->saves[i].guest = get_str(&r);
    cfg->saves[i].dest = get_str(&r);
    if (cfg->saves[i].guest.len == 0 || cfg->saves[i].dest.len == 0) r.bad = true;
  }
  cfg->log = U8(&r);
  cfg->log_path = get_str(&r);
  cfg->log_data = get_blob(&r, &cfg->log_len);
  if (cfg->log > MB_WV_LOG_REPLAY || (cfg->log == MB_WV_LOG_RECORD) != (cfg->log_path.len > 0) ||
      (cfg->log == MB_WV_LOG_REPLAY) != (cfg->log_len > 0) || r.p != r.end)
    r.bad = true;

  if (r.bad || nomem) {
    mb_wv_config_fini(cfg);
    return nomem ? MB_WASI_ENOMEM : MB_WASI_EINVAL;
  }
  return MB_WASI_ESUCCESS;
}

void mb_wv_config_fini(mb_wv_config *cfg) {
  mb_mem_free(&cfg->alloc, cfg->args);
  mb_mem_free(&cfg->alloc, cfg->env);
  mb_mem_free(&cfg->alloc, cfg->mounts);
  mb_mem_free(&cfg->alloc, cfg->faults);
  mb_mem_free(&cfg->alloc, cfg->saves);
  mb_allocator a = cfg->alloc;
  memset(cfg, 0, sizeof *cfg);
  cfg->alloc = a;
}
