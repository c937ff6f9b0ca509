// HttpServer over real TCP sockets on every backend: pipelining, split requests, limits, closes.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { BEV, BufferEvent, EV, EVLOOP, EventBase, HttpServer } from "./deps.ts";
import { backendVariants } from "./helpers.ts";

const openFds = () => readdirSync("/proc/self/fd").length;
const portOf = (l: { address: unknown }) => (l.address as { port: number }).port;

function connect(base: EventBase, port: number): BufferEvent {
  return new BufferEvent(base, -1).connect({ host: "127.0.0.1", port });
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
  });
}
