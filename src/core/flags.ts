// Flag values, numerically identical to libevent's so ported code and dumps read the same.
//
// A note on the hot paths: V8 (Deno) does not fold a module-level constant into the code that
// uses it. Every use of `LIST_ACTIVE` or `EV.READ` is a load and a check, about 1 ns, where a
// number in the code costs nothing; Bun's JIT folds both alike. The per-iteration and per-event
// paths of the loop (loopSync's iteration, activation, the epoll decode) therefore test flags by
// number, each followed by its name in a comment: `state & 0x08 /* LIST_ACTIVE */`.
// test/flags.test.ts checks every such number against the constant it names, so a changed value
// here fails the tests until the numbers follow (docs/benchmarks.md, "What the reactor adds per
// iteration").

/** Event flags (libevent's EV_*). */
export const EV = Object.freeze({
  TIMEOUT: 0x01,
  READ: 0x02,
  WRITE: 0x04,
  SIGNAL: 0x08,
  PERSIST: 0x10,
  ET: 0x20,
  FINALIZE: 0x40,
  CLOSED: 0x80,
});

/** Every bit an event may be created with. */
export const EV_ALL = 0xff;
/** The bits that make an event wait on an fd. */
export const EV_IO = EV.READ | EV.WRITE | EV.CLOSED;

/** Loop flags (libevent's EVLOOP_*). */
export const EVLOOP = Object.freeze({
  ONCE: 0x01,
  NONBLOCK: 0x02,
  NO_EXIT_ON_EMPTY: 0x04,
});

/** Backend features (libevent's EV_FEATURE_*). */
export const Feature = Object.freeze({
  ET: 0x01,
  O1: 0x02,
  FDS: 0x04,
  EARLY_CLOSE: 0x08,
});

/** What `base.count()` counts (libevent's EVENT_BASE_COUNT_*). */
export const Count = Object.freeze({
  ACTIVE: 1,
  VIRTUAL: 2,
  ADDED: 4,
});

/** Where an event currently is (libevent's EVLIST_*), kept as bits in `Event.state`. */
export const LIST_TIMEOUT = 0x01;
export const LIST_INSERTED = 0x02;
export const LIST_ACTIVE = 0x08;
export const LIST_INTERNAL = 0x10;
export const LIST_ACTIVE_LATER = 0x20;
export const LIST_FINALIZING = 0x40;
export const LIST_FREED = 0x100;
export const LIST_FREE_AFTER_FINALIZE = 0x200;

/**
 * Event.state packs three small integers into one: the LIST_* bits (where the event is) in bits
 * 0-9, the EV bits of the pending activation in bits 10-17, and the priority (0-255) from bit 18.
 * The sum stays below 2^31, a small integer on every engine. One field instead of three keeps
 * the Event, of which a program may hold millions, small.
 */
export const RES_SHIFT = 10;
export const PRIORITY_SHIFT = 18;
/** The LIST_* part of Event.state. */
export const LIST_PLACE_BITS = (1 << RES_SHIFT) - 1;
/** The activation's part of Event.state. */
export const RES_BITS = 0xff << RES_SHIFT;

/** Names of EV bits, for messages and dumps. */
export function describeEvents(what: number): string {
  const names: string[] = [];
  for (const [name, bit] of Object.entries(EV)) if (what & bit) names.push(name);
  return names.length ? names.join("|") : "0";
}
