// Timers on the wall clock and the loop's own watchers: a heartbeat at every whole second of the
// wall clock (not "every 1000 ms from start"), background work done in slices while the loop is
// idle (the loop does not block meanwhile), and how long the loop slept in the kernel once the
// work was done, measured around the wait.
//   node scripts/run.mjs examples/periodic.ts [-- --self-test]   (--self-test: 100 ms ticks)
import { CheckWatcher, EventBase, IdleWatcher, PeriodicTimer, PrepareWatcher, scriptArgs } from "../src/mod.ts";

const selfTest = scriptArgs().includes("--self-test");
const interval = selfTest ? 100 : 1000;
const ticks = 3;

const base = new EventBase();

// Background work: count primes below 20 000, a slice of 500 numbers per idle iteration, so a
// tick (or any I/O) never waits behind the whole computation.
let candidate = 2, primes = 0;
const worker = new IdleWatcher(base, (idle) => {
  for (const end = Math.min(candidate + 500, 20_000); candidate < end; candidate++) {
    let prime = true;
    for (let d = 2; d * d <= candidate; d++) if (candidate % d === 0) { prime = false; break; }
    if (prime) primes++;
  }
  if (candidate >= 20_000) {
    console.log(`background work done: ${primes} primes below 20000`);
    idle.close();
  }
});

// Time asleep in the kernel: from just before the backend's wait to just after it.
let sleptMs = 0, waitStart = 0;
const prepare = new PrepareWatcher(base, () => void (waitStart = performance.now()));
const check = new CheckWatcher(base, () => void (sleptMs += performance.now() - waitStart));

let n = 0;
const aligned: boolean[] = [];
new PeriodicTimer(base, { interval }, (at, timer) => {
  aligned.push(at % interval === 0 && Date.now() >= at);
  console.log(`tick ${++n} at ${new Date(at).toISOString()}`);
  if (n === ticks) {
    timer.close();
    worker.close();
    prepare.close();
    check.close();
  }
});

const rc = base.loopSync();
console.log(`slept ${sleptMs.toFixed(0)} ms in the kernel over ${ticks} ticks`);
console.log(`${aligned.filter(Boolean).length} of ${ticks} ticks on the ${interval} ms boundaries of the wall clock; loop returned ${rc}`);
base.close();
