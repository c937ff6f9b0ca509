// The bench.c workload (bench/bench.ts) run by two checkouts of evffi inside one process, their
// runs interleaved: a comparison of two trees that the machine's load cannot tilt, since both
// see the same moments. Each tree is imported from its own path (separate module instances, one
// event base and its own socketpairs each); after -W warm-up runs of each, -R rounds of -r runs
// each, and the median over rounds of new/old (each round's median run).
//   bun bench/trees-in-process.ts OLD_DIR NEW_DIR [-n 100 -a 1 -w 100] [-R 15] [-r 41] [-W 200]
// On Deno the tree imported second runs faster whichever it is: there, run both orders.
// With --bare in place of OLD_DIR, the old side is the bare FFI loop of bench/bare-epoll.ts (no
// reactor, the same syscalls), so the ratio and the difference in ns per event are what the
// reactor itself adds to each event, measured where the machine's load cannot tilt them.
//   bun bench/trees-in-process.ts --bare DIR [-n 100 -a 1 -w 100] [-R 15] [-r 41] [-W 200]
import { resolve } from "node:path";
import { runtimeVersion, scriptArgs } from "../src/ffi/mod.ts";
import { bareWorkload } from "./bare-workload.ts";
import { evffiWorkload } from "./evffi-workload.ts";
import { flag, option } from "./options.ts";

const bare = flag("--bare");
// Resolved here: a relative path would otherwise be taken relative to this file by import().
const args = scriptArgs();
const [oldDir, newDir] = (bare ? ["", args[args.indexOf("--bare") + 1]] : args).map((d) => (d ? resolve(d) : d));
const numPipes = Number(option("-n", "100"));
const numActive = Number(option("-a", "1"));
const numWrites = Number(option("-w", "100"));
const rounds = Number(option("-R", "15"));
const runs = Number(option("-r", "41"));
const warmup = Number(option("-W", "200"));

/** One tree's workload, ready to run: returns µs per run. */
async function load(dir: string): Promise<() => number> {
  return evffiWorkload(await import(`${dir}/src/mod.ts`), await import(`${dir}/src/ffi/mod.ts`), { numPipes, numActive, numWrites });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];
// The bare loop runs over the measured tree's own FFI bindings.
const runOld = bare ? bareWorkload(await import(`${newDir}/src/ffi/mod.ts`), { numPipes, numActive, numWrites }).runOnce : await load(oldDir);
const runNew = await load(newDir);
for (let i = 0; i < warmup; i++) {
  runOld();
  runNew();
}
const ratios: number[] = [];
const added: number[] = [];
for (let round = 0; round < rounds; round++) {
  const olds: number[] = [];
  const news: number[] = [];
  for (let i = 0; i < runs; i++) {
    olds.push(runOld());
    news.push(runNew());
  }
  ratios.push(median(news) / median(olds));
  // One event per callback: the a active bytes and the w writes each arrive once.
  added.push(((median(news) - median(olds)) * 1000) / (numActive + numWrites));
}
ratios.sort((a, b) => a - b);
const what = bare ? "evffi/bare loop" : "new/old";
const perEvent = bare ? `, the reactor adds ${median(added).toFixed(0)} ns per event` : "";
console.log(`# ${bare ? "reactor against the bare loop" : "trees"} in one process (${runtimeVersion}) n=${numPipes} a=${numActive} w=${numWrites}: ${what} median ${median(ratios).toFixed(3)} [${ratios.map((r) => r.toFixed(2)).join(" ")}]${perEvent}`);
