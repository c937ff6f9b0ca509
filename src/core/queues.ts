// The active queues: one FIFO per priority of events whose callbacks are due, plus the queue of
// activations deferred to the next iteration (libevent's active_later_queue), and running them
// (libevent's event_process_active). The three counters the loop decides on live here and are
// changed nowhere else:
//   activeTotal  events in the priority queues, internal ones included (N_ACTIVE_CALLBACKS);
//   activeUser   non-internal events in the priority queues and the later queue;
//   addedUser    non-internal events that are added (on an fd or signal, or with a timeout).
// checkIntegrity() recounts them from the structures, for tests.
import type { EventBase } from "./base.ts";
import { delInternal } from "./event-ops.ts";
import type { Event } from "./event.ts";
import { evmapInconsistency } from "./evmap.ts";
import { allEvents } from "./inspect.ts";
import {
  EV, LIST_ACTIVE, LIST_ACTIVE_LATER, LIST_FINALIZING, LIST_FREE_AFTER_FINALIZE, LIST_FREED, LIST_INSERTED,
  LIST_INTERNAL, LIST_TIMEOUT, PRIORITY_SHIFT, RES_BITS, RES_SHIFT,
} from "./flags.ts";
import { rearmPersistent, timersInconsistency } from "./timers.ts";
import { poke } from "./wake.ts";

/** One priority's queue of active events, linked through the events. */
export class ActiveQueue {
  head: Event | null = null;
  tail: Event | null = null;
}

const MAX_PRIORITIES = 256;

/** `n` empty priority queues; throws RangeError outside 1..256. */
export function makeQueues(n: number): ActiveQueue[] {
  if (!Number.isInteger(n) || n < 1 || n > MAX_PRIORITIES) throw new RangeError(`priorities must be an integer 1..${MAX_PRIORITIES}, got ${n}`);
  return Array.from({ length: n }, () => new ActiveQueue());
}

/** Sets an "added" bit (LIST_INSERTED or LIST_TIMEOUT), counting the event on its first one. */
export function markAdded(base: EventBase, ev: Event, bit: number): void {
  if (!(ev.state & (LIST_INSERTED | LIST_TIMEOUT)) && !(ev.state & LIST_INTERNAL)) base.addedUser++;
  ev.state |= bit;
}

/** Clears an "added" bit, uncounting the event when it was its last one. */
export function markRemoved(base: EventBase, ev: Event, bit: number): void {
  ev.state &= ~bit;
  if (!(ev.state & (LIST_INSERTED | LIST_TIMEOUT)) && !(ev.state & LIST_INTERNAL)) base.addedUser--;
  // Host code deleted an event while the loop waits off-thread: the wait was computed for the old
  // state (the base may now be empty, or its earliest timer gone), so it must re-evaluate.
  if (base.waiting) poke(base);
}

/**
 * libevent's event_active_nolock_: queue `ev` with `res`, or merge `res` into its pending activation.
 * The per-event paths below (this fast path, linkActive, isPlainPersistent, shiftPersistent) test
 * flags by number, each named in a comment: see the note in flags.ts.
 */
export function activate(base: EventBase, ev: Event, res: number, ncalls: number): void {
  const state = ev.state;
  if ((state & 0x68 /* LIST_FINALIZING | LIST_ACTIVE | LIST_ACTIVE_LATER */) === 0 && (ev.events & 0x08 /* EV.SIGNAL */) === 0) {
    // The common case (an event not queued yet, with no signal count to keep) in one state write.
    const p = state >>> 18 /* PRIORITY_SHIFT */;
    if (p < base.runningPriority) base.continueRequested = true;
    ev.state = (state & ~0x3fc00 /* RES_BITS */) | (res << 10 /* RES_SHIFT */) | 0x08 /* LIST_ACTIVE */;
    linkActive(base, base.activeQueues[p], ev, state);
    return;
  }
  if (state & LIST_FINALIZING) return;
  if (state & LIST_ACTIVE) {
    ev.res |= res;
    if (ev.events & EV.SIGNAL) ev.extras().ncalls += ncalls;
    return;
  }
  if (state & LIST_ACTIVE_LATER) {
    ev.res |= res;
    removeActive(base, ev);
  } else {
    ev.res = res;
  }
  if (ev.priorityValue < base.runningPriority) base.continueRequested = true;
  if (ev.events & EV.SIGNAL) ev.extras().ncalls += ncalls;
  insertActive(base, ev);
}

/** Queues an activation for the next loop iteration (libevent's event_active_later_). */
export function activateLater(base: EventBase, ev: Event, res: number): void {
  if (ev.state & (LIST_ACTIVE | LIST_ACTIVE_LATER)) {
    ev.res |= res;
    return;
  }
  ev.res = res;
  ev.state |= LIST_ACTIVE_LATER;
  const q = base.activeLaterQueue;
  ev.prevActive = q.tail;
  ev.nextActive = null;
  if (q.tail) q.tail.nextActive = ev;
  else q.head = ev;
  q.tail = ev;
  if (!(ev.state & LIST_INTERNAL)) base.activeUser++;
  if (base.waiting) poke(base);
}

/** Moves the deferred activations into their priority queues, at the top of an iteration. */
export function moveLaterEventsActive(base: EventBase): void {
  const later = base.activeLaterQueue;
  let ev = later.head;
  if (ev === null) return;
  later.head = later.tail = null;
  while (ev !== null) {
    const next: Event | null = ev.nextActive;
    ev.state &= ~LIST_ACTIVE_LATER;
    if (!(ev.state & LIST_INTERNAL)) base.activeUser--;
    insertActive(base, ev);
    ev = next;
  }
}

/** Appends `ev` to its priority's queue. */
export function insertActive(base: EventBase, ev: Event): void {
  const state = ev.state;
  ev.state = state | LIST_ACTIVE;
  linkActive(base, base.activeQueues[state >>> PRIORITY_SHIFT], ev, state);
}

/** Links `ev` (marked LIST_ACTIVE already; `state` is its state, for the INTERNAL bit) at the tail of `q`, and counts it. */
function linkActive(base: EventBase, q: ActiveQueue, ev: Event, state: number): void {
  const tail = q.tail;
  ev.nextActive = null;
  ev.prevActive = tail;
  if (tail !== null) tail.nextActive = ev;
  else q.head = ev;
  q.tail = ev;
  base.activeTotal++;
  if (!(state & 0x10 /* LIST_INTERNAL */)) base.activeUser++;
  // An activation from host code (a timer, a promise) while the loop waits off-thread.
  if (base.waiting) poke(base);
}

/** Unlinks `ev` from the priority queue or the later queue it is in. */
export function removeActive(base: EventBase, ev: Event): void {
  const q = ev.state & LIST_ACTIVE_LATER ? base.activeLaterQueue : base.activeQueues[ev.priorityValue];
  if (ev.prevActive) ev.prevActive.nextActive = ev.nextActive;
  else q.head = ev.nextActive;
  if (ev.nextActive) ev.nextActive.prevActive = ev.prevActive;
  else q.tail = ev.prevActive;
  ev.nextActive = ev.prevActive = null;
  if (ev.state & LIST_ACTIVE) base.activeTotal--;
  if (!(ev.state & LIST_INTERNAL)) base.activeUser--;
  ev.state &= ~(LIST_ACTIVE | LIST_ACTIVE_LATER);
  if (base.waiting) poke(base);
}

/**
 * Runs the highest non-empty priority queue (libevent's event_process_active). Returns how many
 * user callbacks ran, or -1 when the loop must stop (break, or a callback threw).
 */
export function processActive(base: EventBase): number {
  const queues = base.activeQueues;
  const limits = base.dispatchLimits;
  // libevent's max_dispatch_interval: the deadline is taken once, when the callbacks start.
  let endTime = Infinity;
  if (limits.maxDispatchMs !== Infinity) {
    base.updateCacheTime();
    endTime = base.now() + limits.maxDispatchMs;
  }
  const bounded = limits.maxCallbacks !== Infinity || endTime !== Infinity;
  for (let p = 0; p < queues.length; p++) {
    const q = queues[p];
    if (q.head === null) continue;
    // The queue's callbacks run until it is empty, or (in a limited priority) maxCallbacks user
    // callbacks ran or the clock reached endTime: the loop then looks for new events and due
    // timers before running the rest. The loop is written out here rather than called: the
    // busy loop pays for every call and prologue once per iteration (docs/benchmarks.md).
    const limited = bounded && p >= limits.minPriority;
    base.runningPriority = p;
    let ran = 0;
    let ev: Event | null;
    // One try around the whole loop: a throw ends it either way.
    try {
      while ((ev = q.head) !== null) {
        const state = ev.state;
        const res = (state & RES_BITS) >>> RES_SHIFT;
        let r: unknown;
        if (isPlainPersistent(ev, state)) {
          // The common case, a persistent user event on an fd with no timeout, in the fewest steps.
          shiftPersistent(base, q, ev, state);
          ran++;
          r = ev.callback(ev.fd, res, ev.arg);
        } else {
          if (!(state & LIST_INTERNAL)) ran++;
          r = runEvent(base, q, ev, state, res);
        }
        if (r !== undefined) watchResult(base, r);
        if (base.breakRequested) {
          ran = -1;
          break;
        }
        if (base.continueRequested || (limited && reachedLimit(base, ran, limits.maxCallbacks, endTime))) break;
      }
    } catch (error) {
      base.callbackError = { error };
      ran = -1;
    }
    base.runningPriority = -1;
    // A queue with real work ran: lower priorities wait for the next iteration.
    if (ran !== 0) return ran;
  }
  return 0;
}

/** Whether a limited queue must stop: `maxCallbacks` user callbacks ran, or the clock reached `endTime`. */
function reachedLimit(base: EventBase, ran: number, maxCallbacks: number, endTime: number): boolean {
  if (ran >= maxCallbacks) return true;
  if (endTime === Infinity || ran === 0) return false;
  // Refreshing the cache as libevent does: the callbacks after this one see the new time.
  base.updateCacheTime();
  return base.now() >= endTime;
}

/** Takes any other event off the queue's head and runs its callback (or finalizer). */
function runEvent(base: EventBase, q: ActiveQueue, ev: Event, state: number, res: number): unknown {
  if (ev.events & EV.PERSIST && !(state & LIST_FINALIZING)) {
    shiftPersistent(base, q, ev, state);
  } else {
    delInternal(base, ev);
    ev.state &= ~RES_BITS;
  }
  if (state & LIST_FINALIZING) return runFinalizer(ev);
  if (ev.events & EV.SIGNAL) {
    const r = ev.callback(ev.fd, res, ev.arg);
    ev.ext!.ncalls = 0;
    return r;
  }
  if (ev.ext !== null && ev.ext.persistMs >= 0 && ev.events & EV.PERSIST) rearmPersistent(base, ev, res);
  return ev.callback(ev.fd, res, ev.arg);
}

/**
 * Whether `ev` (whose `state` is given) is a persistent user event with no timeout, no signal and
 * no finalizer pending: the common case, which shiftPersistent and a callback call fully handle.
 */
export function isPlainPersistent(ev: Event, state: number): boolean {
  return (ev.events & 0x18 /* EV.PERSIST | EV.SIGNAL */) === 0x10 /* EV.PERSIST */ && ev.ext === null &&
    (state & 0x50 /* LIST_FINALIZING | LIST_INTERNAL */) === 0;
}

/** Takes a persistent event (whose `state` is given) off the head of `q`, its res cleared: removeActive, unrolled for the head. */
export function shiftPersistent(base: EventBase, q: ActiveQueue, ev: Event, state: number): void {
  const next = ev.nextActive;
  q.head = next;
  if (next !== null) next.prevActive = null;
  else q.tail = null;
  ev.nextActive = null;
  ev.state = state & ~0x3fc08 /* LIST_ACTIVE | RES_BITS */;
  base.activeTotal--;
  if (!(state & 0x10 /* LIST_INTERNAL */)) base.activeUser--;
  if (base.waiting) poke(base);
}

function runFinalizer(ev: Event): unknown {
  const finalizer = ev.ext!.finalizer!;
  ev.ext!.finalizer = null;
  if (ev.state & LIST_FREE_AFTER_FINALIZE) ev.state |= LIST_FREED;
  ev.state &= ~(LIST_FINALIZING | LIST_FREE_AFTER_FINALIZE);
  return finalizer(ev, ev.arg);
}

/** Watches a callback's result when it is a promise (an async callback). */
export function watchResult(base: EventBase, r: unknown): void {
  if (isThenable(r)) watchAsyncCallback(base, r);
}

function isThenable(r: unknown): r is PromiseLike<unknown> {
  return typeof r === "object" && r !== null && typeof (r as PromiseLike<unknown>).then === "function";
}

/** A rejected promise from a callback surfaces like a thrown error. */
function watchAsyncCallback(base: EventBase, p: PromiseLike<unknown>): void {
  base.asyncPending++;
  p.then(() => {
    base.asyncPending--;
    if (base.waiting) poke(base);
  }, (error) => {
    base.asyncPending--;
    if (!base.callbackError) base.callbackError = { error };
    if (base.waiting) poke(base);
  });
}

/** Rethrows a callback's failure (sync throw, or an async callback's rejection seen since). */
export function throwPendingError(base: EventBase): void {
  const failure = base.callbackError;
  if (failure) {
    base.callbackError = null;
    throw failure.error;
  }
}

/** Why the active queues disagree with their counters or their events, or null. */
function queuesInconsistency(base: EventBase): string | null {
  let total = 0, user = 0;
  const walk = (q: ActiveQueue, bit: number, priority: number, name: string): string | null => {
    let prev: Event | null = null;
    for (let ev = q.head; ev !== null; prev = ev, ev = ev.nextActive) {
      if (ev.prevActive !== prev) return `${name}: an event's back link is wrong`;
      if ((ev.state & (LIST_ACTIVE | LIST_ACTIVE_LATER)) !== bit) return `${name}: an event's state 0x${ev.state.toString(16)} does not say it is there`;
      if (priority >= 0 && ev.priorityValue !== priority) return `${name}: holds an event of priority ${ev.priorityValue}`;
      if (bit === LIST_ACTIVE) total++;
      if (!(ev.state & LIST_INTERNAL)) user++;
    }
    if (q.tail !== prev) return `${name}: the tail is not the last event`;
    return null;
  };
  for (let p = 0; p < base.activeQueues.length; p++) {
    const problem = walk(base.activeQueues[p], LIST_ACTIVE, p, `active queue ${p}`);
    if (problem) return problem;
  }
  const problem = walk(base.activeLaterQueue, LIST_ACTIVE_LATER, -1, "the later queue");
  if (problem) return problem;
  if (total !== base.activeTotal) return `activeTotal is ${base.activeTotal} but the queues hold ${total} events`;
  if (user !== base.activeUser) return `activeUser is ${base.activeUser} but the queues hold ${user} user events`;
  let added = 0;
  for (const ev of allEvents(base)) if (ev.state & (LIST_INSERTED | LIST_TIMEOUT)) added++;
  if (added !== base.addedUser) return `addedUser is ${base.addedUser} but ${added} user events are added`;
  return null;
}

/**
 * Throws an Error naming the first inconsistency among the base's structures: the counters
 * against the queues, the timer heap's order and positions, the common-timeout queues, and each
 * fd's per-bit counts against its events.
 */
export function checkIntegrity(base: EventBase): void {
  const problem = queuesInconsistency(base) ?? timersInconsistency(base) ?? evmapInconsistency(base);
  if (problem) throw new Error(`EventBase (${base.method}) is inconsistent: ${problem}`);
}
