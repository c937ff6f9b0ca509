// libevent's test/bench_cascade.c workload in evffi: N socketpairs, a one-shot READ event on each
// whose callback reads its byte and writes one byte into the next pair; one write starts the
// cascade. A run is timed from creating and adding the events until all N fired; 25 runs, µs per
// run, one per line.
//
//   node scripts/run.mjs bench/cascade.ts -- -n 1000 [-m epoll|poll|select] [-r 25] [-q]
import { EV, EventBase } from "../src/mod.ts";
import { constants as C, libc, runtimeVersion, sys, u64arg } from "../src/ffi/mod.ts";
import { flag, option, timeRuns } from "./options.ts";


const numPipes = Number(option("-n", "100"));
const runs = Number(option("-r", "25"));
const method = option("-m", "");
const quiet = flag("-q");
sys.raiseFdLimit(2 * numPipes + 64);
const base = new EventBase(method ? { method, ignoreEnv: true } : {});

const one = u64arg(1);
const inByte = new Uint8Array(1);
const outByte = new Uint8Array([101]);
let fired = 0;

function readCb(fd: number, _what: number, next: number): void {
  libc.recv(fd, inByte, one, 0);
  if (next >= 0) libc.send(next, outByte, one, 0);
  fired++;
}

function runOnce(): number {
  const pipes: number[] = [];
  for (let i = 0; i < numPipes; i++) pipes.push(...sys.socketpair(C.SOCK_STREAM, { nonBlocking: false }));
  const started = performance.now();
  const events = [];
  for (let i = 0; i < numPipes; i++) {
    const next = i + 1 < numPipes ? pipes[2 * i + 3] : -1;
    events.push(base.event(pipes[2 * i], EV.READ, readCb, next).add());
  }
  fired = 0;
  libc.send(pipes[1], outByte, one, 0);
  while (fired !== numPipes) base.loopSync();
  const us = (performance.now() - started) * 1000;
  for (const ev of events) ev.close();
  for (const fd of pipes) libc.close(fd);
  return us;
}

const median = timeRuns(runs, quiet, runOnce);
console.log(`# evffi cascade ${runtimeVersion} ${base.method} n=${numPipes}: median ${median.toFixed(0)} us over ${runs} runs`);
base.close();
