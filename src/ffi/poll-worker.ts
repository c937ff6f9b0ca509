// Bun's off-thread waiter (see waiter.ts): a Worker that runs poll(2) on request.
// Control words (Int32Array over a SharedArrayBuffer):
//   [0] request sequence  [1] nfds  [2] timeout ms  [3] result  [4] stop flag  [5] errno
// The pollfd array is a second SharedArrayBuffer. The worker blocks in Atomics.wait between
// requests (never in FFI while idle), so terminating it is always safe.
import { errnoCell, libc } from "./libc.ts";
import { parentPort } from "./runtime.ts";
import { u64arg } from "./native.ts";

const parent = parentPort();
parent.onMessage((data) => {
  parent.close();
  const { ctl: ctlBuffer, fds: fdsBuffer } = data as { ctl: SharedArrayBuffer; fds: SharedArrayBuffer };
  const ctl = new Int32Array(ctlBuffer);
  const fds = new Uint8Array(fdsBuffer);
  let seen = 0;
  parent.post({ ready: true });
  for (;;) {
    Atomics.wait(ctl, 0, seen);
    seen = Atomics.load(ctl, 0);
    if (Atomics.load(ctl, 4)) break;
    const r = libc.poll(fds, u64arg(ctl[1]), ctl[2]);
    ctl[5] = r === -1 ? errnoCell[0] : 0;
    Atomics.store(ctl, 3, r);
    parent.post(seen);
  }
  // deno-lint-ignore no-explicit-any
  (globalThis as any).close();
});
