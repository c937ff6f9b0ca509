// The cross-thread mailbox (src/threads/queue.ts): ordering, a full ring, one wake per batch, on
// every backend.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EV, EVLOOP, EventBase } from "./deps.ts";
import { startWorker } from "../src/ffi/mod.ts";
import { Mailbox, MailboxSender, QueueFullError, type QueueRecord } from "../src/threads/mod.ts";
import { backendVariants, hangGuard } from "./helpers.ts";
import { fixture, text, waitFor } from "./threads-helpers.ts";

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
        // A producer that fails ends the loop (and the test) instead of leaving it waiting forever.
        const failed = (e: unknown) => {
          done = e;
          base.loopBreak();
          base.wake();
        };
        const producer = startWorker(fixture("threads-producer.ts"), { message: (m) => void (done = m), error: failed });
        producer.post({ port: mailbox.port, id: 0, count: 200, waitMs: hangGuard(10_000) });
        base.addVirtual();
        const guard = base.timer(hangGuard(30_000), () => base.loopBreak());
        assert.equal(await base.loop(), 0);
        guard.del();
        await waitFor("the producer", () => done !== null);
        producer.terminate();
        assert.ok(typeof done === "object" && done !== null && "done" in done, `the producer: ${(done as { message?: string }).message ?? JSON.stringify(done)}`);
        assert.deepEqual(got, Array.from({ length: 200 }, (_, i) => i));
        mailbox.close();
      } finally {
        base.close();
      }
    });
  });
}
