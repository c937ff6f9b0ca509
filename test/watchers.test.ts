// Prepare, check and idle watchers: where in the iteration they run, what they may do from their
// callbacks, and how a throw or a break from them ends the loop; on every backend, under both loops.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CheckWatcher, EV, EVLOOP, EventBase, IdleWatcher, PrepareWatcher, sys } from "./deps.ts";
import { backendVariants, hangGuard, loopDrivers, pair, withBaseAsync } from "./helpers.ts";

for (const variant of backendVariants()) {
  for (const driver of loopDrivers) {
    const run = driver.run;
    describe(`watchers on ${variant.label}, ${driver.label}`, () => {
      it("prepare runs before the wait with its timeout, check after it, both before the callbacks", async () => {
        await withBaseAsync(variant, async (base) => {
          const log: string[] = [];
          let planned: number | null | undefined;
          const prepare = new PrepareWatcher(base, (timeout) => {
            if (planned === undefined) planned = timeout;
            log.push("prepare");
          });
          const check = new CheckWatcher(base, () => void log.push("check"));
          // The first wait must still be ahead when the first prepare runs: stretched under an emulator.
          const delay = hangGuard(30);
          base.timer(delay, () => {
            log.push("timer");
            prepare.close();
            check.close();
          });
          assert.equal(await run(base), 1);
          // Iterations before the timer's may be several (the cooperative loop polls first).
          assert.equal(log.at(-1), "timer");
          assert.deepEqual(log.slice(-3), ["prepare", "check", "timer"]);
          for (let i = 0; i < log.length - 1; i += 2) assert.deepEqual(log.slice(i, i + 2), ["prepare", "check"]);
          assert.equal(typeof planned, "number");
          assert.ok(planned! > 0 && planned! <= delay, `planned wait ${planned}`);
        });
      });

      it("prepare is told null when the loop waits for fds only, and I/O it starts ends that wait", async () => {
        await withBaseAsync(variant, async (base, fds) => {
          const [a, b] = pair(fds);
          const timeouts: (number | null)[] = [];
          const log: string[] = [];
          const prepare = new PrepareWatcher(base, (timeout) => {
            timeouts.push(timeout);
            if (timeouts.length === 1) sys.write(a, "x");
          });
          const check = new CheckWatcher(base, () => void log.push("check"));
          base.event(b, EV.READ, () => {
            log.push(`read ${sys.read(b, 8)!.length}`);
            prepare.close();
            check.close();
          }).add();
          assert.equal(await run(base), 1);
          assert.equal(timeouts[0], null);
          assert.deepEqual(log.slice(-2), ["check", "read 1"]);
        });
      });

      it("watchers run in the order they were created; one closed or created during a phase takes effect at once or next time", async () => {
        await withBaseAsync(variant, async (base) => {
          const log: string[] = [];
          let late: PrepareWatcher | null = null;
          const first = new PrepareWatcher(base, () => {
            log.push("first");
            second.close(); // later in this same phase: must not run
            late ??= new PrepareWatcher(base, () => void log.push("late"));
            first.close();
          });
          const second = new PrepareWatcher(base, () => void log.push("second"));
          const third = new PrepareWatcher(base, () => void log.push("third"));
          let n = 0;
          const ticker = base.event(-1, EV.PERSIST, () => {
            if (++n === 2) {
              ticker.del();
              third.close();
              late!.close();
            }
          }).add(1);
          await run(base);
          assert.deepEqual(log.slice(0, 2), ["first", "third"]);
          assert.deepEqual(log.slice(2, 4), ["third", "late"]);
          assert.ok(first.closed && second.closed && third.closed && late!.closed);
        });
      });

      it("a timer a prepare watcher adds bounds the wait it was told about", async () => {
        await withBaseAsync(variant, async (base, fds) => {
          const [, b] = pair(fds);
          base.event(b, EV.READ, () => {}).add(); // never readable: the wait would be unbounded
          let fired = false;
          const prepare = new PrepareWatcher(base, (timeout) => {
            assert.equal(timeout, null);
            prepare.close();
            base.timer(2, () => {
              fired = true;
              base.loopBreak();
            });
          });
          assert.equal(await run(base), 0);
          assert.ok(fired && base.gotBreak());
        });
      });

      it("loopBreak from prepare ends the loop before the wait; from check, before the callbacks, which run next loop", async () => {
        await withBaseAsync(variant, async (base, fds) => {
          const [a, b] = pair(fds);
          base.event(b, EV.READ | EV.PERSIST, () => {}).add(); // never readable
          let checks = 0;
          const prepare = new PrepareWatcher(base, () => base.loopBreak());
          const check = new CheckWatcher(base, () => void checks++);
          assert.equal(await run(base), 0);
          assert.ok(base.gotBreak());
          assert.equal(checks, 0, "no wait, so no check");
          prepare.close();
          check.close();

          const reads: string[] = [];
          base.event(a, EV.READ | EV.PERSIST, () => void reads.push(new TextDecoder().decode(sys.read(a, 8)!))).add();
          sys.write(b, "hi");
          const breaker = new CheckWatcher(base, () => base.loopBreak());
          assert.equal(await run(base), 0);
          assert.deepEqual(reads, [], "the read callback waits for the next loop");
          breaker.close();
          await run(base, EVLOOP.ONCE | EVLOOP.NONBLOCK);
          assert.deepEqual(reads, ["hi"]);
        });
      });

      for (const kind of ["prepare", "check", "idle"] as const) {
        it(`a throwing ${kind} watcher ends the loop with its error; the base stays usable`, async () => {
          await withBaseAsync(variant, async (base) => {
            const boom = new Error(`${kind} failed`);
            const thrower = kind === "prepare"
              ? new PrepareWatcher(base, () => { throw boom; })
              : kind === "check"
              ? new CheckWatcher(base, () => { throw boom; })
              : new IdleWatcher(base, () => { throw boom; });
            let after = 0;
            const other = new CheckWatcher(base, () => void after++);
            base.timer(5, () => {});
            await assert.rejects(() => run(base), boom);
            base.checkIntegrity();
            assert.equal(base.isRunning, false);
            thrower.close();
            other.close();
            assert.equal(await run(base), 1, "the timer still fires in the next loop");
          });
        });
      }

      it("idle watchers run only in iterations where nothing else was active, and keep the wait at 0", async () => {
        await withBaseAsync(variant, async (base, fds) => {
          const [a, b] = pair(fds);
          const log: string[] = [];
          const waits: (number | null)[] = [];
          const prepare = new PrepareWatcher(base, (timeout) => void waits.push(timeout));
          sys.write(a, "x");
          base.event(b, EV.READ, () => {
            sys.read(b, 8);
            log.push("read");
          }).add();
          const idle = new IdleWatcher(base, () => {
            log.push("idle");
            if (log.filter((s) => s === "idle").length === 3) {
              idle.close();
              prepare.close();
            }
          });
          assert.equal(await run(base), 1);
          assert.equal(log[0], "read", "the first iteration had the read: no idle call");
          assert.deepEqual(log.slice(1), ["idle", "idle", "idle"]);
          assert.ok(waits.every((w) => w === 0), `waits ${waits}`);
        });
      });

      it("an idle watcher keeps the loop running without events; EVLOOP.ONCE returns after one idle call", async () => {
        await withBaseAsync(variant, async (base) => {
          let calls = 0;
          const idle = new IdleWatcher(base, () => {
            if (++calls === 4) idle.close();
          });
          assert.equal(await run(base, EVLOOP.ONCE), 0);
          assert.equal(calls, 1);
          assert.equal(await run(base), 1);
          assert.equal(calls, 4);
          assert.equal(base.watchers, null, "the last watcher gone, the loop is back on its plain path");
        });
      });
    });
  }
}

describe("watchers: lifetime and bad input", () => {
  it("closing the base closes its watchers; close() is idempotent and `using` closes", () => {
    const base = new EventBase();
    const prepare = new PrepareWatcher(base, () => {});
    {
      using check = new CheckWatcher(base, () => {});
      assert.equal(check.closed, false);
    }
    const idle = new IdleWatcher(base, () => {});
    base.close();
    assert.ok(prepare.closed && idle.closed);
    prepare.close();
    prepare.close();
  });

  it("non-function callbacks and non-bases are TypeErrors naming the value", () => {
    const base = new EventBase();
    try {
      assert.throws(() => new PrepareWatcher(base, 42 as never), { name: "TypeError", message: /callback must be a function, got number 42/ });
      assert.throws(() => new CheckWatcher(base, null as never), { name: "TypeError", message: /got null/ });
      assert.throws(() => new IdleWatcher({} as never, () => {}), { name: "TypeError", message: /IdleWatcher needs an EventBase, got object/ });
      assert.equal(base.watchers, null, "a failed construction registers nothing");
    } finally {
      base.close();
    }
    assert.throws(() => new PrepareWatcher(base, () => {}), /closed/);
  });
});
