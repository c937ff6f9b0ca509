// The cooperative loop (`await base.loop()`) inside the host's event loop, and the wake fd that
// interrupts its off-thread wait, on every backend.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { cpuUsage } from "node:process";
import { EV, EVLOOP, EventBase, sys } from "./deps.ts";
import { backendVariants, withBaseAsync } from "./helpers.ts";

for (const variant of backendVariants()) {
  describe(`cooperative loop on ${variant.label}`, () => {
    it("a callback awaits a host timer and host file I/O while the base waits on a socketpair", async () => {
      const base = new EventBase(variant.options);
      const [a, b] = sys.socketpair();
      try {
        const steps: string[] = [];
        base.event(b, EV.READ, async (fd) => {
          steps.push(`read ${new TextDecoder().decode(sys.read(fd)!)}`);
          await new Promise((r) => setTimeout(r, 5));
          steps.push("host timer");
          const text = await readFile(new URL(import.meta.url), "utf8");
          steps.push(`host file ${text.includes("cooperative loop") ? "read" : "wrong"}`);
        }).add();
        setTimeout(() => sys.write(a, "go"), 5);
        assert.equal(await base.loop(), 1);
        assert.deepEqual(steps, ["read go", "host timer", "host file read"]);
      } finally {
        base.close();
        sys.close(a);
        sys.close(b);
      }
    });

    it("an fd whose events are gone and that was then closed is left out of the off-thread wait", async () => {
      const base = new EventBase(variant.options);
      const [a, b] = sys.socketpair();
      try {
        // The fd's record stays in the base with no events. Were it polled, poll(2) would answer
        // POLLNVAL for the closed fd at once, every time, and the loop would spin until the timer.
        const ev = base.event(b, EV.READ | EV.PERSIST, () => {}).add();
        // A first run makes the wake fd, which must not take the closed fd's number below.
        await base.loop(EVLOOP.NONBLOCK);
        ev.close();
        sys.close(b);
        const before = cpuUsage();
        base.timer(300, () => {});
        assert.equal(await base.loop(), 1);
        const used = cpuUsage(before);
        const ms = (used.user + used.system) / 1000;
        assert.ok(ms < 200, `${ms.toFixed(0)} ms of CPU for a loop that waited 300 ms on a timer`);
      } finally {
        base.close();
        sys.close(a);
      }
    });

    it("host timers keep firing while the base idles", async () => {
      const base = new EventBase(variant.options);
      try {
        // The base waits on a far timer; only a host interval that keeps running during that wait
        // can delete it (after three ticks) and so end the loop. Had the wait blocked the JS
        // thread, the guard would fire first. Nothing here depends on how busy the machine is.
        let ticks = 0;
        let guardFired = false;
        const guard = base.timer(30_000, () => void (guardFired = true));
        const interval = setInterval(() => {
          if (++ticks === 3) guard.del();
        }, 2);
        await base.loop();
        clearInterval(interval);
        assert.equal(guardFired, false, "the base's own timer fired: host timers did not run during the wait");
        assert.ok(ticks >= 3, `host interval ran ${ticks} times during the wait`);
      } finally {
        base.close();
      }
    });

    it("wake() interrupts a wait, and events added from host code are seen without waiting out the timer", async () => {
      const base = new EventBase(variant.options);
      const [a, b] = sys.socketpair();
      try {
        const seen: string[] = [];
        const far = base.timer(60_000, () => seen.push("far timer"));
        setTimeout(() => {
          base.event(b, EV.READ, () => {
            seen.push("new fd");
            far.del();
          }).add();
          sys.write(a, "x");
        }, 5);
        assert.equal(await base.loop(), 1);
        assert.deepEqual(seen, ["new fd"]);
        let woke = false;
        base.addVirtual();
        setTimeout(() => {
          woke = true;
          base.loopBreak();
        }, 5);
        assert.equal(await base.loop(), 0);
        assert.ok(woke && base.gotBreak());
      } finally {
        base.close();
        sys.close(a);
        sys.close(b);
      }
    });

    it("ev.active() from host code interrupts an off-thread wait", async () => {
      const base = new EventBase(variant.options);
      try {
        let ran = false;
        const ev = base.event(-1, 0, () => {
          ran = true;
          far.del();
        });
        const far = base.timer(60_000, () => assert.fail("the wait was not interrupted by ev.active()"));
        setTimeout(() => ev.active(), 5);
        assert.equal(await base.loop(), 1);
        assert.ok(ran);
      } finally {
        base.close();
      }
    });

    it("host code that deletes the last event during the wait ends the loop (Event.del, close, removeVirtual)", async () => {
      const base = new EventBase(variant.options);
      const [a, b] = sys.socketpair();
      const stuck = watchdog(base);
      try {
        const far = base.timer(60_000, () => assert.fail("the far timer fired"));
        setTimeout(() => far.del(), 20);
        assert.equal(await base.loop(), 1);
        const reader = base.event(b, EV.READ, () => assert.fail("nothing was written")).add();
        setTimeout(() => reader.close(), 20);
        assert.equal(await base.loop(), 1);
        base.addVirtual();
        setTimeout(() => base.removeVirtual(), 20);
        assert.equal(await base.loop(), 1);
        assert.equal(base.count(), 0);
        assert.equal(stuck.fired, false, "the loop kept waiting after its last event was gone");
      } finally {
        stuck.clear();
        base.close();
        sys.close(a);
        sys.close(b);
      }
    });

    it("a timer added from host code during the wait counts from the real clock, not the cached time", async () => {
      const base = new EventBase(variant.options);
      try {
        let elapsed = -1;
        const far = base.timer(60_000, () => assert.fail("the far timer fired"));
        // 100 ms into the wait, whose time cache was filled when it began.
        setTimeout(() => {
          const addedAt = performance.now();
          base.timer(50, () => {
            elapsed = performance.now() - addedAt;
            far.del();
          });
        }, 100);
        assert.equal(await base.loop(), 1);
        // A lower bound only: under load the timer may fire late, never this early.
        assert.ok(elapsed >= 40, `a 50 ms timer fired ${elapsed.toFixed(1)} ms after it was added`);
      } finally {
        base.close();
      }
    });

    it("a rejected async callback rejects the loop, which can run again", async () => {
      const base = new EventBase(variant.options);
      try {
        base.timer(1, async () => {
          await null;
          throw new Error("async boom");
        });
        await assert.rejects(base.loop(), /async boom/);
        let ran = false;
        base.timer(1, () => void (ran = true));
        assert.equal(await base.loop(), 1);
        assert.ok(ran);
      } finally {
        base.close();
      }
    });

    it("loop flags and results match loopSync (ONCE, NONBLOCK, re-entry)", async () => {
      const base = new EventBase(variant.options);
      try {
        assert.equal(await base.loop(), 1);
        let inner: number | undefined;
        base.timer(1, async () => void (inner = await base.loop()));
        base.timer(2, () => {});
        assert.equal(await base.loop(EVLOOP.ONCE), 0);
        assert.equal(await base.loop(), 1);
        assert.equal(inner, -1);
        assert.equal(await base.loop(EVLOOP.NONBLOCK | EVLOOP.NO_EXIT_ON_EMPTY), 0);
      } finally {
        base.close();
      }
    });

    it("a run that needs no wait settles its promise after the microtasks its callbacks queued", async () => {
      await withBaseAsync(variant, async (base, fds) => {
        const [a, b] = sys.socketpair();
        fds.push(a, b);
        const steps: string[] = [];
        sys.write(a, "x");
        base.event(b, EV.READ, (fd) => {
          sys.read(fd);
          steps.push("callback");
          queueMicrotask(() => steps.push("callback's microtask"));
        }).add();
        queueMicrotask(() => steps.push("caller's earlier microtask"));
        const run = base.loop(EVLOOP.ONCE | EVLOOP.NONBLOCK);
        // The callbacks ran during the call; the promise and the microtasks come after it.
        steps.push("call returned");
        run.then(() => steps.push("loop settled"));
        assert.equal(await run, 0);
        assert.deepEqual(steps, ["callback", "call returned", "caller's earlier microtask", "callback's microtask", "loop settled"]);
        // Nothing ready: NONBLOCK ends at once, with the same results as loopSync.
        assert.equal(await base.loop(EVLOOP.NONBLOCK), 1);
        assert.equal(base.loopSync(EVLOOP.NONBLOCK), 1);
      });
    });

    it("a run that needs no wait rejects for a throwing callback or bad flags, never throws", async () => {
      await withBaseAsync(variant, async (base, fds) => {
        const [a, b] = sys.socketpair();
        fds.push(a, b);
        sys.write(a, "x");
        const ev = base.event(b, EV.READ | EV.PERSIST, (fd) => {
          sys.read(fd);
          throw new Error("sync boom");
        }).add();
        let run: Promise<number> | undefined;
        assert.doesNotThrow(() => void (run = base.loop(EVLOOP.ONCE | EVLOOP.NONBLOCK)));
        await assert.rejects(run!, /sync boom/);
        let badFlags: Promise<number> | undefined;
        assert.doesNotThrow(() => void (badFlags = base.loop(1 << 20)));
        await assert.rejects(badFlags!, RangeError);
        // The base is left consistent: the event is still added, and the next run works.
        ev.close();
        sys.write(a, "y");
        let ran = false;
        base.event(b, EV.READ, (fd) => void (sys.read(fd), ran = true)).add();
        assert.equal(await base.loop(EVLOOP.ONCE | EVLOOP.NONBLOCK), 0);
        assert.ok(ran);
      });
    });

    it("ONCE|NONBLOCK gives loopSync's results, and an async callback still pending keeps the run cooperative", async () => {
      await withBaseAsync(variant, async (base, fds) => {
        const [a, b] = sys.socketpair();
        fds.push(a, b);
        // Nothing added: 1, as loopSync says.
        assert.equal(await base.loop(EVLOOP.ONCE | EVLOOP.NONBLOCK), 1);
        // From inside a callback of the same base: -1, settled, not thrown.
        let inner: Promise<number> | undefined;
        sys.write(a, "x");
        let release = (): void => {};
        const held = new Promise<void>((resolve) => (release = resolve));
        base.event(b, EV.READ, async (fd) => {
          sys.read(fd);
          inner = base.loop(EVLOOP.ONCE | EVLOOP.NONBLOCK);
          await held;
          throw new Error("async boom");
        }).add();
        assert.equal(await base.loop(EVLOOP.ONCE | EVLOOP.NONBLOCK), 0);
        assert.equal(await inner, -1);
        // The callback's event is gone but its promise is pending: the cooperative loop counts it
        // (0: the run went on), where loopSync, which never waits for it, sees no events (1).
        assert.equal(base.loopSync(EVLOOP.ONCE | EVLOOP.NONBLOCK), 1);
        assert.equal(await base.loop(EVLOOP.ONCE | EVLOOP.NONBLOCK), 0);
        release();
        await new Promise((resolve) => setTimeout(resolve, 1));
        // Its rejection surfaces from the next run, which then has nothing left.
        await assert.rejects(base.loop(EVLOOP.ONCE | EVLOOP.NONBLOCK), /async boom/);
        assert.equal(await base.loop(EVLOOP.ONCE | EVLOOP.NONBLOCK), 1);
        // A closed base rejects, never throws.
        base.close();
        let closed: Promise<number> | undefined;
        assert.doesNotThrow(() => void (closed = base.loop(EVLOOP.ONCE | EVLOOP.NONBLOCK)));
        await assert.rejects(closed!, /closed/);
      });
    });
  });
}

/** Ends a loop that would otherwise wait forever, so a regression fails instead of hanging. */
function watchdog(base: EventBase, ms = 5_000): { fired: boolean; clear(): void } {
  const state = {
    fired: false,
    clear: () => clearTimeout(timer),
  };
  const timer = setTimeout(() => {
    state.fired = true;
    base.loopBreak();
    base.wake();
  }, ms);
  return state;
}
