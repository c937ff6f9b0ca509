// scripts/charts.mjs: every recorded run in bench/results renders into well-formed, accessible SVG,
// and the charts committed in docs/charts are exactly what the data renders to (so a chart cannot
// drift from its data: after changing bench/results, run `npm run charts`).
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderAll, renderRun, validateRun, writeCharts } from "../scripts/charts.mjs";
import { runtime } from "./deps.ts";

const root = new URL("..", import.meta.url).pathname;
const resultsDir = join(root, "bench/results");
const chartsDir = join(root, "docs/charts");

/**
 * Checks that `text` is well-formed XML (one root element, tags nested and closed, attribute values
 * quoted, `&` only in the five predefined or numeric entities); returns the element names in order
 * of appearance, or throws naming the first problem and its offset.
 */
function wellFormed(text: string): string[] {
  const entity = /&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/y;
  const checkText = (s: string, at: number) => {
    for (let i = s.indexOf("&"); i >= 0; i = s.indexOf("&", i + 1)) {
      entity.lastIndex = i;
      if (!entity.test(s)) throw new Error(`bare & at ${at + i}`);
    }
    if (s.includes("<")) throw new Error(`stray < at ${at}`);
  };
  const names: string[] = [];
  const open: string[] = [];
  let roots = 0;
  let pos = 0;
  const tag = /<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/y;
  while (pos < text.length) {
    const lt = text.indexOf("<", pos);
    const between = text.slice(pos, lt < 0 ? text.length : lt);
    if (open.length === 0 && between.trim()) throw new Error(`text outside the root element at ${pos}`);
    checkText(between, pos);
    if (lt < 0) break;
    tag.lastIndex = lt;
    const m = tag.exec(text);
    if (!m) throw new Error(`malformed tag at ${lt}: ${text.slice(lt, lt + 40)}`);
    const [, closing, name, attrs, selfClosing] = m as unknown as [string, string, string, string, string];
    if (closing) {
      if (attrs || selfClosing) throw new Error(`closing tag with attributes at ${lt}`);
      const top = open.pop();
      if (top !== name) throw new Error(`</${name}> at ${lt} closes <${top}>`);
    } else {
      if (open.length === 0 && ++roots > 1) throw new Error(`a second root element at ${lt}`);
      const seen = new Set<string>();
      for (const a of attrs.matchAll(/([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
        if (seen.has(a[1]!)) throw new Error(`attribute ${a[1]} twice in <${name}> at ${lt}`);
        seen.add(a[1]!);
        checkText(a[2] ?? a[3] ?? "", lt);
      }
      names.push(name);
      if (!selfClosing) open.push(name);
    }
    pos = tag.lastIndex;
  }
  if (open.length) throw new Error(`<${open.join("> <")}> never closed`);
  if (roots !== 1) throw new Error(`expected one root element, found ${roots}`);
  return names;
}

const temp = mkdtempSync(join(tmpdir(), "evffi-charts-"));
after(() => rmSync(temp, { recursive: true, force: true }));

describe(`charts on ${runtime}`, () => {
  const runs = readdirSync(resultsDir).filter((f) => f.endsWith(".json")).sort();

  it("the well-formedness check rejects what it should", () => {
    assert.deepEqual(wellFormed(`<svg a="1"><g><rect/></g><text>a &amp; b</text></svg>`), ["svg", "g", "rect", "text"]);
    for (const bad of [`<svg><g></svg>`, `<svg a=1></svg>`, `<svg>a & b</svg>`, `<svg/><svg/>`, `<svg><g></g>`, `x<svg/>`, `<svg a="1" a="2"/>`]) {
      assert.throws(() => wellFormed(bad), Error, bad);
    }
  });

  it("every recorded run renders into well-formed SVG with a title, a description and its own background", () => {
    assert.ok(runs.length > 0, "bench/results has no runs");
    const written = writeCharts(resultsDir, temp);
    assert.ok(written.length >= runs.length, `${written.length} charts for ${runs.length} runs`);
    for (const file of written) {
      const svg = readFileSync(join(temp, file), "utf8");
      const names = wellFormed(svg);
      assert.deepEqual(names.slice(0, 4), ["svg", "title", "desc", "rect"], file);
      assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]* role="img"/, file);
      assert.match(svg, /<title id="title">[^<]*\d{4}-\d\d-\d\d\)<\/title>/, `${file}: the title names the run's date`);
      assert.match(svg, /<rect width="\d+" height="\d+" rx="6" fill="#ffffff"/, `${file}: an explicit background for dark mode`);
    }
  });

  it("each chart states every figure of its run, and marks transcribed runs and the 1.00 line", () => {
    for (const file of runs) {
      const run = JSON.parse(readFileSync(join(resultsDir, file), "utf8"));
      const name = file.replace(/\.json$/, "");
      const charts = new Map(renderRun(run, name).map((c) => [c.file, c.svg]));
      if (run.ratios.length) {
        const svg = charts.get(`${name}.svg`)!;
        assert.ok(svg, `${name}.svg`);
        for (const r of run.ratios) assert.ok(svg.includes(`>${r.value.toFixed(2)}x`), `${name}.svg shows ${r.program} / ${r.peer} = ${r.value}`);
        assert.ok(svg.includes(`>1.00x</text>`), `${name}.svg marks the 1.00 line`);
      }
      if (run.results.length) assert.ok(charts.has(`${name}-values.svg`), `${name}-values.svg`);
      for (const svg of charts.values()) {
        assert.ok(svg.includes(run.date), `${name}: the date`);
        if (run.transcribedFrom) assert.ok(svg.includes("transcribed from the text record"), `${name}: marked as transcribed`);
        if (run.smoke) assert.ok(svg.includes("SMOKE RUN"), `${name}: marked as a smoke run`);
      }
    }
  });

  it("the committed docs/charts are what bench/results renders to (run `npm run charts` after changing the data)", () => {
    const expected = renderAll(resultsDir);
    const committed = readdirSync(chartsDir).filter((f) => f.endsWith(".svg")).sort();
    assert.deepEqual(committed, [...expected.keys()].sort(), "the set of charts");
    for (const [file, svg] of expected) {
      assert.ok(readFileSync(join(chartsDir, file), "utf8") === svg, `docs/charts/${file} is out of date: run npm run charts`);
    }
  });

  it("docs/benchmarks.md shows every chart, each with a description in its image text", () => {
    const page = readFileSync(join(root, "docs/benchmarks.md"), "utf8");
    for (const file of renderAll(resultsDir).keys()) assert.match(page, new RegExp(`!\\[[^\\]]{20,}\\]\\(charts/${file.replace(/\./g, "\\.")}\\)`), file);
  });

  it("a bad results file is refused with a TypeError naming the file, the field and what it got", () => {
    const good = JSON.parse(readFileSync(join(resultsDir, runs[0]!), "utf8"));
    assert.throws(() => validateRun({ ...good, format: "other/2" }, "x.json"), { name: "TypeError", message: /^x\.json: format must be "evffi-bench-run\/1", got "other\/2"/ });
    assert.throws(() => validateRun({ ...good, date: "1 Dec" }, "x.json"), { name: "TypeError", message: /date must be YYYY-MM-DD, got "1 Dec"/ });
    assert.throws(() => validateRun({ ...good, ratios: [{ program: "a", peer: "b", metric: "m", better: "higher", value: "1.2" }] }, "x.json"),
      { name: "TypeError", message: /ratios\[0\]\.value must be a finite number, got 1\.2 \(string\)/ });
    assert.throws(() => validateRun(null, "x.json"), { name: "TypeError", message: /expected an object, got null/ });
    const dir = mkdtempSync(join(temp, "bad-"));
    writeFileSync(join(dir, "broken.json"), "{ not json");
    assert.throws(() => renderAll(dir), { name: "TypeError", message: /^broken\.json: not valid JSON/ });
  });
});
