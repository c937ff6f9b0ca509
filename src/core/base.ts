// EventBase: libevent's event_base. It owns a backend (epoll, kqueue, poll, select), the evmap
// (events per fd and per signal), the active queues (one per priority), the timer heap and the
// common timeouts, the time cache, and the loop.
import {
  type OffThreadWaiter, constants, createWaiter, getEnv, layout, libc, signals, yieldToHost,
} from "../ffi/mod.ts";
import { drainWakeFd, openWakeFd, writeWake } from "./wake.ts";
import type { Backend, BackendConfig, BackendHost, BackendState, FdRecord } from "../backends/backend.ts";
import { candidateBackends } from "../backends/registry.ts";
import { monotonicClockId, monotonicMs, wallClockMs } from "./clock.ts";
import { CommonTimeout } from "./common-timeout.ts";
import { Event, type EventCallback, type Finalizer } from "./event.ts";
import {
  Count, EV, EV_ALL, EV_IO, EVLOOP, LIST_ACTIVE, LIST_ACTIVE_LATER, LIST_FINALIZING, LIST_FREED, LIST_INSERTED,
  LIST_FREE_AFTER_FINALIZE, LIST_INTERNAL, LIST_TIMEOUT, describeEvents,
} from "./flags.ts";
import { TimerHeap } from "./minheap.ts";

/** A timeout: milliseconds (fractions allowed), a CommonTimeout, or null/undefined for none. */
export type TimeoutArg = number | CommonTimeout | null | undefined;

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
  /** Queue epoll changes and apply them at dispatch. */
  epollChangelist?: boolean;
  /** Use CLOCK_MONOTONIC and ns-precision waits instead of the coarse clock. */
  preciseTimer?: boolean | "pwait2" | "timerfd";
  /** With preciseTimer on epoll, never fall back to a timerfd. */
  disallowTimerfd?: boolean;
}

/** The evmap's record for one fd: its events and per-bit reference counts. */
class FdEntry implements FdRecord {
  readonly fd: number;
  backendSlot = -1;
  readonly events: Event[] = [];
  nread = 0;
  nwrite = 0;
  nclose = 0;
  /** How many of the events are edge-triggered (all or none may be). */
  net = 0;
  /** A socket error the backend saw and took from the kernel (libkqueue does); 0 if none. */
  socketError = 0;
  constructor(fd: number) {
    this.fd = fd;
  }
  /** The bits the backend has enabled now. */
  enabled(): number {
    return (this.nread ? EV.READ : 0) | (this.nwrite ? EV.WRITE : 0) | (this.nclose ? EV.CLOSED : 0) | (this.net ? EV.ET : 0);
  }
}

/** The evmap's record for one signal. */
class SignalEntry {
  readonly events: Event[] = [];
}

/** One priority's queue of active events, linked through the events. */
class ActiveQueue {
  head: Event | null = null;
  tail: Event | null = null;
}

/** Receives signal interest changes (set up by the signal module, see ../core/signal.ts). */
export interface SignalSource {
  add(base: EventBase, signal: number): void;
  del(base: EventBase, signal: number): void;
}

let signalSource: SignalSource | null = null;
/** @internal Installed by the signal module. */
export function setSignalSource(source: SignalSource): void {
  signalSource = source;
}

const MAX_PRIORITIES = 256;
const LOOP_CONTINUE = 2;
const WALL_OFFSET_REFRESH_MS = 5000;

function checkTimeout(timeout: unknown): void {
  if (typeof timeout === "number") {
    if (!Number.isFinite(timeout) || timeout < 0) throw new RangeError(`timeout must be a finite number of ms >= 0, got ${timeout}`);
  } else if (timeout !== null && timeout !== undefined && !(timeout instanceof CommonTimeout)) {
    throw new TypeError(`timeout must be milliseconds, a CommonTimeout or null, got ${typeof timeout === "object" ? JSON.stringify(timeout) : String(timeout)}`);
  }
}

function callbackResultIsThenable(r: unknown): r is PromiseLike<unknown> {
  return typeof r === "object" && r !== null && typeof (r as PromiseLike<unknown>).then === "function";
}

export class EventBase {
  /** The backend in use ("epoll", "poll", ...). */
  readonly method: string;
  /** Feature bits of the backend in use. */
  readonly features: number;
  /** @internal */ readonly config: BackendConfig;
  private readonly backend: Backend;
  private backendState: BackendState;

  private readonly ioMap: (FdEntry | undefined)[] = [];
  private readonly signalMap: (SignalEntry | undefined)[] = [];
  private activeQueues: ActiveQueue[];
  private readonly activeLaterQueue = new ActiveQueue();
  private readonly timeHeap = new TimerHeap<Event>();
  private readonly commonTimeouts: CommonTimeout[] = [];
  private readonly onceEvents = new Set<Event>();

  /** Events in the active queues, internal ones included (libevent's N_ACTIVE_CALLBACKS). */
  private activeTotal = 0;
  /** Non-internal events in the active queues. */
  private activeUser = 0;
  /** Non-internal events that are added (on an fd/signal or with a timeout). */
  private addedUser = 0;
  private virtualCount = 0;

  // Loop state.
  private running = false;
  private terminate = false;
  private breakRequested = false;
  private breakPending = false;
  private continueRequested = false;
  private runningPriority = -1;
  private exitReason: "exit" | "break" | null = null;
  private callbackError: { error: unknown } | null = null;
  private isClosed = false;

  // Waking and off-thread waiting.
  private wakeFd = -1;
  private wakeWriteFd = -1;
  private wakeEvent: Event | null = null;
  /** 1 while a wake is written and not yet drained (shared, so other threads can coalesce too). */
  private readonly wakeFlag = new Int32Array(new SharedArrayBuffer(4));
  /** Signals counted by the host listener, not yet delivered (index: signal number). */
  private readonly pendingSignals = new Int32Array(new SharedArrayBuffer(4 * 65));
  private waiter: OffThreadWaiter | null = null;
  private waitCount = 0;
  private waiting = false;
  private poked = false;
  private waitDeadline = Infinity;

  // Time.
  private readonly clockId: number;
  private readonly cacheTime: boolean;
  private cachedNow = 0;
  private wallOffset = 0;
  private wallOffsetAt = -Infinity;

  constructor(options: EventBaseOptions = {}) {
    if (typeof options !== "object" || options === null) throw new TypeError(`EventBase options must be an object, got ${String(options)}`);
    const env = (name: string) => (options.ignoreEnv ? undefined : getEnv(name));
    const preciseTimer = !!options.preciseTimer || env("EVENT_PRECISE_TIMER") !== undefined;
    this.config = {
      preciseTimer,
      preciseWith: typeof options.preciseTimer === "string" ? options.preciseTimer : "auto",
      disallowTimerfd: !!options.disallowTimerfd,
      epollChangelist: !!options.epollChangelist || env("EVENT_EPOLL_USE_CHANGELIST") !== undefined,
    };
    this.clockId = monotonicClockId(preciseTimer);
    this.cacheTime = !options.noCacheTime;
    const priorities = options.priorities ?? 1;
    this.activeQueues = this.makeQueues(priorities);

    let chosen: { backend: Backend; state: BackendState } | null = null;
    const failures: string[] = [];
    for (const backend of candidateBackends({ ...options, epollChangelist: this.config.epollChangelist })) {
      try {
        const state = backend.init(this satisfies BackendHost);
        if (state) {
          chosen = { backend, state };
          break;
        }
        failures.push(`${backend.name}: init declined`);
      } catch (err) {
        failures.push(`${backend.name}: ${(err as Error).message}`);
      }
    }
    if (!chosen) throw new Error(`no event backend could start (${failures.join("; ")})`);
    this.backend = chosen.backend;
    this.backendState = chosen.state;
    this.method = chosen.backend.name;
    this.features = chosen.backend.features;
    if (env("EVENT_SHOW_METHOD") !== undefined) console.error(`[evffi] using ${this.method}`);
  }

  private makeQueues(n: number): ActiveQueue[] {
    if (!Number.isInteger(n) || n < 1 || n > MAX_PRIORITIES) throw new RangeError(`priorities must be an integer 1..${MAX_PRIORITIES}, got ${n}`);
    return Array.from({ length: n }, () => new ActiveQueue());
  }

  // ---- public API -----------------------------------------------------------------------------

  /** Number of priority queues. */
  get priorities(): number {
    return this.activeQueues.length;
  }

  /** Sets the number of priority queues (libevent's event_base_priority_init); not while events are active. */
  priorityInit(n: number): void {
    this.checkOpen();
    if (this.activeTotal > 0 || this.running) throw new Error("cannot change the number of priorities while events are active or the loop runs");
    this.activeQueues = this.makeQueues(n);
  }

  /**
   * Creates an event (not yet added). `fd` is a file descriptor, a signal number with EV.SIGNAL,
   * or -1 for a pure timer; `events` combines EV.READ, WRITE, CLOSED, SIGNAL, TIMEOUT, PERSIST, ET,
   * FINALIZE. The callback receives (fd, what, arg), arg defaulting to the event itself.
   */
  event<A = Event>(fd: number, events: number, callback: EventCallback<A>, arg?: A): Event<A> {
    this.checkOpen();
    if (typeof fd !== "number" || !Number.isInteger(fd) || fd < -1) throw new RangeError(`fd must be an integer >= -1, got ${String(fd)}`);
    if (typeof events !== "number" || !Number.isInteger(events) || (events & ~EV_ALL) !== 0 || events < 0) {
      throw new RangeError(`unknown event flags ${String(events)} (known: ${describeEvents(EV_ALL)})`);
    }
    if (typeof callback !== "function") throw new TypeError(`callback must be a function, got ${typeof callback}`);
    if (events & EV.SIGNAL) {
      if (events & EV_IO) throw new RangeError(`EV.SIGNAL cannot be combined with READ/WRITE/CLOSED (got ${describeEvents(events)})`);
      if (fd < 1 || fd > 64) throw new RangeError(`signal number must be 1..64, got ${fd}`);
    } else if (events & EV_IO && fd < 0) {
      throw new RangeError(`an I/O event needs an fd >= 0, got ${fd}`);
    }
    const ev = new Event<A>(this, fd, events, callback, undefined as A, this.defaultPriority());
    ev.arg = arguments.length >= 4 ? (arg as A) : (ev as unknown as A);
    return ev;
  }

  /** A timer: runs `callback` after `ms` (every `ms` with persist). Returns the added event. */
  timer(ms: TimeoutArg, callback: EventCallback<Event>, { persist = false } = {}): Event {
    return this.event(-1, persist ? EV.PERSIST : 0, callback).add(ms);
  }

  /** Watches a signal (a number or a name such as "SIGINT"). Returns the added, persistent event. */
  signal(signal: number | string, callback: EventCallback<Event>): Event {
    return this.event(this.signalNumber(signal), EV.SIGNAL | EV.PERSIST, callback).add();
  }

  /** The number of a signal given by number or name ("SIGINT", "int"). */
  signalNumber(signal: number | string): number {
    if (typeof signal === "number") return signal;
    if (typeof signal !== "string") throw new TypeError(`signal must be a number or a name, got ${String(signal)}`);
    const upper = signal.toUpperCase();
    const n = signals[upper.startsWith("SIG") ? upper : "SIG" + upper];
    if (n === undefined) throw new RangeError(`unknown signal ${JSON.stringify(signal)}`);
    return n;
  }

  /**
   * Runs `callback(fd, what)` once: when fd is ready for `events`, or after `timeout` ms
   * (libevent's event_base_once). With no fd and a zero or absent timeout it runs at the next
   * loop iteration without touching the timer heap.
   */
  once(fd: number, events: number, callback: (fd: number, what: number) => unknown, timeout?: TimeoutArg): void {
    if (events & (EV.SIGNAL | EV.PERSIST)) throw new RangeError(`once() does not take EV.SIGNAL or EV.PERSIST (got ${describeEvents(events)})`);
    checkTimeout(timeout);
    const ev = this.event(fd, events, (f, what) => {
      this.onceEvents.delete(ev);
      ev.state |= LIST_FREED;
      return callback(f, what);
    });
    this.onceEvents.add(ev);
    const immediate = (events & EV_IO) === 0 && (timeout === undefined || timeout === null || timeout === 0);
    if (immediate) this.activateEvent(ev, EV.TIMEOUT, 1);
    else ev.add(timeout);
  }

  /**
   * A common timeout of `ms` (libevent's event_base_init_common_timeout): adding many events
   * with it costs O(1) each. The same duration returns the same CommonTimeout; up to 256 per base.
   */
  commonTimeout(ms: number): CommonTimeout {
    this.checkOpen();
    checkTimeout(ms);
    const found = this.commonTimeouts.find((c) => c.duration === ms);
    if (found) return found;
    if (this.commonTimeouts.length >= 256) throw new RangeError("a base has at most 256 common timeouts");
    const common = new CommonTimeout(ms, this.commonTimeouts.length);
    const timer = new Event(this, -1, 0, () => this.expireCommon(common), null, 0);
    timer.state |= LIST_INTERNAL;
    common.timer = timer;
    this.commonTimeouts.push(common);
    return common;
  }

  /** Current time in ms on the base's monotonic clock (cached per loop iteration). */
  now(): number {
    if (this.cachedNow !== 0) return this.cachedNow;
    return monotonicMs(this.clockId);
  }

  /** Wall-clock time in ms since the epoch, derived from the cached monotonic time when cached. */
  gettimeofdayCached(): number {
    if (this.cachedNow === 0) return wallClockMs();
    if (this.cachedNow - this.wallOffsetAt > WALL_OFFSET_REFRESH_MS) {
      this.wallOffset = wallClockMs() - monotonicMs(this.clockId);
      this.wallOffsetAt = this.cachedNow;
    }
    return this.cachedNow + this.wallOffset;
  }

  /** Refreshes the time cache (libevent's event_base_update_cache_time); only meaningful in the loop. */
  updateCacheTime(): void {
    if (this.running && this.cacheTime) this.cachedNow = monotonicMs(this.clockId);
  }

  /**
   * Runs the loop on this thread, blocking in the kernel while nothing is ready (nothing else on
   * the thread runs meanwhile: use it in Workers and reactor-only scripts). Flags: EVLOOP.ONCE,
   * NONBLOCK, NO_EXIT_ON_EMPTY. Returns 0 (exited or broken, or ONCE/NONBLOCK done), 1 when no
   * events are left, -1 when called from inside a callback of this base. A callback's exception
   * stops the loop and is rethrown here; the base stays usable.
   */
  loopSync(flags = 0): number {
    if (!this.beginLoop(flags)) return -1;
    let result: number = LOOP_CONTINUE;
    try {
      while ((result = this.checkLoopEnd(flags, false)) === LOOP_CONTINUE) {
        if (!this.runIteration(flags, this.waitTimeout(flags))) {
          result = 0;
          break;
        }
      }
    } finally {
      this.endLoop();
    }
    this.throwPendingError();
    return result;
  }

  /**
   * Runs the loop without ever blocking the JS thread: ready callbacks run, the host's event loop
   * gets a turn at least every millisecond and whenever the base would wait, and waiting for the
   * kernel happens off-thread (Deno: a nonblocking FFI call; Bun: a watcher Worker) until an fd is
   * ready, the next timer is due, or `wake()` is called. Promises, host timers, host I/O and signal
   * listeners keep running meanwhile. Same flags and results as loopSync; a callback's exception
   * (or an async callback's rejection) rejects the returned promise.
   */
  async loop(flags = 0): Promise<number> {
    if (!this.beginLoop(flags)) return -1;
    this.ensureWake();
    let result: number = LOOP_CONTINUE;
    let lastYield = performance.now();
    try {
      while ((result = this.checkLoopEnd(flags, true)) === LOOP_CONTINUE) {
        // Poll without blocking first: a busy base never pays for the off-thread round trip.
        this.dispatchPhase(0);
        if (this.activeTotal === 0) {
          const timeout = this.waitTimeout(flags);
          if (timeout !== 0) {
            await this.waitOffThread(timeout);
            lastYield = performance.now();
            if (this.callbackError) break;
            this.dispatchPhase(0);
          }
        }
        if (!this.processPhase(flags)) {
          result = 0;
          break;
        }
        // Microtasks run at every await; a macrotask turn (host timers, I/O) at least every ms.
        if (performance.now() - lastYield >= 1) {
          await yieldToHost();
          lastYield = performance.now();
        } else {
          await null;
        }
      }
    } finally {
      this.endLoop();
    }
    this.throwPendingError();
    return result === LOOP_CONTINUE ? 0 : result;
  }

  /** The async twin of dispatchSync(): loop(0). */
  dispatch(): Promise<number> {
    return this.loop(0);
  }

  private beginLoop(flags: number): boolean {
    this.checkOpen();
    if (typeof flags !== "number" || (flags & ~(EVLOOP.ONCE | EVLOOP.NONBLOCK | EVLOOP.NO_EXIT_ON_EMPTY)) !== 0) {
      throw new RangeError(`unknown loop flags ${String(flags)}`);
    }
    if (this.running) return false;
    this.throwPendingError();
    this.running = true;
    this.terminate = false;
    this.breakRequested = this.breakPending;
    this.breakPending = false;
    this.exitReason = null;
    this.cachedNow = 0;
    return true;
  }

  private endLoop(): void {
    this.running = false;
    this.cachedNow = 0;
    if (this.breakRequested) this.exitReason = "break";
    else if (this.terminate) this.exitReason = "exit";
  }

  /** Top of an iteration: 0 (exit/break), 1 (nothing left) or LOOP_CONTINUE. */
  private checkLoopEnd(flags: number, cooperative: boolean): number {
    this.continueRequested = false;
    if (this.terminate || this.breakRequested || this.callbackError) return 0;
    if (this.addedUser === 0 && this.virtualCount === 0 && this.activeTotal === 0 && this.activeLaterQueue.head === null &&
      !(cooperative && this.asyncPending > 0) && !(flags & EVLOOP.NO_EXIT_ON_EMPTY)) {
      return 1;
    }
    this.moveLaterEventsActive();
    return LOOP_CONTINUE;
  }

  /** How long the backend may wait: 0 when something is active or for NONBLOCK, else until the next timer. */
  private waitTimeout(flags: number): number | null {
    return this.activeTotal > 0 || flags & EVLOOP.NONBLOCK ? 0 : this.nextTimeout();
  }

  /** One dispatch and the callbacks it makes ready. Returns false when the loop must end. */
  private runIteration(flags: number, timeout: number | null): boolean {
    this.dispatchPhase(timeout);
    return this.processPhase(flags);
  }

  /** Asks the backend for ready fds (waiting up to `timeout`), then refreshes the time cache and expires timers. */
  private dispatchPhase(timeout: number | null): void {
    this.cachedNow = 0;
    this.backendState.dispatch(timeout);
    if (this.cacheTime) this.cachedNow = monotonicMs(this.clockId);
    this.expireTimers();
  }

  /** Runs the active callbacks. Returns false when the loop must end. */
  private processPhase(flags: number): boolean {
    if (this.activeTotal > 0) {
      const ran = this.processActive();
      if (this.callbackError) return false;
      if (flags & EVLOOP.ONCE && this.activeTotal === 0 && ran !== 0) return false;
    } else if (flags & EVLOOP.NONBLOCK) {
      return false;
    }
    return true;
  }

  /** Waits off-thread until the backend has something, `timeout` ms pass, or wake() is called. */
  private async waitOffThread(timeout: number | null): Promise<void> {
    const waiter = this.prepareWaiter();
    const ms = timeout === null ? -1 : Math.min(Math.ceil(timeout), 0x7fffffff);
    this.waitDeadline = timeout === null ? Infinity : this.now() + timeout;
    this.waiting = true;
    try {
      await waiter.wait(this.waitCount, ms);
    } finally {
      this.waiting = false;
      this.waitDeadline = Infinity;
    }
  }

  /**
   * Fills the waiter's pollfd array: the backend's own pollable fd (epoll, kqueue) or, for poll
   * and select, every fd of the evmap; plus the wake fd, which interrupts the wait.
   */
  private prepareWaiter(): OffThreadWaiter {
    this.backendState.flushChanges?.();
    const wanted: number[] = [];
    const masks: number[] = [];
    if (this.backendState.pollableFd >= 0) {
      wanted.push(this.backendState.pollableFd);
      masks.push(constants.POLLIN);
    } else {
      for (const entry of this.ioMap) {
        if (!entry) continue;
        const bits = entry.enabled();
        wanted.push(entry.fd);
        masks.push((bits & EV.READ ? constants.POLLIN : 0) | (bits & EV.WRITE ? constants.POLLOUT : 0) |
          (bits & EV.CLOSED ? constants.POLLRDHUP : 0));
      }
    }
    if (this.wakeFd >= 0) {
      wanted.push(this.wakeFd);
      masks.push(constants.POLLIN);
    }
    if (!this.waiter || this.waiter.capacity < wanted.length) {
      this.waiter?.close();
      this.waiter = createWaiter(Math.max(16, 2 * wanted.length));
    }
    const view = new DataView(this.waiter.pollfds.buffer, this.waiter.pollfds.byteOffset);
    const P = layout.pollfd;
    for (let i = 0; i < wanted.length; i++) {
      view.setInt32(i * P.size + P.fd, wanted[i], true);
      view.setInt16(i * P.size + P.events, masks[i], true);
      view.setInt16(i * P.size + P.revents, 0, true);
    }
    this.waitCount = wanted.length;
    return this.waiter;
  }

  /** Interrupts an off-thread wait when the base's state changed under it. */
  private poke(): void {
    if (this.waiting && !this.poked) {
      this.poked = true;
      this.wake();
    }
  }

  /**
   * Interrupts the base's wait (from this thread; other threads use the cross-thread handle).
   * Coalesced: while a wake is pending, further calls write nothing.
   */
  wake(): void {
    this.checkOpen();
    this.ensureWake();
    if (Atomics.exchange(this.wakeFlag, 0, 1) === 0) writeWake(this.wakeWriteFd);
  }

  /** Creates the wake fd and its internal event on first use. */
  private ensureWake(): void {
    if (this.wakeFd >= 0) return;
    const [readFd, writeFd] = openWakeFd();
    this.wakeFd = readFd;
    this.wakeWriteFd = writeFd;
    const ev = new Event(this, readFd, EV.READ | EV.PERSIST, () => this.drainWake(), null, 0);
    ev.state |= LIST_INTERNAL;
    this.wakeEvent = ev;
    this.addNoCheck(ev, null, -1);
  }

  /** Runs when the wake fd is readable: clear it, then deliver what the wakers left. */
  private drainWake(): void {
    drainWakeFd(this.wakeFd);
    // Cleared after draining, before the work: a waker that set the flag after this point writes again.
    Atomics.store(this.wakeFlag, 0, 0);
    this.poked = false;
    const counts = this.pendingSignals;
    for (let sig = 1; sig < counts.length; sig++) {
      if (counts[sig] === 0) continue;
      const n = Atomics.exchange(counts, sig, 0);
      if (n > 0) this.activateSignal(sig, n);
    }
    for (const hook of this.wakeHooks) hook();
  }

  /**
   * @internal What another thread needs to wake this base and hand it signals: the wake fd, the
   * shared coalescing flag, and the shared per-signal counters. Other threads only write these.
   */
  crossThreadHandle(): { wakeFd: number; wakeFlag: SharedArrayBuffer; pendingSignals: SharedArrayBuffer } {
    this.checkOpen();
    this.ensureWake();
    return {
      wakeFd: this.wakeWriteFd,
      wakeFlag: this.wakeFlag.buffer as SharedArrayBuffer,
      pendingSignals: this.pendingSignals.buffer as SharedArrayBuffer,
    };
  }

  /** @internal Work other modules (cross-thread queues) do each time the base is woken. */
  readonly wakeHooks: (() => void)[] = [];

  /** @internal Counts a signal for delivery at the next drain (called by the signal module). */
  noteSignal(signal: number): void {
    if (this.isClosed) return;
    Atomics.add(this.pendingSignals, signal, 1);
    this.wake();
  }

  /** Rethrows a callback's failure (sync throw, or an async callback's rejection seen since). */
  private throwPendingError(): void {
    const failure = this.callbackError;
    if (failure) {
      this.callbackError = null;
      throw failure.error;
    }
  }

  /** libevent's event_base_dispatch: loopSync(0). */
  dispatchSync(): number {
    return this.loopSync(0);
  }

  /** Exits the loop after `ms` (default: at the end of the current iteration); active callbacks still run. */
  loopExit(ms?: number): void {
    this.checkOpen();
    checkTimeout(ms);
    this.once(-1, EV.TIMEOUT, () => {
      this.terminate = true;
    }, ms);
  }

  /**
   * Exits the loop after the callback running now. Issued while the loop is not running, it is
   * kept and makes the next loop return at once (libevent loses it).
   */
  loopBreak(): void {
    this.checkOpen();
    if (this.running) {
      this.breakRequested = true;
      this.poke();
    } else {
      this.breakPending = true;
    }
  }

  /** Makes the loop poll for new events right after the current callback (libevent's loopcontinue). */
  loopContinue(): void {
    this.checkOpen();
    if (this.running) {
      this.continueRequested = true;
      this.poke();
    }
  }

  /** Whether the last loop ended through loopExit. */
  gotExit(): boolean {
    return this.exitReason === "exit";
  }

  /** Whether the last loop ended through loopBreak. */
  gotBreak(): boolean {
    return this.exitReason === "break";
  }

  /** Whether a loop of this base is running now. */
  get isRunning(): boolean {
    return this.running;
  }

  /** Counts events: Count.ACTIVE, Count.ADDED and/or Count.VIRTUAL (summed). */
  count(what: number = Count.ACTIVE | Count.ADDED | Count.VIRTUAL): number {
    let n = 0;
    if (what & Count.ACTIVE) n += this.activeUser;
    if (what & Count.ADDED) n += this.addedUser;
    if (what & Count.VIRTUAL) n += this.virtualCount;
    return n;
  }

  /** Keeps the loop from exiting for lack of events (libevent's virtual events). */
  addVirtual(): void {
    this.virtualCount++;
  }
  removeVirtual(): void {
    if (this.virtualCount > 0) this.virtualCount--;
  }

  /** Calls fn for every added or active event (not internal ones). */
  forEachEvent(fn: (ev: Event) => void): void {
    for (const ev of this.allEvents()) fn(ev);
  }

  /** A readable listing of the base's added and active events, for debugging. */
  dump(): string {
    const now = this.now();
    const describe = (ev: Event) => {
      const where = ev.events & EV.SIGNAL ? `signal ${ev.fd}` : ev.fd >= 0 ? `fd ${ev.fd}` : "timer";
      let s = `  ${where}: ${describeEvents(ev.events)}`;
      const common = ev.ext?.common;
      if (ev.state & LIST_TIMEOUT) s += ` timeout in ${(ev.deadline - now).toFixed(3)} ms${common ? ` (common ${common.duration} ms)` : ""}`;
      if (ev.priorityValue !== this.defaultPriority()) s += ` priority ${ev.priorityValue}`;
      return s;
    };
    const inserted: string[] = [];
    const active: string[] = [];
    for (const ev of this.allEvents()) {
      if (ev.state & (LIST_INSERTED | LIST_TIMEOUT)) inserted.push(describe(ev));
      if (ev.state & (LIST_ACTIVE | LIST_ACTIVE_LATER)) active.push(`${describe(ev)} [${ev.state & LIST_ACTIVE_LATER ? "active later" : "active"}: ${describeEvents(ev.res)}]`);
    }
    return `EventBase (${this.method}, ${this.priorities} priorities)\nInserted events:\n${inserted.join("\n") || "  (none)"}\nActive events:\n${active.join("\n") || "  (none)"}\n`;
  }

  /**
   * Rebuilds the backend's kernel state and re-adds every fd (libevent's event_reinit): needed in
   * a child after fork, and a way to recover a backend. The wake fd is replaced too, since a
   * forked child would share it with its parent.
   */
  reinit(): void {
    this.checkOpen();
    if (this.running) throw new Error("cannot reinit an EventBase while its loop is running");
    if (this.wakeEvent) {
      this.delInternal(this.wakeEvent);
      libc.close(this.wakeFd);
      if (this.wakeWriteFd !== this.wakeFd) libc.close(this.wakeWriteFd);
      this.wakeFd = this.wakeWriteFd = -1;
      this.wakeEvent = null;
    }
    this.backendState.dealloc();
    const state = this.backend.init(this satisfies BackendHost);
    if (!state) throw new Error(`${this.method} could not start again`);
    this.backendState = state;
    for (const entry of this.ioMap) {
      if (!entry) continue;
      entry.backendSlot = -1;
      const bits = entry.enabled();
      if (bits & EV_IO) state.add(entry.fd, 0, bits, entry);
    }
    if (this.signalMap.some((e) => e !== undefined)) this.ensureWake();
  }

  /** Same as close(), for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Deletes every event and releases the backend. Using the base or its events afterwards throws. */
  close(): void {
    if (this.isClosed) return;
    if (this.running) throw new Error("cannot close an EventBase while its loop is running");
    for (const ev of [...this.allEvents(true)]) this.delInternal(ev);
    for (const ev of this.onceEvents) ev.state |= LIST_FREED;
    this.onceEvents.clear();
    this.backendState.dealloc();
    this.waiter?.close();
    this.waiter = null;
    if (this.wakeFd >= 0) {
      libc.close(this.wakeFd);
      if (this.wakeWriteFd !== this.wakeFd) libc.close(this.wakeWriteFd);
      this.wakeFd = this.wakeWriteFd = -1;
    }
    this.isClosed = true;
  }

  /** Whether close() was called. */
  get closed(): boolean {
    return this.isClosed;
  }

  // ---- BackendHost ------------------------------------------------------------------------------

  /** @internal Called by the backend for each ready fd. */
  activateIo(fd: number, bits: number): void {
    const entry = this.ioMap[fd];
    if (entry === undefined) return;
    const events = entry.events;
    for (let i = 0; i < events.length; i++) {
      const ev = events[i];
      const res = ev.events & bits;
      if (res & EV_IO) this.activate(ev, res, 1);
    }
  }

  /** @internal Called by a backend that consumed a socket's pending error while reporting it. */
  noteSocketError(fd: number, errno: number): void {
    const entry = this.ioMap[fd];
    if (entry !== undefined) entry.socketError = errno;
  }

  /**
   * Returns and clears the socket error a backend took from the kernel for `fd` while reporting
   * it ready, or 0. Only the kqueue emulation on Linux (libkqueue) does that: it reads SO_ERROR,
   * which clears it, so a later read sees a plain EOF and getsockopt(SO_ERROR) sees 0. Code that
   * tells EOF from ECONNRESET, or checks a connect, asks here when the kernel says nothing.
   */
  takeSocketError(fd: number): number {
    const entry = this.ioMap[fd];
    if (entry === undefined || entry.socketError === 0) return 0;
    const errno = entry.socketError;
    entry.socketError = 0;
    return errno;
  }

  /** @internal Called when a signal arrived `count` times. */
  activateSignal(signal: number, count: number): void {
    const entry = this.signalMap[signal];
    if (entry === undefined) return;
    for (const ev of entry.events) this.activate(ev, EV.SIGNAL, count);
  }

  // ---- event operations (called through Event) -------------------------------------------------

  /** @internal */
  addEvent(ev: Event, timeout: TimeoutArg): void {
    this.checkUsable(ev);
    checkTimeout(timeout);
    if (ev.state & LIST_FINALIZING) throw new Error("cannot add an event that is being finalized");
    // A plain add() forgets an earlier persistent interval unless a timeout is still pending.
    if ((timeout === null || timeout === undefined) && !(ev.state & LIST_TIMEOUT) && ev.ext) ev.ext.persistMs = -1;
    this.addNoCheck(ev, timeout, -1);
  }

  /** `absoluteDeadline` >= 0 re-arms a persistent event at that time (no drift). */
  private addNoCheck(ev: Event, timeout: TimeoutArg, absoluteDeadline: number): void {
    if (ev.events & (EV_IO | EV.SIGNAL) && !(ev.state & (LIST_INSERTED | LIST_ACTIVE | LIST_ACTIVE_LATER))) {
      if (ev.events & EV.SIGNAL) this.signalAdd(ev);
      else this.ioAdd(ev);
      this.markAdded(ev, LIST_INSERTED);
    }
    if (timeout === null || timeout === undefined) return;
    const common = timeout instanceof CommonTimeout ? timeout : null;
    const ms = common ? common.duration : (timeout as number);
    if (ev.events & EV.PERSIST && absoluteDeadline < 0) ev.extras().persistMs = ms;
    if (ev.state & LIST_TIMEOUT) this.removeTimeout(ev);
    // An event active because of its old timeout must not fire for it after getting a new one.
    if (ev.state & LIST_ACTIVE && ev.res & EV.TIMEOUT) {
      if (ev.events & EV.SIGNAL && ev.ext) ev.ext.ncalls = 0;
      this.removeActive(ev);
    }
    ev.deadline = absoluteDeadline >= 0 ? absoluteDeadline : this.now() + ms;
    if (common) ev.extras().common = common;
    else if (ev.ext) ev.ext.common = null;
    this.insertTimeout(ev);
  }

  /** @internal */
  delEvent(ev: Event): void {
    this.checkUsable(ev);
    this.delInternal(ev);
    if (ev.ext) ev.ext.persistMs = -1;
  }

  /** @internal */
  removeTimer(ev: Event): void {
    this.checkUsable(ev);
    if (ev.state & LIST_TIMEOUT) this.removeTimeout(ev);
    if (ev.ext) ev.ext.persistMs = -1;
  }

  /** @internal */
  activateEvent(ev: Event, what: number, ncalls: number): void {
    this.checkUsable(ev);
    if (!Number.isInteger(what) || (what & ~EV_ALL) !== 0) throw new RangeError(`unknown event flags ${String(what)}`);
    if (!Number.isInteger(ncalls) || ncalls < 1) throw new RangeError(`ncalls must be a positive integer, got ${String(ncalls)}`);
    this.activate(ev, what, ncalls);
  }

  /** @internal */
  pendingBits(ev: Event, what: number): number {
    this.checkUsable(ev);
    let flags = 0;
    if (ev.state & LIST_INSERTED) flags |= ev.events & (EV_IO | EV.SIGNAL);
    if (ev.state & (LIST_ACTIVE | LIST_ACTIVE_LATER)) flags |= ev.res;
    if (ev.state & LIST_TIMEOUT) flags |= EV.TIMEOUT;
    return flags & what & (EV.TIMEOUT | EV_IO | EV.SIGNAL);
  }

  /** @internal */
  timeLeft(ev: Event): number | null {
    this.checkUsable(ev);
    if (!(ev.state & LIST_TIMEOUT)) return null;
    return Math.max(0, ev.deadline - this.now());
  }

  /** @internal */
  setPriority(ev: Event, p: number): void {
    this.checkUsable(ev);
    if (!Number.isInteger(p) || p < 0 || p >= this.activeQueues.length) {
      throw new RangeError(`priority must be an integer 0..${this.activeQueues.length - 1}, got ${String(p)}`);
    }
    if (ev.state & (LIST_ACTIVE | LIST_ACTIVE_LATER)) throw new Error("cannot change the priority of an active event");
    ev.priorityValue = p;
  }

  /** @internal */
  finalizeEvent(ev: Event, finalizer: Finalizer<unknown>, free: boolean): void {
    this.checkUsable(ev);
    if (typeof finalizer !== "function") throw new TypeError(`finalizer must be a function, got ${typeof finalizer}`);
    if (ev.state & LIST_FINALIZING) return;
    this.delInternal(ev);
    ev.extras().finalizer = finalizer;
    ev.state |= LIST_FINALIZING | (free ? LIST_FREE_AFTER_FINALIZE : 0);
    this.insertActive(ev, this.activeQueues[ev.priorityValue]);
    ev.res = EV.FINALIZE;
  }

  /** @internal */
  closeEvent(ev: Event): void {
    if (ev.state & LIST_FREED) return;
    if (!this.isClosed) this.delInternal(ev);
    ev.state = (ev.state & ~0xffff) | LIST_FREED;
  }

  // ---- evmap ----------------------------------------------------------------------------------

  private ioAdd(ev: Event): void {
    const fd = ev.fd;
    let entry = this.ioMap[fd];
    if (entry === undefined) entry = this.ioMap[fd] = new FdEntry(fd);
    const et = (ev.events & EV.ET) !== 0;
    if (entry.events.length > 0 && (entry.net > 0) !== et) {
      throw new TypeError(`cannot mix edge-triggered and level-triggered events on fd ${fd}`);
    }
    const old = entry.enabled();
    let added = 0;
    if (ev.events & EV.READ && entry.nread === 0) added |= EV.READ;
    if (ev.events & EV.WRITE && entry.nwrite === 0) added |= EV.WRITE;
    if (ev.events & EV.CLOSED && entry.nclose === 0) added |= EV.CLOSED;
    if (added) {
      // The backend throws (EBADF for a closed fd) before anything here changed.
      this.backendState.add(fd, old, added | (et ? EV.ET : 0), entry);
    }
    if (ev.events & EV.READ) entry.nread++;
    if (ev.events & EV.WRITE) entry.nwrite++;
    if (ev.events & EV.CLOSED) entry.nclose++;
    if (et) entry.net++;
    entry.events.push(ev);
    // An off-thread wait watches what the kernel knew when it began: poll and select's fd list,
    // or epoll's set before a queued changelist entry. Restart it.
    if (this.waiting && (this.backendState.pollableFd < 0 || this.backendState.flushChanges)) this.poke();
  }

  private ioDel(ev: Event): void {
    const fd = ev.fd;
    const entry = this.ioMap[fd];
    if (entry === undefined) return;
    const i = entry.events.indexOf(ev);
    if (i === -1) return;
    entry.events.splice(i, 1);
    const old = entry.enabled();
    let removed = 0;
    if (ev.events & EV.READ && --entry.nread === 0) removed |= EV.READ;
    if (ev.events & EV.WRITE && --entry.nwrite === 0) removed |= EV.WRITE;
    if (ev.events & EV.CLOSED && --entry.nclose === 0) removed |= EV.CLOSED;
    if (ev.events & EV.ET && --entry.net === 0) removed |= EV.ET;
    if (entry.events.length === 0) this.ioMap[fd] = undefined;
    if (removed & EV_IO) this.backendState.del(fd, old, removed, entry);
  }

  private signalAdd(ev: Event): void {
    let entry = this.signalMap[ev.fd];
    if (entry === undefined) entry = this.signalMap[ev.fd] = new SignalEntry();
    if (entry.events.length === 0) {
      if (!signalSource) throw new Error("signal delivery is not set up (import the signal module)");
      // The host listener reaches the loop through the wake fd.
      this.ensureWake();
      signalSource.add(this, ev.fd);
    }
    entry.events.push(ev);
  }

  private signalDel(ev: Event): void {
    const entry = this.signalMap[ev.fd];
    if (entry === undefined) return;
    const i = entry.events.indexOf(ev);
    if (i === -1) return;
    entry.events.splice(i, 1);
    if (entry.events.length === 0) {
      this.signalMap[ev.fd] = undefined;
      signalSource?.del(this, ev.fd);
    }
  }

  // ---- lists ------------------------------------------------------------------------------------

  private markAdded(ev: Event, bit: number): void {
    if (!(ev.state & (LIST_INSERTED | LIST_TIMEOUT)) && !(ev.state & LIST_INTERNAL)) this.addedUser++;
    ev.state |= bit;
  }

  private markRemoved(ev: Event, bit: number): void {
    ev.state &= ~bit;
    if (!(ev.state & (LIST_INSERTED | LIST_TIMEOUT)) && !(ev.state & LIST_INTERNAL)) this.addedUser--;
  }

  /** libevent's event_del_nolock_: out of the timer structures, the active queues and the evmap. */
  private delInternal(ev: Event): void {
    if (ev.state & LIST_TIMEOUT) this.removeTimeout(ev);
    if (ev.state & (LIST_ACTIVE | LIST_ACTIVE_LATER)) this.removeActive(ev);
    if (ev.state & LIST_INSERTED) {
      // Leave the lists consistent even if the backend reports a failure.
      this.markRemoved(ev, LIST_INSERTED);
      if (ev.events & EV.SIGNAL) this.signalDel(ev);
      else this.ioDel(ev);
    }
  }

  private insertTimeout(ev: Event): void {
    this.markAdded(ev, LIST_TIMEOUT);
    const common = ev.ext === null ? null : ev.ext.common;
    if (common) {
      if (common.insert(ev)) this.scheduleCommon(common);
    } else {
      this.timeHeap.push(ev);
    }
    if (this.waiting && ev.deadline < this.waitDeadline) this.poke();
  }

  private removeTimeout(ev: Event): void {
    const common = ev.ext === null ? null : ev.ext.common;
    if (common) {
      const wasHead = common.head === ev;
      common.remove(ev);
      ev.ext!.common = null;
      if (wasHead) this.scheduleCommon(common);
    } else {
      this.timeHeap.remove(ev);
    }
    this.markRemoved(ev, LIST_TIMEOUT);
  }

  /** Keeps a common timeout's internal timer at the deadline of its queue's head. */
  private scheduleCommon(common: CommonTimeout): void {
    const timer = common.timer;
    const head = common.head;
    if (head === null) {
      if (timer.state & LIST_TIMEOUT) {
        this.timeHeap.remove(timer);
        timer.state &= ~LIST_TIMEOUT;
      }
      return;
    }
    timer.deadline = head.deadline;
    if (timer.state & LIST_TIMEOUT) this.timeHeap.update(timer);
    else {
      timer.state |= LIST_TIMEOUT;
      this.timeHeap.push(timer);
    }
  }

  private expireCommon(common: CommonTimeout): void {
    const now = this.now();
    let ev: Event | null;
    while ((ev = common.head) !== null && ev.deadline <= now) {
      this.delInternal(ev);
      this.activate(ev, EV.TIMEOUT, 1);
    }
    this.scheduleCommon(common);
  }

  /** Moves due timers to the active queues (libevent's timeout_process). */
  private expireTimers(): void {
    const heap = this.timeHeap;
    let top = heap.top();
    if (top === undefined) return;
    const now = this.now();
    while (top !== undefined && top.deadline <= now) {
      if (top.state & LIST_INTERNAL) {
        // A common timeout's stand-in: take it out of the heap and let its callback expire the queue.
        heap.pop();
        top.state &= ~LIST_TIMEOUT;
        this.activate(top, EV.TIMEOUT, 1);
      } else if (top.state & LIST_ACTIVE) {
        // Already active through its fd in this iteration: add TIMEOUT to that activation
        // (libevent deletes it and reports TIMEOUT alone, losing an edge-triggered READ).
        this.removeTimeout(top);
        top.res |= EV.TIMEOUT;
      } else {
        this.delInternal(top);
        this.activate(top, EV.TIMEOUT, 1);
      }
      top = heap.top();
    }
  }

  private nextTimeout(): number | null {
    const top = this.timeHeap.top();
    if (top === undefined) return null;
    const wait = top.deadline - this.now();
    return wait > 0 ? wait : 0;
  }

  /** libevent's event_active_nolock_. */
  private activate(ev: Event, res: number, ncalls: number): void {
    const state = ev.state;
    if (state & LIST_FINALIZING) return;
    if (state & LIST_ACTIVE) {
      ev.res |= res;
      if (ev.events & EV.SIGNAL) ev.extras().ncalls += ncalls;
      return;
    }
    if (state & LIST_ACTIVE_LATER) {
      ev.res |= res;
      this.removeActive(ev);
    } else {
      ev.res = res;
    }
    if (ev.priorityValue < this.runningPriority) this.continueRequested = true;
    if (ev.events & EV.SIGNAL) ev.extras().ncalls += ncalls;
    this.insertActive(ev, this.activeQueues[ev.priorityValue]);
  }

  /** Queues an activation for the next loop iteration (libevent's event_active_later_). */
  activateLater(ev: Event, res: number): void {
    this.checkUsable(ev);
    if (ev.state & (LIST_ACTIVE | LIST_ACTIVE_LATER)) {
      ev.res |= res;
      return;
    }
    ev.res = res;
    ev.state |= LIST_ACTIVE_LATER;
    const q = this.activeLaterQueue;
    ev.prevActive = q.tail;
    ev.nextActive = null;
    if (q.tail) q.tail.nextActive = ev;
    else q.head = ev;
    q.tail = ev;
    if (!(ev.state & LIST_INTERNAL)) this.activeUser++;
    if (this.waiting) this.poke();
  }

  private moveLaterEventsActive(): void {
    const later = this.activeLaterQueue;
    let ev = later.head;
    if (ev === null) return;
    later.head = later.tail = null;
    while (ev !== null) {
      const next: Event | null = ev.nextActive;
      ev.state &= ~LIST_ACTIVE_LATER;
      if (!(ev.state & LIST_INTERNAL)) this.activeUser--;
      this.insertActive(ev, this.activeQueues[ev.priorityValue]);
      ev = next;
    }
  }

  private insertActive(ev: Event, q: ActiveQueue): void {
    ev.state |= LIST_ACTIVE;
    ev.nextActive = null;
    ev.prevActive = q.tail;
    if (q.tail) q.tail.nextActive = ev;
    else q.head = ev;
    q.tail = ev;
    this.activeTotal++;
    if (!(ev.state & LIST_INTERNAL)) this.activeUser++;
    // An activation from host code (a timer, a promise) while the loop waits off-thread.
    if (this.waiting) this.poke();
  }

  private removeActive(ev: Event): void {
    const q = ev.state & LIST_ACTIVE_LATER ? this.activeLaterQueue : this.activeQueues[ev.priorityValue];
    if (ev.prevActive) ev.prevActive.nextActive = ev.nextActive;
    else q.head = ev.nextActive;
    if (ev.nextActive) ev.nextActive.prevActive = ev.prevActive;
    else q.tail = ev.prevActive;
    ev.nextActive = ev.prevActive = null;
    if (ev.state & LIST_ACTIVE) this.activeTotal--;
    if (!(ev.state & LIST_INTERNAL)) this.activeUser--;
    ev.state &= ~(LIST_ACTIVE | LIST_ACTIVE_LATER);
  }

  // ---- running callbacks ------------------------------------------------------------------------

  /**
   * Runs the highest non-empty priority queue (libevent's event_process_active). Returns how many
   * user callbacks ran, or -1 when the loop must stop (break, or a callback threw).
   */
  private processActive(): number {
    const queues = this.activeQueues;
    for (let p = 0; p < queues.length; p++) {
      const q = queues[p];
      if (q.head === null) continue;
      this.runningPriority = p;
      const ran = this.processQueue(q);
      this.runningPriority = -1;
      if (ran < 0) return ran;
      // A queue with real work ran: lower priorities wait for the next iteration.
      if (ran > 0) return ran;
    }
    return 0;
  }

  private processQueue(q: ActiveQueue): number {
    let ran = 0;
    let ev: Event | null;
    while ((ev = q.head) !== null) {
      const state = ev.state;
      if (ev.events & EV.PERSIST && !(state & LIST_FINALIZING)) this.removeActive(ev);
      else this.delInternal(ev);
      if (!(state & LIST_INTERNAL)) ran++;
      const res = ev.res;
      ev.res = 0;
      try {
        let r: unknown;
        if (state & LIST_FINALIZING) {
          r = this.runFinalizer(ev);
        } else if (ev.events & EV.SIGNAL) {
          r = ev.callback(ev.fd, res, ev.arg);
          ev.ext!.ncalls = 0;
        } else {
          if (ev.ext !== null && ev.ext.persistMs >= 0 && ev.events & EV.PERSIST) this.rearmPersistent(ev, res);
          r = ev.callback(ev.fd, res, ev.arg);
        }
        if (r !== undefined && callbackResultIsThenable(r)) this.watchAsyncCallback(r);
      } catch (error) {
        this.callbackError = { error };
        return -1;
      }
      if (this.breakRequested) return -1;
      if (this.continueRequested) break;
    }
    return ran;
  }

  private runFinalizer(ev: Event): unknown {
    const finalizer = ev.ext!.finalizer!;
    ev.ext!.finalizer = null;
    if (ev.state & LIST_FREE_AFTER_FINALIZE) ev.state |= LIST_FREED;
    ev.state &= ~(LIST_FINALIZING | LIST_FREE_AFTER_FINALIZE);
    return finalizer(ev, ev.arg);
  }

  /**
   * Re-adds a persistent event's timeout before its callback (libevent's event_persist_closure):
   * after a timeout, from the previous deadline, so the period does not drift; after I/O, from
   * now. A deadline already in the past (a stall) restarts from now instead of bursting.
   */
  private rearmPersistent(ev: Event, res: number): void {
    const now = this.now();
    const x = ev.ext!;
    let runAt = (res & EV.TIMEOUT ? ev.deadline : now) + x.persistMs;
    if (runAt < now) runAt = now + x.persistMs;
    this.addNoCheck(ev, x.common ?? x.persistMs, runAt);
  }

  /** @internal A rejected promise from a callback surfaces like a thrown error. */
  private watchAsyncCallback(p: PromiseLike<unknown>): void {
    this.asyncPending++;
    p.then(() => {
      this.asyncPending--;
      if (this.waiting) this.poke();
    }, (error) => {
      this.asyncPending--;
      if (!this.callbackError) this.callbackError = { error };
      if (this.waiting) this.poke();
    });
  }

  /** Async callbacks started and not yet settled: they keep `await loop()` alive, not loopSync. */
  private asyncPending = 0;

  // ---- helpers --------------------------------------------------------------------------------

  private defaultPriority(): number {
    return this.activeQueues.length >> 1;
  }

  private checkOpen(): void {
    if (this.isClosed) throw new Error("this EventBase was closed");
  }

  private checkUsable(ev: Event): void {
    if (ev.state & LIST_FREED) throw new Error("this event is closed");
    if (ev.base !== this) throw new Error("the event belongs to another EventBase");
    if (this.isClosed) throw new Error("this event's EventBase was closed");
  }

  private *allEvents(includeInternal = false): Generator<Event> {
    const seen = new Set<Event>();
    const visit = function* (ev: Event | null | undefined) {
      if (!ev || seen.has(ev)) return;
      if (!includeInternal && ev.state & LIST_INTERNAL) return;
      seen.add(ev);
      yield ev;
    };
    for (const entry of this.ioMap) if (entry) for (const ev of entry.events) yield* visit(ev);
    for (const entry of this.signalMap) if (entry) for (const ev of entry.events) yield* visit(ev);
    for (const ev of this.timeHeap.toArray()) yield* visit(ev);
    for (const common of this.commonTimeouts) for (let ev = common.head; ev; ev = ev.ext!.nextTimer) yield* visit(ev);
    for (const q of [...this.activeQueues, this.activeLaterQueue]) for (let ev = q.head; ev; ev = ev.nextActive) yield* visit(ev);
  }
}

