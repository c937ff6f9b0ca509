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
