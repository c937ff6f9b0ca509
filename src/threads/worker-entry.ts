// What every worker base runs (see worker.ts): creates the base and its mailbox, forwards signal
// interest to the main thread, imports the user's module and calls its default export, runs the
// loop until stopped, then closes everything it owns and says "stopped".
//
// spawnBase names its Worker BASE_WORKER_NAME. The Worker's script is this file, or, when evffi
// runs from a bundle (where this file does not exist on its own), the user's module itself, which
// carries evffi inside it. Either way the first evaluation of this module in a Worker of that name
// starts the protocol, once.
import { EventBase } from "../core/base.ts";
import type { Event } from "../core/event.ts";
import { EVLOOP } from "../core/flags.ts";
import { constants as C, errnoCell, errnoName, libc, parentPort, workerName } from "../ffi/mod.ts";
import { CONNS, Mailbox, type QueueRecord, RecordKind, STOP, closeRecordFds } from "./queue.ts";
import type { Connection, SerializedError, WorkerContext, WorkerInit, WorkerReply } from "./worker.ts";

/** The name spawnBase gives its Workers. */
export const BASE_WORKER_NAME = "evffi-base";

let post: (m: WorkerReply) => void = () => {};
let started = false;

/** In a Worker started by spawnBase, waits for the init message and runs the base (once). */
export function startWorkerBaseIfAsked(): void {
  if (started || workerName() !== BASE_WORKER_NAME) return;
  started = true;
  const parent = parentPort();
  post = (m) => parent.post(m);
  parent.onMessage((m) => {
    parent.close();
    void run(m as WorkerInit);
  });
}

startWorkerBaseIfAsked();

function serialize(err: unknown): SerializedError {
  if (err instanceof Error) {
    return { name: err.name, message: err.message, stack: err.stack, code: (err as { code?: unknown }).code as string | undefined };
  }
  return { name: "Error", message: `a non-Error value was thrown: ${String(err)}` };
}

/** Why `fd` cannot be a connection, or null if it is an open socket. */
function socketProblem(fd: number): { code: string; message: string } | null {
  const value = new Int32Array(1);
  const len = new Uint32Array([4]);
  if (libc.getsockopt(fd, C.SOL_SOCKET, C.SO_TYPE, value, len) === 0) return null;
  const code = errnoName(errnoCell[0]);
  const message = code === "EBADF" ? `fd ${fd} is not open (EBADF)` : code === "ENOTSOCK" ? `fd ${fd} is not a socket (ENOTSOCK)` : `fd ${fd} cannot be used: getsockopt failed with ${code}`;
  return { code, message };
}

async function run(init: WorkerInit): Promise<void> {
  post({ type: "started" });
  let failure: unknown = null;
  let base: EventBase | null = null;
  let mailbox: Mailbox | null = null;
  const conns = new Set<Connection>();
  const stopHooks: (() => void)[] = [];
  let recordHandler: ((r: QueueRecord) => void) | null = null;
  let fdHandler: ((fd: number, data: Uint8Array, conn: Connection) => void) | null = null;
  const control = new Int32Array(init.port.control);

  // The sender counted the fd as this worker's load when it sent it.
  const unload = (n: number) => Atomics.sub(control, CONNS, n);
  const rejectFd = (fd: number, code: string, message: string, data: Uint8Array, close: boolean) => {
    if (close) libc.close(fd);
    unload(1);
    // A copy: the record's payload is a view into the shared ring.
    post({ type: "fd-error", fd, code, message, data: data.slice() });
  };

  try {
    const b = new EventBase(init.base);
    base = b;
    // The host's listeners run on the main thread, not here while the loop blocks in the kernel:
    // the main thread counts this base's signals into its shared counters and wakes it.
    b.signalSource = {
      add: (_target, signal) => post({ type: "signal", op: "add", signal, pending: b.crossThreadHandle().pendingSignals }),
      del: (_target, signal) => post({ type: "signal", op: "del", signal, pending: b.crossThreadHandle().pendingSignals }),
    };

    const adopt = (fd: number, data: Uint8Array) => {
      const problem = socketProblem(fd);
      if (problem) return rejectFd(fd, problem.code, problem.message, data, problem.code !== "EBADF");
      if (!fdHandler) return rejectFd(fd, "NO_HANDLER", "the worker registered no ctx.onFd handler", data, true);
      let open = true;
      const conn: Connection = {
        fd,
        close: () => {
          if (!open) return;
          open = false;
          conns.delete(conn);
          unload(1);
          libc.close(fd);
        },
        release: () => {
          if (!open) return;
          open = false;
          conns.delete(conn);
          unload(1);
        },
      };
      conns.add(conn);
      fdHandler(fd, data, conn);
    };

    const mb = new Mailbox(b, init.port, (r) => {
      if (r.kind === RecordKind.FD) adopt(r.fd, r.data);
      else if (recordHandler) recordHandler(r);
      else throw new Error(`a record of kind ${r.kind} arrived, and the worker registered no ctx.onRecord handler`);
    });
    mailbox = mb;

    const ctx: WorkerContext = {
      base: b,
      data: init.data,
      index: init.index,
      onRecord: (h) => {
        if (typeof h !== "function") throw new TypeError(`onRecord needs a function, got ${typeof h}`);
        recordHandler = h;
      },
      onFd: (h) => {
        if (typeof h !== "function") throw new TypeError(`onFd needs a function, got ${typeof h}`);
        fdHandler = h;
      },
      exportEvent: (ev: Event<unknown>, id?: number | string) => mb.exportEvent(ev, id),
      reply: (message) => post({ type: "message", data: message }),
      onStop: (fn) => void stopHooks.push(fn),
      stop: () => {
        Atomics.store(control, STOP, 1);
        b.loopBreak();
      },
    };

    const mod = await import(init.module);
    if (typeof mod.default !== "function") throw new TypeError(`${init.module} has no default export function (the worker's main)`);
    await mod.default(ctx);
    post({ type: "ready", wakeFlag: mb.port.wakeFlag! });
    // A stop asked for before this point set STOP; after it, the break reaches the loop through the wake fd.
    if (!mb.stopRequested) b.loopSync(EVLOOP.NO_EXIT_ON_EMPTY);
  } catch (err) {
    failure = err;
  }

  // Shut down: the user's hooks, then the mailbox (no thread writes our wake fd after that), the
  // fds nobody took, the connections we own, and the base.
  for (const hook of stopHooks) {
    try {
      hook();
    } catch (err) {
      failure ??= err;
    }
  }
  if (mailbox) {
    const left = mailbox.close();
    for (const r of left) {
      if (r.kind === RecordKind.FD) rejectFd(r.fd, "STOPPED", "the worker stopped before taking it; it was closed", r.data, false);
    }
    closeRecordFds(left);
  }
  for (const conn of [...conns]) conn.close();
  try {
    base?.close();
  } catch (err) {
    failure ??= err;
  }
  post({ type: "stopped", error: failure === null ? null : serialize(failure) });
}
