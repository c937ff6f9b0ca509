// Command-line options for the Node scripts that drive benchmarks: `--name value` pairs.

/** The value after `name` in `argv`, or `fallback`. */
export function optionValue(argv, name, fallback) {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : fallback;
}

/** The positive integer after `name` in `argv`, or `fallback`; a RangeError naming it otherwise. */
export function positiveOption(argv, name, fallback) {
  const text = optionValue(argv, name, String(fallback));
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${name} must be a positive integer, got ${JSON.stringify(text)} (${typeof text})`);
  return n;
}
