// How a process ended, read back from the kernel: waitid(2)'s siginfo for a child (both watch
// mechanisms), or a wait status word (the `data` of a kqueue EVFILT_PROC NOTE_EXIT event).
import { constants as C, Errno, errnoCell, layout as L, libc, signals } from "../ffi/mod.ts";

/** How a process ended. */
export interface ProcessExit {
  /** The process's id. */
  pid: number;
  /** The exit code, when it exited. */
  code: number | null;
  /** The signal's name ("SIGKILL"), when a signal ended it. */
  signal: string | null;
  /**
   * False when only that the process ended is known: a process that is not this process's child,
   * except where the kernel reports its status anyway (kqueue on FreeBSD).
   */
  statusKnown: boolean;
}

const signalNames = new Map(Object.entries(signals).map(([name, n]) => [n, name]));

const signalName = (n: number): string => signalNames.get(n) ?? `signal ${n}`;

/** An end whose status is unknown. */
export function unknownExit(pid: number): ProcessExit {
  return { pid, code: null, signal: null, statusKnown: false };
}

/**
 * waitid(idtype, id) for an ended child: its status, looked at only (WNOWAIT) unless `reap`. Null
 * when the process is not a child of this process (ECHILD: someone else's, or already reaped by
 * its owner) or, with `noHang`, not yet waitable.
 */
export function readChildExit(idtype: number, id: number, pid: number, options: { reap: boolean; noHang: boolean }): ProcessExit | null {
  const info = new Uint8Array(L.siginfo.size);
  const flags = C.WEXITED | (options.noHang ? C.WNOHANG : 0) | (options.reap ? 0 : C.WNOWAIT);
  // EINTR: a signal handler of the runtime ran; the child is still there to ask again.
  let r: number;
  do r = libc.waitid(idtype, id, info, flags); while (r === -1 && errnoCell[0] === Errno.EINTR);
  if (r !== 0) return null;
  const v = new DataView(info.buffer);
  if (v.getInt32(L.siginfo.pid, true) === 0) return null;
  const code = v.getInt32(L.siginfo.code, true);
  const status = v.getInt32(L.siginfo.status, true);
  if (code === C.CLD_EXITED) return { pid, code: status, signal: null, statusKnown: true };
  if (code === C.CLD_KILLED || code === C.CLD_DUMPED) return { pid, code: null, signal: signalName(status), statusKnown: true };
  return null;
}

/** Decodes a wait status word (WIFEXITED / WEXITSTATUS / WTERMSIG, the same bits on every OS here). */
export function decodeWaitStatus(pid: number, status: number): ProcessExit {
  const sig = status & 0x7f;
  if (sig === 0) return { pid, code: (status >> 8) & 0xff, signal: null, statusKnown: true };
  return { pid, code: null, signal: signalName(sig), statusKnown: true };
}
