/* Timers against the system's libevent, for comparison with bench/timer-workload.ts (the same two
 * workloads, the same delays): "cancel" makes N timers with delays of 1-10000 ms (a fixed
 * pseudo-random sequence) and then deletes and frees them all, none firing; "expire" makes N timers
 * due at once and runs the loop until all have fired. Written for evffi.
 *   build/c/timers cancel|expire N REPS   prints ns per timer for each rep, then "median X ns" */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long fired;

static void on_timer(evutil_socket_t fd, short what, void *arg) {
  (void)fd, (void)what, (void)arg;
  fired++;
}

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc != 4 || (strcmp(argv[1], "cancel") && strcmp(argv[1], "expire"))) {
    fprintf(stderr, "usage: %s cancel|expire N REPS\n", argv[0]);
    return 2;
  }
  int expire = !strcmp(argv[1], "expire");
  long n = atol(argv[2]), reps = atol(argv[3]);
  struct event_base *base = event_base_new();
  struct event **events = calloc(n, sizeof *events);
  double *times = calloc(reps, sizeof *times);
  for (long rep = 0; rep < reps; rep++) {
    unsigned state = 1; /* the same delays in every rep and in the TypeScript workload */
    fired = 0;
    double t = now_ns();
    for (long i = 0; i < n; i++) {
      state = state * 1103515245u + 12345u;
      long ms = expire ? 0 : 1 + (state >> 8) % 10000;
      struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
      events[i] = evtimer_new(base, on_timer, NULL);
      evtimer_add(events[i], &tv);
    }
    if (expire) {
      event_base_dispatch(base);
    } else {
      for (long i = 0; i < n; i++) evtimer_del(events[i]), event_free(events[i]);
    }
    times[rep] = (now_ns() - t) / n;
    if (expire) {
      for (long i = 0; i < n; i++) event_free(events[i]);
      if (fired != n) {
        fprintf(stderr, "fired %ld of %ld timers\n", fired, n);
        return 1;
      }
    }
    printf("%.1f ns per timer\n", times[rep]);
  }
  qsort(times, reps, sizeof *times, by_value);
  printf("median %.1f ns\n", times[reps / 2]);
  event_base_free(base);
  return 0;
}
