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
#   scripts/build-c-bench.sh && [PIN=1] scripts/bench-ratio.sh "-n 1000 -a 100 -w 1000" [epoll]
set -euo pipefail
cd "$(dirname "$0")/.."
cfg=${1:?usage: scripts/bench-ratio.sh "-n N -a A -w W" [method]}
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
  }' "$method" "$cfg"
