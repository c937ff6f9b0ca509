// libevent's test/bench.c workload, in evffi: N socketpairs each with a persistent READ event;
// A of them written once; each read callback reads one byte and, while writes remain, sends one
// byte to the next socketpair. One run is timed from the first loop iteration until every byte
// sent was received; 25 runs, microseconds per run, one per line, like bench.c.
//
//   node scripts/run.mjs bench/bench.ts -- -n 1000 -a 100 -w 1000 [-m epoll|poll|select|kqueue] [-r 25] [-W warm-up runs] [--heap]
// With -s, after the runs it serves more on request (bench/options.ts serveRuns, for scripts/bench-relay.mjs).
import { EV, EVLOOP, EventBase } from "../src/mod.ts";
import { constants as C, heapUsedAfterGc, libc, runtimeVersion, sys, u64arg } from "../src/ffi/mod.ts";
import { flag, option, serveRuns, timeRuns } from "./options.ts";


const numPipes = Number(option("-n", "100"));
const numActive = Number(option("-a", "1"));
const numWrites = Number(option("-w", "100"));
const runs = Number(option("-r", "25"));
const method = option("-m", "");
const quiet = flag("-q");

sys.raiseFdLimit(2 * numPipes + 64);
const base = new EventBase(method ? { method, ignoreEnv: true } : {});

const pipes = new Int32Array(2 * numPipes);
for (let i = 0; i < numPipes; i++) {
  const [r, w] = sys.socketpair(C.SOCK_STREAM, { nonBlocking: false });
  pipes[2 * i] = r;
  pipes[2 * i + 1] = w;
}

let count = 0, writes = 0, fired = 0, failures = 0;
const one = u64arg(1);
const inByte = new Uint8Array(1);
const outByte = new Uint8Array([101]); // "e"

function readCb(fd: number, _what: number, idx: number): void {
  const n = libc.recv(fd, inByte, one, 0);
  if (n >= 0) count += n;
  else failures++;
  if (writes) {
    let widx = idx + 1;
    if (widx >= numPipes) widx -= numPipes;
    if (libc.send(pipes[2 * widx + 1], outByte, one, 0) !== 1) failures++;
    writes--;
    fired++;
  }
}

const events = Array.from({ length: numPipes }, (_, i) => base.event(pipes[2 * i], EV.READ | EV.PERSIST, readCb, i));

function runOnce(): number {
  // Like bench.c: re-add every event at the start of each run.
  for (const ev of events) {
    ev.del();
    ev.add();
  }
  base.loopSync(EVLOOP.ONCE | EVLOOP.NONBLOCK);
  fired = 0;
  const space = Math.floor(numPipes / numActive) * 2;
  for (let i = 0; i < numActive; i++, fired++) libc.send(pipes[i * space + 1], outByte, one, 0);
  count = 0;
  writes = numWrites;
  const started = performance.now();
  do {
    base.loopSync(EVLOOP.ONCE | EVLOOP.NONBLOCK);
  } while (count !== fired);
  return (performance.now() - started) * 1000;
}

const median = timeRuns(runs, quiet, runOnce);
if (!serveRuns(runOnce)) console.log(`# evffi bench ${runtimeVersion} ${base.method} n=${numPipes} a=${numActive} w=${numWrites}: median ${median.toFixed(0)} us over ${runs} runs${option("-W", "0") !== "0" ? ` after ${option("-W", "0")} warm-up runs` : ""}${failures ? `, ${failures} failures` : ""}`);

if (flag("--heap")) {
  // JS heap bytes per registered event: register 100,000 more events on one socketpair.
  const before = heapUsedAfterGc();
  const extra = Array.from({ length: 100_000 }, () => base.event(pipes[0], EV.READ | EV.PERSIST, readCb, 0).add());
  const after = heapUsedAfterGc();
  console.log(`# heap per registered event: ${((after - before) / extra.length).toFixed(0)} bytes`);
  for (const ev of extra) ev.close();
}

base.close();
for (const fd of pipes) sys.closeQuietly(fd);
