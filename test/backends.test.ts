// What differs between backends (src/backends/*) behind the same contract, on every backend.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Count, EV, EVLOOP, EventBase, Feature, SyscallError, constants as C, sys } from "./deps.ts";
import { libc } from "../src/ffi/mod.ts";
import { backendVariants, emulatorLimit, pair, withBase } from "./helpers.ts";
import { checkFdOpen, msToTimespec, pollMask } from "../src/backends/helpers.ts";

const NB = EVLOOP.NONBLOCK | EVLOOP.ONCE;

for (const variant of backendVariants()) {
  describe(`backend ${variant.label}`, () => {
    const features = new EventBase(variant.options);
    const has = (f: number) => (features.features & f) === f;
    features.close();

    it("EV.CLOSED reports a peer close without reading, with and without PERSIST/ET", {
      skip: !has(Feature.EARLY_CLOSE) && `${variant.label} does not offer EARLY_CLOSE`,
    }, () => {
      for (const extra of [0, EV.PERSIST, EV.ET | EV.PERSIST]) {
        withBase(variant, (base, fds) => {
          const [a, b] = pair(fds);
          const seen: number[] = [];
          const ev = base.event(b, EV.CLOSED | extra, (_fd, what) => {
            seen.push(what);
            ev.del();
          });
          ev.add();
          sys.close(a);
          fds.splice(fds.indexOf(a), 1);
          base.loopSync();
          assert.equal(seen.length, 1);
          assert.ok(seen[0] & EV.CLOSED, `what=${seen[0]} extra=${extra}`);
        });
      }
    });

    it("edge-triggered fires once for unread data where level-triggered fires every time", {
      skip: !has(Feature.ET) && `${variant.label} does not offer ET`,
    }, () => {
      withBase(variant, (base, fds) => {
        const [a, b] = pair(fds);
        const [c, d] = pair(fds);
        let et = 0, lt = 0;
        base.event(b, EV.READ | EV.ET | EV.PERSIST, (_f, what) => {
          assert.ok(what & EV.ET, "an ET event sees EV.ET");
          et++;
        }).add();
        base.event(d, EV.READ | EV.PERSIST, (_f, what) => {
          assert.equal(what & EV.ET, 0, "a level-triggered event never sees EV.ET");
          lt++;
        }).add();
        sys.write(a, "x");
        sys.write(c, "x");
        base.loopSync(NB);
        base.loopSync(NB);
        assert.equal(et, 1);
        assert.equal(lt, 2);
      });
    });

    it("deleting one ET event on an fd keeps ET for the others", {
      skip: !has(Feature.ET) && `${variant.label} does not offer ET`,
    }, () => {
      withBase(variant, (base, fds) => {
        const [a, b] = pair(fds);
        let kept = 0;
        base.event(b, EV.READ | EV.ET | EV.PERSIST, () => void kept++).add();
        const writer = base.event(b, EV.WRITE | EV.ET | EV.PERSIST, () => {}).add();
        sys.write(a, "x");
        base.loopSync(NB);
        assert.equal(kept, 1);
        // Dropping the last writer changes the kernel registration (EPOLL_CTL_MOD), which
        // re-arms the edge once; level-triggered would report the unread byte on every pass.
        writer.del();
        for (let i = 0; i < 4; i++) base.loopSync(NB);
        assert.ok(kept <= 2, `still edge-triggered after the delete: ${kept} reports`);
      });
    });

    it("an fd closed under its event, then deleted, leaves the base working", () => {
      withBase(variant, (base, fds) => {
        const [, b] = pair(fds);
        const [c, d] = pair(fds);
        const doomed = base.event(b, EV.READ | EV.PERSIST, () => assert.fail("a closed fd must not fire")).add();
        let fired = 0;
        base.event(d, EV.READ, () => void fired++).add();
        // Closing drops the kernel's registration (epoll, kqueue) or leaves a stale one (poll,
        // select); the delete that follows must be accepted either way (EBADF is ignored).
        sys.close(b);
        fds.splice(fds.indexOf(b), 1);
        doomed.del();
        sys.write(c, "x");
        base.loopSync(NB);
        assert.equal(fired, 1);
        assert.equal(base.count(Count.ADDED), 0);
      });
    });

    it("an fd deleted, closed and reused by a new socket between two dispatches is watched again", () => {
      withBase(variant, (base, fds) => {
        const [a, b] = pair(fds);
        let oldFired = 0;
        const old = base.event(b, EV.READ | EV.PERSIST, () => void oldFired++).add();
        base.loopSync(NB); // the kernel now watches b
        old.del();
        // The same fd number, now a different socket, before the next dispatch: a changelist that
        // saw "delete then add the same bits" must still tell the kernel, which forgot the fd.
        sys.close(a);
        sys.close(b);
        fds.length = 0;
        const [c, d] = pair(fds);
        const reused = c === b ? c : d === b ? d : -1;
        assert.notEqual(reused, -1, "the kernel hands out the lowest free fd numbers");
        const peer = reused === c ? d : c;
        let fired = 0;
        base.event(reused, EV.READ, () => void fired++).add();
        sys.write(peer, "x");
        base.loopSync();
        assert.equal(fired, 1);
        assert.equal(oldFired, 0);
      });
    });

    it("a dup()ed fd is watched independently of the original", () => {
      withBase(variant, (base, fds) => {
        const [a, b] = pair(fds);
        const b2 = sys.dup(b);
        fds.push(b2);
        const seen: number[] = [];
        base.event(b, EV.READ, (fd) => void seen.push(fd)).add();
        base.event(b2, EV.READ, (fd) => void seen.push(fd)).add();
        sys.write(a, "x");
        base.loopSync();
        assert.deepEqual(seen.sort(), [b, b2].sort());
      });
    });

    it("70 fds ready at once are all reported (the results array grows)", () => {
      withBase(variant, (base, fds) => {
        let ready = 0;
        for (let i = 0; i < 70; i++) {
          const [a, b] = pair(fds);
          base.event(b, EV.READ, () => void ready++).add();
          sys.write(a, "x");
        }
        base.loopSync(NB);
        base.loopSync(NB);
        assert.equal(ready, 70);
      });
    });
  });
}

describe("backend specifics", () => {
  it("poll: an fd closed while pending is reported READ|WRITE (POLLNVAL), then deleted cleanly", () => {
    withBase({ label: "poll", options: { method: "poll", ignoreEnv: true } }, (base) => {
      const [a, b] = sys.socketpair();
      let what = 0;
      const ev = base.event(b, EV.READ | EV.WRITE | EV.PERSIST, (_f, w) => {
        what = w;
        ev.del();
      });
      ev.add();
      sys.close(b);
      base.loopSync();
      assert.equal(what, EV.READ | EV.WRITE);
      sys.close(a);
    });
  });

  it("select: fds above 1024 work", { skip: emulatorLimit("its select aborts on an fd above 1024 (bit out of range 0 - FD_SETSIZE)") }, () => {
    const limit = sys.raiseFdLimit(1200);
    if (limit < 1100) return; // the hard limit does not allow it here
    withBase({ label: "select", options: { method: "select", ignoreEnv: true } }, (base, fds) => {
      const [a, b] = pair(fds);
      const high = libc.fcntl(b, 1030 /* F_DUPFD_CLOEXEC */, 1050);
      assert.ok(high >= 1050, `dup above 1024 gave ${high}`);
      fds.push(high);
      let got = -1;
      base.event(high, EV.READ, (fd) => void (got = fd)).add();
      sys.write(a, "x");
      base.loopSync();
      assert.equal(got, high);
    });
  });
});

describe("backend helpers", () => {
  it("msToTimespec writes seconds (two words) and nanoseconds, rounding to the nanosecond", () => {
    const words = new Uint32Array(6).fill(0xffffffff);
    msToTimespec(words, 2, 2500.0000004);
    assert.deepEqual([...words], [0xffffffff, 0xffffffff, 2, 0, 500_000_000, 0]);
    msToTimespec(words, 0, 5_000_000_000 + 1.5); // 58 days: nanoseconds still exact in a double
    assert.deepEqual([...words.subarray(0, 4)], [5_000_000, 0, 1_500_000, 0]);
    msToTimespec(words, 0, 2 ** 33 * 1000); // seconds past 32 bits go to the high word
    assert.deepEqual([...words.subarray(0, 4)], [0, 2, 0, 0]);
    msToTimespec(words, 0, -5);
    assert.deepEqual([...words.subarray(0, 4)], [0, 0, 0, 0]);
  });

  it("checkFdOpen passes an open fd and throws SyscallError EBADF for a closed one", () => {
    const [a, b] = sys.socketpair();
    checkFdOpen(a);
    sys.close(a);
    sys.close(b);
    assert.throws(() => checkFdOpen(a), (err: unknown) => err instanceof SyscallError && err.code === "EBADF" && err.syscall === "fcntl");
  });

  it("pollMask maps READ, WRITE and CLOSED and ignores ET", () => {
    assert.equal(pollMask(EV.READ | EV.WRITE | EV.CLOSED | EV.ET), C.POLLIN | C.POLLOUT | C.POLLRDHUP);
    assert.equal(pollMask(0), 0);
  });
});
