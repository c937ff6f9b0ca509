// BufferEvent and Listener over real TCP sockets, with faults: resets, refused connects, half-closes,
// slow and stalled peers; connecting by host name through a Resolver and a DNS server on 127.0.0.1.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, rmSync } from "node:fs";
import { BEV, BEV_FLUSH, BufferEvent, DnsError, EV, EVLOOP, EventBase, Listener, peerAddress, Resolver, SyscallError, constants as C, sys } from "./deps.ts";
import { A, dnsFiles, dnsServer, reply } from "./dns-server.ts";
import { backendVariants, withBase } from "./helpers.ts";
import { libc } from "../src/ffi/mod.ts";

const openFds = () => readdirSync("/proc/self/fd").length;
const portOf = (l: { address: unknown }) => (l.address as { port: number }).port;

/** An echo server on `base`; returns its listener. */
function echoServer(base: EventBase): Listener {
  return new Listener(base, { port: 0 }, (fd) => {
    const bev = new BufferEvent(base, fd);
    bev.setCallbacks((b) => b.writeBuffer(b.input), null, (b, what) => {
      if (what & (BEV.EOF | BEV.ERROR)) b.close();
    });
    bev.enable(EV.READ);
  });
}

function connect(base: EventBase, port: number): BufferEvent {
  return new BufferEvent(base, -1).connect({ host: "127.0.0.1", port });
}

for (const variant of backendVariants()) {
  describe(`bufferevent on ${variant.label}`, () => {
    it("100 MB through an echo server, byte-exact", () => {
      const before = openFds();
      const base = new EventBase(variant.options);
      try {
        const listener = echoServer(base);
        const total = 100 << 20;
        const block = new Uint8Array(1 << 20);
        let sent = 0, received = 0, mismatch = -1;
        const pattern = (i: number) => (i * 7 + (i >>> 13)) & 0xff;
        const client = connect(base, portOf(listener));
        const refill = (b: BufferEvent) => {
          // Keep at most 4 MB queued: the write callback asks for more as it drains.
          while (sent < total && b.output.length < 4 << 20) {
            for (let i = 0; i < block.length; i++) block[i] = pattern(sent + i);
            b.write(block);
            sent += block.length;
          }
        };
        client.setCallbacks((b) => {
          for (const view of b.input.peek()) {
            for (let i = 0; i < view.length && mismatch < 0; i++) if (view[i] !== pattern(received + i)) mismatch = received + i;
            received += view.length;
          }
          b.drainInput(b.input.length);
          if (received === total) {
            b.close();
            listener.close();
          }
        }, refill, (b, what, err) => {
          if (what & BEV.CONNECTED) refill(b);
          else assert.fail(`client event ${what}: ${err?.message}`);
        });
        client.setWatermark(EV.WRITE, 1 << 20);
        client.enable(EV.READ);
        assert.equal(base.loopSync(), 1);
        assert.equal(mismatch, -1, `first mismatch at byte ${mismatch}`);
        assert.equal(received, total);
      } finally {
        base.close();
      }
      assert.equal(openFds(), before, "no fd leaked");
    });

    it("the write callback runs once output drains to the low watermark, before it is empty", () => {
      const before = openFds();
      const base = new EventBase(variant.options);
      try {
        const listener = echoServer(base);
        const client = connect(base, portOf(listener));
        const low = 8 << 20;
        const seen: number[] = [];
        client.setCallbacks((b) => b.drainInput(b.input.length), (b) => {
          seen.push(b.output.length);
          if (b.output.length === 0) {
            b.close();
            listener.close();
          }
        }, (b, what) => {
          // More than one send can move (the socket buffers hold a few MB), so the output passes
          // through the low watermark with bytes still queued.
          if (what & BEV.CONNECTED) b.write(new Uint8Array(32 << 20));
        });
        client.setWatermark(EV.WRITE, low);
        client.enable(EV.READ);
        base.loopSync();
        assert.ok(seen.some((n) => n > 0 && n <= low), `write callback saw ${JSON.stringify(seen)}`);
        assert.ok(seen.every((n) => n <= low));
        assert.equal(seen.at(-1), 0);
      } finally {
        base.close();
      }
      assert.equal(openFds(), before, "no fd leaked");
    });

    it("works over a pipe too (reads, writes, EOF), as libevent's socket bufferevent does", () => {
      const base = new EventBase(variant.options);
      const [r, w] = sys.pipe();
      try {
        let got = "", eof = false;
        const reader = new BufferEvent(base, r);
        reader.setCallbacks((b) => void (got += new TextDecoder().decode(b.read())), null, (b, what) => {
          if (what & BEV.EOF) eof = true;
          b.close();
        });
        reader.enable(EV.READ);
        const writer = new BufferEvent(base, w);
        writer.setCallbacks(null, (b) => b.close()); // output drained: close the write end
        writer.write("x".repeat(100_000));
        base.loopSync();
        assert.equal(got, "x".repeat(100_000));
        assert.ok(eof);
      } finally {
        base.close();
      }
    });

    it("a slow reader keeps the receiver's buffered input under its high watermark", () => {
      const base = new EventBase(variant.options);
      try {
        const high = 64 * 1024;
        let maxSeen = 0, consumed = 0;
        const total = 4 << 20;
        let server: BufferEvent | null = null;
        const listener = new Listener(base, { port: 0 }, (fd) => {
          server = new BufferEvent(base, fd);
          server.setWatermark(EV.READ, 0, high);
          server.setCallbacks((b) => void (maxSeen = Math.max(maxSeen, b.input.length)));
          server.enable(EV.READ);
          listener.close();
        });
        const slow = base.timer(1, () => {
          if (!server) return;
          maxSeen = Math.max(maxSeen, server.input.length);
          consumed += server.read(16 * 1024).length;
          if (consumed >= total) {
            slow.del();
            server.close();
            client.close();
          }
        }, { persist: true });
        const client = connect(base, portOf(listener));
        client.setCallbacks(null, null, (b, what) => {
          if (what & BEV.CONNECTED) b.write(new Uint8Array(total));
        });
        base.loopSync();
        assert.equal(consumed, total);
        assert.ok(maxSeen <= high, `input reached ${maxSeen} bytes (high watermark ${high})`);
        assert.ok(maxSeen > 0);
      } finally {
        base.close();
      }
    });

    it("half-close: the server sees EOF after the client's shutdownWrite, answers, and the client reads it all", () => {
      const base = new EventBase(variant.options);
      try {
        let request = "";
        const listener = new Listener(base, { port: 0 }, (fd) => {
          const bev = new BufferEvent(base, fd);
          bev.setCallbacks((b) => void (request += new TextDecoder().decode(b.read())), (b) => b.close(), (b, what) => {
            if (what & BEV.EOF) {
              b.write(`got ${request.length} bytes`);
              b.shutdownWrite();
            }
          });
          bev.enable(EV.READ);
          listener.close();
        });
        let reply = "";
        const client = connect(base, portOf(listener));
        client.setCallbacks((b) => void (reply += new TextDecoder().decode(b.read())), null, (b, what) => {
          if (what & BEV.CONNECTED) {
            b.write("x".repeat(100_000));
            b.shutdownWrite();
          } else if (what & BEV.EOF) b.close();
        });
        client.enable(EV.READ);
        base.loopSync();
        assert.equal(request.length, 100_000);
        assert.equal(reply, "got 100000 bytes");
      } finally {
        base.close();
      }
    });

    it("peer reset reports ERROR with ECONNRESET; writing to a closed peer reports EPIPE or ECONNRESET", () => {
      const base = new EventBase(variant.options);
      try {
        const events: string[] = [];
        const listener = new Listener(base, { port: 0 }, (fd) => {
          listener.close();
          // Once the client's first bytes arrive, reset: SO_LINGER 0 makes close() send RST.
          base.once(fd, EV.READ, () => {
            const linger = new Int32Array([1, 0]);
            libc.setsockopt(fd, C.SOL_SOCKET, C.SO_LINGER, linger, 8);
            libc.close(fd);
          });
        });
        const client = connect(base, portOf(listener));
        client.setCallbacks(null, null, (b, what, err) => {
          if (what & BEV.CONNECTED) {
            b.write("ping");
            return;
          }
          events.push(`${what & BEV.READING ? "reading" : "writing"} ${what & BEV.ERROR ? "error" : what & BEV.EOF ? "eof" : what} ${err?.code ?? ""}`);
          b.close();
        });
        client.enable(EV.READ);
        base.loopSync();
        assert.deepEqual(events, ["reading error ECONNRESET"]);

        const [a, c] = sys.socketpair();
        sys.close(c);
        const bev = new BufferEvent(base, a);
        let err: Error | null = null;
        bev.setCallbacks(null, null, (b, what, e) => {
          assert.ok(what & BEV.WRITING && what & BEV.ERROR);
          err = e;
          b.close();
        });
        bev.write("to nobody");
        base.loopSync();
        assert.ok(err !== null && ["EPIPE", "ECONNRESET"].includes((err as SyscallError).code), String(err));
      } finally {
        base.close();
      }
    });

    it("a peer that never reads: the write timeout fires with output still queued", () => {
      const base = new EventBase(variant.options);
      const [a, c] = sys.socketpair();
      try {
        const bev = new BufferEvent(base, a);
        let what = 0;
        bev.setTimeouts(null, 30);
        bev.setCallbacks(null, null, (b, w) => {
          what = w;
          assert.ok(b.output.length > 0, "bytes the peer never took are still queued, not lost");
          b.close();
        });
        bev.write(new Uint8Array(8 << 20));
        base.loopSync();
        assert.equal(what, BEV.WRITING | BEV.TIMEOUT);
      } finally {
        base.close();
        sys.close(c);
      }
    });

    it("connecting to a closed port reports ERROR with ECONNREFUSED", () => {
      const base = new EventBase(variant.options);
      try {
        const probe = new Listener(base, { port: 0 }, () => {});
        const port = portOf(probe);
        probe.close();
        let code = "";
        const client = connect(base, port);
        client.setCallbacks(null, null, (b, what, err) => {
          assert.ok(what & BEV.ERROR);
          code = err?.code ?? "";
          b.close();
        });
        base.loopSync();
        assert.equal(code, "ECONNREFUSED");
      } finally {
        base.close();
      }
    });
  });
}

for (const variant of backendVariants()) {
  describe(`bufferevent watermarks as libevent's on ${variant.label}`, () => {
    it("the write callback runs once a write leaves the output at or below the low watermark, not only when empty", () => {
      const base = new EventBase(variant.options);
      const [a, c] = sys.socketpair();
      try {
        const total = 16 << 20; // more than any socket buffer takes: the peer never reads
        const bev = new BufferEvent(base, a, { closeFd: false });
        const seen: number[] = [];
        bev.setWatermark(EV.WRITE, total - 1);
        bev.setCallbacks(null, (b) => void seen.push(b.output.length));
        bev.write(new Uint8Array(total));
        for (let i = 0; i < 3 && seen.length === 0; i++) base.loopSync(EVLOOP.NONBLOCK);
        assert.equal(seen.length, 1, "one write, one callback");
        assert.ok(seen[0] > 0 && seen[0] <= total - 1, `output at the callback: ${seen[0]}`);
        bev.close();
      } finally {
        base.close();
        sys.close(a);
        sys.close(c);
      }
    });

    it("draining the input directly (input.drain, not drainInput) resumes reading stopped by the high watermark", () => {
      const base = new EventBase(variant.options);
      const [a, c] = sys.socketpair();
      try {
        const bev = new BufferEvent(base, a, { closeFd: false });
        let reads = 0;
        bev.setWatermark(EV.READ, 0, 1000);
        bev.setCallbacks(() => void reads++);
        bev.enable(EV.READ);
        sys.write(c, new Uint8Array(5000));
        base.loopSync(EVLOOP.NONBLOCK);
        assert.equal(bev.input.length, 1000, "reading stops at the high watermark");
        base.loopSync(EVLOOP.NONBLOCK);
        assert.equal(bev.input.length, 1000, "and stays stopped while the input is full");
        bev.input.drain(1000); // outside any callback, as evbuffer_drain(bufferevent_get_input(bev))
        const buffered = () => bev.input.length;
        for (let i = 0; i < 3 && buffered() === 0; i++) base.loopSync(EVLOOP.NONBLOCK);
        assert.equal(bev.input.length, 1000, "reading resumed");
        bev.input.remove(600);
        for (let i = 0; i < 3 && buffered() === 400; i++) base.loopSync(EVLOOP.NONBLOCK);
        assert.equal(bev.input.length, 1000, "any removal below the watermark resumes it");
        assert.ok(reads >= 3);
        bev.close();
      } finally {
        base.close();
        sys.close(a);
        sys.close(c);
      }
    });
  });
}

/** Runs the base until `done` is called (or a guard against a hang fires) and returns what it got. */
function runUntil<T>(base: EventBase, start: (done: (value: T) => void) => void): T | undefined {
  let result: T | undefined;
  const guard = base.timer(10_000, () => base.loopBreak());
  start((value) => {
    result = value;
    base.loopBreak();
  });
  base.loopSync();
  guard.close();
  return result;
}

/** Connects by name and reports "connected to HOST" or the error, then closes the bufferevent. */
function connectOutcome(base: EventBase, host: string, port: number, options: Parameters<BufferEvent["connect"]>[1] = {}): string | undefined {
  return runUntil<string>(base, (done) => {
    const bev = BufferEvent.connect(base, { host, port }, options);
    bev.setCallbacks(null, null, (b, what, err) => {
      if (what & BEV.CONNECTED) {
        done(`connected to ${(peerAddress(b.fd) as { host: string }).host}`);
      } else if (err instanceof DnsError) {
        assert.equal(b.dnsError, err);
        assert.equal(b.fd, -1);
        done(`${err.code} ${err.hostname}`);
      } else done(`${what & BEV.ERROR ? "error" : "event"} ${err ? (err as SyscallError).code : what}`);
      b.close();
    });
  });
}

for (const variant of backendVariants()) {
  describe(`bufferevent connect by host name on ${variant.label}`, () => {
    it("resolves through DNS and the hosts file, writes queued before the connect arrive, and the next address is tried when one refuses", () => {
      withBase(variant, (base) => {
        // Nothing listens on 127.0.0.3: connecting there is refused, and the second address answers.
        const listener = new Listener(base, { host: "127.0.0.2", port: 0 }, (fd) => {
          const peer = new BufferEvent(base, fd);
          peer.setCallbacks((b) => void received.push(new TextDecoder().decode(b.read())), null, (b) => b.close());
          peer.enable(EV.READ);
        });
        const received: string[] = [];
        const server = dnsServer(base, (q) => {
          if (q.name === "svc.test" && q.type === 1) return reply(q, [A("127.0.0.3"), A("127.0.0.2")]);
          if (q.name === "svc.test") return reply(q, []);
          return reply(q, [], { rcode: 3 });
        });
        const { dir, resolvConf, hostsFile } = dnsFiles("127.0.0.2 app.lan\n");
        try {
          const resolver = new Resolver(base, { resolvConf, hostsFile, nameservers: [{ host: "127.0.0.1", port: server.port }] });
          const port = portOf(listener);
          const got = runUntil<string>(base, (done) => {
            const bev = BufferEvent.connect(base, { host: "svc.test.", port }, { resolver });
            bev.write("sent before the name was resolved");
            bev.setCallbacks(null, null, (b, what, err) => {
              done(what & BEV.CONNECTED ? `connected to ${(peerAddress(b.fd) as { host: string }).host}` : String(err));
              b.flush(BEV_FLUSH.FINISHED);
            });
          });
          assert.equal(got, "connected to 127.0.0.2", "127.0.0.3 refused; the second address answered");
          assert.deepEqual(server.seen.map((q) => `${q.name} ${q.type}`).sort(), ["svc.test 1", "svc.test 28"]);
          for (let i = 0; i < 20 && received.length === 0; i++) base.loopSync(EVLOOP.ONCE);
          assert.deepEqual(received, ["sent before the name was resolved"]);

          const asked = server.seen.length;
          assert.equal(connectOutcome(base, "app.lan", port, { resolver }), "connected to 127.0.0.2");
          assert.equal(server.seen.length, asked, "a hosts-file name asks no nameserver");
          resolver.close();
        } finally {
          listener.close();
          server.close();
          rmSync(dir, { recursive: true });
        }
      });
    });

    it("an address whose connect does not finish within the write timeout gives way to the next", () => {
      withBase(variant, (base) => {
        // A listener that never accepts, with the smallest backlog, filled: the kernel drops the
        // next handshake, so a connect to it stays in progress until its timeout.
        const full = new Listener(base, { host: "127.0.0.2", port: 0 }, () => {}, { backlog: 0, disabled: true });
        const port = portOf(full);
        const fillers = [0, 1, 2].map(() => new BufferEvent(base, -1).connect({ host: "127.0.0.2", port }));
        let open: Listener | null = null;
        const server = dnsServer(base, (q) => reply(q, q.type === 1 ? [A("127.0.0.2"), A("127.0.0.4")] : []));
        const { dir, resolvConf, hostsFile } = dnsFiles();
        try {
          open = new Listener(base, { host: "127.0.0.4", port }, (fd) => sys.close(fd));
          for (let i = 0; i < 3; i++) base.loopSync(EVLOOP.NONBLOCK); // the fillers' handshakes
          const resolver = new Resolver(base, { resolvConf, hostsFile, nameservers: [{ host: "127.0.0.1", port: server.port }] });
          const got = runUntil<string>(base, (done) => {
            const bev = new BufferEvent(base, -1).setTimeouts(null, 300);
            bev.setCallbacks(null, null, (b, what, err) => {
              done(what & BEV.CONNECTED ? `connected to ${(peerAddress(b.fd) as { host: string }).host}` : `${what} ${String(err)}`);
              b.close();
            });
            bev.connect({ host: "two.test.", port }, { resolver });
          });
          assert.equal(got, "connected to 127.0.0.4");
          resolver.close();
        } finally {
          for (const f of fillers) f.close();
          full.close();
          open?.close();
          server.close();
          rmSync(dir, { recursive: true });
        }
      });
    });

    it("localhost through the base's own resolver, with no network", () => {
      withBase(variant, (base) => {
        const listener = new Listener(base, { host: "localhost", port: 0 }, (fd) => sys.close(fd));
        try {
          assert.equal((listener.address as { host: string }).host, "127.0.0.1");
          assert.equal(connectOutcome(base, "localhost", portOf(listener)), "connected to 127.0.0.1");
          assert.equal(connectOutcome(base, "LOCALHOST.", portOf(listener), { family: 4 }), "connected to 127.0.0.1");
        } finally {
          listener.close();
        }
      });
    });

    it("reports NXDOMAIN, a DNS timeout and a refused last address through the event callback", () => {
      withBase(variant, (base) => {
        const server = dnsServer(base, (q) => {
          if (q.name === "refusing.test") return reply(q, q.type === 1 ? [A("127.0.0.3")] : []);
          return reply(q, [], { rcode: 3 });
        });
        const silent = dnsServer(base, () => null);
        const { dir, resolvConf, hostsFile } = dnsFiles();
        try {
          const resolver = new Resolver(base, { resolvConf, hostsFile, nameservers: [{ host: "127.0.0.1", port: server.port }] });
          assert.equal(connectOutcome(base, "nowhere.test.", 80, { resolver }), "NXDOMAIN nowhere.test.");
          assert.equal(connectOutcome(base, "refusing.test.", 9, { resolver }), "error ECONNREFUSED");
          const slow = new Resolver(base, { resolvConf, hostsFile, timeoutMs: 30, attempts: 1, nameservers: [{ host: "127.0.0.1", port: silent.port }] });
          assert.equal(connectOutcome(base, "quiet.test.", 80, { resolver: slow, family: 6 }), "TIMEOUT quiet.test.");
          assert.deepEqual(silent.seen.map((q) => q.type), [28], "family 6 asks for AAAA only");
          resolver.close();
          slow.close();
        } finally {
          server.close();
          silent.close();
          rmSync(dir, { recursive: true });
        }
      });
    });

    it("close() while resolving cancels the lookup: no callback, no socket, no event left", () => {
      withBase(variant, (base) => {
        const silent = dnsServer(base, () => null);
        const { dir, resolvConf, hostsFile } = dnsFiles("127.0.0.2 app.lan\n");
        try {
          const resolver = new Resolver(base, { resolvConf, hostsFile, nameservers: [{ host: "127.0.0.1", port: silent.port }] });
          const events = base.count();
          const fds = openFds();
          const calls: number[] = [];
          for (const host of ["waiting.test.", "app.lan"]) {
            const bev = BufferEvent.connect(base, { host, port: 9 }, { resolver });
            bev.setCallbacks(null, null, (_b, what) => void calls.push(what));
            bev.enable(EV.READ);
            bev.write("never sent");
            bev.close();
          }
          assert.equal(base.count(), events, "the lookup's timer and socket are gone");
          assert.equal(openFds(), fds, "no fd left open");
          for (let i = 0; i < 3; i++) base.loopSync(EVLOOP.NONBLOCK);
          assert.deepEqual(silent.seen.map((q) => q.type).sort(), [1, 28], "the A and AAAA queries had gone out before close()");
          assert.deepEqual(calls, []);
          resolver.close();
        } finally {
          silent.close();
          rmSync(dir, { recursive: true });
        }
      });
    });
  });
}

describe("bufferevent: bad input", () => {
  it("rejects bad fds, watermarks and writes after free", () => {
    const base = new EventBase();
    try {
      assert.throws(() => new BufferEvent(base, -5), { name: "RangeError", message: /-5/ });
      const bev = new BufferEvent(base, -1);
      assert.throws(() => bev.setWatermark(EV.READ, -1), RangeError);
      assert.throws(() => bev.connect({ host: "", port: 1 }), TypeError);
      assert.throws(() => bev.connect({ host: "db.test", port: 70000 }), { name: "RangeError", message: /70000/ });
      assert.throws(() => bev.connect({ host: "db.test", port: 1 }, { family: 5 as never }), { name: "RangeError", message: /family.*5/ });
      assert.throws(() => bev.connect({ host: "db.test", port: 1 }, { resolver: {} as never }), { name: "TypeError", message: /Resolver.*object/ });
      const resolver = new Resolver(base, { nameservers: ["127.0.0.1"], hostsFile: null });
      bev.connect({ host: "db.test", port: 1 }, { resolver });
      assert.equal(bev.fd, -1, "no socket while the name is resolved");
      assert.throws(() => bev.connect({ host: "db.test", port: 1 }, { resolver }), /resolving/);
      bev.close();
      resolver.close();
      assert.throws(() => bev.write("x"), /closed/);
    } finally {
      base.close();
    }
  });
});
