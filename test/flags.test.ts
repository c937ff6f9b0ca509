// The flag constants: libevent's values, and every number on the loop's hot paths that stands in
// for one of them (written `0x08 /* LIST_ACTIVE */`, see the note in src/core/flags.ts) equal to
// the constant its comment names.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import * as flags from "../src/core/flags.ts";

const root = resolve(new URL("..", import.meta.url).pathname);

/** Every .ts file under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith(".ts") ? [join(dir, entry.name)] : []
  );
}

/** The value of a name such as `LIST_ACTIVE` or `EV.READ` among the flags module's exports. */
function valueOf(name: string): number {
  const [head, member] = name.split(".");
  const value = member === undefined ? (flags as Record<string, unknown>)[head] : ((flags as Record<string, unknown>)[head] as Record<string, unknown> | undefined)?.[member];
  assert.equal(typeof value, "number", `${name} is not a numeric flag in src/core/flags.ts`);
  return value as number;
}

// A number followed by a comment naming flags joined by `|`: `0x68 /* LIST_FINALIZING | LIST_ACTIVE */`.
const INLINED = /\b(0x[0-9a-fA-F]+|\d+) \/\* ((?:[A-Z][A-Z_]*(?:\.[A-Z_]+)?)(?: \| [A-Z][A-Z_]*(?:\.[A-Z_]+)?)*) \*\//g;

describe("flags", () => {
  it("keep libevent's values", () => {
    assert.deepEqual({ ...flags.EV }, { TIMEOUT: 0x01, READ: 0x02, WRITE: 0x04, SIGNAL: 0x08, PERSIST: 0x10, ET: 0x20, FINALIZE: 0x40, CLOSED: 0x80 });
    assert.deepEqual({ ...flags.EVLOOP }, { ONCE: 0x01, NONBLOCK: 0x02, NO_EXIT_ON_EMPTY: 0x04 });
    assert.equal(flags.RES_BITS, 0xff << flags.RES_SHIFT);
  });

  it("every number written for a flag on a hot path equals the flag it names", () => {
    const found: string[] = [];
    for (const file of sources(join(root, "src"))) {
      for (const match of readFileSync(file, "utf8").matchAll(INLINED)) {
        const [, literal, names] = match;
        const expected = names.split(" | ").reduce((bits, name) => bits | valueOf(name), 0);
        assert.equal(Number(literal), expected, `${relative(root, file)}: ${literal} stands for ${names}, which is ${expected} (0x${expected.toString(16)})`);
        found.push(`${relative(root, file)}: ${names}`);
      }
    }
    // The loop's hot paths use them: finding none would mean the pattern no longer matches.
    assert.ok(found.length >= 10, `only ${found.length} inlined flags found: ${found.join(", ")}`);
  });
});
