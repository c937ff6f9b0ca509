// The DNS wire format (RFC 1035, with AAAA from RFC 3596 and SRV from RFC 2782): encoding a query,
// decoding a response. Decoding treats every byte as hostile: each read is bounds-checked, a
// compression pointer must point backwards (so a pointer loop cannot spin), names are limited to
// 255 bytes, and anything malformed is a DnsError "BADRESPONSE" rather than an exception of another
// kind or a partial answer.

/** Record types evffi's resolver asks for and decodes. */
export const RecordType = Object.freeze({ A: 1, CNAME: 5, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33 });
/** A DNS record type evffi's resolver asks for and decodes. */
export type RecordTypeName = "A" | "AAAA" | "PTR" | "SRV" | "TXT" | "MX" | "CNAME";

/** A decoded resource record. */
export type DnsRecord =
  | { type: "A" | "AAAA"; name: string; ttl: number; address: string }
  | { type: "PTR" | "CNAME"; name: string; ttl: number; target: string }
  | { type: "MX"; name: string; ttl: number; priority: number; exchange: string }
  | { type: "SRV"; name: string; ttl: number; priority: number; weight: number; port: number; target: string }
  | { type: "TXT"; name: string; ttl: number; text: string[] };

/** Why a lookup failed: the server's RCODE name, or what went wrong on the way. */
export type DnsErrorCode = "NXDOMAIN" | "NODATA" | "SERVFAIL" | "REFUSED" | "FORMERR" | "NOTIMP" | "TIMEOUT" | "BADRESPONSE" | "CANCELLED";

/** A failed lookup, with the name asked for. */
export class DnsError extends Error {
  /**
   * A failed lookup of `hostname`, for the reason `code` names.
   *
   * @param code why the lookup failed
   * @param hostname the name that was asked for
   * @param detail more about the failure, added to the message
   */
  constructor(readonly code: DnsErrorCode, readonly hostname: string, detail?: string) {
    super(`DNS lookup of ${JSON.stringify(hostname)} failed: ${code}${detail ? ` (${detail})` : ""}`);
    this.name = "DnsError";
  }
}

/** A decoded response: its header fields and its answer records. */
export interface DnsResponse {
  id: number;
  /** TC: the answer did not fit a UDP datagram; ask again over TCP. */
  truncated: boolean;
  rcode: number;
  question: { name: string; type: number } | null;
  answers: DnsRecord[];
}

const RCODES: Record<number, DnsErrorCode> = { 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED" };
/** The error code for a response's RCODE (0 is success: null). */
export function rcodeError(rcode: number): DnsErrorCode | null {
  return rcode === 0 ? null : RCODES[rcode] ?? "SERVFAIL";
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: false });

/** Encodes a standard recursive query for `name` of `type` with `id`. Throws TypeError for a bad name. */
export function encodeQuery(id: number, name: string, type: number): Uint8Array {
  const labels = name.replace(/\.$/, "").split(".");
  if (name.length === 0 || labels.some((l) => l.length === 0)) throw new TypeError(`not a valid DNS name: ${JSON.stringify(name)}`);
  const encoded = labels.map((l) => encoder.encode(l));
  if (encoded.some((l) => l.length > 63)) throw new TypeError(`a label of ${JSON.stringify(name)} is longer than 63 bytes`);
  const nameLength = encoded.reduce((n, l) => n + 1 + l.length, 1);
  if (nameLength > 255) throw new TypeError(`${JSON.stringify(name)} is longer than 255 bytes`);
  const out = new Uint8Array(12 + nameLength + 4);
  const view = new DataView(out.buffer);
  view.setUint16(0, id);
  view.setUint16(2, 0x0100); // RD: recursion desired
  view.setUint16(4, 1); // one question
  let at = 12;
  for (const l of encoded) {
    out[at++] = l.length;
    out.set(l, at);
    at += l.length;
  }
  out[at++] = 0;
  view.setUint16(at, type);
  view.setUint16(at + 2, 1); // class IN
  return out;
}

class Reader {
  readonly view: DataView;
  constructor(readonly bytes: Uint8Array, public at = 0) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  need(n: number): void {
    if (this.at + n > this.bytes.byteLength) throw new DnsError("BADRESPONSE", "", `cut short at byte ${this.at}`);
  }
  u8(): number {
    this.need(1);
    return this.bytes[this.at++]!;
  }
  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.at);
    this.at += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.at);
    this.at += 4;
    return v;
  }
  /** A possibly compressed name; `at` moves past its in-place part only. */
  name(): string {
    const labels: string[] = [];
    let pos = this.at;
    let jumped = false;
    let total = 0;
    for (;;) {
      if (pos >= this.bytes.byteLength) throw new DnsError("BADRESPONSE", "", "a name runs past the end");
      const len = this.bytes[pos]!;
      if (len === 0) {
        if (!jumped) this.at = pos + 1;
        break;
      }
      if ((len & 0xc0) === 0xc0) {
        if (pos + 1 >= this.bytes.byteLength) throw new DnsError("BADRESPONSE", "", "a compression pointer is cut short");
        const target = ((len & 0x3f) << 8) | this.bytes[pos + 1]!;
        // Only backwards: every pointer then strictly decreases, so no loop is possible.
        if (target >= pos) throw new DnsError("BADRESPONSE", "", "a compression pointer points forward");
        if (!jumped) this.at = pos + 2;
        jumped = true;
        pos = target;
        continue;
      }
      if (len > 63) throw new DnsError("BADRESPONSE", "", "a label type evffi does not know");
      if (pos + 1 + len > this.bytes.byteLength) throw new DnsError("BADRESPONSE", "", "a label runs past the end");
      total += len + 1;
      if (total > 255) throw new DnsError("BADRESPONSE", "", "a name longer than 255 bytes");
      labels.push(decoder.decode(this.bytes.subarray(pos + 1, pos + 1 + len)));
      pos += 1 + len;
    }
    return labels.join(".");
  }
}

function ipv6(bytes: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  // The longest run of zero groups (two or more) becomes "::" (RFC 5952).
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === "0") j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  if (best < 0) return groups.join(":");
  return `${groups.slice(0, best).join(":")}::${groups.slice(best + bestLen).join(":")}`;
}

/** Decodes a response. Throws DnsError "BADRESPONSE" for anything malformed. */
export function decodeResponse(bytes: Uint8Array): DnsResponse {
  const r = new Reader(bytes);
  const id = r.u16();
  const flags = r.u16();
  if ((flags & 0x8000) === 0) throw new DnsError("BADRESPONSE", "", "not a response (QR is 0)");
  const qd = r.u16(), an = r.u16();
  r.u16(); // authority records
  r.u16(); // additional records
  let question: DnsResponse["question"] = null;
  for (let i = 0; i < qd; i++) {
    const name = r.name();
    const type = r.u16();
    r.u16(); // class
    if (i === 0) question = { name, type };
  }
  const answers: DnsRecord[] = [];
  for (let i = 0; i < an; i++) {
    const name = r.name();
    const type = r.u16();
    r.u16(); // class
    const ttl = r.u32();
    const length = r.u16();
    r.need(length);
    const end = r.at + length;
    const data = bytes.subarray(r.at, end);
    switch (type) {
      case RecordType.A:
        if (length !== 4) throw new DnsError("BADRESPONSE", name, "an A record that is not 4 bytes");
        answers.push({ type: "A", name, ttl, address: Array.from(data).join(".") });
        break;
      case RecordType.AAAA:
        if (length !== 16) throw new DnsError("BADRESPONSE", name, "an AAAA record that is not 16 bytes");
        answers.push({ type: "AAAA", name, ttl, address: ipv6(data) });
        break;
      case RecordType.CNAME:
      case RecordType.PTR: {
        const target = r.name();
        answers.push({ type: type === RecordType.PTR ? "PTR" : "CNAME", name, ttl, target });
        break;
      }
      case RecordType.MX: {
        const priority = r.u16();
        answers.push({ type: "MX", name, ttl, priority, exchange: r.name() });
        break;
      }
      case RecordType.SRV: {
        const priority = r.u16(), weight = r.u16(), port = r.u16();
        answers.push({ type: "SRV", name, ttl, priority, weight, port, target: r.name() });
        break;
      }
      case RecordType.TXT: {
        const text: string[] = [];
        for (let at = 0; at < length; ) {
          const n = data[at]!;
          if (at + 1 + n > length) throw new DnsError("BADRESPONSE", name, "a TXT string runs past its record");
          text.push(decoder.decode(data.subarray(at + 1, at + 1 + n)));
          at += 1 + n;
        }
        answers.push({ type: "TXT", name, ttl, text });
        break;
      }
      default:
        break; // a type not asked for: skipped
    }
    if (r.at > end) throw new DnsError("BADRESPONSE", name, "a record's data runs past its length");
    r.at = end;
  }
  return { id, truncated: (flags & 0x0200) !== 0, rcode: flags & 0x0f, question, answers };
}
