// Helpers of the threads tests: waiting for a condition, fd snapshots, an echo client.
import { readdirSync, readlinkSync } from "node:fs";
import { EV, type EventBase, sys } from "./deps.ts";
import { heapUsedAfterGc } from "../src/ffi/mod.ts";
import { connectTcp } from "../src/net/socket.ts";
import { hangGuard } from "./helpers.ts";

export const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** Polls `cond` until it holds; `ms` only ends a hung wait (stretched under an emulator). */
export async function waitFor(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + hangGuard(ms);
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

/** The open fds of this process and what each one is ("socket:[123]", "pipe:[45]", ...). */
export function fdSnapshot(): Map<string, string> {
  const fds = new Map<string, string>();
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      fds.set(fd, readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      // the directory fd readdirSync used, closed by now
    }
  }
  return fds;
}

/**
 * The fds open now that were not open at `before` (after letting the runtimes release the fds
 * of Workers that ended: they do it lazily, at a garbage collection).
 */
export async function fdsAddedSince(before: Map<string, string>, ms = 5000): Promise<string[]> {
  const until = Date.now() + ms;
  for (;;) {
    heapUsedAfterGc();
    const added = [...fdSnapshot()].filter(([fd, what]) => before.get(fd) !== what).map(([fd, what]) => `${fd} -> ${what}`);
    if (added.length === 0 || Date.now() > until) return added;
    await sleep(20);
  }
}

/** A connected TCP client that writes `payload` and collects the echo, on `base`. */
export function echoClient(base: EventBase, port: number, payload: Uint8Array, done: (echoed: Uint8Array) => void): void {
  const fd = connectTcp(port);
  const got = new Uint8Array(payload.byteLength);
  let have = 0;
  let sent = 0;
  const writer = base.event(fd, EV.WRITE | EV.PERSIST, () => {
    const n = sys.write(fd, payload.subarray(sent));
    if (n !== null) sent += n;
    if (sent === payload.byteLength) writer.close();
  });
  writer.add();
  const reader = base.event(fd, EV.READ | EV.PERSIST, () => {
    const chunk = sys.read(fd, got.subarray(have));
    if (chunk === null) return;
    have += chunk.byteLength;
    if (chunk.byteLength === 0 || have === payload.byteLength) {
      reader.close();
      if (!writer.closed) writer.close();
      sys.close(fd);
      done(got.subarray(0, have));
    }
  });
  reader.add();
}
