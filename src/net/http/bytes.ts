// Byte classes of HTTP/1.1's grammar (RFC 9110 5.6, RFC 9112), as lookup tables: a parser on the
// hot path asks one table per byte instead of a chain of comparisons.

export const HTAB = 9, LF = 10, CR = 13, SP = 32, COLON = 58, SEMICOLON = 59;

/** What a byte may be inside a field line. */
export const BYTE = Object.freeze({
  /** field-content: visible ASCII, obs-text (0x80-0xFF), SP and HTAB. */
  FIELD: 0,
  CR: 1,
  LF: 2,
  /** Any other control byte (NUL, 0x01-0x1F but HTAB/LF/CR, DEL): never valid in a head. */
  CTL: 3,
});

/** byteClass[b] is b's BYTE class. */
export const byteClass: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let b = 0; b < 256; b++) {
    if (b === CR) t[b] = BYTE.CR;
    else if (b === LF) t[b] = BYTE.LF;
    else if ((b < 0x20 && b !== HTAB) || b === 0x7f) t[b] = BYTE.CTL;
    else t[b] = BYTE.FIELD;
  }
  return t;
})();

/** isTchar[b] is 1 when b may appear in a token (a method, a field name, a list element). */
export const isTchar: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") t[c.charCodeAt(0)] = 1;
  return t;
})();

/** Whether bytes[from, from + lower.length) equals `lower` (lower-case ASCII) ignoring ASCII case. */
export function lowerAsciiEquals(bytes: Uint8Array, from: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    const b = bytes[from + i];
    // Folding with | 0x20 maps only letters onto letters; a non-letter must match exactly.
    if (b !== lower.charCodeAt(i) && ((b | 0x20) !== lower.charCodeAt(i) || b < 65 || b > 90)) return false;
  }
  return true;
}

/** hexValue[b] is b's value as a hex digit, or 255. */
export const hexValue: Uint8Array = (() => {
  const t = new Uint8Array(256).fill(255);
  for (let d = 0; d < 16; d++) {
    t["0123456789abcdef".charCodeAt(d)] = d;
    t["0123456789ABCDEF".charCodeAt(d)] = d;
  }
  return t;
})();
