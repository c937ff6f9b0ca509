// Sockets: the one place that creates, binds, listens, connects and accepts, and that reads a
// socket's addresses. Listener, BufferEvent, the Dispatcher and FdChannel all go through here.
// Every fd made here is non-blocking and close-on-exec.
//
// Running out of descriptors while accepting (EMFILE/ENFILE) is libev's and libuv's case: the
// listening socket stays readable, so a loop that only reports the error spins at full CPU. The
// AcceptLoop keeps one spare descriptor; on EMFILE it closes the spare, accepts and closes every
// waiting connection (each peer sees a clean close), and reopens the spare with open("/dev/null"),
// which needs one descriptor (a pipe would need two and could never come back). The failure is
// reported once per episode, until an accept succeeds again.
import {
  Errno, SyscallError, constants as C, errnoCell, hasSymbol, layout as L, libc, sys,
} from "../ffi/mod.ts";
import {
  type AddressSpec, type SocketAddress, addressBuffer, decodeAddress, domainOf, encodeAddress, resolveAddress,
} from "../ffi/sockaddr.ts";
import { hostsAddress, isNumericHost } from "./dns/hosts.ts";

const useAccept4 = hasSymbol("accept4");
const acceptFlags = C.SOCK_NONBLOCK | C.SOCK_CLOEXEC;
const acceptName = useAccept4 ? "accept4" : "accept";
const nodelayOn = new Int32Array([1]);
const devNull = sys.cstring("/dev/null");
const CONNECT_WAIT_MS = 10_000;

export interface ListenOptions {
  /** listen(2) backlog (default 511). */
  backlog?: number;
  /** SO_REUSEADDR for TCP (default true). */
  reuseAddr?: boolean;
  /** SO_REUSEPORT for TCP (default false). */
  reusePort?: boolean;
}

/**
 * A listening stream socket bound to `address` (port 0: the kernel picks one; read it back with
 * localAddress). A host name is looked up in /etc/hosts only (the first address it lists, IPv4
 * first; "localhost" is the loopback address even when unlisted), so that listening stays
 * synchronous; a name the file does not know is a TypeError. Throws SyscallError naming bind or
 * listen, after closing the socket.
 *
 * @example
 * ```ts
 * const fd = listenOn({ host: "localhost", port: 0 });
 * console.log(formatAddress(localAddress(fd)));     // 127.0.0.1:40123
 * ```
 */
export function listenOn(address: AddressSpec | SocketAddress, options: ListenOptions = {}): number {
  const backlog = options.backlog ?? 511;
  if (!Number.isInteger(backlog) || backlog < 0) throw new RangeError(`backlog must be a non-negative integer, got ${String(backlog)}`);
  const addr = listenAddress(address);
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
  return fd;
}

/** A listen address: a host name from the hosts file, anything else as resolveAddress reads it. */
function listenAddress(address: AddressSpec | SocketAddress): SocketAddress {
  if (typeof address === "object" && address !== null && !("family" in address) && "host" in address) {
    const { host, port } = address;
    if (typeof host === "string" && host.length > 0 && !isNumericHost(host)) {
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`port must be an integer 0..65535, got ${String(port)}`);
      return hostsAddress(host, port);
    }
  }
  return resolveAddress(address);
}

/**
 * A listening TCP socket on host:port (port 0 picks a free one, see boundPort).
 *
 * @example
 * ```ts
 * const fd = listenTcp(0);
 * const port = boundPort(fd);
 * ```
 */
export function listenTcp(port: number, host = "127.0.0.1", backlog = 511): number {
  return listenOn({ host, port }, { backlog });
}

/**
 * A listening Unix-domain stream socket at `path` (a stale socket file there is removed first).
 *
 * @example
 * ```ts
 * const fd = listenUnix("/tmp/app.sock");
 * // ... later
 * unlinkPath("/tmp/app.sock");
 * ```
 */
export function listenUnix(path: string, backlog = 64): number {
  const addr = resolveAddress({ path });
  unlinkPath(path);
  return listenOn(addr, { backlog });
}

/** Removes the socket file at `path` (through libc: no file-system permission of the runtime needed). */
export function unlinkPath(path: string): boolean {
  return libc.unlink(sys.cstring(path)) === 0;
}

/**
 * Creates a socket for `address` and starts connecting it. Returns the fd and connect's errno:
 * 0 (connected), EINPROGRESS/EAGAIN (under way: wait for writability, then read SO_ERROR), or
 * another errno (failed; the fd is still open and the caller's to close).
 */
export function startConnect(address: AddressSpec | SocketAddress): { fd: number; errno: number; address: SocketAddress } {
  const addr = resolveAddress(address);
  const fd = sys.streamSocket(domainOf(addr));
  const { bytes, length } = encodeAddress(addr);
  const errno = libc.connect(fd, bytes, length) === 0 ? 0 : errnoCell[0];
  return { fd, errno, address: addr };
}

/** Connects to `address`, waiting up to 10 s for a TCP handshake; throws SyscallError("connect"). */
export function connectWaiting(address: AddressSpec | SocketAddress, what: string): number {
  const { fd, errno } = startConnect(address);
  if (errno === 0) return fd;
  if (errno === Errno.EINPROGRESS || errno === Errno.EAGAIN) {
    const pfd = new Uint8Array(L.pollfd.size);
    const view = new DataView(pfd.buffer);
    view.setInt32(L.pollfd.fd, fd, true);
    view.setInt16(L.pollfd.events, C.POLLOUT, true);
    libc.poll(pfd, 1, CONNECT_WAIT_MS);
    const soError = sys.getsockoptInt(fd, C.SOL_SOCKET, C.SO_ERROR);
    if (soError === 0) return fd;
    libc.close(fd);
    throw new SyscallError("connect", soError, [what]);
  }
  libc.close(fd);
  throw new SyscallError("connect", errno, [what]);
}

/** Connects to the Unix-domain stream socket at `path`. */
export function connectUnix(path: string): number {
  return connectWaiting({ path }, path);
}

/**
 * Connects to host:port over TCP (waits up to 10 s for the handshake); the fd is non-blocking.
 *
 * @example
 * ```ts
 * const fd = connectTcp(8080);
 * sys.write(fd, "ping");
 * ```
 */
export function connectTcp(port: number, host = "127.0.0.1"): number {
  return connectWaiting({ host, port }, `${host}:${port}`);
}

/**
 * The address a socket is bound to.
 *
 * @example
 * ```ts
 * const base = new EventBase();
 * const listener = new Listener(base, { host: "127.0.0.1", port: 0 }, (fd) => sys.close(fd));
 * console.log(formatAddress(localAddress(listener.fd))); // "127.0.0.1:43123": the port picked for 0
 * listener.close();
 * base.close();
 * ```
 */
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

/** The port a TCP socket is bound to (localAddress's port; 0 for a Unix-domain socket). */
export function boundPort(fd: number): number {
  const addr = localAddress(fd);
  return addr.family === "unix" ? 0 : addr.port;
}

/** Accepts one connection, non-blocking and close-on-exec; -1 with errno set when none. */
function acceptOne(listenFd: number): number {
  if (useAccept4) return libc.accept4(listenFd, null, null, acceptFlags);
  const fd = libc.accept(listenFd, null, null);
  if (fd >= 0) {
    sys.setNonBlocking(fd);
    sys.setCloseOnExec(fd);
  }
  return fd;
}

/**
 * Accepts every waiting connection (until EAGAIN), each non-blocking and close-on-exec, and
 * passes it to `onFd`. Returns the errno of a failure other than EAGAIN/EINTR/ECONNABORTED
 * (EMFILE, say), or 0. A bare loop without the spare-descriptor strategy: a Listener has that.
 *
 * @example
 * ```ts
 * base.event(listenFd, EV.READ | EV.PERSIST, () => acceptAll(listenFd, (fd) => serve(fd))).add();
 * ```
 */
export function acceptAll(listenFd: number, onFd: (fd: number) => void): number {
  for (;;) {
    const fd = acceptOne(listenFd);
    if (fd === -1) {
      const errno = errnoCell[0];
      if (errno === Errno.EAGAIN) return 0;
      if (errno === Errno.EINTR || errno === Errno.ECONNABORTED) continue;
      return errno;
    }
    onFd(fd);
  }
}

/**
 * How an AcceptLoop run ended: "idle" (nothing waits any more, or the caller asked to stop) or
 * "starved" (out of descriptors with no spare to shed through: pause, and try again later).
 */
export type AcceptResult = "idle" | "starved";

/** The accept loop of a listening socket, with the spare-descriptor strategy for EMFILE/ENFILE. */
export class AcceptLoop {
  private spareFd: number;
  /** In an episode of descriptor exhaustion (reported at its start, ended by a successful accept). */
  private exhausted = false;

  constructor(readonly listenFd: number, private readonly noDelay: boolean) {
    this.spareFd = openSpare();
  }

  /** Whether the spare descriptor is held (it is, except while descriptors are exhausted). */
  get hasSpare(): boolean {
    return this.spareFd >= 0;
  }

  /**
   * Accepts until nothing waits, passing each connection to `onFd`, while `keepGoing()` holds
   * (checked before each accept, so a callback can stop the loop). `onError` hears other
   * accept failures, and exhaustion once per episode.
   */
  run(onFd: (fd: number) => void, onError: (err: SyscallError) => void, keepGoing: () => boolean): AcceptResult {
    while (keepGoing()) {
      const fd = acceptOne(this.listenFd);
      if (fd === -1) {
        const errno = errnoCell[0];
        if (errno === Errno.EAGAIN) return "idle";
        if (errno === Errno.EINTR || errno === Errno.ECONNABORTED) continue;
        if (errno !== Errno.EMFILE && errno !== Errno.ENFILE) {
          onError(new SyscallError(acceptName, errno, [this.listenFd]));
          return "idle";
        }
        if (!this.exhausted) {
          this.exhausted = true;
          onError(new SyscallError(acceptName, errno, [this.listenFd], "out of descriptors: waiting connections are accepted and closed until some free up"));
        }
        return this.shedWaiting() ? "idle" : "starved";
      }
      this.exhausted = false;
      // An option the kernel refuses (a connection reset already) leaves the fd usable: its
      // first read reports what happened, so the connection is handed over all the same.
      if (this.noDelay) libc.setsockopt(fd, C.IPPROTO_TCP, C.TCP_NODELAY, nodelayOn, 4);
      onFd(fd);
    }
    return "idle";
  }

  /** Frees the spare to accept and close every waiting connection. Returns whether the backlog drained. */
  private shedWaiting(): boolean {
    if (this.spareFd >= 0) libc.close(this.spareFd);
    this.spareFd = -1;
    let drained = false;
    for (;;) {
      const fd = libc.accept(this.listenFd, null, null);
      if (fd >= 0) {
        libc.close(fd);
        continue;
      }
      const errno = errnoCell[0];
      if (errno === Errno.EINTR || errno === Errno.ECONNABORTED) continue;
      drained = errno === Errno.EAGAIN;
      break;
    }
    this.spareFd = openSpare();
    return drained;
  }

  /** Releases the spare descriptor (not the listening socket). */
  close(): void {
    if (this.spareFd >= 0) libc.close(this.spareFd);
    this.spareFd = -1;
  }
}

/** One descriptor held in reserve: /dev/null, opened with a call that needs only one. -1 if none is left. */
function openSpare(): number {
  return libc.open(devNull, C.O_CLOEXEC);
}

/** What kind of socket an fd is (see describeSocket). */
export interface SocketKind {
  /** "stream" (TCP, Unix stream), "datagram" (UDP, Unix datagram) or "seqpacket". */
  type: "stream" | "datagram" | "seqpacket";
  /** Whether listen() was called on it (SO_ACCEPTCONN): it can go to a Listener or an HTTP server. */
  listening: boolean;
  /** Its local address. */
  address: SocketAddress;
}

/**
 * What kind of socket `fd` is: its type, whether it listens, and its local address. Throws
 * TypeError when `fd` is open but not a socket (ENOTSOCK), SyscallError for other failures.
 */
export function describeSocket(fd: number): SocketKind {
  if (typeof fd !== "number" || !Number.isInteger(fd) || fd < 0) {
    throw new TypeError(`fd must be a non-negative integer, got ${typeof fd === "number" ? fd : `${typeof fd} ${String(fd)}`}`);
  }
  let type: number;
  try {
    type = sys.getsockoptInt(fd, C.SOL_SOCKET, C.SO_TYPE);
  } catch (err) {
    if (err instanceof SyscallError && err.code === "ENOTSOCK") throw new TypeError(`fd ${fd} is not a socket`);
    throw err;
  }
  const listening = type !== C.SOCK_DGRAM && sys.getsockoptInt(fd, C.SOL_SOCKET, C.SO_ACCEPTCONN) !== 0;
  return {
    type: type === C.SOCK_STREAM ? "stream" : type === C.SOCK_SEQPACKET ? "seqpacket" : "datagram",
    listening,
    address: localAddress(fd),
  };
}
