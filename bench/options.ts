// Command-line options shared by the benchmark scripts: `-n 100 -a 1 -w 100 -m epoll -q`.
import { libc, scriptArgs, u64arg } from "../src/ffi/mod.ts";

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

/**
 * With `-s`, serves runs on request for scripts/bench-relay.mjs, and returns true once stdin ends:
 * prints `ready`, then for each line read from stdin makes one run and prints its µs on a line.
 * Reads and writes go straight to fds 0 and 1, blocking, so nothing is left in a runtime's buffers
 * while the relay waits for the answer. Without `-s`, returns false at once.
 */
export function serveRuns(runOnce: () => number): boolean {
  if (!flag("-s")) return false;
  const encoder = new TextEncoder();
  const say = (text: string): void => {
    const bytes = encoder.encode(`${text}\n`);
    libc.write(1, bytes, u64arg(bytes.length));
  };
  const input = new Uint8Array(256);
  const size = u64arg(input.length);
  say("ready");
  for (;;) {
    const n = libc.read(0, input, size);
    if (n <= 0) return true;
    for (let i = 0; i < n; i++) if (input[i] === 10) say(String(Math.round(runOnce())));
  }
}
