// One HTTP/1.1 connection of an HttpServer: reads requests (heads, then bodies of either framing),
// calls the handler, and writes the responses in request order, with every wait bounded.
//
// Bounds, and why each is needed against a hostile client:
// - the head must arrive within headersTimeoutMs of its first byte (408), however slowly it drips;
// - a body within bodyTimeoutMs of its head (408); its bytes move out of the input as they come;
// - between requests, keepAliveTimeoutMs of silence closes the connection;
// - while unsent output is above outputHighWater, no more requests are read (a client that
//   pipelines and never reads costs the watermark, not gigabytes) until it is down to
//   outputLowWater, and output that makes no progress for sendTimeoutMs closes the connection;
// - at most maxPendingRequests handlers may be unanswered (async ones) before requests stop being
//   parsed; the socket is still read into the input (bounded by its read watermark), and on
//   backends that report a peer's FIN without reading (EV.CLOSED) that is watched too, so a client
//   that closes while its requests wait is noticed at once rather than when the handlers answer.
// - a head still arriving (up to 4 KiB of it) waits in memory of its own size, so a slowloris
//   client costs its bytes and its objects, not a 16 KiB read chunk.
// The timeouts live on a timer of their own, not on the read event, so a connection whose reading
// is paused still times out.
import { EV, Feature } from "../../core/flags.ts";
import type { Event } from "../../core/event.ts";
import { BEV, type BufferEvent } from "../bufferevent.ts";
import { ChunkedDecoder } from "./chunked.ts";
import { CHUNKED, type ErrorStatus, type HttpRequest, failure, parseRequestHead } from "./parser.ts";
import { formatHead, httpDate, statusHasNoBody, utf8Length, writeResponse } from "./response.ts";
import type { HttpResponse, HttpServerConfig, ResponseBody } from "./server.ts";

const encoder = new TextEncoder();
const CONTINUE = encoder.encode("HTTP/1.1 100 Continue\r\n\r\n");
const CRLF = encoder.encode("\r\n");
const LAST_CHUNK = encoder.encode("0\r\n\r\n");

/** A partial head up to this size waits compacted (EvBuffer.compact); a larger one stays in its chunks. */
const WAITING_HEAD_LIMIT = 4096;

/** What the connection's timer is counting down. */
const IDLE = 0, HEAD = 1, BODY = 2, BUSY = 3, LINGER = 4;

/** The Date header's text, rebuilt at most once a second (per thread). */
let dateText = "";
let dateUntil = 0;
function currentDate(): string {
  const ms = Date.now();
  if (ms >= dateUntil) {
    dateText = httpDate(ms);
    dateUntil = ms - (ms % 1000) + 1000;
  }
  return dateText;
}

/** A request whose response is not written yet. */
interface Slot {
  request: HttpRequest;
  /** The handler's answer once it settled (null while a Promise is pending). */
  answer: HttpResponse | Uint8Array | null;
}

function isStream(body: ResponseBody | undefined): body is ReadableStream<Uint8Array | string> | AsyncIterable<Uint8Array | string> {
  return typeof body === "object" && body !== null && !(body instanceof Uint8Array) &&
    (typeof (body as ReadableStream).getReader === "function" || Symbol.asyncIterator in body);
}

export class HttpConnection {
  readonly #bev: BufferEvent;
  readonly #config: HttpServerConfig;
  readonly #onClose: (c: HttpConnection) => void;
  readonly #timer: Event;
  /** Watches for the peer's FIN while requests wait at maxPendingRequests (EV.CLOSED backends only). */
  #endWatch: Event | null = null;
  /** Deadline of the timer's current phase (base.now() ms), Infinity for none. */
  #deadline = Infinity;
  /** When the timer event fires; it is re-armed only when a deadline comes earlier than this. */
  #armedFor = Infinity;
  #phase = IDLE;
  /** The request whose body is being read, with its bytes so far. */
  #bodyRequest: HttpRequest | null = null;
  #bodyBytes: Uint8Array | null = null;
  #bodyFilled = 0;
  #decoder: ChunkedDecoder | null = null;
  /** With streamRequestBodies: the body's stream (the request is already with the handler). */
  #bodyStream: ReadableStreamDefaultController<Uint8Array> | null = null;
  /** Content-Length bytes still to stream. */
  #bodyLeft = 0;
  /** Reading stopped until the body stream's reader asks for more. */
  #bodyWaiting = false;
  /** Requests answered in order; the first may be streaming. */
  readonly #pending: Slot[] = [];
  #streaming = false;
  /** Reading stopped because output is above the watermark or too many answers are pending. */
  #paused = false;
  /** Set once a response ends the connection (Connection: close, an error): nothing more is read. */
  #closing = false;
  #peerEnded = false;
  #closed = false;
  /** Resolves a streamed body's wait for the output to drain. */
  #drained: (() => void) | null = null;

  constructor(bev: BufferEvent, config: HttpServerConfig, onClose: (c: HttpConnection) => void) {
    this.#bev = bev;
    this.#config = config;
    this.#onClose = onClose;
    this.#timer = bev.base.event(-1, 0, () => this.#onTimer());
    bev.setCallbacks(() => this.#process(), () => this.#onDrained(), (_b, what) => this.#onStatus(what));
    bev.setWatermark(EV.READ, 0, config.maxHeaderBytes + 65536);
    bev.setWatermark(EV.WRITE, config.outputLowWater);
    bev.setTimeouts(null, config.sendTimeoutMs);
    this.#setPhase(IDLE, config.keepAliveTimeoutMs);
    bev.enable(EV.READ);
  }

  /** Closes the connection at once. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#bodyFailed(new Error("the connection closed before the request body ended"));
    this.#timer.close();
    this.#endWatch?.close();
    this.#bev.close();
    this.#drained?.();
    this.#onClose(this);
  }

  /** Unsent output bytes (bounded by outputHighWater plus one response). */
  get bufferedOutput(): number {
    return this.#closed ? 0 : this.#bev.output.length;
  }

  /** Unread input bytes. */
  get bufferedInput(): number {
    return this.#closed ? 0 : this.#bev.input.length;
  }

  /** Requests read whose responses are not written yet. */
  get pendingRequests(): number {
    return this.#pending.length;
  }

  // ---- timers ----------------------------------------------------------------------------------

  #setPhase(phase: number, ms: number | null): void {
    this.#phase = phase;
    const now = this.#bev.base.now();
    this.#deadline = ms === null ? Infinity : now + ms;
    if (this.#deadline < this.#armedFor) {
      this.#armedFor = this.#deadline;
      this.#timer.add(this.#deadline - now);
    }
  }

  #onTimer(): void {
    this.#armedFor = Infinity;
    if (this.#deadline === Infinity) return;
    const now = this.#bev.base.now();
    if (now < this.#deadline) {
      this.#armedFor = this.#deadline;
      this.#timer.add(this.#deadline - now);
      return;
    }
    if ((this.#phase === HEAD || this.#phase === BODY) && this.#pending.length === 0 && !this.#closing && this.#bodyStream === null) this.#fail(408);
    else this.close(); // (a streamed body's handler learns of it from the stream's error)
  }

  // ---- reading ---------------------------------------------------------------------------------

  #process(): void {
    const bev = this.#bev;
    const input = bev.input;
    const config = this.#config;
    while (!this.#closing && !this.#closed) {
      // A body being streamed to a handler is read whatever is pending (the handler may be the
      // one waiting for it); only its reader's pace and the output watermark hold it back.
      if (this.#bodyStream !== null) {
        if (this.#bodyWaiting || bev.output.length > config.outputHighWater) {
          if (!this.#bodyWaiting) this.#pause();
          return;
        }
        if (!this.#readBody()) return;
        continue;
      }
      const overWatermark = bev.output.length > config.outputHighWater;
      if (overWatermark || this.#pending.length >= config.maxPendingRequests) {
        // Waiting on the client's reading or on handlers is not idleness: sendTimeoutMs and the
        // handlers bound it, not keepAliveTimeoutMs.
        if (this.#phase === IDLE) this.#setPhase(BUSY, null);
        if (overWatermark) this.#pause();
        else this.#watchForEnd();
        return;
      }
      if (this.#bodyRequest !== null) {
        if (!this.#readBody()) return;
        continue;
      }
      if (input.length === 0) return;
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
      let stop = false;
      let answered = false;
      while (at < end) {
        const r = parseRequestHead(bytes, at, end, config);
        if (r.kind === "incomplete") {
          // The deadline runs from a head's first byte: a head still arriving keeps its own.
          if (this.#phase !== HEAD || answered) this.#setPhase(HEAD, config.headersTimeoutMs);
          stop = true;
          break;
        }
        if (r.kind === "error") {
          input.drain(input.length);
          this.#fail(r.status);
          return;
        }
        at += r.consumed;
        const request = r.request;
        if (request.upgrade && config.onUpgrade !== null && this.#pending.length === 0) {
          bev.drainInput(at - first);
          this.#upgrade(request);
          return;
        }
        const length = r.bodyLength;
        if (length === 0 || (length > 0 && end - at >= length)) {
          if (length > 0) request.body = bytes.slice(at, at + length);
          at += length;
          answered = true;
          this.#dispatch(request);
          if (this.#closing || this.#closed) return;
          if (this.#pending.length >= config.maxPendingRequests || bev.output.length > config.outputHighWater) break;
          continue;
        }
        // The body is still arriving: collect it as it comes, out of the input, or stream it to
        // a handler that has the request already.
        this.#bodyRequest = request;
        const streamed = config.streamRequestBodies;
        if (length === CHUNKED) this.#decoder = new ChunkedDecoder(config, streamed ? (piece) => this.#bodyStream?.enqueue(piece) : undefined);
        else if (streamed) this.#bodyLeft = length;
        else {
          this.#bodyBytes = new Uint8Array(length);
          this.#bodyFilled = 0;
        }
        this.#setPhase(BODY, config.bodyTimeoutMs);
        if (request.expectContinue && this.#pending.length === 0 && !this.#streaming) bev.write(CONTINUE);
        if (streamed) {
          bev.drainInput(at - first);
          at = first;
          request.bodyStream = new ReadableStream<Uint8Array>({
            start: (controller) => void (this.#bodyStream = controller),
            pull: () => this.#bodyWanted(),
            cancel: () => void (this.#bodyStream = null),
          }, { highWaterMark: 4 });
          this.#dispatch(request);
          if (this.#closing || this.#closed) return;
        }
        break;
      }
      // Drained through the bufferevent, so that reading paused at its input watermark resumes
      // even when this runs outside a read callback.
      bev.drainInput(at - first);
      if (stop) {
        // A head still arriving waits in memory of its own size, not in a pooled read chunk.
        input.compact(WAITING_HEAD_LIMIT);
        return;
      }
      if (this.#bodyRequest === null && input.length === 0) {
        if (this.#pending.length === 0 && !this.#streaming) this.#setPhase(IDLE, config.keepAliveTimeoutMs);
        else this.#setPhase(BUSY, null);
        return;
      }
    }
  }

  /** Moves body bytes out of the input. Returns true once the body is complete and dispatched. */
  #readBody(): boolean {
    const input = this.#bev.input;
    const request = this.#bodyRequest!;
    const decoder = this.#decoder;
    if (request.bodyStream !== null) return this.#streamBody(request);
    if (decoder !== null) {
      while (input.length > 0 && !decoder.done) {
        const region = input.firstRegion();
        const used = decoder.feed(region.bytes, region.start, region.end);
        if (decoder.error !== 0) {
          input.drain(input.length);
          this.#fail(decoder.error);
          return false;
        }
        this.#bev.drainInput(used);
      }
      if (!decoder.done) return false;
      request.body = decoder.body();
      request.trailers = decoder.trailers;
      this.#decoder = null;
    } else {
      const body = this.#bodyBytes!;
      while (input.length > 0 && this.#bodyFilled < body.length) {
        const n = Math.min(input.length, body.length - this.#bodyFilled);
        input.copyOut(n, body.subarray(this.#bodyFilled, this.#bodyFilled + n));
        this.#bev.drainInput(n);
        this.#bodyFilled += n;
      }
      if (this.#bodyFilled < body.length) return false;
      request.body = body;
      this.#bodyBytes = null;
    }
    this.#bodyRequest = null;
    this.#setPhase(BUSY, null);
    this.#dispatch(request);
    return true;
  }

  /**
   * Feeds the body stream from the input. Stops reading while the stream's queue is full (its
   * reader is slower than the client) and goes on when the reader pulls.
   */
  #streamBody(request: HttpRequest): boolean {
    const bev = this.#bev;
    const input = bev.input;
    const decoder = this.#decoder;
    while (input.length > 0) {
      if (decoder !== null) {
        if (decoder.done) break;
        const region = input.firstRegion();
        const used = decoder.feed(region.bytes, region.start, region.end);
        if (decoder.error !== 0) {
          this.#bodyFailed(new Error(`the request body is malformed or too large (${decoder.error})`));
          input.drain(input.length);
          this.#fail(decoder.error);
          return false;
        }
        bev.drainInput(used);
        if (decoder.done) break;
      } else {
        if (this.#bodyLeft === 0) break;
        const piece = bev.read(Math.min(input.length, this.#bodyLeft));
        this.#bodyLeft -= piece.length;
        this.#bodyStream?.enqueue(piece);
        if (this.#bodyLeft === 0) break;
      }
      const stream = this.#bodyStream;
      if (stream !== null && (stream.desiredSize ?? 1) <= 0) {
        this.#bodyWaiting = true;
        bev.disable(EV.READ);
        return false;
      }
    }
    if (decoder !== null ? !decoder.done : this.#bodyLeft > 0) return false;
    if (decoder !== null) request.trailers = decoder.trailers;
    this.#decoder = null;
    this.#bodyStream?.close();
    this.#bodyStream = null;
    this.#bodyRequest = null;
    this.#setPhase(BUSY, null);
    return true;
  }

  /** The body stream's reader wants more. */
  #bodyWanted(): void {
    if (!this.#bodyWaiting || this.#closed) return;
    this.#bodyWaiting = false;
    if (!this.#paused) this.#bev.enable(EV.READ);
    this.#process();
  }

  /** Ends a body stream with an error (the connection failed or closed before the body ended). */
  #bodyFailed(reason: Error): void {
    const stream = this.#bodyStream;
    this.#bodyStream = null;
    if (stream !== null) {
      try {
        stream.error(reason);
      } catch { /* already closed by its reader */ }
    }
  }

  /**
   * Requests wait at maxPendingRequests. Reading goes on (the read watermark bounds the input), so
   * an EOF that fits behind it reaches #onStatus; on backends with EV.CLOSED, a FIN behind more
   * than that is seen without reading the requests before it.
   */
  #watchForEnd(): void {
    const bev = this.#bev;
    if (!(bev.base.features & Feature.EARLY_CLOSE)) return;
    this.#endWatch ??= bev.base.event(bev.fd, EV.CLOSED | EV.PERSIST, () => this.#peerGone());
    if (!this.#endWatch.pending(EV.CLOSED)) this.#endWatch.add();
  }

  /** The peer ended its side while its requests waited for the handlers. */
  #peerGone(): void {
    // With the input empty, the read that follows sees the EOF (a half-close after the requests).
    if (this.#overLimit()) this.close(); // see #onStatus
    else this.#endWatch?.del();
  }

  #pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.#bev.disable(EV.READ);
  }

  #resume(): void {
    if (!this.#paused || this.#closed) return;
    this.#paused = false;
    if (!this.#bodyWaiting) this.#bev.enable(EV.READ);
    this.#process();
  }

  #onStatus(what: number): void {
    if (what & BEV.EOF && !(what & BEV.ERROR) && !this.#overLimit()) {
      // A half-close: the client may still read. Answer what was asked, then close.
      this.#peerEnded = true;
      const idle = this.#pending.length === 0 && !this.#streaming;
      // A request cut off by the end of input is a bad request (node:http answers 400 too).
      if (idle && !this.#closing && (this.#bev.input.length > 0 || this.#bodyRequest !== null)) {
        this.#fail(400);
        return;
      }
      this.#closing = true;
      if (idle && this.#bev.output.length === 0) this.close();
      return;
    }
    // An error, output that made no progress for sendTimeoutMs, or an EOF behind requests that
    // wait at maxPendingRequests with more unread: a client that ends before the server may even
    // read what it sent is taken as gone (nginx's "client closed request"), rather than held on
    // to until every handler answers.
    this.close();
  }

  /** Requests wait at maxPendingRequests and more input is buffered behind them. */
  #overLimit(): boolean {
    return this.#pending.length >= this.#config.maxPendingRequests && this.#bev.input.length > 0;
  }

  /** Output drained to outputLowWater or below (the bufferevent's write callback). */
  #onDrained(): void {
    if (this.#closed) return;
    if (this.#drained !== null) {
      const wake = this.#drained;
      this.#drained = null;
      wake();
    }
    if (this.#peerEnded && this.#pending.length === 0 && !this.#streaming) {
      if (this.#bev.output.length === 0) this.close();
      return;
    }
    if (this.#paused && !this.#closing) this.#resume();
  }

  // ---- answering -------------------------------------------------------------------------------

  #dispatch(request: HttpRequest): void {
    if (!request.keepAlive) this.#closing = true;
    let answer: HttpResponse | Uint8Array | PromiseLike<HttpResponse | Uint8Array>;
    try {
      answer = this.#config.handler(request);
    } catch (err) {
      answer = this.#failed(err, request);
    }
    if (!isThenable(answer)) answer = this.#checked(answer, request);
    if (this.#pending.length === 0 && !this.#streaming && !isThenable(answer)) {
      this.#respond(request, answer);
      return;
    }
    const slot: Slot = { request, answer: null };
    this.#pending.push(slot);
    if (isThenable(answer)) {
      answer.then(
        (value) => this.#settle(slot, value),
        (err) => this.#settle(slot, this.#failed(err, request)),
      );
    } else {
      slot.answer = answer;
    }
  }

  #failed(err: unknown, request: HttpRequest): HttpResponse {
    try {
      this.#config.onError(err, request);
    } catch { /* a throwing onError must not take the connection down */ }
    return { status: 500, body: "Internal Server Error" };
  }

  /** The handler's answer if it is one (an object or bytes, with a body of a type sent), else 500. */
  #checked(value: unknown, request: HttpRequest): HttpResponse | Uint8Array {
    if (value instanceof Uint8Array) return value;
    if (typeof value !== "object" || value === null) {
      return this.#failed(new TypeError(`a handler must return a response object or bytes, got ${value === null ? "null" : typeof value}`), request);
    }
    const body = (value as HttpResponse).body;
    if (body !== undefined && typeof body !== "string" && !(body instanceof Uint8Array) && !isStream(body)) {
      return this.#failed(new TypeError(`a response body must be a string, Uint8Array, ReadableStream or async iterable, got ${body === null ? "null" : typeof body}`), request);
    }
    return value as HttpResponse;
  }

  #settle(slot: Slot, value: HttpResponse | Uint8Array): void {
    if (this.#closed) return;
    slot.answer = this.#checked(value, slot.request);
    this.#flushPending();
  }

  /** Writes settled answers from the front of the queue, in request order. */
  #flushPending(): void {
    while (!this.#closed && !this.#streaming && this.#pending.length > 0 && this.#pending[0].answer !== null) {
      const slot = this.#pending.shift()!;
      this.#respond(slot.request, slot.answer!);
    }
    // Below the limit again: the read itself sees an EOF now.
    if (this.#pending.length < this.#config.maxPendingRequests) this.#endWatch?.del();
    if (this.#closed || this.#streaming || this.#pending.length > 0) return;
    this.#bev.flush();
    if (this.#closed) return;
    if (this.#peerEnded && this.#bev.output.length === 0) {
      this.close();
      return;
    }
    if (!this.#closing) {
      if (this.#paused) this.#resume();
      else this.#process();
      if (!this.#closed && this.#phase === BUSY && this.#pending.length === 0 && this.#bodyRequest === null && this.#bev.input.length === 0) {
        this.#setPhase(IDLE, this.#config.keepAliveTimeoutMs);
      }
    }
  }

  #respond(request: HttpRequest, answer: HttpResponse | Uint8Array): void {
    if (this.#closed) return;
    const bev = this.#bev;
    const keepAlive = request.keepAlive && !this.#peerEnded;
    if (answer instanceof Uint8Array) {
      bev.write(answer); // prebuilt bytes go out as they are
    } else {
      let status = answer.status ?? 200;
      if (!Number.isInteger(status) || status < 200 || status > 999) {
        this.#config.onError(new RangeError(`status must be an integer from 200 to 999, got ${String(status)}`), request);
        status = 500;
        answer = { status, body: "Internal Server Error" };
      }
      const options = {
        contentType: answer.contentType, keepAlive, headers: answer.headers, date: currentDate(),
        headOnly: request.method === "HEAD", announceKeepAlive: keepAlive && request.version === 10,
      };
      let body = answer.body;
      try {
        if (isStream(body)) {
          if (!statusHasNoBody(status)) {
            this.#stream(request, status, body, options);
            return;
          }
          void cancelBody(body);
          body = "";
        }
        writeResponse(bev, status, body ?? "", options);
      } catch (err) {
        writeResponse(bev, 500, "Internal Server Error", { ...options, headers: undefined });
        this.#config.onError(err, request);
      }
    }
    if (!keepAlive) this.#finish();
  }

  /**
   * Sends a body of unknown length: chunked for HTTP/1.1, or ended by closing the connection for
   * HTTP/1.0. Waits for the output to drain whenever it passes the watermark.
   */
  #stream(request: HttpRequest, status: number, body: ReadableStream<Uint8Array | string> | AsyncIterable<Uint8Array | string>,
    options: Parameters<typeof formatHead>[2] & {}): void {
    const chunked = request.version === 11;
    const keepAlive = chunked && options.keepAlive !== false;
    const bev = this.#bev;
    bev.write(formatHead(status, chunked ? "chunked" : null, { ...options, keepAlive }));
    if (options.headOnly) {
      void cancelBody(body);
      if (!keepAlive) this.#finish();
      return;
    }
    this.#streaming = true;
    const pump = async () => {
      const iterator = iterate(body);
      try {
        for await (const piece of iterator) {
          if (this.#closed) break;
          // A string goes to the output as it is, encoded there in place (no new array per piece).
          let length: number;
          if (typeof piece === "string") length = utf8Length(piece);
          else if (piece instanceof Uint8Array) length = piece.length;
          else throw new TypeError(`a streamed body must yield Uint8Array or string, got ${typeof piece}`);
          if (length === 0) continue;
          if (chunked) bev.write(length.toString(16) + "\r\n");
          bev.write(piece);
          if (chunked) bev.write(CRLF);
          if (bev.output.length > this.#config.outputHighWater) {
            await new Promise<void>((resolve) => (this.#drained = resolve));
          }
        }
        if (this.#closed) return;
        if (chunked) bev.write(LAST_CHUNK);
        this.#streaming = false;
        if (!keepAlive) this.#finish();
        else this.#flushPending();
      } catch (err) {
        // The head is out already: the only honest signal left is to end the connection without
        // the last chunk, so the client sees a truncated body rather than a complete one.
        this.#config.onError(err, request);
        this.#streaming = false;
        this.close();
      }
    };
    void pump();
  }

  /** Answers `status` and closes (after a lingering read, so the answer reaches the client). */
  #fail(status: ErrorStatus): void {
    const f = failure(status);
    this.#closing = true;
    if (this.#streaming || this.#pending.length > 0) {
      this.close();
      return;
    }
    writeResponse(this.#bev, status, f.reason, { keepAlive: false, date: currentDate() });
    this.#finish();
  }

  /**
   * Shuts the write side once the output is sent, and keeps reading (and discarding) until the
   * client closes or 2 s pass: closing with unread input would make the kernel send a reset that
   * can destroy the response before the client reads it (a "lingering close").
   */
  #finish(): void {
    this.#closing = true;
    const bev = this.#bev;
    bev.drainInput(bev.input.length);
    if (this.#peerEnded) {
      // Nothing more can arrive: close once the answer is out.
      bev.setCallbacks(null, (b) => b.output.length === 0 && this.close(), () => this.close());
      bev.shutdownWrite();
      this.#setPhase(LINGER, 2000);
      return;
    }
    bev.setCallbacks((b) => b.drainInput(b.input.length), null, () => this.close());
    if (this.#paused || this.#bodyWaiting) {
      this.#paused = this.#bodyWaiting = false;
      bev.enable(EV.READ);
    }
    bev.shutdownWrite();
    this.#setPhase(LINGER, 2000);
    // A LINGER deadline comes after any other: re-arm so it replaces a later one too.
    this.#armedFor = this.#deadline;
    this.#timer.add(2000);
  }

  /** Hands the socket to the upgrade hook: this connection lets go of it. */
  #upgrade(request: HttpRequest): void {
    const bev = this.#bev;
    bev.setCallbacks(null, null, null);
    bev.setTimeouts(null, null);
    bev.setWatermark(EV.READ, 0, 0);
    bev.disable(EV.READ);
    this.#closed = true;
    this.#timer.close();
    this.#endWatch?.close(); // the socket is the hook's now: no event of this connection stays on it
    this.#onClose(this);
    try {
      this.#config.onUpgrade!(request, bev);
    } catch (err) {
      this.#config.onError(err, request);
      bev.close();
    }
  }
}

function isThenable(v: unknown): v is PromiseLike<HttpResponse | Uint8Array> {
  return typeof v === "object" && v !== null && typeof (v as PromiseLike<unknown>).then === "function";
}

function iterate<T>(body: ReadableStream<T> | AsyncIterable<T>): AsyncIterable<T> {
  if (Symbol.asyncIterator in body) return body as AsyncIterable<T>;
  const reader = (body as ReadableStream<T>).getReader();
  return {
    async *[Symbol.asyncIterator]() {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          yield value;
        }
      } finally {
        reader.releaseLock();
      }
    },
  };
}

async function cancelBody(body: ReadableStream<unknown> | AsyncIterable<unknown>): Promise<void> {
  try {
    if (typeof (body as ReadableStream).cancel === "function") await (body as ReadableStream).cancel();
    else await (body as AsyncIterable<unknown>)[Symbol.asyncIterator]().return?.();
  } catch { /* nothing to report: the body was not wanted */ }
}
