// Listener and socket addresses, with real sockets on every backend.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EVLOOP, SyscallError, constants as C, sys } from "./deps.ts";
import { libc } from "../src/ffi/mod.ts";
import { cstring } from "../src/ffi/sys.ts";
import { Listener, localAddress, peerAddress } from "../src/net/listener.ts";
import { encodeAddress, formatAddress, resolveAddress } from "../src/ffi/sockaddr.ts";
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

    it("listens on a host name the hosts file knows (localhost: the loopback address); refuses one it does not, naming both", () => {
      withBase(variant, (base, fds) => {
        let accepted = 0;
        const l = new Listener(base, { host: "localhost", port: 0 }, (fd) => {
          fds.push(fd);
          accepted++;
          l.close();
        });
        assert.deepEqual({ ...l.address, port: 0 }, { family: "ipv4", host: "127.0.0.1", port: 0 });
        fds.push(connectTcp((l.address as { port: number }).port));
        base.loopSync();
        assert.equal(accepted, 1);
        const events = base.count();
        assert.throws(() => new Listener(base, { host: "no-such-host.invalid", port: 0 }, () => {}), {
          name: "TypeError", message: /"no-such-host\.invalid" is not in \/etc\/hosts.*Resolver/,
        });
        assert.equal(base.count(), events, "nothing left behind by the refused name");
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

describe("Listener.fromFd: a socket that already listens", () => {
  it("takes an inherited listening socket and refuses anything else by name", () => {
    withBase(backendVariants()[0]!, (base) => {
      const listening = sys.streamSocket(C.AF_INET);
      const { bytes, length } = encodeAddress(resolveAddress({ host: "127.0.0.1", port: 0 }));
      assert.equal(libc.bind(listening, bytes, length), 0);
      assert.equal(libc.listen(listening, 8), 0);
      let accepted = 0;
      const listener = Listener.fromFd(base, listening, (fd, l) => {
        accepted++;
        sys.close(fd);
        l.close();
      });
      const client = connectTcp((listener.address as { port: number }).port);
      base.loopSync();
      sys.close(client);
      assert.equal(accepted, 1);
      assert.ok(listener.closed);

      const unbound = sys.streamSocket(C.AF_INET);
      const udp = sys.socket(C.AF_INET, C.SOCK_DGRAM);
      const [r, w] = sys.pipe();
      try {
        assert.throws(() => Listener.fromFd(base, unbound, () => {}), /stream socket that is not listening/);
        assert.throws(() => Listener.fromFd(base, udp, () => {}), /datagram socket that is not listening/);
        assert.throws(() => Listener.fromFd(base, r, () => {}), /is not a socket/);
        assert.throws(() => Listener.fromFd(base, -5, () => {}), TypeError);
        assert.equal(base.count(), 0, "nothing was registered");
      } finally {
        for (const fd of [unbound, udp, r, w]) sys.close(fd);
      }
    });
  });
});
