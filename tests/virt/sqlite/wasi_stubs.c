/* realpath and chmod for the SQLite shell on wasm32-wasi (see wasi_stubs.h). Only the
 * shell's fileio extension reaches them (the realpath() SQL function, writefile()'s
 * mode); the test corpus uses neither, so they only have to be honest. */
#include "wasi_stubs.h"

#include <errno.h>
#include <stddef.h>
#include <sys/stat.h>

/* preview1 has no current directory nor a call that canonicalizes a path: there is
 * nothing to resolve against, so say so rather than echo the path back. */
char *realpath(const char *restrict path, char *restrict resolved)
{
    (void)path;
    (void)resolved;
    errno = ENOSYS;
    return NULL;
}

/* preview1 files have no permission bits: a mode change is a no-op on a file that
 * exists, and a missing file is still an error. */
int chmod(const char *path, mode_t mode)
{
    struct stat st;

    (void)mode;
    return stat(path, &st);
}
