/**
 * Exploring the kernel from a REPL. Imported (or preloaded) into `bun --interactive` or
 * `deno repl`, this puts evffi's public names on `globalThis` (`EventBase`, `EV`, `sys`,
 * `constants`, `BufferEvent`, ...) next to `fdInfo` and `trace`, and prints a short banner. The
 * `evffi` command (bin/evffi.mjs) starts either runtime's REPL this way.
 *
 * @example
 * ```ts
 * // deno repl -A --eval-file=src/repl.ts      or      bun --preload ./src/repl.ts --interactive
 * > trace(true)
 * > const [a, b] = sys.socketpair()
 * socketpair(AF_UNIX, SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC, 0, [3, 4]) = 0  <4.2 µs>
 * > fdInfo(b)
 * ```
 *
 * @module
 */
import * as evffi from "./mod.ts";
import { fdInfo, trace, tracing } from "./sys.ts";
import { getEnv, platform, runtimeVersion } from "./ffi/mod.ts";

const utf8 = new TextDecoder();

/**
 * Bytes as text (UTF-8), for reading what `sys.read` returned at a prompt; null stays null (EAGAIN).
 *
 * @example
 * ```ts
 * text(sys.read(fd, 64));   // "hello"
 * ```
 */
export function text(bytes: Uint8Array | null): string | null {
  return bytes === null ? null : utf8.decode(bytes);
}

/** What the REPL module adds to globalThis besides the package's own exports. */
export const replGlobals = { ...evffi, fdInfo, trace, tracing, text, evffi };

Object.assign(globalThis, replGlobals);

/** The banner printed on load (unless EVFFI_REPL_QUIET is set). */
export const banner = [
  `evffi on ${runtimeVersion} (${platform}): EventBase, EV, EVLOOP, sys, constants, BufferEvent, Listener, ... are globals.`,
  `  trace(true) prints every system call (trace("epoll_ctl,read") some, trace(false) none); fdInfo(fd) asks the kernel about an fd;`,
  `  text(bytes) decodes what sys.read returned.`,
  `  base.loopSync(EVLOOP.ONCE | EVLOOP.NONBLOCK) runs one pass of a loop without blocking the prompt.`,
].join("\n");

if (getEnv("EVFFI_REPL_QUIET") === undefined) console.log(banner);
