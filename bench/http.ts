// HTTP "Hello, World!" throughput, in one run, alternating servers: evffi's example on Bun and on
// Deno (and the same server answering with a new object each time, "evffi object"), Bun.serve,
// Deno.serve, node:http and C libevent's evhttp (scripts/build-c-bench.sh builds it), each
// measured with `wrk -t1 -c64`. Beside req/s it reports the server's CPU time per request
// (utime + stime from /proc, Linux): wrk shares the machine, so req/s moves with its share of the
// CPU, while CPU per request is the server's own cost.
// --pin runs every server on CPU 1 and wrk on CPU 0 (taskset), so that each server has one core
// of its own and wrk never competes with it: req/s then follows the server's own cost per request,
// up to what one wrk thread can drive at all (--bare measures that ceiling with a C responder).
// --pipeline sends 16 pipelined requests per write (wrk with bench/wrk/pipeline.lua).
// --attack measures hostile clients instead of throughput (bench/attacks.ts): each server's peak
// RSS under one client that pipelines and never reads, the same under a client that sends as many
// requests and reads the answers (the control: what serving them costs at all), then its fds, RSS
// and the clients it closed with 2,000 slowloris clients (a header byte every 5 s) for 15 s.
// --json FILE also writes the run as data (bench/results/README.md; `npm run charts` draws it);
// --smoke marks that file as a check that the script runs, not a result.
// Run: node scripts/run.mjs bench/http.ts --bun [-- SECONDS ROUNDS] [--pin] [--bare] [--uring] [--pipeline] [--attack] [--only A,B] [--baseline DIR] [--json FILE [--smoke]]
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { median, waitForPort } from "./servers/harness.ts";
import { neverReading, reading, slowClients } from "./attacks.ts";
import { commandLine, jsonArgument, type RunRatio, type RunResult, writeRun } from "../scripts/bench-record.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (n: string) => join(root, "node_modules", ".bin", n);
const [seconds = "5", rounds = "3"] = process.argv.slice(2).filter((a) => /^\d+$/.test(a));
const pin = process.argv.includes("--pin");
const onCpu = (cpu: number, argv: string[]) => (pin ? ["taskset", "-c", String(cpu), ...argv] : argv);

const servers: Record<string, (port: number) => string[]> = {
  "evffi (Bun)": (p) => [bin("bun"), join(root, "examples/http.ts"), String(p)],
  "evffi (Deno)": (p) => [bin("deno"), "run", "-A", join(root, "examples/http.ts"), String(p)],
  "evffi object (Bun)": (p) => [bin("bun"), join(root, "bench/servers/evffi-object.ts"), String(p)],
  "evffi object (Deno)": (p) => [bin("deno"), "run", "-A", join(root, "bench/servers/evffi-object.ts"), String(p)],
  "evffi serve (Bun)": (p) => [bin("bun"), join(root, "bench/servers/evffi-serve.ts"), String(p)],
  "evffi serve (Deno)": (p) => [bin("deno"), "run", "-A", join(root, "bench/servers/evffi-serve.ts"), String(p)],
  "Bun.serve": (p) => [bin("bun"), join(root, "bench/servers/bun-serve.ts"), String(p)],
  "Deno.serve": (p) => [bin("deno"), "run", "-A", join(root, "bench/servers/deno-serve.ts"), String(p)],
  "node:http": (p) => ["node", join(root, "bench/servers/node-http.mjs"), String(p)],
  "C evhttp": (p) => [join(root, "build/c/evhttp_hello"), String(p)],
};
// --bare adds the floor under evffi's server: bench/servers/bare-http.ts, the same answer from a
// bare loop of FFI calls, and bench/c/bare_http.c, the same loop in C: no server making these
// syscalls can be measured faster than it, so its req/s is the ceiling that wrk itself sets.
// bench/servers/reactor-http.ts is the floor one step up: the reactor and the parser with no
// buffers or connection state between them ("reactor + parser"), the least an evffi server runs.
// It adds the floor under serve() too: bench/servers/bare-web-http.ts, the bare FFI loop plus only
// the Request/Response work serve() does per request ("bare + Web").
// --only NAME,NAME keeps just the servers named (e.g. "evffi (Deno),Deno.serve").
if (process.argv.includes("--bare")) {
  servers["bare FFI (Bun)"] = (p) => [bin("bun"), join(root, "bench/servers/bare-http.ts"), String(p)];
  servers["bare FFI (Deno)"] = (p) => [bin("deno"), "run", "-A", join(root, "bench/servers/bare-http.ts"), String(p)];
  servers["bare C"] = (p) => [join(root, "build/c/bare_http"), String(p)];
  servers["reactor + parser (Bun)"] = (p) => [bin("bun"), join(root, "bench/servers/reactor-http.ts"), String(p)];
  servers["reactor + parser (Deno)"] = (p) => [bin("deno"), "run", "-A", join(root, "bench/servers/reactor-http.ts"), String(p)];
  servers["bare + Web (Bun)"] = (p) => [bin("bun"), join(root, "bench/servers/bare-web-http.ts"), String(p)];
  servers["bare + Web (Deno)"] = (p) => [bin("deno"), "run", "-A", join(root, "bench/servers/bare-web-http.ts"), String(p)];
}
// --uring adds the bare responder on io_uring (Linux x86_64): one io_uring_enter per loop turn.
if (process.argv.includes("--uring")) {
  servers["io_uring FFI (Bun)"] = (p) => [bin("bun"), join(root, "bench/servers/uring-http.ts"), String(p)];
  servers["io_uring FFI (Deno)"] = (p) => [bin("deno"), "run", "-A", join(root, "bench/servers/uring-http.ts"), String(p)];
}
const jsonFile = jsonArgument(process.argv);
const only = process.argv.indexOf("--only");
if (only >= 0) {
  const keep = new Set((process.argv[only + 1] ?? "").split(","));
  for (const name of Object.keys(servers)) if (!keep.has(name)) delete servers[name];
}
// --baseline DIR runs each evffi server of the run a second time from another checkout of the
// project (its script under DIR, this checkout's runtimes), right after the first, as
// "NAME [baseline]": a before/after of a change, alternating in the same rounds.
const baselineAt = process.argv.indexOf("--baseline");
const baselinePairs: [string, string][] = [];
if (baselineAt >= 0) {
  const dir = resolve(process.argv[baselineAt + 1] ?? "");
  const inBaseline = (arg: string) => (arg.startsWith(`${root}/`) ? join(dir, relative(root, arg)) : arg);
  const ordered = Object.entries(servers);
  for (const name of Object.keys(servers)) delete servers[name];
  for (const [name, cmd] of ordered) {
    servers[name] = cmd;
    if (!/^(evffi|reactor)/.test(name)) continue;
    servers[`${name} [baseline]`] = (p) => cmd(p).map((arg, i) => (i === 0 ? arg : inBaseline(arg)));
    baselinePairs.push([name, `${name} [baseline]`]);
  }
}

if (process.argv.includes("--attack")) {
  await attacks();
  process.exit(0);
}

/** --attack: each server against a never-reading pipeliner, its reading control, then 2,000 slow clients (a fresh server each). */
async function attacks(): Promise<void> {
  let attackPort = 19080;
  const rows: string[] = [];
  for (const [name, cmd] of Object.entries(servers)) {
    if (!existsSync(cmd(0)[0]) && cmd(0)[0] !== "node") continue;
    // The reading control sends as many requests as the never-reading client got taken.
    let taken = 0;
    for (const kind of ["never-reading", "reading", "slow clients"] as const) {
      const port = ++attackPort;
      const child = spawn(cmd(port)[0], cmd(port).slice(1), { stdio: ["ignore", "ignore", "inherit"] });
      try {
        await waitForPort(port);
        if (kind === "never-reading") {
          const r = await neverReading(child.pid!, port, Number(seconds));
          rows.push(`${name.padEnd(19)} never-reading pipeliner: RSS ${r.startMiB.toFixed(0)} -> peak ${r.peakMiB.toFixed(0)} MiB, ${r.requestsSent} requests taken`);
          taken = r.requestsSent;
        } else if (kind === "reading") {
          const r = await reading(child.pid!, port, Number(seconds), taken);
          rows.push(`${name.padEnd(19)} the same requests, read:  RSS ${r.startMiB.toFixed(0)} -> peak ${r.peakMiB.toFixed(0)} MiB, ${r.answered} answered`);
        } else {
          const r = await slowClients(child.pid!, port, 2000, 15);
          rows.push(`${name.padEnd(19)} 2,000 slow clients, 15 s: fds ${r.fdsBefore} -> ${r.fdsAtEnd}, RSS ${r.rssMiB.toFixed(0)} MiB, ${r.closedByServer} closed by the server`);
        }
        console.log(rows[rows.length - 1]);
      } finally {
        child.kill("SIGKILL");
      }
    }
  }
  console.log(`\n# hostile clients (pipeliner runs: ${seconds} s)\n${rows.join("\n")}`);
}

if (spawnSync("wrk", ["--version"]).error) {
  console.error("wrk is missing: run scripts/build-c-bench.sh (installs wrk and libevent-dev)");
  process.exit(2);
}
/** The process's user + system CPU time in seconds, or NaN where /proc is missing. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // fields from the 3rd on
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in USER_HZ ticks (100 on Linux)
  } catch {
    return NaN;
  }
}

const results: Record<string, number[]> = {};
const cpuPerRequest: Record<string, number[]> = {};
let port = 18080;
for (let round = 0; round < Number(rounds); round++) {
  for (const [name, cmd] of Object.entries(servers)) {
    if (!existsSync(cmd(0)[0]) && cmd(0)[0] !== "node") {
      console.log(`skip ${name}: ${cmd(0)[0]} missing`);
      continue;
    }
    port++;
    const argv = onCpu(1, cmd(port));
    const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "ignore", "inherit"] });
    try {
      await waitForPort(port);
      const pipeline = process.argv.includes("--pipeline") ? ["-s", join(root, "bench/wrk/pipeline.lua")] : [];
      const wrk = onCpu(0, ["wrk", "-t1", "-c64", ...pipeline]);
      spawnSync(wrk[0], [...wrk.slice(1), "-d1s", `http://127.0.0.1:${port}/`]); // warm-up
      const cpuBefore = cpuSeconds(child.pid);
      const depth = pipeline.length ? ["--", "16"] : [];
      const out = spawnSync(wrk[0], [...wrk.slice(1), `-d${seconds}s`, `http://127.0.0.1:${port}/`, ...depth], { encoding: "utf8" }).stdout;
      const cpuUs = (cpuSeconds(child.pid) - cpuBefore) * 1e6;
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
      const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
      const errors = /Non-2xx|Socket errors/.exec(out) ? " (errors reported by wrk)" : "";
      (results[name] ??= []).push(rps);
      (cpuPerRequest[name] ??= []).push(cpuUs / requests);
      console.log(`round ${round + 1} ${name}: ${Math.round(rps)} req/s, ${(cpuUs / requests).toFixed(1)} µs CPU per request${errors}`);
    } finally {
      child.kill("SIGKILL");
    }
  }
}
console.log(`\n# wrk -t1 -c64 -d${seconds}s${process.argv.includes("--pipeline") ? ", 16 pipelined requests per write" : ""}, median of ${rounds} alternating rounds${pin ? ", servers on CPU 1, wrk on CPU 0" : ""} (server CPU per request)`);
for (const [name, list] of Object.entries(results)) {
  console.log(`${name.padEnd(19)} ${String(Math.round(median(list))).padStart(7)} req/s  ${median(cpuPerRequest[name]).toFixed(1).padStart(5)} µs`);
}
// Each round runs every server once, close together in time: the ratio within a round cancels
// most of the machine's drift between rounds, so its median is the steadier comparison.
const ratioPairs: [string, string][] = [["evffi (Bun)", "Bun.serve"], ["evffi (Deno)", "Deno.serve"],
  ["evffi object (Bun)", "Bun.serve"], ["evffi object (Deno)", "Deno.serve"], ["evffi serve (Bun)", "Bun.serve"], ["evffi serve (Deno)", "Deno.serve"], ["bare + Web (Bun)", "Bun.serve"], ["bare + Web (Deno)", "Deno.serve"],
  ["reactor + parser (Bun)", "Bun.serve"], ["reactor + parser (Deno)", "Deno.serve"], ["bare FFI (Bun)", "Bun.serve"], ["bare FFI (Deno)", "Deno.serve"]];
ratioPairs.push(...baselinePairs);
if (results["bare C"]) for (const name of Object.keys(results)) if (name !== "bare C") ratioPairs.push([name, "bare C"]);
const lines: string[] = [];
const ratios: RunRatio[] = [];
for (const [a, b] of ratioPairs) {
  if (!results[a] || !results[b]) continue;
  const perRound = results[a].map((v, i) => v / results[b][i]).filter(Number.isFinite);
  const cpu = cpuPerRequest[a].map((v, i) => v / cpuPerRequest[b][i]).filter(Number.isFinite);
  if (!perRound.length) continue;
  const spread = { min: round2(Math.min(...perRound)), max: round2(Math.max(...perRound)) };
  ratios.push({ program: recordName(a), peer: recordName(b), metric: "requests per second", better: "higher", value: round2(median(perRound)), ...spread });
  if (cpu.length) ratios.push({ program: recordName(a), peer: recordName(b), metric: "server CPU per request", better: "lower", value: round2(median(cpu)) });
  lines.push(`${a} / ${b}: req/s ${median(perRound).toFixed(2)}x (rounds ${Math.min(...perRound).toFixed(2)}-${Math.max(...perRound).toFixed(2)}), ` +
    `server CPU per request ${median(cpu).toFixed(2)}x`);
}
if (lines.length) console.log(`\n# per-round ratios, medians\n${lines.join("\n")}`);

if (jsonFile) {
  const list: RunResult[] = Object.entries(results).flatMap(([name, rps]) => [
    { program: recordName(name), metric: "requests per second", unit: "req/s", better: "higher" as const, value: Math.round(median(rps)), rounds: rps.map(Math.round) },
    { program: recordName(name), metric: "server CPU per request", unit: "µs", better: "lower" as const, value: round1(median(cpuPerRequest[name])), rounds: cpuPerRequest[name].map(round1) },
  ]).filter((r) => Number.isFinite(r.value));
  const pipelined = process.argv.includes("--pipeline");
  writeRun(jsonFile, {
    kind: "http",
    title: `HTTP hello-world, wrk -t1 -c64, ${pipelined ? "16 pipelined requests per write" : "one request per write"}${pin ? ", servers pinned to one CPU" : ""}`,
    command: commandLine("node scripts/run.mjs bench/http.ts --bun --", process.argv.slice(2)),
    notes: `${rounds} alternating rounds of ${seconds} s${pin ? ", servers on CPU 1, wrk on CPU 0" : ""}; medians. Ratios: medians of the per-round ratios (min/max: the rounds' spread). "evffi HttpServer" is examples/http.ts.`,
    results: list,
    ratios,
  }, process.argv);
}

/** The names the recorded runs use (bench/results): what each contestant is, not how it is started. */
function recordName(name: string): string {
  const names: Record<string, string> = {
    "evffi (Bun)": "evffi HttpServer (Bun)", "evffi (Deno)": "evffi HttpServer (Deno)",
    "evffi object (Bun)": "evffi HttpServer, object answers (Bun)", "evffi object (Deno)": "evffi HttpServer, object answers (Deno)",
    "evffi serve (Bun)": "evffi serve() (Bun)", "evffi serve (Deno)": "evffi serve() (Deno)",
    "C evhttp": "C libevent evhttp", "bare FFI (Bun)": "bare FFI loop (Bun)", "bare FFI (Deno)": "bare FFI loop (Deno)",
    "bare C": "bare C loop", "io_uring FFI (Bun)": "bare io_uring loop (Bun)", "io_uring FFI (Deno)": "bare io_uring loop (Deno)",
  };
  return names[name] ?? name;
}
function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
