// Watchers of the loop itself (libevent 2.2's evwatch, libev's ev_prepare / ev_check / ev_idle,
// libuv's uv_prepare / uv_check / uv_idle): callbacks that run at fixed points of every iteration
// rather than when the kernel reports something.
//   prepare  just before the backend's wait, told how long the loop is about to wait;
//   check    just after the wait returns, before the iteration's callbacks run (under loopSync
//            also before the timers expire, as in libevent; `await loop()` polls, and so expires
//            timers, before its wait as well as after it);
//   idle     in an iteration where nothing was active; while one exists the loop never blocks.
// Periodic timers (periodic.ts) hang their per-iteration wall-clock check on the same hook.
//
// A base without watchers keeps `base.watchers === null`, and the loop drivers test that one field
// per iteration; everything else here runs only when a watcher exists.
//
// A callback may add and delete events, create and close watchers (itself included: each phase
// walks the list as it was when the phase began, and skips a watcher closed meanwhile), break
// the loop, or throw. A throw is kept like an event callback's (the loop ends and rethrows it,
// the base stays usable); a break ends the loop before the wait (from prepare) or before the
// iteration's callbacks (from check or idle), which stay active for the next loop.
import type { EventBase } from "./base.ts";
import { EVLOOP } from "./flags.ts";
import { expireTimers } from "./timers.ts";
import { poke } from "./wake.ts";

/** @internal What a periodic timer (periodic.ts) does each iteration while the loop runs. */
export interface IterationHook {
  /** Re-checks the wall clock before the loop computes its wait (periodic.ts explains why). */
  realign(): void;
}

/**
 * The longest the loop blocks while a periodic timer exists: a wall-clock step during the wait is
 * noticed at most this late (libev's MAX_BLOCKTIME, rounded).
 */
export const PERIODIC_MAX_WAIT_MS = 60_000;

/**
 * @internal A base's watchers. The lists are replaced, never changed in place, so that a phase
 * iterating one is unaffected by watchers created or closed from its callbacks.
 */
export class Watchers {
  prepare: readonly PrepareWatcher[] = [];
  check: readonly CheckWatcher[] = [];
  idle: readonly IdleWatcher[] = [];
  periodic: readonly IterationHook[] = [];

  get empty(): boolean {
    return this.prepare.length + this.check.length + this.idle.length + this.periodic.length === 0;
  }
}

type ListName = "prepare" | "check" | "idle" | "periodic";

/** @internal Adds `item` to the base's list `name`, creating the base's Watchers on first use. */
export function addWatcher<K extends ListName>(base: EventBase, name: K, item: Watchers[K][number]): void {
  base.checkOpen();
  const w = base.watchers ?? (base.watchers = new Watchers());
  (w[name] as unknown[]) = [...w[name], item];
  // An idle watcher created by host code during `await loop()` must end a blocking wait.
  if (name === "idle" && base.waiting) poke(base);
}

/** @internal Removes `item`; the base's Watchers go back to null with its last watcher. */
export function removeWatcher<K extends ListName>(base: EventBase, name: K, item: Watchers[K][number]): void {
  const w = base.watchers;
  if (w === null) return;
  (w[name] as unknown[]) = (w[name] as unknown[]).filter((x) => x !== item);
  if (w.empty) base.watchers = null;
  // The last idle watcher gone may let a waiting `await loop()` end for lack of work.
  if (name === "idle" && base.waiting) poke(base);
}

/** @internal Whether watchers keep the loop from ending for lack of events (idle ones do). */
export function watchersKeepAlive(base: EventBase): boolean {
  return base.watchers !== null && base.watchers.idle.length > 0;
}

/**
 * Keeps a watcher callback's throw for the loop call (the first one wins, as for event callbacks).
 * Returns -1, the phases' "end the loop now".
 */
function keepError(base: EventBase, error: unknown): -1 {
  if (!base.callbackError) base.callbackError = { error };
  return -1;
}

// The phases below call each callback inline in a try (no closure per call): with watchers
// present they run every iteration.

/**
 * @internal Before the wait: periodic timers re-check the wall clock, prepare watchers run with
 * the wait the loop computed. Returns the wait to use (recomputed: a prepare watcher may have
 * added a timer or an activation), or -1 when the loop must end now.
 */
export function beforeWait(base: EventBase, w: Watchers, flags: number): number | null {
  if (w.periodic.length > 0) {
    for (const p of w.periodic) {
      try {
        p.realign();
      } catch (error) {
        return keepError(base, error);
      }
    }
  }
  const prepare = w.prepare;
  if (prepare.length > 0) {
    const planned = waitWithWatchers(base, w, flags);
    for (const watcher of prepare) {
      if (watcher.closed) continue;
      try {
        watcher.callback(planned, watcher);
      } catch (error) {
        return keepError(base, error);
      }
      if (base.breakRequested || base.terminate) return -1;
    }
  }
  if (base.breakRequested || base.terminate) return -1;
  return waitWithWatchers(base, w, flags);
}

/** Runs check or idle watchers; false when one threw or ended the loop. */
function runWatchers(base: EventBase, list: readonly (CheckWatcher | IdleWatcher)[]): boolean {
  for (const watcher of list) {
    if (watcher.closed) continue;
    try {
      (watcher.callback as (w: CheckWatcher | IdleWatcher) => void)(watcher);
    } catch (error) {
      keepError(base, error);
      return false;
    }
    if (base.breakRequested || base.terminate) return false;
  }
  return true;
}

/** The loop's wait, shortened to 0 by idle watchers and capped while periodic timers exist. */
function waitWithWatchers(base: EventBase, w: Watchers, flags: number): number | null {
  if (w.idle.length > 0) return 0;
  const timeout = base.waitTimeout(flags);
  if (w.periodic.length === 0) return timeout;
  return timeout === null ? PERIODIC_MAX_WAIT_MS : Math.min(timeout, PERIODIC_MAX_WAIT_MS);
}

/**
 * @internal After the wait, before the timers expire: the check watchers. Returns false when the
 * loop must end now.
 */
export function afterWait(base: EventBase, w: Watchers): boolean {
  return w.check.length === 0 || runWatchers(base, w.check);
}

/**
 * @internal After the timers expired: when nothing is active, the idle watchers. Returns false
 * when the loop must end now (a throw, a break, or EVLOOP.ONCE with idle work done).
 */
export function idlePhase(base: EventBase, w: Watchers, flags: number): boolean {
  const idle = w.idle;
  if (idle.length === 0 || base.activeTotal > 0) return true;
  return runWatchers(base, idle) && !(flags & EVLOOP.ONCE);
}

/**
 * @internal One iteration's wait and its watchers, for loopSync: prepare, the backend's wait,
 * check, the timers, idle. Returns false when the loop must end before the callbacks run.
 */
export function watchedIoPhase(base: EventBase, w: Watchers, flags: number): boolean {
  const timeout = beforeWait(base, w, flags);
  if (timeout === -1) return false;
  base.time.invalidate();
  base.backendState.wait(timeout);
  base.time.refresh();
  if (!afterWait(base, w)) return false;
  expireTimers(base);
  return idlePhase(base, w, flags);
}

/** Checks a watcher's callback argument. */
export function checkCallback(name: string, callback: unknown): void {
  if (typeof callback !== "function") {
    throw new TypeError(`${name} callback must be a function, got ${callback === null ? "null" : typeof callback} ${String(callback)}`);
  }
}

/** Checks the base argument of a watcher or periodic timer. */
export function checkBase(name: string, base: unknown): void {
  if (typeof base !== "object" || base === null || typeof (base as EventBase).checkOpen !== "function") {
    throw new TypeError(`${name} needs an EventBase, got ${base === null ? "null" : typeof base} ${String(base)}`);
  }
}

/** What the three watcher kinds share: the base, the callback, close(). */
export abstract class LoopWatcher<C> {
  /** The base whose loop runs the callback. */
  readonly base: EventBase;
  /** @internal */ readonly callback: C;
  /** @internal Which of the base's lists holds it. */
  private readonly list: "prepare" | "check" | "idle";
  private isClosed = false;

  /** Checks the arguments and registers the watcher. */
  protected constructor(base: EventBase, callback: C, kind: string, list: "prepare" | "check" | "idle") {
    checkBase(kind, base);
    checkCallback(kind, callback);
    this.base = base;
    this.callback = callback;
    this.list = list;
    addWatcher(this.base, list, this as never);
  }

  /** Stops the watcher for good; from its own callback too. Closing twice does nothing. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    removeWatcher(this.base, this.list, this as never);
  }

  /** Whether close() was called, or the base was closed. */
  get closed(): boolean {
    return this.isClosed || this.base.closed;
  }

  /** Same as close(), for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** A prepare watcher's callback: the wait the loop is about to do in ms (null: until an event). */
export type PrepareCallback = (timeout: number | null, watcher: PrepareWatcher) => void;
/** A check or idle watcher's callback. */
export type WatcherCallback<W> = (watcher: W) => void;

/**
 * Runs `callback` in every loop iteration just before the backend waits (libevent 2.2's
 * evwatch_prepare_new, libev's ev_prepare), with the wait the loop is about to do: ms, or null
 * when it waits until an event. Prepare watchers run in the order they were created. Events or
 * timers the callback adds count for that same wait. A prepare watcher does not keep the loop
 * running on its own.
 *
 * @example
 * ```ts
 * import { EventBase, PrepareWatcher } from "evffi";
 *
 * const base = new EventBase();
 * const watcher = new PrepareWatcher(base, (timeout) => console.log(`about to wait ${timeout} ms`));
 * base.timer(20, () => watcher.close());
 * base.loopSync(); // "about to wait 20 ms" (about)
 * base.close();
 * ```
 */
export class PrepareWatcher extends LoopWatcher<PrepareCallback> {
  /** Registers `callback` on `base`; TypeError when `base` is not an EventBase or `callback` not a function, Error when the base is closed. */
  constructor(base: EventBase, callback: PrepareCallback) {
    super(base, callback, "PrepareWatcher", "prepare");
  }
}

/**
 * Runs `callback` in every loop iteration just after the backend's wait returns and before the
 * iteration's callbacks run (libevent 2.2's evwatch_check_new, libev's ev_check); under loopSync
 * also before the timers expire. With a PrepareWatcher it measures how long the loop slept, or lets another library's
 * loop run its due work. Check watchers run in the order they were created and do not keep the
 * loop running on their own.
 *
 * @example
 * ```ts
 * import { CheckWatcher, EventBase, PrepareWatcher } from "evffi";
 *
 * const base = new EventBase();
 * let before = 0;
 * const prepare = new PrepareWatcher(base, () => void (before = performance.now()));
 * const check = new CheckWatcher(base, () => console.log(`slept ${performance.now() - before} ms`));
 * base.timer(10, () => { prepare.close(); check.close(); });
 * base.loopSync();
 * base.close();
 * ```
 */
export class CheckWatcher extends LoopWatcher<WatcherCallback<CheckWatcher>> {
  /** Registers `callback` on `base`; TypeError when `base` is not an EventBase or `callback` not a function, Error when the base is closed. */
  constructor(base: EventBase, callback: WatcherCallback<CheckWatcher>) {
    super(base, callback, "CheckWatcher", "check");
  }
}

/**
 * Runs `callback` in each loop iteration in which nothing else was active: no ready fd, no due
 * timer, no activation (libev's ev_idle, libuv's uv_idle). While an idle watcher exists the loop
 * never blocks (it polls the backend with a zero timeout), and the loop does not end for lack of
 * events: close the watcher when its work is done. Use it to do background work in slices
 * without delaying I/O.
 *
 * @example
 * ```ts
 * import { EventBase, IdleWatcher } from "evffi";
 *
 * const base = new EventBase();
 * const work = [1, 2, 3];
 * new IdleWatcher(base, (idle) => {
 *   console.log(work.shift()); // one slice per quiet iteration
 *   if (work.length === 0) idle.close();
 * });
 * base.loopSync(); // returns once the watcher closed and no events remain
 * base.close();
 * ```
 */
export class IdleWatcher extends LoopWatcher<WatcherCallback<IdleWatcher>> {
  /**
   * Registers `callback` on `base`, whose loop from now on polls instead of blocking; TypeError
   * when `base` is not an EventBase or `callback` not a function, Error when the base is closed.
   */
  constructor(base: EventBase, callback: WatcherCallback<IdleWatcher>) {
    super(base, callback, "IdleWatcher", "idle");
  }
}
