// The npm package as a user gets it (package.json, scripts/build.mjs, the public entry points):
// packed with `npm pack`, installed into a fresh project in a temporary directory, type-checked
// with strict options, and run. Under Bun: `bun add`, the quick start, CommonJS require(), and
// `bun build --compile` executables (await base.loop() and spawnBase). Under Deno: an install into
// node_modules ("nodeModulesDir": "manual"), `deno check`, the quick start, and
// `deno publish --dry-run` of the JSR package. Nothing is fetched from a registry: the package has
// no dependencies, and the type packages come from this repository's own node_modules.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { runtime } from "./deps.ts";
import { hangGuard } from "./helpers.ts";

const root = new URL("..", import.meta.url).pathname;
const fixtures = new URL("./fixtures/package/", import.meta.url).pathname;
const bin = (name: string) => join(root, "node_modules", ".bin", name);

function run(cmd: string, args: string[], cwd: string, timeoutMs = 300_000): SpawnSyncReturns<string> {
  // The child gets a plain environment: no test-runner variables, no colour codes in its output.
  const env = { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" };
  return spawnSync(cmd, args, { cwd, encoding: "utf8", timeout: hangGuard(timeoutMs), env });
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  assert.equal(r.status, 0, `${what} failed (status ${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The strictest options a user commonly sets, plus no allowImportingTsExtensions. */
const strictOptions = {
  strict: true,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  noImplicitOverride: true,
};

describe(`the npm package, installed and used from ${runtime}`, () => {
  let work = "";
  let tarball = "";
  let project = "";

  before(() => {
    work = mkdtempSync(join(tmpdir(), "evffi-package-"));
    const out = ok(run("npm", ["pack", "--silent", "--pack-destination", work], root, 180_000), "npm pack");
    tarball = join(work, out.trim().split("\n").pop()!.trim());
    project = join(work, "project");
    mkdirSync(project);
    for (const f of readdirSync(fixtures)) cpSync(join(fixtures, f), join(project, f));
  });
  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("ships the built package and the license, and no tests, benchmarks, scripts or C", () => {
    const files = ok(run("tar", ["-tzf", tarball], work), "tar").trim().split("\n").map((f) => f.replace(/^package\//, ""));
    for (const f of ["LICENSE", "README.md", "package.json", "dist/mod.js", "dist/mod.d.ts", "dist/sys.js", "dist/compat.d.ts", "dist/threads/mod.js", "dist/unstable-ffi.d.ts", "dist/threads/worker-entry.js"]) {
      assert.ok(files.includes(f), `${f} is missing from the package`);
    }
    const stray = files.filter((f) => /^(test|bench|scripts|\.ci|src)\//.test(f) || /\.(c|ts)$/.test(f) && !f.endsWith(".d.ts") || f.startsWith("tsconfig"));
    assert.deepEqual(stray, []);
  });

  if (runtime === "bun") {
    before(() => {
      writeFileSync(join(project, "package.json"), JSON.stringify({ name: "user-project", private: true, type: "module" }));
      ok(run(process.execPath, ["add", tarball], project), "bun add");
      // The type packages a Bun project has (bun init installs @types/bun), from this repository.
      mkdirSync(join(project, "node_modules", "@types"), { recursive: true });
      symlinkSync(join(root, "node_modules", "bun-types"), join(project, "node_modules", "bun-types"));
      symlinkSync(join(root, "node_modules", "@types", "node"), join(project, "node_modules", "@types", "node"));
      symlinkSync(join(root, "node_modules", "undici-types"), join(project, "node_modules", "undici-types"));
    });

    it("type-checks a strict user file against the declarations alone (no runtime types, skipLibCheck off)", () => {
      writeFileSync(join(project, "tsconfig.json"), JSON.stringify({
        compilerOptions: {
          ...strictOptions, target: "ESNext", module: "Preserve", moduleResolution: "bundler", lib: ["ESNext", "DOM"], types: [],
          noEmit: true, skipLibCheck: false, verbatimModuleSyntax: true, moduleDetection: "force",
        },
        files: ["strict-user.ts", "threads-worker.ts"],
      }));
      ok(run(bin("tsc"), ["-p", "tsconfig.json"], project), "tsc (strict)");
    });

    it("type-checks with the tsconfig `bun init` writes (bun-types, noUncheckedIndexedAccess)", () => {
      writeFileSync(join(project, "tsconfig.bun.json"), JSON.stringify({
        compilerOptions: {
          lib: ["ESNext"], target: "ESNext", module: "Preserve", moduleDetection: "force", jsx: "react-jsx", allowJs: true,
          types: ["bun-types"], moduleResolution: "bundler", allowImportingTsExtensions: true, verbatimModuleSyntax: true,
          noEmit: true, strict: true, skipLibCheck: true, noFallthroughCasesInSwitch: true, noUncheckedIndexedAccess: true,
          noImplicitOverride: true,
        },
        files: ["quickstart.ts", "strict-user.ts", "threads-main.ts", "threads-worker.ts"],
      }));
      ok(run(bin("tsc"), ["-p", "tsconfig.bun.json"], project), "tsc (bun init's tsconfig)");
    });

    it("runs the quick start, a worker base, and require() from CommonJS", () => {
      assert.match(ok(run(process.execPath, ["quickstart.ts"], project, 180_000), "bun quickstart.ts"), /readable: hello/);
      assert.match(ok(run(process.execPath, ["threads-main.ts"], project, 180_000), "bun threads-main.ts"), /worker says: hi from worker 0[\s\S]*stopped/);
      assert.match(ok(run(process.execPath, ["require.cjs"], project, 180_000), "bun require.cjs"), /required, timer fired/);
    });

    it("works inside `bun build --compile` executables: await base.loop() and spawnBase", () => {
      ok(run(process.execPath, ["build", "--compile", "quickstart.ts", "--outfile", "quickstart-bin"], project), "bun build --compile quickstart.ts");
      assert.match(ok(run(join(project, "quickstart-bin"), [], project, 180_000), "quickstart-bin"), /readable: hello/);
      ok(run(process.execPath, ["build", "--compile", "threads-main.ts", "threads-worker.ts", "--outfile", "threads-bin"], project), "bun build --compile threads");
      // Run from elsewhere: the executable must not need the project's files.
      assert.match(ok(run(join(project, "threads-bin"), [], work, 180_000), "threads-bin"), /worker says: hi from worker 0[\s\S]*stopped/);
    });
  }

  if (runtime === "deno") {
    before(() => {
      writeFileSync(join(project, "package.json"), JSON.stringify({ name: "user-project", private: true, type: "module" }));
      writeFileSync(join(project, "deno.json"), JSON.stringify({ nodeModulesDir: "manual", compilerOptions: strictOptions }));
      ok(run("npm", ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", tarball], project), "npm install");
      assert.ok(existsSync(join(project, "node_modules", "evffi", "dist", "mod.js")));
    });

    it("deno check passes on a strict user file importing \"evffi\" from node_modules", () => {
      ok(run(process.execPath, ["check", "quickstart.ts", "strict-user.ts", "threads-main.ts", "threads-worker.ts"], project), "deno check");
    });

    it("runs the quick start and a worker base with the documented permissions", () => {
      const perms = ["--allow-ffi", "--allow-read", "--allow-env"];
      assert.match(ok(run(process.execPath, ["run", ...perms, "quickstart.ts"], project, 180_000), "deno run quickstart.ts"), /readable: hello/);
      assert.match(ok(run(process.execPath, ["run", ...perms, "threads-main.ts"], project, 180_000), "deno run threads-main.ts"), /worker says: hi from worker 0[\s\S]*stopped/);
    });

    it("deno publish --dry-run accepts the JSR package (no slow types, license set, tests excluded)", (t) => {
      const r = run(process.execPath, ["publish", "--dry-run", "--allow-dirty"], root, 180_000);
      const output = `${r.stdout}\n${r.stderr}`;
      if (r.status !== 0 && /error sending request|dns error|failed to lookup|Connection refused|timed out/i.test(output)) {
        const why = `deno publish --dry-run needs the network here: ${output.trim().split("\n").pop()}`;
        console.log(`skipped: ${why}`);
        t.skip(why);
        return;
      }
      ok(r, "deno publish --dry-run");
      const listed = output.split("\n").filter((l) => /^\s+(file:\/\/)?\//.test(l)).join("\n");
      assert.doesNotMatch(listed, /\/(test|bench|scripts)\//, "tests, benchmarks or scripts would be published");
      assert.match(listed, /src\/mod\.ts/);
      assert.match(listed, /LICENSE/);
    });
  }
});
