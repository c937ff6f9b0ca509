// Trace mode against the real kernel: every libc call decoded, errno kept, nothing left wrapped.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { libc, sys, trace, tracing } from "../src/ffi/mod.ts";
import { EV, EVLOOP, supportedMethods } from "./deps.ts";
import { backendVariants, pair, runChild, withBase } from "./helpers.ts";

/** Runs `fn` with tracing into an array (filtered by `filter`), and always turns tracing off. */
function traced(filter: string | undefined, fn: () => void): string[] {
  const lines: string[] = [];
  trace(filter === undefined ? (line) => lines.push(line) : { filter, callback: (line) => lines.push(line) });
  try {
    fn();
  } finally {
    trace(false);
  }
  return lines.map((l) => l.replace(/ {2}<[0-9.]+ µs>$/, ""));
}

describe("trace: decoding", () => {
  it("names socket flags, shows the fds a socketpair made, quotes the bytes written and read", () => {
    let fds: [number, number] = [-1, -1];
    const lines = traced(undefined, () => {
      fds = sys.socketpair();
      sys.write(fds[0], "hi\n");
      sys.read(fds[1], 16);
    });
    const [a, b] = fds;
    try {
      assert.deepEqual(lines, [
        `socketpair(AF_UNIX, SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC, 0, [${a}, ${b}]) = 0`,
        `write(${a}, "hi\\n", 3) = 3`,
        `read(${b}, "hi\\n", 16) = 3`,
      ]);
    } finally {
      sys.close(a);
      sys.close(b);
    }
  });

  it("keeps errno for the caller: a drained socket still reads as EAGAIN (null) and the line names it", () => {
    const [a, b] = sys.socketpair();
    try {
      let got: Uint8Array | null = new Uint8Array(1);
      const lines = traced("read", () => {
        got = sys.read(b, 8);
      });
      assert.equal(got, null);
      assert.deepEqual(lines, [`read(${b}, ..., 8) = -1 EAGAIN`]);
    } finally {
      sys.close(a);
      sys.close(b);
    }
  });

  it("a filter traces only the calls it names; SHUT_* by name", () => {
    const [a, b] = sys.socketpair();
    try {
      const lines = traced("shutdown", () => {
        sys.write(a, "x");
        sys.shutdown(a, "write");
      });
      assert.deepEqual(lines, [`shutdown(${a}, SHUT_WR) = 0`]);
    } finally {
      sys.close(a);
      sys.close(b);
    }
  });

  it("turning tracing off puts the bound symbols back", () => {
    const before = libc.read;
    trace(true);
    assert.equal(tracing(), true);
    assert.notEqual(libc.read, before);
    trace(false);
    assert.equal(tracing(), false);
    assert.equal(libc.read, before);
  });

  it("rejects an unknown name in a filter, listing the known ones, and a bad setting by value and type", () => {
    assert.throws(() => trace("epoll_ctl,bogus"), (e: Error) => e instanceof RangeError && /"bogus".*known: .*epoll_ctl/.test(e.message));
    assert.throws(() => trace(3 as unknown as boolean), (e: Error) => e instanceof TypeError && /got 3 \(number\)/.test(e.message));
    assert.equal(tracing(), false);
  });
});

for (const variant of backendVariants()) {
  describe(`trace: an event loop (${variant.label})`, () => {
    it("shows the wait that reported the readable fd", () => {
      withBase(variant, (base, fds) => {
        const [a, b] = pair(fds);
        let seen = 0;
        const ev = base.event(b, EV.READ, (fd) => {
          seen++;
          sys.read(fd, 16);
        });
        ev.add();
        sys.write(a, "ping");
        const lines = traced(undefined, () => base.loopSync());
        assert.equal(seen, 1);
        const wait = lines.find((l) => /^(epoll_wait|epoll_pwait2|poll|select|kevent)\(/.test(l));
        assert.ok(wait, `a wait call in ${JSON.stringify(lines)}`);
        if (wait.startsWith("epoll")) assert.match(wait, new RegExp(`\\[\\{fd=${b}, EPOLLIN\\}\\]`));
        if (wait.startsWith("poll")) assert.match(wait, new RegExp(`\\{fd=${b}, events=POLLIN[^}]*, revents=POLLIN\\}`));
        if (wait.startsWith("select")) assert.match(wait, new RegExp(`\\[[0-9 ]*\\b${b}\\b[0-9 ]*\\]`));
        assert.ok(lines.includes(`read(${b}, "ping", 16) = 4`), JSON.stringify(lines));
      });
    });
  });
}

describe("trace: epoll interest", { skip: !supportedMethods().includes("epoll") && "no epoll here" }, () => {
  it("a base's epoll_ctl calls show the interest by name", () => {
    withBase({ label: "epoll", options: { method: "epoll", ignoreEnv: true } }, (base, fds) => {
      const [, b] = pair(fds);
      const lines = traced("epoll_ctl", () => {
        base.event(b, EV.READ | EV.WRITE | EV.ET | EV.PERSIST, () => {}).add();
        base.loopSync(EVLOOP.NONBLOCK);
      });
      assert.ok(lines.includes(`epoll_ctl(${lines[0]?.match(/^epoll_ctl\((\d+)/)?.[1]}, EPOLL_CTL_ADD, ${b}, {EPOLLIN|EPOLLOUT|EPOLLET, data=${b}}) = 0`), JSON.stringify(lines));
    });
  });
});

describe("trace: EVFFI_TRACE", () => {
  it("names the calls to trace from the environment, to stderr", () => {
    const r = runChild("trace-env.ts", [], 20_000, { EVFFI_TRACE: "socketpair,close" });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stderr.trim().split("\n").map((l) => l.replace(/ {2}<[0-9.]+ µs>$/, ""));
    const [a, b] = JSON.parse(r.stdout) as [number, number];
    assert.deepEqual(lines, [
      `socketpair(AF_UNIX, SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC, 0, [${a}, ${b}]) = 0`,
      `close(${a}) = 0`,
      `close(${b}) = 0`,
    ]);
  });
});
