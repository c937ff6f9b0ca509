// The sender for bench/udp.ts: SIZE-byte datagrams (default 64) to 127.0.0.1:PORT for SECONDS, as
// fast as one thread can (evffi's sendBatch: 32 per sendmmsg; a full send buffer just means the
// next batch). With "gso", Linux's UDP segmentation instead: one send of up to 64 datagrams
// (UDP_SEGMENT), which the kernel cuts apart, or hands whole to a receiver that asked for GRO.
//   bun bench/servers/udp-blast.ts PORT SECONDS [SIZE] [gso]
import process from "node:process";
import { DatagramSocket, EventBase, SyscallError } from "../../src/mod.ts";

const [portArg = "0", secondsArg = "4", sizeArg = "64", mode = "batch"] = process.argv.slice(2);
const size = Number(sizeArg);
const base = new EventBase();
const socket = new DatagramSocket(base, "udp4", { connect: { host: "127.0.0.1", port: Number(portArg) }, sendBufferSize: 4 << 20 });
const batch = Array.from({ length: 32 }, () => ({ data: new Uint8Array(size) }));
// At most 64 segments per send (UDP_MAX_SEGMENTS on older kernels), and at most 64 KiB in all.
const segments = Math.min(64, Math.floor(65507 / size));
const run = new Uint8Array(segments * size);
const end = performance.now() + Number(secondsArg) * 1000;
let sent = 0;
try {
  if (mode === "gso") {
    while (performance.now() < end) if (socket.send(run, null, { segmentSize: size })) sent += segments;
  } else {
    while (performance.now() < end) sent += socket.sendBatch(batch);
  }
} catch (err) {
  // The sink has counted its seconds and gone: its port answers with ICMP unreachable.
  if (!(err instanceof SyscallError && err.code === "ECONNREFUSED")) throw err;
}
console.log(`sent ${sent}`);
socket.close();
base.close();
