// The cooperative loop's cost: bench.c's workload (n=100 a=1 w=100 and n=1000 a=100 w=1000) run
// through `await base.loop(ONCE|NONBLOCK)` against `loopSync(ONCE|NONBLOCK)`, alternating, with the
// floor under that ratio (loopSync and an await of a settled promise per call), and the
// idle wake-up latency of `await base.loop()` (a host timer writes a byte; time until our
// callback runs), p50 and p99, beside its floor: the off-thread poll alone, with no loop around it.  Run: node scripts/run.mjs bench/coop.ts [-- [--warmup] [--json FILE [--smoke]]]
// (--json: the run as data, bench/results/README.md; each runtime adds its figures to the file).
// --warmup runs each workload once through both drivers before the measured rounds, so the ratio
// leaves out the JIT's first compilations; without it the figures stay comparable with older runs.
import { EV, EVLOOP, EventBase } from "../src/mod.ts";
import { constants as C, createWaiter, layout, libc, runtime, runtimeVersion, sys, u64arg } from "../src/ffi/mod.ts";
import { commandLine, jsonArgument, type RunRatio, type RunResult, writeRun } from "../scripts/bench-record.mjs";
import process from "node:process";

const jsonFile = jsonArgument(process.argv);
const warmup = process.argv.includes("--warmup");
const who = runtime === "bun" ? "Bun" : "Deno";
const figures: RunResult[] = [];
const ratios: RunRatio[] = [];

const one = u64arg(1);
const inByte = new Uint8Array(1);
const outByte = new Uint8Array([101]);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

// How the workload drives the base: loopSync; `await base.loop()`; or loopSync followed by an await
// of an already settled promise, the least any promise-returning loop call can cost (the floor
// under `await loop()`'s throughput: one microtask turn per call, nothing else).
type Driver = "sync" | "cooperative" | "floor";
const SETTLED = Promise.resolve(0);

async function workload(numPipes: number, numActive: number, numWrites: number, driver: Driver): Promise<number> {
  const base = new EventBase();
  const pipes: number[] = [];
  for (let i = 0; i < numPipes; i++) pipes.push(...sys.socketpair(C.SOCK_STREAM, { nonBlocking: false }));
  let count = 0, writes = 0, fired = 0;
  const events = pipes.filter((_, i) => i % 2 === 0).map((fd, idx) => base.event(fd, EV.READ | EV.PERSIST, () => {
    const n = libc.recv(fd, inByte, one, 0);
    if (n >= 0) count += n;
    if (writes) {
      let w = idx + 1;
      if (w >= numPipes) w -= numPipes;
      libc.send(pipes[2 * w + 1], outByte, one, 0);
      writes--;
      fired++;
    }
  }).add());
  const times: number[] = [];
  for (let run = 0; run < 25; run++) {
    fired = 0;
    const space = Math.floor(numPipes / numActive) * 2;
    for (let i = 0; i < numActive; i++, fired++) libc.send(pipes[i * space + 1], outByte, one, 0);
    count = 0;
    writes = numWrites;
    const t = performance.now();
    if (driver === "cooperative") {
      do await base.loop(EVLOOP.ONCE | EVLOOP.NONBLOCK); while (count !== fired);
    } else if (driver === "floor") {
      do {
        base.loopSync(EVLOOP.ONCE | EVLOOP.NONBLOCK);
        await SETTLED;
      } while (count !== fired);
    } else {
      do base.loopSync(EVLOOP.ONCE | EVLOOP.NONBLOCK); while (count !== fired);
    }
    times.push((performance.now() - t) * 1000);
  }
  for (const ev of events) ev.close();
  base.close();
  for (const fd of pipes) libc.close(fd);
  return median(times);
}

for (const [n, a, w] of [[100, 1, 100], [1000, 100, 1000]]) {
  const sync: number[] = [], coop: number[] = [], floorRuns: number[] = [];
  if (warmup) {
    await workload(n, a, w, "sync");
    await workload(n, a, w, "cooperative");
    await workload(n, a, w, "floor");
  }
  for (let round = 0; round < 3; round++) {
    sync.push(await workload(n, a, w, "sync"));
    coop.push(await workload(n, a, w, "cooperative"));
    floorRuns.push(await workload(n, a, w, "floor"));
  }
  const s = median(sync), c = median(coop), f = median(floorRuns);
  console.log(`# ${runtimeVersion} n=${n} a=${a} w=${w}${warmup ? " (warmed up)" : ""}: loopSync ${s.toFixed(0)} us, await loop ${c.toFixed(0)} us, throughput ratio ${(s / c).toFixed(2)}x; ` +
    `floor (loopSync + one await per call) ${f.toFixed(0)} us, ratio ${(s / f).toFixed(2)}x`);
  const label = `n=${n} a=${a} w=${w}${warmup ? " (after a warm-up)" : ""}`;
  figures.push({ program: `loopSync() (${who})`, workload: label, metric: "median time of 25 runs", unit: "µs", better: "lower", value: Math.round(s!), rounds: sync.map(Math.round) });
  figures.push({ program: `await loop() (${who})`, workload: label, metric: "median time of 25 runs", unit: "µs", better: "lower", value: Math.round(c!), rounds: coop.map(Math.round) });
  figures.push({ program: `loopSync() + await (${who})`, workload: label, metric: "median time of 25 runs", unit: "µs", better: "lower", value: Math.round(f!), rounds: floorRuns.map(Math.round) });
  ratios.push({ program: `await loop() (${who})`, peer: `loopSync() (${who})`, workload: label, metric: "throughput", better: "higher", value: Math.round((s! / c!) * 100) / 100 });
}

// Idle wake-up latency.
const base = new EventBase();
const [x, y] = sys.socketpair();
const samples: number[] = [];
let sentAt = 0;
const ev = base.event(y, EV.READ | EV.PERSIST, () => {
  samples.push((performance.now() - sentAt) * 1000);
  libc.read(y, inByte, one);
  if (samples.length === 300) ev.del();
  else setTimeout(() => { sentAt = performance.now(); libc.write(x, outByte, one); }, 1);
}).add();
setTimeout(() => { sentAt = performance.now(); libc.write(x, outByte, one); }, 1);
await base.loop();
console.log(`# ${runtimeVersion} idle wake-up latency of await loop(): p50 ${pct(samples, 0.5).toFixed(0)} us, p99 ${pct(samples, 0.99).toFixed(0)} us (${samples.length} samples)`);
base.close();
sys.close(x);
sys.close(y);

// The floor under that latency: the same off-thread poll the loop waits in (Deno: a nonblocking
// FFI call; Bun: a Worker), alone, with no loop around it. A host timer writes a byte; time until
// the waiter's promise resolves. build/c/wake_latency is the same two hops in C.
const waiter = createWaiter(1);
const [px, py] = sys.socketpair();
const pollfds = new DataView(waiter.pollfds.buffer, waiter.pollfds.byteOffset);
pollfds.setInt32(layout.pollfd.fd, py, true);
pollfds.setInt16(layout.pollfd.events, C.POLLIN, true);
const floor: number[] = [];
while (floor.length < 300) {
  const woke = waiter.wait(1, -1);
  await new Promise<void>((resolve) => setTimeout(() => {
    sentAt = performance.now();
    libc.write(px, outByte, one);
    resolve();
  }, 1));
  await woke;
  floor.push((performance.now() - sentAt) * 1000);
  libc.read(py, inByte, one);
}
waiter.close();
sys.close(px);
sys.close(py);
console.log(`# ${runtimeVersion} the off-thread poll alone (the floor): p50 ${pct(floor, 0.5).toFixed(0)} us, p99 ${pct(floor, 0.99).toFixed(0)} us (${floor.length} samples)`);
if (jsonFile) {
  figures.push({ program: `await loop() (${who})`, metric: "idle wake-up latency p50", unit: "µs", better: "lower", value: Math.round(pct(samples, 0.5)!) });
  figures.push({ program: `await loop() (${who})`, metric: "idle wake-up latency p99", unit: "µs", better: "lower", value: Math.round(pct(samples, 0.99)!) });
  figures.push({ program: `off-thread poll alone (${who})`, metric: "idle wake-up latency p50", unit: "µs", better: "lower", value: Math.round(pct(floor, 0.5)!) });
  figures.push({ program: `off-thread poll alone (${who})`, metric: "idle wake-up latency p99", unit: "µs", better: "lower", value: Math.round(pct(floor, 0.99)!) });
  writeRun(jsonFile, {
    kind: "coop",
    title: "The cooperative loop: await base.loop() against loopSync()",
    command: commandLine("node scripts/run.mjs bench/coop.ts --", process.argv.slice(2)),
    notes: "bench.c's workload through await base.loop(ONCE|NONBLOCK) against loopSync(ONCE|NONBLOCK), median of 3 alternating rounds (throughput ratio, above 1.00 is faster); idle wake-up latency of await base.loop(), 300 samples.",
    results: figures,
    ratios,
  }, process.argv, { merge: true });
}
