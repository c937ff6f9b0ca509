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
export { supportedMethods } from "./backends/registry.ts";
export type { Backend, BackendState, BackendHost, FdRecord } from "./backends/backend.ts";
export {
  sys, SyscallError, NotAvailableError, Errno, errnoName, runtime, runtimeVersion, os, arch, platform, constants, signals,
  ScmRights,
} from "./ffi/mod.ts";
