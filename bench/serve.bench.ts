// serve()'s cost per request, piece by piece (mitata): what a fetch-style server must do on top of
// HttpServer for wrk's GET and a "Hello, World!" answer, on the runtime it runs on:
// - evffi's own work: parsing the head and formatting the answer (what HttpServer does anyway);
// - the Web objects: building the Request, building the Response, reading the Response back;
// - the whole step serve() adds, from the parsed request to the HttpResponse HttpServer writes.
// The sum of the Web-object rows is a floor under serve() that no server built on Web Request and
// Response objects in JavaScript can go below on this runtime; compare it with Bun.serve's and
// Deno.serve's whole CPU per request (bench/http.ts).
//   node scripts/run.mjs bench/serve.bench.ts
import { bench, group, run } from "mitata";
import { runtimeVersion } from "../src/ffi/mod.ts";
import { parseRequestHead } from "../src/net/http/parser.ts";
import { formatResponse } from "../src/net/http/response.ts";
import { fromResponse, toRequest } from "../src/net/http/serve.ts";

console.log(`# ${runtimeVersion}`);
const wrk = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: 127.0.0.1:18080\r\n\r\n");
const parsed = parseRequestHead(wrk);
if (parsed.kind !== "head") throw new Error("the benchmark's request does not parse");
const request = parsed.request;
const origin = "http://127.0.0.1:18080/";
const date = new Date().toUTCString();
const hello = () => new Response("Hello, World!", { headers: { "Content-Type": "text/plain" } });

group("evffi's own work", () => {
  bench("parse wrk's GET", () => parseRequestHead(wrk));
  bench("format the answer", () => formatResponse(200, "Hello, World!", { contentType: "text/plain", keepAlive: true, date }));
});
group("Web objects", () => {
  bench("new Request (url, method, headers)", () => toRequest(request, origin));
  bench("new Request (url only)", () => new Request("http://127.0.0.1:18080/"));
  bench("new Response (string)", () => new Response("Hello, World!"));
  bench("new Response (string, headers)", hello);
  bench("read it back: fromResponse", async () => await fromResponse(hello()));
  bench("read it back: response.arrayBuffer()", async () => await hello().arrayBuffer());
  bench("read it back: one reader.read()", async () => await hello().body!.getReader().read());
  bench("response.headers.forEach", () => hello().headers.forEach(() => {}));
});
group("the whole step serve() adds", () => {
  bench("Request + handler's Response + fromResponse", async () => {
    toRequest(request, origin);
    return await fromResponse(hello());
  });
});
await run({ format: "markdown" });
