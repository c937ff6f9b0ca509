/* bench/timers-million.ts's workload against the system's libevent: N one-shot timers (-n, default
 * 1000000) with deadlines 0-49 ms from the same 32-bit LCG, each an event_new + event_add, run
 * until all fired, each event freed in its callback. -r runs (default 3); prints milliseconds per
 * run and the median. */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

static long fired;

static void on_timer(evutil_socket_t fd, short which, void *arg) {
  (void)fd; (void)which;
  event_free((struct event *)arg);
  fired++;
}

static int compare(const void *a, const void *b) {
  long x = *(const long *)a, y = *(const long *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  long count = 1000000;
  int runs = 3, quiet = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-n") && i + 1 < argc) count = atol(argv[++i]);
    else if (!strcmp(argv[i], "-r") && i + 1 < argc) runs = atoi(argv[++i]);
    else if (!strcmp(argv[i], "-q")) quiet = 1;
  }
  unsigned char *deadlines = malloc(count);
  unsigned x = 1;
  for (long i = 0; i < count; i++) {
    x = x * 1103515245u + 12345u;
    deadlines[i] = (x >> 16) % 50;
  }
  struct event_base *base = event_base_new();
  long *times = calloc(runs, sizeof *times);
  for (int r = 0; r < runs; r++) {
    struct timeval ts, te;
    fired = 0;
    gettimeofday(&ts, NULL);
    for (long i = 0; i < count; i++) {
      struct event *ev = event_new(base, -1, 0, on_timer, event_self_cbarg());
      struct timeval tv = { 0, deadlines[i] * 1000 };
      event_add(ev, &tv);
    }
    while (fired != count) event_base_loop(base, EVLOOP_ONCE);
    gettimeofday(&te, NULL);
    times[r] = ((te.tv_sec - ts.tv_sec) * 1000000L + (te.tv_usec - ts.tv_usec)) / 1000;
    if (!quiet) printf("%ld\n", times[r]);
  }
  qsort(times, runs, sizeof *times, compare);
  printf("# libevent %s timers n=%ld: median %ld ms over %d runs\n", event_get_version(), count, times[runs / 2], runs);
  event_base_free(base);
  return 0;
}
