/* report.c — an ordinary WASI program, compiled with clang --target=wasm32-wasi and
 * nothing else, that `membrane virt` sandboxes in the demo. It reads its settings from
 * /etc (embedded in the module), lists the host directory mounted read-only at /photos,
 * writes a report to /tmp (in memory), and tries a few things a sandbox must refuse. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void) {
  char title[128] = "?";
  FILE *f = fopen("/etc/report.conf", "r");
  if (f) {
    if (fgets(title, sizeof title, f)) title[strcspn(title, "\n")] = 0;
    fclose(f);
  }
  printf("%s\n", title);

  DIR *d = opendir("/photos");
  if (!d) {
    printf("cannot list /photos: %s\n", strerror(errno));
    return 1;
  }
  char *names[64];
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < 64)
    if (e->d_name[0] != '.') names[n++] = strdup(e->d_name);
  closedir(d);
  qsort(names, (size_t)n, sizeof *names, by_name);

  FILE *out = fopen("/tmp/report.txt", "w");
  long long total = 0;
  for (int i = 0; i < n; i++) {
    char path[512];
    struct stat st;
    snprintf(path, sizeof path, "/photos/%s", names[i]);
    if (stat(path, &st) == 0) total += st.st_size;
    fprintf(out, "%s %lld\n", names[i], (long long)st.st_size);
    free(names[i]);
  }
  fclose(out);
  printf("%d files in /photos, %lld bytes; report written to /tmp/report.txt:\n", n, total);
  out = fopen("/tmp/report.txt", "r");
  char line[600];
  while (fgets(line, sizeof line, out)) printf("  %s", line);
  fclose(out);

  /* what the sandbox refuses */
  FILE *w = fopen("/photos/new.jpg", "w");
  printf("write into /photos: %s\n", w ? "allowed (!)" : strerror(errno));
  FILE *up = fopen("/photos/../../etc/passwd", "r");
  printf("read /photos/../../etc/passwd: %s\n", up ? "allowed (!)" : strerror(errno));
  FILE *host = fopen("/home/user/.ssh/id_rsa", "r");
  printf("read /home/user/.ssh/id_rsa: %s\n", host ? "allowed (!)" : strerror(errno));
  return 0;
}
