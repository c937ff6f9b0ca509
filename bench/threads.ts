// Threads benchmarks: cross-thread wake-up latency, mailbox throughput, dispatcher hand-offs and
// echo throughput with 0 (one single-threaded base), 1 and 2 worker bases.
//
//   node scripts/run.mjs bench/threads.ts [-- --quick]
//
// This one file plays every part: the main thread measures; as a worker base (spawnBase runs its
// default export) it consumes, echoes or closes; as a plain Worker (started with startWorker, told
// its role by message) it produces records or runs clients. Latencies use CLOCK_MONOTONIC, which
// every thread shares.
import { EV, EVLOOP, EventBase, constants, runtimeVersion, scriptArgs, sys } from "../src/mod.ts";
import { type HostWorker, parentPort, startWorker } from "../src/ffi/mod.ts";
import {
  Dispatcher, Mailbox, MailboxSender, type MailboxPort, type WorkerContext, isMainThread, spawnBase, spawnBases,
} from "../src/threads/mod.ts";
import { acceptAll, boundPort, connectTcp, listenTcp } from "../src/net/socket.ts";

const now = () => sys.clockMs(constants.CLOCK_MONOTONIC);
const spinFor = (ms: number) => {
  const end = now() + ms;
  while (now() < end) { /* let the other side go back to sleep */ }
};

// ---- worker base roles (spawnBase) ----------------------------------------------------------------

interface BaseData {
  mode: "latency" | "count" | "close" | "echo";
  shared?: SharedArrayBuffer;
  lat?: SharedArrayBuffer;
  target?: number;
}

export default function benchWorker(ctx: WorkerContext<BaseData>) {
  const { mode } = ctx.data;
  if (mode === "latency") {
    // One-way wake-up latency: the record carries the sender's clock.
    const ack = new Int32Array(ctx.data.shared!);
    const lat = new Float64Array(ctx.data.lat!);
    ctx.onRecord((r) => {
      const i = r.fd;
      lat[i] = now() - new DataView(r.data.buffer, r.data.byteOffset, 8).getFloat64(0, true);
      Atomics.store(ack, 0, i + 1);
      Atomics.notify(ack, 0);
    });
  } else if (mode === "count") {
    const done = new Int32Array(ctx.data.shared!);
    const target = ctx.data.target!;
    let n = 0;
    ctx.onRecord(() => {
      if (++n === target) {
        Atomics.store(done, 0, 1);
        Atomics.notify(done, 0);
        n = 0;
      }
    });
  } else if (mode === "close") {
    ctx.onFd((_fd, _data, conn) => conn.close());
  } else {
    ctx.onFd((fd, _data, conn) => echoFd(ctx.base, fd, () => conn.close()));
  }
}

const echoBuf = new Uint8Array(16384);
/** Echoes `fd` on `base` (plain read/write, no buffering layer); `onEnd` at EOF. */
function echoFd(base: EventBase, fd: number, onEnd: () => void): void {
  const ev = base.event(fd, EV.READ | EV.PERSIST, () => {
    const got = sys.read(fd, echoBuf);
    if (got === null) return;
    if (got.byteLength === 0) {
      ev.close();
      onEnd();
      return;
    }
    sys.write(fd, got);
  });
  ev.add();
}

// ---- plain Worker roles (startWorker) ----------------------------------------------------------

type Role =
  | { role: "producer"; port: MailboxPort; count: number; go: SharedArrayBuffer; batch: number }
  | { role: "pinger"; port: MailboxPort; count: number; ack: SharedArrayBuffer }
  | { role: "connector"; port: number; total: number; parallel: number }
  | { role: "echo-client"; port: number; conns: number; ms: number; size: number };

function runRole(m: Role): unknown {
  if (m.role === "producer") {
    const sender = new MailboxSender(m.port);
    const go = new Int32Array(m.go);
    Atomics.wait(go, 0, 0);
    const data = new Uint8Array(8);
    let full = 0;
    if (m.batch > 1) {
      // pushMany: one wake fd write per batch at most.
      const batch = Array.from({ length: m.batch }, (_, i) => ({ fd: i, data }));
      for (let sent = 0; sent < m.count;) {
        const n = sender.pushMany(sent + batch.length <= m.count ? batch : batch.slice(0, m.count - sent));
        sent += n;
        if (n < batch.length && sent < m.count) {
          full++;
          sender.pushWait({ fd: sent, data });
          sent++;
        }
      }
      return { full };
    }
    for (let i = 0; i < m.count; i++) {
      if (!sender.tryPush({ fd: i, data })) {
        full++;
        sender.pushWait({ fd: i, data });
      }
    }
    return { full };
  }
  if (m.role === "pinger") {
    const sender = new MailboxSender(m.port);
    const ack = new Int32Array(m.ack);
    const stamp = new Float64Array(1);
    const bytes = new Uint8Array(stamp.buffer);
    for (let i = 0; i < m.count; i++) {
      spinFor(0.1 + Math.random() * 0.2);
      stamp[0] = now();
      sender.push({ fd: i, data: bytes });
      while (Atomics.load(ack, 0) <= i) Atomics.wait(ack, 0, i, 1000);
    }
    return {};
  }
  if (m.role === "connector") {
    // Opens `parallel` connections at a time; each ends when the server side closes it.
    const base = new EventBase();
    let opened = 0;
    let closed = 0;
    const open = () => {
      const fd = connectTcp(m.port);
      opened++;
      const ev = base.event(fd, EV.READ | EV.PERSIST, () => {
        if (sys.read(fd, 16) === null) return;
        ev.close();
        sys.close(fd);
        if (++closed === m.total) base.loopBreak();
        else if (opened < m.total) open();
      });
      ev.add();
    };
    for (let i = 0; i < m.parallel && opened < m.total; i++) open();
    base.loopSync();
    base.close();
    return { closed };
  }
  // echo-client: `conns` connections each sending `size` bytes and waiting for the echo, for `ms`.
  const base = new EventBase();
  const msg = new Uint8Array(m.size).fill(120);
  const buf = new Uint8Array(65536);
  let rounds = 0;
  let stopping = false;
  const fds: number[] = [];
  for (let i = 0; i < m.conns; i++) {
    const fd = connectTcp(m.port);
    fds.push(fd);
    let have = 0;
    const ev = base.event(fd, EV.READ | EV.PERSIST, () => {
      const got = sys.read(fd, buf);
      if (got === null) return;
      have += got.byteLength;
      if (have >= m.size) {
        have -= m.size;
        rounds++;
        if (stopping) ev.close();
        else sys.write(fd, msg);
      }
    });
    ev.add();
    sys.write(fd, msg);
  }
  const started = now();
  base.timer(m.ms, () => void (stopping = true));
  base.loopSync();
  const elapsed = now() - started;
  for (const fd of fds) sys.close(fd);
  base.close();
  return { rounds, elapsed };
}

if (!isMainThread) {
  // A plain Worker learns its role from its first message. (Imported by a worker base instead,
  // this handler is never called: the entry took the Worker's only message already.)
  const parent = parentPort();
  parent.onMessage((m) => parent.post(runRole(m as Role)));
}

// ---- the main thread: measurements --------------------------------------------------------------

function runWorker(msg: Role): { result: Promise<unknown>; worker: HostWorker } {
  let resolve!: (v: unknown) => void;
  let reject!: (e: Error) => void;
  const result = new Promise<unknown>((res, rej) => ((resolve = res), (reject = rej)));
  const worker = startWorker(import.meta.url, { message: resolve, error: (e) => reject(new Error(e.message)) });
  worker.post(msg);
  return { result, worker };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function describeLatency(label: string, samples: Float64Array): string {
  const us = [...samples].map((ms) => ms * 1000).sort((a, b) => a - b);
  return `${label}: p50 ${percentile(us, 50).toFixed(1)} us, p99 ${percentile(us, 99).toFixed(1)} us, max ${us[us.length - 1].toFixed(0)} us (${us.length} wake-ups)`;
}

async function latencyToWorker(n: number): Promise<string> {
  const ack = new Int32Array(new SharedArrayBuffer(4));
  const lat = new Float64Array(new SharedArrayBuffer(8 * n));
  const worker = await spawnBase(import.meta.url, { data: { mode: "latency", shared: ack.buffer, lat: lat.buffer } satisfies BaseData }).ready;
  const stamp = new Float64Array(1);
  const bytes = new Uint8Array(stamp.buffer);
  for (let i = 0; i < n; i++) {
    spinFor(0.1 + Math.random() * 0.2); // the worker is back in epoll_wait
    stamp[0] = now();
    worker.send({ fd: i, data: bytes });
    while (Atomics.load(ack, 0) <= i) Atomics.wait(ack, 0, i, 1000);
  }
  await worker.stop();
  return describeLatency("wake-up latency, main thread -> worker base in loopSync", lat);
}

async function latencyToMain(n: number, cooperative: boolean): Promise<string> {
  const base = new EventBase();
  const ack = new Int32Array(new SharedArrayBuffer(4));
  const lat = new Float64Array(n);
  let seen = 0;
  const mailbox = new Mailbox(base, {}, (r) => {
    lat[r.fd] = now() - new DataView(r.data.buffer, r.data.byteOffset, 8).getFloat64(0, true);
    Atomics.store(ack, 0, r.fd + 1);
    Atomics.notify(ack, 0);
    if (++seen === n) base.loopBreak();
  });
  const { result, worker } = runWorker({ role: "pinger", port: mailbox.port, count: n, ack: ack.buffer as SharedArrayBuffer });
  base.addVirtual();
  if (cooperative) await base.loop();
  else base.loopSync();
  await result;
  worker.terminate();
  mailbox.close();
  base.close();
  return describeLatency(`wake-up latency, worker -> main-thread base in ${cooperative ? "await loop()" : "loopSync"}`, lat);
}

async function queueThroughput(producers: number, perProducer: number, batch = 1): Promise<string> {
  const done = new Int32Array(new SharedArrayBuffer(4));
  const go = new Int32Array(new SharedArrayBuffer(4));
  const consumer = await spawnBase(import.meta.url, {
    data: { mode: "count", shared: done.buffer, target: producers * perProducer } satisfies BaseData,
    capacity: 4096,
    payloadBytes: 16,
  }).ready;
  const runs = Array.from({ length: producers }, () => runWorker({ role: "producer", port: consumer.port(), count: perProducer, go: go.buffer as SharedArrayBuffer, batch }));
  await new Promise((r) => setTimeout(r, 100)); // producers started and waiting
  const started = now();
  Atomics.store(go, 0, 1);
  Atomics.notify(go, 0);
  while (Atomics.load(done, 0) === 0) Atomics.wait(done, 0, 0, 1000);
  const ms = now() - started;
  const results = (await Promise.all(runs.map((r) => r.result))) as { full: number }[];
  runs.forEach((r) => r.worker.terminate());
  await consumer.stop();
  const total = producers * perProducer;
  return `queue throughput, ${producers} producer thread${producers > 1 ? "s" : ""}${batch > 1 ? ` (pushMany, ${batch} per batch)` : " (push)"} -> 1 worker base: ${(total / ms / 1000).toFixed(2)} M records/s ` +
    `(${total} records in ${ms.toFixed(0)} ms; ring full ${results.reduce((n, r) => n + r.full, 0)} times)`;
}

async function dispatcherHandoffs(total: number): Promise<string> {
  const base = new EventBase();
  const workers = await spawnBases(2, import.meta.url, { data: { mode: "close" } satisfies BaseData });
  const dispatcher = new Dispatcher(base, { port: 0 }, workers);
  const { result, worker } = runWorker({ role: "connector", port: dispatcher.port, total, parallel: 64 });
  const started = now();
  while (dispatcher.handoffs < total) base.loopSync(EVLOOP.ONCE);
  const ms = now() - started;
  dispatcher.close();
  await result;
  worker.terminate();
  await Promise.all(workers.map((w) => w.stop()));
  base.close();
  return `dispatcher hand-offs: ${(total / ms * 1000).toFixed(0)} connections/s (${total} accepted and handed to 2 worker bases in ${ms.toFixed(0)} ms; ` +
    `per worker ${dispatcher.perTarget.join("/")}; client: 64 parallel connections from one Worker)`;
}

async function echoThroughput(workersN: number, conns: number, ms: number): Promise<string> {
  const base = new EventBase();
  const workers = workersN > 0 ? await spawnBases(workersN, import.meta.url, { data: { mode: "echo" } satisfies BaseData }) : [];
  let port: number;
  let close: () => void;
  if (workersN > 0) {
    const dispatcher = new Dispatcher(base, { port: 0 }, workers);
    port = dispatcher.port;
    close = () => dispatcher.close();
  } else {
    // The single-threaded reference: the main thread's base accepts and echoes.
    const lfd = listenTcp(0);
    port = boundPort(lfd);
    const conns = new Set<number>();
    const ev = base.event(lfd, EV.READ | EV.PERSIST, () => acceptAll(lfd, (fd) => {
      conns.add(fd);
      echoFd(base, fd, () => {
        conns.delete(fd);
        sys.close(fd);
      });
    }));
    ev.add();
    close = () => {
      ev.close();
      sys.close(lfd);
      for (const fd of conns) sys.close(fd);
    };
  }
  const { result, worker } = runWorker({ role: "echo-client", port, conns, ms, size: 64 });
  let finished = false;
  result.then(() => void (finished = true));
  // The main thread serves (accepts; and echoes when single-threaded) until the client is done,
  // letting the host deliver the client's message every 10 ms.
  while (!finished) {
    base.loopSync(EVLOOP.NONBLOCK);
    const tick = base.timer(10, () => base.loopBreak());
    base.loopSync();
    tick.close();
    await new Promise((r) => setTimeout(r, 0));
  }
  const { rounds, elapsed } = (await result) as { rounds: number; elapsed: number };
  worker.terminate();
  close();
  await Promise.all(workers.map((w) => w.stop()));
  base.close();
  const label = workersN === 0 ? "single-threaded base (main thread)" : `dispatcher + ${workersN} worker base${workersN > 1 ? "s" : ""}`;
  return `echo, ${label}: ${(rounds / elapsed).toFixed(1)}k round trips/s (${conns} connections, 64-byte messages, client in one Worker)`;
}

if (isMainThread) {
  const quick = scriptArgs().includes("--quick");
  console.log(`# evffi threads bench, ${runtimeVersion}, ${navigator.hardwareConcurrency} CPUs`);
  console.log(await latencyToWorker(quick ? 300 : 3000));
  console.log(await latencyToMain(quick ? 300 : 3000, false));
  console.log(await latencyToMain(quick ? 300 : 3000, true));
  console.log(await queueThroughput(1, quick ? 100_000 : 1_000_000));
  console.log(await queueThroughput(2, quick ? 50_000 : 500_000));
  console.log(await queueThroughput(1, quick ? 100_000 : 1_000_000, 64));
  console.log(await queueThroughput(2, quick ? 50_000 : 500_000, 64));
  console.log(await dispatcherHandoffs(quick ? 2000 : 10_000));
  for (const n of [0, 1, 2]) console.log(await echoThroughput(n, 32, quick ? 500 : 2000));
}
