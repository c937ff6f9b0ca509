// Shared test helpers: the backend variants every kernel-touching test runs on, and fd hygiene.
import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import process from "node:process";
import { EventBase, type EventBaseOptions, getEnvForTests, runtime, supportedMethods, sys } from "./deps.ts";

export interface BackendVariant {
  label: string;
  options: EventBaseOptions;
}

/**
 * Every backend this platform has, plus epoll's variants (changelist, precise timer).
 * EVFFI_TEST_BACKENDS=poll,select narrows the list (by label).
 */
export function backendVariants(): BackendVariant[] {
  const variants: BackendVariant[] = supportedMethods().map((m) => ({ label: m, options: { method: m, ignoreEnv: true } }));
  if (supportedMethods().includes("epoll")) {
    variants.push({ label: "epoll (precise timer)", options: { method: "epoll", preciseTimer: true, ignoreEnv: true } });
    variants.push({ label: "epoll (precise, timerfd)", options: { method: "epoll", preciseTimer: "timerfd", ignoreEnv: true } });
  }
  const only = getEnvForTests("EVFFI_TEST_BACKENDS");
  const chosen = only ? variants.filter((v) => only.split(",").map((s) => s.trim()).includes(v.label)) : variants;
  if (chosen.some((v) => v.label === "kqueue")) warmUpKqueue();
  return chosen;
}

let kqueueWarm = false;
/**
 * libkqueue (kqueue on Linux) opens two process-wide fds on its first kqueue(), the epoll and
 * eventfd of its close monitor, and keeps them for the life of the process. Open them before any
 * test counts fds, so the leak checks see only what a base itself holds.
 */
function warmUpKqueue(): void {
  if (kqueueWarm) return;
  kqueueWarm = true;
  new EventBase({ method: "kqueue", ignoreEnv: true }).close();
}

/**
 * Runs `fn` with a fresh base of `variant`, checks the base's integrity when `fn` returned (its
 * counters, heap and evmap agree with its events), and closes it and any fds registered.
 */
export function withBase<T>(variant: BackendVariant, fn: (base: EventBase, fds: number[]) => T, extra: EventBaseOptions = {}): T {
  const base = new EventBase({ ...variant.options, ...extra });
  const fds: number[] = [];
  try {
    const result = fn(base, fds);
    if (!base.closed) base.checkIntegrity();
    return result;
  } finally {
    base.close();
    for (const fd of fds) sys.closeQuietly(fd);
  }
}

/** A socketpair whose fds are closed with the base (pushed onto `fds`). */
export function pair(fds: number[]): [number, number] {
  const p = sys.socketpair();
  fds.push(...p);
  return p;
}

/**
 * A skip reason when the suite runs under qemu-user (npm run test:arm64 sets EVFFI_TEST_EMULATOR)
 * and the test meets a limit of the emulator itself, named in `limit`; false otherwise.
 */
export function emulatorLimit(limit: string): string | false {
  return getEnvForTests("EVFFI_TEST_EMULATOR") === "qemu-user" && `emulator limit, qemu-user: ${limit}`;
}

/**
 * A limit that only stops a hung child or wait (never a measure of speed), stretched eightfold under
 * an emulator, where starting a runtime alone takes seconds.
 */
export function hangGuard(ms: number): number {
  return getEnvForTests("EVFFI_TEST_EMULATOR") ? ms * 8 : ms;
}

/** Spins the CPU for `ms` (to simulate a stalled callback without yielding). */
export function busyWait(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* stall */ }
}

/** Runs a fixture script in a child process of the same runtime, with a time limit. */
export function runChild(script: string, args: string[] = [], timeoutMs = 20_000, env: Record<string, string> = {}): SpawnSyncReturns<string> {
  const path = new URL(`./fixtures/${script}`, import.meta.url).pathname;
  const cmd = runtime === "deno" ? ["run", "--allow-all", path, ...args] : [path, ...args];
  return spawnSync(process.execPath, cmd, { encoding: "utf8", timeout: hangGuard(timeoutMs), env: { ...process.env, ...env } });
}

/** The two ways to run a base's loop, for tests that must hold under both. */
export const loopDrivers: { label: string; run: (base: EventBase, flags?: number) => Promise<number> }[] = [
  { label: "loopSync", run: (base, flags = 0) => Promise.resolve().then(() => base.loopSync(flags)) },
  { label: "await loop()", run: (base, flags = 0) => base.loop(flags) },
];

/** withBase for a test that awaits: checks integrity once `fn` settled, then closes the base and fds. */
export async function withBaseAsync<T>(variant: BackendVariant, fn: (base: EventBase, fds: number[]) => Promise<T>): Promise<T> {
  const base = new EventBase(variant.options);
  const fds: number[] = [];
  try {
    const result = await fn(base, fds);
    if (!base.closed) base.checkIntegrity();
    return result;
  } finally {
    base.close();
    for (const fd of fds) sys.closeQuietly(fd);
  }
}
