// A listening socket that accepts in a loop until EAGAIN (libevent's evconnlistener).
// Out of descriptors (EMFILE/ENFILE), it closes a spare fd it keeps for the purpose, accepts the
// waiting connection and closes it at once, then reopens the spare: the peer sees a clean close
// and the loop does not spin at 100% CPU on a listening socket that stays readable.
import {
  Errno, SyscallError, constants as C, errnoCell, hasSymbol, libc, sys,
} from "../ffi/mod.ts";
import type { EventBase } from "../core/base.ts";
import type { Event } from "../core/event.ts";
import { EV } from "../core/flags.ts";
import {
  type AddressSpec, type SocketAddress, addressBuffer, decodeAddress, domainOf, encodeAddress, resolveAddress,
} from "../ffi/sockaddr.ts";

export interface ListenerOptions {
  /** listen(2) backlog (default 511). */
  backlog?: number;
  /** SO_REUSEADDR (default true). */
  reuseAddr?: boolean;
  /** SO_REUSEPORT (default false). */
  reusePort?: boolean;
  /** Close the listening fd on free() (default true). */
  closeFd?: boolean;
  /** Start paused; enable() later. */
  disabled?: boolean;
  /**
   * Set TCP_NODELAY on each accepted TCP connection (default false; HttpServer sets it, as
   * Bun.serve, Deno.serve and node:http do), so a small write is sent at once instead of
   * waiting, under Nagle's algorithm, for the peer to acknowledge the previous one.
   */
  noDelay?: boolean;
}

export type AcceptCallback = (fd: number, listener: Listener) => void;

const acceptFlags = C.SOCK_NONBLOCK | C.SOCK_CLOEXEC;
const nodelayOn = new Int32Array([1]);

/** The address a socket is bound to. */
export function localAddress(fd: number): SocketAddress {
  const { bytes, length } = addressBuffer();
  if (libc.getsockname(fd, bytes, new Uint8Array(length.buffer)) === -1) throw new SyscallError("getsockname", errnoCell[0], [fd]);
  return decodeAddress(bytes, length[0]);
}

/** The address of a socket's peer. */
export function peerAddress(fd: number): SocketAddress {
  const { bytes, length } = addressBuffer();
  if (libc.getpeername(fd, bytes, new Uint8Array(length.buffer)) === -1) throw new SyscallError("getpeername", errnoCell[0], [fd]);
  return decodeAddress(bytes, length[0]);
}

export class Listener {
  /** The listening fd. */
  readonly fd: number;
  /** The bound address (with the kernel's port when 0 was asked). */
  readonly address: SocketAddress;
  private readonly event: Event;
  private readonly closeFd: boolean;
  private spareFd: number;
  private errorCallback: ((err: SyscallError, listener: Listener) => void) | null = null;
  private isClosed = false;
  private readonly noDelay: boolean;

  /**
   * Listens on `address` ({ port, host? } or { path }) or adopts an already listening `{ fd }`,
   * and calls `onAccept(fd, listener)` for each connection: a non-blocking, close-on-exec fd the
   * callback now owns.
   */
  constructor(readonly base: EventBase, address: AddressSpec | { fd: number }, private readonly onAccept: AcceptCallback, options: ListenerOptions = {}) {
    if (typeof onAccept !== "function") throw new TypeError(`onAccept must be a function, got ${typeof onAccept}`);
    const backlog = options.backlog ?? 511;
    if (!Number.isInteger(backlog) || backlog < 0) throw new RangeError(`backlog must be a non-negative integer, got ${String(backlog)}`);
    this.closeFd = options.closeFd ?? true;
    if ("fd" in address) {
      this.fd = address.fd;
      sys.setNonBlocking(this.fd);
    } else {
      const addr = resolveAddress(address);
      const fd = sys.streamSocket(domainOf(addr));
      try {
        if (addr.family !== "unix") {
          if (options.reuseAddr ?? true) sys.setsockoptInt(fd, C.SOL_SOCKET, C.SO_REUSEADDR, 1);
          if (options.reusePort) sys.setsockoptInt(fd, C.SOL_SOCKET, C.SO_REUSEPORT, 1);
        }
        const { bytes, length } = encodeAddress(addr);
        if (libc.bind(fd, bytes, length) === -1) throw new SyscallError("bind", errnoCell[0], [fd, addr]);
        if (libc.listen(fd, backlog) === -1) throw new SyscallError("listen", errnoCell[0], [fd, backlog]);
      } catch (err) {
        libc.close(fd);
        throw err;
      }
      this.fd = fd;
    }
    this.address = localAddress(this.fd);
    this.noDelay = !!options.noDelay && this.address.family !== "unix";
    this.spareFd = this.openSpare();
    this.event = base.event(this.fd, EV.READ | EV.PERSIST, () => this.acceptAll());
    if (!options.disabled) this.event.add();
  }

  /** Called with accept errors other than EAGAIN (EMFILE included, after the spare-fd shedding). */
  onError(callback: (err: SyscallError, listener: Listener) => void): this {
    this.errorCallback = callback;
    return this;
  }

  /** Resumes accepting. */
  enable(): void {
    this.checkLive();
    this.event.add();
  }

  /** Pauses accepting (connections wait in the backlog). */
  disable(): void {
    this.checkLive();
    this.event.del();
  }

  /** Whether close() was called. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Same as close(), for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Stops listening; closes the fd unless closeFd was false. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.event.close();
    if (this.spareFd >= 0) libc.close(this.spareFd);
    if (this.closeFd) libc.close(this.fd);
  }

  private checkLive(): void {
    if (this.isClosed) throw new Error("this listener is closed");
  }

  private openSpare(): number {
    const [r, w] = sys.pipe();
    libc.close(w);
    return r;
  }

  private acceptAll(): void {
    const lfd = this.fd;
    const useAccept4 = hasSymbol("accept4");
    for (;;) {
      if (this.isClosed) return;
      const fd = useAccept4 ? libc.accept4(lfd, null, null, acceptFlags) : libc.accept(lfd, null, null);
      if (fd === -1) {
        const errno = errnoCell[0];
        if (errno === Errno.EAGAIN) return;
        if (errno === Errno.EINTR || errno === Errno.ECONNABORTED) continue;
        if ((errno === Errno.EMFILE || errno === Errno.ENFILE) && this.shedOne()) {
          this.report(new SyscallError(useAccept4 ? "accept4" : "accept", errno, [lfd], "a connection was accepted and closed for lack of descriptors"));
          continue;
        }
        this.report(new SyscallError(useAccept4 ? "accept4" : "accept", errno, [lfd]));
        return;
      }
      if (!useAccept4) {
        sys.setNonBlocking(fd);
        sys.setCloseOnExec(fd);
      }
      // An option the kernel refuses (a connection reset already) leaves the fd usable: its
      // first read reports what happened, so the connection is handed over all the same.
      if (this.noDelay) libc.setsockopt(fd, C.IPPROTO_TCP, C.TCP_NODELAY, nodelayOn, 4);
      this.onAccept(fd, this);
    }
  }

  /** Frees the spare fd to accept-and-close one waiting connection. Returns whether it could. */
  private shedOne(): boolean {
    if (this.spareFd < 0) return false;
    libc.close(this.spareFd);
    this.spareFd = -1;
    const fd = libc.accept(this.fd, null, null);
    if (fd >= 0) libc.close(fd);
    try {
      this.spareFd = this.openSpare();
    } catch {
      // Still out of descriptors: pause briefly instead of spinning, then try again.
      this.event.del();
      this.base.once(-1, EV.TIMEOUT, () => {
        if (this.isClosed) return;
        try {
          this.spareFd = this.openSpare();
        } catch { /* keep going without a spare */ }
        this.event.add();
      }, 100);
    }
    return fd >= 0;
  }

  private report(err: SyscallError): void {
    if (this.errorCallback) this.errorCallback(err, this);
    else throw err;
  }
}
