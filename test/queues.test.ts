// The active queues: priorities, coalescing, running callbacks (finalizers, throws, async rejections) and the integrity check, on every backend.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as compat from "../src/compat.ts";
import { EV, EventBase, type EventBaseOptions, sys } from "./deps.ts";
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

        // The heap keeps the deadlines in its own array: corrupt the root's.
        const keys = (base.timeHeap as unknown as { keys: Float64Array }).keys;
        const saved = keys[0];
        keys[0] = Number.MAX_VALUE;
        assert.throws(() => base.checkIntegrity(), /timer heap's order/);
        keys[0] = saved;

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

    // A backlog of readable sockets at priority 1; the first callback adds a timer due at once, at
    // priority 0. The timer runs after the backlog callbacks the limit lets run first.
    function timerPosition(base: EventBase, fds: number[], backlog = 30): number {
      const order: string[] = [];
      for (let i = 0; i < backlog; i++) {
        const [a, b] = pair(fds);
        sys.write(a, "x");
        const ev = base.event(b, EV.READ, () => {
          order.push(`io ${i}`);
          if (order.length === 1) {
            const timer = base.event(-1, 0, () => void order.push("timer"));
            timer.priority = 0;
            timer.add(0);
          }
        });
        ev.priority = 1;
        ev.add();
      }
      assert.equal(base.loopSync(), 1);
      assert.equal(order.length, backlog + 1);
      return order.indexOf("timer");
    }

    const limited = (extra: EventBaseOptions) => (fn: (base: EventBase, fds: number[]) => number) =>
      withBase(variant, fn, { priorities: 2, ...extra });

    it("without dispatch limits, a due timer waits for the whole backlog", () => {
      assert.equal(limited({})(timerPosition), 30);
    });

    it("maxCallbacks: a due timer of a higher priority runs after that many backlog callbacks", () => {
      assert.equal(limited({ maxCallbacks: 10 })(timerPosition), 10);
      assert.equal(limited({ maxCallbacks: 10, minPriority: 1 })(timerPosition), 10);
      // Priority 1 is above minPriority 2: its queue runs to the end.
      assert.equal(limited({ maxCallbacks: 10, minPriority: 2 })(timerPosition), 30);
    });

    it("maxDispatchMs: 0 ms lets one callback run between checks for due timers", () => {
      assert.equal(limited({ maxDispatchMs: 0 })(timerPosition), 1);
    });

    it("compat: event_config_set_max_dispatch_interval limits the callbacks between checks", () => {
      const cfg = compat.event_config_new();
      const changelist = variant.options.method === "epoll (with changelist)";
      for (const m of compat.event_get_supported_methods()) {
        if (m !== variant.options.method && !(changelist && m === "epoll")) compat.event_config_avoid_method(cfg, m);
      }
      compat.event_config_set_flag(cfg, compat.EVENT_BASE_FLAG_IGNORE_ENV);
      if (changelist) compat.event_config_set_flag(cfg, compat.EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
      if (variant.options.preciseTimer) compat.event_config_set_flag(cfg, compat.EVENT_BASE_FLAG_PRECISE_TIMER);
      assert.equal(compat.event_config_set_max_dispatch_interval(cfg, null, 5, 1), 0);
      const base = compat.event_base_new_with_config(cfg);
      compat.event_config_free(cfg);
      assert.ok(base, String(compat.event_get_last_error()));
      assert.equal(base.method, variant.options.method);
      const fds: number[] = [];
      try {
        compat.event_base_priority_init(base, 2);
        assert.equal(timerPosition(base, fds), 5);
        base.checkIntegrity();
      } finally {
        base.close();
        for (const fd of fds) sys.close(fd);
      }
    });

    it("rejects bad dispatch limits, naming the value and its type", () => {
      assert.throws(() => new EventBase({ ...variant.options, maxCallbacks: 0 }), /maxCallbacks .* got 0 \(number\)/);
      assert.throws(() => new EventBase({ ...variant.options, maxDispatchMs: -1 }), /maxDispatchMs .* got -1 \(number\)/);
      assert.throws(() => new EventBase({ ...variant.options, minPriority: "1" as unknown as number }), /minPriority .* got 1 \(string\)/);
    });
  });
}
