// EvBuffer micro-benchmarks (mitata):
// - the addReference() decision: copying a view into a pooled chunk vs looking up its address
//   (uncached, and cached per ArrayBuffer), then the whole add/addReference + writev round trip
//   through a socketpair, per view size;
// - kernel I/O: 64 KiB moved with one writeTo and one readFrom;
// - a small request/response round: add + writeSocket + readSocket + drain, the per-message path;
// - parsing: search("\r\n\r\n") and readLine("crlf") over a request head.
//   node scripts/run.mjs bench/evbuffer.bench.ts
import { bench, group, run, summary } from "mitata";
import { addressOf, runtimeVersion, sys } from "../src/ffi/mod.ts";
import { EvBuffer, REFERENCE_MIN } from "../src/net/evbuffer.ts";

console.log(`# ${runtimeVersion}, REFERENCE_MIN = ${REFERENCE_MIN}`);

const [a, c] = sys.socketpair();
const sink = new EvBuffer();
const drainPeer = () => {
  while (sink.readFrom(c, 1 << 20) > 0) sink.drain(sink.length);
};

const sizes = [256, 1024, 4096, 16384, 65536];
for (const size of sizes) {
  // 64 distinct views, so the uncached address lookup really is uncached per call.
  const views = Array.from({ length: 64 }, () => new Uint8Array(new ArrayBuffer(size)).fill(size & 0xff));
  let k = 0;
  const chunkBuf = new EvBuffer();
  group(`${size}-byte view`, () => {
    summary(() => {
      bench("copy into a pooled chunk (add + drain)", () => {
        chunkBuf.add(views[k++ & 63]);
        chunkBuf.drain(size);
      });
      bench("address lookup (addressOf, uncached)", () => addressOf(views[k++ & 63]));
      const out = new EvBuffer();
      bench("add(header) + add(view) + writeTo + peer read", () => {
        out.add("HTTP/1.1 200 OK\r\n\r\n").add(views[k++ & 63]);
        out.writeTo(a);
        drainPeer();
      });
      if (size >= REFERENCE_MIN) {
        const ref = new EvBuffer();
        bench("add(header) + addReference(view) + writeTo + peer read", () => {
          ref.add("HTTP/1.1 200 OK\r\n\r\n").addReference(views[k++ & 63]);
          ref.writeTo(a);
          drainPeer();
        });
      }
    });
  });
}

group("kernel I/O, 64 KiB", () => {
  const payload = new Uint8Array(65536).fill(1);
  const out = new EvBuffer();
  const into = new EvBuffer();
  bench("add + writeTo (writev, 4 chunks) + readFrom (readv) + drain", () => {
    out.add(payload);
    while (out.length) out.writeTo(a);
    while (into.readFrom(c) > 0) { /* until EAGAIN */ }
    into.drain(into.length);
  });
  bench("readFrom on an empty socket (EAGAIN)", () => into.readFrom(c));
});

group("a small request/response round over a socketpair (a server's hot path)", () => {
  const request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  const response = new TextEncoder().encode("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
  const out = new EvBuffer();
  const into = new EvBuffer();
  bench("add(string) + writeSocket + readSocket + drain", () => {
    out.add(request);
    out.writeSocket(a);
    into.readSocket(c);
    into.drain(into.length);
  });
  bench("add(bytes) + writeSocket + readSocket + remove", () => {
    out.add(response);
    out.writeSocket(a);
    into.readSocket(c);
    return into.remove(into.length);
  });
});

group("parsing a request head", () => {
  const head = "GET /index.html HTTP/1.1\r\nHost: example.com\r\nUser-Agent: bench\r\nAccept: */*\r\n" +
    "Accept-Encoding: gzip\r\nConnection: keep-alive\r\n\r\n";
  const b = new EvBuffer();
  bench("search(\"\\r\\n\\r\\n\") in one chunk", () => {
    b.add(head);
    const at = b.search("\r\n\r\n");
    b.drain(b.length);
    return at;
  });
  bench("readLine(\"crlf\") until the empty line", () => {
    b.add(head);
    let n = 0;
    for (let line = b.readLine("crlf"); line !== null && line !== ""; line = b.readLine("crlf")) n++;
    return n;
  });
});

await run();
sys.close(a);
sys.close(c);
console.log(`pool: ${JSON.stringify(EvBuffer.poolStats)}`);
