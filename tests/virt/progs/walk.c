/* A sorted recursive walk of /data: types, sizes, symlink texts. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char **)a, *(char **)b); }

static void walk(const char *dir, int depth) {
  DIR *d = opendir(dir);
  if (!d) { printf("%*sopendir %s failed\n", depth * 2, "", dir); return; }
  char *names[256];
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < 256)
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) names[n++] = strdup(e->d_name);
  closedir(d);
  qsort(names, n, sizeof *names, cmp);
  for (int i = 0; i < n; i++) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    struct stat st;
    if (lstat(path, &st) != 0) { printf("%*s%s: lstat failed\n", depth * 2, "", names[i]); continue; }
    if (S_ISDIR(st.st_mode)) {
      printf("%*s%s/\n", depth * 2, "", names[i]);
      walk(path, depth + 1);
    } else if (S_ISLNK(st.st_mode)) {
      char t[256] = {0};
      readlink(path, t, sizeof t - 1);
      printf("%*s%s -> %s\n", depth * 2, "", names[i], t);
    } else {
      printf("%*s%s (%lld bytes)\n", depth * 2, "", names[i], (long long)st.st_size);
    }
    free(names[i]);
  }
}

int main(void) {
  walk("/data", 0);
  /* a symlink inside the tree is followed; one pointing out of it is refused */
  FILE *f = fopen("/data/sub/link-in", "r");
  char buf[64] = {0};
  if (f) { fgets(buf, sizeof buf, f); fclose(f); printf("link-in: %s", buf); }
  else printf("link-in: cannot open\n");
  printf("symlink: %s\n", symlink("in.txt", "/data/made-link") == 0 ? "ok" : "failed");
  struct stat st;
  printf("stat through made-link: %s\n", stat("/data/made-link", &st) == 0 && st.st_size > 0 ? "ok" : "failed");
  unlink("/data/made-link");
  return 0;
}
