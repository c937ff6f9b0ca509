// Threads and fd passing: the cross-thread mailbox, worker bases, the memcached-style dispatcher,
// FdChannel between processes (Bun <-> Deno), and what happens when things go wrong.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdirSync, readlinkSync } from "node:fs";
import process from "node:process";
import { EV, EVLOOP, EventBase, runtime, sys } from "./deps.ts";
import { heapUsedAfterGc, scriptCommand, startWorker } from "../src/ffi/mod.ts";
import {
  Dispatcher, FdChannel, type FdChannelError, FdHandoffError, type FdMessage, Mailbox, MailboxSender, QueueFullError,
  type QueueRecord, spawnBase, spawnBases,
} from "../src/threads/mod.ts";
import { acceptAll, connectTcp, unlinkPath } from "../src/net/socket.ts";
import { backendVariants, runChild } from "./helpers.ts";

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const text = (b: Uint8Array) => new TextDecoder().decode(b);

async function waitFor(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

/** The open fds of this process and what each one is ("socket:[123]", "pipe:[45]", ...). */
function fdSnapshot(): Map<string, string> {
  const fds = new Map<string, string>();
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      fds.set(fd, readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      // the directory fd readdirSync used, closed by now
    }
  }
  return fds;
}

/**
 * The fds open now that were not open at `before` (after letting the runtimes release the fds
 * of Workers that ended: they do it lazily, at a garbage collection).
 */
async function fdsAddedSince(before: Map<string, string>, ms = 5000): Promise<string[]> {
  const until = Date.now() + ms;
  for (;;) {
    heapUsedAfterGc();
    const added = [...fdSnapshot()].filter(([fd, what]) => before.get(fd) !== what).map(([fd, what]) => `${fd} -> ${what}`);
    if (added.length === 0 || Date.now() > until) return added;
    await sleep(20);
  }
}

/** A connected TCP client that writes `payload` and collects the echo, on `base`. */
function echoClient(base: EventBase, port: number, payload: Uint8Array, done: (echoed: Uint8Array) => void): void {
  const fd = connectTcp(port);
  const got = new Uint8Array(payload.byteLength);
  let have = 0;
  let sent = 0;
  const writer = base.event(fd, EV.WRITE | EV.PERSIST, () => {
    const n = sys.write(fd, payload.subarray(sent));
    if (n !== null) sent += n;
    if (sent === payload.byteLength) writer.close();
  });
  writer.add();
  const reader = base.event(fd, EV.READ | EV.PERSIST, () => {
    const chunk = sys.read(fd, got.subarray(have));
    if (chunk === null) return;
    have += chunk.byteLength;
    if (chunk.byteLength === 0 || have === payload.byteLength) {
      reader.close();
      if (!writer.closed) writer.close();
      sys.close(fd);
      done(got.subarray(0, have));
    }
  });
  reader.add();
}

for (const variant of backendVariants()) {
  describe(`mailbox on ${variant.label}`, () => {
    it("delivers records in order, reports a full ring, and wakes the base once per batch", () => {
      const base = new EventBase(variant.options);
      try {
        const got: QueueRecord[] = [];
        const mailbox = new Mailbox(base, { capacity: 4, payloadBytes: 8 }, (r) => got.push({ ...r, data: r.data.slice() }));
        const sender = new MailboxSender(mailbox.port);
        assert.equal(sender.tryPush({ kind: 1, fd: 7, data: "abc" }), true);
        sender.push({ kind: 2, data: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) });
        sender.push({ kind: 3 });
        sender.push({ kind: 4 });
        assert.equal(sender.tryPush({ kind: 5 }), false);
        assert.throws(() => sender.push({ kind: 5 }), (e: unknown) => e instanceof QueueFullError && e instanceof RangeError && /full \(4 records\)/.test(e.message));
        assert.equal(sender.fullCount, 2);
        assert.throws(() => sender.push({ data: "123456789" }), RangeError);
        assert.throws(() => sender.push({ kind: 1.5 }), RangeError);
        // The four pushes wrote the wake fd once: one drain delivers them all.
        assert.equal(base.loopSync(EVLOOP.NONBLOCK | EVLOOP.NO_EXIT_ON_EMPTY), 0);
        assert.deepEqual(got.map((r) => r.kind), [1, 2, 3, 4]);
        assert.equal(got[0].fd, 7);
        assert.equal(text(got[0].data), "abc");
        assert.deepEqual([...got[1].data], [1, 2, 3, 4, 5, 6, 7, 8]);
        assert.equal(got[2].fd, -1);
        // The ring wraps around.
        for (let round = 0; round < 5; round++) {
          for (let i = 0; i < 4; i++) sender.push({ kind: 10 + i });
          base.loopSync(EVLOOP.NONBLOCK | EVLOOP.NO_EXIT_ON_EMPTY);
        }
        assert.equal(got.length, 24);
        assert.deepEqual(got.slice(-4).map((r) => r.kind), [10, 11, 12, 13]);
        mailbox.close();
        assert.throws(() => sender.push({ kind: 1 }), /closed/);
      } finally {
        base.close();
      }
    });

    it("activates exported events and keeps a remote loopBreak issued before the loop runs", () => {
      const base = new EventBase(variant.options);
      try {
        const mailbox = new Mailbox(base, {}, () => {});
        const seen: number[] = [];
        const ev = base.event(-1, 0, (_fd, what) => seen.push(what));
        assert.equal(mailbox.exportEvent(ev, "tick"), "tick");
        const auto = mailbox.exportEvent(base.event(-1, 0, () => seen.push(-1)));
        const sender = new MailboxSender(mailbox.port);
        sender.activate("tick", EV.READ);
        sender.activate(auto, EV.TIMEOUT);
        sender.activate("nobody", EV.READ); // ignored
        base.loopSync(EVLOOP.NONBLOCK | EVLOOP.NO_EXIT_ON_EMPTY);
        assert.deepEqual(seen, [EV.READ, -1]);
        sender.loopBreak();
        base.timer(5_000, () => seen.push(99));
        assert.equal(base.loopSync(), 0);
        assert.ok(base.gotBreak());
        assert.deepEqual(seen, [EV.READ, -1]);
        mailbox.close();
      } finally {
        base.close();
      }
    });

    it("wakes a main-thread base in `await loop()` from a producer Worker", async () => {
      const base = new EventBase(variant.options);
      try {
        const got: number[] = [];
        const mailbox = new Mailbox(base, { capacity: 16 }, (r) => {
          got.push(r.fd);
          if (got.length === 200) base.loopBreak();
        });
        let done: unknown = null;
        const producer = startWorker(fixture("threads-producer.ts"), { message: (m) => void (done = m), error: (e) => void (done = e) });
        producer.post({ port: mailbox.port, id: 0, count: 200 });
        base.addVirtual();
        assert.equal(await base.loop(), 0);
        await waitFor("the producer", () => done !== null);
        producer.terminate();
        assert.deepEqual(got, Array.from({ length: 200 }, (_, i) => i));
        mailbox.close();
      } finally {
        base.close();
      }
    });
  });

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

describe("worker bases", () => {
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

for (const variant of backendVariants()) {
  describe(`FdChannel on ${variant.label}`, () => {
    it("passes fds with payloads that survive stream splitting, in order", async () => {
      const before = fdSnapshot();
      const base = new EventBase(variant.options);
      const [x, y] = FdChannel.pair();
      const got: FdMessage[] = [];
      const sender = new FdChannel(base, x, {}, { maxPayload: 8192 });
      const receiver = new FdChannel(base, y, {
        message: (m) => {
          got.push(m);
          if (got.length === 150) base.loopBreak();
        },
      }, { maxPayload: 8192 });
      let queued = 0;
      for (let i = 0; i < 150; i++) {
        const [r, w] = sys.pipe();
        sys.write(w, `pipe ${i}`);
        sys.close(w);
        const payload = new Uint8Array(3000 + i * 20).fill(i & 0xff);
        if (!sender.send(i % 3 === 0 ? [] : [r], payload)) queued++;
        if (i % 3 === 0) sys.close(r);
      }
      assert.ok(queued > 0, "the socket buffer filled (messages were split and queued)");
      base.addVirtual();
      await base.loop();
      base.removeVirtual();
      assert.equal(got.length, 150);
      got.forEach((m, i) => {
        assert.equal(m.data.byteLength, 3000 + i * 20, `message ${i} length`);
        assert.ok(m.data.every((v) => v === (i & 0xff)), `message ${i} payload`);
        assert.equal(m.fds.length, i % 3 === 0 ? 0 : 1);
        for (const fd of m.fds) {
          assert.equal(text(sys.read(fd)!), `pipe ${i}`);
          sys.close(fd);
        }
      });
      assert.equal(sender.stats.sent, 150);
      sender.close();
      receiver.close();
      base.close();
      assert.deepEqual(await fdsAddedSince(before), []);
    });

    it("detects MSG_CTRUNC, closes what arrived, and goes on", async () => {
      const before = fdSnapshot();
      const base = new EventBase(variant.options);
      const [x, y] = FdChannel.pair();
      const errors: FdChannelError[] = [];
      const got: FdMessage[] = [];
      const sender = new FdChannel(base, x, {}, { maxFds: 8 });
      const receiver = new FdChannel(base, y, {
        message: (m) => {
          got.push(m);
          base.loopBreak();
        },
        error: (e) => errors.push(e),
      }, { maxFds: 2 });
      const pipes = Array.from({ length: 4 }, () => sys.pipe()).flat();
      sender.send(pipes.slice(0, 4), "four fds");
      for (const fd of pipes.slice(4)) sys.close(fd);
      const [r, w] = sys.pipe();
      sender.send([r], "one fd");
      sys.close(w);
      base.addVirtual();
      await base.loop();
      assert.equal(errors.length, 1);
      assert.equal(errors[0].code, "CTRUNC");
      assert.equal(errors[0].fdsClosed, 2);
      assert.match(errors[0].message, /MSG_CTRUNC: 2 of 4 arrived/);
      assert.equal(got.length, 1);
      assert.equal(text(got[0].data), "one fd");
      for (const fd of got[0].fds) sys.close(fd);
      assert.equal(receiver.stats.lost, 1);
      sender.close();
      receiver.close();
      base.close();
      assert.deepEqual(await fdsAddedSince(before), []);
    });
  });
}

describe("FdChannel between processes", () => {
  it("a peer process dying mid-transfer loses no fd", async () => {
    const before = fdSnapshot();
    const base = new EventBase();
    const path = `/tmp/evffi-dying-${process.pid}-${Date.now()}.sock`;
    const listenFd = FdChannel.listen(path);
    let closedWith: Error | null | undefined;
    let channel: FdChannel | null = null;
    const accept = base.event(listenFd, EV.READ, () => {
      acceptAll(listenFd, (fd) => {
        channel = new FdChannel(base, fd, {
          close: (err) => {
            closedWith = err;
            guard.close();
          },
        });
      });
    });
    accept.add();
    const guard = base.timer(20_000, () => base.loopBreak()); // a child that never connects
    const cmd = scriptCommand(fixture("threads-dying-peer.ts").pathname, [path]);
    const child = spawn(cmd[0], cmd.slice(1), { stdio: ["ignore", "inherit", "inherit"], timeout: 20_000 });
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    await base.loop();
    assert.equal(await exited, 0);
    assert.ok(channel);
    assert.ok(closedWith, "the channel reports the cut message");
    assert.equal((closedWith as FdChannelError).code, "TRUNCATED_STREAM");
    assert.equal((closedWith as FdChannelError).fdsClosed, 2);
    sys.close(listenFd);
    unlinkPath(path);
    base.close();
    assert.deepEqual(await fdsAddedSince(before), [], "the two fds that arrived were closed");
  });

  it("fds pass between a Bun and a Deno process, both ways", async () => {
    const other = runtime === "bun" ? "deno" : "bun";
    const exe = new URL(`../node_modules/.bin/${other}`, import.meta.url).pathname;
    const base = new EventBase();
    const path = `/tmp/evffi-peer-${process.pid}-${Date.now()}.sock`;
    const listenFd = FdChannel.listen(path);
    const [pipeRead, pipeWrite] = sys.pipe();
    const [mine, theirs] = sys.socketpair();
    const seen: Record<string, string> = {};
    let channel: FdChannel | null = null;
    const accept = base.event(listenFd, EV.READ, () => {
      acceptAll(listenFd, (fd) => {
        channel = new FdChannel(base, fd, {
          message: ({ fds, data }) => {
            seen.reply = text(data);
            seen.back = text(sys.read(fds[0])!);
            sys.close(fds[0]);
            sys.write(mine, "ping over a passed socket");
          },
        });
        channel.send([pipeWrite, theirs], "hello"); // the channel takes both
      });
    });
    accept.add();
    const fromPipe = base.event(pipeRead, EV.READ, () => void (seen.pipe = text(sys.read(pipeRead)!)));
    fromPipe.add();
    const echo = base.event(mine, EV.READ | EV.PERSIST, () => {
      const got = sys.read(mine);
      if (got === null) return;
      seen.echo = text(got);
      echo.close();
      sys.close(mine);
      channel!.close(); // the peer sees EOF on both and exits
      guard.close();
    });
    echo.add();
    const guard = base.timer(30_000, () => base.loopBreak()); // a child that never answers
    const cmd = scriptCommand(fixture("threads-fdpeer.ts").pathname, [path], other, exe);
    const child = spawn(cmd[0], cmd.slice(1), { stdio: ["ignore", "inherit", "inherit"], timeout: 30_000 });
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    await base.loop();
    assert.equal(await exited, 0);
    assert.deepEqual(seen, {
      pipe: `${other} got "hello"`,
      reply: "yours",
      back: `back from ${other}`,
      echo: "ping over a passed socket",
    });
    sys.close(pipeRead);
    sys.close(listenFd);
    unlinkPath(path);
    base.close();
  });
});
