// The evmap (libevent's evmap.c): which events wait on each fd and on each signal. An fd's
// per-bit reference counts decide what reaches the backend: only a bit's 0->1 and 1->0
// transitions call backend add/del, so many events on one fd cost the kernel one registration.
// Readiness comes back through activateIo, the backends' single entry into the base.
import type { FdRecord } from "../backends/backend.ts";
import { checkFdOpen } from "../backends/helpers.ts";
import type { EventBase } from "./base.ts";
import type { Event } from "./event.ts";
import { EV, EV_IO, LIST_INSERTED } from "./flags.ts";
import { activate } from "./queues.ts";
import { ensureWake, poke } from "./wake.ts";

/** The evmap's record for one fd: its events and per-bit reference counts. */
export class FdEntry implements FdRecord {
  readonly fd: number;
  backendSlot = -1;
  readonly events: Event[] = [];
  nread = 0;
  nwrite = 0;
  nclose = 0;
  /** How many of the events are edge-triggered (EV.ET; all or none of an fd's may be). */
  nedge = 0;
  /** A socket error the backend saw and took from the kernel (libkqueue does); 0 if none. */
  socketError = 0;
  constructor(fd: number) {
    this.fd = fd;
  }
  /** The bits the backend has enabled now. */
  enabled(): number {
    return (this.nread ? EV.READ : 0) | (this.nwrite ? EV.WRITE : 0) | (this.nclose ? EV.CLOSED : 0) | (this.nedge ? EV.ET : 0);
  }
}

/** The evmap's record for one signal. */
export class SignalEntry {
  readonly events: Event[] = [];
}

/** How far past the fd map's end an fd may land without being checked open first. */
const MAP_SLACK = 4096;

// An fd with exactly one event (most fds) also has it in base.ioOnly, an array indexed by fd:
// activateIo reaches the event from there in one load, without the entry, the event list and its
// backing store, which a busy loop no longer finds in cache after the kernel ran
// (docs/benchmarks.md, "What the reactor adds per iteration").
//
// An fd's entry stays in the map once its last event is gone (libevent keeps its per-fd slots too):
// a one-shot event re-added from its callback, or a bufferevent pausing and resuming its reads,
// would otherwise allocate a new entry and event list on every add. Walks over the map skip
// entries with no events; the map is bounded by the highest fd used.

/** Registers an I/O event on its fd; the backend hears only of bits no other event had. */
export function ioAdd(base: EventBase, ev: Event): void {
  const fd = ev.fd;
  let entry = base.ioMap[fd];
  // A new entry is stored only once the backend accepted the fd, so a failed add leaves none.
  if (entry === undefined) {
    // The map is an array indexed by fd: storing fd 1e8 would make every walk over it (and
    // close()) cost 1e8 steps. A backend that defers the kernel call (epoll's changelist) would
    // accept a closed fd here, so an fd far past the end is checked before the map grows to it.
    // Near the end (the usual new connection) no check is made: a closed fd there can cost at
    // most MAP_SLACK empty slots, and the syscall would be paid on every new highest fd.
    if (fd >= base.ioMap.length + MAP_SLACK) checkFdOpen(fd);
    entry = new FdEntry(fd);
  }
  const et = (ev.events & EV.ET) !== 0;
  if (entry.events.length > 0 && (entry.nedge > 0) !== et) {
    throw new TypeError(`cannot mix edge-triggered and level-triggered events on fd ${fd}`);
  }
  const old = entry.enabled();
  let added = 0;
  if (ev.events & EV.READ && entry.nread === 0) added |= EV.READ;
  if (ev.events & EV.WRITE && entry.nwrite === 0) added |= EV.WRITE;
  if (ev.events & EV.CLOSED && entry.nclose === 0) added |= EV.CLOSED;
  if (added) {
    // The backend throws (EBADF for a closed fd) before anything here changed.
    base.backendState.add(fd, old, added | (et ? EV.ET : 0), entry);
  }
  if (ev.events & EV.READ) entry.nread++;
  if (ev.events & EV.WRITE) entry.nwrite++;
  if (ev.events & EV.CLOSED) entry.nclose++;
  if (et) entry.nedge++;
  entry.events.push(ev);
  base.ioOnly[fd] = entry.events.length === 1 ? ev : null;
  base.ioMap[fd] = entry;
  // An off-thread wait watches what the kernel knew when it began: poll and select's fd list,
  // or epoll's set before a queued changelist entry. Restart it.
  if (base.waiting && (base.backendState.pollableFd < 0 || base.backendState.flushChanges)) poke(base);
}

/** Unregisters an I/O event; the backend hears only of bits no event wants any more. */
export function ioDel(base: EventBase, ev: Event): void {
  const fd = ev.fd;
  const entry = base.ioMap[fd];
  if (entry === undefined) return;
  const events = entry.events;
  const i = events.indexOf(ev);
  if (i === -1) return;
  // Removed in place, keeping the order (splice would allocate an array for the removed element).
  for (let k = i + 1; k < events.length; k++) events[k - 1] = events[k];
  events.pop();
  base.ioOnly[fd] = events.length === 1 ? events[0] : null;
  const old = entry.enabled();
  let removed = 0;
  if (ev.events & EV.READ && --entry.nread === 0) removed |= EV.READ;
  if (ev.events & EV.WRITE && --entry.nwrite === 0) removed |= EV.WRITE;
  if (ev.events & EV.CLOSED && --entry.nclose === 0) removed |= EV.CLOSED;
  if (ev.events & EV.ET && --entry.nedge === 0) removed |= EV.ET;
  // A socket error kept for the fd belonged to the events that are gone.
  if (events.length === 0) entry.socketError = 0;
  if (removed & EV_IO) base.backendState.del(fd, old, removed, entry);
}

/** Registers a signal event; the first one for a signal starts host delivery to this base. */
export function signalAdd(base: EventBase, ev: Event): void {
  let entry = base.signalMap[ev.fd];
  if (entry === undefined) entry = base.signalMap[ev.fd] = new SignalEntry();
  if (entry.events.length === 0) {
    // The host listener reaches the loop through the wake fd.
    ensureWake(base);
    base.signalSource.add(base, ev.fd);
  }
  entry.events.push(ev);
}

/** Unregisters a signal event; the last one for a signal stops host delivery to this base. */
export function signalDel(base: EventBase, ev: Event): void {
  const entry = base.signalMap[ev.fd];
  if (entry === undefined) return;
  const i = entry.events.indexOf(ev);
  if (i === -1) return;
  entry.events.splice(i, 1);
  if (entry.events.length === 0) {
    base.signalMap[ev.fd] = undefined;
    base.signalSource.del(base, ev.fd);
  }
}

/** Activates the events of `fd` that asked for any of `bits`; each sees only its own bits. */
export function activateIo(base: EventBase, fd: number, bits: number): void {
  const only = base.ioOnly[fd];
  if (only != null) {
    const res = only.events & bits;
    if (res & 0x86 /* EV_IO */) activate(base, only, res, 1);
    return;
  }
  const entry = base.ioMap[fd];
  if (entry === undefined) return;
  const events = entry.events;
  for (let i = 0; i < events.length; i++) {
    const ev = events[i];
    const res = ev.events & bits;
    if (res & EV_IO) activate(base, ev, res, 1);
  }
}

/** Activates every event of a signal that arrived `count` times. */
export function activateSignal(base: EventBase, signal: number, count: number): void {
  const entry = base.signalMap[signal];
  if (entry === undefined) return;
  for (const ev of entry.events) activate(base, ev, EV.SIGNAL, count);
}

/** Keeps a socket error a backend took from the kernel while reporting `fd` ready. */
export function noteSocketError(base: EventBase, fd: number, errno: number): void {
  const entry = base.ioMap[fd];
  if (entry !== undefined) entry.socketError = errno;
}

/** Returns and clears the socket error kept for `fd`, or 0. */
export function takeSocketError(base: EventBase, fd: number): number {
  const entry = base.ioMap[fd];
  if (entry === undefined || entry.socketError === 0) return 0;
  const errno = entry.socketError;
  entry.socketError = 0;
  return errno;
}

/** Registers every fd's enabled bits with a fresh backend state (after reinit). */
export function reAddAll(base: EventBase): void {
  const state = base.backendState;
  for (const entry of base.ioMap) {
    if (!entry) continue;
    entry.backendSlot = -1;
    const bits = entry.enabled();
    if (bits & EV_IO) state.add(entry.fd, 0, bits, entry);
  }
}

/** Why the evmap disagrees with its events, or null when it agrees. */
export function evmapInconsistency(base: EventBase): string | null {
  for (let fd = 0; fd < base.ioMap.length; fd++) {
    const entry = base.ioMap[fd];
    if (entry === undefined) continue;
    if (entry.fd !== fd) return `fd entry at ${fd} says fd ${entry.fd}`;
    let nread = 0, nwrite = 0, nclose = 0, nedge = 0;
    for (const ev of entry.events) {
      if (ev.fd !== fd) return `fd ${fd} lists an event of fd ${ev.fd}`;
      if (!(ev.state & LIST_INSERTED)) return `fd ${fd} lists an event that is not inserted`;
      if (ev.events & EV.READ) nread++;
      if (ev.events & EV.WRITE) nwrite++;
      if (ev.events & EV.CLOSED) nclose++;
      if (ev.events & EV.ET) nedge++;
    }
    if ((base.ioOnly[fd] ?? null) !== (entry.events.length === 1 ? entry.events[0] : null)) return `fd ${fd}'s single-event link is stale`;
    if (nread !== entry.nread || nwrite !== entry.nwrite || nclose !== entry.nclose || nedge !== entry.nedge) {
      return `fd ${fd} counts read/write/closed/edge ${entry.nread}/${entry.nwrite}/${entry.nclose}/${entry.nedge} ` +
        `but its events have ${nread}/${nwrite}/${nclose}/${nedge}`;
    }
  }
  for (let sig = 0; sig < base.signalMap.length; sig++) {
    const entry = base.signalMap[sig];
    if (entry === undefined) continue;
    if (entry.events.length === 0) return `signal ${sig} has an entry with no events`;
    for (const ev of entry.events) {
      if (ev.fd !== sig || !(ev.events & EV.SIGNAL)) return `signal ${sig} lists an event that is not for it`;
      if (!(ev.state & LIST_INSERTED)) return `signal ${sig} lists an event that is not inserted`;
    }
  }
  return null;
}
