/**
 * libevent's C API over evffi's EventBase, so a libevent program or test ports line for line:
 * same names, argument order, constants and 0 / -1 return codes. Timeouts are
 * `{ tv_sec, tv_usec }` objects or null. Failures that libevent reports as -1 return -1 here too;
 * `event_get_last_error()` holds the Error that caused it.
 *
 * `event_base_loop` / `event_base_dispatch` keep libevent's synchronous meaning
 * (`EventBase.loopSync`). Each call is a thin wrapper over the EventBase or Event method of the
 * same meaning and costs what that method costs.
 *
 * @example
 * ```ts
 * import { EV_READ, event_add, event_base_dispatch, event_base_free, event_base_new, event_free, event_new } from "evffi/compat";
 * import { close, socketpair, read, write } from "evffi/sys";
 *
 * const base = event_base_new();
 * const [a, b] = socketpair();
 * const ev = event_new(base, b, EV_READ, (fd, what, arg) => {
 *   console.log(arg, new TextDecoder().decode(read(fd, 64)!)); // prints: b says hi
 * }, "b says")!;
 * event_add(ev, null);
 * write(a, "hi");
 * event_base_dispatch(base); // one callback, then no events are left
 * event_free(ev);
 * event_base_free(base);
 * close(a);
 * close(b);
 * ```
 *
 * @module
 */
import { EventBase, type EventBaseOptions, type TimeoutArg } from "./core/base.ts";
import type { CommonTimeout } from "./core/common-timeout.ts";
import { Event } from "./core/event.ts";
import { Count, EV, EVLOOP, Feature } from "./core/flags.ts";
import { supportedMethods } from "./backends/registry.ts";
import { constants as C } from "./ffi/mod.ts";
import { BufferEvent } from "./net/bufferevent.ts";
import type { DnsError } from "./net/dns/message.ts";
import { Resolver } from "./net/dns/resolver.ts";
import { CheckWatcher, PrepareWatcher } from "./core/watchers.ts";

/** libevent's event flags, the same numbers as {@link EV}: `EV_READ` is `EV.READ`, and so on. */
export const EV_TIMEOUT = EV.TIMEOUT, EV_READ = EV.READ, EV_WRITE = EV.WRITE, EV_SIGNAL = EV.SIGNAL;
/** More of libevent's event flags: `EV_PERSIST` is `EV.PERSIST`, and so on. */
export const EV_PERSIST = EV.PERSIST, EV_ET = EV.ET, EV_FINALIZE = EV.FINALIZE, EV_CLOSED = EV.CLOSED;
/** libevent's loop flags for {@link event_base_loop}, the same numbers as {@link EVLOOP}. */
export const EVLOOP_ONCE = EVLOOP.ONCE, EVLOOP_NONBLOCK = EVLOOP.NONBLOCK, EVLOOP_NO_EXIT_ON_EMPTY = EVLOOP.NO_EXIT_ON_EMPTY;
/** libevent's backend features, the same numbers as {@link Feature}. */
export const EV_FEATURE_ET = Feature.ET, EV_FEATURE_O1 = Feature.O1, EV_FEATURE_FDS = Feature.FDS;
/** Backend feature: reports a peer's close (EV_CLOSED) without a read; `Feature.EARLY_CLOSE`. */
export const EV_FEATURE_EARLY_CLOSE = Feature.EARLY_CLOSE;
/** What {@link event_base_get_num_events} counts, the same numbers as {@link Count}. */
export const EVENT_BASE_COUNT_ACTIVE = Count.ACTIVE, EVENT_BASE_COUNT_VIRTUAL = Count.VIRTUAL;
/** Counts added (pending) events; `Count.ADDED`. */
export const EVENT_BASE_COUNT_ADDED = Count.ADDED;
/**
 * libevent's {@link event_config_set_flag} flags. NOLOCK and STARTUP_IOCP are accepted and
 * change nothing (a base is single-threaded; there is no IOCP); IGNORE_ENV ignores the EVENT_* variables.
 */
export const EVENT_BASE_FLAG_NOLOCK = 0x01, EVENT_BASE_FLAG_IGNORE_ENV = 0x02, EVENT_BASE_FLAG_STARTUP_IOCP = 0x04;
/** Flags: read the clock on every now() instead of once per loop iteration; use epoll's changelist. */
export const EVENT_BASE_FLAG_NO_CACHE_TIME = 0x08, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST = 0x10;
/** Flags: sub-millisecond timer precision (epoll_pwait2 or a timerfd); never use a timerfd for it. */
export const EVENT_BASE_FLAG_PRECISE_TIMER = 0x20, EVENT_BASE_FLAG_EPOLL_DISALLOW_TIMERFD = 0x40;

/** struct timeval. */
export interface Timeval {
  /** Whole seconds. */
  tv_sec: number;
  /** Microseconds, 0 to 999999. */
  tv_usec: number;
}
/** What event_base_init_common_timeout returns: a timeval that also names its common timeout. */
export interface CommonTimeval extends Timeval {
  /** The common timeout this timeval stands for, used by {@link event_add}. */
  readonly common: CommonTimeout;
}

/** An event's callback: the fd (or signal number), the EV bits that fired, and the `arg` given at creation. */
export type event_callback_fn = (fd: number, what: number, arg: unknown) => unknown;

let lastError: unknown = null;
/** The Error behind the last -1 a compat call returned. */
export function event_get_last_error(): unknown {
  return lastError;
}

function attempt(fn: () => void): 0 | -1 {
  try {
    fn();
    return 0;
  } catch (err) {
    lastError = err;
    return -1;
  }
}

function toTimeout(tv: Timeval | CommonTimeval | null | undefined): TimeoutArg {
  if (tv === null || tv === undefined) return null;
  if (typeof tv !== "object") throw new TypeError(`a timeval must be { tv_sec, tv_usec } or null, got ${String(tv)}`);
  if ("common" in tv && tv.common) return tv.common;
  const { tv_sec, tv_usec } = tv;
  if (!Number.isFinite(tv_sec) || !Number.isFinite(tv_usec) || tv_sec < 0 || tv_usec < 0) {
    throw new RangeError(`invalid timeval { tv_sec: ${tv_sec}, tv_usec: ${tv_usec} }`);
  }
  return tv_sec * 1000 + tv_usec / 1000;
}

function toTimeval(ms: number, out?: Timeval): Timeval {
  const t = out ?? { tv_sec: 0, tv_usec: 0 };
  t.tv_sec = Math.floor(ms / 1000);
  t.tv_usec = Math.floor((ms - t.tv_sec * 1000) * 1000);
  return t;
}

// ---- configuration -------------------------------------------------------------------------------

/** struct event_config. */
export interface EventConfig {
  /** Backends not to use, from {@link event_config_avoid_method}. */
  avoid: string[];
  /** Feature bits the backend must have, from {@link event_config_require_features}. */
  require: number;
  /** EVENT_BASE_FLAG_* bits, from {@link event_config_set_flag}. */
  flags: number;
  /** From event_config_set_max_dispatch_interval: -1 when unlimited. */
  maxDispatchMs: number;
  /** From event_config_set_max_dispatch_interval: -1 when unlimited. */
  maxCallbacks: number;
  /** From event_config_set_max_dispatch_interval: the priorities the limits apply from. */
  minPriority: number;
}

/** A new, empty configuration for {@link event_base_new_with_config}: a plain object, nothing to free. */
export function event_config_new(): EventConfig {
  return { avoid: [], require: 0, flags: 0, maxDispatchMs: -1, maxCallbacks: -1, minPriority: 0 };
}
/**
 * After `max_interval` (null: no time limit) or `max_callbacks` callbacks (negative: no limit) of
 * priority `min_priority` or lower, the loop checks for new events and due timers before running
 * more. As in libevent, 0 callbacks means one.
 *
 * @example
 * ```ts
 * import {
 *   event_base_free, event_base_new_with_config, event_config_free, event_config_new, event_config_set_max_dispatch_interval,
 * } from "evffi/compat";
 *
 * const cfg = event_config_new();
 * event_config_set_max_dispatch_interval(cfg, { tv_sec: 0, tv_usec: 5000 }, 16, 1);
 * const base = event_base_new_with_config(cfg)!;
 * event_config_free(cfg);
 * event_base_free(base);
 * ```
 */
export function event_config_set_max_dispatch_interval(
  cfg: EventConfig, max_interval: Timeval | null, max_callbacks: number, min_priority: number,
): number {
  return attempt(() => {
    const ms = toTimeout(max_interval);
    if (!Number.isInteger(max_callbacks)) throw new RangeError(`max_callbacks must be an integer, got ${String(max_callbacks)} (${typeof max_callbacks})`);
    if (!Number.isInteger(min_priority)) throw new RangeError(`min_priority must be an integer, got ${String(min_priority)} (${typeof min_priority})`);
    cfg.maxDispatchMs = typeof ms === "number" ? ms : -1;
    cfg.maxCallbacks = max_callbacks < 0 ? -1 : Math.max(1, max_callbacks);
    cfg.minPriority = Math.max(0, min_priority);
  });
}
/** Frees a configuration: nothing to do (it is a plain object); kept so ported code runs unchanged. */
export function event_config_free(_cfg: EventConfig): void {}
/** Excludes a backend by name ("epoll", "poll", "select", "kqueue"). Returns 0. */
export function event_config_avoid_method(cfg: EventConfig, method: string): number {
  cfg.avoid.push(method);
  return 0;
}
/** Requires backend features (EV_FEATURE_* bits). Returns 0. */
export function event_config_require_features(cfg: EventConfig, features: number): number {
  cfg.require = features;
  return 0;
}
/** Sets an EVENT_BASE_FLAG_* flag. Returns 0. */
export function event_config_set_flag(cfg: EventConfig, flag: number): number {
  cfg.flags |= flag;
  return 0;
}

function configToOptions(cfg: EventConfig | null): EventBaseOptions {
  if (!cfg) return {};
  return {
    avoid: cfg.avoid,
    require: cfg.require,
    ignoreEnv: !!(cfg.flags & EVENT_BASE_FLAG_IGNORE_ENV),
    noCacheTime: !!(cfg.flags & EVENT_BASE_FLAG_NO_CACHE_TIME),
    epollChangelist: !!(cfg.flags & EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST),
    preciseTimer: !!(cfg.flags & EVENT_BASE_FLAG_PRECISE_TIMER),
    disallowTimerfd: !!(cfg.flags & EVENT_BASE_FLAG_EPOLL_DISALLOW_TIMERFD),
    ...(cfg.maxDispatchMs >= 0 ? { maxDispatchMs: cfg.maxDispatchMs } : {}),
    ...(cfg.maxCallbacks >= 1 ? { maxCallbacks: cfg.maxCallbacks } : {}),
    minPriority: cfg.minPriority ?? 0,
  };
}

// ---- bases ---------------------------------------------------------------------------------------

/** A base with the default backend: `new EventBase()`. */
export function event_base_new(): EventBase {
  return new EventBase();
}
/** Returns null when no backend satisfies the configuration (event_get_last_error() says why). */
export function event_base_new_with_config(cfg: EventConfig | null): EventBase | null {
  try {
    return new EventBase(configToOptions(cfg));
  } catch (err) {
    lastError = err;
    return null;
  }
}
/**
 * Frees the base. Called while its loop runs (from one of its callbacks), it ends the loop after
 * that callback and frees the base when the loop returns, as libevent defers it.
 *
 * @example
 * ```ts
 * import { event_base_dispatch, event_base_free, event_base_new, evtimer_add, evtimer_new } from "evffi/compat";
 *
 * const base = event_base_new();
 * evtimer_add(evtimer_new(base, () => event_base_free(base), null)!, { tv_sec: 0, tv_usec: 1000 });
 * event_base_dispatch(base); // returns once the callback ran; the base is freed
 * ```
 */
export function event_base_free(base: EventBase): void {
  base.closeWhenLoopReturns();
}
/** The backend's name ("epoll", "kqueue", "poll", "select"): {@link EventBase.method}. */
export function event_base_get_method(base: EventBase): string {
  return base.method;
}
/** The backend's EV_FEATURE_* bits: {@link EventBase.features}. */
export function event_base_get_features(base: EventBase): number {
  return base.features;
}
/** The backends this platform has, in order of preference. */
export function event_get_supported_methods(): string[] {
  return supportedMethods();
}
/** Sets the number of priorities (before any event is active). 0, or -1 on failure. */
export function event_base_priority_init(base: EventBase, n: number): number {
  return attempt(() => base.priorityInit(n));
}
/** The number of priorities. */
export function event_base_get_npriorities(base: EventBase): number {
  return base.priorities;
}
/** Runs the loop synchronously with EVLOOP_* flags: {@link EventBase.loopSync}. Returns 0, or 1 when no events were left. */
export function event_base_loop(base: EventBase, flags: number): number {
  return base.loopSync(flags);
}
/** Runs the loop until no events are left or it is told to stop: `event_base_loop(base, 0)`. */
export function event_base_dispatch(base: EventBase): number {
  return base.loopSync(0);
}
/** Ends the loop after `tv` (null: after the current iteration). 0, or -1 on failure. */
export function event_base_loopexit(base: EventBase, tv: Timeval | null): number {
  return attempt(() => base.loopExit(tv ? (toTimeout(tv) as number) : undefined));
}
/** Ends the loop after the callback that is running. 0, or -1 on failure. */
export function event_base_loopbreak(base: EventBase): number {
  return attempt(() => base.loopBreak());
}
/** Makes the loop look for new events before running the next active callback. 0, or -1. */
export function event_base_loopcontinue(base: EventBase): number {
  return attempt(() => base.loopContinue());
}
/** 1 if the last loop ended through loopexit, else 0. */
export function event_base_got_exit(base: EventBase): number {
  return base.gotExit() ? 1 : 0;
}
/** 1 if the last loop ended through loopbreak, else 0. */
export function event_base_got_break(base: EventBase): number {
  return base.gotBreak() ? 1 : 0;
}
/** Runs `cb` once, when `fd` is ready for `events` or after `tv`; the event frees itself. 0, or -1. */
export function event_base_once(
  base: EventBase, fd: number, events: number, cb: event_callback_fn, arg: unknown, tv: Timeval | null,
): number {
  return attempt(() => base.once(fd, events, (f, what) => cb(f, what, arg), toTimeout(tv)));
}
/** Fills `tv` with the wall-clock time cached at the start of this loop iteration. Returns 0. */
export function event_base_gettimeofday_cached(base: EventBase, tv: Timeval): number {
  toTimeval(base.gettimeofdayCached(), tv);
  return 0;
}
/** Fills `tv` with the base's monotonic clock (cached per iteration). Returns 0. */
export function event_gettime_monotonic(base: EventBase, tv: Timeval): number {
  toTimeval(base.now(), tv);
  return 0;
}
/** Refreshes the cached time now, from inside a long callback. Returns 0. */
export function event_base_update_cache_time(base: EventBase): number {
  base.updateCacheTime();
  return 0;
}
/**
 * A timeval that queues its events in one FIFO instead of the timer heap (O(1) adds for many
 * events with the same duration); null on failure.
 */
export function event_base_init_common_timeout(base: EventBase, duration: Timeval): CommonTimeval | null {
  try {
    const common = base.commonTimeout(toTimeout(duration) as number);
    return { ...toTimeval(common.duration), common };
  } catch (err) {
    lastError = err;
    return null;
  }
}
/** How many events are in the states EVENT_BASE_COUNT_* names. */
export function event_base_get_num_events(base: EventBase, flags: number): number {
  return base.count(flags);
}
/** Returns the dump; also writes it to `out` (a function taking a string) when given. */
export function event_base_dump_events(base: EventBase, out?: (text: string) => void): string {
  const text = base.dump();
  out?.(text);
  return text;
}
/** Calls `fn` for every added or active event, stopping at the first non-zero return (which it returns). */
export function event_base_foreach_event(base: EventBase, fn: (base: EventBase, ev: Event, arg: unknown) => number, arg: unknown): number {
  let rc = 0;
  for (const ev of collect(base)) {
    rc = fn(base, ev, arg);
    if (rc !== 0) break;
  }
  return rc;
}
function collect(base: EventBase): Event[] {
  const all: Event[] = [];
  base.forEachEvent((ev) => all.push(ev));
  return all;
}

// ---- events --------------------------------------------------------------------------------------

const selfArg = Symbol("event_self_cbarg");
/** Passed as `arg`, makes the callback receive the event itself. */
export function event_self_cbarg(): unknown {
  return selfArg;
}

/**
 * A new event on `fd` (-1 for a pure timer) for `events` (EV_* bits); null on failure
 * (event_get_last_error() says why). Pass event_self_cbarg() as `arg` to receive the event itself.
 */
export function event_new(base: EventBase, fd: number, events: number, cb: event_callback_fn, arg: unknown): Event | null {
  try {
    return arg === selfArg ? base.event(fd, events, cb) : base.event(fd, events, cb, arg);
  } catch (err) {
    lastError = err;
    return null;
  }
}
/** Re-initializes `ev` (which must not be pending) or, given null, makes a new event. */
export function event_assign(
  ev: Event | null, base: EventBase, fd: number, events: number, cb: event_callback_fn, arg: unknown,
): Event | null {
  if (ev === null) return event_new(base, fd, events, cb, arg);
  if (ev.isPending) {
    lastError = new Error("event_assign on a pending event");
    return null;
  }
  const fresh = event_new(base, fd, events, cb, arg);
  if (!fresh) return null;
  ev.base = fresh.base;
  ev.fd = fresh.fd;
  ev.events = fresh.events;
  ev.callback = fresh.callback;
  ev.arg = arg === selfArg ? ev : arg;
  ev.state = 0;
  ev.priorityValue = fresh.priorityValue;
  ev.ext = null;
  return ev;
}
/** Makes the event pending, with a timeout (null: none). 0, or -1 on failure. */
export function event_add(ev: Event, tv: Timeval | CommonTimeval | null): number {
  return attempt(() => ev.add(toTimeout(tv)));
}
/** Makes the event non-pending (it can be added again). 0, or -1 on failure. */
export function event_del(ev: Event): number {
  return attempt(() => ev.del());
}
/** {@link event_del}: a base has one thread, so there is no callback in another thread to wait for. */
export const event_del_noblock = event_del;
/** {@link event_del}: a base has one thread, so there is no callback in another thread to wait for. */
export const event_del_block = event_del;
/** Removes the event's timeout and leaves its I/O or signal pending. 0, or -1 on failure. */
export function event_remove_timer(ev: Event): number {
  return attempt(() => ev.removeTimer());
}
/** Makes the event active with result `res` as if it had fired; `ncalls` counts a signal's arrivals. */
export function event_active(ev: Event, res: number, ncalls: number): void {
  ev.active(res, Math.max(1, ncalls | 0));
}
/** Returns the pending bits among `what`; fills `tv` with the wall-clock expiry when a timeout is pending. */
export function event_pending(ev: Event, what: number, tv?: Timeval | null): number {
  const bits = ev.pending(what);
  const left = ev.timeLeft();
  if (tv && bits & EV.TIMEOUT && left !== null) toTimeval(ev.eventBase.gettimeofdayCached() + left, tv);
  return bits;
}
/** 1 if `ev` is an event that has not been freed, else 0. */
export function event_initialized(ev: Event | null): number {
  return ev instanceof Event && !ev.closed ? 1 : 0;
}
/** Removes and frees the event: `ev.close()`. */
export function event_free(ev: Event): void {
  ev.close();
}
/** Removes the event and runs `cb` (instead of its callback) in the loop once it cannot run again. 0, or -1. */
export function event_finalize(_flags: number, ev: Event, cb: (ev: Event, arg: unknown) => unknown): number {
  return attempt(() => ev.finalize(cb));
}
/** Like {@link event_finalize}, and frees the event after `cb`. 0, or -1. */
export function event_free_finalize(_flags: number, ev: Event, cb: (ev: Event, arg: unknown) => unknown): number {
  return attempt(() => ev.closeFinalize(cb));
}
/** Sets the event's priority (0 is the most urgent); not while it is active. 0, or -1. */
export function event_priority_set(ev: Event, priority: number): number {
  return attempt(() => {
    ev.priority = priority;
  });
}
/** The event's priority. */
export function event_get_priority(ev: Event): number {
  return ev.priority;
}
/** The event's fd, or its signal number, or -1 for a timer. */
export function event_get_fd(ev: Event): number {
  return ev.fd;
}
/** The EV_* bits the event was created with. */
export function event_get_events(ev: Event): number {
  return ev.events;
}
/** The event's callback. */
export function event_get_callback(ev: Event): event_callback_fn {
  return ev.handler as event_callback_fn;
}
/** The `arg` the event's callback receives. */
export function event_get_callback_arg(ev: Event): unknown {
  return ev.arg;
}
/** The base the event belongs to. */
export function event_get_base(ev: Event): EventBase {
  return ev.eventBase;
}

// ---- evtimer_* and evsignal_* --------------------------------------------------------------------

/** A new timer event: {@link event_new} with fd -1 and no EV bits. Add it with a timeout. */
export function evtimer_new(base: EventBase, cb: event_callback_fn, arg: unknown): Event | null {
  return event_new(base, -1, 0, cb, arg);
}
/** Re-initializes `ev` as a timer, or makes a new one (see event_assign). */
export function evtimer_assign(ev: Event | null, base: EventBase, cb: event_callback_fn, arg: unknown): Event | null {
  return event_assign(ev, base, -1, 0, cb, arg);
}
/** Adds a timer: {@link event_add}. */
export const evtimer_add = event_add;
/** Removes a timer: {@link event_del}. */
export const evtimer_del = event_del;
/** EV_TIMEOUT if the timer is pending (and fills `tv` with its expiry), else 0. */
export function evtimer_pending(ev: Event, tv?: Timeval | null): number {
  return event_pending(ev, EV.TIMEOUT, tv);
}
/** {@link event_initialized}, for timers. */
export const evtimer_initialized = event_initialized;

/** A new persistent signal event for `signal` (a number; see `signals` in evffi/sys). */
export function evsignal_new(base: EventBase, signal: number, cb: event_callback_fn, arg: unknown): Event | null {
  return event_new(base, signal, EV.SIGNAL | EV.PERSIST, cb, arg);
}
/** Re-initializes `ev` as a signal event, or makes a new one (see event_assign). */
export function evsignal_assign(ev: Event | null, base: EventBase, signal: number, cb: event_callback_fn, arg: unknown): Event | null {
  return event_assign(ev, base, signal, EV.SIGNAL | EV.PERSIST, cb, arg);
}
/** Adds a signal event: {@link event_add}. */
export const evsignal_add = event_add;
/** Removes a signal event: {@link event_del}. */
export const evsignal_del = event_del;
/** EV_SIGNAL if the signal event is pending, else 0. */
export function evsignal_pending(ev: Event, tv?: Timeval | null): number {
  return event_pending(ev, EV.SIGNAL, tv);
}
/** {@link event_initialized}, for signal events. */
export const evsignal_initialized = event_initialized;

// ---- evwatch_* (libevent 2.2's event2/watch.h) -----------------------------------------------------

/** A prepare or check watcher (struct evwatch). */
export type evwatch = PrepareWatcher | CheckWatcher;
/** What a prepare callback is told: the wait the loop is about to do (read it with evwatch_prepare_get_timeout). */
export interface evwatch_prepare_cb_info {
  /** ms, or null when the loop waits until an event. */
  readonly timeout: number | null;
}
/** What a check callback is told (nothing yet, as in libevent). */
export type evwatch_check_cb_info = Record<string, never>;
/** A prepare watcher's callback (evwatch_prepare_cb): the watcher, the wait about to be done, and the `arg` given to evwatch_prepare_new. */
export type evwatch_prepare_cb = (watcher: evwatch, info: evwatch_prepare_cb_info, arg: unknown) => void;
/** A check watcher's callback (evwatch_check_cb): the watcher, an empty info, and the `arg` given to evwatch_check_new. */
export type evwatch_check_cb = (watcher: evwatch, info: evwatch_check_cb_info, arg: unknown) => void;

/**
 * A watcher called in every loop iteration just before the backend waits; null (with
 * event_get_last_error) when the base or callback is unusable.
 *
 * @example
 * ```ts
 * import {
 *   event_base_dispatch, event_base_free, event_base_new, evtimer_add, evtimer_new,
 *   evwatch_free, evwatch_prepare_get_timeout, evwatch_prepare_new,
 * } from "evffi/compat";
 *
 * const base = event_base_new()!;
 * const tv = { tv_sec: 0, tv_usec: 0 };
 * const w = evwatch_prepare_new(base, (_w, info) => {
 *   if (evwatch_prepare_get_timeout(info, tv)) console.log(`waiting ${tv.tv_sec}s ${tv.tv_usec}us`);
 * }, null);
 * evtimer_add(evtimer_new(base, () => evwatch_free(w!), null)!, { tv_sec: 0, tv_usec: 10_000 });
 * event_base_dispatch(base); // "waiting 0s 10000us" (about), then the timer frees the watcher
 * event_base_free(base);
 * ```
 */
export function evwatch_prepare_new(base: EventBase, cb: evwatch_prepare_cb, arg: unknown): evwatch | null {
  try {
    if (typeof cb !== "function") throw new TypeError(`evwatch_prepare_new callback must be a function, got ${typeof cb}`);
    return new PrepareWatcher(base, (timeout, w) => cb(w, { timeout }, arg));
  } catch (err) {
    lastError = err;
    return null;
  }
}
/** A watcher called in every loop iteration just after the backend's wait, before the callbacks run. */
export function evwatch_check_new(base: EventBase, cb: evwatch_check_cb, arg: unknown): evwatch | null {
  try {
    if (typeof cb !== "function") throw new TypeError(`evwatch_check_new callback must be a function, got ${typeof cb}`);
    return new CheckWatcher(base, (w) => cb(w, {}, arg));
  } catch (err) {
    lastError = err;
    return null;
  }
}
/**
 * The base a watcher belongs to (libevent's evwatch_base).
 *
 * @example
 * ```ts
 * import { event_base_free, event_base_new, evwatch_base, evwatch_check_new, evwatch_free } from "evffi/compat";
 *
 * const base = event_base_new()!;
 * const w = evwatch_check_new(base, () => {}, null)!;
 * console.log(evwatch_base(w) === base); // prints: true
 * evwatch_free(w);
 * event_base_free(base);
 * ```
 */
export function evwatch_base(watcher: evwatch): EventBase {
  return watcher.base;
}
/** Unregisters and frees the watcher; also from its own callback (which libevent does not allow). */
export function evwatch_free(watcher: evwatch): void {
  watcher.close();
}
/** Writes the wait the loop is about to do into `tv` and returns 1, or returns 0 when it waits until an event. */
export function evwatch_prepare_get_timeout(info: evwatch_prepare_cb_info, tv: Timeval): number {
  if (info.timeout === null) return 0;
  toTimeval(info.timeout, tv);
  return 1;
}

export { EventBase, Event };

/** Rebuilds the backend after fork (libevent's event_reinit). */
export function event_reinit(base: EventBase): number {
  return attempt(() => base.reinit());
}

// ---- bufferevent_socket_* by host name ---------------------------------------------------------------

/** Address families for bufferevent_socket_connect_hostname (this platform's numbers). */
export const AF_UNSPEC = 0, AF_INET = C.AF_INET, AF_INET6 = C.AF_INET6;

/**
 * Resolves `hostname` and connects `bev` to it (libevent's bufferevent_socket_connect_hostname):
 * `dnsBase` is the Resolver to ask, or null for the base's own (libevent would block in
 * getaddrinfo; evffi never blocks). `family` is AF_UNSPEC, AF_INET or AF_INET6. Returns 0 once the
 * lookup is under way; the outcome reaches the event callback (BEV_EVENT_CONNECTED, or
 * BEV_EVENT_ERROR with bufferevent_socket_get_dns_error set when the name did not resolve).
 *
 * @example
 * ```ts
 * import { AF_UNSPEC, bufferevent_socket_connect_hostname, event_get_last_error } from "evffi/compat";
 * import { BEV, BufferEvent, EventBase, Listener, sys } from "evffi";
 *
 * const base = new EventBase();
 * // A server to connect to, for the example.
 * const listener = new Listener(base, { host: "127.0.0.1", port: 0 }, (fd) => sys.close(fd));
 * const { port } = listener.address as { port: number };
 *
 * const bev = new BufferEvent(base, -1);
 * bev.setCallbacks(null, null, (b, what, err) => {
 *   if (what & BEV.CONNECTED) console.log("connected"); // prints: connected
 *   else console.error(err?.message); // a DnsError, or the SyscallError of the last address tried
 *   b.close();
 *   listener.close();
 * });
 * if (bufferevent_socket_connect_hostname(bev, null, AF_UNSPEC, "localhost", port) === -1) console.error(event_get_last_error());
 * base.loopSync();
 * base.close();
 * ```
 */
export function bufferevent_socket_connect_hostname(bev: BufferEvent, dnsBase: Resolver | null, family: number, hostname: string, port: number): number {
  return attempt(() => {
    if (!(bev instanceof BufferEvent)) throw new TypeError(`bev must be a BufferEvent, got ${typeof bev}`);
    if (typeof hostname !== "string") throw new TypeError(`hostname must be a string, got ${typeof hostname}`);
    const byFamily: Record<number, 0 | 4 | 6> = { [AF_UNSPEC]: 0, [AF_INET]: 4, [AF_INET6]: 6 };
    const wanted = byFamily[family];
    if (wanted === undefined) throw new RangeError(`family must be AF_UNSPEC, AF_INET or AF_INET6, got ${String(family)}`);
    bev.connect({ host: hostname, port }, { family: wanted, ...(dnsBase === null ? {} : { resolver: dnsBase }) });
  });
}

/**
 * Why the last bufferevent_socket_connect_hostname could not resolve its name, or null
 * (libevent's bufferevent_socket_get_dns_error, whose EAI code is a DnsError's `code` here).
 *
 * @example
 * ```ts
 * import { AF_UNSPEC, bufferevent_socket_connect_hostname, bufferevent_socket_get_dns_error } from "evffi/compat";
 * import { BEV, BufferEvent, DatagramSocket, EventBase, Resolver } from "evffi";
 *
 * const base = new EventBase();
 * // A nameserver that never answers, so that the lookup fails quickly and offline.
 * const silent = new DatagramSocket(base, "udp4", { bind: { host: "127.0.0.1", port: 0 } });
 * const resolver = new Resolver(base, { nameservers: [silent.address], hostsFile: null, search: [], timeoutMs: 50, attempts: 1 });
 *
 * const bev = new BufferEvent(base, -1);
 * bev.setCallbacks(null, null, (b, what) => {
 *   const err = bufferevent_socket_get_dns_error(b);
 *   if (what & BEV.ERROR && err) console.log(`DNS error: ${err.code}`); // prints: DNS error: TIMEOUT
 *   b.close();
 *   resolver.close();
 *   silent.close();
 * });
 * bufferevent_socket_connect_hostname(bev, resolver, AF_UNSPEC, "db.example", 5432);
 * base.loopSync();
 * base.close();
 * ```
 */
export function bufferevent_socket_get_dns_error(bev: BufferEvent): DnsError | null {
  return bev.dnsError;
}


