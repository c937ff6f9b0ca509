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
 * A base's clock with libevent's per-iteration time cache: while the loop runs, every callback of
 * one iteration sees the same now().
 *
 * The cache is filled lazily: after the backend returns, the first now() of the iteration reads
 * the clock and keeps the reading (libevent reads it right away). An iteration that needs no time
 * (no timers due to check, no callback asking) then makes no clock call: through the FFI a
 * clock_gettime costs 30-55 ns, about 1% of an iteration of the bench.c workload.
 */
export class TimeCache {
  private readonly clockId: number;
  private readonly enabled: boolean;
  /** The cached time, or 0 when there is none (outside the loop, or the cache is off). */
  private cached = 0;
  /** Whether the next clock reading is kept as the cached time (set by refresh()). */
  private fill = false;
  private wallOffset = 0;
  private wallOffsetAt = -Infinity;

  constructor(precise: boolean, enabled: boolean) {
    this.clockId = monotonicClockId(precise);
    this.enabled = enabled;
  }

  /** The cached time, or the clock's when there is none. */
  now(): number {
    if (this.cached !== 0) return this.cached;
    const time = readClock(this.clockId);
    if (this.fill) {
      this.cached = time;
      this.fill = false;
    }
    return time;
  }

  /** The clock's time now, whatever the cache holds (the cache is left as it is). */
  read(): number {
    return readClock(this.clockId);
  }

  /** Starts a new cached time (when caching is on): the next now() reads the clock and keeps it. */
  refresh(): void {
    if (this.enabled) {
      this.cached = 0;
      this.fill = true;
    }
  }

  /** Drops the cached time: now() reads the clock until the next refresh(). */
  invalidate(): void {
    this.cached = 0;
    this.fill = false;
  }

  /** Wall-clock ms since the epoch, derived from the cached time when there is one. */
  wallNow(): number {
    if (this.fill) this.now();
    if (this.cached === 0) return wallClockMs();
    if (this.cached - this.wallOffsetAt > WALL_OFFSET_REFRESH_MS) {
      this.wallOffset = wallClockMs() - readClock(this.clockId);
      this.wallOffsetAt = this.cached;
    }
    return this.cached + this.wallOffset;
  }
}
