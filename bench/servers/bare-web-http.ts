// The floor under serve(): bench/servers/bare-http.ts's loop of FFI calls (no reactor, no buffers,
// no parser), plus the Web-object work serve() does for each request and nothing else: the
// Request built from a parsed head, the handler's `new Response("Hello, World!")`, and its body
// read back the way serve() reads it. Its CPU per request against Bun.serve's and Deno.serve's is
// what no fetch-style server made of JavaScript Request/Response objects over FFI can go below on
// that runtime. Only for bench/http.ts --bare; not a server to use.
//   bun bench/servers/bare-web-http.ts PORT | deno run -A bench/servers/bare-web-http.ts PORT
import { constants as C, libc } from "../../src/ffi/mod.ts";
import { DATA, ep, eventBytes, events, input, inputLength, listenFd, one, port, response, responseLength, STRIDE, watch } from "./bare-setup.ts";
import { parseRequestHead } from "../../src/net/http/parser.ts";
import { fromResponse, toRequest } from "../../src/net/http/serve.ts";

// One parsed head stands for every request: parsing is evffi's own work, not the Web objects'.
const head = parseRequestHead(new TextEncoder().encode(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`));
if (head.kind !== "head") throw new Error("the request does not parse");
const origin = `http://127.0.0.1:${port}/`;

/** What serve() does with Web objects between a parsed head and the answer it formats. */
async function answer(): Promise<void> {
  toRequest(head.kind === "head" ? head.request : (null as never), origin);
  const out = await fromResponse(new Response("Hello, World!"));
  if (!(out.body instanceof Uint8Array)) throw new Error("the body was not read whole");
}

console.log(`bare FFI + Web objects HTTP on ${port}`);
// epoll_wait blocks the thread; the awaits between waits run the microtasks the body read needs.
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
    for (let k = 3; k < got; k++) {
      if (input[k] === 10 && input[k - 1] === 13 && input[k - 2] === 10 && input[k - 3] === 13) {
        await answer();
        libc.send(fd, response, responseLength, C.MSG_NOSIGNAL);
      }
    }
  }
}
