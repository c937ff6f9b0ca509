// Argument checks shared by every layer: a bad value is reported with the value itself and its
// type (`"3" (string)`, not `3`), before it can reach the FFI, where each runtime would fail in its
// own words (or, for a fractional number, silently truncate).

/**
 * A value as an error message shows it: strings quoted, then the type in parentheses.
 *
 * @example
 * ```ts
 * describeValue("3");   // '"3" (string)'
 * describeValue(1.5);   // '1.5 (number)'
 * describeValue(null);  // 'null'
 * ```
 */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  switch (typeof value) {
    case "string":
      return `${JSON.stringify(value.length > 60 ? value.slice(0, 60) + "..." : value)} (string)`;
    case "number":
    case "boolean":
    case "bigint":
      return `${String(value)}${typeof value === "bigint" ? "n" : ""} (${typeof value})`;
    case "function":
      return `function ${(value as { name?: string }).name || "(anonymous)"}`;
    case "symbol":
      return `${String(value)} (symbol)`;
  }
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of ${value.byteLength} bytes`;
  const name = (value as { constructor?: { name?: string } }).constructor?.name;
  return name && name !== "Object" ? `a ${name}` : `an object`;
}

/**
 * Throws unless `value` is an integer in min..max: TypeError for a non-number, RangeError for a
 * fraction or a number out of range; the message names the parameter, the value and its type.
 *
 * @example
 * ```ts
 * checkInteger(pid, "pid", -0x8000_0000, 0x7fff_ffff);
 * ```
 */
export function checkInteger(value: unknown, name: string, min = -0x8000_0000, max = 0x7fff_ffff): asserts value is number {
  if (typeof value !== "number") throw new TypeError(`${name} must be an integer, got ${describeValue(value)}`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in ${min}..${max}, got ${describeValue(value)}`);
  }
}

/**
 * Throws unless `fd` is a file descriptor number: an int32, and >= `min` when given (the typed
 * syscall layer lets the kernel answer EBADF for a negative one; an event wants >= -1).
 */
export function checkFd(fd: unknown, name = "fd", min = -0x8000_0000): asserts fd is number {
  if (typeof fd !== "number") throw new TypeError(`${name} must be an integer file descriptor, got ${describeValue(fd)}`);
  if (!Number.isInteger(fd) || fd < min || fd > 0x7fff_ffff) {
    const bound = min > -0x8000_0000 ? ` >= ${min}` : "";
    throw new RangeError(`${name} must be an integer file descriptor${bound}, got ${describeValue(fd)}`);
  }
}
