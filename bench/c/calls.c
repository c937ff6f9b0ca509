/* The syscalls of bench/ffi.bench.ts made from C: the floor under the FFI figures.
 * `-t` starts one idle thread first, like bench.c -t, because Bun and Deno are always
 * multi-threaded and the kernel takes an fd reference per syscall only when the fd table is shared.
 *   scripts/build-c-bench.sh && build/c/calls [-t]   (prints ns per call, best of 5 rounds) */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CALLS 200000

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void *idle_thread(void *arg) {
  (void)arg;
  for (;;) pause();
  return NULL;
}

static int pair[2], ep;
static struct epoll_event events[64];
static char byte = 'e';

static void call_getpid(void) { (void)getpid(); }
static void call_epoll_wait(void) { (void)epoll_wait(ep, events, 64, 0); }
static void call_send_recv(void) {
  (void)send(pair[1], &byte, 1, 0);
  (void)recv(pair[0], &byte, 1, 0);
}

static void measure(const char *name, void (*call)(void)) {
  double best = 1e30;
  for (int round = 0; round < 5; round++) {
    double start = now_ns();
    for (int i = 0; i < CALLS; i++) call();
    double per = (now_ns() - start) / CALLS;
    if (per < best) best = per;
  }
  printf("%-40s %7.0f ns\n", name, best);
}

int main(int argc, char **argv) {
  int threaded = argc > 1 && strcmp(argv[1], "-t") == 0;
  if (threaded) {
    pthread_t thread;
    pthread_create(&thread, NULL, idle_thread, NULL);
  }
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == -1 || (ep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
    perror("setup");
    return 1;
  }
  printf("# C%s\n", threaded ? " (+1 idle thread)" : "");
  measure("getpid()", call_getpid);
  measure("epoll_wait(ep, events, 64, 0) idle", call_epoll_wait);
  measure("send + recv of one byte on a socketpair", call_send_recv);
  return 0;
}
