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
