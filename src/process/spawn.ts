// Child processes on the reactor: posix_spawn(3) (safe in a multi-threaded process, which every
// Bun and Deno process is; fork(2) would copy one thread of a runtime mid-flight), stdio pipes
// wrapped as BufferEvents, and the end watched with ProcessWatcher (a pidfd, or kqueue's
// EVFILT_PROC: see watch.ts).
import type { EventBase } from "../core/base.ts";
import { EV } from "../core/flags.ts";
import { BufferEvent } from "../net/bufferevent.ts";
import { constants as C, environment, Errno, hasSymbol, libc, NotAvailableError, setU64, StableBuffer, SyscallError, sys } from "../ffi/mod.ts";
import { type ProcessExit, ProcessWatcher, processWatchMechanism } from "./watch.ts";

/** What a child's stdin, stdout or stderr is connected to. */
export type StdioMode = "pipe" | "inherit" | "ignore";

/** Where the child runs, its environment, what its stdio is connected to, and who hears that it ended. */
export interface SpawnProcessOptions {
  /** Working directory of the child (default: this process's). */
  cwd?: string;
  /** The child's whole environment (default: this process's). */
  env?: Record<string, string>;
  /** "pipe" (a BufferEvent on this side), "inherit" (this process's own), "ignore" (/dev/null). Default "pipe". */
  stdin?: StdioMode;
  /** The child's stdout: "pipe" (default), "inherit" or "ignore". */
  stdout?: StdioMode;
  /** The child's stderr: "pipe" (default), "inherit" or "ignore". */
  stderr?: StdioMode;
  /** Called once when the child has ended, with its exit code or signal. */
  onExit?: (exit: ProcessExit) => void;
}

/** Size of glibc's posix_spawn_file_actions_t; the BSDs' is one pointer, which this covers. */
const FILE_ACTIONS_SIZE = 80;

const encoder = new TextEncoder();

/** NUL-terminated strings and the NULL-terminated array of their addresses, in stable memory. */
function cStringArray(strings: readonly string[]): { array: StableBuffer; keep: StableBuffer[] } {
  const keep = strings.map((s) => {
    const bytes = encoder.encode(s + "\0");
    const b = new StableBuffer(bytes.byteLength);
    b.bytes.set(bytes);
    return b;
  });
  const array = new StableBuffer(8 * (strings.length + 1));
  keep.forEach((b, i) => setU64(array.view, 8 * i, b.address));
  return { array, keep };
}

function checkMode(name: string, mode: unknown): StdioMode {
  if (mode === undefined) return "pipe";
  if (mode === "pipe" || mode === "inherit" || mode === "ignore") return mode;
  throw new TypeError(`${name} must be "pipe", "inherit" or "ignore", got ${typeof mode === "string" ? JSON.stringify(mode) : typeof mode}`);
}

/**
 * A running child process: its pid, its stdio as BufferEvents (null where not piped), and its end.
 *
 * @example
 * ```ts
 * import { BEV, EventBase, spawnProcess } from "evffi";
 *
 * const base = new EventBase();
 * const child = spawnProcess(base, ["sh", "-c", "echo hello; exit 3"], {
 *   onExit: (exit) => console.log("exit code", exit.code),        // prints: exit code 3
 * });
 * child.stdout!.setCallbacks((b) => console.log(new TextDecoder().decode(b.read())), null, (b, what) => {
 *   if (what & BEV.EOF) b.close();
 * });
 * base.loopSync();
 * ```
 */
export class ChildProcess {
  /** The child's process id. */
  readonly pid: number;
  /** Writes go to the child's stdin; `shutdownWrite()` or `close()` gives it end of file. */
  readonly stdin: BufferEvent | null;
  /** The child's output; enabled for reading. */
  readonly stdout: BufferEvent | null;
  /** The child's error output, enabled for reading; null unless stderr is "pipe". */
  readonly stderr: BufferEvent | null;
  /** Resolves when the child has ended. */
  readonly exited: Promise<ProcessExit>;
  private readonly watcher: ProcessWatcher;
  private exitValue: ProcessExit | null = null;

  /** @internal Use spawnProcess(). */
  constructor(
    base: EventBase, pid: number, pipes: { stdin: number; stdout: number; stderr: number },
    onExit: ((exit: ProcessExit) => void) | undefined,
  ) {
    this.pid = pid;
    const wrap = (fd: number, read: boolean): BufferEvent | null => {
      if (fd < 0) return null;
      const bev = new BufferEvent(base, fd);
      if (read) bev.enable(EV.READ);
      return bev;
    };
    this.stdin = wrap(pipes.stdin, false);
    this.stdout = wrap(pipes.stdout, true);
    this.stderr = wrap(pipes.stderr, true);
    let resolve!: (exit: ProcessExit) => void;
    this.exited = new Promise((r) => (resolve = r));
    this.watcher = new ProcessWatcher(base, pid, (exit) => {
      this.exitValue = exit;
      resolve(exit);
      onExit?.(exit);
    }, { reap: true });
  }

  /** How the child ended, or null while it runs. */
  get exit(): ProcessExit | null {
    return this.exitValue;
  }

  /**
   * Sends a signal to the child (default SIGTERM), through its pidfd where there is one; a no-op
   * once it has ended (and been reaped, so its pid cannot have been reused).
   */
  kill(signal: string | number = "SIGTERM"): void {
    if (this.exitValue === null) this.watcher.kill(signal);
  }

  /** Closes this side's pipes and stops watching (the child itself is left running). */
  close(): void {
    this.stdin?.close();
    this.stdout?.close();
    this.stderr?.close();
    this.watcher.close();
  }

  /** Same as close(), for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Starts `command` (argv; the program is looked up on PATH) as a child process. Throws
 * SyscallError (ENOENT for a program not found, EACCES, ...) with no fd left open.
 */
export function spawnProcess(base: EventBase, command: readonly string[], options: SpawnProcessOptions = {}): ChildProcess {
  if (!Array.isArray(command) || command.length === 0 || !command.every((a) => typeof a === "string")) {
    throw new TypeError(`command must be a non-empty array of strings, got ${Array.isArray(command) ? JSON.stringify(command) : typeof command}`);
  }
  if (command.some((a) => a.includes("\0"))) throw new TypeError("command arguments may not contain NUL bytes");
  if (typeof options !== "object" || options === null) throw new TypeError(`options must be an object, got ${options === null ? "null" : typeof options}`);
  const modes = { stdin: checkMode("stdin", options.stdin), stdout: checkMode("stdout", options.stdout), stderr: checkMode("stderr", options.stderr) };
  if (options.cwd !== undefined && (typeof options.cwd !== "string" || options.cwd === "")) throw new TypeError(`cwd must be a non-empty string, got ${typeof options.cwd}`);
  if (options.cwd !== undefined && !hasSymbol("posix_spawn_file_actions_addchdir_np")) {
    throw new SyscallError("posix_spawn_file_actions_addchdir_np", Errno.ENOSYS!, [options.cwd], "this libc cannot set a child's working directory");
  }
  // A child nothing could watch would never be reaped: refuse before starting it.
  if (processWatchMechanism() === null) throw new NotAvailableError("pidfd_open", "a child's end is watched with pidfds (Linux 5.3, glibc 2.36) or kqueue");
  const env = options.env ?? environment();
  const envList = Object.entries(env).map(([k, v]) => {
    if (k.includes("=") || k.includes("\0") || String(v).includes("\0")) throw new TypeError(`bad environment variable ${JSON.stringify(k)}`);
    return `${k}=${v}`;
  });

  const opened: number[] = [];
  const parentEnds = { stdin: -1, stdout: -1, stderr: -1 };
  const actions = new StableBuffer(FILE_ACTIONS_SIZE);
  let actionsReady = false;
  try {
    const check = (what: string, rc: number) => {
      if (rc !== 0) throw new SyscallError(what, rc, []);
    };
    check("posix_spawn_file_actions_init", libc.posix_spawn_file_actions_init(actions.bytes));
    actionsReady = true;
    const devNull = encoder.encode("/dev/null\0");
    (["stdin", "stdout", "stderr"] as const).forEach((name, childFd) => {
      const mode = modes[name];
      if (mode === "inherit") return;
      if (mode === "ignore") {
        check("posix_spawn_file_actions_addopen", libc.posix_spawn_file_actions_addopen(actions.bytes, childFd, devNull, C.O_RDWR, 0));
        return;
      }
      // Both ends close on exec; dup2 onto 0-2 in the child gives it a copy without that flag.
      // The child's end stays blocking (a program expects blocking stdio); ours is non-blocking.
      const [r, w] = sys.pipe({ nonBlocking: false });
      opened.push(r, w);
      const [childEnd, ourEnd] = childFd === 0 ? [r, w] : [w, r];
      sys.setNonBlocking(ourEnd);
      parentEnds[name] = ourEnd;
      check("posix_spawn_file_actions_adddup2", libc.posix_spawn_file_actions_adddup2(actions.bytes, childEnd, childFd));
    });
    if (options.cwd !== undefined) {
      check("posix_spawn_file_actions_addchdir_np", libc.posix_spawn_file_actions_addchdir_np(actions.bytes, encoder.encode(options.cwd + "\0")));
    }
    const argv = cStringArray(command);
    const envp = cStringArray(envList);
    const pid = new Int32Array(1);
    const rc = libc.posix_spawnp(new Uint8Array(pid.buffer), argv.keep[0]!.bytes, actions.bytes, null, argv.array.bytes, envp.array.bytes);
    if (rc !== 0) throw new SyscallError("posix_spawnp", rc, [command[0]], rc === Errno.ENOENT ? "no such program on PATH" : undefined);
    // The child has its copies now: close the child's ends here.
    for (const fd of opened) if (fd !== parentEnds.stdin && fd !== parentEnds.stdout && fd !== parentEnds.stderr) libc.close(fd);
    opened.length = 0;
    return new ChildProcess(base, pid[0]!, parentEnds, options.onExit);
  } catch (err) {
    for (const fd of opened) libc.close(fd);
    throw err;
  } finally {
    if (actionsReady) libc.posix_spawn_file_actions_destroy(actions.bytes);
  }
}
