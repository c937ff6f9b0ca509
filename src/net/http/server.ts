// An HTTP/1.1 server on Listener + BufferEvent with a raw handler: the request as parsed (method,
// target, headers, body) in, a response object or prebuilt bytes (or a Promise of either) out.
// Keep-alive, pipelining (answers in request order), chunked request bodies, streamed responses,
// HEAD, Expect: 100-continue, an upgrade hook, and a bound on every buffer and wait (see
// connection.ts for what each one stops).
import type { EventBase } from "../../core/base.ts";
import { libc } from "../../ffi/mod.ts";
import { BufferEvent } from "../bufferevent.ts";
import { Listener, type ListenerOptions } from "../listener.ts";
import type { AddressSpec, SocketAddress } from "../../ffi/sockaddr.ts";
import { DEFAULT_LIMITS, type HttpRequest, type ParseLimits } from "./parser.ts";
import { HttpConnection } from "./connection.ts";
import { describeHttpServer } from "../inspect.ts";
import { printAs } from "../../ffi/mod.ts";

/** A response body: bytes, text, or a stream of either (sent chunked, as it comes). */
export type ResponseBody = string | Uint8Array | ReadableStream<Uint8Array | string> | AsyncIterable<Uint8Array | string>;

/** What an HttpHandler returns: a status, a body, and headers; the server adds the framing. */
export interface HttpResponse {
  /** 200 by default. */
  status?: number;
  /** The body (default empty): bytes or text with a Content-Length, or a stream sent chunked. */
  body?: ResponseBody;
  /** Content-Type (default "text/plain"). */
  contentType?: string;
  /** More header fields, as [name, value] pairs (framing fields such as Content-Length are the server's). */
  headers?: [string, string][];
}

/**
 * Answers a request with a response, or the complete response bytes (prebuilt with
 * formatResponse, sent as they are, even to HEAD), or a Promise of either.
 */
export type HttpHandler = (request: HttpRequest) => HttpResponse | Uint8Array | PromiseLike<HttpResponse | Uint8Array>;

/** Takes over an upgraded connection: its BufferEvent, with callbacks cleared, reading disabled, and any bytes after the request head in its input. */
export type UpgradeHandler = (request: HttpRequest, socket: BufferEvent) => void;

/** Limits, timeouts and hooks of an HttpServer, and its Listener's options. */
export interface HttpServerOptions extends ParseLimits, ListenerOptions {
  /** Close a connection silent this long between requests, in ms (default 5000; null: never). */
  keepAliveTimeoutMs?: number | null;
  /** The whole request head must arrive within this many ms of its first byte, or 408 (default 10000). */
  headersTimeoutMs?: number | null;
  /** A request body must arrive within this many ms of its head, or 408 (default 30000). */
  bodyTimeoutMs?: number | null;
  /** Close a connection whose unsent output makes no progress for this long, in ms (default 30000). */
  sendTimeoutMs?: number | null;
  /** Stop reading requests while more than this many bytes of output are unsent (default 65536). */
  outputHighWater?: number;
  /** Then read again (and refill a streamed body) once output is down to this many (default outputHighWater / 4). */
  outputLowWater?: number;
  /**
   * Stop parsing requests while this many await their (async) answers (default 16). The socket is
   * still read up to maxHeaderBytes + 64 KiB, so a client that closes meanwhile is noticed: one
   * that ends with requests still unparsed is closed at once, its pending answers dropped.
   */
  maxPendingRequests?: number;
  /**
   * Open connections at most (default 10000). At the limit the listener pauses until one closes;
   * connections its current accept batch still takes are closed at once.
   */
  maxConnections?: number;
  /** Called with a handler's error (thrown or rejected; the client gets 500). Default: logged to stderr. */
  onError?: (error: unknown, request: HttpRequest | null) => void;
  /** Called for a request with "Connection: upgrade" and an Upgrade header; without it such requests reach the handler. */
  onUpgrade?: UpgradeHandler;
  /**
   * Hand a request to the handler as soon as its head is read, with its body as `bodyStream`
   * (read as the handler reads it, so at most a few pieces are held) instead of after the whole
   * body arrived in `body` (default false).
   */
  streamRequestBodies?: boolean;
  /** @deprecated the same as keepAliveTimeoutMs. */
  idleTimeoutMs?: number;
}

/** Everything a connection needs, resolved once per server. */
export interface HttpServerConfig extends Required<ParseLimits> {
  handler: HttpHandler;
  keepAliveTimeoutMs: number | null;
  headersTimeoutMs: number | null;
  bodyTimeoutMs: number | null;
  sendTimeoutMs: number | null;
  outputHighWater: number;
  outputLowWater: number;
  maxPendingRequests: number;
  onError: (error: unknown, request: HttpRequest | null) => void;
  onUpgrade: UpgradeHandler | null;
  streamRequestBodies: boolean;
}

function positive(name: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${typeof v === "number" ? v : typeof v}`);
  return v;
}

function timeout(name: string, v: unknown, fallback: number | null): number | null {
  if (v === undefined) return fallback;
  if (v === null) return null;
  if (typeof v !== "number" || !(v > 0) || !Number.isFinite(v)) throw new RangeError(`${name} must be a positive number of ms or null, got ${typeof v === "number" ? v : typeof v}`);
  return v;
}

function logError(error: unknown, request: HttpRequest | null): void {
  console.error(`evffi http: handler failed${request ? ` for ${request.method} ${request.target}` : ""}:`, error);
}

/**
 * An HTTP/1.1 server on `base`. `{ port }` alone listens on all IPv4 interfaces ("0.0.0.0"), as
 * Bun.serve, Deno.serve and node:http do; give `host: "127.0.0.1"` for loopback only.
 *
 * @example
 * ```ts
 * import { EventBase, HttpServer } from "evffi";
 *
 * const base = new EventBase();
 * // Port 0 picks a free port; a real server names one.
 * const server = new HttpServer(base, { host: "127.0.0.1", port: 0 }, (req) => ({ body: `you asked for ${req.target}` }));
 * const { port } = server.address as { port: number };
 * const running = base.loop(); // runs inside the host's event loop, so fetch() below runs too
 * const res = await fetch(`http://127.0.0.1:${port}/hello`);
 * console.log(await res.text()); // prints: you asked for /hello
 * server.close(); // stops accepting and closes the connections
 * await running;  // the loop returns: nothing is left to wait for
 * base.close();
 * ```
 */
export class HttpServer {
  /** The Listener accepting the server's connections. */
  readonly listener: Listener;
  private readonly connections = new Set<HttpConnection>();
  private readonly config: HttpServerConfig;
  private readonly maxConnections: number;
  private accepting = true;
  private isClosed = false;

  /** Listens on `address` (`{ port, host? }`: host defaults to 0.0.0.0 here, or `{ path }`) and answers each request with `handler`, on `base`'s loop. */
  constructor(readonly base: EventBase, address: AddressSpec, handler: HttpHandler, options: HttpServerOptions = {}) {
    if (typeof handler !== "function") throw new TypeError(`handler must be a function, got ${typeof handler}`);
    if (options.onError !== undefined && typeof options.onError !== "function") throw new TypeError(`onError must be a function, got ${typeof options.onError}`);
    if (options.onUpgrade !== undefined && typeof options.onUpgrade !== "function") throw new TypeError(`onUpgrade must be a function, got ${typeof options.onUpgrade}`);
    this.config = {
      handler,
      maxHeaderBytes: positive("maxHeaderBytes", options.maxHeaderBytes, DEFAULT_LIMITS.maxHeaderBytes),
      maxHeaderCount: positive("maxHeaderCount", options.maxHeaderCount, DEFAULT_LIMITS.maxHeaderCount),
      maxBodyBytes: positive("maxBodyBytes", options.maxBodyBytes, DEFAULT_LIMITS.maxBodyBytes),
      keepAliveTimeoutMs: timeout("keepAliveTimeoutMs", options.keepAliveTimeoutMs !== undefined ? options.keepAliveTimeoutMs : options.idleTimeoutMs, 5000),
      headersTimeoutMs: timeout("headersTimeoutMs", options.headersTimeoutMs, 10_000),
      bodyTimeoutMs: timeout("bodyTimeoutMs", options.bodyTimeoutMs, 30_000),
      sendTimeoutMs: timeout("sendTimeoutMs", options.sendTimeoutMs, 30_000),
      outputHighWater: positive("outputHighWater", options.outputHighWater, 65536),
      outputLowWater: 0,
      maxPendingRequests: positive("maxPendingRequests", options.maxPendingRequests, 16),
      onError: options.onError ?? logError,
      onUpgrade: options.onUpgrade ?? null,
      streamRequestBodies: options.streamRequestBodies === true,
    };
    const low = options.outputLowWater ?? Math.floor(this.config.outputHighWater / 4);
    if (typeof low !== "number" || !Number.isInteger(low) || low < 0 || low > this.config.outputHighWater) {
      throw new RangeError(`outputLowWater must be an integer from 0 to outputHighWater (${this.config.outputHighWater}), got ${typeof low === "number" ? low : typeof low}`);
    }
    this.config.outputLowWater = low;
    this.maxConnections = positive("maxConnections", options.maxConnections, 10_000);
    if ("port" in address && address.host === undefined) address = { ...address, host: "0.0.0.0" };
    this.listener = new Listener(base, address, (fd) => this.accept(fd), { noDelay: true, ...options });
  }

  /** The bound address. */
  get address(): SocketAddress {
    return this.listener.address;
  }

  /** Open connections. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Per connection: unsent output and unread input bytes, and requests awaiting answers (to watch the bounds hold). */
  get connectionStats(): { bufferedOutput: number; bufferedInput: number; pendingRequests: number }[] {
    return [...this.connections].map((c) => ({ bufferedOutput: c.bufferedOutput, bufferedInput: c.bufferedInput, pendingRequests: c.pendingRequests }));
  }

  /** Whether close() was called. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Same as close(), for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Stops listening and closes every connection. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.listener.close();
    for (const c of [...this.connections]) c.close();
    this.connections.clear();
  }

  private accept(fd: number): void {
    if (this.connections.size >= this.maxConnections) {
      // The listener's accept loop runs to EAGAIN after it was paused: what it still takes is shed.
      libc.close(fd);
      return;
    }
    const connection = new HttpConnection(new BufferEvent(this.base, fd), this.config, (c) => this.forget(c));
    this.connections.add(connection);
    if (this.connections.size >= this.maxConnections && this.accepting) {
      this.accepting = false;
      this.listener.disable();
    }
  }

  private forget(connection: HttpConnection): void {
    this.connections.delete(connection);
    if (!this.accepting && !this.isClosed && this.connections.size < this.maxConnections) {
      this.accepting = true;
      this.listener.enable();
    }
  }
}

printAs(HttpServer, describeHttpServer);
