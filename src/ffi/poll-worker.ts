// Bun's off-thread waiter (see waiter.ts): a Worker that runs poll(2) on request.
// Control words (Int32Array over a SharedArrayBuffer):
//   [0] request sequence  [1] nfds  [2] timeout ms  [3] result  [4] stop flag  [5] errno
// The pollfd array is a second SharedArrayBuffer. The worker blocks in Atomics.wait between
// requests (never in FFI while idle), so terminating it is always safe.
//
// The Worker's code is kept as text and started from a Blob URL rather than from a module file:
// a bundle (`bun build`, `bun build --compile`) has no file beside it to start, and a Blob Worker
// needs none. So the code can import nothing of evffi's and opens its two symbols itself; it runs
// only on Bun, where `__errno_location` is Linux's name and `__error` the BSDs' and macOS's.

/** The JavaScript source of the poll Worker. */
export const pollWorkerSource: string = `
self.onmessage = async (msg) => {
  const ffi = await import("bun:ffi");
  const errnoSymbol = process.platform === "linux" ? "__errno_location" : "__error";
  const lib = ffi.dlopen(msg.data.libc, {
    poll: { args: ["ptr", "u64", "i32"], returns: "i32" },
    [errnoSymbol]: { args: [], returns: "ptr" },
  });
  const ctl = new Int32Array(msg.data.ctl);
  const fds = new Uint8Array(msg.data.fds);
  const errno = new Int32Array(ffi.toArrayBuffer(lib.symbols[errnoSymbol](), 0, 4));
  let seen = 0;
  self.postMessage({ ready: true });
  for (;;) {
    Atomics.wait(ctl, 0, seen);
    seen = Atomics.load(ctl, 0);
    if (Atomics.load(ctl, 4)) break;
    const r = lib.symbols.poll(fds, ctl[1], ctl[2]);
    ctl[5] = r === -1 ? errno[0] : 0;
    Atomics.store(ctl, 3, r);
    self.postMessage(seen);
  }
  lib.close();
  self.close();
};
`;
