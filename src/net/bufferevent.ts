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
import {
  AbstractBufferEvent, BEV, BEV_FLUSH, type DataCallback as BaseDataCallback, SUSPEND_WATERMARK,
  type StatusCallback as BaseStatusCallback,
} from "./abstract-bufferevent.ts";
import { type AddressSpec, type SocketAddress, domainOf, encodeAddress, resolveAddress } from "../ffi/sockaddr.ts";

export { BEV, BEV_FLUSH } from "./abstract-bufferevent.ts";

/** The read/write callback of a socket BufferEvent. */
export type DataCallback = BaseDataCallback<BufferEvent>;
/** The event callback of a socket BufferEvent. */
export type StatusCallback = BaseStatusCallback<BufferEvent>;

export interface BufferEventOptions {
  /** Close the fd when the bufferevent is closed (default true). */
  closeFd?: boolean;
}

/** Bytes asked of one read when no high watermark limits it. */
const READ_CHUNK = 256 * 1024;
// getsockopt(SO_ERROR) scratch, shared: a typed array per call costs over 1 us on Deno.
const soError = new Int32Array(1);
const soErrorLength = new Uint32Array(1);

/**
 * A buffered socket (or pipe, or tty): libevent's bufferevent_socket.
 *
 * @example
 * ```ts
 * const bev = new BufferEvent(base, fd);
 * bev.setCallbacks((b) => b.writeBuffer(b.input), null, (b, what) => (what & (BEV.EOF | BEV.ERROR)) && b.close());
 * bev.enable(EV.READ);
 * ```
 */
export class BufferEvent extends AbstractBufferEvent {
  private fdValue: number;
  private readEvent: Event | null = null;
  private writeEvent: Event | null = null;
  private readonly flushEvent: Event;
  private readTimeout: number | null = null;
  private writeTimeout: number | null = null;
  private inReadCallback = false;
  private flushScheduled = false;
  private connecting = false;
  private readonly closeFd: boolean;

  /** Wraps a connected, non-blocking socket `fd` (or -1, to `connect()` later). */
  constructor(base: EventBase, fd: number, options: BufferEventOptions = {}) {
    if (!Number.isInteger(fd) || fd < -1) throw new RangeError(`fd must be an integer >= -1, got ${String(fd)}`);
    super(base);
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

  /** Per-direction timeouts in ms (null: none). The event callback gets TIMEOUT|READING or TIMEOUT|WRITING. */
  setTimeouts(readMs: number | null, writeMs: number | null): this {
    this.readTimeout = readMs;
    this.writeTimeout = writeMs;
    if (this.enabled & EV.READ && !this.readSuspended) this.armRead();
    if (this.writeEvent?.isPending) this.writeEvent.add(writeMs);
    return this;
  }

  /**
   * Sends what is buffered now, as far as the socket takes it (libevent's bufferevent_flush).
   * BEV_FLUSH.FINISHED also shuts the write side down once the output drains.
   */
  flush(mode: number = BEV_FLUSH.NORMAL): void {
    this.checkLive();
    if (mode === BEV_FLUSH.FINISHED) this.shutdownPending = true;
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

  // ---- the vtable -------------------------------------------------------------------------------

  protected enableHook(what: number): void {
    if (what & EV.READ) this.armRead();
    if (what & EV.WRITE && this.output.length > 0) this.scheduleFlush();
  }

  protected disableHook(what: number): void {
    if (what & EV.READ) this.readEvent?.del();
    if (what & EV.WRITE) this.writeEvent?.del();
  }

  protected outputQueued(): void {
    this.scheduleFlush();
  }

  protected override readingSuspended(): void {
    this.readEvent?.del();
  }

  protected readingResumed(): void {
    this.armRead();
  }

  /** Releases the events and the fd unless closeFd was false. */
  protected closeHook(): void {
    this.readEvent?.close();
    this.writeEvent?.close();
    this.flushEvent.close();
    if (this.closeFd && this.fdValue >= 0) libc.close(this.fdValue);
  }

  // ---- internals -------------------------------------------------------------------------------

  private armRead(): void {
    if (!this.readEvent || this.isClosed) return;
    if (this.enabled & EV.READ && !this.readSuspended) this.readEvent.add(this.readTimeout);
    else this.readEvent.del();
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
      this.suspendReading(SUSPEND_WATERMARK);
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
    if (this.readHigh > 0 && this.input.length >= this.readHigh) this.suspendReading(SUSPEND_WATERMARK);
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
    if (this.output.length > 0) {
      let n: number;
      try {
        n = this.output.writeSocket(this.fdValue);
      } catch (err) {
        this.writeEvent!.del();
        this.enabled &= ~EV.WRITE;
        this.report(BEV.WRITING | BEV.ERROR, err as SyscallError);
        return;
      }
      if (n <= 0) {
        if (!this.writeEvent!.isPending) this.writeEvent!.add(this.writeTimeout);
        return; // the socket took nothing: no progress to report
      }
    }
    if (this.output.length > 0) {
      if (!this.writeEvent!.isPending) this.writeEvent!.add(this.writeTimeout);
    } else {
      if (this.writeEvent!.isPending) this.writeEvent!.del();
      if (this.shutdownPending) this.doShutdown();
    }
    // As libevent: after every write that leaves the output at or below the low watermark, not
    // only once it is empty, so a producer can refill before the socket runs dry.
    if (this.writeCb && this.output.length <= this.writeLow && !this.isClosed) this.writeCb(this);
  }

  private doShutdown(): void {
    this.shutdownPending = false;
    if (libc.shutdown(this.fdValue, C.SHUT_WR) === -1 && errnoCell[0] !== Errno.ENOTCONN) {
      this.report(BEV.WRITING | BEV.ERROR, new SyscallError("shutdown", errnoCell[0], [this.fdValue, "SHUT_WR"]));
    }
  }
}
