#!/usr/bin/env node
// npm run test:arm64: the whole suite (scripts/test.mjs) on both runtimes as aarch64 Linux, under
// qemu-user on an x86_64 host, with the aarch64 builds of the same Bun and Deno versions the
// project pins. Prepares what it needs, once:
//   - Debian's qemu-user-static, libc6-arm64-cross and libgcc-s1-arm64-cross (apt-get; needs root),
//     the aarch64 libc and libgcc that the runtimes load, found through QEMU_LD_PREFIX, and
//     gcc-aarch64-linux-gnu, so the layout test compares the arm64 tables with the arm64 headers;
//   - a binfmt_misc entry for aarch64 ELF files, so that a test that starts a child process of its
//     own runtime (process.execPath) starts it under qemu too;
//   - @oven/bun-linux-aarch64 and @deno/linux-arm64-glibc in .arm64/ (not the project's
//     dependencies), at package.json's versions of bun and deno.
// Then runs scripts/test.mjs with EVFFI_TEST_RUNTIME_DIR pointing at those runtimes and
// EVFFI_TEST_EMULATOR=qemu-user, which lets the few tests that meet the emulator's own limits skip
// with a reason that names it. Arguments are passed on (test files).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const arm64 = join(root, ".arm64");
const sysroot = "/usr/aarch64-linux-gnu";
const started = Date.now();

function sh(cmd, args, opts = {}) {
  console.log(`$ ${cmd} ${args.join(" ")}`);
  const r = spawnSync(cmd, args, { stdio: "inherit", ...opts });
  if (r.status !== 0) {
    console.error(`${cmd} failed (${r.status ?? r.signal})`);
    process.exit(2);
  }
}

if (process.arch !== "x64" || process.platform !== "linux") {
  console.error(`test:arm64 emulates aarch64 on an x86_64 Linux host; this is ${process.platform}-${process.arch}`);
  process.exit(2);
}

// 1. The emulator and the aarch64 C runtime.
const qemu = "/usr/bin/qemu-aarch64-static";
// gcc-aarch64-linux-gnu lets test/layout.test.ts check the linux-arm64 table against the headers.
const crossCc = "/usr/bin/aarch64-linux-gnu-gcc";
if (!existsSync(qemu) || !existsSync(join(sysroot, "lib/libc.so.6")) || !existsSync(join(sysroot, "lib/libgcc_s.so.1")) || !existsSync(crossCc)) {
  sh("apt-get", ["update", "-qq"]);
  sh("apt-get", ["install", "-y", "-qq", "qemu-user-static", "libc6-arm64-cross", "libgcc-s1-arm64-cross", "gcc-aarch64-linux-gnu"]);
}

// 2. binfmt_misc: aarch64 executables started by the tests run under qemu as well.
const binfmt = "/proc/sys/fs/binfmt_misc";
if (!existsSync(join(binfmt, "qemu-aarch64"))) {
  if (!existsSync(join(binfmt, "register"))) sh("mount", ["-t", "binfmt_misc", "binfmt_misc", binfmt]);
  // The entry Debian's package ships for systemd-binfmt (flag F: the interpreter is opened now).
  writeFileSync(join(binfmt, "register"), readFileSync("/usr/lib/binfmt.d/qemu-aarch64.conf", "utf8").trim());
}

// 3. The aarch64 runtimes at the pinned versions.
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const wanted = {
  "@oven/bun-linux-aarch64": pkg.devDependencies.bun,
  "@deno/linux-arm64-glibc": pkg.devDependencies.deno,
};
const installedVersion = (name) => {
  const p = join(arm64, "node_modules", name, "package.json");
  return existsSync(p) ? JSON.parse(readFileSync(p, "utf8")).version : null;
};
if (Object.entries(wanted).some(([name, version]) => installedVersion(name) !== version)) {
  mkdirSync(arm64, { recursive: true });
  // --force: npm would otherwise refuse packages whose "cpu" is not this host's.
  sh("npm", ["install", "--prefix", arm64, "--no-save", "--no-package-lock", "--force", "--no-audit", "--no-fund",
    ...Object.entries(wanted).map(([name, version]) => `${name}@${version}`)]);
}
const binDir = join(arm64, "bin");
rmSync(binDir, { recursive: true, force: true });
mkdirSync(binDir, { recursive: true });
symlinkSync(join(arm64, "node_modules/@oven/bun-linux-aarch64/bin/bun"), join(binDir, "bun"));
symlinkSync(join(arm64, "node_modules/@deno/linux-arm64-glibc/deno"), join(binDir, "deno"));

// 4. The suite.
// The portable-paths pass is left to the native run (EVFFI_TEST_PORTABLE=1 brings it back): those
// paths do not depend on the CPU, and emulation makes every pass several times slower.
const env = {
  EVFFI_TEST_PORTABLE: "0", ...process.env, CC: crossCc, QEMU_LD_PREFIX: sysroot, EVFFI_TEST_RUNTIME_DIR: binDir, EVFFI_TEST_EMULATOR: "qemu-user",
};
const check = spawnSync(join(binDir, "bun"), ["-e", "console.log(process.arch)"], { env, encoding: "utf8" });
if (check.stdout.trim() !== "arm64") {
  console.error(`the aarch64 Bun did not start under qemu: ${check.status} ${check.stderr}`);
  process.exit(2);
}
const r = spawnSync(process.execPath, [join(root, "scripts/test.mjs"), ...process.argv.slice(2)], { stdio: "inherit", env });

// The tests that skipped for a limit of the emulator (each names it through emulatorLimit()).
console.log("\nskipped for qemu-user's own limits (each on both runtimes):");
for (const file of readdirSync(join(root, "test")).filter((f) => f.endsWith(".test.ts")).sort()) {
  const text = readFileSync(join(root, "test", file), "utf8");
  const skips = text.matchAll(/(?:it|describe)\(([`"])(.+?)\1,\s*\{\s*skip:[^\n]*?emulatorLimit\("([^"]+)"\)/g);
  for (const m of skips) console.log(`  test/${file}: "${m[2]}": ${m[3]}`);
}
console.log(`test:arm64 (aarch64 under qemu-user): ${((Date.now() - started) / 60000).toFixed(1)} min in all`);
process.exit(r.status ?? 1);
