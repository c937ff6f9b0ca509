// What every kind of bufferevent shares (libevent's struct bufferevent with its bufferevent_ops
// vtable): an input and an output EvBuffer, read/write/event callbacks, enable/disable, watermarks,
// and close. A kind (a socket, one end of an in-memory pair, a filter over another bufferevent)
// supplies how bytes move: the protected hooks below. Code written against AbstractBufferEvent
// works with any of them.
import type { EventBase } from "../core/base.ts";
import { EV } from "../core/flags.ts";
import type { SyscallError } from "../ffi/mod.ts";
import type { DnsError } from "./dns/message.ts";
import { EvBuffer } from "./evbuffer.ts";
import type { EvBufferCallback, EvBufferChange } from "./evbuffer-callback.ts";
import { describeBufferEvent } from "./inspect.ts";
import { printAs } from "../ffi/mod.ts";

/** What the event callback reports (libevent's BEV_EVENT_*). */
export const BEV = Object.freeze({
  READING: 0x01,
  WRITING: 0x02,
  EOF: 0x10,
  ERROR: 0x20,
  TIMEOUT: 0x40,
  CONNECTED: 0x80,
});

/** How much flush() pushes (libevent's BEV_NORMAL, BEV_FLUSH, BEV_FINISHED). */
export const BEV_FLUSH = Object.freeze({
  /** What is buffered, as far as the other side takes it now. */
  NORMAL: 0,
  /** Everything, even bytes a filter would hold back for a fuller frame. */
  FLUSH: 1,
  /** Everything, and then no more: the other side sees the end of the stream. */
  FINISHED: 2,
});

/** A read or write callback; `bev` is the bufferevent it was set on. */
export type DataCallback<B = AbstractBufferEvent> = (bev: B) => void;
/**
 * The event callback: `what` is BEV bits; `error` the failure behind BEV.ERROR, when there is one:
 * the SyscallError of a failed syscall, or the DnsError of a host name connect() could not resolve.
 */
export type StatusCallback<B = AbstractBufferEvent> = (bev: B, what: number, error: SyscallError | DnsError | null) => void;

/** Reading paused because the input reached the high watermark (libevent's BEV_SUSPEND_WM). */
export const SUSPEND_WATERMARK = 1;
/** ...because a rate limit's bucket is empty (BEV_SUSPEND_BW, BEV_SUSPEND_BW_GROUP). */
export const SUSPEND_RATE = 2;

/**
 * The shared part of every bufferevent. Subclasses: `BufferEvent` (a socket or pipe),
 * `PairedBufferEvent` (one end of `bufferEventPair()`), `FilteredBufferEvent` (a transform over
 * another bufferevent).
 *
 * @example
 * ```ts
 * function echo(bev: AbstractBufferEvent): void {   // a socket, a pair end or a filter alike
 *   bev.setCallbacks((b) => b.writeBuffer(b.input), null, (b, what) => (what & (BEV.EOF | BEV.ERROR)) && b.close());
 *   bev.enable(EV.READ);
 * }
 *
 * const base = new EventBase();
 * const [client, server] = bufferEventPair(base);
 * echo(server);
 * client.setCallbacks((b) => { console.log(b.input.toString()); b.close(); }).enable(EV.READ);
 * client.write("ping");
 * base.loopSync(); // prints: ping
 * base.close();
 * ```
 */
export abstract class AbstractBufferEvent {
  /** Bytes received and not yet consumed. */
  readonly input: EvBuffer = new EvBuffer();
  /** Bytes queued for sending. */
  readonly output: EvBuffer = new EvBuffer();
  // Typed for the base class, so every kind stays assignable to it; setCallbacks() takes `this`'s type.
  /** The read callback (setCallbacks), typed for the base class so every kind stays assignable to it. */
  protected readCb: DataCallback | null = null;
  /** The write callback (setCallbacks). */
  protected writeCb: DataCallback | null = null;
  /** The event callback (setCallbacks). */
  protected eventCb: StatusCallback | null = null;
  /** The enabled directions (EV.READ, EV.WRITE): writing is enabled from the start, as in libevent. */
  protected enabled: number = EV.WRITE;
  /** Read low watermark: the read callback waits for this many bytes (0: any). */
  protected readLow = 0;
  /** Read high watermark: reading pauses while the input holds this many bytes (0: no limit). */
  protected readHigh = 0;
  /** Write low watermark: the write callback runs once the output drains to this many bytes. */
  protected writeLow = 0;
  /** Write high watermark (kept for getWatermark; a filter uses it to limit what it passes on). */
  protected writeHigh = 0;
  /** SUSPEND_WATERMARK | SUSPEND_RATE: why reading is paused (0: it is not). */
  protected readSuspended = 0;
  /** shutdownWrite() was called: no more writes. */
  protected shutdownPending = false;
  /** close() was called. */
  protected isClosed = false;
  /**
   * While reading is paused at the high watermark: a change callback on the input, so that bytes
   * taken from it by any means (input.drain(), removeBuffer(), ...) resume reading, as libevent's
   * input-buffer callback does. Registered only while paused: the input costs nothing extra otherwise.
   */
  private inputWatch: EvBufferCallback | null = null;

  /**

   * A bufferevent on `base`, with empty buffers, writing enabled and reading not (call enable(EV.READ)).

   *

   * @param base the base whose loop runs this bufferevent's callbacks

   */
  constructor(readonly base: EventBase) {}

  /** Sets the callbacks (null removes one). Returns this. */
  setCallbacks(read: DataCallback<this> | null, write: DataCallback<this> | null = null, event: StatusCallback<this> | null = null): this {
    for (const [name, cb] of [["read", read], ["write", write], ["event", event]] as const) {
      if (cb !== null && typeof cb !== "function") throw new TypeError(`the ${name} callback must be a function or null, got ${typeof cb}`);
    }
    this.readCb = read as DataCallback | null;
    this.writeCb = write as DataCallback | null;
    this.eventCb = event as StatusCallback | null;
    return this;
  }

  /** Starts reading and/or writing (EV.READ | EV.WRITE). Writing is enabled from the start. */
  enable(what: number): this {
    this.checkLive();
    this.enabled |= what & (EV.READ | EV.WRITE);
    if (what & EV.READ) {
      if (this.readHigh > 0 && this.input.length >= this.readHigh) this.suspendReading(SUSPEND_WATERMARK);
      else this.readSuspended &= ~SUSPEND_WATERMARK;
    }
    this.enableHook(what);
    return this;
  }

  /** Stops reading and/or writing. */
  disable(what: number): this {
    this.checkLive();
    this.enabled &= ~what;
    this.disableHook(what);
    return this;
  }

  /** Which of EV.READ / EV.WRITE are enabled. */
  get enabledEvents(): number {
    return this.enabled;
  }

  /**
   * Watermarks. EV.READ: the read callback runs once `low` bytes are buffered, and reading pauses
   * while `high` (if nonzero) are buffered, so a slow consumer cannot grow memory without bound.
   * EV.WRITE: the write callback runs after a write leaves `low` bytes or fewer in the output
   * (`high` is kept for filters: a filter stops filling the underlying output above it).
   */
  setWatermark(what: number, low: number, high = 0): this {
    for (const [name, v] of [["low", low], ["high", high]] as const) {
      if (!Number.isInteger(v) || v < 0) throw new RangeError(`${name} watermark must be a non-negative integer, got ${String(v)}`);
    }
    if (what & EV.READ) {
      this.readLow = low;
      this.readHigh = high && high < low ? low : high;
      this.maybeResumeReading();
    }
    if (what & EV.WRITE) {
      this.writeLow = low;
      this.writeHigh = high && high < low ? low : high;
    }
    return this;
  }

  /**
   * The watermarks of EV.READ or EV.WRITE (libevent's bufferevent_getwatermark).
   *
   * @example
   * ```ts
   * const base = new EventBase();
   * const [bev, peer] = bufferEventPair(base);
   * bev.setWatermark(EV.READ, 4, 65536);
   * console.log(JSON.stringify(bev.getWatermark(EV.READ))); // prints: {"low":4,"high":65536}
   * bev.close();
   * peer.close();
   * base.close();
   * ```
   */
  getWatermark(what: number): { low: number; high: number } {
    if (what === EV.READ) return { low: this.readLow, high: this.readHigh };
    if (what === EV.WRITE) return { low: this.writeLow, high: this.writeHigh };
    throw new RangeError(`getWatermark takes EV.READ or EV.WRITE, got ${String(what)}`);
  }

  /** Queues bytes for sending. */
  write(data: Uint8Array | string): this {
    this.checkLive();
    if (this.shutdownPending) throw new Error("cannot write after shutdownWrite()");
    this.output.add(data);
    this.outputQueued();
    return this;
  }

  /** Moves all of `buffer`'s bytes to the output (no copy) and sends them. */
  writeBuffer(buffer: EvBuffer): this {
    this.checkLive();
    if (this.shutdownPending) throw new Error("cannot write after shutdownWrite()");
    this.output.addBuffer(buffer);
    if (buffer === this.input) this.maybeResumeReading();
    this.outputQueued();
    return this;
  }

  /** Removes and returns up to `n` bytes of input (all by default). */
  read(n = this.input.length): Uint8Array {
    const out = this.input.remove(Math.min(n, this.input.length));
    this.maybeResumeReading();
    return out;
  }

  /** Drops `n` bytes of input. */
  drainInput(n: number): void {
    this.input.drain(n);
    this.maybeResumeReading();
  }

  /**
   * Pushes what is buffered now (libevent's bufferevent_flush). `mode` is BEV_FLUSH.NORMAL (the
   * default), FLUSH (a filter emits even a partial frame) or FINISHED (and then the end of the stream).
   */
  abstract flush(mode?: number): void;

  /** Half-close: no more writes; the other side sees the end of the stream once the output drains. */
  abstract shutdownWrite(): void;

  /**
   * Per-direction timeouts in ms (null: none): the event callback gets BEV.TIMEOUT | READING when
   * reading is enabled and nothing arrives for `readMs`, BEV.TIMEOUT | WRITING when output waits
   * and nothing goes out for `writeMs`; that direction is then disabled (enable() it to go on).
   */
  abstract setTimeouts(readMs: number | null, writeMs: number | null): this;

  /** Same as close(), for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Releases the bufferevent (what else goes depends on the kind: its fd, its partner's link, ...). */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.inputWatch?.remove();
    this.inputWatch = null;
    this.closeHook();
    this.input.drain(this.input.length);
    this.output.drain(this.output.length);
  }

  /** Whether close() was called. */
  get closed(): boolean {
    return this.isClosed;
  }

  // ---- the vtable: what a kind of bufferevent provides --------------------------------------------

  /** enable(what) was called (the enabled bits and the watermark pause are already updated). */
  protected abstract enableHook(what: number): void;
  /** disable(what) was called. */
  protected abstract disableHook(what: number): void;
  /** Bytes were added to the output through write()/writeBuffer(). */
  protected abstract outputQueued(): void;
  /** Reading may go on: the input fell below the high watermark, or a rate limit refilled. */
  protected abstract readingResumed(): void;
  /** close(): release what this kind holds (its events, fd, partner...); the buffers are drained after. */
  protected abstract closeHook(): void;

  // ---- shared machinery ---------------------------------------------------------------------------

  /** Throws if the bufferevent was closed. */
  protected checkLive(): void {
    if (this.isClosed) throw new Error("this bufferevent is closed");
  }

  /** Pauses reading for `reason`; a watermark pause watches the input for bytes taken out. */
  protected suspendReading(reason: number): void {
    this.readSuspended |= reason;
    if (reason === SUSPEND_WATERMARK) this.inputWatch ??= this.input.addCallback(this.onInputChange);
    this.readingSuspended();
  }

  /** Reading was paused: a kind that polls an fd stops polling. */
  protected readingSuspended(): void {}

  /** Lifts `reason`; when nothing else holds reading back, it goes on. */
  protected resumeReading(reason: number): void {
    if ((this.readSuspended & reason) === 0) return;
    this.readSuspended &= ~reason;
    if (reason === SUSPEND_WATERMARK) {
      this.inputWatch?.remove();
      this.inputWatch = null;
    }
    if (this.readSuspended === 0 && !this.isClosed) this.readingResumed();
  }

  /** Resumes reading if the input has fallen below the high watermark. */
  protected maybeResumeReading(): void {
    if (this.readSuspended & SUSPEND_WATERMARK && (this.readHigh === 0 || this.input.length < this.readHigh)) {
      this.resumeReading(SUSPEND_WATERMARK);
    }
  }

  private readonly onInputChange = (_input: EvBuffer, change: EvBufferChange): void => {
    if (change.deleted > 0) this.maybeResumeReading();
  };

  /** Runs the read callback if the input reached the low watermark. */
  protected triggerRead(): void {
    if (this.readCb !== null && this.input.length >= this.readLow && !this.isClosed) this.readCb(this);
  }

  /** Runs the write callback if the output is at or below the low watermark. */
  protected triggerWrite(): void {
    if (this.writeCb !== null && this.output.length <= this.writeLow && !this.isClosed) this.writeCb(this);
  }

  /** Tells the event callback; with none, an EOF, error or timeout closes the bufferevent. */
  protected report(what: number, err: SyscallError | DnsError | null): void {
    if (this.eventCb) this.eventCb(this, what, err);
    else if (what & (BEV.ERROR | BEV.EOF | BEV.TIMEOUT)) this.close();
  }
}

printAs(AbstractBufferEvent, describeBufferEvent);
