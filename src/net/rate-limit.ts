// Rate limits for socket bufferevents (libevent's bufferevent_ratelim.c): token buckets refilled
// once per tick, per bufferevent and per group of bufferevents.
//
// A bucket holds up to `burst` bytes of allowance per direction and gains `rate` bytes per tick.
// A read asks for at most what the buckets allow; the bytes read are taken out; an empty bucket
// pauses reading (or writing) until the tick that refills it, through one timer per bucket that
// is armed only while something waits for it. Ticks count from when the bucket was made. A group
// shares one bucket between its members: each read or write may take the group's level divided
// by the number of members, but at least `minShare` bytes (libevent's default is 64), so that a
// large group does not degrade into one-byte reads.
import type { EventBase } from "../core/base.ts";
import type { Event } from "../core/event.ts";

/** A token bucket's rates (bytes per tick), bursts and tick length. */
export interface RateLimitOptions {
  /** Bytes readable per tick (Infinity: reading is not limited). */
  readRate: number;
  /** Most bytes readable at once after idle ticks (default readRate). */
  readBurst?: number;
  /** Bytes writable per tick (Infinity: writing is not limited). */
  writeRate: number;
  /** Most bytes writable at once (default writeRate). */
  writeBurst?: number;
  /** Tick length in ms (default 1000, as libevent's). */
  tickMs?: number;
}

function rateArg(v: unknown, name: string): number {
  if (typeof v !== "number" || !(v >= 1) || !(Number.isInteger(v) || v === Infinity)) {
    throw new RangeError(`${name} must be a positive integer or Infinity, got ${typeof v === "number" ? v : typeof v}`);
  }
  return v;
}

/**
 * A token-bucket configuration (libevent's ev_token_bucket_cfg), shareable between bufferevents
 * and groups.
 *
 * @example
 * ```ts
 * const base = new EventBase();
 * const [fd, peer] = sys.socketpair();
 * const bev = new BufferEvent(base, fd);
 * const limit = new RateLimit({ readRate: 64 * 1024, writeRate: 64 * 1024, tickMs: 100 });  // 640 KB/s each way
 * bev.setRateLimit(limit);
 * bev.close();
 * sys.close(peer);
 * base.close();
 * ```
 */
export class RateLimit {
  /** Bytes readable per tick (Infinity: unlimited). */
  readonly readRate: number;
  /** Most bytes readable at once after idle ticks. */
  readonly readBurst: number;
  /** Bytes writable per tick (Infinity: unlimited). */
  readonly writeRate: number;
  /** Most bytes writable at once after idle ticks. */
  readonly writeBurst: number;
  /** Tick length in ms: the bucket refills by the rate once per tick. */
  readonly tickMs: number;

  /** Checks and keeps the options: rates are positive integers or Infinity, bursts default to the rates. Throws RangeError naming a bad value. */
  constructor(options: RateLimitOptions) {
    if (options === null || typeof options !== "object") throw new TypeError(`RateLimit takes an options object, got ${options === null ? "null" : typeof options}`);
    this.readRate = rateArg(options.readRate, "readRate");
    this.writeRate = rateArg(options.writeRate, "writeRate");
    this.readBurst = rateArg(options.readBurst ?? this.readRate, "readBurst");
    this.writeBurst = rateArg(options.writeBurst ?? this.writeRate, "writeBurst");
    if (this.readBurst < this.readRate) throw new RangeError(`readBurst (${this.readBurst}) must be at least readRate (${this.readRate})`);
    if (this.writeBurst < this.writeRate) throw new RangeError(`writeBurst (${this.writeBurst}) must be at least writeRate (${this.writeRate})`);
    const tick = options.tickMs ?? 1000;
    if (typeof tick !== "number" || !(tick > 0) || !Number.isFinite(tick)) throw new RangeError(`tickMs must be a positive number, got ${String(tick)}`);
    this.tickMs = tick;
  }
}

/** What a bufferevent may move now, and its own buckets (libevent's bufferevent_get_*_limit, get_max_to_*). */
export interface RateLimitState {
  /** Bytes left in this bufferevent's own read bucket (Infinity without a limit). */
  readLimit: number;
  /** Bytes left in its own write bucket. */
  writeLimit: number;
  /** What the next read may take: its bucket and its share of the group's, whichever is less. */
  maxToRead: number;
  /** What the next write may send. */
  maxToWrite: number;
}

const READ = 0;
const WRITE = 1;

/** One bucket pair and the timer that waits for its next refill. */
class TokenBucket {
  readonly levels: [number, number];
  private startedAt: number;
  private tick = 0;
  private refillTimer: Event | null = null;

  constructor(private readonly base: EventBase, public limit: RateLimit, private readonly refilled: () => void) {
    this.levels = [limit.readRate, limit.writeRate];
    this.startedAt = base.now();
  }

  /** Adds the ticks that passed since the last look. */
  update(): void {
    const tick = Math.floor((this.base.now() - this.startedAt) / this.limit.tickMs);
    const n = tick - this.tick;
    if (n <= 0) return;
    this.tick = tick;
    const { readRate, readBurst, writeRate, writeBurst } = this.limit;
    this.levels[READ] = Math.min(readBurst, this.levels[READ] + n * readRate);
    this.levels[WRITE] = Math.min(writeBurst, this.levels[WRITE] + n * writeRate);
  }

  /** Takes `n` bytes of allowance (it may go below zero: a later tick pays the debt). */
  take(direction: number, n: number): void {
    this.levels[direction] -= n;
  }

  /** Arms the timer for the next tick, if it is not armed. */
  waitForRefill(): void {
    if (this.refillTimer?.isPending) return;
    this.refillTimer ??= this.base.event(-1, 0, () => {
      this.update();
      if (this.levels[READ] <= 0 || this.levels[WRITE] <= 0) {
        // A debt bigger than one tick's rate (decrementReadLimit) keeps waiting; others go on meanwhile.
        this.refillTimer!.add(this.untilNextTick());
      }
      this.refilled();
    });
    this.refillTimer.add(this.untilNextTick());
  }

  private untilNextTick(): number {
    return Math.max(0, this.startedAt + (this.tick + 1) * this.limit.tickMs - this.base.now());
  }

  close(): void {
    this.refillTimer?.close();
    this.refillTimer = null;
  }
}

/** What a rate-limited bufferevent exposes to its limiter. */
export interface RateLimited {
  /** A bucket was refilled: retry what was paused. */
  rateLimitRefilled(): void;
}

/**
 * A bucket shared by several socket bufferevents (libevent's bufferevent_rate_limit_group), with
 * totals of what its members moved.
 *
 * @example
 * ```ts
 * const base = new EventBase();
 * const group = new RateLimitGroup(base, new RateLimit({ readRate: 1 << 20, writeRate: 1 << 20 }));  // 1 MB/s for all
 * const pairs = [sys.socketpair(), sys.socketpair()];
 * const connections = pairs.map(([fd]) => new BufferEvent(base, fd));
 * for (const bev of connections) bev.setRateLimitGroup(group);
 * console.log(group.readLimit, group.totalRead); // prints: 1048576 0
 * for (const bev of connections) bev.close();
 * for (const [, peer] of pairs) sys.close(peer);
 * group.close();
 * base.close();
 * ```
 */
export class RateLimitGroup {
  private readonly bucket: TokenBucket;
  /** @internal */
  readonly members: Set<RateLimited> = new Set<RateLimited>();
  private minShareValue = 64;
  private readTotal = 0;
  private writeTotal = 0;
  private isClosed = false;

  /** A group on `base` with the shared buckets `limit` describes; its refill timer is armed only while a member waits. */
  constructor(readonly base: EventBase, limit: RateLimit) {
    if (!(limit instanceof RateLimit)) throw new TypeError(`RateLimitGroup takes a RateLimit, got ${typeof limit}`);
    this.bucket = new TokenBucket(base, limit, () => this.refilled());
  }

  /**
   * Replaces the configuration; the current levels are kept, capped at the new bursts.
   *
   * @example
   * ```ts
   * const base = new EventBase();
   * const group = new RateLimitGroup(base, new RateLimit({ readRate: 1 << 20, writeRate: 1 << 20 }));
   * group.setLimit(new RateLimit({ readRate: 2 << 20, writeRate: 2 << 20 }));   // night-time: double
   * group.close();
   * base.close();
   * ```
   */
  setLimit(limit: RateLimit): void {
    if (!(limit instanceof RateLimit)) throw new TypeError(`setLimit takes a RateLimit, got ${typeof limit}`);
    this.bucket.limit = limit;
    this.bucket.levels[READ] = Math.min(this.bucket.levels[READ], limit.readBurst);
    this.bucket.levels[WRITE] = Math.min(this.bucket.levels[WRITE], limit.writeBurst);
  }

  /** The least a member may take per read or write while the group has that much (default 64). */
  get minShare(): number {
    return this.minShareValue;
  }

  set minShare(n: number) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`minShare must be a positive integer, got ${String(n)}`);
    this.minShareValue = n;
  }

  /** Bytes left in the group's read bucket now. */
  get readLimit(): number {
    this.bucket.update();
    return this.bucket.levels[READ];
  }

  /** Bytes left in the group's write bucket now. */
  get writeLimit(): number {
    this.bucket.update();
    return this.bucket.levels[WRITE];
  }

  /** Bytes the members read since the group was made or resetTotals(). */
  get totalRead(): number {
    return this.readTotal;
  }

  /** Bytes the members wrote. */
  get totalWritten(): number {
    return this.writeTotal;
  }

  /** Sets totalRead and totalWritten back to 0. */
  resetTotals(): void {
    this.readTotal = this.writeTotal = 0;
  }

  /** Takes allowance out of the group's buckets as if it had been used (negative gives it back). */
  decrementReadLimit(n: number): void {
    this.decrement(READ, n, "decrementReadLimit");
  }

  /** Takes allowance out of the group's write bucket as if it had been used (negative gives it back). */
  decrementWriteLimit(n: number): void {
    this.decrement(WRITE, n, "decrementWriteLimit");
  }

  private decrement(direction: number, n: number, method: string): void {
    if (!Number.isInteger(n)) throw new RangeError(`${method} takes an integer, got ${String(n)}`);
    this.bucket.update();
    this.bucket.take(direction, n);
    if (n < 0) this.refilled(); // allowance given back: members paused for it may go on
    else if (this.bucket.levels[direction] <= 0) this.bucket.waitForRefill();
  }

  private refilled(): void {
    for (const member of [...this.members]) member.rateLimitRefilled();
  }

  /** @internal What one member may move now. */
  share(direction: number): number {
    this.bucket.update();
    const level = this.bucket.levels[direction];
    if (level <= 0) return 0;
    const share = Math.max(Math.floor(level / Math.max(1, this.members.size)), this.minShareValue);
    return Math.min(share, level);
  }

  /** @internal */
  took(direction: number, n: number): void {
    this.bucket.take(direction, n);
    if (direction === READ) this.readTotal += n;
    else this.writeTotal += n;
    if (this.bucket.levels[direction] <= 0) this.bucket.waitForRefill();
  }

  /** @internal */
  waitForRefill(): void {
    this.bucket.waitForRefill();
  }

  /** Stops the refill timer; the members leave the group (their own limits stay) and go on unlimited by it. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.bucket.close();
    const members = [...this.members];
    this.members.clear();
    for (const member of members) member.rateLimitRefilled();
  }

  /** Whether close() was called. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Same as close(), for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * A bufferevent's limits: its own bucket (setRateLimit), its group's (setRateLimitGroup), or both.
 * @internal
 */
export class RateLimiter {
  own: TokenBucket | null = null;
  group: RateLimitGroup | null = null;

  constructor(private readonly base: EventBase, private readonly owner: RateLimited) {}

  setLimit(limit: RateLimit | null): void {
    this.own?.close();
    this.own = limit === null ? null : new TokenBucket(this.base, limit, () => this.owner.rateLimitRefilled());
  }

  setGroup(group: RateLimitGroup | null): void {
    if (group?.closed) throw new Error("the rate limit group is closed");
    this.group?.members.delete(this.owner);
    this.group = group;
    group?.members.add(this.owner);
  }

  /** The group, unless it was closed meanwhile (then this bufferevent has left it). */
  private liveGroup(): RateLimitGroup | null {
    const g = this.group;
    if (g !== null && g.closed) this.group = null;
    return this.group;
  }

  /** Bytes the next read (READ) or write (WRITE) may move; 0 means wait for a refill. */
  allowance(direction: number): number {
    let n = Infinity;
    if (this.own !== null) {
      this.own.update();
      n = Math.max(0, this.own.levels[direction]);
    }
    const group = this.liveGroup();
    if (group !== null) n = Math.min(n, group.share(direction));
    return n;
  }

  /** `n` bytes moved. */
  took(direction: number, n: number): void {
    if (this.own !== null) {
      this.own.take(direction, n);
      if (this.own.levels[direction] <= 0) this.own.waitForRefill();
    }
    this.liveGroup()?.took(direction, n);
  }

  /** Something is paused for want of allowance: make sure a refill will say so. */
  waitForRefill(): void {
    if (this.own !== null && (this.own.levels[READ] <= 0 || this.own.levels[WRITE] <= 0)) this.own.waitForRefill();
    this.liveGroup()?.waitForRefill();
  }

  ownLevel(direction: number): number {
    if (this.own === null) return Infinity;
    this.own.update();
    return this.own.levels[direction];
  }

  decrement(direction: number, n: number): void {
    if (this.own === null) return;
    this.own.update();
    this.own.take(direction, n);
    if (this.own.levels[direction] <= 0) this.own.waitForRefill();
  }

  close(): void {
    this.own?.close();
    this.own = null;
    this.setGroup(null);
  }
}

export { READ as RATE_READ, WRITE as RATE_WRITE };
