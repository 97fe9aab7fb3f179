/* One policy feature per run (argv[1]), for features.sh: stdin from a file, stdout
 * captured to a file, poll on a file and on a silent stdin, the fixed clock, seeded random, an injected
 * fault, env and args passed through from the host. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  const char *m = argc > 1 ? argv[1] : "";
  char buf[256] = {0};
  if (!strcmp(m, "stdin")) {
    size_t n = fread(buf, 1, sizeof buf - 1, stdin);
    printf("stdin gave %zu bytes: %s", n, buf);
  } else if (!strcmp(m, "capture")) {
    printf("captured line\n");
    fflush(stdout);
    FILE *f = fopen("/tmp/log", "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    fprintf(stderr, "log holds: %.*s", (int)n, buf);
  } else if (!strcmp(m, "poll")) {
    int fd = open("/data/in.txt", O_RDONLY);
    struct pollfd p[2] = {{fd, POLLIN, 0}, {99, POLLIN, 0}};
    int n = poll(p, 2, 1000);
    printf("poll: %d ready, file readable %d, fd 99 invalid %d\n", n, (p[0].revents & POLLIN) != 0,
           (p[1].revents & POLLNVAL) != 0);
  } else if (!strcmp(m, "poll-stdin")) {
    /* stdin is a pipe nothing is written to for a while: only the timeout fires */
    struct pollfd p = {0, POLLIN, 0};
    int n = poll(&p, 1, argc > 2 ? atoi(argv[2]) : 100);
    printf("poll stdin: %d ready\n", n);
  } else if (!strcmp(m, "clock")) {
    struct timespec a, b;
    clock_gettime(CLOCK_REALTIME, &a);
    clock_gettime(CLOCK_REALTIME, &b);
    printf("realtime %lld.%09ld then %lld.%09ld\n", (long long)a.tv_sec, a.tv_nsec,
           (long long)b.tv_sec, b.tv_nsec);
  } else if (!strcmp(m, "random")) {
    unsigned char r[8];
    getentropy(r, sizeof r);
    for (int i = 0; i < 8; i++) printf("%02x", r[i]);
    printf("\n");
  } else if (!strcmp(m, "fault")) {
    int fd = open("/data/in.txt", O_RDONLY);
    ssize_t n = read(fd, buf, 10);
    printf("first read: %s\n", n < 0 ? strerror(errno) : "ok");
    n = read(fd, buf, 10);
    printf("second read: %s\n", n < 0 ? strerror(errno) : "ok");
  } else if (!strcmp(m, "env")) {
    const char *v = getenv("HOSTVAR"), *w = getenv("OTHER");
    printf("HOSTVAR=%s OTHER=%s\n", v ? v : "(unset)", w ? w : "(unset)");
  } else if (!strcmp(m, "args")) {
    for (int i = 0; i < argc; i++) printf("[%s]", argv[i]);
    printf("\n");
  } else {
    printf("hello\n");
  }
  return 0;
}
