// Monotonic time in milliseconds (a double: ns precision survives for ~100 days of uptime).
// clock_gettime writes into a preallocated timespec read through a Uint32Array, so a reading
// allocates nothing (a BigInt64Array read would allocate a BigInt).
import { constants, errnoCell, libc, os, SyscallError } from "../ffi/mod.ts";

const tsWords = new Uint32Array(4);
const tsBytes = new Uint8Array(tsWords.buffer);
const TWO_32 = 4294967296;

function readClock(clock: number): number {
  if (libc.clock_gettime(clock, tsBytes) === -1) throw new SyscallError("clock_gettime", errnoCell[0], [clock]);
  return (tsWords[0] + tsWords[1] * TWO_32) * 1000 + tsWords[2] / 1e6;
}

/** Which monotonic clock a base reads: coarse (cheap, jiffy resolution) unless precise is asked. */
export function monotonicClockId(precise: boolean): number {
  // Linux's COARSE clock costs less but ticks every 1-4 ms: libevent's default, and ours.
  return precise || os !== "linux" ? constants.CLOCK_MONOTONIC : constants.CLOCK_MONOTONIC_COARSE;
}

/** Milliseconds on a monotonic clock. */
export function monotonicMs(clockId: number): number {
  return readClock(clockId);
}

/** Milliseconds since the Unix epoch, from the realtime clock. */
export function wallClockMs(): number {
  return readClock(constants.CLOCK_REALTIME);
}
