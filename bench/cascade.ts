// libevent's test/bench_cascade.c workload in evffi: N socketpairs, a one-shot READ event on each
// whose callback reads its byte and writes one byte into the next pair; one write starts the
// cascade. A run is timed from creating and adding the events until all N fired; 25 runs, µs per
// run, one per line.
//
//   node scripts/run.mjs bench/cascade.ts -- -n 1000 [-m epoll|poll|select] [-r 25] [-q]
import * as evffi from "../src/mod.ts";
import * as ffi from "../src/ffi/mod.ts";
import { cascadeWorkload } from "./cascade-workload.ts";
import { flag, option, timeRuns } from "./options.ts";

const numPipes = Number(option("-n", "100"));
const runs = Number(option("-r", "25"));
const method = option("-m", "");
const quiet = flag("-q");
const base = new evffi.EventBase(method ? { method, ignoreEnv: true } : {});
const runOnce = cascadeWorkload(evffi, ffi, base, numPipes);

const median = timeRuns(runs, quiet, runOnce);
console.log(`# evffi cascade ${ffi.runtimeVersion} ${base.method} n=${numPipes}: median ${median.toFixed(0)} us over ${runs} runs`);
base.close();
