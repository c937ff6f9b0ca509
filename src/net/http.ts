// A small HTTP/1.x request parser for servers built on evffi: it works on bytes as they arrive
// (a request split across reads just asks for more), supports pipelining (several requests in one
// read), bounds the header block (431), and reads Content-Length bodies. Chunked request bodies
// are refused with 501: the example servers do not need them.

export interface HttpRequest {
  method: string;
  /** The request target as sent ("/index.html?x=1"). */
  target: string;
  /** 10 for HTTP/1.0, 11 for HTTP/1.1. */
  version: 10 | 11;
  /** Header names lower-cased, in order; repeated headers appear repeatedly. */
  headers: [string, string][];
  /** Whether the connection stays open after the response (HTTP/1.1 default, or keep-alive on 1.0). */
  keepAlive: boolean;
  /** The body (Content-Length bytes), empty when none. */
  body: Uint8Array;
}

export type ParseResult =
  | { kind: "request"; request: HttpRequest; consumed: number }
  | { kind: "incomplete" }
  | { kind: "error"; status: 400 | 413 | 431 | 501; reason: string };

export interface ParseLimits {
  /** Largest request line plus headers, in bytes (default 8192): beyond it, 431. */
  maxHeaderBytes?: number;
  /** Largest body (default 1 MiB): beyond it, 413. */
  maxBodyBytes?: number;
}

const CR = 13, LF = 10;
const latin1 = new TextDecoder("latin1");

/** Index of "\r\n\r\n" in bytes[from, to), or -1. */
function findHeaderEnd(bytes: Uint8Array, from: number, to: number): number {
  for (let i = bytes.indexOf(CR, from); i !== -1 && i + 3 < to; i = bytes.indexOf(CR, i + 1)) {
    if (bytes[i + 1] === LF && bytes[i + 2] === CR && bytes[i + 3] === LF) return i;
  }
  return -1;
}

/**
 * Parses one request from bytes[start, end). Returns the request and how many bytes it used,
 * "incomplete" when more bytes are needed, or an error with the status to answer.
 */
export function parseRequest(bytes: Uint8Array, start = 0, end = bytes.length, limits: ParseLimits = {}): ParseResult {
  const maxHeader = limits.maxHeaderBytes ?? 8192;
  const maxBody = limits.maxBodyBytes ?? 1 << 20;
  const origin = start;
  // Tolerate empty lines before a request (RFC 9112 2.2).
  while (start < end && (bytes[start] === CR || bytes[start] === LF)) start++;
  const headerEnd = findHeaderEnd(bytes, start, Math.min(end, start + maxHeader + 4));
  if (headerEnd === -1) {
    if (end - start > maxHeader) return { kind: "error", status: 431, reason: "Request Header Fields Too Large" };
    return { kind: "incomplete" };
  }
  const head = latin1.decode(bytes.subarray(start, headerEnd));
  const lines = head.split("\r\n");
  const requestLine = lines[0].split(" ");
  if (requestLine.length !== 3) return { kind: "error", status: 400, reason: "Bad Request" };
  const [method, target, versionText] = requestLine;
  if (!/^[A-Z]+$/.test(method) || target.length === 0) return { kind: "error", status: 400, reason: "Bad Request" };
  const version = versionText === "HTTP/1.1" ? 11 : versionText === "HTTP/1.0" ? 10 : 0;
  if (version === 0) return { kind: "error", status: 400, reason: "Bad Request" };
  const headers: [string, string][] = [];
  let contentLength = 0;
  let connection = "";
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(":");
    if (colon <= 0) return { kind: "error", status: 400, reason: "Bad Request" };
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers.push([name, value]);
    if (name === "content-length") {
      if (!/^\d+$/.test(value)) return { kind: "error", status: 400, reason: "Bad Request" };
      contentLength = Number(value);
    } else if (name === "transfer-encoding") {
      return { kind: "error", status: 501, reason: "Not Implemented" };
    } else if (name === "connection") {
      connection = value.toLowerCase();
    }
  }
  if (contentLength > maxBody) return { kind: "error", status: 413, reason: "Content Too Large" };
  const bodyStart = headerEnd + 4;
  if (end - bodyStart < contentLength) return { kind: "incomplete" };
  const keepAlive = version === 11 ? !connection.includes("close") : connection.includes("keep-alive");
  return {
    kind: "request",
    request: {
      method, target, version: version as 10 | 11, headers, keepAlive,
      body: contentLength ? bytes.slice(bodyStart, bodyStart + contentLength) : new Uint8Array(0),
    },
    consumed: bodyStart + contentLength - origin,
  };
}

const STATUS_TEXT: Record<number, string> = {
  200: "OK", 204: "No Content", 400: "Bad Request", 404: "Not Found", 413: "Content Too Large",
  431: "Request Header Fields Too Large", 500: "Internal Server Error", 501: "Not Implemented",
};

/** Formats a complete response with Content-Length (and Connection: close when not keeping alive). */
export function formatResponse(status: number, body: Uint8Array | string, { contentType = "text/plain", keepAlive = true, headers = [] as [string, string][] } = {}): Uint8Array {
  const bodyBytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  let head = `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? "Status"}\r\nContent-Type: ${contentType}\r\nContent-Length: ${bodyBytes.length}\r\n`;
  if (!keepAlive) head += "Connection: close\r\n";
  for (const [k, v] of headers) head += `${k}: ${v}\r\n`;
  head += "\r\n";
  const headBytes = new TextEncoder().encode(head);
  const out = new Uint8Array(headBytes.length + bodyBytes.length);
  out.set(headBytes);
  out.set(bodyBytes, headBytes.length);
  return out;
}
