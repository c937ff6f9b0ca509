#!/usr/bin/env node
// `evffi`: a Bun or Deno REPL with evffi loaded (src/repl.ts, or dist/repl.js in an installed
// package) and its names on globalThis. Plain JavaScript run by Node (or either runtime): it only
// finds the runtime and replaces itself with that runtime's REPL.
//
//   evffi              Bun if it can be found, else Deno
//   evffi deno         Deno's REPL (deno repl -A)
//   evffi bun --trace  with trace mode on (EVFFI_TRACE=1); --trace=epoll_ctl,read for some calls
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const usage = "usage: evffi [bun|deno] [--trace[=name,name...]]";

let wanted = null;
const env = { ...process.env };
for (const arg of process.argv.slice(2)) {
  if (arg === "bun" || arg === "deno") wanted = arg;
  else if (arg === "--trace") env.EVFFI_TRACE = "1";
  else if (arg.startsWith("--trace=")) env.EVFFI_TRACE = arg.slice("--trace=".length);
  else if (arg === "-h" || arg === "--help") {
    console.log(usage);
    process.exit(0);
  } else {
    console.error(`evffi: unknown argument ${JSON.stringify(arg)}\n${usage}`);
    process.exit(2);
  }
}

/** The runtime's executable: the one installed next to this package, else the one on PATH. */
function findRuntime(name) {
  for (const dir of [join(root, "node_modules", ".bin"), join(root, "..", ".bin")]) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  const probe = spawnSync(name, ["--version"], { stdio: "ignore" });
  return probe.status === 0 ? name : null;
}

const runtime = wanted ?? (findRuntime("bun") ? "bun" : "deno");
const executable = findRuntime(runtime);
if (!executable) {
  console.error(`evffi: ${runtime} was not found (install it, or \`npm i -D ${runtime}\`)`);
  process.exit(1);
}

// Deno refuses TypeScript under node_modules: an installed package loads the compiled module.
const installed = root.split(/[\\/]/).includes("node_modules");
const module = installed || !existsSync(join(root, "src", "repl.ts")) ? join(root, "dist", "repl.js") : join(root, "src", "repl.ts");

const args = runtime === "bun"
  ? ["--preload", module, "--interactive"]
  // deno repl evaluates --eval text against the working directory, so the module goes by URL.
  : ["repl", "--allow-all", `--eval=await import(${JSON.stringify(pathToFileURL(module).href)})`];
const r = spawnSync(executable, args, { stdio: "inherit", env });
process.exit(r.status ?? 1);
