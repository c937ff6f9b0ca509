// The runtime-neutral face of src/ffi: everything above this folder imports from here.
export {
  runtime, runtimeVersion, os, arch, platform, getEnv, unsetEnv, environment, scriptArgs, heapUsedAfterGc, externalAfterGc, yieldToHost, addHostSignalListener,
  removeHostSignalListener, inWorker, startWorker, workerName, parentPort, executablePath, scriptCommand,
} from "./runtime.ts";
export { portable } from "./portable.ts";
export { createWaiter } from "./waiter.ts";
export type { OffThreadWaiter } from "./waiter.ts";
export type { RuntimeName, OsName, ArchName, HostWorker, HostWorkerHandlers } from "./runtime.ts";
export {
  openLibrary, NotAvailableError, u64arg, MAX_IO, isNull, pointerAddress, nativeMemory, readCString, addressOf,
  StableBuffer, setU64,
} from "./native.ts";
export type { NativeType, SymbolSpec, NativePointer, OpenedLibrary, U64Arg } from "./native.ts";
export { Errno, errnoName, errnoTables, SyscallError } from "./errno.ts";
export { libc, libcPath, hasSymbol, errnoCell, syscallError, loadKqueue, kqueueUnavailableReason } from "./libc.ts";
export type { Libc, KqueueLibrary } from "./libc.ts";
export { layout, layouts, constants, constantTables, signals, signalTables } from "./layout.ts";
export type { Layout, Constants } from "./layout.ts";
export { ScmRights, cmsgSpace, cmsgLen } from "./scm.ts";
export type { ReceivedFds } from "./scm.ts";
export * as sys from "./sys.ts";
export {
  addressBuffer, addressBytes, decodeAddress, domainOf, encodeAddress, formatAddress, ipv4Text, ipv6Text, resolveAddress,
} from "./sockaddr.ts";
export type { AddressSpec, SocketAddress } from "./sockaddr.ts";
export { trace, tracing, formatCall } from "./trace.ts";
export type { TraceCallback, TraceSetting, TracedCall } from "./trace.ts";
export { printAs } from "./inspectable.ts";
export { checkFd, checkInteger, describeValue } from "./arguments.ts";
export { fdInfo } from "./fd-info.ts";
export type { FdInfo } from "./fd-info.ts";
