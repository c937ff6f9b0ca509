// The generated API reference and the hand-written docs: `deno doc --lint` finds no public export
// without documentation, `npm run docs` (scripts/docs.mjs) builds the HTML, and every relative
// link in that HTML, in README.md and in docs/*.md resolves, as does every link from the markdown
// into the published reference on JSR (checked against the pages just built).
//
// The reference is the same bytes whichever runtime runs this file, so it runs under Deno only
// (whose `deno doc` it is); under Bun the cases report as skipped.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import process from "node:process";
import { runtime } from "./deps.ts";
import { hangGuard } from "./helpers.ts";

const root = resolve(new URL("..", import.meta.url).pathname);
const deno = join(root, "node_modules", ".bin", "deno");
const entryPoints: string[] = Object.values(JSON.parse(readFileSync(join(root, "deno.json"), "utf8")).exports);
const skip = runtime !== "deno" && "the reference is built by deno doc; the Deno pass checks it";
/** Where the published reference lives; links there are checked against the pages built here. */
const JSR_DOCS = "https://jsr.io/@evffi/evffi/doc";

interface Diagnostic {
  rule: string;
  message: string;
  file: string;
  line: number;
  /** The source line the diagnostic points at. */
  text: string;
}

/** Parses `deno doc --lint` output: "error[rule]: message" followed by "--> file:line:col". */
function parseLint(output: string): Diagnostic[] {
  const found: Diagnostic[] = [];
  const re = /^error\[([\w-]+)\]: ([^\n]*)\n\s*--> ([^\n]+):(\d+):\d+$/gm;
  for (const m of output.matchAll(re)) {
    const file = m[3]!;
    const line = Number(m[4]);
    const text = readFileSync(file, "utf8").split("\n")[line - 1]?.trim() ?? "";
    found.push({ rule: m[1]!, message: m[2]!, file: relative(root, file), line, text });
  }
  return found;
}

/**
 * The lint rules this project requires, and why the others are relaxed:
 * - missing-jsdoc: required for every symbol and member the reference shows. `private` members
 *   are left out: deno doc reports them, but neither its HTML nor JSR renders them, and they are
 *   not part of the API (`protected` members are rendered, for subclasses, and are required).
 * - private-type-ref: required: a public signature naming a type the reader cannot look up is a
 *   gap in the reference.
 * - missing-explicit-type: relaxed. It fires on the frozen constant tables (`EV`, `BEV`, the
 *   compat names bound to them), whose inferred literal type is their clearest documentation;
 *   `deno publish --dry-run` (test/package.test.ts) already rejects every type JSR cannot read
 *   without inference, which is what the rule protects.
 */
function required(d: Diagnostic): boolean {
  if (d.rule === "missing-explicit-type") return false;
  if (d.rule === "missing-jsdoc" && /^private\b/.test(d.text)) return false;
  return true;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/`/g, "").replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
}

function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const m of withoutCode(markdown).matchAll(/^#{1,6}\s+(.+)$/gm)) {
    const base = slug(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** Markdown with fenced blocks and inline code blanked, so their brackets are not taken for links. */
function withoutCode(markdown: string): string {
  return markdown.replace(/^(```|~~~)[\s\S]*?^\1/gm, "").replace(/`[^`\n]*`/g, "``");
}

function markdownLinks(markdown: string): string[] {
  return [...withoutCode(markdown).matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

function decodeEntities(s: string): string {
  return s.replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d) => String.fromCodePoint(Number(d)))
    .replace(/&quot;/g, '"').replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

const external = /^(?:[a-z][a-z0-9+.-]*:|\/\/|#)/i;

describe("the API reference", () => {
  let out = "";
  let pages = new Set<string>();
  before(() => {
    if (skip) return;
    out = mkdtempSync(join(tmpdir(), "evffi-docs-"));
  });
  after(() => {
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it("deno doc --lint: every public export and member the reference shows is documented", { skip }, () => {
    const r = spawnSync(deno, ["doc", "--lint", ...entryPoints], {
      cwd: root, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" }, timeout: hangGuard(120_000),
    });
    const all = parseLint(`${r.stdout}\n${r.stderr}`);
    // A failure with nothing parsed means the output format changed: say so rather than pass.
    assert.ok(r.status === 0 || all.length > 0, `deno doc --lint failed (${r.status ?? r.signal}) with nothing parsed:\n${r.stderr}`);
    const missing = all.filter(required).map((d) => `${d.file}:${d.line} ${d.rule}: ${d.text}`);
    assert.deepEqual(missing, [], `${missing.length} documentation gaps:\n${missing.join("\n")}`);
  });

  it("npm run docs builds the HTML reference, with a page for each entry point", { skip }, () => {
    const cmd = runtime === "deno" ? ["run", "--allow-all", "scripts/docs.mjs"] : ["scripts/docs.mjs"];
    const r = spawnSync(process.execPath, [...cmd, "--output", out], {
      cwd: root, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" }, timeout: hangGuard(120_000),
    });
    assert.equal(r.status, 0, `scripts/docs.mjs failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
    pages = new Set(filesUnder(out).map((f) => relative(out, f)));
    for (const page of ["index.html", "~/EventBase.html", "sys/index.html", "compat/index.html", "threads/index.html", "unstable-ffi/index.html"]) {
      assert.ok(pages.has(page), `${page} was not generated`);
    }
  });

  it("every relative link in the HTML reference resolves", { skip }, () => {
    assert.ok(pages.size > 0, "the HTML was not built");
    const broken = new Set<string>();
    for (const page of pages) {
      if (!page.endsWith(".html")) continue;
      const html = readFileSync(join(out, page), "utf8");
      for (const m of html.matchAll(/\s(?:href|src)="([^"]*)"/g)) {
        const target = decodeEntities(m[1]!).replace(/[?#].*$/, "");
        if (target === "" || external.test(m[1]!)) continue;
        // A link to a folder ("../../") is to its index page, as a web server serves it.
        const folder = /(^|\/)\.{0,2}$/.test(target);
        const file = relative(out, resolve(dirname(join(out, page)), target, folder ? "index.html" : ""));
        if (!pages.has(file)) broken.add(`${page} -> ${target}`);
      }
    }
    assert.deepEqual([...broken], []);
  });

  it("every relative link in README.md and docs/*.md, and every link into the JSR reference, resolves", { skip }, () => {
    assert.ok(pages.size > 0, "the HTML was not built");
    const docs = ["README.md", ...readdirSync(join(root, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
    const broken: string[] = [];
    for (const doc of docs) {
      const text = readFileSync(join(root, doc), "utf8");
      for (const link of markdownLinks(text)) {
        if (link.startsWith(JSR_DOCS)) {
          // https://jsr.io/@evffi/evffi/doc/sys/~/socketpair is sys/~/socketpair.html here.
          const path = link.slice(JSR_DOCS.length).replace(/^\//, "").replace(/#.*$/, "");
          const page = path === "" ? "index.html" : /(^|\/)~\//.test(path) ? `${path}.html` : `${path}/index.html`;
          if (!pages.has(page)) broken.push(`${doc} -> ${link} (no ${page} in the reference)`);
          continue;
        }
        if (external.test(link) && !link.startsWith("#")) continue;
        const [path, anchor] = link.split("#", 2) as [string, string | undefined];
        const target = path === "" ? join(root, doc) : resolve(dirname(join(root, doc)), decodeURIComponent(path));
        if (!existsSync(target)) {
          broken.push(`${doc} -> ${link} (no such file)`);
        } else if (anchor !== undefined && target.endsWith(".md") && !anchorsOf(readFileSync(target, "utf8")).has(anchor)) {
          broken.push(`${doc} -> ${link} (no such heading)`);
        }
      }
    }
    assert.deepEqual(broken, []);
  });
});
