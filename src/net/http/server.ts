// A minimal HTTP/1.1 server on Listener + BufferEvent: keep-alive, pipelining (responses in
// request order), requests split across reads, bounded header blocks (431) and bodies (413),
// and bounded memory per connection (reading pauses at the input high watermark).
import type { EventBase } from "../../core/base.ts";
import { EV } from "../../core/flags.ts";
import { BEV, BufferEvent } from "../bufferevent.ts";
import { type HttpRequest, type ParseLimits, formatResponse, parseRequest } from "./parser.ts";
import { Listener, type ListenerOptions } from "../listener.ts";
import type { AddressSpec, SocketAddress } from "../../ffi/sockaddr.ts";

export interface HttpResponse {
  status?: number;
  body?: string | Uint8Array;
  contentType?: string;
  headers?: [string, string][];
}

/** Returns a response, or the complete response bytes (e.g. prebuilt with formatResponse). */
export type HttpHandler = (request: HttpRequest) => HttpResponse | Uint8Array;

export interface HttpServerOptions extends ParseLimits, ListenerOptions {
  /** Close a connection idle for this long, in ms (default: never). */
  idleTimeoutMs?: number;
}

export class HttpServer {
  readonly listener: Listener;
  private readonly connections = new Set<BufferEvent>();
  private readonly limits: ParseLimits;
  private readonly highWater: number;

  constructor(readonly base: EventBase, address: AddressSpec, private readonly handler: HttpHandler, options: HttpServerOptions = {}) {
    if (typeof handler !== "function") throw new TypeError(`handler must be a function, got ${typeof handler}`);
    this.limits = { maxHeaderBytes: options.maxHeaderBytes ?? 8192, maxBodyBytes: options.maxBodyBytes ?? 1 << 20 };
    this.highWater = this.limits.maxHeaderBytes! + this.limits.maxBodyBytes! + 8;
    this.listener = new Listener(base, address, (fd) => this.accept(fd, options.idleTimeoutMs ?? null), { noDelay: true, ...options });
  }

  /** The bound address. */
  get address(): SocketAddress {
    return this.listener.address;
  }

  /** Open connections. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Same as close(), for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Stops listening and closes every connection. */
  close(): void {
    this.listener.close();
    for (const bev of this.connections) bev.close();
    this.connections.clear();
  }

  private accept(fd: number, idleMs: number | null): void {
    const bev = new BufferEvent(this.base, fd);
    this.connections.add(bev);
    bev.setCallbacks((b) => this.onData(b), null, (b, what) => {
      if (what & (BEV.EOF | BEV.ERROR | BEV.TIMEOUT)) this.drop(b);
    });
    bev.setWatermark(EV.READ, 0, this.highWater);
    if (idleMs !== null) bev.setTimeouts(idleMs, idleMs);
    bev.enable(EV.READ);
  }

  private drop(bev: BufferEvent): void {
    this.connections.delete(bev);
    bev.close();
  }

  private onData(bev: BufferEvent): void {
    const input = bev.input;
    // Parse in place when the input is one chunk (the usual case); otherwise from one copy.
    // Pipelined requests are parsed one after another from the same bytes, then drained at once.
    const region = input.firstRegion();
    let bytes = region.bytes, at = region.start, end = region.end;
    if (end - at !== input.length) {
      bytes = input.copyOut(input.length);
      at = 0;
      end = bytes.length;
    }
    const first = at;
    while (at < end) {
      const r = parseRequest(bytes, at, end, this.limits);
      if (r.kind === "incomplete") break;
      if (r.kind === "error") {
        this.finish(bev, formatResponse(r.status, r.reason, { keepAlive: false }));
        return;
      }
      at += r.consumed;
      let response: Uint8Array;
      try {
        const out = this.handler(r.request);
        response = out instanceof Uint8Array ? out : formatResponse(out.status ?? 200, out.body ?? "", {
          contentType: out.contentType, headers: out.headers, keepAlive: r.request.keepAlive,
        });
      } catch {
        this.finish(bev, formatResponse(500, "Internal Server Error", { keepAlive: false }));
        return;
      }
      if (!r.request.keepAlive) {
        this.finish(bev, response);
        return;
      }
      bev.write(response);
    }
    input.drain(at - first);
  }

  /**
   * Sends a last response, shuts the write side, and keeps reading (and discarding) until the
   * client closes or 2 s pass: closing with unread input would make the kernel send a reset that
   * can destroy the response before the client reads it (a "lingering close").
   */
  private finish(bev: BufferEvent, response: Uint8Array): void {
    bev.input.drain(bev.input.length);
    bev.setCallbacks((b) => b.drainInput(b.input.length), null, (b, what) => {
      if (what & (BEV.EOF | BEV.ERROR | BEV.TIMEOUT)) this.drop(b);
    });
    bev.setTimeouts(2000, 2000);
    bev.write(response);
    bev.shutdownWrite();
  }
}
