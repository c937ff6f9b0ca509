// A process's end as an event on the reactor, from whichever mechanism the host has: a pidfd on
// Linux (pidfd-exit.ts), else kqueue's EVFILT_PROC (kqueue-exit.ts: macOS, FreeBSD, and Linux
// through libkqueue). No SIGCHLD handler is involved. By default a child's status is only looked
// at (WNOWAIT): a child the runtime started (node:child_process, Bun.spawn, Deno.Command) is still
// reaped by the runtime, which would otherwise fail with ECHILD. Children of spawnProcess are
// reaped here.
import type { EventBase } from "../core/base.ts";
import { constants as C, hasSymbol, NotAvailableError, signals } from "../ffi/mod.ts";
import type { ProcessExit } from "./exit-status.ts";
import type { ExitSource } from "./exit-source.ts";
import { KqueueExit, processKqueue } from "./kqueue-exit.ts";
import { PidfdExit } from "./pidfd-exit.ts";

export type { ProcessExit } from "./exit-status.ts";

/** How ProcessWatcher learns of a process's end on this host. */
export type ProcessWatchMechanism = "pidfd" | "kqueue";

/**
 * The mechanism ProcessWatcher uses here: "pidfd" where `pidfd_open` exists (Linux 5.3 with glibc
 * 2.36; not under `EVFFI_PORTABLE=1`), else "kqueue" where kqueue does (macOS, FreeBSD, or Linux
 * with libkqueue), else null (ProcessWatcher then throws NotAvailableError).
 *
 * @example
 * ```ts
 * import { processWatchMechanism } from "evffi";
 *
 * console.log(processWatchMechanism()); // "pidfd" on Linux, "kqueue" on macOS
 * ```
 */
export function processWatchMechanism(): ProcessWatchMechanism | null {
  if (hasSymbol("pidfd_open") && C.P_PIDFD !== 0) return "pidfd";
  if (processKqueue()) return "kqueue";
  return null;
}

/**
 * Watches a process for its end and calls `onExit` once, from the loop; the watch ends then (or
 * at close()). Throws SyscallError ESRCH when no such process exists, NotAvailableError where
 * the host has neither pidfds nor kqueue (or, under libkqueue, for a process that is not a child).
 *
 * @example
 * ```ts
 * import { EventBase, ProcessWatcher } from "evffi";
 * import { spawn } from "node:child_process";
 *
 * const base = new EventBase();
 * const child = spawn("sleep", ["0.1"]);
 * new ProcessWatcher(base, child.pid!, (exit) => console.log(`pid ${exit.pid} ended`));
 * base.loopSync();
 * ```
 */
export class ProcessWatcher {
  /** The watched process's id. */
  readonly pid: number;
  /** The mechanism watching this process. */
  readonly mechanism: ProcessWatchMechanism;
  private readonly source: ExitSource;
  private isClosed = false;

  /**
   * `options.reap`: collect the child's status for good (waitid without WNOWAIT), for children
   * nothing else will wait for; default false, which leaves a child for its owner to reap.
   */
  constructor(base: EventBase, pid: number, onExit: (exit: ProcessExit) => void, options: { reap?: boolean } = {}) {
    if (typeof pid !== "number" || !Number.isInteger(pid) || pid <= 0) {
      throw new TypeError(`pid must be a positive integer, got ${typeof pid === "number" ? pid : `${typeof pid} ${String(pid)}`}`);
    }
    if (typeof onExit !== "function") throw new TypeError(`onExit must be a function, got ${typeof onExit}`);
    const mechanism = processWatchMechanism();
    if (mechanism === null) throw new NotAvailableError("pidfd_open", "process watching needs pidfds (Linux 5.3, glibc 2.36) or kqueue");
    const reap = options.reap === true;
    const ended = (exit: ProcessExit) => {
      this.isClosed = true;
      onExit(exit);
    };
    this.pid = pid;
    this.mechanism = mechanism;
    this.source = mechanism === "pidfd" ? new PidfdExit(base, pid, reap, ended) : new KqueueExit(base, pid, reap, ended);
  }

  /**
   * Sends `signal` (a name or number) to the process: through its pidfd (never to a reused pid),
   * or with kill(2) on the kqueue path.
   */
  kill(signal: string | number = "SIGTERM"): void {
    if (this.isClosed) throw new Error("this ProcessWatcher is closed");
    const sig = typeof signal === "number" ? signal : signals[signal];
    if (sig === undefined || !Number.isInteger(sig)) throw new TypeError(`unknown signal ${JSON.stringify(signal)}`);
    this.source.kill(sig);
  }

  /** Stops watching (the process is not affected). */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.source.close();
  }

  /** Whether close() was called or the process's end was reported. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Same as close(), for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}
