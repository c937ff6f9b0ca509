// Struct layouts and constants per platform, as data. Each number was read from the C headers
// (scripts/print-layout.c prints the host's); test/layout.test.ts compares the host's table with
// a C compiler's answer whenever one is installed. Offsets are in bytes; all hosts are little-endian.
import { os, platform } from "./runtime.ts";

/** Struct sizes and field offsets (bytes) of one platform's C structs, as evffi reads and writes them. */
export interface Layout {
  /** struct epoll_event (packed on x86_64). */
  epoll_event: { size: number; events: number; data: number };
  /** struct pollfd. */
  pollfd: { size: number; fd: number; events: number; revents: number };
  /** Bytes of the libc fd_set (FD_SETSIZE bits); select() also accepts larger sets. */
  fd_set: { size: number };
  /** struct kevent of this platform's kqueue (libkqueue on Linux uses the 32-byte BSD layout). */
  kevent: { size: number; ident: number; filter: number; flags: number; fflags: number; data: number; udata: number };
  /** struct msghdr; the `*Size` fields say how wide the length fields are. */
  msghdr: {
    size: number; name: number; namelen: number; iov: number; iovlen: number; iovlenSize: 4 | 8;
    control: number; controllen: number; controllenSize: 4 | 8; flags: number;
  };
  /** struct iovec. */
  iovec: { size: number; base: number; len: number };
  /** cmsghdr: len is `lenSize` bytes wide; data starts at `data`; CMSG_ALIGN rounds to `align`. */
  cmsghdr: { size: number; len: number; lenSize: 4 | 8; level: number; type: number; data: number; align: number };
  /** struct timespec. */
  timespec: { size: number; sec: number; nsec: number };
  /** struct itimerspec (timerfd_settime). */
  itimerspec: { size: number; interval: number; value: number };
  /** struct timeval; `usecSize` is the width of tv_usec. */
  timeval: { size: number; sec: number; usec: number; usecSize: 4 | 8 };
  /** sockaddr_*: BSDs put a length byte before a one-byte family; Linux has a two-byte family. */
  sockaddr_in: { size: number; family: number; familySize: 1 | 2; len: number | null; port: number; addr: number };
  /** struct sockaddr_in6. */
  sockaddr_in6: { size: number; family: number; port: number; flowinfo: number; addr: number; scope_id: number };
  /** struct sockaddr_un; `path` is where sun_path starts. */
  sockaddr_un: { size: number; family: number; path: number };
  /** struct rlimit. */
  rlimit: { size: number; cur: number; max: number };
  /** siginfo_t as waitid() fills it for a child: signal, code (CLD_*), pid, status. */
  siginfo: { size: number; signo: number; code: number; pid: number; status: number };
  /** struct in_pktinfo (IP_PKTINFO control data): interface index, local address, header destination. size 0: absent. */
  in_pktinfo: { size: number; ifindex: number; specDst: number; addr: number };
  /** struct in6_pktinfo (IPV6_PKTINFO control data): the address, then the interface index. */
  in6_pktinfo: { size: number; addr: number; ifindex: number };
  /** struct sockaddr_dl's sdl_index (a u16), as IP_RECVIF delivers it on the BSDs. size 0: absent. */
  sockaddr_dl: { size: number; index: number };
}

// Linux x86_64 (glibc): <sys/epoll.h> (epoll_event is packed on x86_64 only), <bits/socket.h>
// (size_t msg_iovlen, msg_controllen and cmsg_len; CMSG_ALIGN to size_t), <bits/types/siginfo_t.h>.
// Also checked against a C compiler by test/layout.test.ts wherever one is installed.
const linuxX64: Layout = {
  epoll_event: { size: 12, events: 0, data: 4 }, // packed on x86_64
  pollfd: { size: 8, fd: 0, events: 4, revents: 6 },
  fd_set: { size: 128 },
  kevent: { size: 32, ident: 0, filter: 8, flags: 10, fflags: 12, data: 16, udata: 24 },
  msghdr: { size: 56, name: 0, namelen: 8, iov: 16, iovlen: 24, iovlenSize: 8, control: 32, controllen: 40, controllenSize: 8, flags: 48 },
  iovec: { size: 16, base: 0, len: 8 },
  cmsghdr: { size: 16, len: 0, lenSize: 8, level: 8, type: 12, data: 16, align: 8 },
  timespec: { size: 16, sec: 0, nsec: 8 },
  itimerspec: { size: 32, interval: 0, value: 16 },
  timeval: { size: 16, sec: 0, usec: 8, usecSize: 8 },
  sockaddr_in: { size: 16, family: 0, familySize: 2, len: null, port: 2, addr: 4 },
  sockaddr_in6: { size: 28, family: 0, port: 2, flowinfo: 4, addr: 8, scope_id: 24 },
  sockaddr_un: { size: 110, family: 0, path: 2 },
  rlimit: { size: 16, cur: 0, max: 8 },
  siginfo: { size: 128, signo: 0, code: 8, pid: 16, status: 24 },
  // <bits/in.h> (in_pktinfo), <netinet/in.h> (in6_pktinfo, with _GNU_SOURCE); no sockaddr_dl.
  in_pktinfo: { size: 12, ifindex: 0, specDst: 4, addr: 8 },
  in6_pktinfo: { size: 20, addr: 0, ifindex: 16 },
  sockaddr_dl: { size: 0, index: 0 },
};

// aarch64 Linux: the same, except that epoll_event is not packed (the 64-bit data is aligned to 8).
const linuxArm64: Layout = { ...linuxX64, epoll_event: { size: 16, events: 0, data: 8 } };

// macOS, from xnu's headers (bsd/...); x86_64 and arm64 agree on every struct here. kevent is
// declared under #pragma pack(4) but needs no padding either way.
const darwin: Layout = {
  epoll_event: { size: 0, events: 0, data: 0 }, // no epoll
  pollfd: { size: 8, fd: 0, events: 4, revents: 6 }, // sys/poll.h
  fd_set: { size: 128 }, // sys/_types/_fd_def.h: __DARWIN_FD_SETSIZE 1024 bits
  kevent: { size: 32, ident: 0, filter: 8, flags: 10, fflags: 12, data: 16, udata: 24 }, // sys/event.h
  // sys/socket.h: msg_iovlen is an int and msg_controllen a socklen_t; cmsg_len is a socklen_t and
  // CMSG_ALIGN is __DARWIN_ALIGN32 (arm/_param.h, i386/_param.h): 4 bytes, so data follows at 12.
  msghdr: { size: 48, name: 0, namelen: 8, iov: 16, iovlen: 24, iovlenSize: 4, control: 32, controllen: 40, controllenSize: 4, flags: 44 },
  iovec: { size: 16, base: 0, len: 8 }, // sys/_types/_iovec_t.h
  cmsghdr: { size: 12, len: 0, lenSize: 4, level: 4, type: 8, data: 12, align: 4 },
  timespec: { size: 16, sec: 0, nsec: 8 }, // sys/_types/_timespec.h
  itimerspec: { size: 0, interval: 0, value: 0 }, // no timerfd
  // sys/_types/_timeval.h: tv_usec is __darwin_suseconds_t, an __int32_t (sys/_types.h).
  timeval: { size: 16, sec: 0, usec: 8, usecSize: 4 },
  // netinet/in.h, netinet6/in6.h, sys/un.h: sin_len/sin6_len/sun_len, then a one-byte family;
  // sun_path is 104 bytes.
  sockaddr_in: { size: 16, family: 1, familySize: 1, len: 0, port: 2, addr: 4 },
  sockaddr_in6: { size: 28, family: 1, port: 2, flowinfo: 4, addr: 8, scope_id: 24 },
  sockaddr_un: { size: 106, family: 1, path: 2 },
  rlimit: { size: 16, cur: 0, max: 8 }, // sys/resource.h: rlim_t is 64-bit
  // sys/signal.h: si_signo, si_errno, si_code, si_pid, si_uid, si_status, si_addr, si_value,
  // si_band, __pad[7].
  siginfo: { size: 104, signo: 0, code: 8, pid: 12, status: 20 },
  // netinet/in.h: the same in_pktinfo as Linux; netinet6/in6.h (with __APPLE_USE_RFC_3542):
  // in6_pktinfo; net/if_dl.h: sockaddr_dl is sdl_len, sdl_family, then the u16 sdl_index.
  in_pktinfo: { size: 12, ifindex: 0, specDst: 4, addr: 8 },
  in6_pktinfo: { size: 20, addr: 0, ifindex: 16 },
  sockaddr_dl: { size: 20, index: 2 },
};

// FreeBSD 12+ (sys/...), amd64 and arm64 alike: otherwise BSD like macOS, with these differences.
const freebsd: Layout = {
  ...darwin,
  // sys/event.h: data became an __int64_t and ext[4] (four __uint64_t) follows udata since 12.0.
  kevent: { size: 64, ident: 0, filter: 8, flags: 10, fflags: 12, data: 16, udata: 24 },
  // sys/socket.h: the same msghdr and cmsghdr as macOS, but CMSG_ALIGN is _ALIGN (machine/_align.h:
  // sizeof(register_t) on amd64, sizeof(long long) on arm64), 8 bytes: data starts at 16.
  msghdr: { size: 48, name: 0, namelen: 8, iov: 16, iovlen: 24, iovlenSize: 4, control: 32, controllen: 40, controllenSize: 4, flags: 44 },
  cmsghdr: { size: 12, len: 0, lenSize: 4, level: 4, type: 8, data: 16, align: 8 },
  // sys/_timeval.h: tv_usec is suseconds_t, a long (sys/_types.h).
  timeval: { size: 16, sec: 0, usec: 8, usecSize: 8 },
  sockaddr_un: { size: 106, family: 1, path: 2 }, // sys/un.h: sun_path[104]
  // sys/signal.h: the same first fields as macOS, then a 40-byte _reason union instead of si_band and __pad.
  siginfo: { size: 80, signo: 0, code: 8, pid: 12, status: 20 },
  // netinet/in.h: FreeBSD has no in_pktinfo (IP_RECVDSTADDR and IP_RECVIF instead).
  in_pktinfo: { size: 0, ifindex: 0, specDst: 0, addr: 0 },
};

/** Every platform's Layout, keyed "linux-x64", "darwin-arm64", ... */
export const layouts: Record<string, Layout> = {
  "linux-x64": linuxX64,
  "linux-arm64": linuxArm64,
  "darwin-x64": darwin,
  "darwin-arm64": darwin,
  "freebsd-x64": freebsd,
  "freebsd-arm64": freebsd,
};

/** The layout table of the host. */
export const layout: Layout = layouts[platform];

// Linux (glibc, and the kernel's uapi headers for what glibc takes from them): <sys/socket.h>,
// <bits/socket.h>, <asm-generic/fcntl.h>, <sys/epoll.h>, <sys/poll.h>, <sys/eventfd.h>,
// <sys/timerfd.h>, <linux/time.h>, <asm-generic/socket.h>, <netinet/in.h>, <netinet/tcp.h>,
// <linux/in6.h>, <sys/wait.h>, <bits/siginfo-consts.h>, <asm-generic/resource.h>; kqueue's numbers
// are libkqueue's <sys/event.h>.
/** Linux's constants (glibc's and the kernel's headers): the table whose shape {@link Constants} names. */
export const linuxConstants = {
  AF_UNIX: 1, AF_INET: 2, AF_INET6: 10,
  SOCK_STREAM: 1, SOCK_DGRAM: 2, SOCK_NONBLOCK: 0o4000, SOCK_CLOEXEC: 0o2000000,
  O_NONBLOCK: 0o4000, O_CLOEXEC: 0o2000000, O_RDWR: 2,
  F_GETFD: 1, F_SETFD: 2, F_GETFL: 3, F_SETFL: 4, FD_CLOEXEC: 1, F_DUPFD_CLOEXEC: 1030,
  EPOLL_CLOEXEC: 0o2000000, EPOLL_CTL_ADD: 1, EPOLL_CTL_DEL: 2, EPOLL_CTL_MOD: 3,
  EPOLLIN: 0x1, EPOLLPRI: 0x2, EPOLLOUT: 0x4, EPOLLERR: 0x8, EPOLLHUP: 0x10, EPOLLRDHUP: 0x2000,
  EPOLLONESHOT: 0x40000000, EPOLLET: 0x80000000,
  POLLIN: 0x1, POLLPRI: 0x2, POLLOUT: 0x4, POLLERR: 0x8, POLLHUP: 0x10, POLLNVAL: 0x20, POLLRDHUP: 0x2000,
  EFD_SEMAPHORE: 1, EFD_NONBLOCK: 0o4000, EFD_CLOEXEC: 0o2000000,
  TFD_NONBLOCK: 0o4000, TFD_CLOEXEC: 0o2000000, TFD_TIMER_ABSTIME: 1,
  CLOCK_REALTIME: 0, CLOCK_MONOTONIC: 1, CLOCK_REALTIME_COARSE: 5, CLOCK_MONOTONIC_COARSE: 6,
  SOL_SOCKET: 1, SO_REUSEADDR: 2, SO_TYPE: 3, SO_ERROR: 4, SO_SNDBUF: 7, SO_RCVBUF: 8, SO_KEEPALIVE: 9,
  SO_REUSEPORT: 15, SO_LINGER: 13, IPPROTO_TCP: 6, TCP_NODELAY: 1, IPPROTO_IPV6: 41, IPV6_V6ONLY: 26,
  SOCK_SEQPACKET: 5, SO_BROADCAST: 6, SO_ACCEPTCONN: 30, IPPROTO_IP: 0, IPPROTO_UDP: 17,
  IP_MULTICAST_TTL: 33, IP_MULTICAST_LOOP: 34, IP_ADD_MEMBERSHIP: 35, IP_DROP_MEMBERSHIP: 36,
  IPV6_MULTICAST_HOPS: 18, IPV6_MULTICAST_LOOP: 19, IPV6_JOIN_GROUP: 20, IPV6_LEAVE_GROUP: 21,
  TCP_KEEPIDLE: 4, TCP_KEEPINTVL: 5, TCP_KEEPCNT: 6, TCP_DEFER_ACCEPT: 9, TCP_INFO: 11, TCP_FASTOPEN: 23,
  SO_BINDTODEVICE: 25, IP_TRANSPARENT: 19,
  // <bits/in.h>, <linux/in6.h>, <netinet/udp.h> (SOL_UDP is IPPROTO_UDP). 0: not on this OS.
  IP_PKTINFO: 8, IPV6_RECVPKTINFO: 49, IPV6_PKTINFO: 50, IP_RECVDSTADDR: 0, IP_RECVIF: 0, IP_SENDSRCADDR: 0,
  SOL_UDP: 17, UDP_SEGMENT: 103, UDP_GRO: 104,
  P_PID: 1, P_PIDFD: 3, WEXITED: 4, WNOHANG: 1, WNOWAIT: 0x01000000, CLD_EXITED: 1, CLD_KILLED: 2, CLD_DUMPED: 3,
  SCM_RIGHTS: 1, MSG_PEEK: 0x2, MSG_CTRUNC: 0x8, MSG_TRUNC: 0x20, MSG_DONTWAIT: 0x40, MSG_WAITALL: 0x100,
  MSG_NOSIGNAL: 0x4000, MSG_CMSG_CLOEXEC: 0x40000000,
  SHUT_RD: 0, SHUT_WR: 1, SHUT_RDWR: 2,
  RLIMIT_NOFILE: 7,
  // kqueue through libkqueue follows FreeBSD's numbering.
  EVFILT_READ: -1, EVFILT_WRITE: -2, EVFILT_PROC: -5, EVFILT_SIGNAL: -6, EVFILT_TIMER: -7, EVFILT_USER: -11,
  EV_ADD: 0x1, EV_DELETE: 0x2, EV_ENABLE: 0x4, EV_DISABLE: 0x8, EV_ONESHOT: 0x10, EV_CLEAR: 0x20,
  EV_RECEIPT: 0x40, EV_ERROR: 0x4000, EV_EOF: 0x8000, NOTE_TRIGGER: 0x01000000,
  // libkqueue has no NOTE_EXITSTATUS (0): its EVFILT_PROC always puts the wait status in `data`.
  NOTE_EXIT: 0x80000000, NOTE_EXITSTATUS: 0,
  // glibc's <bits/dlfcn.h>
  RTLD_NOW: 0x2, RTLD_NODELETE: 0x1000,
};

/** The names and numbers of one platform's C constants (AF_*, SOCK_*, O_*, EPOLL*, ...). */
export type Constants = typeof linuxConstants;

// macOS, from xnu's headers (bsd/...), except the clocks, which come from Libc's <time.h>.
const darwinConstants: Constants = {
  // sys/socket.h
  AF_UNIX: 1, AF_INET: 2, AF_INET6: 30,
  SOCK_STREAM: 1, SOCK_DGRAM: 2, SOCK_NONBLOCK: 0, SOCK_CLOEXEC: 0, // absent: set with fcntl
  // sys/fcntl.h
  O_NONBLOCK: 0x4, O_CLOEXEC: 0x1000000, O_RDWR: 2,
  F_GETFD: 1, F_SETFD: 2, F_GETFL: 3, F_SETFL: 4, FD_CLOEXEC: 1, F_DUPFD_CLOEXEC: 67,
  EPOLL_CLOEXEC: 0, EPOLL_CTL_ADD: 0, EPOLL_CTL_DEL: 0, EPOLL_CTL_MOD: 0,
  EPOLLIN: 0, EPOLLPRI: 0, EPOLLOUT: 0, EPOLLERR: 0, EPOLLHUP: 0, EPOLLRDHUP: 0, EPOLLONESHOT: 0, EPOLLET: 0,
  // sys/poll.h (no POLLRDHUP)
  POLLIN: 0x1, POLLPRI: 0x2, POLLOUT: 0x4, POLLERR: 0x8, POLLHUP: 0x10, POLLNVAL: 0x20, POLLRDHUP: 0,
  EFD_SEMAPHORE: 0, EFD_NONBLOCK: 0, EFD_CLOEXEC: 0, TFD_NONBLOCK: 0, TFD_CLOEXEC: 0, TFD_TIMER_ABSTIME: 0,
  // Libc's <time.h> (clockid_t: _CLOCK_REALTIME 0, _CLOCK_MONOTONIC 6); no coarse clocks.
  CLOCK_REALTIME: 0, CLOCK_MONOTONIC: 6, CLOCK_REALTIME_COARSE: 0, CLOCK_MONOTONIC_COARSE: 6,
  // sys/socket.h (SO_LINGER as seen without _POSIX_C_SOURCE: in ticks), netinet/in.h, netinet/tcp.h,
  // netinet6/in6.h; the BSDs share these numbers.
  SOL_SOCKET: 0xffff, SO_REUSEADDR: 0x4, SO_TYPE: 0x1008, SO_ERROR: 0x1007, SO_SNDBUF: 0x1001, SO_RCVBUF: 0x1002,
  SO_KEEPALIVE: 0x8, SO_REUSEPORT: 0x200, SO_LINGER: 0x80, IPPROTO_TCP: 6, TCP_NODELAY: 1, IPPROTO_IPV6: 41, IPV6_V6ONLY: 27,
  SOCK_SEQPACKET: 5, SO_BROADCAST: 0x20, SO_ACCEPTCONN: 0x2, IPPROTO_IP: 0, IPPROTO_UDP: 17,
  IP_MULTICAST_TTL: 10, IP_MULTICAST_LOOP: 11, IP_ADD_MEMBERSHIP: 12, IP_DROP_MEMBERSHIP: 13,
  IPV6_MULTICAST_HOPS: 10, IPV6_MULTICAST_LOOP: 11, IPV6_JOIN_GROUP: 12, IPV6_LEAVE_GROUP: 13,
  // netinet/tcp.h: macOS calls the idle time TCP_KEEPALIVE. 0: the option does not exist here.
  TCP_KEEPIDLE: 0x10, TCP_KEEPINTVL: 0x101, TCP_KEEPCNT: 0x102, TCP_DEFER_ACCEPT: 0, TCP_INFO: 0, TCP_FASTOPEN: 0x105,
  SO_BINDTODEVICE: 0, IP_TRANSPARENT: 0,
  // netinet/in.h (IP_PKTINFO, IP_RECVDSTADDR, IP_RECVIF; no IP_SENDSRCADDR), netinet6/in6.h with
  // __APPLE_USE_RFC_3542 (IPV6_RECVPKTINFO is 61, not FreeBSD's 36; IPV6_PKTINFO is
  // IPV6_3542PKTINFO). No UDP segmentation offload.
  IP_PKTINFO: 26, IPV6_RECVPKTINFO: 61, IPV6_PKTINFO: 46, IP_RECVDSTADDR: 7, IP_RECVIF: 20, IP_SENDSRCADDR: 0,
  SOL_UDP: 17, UDP_SEGMENT: 0, UDP_GRO: 0,
  // sys/wait.h (idtype_t: P_ALL 0, P_PID 1), sys/signal.h (CLD_*); no pidfds (P_PIDFD 0).
  P_PID: 1, P_PIDFD: 0, WEXITED: 4, WNOHANG: 1, WNOWAIT: 0x20, CLD_EXITED: 1, CLD_KILLED: 2, CLD_DUMPED: 3,
  // sys/socket.h
  SCM_RIGHTS: 1, MSG_PEEK: 0x2, MSG_CTRUNC: 0x20, MSG_TRUNC: 0x10, MSG_DONTWAIT: 0x80, MSG_WAITALL: 0x40,
  MSG_NOSIGNAL: 0x80000, MSG_CMSG_CLOEXEC: 0,
  SHUT_RD: 0, SHUT_WR: 1, SHUT_RDWR: 2,
  RLIMIT_NOFILE: 8, // sys/resource.h
  // sys/event.h. NOTE_EXITSTATUS asks for the wait status in `data`; xnu refuses it (EACCES) for
  // a process that is not the caller's child.
  EVFILT_READ: -1, EVFILT_WRITE: -2, EVFILT_PROC: -5, EVFILT_SIGNAL: -6, EVFILT_TIMER: -7, EVFILT_USER: -10,
  EV_ADD: 0x1, EV_DELETE: 0x2, EV_ENABLE: 0x4, EV_DISABLE: 0x8, EV_ONESHOT: 0x10, EV_CLEAR: 0x20,
  EV_RECEIPT: 0x40, EV_ERROR: 0x4000, EV_EOF: 0x8000, NOTE_TRIGGER: 0x01000000,
  NOTE_EXIT: 0x80000000, NOTE_EXITSTATUS: 0x04000000,
  // dyld's <dlfcn.h>
  RTLD_NOW: 0x2, RTLD_NODELETE: 0x80,
};

// FreeBSD (sys/...): macOS's numbers except these.
const freebsdConstants: Constants = {
  ...darwinConstants,
  // sys/socket.h: AF_INET6, and socket()'s type flags (FreeBSD 10+); sys/fcntl.h.
  AF_INET6: 28, SOCK_NONBLOCK: 0x20000000, SOCK_CLOEXEC: 0x10000000, O_CLOEXEC: 0x100000, F_DUPFD_CLOEXEC: 17,
  // sys/_clock_id.h: the coarse clocks are CLOCK_*_FAST.
  CLOCK_MONOTONIC: 4, CLOCK_MONOTONIC_COARSE: 12, CLOCK_REALTIME_COARSE: 10, SO_REUSEPORT: 0x200,
  // sys/socket.h
  MSG_NOSIGNAL: 0x20000, MSG_CMSG_CLOEXEC: 0x40000, MSG_WAITALL: 0x40,
  // sys/event.h: no NOTE_EXITSTATUS (0): NOTE_EXIT always puts the wait status in `data`.
  EVFILT_USER: -11, NOTE_EXITSTATUS: 0,
  RTLD_NODELETE: 0x1000, // dlfcn.h
  // sys/wait.h: idtype_t starts at P_PID (0), and the option bits differ from macOS's.
  P_PID: 0, WEXITED: 16, WNOWAIT: 8,
  // netinet/tcp.h; FreeBSD's TCP_INFO struct differs from Linux's and is not decoded (0 here).
  TCP_KEEPIDLE: 256, TCP_KEEPINTVL: 512, TCP_KEEPCNT: 1024, TCP_FASTOPEN: 1025,
  // netinet/in.h: no IP_PKTINFO; IP_SENDSRCADDR is IP_RECVDSTADDR. netinet6/in6.h: RFC 3542's numbers.
  IP_PKTINFO: 0, IP_SENDSRCADDR: 7, IPV6_RECVPKTINFO: 36,
};

/** Every operating system's Constants, keyed "linux", "darwin", "freebsd". */
export const constantTables: Record<string, Constants> = {
  linux: linuxConstants,
  darwin: darwinConstants,
  freebsd: freebsdConstants,
};

/** Constants of the host OS (same on x86_64 and aarch64 for everything listed). */
export const constants: Readonly<Constants> = Object.freeze(constantTables[os]);

const linuxSignals: Record<string, number> = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9,
  SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15, SIGCHLD: 17, SIGCONT: 18,
  SIGSTOP: 19, SIGTSTP: 20, SIGTTIN: 21, SIGTTOU: 22, SIGURG: 23, SIGXCPU: 24, SIGXFSZ: 25, SIGVTALRM: 26,
  SIGPROF: 27, SIGWINCH: 28, SIGIO: 29, SIGPWR: 30, SIGSYS: 31,
};
// Signal numbers: Linux's <asm-generic/signal.h> (x86_64 and aarch64 share it); the BSD numbering
// of xnu's bsd/sys/signal.h and FreeBSD's sys/sys/signal.h, which agree on every signal listed.
const bsdSignals: Record<string, number> = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGEMT: 7, SIGFPE: 8, SIGKILL: 9,
  SIGBUS: 10, SIGSEGV: 11, SIGSYS: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15, SIGURG: 16, SIGSTOP: 17,
  SIGTSTP: 18, SIGCONT: 19, SIGCHLD: 20, SIGTTIN: 21, SIGTTOU: 22, SIGIO: 23, SIGXCPU: 24, SIGXFSZ: 25,
  SIGVTALRM: 26, SIGPROF: 27, SIGWINCH: 28, SIGINFO: 29, SIGUSR1: 30, SIGUSR2: 31,
};

/** Signal numbers by name ("SIGINT": 2, ...) for each operating system. */
export const signalTables: Record<string, Record<string, number>> = { linux: linuxSignals, darwin: bsdSignals, freebsd: bsdSignals };
/** Signal numbers of the host OS by name. */
export const signals: Readonly<Record<string, number>> = Object.freeze(signalTables[os]);

