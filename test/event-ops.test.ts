// Property-based tests of what Event's methods do (core/event-ops.ts) and how the loop runs the
// result: random sequences of add, del, active, priority changes, timeouts, writes to sockets, fd
// closes and reuse, run on every backend and compared with a small reference model of what is
// observable (which callbacks run, with which bits, in which order of priority, what pending()
// says, what the loop returns).
//
// Seeded (EVFFI_PROPERTY_SEED); a failure shrinks to a short sequence and prints it with the seed.
// `npm test` runs a bounded number of sequences per backend; EVFFI_PROPERTY_RUNS asks for more.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { EV, EVLOOP, EventBase, type Event, getEnvForTests, sys } from "./deps.ts";
import { backendVariants } from "./helpers.ts";

const RUNS = Number(getEnvForTests("EVFFI_PROPERTY_RUNS") ?? 150);
const SEED = Number(getEnvForTests("EVFFI_PROPERTY_SEED") ?? 20261201);
const SOCKETS = 2;
const PRIORITIES = 3;
/** A timeout that never expires during a test: it is only ever pending. */
const NEVER = 60_000;

/** What an event is: a reader or writer on one of the sockets, or a pure timer. */
interface EventSpec {
  kind: "read" | "write" | "timer";
  socket: number;
  persist: boolean;
}

type Op =
  | { op: "add"; ev: number; timeout: null | 0 | typeof NEVER }
  | { op: "del"; ev: number }
  | { op: "active"; ev: number; bits: number }
  | { op: "priority"; ev: number; priority: number }
  | { op: "write"; socket: number }
  | { op: "run" }
  | { op: "reopen"; socket: number };

/** The model's view of one event. */
interface ModelEvent {
  spec: EventSpec;
  /** On its fd (READ/WRITE events only). */
  inserted: boolean;
  /** The pending timeout, or null. */
  timeout: null | 0 | typeof NEVER;
  /** The bits of a pending activation, 0 when not active. */
  res: number;
  priority: number;
  /** A persistent event's interval is kept: running it re-adds it (on its fd too) with the timeout. */
  rearms: boolean;
}

function ioBits(spec: EventSpec): number {
  return spec.kind === "read" ? EV.READ : spec.kind === "write" ? EV.WRITE : 0;
}

function flags(spec: EventSpec): number {
  return ioBits(spec) | (spec.persist ? EV.PERSIST : 0);
}

function modelPending(m: ModelEvent): number {
  return (m.inserted ? ioBits(m.spec) : 0) | (m.timeout !== null ? EV.TIMEOUT : 0) | m.res;
}

const specArb: fc.Arbitrary<EventSpec> = fc.record({
  kind: fc.constantFrom("read" as const, "write" as const, "timer" as const),
  socket: fc.integer({ min: 0, max: SOCKETS - 1 }),
  persist: fc.boolean(),
}).map((s) => ({
  ...s,
  // A persistent writer would be ready at every iteration, and a NONBLOCK loop would never end.
  persist: s.kind === "write" ? false : s.persist,
}));

function opArb(nEvents: number): fc.Arbitrary<Op> {
  const ev = fc.integer({ min: 0, max: nEvents - 1 });
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ op: fc.constant("add" as const), ev, timeout: fc.constantFrom(null, 0 as const, NEVER) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant("del" as const), ev }) },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant("active" as const),
        ev,
        bits: fc.constantFrom(EV.READ, EV.WRITE, EV.TIMEOUT, EV.READ | EV.TIMEOUT),
      }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant("priority" as const), ev, priority: fc.integer({ min: 0, max: PRIORITIES - 1 }) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant("write" as const), socket: fc.integer({ min: 0, max: SOCKETS - 1 }) }) },
    { weight: 3, arbitrary: fc.constant({ op: "run" as const }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant("reopen" as const), socket: fc.integer({ min: 0, max: SOCKETS - 1 }) }) },
  );
}

const scenarioArb = fc.array(specArb, { minLength: 1, maxLength: 5 }).chain((specs) =>
  fc.tuple(fc.constant(specs), fc.array(opArb(specs.length), { minLength: 1, maxLength: 40 }))
);

/** Runs `ops` on a real base of `options` and on the model, comparing after every step. */
function check(options: ConstructorParameters<typeof EventBase>[0], specs: EventSpec[], ops: Op[]): void {
  const base = new EventBase({ ...options, priorities: PRIORITIES });
  // sockets[s] = [writer end, reader end]: events watch the reader end.
  const sockets: [number, number][] = [];
  const events: Event[] = [];
  const fired: [number, number][] = [];
  const firedPriorities: number[] = [];
  try {
    for (let s = 0; s < SOCKETS; s++) sockets.push(sys.socketpair());
    const model: ModelEvent[] = specs.map((spec) => ({ spec, inserted: false, timeout: null, res: 0, priority: 1, rearms: false }));
    const readable: boolean[] = sockets.map(() => false);

    const create = (i: number): Event => {
      const spec = specs[i];
      const fd = spec.kind === "timer" ? -1 : sockets[spec.socket][1];
      const ev = base.event(fd, flags(spec), (f, what) => {
        fired.push([i, what]);
        firedPriorities.push(events[i].priority);
        if (what & EV.READ) while (sys.read(sockets[spec.socket][1], 4096) !== null) { /* drain */ }
        void f;
      });
      ev.priority = model[i].priority;
      return ev;
    };
    for (let i = 0; i < specs.length; i++) events.push(create(i));

    ops.forEach((op, step) => {
      const where = `step ${step} (${JSON.stringify(op)})`;
      switch (op.op) {
        case "add": {
          const m = model[op.ev];
          const timeout = m.spec.persist && op.timeout === 0 ? NEVER : op.timeout; // a 0 ms persistent timer never stops firing
          events[op.ev].add(timeout);
          // As in libevent's event_add: an active event is not put on its fd (checked first), and
          // a new timeout then cancels an activation that carries TIMEOUT (it must not fire for
          // the old one), so such an event ends up with only its timeout.
          if (ioBits(m.spec) && m.res === 0) m.inserted = true;
          if (timeout !== null && m.res & EV.TIMEOUT) m.res = 0;
          // A plain add() forgets the interval unless a timeout is still pending.
          if (timeout !== null) m.rearms = m.spec.persist;
          else if (m.timeout === null) m.rearms = false;
          if (timeout !== null) m.timeout = timeout;
          break;
        }
        case "del": {
          events[op.ev].del();
          Object.assign(model[op.ev], { inserted: false, timeout: null, res: 0, rearms: false });
          break;
        }
        case "active": {
          events[op.ev].active(op.bits);
          model[op.ev].res |= op.bits;
          break;
        }
        case "priority": {
          const m = model[op.ev];
          if (m.res !== 0) {
            assert.throws(() => (events[op.ev].priority = op.priority), /active/, where);
          } else {
            events[op.ev].priority = op.priority;
            m.priority = op.priority;
          }
          break;
        }
        case "write": {
          sys.write(sockets[op.socket][0], "x");
          readable[op.socket] = true;
          break;
        }
        case "reopen": {
          // Proper reuse: delete the fd's events, close it, and watch the new socket (which
          // usually gets the same fd numbers) with new events.
          for (let i = 0; i < specs.length; i++) {
            if (specs[i].kind === "timer" || specs[i].socket !== op.socket) continue;
            events[i].close();
            Object.assign(model[i], { inserted: false, timeout: null, res: 0, rearms: false });
          }
          sys.close(sockets[op.socket][0]);
          sys.close(sockets[op.socket][1]);
          sockets[op.socket] = sys.socketpair();
          readable[op.socket] = false;
          for (let i = 0; i < specs.length; i++) {
            if (specs[i].kind !== "timer" && specs[i].socket === op.socket) events[i] = create(i);
          }
          break;
        }
        case "run": {
          const { batches, result: expectedResult } = modelLoop(model, readable);
          fired.length = 0;
          firedPriorities.length = 0;
          const result = base.loopSync(EVLOOP.NONBLOCK);
          // The loop runs one priority queue per iteration; within a queue the order follows the
          // kernel's readiness order, which the model leaves open: compare each batch as a set.
          const key = (list: [number, number][]) => list.map(([i, what]) => `${i}:${what}`).sort();
          let at = 0;
          batches.forEach((batch, k) => {
            const chunk = fired.slice(at, at + batch.events.length);
            assert.deepEqual(key(chunk), key(batch.events), `${where}: iteration ${k} runs priority ${batch.priority}'s queue`);
            for (const p of firedPriorities.slice(at, at + batch.events.length)) assert.equal(p, batch.priority, `${where}: priority`);
            at += batch.events.length;
          });
          assert.equal(fired.length, at, `${where}: callbacks beyond the model's: ${JSON.stringify(fired.slice(at))}`);
          assert.equal(result, expectedResult, `${where}: loop result`);
          break;
        }
      }
      model.forEach((m, i) => {
        assert.equal(events[i].pending(), modelPending(m), `${where}: pending() of event ${i} (${JSON.stringify(m)})`);
      });
      // count() sums the added and the active events, as libevent's event_base_get_num_events does.
      const added = model.filter((m) => m.inserted || m.timeout !== null).length;
      const active = model.filter((m) => m.res !== 0).length;
      assert.equal(base.count(), added + active, `${where}: count()`);
      base.checkIntegrity();
    });
  } finally {
    base.close();
    for (const [a, b] of sockets) {
      sys.closeQuietly(a);
      sys.closeQuietly(b);
    }
  }
}

/**
 * The model of `loopSync(EVLOOP.NONBLOCK)`: iterations of poll (inserted events whose fd is
 * ready), timer expiry (0 ms timeouts are due), and the run of the highest-priority non-empty
 * queue, until an iteration finds nothing active (0) or nothing is added or active (1).
 */
function modelLoop(model: ModelEvent[], readable: boolean[]): { batches: { priority: number; events: [number, number][] }[]; result: number } {
  const batches: { priority: number; events: [number, number][] }[] = [];
  for (;;) {
    if (!model.some((m) => m.inserted || m.timeout !== null || m.res !== 0)) return { batches, result: 1 };
    for (const m of model) {
      if (m.inserted && m.spec.kind === "read" && readable[m.spec.socket]) m.res |= EV.READ;
      if (m.inserted && m.spec.kind === "write") m.res |= EV.WRITE;
    }
    for (const m of model) {
      if (m.timeout !== 0) continue;
      // Due: an event not active yet is deleted (fd included) and activated with TIMEOUT; an
      // active one gets TIMEOUT added. Either way it runs, and (not persistent) ends deleted.
      m.timeout = null;
      if (m.res === 0) m.inserted = false;
      m.res |= EV.TIMEOUT;
    }
    const active = model.filter((m) => m.res !== 0);
    if (active.length === 0) return { batches, result: 0 };
    const priority = Math.min(...active.map((m) => m.priority));
    const events: [number, number][] = [];
    model.forEach((m, i) => {
      if (m.res === 0 || m.priority !== priority) return;
      events.push([i, m.res]);
      if (m.res & EV.READ) readable[m.spec.socket] = false;
      m.res = 0;
      if (!m.spec.persist) {
        m.inserted = false;
        m.timeout = null;
      } else if (m.rearms) {
        // libevent's event_persist_closure: re-added before the callback, on its fd too.
        m.inserted = ioBits(m.spec) !== 0;
        m.timeout = NEVER;
      }
    });
    batches.push({ priority, events });
  }
}

for (const variant of backendVariants()) {
  describe(`event operations on ${variant.label} (property)`, () => {
    it(`random add/del/active/priority/timeout/fd-reuse sequences agree with the model (${RUNS} runs, seed ${SEED})`, () => {
      fc.assert(fc.property(scenarioArb, ([specs, ops]) => check(variant.options, specs, ops)), {
        seed: SEED,
        numRuns: RUNS,
        endOnFailure: false,
      });
    });
  });
}
