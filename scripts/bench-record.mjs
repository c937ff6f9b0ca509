// Writing a benchmark run as data (the format of bench/results/README.md): the machine and the
// versions it ran with, found out here, and the run's figures from the script that measured them.
// Used by bench/http.ts, bench/echo.ts, bench/udp.ts, bench/coop.ts (`--json FILE`) and by
// scripts/bench-ratio.sh (`--json FILE`); plain JavaScript so that node, Bun and Deno all load it.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * The file named after `--json` in `argv`, or undefined when there is no `--json`.
 * @example
 * const file = jsonArgument(process.argv); // "bench/results/2026-12-02-http.json" for `... --json bench/results/2026-12-02-http.json`
 */
export function jsonArgument(argv) {
  const i = argv.indexOf("--json");
  if (i < 0) return undefined;
  const file = argv[i + 1];
  if (typeof file !== "string" || file.startsWith("--")) throw new TypeError(`--json needs a file name, got ${file === undefined ? "nothing" : JSON.stringify(file)} (${typeof file})`);
  return file;
}

/**
 * The command line that reproduces a run: `prefix` and `args` without `--json FILE` and `--smoke`.
 * @example
 * commandLine("node scripts/run.mjs bench/udp.ts --bun --", ["2", "3", "--json", "x.json"]); // "node scripts/run.mjs bench/udp.ts --bun -- 2 3"
 */
export function commandLine(prefix, args) {
  const kept = args.filter((a, i) => a !== "--smoke" && a !== "--json" && args[i - 1] !== "--json");
  if (!kept.length) return prefix.replace(/ --$/, "");
  return [prefix, ...kept.map((a) => (/^[\w./=:,@+-]+$/.test(a) ? a : JSON.stringify(a)))].join(" ");
}

/** The first line a command prints, or undefined if it cannot run. */
function firstLine(cmd, args) {
  try {
    const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 10_000 });
    return r.status === 0 ? r.stdout.split("\n")[0].trim() || undefined : undefined;
  } catch {
    return undefined;
  }
}

/** Whether this is a virtual machine: the CPU's hypervisor flag, with the vendor DMI names when there is one. */
function virtualization() {
  try {
    if (!/^flags\s*:.*\bhypervisor\b/m.test(readFileSync("/proc/cpuinfo", "utf8"))) return "no";
  } catch {
    return undefined; // not Linux: not recorded
  }
  for (const f of ["/sys/class/dmi/id/product_name", "/sys/class/dmi/id/sys_vendor"]) {
    try {
      const name = readFileSync(f, "utf8").trim();
      if (name) return `VM (${name})`;
    } catch {
      // no DMI table (Firecracker has none): the flag is all there is
    }
  }
  return "VM";
}

/**
 * The machine a run is on, as the format records it.
 * @example
 * describeMachine(); // { cpu: "Intel(R) Xeon(R) Processor", cores: 2, arch: "x86_64", kernel: "Linux 6.18.44", vm: "VM", load: "..." }
 */
export function describeMachine() {
  // Deno refuses node:os's cpus(), loadavg() and release() without --allow-sys; Linux's /proc then
  // gives the same facts under --allow-read.
  const proc = (path) => attempt(() => readFileSync(path, "utf8"));
  const cpus = attempt(() => os.cpus()) ?? [];
  const cpuinfo = proc("/proc/cpuinfo") ?? "";
  const load = attempt(() => os.loadavg()) ?? proc("/proc/loadavg")?.split(" ").slice(0, 3).map(Number);
  return {
    cpu: cpus[0]?.model?.trim() || /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() || undefined,
    cores: cpus.length || cpuinfo.match(/^processor\s*:/gm)?.length || globalThis.navigator?.hardwareConcurrency || undefined,
    arch: attempt(() => (typeof os.machine === "function" ? os.machine() : os.arch())),
    kernel: attempt(() => `${os.type()} ${os.release()}`) ?? (proc("/proc/sys/kernel/osrelease") ? `Linux ${proc("/proc/sys/kernel/osrelease").trim()}` : undefined),
    vm: virtualization(),
    load: load ? `load average ${load.map((x) => x.toFixed(2)).join(" ")} at the start` : undefined,
  };
}

/** `fn()`, or undefined when it throws (a missing file, a refused permission). */
function attempt(fn) {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

/**
 * The versions of what a run compares: the project's Bun and Deno, node, the C compiler and
 * libevent (each left out when it is not there).
 * @example
 * describeVersions(); // { bun: "1.4.5", deno: "2.9.6", node: "v20.20.2", cc: "(Debian 12.2.0-14) 12.2.0", libevent: "2.1.12-stable" }
 */
export function describeVersions() {
  const bin = (n) => join(root, "node_modules", ".bin", n);
  const versions = {
    bun: firstLine(bin("bun"), ["--version"]),
    deno: firstLine(bin("deno"), ["--version"])?.split(" ")[1],
    node: firstLine("node", ["--version"]),
    cc: firstLine("cc", ["--version"])?.replace(/^cc /, ""),
    libevent: firstLine("pkg-config", ["--modversion", "libevent"]),
  };
  return Object.fromEntries(Object.entries(versions).filter(([, v]) => v));
}

/**
 * Writes one run to `file` (creating its folder) with today's date (UTC), the machine and the
 * versions. `--smoke` in `argv` marks it as a smoke run (a check that the script writes data, not a
 * result). With `merge`, a file that already holds a run of the same kind and date gets this run's
 * results and ratios appended (scripts that measure one workload or one runtime per process).
 * @example
 * writeRun("/tmp/udp.json", { kind: "udp", title: "UDP receive", command: "bun bench/udp.ts", notes: "", results: [], ratios: [] }, process.argv);
 */
export function writeRun(file, run, argv = [], { merge = false } = {}) {
  const date = new Date().toISOString().slice(0, 10);
  let record = {
    format: "evffi-bench-run/1",
    kind: run.kind,
    title: run.title,
    date,
    ...(argv.includes("--smoke") ? { smoke: true } : {}),
    machine: Object.fromEntries(Object.entries(describeMachine()).filter(([, v]) => v !== undefined)),
    versions: describeVersions(),
    command: run.command,
    notes: run.notes,
    results: run.results,
    ratios: run.ratios,
  };
  if (merge && existsSync(file)) {
    const old = JSON.parse(readFileSync(file, "utf8"));
    if (old.kind === record.kind && old.date === record.date && !old.transcribedFrom) {
      record = {
        ...old,
        command: old.command === record.command || old.command.split("; ").includes(record.command) ? old.command : `${old.command}; ${record.command}`,
        versions: { ...old.versions, ...record.versions },
        results: [...old.results, ...record.results],
        ratios: [...old.ratios, ...record.ratios],
      };
    }
  }
  mkdirSync(dirname(file) || ".", { recursive: true });
  writeFileSync(file, JSON.stringify(record, null, 2) + "\n");
  console.log(`# wrote ${file}${record.smoke ? " (a smoke run)" : ""}`);
}
