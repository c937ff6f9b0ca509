// An event: interest in an fd, a signal or a deadline, and the callback to run.
// The Event holds its own links (active queue, common-timeout queue) and heap index, so moving it
// between the base's structures allocates nothing.
import type { EventBase } from "./base.ts";
import type { CommonTimeout } from "./common-timeout.ts";
import {
  activateEvent, addEvent, closeEvent, delEvent, finalizeEvent, pendingBits, removeTimer, setPriority, timeLeft,
} from "./event-ops.ts";
import {
  EV, LIST_ACTIVE, LIST_ACTIVE_LATER, LIST_FREED, LIST_INSERTED, LIST_TIMEOUT, PRIORITY_SHIFT, RES_BITS, RES_SHIFT,
} from "./flags.ts";
import type { TimeoutArg } from "./timers.ts";
import { printAs } from "../ffi/mod.ts";
import { describeEvent } from "./inspect.ts";

/** A callback: the fd (or signal number, or -1), the EV bits that happened, and the event's arg. */
// (Method syntax makes the parameter bivariant, so an Event<Foo> is usable as an Event<unknown>.)
export type EventCallback<A = Event> = { bivariant(fd: number, what: number, arg: A): unknown }["bivariant"];
/** What EV.FINALIZE events and finalize() run instead of the callback, once the event can no longer run. */
export type Finalizer<A> = { bivariant(ev: Event<A>, arg: A): unknown }["bivariant"];

/**
 * @internal
 * What only some events need (persistent timeouts, signals, common timeouts, finalizers), kept out
 * of Event so that the common event stays small: 10 fields, none of them a fractional number (V8
 * keeps such a field's value in a separate box).
 */
export class EventExtras<A = unknown> {
  /** Interval for persistent re-arming, in ms; -1 when none. */
  persistMs = -1;
  /**
   * The deadline while in a common timeout's queue, and the last deadline after the event left
   * the heap (the drift-free re-arm starts from it). Heap deadlines live in the heap.
   */
  deadline = 0;
  /** Signal arrivals for the pending run of the callback. */
  ncalls = 0;
  /** The common timeout the deadline is queued in, and the links of that queue. */
  common: CommonTimeout | null = null;
  nextTimer: Event | null = null;
  prevTimer: Event | null = null;
  /** Finalizer to run instead of the callback (event_finalize). */
  finalizer: Finalizer<A> | null = null;
}

/**
 * One registration on a base (libevent's `struct event`): an fd's readiness (`EV.READ`,
 * `EV.WRITE`, `EV.CLOSED`), a signal (`EV.SIGNAL`), a timeout, or several at once, and the callback
 * to run. Made by {@link EventBase.event}, {@link EventBase.timer} or {@link EventBase.signal}; an
 * event is reusable: `add()` and `del()` as often as needed, then `close()`.
 *
 * Costs: one object per event, no per-callback allocation (the callback receives the fd, the EV
 * bits that fired and `arg`). `add()` on an fd costs at most one backend syscall (when the fd's
 * interest changes), a timeout a heap insert; a persistent event stays registered between
 * callbacks and costs nothing to re-arm but a heap update for its timeout.
 *
 * @example
 * ```ts
 * import { EV, EventBase } from "evffi";
 *
 * const base = new EventBase();
 * let ticks = 0;
 * const ev = base.event(-1, EV.PERSIST, (_fd, what, self) => {
 *   if (what & EV.TIMEOUT) console.log(`tick ${++ticks}`); // prints: tick 1
 *   if (ticks === 3) self.close();
 * });
 * ev.add(5); // a pure timer (fd -1), every 5 ms while persistent
 * base.loopSync(); // three ticks, then no events are left
 * base.close();
 * ```
 */
export class Event<A = unknown> {
  /** @internal */ base: EventBase;
  /** The fd, the signal number for EV.SIGNAL events, or -1 for pure timers. */
  fd: number;
  /** The EV bits this event was created with. */
  events: number;
  /** @internal */ callback: EventCallback<A>;
  /** The value passed as the callback's third argument (the event itself unless given). */
  arg: A;
  /** @internal LIST_* bits (where the event is now), the activation's EV bits and the priority (see RES_SHIFT). */
  state: number;
  /** @internal Position in the timer heap (which holds the deadline), -1 when absent. */
  heapIndex = -1;
  /** @internal Links of the active queue. */
  nextActive: Event | null = null;
  /** @internal */
  prevActive: Event | null = null;
  /** @internal Allocated on first need. */
  ext: EventExtras<A> | null = null;

  /** @internal Use `base.event()` (or `event_new` in compat). */
  constructor(base: EventBase, fd: number, events: number, callback: EventCallback<A>, arg: A, priority: number) {
    this.base = base;
    this.fd = fd;
    this.events = events;
    this.callback = callback;
    this.arg = arg;
    this.state = priority << PRIORITY_SHIFT;
  }

  /** @internal */
  get priorityValue(): number {
    return this.state >>> PRIORITY_SHIFT;
  }
  /** @internal */
  set priorityValue(p: number) {
    this.state = (this.state & ((1 << PRIORITY_SHIFT) - 1)) | (p << PRIORITY_SHIFT);
  }

  /** @internal EV bits the pending activation carries (kept in `state`). */
  get res(): number {
    return (this.state & RES_BITS) >>> RES_SHIFT;
  }
  /** @internal */
  set res(bits: number) {
    this.state = (this.state & ~RES_BITS) | (bits << RES_SHIFT);
  }

  /** @internal The extras, created on first use. */
  extras(): EventExtras<A> {
    return this.ext ??= new EventExtras<A>();
  }

  /** How many times the signal arrived for the current run of the callback (EV.SIGNAL events). */
  get ncalls(): number {
    return this.ext === null ? 0 : this.ext.ncalls;
  }

  /**
   * Makes the event pending: on its fd/signal, and until `timeout` ms from now when given
   * (fractions allowed; a CommonTimeout from `base.commonTimeout(ms)` for many equal timeouts).
   * Re-adding a pending event replaces its timeout. Returns the event.
   */
  add(timeout?: TimeoutArg): this {
    addEvent(this, timeout);
    return this;
  }

  /** Makes the event non-pending and non-active. */
  del(): this {
    delEvent(this);
    return this;
  }

  /** Removes only the timeout, keeping the event pending on its fd or signal. */
  removeTimer(): this {
    removeTimer(this);
    return this;
  }

  /** Makes the event active with `what` (merged into an activation already pending). */
  active(what: number = EV.TIMEOUT, ncalls = 1): this {
    activateEvent(this, what, ncalls);
    return this;
  }

  /**
   * Which of `what` (default: all) the event is pending or active for:
   * READ/WRITE/CLOSED/SIGNAL while added, the activation's bits while active, TIMEOUT while a
   * deadline is set.
   */
  pending(what = EV.TIMEOUT | EV.READ | EV.WRITE | EV.SIGNAL | EV.CLOSED): number {
    return pendingBits(this, what);
  }

  /** Milliseconds until the timeout fires, or null if no timeout is set. */
  timeLeft(): number | null {
    return timeLeft(this);
  }

  /** Whether the event is pending on anything or active. */
  get isPending(): boolean {
    return (this.state & (LIST_INSERTED | LIST_TIMEOUT | LIST_ACTIVE | LIST_ACTIVE_LATER)) !== 0;
  }

  /** The priority queue the event is activated into (0 runs first). */
  get priority(): number {
    return this.priorityValue;
  }
  set priority(p: number) {
    setPriority(this, p);
  }

  /** The base the event belongs to. */
  get eventBase(): EventBase {
    return this.base;
  }

  /** The callback that runs when the event fires. */
  get handler(): EventCallback<A> {
    return this.callback;
  }

  /**
   * Deletes the event and runs `finalizer` from the loop once no callback of it can be running
   * (libevent's event_finalize). The event cannot be added again afterwards.
   */
  finalize(finalizer: Finalizer<A>): void {
    finalizeEvent(this, finalizer as Finalizer<unknown>, false);
  }

  /** Like finalize(), then frees the event. */
  closeFinalize(finalizer: Finalizer<A>): void {
    finalizeEvent(this, finalizer as Finalizer<unknown>, true);
  }

  /** Same as close(), for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Deletes the event and makes it unusable. */
  close(): void {
    closeEvent(this);
  }

  /** Whether close() was called. */
  get closed(): boolean {
    return (this.state & LIST_FREED) !== 0;
  }
}

printAs(Event, describeEvent);
