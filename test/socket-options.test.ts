// Socket options by name, and TCP_INFO decoded, on real sockets; a live connection per backend.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { BEV, BufferEvent, EV, getSocketOptions, Listener, NotAvailableError, os, setSocketOptions, SyscallError, sys, tcpInfo } from "./deps.ts";
import { constants as K } from "../src/ffi/mod.ts";
import { backendVariants, emulatorLimit, withBase } from "./helpers.ts";

describe("socket options", () => {
  it("sets and reads back keepalive timing, Nagle, port sharing and buffer sizes", () => {
    const fd = sys.streamSocket(K.AF_INET);
    try {
      setSocketOptions(fd, {
        noDelay: true, keepAlive: { idleMs: 61_000, intervalMs: 9_500, count: 4 }, reuseAddr: true, reusePort: true,
        receiveBufferSize: 256 * 1024, sendBufferSize: 128 * 1024,
      });
      const v = getSocketOptions(fd);
      assert.equal(v.noDelay, true);
      assert.equal(v.keepAlive, true);
      assert.equal(v.keepAliveIdleMs, 61_000);
      assert.equal(v.keepAliveIntervalMs, 10_000, "whole seconds, rounded up");
      assert.equal(v.keepAliveCount, 4);
      assert.equal(v.reuseAddr, true);
      assert.equal(v.reusePort, true);
      assert.ok(v.receiveBufferSize >= 256 * 1024, `SO_RCVBUF ${v.receiveBufferSize}`);
      setSocketOptions(fd, { keepAlive: false, noDelay: false });
      assert.equal(getSocketOptions(fd).keepAlive, false);
      assert.equal(getSocketOptions(fd).noDelay, false);
    } finally {
      sys.close(fd);
    }
  });

  it("a Unix socket reports no TCP options; a datagram socket binds to a device (Linux)", () => {
    const [a, b] = sys.socketpair();
    try {
      assert.equal(getSocketOptions(a).noDelay, null);
    } finally {
      sys.close(a);
      sys.close(b);
    }
    if (os !== "linux") return;
    const u = sys.socket(K.AF_INET, K.SOCK_DGRAM);
    try {
      setSocketOptions(u, { bindToDevice: "lo" });
      assert.throws(() => setSocketOptions(u, { bindToDevice: "nosuchdev0" }), (e: Error) => e instanceof SyscallError && e.code === "ENODEV");
    } finally {
      sys.close(u);
    }
  });

  it("listener options: TCP Fast Open and deferred accept", () => {
    const fd = sys.streamSocket(K.AF_INET);
    try {
      setSocketOptions(fd, { fastOpen: 16 });
      if (os === "linux") {
        setSocketOptions(fd, { deferAcceptMs: 2000 });
        assert.ok(sys.getsockoptInt(fd, K.IPPROTO_TCP, K.TCP_DEFER_ACCEPT) >= 2);
      } else {
        assert.throws(() => setSocketOptions(fd, { deferAcceptMs: 1000 }), NotAvailableError);
      }
    } finally {
      sys.close(fd);
    }
  });

  it("listener options: transparent (root may be refused it)", {
    skip: emulatorLimit("its setsockopt knows no IP_TRANSPARENT (ENOPROTOOPT)"),
  }, () => {
    const fd = sys.streamSocket(K.AF_INET);
    try {
      if (os === "linux") {
        try {
          setSocketOptions(fd, { transparent: true });
          assert.equal(sys.getsockoptInt(fd, K.IPPROTO_IP, K.IP_TRANSPARENT), 1);
        } catch (err) {
          assert.ok(err instanceof SyscallError && err.code === "EPERM", `only EPERM (no CAP_NET_ADMIN) may refuse it, got ${String(err)}`);
        }
      } else {
        assert.throws(() => setSocketOptions(fd, { transparent: true }), NotAvailableError);
      }
    } finally {
      sys.close(fd);
    }
  });

  it("bad values are named, and nothing is set when one is bad", () => {
    const fd = sys.streamSocket(K.AF_INET);
    try {
      assert.throws(() => setSocketOptions(fd, { noDelay: "yes" as never }), /noDelay must be a boolean, got string/);
      assert.throws(() => setSocketOptions(fd, { noDelay: true, keepAlive: { count: 0 } }), /keepAlive.count must be an integer 1..127, got 0/);
      assert.equal(getSocketOptions(fd).noDelay, false, "the good option before the bad one was not applied");
      assert.throws(() => setSocketOptions(fd, { nodelay: true } as never), /unknown socket option "nodelay"/);
      assert.throws(() => setSocketOptions(fd, { keepAlive: { idleMs: -1 } }), RangeError);
      assert.throws(() => setSocketOptions(fd, { bindToDevice: "x".repeat(20) }), TypeError);
      assert.throws(() => setSocketOptions(fd, null as never), TypeError);
      assert.throws(() => getSocketOptions(-1), (e: Error) => e instanceof SyscallError && e.code === "EBADF");
    } finally {
      sys.close(fd);
    }
  });
});

for (const variant of backendVariants()) {
  describe(`TCP_INFO on ${variant.label}`, {
    skip: os !== "linux" ? "decoded on Linux only" : emulatorLimit("its getsockopt copies only an int of TCP_INFO back"),
  }, () => {
    it("reports an established connection, its RTT, and the bytes the peer acknowledged", () => {
      withBase(variant, (base) => {
        const payload = new Uint8Array(100_000).fill(7);
        let received = 0;
        let info: ReturnType<typeof tcpInfo> | null = null;
        const listener = new Listener(base, { port: 0 }, (fd, l) => {
          const served = new BufferEvent(base, fd);
          served.setCallbacks((b) => {
            received += b.read().byteLength;
            if (received === payload.byteLength) {
              b.close();
              l.close();
            }
          }, null, null);
          served.enable(EV.READ);
        });
        const client = new BufferEvent(base, -1);
        client.setCallbacks(null, (b) => {
          info = tcpInfo(b.fd);
          b.close();
        }, (b, what) => {
          if (what & BEV.CONNECTED) b.write(payload);
          else b.close();
        });
        client.connect(listener.address as { host: string; port: number });
        base.loopSync();
        assert.equal(received, payload.byteLength);
        assert.ok(info, "the write callback ran");
        const i = info as ReturnType<typeof tcpInfo>;
        assert.equal(i.state, "ESTABLISHED");
        assert.ok(i.rttMs >= 0 && i.rtoMs > 0, JSON.stringify(i, (_, v) => (typeof v === "bigint" ? String(v) : v)));
        assert.ok(i.sendMss > 0);
        assert.ok(i.bytesAcked === null || i.bytesAcked <= BigInt(payload.byteLength + 1));
      });
    });
  });
}
