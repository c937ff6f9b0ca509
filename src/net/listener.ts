// A listening socket that accepts in a loop until EAGAIN (libevent's evconnlistener), on the
// socket module's AcceptLoop: out of descriptors (EMFILE/ENFILE), waiting connections are accepted
// and closed through a spare descriptor, so the peers see a clean close and the loop does not spin
// on a listening socket that stays readable.
import { type SyscallError, sys } from "../ffi/mod.ts";
import type { EventBase } from "../core/base.ts";
import type { Event } from "../core/event.ts";
import { EV } from "../core/flags.ts";
import { formatAddress, type AddressSpec, type SocketAddress } from "../ffi/sockaddr.ts";
import { AcceptLoop, describeSocket, listenOn, localAddress } from "./socket.ts";
import { describeListener } from "./inspect.ts";
import { printAs } from "../ffi/mod.ts";

export { localAddress, peerAddress } from "./socket.ts";

/** How a Listener's socket is set up, and whether it starts accepting at once. */
export interface ListenerOptions {
  /** listen(2) backlog (default 511). */
  backlog?: number;
  /** SO_REUSEADDR (default true). */
  reuseAddr?: boolean;
  /** SO_REUSEPORT (default false). */
  reusePort?: boolean;
  /** Close the listening fd on close() (default true). */
  closeFd?: boolean;
  /** Start paused; enable() later. */
  disabled?: boolean;
  /**
   * Set TCP_NODELAY on each accepted TCP connection (default false; HttpServer sets it, as
   * other runtimes' HTTP servers do), so a small write is sent at once instead of waiting, under
   * Nagle's algorithm, for the peer to acknowledge the previous one.
   */
  noDelay?: boolean;
}

/** Receives each accepted connection's fd (non-blocking, close-on-exec; the callback owns it) and the listener. */
export type AcceptCallback = (fd: number, listener: Listener) => void;

/** How long a Listener starved of descriptors (no spare left) waits before accepting again. */
const STARVED_RETRY_MS = 100;

/**
 * A listening socket that accepts connections and hands each new fd to a callback
 * (libevent's `evconnlistener`). Accepted fds are non-blocking and close-on-exec; the callback owns
 * them. On each readiness it accepts every waiting connection (until EAGAIN, or until `disable()`
 * is called from the callback), and when the process runs out of descriptors (EMFILE/ENFILE) it
 * closes a spare fd kept for that purpose, accepts and closes the waiting connections (each peer
 * sees a clean close) and reopens the spare, instead of spinning on a socket it cannot accept from.
 *
 * Costs: two fds (the listening socket and the spare, an open `/dev/null`) and one persistent
 * read event on the base; per connection one `accept4` (`accept` plus `fcntl` calls where there is
 * no accept4) and no allocation besides what the callback does.
 *
 * @example
 * ```ts
 * import { BufferEvent, EV, EventBase, Listener } from "evffi";
 *
 * const base = new EventBase();
 * const listener = new Listener(base, { host: "127.0.0.1", port: 0 }, (fd) => {
 *   new BufferEvent(base, fd).write("hello\n").setCallbacks(null, (b) => b.close()); // close once sent
 *   listener.close(); // one connection is enough for this example
 * });
 * const client = new BufferEvent(base, -1).connect(listener.address);
 * client.setCallbacks((b) => {
 *   console.log(b.input.toString().trim()); // prints: hello
 *   b.close();
 * }).enable(EV.READ);
 * base.loopSync();
 * base.close();
 * ```
 */
export class Listener {
  /** The listening fd. */
  readonly fd: number;
  /** The bound address (with the kernel's port when 0 was asked). */
  readonly address: SocketAddress;
  private readonly event: Event;
  private readonly closeFd: boolean;
  private readonly acceptLoop: AcceptLoop;
  private errorCallback: ((err: SyscallError, listener: Listener) => void) | null = null;
  private isClosed = false;
  /** enable()d: cleared by disable(), which also stops an accept loop in progress. */
  private accepting: boolean;

  /**
   * Listens on `address` ({ port, host? } or { path }) or adopts an already listening `{ fd }`,
   * and calls `onAccept(fd, listener)` for each connection: a non-blocking, close-on-exec fd the
   * callback now owns. `host` is a numeric address or a name the hosts file lists (the first
   * address it gives, IPv4 first; "localhost" is 127.0.0.1 even when unlisted): binding happens
   * here, synchronously, so DNS is not asked, and an unknown name is a TypeError.
   *
   * @example
   * ```ts
   * const base = new EventBase();
   * const listener = new Listener(base, { host: "localhost", port: 0 }, (fd) => new BufferEvent(base, fd).enable(EV.READ));
   * console.log(listener.address); // prints: 127.0.0.1
   * // (the whole line: { family: "ipv4", host: "127.0.0.1", port: 40123 }, the port the kernel picked)
   * listener.close();
   * base.close();
   * ```
   */
  constructor(readonly base: EventBase, address: AddressSpec | { fd: number }, private readonly onAccept: AcceptCallback, options: ListenerOptions = {}) {
    if (typeof onAccept !== "function") throw new TypeError(`onAccept must be a function, got ${typeof onAccept}`);
    this.closeFd = options.closeFd ?? true;
    if ("fd" in address) {
      // An inherited or passed socket: it must already listen (systemd, a parent, SCM_RIGHTS).
      const kind = describeSocket(address.fd);
      if (kind.type === "datagram" || !kind.listening) {
        throw new TypeError(`fd ${address.fd} is a ${kind.type} socket that is not listening: a Listener needs a socket listen() was called on`);
      }
      this.fd = address.fd;
      sys.setNonBlocking(this.fd);
    } else {
      this.fd = listenOn(address, options);
    }
    this.address = localAddress(this.fd);
    this.acceptLoop = new AcceptLoop(this.fd, !!options.noDelay && this.address.family !== "unix");
    this.event = base.event(this.fd, EV.READ | EV.PERSIST, () => this.acceptWaiting());
    this.accepting = !options.disabled;
    if (this.accepting) this.event.add();
  }

  /**
   * A Listener on a listening socket that already exists: inherited from systemd (see listenFds),
   * passed by a parent process, or received over SCM_RIGHTS. The socket is checked (TypeError for
   * a non-socket or one that is not listening); the Listener owns it unless `closeFd` is false.
   *
   * @example
   * ```ts
   * const base = new EventBase();
   * // The sockets systemd passed (socket activation); none when started any other way.
   * const listeners = listenFds().map(({ fd }) => Listener.fromFd(base, fd, (conn) => sys.close(conn)));
   * console.log(`${listeners.length} inherited listening sockets`);
   * for (const listener of listeners) listener.close();
   * base.close();
   * ```
   */
  static fromFd(base: EventBase, fd: number, onAccept: AcceptCallback, options: ListenerOptions = {}): Listener {
    return new Listener(base, { fd }, onAccept, options);
  }

  /**
   * Receives accept failures: running out of descriptors (EMFILE/ENFILE) once per episode, while
   * waiting connections are shed, and any other error. Without one, each is written to stderr;
   * nothing is thrown into the loop.
   *
   * @example
   * ```ts
   * const base = new EventBase();
   * let acceptErrors = 0;
   * const listener = new Listener(base, { host: "127.0.0.1", port: 0 }, (fd) => sys.close(fd))
   *   .onError(() => acceptErrors++); // EMFILE and the like: counted, and accepting goes on
   * listener.close();
   * base.close();
   * ```
   */
  onError(callback: (err: SyscallError, listener: Listener) => void): this {
    this.errorCallback = callback;
    return this;
  }

  /** Resumes accepting. */
  enable(): void {
    this.checkLive();
    this.accepting = true;
    this.event.add();
  }

  /**
   * Pauses accepting (connections wait in the backlog), also from inside the accept callback.
   *
   * @example
   * ```ts
   * const base = new EventBase();
   * const MAX_OPEN = 1000;
   * let open = 0;
   * const listener = new Listener(base, { host: "127.0.0.1", port: 0 }, (fd) => {
   *   if (++open >= MAX_OPEN) listener.disable(); // enable() again when a connection closes
   *   sys.close(fd);
   *   open--;
   * });
   * listener.close();
   * base.close();
   * ```
   */
  disable(): void {
    this.checkLive();
    this.accepting = false;
    this.event.del();
  }

  /** @internal Whether the spare descriptor for shedding connections is held. */
  get hasSpareFd(): boolean {
    return this.acceptLoop.hasSpare;
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
    this.acceptLoop.close();
    if (this.closeFd) sys.closeQuietly(this.fd);
  }

  private checkLive(): void {
    if (this.isClosed) throw new Error("this listener is closed");
  }

  private acceptWaiting(): void {
    const result = this.acceptLoop.run(
      (fd) => this.onAccept(fd, this),
      (err) => this.report(err),
      () => this.accepting && !this.isClosed,
    );
    if (result === "starved" && !this.isClosed) {
      // No descriptor to shed through: pause instead of spinning, then try again.
      this.event.del();
      this.base.once(-1, EV.TIMEOUT, () => {
        if (!this.isClosed && this.accepting) this.event.add();
      }, STARVED_RETRY_MS);
    }
  }

  private report(err: SyscallError): void {
    if (this.errorCallback) this.errorCallback(err, this);
    else console.error(`[evffi] listener on ${formatAddress(this.address)}: ${err.message}`);
  }
}

printAs(Listener, describeListener);
