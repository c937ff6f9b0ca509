// The backend contract: libevent's `struct eventop`, one object per kernel mechanism.
// The base calls add/del only on 0<->1 transitions of an fd's READ/WRITE/CLOSED interest (the
// evmap keeps per-bit reference counts), and wait reports readiness through
// `base.activateIo(fd, bits)`.

/** What the evmap keeps for one fd; backends may use `backendSlot` as per-fd scratch. */
export interface FdRecord {
  readonly fd: number;
  /** Per-fd scratch owned by the backend (e.g. poll's index into its pollfd array); -1 initially. */
  backendSlot: number;
}

/** The side of the base a backend sees. */
export interface BackendHost {
  /** Reports that `fd` is ready for `bits` (EV.READ | EV.WRITE | EV.CLOSED, plus EV.ET when edge-triggered). */
  activateIo(fd: number, bits: number): void;
  /** Hands over a socket error the backend read (and so cleared) from the kernel (libkqueue). */
  noteSocketError(fd: number, errno: number): void;
  /** Reports a signal (kqueue's EVFILT_SIGNAL). */
  activateSignal(signal: number, count: number): void;
  /** Options the base was configured with (flags such as precise timers). */
  readonly config: BackendConfig;
}

export interface BackendConfig {
  /** Wait with sub-millisecond precision where the backend can (epoll_pwait2, timerfd). */
  preciseTimer: boolean;
  /** How epoll waits precisely: epoll_pwait2 when the kernel has it, else a timerfd ("auto"), or forced. */
  preciseWith: "auto" | "pwait2" | "timerfd";
  /** Forbid the timerfd fallback for precise epoll waits. */
  disallowTimerfd: boolean;
  /** Queue epoll changes and flush them before the wait. */
  epollChangelist: boolean;
}

/** A backend's state for one base. */
export interface BackendState {
  /** A pollable fd standing for the whole backend (epoll/kqueue fd), or -1 (poll, select). */
  readonly pollableFd: number;
  /** Registers interest: `old` = bits already enabled on fd, `events` = bits being added. */
  add(fd: number, old: number, events: number, record: FdRecord): void;
  /** Drops interest: `old` = bits enabled before, `events` = bits being removed. */
  del(fd: number, old: number, events: number, record: FdRecord): void;
  /**
   * Waits up to `timeoutMs` (null: no limit; 0: poll) and reports ready fds through the host.
   * Returns false if interrupted by a signal (EINTR), true otherwise; throws SyscallError on failure.
   */
  wait(timeoutMs: number | null): boolean;
  /** Releases kernel resources. */
  dealloc(): void;
  /** Applies queued interest changes now (a backend with a changelist), before waiting elsewhere. */
  flushChanges?(): void;
}

export interface Backend {
  /** "epoll", "epoll (with changelist)", "poll", "select", "kqueue" */
  readonly name: string;
  /** Feature bits (Feature.ET | Feature.O1 | Feature.FDS | Feature.EARLY_CLOSE). */
  readonly features: number;
  /** Kernel state must be rebuilt after fork (base.reinit). */
  readonly needReinit: boolean;
  /** Whether the backend uses FdRecord.backendSlot. */
  readonly usesFdSlot: boolean;
  /** Whether this platform has the mechanism at all; a string says why not. */
  available(): true | string;
  /** Creates the per-base state, or returns null to let the next backend try. */
  init(host: BackendHost): BackendState | null;
}
