// User-space instructions per event of bench.c's workload, counted by valgrind (callgrind), for
// evffi (bench/bench.ts) and the bare FFI loop (bench/bare-epoll.ts) on Bun and Deno. Unlike a
// time, an instruction count does not move with the machine's load: two runs of the same program
// agree to a few instructions per event, so a change to the loop can be weighed in one run each,
// on a busy machine, where timings need dozens of interleaved rounds to read 2%.
//
// Each program runs twice under callgrind, with -w W and -w W+1000 (RUNS runs each): the difference
// is 1000 more callbacks per run, and nothing else (the same setup, the same JIT work), so the
// difference over 1000 * RUNS is what one more event costs: the loop iteration, the wait, the
// activation, the dispatch and the callback's recv and send, up to the kernel (the kernel's own
// work is not counted). It is split into JIT-compiled code, the runtime's binary (its FFI
// trampolines, builtins and C++), and libc. Run to run, the figures repeat within a few
// instructions per event. The JIT column is the program's own code; the runtime column also holds
// work that grows with the run's length rather than with its events (the host's event-loop ticks
// and tasks), so it compares programs of about the same speed only.
//
//   node scripts/bench-instructions.mjs [--runtimes bun,deno] [--runs 400] [-n 100 -a 1 -w 100]
//     [--baseline DIR]   (also counts bench/bench.ts of another checkout, e.g. a git worktree)
//
// Needs valgrind (Debian's package). Each count takes 30-90 s; the default set is 8 of them.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { optionValue, positiveOption } from "./cli-options.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const argv = process.argv.slice(2);
const value = (name, fallback) => optionValue(argv, name, fallback);
const positive = (name, fallback) => positiveOption(argv, name, fallback);
const runtimes = value("--runtimes", "bun,deno").split(",").filter(Boolean);
for (const r of runtimes) {
  if (r !== "bun" && r !== "deno") throw new RangeError(`--runtimes takes bun and deno, got ${JSON.stringify(r)} (${typeof r})`);
}
const runs = positive("--runs", 400);
const pipes = positive("-n", 100);
const active = positive("-a", 1);
const writes = positive("-w", 100);
const baseline = value("--baseline", "");
const EXTRA = 1000;

try {
  execFileSync("valgrind", ["--version"], { stdio: "ignore" });
} catch {
  console.error("bench-instructions: valgrind is not installed (apt-get install valgrind)");
  process.exit(2);
}

const out = mkdtempSync(join(tmpdir(), "evffi-instructions-"));
const bin = (name) => join(root, "node_modules", ".bin", name);
// The JIT compiles on the main thread, so that what it makes, and when, does not depend on how
// valgrind schedules the threads. V8's memory reducer starts GCs from a wall-clock timer: off.
const command = (runtime, script) =>
  runtime === "bun"
    ? [bin("bun"), script]
    : [bin("deno"), "run", "--allow-ffi", "--allow-read", "--allow-env", "--v8-flags=--single-threaded,--no-memory-reducer", script];
// Deno's check for a newer release runs in the background, on the network's time.
const environment = { ...process.env, BUN_JSC_useConcurrentJIT: "0", DENO_NO_UPDATE_CHECK: "1" };

/** callgrind's per-object totals for one run: { jit, runtime, libc, other }. */
function count(runtime, script, w, tag) {
  const file = join(out, `${tag}-${w}.out`);
  const args = [
    "--tool=callgrind", `--callgrind-out-file=${file}`, "--smc-check=all-non-file",
    ...command(runtime, script), "-n", String(pipes), "-a", String(active), "-w", String(w), "-r", String(runs), "-q",
  ];
  if (script.endsWith("bench.ts")) args.push("-m", "epoll");
  execFileSync("valgrind", args, { stdio: ["ignore", "ignore", "pipe"], maxBuffer: 1 << 26, env: environment });
  const text = execFileSync("callgrind_annotate", ["--threshold=100", file], { encoding: "utf8", maxBuffer: 1 << 28 });
  const split = { jit: 0, runtime: 0, libc: 0, other: 0 };
  for (const line of text.split("\n")) {
    const m = /^\s*([\d,]+) \(\s*[\d.]+%\)\s+.* \[(.*)\]\s*$/.exec(line);
    if (!m) continue;
    const n = Number(m[1].replaceAll(",", ""));
    const object = m[2];
    // JIT code lives in anonymous mappings, which callgrind names "???".
    if (object === "???") split.jit += n;
    else if (/\/(bun(\.exe)?|deno)$/.test(object)) split.runtime += n;
    else if (/\/libc\.so/.test(object)) split.libc += n;
    else split.other += n;
  }
  return split;
}

/** Instructions per event: the difference between W+EXTRA and W writes, over the extra events. */
function perEvent(runtime, script, tag) {
  const a = count(runtime, script, writes, tag);
  const b = count(runtime, script, writes + EXTRA, tag);
  const per = (k) => (b[k] - a[k]) / (EXTRA * runs);
  const result = { jit: per("jit"), runtime: per("runtime"), libc: per("libc"), other: per("other") };
  result.total = result.jit + result.runtime + result.libc + result.other;
  return result;
}

const programs = [
  { name: "evffi", script: join(root, "bench", "bench.ts") },
  ...(baseline ? [{ name: "evffi, baseline", script: join(resolve(baseline), "bench", "bench.ts") }] : []),
  { name: "bare FFI loop", script: join(root, "bench", "bare-epoll.ts") },
];
console.log(`# user-space instructions per event, bench.c n=${pipes} a=${active} w=${writes}(+${EXTRA}), ${runs} runs, callgrind`);
console.log(`${"program".padEnd(28)} ${"total".padStart(7)} ${"JIT".padStart(7)} ${"runtime".padStart(8)} ${"libc".padStart(6)} ${"other".padStart(6)}`);
try {
  for (const runtime of runtimes) {
    for (const p of programs) {
      const r = perEvent(runtime, p.script, `${runtime}-${p.name.replace(/\W+/g, "-")}`);
      // String(Math.round(x)), not toFixed: a count a hair below zero prints as 0, not -0.
      const cell = (x, width) => String(Math.round(x)).padStart(width);
      const cells = `${cell(r.total, 7)} ${cell(r.jit, 7)} ${cell(r.runtime, 8)} ${cell(r.libc, 6)} ${cell(r.other, 6)}`;
      console.log(`${`${p.name} (${runtime === "bun" ? "Bun" : "Deno"})`.padEnd(28)} ${cells}`);
    }
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
