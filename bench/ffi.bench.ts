// Per-call cost of the FFI layer (mitata): a trivial libc call, clock_gettime into a preallocated
// buffer, and epoll_wait(ep, events, 64, 0) on an idle epoll fd.
//   node scripts/run.mjs bench/ffi.bench.ts
import { bench, run, summary } from "mitata";
import { constants as C, hasSymbol, libc, runtimeVersion } from "../src/ffi/mod.ts";

const ts = new Uint8Array(16);
const events = new Uint8Array(64 * 16);
const ep = hasSymbol("epoll_create1") ? libc.epoll_create1(C.EPOLL_CLOEXEC) : -1;

console.log(`# ${runtimeVersion}`);
summary(() => {
  bench("abs(-1) (trivial libc call)", () => libc.abs(-1));
  bench("clock_gettime(CLOCK_MONOTONIC)", () => libc.clock_gettime(C.CLOCK_MONOTONIC, ts));
  if (ep >= 0) bench("epoll_wait(ep, events, 64, 0) idle", () => libc.epoll_wait(ep, events, 64, 0));
});
await run();
if (ep >= 0) libc.close(ep);
