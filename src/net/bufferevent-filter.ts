// A bufferevent that transforms the bytes of another one (libevent's bufferevent_filter_new): an
// input filter turns what the underlying bufferevent read into what the user reads, and an output
// filter turns what the user writes into what the underlying one sends. Framing, compression,
// decoding and the like sit here, and the code above them sees an ordinary bufferevent.
//
// The filter takes the underlying bufferevent's callbacks over. Filters are synchronous, as
// libevent's are: each call moves what it can from `src` to `dst` and says whether it made output
// ("ok"), needs more input first ("need-more"), or met bad data ("error", reported to the event
// callback as BEV.ERROR with the direction). The output filter runs as soon as bytes are written
// (each write() can be one frame); the input filter runs when the underlying bufferevent reads.
// Both stop at the high watermark of what they fill (this read side, the underlying write side),
// so a peer that sends faster than the user reads costs bounded memory.
import { EV } from "../core/flags.ts";
import type { Event } from "../core/event.ts";
import { AbstractBufferEvent, BEV, BEV_FLUSH, SUSPEND_WATERMARK } from "./abstract-bufferevent.ts";
import { EvBuffer } from "./evbuffer.ts";
import type { SyscallError } from "../ffi/mod.ts";
import type { DnsError } from "./dns/message.ts";

/** What a filter call did (libevent's BEV_OK, BEV_NEED_MORE, BEV_ERROR). */
export type FilterResult = "ok" | "need-more" | "error";

/**
 * Moves bytes from `src` to `dst`, transformed, adding at most about `dstLimit` bytes (Infinity: no
 * limit). `mode` is a BEV_FLUSH value: NORMAL may hold a partial unit back, FLUSH and FINISHED
 * should emit everything they can.
 */
export type BufferFilter = (src: EvBuffer, dst: EvBuffer, dstLimit: number, mode: number) => FilterResult;

/** Options of a FilteredBufferEvent. */
export interface FilteredBufferEventOptions {
  /** Close the underlying bufferevent when this one is closed (default true). */
  closeUnderlying?: boolean;
}

/**
 * A filter over another bufferevent: a socket, a pair end, or another filter.
 *
 * @example
 * ```ts
 * import { BufferEvent, type BufferFilter, EventBase, EVLOOP, FilteredBufferEvent, sys } from "evffi";
 *
 * // Length-prefixed frames: each write() becomes one frame on the wire.
 * const frame: BufferFilter = (src, dst) => {
 *   const header = new Uint8Array(4);
 *   new DataView(header.buffer).setUint32(0, src.length);
 *   dst.add(header).addBuffer(src);
 *   return "ok";
 * };
 * const base = new EventBase();
 * const [fd, peer] = sys.socketpair();
 * const framed = new FilteredBufferEvent(new BufferEvent(base, fd), null, frame);
 * framed.write("hello");    // the socket sends 00 00 00 05 h e l l o
 * base.loopSync(EVLOOP.ONCE);
 * console.log(sys.read(peer, 64)!.join(" ")); // prints: 0 0 0 5 104 101 108 108 111
 * framed.close();
 * sys.close(peer);
 * base.close();
 * ```
 */
export class FilteredBufferEvent<U extends AbstractBufferEvent = AbstractBufferEvent> extends AbstractBufferEvent {
  private readonly closeUnderlying: boolean;
  /** Runs the input filter again once the user drained the input below its high watermark. */
  private readonly resumeEvent: Event;
  private inputEnded = false;
  /**
   * The output filter writes here, and the bytes then go to the underlying bufferevent through
   * writeBuffer(), so it sends them as it sends its own writes (batched per iteration), not one
   * syscall per filter call.
   */
  private readonly staging = new EvBuffer();

  /**

   * A bufferevent whose bytes pass through `inputFilter` on the way in and `outputFilter` on the way out.

   *
   * @param underlying the bufferevent the filtered bytes travel through (a socket, a pair end, another filter)
   * @param inputFilter turns the underlying input into this one's input (null: passed as is)
   * @param outputFilter turns this one's output into the underlying output (null: passed as is)
   * @param options whether closing this closes the underlying bufferevent
   */
  constructor(
    readonly underlying: U,
    private readonly inputFilter: BufferFilter | null,
    private readonly outputFilter: BufferFilter | null,
    options: FilteredBufferEventOptions = {},
  ) {
    if (!(underlying instanceof AbstractBufferEvent)) throw new TypeError(`a filter needs an underlying bufferevent, got ${typeof underlying}`);
    if (underlying.closed) throw new Error("the underlying bufferevent is closed");
    for (const [name, f] of [["input", inputFilter], ["output", outputFilter]] as const) {
      if (f !== null && typeof f !== "function") throw new TypeError(`the ${name} filter must be a function or null, got ${typeof f}`);
    }
    super(underlying.base);
    this.closeUnderlying = options.closeUnderlying ?? true;
    this.resumeEvent = this.base.event(-1, 0, () => {
      if (this.isClosed) return;
      if (this.enabled & EV.READ) this.underlying.enable(EV.READ);
      this.processInput(BEV_FLUSH.NORMAL);
    });
    underlying.setCallbacks(
      () => this.processInput(BEV_FLUSH.NORMAL),
      () => this.underlyingDrained(),
      (_u, what, err) => this.underlyingEvent(what, err),
    );
  }

  /**
   * Runs the output filter with `mode` and flushes the underlying bufferevent with it: FLUSH asks
   * the filter for a partial unit too, FINISHED also ends the underlying stream.
   */
  flush(mode: number = BEV_FLUSH.NORMAL): void {
    this.checkLive();
    if (mode === BEV_FLUSH.FINISHED) this.shutdownPending = true;
    this.processOutput(mode);
    if (!this.isClosed) this.underlying.flush(mode);
  }

  /** No more writes: the output filter runs with FINISHED, then the underlying side shuts down. */
  shutdownWrite(): void {
    this.checkLive();
    this.shutdownPending = true;
    this.processOutput(BEV_FLUSH.FINISHED);
    if (!this.isClosed) this.underlying.shutdownWrite();
  }

  /**
   * Sets the timeouts of the underlying bufferevent (a filter has none of its own); its timeout
   * events reach this filter's event callback.
   *
   * @example
   * ```ts
   * const base = new EventBase();
   * const [a, b] = bufferEventPair(base);
   * const framed = new FilteredBufferEvent(a, null, null);
   * framed.setTimeouts(30_000, null); // report TIMEOUT | READING after 30 s without input
   * framed.close();
   * b.close();
   * base.close();
   * ```
   */
  setTimeouts(readMs: number | null, writeMs: number | null): this {
    this.checkLive();
    this.underlying.setTimeouts(readMs, writeMs);
    return this;
  }

  // ---- the vtable -------------------------------------------------------------------------------

  /** enable(what) was called (the enabled bits and the watermark pause are already updated). */
  protected enableHook(what: number): void {
    if (what & EV.READ && this.readSuspended === 0) {
      this.underlying.enable(EV.READ);
      // Bytes the underlying bufferevent read before: filtered at the next iteration, not inside enable().
      if (this.underlying.input.length > 0) this.base.activateLater(this.resumeEvent, EV.READ);
    }
    if (what & EV.WRITE) {
      this.underlying.enable(EV.WRITE);
      this.processOutput(BEV_FLUSH.NORMAL);
    }
  }

  /** disable(what) was called. */
  protected disableHook(what: number): void {
    this.underlying.disable(what & (EV.READ | EV.WRITE));
  }

  /** Bytes were added to the output through write()/writeBuffer(). */
  protected outputQueued(): void {
    this.processOutput(BEV_FLUSH.NORMAL);
  }

  /** Reading was paused: stop polling for it. */
  protected override readingSuspended(): void {
    if (!this.underlying.closed) this.underlying.disable(EV.READ);
  }

  /** Reading may go on: the input fell below the high watermark, or a rate limit refilled. */
  protected readingResumed(): void {
    // Not from here: this runs inside whatever drained the input (often the read callback itself).
    this.base.activateLater(this.resumeEvent, EV.READ);
  }

  /** close(): the underlying bufferevent is closed too, unless closeUnderlying is false. */
  protected closeHook(): void {
    this.resumeEvent.close();
    if (this.underlying.closed) return;
    this.underlying.setCallbacks(null, null, null);
    if (this.closeUnderlying) this.underlying.close();
  }

  // ---- internals -------------------------------------------------------------------------------

  /** Filters what the underlying bufferevent read into this input, then runs the read callback. */
  private processInput(mode: number): void {
    if (this.isClosed || !(this.enabled & EV.READ) || this.readSuspended !== 0) return;
    const src = this.underlying.input;
    const before = this.input.length;
    while (src.length > 0) {
      const limit = this.readHigh > 0 ? this.readHigh - this.input.length : Infinity;
      if (limit <= 0) break;
      const srcBefore = src.length, dstBefore = this.input.length;
      let result: FilterResult;
      if (this.inputFilter === null) {
        src.removeBuffer(this.input, Math.min(limit, src.length));
        result = "ok";
      } else {
        result = this.inputFilter(src, this.input, limit, mode);
      }
      if (result === "error") {
        this.underlying.disable(EV.READ);
        this.enabled &= ~EV.READ;
        this.report(BEV.READING | BEV.ERROR, null);
        return;
      }
      if (result === "need-more" || (src.length === srcBefore && this.input.length === dstBefore)) break;
    }
    if (this.readHigh > 0 && this.input.length >= this.readHigh) this.suspendReading(SUSPEND_WATERMARK);
    if (this.input.length > before) this.triggerRead();
  }

  /** Filters this output into the underlying output, as far as its high watermark allows. */
  private processOutput(mode: number): void {
    if (this.isClosed || !(this.enabled & EV.WRITE) || this.underlying.closed) return;
    const dst = this.staging;
    const high = this.writeHigh;
    // FINISHED and FLUSH run the filter even with nothing buffered: it may hold a partial unit.
    while (this.output.length > 0 || mode !== BEV_FLUSH.NORMAL) {
      const limit = high > 0 ? high - this.underlying.output.length : Infinity;
      if (limit <= 0) break;
      const srcBefore = this.output.length, dstBefore = dst.length;
      let result: FilterResult;
      if (this.outputFilter === null) {
        this.output.removeBuffer(dst, Math.min(limit, this.output.length));
        result = "ok";
      } else {
        result = this.outputFilter(this.output, dst, limit, mode);
      }
      if (result === "error") {
        this.enabled &= ~EV.WRITE;
        this.report(BEV.WRITING | BEV.ERROR, null);
        return;
      }
      const made = dst.length > dstBefore;
      if (dst.length > 0) this.underlying.writeBuffer(dst);
      if (this.isClosed || this.underlying.closed) return;
      if (result === "need-more" || (this.output.length === srcBefore && !made)) break;
      if (mode !== BEV_FLUSH.NORMAL && this.output.length === 0) break;
    }
  }

  /** The underlying output drained to its low watermark: refill it, and tell the user. */
  private underlyingDrained(): void {
    if (this.isClosed) return;
    this.processOutput(BEV_FLUSH.NORMAL);
    this.triggerWrite();
  }

  private underlyingEvent(what: number, err: SyscallError | DnsError | null): void {
    if (this.isClosed) return;
    if (what & BEV.EOF && !this.inputEnded) {
      // Whatever the filter held back for a fuller unit is due now.
      this.inputEnded = true;
      this.processInput(BEV_FLUSH.FINISHED);
      if (this.isClosed) return;
    }
    this.report(what, err);
  }
}
