// The least a server can do for bench/http.ts: the same "Hello, World!" answer as
// bench/servers/bare-http.ts, in C (epoll_wait, accept4, recv, send; no buffers, no parser).
// Its req/s under wrk -t1 -c64 is the ceiling the load generator itself allows on this machine:
// no server that makes these syscalls can be measured faster than this one.
//   build/c/bare_http PORT
#define _GNU_SOURCE
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static const char response[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!";

int main(int argc, char **argv) {
  int port = argc > 1 ? atoi(argv[1]) : 8080, one = 1;
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  if (bind(lfd, (struct sockaddr *)&sin, sizeof sin) || listen(lfd, 511)) { perror("listen"); return 1; }
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = { .events = EPOLLIN, .data.fd = lfd }, events[256];
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  static char input[16384];
  printf("bare C HTTP on %d\n", port);
  fflush(stdout);
  for (;;) {
    int n = epoll_wait(ep, events, 256, -1);
    for (int i = 0; i < n; i++) {
      int fd = events[i].data.fd;
      if (fd == lfd) {
        for (int c; (c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0;) {
          setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          ev.data.fd = c;
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
        }
        continue;
      }
      ssize_t got = recv(fd, input, sizeof input, 0);
      if (got <= 0) {
        if (got == 0) close(fd);
        continue;
      }
      // wrk sends one request per read and waits for the answer: one answer per request head.
      for (ssize_t k = 3; k < got; k++)
        if (!memcmp(input + k - 3, "\r\n\r\n", 4)) send(fd, response, sizeof response - 1, MSG_NOSIGNAL);
    }
  }
}
