/**
 * The raw FFI layer under evffi, for people who need a libc call evffi does not wrap.
 *
 * **Unstable, and unsafe.** Nothing here checks a length against its buffer: a wrong length or a
 * pointer kept past the life of its memory corrupts the process's memory (and may crash it far
 * from the mistake). Names and signatures may change in any release. Prefer `evffi/sys`.
 *
 * - `libc`: the raw bindings. They return -1 and leave the error in `errnoCell[0]`: read it as the
 *   very next expression, before any other call.
 * - `openLibrary(paths, specs)`: binds another C library the same way on Bun and Deno.
 * - `u64arg(n)`: what to pass to a 64-bit parameter (a BigInt on Deno, where a plain number is slow).
 * - `StableBuffer`, `addressOf`, `nativeMemory`, `readCString`: memory whose address C keeps, and
 *   reading memory that C returned.
 * - `layout`, `layouts`, `constantTables`, `signalTables`, `errnoTables`: the per-platform tables.
 *
 * @example
 * ```ts
 * import { errnoCell, libc } from "evffi/unstable-ffi";
 * import { errnoName } from "evffi/sys";
 *
 * if (libc.close(-1) === -1) console.log(errnoName(errnoCell[0]!)); // "EBADF"
 * ```
 *
 * @module
 */
export { errnoCell, hasSymbol, libc, libcPath } from "./ffi/libc.ts";
export { portable } from "./ffi/portable.ts";
export type { Buf, Libc } from "./ffi/libc.ts";
export {
  addressOf, isNull, MAX_IO, nativeMemory, NotAvailableError, openLibrary, pointerAddress, readCString, setU64, StableBuffer,
  u64arg,
} from "./ffi/native.ts";
export type { NativePointer, NativeType, OpenedLibrary, SymbolSpec, U64Arg } from "./ffi/native.ts";
export { errnoTables } from "./ffi/errno.ts";
export { constantTables, layout, layouts, linuxConstants, signalTables } from "./ffi/layout.ts";
export type { Constants, Layout } from "./ffi/layout.ts";
export { cmsgLen, cmsgSpace } from "./ffi/scm.ts";
export { addressBuffer, decodeAddress, domainOf, encodeAddress } from "./ffi/sockaddr.ts";
export { cstring } from "./ffi/sys.ts";
