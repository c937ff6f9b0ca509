// Echo throughput (MB/s, 10^6 bytes per second echoed back) in one run, alternating servers:
// evffi's examples/echo.ts on Bun and on Deno, Bun.listen, Deno.listen and C libevent's
// bufferevent echo. The load comes from build/c/echo_client (bench/c/echo_client.c: C, one thread,
// epoll), so no server's runtime also drives the load: 64 connections, each keeping a 64 KiB
// window in flight (it writes until 64 KiB are unanswered, and writes again as echoes return).
// Each measurement: 1 s warm-up, then SECONDS measured; then the client stops writing and checks
// that every connection got back exactly what it sent.
// Build the C programs first: scripts/build-c-bench.sh
// --json FILE also writes the run as data (bench/results/README.md; `npm run charts` draws it);
// --smoke marks that file as a check that the script runs, not a result.
// Run: node scripts/run.mjs bench/echo.ts --bun [-- SECONDS ROUNDS] [--json FILE [--smoke]]   (default 5 s, 3 rounds)
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { median, waitForPort } from "./servers/harness.ts";
import { commandLine, jsonArgument, type RunRatio, writeRun } from "../scripts/bench-record.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (n: string) => join(root, "node_modules", ".bin", n);
const [seconds = "5", rounds = "3"] = process.argv.slice(2).filter((a) => /^\d+$/.test(a));
const CONNECTIONS = 64;
const WINDOW = 64 * 1024;
const client = join(root, "build/c/echo_client");
const jsonFile = jsonArgument(process.argv);

const servers: Record<string, (port: number) => string[]> = {
  "evffi (Bun)": (p) => [bin("bun"), join(root, "examples/echo.ts"), String(p)],
  "evffi (Deno)": (p) => [bin("deno"), "run", "-A", join(root, "examples/echo.ts"), String(p)],
  "Bun.listen": (p) => [bin("bun"), join(root, "bench/servers/bun-echo.ts"), String(p)],
  "Deno.listen": (p) => [bin("deno"), "run", "-A", join(root, "bench/servers/deno-echo.ts"), String(p)],
  "C libevent": (p) => [join(root, "build/c/echo_server"), String(p)],
};

/** One client run: the parsed `key=value` line, or the reason it is not to be trusted. */
function measure(port: number): { mbps: number; fields: Record<string, number>; problem: string | null } {
  const r = spawnSync(client, [String(port), String(CONNECTIONS), String(WINDOW), seconds, "1"], { encoding: "utf8" });
  const fields: Record<string, number> = {};
  for (const [, k, v] of (r.stdout ?? "").matchAll(/(\w+)=([\d.]+)/g)) fields[k!] = Number(v);
  let problem: string | null = null;
  if (r.status !== 0 || fields.drained !== 1 || fields.errors !== 0) problem = `client exit ${r.status}: ${(r.stdout + r.stderr).trim()}`;
  else if (fields.sent !== fields.echoed) problem = `sent ${fields.sent} but echoed ${fields.echoed}`;
  else if (!(fields.bytes! > 0) || !(fields.min_conn! > 0)) problem = `a connection made no progress: ${r.stdout.trim()}`;
  else if (fields.bytes! > fields.echoed!) problem = `measured more than was echoed: ${r.stdout.trim()}`;
  return { mbps: fields.mbps ?? 0, fields, problem };
}

if (!existsSync(client)) {
  console.error(`${client} is missing: run scripts/build-c-bench.sh`);
  process.exit(2);
}
const results: Record<string, number[]> = {};
let port = 19080;
let failed = false;
for (let round = 0; round < Number(rounds); round++) {
  for (const [name, cmd] of Object.entries(servers)) {
    if (!existsSync(cmd(0)[0]!)) {
      console.log(`skip ${name}: ${cmd(0)[0]} missing`);
      continue;
    }
    port++;
    const argv = cmd(port);
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "ignore", "inherit"] });
    try {
      await waitForPort(port);
      const { mbps, fields, problem } = measure(port);
      if (problem) {
        failed = true;
        console.log(`round ${round + 1} ${name}: FAILED (${problem})`);
        continue;
      }
      (results[name] ??= []).push(mbps);
      const perConn = `per connection ${(fields.min_conn! / 1e6).toFixed(1)}-${(fields.max_conn! / 1e6).toFixed(1)} MB`;
      console.log(`round ${round + 1} ${name}: ${mbps.toFixed(1)} MB/s (${perConn}, ${(fields.echoed! / 1e6).toFixed(0)} MB echoed in all, all returned)`);
    } finally {
      child.kill("SIGKILL");
    }
  }
}
console.log(`\n# ${CONNECTIONS} connections, ${WINDOW / 1024} KiB in flight each, ${seconds} s per server, median of ${rounds} alternating rounds`);
for (const [name, list] of Object.entries(results)) {
  console.log(`${name.padEnd(14)} ${median(list).toFixed(1)} MB/s   (rounds: ${list.map((v) => v.toFixed(0)).join(", ")})`);
}
// evffi against each other server, per round (each round runs every server once, close together
// in time, so the ratio within a round cancels most of the machine's drift), then the median.
const ratios: RunRatio[] = [];
for (const own of ["evffi (Bun)", "evffi (Deno)"]) {
  for (const peer of ["Bun.listen", "Deno.listen", "C libevent"]) {
    const a = results[own], b = results[peer];
    if (!a || !b || a.length !== b.length) continue; // a failed round would pair rounds wrongly
    const perRound = a.map((v, i) => v / b[i]!);
    const r = (x: number) => Math.round(x * 100) / 100;
    ratios.push({ program: recordName(own), peer: recordName(peer), metric: "echo throughput", better: "higher", value: r(median(perRound)), min: r(Math.min(...perRound)), max: r(Math.max(...perRound)) });
    console.log(`${own} / ${peer}: ${median(perRound).toFixed(2)}x (rounds ${Math.min(...perRound).toFixed(2)}-${Math.max(...perRound).toFixed(2)})`);
  }
}
if (jsonFile) {
  writeRun(jsonFile, {
    kind: "echo",
    title: `Echo throughput, ${CONNECTIONS} connections with ${WINDOW / 1024} KiB in flight each`,
    command: commandLine("node scripts/run.mjs bench/echo.ts --bun --", process.argv.slice(2)),
    notes: `${seconds} s per server, ${rounds} alternating rounds, medians; MB = 10^6 bytes echoed back. Ratios: medians of the per-round ratios (min/max: the rounds' spread).`,
    results: Object.entries(results).map(([name, list]) => ({
      program: recordName(name), metric: "echo throughput", unit: "MB/s", better: "higher" as const, value: Math.round(median(list)), rounds: list.map(Math.round),
    })),
    ratios,
  }, process.argv);
}
process.exit(failed ? 1 : 0);

/** The names the recorded runs use (bench/results): what each server is. */
function recordName(name: string): string {
  const names: Record<string, string> = {
    "evffi (Bun)": "evffi examples/echo.ts (Bun)", "evffi (Deno)": "evffi examples/echo.ts (Deno)", "C libevent": "C libevent 2.1 bufferevent",
  };
  return names[name] ?? name;
}
