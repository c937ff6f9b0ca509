// Every ```ts block under an `@example` tag that the reference and JSR show (found with
// `deno doc --json` over the entry points) runs, on this runtime, and exits 0. `deno test --doc` would run them on Deno only; this runs them
// on both. Each example is written to its own temporary module with its "evffi..." imports mapped
// to the source entry points, so an example is exactly what a user would paste. The examples of one
// source file run in one child process, one after another (to keep the cost to a process per file),
// and a line `// prints: TEXT` in an example means TEXT must appear in its output, in that order.
// Examples must finish on their own: a handle left open makes the child time out and fail.
// An example with no import statement gets every export of "evffi" imported for it, as
// `deno test --doc` imports a module's exports into its examples: a method's example can then be
// the few lines about that method. Examples of the other entry points import what they use.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import process from "node:process";
import * as evffi from "../src/mod.ts";
import { runtime } from "./deps.ts";
import { hangGuard } from "./helpers.ts";

const root = resolve(new URL("..", import.meta.url).pathname);
const entryPoints: string[] = Object.values(JSON.parse(readFileSync(join(root, "deno.json"), "utf8")).exports);

/** "evffi", "evffi/sys", ... (package.json's export names) to the source files (deno.json's). */
function importMap(): Map<string, string> {
  const npm: Record<string, unknown> = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).exports;
  const jsr: Record<string, string> = JSON.parse(readFileSync(join(root, "deno.json"), "utf8")).exports;
  const map = new Map<string, string>();
  for (const key of Object.keys(npm)) {
    if (key in jsr) map.set(key === "." ? "evffi" : `evffi/${key.slice(2)}`, join(root, jsr[key]!));
  }
  return map;
}

interface Example {
  /** Where the example starts: the source file, relative to the repository, and the line. */
  file: string;
  line: number;
  code: string;
  /** The `// prints: TEXT` expectations, in order. */
  prints: string[];
}

/** The ```ts blocks of an @example tag's markdown. */
function blocksOf(markdown: string): string[] {
  return [...markdown.matchAll(/^```(?:ts|typescript)[ \t]*\n([\s\S]*?)^```[ \t]*$/gm)].map((m) => m[1]!.replace(/\n$/, ""));
}

interface DocLocation {
  filename: string;
  line: number;
}

/**
 * Every example the reference shows: `deno doc --json` over the entry points, walked for JSDoc
 * with an @example tag (on symbols, members, and the module docs). A symbol exported from two
 * entry points appears twice in the JSON and once here.
 */
function publicExamples(): Example[] {
  const r = spawnSync(join(root, "node_modules", ".bin", "deno"), ["doc", "--json", ...entryPoints], {
    cwd: root, encoding: "utf8", maxBuffer: 256 * 1024 * 1024, env: { ...process.env, NO_COLOR: "1" },
  });
  if (r.status !== 0) throw new Error(`deno doc --json failed (${r.status ?? r.signal}):\n${r.stderr.slice(-2000)}`);
  const docs = JSON.parse(r.stdout) as { nodes: Record<string, unknown> };
  const found = new Map<string, Example>();
  const walk = (value: unknown, at: DocLocation): void => {
    if (Array.isArray(value)) {
      for (const v of value) walk(v, at);
      return;
    }
    if (typeof value !== "object" || value === null) return;
    const node = value as Record<string, unknown>;
    const here = (node.location as DocLocation | undefined) ?? at;
    for (const doc of [node.jsDoc, node.module_doc] as { tags?: { kind: string; doc?: string }[] }[]) {
      for (const tag of doc?.tags ?? []) {
        if (tag.kind !== "example" || !tag.doc) continue;
        for (const code of blocksOf(tag.doc)) {
          const file = relative(root, new URL(here.filename).pathname);
          const prints = [...code.matchAll(/\/\/ prints: (.*)$/gm)].map((m) => m[1]!.trim());
          found.set(`${file}\0${code}`, { file, line: here.line, code, prints });
        }
      }
    }
    for (const [key, v] of Object.entries(node)) if (key !== "jsDoc" && key !== "module_doc") walk(v, here);
  };
  for (const [filename, module] of Object.entries(docs.nodes)) walk(module, { filename, line: 1 });
  return [...found.values()];
}

/** The example as a module: its own imports, or all of "evffi"'s, mapped to the sources. */
function moduleOf(code: string, map: Map<string, string>): string {
  const own = /^\s*import\s/m.test(code) ? "" : `import { ${Object.keys(evffi).join(", ")} } from "evffi";\n`;
  return `${mapImports(own + code, map)}\nexport {};\n`;
}

/** Rewrites `from "evffi..."` (and dynamic imports of them) to the source file's URL. */
function mapImports(code: string, map: Map<string, string>): string {
  return code.replace(/(from\s+|import\s*\(\s*)(["'])(evffi(?:\/[\w-]+)?)\2/g, (whole, lead: string, q: string, name: string) => {
    const target = map.get(name);
    if (!target) throw new Error(`an example imports "${name}", which is not an entry point`);
    return `${lead}${q}${new URL(`file://${target}`).href}${q}`;
  });
}

const MARK = "\u0001example ";

const bySource = new Map<string, Example[]>();
for (const ex of publicExamples().sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line)) {
  bySource.set(ex.file, [...bySource.get(ex.file) ?? [], ex]);
}

describe(`the @example blocks in the sources, on ${runtime}`, () => {
  let dir = "";
  const map = importMap();
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "evffi-doc-examples-"));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("finds the examples (the extraction itself works)", () => {
    const total = [...bySource.values()].reduce((n, e) => n + e.length, 0);
    assert.ok(total >= 20, `only ${total} examples found`);
    assert.ok(bySource.get("src/mod.ts")?.some((ex) => ex.code.includes("new EventBase()")), "the module doc's example is missing");
    assert.deepEqual(blocksOf("Text.\n```ts\nf();\n```\n```sh\nnot ts\n```\n"), ["f();"]);
  });

  for (const [file, examples] of bySource) {
    it(`${file}: ${examples.length} example${examples.length === 1 ? "" : "s"}`, () => {
      const stem = file.replace(/[^\w]+/g, "_");
      const modules = examples.map((ex, i) => {
        const path = join(dir, `${stem}_${i}.ts`);
        writeFileSync(path, moduleOf(ex.code, map));
        return path;
      });
      // The runner imports the examples one at a time, so each runs to its end (top-level await
      // included) before the next starts, and marks where each one's output begins.
      const runner = join(dir, `${stem}.run.ts`);
      writeFileSync(runner, examples.map((ex, i) =>
        `console.log(${JSON.stringify(`${MARK}${ex.file}:${ex.line}`)});\nawait import(${JSON.stringify(new URL(`file://${modules[i]}`).href)});\n`
      ).join(""));
      const cmd = runtime === "deno" ? ["run", "--allow-all", runner] : [runner];
      const r = spawnSync(process.execPath, cmd, { cwd: dir, encoding: "utf8", timeout: hangGuard(60_000), env: { ...process.env, NO_COLOR: "1" } });
      const sections = r.stdout.split(MARK);
      const last = sections.at(-1)?.split("\n")[0] ?? "(none)";
      assert.equal(r.status, 0, `exit ${r.status ?? r.signal} in or after the example at ${last}:\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-4000)}`);
      assert.equal(sections.length - 1, examples.length, "not every example ran");
      examples.forEach((ex, i) => {
        let output = sections[i + 1]!;
        for (const text of ex.prints) {
          const at = output.indexOf(text);
          assert.ok(at !== -1, `${ex.file}:${ex.line} should print ${JSON.stringify(text)} (in this order); it printed:\n${sections[i + 1]}`);
          output = output.slice(at + text.length);
        }
      });
    });
  }
});
