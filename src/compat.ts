// libevent's C API over evffi's EventBase, so a libevent program or test ports line for line:
// same names, argument order, constants and 0 / -1 return codes. Timeouts are
// `{ tv_sec, tv_usec }` objects or null. Failures that libevent reports as -1 return -1 here too;
// `event_get_last_error()` holds the Error that caused it.
//
// `event_base_loop` / `event_base_dispatch` keep libevent's synchronous meaning (EventBase.loopSync).
import { EventBase, type EventBaseOptions, type TimeoutArg } from "./core/base.ts";
import type { CommonTimeout } from "./core/common-timeout.ts";
import { Event } from "./core/event.ts";
import { Count, EV, EVLOOP, Feature } from "./core/flags.ts";
import { supportedMethods } from "./backends/registry.ts";

export const EV_TIMEOUT = EV.TIMEOUT, EV_READ = EV.READ, EV_WRITE = EV.WRITE, EV_SIGNAL = EV.SIGNAL;
export const EV_PERSIST = EV.PERSIST, EV_ET = EV.ET, EV_FINALIZE = EV.FINALIZE, EV_CLOSED = EV.CLOSED;
export const EVLOOP_ONCE = EVLOOP.ONCE, EVLOOP_NONBLOCK = EVLOOP.NONBLOCK, EVLOOP_NO_EXIT_ON_EMPTY = EVLOOP.NO_EXIT_ON_EMPTY;
export const EV_FEATURE_ET = Feature.ET, EV_FEATURE_O1 = Feature.O1, EV_FEATURE_FDS = Feature.FDS;
export const EV_FEATURE_EARLY_CLOSE = Feature.EARLY_CLOSE;
export const EVENT_BASE_COUNT_ACTIVE = Count.ACTIVE, EVENT_BASE_COUNT_VIRTUAL = Count.VIRTUAL;
export const EVENT_BASE_COUNT_ADDED = Count.ADDED;
export const EVENT_BASE_FLAG_NOLOCK = 0x01, EVENT_BASE_FLAG_IGNORE_ENV = 0x02, EVENT_BASE_FLAG_STARTUP_IOCP = 0x04;
export const EVENT_BASE_FLAG_NO_CACHE_TIME = 0x08, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST = 0x10;
export const EVENT_BASE_FLAG_PRECISE_TIMER = 0x20, EVENT_BASE_FLAG_EPOLL_DISALLOW_TIMERFD = 0x40;

/** struct timeval. */
export interface Timeval {
  tv_sec: number;
  tv_usec: number;
}
/** What event_base_init_common_timeout returns: a timeval that also names its common timeout. */
export interface CommonTimeval extends Timeval {
  readonly common: CommonTimeout;
}

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
  avoid: string[];
  require: number;
  flags: number;
  /** From event_config_set_max_dispatch_interval: -1 when unlimited. */
  maxDispatchMs: number;
  maxCallbacks: number;
  minPriority: number;
}

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
export function event_config_free(_cfg: EventConfig): void {}
export function event_config_avoid_method(cfg: EventConfig, method: string): number {
  cfg.avoid.push(method);
  return 0;
}
export function event_config_require_features(cfg: EventConfig, features: number): number {
  cfg.require = features;
  return 0;
}
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
 * evtimer_add(evtimer_new(base, () => event_base_free(base), null), { tv_sec: 0, tv_usec: 1000 });
 * event_base_dispatch(base); // returns once the callback ran; the base is freed
 * ```
 */
export function event_base_free(base: EventBase): void {
  base.closeWhenLoopReturns();
}
export function event_base_get_method(base: EventBase): string {
  return base.method;
}
export function event_base_get_features(base: EventBase): number {
  return base.features;
}
export function event_get_supported_methods(): string[] {
  return supportedMethods();
}
export function event_base_priority_init(base: EventBase, n: number): number {
  return attempt(() => base.priorityInit(n));
}
export function event_base_get_npriorities(base: EventBase): number {
  return base.priorities;
}
export function event_base_loop(base: EventBase, flags: number): number {
  return base.loopSync(flags);
}
export function event_base_dispatch(base: EventBase): number {
  return base.loopSync(0);
}
export function event_base_loopexit(base: EventBase, tv: Timeval | null): number {
  return attempt(() => base.loopExit(tv ? (toTimeout(tv) as number) : undefined));
}
export function event_base_loopbreak(base: EventBase): number {
  return attempt(() => base.loopBreak());
}
export function event_base_loopcontinue(base: EventBase): number {
  return attempt(() => base.loopContinue());
}
export function event_base_got_exit(base: EventBase): number {
  return base.gotExit() ? 1 : 0;
}
export function event_base_got_break(base: EventBase): number {
  return base.gotBreak() ? 1 : 0;
}
export function event_base_once(
  base: EventBase, fd: number, events: number, cb: event_callback_fn, arg: unknown, tv: Timeval | null,
): number {
  return attempt(() => base.once(fd, events, (f, what) => cb(f, what, arg), toTimeout(tv)));
}
export function event_base_gettimeofday_cached(base: EventBase, tv: Timeval): number {
  toTimeval(base.gettimeofdayCached(), tv);
  return 0;
}
export function event_gettime_monotonic(base: EventBase, tv: Timeval): number {
  toTimeval(base.now(), tv);
  return 0;
}
export function event_base_update_cache_time(base: EventBase): number {
  base.updateCacheTime();
  return 0;
}
export function event_base_init_common_timeout(base: EventBase, duration: Timeval): CommonTimeval | null {
  try {
    const common = base.commonTimeout(toTimeout(duration) as number);
    return { ...toTimeval(common.duration), common };
  } catch (err) {
    lastError = err;
    return null;
  }
}
export function event_base_get_num_events(base: EventBase, flags: number): number {
  return base.count(flags);
}
/** Returns the dump; also writes it to `out` (a function taking a string) when given. */
export function event_base_dump_events(base: EventBase, out?: (text: string) => void): string {
  const text = base.dump();
  out?.(text);
  return text;
}
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
export function event_add(ev: Event, tv: Timeval | CommonTimeval | null): number {
  return attempt(() => ev.add(toTimeout(tv)));
}
export function event_del(ev: Event): number {
  return attempt(() => ev.del());
}
export const event_del_noblock = event_del;
export const event_del_block = event_del;
export function event_remove_timer(ev: Event): number {
  return attempt(() => ev.removeTimer());
}
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
export function event_initialized(ev: Event | null): number {
  return ev instanceof Event && !ev.closed ? 1 : 0;
}
export function event_free(ev: Event): void {
  ev.close();
}
export function event_finalize(_flags: number, ev: Event, cb: (ev: Event, arg: unknown) => unknown): number {
  return attempt(() => ev.finalize(cb));
}
export function event_free_finalize(_flags: number, ev: Event, cb: (ev: Event, arg: unknown) => unknown): number {
  return attempt(() => ev.closeFinalize(cb));
}
export function event_priority_set(ev: Event, priority: number): number {
  return attempt(() => {
    ev.priority = priority;
  });
}
export function event_get_priority(ev: Event): number {
  return ev.priority;
}
export function event_get_fd(ev: Event): number {
  return ev.fd;
}
export function event_get_events(ev: Event): number {
  return ev.events;
}
export function event_get_callback(ev: Event): event_callback_fn {
  return ev.handler as event_callback_fn;
}
export function event_get_callback_arg(ev: Event): unknown {
  return ev.arg;
}
export function event_get_base(ev: Event): EventBase {
  return ev.eventBase;
}

// ---- evtimer_* and evsignal_* --------------------------------------------------------------------

export function evtimer_new(base: EventBase, cb: event_callback_fn, arg: unknown): Event | null {
  return event_new(base, -1, 0, cb, arg);
}
export function evtimer_assign(ev: Event | null, base: EventBase, cb: event_callback_fn, arg: unknown): Event | null {
  return event_assign(ev, base, -1, 0, cb, arg);
}
export const evtimer_add = event_add;
export const evtimer_del = event_del;
export function evtimer_pending(ev: Event, tv?: Timeval | null): number {
  return event_pending(ev, EV.TIMEOUT, tv);
}
export const evtimer_initialized = event_initialized;

export function evsignal_new(base: EventBase, signal: number, cb: event_callback_fn, arg: unknown): Event | null {
  return event_new(base, signal, EV.SIGNAL | EV.PERSIST, cb, arg);
}
export function evsignal_assign(ev: Event | null, base: EventBase, signal: number, cb: event_callback_fn, arg: unknown): Event | null {
  return event_assign(ev, base, signal, EV.SIGNAL | EV.PERSIST, cb, arg);
}
export const evsignal_add = event_add;
export const evsignal_del = event_del;
export function evsignal_pending(ev: Event, tv?: Timeval | null): number {
  return event_pending(ev, EV.SIGNAL, tv);
}
export const evsignal_initialized = event_initialized;

export { EventBase, Event };

/** Rebuilds the backend after fork (libevent's event_reinit). */
export function event_reinit(base: EventBase): number {
  return attempt(() => base.reinit());
}
