// An HTTP/1.1 "Hello, World!" server: keep-alive, pipelining, requests split across reads,
// 431 for oversized headers. Run: node scripts/run.mjs examples/http.ts [-- PORT]
// (--self-test: pick a free port, answer one request from itself, exit).
import { BEV, BufferEvent, EV, EventBase, formatResponse, scriptArgs } from "../src/mod.ts";
import { HttpServer } from "../src/net/http/server.ts";

const args = scriptArgs();
const selfTest = args.includes("--self-test");
const port = Number(args.find((a: string) => /^\d+$/.test(a)) ?? (selfTest ? 0 : 8080));

const base = new EventBase();
const hello = formatResponse(200, "Hello, World!");
const server = new HttpServer(base, { host: "127.0.0.1", port }, (req) =>
  req.keepAlive ? hello : { body: "Hello, World!" });
const { port: bound } = server.address as { port: number };
console.log(`listening on http://127.0.0.1:${bound}/ (${base.method})`);

if (selfTest) {
  const client = new BufferEvent(base, -1);
  client.setCallbacks((b) => {
    const text = new TextDecoder().decode(b.read());
    console.log(text.split("\r\n")[0], "/", text.slice(text.indexOf("\r\n\r\n") + 4));
    b.close();
    server.close();
  }, null, (b, what, err) => {
    if (what & BEV.CONNECTED) b.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    else if (what & BEV.ERROR) throw err;
  });
  client.enable(EV.READ);
  client.connect({ host: "127.0.0.1", port: bound });
}
// Nothing but the reactor runs in this script, so it blocks in the kernel (loopSync): a busy
// server gains nothing from yielding to the host, and an idle one wakes without a helper thread.
base.loopSync();
