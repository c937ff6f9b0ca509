// The HTTP/1.1 request parser on its own: framing, pipelining, limits and the caches it keeps.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { formatResponse, parseRequest } from "../src/net/http/parser.ts";

describe("http request parser", () => {
  const enc = new TextEncoder();
  const req = "GET /hello?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc";

  it("parses a request split byte by byte (incomplete until the last byte)", () => {
    const bytes = enc.encode(req);
    for (let cut = 0; cut < bytes.length; cut++) assert.equal(parseRequest(bytes.subarray(0, cut)).kind, "incomplete", `cut ${cut}`);
    const r = parseRequest(bytes);
    assert.equal(r.kind, "request");
    if (r.kind !== "request") return;
    assert.equal(r.request.method, "GET");
    assert.equal(r.request.target, "/hello?x=1");
    assert.equal(r.request.keepAlive, true);
    assert.equal(new TextDecoder().decode(r.request.body), "abc");
    assert.equal(r.consumed, bytes.length);
  });

  it("parses pipelined requests one after another", () => {
    const bytes = enc.encode(req + "GET /2 HTTP/1.0\r\n\r\n" + "GET /3 HTTP/1.1\r\nConnection: close\r\n\r\n");
    const targets: string[] = [];
    const alive: boolean[] = [];
    for (let at = 0; at < bytes.length;) {
      const r = parseRequest(bytes, at);
      assert.equal(r.kind, "request");
      if (r.kind !== "request") break;
      targets.push(r.request.target);
      alive.push(r.request.keepAlive);
      at += r.consumed;
    }
    assert.deepEqual(targets, ["/hello?x=1", "/2", "/3"]);
    assert.deepEqual(alive, [true, false, false]);
  });

  it("answers 431 for an oversized header block and 400 for garbage", () => {
    const big = enc.encode("GET / HTTP/1.1\r\nX: " + "a".repeat(10_000));
    assert.deepEqual(parseRequest(big), { kind: "error", status: 431, reason: "Request Header Fields Too Large" });
    assert.equal((parseRequest(enc.encode("NOT HTTP\r\n\r\n")) as { status: number }).status, 400);
    assert.equal((parseRequest(enc.encode("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")) as { status: number }).status, 501);
  });

  it("reads headers case-insensitively, gives them lower-cased in order, and rejects malformed lines", () => {
    const r = parseRequest(enc.encode("POST /x HTTP/1.0\r\nHOST: a \r\ncontent-LENGTH:  2\r\nX-Two: b\r\nConnection: Keep-Alive\r\n\r\nhi"));
    assert.equal(r.kind, "request");
    if (r.kind !== "request") return;
    assert.equal(r.request.method, "POST");
    assert.equal(r.request.version, 10);
    assert.equal(r.request.keepAlive, true, "HTTP/1.0 with Connection: keep-alive");
    assert.equal(new TextDecoder().decode(r.request.body), "hi");
    assert.deepEqual(r.request.headers, [["host", "a"], ["content-length", "2"], ["x-two", "b"], ["connection", "Keep-Alive"]]);
    assert.deepEqual(JSON.parse(JSON.stringify(r.request)).headers, r.request.headers, "JSON includes the lazy headers");
    const none = parseRequest(enc.encode("GET / HTTP/1.1\r\n\r\n"));
    assert.ok(none.kind === "request" && none.request.headers.length === 0 && none.request.keepAlive);
    for (const bad of ["GET  / HTTP/1.1", "GET / HTTP/2.0", "get / HTTP/1.1", "GET / HTTP/1.1\r\nNoColon", "GET / HTTP/1.1\r\n: empty-name",
      "GET / HTTP/1.1\r\nContent-Length: 1x", "GET / HTTP/1.1\r\nContent-Length:"]) {
      const res = parseRequest(enc.encode(bad + "\r\n\r\n"));
      assert.ok(res.kind === "error" && res.status === 400, `${JSON.stringify(bad)} -> ${JSON.stringify(res)}`);
    }
  });

  it("finds the end of the head at either byte parity and from any start offset", () => {
    for (let pad = 0; pad < 4; pad++) {
      for (let t = 1; t <= 4; t++) {
        const one = `GET /${"t".repeat(t)} HTTP/1.1\r\nHost: ${"h".repeat(pad)}\r\n\r\n`;
        const bytes = enc.encode("\r\n".repeat(pad % 2) + one + one);
        let at = 0;
        for (const _ of [1, 2]) {
          const r = parseRequest(bytes, at);
          assert.ok(r.kind === "request", `pad ${pad}, target ${t}, at ${at}: ${JSON.stringify(r)}`);
          assert.equal(r.request.target, `/${"t".repeat(t)}`);
          at += r.consumed;
        }
        assert.equal(at, bytes.length);
      }
    }
    // "\r\n\r\n\r\n": the head ends at the first blank line; the extra CRLF is skipped before the next request.
    const extra = parseRequest(enc.encode("GET / HTTP/1.1\r\n\r\n\r\n"));
    assert.ok(extra.kind === "request" && extra.consumed === 18, JSON.stringify(extra));
    assert.equal(parseRequest(enc.encode("GET / HTTP/1.1\r\nA: \r\n\r\r\n")).kind, "incomplete");
  });

  it("never gives one request the target or headers of the one before (the repeated-text cache)", () => {
    const a = enc.encode("GET /a HTTP/1.1\r\nHost: one\r\n\r\n");
    const b = enc.encode("GET /b HTTP/1.1\r\nHost: two\r\n\r\n");
    for (const [bytes, target, host] of [[a, "/a", "one"], [b, "/b", "two"], [a, "/a", "one"], [a, "/a", "one"], [b, "/b", "two"]] as const) {
      const r = parseRequest(bytes);
      assert.ok(r.kind === "request");
      assert.equal(r.request.target, target);
      assert.deepEqual(r.request.headers, [["host", host]]);
    }
    // The cache keeps its own copy: bytes changed in place after a parse read as what they now are.
    const c = enc.encode("GET /c HTTP/1.1\r\nHost: abc\r\n\r\n");
    const first = parseRequest(c);
    c[5] = 100; // "/d"
    c.set(enc.encode("xyz"), 23);
    const second = parseRequest(c);
    assert.ok(first.kind === "request" && second.kind === "request");
    assert.deepEqual([first.request.target, first.request.headers], ["/c", [["host", "abc"]]]);
    assert.deepEqual([second.request.target, second.request.headers], ["/d", [["host", "xyz"]]]);
  });

  it("formats a response with Content-Length", () => {
    const text = new TextDecoder().decode(formatResponse(200, "Hello, World!"));
    assert.equal(text, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!");
  });
});
