// Two bufferevents joined in memory (libevent's bufferevent_pair_new): what one end writes, the
// other end reads, with no fd and no syscall. Useful to test protocol code without sockets, and to
// connect two components of one program through the bufferevent API.
//
// Bytes move at the start of the next loop iteration after they are written (as a socket
// BufferEvent flushes), never inside write(): callbacks do not nest, and a write inside a read
// callback is delivered after that callback returns. Chunks are relinked (removeBuffer), not
// copied. The receiving end's high watermark bounds what is moved: the rest waits in the sender's
// output until the receiver drains its input, so a slow consumer holds the producer's write
// callback back exactly as a full socket would.
import type { EventBase } from "../core/base.ts";
import type { Event } from "../core/event.ts";
import { EV } from "../core/flags.ts";
import { AbstractBufferEvent, BEV, BEV_FLUSH, SUSPEND_WATERMARK } from "./abstract-bufferevent.ts";

/**
 * One end of a pair made by `bufferEventPair()`.
 *
 * @example
 * ```ts
 * const base = new EventBase();
 * const [client, server] = bufferEventPair(base);
 * server.setCallbacks((b) => b.writeBuffer(b.input)).enable(EV.READ);   // an echo
 * client.setCallbacks((b) => {
 *   console.log(new TextDecoder().decode(b.read())); // prints: ping
 *   b.close();
 *   server.close();
 * }).enable(EV.READ);
 * client.write("ping");
 * await base.loop();
 * base.close();
 * ```
 */
export class PairedBufferEvent extends AbstractBufferEvent {
  private partnerEnd: PairedBufferEvent | null = null;
  /** Moves this end's output to the partner's input (activated for the next iteration). */
  private readonly transferEvent: Event;
  private transferScheduled = false;
  /** shutdownWrite()/flush(FINISHED): the partner is told EOF once the output has gone over. */
  private eofToSend = false;
  private readTimeout: number | null = null;
  private writeTimeout: number | null = null;
  /** Timers for setTimeouts(): with no fd, nothing else notices that nothing moved. */
  private readTimer: Event | null = null;
  private writeTimer: Event | null = null;

  /** @internal Made in twos by bufferEventPair(). */
  constructor(base: EventBase) {
    super(base);
    this.transferEvent = base.event(-1, 0, () => {
      this.transferScheduled = false;
      this.transfer();
    });
  }

  /** The other end, or null once either end is closed (libevent's bufferevent_pair_get_partner). */
  get partner(): PairedBufferEvent | null {
    return this.partnerEnd;
  }

  /** @internal */
  static link(a: PairedBufferEvent, b: PairedBufferEvent): void {
    a.partnerEnd = b;
    b.partnerEnd = a;
  }

  /**
   * Moves the output to the partner now (FLUSH and NORMAL are the same for a pair); FINISHED then
   * ends the stream: the partner gets BEV.EOF | BEV.READING once everything went over.
   */
  flush(mode: number = BEV_FLUSH.NORMAL): void {
    this.checkLive();
    if (mode === BEV_FLUSH.FINISHED) {
      this.eofToSend = true;
      this.shutdownPending = true;
    }
    this.transfer();
  }

  /** No more writes; the partner gets BEV.EOF | BEV.READING after the bytes already written. */
  shutdownWrite(): void {
    this.checkLive();
    this.shutdownPending = true;
    this.eofToSend = true;
    this.scheduleTransfer();
  }

  /**
   * Per-direction timeouts in ms (null: none), kept by timers since a pair has no fd: reading times
   * out when it is enabled (and not paused at the high watermark) and nothing arrives for `readMs`;
   * writing when output waits and none of it moves for `writeMs`.
   *
   * @example
   * ```ts
   * const base = new EventBase();
   * const [a, b] = bufferEventPair(base);
   * b.setCallbacks(null, null, (end, what) => {
   *   if (what & BEV.TIMEOUT) console.log("a stayed silent"); // prints: a stayed silent
   *   end.close();
   *   a.close();
   * });
   * b.setTimeouts(10, null).enable(EV.READ);   // TIMEOUT | READING if a stays silent for 10 ms
   * base.loopSync();
   * base.close();
   * ```
   */
  setTimeouts(readMs: number | null, writeMs: number | null): this {
    this.checkLive();
    for (const [name, v] of [["readMs", readMs], ["writeMs", writeMs]] as const) {
      if (v !== null && (typeof v !== "number" || !(v >= 0) || !Number.isFinite(v))) throw new RangeError(`${name} must be a non-negative number or null, got ${String(v)}`);
    }
    this.readTimeout = readMs;
    this.writeTimeout = writeMs;
    this.armReadTimer();
    this.armWriteTimer(true);
    return this;
  }

  // ---- the vtable -------------------------------------------------------------------------------

  /** enable(what) was called (the enabled bits and the watermark pause are already updated). */
  protected enableHook(what: number): void {
    if (what & EV.WRITE) {
      this.scheduleTransfer();
      this.armWriteTimer(false);
    }
    if (what & EV.READ) {
      this.partnerEnd?.scheduleTransfer();
      this.armReadTimer();
    }
  }

  /** disable(what) was called. */
  protected disableHook(what: number): void {
    // Nothing polls: a disabled direction simply is not moved (transfer() checks both ends).
    if (what & EV.READ) this.readTimer?.del();
    if (what & EV.WRITE) this.writeTimer?.del();
  }

  /** Bytes were added to the output through write()/writeBuffer(). */
  protected outputQueued(): void {
    this.scheduleTransfer();
    this.armWriteTimer(false);
  }

  /** Reading was paused: stop polling for it. */
  protected override readingSuspended(): void {
    this.readTimer?.del(); // paused by our own watermark: not the peer's silence
  }

  /** Reading may go on: the input fell below the high watermark, or a rate limit refilled. */
  protected readingResumed(): void {
    this.partnerEnd?.scheduleTransfer();
    this.armReadTimer();
  }

  /**
   * Unlinks the pair. Unlike libevent, where the surviving end hears nothing, the partner gets
   * BEV.EOF | BEV.READING at the next iteration, as a socket's peer would, so it can clean up.
   */
  protected closeHook(): void {
    this.transferEvent.close();
    this.readTimer?.close();
    this.writeTimer?.close();
    const partner = this.partnerEnd;
    if (partner === null) return;
    this.partnerEnd = null;
    partner.partnerEnd = null;
    // Bytes already moved stay in the partner's input; what this end had not sent is dropped.
    this.base.once(-1, EV.TIMEOUT, () => {
      if (!partner.closed) partner.report(BEV.EOF | BEV.READING, null);
    });
  }

  // ---- internals -------------------------------------------------------------------------------

  /** (Re)starts the read timeout while reading is on; called again whenever bytes arrive. */
  private armReadTimer(): void {
    if (this.readTimeout === null || !(this.enabled & EV.READ) || this.readSuspended !== 0 || this.isClosed) {
      this.readTimer?.del();
      return;
    }
    this.readTimer ??= this.base.event(-1, 0, () => {
      this.enabled &= ~EV.READ;
      this.report(BEV.TIMEOUT | BEV.READING, null);
    });
    this.readTimer.add(this.readTimeout);
  }

  /** Starts the write timeout while output waits (`restart`: also when it already runs, after progress). */
  private armWriteTimer(restart: boolean): void {
    if (this.writeTimeout === null || !(this.enabled & EV.WRITE) || this.output.length === 0 || this.isClosed) {
      this.writeTimer?.del();
      return;
    }
    this.writeTimer ??= this.base.event(-1, 0, () => {
      this.enabled &= ~EV.WRITE;
      this.report(BEV.TIMEOUT | BEV.WRITING, null);
    });
    if (restart || !this.writeTimer.isPending) this.writeTimer.add(this.writeTimeout);
  }

  private scheduleTransfer(): void {
    if (this.transferScheduled || this.isClosed) return;
    this.transferScheduled = true;
    this.base.activateLater(this.transferEvent, EV.WRITE);
  }

  /**
   * Moves as much of the output as the partner's high watermark allows into its input, then runs
   * the partner's read callback and this end's write callback (libevent's be_pair_transfer).
   */
  private transfer(): void {
    if (this.isClosed) return;
    const partner = this.partnerEnd;
    if (partner === null) {
      if (this.output.length > 0) {
        // Nobody reads: drop the bytes (memory stays bounded) and say so once.
        this.output.drain(this.output.length);
        this.enabled &= ~EV.WRITE;
        this.report(BEV.WRITING | BEV.EOF, null);
      }
      return;
    }
    if (!(this.enabled & EV.WRITE) || !(partner.enabled & EV.READ)) return;
    let n = this.output.length;
    let moved = 0;
    if (n > 0) {
      if (partner.readHigh > 0) {
        const room = partner.readHigh - partner.input.length;
        if (room <= 0) {
          partner.suspendReading(SUSPEND_WATERMARK); // its input drained resumes us (readingResumed)
          return;
        }
        if (n > room) n = room;
      }
      moved = this.output.removeBuffer(partner.input, n);
      if (partner.readHigh > 0 && partner.input.length >= partner.readHigh) partner.suspendReading(SUSPEND_WATERMARK);
    }
    if (moved > 0) {
      partner.armReadTimer();
      this.armWriteTimer(true);
    }
    const finished = this.eofToSend && this.output.length === 0;
    if (finished) this.eofToSend = false;
    try {
      if (moved > 0) partner.triggerRead();
    } finally {
      if (moved > 0) this.triggerWrite();
      if (finished && !partner.closed) partner.report(BEV.EOF | BEV.READING, null);
    }
  }
}

/**
 * Two connected in-memory bufferevents (libevent's bufferevent_pair_new): bytes written to one
 * end arrive in the other's input. Both ends have the whole AbstractBufferEvent API (callbacks,
 * enable/disable, watermarks, read/write, flush, shutdownWrite, close).
 *
 * @example
 * ```ts
 * const base = new EventBase();
 * const [a, b] = bufferEventPair(base);
 * b.setCallbacks((end) => console.log(end.read().length)).enable(EV.READ);
 * a.write("12345");     // b's read callback sees 5 bytes in the next iteration
 * base.loopSync(EVLOOP.ONCE); // prints: 5
 * a.close();
 * b.close();
 * base.close();
 * ```
 */
export function bufferEventPair(base: EventBase): [PairedBufferEvent, PairedBufferEvent] {
  const a = new PairedBufferEvent(base);
  const b = new PairedBufferEvent(base);
  PairedBufferEvent.link(a, b);
  return [a, b];
}
