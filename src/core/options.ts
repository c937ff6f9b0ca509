// What a base can be asked for at construction, and the backend configuration that follows from
// the options and, unless ignoreEnv, libevent's environment variables.
import type { BackendConfig } from "../backends/backend.ts";
import { getEnv } from "../ffi/mod.ts";

/** Options of `new EventBase(options)`. */
export interface EventBaseOptions {
  /** Number of priority queues, 1..256 (default 1). Lower numbers run first. */
  priorities?: number;
  /** Methods not to use ("select", "poll", ...). */
  avoid?: readonly string[];
  /** Feature bits the backend must offer (Feature.ET | Feature.O1 | ...). */
  require?: number;
  /** Use exactly this method. */
  method?: string;
  /** Ignore EVENT_NO<METHOD>, EVENT_SHOW_METHOD, EVENT_EPOLL_USE_CHANGELIST, EVENT_PRECISE_TIMER. */
  ignoreEnv?: boolean;
  /** Read the clock for every now() instead of caching it per loop iteration. */
  noCacheTime?: boolean;
  /** Queue epoll changes and apply them just before the wait. */
  epollChangelist?: boolean;
  /** Use CLOCK_MONOTONIC and ns-precision waits instead of the coarse clock. */
  preciseTimer?: boolean | "pwait2" | "timerfd";
  /** With preciseTimer on epoll, never fall back to a timerfd. */
  disallowTimerfd?: boolean;
  /**
   * Check for new events and due timers after callbacks have run for this many ms in one iteration
   * (libevent's max_dispatch_interval); the rest of the queue runs in the next iteration, after
   * higher-priority work that became ready meanwhile. Default: no limit.
   */
  maxDispatchMs?: number;
  /** Check for new events and due timers after this many callbacks in one iteration. Default: no limit. */
  maxCallbacks?: number;
  /**
   * The limits apply to queues of this priority and lower (higher numbers); higher priorities always
   * run to the end of their queue. Default 0: every queue is limited.
   */
  minPriority?: number;
}

/** How many callbacks, and how long, one iteration runs before it checks for new events again. */
export interface DispatchLimits {
  /** Infinity when unlimited. */
  maxDispatchMs: number;
  /** Infinity when unlimited. */
  maxCallbacks: number;
  minPriority: number;
}

/** The dispatch limits of `options`; TypeError/RangeError for a bad one. */
export function dispatchLimits(options: EventBaseOptions): DispatchLimits {
  const { maxDispatchMs, maxCallbacks, minPriority } = options;
  const describe = (v: unknown) => `${String(v)} (${typeof v})`;
  if (maxDispatchMs !== undefined && (typeof maxDispatchMs !== "number" || !(maxDispatchMs >= 0))) {
    throw new RangeError(`maxDispatchMs must be a number of ms >= 0, got ${describe(maxDispatchMs)}`);
  }
  if (maxCallbacks !== undefined && (typeof maxCallbacks !== "number" || !(maxCallbacks >= 1) ||
    (!Number.isInteger(maxCallbacks) && maxCallbacks !== Infinity))) {
    throw new RangeError(`maxCallbacks must be an integer >= 1, got ${describe(maxCallbacks)}`);
  }
  if (minPriority !== undefined && (typeof minPriority !== "number" || !Number.isInteger(minPriority) || minPriority < 0)) {
    throw new RangeError(`minPriority must be an integer >= 0, got ${describe(minPriority)}`);
  }
  return {
    maxDispatchMs: maxDispatchMs ?? Infinity,
    maxCallbacks: maxCallbacks ?? Infinity,
    minPriority: minPriority ?? 0,
  };
}

/** The backend configuration: the options, with EVENT_PRECISE_TIMER and EVENT_EPOLL_USE_CHANGELIST. */
export function backendConfig(options: EventBaseOptions): BackendConfig {
  const env = (name: string) => (options.ignoreEnv ? undefined : getEnv(name));
  const preciseTimer = !!options.preciseTimer || env("EVENT_PRECISE_TIMER") !== undefined;
  return {
    preciseTimer,
    preciseWith: typeof options.preciseTimer === "string" ? options.preciseTimer : "auto",
    disallowTimerfd: !!options.disallowTimerfd,
    epollChangelist: !!options.epollChangelist || env("EVENT_EPOLL_USE_CHANGELIST") !== undefined,
  };
}
