// Serving on a socket the service manager opened (systemd socket activation), and telling it when
// ready. Under systemd, with a .socket unit (ListenStream=8080) and this as the .service's
// ExecStart; run by hand it listens on its own port instead.
// Run: node scripts/run.mjs examples/socket-activation.ts [-- --self-test]
// (--self-test: starts itself the way systemd would, with a listening socket at fd 3, and checks
// that the child served on it and reported READY=1.)
import { spawnSync } from "node:child_process";
import process from "node:process";
import { BufferEvent, EV, EventBase, Listener, listenFds, scriptArgs, sdNotify, sys } from "../src/mod.ts";
import { scriptCommand } from "../src/ffi/mod.ts";
import { listenOn } from "../src/net/socket.ts";

if (scriptArgs().includes("--self-test")) {
  const fd = listenOn({ host: "127.0.0.1", port: 0 });
  const command = scriptCommand(new URL(import.meta.url).pathname, ["--serve-one"]).map((a) => `'${a}'`).join(" ");
  // sh's $$ is the pid the runtime keeps after exec, as systemd sets LISTEN_PID after fork.
  const r = spawnSync("sh", ["-c", `LISTEN_PID=$$ exec ${command}`], {
    stdio: ["ignore", "pipe", "inherit", fd], env: { ...process.env, LISTEN_FDS: "1", LISTEN_FDNAMES: "web" }, encoding: "utf8",
  });
  sys.close(fd);
  console.log(r.stdout.trim());
  process.exit(r.status === 0 && r.stdout.includes("served on the inherited socket") ? 0 : 1);
}

const base = new EventBase();
const [inherited] = listenFds();
const listener = new Listener(base, inherited?.listening ? { fd: inherited.fd } : { port: 8080 }, (fd) => {
  const bev = new BufferEvent(base, fd);
  bev.setCallbacks(null, (b) => b.close(), null);
  bev.write("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nhi\n");
});
console.log(`listening on ${JSON.stringify(listener.address)} (${inherited ? `inherited fd ${inherited.fd}, "${inherited.name}"` : "own socket"})`);
sdNotify({ READY: 1, STATUS: "serving" });

if (scriptArgs().includes("--serve-one")) {
  // The self-test's child: be our own first client, then stop.
  const client = new BufferEvent(base, -1).connect(listener.address as { host: string; port: number });
  client.setCallbacks((b) => {
    if (new TextDecoder().decode(b.read()).endsWith("hi\n")) console.log("served on the inherited socket");
    b.close();
    listener.close();
  }, null, null);
  client.enable(EV.READ);
}
await base.loop();
