// fdInfo against the real kernel: sockets, pipes, eventfds, epoll sets, listening sockets.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EV, EVLOOP, EventBase, Listener, SyscallError, sys } from "./deps.ts";
import { os } from "../src/ffi/mod.ts";
import { backendVariants, pair, withBase } from "./helpers.ts";

const linux = os === "linux";

describe("fdInfo", () => {
  it("a socketpair end: a stream socket with the bytes waiting to be read", () => {
    const [a, b] = sys.socketpair();
    try {
      sys.write(a, "hello");
      const info = sys.fdInfo(b);
      assert.equal(info.fd, b);
      assert.equal(info.kind, "socket");
      assert.deepEqual(info.flags, ["O_RDWR", "O_NONBLOCK"]);
      assert.equal(info.closeOnExec, true);
      assert.equal(info.socket?.type, "stream");
      assert.equal(info.socket?.listening, false);
      if (linux) {
        assert.match(info.target, /^socket:\[\d+\]$/);
        assert.equal(info.readable, 5);
        sys.read(b, 16);
        assert.equal(sys.fdInfo(b).readable, 0);
      }
    } finally {
      sys.close(a);
      sys.close(b);
    }
  });

  it("a listening TCP socket: its address, listening, nothing queued asked", () => {
    const base = new EventBase({ ignoreEnv: true });
    const listener = new Listener(base, { host: "127.0.0.1", port: 0 }, (fd) => sys.close(fd));
    try {
      const info = sys.fdInfo(listener.fd);
      const port = listener.address.family === "ipv4" ? listener.address.port : 0;
      assert.deepEqual(info.socket, { type: "stream", local: `127.0.0.1:${port}`, peer: null, listening: true });
      assert.equal(info.unsent, undefined);
    } finally {
      listener.close();
      base.close();
    }
  });

  it("a pipe's read end, an eventfd's counter", { skip: !linux && "reads /proc (Linux)" }, () => {
    const [r, w] = sys.pipe();
    const e = sys.eventfd(0);
    try {
      sys.write(w, "abc");
      const info = sys.fdInfo(r);
      assert.equal(info.kind, "pipe");
      assert.deepEqual(info.flags, ["O_RDONLY", "O_NONBLOCK"]);
      assert.equal(info.readable, 3);
      assert.deepEqual(sys.fdInfo(w).flags, ["O_WRONLY", "O_NONBLOCK"]);
      sys.eventfdWrite(e, 7);
      assert.equal(sys.fdInfo(e).kind, "eventfd");
      assert.equal(sys.fdInfo(e).count, 7);
    } finally {
      sys.close(r);
      sys.close(w);
      sys.close(e);
    }
  });

  it("a closed fd throws EBADF; a bad fd argument names the value", () => {
    const [a, b] = sys.socketpair();
    sys.close(a);
    sys.close(b);
    assert.throws(() => sys.fdInfo(a), (e: Error) => e instanceof SyscallError && e.code === "EBADF");
    assert.throws(() => sys.fdInfo("3" as never), (e: Error) => e instanceof TypeError && /got "3" \(string\)/.test(e.message));
  });
});

// Only epoll keeps its interest in a kernel object that /proc describes.
for (const variant of backendVariants().filter((v) => v.label.startsWith("epoll") && linux)) {
  describe(`fdInfo on a base's fds (${variant.label})`, () => {
    it("an epoll set lists each watched fd with its interest", () => {
      withBase(variant, (base, fds) => {
        const [, b] = pair(fds);
        base.event(b, EV.READ | EV.ET | EV.PERSIST, () => {}).add();
        base.loopSync(EVLOOP.NONBLOCK);
        const epfd = (base.backendState as { pollableFd?: number }).pollableFd;
        assert.equal(typeof epfd, "number");
        const info = sys.fdInfo(epfd!);
        assert.equal(info.kind, "epoll");
        const entry = info.watching?.find((w) => w.fd === b);
        assert.ok(entry, JSON.stringify(info));
        assert.match(entry.events, /^EPOLLIN\|.*EPOLLET$/);
        assert.equal(entry.data, "0x" + b.toString(16));
      });
    });
  });
}

