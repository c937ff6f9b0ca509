// bufferEventPair: two in-memory bufferevents with the whole bufferevent API, on every backend.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type AbstractBufferEvent, BEV, BEV_FLUSH, BufferEvent, EV, EventBase, bufferEventPair, sys } from "./deps.ts";
import { backendVariants } from "./helpers.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** An echo written once against the shared API: it must work on a socket and on a pair end alike. */
function echo(bev: AbstractBufferEvent): void {
  bev.setCallbacks((b) => b.writeBuffer(b.input), null, (b, what) => {
    if (what & (BEV.EOF | BEV.ERROR)) b.close();
  });
  bev.enable(EV.READ);
}

for (const variant of backendVariants()) {
  describe(`bufferevent pair on ${variant.label}`, () => {
    it("bytes written to one end arrive at the other, in order, through an echo written for any bufferevent", () => {
      const base = new EventBase(variant.options);
      try {
        const [client, server] = bufferEventPair(base);
        assert.equal(client.partner, server);
        echo(server);
        let got = "";
        client.setCallbacks((b) => {
          got += text(b.read());
          if (got.length === 3000) b.close();
        });
        client.enable(EV.READ);
        for (let i = 0; i < 1000; i++) client.write(String(i % 10).repeat(3).slice(0, 3));
        assert.equal(base.loopSync(), 1, "no events left once both ends are idle");
        assert.equal(got.length, 3000);
        assert.equal(got.slice(0, 9), "000111222");
        assert.ok(server.closed, "the echo closed its end when the client's close reached it as EOF");
      } finally {
        base.close();
      }
    });

    it("the same echo function serves a socket BufferEvent", () => {
      const base = new EventBase(variant.options);
      const [x, y] = sys.socketpair();
      try {
        echo(new BufferEvent(base, x));
        const client = new BufferEvent(base, y);
        let got = "";
        client.setCallbacks((b) => {
          got += text(b.read());
          if (got === "over a socket") b.close();
        }).enable(EV.READ);
        client.write("over a socket");
        base.loopSync();
        assert.equal(got, "over a socket");
      } finally {
        base.close();
      }
    });

    it("the receiver's high watermark bounds what moves; the sender's write callback runs as its output drains", () => {
      const base = new EventBase(variant.options);
      try {
        const [producer, consumer] = bufferEventPair(base);
        const total = 100_000;
        let maxSeen = 0, consumed = 0, writeCallbacks = 0, lowestLeft = Infinity;
        consumer.setWatermark(EV.READ, 0, 4096);
        consumer.setCallbacks((b) => {
          maxSeen = Math.max(maxSeen, b.input.length);
          consumed += b.input.length;
          b.input.drain(b.input.length); // straight on the buffer: reading must still resume
        }).enable(EV.READ);
        producer.setWatermark(EV.WRITE, 50_000);
        producer.setCallbacks(null, (b) => {
          writeCallbacks++;
          lowestLeft = Math.min(lowestLeft, b.output.length);
        });
        producer.write(new Uint8Array(total));
        base.loopSync();
        assert.equal(consumed, total);
        assert.ok(maxSeen <= 4096, `the consumer held ${maxSeen} bytes`);
        assert.ok(writeCallbacks > 1, "at or below the low watermark after each move, not only when empty");
        assert.equal(lowestLeft, 0);
      } finally {
        base.close();
      }
    });

    it("a disabled reader receives nothing until enabled", () => {
      const base = new EventBase(variant.options);
      try {
        const [a, b] = bufferEventPair(base);
        a.write("held");
        base.loopSync();
        assert.equal(b.input.length, 0);
        assert.equal(a.output.length, 4);
        b.enable(EV.READ);
        base.loopSync();
        assert.equal(b.input.toString(), "held");
        b.disable(EV.READ);
        a.write("more");
        base.loopSync();
        assert.equal(b.input.toString(), "held");
      } finally {
        base.close();
      }
    });

    it("shutdownWrite and flush(FINISHED) deliver the bytes, then EOF; the other direction stays open", () => {
      const base = new EventBase(variant.options);
      try {
        const [a, b] = bufferEventPair(base);
        const events: string[] = [];
        b.setCallbacks((end) => events.push(`data ${text(end.read())}`), null, (end, what) => {
          events.push(`event ${what === (BEV.EOF | BEV.READING) ? "eof" : what}`);
          end.write("reply");
        }).enable(EV.READ);
        a.setCallbacks((end) => events.push(`a got ${text(end.read())}`)).enable(EV.READ);
        a.write("last words");
        a.shutdownWrite();
        assert.throws(() => a.write("x"), /shutdownWrite/);
        base.loopSync();
        assert.deepEqual(events, ["data last words", "event eof", "a got reply"]);

        const [c, d] = bufferEventPair(base);
        let eof = false;
        d.setCallbacks(null, null, (_end, what) => void (eof = (what & BEV.EOF) !== 0)).enable(EV.READ);
        c.write("now");
        c.flush(BEV_FLUSH.FINISHED); // moved at once, not at the next iteration
        assert.equal(d.input.toString(), "now");
        assert.ok(eof);
      } finally {
        base.close();
      }
    });

    it("closing one end: the partner gets EOF, its writes report WRITING|EOF and are dropped", () => {
      const base = new EventBase(variant.options);
      try {
        const [a, b] = bufferEventPair(base);
        const events: number[] = [];
        b.setCallbacks(null, null, (_end, what) => events.push(what)).enable(EV.READ);
        a.close();
        assert.equal(b.partner, null);
        base.loopSync();
        assert.deepEqual(events, [BEV.EOF | BEV.READING]);
        b.write("to nobody");
        base.loopSync();
        assert.deepEqual(events, [BEV.EOF | BEV.READING, BEV.EOF | BEV.WRITING]);
        assert.equal(b.output.length, 0);
        b.close();
      } finally {
        base.close();
      }
    });

    it("timeouts: a silent partner times the reader out; output nobody takes times the writer out", () => {
      const base = new EventBase(variant.options);
      try {
        const [a, b] = bufferEventPair(base);
        const events: string[] = [];
        const log = (name: string) => (_end: unknown, what: number) => void events.push(`${name} ${what === (BEV.TIMEOUT | BEV.READING) ? "read timeout" : what === (BEV.TIMEOUT | BEV.WRITING) ? "write timeout" : what}`);
        b.setCallbacks(null, null, log("b")).setTimeouts(5, null).enable(EV.READ);
        assert.equal(base.loopSync(), 1, "the timeout fired, then nothing was left");
        assert.deepEqual(events, ["b read timeout"]);
        assert.equal(b.enabledEvents & EV.READ, 0, "reading is disabled by its timeout");

        const [c, d] = bufferEventPair(base);
        c.setCallbacks(null, null, log("c")).setTimeouts(null, 5);
        c.write("nobody reads this"); // d never enables reading
        base.loopSync();
        assert.deepEqual(events, ["b read timeout", "c write timeout"]);
        assert.equal(c.output.length, 17, "the bytes are still queued, not lost");
        assert.throws(() => c.setTimeouts(-1, null), { name: "RangeError", message: /-1/ });
        for (const end of [a, b, c, d]) end.close();
      } finally {
        base.close();
      }
    });

    it("a read callback that throws: the error leaves the loop, nothing is lost, the next loop goes on", () => {
      const base = new EventBase(variant.options);
      try {
        const [a, b] = bufferEventPair(base);
        let calls = 0, got = "";
        b.setCallbacks((end) => {
          if (++calls === 1) throw new Error("first read fails");
          got += text(end.read());
        }).enable(EV.READ);
        a.write("abc");
        assert.throws(() => base.loopSync(), /first read fails/);
        assert.equal(b.input.toString(), "abc", "the bytes moved and stay in the input");
        a.write("def");
        base.loopSync();
        assert.equal(got, "abcdef");
      } finally {
        base.close();
      }
    });
  });
}

describe("bufferevent pair: bad input", () => {
  it("rejects non-function callbacks and use after close", () => {
    const base = new EventBase();
    try {
      const [a] = bufferEventPair(base);
      assert.throws(() => a.setCallbacks(42 as never), { name: "TypeError", message: /number/ });
      assert.throws(() => a.getWatermark(EV.READ | EV.WRITE), RangeError);
      a.close();
      assert.throws(() => a.write("x"), /closed/);
    } finally {
      base.close();
    }
  });
});
