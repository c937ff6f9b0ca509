// The backends in libevent's order of preference, and the choice among them.
import { getEnv, hasSymbol } from "../ffi/mod.ts";
import { Feature } from "../core/flags.ts";
import type { Backend, BackendHost, BackendState } from "./backend.ts";
import { epoll, epollChangelist } from "./epoll.ts";
import { kqueue } from "./kqueue.ts";
import { poll } from "./poll.ts";
import { select } from "./select.ts";

/**
 * Every backend evffi knows, most preferred first (libevent: kqueue, epoll, poll, select). Where
 * the OS has no kqueue of its own it comes last: libkqueue emulates it over epoll, so it is worth
 * choosing only by name (to test kqueue semantics on Linux), never by default.
 */
export const allBackends: Backend[] = hasSymbol("kqueue") && hasSymbol("kevent")
  ? [kqueue, epoll, epollChangelist, poll, select]
  : [epoll, epollChangelist, poll, select, kqueue];

/** Names of the backends this platform has, in preference order (libevent's event_get_supported_methods). */
export function supportedMethods(): string[] {
  return allBackends.filter((b) => b.available() === true).map((b) => b.name);
}

/** Every backend evffi knows, in preference order, with whether this platform has it and why not. */
export function methodAvailability(): { method: string; available: boolean; reason?: string }[] {
  return allBackends.map((b) => {
    const available = b.available();
    return available === true ? { method: b.name, available: true } : { method: b.name, available: false, reason: available };
  });
}

export function describeFeatures(features: number): string {
  const names = Object.entries(Feature).filter(([, bit]) => features & bit).map(([n]) => n);
  return names.length ? names.join("|") : "none";
}

/** The environment variable that disables a method: EVENT_NOEPOLL, EVENT_NOPOLL, ... */
export function envVarFor(name: string): string {
  return "EVENT_NO" + name.split(" ")[0].toUpperCase();
}

export interface BackendChoice {
  avoid?: readonly string[];
  require?: number;
  ignoreEnv?: boolean;
  epollChangelist?: boolean;
  /** Use exactly this method (by name). */
  method?: string;
}

/** Candidates for a base, in order, after avoid/require/environment filtering. Throws if none qualify. */
export function candidateBackends(choice: BackendChoice): Backend[] {
  const avoid = new Set(choice.avoid ?? []);
  const require = choice.require ?? 0;
  const useChangelist = choice.epollChangelist || (!choice.ignoreEnv && getEnv("EVENT_EPOLL_USE_CHANGELIST") !== undefined);
  const reasons: string[] = [];
  const out: Backend[] = [];
  if (choice.method !== undefined && !allBackends.some((b) => b.name === choice.method)) {
    const known = allBackends.map((b) => JSON.stringify(b.name)).join(", ");
    throw new RangeError(`unknown method ${JSON.stringify(choice.method)} (${typeof choice.method}); the methods are ${known}`);
  }
  for (const b of allBackends) {
    // The changelist variant stands in for plain epoll when asked for, and is skipped otherwise.
    if (!choice.method) {
      if (b === epollChangelist && !useChangelist) continue;
      if (b === epoll && useChangelist) continue;
    } else if (b.name !== choice.method) continue;
    const available = b.available();
    if (available !== true) {
      reasons.push(`${b.name}: ${available}`);
      continue;
    }
    if (avoid.has(b.name) || avoid.has(b.name.split(" ")[0])) {
      reasons.push(`${b.name}: avoided`);
      continue;
    }
    if (!choice.ignoreEnv && getEnv(envVarFor(b.name)) !== undefined) {
      reasons.push(`${b.name}: disabled by ${envVarFor(b.name)}`);
      continue;
    }
    if ((b.features & require) !== require) {
      reasons.push(`${b.name}: offers ${describeFeatures(b.features)}`);
      continue;
    }
    out.push(b);
  }
  if (out.length === 0) {
    const wanted = choice.method ? `method ${JSON.stringify(choice.method)}` : `features ${describeFeatures(require)}`;
    throw new Error(`no event backend qualifies (wanted ${wanted}; ${reasons.join("; ") || "no backends known"})`);
  }
  return out;
}

/**
 * Starts the first candidate whose init() succeeds for `host`, in order. Throws an Error listing
 * why each failed when none starts.
 */
export function startBackend(choice: BackendChoice, host: BackendHost): { backend: Backend; state: BackendState } {
  const failures: string[] = [];
  for (const backend of candidateBackends(choice)) {
    try {
      const state = backend.init(host);
      if (state) return { backend, state };
      failures.push(`${backend.name}: init declined`);
    } catch (err) {
      failures.push(`${backend.name}: ${(err as Error).message}`);
    }
  }
  throw new Error(`no event backend could start (${failures.join("; ")})`);
}
