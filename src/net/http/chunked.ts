// The chunked transfer coding of a request body (RFC 9112 7.1), decoded incrementally: bytes are
// fed as they arrive, in pieces of any size, and each byte is looked at once, so a client that
// sends its body one byte per packet costs time in proportion to the body, not its square.
// Strict like the head parser: hex sizes only, CRLF only, no control bytes in extensions, trailer
// fields validated like header fields; every size counts against maxBodyBytes before its data
// arrives, and the size lines and trailers against maxHeaderBytes / maxHeaderCount.
import { BYTE, CR, HTAB, LF, SEMICOLON, SP, byteClass, hexValue, isTchar } from "./bytes.ts";
import type { ErrorStatus, ParseLimits } from "./parser.ts";

// Decoder states, in order: the comparisons in feed() rely on it (size line < TRAILER_START <= trailers).
const SIZE = 0;
const SIZE_WHITESPACE = 1;
const EXTENSION_NAME = 2;
const EXTENSION = 3;
const SIZE_LF = 4;
const DATA = 5;
const DATA_CR = 6;
const DATA_LF = 7;
const TRAILER_START = 8;
const TRAILER = 9;
const TRAILER_LF = 10;
const FINAL_LF = 11;
const DONE = 12;

/** The longest chunk-size line (size, extensions, CRLF) accepted. */
const MAX_SIZE_LINE = 4096;
const latin1 = new TextDecoder("latin1");

/**
 * Decodes a chunked body fed in pieces of any size.
 *
 * @example
 * ```ts
 * const decoder = new ChunkedDecoder({ maxBodyBytes: 1 << 20 });
 * const bytes = new TextEncoder().encode("3\r\nabc\r\n0\r\n\r\n");
 * decoder.feed(bytes, 0, 5);              // any split works
 * decoder.feed(bytes, 5, bytes.length);
 * if (decoder.error) console.log("answer", decoder.error);
 * else if (decoder.done) console.log(new TextDecoder().decode(decoder.body())); // prints: abc
 * ```
 */
export class ChunkedDecoder {
  /** 0, or the status to answer: 400 (malformed), 413 (body too large), 431 (trailers too large). */
  error: 0 | ErrorStatus = 0;
  /** Trailer fields, lower-cased names, once done. */
  trailers: [string, string][] = [];
  /** Bytes of body decoded so far. */
  received = 0;
  #state = SIZE;
  #size = 0;
  #sizeDigits = 0;
  #lineBytes = 0;
  #left = 0;
  #pieces: Uint8Array[] = [];
  #trailerLine: number[] = [];
  #trailerBytes = 0;
  readonly #maxBody: number;
  readonly #maxTrailerBytes: number;
  readonly #maxTrailerCount: number;

  readonly #sink: ((piece: Uint8Array) => void) | null;

  /** `sink`, when given, receives each piece of body as it is decoded (body() then stays empty). */
  constructor(limits: ParseLimits = {}, sink?: (piece: Uint8Array) => void) {
    this.#sink = sink ?? null;
    this.#maxBody = limits.maxBodyBytes ?? 1 << 20;
    this.#maxTrailerBytes = limits.maxHeaderBytes ?? 8192;
    this.#maxTrailerCount = limits.maxHeaderCount ?? 100;
  }

  /** Whether the last chunk and the trailers have been read. */
  get done(): boolean {
    return this.#state === DONE;
  }

  /**
   * Decodes bytes[from, to). Returns how many were used: all of them until the body ends, then
   * only those up to its end (what follows belongs to the next request). After an error, stop.
   */
  feed(bytes: Uint8Array, from: number, to: number): number {
    let i = from;
    while (i < to && this.#state !== DONE && this.error === 0) {
      const b = bytes[i];
      switch (this.#state) {
        case SIZE: {
          const d = hexValue[b];
          if (d !== 255) {
            this.#size = this.#size * 16 + d;
            this.#sizeDigits++;
            if (this.received + this.#size > this.#maxBody) return this.fail(413, i);
          } else if (this.#sizeDigits === 0) return this.fail(400, i);
          else if (b === CR) this.#state = SIZE_LF;
          else if (b === SEMICOLON) this.#state = EXTENSION_NAME;
          else if (b === SP || b === HTAB) this.#state = SIZE_WHITESPACE;
          else return this.fail(400, i);
          break;
        }
        case SIZE_WHITESPACE:
          // BWS before an extension only (RFC 9112 7.1.1); nothing may follow it but ";".
          if (b === SEMICOLON) this.#state = EXTENSION_NAME;
          else if (b !== SP && b !== HTAB) return this.fail(400, i);
          break;
        case EXTENSION_NAME:
          // An extension has a name (a token), after optional whitespace; what follows it is
          // checked only for bytes that could end or split the line.
          if (isTchar[b]) this.#state = EXTENSION;
          else if (b !== SP && b !== HTAB) return this.fail(400, i);
          break;
        case EXTENSION:
          if (b === CR) this.#state = SIZE_LF;
          else if (byteClass[b] !== BYTE.FIELD) return this.fail(400, i);
          break;
        case SIZE_LF:
          if (b !== LF) return this.fail(400, i);
          this.#sizeDigits = 0;
          this.#lineBytes = 0;
          if (this.#size === 0) this.#state = TRAILER_START;
          else {
            this.#left = this.#size;
            this.#size = 0;
            this.#state = DATA;
          }
          break;
        case DATA: {
          const n = Math.min(this.#left, to - i);
          if (this.#sink !== null) this.#sink(bytes.slice(i, i + n));
          else this.#pieces.push(bytes.slice(i, i + n));
          this.received += n;
          this.#left -= n;
          i += n;
          if (this.#left === 0) this.#state = DATA_CR;
          continue;
        }
        case DATA_CR:
          if (b !== CR) return this.fail(400, i);
          this.#state = DATA_LF;
          break;
        case DATA_LF:
          if (b !== LF) return this.fail(400, i);
          this.#state = SIZE;
          break;
        case TRAILER_START:
          if (b === CR) {
            this.#state = FINAL_LF;
            break;
          }
          this.#state = TRAILER;
          this.#trailerLine.length = 0;
          continue; // the byte starts a field line
        case TRAILER:
          if (b === CR) this.#state = TRAILER_LF;
          else if (byteClass[b] !== BYTE.FIELD) return this.fail(400, i);
          else this.#trailerLine.push(b);
          break;
        case TRAILER_LF:
          if (b !== LF) return this.fail(400, i);
          if (!this.addTrailer()) return i + 1;
          this.#state = TRAILER_START;
          break;
        case FINAL_LF:
          if (b !== LF) return this.fail(400, i);
          this.#state = DONE;
          break;
      }
      i++;
      if (this.#state <= SIZE_LF && ++this.#lineBytes > MAX_SIZE_LINE) return this.fail(400, i);
      if (this.#state >= TRAILER_START && ++this.#trailerBytes > this.#maxTrailerBytes) return this.fail(431, i);
    }
    return i - from;
  }

  /** The body decoded, in one array. */
  body(): Uint8Array {
    if (this.#pieces.length === 1) return this.#pieces[0];
    const out = new Uint8Array(this.received);
    let at = 0;
    for (const p of this.#pieces) {
      out.set(p, at);
      at += p.length;
    }
    this.#pieces = out.length ? [out] : [];
    return out;
  }

  private fail(status: ErrorStatus, at: number): number {
    this.error = status as 0 | ErrorStatus;
    this.#pieces = [];
    return at;
  }

  /** Validates the trailer line just read (name, colon, value) and keeps it. */
  private addTrailer(): boolean {
    const line = this.#trailerLine;
    let colon = 0;
    while (colon < line.length && isTchar[line[colon]]) colon++;
    if (colon === 0 || line[colon] !== 58) {
      this.fail(400, 0);
      return false;
    }
    if (this.trailers.length >= this.#maxTrailerCount) {
      this.fail(431, 0);
      return false;
    }
    const text = latin1.decode(new Uint8Array(line));
    this.trailers.push([text.slice(0, colon).toLowerCase(), text.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "")]);
    return true;
  }
}
