/**
 * evffi: libevent's reactor for Bun and Deno, calling libc through the runtime's own FFI.
 *
 * @example
 * ```ts
 * import { EventBase, EV, sys } from "evffi";
 *
 * const base = new EventBase();
 * const [a, b] = sys.socketpair();
 * base.event(b, EV.READ, (fd) => console.log("readable:", sys.read(fd, 64))).add();
 * base.timer(10, () => sys.write(a, "hello"));
 * base.loopSync();   // returns when no events are left
 * base.close();
 * ```
 *
 * @module
 */
export { EventBase } from "./core/base.ts";
export type { EventBaseOptions, TimeoutArg } from "./core/base.ts";
export { Event } from "./core/event.ts";
export type { EventCallback, Finalizer } from "./core/event.ts";
export { CommonTimeout } from "./core/common-timeout.ts";
export { CheckWatcher, IdleWatcher, LoopWatcher, PrepareWatcher } from "./core/watchers.ts";
export type { PrepareCallback, WatcherCallback } from "./core/watchers.ts";
export { PeriodicTimer } from "./core/periodic.ts";
export type { PeriodicCallback, PeriodicSchedule, PeriodicTimerOptions } from "./core/periodic.ts";
export { Count, describeEvents, EV, EVLOOP, Feature } from "./core/flags.ts";
export { methodAvailability, supportedMethods } from "./backends/registry.ts";
export { EvBuffer } from "./net/evbuffer.ts";
export type { BufferRegion, EolStyle } from "./net/evbuffer.ts";
export { BEV, BufferEvent } from "./net/bufferevent.ts";
export type { BufferEventOptions, ConnectOptions, DataCallback, StatusCallback } from "./net/bufferevent.ts";
export { AbstractBufferEvent, BEV_FLUSH } from "./net/abstract-bufferevent.ts";
export type { DataCallback as BufferDataCallback, StatusCallback as BufferStatusCallback } from "./net/abstract-bufferevent.ts";
export { EvBufferCallback } from "./net/evbuffer-callback.ts";
export type { EvBufferChange, EvBufferChangeCallback } from "./net/evbuffer-callback.ts";
export type { BufferEnd } from "./net/evbuffer.ts";
export { PairedBufferEvent, bufferEventPair } from "./net/bufferevent-pair.ts";
export { RateLimit, RateLimitGroup } from "./net/rate-limit.ts";
export { FilteredBufferEvent } from "./net/bufferevent-filter.ts";
export type { BufferFilter, FilterResult, FilteredBufferEventOptions } from "./net/bufferevent-filter.ts";
export type { RateLimitOptions, RateLimitState } from "./net/rate-limit.ts";
export { Listener, localAddress, peerAddress } from "./net/listener.ts";
export type { AcceptCallback, ListenerOptions } from "./net/listener.ts";
export { DatagramSocket } from "./net/datagram.ts";
export type { DatagramOptions, DatagramType, MessageCallback, MessageInfo, SendOptions } from "./net/datagram.ts";
export { getSocketOptions, setSocketOptions, tcpInfo } from "./net/socket-options.ts";
export type { KeepAlive, SocketOptions, SocketOptionValues, TcpInfo } from "./net/socket-options.ts";
export { listenFds, sdNotify, watchdogInterval } from "./net/systemd.ts";
export { Resolver } from "./net/dns/resolver.ts";
export type { LookupAddress, PendingLookup, ResolveCallback, ResolverOptions } from "./net/dns/resolver.ts";
export { DnsError } from "./net/dns/message.ts";
export type { DnsErrorCode, DnsRecord, RecordTypeName } from "./net/dns/message.ts";
export { describeSocket } from "./net/socket.ts";
export type { SocketKind } from "./net/socket.ts";
export { ProcessWatcher, processWatchMechanism } from "./process/watch.ts";
export type { ProcessExit, ProcessWatchMechanism } from "./process/watch.ts";
export { ChildProcess, spawnProcess } from "./process/spawn.ts";
export type { SpawnProcessOptions, StdioMode } from "./process/spawn.ts";
export type { InheritedSocket, ListenFdsOptions, NotifyState } from "./net/systemd.ts";
export { formatAddress, resolveAddress } from "./ffi/sockaddr.ts";
export type { AddressSpec, SocketAddress } from "./ffi/sockaddr.ts";
export { parseRequest, parseRequestHead } from "./net/http/parser.ts";
export type { ErrorStatus, HeadResult, HttpRequest, ParseLimits, ParseResult } from "./net/http/parser.ts";
export { formatHead, formatResponse, httpDate } from "./net/http/response.ts";
export type { FormatOptions } from "./net/http/response.ts";
export { ChunkedDecoder } from "./net/http/chunked.ts";
export { HttpServer } from "./net/http/server.ts";
export type { HttpHandler, HttpResponse, HttpServerOptions, ResponseBody, UpgradeHandler } from "./net/http/server.ts";
export { serve } from "./net/http/serve.ts";
export type { ServeOptions, Server } from "./net/http/serve.ts";
export * as sys from "./sys.ts";
export { constants, Errno, errnoName, NotAvailableError, ScmRights, signals, SyscallError } from "./sys.ts";
export { arch, os, platform, runtime, runtimeVersion, scriptArgs } from "./ffi/runtime.ts";
export type { ArchName, OsName, RuntimeName } from "./ffi/runtime.ts";
export {
  DispatchError, Dispatcher, FdChannel, FdChannelError, FdHandoffError, isMainThread, Mailbox, MailboxSender, QueueFullError,
  spawnBase, spawnBases, WorkerError, WorkerHandle,
} from "./threads/mod.ts";
export type {
  Connection, DispatcherOptions, DispatchPolicy, FdChannelHandlers, FdChannelOptions, FdMessage, FdTarget, MailboxOptions,
  MailboxPort, QueueRecord, SpawnOptions, WorkerContext, WorkerExit, WorkerMain, WorkerState,
} from "./threads/mod.ts";
