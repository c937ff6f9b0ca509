// The evmap: events on fds (per-bit counts, only 0<->1 transitions reach the backend), on every backend.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EV, EVLOOP, Event, EventBase, SyscallError, sys } from "./deps.ts";
import { backendVariants, pair, withBase } from "./helpers.ts";

const NB = EVLOOP.NONBLOCK;

for (const variant of backendVariants()) {
  describe(`evmap on ${variant.label}`, () => {
    it("simple read: a non-persistent READ event fires once with EV.READ and is then deleted", () => {
      withBase(variant, (base, fds) => {
        const [a, b] = pair(fds);
        const seen: number[] = [];
        const ev = base.event(b, EV.READ, (fd, what) => {
          assert.equal(fd, b);
          seen.push(what);
          sys.read(fd, 64);
        });
        ev.add();
        sys.write(a, "x");
        assert.equal(base.loopSync(), 1, "no events left after the one-shot ran");
        assert.deepEqual(seen, [EV.READ]);
        assert.equal(ev.pending(), 0);
      });
    });

    it("simple write: a WRITE event on a fresh socket fires", () => {
      withBase(variant, (base, fds) => {
        const [a] = pair(fds);
        let what = 0;
        base.event(a, EV.WRITE, (_fd, w) => {
          what = w;
        }).add();
        base.loopSync();
        assert.equal(what, EV.WRITE);
      });
    });

    it("multiple events on one fd: each callback sees only the bits it registered", () => {
      withBase(variant, (base, fds) => {
        const [a, b] = pair(fds);
        const got: Record<string, number> = {};
        base.event(a, EV.READ, (_f, w) => void (got.read1 = w)).add();
        base.event(a, EV.READ, (_f, w) => void (got.read2 = w)).add();
        base.event(a, EV.WRITE, (_f, w) => void (got.write = w)).add();
        sys.write(b, "data");
        base.loopSync();
        assert.deepEqual(got, { read1: EV.READ, read2: EV.READ, write: EV.WRITE });
      });
    });

    it("an fd going from one event to three and back dispatches exactly the events it has", () => {
      withBase(variant, (base, fds) => {
        const [a, b] = pair(fds);
        sys.write(b, "data"); // stays unread: every READ event on a fires on every iteration
        const fired: string[] = [];
        const make = (name: string) => base.event(a, EV.READ | EV.PERSIST, () => void fired.push(name));
        const round = () => {
          fired.length = 0;
          base.loopSync(EVLOOP.ONCE);
          base.checkIntegrity();
          return [...fired].sort();
        };
        const first = make("first").add();
        assert.deepEqual(round(), ["first"]);
        const second = make("second").add();
        const third = make("third").add();
        assert.deepEqual(round(), ["first", "second", "third"]);
        first.del();
        third.del();
        assert.deepEqual(round(), ["second"], "the one left is found alone");
        second.del();
        first.add();
        assert.deepEqual(round(), ["first"]);
        first.del();
        assert.equal(base.loopSync(EVLOOP.NONBLOCK), 1, "no events left");
        for (const ev of [first, second, third]) ev.close();
      });
    });

    it("persistent: a PERSIST event keeps firing until deleted", () => {
      withBase(variant, (base, fds) => {
        const [a, b] = pair(fds);
        let calls = 0;
        const ev = base.event(b, EV.READ | EV.PERSIST, (fd) => {
          sys.read(fd, 64);
          if (++calls < 5) sys.write(a, "again");
          else ev.del();
        });
        ev.add();
        sys.write(a, "first");
        assert.equal(base.loopSync(), 1);
        assert.equal(calls, 5);
      });
    });

    it("combined: a reader and a writer on a pair move a fixed byte count", () => {
      withBase(variant, (base, fds) => {
        const [a, b] = pair(fds);
        let toWrite = 4096, received = 0;
        const chunk = new Uint8Array(512).fill(7);
        const writer = base.event(a, EV.WRITE | EV.PERSIST, () => {
          const n = sys.write(a, chunk.subarray(0, Math.min(chunk.length, toWrite)));
          if (n !== null) toWrite -= n;
          if (toWrite === 0) writer.del();
        });
        const reader = base.event(b, EV.READ | EV.PERSIST, () => {
          const got = sys.read(b, 1024);
          if (got) received += got.byteLength;
          if (received === 4096) reader.del();
        });
        writer.add();
        reader.add();
        assert.equal(base.loopSync(), 1);
        assert.equal(received, 4096);
      });
    });

    it("nonpersist readd: a one-shot event re-added from its callback fires again", () => {
      withBase(variant, (base, fds) => {
        const [a, b] = pair(fds);
        let calls = 0;
        const ev: Event = base.event(b, EV.READ, () => {
          sys.read(b, 64);
          if (++calls < 3) {
            sys.write(a, "more");
            ev.add();
          }
        });
        ev.add();
        sys.write(a, "go");
        base.loopSync();
        assert.equal(calls, 3);
      });
    });

    it("want only once: a one-shot event is not called again while its data stays unread", () => {
      withBase(variant, (base, fds) => {
        const [a, b] = pair(fds);
        let calls = 0;
        base.event(b, EV.READ, () => void calls++).add();
        sys.write(a, "unread");
        base.loopSync(NB);
        base.loopSync(NB);
        assert.equal(calls, 1);
      });
    });

    it("a closed fd fails at add with EBADF and leaves the base unchanged", {
      skip: variant.options.epollChangelist || variant.label.includes("changelist") ? "the changelist defers epoll_ctl (and its EBADF) to dispatch" : false,
    }, () => {
      withBase(variant, (base) => {
        const [a, b] = sys.socketpair();
        sys.close(a);
        sys.close(b);
        const ev = base.event(a, EV.READ, () => {});
        const before = base.count();
        assert.throws(() => ev.add(), (err: unknown) => err instanceof SyscallError && err.code === "EBADF");
        assert.equal(base.count(), before);
        assert.equal(ev.pending(), 0);
      });
    });
  });
}

describe("evmap: bad input", () => {
  const base = new EventBase();
  it("refuses to mix edge- and level-triggered events on one fd", () => {
    const [a, b] = sys.socketpair();
    try {
      const b2 = new EventBase();
      b2.event(a, EV.READ | EV.ET, () => {}).add();
      assert.throws(() => b2.event(a, EV.WRITE, () => {}).add(), /mix edge-triggered/);
      b2.close();
    } finally {
      sys.close(a);
      sys.close(b);
    }
  });

  it("closes", () => base.close());
});
