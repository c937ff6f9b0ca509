// Worker bases (spawnBase): records and fds handed to Workers, failures reported, no leaks, clean
// stops, signals forwarded.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EventBase, sys } from "./deps.ts";
import { startWorker } from "../src/ffi/mod.ts";
import { Dispatcher, FdHandoffError, QueueFullError, spawnBase, spawnBases } from "../src/threads/mod.ts";
import { backendVariants, runChild } from "./helpers.ts";
import { echoClient, fdSnapshot, fdsAddedSince, fixture, sleep, text, waitFor } from "./threads-helpers.ts";

for (const variant of backendVariants()) {
  describe(`worker bases on ${variant.label}`, () => {
    it("10,000 records from two producer threads arrive exactly once, in per-producer order", async () => {
      const count = 5000;
      const consumer = spawnBase(fixture("threads-consumer.ts"), { data: { producers: 2, count }, capacity: 64, base: variant.options });
      let result: { total: number; next: number[]; outOfOrder: number; bad: number } | null = null;
      consumer.onMessage((m) => void (result = m as typeof result));
      await consumer.ready;
      assert.ok(consumer.port().wakeFlag instanceof SharedArrayBuffer, "after ready, other producers coalesce through the base's flag");
      const finished: unknown[] = [];
      const producers = [0, 1].map((id) => {
        const w = startWorker(fixture("threads-producer.ts"), { message: (m) => finished.push(m), error: (e) => finished.push(e) });
        w.post({ port: consumer.port(), id, count });
        return w;
      });
      try {
        await waitFor("the consumer's count", () => result !== null, 30_000);
        await waitFor("both producers", () => finished.length === 2);
        assert.deepEqual(result, { total: 2 * count, next: [count, count], outOfOrder: 0, bad: 0 });
        assert.ok(finished.every((f) => typeof f === "object" && f !== null && "done" in f), JSON.stringify(finished));
      } finally {
        producers.forEach((p) => p.terminate());
        assert.equal((await consumer.stop()).error, null);
      }
    });
  });
}

describe("worker bases", () => {
  it("a closed or non-socket fd fails on the worker side, is reported back, and the queue keeps working", async () => {
    const worker = spawnBase(fixture("threads-echo.ts"));
    const errors: FdHandoffError[] = [];
    const replies: unknown[] = [];
    worker.onFdError((e) => errors.push(e)).onMessage((m) => replies.push(m));
    await worker.ready;
    try {
      const [r, w] = sys.pipe();
      sys.close(w);
      const [a, b] = sys.socketpair();
      sys.close(b);
      worker.sendFd(b, "closed one"); // no longer open
      worker.sendFd(r, "a pipe"); // not a socket: the worker closes it
      await waitFor("two fd errors", () => errors.length === 2);
      assert.ok(errors.every((e) => e instanceof FdHandoffError));
      assert.deepEqual(errors.map((e) => e.code), ["EBADF", "ENOTSOCK"]);
      assert.match(errors[0].message, /fd \d+ is not open \(EBADF\)/);
      assert.match(errors[1].message, /is not a socket \(ENOTSOCK\)/);
      assert.equal(text(errors[1].data), "a pipe");
      assert.equal(sys.isOpen(r), false, "the worker closed the rejected pipe");
      sys.close(a);
      // Still working: a real connection echoes, records are handled.
      const [c, d] = sys.socketpair();
      worker.sendFd(d, "good");
      sys.write(c, "ping");
      await waitFor("the echo", () => {
        const got = sys.read(c);
        return got !== null && text(got) === "ping";
      });
      worker.send({ kind: 1 });
      await waitFor("the worker's reply", () => replies.some((m) => (m as { conns?: number }).conns === 1));
      assert.deepEqual(replies[0], { payload: "good" });
      sys.close(c);
      await waitFor("the worker to close its end", () => worker.load === 0);
    } finally {
      assert.equal((await worker.stop()).error, null);
    }
  });

  it("a full worker queue is reported and nothing is lost once it drains", async () => {
    const gate = new Int32Array(new SharedArrayBuffer(8));
    const worker = spawnBase(fixture("threads-block.ts"), { data: { gate: gate.buffer }, capacity: 8 });
    const replies: unknown[] = [];
    worker.onMessage((m) => replies.push(m));
    await worker.ready;
    try {
      worker.send({ kind: 1 }); // the worker blocks in its handler
      await waitFor("the worker to block", () => Atomics.load(gate, 1) === 1);
      // The record being handled keeps its slot until its handler returns: 7 more fill the ring.
      for (let i = 0; i < 7; i++) worker.send({ kind: 0 });
      assert.throws(() => worker.send({ kind: 0 }), QueueFullError);
      assert.equal(worker.trySend({ kind: 0 }), false);
      const [a, b] = sys.socketpair();
      assert.throws(() => worker.sendFd(b), QueueFullError);
      assert.equal(worker.load, 0, "a refused fd is not counted as the worker's load");
      sys.close(a);
      sys.close(b); // still ours
      Atomics.store(gate, 0, 1);
      Atomics.notify(gate, 0);
      await waitFor("room again", () => worker.trySend({ kind: 2 }));
      await waitFor("the reply", () => replies.length === 1);
      assert.deepEqual(replies, [{ seen: 9 }]);
    } finally {
      Atomics.store(gate, 0, 1);
      Atomics.notify(gate, 0);
      await worker.stop();
    }
  });

  it("a worker that throws is reported with its error, and its connections are closed", async () => {
    const worker = spawnBase(fixture("threads-echo.ts"), { index: 3 });
    const errors: Error[] = [];
    worker.onError((e) => errors.push(e));
    await worker.ready;
    const [a, b] = sys.socketpair();
    worker.sendFd(b);
    sys.write(a, "x");
    await waitFor("the echo", () => sys.read(a) !== null);
    worker.send({ kind: 13 });
    const exit = await worker.closed;
    assert.ok(exit.error);
    assert.match(exit.error!.message, /worker 3 failed: Error: unlucky record/);
    assert.match(exit.error!.remoteStack ?? "", /threads-echo/);
    assert.equal(errors.length, 1);
    assert.equal(worker.state, "stopped");
    // The worker closed the connection it owned: our end sees EOF.
    await waitFor("EOF", () => sys.read(a)?.byteLength === 0);
    sys.close(a);
    assert.throws(() => worker.send({ kind: 1 }), /stopped/);
    // A module that throws while starting rejects `ready`.
    const bad = spawnBase(fixture("threads-idle.ts"), { data: { mode: "throw-at-start" } });
    bad.onError(() => {});
    await assert.rejects(bad.ready, /fails while starting/);
    assert.match((await bad.closed).error!.message, /fails while starting/);
    assert.throws(() => spawnBase("./relative.ts"), TypeError);
  });

  it("no fd leaks after a full start/stop cycle", async () => {
    const cycle = async () => {
      const base = new EventBase();
      const workers = await spawnBases(2, fixture("threads-echo.ts"));
      const dispatcher = new Dispatcher(base, { port: 0 }, workers);
      let done = 0;
      for (let i = 0; i < 20; i++) {
        echoClient(base, dispatcher.port, new TextEncoder().encode(`leak test ${i}`), () => {
          if (++done === 20) dispatcher.close();
        });
      }
      await base.loop();
      const [a, b] = sys.socketpair();
      workers[0].sendFd(b); // still owned by the worker at stop: closed by it
      await sleep(20);
      await Promise.all(workers.map((w) => w.stop()));
      sys.close(a);
      base.close();
    };
    // A runtime keeps the fds of the last Worker it terminated until later (Deno: until the next
    // Worker ends; Bun: until a garbage collection), so the count is compared after a warm-up
    // cycle and over several cycles: anything evffi leaked would grow with every cycle.
    await cycle();
    const before = fdSnapshot();
    for (let i = 0; i < 3; i++) await cycle();
    const added = await fdsAddedSince(before, 2000);
    const after = fdSnapshot().size;
    assert.ok(after <= before.size, `open fds grew over 3 start/stop cycles: ${before.size} -> ${after} (new: ${added.join(", ")})`);
  });

  it("stopping workers never hangs, and the process exits by itself", () => {
    const r = runChild("threads-stop.ts", [], 30_000);
    assert.equal(r.status, 0, `status ${r.status} signal ${r.signal}\n${r.stderr}`);
    const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
    assert.deepEqual(out, { stopped: 6, errors: 0, states: Array(6).fill("stopped") });
  });

  it("SIGUSR1 reaches a main-thread base in await loop() and a worker base in loopSync, with correct counts", () => {
    const r = runChild("threads-signal.ts", [], 30_000);
    assert.equal(r.status, 0, `status ${r.status} signal ${r.signal}\n${r.stderr}`);
    const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
    assert.equal(out.main, 3);
    assert.equal(out.worker, 3);
  });
});
