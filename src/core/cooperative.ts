// The cooperative driver behind `await base.loop()`: the same phases as loopSync, but the JS
// thread never blocks. It polls the backend without waiting first, waits for the kernel
// off-thread only when nothing is ready, and yields to the host between iterations so promises,
// host timers and host I/O keep running.
import { type OffThreadWaiter, constants, createWaiter, layout, yieldToHost } from "../ffi/mod.ts";
import type { EventBase } from "./base.ts";
import { pollMask } from "../backends/helpers.ts";
import { throwPendingError } from "./queues.ts";
import { ensureWake } from "./wake.ts";
import { LOOP_CONTINUE, beginLoop, checkLoopEnd, endLoop } from "./loop-state.ts";
import { afterWait, beforeWait, idlePhase } from "./watchers.ts";


/** What the off-thread wait of a base keeps between iterations. */
export class OffThreadWait {
  /** The helper that polls for the base (created on first wait, grown as needed). */
  waiter: OffThreadWaiter | null = null;
  /** How many pollfds the waiter watches. */
  count = 0;
  /** When the current wait ends by itself, on the base's clock; a timer added before it must poke. */
  deadline = Infinity;

  close(): void {
    this.waiter?.close();
    this.waiter = null;
  }
}

/** The body of `base.loop(flags)`. */
export async function loopCooperative(base: EventBase, flags: number): Promise<number> {
  if (!beginLoop(base, flags)) return -1;
  ensureWake(base);
  let result: number = LOOP_CONTINUE;
  let lastYield = performance.now();
  try {
    while ((result = checkLoopEnd(base, flags, true)) === LOOP_CONTINUE) {
      // With watchers (watchers.ts) prepare runs first and decides the wait (-1: the loop ends).
      const watchers = base.watchers;
      const planned = watchers === null ? null : beforeWait(base, watchers, flags);
      if (planned === -1) {
        result = 0;
        break;
      }
      // Poll without blocking first: a busy base never pays for the off-thread round trip.
      base.ioPhase(0);
      if (base.activeTotal === 0) {
        const timeout = watchers === null ? base.waitTimeout(flags) : planned;
        if (timeout !== 0) {
          await waitOffThread(base, timeout);
          lastYield = performance.now();
          if (base.callbackError) break;
          base.ioPhase(0);
        }
      }
      // Check runs after the wait (here after the timers expired, which the poll above did too).
      if (watchers !== null && !(afterWait(base, watchers) && idlePhase(base, watchers, flags))) {
        result = 0;
        break;
      }
      if (!base.callbackPhase(flags)) {
        result = 0;
        break;
      }
      // Microtasks run at every await; a macrotask turn (host timers, I/O) at least every ms.
      // Host code runs at these awaits: it must not see this iteration's cached time.
      base.invalidateTimeCache();
      if (performance.now() - lastYield >= 1) {
        await yieldToHost();
        lastYield = performance.now();
      } else {
        await null;
      }
    }
  } finally {
    endLoop(base);
  }
  throwPendingError(base);
  return result === LOOP_CONTINUE ? 0 : result;
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
      if (!entry) continue;
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
