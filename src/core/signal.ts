// Signals folded into the loop. A JS function can never be a C signal handler (it crashes both
// runtimes), so the host's own signal API receives the signal; our listener only counts it for
// every base watching that signal and writes each base's wake fd, as libevent's handler writes one
// byte down its socketpair. The base delivers the count at its next drain: one callback run per
// batch, with `ev.ncalls` saying how many arrived.
//
// Unlike libevent, where one base owns a signal, every base watching it receives it.
// The last event removed for a signal removes the host listener, restoring the default action.
import { addHostSignalListener, removeHostSignalListener, signals } from "../ffi/mod.ts";

/** Something that wants a signal counted and its loop woken: a base, or a proxy for a Worker's base. */
export interface SignalTarget {
  noteSignal(signal: number): void;
}

interface Watch {
  listener: () => void;
  bases: Set<SignalTarget>;
}

const watches = new Map<number, Watch>();
const names = new Map<number, string>(Object.entries(signals).map(([name, n]) => [n, name]));

function nameOf(signal: number): string {
  const name = names.get(signal);
  if (!name) throw new RangeError(`signal ${signal} has no name on this platform`);
  if (name === "SIGKILL" || name === "SIGSTOP") throw new RangeError(`${name} cannot be caught`);
  return name;
}

/** Starts delivering `signal` to `target` (installing the host listener for the first target). */
export function addSignalTarget(signal: number, target: SignalTarget): void {
  let watch = watches.get(signal);
  if (!watch) {
    const bases = new Set<SignalTarget>();
    const listener = () => {
      for (const b of bases) b.noteSignal(signal);
    };
    addHostSignalListener(nameOf(signal), listener);
    watch = { listener, bases };
    watches.set(signal, watch);
  }
  watch.bases.add(target);
}

/** Stops delivering `signal` to `target`; the last one removes the host listener. */
export function removeSignalTarget(signal: number, target: SignalTarget): void {
  const watch = watches.get(signal);
  if (!watch) return;
  watch.bases.delete(target);
  if (watch.bases.size === 0) {
    removeHostSignalListener(nameOf(signal), watch.listener);
    watches.delete(signal);
  }
}

/** The number of a signal given by number or name ("SIGINT", "int"). */
export function signalNumber(signal: number | string): number {
  if (typeof signal === "number") return signal;
  if (typeof signal !== "string") throw new TypeError(`signal must be a number or a name, got ${String(signal)}`);
  const upper = signal.toUpperCase();
  const n = signals[upper.startsWith("SIG") ? upper : "SIG" + upper];
  if (n === undefined) throw new RangeError(`unknown signal ${JSON.stringify(signal)}`);
  return n;
}

/** Validates a signal number for watching (throws RangeError for unknown, SIGKILL, SIGSTOP). */
export function checkCatchable(signal: number): void {
  nameOf(signal);
}

/**
 * Where a base's signal interest goes. A base's default is hostSignals; a base that another thread
 * must feed (a spawnBase worker's, whose loop blocks in the kernel where no host listener runs)
 * gets a source that asks that thread to count the signal for it.
 */
export interface SignalSource {
  add(target: SignalTarget, signal: number): void;
  del(target: SignalTarget, signal: number): void;
}

/** Delivery through the host's own signal API on this thread. */
export const hostSignals: SignalSource = {
  add: (target, signal) => addSignalTarget(signal, target),
  del: (target, signal) => removeSignalTarget(signal, target),
};
