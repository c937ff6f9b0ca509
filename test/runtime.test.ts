// The runtime boundary's environment access, in child processes with and without permission.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import process from "node:process";
import { runtime } from "./deps.ts";
import { hangGuard } from "./helpers.ts";

describe("runtime: reading the environment", () => {
  it("an unreadable environment (Deno without --allow-env) is reported once; a readable one not at all", () => {
    const script = new URL("./fixtures/env-denied.ts", import.meta.url).pathname;
    const args = runtime === "deno" ? ["run", "--allow-ffi", "--allow-read", script] : [script];
    const r = spawnSync(process.execPath, args, { encoding: "utf8", timeout: hangGuard(20_000) });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), "done");
    const notes = r.stderr.split("\n").filter((l) => l.includes("--allow-env"));
    if (runtime === "deno") {
      assert.equal(notes.length, 1, r.stderr);
      assert.match(notes[0], /EVENT_\* and EVFFI_\* variables are ignored/);
    } else {
      assert.equal(r.stderr, "");
    }
  });
});
