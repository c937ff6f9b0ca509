// The HTTP/1.1 request parser: framing, pipelining, limits and the caches it keeps, on its own;
// then a differential test of what it accepts and rejects against node:http's llhttp.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { BEV, BufferEvent, EV, EventBase, HttpServer } from "./deps.ts";
import { backendVariants, hangGuard, withBase } from "./helpers.ts";
import { corpus } from "./fixtures/http-corpus.ts";
import { parseRequest } from "../src/net/http/parser.ts";
import { ChunkedDecoder } from "../src/net/http/chunked.ts";

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
    const bytes = enc.encode(req + "GET /2 HTTP/1.0\r\n\r\n" + "GET /3 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
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
    assert.equal((parseRequest(enc.encode("BREW / HTTP/1.1\r\nHost: a\r\n\r\n")) as { status: number }).status, 501, "unknown method");
    assert.equal((parseRequest(enc.encode("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n")) as { status: number }).status, 501);
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
    const none = parseRequest(enc.encode("GET / HTTP/1.0\r\n\r\n"));
    assert.ok(none.kind === "request" && none.request.headers.length === 0 && !none.request.keepAlive);
    for (const bad of ["GET  / HTTP/1.1\r\nHost: a", "GET / HTTP/1.1\r\nNoColon", "GET / HTTP/1.1\r\n: empty-name",
      "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1x", "GET / HTTP/1.1\r\nHost: a\r\nContent-Length:", "GET / HTTP/1.1"]) {
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
    const extra = parseRequest(enc.encode("GET / HTTP/1.0\r\n\r\n\r\n"));
    assert.ok(extra.kind === "request" && extra.consumed === 18, JSON.stringify(extra));
    // A CR not followed by LF is answered at once, not waited on.
    assert.equal((parseRequest(enc.encode("GET / HTTP/1.1\r\nA: \r\n\r\r\n")) as { status: number }).status, 400);
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

  it("a header block remembered from an earlier parse still meets a lower maxHeaderCount", () => {
    const bytes = enc.encode("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n");
    assert.equal(parseRequest(bytes).kind, "request");
    assert.deepEqual(parseRequest(bytes, 0, bytes.length, { maxHeaderCount: 2 }), { kind: "error", status: 431, reason: "Request Header Fields Too Large" });
  });

  it("decodes a chunked body fed in pieces split at every offset, and rejects what is malformed", () => {
    const body = enc.encode("4;ext=1\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-Trailer: yes\r\n\r\nNEXT");
    const end = body.length - 4;
    for (let cut = 0; cut <= end; cut++) {
      const d = new ChunkedDecoder();
      const used = d.feed(body, 0, cut) + d.feed(body, cut, body.length);
      assert.equal(d.error, 0, `cut ${cut}`);
      assert.ok(d.done, `cut ${cut}`);
      assert.equal(used, end, "stops at the body's end");
      assert.equal(new TextDecoder().decode(d.body()), "Wikipedia in\r\n\r\nchunks.");
      assert.deepEqual(d.trailers, [["x-trailer", "yes"]]);
    }
    for (const [bad, status] of [["5\r\nhelloX\r\n0\r\n\r\n", 400], ["5\nhello\r\n0\r\n\r\n", 400], ["g\r\n", 400], ["5;\r\nhello\r\n", 400],
      ["1" + "0".repeat(20) + "\r\n", 413], ["0\r\nNo-Colon\r\n\r\n", 400], ["0\r\nA: \x00\r\n\r\n", 400]] as const) {
      const d = new ChunkedDecoder({ maxBodyBytes: 1000 });
      d.feed(enc.encode(bad), 0, bad.length);
      assert.equal(d.error, status, JSON.stringify(bad));
    }
  });

  it("rejects what could be read two ways (smuggling), with the status the RFC gives", () => {
    const cases: [string, number][] = [
      ["POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", 400],
      ["POST / HTTP/1.1\r\nHost: a\r\nContent-Length : 1\r\n\r\nx", 400],
      ["POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400],
      ["POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n", 400],
      ["POST / HTTP/1.1\r\nHost: a\r\nX: y\r\n Content-Length: 1\r\n\r\nx", 400],
      ["POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1234567890123456\r\n\r\n", 400],
      ["POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2000000\r\n\r\n", 413],
      ["GET /\x00 HTTP/1.1\r\nHost: a\r\n\r\n", 400],
      ["GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n", 400],
      ["GET / HTTP/1.1\r\nHost: a\r\nExpect: nothing\r\n\r\n", 417],
      ["GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400],
      ["GET / HTTP/3.0\r\nHost: a\r\n\r\n", 505],
    ];
    for (const [raw, status] of cases) {
      const r = parseRequest(Uint8Array.from(raw, (c) => c.charCodeAt(0)));
      assert.ok(r.kind === "error" && r.status === status, `${JSON.stringify(raw)} -> ${JSON.stringify(r)}`);
    }
    const tokens = parseRequest(enc.encode("GET / HTTP/1.1\r\nHost: a\r\nConnection: notclose-really\r\n\r\n"));
    assert.ok(tokens.kind === "request" && tokens.request.keepAlive, "a token containing 'close' is not close");
  });

});

// ---- the differential test against node:http -----------------------------------------------------

/** The machine's node:http (llhttp), in a child process: its port. */
async function startReference(): Promise<{ port: number; child: ChildProcess }> {
  const script = new URL("./fixtures/http-reference.mjs", import.meta.url).pathname;
  const child = spawn("node", [script], { stdio: ["pipe", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Uint8Array) => {
      out += new TextDecoder().decode(d);
      if (out.includes("\n")) resolve(Number(out.trim()));
    });
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`node:http reference exited with ${code}`)));
  });
  return { port, child };
}

/**
 * What a server did with `raw` (sent, then the write side shut): "N ok" for N successful answers,
 * then " rejected" if an error status or a close without an answer followed. Answers to requests
 * that were cut off (the server waited for bytes that never came) count as rejected too.
 */
function outcome(text: string, ended: "eof" | "error" | "timeout"): string {
  const statuses = [...text.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1])).filter((s) => s >= 200);
  const ok = statuses.filter((s) => s < 300).length;
  const rejected = statuses.some((s) => s >= 400);
  return `${ok} ok${rejected ? " rejected" : ""}${ended === "timeout" ? " (no close)" : ""}`;
}

/** Sends every case to the server at `port` at once (one connection each) and returns the outcomes. */
function outcomes(base: EventBase, port: number, cases: string[]): string[] {
  const results: string[] = new Array(cases.length);
  let left = cases.length;
  cases.forEach((raw, i) => {
    let text = "";
    const bytes = Uint8Array.from(raw, (c) => c.charCodeAt(0));
    const client = new BufferEvent(base, -1);
    const done = (ended: "eof" | "error" | "timeout") => {
      if (results[i] !== undefined) return;
      results[i] = outcome(text, ended);
      client.close();
      if (--left === 0) base.loopBreak();
    };
    client.setCallbacks((b) => void (text += latin1.decode(b.read())), null, (b, what) => {
      if (what & BEV.CONNECTED) {
        b.write(bytes);
        b.shutdownWrite();
      } else if (what & BEV.TIMEOUT) done("timeout");
      else if (what & BEV.EOF) done("eof");
      else if (what & BEV.ERROR) {
        text += latin1.decode(b.read());
        done("error");
      }
    });
    // A guard against a server that never answers nor closes: such an outcome then says "(no close)".
    client.setTimeouts(hangGuard(10_000), hangGuard(10_000));
    client.enable(EV.READ);
    client.connect({ host: "127.0.0.1", port });
  });
  base.loopSync();
  return results;
}

const latin1 = new TextDecoder("latin1");
const reference = await startReference();
const referenceBase = new EventBase();
const expected = outcomes(referenceBase, reference.port, corpus.map((c) => c.raw));
referenceBase.close();
// Wait until the child and its pipes are gone: other tests in this process count open fds.
const referenceClosed = new Promise((resolve) => reference.child.on("close", resolve));
reference.child.stdin!.end();
await referenceClosed;

for (const variant of backendVariants()) {
  describe(`http parser against node:http on ${variant.label}`, () => {
    it(`${corpus.length} raw requests have the same class of outcome (or differ as the corpus says)`, () => {
      withBase(variant, (base) => {
        const server = new HttpServer(base, { port: 0 }, () => ({ body: "ok" }), { onError: () => {} });
        const got = outcomes(base, (server.address as { port: number }).port, corpus.map((c) => c.raw));
        server.close();
        const wrong: string[] = [];
        corpus.forEach((c, i) => {
          const want = c.differs ? c.expect : expected[i];
          if (got[i] !== want) wrong.push(`${JSON.stringify(c.name)}: evffi ${got[i]}, ${c.differs ? "corpus says" : "node:http"} ${want} ${JSON.stringify(c.raw)}`);
        });
        assert.deepEqual(wrong, []);
      });
    });
  });
}
