// The floor under bench/bench.ts: the same workload (libevent's bench.c) written as a bare loop of
// FFI calls, epoll_wait + recv + send, with no reactor at all. evffi's time divided by this one is
// what the dispatch layer itself costs; this one divided by C libevent's is the FFI and runtime cost.
//
//   node scripts/run.mjs bench/bare-epoll.ts -- -n 1000 -a 100 -w 1000 [-r 25] [-W warm-up runs]
import { constants as C, layout, libc, runtimeVersion, sys, u64arg } from "../src/ffi/mod.ts";
import { flag, option, timeRuns } from "./options.ts";

const numPipes = Number(option("-n", "100"));
const numActive = Number(option("-a", "1"));
const numWrites = Number(option("-w", "100"));
const runs = Number(option("-r", "25"));
const quiet = flag("-q");

sys.raiseFdLimit(2 * numPipes + 64);
const ep = libc.epoll_create1(C.EPOLL_CLOEXEC);
const pipes = new Int32Array(2 * numPipes);
const indexOfFd = new Int32Array(65536).fill(-1);
for (let i = 0; i < numPipes; i++) {
  const [r, w] = sys.socketpair(C.SOCK_STREAM, { nonBlocking: false });
  pipes[2 * i] = r;
  pipes[2 * i + 1] = w;
  indexOfFd[r] = i;
}
const STRIDE = layout.epoll_event.size / 4;
const DATA = layout.epoll_event.data / 4;
const ctl = new Uint32Array(4);
const ctlBytes = new Uint8Array(ctl.buffer, 0, layout.epoll_event.size);
const maxEvents = 4096;
const events = new Uint32Array(maxEvents * STRIDE);
const eventBytes = new Uint8Array(events.buffer);
const one = u64arg(1);
const inByte = new Uint8Array(1);
const outByte = new Uint8Array([101]);
let count = 0, writes = 0, fired = 0;

function runOnce(): number {
  // As bench.c (and bench.ts): every fd is deleted and added again before each run.
  for (let i = 0; i < numPipes; i++) {
    const fd = pipes[2 * i];
    libc.epoll_ctl(ep, C.EPOLL_CTL_DEL, fd, ctlBytes);
    ctl[0] = C.EPOLLIN;
    ctl[DATA] = fd;
    libc.epoll_ctl(ep, C.EPOLL_CTL_ADD, fd, ctlBytes);
  }
  fired = 0;
  const space = Math.floor(numPipes / numActive) * 2;
  for (let i = 0; i < numActive; i++, fired++) libc.send(pipes[i * space + 1], outByte, one, 0);
  count = 0;
  writes = numWrites;
  const started = performance.now();
  do {
    const n = libc.epoll_wait(ep, eventBytes, maxEvents, 0);
    for (let i = 0, at = DATA; i < n; i++, at += STRIDE) {
      const fd = events[at];
      count += libc.recv(fd, inByte, one, 0);
      if (writes) {
        let widx = indexOfFd[fd] + 1;
        if (widx >= numPipes) widx -= numPipes;
        libc.send(pipes[2 * widx + 1], outByte, one, 0);
        writes--;
        fired++;
      }
    }
  } while (count !== fired);
  return (performance.now() - started) * 1000;
}

const median = timeRuns(runs, quiet, runOnce);
console.log(`# bare FFI loop ${runtimeVersion} epoll n=${numPipes} a=${numActive} w=${numWrites}: median ${median.toFixed(0)} us over ${runs} runs${option("-W", "0") !== "0" ? ` after ${option("-W", "0")} warm-up runs` : ""}`);
libc.close(ep);
for (const fd of pipes) sys.closeQuietly(fd);
