// A buffered socket (libevent's bufferevent_socket): an input and an output EvBuffer over one fd,
// read and write callbacks driven by watermarks, an event callback for EOF / errors / timeouts /
// connect completion, per-direction timeouts and half-close.
//
// Writes are not sent one syscall per write(): output written during the read callback is
// flushed right after it returns (one send or writev per request/response round), and output written
// anywhere else is flushed at the start of the next loop iteration (through the base's
// active-later queue). Only when the socket buffer is full does the fd wait for EV.WRITE.
import { Errno, SyscallError, constants as C, errnoCell, libc } from "../ffi/mod.ts";
import type { EventBase } from "../core/base.ts";
import type { Event } from "../core/event.ts";
import { EV } from "../core/flags.ts";
import {
  AbstractBufferEvent, BEV, BEV_FLUSH, type DataCallback as BaseDataCallback, SUSPEND_RATE, SUSPEND_WATERMARK,
  type StatusCallback as BaseStatusCallback,
} from "./abstract-bufferevent.ts";
import { type AddressSpec, resolveAddress, type SocketAddress } from "../ffi/sockaddr.ts";
import { startConnect } from "./socket.ts";
import { baseResolver } from "./dns/base-resolver.ts";
import { isNumericHost } from "./dns/hosts.ts";
import type { DnsError } from "./dns/message.ts";
import { type PendingLookup, Resolver } from "./dns/resolver.ts";
import { RATE_READ, RATE_WRITE, type RateLimit, RateLimitGroup, type RateLimitState, type RateLimited, RateLimiter } from "./rate-limit.ts";

export { BEV, BEV_FLUSH } from "./abstract-bufferevent.ts";

/** The read/write callback of a socket BufferEvent. */
export type DataCallback = BaseDataCallback<BufferEvent>;
/** The event callback of a socket BufferEvent. */
export type StatusCallback = BaseStatusCallback<BufferEvent>;

/** Options of a BufferEvent: whether it owns its fd. */
export interface BufferEventOptions {
  /** Close the fd when the bufferevent is closed (default true). */
  closeFd?: boolean;
}

/** How connect() treats a host name. */
export interface ConnectOptions {
  /** The resolver that looks the name up (default: the base's own, made on first use from /etc/resolv.conf and /etc/hosts). */
  resolver?: Resolver;
  /** 4 or 6: only addresses of that family; 0 (default): IPv4 ones first, then IPv6. */
  family?: 0 | 4 | 6;
}

/**
 * connect() errors after which the next address of a name is worth trying: this address, or the
 * route to it, does not work; another one may.
 */
const TRY_NEXT_ADDRESS: ReadonlySet<number> = new Set([
  Errno.ECONNREFUSED, Errno.ENETUNREACH, Errno.EHOSTUNREACH, Errno.ENETDOWN, Errno.EHOSTDOWN, Errno.EADDRNOTAVAIL,
  Errno.EAFNOSUPPORT, Errno.ETIMEDOUT,
].filter((n): n is number => typeof n === "number"));

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
 * const base = new EventBase();
 * const [fd, peer] = sys.socketpair();
 * const bev = new BufferEvent(base, fd); // takes fd over: bev.close() closes it
 * bev.setCallbacks((b) => b.writeBuffer(b.input), null, (b, what) => (what & (BEV.EOF | BEV.ERROR)) && b.close());
 * bev.enable(EV.READ);
 * sys.write(peer, "echo me");
 * base.loopSync(EVLOOP.ONCE); // reads "echo me" and writes it back
 * console.log(new TextDecoder().decode(sys.read(peer, 64)!)); // prints: echo me
 * sys.shutdown(peer, "write"); // EOF: the callback closes bev, and the loop has nothing left
 * base.loopSync();
 * sys.close(peer);
 * base.close();
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
  /** Rate limits, once setRateLimit() or setRateLimitGroup() was called: null costs one check per read/write. */
  private limiter: RateLimiter | null = null;
  /** A write waits for the write bucket to refill. */
  private writeRateBlocked = false;
  /** The name lookup connect() waits for, if any. */
  private lookup: PendingLookup | null = null;
  /** A name's addresses not tried yet, should the connect under way fail. */
  private addressesLeft: SocketAddress[] = [];
  private lastDnsError: DnsError | null = null;

  /** Wraps a connected, non-blocking socket `fd` (or -1, to `connect()` later). */
  constructor(base: EventBase, fd: number, options: BufferEventOptions = {}) {
    if (!Number.isInteger(fd) || fd < -1) throw new RangeError(`fd must be an integer >= -1, got ${String(fd)}`);
    super(base);
    this.fdValue = fd;
    this.closeFd = options.closeFd ?? true;
    this.flushEvent = base.event(-1, 0, () => this.flushNow());
    if (fd >= 0) this.attach(fd);
  }

  /**
   * A new BufferEvent connecting to `address`: a numeric address, a Unix path, or a host name
   * resolved first (see connect()).
   *
   * @example
   * ```ts
   * const base = new EventBase();
   * // A server that greets one client, for the example.
   * const listener = new Listener(base, { host: "127.0.0.1", port: 0 }, (fd) => {
   *   new BufferEvent(base, fd).write("hello\n").setCallbacks(null, (b) => b.close()); // close once sent
   *   listener.close();
   * });
   * const { port } = listener.address as { port: number };
   *
   * const bev = BufferEvent.connect(base, { host: "localhost", port });
   * bev.setCallbacks((b) => {
   *   console.log(b.input.toString().trim()); // prints: hello
   *   b.close();
   * }, null, (b, what, err) => {
   *   if (what & BEV.CONNECTED) b.enable(EV.READ);
   *   else if (what & BEV.ERROR) {
   *     console.error(err?.message); // a DnsError or a SyscallError
   *     b.close();
   *   }
   * });
   * base.loopSync();
   * base.close();
   * ```
   */
  static connect(base: EventBase, address: AddressSpec | SocketAddress, options: BufferEventOptions & ConnectOptions = {}): BufferEvent {
    const bev = new BufferEvent(base, -1, options);
    try {
      return bev.connect(address, options);
    } catch (err) {
      bev.close();
      throw err;
    }
  }

  /** The socket, or -1 before connect() has one (while a host name is being resolved, too). */
  get fd(): number {
    return this.fdValue;
  }

  /**
   * Why the last host name connect() looked up could not be resolved (libevent's
   * bufferevent_socket_get_dns_error), or null.
   *
   * @example
   * ```ts
   * const base = new EventBase();
   * // A nameserver that never answers, so that the lookup fails quickly and offline.
   * const silent = new DatagramSocket(base, "udp4", { bind: { host: "127.0.0.1", port: 0 } });
   * const resolver = new Resolver(base, { nameservers: [silent.address], hostsFile: null, search: [], timeoutMs: 50, attempts: 1 });
   *
   * const bev = BufferEvent.connect(base, { host: "db.example", port: 5432 }, { resolver });
   * bev.setCallbacks(null, null, (b, what) => {
   *   if (what & BEV.ERROR && b.dnsError) console.log(b.dnsError.code); // prints: TIMEOUT
   *   b.close();
   *   resolver.close();
   *   silent.close();
   * });
   * base.loopSync();
   * base.close();
   * ```
   */
  get dnsError(): DnsError | null {
    return this.lastDnsError;
  }

  private attach(fd: number): void {
    this.fdValue = fd;
    this.readEvent = this.base.event(fd, EV.READ | EV.PERSIST, (_fd, what) => this.onReadable(what));
    this.writeEvent = this.base.event(fd, EV.WRITE | EV.PERSIST, (_fd, what) => this.onWritable(what));
  }

  /** Gives up a socket whose connect failed, so that the next address gets a new one. */
  private detach(): void {
    this.readEvent?.close();
    this.writeEvent?.close();
    this.readEvent = this.writeEvent = null;
    libc.close(this.fdValue);
    this.fdValue = -1;
    this.connecting = false;
  }

  /**
   * Per-direction timeouts in ms (null: none), kept by the fd's events. The event callback gets
   * TIMEOUT|READING or TIMEOUT|WRITING.
   *
   * @example
   * ```ts
   * const base = new EventBase();
   * const [fd, peer] = sys.socketpair();
   * const bev = new BufferEvent(base, fd);
   * bev.setTimeouts(30_000, 10_000);   // idle readers and stuck writers are reported
   * bev.close();
   * sys.close(peer);
   * base.close();
   * ```
   */
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
   * Connects to `address`: `{ port, host? }` or `{ path }`. A host that is a name (not a numeric
   * IPv4/IPv6 address) is first resolved through `options.resolver` or the base's own Resolver
   * (the hosts file, "localhost" and the names under it need no network), and its addresses are
   * tried in order: IPv4 first, the next one after ECONNREFUSED, ENETUNREACH, EHOSTUNREACH,
   * EADDRNOTAVAIL, EAFNOSUPPORT or a connect timeout (the write timeout, per address). The event
   * callback receives CONNECTED, or ERROR with the `SyscallError` of the last address tried, or
   * with the `DnsError` (also kept in `dnsError`) when the name did not resolve. close() while
   * the name is being resolved cancels the lookup; no callback runs after it.
   *
   * @example
   * ```ts
   * const base = new EventBase();
   * // A server that answers one request with 204, for the example.
   * const listener = new Listener(base, { host: "127.0.0.1", port: 0 }, (fd) => {
   *   listener.close();
   *   new BufferEvent(base, fd).setCallbacks((b) => {
   *     if (b.input.toString().includes("\r\n\r\n")) b.write("HTTP/1.1 204 No Content\r\n\r\n").setCallbacks(null, (sent) => sent.close());
   *   }).enable(EV.READ);
   * });
   * const { port } = listener.address as { port: number };
   *
   * const bev = new BufferEvent(base, -1);
   * bev.setCallbacks((b) => {
   *   console.log(b.input.toString().split("\r\n")[0]); // prints: HTTP/1.1 204 No Content
   *   b.close();
   * }, null, (b, what, err) => {
   *   if (what & BEV.ERROR) {
   *     console.error(err?.message);
   *     b.close();
   *   }
   * });
   * bev.connect({ host: "localhost", port });                  // 127.0.0.1, then ::1 if refused
   * bev.write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");  // sent once connected
   * bev.enable(EV.READ);
   * base.loopSync();
   * base.close();
   * ```
   */
  connect(address: AddressSpec | SocketAddress, options: ConnectOptions = {}): this {
    this.checkLive();
    if (this.fdValue >= 0 || this.lookup !== null) throw new Error("this bufferevent already has a socket or is resolving a name for one");
    if (typeof options !== "object" || options === null) throw new TypeError(`options must be an object, got ${options === null ? "null" : typeof options}`);
    const { resolver, family = 0 } = options;
    if (resolver !== undefined && !(resolver instanceof Resolver)) throw new TypeError(`resolver must be a Resolver, got ${typeof resolver}`);
    if (family !== 0 && family !== 4 && family !== 6) throw new RangeError(`family must be 0, 4 or 6, got ${String(family)}`);
    this.lastDnsError = null;
    const name = hostName(address);
    if (name === null) {
      this.connectTo([resolveAddress(address)], false);
      return this;
    }
    const port = (address as { port: number }).port;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`port must be an integer 0..65535, got ${String(port)}`);
    this.lookup = (resolver ?? baseResolver(this.base)).lookup(name, (err, found) => {
      this.lookup = null;
      if (this.isClosed) return; // close() cancelled the lookup
      if (err !== null) {
        this.lastDnsError = err;
        this.report(BEV.ERROR, err);
        return;
      }
      this.connectTo(found.map((a) => resolveAddress({ host: a.address, port })), true);
    }, { family });
    return this;
  }

  /**
   * Starts connecting to the first of `addresses` that a socket can be made for; the rest are kept
   * for onWritable to try if this one fails. `fromLoop`: report a failure through the event
   * callback (after a lookup) rather than throwing it to the caller of connect().
   */
  private connectTo(addresses: SocketAddress[], fromLoop: boolean): void {
    for (;;) {
      const addr = addresses.shift()!;
      let started: { fd: number; errno: number };
      try {
        started = startConnect(addr);
      } catch (err) {
        // socket() itself failed: no IPv6 on this host (EAFNOSUPPORT), out of descriptors, ...
        if (err instanceof SyscallError && addresses.length > 0 && TRY_NEXT_ADDRESS.has(err.errno)) continue;
        if (!fromLoop) throw err;
        this.report(BEV.ERROR, err as SyscallError);
        return;
      }
      const { fd, errno } = started;
      this.attach(fd);
      if (errno === 0) {
        this.base.once(-1, EV.TIMEOUT, () => this.connected(null));
        return;
      }
      if (errno !== Errno.EINPROGRESS && errno !== Errno.EAGAIN) {
        if (addresses.length > 0 && TRY_NEXT_ADDRESS.has(errno)) {
          this.detach();
          continue;
        }
        const err = new SyscallError("connect", errno, [fd, addr]);
        this.base.once(-1, EV.TIMEOUT, () => this.connected(err));
        return;
      }
      this.connecting = true;
      this.addressesLeft = addresses;
      this.writeEvent!.add(this.writeTimeout);
      return;
    }
  }

  // ---- rate limits -------------------------------------------------------------------------------

  /**
   * Limits this bufferevent's reads and writes with its own token bucket (libevent's
   * bufferevent_set_rate_limit); null removes it. See RateLimit.
   *
   * @example
   * ```ts
   * const base = new EventBase();
   * const [fd, peer] = sys.socketpair();
   * const bev = new BufferEvent(base, fd);
   * bev.setRateLimit(new RateLimit({ readRate: 16384, writeRate: Infinity, tickMs: 100 }));   // 160 KB/s in
   * bev.close();
   * sys.close(peer);
   * base.close();
   * ```
   */
  setRateLimit(limit: RateLimit | null): this {
    this.checkLive();
    (this.limiter ??= new RateLimiter(this.base, this satisfies RateLimited)).setLimit(limit);
    this.rateLimitRefilled(); // a removed or looser limit lets paused I/O go on
    return this;
  }

  /**
   * Makes this bufferevent share `group`'s bucket (null: leaves its group); libevent's
   * bufferevent_add_to_rate_limit_group.
   *
   * @example
   * ```ts
   * const base = new EventBase();
   * const [fd, peer] = sys.socketpair();
   * const group = new RateLimitGroup(base, new RateLimit({ readRate: 1 << 20, writeRate: 1 << 20 }));
   * const bev = new BufferEvent(base, fd).setRateLimitGroup(group).enable(EV.READ);
   * bev.close();
   * group.close();
   * sys.close(peer);
   * base.close();
   * ```
   */
  setRateLimitGroup(group: RateLimitGroup | null): this {
    this.checkLive();
    if (group !== null && !(group instanceof RateLimitGroup)) throw new TypeError(`setRateLimitGroup takes a RateLimitGroup or null, got ${typeof group}`);
    if (group !== null && group.base !== this.base) throw new RangeError("the group belongs to another event base");
    (this.limiter ??= new RateLimiter(this.base, this satisfies RateLimited)).setGroup(group);
    this.rateLimitRefilled();
    return this;
  }

  /**
   * The current limits and bucket levels (Infinity where nothing limits): libevent's
   * bufferevent_get_read_limit, _get_write_limit, _get_max_to_read and _get_max_to_write.
   *
   * @example
   * ```ts
   * const base = new EventBase();
   * const [fd, peer] = sys.socketpair();
   * const bev = new BufferEvent(base, fd).setRateLimit(new RateLimit({ readRate: 4096, writeRate: 4096 }));
   * const { maxToRead, writeLimit } = bev.rateLimits;
   * console.log(maxToRead, writeLimit); // how many bytes the next read and write may move
   * bev.close();
   * sys.close(peer);
   * base.close();
   * ```
   */
  get rateLimits(): RateLimitState {
    const l = this.limiter;
    if (l === null) return { readLimit: Infinity, writeLimit: Infinity, maxToRead: Infinity, maxToWrite: Infinity };
    return { readLimit: l.ownLevel(RATE_READ), writeLimit: l.ownLevel(RATE_WRITE), maxToRead: l.allowance(RATE_READ), maxToWrite: l.allowance(RATE_WRITE) };
  }

  /**
   * Takes `n` bytes from the own read bucket as if read (negative gives allowance back and resumes
   * a read that waited for it).
   *
   * @example
   * ```ts
   * const base = new EventBase();
   * const [fd, peer] = sys.socketpair();
   * const bev = new BufferEvent(base, fd).setRateLimit(new RateLimit({ readRate: 4096, writeRate: 4096 }));
   * const headerBytes = 100; // say, read with sys.read() before the BufferEvent took the fd
   * bev.decrementReadLimit(headerBytes);   // count bytes that arrived by another path
   * bev.close();
   * sys.close(peer);
   * base.close();
   * ```
   */
  decrementReadLimit(n: number): void {
    if (!Number.isInteger(n)) throw new RangeError(`decrementReadLimit takes an integer, got ${String(n)}`);
    this.limiter?.decrement(RATE_READ, n);
    if (n < 0) this.rateLimitRefilled();
  }

  /** Takes `n` bytes from the own write bucket as if written. */
  decrementWriteLimit(n: number): void {
    if (!Number.isInteger(n)) throw new RangeError(`decrementWriteLimit takes an integer, got ${String(n)}`);
    this.limiter?.decrement(RATE_WRITE, n);
    if (n < 0) this.rateLimitRefilled();
  }

  /** @internal A bucket refilled: resume what waited for it. */
  rateLimitRefilled(): void {
    if (this.isClosed) return;
    if (this.readSuspended & SUSPEND_RATE) this.resumeReading(SUSPEND_RATE);
    if (this.writeRateBlocked) {
      this.writeRateBlocked = false;
      if (this.output.length > 0) this.scheduleFlush();
    }
  }

  // ---- the vtable -------------------------------------------------------------------------------

  /** enable(what) was called (the enabled bits and the watermark pause are already updated). */
  protected enableHook(what: number): void {
    if (what & EV.READ) this.armRead();
    if (what & EV.WRITE && this.output.length > 0) this.scheduleFlush();
  }

  /** disable(what) was called. */
  protected disableHook(what: number): void {
    if (what & EV.READ) this.readEvent?.del();
    if (what & EV.WRITE) this.writeEvent?.del();
  }

  /** Bytes were added to the output through write()/writeBuffer(). */
  protected outputQueued(): void {
    this.scheduleFlush();
  }

  /** Reading was paused: stop polling for it. */
  protected override readingSuspended(): void {
    this.readEvent?.del();
  }

  /** Reading may go on: the input fell below the high watermark, or a rate limit refilled. */
  protected readingResumed(): void {
    this.armRead();
  }

  /** Releases the events and the fd unless closeFd was false; cancels a name lookup. */
  protected closeHook(): void {
    const lookup = this.lookup;
    this.lookup = null;
    lookup?.cancel();
    this.addressesLeft = [];
    this.limiter?.close();
    this.readEvent?.close();
    this.writeEvent?.close();
    this.flushEvent.close();
    if (this.closeFd && this.fdValue >= 0) libc.close(this.fdValue);
  }

  // ---- internals -------------------------------------------------------------------------------

  private armRead(): void {
    if (!this.readEvent || this.isClosed) return;
    // Not while connecting: a refused connect would read as a read error before onWritable could
    // try the next address. connected() arms it.
    if (this.enabled & EV.READ && !this.readSuspended && !this.connecting) this.readEvent.add(this.readTimeout);
    else this.readEvent.del();
  }

  private onReadable(what: number): void {
    if (what & EV.TIMEOUT) {
      this.readEvent!.del();
      this.enabled &= ~EV.READ;
      this.report(BEV.READING | BEV.TIMEOUT, null);
      return;
    }
    let room = this.readHigh > 0 ? this.readHigh - this.input.length : READ_CHUNK;
    if (room <= 0) {
      this.suspendReading(SUSPEND_WATERMARK);
      return;
    }
    if (this.limiter !== null) {
      const allowed = this.limiter.allowance(RATE_READ);
      if (allowed <= 0) {
        this.suspendReading(SUSPEND_RATE);
        this.limiter.waitForRefill();
        return;
      }
      if (room > allowed) room = allowed;
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
    if (this.limiter !== null) {
      this.limiter.took(RATE_READ, n);
      if (this.limiter.allowance(RATE_READ) <= 0) {
        this.suspendReading(SUSPEND_RATE);
        this.limiter.waitForRefill();
      }
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
      // A timeout that comes due in the iteration the socket became writable is no timeout: the
      // connect finished (or failed) in time, and SO_ERROR says which.
      const timedOut = (what & EV.TIMEOUT) !== 0 && (what & EV.WRITE) === 0;
      let errno = Errno.ETIMEDOUT;
      if (!timedOut) {
        soErrorLength[0] = 4;
        soError[0] = 0;
        libc.getsockopt(this.fdValue, C.SOL_SOCKET, C.SO_ERROR, soError, soErrorLength);
        errno = soError[0] || taken;
      }
      if (errno !== 0 && this.addressesLeft.length > 0 && TRY_NEXT_ADDRESS.has(errno)) {
        this.detach();
        this.connectTo(this.addressesLeft, true);
        return;
      }
      this.addressesLeft = [];
      if (timedOut) {
        this.report(BEV.WRITING | BEV.TIMEOUT, null);
        return;
      }
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
      let max = Infinity;
      if (this.limiter !== null) {
        max = this.limiter.allowance(RATE_WRITE);
        if (max <= 0) {
          this.writeRateBlocked = true;
          if (this.writeEvent!.isPending) this.writeEvent!.del();
          this.limiter.waitForRefill();
          return;
        }
      }
      let n: number;
      try {
        n = this.output.writeSocket(this.fdValue, max);
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
      if (this.limiter !== null) this.limiter.took(RATE_WRITE, n);
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

/** The host name in `address` that needs resolving, or null (a numeric host, a path, a SocketAddress). */
function hostName(address: AddressSpec | SocketAddress): string | null {
  if (typeof address !== "object" || address === null || "family" in address || !("host" in address)) return null;
  const { host } = address;
  return typeof host === "string" && host.length > 0 && !isNumericHost(host) ? host : null;
}
