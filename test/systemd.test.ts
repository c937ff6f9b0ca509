// Socket activation and sd_notify the way systemd does them: a child process started with
// listening and datagram sockets at fds 3 and 4, LISTEN_PID set to its own pid by the shell that
// execs it, LISTEN_FDS/LISTEN_FDNAMES, and NOTIFY_SOCKET naming a socket this test reads.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import process from "node:process";
import { DatagramSocket, describeSocket, EventBase, EVLOOP, listenFds, os, runtime, sdNotify, sys, watchdogInterval } from "./deps.ts";
import { hangGuard } from "./helpers.ts";
import { constants as K, errnoCell, libc } from "../src/ffi/mod.ts";
import { encodeAddress, resolveAddress } from "../src/ffi/sockaddr.ts";

function listeningTcp(): number {
  const fd = sys.streamSocket(K.AF_INET);
  const { bytes, length } = encodeAddress(resolveAddress({ host: "127.0.0.1", port: 0 }));
  assert.equal(libc.bind(fd, bytes, length), 0, `bind: errno ${errnoCell[0]}`);
  assert.equal(libc.listen(fd, 16), 0);
  return fd;
}

function runActivated(fds: number[], env: Record<string, string>): { status: number | null; report: Record<string, unknown>; stderr: string } {
  const child = new URL("./fixtures/systemd-child.ts", import.meta.url).pathname;
  const command = runtime === "deno" ? `exec "${process.execPath}" run -A "${child}"` : `exec "${process.execPath}" "${child}"`;
  // The shell's $$ is the pid the runtime keeps after exec, as systemd sets LISTEN_PID after fork.
  const r = spawnSync("sh", ["-c", `LISTEN_PID=$$ ${command}`], {
    stdio: ["ignore", "pipe", "pipe", ...fds],
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: hangGuard(30_000),
  });
  const line = r.stdout.trim().split("\n").pop() ?? "";
  return { status: r.status, report: line.startsWith("{") ? JSON.parse(line) : {}, stderr: r.stderr };
}

describe("systemd socket activation and sd_notify", { skip: os !== "linux" && "uses Linux abstract names" }, () => {
  it("a child finds its named sockets at fds 3 and 4, serves on the inherited listener, and reports READY=1", () => {
    const base = new EventBase();
    const notifications: string[] = [];
    const notifyName = `@evffi-notify-${process.pid}-${Math.random().toString(36).slice(2)}`;
    const notify = new DatagramSocket(base, "unix", { bind: { path: notifyName }, onMessage: (d) => void notifications.push(new TextDecoder().decode(d)) });
    const tcp = listeningTcp();
    const udp = new DatagramSocket(base, "udp4", { bind: { port: 0 } });
    try {
      const { status, report, stderr } = runActivated([tcp, udp.fd], {
        LISTEN_FDS: "2", LISTEN_FDNAMES: "web:stats", NOTIFY_SOCKET: notifyName, WATCHDOG_USEC: "30000000",
      });
      assert.equal(status, 0, stderr);
      assert.deepEqual(report.sockets, [
        { fd: 3, name: "web", type: "stream", listening: true, family: "ipv4" },
        { fd: 4, name: "stats", type: "datagram", listening: false, family: "ipv4" },
      ]);
      assert.equal(report.envAfter, null, "LISTEN_* are unset, so the child's children do not take the sockets");
      assert.equal(report.watchdogMs, 30_000, "WATCHDOG_PID unset: the interval is this process's");
      assert.equal(report.greeting, "hello from the child\n");
      assert.equal(report.notified, true);
      base.loopSync(EVLOOP.NONBLOCK);
      assert.deepEqual(notifications, ["READY=1\nSTATUS=serving on an inherited socket"]);
    } finally {
      sys.close(tcp);
      udp.close();
      notify.close();
      base.close();
    }
  });

  it("sockets meant for another pid are left alone, and no NOTIFY_SOCKET means sdNotify returns false", () => {
    const tcp = listeningTcp();
    try {
      // LISTEN_PID is overridden by the shell: make it wrong by naming our own pid instead.
      const child = new URL("./fixtures/systemd-child.ts", import.meta.url).pathname;
      const command = runtime === "deno" ? `exec "${process.execPath}" run -A "${child}"` : `exec "${process.execPath}" "${child}"`;
      const r = spawnSync("sh", ["-c", `LISTEN_PID=${process.pid} ${command}`], {
        stdio: ["ignore", "pipe", "pipe", tcp],
        env: { ...process.env, LISTEN_FDS: "1", NOTIFY_SOCKET: "" },
        encoding: "utf8",
        timeout: hangGuard(30_000),
      });
      assert.equal(r.status, 0, r.stderr);
      const report = JSON.parse(r.stdout.trim().split("\n").pop()!);
      assert.deepEqual(report.sockets, []);
      assert.equal(report.notified, false);
    } finally {
      sys.close(tcp);
    }
  });

  it("in this process: no variables, no sockets; bad input is named", () => {
    assert.deepEqual(listenFds({ unsetEnvironment: false }), []);
    if (process.env.WATCHDOG_USEC === undefined) assert.equal(watchdogInterval(), null);
    const [a, b] = sys.pipe();
    try {
      assert.throws(() => describeSocket(a), /fd \d+ is not a socket/);
    } finally {
      sys.close(a);
      sys.close(b);
    }
    assert.throws(() => describeSocket(-1), TypeError);
    assert.throws(() => sdNotify(""), /must not be empty/);
    assert.throws(() => sdNotify({ "A=B": 1 }), TypeError);
    assert.throws(() => sdNotify(42 as never), TypeError);
  });
});
