// The kernel's side of a file descriptor, for exploring: what it is, its flags, a socket's
// addresses, the bytes queued on it, an epoll set's interest list, an eventfd's counter. On Linux
// this reads /proc/self/fd (the link says what the fd is) and /proc/self/fdinfo (flags, epoll and
// eventfd state), and asks ioctl for the queued bytes.
import { errnoCell, libc } from "./libc.ts";
import { SyscallError } from "./errno.ts";
import { constants as C } from "./layout.ts";
import { os } from "./runtime.ts";
import { u64arg } from "./native.ts";
import { checkFd } from "./arguments.ts";
import { decodeAddress, formatAddress } from "./sockaddr.ts";

// Linux ioctl requests (asm-generic/ioctls.h): bytes waiting to be read, bytes not yet sent.
const FIONREAD = 0x541b;
const SIOCOUTQ = 0x5411;

/** What `fdInfo()` tells about a file descriptor. */
export interface FdInfo {
  /** The descriptor asked about. */
  fd: number;
  /** What the fd is. */
  kind: "socket" | "pipe" | "eventfd" | "epoll" | "timerfd" | "signalfd" | "pidfd" | "file" | "device" | "other";
  /** The kernel's name for it (the /proc/self/fd link): `socket:[123]`, `anon_inode:[eventpoll]`, a path. */
  target: string;
  /** The open file's status flags by name (O_RDWR, O_NONBLOCK, ...). */
  flags: string[];
  /** FD_CLOEXEC: the fd closes when the process execs. */
  closeOnExec: boolean;
  /** For a socket: its type, addresses, and whether it listens. */
  socket?: { type: string; local: string; peer: string | null; listening: boolean };
  /** Bytes the kernel holds for reading (FIONREAD), for sockets and pipes. */
  readable?: number;
  /** Bytes written to a socket that the kernel has not yet sent, or the peer not yet read (SIOCOUTQ). */
  unsent?: number;
  /** For an epoll fd: each watched fd with its interest bits and data. */
  watching?: { fd: number; events: string; data: string }[];
  /** For an eventfd: its counter. */
  count?: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function cPath(path: string): Uint8Array {
  return encoder.encode(path + "\0");
}

function readLink(path: string): string | null {
  const out = new Uint8Array(4096);
  const n = libc.readlink(cPath(path), out, u64arg(out.length));
  return n === -1 ? null : decoder.decode(out.subarray(0, n));
}

function readSmallFile(path: string): string | null {
  const fd = libc.open(cPath(path), C.O_CLOEXEC);
  if (fd === -1) return null;
  try {
    const chunks: Uint8Array[] = [];
    const buf = new Uint8Array(16384);
    for (;;) {
      const n = libc.read(fd, buf, u64arg(buf.length));
      if (n <= 0) break;
      chunks.push(buf.slice(0, n));
    }
    return chunks.map((c) => decoder.decode(c)).join("");
  } finally {
    libc.close(fd);
  }
}

function kindOf(target: string): FdInfo["kind"] {
  if (target.startsWith("socket:")) return "socket";
  if (target.startsWith("pipe:")) return "pipe";
  if (target === "anon_inode:[eventfd]") return "eventfd";
  if (target === "anon_inode:[eventpoll]") return "epoll";
  if (target === "anon_inode:[timerfd]") return "timerfd";
  if (target === "anon_inode:[signalfd]") return "signalfd";
  if (target === "anon_inode:[pidfd]" || target.startsWith("pidfd:")) return "pidfd";
  if (target.startsWith("/dev/")) return "device";
  if (target.startsWith("/")) return "file";
  return "other";
}

const O_ACCMODE = 3;
const ACCESS = ["O_RDONLY", "O_WRONLY", "O_RDWR"];

function flagNames(flags: number): string[] {
  const names = [ACCESS[flags & O_ACCMODE] ?? `access ${flags & O_ACCMODE}`];
  if (flags & C.O_NONBLOCK) names.push("O_NONBLOCK");
  return names;
}

const EPOLL_NAMES = Object.entries(C as unknown as Record<string, number>).filter(
  ([k, v]) => k.startsWith("EPOLL") && !k.startsWith("EPOLL_") && v !== 0,
);

function epollBits(mask: number): string {
  const names = EPOLL_NAMES.filter(([, bit]) => ((mask & bit) >>> 0) === bit >>> 0).map(([k]) => k);
  return names.length ? names.join("|") : "0";
}

function queued(fd: number, request: number): number | undefined {
  const value = new Int32Array(1);
  return libc.ioctl(fd, u64arg(request), value) === -1 ? undefined : value[0];
}

const SOCKET_TYPES: Record<number, string> = { [C.SOCK_STREAM]: "stream", [C.SOCK_DGRAM]: "dgram", [C.SOCK_SEQPACKET]: "seqpacket" };

function intOption(fd: number, level: number, name: number): number | null {
  const value = new Int32Array(1);
  const length = new Uint32Array([4]);
  return libc.getsockopt(fd, level, name, value, length) === -1 ? null : value[0];
}

function socketAddress(fd: number, peer: boolean): string | null {
  const bytes = new Uint8Array(128);
  const length = new Uint32Array([bytes.length]);
  const r = peer ? libc.getpeername(fd, bytes, length) : libc.getsockname(fd, bytes, length);
  if (r === -1) return null;
  try {
    const text = formatAddress(decodeAddress(bytes, length[0]));
    return text === "" ? "(unnamed)" : text;
  } catch {
    return "(unknown family)";
  }
}

/**
 * What the kernel knows about `fd`: its kind, flags, a socket's addresses, the bytes queued each
 * way, an epoll set's interest list, an eventfd's counter. Throws SyscallError (EBADF) for a
 * closed fd. The kind and the epoll and eventfd details come from /proc (Linux); elsewhere `kind`
 * is "socket" or "other".
 *
 * @example
 * ```ts
 * const [a, b] = sys.socketpair();
 * sys.write(a, "hello");
 * sys.fdInfo(b);
 * // { fd: 4, kind: "socket", target: "socket:[81234]", flags: ["O_RDWR", "O_NONBLOCK"], closeOnExec: true,
 * //   socket: { type: "stream", local: "(unnamed)", peer: "(unnamed)", listening: false }, readable: 5, unsent: 0 }
 * ```
 */
export function fdInfo(fd: number): FdInfo {
  checkFd(fd, "fd", 0);
  const fdFlags = libc.fcntl(fd, C.F_GETFD, 0);
  if (fdFlags === -1) throw new SyscallError("fcntl", errnoCell[0], [fd, "F_GETFD"]);
  const statusFlags = libc.fcntl(fd, C.F_GETFL, 0);
  const linux = os === "linux";
  const target = (linux ? readLink(`/proc/self/fd/${fd}`) : null) ?? "";
  const socketType = intOption(fd, C.SOL_SOCKET, C.SO_TYPE);
  const kind: FdInfo["kind"] = target ? kindOf(target) : socketType !== null ? "socket" : "other";
  const info: FdInfo = { fd, kind, target, flags: flagNames(statusFlags), closeOnExec: (fdFlags & C.FD_CLOEXEC) !== 0 };
  if (kind === "socket" && socketType !== null) {
    info.socket = {
      type: SOCKET_TYPES[socketType] ?? String(socketType),
      local: socketAddress(fd, false) ?? "?",
      peer: socketAddress(fd, true),
      listening: intOption(fd, C.SOL_SOCKET, C.SO_ACCEPTCONN) === 1,
    };
  }
  if (linux && (kind === "socket" || kind === "pipe")) {
    const readable = queued(fd, FIONREAD);
    if (readable !== undefined) info.readable = readable;
    if (kind === "socket" && !info.socket?.listening) {
      const unsent = queued(fd, SIOCOUTQ);
      if (unsent !== undefined) info.unsent = unsent;
    }
  }
  if (linux && (kind === "epoll" || kind === "eventfd")) {
    const text = readSmallFile(`/proc/self/fdinfo/${fd}`) ?? "";
    if (kind === "epoll") {
      info.watching = [];
      for (const m of text.matchAll(/^tfd:\s*(\d+)\s+events:\s*([0-9a-f]+)\s+data:\s*([0-9a-f]+)/gm)) {
        info.watching.push({ fd: Number(m[1]), events: epollBits(parseInt(m[2], 16)), data: "0x" + m[3] });
      }
    } else {
      const m = /^eventfd-count:\s*([0-9a-f]+)/m.exec(text);
      if (m) info.count = parseInt(m[1], 16);
    }
  }
  return info;
}

