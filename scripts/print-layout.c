/* Prints the host's struct layouts, constants, errno and signal numbers as JSON, so
 * test/layout.test.ts can compare them with the committed tables in src/ffi/layout.ts and
 * src/ffi/errno.ts. Generated names; run through scripts/print-layout.sh. */
#define _GNU_SOURCE
#define __APPLE_USE_RFC_3542 1
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#ifdef __linux__
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#endif
#if defined(__APPLE__) || defined(__FreeBSD__) || defined(HAVE_SYS_EVENT_H)
#include <sys/event.h>
#define HAVE_KQUEUE 1
#endif

static int first = 1;
static void num(const char *name, long long v) { printf("%s\n    \"%s\": %lld", first ? "" : ",", name, v); first = 0; }
#define F(s, f) num(#s "." #f, (long long)offsetof(struct s, f))
#define S(s) num(#s ".size", (long long)sizeof(struct s))

int main(void) {
  printf("{\n  \"layout\": {");
#ifdef __linux__
  S(epoll_event); F(epoll_event, events); F(epoll_event, data);
  S(itimerspec); F(itimerspec, it_interval); F(itimerspec, it_value);
#endif
  S(pollfd); F(pollfd, fd); F(pollfd, events); F(pollfd, revents);
  num("fd_set.size", (long long)sizeof(fd_set));
  S(msghdr); F(msghdr, msg_name); F(msghdr, msg_namelen); F(msghdr, msg_iov); F(msghdr, msg_iovlen);
  F(msghdr, msg_control); F(msghdr, msg_controllen); F(msghdr, msg_flags);
  S(iovec); F(iovec, iov_base); F(iovec, iov_len);
  S(cmsghdr); F(cmsghdr, cmsg_len); F(cmsghdr, cmsg_level); F(cmsghdr, cmsg_type);
  num("cmsghdr.data", (long long)CMSG_LEN(0)); num("CMSG_SPACE(4)", (long long)CMSG_SPACE(4));
  S(timespec); F(timespec, tv_sec); F(timespec, tv_nsec);
  S(timeval); F(timeval, tv_sec); F(timeval, tv_usec);
  S(sockaddr_in); F(sockaddr_in, sin_family); F(sockaddr_in, sin_port); F(sockaddr_in, sin_addr);
  S(sockaddr_in6); F(sockaddr_in6, sin6_family); F(sockaddr_in6, sin6_port); F(sockaddr_in6, sin6_flowinfo);
  F(sockaddr_in6, sin6_addr); F(sockaddr_in6, sin6_scope_id);
  S(sockaddr_un); F(sockaddr_un, sun_family); F(sockaddr_un, sun_path);
  S(rlimit); F(rlimit, rlim_cur); F(rlimit, rlim_max);
#if defined(__linux__) || defined(__APPLE__)
  S(in_pktinfo); F(in_pktinfo, ipi_ifindex); F(in_pktinfo, ipi_spec_dst); F(in_pktinfo, ipi_addr);
#endif
  S(in6_pktinfo); F(in6_pktinfo, ipi6_addr); F(in6_pktinfo, ipi6_ifindex);
  /* siginfo_t is a typedef (no struct tag), and si_pid/si_status are macros into a union. */
  num("siginfo.size", (long long)sizeof(siginfo_t));
  num("siginfo.si_signo", (long long)offsetof(siginfo_t, si_signo));
  num("siginfo.si_code", (long long)offsetof(siginfo_t, si_code));
  num("siginfo.si_pid", (long long)offsetof(siginfo_t, si_pid));
  num("siginfo.si_status", (long long)offsetof(siginfo_t, si_status));
#ifdef HAVE_KQUEUE
  S(kevent); F(kevent, ident); F(kevent, filter); F(kevent, flags); F(kevent, fflags); F(kevent, data); F(kevent, udata);
#endif
  printf("\n  },\n  \"constants\": {"); first = 1;
#ifdef AF_UNIX
  num("AF_UNIX", (long long)AF_UNIX);
#endif
#ifdef AF_INET
  num("AF_INET", (long long)AF_INET);
#endif
#ifdef AF_INET6
  num("AF_INET6", (long long)AF_INET6);
#endif
#ifdef SOCK_STREAM
  num("SOCK_STREAM", (long long)SOCK_STREAM);
#endif
#ifdef SOCK_DGRAM
  num("SOCK_DGRAM", (long long)SOCK_DGRAM);
#endif
#ifdef SOCK_NONBLOCK
  num("SOCK_NONBLOCK", (long long)SOCK_NONBLOCK);
#endif
#ifdef SOCK_CLOEXEC
  num("SOCK_CLOEXEC", (long long)SOCK_CLOEXEC);
#endif
#ifdef O_NONBLOCK
  num("O_NONBLOCK", (long long)O_NONBLOCK);
#endif
#ifdef O_CLOEXEC
  num("O_CLOEXEC", (long long)O_CLOEXEC);
#endif
#ifdef F_GETFD
  num("F_GETFD", (long long)F_GETFD);
#endif
#ifdef F_SETFD
  num("F_SETFD", (long long)F_SETFD);
#endif
#ifdef F_GETFL
  num("F_GETFL", (long long)F_GETFL);
#endif
#ifdef F_SETFL
  num("F_SETFL", (long long)F_SETFL);
#endif
#ifdef FD_CLOEXEC
  num("FD_CLOEXEC", (long long)FD_CLOEXEC);
#endif
#ifdef F_DUPFD_CLOEXEC
  num("F_DUPFD_CLOEXEC", (long long)F_DUPFD_CLOEXEC);
#endif
#ifdef EPOLL_CLOEXEC
  num("EPOLL_CLOEXEC", (long long)EPOLL_CLOEXEC);
#endif
#ifdef EPOLL_CTL_ADD
  num("EPOLL_CTL_ADD", (long long)EPOLL_CTL_ADD);
#endif
#ifdef EPOLL_CTL_DEL
  num("EPOLL_CTL_DEL", (long long)EPOLL_CTL_DEL);
#endif
#ifdef EPOLL_CTL_MOD
  num("EPOLL_CTL_MOD", (long long)EPOLL_CTL_MOD);
#endif
#ifdef EPOLLIN
  num("EPOLLIN", (long long)EPOLLIN);
#endif
#ifdef EPOLLPRI
  num("EPOLLPRI", (long long)EPOLLPRI);
#endif
#ifdef EPOLLOUT
  num("EPOLLOUT", (long long)EPOLLOUT);
#endif
#ifdef EPOLLERR
  num("EPOLLERR", (long long)EPOLLERR);
#endif
#ifdef EPOLLHUP
  num("EPOLLHUP", (long long)EPOLLHUP);
#endif
#ifdef EPOLLRDHUP
  num("EPOLLRDHUP", (long long)EPOLLRDHUP);
#endif
#ifdef EPOLLONESHOT
  num("EPOLLONESHOT", (long long)EPOLLONESHOT);
#endif
#ifdef EPOLLET
  num("EPOLLET", (long long)EPOLLET);
#endif
#ifdef POLLIN
  num("POLLIN", (long long)POLLIN);
#endif
#ifdef POLLPRI
  num("POLLPRI", (long long)POLLPRI);
#endif
#ifdef POLLOUT
  num("POLLOUT", (long long)POLLOUT);
#endif
#ifdef POLLERR
  num("POLLERR", (long long)POLLERR);
#endif
#ifdef POLLHUP
  num("POLLHUP", (long long)POLLHUP);
#endif
#ifdef POLLNVAL
  num("POLLNVAL", (long long)POLLNVAL);
#endif
#ifdef POLLRDHUP
  num("POLLRDHUP", (long long)POLLRDHUP);
#endif
#ifdef EFD_SEMAPHORE
  num("EFD_SEMAPHORE", (long long)EFD_SEMAPHORE);
#endif
#ifdef EFD_NONBLOCK
  num("EFD_NONBLOCK", (long long)EFD_NONBLOCK);
#endif
#ifdef EFD_CLOEXEC
  num("EFD_CLOEXEC", (long long)EFD_CLOEXEC);
#endif
#ifdef TFD_NONBLOCK
  num("TFD_NONBLOCK", (long long)TFD_NONBLOCK);
#endif
#ifdef TFD_CLOEXEC
  num("TFD_CLOEXEC", (long long)TFD_CLOEXEC);
#endif
#ifdef TFD_TIMER_ABSTIME
  num("TFD_TIMER_ABSTIME", (long long)TFD_TIMER_ABSTIME);
#endif
#ifdef CLOCK_REALTIME
  num("CLOCK_REALTIME", (long long)CLOCK_REALTIME);
#endif
#ifdef CLOCK_MONOTONIC
  num("CLOCK_MONOTONIC", (long long)CLOCK_MONOTONIC);
#endif
#ifdef CLOCK_REALTIME_COARSE
  num("CLOCK_REALTIME_COARSE", (long long)CLOCK_REALTIME_COARSE);
#endif
#ifdef CLOCK_MONOTONIC_COARSE
  num("CLOCK_MONOTONIC_COARSE", (long long)CLOCK_MONOTONIC_COARSE);
#endif
#ifdef SOL_SOCKET
  num("SOL_SOCKET", (long long)SOL_SOCKET);
#endif
#ifdef SO_REUSEADDR
  num("SO_REUSEADDR", (long long)SO_REUSEADDR);
#endif
#ifdef SO_TYPE
  num("SO_TYPE", (long long)SO_TYPE);
#endif
#ifdef SO_ERROR
  num("SO_ERROR", (long long)SO_ERROR);
#endif
#ifdef SO_SNDBUF
  num("SO_SNDBUF", (long long)SO_SNDBUF);
#endif
#ifdef SO_RCVBUF
  num("SO_RCVBUF", (long long)SO_RCVBUF);
#endif
#ifdef SO_KEEPALIVE
  num("SO_KEEPALIVE", (long long)SO_KEEPALIVE);
#endif
#ifdef SO_REUSEPORT
  num("SO_REUSEPORT", (long long)SO_REUSEPORT);
#endif
#ifdef SO_LINGER
  num("SO_LINGER", (long long)SO_LINGER);
#endif
#ifdef O_RDWR
  num("O_RDWR", (long long)O_RDWR);
#endif
#if defined(P_PID) || defined(__linux__)
  num("P_PID", (long long)P_PID);
#endif
#if defined(P_PIDFD) || defined(__linux__)
  num("P_PIDFD", (long long)P_PIDFD);
#endif
#ifdef WEXITED
  num("WEXITED", (long long)WEXITED);
#endif
#ifdef WNOHANG
  num("WNOHANG", (long long)WNOHANG);
#endif
#ifdef WNOWAIT
  num("WNOWAIT", (long long)WNOWAIT);
#endif
#ifdef CLD_EXITED
  num("CLD_EXITED", (long long)CLD_EXITED);
#endif
#ifdef CLD_KILLED
  num("CLD_KILLED", (long long)CLD_KILLED);
#endif
#ifdef CLD_DUMPED
  num("CLD_DUMPED", (long long)CLD_DUMPED);
#endif
#ifdef TCP_KEEPIDLE
  num("TCP_KEEPIDLE", (long long)TCP_KEEPIDLE);
#endif
#ifdef TCP_KEEPINTVL
  num("TCP_KEEPINTVL", (long long)TCP_KEEPINTVL);
#endif
#ifdef TCP_KEEPCNT
  num("TCP_KEEPCNT", (long long)TCP_KEEPCNT);
#endif
#ifdef TCP_DEFER_ACCEPT
  num("TCP_DEFER_ACCEPT", (long long)TCP_DEFER_ACCEPT);
#endif
#ifdef TCP_INFO
  num("TCP_INFO", (long long)TCP_INFO);
#endif
#ifdef TCP_FASTOPEN
  num("TCP_FASTOPEN", (long long)TCP_FASTOPEN);
#endif
#ifdef SO_BINDTODEVICE
  num("SO_BINDTODEVICE", (long long)SO_BINDTODEVICE);
#endif
#ifdef IP_TRANSPARENT
  num("IP_TRANSPARENT", (long long)IP_TRANSPARENT);
#endif
#ifdef SOCK_SEQPACKET
  num("SOCK_SEQPACKET", (long long)SOCK_SEQPACKET);
#endif
#ifdef SO_BROADCAST
  num("SO_BROADCAST", (long long)SO_BROADCAST);
#endif
#ifdef SO_ACCEPTCONN
  num("SO_ACCEPTCONN", (long long)SO_ACCEPTCONN);
#endif
#ifdef IPPROTO_IP
  num("IPPROTO_IP", (long long)IPPROTO_IP);
#endif
#ifdef IPPROTO_UDP
  num("IPPROTO_UDP", (long long)IPPROTO_UDP);
#endif
#ifdef IP_PKTINFO
  num("IP_PKTINFO", (long long)IP_PKTINFO);
#endif
#ifdef IPV6_RECVPKTINFO
  num("IPV6_RECVPKTINFO", (long long)IPV6_RECVPKTINFO);
#endif
#ifdef IPV6_PKTINFO
  num("IPV6_PKTINFO", (long long)IPV6_PKTINFO);
#endif
#ifdef IP_RECVDSTADDR
  num("IP_RECVDSTADDR", (long long)IP_RECVDSTADDR);
#endif
#ifdef IP_RECVIF
  num("IP_RECVIF", (long long)IP_RECVIF);
#endif
#ifdef IP_SENDSRCADDR
  num("IP_SENDSRCADDR", (long long)IP_SENDSRCADDR);
#endif
#ifdef SOL_UDP
  num("SOL_UDP", (long long)SOL_UDP);
#endif
#ifdef UDP_SEGMENT
  num("UDP_SEGMENT", (long long)UDP_SEGMENT);
#endif
#ifdef UDP_GRO
  num("UDP_GRO", (long long)UDP_GRO);
#endif
#ifdef IP_MULTICAST_TTL
  num("IP_MULTICAST_TTL", (long long)IP_MULTICAST_TTL);
#endif
#ifdef IP_MULTICAST_LOOP
  num("IP_MULTICAST_LOOP", (long long)IP_MULTICAST_LOOP);
#endif
#ifdef IP_ADD_MEMBERSHIP
  num("IP_ADD_MEMBERSHIP", (long long)IP_ADD_MEMBERSHIP);
#endif
#ifdef IP_DROP_MEMBERSHIP
  num("IP_DROP_MEMBERSHIP", (long long)IP_DROP_MEMBERSHIP);
#endif
#ifdef IPV6_MULTICAST_HOPS
  num("IPV6_MULTICAST_HOPS", (long long)IPV6_MULTICAST_HOPS);
#endif
#ifdef IPV6_MULTICAST_LOOP
  num("IPV6_MULTICAST_LOOP", (long long)IPV6_MULTICAST_LOOP);
#endif
#ifdef IPV6_JOIN_GROUP
  num("IPV6_JOIN_GROUP", (long long)IPV6_JOIN_GROUP);
#endif
#ifdef IPV6_LEAVE_GROUP
  num("IPV6_LEAVE_GROUP", (long long)IPV6_LEAVE_GROUP);
#endif
#ifdef IPPROTO_TCP
  num("IPPROTO_TCP", (long long)IPPROTO_TCP);
#endif
#ifdef TCP_NODELAY
  num("TCP_NODELAY", (long long)TCP_NODELAY);
#endif
#ifdef IPPROTO_IPV6
  num("IPPROTO_IPV6", (long long)IPPROTO_IPV6);
#endif
#ifdef IPV6_V6ONLY
  num("IPV6_V6ONLY", (long long)IPV6_V6ONLY);
#endif
#ifdef SCM_RIGHTS
  num("SCM_RIGHTS", (long long)SCM_RIGHTS);
#endif
#ifdef MSG_PEEK
  num("MSG_PEEK", (long long)MSG_PEEK);
#endif
#ifdef MSG_CTRUNC
  num("MSG_CTRUNC", (long long)MSG_CTRUNC);
#endif
#ifdef MSG_TRUNC
  num("MSG_TRUNC", (long long)MSG_TRUNC);
#endif
#ifdef MSG_DONTWAIT
  num("MSG_DONTWAIT", (long long)MSG_DONTWAIT);
#endif
#ifdef MSG_WAITALL
  num("MSG_WAITALL", (long long)MSG_WAITALL);
#endif
#ifdef MSG_NOSIGNAL
  num("MSG_NOSIGNAL", (long long)MSG_NOSIGNAL);
#endif
#ifdef MSG_CMSG_CLOEXEC
  num("MSG_CMSG_CLOEXEC", (long long)MSG_CMSG_CLOEXEC);
#endif
#ifdef SHUT_RD
  num("SHUT_RD", (long long)SHUT_RD);
#endif
#ifdef SHUT_WR
  num("SHUT_WR", (long long)SHUT_WR);
#endif
#ifdef SHUT_RDWR
  num("SHUT_RDWR", (long long)SHUT_RDWR);
#endif
#ifdef RLIMIT_NOFILE
  num("RLIMIT_NOFILE", (long long)RLIMIT_NOFILE);
#endif
#ifdef HAVE_KQUEUE
#ifdef EVFILT_READ
  num("EVFILT_READ", (long long)EVFILT_READ);
#endif
#ifdef EVFILT_WRITE
  num("EVFILT_WRITE", (long long)EVFILT_WRITE);
#endif
#ifdef EVFILT_SIGNAL
  num("EVFILT_SIGNAL", (long long)EVFILT_SIGNAL);
#endif
#ifdef EVFILT_TIMER
  num("EVFILT_TIMER", (long long)EVFILT_TIMER);
#endif
#ifdef EVFILT_USER
  num("EVFILT_USER", (long long)EVFILT_USER);
#endif
#ifdef EV_ADD
  num("EV_ADD", (long long)EV_ADD);
#endif
#ifdef EV_DELETE
  num("EV_DELETE", (long long)EV_DELETE);
#endif
#ifdef EV_ENABLE
  num("EV_ENABLE", (long long)EV_ENABLE);
#endif
#ifdef EV_DISABLE
  num("EV_DISABLE", (long long)EV_DISABLE);
#endif
#ifdef EV_ONESHOT
  num("EV_ONESHOT", (long long)EV_ONESHOT);
#endif
#ifdef EV_CLEAR
  num("EV_CLEAR", (long long)EV_CLEAR);
#endif
#ifdef EV_RECEIPT
  num("EV_RECEIPT", (long long)EV_RECEIPT);
#endif
#ifdef EV_ERROR
  num("EV_ERROR", (long long)EV_ERROR);
#endif
#ifdef EV_EOF
  num("EV_EOF", (long long)EV_EOF);
#endif
#ifdef NOTE_TRIGGER
  num("NOTE_TRIGGER", (long long)NOTE_TRIGGER);
#endif
#ifdef EVFILT_PROC
  num("EVFILT_PROC", (long long)EVFILT_PROC);
#endif
#ifdef NOTE_EXIT
  num("NOTE_EXIT", (long long)(unsigned)NOTE_EXIT);
#endif
#ifdef NOTE_EXITSTATUS
  num("NOTE_EXITSTATUS", (long long)NOTE_EXITSTATUS);
#endif
#endif
  printf("\n  },\n  \"errno\": {"); first = 1;
#ifdef EPERM
  num("EPERM", EPERM);
#endif
#ifdef ENOENT
  num("ENOENT", ENOENT);
#endif
#ifdef ESRCH
  num("ESRCH", ESRCH);
#endif
#ifdef EINTR
  num("EINTR", EINTR);
#endif
#ifdef EIO
  num("EIO", EIO);
#endif
#ifdef ENXIO
  num("ENXIO", ENXIO);
#endif
#ifdef E2BIG
  num("E2BIG", E2BIG);
#endif
#ifdef ENOEXEC
  num("ENOEXEC", ENOEXEC);
#endif
#ifdef EBADF
  num("EBADF", EBADF);
#endif
#ifdef ECHILD
  num("ECHILD", ECHILD);
#endif
#ifdef EAGAIN
  num("EAGAIN", EAGAIN);
#endif
#ifdef ENOMEM
  num("ENOMEM", ENOMEM);
#endif
#ifdef EACCES
  num("EACCES", EACCES);
#endif
#ifdef EFAULT
  num("EFAULT", EFAULT);
#endif
#ifdef ENOTBLK
  num("ENOTBLK", ENOTBLK);
#endif
#ifdef EBUSY
  num("EBUSY", EBUSY);
#endif
#ifdef EEXIST
  num("EEXIST", EEXIST);
#endif
#ifdef EXDEV
  num("EXDEV", EXDEV);
#endif
#ifdef ENODEV
  num("ENODEV", ENODEV);
#endif
#ifdef ENOTDIR
  num("ENOTDIR", ENOTDIR);
#endif
#ifdef EISDIR
  num("EISDIR", EISDIR);
#endif
#ifdef EINVAL
  num("EINVAL", EINVAL);
#endif
#ifdef ENFILE
  num("ENFILE", ENFILE);
#endif
#ifdef EMFILE
  num("EMFILE", EMFILE);
#endif
#ifdef ENOTTY
  num("ENOTTY", ENOTTY);
#endif
#ifdef ETXTBSY
  num("ETXTBSY", ETXTBSY);
#endif
#ifdef EFBIG
  num("EFBIG", EFBIG);
#endif
#ifdef ENOSPC
  num("ENOSPC", ENOSPC);
#endif
#ifdef ESPIPE
  num("ESPIPE", ESPIPE);
#endif
#ifdef EROFS
  num("EROFS", EROFS);
#endif
#ifdef EMLINK
  num("EMLINK", EMLINK);
#endif
#ifdef EPIPE
  num("EPIPE", EPIPE);
#endif
#ifdef EDOM
  num("EDOM", EDOM);
#endif
#ifdef ERANGE
  num("ERANGE", ERANGE);
#endif
#ifdef EDEADLK
  num("EDEADLK", EDEADLK);
#endif
#ifdef ENAMETOOLONG
  num("ENAMETOOLONG", ENAMETOOLONG);
#endif
#ifdef ENOLCK
  num("ENOLCK", ENOLCK);
#endif
#ifdef ENOSYS
  num("ENOSYS", ENOSYS);
#endif
#ifdef ENOTEMPTY
  num("ENOTEMPTY", ENOTEMPTY);
#endif
#ifdef ELOOP
  num("ELOOP", ELOOP);
#endif
#ifdef ENOMSG
  num("ENOMSG", ENOMSG);
#endif
#ifdef EIDRM
  num("EIDRM", EIDRM);
#endif
#ifdef ECHRNG
  num("ECHRNG", ECHRNG);
#endif
#ifdef EL2NSYNC
  num("EL2NSYNC", EL2NSYNC);
#endif
#ifdef EL3HLT
  num("EL3HLT", EL3HLT);
#endif
#ifdef EL3RST
  num("EL3RST", EL3RST);
#endif
#ifdef ELNRNG
  num("ELNRNG", ELNRNG);
#endif
#ifdef EUNATCH
  num("EUNATCH", EUNATCH);
#endif
#ifdef ENOCSI
  num("ENOCSI", ENOCSI);
#endif
#ifdef EL2HLT
  num("EL2HLT", EL2HLT);
#endif
#ifdef EBADE
  num("EBADE", EBADE);
#endif
#ifdef EBADR
  num("EBADR", EBADR);
#endif
#ifdef EXFULL
  num("EXFULL", EXFULL);
#endif
#ifdef ENOANO
  num("ENOANO", ENOANO);
#endif
#ifdef EBADRQC
  num("EBADRQC", EBADRQC);
#endif
#ifdef EBADSLT
  num("EBADSLT", EBADSLT);
#endif
#ifdef EBFONT
  num("EBFONT", EBFONT);
#endif
#ifdef ENOSTR
  num("ENOSTR", ENOSTR);
#endif
#ifdef ENODATA
  num("ENODATA", ENODATA);
#endif
#ifdef ETIME
  num("ETIME", ETIME);
#endif
#ifdef ENOSR
  num("ENOSR", ENOSR);
#endif
#ifdef ENONET
  num("ENONET", ENONET);
#endif
#ifdef ENOPKG
  num("ENOPKG", ENOPKG);
#endif
#ifdef EREMOTE
  num("EREMOTE", EREMOTE);
#endif
#ifdef ENOLINK
  num("ENOLINK", ENOLINK);
#endif
#ifdef EADV
  num("EADV", EADV);
#endif
#ifdef ESRMNT
  num("ESRMNT", ESRMNT);
#endif
#ifdef ECOMM
  num("ECOMM", ECOMM);
#endif
#ifdef EPROTO
  num("EPROTO", EPROTO);
#endif
#ifdef EMULTIHOP
  num("EMULTIHOP", EMULTIHOP);
#endif
#ifdef EDOTDOT
  num("EDOTDOT", EDOTDOT);
#endif
#ifdef EBADMSG
  num("EBADMSG", EBADMSG);
#endif
#ifdef EOVERFLOW
  num("EOVERFLOW", EOVERFLOW);
#endif
#ifdef ENOTUNIQ
  num("ENOTUNIQ", ENOTUNIQ);
#endif
#ifdef EBADFD
  num("EBADFD", EBADFD);
#endif
#ifdef EREMCHG
  num("EREMCHG", EREMCHG);
#endif
#ifdef ELIBACC
  num("ELIBACC", ELIBACC);
#endif
#ifdef ELIBBAD
  num("ELIBBAD", ELIBBAD);
#endif
#ifdef ELIBSCN
  num("ELIBSCN", ELIBSCN);
#endif
#ifdef ELIBMAX
  num("ELIBMAX", ELIBMAX);
#endif
#ifdef ELIBEXEC
  num("ELIBEXEC", ELIBEXEC);
#endif
#ifdef EILSEQ
  num("EILSEQ", EILSEQ);
#endif
#ifdef ERESTART
  num("ERESTART", ERESTART);
#endif
#ifdef ESTRPIPE
  num("ESTRPIPE", ESTRPIPE);
#endif
#ifdef EUSERS
  num("EUSERS", EUSERS);
#endif
#ifdef ENOTSOCK
  num("ENOTSOCK", ENOTSOCK);
#endif
#ifdef EDESTADDRREQ
  num("EDESTADDRREQ", EDESTADDRREQ);
#endif
#ifdef EMSGSIZE
  num("EMSGSIZE", EMSGSIZE);
#endif
#ifdef EPROTOTYPE
  num("EPROTOTYPE", EPROTOTYPE);
#endif
#ifdef ENOPROTOOPT
  num("ENOPROTOOPT", ENOPROTOOPT);
#endif
#ifdef EPROTONOSUPPORT
  num("EPROTONOSUPPORT", EPROTONOSUPPORT);
#endif
#ifdef ESOCKTNOSUPPORT
  num("ESOCKTNOSUPPORT", ESOCKTNOSUPPORT);
#endif
#ifdef EOPNOTSUPP
  num("EOPNOTSUPP", EOPNOTSUPP);
#endif
#ifdef EPFNOSUPPORT
  num("EPFNOSUPPORT", EPFNOSUPPORT);
#endif
#ifdef EAFNOSUPPORT
  num("EAFNOSUPPORT", EAFNOSUPPORT);
#endif
#ifdef EADDRINUSE
  num("EADDRINUSE", EADDRINUSE);
#endif
#ifdef EADDRNOTAVAIL
  num("EADDRNOTAVAIL", EADDRNOTAVAIL);
#endif
#ifdef ENETDOWN
  num("ENETDOWN", ENETDOWN);
#endif
#ifdef ENETUNREACH
  num("ENETUNREACH", ENETUNREACH);
#endif
#ifdef ENETRESET
  num("ENETRESET", ENETRESET);
#endif
#ifdef ECONNABORTED
  num("ECONNABORTED", ECONNABORTED);
#endif
#ifdef ECONNRESET
  num("ECONNRESET", ECONNRESET);
#endif
#ifdef ENOBUFS
  num("ENOBUFS", ENOBUFS);
#endif
#ifdef EISCONN
  num("EISCONN", EISCONN);
#endif
#ifdef ENOTCONN
  num("ENOTCONN", ENOTCONN);
#endif
#ifdef ESHUTDOWN
  num("ESHUTDOWN", ESHUTDOWN);
#endif
#ifdef ETOOMANYREFS
  num("ETOOMANYREFS", ETOOMANYREFS);
#endif
#ifdef ETIMEDOUT
  num("ETIMEDOUT", ETIMEDOUT);
#endif
#ifdef ECONNREFUSED
  num("ECONNREFUSED", ECONNREFUSED);
#endif
#ifdef EHOSTDOWN
  num("EHOSTDOWN", EHOSTDOWN);
#endif
#ifdef EHOSTUNREACH
  num("EHOSTUNREACH", EHOSTUNREACH);
#endif
#ifdef EALREADY
  num("EALREADY", EALREADY);
#endif
#ifdef EINPROGRESS
  num("EINPROGRESS", EINPROGRESS);
#endif
#ifdef ESTALE
  num("ESTALE", ESTALE);
#endif
#ifdef EUCLEAN
  num("EUCLEAN", EUCLEAN);
#endif
#ifdef ENOTNAM
  num("ENOTNAM", ENOTNAM);
#endif
#ifdef ENAVAIL
  num("ENAVAIL", ENAVAIL);
#endif
#ifdef EISNAM
  num("EISNAM", EISNAM);
#endif
#ifdef EREMOTEIO
  num("EREMOTEIO", EREMOTEIO);
#endif
#ifdef EDQUOT
  num("EDQUOT", EDQUOT);
#endif
#ifdef ENOMEDIUM
  num("ENOMEDIUM", ENOMEDIUM);
#endif
#ifdef EMEDIUMTYPE
  num("EMEDIUMTYPE", EMEDIUMTYPE);
#endif
#ifdef ECANCELED
  num("ECANCELED", ECANCELED);
#endif
#ifdef ENOKEY
  num("ENOKEY", ENOKEY);
#endif
#ifdef EKEYEXPIRED
  num("EKEYEXPIRED", EKEYEXPIRED);
#endif
#ifdef EKEYREVOKED
  num("EKEYREVOKED", EKEYREVOKED);
#endif
#ifdef EKEYREJECTED
  num("EKEYREJECTED", EKEYREJECTED);
#endif
#ifdef EOWNERDEAD
  num("EOWNERDEAD", EOWNERDEAD);
#endif
#ifdef ENOTRECOVERABLE
  num("ENOTRECOVERABLE", ENOTRECOVERABLE);
#endif
#ifdef ERFKILL
  num("ERFKILL", ERFKILL);
#endif
#ifdef EHWPOISON
  num("EHWPOISON", EHWPOISON);
#endif
#ifdef ENOTSUP
  num("ENOTSUP", ENOTSUP);
#endif
#ifdef EPROCLIM
  num("EPROCLIM", EPROCLIM);
#endif
#ifdef EBADRPC
  num("EBADRPC", EBADRPC);
#endif
#ifdef ERPCMISMATCH
  num("ERPCMISMATCH", ERPCMISMATCH);
#endif
#ifdef EPROGUNAVAIL
  num("EPROGUNAVAIL", EPROGUNAVAIL);
#endif
#ifdef EPROGMISMATCH
  num("EPROGMISMATCH", EPROGMISMATCH);
#endif
#ifdef EPROCUNAVAIL
  num("EPROCUNAVAIL", EPROCUNAVAIL);
#endif
#ifdef EFTYPE
  num("EFTYPE", EFTYPE);
#endif
#ifdef EAUTH
  num("EAUTH", EAUTH);
#endif
#ifdef ENEEDAUTH
  num("ENEEDAUTH", ENEEDAUTH);
#endif
#ifdef EPWROFF
  num("EPWROFF", EPWROFF);
#endif
#ifdef EDEVERR
  num("EDEVERR", EDEVERR);
#endif
#ifdef EBADEXEC
  num("EBADEXEC", EBADEXEC);
#endif
#ifdef EBADARCH
  num("EBADARCH", EBADARCH);
#endif
#ifdef ESHLIBVERS
  num("ESHLIBVERS", ESHLIBVERS);
#endif
#ifdef EBADMACHO
  num("EBADMACHO", EBADMACHO);
#endif
#ifdef ENOATTR
  num("ENOATTR", ENOATTR);
#endif
#ifdef ENOPOLICY
  num("ENOPOLICY", ENOPOLICY);
#endif
#ifdef EQFULL
  num("EQFULL", EQFULL);
#endif
  printf("\n  },\n  \"signals\": {"); first = 1;
#ifdef SIGHUP
  num("SIGHUP", SIGHUP);
#endif
#ifdef SIGINT
  num("SIGINT", SIGINT);
#endif
#ifdef SIGQUIT
  num("SIGQUIT", SIGQUIT);
#endif
#ifdef SIGILL
  num("SIGILL", SIGILL);
#endif
#ifdef SIGTRAP
  num("SIGTRAP", SIGTRAP);
#endif
#ifdef SIGABRT
  num("SIGABRT", SIGABRT);
#endif
#ifdef SIGBUS
  num("SIGBUS", SIGBUS);
#endif
#ifdef SIGFPE
  num("SIGFPE", SIGFPE);
#endif
#ifdef SIGKILL
  num("SIGKILL", SIGKILL);
#endif
#ifdef SIGUSR1
  num("SIGUSR1", SIGUSR1);
#endif
#ifdef SIGSEGV
  num("SIGSEGV", SIGSEGV);
#endif
#ifdef SIGUSR2
  num("SIGUSR2", SIGUSR2);
#endif
#ifdef SIGPIPE
  num("SIGPIPE", SIGPIPE);
#endif
#ifdef SIGALRM
  num("SIGALRM", SIGALRM);
#endif
#ifdef SIGTERM
  num("SIGTERM", SIGTERM);
#endif
#ifdef SIGCHLD
  num("SIGCHLD", SIGCHLD);
#endif
#ifdef SIGCONT
  num("SIGCONT", SIGCONT);
#endif
#ifdef SIGSTOP
  num("SIGSTOP", SIGSTOP);
#endif
#ifdef SIGTSTP
  num("SIGTSTP", SIGTSTP);
#endif
#ifdef SIGTTIN
  num("SIGTTIN", SIGTTIN);
#endif
#ifdef SIGTTOU
  num("SIGTTOU", SIGTTOU);
#endif
#ifdef SIGURG
  num("SIGURG", SIGURG);
#endif
#ifdef SIGXCPU
  num("SIGXCPU", SIGXCPU);
#endif
#ifdef SIGXFSZ
  num("SIGXFSZ", SIGXFSZ);
#endif
#ifdef SIGVTALRM
  num("SIGVTALRM", SIGVTALRM);
#endif
#ifdef SIGPROF
  num("SIGPROF", SIGPROF);
#endif
#ifdef SIGWINCH
  num("SIGWINCH", SIGWINCH);
#endif
#ifdef SIGIO
  num("SIGIO", SIGIO);
#endif
#ifdef SIGPWR
  num("SIGPWR", SIGPWR);
#endif
#ifdef SIGSYS
  num("SIGSYS", SIGSYS);
#endif
#ifdef SIGEMT
  num("SIGEMT", SIGEMT);
#endif
#ifdef SIGINFO
  num("SIGINFO", SIGINFO);
#endif
  printf("\n  }\n}\n");
  return 0;
}
