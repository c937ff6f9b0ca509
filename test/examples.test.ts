// Every example in examples/ runs, on this runtime, and checks itself (most with --self-test; the
// others end on their own), so the README's examples stay true.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import process from "node:process";
import { hasSymbol, runtime } from "./deps.ts";
import { hangGuard } from "./helpers.ts";

const dir = new URL("../examples/", import.meta.url).pathname;
/** Arguments that make each example check itself and exit, and a line its output must contain. */
const runs: Record<string, { args: string[]; expect: RegExp; needs?: string }> = {
  "hello.ts": { args: [], expect: /loop returned 1/ },
  "echo.ts": { args: ["--self-test"], expect: /echoed: hello, echo/ },
  "http.ts": { args: ["--self-test"], expect: /Hello, World!/ },
  "serve.ts": { args: ["--self-test"], expect: /part 1 \/ part 2 \/ part 3/ },
  "client.ts": { args: [], expect: /you asked for \// },
  "signals.ts": { args: ["--self-test"], expect: /loop returned 1/ },
  "mt-echo.ts": { args: [], expect: /./ },
  "prefork.ts": { args: ["--self-test"], expect: /all children exited/ },
  "udp-echo.ts": { args: ["--self-test"], expect: /echoed 10 datagrams in order/ },
  "spawn.ts": { args: [], expect: /tick 3[\s\S]*exited with code 3/, needs: "pidfd_open" },
  "socket-activation.ts": { args: ["--self-test"], expect: /served on the inherited socket/ },
  "periodic.ts": { args: ["--self-test"], expect: /3 of 3 ticks on the 100 ms boundaries of the wall clock; loop returned 1/ },
  "handover.ts": { args: ["--self-test"], expect: /handed over without closing the port/ },
};

describe(`examples on ${runtime}`, () => {
  it("every example has an entry here", () => {
    const missing = readdirSync(dir).filter((f) => f.endsWith(".ts") && !(f in runs));
    assert.deepEqual(missing, []);
  });
  for (const [file, { args, expect, needs }] of Object.entries(runs)) {
    it(`${file} ${args.join(" ")}`.trim(), { skip: needs !== undefined && !hasSymbol(needs) && `needs ${needs}()` }, () => {
      const cmd = runtime === "deno" ? ["run", "--allow-all", dir + file, ...args] : [dir + file, ...args];
      const r = spawnSync(process.execPath, cmd, { encoding: "utf8", timeout: hangGuard(60_000) });
      assert.equal(r.status, 0, `${file} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, expect);
    });
  }
});
