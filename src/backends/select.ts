// select(2) backend with fd sets sized to the largest fd, so fds above FD_SETSIZE (1024) work:
// select() itself reads nfds bits from whatever memory it is given; only the FD_SET macros are
// limited, and they are not used here. The input sets are copied to output sets before each call.
import { Errno, SyscallError, errnoCell, layout, libc } from "../ffi/mod.ts";
import { EV, Feature } from "../core/flags.ts";
import type { Backend, BackendHost, BackendState, FdRecord } from "./backend.ts";
import { checkFdOpen } from "./helpers.ts";

const TV = layout.timeval;
const MAX_WAIT_US = 0x7fffffff * 1e6;

export class SelectState implements BackendState {
  readonly pollableFd = -1;
  /** Bytes per set: a multiple of 8 (the kernel reads whole longs). */
  private size = 128;
  // The four sets live in one buffer (read in, write in, read out, write out), so that copying the
  // input sets to the output sets before each call is two copyWithin()s: no view made per call.
  private sets = new Uint8Array(4 * 128);
  private readIn = this.sets.subarray(0, 128);
  private writeIn = this.sets.subarray(128, 256);
  private readOut = this.sets.subarray(256, 384);
  private writeOut = this.sets.subarray(384, 512);
  private maxFd = -1;
  private readonly timeval = new Uint8Array(new ArrayBuffer(TV.size));
  // Written as 32-bit words: a wait's seconds fit the low word, so no BigInt is made per call.
  private readonly timevalWords = new Int32Array(this.timeval.buffer);

  constructor(private readonly host: BackendHost) {}

  private ensure(fd: number): void {
    const need = ((fd >> 6) + 1) * 8;
    if (need <= this.size) return;
    let size = this.size;
    while (size < need) size *= 2;
    const sets = new Uint8Array(4 * size);
    sets.set(this.readIn, 0);
    sets.set(this.writeIn, size);
    this.sets = sets;
    this.readIn = sets.subarray(0, size);
    this.writeIn = sets.subarray(size, 2 * size);
    this.readOut = sets.subarray(2 * size, 3 * size);
    this.writeOut = sets.subarray(3 * size, 4 * size);
    this.size = size;
  }

  add(fd: number, old: number, events: number, _record: FdRecord): void {
    // select() would fail the whole wait with EBADF later: fail at add, as epoll does.
    if ((old & (EV.READ | EV.WRITE)) === 0) checkFdOpen(fd);
    this.ensure(fd);
    const bits = old | events;
    const byte = fd >> 3, bit = 1 << (fd & 7);
    if (bits & EV.READ) this.readIn[byte] |= bit;
    if (bits & EV.WRITE) this.writeIn[byte] |= bit;
    if (fd > this.maxFd) this.maxFd = fd;
  }

  del(fd: number, _old: number, events: number, _record: FdRecord): void {
    if (fd > this.maxFd) return;
    const byte = fd >> 3, bit = 1 << (fd & 7);
    if (events & EV.READ) this.readIn[byte] &= ~bit;
    if (events & EV.WRITE) this.writeIn[byte] &= ~bit;
    if (fd === this.maxFd) {
      let m = this.maxFd;
      while (m >= 0 && !(this.readIn[m >> 3] & (1 << (m & 7))) && !(this.writeIn[m >> 3] & (1 << (m & 7)))) m--;
      this.maxFd = m;
    }
  }

  wait(timeoutMs: number | null): boolean {
    const bytes = (this.maxFd >> 3) + 1;
    const size = this.size;
    this.sets.copyWithin(2 * size, 0, bytes);
    this.sets.copyWithin(3 * size, size, size + bytes);
    let tv: Uint8Array | null = null;
    if (timeoutMs !== null) {
      // Capped at 2^31 - 1 s (68 years) so the seconds fit the low word of the 64-bit time_t.
      const us = Math.min(Math.max(0, Math.ceil(timeoutMs * 1000)), MAX_WAIT_US);
      const words = this.timevalWords;
      words[TV.sec >> 2] = Math.floor(us / 1e6);
      words[(TV.sec >> 2) + 1] = 0;
      words[TV.usec >> 2] = us % 1e6;
      if (TV.usecSize === 8) words[(TV.usec >> 2) + 1] = 0;
      tv = this.timeval;
    }
    const n = libc.select(this.maxFd + 1, this.readOut, this.writeOut, null, tv);
    if (n === -1) {
      const errno = errnoCell[0];
      if (errno === Errno.EINTR) return false;
      throw new SyscallError("select", errno, [this.maxFd + 1, "readfds", "writefds", null, timeoutMs]);
    }
    if (n === 0) return true;
    const r = this.readOut, w = this.writeOut, host = this.host;
    for (let byte = 0; byte < bytes; byte++) {
      const rb = r[byte], wb = w[byte];
      if ((rb | wb) === 0) continue;
      for (let bit = 0; bit < 8; bit++) {
        const mask = 1 << bit;
        const what = (rb & mask ? EV.READ : 0) | (wb & mask ? EV.WRITE : 0);
        if (what) host.activateIo(byte * 8 + bit, what);
      }
    }
    return true;
  }

  dealloc(): void {
    this.maxFd = -1;
    this.sets.fill(0);
  }
}

export const select: Backend = {
  name: "select",
  features: Feature.FDS,
  needReinit: false,
  usesFdSlot: false,
  available: () => true,
  init: (host) => new SelectState(host),
};
