// Child processes and pids on the reactor: spawnProcess (posix_spawn, stdio as BufferEvents) and
// ProcessWatcher (a pidfd, or kqueue's EVFILT_PROC: under EVFFI_PORTABLE=1 with libkqueue here),
// with real processes on every backend.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import process from "node:process";
import { readdirSync, readlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import {
  BEV, type BufferEvent, kqueueUnavailableReason, loadKqueue, NotAvailableError, type ProcessExit, ProcessWatcher,
  processWatchMechanism, spawnProcess, SyscallError,
} from "./deps.ts";
import { backendVariants, emulatorLimit, withBase } from "./helpers.ts";

const mechanism = processWatchMechanism();
const unwatchable = mechanism === null &&
  `no pidfd_open (Linux 5.3 and glibc 2.36 only, and left unbound by EVFFI_PORTABLE) and no kqueue: ${kqueueUnavailableReason()}`;
/** libkqueue (kqueue emulated on Linux) rather than the OS's own kqueue. */
const libkqueue = mechanism === "kqueue" && loadKqueue()?.native === false;

const openFds = () => new Set(readdirSync("/proc/self/fd"));
/** What fd `fd` of this process is ("pipe:[123]", "anon_inode:[pidfd]", ...), or "" once closed. */
function fdTarget(fd: string): string {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return "";
  }
}
/**
 * The fds of the kinds a spawn opens (pipes and sockets for stdio, a pidfd) that are open now and
 * were not at `before`: what the test left open, each with its kind. Compared as sets, not counts:
 * fds that other code closes meanwhile (a Worker of an earlier test's `await loop()` ending in the
 * background) must not make the count look wrong. Other kinds are left out: the runtime may open
 * an epoll, eventfd or signalfd of its own in the background while a test runs.
 */
const leftOpen = (before: Set<string>) =>
  [...openFds()].filter((fd) => !before.has(fd)).map((fd) => `${fd} ${fdTarget(fd)}`)
    .filter((entry) => /^\d+ (pipe:|socket:|anon_inode:\[pidfd\])/.test(entry));

/** Collects a BufferEvent's input until EOF. */
function collect(bev: BufferEvent, into: { text: string }): void {
  bev.setCallbacks((b) => void (into.text += new TextDecoder().decode(b.read())), null, (b, what) => {
    if (what & (BEV.EOF | BEV.ERROR)) b.close();
  });
}

for (const variant of backendVariants()) {
  describe(`processes on ${variant.label}, watched with ${mechanism ?? "nothing (skipped)"}`, { skip: unwatchable }, () => {
    it("spawnProcess: stdin in, stdout and stderr out, the exit code reported once", () => {
      withBase(variant, (base) => {
        const before = openFds();
        const out = { text: "" }, err = { text: "" };
        const exits: unknown[] = [];
        const child = spawnProcess(base, ["sh", "-c", "tr a-z A-Z; echo oops >&2; exit 7"], { onExit: (e) => void exits.push(e) });
        collect(child.stdout!, out);
        collect(child.stderr!, err);
        child.stdin!.write("hello from the parent\n");
        child.stdin!.shutdownWrite();
        base.loopSync();
        assert.equal(out.text, "HELLO FROM THE PARENT\n");
        assert.equal(err.text, "oops\n");
        assert.deepEqual(exits, [{ pid: child.pid, code: 7, signal: null, statusKnown: true }]);
        assert.deepEqual(child.exit, exits[0]);
        child.close();
        assert.deepEqual(leftOpen(before), [], "no fd left open");
      });
    });

    it("a child killed by a signal reports the signal's name; cwd, env and ignored stdio apply", async () => {
      const out = { text: "" };
      const exited = withBase(variant, (base) => {
        const child = spawnProcess(base, ["sh", "-c", 'echo "$PWD $GREETING"; exec sleep 30'], {
          cwd: tmpdir(), env: { GREETING: "hi", PATH: process.env.PATH ?? "/usr/bin:/bin" }, stdin: "ignore", stderr: "ignore",
        });
        assert.equal(child.stdin, null);
        assert.equal(child.stderr, null);
        child.stdout!.setCallbacks((b) => {
          out.text += new TextDecoder().decode(b.read());
          if (out.text.endsWith("\n")) child.kill("SIGKILL");
        }, null, (b) => b.close());
        base.loopSync();
        assert.deepEqual(child.exit, { pid: child.pid, code: null, signal: "SIGKILL", statusKnown: true });
        child.close();
        return child.exited.then((e) => [e, child.pid] as const);
      });
      assert.equal(out.text, `${tmpdir()} hi\n`);
      const [exit, pid] = await exited;
      assert.equal(exit.pid, pid, "exited resolves with the same report");
    });

    it("ProcessWatcher reports a runtime-started child's exit code and leaves it for the runtime to reap", async () => {
      const exits: unknown[] = [];
      const reaped = withBase(variant, (base) => {
        const child = spawn("sh", ["-c", "exit 5"], { stdio: "ignore" });
        const closed = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
        new ProcessWatcher(base, child.pid!, (e) => void exits.push(e));
        base.loopSync();
        return closed.then((code) => [code, child.pid] as const);
      });
      const [runtimeCode, pid] = await reaped;
      assert.equal(runtimeCode, 5, "the runtime still reaped its child (no ECHILD)");
      assert.deepEqual(exits, [{ pid, code: 5, signal: null, statusKnown: true }]);
    });

    it("a process that is not a child: its end is reported, without a status the kernel does not give", () => {
      withBase(variant, (base) => {
        const before = openFds();
        const exits: ProcessExit[] = [];
        let refused: unknown = null;
        let text = "";
        // sh starts head in the background and exits, so head is never this process's child. A
        // background job's own stdin is /dev/null, so head reads sh's stdin through fd 3; it
        // exits when that pipe closes.
        const sh = spawnProcess(base, ["sh", "-c", "exec 3<&0; head -c1 <&3 >/dev/null 2>&1 & echo $!"], { stderr: "ignore" });
        sh.stdout!.setCallbacks((b) => {
          text += new TextDecoder().decode(b.read());
          if (!text.endsWith("\n")) return;
          try {
            new ProcessWatcher(base, Number(text), (e) => void exits.push(e));
          } catch (err) {
            refused = err;
          }
          sh.stdin!.shutdownWrite();
        }, null, (b) => b.close());
        base.loopSync();
        sh.close();
        const pid = Number(text);
        assert.ok(pid > 0 && pid !== sh.pid, `head's pid, got ${JSON.stringify(text)}`);
        if (libkqueue) {
          // libkqueue's EVFILT_PROC reads every status with waitid, which answers ECHILD for
          // others' processes, and then drops the exit: refused up front rather than never told.
          assert.ok(refused instanceof NotAvailableError && /own children only/.test(refused.message), String(refused));
          assert.deepEqual(exits, []);
        } else {
          assert.equal(refused, null);
          // Linux (pidfd) and macOS (NOTE_EXITSTATUS is the parent's) give no status for another's
          // process; FreeBSD's NOTE_EXIT always does.
          const expected = process.platform === "freebsd" ? { pid, code: 0, signal: null, statusKnown: true } : { pid, code: null, signal: null, statusKnown: false };
          assert.deepEqual(exits, [expected]);
        }
        assert.deepEqual(leftOpen(before), [], "no fd left open");
      });
    });
  });
}

describe("processes: bad input", { skip: unwatchable }, () => {
  it("a program not on PATH throws ENOENT naming PATH and leaves nothing open", {
    skip: emulatorLimit("it runs glibc's clone(CLONE_VM | CLONE_VFORK) as a fork, so posix_spawn cannot report a failed exec"),
  }, () => {
    withBase(backendVariants()[0]!, (base) => {
      const before = openFds();
      assert.throws(() => spawnProcess(base, ["definitely-not-a-program-evffi"]), (e: Error) => e instanceof SyscallError && e.code === "ENOENT" && /PATH/.test(e.message));
      assert.deepEqual(leftOpen(before), []);
      assert.equal(base.count(), 0);
    });
  });

  it("names the problem and leaves nothing open", () => {
    withBase(backendVariants()[0]!, (base) => {
      const before = openFds();
      assert.throws(() => spawnProcess(base, []), /non-empty array of strings/);
      assert.throws(() => spawnProcess(base, ["sh"], { stdout: "file" as never }), /stdout must be "pipe", "inherit" or "ignore", got "file"/);
      assert.throws(() => spawnProcess(base, ["sh", "a\0b"]), /NUL/);
      assert.throws(() => new ProcessWatcher(base, 0, () => {}), TypeError);
      // A pid that is surely unused: the kernel's pid_max is below 2^22.
      assert.throws(() => new ProcessWatcher(base, 4_194_304 + 17, () => {}), (e: Error) => e instanceof SyscallError && e.code === "ESRCH");
      assert.deepEqual(leftOpen(before), []);
      assert.equal(base.count(), 0);
    });
  });
});
