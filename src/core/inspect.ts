// Looking at a base from outside the loop: every event it holds, a readable dump of them, and the
// one-line descriptions a base and an event print as (in a REPL, console.log, String()).
import { signals } from "../ffi/mod.ts";
import type { EventBase } from "./base.ts";
import type { Event } from "./event.ts";
import { deadlineOf } from "./timers.ts";
import {
  Count, EV, EV_IO, Feature, LIST_ACTIVE, LIST_ACTIVE_LATER, LIST_FREED, LIST_INSERTED, LIST_INTERNAL, LIST_TIMEOUT, describeEvents,
} from "./flags.ts";

/** Every added or active event, each once (internal ones on request). */
export function* allEvents(base: EventBase, includeInternal = false): Generator<Event> {
  const seen = new Set<Event>();
  const visit = function* (ev: Event | null | undefined) {
    if (!ev || seen.has(ev)) return;
    if (!includeInternal && ev.state & LIST_INTERNAL) return;
    seen.add(ev);
    yield ev;
  };
  for (const entry of base.ioMap) if (entry) for (const ev of entry.events) yield* visit(ev);
  for (const entry of base.signalMap) if (entry) for (const ev of entry.events) yield* visit(ev);
  for (const ev of base.timeHeap.toArray()) yield* visit(ev);
  for (const common of base.commonTimeouts) for (let ev = common.head; ev; ev = ev.ext!.nextTimer) yield* visit(ev);
  for (const q of [...base.activeQueues, base.activeLaterQueue]) for (let ev = q.head; ev; ev = ev.nextActive) yield* visit(ev);
}

/** base.dump(): the added and the active events, one per line. */
export function dumpBase(base: EventBase): string {
  const now = base.now();
  const describe = (ev: Event) => {
    const where = ev.events & EV.SIGNAL ? `signal ${ev.fd}` : ev.fd >= 0 ? `fd ${ev.fd}` : "timer";
    let s = `  ${where}: ${describeEvents(ev.events)}`;
    const common = ev.ext?.common;
    if (ev.state & LIST_TIMEOUT) s += ` timeout in ${(deadlineOf(ev) - now).toFixed(3)} ms${common ? ` (common ${common.duration} ms)` : ""}`;
    if (ev.priorityValue !== base.priorities >> 1) s += ` priority ${ev.priorityValue}`;
    return s;
  };
  const inserted: string[] = [];
  const active: string[] = [];
  for (const ev of allEvents(base)) {
    if (ev.state & (LIST_INSERTED | LIST_TIMEOUT)) inserted.push(describe(ev));
    if (ev.state & (LIST_ACTIVE | LIST_ACTIVE_LATER)) active.push(`${describe(ev)} [${ev.state & LIST_ACTIVE_LATER ? "active later" : "active"}: ${describeEvents(ev.res)}]`);
  }
  return `EventBase (${base.method}, ${base.priorities} priorities)\nInserted events:\n${inserted.join("\n") || "  (none)"}\nActive events:\n${active.join("\n") || "  (none)"}\n`;
}

function signalName(n: number): string {
  for (const [name, value] of Object.entries(signals)) if (value === n) return name;
  return String(n);
}

/**
 * What an event prints as: what it watches, the bits it was made with, what is pending now (added
 * interest and a pending activation), the time left on its timeout and its priority.
 *
 * @example
 * ```ts
 * const ev = base.event(7, EV.READ | EV.PERSIST, onRead).add(250);
 * console.log(ev); // Event { fd: 7, events: READ|PERSIST, pending: READ|TIMEOUT, timeout: 250.0 ms left, priority: 0, callback: onRead }
 * ```
 */
export function describeEvent(ev: Event): string {
  if (ev.state & LIST_FREED) return "Event { closed }";
  const parts: string[] = [];
  if (ev.events & EV.SIGNAL) parts.push(`signal: ${signalName(ev.fd)}`);
  else if (ev.fd >= 0) parts.push(`fd: ${ev.fd}`);
  else parts.push("timer");
  parts.push(`events: ${describeEvents(ev.events)}`);
  let pending = 0;
  if (ev.state & LIST_INSERTED) pending |= ev.events & (EV_IO | EV.SIGNAL);
  if (ev.state & LIST_TIMEOUT) pending |= EV.TIMEOUT;
  parts.push(`pending: ${pending ? describeEvents(pending) : "no"}`);
  if (ev.state & (LIST_ACTIVE | LIST_ACTIVE_LATER)) {
    parts.push(`${ev.state & LIST_ACTIVE_LATER ? "active next iteration" : "active"}: ${describeEvents(ev.res)}`);
  }
  if (ev.state & LIST_TIMEOUT) {
    const left = ev.base.closed ? 0 : Math.max(0, deadlineOf(ev) - ev.base.now());
    parts.push(`timeout: ${left.toFixed(1)} ms left`);
  }
  parts.push(`priority: ${ev.priorityValue}`);
  const name = (ev.callback as { name?: string }).name;
  if (name) parts.push(`callback: ${name}`);
  if (ev.state & LIST_INTERNAL) parts.push("internal");
  return `Event { ${parts.join(", ")} }`;
}

function featureNames(bits: number): string {
  const names = Object.entries(Feature).filter(([, bit]) => bits & bit).map(([name]) => name);
  return names.length ? names.join("|") : "none";
}

/**
 * What a base prints as: its backend and that backend's features, how many events it holds and
 * whether a loop runs.
 *
 * @example
 * ```ts
 * console.log(new EventBase()); // EventBase { method: epoll, features: ET|O1|EARLY_CLOSE, added: 0, active: 0, virtual: 0, priorities: 1, state: idle }
 * ```
 */
export function describeBase(base: EventBase): string {
  if (base.closed) return `EventBase { method: ${base.method}, closed }`;
  const state = base.isRunning ? (base.gotBreak() ? "running, break asked" : base.gotExit() ? "running, exit asked" : "running") : "idle";
  const parts = [
    `method: ${base.method}`,
    `features: ${featureNames(base.features)}`,
    `added: ${base.count(Count.ADDED)}`,
    `active: ${base.count(Count.ACTIVE)}`,
    `virtual: ${base.count(Count.VIRTUAL)}`,
    `priorities: ${base.priorities}`,
    `state: ${state}`,
  ];
  return `EventBase { ${parts.join(", ")} }`;
}
