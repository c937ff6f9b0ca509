/* The load generator of bench/echo.ts: C, one thread, epoll (edge-triggered), so that the client
 * is neither the bottleneck nor written in any server runtime's favour.
 *
 *   echo_client PORT [CONNS=64] [WINDOW=65536] [SECONDS=5] [WARMUP=1]
 *
 * Opens CONNS connections to 127.0.0.1:PORT; each keeps WINDOW bytes in flight: it writes until
 * sent - echoed == WINDOW, counts what comes back, and writes again as echoes return. After
 * WARMUP seconds the counters are sampled, after WARMUP + SECONDS again; then the client stops
 * writing and waits (up to 5 s) until every connection has received back exactly what it sent.
 * Prints one line:
 *   bytes=B seconds=S mbps=M min_conn=A max_conn=Z sent=T echoed=E drained=1|0 errors=K
 * (bytes, mbps, min_conn and max_conn over the measured interval; mbps in 10^6 bytes/s; sent and
 * echoed over the whole run, equal when drained=1). Exit status 0 only when the run was clean. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct conn {
  int fd;
  int dead;
  long long sent, echoed, mark;
};

static struct conn *conns;
static int nconns, ep, errors, stop_writing;
static long long window;
static unsigned char outbuf[1 << 16], inbuf[1 << 18];

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fail(struct conn *c, const char *what) {
  if (!c->dead) {
    fprintf(stderr, "echo_client: connection %ld: %s: %s\n", (long)(c - conns), what, errno ? strerror(errno) : "closed");
    errors++;
    c->dead = 1;
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
  }
}

static void pump(struct conn *c, unsigned events) {
  if (c->dead) return;
  if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
    for (;;) {
      ssize_t n = read(c->fd, inbuf, sizeof inbuf);
      if (n > 0) {
        c->echoed += n;
        if (c->echoed > c->sent) { errno = 0; fail(c, "received more than was sent"); return; }
        continue;
      }
      if (n == 0) { errno = 0; fail(c, "server closed the connection"); return; }
      if (errno == EAGAIN) break;
      if (errno == EINTR) continue;
      fail(c, "read");
      return;
    }
  }
  while (!stop_writing) {
    long long room = window - (c->sent - c->echoed);
    if (room <= 0) break;
    ssize_t n = write(c->fd, outbuf, room < (long long)sizeof outbuf ? (size_t)room : sizeof outbuf);
    if (n > 0) { c->sent += n; continue; }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    fail(c, "write");
    return;
  }
}

static void run_until(double deadline, int drain) {
  struct epoll_event evs[256];
  for (;;) {
    double t = now();
    if (t >= deadline) return;
    if (drain) {
      int pending = 0;
      for (int i = 0; i < nconns; i++) pending += !conns[i].dead && conns[i].echoed < conns[i].sent;
      if (!pending) return;
    }
    int ms = (int)((deadline - t) * 1000) + 1;
    int n = epoll_wait(ep, evs, 256, ms > 100 ? 100 : ms);
    if (n < 0 && errno != EINTR) { perror("epoll_wait"); exit(2); }
    for (int i = 0; i < n; i++) pump(&conns[evs[i].data.u32], evs[i].events);
  }
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: echo_client PORT [CONNS=64] [WINDOW=65536] [SECONDS=5] [WARMUP=1]\n");
    return 2;
  }
  int port = atoi(argv[1]);
  nconns = argc > 2 ? atoi(argv[2]) : 64;
  window = argc > 3 ? atoll(argv[3]) : 65536;
  double seconds = argc > 4 ? atof(argv[4]) : 5, warmup = argc > 5 ? atof(argv[5]) : 1;
  if (port <= 0 || nconns <= 0 || window <= 0 || seconds <= 0 || warmup < 0) { fprintf(stderr, "echo_client: bad arguments\n"); return 2; }
  for (size_t i = 0; i < sizeof outbuf; i++) outbuf[i] = (unsigned char)(i * 31 + 7);

  ep = epoll_create1(EPOLL_CLOEXEC);
  conns = calloc(nconns, sizeof *conns);
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  for (int i = 0; i < nconns; i++) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) { perror("echo_client: connect"); return 2; }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    conns[i].fd = fd;
    struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLET, .data.u32 = (unsigned)i };
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  }
  /* EPOLLOUT fires at once for every fresh socket: that first edge fills each window. */
  double start = now();
  run_until(start + warmup, 0);
  double t0 = now();
  long long before = 0;
  for (int i = 0; i < nconns; i++) before += conns[i].mark = conns[i].echoed;
  run_until(t0 + seconds, 0);
  double t1 = now();
  long long after = 0, min_conn = -1, max_conn = 0;
  for (int i = 0; i < nconns; i++) {
    long long got = conns[i].echoed - conns[i].mark;
    after += conns[i].echoed;
    if (min_conn < 0 || got < min_conn) min_conn = got;
    if (got > max_conn) max_conn = got;
  }
  stop_writing = 1;
  run_until(now() + 5, 1);
  long long sent = 0, echoed = 0;
  int drained = 1;
  for (int i = 0; i < nconns; i++) {
    sent += conns[i].sent;
    echoed += conns[i].echoed;
    if (conns[i].dead || conns[i].echoed != conns[i].sent) drained = 0;
    close(conns[i].fd);
  }
  long long bytes = after - before;
  double secs = t1 - t0;
  printf("bytes=%lld seconds=%.3f mbps=%.1f min_conn=%lld max_conn=%lld sent=%lld echoed=%lld drained=%d errors=%d\n",
         bytes, secs, bytes / secs / 1e6, min_conn, max_conn, sent, echoed, drained, errors);
  return drained && !errors ? 0 : 1;
}
