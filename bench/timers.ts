// Timers against the host's setTimeout and against C libevent, in one run, alternating programs:
// bench/timer-workload.ts for evffi's timers and for setTimeout, on Bun and on Deno, and
// build/c/timers (bench/c/timers.c; scripts/build-c-bench.sh builds it), each a fresh process
// per round making REPS repetitions of each workload (the median taken). Two workloads of N
// timers: "cancel" (made with delays of 1-10000 ms, then cancelled: the heap's add and remove) and
// "expire" (all due at once, run until all have fired: dispatch). Figures: ns per timer.
// --json FILE also writes the run as data (bench/results/README.md; `npm run charts` draws it);
// --smoke marks that file as a check that the script runs, not a result.
// Run: node scripts/run.mjs bench/timers.ts --bun [-- N ROUNDS REPS] [--json FILE [--smoke]]
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { median } from "./servers/harness.ts";
import { commandLine, jsonArgument, type RunRatio, type RunResult, writeRun } from "../scripts/bench-record.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (n: string) => join(root, "node_modules", ".bin", n);
const [n = "100000", rounds = "5", reps = "7"] = process.argv.slice(2).filter((a) => /^\d+$/.test(a));
const jsonFile = jsonArgument(process.argv);
const workloadFile = join(root, "bench/timer-workload.ts");
const programs: Record<string, string[]> = {
  "evffi (Bun)": [bin("bun"), workloadFile, "evffi"],
  "setTimeout (Bun)": [bin("bun"), workloadFile, "host"],
  "evffi (Deno)": [bin("deno"), "run", "-A", workloadFile, "evffi"],
  "setTimeout (Deno)": [bin("deno"), "run", "-A", workloadFile, "host"],
  "C libevent": [join(root, "build/c/timers")],
};
if (!existsSync(programs["C libevent"]![0]!)) {
  console.error("build/c/timers is missing: run scripts/build-c-bench.sh");
  process.exit(2);
}
const workloads = ["cancel", "expire"] as const;
const pairs: [string, string][] = [["evffi (Bun)", "setTimeout (Bun)"], ["evffi (Deno)", "setTimeout (Deno)"], ["evffi (Bun)", "C libevent"], ["evffi (Deno)", "C libevent"]];

const results: RunResult[] = [];
const ratios: RunRatio[] = [];
const r2 = (x: number) => Math.round(x * 100) / 100;
for (const workload of workloads) {
  const perRound: Record<string, number[]> = {};
  for (let round = 1; round <= Number(rounds); round++) {
    for (const [name, argv] of Object.entries(programs)) {
      const r = spawnSync(argv[0]!, [...argv.slice(1), workload, n, reps], { encoding: "utf8" });
      const ns = Number(/median ([\d.]+) ns/.exec(r.stdout ?? "")?.[1]);
      if (r.status !== 0 || !Number.isFinite(ns)) {
        console.error(`${name} ${workload} failed (${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`);
        process.exit(1);
      }
      (perRound[name] ??= []).push(ns);
      console.log(`round ${round} ${workload} ${name}: ${ns.toFixed(0)} ns per timer`);
    }
  }
  const label = `${workload} ${n} timers`;
  console.log(`\n# ${label}: ns per timer, median of ${rounds} alternating rounds (each the median of ${reps} repetitions)`);
  for (const [name, list] of Object.entries(perRound)) {
    console.log(`${name.padEnd(18)} ${median(list).toFixed(0).padStart(7)} ns`);
    results.push({ program: name, workload: label, metric: "time per timer", unit: "ns", better: "lower", value: Math.round(median(list)), rounds: list.map(Math.round) });
  }
  for (const [a, b] of pairs) {
    const xs = perRound[a]!.map((v, i) => v / perRound[b]![i]!);
    console.log(`${a} / ${b}: ${median(xs).toFixed(2)}x (rounds ${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)})`);
    ratios.push({ program: a, peer: b, workload: label, metric: "time per timer", better: "lower", value: r2(median(xs)), min: r2(Math.min(...xs)), max: r2(Math.max(...xs)) });
  }
}
if (jsonFile) {
  writeRun(jsonFile, {
    kind: "timers",
    title: "Timers: made and cancelled, or made and expired, against setTimeout and C libevent",
    command: commandLine("node scripts/run.mjs bench/timers.ts --bun --", process.argv.slice(2)),
    notes: `${rounds} alternating rounds, a fresh process per program and round, each the median of ${reps} repetitions; ns per timer. Ratios: medians of the per-round ratios of time (below 1.00 is faster), min/max the spread of the rounds.`,
    results,
    ratios,
  }, process.argv);
}
