// EventBase: libevent's event_base. The base owns its options, the backend, and the loop; the
// structures the loop works on live in one module each (libevent's evmap.c, libuv's file per
// loop phase), as functions over the base so the hot path pays nothing for the split. The fields
// marked @internal belong to those modules; nothing else touches them.
//   evmap.ts        events per fd and per signal; activateIo, the backends' entry
//   queues.ts       the active queues, their counters, running callbacks, checkIntegrity()
//   timers.ts       the timer heap, common timeouts, expiry, persistent re-arm
//   wake.ts         the wake fd and the cross-thread handle
//   cooperative.ts  the `await loop()` driver; loop-state.ts: a loop run's start, top and end
//   event-ops.ts    what Event's methods do (add, del, active, ...); addNoCheck and delInternal
//   signal.ts       the host's signal listeners; options.ts, inspect.ts: options, dump()
// docs/architecture.md follows one readable socket through them.
import { getEnv, printAs } from "../ffi/mod.ts";
import type { Backend, BackendConfig, BackendHost, BackendState } from "../backends/backend.ts";
import { startBackend } from "../backends/registry.ts";
import { TimeCache } from "./clock.ts";
import type { CommonTimeout } from "./common-timeout.ts";
import { OffThreadWait, loopCooperative } from "./cooperative.ts";
import { LOOP_CONTINUE, beginLoop, checkLoopEnd, endLoop } from "./loop-state.ts";
import { checkEventArgs, checkUsable, delInternal, runOnce } from "./event-ops.ts";
import { Event, type EventCallback } from "./event.ts";
import {
  type FdEntry, type SignalEntry, activateIo, activateSignal, noteSocketError, reAddAll, takeSocketError,
} from "./evmap.ts";
import { Count, EV, EVLOOP, LIST_FREED } from "./flags.ts";
import { allEvents, describeBase, dumpBase } from "./inspect.ts";
import { type DispatchLimits, type EventBaseOptions, backendConfig, dispatchLimits } from "./options.ts";
import { type SignalSource, hostSignals, signalNumber } from "./signal.ts";
import { TimerHeap } from "./minheap.ts";
import { type Watchers, watchedIoPhase } from "./watchers.ts";
import {
  ActiveQueue, activateLater, checkIntegrity, isPlainPersistent, makeQueues, moveLaterEventsActive, processActive, shiftPersistent,
  throwPendingError, watchResult,
} from "./queues.ts";
import { type TimeoutArg, checkTimeout, commonTimeoutFor, expireTimers, nextTimeout } from "./timers.ts";
import {
  type CrossThreadHandle, WakeState, closeWake, crossThreadHandle, ensureWake, noteSignal, poke, wakeBase,
} from "./wake.ts";

export type { TimeoutArg } from "./timers.ts";
export type { EventBaseOptions } from "./options.ts";

/**
 * An event loop: libevent's `event_base`. It owns one backend (epoll, kqueue, poll or select,
 * chosen at construction), the events registered on it, a timer min-heap, up to 256 priority
 * queues of active events, and a monotonic clock cached once per loop iteration.
 *
 * Costs: a base holds the backend's fd (epoll/kqueue) and, once something needs to wake it from
 * outside (signals, `await base.loop()`, other threads), a wake fd (an eventfd on Linux, a pipe
 * elsewhere). Adding or deleting an fd event costs at most one backend syscall (none with the
 * epoll changelist until the next wait, and none when the fd already has another event for the same
 * direction); timers cost no syscall at all (a heap insert, O(log n); O(1) with a
 * {@link CommonTimeout}). One loop iteration is one wait syscall plus one clock read. A base is
 * single-threaded: only the thread that made it may touch it (other threads use the threads layer).
 *
 * @example
 * ```ts
 * import { EV, EventBase, sys } from "evffi";
 *
 * const base = new EventBase();
 * const [a, b] = sys.socketpair();
 * base.event(b, EV.READ | EV.PERSIST, (fd, _what, ev) => {
 *   console.log(new TextDecoder().decode(sys.read(fd, 64)!)); // prints: ping
 *   ev.close(); // nothing left: the loop returns
 * }).add();
 * base.timer(5, () => sys.write(a, "ping"));
 * console.log(base.loopSync()); // prints: 1
 * base.close();
 * sys.close(a);
 * sys.close(b);
 * ```
 */
export class EventBase {
  /** The backend in use ("epoll", "poll", ...). */
  readonly method: string;
  /** Feature bits of the backend in use. */
  readonly features: number;
  /** @internal */ readonly config: BackendConfig;
  /** @internal How many callbacks, and how long, an iteration runs before checking again (queues.ts). */
  readonly dispatchLimits: DispatchLimits;
  private readonly backend: Backend;
  /** @internal */ backendState: BackendState;

  // evmap.ts
  /** @internal */ readonly ioMap: (FdEntry | undefined)[] = [];
  /** @internal An fd's event when it has exactly one, else null or absent (evmap.ts). */
  readonly ioOnly: (Event | null | undefined)[] = [];
  /** @internal */ readonly signalMap: (SignalEntry | undefined)[] = [];
  /** @internal Where signal interest goes (the host's signal API unless a worker set another). */
  signalSource: SignalSource = hostSignals;
  // queues.ts (which says what each counter counts)
  /** @internal */ activeQueues: ActiveQueue[];
  /** @internal */ readonly activeLaterQueue: ActiveQueue = new ActiveQueue();
  /** @internal */ activeTotal = 0;
  /** @internal */ activeUser = 0;
  /** @internal */ addedUser = 0;
  /** @internal Async callbacks not yet settled: they keep `await loop()` alive, not loopSync. */
  asyncPending = 0;
  // timers.ts
  /** @internal */ readonly timeHeap: TimerHeap<Event> = new TimerHeap<Event>();
  /** @internal */ readonly commonTimeouts: CommonTimeout[] = [];
  /** @internal wake.ts */ readonly wakeup: WakeState = new WakeState();
  /** @internal Work other modules (cross-thread queues) do each time the base is woken. */
  readonly wakeHooks: (() => void)[] = [];
  /** @internal cooperative.ts */ readonly offThread: OffThreadWait = new OffThreadWait();
  /** @internal The loop waits off-thread: changes to the base must interrupt it. */
  waiting = false;
  /** @internal watchers.ts: null while no watcher or periodic timer exists (the loop tests only this). */
  watchers: Watchers | null = null;

  /** @internal once()'s events not yet run: close() frees them. */
  readonly onceEvents: Set<Event> = new Set<Event>();
  /** @internal */ virtualCount = 0;

  // Loop state (loop-state.ts).
  /** @internal (loop-state.ts) */ running = false;
  /** @internal */ terminate = false;
  /** @internal */ breakRequested = false;
  /** @internal */ breakPending = false;
  /** @internal */ continueRequested = false;
  /** @internal The priority whose queue runs now, -1 outside callbacks. */
  runningPriority = -1;
  /** @internal */ exitReason: "exit" | "break" | null = null;
  /** @internal A callback's failure, rethrown by the loop call. */
  callbackError: { error: unknown } | null = null;
  private isClosed = false;
  /** @internal The loop closes the base when it returns (compat's event_base_free from a callback). */
  closeOnReturn = false;
  /** @internal */ readonly time: TimeCache;

  /**
   * Picks the first backend, in libevent's order of preference, that the options, the
   * environment and the platform allow, and that starts.
   *
   * @example
   * ```ts
   * const base = new EventBase({ avoid: ["select"], priorities: 3 });
   * console.log(base.method); // "epoll" on Linux
   * base.close();
   * ```
   */
  constructor(options: EventBaseOptions = {}) {
    if (typeof options !== "object" || options === null) throw new TypeError(`EventBase options must be an object, got ${String(options)}`);
    this.config = backendConfig(options);
    this.dispatchLimits = dispatchLimits(options);
    this.time = new TimeCache(this.config.preciseTimer, !options.noCacheTime);
    this.activeQueues = makeQueues(options.priorities ?? 1);

    const chosen = startBackend({ ...options, epollChangelist: this.config.epollChangelist }, this);
    this.backend = chosen.backend;
    this.backendState = chosen.state;
    this.method = chosen.backend.name;
    this.features = chosen.backend.features;
    if (!options.ignoreEnv && getEnv("EVENT_SHOW_METHOD") !== undefined) console.error(`[evffi] using ${this.method}`);
  }

  /** Number of priority queues. */
  get priorities(): number {
    return this.activeQueues.length;
  }

  /** Sets the number of priority queues (libevent's event_base_priority_init); not while events are active. */
  priorityInit(n: number): void {
    this.checkOpen();
    if (this.activeTotal > 0 || this.running) throw new Error("cannot change the number of priorities while events are active or the loop runs");
    this.activeQueues = makeQueues(n);
  }

  /**
   * Creates an event (not yet added). `fd` is a file descriptor, a signal number with EV.SIGNAL,
   * or -1 for a pure timer; `events` combines EV.READ, WRITE, CLOSED, SIGNAL, TIMEOUT, PERSIST, ET,
   * FINALIZE. The callback receives (fd, what, arg), arg defaulting to the event itself.
   */
  event<A = Event>(fd: number, events: number, callback: EventCallback<A>, arg?: A): Event<A> {
    this.checkOpen();
    checkEventArgs(fd, events, callback);
    // New events get the middle priority, as in libevent.
    const ev = new Event<A>(this, fd, events, callback, undefined as A, this.activeQueues.length >> 1);
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
    return signalNumber(signal);
  }

  /**
   * Runs `callback(fd, what)` once: when fd is ready for `events`, or after `timeout` ms
   * (libevent's event_base_once). With no fd and a zero or absent timeout it runs at the next
   * loop iteration without touching the timer heap.
   */
  once(fd: number, events: number, callback: (fd: number, what: number) => unknown, timeout?: TimeoutArg): void {
    runOnce(this, fd, events, callback, timeout);
  }

  /**
   * A common timeout of `ms` (libevent's event_base_init_common_timeout): adding many events
   * with it costs O(1) each. The same duration returns the same CommonTimeout; up to 256 per base.
   */
  commonTimeout(ms: number): CommonTimeout {
    this.checkOpen();
    checkTimeout(ms);
    return commonTimeoutFor(this, ms);
  }

  /** Current time in ms on the base's monotonic clock (cached per loop iteration). */
  now(): number {
    return this.time.now();
  }

  /** Wall-clock time in ms since the epoch, derived from the cached monotonic time when cached. */
  gettimeofdayCached(): number {
    return this.time.wallNow();
  }

  /**
   * @internal Drops the time cache: host code that runs while `await loop()` waits or yields must
   * see the real clock, or a timer it adds would count from a stale time and fire early.
   */
  invalidateTimeCache(): void {
    this.time.invalidate();
  }

  /** Refreshes the time cache (libevent's event_base_update_cache_time); only meaningful in the loop. */
  updateCacheTime(): void {
    if (this.running) this.time.refresh();
  }

  /**
   * Runs the loop on this thread, blocking in the kernel while nothing is ready (nothing else on
   * the thread runs meanwhile: use it in Workers and reactor-only scripts). Flags: EVLOOP.ONCE,
   * NONBLOCK, NO_EXIT_ON_EMPTY. Returns 0 (exited or broken, or ONCE/NONBLOCK done), 1 when no
   * events are left, -1 when called from inside a callback of this base. A callback's exception
   * stops the loop and is rethrown here; the base stays usable.
   */
  loopSync(flags = 0): number {
    if (!beginLoop(this, flags)) return -1;
    let result: number = LOOP_CONTINUE;
    // The iteration is written out here (the steps of checkLoopEnd, ioPhase and callbackPhase, in
    // their order) rather than called phase by phase as `await loop()` does: a busy loop, or a
    // program that calls loopSync(ONCE | NONBLOCK) in a loop as libevent's bench.c does, pays for
    // each call once per iteration, and Bun's JIT inlines none of the larger ones
    // (docs/benchmarks.md, "What the reactor adds per iteration").
    // The flags it tests are numbers here, not EVLOOP's names: see the note in flags.ts.
    // catch-and-rethrow rather than finally: Bun's JIT runs a loop inside try/finally 3-4% slower
    // per bench.c event (docs/benchmarks.md, "What the reactor adds per event"); on Deno the two
    // measure the same.
    try {
      for (;;) {
        this.continueRequested = false;
        if (this.terminate || this.breakRequested || this.callbackError !== null) {
          result = 0;
          break;
        }
        if (this.addedUser === 0 && this.activeTotal === 0) {
          result = checkLoopEnd(this, flags, false);
          if (result !== LOOP_CONTINUE) break;
        } else if (this.activeLaterQueue.head !== null) {
          moveLaterEventsActive(this);
        }
        const watchers = this.watchers;
        if (watchers === null) {
          this.time.invalidate();
          this.backendState.wait(this.activeTotal > 0 || flags & 0x02 /* EVLOOP.NONBLOCK */ ? 0 : nextTimeout(this));
          this.time.refresh();
          if (this.timeHeap.size !== 0) expireTimers(this);
        } else if (!watchedIoPhase(this, watchers, flags)) {
          result = 0;
          break;
        }
        if (this.activeTotal === 0) {
          if (flags & 0x02 /* EVLOOP.NONBLOCK */) {
            result = 0;
            break;
          }
          continue;
        }
        let ran = 0;
        const queues = this.activeQueues;
        const limits = this.dispatchLimits;
        if (queues.length === 1 && limits.maxCallbacks === Infinity && limits.maxDispatchMs === Infinity) {
          // processActive's work for one priority and no limits, with its common case (persistent
          // user events on fds, no timeout) run right here; processActive goes on from the first
          // other event.
          const q = queues[0];
          let ev: Event | null;
          this.runningPriority = 0;
          try {
            while ((ev = q.head) !== null) {
              const state = ev.state;
              if (!isPlainPersistent(ev, state)) {
                this.runningPriority = -1;
                const rest = processActive(this);
                ran = rest < 0 ? rest : ran + rest;
                break;
              }
              shiftPersistent(this, q, ev, state);
              ran++;
              const r = ev.callback(ev.fd, (state >>> 10 /* RES_SHIFT */) & 0xff, ev.arg);
              if (r !== undefined) watchResult(this, r);
              if (this.breakRequested) {
                ran = -1;
                break;
              }
              if (this.continueRequested) break;
            }
          } catch (error) {
            this.callbackError = { error };
          }
          this.runningPriority = -1;
        } else {
          ran = processActive(this);
        }
        if (this.callbackError !== null || (flags & 0x01 /* EVLOOP.ONCE */ && this.activeTotal === 0 && ran !== 0)) {
          result = 0;
          break;
        }
      }
    } catch (error) {
      endLoop(this);
      throw error;
    }
    endLoop(this);
    if (this.callbackError !== null) throwPendingError(this);
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
  loop(flags = 0): Promise<number> {
    return loopCooperative(this, flags);
  }

  /** @internal How long the backend may wait: 0 when something is active or for NONBLOCK, else until the next timer. */
  waitTimeout(flags: number): number | null {
    return this.activeTotal > 0 || flags & EVLOOP.NONBLOCK ? 0 : nextTimeout(this);
  }

  /** @internal Asks the backend for ready fds (waiting up to `timeout`), then renews the time cache (read on first use) and expires timers. */
  ioPhase(timeout: number | null): void {
    this.time.invalidate();
    this.backendState.wait(timeout);
    this.time.refresh();
    expireTimers(this);
  }

  /** @internal Runs the active callbacks. Returns false when the loop must end. */
  callbackPhase(flags: number): boolean {
    if (this.activeTotal > 0) {
      const ran = processActive(this);
      if (this.callbackError) return false;
      if (flags & EVLOOP.ONCE && this.activeTotal === 0 && ran !== 0) return false;
    } else if (flags & EVLOOP.NONBLOCK) {
      return false;
    }
    return true;
  }

  /**
   * Interrupts the base's wait (from this thread; other threads use the cross-thread handle).
   * Coalesced: while a wake is pending, further calls write nothing.
   *
   * @example
   * ```ts
   * const base = new EventBase();
   * const loop = base.loop(EVLOOP.NO_EXIT_ON_EMPTY);
   * setTimeout(() => { base.loopBreak(); base.wake(); }, 10);
   * await loop;
   * base.close();
   * ```
   */
  wake(): void {
    this.checkOpen();
    wakeBase(this);
  }

  /**
   * @internal What another thread needs to wake this base and hand it signals: the wake fd, the
   * shared coalescing flag, and the shared per-signal counters. Other threads only write these.
   */
  crossThreadHandle(): CrossThreadHandle {
    this.checkOpen();
    return crossThreadHandle(this);
  }

  /** @internal Counts a signal for delivery at the next drain (called by the signal module). */
  noteSignal(signal: number): void {
    if (!this.isClosed) noteSignal(this, signal);
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
      poke(this);
    } else {
      this.breakPending = true;
    }
  }

  /** Makes the loop poll for new events right after the current callback (libevent's loopcontinue). */
  loopContinue(): void {
    this.checkOpen();
    if (this.running) {
      this.continueRequested = true;
      poke(this);
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
  /** Undoes one addVirtual(); with none left, a loop with no events returns. */
  removeVirtual(): void {
    if (this.virtualCount > 0) this.virtualCount--;
    // The last virtual event gone may let a waiting `await loop()` end.
    poke(this);
  }

  /** Calls fn for every added or active event (not internal ones). */
  forEachEvent(fn: (ev: Event) => void): void {
    for (const ev of allEvents(this)) fn(ev);
  }

  /** A readable listing of the base's added and active events, for debugging. */
  dump(): string {
    return dumpBase(this);
  }

  /**
   * Throws an Error naming the first inconsistency among the base's structures (the active
   * queues' counters, the timer heap, the common timeouts, each fd's per-bit counts); for tests.
   *
   * @example
   * ```ts
   * const base = new EventBase();
   * base.timer(0, () => {});
   * base.loopSync(EVLOOP.NONBLOCK);
   * base.checkIntegrity(); // throws if a counter drifted from what the queues hold
   * base.close();
   * ```
   */
  checkIntegrity(): void {
    checkIntegrity(this);
  }

  /**
   * Rebuilds the backend's kernel state and re-adds every fd (libevent's event_reinit): needed in
   * a child after fork, and a way to recover a backend. The wake fd is replaced too, since a
   * forked child would share it with its parent.
   */
  reinit(): void {
    this.checkOpen();
    if (this.running) throw new Error("cannot reinit an EventBase while its loop is running");
    closeWake(this, true);
    this.backendState.dealloc();
    const state = this.backend.init(this satisfies BackendHost);
    if (!state) throw new Error(`${this.method} could not start again`);
    this.backendState = state;
    reAddAll(this);
    if (this.signalMap.some((e) => e !== undefined)) ensureWake(this);
  }

  /**
   * @internal Closes the base now, or, while its loop runs (from a callback, or from host code
   * during `await loop()`), ends the loop after the current callback and closes the base as the
   * loop returns: libevent's event_base_free, which compat maps here.
   */
  closeWhenLoopReturns(): void {
    if (this.isClosed) return;
    if (!this.running) {
      this.close();
      return;
    }
    this.closeOnReturn = true;
    this.breakRequested = true;
    poke(this);
  }

  /** Same as close(), for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Deletes every event and releases the backend. Using the base or its events afterwards throws.
   * While its loop runs (inside a callback, or during `await loop()`) it throws instead: end the
   * loop first (loopBreak), or use compat's event_base_free, which closes when the loop returns.
   *
   * @example
   * ```ts
   * const base = new EventBase();
   * base.timer(10, () => base.loopBreak());
   * base.loopSync();
   * base.close();
   * ```
   */
  close(): void {
    if (this.isClosed) return;
    if (this.running) throw new Error("cannot close an EventBase while its loop is running");
    for (const ev of [...allEvents(this, true)]) delInternal(this, ev);
    for (const ev of this.onceEvents) ev.state |= LIST_FREED;
    this.watchers = null;
    this.onceEvents.clear();
    this.backendState.dealloc();
    this.offThread.close();
    closeWake(this, false);
    this.isClosed = true;
  }

  /** Whether close() was called. */
  get closed(): boolean {
    return this.isClosed;
  }

  // ---- BackendHost ------------------------------------------------------------------------------

  /** @internal Called by the backend for each ready fd. */
  activateIo(fd: number, bits: number): void {
    activateIo(this, fd, bits);
  }

  /** @internal Called by a backend that consumed a socket's pending error while reporting it. */
  noteSocketError(fd: number, errno: number): void {
    noteSocketError(this, fd, errno);
  }

  /**
   * Returns and clears the socket error a backend took from the kernel for `fd` while reporting
   * it ready, or 0. Only the kqueue emulation on Linux (libkqueue) does that: it reads SO_ERROR,
   * which clears it, so a later read sees a plain EOF and getsockopt(SO_ERROR) sees 0. Code that
   * tells EOF from ECONNRESET, or checks a connect, asks here when the kernel says nothing.
   */
  takeSocketError(fd: number): number {
    return takeSocketError(this, fd);
  }

  /** @internal Called when a signal arrived `count` times. */
  activateSignal(signal: number, count: number): void {
    activateSignal(this, signal, count);
  }

  /** @internal Queues an activation for the next loop iteration (libevent's event_active_later_). */
  activateLater(ev: Event, res: number): void {
    checkUsable(ev);
    if (ev.base !== this) throw new Error("the event belongs to another EventBase");
    activateLater(this, ev, res);
  }

  // ---- helpers --------------------------------------------------------------------------------

  /** @internal */ checkOpen(): void {
    if (this.isClosed) throw new Error("this EventBase was closed");
  }
}

printAs(EventBase, describeBase);
