// A process's end as an event on the reactor. Linux gives each process an fd that turns readable
// when it ends (pidfd_open, Linux 5.3): watching it is an ordinary READ event, for any pid (not
// only a child), and for a child waitid(P_PIDFD) then reads how it ended without touching other
// children. No SIGCHLD handler is involved. By default the status is only looked at (WNOWAIT):
// a child the runtime started (node:child_process, Bun.spawn, Deno.Command) is still reaped by the
// runtime, which would otherwise fail with ECHILD. Children of spawnProcess are reaped here.
import type { EventBase } from "../core/base.ts";
import type { Event } from "../core/event.ts";
import { EV } from "../core/flags.ts";
import { constants as C, errnoCell, hasSymbol, layout as L, libc, NotAvailableError, signals, SyscallError } from "../ffi/mod.ts";

/** How a process ended. */
export interface ProcessExit {
  /** The process's id. */
  pid: number;
  /** The exit code, when it exited. */
  code: number | null;
  /** The signal's name ("SIGKILL"), when a signal ended it. */
  signal: string | null;
  /** False for a process that is not this process's child: only that it ended is known. */
  statusKnown: boolean;
}

const signalNames = new Map(Object.entries(signals).map(([name, n]) => [n, name]));

/**
 * Watches a process for its end and calls `onExit` once, from the loop; the watch ends then (or
 * at close()). Throws SyscallError ESRCH when no such process exists.
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
  private readonly pidfd: number;
  private readonly event: Event;
  private readonly onExit: (exit: ProcessExit) => void;
  private isClosed = false;

  private readonly reap: boolean;

  /**
   * `options.reap`: collect the child's status for good (waitid without WNOWAIT), for children
   * nothing else will wait for; default false, which leaves a child for its owner to reap.
   */
  constructor(base: EventBase, pid: number, onExit: (exit: ProcessExit) => void, options: { reap?: boolean } = {}) {
    if (typeof pid !== "number" || !Number.isInteger(pid) || pid <= 0) {
      throw new TypeError(`pid must be a positive integer, got ${typeof pid === "number" ? pid : `${typeof pid} ${String(pid)}`}`);
    }
    if (typeof onExit !== "function") throw new TypeError(`onExit must be a function, got ${typeof onExit}`);
    if (!hasSymbol("pidfd_open") || C.P_PIDFD === 0) throw new NotAvailableError("pidfd_open", "process watching needs Linux 5.3 and glibc 2.36");
    const fd = libc.pidfd_open(pid, 0);
    if (fd === -1) throw new SyscallError("pidfd_open", errnoCell[0], [pid]);
    this.pid = pid;
    this.pidfd = fd;
    this.onExit = onExit;
    this.reap = options.reap === true;
    this.event = base.event(fd, EV.READ, () => this.ended());
    this.event.add();
  }

  /** Sends `signal` (a name or number) to the process through its pidfd: never to a reused pid. */
  kill(signal: string | number = "SIGTERM"): void {
    if (this.isClosed) throw new Error("this ProcessWatcher is closed");
    const sig = typeof signal === "number" ? signal : signals[signal];
    if (sig === undefined || !Number.isInteger(sig)) throw new TypeError(`unknown signal ${JSON.stringify(signal)}`);
    if (libc.pidfd_send_signal(this.pidfd, sig, null, 0) === -1) throw new SyscallError("pidfd_send_signal", errnoCell[0], [this.pid, signal]);
  }

  /** Stops watching (the process is not affected). */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.event.close();
    libc.close(this.pidfd);
  }

  /** Whether close() was called or the process's end was reported. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Same as close(), for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  private ended(): void {
    const exit: ProcessExit = { pid: this.pid, code: null, signal: null, statusKnown: false };
    const info = new Uint8Array(L.siginfo.size);
    // A process that is not our child gives ECHILD: only its end is known.
    const flags = C.WEXITED | C.WNOHANG | (this.reap ? 0 : C.WNOWAIT);
    if (libc.waitid(C.P_PIDFD, this.pidfd, info, flags) === 0) {
      const v = new DataView(info.buffer);
      if (v.getInt32(L.siginfo.pid, true) !== 0) {
        const code = v.getInt32(L.siginfo.code, true);
        const status = v.getInt32(L.siginfo.status, true);
        exit.statusKnown = true;
        if (code === C.CLD_EXITED) exit.code = status;
        else if (code === C.CLD_KILLED || code === C.CLD_DUMPED) exit.signal = signalNames.get(status) ?? `signal ${status}`;
      }
    }
    this.close();
    this.onExit(exit);
  }
}
