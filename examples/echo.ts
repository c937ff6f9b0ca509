// An echo server in a few lines. Run: node scripts/run.mjs examples/echo.ts [-- PORT]
// (--self-test: pick a free port, echo one message to itself, exit).
import { BEV, BufferEvent, EV, EventBase, Listener, scriptArgs } from "../src/mod.ts";

const base = new EventBase();
const listener = new Listener(base, { port: Number(scriptArgs().find((a: string) => /^\d+$/.test(a)) ?? 0) }, (fd) => {
  const bev = new BufferEvent(base, fd);
  bev.setCallbacks((b) => b.writeBuffer(b.input), null, (b, what) => (what & (BEV.EOF | BEV.ERROR)) && b.close());
  bev.enable(EV.READ);
});
console.log(`echo server on port ${(listener.address as { port: number }).port}`);

if (scriptArgs().includes("--self-test")) {
  const client = new BufferEvent(base, -1).connect(listener.address);
  client.setCallbacks((b) => {
    console.log("echoed:", new TextDecoder().decode(b.read()));
    b.close();
    listener.close();
  }, null, (b, what) => (what & BEV.CONNECTED) && b.write("hello, echo"));
  client.enable(EV.READ);
}
await base.loop();
