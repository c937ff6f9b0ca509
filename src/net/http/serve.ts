// A fetch-style server in the shape of Bun.serve and Deno.serve: a `fetch(request)` handler with
// Web-standard Request and Response, on HttpServer (so with every one of its bounds), running on a
// base of its own in the host's event loop (`await base.loop()`) so handlers can await anything.
import { EventBase } from "../../core/base.ts";
import type { HttpRequest } from "./parser.ts";
import { type HttpResponse, HttpServer, type HttpServerOptions } from "./server.ts";

/** serve()'s options: Bun.serve's and Deno.serve's names where they have one, and HttpServer's limits and timeouts. */
export interface ServeOptions extends Omit<HttpServerOptions, "onError" | "onUpgrade"> {
  /** The port (default 3000, as Bun.serve; 0 picks a free one). */
  port?: number;
  /**
   * The address to listen on (default "0.0.0.0": all IPv4 interfaces, as Bun.serve, Deno.serve and
   * node:http): numeric, or a name the hosts file lists ("localhost" binds 127.0.0.1; listening
   * stays synchronous, so DNS is not asked). The server's `hostname` is the address bound.
   *
   * @example
   * ```ts
   * import { serve } from "evffi";
   *
   * const server = serve({ hostname: "localhost", port: 0, fetch: () => new Response("hi") });
   * console.log(server.url.hostname); // prints: 127.0.0.1
   * await server.close();
   * ```
   */
  hostname?: string;
  /** Answers a request. */
  fetch: (request: Request, server: Server) => Response | Promise<Response>;
  /** Called when `fetch` throws or rejects; its Response (if any) is sent, otherwise 500. Default: logged to stderr. */
  onError?: (error: unknown) => Response | Promise<Response> | void;
  /** Called once listening, with the bound address. */
  onListen?: (address: { hostname: string; port: number }) => void;
  /** Closes the server when aborted. */
  signal?: AbortSignal;
  /** Runs on this base (whose loop the caller runs) instead of a base of its own. */
  base?: EventBase;
}

/** A running fetch-style server. */
export interface Server {
  /** The bound port (the one the kernel picked when 0 was asked). */
  readonly port: number;
  /** The address listened on. */
  readonly hostname: string;
  /** "http://hostname:port/". */
  readonly url: URL;
  /** Resolves once the server is closed and its loop has returned. */
  readonly finished: Promise<void>;
  /** Whether close() was called (or the signal aborted). */
  readonly closed: boolean;
  /** Stops listening, closes every connection, and resolves when done. */
  close(): Promise<void>;
  /** close(), for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Fields the server writes itself (framing and connection management). */
const MANAGED = new Set(["content-length", "transfer-encoding", "connection", "keep-alive"]);
const NO_BODY_METHODS = new Set(["GET", "HEAD"]);

/** The Web Request for a parsed request. @internal */
export function toRequest(req: HttpRequest, origin: string): Request {
  const headers = req.headers;
  let host = "";
  for (let i = 0; i < headers.length; i++) {
    if (headers[i][0] === "host") {
      host = headers[i][1];
      break;
    }
  }
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(req.target) ? req.target
    : host && req.target.startsWith("/") ? `http://${host}${req.target}` : origin + (req.target.startsWith("/") ? req.target.slice(1) : "");
  // Headers from the pairs: on Deno this costs a third less than appending one by one.
  if (NO_BODY_METHODS.has(req.method)) {
    void req.bodyStream?.cancel(); // GET and HEAD cannot carry one in a Request: read and dropped
    return new Request(url, { method: req.method, headers });
  }
  if (req.bodyStream !== null) return new Request(url, { method: req.method, headers, body: req.bodyStream, duplex: "half" } as RequestInit);
  return new Request(url, { method: req.method, headers, body: req.body.length > 0 ? (req.body as Uint8Array<ArrayBuffer>) : null });
}

/** Microtask turns a finished body's last read may take to settle (measured: 2 on Bun), with slack. */
const SETTLE_TURNS = 4;

/**
 * The HttpResponse for a Web Response. A body whose first piece is also its last is sent with
 * Content-Length: after the first read, the second is looked at only if it has settled within a
 * few microtask turns (a body made from a string or bytes ends there), so a live stream's first piece is
 * never held back waiting for its second. Any other body streams, chunked, as the Response
 * produces it.
 * @internal
 */
export async function fromResponse(response: Response): Promise<HttpResponse> {
  if (!(response instanceof Response)) throw new TypeError(`fetch must return a Response, got ${response === null ? "null" : typeof response}`);
  const headers: [string, string][] = [];
  // Iteration yields each Set-Cookie on its own (the Fetch standard), so no getSetCookie() pass.
  response.headers.forEach((value, name) => {
    if (!MANAGED.has(name)) headers.push([name, value]);
  });
  const out: HttpResponse = { status: response.status, headers, contentType: "" };
  if (response.body === null) return out;
  const reader = response.body.getReader();
  const first = await reader.read();
  if (first.done) {
    reader.releaseLock();
    return out;
  }
  // The second read of a body made from a string or bytes settles within a few microtask turns
  // (one on Deno, two on Bun): wait that long, never for a task, so a live stream is not held.
  const secondRead = reader.read();
  let second: Awaited<typeof secondRead> | null = null;
  let failure: { error: unknown } | null = null;
  secondRead.then((r) => void (second = r), (error) => void (failure = { error }));
  for (let turn = 0; turn < SETTLE_TURNS && second === null && failure === null; turn++) await undefined;
  if (failure !== null) throw (failure as { error: unknown }).error;
  if (second !== null && (second as Awaited<typeof secondRead>).done) {
    reader.releaseLock();
    out.body = first.value;
    return out;
  }
  out.body = (async function* () {
    try {
      yield first.value;
      const next = await secondRead;
      if (next.done) return;
      yield next.value;
      for (;;) {
        const next = await reader.read();
        if (next.done) return;
        yield next.value;
      }
    } finally {
      // Stopped early (the client left, or HEAD): let the Response's source know.
      reader.cancel().catch(() => {});
    }
  })();
  return out;
}

function logError(error: unknown): void {
  console.error("evffi serve: fetch failed:", error);
}

/**
 * Starts an HTTP/1.1 server with a fetch-style handler, like Bun.serve and Deno.serve: Web Request
 * in, Web Response (or a Promise of one) out, bodies streamed both ways: `fetch` runs once the
 * request head is read, and its Request's body delivers the bytes as they arrive.
 *
 * @example
 * ```ts
 * import { serve } from "evffi";
 *
 * // Port 0 picks a free port; a real server would name one (the default is 3000).
 * const server = serve({
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   fetch: (req) => new Response(`you asked for ${new URL(req.url).pathname}`),
 * });
 * const res = await fetch(new URL("/hello", server.url));
 * console.log(await res.text()); // prints: you asked for /hello
 * await server.close();
 * await server.finished; // settles once the server has closed (or its signal aborted)
 * ```
 */
export function serve(options: ServeOptions): Server {
  if (typeof options !== "object" || options === null) throw new TypeError(`serve() takes an options object, got ${options === null ? "null" : typeof options}`);
  const { fetch, onError = logError, onListen, signal, hostname = "0.0.0.0", port = 3000 } = options;
  if (typeof fetch !== "function") throw new TypeError(`fetch must be a function, got ${typeof fetch}`);
  if (typeof onError !== "function") throw new TypeError(`onError must be a function, got ${typeof onError}`);
  const ownBase = options.base === undefined;
  const base = options.base ?? new EventBase();
  let server: Server;
  const answer = async (req: HttpRequest): Promise<HttpResponse> => {
    let response: Response;
    try {
      const made = fetch(toRequest(req, origin), server);
      // A Response returned as it is, not awaited: awaiting a value costs a microtask turn.
      response = made instanceof Response ? made : await made;
      return await fromResponse(response);
    } catch (error) {
      const fallback = await onError(error);
      if (fallback instanceof Response) return fromResponse(fallback);
      return { status: 500, body: "Internal Server Error" };
    }
  };
  let http: HttpServer;
  try {
    const { fetch: _f, onError: _e, onListen: _l, signal: _s, base: _b, hostname: _h, port: _p, ...limits } = options;
    http = new HttpServer(base, { host: hostname, port }, answer, { streamRequestBodies: true, ...limits, onError: (e) => logError(e) });
  } catch (err) {
    if (ownBase) base.close();
    throw err;
  }
  const bound = http.address as { host: string; port: number };
  const origin = `http://${bound.host.includes(":") ? `[${bound.host}]` : bound.host}:${bound.port}/`;
  let closing: Promise<void> | null = null;
  let resolveFinished!: () => void;
  const finished = new Promise<void>((resolve) => (resolveFinished = resolve));
  const running = ownBase ? base.loop() : null;
  if (running) {
    running.then(() => {}, (err) => logError(err)).finally(() => {
      if (!http.closed) http.close();
      base.close();
      resolveFinished();
    });
  }
  const close = (): Promise<void> => {
    if (closing) return closing;
    http.close();
    if (ownBase) base.loopBreak();
    else resolveFinished();
    closing = finished;
    return closing;
  };
  server = {
    port: bound.port,
    hostname: bound.host,
    url: new URL(origin),
    finished,
    get closed() {
      return closing !== null;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
  if (signal) {
    if (signal.aborted) void close();
    else signal.addEventListener("abort", () => void close(), { once: true });
  }
  onListen?.({ hostname: bound.host, port: bound.port });
  return server;
}
