// Timers: the heap, persistent re-arming without drift, common timeouts and the time cache, on every backend.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Count, EV, sys } from "./deps.ts";
import { backendVariants, busyWait, pair, withBase } from "./helpers.ts";

for (const variant of backendVariants()) {
  describe(`timers on ${variant.label}`, () => {
    it("timers fire in deadline order, and the wait is bounded by the earliest", () => {
      withBase(variant, (base) => {
        const order: number[] = [];
        // Added from a callback, all five read the same cached time: added outside the loop, each
        // reads the clock, and one clock tick (4 ms on a coarse clock) between adding the 5 ms and
        // the 1 ms timer would give them equal deadlines.
        base.once(-1, 0, () => {
          for (const ms of [30, 5, 20, 1, 10]) base.timer(ms, () => void order.push(ms));
        });
        assert.equal(base.loopSync(), 1);
        assert.deepEqual(order, [1, 5, 10, 20, 30]);
      });
    });

    it("timers with equal deadlines fire in the order they were added", () => {
      withBase(variant, (base) => {
        const order: number[] = [];
        // Added from a callback, all twelve read the same cached time: their deadlines are equal.
        base.once(-1, 0, () => {
          for (let i = 0; i < 12; i++) base.timer(2, () => void order.push(i));
        });
        assert.equal(base.loopSync(), 1);
        assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      });
    });

    it("persistent timeout re-arms from the previous deadline (no drift)", () => {
      withBase(variant, (base) => {
        const deadlines: number[] = [];
        const ev = base.timer(3, () => {
          deadlines.push(base.now() + ev.timeLeft()!);
          if (deadlines.length === 5) ev.del();
        }, { persist: true });
        base.loopSync();
        for (let i = 1; i < deadlines.length; i++) {
          const step = deadlines[i] - deadlines[i - 1];
          // A timer that fired late re-arms from now; otherwise exactly one period later.
          assert.ok(Math.abs(step - 3) < 1e-6 || step > 3, `step ${step}`);
        }
        assert.equal(deadlines.length, 5);
      });
    });

    it("persistent timeout after a stall restarts from now instead of bursting", () => {
      withBase(variant, (base) => {
        let calls = 0;
        let leftAfterStall = -1;
        const ev = base.timer(5, () => {
          calls++;
          if (calls === 1) busyWait(40); // eight periods missed
          if (calls === 2) {
            leftAfterStall = ev.timeLeft()!;
            ev.del();
          }
        }, { persist: true });
        base.loopSync();
        assert.equal(calls, 2);
        assert.ok(Math.abs(leftAfterStall - 5) < 1e-6, `re-armed one full period from now, left ${leftAfterStall}`);
      });
    });

    it("a persistent I/O event with a timeout reports EV.TIMEOUT when idle and EV.READ when data comes", () => {
      withBase(variant, (base, fds) => {
        const [a, b] = pair(fds);
        const seen: number[] = [];
        const ev = base.event(b, EV.READ | EV.PERSIST, (_fd, what) => {
          seen.push(what);
          if (what & EV.READ) sys.read(b, 64);
          if (seen.length === 1) sys.write(a, "now data");
          if (seen.length === 2) ev.del();
        });
        ev.add(2);
        base.loopSync();
        assert.equal(seen[0], EV.TIMEOUT);
        // The re-armed timeout may come due in the same iteration as the data: both bits, one call.
        assert.ok(seen[1] & EV.READ, `second call saw ${seen[1]}`);
      });
    });

    it("common timeouts: many events share one duration, fire in order, and remove in O(1)", () => {
      withBase(variant, (base) => {
        const common = base.commonTimeout(4);
        assert.equal(base.commonTimeout(4), common, "same duration, same common timeout");
        const fired: number[] = [];
        const evs = Array.from({ length: 200 }, (_, i) => base.event(-1, 0, () => void fired.push(i)).add(common));
        for (let i = 0; i < 200; i += 2) evs[i].del();
        base.timer(2, () => void fired.push(-1));
        assert.equal(base.count(Count.ADDED), 101);
        base.loopSync();
        assert.ok(fired.includes(-1));
        assert.deepEqual(fired.filter((i) => i >= 0), Array.from({ length: 100 }, (_, i) => 2 * i + 1));
      });
    });

    it("persistent events on a common timeout keep re-arming through it", () => {
      withBase(variant, (base) => {
        const common = base.commonTimeout(2);
        let calls = 0;
        const ev = base.event(-1, EV.PERSIST, () => {
          if (++calls === 4) ev.del();
        });
        ev.add(common);
        base.loopSync();
        assert.equal(calls, 4);
      });
    });

    it("gettimeofday cached: every callback of one iteration sees the same time", () => {
      withBase(variant, (base) => {
        const wall: number[] = [];
        const mono: number[] = [];
        for (let i = 0; i < 3; i++) {
          base.event(-1, 0, () => {
            wall.push(base.gettimeofdayCached());
            mono.push(base.now());
            busyWait(2);
          }).active();
        }
        base.loopSync();
        assert.equal(new Set(wall).size, 1);
        assert.equal(new Set(mono).size, 1);
        assert.ok(Math.abs(wall[0] - Date.now()) < 5000, "close to the wall clock");
      });
    });

    it("noCacheTime reads the clock on every now()", () => {
      withBase(variant, (base) => {
        const mono: number[] = [];
        base.event(-1, 0, () => {
          mono.push(base.now());
          busyWait(5);
          mono.push(base.now());
        }).active();
        base.loopSync();
        assert.ok(mono[1] > mono[0]);
      }, { noCacheTime: true, preciseTimer: true });
    });
  });
}
