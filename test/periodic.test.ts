// Periodic timers on the wall clock: alignment, one-shot and rescheduled times with the real clock,
// and wall-clock steps forward and back with an injected clock; on every backend, under both loops.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EventBase, PeriodicTimer } from "./deps.ts";
import { backendVariants, busyWait, hangGuard, loopDrivers, withBaseAsync } from "./helpers.ts";

const HOUR = 3_600_000;

/** A wall clock a test can step: the real one plus `shift` ms. */
function steppableClock(): { now: () => number; shift: number } {
  const clock = { shift: 0, now: () => Date.now() + clock.shift };
  return clock;
}

for (const variant of backendVariants()) {
  for (const driver of loopDrivers) {
    const run = driver.run;
    describe(`periodic timers on ${variant.label}, ${driver.label}`, () => {
      it("an interval timer fires at offset + k * interval of the wall clock, never before", async () => {
        await withBaseAsync(variant, async (base) => {
          const fired: { at: number; wall: number }[] = [];
          const timer = new PeriodicTimer(base, { interval: 50, offset: 7 }, (at) => {
            fired.push({ at, wall: Date.now() });
            if (fired.length === 3) timer.close();
          });
          const first = timer.next!;
          assert.equal(((first - 7) % 50 + 50) % 50, 0);
          assert.equal(await run(base), 1);
          assert.equal(fired[0].at, first);
          for (const { at, wall } of fired) {
            assert.equal(((at - 7) % 50 + 50) % 50, 0, `aligned: ${at}`);
            assert.ok(wall >= at, `fired at ${wall}, due ${at}`);
          }
          for (let i = 1; i < fired.length; i++) assert.ok(fired[i].at > fired[i - 1].at && (fired[i].at - fired[i - 1].at) % 50 === 0);
          assert.equal(timer.closed, true);
        });
      });

      it("an `at` timer fires once at its wall-clock time and closes; a reschedule timer fires at the times it returns", async () => {
        await withBaseAsync(variant, async (base) => {
          const at = Date.now() + 30;
          const seen: number[] = [];
          const once = new PeriodicTimer(base, { at: new Date(at) }, (due, t) => {
            seen.push(due);
            assert.equal(t.closed, true, "a one-shot timer is closed when its callback runs");
          });
          const asked: number[] = [];
          let n = 0;
          const every = new PeriodicTimer(base, {
            reschedule: (now) => {
              asked.push(now);
              return Math.ceil(now / 20) * 20 + 20;
            },
          }, (due) => {
            assert.equal(due % 20, 0);
            assert.ok(Date.now() >= due);
            if (++n === 3) every.close();
          });
          assert.equal(await run(base), 1);
          assert.deepEqual(seen, [at]);
          assert.ok(once.closed && once.next === null);
          assert.equal(n, 3);
          assert.equal(asked.length, 4, "asked at creation and at each firing, before the callback");
        });
      });

      it("a wall-clock step forward makes a timer due now fire at the next iteration", async () => {
        await withBaseAsync(variant, async (base) => {
          const clock = steppableClock();
          const fired: number[] = [];
          const guard = base.timer(20_000, () => base.loopBreak());
          const hourly = new PeriodicTimer(base, { interval: HOUR }, (due) => {
            fired.push(due);
            hourly.close();
            guard.del();
          }, { wallClock: clock.now });
          const nextHour = hourly.next!;
          assert.equal(nextHour % HOUR, 0);
          // The clock is stepped to 10 ms before the hour, from a callback.
          base.timer(5, () => void (clock.shift = nextHour - 10 - Date.now()));
          assert.equal(await run(base), 1);
          assert.deepEqual(fired, [nextHour]);
          assert.equal(base.gotBreak(), false, "fired long before the guard");
        });
      });

      it("a wall-clock step back makes an interval timer fire again at the aligned time after the new now", async () => {
        await withBaseAsync(variant, async (base) => {
          const clock = steppableClock();
          const hour = Math.ceil(Date.now() / HOUR) * HOUR + HOUR;
          clock.shift = hour - 10 * 60_000 - Date.now(); // ten minutes before the hour
          const fired: number[] = [];
          const guard = base.timer(20_000, () => base.loopBreak());
          const hourly = new PeriodicTimer(base, { interval: HOUR }, (due) => {
            fired.push(due);
            if (fired.length === 1) {
              // Back to 40 ms before the hour, however late this callback runs.
              clock.shift -= clock.now() - (hour - 40);
            } else {
              hourly.close();
              guard.del();
            }
          }, { wallClock: clock.now });
          // Forward to 20 ms before the hour, from inside the loop.
          base.timer(1, () => void (clock.shift += hour - 20 - clock.now()));
          assert.equal(hourly.next, hour);
          assert.equal(await run(base), 1);
          assert.deepEqual(fired, [hour, hour], "the same hour again, not an hour later");
          assert.equal(base.gotBreak(), false);
        });
      });

      for (const stalls of [2, 3]) {
        it(`a step back is still seen when ${stalls} wall-clock readings in a row are held up`, async () => {
          await withBaseAsync(variant, async (base) => {
            const clock = steppableClock();
            const hour = Math.ceil(Date.now() / HOUR) * HOUR + HOUR;
            clock.shift = hour - 20 - Date.now(); // 20 ms before the hour
            let stalled = 0;
            // A held-up reading: the thread stops between the monotonic readings around it.
            const wallClock = () => {
              if (stalled > 0) {
                stalled--;
                busyWait(15);
              }
              return clock.now();
            };
            const fired: number[] = [];
            // Unnoticed, the step would wait for the loop's next wake-up, a minute away.
            const guard = base.timer(hangGuard(5_000), () => base.loopBreak());
            const hourly = new PeriodicTimer(base, { interval: HOUR }, (due) => {
              fired.push(due);
              if (fired.length === 1) {
                // Far enough back that the held-up readings end before the hour.
                clock.shift -= clock.now() - (hour - 200);
                stalled = stalls;
              } else {
                hourly.close();
                guard.del();
              }
            }, { wallClock });
            assert.equal(await run(base), 1);
            assert.deepEqual(fired, [hour, hour]);
            assert.equal(stalled, 0, "every held-up reading was taken");
          });
        });
      }

      it("a throwing callback ends the loop with its error; the timer stays armed for its next time", async () => {
        await withBaseAsync(variant, async (base) => {
          const boom = new Error("periodic failed");
          let calls = 0;
          const timer = new PeriodicTimer(base, { interval: 20 }, () => {
            if (++calls === 1) throw boom;
            timer.close();
          });
          await assert.rejects(() => run(base), boom);
          base.checkIntegrity();
          assert.equal(timer.closed, false);
          assert.equal(await run(base), 1);
          assert.equal(calls, 2);
        });
      });

      it("a reschedule function that throws or returns a past time closes its timer and ends the loop with the error", async () => {
        await withBaseAsync(variant, async (base) => {
          let calls = 0;
          const timer = new PeriodicTimer(base, {
            reschedule: (now) => (++calls === 1 ? now + 10 : now - 1),
          }, () => assert.fail("the callback must not run: its next time was unusable"));
          await assert.rejects(() => run(base), { name: "RangeError", message: /must return a finite time not before it/ });
          assert.equal(timer.closed, true);
          assert.equal(base.count(), 0);
          assert.equal(await run(base), 1);
        });
      });
    });
  }
}

describe("periodic timers: bad input and lifetime", () => {
  it("bad intervals, offsets, times and callbacks are RangeErrors or TypeErrors naming the value", () => {
    const base = new EventBase();
    try {
      const cb = () => {};
      assert.throws(() => new PeriodicTimer(base, { interval: -5 }, cb), { name: "RangeError", message: /interval .* got number -5/ });
      assert.throws(() => new PeriodicTimer(base, { interval: NaN }, cb), { name: "RangeError", message: /got number NaN/ });
      assert.throws(() => new PeriodicTimer(base, { interval: 0 }, cb), { name: "RangeError", message: /got number 0/ });
      assert.throws(() => new PeriodicTimer(base, { interval: "1h" as never }, cb), { name: "RangeError", message: /got string 1h/ });
      assert.throws(() => new PeriodicTimer(base, { interval: 10, offset: Infinity }, cb), { name: "RangeError", message: /offset .* got number Infinity/ });
      assert.throws(() => new PeriodicTimer(base, { at: new Date(NaN) }, cb), { name: "RangeError", message: /at must be/ });
      assert.throws(() => new PeriodicTimer(base, { reschedule: (now) => now - 1 }, cb), { name: "RangeError", message: /reschedule\([\d.]+\) must return a finite time not before it, got number/ });
      assert.throws(() => new PeriodicTimer(base, null as never, cb), { name: "TypeError", message: /got null/ });
      assert.throws(() => new PeriodicTimer(base, { every: 5 } as never, cb), { name: "TypeError", message: /got keys \[every\]/ });
      assert.throws(() => new PeriodicTimer(base, { interval: 10 }, "cb" as never), { name: "TypeError", message: /callback must be a function, got string cb/ });
      assert.throws(() => new PeriodicTimer(base, { interval: 10 }, cb, { wallClock: 5 as never }), { name: "TypeError", message: /wallClock must be a function, got number 5/ });
      assert.equal(base.watchers, null, "a failed construction registers nothing");
      assert.equal(base.count(), 0);
    } finally {
      base.close();
    }
  });

  it("a periodic timer keeps the loop alive as an added timer; closing the base closes it", () => {
    const base = new EventBase();
    const timer = new PeriodicTimer(base, { interval: HOUR }, () => {});
    assert.equal(base.count(), 1);
    timer.close();
    assert.equal(base.count(), 0);
    const other = new PeriodicTimer(base, { interval: HOUR }, () => {});
    base.close();
    assert.equal(other.closed, true);
    other.close();
  });
});
