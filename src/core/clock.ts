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

const WALL_OFFSET_REFRESH_MS = 5000;

/**
 * A base's clock with libevent's per-iteration time cache: while the loop runs, now() returns the
 * time read after the backend returned, so every callback of one iteration sees the same time.
 */
export class TimeCache {
  private readonly clockId: number;
  private readonly enabled: boolean;
  /** The cached time, or 0 when there is none (outside the loop, or the cache is off). */
  private cached = 0;
  private wallOffset = 0;
  private wallOffsetAt = -Infinity;

  constructor(precise: boolean, enabled: boolean) {
    this.clockId = monotonicClockId(precise);
    this.enabled = enabled;
  }

  /** The cached time, or the clock's when there is none. */
  now(): number {
    return this.cached !== 0 ? this.cached : readClock(this.clockId);
  }

  /** The clock's time now, whatever the cache holds (the cache is left as it is). */
  read(): number {
    return readClock(this.clockId);
  }

  /** Reads the clock into the cache (when caching is on). */
  refresh(): void {
    if (this.enabled) this.cached = readClock(this.clockId);
  }

  /** Drops the cached time: now() reads the clock until the next refresh(). */
  invalidate(): void {
    this.cached = 0;
  }

  /** Wall-clock ms since the epoch, derived from the cached time when there is one. */
  wallNow(): number {
    if (this.cached === 0) return wallClockMs();
    if (this.cached - this.wallOffsetAt > WALL_OFFSET_REFRESH_MS) {
      this.wallOffset = wallClockMs() - readClock(this.clockId);
      this.wallOffsetAt = this.cached;
    }
    return this.cached + this.wallOffset;
  }
}
