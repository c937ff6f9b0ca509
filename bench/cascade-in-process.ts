// bench/cascade-workload.ts (create and add a one-shot READ event on each of n socketpairs, then
// let one byte cascade through them) run by two checkouts of evffi inside one process, their runs
// interleaved, as bench/trees-in-process.ts does for bench.c's workload: 15 rounds of 15 runs
// each, and the median over rounds of second/first. Unlike bench.c's, this timing includes adding
// the events, so it sees what an add and a delete cost. On Deno the tree imported second runs
// faster whichever it is: run both orders.
//   bun bench/cascade-in-process.ts FIRST_DIR SECOND_DIR [-n 1000]
//   deno run -A bench/cascade-in-process.ts FIRST_DIR SECOND_DIR [-n 1000]
import { resolve } from "node:path";
import { scriptArgs } from "../src/ffi/mod.ts";
import { cascadeWorkload } from "./cascade-workload.ts";

const args = scriptArgs();
const nAt = args.indexOf("-n");
const n = nAt >= 0 ? Number(args[nAt + 1]) : 1000;
const [firstDir, secondDir] = args.filter((a, i) => !a.startsWith("-") && args[i - 1] !== "-n").map((d) => resolve(d));
if (!firstDir || !secondDir) throw new Error("usage: cascade-in-process.ts FIRST_DIR SECOND_DIR [-n N]");
/** One tree's runOnce: its own module instances, event base and socketpairs. */
async function make(dir: string): Promise<() => number> {
  const evffi = await import(`${dir}/src/mod.ts`);
  const ffi = await import(`${dir}/src/ffi/mod.ts`);
  return cascadeWorkload(evffi, ffi, new evffi.EventBase({ method: "epoll", ignoreEnv: true }), n);
}
const first = await make(firstDir), second = await make(secondDir);
for (let i = 0; i < 30; i++) {
  first();
  second();
}
const ratios: number[] = [];
for (let r = 0; r < 15; r++) {
  const ta: number[] = [], tb: number[] = [];
  for (let i = 0; i < 15; i++) {
    ta.push(first());
    tb.push(second());
  }
  ta.sort((x, y) => x - y);
  tb.sort((x, y) => x - y);
  ratios.push(tb[7] / ta[7]);
}
ratios.sort((x, y) => x - y);
console.log(`# cascade n=${n}, two trees in one process: second/first median ${ratios[7].toFixed(3)} [${ratios.map((x) => x.toFixed(2)).join(" ")}]`);
