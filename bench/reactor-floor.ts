// Three programs for bench.c's workload in one process, their runs interleaved: the bare FFI loop
// (bench/bare-workload.ts), the least a libevent-style reactor can do, and evffi. The middle one
// keeps what makes a reactor: each fd's event found through an fd-indexed table, every ready event
// activated before any callback runs (a callback may delete or activate another), a linked active
// queue, and the callback called with (fd, what, arg) and kept from re-entering the loop; and
// nothing else (no priorities, timers, time cache, error handling, edge cases). Its distance to
// the bare loop is what any such design pays through the runtime's FFI and JIT; evffi's distance
// to it is what libevent's full semantics cost on top. Prints each program's median ratio to the
// bare loop over the rounds.
//
//   taskset -c 1 bun bench/reactor-floor.ts [-n 100 -a 1 -w 100] [-R 25] [-r 41] [-W 300]
//   taskset -c 1 deno run -A bench/reactor-floor.ts [same]
import * as evffi from "../src/mod.ts";
import * as ffi from "../src/ffi/mod.ts";
import { bareWorkload } from "./bare-workload.ts";
import { evffiWorkload } from "./evffi-workload.ts";
import { option } from "./options.ts";

const { EV } = evffi;
const { constants: C, layout, libc, runtimeVersion, sys, u64arg } = ffi;
const numPipes = Number(option("-n", "100"));
const numActive = Number(option("-a", "1"));
const numWrites = Number(option("-w", "100"));
const rounds = Number(option("-R", "25"));
const runs = Number(option("-r", "41"));
const warmup = Number(option("-W", "300"));
sys.raiseFdLimit(6 * numPipes + 64);

const STRIDE = layout.epoll_event.size / 4;
const DATA = layout.epoll_event.data / 4;
const one = u64arg(1);
const inByte = new Uint8Array(1);
const outByte = new Uint8Array([101]);
const ACTIVE = 1;

type Callback = (fd: number, what: number, arg: number) => void;

/** The minimal reactor's event: its interest, callback and argument, an active flag and link. */
class FloorEvent {
  state = 0;
  res = 0;
  next: FloorEvent | null = null;
  constructor(readonly events: number, readonly callback: Callback, readonly fd: number, readonly arg: number) {}
}

/** The minimal reactor: epoll, a table of each fd's event, a FIFO of active events. */
class FloorReactor {
  readonly epfd = libc.epoll_create1(C.EPOLL_CLOEXEC);
  readonly byFd: (FloorEvent | undefined)[] = [];
  private head: FloorEvent | null = null;
  private tail: FloorEvent | null = null;
  private running = false;
  private readonly results = new Uint32Array(4096 * STRIDE);
  private readonly resultBytes = new Uint8Array(this.results.buffer);

  /** One non-blocking iteration: poll, activate every ready event, then run them in order. */
  loopOnce(): void {
    if (this.running) throw new Error("the floor reactor does not re-enter");
    this.running = true;
    try {
      const n = libc.epoll_wait(this.epfd, this.resultBytes, 4096, 0);
      const results = this.results;
      for (let i = 0, at = 0; i < n; i++, at += STRIDE) {
        const ev = this.byFd[results[at + DATA]];
        const res = results[at] & C.EPOLLIN ? EV.READ & (ev?.events ?? 0) : 0;
        if (ev === undefined || res === 0 || ev.state & ACTIVE) continue;
        ev.state |= ACTIVE;
        ev.res = res;
        ev.next = null;
        if (this.tail !== null) this.tail.next = ev;
        else this.head = ev;
        this.tail = ev;
      }
      let ev: FloorEvent | null;
      while ((ev = this.head) !== null) {
        this.head = ev.next;
        if (this.head === null) this.tail = null;
        ev.state &= ~ACTIVE;
        ev.callback(ev.fd, ev.res, ev.arg);
      }
    } finally {
      this.running = false;
    }
  }
}

// Each program has code of its own (the floor here, evffi's and the bare loop's in their modules):
// a workload function shared by two would share its JIT feedback too, tilting the comparison.

function socketpairs(): Int32Array {
  const pipes = new Int32Array(2 * numPipes);
  for (let i = 0; i < numPipes; i++) {
    const [r, w] = sys.socketpair(C.SOCK_STREAM, { nonBlocking: false });
    pipes[2 * i] = r;
    pipes[2 * i + 1] = w;
  }
  return pipes;
}

function floorProgram(): () => number {
  const reactor = new FloorReactor();
  const pipes = socketpairs();
  const ctl = new Uint32Array(4);
  const ctlBytes = new Uint8Array(ctl.buffer, 0, layout.epoll_event.size);
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
  for (let i = 0; i < numPipes; i++) reactor.byFd[pipes[2 * i]] = new FloorEvent(EV.READ | EV.PERSIST, readCb, pipes[2 * i], i);
  return () => {
    // As bench.c does: every event deleted and added again before each run.
    for (let i = 0; i < numPipes; i++) {
      const fd = pipes[2 * i];
      libc.epoll_ctl(reactor.epfd, C.EPOLL_CTL_DEL, fd, ctlBytes);
      ctl[0] = C.EPOLLIN;
      ctl[DATA] = fd;
      libc.epoll_ctl(reactor.epfd, C.EPOLL_CTL_ADD, fd, ctlBytes);
    }
    reactor.loopOnce();
    fired = 0;
    const space = Math.floor(numPipes / numActive) * 2;
    for (let i = 0; i < numActive; i++, fired++) libc.send(pipes[i * space + 1], outByte, one, 0);
    count = 0;
    writes = numWrites;
    const started = performance.now();
    do reactor.loopOnce(); while (count !== fired);
    return (performance.now() - started) * 1000;
  };
}

const programs: [string, () => number][] = [
  ["bare loop", bareWorkload(ffi, { numPipes, numActive, numWrites }).runOnce],
  ["floor reactor", floorProgram()],
  ["evffi", evffiWorkload(evffi, ffi, { numPipes, numActive, numWrites })],
];
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];
for (let i = 0; i < warmup; i++) for (const [, run] of programs) run();
const ratios: number[][] = programs.map(() => []);
for (let round = 0; round < rounds; round++) {
  const times: number[][] = programs.map(() => []);
  for (let i = 0; i < runs; i++) programs.forEach(([, run], k) => times[k].push(run()));
  const medians = times.map(median);
  medians.forEach((m, k) => ratios[k].push(m / medians[0]));
}
console.log(`# reactor floor in one process (${runtimeVersion}) n=${numPipes} a=${numActive} w=${numWrites}, ` +
  `median ratio to the bare loop over ${rounds} rounds: ` +
  programs.slice(1).map(([name], k) => `${name} ${median(ratios[k + 1]).toFixed(3)}x`).join(", "));
