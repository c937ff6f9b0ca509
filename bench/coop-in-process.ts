// The cooperative loop's throughput measured where the machine's load cannot tilt it: bench.c's
// workload on three bases in one process, each driven its own way, their runs interleaved:
//   loopSync      do base.loopSync(ONCE | NONBLOCK) while work remains
//   await loop()  do await base.loop(ONCE | NONBLOCK) while work remains
//   floor         do { base.loopSync(ONCE | NONBLOCK); await settled } while work remains: the
//                 least any promise-returning loop call can cost, one microtask turn per call.
// Prints the median over rounds of loopSync's time over each other driver's (throughput ratio:
// 1.00 is as fast as loopSync). bench/coop.ts gives the older figures and the wake-up latency.
//
//   taskset -c 1 bun bench/coop-in-process.ts [-n 100 -a 1 -w 100] [-R 25] [-r 21] [-W 100]
//   taskset -c 1 deno run -A bench/coop-in-process.ts [same]
import { EV, EVLOOP, EventBase } from "../src/mod.ts";
import { constants as C, libc, runtimeVersion, sys, u64arg } from "../src/ffi/mod.ts";
import { option } from "./options.ts";

const numPipes = Number(option("-n", "100"));
const numActive = Number(option("-a", "1"));
const numWrites = Number(option("-w", "100"));
const rounds = Number(option("-R", "25"));
const runs = Number(option("-r", "21"));
const warmup = Number(option("-W", "100"));
sys.raiseFdLimit(8 * numPipes + 64);

const one = u64arg(1);
const inByte = new Uint8Array(1);
const outByte = new Uint8Array([101]);
const ONCE_NONBLOCK = EVLOOP.ONCE | EVLOOP.NONBLOCK;
const SETTLED = Promise.resolve(0);
type Driver = "loopSync" | "await loop()" | "floor";

/** One base with the workload's socketpairs and events; the returned function makes one run (µs). */
function setup(driver: Driver): () => Promise<number> {
  const base = new EventBase({ method: "epoll", ignoreEnv: true });
  const pipes = new Int32Array(2 * numPipes);
  for (let i = 0; i < numPipes; i++) {
    const [r, w] = sys.socketpair(C.SOCK_STREAM, { nonBlocking: false });
    pipes[2 * i] = r;
    pipes[2 * i + 1] = w;
  }
  let count = 0, writes = 0, fired = 0;
  const readCb = (fd: number, _what: number, idx: number): void => {
    const n = libc.recv(fd, inByte, one, 0);
    if (n >= 0) count += n;
    if (writes) {
      let widx = idx + 1;
      if (widx >= numPipes) widx -= numPipes;
      libc.send(pipes[2 * widx + 1], outByte, one, 0);
      writes--;
      fired++;
    }
  };
  for (let i = 0; i < numPipes; i++) base.event(pipes[2 * i], EV.READ | EV.PERSIST, readCb, i).add();
  return async () => {
    fired = 0;
    const space = Math.floor(numPipes / numActive) * 2;
    for (let i = 0; i < numActive; i++, fired++) libc.send(pipes[i * space + 1], outByte, one, 0);
    count = 0;
    writes = numWrites;
    const started = performance.now();
    if (driver === "loopSync") {
      do base.loopSync(ONCE_NONBLOCK); while (count !== fired);
    } else if (driver === "await loop()") {
      do await base.loop(ONCE_NONBLOCK); while (count !== fired);
    } else {
      do {
        base.loopSync(ONCE_NONBLOCK);
        await SETTLED;
      } while (count !== fired);
    }
    return (performance.now() - started) * 1000;
  };
}

const drivers: Driver[] = ["loopSync", "await loop()", "floor"];
const run = drivers.map(setup);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];
for (let i = 0; i < warmup; i++) for (const r of run) await r();
const ratios: number[][] = drivers.map(() => []);
for (let round = 0; round < rounds; round++) {
  const times: number[][] = drivers.map(() => []);
  for (let i = 0; i < runs; i++) for (let k = 0; k < run.length; k++) times[k].push(await run[k]());
  const medians = times.map(median);
  medians.forEach((m, k) => ratios[k].push(medians[0] / m));
}
console.log(`# cooperative loop in one process (${runtimeVersion}) n=${numPipes} a=${numActive} w=${numWrites}, ` +
  `throughput as a ratio to loopSync, median over ${rounds} rounds: ` +
  drivers.slice(1).map((name, k) => `${name} ${median(ratios[k + 1]).toFixed(3)}x`).join(", "));
