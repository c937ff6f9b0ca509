// EvBuffer: libevent's evbuffer, a singly linked chain of chunks with a byte count.
//
// Memory. Bytes that the kernel reads into or writes from live in fixed-size chunks (16 KiB) taken
// from a per-thread pool (each Worker has its own module instance, so its own pool). A pooled
// chunk is a StableBuffer: its own ArrayBuffer, so its address never moves (docs/ffi.md, "Two memory traps"), and
// that address is computed once, when the chunk is created, then reused for every readv/writev for
// the life of the thread. Drained chunks go back to the pool (LIFO, so the next read lands in
// memory that is still in cache); the pool keeps at most `EvBuffer.poolLimit` idle chunks and lets
// the GC have the rest. The chunk objects themselves (the list nodes) are pooled with their
// memory, so steady-state readFrom/writeTo/add/drain allocate nothing.
//
// Kernel I/O. One iovec array per thread, built once (ArrayBuffer-backed, kept referenced), holds
// up to WRITE_IOVECS entries. Addresses are kept as JS numbers (user-space addresses are below 2^48,
// exact in a double) and written as two u32 words, so no BigInt is made per call. readFrom() is one
// readv into the tail's free space plus up to three fresh chunks; writeTo() is one writev over up to
// 128 chunks, then drains what the kernel took. readSocket()/writeSocket() are the same for sockets,
// but use recv()/send() when the bytes fit one chunk: those skip the file layer and the iovec import
// (bulk reads still take one readv over several chunks). Byte counts are capped by MAX_IO (the ssize_t
// result is declared i32). EAGAIN and EINTR both come back as -1 ("try again when readable /
// writable"), as libevent's EVUTIL_ERR_RW_RETRIABLE treats them; anything else throws SyscallError.
//
// addReference(). Caller-owned bytes are kept without copying when they are at least
// REFERENCE_MIN (4 KiB) long; shorter views are copied into pooled chunks. Measured on Linux x86_64
// (Bun 1.4.5, Deno 2.9.6; bench/evbuffer.bench.ts, plus best-of-9 loops for the round trips):
//
//                                       256 B   1 KiB   4 KiB   16 KiB   64 KiB
//   copy into a pooled chunk (ns)       ~300    100-160 170-200 770-900  5000-5900
//   address of a view, uncached (ns)    Bun 65-115, Deno 950-1450, whatever the size
//   address, cached per ArrayBuffer     Bun ~45, Deno ~70
//   header + body, writev + peer read:  4 KiB: copy 6.6 / ref 6.3 us (Bun), 5.3 / 5.3 us (Deno);
//                                       16 KiB: copy 7.5 / ref 6.5 us (Bun), 8.0 / 7.3 us (Deno)
//
// - Safety sets the floor: on Bun a Uint8Array of up to 1000 elements is a "fast" typed array in
//   the GC heap that moves the first time anything touches its `.buffer` (and V8 keeps arrays of
//   up to 64 bytes on its moving heap), so an address taken for one may be stale when writev runs.
//   A view of 4096 bytes or more has, on both engines, a separately allocated store that never
//   moves: its address may be computed once and kept. 4 KiB is four times JSC's limit.
// - Cost agrees: on Bun a lookup already beats a copy at 1 KiB, but views that small are the ones
//   that may move; on Deno an uncached lookup costs more than copying anything under 16 KiB. End
//   to end (header + body through writev) the two tie at 4 KiB and referencing wins above, as long
//   as the address is cached. Deno's lookup (UnsafePointer.of) is the dear one, so the base address
//   of every backing ArrayBuffer is cached in a per-thread WeakMap: a server that sends the same
//   body, or slices of one file image, pays ~1 us once and ~70 ns after. (A one-off 4-16 KiB view
//   on Deno costs ~1 us more referenced than copied: add() it if that matters.) Below 4 KiB the copy
//   also saves an iovec and a chunk object.
// - Addresses are resolved at writeTo() time, never in addReference(): bytes that are only peeked
//   or copied out never pay for one. A referenced view that was detached or shrunk in the meantime
//   (ArrayBuffer transfer/resize) is refused with a TypeError instead of handing the kernel freed
//   memory.
//
// Change callbacks, freezing, file ranges. Each is a field that stays null or zero until used, and
// the calls that change the buffer test it: a buffer that uses none of them pays a compare per
// call (docs/api.md, "Costs"). File ranges (addFile) are chunks with no memory; writev stops in
// front of one and sendfile sends it; anything that reads bytes first reads every range in.
import { Errno, MAX_IO, StableBuffer, SyscallError, type U64Arg, addressOf, constants as C, errnoCell, layout, libc, u64arg } from "../ffi/mod.ts";
import { type EvBufferChangeCallback, EvBufferCallback, notifyChange } from "./evbuffer-callback.ts";
import { FileSegment, hasSendfile, readFileRange, sendFileRange } from "./file-segment.ts";
import { describeEvBuffer } from "./inspect.ts";
import { printAs } from "../ffi/mod.ts";

/** Size of a pooled chunk: the unit of readv/writev memory. */
export const CHUNK_SIZE = 16 * 1024;
/** Referenced views shorter than this are copied (see the comment at the top of this file). */
export const REFERENCE_MIN = 4096;
/** Fresh chunks + the tail's free space filled by one readv (libevent's NUM_READ_IOVEC is 4). */
const READ_IOVECS = 4;
/** Chunks written by one writev (Linux IOV_MAX is 1024; 128 chunks are 2 MiB, more than a socket buffer takes at once). */
const WRITE_IOVECS = 128;
/** Default byte budget of one readFrom(): the tail's room plus fresh chunks, up to 64 KiB. */
const READ_DEFAULT = READ_IOVECS * CHUNK_SIZE;
const TWO_32 = 4294967296;
/** readSocket() receives into the tail's free space when at least this much is left, else into a fresh chunk. */
const RECV_MIN_ROOM = 2048;
const SEND_FLAGS = C.MSG_NOSIGNAL;
/** Bytes scanned with a plain loop before asking the engine's indexOf (which needs a subarray). */
const SHORT_SCAN = 64;

const EAGAIN = Errno.EAGAIN;
const EINTR = Errno.EINTR;
const ENOTSOCK = Errno.ENOTSOCK;

/** A chunk's memory is a pooled StableBuffer (returned to the pool when drained). */
const POOLED = 0;
/** ...memory this buffer allocated for an oversized reserve() (left to the GC when drained). */
const OWNED = 1;
/** ...the caller's view from addReference() (read-only to us; `release` runs when drained). */
const REFERENCE = 2;
/** ...a range of a file (addFile): no memory; bytes[start, end) stand for file bytes offset + start... */
const FILE = 3;
// Kinds >= REFERENCE are not ours to write into: appends, reads and prepends never use their room.

/** Which end of a buffer freeze() fixes. */
export type BufferEnd = "front" | "back";
const FROZEN_FRONT = 1;
const FROZEN_BACK = 2;

class Chunk {
  /** The memory: a whole pooled/owned block, or exactly the caller's view. */
  bytes: Uint8Array;
  /** Address of bytes[0] as a number, or -1 until writeTo() first needs it (OWNED, REFERENCE). */
  address: number;
  /** bytes.byteLength when the chunk was made: a smaller value later means detached or shrunk. */
  readonly size: number;
  readonly kind: number;
  /** First stored byte. */
  start = 0;
  /** One past the last stored byte; appends continue here (POOLED and OWNED only). */
  end = 0;
  next: Chunk | null = null;
  /** addReference()'s callback, run once the bytes are no longer needed. */
  release: (() => void) | null = null;
  /** `address` as a 64-bit FFI argument, made on first use (see addressArg). */
  addressArg: U64Arg | null = null;
  /** FILE chunks: the file, and the file offset that bytes position 0 stands for. */
  segment: FileSegment | null = null;
  fileOffset = 0;

  constructor(bytes: Uint8Array, address: number, kind: number) {
    this.bytes = bytes;
    this.address = address;
    this.size = bytes.byteLength;
    this.kind = kind;
  }
}

// ---- per-thread pool ------------------------------------------------------------------------------

const pool: Chunk[] = [];
let poolLimit = 256; // 4 MiB of idle chunks per thread
let chunksCreated = 0;
let chunksDiscarded = 0;

function takeChunk(): Chunk {
  const c = pool.pop();
  if (c !== undefined) return c;
  const stable = new StableBuffer(CHUNK_SIZE);
  const address = Number(stable.address);
  if (!Number.isSafeInteger(address)) throw new Error(`chunk address 0x${stable.address.toString(16)} does not fit a double`);
  chunksCreated++;
  return new Chunk(stable.bytes, address, POOLED);
}

/** Gives a chunk that left its buffer back (POOLED) or to the GC (OWNED, REFERENCE). */
function recycle(c: Chunk): void {
  c.next = null;
  if (c.kind !== POOLED) return;
  c.start = 0;
  c.end = 0;
  if (pool.length < poolLimit) pool.push(c);
  else chunksDiscarded++;
}

// Base address of each backing store whose address was ever needed (OWNED and REFERENCE chunks).
// Keyed weakly by the ArrayBuffer: a detached buffer is never reused for other memory, and the
// entry dies with the buffer.
const baseAddresses = new WeakMap<ArrayBufferLike, number>();

/** Address of a non-pooled chunk's bytes[0], resolved once per chunk. */
function resolveChunkAddress(c: Chunk): number {
  const view = c.bytes;
  if (view.byteLength !== c.size) {
    throw new TypeError(
      `a view given to addReference() was detached or resized (${c.size} bytes then, ${view.byteLength} now); it can no longer be written`,
    );
  }
  const buffer = view.buffer; // touched only for views >= REFERENCE_MIN, which never move
  let base = baseAddresses.get(buffer);
  if (base === undefined) {
    base = Number(addressOf(view)) - view.byteOffset;
    baseAddresses.set(buffer, base);
  }
  c.address = base + view.byteOffset;
  return c.address;
}

/**
 * bytes[0]'s address for a syscall now: pooled chunks have it from the start, the others resolve
 * it once; a referenced view is checked every time (a detached or shrunk view throws).
 */
function chunkAddress(c: Chunk): number {
  const address = c.address;
  if (c.kind === REFERENCE ? c.bytes.byteLength !== c.size || address < 0 : address < 0) return resolveChunkAddress(c);
  return address;
}

// ---- per-thread iovec array -------------------------------------------------------------------------

const IOV = layout.iovec;
const IOV_WORDS = IOV.size >> 2;
const IOV_BASE = IOV.base >> 2;
const IOV_LEN = IOV.len >> 2;
// Built once; the upper word of every iov_len stays 0 because no length reaches 2^32 (MAX_IO).
const iovWords = new Uint32Array(new ArrayBuffer(WRITE_IOVECS * IOV.size));
const iovBytes = new Uint8Array(iovWords.buffer);

function setIovec(i: number, address: number, len: number): void {
  const w = i * IOV_WORDS;
  const lo = address >>> 0;
  iovWords[w + IOV_BASE] = lo;
  iovWords[w + IOV_BASE + 1] = (address - lo) / TWO_32;
  iovWords[w + IOV_LEN] = len;
}

/**
 * bytes[offset]'s address as a 64-bit FFI argument, for recvAt/sendAt. On Deno that is a BigInt (a
 * number takes Deno's slow FFI path, 150 ns), and making a BigInt of an address costs about 40 ns,
 * so each chunk keeps the one for its first byte: a fresh chunk is read into and written from there.
 */
function addressArg(c: Chunk, offset: number): U64Arg {
  const address = chunkAddress(c);
  if (offset !== 0) return u64arg(address + offset);
  let arg = c.addressArg;
  if (arg === null) arg = c.addressArg = u64arg(address);
  return arg;
}

// The last length given to recvAt and to sendAt, and its 64-bit argument: the same sizes recur
// (a fresh chunk's room, one response's length), and a BigInt per call costs 15-20 ns on Deno.
let recvRoom = -1;
let recvRoomArg: U64Arg = 0;
let sendLength = -1;
let sendLengthArg: U64Arg = 0;

/** Fresh chunks readFrom() offered to the kernel (module-level: no array per call). */
const readScratch: (Chunk | null)[] = new Array(READ_IOVECS).fill(null);
const readRoom = new Int32Array(READ_IOVECS);

// ---- arguments and text -------------------------------------------------------------------------------

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function readMaxArg(max: number, method: string): number {
  if (typeof max !== "number" || !(max >= 1) || !(Number.isInteger(max) || max === Infinity)) {
    throw new RangeError(`${method}'s max must be a positive integer, got ${show(max)}`);
  }
  return max > MAX_IO ? MAX_IO : max;
}

function writeMaxArg(max: number, method: string): number {
  if (typeof max !== "number" || !(max >= 0) || !(Number.isInteger(max) || max === Infinity)) {
    throw new RangeError(`${method}'s max must be a non-negative integer, got ${show(max)}`);
  }
  return max;
}

function show(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "bigint") return `${v}n`;
  if (v === null || typeof v !== "object") return String(v);
  return (v as object).constructor?.name ?? "object";
}

/**
 * Strings up to this length are encoded by a JS loop when they are ASCII: TextEncoder's fixed cost
 * (~250-450 ns per call, both runtimes) is more than the loop's for a few dozen characters.
 */
const SHORT_STRING = 24;

/** Writes `s` as UTF-8 at bytes[at...]; returns the byte count. Room for 3 bytes per unit is assumed. */
function encodeShort(s: string, bytes: Uint8Array, at: number): number {
  const len = s.length;
  for (let i = 0; i < len; i++) {
    const ch = s.charCodeAt(i);
    if (ch >= 0x80) return encoder.encodeInto(s, bytes.subarray(at)).written; // rewrites from the start
    bytes[at + i] = ch;
  }
  return len;
}

// Search patterns are usually the same short string again and again ("\r\n\r\n"): the last one is
// kept encoded, and short ASCII ones are encoded without TextEncoder.
let lastPattern = "";
let lastPatternBytes: Uint8Array = new Uint8Array(0);

function patternArg(pattern: unknown): Uint8Array {
  if (typeof pattern !== "string") return bytesArg(pattern, "search");
  if (pattern === lastPattern) return lastPatternBytes;
  let bytes: Uint8Array;
  if (pattern.length <= SHORT_STRING) {
    bytes = new Uint8Array(pattern.length * 3);
    bytes = bytes.subarray(0, encodeShort(pattern, bytes, 0));
  } else {
    bytes = encoder.encode(pattern);
  }
  lastPattern = pattern;
  lastPatternBytes = bytes;
  return bytes;
}

function bytesArg(data: unknown, what: string): Uint8Array {
  if (typeof data === "string") return encoder.encode(data);
  if (data instanceof Uint8Array) return data;
  throw new TypeError(`${what} takes a Uint8Array or a string, got ${show(data)}`);
}

function countArg(n: unknown, what: string): number {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0) throw new RangeError(`${what} must be a non-negative integer, got ${show(n)}`);
  return n;
}

function fdArg(fd: unknown): number {
  if (typeof fd !== "number" || !Number.isInteger(fd) || fd < 0) throw new TypeError(`fd must be a non-negative integer file descriptor, got ${show(fd)}`);
  return fd;
}

/** Finds byte `b` in bytes[from, end), or -1. Short ranges are scanned in JS (no subarray). */
function findByte(bytes: Uint8Array, b: number, from: number, end: number): number {
  const quick = Math.min(end, from + SHORT_SCAN);
  for (let i = from; i < quick; i++) if (bytes[i] === b) return i;
  if (quick === end) return -1;
  const hit = bytes.subarray(quick, end).indexOf(b);
  return hit === -1 ? -1 : quick + hit;
}

/** End-of-line styles, as libevent's EVBUFFER_EOL_ANY, _CRLF, _CRLF_STRICT, _LF and _NUL. */
export type EolStyle = "any" | "crlf" | "crlf-strict" | "lf" | "nul";

const CR = 13, LF = 10;

/** Pool figures for this thread (see EvBuffer.poolStats). */
export interface PoolStats {
  /** Bytes per pooled chunk. */
  chunkSize: number;
  /** Chunks ever created by this thread. */
  created: number;
  /** Chunks idle in the pool right now. */
  idle: number;
  /** Chunks held by buffers right now. */
  inUse: number;
  /** Chunks dropped to the GC because the pool was full. */
  discarded: number;
  /** Most idle chunks the pool keeps. */
  limit: number;
}

/** A range of a buffer's memory: see EvBuffer.firstRegion(). */
export interface BufferRegion {
  /** The first chunk's whole memory (do not keep it: the chunk is reused once drained). */
  readonly bytes: Uint8Array;
  /** Where the buffer's first byte is in `bytes`. */
  readonly start: number;
  /** Where the chunk's bytes end: all of the buffer's bytes when `end - start === length`. */
  readonly end: number;
}

const NO_BYTES = new Uint8Array(0);
// End-of-line patterns for readLine, and where findEol() leaves the length of the end of line it
// found: a module-level slot rather than a returned pair, so a readLine allocates nothing. Read
// right after the call (nothing runs in between).
const LF_PATTERN = new Uint8Array([LF]);
const NUL_PATTERN = new Uint8Array([0]);
const CRLF_PATTERN = new Uint8Array([CR, LF]);
let eolLength = 0;


/**
 * A byte queue (libevent's `evbuffer`): bytes are added at the back and taken from the front,
 * across a linked chain of chunks. Chunks come from a per-thread pool of 16 KiB blocks at stable
 * addresses, so a socket read or write passes the chunk's address to the kernel and copies
 * nothing in JS; moving bytes between buffers (`addBuffer`, `removeBuffer`, `prependBuffer`) moves
 * whole chunks without copying.
 *
 * Costs: `add` copies the bytes into the last chunk (a new chunk only when it is full); `drain`
 * and `remove` free or return chunks to the pool; `peek` and `firstRegion` make no copy;
 * `readSocket`/`writeSocket` are one `recv`/`send` (or one `readv`/`writev` over several chunks)
 * per call. A buffer with no change callbacks pays one field check per change.
 *
 * @example
 * ```ts
 * import { EvBuffer } from "evffi";
 *
 * const buf = new EvBuffer();
 * buf.add("GET / HTTP/1.1\r\n").add("Host: example\r\n\r\n");
 * console.log(buf.readLine("crlf")); // prints: GET / HTTP/1.1
 * console.log(buf.length); // prints: 17
 * buf.drain(buf.length);
 * ```
 */
export class EvBuffer {
  private head: Chunk | null = null;
  private tail: Chunk | null = null;
  private total = 0;
  /** The chunk handed out by reserve(), and its `end` then; any other change cancels it. */
  private reserved: Chunk | null = null;
  private reservedAt = 0;
  /** readSocket()'s last read filled its region: read several chunks at once (see readSocket). */
  private bulkReads = false;
  /** readSocket()/writeSocket() met ENOTSOCK (a pipe, a tty): they use readv/writev from then on. */
  private notSocket = false;
  /** Change callbacks (copied on write, so a notification iterates a stable array); null when none. */
  private callbacks: EvBufferCallback[] | null = null;
  /** FROZEN_FRONT | FROZEN_BACK. */
  private frozen = 0;
  /** FILE chunks in the chain: when nonzero, reading bytes first reads the files in (materialize). */
  private fileSegments = 0;

  /** Bytes stored. */
  get length(): number {
    return this.total;
  }

  // ---- adding ---------------------------------------------------------------------------------------

  /** Appends a copy of `data` (a string is encoded as UTF-8). */
  add(data: Uint8Array | string): this {
    if (this.frozen !== 0) this.checkFrozen(FROZEN_BACK, "add");
    this.reserved = null;
    if (typeof data === "string") {
      // A string that surely fits (3 UTF-8 bytes per UTF-16 unit at most) is encoded in place:
      // into the tail's free space, or into a fresh chunk when the tail has none. A tail with some
      // room, but maybe too little, is filled by the general path below instead.
      const tail = this.tail;
      const len = data.length;
      const room = tail === null || tail.kind >= REFERENCE ? 0 : tail.bytes.length - tail.end;
      if (len * 3 <= room || (room === 0 && len * 3 <= CHUNK_SIZE)) {
        if (len === 0) return this;
        let t: Chunk;
        if (room > 0) t = tail!;
        else this.link(t = takeChunk());
        const written = len <= SHORT_STRING ? encodeShort(data, t.bytes, t.end) : encoder.encodeInto(data, t.bytes.subarray(t.end)).written;
        t.end += written;
        this.total += written;
        if (this.callbacks !== null) this.notify(written, 0);
        return this;
      }
    }
    const bytes = bytesArg(data, "add");
    this.append(bytes);
    if (this.callbacks !== null) this.notify(bytes.length, 0);
    return this;
  }

  private append(bytes: Uint8Array): void {
    const len = bytes.length;
    let at = 0;
    const t = this.tail;
    if (t !== null && t.kind < REFERENCE) {
      const n = Math.min(t.bytes.length - t.end, len);
      if (n > 0) {
        t.bytes.set(n === len ? bytes : bytes.subarray(0, n), t.end);
        t.end += n;
        at = n;
      }
    }
    while (at < len) {
      const c = takeChunk();
      const n = Math.min(CHUNK_SIZE, len - at);
      c.bytes.set(at === 0 && n === len ? bytes : bytes.subarray(at, at + n), 0);
      c.end = n;
      this.link(c);
      at += n;
    }
    this.total += len;
  }

  /**
   * Appends `bytes` without copying when they are REFERENCE_MIN (4 KiB) or longer; shorter views
   * are copied. Until the bytes are drained the caller must not modify, transfer or resize them;
   * `release` (if given) runs once the buffer no longer needs them: when the chunk is drained or
   * written out, or at once if the bytes were copied. A buffer dropped without draining never
   * runs it.
   */
  addReference(bytes: Uint8Array, release?: () => void): this {
    if (!(bytes instanceof Uint8Array)) throw new TypeError(`addReference takes a Uint8Array, got ${show(bytes)}`);
    if (release !== undefined && typeof release !== "function") throw new TypeError(`addReference's release must be a function, got ${show(release)}`);
    if (this.frozen !== 0) this.checkFrozen(FROZEN_BACK, "addReference");
    if (bytes.length < REFERENCE_MIN) {
      this.reserved = null;
      this.append(bytes);
      if (this.callbacks !== null) this.notify(bytes.length, 0);
      release?.();
      return this;
    }
    this.reserved = null;
    const c = new Chunk(bytes, -1, REFERENCE);
    c.end = bytes.length;
    c.release = release ?? null;
    this.dropEmptyTail();
    this.link(c);
    this.total += bytes.length;
    if (this.callbacks !== null) this.notify(bytes.length, 0);
    return this;
  }

  /**
   * Appends `length` bytes of the file open as `fd`, from `offset`, without reading them
   * (libevent's evbuffer_add_file): writeTo()/writeSocket() send them with sendfile() on Linux
   * (elsewhere, and whenever the bytes themselves are asked for by copyOut, search, peek, ...,
   * they are read in with pread() first). The file must hold the range until it is sent; `release`
   * runs once every byte of it was drained or sent (close the fd there, if it is yours).
   *
   * @example
   * ```ts
   * import { EvBuffer, sys } from "evffi";
   * import fs from "node:fs";
   *
   * const file = new URL(import.meta.url).pathname; // this script stands in for index.html
   * const fd = fs.openSync(file, "r");
   * const size = fs.fstatSync(fd).size;
   * const output = new EvBuffer(); // a BufferEvent's output, say
   * output.add(`HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\n\r\n`).addFile(fd, 0, size, () => fs.closeSync(fd));
   * const [a, b] = sys.socketpair();
   * output.writeTo(a); // the head with write(), the file's bytes with sendfile() on Linux
   * output.drain(output.length); // what the socket buffer had no room for; once drained, release() runs
   * sys.close(a);
   * sys.close(b);
   * ```
   */
  addFile(fd: number, offset: number, length: number, release?: () => void): this {
    fdArg(fd);
    countArg(offset, "addFile offset");
    countArg(length, "addFile length");
    if (release !== undefined && typeof release !== "function") throw new TypeError(`addFile's release must be a function, got ${show(release)}`);
    if (this.frozen !== 0) this.checkFrozen(FROZEN_BACK, "addFile");
    if (length === 0) {
      release?.();
      return this;
    }
    this.reserved = null;
    this.dropEmptyTail();
    this.link(fileChunk(new FileSegment(fd, release ?? null), offset, length));
    this.fileSegments++;
    this.total += length;
    if (this.callbacks !== null) this.notify(length, 0);
    return this;
  }

  /** Inserts a copy of `data` before everything stored. */
  prepend(data: Uint8Array | string): this {
    const bytes = bytesArg(data, "prepend");
    if (this.frozen !== 0) this.checkFrozen(FROZEN_FRONT, "prepend");
    this.reserved = null;
    let len = bytes.length;
    if (len === 0) return this;
    if (this.total === 0) {
      this.append(bytes);
      if (this.callbacks !== null) this.notify(len, 0);
      return this;
    }
    const added = len;
    const h = this.head!;
    this.total += len;
    // Room in front of the head's data (left by drains, or by an earlier prepend).
    if (h.kind < REFERENCE && h.start > 0) {
      const n = Math.min(h.start, len);
      h.start -= n;
      h.bytes.set(n === len ? bytes : bytes.subarray(len - n), h.start);
      len -= n;
    }
    // The rest goes into fresh chunks, filled from the back so the first one keeps its front room.
    let first = this.head!;
    while (len > 0) {
      const c = takeChunk();
      const n = Math.min(CHUNK_SIZE, len);
      c.start = CHUNK_SIZE - n;
      c.end = CHUNK_SIZE;
      c.bytes.set(bytes.subarray(len - n, len), c.start);
      c.next = first;
      first = c;
      len -= n;
    }
    this.head = first;
    if (this.callbacks !== null) this.notify(added, 0);
    return this;
  }

  /**
   * Moves all of `other`'s bytes to the front of this buffer, before everything stored (chunks are
   * relinked, not copied; libevent's evbuffer_prepend_buffer).
   *
   * @example
   * ```ts
   * const body = new EvBuffer().add("hello");
   * const head = new EvBuffer().add(`Content-Length: ${body.length}\r\n\r\n`);  // known only now
   * body.prependBuffer(head);   // body: the head, then "hello"; head is empty
   * console.log(JSON.stringify(body.toString()), head.length); // prints: "Content-Length: 5\r\n\r\nhello" 0
   * ```
   */
  prependBuffer(other: EvBuffer): this {
    if (!(other instanceof EvBuffer)) throw new TypeError(`prependBuffer takes an EvBuffer, got ${show(other)}`);
    if (other === this) throw new RangeError("prependBuffer: cannot prepend a buffer to itself");
    if (this.frozen !== 0) this.checkFrozen(FROZEN_FRONT, "prependBuffer");
    if (other.frozen !== 0) other.checkFrozen(FROZEN_FRONT, "prependBuffer (source)");
    this.reserved = null;
    other.reserved = null;
    const moved = other.total;
    if (moved === 0) return this;
    other.dropEmptyTail(); // only a tail may be empty, and other's tail is about to be inside the chain
    if (this.head === null) this.tail = other.tail;
    else other.tail!.next = this.head;
    this.head = other.head;
    this.total += moved;
    this.fileSegments += other.fileSegments;
    other.head = other.tail = null;
    other.total = 0;
    other.fileSegments = 0;
    this.notifyMove(other, moved);
    return this;
  }

  /** Moves all of `other`'s bytes to the end of this buffer (chunks are relinked, not copied). */
  addBuffer(other: EvBuffer): this {
    if (!(other instanceof EvBuffer)) throw new TypeError(`addBuffer takes an EvBuffer, got ${show(other)}`);
    if (other === this) throw new RangeError("addBuffer: cannot add a buffer to itself");
    if (this.frozen !== 0) this.checkFrozen(FROZEN_BACK, "addBuffer");
    if (other.frozen !== 0) other.checkFrozen(FROZEN_FRONT, "addBuffer (source)");
    this.reserved = null;
    other.reserved = null;
    if (other.total === 0) return this;
    this.dropEmptyTail();
    // `other` may end in an empty chunk (a reserve() never committed); it becomes our tail, which is allowed.
    if (this.tail === null) this.head = other.head;
    else this.tail.next = other.head;
    this.tail = other.tail;
    const moved = other.total;
    this.total += moved;
    this.fileSegments += other.fileSegments;
    other.head = other.tail = null;
    other.total = 0;
    other.fileSegments = 0;
    if (this.callbacks !== null || other.callbacks !== null) this.notifyMove(other, moved);
    return this;
  }

  /**
   * Moves the first `n` bytes (fewer if shorter) to the end of `dst`: whole chunks are relinked,
   * only a chunk split by the boundary is copied. Returns the bytes moved (evbuffer_remove_buffer).
   */
  removeBuffer(dst: EvBuffer, n: number): number {
    if (!(dst instanceof EvBuffer)) throw new TypeError(`removeBuffer takes an EvBuffer, got ${show(dst)}`);
    countArg(n, "removeBuffer count");
    if (dst === this) throw new RangeError("removeBuffer: cannot move bytes into the same buffer");
    if (this.frozen !== 0) this.checkFrozen(FROZEN_FRONT, "removeBuffer");
    if (dst.frozen !== 0) dst.checkFrozen(FROZEN_BACK, "removeBuffer (destination)");
    n = Math.min(n, this.total);
    if (n === 0) return 0;
    if (n === this.total) {
      dst.addBuffer(this);
      return n;
    }
    this.reserved = null;
    dst.reserved = null;
    // Whole chunks that fit in n.
    let moved = 0, movedFiles = 0;
    let first: Chunk | null = null, last: Chunk | null = null;
    for (let c = this.head; c !== null && moved + (c.end - c.start) <= n; c = this.head) {
      moved += c.end - c.start;
      this.head = c.next;
      c.next = null;
      if (c.end === c.start) recycle(c);
      else {
        if (c.kind === FILE) movedFiles++;
        if (last === null) first = c;
        else last.next = c;
        last = c;
      }
    }
    this.total -= moved;
    this.fileSegments -= movedFiles;
    if (first !== null) {
      dst.dropEmptyTail();
      if (dst.tail === null) dst.head = first;
      else dst.tail.next = first;
      dst.tail = last;
      dst.total += moved;
      dst.fileSegments += movedFiles;
    }
    // The split chunk: copy its leading part (a file range is split into two pieces instead).
    if (moved < n) {
      const h = this.head!;
      const take = n - moved;
      if (h.kind === FILE) {
        h.segment!.share();
        dst.dropEmptyTail();
        dst.link(fileChunk(h.segment!, h.fileOffset + h.start, take));
        dst.fileSegments++;
        dst.total += take;
      } else {
        dst.append(h.bytes.subarray(h.start, h.start + take));
      }
      h.start += take;
      this.total -= take;
    }
    if (this.callbacks !== null || dst.callbacks !== null) dst.notifyMove(this, n);
    return n;
  }

  // ---- taking out ---------------------------------------------------------------------------------

  /** Discards the first `n` bytes (everything if n exceeds the length). */
  drain(n: number): this {
    countArg(n, "drain count");
    if (this.frozen !== 0) this.checkFrozen(FROZEN_FRONT, "drain");
    this.drainBytes(Math.min(n, this.total));
    return this;
  }

  private drainBytes(n: number): void {
    this.reserved = null;
    // The common cases inline (a plain first chunk partly drained, or a lone one wholly): this runs
    // after every send.
    const h = this.head;
    let releases: (() => void)[] | null = null;
    if (h !== null && h.release === null && n < h.end - h.start) h.start += n;
    else if (h !== null && h === this.tail && h.release === null && n === this.total) {
      recycle(h);
      this.head = this.tail = null;
    } else releases = this.unlinkFront(n);
    this.total -= n;
    // Callbacks run after the buffer is consistent; one that throws does not stop the others.
    if (this.callbacks !== null && n > 0) {
      try {
        this.notify(0, n);
      } finally {
        if (releases !== null) runReleases(releases);
      }
    } else if (releases !== null) runReleases(releases);
  }

  /**
   * Takes the chunks holding the first `n` bytes off the chain (the last one is cut if it holds
   * more) without changing `total`; returns the release callbacks to run once the buffer is consistent.
   */
  private unlinkFront(n: number): (() => void)[] | null {
    let releases: (() => void)[] | null = null;
    if (n === this.total) {
      // Empty: every chunk goes back, including an empty tail.
      for (let c = this.head; c !== null;) {
        const next = c.next;
        if (c.release !== null) {
          (releases ??= []).push(c.release);
          if (c.kind === FILE) this.fileSegments--;
        }
        recycle(c);
        c = next;
      }
      this.head = this.tail = null;
    } else {
      let left = n;
      for (let c = this.head!; ; c = this.head!) {
        const avail = c.end - c.start;
        if (left < avail) {
          c.start += left;
          break;
        }
        left -= avail;
        this.head = c.next;
        if (c.release !== null) {
          (releases ??= []).push(c.release);
          if (c.kind === FILE) this.fileSegments--;
        }
        recycle(c);
      }
    }
    return releases;
  }

  /** Copies out and drains the first `n` bytes (fewer if the buffer is shorter). */
  remove(n: number): Uint8Array {
    if (this.frozen !== 0) this.checkFrozen(FROZEN_FRONT, "remove");
    const out = this.copyOut(n);
    this.drainBytes(out.length);
    return out;
  }

  /**
   * Makes the first `n` bytes (all by default) contiguous and returns a view of them (libevent's
   * evbuffer_pullup); null if fewer are stored. No copy when the first chunk already holds them.
   * The view aliases the buffer's memory: valid until the buffer next changes, not to be written.
   *
   * @example
   * ```ts
   * const input = new EvBuffer().add(new Uint8Array([0, 0])).add(new Uint8Array([1, 0])); // two chunks
   * let frameLength = -1;
   * const head = input.pullup(4);        // a length prefix split across reads, now in one piece
   * if (head !== null) frameLength = new DataView(head.buffer, head.byteOffset, 4).getUint32(0);
   * console.log(frameLength); // prints: 256
   * ```
   */
  pullup(n?: number): Uint8Array | null {
    const want = n === undefined ? this.total : countArg(n, "pullup size");
    if (want > this.total) return null;
    if (want === 0) return NO_BYTES;
    if (this.fileSegments !== 0) this.materialize();
    const h = this.head!;
    if (h.end - h.start >= want) return h.bytes.subarray(h.start, h.start + want);
    this.reserved = null;
    const c = want <= CHUNK_SIZE ? takeChunk() : new Chunk(new Uint8Array(new ArrayBuffer(want)), -1, OWNED);
    this.copyOut(want, c.bytes.subarray(0, want));
    c.end = want;
    const releases = this.unlinkFront(want);
    c.next = this.head;
    this.head = c;
    if (this.tail === null) this.tail = c;
    if (releases !== null) runReleases(releases);
    return c.bytes.subarray(0, want);
  }

  /**
   * Copies the first `n` bytes (fewer if the buffer or `into` is shorter) without draining.
   * Returns a new array, or the filled part of `into`.
   */
  copyOut(n: number, into?: Uint8Array): Uint8Array {
    countArg(n, "copyOut count");
    if (into !== undefined && !(into instanceof Uint8Array)) throw new TypeError(`copyOut's target must be a Uint8Array, got ${show(into)}`);
    if (this.fileSegments !== 0) this.materialize();
    n = Math.min(n, this.total);
    if (into !== undefined && into.length < n) n = into.length;
    const out = into === undefined ? new Uint8Array(n) : n === into.length ? into : into.subarray(0, n);
    let at = 0;
    for (let c = this.head; at < n; c = c!.next) {
      const take = Math.min(c!.end - c!.start, n - at);
      if (take > 0) out.set(c!.bytes.subarray(c!.start, c!.start + take), at);
      at += take;
    }
    return out;
  }

  /**
   * Views (no copy) covering the first `n` bytes (all by default), one per chunk. They alias the
   * buffer's memory: valid until the buffer is next changed.
   */
  peek(n?: number): Uint8Array[] {
    let left = n === undefined ? this.total : Math.min(countArg(n, "peek count"), this.total);
    if (this.fileSegments !== 0) this.materialize();
    const views: Uint8Array[] = [];
    for (let c = this.head; left > 0; c = c!.next) {
      const take = Math.min(c!.end - c!.start, left);
      if (take > 0) views.push(c!.bytes.subarray(c!.start, c!.start + take));
      left -= take;
    }
    return views;
  }

  /**
   * Where the buffer's first bytes lie, without making a view (a subarray costs 50-300 ns): `bytes`
   * is the first chunk's whole memory and bytes[start, end) are the buffer's first end - start
   * bytes, all of them when end - start === length. Made for parsers on a hot path (HttpServer's);
   * the memory is the buffer's own, not to be written, and valid until the buffer next changes.
   */
  firstRegion(): BufferRegion {
    if (this.fileSegments !== 0) this.materialize();
    const h = this.head;
    return h === null ? { bytes: NO_BYTES, start: 0, end: 0 } : { bytes: h.bytes, start: h.start, end: h.end };
  }

  /**
   * @internal Moves a remainder of at most `limit` bytes out of pooled chunks into one array of its
   * own size, and gives the chunks back to the pool. A connection that waits with a few bytes (a
   * request still arriving) then holds those bytes rather than a 16 KiB chunk: 2,000 such clients
   * cost kilobytes, not 32 MiB the heap keeps after they leave. The bytes and the length are
   * unchanged; views from peek() or firstRegion() are stale afterwards, as after a drain.
   * Referenced and file chunks, a frozen buffer and a pending reserve() are left alone.
   */
  compact(limit: number): void {
    const total = this.total;
    if (total === 0 || total > limit || this.frozen !== 0 || this.reserved !== null) return;
    let pooled = false;
    for (let c = this.head; c !== null; c = c.next) {
      if (c.kind >= REFERENCE) return;
      if (c.kind === POOLED) pooled = true;
    }
    if (!pooled) return;
    const owned = new Chunk(this.copyOut(total), -1, OWNED);
    owned.end = total;
    for (let c = this.head; c !== null;) {
      const next = c.next;
      recycle(c);
      c = next;
    }
    this.head = this.tail = owned;
  }

  /** Everything stored, copied into one new array (the buffer is unchanged). */
  toBytes(): Uint8Array {
    return this.copyOut(this.total);
  }

  /** Everything stored, decoded as UTF-8 (the buffer is unchanged). */
  toString(): string {
    if (this.fileSegments !== 0) this.materialize();
    const h = this.head;
    if (h !== null && h.end - h.start === this.total) return decoder.decode(h.bytes.subarray(h.start, h.end));
    return decoder.decode(this.toBytes());
  }

  // ---- searching and lines ------------------------------------------------------------------------

  /**
   * Byte offset of the first occurrence of `pattern` at or after `start`, or -1. Matches may span
   * any number of chunks. An empty pattern matches at `start` (if start <= length).
   */
  search(pattern: Uint8Array | string, start = 0): number {
    const p = patternArg(pattern);
    countArg(start, "search start");
    return this.find(p, start, this.total);
  }

  /**
   * search() for a match lying wholly inside bytes [start, end) (libevent's evbuffer_search_range):
   * a parser bounds its scan by what it is willing to buffer, or by the end of the current frame.
   *
   * @example
   * ```ts
   * const input = new EvBuffer().add("GET / HTTP/1.1\r\nHost: x\r\n\r\nbody");
   * const eoh = input.searchRange("\r\n\r\n", 0, 8192);   // a head's end within the first 8 KiB, or -1
   * console.log(eoh); // prints: 23
   * ```
   */
  searchRange(pattern: Uint8Array | string, start: number, end: number): number {
    const p = patternArg(pattern);
    countArg(start, "searchRange start");
    countArg(end, "searchRange end");
    return this.find(p, start, Math.min(end, this.total));
  }

  /** Offset of the first match of `p` at or after `start` that ends at or before `limit`, or -1. */
  private find(p: Uint8Array, start: number, limit: number): number {
    if (p.length === 0) return start <= limit ? start : -1;
    if (start + p.length > limit) return -1;
    if (this.fileSegments !== 0) this.materialize();
    const b0 = p[0];
    let base = 0; // offset of the current chunk's first stored byte
    for (let c = this.head; c !== null; c = c.next) {
      const len = c.end - c.start;
      if (base + len > start) {
        let from = c.start + Math.max(0, start - base);
        for (;;) {
          const hit = findByte(c.bytes, b0, from, c.end);
          if (hit === -1) break;
          const offset = base + hit - c.start;
          if (offset + p.length > limit) return -1;
          if (p.length === 1 || matchesAt(c, hit + 1, p)) return offset;
          from = hit + 1;
        }
      }
      base += len;
    }
    return -1;
  }

  /** The byte at `offset` (0 <= offset < length), or -1. */
  private byteAt(offset: number): number {
    for (let c = this.head; c !== null; c = c.next) {
      const len = c.end - c.start;
      if (offset < len) return c.bytes[c.start + offset];
      offset -= len;
    }
    return -1;
  }

  /** Offset of the first CR or LF, or -1. */
  private findCrOrLf(): number {
    let base = 0;
    for (let c = this.head; c !== null; c = c.next) {
      const bytes = c.bytes;
      for (let i = c.start; i < c.end; i++) {
        const b = bytes[i];
        if (b === CR || b === LF) return base + i - c.start;
      }
      base += c.end - c.start;
    }
    return -1;
  }

  /** Where the first line ends (its length) under `mode`, or -1; the EOL's length goes to `eolLength`. */
  private findEol(mode: EolStyle): number {
    let at: number;
    switch (mode) {
      case "lf":
        at = this.search(LF_PATTERN);
        eolLength = 1;
        return at;
      case "nul":
        at = this.search(NUL_PATTERN);
        eolLength = 1;
        return at;
      case "crlf-strict":
        at = this.search(CRLF_PATTERN);
        eolLength = 2;
        return at;
      case "crlf":
        at = this.search(LF_PATTERN);
        eolLength = 1;
        if (at > 0 && this.byteAt(at - 1) === CR) {
          at--;
          eolLength = 2;
        }
        return at;
      case "any": {
        at = this.findCrOrLf();
        if (at === -1) return -1;
        // The EOL is the whole run of CRs and LFs buffered so far (libevent's evbuffer_strspn).
        let end = at + 1;
        for (let b = this.byteAt(end); b === CR || b === LF; b = this.byteAt(++end)) { /* extend */ }
        eolLength = end - at;
        return at;
      }
      default:
        throw new RangeError(`unknown end-of-line style ${show(mode)} (any, crlf, crlf-strict, lf, nul)`);
    }
  }

  /**
   * Removes one line and returns it decoded as UTF-8, without its end of line; null (nothing
   * drained) if no complete line is buffered. Modes follow libevent's EVBUFFER_EOL_*:
   * - "any": the line ends at the first CR or LF; the whole run of CRs and LFs that follows (as
   *   far as it is buffered) is the end of line. "a\r\r\n\nb" gives "a" then waits for b's end.
   * - "crlf": an LF, optionally preceded by a CR. A lone CR is data.
   * - "crlf-strict": exactly CR LF. A lone CR or LF is data.
   * - "lf": an LF only (a CR before it stays in the line).
   * - "nul": a NUL byte.
   */
  readLine(mode: EolStyle = "crlf"): string | null {
    if (this.frozen !== 0) this.checkFrozen(FROZEN_FRONT, "readLine");
    if (this.fileSegments !== 0) this.materialize();
    const at = this.findEol(mode);
    if (at === -1) return null;
    const eol = eolLength;
    const h = this.head!;
    const line = h.end - h.start >= at ? decoder.decode(h.bytes.subarray(h.start, h.start + at)) : decoder.decode(this.copyOut(at));
    this.drainBytes(at + eol);
    return line;
  }

  /** Like readLine(), but returns the line's bytes (a copy) without decoding them. */
  readLineBytes(mode: EolStyle = "crlf"): Uint8Array | null {
    if (this.frozen !== 0) this.checkFrozen(FROZEN_FRONT, "readLineBytes");
    if (this.fileSegments !== 0) this.materialize();
    const at = this.findEol(mode);
    if (at === -1) return null;
    const eol = eolLength;
    const line = this.copyOut(at);
    this.drainBytes(at + eol);
    return line;
  }

  // ---- writing in place ---------------------------------------------------------------------------

  /**
   * Contiguous free space of at least `n` bytes after the stored data, to be filled by the caller
   * and then made part of the buffer by commit(). Returns a view of all the free space of that
   * chunk (often more than n). Any other change to the buffer before commit() cancels the
   * reservation. Sizes above CHUNK_SIZE get a chunk of their own (not pooled).
   */
  reserve(n: number): Uint8Array {
    countArg(n, "reserve size");
    if (n > MAX_IO) throw new RangeError(`reserve size must be at most ${MAX_IO}, got ${n}`);
    if (this.frozen !== 0) this.checkFrozen(FROZEN_BACK, "reserve");
    let t = this.tail;
    if (t === null || t.kind >= REFERENCE || t.bytes.length - t.end < Math.max(n, 1)) {
      this.dropEmptyTail();
      if (n <= CHUNK_SIZE) t = takeChunk();
      else t = new Chunk(new Uint8Array(new ArrayBuffer(Math.ceil(n / 4096) * 4096)), -1, OWNED);
      this.link(t);
    }
    this.reserved = t;
    this.reservedAt = t.end;
    return t.bytes.subarray(t.end);
  }

  /** Adds the first `n` bytes written into the last reserve()d space to the buffer. */
  commit(n: number): this {
    countArg(n, "commit size");
    const t = this.reserved;
    if (t === null || t !== this.tail || t.end !== this.reservedAt) {
      throw new RangeError(`commit(${n}) without a current reservation (reserve() first; any other change to the buffer cancels it)`);
    }
    if (n > t.bytes.length - t.end) throw new RangeError(`commit(${n}) exceeds the reserved space of ${t.bytes.length - t.end} bytes`);
    this.reserved = null;
    t.end += n;
    this.total += n;
    if (this.callbacks !== null && n > 0) this.notify(n, 0);
    return this;
  }

  /**
   * Makes room for `n` more bytes at the end in one piece, so that the next `n` bytes added (or
   * read) need no further chunk (libevent's evbuffer_expand). The length does not change.
   *
   * @example
   * ```ts
   * const out = new EvBuffer();
   * const record = new Uint8Array(300);
   * out.expand(record.length).add(record);   // one contiguous chunk holds the whole record
   * ```
   */
  expand(n: number): this {
    countArg(n, "expand size");
    if (n > MAX_IO) throw new RangeError(`expand size must be at most ${MAX_IO}, got ${n}`);
    if (this.frozen !== 0) this.checkFrozen(FROZEN_BACK, "expand");
    const t = this.tail;
    if (n === 0 || (t !== null && t.kind < REFERENCE && t.bytes.length - t.end >= n)) return this;
    this.reserved = null;
    this.dropEmptyTail();
    this.link(n <= CHUNK_SIZE ? takeChunk() : new Chunk(new Uint8Array(new ArrayBuffer(Math.ceil(n / 4096) * 4096)), -1, OWNED));
    return this;
  }

  // ---- kernel I/O -----------------------------------------------------------------------------------

  /**
   * Reads up to `max` bytes (default 64 KiB) from `fd` with one readv into the tail's free space
   * and up to READ_IOVECS fresh chunks. Returns the bytes read, 0 at end of file, or -1 when the
   * fd has nothing now (EAGAIN, or EINTR); throws SyscallError for anything else.
   */
  readFrom(fd: number, max: number = READ_DEFAULT): number {
    fdArg(fd);
    max = readMaxArg(max, "readFrom");
    if (this.frozen !== 0) this.checkFrozen(FROZEN_BACK, "readFrom");
    return this.readv(fd, max);
  }

  private readv(fd: number, max: number): number {
    this.reserved = null;
    let iovcnt = 0, planned = 0, tailRoom = 0;
    const t = this.tail;
    if (t !== null && t.kind < REFERENCE && t.end < t.bytes.length) {
      tailRoom = Math.min(t.bytes.length - t.end, max);
      setIovec(iovcnt++, chunkAddress(t) + t.end, tailRoom);
      planned = tailRoom;
    }
    let fresh = 0;
    while (planned < max && iovcnt < READ_IOVECS) {
      const c = takeChunk();
      const room = Math.min(CHUNK_SIZE, max - planned);
      readScratch[fresh] = c;
      readRoom[fresh++] = room;
      setIovec(iovcnt++, c.address, room);
      planned += room;
    }
    const n = libc.readv(fd, iovBytes, iovcnt);
    const errno = n === -1 ? errnoCell[0] : 0;
    let left = n > 0 ? n : 0;
    if (tailRoom > 0 && left > 0) {
      const used = Math.min(left, tailRoom);
      t!.end += used;
      left -= used;
    }
    for (let i = 0; i < fresh; i++) {
      const c = readScratch[i]!;
      readScratch[i] = null;
      if (left > 0) {
        const used = Math.min(left, readRoom[i]);
        c.end = used;
        left -= used;
        this.link(c);
      } else {
        recycle(c);
      }
    }
    if (n > 0) {
      this.total += n;
      if (this.callbacks !== null) this.notify(n, 0);
      return n;
    }
    if (n === 0) return 0;
    if (errno === EAGAIN || errno === EINTR) return -1;
    throw new SyscallError("readv", errno, [fd, `<${iovcnt} iovecs, ${planned} bytes>`, iovcnt]);
  }

  /**
   * Writes up to `max` stored bytes (default: all) to `fd` with one writev over up to
   * WRITE_IOVECS chunks, and drains what the kernel took. Returns the bytes written (0 if the
   * buffer is empty), or -1 when the fd cannot take any now (EAGAIN, or EINTR); throws
   * SyscallError otherwise (code "EPIPE", "ECONNRESET", ...), leaving the buffer unchanged.
   */
  writeTo(fd: number, max: number = Infinity): number {
    fdArg(fd);
    if (this.frozen !== 0) this.checkFrozen(FROZEN_FRONT, "writeTo");
    const left = Math.min(writeMaxArg(max, "writeTo"), this.total, MAX_IO);
    return left === 0 ? 0 : this.writev(fd, left);
  }

  /**
   * readFrom() for a socket. When the bytes fit one region (the tail's free space, or one fresh
   * chunk) it is one recv(), which skips the kernel's file layer and iovec import that readv()
   * goes through: in a profile of the HTTP example under wrk those took about 5% of the server's
   * CPU. Once a read fills its whole region (bulk data is arriving), reads go back to one readv()
   * over several chunks, until one returns less than a chunk. On a pipe or a tty (ENOTSOCK) it is
   * readFrom() from then on. Same results as readFrom(); errors name "recv" or "readv".
   */
  readSocket(fd: number, max: number = READ_DEFAULT): number {
    fdArg(fd);
    max = readMaxArg(max, "readSocket");
    if (this.frozen !== 0) this.checkFrozen(FROZEN_BACK, "readSocket");
    if (this.notSocket) return this.readv(fd, max);
    if (this.bulkReads) {
      const n = this.readv(fd, max);
      if (n < CHUNK_SIZE) this.bulkReads = false;
      return n;
    }
    this.reserved = null;
    const t = this.tail;
    const fresh = t === null || t.kind >= REFERENCE || t.bytes.length - t.end < RECV_MIN_ROOM;
    const c = fresh ? takeChunk() : t!;
    const room = Math.min(c.bytes.length - c.end, max);
    // By address, not by a view: a subarray per call costs 50-300 ns (measured: send + recv of
    // 100 bytes over a socketpair, 0.1 us faster on Deno and 0.3 us on Bun). Chunk memory never moves.
    if (room !== recvRoom) {
      recvRoom = room;
      recvRoomArg = u64arg(room);
    }
    const n = libc.recvAt(fd, addressArg(c, c.end), recvRoomArg, 0);
    const errno = n === -1 ? errnoCell[0] : 0;
    if (n > 0) {
      c.end += n;
      if (fresh) this.link(c);
      this.total += n;
      if (n === room && room < max) this.bulkReads = true;
      if (this.callbacks !== null) this.notify(n, 0);
      return n;
    }
    if (fresh) recycle(c);
    if (n === 0) return 0;
    if (errno === EAGAIN || errno === EINTR) return -1;
    if (errno === ENOTSOCK) {
      this.notSocket = true;
      return this.readv(fd, max);
    }
    throw new SyscallError("recv", errno, [fd, `<${room} bytes>`, room, 0]);
  }

  /**
   * writeTo() for a socket: bytes held in one chunk go out with one send() (see readSocket() for
   * why), more with one writev(). Sends with MSG_NOSIGNAL where the system has it, so a closed
   * peer is EPIPE even if SIGPIPE is not ignored. On a pipe or a tty (ENOTSOCK) it is writeTo()
   * from then on. Same results as writeTo(); errors name "send" or "writev".
   */
  writeSocket(fd: number, max: number = Infinity): number {
    fdArg(fd);
    if (this.frozen !== 0) this.checkFrozen(FROZEN_FRONT, "writeSocket");
    const left = Math.min(writeMaxArg(max, "writeSocket"), this.total, MAX_IO);
    if (left === 0) return 0;
    const h = this.head!;
    if (h.end - h.start < left || this.notSocket || h.kind === FILE) return this.writev(fd, left);
    // A referenced view that was detached or shrunk is refused (chunkAddress), as writev's path does.
    if (left !== sendLength) {
      sendLength = left;
      sendLengthArg = u64arg(left);
    }
    const n = libc.sendAt(fd, addressArg(h, h.start), sendLengthArg, SEND_FLAGS);
    if (n === -1) {
      const errno = errnoCell[0];
      if (errno === EAGAIN || errno === EINTR) return -1;
      if (errno === ENOTSOCK) {
        this.notSocket = true;
        return this.writev(fd, left);
      }
      throw new SyscallError("send", errno, [fd, `<${left} bytes>`, left, SEND_FLAGS]);
    }
    this.drainBytes(n);
    return n;
  }

  private writev(fd: number, left: number): number {
    if (this.head!.kind === FILE) return this.sendFileHead(fd, left);
    let iovcnt = 0;
    for (let c = this.head; c !== null && left > 0 && iovcnt < WRITE_IOVECS; c = c.next) {
      if (c.kind === FILE) break; // memory up to a file range goes first; the range with sendfile next
      const len = Math.min(c.end - c.start, left);
      if (len === 0) continue;
      setIovec(iovcnt++, chunkAddress(c) + c.start, len);
      left -= len;
    }
    const n = libc.writev(fd, iovBytes, iovcnt);
    if (n === -1) {
      const errno = errnoCell[0];
      if (errno === EAGAIN || errno === EINTR) return -1;
      throw new SyscallError("writev", errno, [fd, `<${iovcnt} iovecs>`, iovcnt]);
    }
    this.drainBytes(n);
    return n;
  }

  /** Sends (part of) the file range at the head with sendfile(); results as writev's. */
  private sendFileHead(fd: number, left: number): number {
    if (!hasSendfile) {
      this.materialize();
      return this.writev(fd, left);
    }
    const h = this.head!;
    const count = Math.min(h.end - h.start, left);
    const offset = h.fileOffset + h.start;
    const n = sendFileRange(fd, h.segment!.fd, offset, count);
    if (n === -1) {
      const errno = errnoCell[0];
      if (errno === EAGAIN || errno === EINTR) return -1;
      throw new SyscallError("sendfile", errno, [fd, h.segment!.fd, offset, count]);
    }
    if (n === 0) throw new RangeError(`file segment of fd ${h.segment!.fd} ends at byte ${offset}, before the bytes added with addFile()`);
    this.drainBytes(n);
    return n;
  }

  /**
   * Reads every file range in the chain into pooled chunks (pread), in place: done once, the
   * first time anything needs the bytes themselves rather than sending them.
   */
  private materialize(): void {
    let prev: Chunk | null = null;
    let releases: (() => void)[] | null = null;
    try {
      for (let c = this.head; c !== null; c = c.next) {
        if (c.kind !== FILE) {
          prev = c;
          continue;
        }
        // Read the range into a run of fresh chunks first, so a failed read leaves the chain as it was.
        let first: Chunk | null = null, last: Chunk | null = null;
        try {
          for (let at = c.start; at < c.end;) {
            const piece = takeChunk();
            const n = Math.min(CHUNK_SIZE, c.end - at);
            if (last === null) first = piece;
            else last.next = piece;
            last = piece;
            readFileRange(c.segment!.fd, c.fileOffset + at, piece.bytes.subarray(0, n));
            piece.end = n;
            at += n;
          }
        } catch (err) {
          for (let p = first; p !== null;) {
            const next: Chunk | null = p.next;
            recycle(p);
            p = next;
          }
          throw err;
        }
        if (prev === null) this.head = first;
        else prev.next = first;
        last!.next = c.next;
        if (this.tail === c) this.tail = last;
        this.fileSegments--;
        (releases ??= []).push(c.release!);
        recycle(c);
        prev = c = last!;
      }
    } finally {
      if (releases !== null) runReleases(releases);
    }
  }

  // ---- change callbacks and freezing ------------------------------------------------------------------

  /**
   * Calls `callback(buffer, { origSize, added, deleted })` after every change to the length
   * (libevent's evbuffer_add_cb). Returns the registration: `remove()`, `enabled`, `suspend()` /
   * `unsuspend()`. Callbacks run synchronously, in registration order, once the buffer is
   * consistent; one that throws does not keep the others from running, and its error is thrown
   * from the call that changed the buffer (which did change it). A buffer with no callbacks pays
   * one field check per change.
   *
   * @example
   * ```ts
   * const buffer = new EvBuffer();
   * const high = 4;
   * const entry = buffer.addCallback((b, { deleted }) => {
   *   if (deleted > 0 && b.length < high) console.log("below the high-water mark again"); // prints: below the high-water mark again
   * });
   * buffer.add("hello").drain(3);
   * entry.remove();
   * ```
   */
  addCallback(callback: EvBufferChangeCallback): EvBufferCallback {
    if (typeof callback !== "function") throw new TypeError(`addCallback takes a function, got ${show(callback)}`);
    const entry = new EvBufferCallback(this, callback);
    this.callbacks = this.callbacks === null ? [entry] : [...this.callbacks, entry];
    return entry;
  }

  /**
   * Unregisters a callback (its entry, or the function given to addCallback); returns whether it was registered.
   *
   * @example
   * ```ts
   * const buffer = new EvBuffer();
   * const onChange = () => {};
   * buffer.addCallback(onChange);
   * console.log(buffer.removeCallback(onChange)); // prints: true
   * ```
   */
  removeCallback(entry: EvBufferCallback | EvBufferChangeCallback): boolean {
    const list = this.callbacks;
    if (list === null) return false;
    const found = list.find((e) => e === entry || e.callback === entry);
    if (found === undefined) return false;
    found.removed = true;
    const rest = list.filter((e) => e !== found);
    this.callbacks = rest.length === 0 ? null : rest;
    return true;
  }

  /**
   * Forbids changes at one end (libevent's evbuffer_freeze): "front" refuses drains, removals,
   * writes to an fd and prepends; "back" refuses adds, reads from an fd, reserve/commit and
   * expand. A refused call throws an Error and changes nothing. Bytes a consumer must not eat yet,
   * or a producer must not append to yet, stay as they are.
   *
   * @example
   * ```ts
   * const output = new EvBuffer().add("HTTP/1.1 204 No Content\r\n\r\n");
   * output.freeze("back");     // the response is complete: nothing more may be queued
   * try {
   *   output.add("more");
   * } catch (err) {
   *   console.log((err as Error).message); // prints: add: the buffer's back is frozen
   * }
   * ```
   */
  freeze(end: BufferEnd): this {
    this.frozen |= endBit(end);
    return this;
  }

  /** Allows changes at that end again. */
  unfreeze(end: BufferEnd): this {
    this.frozen &= ~endBit(end);
    return this;
  }

  /** Whether freeze(end) is in force. */
  isFrozen(end: BufferEnd): boolean {
    return (this.frozen & endBit(end)) !== 0;
  }

  private checkFrozen(bit: number, method: string): void {
    if (this.frozen & bit) throw new Error(`${method}: the buffer's ${bit === FROZEN_FRONT ? "front" : "back"} is frozen`);
  }

  private notify(added: number, deleted: number): void {
    notifyChange(this, this.callbacks!, added, deleted);
  }

  /** After `moved` bytes went from `source` to this buffer: tells both, even if the first throws. */
  private notifyMove(source: EvBuffer, moved: number): void {
    try {
      if (this.callbacks !== null) this.notify(moved, 0);
    } finally {
      if (source.callbacks !== null) source.notify(0, moved);
    }
  }

  // ---- pool -------------------------------------------------------------------------------------------

  /** This thread's chunk pool: created, idle, in use, discarded (see PoolStats). */
  static get poolStats(): PoolStats {
    const idle = pool.length;
    return {
      chunkSize: CHUNK_SIZE,
      created: chunksCreated,
      idle,
      inUse: chunksCreated - chunksDiscarded - idle,
      discarded: chunksDiscarded,
      limit: poolLimit,
    };
  }

  /** Most idle chunks this thread's pool keeps (default 256, i.e. 4 MiB); lowering it frees the excess. */
  static get poolLimit(): number {
    return poolLimit;
  }

  static set poolLimit(n: number) {
    countArg(n, "poolLimit");
    poolLimit = n;
    while (pool.length > n) {
      pool.pop();
      chunksDiscarded++;
    }
  }

  // ---- chain upkeep ----------------------------------------------------------------------------------

  private link(c: Chunk): void {
    if (this.tail === null) this.head = c;
    else this.tail.next = c;
    this.tail = c;
  }

  /**
   * Only the tail may be empty (a reserve() never committed). Before something is linked after
   * it, it goes back to the pool. Finding its predecessor walks the chain, but this only happens
   * after an abandoned reservation.
   */
  private dropEmptyTail(): void {
    const t = this.tail;
    if (t === null || t.end !== t.start) return;
    if (this.head === t) {
      this.head = this.tail = null;
    } else {
      let p = this.head!;
      while (p.next !== t) p = p.next!;
      p.next = null;
      this.tail = p;
    }
    if (this.reserved === t) this.reserved = null;
    recycle(t);
  }
}

/** Whether pattern p[1..] follows position `pos` of chunk `c` (continuing into later chunks). */
function matchesAt(c: Chunk, pos: number, p: Uint8Array): boolean {
  let chunk: Chunk | null = c;
  let k = pos;
  for (let j = 1; j < p.length; j++) {
    while (k >= chunk.end) {
      chunk = chunk.next;
      if (chunk === null) return false;
      k = chunk.start;
    }
    if (chunk.bytes[k] !== p[j]) return false;
    k++;
  }
  return true;
}

function runReleases(releases: (() => void)[]): void {
  let failure: unknown = null, failed = false;
  for (const release of releases) {
    try {
      release();
    } catch (err) {
      if (!failed) {
        failed = true;
        failure = err;
      }
    }
  }
  if (failed) throw failure;
}

function endBit(end: BufferEnd): number {
  if (end === "front") return FROZEN_FRONT;
  if (end === "back") return FROZEN_BACK;
  throw new RangeError(`a buffer's end is "front" or "back", got ${show(end)}`);
}

/** A chunk standing for `length` bytes of `segment`'s file from `offset`. */
function fileChunk(segment: FileSegment, offset: number, length: number): Chunk {
  const c = new Chunk(NO_BYTES, -1, FILE);
  c.segment = segment;
  c.fileOffset = offset;
  c.end = length;
  c.release = () => segment.done()?.();
  return c;
}

printAs(EvBuffer, describeEvBuffer);
