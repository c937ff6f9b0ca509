// The wake fd: an eventfd on Linux, a pipe elsewhere. Writing it makes a waiting base return
// from its backend, like the byte libevent writes down its notification socketpair. Other threads
// write it through the cross-thread handle; the host's signal listener counts a signal in the
// shared counters and writes it too; draining it delivers those signals and runs the wake hooks.
import { Errno, SyscallError, errnoCell, hasSymbol, libc, sys, u64arg } from "../ffi/mod.ts";
import type { EventBase } from "./base.ts";
import { addNoCheck, delInternal } from "./event-ops.ts";
import { Event } from "./event.ts";
import { EV, LIST_INTERNAL } from "./flags.ts";

const word = new BigUint64Array([1n]);
const wordBytes = new Uint8Array(word.buffer);
const drainBuf = new Uint8Array(64);
const eight = u64arg(8);
const sixtyFour = u64arg(64);

/** [readFd, writeFd]: the same fd for an eventfd. */
export function openWakeFd(): [number, number] {
  if (hasSymbol("eventfd")) {
    const fd = sys.eventfd(0);
    return [fd, fd];
  }
  return sys.pipe();
}

/** Adds one to the wake counter (or one byte to the pipe). EAGAIN means it is already readable. */
export function writeWake(fd: number): void {
  word[0] = 1n;
  if (libc.write(fd, wordBytes, eight) === -1) {
    const errno = errnoCell[0];
    if (errno !== Errno.EAGAIN) throw new SyscallError("write", errno, [fd, "<wake>", 8]);
  }
}

/** Empties the wake fd. */
export function drainWakeFd(fd: number): void {
  while (libc.read(fd, drainBuf, sixtyFour) > 0) {
    // an eventfd reads once; a pipe may hold several bytes
  }
}

/** A base's wake fd and what the wakers leave for it. */
export class WakeState {
  readFd = -1;
  /** The same fd as readFd for an eventfd. */
  writeFd = -1;
  /** The internal event that drains readFd. */
  event: Event | null = null;
  /** 1 while a wake is written and not yet drained (shared, so other threads can coalesce too). */
  readonly flag: Int32Array = new Int32Array(new SharedArrayBuffer(4));
  /** Signals counted by the host listener, not yet delivered (index: signal number). */
  readonly pendingSignals: Int32Array = new Int32Array(new SharedArrayBuffer(4 * 65));
  /** A wake is written for the current off-thread wait. */
  poked = false;
}

/** Counts a signal for delivery at the next drain and wakes the base. */
export function noteSignal(base: EventBase, signal: number): void {
  Atomics.add(base.wakeup.pendingSignals, signal, 1);
  base.wake();
}

/** Creates the base's wake fd and its internal event on first use. */
export function ensureWake(base: EventBase): void {
  if (base.wakeup.readFd >= 0) return;
  const [readFd, writeFd] = openWakeFd();
  base.wakeup.readFd = readFd;
  base.wakeup.writeFd = writeFd;
  const ev = new Event(base, readFd, EV.READ | EV.PERSIST, () => drainWake(base), null, 0);
  ev.state |= LIST_INTERNAL;
  base.wakeup.event = ev;
  addNoCheck(base, ev, null, -1);
}

/** Wakes the base (coalesced: while a wake is pending, nothing more is written). */
export function wakeBase(base: EventBase): void {
  ensureWake(base);
  if (Atomics.exchange(base.wakeup.flag, 0, 1) === 0) writeWake(base.wakeup.writeFd);
}

/** Interrupts an off-thread wait when the base's state changed under it. */
export function poke(base: EventBase): void {
  if (base.waiting && !base.wakeup.poked) {
    base.wakeup.poked = true;
    base.wake();
  }
}

/** Runs when the wake fd is readable: clear it, then deliver what the wakers left. */
function drainWake(base: EventBase): void {
  drainWakeFd(base.wakeup.readFd);
  // Cleared after draining, before the work: a waker that set the flag after this point writes again.
  Atomics.store(base.wakeup.flag, 0, 0);
  base.wakeup.poked = false;
  const counts = base.wakeup.pendingSignals;
  for (let sig = 1; sig < counts.length; sig++) {
    if (counts[sig] === 0) continue;
    const n = Atomics.exchange(counts, sig, 0);
    if (n > 0) base.activateSignal(sig, n);
  }
  for (const hook of base.wakeHooks) hook();
}

/** What another thread needs to wake the base and hand it signals (it only writes these). */
export function crossThreadHandle(base: EventBase): CrossThreadHandle {
  ensureWake(base);
  return {
    wakeFd: base.wakeup.writeFd,
    wakeFlag: base.wakeup.flag.buffer as SharedArrayBuffer,
    pendingSignals: base.wakeup.pendingSignals.buffer as SharedArrayBuffer,
  };
}

/** The wake fd to write, the shared coalescing flag, and the shared per-signal counters. */
export interface CrossThreadHandle {
  wakeFd: number;
  wakeFlag: SharedArrayBuffer;
  pendingSignals: SharedArrayBuffer;
}

/** Closes the wake fd(s), taking its event out first unless the base is going away whole. */
export function closeWake(base: EventBase, delEvent: boolean): void {
  if (delEvent && base.wakeup.event) delInternal(base, base.wakeup.event);
  base.wakeup.event = null;
  if (base.wakeup.readFd < 0) return;
  libc.close(base.wakeup.readFd);
  if (base.wakeup.writeFd !== base.wakeup.readFd) libc.close(base.wakeup.writeFd);
  base.wakeup.readFd = base.wakeup.writeFd = -1;
}
