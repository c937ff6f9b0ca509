#!/usr/bin/env bash
# Did a change cost the hot path? Runs the same benchmark in two checkouts of evffi (OLD and NEW,
# e.g. a `git worktree` of the commit before), alternating them in ROUNDS rounds (default 8),
# pinned to CPU ${PIN:-1}, and prints the median of the per-round NEW/OLD ratios of the benchmark's
# "median N" figure, per runtime. Ratios below 1 mean NEW is faster.
#   OLD=/tmp/old-tree scripts/bench-trees.sh bench/bench.ts -q -m epoll -n 100 -a 1 -w 100 -r 51 -W 200
set -euo pipefail
new=$(cd "$(dirname "$0")/.." && pwd)
old=${OLD:?set OLD to the other checkout}
rounds=${ROUNDS:-8}
pin="taskset -c ${PIN:-1}"
for rt in bun deno; do
  ratios=""
  for round in $(seq "$rounds"); do
    for tree in "$old" "$new"; do
      if [ "$rt" = bun ]; then cmd=("$new/node_modules/.bin/bun" "$@"); else cmd=("$new/node_modules/.bin/deno" run --allow-ffi --allow-read --allow-env "$@"); fi
      value=$(cd "$tree" && $pin "${cmd[@]}" | grep -o "median [0-9.]*" | awk '{print $2}')
      if [ "$tree" = "$old" ]; then o=$value; else n=$value; fi
    done
    ratios="$ratios $(node -e "console.log(($n / $o).toFixed(3))")"
  done
  node -e '
    const r = process.argv[2].trim().split(/\s+/).map(Number).sort((a, b) => a - b);
    const h = r.length >> 1, med = r.length % 2 ? r[h] : (r[h - 1] + r[h]) / 2;
    console.log(`${process.argv[1].padEnd(5)} new/old median ${med.toFixed(3)}  [${r.join(" ")}]`);' "$rt" "$ratios"
done
