// Looking at a base from outside the loop: every event it holds, and a readable dump of them.
import type { EventBase } from "./base.ts";
import type { Event } from "./event.ts";
import { EV, LIST_ACTIVE, LIST_ACTIVE_LATER, LIST_INSERTED, LIST_INTERNAL, LIST_TIMEOUT, describeEvents } from "./flags.ts";

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
    if (ev.state & LIST_TIMEOUT) s += ` timeout in ${(ev.deadline - now).toFixed(3)} ms${common ? ` (common ${common.duration} ms)` : ""}`;
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
