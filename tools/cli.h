/* cli.h — shared pieces of the membrane subcommands. Only tools/ prints and exits. */
#ifndef MB_TOOLS_CLI_H
#define MB_TOOLS_CLI_H

#include <stdbool.h>

#include "membrane_link.h"

/* A module loaded from a file: the bytes and the model pointing into them. */
typedef struct mb_cli_module {
  const char *path;
  uint8_t *bytes;
  size_t len;
  mb_module *module;
} mb_cli_module;

/* Load and decode PATH; on error prints "membrane: PATH: offset N: message" and returns
 * false. */
bool mb_cli_load(mb_cli_module *cm, const char *path);
void mb_cli_unload(mb_cli_module *cm);

/* Print a library diagnostic for PATH (with the byte offset when it is meaningful). */
void mb_cli_diag(const char *path, const mb_diag *d, bool with_offset);

/* --export INST.NAME[=AS] (link, virt): *spec is a copy of arg the caller frees, *inst,
 * *name and *as point into it (*as NULL without `=AS`). Malformed: prints
 * "membrane TOOL: --export ...: expected ..." and returns false (*spec NULL). */
bool mb_cli_export_spec(const char *tool, const char *arg, char **spec, char **inst, char **name,
                        char **as);

/* The default instance name of an input file (allocated; NULL: out of memory): its base
 * name up to the first '.', so tool.wasm, tool.core.wasm and tool.opt.wasm are all
 * `tool`, the name other modules import it by. Instance names contain no '.' (it
 * separates INST.NAME in --export and --wire). */
char *mb_cli_default_name(const char *path);

/* An input argument NAME=FILE or FILE (link, virt): the instance name (allocated; NULL:
 * out of memory) and in *path the file. Without NAME= the name is mb_cli_default_name's;
 * "=FILE" gives the empty name, which the link refuses with a message naming it. */
char *mb_cli_instance_name(const char *arg, const char **path);

/* True when arg is -h or --help. */
bool mb_cli_is_help(const char *arg);

int mb_cmd_inspect(int argc, char **argv);
int mb_cmd_replay_inspect(int argc, char **argv);
int mb_cmd_strip(int argc, char **argv);
int mb_cmd_link(int argc, char **argv);
int mb_cmd_virt(int argc, char **argv);

#endif
