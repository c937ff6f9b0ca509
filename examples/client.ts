// An HTTP client on BufferEvent: connects, sends one GET, prints the response, exits.
// Run: node scripts/run.mjs examples/client.ts -- PORT [PATH]   (starts its own server without PORT)
import { BEV, BufferEvent, EV, EventBase, HttpServer, scriptArgs } from "../src/mod.ts";

const base = new EventBase();
const [portArg, path = "/"] = scriptArgs();
let server: HttpServer | null = null;
let port = Number(portArg);
if (!portArg) {
  server = new HttpServer(base, { port: 0 }, (req) => ({ body: `you asked for ${req.target}\n` }));
  port = (server.address as { port: number }).port;
}

const client = new BufferEvent(base, -1);
client.setCallbacks(null, null, (b, what, err) => {
  if (what & BEV.CONNECTED) {
    b.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
  } else if (what & BEV.EOF) {
    console.log(new TextDecoder().decode(b.read()));
    b.close();
    server?.close();
  } else if (what & BEV.ERROR) {
    console.error(`connection failed: ${err?.message}`);
    b.close();
    server?.close();
  }
});
client.enable(EV.READ);
client.setWatermark(EV.READ, 1 << 30); // collect everything; print at EOF
client.connect({ host: "127.0.0.1", port });
await base.loop();
