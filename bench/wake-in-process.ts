// The idle wake-up latency of `await base.loop()` against its floor, sample by sample in one
// process, so that the machine's state moves both alike. Each sample: the JS thread is idle in
// its host event loop, a 1 ms host timer writes one byte to a socketpair, and the time from that
// write until code runs again is taken, alternately
//   await loop()     `await base.loop(EVLOOP.ONCE)` on a base with one read event on the socketpair,
//                    until the event's callback runs (the off-thread wait, then an iteration)
//   off-thread poll  the same off-thread waiter the loop uses, with no base around it, until its
//                    promise resolves (Deno: a nonblocking FFI poll; Bun: a Worker): the floor
// Prints p50, p90, p99 and p99.9 of each in µs, and what the loop adds at each percentile.
// bench/coop.ts gives the older figures (the two measured one after the other);
// build/c/wake_latency is the same two hops in C.
//
//   taskset -c 1 bun bench/wake-in-process.ts [-N 2000]
//   taskset -c 1 deno run -A bench/wake-in-process.ts [-N 2000]
import { EV, EVLOOP, EventBase } from "../src/mod.ts";
import { constants as C, createWaiter, layout, libc, runtimeVersion, sys, u64arg } from "../src/ffi/mod.ts";
import { option } from "./options.ts";

const samples = Number(option("-N", "2000"));
const one = u64arg(1);
const inByte = new Uint8Array(1);
const outByte = new Uint8Array([101]);

/** A promise for the next host timer after 1 ms, which writes a byte to `fd` and returns when. */
function writeLater(fd: number): Promise<number> {
  return new Promise((resolve) => setTimeout(() => {
    const at = performance.now();
    libc.write(fd, outByte, one);
    resolve(at);
  }, 1));
}

// The loop's side: one persistent read event; its callback notes when it ran.
const base = new EventBase({ method: "epoll", ignoreEnv: true });
const [lx, ly] = sys.socketpair();
let ranAt = 0;
base.event(ly, EV.READ | EV.PERSIST, () => {
  ranAt = performance.now();
  libc.read(ly, inByte, one);
}).add();

async function loopSample(): Promise<number> {
  const written = writeLater(lx);
  await base.loop(EVLOOP.ONCE);
  return (ranAt - await written) * 1000;
}

// The floor's side: the waiter alone, polling its own socketpair.
const waiter = createWaiter(1);
const [px, py] = sys.socketpair();
const pollfds = new DataView(waiter.pollfds.buffer, waiter.pollfds.byteOffset);
pollfds.setInt32(layout.pollfd.fd, py, true);
pollfds.setInt16(layout.pollfd.events, C.POLLIN, true);

async function floorSample(): Promise<number> {
  pollfds.setInt16(layout.pollfd.revents, 0, true);
  const woke = waiter.wait(1, -1);
  const written = writeLater(px);
  await woke;
  const at = performance.now();
  libc.read(py, inByte, one);
  return (at - await written) * 1000;
}

const loopTimes: number[] = [];
const floorTimes: number[] = [];
// A few untimed samples of each first: the JIT's first compilations are not wake-ups.
for (let i = 0; i < 20; i++) {
  await loopSample();
  await floorSample();
}
for (let i = 0; i < samples; i++) {
  // Alternate which goes first, so neither always follows the other.
  if (i & 1) {
    floorTimes.push(await floorSample());
    loopTimes.push(await loopSample());
  } else {
    loopTimes.push(await loopSample());
    floorTimes.push(await floorSample());
  }
}
waiter.close();
base.close();
for (const fd of [lx, ly, px, py]) sys.close(fd);

const at = (xs: number[], p: number): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
};
const cells = (xs: number[]): string => [0.5, 0.9, 0.99, 0.999].map((p) => at(xs, p).toFixed(0).padStart(6)).join(" ");
console.log(`# idle wake-up in one process (${runtimeVersion}), ${samples} samples each, µs:   p50    p90    p99  p99.9`);
console.log(`  await loop()                                              ${cells(loopTimes)}`);
console.log(`  off-thread poll alone (the floor)                         ${cells(floorTimes)}`);
console.log(`  the loop adds                                             ${[0.5, 0.9, 0.99, 0.999].map((p) => (at(loopTimes, p) - at(floorTimes, p)).toFixed(0).padStart(6)).join(" ")}`);
