// kqueue(2) backend: macOS and the BSDs from libc; Linux through libkqueue when it is installed
// (libkqueue.so.0) or named by EVFFI_KQUEUE_LIBRARY.
//
// Interest changes are queued per fd in the shared changelist and turned into `struct kevent`
// entries that the same kevent() call that waits applies, as in libevent, so a burst of adds and
// deletes costs no extra syscall. EV.ET is EV_CLEAR on the filter. A change the kernel refuses comes back as an EV_ERROR entry in the
// results: deletes of something already gone are ignored, adds refused with EPERM/EPIPE (an fd
// that cannot be watched, a pipe whose reader is gone) are reported readable so the caller's
// read shows why, as libevent does.
import {
  Errno, SyscallError, constants as C, errnoCell, getEnv, type KqueueLibrary, kqueueUnavailableReason, layout, libc,
  loadKqueue,
} from "../ffi/mod.ts";
import { EV, Feature } from "../core/flags.ts";
import type { Backend, BackendHost, BackendState, FdRecord } from "./backend.ts";
import { Changelist } from "./changelist.ts";
import { checkFdOpen, msToTimespec } from "./helpers.ts";

const K = layout.kevent;
const INITIAL_EVENTS = 32;
const MAX_EVENTS = 4096;

function library(): KqueueLibrary | null {
  return loadKqueue(getEnv("EVFFI_KQUEUE_LIBRARY"));
}

export class KqueueState implements BackendState {
  /**
   * The kqueue fd where it can be polled (native kqueue is readable while events are pending).
   * libkqueue's fd is the write end of a close-detect pipe and cannot stand for the set, so
   * off-thread waits poll the watched fds themselves (-1), as for the poll backend.
   */
  readonly pollableFd: number;
  private readonly kqFd: number;
  private readonly lib: KqueueLibrary;
  private readonly host: BackendHost;
  private readonly changelist = new Changelist();
  private changes: Uint8Array;
  private changeView: DataView;
  private nchanges = 0;
  private capacity = INITIAL_EVENTS;
  private events: Uint8Array;
  private eventView: DataView;
  private readonly timespec = new Uint32Array(4);
  private readonly timespecBytes = new Uint8Array(this.timespec.buffer);

  constructor(host: BackendHost, lib: KqueueLibrary) {
    this.host = host;
    this.lib = lib;
    const fd = lib.kqueue();
    if (fd === -1) throw new SyscallError("kqueue", errnoCell[0], []);
    // kqueue() gives no CLOEXEC flag on every system; set it so children do not inherit the set.
    libc.fcntl(fd, C.F_SETFD, C.FD_CLOEXEC);
    this.kqFd = fd;
    this.pollableFd = lib.native ? fd : -1;
    this.changes = new Uint8Array(new ArrayBuffer(INITIAL_EVENTS * K.size));
    this.changeView = new DataView(this.changes.buffer);
    this.events = new Uint8Array(new ArrayBuffer(INITIAL_EVENTS * K.size));
    this.eventView = new DataView(this.events.buffer);
  }

  private queue(fd: number, filter: number, flags: number): void {
    if ((this.nchanges + 1) * K.size > this.changes.length) {
      const bigger = new Uint8Array(new ArrayBuffer(this.changes.length * 2));
      bigger.set(this.changes);
      this.changes = bigger;
      this.changeView = new DataView(bigger.buffer);
    }
    const at = this.nchanges++ * K.size;
    this.changes.fill(0, at, at + K.size);
    const v = this.changeView;
    // ident is a uintptr_t: the low 32 bits carry the fd on every little-endian target.
    v.setUint32(at + K.ident, fd, true);
    v.setInt16(at + K.filter, filter, true);
    v.setUint16(at + K.flags, flags, true);
  }

  add(fd: number, old: number, events: number, _record: FdRecord): void {
    // The change reaches the kernel only at the next kevent(); check the fd now so a closed one
    // fails here, at add, with EBADF (only on the first interest in the fd: one syscall).
    if (!(old & (EV.READ | EV.WRITE))) checkFdOpen(fd);
    this.changelist.record(fd, old, old | events);
  }

  del(fd: number, old: number, events: number, _record: FdRecord): void {
    this.changelist.record(fd, old, old & ~events);
  }

  /** Queues the kevent entries that move `fd` from the filters the kernel has to those wanted. */
  private readonly queueChange = (fd: number, kernel: number, wanted: number, emptied: boolean): void => {
    const clear = wanted & EV.ET ? C.EV_CLEAR : 0;
    // EV_ADD on an existing filter does not change EV_CLEAR everywhere: a filter that stays is
    // registered afresh (delete, then add) when ET changed, when the fd may have been closed and
    // reused, or on libkqueue when the fd's other filter goes (libkqueue keeps both filters in
    // one epoll registration and drops EPOLLET from the survivor).
    const refresh = emptied || ((kernel ^ wanted) & EV.ET) !== 0 ||
      (!this.lib.native && (wanted & EV.ET) !== 0 && (kernel & ~wanted & (EV.READ | EV.WRITE)) !== 0);
    // Deletes first: libkqueue would drop EPOLLET again from a filter re-added before its
    // sibling's delete.
    const gone = kernel & (refresh ? EV.READ | EV.WRITE : ~wanted);
    const added = wanted & (refresh ? EV.READ | EV.WRITE : ~kernel);
    if (gone & EV.READ) this.queue(fd, C.EVFILT_READ, C.EV_DELETE);
    if (gone & EV.WRITE) this.queue(fd, C.EVFILT_WRITE, C.EV_DELETE);
    if (added & EV.READ) this.queue(fd, C.EVFILT_READ, C.EV_ADD | clear);
    if (added & EV.WRITE) this.queue(fd, C.EVFILT_WRITE, C.EV_ADD | clear);
  };

  /**
   * Applies the queued changes without collecting readiness, before an off-thread wait. Every
   * change carries EV_RECEIPT, so kevent() answers each with an EV_ERROR entry (data 0 on
   * success) and leaves pending events where they are.
   */
  flushChanges(): void {
    this.changelist.flush(this.queueChange);
    const n = this.nchanges;
    if (n === 0) return;
    const v = this.changeView;
    for (let i = 0; i < n; i++) {
      const at = i * K.size + K.flags;
      v.setUint16(at, v.getUint16(at, true) | C.EV_RECEIPT, true);
    }
    this.ensureCapacity(n);
    this.timespec.fill(0);
    this.nchanges = 0;
    const got = this.lib.kevent(this.kqFd, this.changes, n, this.events, n, this.timespecBytes);
    if (got === -1) this.fail(n, 0);
    this.report(got);
  }

  wait(timeoutMs: number | null): boolean {
    let ts: Uint8Array | null = null;
    if (timeoutMs !== null) {
      msToTimespec(this.timespec, 0, timeoutMs);
      ts = this.timespecBytes;
    }
    if (this.changelist.size) this.changelist.flush(this.queueChange);
    const nchanges = this.nchanges;
    // Each refused change takes a slot in the results: room for all of them, as libevent keeps.
    if (nchanges > this.capacity) this.ensureCapacity(nchanges);
    this.nchanges = 0;
    const n = this.lib.kevent(this.kqFd, nchanges ? this.changes : null, nchanges, this.events, this.capacity, ts);
    if (n === -1) {
      // EINTR: the changes were applied; the caller's loop comes round again.
      if (errnoCell[0] === Errno.EINTR) return false;
      this.fail(nchanges, timeoutMs);
    }
    this.report(n);
    if (n === this.capacity && this.capacity < MAX_EVENTS) this.ensureCapacity(this.capacity * 2);
    return true;
  }

  private fail(nchanges: number, timeoutMs: number | null): never {
    throw new SyscallError("kevent", errnoCell[0], [this.kqFd, "changes", nchanges, "events", this.capacity, timeoutMs]);
  }

  /** Hands the first `n` result entries to the base. */
  private report(n: number): void {
    const v = this.eventView, host = this.host;
    for (let i = 0; i < n; i++) {
      const at = i * K.size;
      const fd = v.getUint32(at + K.ident, true);
      const filter = v.getInt16(at + K.filter, true);
      const flags = v.getUint16(at + K.flags, true);
      if (flags & C.EV_ERROR) {
        // `data` is an intptr_t holding the errno; it fits the low 32 bits.
        const errno = v.getInt32(at + K.data, true);
        // A receipt (0) or a delete of something already gone (ENOENT, EINVAL, EBADF: the fd was
        // closed, perhaps reused) is not an error.
        if (errno === 0 || errno === Errno.ENOENT || errno === Errno.EINVAL || errno === Errno.EBADF) continue;
        if (errno === Errno.EPERM || errno === Errno.EPIPE) {
          if (filter === C.EVFILT_READ || filter === C.EVFILT_WRITE) host.activateIo(fd, EV.READ);
          continue;
        }
        throw new SyscallError("kevent", errno, [this.kqFd, `fd ${fd}`, `filter ${filter}`], "a queued change was refused");
      }
      // EV_EOF (the peer closed, or a socket error in fflags) arrives as plain readiness, which
      // is how poll reports it: the caller's read or write then sees the EOF or the error.
      if (flags & C.EV_EOF && !this.lib.native) {
        // libkqueue reads the socket error with getsockopt(SO_ERROR), which clears it in the
        // kernel; hand it to the base so a read or connect check still finds it.
        const soError = v.getUint32(at + K.fflags, true);
        if (soError !== 0) host.noteSocketError(fd, soError);
      }
      if (filter === C.EVFILT_READ) host.activateIo(fd, EV.READ | EV.ET);
      else if (filter === C.EVFILT_WRITE) host.activateIo(fd, EV.WRITE | EV.ET);
    }
  }

  private ensureCapacity(wanted: number): void {
    if (wanted <= this.capacity) return;
    while (this.capacity < wanted) this.capacity *= 2;
    this.events = new Uint8Array(new ArrayBuffer(this.capacity * K.size));
    this.eventView = new DataView(this.events.buffer);
  }

  dealloc(): void {
    libc.close(this.kqFd);
    this.changelist.clear();
    this.nchanges = 0;
    // libkqueue releases the set's internal epoll fd and pipe on a monitoring thread after the
    // close; wait for it so that a freed base holds no fds.
    this.lib.drainPendingClose?.();
  }
}

export const kqueue: Backend = {
  name: "kqueue",
  features: Feature.ET | Feature.O1 | Feature.FDS,
  needReinit: true,
  usesFdSlot: false,
  available: () => (library() ? true : kqueueUnavailableReason()),
  init: (host) => {
    const lib = library();
    return lib ? new KqueueState(host, lib) : null;
  },
};
