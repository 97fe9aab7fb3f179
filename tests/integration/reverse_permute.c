/* reverse_permute.c — see reverse_permute.h. */
#include "reverse_permute.h"

#include <stdlib.h>

mb_err mbt_reverse_permute(mb_module *m, mb_diag *diag) {
  static const int kind_of[MB_SPACE_COUNT] = {-1, MB_KIND_FUNC, MB_KIND_TABLE, MB_KIND_MEMORY,
                                              MB_KIND_GLOBAL, MB_KIND_TAG, -1, -1};
  mb_remap rm = {{0}, {0}};
  uint32_t *maps[MB_SPACE_COUNT] = {0};
  mb_err e = MB_OK;
  for (int s = 0; s < MB_SPACE_COUNT; s++) {
    uint32_t total, imported = 0;
    switch (s) {
    case MB_SPACE_TYPE: total = m->ntypes; break;
    case MB_SPACE_ELEM: total = m->nelems; break;
    case MB_SPACE_DATA: total = m->ndatas; break;
    default:
      total = mb_module_count(m, (mb_kind)kind_of[s]);
      imported = m->nimported[kind_of[s]];
      break;
    }
    if (total == 0) continue;
    if (!(maps[s] = malloc(total * sizeof *maps[s]))) {
      e = MB_ERR_NOMEM;
      goto out;
    }
    for (uint32_t i = 0; i < total; i++)
      maps[s][i] = i < imported ? i : imported + (total - 1 - i);
    rm.map[s] = maps[s];
    rm.count[s] = total;
  }
  e = mb_module_permute(m, &rm, diag);
out:
  for (int s = 0; s < MB_SPACE_COUNT; s++) free(maps[s]);
  return e;
}
