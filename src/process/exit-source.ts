// What ProcessWatcher needs of a mechanism that learns of a process's end: a pidfd (pidfd-exit.ts)
// or a kqueue EVFILT_PROC registration (kqueue-exit.ts).
import type { ProcessExit } from "./exit-status.ts";

/** @internal A watch on one process's end, reported once through the callback it was made with. */
export interface ExitSource {
  /** Sends signal number `sig` to the process. */
  kill(sig: number): void;
  /** Stops watching and releases the fds; idempotent. */
  close(): void;
}

/** @internal Called once, from the loop, after the source has closed itself. */
export type ExitCallback = (exit: ProcessExit) => void;
