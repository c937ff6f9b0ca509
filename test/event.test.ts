// Event and base.once(): what an event reports about itself, and what its methods accept, on every backend.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Count, EV, EVLOOP, EventBase, sys } from "./deps.ts";
import { backendVariants, pair, withBase } from "./helpers.ts";

for (const variant of backendVariants()) {
  describe(`event on ${variant.label}`, () => {
    it("fds outside a C int are refused before any call; a failed add on a huge fd leaves no trace", () => {
      withBase(variant, (base, fds) => {
        const [, b] = pair(fds);
        // 2^32 + b would reach the kernel as b on Bun: the wrong fd would be watched.
        for (const fd of [2 ** 32 + b, 2 ** 31, -2, 1.5, NaN, Infinity]) {
          assert.throws(() => base.event(fd, EV.READ, () => {}), { name: "RangeError", message: new RegExp(`got ${fd} \\(number\\)`) });
        }
        assert.throws(() => base.once(2 ** 32 + b, EV.READ, () => {}), RangeError);
        assert.equal(base.count(), 0);
        // In range but not open: the backend refuses it, and the evmap never grows to its size.
        const huge = base.event(1e8, EV.READ | EV.PERSIST, () => assert.fail("fd 1e8 is not open"));
        assert.throws(() => huge.add(), { name: "SyscallError", message: /EBADF/ });
        assert.equal(huge.pending(), 0);
        assert.equal(base.count(), 0);
        assert.ok(base.ioMap.length <= b + 1, `the fd map grew to ${base.ioMap.length}`);
        assert.equal(base.loopSync(EVLOOP.NONBLOCK), 1);
      });
    });

    it("once: fd readiness or timeout, and a zero timeout without touching the timer heap", () => {
      withBase(variant, (base, fds) => {
        const [a, b] = pair(fds);
        const order: string[] = [];
        base.once(b, EV.READ, (_fd, what) => void order.push(`fd:${what}`), 10_000);
        base.once(-1, EV.TIMEOUT, (_fd, what) => void order.push(`now:${what}`));
        assert.equal(base.count(Count.ACTIVE), 1, "the zero-timeout once is active at once");
        assert.doesNotMatch(base.dump().split("Active events:")[0], /timer: TIMEOUT timeout in 0\.000/);
        base.loopSync(EVLOOP.ONCE);
        assert.deepEqual(order, [`now:${EV.TIMEOUT}`]);
        // Added only now: on a loaded machine a short timer added before the first iteration
        // could already be due in it.
        base.once(-1, EV.TIMEOUT, (_fd, what) => void order.push(`timer:${what}`), 5);
        sys.write(a, "x");
        base.loopSync();
        assert.deepEqual(order.sort(), [`fd:${EV.READ}`, `now:${EV.TIMEOUT}`, `timer:${EV.TIMEOUT}`].sort());
      });
    });

    it("pending reports what an event waits for and the time left", () => {
      withBase(variant, (base, fds) => {
        const [a] = pair(fds);
        const ev = base.event(a, EV.READ | EV.PERSIST, () => {});
        assert.equal(ev.pending(), 0);
        assert.equal(ev.timeLeft(), null);
        ev.add(5000);
        assert.equal(ev.pending(EV.READ | EV.WRITE | EV.TIMEOUT), EV.READ | EV.TIMEOUT);
        assert.equal(ev.pending(EV.WRITE), 0);
        const left = ev.timeLeft()!;
        assert.ok(left > 4000 && left <= 5000, `time left ${left}`);
        ev.removeTimer();
        assert.equal(ev.pending(), EV.READ, "removing only the timer keeps the fd interest");
        ev.active(EV.WRITE);
        assert.equal(ev.pending(EV.WRITE), EV.WRITE, "active bits are reported");
        ev.del();
        assert.equal(ev.pending(), 0);
      });
    });
  });
}

describe("event: bad input", () => {
  const base = new EventBase();
  it("rejects unknown flags, bad fds, EV.SIGNAL with I/O and bad timeouts", () => {
    assert.throws(() => base.event(0, 0x1000, () => {}), RangeError);
    assert.throws(() => base.event(-2, EV.READ, () => {}), RangeError);
    assert.throws(() => base.event(-1, EV.READ, () => {}), RangeError);
    assert.throws(() => base.event(2, EV.SIGNAL | EV.READ, () => {}), /SIGNAL cannot be combined/);
    assert.throws(() => base.event(0, EV.READ, "nope" as unknown as () => void), TypeError);
    assert.throws(() => base.event("3" as unknown as number, EV.READ, () => {}), { name: "TypeError", message: /"3" \(string\)/ });
    const t = base.event(-1, 0, () => {});
    assert.throws(() => t.add(-1), { name: "RangeError", message: /-1/ });
    assert.throws(() => t.add(NaN), { name: "RangeError", message: /NaN/ });
    assert.throws(() => t.add(Infinity), RangeError);
    assert.throws(() => t.add("10" as unknown as number), TypeError);
    assert.throws(() => base.loopSync(0x80), RangeError);
    assert.throws(() => new EventBase({ priorities: 0 }), RangeError);
    assert.throws(() => new EventBase({ priorities: 257 }), RangeError);
    assert.throws(() => (t.priority = 5), RangeError);
  });

  it("a closed event and a closed base throw when used", () => {
    const b2 = new EventBase();
    const ev = b2.event(-1, 0, () => {});
    ev.close();
    assert.throws(() => ev.add(10), /closed/);
    const ev2 = b2.event(-1, 0, () => {}).add(10);
    b2.close();
    assert.throws(() => ev2.add(10), /closed/);
    assert.throws(() => b2.loopSync(), /closed/);
    assert.throws(() => b2.event(-1, 0, () => {}), /closed/);
  });
  it("closes", () => base.close());
});
