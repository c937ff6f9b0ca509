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

/** Runs `runOnce` `runs` times (printing each µs figure unless `quiet`) and returns the median µs. */
export function timeRuns(runs: number, quiet: boolean, runOnce: () => number): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const us = runOnce();
    times.push(us);
    if (!quiet) console.log(Math.round(us));
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}
