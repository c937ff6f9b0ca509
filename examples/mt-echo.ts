// A multi-worker echo server (memcached's model): the main thread's base accepts, and hands each
// connection round robin to one of N worker bases, each running loopSync in its own Worker.
// Run: node scripts/run.mjs examples/mt-echo.ts [-- --serve [PORT] [--workers N]]
// Without --serve it checks itself (100 clients, every byte echoed) and exits.
import { BEV, BufferEvent, EV, EventBase, scriptArgs } from "../src/mod.ts";
import { Dispatcher, type WorkerContext, isMainThread, spawnBases } from "../src/threads/mod.ts";

// Runs in each Worker: echo everything on the connections this base is given.
export default function echoWorker(ctx: WorkerContext) {
  ctx.onFd((fd, _data, conn) => {
    const bev = new BufferEvent(ctx.base, fd, { closeFd: false });
    bev.setCallbacks((b) => b.writeBuffer(b.input), null, (b, what) => {
      if (what & (BEV.EOF | BEV.ERROR)) {
        b.close();
        conn.close();
      }
    });
    bev.enable(EV.READ);
  });
}

if (isMainThread) {
  const args = scriptArgs();
  const opt = (name: string) => args[args.indexOf(name) + 1];
  const serve = args.includes("--serve");
  const base = new EventBase();
  const workers = await spawnBases(Number(args.includes("--workers") ? opt("--workers") : 2), import.meta.url);
  const dispatcher = new Dispatcher(base, { port: serve ? Number(args.find((a) => /^\d+$/.test(a)) ?? 8080) : 0 }, workers);
  const shutdown = async () => {
    dispatcher.close();
    await Promise.all(workers.map((w) => w.stop()));
  };
  console.log(`echo server on port ${dispatcher.port} with ${workers.length} worker bases`);

  if (serve) {
    base.signal("SIGINT", (_s, _w, ev) => {
      ev.close();
      void shutdown();
    });
  } else {
    // Self-test: 100 clients, each sends a message and expects it back.
    let done = 0;
    for (let i = 0; i < 100; i++) {
      const text = `hello ${i} `.repeat(50);
      const client = new BufferEvent(base, -1).connect({ port: dispatcher.port });
      client.setCallbacks((b) => {
        if (b.input.length < text.length) return;
        const echoed = new TextDecoder().decode(b.read());
        if (echoed !== text) throw new Error(`client ${i}: echo mismatch`);
        b.close();
        if (++done === 100) {
          console.log(`100 clients echoed; hand-offs per worker: ${dispatcher.perTarget.join(", ")}`);
          void shutdown();
        }
      }, null, (b, what) => (what & BEV.CONNECTED) && b.write(text));
      client.enable(EV.READ);
    }
  }
  await base.loop();
  await Promise.all(workers.map((w) => w.closed));
}
