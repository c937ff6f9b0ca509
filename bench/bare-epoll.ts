// The floor under bench/bench.ts: the same workload (libevent's bench.c) written as a bare loop of
// FFI calls, epoll_wait + recv + send, with no reactor at all. evffi's time divided by this one is
// what the dispatch layer itself costs; this one divided by C libevent's is the FFI and runtime cost.
//
//   node scripts/run.mjs bench/bare-epoll.ts -- -n 1000 -a 100 -w 1000 [-r 25] [-W warm-up runs] [-s]
import * as ffi from "../src/ffi/mod.ts";
import { bareWorkload } from "./bare-workload.ts";
import { flag, option, serveRuns, timeRuns } from "./options.ts";

const numPipes = Number(option("-n", "100"));
const numActive = Number(option("-a", "1"));
const numWrites = Number(option("-w", "100"));
const runs = Number(option("-r", "25"));
const quiet = flag("-q");

const workload = bareWorkload(ffi, { numPipes, numActive, numWrites });
const median = timeRuns(runs, quiet, workload.runOnce);
if (!serveRuns(workload.runOnce)) console.log(`# bare FFI loop ${ffi.runtimeVersion} epoll n=${numPipes} a=${numActive} w=${numWrites}: median ${median.toFixed(0)} us over ${runs} runs${option("-W", "0") !== "0" ? ` after ${option("-W", "0")} warm-up runs` : ""}`);
workload.close();
