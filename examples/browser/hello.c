/* hello.c — an ordinary WASI program for the browser example: it reads a file embedded
 * at /data, writes and reads back a file in the in-memory /tmp, lists /data and reads the
 * clock. `membrane virt --memory single` makes it a module that needs nothing from its
 * host but fd_write and proc_exit, and has one memory: a browser page runs it with a
 * shim of a few lines (index.html). */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int main(void) {
  char line[128] = "";
  FILE *f = fopen("/data/greeting.txt", "r");
  if (!f || !fgets(line, sizeof line, f)) {
    perror("/data/greeting.txt");
    return 1;
  }
  fclose(f);
  printf("embedded /data/greeting.txt: %s", line);
  f = fopen("/tmp/note.txt", "w");
  if (!f || fputs("written to /tmp, which lives in memory\n", f) < 0 || fclose(f) != 0) {
    perror("/tmp/note.txt");
    return 1;
  }
  f = fopen("/tmp/note.txt", "r");
  if (!f || !fgets(line, sizeof line, f)) {
    perror("/tmp/note.txt");
    return 1;
  }
  fclose(f);
  printf("read back /tmp/note.txt: %s", line);
  DIR *d = opendir("/data");
  int n = 0;
  for (struct dirent *e; d && (e = readdir(d));)
    n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
  if (d) closedir(d);
  printf("entries in /data: %d\n", n);
  struct tm tm;
  time_t t = time(NULL);
  gmtime_r(&t, &tm);
  char when[64];
  strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
  printf("the clock says %s (fixed by the policy)\n", when);
  FILE *g = fopen("/etc/passwd", "r");
  printf("open /etc/passwd: %s\n", g ? "opened?!" : "refused");
  return 0;
}
