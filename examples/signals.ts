// A small echo server that reloads its greeting on SIGHUP and stops cleanly on Ctrl-C (SIGINT).
//   node scripts/run.mjs examples/signals.ts            (--self-test: signals itself, then exits)
import { BEV, BufferEvent, EV, EventBase, Listener, scriptArgs, signals, sys } from "../src/mod.ts";

const base = new EventBase();
let greeting = "hello";
let reloads = 0;
const connections = new Set<BufferEvent>();

const listener = new Listener(base, { port: 0 }, (fd) => {
  const bev = new BufferEvent(base, fd);
  connections.add(bev);
  bev.setCallbacks((b) => b.write(`${greeting}: `).writeBuffer(b.input), null, (b, what) => {
    if (what & (BEV.EOF | BEV.ERROR)) {
      connections.delete(b);
      b.close();
    }
  });
  bev.enable(EV.READ);
});
console.log(`echo on port ${(listener.address as { port: number }).port}; SIGHUP reloads, Ctrl-C stops (pid ${sys.getpid()})`);

const hup = base.signal("SIGHUP", (_sig, _what, ev) => {
  reloads += ev.ncalls;
  greeting = `hello #${reloads}`; // a real server would re-read its configuration here
  console.log(`SIGHUP: greeting is now "${greeting}"`);
});
const int = base.signal("SIGINT", () => {
  console.log(`SIGINT: closing ${connections.size} connection(s) and the listener`);
  for (const bev of connections) bev.close();
  listener.close();
  hup.del(); // removing the last signal events restores the default actions
  int.del();
});

if (scriptArgs().includes("--self-test")) {
  base.timer(20, () => sys.kill(sys.getpid(), signals.SIGHUP));
  base.timer(60, () => sys.kill(sys.getpid(), signals.SIGINT));
}
// Signals need the cooperative loop on the main thread: the host runs its signal listener only
// when the JS thread is free (see the README).
console.log(`loop returned ${await base.loop()}`);
base.close();
