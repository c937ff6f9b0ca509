#!/usr/bin/env bash
# bench.c's workload as ratios to C libevent, measured so that a noisy machine still gives a usable
# figure: ROUNDS rounds (default 8), each running C, evffi on Bun, evffi on Deno and (for epoll) the
# bare FFI loops back to back with short runs (-r 51), so that every ratio compares programs that
# ran seconds apart; the summary gives each program's median ratio to C over the rounds, and to C
# with one idle thread ("C-thread": the kernel's fd lookups then cost what they cost the
# always-multi-threaded runtimes, see docs/benchmarks.md). The JS
# programs first make WARMUP untimed runs (-W, default 200) so the figures are of JIT-optimized code.
# PIN=N runs every program on CPU N only (taskset): the runtimes' helper threads then share the
# loop's CPU instead of running beside it, which removes most of the noise (see docs/benchmarks.md).
# --json FILE also writes the run as data (bench/results/README.md; `npm run charts` draws it); a
# file that already holds a run of the same day gets this workload's figures appended, so one file
# can gather several workloads. --smoke marks the file as a check that the script runs, not a result.
#   scripts/build-c-bench.sh && [PIN=1] scripts/bench-ratio.sh "-n 1000 -a 100 -w 1000" [epoll] [--json FILE [--smoke]]
set -euo pipefail
cd "$(dirname "$0")/.."
json=
smoke=
positional=()
while [ $# -gt 0 ]; do
  case $1 in
    --json) json=${2:?--json needs a file name}; shift 2 ;;
    --smoke) smoke=--smoke; shift ;;
    *) positional+=("$1"); shift ;;
  esac
done
set -- "${positional[@]}"
cfg=${1:?usage: scripts/bench-ratio.sh "-n N -a A -w W" [method] [--json FILE [--smoke]]}
method=${2:-epoll}
rounds=${ROUNDS:-8}
warmup=${WARMUP:-200}
pin=${PIN:+taskset -c $PIN}
bun="$pin node_modules/.bin/bun"
deno="$pin node_modules/.bin/deno run --allow-ffi --allow-read --allow-env"
median_of() { grep -o "median [0-9]*" | awk '{print $2}'; }
rows=$(for round in $(seq "$rounds"); do
  c=$($pin build/c/bench -q -m "$method" $cfg -r 51 | median_of)
  line="C=$c"
  line="$line C-thread=$($pin build/c/bench -q -t -m "$method" $cfg -r 51 | median_of)"
  line="$line bun=$($bun bench/bench.ts -q -m "$method" $cfg -r 51 -W "$warmup" | median_of)"
  line="$line deno=$($deno bench/bench.ts -q -m "$method" $cfg -r 51 -W "$warmup" | median_of)"
  if [ "$method" = epoll ]; then
    line="$line bare-bun=$($bun bench/bare-epoll.ts -q $cfg -r 51 -W "$warmup" | median_of)"
    line="$line bare-deno=$($deno bench/bare-epoll.ts -q $cfg -r 51 -W "$warmup" | median_of)"
  fi
  echo "round $round: $line (us)" >&2
  echo "$line"
done)
echo "$rows" | node -e '
  const rows = require("fs").readFileSync(0, "utf8").trim().split("\n").map((l) =>
    Object.fromEntries([...l.matchAll(/([\w-]+)=(\d+)/g)].map((m) => [m[1], Number(m[2])])));
  const med = (xs) => { const s = [...xs].sort((a, b) => a - b); const h = s.length >> 1; return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2; };
  console.log(`# ${process.argv[1]} ${process.argv[2]}: median ratio to C libevent over ${rows.length} rounds (per-round ratios in brackets)`);
  for (const k of Object.keys(rows[0]).filter((k) => k !== "C")) {
    const r = rows.map((x) => x[k] / x.C);
    const t = rows.map((x) => x[k] / x["C-thread"]);
    const vsThread = k === "C-thread" ? "" : `   ${med(t).toFixed(2)}x of C-thread`;
    console.log(`${k.padEnd(10)} ${med(r).toFixed(2)}x  [${r.map((x) => x.toFixed(2)).join(" ")}]${vsThread}`);
  }
  const [method, cfg, json, smoke, env] = process.argv.slice(1);
  if (json) import(require("path").resolve("scripts/bench-record.mjs")).then(({ writeRun }) => {
    const names = { C: "C libevent", "C-thread": "C libevent, +1 idle thread", bun: "evffi (Bun)", deno: "evffi (Deno)", "bare-bun": "bare FFI loop (Bun)", "bare-deno": "bare FFI loop (Deno)" };
    const workload = `${method} ${cfg.replace(/-(\w) (\S+)/g, "$1=$2")}`;
    const r2 = (x) => Math.round(x * 100) / 100;
    const ratios = [];
    for (const peer of ["C", "C-thread"]) {
      for (const k of Object.keys(rows[0]).filter((k) => k !== "C" && k !== peer && !(peer === "C-thread" && k.startsWith("bare")))) {
        const r = rows.map((x) => x[k] / x[peer]);
        ratios.push({ program: names[k], peer: names[peer], workload, metric: "time", better: "lower", value: r2(med(r)), min: r2(Math.min(...r)), max: r2(Math.max(...r)) });
      }
    }
    writeRun(json, {
      kind: "bench-c",
      title: "The bench.c workload of libevent, time as a ratio to C libevent",
      command: `${env}scripts/bench-ratio.sh "CFG" METHOD`,
      notes: `Each round runs every program back to back (51 runs each, median µs); ratios: medians of the per-round ratios of run time (below 1.00 is faster), min/max: the spread of the rounds.`,
      results: Object.keys(rows[0]).map((k) => ({ program: names[k], workload, metric: "median time of 51 runs", unit: "µs", better: "lower", value: med(rows.map((x) => x[k])), rounds: rows.map((x) => x[k]) })),
      ratios,
    }, smoke ? ["--smoke"] : [], { merge: true });
  });' "$method" "$cfg" "$json" "$smoke" "${PIN:+PIN=$PIN }ROUNDS=$rounds WARMUP=$warmup "
