// The sender for bench/udp.ts: 64-byte datagrams to 127.0.0.1:PORT for SECONDS, as fast as one
// thread can (evffi's sendBatch: 32 per sendmmsg; a full send buffer just means the next batch).
//   bun bench/servers/udp-blast.ts PORT SECONDS
import process from "node:process";
import { DatagramSocket, EventBase } from "../../src/mod.ts";

const [portArg = "0", secondsArg = "4"] = process.argv.slice(2);
const base = new EventBase();
const socket = new DatagramSocket(base, "udp4", { connect: { host: "127.0.0.1", port: Number(portArg) }, sendBufferSize: 4 << 20 });
const batch = Array.from({ length: 32 }, () => ({ data: new Uint8Array(64) }));
const end = performance.now() + Number(secondsArg) * 1000;
let sent = 0;
while (performance.now() < end) sent += socket.sendBatch(batch);
console.log(`sent ${sent}`);
socket.close();
base.close();
