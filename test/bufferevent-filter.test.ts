// FilteredBufferEvent: framing and compression filters over real sockets and over pairs, on
// every backend; watermarks, errors from a filter, EOF, and closing through the filter.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import {
  BEV, BEV_FLUSH, type BufferFilter, BufferEvent, EV, EVLOOP, EventBase, EvBuffer, FilteredBufferEvent, bufferEventPair, sys,
} from "./deps.ts";
import { backendVariants } from "./helpers.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** Output filter: everything written so far becomes one frame, a 4-byte big-endian length first. */
const frame: BufferFilter = (src, dst) => {
  if (src.length === 0) return "need-more"; // a flush with nothing written: no empty frame
  const header = new Uint8Array(4);
  new DataView(header.buffer).setUint32(0, src.length);
  dst.add(header).addBuffer(src);
  return "ok";
};

/** Input filter: whole frames' payloads pass; a partial frame waits; frames over 1 MB are an error. */
const unframe: BufferFilter = (src, dst) => {
  let moved = false;
  while (src.length >= 4) {
    const head = src.pullup(4)!;
    const length = new DataView(head.buffer, head.byteOffset, 4).getUint32(0);
    if (length > 1 << 20) return "error";
    if (src.length < 4 + length) break;
    src.drain(4);
    src.removeBuffer(dst, length);
    moved = true;
  }
  return moved ? "ok" : "need-more";
};

/** The same frames, each payload compressed on its own (raw deflate). */
const compress: BufferFilter = (src, dst) => {
  if (src.length === 0) return "need-more";
  const packed = deflateRawSync(src.remove(src.length));
  const header = new Uint8Array(4);
  new DataView(header.buffer).setUint32(0, packed.length);
  dst.add(header).add(new Uint8Array(packed.buffer, packed.byteOffset, packed.length));
  return "ok";
};
const decompress: BufferFilter = (src, dst, limit, mode) => {
  const frames = new EvBuffer();
  const result = unframe(src, frames, limit, mode);
  if (result !== "ok") return result;
  dst.add(new Uint8Array(inflateRawSync(frames.remove(frames.length))));
  return "ok";
};

for (const variant of backendVariants()) {
  describe(`bufferevent filter on ${variant.label}`, () => {
    it("framing over a socket: each write is one frame on the wire; frames split byte by byte are reassembled", () => {
      const base = new EventBase(variant.options);
      const [x, y] = sys.socketpair();
      try {
        const framed = new FilteredBufferEvent(new BufferEvent(base, x), unframe, frame);
        let got = "";
        framed.setCallbacks((b) => void (got += text(b.read()))).enable(EV.READ);
        framed.write("hello").write("world!");
        for (let i = 0; i < 3; i++) base.loopSync(EVLOOP.NONBLOCK); // reading stays enabled: the loop would not end
        const wire = sys.read(y, 100)!;
        assert.deepEqual([...wire], [0, 0, 0, 5, ...new TextEncoder().encode("hello"), 0, 0, 0, 6, ...new TextEncoder().encode("world!")]);
        // Send the same bytes back, one at a time: the filter waits for whole frames.
        const seen: string[] = [];
        framed.setCallbacks((b) => void seen.push(text(b.read())));
        for (const byte of wire) {
          sys.write(y, new Uint8Array([byte]));
          base.loopSync(EVLOOP.NONBLOCK);
        }
        assert.deepEqual(seen, ["hello", "world!"]);
        assert.equal(got, "");
        framed.close();
        assert.ok(framed.underlying.closed, "closing the filter closes the underlying bufferevent");
      } finally {
        base.close();
        sys.close(y);
      }
    });

    it("compression (a zlib frame per write) over a pair, both ends filtered; a filter over any bufferevent", () => {
      const base = new EventBase(variant.options);
      try {
        const [a, b] = bufferEventPair(base);
        const left = new FilteredBufferEvent(a, decompress, compress);
        const right = new FilteredBufferEvent(b, decompress, compress);
        right.setCallbacks((end) => end.writeBuffer(end.input)).enable(EV.READ); // an echo, through the filter
        let echoed = "";
        const message = "compressible ".repeat(2000);
        left.setCallbacks((end) => {
          echoed += text(end.read());
          if (echoed.length === message.length) {
            end.close();
            right.close();
          }
        }).enable(EV.READ);
        let onWire = 0;
        b.input.addCallback((_buf, change) => void (onWire += change.added));
        left.write(message);
        base.loopSync();
        assert.equal(echoed, message);
        assert.ok(onWire < message.length / 10, `${onWire} bytes crossed for ${message.length}`);
      } finally {
        base.close();
      }
    });

    it("the filter's read high watermark bounds its input; draining it resumes the underlying reads", () => {
      const base = new EventBase(variant.options);
      const [x, y] = sys.socketpair();
      try {
        const filtered = new FilteredBufferEvent(new BufferEvent(base, x), null, null);
        filtered.setWatermark(EV.READ, 0, 1000);
        let maxSeen = 0;
        filtered.setCallbacks((b) => void (maxSeen = Math.max(maxSeen, b.input.length))).enable(EV.READ);
        sys.write(y, new Uint8Array(50_000));
        for (let i = 0; i < 5; i++) base.loopSync(EVLOOP.NONBLOCK);
        assert.equal(filtered.input.length, 1000);
        let total = 0;
        for (let i = 0; i < 500 && total < 50_000; i++) {
          total += filtered.input.length;
          filtered.input.drain(filtered.input.length);
          base.loopSync(EVLOOP.NONBLOCK);
        }
        assert.equal(total, 50_000);
        assert.ok(maxSeen <= 1000);
        filtered.close();
      } finally {
        base.close();
        sys.close(y);
      }
    });

    it("a filter error is reported as READING|ERROR; EOF reaches the user after the last whole frame", () => {
      const base = new EventBase(variant.options);
      const [x, y] = sys.socketpair();
      const [p, q] = sys.socketpair();
      try {
        const events: number[] = [];
        const framed = new FilteredBufferEvent(new BufferEvent(base, x), unframe, frame);
        framed.setCallbacks(null, null, (_b, what) => void events.push(what)).enable(EV.READ);
        sys.write(y, new Uint8Array([0xff, 0xff, 0xff, 0xff])); // a 4 GB frame: refused
        base.loopSync(EVLOOP.NONBLOCK);
        assert.deepEqual(events, [BEV.READING | BEV.ERROR]);
        framed.close();

        let got = "";
        const other = new FilteredBufferEvent(new BufferEvent(base, p), unframe, frame);
        const seen: number[] = [];
        other.setCallbacks((b) => void (got += text(b.read())), null, (b, what) => {
          seen.push(what);
          b.close();
        }).enable(EV.READ);
        sys.write(q, new Uint8Array([0, 0, 0, 2, 104, 105]));
        sys.close(q);
        base.loopSync();
        assert.equal(got, "hi");
        assert.deepEqual(seen, [BEV.READING | BEV.EOF]);
      } finally {
        base.close();
        sys.close(y);
      }
    });

    it("shutdownWrite passes through the filter: the peer reads the last frame, then EOF", () => {
      const base = new EventBase(variant.options);
      const [x, y] = sys.socketpair();
      try {
        const framed = new FilteredBufferEvent(new BufferEvent(base, x), null, frame);
        framed.write("bye");
        framed.shutdownWrite();
        let wire: Uint8Array = new Uint8Array(0);
        const reader = new BufferEvent(base, y);
        reader.setCallbacks((b) => void (wire = b.input.toBytes()), null, (b, what) => {
          assert.ok(what & BEV.EOF);
          b.close();
          framed.close();
        }).enable(EV.READ);
        base.loopSync();
        assert.deepEqual([...wire], [0, 0, 0, 3, 98, 121, 101]);
        assert.throws(() => framed.write("x"), /closed/);
      } finally {
        base.close();
      }
    });

    it("bytes the underlying bufferevent read before the filter was enabled are filtered at the next iteration", () => {
      const base = new EventBase(variant.options);
      try {
        const [a, b] = bufferEventPair(base);
        b.enable(EV.READ);
        a.write(new Uint8Array([0, 0, 0, 3, 97, 98, 99]));
        base.loopSync();
        assert.equal(b.input.length, 7, "read by the pair end alone");
        const framed = new FilteredBufferEvent(b, unframe, frame);
        let got = "";
        framed.setCallbacks((end) => void (got += text(end.read())));
        framed.enable(EV.READ);
        assert.equal(got, "", "not inside enable()");
        base.loopSync();
        assert.equal(got, "abc");
        framed.close();
        a.close();
      } finally {
        base.close();
      }
    });

    it("setTimeouts goes to the underlying bufferevent; its timeout reaches the filter's event callback", () => {
      const base = new EventBase(variant.options);
      const [x, y] = sys.socketpair();
      try {
        const framed = new FilteredBufferEvent(new BufferEvent(base, x), unframe, frame);
        let what = 0;
        framed.setCallbacks(null, null, (b, w) => {
          what = w;
          b.close();
        }).setTimeouts(5, null).enable(EV.READ);
        base.loopSync();
        assert.equal(what, BEV.TIMEOUT | BEV.READING);
      } finally {
        base.close();
        sys.close(y);
      }
    });

    it("flush(FLUSH) runs the output filter at once even with nothing new written", () => {
      const base = new EventBase(variant.options);
      try {
        const [a, b] = bufferEventPair(base);
        let calls = 0;
        const counting: BufferFilter = (src, dst) => {
          calls++;
          dst.addBuffer(src);
          return "ok";
        };
        const filtered = new FilteredBufferEvent(a, null, counting);
        filtered.flush(BEV_FLUSH.FLUSH);
        assert.equal(calls, 1);
        b.enable(EV.READ);
        filtered.write("x");
        base.loopSync();
        assert.equal(b.input.toString(), "x");
        filtered.close();
        b.close();
      } finally {
        base.close();
      }
    });
  });
}

describe("bufferevent filter: bad input", () => {
  it("rejects a non-bufferevent, non-function filters and a closed underlying", () => {
    const base = new EventBase();
    try {
      assert.throws(() => new FilteredBufferEvent({} as never, null, null), TypeError);
      const [a] = bufferEventPair(base);
      assert.throws(() => new FilteredBufferEvent(a, "x" as never, null), { name: "TypeError", message: /input filter.*string/ });
      a.close();
      assert.throws(() => new FilteredBufferEvent(a, null, null), /closed/);
    } finally {
      base.close();
    }
  });
});
