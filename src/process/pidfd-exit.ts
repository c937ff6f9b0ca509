// A process's end through a pidfd (Linux 5.3): the fd turns readable when the process ends, for
// any pid (not only a child), so watching it is an ordinary READ event on the base. For a child,
// waitid(P_PIDFD) then reads how it ended without touching other children, and kill goes through
// the pidfd, so never to a reused pid.
import type { EventBase } from "../core/base.ts";
import type { Event } from "../core/event.ts";
import { EV } from "../core/flags.ts";
import { constants as C, errnoCell, libc, SyscallError } from "../ffi/mod.ts";
import { readChildExit, unknownExit } from "./exit-status.ts";
import type { ExitCallback, ExitSource } from "./exit-source.ts";

/** @internal */
export class PidfdExit implements ExitSource {
  private readonly pidfd: number;
  private readonly event: Event;
  private isClosed = false;

  /** Throws SyscallError ESRCH when no such process exists. */
  constructor(base: EventBase, private readonly pid: number, private readonly reap: boolean, private readonly onEnd: ExitCallback) {
    const fd = libc.pidfd_open(pid, 0);
    if (fd === -1) throw new SyscallError("pidfd_open", errnoCell[0], [pid]);
    this.pidfd = fd;
    this.event = base.event(fd, EV.READ, () => this.ended());
    this.event.add();
  }

  kill(sig: number): void {
    if (libc.pidfd_send_signal(this.pidfd, sig, null, 0) === -1) throw new SyscallError("pidfd_send_signal", errnoCell[0], [this.pid, sig]);
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.event.close();
    libc.close(this.pidfd);
  }

  private ended(): void {
    // The pidfd is readable once the process is a zombie, so waitid does not need to block. A
    // process that is not our child gives ECHILD: only its end is known.
    const exit = readChildExit(C.P_PIDFD, this.pidfd, this.pid, { reap: this.reap, noHang: true }) ?? unknownExit(this.pid);
    this.close();
    this.onEnd(exit);
  }
}
