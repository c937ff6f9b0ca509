#!/usr/bin/env node
// The one test command (npm test): typecheck with tsc and deno check, run every test file under
// `bun test` and under `deno test`, and close with one line "N passed, M failed" counting both
// runtimes. Exits non-zero if anything failed or if no test ran.
//   EVFFI_TEST_RUNTIMES=bun|deno   run one runtime only
//   EVFFI_TEST_PORTABLE=0          skip the second, portable-paths pass (see below)
//   node scripts/test.mjs [test/file.test.ts ...]
//
// Each runtime runs the files twice: once as they are, and once more with EVFFI_PORTABLE=1, which
// makes evffi take the paths macOS and FreeBSD take (fcntl after socket/accept/pipe, a pipe as the
// wake fd, plain timeouts instead of a timerfd, one datagram per call), so that code runs here too.
// The second pass leaves out the files that never reach a syscall whose path differs.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
process.chdir(root);
// EVFFI_TEST_RUNTIME_DIR names a folder with other `bun` and `deno` executables to test (the
// aarch64 builds of scripts/test-arm64.mjs); typechecking always uses the project's own.
const runtimeDir = process.env.EVFFI_TEST_RUNTIME_DIR;
const bin = (name) => join(root, "node_modules", ".bin", name);
const runtimeBin = (name) => (runtimeDir ? join(runtimeDir, name) : bin(name));
const results = join(root, ".test-results");
rmSync(results, { recursive: true, force: true });
mkdirSync(results, { recursive: true });

for (const tool of ["bun", "deno", "tsc"]) {
  if (!existsSync(bin(tool))) {
    console.error(`${bin(tool)} is missing: run npm install first`);
    process.exit(2);
  }
}

const files = process.argv.slice(2).length
  ? process.argv.slice(2)
  : readdirSync("test").filter((f) => f.endsWith(".test.ts")).sort().map((f) => `test/${f}`);
// Files with no kernel call that the portable switch changes: pure data structures and parsers,
// the package build, and the layout tables (compared with a C compiler, not run).
// Files whose subject is not a kernel path (pure parsers, tables, the package, and the trace and
// REPL output, whose expected text names the Linux flags) run once.
const portableIrrelevant = /^test\/(minheap|http-parser|http-response|changelist|sockaddr|layout|package|trace|repl|exploring|fd-info|charts|docs|doc-examples)\.test\.ts$/;
const portableFiles = process.env.EVFFI_TEST_PORTABLE === "0" ? [] : files.filter((f) => !portableIrrelevant.test(f));
const runtimes = (process.env.EVFFI_TEST_RUNTIMES ?? "bun,deno").split(",").map((s) => s.trim()).filter(Boolean);

function run(label, cmd, args, env = {}) {
  console.log(`\n=== ${label}: ${[cmd.replace(root + "/", ""), ...args].join(" ")}`);
  const started = Date.now();
  const r = spawnSync(cmd, args, { stdio: "inherit", env: { ...process.env, ...env } });
  console.log(`=== ${label}: exit ${r.status ?? r.signal} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return r.status ?? 1;
}

let failedSteps = 0;
if (run("typecheck (tsc)", bin("tsc"), ["--noEmit", "-p", "."]) !== 0) failedSteps++;
if (runtimes.includes("deno") && run("typecheck (deno check)", bin("deno"), ["check", "src/mod.ts", "src/compat.ts", ...files]) !== 0) failedSteps++;

// Leaf test cases of a JUnit file: a case whose name is the prefix "X > " of another is a group.
function countJunit(path) {
  if (!existsSync(path)) return null;
  const xml = readFileSync(path, "utf8");
  const cases = [];
  const re = /<testcase name="([^"]*)"[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g;
  for (let m; (m = re.exec(xml)); ) cases.push({ name: m[1], body: m[3] ?? "" });
  let passed = 0, failed = 0, skipped = 0;
  for (const c of cases) {
    // A group counts only when it failed with no failing case of its own (a hook threw, say).
    const children = cases.filter((o) => o.name.startsWith(c.name + " &gt; "));
    if (children.length && (!/<failure|<error/.test(c.body) || children.some((o) => /<failure|<error/.test(o.body)))) continue;
    if (/<failure|<error/.test(c.body)) failed++;
    else if (/<skipped/.test(c.body)) skipped++;
    else passed++;
  }
  return { passed, failed, skipped };
}

const totals = { passed: 0, failed: 0, skipped: 0 };
const perRuntime = [];
function runTests(rt, label, testFiles, env) {
  const junit = join(results, `${label.replace(/\W+/g, "-")}.xml`);
  const status = rt === "bun"
    ? run(`bun test${env.EVFFI_PORTABLE === "1" ? " (EVFFI_PORTABLE=1)" : ""}`, runtimeBin("bun"), ["test", "--timeout", "180000", "--reporter=junit", `--reporter-outfile=${junit}`, ...testFiles.map((f) => `./${f}`)], env)
    : run(`deno test${env.EVFFI_PORTABLE === "1" ? " (EVFFI_PORTABLE=1)" : ""}`, runtimeBin("deno"), ["test", "--allow-all", "--no-check", `--junit-path=${junit}`, ...testFiles], env);
  const counts = countJunit(junit) ?? { passed: 0, failed: 0, skipped: 0 };
  // A crash or a file that failed to load may leave no failing case behind: count it as one failure.
  if (status !== 0 && counts.failed === 0) counts.failed = 1;
  perRuntime.push(`${label}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
  totals.passed += counts.passed;
  totals.failed += counts.failed;
  totals.skipped += counts.skipped;
}

for (const rt of runtimes) {
  runTests(rt, rt, files, { EVFFI_PORTABLE: "0" });
  if (portableFiles.length) runTests(rt, `${rt} (EVFFI_PORTABLE=1, ${portableFiles.length} files)`, portableFiles, { EVFFI_PORTABLE: "1" });
}

// Which backends the kernel-touching tests ran on (each runs once per backend and variant).
const methods = spawnSync(runtimeBin(runtimes[0] ?? "bun"), runtimes[0] === "deno" ? ["run", "--allow-all", "scripts/backends.ts"] : ["scripts/backends.ts"], { encoding: "utf8" });
const narrowed = process.env.EVFFI_TEST_BACKENDS ? ` (narrowed by EVFFI_TEST_BACKENDS=${process.env.EVFFI_TEST_BACKENDS})` : "";
console.log(`\nbackends${narrowed}:\n${(methods.stdout || methods.stderr).trimEnd()}`);
console.log("\n" + perRuntime.join("\n"));
if (failedSteps) console.log(`typecheck: ${failedSteps} step(s) failed`);
const failed = totals.failed + failedSteps;
console.log(`${totals.passed} passed, ${failed} failed, ${totals.skipped} skipped`);
process.exit(failed > 0 || totals.passed === 0 ? 1 : 0);
