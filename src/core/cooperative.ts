// The cooperative driver behind `await base.loop()`: the same phases as loopSync, but the JS
// thread never blocks. It polls the backend without waiting first, waits for the kernel
// off-thread only when nothing is ready, and yields to the host between iterations so promises,
// host timers and host I/O keep running. A run that needs neither a wait nor a yield ends during
// the call (loopCooperative); the others go on asynchronously (continueLoop).
import { type OffThreadWaiter, constants, createWaiter, layout, yieldToHost } from "../ffi/mod.ts";
import type { EventBase } from "./base.ts";
import { EVLOOP } from "./flags.ts";
import { pollMask } from "../backends/helpers.ts";
import { throwPendingError } from "./queues.ts";
import { ensureWake } from "./wake.ts";
import { LOOP_CONTINUE, beginLoop, checkLoopEnd, endLoop } from "./loop-state.ts";
import { type Watchers, afterWait, beforeWait, idlePhase } from "./watchers.ts";


/** What the off-thread wait of a base keeps between iterations. */
export class OffThreadWait {
  /** The helper that polls for the base (created on first wait, grown as needed). */
  waiter: OffThreadWaiter | null = null;
  /** How many pollfds the waiter watches. */
  count = 0;
  /** When the current wait ends by itself, on the base's clock; a timer added before it must poke. */
  deadline = Infinity;
  /** The wait the current iteration asked for (ms, null: no timer), between its two halves. */
  timeout: number | null = 0;
  /** The watchers prepare ran for in the current iteration, whose check runs after the wait. */
  watchers: Watchers | null = null;

  close(): void {
    this.waiter?.close();
    this.waiter = null;
    this.watchers = null;
  }
}

/** An iteration's outcome beyond 0 and 1 (the loop's results): yield to the host, then go on. */
const STEP_YIELD = LOOP_CONTINUE;
/** An iteration's outcome: nothing is ready, wait off-thread for `base.offThread.timeout`. */
const STEP_WAIT = 3;

/**
 * The body of `base.loop(flags)`. A plain function, not an `async` one: a run that ends without
 * having to wait or yield (NONBLOCK, ONCE with events already ready) runs to its end here and
 * returns an already settled promise, so the caller's `await` costs one microtask turn and no
 * async frame is made. A run that must wait or yield goes on in `continueLoop`. Either way a
 * callback's exception rejects the promise; it never throws synchronously.
 */
export function loopCooperative(base: EventBase, flags: number): Promise<number> {
  // ONCE|NONBLOCK neither waits nor yields: with no async callback pending (which only this loop
  // waits for) and no watchers, the run is loopSync's, step for step, so it takes loopSync's
  // shorter path; the caller's await is then all it adds (docs/benchmarks.md, "The cooperative loop").
  if ((flags & ONCE_NONBLOCK) === ONCE_NONBLOCK && base.asyncPending === 0 && base.watchers === null) {
    try {
      const result = base.loopSync(flags);
      return result === 0 ? SETTLED_ZERO : result === 1 ? SETTLED_ONE : SETTLED_MINUS_ONE;
    } catch (error) {
      return Promise.reject(error);
    }
  }
  let step: number;
  try {
    if (!beginLoop(base, flags)) return SETTLED_MINUS_ONE;
  } catch (error) {
    return Promise.reject(error);
  }
  try {
    ensureWake(base);
    step = iterateUntilWait(base, flags);
  } catch (error) {
    endLoop(base);
    return Promise.reject(error);
  }
  if (step === STEP_WAIT || step === STEP_YIELD) return continueLoop(base, flags, step);
  endLoop(base);
  try {
    throwPendingError(base);
  } catch (error) {
    return Promise.reject(error);
  }
  return step === 0 ? SETTLED_ZERO : SETTLED_ONE;
}

const ONCE_NONBLOCK = EVLOOP.ONCE | EVLOOP.NONBLOCK;

// A settled promise can be handed out any number of times: the three results need no new one.
const SETTLED_MINUS_ONE = Promise.resolve(-1);
const SETTLED_ZERO = Promise.resolve(0);
const SETTLED_ONE = Promise.resolve(1);

/** The rest of a loop run that had to wait or yield: waits and yields, running iterations between. */
async function continueLoop(base: EventBase, flags: number, step: number): Promise<number> {
  // The host's last macrotask turn, counted from here rather than from the call, so a run that
  // ends synchronously reads no clock. The clock through the FFI, not performance.now(): about
  // 50 ns against 500 ns on Deno.
  let lastYield = base.time.read();
  try {
    for (;;) {
      if (step === STEP_WAIT) {
        await waitOffThread(base, base.offThread.timeout);
        lastYield = base.time.read();
        if (base.callbackError) {
          step = 0;
          break;
        }
        base.ioPhase(0);
        step = iterateAfterWait(base, flags);
      } else if (step === STEP_YIELD) {
        // Microtasks run at every await; a macrotask turn (host timers, I/O) at least every ms.
        if (base.time.read() - lastYield >= 1) {
          await yieldToHost();
          lastYield = base.time.read();
        } else {
          await null;
        }
        step = iterateUntilWait(base, flags);
      } else {
        break;
      }
    }
  } finally {
    endLoop(base);
  }
  throwPendingError(base);
  return step;
}

/**
 * Runs one iteration up to the wait: its result (0 or 1) when the loop ends, STEP_WAIT when
 * nothing is ready and the loop must wait off-thread, else the rest of the iteration's outcome.
 */
function iterateUntilWait(base: EventBase, flags: number): number {
  const end = checkLoopEnd(base, flags, true);
  if (end !== LOOP_CONTINUE) return end;
  // With watchers (watchers.ts) prepare runs first and decides the wait (-1: the loop ends).
  const watchers = base.watchers;
  base.offThread.watchers = watchers;
  const planned = watchers === null ? null : beforeWait(base, watchers, flags);
  if (planned === -1) return 0;
  // Poll without blocking first: a busy base never pays for the off-thread round trip.
  base.ioPhase(0);
  if (base.activeTotal === 0) {
    const timeout = watchers === null ? base.waitTimeout(flags) : planned;
    if (timeout !== 0) {
      base.offThread.timeout = timeout;
      return STEP_WAIT;
    }
  }
  return iterateAfterWait(base, flags);
}

/** The rest of an iteration (check, idle, callbacks): 0 when the loop ends, else STEP_YIELD. */
function iterateAfterWait(base: EventBase, flags: number): number {
  // Check runs after the wait (here after the timers expired, which the poll before did too),
  // for the watchers that were there when the iteration began (prepare ran for those).
  const watchers = base.offThread.watchers;
  base.offThread.watchers = null;
  if (watchers !== null && !(afterWait(base, watchers) && idlePhase(base, watchers, flags))) return 0;
  if (!base.callbackPhase(flags)) return 0;
  // Host code runs at the awaits between iterations: it must not see this iteration's cached time.
  base.invalidateTimeCache();
  return STEP_YIELD;
}

/** Waits off-thread until the backend has something, `timeout` ms pass, or wake() is called. */
async function waitOffThread(base: EventBase, timeout: number | null): Promise<void> {
  const waiter = prepareWaiter(base);
  const ms = timeout === null ? -1 : Math.min(Math.ceil(timeout), 0x7fffffff);
  // Host code runs during the wait (timers, promises) and may add timers: they must count from
  // the real clock, not from the time cached before the wait began.
  base.invalidateTimeCache();
  base.offThread.deadline = timeout === null ? Infinity : base.now() + timeout;
  base.waiting = true;
  try {
    await waiter.wait(base.offThread.count, ms);
  } finally {
    base.waiting = false;
    base.offThread.deadline = Infinity;
  }
}

/**
 * Fills the waiter's pollfd array: the backend's own pollable fd (epoll, kqueue) or, for poll
 * and select, every fd of the evmap; plus the wake fd, which interrupts the wait.
 */
function prepareWaiter(base: EventBase): OffThreadWaiter {
  const state = base.backendState;
  state.flushChanges?.();
  const wanted: number[] = [];
  const masks: number[] = [];
  if (state.pollableFd >= 0) {
    wanted.push(state.pollableFd);
    masks.push(constants.POLLIN);
  } else {
    for (const entry of base.ioMap) {
      if (!entry || entry.events.length === 0) continue;
      wanted.push(entry.fd);
      masks.push(pollMask(entry.enabled()));
    }
  }
  if (base.wakeup.readFd >= 0) {
    wanted.push(base.wakeup.readFd);
    masks.push(constants.POLLIN);
  }
  if (!base.offThread.waiter || base.offThread.waiter.capacity < wanted.length) {
    base.offThread.waiter?.close();
    base.offThread.waiter = createWaiter(Math.max(16, 2 * wanted.length));
  }
  const view = new DataView(base.offThread.waiter.pollfds.buffer, base.offThread.waiter.pollfds.byteOffset);
  const P = layout.pollfd;
  for (let i = 0; i < wanted.length; i++) {
    view.setInt32(i * P.size + P.fd, wanted[i], true);
    view.setInt16(i * P.size + P.events, masks[i], true);
    view.setInt16(i * P.size + P.revents, 0, true);
  }
  base.offThread.count = wanted.length;
  return base.offThread.waiter;
}
