// Types of scripts/charts.mjs, for the TypeScript test that imports it (test/charts.test.ts).

/** The format version a results file must declare. */
export const FORMAT: string;
/** Checks a parsed results file; throws a TypeError naming the file and the field that is wrong. */
export function validateRun(run: unknown, name: string): void;
/** The charts of one run: `NAME.svg` (its ratios) and `NAME-values.svg` (its values), when recorded. */
export function renderRun(run: unknown, name: string): { file: string; svg: string }[];
/** Every chart of every run in `resultsDir`, by file name. */
export function renderAll(resultsDir: string): Map<string, string>;
/** Renders every run in `resultsDir` into `outDir`, removing charts whose run is gone; the files written. */
export function writeCharts(resultsDir: string, outDir: string): string[];
