#!/usr/bin/env bash
# 1e6 timers against C libevent: ROUNDS rounds (default 3), each running build/c/timers_million, then
# bench/timers-million.ts on Bun and on Deno, one run of each (-r 1), pinned to CPU ${PIN:-1}; prints each
# round's ms and the median of the per-round ratios to C, and the JS heap per pending timer.
#   scripts/build-c-bench.sh && [ROUNDS=5] [N=1000000] scripts/bench-timers.sh
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}
n=${N:-1000000}
pin="taskset -c ${PIN:-1}"
median_of() { grep -o "median [0-9]*" | awk '{print $2}'; }
rows=$(for round in $(seq "$rounds"); do
  c=$($pin build/c/timers_million -q -r 1 -n "$n" | median_of)
  bun_out=$($pin node_modules/.bin/bun bench/timers-million.ts -q -r 1 -n "$n")
  deno_out=$($pin node_modules/.bin/deno run --allow-ffi --allow-read --allow-env --v8-flags=--expose-gc bench/timers-million.ts -q -r 1 -n "$n")
  echo "round $round: C=$c bun=$(echo "$bun_out" | median_of) deno=$(echo "$deno_out" | median_of) (ms)" >&2
  echo "$bun_out" | grep "heap per" | sed 's/^# /  bun: /' >&2
  echo "$deno_out" | grep "heap per" | sed 's/^# /  deno: /' >&2
  echo "C=$c bun=$(echo "$bun_out" | median_of) deno=$(echo "$deno_out" | median_of)"
done)
echo "$rows" | node -e '
  const rows = require("fs").readFileSync(0, "utf8").trim().split("\n").map((l) =>
    Object.fromEntries([...l.matchAll(/(\w+)=(\d+)/g)].map((m) => [m[1], Number(m[2])])));
  const med = (xs) => { const s = [...xs].sort((a, b) => a - b); const h = s.length >> 1; return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2; };
  console.log(`# ${process.argv[1]} timers: median ratio to C libevent over ${rows.length} rounds (per-round ratios in brackets)`);
  for (const k of ["bun", "deno"]) {
    const r = rows.map((x) => x[k] / x.C);
    console.log(`${k.padEnd(5)} ${med(r).toFixed(2)}x  [${r.map((x) => x.toFixed(2)).join(" ")}]`);
  }' "$n"
