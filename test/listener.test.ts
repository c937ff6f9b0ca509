// Listener, socket addresses and the HTTP request parser, with real sockets on every backend.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EVLOOP, SyscallError, constants as C, sys } from "./deps.ts";
import { libc } from "../src/ffi/mod.ts";
import { cstring } from "../src/ffi/sys.ts";
import { Listener, localAddress, peerAddress } from "../src/net/listener.ts";
import { encodeAddress, formatAddress, resolveAddress } from "../src/ffi/sockaddr.ts";
import { formatResponse, parseRequest } from "../src/net/http.ts";
import { backendVariants, runChild, withBase } from "./helpers.ts";

/** A blocking-style connect for tests: returns a connected non-blocking fd (loopback completes at once or soon). */
function connectTcp(port: number, host = "127.0.0.1"): number {
  const addr = resolveAddress({ host, port });
  const fd = sys.streamSocket(addr.family === "ipv4" ? C.AF_INET : C.AF_INET6);
  const { bytes, length } = encodeAddress(addr);
  libc.connect(fd, bytes, length); // EINPROGRESS is fine: the listener sees the connection anyway
  return fd;
}

for (const variant of backendVariants()) {
  describe(`listener on ${variant.label}`, () => {
    it("noDelay sets TCP_NODELAY on each accepted TCP connection; off by default", () => {
      withBase(variant, (base, fds) => {
        const seen: number[] = [];
        const on = new Listener(base, { host: "127.0.0.1", port: 0 }, (fd) => {
          fds.push(fd);
          seen.push(sys.getsockoptInt(fd, C.IPPROTO_TCP, C.TCP_NODELAY));
          on.close();
        }, { noDelay: true });
        fds.push(connectTcp((on.address as { port: number }).port));
        base.loopSync();
        const off = new Listener(base, { host: "127.0.0.1", port: 0 }, (fd) => {
          fds.push(fd);
          seen.push(sys.getsockoptInt(fd, C.IPPROTO_TCP, C.TCP_NODELAY));
          off.close();
        });
        fds.push(connectTcp((off.address as { port: number }).port));
        base.loopSync();
        assert.equal(seen.length, 2);
        assert.notEqual(seen[0], 0, "noDelay: true");
        assert.equal(seen[1], 0, "the default");
      });
    });

    it("accepts every waiting connection in one go (accept4 until EAGAIN)", () => {
      withBase(variant, (base, fds) => {
        const accepted: number[] = [];
        const listener = new Listener(base, { host: "127.0.0.1", port: 0 }, (fd) => {
          accepted.push(fd);
          fds.push(fd);
          if (accepted.length === 20) listener.close();
        });
        const port = (listener.address as { port: number }).port;
        assert.ok(port > 0);
        for (let i = 0; i < 20; i++) fds.push(connectTcp(port));
        base.loopSync();
        assert.equal(accepted.length, 20);
        for (const fd of accepted) {
          assert.equal(formatAddress(localAddress(fd)), `127.0.0.1:${port}`);
          assert.equal(peerAddress(fd).family, "ipv4");
        }
      });
    });

    it("listens on IPv6 and on a Unix path", () => {
      withBase(variant, (base, fds) => {
        const path = `/tmp/evffi-test-${sys.getpid()}-${Math.random().toString(36).slice(2)}.sock`;
        let got = 0;
        const l6 = new Listener(base, { host: "::1", port: 0 }, (fd) => {
          fds.push(fd);
          got++;
          l6.close();
        });
        const lu = new Listener(base, { path }, (fd) => {
          fds.push(fd);
          got++;
          lu.close();
        });
        fds.push(connectTcp((l6.address as { port: number }).port, "::1"));
        const u = sys.streamSocket(C.AF_UNIX);
        fds.push(u);
        const { bytes, length } = encodeAddress(resolveAddress({ path }));
        assert.equal(libc.connect(u, bytes, length), 0);
        base.loopSync();
        assert.equal(got, 2);
        libc.unlink(cstring(path));
      });
    });

    it("disable() inside the accept callback stops the accept loop in progress; enable() resumes it", () => {
      withBase(variant, (base, fds) => {
        const accepted: number[] = [];
        const listener = new Listener(base, { host: "127.0.0.1", port: 0 }, (fd) => {
          accepted.push(fd);
          fds.push(fd);
          listener.disable();
        });
        const port = (listener.address as { port: number }).port;
        fds.push(connectTcp(port), connectTcp(port));
        try {
          base.timer(10, () => {});
          base.loopSync();
          assert.equal(accepted.length, 1, "the second connection waits in the backlog");
          listener.enable();
          base.loopSync(EVLOOP.ONCE);
          assert.equal(accepted.length, 2);
        } finally {
          listener.close();
        }
      });
    });

    for (const mode of ["onError", "default"]) {
      it(`out of descriptors (${mode === "onError" ? "with onError" : "no onError: stderr"}): sheds every waiting connection, reports once, keeps its spare, does not spin, serves again`, () => {
        const r = runChild("listener-emfile.ts", [variant.options.method!, mode]);
        assert.equal(r.status, 0, r.stderr);
        const got = JSON.parse(r.stdout.trim().split("\n").pop()!);
        assert.ok(got.shed > 0, `some connections were shed: ${r.stdout}`);
        assert.equal(got.accepted + got.shed, 40);
        assert.ok(got.iterations < 20, `the loop ran ${got.iterations} iterations instead of sleeping`);
        assert.equal(got.spareAfterEpisode, true, "the spare descriptor was reopened");
        assert.equal(got.servedAgain, true, "a connection is accepted once descriptors free up");
        const reports = r.stderr.split("\n").filter((line) => line.includes("out of descriptors"));
        if (mode === "onError") {
          assert.equal(got.errors, 1, "one report per episode");
          assert.equal(reports.length, 0);
        } else {
          assert.equal(reports.length, 1, `stderr: ${r.stderr}`);
        }
      });
    }
  });
}

describe("listener: bad input", () => {
  it("a port in use fails with EADDRINUSE", () => {
    withBase(backendVariants()[0], (base) => {
      const a = new Listener(base, { host: "127.0.0.1", port: 0 }, () => {}, { reuseAddr: false });
      try {
        const port = (a.address as { port: number }).port;
        assert.throws(() => new Listener(base, { host: "127.0.0.1", port }, () => {}, { reuseAddr: false }),
          (err: unknown) => err instanceof SyscallError && err.code === "EADDRINUSE");
      } finally {
        a.close();
      }
    });
  });
});

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
