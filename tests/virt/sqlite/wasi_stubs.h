/* Declarations Debian's wasi-libc (0.0~git20221206) lacks but SQLite's shell.c calls:
 * forced into shell.c with -include, defined in wasi_stubs.c. Without them clang
 * declares them implicitly as returning int, and realpath's pointer would pass through
 * an int. */
#ifndef MB_SQLITE_WASI_STUBS_H
#define MB_SQLITE_WASI_STUBS_H

#include <sys/types.h>

char *realpath(const char *restrict path, char *restrict resolved);
int chmod(const char *path, mode_t mode);

#endif
