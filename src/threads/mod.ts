// evffi's threads layer: worker bases, the cross-thread mailbox (queue + wake fd), the
// memcached-style dispatcher, and fd passing between processes (SCM_RIGHTS).
//
// Ownership rule: another thread never touches a base's objects; it only sends (records into
// the base's Mailbox, a write to its wake fd). The base's own thread does the work.
export {
  Mailbox, MailboxSender, QueueFullError, RecordKind, createMailboxPort, closeRecordFds,
} from "./queue.ts";
export type { MailboxOptions, MailboxPort, QueueRecord, RecordInput } from "./queue.ts";
export { FdHandoffError, WorkerError, WorkerHandle, isMainThread, spawnBase, spawnBases } from "./worker.ts";
export type { Connection, SpawnOptions, WorkerContext, WorkerExit, WorkerMain, WorkerState } from "./worker.ts";
export { DispatchError, Dispatcher } from "./dispatcher.ts";
export type { DispatchPolicy, DispatcherOptions, FdTarget } from "./dispatcher.ts";
export { FdChannel, FdChannelError } from "./fd-channel.ts";
export type { FdChannelHandlers, FdChannelOptions, FdMessage } from "./fd-channel.ts";
