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
