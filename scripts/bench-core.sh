#!/usr/bin/env bash
# libevent's bench.c and bench_cascade.c workloads: C libevent, evffi on Bun, evffi on Deno, run
# alternately in one go, per backend. Prints the median lines. Build the C side first:
#   scripts/build-c-bench.sh && scripts/bench-core.sh [epoll poll select kqueue]
# BENCH_IDLE=1 adds the cost curve of one active socketpair among 100 / 1,000 / 9,000 idle ones
# (bench.c with -a 1). kqueue on Linux needs libkqueue (EVFFI_KQUEUE_LIBRARY=/path/libkqueue.so.0);
# Debian's C libevent has no kqueue there, so its C lines say so and the evffi lines stand alone.
# Each C line is followed by the same C program with one idle thread (-t): Bun and Deno processes
# are multi-threaded, which makes every fd lookup in the kernel dearer (see docs/benchmarks.md).
# For epoll a bare FFI loop (bench/bare-epoll.ts, no reactor) runs too: the floor under evffi.
set -euo pipefail
cd "$(dirname "$0")/.."
methods=${*:-epoll}
bun=node_modules/.bin/bun
deno="node_modules/.bin/deno run --allow-ffi --allow-read --allow-env"
rounds=${BENCH_ROUNDS:-2}
c_bench() {
  build/c/"$@" || { echo "# C libevent: $* not available"; return 0; }
  if [ "$1" = bench ]; then build/c/"$@" -t || true; fi
}
bare() { if [ "$1" = epoll ]; then shift; $bun bench/bare-epoll.ts -q "$@"; $deno bench/bare-epoll.ts -q "$@"; fi; }
for m in $methods; do
  for cfg in "-n 100 -a 1 -w 100" "-n 1000 -a 100 -w 1000" "-n 9000 -a 100 -w 1000"; do
    for round in $(seq "$rounds"); do
      c_bench bench -q -m "$m" $cfg | sed "s/^/[round $round] /"
      $bun bench/bench.ts -q -m "$m" $cfg | sed "s/^/[round $round] /"
      $deno bench/bench.ts -q -m "$m" $cfg | sed "s/^/[round $round] /"
      bare "$m" $cfg | sed "s/^/[round $round] /"
    done
  done
  if [ -n "${BENCH_IDLE:-}" ]; then
    for n in 100 1000 9000; do
      cfg="-n $n -a 1 -w 200 -r 9"
      for round in $(seq "$rounds"); do
        c_bench bench -q -m "$m" $cfg | sed "s/^/[idle, round $round] /"
        $bun bench/bench.ts -q -m "$m" $cfg | sed "s/^/[idle, round $round] /"
        $deno bench/bench.ts -q -m "$m" $cfg | sed "s/^/[idle, round $round] /"
      done
    done
  fi
  for n in 100 1000; do
    c_bench bench_cascade -q -m "$m" -n $n
    $bun bench/cascade.ts -q -m "$m" -n $n
    $deno bench/cascade.ts -q -m "$m" -n $n
  done
done
