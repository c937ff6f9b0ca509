// bench.c's workload through evffi, over the modules of the tree given: the same program as
// bench/bench.ts, as a function that two trees (bench/trees-in-process.ts) or evffi beside other
// loops (bench/reactor-floor.ts) can each load into one process. Pairs with bench/bare-workload.ts.
import type * as Ffi from "../src/ffi/mod.ts";
import type * as Evffi from "../src/mod.ts";
import type { BareWorkloadShape } from "./bare-workload.ts";

/**
 * A base on epoll with the workload's socketpairs and persistent read events; the returned
 * function runs the workload once (every event deleted and added again first, as bench.c does)
 * and returns its time in µs.
 */
export function evffiWorkload(evffi: typeof Evffi, ffi: typeof Ffi, shape: BareWorkloadShape): () => number {
  const { EV, EVLOOP, EventBase } = evffi;
  const { constants: C, libc, sys, u64arg } = ffi;
  const { numPipes, numActive, numWrites } = shape;
  sys.raiseFdLimit(4 * numPipes + 64);
  const base = new EventBase({ method: "epoll", ignoreEnv: true });
  const pipes = new Int32Array(2 * numPipes);
  for (let i = 0; i < numPipes; i++) {
    const [r, w] = sys.socketpair(C.SOCK_STREAM, { nonBlocking: false });
    pipes[2 * i] = r;
    pipes[2 * i + 1] = w;
  }
  let count = 0, writes = 0, fired = 0;
  const one = u64arg(1);
  const inByte = new Uint8Array(1);
  const outByte = new Uint8Array([101]);
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
  const events = Array.from({ length: numPipes }, (_, i) => base.event(pipes[2 * i], EV.READ | EV.PERSIST, readCb, i));
  return () => {
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
    do base.loopSync(EVLOOP.ONCE | EVLOOP.NONBLOCK); while (count !== fired);
    return (performance.now() - started) * 1000;
  };
}
