/* mem_dir.c — the entries of a mem directory: an array in creation order (its seq
 * numbers are the readdir cookies, so a listing resumes where it stopped however the
 * directory changed) plus an open-addressing hash index over the live entries.
 * Removed entries stay in the array, without a node, until more than half of it is
 * dead; then the next insertion compacts it (seqs are kept). */
#include <string.h>

#include "vfs_internal.h"

uint32_t mb__name_hash(const char *name, size_t len) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < len; i++) h = (h ^ (uint8_t)name[i]) * 16777619u;
  return h;
}

static void slot_insert(mb__mdir *d, uint32_t idx) {
  uint32_t mask = d->nslots - 1, i = d->ents[idx].hash & mask;
  while (d->slots[i]) i = (i + 1) & mask;
  d->slots[i] = idx + 1;
}

static void reindex(mb__mdir *d) {
  memset(d->slots, 0, (size_t)d->nslots * sizeof *d->slots);
  for (uint32_t i = 0; i < d->count; i++)
    if (d->ents[i].node) slot_insert(d, i);
}

mb__dent *mb__mdir_find(mb__mdir *d, const char *name, size_t len) {
  if (!d->nslots) return NULL;
  uint32_t h = mb__name_hash(name, len), mask = d->nslots - 1;
  for (uint32_t i = h & mask; d->slots[i]; i = (i + 1) & mask) {
    mb__dent *e = &d->ents[d->slots[i] - 1];
    if (e->hash == h && e->len == len && memcmp(e->name, name, len) == 0) return e;
  }
  return NULL;
}

mb_wasi_errno mb__mdir_reserve(const mb_allocator *alloc, mb__mdir *d) {
  if (d->count - d->live > 16 && d->count - d->live > d->live) {
    /* compact: drop removed entries, keep the order and the seqs */
    uint32_t k = 0;
    for (uint32_t i = 0; i < d->count; i++)
      if (d->ents[i].node) d->ents[k++] = d->ents[i];
    d->count = k;
    reindex(d);
  }
  if (d->count == d->cap) {
    if (d->cap >= UINT32_MAX / 4) return MB_WASI_ENOSPC;
    uint32_t cap = d->cap ? d->cap * 2 : 8;
    mb__dent *p = mb_mem_realloc(alloc, d->ents, (size_t)cap * sizeof *p);
    if (!p) return MB_WASI_ENOMEM;
    d->ents = p;
    d->cap = cap;
  }
  if ((uint64_t)(d->live + 1) * 2 > d->nslots) {
    uint32_t n = d->nslots ? d->nslots * 2 : 8;
    uint32_t *s = mb_mem_calloc(alloc, n, sizeof *s);
    if (!s) return MB_WASI_ENOMEM;
    mb_mem_free(alloc, d->slots);
    d->slots = s;
    d->nslots = n;
    reindex(d);
  }
  return MB_WASI_ESUCCESS;
}

void mb__mdir_insert(mb__mdir *d, const char *name, size_t len, bool owned, mb__mnode *node) {
  mb__dent *e = &d->ents[d->count];
  e->name = name;
  e->len = (uint16_t)len;
  e->name_owned = owned;
  e->hash = mb__name_hash(name, len);
  e->node = node;
  e->seq = d->next_seq++;
  slot_insert(d, d->count);
  d->count++;
  d->live++;
  if (node->base.type == MB_WASI_FILETYPE_DIRECTORY) d->nsubdirs++;
}

void mb__mdir_remove(const mb_allocator *alloc, mb__mdir *d, mb__dent *e) {
  uint32_t idx = (uint32_t)(e - d->ents), mask = d->nslots - 1, i = e->hash & mask;
  while (d->slots[i] != idx + 1) i = (i + 1) & mask;
  /* backward-shift deletion: move later members of the probe run into the hole when
   * their home slot is not inside (hole, j] */
  for (uint32_t j = (i + 1) & mask; d->slots[j]; j = (j + 1) & mask) {
    uint32_t home = d->ents[d->slots[j] - 1].hash & mask;
    bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
    if (!stays) {
      d->slots[i] = d->slots[j];
      i = j;
    }
  }
  d->slots[i] = 0;
  if (e->node->base.type == MB_WASI_FILETYPE_DIRECTORY) d->nsubdirs--;
  if (e->name_owned) mb_mem_free(alloc, (void *)e->name);
  e->name = NULL;
  e->node = NULL;
  e->name_owned = 0;
  d->live--;
}

void mb__mdir_fini(const mb_allocator *alloc, mb__mdir *d) {
  for (uint32_t i = 0; i < d->count; i++)
    if (d->ents[i].name_owned) mb_mem_free(alloc, (void *)d->ents[i].name);
  mb_mem_free(alloc, d->ents);
  mb_mem_free(alloc, d->slots);
  d->ents = NULL;
  d->slots = NULL;
  d->count = d->cap = d->live = d->nslots = d->nsubdirs = 0;
}
