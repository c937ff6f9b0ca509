// Response heads and complete responses in wire format, the Date header's text, and the checks
// that keep a handler's header data from splitting a response.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EvBuffer } from "../src/net/evbuffer.ts";
import { formatHead, formatResponse, httpDate, utf8Length, writeResponse } from "../src/net/http/response.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe("http responses", () => {
  it("formats a response with Content-Length", () => {
    assert.equal(text(formatResponse(200, "Hello, World!")), "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!");
  });

  it("HEAD keeps Content-Length and drops the body; 204 and 304 have neither", () => {
    assert.equal(text(formatResponse(200, "Hello", { headOnly: true, contentType: "" })), "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");
    assert.equal(text(formatResponse(204, "ignored")), "HTTP/1.1 204 No Content\r\n\r\n");
    assert.equal(text(formatResponse(304, "ignored", { keepAlive: false })), "HTTP/1.1 304 Not Modified\r\nConnection: close\r\n\r\n");
  });

  it("formats heads for chunked bodies, HTTP/1.0 keep-alive and a Date", () => {
    assert.equal(formatHead(200, "chunked", { contentType: "", date: "Sun, 06 Nov 1994 08:49:37 GMT", announceKeepAlive: true }),
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n");
    assert.equal(httpDate(784111777000), "Sun, 06 Nov 1994 08:49:37 GMT");
    assert.equal(httpDate(Date.UTC(2026, 0, 2, 3, 4, 5)), "Fri, 02 Jan 2026 03:04:05 GMT");
  });

  it("utf8Length counts what TextEncoder writes: 1-4 bytes per character, 3 for a lone surrogate", () => {
    const encoder = new TextEncoder();
    const cases = [
      "", "Hello, World!", "caf\u00e9", "\u20ac", "\u{1F600}", "a\u{1F600}b", "\ud83d", "\ude00", "\ude00\ud83d",
      "x\ud83d", "\ud83dx", "\u07ff\u0800\uffff\u{10000}\u{10ffff}", "\u0000\u007f\u0080",
    ];
    for (const s of cases) assert.equal(utf8Length(s), encoder.encode(s).length, JSON.stringify(s));
    // Every code unit, alone and after a high surrogate.
    for (let c = 0; c < 0x10000; c += 7) {
      const s = String.fromCharCode(c);
      assert.equal(utf8Length(s), encoder.encode(s).length, `U+${c.toString(16)}`);
      assert.equal(utf8Length("\ud800" + s), encoder.encode("\ud800" + s).length, `U+D800 U+${c.toString(16)}`);
    }
  });

  it("writeResponse writes the bytes formatResponse makes, for every kind of body", () => {
    const date = "Sun, 06 Nov 1994 08:49:37 GMT";
    const bodies: (string | Uint8Array)[] = [
      "", "Hello, World!", "h\u00e9llo \u{1F600} \ud83d", "x".repeat(4096), "\u00e9".repeat(4096), "y".repeat(4097),
      "\u{1F600}".repeat(3000), new Uint8Array(0), new Uint8Array([0, 1, 2, 255]), new Uint8Array(70_000).fill(7),
    ];
    const optionSets = [{}, { date, keepAlive: false }, { headOnly: true }, { contentType: "", headers: [["X-A", "1"]] as [string, string][] }];
    for (const body of bodies) {
      for (const options of optionSets) {
        for (const status of [200, 204, 404]) {
          const out = new EvBuffer();
          writeResponse({ write: (data) => out.add(data) }, status, body, options);
          const label = `${status} ${typeof body === "string" ? `string of ${body.length}` : `${body.length} bytes`} ${JSON.stringify(options)}`;
          assert.deepEqual(out.toBytes(), formatResponse(status, body, options), label);
        }
      }
    }
  });

  it("writeResponse writes nothing when the head is refused", () => {
    const written: unknown[] = [];
    assert.throws(() => writeResponse({ write: (d) => written.push(d) }, 200, "x", { headers: [["X-Ok", "a\r\nb"]] }), TypeError);
    assert.deepEqual(written, []);
  });

  it("refuses header names that are not tokens and values with CR, LF or NUL (no response splitting)", () => {
    assert.throws(() => formatHead(200, 0, { headers: [["X-Bad\r\nInjected", "1"]] }), { name: "TypeError", message: /token/ });
    assert.throws(() => formatHead(200, 0, { headers: [["X-Ok", "a\r\nSet-Cookie: evil"]] }), { name: "TypeError", message: /CR, LF or NUL/ });
    assert.throws(() => formatHead(200, 0, { headers: [["", "x"]] }), TypeError);
    assert.throws(() => formatResponse(200, "x", { contentType: "text/html\r\nX: y" }), { name: "TypeError", message: /Content-Type/ });
    assert.throws(() => formatResponse(200, "x", { headers: [["Content-Length", "5"]] }), { name: "TypeError", message: /Content-Length/ });
    assert.throws(() => formatHead(200, "chunked", { headers: [["transfer-encoding", "gzip"]] }), { name: "TypeError", message: /transfer-encoding/ });
  });
});
