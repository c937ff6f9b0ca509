// Per-call cost of the FFI layer (mitata): a trivial libc call, clock_gettime into a preallocated
// buffer, getpid (the cheapest real syscall), epoll_wait(ep, events, 64, 0) on an idle epoll fd,
// and a one-byte send + recv on a socketpair (bench.c's per-callback syscalls).
// build/c/calls (scripts/build-c-bench.sh) makes the same calls from C, for the floor.
//   node scripts/run.mjs bench/ffi.bench.ts
import { bench, run, summary } from "mitata";
import { constants as C, hasSymbol, libc, runtimeVersion, sys, u64arg } from "../src/ffi/mod.ts";

const ts = new Uint8Array(16);
const events = new Uint8Array(64 * 16);
const ep = hasSymbol("epoll_create1") ? libc.epoll_create1(C.EPOLL_CLOEXEC) : -1;
const [a, b] = sys.socketpair(C.SOCK_STREAM, { nonBlocking: false });
const one = u64arg(1);
const inByte = new Uint8Array(1);
const outByte = new Uint8Array([101]);

console.log(`# ${runtimeVersion}`);
summary(() => {
  bench("abs(-1) (trivial libc call)", () => libc.abs(-1));
  bench("clock_gettime(CLOCK_MONOTONIC)", () => libc.clock_gettime(C.CLOCK_MONOTONIC, ts));
  bench("getpid()", () => libc.getpid());
  if (ep >= 0) bench("epoll_wait(ep, events, 64, 0) idle", () => libc.epoll_wait(ep, events, 64, 0));
  bench("send + recv of one byte on a socketpair", () => {
    libc.send(b, outByte, one, 0);
    libc.recv(a, inByte, one, 0);
  });
});
await run();
if (ep >= 0) libc.close(ep);
libc.close(a);
libc.close(b);
