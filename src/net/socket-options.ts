// Socket options by name: what a server tunes on its sockets (keepalive timing, buffer sizes,
// port sharing, TCP Fast Open, deferred accept, device binding, transparent proxying), set and
// read with the values a user thinks in (booleans, milliseconds, bytes), plus TCP_INFO decoded.
// An option this OS lacks throws NotAvailableError rather than setting something else.
import { constants as C, errnoCell, libc, NotAvailableError, os, sys, SyscallError } from "../ffi/mod.ts";

/** TCP keepalive: probe an idle connection, and drop it when `count` probes go unanswered. */
export interface KeepAlive {
  /** Idle time before the first probe, in ms (whole seconds on the wire: rounded up). */
  idleMs?: number;
  /** Time between probes, in ms (whole seconds). */
  intervalMs?: number;
  /** Unanswered probes before the connection is dropped. */
  count?: number;
}

/** Options setSocketOptions() takes; each is left as it is when absent. */
export interface SocketOptions {
  /** TCP_NODELAY: send small writes at once instead of waiting to coalesce them (Nagle). */
  noDelay?: boolean;
  /** SO_KEEPALIVE, and with an object its timing (TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT). */
  keepAlive?: boolean | KeepAlive;
  /** SO_REUSEADDR. */
  reuseAddr?: boolean;
  /** SO_REUSEPORT: several sockets bind one port and the kernel spreads connections among them. */
  reusePort?: boolean;
  /** SO_RCVBUF / SO_SNDBUF, in bytes (Linux doubles the value for its bookkeeping). */
  receiveBufferSize?: number;
  /** SO_SNDBUF, in bytes (Linux doubles the value for its bookkeeping). */
  sendBufferSize?: number;
  /** TCP_FASTOPEN on a listener: how many Fast Open requests may wait (0 turns it off). */
  fastOpen?: number;
  /** TCP_DEFER_ACCEPT (Linux): wake the listener only once a connection has data, waiting up to this many ms. */
  deferAcceptMs?: number;
  /** SO_BINDTODEVICE (Linux): use only this network interface, e.g. "lo" ("" unbinds). */
  bindToDevice?: string;
  /** IP_TRANSPARENT (Linux, needs CAP_NET_ADMIN): bind to and accept for non-local addresses. */
  transparent?: boolean;
}

/** What getSocketOptions() reports. */
export interface SocketOptionValues {
  /** TCP_NODELAY (null: not a TCP socket). */
  noDelay: boolean | null;
  /** SO_KEEPALIVE. */
  keepAlive: boolean;
  /** TCP_KEEPIDLE in ms: idle time before the first probe (null: not TCP, or not available). */
  keepAliveIdleMs: number | null;
  /** TCP_KEEPINTVL in ms: time between probes. */
  keepAliveIntervalMs: number | null;
  /** TCP_KEEPCNT: unanswered probes before the connection is dropped. */
  keepAliveCount: number | null;
  /** SO_REUSEADDR. */
  reuseAddr: boolean;
  /** SO_REUSEPORT. */
  reusePort: boolean;
  /** SO_RCVBUF, in bytes, as the kernel reports it. */
  receiveBufferSize: number;
  /** SO_SNDBUF, in bytes, as the kernel reports it. */
  sendBufferSize: number;
}

function option(name: keyof typeof C): number {
  const value = C[name];
  if (value === 0) throw new NotAvailableError(name, "no such socket option");
  return value;
}

function checkInt(name: string, v: unknown, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new RangeError(`${name} must be an integer ${min}..${max}, got ${typeof v === "number" ? v : `${typeof v} ${String(v)}`}`);
  }
  return v;
}

function checkMs(name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
    throw new RangeError(`${name} must be a number of milliseconds >= 0, got ${typeof v === "number" ? v : `${typeof v} ${String(v)}`}`);
  }
  return Math.ceil(v / 1000);
}

function checkBool(name: string, v: unknown): number {
  if (typeof v !== "boolean") throw new TypeError(`${name} must be a boolean, got ${typeof v}`);
  return v ? 1 : 0;
}

/**
 * Sets the named options on a socket; throws TypeError/RangeError for a bad value (before any is
 * set), NotAvailableError for an option this OS lacks, SyscallError when the kernel refuses.
 *
 * @example
 * ```ts
 * import { setSocketOptions, getSocketOptions, sys, constants } from "evffi";
 *
 * const fd = sys.streamSocket(constants.AF_INET);
 * setSocketOptions(fd, { noDelay: true, keepAlive: { idleMs: 60_000, intervalMs: 10_000, count: 5 } });
 * console.log(getSocketOptions(fd).keepAliveIdleMs);   // prints: 60000
 * sys.close(fd);
 * ```
 */
export function setSocketOptions(fd: number, options: SocketOptions): void {
  if (typeof options !== "object" || options === null) throw new TypeError(`options must be an object, got ${options === null ? "null" : typeof options}`);
  const known = new Set(["noDelay", "keepAlive", "reuseAddr", "reusePort", "receiveBufferSize", "sendBufferSize", "fastOpen", "deferAcceptMs", "bindToDevice", "transparent"]);
  for (const key of Object.keys(options)) if (!known.has(key)) throw new TypeError(`unknown socket option ${JSON.stringify(key)} (known: ${[...known].join(", ")})`);
  // Validate everything first, so a bad value sets nothing.
  const ints: [level: number, name: number, value: number][] = [];
  const o = options;
  if (o.noDelay !== undefined) ints.push([C.IPPROTO_TCP, C.TCP_NODELAY, checkBool("noDelay", o.noDelay)]);
  if (o.keepAlive !== undefined) {
    if (typeof o.keepAlive === "boolean") ints.push([C.SOL_SOCKET, C.SO_KEEPALIVE, o.keepAlive ? 1 : 0]);
    else if (typeof o.keepAlive === "object" && o.keepAlive !== null) {
      ints.push([C.SOL_SOCKET, C.SO_KEEPALIVE, 1]);
      const k = o.keepAlive;
      if (k.idleMs !== undefined) ints.push([C.IPPROTO_TCP, option("TCP_KEEPIDLE"), Math.max(1, checkMs("keepAlive.idleMs", k.idleMs))]);
      if (k.intervalMs !== undefined) ints.push([C.IPPROTO_TCP, option("TCP_KEEPINTVL"), Math.max(1, checkMs("keepAlive.intervalMs", k.intervalMs))]);
      if (k.count !== undefined) ints.push([C.IPPROTO_TCP, option("TCP_KEEPCNT"), checkInt("keepAlive.count", k.count, 1, 127)]);
    } else throw new TypeError(`keepAlive must be a boolean or { idleMs, intervalMs, count }, got ${typeof o.keepAlive}`);
  }
  if (o.reuseAddr !== undefined) ints.push([C.SOL_SOCKET, C.SO_REUSEADDR, checkBool("reuseAddr", o.reuseAddr)]);
  if (o.reusePort !== undefined) ints.push([C.SOL_SOCKET, C.SO_REUSEPORT, checkBool("reusePort", o.reusePort)]);
  if (o.receiveBufferSize !== undefined) ints.push([C.SOL_SOCKET, C.SO_RCVBUF, checkInt("receiveBufferSize", o.receiveBufferSize, 1, 2 ** 31 - 1)]);
  if (o.sendBufferSize !== undefined) ints.push([C.SOL_SOCKET, C.SO_SNDBUF, checkInt("sendBufferSize", o.sendBufferSize, 1, 2 ** 31 - 1)]);
  if (o.fastOpen !== undefined) ints.push([C.IPPROTO_TCP, option("TCP_FASTOPEN"), checkInt("fastOpen", o.fastOpen, 0, 2 ** 31 - 1)]);
  if (o.deferAcceptMs !== undefined) ints.push([C.IPPROTO_TCP, option("TCP_DEFER_ACCEPT"), checkMs("deferAcceptMs", o.deferAcceptMs)]);
  if (o.transparent !== undefined) ints.push([C.IPPROTO_IP, option("IP_TRANSPARENT"), checkBool("transparent", o.transparent)]);
  let device: Uint8Array | null = null;
  if (o.bindToDevice !== undefined) {
    if (typeof o.bindToDevice !== "string" || o.bindToDevice.length >= 16) {
      throw new TypeError(`bindToDevice must be an interface name shorter than 16 bytes, got ${JSON.stringify(o.bindToDevice)}`);
    }
    option("SO_BINDTODEVICE");
    device = new TextEncoder().encode(o.bindToDevice + "\0");
  }
  for (const [level, name, value] of ints) sys.setsockoptInt(fd, level, name, value);
  if (device && libc.setsockopt(fd, C.SOL_SOCKET, C.SO_BINDTODEVICE, device, device.byteLength) === -1) {
    throw new SyscallError("setsockopt", errnoCell[0], [fd, "SO_BINDTODEVICE", o.bindToDevice]);
  }
}

/** The current values of the common options (null where the socket or the OS has no such option). */
export function getSocketOptions(fd: number): SocketOptionValues {
  const type = sys.getsockoptInt(fd, C.SOL_SOCKET, C.SO_TYPE);
  const tcpOr = (name: number) => {
    if (type !== C.SOCK_STREAM || name === 0) return null;
    try {
      return sys.getsockoptInt(fd, C.IPPROTO_TCP, name);
    } catch (err) {
      // A Unix stream socket has no TCP level.
      if (err instanceof SyscallError && (err.code === "EOPNOTSUPP" || err.code === "ENOPROTOOPT")) return null;
      throw err;
    }
  };
  const noDelay = tcpOr(C.TCP_NODELAY);
  const idle = tcpOr(C.TCP_KEEPIDLE);
  const interval = tcpOr(C.TCP_KEEPINTVL);
  return {
    noDelay: noDelay === null ? null : noDelay !== 0,
    keepAlive: sys.getsockoptInt(fd, C.SOL_SOCKET, C.SO_KEEPALIVE) !== 0,
    keepAliveIdleMs: idle === null ? null : idle * 1000,
    keepAliveIntervalMs: interval === null ? null : interval * 1000,
    keepAliveCount: tcpOr(C.TCP_KEEPCNT),
    reuseAddr: sys.getsockoptInt(fd, C.SOL_SOCKET, C.SO_REUSEADDR) !== 0,
    reusePort: sys.getsockoptInt(fd, C.SOL_SOCKET, C.SO_REUSEPORT) !== 0,
    receiveBufferSize: sys.getsockoptInt(fd, C.SOL_SOCKET, C.SO_RCVBUF),
    sendBufferSize: sys.getsockoptInt(fd, C.SOL_SOCKET, C.SO_SNDBUF),
  };
}

/** The TCP connection states, by the numbers TCP_INFO reports. */
const TCP_STATES = ["", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING"] as const;

/** A TCP connection's kernel state (Linux TCP_INFO), times in ms. */
export interface TcpInfo {
  /** The connection's state: "ESTABLISHED", "CLOSE_WAIT", "LISTEN", ... */
  state: string;
  /** Smoothed round-trip time and its variance. */
  rttMs: number;
  /** The round-trip time's variance. */
  rttVarianceMs: number;
  /** Retransmission timeout. */
  rtoMs: number;
  /** Congestion window, in segments, and the sender's maximum segment size in bytes. */
  congestionWindow: number;
  /** The sender's maximum segment size, in bytes. */
  sendMss: number;
  /** Segments sent and not yet acknowledged, lost, and retransmitted (now and in total). */
  unacked: number;
  /** Segments the kernel thinks were lost. */
  lost: number;
  /** Retransmissions of the current segment. */
  retransmits: number;
  /** Retransmissions over the connection's life. */
  totalRetransmits: number;
  /** Time since data was last received. */
  lastReceiveMs: number;
  /** Bytes acknowledged by the peer and received from it (null on kernels older than 4.1/4.2). */
  bytesAcked: bigint | null;
  /** Bytes received from the peer (null on kernels older than 4.1). */
  bytesReceived: bigint | null;
}

/**
 * Reads and decodes TCP_INFO (Linux). The struct's offsets are those of the kernel's
 * <linux/tcp.h>; fields a kernel does not fill (an older one) are null.
 */
export function tcpInfo(fd: number): TcpInfo {
  if (os !== "linux") throw new NotAvailableError("TCP_INFO", "decoded on Linux only");
  const bytes = new Uint8Array(232);
  const len = new Uint32Array([bytes.byteLength]);
  if (libc.getsockopt(fd, C.IPPROTO_TCP, C.TCP_INFO, bytes, new Uint8Array(len.buffer)) === -1) {
    throw new SyscallError("getsockopt", errnoCell[0], [fd, "TCP_INFO"]);
  }
  const v = new DataView(bytes.buffer);
  const filled = len[0]!;
  const u32 = (at: number) => v.getUint32(at, true);
  return {
    state: TCP_STATES[v.getUint8(0)] ?? `state ${v.getUint8(0)}`,
    rttMs: u32(68) / 1000,
    rttVarianceMs: u32(72) / 1000,
    rtoMs: u32(8) / 1000,
    congestionWindow: u32(80),
    sendMss: u32(16),
    unacked: u32(24),
    lost: u32(32),
    retransmits: u32(36),
    totalRetransmits: u32(100),
    lastReceiveMs: u32(52),
    bytesAcked: filled >= 128 ? v.getBigUint64(120, true) : null,
    bytesReceived: filled >= 136 ? v.getBigUint64(128, true) : null,
  };
}
