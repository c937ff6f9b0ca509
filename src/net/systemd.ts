// The service manager's side of a server: sockets inherited from systemd's socket activation (or
// from any parent that follows the same convention: inetd-style fds from 3 up, named in the
// environment), and readiness, watchdog and status reports over NOTIFY_SOCKET.
//
// The protocol, as systemd documents it (sd_listen_fds(3), sd_notify(3)):
// - LISTEN_PID is the pid the sockets are meant for (a child that inherited the environment by
//   accident must not take them), LISTEN_FDS how many there are, starting at fd 3, and
//   LISTEN_FDNAMES their names, colon-separated (FileDescriptorName=, "unknown" when unnamed).
// - NOTIFY_SOCKET is a Unix datagram socket, a path or an abstract name written with a leading "@";
//   each datagram holds newline-separated VAR=value assignments such as READY=1.
import { constants as C, errnoCell, getEnv, libc, SyscallError, sys, u64arg, unsetEnv } from "../ffi/mod.ts";
import { encodeAddress, resolveAddress } from "../ffi/sockaddr.ts";
import { describeSocket, type SocketKind } from "./socket.ts";

/** fd of the first inherited socket. */
const LISTEN_FDS_START = 3;

/** A socket inherited from the service manager: its fd, its name, and what kind of socket it is. */
export interface InheritedSocket extends SocketKind {
  /** The descriptor (3 and up, in the order systemd passed them); close-on-exec. */
  fd: number;
  /** LISTEN_FDNAMES' name for it ("unknown" when systemd was given none). */
  name: string;
}

/** How listenFds() treats the environment variables it reads. */
export interface ListenFdsOptions {
  /** Remove LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES afterwards, so child processes do not see them (default true). */
  unsetEnvironment?: boolean;
}

/**
 * The sockets the service manager passed to this process (systemd socket activation), each
 * checked with getsockopt and set close-on-exec. Empty when none were passed, or when they were
 * meant for another process (LISTEN_PID). Throws SyscallError if a promised fd is not open and
 * TypeError if it is not a socket.
 *
 * @example
 * ```ts
 * import { EventBase, Listener, listenFds, sdNotify, sys } from "evffi";
 *
 * const base = new EventBase();
 * const [socket] = listenFds();                 // systemd's socket, or none when run by hand
 * // Run by hand, this example listens on a free loopback port (a real service would name one).
 * const listener = new Listener(base, socket?.listening ? { fd: socket.fd } : { host: "127.0.0.1", port: 0 }, (fd) => {
 *   sys.write(fd, "hello\n");
 *   sys.close(fd);
 * });
 * sdNotify({ READY: 1, STATUS: "serving" });   // false when not run by systemd
 * base.timer(10, () => listener.close());      // a real service serves until stopped
 * await base.loop();
 * base.close();
 * ```
 */
export function listenFds(options: ListenFdsOptions = {}): InheritedSocket[] {
  const pid = getEnv("LISTEN_PID");
  const count = getEnv("LISTEN_FDS");
  const names = getEnv("LISTEN_FDNAMES");
  if (options.unsetEnvironment ?? true) for (const v of ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"]) unsetEnv(v);
  if (pid === undefined || count === undefined) return [];
  if (!/^\d+$/.test(pid) || Number(pid) !== sys.getpid()) return [];
  if (!/^\d+$/.test(count)) throw new RangeError(`LISTEN_FDS must be a count, got ${JSON.stringify(count)}`);
  const n = Number(count);
  const nameList = names === undefined ? [] : names.split(":");
  const sockets: InheritedSocket[] = [];
  for (let i = 0; i < n; i++) {
    const fd = LISTEN_FDS_START + i;
    sys.setCloseOnExec(fd); // EBADF here: the fd was promised and is not open
    sockets.push({ fd, name: nameList[i] || "unknown", ...describeSocket(fd) });
  }
  return sockets;
}

/** A state for sdNotify: "READY=1\nSTATUS=..." or `{ READY: 1, STATUS: "..." }`. */
export type NotifyState = string | Record<string, string | number>;

/**
 * Sends a state report to the service manager (sd_notify): `READY=1` once serving, `RELOADING=1`,
 * `STOPPING=1`, `WATCHDOG=1` on every watchdog interval, `STATUS=text`, `MAINPID=pid`. Returns
 * false when no manager listens (NOTIFY_SOCKET unset) and true once the datagram was sent;
 * throws SyscallError when the socket is set but the send fails.
 */
export function sdNotify(state: NotifyState): boolean {
  let text: string;
  if (typeof state === "string") text = state;
  else if (typeof state === "object" && state !== null) {
    text = Object.entries(state).map(([k, v]) => {
      if (/[=\n]/.test(k) || String(v).includes("\n")) throw new TypeError(`a notify variable may not hold "=" or a newline in its name, nor a newline in its value: ${JSON.stringify(k)}`);
      return `${k}=${v}`;
    }).join("\n");
  } else throw new TypeError(`state must be a string or an object of VAR: value, got ${state === null ? "null" : typeof state}`);
  if (text.length === 0) throw new TypeError("state must not be empty");
  const path = getEnv("NOTIFY_SOCKET");
  if (path === undefined || path === "") return false;
  if (!path.startsWith("/") && !path.startsWith("@")) throw new TypeError(`NOTIFY_SOCKET must be an absolute path or an @abstract name, got ${JSON.stringify(path)}`);
  const fd = sys.socket(C.AF_UNIX, C.SOCK_DGRAM);
  try {
    const { bytes: name, length } = encodeAddress(resolveAddress({ path }));
    const data = new TextEncoder().encode(text);
    if (libc.sendto(fd, data, u64arg(data.byteLength), C.MSG_NOSIGNAL, name, length) === -1) {
      throw new SyscallError("sendto", errnoCell[0], [fd, text, path]);
    }
  } finally {
    libc.close(fd);
  }
  return true;
}

/**
 * The watchdog interval the service manager expects `sdNotify({ WATCHDOG: 1 })` within, in ms
 * (WATCHDOG_USEC, for this process per WATCHDOG_PID), or null when no watchdog is set. Send at
 * half of it, as systemd recommends.
 */
export function watchdogInterval(): number | null {
  const usec = getEnv("WATCHDOG_USEC");
  const pid = getEnv("WATCHDOG_PID");
  if (usec === undefined || !/^\d+$/.test(usec) || Number(usec) === 0) return null;
  if (pid !== undefined && Number(pid) !== sys.getpid()) return null;
  return Number(usec) / 1000;
}
