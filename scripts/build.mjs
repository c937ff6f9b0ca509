#!/usr/bin/env node
// Builds the npm package's dist/ (ESM .js + .d.ts + source maps) from src/ with tsc. Runs at
// `npm pack` / `npm publish` (prepack); the repository itself runs the .ts sources directly.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
rmSync(join(root, "dist"), { recursive: true, force: true });
const tsc = join(root, "node_modules", ".bin", "tsc");
const r = spawnSync(tsc, ["-p", join(root, "tsconfig.build.json")], { stdio: "inherit" });
if (r.status !== 0) process.exit(r.status ?? 1);

// tsc rewrites "./x.ts" to "./x.js" in the emitted JavaScript but leaves it in the declarations;
// a .d.ts that names a .ts file does not resolve for Deno (or for a user's tsc without
// allowImportingTsExtensions), so the declarations get the same rewrite.
const relativeTs = /(from\s+|import\s+|import\(\s*)(["'])(\.{1,2}\/[^"']*?)\.ts\2/g;
for (const entry of readdirSync(join(root, "dist"), { recursive: true })) {
  if (!String(entry).endsWith(".d.ts")) continue;
  const path = join(root, "dist", String(entry));
  const text = readFileSync(path, "utf8");
  const fixed = text.replace(relativeTs, (_, lead, quote, stem) => `${lead}${quote}${stem}.js${quote}`);
  if (fixed !== text) writeFileSync(path, fixed);
}
