/* policy_internal.h — private to the policy's three files (native only):
 *   policy_opts.c   the option table, each option's value forms, the delta, flags;
 *   policy_json.c   a JSON policy file: the strict scanner, its keys and values into a delta;
 *   policy_check.c  the cross-option checks, once all options are in.
 * JSON and flags meet in the delta: both apply an option's value with mb__policy_apply,
 * and the delta is merged into the caller's policy only when the whole flag or file was
 * read. */
#ifndef MB_WASI_VIRT_POLICY_INTERNAL_H
#define MB_WASI_VIRT_POLICY_INTERNAL_H

#include "vfs_internal.h"

/* ---- the options (policy_opts.c) ---- */

/* Order is the order of the help text and of "the keys are ..." messages. */
typedef enum mb__policy_opt {
  O_EMBED, O_MEM, O_MOUNT, O_ENV, O_ENV_ALLOW, O_ENV_INHERIT, O_ARG, O_ARGS_INHERIT,
  O_STDIN, O_STDOUT, O_STDERR, O_CLOCK, O_RANDOM, O_FAULT, O_TRACE, O_SAVE, O_RECORD, O_REPLAY,
  O_POLICY, O_COUNT
} mb__policy_opt;

typedef struct mb__policy_opt_info {
  const char *name; /* without "--" (the JSON key) */
  int arity;
  const char *form; /* for "needs a value" messages */
} mb__policy_opt_info;

extern const mb__policy_opt_info mb__policy_opts[O_COUNT];

/* The option called name (len bytes, without "--"), or -1. */
int mb__policy_opt_find(const char *name, size_t len);

/* The closest of n names (each the first field of an element stride bytes apart) to s,
 * if it is close enough to be a typo; NULL otherwise. For "did you mean" hints. */
const char *mb__policy_closest(const char *s, size_t len, const char *const *names, size_t n,
                               size_t stride);

mb_wv_err mb__policy_nomem(mb_wv_diag *d, const char *where);

#define Q(len) (int)((len) > 200 ? 200 : (len)) /* a quoted value, cut for the message */

/* ---- the delta (policy_opts.c) ---- */

/* What one flag or one file changes: a policy of its own plus which single-valued
 * settings it sets (caps: the capacities of its arrays). */
typedef struct mb__policy_delta {
  mb_wv_policy p;
  size_t mount_cap, arg_cap, env_cap, fault_cap, save_cap;
  unsigned set;
} mb__policy_delta;

/* An empty delta whose arrays come from alloc (the policy's it will be merged into). */
void mb__policy_delta_init(mb__policy_delta *t, const mb_allocator *alloc);

/* One option with a value (o != O_POLICY) into the delta; where names it in messages.
 * On error the delta may hold part of it: the caller finishes it without merging. */
mb_wv_err mb__policy_apply(mb__policy_delta *t, mb_wv_diag *d, const char *where,
                           mb__policy_opt o, const char *v);

/* One option without a value (O_ENV_INHERIT, O_ARGS_INHERIT), on or off. */
void mb__policy_apply_flag(mb__policy_delta *t, mb__policy_opt o, bool on);

/* Move everything of t into p; t is left empty (still to be finished by the caller).
 * False (out of memory) before anything moved: p is then as it was, its arrays at most
 * larger than needed. */
bool mb__policy_merge(mb_wv_policy *p, mb__policy_delta *t);

#endif
