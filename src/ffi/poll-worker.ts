// Bun's off-thread waiter (see waiter.ts): a Worker that runs poll(2) on request.
// Control words (Int32Array over a SharedArrayBuffer):
//   [0] request sequence  [1] nfds  [2] timeout ms  [3] result  [4] stop flag  [5] errno
// The pollfd array is a second SharedArrayBuffer. The worker blocks in Atomics.wait between
// requests (never in FFI while idle), so terminating it is always safe.
// deno-lint-ignore-file no-explicit-any
const self_ = globalThis as any;

self_.onmessage = async (msg: { data: { ctl: SharedArrayBuffer; fds: SharedArrayBuffer; libc: string } }) => {
  // @ts-ignore: bun:ffi exists only on Bun, and this worker runs only there
  const ffi = await import("bun:ffi");
  const lib = ffi.dlopen(msg.data.libc, {
    poll: { args: ["ptr", "u64", "i32"], returns: "i32" },
    __errno_location: { args: [], returns: "ptr" },
  });
  const ctl = new Int32Array(msg.data.ctl);
  const fds = new Uint8Array(msg.data.fds);
  const errno = new Int32Array(ffi.toArrayBuffer(lib.symbols.__errno_location(), 0, 4));
  let seen = 0;
  self_.postMessage({ ready: true });
  for (;;) {
    Atomics.wait(ctl, 0, seen);
    seen = Atomics.load(ctl, 0);
    if (Atomics.load(ctl, 4)) break;
    const r = lib.symbols.poll(fds, ctl[1], ctl[2]);
    ctl[5] = r === -1 ? errno[0] : 0;
    Atomics.store(ctl, 3, r);
    self_.postMessage(seen);
  }
  lib.close();
  self_.close();
};
