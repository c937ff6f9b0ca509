// Many one-shot timers through the public API: N timers (default 1,000,000) with deadlines 0-49 ms
// from a fixed pseudo-random sequence (the same one bench/c/timers_million.c uses), added with
// `base.timer(ms, callback)` and run until all fired. A run is timed from the first add until the
// last callback; -r runs (default 3), milliseconds per run, one per line. Then the JS heap per
// pending timer: the heap after a full GC with the N timers added, minus the heap before, over N,
// and the same for ArrayBuffer storage, which lives outside the JS heap (Deno needs
// `--v8-flags=--expose-gc` for the GC to be forced).
//
//   node scripts/run.mjs bench/timers-million.ts -- [-n 1000000] [-r 3] [-q]
//   deno run --allow-ffi --allow-read --allow-env --v8-flags=--expose-gc bench/timers-million.ts
import { EventBase } from "../src/mod.ts";
import { externalAfterGc, heapUsedAfterGc, runtimeVersion } from "../src/ffi/mod.ts";
import { flag, option, timeRuns } from "./options.ts";

const count = Number(option("-n", "1000000"));
const runs = Number(option("-r", "3"));
const quiet = flag("-q");
const base = new EventBase();

let fired = 0;
function onTimer(): void {
  fired++;
}

/** The deadlines, 0-49 ms: a 32-bit LCG's high bits, as in timers_million.c. */
const deadlines = new Uint8Array(count);
let x = 1;
for (let i = 0; i < count; i++) {
  x = (Math.imul(x, 1103515245) + 12345) >>> 0;
  deadlines[i] = (x >>> 16) % 50;
}

function addAll(): void {
  for (let i = 0; i < count; i++) base.timer(deadlines[i], onTimer);
}

function runOnce(): number {
  fired = 0;
  const started = performance.now();
  addAll();
  while (fired !== count) base.loopSync();
  return (performance.now() - started) * 1000;
}

const median = timeRuns(runs, true, () => {
  const us = runOnce();
  if (!quiet) console.log((us / 1000).toFixed(0));
  return us;
});
console.log(`# evffi timers ${runtimeVersion} n=${count}: median ${(median / 1000).toFixed(0)} ms over ${runs} runs`);

const before = heapUsedAfterGc();
const externalBefore = externalAfterGc();
fired = 0;
addAll();
const after = heapUsedAfterGc();
const externalAfter = externalAfterGc();
const perTimer = (bytes: number) => (bytes / count).toFixed(0);
console.log(`# heap per pending timer: ${perTimer(after - before)} bytes (+ ${perTimer(externalAfter - externalBefore)} bytes of ArrayBuffer storage)`);
while (fired !== count) base.loopSync();
base.close();
