// select(2) backend with fd sets sized to the largest fd, so fds above FD_SETSIZE (1024) work:
// select() itself reads nfds bits from whatever memory it is given; only the FD_SET macros are
// limited, and they are not used here. The input sets are copied to output sets before each call.
import { Errno, SyscallError, constants as C, errnoCell, layout, libc } from "../ffi/mod.ts";
import { EV, Feature } from "../core/flags.ts";
import type { Backend, BackendHost, BackendState, FdRecord } from "./backend.ts";

const TV = layout.timeval;

export class SelectState implements BackendState {
  readonly pollableFd = -1;
  /** Bytes per set: a multiple of 8 (the kernel reads whole longs). */
  private size = 128;
  private readIn = new Uint8Array(128);
  private writeIn = new Uint8Array(128);
  private readOut = new Uint8Array(128);
  private writeOut = new Uint8Array(128);
  private maxFd = -1;
  private readonly timeval = new Uint8Array(new ArrayBuffer(TV.size));
  private readonly timevalView = new DataView(this.timeval.buffer);

  constructor(private readonly host: BackendHost) {}

  private ensure(fd: number): void {
    const need = ((fd >> 6) + 1) * 8;
    if (need <= this.size) return;
    let size = this.size;
    while (size < need) size *= 2;
    const grow = (old: Uint8Array) => {
      const b = new Uint8Array(size);
      b.set(old);
      return b;
    };
    this.readIn = grow(this.readIn);
    this.writeIn = grow(this.writeIn);
    this.readOut = new Uint8Array(size);
    this.writeOut = new Uint8Array(size);
    this.size = size;
  }

  add(fd: number, old: number, events: number, _record: FdRecord): void {
    // select() would fail the whole wait with EBADF later: fail at add, as epoll does.
    if ((old & (EV.READ | EV.WRITE)) === 0 && libc.fcntl(fd, C.F_GETFD, 0) === -1) {
      throw new SyscallError("fcntl", errnoCell[0], [fd, "F_GETFD"], "the fd to watch is not open");
    }
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

  dispatch(timeoutMs: number | null): boolean {
    const bytes = (this.maxFd >> 3) + 1;
    this.readOut.set(this.readIn.subarray(0, bytes));
    this.writeOut.set(this.writeIn.subarray(0, bytes));
    let tv: Uint8Array | null = null;
    if (timeoutMs !== null) {
      const us = Math.max(0, Math.ceil(timeoutMs * 1000));
      this.timevalView.setBigInt64(TV.sec, BigInt(Math.floor(us / 1e6)), true);
      if (TV.usecSize === 8) this.timevalView.setBigInt64(TV.usec, BigInt(us % 1e6), true);
      else this.timevalView.setInt32(TV.usec, us % 1e6, true);
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
    this.readIn.fill(0);
    this.writeIn.fill(0);
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
