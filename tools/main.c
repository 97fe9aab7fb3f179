/* main.c — the membrane command: dispatch to subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#ifndef MB_VERSION
#define MB_VERSION "unknown"
#endif

typedef struct command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
} command;

static const command commands[] = {
    {"inspect", mb_cmd_inspect, "describe a module: sections, imports, exports, memories, ..."},
    {"link", mb_cmd_link, "fuse modules into one multi-memory module"},
    {"replay-inspect", mb_cmd_replay_inspect, "print a log recorded by virt --record"},
    {"strip", mb_cmd_strip, "drop custom sections (debug info, names, producers)"},
    {"virt", mb_cmd_virt, "sandbox a WASI program behind a virtualized WASI"},
};

static void usage(FILE *out) {
  fputs("usage: membrane COMMAND [OPTIONS] ...\n"
        "       membrane COMMAND --help\n"
        "       membrane --version\n\n"
        "membrane composes WebAssembly modules and virtualizes WASI.\n\ncommands:\n",
        out);
  for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
    fprintf(out, "  %-15s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 1;
  }
  const char *cmd = argv[1];
  if (mb_cli_is_help(cmd) || strcmp(cmd, "help") == 0) {
    usage(stdout);
    return 0;
  }
  if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
    printf("membrane %s\n", MB_VERSION);
    return 0;
  }
  for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
    if (strcmp(cmd, commands[i].name) == 0) return commands[i].run(argc - 1, argv + 1);
  fprintf(stderr, "membrane: unknown command '%s'\n\n", cmd);
  usage(stderr);
  return 1;
}
