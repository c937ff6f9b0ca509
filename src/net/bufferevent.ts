// A buffered socket (libevent's bufferevent_socket): an input and an output EvBuffer over one fd,
// read and write callbacks driven by watermarks, an event callback for EOF / errors / timeouts /
// connect completion, per-direction timeouts and half-close.
//
// Writes are not sent one syscall per write(): output written during the read callback is
// flushed right after it returns (one send or writev per request/response round), and output written
// anywhere else is flushed at the start of the next loop iteration (through the base's
// active-later queue). Only when the socket buffer is full does the fd wait for EV.WRITE.
import { Errno, SyscallError, constants as C, errnoCell, libc, sys } from "../ffi/mod.ts";
import type { EventBase } from "../core/base.ts";
import type { Event } from "../core/event.ts";
import { EV } from "../core/flags.ts";
import { EvBuffer } from "./evbuffer.ts";
import { type AddressSpec, type SocketAddress, domainOf, encodeAddress, resolveAddress } from "../ffi/sockaddr.ts";

/** What the event callback reports (libevent's BEV_EVENT_*). */
export const BEV = Object.freeze({
  READING: 0x01,
  WRITING: 0x02,
  EOF: 0x10,
  ERROR: 0x20,
  TIMEOUT: 0x40,
  CONNECTED: 0x80,
});

export type DataCallback = (bev: BufferEvent) => void;
export type StatusCallback = (bev: BufferEvent, what: number, error: SyscallError | null) => void;

export interface BufferEventOptions {
  /** Close the fd when the bufferevent is closed (default true). */
  closeFd?: boolean;
}

/** Bytes asked of one read when no high watermark limits it. */
const READ_CHUNK = 256 * 1024;
// getsockopt(SO_ERROR) scratch, shared: a typed array per call costs over 1 us on Deno.
const soError = new Int32Array(1);
const soErrorLength = new Uint32Array(1);

export class BufferEvent {
  /** Bytes received and not yet consumed. */
  readonly input = new EvBuffer();
  /** Bytes queued for sending. */
  readonly output = new EvBuffer();
  private fdValue: number;
  private readEvent: Event | null = null;
  private writeEvent: Event | null = null;
  private readonly flushEvent: Event;
  private readCb: DataCallback | null = null;
  private writeCb: DataCallback | null = null;
  private eventCb: StatusCallback | null = null;
  private enabled = EV.WRITE;
  private readLow = 0;
  private readHigh = 0;
  private writeLow = 0;
  private readTimeout: number | null = null;
  private writeTimeout: number | null = null;
  /** Reading is paused because the input reached the high watermark. */
  private readSuspended = false;
  private inReadCallback = false;
  private flushScheduled = false;
  private shutdownPending = false;
  private connecting = false;
  private isClosed = false;
  private readonly closeFd: boolean;

  /** Wraps a connected, non-blocking socket `fd` (or -1, to `connect()` later). */
  constructor(readonly base: EventBase, fd: number, options: BufferEventOptions = {}) {
    if (!Number.isInteger(fd) || fd < -1) throw new RangeError(`fd must be an integer >= -1, got ${String(fd)}`);
    this.fdValue = fd;
    this.closeFd = options.closeFd ?? true;
    this.flushEvent = base.event(-1, 0, () => this.flushNow());
    if (fd >= 0) this.attach(fd);
  }

  /** The socket, or -1 before connect(). */
  get fd(): number {
    return this.fdValue;
  }

  private attach(fd: number): void {
    this.fdValue = fd;
    this.readEvent = this.base.event(fd, EV.READ | EV.PERSIST, (_fd, what) => this.onReadable(what));
    this.writeEvent = this.base.event(fd, EV.WRITE | EV.PERSIST, (_fd, what) => this.onWritable(what));
  }

  /** Sets the callbacks (null removes one). Returns this. */
  setCallbacks(read: DataCallback | null, write: DataCallback | null = null, event: StatusCallback | null = null): this {
    this.readCb = read;
    this.writeCb = write;
    this.eventCb = event;
    return this;
  }

  /** Starts reading and/or writing (EV.READ | EV.WRITE). Writing is enabled from the start. */
  enable(what: number): this {
    this.checkLive();
    this.enabled |= what & (EV.READ | EV.WRITE);
    if (what & EV.READ) {
      this.readSuspended = this.readHigh > 0 && this.input.length >= this.readHigh;
      this.armRead();
    }
    if (what & EV.WRITE && this.output.length > 0) this.scheduleFlush();
    return this;
  }

  /** Stops reading and/or writing. */
  disable(what: number): this {
    this.checkLive();
    this.enabled &= ~what;
    if (what & EV.READ) this.readEvent?.del();
    if (what & EV.WRITE) this.writeEvent?.del();
    return this;
  }

  /** Which of EV.READ / EV.WRITE are enabled. */
  get enabledEvents(): number {
    return this.enabled;
  }

  /**
   * Watermarks. EV.READ: the read callback runs once `low` bytes are buffered, and reading pauses
   * while `high` (if nonzero) are buffered, so a slow consumer cannot grow memory without bound.
   * EV.WRITE: the write callback runs when the output drains to `low` bytes or fewer.
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
    if (what & EV.WRITE) this.writeLow = low;
    return this;
  }

  /** Per-direction timeouts in ms (null: none). The event callback gets TIMEOUT|READING or TIMEOUT|WRITING. */
  setTimeouts(readMs: number | null, writeMs: number | null): this {
    this.readTimeout = readMs;
    this.writeTimeout = writeMs;
    if (this.enabled & EV.READ && !this.readSuspended) this.armRead();
    if (this.writeEvent?.isPending) this.writeEvent.add(writeMs);
    return this;
  }

  /** Queues bytes for sending. */
  write(data: Uint8Array | string): this {
    this.checkLive();
    if (this.shutdownPending) throw new Error("cannot write after shutdownWrite()");
    this.output.add(data);
    this.scheduleFlush();
    return this;
  }

  /** Moves all of `buffer`'s bytes to the output (no copy) and sends them. */
  writeBuffer(buffer: EvBuffer): this {
    this.checkLive();
    if (this.shutdownPending) throw new Error("cannot write after shutdownWrite()");
    this.output.addBuffer(buffer);
    if (buffer === this.input) this.maybeResumeReading();
    this.scheduleFlush();
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

  /** Sends what is buffered now, as far as the socket takes it (libevent's bufferevent_flush). */
  flush(): void {
    this.checkLive();
    this.flushNow();
  }

  /** Half-close: shuts the write side down once everything queued has been sent. */
  shutdownWrite(): void {
    this.checkLive();
    this.shutdownPending = true;
    if (this.output.length === 0) this.doShutdown();
    else this.scheduleFlush();
  }

  /**
   * Connects to `address` ({ port, host? } with a numeric IPv4/IPv6 host, or { path }). The event
   * callback receives CONNECTED, or ERROR with the errno (ECONNREFUSED, ...).
   */
  connect(address: AddressSpec | SocketAddress): this {
    this.checkLive();
    if (this.fdValue >= 0) throw new Error("this bufferevent already has a socket");
    const addr = resolveAddress(address);
    const fd = sys.streamSocket(domainOf(addr));
    this.attach(fd);
    const { bytes, length } = encodeAddress(addr);
    if (libc.connect(fd, bytes, length) === 0) {
      this.base.once(-1, EV.TIMEOUT, () => this.connected(null));
      return this;
    }
    const errno = errnoCell[0];
    if (errno !== Errno.EINPROGRESS && errno !== Errno.EAGAIN) {
      const err = new SyscallError("connect", errno, [fd, addr]);
      this.base.once(-1, EV.TIMEOUT, () => this.connected(err));
      return this;
    }
    this.connecting = true;
    this.writeEvent!.add(this.writeTimeout);
    return this;
  }

  /** Same as close(), for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Releases the bufferevent: its events, its buffers, and the fd unless closeFd was false. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.readEvent?.close();
    this.writeEvent?.close();
    this.flushEvent.close();
    this.input.drain(this.input.length);
    this.output.drain(this.output.length);
    if (this.closeFd && this.fdValue >= 0) libc.close(this.fdValue);
  }

  /** Whether free() was called. */
  get closed(): boolean {
    return this.isClosed;
  }

  // ---- internals -------------------------------------------------------------------------------

  private checkLive(): void {
    if (this.isClosed) throw new Error("this bufferevent is closed");
  }

  private armRead(): void {
    if (!this.readEvent || this.isClosed) return;
    if (this.enabled & EV.READ && !this.readSuspended) this.readEvent.add(this.readTimeout);
    else this.readEvent.del();
  }

  private maybeResumeReading(): void {
    if (this.readSuspended && (this.readHigh === 0 || this.input.length < this.readHigh)) {
      this.readSuspended = false;
      this.armRead();
    }
  }

  private onReadable(what: number): void {
    if (what & EV.TIMEOUT) {
      this.readEvent!.del();
      this.enabled &= ~EV.READ;
      this.report(BEV.READING | BEV.TIMEOUT, null);
      return;
    }
    const room = this.readHigh > 0 ? this.readHigh - this.input.length : READ_CHUNK;
    if (room <= 0) {
      this.readSuspended = true;
      this.readEvent!.del();
      return;
    }
    let n: number;
    try {
      n = this.input.readSocket(this.fdValue, Math.min(room, READ_CHUNK));
    } catch (err) {
      this.readEvent!.del();
      this.enabled &= ~EV.READ;
      this.report(BEV.READING | BEV.ERROR, err as SyscallError);
      return;
    }
    if (n === -1) return; // EAGAIN: a spurious wakeup
    if (n === 0) {
      // A reset the backend already took from the kernel (libkqueue) reads as a plain EOF. Ask
      // before the delete below, which may drop the fd's record and the error with it.
      const taken = this.base.takeSocketError(this.fdValue);
      this.readEvent!.del();
      this.enabled &= ~EV.READ;
      if (taken !== 0) this.report(BEV.READING | BEV.ERROR, new SyscallError("recv", taken, [this.fdValue]));
      else this.report(BEV.READING | BEV.EOF, null);
      return;
    }
    if (this.readHigh > 0 && this.input.length >= this.readHigh) {
      this.readSuspended = true;
      this.readEvent!.del();
    }
    if (this.input.length >= this.readLow && this.readCb) {
      this.inReadCallback = true;
      try {
        this.readCb(this);
      } finally {
        this.inReadCallback = false;
      }
      if (this.isClosed) return;
      this.maybeResumeReading();
      // Answer in the same iteration: one send (or writev) for whatever the callback queued.
      if (this.flushScheduled) this.flushNow();
    }
  }

  private onWritable(what: number): void {
    if (this.connecting) {
      this.connecting = false;
      // An error the backend already took from the kernel (libkqueue); asked before the delete,
      // which may drop the fd's record.
      const taken = this.base.takeSocketError(this.fdValue);
      this.writeEvent!.del();
      if (what & EV.TIMEOUT) {
        this.report(BEV.WRITING | BEV.TIMEOUT, null);
        return;
      }
      soErrorLength[0] = 4;
      soError[0] = 0;
      libc.getsockopt(this.fdValue, C.SOL_SOCKET, C.SO_ERROR, soError, soErrorLength);
      const errno = soError[0] || taken;
      this.connected(errno ? new SyscallError("connect", errno, [this.fdValue]) : null);
      return;
    }
    if (what & EV.TIMEOUT) {
      this.writeEvent!.del();
      this.enabled &= ~EV.WRITE;
      this.report(BEV.WRITING | BEV.TIMEOUT, null);
      return;
    }
    this.flushNow();
  }

  private connected(err: SyscallError | null): void {
    if (this.isClosed) return;
    if (err) {
      this.report(BEV.ERROR, err);
      return;
    }
    this.report(BEV.CONNECTED, null);
    if (this.isClosed) return;
    if (this.enabled & EV.READ) this.armRead();
    if (this.output.length) this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.connecting || this.fdValue < 0 || !(this.enabled & EV.WRITE)) return;
    if (this.writeEvent!.isPending) return; // already waiting for EV.WRITE
    this.flushScheduled = true;
    if (!this.inReadCallback) this.base.activateLater(this.flushEvent, EV.WRITE);
  }

  /** Writes as much output as the socket takes; waits for EV.WRITE for the rest. */
  private flushNow(): void {
    this.flushScheduled = false;
    if (this.isClosed || this.connecting || this.fdValue < 0) return;
    let n = 0;
    if (this.output.length > 0) {
      try {
        n = this.output.writeSocket(this.fdValue);
      } catch (err) {
        this.writeEvent!.del();
        this.enabled &= ~EV.WRITE;
        this.report(BEV.WRITING | BEV.ERROR, err as SyscallError);
        return;
      }
    }
    if (this.output.length > 0) {
      if (!this.writeEvent!.isPending) this.writeEvent!.add(this.writeTimeout);
      // As libevent: the write callback runs once the output is down to the low watermark, not
      // only when it is empty, so a producer can refill before the socket runs dry.
      if (this.writeCb && this.output.length <= this.writeLow && n > 0) this.writeCb(this);
      return;
    }
    if (this.writeEvent!.isPending) this.writeEvent!.del();
    if (this.shutdownPending) this.doShutdown();
    if (this.writeCb && this.output.length <= this.writeLow) this.writeCb(this);
  }

  private doShutdown(): void {
    this.shutdownPending = false;
    if (libc.shutdown(this.fdValue, C.SHUT_WR) === -1 && errnoCell[0] !== Errno.ENOTCONN) {
      this.report(BEV.WRITING | BEV.ERROR, new SyscallError("shutdown", errnoCell[0], [this.fdValue, "SHUT_WR"]));
    }
  }

  private report(what: number, err: SyscallError | null): void {
    if (this.eventCb) this.eventCb(this, what, err);
    else if (what & (BEV.ERROR | BEV.EOF | BEV.TIMEOUT)) this.close();
  }
}
