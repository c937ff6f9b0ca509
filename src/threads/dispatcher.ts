// The dispatcher (memcached's model): one base accepts connections, through a Listener, and hands
// each to a worker base, which then owns it entirely. The choice is memcached's round robin,
// `tid = (last_thread + 1) % n`, or the least-loaded worker by the shared per-worker connection
// count (incremented here when an fd is sent, decremented by the worker when it closes one).
//
// A worker whose queue is full is skipped; when every worker is full or gone, the connection is
// closed and reported (onError), never dropped silently. Running out of descriptors is the
// Listener's to handle (it sheds waiting connections through a spare descriptor).
import { libc } from "../ffi/mod.ts";
import type { EventBase } from "../core/base.ts";
import { Listener } from "../net/listener.ts";

/** Where connections can go: a WorkerHandle, or anything shaped like one. */
export interface FdTarget {
  /** Whether it still takes connections. */
  readonly alive: boolean;
  /** Connections it holds (for least-loaded). */
  readonly load: number;
  /** Hands fd over; false when its queue is full (the caller still owns fd). */
  trySendFd(fd: number, payload?: Uint8Array | string): boolean;
}

/** How a Dispatcher picks a worker: in turn, or the one with the fewest queued records. */
export type DispatchPolicy = "round-robin" | "least-loaded";

/** How a Dispatcher picks targets, listens, and reports failures. */
export interface DispatcherOptions {
  /** "round-robin" (default) or "least-loaded". */
  policy?: DispatchPolicy;
  /** listen(2) backlog for { port } (default 511). */
  backlog?: number;
  /** A payload sent with each connection (default: none). */
  payload?: (fd: number) => Uint8Array | string | undefined;
  /** Receives accept failures and connections closed because no worker could take them. */
  onError?: (err: Error) => void;
}

/** A connection was closed because no worker could take it. */
export class DispatchError extends Error {
  /**
   * A connection closed undelivered.
   *
   * @param message which connection was closed, and why no worker could take it
   */
  constructor(message: string) {
    super(message);
    this.name = "DispatchError";
  }
}

/**
 * memcached's model of a multi-threaded server: this thread's base accepts connections and hands
 * each one to a worker base (a {@link WorkerHandle} from spawnBase, or any {@link FdTarget}), which
 * owns it from then on. Only the descriptor crosses threads: a record in the worker's Mailbox and a
 * write to its wake fd (coalesced while the worker is awake); the worker makes its own BufferEvent.
 *
 * Costs: per connection one `accept4` and one record pushed into a shared ring; no allocation on the
 * accepting thread beyond the optional payload. The threads are the workers': the Dispatcher
 * itself runs on the base it was given.
 */
export class Dispatcher {
  /** The listening fd. */
  readonly fd: number;
  /** Its TCP port. */
  readonly port: number;
  /** Connections handed off. */
  handoffs = 0;
  /** Connections closed because every worker was full or gone. */
  dropped = 0;
  /** Hand-offs per target. */
  readonly perTarget: number[];
  private last = -1;
  private readonly listener: Listener;
  private readonly policy: DispatchPolicy;
  private isClosed = false;

  /**
   * Listens on `{ port, host? }` (or adopts a listening `{ fd }`) on `base`, through a Listener,
   * and hands every accepted connection to one of `targets`.
   *
   * @example
   * ```ts
   * import { BEV, BufferEvent, Dispatcher, EV, EventBase, isMainThread, spawnBases, type WorkerContext } from "evffi";
   *
   * // Each worker's main (this same module, loaded in a Worker): echo on the connections handed to it.
   * export default function worker(ctx: WorkerContext): void {
   *   ctx.onFd((fd, _data, conn) => {
   *     new BufferEvent(ctx.base, fd, { closeFd: false }).setCallbacks((b) => b.writeBuffer(b.input), null, (b, what) => {
   *       if (what & (BEV.EOF | BEV.ERROR)) {
   *         b.close();
   *         conn.close();
   *       }
   *     }).enable(EV.READ);
   *   });
   * }
   *
   * if (isMainThread) {
   *   const base = new EventBase();
   *   const workers = await spawnBases(2, import.meta.url);
   *   const dispatcher = new Dispatcher(base, { host: "127.0.0.1", port: 0 }, workers, { policy: "least-loaded" });
   *   const client = new BufferEvent(base, -1).connect({ host: "127.0.0.1", port: dispatcher.port });
   *   client.setCallbacks((b) => {
   *     console.log(b.input.toString()); // prints: hello
   *     b.close();
   *     dispatcher.close();
   *   }, null, (b, what) => (what & BEV.CONNECTED) && b.write("hello")).enable(EV.READ);
   *   await base.loop();
   *   await Promise.all(workers.map((w) => w.stop()));
   *   base.close();
   * }
   * ```
   */
  constructor(
    readonly base: EventBase,
    listen: { port: number; host?: string } | { fd: number },
    readonly targets: readonly FdTarget[],
    private readonly options: DispatcherOptions = {},
  ) {
    if (!Array.isArray(targets) || targets.length === 0) throw new RangeError("a Dispatcher needs at least one target");
    const policy = options.policy ?? "round-robin";
    if (policy !== "round-robin" && policy !== "least-loaded") throw new RangeError(`policy must be "round-robin" or "least-loaded", got ${JSON.stringify(policy)}`);
    this.policy = policy;
    this.perTarget = targets.map(() => 0);
    this.listener = new Listener(base, "fd" in listen ? listen : { host: listen.host ?? "127.0.0.1", port: listen.port },
      (fd) => this.handOff(fd), { backlog: options.backlog, closeFd: !("fd" in listen) });
    this.listener.onError((err) => this.report(err));
    this.fd = this.listener.fd;
    const address = this.listener.address;
    this.port = address.family === "unix" ? 0 : address.port;
  }

  /** Whether close() was called. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Same as close(), for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Stops accepting (and closes the listening fd if the dispatcher opened it). */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.listener.close();
  }

  /** Sends `fd` to the next target; closes it when none can take it. */
  handOff(fd: number): void {
    const payload = this.options.payload?.(fd);
    const n = this.targets.length;
    const order = this.policy === "least-loaded" ? this.byLoad() : null;
    for (let tried = 0; tried < n; tried++) {
      const i = order ? order[tried] : (this.last + 1 + tried) % n;
      const target = this.targets[i];
      if (!target.alive) continue;
      let taken: boolean;
      try {
        taken = target.trySendFd(fd, payload);
      } catch {
        taken = false; // stopped between the check and the send (its mailbox closed): fd is still ours
      }
      if (taken) {
        this.last = i;
        this.handoffs++;
        this.perTarget[i]++;
        return;
      }
    }
    libc.close(fd);
    this.dropped++;
    const alive = this.targets.filter((t) => t.alive).length;
    this.report(new DispatchError(alive === 0
      ? "no worker is running: the connection was closed"
      : `every worker's queue is full (${alive} workers): the connection was closed`));
  }

  /** Target indexes by load, ties broken in round-robin order after the last one used. */
  private byLoad(): number[] {
    const n = this.targets.length;
    const order = Array.from({ length: n }, (_, k) => (this.last + 1 + k) % n);
    const loads = this.targets.map((t) => t.load);
    return order.sort((a, b) => loads[a] - loads[b] || ((a - this.last - 1 + n) % n) - ((b - this.last - 1 + n) % n));
  }

  private report(err: Error): void {
    if (this.options.onError) this.options.onError(err);
    else console.error(`[evffi] dispatcher: ${err.message}`);
  }
}
