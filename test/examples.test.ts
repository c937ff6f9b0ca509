// Every example in examples/ runs, on this runtime, and checks itself (most with --self-test; the
// others end on their own), so the README's examples stay true.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

/** Examples that serve until stopped: each is the README's snippet of that name, checked below. */
const servers = ["hello-serve.ts"];

/** The example's code without its leading comment, importing "evffi" as the README shows it. */
function asInReadme(file: string): string {
  const code = readFileSync(dir + file, "utf8").replace(/^(\/\/.*\n)+/, "");
  return code.replace(`from "../src/mod.ts"`, `from "evffi"`);
}

/** Starts `path` on this runtime and resolves with the URL it prints ("listening on URL"). */
function startServer(path: string): { url: Promise<string>; stop: () => void } {
  const cmd = runtime === "deno" ? ["run", "--allow-all", path] : [path];
  const child = spawn(process.execPath, cmd, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const url = new Promise<string>((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error(`no "listening on" line in 60 s:\n${out}`)), hangGuard(60_000));
    const take = (d: Buffer) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(guard);
        resolve(m[1]!);
      }
    };
    child.stdout!.on("data", take);
    child.stderr!.on("data", take);
    child.on("exit", (code) => {
      clearTimeout(guard);
      reject(new Error(`exited (${code}) before listening:\n${out}`));
    });
  });
  return { url, stop: () => child.kill("SIGKILL") };
}

describe(`examples on ${runtime}`, () => {
  it("every example has an entry here", () => {
    const missing = readdirSync(dir).filter((f) => f.endsWith(".ts") && !(f in runs) && !servers.includes(f));
    assert.deepEqual(missing, []);
  });
  it("hello-serve.ts is the README's first snippet, and it answers over HTTP", async () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const snippet = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.equal(snippet, asInReadme("hello-serve.ts"), "the README's first ts block and examples/hello-serve.ts differ");
    // The same code on a free port (8080 may be taken where tests run), importing this checkout.
    const temp = mkdtempSync(join(tmpdir(), "evffi-readme-"));
    const path = join(temp, "hello-serve.ts");
    const code = asInReadme("hello-serve.ts");
    assert.match(code, /port: 8080,/);
    writeFileSync(path, code.replace("port: 8080,", "port: 0,").replace(`from "evffi"`, `from ${JSON.stringify(new URL("../src/mod.ts", import.meta.url).pathname)}`));
    const server = startServer(path);
    try {
      const port = new URL(await server.url).port;
      const response = await fetch(`http://127.0.0.1:${port}/from-the-readme`);
      assert.equal(response.status, 200);
      assert.equal(await response.text(), "Hello from evffi: you asked for /from-the-readme\n");
    } finally {
      server.stop();
      rmSync(temp, { recursive: true, force: true });
    }
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
