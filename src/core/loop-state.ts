// The state a loop run keeps on its base, shared by the two drivers (loopSync in base.ts and the
// cooperative `await loop()` in cooperative.ts): starting a run, deciding at the top of each
// iteration whether it goes on, and recording why it ended. Functions over the base, as the
// other core modules are, so the loop's hot path makes no extra object hop.
import type { EventBase } from "./base.ts";
import { EVLOOP } from "./flags.ts";
import { moveLaterEventsActive, throwPendingError } from "./queues.ts";
import { watchersKeepAlive } from "./watchers.ts";

/** A loop driver's result while the loop goes on. */
export const LOOP_CONTINUE = 2;

const LOOP_FLAGS = EVLOOP.ONCE | EVLOOP.NONBLOCK | EVLOOP.NO_EXIT_ON_EMPTY;

/** Validates the flags and resets the loop state; false when a loop of this base already runs. */
export function beginLoop(base: EventBase, flags: number): boolean {
  if (typeof flags !== "number" || (flags & ~LOOP_FLAGS) !== 0) badFlags(flags);
  base.checkOpen();
  if (base.running) return false;
  if (base.callbackError !== null) throwPendingError(base);
  base.running = true;
  base.terminate = false;
  base.breakRequested = base.breakPending;
  base.breakPending = false;
  base.exitReason = null;
  base.time.invalidate();
  return true;
}

function badFlags(flags: unknown): never {
  throw new RangeError(`unknown loop flags ${String(flags)}`);
}

/** Records why the loop ended, and closes the base if compat's event_base_free asked for it. */
export function endLoop(base: EventBase): void {
  base.running = false;
  base.time.invalidate();
  if (base.breakRequested) base.exitReason = "break";
  else if (base.terminate) base.exitReason = "exit";
  if (base.closeOnReturn) {
    base.closeOnReturn = false;
    base.close();
  }
}

/** Top of an iteration: 0 (exit or break), 1 (nothing left to wait for) or LOOP_CONTINUE. */
export function checkLoopEnd(base: EventBase, flags: number, cooperative: boolean): number {
  base.continueRequested = false;
  if (base.terminate || base.breakRequested || base.callbackError !== null) return 0;
  if (base.addedUser === 0 && base.activeTotal === 0 && nothingToWaitFor(base, flags, cooperative)) return 1;
  if (base.activeLaterQueue.head !== null) moveLaterEventsActive(base);
  return LOOP_CONTINUE;
}

/** With no added and no active events: whether anything else keeps the loop going. */
function nothingToWaitFor(base: EventBase, flags: number, cooperative: boolean): boolean {
  return base.virtualCount === 0 && base.activeLaterQueue.head === null && !(cooperative && base.asyncPending > 0) &&
    !(flags & EVLOOP.NO_EXIT_ON_EMPTY) && !watchersKeepAlive(base);
}
