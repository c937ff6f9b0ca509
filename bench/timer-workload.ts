// One timer workload in this process, as bench/c/timers.c does it in C (the same delays), timed
// with the runtime's clock; bench/timers.ts runs it for evffi and for the host's setTimeout on
// both runtimes, alternating with C. "cancel": N timers with delays of 1-10000 ms (a fixed
// pseudo-random sequence) made and then cancelled, none firing. "expire": N timers due at once,
// run until all have fired (the host's setTimeout(0) waits at least 1 ms: under 1% of the figure).
//   bun bench/timer-workload.ts evffi|host cancel|expire N REPS
//   prints ns per timer for each rep, then "median X ns"
import { EventBase, type Event } from "../src/mod.ts";
import process from "node:process";

const [impl, workload, nArg = "100000", repsArg = "7"] = process.argv.slice(2);
if ((impl !== "evffi" && impl !== "host") || (workload !== "cancel" && workload !== "expire")) {
  console.error("usage: timer-workload.ts evffi|host cancel|expire N REPS");
  process.exit(2);
}
const n = Number(nArg);
const reps = Number(repsArg);
let fired = 0;
const onTimer = () => void fired++;

/** The delays of bench/c/timers.c: the same 32-bit linear congruential sequence. */
function* delays(): Generator<number> {
  let state = 1;
  for (;;) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    yield 1 + ((state >>> 8) % 10000);
  }
}
const delayList = Array.from({ length: n }, ((d) => () => d.next().value as number)(delays()));

const base = new EventBase();
const events: Event[] = new Array(n);
const timeouts: ReturnType<typeof setTimeout>[] = new Array(n);

async function once(): Promise<number> {
  fired = 0;
  const t = performance.now();
  if (impl === "evffi") {
    if (workload === "cancel") {
      for (let i = 0; i < n; i++) events[i] = base.timer(delayList[i]!, onTimer);
      for (let i = 0; i < n; i++) events[i]!.del();
    } else {
      for (let i = 0; i < n; i++) base.timer(0, onTimer);
      base.loopSync(); // returns once no event is left
    }
  } else if (workload === "cancel") {
    for (let i = 0; i < n; i++) timeouts[i] = setTimeout(onTimer, delayList[i]);
    for (let i = 0; i < n; i++) clearTimeout(timeouts[i]);
  } else {
    await new Promise<void>((resolve) => {
      const last = () => ++fired === n && resolve();
      for (let i = 0; i < n; i++) setTimeout(last, 0);
    });
  }
  const ns = ((performance.now() - t) * 1e6) / n;
  if (workload === "expire" && fired !== n) throw new Error(`fired ${fired} of ${n} timers`);
  if (workload === "cancel" && fired !== 0) throw new Error(`${fired} cancelled timers fired`);
  return ns;
}

await once(); // untimed: the figures are of JIT-compiled code, as C's are of compiled code
const times: number[] = [];
for (let rep = 0; rep < reps; rep++) {
  const ns = await once();
  times.push(ns);
  console.log(`${ns.toFixed(1)} ns per timer`);
}
base.close();
times.sort((a, b) => a - b);
console.log(`median ${times[Math.floor(reps / 2)]!.toFixed(1)} ns`);
