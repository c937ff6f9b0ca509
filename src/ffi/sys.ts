// The typed syscall layer: the libc calls evffi needs, taking and returning JS values and throwing
// SyscallError (errno name, syscall, arguments) on failure. Made for readable code off the hot path
// and for exploring the kernel in a REPL:
//
//   > const { sys } = await import("evffi/sys");
//   > const [a, b] = sys.socketpair(); sys.write(a, "hi"); sys.read(b, 16)
//   Uint8Array(2) [ 104, 105 ]
//   > sys.close(-1)
//   SyscallError: close(-1) failed: EBADF (Bad file descriptor)
import { errnoCell, hasSymbol, libc } from "./libc.ts";
import { Errno, SyscallError } from "./errno.ts";

const EAGAIN = Errno.EAGAIN;
import { constants as C, layout as L } from "./layout.ts";
import { MAX_IO, u64arg } from "./native.ts";
import { portable } from "./portable.ts";
import { checkFd, checkInteger, describeValue } from "./arguments.ts";

// Linux and FreeBSD take SOCK_NONBLOCK | SOCK_CLOEXEC in socket()'s type, atomically; macOS has
// neither (0 in its table) and the portable path sets both with fcntl right after the call.
const typeFlags = !portable && C.SOCK_CLOEXEC !== 0;

const encoder = new TextEncoder();

function fail(syscall: string, ...args: unknown[]): never {
  throw new SyscallError(syscall, errnoCell[0], args);
}

function bytesOf(data: Uint8Array | string, name = "data"): Uint8Array {
  if (typeof data === "string") return encoder.encode(data);
  if (data instanceof Uint8Array) return data;
  throw new TypeError(`${name} must be a string or a Uint8Array, got ${describeValue(data)}`);
}

const INT_MAX = 0x7fff_ffff;
const UINT_MAX = 0xffff_ffff;

/** Closes an fd. */
export function close(fd: number): void {
  checkFd(fd);
  if (libc.close(fd) === -1) fail("close", fd);
}

/** Closes an fd, ignoring errors (for cleanup paths). */
export function closeQuietly(fd: number): void {
  if (typeof fd === "number" && Number.isInteger(fd) && fd >= 0 && fd <= INT_MAX) libc.close(fd);
}

/** Sets or clears O_NONBLOCK. */
export function setNonBlocking(fd: number, on = true): void {
  checkFd(fd);
  if (typeof on !== "boolean") throw new TypeError(`on must be a boolean, got ${describeValue(on)}`);
  const flags = libc.fcntl(fd, C.F_GETFL, 0);
  if (flags === -1) fail("fcntl", fd, "F_GETFL");
  const next = on ? flags | C.O_NONBLOCK : flags & ~C.O_NONBLOCK;
  if (next !== flags && libc.fcntl(fd, C.F_SETFL, next) === -1) fail("fcntl", fd, "F_SETFL", next);
}

/** Sets FD_CLOEXEC. */
export function setCloseOnExec(fd: number): void {
  checkFd(fd);
  if (libc.fcntl(fd, C.F_SETFD, C.FD_CLOEXEC) === -1) fail("fcntl", fd, "F_SETFD", "FD_CLOEXEC");
}

/** Whether `fd` is an open descriptor. */
export function isOpen(fd: number): boolean {
  checkFd(fd);
  return libc.fcntl(fd, C.F_GETFD, 0) !== -1;
}

/**
 * A connected pair of sockets (AF_UNIX, SOCK_STREAM by default), non-blocking and close-on-exec:
 * one `socketpair` call (plus `fcntl` calls where the platform lacks SOCK_NONBLOCK/SOCK_CLOEXEC).
 *
 * @example
 * ```ts
 * import { close, read, socketpair, write } from "evffi/sys";
 *
 * const [a, b] = socketpair();
 * write(a, "ping");
 * console.log(new TextDecoder().decode(read(b, 16)!)); // prints: ping
 * console.log(read(b, 16)); // prints: null
 * close(a);
 * close(b);
 * ```
 */
export function socketpair(type = C.SOCK_STREAM, { nonBlocking = true } = {}): [number, number] {
  checkInteger(type, "type", 0, INT_MAX);
  const sv = new Int32Array(2);
  const flags = typeFlags ? C.SOCK_CLOEXEC | (nonBlocking ? C.SOCK_NONBLOCK : 0) : 0;
  if (libc.socketpair(C.AF_UNIX, type | flags, 0, sv) === -1) fail("socketpair", "AF_UNIX", type | flags, 0);
  if (!typeFlags) {
    for (const fd of sv) {
      setCloseOnExec(fd);
      if (nonBlocking) setNonBlocking(fd);
    }
  }
  return [sv[0], sv[1]];
}

/** A stream socket of `domain` (AF_INET, AF_INET6, AF_UNIX), non-blocking and close-on-exec. */
export function streamSocket(domain: number): number {
  return socket(domain, C.SOCK_STREAM);
}

/**
 * A non-blocking, close-on-exec socket of `domain` (`constants.AF_*`) and `type`
 * (`constants.SOCK_STREAM`, `SOCK_DGRAM`, `SOCK_SEQPACKET`).
 */
export function socket(domain: number, type: number, protocol = 0): number {
  checkInteger(domain, "domain", 0, INT_MAX);
  checkInteger(type, "type", 0, INT_MAX);
  checkInteger(protocol, "protocol", 0, INT_MAX);
  const fd = libc.socket(domain, type | (typeFlags ? C.SOCK_NONBLOCK | C.SOCK_CLOEXEC : 0), protocol);
  if (fd === -1) fail("socket", domain, type, protocol);
  if (!typeFlags) {
    setNonBlocking(fd);
    setCloseOnExec(fd);
  }
  return fd;
}

/**
 * A pipe [readEnd, writeEnd], non-blocking and close-on-exec (`pipe2`, or `pipe` and `fcntl`).
 *
 * @example
 * ```ts
 * import { close, pipe, read, write } from "evffi/sys";
 *
 * const [r, w] = pipe();
 * write(w, "data");
 * close(w);
 * console.log(read(r, 16)!.length, read(r, 16)!.length); // prints: 4 0
 * close(r);
 * ```
 */
export function pipe({ nonBlocking = true } = {}): [number, number] {
  if (typeof nonBlocking !== "boolean") throw new TypeError(`nonBlocking must be a boolean, got ${describeValue(nonBlocking)}`);
  const fds = new Int32Array(2);
  if (hasSymbol("pipe2")) {
    const flags = C.O_CLOEXEC | (nonBlocking ? C.O_NONBLOCK : 0);
    if (libc.pipe2(fds, flags) === -1) fail("pipe2", "fds", flags);
  } else {
    if (libc.pipe(fds) === -1) fail("pipe", "fds");
    for (const fd of fds) {
      setCloseOnExec(fd);
      if (nonBlocking) setNonBlocking(fd);
    }
  }
  return [fds[0], fds[1]];
}

/** An eventfd (Linux), non-blocking and close-on-exec unless `flags` says otherwise. */
export function eventfd(initval = 0, flags = C.EFD_NONBLOCK | C.EFD_CLOEXEC): number {
  checkInteger(initval, "initval", 0, UINT_MAX);
  checkInteger(flags, "flags", 0, INT_MAX);
  const fd = libc.eventfd(initval, flags);
  if (fd === -1) fail("eventfd", initval, flags);
  return fd;
}

const counter = new BigUint64Array(1);
const counterBytes = new Uint8Array(counter.buffer);

/** Adds `n` to an eventfd's counter. */
export function eventfdWrite(fd: number, n = 1): void {
  checkFd(fd);
  // The kernel's counter stops at 2^64 - 2; a JS number is exact to 2^53 - 1.
  checkInteger(n, "n", 0, Number.MAX_SAFE_INTEGER);
  counter[0] = BigInt(n);
  if (libc.write(fd, counterBytes, u64arg(8)) === -1) fail("write", fd, "<eventfd counter>", 8);
}

/** Reads and resets an eventfd's counter; 0 if it was zero (EAGAIN on a non-blocking eventfd). */
export function eventfdRead(fd: number): number {
  checkFd(fd);
  if (libc.read(fd, counterBytes, u64arg(8)) === -1) {
    if (errnoCell[0] === EAGAIN) return 0;
    fail("read", fd, "<eventfd counter>", 8);
  }
  return Number(counter[0]);
}

/**
 * Writes `data`; returns the bytes written, or null for EAGAIN on a non-blocking fd (as read()
 * does). Other errors throw.
 *
 * @example
 * ```ts
 * const [fd, peer] = sys.socketpair();
 * const n = sys.write(fd, "hello");
 * if (n === null) console.log("the socket buffer is full: wait for EV.WRITE, then write again");
 * else console.log(n); // prints: 5
 * sys.close(fd);
 * sys.close(peer);
 * ```
 */
export function write(fd: number, data: Uint8Array | string): number | null {
  checkFd(fd);
  const bytes = bytesOf(data);
  const n = libc.write(fd, bytes, u64arg(Math.min(bytes.byteLength, MAX_IO)));
  if (n === -1) {
    if (errnoCell[0] === EAGAIN) return null;
    fail("write", fd, bytes, bytes.byteLength);
  }
  return n;
}

/**
 * Reads up to `max` bytes (or into `into`). Returns the bytes read (empty at EOF), or null for
 * EAGAIN on a non-blocking fd. Other errors throw. One `read` call; with a number, it allocates
 * the result (pass a Uint8Array to read into it and get a view of the bytes read).
 *
 * @example
 * ```ts
 * import { close, read, socketpair, write } from "evffi/sys";
 *
 * const [a, b] = socketpair();
 * const into = new Uint8Array(64);
 * write(a, "hello");
 * const got = read(b, into); // a view of `into`: no allocation for the bytes
 * console.log(got!.length, got!.buffer === into.buffer); // prints: 5 true
 * close(a);
 * close(b);
 * ```
 */
export function read(fd: number, max: number | Uint8Array = 65536): Uint8Array | null {
  checkFd(fd);
  if (typeof max === "number") checkInteger(max, "max", 0, MAX_IO);
  else if (!(max instanceof Uint8Array)) throw new TypeError(`max must be a byte count or a Uint8Array, got ${describeValue(max)}`);
  const buf = typeof max === "number" ? new Uint8Array(max) : max;
  const n = libc.read(fd, buf, u64arg(Math.min(buf.byteLength, MAX_IO)));
  if (n === -1) {
    if (errnoCell[0] === EAGAIN) return null;
    fail("read", fd, buf, buf.byteLength);
  }
  return buf.subarray(0, n);
}

/**
 * A small file's text (configuration such as /etc/resolv.conf), or null when it does not exist
 * (ENOENT). Throws RangeError when it is longer than `maxBytes`, SyscallError for other failures.
 */
export function readTextFile(path: string, maxBytes = 1 << 20): string | null {
  if (typeof path !== "string" || path.length === 0 || path.includes("\0")) throw new TypeError(`path must be a non-empty string, got ${JSON.stringify(path)}`);
  const fd = libc.open(cstring(path), C.O_CLOEXEC); // O_RDONLY is 0
  if (fd === -1) {
    if (errnoCell[0] === Errno.ENOENT) return null;
    fail("open", path);
  }
  try {
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const buf = new Uint8Array(16384);
      const n = libc.read(fd, buf, u64arg(buf.byteLength));
      if (n === -1) {
        if (errnoCell[0] === Errno.EINTR) continue;
        fail("read", fd, path);
      }
      if (n === 0) break;
      total += n;
      if (total > maxBytes) throw new RangeError(`${path} is longer than ${maxBytes} bytes`);
      chunks.push(buf.subarray(0, n));
    }
    const all = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      all.set(c, at);
      at += c.byteLength;
    }
    return new TextDecoder().decode(all);
  } finally {
    libc.close(fd);
  }
}

/** dup(2). */
export function dup(fd: number): number {
  checkFd(fd);
  const r = libc.dup(fd);
  if (r === -1) fail("dup", fd);
  return r;
}

/** shutdown(2): "read", "write" or "both". */
export function shutdown(fd: number, how: "read" | "write" | "both"): void {
  checkFd(fd);
  const h = how === "read" ? C.SHUT_RD : how === "write" ? C.SHUT_WR : how === "both" ? C.SHUT_RDWR : -1;
  if (h === -1) throw new RangeError(`how must be "read", "write" or "both", got ${describeValue(how)}`);
  if (libc.shutdown(fd, h) === -1) fail("shutdown", fd, how);
}

/** getpid(2). */
export function getpid(): number {
  return libc.getpid();
}

/** kill(2) with a signal number. */
export function kill(pid: number, sig: number): void {
  checkInteger(pid, "pid");
  checkInteger(sig, "sig", 0, 64);
  if (libc.kill(pid, sig) === -1) fail("kill", pid, sig);
}

const ts = new BigInt64Array(2);
const tsBytes = new Uint8Array(ts.buffer);

/** clock_gettime(2) in milliseconds (fractional), e.g. `clockMs(constants.CLOCK_MONOTONIC)`. */
export function clockMs(clock: number): number {
  checkInteger(clock, "clock", 0, INT_MAX);
  if (libc.clock_gettime(clock, tsBytes) === -1) fail("clock_gettime", clock);
  return Number(ts[0]) * 1000 + Number(ts[1]) / 1e6;
}

/** getsockopt(fd, level, name) for an int-valued option. */
export function getsockoptInt(fd: number, level: number, name: number): number {
  checkFd(fd);
  checkInteger(level, "level", 0, INT_MAX);
  checkInteger(name, "name", 0, INT_MAX);
  optionValue[0] = 0;
  optionLength[0] = 4;
  if (libc.getsockopt(fd, level, name, optionValue, optionLength) === -1) fail("getsockopt", fd, level, name);
  return optionValue[0];
}

/** setsockopt(fd, level, name, int). */
export function setsockoptInt(fd: number, level: number, name: number, v: number): void {
  checkFd(fd);
  checkInteger(level, "level", 0, INT_MAX);
  checkInteger(name, "name", 0, INT_MAX);
  checkInteger(v, "value");
  optionValue[0] = v;
  if (libc.setsockopt(fd, level, name, optionValue, 4) === -1) fail("setsockopt", fd, level, name, v);
}

// Scratch for the int socket options, shared: the calls are synchronous, and a typed array made
// per call costs over 1 us on Deno (a listener sets TCP_NODELAY on every connection).
const optionValue = new Int32Array(1);
const optionLength = new Uint32Array(1);

/** RLIMIT_NOFILE as [soft, hard]. */
export function getFdLimit(): [number, number] {
  const r = new BigUint64Array(2);
  if (libc.getrlimit(C.RLIMIT_NOFILE, new Uint8Array(r.buffer)) === -1) fail("getrlimit", "RLIMIT_NOFILE");
  const clamp = (v: bigint) => (v > 0x7fffffffn ? 0x7fffffff : Number(v));
  return [clamp(r[0]), clamp(r[1])];
}

/** Raises the soft RLIMIT_NOFILE towards `want` (never above the hard limit); returns the new soft limit. */
export function raiseFdLimit(want: number): number {
  checkInteger(want, "want", 0, Number.MAX_SAFE_INTEGER);
  const [soft, hard] = getFdLimit();
  if (soft >= want) return soft;
  const next = Math.min(want, hard);
  const r = new BigUint64Array([BigInt(next), BigInt(hard)]);
  if (libc.setrlimit(C.RLIMIT_NOFILE, new Uint8Array(r.buffer)) === -1) fail("setrlimit", "RLIMIT_NOFILE", next);
  return next;
}

/** Encodes a NUL-terminated C string. */
export function cstring(s: string): Uint8Array {
  const b = encoder.encode(s + "\0");
  return b;
}

/** The layout table in use, for exploration. */
export const structLayout = L;
