// epoll(7) backend (Linux). Interest changes go straight to epoll_ctl; with the changelist
// variant they are queued per fd and applied just before the wait, so an add followed by a
// delete in the same iteration costs no syscall.
import { Errno, SyscallError, constants as C, errnoCell, hasSymbol, layout, libc, u64arg } from "../ffi/mod.ts";
import { EV, Feature } from "../core/flags.ts";
import type { Backend, BackendHost, BackendState, FdRecord } from "./backend.ts";
import { Changelist } from "./changelist.ts";
import { msToTimespec } from "./helpers.ts";

const INITIAL_EVENTS = 32;
const MAX_EVENTS = 4096;
// Linux kernels before 2.6.24 misbehave with timeouts above ~35 minutes; libevent clamps, so do we.
const MAX_TIMEOUT_MS = 35 * 60 * 1000;

const STRIDE = layout.epoll_event.size / 4; // in 32-bit words
const DATA = layout.epoll_event.data / 4;
const IO_MASK = EV.READ | EV.WRITE | EV.CLOSED;
const eight = u64arg(8);

/** epoll_event mask for a set of EV bits. */
function epollMask(bits: number): number {
  let m = 0;
  if (bits & EV.READ) m |= C.EPOLLIN;
  if (bits & EV.WRITE) m |= C.EPOLLOUT;
  if (bits & EV.CLOSED) m |= C.EPOLLRDHUP;
  if (bits & EV.ET) m |= C.EPOLLET;
  return m >>> 0;
}

/** The EV bits an epoll_event's mask reports: an error or a hangup wakes readers and writers alike. */
function evBits(what: number): number {
  if (what & C.EPOLLERR) return EV.READ | EV.WRITE;
  if (what & C.EPOLLHUP && !(what & C.EPOLLRDHUP)) return EV.READ | EV.WRITE;
  let bits = 0;
  if (what & C.EPOLLIN) bits |= EV.READ;
  if (what & C.EPOLLOUT) bits |= EV.WRITE;
  if (what & C.EPOLLRDHUP) bits |= EV.CLOSED;
  return bits;
}

function opName(op: number): string {
  return op === C.EPOLL_CTL_ADD ? "EPOLL_CTL_ADD" : op === C.EPOLL_CTL_DEL ? "EPOLL_CTL_DEL" : "EPOLL_CTL_MOD";
}

export class EpollState implements BackendState {
  readonly pollableFd: number;
  private readonly host: BackendHost;
  private capacity = INITIAL_EVENTS;
  private events: Uint32Array;
  private eventBytes: Uint8Array;
  private readonly ctlWords = new Uint32Array(new ArrayBuffer(16));
  private readonly ctlBytes = new Uint8Array(this.ctlWords.buffer, 0, layout.epoll_event.size);
  private usePwait2: boolean;
  private readonly allowTimerfd: boolean;
  private timerfd = -1;
  private timerArmed = false;
  private readonly itimerspec = new Uint32Array(8); // it_interval (16 bytes), it_value (16 bytes)
  private readonly itimerspecBytes = new Uint8Array(this.itimerspec.buffer);
  private readonly timerfdDrain = new Uint8Array(8);
  private readonly timespec = new Uint32Array(4);
  private readonly timespecBytes = new Uint8Array(this.timespec.buffer);
  /** The changes queued until the next wait, in the changelist variant; null otherwise. */
  private readonly changes: Changelist | null;

  constructor(host: BackendHost, changelist: boolean) {
    this.host = host;
    const fd = libc.epoll_create1(C.EPOLL_CLOEXEC);
    if (fd === -1) throw new SyscallError("epoll_create1", errnoCell[0], ["EPOLL_CLOEXEC"]);
    this.pollableFd = fd;
    this.events = new Uint32Array(new ArrayBuffer(INITIAL_EVENTS * layout.epoll_event.size));
    this.eventBytes = new Uint8Array(this.events.buffer);
    const cfg = host.config;
    // epoll_pwait2 is tried first (a kernel without it answers ENOSYS, see wait); a timerfd
    // registered in the set stands in when it is missing, unless forbidden.
    this.usePwait2 = cfg.preciseTimer && cfg.preciseWith !== "timerfd" && hasSymbol("epoll_pwait2");
    this.allowTimerfd = cfg.preciseTimer && !cfg.disallowTimerfd && cfg.preciseWith !== "pwait2" && hasSymbol("timerfd_create");
    if (!this.usePwait2 && this.allowTimerfd) this.openTimerfd();
    this.changes = changelist ? new Changelist() : null;
  }

  add(fd: number, old: number, events: number, _record: FdRecord): void {
    if (this.changes !== null) this.changes.record(fd, old, old | events);
    else this.apply(fd, old, old | events);
  }

  del(fd: number, old: number, events: number, _record: FdRecord): void {
    // ET stays on while other events on the fd still want it; the evmap passes EV.ET in `events`
    // only when the last edge-triggered event goes.
    const remaining = old & ~events;
    if (this.changes !== null) this.changes.record(fd, old, remaining);
    else this.apply(fd, old, remaining);
  }

  flushChanges(): void {
    this.changes?.flush(this.applyQueued);
  }

  /**
   * One fd's queued change. A delete then an add of the same bits reaches here only when the fd
   * may have been closed and its number reused: a MOD settles both cases (ENOENT is retried as
   * ADD), as libevent's changelist does.
   */
  private readonly applyQueued = (fd: number, kernel: number, wanted: number): void => {
    try {
      this.apply(fd, kernel, wanted);
    } catch (err) {
      // An fd closed before the flush cannot be registered; like libevent we report it and go on.
      if (!(err instanceof SyscallError) || err.code !== "EBADF") throw err;
    }
  };

  /** Moves the kernel's interest in `fd` from the bits `from` to `to`. */
  private apply(fd: number, from: number, to: number): void {
    const had = (from & IO_MASK) !== 0;
    const wants = (to & IO_MASK) !== 0;
    let op: number;
    if (wants) op = had ? C.EPOLL_CTL_MOD : C.EPOLL_CTL_ADD;
    else if (had) op = C.EPOLL_CTL_DEL;
    else return;
    const mask = wants ? epollMask(to) : 0;
    this.ctlWords[0] = mask;
    this.ctlWords[DATA] = fd;
    if (libc.epoll_ctl(this.pollableFd, op, fd, this.ctlBytes) === 0) return;
    const errno = errnoCell[0];
    // libevent's recovery rules: the kernel's view may differ from ours after a close or dup.
    if (op === C.EPOLL_CTL_MOD && errno === Errno.ENOENT) {
      if (libc.epoll_ctl(this.pollableFd, C.EPOLL_CTL_ADD, fd, this.ctlBytes) === 0) return;
      throw new SyscallError("epoll_ctl", errnoCell[0], [this.pollableFd, "EPOLL_CTL_ADD", fd, mask], "retried after MOD gave ENOENT");
    }
    if (op === C.EPOLL_CTL_ADD && errno === Errno.EEXIST) {
      if (libc.epoll_ctl(this.pollableFd, C.EPOLL_CTL_MOD, fd, this.ctlBytes) === 0) return;
      throw new SyscallError("epoll_ctl", errnoCell[0], [this.pollableFd, "EPOLL_CTL_MOD", fd, mask], "retried after ADD gave EEXIST");
    }
    // A DEL of an fd that is already closed (EBADF), gone from the set (ENOENT) or never
    // pollable (EPERM) has nothing left to undo.
    if (op === C.EPOLL_CTL_DEL && (errno === Errno.ENOENT || errno === Errno.EBADF || errno === Errno.EPERM)) return;
    throw new SyscallError("epoll_ctl", errno, [this.pollableFd, opName(op), fd, mask]);
  }

  private openTimerfd(): void {
    const fd = libc.timerfd_create(C.CLOCK_MONOTONIC, C.TFD_NONBLOCK | C.TFD_CLOEXEC);
    if (fd === -1) throw new SyscallError("timerfd_create", errnoCell[0], ["CLOCK_MONOTONIC", "TFD_NONBLOCK|TFD_CLOEXEC"]);
    this.timerfd = fd;
    this.apply(fd, 0, EV.READ);
  }

  /** Arms the timerfd for `timeoutMs` (0 disarms). */
  private setTimerfd(timeoutMs: number): void {
    const it = this.itimerspec;
    msToTimespec(it, 4, timeoutMs);
    // A zero it_value would disarm: the smallest wait is 1 ns.
    if (timeoutMs > 0 && it[4] === 0 && it[5] === 0 && it[6] === 0) it[6] = 1;
    if (libc.timerfd_settime(this.timerfd, 0, this.itimerspecBytes, null) === -1) {
      throw new SyscallError("timerfd_settime", errnoCell[0], [this.timerfd, 0, timeoutMs]);
    }
    this.timerArmed = timeoutMs > 0;
  }

  private waitPwait2(timeoutMs: number): number {
    msToTimespec(this.timespec, 0, timeoutMs);
    return libc.epoll_pwait2(this.pollableFd, this.eventBytes, this.capacity, this.timespecBytes, null);
  }

  /** Waits for the kernel: epoll_pwait2 for a precise timeout, else the timerfd, else epoll_wait's ms. */
  private waitFor(timeoutMs: number | null): number {
    if (this.usePwait2 && timeoutMs !== null && timeoutMs > 0) {
      const n = this.waitPwait2(timeoutMs);
      if (n !== -1 || errnoCell[0] !== Errno.ENOSYS) return n;
      // The C library has the symbol but this kernel (< 5.11) does not: fall back for good.
      this.usePwait2 = false;
      if (this.allowTimerfd) this.openTimerfd();
    }
    let ms: number;
    if (this.timerfd >= 0 && timeoutMs !== null && timeoutMs > 0) {
      this.setTimerfd(timeoutMs);
      ms = -1;
    } else {
      if (this.timerArmed) this.setTimerfd(0);
      // Round up: waking early for a timer would only spin the loop once more.
      ms = timeoutMs === null ? -1 : timeoutMs <= 0 ? 0 : Math.min(Math.ceil(timeoutMs), MAX_TIMEOUT_MS);
    }
    return libc.epoll_wait(this.pollableFd, this.eventBytes, this.capacity, ms);
  }

  wait(timeoutMs: number | null): boolean {
    if (this.changes !== null && this.changes.size) this.changes.flush(this.applyQueued);
    // A poll (timeout 0, the busy loop's case) goes straight to the kernel.
    const n = timeoutMs === 0 && !this.timerArmed
      ? libc.epoll_wait(this.pollableFd, this.eventBytes, this.capacity, 0)
      : this.waitFor(timeoutMs);
    if (n === -1) return this.waitFailed(timeoutMs);
    const events = this.events;
    const host = this.host;
    const timerfd = this.timerfd;
    // Read once per call, not per event (see the note in core/flags.ts).
    const stride = STRIDE, data = DATA, epollin = C.EPOLLIN;
    for (let i = 0, at = 0; i < n; i++, at += stride) {
      const what = events[at];
      const fd = events[at + data];
      // EV.ET rides along always: the evmap gives it only to events that asked for it.
      if (fd === timerfd) this.drainTimerfd();
      else if (what === epollin) host.activateIo(fd, 0x22 /* EV.READ | EV.ET */);
      else {
        const bits = evBits(what);
        if (bits) host.activateIo(fd, bits | EV.ET);
      }
    }
    // A full results array means more may be ready: grow for the next call.
    if (n === this.capacity) this.grow();
    return true;
  }

  /** A failed wait: false for EINTR (the loop goes on), else the SyscallError. */
  private waitFailed(timeoutMs: number | null): false {
    const errno = errnoCell[0];
    if (errno === Errno.EINTR) return false;
    throw new SyscallError(this.usePwait2 ? "epoll_pwait2" : "epoll_wait", errno, [this.pollableFd, "events", this.capacity, timeoutMs]);
  }

  /** Doubles the results array, up to MAX_EVENTS. */
  private grow(): void {
    if (this.capacity >= MAX_EVENTS) return;
    this.capacity *= 2;
    this.events = new Uint32Array(new ArrayBuffer(this.capacity * layout.epoll_event.size));
    this.eventBytes = new Uint8Array(this.events.buffer);
  }

  private drainTimerfd(): void {
    libc.read(this.timerfd, this.timerfdDrain, eight);
    this.timerArmed = false;
  }

  dealloc(): void {
    if (this.timerfd >= 0) libc.close(this.timerfd);
    libc.close(this.pollableFd);
    this.changes?.clear();
  }
}

function epollAvailable(): true | string {
  return hasSymbol("epoll_create1") ? true : "this platform has no epoll";
}

function epollBackend(name: string, changelist: boolean): Backend {
  return {
    name,
    features: Feature.ET | Feature.O1 | Feature.EARLY_CLOSE,
    needReinit: true,
    usesFdSlot: false,
    available: epollAvailable,
    init: (host) => new EpollState(host, changelist),
  };
}

export const epoll = epollBackend("epoll", false);
export const epollChangelist = epollBackend("epoll (with changelist)", true);
