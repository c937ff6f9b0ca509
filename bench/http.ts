// HTTP "Hello, World!" throughput, in one run, alternating servers: evffi's example on Bun and on
// Deno, Bun.serve, Deno.serve, node:http and C libevent's evhttp (scripts/build-c-bench.sh builds
// it), each measured with `wrk -t1 -c64`. Run: node scripts/run.mjs bench/http.ts --bun [-- SECONDS ROUNDS]
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { median, waitForPort } from "./servers/harness.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (n: string) => join(root, "node_modules", ".bin", n);
const [seconds = "5", rounds = "3"] = process.argv.slice(2).filter((a) => /^\d+$/.test(a));

const servers: Record<string, (port: number) => string[]> = {
  "evffi (Bun)": (p) => [bin("bun"), join(root, "examples/http.ts"), String(p)],
  "evffi (Deno)": (p) => [bin("deno"), "run", "-A", join(root, "examples/http.ts"), String(p)],
  "Bun.serve": (p) => [bin("bun"), join(root, "bench/servers/bun-serve.ts"), String(p)],
  "Deno.serve": (p) => [bin("deno"), "run", "-A", join(root, "bench/servers/deno-serve.ts"), String(p)],
  "node:http": (p) => ["node", join(root, "bench/servers/node-http.mjs"), String(p)],
  "C evhttp": (p) => [join(root, "build/c/evhttp_hello"), String(p)],
};

if (spawnSync("wrk", ["--version"]).error) {
  console.error("wrk is missing: run scripts/build-c-bench.sh (installs wrk and libevent-dev)");
  process.exit(2);
}
const results: Record<string, number[]> = {};
let port = 18080;
for (let round = 0; round < Number(rounds); round++) {
  for (const [name, cmd] of Object.entries(servers)) {
    if (!existsSync(cmd(0)[0]) && cmd(0)[0] !== "node") {
      console.log(`skip ${name}: ${cmd(0)[0]} missing`);
      continue;
    }
    port++;
    const argv = cmd(port);
    const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "ignore", "inherit"] });
    try {
      await waitForPort(port);
      spawnSync("wrk", ["-t1", "-c64", "-d1s", `http://127.0.0.1:${port}/`]); // warm-up
      const out = spawnSync("wrk", ["-t1", "-c64", `-d${seconds}s`, `http://127.0.0.1:${port}/`], { encoding: "utf8" }).stdout;
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
      const errors = /Non-2xx|Socket errors/.exec(out) ? " (errors reported by wrk)" : "";
      (results[name] ??= []).push(rps);
      console.log(`round ${round + 1} ${name}: ${Math.round(rps)} req/s${errors}`);
    } finally {
      child.kill("SIGKILL");
    }
  }
}
console.log(`\n# wrk -t1 -c64 -d${seconds}s, median of ${rounds} alternating rounds`);
for (const [name, list] of Object.entries(results)) {
  console.log(`${name.padEnd(14)} ${Math.round(median(list))} req/s`);
}
