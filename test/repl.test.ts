// The `evffi` command: the runtime's own REPL with evffi's names as globals, driven over stdin.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import process from "node:process";
import { runtime } from "./deps.ts";
import { hangGuard } from "./helpers.ts";

const launcher = new URL("../bin/evffi.mjs", import.meta.url).pathname;

/** Runs `evffi <this runtime> ...args` (the launcher itself run by this runtime) with `input` as typed lines. */
function repl(input: string[], args: string[] = []) {
  const cmd = runtime === "deno" ? ["run", "--allow-all", launcher, "deno", ...args] : [launcher, "bun", ...args];
  return spawnSync(process.execPath, cmd, {
    input: input.join("\n") + "\n",
    encoding: "utf8",
    timeout: hangGuard(30_000),
    env: { ...process.env, NO_COLOR: "1" },
  });
}

describe("repl: the evffi command", () => {
  it("starts this runtime's REPL with a banner and evffi's names as globals", () => {
    const r = repl([
      "const [a, b] = sys.socketpair()",
      'sys.write(a, "hello")',
      'console.log("readable=" + fdInfo(b).readable)',
      'console.log("kind=" + fdInfo(b).kind + " ev=" + (typeof EventBase) + "/" + EV.READ)',
      "sys.close(a); sys.close(b)",
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^evffi on (bun|deno) [0-9.]+ \(/m);
    assert.match(r.stdout, /readable=5/);
    assert.match(r.stdout, /kind=socket ev=function\/2/);
    assert.doesNotMatch(r.stdout + r.stderr, /ReferenceError|is not defined/);
  });

  it("--trace=name turns trace mode on for those calls", () => {
    const r = repl(["const [a, b] = sys.socketpair()", 'sys.write(a, "x")', "sys.close(a); sys.close(b)"], ["--trace=socketpair,close"]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /socketpair\(AF_UNIX, SOCK_STREAM\|SOCK_NONBLOCK\|SOCK_CLOEXEC, 0, \[\d+, \d+\]\) = 0/);
    assert.match(r.stderr, /^close\(\d+\) = 0/m);
    assert.doesNotMatch(r.stderr, /^write\(/m);
  });

  it("refuses an unknown argument with the usage", () => {
    const r = repl([], ["--bogus"]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown argument "--bogus"\nusage: evffi/);
  });
});
