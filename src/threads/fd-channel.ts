// Passing descriptors between processes (the classic send_fd/recv_fd): an FdChannel over an
// AF_UNIX stream socket sends messages of zero or more fds plus a small payload with
// sendmsg + SCM_RIGHTS, and receives them with MSG_CMSG_CLOEXEC (see ScmRights in src/ffi/scm.ts,
// which walks every control message and reports MSG_CTRUNC).
//
// A stream has no message boundaries, so each message is framed:
//
//   magic 0xEF (u8) | version 1 (u8) | fd count (u16 LE) | payload length (u32 LE) | payload
//
// and the kernel attaches a sendmsg's fds to its first byte, so they arrive with (or before) the
// bytes of their own frame. The receiver keeps the fds of each recvmsg as one batch, in order, and
// gives a frame that announced fds the next batch once its last byte is in.
//
// Ownership: send() takes the fds. The channel closes its copies once the kernel holds them
// (SCM_RIGHTS duplicated them), or if they can never be sent; dup() first to keep one. A received
// message's fds belong to the message handler. Anything that cannot be delivered is closed: fds of
// a frame the kernel truncated (MSG_CTRUNC: the receiver's maxFds is smaller than the sender's
// message, or its fd limit was reached), fds of a frame cut short because the peer died or the
// channel was closed, and unsent fds of a closed channel. No fd leaks.
import { ScmRights, libc, sys } from "../ffi/mod.ts";
import type { EventBase } from "../core/base.ts";
import type { Event } from "../core/event.ts";
import { EV } from "../core/flags.ts";
import { connectUnix, listenUnix } from "../net/socket.ts";

const MAGIC = 0xef;
const VERSION = 1;
const HEADER = 8;
const encoder = new TextEncoder();

/** A message received: its fds (now yours, close-on-exec) and its payload. */
export interface FdMessage {
  /** The descriptors received, in the order they were sent; the receiver owns them. */
  fds: number[];
  /** The payload sent with them (may be empty). */
  data: Uint8Array;
}

/** What an FdChannel calls: every handler is optional. */
export interface FdChannelHandlers {
  /** A complete message. The handler owns msg.fds (without a handler they are closed). */
  message?(msg: FdMessage, channel: FdChannel): void;
  /** A message that could not be delivered (its fds were closed); the channel goes on. */
  error?(err: FdChannelError, channel: FdChannel): void;
  /** The peer closed (err null) or the channel failed. Undelivered fds were closed; the channel is closed. */
  close?(err: Error | null, channel: FdChannel): void;
}

/** Limits of one message. Both peers should use the same (a larger message is refused on sending and lost on receiving). */
export interface FdChannelOptions {
  /** Most fds in one message, both ways (default 16, at most 253). */
  maxFds?: number;
  /** Most payload bytes in one message (default 4096). */
  maxPayload?: number;
}

/** A message lost in transit (its fds were closed), or a broken stream. */
export class FdChannelError extends Error {
  /**
   * A message lost, or the stream broken, for the reason `code` names.
   *
   * @param message what happened
   * @param code CTRUNC (the kernel dropped fds: too many for the receiver's buffer), PROTOCOL (a malformed frame) or TRUNCATED_STREAM (the stream ended in a message)
   * @param fdsClosed how many received descriptors were closed because of it
   */
  constructor(message: string, readonly code: "CTRUNC" | "PROTOCOL" | "TRUNCATED_STREAM", readonly fdsClosed: number) {
    super(message);
    this.name = "FdChannelError";
  }
}

interface Outgoing {
  bytes: Uint8Array;
  /** Fds not yet in the kernel (sent with the first byte of `bytes`). */
  fds: number[];
}

interface Batch {
  fds: number[];
  truncated: boolean;
}

function closeAll(fds: readonly number[]): number {
  for (const fd of fds) libc.close(fd);
  return fds.length;
}

/**
 * Passes file descriptors, with a payload, between processes over a Unix socket (SCM_RIGHTS):
 * a listening socket handed to a new process during a restart, a connection handed to a worker
 * process. Messages are framed on the stream, so descriptors arrive with the payload they were sent
 * with, and a message's fds are closed rather than leaked if it cannot be delivered.
 *
 * Costs: one persistent read event on the base; each send is one `sendmsg` (its fds travel with
 * the message's first byte), each receive one `recvmsg` per readiness for as many messages as
 * arrived; the control-message buffers are allocated once per channel.
 *
 * @example
 * ```ts
 * import { EventBase, FdChannel, sys } from "evffi";
 *
 * const base = new EventBase();
 * const [left, right] = FdChannel.pair();
 * const sender = new FdChannel(base, left);
 * const receiver = new FdChannel(base, right, {
 *   message({ fds, data }) {
 *     const [fd] = fds; // a new descriptor for the pipe's read end: ours to close
 *     console.log(new TextDecoder().decode(data), sys.read(fd!, 16)!.length); // prints: a pipe 5
 *     for (const f of fds) sys.close(f);
 *     receiver.close();
 *     sender.close();
 *   },
 * });
 * const [r, w] = sys.pipe();
 * sys.write(w, "hello");
 * sender.send([r], "a pipe"); // the channel takes r: it closes it once the kernel has a copy
 * sys.close(w);
 * base.loopSync();
 * base.close();
 * ```
 */
export class FdChannel {
  /** A connected, non-blocking, close-on-exec socketpair to build two channels on. */
  static pair(): [number, number] {
    return sys.socketpair();
  }

  /** A listening Unix socket at `path`, for a peer to connect() to (accept with acceptAll). */
  static listen(path: string, backlog = 16): number {
    return listenUnix(path, backlog);
  }

  /** Connects to a listening Unix socket at `path`; returns the fd to build a channel on. */
  static connect(path: string): number {
    return connectUnix(path);
  }

  /** Most fds in one message. */
  readonly maxFds: number;
  /** Most payload bytes in one message. */
  readonly maxPayload: number;
  /** Messages sent (handed to the kernel in full), received (delivered). */
  readonly stats = { sent: 0, received: 0, lost: 0, fdsClosed: 0 };
  private readonly scm: ScmRights;
  private readonly readEvent: Event;
  private readonly writeEvent: Event;
  private readonly out: Outgoing[] = [];
  private inBuf: Uint8Array;
  private inLen = 0;
  private readonly batches: Batch[] = [];
  private isClosed = false;

  /** Wraps a connected AF_UNIX stream socket `fd` (the channel owns it) on `base`. */
  constructor(readonly base: EventBase, readonly fd: number, private readonly handlers: FdChannelHandlers = {}, options: FdChannelOptions = {}) {
    if (!Number.isInteger(fd) || fd < 0) throw new TypeError(`not a file descriptor: ${String(fd)}`);
    this.maxFds = options.maxFds ?? 16;
    this.maxPayload = options.maxPayload ?? 4096;
    if (!Number.isInteger(this.maxFds) || this.maxFds < 1 || this.maxFds > 253) throw new RangeError(`maxFds must be 1..253, got ${String(this.maxFds)}`);
    if (!Number.isInteger(this.maxPayload) || this.maxPayload < 0 || this.maxPayload > 0xffffff) {
      throw new RangeError(`maxPayload must be 0..16777215, got ${String(this.maxPayload)}`);
    }
    this.scm = new ScmRights({ maxFds: this.maxFds, maxPayload: Math.max(65536, HEADER + this.maxPayload) });
    this.inBuf = new Uint8Array(Math.max(4096, 2 * (HEADER + this.maxPayload)));
    sys.setNonBlocking(fd);
    this.readEvent = base.event(fd, EV.READ | EV.PERSIST, () => this.onReadable());
    this.writeEvent = base.event(fd, EV.WRITE, () => {
      try {
        this.flush();
      } catch (err) {
        this.fail(err as Error);
      }
    });
    this.readEvent.add();
  }

  /** Whether close() was called or the stream ended. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Messages (or their tails) waiting for the socket to take them. */
  get pendingSends(): number {
    return this.out.length;
  }

  /**
   * Sends `fds` with `data`. The channel takes the fds (see the ownership note at the top).
   * Returns true when the whole message is in the kernel, false when (part of) it waits for the
   * socket to drain; it then goes out in order from the base's loop. Bad arguments throw before
   * anything is taken; a dead peer throws a SyscallError (EPIPE), the fds then being closed.
   */
  send(fds: readonly number[], data: Uint8Array | string = new Uint8Array(0)): boolean {
    if (this.isClosed) throw new Error("this FdChannel is closed");
    if (!Array.isArray(fds)) throw new TypeError(`fds must be an array of descriptors, got ${String(fds)}`);
    if (fds.length > this.maxFds) throw new RangeError(`at most ${this.maxFds} fds per message, got ${fds.length}`);
    for (const fd of fds) if (!Number.isInteger(fd) || fd < 0) throw new TypeError(`not a file descriptor: ${String(fd)}`);
    const payload = typeof data === "string" ? encoder.encode(data) : data;
    if (!(payload instanceof Uint8Array)) throw new TypeError(`data must be a Uint8Array or a string, got ${typeof data}`);
    if (payload.byteLength > this.maxPayload) throw new RangeError(`at most ${this.maxPayload} payload bytes per message, got ${payload.byteLength}`);
    const frame = new Uint8Array(HEADER + payload.byteLength);
    const view = new DataView(frame.buffer);
    view.setUint8(0, MAGIC);
    view.setUint8(1, VERSION);
    view.setUint16(2, fds.length, true);
    view.setUint32(4, payload.byteLength, true);
    frame.set(payload, HEADER);
    this.out.push({ bytes: frame, fds: [...fds] });
    if (this.out.length > 1) return false; // behind earlier messages
    try {
      this.flush();
    } catch (err) {
      this.fail(err as Error);
      throw err;
    }
    return this.out.length === 0;
  }

  /** Writes queued messages until done or EAGAIN (then waits for EV.WRITE). */
  private flush(): void {
    while (this.out.length > 0) {
      const head = this.out[0];
      const n = this.scm.send(this.fd, head.fds, head.bytes);
      if (n === -1) {
        this.writeEvent.add();
        return;
      }
      // The kernel holds its own references now.
      closeAll(head.fds);
      head.fds = [];
      if (n < head.bytes.byteLength) {
        head.bytes = head.bytes.subarray(n);
        continue;
      }
      this.out.shift();
      this.stats.sent++;
    }
  }

  private onReadable(): void {
    for (;;) {
      if (this.isClosed) return;
      let got;
      try {
        got = this.scm.receive(this.fd);
      } catch (err) {
        this.fail(err as Error);
        return;
      }
      if (got === null) return;
      if (got.fds.length > 0 || got.truncated) this.batches.push({ fds: got.fds, truncated: got.truncated });
      if (got.data.byteLength === 0) {
        this.endOfStream();
        return;
      }
      this.append(got.data);
      if (!this.parse()) return;
    }
  }

  private append(bytes: Uint8Array): void {
    if (this.inLen + bytes.byteLength > this.inBuf.byteLength) {
      const bigger = new Uint8Array(Math.max(2 * this.inBuf.byteLength, this.inLen + bytes.byteLength));
      bigger.set(this.inBuf.subarray(0, this.inLen));
      this.inBuf = bigger;
    }
    this.inBuf.set(bytes, this.inLen);
    this.inLen += bytes.byteLength;
  }

  /** Delivers every complete frame. Returns false if the channel failed. */
  private parse(): boolean {
    let at = 0;
    const buf = this.inBuf;
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    try {
      while (this.inLen - at >= HEADER) {
        if (view.getUint8(at) !== MAGIC || view.getUint8(at + 1) !== VERSION) {
          this.fail(new FdChannelError(`not an FdChannel stream (bad frame header at byte ${at})`, "PROTOCOL", 0));
          return false;
        }
        const nfds = view.getUint16(at + 2, true);
        const len = view.getUint32(at + 4, true);
        if (len > this.maxPayload) {
          // Both sides must agree on maxPayload; a bigger frame is refused rather than buffered.
          this.fail(new FdChannelError(`a message of ${len} payload bytes exceeds this channel's maxPayload (${this.maxPayload})`, "PROTOCOL", 0));
          return false;
        }
        if (this.inLen - at < HEADER + len) break;
        const data = buf.slice(at + HEADER, at + HEADER + len);
        at += HEADER + len;
        let fds: number[] = [];
        if (nfds > 0) {
          const batch = this.batches.shift();
          if (!batch) {
            this.fail(new FdChannelError(`a message announced ${nfds} fds and none arrived`, "PROTOCOL", 0));
            return false;
          }
          if (batch.truncated || batch.fds.length !== nfds) {
            const closed = closeAll(batch.fds);
            this.stats.lost++;
            this.stats.fdsClosed += closed;
            const err = new FdChannelError(
              `a message's fds were cut short by the kernel (MSG_CTRUNC: ${batch.fds.length} of ${nfds} arrived; ` +
                `raise maxFds, now ${this.maxFds}, or the fd limit); ${closed} received fds were closed and the message dropped`,
              "CTRUNC",
              closed,
            );
            if (this.handlers.error) this.handlers.error(err, this);
            else console.error(`[evffi] FdChannel: ${err.message}`);
            continue;
          }
          fds = batch.fds;
        }
        this.stats.received++;
        if (this.handlers.message) this.handlers.message({ fds, data }, this);
        else closeAll(fds);
        if (this.isClosed) return false;
      }
    } finally {
      if (at > 0) {
        buf.copyWithin(0, at, this.inLen);
        this.inLen -= at;
      }
    }
    return true;
  }

  private endOfStream(): void {
    const pendingFds = this.batches.reduce((n, b) => n + b.fds.length, 0);
    const partial = this.inLen > 0;
    this.shutdown();
    const err = partial || pendingFds > 0
      ? new FdChannelError(`the peer closed in the middle of a message (${this.inLen} bytes pending); ${pendingFds} received fds were closed`, "TRUNCATED_STREAM", pendingFds)
      : null;
    this.handlers.close?.(err, this);
  }

  private fail(err: Error): void {
    if (this.isClosed) return;
    this.shutdown();
    this.handlers.close?.(err, this);
  }

  /** Same as close(), for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Closes the socket and every fd the channel still holds (unsent, or received and undelivered). */
  close(): void {
    if (this.isClosed) return;
    this.shutdown();
  }

  private shutdown(): void {
    this.isClosed = true;
    this.readEvent.close();
    this.writeEvent.close();
    let closed = 0;
    for (const b of this.batches) closed += closeAll(b.fds);
    this.batches.length = 0;
    for (const o of this.out) closed += closeAll(o.fds);
    this.out.length = 0;
    this.inLen = 0;
    this.stats.fdsClosed += closed;
    libc.close(this.fd);
  }
}
