/* The bench_cascade.c workload (libevent test/bench_cascade.c) against the system's libevent,
 * for comparison with bench/cascade.ts. Written for evffi: -n pipes, -m METHOD, -r runs. */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static int fired;
static struct event_base *base;

static void read_cb(evutil_socket_t fd, short which, void *arg) {
  char ch;
  long next = (long)arg;
  (void)which;
  (void)recv(fd, &ch, 1, 0);
  if (next >= 0) (void)send(next, "e", 1, 0);
  fired++;
}

static long run_once(int num_pipes) {
  int *pipes = calloc(2 * num_pipes, sizeof(int));
  struct event **events = calloc(num_pipes, sizeof(struct event *));
  struct timeval ts, te;
  for (int i = 0; i < num_pipes; i++)
    if (evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, &pipes[2 * i]) == -1) { perror("socketpair"); exit(1); }
  gettimeofday(&ts, NULL);
  for (int i = 0; i < num_pipes; i++) {
    long next = i + 1 < num_pipes ? pipes[2 * i + 3] : -1;
    events[i] = event_new(base, pipes[2 * i], EV_READ, read_cb, (void *)next);
    event_add(events[i], NULL);
  }
  fired = 0;
  (void)send(pipes[1], "e", 1, 0);
  while (fired != num_pipes) event_base_dispatch(base);
  gettimeofday(&te, NULL);
  for (int i = 0; i < num_pipes; i++) {
    event_free(events[i]);
    close(pipes[2 * i]);
    close(pipes[2 * i + 1]);
  }
  free(pipes);
  free(events);
  return (te.tv_sec - ts.tv_sec) * 1000000L + (te.tv_usec - ts.tv_usec);
}

static int cmp(const void *a, const void *b) {
  long x = *(const long *)a, y = *(const long *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  const char *method = NULL;
  int num_pipes = 100, runs = 25, quiet = 0, c;
  while ((c = getopt(argc, argv, "n:m:r:q")) != -1) {
    switch (c) {
      case 'n': num_pipes = atoi(optarg); break;
      case 'm': method = optarg; break;
      case 'r': runs = atoi(optarg); break;
      case 'q': quiet = 1; break;
      default: return 1;
    }
  }
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) { rl.rlim_cur = rl.rlim_max; setrlimit(RLIMIT_NOFILE, &rl); }
  struct event_config *cfg = event_config_new();
  if (method) {
    const char **all = event_get_supported_methods();
    for (int i = 0; all[i]; i++) if (strcmp(all[i], method) != 0) event_config_avoid_method(cfg, all[i]);
  }
  base = event_base_new_with_config(cfg);
  long *times = calloc(runs, sizeof(long));
  for (int r = 0; r < runs; r++) {
    times[r] = run_once(num_pipes);
    if (!quiet) printf("%ld\n", times[r]);
  }
  qsort(times, runs, sizeof(long), cmp);
  printf("# C libevent %s cascade %s n=%d: median %ld us over %d runs\n", event_get_version(), event_base_get_method(base), num_pipes, times[runs / 2], runs);
  return 0;
}
