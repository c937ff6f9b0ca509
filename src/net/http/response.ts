// Response heads and complete responses in HTTP/1.1 wire format, and the Date header's text.

const STATUS_TEXT: Record<number, string> = {
  100: "Continue", 101: "Switching Protocols", 200: "OK", 201: "Created", 202: "Accepted", 204: "No Content",
  206: "Partial Content", 301: "Moved Permanently", 302: "Found", 303: "See Other", 304: "Not Modified",
  307: "Temporary Redirect", 308: "Permanent Redirect", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
  404: "Not Found", 405: "Method Not Allowed", 408: "Request Timeout", 409: "Conflict", 410: "Gone",
  411: "Length Required", 413: "Content Too Large", 414: "URI Too Long", 415: "Unsupported Media Type",
  417: "Expectation Failed", 426: "Upgrade Required", 429: "Too Many Requests", 431: "Request Header Fields Too Large",
  500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable",
  504: "Gateway Timeout", 505: "HTTP Version Not Supported",
};

/** The reason phrase of a status ("OK" for 200), or "Status" for one without a registered phrase. */
export function statusText(status: number): string {
  return STATUS_TEXT[status] ?? "Status";
}

/** Whether a response with this status never has a body (RFC 9110 6.4.1: 1xx, 204, 304). */
export function statusHasNoBody(status: number): boolean {
  return status < 200 || status === 204 || status === 304;
}

const encoder = new TextEncoder();

/** How formatHead() and formatResponse() write a response head. */
export interface FormatOptions {
  /** Content-Type (default "text/plain"; "" leaves it out). */
  contentType?: string;
  /** false adds "Connection: close" (default true). */
  keepAlive?: boolean;
  /** HTTP/1.0 keep-alive: adds "Connection: keep-alive" (a 1.0 client closes otherwise). */
  announceKeepAlive?: boolean;
  /** More header fields, written as given. */
  headers?: [string, string][];
  /** An HTTP-date for the Date header (see httpDate()); none when absent. */
  date?: string;
  /** Headers only, as the answer to HEAD: Content-Length still gives the body's length. */
  headOnly?: boolean;
}

/**
 * Validates a header field for output: a name that is a token and a value with no CR, LF or NUL,
 * so a handler's data can never split the response (header injection).
 */
export function checkField(name: string, value: string): void {
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) throw new TypeError(`header name must be a token, got ${JSON.stringify(name)}`);
  if (/[\0\r\n]/.test(value)) throw new TypeError(`header ${name}'s value must not contain CR, LF or NUL, got ${JSON.stringify(value)}`);
}

let lastContentType = "text/plain";

/**
 * A response head: the status line and the fields, ending with the blank line. `length` is the
 * body's length for Content-Length, or "chunked" for a body of unknown length, or null for none
 * (a 1xx, 204 or 304, or a body that ends when the connection closes).
 *
 * @example
 * ```ts
 * formatHead(200, "chunked", { contentType: "text/plain" }); // "HTTP/1.1 200 OK\r\nContent-Type: ...\r\nTransfer-Encoding: chunked\r\n\r\n"
 * ```
 */
export function formatHead(status: number, length: number | "chunked" | null, options: FormatOptions = {}): string {
  const { contentType = "text/plain", keepAlive = true, headers, date } = options;
  let head = `HTTP/1.1 ${status} ${statusText(status)}\r\n`;
  if (contentType && !statusHasNoBody(status)) {
    if (contentType !== lastContentType) {
      checkField("Content-Type", contentType);
      lastContentType = contentType; // most responses repeat one type: check it once
    }
    head += `Content-Type: ${contentType}\r\n`;
  }
  if (length === "chunked") head += "Transfer-Encoding: chunked\r\n";
  else if (length !== null) head += `Content-Length: ${length}\r\n`;
  if (!keepAlive) head += "Connection: close\r\n";
  else if (options.announceKeepAlive) head += "Connection: keep-alive\r\n";
  if (date) head += `Date: ${date}\r\n`;
  if (headers) {
    for (const [k, v] of headers) {
      checkField(k, v);
      // The framing is written above from `length`; a second one would let a client (or a proxy
      // in front) read the body two ways.
      if (k.length >= 14 && /^(content-length|transfer-encoding)$/i.test(k)) {
        throw new TypeError(`${k} is set by the server from the body; leave it out of headers`);
      }
      head += `${k}: ${v}\r\n`;
    }
  }
  return head + "\r\n";
}

/**
 * A complete response with Content-Length (and Connection: close when not keeping alive).
 *
 * @example
 * ```ts
 * const hello = formatResponse(200, "Hello, World!"); // prebuilt once, sent for every request
 * ```
 */
export function formatResponse(status: number, body: Uint8Array | string, options: FormatOptions = {}): Uint8Array {
  const bodyBytes = typeof body === "string" ? encoder.encode(body) : body;
  const noBody = statusHasNoBody(status);
  const head = encoder.encode(formatHead(status, noBody ? null : bodyBytes.length, options));
  if (options.headOnly || noBody || bodyBytes.length === 0) return head;
  const out = new Uint8Array(head.length + bodyBytes.length);
  out.set(head);
  out.set(bodyBytes, head.length);
  return out;
}

/**
 * @internal The length in bytes of `s` as UTF-8, as TextEncoder encodes it (a lone surrogate
 * becomes U+FFFD, 3 bytes), counted without encoding it.
 */
export function utf8Length(s: string): number {
  const units = s.length;
  let n = units;
  for (let i = 0; i < units; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c <= 0xdbff && c >= 0xd800 && i + 1 < units && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2; // a surrogate pair: two units, four bytes
      i++;
    } else n += 2;
  }
  return n;
}

/** @internal What writeResponse writes to: a BufferEvent, or anything else that takes strings and bytes. */
export interface ResponseSink {
  write(data: Uint8Array | string): unknown;
}

/**
 * String bodies up to this many UTF-16 units are written as text, which the output buffer encodes
 * straight into its memory; longer ones are encoded to bytes first.
 */
const IN_PLACE_BODY = 4096;

/**
 * @internal Writes what formatResponse() returns to `out`, without making it as bytes first: the
 * head (and a short string body with it) goes out as a string, which a BufferEvent's output
 * encodes in place.
 * Each new Uint8Array costs 0.7-1 µs on Deno, and formatResponse() makes three: this way a
 * "Hello, World!" answer is written in about a quarter of the time (docs/benchmarks.md). The head
 * is built, and checked, before anything is written, so a bad header throws with nothing sent.
 */
export function writeResponse(out: ResponseSink, status: number, body: Uint8Array | string, options: FormatOptions = {}): void {
  const noBody = statusHasNoBody(status);
  if (typeof body === "string" && body.length > IN_PLACE_BODY) body = encoder.encode(body);
  const length = typeof body === "string" ? utf8Length(body) : body.length;
  const head = formatHead(status, noBody ? null : length, options);
  if (options.headOnly || noBody || length === 0) out.write(head);
  else if (typeof body === "string") out.write(head + body);
  else {
    out.write(head);
    out.write(body);
  }
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const two = (n: number) => (n < 10 ? "0" : "") + n;

/**
 * An IMF-fixdate (RFC 9110 5.6.7) for `ms` since the epoch, for the Date header.
 *
 * @example
 * ```ts
 * httpDate(784111777000); // "Sun, 06 Nov 1994 08:49:37 GMT"
 * ```
 */
export function httpDate(ms: number): string {
  const d = new Date(ms);
  return `${DAYS[d.getUTCDay()]}, ${two(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} GMT`;
}
