// Rate limits (token buckets per bufferevent and per group) on real sockets, on every backend.
// No assertion depends on timing: ticks of an hour never refill during a test, and with short
// ticks only the bound on each read is checked (a late tick refills at most a burst).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { BufferEvent, EV, EVLOOP, EventBase, RateLimit, RateLimitGroup, sys } from "./deps.ts";
import { backendVariants } from "./helpers.ts";

const HOUR = 3600_000;

/** Runs non-blocking iterations until `done()` or `max` of them. */
function spin(base: EventBase, done: () => boolean, max = 50): void {
  for (let i = 0; i < max && !done(); i++) base.loopSync(EVLOOP.NONBLOCK);
}

for (const variant of backendVariants()) {
  describe(`rate limits on ${variant.label}`, () => {
    it("a read bucket lets one tick's rate in, then pauses reading; introspection shows the levels", () => {
      const base = new EventBase(variant.options);
      const [a, c] = sys.socketpair();
      try {
        const bev = new BufferEvent(base, a, { closeFd: false });
        bev.setRateLimit(new RateLimit({ readRate: 1000, writeRate: Infinity, tickMs: HOUR }));
        assert.deepEqual(bev.rateLimits, { readLimit: 1000, writeLimit: Infinity, maxToRead: 1000, maxToWrite: Infinity });
        bev.enable(EV.READ);
        sys.write(c, new Uint8Array(5000));
        spin(base, () => false, 10);
        assert.equal(bev.input.length, 1000);
        assert.equal(bev.rateLimits.readLimit, 0);
        assert.equal(bev.rateLimits.maxToRead, 0);
        bev.decrementReadLimit(-300); // give allowance back: 300 more bytes come in
        spin(base, () => bev.input.length > 1000, 10);
        assert.equal(bev.input.length, 1300);
        bev.setRateLimit(null);
        spin(base, () => bev.input.length === 5000);
        assert.equal(bev.input.length, 5000, "removing the limit resumes reading");
        bev.close();
      } finally {
        base.close();
        sys.close(a);
        sys.close(c);
      }
    });

    it("a write bucket sends one tick's rate, then waits; the rest stays queued", () => {
      const base = new EventBase(variant.options);
      const [a, c] = sys.socketpair();
      try {
        const bev = new BufferEvent(base, a, { closeFd: false });
        bev.setRateLimit(new RateLimit({ readRate: Infinity, writeRate: 700, tickMs: HOUR }));
        bev.write(new Uint8Array(5000));
        spin(base, () => false, 10);
        assert.equal(bev.output.length, 4300);
        assert.equal(sys.read(c, 10000)?.length, 700);
        assert.equal(bev.rateLimits.writeLimit, 0);
        bev.close();
      } finally {
        base.close();
        sys.close(a);
        sys.close(c);
      }
    });

    it("with short ticks every byte arrives, and no read takes more than a burst", () => {
      const base = new EventBase(variant.options);
      const [a, c] = sys.socketpair();
      try {
        const total = 20_000;
        const reader = new BufferEvent(base, a, { closeFd: false });
        const writer = new BufferEvent(base, c, { closeFd: false });
        reader.setRateLimit(new RateLimit({ readRate: 2000, readBurst: 4000, writeRate: Infinity, tickMs: 2 }));
        let got = 0, largest = 0;
        reader.setCallbacks((b) => {
          largest = Math.max(largest, b.input.length);
          got += b.input.length;
          b.input.drain(b.input.length);
          if (got === total) {
            b.close();
            writer.close();
          }
        }).enable(EV.READ);
        writer.write(new Uint8Array(total));
        base.loopSync();
        assert.equal(got, total);
        assert.ok(largest <= 4000, `one read took ${largest} bytes`);
      } finally {
        base.close();
        sys.close(a);
        sys.close(c);
      }
    });

    it("a group shares one bucket between its members, at least minShare each, and counts totals", () => {
      const base = new EventBase(variant.options);
      const pairs = [sys.socketpair(), sys.socketpair()];
      try {
        const group = new RateLimitGroup(base, new RateLimit({ readRate: 1000, writeRate: Infinity, tickMs: HOUR }));
        const members = pairs.map(([a]) => new BufferEvent(base, a, { closeFd: false }).setRateLimitGroup(group).enable(EV.READ));
        for (const [, c] of pairs) sys.write(c, new Uint8Array(5000));
        assert.equal(members[0].rateLimits.maxToRead, 500, "a share is the group's level over its members");
        spin(base, () => group.readLimit <= 0);
        const inputs = members.map((m) => m.input.length);
        assert.equal(inputs[0] + inputs[1], 1000, `read ${inputs}`);
        assert.ok(inputs[0] > 0 && inputs[1] > 0, "both members got a share");
        assert.equal(group.totalRead, 1000);
        assert.equal(group.readLimit, 0);
        group.resetTotals();
        assert.equal(group.totalRead, 0);
        // Leaving the group lifts its limit for that member.
        members[0].setRateLimitGroup(null);
        spin(base, () => members[0].input.length === 5000);
        assert.equal(members[0].input.length, 5000);
        assert.equal(members[1].input.length, inputs[1]);
        group.decrementReadLimit(-100); // the remaining member may read 100 more
        spin(base, () => members[1].input.length > inputs[1], 10);
        assert.equal(members[1].input.length, inputs[1] + 100);
        group.close(); // the remaining member leaves it and reads on
        assert.ok(group.closed);
        spin(base, () => members[1].input.length === 5000);
        assert.equal(members[1].input.length, 5000);
        assert.throws(() => members[0].setRateLimitGroup(group), /closed/);
        for (const m of members) m.close();
      } finally {
        base.close();
        for (const p of pairs) p.forEach((fd) => sys.close(fd));
      }
    });
  });
}

describe("rate limits: bad input", () => {
  it("rejects bad rates, bursts and ticks, naming the value", () => {
    assert.throws(() => new RateLimit({ readRate: 0, writeRate: 1 }), { name: "RangeError", message: /readRate.*0/ });
    assert.throws(() => new RateLimit({ readRate: 1.5, writeRate: 1 }), RangeError);
    assert.throws(() => new RateLimit({ readRate: 10, readBurst: 5, writeRate: 1 }), { name: "RangeError", message: /readBurst \(5\)/ });
    assert.throws(() => new RateLimit({ readRate: 10, writeRate: 1, tickMs: -1 }), { name: "RangeError", message: /-1/ });
    assert.throws(() => new RateLimit(null as never), TypeError);
    const base = new EventBase();
    const other = new EventBase();
    try {
      const bev = new BufferEvent(base, -1);
      assert.throws(() => bev.setRateLimitGroup({} as never), TypeError);
      const group = new RateLimitGroup(other, new RateLimit({ readRate: 1, writeRate: 1 }));
      assert.throws(() => bev.setRateLimitGroup(group), /another event base/);
      assert.throws(() => (group.minShare = 0), RangeError);
      bev.close();
    } finally {
      base.close();
      other.close();
    }
  });
});
