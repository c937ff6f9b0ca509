// Choosing a backend (src/backends/registry.ts): the platform's list in libevent's order, avoid,
// require, method and EVENT_NO<METHOD>, and what the machine lacks.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { EventBase, Feature, methodAvailability, supportedMethods } from "./deps.ts";

describe("backends this machine lacks", () => {
  // Shown as skipped with the reason, so a run without kqueue (Linux without libkqueue) says so.
  for (const m of methodAvailability().filter((m) => !m.available)) {
    it(`${m.method}: every backend test`, { skip: `${m.method} unavailable: ${m.reason}` }, () => {});
  }
  it("each unavailable backend says why, and is missing from supportedMethods", () => {
    for (const m of methodAvailability()) {
      assert.equal(supportedMethods().includes(m.method), m.available, m.method);
      if (!m.available) assert.ok(m.reason && m.reason.length > 10, `${m.method}: ${m.reason}`);
    }
  });
});

describe("registry", () => {
  it("supportedMethods lists this platform's backends in libevent's order", () => {
    const m = supportedMethods();
    for (const name of ["poll", "select"]) assert.ok(m.includes(name), `${name} in ${m}`);
    assert.ok(m.indexOf("poll") < m.indexOf("select"));
    if (m.includes("epoll")) assert.ok(m.indexOf("epoll") < m.indexOf("poll"));
    // Native kqueue leads, as in libevent; libkqueue's emulation over epoll is chosen only by name.
    if (m.includes("kqueue")) assert.equal(m.indexOf("kqueue"), m.includes("epoll") ? m.length - 1 : 0);
  });

  it("avoid, require, method and EVENT_NO<METHOD> choose the backend; nothing qualifying is a clear error", () => {
    const all = supportedMethods().filter((m) => !m.includes("changelist"));
    const last = all[all.length - 1];
    const base = new EventBase({ avoid: all.slice(0, -1), ignoreEnv: true });
    assert.equal(base.method, last);
    base.close();
    assert.throws(() => new EventBase({ method: "no-such", ignoreEnv: true }), /unknown method "no-such" \(string\); the methods are .*"poll"/);
    assert.throws(() => new EventBase({ require: Feature.ET | Feature.EARLY_CLOSE | Feature.FDS, ignoreEnv: true }), (err: unknown) => {
      const msg = (err as Error).message;
      return /no event backend qualifies/.test(msg) && /poll: offers/.test(msg) && /select: offers FDS/.test(msg);
    });
    const first = all[0];
    process.env[`EVENT_NO${first.toUpperCase()}`] = "1";
    try {
      const b2 = new EventBase();
      assert.notEqual(b2.method, first);
      b2.close();
      const b3 = new EventBase({ ignoreEnv: true });
      assert.equal(b3.method, first, "ignoreEnv ignores EVENT_NO*");
      b3.close();
    } finally {
      delete process.env[`EVENT_NO${first.toUpperCase()}`];
    }
  });
});
