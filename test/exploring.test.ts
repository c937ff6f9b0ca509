// docs/exploring.md stays true: its REPL transcripts are run again (test/fixtures/transcript.ts, on
// this runtime, in a fresh process) and every line must match the page. Times are ignored, and
// numbers of 3 or more may differ (fd numbers, inode numbers, how many bytes the kernel's buffers
// hold): the call names, flags, errnos, bytes and small results are compared as written.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import process from "node:process";
import { runtime, supportedMethods } from "./deps.ts";
import { os } from "../src/ffi/mod.ts";

const page = readFileSync(new URL("../docs/exploring.md", import.meta.url), "utf8");
const expected = [...page.matchAll(/```text transcript\n([\s\S]*?)```/g)].map((m) => m[1].trimEnd().split("\n"));

function runTranscripts(): string[][] {
  const script = new URL("./fixtures/transcript.ts", import.meta.url).pathname;
  const args = runtime === "deno" ? ["run", "--allow-all", script] : [script];
  const r = spawnSync(process.execPath, args, { encoding: "utf8", timeout: 30_000, env: { ...process.env, EVFFI_REPL_QUIET: "1" } });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as string[][];
}

const withoutTime = (line: string) => line.replace(/ {2}<[0-9.]+ µs>$/, "");

/**
 * Compares a line of the page with the same line of a fresh run: the text between numbers must be
 * equal (call names, flags, errno names, bytes, results' shapes); a number may differ only if both
 * are 3 or more: fd and inode numbers depend on what the runtime holds open, and the bytes a full
 * socket takes on the kernel's buffer sizes. 0, 1, 2 and -1 (results, stdio) must be equal.
 */
function matchLine(want: string, got: string): string | null {
  const split = (s: string) => s.split(/(\d+)/);
  const w = split(withoutTime(want));
  const g = split(withoutTime(got));
  if (w.length !== g.length) return "different shape";
  for (let i = 0; i < w.length; i++) {
    if (i % 2 === 0) {
      if (w[i] !== g[i]) return `text ${JSON.stringify(w[i])} != ${JSON.stringify(g[i])}`;
    } else if (w[i] !== g[i] && (Number(w[i]) < 3 || Number(g[i]) < 3)) {
      return `number ${w[i]} != ${g[i]}`;
    }
  }
  return null;
}

describe("exploring: the transcripts of docs/exploring.md", { skip: (os !== "linux" || !supportedMethods().includes("epoll")) && "the page is a Linux epoll transcript" }, () => {
  it("every command prints what the page shows", () => {
    const actual = runTranscripts();
    assert.equal(actual.length, expected.length, "one run per transcript on the page");
    for (let s = 0; s < expected.length; s++) {
      const want = expected[s];
      const got = actual[s];
      const context = () => `transcript ${s + 1}:\n  page: ${want.join("\n        ")}\n  run:  ${got.join("\n        ")}`;
      assert.equal(got.length, want.length, `line count differs\n${context()}`);
      for (let i = 0; i < want.length; i++) {
        const problem = matchLine(want[i], got[i]);
        assert.equal(problem, null, `line ${i + 1}: ${problem}\n  page: ${want[i]}\n  run:  ${got[i]}`);
      }
    }
  });
});
