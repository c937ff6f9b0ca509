// bench.c's workload as ratios to C libevent, with the programs taking turns run by run.
//
// scripts/bench-ratio.sh runs each program for a few hundred milliseconds in turn; on a VM whose
// speed drifts over seconds, the programs of one round can still see different machines (single
// rounds there range from 0.5x to 2x). Here every program is started once, warmed up, and then
// kept waiting on its stdin (`-s`, see bench/options.ts serveRuns): the relay asks each in turn
// for one run, so consecutive runs of different programs are a few milliseconds apart and each
// keeps its own process, JIT state and heap, as in a real deployment. A round is TURNS runs of
// every program, interleaved; its ratio is a program's median run over C's median run; the summary
// gives the median of those ratios over ROUNDS rounds, with their spread.
//
//   scripts/build-c-bench.sh && node scripts/bench-relay.mjs "-n 1000 -a 100 -w 1000" [--rounds 45]
//     [--turns 9] [--warmup 200] [--pin CPU] [--only bun,deno,...] [--baseline DIR] [--json FILE [--smoke]]
// (--json: a file that already holds a run of the same day gets this workload's figures appended.)
//
// --baseline DIR adds bun-base and deno-base, evffi's bench/bench.ts from another checkout (make one
// with `git worktree add DIR COMMIT` and a node_modules symlink), run under this checkout's
// runtimes: a before/after of a change, each side in processes of its own.
// Programs: C (C libevent), C-thread (C libevent with one idle thread), bun and deno (evffi's
// bench/bench.ts), bare-bun and bare-deno (bench/bare-epoll.ts, the same syscalls with no reactor).
// The relay itself should run on another CPU than --pin: it only waits on pipes.
import { spawn } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { optionValue, positiveOption } from "./cli-options.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const argv = process.argv.slice(2);
const value = (name, fallback) => optionValue(argv, name, fallback);
const count = (name, fallback) => positiveOption(argv, name, fallback);
const cfg = argv[0];
if (typeof cfg !== "string" || !cfg.startsWith("-")) {
  console.error('usage: node scripts/bench-relay.mjs "-n 1000 -a 100 -w 1000" [--rounds 45] [--turns 9] [--warmup 200] [--pin CPU] [--only NAMES] [--json FILE [--smoke]]');
  process.exit(2);
}
const rounds = count("--rounds", 45);
const turns = count("--turns", 9);
const warmup = count("--warmup", 200);
const pin = value("--pin", "");
const json = value("--json", "");
const baseline = value("--baseline", "");
const cfgArgs = cfg.split(/\s+/).filter(Boolean);
const bin = (name) => join(root, "node_modules", ".bin", name);
const js = (runtime, script, dir = root) =>
  runtime === "bun"
    ? [bin("bun"), join(dir, "bench", script)]
    : [bin("deno"), "run", "--allow-ffi", "--allow-read", "--allow-env", join(dir, "bench", script)];
const jsArgs = ["-m", "epoll", ...cfgArgs, "-r", "1", "-q", "-W", String(warmup), "-s"];
const cArgs = ["-m", "epoll", ...cfgArgs, "-r", "1", "-q", "-s"];
const all = {
  C: { label: "C libevent", cmd: [join(root, "build/c/bench"), ...cArgs] },
  "C-thread": { label: "C libevent, +1 idle thread", cmd: [join(root, "build/c/bench"), "-t", ...cArgs] },
  bun: { label: "evffi (Bun)", cmd: [...js("bun", "bench.ts"), ...jsArgs] },
  deno: { label: "evffi (Deno)", cmd: [...js("deno", "bench.ts"), ...jsArgs] },
  "bare-bun": { label: "bare FFI loop (Bun)", cmd: [...js("bun", "bare-epoll.ts"), ...jsArgs.filter((a, i, xs) => a !== "-m" && xs[i - 1] !== "-m")] },
  "bare-deno": { label: "bare FFI loop (Deno)", cmd: [...js("deno", "bare-epoll.ts"), ...jsArgs.filter((a, i, xs) => a !== "-m" && xs[i - 1] !== "-m")] },
};
if (baseline) {
  const dir = resolve(baseline);
  all["bun-base"] = { label: "evffi (Bun), baseline", cmd: [...js("bun", "bench.ts", dir), ...jsArgs] };
  all["deno-base"] = { label: "evffi (Deno), baseline", cmd: [...js("deno", "bench.ts", dir), ...jsArgs] };
}
const only = value("--only", "");
const names = ["C", ...(only ? only.split(",") : Object.keys(all).filter((k) => k !== "C"))];
for (const name of names) {
  if (!(name in all)) throw new RangeError(`--only names one of ${Object.keys(all).join(", ")}, got ${JSON.stringify(name)} (${typeof name})`);
}

/** A started program: `run()` asks it for one run and resolves to its µs. */
function start(name) {
  const [file, ...args] = all[name].cmd;
  const child = pin ? spawn("taskset", ["-c", pin, file, ...args], { cwd: root }) : spawn(file, args, { cwd: root });
  const lines = [];
  const waiting = [];
  let partial = "";
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  child.stdout.setEncoding("utf8").on("data", (d) => {
    const parts = (partial + d).split("\n");
    partial = parts.pop();
    for (const line of parts) (waiting.length ? waiting.shift().resolve(line) : lines.push(line));
  });
  child.on("exit", (code) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`${name} exited (${code}) before answering: ${stderr.trim()}`));
  });
  const nextLine = () => (lines.length ? Promise.resolve(lines.shift()) : new Promise((resolve, reject) => waiting.push({ resolve, reject })));
  return {
    ready: nextLine().then((line) => {
      if (line !== "ready") throw new Error(`${name} said ${JSON.stringify(line)} instead of "ready": ${stderr.trim()}`);
    }),
    async run() {
      child.stdin.write("run\n");
      const line = await nextLine();
      const us = Number(line);
      if (!Number.isFinite(us)) throw new Error(`${name} answered ${JSON.stringify(line)}`);
      return us;
    },
    close: () => new Promise((resolve) => {
      child.on("exit", resolve);
      child.stdin.end();
    }),
  };
}

const med = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
};

// Started one at a time, so that no warm-up competes with another for the pinned CPU.
const programs = {};
for (const name of names) {
  programs[name] = start(name);
  await programs[name].ready;
}
const perRound = Object.fromEntries(names.map((n) => [n, []]));
for (let round = 0; round < rounds; round++) {
  const times = Object.fromEntries(names.map((n) => [n, []]));
  for (let turn = 0; turn < turns; turn++) {
    // The order rotates, so that no program always runs right after the same one.
    const shift = (round * turns + turn) % names.length;
    for (const name of [...names.slice(shift), ...names.slice(0, shift)]) times[name].push(await programs[name].run());
  }
  for (const name of names) perRound[name].push(med(times[name]));
  console.error(`round ${round + 1}: ${names.map((n) => `${n}=${med(times[n])}`).join(" ")} (us)`);
}
await Promise.all(names.map((n) => programs[n].close()));

const lines = [];
const ratios = [];
const r2 = (x) => Math.round(x * 100) / 100;
const workload = `epoll ${cfg.replace(/-(\w) (\S+)/g, "$1=$2")}`;
console.log(`# epoll ${cfg}: median ratio to C libevent over ${rounds} rounds of ${turns} turns (quartiles of the per-round ratios in brackets)`);
const quartiles = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return [s[Math.floor((s.length - 1) / 4)], s[Math.ceil((3 * (s.length - 1)) / 4)]];
};
for (const name of names.filter((n) => n !== "C")) {
  const r = perRound[name].map((x, i) => x / perRound.C[i]);
  const [q1, q3] = quartiles(r);
  let line = `${name.padEnd(10)} ${med(r).toFixed(3)}x  [${q1.toFixed(2)}-${q3.toFixed(2)}]`;
  ratios.push({ program: all[name].label, peer: "C libevent", workload, metric: "time", better: "lower", value: r2(med(r)), min: r2(Math.min(...r)), max: r2(Math.max(...r)) });
  const bare = `bare-${name}`;
  if (perRound[bare]) line += `   ${med(perRound[name].map((x, i) => x / perRound[bare][i])).toFixed(3)}x of the bare loop`;
  const base = `${name}-base`;
  if (perRound[base]) line += `   ${med(perRound[name].map((x, i) => x / perRound[base][i])).toFixed(3)}x of the baseline`;
  if (perRound["C-thread"] && name !== "C-thread" && !name.startsWith("bare")) {
    line += `   ${med(perRound[name].map((x, i) => x / perRound["C-thread"][i])).toFixed(3)}x of C-thread`;
  }
  lines.push(line);
}
console.log(lines.join("\n"));

if (json) {
  const { writeRun } = await import(join(root, "scripts/bench-record.mjs"));
  const kept = argv.filter((a, i) => a !== "--smoke" && a !== "--json" && argv[i - 1] !== "--json");
  writeRun(resolve(json), {
    kind: "bench-c",
    title: "The bench.c workload of libevent, time as a ratio to C libevent, programs taking turns run by run",
    command: `node scripts/bench-relay.mjs ${kept.map((a) => (/^[\w./=:,@+-]+$/.test(a) ? a : JSON.stringify(a))).join(" ")}`,
    notes: `Every program started once and warmed up (${warmup} runs), then asked for one run at a time in rotating order; a round is ${turns} runs of each; ratios: medians over ${rounds} rounds of a program's median run over C's (below 1.00 is faster), min/max: the spread of the rounds.`,
    results: names.map((n) => ({ program: all[n].label, workload, metric: `median time of ${turns} runs`, unit: "µs", better: "lower", value: med(perRound[n]), rounds: perRound[n] })),
    ratios,
  }, argv, { merge: true });
}
