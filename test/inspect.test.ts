// How bases, events and the net objects print: one line each in node:util's inspect (what Bun's
// console uses), in Deno's own inspector, and through String().
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { inspect } from "node:util";
import { BufferEvent, DatagramSocket, EV, EVLOOP, EvBuffer, EventBase, HttpServer, Listener, sys } from "./deps.ts";
import { backendVariants, pair, withBase } from "./helpers.ts";

/** Every way a value can be printed here: node:util, the host's own inspector if it has one, String(). */
function printed(value: unknown): string[] {
  const out = [inspect(value), String(value)];
  const hostInspect = (globalThis as { Deno?: { inspect(v: unknown): string } }).Deno?.inspect;
  if (hostInspect) out.push(hostInspect(value));
  return out;
}

function assertPrints(value: unknown, pattern: RegExp, { viaString = true } = {}): void {
  for (const text of printed(value).filter((_, i) => viaString || i !== 1)) assert.match(text, pattern);
}

for (const variant of backendVariants()) {
  describe(`inspect: bases and events (${variant.label})`, () => {
    it("a base shows its method, features, counts and loop state", () => {
      withBase(variant, (base, fds) => {
        const [, b] = pair(fds);
        base.event(b, EV.READ, () => {}).add();
        const method = base.method.replace(/[()]/g, "\\$&");
        assertPrints(base, new RegExp(`^EventBase \\{ method: ${method}, features: (?:[A-Z0-9_|]+|none), added: 1, active: 0, virtual: 0, priorities: 1, state: idle \\}$`));
        let during = "";
        base.timer(0, () => {
          during = String(base);
        });
        base.loopSync(EVLOOP.ONCE);
        assert.match(during, /state: running/);
      });
    });

    it("an event shows its fd, events by name, what is pending, the timeout left and its priority", () => {
      withBase(variant, (base, fds) => {
        const [, b] = pair(fds);
        function onRead() {}
        const ev = base.event(b, EV.READ | EV.PERSIST, onRead);
        assertPrints(ev, new RegExp(`^Event \\{ fd: ${b}, events: READ\\|PERSIST, pending: no, priority: 0, callback: onRead \\}$`));
        ev.add(60_000);
        assertPrints(ev, new RegExp(`^Event \\{ fd: ${b}, events: READ\\|PERSIST, pending: TIMEOUT\\|READ, timeout: [0-9.]+ ms left, priority: 0, callback: onRead \\}$`));
        const left = Number(/timeout: ([0-9.]+) ms/.exec(String(ev))![1]);
        assert.ok(left > 0 && left <= 60_000, `${left}`);
        ev.active(EV.WRITE);
        assertPrints(ev, /pending: TIMEOUT\|READ, active: WRITE,/);
        ev.close();
        assertPrints(ev, /^Event \{ closed \}$/);
      });
    });

    it("a timer and a signal event say what they are", () => {
      withBase(variant, (base) => {
        const timer = base.timer(1000, () => {});
        assertPrints(timer, /^Event \{ timer, events: 0, pending: TIMEOUT, timeout: [0-9.]+ ms left, priority: 0 \}$/);
        const sig = base.signal("SIGUSR2", () => {});
        assertPrints(sig, /^Event \{ signal: SIGUSR2, events: SIGNAL\|PERSIST, pending: SIGNAL, priority: 0 \}$/);
        sig.close();
      });
    });

    it("a closed base says so", () => {
      const base = new EventBase(variant.options);
      base.close();
      assertPrints(base, /^EventBase \{ method: .*, closed \}$/);
    });
  });

  describe(`inspect: net objects (${variant.label})`, () => {
    it("a BufferEvent shows fd, enabled directions, bytes each way and watermarks", () => {
      withBase(variant, (base, fds) => {
        const [a, b] = pair(fds);
        const bev = new BufferEvent(base, a);
        try {
          bev.setWatermark(EV.READ, 4, 64);
          bev.enable(EV.READ);
          sys.write(b, "x".repeat(100));
          base.loopSync(EVLOOP.NONBLOCK);
          bev.disable(EV.WRITE);
          bev.output.add("queued");
          assertPrints(
            bev,
            new RegExp(`^BufferEvent \\{ fd: ${a}, enabled: READ, input: 64 bytes, output: 6 bytes, read watermark: 4\\.\\.64, write watermark: 0\\.\\.unlimited, reading paused: high watermark \\}$`),
          );
          assertPrints(bev.input, /^EvBuffer \{ length: 64 \}$/, { viaString: false });
          assert.equal(String(bev.input), "x".repeat(64), "EvBuffer's own toString() (its contents) is kept");
        } finally {
          bev.close();
        }
      });
    });

    it("a Listener, a DatagramSocket and an HttpServer show fd, address and state", () => {
      withBase(variant, (base) => {
        const listener = new Listener(base, { host: "127.0.0.1", port: 0 }, (fd) => sys.close(fd));
        const port = listener.address.family === "ipv4" ? listener.address.port : -1;
        assertPrints(listener, new RegExp(`^Listener \\{ fd: ${listener.fd}, address: 127\\.0\\.0\\.1:${port}, accepting: yes \\}$`));
        listener.disable();
        assertPrints(listener, /accepting: no \}$/);
        listener.close();
        assertPrints(listener, /^Listener \{ closed \}$/);
        const sock = new DatagramSocket(base, "udp4", { bind: { host: "127.0.0.1", port: 0 } });
        assertPrints(sock, new RegExp(`^DatagramSocket \\{ fd: ${sock.fd}, type: udp4, address: 127\\.0\\.0\\.1:[0-9]+ \\}$`));
        sock.close();
        const server = new HttpServer(base, { host: "127.0.0.1", port: 0 }, () => ({ body: "" }));
        assertPrints(server, /^HttpServer \{ address: 127\.0\.0\.1:[0-9]+, connections: 0, accepting: yes \}$/);
        server.close();
        assertPrints(new EvBuffer().add("hello"), /^EvBuffer \{ length: 5 \}$/, { viaString: false });
      });
    });
  });
}
