// The floor under examples/http.ts: the same "Hello, World!" answer from a bare loop of FFI calls
// (epoll_wait, accept4, recv, send) with no reactor, no buffers and no parser; it answers every
// read that ends a request head ("\r\n\r\n") with one fixed response. evffi's server divided by this
// one is what the reactor, the bufferevents and the parser cost; this one against Deno.serve and
// Bun.serve is what the runtime's FFI costs. Only for bench/http.ts --bare; not a server to use.
//   bun bench/servers/bare-http.ts PORT | deno run -A bench/servers/bare-http.ts PORT
import { constants as C, libc } from "../../src/ffi/mod.ts";
import { DATA, ep, eventBytes, events, input, inputLength, listenFd, one, port, response, responseLength, STRIDE, watch } from "./bare-setup.ts";

console.log(`bare FFI HTTP on ${port}`);
for (;;) {
  const n = libc.epoll_wait(ep, eventBytes, 256, -1);
  for (let i = 0, at = DATA; i < n; i++, at += STRIDE) {
    const fd = events[at];
    if (fd === listenFd) {
      for (let c; (c = libc.accept4(listenFd, null, null, C.SOCK_NONBLOCK | C.SOCK_CLOEXEC)) >= 0;) {
        libc.setsockopt(c, C.IPPROTO_TCP, C.TCP_NODELAY, one, 4);
        watch(c);
      }
      continue;
    }
    const got = libc.recv(fd, input, inputLength, 0);
    if (got <= 0) {
      if (got === 0) libc.close(fd); // EOF; EAGAIN (-1) is a spurious wakeup
      continue;
    }
    // wrk sends one request per read and waits for the answer (no pipelining): one answer per head.
    for (let k = 3; k < got; k++) {
      if (input[k] === 10 && input[k - 1] === 13 && input[k - 2] === 10 && input[k - 3] === 13) libc.send(fd, response, responseLength, C.MSG_NOSIGNAL);
    }
  }
}
