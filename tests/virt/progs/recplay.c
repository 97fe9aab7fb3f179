/* recplay.c — what a record/replay test needs a program to take from outside: a file
 * and a directory listing from a mount, the real clock, random bytes, stdin, its
 * arguments; it writes stdout and a file, and exits with status 3. Everything it saw
 * goes to stdout, so a replay that shows the same stdout saw the same things.
 *   recplay DIR [trap]   trap: after everything, a trap (unreachable) instead of exit
 * Built a second time with -DRECPLAY_CHANGED: one call different (it opens another
 * file first), for the divergence test. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : "/data";
  char path[512];
#ifdef RECPLAY_CHANGED
  snprintf(path, sizeof path, "%s/other.txt", dir);
  FILE *o = fopen(path, "r");
  printf("other: %s\n", o ? "yes" : "no");
  if (o) fclose(o);
#endif
  /* a file from the mount */
  snprintf(path, sizeof path, "%s/in.txt", dir);
  FILE *f = fopen(path, "r");
  if (!f) {
    perror(path);
    return 1;
  }
  char buf[256];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = 0;
  fclose(f);
  printf("in.txt: %zu bytes: %s", n, buf);
  struct stat st;
  if (stat(path, &st) == 0) printf("in.txt: size %lld mtime %lld\n", (long long)st.st_size, (long long)st.st_mtime);

  /* a bigger file, twice (the second read's bytes are a back reference in the log) */
  snprintf(path, sizeof path, "%s/big.bin", dir);
  for (int pass = 0; pass < 2; pass++) {
    static unsigned char big[8192];
    int fd = open(path, O_RDONLY);
    ssize_t got = fd >= 0 ? read(fd, big, sizeof big) : -1;
    unsigned long sum = 0;
    for (ssize_t i = 0; i < got; i++) sum = sum * 31 + big[i];
    printf("big.bin: %zd bytes, sum %lu\n", got, sum);
    if (fd >= 0) close(fd);
  }

  /* a directory listing (sorted: the order is the host's, the names are what counts) */
  snprintf(path, sizeof path, "%s/sub", dir);
  DIR *d = opendir(path);
  char *names[64];
  int count = 0;
  struct dirent *e;
  while (d && (e = readdir(d)) && count < 64)
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) names[count++] = strdup(e->d_name);
  if (d) closedir(d);
  qsort(names, (size_t)count, sizeof *names, by_name);
  printf("sub:");
  for (int i = 0; i < count; i++) printf(" %s", names[i]), free(names[i]);
  printf("\n");

  /* the clock and random bytes */
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  printf("realtime: %lld.%09ld\n", (long long)ts.tv_sec, ts.tv_nsec);
  clock_gettime(CLOCK_MONOTONIC, &ts);
  printf("monotonic: %lld.%09ld\n", (long long)ts.tv_sec, ts.tv_nsec);
  unsigned char r[16];
  if (getentropy(r, sizeof r) == 0) {
    printf("random:");
    for (size_t i = 0; i < sizeof r; i++) printf(" %02x", r[i]);
    printf("\n");
  }

  /* stdin */
  char in[256];
  ssize_t got = read(0, in, sizeof in - 1);
  if (got < 0) got = 0;
  in[got] = 0;
  printf("stdin: %zd bytes: %s", got, in);

  /* a file written to the mount */
  snprintf(path, sizeof path, "%s/out.txt", dir);
  f = fopen(path, "w");
  if (f) {
    fprintf(f, "written at %lld\n", (long long)ts.tv_sec);
    fclose(f);
  }
  printf("wrote out.txt: %s\n", f ? "yes" : "no");
  fflush(stdout);
  if (argc > 2 && !strcmp(argv[2], "trap")) __builtin_trap();
  return 3;
}
