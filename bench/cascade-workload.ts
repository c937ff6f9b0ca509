// libevent's test/bench_cascade.c workload over one tree of evffi: N socketpairs, a one-shot READ
// event on each whose callback reads its byte and writes one byte into the next pair; one write
// starts the cascade. Shared by bench/cascade.ts and bench/cascade-in-process.ts, which passes the
// modules of the tree it measures.
import type * as Evffi from "../src/mod.ts";
import type * as Ffi from "../src/ffi/mod.ts";

/**
 * Returns `runOnce()`: opens numPipes socketpairs, then times creating and adding the events
 * until all of them fired (in µs), closes them and returns the time.
 */
export function cascadeWorkload(evffi: typeof Evffi, ffi: typeof Ffi, base: Evffi.EventBase, numPipes: number): () => number {
  const { EV } = evffi;
  const { constants: C, libc, sys, u64arg } = ffi;
  sys.raiseFdLimit(2 * numPipes + 64);
  const one = u64arg(1);
  const inByte = new Uint8Array(1);
  const outByte = new Uint8Array([101]);
  let fired = 0;
  const readCb = (fd: number, _what: number, next: number): void => {
    libc.recv(fd, inByte, one, 0);
    if (next >= 0) libc.send(next, outByte, one, 0);
    fired++;
  };
  return () => {
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
  };
}
