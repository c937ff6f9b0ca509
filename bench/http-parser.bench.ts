// HTTP parser micro-benchmarks (mitata): the request wrk sends, parsed as HttpServer parses it
// (parseRequestHead, the header block repeating), a new header block every time (no cache), a
// browser-like head, and a chunked body through ChunkedDecoder.
//   node scripts/run.mjs bench/http-parser.bench.ts
import { bench, group, run, summary } from "mitata";
import { runtimeVersion } from "../src/ffi/mod.ts";
import { parseRequest, parseRequestHead } from "../src/net/http/parser.ts";
import { ChunkedDecoder } from "../src/net/http/chunked.ts";

console.log(`# ${runtimeVersion}`);
const enc = new TextEncoder();
const wrk = enc.encode("GET / HTTP/1.1\r\nHost: 127.0.0.1:18080\r\n\r\n");
// Heads that differ in one byte of a header value, so the remembered block never matches.
const varying = Array.from({ length: 16 }, (_, i) => enc.encode(`GET / HTTP/1.1\r\nHost: 127.0.0.1:18080\r\nX-N: ${i.toString(16)}\r\n\r\n`));
const browser = enc.encode(
  "GET /index.html?q=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0\r\n" +
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\nAccept-Language: en-US,en;q=0.5\r\n" +
    "Accept-Encoding: gzip, deflate, br\r\nConnection: keep-alive\r\nCookie: a=1; b=2\r\n\r\n",
);
const chunked = enc.encode("400\r\n" + "x".repeat(1024) + "\r\n0\r\n\r\n");
let k = 0;

group("request head", () => {
  summary(() => {
    bench("wrk's GET (parseRequestHead, block remembered)", () => parseRequestHead(wrk));
    bench("wrk's GET (parseRequest)", () => parseRequest(wrk));
    bench("a new header block each time", () => parseRequestHead(varying[k++ & 15]));
    bench("browser-like head, 8 fields", () => parseRequestHead(browser));
  });
});
group("chunked body", () => {
  bench("1 KiB in one chunk", () => {
    const d = new ChunkedDecoder();
    d.feed(chunked, 0, chunked.length);
    return d.body();
  });
});
await run();
