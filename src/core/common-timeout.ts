// Common timeouts (libevent's event_base_init_common_timeout): when thousands of events share one
// duration (an idle timeout per connection), their deadlines arrive in insertion order. Each
// common timeout keeps its events in a FIFO linked through the events themselves, O(1) to insert
// and remove, and only the head sits in the timer heap, through one internal event.
import type { Event } from "./event.ts";

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
    let after = this.tail;
    while (after !== null && after.deadline > ev.deadline) after = after.prevTimer;
    ev.prevTimer = after;
    if (after === null) {
      ev.nextTimer = this.head;
      if (this.head) this.head.prevTimer = ev;
      this.head = ev;
    } else {
      ev.nextTimer = after.nextTimer;
      if (after.nextTimer) after.nextTimer.prevTimer = ev;
      after.nextTimer = ev;
    }
    if (ev.nextTimer === null) this.tail = ev;
    return this.head === ev;
  }

  /** @internal Unlinks ev. */
  remove(ev: Event): void {
    if (ev.prevTimer) ev.prevTimer.nextTimer = ev.nextTimer;
    else this.head = ev.nextTimer;
    if (ev.nextTimer) ev.nextTimer.prevTimer = ev.prevTimer;
    else this.tail = ev.prevTimer;
    ev.nextTimer = ev.prevTimer = null;
  }
}
