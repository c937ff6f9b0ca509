// HttpServer over real TCP sockets on every backend: pipelining, split requests, limits, closes,
// the bounds a hostile client meets (small limits and short timeouts keep these quick), the
// HTTP/1.1 features a client expects, and the handler API (async answers, errors, streams, upgrade).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { BEV, BufferEvent, EV, EVLOOP, EvBuffer, EventBase, Feature, HttpServer, constants as C, type HttpHandler, type HttpServerOptions } from "./deps.ts";
import { libc } from "../src/ffi/mod.ts";
import { backendVariants } from "./helpers.ts";

const text = new TextDecoder("latin1");

/** What a client received on one connection, and how it ended. */
interface Exchange {
  response: string;
  ended: "eof" | "error" | "open";
}

/**
 * Connects, sends `request` (or runs `send` on connect), and collects the answer until the server
 * closes or `until(response)` holds. Runs the base with loopSync, or with `await loop()` when
 * `cooperative` (async handlers settle only when the host's event loop runs).
 */
async function exchange(base: EventBase, port: number, request: string | ((b: BufferEvent) => void),
  { until = (_: string): boolean => false, cooperative = false, halfClose = false } = {}): Promise<Exchange> {
  const result: Exchange = { response: "", ended: "open" };
  const client = new BufferEvent(base, -1);
  client.setCallbacks((b) => {
    result.response += text.decode(b.read());
    if (until(result.response)) {
      b.close();
      base.loopBreak();
    }
  }, null, (b, what) => {
    if (what & BEV.CONNECTED) {
      if (typeof request === "string") b.write(request);
      else request(b);
      if (halfClose) b.shutdownWrite();
    } else if (what & (BEV.EOF | BEV.ERROR)) {
      result.response += text.decode(b.read());
      result.ended = what & BEV.EOF ? "eof" : "error";
      b.close();
      base.loopBreak();
    }
  });
  client.enable(EV.READ);
  client.connect({ host: "127.0.0.1", port });
  if (cooperative) await base.loop();
  else base.loopSync();
  if (!client.closed) client.close();
  return result;
}

const statuses = (response: string) => [...response.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));

/**
 * Sends `request` and collects the answer as bytes until the server closes (exchange() decodes it
 * as text). Runs the base with `await loop()` when `cooperative` (a streamed answer needs it).
 */
async function exchangeBytes(base: EventBase, port: number, request: string, cooperative = false): Promise<Uint8Array> {
  const received = new EvBuffer();
  const client = new BufferEvent(base, -1);
  client.setCallbacks((b) => void received.addBuffer(b.input), null, (b, what) => {
    if (what & BEV.CONNECTED) b.write(request);
    else if (what & (BEV.EOF | BEV.ERROR)) {
      received.addBuffer(b.input);
      b.close();
      base.loopBreak(); // the server still listens
    }
  });
  client.enable(EV.READ);
  client.connect({ host: "127.0.0.1", port });
  if (cooperative) await base.loop();
  else base.loopSync();
  return received.toBytes();
}

/** Decodes a chunked body (tests only: trusts its input). */
function dechunk(body: string): string {
  let out = "";
  for (let at = 0; ;) {
    const eol = body.indexOf("\r\n", at);
    const size = parseInt(body.slice(at, eol), 16);
    if (size === 0) return out;
    out += body.slice(eol + 2, eol + 2 + size);
    at = eol + 2 + size + 2;
  }
}

const openFds = () => readdirSync("/proc/self/fd").length;
const portOf = (l: { address: unknown }) => (l.address as { port: number }).port;

function connect(base: EventBase, port: number): BufferEvent {
  return new BufferEvent(base, -1).connect({ host: "127.0.0.1", port });
}

// The first off-thread wait of `await base.loop()` starts the runtime's worker machinery, whose fds
// live as long as the process: start it before any test counts fds.
for (const variant of backendVariants()) {
  const warm = new EventBase(variant.options);
  warm.timer(1, () => {});
  await warm.loop();
  warm.close();
}
for (let i = 0, same = 0, last = -1; i < 200 && same < 5; i++) {
  await new Promise((resolve) => setTimeout(resolve, 5));
  same = openFds() === last ? same + 1 : 0;
  last = openFds();
}

for (const variant of backendVariants()) {
  describe(`http server on ${variant.label}`, () => {
    function withServer(fn: (base: EventBase, port: number, server: HttpServer) => void): void {
      const before = openFds();
      const base = new EventBase(variant.options);
      try {
        const server = new HttpServer(base, { port: 0 }, (req) => ({ body: `path=${req.target}` }));
        fn(base, portOf(server), server);
        server.close();
      } finally {
        base.close();
      }
      assert.equal(openFds(), before, "no fd leaked");
    }

    /** Runs `fn` with a server of `handler` and `options`; checks the fd count is back at baseline. */
    async function serving(handler: HttpHandler, options: HttpServerOptions,
      fn: (base: EventBase, port: number, server: HttpServer) => Promise<void>): Promise<void> {
      const before = openFds();
      const base = new EventBase(variant.options);
      try {
        const server = new HttpServer(base, { port: 0 }, handler, options);
        await fn(base, portOf(server), server);
        server.close();
        assert.equal(server.connectionCount, 0);
      } finally {
        base.close();
      }
      // `await base.loop()` waits in a helper thread on some runtimes, which ends (and gives its
      // fds back) only after the host's event loop has run a little: let it, a bounded number of times.
      for (let i = 0; i < 200 && openFds() !== before; i++) await new Promise((resolve) => setTimeout(resolve, 5));
      assert.equal(openFds(), before, "no fd leaked");
    }

    it("answers 100 pipelined requests in order", () => {
      withServer((base, port) => {
        let requests = "";
        for (let i = 0; i < 100; i++) requests += `GET /${i} HTTP/1.1\r\nHost: x\r\n\r\n`;
        let response = "";
        const client = connect(base, port);
        client.setCallbacks((b) => {
          response += new TextDecoder().decode(b.read());
          if ((response.match(/HTTP\/1\.1 200/g) ?? []).length === 100) {
            b.close();
            base.loopBreak();
          }
        }, null, (b, what) => (what & BEV.CONNECTED) && b.write(requests));
        client.enable(EV.READ);
        base.loopSync();
        const bodies = [...response.matchAll(/path=(\/\d+)/g)].map((m) => m[1]);
        assert.deepEqual(bodies, Array.from({ length: 100 }, (_, i) => `/${i}`));
      });
    });

    it("a request split byte by byte is answered once", () => {
      withServer((base, port) => {
        const request = new TextEncoder().encode("GET /split HTTP/1.1\r\nHost: x\r\nX-Long: " + "y".repeat(50) + "\r\n\r\n");
        let response = "";
        let at = 0;
        const client = connect(base, port);
        const drip = base.timer(0.2, () => {
          if (at < request.length) client.write(request.subarray(at, ++at));
        }, { persist: true });
        client.setCallbacks((b) => {
          response += new TextDecoder().decode(b.read());
          if (response.includes("path=/split")) {
            drip.del();
            b.close();
            base.loopBreak();
          }
        });
        client.enable(EV.READ);
        base.loopSync();
        assert.equal((response.match(/HTTP\/1\.1 200/g) ?? []).length, 1);
      });
    });

    it("an oversized header block gets 431 and a close, with memory bounded", () => {
      withServer((base, port, server) => {
        let response = "";
        let closed = false;
        const client = connect(base, port);
        client.setCallbacks((b) => void (response += new TextDecoder().decode(b.read())), null, (b, what) => {
          if (what & BEV.CONNECTED) b.write("GET / HTTP/1.1\r\nX-Big: " + "z".repeat(1 << 20));
          else if (what & (BEV.EOF | BEV.ERROR)) {
            closed = true;
            b.close();
            base.loopBreak();
          }
        });
        client.enable(EV.READ);
        base.loopSync();
        assert.match(response, /^HTTP\/1\.1 431 /);
        assert.ok(closed);
        // The server sees the client's close on a later iteration.
        for (let i = 0; i < 100 && server.connectionCount > 0; i++) base.loopSync(EVLOOP.ONCE);
        assert.equal(server.connectionCount, 0);
      });
    });

    it("HTTP/1.0 and Connection: close get one response and a close", () => {
      withServer((base, port) => {
        let response = "";
        const client = connect(base, port);
        client.setCallbacks((b) => void (response += new TextDecoder().decode(b.read())), null, (b, what) => {
          if (what & BEV.CONNECTED) b.write("GET /a HTTP/1.0\r\n\r\nGET /b HTTP/1.0\r\n\r\n");
          else if (what & BEV.EOF) {
            b.close();
            base.loopBreak();
          }
        });
        client.enable(EV.READ);
        base.loopSync();
        assert.match(response, /Connection: close/);
        assert.equal((response.match(/HTTP\/1\.1 200/g) ?? []).length, 1);
        assert.match(response, /path=\/a$/);
      });
    });

    it("a client that pipelines and never reads costs the output watermark, not its whole backlog", async () => {
      const big = "x".repeat(16384);
      let handled = 0;
      await serving(() => (handled++, { body: big }), { outputHighWater: 32768, maxHeaderBytes: 1024 }, async (base, port, server) => {
        const client = new BufferEvent(base, -1);
        client.setCallbacks(null, null, () => {});
        client.connect({ host: "127.0.0.1", port });
        const one = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        client.write(one.repeat(100_000)); // 2.7 MB of requests, 1.6 GB of answers if all were made
        // Run until nothing moves: the client's requests stop draining because the server stopped reading.
        let still = 0, last = -1;
        for (let i = 0; i < 1_000_000 && (still < 200 || handled === 0); i++) {
          base.loopSync(EVLOOP.NONBLOCK);
          const now = client.output.length * 1e6 + handled;
          still = now === last ? still + 1 : 0;
          last = now;
        }
        const [stats] = server.connectionStats;
        assert.ok(stats.bufferedOutput <= 32768 + big.length + 200, `server output ${stats.bufferedOutput}`);
        assert.ok(stats.bufferedInput <= 1024 + 65536, `server input ${stats.bufferedInput}`);
        assert.ok(handled < 100_000, `handled ${handled}: reading paused`);
        client.close();
        for (let i = 0; i < 1000 && server.connectionCount > 0; i++) base.loopSync(EVLOOP.ONCE);
        assert.equal(server.connectionCount, 0, "the peer's reset reaches the paused connection");
      });
    });

    it("clients whose heads are still arriving hold their bytes, not a read chunk each", async () => {
      const count = 40;
      await serving(() => ({ body: "done" }), {}, async (base, port, server) => {
        // The pool is per thread: other tests' buffers count too, so only the change is looked at.
        const inUseBefore = EvBuffer.poolStats.inUse;
        const clients: BufferEvent[] = [];
        const answers: string[] = [];
        for (let i = 0; i < count; i++) {
          const client = new BufferEvent(base, -1);
          answers.push("");
          client.setCallbacks((b) => (answers[i] += text.decode(b.read())), null, () => {});
          client.enable(EV.READ);
          client.connect({ host: "127.0.0.1", port });
          client.write(`GET /${i} HTTP/1.1\r\nHost: x\r\n`); // the blank line comes later
          clients.push(client);
        }
        const waiting = () => server.connectionStats.filter((c) => c.bufferedInput > 0).length;
        for (let i = 0; i < 2000 && waiting() < count; i++) base.loopSync(EVLOOP.ONCE);
        assert.equal(waiting(), count, "every head has arrived in part");
        // Every connection read its part into a pooled chunk; waiting, it gives the chunk back.
        const held = EvBuffer.poolStats.inUse - inUseBefore;
        assert.ok(held < count / 2, `${held} pooled chunks in use with ${count} partial heads waiting`);
        for (const client of clients) client.write("\r\n");
        for (let i = 0; i < 2000 && answers.some((a) => !a.endsWith("done")); i++) base.loopSync(EVLOOP.ONCE);
        for (const answer of answers) assert.match(answer, /^HTTP\/1\.1 200 OK[^]*done$/);
        for (const client of clients) client.close();
      });
    });

    // A client that pipelines past maxPendingRequests, never reads and closes, with `count`
    // requests: few enough that reading meets the EOF, or more than the read watermark lets in,
    // which only a backend that reports the FIN without reading (EV.CLOSED) can notice.
    for (const [label, count] of [["within the read watermark", 100], ["behind more than the read watermark", 5000]] as const) {
      const early = new EventBase(variant.options);
      const skip = count > 100 && !(early.features & Feature.EARLY_CLOSE) && `${variant.label} reports a FIN only by reading up to it`;
      early.close();
      it(`a client that closes while its requests wait at maxPendingRequests is let go at once (${label})`, { skip }, async () => {
        const waiting: (() => void)[] = [];
        let handled = 0;
        const handler: HttpHandler = () => new Promise((resolve) => (handled++, waiting.push(() => resolve({ body: "late" }))));
        // No timeout may end the connection instead: only noticing the close can.
        const options = { maxPendingRequests: 2, maxHeaderBytes: 1024, keepAliveTimeoutMs: null, headersTimeoutMs: null, bodyTimeoutMs: null, sendTimeoutMs: null };
        await serving(handler, options, async (base, port, server) => {
          const guard = base.timer(10, () => {}, { persist: true });
          const client = new BufferEvent(base, -1);
          client.setCallbacks(null, null, () => {});
          client.connect({ host: "127.0.0.1", port });
          client.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".repeat(count)); // and never reads
          for (let i = 0; i < 1000 && (handled < 2 || client.output.length > 0); i++) base.loopSync(EVLOOP.ONCE);
          assert.equal(handled, 2);
          assert.equal(server.connectionCount, 1);
          const [stats] = server.connectionStats;
          assert.ok(stats.bufferedInput <= 1024 + 65536, `server input ${stats.bufferedInput}: reading is bounded while requests wait`);
          client.close();
          for (let i = 0; i < 1000 && server.connectionCount > 0; i++) base.loopSync(EVLOOP.ONCE);
          assert.equal(server.connectionCount, 0, "the client's close reaches the connection while its handlers are pending");
          assert.equal(handled, 2, "nothing more was read from a client that is gone");
          for (const answer of waiting) answer();
          guard.close();
        });
      });
    }

    it("a paused connection still times out: output that makes no progress for sendTimeoutMs closes it", async () => {
      await serving(() => ({ body: "y".repeat(16384) }), { outputHighWater: 16384, sendTimeoutMs: 100 }, async (base, port, server) => {
        const client = new BufferEvent(base, -1);
        client.setCallbacks(null, null, () => {});
        client.connect({ host: "127.0.0.1", port });
        client.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".repeat(20_000)); // and never reads
        for (let i = 0; i < 10_000 && server.connectionCount === 0; i++) base.loopSync(EVLOOP.ONCE);
        assert.equal(server.connectionCount, 1);
        // The client stays open and silent: only the send timeout can end the connection.
        for (let i = 0; i < 10_000 && server.connectionCount > 0; i++) base.loopSync(EVLOOP.ONCE);
        assert.equal(server.connectionCount, 0);
        client.close();
      });
    });

    it("string bodies go out as UTF-8 with their byte length, short or long, HEAD or not", async () => {
      const bodies: Record<string, string> = { "/short": "h\u00e9llo \u{1F600}", "/long": "\u00e9\u{1F600}".repeat(3000), "/lone": "a\ud83d" };
      await serving((req) => ({ body: bodies[req.target] }), {}, async (base, port) => {
        const ask = (method: string, target: string, last = false) => `${method} ${target} HTTP/1.1\r\nHost: x\r\n${last ? "Connection: close\r\n" : ""}\r\n`;
        const bytes = await exchangeBytes(base, port, ask("GET", "/short") + ask("GET", "/long") + ask("HEAD", "/short") + ask("GET", "/lone", true));
        const ascii = new TextDecoder("ascii").decode(bytes); // for finding the heads only
        const encoder = new TextEncoder();
        let at = 0;
        for (const [method, target] of [["GET", "/short"], ["GET", "/long"], ["HEAD", "/short"], ["GET", "/lone"]]) {
          const headEnd = ascii.indexOf("\r\n\r\n", at) + 4;
          const head = ascii.slice(at, headEnd);
          const expected = encoder.encode(bodies[target]);
          assert.match(head, new RegExp(`Content-Length: ${expected.length}\r\n`), `${method} ${target}`);
          const bodyLength = method === "HEAD" ? 0 : expected.length;
          if (method !== "HEAD") assert.deepEqual(bytes.subarray(headEnd, headEnd + bodyLength), expected, `${method} ${target}`);
          at = headEnd + bodyLength;
        }
        assert.equal(at, bytes.length, "nothing after the last answer");
      });
    });

    it("a handler's answer that is not a response gives 500 and reaches onError", async () => {
      const errors: string[] = [];
      const handler = ((req: { target: string }) => (req.target === "/null" ? null : { body: 42 })) as unknown as HttpHandler;
      await serving(handler, { onError: (e) => errors.push((e as Error).message) }, async (base, port) => {
        const r = await exchange(base, port, "GET /null HTTP/1.1\r\nHost: x\r\n\r\nGET /number HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assert.deepEqual(statuses(r.response), [500, 500]);
        assert.equal(errors.length, 2);
        assert.match(errors[0], /null/);
        assert.match(errors[1], /number/);
      });
    });

    it("blank lines before a request count toward maxHeaderBytes: 431 and a close", async () => {
      await serving(() => ({ body: "ok" }), { maxHeaderBytes: 1024 }, async (base, port, server) => {
        const r = await exchange(base, port, "\r\n".repeat(600_000));
        assert.deepEqual(statuses(r.response), [431]);
        assert.notEqual(r.ended, "open");
        for (let i = 0; i < 1000 && server.connectionCount > 0; i++) base.loopSync(EVLOOP.ONCE);
        assert.equal(server.connectionCount, 0);
      });
    });

    it("a head that drips one byte at a time meets the head deadline (408), whatever the idle timeout", async () => {
      await serving(() => ({ body: "ok" }), { headersTimeoutMs: 150, keepAliveTimeoutMs: 60_000 }, async (base, port) => {
        let drip: ReturnType<EventBase["timer"]> | null = null;
        const r = await exchange(base, port, (b) => {
          b.write("GET / HTTP/1.1\r\n");
          drip = base.timer(20, () => !b.closed && b.write("X"), { persist: true });
        });
        drip!.close();
        assert.deepEqual(statuses(r.response), [408]);
        assert.equal(r.ended, "eof");
      });
    });

    it("a body that stops arriving meets the body deadline (408); an idle keep-alive connection is closed", async () => {
      await serving(() => ({ body: "ok" }), { bodyTimeoutMs: 100, keepAliveTimeoutMs: 100 }, async (base, port) => {
        const slow = await exchange(base, port, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
        assert.deepEqual(statuses(slow.response), [408]);
        const idle = await exchange(base, port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        assert.deepEqual(statuses(idle.response), [200]);
        assert.equal(idle.ended, "eof", "closed by the keep-alive timeout");
      });
    });

    it("smuggling attempts get 400 and a close, and the hidden request never runs", async () => {
      const seen: string[] = [];
      await serving((req) => (seen.push(req.target), { body: "ok" }), {}, async (base, port) => {
        const hidden = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
        for (const head of [
          "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 36\r\n\r\n",
          "POST / HTTP/1.1\r\nHost: x\r\nContent-Length : 36\r\n\r\n",
          "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
          "POST / HTTP/1.1\r\nHost: x\r\nX: y\nContent-Length: 36\r\n\r\n",
          "POST / HTTP/1.1\r\nHost: x\r\nX: y\r\n Content-Length: 36\r\n\r\n",
          "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        ]) {
          const r = await exchange(base, port, head + hidden);
          assert.deepEqual(statuses(r.response), [400], JSON.stringify(head));
          assert.equal(r.ended, "eof");
        }
        assert.deepEqual(seen, []);
      });
    });

    it("bare LF or bare CR line ends are answered 400 at once", async () => {
      await serving(() => ({ body: "ok" }), {}, async (base, port) => {
        for (const raw of ["GET / HTTP/1.1\nHost: x\n\n", "GET / HTTP/1.1\rHost: x\r\r"]) {
          const r = await exchange(base, port, raw);
          assert.deepEqual(statuses(r.response), [400]);
          assert.equal(r.ended, "eof");
        }
      });
    });

    it("chunked request bodies: decoded with trailers, split anywhere, and bounded (413)", async () => {
      await serving((req) => ({ body: `${new TextDecoder().decode(req.body)}|${JSON.stringify(req.trailers)}` }), { maxBodyBytes: 64 }, async (base, port) => {
        const request = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n7\r\n, world\r\n0\r\nX-Sum: 12\r\n\r\n";
        const whole = await exchange(base, port, request, { until: (r) => r.includes("]") });
        assert.match(whole.response, /hello, world\|\[\["x-sum","12"\]\]$/);
        let at = 0;
        const dripped = await exchange(base, port, (b) => {
          const t = base.timer(1, () => {
            if (b.closed) return t.del();
            if (at < request.length) b.write(request[at++]);
          }, { persist: true });
        }, { until: (r) => r.includes("]") });
        assert.match(dripped.response, /hello, world/);
        const tooBig = await exchange(base, port, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n41\r\n" + "z".repeat(65) + "\r\n0\r\n\r\n");
        assert.deepEqual(statuses(tooBig.response), [413]);
      });
    });

    it("streamRequestBodies: the handler runs at the head and reads the body as it arrives, either framing", async () => {
      const events: string[] = [];
      const handler: HttpHandler = async (req) => {
        events.push(`handler ${req.target}`);
        let text = "";
        for await (const piece of req.bodyStream!) {
          text += new TextDecoder().decode(piece);
          events.push(`piece ${req.target}`);
        }
        return { body: `${req.target}:${text}:${JSON.stringify(req.trailers)}` };
      };
      await serving(handler, { streamRequestBodies: true }, async (base, port) => {
        for (const [target, head, first, rest] of [
          ["/length", "Content-Length: 10\r\n", "01234", "56789"],
          ["/chunked", "Transfer-Encoding: chunked\r\n", "5\r\n01234\r\n", "5\r\n56789\r\n0\r\nX-T: 1\r\n\r\n"],
        ]) {
          let socket: BufferEvent | null = null;
          const r = await exchange(base, port, (b) => {
            socket = b;
            b.write(`POST ${target} HTTP/1.1\r\nHost: x\r\n${head}\r\n${first}`);
            // The rest goes only once the handler has read the first piece.
            const wait = base.timer(1, () => {
              if (events.includes(`piece ${target}`)) {
                wait.del();
                socket!.write(rest);
              }
            }, { persist: true });
          }, { cooperative: true, until: (resp) => resp.includes(`${target}:`) && resp.endsWith("]") });
          assert.match(r.response, new RegExp(`${target}:0123456789:`));
        }
        assert.deepEqual(events.slice(0, 2), ["handler /length", "piece /length"]);
      });
    });

    it("streamRequestBodies: a body nobody reads is held to a few pieces; reading pauses until the handler reads", async () => {
      let stream: ReadableStream<Uint8Array> | null = null;
      await serving((req) => {
        stream = req.bodyStream;
        return new Promise(() => {}); // never answers, never reads
      }, { streamRequestBodies: true, maxBodyBytes: 64 << 20 }, async (base, port, server) => {
        const client = new BufferEvent(base, -1);
        client.setCallbacks(null, null, () => {});
        client.connect({ host: "127.0.0.1", port });
        client.write(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${32 << 20}\r\n\r\n`);
        client.write(new Uint8Array(32 << 20));
        let still = 0, last = -1;
        for (let i = 0; i < 1_000_000 && (still < 200 || stream === null); i++) {
          base.loopSync(EVLOOP.NONBLOCK);
          still = client.output.length === last ? still + 1 : 0;
          last = client.output.length;
        }
        assert.ok(stream !== null);
        const [stats] = server.connectionStats;
        assert.ok(stats.bufferedInput <= 8192 + 65536, `server input ${stats.bufferedInput}`);
        assert.ok(client.output.length > 0, "the client could not send all 32 MiB");
        client.close();
      });
    });

    it("Expect: 100-continue gets 100 before the body is sent; other expectations 417", async () => {
      await serving((req) => ({ body: new TextDecoder().decode(req.body) }), {}, async (base, port) => {
        let sent = false;
        let socket: BufferEvent | null = null;
        const r = await exchange(base, port, (b) => {
          socket = b;
          b.write("PUT / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
        }, {
          until: (resp) => {
            if (!sent && resp.includes("100 Continue\r\n\r\n")) {
              sent = true; // the body goes only now
              socket!.write("data");
            }
            return resp.endsWith("data");
          },
        });
        assert.ok(sent);
        assert.match(r.response, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 [^]*\r\n\r\ndata$/);
        const other = await exchange(base, port, "PUT / HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\nContent-Length: 4\r\n\r\ndata");
        assert.deepEqual(statuses(other.response), [417]);
      });
    });

    it("HEAD gets the headers only; Date is set; Connection is honoured for 1.0 and 1.1", async () => {
      await serving(() => ({ body: "hello" }), {}, async (base, port) => {
        const head = await exchange(base, port, "HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        const [first, second] = head.response.split(/(?=HTTP\/1\.1 )/);
        assert.match(first, /Content-Length: 5\r\n/);
        assert.ok(first.endsWith("\r\n\r\n"), "no body after HEAD's headers");
        assert.match(first, /\r\nDate: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT\r\n/);
        assert.match(second, /Connection: close\r\n[^]*\r\n\r\nhello$/);
        assert.equal(head.ended, "eof");
        const ten = await exchange(base, port, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.0\r\n\r\n");
        assert.deepEqual(statuses(ten.response), [200, 200]);
        assert.match(ten.response, /Connection: keep-alive/);
        assert.equal(ten.ended, "eof");
        const tokens = await exchange(base, port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: notclose-really\r\n\r\n", { until: (r) => r.endsWith("hello") });
        assert.doesNotMatch(tokens.response, /Connection: close/);
      });
    });

    it("async handlers answer in request order; throws and rejections give 500 and reach onError", async () => {
      const errors: unknown[] = [];
      const handler: HttpHandler = (req) => {
        if (req.target === "/throw") throw new Error("thrown");
        if (req.target === "/reject") return Promise.reject(new Error("rejected"));
        // Settles after the requests behind it were answered synchronously (no host timer: it would
        // open fds of the runtime's own that the leak check would count).
        if (req.target === "/slow") return Promise.resolve().then(() => Promise.resolve()).then(() => ({ body: "slow" }));
        return { body: req.target.slice(1) };
      };
      await serving(handler, { onError: (e) => errors.push(e) }, async (base, port) => {
        const get = (t: string) => `GET /${t} HTTP/1.1\r\nHost: x\r\n\r\n`;
        const r = await exchange(base, port, get("slow") + get("a") + get("throw") + get("reject") + get("b"), {
          cooperative: true, until: (resp) => statuses(resp).length === 5 && resp.endsWith("b"),
        });
        assert.deepEqual(statuses(r.response), [200, 200, 500, 500, 200]);
        assert.deepEqual(r.response.split(/HTTP\/1\.1 /).slice(1).map((p) => p.slice(p.indexOf("\r\n\r\n") + 4)),
          ["slow", "a", "Internal Server Error", "Internal Server Error", "b"]);
        assert.deepEqual(errors.map((e) => (e as Error).message), ["thrown", "rejected"]);
      });
    });

    it("streamed responses: chunked for HTTP/1.1, ended by a close for HTTP/1.0, with back-pressure", async () => {
      async function* pieces() {
        for (let i = 0; i < 50; i++) yield "x".repeat(4096) + i;
      }
      await serving(() => ({ body: pieces() }), { outputHighWater: 8192 }, async (base, port) => {
        const eleven = await exchange(base, port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", { cooperative: true, until: (r) => r.endsWith("0\r\n\r\n") });
        assert.match(eleven.response, /Transfer-Encoding: chunked\r\n/);
        const body = dechunk(eleven.response.slice(eleven.response.indexOf("\r\n\r\n") + 4));
        assert.equal(body, Array.from({ length: 50 }, (_, i) => "x".repeat(4096) + i).join(""));
        const ten = await exchange(base, port, "GET / HTTP/1.0\r\n\r\n", { cooperative: true });
        assert.equal(ten.ended, "eof");
        assert.equal(ten.response.slice(ten.response.indexOf("\r\n\r\n") + 4).length, body.length);
      });
    });

    it("streamed string pieces go out as UTF-8, each chunk sized in bytes", async () => {
      const pieces = ["h\u00e9", "\u{1F600}", "", "a\ud83d", "\u20ac".repeat(3000), "end"];
      async function* body() {
        for (const piece of pieces) yield piece;
      }
      await serving(() => ({ body: body() }), {}, async (base, port) => {
        const bytes = await exchangeBytes(base, port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", true);
        const ascii = new TextDecoder("ascii").decode(bytes); // for the head and the size lines only
        let at = ascii.indexOf("\r\n\r\n") + 4;
        assert.match(ascii.slice(0, at), /Transfer-Encoding: chunked\r\n/);
        const sizes: number[] = [];
        const chunks: Uint8Array[] = [];
        for (;;) {
          const lineEnd = ascii.indexOf("\r\n", at);
          const size = parseInt(ascii.slice(at, lineEnd), 16);
          at = lineEnd + 2;
          if (size === 0) break;
          sizes.push(size);
          chunks.push(bytes.slice(at, at + size));
          at += size + 2;
        }
        const encoder = new TextEncoder();
        assert.deepEqual(sizes, pieces.filter((p) => p.length > 0).map((p) => encoder.encode(p).length));
        assert.deepEqual(chunks, pieces.filter((p) => p.length > 0).map((p) => encoder.encode(p)));
      });
    });

    it("a client reset in the middle of a streamed response stops the stream and frees the connection", async () => {
      let stopped = false;
      async function* endless() {
        try {
          for (;;) yield "z".repeat(8192);
        } finally {
          stopped = true;
        }
      }
      await serving(() => ({ body: endless() }), { outputHighWater: 16384 }, async (base, port, server) => {
        // Read part of the endless body, then reset: SO_LINGER 0 makes close() send RST.
        const client = new BufferEvent(base, -1);
        let reset = false;
        client.setCallbacks((b) => {
          if (!reset && b.input.length > 50_000) {
            reset = true;
            libc.setsockopt(b.fd, C.SOL_SOCKET, C.SO_LINGER, new Int32Array([1, 0]), 8);
            b.close();
            base.loopBreak();
          }
        }, null, (b, what) => (what & BEV.CONNECTED) && b.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
        client.enable(EV.READ);
        client.connect({ host: "127.0.0.1", port });
        await base.loop();
        for (let i = 0; i < 1000 && server.connectionCount > 0; i++) await base.loop(EVLOOP.ONCE);
        assert.equal(server.connectionCount, 0);
        for (let i = 0; i < 100 && !stopped; i++) await base.loop(EVLOOP.NONBLOCK);
        assert.ok(stopped, "the body's generator was ended");
      });
    });

    it("soak: 300 requests on one keep-alive connection, then 100 connections with Connection: close", async () => {
      await serving((req) => ({ body: req.target }), {}, async (base, port, server) => {
        // One request at a time on one connection, each sent after the previous answer.
        let answered = 0;
        const one = await new Promise<number>((resolve) => {
          const client = new BufferEvent(base, -1);
          let buffer = "";
          client.setCallbacks((b) => {
            buffer += text.decode(b.read());
            const n = statuses(buffer).length;
            if (n > answered) {
              answered = n;
              if (n === 300) {
                b.close();
                base.loopBreak();
                resolve(n);
              } else b.write(`GET /${n} HTTP/1.1\r\nHost: x\r\n\r\n`);
            }
          }, null, (b, what) => (what & BEV.CONNECTED) && b.write("GET /0 HTTP/1.1\r\nHost: x\r\n\r\n"));
          client.enable(EV.READ);
          client.connect({ host: "127.0.0.1", port });
          base.loopSync();
        });
        assert.equal(one, 300);
        for (let i = 0; i < 100; i++) {
          const r = await exchange(base, port, `GET /c${i} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
          assert.equal(r.ended, "eof");
          assert.match(r.response, new RegExp(`/c${i}$`));
        }
        for (let i = 0; i < 1000 && server.connectionCount > 0; i++) base.loopSync(EVLOOP.ONCE);
        assert.equal(server.connectionCount, 0);
      });
    });

    it("the upgrade hook takes the socket over", async () => {
      let upgraded: BufferEvent | null = null;
      await serving(() => ({ body: "not upgraded" }), {
        onUpgrade: (req, socket) => {
          upgraded = socket;
          socket.setCallbacks((b) => b.writeBuffer(b.input), null, (b) => b.close());
          socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${req.headers.find(([k]) => k === "upgrade")![1]}\r\nConnection: upgrade\r\n\r\n`);
          if (socket.input.length) socket.writeBuffer(socket.input);
          socket.enable(EV.READ);
        },
      }, async (base, port, server) => {
        const r = await exchange(base, port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nping", { until: (resp) => resp.endsWith("ping") });
        assert.match(r.response, /^HTTP\/1\.1 101 [^]*\r\n\r\nping$/);
        assert.equal(server.connectionCount, 0, "the server let go of the connection");
        upgraded!.close(); // the hook owns it now
      });
    });

    it("maxPendingRequests stops reading while that many answers are awaited", async () => {
      const waiting: (() => void)[] = [];
      await serving(() => new Promise((resolve) => waiting.push(() => resolve({ body: "ok" }))), { maxPendingRequests: 2 }, async (base, port) => {
        const release = base.timer(5, () => {
          if (waiting.length === 2) waiting.splice(0).forEach((f) => f());
          else assert.ok(waiting.length < 2, `${waiting.length} handlers waiting`);
        }, { persist: true });
        const r = await exchange(base, port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n".repeat(10), { cooperative: true, until: (resp) => statuses(resp).length === 10 });
        release.close();
        assert.deepEqual(statuses(r.response), Array(10).fill(200));
      });
    });

    it("maxConnections: never more open; the listener resumes when one closes", async () => {
      await serving(() => ({ body: "ok" }), { maxConnections: 2 }, async (base, port, server) => {
        const clients = [0, 1, 2].map(() => new BufferEvent(base, -1).connect({ host: "127.0.0.1", port }));
        for (const c of clients) c.setCallbacks(null, null, () => {});
        let most = 0;
        for (let i = 0, after = 0; i < 100_000 && after < 200; i++) {
          base.loopSync(EVLOOP.NONBLOCK);
          most = Math.max(most, server.connectionCount);
          if (most === 2) after++; // keep watching a while: a third must never be added
        }
        assert.equal(most, 2);
        for (const c of clients) c.close();
        for (let i = 0; i < 1000 && server.connectionCount > 0; i++) base.loopSync(EVLOOP.ONCE);
        const r = await exchange(base, port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", { until: (resp) => resp.endsWith("ok") });
        assert.deepEqual(statuses(r.response), [200], "served again below the limit");
      });
    });

    it("{ port } alone listens on all interfaces", () => {
      const base = new EventBase(variant.options);
      try {
        const server = new HttpServer(base, { port: 0 }, () => ({ body: "" }));
        assert.equal((server.address as { host: string }).host, "0.0.0.0");
        server.close();
      } finally {
        base.close();
      }
    });
  });
}

describe("http server: bad input", () => {
  it("rejects a handler that is not a function and limits that are not positive, naming the value", () => {
    const base = new EventBase();
    try {
      assert.throws(() => new HttpServer(base, { port: 0 }, "x" as unknown as HttpHandler), { name: "TypeError", message: /string/ });
      assert.throws(() => new HttpServer(base, { port: 0 }, () => ({}), { maxHeaderBytes: 0 }), { name: "RangeError", message: /maxHeaderBytes.*0/ });
      assert.throws(() => new HttpServer(base, { port: 0 }, () => ({}), { headersTimeoutMs: -1 }), { name: "RangeError", message: /headersTimeoutMs.*-1/ });
      assert.throws(() => new HttpServer(base, { port: 0 }, () => ({}), { outputHighWater: 100, outputLowWater: 200 }), { name: "RangeError", message: /outputLowWater.*200/ });
    } finally {
      base.close();
    }
  });
});
