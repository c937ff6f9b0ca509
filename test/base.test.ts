// EventBase: the loop (exit, break, continue, return codes), counting, reinit and close, on every backend.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Count, EV, EVLOOP, EventBase, sys } from "./deps.ts";
import { backendVariants, pair, withBase } from "./helpers.ts";

const NB = EVLOOP.NONBLOCK;

for (const variant of backendVariants()) {
  describe(`base on ${variant.label}`, () => {
    it("loopexit: an exit event lets every active callback of the iteration run", () => {
      withBase(variant, (base, fds) => {
        const [a, b] = pair(fds);
        let ran = 0;
        for (let i = 0; i < 3; i++) base.event(b, EV.READ | EV.PERSIST, () => void ran++).add();
        base.timer(60_000, () => assert.fail("the long timer must not run"));
        base.event(a, EV.WRITE, () => base.loopExit()).add();
        sys.write(a, "x");
        assert.equal(base.loopSync(), 0);
        assert.ok(base.gotExit());
        assert.ok(!base.gotBreak());
        assert.ok(ran >= 3, "all three readers ran in the exiting iteration");
      });
    });

    it("a wait that fails (an fd closed under its event) throws from loopSync and leaves the base able to run again", () => {
      withBase(variant, (base, fds) => {
        const [a, b] = pair(fds);
        const doomed = base.event(b, EV.READ | EV.PERSIST, () => {}).add();
        base.loopSync(NB); // the backend now watches b
        sys.close(b);
        fds.splice(fds.indexOf(b), 1);
        // select() fails the whole wait with EBADF; the others drop the fd or report it ready
        // (poll: POLLNVAL, every time, hence ONCE).
        let failure: unknown = null;
        try {
          base.loopSync(NB | EVLOOP.ONCE);
        } catch (error) {
          failure = error;
        }
        if (variant.label === "select") assert.equal((failure as { code?: string })?.code, "EBADF", String(failure));
        else assert.equal(failure, null);
        doomed.del();
        let fired = 0;
        base.event(a, EV.WRITE, () => void fired++).add();
        assert.equal(base.loopSync(), 1, "the loop runs again (not -1, 'already running')");
        assert.equal(fired, 1);
      });
    });

    it("loopexit with a delay stops a loop that still has events", () => {
      withBase(variant, (base) => {
        let ticks = 0;
        base.timer(1, () => void ticks++, { persist: true });
        base.loopExit(20);
        assert.equal(base.loopSync(), 0);
        assert.ok(base.gotExit());
        assert.ok(ticks >= 1);
      });
    });

    it("loopbreak: the loop stops right after the current callback", () => {
      withBase(variant, (base, fds) => {
        const [a, b] = pair(fds);
        const ran: number[] = [];
        for (let i = 0; i < 3; i++) {
          base.event(b, EV.READ | EV.PERSIST, () => {
            ran.push(i);
            base.loopBreak();
          }).add();
        }
        sys.write(a, "x");
        assert.equal(base.loopSync(), 0);
        assert.deepEqual(ran, [0]);
        assert.ok(base.gotBreak());
        assert.equal(base.count(Count.ACTIVE), 2, "the others stay active for the next loop");
      });
    });

    it("a loopbreak issued before the loop starts is kept (libevent loses it)", () => {
      withBase(variant, (base) => {
        let ran = false;
        base.once(-1, EV.TIMEOUT, () => void (ran = true));
        base.loopBreak();
        assert.equal(base.loopSync(), 0);
        assert.ok(base.gotBreak());
        assert.equal(ran, false);
        assert.equal(base.loopSync(), 1);
        assert.equal(ran, true);
      });
    });

    it("loopcontinue makes the loop poll again right after the current callback", () => {
      withBase(variant, (base, fds) => {
        const [a, b] = pair(fds);
        const order: string[] = [];
        const reader = base.event(b, EV.READ, () => void order.push("reader"));
        reader.priority = 0;
        reader.add();
        const first = base.event(-1, 0, () => {
          order.push("first");
          sys.write(a, "x");
          base.loopContinue();
        });
        const second = base.event(-1, 0, () => void order.push("second"));
        for (const ev of [first, second]) {
          ev.priority = 1;
          ev.active();
        }
        base.loopSync();
        // Without loopcontinue the rest of the queue would run before the next poll: first, second, reader.
        assert.deepEqual(order, ["first", "reader", "second"]);
      }, { priorities: 2 });
    });

    it("loop return codes: 1 when empty, 0 for NONBLOCK with NO_EXIT_ON_EMPTY, -1 when re-entered", () => {
      withBase(variant, (base) => {
        assert.equal(base.loopSync(), 1);
        assert.equal(base.loopSync(NB | EVLOOP.NO_EXIT_ON_EMPTY), 0);
        let inner = 99;
        base.event(-1, 0, () => void (inner = base.loopSync())).active();
        base.loopSync();
        assert.equal(inner, -1);
      });
    });

    it("counts added, active and virtual events, and dumps them readably", () => {
      withBase(variant, (base, fds) => {
        const [a] = pair(fds);
        const r = base.event(a, EV.READ, () => {}).add(1000);
        base.timer(500, () => {});
        r.active(EV.READ);
        base.addVirtual();
        assert.equal(base.count(Count.ADDED), 2);
        assert.equal(base.count(Count.ACTIVE), 1);
        assert.equal(base.count(Count.VIRTUAL), 1);
        const dump = base.dump();
        assert.match(dump, new RegExp(`fd ${a}: READ timeout in`));
        assert.match(dump, /timer: 0 timeout in/);
        assert.match(dump, /Active events:\n.*\[active: READ\]/);
        base.removeVirtual();
      });
    });

    it("reinit rebuilds the backend and keeps every event working", () => {
      withBase(variant, (base, fds) => {
        const [a, b] = pair(fds);
        const [c, d] = pair(fds);
        const seen: number[] = [];
        base.event(b, EV.READ | EV.PERSIST, () => {
          sys.read(b);
          seen.push(b);
        }).add();
        base.event(d, EV.READ, () => {
          sys.read(d);
          seen.push(d);
        }).add();
        base.wake(); // a wake fd exists before reinit and must be replaced
        base.loopSync(NB);
        base.reinit();
        sys.write(a, "1");
        sys.write(c, "2");
        base.loopSync(EVLOOP.ONCE);
        assert.deepEqual(seen.sort(), [b, d].sort());
        base.wake();
        assert.equal(base.loopSync(NB | EVLOOP.NO_EXIT_ON_EMPTY), 0, "the new wake fd works");
      });
    });
  });
}

describe("base: bad input", () => {
  const base = new EventBase();
  it("`using` closes a base and its events at the end of the block", () => {
    let outer: EventBase;
    let outerEv: ReturnType<EventBase["event"]>;
    {
      using b3 = new EventBase();
      using ev = b3.event(-1, 0, () => {}).add(10);
      outer = b3;
      outerEv = ev;
      assert.equal(b3.count(), 1);
    }
    assert.ok(outerEv.closed);
    assert.ok(outer.closed);
  });
  it("closes", () => base.close());
});
