/* membrane command-line tool: placeholder until the linker library lands.
 *
 * Only `inspect` does anything yet, and only checks the module header, so that
 * `scripts/setup --demo` exercises the built binary end to end. */
#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
    fputs("usage: membrane <command> [options]\n"
          "\n"
          "commands:\n"
          "  inspect FILE.wasm   describe a module (header only in this build)\n"
          "  link ...            compose modules into one (not yet implemented)\n"
          "  virt ...            wire a virtualized WASI in front (not yet implemented)\n"
          "  help                show this text\n",
          out);
}

/* Reads the 8-byte preamble and the file size; returns the exit status. */
static int inspect(const char *path)
{
    static const unsigned char magic[4] = {0x00, 0x61, 0x73, 0x6d};
    unsigned char head[8];
    long size;
    int status = 1;
    FILE *f = fopen(path, "rb");

    if (f == NULL) {
        fprintf(stderr, "membrane: %s: cannot open\n", path);
        goto cleanup;
    }
    if (fread(head, 1, sizeof head, f) != sizeof head) {
        fprintf(stderr, "membrane: %s: offset 0: unexpected end\n", path);
        goto cleanup;
    }
    if (memcmp(head, magic, sizeof magic) != 0) {
        fprintf(stderr, "membrane: %s: offset 0: magic header not detected\n", path);
        goto cleanup;
    }
    if (head[4] != 1 || head[5] != 0 || head[6] != 0 || head[7] != 0) {
        fprintf(stderr, "membrane: %s: offset 4: unknown binary version\n", path);
        goto cleanup;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0) {
        fprintf(stderr, "membrane: %s: cannot determine size\n", path);
        goto cleanup;
    }
    printf("%s: wasm module, binary version 1, %ld bytes\n", path, size);
    status = 0;
cleanup:
    if (f != NULL)
        fclose(f);
    return status;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 1;
    }
    if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "inspect") == 0 && argc == 3)
        return inspect(argv[2]);
    fprintf(stderr, "membrane: '%s' is not available in this build\n", argv[1]);
    usage(stderr);
    return 1;
}
