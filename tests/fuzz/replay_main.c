/* replay_main.c — a main() for fuzz targets built without libFuzzer: runs
 * LLVMFuzzerTestOneInput once on every file named on the command line, descending into
 * directories (entries in name order, dot files skipped). A property failure aborts, so
 * a corpus or regression input that breaks a target fails its meson test. Exits 1 when
 * an argument cannot be read or nothing at all was replayed (a corpus that went missing
 * should not pass as an empty success). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned long replayed;

static int replay_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    perror(path);
    return 1;
  }
  uint8_t *data = NULL;
  size_t len = 0, cap = 0;
  for (;;) {
    if (cap - len < 65536) {
      cap = cap ? cap * 2 : 65536;
      uint8_t *p = realloc(data, cap);
      if (!p) {
        fprintf(stderr, "%s: out of memory\n", path);
        free(data);
        fclose(f);
        return 1;
      }
      data = p;
    }
    size_t n = fread(data + len, 1, cap - len, f);
    len += n;
    if (n == 0) break;
  }
  int bad = ferror(f);
  fclose(f);
  if (bad) {
    fprintf(stderr, "%s: read error\n", path);
    free(data);
    return 1;
  }
  /* libFuzzer hands over a heap copy of exactly the input's size, so reads past the end
   * hit a redzone; do the same. */
  uint8_t *exact = malloc(len ? len : 1);
  if (!exact) {
    free(data);
    return 1;
  }
  if (len) memcpy(exact, data, len);
  free(data);
  LLVMFuzzerTestOneInput(exact, len);
  free(exact);
  replayed++;
  return 0;
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int replay_path(const char *path);

static int replay_dir(const char *path) {
  DIR *dir = opendir(path);
  if (!dir) {
    perror(path);
    return 1;
  }
  char **names = NULL;
  size_t n = 0, cap = 0;
  int status = 0;
  struct dirent *ent;
  while ((ent = readdir(dir))) {
    if (ent->d_name[0] == '.') continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 64;
      char **p = realloc(names, cap * sizeof *names);
      if (!p) {
        status = 1;
        break;
      }
      names = p;
    }
    size_t len = strlen(path) + 1 + strlen(ent->d_name) + 1;
    if (!(names[n] = malloc(len))) {
      status = 1;
      break;
    }
    snprintf(names[n++], len, "%s/%s", path, ent->d_name);
  }
  closedir(dir);
  if (n) qsort(names, n, sizeof *names, by_name);
  for (size_t i = 0; i < n; i++) {
    if (!status) status = replay_path(names[i]);
    free(names[i]);
  }
  free(names);
  return status;
}

static int replay_path(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) {
    perror(path);
    return 1;
  }
  return S_ISDIR(st.st_mode) ? replay_dir(path) : replay_file(path);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
    return 2;
  }
  for (int i = 1; i < argc; i++)
    if (replay_path(argv[i])) return 1;
  if (!replayed) {
    fprintf(stderr, "%s: no inputs found\n", argv[0]);
    return 1;
  }
  printf("replayed %lu inputs\n", replayed);
  return 0;
}
