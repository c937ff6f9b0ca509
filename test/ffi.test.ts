// The FFI layer against the real kernel: fds, errno, SyscallError, SCM_RIGHTS.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  Errno, NotAvailableError, ScmRights, StableBuffer, SyscallError, type U64Arg, constants as C, errnoCell, errnoName, hasSymbol, libc,
  openLibrary, os, portable, sys, u64arg,
} from "../src/ffi/mod.ts";
import { fcntlSpecFor } from "../src/ffi/libc.ts";
import { emulatorLimit } from "./helpers.ts";

const text = (b: Uint8Array | null) => new TextDecoder().decode(b ?? new Uint8Array());

describe("ffi: file descriptors", () => {
  it("round-trips bytes through a socketpair both ways", () => {
    const [a, b] = sys.socketpair();
    try {
      assert.equal(sys.write(a, "ping"), 4);
      assert.equal(text(sys.read(b, 16)), "ping");
      assert.equal(sys.write(b, "pong!"), 5);
      assert.equal(text(sys.read(a, 16)), "pong!");
      assert.equal(sys.read(a, 16), null, "a drained non-blocking socket reads as EAGAIN (null)");
      sys.close(b);
      assert.equal(sys.read(a, 16)?.byteLength, 0, "EOF after the peer closes");
    } finally {
      sys.closeQuietly(a);
    }
  });

  it("pipe2 gives a working non-blocking pipe", () => {
    const [r, w] = sys.pipe();
    try {
      assert.equal(sys.read(r), null);
      sys.write(w, "through the pipe");
      assert.equal(text(sys.read(r)), "through the pipe");
    } finally {
      sys.close(r);
      sys.close(w);
    }
  });

  it("eventfd adds up writes and resets on read", { skip: !hasSymbol("eventfd") && "no eventfd (Linux only, and left unbound by EVFFI_PORTABLE)" }, () => {
    const fd = sys.eventfd();
    try {
      assert.equal(sys.eventfdRead(fd), 0);
      sys.eventfdWrite(fd, 2);
      sys.eventfdWrite(fd, 5);
      assert.equal(sys.eventfdRead(fd), 7);
      assert.equal(sys.eventfdRead(fd), 0);
    } finally {
      sys.close(fd);
    }
  });

  it("raw read/write with a 64-bit count argument", () => {
    const [a, b] = sys.socketpair();
    try {
      const out = new Uint8Array([1, 2, 3, 4, 5]);
      assert.equal(libc.write(a, out, u64arg(5)), 5);
      const into = new Uint8Array(8);
      assert.equal(libc.read(b, into, u64arg(8)), 5);
      assert.deepEqual([...into.subarray(0, 5)], [1, 2, 3, 4, 5]);
    } finally {
      sys.close(a);
      sys.close(b);
    }
  });
});

describe("ffi: errno", () => {
  it("reads errno per call with no mismatch over 100,000 interleaved EBADF/ESRCH failures", () => {
    let mismatches = 0;
    for (let i = 0; i < 100_000; i++) {
      if (libc.close(-1) !== -1 || errnoCell[0] !== Errno.EBADF) mismatches++;
      if (libc.kill(0x7ffffff0, 0) !== -1 || errnoCell[0] !== Errno.ESRCH) mismatches++;
    }
    assert.equal(mismatches, 0);
  });

  it("names errno values", () => {
    assert.equal(errnoName(Errno.EBADF), "EBADF");
    assert.equal(errnoName(Errno.EAGAIN), "EAGAIN");
    assert.equal(errnoName(9999), "E9999");
  });

  it("SyscallError carries errno, code, syscall and arguments in a readable message", () => {
    let caught: unknown;
    try {
      sys.close(-1);
    } catch (e) {
      caught = e;
    }
    assert.ok(caught instanceof SyscallError);
    assert.equal(caught.errno, Errno.EBADF);
    assert.equal(caught.code, "EBADF");
    assert.equal(caught.syscall, "close");
    assert.deepEqual(caught.args, [-1]);
    assert.match(caught.message, /^close\(-1\) failed: EBADF \(Bad file descriptor\)$/);
  });

  it("rejects a non-integer fd with a TypeError naming the value", () => {
    assert.throws(() => sys.close("3" as unknown as number), { name: "TypeError", message: /"3"/ });
  });
});

describe("ffi: optional symbols", () => {
  it("an absent symbol throws NotAvailableError instead of failing the load", () => {
    const lib = openLibrary<{ abs(n: number): number; evffi_no_such_symbol(): number }>(
      os === "linux" ? "libc.so.6" : "/usr/lib/libSystem.B.dylib",
      { abs: { args: ["i32"], result: "i32" }, evffi_no_such_symbol: { args: [], result: "i32", optional: true } },
    );
    try {
      assert.equal(lib.symbols.abs(-7), 7);
      assert.ok(lib.missing.has("evffi_no_such_symbol"));
      assert.throws(() => lib.symbols.evffi_no_such_symbol(), NotAvailableError);
      assert.throws(() => lib.symbols.evffi_no_such_symbol(), /not available on this platform/);
    } finally {
      lib.close();
    }
  });

  it("binds one C function twice under two names with other types (a spec's symbol)", () => {
    const lib = openLibrary<{ strnlen(s: Uint8Array, n: U64Arg): number; strnlenAt(s: U64Arg, n: U64Arg): number; gone(): number }>(
      os === "linux" ? "libc.so.6" : "/usr/lib/libSystem.B.dylib",
      {
        strnlen: { args: ["buf", "u64"], result: "i32" },
        strnlenAt: { symbol: "strnlen", args: ["u64", "u64"], result: "i32" },
        gone: { symbol: "evffi_no_such_symbol", args: [], result: "i32", optional: true },
      },
    );
    try {
      const text = new StableBuffer(16);
      text.bytes.set(new TextEncoder().encode("hello"));
      assert.equal(lib.symbols.strnlen(text.bytes, u64arg(16)), 5);
      assert.equal(lib.symbols.strnlenAt(u64arg(Number(text.address) + 1), u64arg(16)), 4, "by address, one byte in");
      assert.ok(lib.missing.has("gone"));
      assert.throws(() => lib.symbols.gone(), NotAvailableError);
    } finally {
      lib.close();
    }
    assert.throws(() => openLibrary(os === "linux" ? "libc.so.6" : "/usr/lib/libSystem.B.dylib", {
      missing: { symbol: "evffi_no_such_symbol", args: [], result: "i32" },
    }), /cannot open a native library/, "a required alias that is absent fails the load");
  });

  it("libc.recvAt/sendAt move bytes by address", () => {
    const [a, b] = sys.socketpair();
    try {
      const out = new StableBuffer(8), into = new StableBuffer(8);
      out.bytes.set([1, 2, 3, 4, 5, 6, 7, 8]);
      assert.equal(libc.sendAt(a, u64arg(Number(out.address) + 2), u64arg(4), 0), 4);
      assert.equal(libc.recvAt(b, u64arg(Number(into.address) + 1), u64arg(7), 0), 4);
      assert.deepEqual([...into.bytes], [0, 3, 4, 5, 6, 0, 0, 0]);
    } finally {
      libc.close(a);
      libc.close(b);
    }
  });

  it("reports which optional libc symbols exist", () => {
    assert.equal(hasSymbol("epoll_create1"), os === "linux");
    assert.equal(hasSymbol("no_such_symbol"), false);
  });
});

/** Asserts that every fd is non-blocking and close-on-exec, as each fd evffi makes must be. */
function assertNonBlockingCloexec(fds: number[], what: string): void {
  for (const fd of fds) {
    assert.notEqual(libc.fcntl(fd, C.F_GETFL, 0) & C.O_NONBLOCK, 0, `${what}: fd ${fd} non-blocking`);
    assert.notEqual(libc.fcntl(fd, C.F_GETFD, 0) & C.FD_CLOEXEC, 0, `${what}: fd ${fd} close-on-exec`);
  }
}

describe(`ffi: portable paths (${portable ? "forced by EVFFI_PORTABLE" : "the platform's own calls"})`, () => {
  it("socket, socketpair, pipe and fds received over SCM_RIGHTS come non-blocking and close-on-exec", () => {
    const open: number[] = [];
    try {
      const s = sys.socket(C.AF_INET, C.SOCK_STREAM);
      open.push(s);
      assertNonBlockingCloexec([s], "socket");
      const [a, b] = sys.socketpair();
      open.push(a, b);
      assertNonBlockingCloexec([a, b], "socketpair");
      const [r, w] = sys.pipe();
      open.push(r, w);
      assertNonBlockingCloexec([r, w], "pipe");
      const scm = new ScmRights({ maxFds: 1 });
      scm.send(a, [r]);
      const msg = scm.receive(b);
      assert.ok(msg);
      open.push(...msg.fds);
      assert.equal(msg.fds.length, 1);
      assert.notEqual(libc.fcntl(msg.fds[0], C.F_GETFD, 0) & C.FD_CLOEXEC, 0, "a received fd is close-on-exec");
      const blocking = sys.socketpair(C.SOCK_STREAM, { nonBlocking: false });
      open.push(...blocking);
      for (const fd of blocking) assert.equal(libc.fcntl(fd, C.F_GETFL, 0) & C.O_NONBLOCK, 0, "nonBlocking: false is honoured");
    } finally {
      for (const fd of open) sys.closeQuietly(fd);
    }
  });

  it("EVFFI_PORTABLE leaves Linux's one-call forms unbound, so only the portable paths can run", { skip: !portable && "EVFFI_PORTABLE is not set" }, () => {
    for (const symbol of ["accept4", "pipe2", "eventfd", "epoll_pwait2", "timerfd_create", "recvmmsg", "sendmmsg", "pidfd_open"]) {
      assert.equal(hasSymbol(symbol), false, symbol);
    }
    assert.throws(() => libc.pipe2(new Uint8Array(8), 0), (e: unknown) => e instanceof NotAvailableError && /EVFFI_PORTABLE/.test(e.message));
    assert.equal(hasSymbol("epoll_create1"), os === "linux", "epoll itself stays: it is a backend, not a shortcut");
  });
});

describe("ffi: variadic fcntl", () => {
  it("darwin-arm64 passes fcntl's int where Apple's variadic convention reads it: the first stack slot", () => {
    const apple = fcntlSpecFor("darwin-arm64");
    // x0 fd, x1 cmd, x2-x7 six unused 64-bit fillers; the ninth argument goes to [sp] in 8 bytes.
    assert.deepEqual(apple.args.slice(0, 2), ["i32", "i32"]);
    assert.equal(apple.args.length, 9);
    assert.ok(apple.args.slice(2).every((t) => t === "i64"), "every argument past cmd is 64-bit");
    for (const other of ["linux-x64", "linux-arm64", "darwin-x64", "freebsd-x64", "freebsd-arm64"]) {
      assert.deepEqual(fcntlSpecFor(other).args, ["i32", "i32", "i32"], other);
    }
  });

  it("this platform's fcntl sets and reads back O_NONBLOCK (the value arrives)", () => {
    const [a, b] = sys.socketpair(C.SOCK_STREAM, { nonBlocking: false });
    try {
      assert.equal(libc.fcntl(a, C.F_GETFL, 0) & C.O_NONBLOCK, 0);
      sys.setNonBlocking(a);
      assert.notEqual(libc.fcntl(a, C.F_GETFL, 0) & C.O_NONBLOCK, 0);
      sys.setNonBlocking(a, false);
      assert.equal(libc.fcntl(a, C.F_GETFL, 0) & C.O_NONBLOCK, 0);
    } finally {
      sys.close(a);
      sys.close(b);
    }
  });
});

describe("ffi: SCM_RIGHTS", () => {
  it("passes two fds in one message inside one process, and both work", () => {
    const [a, b] = sys.socketpair();
    const [r, w] = sys.pipe();
    const [x, y] = sys.socketpair();
    const scm = new ScmRights({ maxFds: 4 });
    const received: number[] = [];
    try {
      assert.equal(scm.send(a, [w, x], new TextEncoder().encode("fds")), 3);
      const msg = scm.receive(b);
      assert.ok(msg);
      received.push(...msg.fds);
      assert.equal(text(msg.data), "fds");
      assert.equal(msg.truncated, false);
      assert.equal(msg.fds.length, 2);
      assert.ok(!msg.fds.includes(w) && !msg.fds.includes(x), "received fds are new descriptors");
      sys.write(msg.fds[0], "via passed pipe");
      assert.equal(text(sys.read(r)), "via passed pipe");
      sys.write(msg.fds[1], "via passed socket");
      assert.equal(text(sys.read(y)), "via passed socket");
      assert.equal(scm.receive(b), null, "nothing more: EAGAIN");
    } finally {
      for (const fd of [a, b, r, w, x, y, ...received]) sys.closeQuietly(fd);
    }
  });

  it("detects MSG_CTRUNC when more fds arrive than the control buffer holds", {
    skip: emulatorLimit("recvmsg hands the kernel a control buffer larger than the guest's, so MSG_CTRUNC never comes"),
  }, () => {
    const [a, b] = sys.socketpair();
    const fds = [sys.pipe(), sys.pipe()].flat();
    const sender = new ScmRights({ maxFds: 4 });
    const receiver = new ScmRights({ maxFds: 1 });
    let got: number[] = [];
    try {
      sender.send(a, fds);
      const msg = receiver.receive(b);
      assert.ok(msg);
      got = msg.fds;
      assert.equal(msg.truncated, true);
      assert.ok(msg.fds.length < fds.length, `only what fits in the control buffer arrives (got ${msg.fds.length})`);
    } finally {
      for (const fd of [a, b, ...fds, ...got]) sys.closeQuietly(fd);
    }
  });

  it("rejects bad arguments with clear errors", () => {
    const scm = new ScmRights({ maxFds: 2 });
    assert.throws(() => scm.send(0, [1, 2, 3]), RangeError);
    assert.throws(() => scm.send(0, [-1]), { name: "TypeError", message: /-1/ });
    assert.throws(() => new ScmRights({ maxFds: 0 }), RangeError);
  });
});
