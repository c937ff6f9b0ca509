// EvBuffer: libevent's evbuffer, a chain of chunks.
//
// Kernel I/O goes through one readv or writev per call over several chunks. Chunk memory comes
// from a per-thread pool of fixed-size ArrayBuffer-backed blocks whose addresses are computed once
// (FFI-NOTES: an address may only be stored for memory that cannot move), and iovec entries are
// written as two 32-bit words from those cached addresses, so no BigInt is made per call.
//
// addReference() keeps the caller's bytes without copying when they are large (>= 4 KiB): such
// views own a separate backing store that the engines do not move, and their address is taken at
// writeTo() time. Smaller views are copied into pooled chunks, which is cheaper than asking an
// engine for a small view's address (Deno ~270 ns) and safe where small views can move (Bun).
import { Errno, MAX_IO, SyscallError, addressOf, errnoCell, libc, layout } from "../ffi/mod.ts";

/** Size of a pooled chunk. */
export const CHUNK_SIZE = 16 * 1024;
/** Pooled chunks kept for reuse per thread; beyond this, drained chunks are left to the GC. */
const POOL_LIMIT = 512;
/** Referenced views smaller than this are copied instead. */
const REFERENCE_MIN = 4096;
/** iovec entries per writev (Linux IOV_MAX is 1024; more rarely pays). */
const WRITE_IOVECS = 64;
const READ_IOVECS = 4;
const TWO_32 = 4294967296;

interface Block {
  bytes: Uint8Array;
  /** Address of bytes[0] as two 32-bit halves, or lo = -1 when it must be taken at I/O time. */
  lo: number;
  hi: number;
  pooled: boolean;
}

interface Chunk {
  block: Block;
  /** First readable byte. */
  start: number;
  /** One past the last readable byte (also where appending continues). */
  end: number;
  /** Whether more bytes may be appended to this chunk (not for referenced caller memory). */
  writable: boolean;
}

// ---- per-thread pool and iovec array --------------------------------------------------------------

const pool: Block[] = [];
let blocksCreated = 0;

function newBlock(size: number, pooled: boolean): Block {
  const bytes = new Uint8Array(new ArrayBuffer(size));
  const address = addressOf(bytes);
  blocksCreated++;
  return { bytes, lo: Number(address % 0x100000000n), hi: Number(address >> 32n), pooled };
}

function takeBlock(): Block {
  return pool.pop() ?? newBlock(CHUNK_SIZE, true);
}

function releaseBlock(block: Block): void {
  if (block.pooled && pool.length < POOL_LIMIT) pool.push(block);
}

const IOV = layout.iovec;
const iovWords = new Uint32Array(new ArrayBuffer(Math.max(WRITE_IOVECS, READ_IOVECS) * IOV.size));
const iovBytes = new Uint8Array(iovWords.buffer);

/** Writes iovec entry i: base = block address + offset, len. */
function setIovec(i: number, block: Block, offset: number, len: number): void {
  let lo = block.lo, hi = block.hi;
  if (lo === -1) {
    const a = addressOf(block.bytes);
    lo = Number(a % 0x100000000n);
    hi = Number(a >> 32n);
  }
  lo += offset;
  if (lo >= TWO_32) {
    lo -= TWO_32;
    hi += 1;
  }
  const w = (i * IOV.size) >> 2;
  iovWords[w + (IOV.base >> 2)] = lo;
  iovWords[w + (IOV.base >> 2) + 1] = hi;
  iovWords[w + (IOV.len >> 2)] = len;
  iovWords[w + (IOV.len >> 2) + 1] = 0;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function toBytes(data: Uint8Array | string, what: string): Uint8Array {
  if (typeof data === "string") return encoder.encode(data);
  if (data instanceof Uint8Array) return data;
  throw new TypeError(`${what} takes a Uint8Array or a string, got ${data === null ? "null" : typeof data}`);
}

function checkCount(n: unknown, what: string): asserts n is number {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0) throw new RangeError(`${what} must be a non-negative integer, got ${String(n)}`);
}

export type EolStyle = "any" | "crlf" | "crlf-strict" | "lf";

export class EvBuffer {
  private chunks: Chunk[] = [];
  /** Index of the first live chunk in `chunks` (drained ones before it are dropped lazily). */
  private first = 0;
  private total = 0;

  /** Bytes stored. */
  get length(): number {
    return this.total;
  }

  /** Appends a copy of `data`. */
  add(data: Uint8Array | string): this {
    const bytes = toBytes(data, "add");
    let at = 0;
    const tail = this.tail();
    if (tail && tail.writable) {
      const room = tail.block.bytes.length - tail.end;
      const n = Math.min(room, bytes.length);
      if (n > 0) {
        tail.block.bytes.set(n === bytes.length ? bytes : bytes.subarray(0, n), tail.end);
        tail.end += n;
        at = n;
      }
    }
    while (at < bytes.length) {
      const block = takeBlock();
      const n = Math.min(CHUNK_SIZE, bytes.length - at);
      block.bytes.set(bytes.subarray(at, at + n));
      this.chunks.push({ block, start: 0, end: n, writable: true });
      at += n;
    }
    this.total += bytes.length;
    return this;
  }

  /** Appends `bytes` without copying when large (the caller must not modify them until sent). */
  addReference(bytes: Uint8Array): this {
    if (!(bytes instanceof Uint8Array)) throw new TypeError(`addReference takes a Uint8Array, got ${typeof bytes}`);
    if (bytes.length < REFERENCE_MIN) return this.add(bytes);
    this.chunks.push({ block: { bytes, lo: -1, hi: 0, pooled: false }, start: 0, end: bytes.length, writable: false });
    this.total += bytes.length;
    return this;
  }

  /** Inserts a copy of `data` before everything stored. */
  prepend(data: Uint8Array | string): this {
    const bytes = toBytes(data, "prepend");
    if (bytes.length === 0) return this;
    const head = this.chunks[this.first];
    if (head && head.writable && head.start >= bytes.length) {
      head.start -= bytes.length;
      head.block.bytes.set(bytes, head.start);
    } else {
      const block = bytes.length <= CHUNK_SIZE ? takeBlock() : newBlock(bytes.length, false);
      const start = block.bytes.length - bytes.length;
      block.bytes.set(bytes, start);
      // Appending after a prepended chunk would land in the wrong place: it is not writable.
      this.chunks.splice(this.first, 0, { block, start, end: block.bytes.length, writable: false });
    }
    this.total += bytes.length;
    return this;
  }

  /** Moves all of `other`'s bytes to the end of this buffer (no copy). */
  addBuffer(other: EvBuffer): this {
    if (!(other instanceof EvBuffer)) throw new TypeError("addBuffer takes an EvBuffer");
    if (other === this) throw new RangeError("cannot add a buffer to itself");
    const moved = other.chunks.slice(other.first);
    // The old tail might be written after a moved chunk: seal it.
    const tail = this.tail();
    if (tail) tail.writable = false;
    this.chunks.push(...moved);
    this.total += other.total;
    other.chunks = [];
    other.first = 0;
    other.total = 0;
    return this;
  }

  /** Discards the first `n` bytes (all if n exceeds the length). */
  drain(n: number): this {
    checkCount(n, "drain count");
    let left = Math.min(n, this.total);
    this.total -= left;
    while (left > 0) {
      const c = this.chunks[this.first];
      const avail = c.end - c.start;
      if (left < avail) {
        c.start += left;
        break;
      }
      left -= avail;
      this.dropFirst();
    }
    if (this.total === 0) this.reset();
    return this;
  }

  /** Copies out and drains the first `n` bytes (fewer if the buffer is shorter). */
  remove(n: number): Uint8Array {
    const out = this.copyOut(n);
    this.drain(out.length);
    return out;
  }

  /** Copies the first `n` bytes without draining (into `into` when given). */
  copyOut(n: number, into?: Uint8Array): Uint8Array {
    checkCount(n, "copyOut count");
    n = Math.min(n, this.total, into ? into.length : Infinity);
    const out = into ? into.subarray(0, n) : new Uint8Array(n);
    let at = 0;
    for (let i = this.first; at < n; i++) {
      const c = this.chunks[i];
      const take = Math.min(c.end - c.start, n - at);
      out.set(c.block.bytes.subarray(c.start, c.start + take), at);
      at += take;
    }
    return out;
  }

  /** Views (no copy) covering the first `n` bytes, chunk by chunk. Valid until the buffer changes. */
  peek(n = this.total): Uint8Array[] {
    checkCount(n, "peek count");
    const views: Uint8Array[] = [];
    let left = Math.min(n, this.total);
    for (let i = this.first; left > 0; i++) {
      const c = this.chunks[i];
      const take = Math.min(c.end - c.start, left);
      views.push(c.block.bytes.subarray(c.start, c.start + take));
      left -= take;
    }
    return views;
  }

  /** Byte offset of the first occurrence of `pattern` at or after `start`, or -1 (across chunks). */
  search(pattern: Uint8Array | string, start = 0): number {
    const p = toBytes(pattern, "search");
    checkCount(start, "search start");
    if (p.length === 0) return start <= this.total ? start : -1;
    const first = p[0];
    // Walk chunks keeping the absolute offset of each chunk's first byte.
    let base = 0;
    for (let i = this.first; i < this.chunks.length; i++) {
      const c = this.chunks[i];
      const len = c.end - c.start;
      if (base + len > start) {
        let from = Math.max(0, start - base);
        const bytes = c.block.bytes;
        for (;;) {
          const hit = bytes.indexOf(first, c.start + from);
          if (hit === -1 || hit >= c.end) break;
          const offset = base + (hit - c.start);
          if (this.matchesAt(i, hit, p)) return offset;
          from = hit - c.start + 1;
        }
      }
      base += len;
    }
    return -1;
  }

  private matchesAt(chunkIndex: number, pos: number, p: Uint8Array): boolean {
    let c = this.chunks[chunkIndex];
    let k = pos;
    for (let j = 0; j < p.length; j++) {
      while (k >= c.end) {
        chunkIndex++;
        if (chunkIndex >= this.chunks.length) return false;
        c = this.chunks[chunkIndex];
        k = c.start;
      }
      if (c.block.bytes[k] !== p[j]) return false;
      k++;
    }
    return true;
  }

  private byteAt(offset: number): number {
    let base = 0;
    for (let i = this.first; i < this.chunks.length; i++) {
      const c = this.chunks[i];
      const len = c.end - c.start;
      if (offset < base + len) return c.block.bytes[c.start + offset - base];
      base += len;
    }
    return -1;
  }

  /**
   * Removes and returns one line (decoded as UTF-8, without its end-of-line), or null if no
   * complete line is buffered. Modes as libevent's EVBUFFER_EOL_*: "any" (any run of CR and LF),
   * "crlf" (CRLF or a bare LF), "crlf-strict" (CRLF only), "lf" (LF only).
   */
  readLine(mode: EolStyle = "crlf"): string | null {
    let lineEnd = -1, eolLen = 0;
    if (mode === "lf") {
      lineEnd = this.search("\n");
      eolLen = 1;
    } else if (mode === "crlf-strict") {
      lineEnd = this.search("\r\n");
      eolLen = 2;
    } else if (mode === "crlf") {
      lineEnd = this.search("\n");
      if (lineEnd !== -1) {
        eolLen = 1;
        if (lineEnd > 0 && this.byteAt(lineEnd - 1) === 13) {
          lineEnd--;
          eolLen = 2;
        }
      }
    } else if (mode === "any") {
      const cr = this.search("\r"), lf = this.search("\n");
      lineEnd = cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf);
      if (lineEnd !== -1) {
        eolLen = 1;
        for (let b = this.byteAt(lineEnd + eolLen); b === 13 || b === 10; b = this.byteAt(lineEnd + eolLen)) eolLen++;
      }
    } else {
      throw new RangeError(`unknown end-of-line style ${JSON.stringify(mode)} (any, crlf, crlf-strict, lf)`);
    }
    if (lineEnd === -1) return null;
    const line = decoder.decode(this.copyOut(lineEnd));
    this.drain(lineEnd + eolLen);
    return line;
  }

  /**
   * Space for at least `n` bytes after the stored data (e.g. to read into); fill it, then
   * commit() how many bytes were written. Returns a view of the space.
   */
  reserve(n: number): Uint8Array {
    checkCount(n, "reserve size");
    let tail = this.tail();
    if (!tail || !tail.writable || tail.block.bytes.length - tail.end < n) {
      const block = n <= CHUNK_SIZE ? takeBlock() : newBlock(n, false);
      tail = { block, start: 0, end: 0, writable: true };
      this.chunks.push(tail);
    }
    return tail.block.bytes.subarray(tail.end);
  }

  /** Makes `n` bytes of the last reserve() part of the buffer. */
  commit(n: number): this {
    checkCount(n, "commit size");
    const tail = this.tail();
    if (!tail || !tail.writable || tail.end + n > tail.block.bytes.length) throw new RangeError(`commit(${n}) exceeds the reserved space`);
    tail.end += n;
    this.total += n;
    return this;
  }

  /**
   * Reads up to `max` bytes from `fd` with one readv into the tail's free space and fresh chunks.
   * Returns the bytes read, 0 at end of file, -1 on EAGAIN; throws SyscallError otherwise.
   */
  readFrom(fd: number, max = 4 * CHUNK_SIZE): number {
    checkCount(max, "read size");
    max = Math.min(max, MAX_IO);
    if (max === 0) return 0;
    // iovec 0: the free space of the tail; then fresh blocks until max is covered.
    const fresh: Block[] = [];
    let iovcnt = 0, planned = 0;
    const tail = this.tail();
    if (tail && tail.writable && tail.block.bytes.length > tail.end) {
      const room = Math.min(tail.block.bytes.length - tail.end, max);
      setIovec(iovcnt++, tail.block, tail.end, room);
      planned += room;
    }
    while (planned < max && iovcnt < READ_IOVECS) {
      const block = takeBlock();
      const room = Math.min(CHUNK_SIZE, max - planned);
      setIovec(iovcnt++, block, 0, room);
      fresh.push(block);
      planned += room;
    }
    const n = libc.readv(fd, iovBytes, iovcnt);
    if (n <= 0) {
      for (const b of fresh) releaseBlock(b);
      if (n === 0) return 0;
      const errno = errnoCell[0];
      if (errno === Errno.EAGAIN) return -1;
      throw new SyscallError("readv", errno, [fd, `<${iovcnt} iovecs, ${planned} bytes>`, iovcnt]);
    }
    let left = n;
    if (tail && tail.writable && tail.block.bytes.length > tail.end) {
      const used = Math.min(left, tail.block.bytes.length - tail.end);
      tail.end += used;
      left -= used;
    }
    for (const block of fresh) {
      if (left > 0) {
        const used = Math.min(left, CHUNK_SIZE);
        this.chunks.push({ block, start: 0, end: used, writable: true });
        left -= used;
      } else {
        releaseBlock(block);
      }
    }
    this.total += n;
    return n;
  }

  /**
   * Writes up to `max` stored bytes to `fd` with one writev over up to 64 chunks and drains what
   * was written. Returns the bytes written, -1 on EAGAIN; throws SyscallError (EPIPE, ECONNRESET, ...).
   */
  writeTo(fd: number, max = Infinity): number {
    if (this.total === 0) return 0;
    let left = Math.min(max, this.total, MAX_IO);
    let iovcnt = 0;
    for (let i = this.first; i < this.chunks.length && iovcnt < WRITE_IOVECS && left > 0; i++) {
      const c = this.chunks[i];
      const len = Math.min(c.end - c.start, left);
      setIovec(iovcnt++, c.block, c.start, len);
      left -= len;
    }
    const n = libc.writev(fd, iovBytes, iovcnt);
    if (n === -1) {
      const errno = errnoCell[0];
      if (errno === Errno.EAGAIN) return -1;
      throw new SyscallError("writev", errno, [fd, `<${iovcnt} iovecs>`, iovcnt]);
    }
    this.drain(n);
    return n;
  }

  /** Everything stored, copied into one array (the buffer is unchanged). */
  toBytes(): Uint8Array {
    return this.copyOut(this.total);
  }

  /** Everything stored, decoded as UTF-8 (the buffer is unchanged). */
  toString(): string {
    return decoder.decode(this.toBytes());
  }

  /** Pool figures for this thread: blocks ever created and blocks idle in the pool. */
  static poolStats(): { created: number; pooled: number } {
    return { created: blocksCreated, pooled: pool.length };
  }

  private tail(): Chunk | undefined {
    return this.chunks.length > this.first ? this.chunks[this.chunks.length - 1] : undefined;
  }

  private dropFirst(): void {
    const c = this.chunks[this.first];
    releaseBlock(c.block);
    this.chunks[this.first] = undefined as unknown as Chunk;
    this.first++;
    if (this.first > 32 && this.first * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.first);
      this.first = 0;
    }
  }

  private reset(): void {
    for (let i = this.first; i < this.chunks.length; i++) releaseBlock(this.chunks[i].block);
    this.chunks = [];
    this.first = 0;
  }
}
