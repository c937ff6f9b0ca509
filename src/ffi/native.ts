// One neutral way to open C symbols and to touch native memory, mapped onto bun:ffi or Deno.dlopen.
//
// Rules enforced here (docs/ffi.md says what each is measured from):
// - 64-bit parameters are declared 64-bit; on Deno they must be passed as BigInt to stay on the
//   fast path, so callers convert with `u64arg()` (a no-op on Bun).
// - byte-count results (ssize_t) are declared i32 by the bindings: a BigInt per call is avoided,
//   and no single call moves 2 GiB (callers cap request sizes with MAX_IO).
// - memory whose address is stored anywhere (iovec, msghdr) is ArrayBuffer-backed, created once,
//   kept referenced, and its address computed once (`StableBuffer`).
// - a symbol missing on this platform becomes a function that throws NotAvailableError.
import { runtime, platform } from "./runtime.ts";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;
// deno-lint-ignore no-explicit-any
let bunFfi: any = null;
if (runtime === "bun") {
  // Loaded inside the Bun branch only: a static import makes Deno refuse the module. Bun's
  // synchronous import.meta.require (not a top-level await) keeps the module loadable by require()
  // from CommonJS, and bundlers (`bun build --compile`) see the literal name.
  bunFfi = (import.meta as unknown as { require(id: string): unknown }).require("bun:ffi");
}

/** C types a symbol may take or return. `buf` is a TypedArray passed as a pointer; `nbuf` is the
 * same but may also be null (slower on Bun, whose fast "buffer" type refuses null); `ptr` is an
 * opaque pointer that C returned and that JS never dereferences directly. */
export type NativeType = "i8" | "u8" | "i16" | "u16" | "i32" | "u32" | "i64" | "u64" | "f64" | "buf" | "nbuf" | "ptr" | "void";

/** How to bind one C function: its argument and result types, and whether it may be missing. */
export interface SymbolSpec {
  /** The argument types, in order. */
  args: readonly NativeType[];
  /** The result type. */
  result: NativeType;
  /** Absent on some platforms or libc versions: resolved to a throwing stub instead of failing the load. */
  optional?: boolean;
  /** The C symbol, when the key is another name for it (the same function bound with other types). */
  symbol?: string;
  /**
   * Run each call on a helper thread and return a Promise of its result, leaving the JS thread
   * free (Deno's `nonblocking`). Bun has no such calls: opening a library with one throws there.
   */
  nonblocking?: boolean;
}

/** An opaque pointer returned by C (a number on Bun, a PointerObject on Deno). */
export type NativePointer = { readonly __nativePointer: unique symbol } | null;

/** Raised when calling a symbol that this platform's library does not have. */
export class NotAvailableError extends Error {
  /** The C symbol that was called. */
  readonly symbol: string;
  /**
   * `symbol` is missing from `library` on this platform.
   *
   * @param symbol the C function asked for
   * @param library the library it was looked up in
   */
  constructor(symbol: string, library: string) {
    super(`${symbol}() is not available on this platform (${platform}, ${library})`);
    this.name = "NotAvailableError";
    this.symbol = symbol;
  }
}

const bunTypes: Record<NativeType, string> = {
  i8: "i8", u8: "u8", i16: "i16", u16: "u16", i32: "i32", u32: "u32", i64: "i64", u64: "u64",
  // "buffer" passes a view ~3x faster than "ptr" (measured: epoll_wait 1.0 vs 1.6 us here).
  f64: "f64", buf: "buffer", nbuf: "ptr", ptr: "ptr", void: "void",
};
const denoTypes: Record<NativeType, string> = {
  i8: "i8", u8: "u8", i16: "i16", u16: "u16", i32: "i32", u32: "u32", i64: "i64", u64: "u64",
  f64: "f64", buf: "buffer", nbuf: "buffer", ptr: "pointer", void: "void",
};

/** A library opened with openLibrary(): its bound symbols, and which optional ones it lacks. */
export interface OpenedLibrary<T> {
  /** The path that was opened. */
  path: string;
  /** The callable symbols (missing optional ones throw NotAvailableError). */
  symbols: T;
  /** Names of optional symbols this library lacks. */
  missing: Set<string>;
  /** Closes the library: its symbols must not be called afterwards. */
  close(): void;
}

function toBunSpec(spec: SymbolSpec) {
  if (spec.nonblocking) throw new Error("Bun has no nonblocking FFI calls (run the call in a Worker instead)");
  return { args: spec.args.map((t) => bunTypes[t]), returns: bunTypes[spec.result] };
}

function toDenoSpec(spec: SymbolSpec) {
  return {
    name: spec.symbol, parameters: spec.args.map((t) => denoTypes[t]), result: denoTypes[spec.result], optional: spec.optional,
    nonblocking: spec.nonblocking,
  };
}

function missingStub(name: string, path: string) {
  return () => {
    throw new NotAvailableError(name, path);
  };
}

/**
 * Opens the first of `paths` that loads and binds `specs`. Required symbols must all be present;
 * optional ones that are absent are listed in `missing` and throw when called.
 */
export function openLibrary<T>(paths: string | readonly string[], specs: Record<string, SymbolSpec>): OpenedLibrary<T> {
  const candidates = typeof paths === "string" ? [paths] : paths;
  const failures: string[] = [];
  for (const path of candidates) {
    try {
      return runtime === "bun" ? openBun<T>(path, specs) : openDeno<T>(path, specs);
    } catch (err) {
      failures.push(`${path}: ${(err as Error).message}`);
    }
  }
  throw new Error(`cannot open a native library (tried ${failures.join("; ")})`);
}

function openBun<T>(path: string, specs: Record<string, SymbolSpec>): OpenedLibrary<T> {
  const required: Record<string, unknown> = {};
  const separate: string[] = [];
  for (const [name, spec] of Object.entries(specs)) {
    // Bun fails a whole dlopen on one absent symbol, so each optional symbol is probed on its own;
    // and it names each function by its C symbol, so another binding of one needs its own handle.
    if (spec.optional || (spec.symbol !== undefined && spec.symbol !== name)) separate.push(name);
    else required[name] = toBunSpec(spec);
  }
  const main = bunFfi.dlopen(path, required);
  const symbols: Record<string, unknown> = { ...main.symbols };
  const handles = [main];
  const missing = new Set<string>();
  for (const name of separate) {
    const spec = specs[name];
    const symbol = spec.symbol ?? name;
    try {
      const lib = bunFfi.dlopen(path, { [symbol]: toBunSpec(spec) });
      handles.push(lib);
      symbols[name] = lib.symbols[symbol];
    } catch (err) {
      if (!spec.optional) throw err;
      missing.add(name);
      symbols[name] = missingStub(name, path);
    }
  }
  return { path, symbols: symbols as T, missing, close: () => handles.forEach((h) => h.close()) };
}

function openDeno<T>(path: string, specs: Record<string, SymbolSpec>): OpenedLibrary<T> {
  const denoSpecs: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) denoSpecs[name] = toDenoSpec(spec);
  const lib = g.Deno.dlopen(path, denoSpecs);
  const symbols: Record<string, unknown> = {};
  const missing = new Set<string>();
  for (const name of Object.keys(specs)) {
    const fn = lib.symbols[name];
    if (fn == null) {
      missing.add(name);
      symbols[name] = missingStub(name, path);
    } else {
      symbols[name] = fn;
    }
  }
  return { path, symbols: symbols as T, missing, close: () => lib.close() };
}

// ---- 64-bit arguments --------------------------------------------------------------------------

/** A value for a 64-bit (size_t, long) parameter: BigInt on Deno (its fast path), number on Bun. */
export type U64Arg = number | bigint;

/** Converts a length or other 64-bit argument to the form this runtime's fast path wants. */
export const u64arg: (n: number) => U64Arg = runtime === "deno" ? (n) => BigInt(n) : (n) => n;

/** Largest byte count passed to one read/write-style call, so an i32 result never overflows. */
export const MAX_IO = 0x3fff_0000;

// ---- Native memory ---------------------------------------------------------------------------

/** Whether C returned NULL. */
export function isNull(p: NativePointer): boolean {
  // deno-lint-ignore no-explicit-any
  return p === null || (p as any) === 0;
}

/** The numeric address of a pointer C returned. */
export function pointerAddress(p: NativePointer): bigint {
  if (isNull(p)) return 0n;
  // deno-lint-ignore no-explicit-any
  return runtime === "bun" ? BigInt(p as any) : BigInt(g.Deno.UnsafePointer.value(p));
}

/** An ArrayBuffer aliasing `length` bytes of native memory at `p` (no copy). */
export function nativeMemory(p: NativePointer, length: number): ArrayBuffer {
  if (isNull(p)) throw new RangeError("cannot view native memory at a NULL pointer");
  return runtime === "bun" ? bunFfi.toArrayBuffer(p, 0, length) : g.Deno.UnsafePointerView.getArrayBuffer(p, length);
}

/** Reads the NUL-terminated C string at `p`. */
export function readCString(p: NativePointer): string {
  if (isNull(p)) return "";
  return runtime === "bun" ? new bunFfi.CString(p).toString() : g.Deno.UnsafePointerView.getCString(p);
}

/** The address of a view's first byte. Only call this on memory that cannot move (see StableBuffer). */
export function addressOf(view: ArrayBufferView): bigint {
  if (runtime === "bun") return BigInt(bunFfi.ptr(view));
  return BigInt(g.Deno.UnsafePointer.value(g.Deno.UnsafePointer.of(view)) ?? 0);
}

/**
 * Native-visible memory whose address may be stored in other structures (iovec, msghdr):
 * backed by its own ArrayBuffer (small TypedArrays can move on Bun), address computed once.
 * Keep the StableBuffer referenced for as long as C may use the address.
 */
export class StableBuffer {
  /** The memory, as bytes. */
  readonly bytes: Uint8Array;
  /** The same memory, for reading and writing fields. */
  readonly view: DataView;
  /** The memory's native address, for storing into C structs. */
  readonly address: bigint;
  /** `size` bytes of zeroed memory at a fixed address. */
  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size <= 0) throw new RangeError(`StableBuffer size must be a positive integer, got ${size}`);
    const buffer = new ArrayBuffer(size);
    this.bytes = new Uint8Array(buffer);
    this.view = new DataView(buffer);
    this.address = addressOf(this.bytes);
  }
  /** Address of byte `offset` inside this buffer. */
  at(offset: number): bigint {
    return this.address + BigInt(offset);
  }
}

/** Writes a 64-bit pointer or size field into a DataView (little-endian hosts). */
export function setU64(view: DataView, offset: number, value: bigint | number): void {
  view.setBigUint64(offset, typeof value === "bigint" ? value : BigInt(value), true);
}
