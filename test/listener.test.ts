// Listener and socket addresses, with real sockets on every backend.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EV, SyscallError, constants as C, sys } from "./deps.ts";
import { constants as K, libc, u64arg } from "../src/ffi/mod.ts";
import { Listener, localAddress, peerAddress } from "../src/net/listener.ts";
import { decodeAddress, encodeAddress, formatAddress, resolveAddress } from "../src/ffi/sockaddr.ts";
import { backendVariants, withBase } from "./helpers.ts";

function getFdLimitRaw(): [bigint, bigint] {
  const r = new BigUint64Array(2);
  assert.equal(libc.getrlimit(K.RLIMIT_NOFILE, new Uint8Array(r.buffer)), 0);
  return [r[0], r[1]];
}

function setFdSoftLimit(soft: bigint, hard: bigint): void {
  const r = new BigUint64Array([soft, hard]);
  assert.equal(libc.setrlimit(K.RLIMIT_NOFILE, new Uint8Array(r.buffer)), 0);
}

/** A blocking-style connect for tests: returns a connected non-blocking fd (loopback completes at once or soon). */
function connectTcp(port: number, host = "127.0.0.1"): number {
  const addr = resolveAddress({ host, port });
  const fd = sys.streamSocket(addr.family === "ipv4" ? C.AF_INET : C.AF_INET6);
  const { bytes, length } = encodeAddress(addr);
  libc.connect(fd, bytes, length); // EINPROGRESS is fine: the listener sees the connection anyway
  return fd;
}

describe("sockaddr", () => {
  it("encodes and decodes IPv4, IPv6 and Unix addresses", () => {
    for (const spec of [{ host: "127.0.0.1", port: 8080 }, { host: "::1", port: 443 }, { host: "fe80::1:2", port: 1 }, { path: "/tmp/evffi.sock" }]) {
      const addr = resolveAddress(spec);
      const { bytes, length } = encodeAddress(addr);
      const back = decodeAddress(bytes, length);
      assert.equal(formatAddress(back), formatAddress(addr));
    }
  });
  it("rejects names it cannot resolve and bad ports, naming the value", () => {
    assert.throws(() => resolveAddress({ host: "example.com", port: 80 }), { name: "TypeError", message: /example\.com/ });
    assert.throws(() => resolveAddress({ host: "127.0.0.1", port: 70000 }), { name: "RangeError", message: /70000/ });
    assert.throws(() => resolveAddress({ path: "x".repeat(200) }), RangeError);
  });
});

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
        libc.unlink(sys.cstring(path));
      });
    });

    it("EMFILE: sheds the connection through its spare fd and does not spin", () => {
      withBase(variant, (base, fds) => {
        const errors: string[] = [];
        let accepted = 0;
        const listener = new Listener(base, { host: "127.0.0.1", port: 0 }, (fd) => {
          accepted++;
          fds.push(fd);
        }).onError((err) => errors.push(err.code));
        const port = (listener.address as { port: number }).port;
        const client = connectTcp(port);
        fds.push(client);
        // Lower the soft descriptor limit a little above what is open, then use up the rest.
        const [soft, hard] = getFdLimitRaw();
        const probe = libc.dup(client);
        libc.close(probe);
        setFdSoftLimit(BigInt(probe + 16), hard);
        const hog: number[] = [];
        try {
          for (let fd = libc.dup(client); fd !== -1; fd = libc.dup(client)) hog.push(fd);
          let iterations = 0;
          base.timer(50, () => base.loopBreak());
          base.event(-1, EV.PERSIST, () => void iterations++).add(5);
          base.loopSync();
          assert.ok(errors.includes("EMFILE"), `errors: ${errors}`);
          assert.equal(accepted, 0);
          assert.ok(iterations < 100, "the loop slept instead of spinning on the readable listener");
        } finally {
          for (const fd of hog) libc.close(fd);
          setFdSoftLimit(soft, hard);
          listener.close();
        }
        // The shed connection was closed cleanly: the client reads EOF.
        const buf = new Uint8Array(4);
        assert.equal(libc.read(client, buf, u64arg(4)), 0);
      });
    });
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
