// The socket module (src/net/socket.ts): listening, connecting, accepting and addresses, with real
// sockets. (The EMFILE strategy of its AcceptLoop is tested through Listener, in listener.test.ts.)
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import process from "node:process";
import { SyscallError, constants as C, formatAddress, sys } from "./deps.ts";
import { libc } from "../src/ffi/mod.ts";
import {
  acceptAll, boundPort, connectTcp, connectUnix, listenOn, listenTcp, listenUnix, localAddress, peerAddress, unlinkPath,
} from "../src/net/socket.ts";

describe("socket", () => {
  it("listenTcp, connectTcp and acceptAll: every waiting connection, non-blocking and close-on-exec", () => {
    const lfd = listenTcp(0);
    const port = boundPort(lfd);
    assert.ok(port > 0);
    assert.equal(formatAddress(localAddress(lfd)), `127.0.0.1:${port}`);
    const clients = [connectTcp(port), connectTcp(port), connectTcp(port)];
    const accepted: number[] = [];
    assert.equal(acceptAll(lfd, (fd) => accepted.push(fd)), 0);
    assert.equal(accepted.length, 3);
    for (const fd of accepted) {
      assert.notEqual(libc.fcntl(fd, C.F_GETFL, 0) & C.O_NONBLOCK, 0, "non-blocking");
      assert.notEqual(libc.fcntl(fd, C.F_GETFD, 0) & C.FD_CLOEXEC, 0, "close-on-exec");
      assert.equal(formatAddress(localAddress(fd)), `127.0.0.1:${port}`);
      assert.equal(peerAddress(fd).family, "ipv4");
    }
    assert.equal(acceptAll(lfd, () => assert.fail("nothing waits")), 0);
    for (const fd of [...clients, ...accepted, lfd]) sys.close(fd);
  });

  it("listenOn takes IPv6 and reports a port in use as EADDRINUSE naming bind", () => {
    const lfd = listenOn({ host: "::1", port: 0 }, { reuseAddr: false });
    const addr = localAddress(lfd);
    assert.equal(addr.family, "ipv6");
    assert.throws(() => listenOn({ host: "::1", port: boundPort(lfd) }, { reuseAddr: false }),
      (err: unknown) => err instanceof SyscallError && err.code === "EADDRINUSE" && err.syscall === "bind");
    assert.throws(() => listenOn({ host: "::1", port: 0 }, { backlog: -1 }), { name: "RangeError", message: /-1/ });
    sys.close(lfd);
  });

  it("listenUnix, connectUnix and unlinkPath", () => {
    const path = `${tmpdir()}/evffi-socket-${process.pid}.sock`;
    const lfd = listenUnix(path);
    const client = connectUnix(path);
    const accepted: number[] = [];
    acceptAll(lfd, (fd) => accepted.push(fd));
    assert.equal(accepted.length, 1);
    assert.equal(localAddress(lfd).family, "unix");
    assert.equal(boundPort(lfd), 0);
    assert.equal(unlinkPath(path), true);
    assert.equal(unlinkPath(path), false, "already gone");
    for (const fd of [client, ...accepted, lfd]) sys.close(fd);
  });

  it("connecting to a closed port throws SyscallError ECONNREFUSED naming connect", () => {
    const lfd = listenTcp(0);
    const port = boundPort(lfd);
    sys.close(lfd);
    assert.throws(() => connectTcp(port), (err: unknown) => err instanceof SyscallError && err.code === "ECONNREFUSED" && err.syscall === "connect");
  });
});
