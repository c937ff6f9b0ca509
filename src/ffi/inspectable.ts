// How an object prints in each runtime's inspector. Bun's console and node:util call the method at
// Symbol.for("nodejs.util.inspect.custom"); Deno's console calls Symbol.for("Deno.customInspect").
// Both are installed on a class's prototype, with toString(), so that instances keep their shape
// (nothing is added per object) and printing a base or an event shows one line, not its internals.
// A class that defines its own toString() keeps it.

const NODE_INSPECT = Symbol.for("nodejs.util.inspect.custom");
const DENO_INSPECT = Symbol.for("Deno.customInspect");

/**
 * Makes instances of a class print as `describe(instance)` in Bun's and Deno's consoles, in
 * node:util's inspect, and through `String(instance)` unless the class has its own toString().
 *
 * @example
 * ```ts
 * class Point { constructor(public x: number, public y: number) {} }
 * printAs(Point, (p) => `Point(${p.x}, ${p.y})`);
 * console.log(new Point(1, 2));   // Point(1, 2)
 * ```
 */
// deno-lint-ignore no-explicit-any
export function printAs<T>(cls: abstract new (...args: any[]) => T, describe: (self: T) => string): void {
  const proto = cls.prototype as Record<PropertyKey, unknown>;
  const text = function (this: T): string {
    return describe(this);
  };
  for (const key of [NODE_INSPECT, DENO_INSPECT, "toString"] as const) {
    // A class's own toString() means something else (EvBuffer's is its contents): keep it.
    if (key === "toString" && Object.prototype.hasOwnProperty.call(proto, "toString")) continue;
    Object.defineProperty(proto, key, { value: text, writable: true, configurable: true, enumerable: false });
  }
}
