// The floor under examples/http.ts from above the bare loop: the reactor and the request parser,
// with nothing between them. Each connection is a persistent read event whose callback reads into
// one shared buffer, parses every request head in it with parseRequestHead and sends the fixed
// answer straight from the callback: no bufferevents, no evbuffers, no connection state, timeouts
// or bounds, so not a server to use. An evffi HTTP server needs at least this much (a loop that
// dispatches events, a parser that checks what it reads), so its CPU per request against
// Deno.serve's or Bun.serve's cannot be lower than this one's. Only for bench/http.ts --bare.
//   bun bench/servers/reactor-http.ts PORT | deno run -A bench/servers/reactor-http.ts PORT
import { constants as C, libc, scriptArgs, sys, u64arg } from "../../src/ffi/mod.ts";
import { EV, EventBase } from "../../src/mod.ts";
import { parseRequestHead } from "../../src/net/http/parser.ts";
import { formatResponse } from "../../src/net/http/response.ts";
import { encodeAddress, resolveAddress } from "../../src/ffi/sockaddr.ts";

const port = Number(scriptArgs().find((a) => /^\d+$/.test(a)) ?? 8080);
const listenFd = sys.streamSocket(C.AF_INET);
sys.setsockoptInt(listenFd, C.SOL_SOCKET, C.SO_REUSEADDR, 1);
const { bytes, length } = encodeAddress(resolveAddress({ host: "127.0.0.1", port }));
if (libc.bind(listenFd, bytes, length) === -1 || libc.listen(listenFd, 511) === -1) throw new Error(`cannot listen on ${port}`);

const base = new EventBase();
// The same bytes examples/http.ts answers a keep-alive request with.
const hello = formatResponse(200, "Hello, World!");
const helloLength = u64arg(hello.length);
const input = new Uint8Array(16384);
const inputLength = u64arg(input.length);
const one = new Int32Array([1]);

base.event(listenFd, EV.READ | EV.PERSIST, () => {
  for (let fd; (fd = libc.accept4(listenFd, null, null, C.SOCK_NONBLOCK | C.SOCK_CLOEXEC)) >= 0;) {
    libc.setsockopt(fd, C.IPPROTO_TCP, C.TCP_NODELAY, one, 4);
    base.event(fd, EV.READ | EV.PERSIST, (fd, _what, ev) => {
      const got = libc.recv(fd, input, inputLength, 0);
      if (got <= 0) {
        if (got === 0) { // EOF; EAGAIN (-1) is a spurious wakeup
          ev.close();
          libc.close(fd);
        }
        return;
      }
      // wrk sends whole requests, one per read: a head cut off by the read's end is not expected.
      for (let at = 0; at < got;) {
        const r = parseRequestHead(input, at, got);
        if (r.kind !== "head") break;
        at += r.consumed;
        libc.send(fd, hello, helloLength, C.MSG_NOSIGNAL);
      }
    }).add();
  }
}).add();
console.log(`reactor + parser HTTP on ${port} (${base.method})`);
base.loopSync();
