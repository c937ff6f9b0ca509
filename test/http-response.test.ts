// Response heads and complete responses in wire format, the Date header's text, and the checks
// that keep a handler's header data from splitting a response.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { formatHead, formatResponse, httpDate } from "../src/net/http/response.ts";

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

  it("refuses header names that are not tokens and values with CR, LF or NUL (no response splitting)", () => {
    assert.throws(() => formatHead(200, 0, { headers: [["X-Bad\r\nInjected", "1"]] }), { name: "TypeError", message: /token/ });
    assert.throws(() => formatHead(200, 0, { headers: [["X-Ok", "a\r\nSet-Cookie: evil"]] }), { name: "TypeError", message: /CR, LF or NUL/ });
    assert.throws(() => formatHead(200, 0, { headers: [["", "x"]] }), TypeError);
    assert.throws(() => formatResponse(200, "x", { contentType: "text/html\r\nX: y" }), { name: "TypeError", message: /Content-Type/ });
    assert.throws(() => formatResponse(200, "x", { headers: [["Content-Length", "5"]] }), { name: "TypeError", message: /Content-Length/ });
    assert.throws(() => formatHead(200, "chunked", { headers: [["transfer-encoding", "gzip"]] }), { name: "TypeError", message: /transfer-encoding/ });
  });
});
