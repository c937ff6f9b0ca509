// bench.c's workload as a bare loop of FFI calls (epoll_wait + recv + send, no reactor): the floor
// under bench/bench.ts. Shared by bench/bare-epoll.ts and bench/trees-in-process.ts --bare, which
// passes the FFI module of the tree it measures.
import type * as Ffi from "../src/ffi/mod.ts";

/** The workload's shape: n socketpairs, a of them written first, w more writes in all. */
export interface BareWorkloadShape {
  numPipes: number;
  numActive: number;
  numWrites: number;
}

/**
 * Opens the epoll set and the socketpairs; `runOnce()` runs the workload once and returns its
 * time in µs (every fd deleted and added again first, as bench.c does); `close()` frees them.
 */
export function bareWorkload(ffi: typeof Ffi, shape: BareWorkloadShape): { runOnce(): number; close(): void } {
  const { constants: C, layout, libc, sys, u64arg } = ffi;
  const { numPipes, numActive, numWrites } = shape;
  sys.raiseFdLimit(4 * numPipes + 64);
  const ep = libc.epoll_create1(C.EPOLL_CLOEXEC);
  const pipes = new Int32Array(2 * numPipes);
  const indexOfFd = new Int32Array(65536).fill(-1);
  for (let i = 0; i < numPipes; i++) {
    const [r, w] = sys.socketpair(C.SOCK_STREAM, { nonBlocking: false });
    pipes[2 * i] = r;
    pipes[2 * i + 1] = w;
    indexOfFd[r] = i;
  }
  const stride = layout.epoll_event.size / 4;
  const data = layout.epoll_event.data / 4;
  const ctl = new Uint32Array(4);
  const ctlBytes = new Uint8Array(ctl.buffer, 0, layout.epoll_event.size);
  const maxEvents = 4096;
  const events = new Uint32Array(maxEvents * stride);
  const eventBytes = new Uint8Array(events.buffer);
  const one = u64arg(1);
  const inByte = new Uint8Array(1);
  const outByte = new Uint8Array([101]); // "e"

  function runOnce(): number {
    for (let i = 0; i < numPipes; i++) {
      const fd = pipes[2 * i];
      libc.epoll_ctl(ep, C.EPOLL_CTL_DEL, fd, ctlBytes);
      ctl[0] = C.EPOLLIN;
      ctl[data] = fd;
      libc.epoll_ctl(ep, C.EPOLL_CTL_ADD, fd, ctlBytes);
    }
    let fired = 0;
    const space = Math.floor(numPipes / numActive) * 2;
    for (let i = 0; i < numActive; i++, fired++) libc.send(pipes[i * space + 1], outByte, one, 0);
    let count = 0;
    let writes = numWrites;
    const started = performance.now();
    do {
      const n = libc.epoll_wait(ep, eventBytes, maxEvents, 0);
      for (let i = 0, at = data; i < n; i++, at += stride) {
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

  function close(): void {
    libc.close(ep);
    for (const fd of pipes) sys.closeQuietly(fd);
  }

  return { runOnce, close };
}
