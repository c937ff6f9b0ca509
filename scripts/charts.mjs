#!/usr/bin/env node
// Renders the recorded benchmark runs (bench/results/*.json, format in bench/results/README.md) as
// SVG charts in docs/charts/: for each run, its ratios (evffi against each peer, with the 1.00
// line marked) and, where the run recorded them, its measured values.
//   npm run charts            (or: node scripts/charts.mjs [RESULTS_DIR OUT_DIR])
//
// Why hand-written SVG and no charting library: the charts are horizontal bars, one axis, a
// reference line and text, about a dozen SVG elements of four kinds. vega-lite with vega's headless
// renderer would do it, but it brings vega's whole dependency tree (and, for its default text
// measuring, node-canvas, a native build) into every CI install; smaller libraries either need a DOM
// (d3, Chart.js) or render bitmaps. Writing the primitives here keeps the output byte-for-byte
// deterministic, which test/charts.test.ts relies on to check that docs/charts matches the data.
//
// Readable on GitHub in light and dark mode: every chart paints its own white background and uses
// dark text, so neither theme changes how it looks. Accessible: each <svg> has role="img", a
// <title> and a <desc> that states the figures in words.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The format version a results file must declare. */
export const FORMAT = "evffi-bench-run/1";

const WIDTH = 760;
const ROW = 22;
const PAD = 16;
const FONT = "-apple-system, 'Segoe UI', Helvetica, Arial, sans-serif";
const INK = "#1f2328"; // text: dark on the chart's own white background, in either GitHub theme
const MUTED = "#59636e";
const EVFFI = "#0969da"; // bars of evffi's own programs
const PEER = "#8c959f"; // bars of everything else
const REFERENCE = "#cf222e"; // the 1.00 line

/** Escapes text for use in SVG content and attribute values. */
function esc(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

/** A rough text width at `size` px (no font metrics without a browser; generous on purpose). */
function textWidth(text, size = 12) {
  return String(text).length * size * 0.56;
}

/** `text` cut at spaces into lines of at most `width` px (estimated). */
function wrap(text, width, size) {
  const lines = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && textWidth(`${line} ${word}`, size) > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line];
}

/** 1234567.8 -> "1,234,568"; small values keep the digits they were recorded with. */
function formatValue(v) {
  if (Math.abs(v) >= 1000) return String(Math.round(v)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return String(v);
}

const formatRatio = (v) => `${v.toFixed(2)}x`;
const isEvffi = (program) => /^evffi\b/.test(program);

/**
 * Checks a parsed results file; throws a TypeError naming the file and the field that is wrong.
 * @example
 * validateRun(JSON.parse(readFileSync("bench/results/2026-12-01-udp.json", "utf8")), "2026-12-01-udp.json");
 */
export function validateRun(run, name) {
  const fail = (what) => {
    throw new TypeError(`${name}: ${what}`);
  };
  if (typeof run !== "object" || run === null) fail(`expected an object, got ${run === null ? "null" : typeof run}`);
  if (run.format !== FORMAT) fail(`format must be "${FORMAT}", got ${JSON.stringify(run.format)}`);
  for (const key of ["kind", "title", "date", "command"]) {
    if (typeof run[key] !== "string" || !run[key]) fail(`${key} must be a non-empty string, got ${typeof run[key]}`);
  }
  if (!/^\d{4}-\d\d-\d\d$/.test(run.date)) fail(`date must be YYYY-MM-DD, got ${JSON.stringify(run.date)}`);
  if (typeof run.machine !== "object" || run.machine === null) fail(`machine must be an object, got ${typeof run.machine}`);
  for (const [list, keys] of [["results", ["program", "metric", "unit"]], ["ratios", ["program", "peer", "metric"]]]) {
    if (!Array.isArray(run[list])) fail(`${list} must be an array, got ${typeof run[list]}`);
    run[list].forEach((entry, i) => {
      for (const key of keys) if (typeof entry[key] !== "string") fail(`${list}[${i}].${key} must be a string, got ${typeof entry[key]}`);
      if (typeof entry.value !== "number" || !Number.isFinite(entry.value)) fail(`${list}[${i}].value must be a finite number, got ${entry.value} (${typeof entry.value})`);
      if (entry.better !== "higher" && entry.better !== "lower") fail(`${list}[${i}].better must be "higher" or "lower", got ${JSON.stringify(entry.better)}`);
    });
  }
}

/** "2 cores, x86_64, Firecracker VM, Linux 6.18" from what the run recorded (absent fields left out). */
function machineLine(m) {
  const vm = m.vm === "no" || m.vm === false ? "bare metal" : m.vm;
  return [m.cpu, m.cores !== undefined ? `${m.cores} cores` : null, m.arch, vm, m.kernel].filter(Boolean).join(", ");
}

/** The heading lines every chart of a run carries, so an old figure is recognizable as old. */
function header(run) {
  const versions = Object.entries(run.versions ?? {}).map(([k, v]) => `${k} ${v}`).join(", ");
  const provenance = run.transcribedFrom
    ? `transcribed from the text record (${run.transcribedFrom})`
    : run.smoke ? "SMOKE RUN: proves the script writes data; not a result" : "written by the benchmark script";
  return [
    { text: `${run.date} · ${machineLine(run.machine)}${run.machine.load ? ` · ${run.machine.load}` : ""}`, size: 12, color: INK },
    { text: versions, size: 11, color: MUTED },
    { text: run.command, size: 11, color: MUTED, mono: true },
    { text: provenance, size: 11, color: MUTED },
  ].filter((l) => l.text);
}

/** Groups `items` by `key(item)`, keeping first-seen order. */
function groupBy(items, key) {
  const groups = new Map();
  for (const item of items) {
    const k = key(item);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(item);
  }
  return groups;
}

/**
 * One chart: a title, the run's header, then panels of horizontal bars. Each panel is
 * { heading, rows: [{ label, value, min?, max?, text, evffi }], reference? } and scales on its own.
 */
function chart({ title, desc, run, panels }) {
  const lines = header(run);
  const labelWidth = Math.round(Math.min(360, Math.max(...panels.flatMap((p) => p.rows.map((r) => textWidth(r.label)))) + 12));
  const x0 = PAD + labelWidth;
  const valueWidth = Math.max(...panels.flatMap((p) => p.rows.map((r) => (r.text ? textWidth(r.text) : 0))));
  const plotWidth = WIDTH - x0 - PAD - valueWidth - 8; // room for the value text after the longest bar
  const out = [];
  let y = PAD + 18;
  out.push(`<text x="${PAD}" y="${y}" font-size="16" font-weight="600" fill="${INK}">${esc(title)}</text>`);
  for (const l of lines) {
    const family = l.mono ? ` font-family="ui-monospace, SFMono-Regular, Menlo, monospace"` : "";
    for (const part of wrap(l.text, WIDTH - 2 * PAD, l.mono ? l.size * 1.1 : l.size)) {
      y += l.size + 6;
      out.push(`<text x="${PAD}" y="${y}" font-size="${l.size}" fill="${l.color}"${family}>${esc(part)}</text>`);
    }
  }
  for (const panel of panels) {
    y += 28;
    out.push(`<text x="${PAD}" y="${y}" font-size="13" font-weight="600" fill="${INK}">${esc(panel.heading)}</text>`);
    y += 8;
    const top = y;
    const top0 = Math.max(...panel.rows.filter((r) => r.group === undefined).map((r) => Math.max(r.value, r.max ?? 0)), panel.reference ?? 0);
    const scale = plotWidth / (top0 * 1.05);
    for (const row of panel.rows) {
      if (row.group !== undefined) {
        y += ROW;
        out.push(`<text x="${PAD}" y="${y - 6}" font-size="12" font-style="italic" fill="${MUTED}">${esc(row.group)}</text>`);
        continue;
      }
      const w = Math.max(1, row.value * scale);
      out.push(`<text x="${x0 - 8}" y="${y + 15}" font-size="12" text-anchor="end" fill="${INK}">${esc(row.label)}</text>`);
      out.push(`<rect x="${x0}" y="${y + 4}" width="${w.toFixed(1)}" height="${ROW - 8}" fill="${row.evffi ? EVFFI : PEER}"><title>${esc(`${row.label}: ${row.text}`)}</title></rect>`);
      let end = x0 + w;
      if (row.min !== undefined && row.max !== undefined) {
        const a = x0 + row.min * scale;
        const b = x0 + row.max * scale;
        const mid = y + ROW / 2;
        out.push(`<path d="M${a.toFixed(1)} ${mid}H${b.toFixed(1)}M${a.toFixed(1)} ${mid - 4}V${mid + 4}M${b.toFixed(1)} ${mid - 4}V${mid + 4}" stroke="${INK}" stroke-width="1"/>`);
        end = Math.max(end, b);
      }
      // A white halo keeps the figure legible where it crosses the 1.00 line.
      out.push(`<text x="${(end + 6).toFixed(1)}" y="${y + 15}" font-size="12" fill="${INK}" stroke="#ffffff" stroke-width="3" paint-order="stroke">${esc(row.text)}</text>`);
      y += ROW;
    }
    if (panel.reference !== undefined) {
      const x = (x0 + panel.reference * scale).toFixed(1);
      out.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${y + 4}" stroke="${REFERENCE}" stroke-width="1.5" stroke-dasharray="4 3"/>`);
      out.push(`<text x="${x}" y="${y + 16}" font-size="11" text-anchor="middle" fill="${REFERENCE}">${formatRatio(panel.reference)}</text>`);
      y += 12;
    }
    out.push(`<line x1="${x0}" y1="${top}" x2="${x0}" y2="${y - (panel.reference !== undefined ? 8 : -4)}" stroke="${MUTED}" stroke-width="1"/>`);
  }
  const height = Math.round(y + PAD + 8);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-labelledby="title desc" font-family="${esc(FONT)}">`,
    `<title id="title">${esc(`${title} (${run.date})`)}</title>`,
    `<desc id="desc">${esc(desc)}</desc>`,
    `<rect width="${WIDTH}" height="${height}" rx="6" fill="#ffffff" stroke="#d1d9e0"/>`,
    ...out,
    `</svg>`,
    "",
  ].join("\n");
}

/** The reading direction of a metric's ratio, for a panel's heading. */
function direction(better) {
  return better === "higher" ? "above 1.00: the first does better" : "below 1.00: the first does better";
}

/** Rows of a panel, with workload sub-headings when the entries name workloads. */
function rowsOf(entries, toRow) {
  const byWorkload = groupBy(entries, (e) => e.workload ?? "");
  const rows = [];
  for (const [workload, list] of byWorkload) {
    if (workload) rows.push({ group: workload });
    rows.push(...list.map(toRow));
  }
  return rows;
}

/**
 * The charts of one run: `NAME.svg` (its ratios) and `NAME-values.svg` (its measured values), each
 * only when the run recorded any.
 * @example
 * const run = JSON.parse(readFileSync("bench/results/2026-12-01-echo.json", "utf8"));
 * for (const { file, svg } of renderRun(run, "2026-12-01-echo")) writeFileSync(`/tmp/${file}`, svg);
 */
export function renderRun(run, name) {
  validateRun(run, name);
  const charts = [];
  const inWords = (list, fmt) => list.map(fmt).join("; ");
  if (run.ratios.length) {
    const panels = [...groupBy(run.ratios, (r) => `${r.metric}\u0000${r.better}`).values()].map((list) => ({
      heading: `${list[0].metric}, as a ratio (${direction(list[0].better)})`,
      reference: 1,
      rows: rowsOf(list, (r) => ({
        label: `${r.program} / ${r.peer}`,
        value: r.value,
        min: r.min,
        max: r.max,
        text: formatRatio(r.value) + (r.min !== undefined ? ` (${r.min.toFixed(2)}-${r.max.toFixed(2)})` : ""),
        evffi: isEvffi(r.program),
      })),
    }));
    const desc = `${run.title}, ${run.date}, ${machineLine(run.machine)}. Ratios: ` +
      inWords(run.ratios, (r) => `${r.workload ? `${r.workload}, ` : ""}${r.program} / ${r.peer}, ${r.metric}: ${formatRatio(r.value)}${r.min !== undefined ? ` (rounds ${r.min}-${r.max})` : ""}`) + ".";
    charts.push({ file: `${name}.svg`, svg: chart({ title: run.title, desc, run, panels }) });
  }
  if (run.results.length) {
    const panels = [...groupBy(run.results, (r) => `${r.metric}\u0000${r.unit}`).values()].map((list) => ({
      heading: `${list[0].metric}, ${list[0].unit} (${list[0].better} is better)`,
      rows: rowsOf(list, (r) => ({ label: r.program, value: r.value, text: `${formatValue(r.value)} ${r.unit}`, evffi: isEvffi(r.program) })),
    }));
    const desc = `${run.title}, ${run.date}, ${machineLine(run.machine)}. Measured: ` +
      inWords(run.results, (r) => `${r.workload ? `${r.workload}, ` : ""}${r.program}, ${r.metric}: ${formatValue(r.value)} ${r.unit}`) + ".";
    charts.push({ file: `${name}-values.svg`, svg: chart({ title: `${run.title}: measured values`, desc, run, panels }) });
  }
  return charts;
}

/**
 * Every chart of every run in `resultsDir`, by file name, in a stable order.
 * @example
 * const charts = renderAll("bench/results"); // Map { "2026-12-01-echo.svg" => "<svg ...", ... }
 */
export function renderAll(resultsDir) {
  const charts = new Map();
  for (const file of readdirSync(resultsDir).filter((f) => f.endsWith(".json")).sort()) {
    const text = readFileSync(join(resultsDir, file), "utf8");
    let run;
    try {
      run = JSON.parse(text);
    } catch (e) {
      throw new TypeError(`${file}: not valid JSON (${e.message})`);
    }
    for (const { file: out, svg } of renderRun(run, basename(file, ".json"))) charts.set(out, svg);
  }
  return charts;
}

/**
 * Renders every run in `resultsDir` into `outDir`, removing charts whose run is gone.
 * @example
 * writeCharts("bench/results", "docs/charts"); // ["2026-11-22-coop.svg", ...]
 */
export function writeCharts(resultsDir, outDir) {
  const charts = renderAll(resultsDir);
  mkdirSync(outDir, { recursive: true });
  for (const old of readdirSync(outDir).filter((f) => f.endsWith(".svg") && !charts.has(f))) rmSync(join(outDir, old));
  for (const [file, svg] of charts) writeFileSync(join(outDir, file), svg);
  return [...charts.keys()];
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..");
  const [resultsDir = join(root, "bench/results"), outDir = join(root, "docs/charts")] = process.argv.slice(2);
  const written = writeCharts(resultsDir, outDir);
  console.log(`${written.length} charts in ${outDir}`);
}
