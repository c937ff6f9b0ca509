// An HTTP/1.1 "Hello, World!" server: keep-alive, pipelining, requests split across reads,
// 431 for oversized headers. Run: node scripts/run.mjs examples/http.ts [-- PORT]
// (a port of 0 picks a free one; --self-test makes it answer one request from itself and exit).
import { EventBase, EV, scriptArgs } from "../src/mod.ts";
import { BufferEvent, BEV } from "../src/net/bufferevent.ts";
import { Listener } from "../src/net/listener.ts";
import { formatResponse, parseRequest } from "../src/net/http.ts";

const args = scriptArgs();
const selfTest = args.includes("--self-test");
const port = Number(args.find((a) => /^\d+$/.test(a)) ?? (selfTest ? 0 : 8080));

const base = new EventBase();
const hello = formatResponse(200, "Hello, World!");
const helloClose = formatResponse(200, "Hello, World!", { keepAlive: false });
const HEADER_END = new TextEncoder().encode("\r\n\r\n");

function onRequestBytes(bev: BufferEvent): void {
  const input = bev.input;
  while (input.length > 0) {
    const end = input.search(HEADER_END);
    if (end === -1 && input.length <= 8192) return; // wait for the rest of the header block
    const bytes = input.copyOut(Math.min(input.length, end === -1 ? 8196 : input.length));
    const r = parseRequest(bytes);
    if (r.kind === "incomplete") return;
    if (r.kind === "error") {
      bev.write(formatResponse(r.status, r.reason, { keepAlive: false }));
      bev.disable(EV.READ);
      bev.shutdownWrite();
      return;
    }
    input.drain(r.consumed);
    if (r.request.keepAlive) {
      bev.write(hello);
    } else {
      bev.write(helloClose);
      bev.disable(EV.READ);
      bev.shutdownWrite();
      return;
    }
  }
}

const listener = new Listener(base, { host: "127.0.0.1", port }, (fd) => {
  const bev = new BufferEvent(base, fd);
  bev.setCallbacks(onRequestBytes, null, (b, what) => {
    if (what & (BEV.EOF | BEV.ERROR | BEV.TIMEOUT)) b.free();
  });
  bev.setWatermark(EV.READ, 0, 64 * 1024);
  bev.enable(EV.READ);
});
const addr = listener.address as { port: number };
console.log(`listening on http://127.0.0.1:${addr.port}/ (${base.method})`);

if (selfTest) {
  const client = new BufferEvent(base, -1);
  client.setCallbacks((b) => {
    const text = new TextDecoder().decode(b.read());
    console.log(text.split("\r\n")[0], "/", text.slice(text.indexOf("\r\n\r\n") + 4));
    b.free();
    listener.free();
  }, null, (b, what, err) => {
    if (what & BEV.CONNECTED) b.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    else if (what & BEV.ERROR) throw err;
  });
  client.enable(EV.READ);
  client.connect({ host: "127.0.0.1", port: addr.port });
}
await base.loop();
