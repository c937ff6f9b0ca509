// Command-line options shared by the benchmark scripts: `-n 100 -a 1 -w 100 -m epoll -q`.
import { scriptArgs } from "../src/ffi/mod.ts";

/** The value after `name`, or `fallback`. */
export function option(name: string, fallback: string): string {
  const args = scriptArgs();
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
}

/** Whether a bare flag such as `-q` was given. */
export function flag(name: string): boolean {
  return scriptArgs().includes(name);
}

/**
 * Runs `runOnce` `runs` times (printing each µs figure unless `quiet`) and returns the median µs.
 * `-W N` first makes N untimed runs: bench.c's 25 runs of a small workload end before the JIT has
 * optimized the hot path, so without a warm-up a JS figure mixes tiers (C needs none).
 */
export function timeRuns(runs: number, quiet: boolean, runOnce: () => number): number {
  const warmup = Number(option("-W", "0"));
  for (let i = 0; i < warmup; i++) runOnce();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const us = runOnce();
    times.push(us);
    if (!quiet) console.log(Math.round(us));
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}
