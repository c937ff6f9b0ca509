// The portable-path switch. evffi prefers Linux's one-call forms (accept4, socket flags, pipe2,
// an eventfd as the wake fd, MSG_CMSG_CLOEXEC, epoll_pwait2 or a timerfd for precise timers,
// recvmmsg/sendmmsg, pidfds); macOS has none of them and FreeBSD only some. Each has a portable
// path (a plain call followed by fcntl, a pipe, plain millisecond timeouts, one datagram per call).
// Setting EVFFI_PORTABLE=1 forces those paths on Linux too, so the suite can exercise the code that
// macOS and FreeBSD run without either machine at hand.
import { getEnv } from "./runtime.ts";

/**
 * Whether the portable paths are forced (`EVFFI_PORTABLE=1`, read once per thread when evffi
 * loads; Workers and child processes inherit the environment, so they agree).
 *
 * @example
 * ```ts
 * // EVFFI_PORTABLE=1 bun server.ts
 * import { portable } from "evffi/unstable-ffi";
 * console.log(portable ? "pipe wake fd, accept + fcntl" : "the platform's own calls");
 * ```
 */
export const portable: boolean = isTrue(getEnv("EVFFI_PORTABLE"));

function isTrue(value: string | undefined): boolean {
  return value !== undefined && value !== "" && value !== "0" && value.toLowerCase() !== "false";
}

/**
 * Symbols that are Linux's (or Linux's and FreeBSD's) and that have a portable path: under
 * `portable` they are not bound at all, so `hasSymbol()` answers false and a call that skipped the
 * check fails loudly (NotAvailableError) instead of passing unnoticed.
 */
export const replaceableSymbols: ReadonlySet<string> = new Set([
  "accept4", "pipe2", "eventfd", "epoll_pwait2", "timerfd_create", "timerfd_settime", "recvmmsg", "sendmmsg",
  "pidfd_open", "pidfd_send_signal",
]);
