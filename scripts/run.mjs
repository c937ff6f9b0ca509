#!/usr/bin/env node
// Runs one TypeScript file on Bun and then on Deno (or only one: --bun / --deno), with the
// permissions evffi needs on Deno (unscoped --allow-ffi, see docs/ffi.md), and --allow-write for the
// benchmarks that record their runs (--json FILE).
//   node scripts/run.mjs examples/hello.ts [--bun|--deno] [-- args...]
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);
const argv = process.argv.slice(2);
const dash = argv.indexOf("--");
const own = dash === -1 ? argv : argv.slice(0, dash);
const rest = dash === -1 ? [] : argv.slice(dash + 1);
const file = own.find((a) => !a.startsWith("--"));
if (!file) {
  console.error("usage: node scripts/run.mjs FILE.ts [--bun|--deno] [-- args]");
  process.exit(2);
}
const only = own.includes("--bun") ? "bun" : own.includes("--deno") ? "deno" : null;
const commands = {
  bun: [bin("bun"), ["run", file, ...rest]],
  deno: [bin("deno"), ["run", "--allow-ffi", "--allow-read", "--allow-env", "--allow-net", "--allow-run", "--allow-write", file, ...rest]],
};
let status = 0;
for (const rt of only ? [only] : ["bun", "deno"]) {
  const [cmd, args] = commands[rt];
  if (!existsSync(cmd)) {
    console.error(`${cmd} is missing: run npm install first`);
    process.exit(2);
  }
  console.log(`--- ${rt}: ${file}`);
  const r = spawnSync(cmd, args, { stdio: "inherit", cwd: root });
  if (r.status !== 0) status = r.status ?? 1;
}
process.exit(status);
