// Small pieces every backend needs the same way: a wait time as a struct timespec, the check that
// an fd is open before it is watched, and EV bits as poll(2) events.
import { SyscallError, constants as C, errnoCell, libc } from "../ffi/mod.ts";
import { EV } from "../core/flags.ts";

const TWO_32 = 4294967296;

/**
 * Writes `ms` (fractions allowed, negative as 0) as a struct timespec into `words` at word `at`:
 * tv_sec as a 64-bit integer in two words, tv_nsec as another (little-endian, LP64).
 */
export function msToTimespec(words: Uint32Array, at: number, ms: number): void {
  const ns = Math.max(0, Math.round(ms * 1e6));
  const sec = Math.floor(ns / 1e9);
  words[at] = sec % TWO_32;
  words[at + 1] = Math.floor(sec / TWO_32);
  words[at + 2] = ns % 1e9;
  words[at + 3] = 0;
}

/**
 * Throws SyscallError (fcntl, EBADF) unless `fd` is open. A backend that hands the fd to the
 * kernel only later (poll and select at the wait, kqueue at the next kevent) checks at add, so a
 * closed fd fails there, as it does with epoll_ctl.
 */
export function checkFdOpen(fd: number): void {
  if (libc.fcntl(fd, C.F_GETFD, 0) === -1) throw new SyscallError("fcntl", errnoCell[0], [fd, "F_GETFD"], "the fd to watch is not open");
}

/** poll(2) events for EV.READ, WRITE and CLOSED (POLLRDHUP, which only Linux reports). */
export function pollMask(bits: number): number {
  return (bits & EV.READ ? C.POLLIN : 0) | (bits & EV.WRITE ? C.POLLOUT : 0) | (bits & EV.CLOSED ? C.POLLRDHUP : 0);
}
