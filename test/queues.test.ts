// The active queues: priorities, coalescing, running callbacks (finalizers, throws, async rejections) and the integrity check, on every backend.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EV, EventBase, sys } from "./deps.ts";
import { backendVariants, pair, withBase } from "./helpers.ts";

for (const variant of backendVariants()) {
  describe(`queues on ${variant.label}`, () => {
    it("priorities: lower numbers run first, default is the middle", () => {
      withBase(variant, (base) => {
        const order: number[] = [];
        const evs = [2, 0, 1].map((p) => {
          const ev = base.event(-1, 0, () => void order.push(p));
          ev.priority = p;
          return ev;
        });
        for (const ev of evs) ev.active();
        base.loopSync();
        assert.deepEqual(order, [0, 1, 2]);
        assert.equal(base.event(-1, 0, () => {}).priority, 1);
      }, { priorities: 3 });
    });

    it("priority inversion: a higher priority activated in a callback runs before the rest of the lower queue", () => {
      withBase(variant, (base) => {
        const order: string[] = [];
        const urgent = base.event(-1, 0, () => void order.push("urgent"));
        urgent.priority = 0;
        const low = [1, 2, 3].map((i) =>
          base.event(-1, 0, () => {
            order.push(`low${i}`);
            if (i === 1) urgent.active();
          })
        );
        for (const ev of low) {
          ev.priority = 1;
          ev.active();
        }
        base.loopSync();
        assert.deepEqual(order, ["low1", "urgent", "low2", "low3"]);
      }, { priorities: 2 });
    });

    it("active coalescing: two activations before the callback run it once with both bits", () => {
      withBase(variant, (base, fds) => {
        const [a] = pair(fds);
        const seen: number[] = [];
        const ev = base.event(a, EV.READ | EV.WRITE, (_f, w) => void seen.push(w));
        ev.active(EV.READ);
        ev.active(EV.WRITE);
        base.loopSync();
        assert.deepEqual(seen, [EV.READ | EV.WRITE]);
      });
    });

    it("finalizers run from the loop, after which the event is deleted", () => {
      withBase(variant, (base, fds) => {
        const [a, b] = pair(fds);
        const log: string[] = [];
        const ev = base.event(b, EV.READ | EV.PERSIST | EV.FINALIZE, () => void log.push("cb"));
        ev.add();
        sys.write(a, "x");
        ev.finalize((e) => void log.push(`finalized ${e === ev}`));
        assert.throws(() => ev.add(), /finalized/);
        base.loopSync();
        assert.deepEqual(log, ["finalized true"]);
        const ev2 = base.event(-1, 0, () => {});
        ev2.closeFinalize(() => void log.push("freed"));
        base.loopSync();
        assert.ok(ev2.closed);
        assert.deepEqual(log, ["finalized true", "freed"]);
      });
    });

    it("a throwing callback leaves the base consistent: the error surfaces, nothing is lost or run twice", () => {
      withBase(variant, (base) => {
        const ran: string[] = [];
        const boom = base.event(-1, 0, () => {
          ran.push("boom");
          throw new Error("callback failed");
        });
        const after = base.event(-1, 0, () => void ran.push("after"));
        boom.active();
        after.active();
        assert.throws(() => base.loopSync(), /callback failed/);
        assert.deepEqual(ran, ["boom"]);
        assert.equal(base.isRunning, false);
        assert.equal(base.loopSync(), 1, "the loop can be called again");
        assert.deepEqual(ran, ["boom", "after"]);
      });
    });

    it("checkIntegrity names a counter, the heap or an fd's counts when they disagree with the events", () => {
      withBase(variant, (base, fds) => {
        const [a] = pair(fds);
        const reader = base.event(a, EV.READ | EV.PERSIST, () => {}).add(50);
        const timers = [30, 10, 20].map((ms) => base.timer(ms, () => {}));
        base.event(-1, 0, () => {}).active();
        base.checkIntegrity();

        base.activeUser++;
        assert.throws(() => base.checkIntegrity(), /activeUser is 2 but the queues hold 1/);
        base.activeUser--;
        base.addedUser--;
        assert.throws(() => base.checkIntegrity(), /addedUser/);
        base.addedUser++;

        const top = base.timeHeap.top()!;
        const saved = top.deadline;
        top.deadline = Number.MAX_VALUE;
        assert.throws(() => base.checkIntegrity(), /timer heap's order/);
        top.deadline = saved;

        const entry = base.ioMap[a]!;
        entry.nread++;
        assert.throws(() => base.checkIntegrity(), new RegExp(`fd ${a} counts read`));
        entry.nread--;

        base.checkIntegrity();
        reader.del();
        for (const t of timers) t.del();
      });
    });

    it("a rejected async callback surfaces from the next loop call", async () => {
      const base = new EventBase(variant.options);
      try {
        base.event(-1, 0, async () => {
          await null;
          throw new Error("async failure");
        }).active();
        base.loopSync();
        await new Promise((r) => setTimeout(r, 0));
        assert.throws(() => base.loopSync(), /async failure/);
      } finally {
        base.close();
      }
    });
  });
}
