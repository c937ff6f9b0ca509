// A UDP sink for bench/udp.ts: binds 127.0.0.1:PORT, prints "ready", counts the datagrams that
// arrive for SECONDS from the first one, prints "received N in T ms", exits.
// Which receiver: "evffi" (DatagramSocket, recvmmsg batches), "evffi-gro" (the same with UDP_GRO:
// coalesced runs split back into datagrams, each counted) or "native" (Bun.udpSocket on Bun,
// Deno.listenDatagram on Deno, each the way its docs show).
//   bun bench/servers/udp-sink.ts evffi|evffi-gro|native PORT SECONDS
import process from "node:process";

const [kind = "evffi", portArg = "0", secondsArg = "3"] = process.argv.slice(2);
const port = Number(portArg);
const ms = Number(secondsArg) * 1000;
let count = 0;
let first = 0;
const done = () => {
  console.log(`received ${count} in ${Math.round(performance.now() - first)} ms`);
  process.exit(0);
};
const arrived = () => {
  if (count++ === 0) {
    first = performance.now();
    setTimeout(done, ms);
  }
};

// deno-lint-ignore no-explicit-any
const g = globalThis as any;
if (kind === "evffi" || kind === "evffi-gro") {
  const { DatagramSocket, EventBase } = await import("../../src/mod.ts");
  const base = new EventBase();
  new DatagramSocket(base, "udp4", { bind: { host: "127.0.0.1", port }, receiveBufferSize: 4 << 20, gro: kind === "evffi-gro", onMessage: arrived });
  console.log("ready");
  await base.loop();
} else if (g.Bun) {
  await g.Bun.udpSocket({ hostname: "127.0.0.1", port, socket: { data: arrived } });
  console.log("ready");
} else {
  const conn = g.Deno.listenDatagram({ hostname: "127.0.0.1", port, transport: "udp" });
  console.log("ready");
  for await (const _ of conn) arrived();
}
