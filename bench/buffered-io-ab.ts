// The hot paths of EvBuffer and the socket BufferEvent, this checkout against another one (a
// baseline: say, main before a change), measured in ONE process in alternating rounds, best round
// of each reported. On a machine shared with other work, separate runs of bench/evbuffer.bench.ts
// differ by more than the few percent in question (even on code neither version changed); the
// best of many alternating rounds in one process does not.
//   git worktree add /tmp/baseline <commit>   (or git archive <commit> | tar -x -C /tmp/baseline)
//   EVFFI_BASELINE=/tmp/baseline node scripts/run.mjs bench/buffered-io-ab.ts [-- OPS ROUNDS]
//   EVFFI_ONLY=echo ... runs only the cases whose name contains "echo"
import process from "node:process";
import { pathToFileURL } from "node:url";
import * as current from "../src/mod.ts";

type Lib = typeof current;
const baselinePath = process.env.EVFFI_BASELINE;
if (!baselinePath) {
  console.error("set EVFFI_BASELINE to the root of the checkout to compare with");
  process.exit(2);
}
const baseline = (await import(pathToFileURL(`${baselinePath}/src/mod.ts`).href)) as Lib;
const [ops = "20000", rounds = "15"] = process.argv.slice(2).filter((a) => /^\d+$/.test(a));
const OPS = Number(ops), ROUNDS = Number(rounds);

function cases(lib: Lib): Record<string, () => void> {
  const { EvBuffer, sys, EventBase, BufferEvent, EV, EVLOOP } = lib;
  const [a, c] = sys.socketpair();
  const out = new EvBuffer(), into = new EvBuffer(), scratch = new EvBuffer();
  const head = "GET /index.html HTTP/1.1\r\nHost: example.com\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n";
  const body = new Uint8Array(100).fill(65);
  const base = new EventBase({ method: "epoll", ignoreEnv: true });
  const [x, y] = sys.socketpair();
  const server = new BufferEvent(base, x);
  server.setCallbacks((b) => b.writeBuffer(b.input));
  server.enable(EV.READ);
  const client = new BufferEvent(base, y);
  let echoed = 0;
  client.setCallbacks((b) => {
    echoed += b.input.length;
    b.input.drain(b.input.length);
  });
  client.enable(EV.READ);
  return {
    "add(short string) + drain": () => {
      scratch.add("HTTP/1.1 200 OK\r\n");
      scratch.drain(scratch.length);
    },
    "add(100 B) + writeSocket + readSocket + drain": () => {
      out.add(body);
      out.writeSocket(a);
      into.readSocket(c);
      into.drain(into.length);
    },
    "search CRLFCRLF + readLine until empty": () => {
      scratch.add(head);
      scratch.search("\r\n\r\n");
      while (scratch.readLine("crlf")) { /* the head's lines */ }
      scratch.drain(scratch.length);
    },
    "BufferEvent echo round trip (100 B)": () => {
      const before = echoed;
      client.write(body);
      while (echoed === before) base.loopSync(EVLOOP.ONCE);
    },
  };
}

const built = [["baseline", cases(baseline)], ["current", cases(current)]] as const;
const only = process.env.EVFFI_ONLY;
const names = Object.keys(built[0][1]).filter((n) => !only || n.includes(only));
const best = new Map<string, number>();
for (let r = 0; r < ROUNDS; r++) {
  for (const name of names) {
    // Alternate which goes first, so neither always runs on a warmer cache.
    for (const [label, cs] of r % 2 ? [built[1], built[0]] : built) {
      const fn = cs[name];
      const t0 = performance.now();
      for (let i = 0; i < OPS; i++) fn();
      const ns = ((performance.now() - t0) * 1e6) / OPS;
      const key = `${name}|${label}`;
      if (r > 0) best.set(key, Math.min(best.get(key) ?? Infinity, ns)); // round 0 is warm-up
    }
  }
}
console.log(`# ${current.runtimeVersion}: best of ${ROUNDS - 1} rounds x ${OPS} ops, baseline and current alternating (ns per op)`);
for (const name of names) {
  const b = best.get(`${name}|baseline`)!, c = best.get(`${name}|current`)!;
  console.log(`${name.padEnd(48)} baseline ${b.toFixed(0).padStart(6)}  current ${c.toFixed(0).padStart(6)}  current/baseline ${(c / b).toFixed(3)}`);
}
process.exit(0);
