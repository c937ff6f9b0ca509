// The HTTP/1.1 request parser (RFC 9112), strict because network input is hostile: anything that
// two parsers could read two ways is rejected, never guessed at. That closes request smuggling
// (a second request hidden in what one parser takes for a body): conflicting or repeated
// Content-Length, Content-Length with Transfer-Encoding, whitespace before a colon, bare CR or LF
// line ends, obs-fold continuation lines, control bytes in the target or in header fields, and
// over-long numbers all get an error status and the connection is closed.
//
// It works on bytes as they arrive: a request split across reads is "incomplete" until its head
// (and, for parseRequest, its body) is all there; pipelined requests are parsed one after another
// from the same bytes. Leading blank lines before a request line (RFC 9112 2.2) count toward
// maxHeaderBytes, so a stream of them ends in 431 like any other oversized head.
import { ChunkedDecoder } from "./chunked.ts";
import { BYTE, CR, LF, SP, HTAB, COLON, byteClass, isTchar, lowerAsciiEquals } from "./bytes.ts";

/** A parsed HTTP/1.x request: what an HttpServer handler receives. */
export interface HttpRequest {
  /** The method as sent ("GET", "POST", ...). */
  method: string;
  /** The request target as sent ("/index.html?x=1"). */
  target: string;
  /** 10 for HTTP/1.0, 11 for HTTP/1.1. */
  version: 10 | 11;
  /** Header names lower-cased, in order; repeated headers appear repeatedly. */
  headers: [string, string][];
  /** Whether the connection stays open after the response (HTTP/1.1 unless "close", HTTP/1.0 only with "keep-alive"). */
  keepAlive: boolean;
  /** The body (Content-Length bytes, or the chunked body decoded), empty when none or streamed. */
  body: Uint8Array;
  /**
   * With the server's streamRequestBodies: the body as it arrives, when it had not all arrived
   * with the head (the handler then runs before it ends); otherwise null and the body is in `body`.
   */
  bodyStream: ReadableStream<Uint8Array> | null;
  /** Trailer fields of a chunked body (lower-cased names), empty when none. */
  trailers: [string, string][];
  /** HTTP/1.1 with "Expect: 100-continue": the client may wait for "100 Continue" before sending the body. */
  expectContinue: boolean;
  /** "Connection: upgrade" with an Upgrade header: the client asks to switch protocols. */
  upgrade: boolean;
}

/** Where a request's body is, once its head is parsed. */
export type BodyFraming =
  | { kind: "none" }
  | { kind: "length"; length: number }
  | { kind: "chunked" };

/** What parseRequest() found: a whole request and how many bytes it took, too few bytes yet, or an error with the status to answer it with. */
export type ParseResult =
  | { kind: "request"; request: HttpRequest; consumed: number }
  | { kind: "incomplete" }
  | { kind: "error"; status: ErrorStatus; reason: string };

/** What parseRequestHead() found: a request head, how many bytes it took and the body's length (-1: chunked), too few bytes yet, or an error with the status to answer it with. */
export type HeadResult =
  | { kind: "head"; request: HttpRequest; consumed: number; bodyLength: number }
  | { kind: "incomplete" }
  | { kind: "error"; status: ErrorStatus; reason: string };

/** The statuses a malformed or unacceptable request is answered with. */
export type ErrorStatus = 400 | 408 | 413 | 417 | 431 | 501 | 505;

/** Limits a request must stay within; each exceeded limit is answered with the status it names. */
export interface ParseLimits {
  /** Largest request head (blank lines before it, request line, headers), in bytes (default 8192): beyond it, 431. */
  maxHeaderBytes?: number;
  /** Most header lines in a head, or trailer lines after a chunked body (default 100): beyond it, 431. */
  maxHeaderCount?: number;
  /** Largest body, Content-Length or chunked (default 1 MiB): beyond it, 413. */
  maxBodyBytes?: number;
}

/** The limits in force when none are given. */
export const DEFAULT_LIMITS: Readonly<Required<ParseLimits>> = Object.freeze({
  maxHeaderBytes: 8192,
  maxHeaderCount: 100,
  maxBodyBytes: 1 << 20,
});

/** bodyLength of a head whose body is chunked. */
export const CHUNKED = -1;

const latin1 = new TextDecoder("latin1");
const NO_BYTES = new Uint8Array(0);
const NO_FIELDS: [string, string][] = [];
const INCOMPLETE = Object.freeze({ kind: "incomplete" }) as { kind: "incomplete" };
const REASONS: Record<ErrorStatus, string> = {
  400: "Bad Request", 408: "Request Timeout", 413: "Content Too Large", 417: "Expectation Failed",
  431: "Request Header Fields Too Large", 501: "Not Implemented", 505: "HTTP Version Not Supported",
};
/** An error result; the statuses' results are shared, frozen objects (no allocation on attack traffic). */
const ERRORS = Object.fromEntries(
  Object.entries(REASONS).map(([s, reason]) => [s, Object.freeze({ kind: "error", status: Number(s), reason })]),
) as unknown as Record<ErrorStatus, { kind: "error"; status: ErrorStatus; reason: string }>;
export const failure = (status: ErrorStatus) => ERRORS[status];

/**
 * Index of "\r\n\r\n" in bytes[from, to), or -1. Every second byte is looked at: any four-byte
 * window holds two of them, one a CR or an LF of the pattern, and the neighbours tell which. Faster
 * than indexOf(CR) for a request head on both runtimes (indexOf is a call into the engine's
 * runtime). The bytes before it are validated separately, so finding the end is all this does.
 */
function findHeaderEnd(bytes: Uint8Array, from: number, to: number): number {
  for (let i = from + 1; i < to; i += 2) {
    const b = bytes[i];
    if (b === LF) {
      if (bytes[i - 1] !== CR) continue;
      if (i + 2 < to && bytes[i + 1] === CR && bytes[i + 2] === LF) return i - 1; // the first LF
      if (i - 3 >= from && bytes[i - 2] === LF && bytes[i - 3] === CR) return i - 3; // the second
    } else if (b === CR) {
      if (i + 1 >= to || bytes[i + 1] !== LF) continue;
      if (i - 2 >= from && bytes[i - 1] === LF && bytes[i - 2] === CR) return i - 2; // the second CR
      if (i + 3 < to && bytes[i + 2] === CR && bytes[i + 3] === LF) return i; // the first
    }
  }
  return -1;
}

/**
 * Whether bytes[from, to), a head still arriving, already holds something no complete head may
 * hold: a bare LF, a CR not followed by LF, or a control byte. Answering at once matters: a head
 * with bare-LF line ends never shows a CRLFCRLF, and would otherwise wait for bytes that never come.
 */
function partialHeadIsBad(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const b = bytes[i];
    if (b === CR) {
      if (i + 1 < to && bytes[i + 1] !== LF) return true;
    } else if (b === LF) {
      if (i === from || bytes[i - 1] !== CR) return true;
    } else if (byteClass[b] === BYTE.CTL) return true;
  }
  return false;
}

/**
 * bytes[from, to) as a string, one char per byte. Short strings (a request target, usually) are
 * built char by char, which both runtimes do in a few ns per byte; TextDecoder costs a fixed
 * 0.1-1 us per call (an op call on Deno) and wins only for long ones.
 */
function latin1Slice(bytes: Uint8Array, from: number, to: number): string {
  if (to - from > 64) return latin1.decode(bytes.subarray(from, to));
  let s = "";
  for (let i = from; i < to; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

/**
 * The last string read from bytes, kept with the bytes. A client sends the same target again and
 * again (a load generator always, a browser mostly), and comparing bytes costs far less than
 * building the string (0.2-0.3 us for a 21-byte line, measured on both runtimes).
 */
class RepeatedText {
  private readonly bytes: Uint8Array;
  private length = -1;
  private text = "";
  constructor(private readonly max: number) {
    this.bytes = new Uint8Array(max);
  }
  read(bytes: Uint8Array, from: number, to: number): string {
    const n = to - from;
    const kept = this.bytes;
    if (n === this.length) {
      let i = 0;
      while (i < n && bytes[from + i] === kept[i]) i++;
      if (i === n) return this.text;
    }
    const text = latin1Slice(bytes, from, to);
    if (n <= this.max) {
      for (let i = 0; i < n; i++) kept[i] = bytes[from + i];
      this.length = n;
      this.text = text;
    }
    return text;
  }
}
const lastTarget = new RepeatedText(256);

/** What the parser needs from a header block: its framing, connection options, and its text. */
interface HeaderFacts {
  /** -1: none. */
  contentLength: number;
  chunked: boolean;
  close: boolean;
  keepAlive: boolean;
  connectionUpgrade: boolean;
  upgradeHeader: boolean;
  hosts: number;
  expectContinue: boolean;
  /** Header lines: checked against the limit on every use (a cached block may meet a lower one). */
  count: number;
  /** The raw header lines, CRLF-separated. */
  text: string;
}

/**
 * The last header block validated, kept as bytes with what was read from it. Clients repeat their
 * headers byte for byte, so a block equal to the last one needs neither validating nor reading
 * again: its facts are the same (only the bytes are compared, one pass with no branches but the
 * loop's). Blocks longer than 4 KiB are read every time.
 */
class HeaderCache {
  private readonly bytes = new Uint8Array(4096);
  private length = -1;
  private facts: HeaderFacts | null = null;
  lookup(bytes: Uint8Array, from: number, to: number): HeaderFacts | null {
    const n = to - from;
    if (n !== this.length) return null;
    const kept = this.bytes;
    let i = 0;
    while (i < n && bytes[from + i] === kept[i]) i++;
    return i === n ? this.facts : null;
  }
  store(bytes: Uint8Array, from: number, to: number, facts: HeaderFacts): void {
    const n = to - from;
    if (n > this.bytes.length) return;
    this.bytes.set(bytes.subarray(from, to));
    this.length = n;
    this.facts = facts;
  }
}
const lastHeaders = new HeaderCache();

/** Method names as constants: no string is built for the usual ones. llhttp's list, so what node:http serves, this serves. */
const METHODS = [
  "GET", "PUT", "POST", "HEAD", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE", "QUERY",
  "COPY", "LOCK", "MKCOL", "MOVE", "PROPFIND", "PROPPATCH", "SEARCH", "UNLOCK", "BIND", "REBIND", "UNBIND",
  "ACL", "REPORT", "MKACTIVITY", "CHECKOUT", "MERGE", "M-SEARCH", "NOTIFY", "SUBSCRIBE", "UNSUBSCRIBE",
  "PURGE", "MKCALENDAR", "LINK", "UNLINK", "SOURCE",
];
function methodName(bytes: Uint8Array, from: number, to: number): string | null {
  outer: for (const m of METHODS) {
    if (m.length !== to - from) continue;
    for (let i = 0; i < m.length; i++) if (bytes[from + i] !== m.charCodeAt(i)) continue outer;
    return m;
  }
  return null;
}

/**
 * Visits the comma-separated tokens of a list value bytes[from, to) (RFC 9110 5.6.1: empty elements
 * and OWS around commas allowed). Returns false if an element is not a token.
 */
function eachToken(bytes: Uint8Array, from: number, to: number, visit: (from: number, to: number) => void): boolean {
  let i = from;
  while (i < to) {
    while (i < to && (bytes[i] === SP || bytes[i] === HTAB || bytes[i] === 44)) i++;
    if (i === to) break;
    const start = i;
    while (i < to && isTchar[bytes[i]]) i++;
    const end = i;
    while (i < to && (bytes[i] === SP || bytes[i] === HTAB)) i++;
    if (end === start || (i < to && bytes[i] !== 44)) return false;
    visit(start, end);
  }
  return true;
}

/** Content-Length's digits as a number: at most 15 of them (below 2^53, where numbers stay exact). */
function readLength(bytes: Uint8Array, from: number, to: number): number {
  if (to === from || to - from > 15) return -1;
  let n = 0;
  for (let k = from; k < to; k++) {
    const d = bytes[k] - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * Validates and reads the header lines bytes[from, to) (to: the CRLF that ends the last line).
 * Returns the facts or an error status.
 */
function readHeaders(bytes: Uint8Array, from: number, to: number, maxCount: number): HeaderFacts | ErrorStatus {
  const facts: HeaderFacts = {
    contentLength: -1, chunked: false, close: false, keepAlive: false, connectionUpgrade: false,
    upgradeHeader: false, hosts: 0, expectContinue: false, count: 0, text: "",
  };
  let count = 0;
  let codings = 0; // transfer codings seen; chunked must be the last
  let teBad = false, teUnknown = false;
  for (let line = from; line < to;) {
    if (++count > maxCount) return 431;
    // The name: one or more tchars, then the colon at once (no whitespace before it, RFC 9112 5.1;
    // a line starting with whitespace is obs-fold, which 5.2 lets a server reject).
    let colon = line;
    while (isTchar[bytes[colon]]) colon++;
    if (colon === line || bytes[colon] !== COLON) return 400;
    // The value: field-content (visible bytes, obs-text, SP, HTAB) up to CRLF; any other control
    // byte, a bare CR or a bare LF is an error.
    let v = colon + 1;
    while (bytes[v] === SP || bytes[v] === HTAB) v++;
    let end = v;
    for (;; end++) {
      const c = byteClass[bytes[end]];
      if (c === BYTE.FIELD) continue;
      if (c === BYTE.CR && bytes[end + 1] === LF) break;
      return 400;
    }
    let ve = end;
    while (ve > v && (bytes[ve - 1] === SP || bytes[ve - 1] === HTAB)) ve--;
    const nameLength = colon - line;
    const first = bytes[line] | 0x20;
    if (nameLength === 14 && first === 99 && lowerAsciiEquals(bytes, line, "content-length")) {
      if (facts.contentLength !== -1) return 400; // repeated, even with the same value
      facts.contentLength = readLength(bytes, v, ve);
      if (facts.contentLength === -1) return 400;
    } else if (nameLength === 17 && first === 116 && lowerAsciiEquals(bytes, line, "transfer-encoding")) {
      const ok = eachToken(bytes, v, ve, (s, e) => {
        if (facts.chunked) teBad = true; // a coding after chunked, or chunked twice
        if (e - s === 7 && lowerAsciiEquals(bytes, s, "chunked")) facts.chunked = true;
        else teUnknown = true;
        codings++;
      });
      if (!ok) return 400;
    } else if (nameLength === 10 && first === 99 && lowerAsciiEquals(bytes, line, "connection")) {
      const ok = eachToken(bytes, v, ve, (s, e) => {
        const n = e - s;
        if (n === 5 && lowerAsciiEquals(bytes, s, "close")) facts.close = true;
        else if (n === 10 && lowerAsciiEquals(bytes, s, "keep-alive")) facts.keepAlive = true;
        else if (n === 7 && lowerAsciiEquals(bytes, s, "upgrade")) facts.connectionUpgrade = true;
      });
      if (!ok) return 400;
    } else if (nameLength === 4 && first === 104 && lowerAsciiEquals(bytes, line, "host")) {
      facts.hosts++;
    } else if (nameLength === 6 && first === 101 && lowerAsciiEquals(bytes, line, "expect")) {
      if (ve - v === 12 && lowerAsciiEquals(bytes, v, "100-continue")) facts.expectContinue = true;
      else return 417;
    } else if (nameLength === 7 && first === 117 && lowerAsciiEquals(bytes, line, "upgrade")) {
      facts.upgradeHeader = true;
    }
    line = end + 2;
  }
  if (codings > 0) {
    // RFC 9112 6.3: chunked not last means the length cannot be known (400); both framings at once
    // is the classic smuggling vector (400); a coding this server does not decode is 501.
    if (teBad || !facts.chunked || facts.contentLength !== -1) return 400;
    if (teUnknown) return 501;
  }
  facts.count = count;
  facts.text = to > from ? latin1Slice(bytes, from, to - 2) : "";
  return facts;
}

/** Splits CRLF-separated header lines (already validated) into [lower-cased name, value] pairs. */
export function splitFields(text: string): [string, string][] {
  const out: [string, string][] = [];
  if (!text.length) return out;
  for (const line of text.split("\r\n")) {
    const colon = line.indexOf(":");
    let v = colon + 1, e = line.length;
    while (v < e && (line.charCodeAt(v) === SP || line.charCodeAt(v) === HTAB)) v++;
    while (e > v && (line.charCodeAt(e - 1) === SP || line.charCodeAt(e - 1) === HTAB)) e--;
    out.push([line.slice(0, colon).toLowerCase(), line.slice(v, e)]);
  }
  return out;
}

/**
 * One parsed request. The header list is split out of the raw header text only when `headers` is
 * first read: a server that answers without looking at them never pays for the pairs. (The text is
 * a string, not a copy of the bytes: a new Uint8Array costs over 1 us on Deno, measured.)
 */
class ParsedRequest implements HttpRequest {
  method: string;
  target: string;
  version: 10 | 11;
  keepAlive: boolean;
  body: Uint8Array = NO_BYTES;
  bodyStream: ReadableStream<Uint8Array> | null = null;
  trailers: [string, string][] = NO_FIELDS;
  expectContinue: boolean;
  upgrade: boolean;
  #raw: string;
  #headers: [string, string][] | null = null;
  constructor(method: string, target: string, version: 10 | 11, keepAlive: boolean, facts: HeaderFacts) {
    this.method = method;
    this.target = target;
    this.version = version;
    this.keepAlive = keepAlive;
    this.expectContinue = version === 11 && facts.expectContinue;
    this.upgrade = facts.connectionUpgrade && facts.upgradeHeader;
    this.#raw = facts.text;
  }
  get headers(): [string, string][] {
    if (this.#headers === null) this.#headers = splitFields(this.#raw);
    return this.#headers;
  }
  set headers(list: [string, string][]) {
    this.#headers = list;
  }
  /** A plain object with the headers included (JSON.stringify and logging see them too). */
  toJSON(): HttpRequest {
    const { method, target, version, keepAlive, body, bodyStream, headers, trailers, expectContinue, upgrade } = this;
    return { method, target, version, headers, keepAlive, body, bodyStream, trailers, expectContinue, upgrade };
  }
}

/**
 * Parses one request head from bytes[start, end): the request line and the header fields up to
 * the blank line. Returns the request (its body still empty), how many bytes the head used and the
 * body's length (CHUNKED for a chunked body), "incomplete" when more bytes are needed, or an error
 * with the status to answer (the connection must then close).
 *
 * @example
 * ```ts
 * const bytes = new TextEncoder().encode("POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello");
 * const r = parseRequestHead(bytes);
 * if (r.kind === "head") console.log(r.request.target, r.bodyLength, r.consumed); // prints: /up 5 49
 * ```
 */
export function parseRequestHead(bytes: Uint8Array, start = 0, end = bytes.length, limits: ParseLimits = DEFAULT_LIMITS): HeadResult {
  const maxHeader = limits.maxHeaderBytes ?? DEFAULT_LIMITS.maxHeaderBytes;
  const origin = start;
  // Blank lines before a request line are allowed (RFC 9112 2.2), as CRLF only.
  while (start + 1 < end && bytes[start] === CR && bytes[start + 1] === LF) start += 2;
  const scanEnd = Math.min(end, origin + maxHeader);
  const headerEnd = start < scanEnd && (bytes[start] === CR || bytes[start] === LF) ? -1 : findHeaderEnd(bytes, start, scanEnd);
  if (headerEnd === -1) {
    if (partialHeadIsBad(bytes, start, scanEnd)) return ERRORS[400];
    if (end - origin >= maxHeader) return ERRORS[431];
    return INCOMPLETE;
  }
  // Request line: method SP request-target SP HTTP-version CRLF, single spaces, nothing else.
  let i = start;
  while (i < headerEnd && isTchar[bytes[i]]) i++;
  if (i === start || bytes[i] !== SP) return ERRORS[400];
  const methodEnd = i;
  const targetStart = ++i;
  while (i < headerEnd && bytes[i] > SP && bytes[i] < 0x7f) i++; // visible ASCII only (RFC 9112 3.2)
  if (i === targetStart || bytes[i] !== SP) return ERRORS[400];
  const targetEnd = i++;
  // "HTTP/" DIGIT "." DIGIT, then CRLF. 1.0 and 1.1 are served; another version is 505.
  if (i + 8 > headerEnd || bytes[i] !== 72 || bytes[i + 1] !== 84 || bytes[i + 2] !== 84 || bytes[i + 3] !== 80 ||
    bytes[i + 4] !== 47 || bytes[i + 6] !== 46 || bytes[i + 8] !== CR || bytes[i + 9] !== LF) {
    return ERRORS[400];
  }
  const major = bytes[i + 5] - 48, minor = bytes[i + 7] - 48;
  if (major < 0 || major > 9 || minor < 0 || minor > 9) return ERRORS[400];
  if (major !== 1 || minor > 1) return ERRORS[505];
  const version: 10 | 11 = minor === 1 ? 11 : 10;
  const method = methodName(bytes, start, methodEnd);
  if (method === null) return ERRORS[501]; // well-formed, but not a method this server knows
  // Header lines (headersStart === headerEnd + 2 when there are none).
  const headersStart = i + 10;
  const headersEnd = headersStart > headerEnd ? headersStart : headerEnd + 2;
  const maxCount = limits.maxHeaderCount ?? DEFAULT_LIMITS.maxHeaderCount;
  let facts = lastHeaders.lookup(bytes, headersStart, headersEnd);
  if (facts === null) {
    const read = readHeaders(bytes, headersStart, headersEnd, maxCount);
    if (typeof read === "number") return ERRORS[read];
    facts = read;
    lastHeaders.store(bytes, headersStart, headersEnd, facts);
  } else if (facts.count > maxCount) return ERRORS[431];
  // RFC 9112 3.2: an HTTP/1.1 request without Host, or any with more than one, is 400.
  if (facts.hosts > 1 || (version === 11 && facts.hosts === 0)) return ERRORS[400];
  // RFC 9112 6.1: Transfer-Encoding in HTTP/1.0 means the framing cannot be trusted.
  if (facts.chunked && version === 10) return ERRORS[400];
  const maxBody = limits.maxBodyBytes ?? DEFAULT_LIMITS.maxBodyBytes;
  if (facts.contentLength > maxBody) return ERRORS[413];
  const keepAlive = version === 11 ? !facts.close : facts.keepAlive && !facts.close;
  const target = lastTarget.read(bytes, targetStart, targetEnd);
  return {
    kind: "head",
    request: new ParsedRequest(method, target, version, keepAlive, facts),
    consumed: headersEnd + 2 - origin,
    bodyLength: facts.chunked ? CHUNKED : facts.contentLength === -1 ? 0 : facts.contentLength,
  };
}

/**
 * Parses one whole request, head and body, from bytes[start, end). Returns the request and how many
 * bytes it used, "incomplete" when more bytes are needed, or an error with the status to answer.
 *
 * @example
 * ```ts
 * const bytes = new TextEncoder().encode("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
 * const r = parseRequest(bytes);
 * if (r.kind === "request") console.log(new TextDecoder().decode(r.request.body)); // prints: abc
 * ```
 */
export function parseRequest(bytes: Uint8Array, start = 0, end = bytes.length, limits: ParseLimits = DEFAULT_LIMITS): ParseResult {
  const head = parseRequestHead(bytes, start, end, limits);
  if (head.kind !== "head") return head;
  const bodyStart = start + head.consumed;
  const request = head.request;
  if (head.bodyLength === CHUNKED) {
    const decoder = new ChunkedDecoder(limits);
    const used = decoder.feed(bytes, bodyStart, end);
    if (decoder.error !== 0) return ERRORS[decoder.error];
    if (!decoder.done) return INCOMPLETE;
    request.body = decoder.body();
    request.trailers = decoder.trailers;
    return { kind: "request", request, consumed: head.consumed + used };
  }
  const length = head.bodyLength;
  if (end - bodyStart < length) return INCOMPLETE;
  if (length) request.body = bytes.slice(bodyStart, bodyStart + length);
  return { kind: "request", request, consumed: head.consumed + length };
}
