#!/usr/bin/env bash
# libevent's bench.c and bench_cascade.c workloads: C libevent, evffi on Bun, evffi on Deno, run
# alternately in one go, per backend. Prints the median lines. Build the C side first:
#   scripts/build-c-bench.sh && scripts/bench-core.sh [epoll poll select]
set -euo pipefail
cd "$(dirname "$0")/.."
methods=${*:-epoll}
bun=node_modules/.bin/bun
deno="node_modules/.bin/deno run --allow-ffi --allow-read --allow-env"
for m in $methods; do
  for cfg in "-n 100 -a 1 -w 100" "-n 1000 -a 100 -w 1000" "-n 9000 -a 100 -w 1000"; do
    for round in 1 2; do
      build/c/bench -q -m "$m" $cfg | sed "s/^/[round $round] /"
      $bun bench/bench.ts -q -m "$m" $cfg | sed "s/^/[round $round] /"
      $deno bench/bench.ts -q -m "$m" $cfg | sed "s/^/[round $round] /"
    done
  done
  for n in 100 1000; do
    build/c/bench_cascade -q -m "$m" -n $n
    $bun bench/cascade.ts -q -m "$m" -n $n
    $deno bench/cascade.ts -q -m "$m" -n $n
  done
done
