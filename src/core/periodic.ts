// Timers on the wall clock (libev's ev_periodic): "every hour on the hour", "at 03:00", or
// whenever a user's function says. The base's timers run on the monotonic clock, which is right
// for "in 5 seconds" and wrong for these: when the wall clock is stepped (NTP, the administrator,
// a VM resumed) a monotonic deadline keeps its distance and the firing lands at the wrong wall time.
//
// How a wall-clock step is followed: as libev does, each periodic timer is an ordinary timer on
// the monotonic heap, and in every loop iteration (the watchers' hook before the wait) it compares
// the wall clock's offset from the monotonic clock with the offset it was armed under; when the
// two differ, the clock was stepped and the timer is re-armed against the wall clock. While a
// periodic timer exists the loop wakes at least every minute (PERIODIC_MAX_WAIT_MS), so a step
// during a long wait is noticed within a minute. The alternative, a CLOCK_REALTIME timerfd with
// TFD_TIMER_CANCEL_ON_SET, reports steps at once but exists only on Linux, costs an fd per base
// and a second path in every backend; the per-iteration check is the same code on every platform
// and backend, costs one clock read per timer per iteration (only while such timers exist), and
// lets a test inject its own wall clock and step it without root.
//
// When the timer's monotonic deadline comes, it fires only if the wall clock has really reached
// its time (a clock stepped back since is otherwise caught here and the timer re-armed).
import type { EventBase } from "./base.ts";
import { wallClockMs } from "./clock.ts";
import type { Event } from "./event.ts";
import { addWatcher, checkBase, checkCallback, removeWatcher } from "./watchers.ts";

/**
 * When a periodic timer fires: every `interval` ms at the wall-clock times `offset + k * interval`
 * (ms since the epoch; `{ interval: 3_600_000 }` is every hour on the hour, UTC); once, at the
 * wall-clock time `at` (ms since the epoch, or a Date); or at the times `reschedule(now)` returns,
 * each later than the wall-clock `now` it is given (libev's reschedule_cb; it is asked again after
 * each firing and after the wall clock was stepped back).
 */
export type PeriodicSchedule =
  | { interval: number; offset?: number }
  | { at: number | Date }
  | { reschedule: (now: number) => number };

/** Options of a periodic timer. */
export interface PeriodicTimerOptions {
  /**
   * The wall clock, in ms since the epoch (default: CLOCK_REALTIME). Tests give a clock they can
   * step; the timer notices a step at the next loop iteration as it would a real one.
   */
  wallClock?: () => number;
}

/** A periodic timer's callback: the wall-clock time it was due at, and the timer. */
export type PeriodicCallback = (scheduledAt: number, timer: PeriodicTimer) => unknown;

/**
 * How far the wall clock may move against the monotonic clock before the timer is re-armed: more
 * than the coarse monotonic clock's tick (up to 4 ms) and the time between the two readings.
 */
const STEP_TOLERANCE_MS = 20;

/** How many times realign() reads the clocks when each reading was held up. */
const REALIGN_TRIES = 3;

/**
 * A timer on the wall clock (libev's ev_periodic): every `interval` ms aligned to `offset`, once
 * at a wall-clock time, or by a reschedule function (see PeriodicSchedule). It follows wall-clock
 * steps, forward (a time stepped over fires once, then the next one after now) and back (an
 * interval timer fires again at the next aligned time after the new now). It keeps the loop
 * running like any added timer; close() stops it (a one-shot timer closes itself after firing).
 *
 * @example
 * ```ts
 * import { EventBase, PeriodicTimer } from "evffi";
 *
 * const base = new EventBase();
 * // At every whole second of the wall clock, three times.
 * let n = 0;
 * new PeriodicTimer(base, { interval: 1000 }, (at, timer) => {
 *   console.log(new Date(at).toISOString()); // ...:01.000Z, ...:02.000Z, ...:03.000Z
 *   if (++n === 3) timer.close();
 * });
 * base.loopSync();
 * base.close();
 * ```
 */
export class PeriodicTimer {
  /** The base whose loop runs the timer. */
  readonly base: EventBase;
  private readonly callback: PeriodicCallback;
  private readonly wallClock: () => number;
  private readonly interval: number;
  private readonly offset: number;
  private readonly reschedule: ((now: number) => number) | null;
  private readonly event: Event;
  /** The wall-clock time of the next firing, ms since the epoch. */
  private nextAt: number;
  /** Wall clock minus monotonic clock when the timer was armed: a change means a clock step. */
  private armedOffset = 0;
  private isClosed = false;

  /**
   * Arms the timer on `base` for its first firing. TypeError for a schedule, callback or options
   * of the wrong type; RangeError for an interval that is not a positive finite number, or an
   * offset or `at` that is not finite; Error when the base is closed.
   */
  constructor(base: EventBase, schedule: PeriodicSchedule, callback: PeriodicCallback, options: PeriodicTimerOptions = {}) {
    checkBase("PeriodicTimer", base);
    base.checkOpen();
    if (typeof schedule !== "object" || schedule === null) {
      throw new TypeError(`PeriodicTimer schedule must be { interval, offset? }, { at } or { reschedule }, got ${describe(schedule)}`);
    }
    checkCallback("PeriodicTimer", callback);
    if (typeof options !== "object" || options === null) throw new TypeError(`PeriodicTimer options must be an object, got ${describe(options)}`);
    const clock = options.wallClock ?? wallClockMs;
    if (typeof clock !== "function") throw new TypeError(`PeriodicTimer wallClock must be a function, got ${describe(clock)}`);
    this.base = base;
    this.callback = callback;
    this.wallClock = clock;
    this.interval = 0;
    this.offset = 0;
    this.reschedule = null;
    const now = this.readWallClock();
    if ("interval" in schedule) {
      const { interval, offset = 0 } = schedule;
      if (typeof interval !== "number" || !(interval > 0) || !Number.isFinite(interval)) {
        throw new RangeError(`PeriodicTimer interval must be a positive finite number of ms, got ${describe(interval)}`);
      }
      if (typeof offset !== "number" || !Number.isFinite(offset)) {
        throw new RangeError(`PeriodicTimer offset must be a finite number of ms, got ${describe(offset)}`);
      }
      this.interval = interval;
      this.offset = offset;
      this.nextAt = this.alignedAfter(now);
    } else if ("at" in schedule) {
      const at = schedule.at instanceof Date ? schedule.at.getTime() : schedule.at;
      if (typeof at !== "number" || !Number.isFinite(at)) {
        throw new RangeError(`PeriodicTimer at must be a Date or finite ms since the epoch, got ${describe(schedule.at)}`);
      }
      this.nextAt = at;
    } else if ("reschedule" in schedule) {
      checkCallback("PeriodicTimer reschedule", schedule.reschedule);
      this.reschedule = schedule.reschedule;
      this.nextAt = this.askReschedule(now);
    } else {
      throw new TypeError(`PeriodicTimer schedule must have interval, at or reschedule, got keys [${Object.keys(schedule).join(", ")}]`);
    }
    this.event = base.event(-1, 0, () => this.deadlineReached());
    this.arm(now);
    addWatcher(base, "periodic", this);
  }

  /** The wall-clock time of the next firing (ms since the epoch), or null once closed. */
  get next(): number | null {
    return this.closed ? null : this.nextAt;
  }

  /** Stops the timer; from its own callback too. Closing twice does nothing. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    removeWatcher(this.base, "periodic", this);
    if (!this.base.closed) this.event.del();
  }

  /** Whether close() was called, the one-shot time passed, or the base was closed. */
  get closed(): boolean {
    return this.isClosed || this.base.closed;
  }

  /** Same as close(), for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** @internal Before each wait: re-arms against the wall clock when it was stepped. */
  realign(): void {
    if (this.isClosed) return;
    // The wall clock is read between two monotonic readings. If the thread was held up between
    // them (a GC pause, a JIT compile, a preempted or emulated thread), that reading cannot tell a
    // step from the delay, so it is taken again: giving up would leave a step unnoticed for a
    // whole wait, up to PERIODIC_MAX_WAIT_MS. After REALIGN_TRIES held-up readings, the last one
    // decides: only when every offset it allows is within the tolerance is there no step. Taking
    // a delay for a step costs little (the timer is re-armed from the wall clock, to the same time).
    let wall = 0;
    let step = 0;
    for (let tries = 1; ; tries++) {
      const before = this.base.time.read();
      wall = this.readWallClock();
      const after = this.base.time.read();
      const delay = after - before;
      step = wall - after - this.armedOffset;
      if (delay <= STEP_TOLERANCE_MS / 2) {
        if (Math.abs(step) <= STEP_TOLERANCE_MS) return;
        break;
      }
      if (tries === REALIGN_TRIES) {
        // The true step lies between step and step + delay.
        if (step >= -STEP_TOLERANCE_MS && step + delay <= STEP_TOLERANCE_MS) return;
        step += delay / 2;
        break;
      }
    }
    // Stepped back: the next time may now come earlier than the one planned (the same hour again).
    if (step < 0) {
      if (this.interval > 0) this.nextAt = Math.min(this.nextAt, this.alignedAfter(wall));
      else if (this.reschedule !== null) this.nextAt = this.askReschedule(wall);
    }
    this.arm(wall);
  }

  /** The monotonic deadline came: fire if the wall clock agrees, and arm the next time. */
  private deadlineReached(): unknown {
    const wall = this.readWallClock();
    if (wall < this.nextAt) {
      // Early on the wall clock (it was stepped back, or the two clocks tick differently).
      this.arm(wall);
      return undefined;
    }
    const due = this.nextAt;
    if (this.interval > 0) this.nextAt = this.alignedAfter(wall);
    else if (this.reschedule !== null) this.nextAt = this.askReschedule(wall);
    if (this.interval > 0 || this.reschedule !== null) this.arm(wall);
    else this.close();
    return this.callback(due, this);
  }

  /**
   * Puts the monotonic timer `nextAt - wall` after the monotonic time now, and remembers the
   * clocks' offset. Both use a fresh monotonic reading: inside the loop base.now() is the time the
   * iteration began, and the wall clock was read later (a stale reading would look like a step).
   */
  private arm(wall: number): void {
    const mono = this.base.time.read();
    this.armedOffset = wall - mono;
    // add() counts from base.now(): the gap to the fresh reading is added back.
    this.event.add(Math.max(0, this.nextAt - wall + (mono - this.base.now())));
  }

  /** The first aligned time strictly after `wall`. */
  private alignedAfter(wall: number): number {
    return this.offset + (Math.floor((wall - this.offset) / this.interval) + 1) * this.interval;
  }

  /** The user's next time; a throw or a bad time closes the timer (it has no next time) and is rethrown. */
  private askReschedule(now: number): number {
    let at: unknown;
    try {
      at = this.reschedule!(now);
      if (typeof at !== "number" || !Number.isFinite(at) || at < now) {
        throw new RangeError(`PeriodicTimer reschedule(${now}) must return a finite time not before it, got ${describe(at)}`);
      }
    } catch (error) {
      // During construction there is nothing to close yet (the event does not exist).
      if (this.event !== undefined) this.close();
      throw error;
    }
    return at;
  }

  private readWallClock(): number {
    const wall = this.wallClock();
    if (typeof wall !== "number" || !Number.isFinite(wall)) throw new TypeError(`PeriodicTimer wallClock() must return finite ms, got ${describe(wall)}`);
    return wall;
  }
}

function describe(value: unknown): string {
  return value === null ? "null" : `${typeof value} ${typeof value === "object" ? Object.prototype.toString.call(value) : String(value)}`;
}
