// Common timeouts (libevent's event_base_init_common_timeout): when thousands of events share one
// duration (an idle timeout per connection), their deadlines arrive in insertion order. Each
// common timeout keeps its events in a FIFO linked through the events themselves, O(1) to insert
// and remove, and only the head sits in the timer heap, through one internal event.
import type { Event } from "./event.ts";

/**
 * A timeout duration shared by many events (libevent's common timeouts), from
 * {@link EventBase.commonTimeout}. Pass it to `ev.add()` in place of a number of ms. Events added
 * with it fire in the order they were added, so they wait in a FIFO linked through the events
 * themselves: O(1) to add and remove, and only the earliest sits in the timer heap. Use it for
 * per-connection idle timeouts, where a heap of thousands of equal durations would cost O(log n)
 * per re-arm. A base allows up to 256.
 *
 * @example
 * ```ts
 * import { EventBase } from "evffi";
 *
 * const base = new EventBase();
 * const idle = base.commonTimeout(20);
 * for (let i = 0; i < 3; i++) base.event(-1, 0, () => console.log(`connection ${i} idle`)).add(idle);
 * base.loopSync(); // prints: connection 0 idle
 * base.close();
 * ```
 */
export class CommonTimeout {
  /** The shared duration in ms. */
  readonly duration: number;
  /** @internal */ head: Event | null = null;
  /** @internal */ tail: Event | null = null;
  /** @internal The internal timer event standing in the heap for the queue's head. */
  timer!: Event;
  /** @internal */ readonly index: number;

  /** @internal Created by `base.commonTimeout(ms)`. */
  constructor(duration: number, index: number) {
    this.duration = duration;
    this.index = index;
  }

  /** @internal Appends in deadline order; almost always at the tail. Returns true if ev became the head. */
  insert(ev: Event): boolean {
    const x = ev.extras();
    let after = this.tail;
    while (after !== null && after.ext!.deadline > x.deadline) after = after.ext!.prevTimer;
    x.prevTimer = after;
    if (after === null) {
      x.nextTimer = this.head;
      if (this.head) this.head.ext!.prevTimer = ev;
      this.head = ev;
    } else {
      const ax = after.ext!;
      x.nextTimer = ax.nextTimer;
      if (ax.nextTimer) ax.nextTimer.ext!.prevTimer = ev;
      ax.nextTimer = ev;
    }
    if (x.nextTimer === null) this.tail = ev;
    return this.head === ev;
  }

  /** @internal Unlinks ev. */
  remove(ev: Event): void {
    const x = ev.ext!;
    if (x.prevTimer) x.prevTimer.ext!.nextTimer = x.nextTimer;
    else this.head = x.nextTimer;
    if (x.nextTimer) x.nextTimer.ext!.prevTimer = x.prevTimer;
    else this.tail = x.prevTimer;
    x.nextTimer = x.prevTimer = null;
  }
}
