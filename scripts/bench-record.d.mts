// Types of scripts/bench-record.mjs, for the benchmarks that import it (bench/*.ts).

/** One measured value (bench/results/README.md). */
export interface RunResult {
  program: string;
  workload?: string;
  metric: string;
  unit: string;
  better: "higher" | "lower";
  value: number;
  rounds?: number[];
}
/** One ratio, program / peer (bench/results/README.md). */
export interface RunRatio {
  program: string;
  peer: string;
  workload?: string;
  metric: string;
  better: "higher" | "lower";
  value: number;
  min?: number;
  max?: number;
}
/** What a benchmark script measured; writeRun adds the format, date, machine and versions. */
export interface RunFigures {
  kind: string;
  title: string;
  command: string;
  notes: string;
  results: RunResult[];
  ratios: RunRatio[];
}
/** The file named after `--json` in `argv`, or undefined. */
export function jsonArgument(argv: readonly string[]): string | undefined;
/** The command line that reproduces a run, without `--json FILE` and `--smoke`. */
export function commandLine(prefix: string, args: readonly string[]): string;
/** The machine a run is on. */
export function describeMachine(): Record<string, string | number>;
/** The versions of Bun, Deno, node, the C compiler and libevent that are there. */
export function describeVersions(): Record<string, string>;
/** Writes one run to `file`; `--smoke` in `argv` marks it as a smoke run; `merge` appends to a same-day run of the same kind. */
export function writeRun(file: string, run: RunFigures, argv?: readonly string[], options?: { merge?: boolean }): void;
