// The cross-thread mailbox of a base: the notification and synchronisation layer between threads
// (memcached's model: a queue per worker plus a wake-up). Work goes into a bounded queue in shared memory; the base is told with ONE write to
// its wake fd per batch, and drains the queue inside its own loop.
//
// Ownership rule: another thread never touches a base's objects (its events, its evmap, its
// buffers). It only sends: records into the base's Mailbox, and writes to the base's wake fd.
// Everything a record asks for (activate an event, adopt a connection, stop the loop) is done by
// the base's own thread when it drains the mailbox.
//
// The queue is Dmitry Vyukov's bounded MPMC ring used with a single consumer: fixed-size slots
// each carrying a sequence number. A producer claims a slot by advancing the shared enqueue
// position with compareExchange, fills the slot with plain writes and publishes it by storing the
// slot's sequence number (Atomics: sequentially consistent, so the fill happens-before the
// consumer's load of the sequence). Producers on any number of threads are safe; a slow producer
// holds back the records behind its slot but never corrupts them.
//
// Waking is coalesced through the base's shared wakeFlag: a producer writes the wake fd only when
// Atomics.exchange(wakeFlag, 0, 1) returned 0. The base clears the flag after emptying the wake
// fd and before draining the queue, so a record published before a producer saw the flag at 1
// is always found by that drain.
//
// Full queue: `push` throws QueueFullError (a RangeError) and `tryPush` returns false; either way
// nothing was queued and the caller still owns any fd it meant to send. Nothing is dropped
// silently. `pushWait` blocks (Atomics.wait) until there is room, for producer Workers.
//
// Lifetime: the consumer closes a mailbox by marking it closed and waiting until no producer is
// inside push/wake (a shared count of producers at work), and only then closes the wake fd. A
// producer can therefore never write to a closed wake fd, or to an unrelated fd that reused its
// number.
import { libc } from "../ffi/mod.ts";
import type { EventBase } from "../core/base.ts";
import type { Event } from "../core/event.ts";
import { writeWake } from "../core/wake.ts";

/** Kinds below 0 are the mailbox's own; user records use kinds >= 0. */
export const RecordKind = Object.freeze({
  /** Activate an exported event: fd = what, data = the event id. */
  ACTIVATE: -2,
  /** A descriptor handed over: fd = the descriptor (ownership moves with it), data = a payload. */
  FD: -3,
});

/** One record as the consumer receives it. */
export interface QueueRecord {
  /** The record's kind: a number of the sender's choosing (0 by default), or one of RecordKind's. */
  kind: number;
  /** A descriptor or any 32-bit integer (-1 when unused). */
  fd: number;
  /**
   * The payload, in place in the shared ring: valid only while the handler runs (the slot is
   * reused afterwards). Copy it (`data.slice()`) to keep it.
   */
  data: Uint8Array;
}

/** What a sender may pass: kind defaults to 0, fd to -1, data to empty. */
export interface RecordInput {
  /** The record's kind (default 0). */
  kind?: number;
  /** A descriptor or any 32-bit integer (default -1). */
  fd?: number;
  /** The payload (default empty), at most the mailbox's payloadBytes (a string is UTF-8 encoded). */
  data?: Uint8Array | string;
}

/** Everything another thread needs to send to a mailbox; structured-cloneable (postMessage it). */
export interface MailboxPort {
  /** The record slots. */
  ring: SharedArrayBuffer;
  /** The ring's head and tail counters, and the wake fd's number. */
  control: SharedArrayBuffer;
  /** The base's coalescing flag; without it every push writes the wake fd. */
  wakeFlag?: SharedArrayBuffer;
}

/** The size of a mailbox's ring: how many records it holds and how many payload bytes each may carry. */
export interface MailboxOptions {
  /** Slots in the ring, a power of two 2..65536 (default 1024). */
  capacity?: number;
  /** Payload bytes per record, a multiple of 4 up to 65536 (default 48: 64-byte slots). */
  payloadBytes?: number;
}

/** Thrown by push() when the ring is full: nothing was queued. */
export class QueueFullError extends RangeError {
  /**
   * The ring of `capacity` slots was full.
   *
   * @param capacity the full ring's number of slots, named in the message.
   */
  constructor(readonly capacity: number) {
    super(`the mailbox queue is full (${capacity} records): nothing was queued; retry later, or use tryPush/pushWait`);
    this.name = "QueueFullError";
  }
}

// Control words (Int32Array over `control`). The enqueue and dequeue positions sit on their own
// 64-byte lines so producers and the consumer do not share one.
const ENQ = 0;
const DEQ = 16;
const STATE = 32;
const USERS = 33;
const WAKE_FD = 34;
const BREAK = 35;
/** Connections a worker owns (kept by the worker, read by a least-loaded dispatcher). */
export const CONNS = 36;
const FULL = 37;
const SPACE_SEQ = 38;
const SPACE_WAITERS = 39;
const CAPACITY = 40;
const PAYLOAD = 41;
/** Set by a stop request (the worker entry's; a plain mailbox ignores it). */
export const STOP = 42;
const CONTROL_WORDS = 48;

const OPENING = 0;
const OPEN = 1;
const CLOSED = 2;

const HEADER = 16; // seq, kind, fd, len
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const empty = new Uint8Array(0);

/** Allocates the shared memory of a mailbox (before any base is attached to it). */
export function createMailboxPort(options: MailboxOptions = {}): MailboxPort {
  const capacity = options.capacity ?? 1024;
  const payloadBytes = options.payloadBytes ?? 48;
  if (!Number.isInteger(capacity) || capacity < 2 || capacity > 65536 || (capacity & (capacity - 1)) !== 0) {
    throw new RangeError(`capacity must be a power of two 2..65536, got ${String(capacity)}`);
  }
  if (!Number.isInteger(payloadBytes) || payloadBytes < 0 || payloadBytes > 65536 || payloadBytes % 4 !== 0) {
    throw new RangeError(`payloadBytes must be a multiple of 4 in 0..65536, got ${String(payloadBytes)}`);
  }
  const slotBytes = HEADER + payloadBytes;
  const ring = new SharedArrayBuffer(capacity * slotBytes);
  const seqs = new Int32Array(ring);
  for (let i = 0; i < capacity; i++) seqs[i * (slotBytes >> 2)] = i;
  const control = new SharedArrayBuffer(CONTROL_WORDS * 4);
  const ctl = new Int32Array(control);
  ctl[CAPACITY] = capacity;
  ctl[PAYLOAD] = payloadBytes;
  ctl[WAKE_FD] = -1;
  return { ring, control };
}

function checkPort(port: MailboxPort): void {
  if (typeof port !== "object" || port === null || !(port.ring instanceof SharedArrayBuffer) || !(port.control instanceof SharedArrayBuffer)) {
    throw new TypeError("expected a MailboxPort ({ ring, control } SharedArrayBuffers)");
  }
}

/** The sending side of a mailbox. Use it from any thread, as many at once as you like. */
export class MailboxSender {
  /** Slots in the ring. */
  readonly capacity: number;
  /** Most payload bytes one record carries. */
  readonly payloadBytes: number;
  private readonly ctl: Int32Array;
  private readonly words: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly mask: number;
  private readonly slotBytes: number;
  private readonly slotWords: number;
  private wakeFlag: Int32Array | null;

  /** A sender on `port` (a Mailbox's `port`, possibly received through postMessage). Throws TypeError for anything else. */
  constructor(port: MailboxPort) {
    checkPort(port);
    this.ctl = new Int32Array(port.control);
    this.words = new Int32Array(port.ring);
    this.bytes = new Uint8Array(port.ring);
    this.capacity = this.ctl[CAPACITY];
    this.payloadBytes = this.ctl[PAYLOAD];
    this.mask = this.capacity - 1;
    this.slotBytes = HEADER + this.payloadBytes;
    this.slotWords = this.slotBytes >> 2;
    this.wakeFlag = port.wakeFlag ? new Int32Array(port.wakeFlag) : null;
  }

  /** @internal Learns the base's coalescing flag (it is created on the base's thread). */
  setWakeFlag(flag: SharedArrayBuffer): void {
    this.wakeFlag = new Int32Array(flag);
  }

  /** Whether the consumer has not closed the mailbox. */
  get isOpen(): boolean {
    return Atomics.load(this.ctl, STATE) !== CLOSED;
  }

  /** Records queued and not yet taken by the consumer (a snapshot). */
  get size(): number {
    return (Atomics.load(this.ctl, ENQ) - Atomics.load(this.ctl, DEQ)) | 0;
  }

  /** How many pushes found the queue full, since it was created. */
  get fullCount(): number {
    return Atomics.load(this.ctl, FULL);
  }

  /** The shared per-worker connection count (see Dispatcher's least-loaded policy). */
  get load(): number {
    return Atomics.load(this.ctl, CONNS);
  }

  /** @internal */
  addLoad(n: number): void {
    Atomics.add(this.ctl, CONNS, n);
  }

  /** Queues a record and wakes the base (one wake fd write per batch). Throws QueueFullError when full. */
  push(record: RecordInput): void {
    if (!this.tryPush(record)) throw new QueueFullError(this.capacity);
  }

  /** Queues a record and wakes the base; returns false (queuing nothing) when the ring is full. */
  tryPush(record: RecordInput, wake = true): boolean {
    const kind = record.kind ?? 0;
    const fd = record.fd ?? -1;
    if (!Number.isInteger(kind) || kind < -2147483648 || kind > 2147483647) throw new RangeError(`kind must be a 32-bit integer, got ${String(kind)}`);
    if (!Number.isInteger(fd) || fd < -2147483648 || fd > 2147483647) throw new RangeError(`fd must be a 32-bit integer, got ${String(fd)}`);
    let data = record.data ?? empty;
    // A string is encoded straight into the slot when it surely fits; otherwise checked first,
    // because a claimed slot cannot be given back.
    if (typeof data === "string") {
      if (data.length * 3 > this.payloadBytes) data = encoder.encode(data);
    } else if (!(data instanceof Uint8Array)) {
      throw new TypeError(`data must be a Uint8Array or a string, got ${typeof data}`);
    }
    if (typeof data !== "string" && data.byteLength > this.payloadBytes) {
      throw new RangeError(`a record carries at most ${this.payloadBytes} payload bytes, got ${data.byteLength}`);
    }
    const ctl = this.ctl;
    Atomics.add(ctl, USERS, 1);
    try {
      if (Atomics.load(ctl, STATE) === CLOSED) throw new Error("the mailbox is closed (its base stopped); nothing was queued");
      const words = this.words;
      let pos = Atomics.load(ctl, ENQ);
      let slot: number;
      for (;;) {
        slot = pos & this.mask;
        const seq = Atomics.load(words, slot * this.slotWords);
        const dif = (seq - pos) | 0;
        if (dif === 0) {
          const seen = Atomics.compareExchange(ctl, ENQ, pos, (pos + 1) | 0);
          if (seen === pos) break;
          pos = seen;
        } else if (dif < 0) {
          Atomics.add(ctl, FULL, 1);
          return false;
        } else {
          pos = Atomics.load(ctl, ENQ);
        }
      }
      const w = slot * this.slotWords;
      words[w + 1] = kind;
      words[w + 2] = fd;
      const at = slot * this.slotBytes + HEADER;
      let len: number;
      if (typeof data === "string") {
        len = encoder.encodeInto(data, this.bytes.subarray(at, at + this.payloadBytes)).written;
      } else {
        this.bytes.set(data, at);
        len = data.byteLength;
      }
      words[w + 3] = len;
      Atomics.store(words, w, (pos + 1) | 0);
      if (wake) this.wakeLocked();
      return true;
    } finally {
      Atomics.sub(ctl, USERS, 1);
    }
  }

  /**
   * Queues records in order until the ring is full, then wakes the base once: one wake fd write
   * for the whole batch at most. Returns how many were queued (the rest were not).
   */
  pushMany(records: readonly RecordInput[]): number {
    let n = 0;
    while (n < records.length && this.tryPush(records[n], false)) n++;
    if (n > 0) this.wake();
    return n;
  }

  /**
   * Queues a record, waiting up to `timeoutMs` for room (Atomics.wait: for Workers, or a main
   * thread that does not run the consuming base). Returns false if the time ran out.
   */
  pushWait(record: RecordInput, timeoutMs = Infinity): boolean {
    const deadline = performance.now() + timeoutMs;
    const ctl = this.ctl;
    for (;;) {
      if (this.tryPush(record)) return true;
      Atomics.add(ctl, SPACE_WAITERS, 1);
      try {
        const seq = Atomics.load(ctl, SPACE_SEQ);
        if (this.tryPush(record)) return true;
        if (!this.isOpen) throw new Error("the mailbox is closed (its base stopped); nothing was queued");
        const left = deadline - performance.now();
        if (left <= 0) return false;
        Atomics.wait(ctl, SPACE_SEQ, seq, Math.min(left, 100));
      } finally {
        Atomics.sub(ctl, SPACE_WAITERS, 1);
      }
    }
  }

  /** Hands `fd` to the base (ownership moves with it). Throws QueueFullError when full: you still own fd. */
  sendFd(fd: number, payload?: Uint8Array | string): void {
    if (!this.trySendFd(fd, payload)) throw new QueueFullError(this.capacity);
  }

  /** Like sendFd, but returns false when full (you still own fd). */
  trySendFd(fd: number, payload?: Uint8Array | string): boolean {
    if (!Number.isInteger(fd) || fd < 0) throw new TypeError(`not a file descriptor: ${String(fd)}`);
    return this.tryPush({ kind: RecordKind.FD, fd, data: payload });
  }

  /** Activates the event the base exported as `id` with `what` (EV bits). Throws QueueFullError when full. */
  activate(id: number | string, what: number): void {
    if (!Number.isInteger(what) || what < 0 || what > 0xff) throw new RangeError(`what must be EV bits, got ${String(what)}`);
    this.push({ kind: RecordKind.ACTIVATE, fd: what, data: String(id) });
  }

  /**
   * Breaks the base's loop (its loopBreak, run on its own thread). Never lost: it does not use a
   * slot, and when the loop is not running the next one returns at once.
   */
  loopBreak(): void {
    Atomics.store(this.ctl, BREAK, 1);
    this.wake(true);
  }

  /** @internal Stop request of a worker: STOP, then a break. */
  requestStop(): void {
    Atomics.store(this.ctl, STOP, 1);
    this.loopBreak();
  }

  /** Wakes the base (coalesced unless `force`). Pushes already do this. */
  wake(force = false): void {
    Atomics.add(this.ctl, USERS, 1);
    try {
      this.wakeLocked(force);
    } finally {
      Atomics.sub(this.ctl, USERS, 1);
    }
  }

  /** Called with USERS held: the wake fd cannot be closed under us. */
  private wakeLocked(force = false): void {
    const ctl = this.ctl;
    if (Atomics.load(ctl, STATE) !== OPEN) return; // opening: the consumer drains once it opens
    const flag = this.wakeFlag;
    if (flag !== null && Atomics.exchange(flag, 0, 1) !== 0 && !force) return;
    writeWake(Atomics.load(ctl, WAKE_FD));
  }
}

/**
 * The receiving side of a mailbox, on the base's own thread: drains the queue each time the base
 * is woken and hands every record to `handler` (activations of exported events it runs itself).
 */
export class Mailbox {
  private readonly ctl: Int32Array;
  private readonly words: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly capacity: number;
  private readonly mask: number;
  private readonly slotBytes: number;
  private readonly slotWords: number;
  private head: number;
  private readonly hook: () => void;
  private readonly slotViews: (Uint8Array | undefined)[] = [];
  private readonly exported = new Map<string, Event<unknown>>();
  private nextId = 1;
  private closedFlag = false;
  private readonly wakeFlag: SharedArrayBuffer;
  /** Called on the base's thread when a sender asked for loopBreak (after the break is requested). */
  onBreak: (() => void) | null = null;

  /**
   * Attaches a mailbox to `base` (call on the base's thread). `port` is shared memory made by
   * createMailboxPort (records already queued there are drained at the next loop iteration), or
   * options for a new one.
   */
  constructor(readonly base: EventBase, port: MailboxPort | MailboxOptions, private readonly handler: (record: QueueRecord) => void) {
    if (typeof handler !== "function") throw new TypeError(`handler must be a function, got ${typeof handler}`);
    const shared = "ring" in port ? port : createMailboxPort(port);
    checkPort(shared);
    this.ctl = new Int32Array(shared.control);
    if (Atomics.load(this.ctl, STATE) !== OPENING) throw new Error("this mailbox port is already attached to a base");
    this.words = new Int32Array(shared.ring);
    this.bytes = new Uint8Array(shared.ring);
    this.capacity = this.ctl[CAPACITY];
    this.mask = this.capacity - 1;
    this.slotBytes = HEADER + this.ctl[PAYLOAD];
    this.slotWords = this.slotBytes >> 2;
    this.head = Atomics.load(this.ctl, DEQ);
    const handle = base.crossThreadHandle();
    this.wakeFlag = handle.wakeFlag;
    Atomics.store(this.ctl, WAKE_FD, handle.wakeFd);
    Atomics.store(this.ctl, STATE, OPEN);
    this.hook = () => this.onWake();
    base.wakeHooks.push(this.hook);
    // Records (or a break) queued before the mailbox opened wrote no wake: drain at the next iteration.
    base.wake();
  }

  /** What to give other threads (postMessage it) so they can send here. */
  get port(): MailboxPort {
    return { ring: this.words.buffer as SharedArrayBuffer, control: this.ctl.buffer as SharedArrayBuffer, wakeFlag: this.wakeFlag };
  }

  /** Whether close() was called. */
  get closed(): boolean {
    return this.closedFlag;
  }

  /** Whether a stop was requested through this mailbox's port. */
  get stopRequested(): boolean {
    return Atomics.load(this.ctl, STOP) !== 0;
  }

  /** Makes `ev` activatable from other threads as `id` (default: a new number). Returns the id. */
  exportEvent(ev: Event<unknown>, id?: number | string): number | string {
    if (ev.eventBase !== this.base) throw new Error("only events of the mailbox's own base can be exported");
    const key = id ?? this.nextId++;
    if (typeof key !== "number" && typeof key !== "string") throw new TypeError(`event id must be a number or a string, got ${typeof key}`);
    if (this.exported.has(String(key))) throw new Error(`an event is already exported as ${JSON.stringify(key)}`);
    this.exported.set(String(key), ev);
    return key;
  }

  /** Withdraws an exported event. */
  unexportEvent(id: number | string): void {
    this.exported.delete(String(id));
  }

  /**
   * Takes up to `max` records off the queue and delivers them. Runs by itself at each wake; call
   * it directly only on the base's thread. Returns how many were taken.
   */
  drain(max = this.capacity): number {
    const words = this.words;
    const views = this.slotViews;
    let n = 0;
    try {
      while (n < max) {
        const pos = this.head;
        const slot = pos & this.mask;
        const w = slot * this.slotWords;
        if (Atomics.load(words, w) !== ((pos + 1) | 0)) break;
        const len = words[w + 3];
        // The payload is handed over in place (no allocation: a view per slot, kept while the
        // length repeats), so it is valid only during the handler call.
        let data = views[slot];
        if (data === undefined || data.byteLength !== len) {
          const at = slot * this.slotBytes + HEADER;
          data = views[slot] = this.bytes.subarray(at, at + len);
        }
        this.head = (pos + 1) | 0;
        n++;
        try {
          this.deliver(words[w + 1], words[w + 2], data);
        } finally {
          // Released even when the handler throws: nothing else is lost.
          Atomics.store(words, w, (pos + this.capacity) | 0);
        }
      }
    } finally {
      if (n > 0) {
        Atomics.store(this.ctl, DEQ, this.head);
        if (Atomics.load(this.ctl, SPACE_WAITERS) > 0) {
          Atomics.add(this.ctl, SPACE_SEQ, 1);
          Atomics.notify(this.ctl, SPACE_SEQ);
        }
      }
    }
    return n;
  }

  private deliver(kind: number, fd: number, data: Uint8Array): void {
    if (kind === RecordKind.ACTIVATE) {
      const ev = this.exported.get(decoder.decode(data));
      if (ev && !ev.closed) ev.active(fd);
      return;
    }
    this.handler({ kind, fd, data });
  }

  private hasMore(): boolean {
    return Atomics.load(this.words, (this.head & this.mask) * this.slotWords) === ((this.head + 1) | 0);
  }

  private onWake(): void {
    if (this.closedFlag) return;
    if (Atomics.exchange(this.ctl, BREAK, 0) !== 0) {
      this.base.loopBreak();
      this.onBreak?.();
    }
    try {
      this.drain();
    } finally {
      // Leave the rest (a full ring's worth was taken, or a handler threw) for the next iteration.
      if (this.hasMore()) this.base.wake();
    }
  }

  /** Same as close() (records still queued are dropped), for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Detaches from the base: later pushes throw. Waits until no sender is inside push/wake, so no
   * thread writes the wake fd after this returns. Returns the records nobody took; the caller
   * owns them (close the fds of RecordKind.FD records).
   */
  close(): QueueRecord[] {
    if (this.closedFlag) return [];
    this.closedFlag = true;
    const ctl = this.ctl;
    Atomics.store(ctl, STATE, CLOSED);
    const spinUntil = performance.now() + 1000;
    while (Atomics.load(ctl, USERS) !== 0 && performance.now() < spinUntil) {
      // A sender is between its state check and its wake write: a few hundred ns at most.
    }
    const i = this.base.wakeHooks.indexOf(this.hook);
    if (i >= 0) this.base.wakeHooks.splice(i, 1);
    const left: QueueRecord[] = [];
    const words = this.words;
    for (;;) {
      const pos = this.head;
      const slot = pos & this.mask;
      const w = slot * this.slotWords;
      if (Atomics.load(words, w) !== ((pos + 1) | 0)) break;
      const at = slot * this.slotBytes + HEADER;
      left.push({ kind: words[w + 1], fd: words[w + 2], data: this.bytes.slice(at, at + words[w + 3]) });
      Atomics.store(words, w, (pos + this.capacity) | 0);
      this.head = (pos + 1) | 0;
    }
    Atomics.store(ctl, DEQ, this.head);
    Atomics.add(ctl, SPACE_SEQ, 1);
    Atomics.notify(ctl, SPACE_SEQ);
    this.exported.clear();
    return left;
  }
}

/** Closes the descriptors carried by FD records (for records a closed mailbox hands back). */
export function closeRecordFds(records: readonly QueueRecord[]): number {
  let n = 0;
  for (const r of records) {
    if (r.kind === RecordKind.FD && r.fd >= 0) {
      libc.close(r.fd);
      n++;
    }
  }
  return n;
}
