// The floor under serve(): bench/servers/bare-http.ts's loop of FFI calls (no reactor, no buffers,
// no parser), plus the Web-object work serve() does for each request and nothing else: the
// Request built from a parsed head, the handler's `new Response("Hello, World!")`, and its body
// read back the way serve() reads it. Its CPU per request against Bun.serve's and Deno.serve's is
// what no fetch-style server made of JavaScript Request/Response objects over FFI can go below on
// that runtime. Only for bench/http.ts --bare; not a server to use.
//   bun bench/servers/bare-web-http.ts PORT | deno run -A bench/servers/bare-web-http.ts PORT
import { constants as C, layout, libc, scriptArgs, sys, u64arg } from "../../src/ffi/mod.ts";
import { encodeAddress, resolveAddress } from "../../src/ffi/sockaddr.ts";
import { parseRequestHead } from "../../src/net/http/parser.ts";
import { fromResponse, toRequest } from "../../src/net/http/serve.ts";

const port = Number(scriptArgs().find((a) => /^\d+$/.test(a)) ?? 8080);
const listenFd = sys.streamSocket(C.AF_INET);
sys.setsockoptInt(listenFd, C.SOL_SOCKET, C.SO_REUSEADDR, 1);
const { bytes, length } = encodeAddress(resolveAddress({ host: "127.0.0.1", port }));
if (libc.bind(listenFd, bytes, length) === -1 || libc.listen(listenFd, 511) === -1) throw new Error(`cannot listen on ${port}`);

const ep = libc.epoll_create1(C.EPOLL_CLOEXEC);
const STRIDE = layout.epoll_event.size / 4;
const DATA = layout.epoll_event.data / 4;
const ctl = new Uint32Array(4);
const ctlBytes = new Uint8Array(ctl.buffer, 0, layout.epoll_event.size);
function watch(fd: number): void {
  ctl[0] = C.EPOLLIN;
  ctl[DATA] = fd;
  libc.epoll_ctl(ep, C.EPOLL_CTL_ADD, fd, ctlBytes);
}
watch(listenFd);

// One parsed head stands for every request: parsing is evffi's own work, not the Web objects'.
const head = parseRequestHead(new TextEncoder().encode(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`));
if (head.kind !== "head") throw new Error("the request does not parse");
const origin = `http://127.0.0.1:${port}/`;
const response = new TextEncoder().encode("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!");
const responseLength = u64arg(response.length);
const input = new Uint8Array(new ArrayBuffer(16384));
const inputLength = u64arg(input.length);
const events = new Uint32Array(256 * STRIDE);
const eventBytes = new Uint8Array(events.buffer);
const one = new Int32Array([1]);

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
