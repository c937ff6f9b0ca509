// Signals through the host's signal API: counting, delivery to every base, restoring the default.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EV, EventBase, signals, sys } from "./deps.ts";
import { runChild } from "./helpers.ts";

describe("signals", () => {
  it("SIGUSR1 reaches two bases on the main thread, with batched counts", async () => {
    const bases = [new EventBase(), new EventBase()];
    try {
      const counts = [0, 0];
      bases.forEach((base, i) => {
        const ev = base.signal("SIGUSR1", (sig, what, e) => {
          assert.equal(sig, signals.SIGUSR1);
          assert.equal(what, EV.SIGNAL);
          counts[i] += (e as { ncalls: number }).ncalls;
          if (counts[i] >= 1) ev.del();
        });
      });
      setTimeout(() => sys.kill(sys.getpid(), signals.SIGUSR1), 5);
      await Promise.all(bases.map((b) => b.loop()));
      assert.ok(counts[0] >= 1 && counts[1] >= 1, `counts ${counts}`);
    } finally {
      for (const b of bases) b.close();
    }
  });

  it("accepts names and numbers, and rejects unknown or uncatchable signals", () => {
    const base = new EventBase();
    try {
      assert.equal(base.signalNumber("int"), signals.SIGINT);
      assert.equal(base.signalNumber("SIGHUP"), signals.SIGHUP);
      assert.throws(() => base.signal("SIGNOPE", () => {}), RangeError);
      assert.throws(() => base.signal("SIGKILL", () => {}), /cannot be caught/);
    } finally {
      base.close();
    }
  });

  it("removing the last signal event restores the default action (the child dies of SIGUSR1)", () => {
    const r = runChild("signal-restore.ts");
    assert.equal(r.signal, "SIGUSR1", `child exited with ${r.status}/${r.signal}: ${r.stdout}${r.stderr}`);
    assert.doesNotMatch(r.stdout, /still alive/);
  });

  it("a script whose base has no events left exits on its own", () => {
    const r = runChild("exits-alone.ts");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /loop returned 1/);
  });

  it("a signal during a main-thread loopSync is delivered after the thread yields", () => {
    const r = runChild("loopsync-signal.ts");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /sent \| timer after the signal \| loopSync returned \| signal x1/);
  });
});
