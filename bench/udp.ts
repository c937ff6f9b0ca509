// UDP receive throughput, in one run, alternating receivers: evffi's DatagramSocket (recvmmsg
// batches) on Bun and on Deno against Bun.udpSocket and Deno.listenDatagram, each fed by the same
// sender (bench/servers/udp-blast.ts, 64-byte datagrams) for SECONDS. Loopback UDP drops what the
// receiver cannot take, so datagrams received per second is the receiver's own speed.
// --pin puts each receiver on CPU 1 and the sender on CPU 0.
// --offload (Linux) compares instead evffi on Bun with and without UDP segmentation offload: the
// sender's sendmmsg batches or GSO sends (--size bytes per datagram, default 64), the receiver
// plain or with GRO, all four pairs alternating; every datagram is counted, split or not.
// --json FILE also writes the run as data (bench/results/README.md; `npm run charts` draws it);
// --smoke marks that file as a check that the script runs, not a result.
// Run: node scripts/run.mjs bench/udp.ts --bun [-- SECONDS ROUNDS] [--pin] [--gso-sender] [--offload [--size N]] [--json FILE [--smoke]]
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { median } from "./servers/harness.ts";
import { commandLine, jsonArgument, writeRun } from "../scripts/bench-record.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (n: string) => join(root, "node_modules", ".bin", n);
const [seconds = "3", rounds = "3"] = process.argv.slice(2).filter((a, i, all) => /^\d+$/.test(a) && all[i - 1] !== "--size");
const pin = process.argv.includes("--pin");
const jsonFile = jsonArgument(process.argv);
const onCpu = (cpu: number, argv: string[]) => (pin ? ["taskset", "-c", String(cpu), ...argv] : argv);
const offload = process.argv.includes("--offload");
// --gso-sender: the sender uses GSO (one send per 64 datagrams) instead of sendmmsg batches, so that
// one sender thread outruns the fastest receivers (with sendmmsg it tops out near them).
const gsoSender = process.argv.includes("--gso-sender");
const sizeAt = process.argv.indexOf("--size");
const size = sizeAt === -1 ? "64" : process.argv[sizeAt + 1]!;
const sink = join(root, "bench/servers/udp-sink.ts");
const blast = join(root, "bench/servers/udp-blast.ts");
type Pair = { receiver: (port: number) => string[]; sender: (port: number) => string[] };
const plainSender = (p: number) => [bin("bun"), blast, String(p), String(Number(seconds) + 1), size];
const pairs: Record<string, Pair> = offload ? {
  "sendmmsg -> plain": { receiver: (p) => [bin("bun"), sink, "evffi", String(p), seconds], sender: plainSender },
  "GSO -> plain": { receiver: (p) => [bin("bun"), sink, "evffi", String(p), seconds], sender: (p) => [...plainSender(p), "gso"] },
  "sendmmsg -> GRO": { receiver: (p) => [bin("bun"), sink, "evffi-gro", String(p), seconds], sender: plainSender },
  "GSO -> GRO": { receiver: (p) => [bin("bun"), sink, "evffi-gro", String(p), seconds], sender: (p) => [...plainSender(p), "gso"] },
} : {};
const receivers: Record<string, (port: number) => string[]> = offload ? {} : {
  "evffi (Bun)": (p) => [bin("bun"), sink, "evffi", String(p), seconds],
  "evffi (Deno)": (p) => [bin("deno"), "run", "-A", sink, "evffi", String(p), seconds],
  "Bun.udpSocket": (p) => [bin("bun"), sink, "native", String(p), seconds],
  "Deno.listenDatagram": (p) => [bin("deno"), "run", "-A", "--unstable-net", sink, "native", String(p), seconds],
};

function run(argv: string[], onLine?: (line: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      for (const line of String(d).split("\n")) if (line && onLine) onLine(line);
    });
    child.on("error", reject);
    child.on("exit", () => resolve(out));
  });
}

const results: Record<string, number[]> = {};
for (const [name, pair] of Object.entries(pairs)) receivers[name] = pair.receiver;
for (let round = 1; round <= Number(rounds); round++) {
  for (const [name, argv] of Object.entries(receivers)) {
    const port = 20000 + Math.floor(Math.random() * 20000);
    let started!: () => void;
    const ready = new Promise<void>((r) => (started = r));
    const receiving = run(onCpu(1, argv(port)), (line) => line === "ready" && started());
    await ready;
    await run(onCpu(0, pairs[name]?.sender(port) ?? (gsoSender ? [...plainSender(port), "gso"] : plainSender(port))));
    const m = /received (\d+) in (\d+) ms/.exec(await receiving);
    const pps = m ? Number(m[1]) / (Number(m[2]) / 1000) : 0;
    (results[name] ??= []).push(pps);
    console.log(`round ${round} ${name}: ${Math.round(pps)} datagrams/s`);
  }
}
console.log(`\n# ${size}-byte datagrams received per second, median of ${rounds} alternating rounds of ${seconds} s${pin ? ", receiver on CPU 1, sender on CPU 0" : ""}`);
for (const [name, xs] of Object.entries(results)) console.log(`${name.padEnd(20)} ${Math.round(median(xs))} (${xs.map(Math.round).join(", ")})`);
const perRound = (a: string, b: string) => results[a]!.map((x, i) => x / results[b]![i]!);
const spread = (a: string, b: string) => `${Math.min(...perRound(a, b)).toFixed(2)}-${Math.max(...perRound(a, b)).toFixed(2)}`;
const ratio = (a: string, b: string) => median(perRound(a, b)).toFixed(2);
if (offload) {
  for (const name of Object.keys(pairs).slice(1)) console.log(`${name} / sendmmsg -> plain: ${ratio(name, "sendmmsg -> plain")}x (per-round ratios, median; range ${spread(name, "sendmmsg -> plain")})`);
  process.exit(0);
}
console.log(`evffi (Bun) / Bun.udpSocket: ${ratio("evffi (Bun)", "Bun.udpSocket")}x; evffi (Deno) / Deno.listenDatagram: ${ratio("evffi (Deno)", "Deno.listenDatagram")}x (per-round ratios, median)`);
if (jsonFile) {
  const names: Record<string, string> = { "evffi (Bun)": "evffi DatagramSocket (Bun)", "evffi (Deno)": "evffi DatagramSocket (Deno)" };
  const metric = "datagrams received per second";
  const r2 = (x: number) => Math.round(x * 100) / 100;
  writeRun(jsonFile, {
    kind: "udp",
    title: "UDP receive throughput, 64-byte datagrams over loopback",
    command: commandLine("node scripts/run.mjs bench/udp.ts --bun --", process.argv.slice(2)),
    notes: `${rounds} alternating rounds of ${seconds} s${pin ? ", receiver on CPU 1, sender on CPU 0" : ""}${gsoSender ? ", a GSO sender" : ", a sendmmsg sender"}; medians. Ratios: medians of the per-round ratios (min/max: the rounds' spread).`,
    results: Object.entries(results).map(([name, xs]) => ({
      program: names[name] ?? name, metric, unit: "datagrams/s", better: "higher" as const, value: Math.round(median(xs)), rounds: xs.map(Math.round),
    })),
    ratios: [["evffi (Bun)", "Bun.udpSocket"], ["evffi (Deno)", "Deno.listenDatagram"]].map(([a, b]) => {
      const xs = perRound(a!, b!);
      return { program: names[a!]!, peer: b!, metric, better: "higher" as const, value: r2(median(xs)), min: r2(Math.min(...xs)), max: r2(Math.max(...xs)) };
    }),
  }, process.argv);
}
