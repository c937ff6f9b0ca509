// Raw libc bindings, opened once per thread (each Worker has its own module instance).
// These return C's values unchanged (-1 and errno on failure): the hot paths test -1 inline and
// read `errnoCell[0]` as the very next expression. sys.ts wraps them in throwing, typed calls.
import { os, platform } from "./runtime.ts";
import { constants as C } from "./layout.ts";
import {
  type NativePointer, type OpenedLibrary, type SymbolSpec, type U64Arg, NotAvailableError, nativeMemory, openLibrary, readCString, u64arg,
} from "./native.ts";
import { portable, replaceableSymbols } from "./portable.ts";
import { SyscallError, setErrnoDescriber } from "./errno.ts";

/** Memory passed to C: any typed array or DataView (its bytes), or null for a NULL pointer. */
export type Buf = ArrayBufferView | null;

/** The libc symbols evffi uses. 64-bit parameters take `U64Arg` (see `u64arg`). */
export interface Libc {
  /** read(2). */
  read(fd: number, buf: Buf, count: U64Arg): number;
  /** write(2). */
  write(fd: number, buf: Buf, count: U64Arg): number;
  /** readv(2). */
  readv(fd: number, iov: Buf, iovcnt: number): number;
  /** writev(2). */
  writev(fd: number, iov: Buf, iovcnt: number): number;
  /** recv(2). */
  recv(fd: number, buf: Buf, len: U64Arg, flags: number): number;
  /** send(2). */
  send(fd: number, buf: Buf, len: U64Arg, flags: number): number;
  /** recv() into native memory at `address` (a pooled chunk's): no view is made per call. */
  recvAt(fd: number, address: U64Arg, len: U64Arg, flags: number): number;
  /** send() from native memory at `address`. */
  sendAt(fd: number, address: U64Arg, len: U64Arg, flags: number): number;
  /** sendmsg(2). */
  sendmsg(fd: number, msg: Buf, flags: number): number;
  /** recvmsg(2). */
  recvmsg(fd: number, msg: Buf, flags: number): number;
  /** sendto(2). */
  sendto(fd: number, buf: Buf, len: U64Arg, flags: number, addr: Buf, addrlen: number): number;
  /** recvfrom(2). */
  recvfrom(fd: number, buf: Buf, len: U64Arg, flags: number, addr: Buf, addrlen: Buf): number;
  /** Linux: many datagrams per call (mmsghdr array of `vlen`); absent elsewhere. */
  recvmmsg(fd: number, msgvec: Buf, vlen: number, flags: number, timeout: Buf | null): number;
  /** sendmmsg(2). */
  sendmmsg(fd: number, msgvec: Buf, vlen: number, flags: number): number;
  /** close(2). */
  close(fd: number): number;
  /** dup(2). */
  dup(fd: number): number;
  /** getpid(2). */
  getpid(): number;
  /** kill(2). */
  kill(pid: number, sig: number): number;
  /** strerror(3): the message for an errno, as a C string (read it with readCString). */
  strerror(errnum: number): NativePointer;
  /** abs(3): the cheapest libc call, for measuring the FFI call itself. */
  abs(n: number): number;
  /** socket(2). */
  socket(domain: number, type: number, protocol: number): number;
  /** socketpair(2). */
  socketpair(domain: number, type: number, protocol: number, sv: Buf): number;
  /** bind(2). */
  bind(fd: number, addr: Buf, len: number): number;
  /** listen(2). */
  listen(fd: number, backlog: number): number;
  /** accept(2). */
  accept(fd: number, addr: Buf, len: Buf): number;
  /** accept4(2). */
  accept4(fd: number, addr: Buf, len: Buf, flags: number): number;
  /** connect(2). */
  connect(fd: number, addr: Buf, len: number): number;
  /** getsockopt(2). */
  getsockopt(fd: number, level: number, name: number, value: Buf, len: Buf): number;
  /** setsockopt(2). */
  setsockopt(fd: number, level: number, name: number, value: Buf, len: number): number;
  /** getsockname(2). */
  getsockname(fd: number, addr: Buf, len: Buf): number;
  /** getpeername(2). */
  getpeername(fd: number, addr: Buf, len: Buf): number;
  /** shutdown(2). */
  shutdown(fd: number, how: number): number;
  /** fcntl with one int argument (F_GETFL, F_SETFL, F_GETFD, F_SETFD, F_DUPFD_CLOEXEC). */
  fcntl(fd: number, cmd: number, arg: number): number;
  /** pipe(2). */
  pipe(fds: Buf): number;
  /** pipe2(2). */
  pipe2(fds: Buf, flags: number): number;
  /** poll(2). */
  poll(fds: Buf, nfds: U64Arg, timeoutMs: number): number;
  /** select(2). */
  select(nfds: number, readfds: Buf, writefds: Buf, exceptfds: Buf, timeout: Buf): number;
  /** clock_gettime(2). */
  clock_gettime(clock: number, ts: Buf): number;
  /** getrlimit(2). */
  getrlimit(resource: number, rlim: Buf): number;
  /** setrlimit(2). */
  setrlimit(resource: number, rlim: Buf): number;
  /** unlink(2). */
  unlink(path: Buf): number;
  /** Linux 5.3+ (glibc 2.36): an fd that becomes readable when the process ends. */
  pidfd_open(pid: number, flags: number): number;
  /** pidfd_send_signal(2). */
  pidfd_send_signal(pidfd: number, sig: number, info: Buf | null, flags: number): number;
  /** waitid(2). */
  waitid(idtype: number, id: number, info: Buf, options: number): number;
  /** Returns an errno (0 on success), not -1. */
  posix_spawnp(pid: Buf, file: Buf, fileActions: Buf, attr: Buf | null, argv: Buf, envp: Buf): number;
  /** posix_spawn_file_actions_init(3). */
  posix_spawn_file_actions_init(actions: Buf): number;
  /** posix_spawn_file_actions_destroy(3). */
  posix_spawn_file_actions_destroy(actions: Buf): number;
  /** posix_spawn_file_actions_adddup2(3). */
  posix_spawn_file_actions_adddup2(actions: Buf, fd: number, newFd: number): number;
  /** posix_spawn_file_actions_addchdir_np(3). */
  posix_spawn_file_actions_addchdir_np(actions: Buf, path: Buf): number;
  /** posix_spawn_file_actions_addopen(3). */
  posix_spawn_file_actions_addopen(actions: Buf, fd: number, path: Buf, oflag: number, mode: number): number;
  /** open(2) without a mode (never with O_CREAT). */
  open(path: Buf, flags: number): number;
  /** readlink(2): the bytes of the link's target (not NUL-terminated); for /proc/self/fd/N. */
  readlink(path: Buf, out: Buf, size: U64Arg): number;
  /** ioctl(2) with one pointer argument (FIONREAD, SIOCOUTQ). */
  ioctl(fd: number, request: U64Arg, arg: Buf): number;
  /** epoll_create1(2). */
  epoll_create1(flags: number): number;
  /** epoll_ctl(2). */
  epoll_ctl(epfd: number, op: number, fd: number, event: Buf): number;
  /** epoll_wait(2). */
  epoll_wait(epfd: number, events: Buf, maxevents: number, timeoutMs: number): number;
  /** epoll_pwait2(2). */
  epoll_pwait2(epfd: number, events: Buf, maxevents: number, timeout: Buf, sigmask: Buf): number;
  /** eventfd(2). */
  eventfd(initval: number, flags: number): number;
  /** timerfd_create(2). */
  timerfd_create(clock: number, flags: number): number;
  /** timerfd_settime(2). */
  timerfd_settime(fd: number, flags: number, newValue: Buf, oldValue: Buf): number;
  /** kqueue(2). */
  kqueue(): number;
  /** kevent(2). */
  kevent(kq: number, changes: Buf, nchanges: number, events: Buf, nevents: number, timeout: Buf): number;
  /** glibc 2.34+ has it in libc itself; used only to pin libkqueue in memory. */
  dlopen(path: Buf, flags: number): NativePointer;
}

const i32 = "i32", u32 = "u32", i64 = "i64", u64 = "u64", buf = "buf", nbuf = "nbuf", ptr = "ptr";

// fcntl(int fd, int cmd, ...) is variadic. On x86_64 (both ABIs) and on Linux aarch64 a variadic
// int travels in the next free register, exactly like a fixed one, so binding it as a third int
// works. Apple's arm64 ABI differs: every variadic argument goes on the stack in its own 8-byte
// slot ("Writing ARM64 code for Apple platforms", Apple Developer Documentation: "the caller
// places all variadic arguments on the stack"), while an FFI call with a fixed third int would put
// it in x2, where fcntl never looks, so F_SETFL's flags would never arrive. On darwin-arm64 the
// binding therefore fills x2-x7 with six unused 64-bit arguments, and the value, as the ninth
// argument, is passed in the first stack slot, [sp], where the callee's va_arg reads it.
/**
 * How `fcntl(fd, cmd, int)` is declared on `platformKey` ("darwin-arm64", "linux-x64", ...): the
 * variadic int as a third fixed int, or, on darwin-arm64, after six unused 64-bit arguments.
 */
export function fcntlSpecFor(platformKey: string): SymbolSpec {
  return platformKey === "darwin-arm64"
    ? { args: [i32, i32, i64, i64, i64, i64, i64, i64, i64], result: i32 }
    : { args: [i32, i32, i32], result: i32 };
}
const variadicOnStack = platform === "darwin-arm64";
const fcntlSpec = fcntlSpecFor(platform);

/** Symbols of every OS. Each is POSIX or shared by glibc, macOS's libSystem and FreeBSD's libc. */
const commonSpecs: Record<string, SymbolSpec> = {
  read: { args: [i32, buf, u64], result: i32 },
  write: { args: [i32, buf, u64], result: i32 },
  readv: { args: [i32, buf, i32], result: i32 },
  writev: { args: [i32, buf, i32], result: i32 },
  recv: { args: [i32, buf, u64, i32], result: i32 },
  send: { args: [i32, buf, u64, i32], result: i32 },
  recvAt: { symbol: "recv", args: [i32, u64, u64, i32], result: i32 },
  sendAt: { symbol: "send", args: [i32, u64, u64, i32], result: i32 },
  sendmsg: { args: [i32, buf, i32], result: i32 },
  recvmsg: { args: [i32, buf, i32], result: i32 },
  sendto: { args: [i32, buf, u64, i32, buf, u32], result: i32 },
  recvfrom: { args: [i32, buf, u64, i32, buf, buf], result: i32 },
  close: { args: [i32], result: i32 },
  dup: { args: [i32], result: i32 },
  getpid: { args: [], result: i32 },
  kill: { args: [i32, i32], result: i32 },
  strerror: { args: [i32], result: ptr },
  abs: { args: [i32], result: i32 },
  socket: { args: [i32, i32, i32], result: i32 },
  socketpair: { args: [i32, i32, i32, buf], result: i32 },
  bind: { args: [i32, buf, u32], result: i32 },
  listen: { args: [i32, i32], result: i32 },
  accept: { args: [i32, nbuf, nbuf], result: i32 },
  connect: { args: [i32, buf, u32], result: i32 },
  getsockopt: { args: [i32, i32, i32, buf, buf], result: i32 },
  setsockopt: { args: [i32, i32, i32, buf, u32], result: i32 },
  getsockname: { args: [i32, buf, buf], result: i32 },
  getpeername: { args: [i32, buf, buf], result: i32 },
  shutdown: { args: [i32, i32], result: i32 },
  fcntl: fcntlSpec,
  pipe: { args: [buf], result: i32 },
  poll: { args: [buf, u64, i32], result: i32 },
  // The read and write sets are always given (bun:ffi's "buffer" is the cheap type); the except
  // set and the timeout may be null.
  select: { args: [i32, buf, buf, nbuf, nbuf], result: i32 },
  clock_gettime: { args: [i32, buf], result: i32 },
  getrlimit: { args: [i32, buf], result: i32 },
  setrlimit: { args: [i32, buf], result: i32 },
  unlink: { args: [buf], result: i32 },
  waitid: { args: [i32, u32, buf, i32], result: i32 },
  posix_spawnp: { args: [buf, buf, buf, nbuf, buf, buf], result: i32 },
  posix_spawn_file_actions_init: { args: [buf], result: i32 },
  posix_spawn_file_actions_destroy: { args: [buf], result: i32 },
  posix_spawn_file_actions_adddup2: { args: [buf, i32, i32], result: i32 },
  // glibc 2.29, macOS 10.15, FreeBSD 13.1.
  posix_spawn_file_actions_addchdir_np: { args: [buf, buf], result: i32, optional: true },
  posix_spawn_file_actions_addopen: { args: [buf, i32, buf, i32, u32], result: i32 },
  // open(path, flags, ...) is variadic too, but the mode is read only with O_CREAT, which evffi
  // never passes: binding the two fixed arguments is right on every ABI, Apple's arm64 included.
  open: { args: [buf, i32], result: i32 },
  readlink: { args: [buf, buf, u64], result: i32 },
  // ioctl is variadic; declared with its one pointer argument fixed, which is how x86_64 and Linux
  // aarch64 pass it (Apple arm64 would want it on the stack, so only Linux calls it).
  ioctl: { args: [i32, u64, buf], result: i32 },
};

/** Linux only (glibc). Those in `replaceableSymbols` are left out when the portable paths are forced. */
const linuxSpecs: Record<string, SymbolSpec> = {
  errnoLocation: { symbol: "__errno_location", args: [], result: ptr },
  accept4: { args: [i32, nbuf, nbuf, i32], result: i32, optional: true },
  pipe2: { args: [buf, i32], result: i32, optional: true },
  recvmmsg: { args: [i32, buf, u32, i32, nbuf], result: i32, optional: true },
  sendmmsg: { args: [i32, buf, u32, i32], result: i32, optional: true },
  // glibc 2.36 (and a 5.3 kernel to work).
  pidfd_open: { args: [i32, u32], result: i32, optional: true },
  pidfd_send_signal: { args: [i32, i32, nbuf, u32], result: i32, optional: true },
  dlopen: { args: [buf, i32], result: ptr, optional: true },
  epoll_create1: { args: [i32], result: i32 },
  epoll_ctl: { args: [i32, i32, i32, buf], result: i32 },
  epoll_wait: { args: [i32, buf, i32, i32], result: i32 },
  // glibc 2.35.
  epoll_pwait2: { args: [i32, buf, i32, nbuf, nbuf], result: i32, optional: true },
  eventfd: { args: [u32, i32], result: i32 },
  timerfd_create: { args: [i32, i32], result: i32 },
  timerfd_settime: { args: [i32, i32, buf, nbuf], result: i32 },
};

/** macOS (libSystem): kqueue, and errno behind __error(). */
const darwinSpecs: Record<string, SymbolSpec> = {
  errnoLocation: { symbol: "__error", args: [], result: ptr },
  kqueue: { args: [], result: i32 },
  kevent: { args: [i32, nbuf, i32, nbuf, i32, nbuf], result: i32 },
};

/** FreeBSD (libc.so.7): kqueue, __error(), and the Linux-style calls FreeBSD 10-11 added. */
const freebsdSpecs: Record<string, SymbolSpec> = {
  ...darwinSpecs,
  accept4: { args: [i32, nbuf, nbuf, i32], result: i32, optional: true },
  pipe2: { args: [buf, i32], result: i32, optional: true },
  recvmmsg: { args: [i32, buf, u32, i32, nbuf], result: i32, optional: true },
  sendmmsg: { args: [i32, buf, u32, i32], result: i32, optional: true },
};

const osSpecs: Record<string, Record<string, SymbolSpec>> = { linux: linuxSpecs, darwin: darwinSpecs, freebsd: freebsdSpecs };

// Only this OS's symbols are listed: Bun fails a whole dlopen on one absent required symbol (and
// probes each optional one with a dlopen of its own), so nothing that the OS cannot have is named.
const specs: Record<string, SymbolSpec> = { ...commonSpecs };
for (const [name, spec] of Object.entries(osSpecs[os])) {
  if (!(portable && replaceableSymbols.has(name))) specs[name] = spec;
}

/** Every name of the Libc interface, whichever OS binds it, so the others can get a throwing stub. */
const everyName = new Set([...Object.keys(commonSpecs), ...Object.values(osSpecs).flatMap((t) => Object.keys(t))]);

const libcPaths: Record<string, string[]> = {
  linux: ["libc.so.6"],
  darwin: ["/usr/lib/libSystem.B.dylib", "libc.dylib"],
  freebsd: ["libc.so.7"],
};

const opened: OpenedLibrary<Libc & { errnoLocation(): NativePointer }> = openLibrary(libcPaths[os], specs);
for (const name of everyName) {
  if (name in specs) continue;
  opened.missing.add(name);
  (opened.symbols as unknown as Record<string, unknown>)[name] = () => {
    throw new NotAvailableError(name, portable && replaceableSymbols.has(name) ? `${opened.path}, left unbound by EVFFI_PORTABLE` : opened.path);
  };
}
if (variadicOnStack) {
  const raw = opened.symbols.fcntl as unknown as (fd: number, cmd: number, ...rest: U64Arg[]) => number;
  const unused = u64arg(0);
  opened.symbols.fcntl = (fd, cmd, arg) => raw(fd, cmd, unused, unused, unused, unused, unused, unused, u64arg(arg));
}

/** The bound libc symbols of this thread. */
export const libc: Libc = opened.symbols;
/** Path of the C library that was opened. */
export const libcPath = opened.path;

/** Whether the C library of this platform has `symbol` (e.g. "epoll_pwait2", "accept4"). */
export function hasSymbol(symbol: string): boolean {
  return symbol in specs && !opened.missing.has(symbol);
}

/** This thread's errno, aliased once: read `errnoCell[0]` immediately after a call returns -1. */
export const errnoCell: Int32Array = new Int32Array(
  nativeMemory(opened.symbols.errnoLocation(), 4),
);

setErrnoDescriber((errno) => readCString(libc.strerror(errno)));

/** Builds a SyscallError from the current errno. Call it as the very next thing after a -1. */
export function syscallError(syscall: string, ...args: unknown[]): SyscallError {
  return new SyscallError(syscall, errnoCell[0], args);
}

// ---- kqueue on Linux through libkqueue -------------------------------------------------------

/** kqueue()/kevent() of this platform: libc on BSD and macOS; libkqueue on Linux when installed. */
export interface KqueueLibrary {
  kqueue(): number;
  kevent(kq: number, changes: Buf, nchanges: number, events: Buf, nevents: number, timeout: Buf): number;
  path: string;
  /** True when the OS itself has kqueue; false for libkqueue (an emulation over epoll). */
  native: boolean;
  /**
   * libkqueue frees a closed kqueue's internal fds on a monitoring thread, some time after close();
   * this waits until that is done (null where the library lacks it, or kqueue is native).
   */
  drainPendingClose: (() => void) | null;
}

let kqueueLib: KqueueLibrary | null | undefined;
let kqueueWhyNot = "";

/**
 * Loads kqueue: from libc where the OS has it, else from `EVFFI_KQUEUE_LIBRARY` or `libkqueue.so.0`.
 * Returns null (see `kqueueUnavailableReason()`) when there is none.
 */
export function loadKqueue(envPath?: string): KqueueLibrary | null {
  if (kqueueLib !== undefined) return kqueueLib;
  // Both calls go through the libc table at call time, so trace() sees and wraps them.
  const calls = {
    kqueue: () => libc.kqueue(),
    kevent: (kq: number, changes: Buf, nchanges: number, events: Buf, nevents: number, timeout: Buf) =>
      libc.kevent(kq, changes, nchanges, events, nevents, timeout),
  };
  if (hasSymbol("kqueue") && hasSymbol("kevent")) {
    kqueueLib = { ...calls, path: libcPath, native: true, drainPendingClose: null };
    return kqueueLib;
  }
  const paths = envPath ? [envPath] : ["libkqueue.so.0", "libkqueue.so"];
  try {
    const lib = openLibrary<{
      kqueue(): number;
      kevent(kq: number, changes: Buf, nchanges: number, events: Buf, nevents: number, timeout: Buf): number;
      libkqueue_drain_pending_close(): void;
    }>(paths, {
      kqueue: { args: [], result: i32 },
      kevent: { args: [i32, nbuf, i32, nbuf, i32, nbuf], result: i32 },
      libkqueue_drain_pending_close: { args: [], result: "void", optional: true },
    });
    const drain = lib.missing.has("libkqueue_drain_pending_close") ? null : lib.symbols.libkqueue_drain_pending_close;
    // libkqueue runs a monitor thread from its first kqueue() on. Deno dlcloses the libraries it
    // opened when the process exits, unmapping that thread's code under it (a SIGSEGV at exit, now
    // and then): a second dlopen with RTLD_NODELETE keeps the library mapped until the end.
    if (hasSymbol("dlopen")) libc.dlopen(new TextEncoder().encode(`${lib.path}\0`), C.RTLD_NOW | C.RTLD_NODELETE);
    // libkqueue's two calls take the place of libc's absent ones (hasSymbol still says libc lacks them).
    libc.kqueue = lib.symbols.kqueue;
    libc.kevent = lib.symbols.kevent;
    kqueueLib = { ...calls, path: lib.path, native: false, drainPendingClose: drain };
  } catch (err) {
    kqueueWhyNot = envPath
      ? `EVFFI_KQUEUE_LIBRARY=${envPath} could not be loaded: ${(err as Error).message}`
      : `no kqueue in ${libcPath}, and libkqueue.so.0 is not installed (or name its path in EVFFI_KQUEUE_LIBRARY)`;
    kqueueLib = null;
  }
  return kqueueLib;
}

/** Why loadKqueue() returned null. */
export function kqueueUnavailableReason(): string {
  return kqueueWhyNot;
}
