// A pre-forked echo server: the parent accepts TCP connections and passes each one, round robin,
// to a child process over an FdChannel (sendmsg + SCM_RIGHTS on a Unix socket); the child owns the
// connection from then on. Run: node scripts/run.mjs examples/prefork.ts [-- --serve [PORT] [--children N]]
// Without --serve it checks itself (60 clients, every byte echoed) and exits.
import { spawn } from "node:child_process";
import process from "node:process";
import { BEV, BufferEvent, EV, EventBase, scriptArgs, sys } from "../src/mod.ts";
import { scriptCommand } from "../src/ffi/mod.ts";
import { Dispatcher, FdChannel, type FdTarget } from "../src/threads/mod.ts";
import { acceptAll, unlinkPath } from "../src/net/socket.ts";

const args = scriptArgs();
const base = new EventBase();

if (args[0] === "--child") {
  // A child: connect to the parent, echo every connection it sends us; exit when it hangs up.
  let served = 0;
  new FdChannel(base, FdChannel.connect(args[1]), {
    message({ fds }) {
      for (const fd of fds) {
        served++;
        const bev = new BufferEvent(base, fd);
        bev.setCallbacks((b) => b.writeBuffer(b.input), null, (b, what) => (what & (BEV.EOF | BEV.ERROR)) && b.close());
        bev.enable(EV.READ);
      }
    },
  });
  base.loopSync();
  console.log(`child ${args[2]} served ${served} connections`);
} else {
  const serve = args.includes("--serve");
  const n = args.includes("--children") ? Number(args[args.indexOf("--children") + 1]) : 2;
  const path = `/tmp/evffi-prefork-${Date.now()}-${Math.random().toString(36).slice(2)}.sock`;
  const unixFd = FdChannel.listen(path);
  const channels: FdChannel[] = [];
  const exits: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const [cmd, ...rest] = scriptCommand(new URL(import.meta.url).pathname, ["--child", path, String(i)]);
    const child = spawn(cmd, rest, { stdio: ["ignore", "inherit", "inherit"] });
    exits.push(new Promise((r) => child.on("exit", r)));
  }
  // Each child connects; once all have, start accepting clients.
  const hello = base.event(unixFd, EV.READ | EV.PERSIST, () => {
    acceptAll(unixFd, (fd) => channels.push(new FdChannel(base, fd)));
    if (channels.length === n) {
      hello.close();
      sys.close(unixFd);
      unlinkPath(path);
      startServing();
    }
  });
  hello.add();
  const guard = serve ? null : base.timer(30_000, () => {
    console.error("prefork self-test timed out");
    process.exit(1);
  });

  const startServing = () => {
    // A channel is a dispatch target: send() takes the fd (closing our copy once the child has it).
    const targets: FdTarget[] = channels.map((ch) => ({
      get alive() {
        return !ch.closed;
      },
      load: 0,
      trySendFd: (fd: number) => (ch.send([fd]), true),
    }));
    const dispatcher = new Dispatcher(base, { port: serve ? Number(args.find((a) => /^\d+$/.test(a)) ?? 8080) : 0 }, targets);
    console.log(`prefork echo server on port ${dispatcher.port} with ${n} child processes`);
    const shutdown = () => {
      guard?.close();
      dispatcher.close();
      for (const ch of channels) ch.close(); // the children see EOF and exit
    };
    if (serve) {
      base.signal("SIGINT", (_s, _w, ev) => {
        ev.close();
        shutdown();
      });
      return;
    }
    let done = 0;
    const clients = 60;
    for (let i = 0; i < clients; i++) {
      const text = `prefork client ${i} `.repeat(40);
      const client = new BufferEvent(base, -1).connect({ port: dispatcher.port });
      client.setCallbacks((b) => {
        if (b.input.length < text.length) return;
        if (new TextDecoder().decode(b.read()) !== text) throw new Error(`client ${i}: echo mismatch`);
        b.close();
        if (++done === clients) {
          console.log(`${clients} clients echoed; connections per child: ${dispatcher.perTarget.join(", ")}`);
          shutdown();
        }
      }, null, (b, what) => (what & BEV.CONNECTED) && b.write(text));
      client.enable(EV.READ);
    }
  };

  await base.loop();
  await Promise.all(exits);
  base.close();
  console.log("all children exited");
}
