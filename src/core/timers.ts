// Timers: the min-heap of deadlines, the common timeouts (one heap entry standing for a FIFO of
// equal durations), moving due timers to the active queues, and re-arming persistent timeouts
// without drift. Deadlines are on the base's monotonic clock, in ms.
import type { EventBase } from "./base.ts";
import { addNoCheck, delInternal } from "./event-ops.ts";
import { CommonTimeout } from "./common-timeout.ts";
import { Event } from "./event.ts";
import { EV, LIST_ACTIVE, LIST_INTERNAL, LIST_TIMEOUT } from "./flags.ts";
import { activate, markAdded, markRemoved, removeActive } from "./queues.ts";
import { poke } from "./wake.ts";
import { TimerHeap } from "./minheap.ts";

/** A timeout: milliseconds (fractions allowed), a CommonTimeout, or null/undefined for none. */
export type TimeoutArg = number | CommonTimeout | null | undefined;

const MAX_COMMON_TIMEOUTS = 256;

/** Throws RangeError/TypeError unless `timeout` is a TimeoutArg. */
export function checkTimeout(timeout: unknown): void {
  if (typeof timeout === "number") {
    if (!Number.isFinite(timeout) || timeout < 0) throw new RangeError(`timeout must be a finite number of ms >= 0, got ${timeout}`);
  } else if (timeout !== null && timeout !== undefined && !(timeout instanceof CommonTimeout)) {
    throw new TypeError(`timeout must be milliseconds, a CommonTimeout or null, got ${typeof timeout === "object" ? JSON.stringify(timeout) : String(timeout)}`);
  }
}

/** The base's common timeout of `ms`, created with its internal timer on first request. */
export function commonTimeoutFor(base: EventBase, ms: number): CommonTimeout {
  const found = base.commonTimeouts.find((c) => c.duration === ms);
  if (found) return found;
  if (base.commonTimeouts.length >= MAX_COMMON_TIMEOUTS) throw new RangeError(`a base has at most ${MAX_COMMON_TIMEOUTS} common timeouts`);
  const common = new CommonTimeout(ms, base.commonTimeouts.length);
  const timer = new Event(base, -1, 0, () => expireCommon(base, common), null, 0);
  timer.state |= LIST_INTERNAL;
  common.timer = timer;
  base.commonTimeouts.push(common);
  return common;
}

/**
 * Gives `ev` a deadline `timeout` from now, or at `absoluteDeadline` when that is >= 0 (the
 * re-arm of a persistent event), replacing any deadline it had.
 */
export function scheduleTimeout(base: EventBase, ev: Event, timeout: number | CommonTimeout, absoluteDeadline: number): void {
  const common = timeout instanceof CommonTimeout ? timeout : null;
  const ms = common ? common.duration : (timeout as number);
  if (ev.events & EV.PERSIST && absoluteDeadline < 0) ev.extras().persistMs = ms;
  if (ev.state & LIST_TIMEOUT) removeTimeout(base, ev);
  // An event active because of its old timeout must not fire for it after getting a new one.
  if (ev.state & LIST_ACTIVE && ev.res & EV.TIMEOUT) {
    if (ev.events & EV.SIGNAL && ev.ext) ev.ext.ncalls = 0;
    removeActive(base, ev);
  }
  const deadline = absoluteDeadline >= 0 ? absoluteDeadline : base.now() + ms;
  markAdded(base, ev, LIST_TIMEOUT);
  if (common) {
    const x = ev.extras();
    x.common = common;
    x.deadline = deadline;
    if (common.insert(ev)) scheduleCommon(base, common);
  } else {
    if (ev.ext) ev.ext.common = null;
    base.timeHeap.push(ev, deadline);
  }
  if (base.waiting && deadline < base.offThread.deadline) poke(base);
}

/** The deadline of `ev` (ms on the base's clock); for an event without a timeout, its last one or 0. */
export function deadlineOf(ev: Event): number {
  if (ev.heapIndex >= 0) return ev.base.timeHeap.deadlineOf(ev);
  return ev.ext === null ? 0 : ev.ext.deadline;
}

/** Takes `ev` out of the heap or its common-timeout queue. */
export function removeTimeout(base: EventBase, ev: Event): void {
  const common = ev.ext === null ? null : ev.ext.common;
  if (common) {
    const wasHead = common.head === ev;
    common.remove(ev);
    ev.ext!.common = null;
    if (wasHead) scheduleCommon(base, common);
  } else {
    // Keep the deadline where a persistent event's re-arm will look for it.
    if (ev.ext !== null) ev.ext.deadline = base.timeHeap.deadlineOf(ev);
    base.timeHeap.remove(ev);
  }
  markRemoved(base, ev, LIST_TIMEOUT);
}

/** Keeps a common timeout's internal timer at the deadline of its queue's head. */
function scheduleCommon(base: EventBase, common: CommonTimeout): void {
  const timer = common.timer;
  const head = common.head;
  if (head === null) {
    if (timer.state & LIST_TIMEOUT) {
      base.timeHeap.remove(timer);
      timer.state &= ~LIST_TIMEOUT;
    }
    return;
  }
  const deadline = head.ext!.deadline;
  if (timer.state & LIST_TIMEOUT) base.timeHeap.update(timer, deadline);
  else {
    timer.state |= LIST_TIMEOUT;
    base.timeHeap.push(timer, deadline);
  }
}

function expireCommon(base: EventBase, common: CommonTimeout): void {
  const now = base.now();
  let ev: Event | null;
  while ((ev = common.head) !== null && ev.ext!.deadline <= now) {
    delInternal(base, ev);
    activate(base, ev, EV.TIMEOUT, 1);
  }
  scheduleCommon(base, common);
}

/** Moves due timers to the active queues (libevent's timeout_process). */
export function expireTimers(base: EventBase): void {
  const heap = base.timeHeap;
  if (heap.size === 0) return;
  const now = base.now();
  while (heap.topDeadline() <= now) {
    const top = heap.top()!;
    if (top.state & LIST_INTERNAL) {
      // A common timeout's stand-in: take it out of the heap and let its callback expire the queue.
      heap.pop();
      top.state &= ~LIST_TIMEOUT;
      activate(base, top, EV.TIMEOUT, 1);
    } else if (top.state & LIST_ACTIVE) {
      // Already active through its fd in this iteration: add TIMEOUT to that activation
      // (libevent deletes it and reports TIMEOUT alone, losing an edge-triggered READ).
      removeTimeout(base, top);
      top.res |= EV.TIMEOUT;
    } else {
      delInternal(base, top);
      activate(base, top, EV.TIMEOUT, 1);
    }
  }
}

/** Milliseconds until the earliest deadline (0 if due), or null with no timer. */
export function nextTimeout(base: EventBase): number | null {
  const heap = base.timeHeap;
  if (heap.size === 0) return null;
  const wait = heap.topDeadline() - base.now();
  return wait > 0 ? wait : 0;
}

/**
 * Re-adds a persistent event's timeout before its callback (libevent's event_persist_closure):
 * after a timeout, from the previous deadline, so the period does not drift; after I/O, from
 * now. A deadline already in the past (a stall) restarts from now instead of bursting.
 */
export function rearmPersistent(base: EventBase, ev: Event, res: number): void {
  const now = base.now();
  const x = ev.ext!;
  let runAt = (res & EV.TIMEOUT ? x.deadline : now) + x.persistMs;
  if (runAt < now) runAt = now + x.persistMs;
  addNoCheck(base, ev, x.common ?? x.persistMs, runAt);
}

/** Why the heap or a common-timeout queue is malformed, or null. */
export function timersInconsistency(base: EventBase): string | null {
  const nodes = base.timeHeap.toArray();
  for (let i = 0; i < nodes.length; i++) {
    const ev = nodes[i];
    if (ev.heapIndex !== i) return `the timer heap's node at ${i} says it is at ${ev.heapIndex}`;
    if (i > 0 && base.timeHeap.precedes(i, TimerHeap.parentOf(i))) return `the timer heap's order is broken at ${i}`;
    if (!(ev.state & LIST_TIMEOUT)) return `the timer heap holds an event without a timeout`;
    if (ev.ext !== null && ev.ext.common !== null) return `the timer heap holds an event of a common timeout`;
  }
  for (const common of base.commonTimeouts) {
    let prev: Event | null = null;
    for (let ev = common.head; ev !== null; prev = ev, ev = ev.ext!.nextTimer) {
      if (ev.ext!.prevTimer !== prev) return `common timeout ${common.duration} ms: an event's back link is wrong`;
      if (ev.ext!.common !== common) return `common timeout ${common.duration} ms: holds an event of another`;
      if (!(ev.state & LIST_TIMEOUT)) return `common timeout ${common.duration} ms: holds an event without a timeout`;
      if (prev !== null && prev.ext!.deadline > ev.ext!.deadline) return `common timeout ${common.duration} ms: deadlines out of order`;
    }
    if (common.tail !== prev) return `common timeout ${common.duration} ms: the tail is not the last event`;
    const timer = common.timer;
    const inHeap = timer.heapIndex >= 0 && nodes[timer.heapIndex] === timer;
    // Between its expiry and its callback the stand-in is active instead of in the heap.
    const expiring = (timer.state & LIST_ACTIVE) !== 0;
    if (common.head === null ? inHeap : inHeap ? base.timeHeap.deadlineOf(timer) !== common.head.ext!.deadline : !expiring) {
      return `common timeout ${common.duration} ms: its heap entry does not match its queue's head`;
    }
  }
  return null;
}
