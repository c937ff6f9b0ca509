/**
 * The typed syscall layer: the libc calls evffi makes, taking and returning JS values and throwing
 * {@link SyscallError} (errno name, syscall, arguments) on failure. Made for readable code off the
 * hot path and for exploring the kernel in a REPL.
 *
 * Conventions: an fd is a plain number; `read` returns `null` when nothing is waiting (EAGAIN) and
 * an empty array at end of file; every other failure throws.
 *
 * @example
 * ```ts
 * import { SyscallError, close, read, socketpair, write } from "evffi/sys";
 *
 * const [a, b] = socketpair();
 * write(a, "hi");
 * console.log(read(b, 16));            // Uint8Array(2) [ 104, 105 ]
 * try {
 *   close(-1);
 * } catch (err) {
 *   if (err instanceof SyscallError) console.log(err.code, err.syscall); // EBADF close
 * }
 * close(a);
 * close(b);
 * ```
 *
 * @module
 */
export {
  clockMs, close, closeQuietly, dup, eventfd, eventfdRead, eventfdWrite, getFdLimit, getpid, getsockoptInt, isOpen, kill,
  pipe, raiseFdLimit, read, setCloseOnExec, setNonBlocking, setsockoptInt, shutdown, socket, socketpair, streamSocket, write,
} from "./ffi/sys.ts";
export { Errno, errnoName, SyscallError } from "./ffi/errno.ts";
export { trace, tracing } from "./ffi/trace.ts";
export { fdInfo } from "./ffi/fd-info.ts";
export type { FdInfo } from "./ffi/fd-info.ts";
export type { TraceCallback, TraceSetting, TracedCall } from "./ffi/trace.ts";
export { NotAvailableError } from "./ffi/native.ts";
export { constants, signals } from "./ffi/layout.ts";
export type { Constants } from "./ffi/layout.ts";
export { ScmRights } from "./ffi/scm.ts";
export type { ReceivedFds } from "./ffi/scm.ts";
