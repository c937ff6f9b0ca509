// The changelist (libevent's changelist-internal.h): interest changes queued per fd and applied in
// one pass before the backend waits, so an add and a delete of the same fd within one iteration
// cost the kernel nothing. epoll (in its changelist variant) and kqueue share it; each turns an
// fd's (kernel, wanted) pair into its own calls: epoll_ctl, or kevent entries.
import { EV } from "../core/flags.ts";

const IO_MASK = EV.READ | EV.WRITE | EV.CLOSED;
// Per fd, one number: the bits the kernel has (low byte), the bits wanted (second byte), and
// whether the fd had no interest at some point since the last flush (then it may have been closed
// and its number reused: close() drops it from the kernel's set, so "no change" is not safe).
const WANTED_SHIFT = 8;
const BYTE = 0xff;
const EMPTIED = 1 << 16;

/** Applies one fd's change: from the bits the kernel has to the bits wanted. */
export type ApplyChange = (fd: number, kernel: number, wanted: number, emptied: boolean) => void;

export class Changelist {
  private readonly changes = new Map<number, number>();

  /** How many fds have a change queued. */
  get size(): number {
    return this.changes.size;
  }

  /** Queues `fd`'s move from `old` (the bits the evmap had enabled) to `wanted`. */
  record(fd: number, old: number, wanted: number): void {
    const emptied = (wanted & IO_MASK) === 0 ? EMPTIED : 0;
    const prev = this.changes.get(fd);
    const kernel = prev === undefined ? old : prev & BYTE;
    const wasEmptied = prev === undefined ? 0 : prev & EMPTIED;
    this.changes.set(fd, kernel | (wanted << WANTED_SHIFT) | wasEmptied | emptied);
  }

  /**
   * Calls `apply` for each fd whose change must reach the kernel, in the order first queued, and
   * empties the list. A change back to what the kernel has is skipped unless the fd was emptied
   * in between; an fd that had and wants no interest is skipped.
   */
  flush(apply: ApplyChange): void {
    for (const [fd, change] of this.changes) {
      const kernel = change & BYTE;
      const wanted = (change >> WANTED_SHIFT) & BYTE;
      const emptied = (change & EMPTIED) !== 0;
      if ((kernel & IO_MASK) === 0 && (wanted & IO_MASK) === 0) continue;
      if (kernel === wanted && !emptied) continue;
      apply(fd, kernel, wanted, emptied);
    }
    this.changes.clear();
  }

  /** Forgets every queued change. */
  clear(): void {
    this.changes.clear();
  }
}
