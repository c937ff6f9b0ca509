// A process's end through kqueue's EVFILT_PROC (macOS, FreeBSD; libkqueue on Linux), where there
// are no pidfds. Each watch owns a kqueue holding one NOTE_EXIT registration for the pid. A native
// kqueue fd is readable while an event is pending, so the base watches it with an ordinary READ
// event under any backend (poll, select, kqueue). libkqueue's fd cannot be polled (it is the write
// end of the pipe that tells libkqueue the set was closed), so there the set is asked with a
// zero-timeout kevent() on a short persistent timer instead.
//
// How it ended: for a child, waitid(P_PID) (looked at with WNOWAIT unless reaping); otherwise the
// wait status the kernel put in the event's `data` (always on FreeBSD and libkqueue; on macOS
// with NOTE_EXITSTATUS, which xnu grants only to the parent); else only that it ended.
import type { EventBase } from "../core/base.ts";
import type { Event } from "../core/event.ts";
import { EV } from "../core/flags.ts";
import {
  constants as C, Errno, errnoCell, getEnv, type KqueueLibrary, layout as L, libc, loadKqueue, NotAvailableError, SyscallError,
} from "../ffi/mod.ts";
import { decodeWaitStatus, readChildExit, unknownExit } from "./exit-status.ts";
import type { ExitCallback, ExitSource } from "./exit-source.ts";

const K = L.kevent;
/** How often a libkqueue set is asked for the exit (ms): the delay a non-pollable fd costs. */
const LIBKQUEUE_CHECK_MS = 10;

/** @internal The kqueue library when the host has kqueue (native, or libkqueue), else null. */
export function processKqueue(): KqueueLibrary | null {
  return loadKqueue(getEnv("EVFFI_KQUEUE_LIBRARY"));
}

/** @internal Whether `pid` is a child of this process (waitid answers for it rather than ECHILD). */
function isChild(pid: number): boolean {
  const info = new Uint8Array(L.siginfo.size);
  return libc.waitid(C.P_PID, pid, info, C.WEXITED | C.WNOHANG | C.WNOWAIT) === 0;
}

/** @internal */
export class KqueueExit implements ExitSource {
  private readonly lib: KqueueLibrary;
  private readonly kq: number;
  private readonly event: Event;
  private readonly timeout = new Uint8Array(L.timespec.size);
  private readonly result = new Uint8Array(K.size);
  private isClosed = false;

  /**
   * Throws SyscallError ESRCH when no such process exists, and NotAvailableError under libkqueue
   * for a process that is not a child (libkqueue reads every exit status with waitid, so it drops
   * the exits of others).
   */
  constructor(base: EventBase, private readonly pid: number, private readonly reap: boolean, private readonly onEnd: ExitCallback) {
    const lib = processKqueue();
    if (!lib) throw new NotAvailableError("kqueue", "no kqueue to watch processes with");
    this.lib = lib;
    if (!lib.native && !isChild(pid)) {
      // ESRCH first, as for a child: a pid that does not exist is not a limit of libkqueue.
      if (libc.kill(pid, 0) === -1 && errnoCell[0] === Errno.ESRCH) throw new SyscallError("kill", Errno.ESRCH, [pid, 0]);
      throw new NotAvailableError("EVFILT_PROC", `${lib.path} reports the exit of this process's own children only, and pid ${pid} is not one`);
    }
    const kq = lib.kqueue();
    if (kq === -1) throw new SyscallError("kqueue", errnoCell[0], []);
    // kqueue() has no CLOEXEC flag everywhere; children must not inherit the set.
    libc.fcntl(kq, C.F_SETFD, C.FD_CLOEXEC);
    this.kq = kq;
    let errno: number;
    try {
      // NOTE_EXITSTATUS (macOS) is refused with EACCES for a process that is not our child:
      // register without it then, and learn only that the process ended.
      errno = this.register(C.NOTE_EXIT | C.NOTE_EXITSTATUS);
      if (errno === Errno.EACCES && C.NOTE_EXITSTATUS !== 0) errno = this.register(C.NOTE_EXIT);
      // xnu does not find a child that has ended but is not reaped yet (ESRCH), where a pidfd and
      // FreeBSD's EVFILT_PROC do: such a child's end is reported from the loop straight away.
      if (errno === Errno.ESRCH && readChildExit(C.P_PID, pid, pid, { reap: false, noHang: true })) errno = -1;
      else if (errno !== 0) throw new SyscallError("kevent", errno, [`EVFILT_PROC pid ${pid}`]);
    } catch (err) {
      this.release();
      throw err;
    }
    if (errno === -1) {
      this.event = base.timer(0, () => this.finish(C.NOTE_EXIT, 0));
      return;
    }
    this.event = lib.native
      ? base.event(kq, EV.READ | EV.PERSIST, () => this.check())
      : base.timer(LIBKQUEUE_CHECK_MS, () => this.check(), { persist: true });
    if (lib.native) this.event.add();
  }

  /** Adds the EVFILT_PROC registration; returns 0 or the errno kevent() refused it with. */
  private register(fflags: number): number {
    const change = new Uint8Array(K.size);
    const v = new DataView(change.buffer);
    // ident is a uintptr_t: the pid in its low 32 bits (all targets are little-endian).
    v.setUint32(K.ident, this.pid, true);
    v.setInt16(K.filter, C.EVFILT_PROC, true);
    v.setUint16(K.flags, C.EV_ADD | C.EV_ONESHOT, true);
    v.setUint32(K.fflags, fflags >>> 0, true);
    // No room for results: a refused change makes kevent() itself fail with the change's errno.
    return this.lib.kevent(this.kq, change, 1, null, 0, this.timeout) === -1 ? errnoCell[0] : 0;
  }

  kill(sig: number): void {
    if (libc.kill(this.pid, sig) === -1) throw new SyscallError("kill", errnoCell[0], [this.pid, sig]);
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.event.close();
    this.release();
  }

  private release(): void {
    libc.close(this.kq);
    // libkqueue frees the set's own fds on a monitoring thread after the close: wait for it, so a
    // closed watch holds no fds.
    this.lib.drainPendingClose?.();
  }

  private check(): void {
    const n = this.lib.kevent(this.kq, null, 0, this.result, 1, this.timeout);
    if (n === -1 && errnoCell[0] !== Errno.EINTR) throw new SyscallError("kevent", errnoCell[0], [this.kq, `EVFILT_PROC pid ${this.pid}`]);
    if (n !== 1) return;
    const v = new DataView(this.result.buffer);
    this.finish(v.getUint32(K.fflags, true), v.getInt32(K.data, true));
  }

  /** Reports the end that `fflags` and `data` of the NOTE_EXIT event describe. */
  private finish(fflags: number, data: number): void {
    if (!(fflags & C.NOTE_EXIT)) return;
    // waitid without WNOHANG: the process has ended, so a child is waitable at once (or as soon
    // as the kernel has finished its exit), and a reaped or foreign pid answers ECHILD at once.
    const child = readChildExit(C.P_PID, this.pid, this.pid, { reap: this.reap, noHang: false });
    const hasStatus = C.NOTE_EXITSTATUS === 0 || (fflags & C.NOTE_EXITSTATUS) !== 0;
    const exit = child ?? (hasStatus ? decodeWaitStatus(this.pid, data) : unknownExit(this.pid));
    this.close();
    this.onEnd(exit);
  }
}
