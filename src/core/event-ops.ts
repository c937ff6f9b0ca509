// What an Event's methods do to its base (libevent's event_add, event_del, event_active, ...):
// check the arguments and the event's state, then move the event between the evmap, the timers
// and the active queues. addNoCheck and delInternal are the unchecked cores every module uses.
import type { EventBase } from "./base.ts";
import type { Event, Finalizer } from "./event.ts";
import { ioAdd, ioDel, signalAdd, signalDel } from "./evmap.ts";
import {
  EV, EV_ALL, EV_IO, LIST_ACTIVE, LIST_ACTIVE_LATER, LIST_FINALIZING, LIST_FREE_AFTER_FINALIZE, LIST_FREED,
  LIST_INSERTED, LIST_PLACE_BITS, LIST_TIMEOUT, describeEvents,
} from "./flags.ts";
import { checkFd, describeValue } from "../ffi/mod.ts";
import { activate, insertActive, markAdded, markRemoved, removeActive } from "./queues.ts";
import { type TimeoutArg, checkTimeout, deadlineOf, removeTimeout, scheduleTimeout } from "./timers.ts";

/** Throws RangeError/TypeError unless (fd, events, callback) can make an event. */
export function checkEventArgs(fd: number, events: number, callback: unknown): void {
  // Within a C int and >= -1, before any call: Bun's FFI would pass 2^32 + 5 on as fd 5.
  checkFd(fd, "fd", -1);
  if (typeof events !== "number") throw new TypeError(`events must be EV bits (a number), got ${describeValue(events)}`);
  if (!Number.isInteger(events) || (events & ~EV_ALL) !== 0 || events < 0) {
    throw new RangeError(`unknown event flags ${describeValue(events)} (known: ${describeEvents(EV_ALL)})`);
  }
  if (typeof callback !== "function") throw new TypeError(`callback must be a function, got ${describeValue(callback)}`);
  if (events & EV.SIGNAL) {
    if (events & EV_IO) throw new RangeError(`EV.SIGNAL cannot be combined with READ/WRITE/CLOSED (got ${describeEvents(events)})`);
    if (fd < 1 || fd > 64) throw new RangeError(`signal number must be 1..64, got ${fd}`);
  } else if (events & EV_IO && fd < 0) {
    throw new RangeError(`an I/O event needs an fd >= 0, got ${fd}`);
  }
}

/** Throws unless `ev` is open and its base too. */
export function checkUsable(ev: Event): void {
  if (ev.state & LIST_FREED) throw new Error("this event is closed");
  if (ev.base.closed) throw new Error("this event's EventBase was closed");
}

/**
 * libevent's event_add_nolock_: onto its fd or signal unless already there (or active), and a
 * deadline when `timeout` is given; `absoluteDeadline` >= 0 re-arms a persistent event at that
 * time (no drift).
 */
export function addNoCheck(base: EventBase, ev: Event, timeout: TimeoutArg, absoluteDeadline: number): void {
  if (ev.events & (EV_IO | EV.SIGNAL) && !(ev.state & (LIST_INSERTED | LIST_ACTIVE | LIST_ACTIVE_LATER))) {
    if (ev.events & EV.SIGNAL) signalAdd(base, ev);
    else ioAdd(base, ev);
    markAdded(base, ev, LIST_INSERTED);
  }
  if (timeout !== null && timeout !== undefined) scheduleTimeout(base, ev, timeout, absoluteDeadline);
}

/** libevent's event_del_nolock_: out of the timer structures, the active queues and the evmap. */
export function delInternal(base: EventBase, ev: Event): void {
  if (ev.state & LIST_TIMEOUT) removeTimeout(base, ev);
  if (ev.state & (LIST_ACTIVE | LIST_ACTIVE_LATER)) removeActive(base, ev);
  if (ev.state & LIST_INSERTED) {
    // Leave the lists consistent even if the backend reports a failure.
    markRemoved(base, ev, LIST_INSERTED);
    if (ev.events & EV.SIGNAL) signalDel(base, ev);
    else ioDel(base, ev);
  }
}

/** base.once(): an event that closes itself when it runs, or runs at the next iteration when it waits on nothing. */
export function runOnce(base: EventBase, fd: number, events: number, callback: (fd: number, what: number) => unknown, timeout: TimeoutArg): void {
  if (events & (EV.SIGNAL | EV.PERSIST)) throw new RangeError(`once() does not take EV.SIGNAL or EV.PERSIST (got ${describeEvents(events)})`);
  checkTimeout(timeout);
  const ev = base.event(fd, events, (f, what) => {
    base.onceEvents.delete(ev);
    ev.state |= LIST_FREED;
    return callback(f, what);
  });
  base.onceEvents.add(ev);
  const immediate = (events & EV_IO) === 0 && (timeout === undefined || timeout === null || timeout === 0);
  if (immediate) activateEvent(ev, EV.TIMEOUT, 1);
  else ev.add(timeout);
}

/** Event.add(). */
export function addEvent(ev: Event, timeout: TimeoutArg): void {
  checkUsable(ev);
  checkTimeout(timeout);
  if (ev.state & LIST_FINALIZING) throw new Error("cannot add an event that is being finalized");
  // A plain add() forgets an earlier persistent interval unless a timeout is still pending.
  if ((timeout === null || timeout === undefined) && !(ev.state & LIST_TIMEOUT) && ev.ext) ev.ext.persistMs = -1;
  addNoCheck(ev.base, ev, timeout, -1);
}

/** Event.del(). */
export function delEvent(ev: Event): void {
  checkUsable(ev);
  delInternal(ev.base, ev);
  if (ev.ext) ev.ext.persistMs = -1;
}

/** Event.removeTimer(). */
export function removeTimer(ev: Event): void {
  checkUsable(ev);
  if (ev.state & LIST_TIMEOUT) removeTimeout(ev.base, ev);
  if (ev.ext) ev.ext.persistMs = -1;
}

/** Event.active(). */
export function activateEvent(ev: Event, what: number, ncalls: number): void {
  checkUsable(ev);
  if (!Number.isInteger(what) || (what & ~EV_ALL) !== 0) throw new RangeError(`unknown event flags ${String(what)}`);
  if (!Number.isInteger(ncalls) || ncalls < 1) throw new RangeError(`ncalls must be a positive integer, got ${String(ncalls)}`);
  activate(ev.base, ev, what, ncalls);
}

/** Event.pending(). */
export function pendingBits(ev: Event, what: number): number {
  checkUsable(ev);
  let flags = 0;
  if (ev.state & LIST_INSERTED) flags |= ev.events & (EV_IO | EV.SIGNAL);
  if (ev.state & (LIST_ACTIVE | LIST_ACTIVE_LATER)) flags |= ev.res;
  if (ev.state & LIST_TIMEOUT) flags |= EV.TIMEOUT;
  return flags & what & (EV.TIMEOUT | EV_IO | EV.SIGNAL);
}

/** Event.timeLeft(). */
export function timeLeft(ev: Event): number | null {
  checkUsable(ev);
  if (!(ev.state & LIST_TIMEOUT)) return null;
  return Math.max(0, deadlineOf(ev) - ev.base.now());
}

/** Event.priority = p. */
export function setPriority(ev: Event, p: number): void {
  checkUsable(ev);
  const n = ev.base.priorities;
  if (!Number.isInteger(p) || p < 0 || p >= n) throw new RangeError(`priority must be an integer 0..${n - 1}, got ${String(p)}`);
  if (ev.state & (LIST_ACTIVE | LIST_ACTIVE_LATER)) throw new Error("cannot change the priority of an active event");
  ev.priorityValue = p;
}

/** Event.finalize() and closeFinalize(). */
export function finalizeEvent(ev: Event, finalizer: Finalizer<unknown>, free: boolean): void {
  checkUsable(ev);
  if (typeof finalizer !== "function") throw new TypeError(`finalizer must be a function, got ${typeof finalizer}`);
  if (ev.state & LIST_FINALIZING) return;
  delInternal(ev.base, ev);
  ev.extras().finalizer = finalizer;
  ev.state |= LIST_FINALIZING | (free ? LIST_FREE_AFTER_FINALIZE : 0);
  insertActive(ev.base, ev);
  ev.res = EV.FINALIZE;
}

/** Event.close(). */
export function closeEvent(ev: Event): void {
  if (ev.state & LIST_FREED) return;
  if (!ev.base.closed) delInternal(ev.base, ev);
  // Nowhere any more: every place bit cleared, the priority kept.
  ev.state = (ev.state & ~LIST_PLACE_BITS) | LIST_FREED;
}
