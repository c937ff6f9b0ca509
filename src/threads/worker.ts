// Worker bases: one EventBase per Worker, as in memcached's threading model. spawnBase() starts a
// Worker running evffi's entry script (worker-entry.ts), which creates the base, imports the
// user's module, calls its default export with a WorkerContext and runs
// `base.loopSync(EVLOOP.NO_EXIT_ON_EMPTY)` until stopped.
//
// The main thread keeps a WorkerHandle. It never touches the worker's base: it sends records and
// fds into the base's Mailbox (shared memory plus one wake fd write per batch) and asks for a stop
// through a shared flag and a wake. Replies (ready, fd hand-off errors, ctx.reply messages, the
// worker's failure, "stopped") come back as host messages, so they are seen when this thread's
// host loop runs (`await base.loop()` does that; a main-thread loopSync sees them once it returns).
//
// Stopping: the worker's loop returns, it closes the connections it owns, its mailbox and its base
// (wake fd included), posts "stopped", and only then is the Worker terminated. A Worker blocked in
// FFI is never terminated (Deno would never exit).
//
// Signals: a signal lands on the main thread, and a Worker blocked in epoll_wait would never see
// it. A worker's base that watches a signal tells the main thread, which counts each arrival into
// the base's shared pendingSignals array and wakes it, as the host listener does for a local base.
import { type HostWorker, inWorker, startWorker } from "../ffi/mod.ts";
import type { EventBase, EventBaseOptions } from "../core/base.ts";
import type { Event } from "../core/event.ts";
import { type SignalTarget, addSignalTarget, removeSignalTarget } from "../core/signal.ts";
import { type MailboxOptions, type MailboxPort, MailboxSender, type QueueRecord, type RecordInput, createMailboxPort } from "./queue.ts";
import { BASE_WORKER_NAME, startWorkerBaseIfAsked } from "./worker-entry.ts";

// The Worker's script: evffi's own entry file beside this one (worker-entry.ts in the repository,
// .js in the package). From a bundle (`bun build`, `bun build --compile`) there is no such file:
// the Worker then runs the user's module itself, and the copy of evffi bundled into it starts the
// base (so there the module must import evffi for more than types; see docs/api.md).
const ownFile = /\/threads\/worker\.(ts|js)$/.exec(new URL(import.meta.url).pathname);
const entryScript: string | null = ownFile ? new URL(`./worker-entry.${ownFile[1]}`, import.meta.url).href : null;

// In a bundle this module is how the entry's code gets into the Worker: start it if asked.
startWorkerBaseIfAsked();

/** How long a bundled worker module has to start the base before spawnBase gives up on it. */
const BUNDLED_START_MS = 10_000;

/** Whether this code runs on the main thread (not in a Worker). */
export const isMainThread: boolean = !inWorker;

/** A connection (fd) handed to a worker; the worker owns it until close() or release(). */
export interface Connection {
  /** The connection's descriptor, owned by the worker. */
  readonly fd: number;
  /** Closes the fd (once) and stops counting it as this worker's load. */
  close(): void;
  /** Keeps the fd open but stops tracking it: it is no longer closed if the worker fails. */
  release(): void;
}

/** What a worker module's default export receives. */
export interface WorkerContext<D = unknown> {
  /** The worker's own base; its loop runs after the default export returns (or its promise settles). */
  readonly base: EventBase;
  /** `options.data` of spawnBase (structured-cloned; SharedArrayBuffers are shared). */
  readonly data: D;
  /** `options.index` of spawnBase (spawnBases numbers its workers 0..n-1). */
  readonly index: number;
  /** Receives the records sent with handle.send(); `record.data` is valid during the call only (copy to keep). */
  onRecord(handler: (record: QueueRecord) => void): void;
  /**
   * Receives the fds sent with handle.sendFd() (or a Dispatcher), already checked to be open
   * sockets. The handler owns the connection: close it with conn.close(). `data` is valid during
   * the call only (copy to keep).
   */
  onFd(handler: (fd: number, data: Uint8Array, conn: Connection) => void): void;
  /** Makes `ev` (an event of ctx.base) activatable with handle.activate(id, what). Returns the id. */
  exportEvent(ev: Event<unknown>, id?: number | string): number | string;
  /** Sends a message to the main thread's handle.onMessage listeners (postMessage). */
  reply(message: unknown): void;
  /** Runs after the loop returned, before the base is closed. */
  onStop(fn: () => void): void;
  /** Ends this worker from inside (like handle.stop()). */
  stop(): void;
}

/** The default export of a worker module. */
export type WorkerMain<D = unknown> = (ctx: WorkerContext<D>) => void | Promise<void>;

/** What spawnBase gives the worker (data, index, base options) and the size of its mailbox. */
export interface SpawnOptions<D = unknown> extends MailboxOptions {
  /** Given to the worker as ctx.data. */
  data?: D;
  /** Options of the worker's EventBase. */
  base?: EventBaseOptions;
  /** Given to the worker as ctx.index (default 0). */
  index?: number;
}

/** A worker's failure, as reported to the main thread. */
export class WorkerError extends Error {
  /** The stack in the worker. */
  readonly remoteStack: string | undefined;
  /** The worker error's `code` (an errno name for a SyscallError), if it had one. */
  readonly code: string | undefined;
  /**
   * The failure of worker `workerIndex`, rebuilt from what crossed postMessage.
   *
   * @param workerIndex the worker's ctx.index
   * @param remote the error as the worker serialized it
   */
  constructor(readonly workerIndex: number, remote: SerializedError) {
    super(`worker ${workerIndex} failed: ${remote.name}: ${remote.message}`);
    this.name = "WorkerError";
    this.remoteStack = remote.stack;
    this.code = remote.code;
  }
}

/** An fd a worker could not take (not open, not a socket, no onFd handler, worker stopping). */
export class FdHandoffError extends Error {
  /**
   * An fd that worker `workerIndex` could not take; it was closed.
   *
   * @param workerIndex the worker's ctx.index
   * @param fd the descriptor as it was numbered in the worker
   * @param code why
   * @param message the reason in words
   * @param data the payload sent with the fd
   */
  constructor(
    readonly workerIndex: number,
    readonly fd: number,
    /** "EBADF", "ENOTSOCK", "NO_HANDLER", "STOPPED", or another errno name. */
    readonly code: string,
    message: string,
    /** The payload sent with the fd. */
    readonly data: Uint8Array,
  ) {
    super(`worker ${workerIndex} rejected fd ${fd}: ${message}`);
    this.name = "FdHandoffError";
  }
}

/** How a worker ended, as WorkerHandle.closed reports it. */
export interface WorkerExit {
  /** Why the worker ended: null after a plain stop. */
  error: WorkerError | null;
}

/** What crosses postMessage for an Error. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
}

/** @internal Messages the worker entry posts. */
export type WorkerReply =
  | { type: "ready"; wakeFlag: SharedArrayBuffer }
  | { type: "signal"; op: "add" | "del"; signal: number; pending: SharedArrayBuffer }
  | { type: "fd-error"; fd: number; code: string; message: string; data: Uint8Array }
  | { type: "started" }
  | { type: "message"; data: unknown }
  | { type: "stopped"; error: SerializedError | null };

/** @internal What the entry receives first. */
export interface WorkerInit {
  type: "init";
  module: string;
  data: unknown;
  index: number;
  port: MailboxPort;
  base: EventBaseOptions;
}

/** Where a worker is in its life: starting, running, stopping (stop() called), stopped. */
export type WorkerState = "starting" | "running" | "stopping" | "stopped";

/** The main thread's handle on a worker base. */
export class WorkerHandle<D = unknown> {
  /** The worker's index (SpawnOptions.index; spawnBases numbers its workers 0..n-1). */
  readonly index: number;
  /** Resolves (to this handle) once the worker's module ran and its loop is about to start. */
  readonly ready: Promise<this>;
  /** Resolves when the worker has ended and its Worker is gone. Never rejects. */
  readonly closed: Promise<WorkerExit>;
  private stateValue: WorkerState = "starting";
  private startTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  private readonly sender: MailboxSender;
  private readonly shared: MailboxPort;
  private readonly worker: HostWorker;
  private readonly signalTarget: SignalTarget;
  private pendingSignals: Int32Array | null = null;
  private readonly watched = new Set<number>();
  private readonly errorListeners: ((err: WorkerError) => void)[] = [];
  private readonly fdErrorListeners: ((err: FdHandoffError) => void)[] = [];
  private readonly messageListeners: ((message: unknown) => void)[] = [];
  private resolveReady!: (h: this) => void;
  private rejectReady!: (err: Error) => void;
  private resolveClosed!: (exit: WorkerExit) => void;

  /** @internal Use spawnBase(). */
  constructor(moduleUrl: string, options: SpawnOptions<D>) {
    this.index = options.index ?? 0;
    this.shared = createMailboxPort(options);
    this.sender = new MailboxSender(this.shared);
    this.ready = new Promise<this>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    // Whoever awaits `ready` sees its rejection; nobody awaiting it is not an unhandled rejection.
    this.ready.catch(() => {});
    this.closed = new Promise<WorkerExit>((resolve) => (this.resolveClosed = resolve));
    this.signalTarget = {
      noteSignal: (signal: number) => {
        if (this.pendingSignals === null || this.stateValue === "stopped") return;
        Atomics.add(this.pendingSignals, signal, 1);
        this.sender.wake(true);
      },
    };
    this.worker = startWorker(entryScript ?? moduleUrl, {
      message: (m) => this.onReply(m as WorkerReply),
      error: (e) => this.onHostError(e),
    }, BASE_WORKER_NAME);
    const init: WorkerInit = { type: "init", module: moduleUrl, data: options.data, index: this.index, port: this.shared, base: options.base ?? {} };
    this.worker.post(init);
    if (entryScript === null) {
      // From a bundle the user's module must start the base itself (see entryScript); a module
      // that imports evffi only for types never does, and would otherwise leave `ready` pending.
      this.startTimer = setTimeout(() => {
        this.finish(new WorkerError(this.index, {
          name: "Error",
          message: `${moduleUrl} did not start evffi's worker base within ${BUNDLED_START_MS} ms: from a bundle, ` +
            `the module given to spawnBase must import evffi at run time (an \`import type\` is erased; add \`import "evffi";\`), ` +
            `and with bun build --compile it must be one of the build's entrypoints`,
        }));
      }, BUNDLED_START_MS);
    }
  }

  /** "starting", "running", "stopping" or "stopped". */
  get state(): WorkerState {
    return this.stateValue;
  }

  /** Connections the worker owns now, plus those sent and not yet taken (shared; see Dispatcher). */
  get load(): number {
    return this.sender.load;
  }

  /** Whether records and fds can still be sent. */
  get alive(): boolean {
    return this.stateValue === "starting" || this.stateValue === "running";
  }

  /**
   * Shared memory through which other threads (producer Workers) can send to this worker:
   * postMessage it and wrap it in a MailboxSender there. Complete (coalesced waking) after ready.
   */
  port(): MailboxPort {
    return { ...this.shared };
  }

  /** Queues a record for ctx.onRecord. Throws QueueFullError when the queue is full. */
  send(record: RecordInput): void {
    this.checkAlive();
    this.sender.push(record);
  }

  /** Like send(), but returns false when the queue is full. */
  trySend(record: RecordInput): boolean {
    this.checkAlive();
    return this.sender.tryPush(record);
  }

  /**
   * Hands the connection `fd` to the worker (ownership moves: do not use or close it afterwards).
   * Throws QueueFullError when the queue is full, and then you still own fd. A worker that cannot
   * take it (closed, not a socket) reports an FdHandoffError to onFdError listeners.
   */
  sendFd(fd: number, payload?: Uint8Array | string): void {
    this.checkAlive();
    this.sender.addLoad(1);
    try {
      this.sender.sendFd(fd, payload);
    } catch (err) {
      this.sender.addLoad(-1);
      throw err;
    }
  }

  /** Like sendFd(), but returns false (you still own fd) when the queue is full. */
  trySendFd(fd: number, payload?: Uint8Array | string): boolean {
    this.checkAlive();
    this.sender.addLoad(1);
    let ok = false;
    try {
      ok = this.sender.trySendFd(fd, payload);
    } finally {
      if (!ok) this.sender.addLoad(-1);
    }
    return ok;
  }

  /** Activates the event the worker exported as `id` with `what` (EV bits), on the worker's thread. */
  activate(id: number | string, what: number): void {
    this.checkAlive();
    this.sender.activate(id, what);
  }

  /** Same as stop(), for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /**
   * Stops the worker: its loop returns, it closes its connections and its base, and the Worker
   * ends. Resolves when all that is done. Safe to call in any state, any number of times.
   */
  stop(): Promise<WorkerExit> {
    if (this.stateValue === "starting" || this.stateValue === "running") {
      this.stateValue = "stopping";
      this.sender.requestStop();
    }
    return this.closed;
  }

  /** Called when the worker failed (threw from its module, a callback or a record handler). */
  onError(listener: (err: WorkerError) => void): this {
    this.errorListeners.push(listener);
    return this;
  }

  /** Called when the worker rejected an fd sent to it. */
  onFdError(listener: (err: FdHandoffError) => void): this {
    this.fdErrorListeners.push(listener);
    return this;
  }

  /** Called with each ctx.reply(message) of the worker. */
  onMessage(listener: (message: unknown) => void): this {
    this.messageListeners.push(listener);
    return this;
  }

  private checkAlive(): void {
    if (!this.alive) throw new Error(`worker ${this.index} is ${this.stateValue}: nothing can be sent to it`);
  }

  private onReply(m: WorkerReply): void {
    switch (m.type) {
      case "started":
        clearTimeout(this.startTimer);
        return;
      case "ready":
        this.sender.setWakeFlag(m.wakeFlag);
        this.shared.wakeFlag = m.wakeFlag; // later port()s coalesce their wakes too
        if (this.stateValue === "starting") this.stateValue = "running";
        this.resolveReady(this);
        return;
      case "signal":
        if (m.op === "add") {
          this.pendingSignals ??= new Int32Array(m.pending);
          if (!this.watched.has(m.signal) && this.stateValue !== "stopped") {
            this.watched.add(m.signal);
            addSignalTarget(m.signal, this.signalTarget);
          }
        } else if (this.watched.delete(m.signal)) {
          removeSignalTarget(m.signal, this.signalTarget);
        }
        return;
      case "fd-error": {
        const err = new FdHandoffError(this.index, m.fd, m.code, m.message, m.data);
        if (this.fdErrorListeners.length === 0) console.error(`[evffi] ${err.message}`);
        for (const l of this.fdErrorListeners) l(err);
        return;
      }
      case "message":
        for (const l of this.messageListeners) l(m.data);
        return;
      case "stopped":
        this.finish(m.error ? new WorkerError(this.index, m.error) : null);
        return;
    }
  }

  /** The Worker failed outside the entry's own error handling (its script did not load, say). */
  private onHostError(e: { message: string; stack?: string }): void {
    if (this.stateValue === "stopped") return;
    // The entry catches everything once it runs, so the Worker is not inside FFI here.
    this.finish(new WorkerError(this.index, { name: "Error", message: e.message, stack: e.stack }));
  }

  private finish(error: WorkerError | null): void {
    if (this.stateValue === "stopped") return;
    this.stateValue = "stopped";
    clearTimeout(this.startTimer);
    for (const signal of this.watched) removeSignalTarget(signal, this.signalTarget);
    this.watched.clear();
    // The worker posted "stopped" after its loop returned and its base closed: not in FFI.
    this.worker.terminate();
    if (error) {
      if (this.errorListeners.length === 0) console.error(`[evffi] ${error.message}${error.remoteStack ? `\n${error.remoteStack}` : ""}`);
      for (const l of this.errorListeners) l(error);
    }
    this.rejectReady(error ?? new Error(`worker ${this.index} stopped before it was ready`));
    this.resolveClosed({ error });
  }
}

function moduleHref(moduleUrl: string | URL): string {
  try {
    return new URL(String(moduleUrl)).href;
  } catch {
    throw new TypeError(`spawnBase needs an absolute module URL (e.g. new URL("./worker.ts", import.meta.url)), got ${JSON.stringify(String(moduleUrl))}`);
  }
}

/**
 * Starts a Worker whose base runs the default export of `moduleUrl` (see WorkerContext).
 * Records and fds may be sent at once; they are taken when the worker's loop starts.
 *
 * Costs: one thread (a Worker) with its own base, its own copy of evffi's modules and a wake fd;
 * a shared-memory mailbox ring (capacity x slot bytes). Sending a record is a copy into the ring
 * and at most one write to the worker's wake fd (none while the worker is already awake).
 *
 * @example
 * ```ts
 * import { isMainThread, spawnBase, type WorkerContext } from "evffi";
 *
 * // The worker's main: this same module, loaded in the Worker.
 * export default function worker(ctx: WorkerContext): void {
 *   ctx.onRecord((record) => {
 *     ctx.reply(`worker ${ctx.index} got ${new TextDecoder().decode(record.data)}`);
 *     ctx.stop();
 *   });
 * }
 *
 * if (isMainThread) {
 *   const handle = spawnBase(import.meta.url, { index: 1 });
 *   handle.onMessage((message) => console.log(message)); // prints: worker 1 got hello
 *   await handle.ready;
 *   handle.send({ data: "hello" });
 *   await handle.closed;
 * }
 * ```
 */
export function spawnBase<D = unknown>(moduleUrl: string | URL, options: SpawnOptions<D> = {}): WorkerHandle<D> {
  if (typeof options !== "object" || options === null) throw new TypeError(`options must be an object, got ${String(options)}`);
  return new WorkerHandle<D>(moduleHref(moduleUrl), options);
}

/** Starts `n` worker bases (ctx.index 0..n-1) and waits until all are ready. */
export async function spawnBases<D = unknown>(n: number, moduleUrl: string | URL, options: Omit<SpawnOptions<D>, "index"> = {}): Promise<WorkerHandle<D>[]> {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be a positive integer, got ${String(n)}`);
  const handles = Array.from({ length: n }, (_, index) => spawnBase<D>(moduleUrl, { ...options, index }));
  try {
    return await Promise.all(handles.map((h) => h.ready));
  } catch (err) {
    await Promise.all(handles.map((h) => h.stop()));
    throw err;
  }
}
