/* reverse_permute.h — the permutation the integration tests apply to every fixture:
 * reverse the defined part of every index space (types, functions, tables, memories,
 * globals, tags) and the element and data segments; imports stay in place. Reversal
 * moves every entity that can move, so index 0 of each space changes whenever the space
 * has two or more defined entries (implicit-index encodings must become explicit). */
#ifndef MB_TEST_REVERSE_PERMUTE_H
#define MB_TEST_REVERSE_PERMUTE_H

#include "membrane_link.h"

/* Build the reversing maps for m and apply mb_module_permute. Returns its result
 * (MB_ERR_NOMEM when the maps cannot be allocated). */
mb_err mbt_reverse_permute(mb_module *m, mb_diag *diag);

#endif
