// poll(2) backend. The pollfd array grows by doubling; each fd's slot is kept in the evmap's
// per-fd scratch (FdRecord.backendSlot), so add and delete are O(1) (delete moves the last
// entry into the hole). Results are scanned from a varying start so no fd is always served first.
import { Errno, SyscallError, constants as C, errnoCell, layout, libc, os, type U64Arg, u64arg } from "../ffi/mod.ts";
import { EV, Feature } from "../core/flags.ts";
import type { Backend, BackendHost, BackendState, FdRecord } from "./backend.ts";
import { checkFdOpen, pollMask } from "./helpers.ts";

const IO_MASK = EV.READ | EV.WRITE | EV.CLOSED;
const P = layout.pollfd;
const MAX_TIMEOUT_MS = 0x7fffffff;

export class PollState implements BackendState {
  readonly pollableFd = -1;
  private capacity = 32;
  private count = 0;
  private bytes = new Uint8Array(new ArrayBuffer(32 * P.size));
  private fds = new Int32Array(this.bytes.buffer);
  private masks = new Int16Array(this.bytes.buffer);
  // Slot -> record; the array keeps its length past `count`, so it never shrinks and regrows.
  private records: FdRecord[] = [];
  private scanStart = 0;

  constructor(private readonly host: BackendHost) {}

  add(fd: number, old: number, events: number, record: FdRecord): void {
    let slot = record.backendSlot;
    if (slot < 0) {
      // poll() would only report a bad fd later (POLLNVAL): fail at add, as epoll does.
      checkFdOpen(fd);
      if (this.count === this.capacity) this.grow();
      slot = this.count++;
      this.fds[(slot * P.size + P.fd) >> 2] = fd;
      this.records[slot] = record;
      record.backendSlot = slot;
    }
    this.masks[(slot * P.size + P.events) >> 1] = pollMask((old | events) & IO_MASK);
  }

  del(_fd: number, old: number, events: number, record: FdRecord): void {
    const slot = record.backendSlot;
    if (slot < 0) return;
    const remaining = old & ~events & IO_MASK;
    if (remaining) {
      this.masks[(slot * P.size + P.events) >> 1] = pollMask(remaining);
      return;
    }
    // Swap-remove: the last entry fills the hole.
    const last = --this.count;
    if (slot !== last) {
      this.bytes.copyWithin(slot * P.size, last * P.size, (last + 1) * P.size);
      const moved = this.records[last];
      this.records[slot] = moved;
      moved.backendSlot = slot;
    }
    this.records[last] = undefined as unknown as FdRecord; // no hold on a deleted fd's record
    record.backendSlot = -1;
  }

  // poll's nfds_t argument is 64-bit (a BigInt on Deno): made again only when the count changes.
  private nfds = u64arg(0);
  private nfdsFor = 0;
  private nfdsArg(): U64Arg {
    this.nfdsFor = this.count;
    this.nfds = u64arg(this.count);
    return this.nfds;
  }

  private grow(): void {
    this.capacity *= 2;
    const bytes = new Uint8Array(new ArrayBuffer(this.capacity * P.size));
    bytes.set(this.bytes);
    this.bytes = bytes;
    this.fds = new Int32Array(bytes.buffer);
    this.masks = new Int16Array(bytes.buffer);
  }

  wait(timeoutMs: number | null): boolean {
    const ms = timeoutMs === null ? -1 : timeoutMs <= 0 ? 0 : Math.min(Math.ceil(timeoutMs), MAX_TIMEOUT_MS);
    const n = libc.poll(this.bytes, this.count === this.nfdsFor ? this.nfds : this.nfdsArg(), ms);
    if (n === -1) {
      const errno = errnoCell[0];
      if (errno === Errno.EINTR) return false;
      throw new SyscallError("poll", errno, ["fds", this.count, ms]);
    }
    if (n === 0) return true;
    const count = this.count;
    const start = this.scanStart < count ? this.scanStart : 0;
    this.scanStart = start + 1;
    const masks = this.masks, fds = this.fds, host = this.host;
    for (let k = 0, found = 0; k < count && found < n; k++) {
      const i = start + k < count ? start + k : start + k - count;
      const revents = masks[(i * P.size + P.revents) >> 1];
      if (revents === 0) continue;
      found++;
      let bits = 0;
      // An error, a hangup or a closed fd wakes readers and writers alike, as in libevent.
      if (revents & (C.POLLHUP | C.POLLERR | C.POLLNVAL)) bits = EV.READ | EV.WRITE;
      if (revents & C.POLLIN) bits |= EV.READ;
      if (revents & C.POLLOUT) bits |= EV.WRITE;
      if (revents & C.POLLRDHUP) bits |= EV.CLOSED;
      host.activateIo(fds[(i * P.size + P.fd) >> 2], bits);
    }
    return true;
  }

  dealloc(): void {
    this.count = 0;
    this.records = [];
  }
}

export const poll: Backend = {
  name: "poll",
  // POLLRDHUP is Linux's: there, EV.CLOSED works without reading.
  features: Feature.FDS | (os === "linux" ? Feature.EARLY_CLOSE : 0),
  needReinit: false,
  usesFdSlot: true,
  available: () => true,
  init: (host) => new PollState(host),
};
