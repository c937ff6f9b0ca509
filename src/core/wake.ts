// The wake fd: an eventfd on Linux, a pipe elsewhere. Writing it makes a waiting base return
// from its backend, like the byte libevent writes down its notification socketpair.
import { Errno, SyscallError, errnoCell, hasSymbol, libc, sys, u64arg } from "../ffi/mod.ts";

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
