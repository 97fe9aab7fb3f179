/* glue_unity.c — the wasm32 glue as one translation unit, so the hot paths (an own move,
 * a lend, a call scope) inline across rt.c, ht.c, resource.c and call.c instead of being
 * chains of out-of-line calls. wasm32 build only. */
#include "rt.c"
#include "ht.c"
#include "resource.c"
#include "call.c"
#include "unwind.c"
#include "wasm32_alloc.c"
#include "glue.c"
