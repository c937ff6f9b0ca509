// A restart that drops no connection: the running server hands its listening socket to its
// successor over a Unix socket (SCM_RIGHTS), stops accepting, finishes the connections it has, and
// exits, while the successor accepts on the very same socket (no port is ever closed).
// Run: node scripts/run.mjs examples/handover.ts [-- --self-test]
// (--self-test: serves one request, hands over to a new process, checks that the next request is
// answered by the new pid, exits.)
import { spawn } from "node:child_process";
import process from "node:process";
import { BEV, BufferEvent, EV, EventBase, Listener, ScmRights, scriptArgs, sys } from "../src/mod.ts";
import { scriptCommand } from "../src/ffi/mod.ts";

const base = new EventBase();
/** Answers one line with this process's pid, then closes. */
function answer(fd: number): void {
  const bev = new BufferEvent(base, fd);
  bev.setCallbacks(null, (b) => b.close(), null);
  bev.write(`served by pid ${sys.getpid()}\n`);
}

/** Connects, reads the one line, and calls back with it. */
function ask(port: number, then: (line: string) => void): void {
  const client = new BufferEvent(base, -1).connect({ host: "127.0.0.1", port });
  let text = "";
  client.setCallbacks((b) => void (text += new TextDecoder().decode(b.read())), null, (b, what) => {
    if (!(what & (BEV.EOF | BEV.ERROR))) return; // CONNECTED
    b.close();
    then(text.trim());
  });
  client.enable(EV.READ);
}

if (scriptArgs().includes("--successor")) {
  // The new process: the channel to its predecessor is fd 3; the listening socket arrives on it.
  const channel = 3;
  const rights = new ScmRights({ maxFds: 1 });
  const waiting = base.event(channel, EV.READ | EV.PERSIST, () => {
    const got = rights.receive(channel);
    if (got === null) return;
    waiting.close();
    const listener = Listener.fromFd(base, got.fds[0]!, (fd) => {
      answer(fd);
      listener.close(); // the demonstration serves one request
    });
    sys.write(channel, "ready");
    sys.close(channel);
  });
  waiting.add();
  await base.loop();
} else {
  const listener = new Listener(base, { port: 0 }, answer);
  const port = (listener.address as { port: number }).port;
  console.log(`serving on port ${port} as pid ${sys.getpid()}`);
  if (scriptArgs().includes("--self-test")) {
    ask(port, (first) => {
      console.log(`before the handover: ${first}`);
      const [ours, theirs] = sys.socketpair();
      const [cmd, ...args] = scriptCommand(new URL(import.meta.url).pathname, ["--successor"]);
      const successor = spawn(cmd!, args, { stdio: ["ignore", "inherit", "inherit", theirs] });
      sys.close(theirs);
      // Hand the socket over, then stop accepting on it here (the successor holds its own copy).
      new ScmRights({ maxFds: 1 }).send(ours, [listener.fd]);
      const ready = base.event(ours, EV.READ | EV.PERSIST, () => {
        if (sys.read(ours, 16) === null) return;
        ready.close();
        sys.close(ours);
        listener.close();
        ask(port, (second) => {
          console.log(`after the handover: ${second}`);
          const ok = first !== second && second === `served by pid ${successor.pid}`;
          console.log(ok ? "handed over without closing the port" : "handover failed");
          process.exitCode = ok ? 0 : 1;
        });
      });
      ready.add();
    });
  }
  await base.loop();
}
