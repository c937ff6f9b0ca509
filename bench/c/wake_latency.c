// The floor under the idle wake-up latency of evffi's `await base.loop()` (bench/coop.ts): the
// same two hops in C with nothing else in the way. The main thread writes a byte to a socketpair
// that a waiter thread is blocked on in poll(); the waiter reads it and writes an eventfd the main
// thread is blocked on in poll(). Latency: from the write until the main thread is running again.
// In `await base.loop()` the same hops are the off-thread wait (Deno: a nonblocking FFI poll;
// Bun: a Worker) waking, then telling the JS thread, idle in its own event loop. Between samples
// both threads sleep 1 ms, as they do between the 1 ms host timers of bench/coop.ts.
//
//   scripts/build-c-bench.sh && build/c/wake_latency [samples]   (prints p50 and p99 in µs)
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int pair[2];
static int done_fd;

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void *waiter(void *arg) {
  (void)arg;
  struct pollfd p = {.fd = pair[0], .events = POLLIN};
  char byte;
  uint64_t one = 1;
  for (;;) {
    if (poll(&p, 1, -1) < 0) continue;
    if (read(pair[0], &byte, 1) != 1) return NULL;
    if (write(done_fd, &one, sizeof one) != sizeof one) return NULL;
  }
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  int samples = argc > 1 ? atoi(argv[1]) : 300;
  if (samples < 2) samples = 2;
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) < 0 || (done_fd = eventfd(0, 0)) < 0) {
    perror("setup");
    return 1;
  }
  pthread_t t;
  pthread_create(&t, NULL, waiter, NULL);
  double *lat = malloc(sizeof(double) * samples);
  struct pollfd p = {.fd = done_fd, .events = POLLIN};
  uint64_t count;
  for (int i = 0; i < samples; i++) {
    struct timespec pause = {0, 1000000L};
    nanosleep(&pause, NULL);
    double started = now_us();
    if (write(pair[1], "x", 1) != 1) return 1;
    while (poll(&p, 1, -1) < 1) {
    }
    lat[i] = now_us() - started;
    if (read(done_fd, &count, sizeof count) != sizeof count) return 1;
  }
  qsort(lat, samples, sizeof(double), cmp);
  printf("# C two-hop wake-up (socketpair to a poll()ing thread, eventfd back): p50 %.0f us, p99 %.0f us over %d samples\n",
         lat[samples / 2], lat[(int)(samples * 0.99)], samples);
  return 0;
}
