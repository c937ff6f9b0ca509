// strace-like tracing of the libc calls evffi makes, with names instead of numbers.
//
// Why it costs nothing when off: every module above src/ffi calls libc through the shared `libc`
// object (`libc.epoll_wait(...)`), never through a local copy of a symbol. Tracing replaces the
// functions in that object with wrappers, and turning it off puts the bound symbols back. With
// tracing off, the hot paths call exactly the functions openLibrary bound.
//
// The wrapper keeps errno: it reads errno right after the call (before formatting, which may call
// C and clobber it) and writes it back before returning, so the caller's `errnoCell[0]` read after
// a -1 still sees the call's errno.
import { getEnv } from "./runtime.ts";
import { errnoCell, libc } from "./libc.ts";
import { errnoName } from "./errno.ts";
import { constants as C, layout as L, signals } from "./layout.ts";
import { decodeAddress, formatAddress } from "./sockaddr.ts";
import { u64arg } from "./native.ts";

/** One traced call, as passed to a trace callback next to its formatted line. */
export interface TracedCall {
  /** The C function (`recv` for the library's address-taking variant as well). */
  name: string;
  /** The arguments, decoded for reading (fds as numbers, flags by name, buffers summarised). */
  args: string[];
  /** What the call returned. */
  result: number | bigint | null;
  /** errno's name when the call failed, else null. */
  errno: string | null;
  /** Wall time inside the call, in microseconds. */
  micros: number;
}

/** Receives each traced call: the strace-like line (no newline) and its parts. */
export type TraceCallback = (line: string, call: TracedCall) => void;

/**
 * What `trace()` accepts: `true` traces every system call to stderr, `false` stops; a string
 * (`"epoll_ctl,accept4"`) or list of names traces only those; a callback receives every line instead
 * of stderr; an object combines a filter with a callback.
 */
export type TraceSetting =
  | boolean
  | string
  | readonly string[]
  | TraceCallback
  | { filter?: string | readonly string[]; callback?: TraceCallback };

// Library calls that are not system calls (or are answered in user space by the vDSO): traced only
// when named in a filter, as strace would not show them.
const NOT_SYSCALLS = new Set([
  "strerror", "abs", "__errno_location", "__error", "clock_gettime", "posix_spawn_file_actions_init",
  "posix_spawn_file_actions_destroy", "posix_spawn_file_actions_adddup2", "posix_spawn_file_actions_addchdir_np",
  "posix_spawn_file_actions_addopen",
]);

// The names the C library binds under another key (same function, other argument types).
const C_NAMES: Record<string, string> = { recvAt: "recv", sendAt: "send" };

// deno-lint-ignore ban-types
type Fn = Function;
const table = libc as unknown as Record<string, Fn>;
// The bound symbols, captured before any wrapping so that turning tracing off restores them.
const bound: Record<string, Fn> = { ...table };
const wrappers = new WeakSet<Fn>();

/** Takes in symbols bound into the table after load (libkqueue's kqueue and kevent on Linux). */
function refreshBound(): void {
  for (const name of Object.keys(table)) if (!wrappers.has(table[name])) bound[name] = table[name];
}

let active = false;
let callback: TraceCallback | null = null;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Turns tracing of evffi's libc calls on or off, strace-style: one line per call with its
 * arguments decoded (fds, EPOLL and POLL bits, epoll event arrays, socket addresses, errno names,
 * byte counts) and the time spent in it. Lines go to stderr (fd 2, written directly) or to a
 * callback. `EVFFI_TRACE=1` (or a list of names, `EVFFI_TRACE=epoll_ctl,accept4`) turns it on when
 * the library loads. Traces this thread only: each Worker has its own libc bindings.
 *
 * @example
 * ```ts
 * import { sys } from "evffi";
 *
 * sys.trace(true);                       // every system call, to stderr
 * const [a, b] = sys.socketpair();       // socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0, [3, 4]) = 0  <4.1 µs>
 * sys.trace("read,write");               // only these two
 * const lines: string[] = [];
 * sys.trace((line) => lines.push(line)); // every system call, to a callback
 * sys.write(a, "hi");
 * sys.trace(false);
 * console.log(lines);                    // [ 'write(3, "hi", 2) = 2  <2.0 µs>' ]
 * ```
 */
export function trace(setting: TraceSetting): void {
  let filter: string | readonly string[] | undefined;
  let cb: TraceCallback | null = null;
  if (typeof setting === "boolean") {
    if (!setting) return stopTracing();
  } else if (typeof setting === "string" || Array.isArray(setting)) {
    filter = setting as string | readonly string[];
  } else if (typeof setting === "function") {
    cb = setting;
  } else if (setting !== null && typeof setting === "object") {
    const options = setting as { filter?: string | readonly string[]; callback?: TraceCallback };
    if (options.callback !== undefined && typeof options.callback !== "function") {
      throw new TypeError(`trace callback must be a function, got ${describe(options.callback)}`);
    }
    filter = options.filter;
    cb = options.callback ?? null;
  } else {
    throw new TypeError(`trace() takes a boolean, a filter (string or string[]), a callback or { filter, callback }, got ${describe(setting)}`);
  }
  refreshBound();
  const names = selectNames(filter);
  stopTracing();
  callback = cb;
  for (const name of names) table[name] = wrap(name, bound[name]);
  active = true;
}

/** Whether tracing is on in this thread. */
export function tracing(): boolean {
  return active;
}

function stopTracing(): void {
  if (!active) return;
  refreshBound();
  for (const name of Object.keys(bound)) table[name] = bound[name];
  active = false;
  callback = null;
}

function describe(value: unknown): string {
  if (typeof value === "string") return `"${value}" (string)`;
  if (value === null) return "null";
  if (typeof value === "object") return `${Object.prototype.toString.call(value)} (object)`;
  return `${String(value)} (${typeof value})`;
}

function selectNames(filter: string | readonly string[] | undefined): string[] {
  const all = Object.keys(bound);
  if (filter === undefined) return all.filter((n) => !NOT_SYSCALLS.has(n));
  const list = typeof filter === "string" ? filter.split(",").map((s) => s.trim()).filter((s) => s !== "") : [...filter];
  if (list.length === 1 && ["1", "true", "all", "yes", "on"].includes(list[0].toLowerCase())) {
    return all.filter((n) => !NOT_SYSCALLS.has(n));
  }
  const chosen = new Set<string>();
  for (const item of list) {
    if (typeof item !== "string") throw new TypeError(`trace filter entries must be strings, got ${describe(item)}`);
    let found = false;
    for (const name of all) {
      if (name === item || C_NAMES[name] === item) {
        chosen.add(name);
        found = true;
      }
    }
    if (!found) {
      throw new RangeError(`trace filter: "${item}" is not a libc function evffi calls (known: ${all.filter((n) => !(n in C_NAMES)).sort().join(", ")})`);
    }
  }
  return [...chosen];
}

function wrap(name: string, fn: Fn): Fn {
  const cName = C_NAMES[name] ?? name;
  const decode = decoders[cName] ?? genericArgs;
  const traced = function traced(...args: unknown[]): unknown {
    const start = performance.now();
    const result = fn(...args);
    const errno = errnoCell[0];
    const micros = (performance.now() - start) * 1000;
    if (result instanceof Promise) return result; // Deno's nonblocking calls: not traced
    try {
      const failed = result === -1 || result === -1n;
      const call: TracedCall = {
        name: cName,
        args: decode(args, typeof result === "number" ? result : Number(result), failed),
        result: result as number | bigint | null,
        errno: failed ? errnoName(errno) : null,
        micros,
      };
      emit(formatCall(call), call);
    } catch {
      // A decoding fault must never change what the call returned.
    } finally {
      errnoCell[0] = errno;
    }
    return result;
  };
  wrappers.add(traced);
  return traced;
}

/** Formats one call the way strace does: `name(args) = result [ERRNO]  <time µs>`. */
export function formatCall(call: TracedCall): string {
  const result = call.result === null ? "?" : typeof call.result === "bigint" ? call.result.toString() : String(call.result);
  const errno = call.errno ? ` ${call.errno}` : "";
  const time = call.micros < 10 ? call.micros.toFixed(1) : Math.round(call.micros).toString();
  return `${call.name}(${call.args.join(", ")}) = ${result}${errno}  <${time} µs>`;
}

function emit(line: string, call: TracedCall): void {
  if (callback) {
    callback(line, call);
    return;
  }
  // Straight to fd 2 through the untraced write: synchronous, unbuffered, and not itself traced.
  const bytes = encoder.encode(line + "\n");
  let off = 0;
  while (off < bytes.length) {
    const view = bytes.subarray(off);
    const n = bound.write(2, view, u64arg(view.length)) as number;
    if (n <= 0) break;
    off += n;
  }
}

// ---- Decoding --------------------------------------------------------------------------------

type Decoder = (args: unknown[], result: number, failed: boolean) => string[];

function num(v: unknown): string {
  return typeof v === "bigint" ? v.toString() : String(v);
}

function isView(v: unknown): v is ArrayBufferView {
  return ArrayBuffer.isView(v);
}

function bytesOf(v: unknown): Uint8Array | null {
  return isView(v) ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : null;
}

const QUOTE_LIMIT = 32;

/** Bytes as strace shows them: a quoted string with escapes, cut at 32 bytes with `...`. */
function quote(v: unknown, length: number): string {
  const bytes = bytesOf(v);
  if (!bytes) return v === null ? "NULL" : "...";
  const n = Math.max(0, Math.min(length, bytes.length));
  let out = '"';
  for (let i = 0; i < Math.min(n, QUOTE_LIMIT); i++) {
    const c = bytes[i];
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += "\\\\";
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x0d) out += "\\r";
    else if (c === 0x09) out += "\\t";
    else if (c >= 0x20 && c < 0x7f) out += String.fromCharCode(c);
    else out += "\\x" + c.toString(16).padStart(2, "0");
  }
  return out + (n > QUOTE_LIMIT ? '"...' : '"');
}

function cString(v: unknown): string {
  const bytes = bytesOf(v);
  if (!bytes) return "...";
  const end = bytes.indexOf(0);
  return JSON.stringify(decoder.decode(end === -1 ? bytes : bytes.subarray(0, end)));
}

const consts = C as unknown as Record<string, number>;

function namesWithPrefix(prefixes: readonly string[], exclude: readonly string[] = []): [string, number][] {
  return Object.entries(consts).filter(([k, v]) => v !== 0 && prefixes.some((p) => k.startsWith(p)) && !exclude.includes(k));
}

/** A bit mask by name: `EPOLLIN|EPOLLET`, with any unnamed rest in hex. */
function bits(value: number, table: readonly [string, number][]): string {
  if (value === 0) return "0";
  const parts: string[] = [];
  let rest = value >>> 0;
  for (const [name, bit] of table) {
    const b = bit >>> 0;
    if (((rest & b) >>> 0) === b && b !== 0) {
      parts.push(name);
      rest = (rest & ~b) >>> 0;
    }
  }
  if (rest !== 0) parts.push("0x" + rest.toString(16));
  return parts.join("|");
}

/** An enumerated value by name (`AF_INET`), or the number. */
function named(value: unknown, table: readonly [string, number][], zero?: string): string {
  const n = Number(value);
  if (n === 0 && zero) return zero;
  for (const [name, v] of table) if (v === n) return name;
  return num(value);
}

const EPOLL_BITS = namesWithPrefix(["EPOLL"], ["EPOLL_CLOEXEC", "EPOLL_CTL_ADD", "EPOLL_CTL_DEL", "EPOLL_CTL_MOD"]);
const EPOLL_OPS = namesWithPrefix(["EPOLL_CTL_"]);
const POLL_BITS = namesWithPrefix(["POLL"]);
const FAMILIES = namesWithPrefix(["AF_"]);
const SOCK_FLAGS = namesWithPrefix(["SOCK_NONBLOCK", "SOCK_CLOEXEC"]);
const SOCK_TYPES = namesWithPrefix(["SOCK_STREAM", "SOCK_DGRAM", "SOCK_SEQPACKET"]);
const MSG_FLAGS = namesWithPrefix(["MSG_"]);
const O_FLAGS = namesWithPrefix(["O_NONBLOCK", "O_CLOEXEC", "O_RDWR"]);
const FCNTL_CMDS = namesWithPrefix(["F_"]);
const SHUT_HOW: [string, number][] = [["SHUT_RD", C.SHUT_RD], ["SHUT_WR", C.SHUT_WR], ["SHUT_RDWR", C.SHUT_RDWR]];
const EFD_FLAGS = namesWithPrefix(["EFD_"]);
const TFD_FLAGS = namesWithPrefix(["TFD_"]);
const CLOCKS: [string, number][] = [["CLOCK_REALTIME", C.CLOCK_REALTIME], ...namesWithPrefix(["CLOCK_"])];
const LEVELS: [string, number][] = [["IPPROTO_IP", 0], ...namesWithPrefix(["SOL_", "IPPROTO_"])];
const SIGNALS = Object.entries(signals).filter(([, v]) => v !== 0);
const OPTIONS_BY_LEVEL: Record<number, [string, number][]> = {
  [C.SOL_SOCKET]: namesWithPrefix(["SO_"]),
  [C.IPPROTO_TCP]: namesWithPrefix(["TCP_"]),
  [C.IPPROTO_IPV6]: namesWithPrefix(["IPV6_"]),
  [C.IPPROTO_IP]: namesWithPrefix(["IP_"]),
};

function socketType(value: unknown): string {
  const n = Number(value);
  let flags = 0;
  for (const [, bit] of SOCK_FLAGS) flags |= bit;
  const type = n & ~flags;
  const parts = [named(type, SOCK_TYPES)];
  if (n & flags) parts.push(bits(n & flags, SOCK_FLAGS));
  return parts.join("|");
}

function fdPair(v: unknown, failed: boolean): string {
  if (failed || !isView(v)) return "...";
  const fds = new Int32Array(v.buffer, v.byteOffset, 2);
  return `[${fds[0]}, ${fds[1]}]`;
}

function address(v: unknown, length: number): string {
  const bytes = bytesOf(v);
  if (!bytes) return v === null ? "NULL" : "...";
  try {
    return formatAddress(decodeAddress(bytes, length));
  } catch {
    return "{...}";
  }
}

function socklenIn(v: unknown): number {
  return isView(v) ? new DataView(v.buffer, v.byteOffset, 4).getUint32(0, true) : 0;
}

function epollEvents(v: unknown, count: number): string {
  const bytes = bytesOf(v);
  if (!bytes) return "...";
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const items: string[] = [];
  for (let i = 0; i < count; i++) {
    const at = i * L.epoll_event.size;
    if (at + L.epoll_event.size > bytes.length) break;
    items.push(`{fd=${view.getInt32(at + L.epoll_event.data, true)}, ${bits(view.getUint32(at + L.epoll_event.events, true), EPOLL_BITS)}}`);
  }
  return `[${items.join(", ")}]`;
}

function pollFds(v: unknown, count: number, withResults: boolean): string {
  const bytes = bytesOf(v);
  if (!bytes) return "...";
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const items: string[] = [];
  for (let i = 0; i < count && i * 8 + 8 <= bytes.length; i++) {
    const fd = view.getInt32(i * 8, true);
    const events = view.getInt16(i * 8 + 4, true) & 0xffff;
    const revents = view.getInt16(i * 8 + 6, true) & 0xffff;
    if (withResults && revents === 0) continue;
    items.push(`{fd=${fd}, events=${bits(events, POLL_BITS)}${withResults ? `, revents=${bits(revents, POLL_BITS)}` : ""}}`);
  }
  return `[${items.join(", ")}]`;
}

function fdSet(v: unknown, nfds: number): string {
  const bytes = bytesOf(v);
  if (!bytes) return "NULL";
  const fds: number[] = [];
  for (let fd = 0; fd < nfds && fd >> 3 < bytes.length; fd++) if (bytes[fd >> 3] & (1 << (fd & 7))) fds.push(fd);
  return `[${fds.join(" ")}]`;
}

function timespec(v: unknown): string {
  const bytes = bytesOf(v);
  if (!bytes || bytes.length < 16) return v === null ? "NULL" : "...";
  const view = new DataView(bytes.buffer, bytes.byteOffset, 16);
  return `{tv_sec=${view.getBigInt64(0, true)}, tv_nsec=${view.getBigInt64(8, true)}}`;
}

function genericArgs(args: unknown[]): string[] {
  return args.map((a) => (a === null ? "NULL" : isView(a) ? "..." : typeof a === "object" ? "0x?" : num(a)));
}

function sockoptValue(v: unknown, len: number): string {
  const bytes = bytesOf(v);
  if (bytes && len === 4 && bytes.length >= 4) return `[${new DataView(bytes.buffer, bytes.byteOffset, 4).getInt32(0, true)}]`;
  return "...";
}

function pointerText(v: unknown): string {
  return typeof v === "bigint" || typeof v === "number" ? "0x" + v.toString(16) : "...";
}

const readLike: Decoder = ([fd, b, n], r, failed) => [num(fd), failed || r <= 0 ? "..." : quote(b, r), num(n)];
const writeLike: Decoder = ([fd, b, n]) => [num(fd), quote(b, Number(n)), num(n)];

const decoders: Record<string, Decoder> = {
  read: readLike,
  write: writeLike,
  readv: ([fd, , cnt]) => [num(fd), "[...]", num(cnt)],
  writev: ([fd, , cnt]) => [num(fd), "[...]", num(cnt)],
  recv: ([fd, b, n, f], r, failed) => [
    num(fd), isView(b) ? (failed || r <= 0 ? "..." : quote(b, r)) : pointerText(b), num(n), bits(Number(f), MSG_FLAGS),
  ],
  send: ([fd, b, n, f]) => [num(fd), isView(b) ? quote(b, Number(n)) : pointerText(b), num(n), bits(Number(f), MSG_FLAGS)],
  sendmsg: ([fd, , f]) => [num(fd), "{msghdr}", bits(Number(f), MSG_FLAGS)],
  recvmsg: ([fd, , f]) => [num(fd), "{msghdr}", bits(Number(f), MSG_FLAGS)],
  sendto: ([fd, b, n, f, a, alen]) => [num(fd), quote(b, Number(n)), num(n), bits(Number(f), MSG_FLAGS), address(a, Number(alen)), num(alen)],
  recvfrom: ([fd, b, n, f, a, alen], r, failed) => [
    num(fd), failed ? "..." : quote(b, r), num(n), bits(Number(f), MSG_FLAGS), failed ? "..." : address(a, socklenIn(alen)), "...",
  ],
  kill: ([pid, sig]) => [num(pid), named(sig, SIGNALS, "0")],
  socket: ([d, t, p]) => [named(d, FAMILIES), socketType(t), num(p)],
  socketpair: ([d, t, p, sv], _r, failed) => [named(d, FAMILIES), socketType(t), num(p), fdPair(sv, failed)],
  bind: ([fd, a, len]) => [num(fd), address(a, Number(len)), num(len)],
  connect: ([fd, a, len]) => [num(fd), address(a, Number(len)), num(len)],
  accept: ([fd, a, len], _r, failed) => [num(fd), failed ? "..." : address(a, socklenIn(len)), a === null ? "NULL" : "..."],
  accept4: ([fd, a, len, f], _r, failed) => [
    num(fd), failed ? "..." : address(a, socklenIn(len)), a === null ? "NULL" : "...", bits(Number(f), SOCK_FLAGS),
  ],
  getsockname: ([fd, a, len], _r, failed) => [num(fd), failed ? "..." : address(a, socklenIn(len)), "..."],
  getpeername: ([fd, a, len], _r, failed) => [num(fd), failed ? "..." : address(a, socklenIn(len)), "..."],
  getsockopt: ([fd, level, opt, v, len], _r, failed) => [
    num(fd), named(level, LEVELS), named(opt, OPTIONS_BY_LEVEL[Number(level)] ?? []), failed ? "..." : sockoptValue(v, socklenIn(len)), "...",
  ],
  setsockopt: ([fd, level, opt, v, len]) => [
    num(fd), named(level, LEVELS), named(opt, OPTIONS_BY_LEVEL[Number(level)] ?? []), sockoptValue(v, Number(len)), num(len),
  ],
  shutdown: ([fd, how]) => [num(fd), named(how, SHUT_HOW)],
  fcntl: ([fd, cmd, arg]) => {
    const c = Number(cmd);
    const shown = c === C.F_SETFL ? bits(Number(arg), O_FLAGS) : c === C.F_SETFD ? bits(Number(arg), [["FD_CLOEXEC", C.FD_CLOEXEC]]) : num(arg);
    return [num(fd), named(cmd, FCNTL_CMDS), shown];
  },
  pipe: ([fds], _r, failed) => [fdPair(fds, failed)],
  pipe2: ([fds, f], _r, failed) => [fdPair(fds, failed), bits(Number(f), O_FLAGS)],
  poll: ([fds, n, t], r, failed) => [failed || r <= 0 ? pollFds(fds, Number(n), false) : pollFds(fds, Number(n), true), num(n), num(t)],
  select: ([n, rd, wr, ex, t], _r, failed) => [num(n), failed ? "..." : fdSet(rd, Number(n)), failed ? "..." : fdSet(wr, Number(n)), ex === null ? "NULL" : fdSet(ex, Number(n)), t === null ? "NULL" : "{...}"],
  clock_gettime: ([c]) => [named(c, CLOCKS, "CLOCK_REALTIME"), "..."],
  unlink: ([p]) => [cString(p)],
  open: ([p, f]) => [cString(p), bits(Number(f), O_FLAGS) === "0" ? "O_RDONLY" : bits(Number(f), O_FLAGS)],
  epoll_create1: ([f]) => [bits(Number(f), [["EPOLL_CLOEXEC", C.EPOLL_CLOEXEC]])],
  readlink: ([p, out, size], r, failed) => [cString(p), failed || r < 0 ? "..." : JSON.stringify(decoder.decode(bytesOf(out)!.subarray(0, r))), num(size)],
  ioctl: ([fd, request, arg], _r, failed) => {
    const req = Number(request);
    const name = req === 0x541b ? "FIONREAD" : req === 0x5411 ? "SIOCOUTQ" : "0x" + req.toString(16);
    const b = bytesOf(arg);
    const shown = !failed && b && b.length >= 4 ? `[${new DataView(b.buffer, b.byteOffset, 4).getInt32(0, true)}]` : "...";
    return [num(fd), name, shown];
  },
  epoll_ctl: ([ep, op, fd, ev]) => {
    const b = bytesOf(ev);
    let shown = "NULL";
    if (Number(op) !== C.EPOLL_CTL_DEL && b && b.length >= L.epoll_event.size) {
      const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
      shown = `{${bits(view.getUint32(L.epoll_event.events, true), EPOLL_BITS)}, data=${view.getInt32(L.epoll_event.data, true)}}`;
    }
    return [num(ep), named(op, EPOLL_OPS), num(fd), shown];
  },
  epoll_wait: ([ep, ev, max, t], r, failed) => [num(ep), failed ? "..." : epollEvents(ev, r), num(max), num(t)],
  epoll_pwait2: ([ep, ev, max, t, mask], r, failed) => [
    num(ep), failed ? "..." : epollEvents(ev, r), num(max), timespec(t), mask === null ? "NULL" : "...",
  ],
  eventfd: ([v, f]) => [num(v), bits(Number(f), EFD_FLAGS)],
  timerfd_create: ([c, f]) => [named(c, CLOCKS, "CLOCK_REALTIME"), bits(Number(f), TFD_FLAGS)],
  timerfd_settime: ([fd, f, nv, old]) => {
    const b = bytesOf(nv);
    const shown = b && b.length >= 32
      ? `{it_interval=${timespec(b.subarray(0, 16))}, it_value=${timespec(b.subarray(16, 32))}}`
      : "...";
    return [num(fd), bits(Number(f), TFD_FLAGS), shown, old === null ? "NULL" : "..."];
  },
};

// EVFFI_TRACE=1 (or a list of names) traces from the moment the library loads.
const fromEnv = getEnv("EVFFI_TRACE");
if (fromEnv !== undefined && fromEnv !== "" && fromEnv !== "0" && fromEnv.toLowerCase() !== "false") {
  try {
    trace(fromEnv);
  } catch (err) {
    // A typo in the variable must not stop the program; say so once, and trace everything.
    const message = `evffi: EVFFI_TRACE: ${(err as Error).message}; tracing every system call\n`;
    const bytes = encoder.encode(message);
    bound.write(2, bytes, u64arg(bytes.length));
    trace(true);
  }
}
