// What the reactor itself costs per loop iteration, without I/O: one event made active, then
// loopSync(ONCE|NONBLOCK) runs it (an epoll_wait(0) on an empty set, a clock read, the callback),
// against the same epoll_wait(0) called bare. The difference is evffi's dispatch layer per
// iteration: the part of bench.c's n=100 figure (one event per iteration) that is not the kernel's.
//
// With -w a prepare and a check watcher exist (each iteration runs both, empty): what watchers cost
// when present; without it, none exist and the loop's cost for them is one field test.
//
//   node scripts/run.mjs bench/loop-cost.ts [-- -r ROUNDS] [-w]   (taskset -c 1 ... for steadier figures)
import { CheckWatcher, EV, EVLOOP, EventBase, PrepareWatcher } from "../src/mod.ts";
import { constants as C, libc, runtimeVersion } from "../src/ffi/mod.ts";
import { flag, option } from "./options.ts";

const rounds = Number(option("-r", "7"));
const N = 200_000;
const base = new EventBase({ method: "epoll", ignoreEnv: true });
let calls = 0;
const ev = base.event(-1, 0, () => void calls++);
base.event(-1, EV.PERSIST, () => {}).add(1e9); // keeps the loop from returning 1 (no events)
const watchers = flag("-w");
if (watchers) {
  new PrepareWatcher(base, () => {});
  new CheckWatcher(base, () => {});
}
const ep = libc.epoll_create1(C.EPOLL_CLOEXEC);
const results = new Uint8Array(new ArrayBuffer(32 * 16));

function viaLoop(): number {
  const t = performance.now();
  for (let i = 0; i < N; i++) {
    ev.active(EV.READ);
    base.loopSync(EVLOOP.ONCE | EVLOOP.NONBLOCK);
  }
  return ((performance.now() - t) * 1e6) / N;
}

function bare(): number {
  const t = performance.now();
  for (let i = 0; i < N; i++) libc.epoll_wait(ep, results, 32, 0);
  return ((performance.now() - t) * 1e6) / N;
}

const loopNs: number[] = [], bareNs: number[] = [];
viaLoop(); // warm-up: JIT tiers
bare();
for (let r = 0; r < rounds; r++) {
  loopNs.push(viaLoop());
  bareNs.push(bare());
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
if (calls !== (rounds + 1) * N) throw new Error(`the callback ran ${calls} times, expected ${(rounds + 1) * N}`);
console.log(`# ${runtimeVersion}: loopSync(ONCE|NONBLOCK) with one active event${watchers ? " and two watchers" : ""} ${median(loopNs).toFixed(0)} ns, ` +
  `bare epoll_wait(0) ${median(bareNs).toFixed(0)} ns: the reactor adds ${(median(loopNs) - median(bareNs)).toFixed(0)} ns per iteration (median of ${rounds} rounds of ${N})`);
libc.close(ep);
base.close();
