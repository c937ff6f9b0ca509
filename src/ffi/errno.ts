// errno names per OS and SyscallError. Each list is the OS's errno numbers in order, read from its
// header: Linux from <asm-generic/errno-base.h> and <asm-generic/errno.h>, macOS from xnu's
// bsd/sys/errno.h, FreeBSD from sys/sys/errno.h. The host's numbers are also checked against its C
// headers by test/layout.test.ts whenever a C compiler is present (scripts/print-layout.c).
import { os } from "./runtime.ts";

const linuxErrnoNames =
  "EPERM ENOENT ESRCH EINTR EIO ENXIO E2BIG ENOEXEC EBADF ECHILD EAGAIN ENOMEM EACCES EFAULT ENOTBLK EBUSY " +
  "EEXIST EXDEV ENODEV ENOTDIR EISDIR EINVAL ENFILE EMFILE ENOTTY ETXTBSY EFBIG ENOSPC ESPIPE EROFS EMLINK " +
  "EPIPE EDOM ERANGE EDEADLK ENAMETOOLONG ENOLCK ENOSYS ENOTEMPTY ELOOP - ENOMSG EIDRM ECHRNG EL2NSYNC " +
  "EL3HLT EL3RST ELNRNG EUNATCH ENOCSI EL2HLT EBADE EBADR EXFULL ENOANO EBADRQC EBADSLT - EBFONT ENOSTR " +
  "ENODATA ETIME ENOSR ENONET ENOPKG EREMOTE ENOLINK EADV ESRMNT ECOMM EPROTO EMULTIHOP EDOTDOT EBADMSG " +
  "EOVERFLOW ENOTUNIQ EBADFD EREMCHG ELIBACC ELIBBAD ELIBSCN ELIBMAX ELIBEXEC EILSEQ ERESTART ESTRPIPE " +
  "EUSERS ENOTSOCK EDESTADDRREQ EMSGSIZE EPROTOTYPE ENOPROTOOPT EPROTONOSUPPORT ESOCKTNOSUPPORT EOPNOTSUPP " +
  "EPFNOSUPPORT EAFNOSUPPORT EADDRINUSE EADDRNOTAVAIL ENETDOWN ENETUNREACH ENETRESET ECONNABORTED " +
  "ECONNRESET ENOBUFS EISCONN ENOTCONN ESHUTDOWN ETOOMANYREFS ETIMEDOUT ECONNREFUSED EHOSTDOWN " +
  "EHOSTUNREACH EALREADY EINPROGRESS ESTALE EUCLEAN ENOTNAM ENAVAIL EISNAM EREMOTEIO EDQUOT ENOMEDIUM " +
  "EMEDIUMTYPE ECANCELED ENOKEY EKEYEXPIRED EKEYREVOKED EKEYREJECTED EOWNERDEAD ENOTRECOVERABLE ERFKILL " +
  "EHWPOISON";

const darwinErrnoNames =
  "EPERM ENOENT ESRCH EINTR EIO ENXIO E2BIG ENOEXEC EBADF ECHILD EDEADLK ENOMEM EACCES EFAULT ENOTBLK EBUSY " +
  "EEXIST EXDEV ENODEV ENOTDIR EISDIR EINVAL ENFILE EMFILE ENOTTY ETXTBSY EFBIG ENOSPC ESPIPE EROFS EMLINK " +
  "EPIPE EDOM ERANGE EAGAIN EINPROGRESS EALREADY ENOTSOCK EDESTADDRREQ EMSGSIZE EPROTOTYPE ENOPROTOOPT " +
  "EPROTONOSUPPORT ESOCKTNOSUPPORT ENOTSUP EPFNOSUPPORT EAFNOSUPPORT EADDRINUSE EADDRNOTAVAIL ENETDOWN " +
  "ENETUNREACH ENETRESET ECONNABORTED ECONNRESET ENOBUFS EISCONN ENOTCONN ESHUTDOWN ETOOMANYREFS ETIMEDOUT " +
  "ECONNREFUSED ELOOP ENAMETOOLONG EHOSTDOWN EHOSTUNREACH ENOTEMPTY EPROCLIM EUSERS EDQUOT ESTALE EREMOTE " +
  "EBADRPC ERPCMISMATCH EPROGUNAVAIL EPROGMISMATCH EPROCUNAVAIL ENOLCK ENOSYS EFTYPE EAUTH ENEEDAUTH EPWROFF " +
  "EDEVERR EOVERFLOW EBADEXEC EBADARCH ESHLIBVERS EBADMACHO ECANCELED EIDRM ENOMSG EILSEQ ENOATTR EBADMSG " +
  "EMULTIHOP ENODATA ENOLINK ENOSR ENOSTR EPROTO ETIME EOPNOTSUPP ENOPOLICY ENOTRECOVERABLE EOWNERDEAD EQFULL";

// FreeBSD numbers 1-81 as macOS does (both inherit 4.4BSD's), then goes its own way: macOS puts
// EPWROFF, EDEVERR, ... at 82, FreeBSD EIDRM; and its ENOTSUP is EOPNOTSUPP (45), not a number of its own.
const freebsdErrnoNames =
  darwinErrnoNames.split(" ").slice(0, darwinErrnoNames.split(" ").indexOf("ENEEDAUTH") + 1).join(" ").replace("ENOTSUP", "EOPNOTSUPP") + " " +
  "EIDRM ENOMSG EOVERFLOW ECANCELED EILSEQ ENOATTR EDOOFUS EBADMSG EMULTIHOP ENOLINK EPROTO ENOTCAPABLE ECAPMODE " +
  "ENOTRECOVERABLE EOWNERDEAD EINTEGRITY";

const errnoLists: Record<string, string> = { linux: linuxErrnoNames, darwin: darwinErrnoNames, freebsd: freebsdErrnoNames };

function buildTable(list: string): { names: string[]; numbers: Record<string, number> } {
  const names = ["", ...list.split(" ")];
  const numbers: Record<string, number> = {};
  names.forEach((n, i) => {
    if (n && n !== "-") numbers[n] = i;
  });
  return { names, numbers };
}

const table = buildTable(errnoLists[os]);

/** errno numbers by name for this OS: `Errno.EAGAIN`, `Errno.EBADF`, ... */
export const Errno: Readonly<Record<string, number>> = Object.freeze({
  ...table.numbers,
  // Aliases that C headers define onto the same number.
  EWOULDBLOCK: table.numbers.EAGAIN,
  ...(os === "linux" ? { ENOTSUP: table.numbers.EOPNOTSUPP, EDEADLOCK: table.numbers.EDEADLK } : {}),
  ...(os === "freebsd" ? { ENOTSUP: table.numbers.EOPNOTSUPP } : {}),
});

/** The symbolic name of an errno value on this OS ("EBADF"), or "E<number>" if unknown. */
export function errnoName(errno: number): string {
  const n = table.names[errno];
  return n && n !== "-" ? n : `E${errno}`;
}

/** The errno tables of each OS, for tools that compare them against a C compiler. */
export const errnoTables: Readonly<Record<"linux" | "darwin" | "freebsd", Readonly<Record<string, number>>>> = {
  linux: buildTable(linuxErrnoNames).numbers,
  darwin: buildTable(darwinErrnoNames).numbers,
  freebsd: { ...buildTable(freebsdErrnoNames).numbers, ENOTSUP: 45 },
};

let describeErrno: (errno: number) => string = () => "";
/** Lets libc.ts plug strerror() in without a circular import. */
export function setErrnoDescriber(fn: (errno: number) => string): void {
  describeErrno = fn;
}

function formatArg(a: unknown): string {
  if (a === null || a === undefined) return "NULL";
  if (typeof a === "bigint") return a.toString();
  if (ArrayBuffer.isView(a)) return `<${a.byteLength}-byte buffer>`;
  if (typeof a === "string") return JSON.stringify(a);
  if (typeof a === "object") {
    // Socket addresses (SocketAddress, AddressSpec) as one writes them: 127.0.0.1:8080, [::1]:80.
    const o = a as { host?: unknown; port?: unknown; path?: unknown };
    if (typeof o.port === "number") {
      const host = typeof o.host === "string" ? o.host : "0.0.0.0";
      return host.includes(":") ? `[${host}]:${o.port}` : `${host}:${o.port}`;
    }
    if (typeof o.path === "string") return JSON.stringify(o.path);
    if (Array.isArray(a)) return `[${a.map(formatArg).join(", ")}]`;
  }
  return String(a);
}

/** A failed system call: errno, its name, the syscall and the arguments it was given. */
export class SyscallError extends Error {
  /** The errno number, as this platform numbers it. */
  readonly errno: number;
  /** The errno's name: "EBADF", "ECONNREFUSED", ... */
  readonly code: string;
  /** The system call that failed: "connect", "read", ... */
  readonly syscall: string;
  /** The arguments it was given (buffers summarized), for the message and for logs. */
  readonly args: readonly unknown[];
  /**
   * The error for `syscall` failing with `errno`; the message names the errno, the call and its arguments.
   *
   * @param syscall the system call that failed
   * @param errno the errno it left
   * @param args the arguments it was given
   * @param context what evffi was doing, added to the message
   */
  constructor(syscall: string, errno: number, args: readonly unknown[] = [], context?: string) {
    const code = errnoName(errno);
    const text = describeErrno(errno);
    super(
      `${syscall}(${args.map(formatArg).join(", ")}) failed: ${code}${text ? ` (${text})` : ""}` +
        (context ? `: ${context}` : ""),
    );
    this.name = "SyscallError";
    this.errno = errno;
    this.code = code;
    this.syscall = syscall;
    this.args = args;
  }
}
