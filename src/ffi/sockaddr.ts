// Socket addresses: IPv4, IPv6 (numeric literals; host names are resolved above this layer, by
// the DNS resolver and the hosts file) and Unix-domain paths, encoded into and decoded from the
// platform's sockaddr layouts.
import { constants as C, layout as L } from "./layout.ts";

/** A decoded socket address: IPv4 or IPv6 (numeric host, port), or a Unix-domain path ("@name" for a Linux abstract name). */
export type SocketAddress =
  | { family: "ipv4"; host: string; port: number }
  | { family: "ipv6"; host: string; port: number; scopeId?: number }
  | { family: "unix"; path: string };

/**
 * Where to listen or connect: `{ port, host? }` (host defaults to 127.0.0.1) or `{ path }`
 * (a Unix socket; a path starting with "@" is a Linux abstract name, as systemd writes them).
 */
export type AddressSpec = { host?: string; port: number } | { path: string };

const encoder = new TextEncoder();

function parseIpv4(host: string): number[] | null {
  const parts = host.split(".");
  if (parts.length !== 4) return null;
  const bytes = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : -1));
  return bytes.every((b) => b >= 0 && b <= 255) ? bytes : null;
}

function parseIpv6(host: string): number[] | null {
  let h = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  const zone = h.indexOf("%");
  if (zone >= 0) h = h.slice(0, zone);
  let tail: number[] = [];
  const lastColon = h.lastIndexOf(":");
  if (h.includes(".") && lastColon >= 0) {
    // An embedded IPv4 tail, e.g. ::ffff:127.0.0.1
    const v4 = parseIpv4(h.slice(lastColon + 1));
    if (!v4) return null;
    tail = v4;
    h = h.slice(0, lastColon + 1) + "0:0";
  }
  const halves = h.split("::");
  if (halves.length > 2) return null;
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? head.length !== 8 : missing < 0) return null;
  const all = [...head, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...rest];
  const bytes: number[] = [];
  for (const g of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    const v = parseInt(g, 16);
    bytes.push(v >> 8, v & 0xff);
  }
  if (tail.length) bytes.splice(12, 4, ...tail);
  return bytes;
}

/** Turns an AddressSpec into a SocketAddress, throwing TypeError/RangeError on bad input. */
export function resolveAddress(spec: AddressSpec | SocketAddress): SocketAddress {
  if (typeof spec !== "object" || spec === null) throw new TypeError(`address must be an object, got ${String(spec)}`);
  if ("family" in spec) return spec;
  if ("path" in spec) {
    if (typeof spec.path !== "string" || spec.path.length === 0) throw new TypeError(`path must be a non-empty string, got ${String(spec.path)}`);
    if (encoder.encode(spec.path).length >= L.sockaddr_un.size - L.sockaddr_un.path) {
      throw new RangeError(`Unix socket path too long (${spec.path.length} bytes, max ${L.sockaddr_un.size - L.sockaddr_un.path - 1})`);
    }
    return { family: "unix", path: spec.path };
  }
  const { port } = spec;
  const host = spec.host ?? "127.0.0.1";
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`port must be an integer 0..65535, got ${String(port)}`);
  if (parseIpv4(host)) return { family: "ipv4", host, port };
  if (host === "localhost") return { family: "ipv4", host: "127.0.0.1", port };
  if (parseIpv6(host)) return { family: "ipv6", host: host.replace(/^\[|\]$/g, ""), port };
  throw new TypeError(`host must be a numeric IPv4 or IPv6 address here (host names are for BufferEvent.connect, Listener and Resolver), got ${JSON.stringify(host)}`);
}

/** The socket() domain for an address. */
export function domainOf(addr: SocketAddress): number {
  return addr.family === "ipv4" ? C.AF_INET : addr.family === "ipv6" ? C.AF_INET6 : C.AF_UNIX;
}

function writeFamily(view: DataView, family: number, at: number, len: number | null, size: number): void {
  if (len !== null) {
    view.setUint8(len, size);
    view.setUint8(at, family);
  } else {
    view.setUint16(at, family, true);
  }
}

/** Encodes a sockaddr; returns the bytes and the length to pass to bind/connect. */
export function encodeAddress(addr: SocketAddress): { bytes: Uint8Array; length: number } {
  if (addr.family === "unix") {
    const U = L.sockaddr_un;
    const bytes = new Uint8Array(U.size);
    const view = new DataView(bytes.buffer);
    writeFamily(view, C.AF_UNIX, U.family, L.sockaddr_in.len === null ? null : 0, U.size);
    // A leading "@" names a Linux abstract socket: a NUL first byte, the name after it, and a
    // length that counts the name's bytes only (no terminating NUL; the name may hold any byte).
    const abstract = addr.path.startsWith("@");
    const path = encoder.encode(abstract ? addr.path.slice(1) : addr.path);
    bytes.set(path, U.path + (abstract ? 1 : 0));
    return { bytes, length: U.path + path.length + 1 };
  }
  if (addr.family === "ipv4") {
    const A = L.sockaddr_in;
    const bytes = new Uint8Array(A.size);
    const view = new DataView(bytes.buffer);
    writeFamily(view, C.AF_INET, A.family, A.len, A.size);
    view.setUint16(A.port, addr.port, false);
    bytes.set(parseIpv4(addr.host)!, A.addr);
    return { bytes, length: A.size };
  }
  const A = L.sockaddr_in6;
  const bytes = new Uint8Array(A.size);
  const view = new DataView(bytes.buffer);
  writeFamily(view, C.AF_INET6, A.family, L.sockaddr_in.len === null ? null : 0, A.size);
  view.setUint16(A.port, addr.port, false);
  bytes.set(parseIpv6(addr.host)!, A.addr);
  view.setUint32(A.scope_id, addr.scopeId ?? 0, true);
  return { bytes, length: A.size };
}

/** The dotted text of the 4-byte IPv4 address at `offset` (in a sockaddr or a control message). */
export function ipv4Text(view: DataView, offset: number): string {
  return `${view.getUint8(offset)}.${view.getUint8(offset + 1)}.${view.getUint8(offset + 2)}.${view.getUint8(offset + 3)}`;
}

/** The text of the 16-byte IPv6 address at `offset`, its longest run of zero groups written "::". */
export function ipv6Text(view: DataView, offset: number): string {
  const groups: string[] = [];
  for (let i = 0; i < 8; i++) groups.push(view.getUint16(offset + 2 * i, false).toString(16));
  return groups.join(":").replace(/(^|:)0(:0)+(:|$)/, "::").replace(/:{3,}/, "::");
}

/** The 4 or 16 bytes of a numeric IPv4 or IPv6 address, or null when `host` is neither. */
export function addressBytes(host: string): { family: "ipv4" | "ipv6"; bytes: number[] } | null {
  const v4 = parseIpv4(host);
  if (v4) return { family: "ipv4", bytes: v4 };
  const v6 = parseIpv6(host);
  return v6 ? { family: "ipv6", bytes: v6 } : null;
}

/** Decodes a sockaddr filled by the kernel (accept, getsockname, getpeername). */
export function decodeAddress(bytes: Uint8Array, length: number): SocketAddress {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const family = L.sockaddr_in.familySize === 1 ? view.getUint8(L.sockaddr_in.family) : view.getUint16(L.sockaddr_in.family, true);
  if (family === C.AF_INET) {
    const A = L.sockaddr_in;
    return { family: "ipv4", host: ipv4Text(view, A.addr), port: view.getUint16(A.port, false) };
  }
  if (family === C.AF_INET6) {
    const A = L.sockaddr_in6;
    return { family: "ipv6", host: ipv6Text(view, A.addr), port: view.getUint16(A.port, false), scopeId: view.getUint32(A.scope_id, true) };
  }
  const U = L.sockaddr_un;
  if (length > U.path && bytes[U.path] === 0) {
    return { family: "unix", path: "@" + new TextDecoder().decode(bytes.subarray(U.path + 1, length)) };
  }
  const end = bytes.indexOf(0, U.path);
  const path = new TextDecoder().decode(bytes.subarray(U.path, end === -1 || end > length ? length : end));
  return { family: "unix", path };
}

/** A buffer big enough for any sockaddr, and its length word for accept/getsockname. */
export function addressBuffer(): { bytes: Uint8Array; length: Uint32Array } {
  return { bytes: new Uint8Array(128), length: new Uint32Array([128]) };
}

/** "127.0.0.1:8080", "[::1]:8080" or the Unix path. */
export function formatAddress(addr: SocketAddress): string {
  return addr.family === "ipv4" ? `${addr.host}:${addr.port}` : addr.family === "ipv6" ? `[${addr.host}]:${addr.port}` : addr.path;
}
