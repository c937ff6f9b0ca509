/**
 * evffi's threads layer: worker bases ({@link spawnBase}: a Worker running its own EventBase),
 * the cross-thread mailbox ({@link Mailbox}: a shared-memory ring plus the base's wake fd), the
 * memcached-style {@link Dispatcher}, and fd passing between processes ({@link FdChannel},
 * SCM_RIGHTS). Everything here is also exported from "evffi".
 *
 * Ownership rule: another thread never touches a base's objects; it only sends (records into
 * the base's Mailbox, a write to its wake fd). The base's own thread does the work.
 *
 * @module
 */
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
