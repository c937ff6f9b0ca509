// libevent's observable behaviour, modelled on its regress "main/" group, on every backend.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Count, EV, EVLOOP, Event, EventBase, SyscallError, sys } from "./deps.ts";
import { backendVariants, busyWait, pair, withBase } from "./helpers.ts";

const NB = EVLOOP.NONBLOCK;

for (const variant of backendVariants()) {
  describe(`core on ${variant.label}`, () => {
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

    it("once: fd readiness or timeout, and a zero timeout without touching the timer heap", () => {
      withBase(variant, (base, fds) => {
        const [a, b] = pair(fds);
        const order: string[] = [];
        base.once(b, EV.READ, (_fd, what) => void order.push(`fd:${what}`), 10_000);
        base.once(-1, EV.TIMEOUT, (_fd, what) => void order.push(`timer:${what}`), 5);
        base.once(-1, EV.TIMEOUT, (_fd, what) => void order.push(`now:${what}`));
        assert.equal(base.count(Count.ACTIVE), 1, "the zero-timeout once is active at once");
        assert.doesNotMatch(base.dump().split("Active events:")[0], /timer: TIMEOUT timeout in 0\.000/);
        base.loopSync(EVLOOP.ONCE);
        assert.deepEqual(order, [`now:${EV.TIMEOUT}`]);
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

    it("timers fire in deadline order, and the wait is bounded by the earliest", () => {
      withBase(variant, (base) => {
        const order: number[] = [];
        for (const ms of [30, 5, 20, 1, 10]) base.timer(ms, () => void order.push(ms));
        assert.equal(base.loopSync(), 1);
        assert.deepEqual(order, [1, 5, 10, 20, 30]);
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

describe("core: bad input", () => {
  const base = new EventBase();
  it("rejects unknown flags, bad fds, EV.SIGNAL with I/O and bad timeouts", () => {
    assert.throws(() => base.event(0, 0x1000, () => {}), RangeError);
    assert.throws(() => base.event(-2, EV.READ, () => {}), RangeError);
    assert.throws(() => base.event(-1, EV.READ, () => {}), RangeError);
    assert.throws(() => base.event(2, EV.SIGNAL | EV.READ, () => {}), /SIGNAL cannot be combined/);
    assert.throws(() => base.event(0, EV.READ, "nope" as unknown as () => void), TypeError);
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
