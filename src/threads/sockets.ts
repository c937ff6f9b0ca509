// The few socket calls the threads layer needs: a TCP or Unix-domain listener, a Unix-domain
// connect, and libevent's accept loop. (src/net has the full Listener; this layer sits below it
// and cannot import it.) Every fd made here is non-blocking and close-on-exec.
import {
  Errno, SyscallError, constants as C, encodeAddress, errnoCell, hasSymbol, layout as L, libc, resolveAddress, sys,
} from "../ffi/mod.ts";

const acceptFlags = C.SOCK_NONBLOCK | C.SOCK_CLOEXEC;

type EncodedAddress = { bytes: Uint8Array; length: number };

/** sockaddr_un for `path` (TypeError/RangeError for an empty or too long path). */
function unixAddress(path: string): EncodedAddress {
  return encodeAddress(resolveAddress({ path }));
}

/** sockaddr_in for a numeric IPv4 host (or "localhost"). */
function ipv4Address(host: string, port: number): EncodedAddress {
  const addr = resolveAddress({ host, port });
  if (addr.family !== "ipv4") throw new TypeError(`host must be a numeric IPv4 address, got ${JSON.stringify(host)}`);
  return encodeAddress(addr);
}

function bindAndListen(fd: number, addr: EncodedAddress, backlog: number, what: string): number {
  if (!Number.isInteger(backlog) || backlog < 0) throw new RangeError(`backlog must be a non-negative integer, got ${String(backlog)}`);
  try {
    if (libc.bind(fd, addr.bytes, addr.length) === -1) throw new SyscallError("bind", errnoCell[0], [fd, what]);
    if (libc.listen(fd, backlog) === -1) throw new SyscallError("listen", errnoCell[0], [fd, backlog]);
  } catch (err) {
    libc.close(fd);
    throw err;
  }
  return fd;
}

/** A listening TCP socket on host:port (IPv4; port 0 picks a free one, see boundPort). */
export function listenTcp(port: number, host = "127.0.0.1", backlog = 511): number {
  const addr = ipv4Address(host, port);
  const fd = sys.streamSocket(C.AF_INET);
  sys.setsockoptInt(fd, C.SOL_SOCKET, C.SO_REUSEADDR, 1);
  return bindAndListen(fd, addr, backlog, `${host}:${port}`);
}

/** The port a TCP socket is bound to. */
export function boundPort(fd: number): number {
  const bytes = new Uint8Array(128);
  const len = new Uint32Array([128]);
  if (libc.getsockname(fd, bytes, new Uint8Array(len.buffer)) === -1) throw new SyscallError("getsockname", errnoCell[0], [fd]);
  return new DataView(bytes.buffer).getUint16(L.sockaddr_in.port, false);
}

/** Removes the socket file at `path` (through libc: no file-system permission of the runtime needed). */
export function unlinkPath(path: string): boolean {
  return libc.unlink(sys.cstring(path)) === 0;
}

/** A listening Unix-domain stream socket at `path` (a stale socket file there is removed first). */
export function listenUnix(path: string, backlog = 64): number {
  const addr = unixAddress(path);
  unlinkPath(path);
  return bindAndListen(sys.streamSocket(C.AF_UNIX), addr, backlog, path);
}

function connectTo(domain: number, addr: EncodedAddress, what: string): number {
  const fd = sys.streamSocket(domain);
  if (libc.connect(fd, addr.bytes, addr.length) === -1) {
    const errno = errnoCell[0];
    // A non-blocking TCP connect is under way (EINPROGRESS): wait for it to be writable.
    if (errno === Errno.EINPROGRESS || errno === Errno.EAGAIN) {
      const pfd = new Uint8Array(L.pollfd.size);
      const view = new DataView(pfd.buffer);
      view.setInt32(L.pollfd.fd, fd, true);
      view.setInt16(L.pollfd.events, C.POLLOUT, true);
      libc.poll(pfd, 1, 10_000);
      const soError = sys.getsockoptInt(fd, C.SOL_SOCKET, C.SO_ERROR);
      if (soError === 0) return fd;
      libc.close(fd);
      throw new SyscallError("connect", soError, [what]);
    }
    libc.close(fd);
    throw new SyscallError("connect", errno, [what]);
  }
  return fd;
}

/** Connects to the Unix-domain stream socket at `path`. */
export function connectUnix(path: string): number {
  return connectTo(C.AF_UNIX, unixAddress(path), path);
}

/** Connects to host:port over TCP (waits up to 10 s for the handshake). */
export function connectTcp(port: number, host = "127.0.0.1"): number {
  return connectTo(C.AF_INET, ipv4Address(host, port), `${host}:${port}`);
}

const useAccept4 = hasSymbol("accept4");

/**
 * Accepts every waiting connection (until EAGAIN), each non-blocking and close-on-exec, and
 * passes it to `onFd`. Returns the errno of a failure other than EAGAIN/EINTR/ECONNABORTED
 * (EMFILE, say), or 0.
 */
export function acceptAll(listenFd: number, onFd: (fd: number) => void): number {
  for (;;) {
    const fd = useAccept4 ? libc.accept4(listenFd, null, null, acceptFlags) : libc.accept(listenFd, null, null);
    if (fd === -1) {
      const errno = errnoCell[0];
      if (errno === Errno.EAGAIN) return 0;
      if (errno === Errno.EINTR || errno === Errno.ECONNABORTED) continue;
      return errno;
    }
    if (!useAccept4) {
      sys.setNonBlocking(fd);
      sys.setCloseOnExec(fd);
    }
    onFd(fd);
  }
}
