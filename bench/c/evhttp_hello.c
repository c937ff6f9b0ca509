/* "Hello, World!" over libevent's evhttp, for bench/http.ts. Usage: evhttp_hello PORT */
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>

static void hello(struct evhttp_request *req, void *arg) {
  struct evbuffer *out = evhttp_request_get_output_buffer(req);
  (void)arg;
  evbuffer_add(out, "Hello, World!", 13);
  evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain");
  evhttp_send_reply(req, 200, "OK", NULL);
}

int main(int argc, char **argv) {
  int port = argc > 1 ? atoi(argv[1]) : 8080;
  struct event_base *base = event_base_new();
  struct evhttp *http = evhttp_new(base);
  evhttp_set_gencb(http, hello, NULL);
  if (evhttp_bind_socket(http, "127.0.0.1", port) != 0) { fprintf(stderr, "cannot bind port %d\n", port); return 1; }
  printf("evhttp on 127.0.0.1:%d\n", port);
  fflush(stdout);
  event_base_dispatch(base);
  return 0;
}
