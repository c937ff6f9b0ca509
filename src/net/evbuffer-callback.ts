// A change callback registered on an EvBuffer (libevent's evbuffer_add_cb entry): told, after
// every change to the buffer's length, how long it was and how many bytes were added and removed.
import type { EvBuffer } from "./evbuffer.ts";

/** What one change did to a buffer (libevent's struct evbuffer_cb_info). */
export interface EvBufferChange {
  /** The buffer's length before the change. */
  readonly origSize: number;
  /** Bytes appended or prepended. */
  readonly added: number;
  /** Bytes drained, removed or written out. */
  readonly deleted: number;
}

/** Runs after a change, with the buffer already consistent (it may change the buffer again). */
export type EvBufferChangeCallback = (buffer: EvBuffer, change: EvBufferChange) => void;

/**
 * One registration from `EvBuffer.addCallback()`. A disabled callback misses changes; a suspended
 * one collects them and, when unsuspended, is told once of the net change since it was suspended
 * (as libevent's evbuffer_cb_suspend / evbuffer_cb_unsuspend).
 *
 * @example
 * ```ts
 * const buf = new EvBuffer();
 * const entry = buf.addCallback((b, { added, deleted }) => console.log(b.length, added, deleted));
 * buf.add("abc");            // prints: 3 3 0
 * entry.suspend();
 * buf.add("de").drain(1);    // nothing yet: the net change is told on unsuspend
 * entry.unsuspend();         // prints: 4 1 0
 * entry.remove();
 * ```
 */
export class EvBufferCallback {
  /** Whether changes are reported at all (libevent's EVBUFFER_CB_ENABLED). */
  enabled = true;
  /** @internal Length when suspended, or -1. */
  suspendedAt = -1;
  /** @internal A change arrived while suspended. */
  changedWhileSuspended = false;
  /** @internal Removed: never called again, even from a notification already under way. */
  removed = false;

  /** An entry for `callback` on `buffer`; made by EvBuffer.addCallback(), which also registers it. */
  constructor(readonly buffer: EvBuffer, readonly callback: EvBufferChangeCallback) {}

  /** Whether suspend() holds the reports back. */
  get suspended(): boolean {
    return this.suspendedAt >= 0;
  }

  /** Holds reports back until unsuspend(). */
  suspend(): void {
    if (this.suspendedAt < 0) {
      this.suspendedAt = this.buffer.length;
      this.changedWhileSuspended = false;
    }
  }

  /** Reports the net change since suspend(), once, if there was any. */
  unsuspend(): void {
    const before = this.suspendedAt;
    if (before < 0) return;
    this.suspendedAt = -1;
    if (!this.changedWhileSuspended || this.removed || !this.enabled) return;
    this.changedWhileSuspended = false;
    const now = this.buffer.length;
    this.callback(this.buffer, { origSize: before, added: Math.max(0, now - before), deleted: Math.max(0, before - now) });
  }

  /** Unregisters (the same as buffer.removeCallback(this)). */
  remove(): void {
    this.buffer.removeCallback(this);
  }
}

/**
 * Tells every live entry of `entries` (a snapshot: callbacks may add or remove entries) about one
 * change. A callback that throws does not keep the others from hearing of it; the first error is
 * rethrown after all ran.
 */
export function notifyChange(buffer: EvBuffer, entries: readonly EvBufferCallback[], added: number, deleted: number): void {
  if (added === 0 && deleted === 0) return;
  const change: EvBufferChange = { origSize: buffer.length - added + deleted, added, deleted };
  let failure: unknown = null, failed = false;
  for (const entry of entries) {
    if (entry.removed || !entry.enabled) continue;
    if (entry.suspendedAt >= 0) {
      entry.changedWhileSuspended = true;
      continue;
    }
    try {
      entry.callback(buffer, change);
    } catch (err) {
      if (!failed) {
        failed = true;
        failure = err;
      }
    }
  }
  if (failed) throw failure;
}
