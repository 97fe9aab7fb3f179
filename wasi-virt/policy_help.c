/* policy_help.c — the help text of the policy flags, for `membrane virt --help`. Kept
 * next to policy.c so a change of a value form changes both in one commit. Lines are at
 * most 80 columns (the unit test checks). */
#include "membrane_wasi_virt.h"

static const char help[] =
    "Policy: everything not granted is denied (no files, no host env or args, stdin\n"
    "null, clock fixed:0, random seed:0); stdout and stderr inherit.\n"
    "  --embed GUEST=HOSTPATH  copy a host file or directory in at build time,\n"
    "                          read-only, at guest path GUEST\n"
    "  --mem GUEST[:LIMIT]     an in-memory writable directory; LIMIT in bytes with\n"
    "                          an optional K, M or G, or unlimited (the default).\n"
    "                          Over an --embed of the same GUEST it is copy-on-write\n"
    "  --mount GUEST=HOST[:ro|:rw]\n"
    "                          a host directory passed through, read-only unless :rw.\n"
    "                          HOST is PREOPEN[/SUBDIR]: its first component (with\n"
    "                          its leading '/') names a directory the host runtime\n"
    "                          preopens, the rest confines the mount below it:\n"
    "                          /host/data is preopen /host, subdir data. HOST has no\n"
    "                          ':'; SUBDIR no empty, '.' or '..' components\n"
    "  --env NAME=VALUE        set a variable\n"
    "  --env-allow NAME        pass the host's value of NAME, if it has one\n"
    "  --env-inherit           pass every host variable (--env still overrides)\n"
    "  --arg ARG               append an argument after argv[0] (repeatable)\n"
    "  --args-inherit          the host's arguments instead (not with --arg)\n"
    "  --stdin|--stdout|--stderr MODE\n"
    "                          inherit, null, or an absolute guest file path inside a\n"
    "                          mount (for output: a --mem or :rw mount)\n"
    "  --clock real|fixed:NANOS\n"
    "                          the host's clocks, or time from NANOS after 1970\n"
    "  --random real|seed:N    the host's random bytes, or a sequence seeded with N\n"
    "  --fault FUNC:N:ERRNO    make call N (from 1) of the preview1 function FUNC\n"
    "                          fail with ERRNO (a name such as io or noent, or 1..76)\n"
    "  --trace stderr|none     log every WASI call to stderr, or not (the default)\n"
    "  --policy FILE.json      the same settings as JSON, applied where the flag\n"
    "                          stands: keys are the flags without '--', values a\n"
    "                          string or an array of them, true for the flags without\n"
    "                          a value; e.g. {\"mount\": [\"/data=/host/data:ro\"],\n"
    "                          \"mem\": \"/tmp:1M\"}. A policy file cannot include\n"
    "                          another\n"
    "GUEST paths are absolute; '//', '.' and a trailing '/' are dropped, '..' is\n"
    "refused. Later single-valued settings replace earlier ones; list options append.\n";

const char *mb_virt_policy_help(void) { return help; }
