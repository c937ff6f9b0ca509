/* The bench.c workload (libevent test/bench.c) against the system's libevent, for comparison
 * with bench/bench.ts. Written for evffi; options as bench.c: -n pipes -a active -w writes,
 * plus -m METHOD (avoid every other method) and -r runs. Prints microseconds per run.
 * -t starts one idle thread first: a process whose fd table is shared by several threads (as in
 * every Bun or Deno process) pays an atomic reference per fd lookup in the kernel (fdget/fput),
 * which a single-threaded C process skips; -t shows what that alone costs.
 * -s serves runs on request for scripts/bench-relay.mjs: after the -r runs, one more run per line
 * read from stdin, its microseconds printed on a line of their own, until stdin ends. */
#include <pthread.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static int count, writes, fired, failures;
static int *pipes;
static int num_pipes = 100, num_active = 1, num_writes = 100;
static struct event **events;
static struct event_base *base;

static void read_cb(evutil_socket_t fd, short which, void *arg) {
  long idx = (long)arg, widx = idx + 1;
  unsigned char ch;
  ssize_t n = recv(fd, &ch, 1, 0);
  (void)which;
  if (n >= 0) count += n; else failures++;
  if (writes) {
    if (widx >= num_pipes) widx -= num_pipes;
    if (send(pipes[2 * widx + 1], "e", 1, 0) != 1) failures++;
    writes--;
    fired++;
  }
}

static long run_once(void) {
  struct timeval ts, te;
  for (long i = 0; i < num_pipes; i++) {
    event_del(events[i]);
    event_add(events[i], NULL);
  }
  event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
  fired = 0;
  int space = (num_pipes / num_active) * 2;
  for (int i = 0; i < num_active; i++, fired++) (void)send(pipes[i * space + 1], "e", 1, 0);
  count = 0;
  writes = num_writes;
  gettimeofday(&ts, NULL);
  do {
    event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
  } while (count != fired);
  gettimeofday(&te, NULL);
  return (te.tv_sec - ts.tv_sec) * 1000000L + (te.tv_usec - ts.tv_usec);
}

static void *idle_thread(void *arg) {
  (void)arg;
  for (;;) pause();
  return NULL;
}

static int cmp(const void *a, const void *b) {
  long x = *(const long *)a, y = *(const long *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  const char *method = NULL;
  int runs = 25, quiet = 0, threaded = 0, serve = 0, c;
  while ((c = getopt(argc, argv, "n:a:w:m:r:qst")) != -1) {
    switch (c) {
      case 'n': num_pipes = atoi(optarg); break;
      case 'a': num_active = atoi(optarg); break;
      case 'w': num_writes = atoi(optarg); break;
      case 'm': method = optarg; break;
      case 'r': runs = atoi(optarg); break;
      case 'q': quiet = 1; break;
      case 't': threaded = 1; break;
      case 's': serve = 1; break;
      default: fprintf(stderr, "usage: %s [-n pipes] [-a active] [-w writes] [-m method] [-r runs] [-q] [-t] [-s]\n", argv[0]); return 1;
    }
  }
  pthread_t idle;
  if (threaded && pthread_create(&idle, NULL, idle_thread, NULL) != 0) { perror("pthread_create"); return 1; }
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)(2 * num_pipes + 64)) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  struct event_config *cfg = event_config_new();
  if (method) {
    const char **all = event_get_supported_methods();
    for (int i = 0; all[i]; i++) if (strcmp(all[i], method) != 0) event_config_avoid_method(cfg, all[i]);
  }
  base = event_base_new_with_config(cfg);
  if (!base) { fprintf(stderr, "no base for method %s\n", method ? method : "(default)"); return 1; }
  pipes = calloc(2 * num_pipes, sizeof(int));
  events = calloc(num_pipes, sizeof(struct event *));
  for (long i = 0; i < num_pipes; i++) {
    if (evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, &pipes[2 * i]) == -1) { perror("socketpair"); return 1; }
    events[i] = event_new(base, pipes[2 * i], EV_READ | EV_PERSIST, read_cb, (void *)i);
  }
  long *times = calloc(runs, sizeof(long));
  for (int r = 0; r < runs; r++) {
    times[r] = run_once();
    if (!quiet) printf("%ld\n", times[r]);
  }
  if (serve) {
    char line[64];
    printf("ready\n");
    fflush(stdout);
    while (fgets(line, sizeof line, stdin)) {
      printf("%ld\n", run_once());
      fflush(stdout);
    }
    return 0;
  }
  qsort(times, runs, sizeof(long), cmp);
  printf("# C libevent %s bench %s%s n=%d a=%d w=%d: median %ld us over %d runs%s\n", event_get_version(),
         event_base_get_method(base), threaded ? " (+1 idle thread)" : "", num_pipes, num_active, num_writes, times[runs / 2], runs,
         failures ? " (failures)" : "");
  return 0;
}
