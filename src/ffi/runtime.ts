// Which runtime and platform we are on. This folder (src/ffi) is the only place in evffi that may
// know about Bun or Deno; everything above it sees the neutral names exported here.

// deno-lint-ignore no-explicit-any
const g = globalThis as any;

/** The JavaScript runtimes evffi runs on. */
export type RuntimeName = "bun" | "deno";

/** The host runtime, decided once from `globalThis`. */
export const runtime: RuntimeName = (() => {
  if (typeof g.Bun !== "undefined") return "bun";
  if (typeof g.Deno !== "undefined" && typeof g.Deno.dlopen === "function") return "deno";
  throw new Error(
    "evffi needs Bun or Deno (it calls libc through bun:ffi or Deno.dlopen); " +
      `this looks like ${typeof g.process !== "undefined" ? "Node.js " + g.process.version : "an unknown runtime"}`,
  );
})();

/** Runtime version string, e.g. "bun 1.4.5" or "deno 2.9.6". */
export const runtimeVersion: string = runtime === "bun" ? `bun ${g.Bun.version}` : `deno ${g.Deno.version.deno}`;

/** The operating systems evffi has layouts and constants for. */
export type OsName = "linux" | "darwin" | "freebsd";
/** The CPU architectures evffi has layouts for. */
export type ArchName = "x64" | "arm64";

function detectOs(): OsName {
  const os: string = runtime === "bun" ? g.process.platform : g.Deno.build.os;
  if (os === "linux" || os === "darwin" || os === "freebsd") return os;
  throw new Error(`evffi does not support the operating system ${JSON.stringify(os)} (linux, darwin, freebsd)`);
}

function detectArch(): ArchName {
  const arch: string = runtime === "bun" ? g.process.arch : g.Deno.build.arch;
  if (arch === "x64" || arch === "x86_64") return "x64";
  if (arch === "arm64" || arch === "aarch64") return "arm64";
  throw new Error(`evffi does not support the CPU architecture ${JSON.stringify(arch)} (x86_64, aarch64)`);
}

/** The operating system, decided once at load. */
export const os: OsName = detectOs();
/** The CPU architecture, decided once at load. */
export const arch: ArchName = detectArch();
/** Key of the layout and constant tables: "linux-x64", "darwin-arm64", ... */
export const platform = `${os}-${arch}` as const;

let envDenialReported = false;

/**
 * An environment variable, or undefined (also when Deno was not granted --allow-env: the first
 * time one of evffi's own variables, EVENT_* or EVFFI_*, cannot be read, stderr says so once, as a
 * setting silently ignored is hard to find).
 */
export function getEnv(name: string): string | undefined {
  try {
    return runtime === "bun" ? g.process.env[name] : g.Deno.env.get(name);
  } catch {
    if (!envDenialReported && /^(EVENT|EVFFI)_/.test(name)) {
      envDenialReported = true;
      console.error(`evffi: no permission to read the environment (run Deno with --allow-env): ${name} and the other EVENT_* and EVFFI_* variables are ignored`);
    }
    return undefined;
  }
}

/** The whole environment (empty without --allow-env on Deno). */
export function environment(): Record<string, string> {
  try {
    if (runtime === "deno") return g.Deno.env.toObject();
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(g.process.env)) if (typeof v === "string") env[k] = v;
    return env;
  } catch {
    return {};
  }
}

/** Removes an environment variable (so child processes do not inherit it). False without --allow-env on Deno. */
export function unsetEnv(name: string): boolean {
  try {
    if (runtime === "bun") delete g.process.env[name];
    else g.Deno.env.delete(name);
    return true;
  } catch {
    return false;
  }
}

/** The script's command-line arguments (after the script path). */
export function scriptArgs(): string[] {
  return runtime === "bun" ? g.process.argv.slice(2) : [...g.Deno.args];
}

/** The runtime's memory figures after a full garbage collection, where the runtime allows forcing one. */
function memoryAfterGc(): { heapUsed: number; external: number } {
  if (runtime === "bun") {
    g.Bun.gc(true);
    return g.process.memoryUsage();
  }
  if (typeof g.gc === "function") g.gc();
  return g.Deno.memoryUsage();
}

/** Bytes of JS heap in use, after a full garbage collection where the runtime allows forcing one. */
export function heapUsedAfterGc(): number {
  return memoryAfterGc().heapUsed;
}

/**
 * Bytes outside the JS heap that JS objects hold (ArrayBuffer storage), after a full garbage
 * collection where the runtime allows forcing one.
 */
export function externalAfterGc(): number {
  return memoryAfterGc().external;
}

/** Lets the host's event loop run one turn (timers, I/O, signal listeners), then resumes. */
export function yieldToHost(): Promise<void> {
  return new Promise((resolve) => g.setImmediate(resolve));
}

/** Installs a host signal listener (process.on on Bun, Deno.addSignalListener on Deno). */
export function addHostSignalListener(name: string, listener: () => void): void {
  if (runtime === "bun") g.process.on(name, listener);
  else g.Deno.addSignalListener(name, listener);
}

/** Removes a listener installed by addHostSignalListener; the default action returns with the last one. */
export function removeHostSignalListener(name: string, listener: () => void): void {
  if (runtime === "bun") g.process.off(name, listener);
  else g.Deno.removeSignalListener(name, listener);
}

/** Whether this code runs in a Worker rather than on the main thread. */
export const inWorker: boolean = typeof g.WorkerGlobalScope !== "undefined" && g instanceof g.WorkerGlobalScope ||
  (runtime === "bun" && typeof g.Bun !== "undefined" && !g.Bun.isMainThread);

// ---- Workers and child processes (used by src/threads) ------------------------------------------

/** A Worker as the rest of evffi sees it. */
export interface HostWorker {
  /** postMessage to the Worker (structured clone; SharedArrayBuffers are shared, not copied). */
  post(message: unknown): void;
  /** Ends the Worker. Never call it while the Worker may be blocked in FFI (Deno then never exits). */
  terminate(): void;
  /** Whether the Worker keeps the process alive (Bun can drop that; on Deno a Worker always does until terminated). */
  ref(): void;
  unref(): void;
}

export interface HostWorkerHandlers {
  message(data: unknown): void;
  /** An error the Worker did not catch (the runtime's default reporting is suppressed where it can be). */
  error(error: { message: string; stack?: string }): void;
}

/** Starts a module Worker running `url` (permissions inherited from this thread), named `name`. */
export function startWorker(url: string | URL, handlers: HostWorkerHandlers, name?: string): HostWorker {
  const worker = new g.Worker(String(url), name === undefined ? { type: "module" } : { type: "module", name });
  worker.onmessage = (e: { data: unknown }) => handlers.message(e.data);
  worker.onmessageerror = (e: { data: unknown }) => handlers.error({ message: `a message from the Worker could not be deserialized: ${String(e.data)}` });
  worker.onerror = (e: { message?: string; error?: { stack?: string }; preventDefault?: () => void }) => {
    // Deno otherwise turns a Worker's uncaught error into an uncaught error of this thread.
    e.preventDefault?.();
    handlers.error({ message: String(e.message ?? e), stack: e.error?.stack });
  };
  return {
    post: (message) => worker.postMessage(message),
    terminate: () => worker.terminate(),
    ref: () => worker.ref?.(),
    unref: () => worker.unref?.(),
  };
}

/** In a Worker: the name it was started with (the `name` option of `new Worker`), else "". */
export function workerName(): string {
  if (!inWorker) return "";
  // Deno sets the global `name`, as browsers do; Bun keeps it only as worker_threads' threadName.
  const name = runtime === "bun"
    ? (import.meta as unknown as { require(id: string): { threadName?: unknown } }).require("node:worker_threads").threadName
    : g.name;
  return typeof name === "string" ? name : "";
}

/** In a Worker: the channel to the thread that started it. Throws on the main thread. */
export function parentPort(): { post(message: unknown): void; onMessage(handler: (data: unknown) => void): void; close(): void } {
  if (!inWorker) throw new Error("parentPort() is only available inside a Worker");
  return {
    post: (message) => g.postMessage(message),
    onMessage: (handler) => {
      g.onmessage = (e: { data: unknown }) => handler(e.data);
    },
    close: () => {
      g.onmessage = null;
    },
  };
}

/** The runtime's own executable (for starting a child process of the same runtime). */
export function executablePath(): string {
  return runtime === "bun" ? g.process.execPath : g.Deno.execPath();
}

/**
 * The command line that runs `script` (a file path) with `args` on runtime `on` (default: this
 * one) through `executable` (default: this process's executable when `on` is this runtime, else
 * the runtime's name on PATH), with the permissions evffi needs.
 */
export function scriptCommand(script: string, args: readonly string[] = [], on: RuntimeName = runtime, executable?: string): string[] {
  const exe = executable ?? (on === runtime ? executablePath() : on);
  return on === "deno" ? [exe, "run", "--allow-all", script, ...args] : [exe, script, ...args];
}
