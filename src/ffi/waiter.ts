// Waiting for fds without blocking the JS thread: poll(2) run off-thread, resolved as a Promise.
// Deno runs it as a `nonblocking` FFI symbol on its helper thread; Bun, which has no such thing,
// hands it to a watcher Worker (poll-worker.ts, started from a Blob so that bundles work) through
// shared memory and gets a message back.
// Neither call can be cancelled: the caller makes one of the polled fds readable (its wake fd).
import { type HostWorker, runtime, startWorker } from "./runtime.ts";
import { libcPath } from "./libc.ts";
import { layout } from "./layout.ts";
import { openLibrary } from "./native.ts";
import { pollWorkerSource } from "./poll-worker.ts";

// One Blob URL per thread, made on first use (a Blob URL stays valid until revoked).
let pollWorkerBlobUrl: string | null = null;
function pollWorkerUrl(): string {
  pollWorkerBlobUrl ??= URL.createObjectURL(new Blob([pollWorkerSource], { type: "text/javascript" }));
  return pollWorkerBlobUrl;
}

export interface OffThreadWaiter {
  /** pollfd array to fill before wait() (layout.pollfd entries); valid until the next grow. */
  readonly pollfds: Uint8Array;
  /** Entries the pollfd array holds. */
  readonly capacity: number;
  /** Runs poll(pollfds, nfds, timeoutMs) off-thread; resolves with poll's result (-1 on error). */
  wait(nfds: number, timeoutMs: number): Promise<number>;
  /** Whether a wait() has not resolved yet. */
  readonly busy: boolean;
  /** Releases the helper. Only call it when not busy. */
  close(): void;
}

/** poll(2) bound nonblocking: Deno runs it on a helper thread. */
type NonblockingPoll = (fds: Uint8Array, n: bigint, timeout: number) => Promise<number>;
let denoPoll: NonblockingPoll | null = null;

class DenoWaiter implements OffThreadWaiter {
  readonly pollfds: Uint8Array;
  busy = false;
  constructor(readonly capacity: number) {
    this.pollfds = new Uint8Array(new ArrayBuffer(capacity * layout.pollfd.size));
    denoPoll ??= openLibrary<{ poll: NonblockingPoll }>(libcPath, {
      poll: { args: ["buf", "u64", "i32"], result: "i32", nonblocking: true },
    }).symbols.poll;
  }
  async wait(nfds: number, timeoutMs: number): Promise<number> {
    this.busy = true;
    try {
      return await denoPoll!(this.pollfds, BigInt(nfds), timeoutMs);
    } finally {
      this.busy = false;
    }
  }
  close(): void {}
}

class BunWaiter implements OffThreadWaiter {
  readonly pollfds: Uint8Array;
  busy = false;
  private readonly ctl = new Int32Array(new SharedArrayBuffer(32));
  private readonly worker: HostWorker;
  private pending: { resolve(r: number): void; reject(e: Error): void } | null = null;
  private readonly ready: Promise<void>;
  constructor(readonly capacity: number) {
    const fds = new SharedArrayBuffer(capacity * layout.pollfd.size);
    this.pollfds = new Uint8Array(fds);
    let onReady!: () => void;
    this.ready = new Promise((r) => (onReady = r));
    this.worker = startWorker(pollWorkerUrl(), {
      message: (data) => {
        if (typeof data === "object" && data && "ready" in data) return onReady();
        const pending = this.pending;
        this.pending = null;
        this.worker.unref();
        pending?.resolve(Atomics.load(this.ctl, 3));
      },
      error: (e) => {
        const pending = this.pending;
        this.pending = null;
        pending?.reject(new Error(`the off-thread poll Worker failed: ${e.message}`));
      },
    });
    this.worker.post({ ctl: this.ctl.buffer, fds, libc: libcPath });
    this.worker.unref();
  }
  async wait(nfds: number, timeoutMs: number): Promise<number> {
    this.busy = true;
    try {
      // The Worker holds the process open only while a wait is outstanding.
      this.worker.ref();
      await this.ready;
      const result = new Promise<number>((resolve, reject) => (this.pending = { resolve, reject }));
      this.ctl[1] = nfds;
      this.ctl[2] = timeoutMs;
      Atomics.add(this.ctl, 0, 1);
      Atomics.notify(this.ctl, 0);
      return await result;
    } finally {
      this.busy = false;
    }
  }
  close(): void {
    Atomics.store(this.ctl, 4, 1);
    Atomics.add(this.ctl, 0, 1);
    Atomics.notify(this.ctl, 0);
    this.worker.terminate();
  }
}

/** An off-thread poll(2) for this thread, with room for `capacity` pollfd entries. */
export function createWaiter(capacity: number): OffThreadWaiter {
  return runtime === "deno" ? new DenoWaiter(capacity) : new BunWaiter(capacity);
}
