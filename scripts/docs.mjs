#!/usr/bin/env node
// Builds the API reference as HTML from the JSDoc in the sources, with the project's pinned Deno
// (`deno doc --html`), the same text JSR renders for the published package.
//   node scripts/docs.mjs [--output DIR]      (npm run docs; DIR defaults to build/docs, git-ignored)
// The entry points are the "exports" of deno.json, so the reference covers exactly what is public.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const deno = join(root, "node_modules", ".bin", "deno");
const argv = process.argv.slice(2);
const at = argv.indexOf("--output");
const output = resolve(at === -1 ? join(root, "build", "docs") : argv[at + 1] ?? "");
if (at !== -1 && !argv[at + 1]) {
  console.error("usage: node scripts/docs.mjs [--output DIR]");
  process.exit(2);
}
if (!existsSync(deno)) {
  console.error(`${deno} is missing: run npm install first`);
  process.exit(2);
}

const entryPoints = Object.values(JSON.parse(readFileSync(join(root, "deno.json"), "utf8")).exports);
// A stale page of a symbol that no longer exists would survive an overwrite: start empty.
rmSync(output, { recursive: true, force: true });
mkdirSync(output, { recursive: true });
const r = spawnSync(deno, ["doc", "--html", "--name=evffi", `--output=${output}`, ...entryPoints], {
  cwd: root,
  encoding: "utf8",
  env: { ...process.env, NO_COLOR: "1" },
});
// deno doc warns about every file of @types/node it cannot resolve (the sources name "node:*"
// modules only through the runtime layer); those lines say nothing about evffi's docs.
const noise = /^Warning Failed resolving types\.|^\s+at file:\/\/.*\/node_modules\//;
const messages = `${r.stdout}${r.stderr}`.split("\n").filter((l) => l.trim() && !noise.test(l));
if (messages.length) console.log(messages.join("\n"));
if (r.status !== 0) process.exit(r.status ?? 1);
console.log(`open ${join(output, "index.html")}`);
