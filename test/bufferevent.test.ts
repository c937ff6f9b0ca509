// BufferEvent and Listener over real TCP sockets, with faults: resets, refused connects, half-closes, slow and stalled peers.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { BEV, BufferEvent, EV, EVLOOP, EventBase, Listener, SyscallError, constants as C, sys } from "./deps.ts";
import { backendVariants } from "./helpers.ts";
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

describe("bufferevent: bad input", () => {
  it("rejects bad fds, watermarks and writes after free", () => {
    const base = new EventBase();
    try {
      assert.throws(() => new BufferEvent(base, -5), { name: "RangeError", message: /-5/ });
      const bev = new BufferEvent(base, -1);
      assert.throws(() => bev.setWatermark(EV.READ, -1), RangeError);
      assert.throws(() => bev.connect({ host: "not-an-ip", port: 1 }), TypeError);
      bev.close();
      assert.throws(() => bev.write("x"), /closed/);
    } finally {
      base.close();
    }
  });
});
