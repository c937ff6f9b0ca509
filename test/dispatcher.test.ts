// The Dispatcher: a Listener whose connections are handed to worker bases, round robin or
// least-loaded.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EVLOOP, EventBase, sys } from "./deps.ts";
import { Dispatcher, spawnBases } from "../src/threads/mod.ts";
import { connectTcp } from "../src/net/socket.ts";
import { backendVariants } from "./helpers.ts";
import { echoClient, fixture, text, waitFor } from "./threads-helpers.ts";

for (const variant of backendVariants()) {
  describe(`dispatcher on ${variant.label}`, () => {
    it("the dispatcher spreads 200 connections over 2 workers round robin, and every byte echoes back", async () => {
      const base = new EventBase(variant.options);
      const workers = await spawnBases(2, fixture("threads-echo.ts"), { base: variant.options });
      const dispatcher = new Dispatcher(base, { port: 0 }, workers);
      try {
        let ok = 0;
        let bytes = 0;
        const failures: string[] = [];
        for (let i = 0; i < 200; i++) {
          const payload = new TextEncoder().encode(`connection ${i}|`.repeat(20 + (i % 7) * 30));
          echoClient(base, dispatcher.port, payload, (echoed) => {
            if (text(echoed) === text(payload)) {
              ok++;
              bytes += echoed.byteLength;
            } else failures.push(`connection ${i}: ${echoed.byteLength} of ${payload.byteLength} bytes`);
            if (ok + failures.length === 200) dispatcher.close();
          });
        }
        await base.loop();
        assert.deepEqual(failures, []);
        assert.equal(ok, 200);
        assert.ok(bytes > 100_000);
        assert.deepEqual(dispatcher.perTarget, [100, 100]);
        assert.equal(dispatcher.handoffs, 200);
        await waitFor("workers to close their connections", () => workers.every((w) => w.load === 0));
      } finally {
        dispatcher.close();
        const exits = await Promise.all(workers.map((w) => w.stop()));
        assert.deepEqual(exits.map((e) => e.error), [null, null]);
        base.close();
      }
    });
  });
}

describe("dispatcher", () => {
  it("least-loaded sends new connections to the worker holding fewer", async () => {
    const base = new EventBase();
    const workers = await spawnBases(2, fixture("threads-echo.ts"));
    const dispatcher = new Dispatcher(base, { port: 0 }, workers, { policy: "least-loaded" });
    const held: number[] = [];
    try {
      // Four idle connections, then wait until the workers hold them: 2 and 2.
      for (let i = 0; i < 4; i++) held.push(connectTcp(dispatcher.port));
      const loop = base.loop(EVLOOP.NO_EXIT_ON_EMPTY);
      await waitFor("4 connections held", () => dispatcher.handoffs === 4);
      assert.deepEqual(dispatcher.perTarget, [2, 2]);
      await waitFor("loads", () => workers[0].load === 2 && workers[1].load === 2);
      // Worker 0's connections end: the next two go to worker 0.
      const byWorker0 = [held[0], held[2]];
      for (const fd of byWorker0) sys.close(fd);
      await waitFor("worker 0 to drop to 0", () => workers[0].load === 0);
      held.push(connectTcp(dispatcher.port), connectTcp(dispatcher.port));
      await waitFor("6 hand-offs", () => dispatcher.handoffs === 6);
      assert.deepEqual(dispatcher.perTarget, [4, 2]);
      base.loopBreak();
      await loop;
    } finally {
      for (const fd of held) sys.closeQuietly(fd);
      dispatcher.close();
      await Promise.all(workers.map((w) => w.stop()));
      base.close();
    }
  });
});
