// EvBuffer: chunk chain operations, line reading, and readv/writev against real sockets.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { SyscallError, sys } from "./deps.ts";
import { CHUNK_SIZE, EvBuffer } from "../src/net/evbuffer.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe("evbuffer", () => {
  it("add, prepend, drain, remove and copyOut across chunk boundaries", () => {
    const buf = new EvBuffer();
    const big = new Uint8Array(CHUNK_SIZE * 2 + 100).map((_, i) => i & 0xff);
    buf.add("head-").add(big).add("-tail");
    buf.prepend(">>");
    assert.equal(buf.length, 2 + 5 + big.length + 5);
    assert.equal(text(buf.copyOut(7)), ">>head-");
    assert.equal(buf.length, 2 + 5 + big.length + 5, "copyOut does not drain");
    assert.equal(text(buf.remove(7)), ">>head-");
    assert.deepEqual(buf.remove(big.length), big);
    assert.equal(buf.toString(), "-tail");
    buf.drain(100);
    assert.equal(buf.length, 0);
    assert.equal(buf.remove(10).length, 0);
  });

  it("search finds patterns spanning chunks, from a start offset", () => {
    const buf = new EvBuffer();
    buf.add("x".repeat(CHUNK_SIZE - 2)).add("\r\n\r").add("\nrest\r\n\r\n");
    assert.equal(buf.search("\r\n\r\n"), CHUNK_SIZE - 2);
    assert.equal(buf.search("\r\n\r\n", CHUNK_SIZE - 1), CHUNK_SIZE + 6);
    assert.equal(buf.search("nope"), -1);
    const parts = new EvBuffer();
    for (const ch of "ab\r\n\r\ncd") parts.addBuffer(new EvBuffer().add(ch));
    assert.equal(parts.search("\r\n\r\n"), 2);
  });

  it("readLine in every mode, including CRLF split across chunks and lone CRs", () => {
    const b = new EvBuffer();
    b.add("one\r").addBuffer(new EvBuffer().add("\ntwo\nthree\r\n\r\nfour"));
    assert.equal(b.readLine("crlf"), "one");
    assert.equal(b.readLine("crlf"), "two");
    assert.equal(b.readLine("crlf-strict"), "three");
    assert.equal(b.readLine("crlf-strict"), "");
    assert.equal(b.readLine("crlf"), null, "no end of line yet");
    assert.equal(b.toString(), "four");
    const any = new EvBuffer().add("a\r\r\n\nb\rc");
    assert.equal(any.readLine("any"), "a");
    assert.equal(any.readLine("any"), "b");
    assert.equal(any.readLine("any"), null);
    const lf = new EvBuffer().add("x\r\ny\n");
    assert.equal(lf.readLine("lf"), "x\r");
    assert.equal(lf.readLine("lf"), "y");
    assert.equal(new EvBuffer().add("cr only\rmore").readLine("crlf-strict"), null);
    assert.throws(() => lf.readLine("weird" as "lf"), RangeError);
  });

  it("reserve/commit, addBuffer (moves, no copy), addReference and peek", () => {
    const b = new EvBuffer();
    const space = b.reserve(10);
    space.set(new TextEncoder().encode("reserved"));
    b.commit(8);
    const other = new EvBuffer().add("+moved");
    b.addBuffer(other);
    assert.equal(other.length, 0);
    const big = new Uint8Array(8192).fill(65);
    b.addReference(big);
    assert.equal(b.length, 8 + 6 + 8192);
    const views = b.peek();
    assert.ok(views.some((v) => v.buffer === big.buffer), "large referenced bytes are not copied");
    assert.equal(text(b.remove(14)), "reserved+moved");
    assert.throws(() => b.commit(CHUNK_SIZE * 10), RangeError);
    assert.throws(() => b.drain(-1), { name: "RangeError", message: /-1/ });
    assert.throws(() => b.add(42 as unknown as string), TypeError);
  });

  it("moves 8 MB through a socketpair byte-exact with readv/writev", () => {
    const [a, c] = sys.socketpair();
    try {
      const payload = new Uint8Array(8 << 20);
      for (let i = 0; i < payload.length; i++) payload[i] = (i * 31 + (i >> 11)) & 0xff;
      const out = new EvBuffer().add(payload);
      const into = new EvBuffer();
      let spins = 0;
      while (into.length < payload.length) {
        if (out.length) out.writeTo(a);
        into.readFrom(c, 1 << 20);
        if (++spins > 1_000_000) assert.fail("no progress");
      }
      assert.equal(out.length, 0);
      assert.deepEqual(into.remove(payload.length), payload);
      assert.equal(into.readFrom(c), -1, "EAGAIN when nothing is waiting");
    } finally {
      sys.close(a);
      sys.close(c);
    }
  });

  it("reports EPIPE from writeTo after the peer closes, and 0 from readFrom at EOF", () => {
    const [a, c] = sys.socketpair();
    sys.close(c);
    try {
      const b = new EvBuffer().add("lost");
      assert.throws(() => b.writeTo(a), (err: unknown) => err instanceof SyscallError && err.code === "EPIPE");
      assert.equal(new EvBuffer().readFrom(a), 0);
    } finally {
      sys.close(a);
    }
  });

  it("reuses chunk memory: many fill/drain cycles do not grow the pool", () => {
    const b = new EvBuffer();
    const chunk = new Uint8Array(CHUNK_SIZE * 3);
    b.add(chunk);
    b.drain(b.length);
    const before = EvBuffer.poolStats().created;
    for (let i = 0; i < 1000; i++) {
      b.add(chunk);
      b.drain(b.length);
    }
    assert.equal(EvBuffer.poolStats().created, before);
  });
});
