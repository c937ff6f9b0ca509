// evffi: libevent's reactor for Bun and Deno, over libc through the runtime's own FFI.
//
//   import { EventBase, EV } from "evffi";
//   const base = new EventBase();
//   base.event(fd, EV.READ | EV.PERSIST, (fd, what, ev) => { ... }).add();
//   base.loopSync();
import "./core/signal.ts"; // installs host-signal delivery
export { EventBase } from "./core/base.ts";
export type { EventBaseOptions, TimeoutArg } from "./core/base.ts";
export { Event } from "./core/event.ts";
export type { EventCallback } from "./core/event.ts";
export { CommonTimeout } from "./core/common-timeout.ts";
export { EV, EVLOOP, Feature, Count, describeEvents } from "./core/flags.ts";
export { methodAvailability, supportedMethods } from "./backends/registry.ts";
export type { Backend, BackendState, BackendHost, FdRecord } from "./backends/backend.ts";
export { EvBuffer } from "./net/evbuffer.ts";
export type { EolStyle } from "./net/evbuffer.ts";
export { BufferEvent, BEV } from "./net/bufferevent.ts";
export type { BufferEventOptions, DataCallback, StatusCallback } from "./net/bufferevent.ts";
export { Listener, localAddress, peerAddress } from "./net/listener.ts";
export type { ListenerOptions, AcceptCallback } from "./net/listener.ts";
export { resolveAddress, formatAddress } from "./ffi/sockaddr.ts";
export type { SocketAddress, AddressSpec } from "./ffi/sockaddr.ts";
export { parseRequest, parseRequestHead } from "./net/http/parser.ts";
export { formatResponse, formatHead, httpDate } from "./net/http/response.ts";
export { ChunkedDecoder } from "./net/http/chunked.ts";
export { HttpServer } from "./net/http/server.ts";
export type { HttpHandler, HttpResponse, HttpServerOptions, ResponseBody, UpgradeHandler } from "./net/http/server.ts";
export type { HttpRequest, ParseResult, HeadResult, ParseLimits } from "./net/http/parser.ts";
export { serve } from "./net/http/serve.ts";
export type { ServeOptions, Server } from "./net/http/serve.ts";
export {
  scriptArgs, sys, SyscallError, NotAvailableError, Errno, errnoName, runtime, runtimeVersion, os, arch, platform, constants, signals,
  ScmRights,
} from "./ffi/mod.ts";
// Threads: a base per Worker, the cross-thread mailbox, the dispatcher, fd passing.
export * from "./threads/mod.ts";
