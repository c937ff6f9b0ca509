// A UDP echo server. Run: node scripts/run.mjs examples/udp-echo.ts [-- PORT]
// (--self-test: pick a free port, send a batch of datagrams to itself, check the echoes, exit).
import { DatagramSocket, EventBase, formatAddress, scriptArgs } from "../src/mod.ts";

const base = new EventBase();
const port = Number(scriptArgs().find((a) => /^\d+$/.test(a)) ?? 0);
const server = new DatagramSocket(base, "udp4", {
  bind: { host: "127.0.0.1", port },
  onMessage: (data, from, { socket }) => socket.send(data, from!), // data is valid during the call
});
console.log(`udp echo on ${formatAddress(server.address)}`);

if (scriptArgs().includes("--self-test")) {
  const sent = Array.from({ length: 10 }, (_, i) => `datagram ${i}`);
  const got: string[] = [];
  const client = new DatagramSocket(base, "udp4", {
    connect: server.address,
    onMessage: (data) => {
      got.push(new TextDecoder().decode(data));
      if (got.length < sent.length) return;
      console.log(got.join(",") === sent.join(",") ? "echoed 10 datagrams in order" : `mismatch: ${got}`);
      client.close();
      server.close();
    },
  });
  client.sendBatch(sent.map((data) => ({ data })));
}
await base.loop();
