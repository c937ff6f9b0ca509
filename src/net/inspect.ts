// The one-line descriptions the net objects print as (console.log, a REPL, String()). A socket's
// description is what one wants to know when exploring: its fd, which directions are on, how many
// bytes wait each way, the watermarks; never the buffers' chunks or the callbacks' closures.
// Each class installs its description (printAs) in its own file, so a deep import prints well too.
import { formatAddress } from "../ffi/mod.ts";
import { EV, describeEvents } from "../core/flags.ts";
import { type AbstractBufferEvent, SUSPEND_RATE, SUSPEND_WATERMARK } from "./abstract-bufferevent.ts";
import type { EvBuffer } from "./evbuffer.ts";
import type { Listener } from "./listener.ts";
import type { DatagramSocket } from "./datagram.ts";
import type { HttpServer } from "./http/server.ts";

/**
 * What a buffer prints as: its length.
 *
 * @example
 * ```ts
 * const buf = new EvBuffer().add("hello");
 * console.log(buf); // EvBuffer { length: 5 }
 * ```
 */
export function describeEvBuffer(buf: EvBuffer): string {
  return `EvBuffer { length: ${buf.length} }`;
}

function watermark(w: { low: number; high: number }): string {
  return `${w.low}..${w.high === 0 ? "unlimited" : w.high}`;
}

/**
 * What a bufferevent prints as: its fd (for a socket's), the directions enabled, bytes buffered each
 * way, the watermarks, and why reading is paused when it is.
 *
 * @example
 * ```ts
 * console.log(bev); // BufferEvent { fd: 7, enabled: READ|WRITE, input: 0 bytes, output: 12 bytes, read watermark: 0..unlimited, write watermark: 0..unlimited }
 * ```
 */
export function describeBufferEvent(bev: AbstractBufferEvent): string {
  const kind = bev.constructor.name || "BufferEvent";
  if (bev.closed) return `${kind} { closed }`;
  const parts: string[] = [];
  const fd = (bev as { fd?: unknown }).fd;
  if (typeof fd === "number") parts.push(`fd: ${fd}`);
  parts.push(`enabled: ${bev.enabledEvents ? describeEvents(bev.enabledEvents) : "none"}`);
  parts.push(`input: ${bev.input.length} bytes`, `output: ${bev.output.length} bytes`);
  parts.push(`read watermark: ${watermark(bev.getWatermark(EV.READ))}`, `write watermark: ${watermark(bev.getWatermark(EV.WRITE))}`);
  // Which pause holds reading back is protected state; describing it is why this module reads it.
  const suspended = (bev as unknown as { readSuspended: number }).readSuspended;
  if (suspended & SUSPEND_WATERMARK) parts.push("reading paused: high watermark");
  if (suspended & SUSPEND_RATE) parts.push("reading paused: rate limit");
  return `${kind} { ${parts.join(", ")} }`;
}

/**
 * What a listener prints as: its fd, address and whether it accepts.
 *
 * @example
 * ```ts
 * console.log(listener); // Listener { fd: 6, address: 127.0.0.1:8080, accepting: yes }
 * ```
 */
export function describeListener(listener: Listener): string {
  if (listener.closed) return "Listener { closed }";
  const accepting = (listener as unknown as { accepting: boolean }).accepting;
  return `Listener { fd: ${listener.fd}, address: ${formatAddress(listener.address)}, accepting: ${accepting ? "yes" : "no"} }`;
}

/**
 * What a datagram socket prints as: its fd, type and local address.
 *
 * @example
 * ```ts
 * console.log(sock); // DatagramSocket { fd: 8, type: udp4, address: 127.0.0.1:41234 }
 * ```
 */
export function describeDatagramSocket(sock: DatagramSocket): string {
  if (sock.closed) return "DatagramSocket { closed }";
  let address: string;
  try {
    address = formatAddress(sock.address);
  } catch {
    address = "?";
  }
  const connected = (sock as unknown as { connected: boolean }).connected;
  return `DatagramSocket { fd: ${sock.fd}, type: ${sock.type}, address: ${address}${connected ? ", connected" : ""} }`;
}

/**
 * What an HTTP server prints as: its address, open connections and whether it accepts.
 *
 * @example
 * ```ts
 * console.log(server); // HttpServer { address: 127.0.0.1:8080, connections: 2, accepting: yes }
 * ```
 */
export function describeHttpServer(server: HttpServer): string {
  if (server.closed) return "HttpServer { closed }";
  const accepting = (server as unknown as { accepting: boolean }).accepting;
  return `HttpServer { address: ${formatAddress(server.address)}, connections: ${server.connectionCount}, accepting: ${accepting ? "yes" : "no"} }`;
}
