// An asynchronous DNS resolver on the reactor, as libevent's evdns: queries go out over UDP from
// the base's own sockets, answers and timeouts arrive as events, a truncated answer is asked again
// over TCP, and nothing blocks. It reads /etc/resolv.conf and /etc/hosts, tries the search domains
// the way the C library does (ndots), retries on the next nameserver after a timeout or SERVFAIL,
// and caches answers for their TTL.
//
// Replies are checked before they count: the id, the nameserver it came from, and the question it
// answers must all match a query in flight (a spoofed or stray datagram is dropped), and the
// message is decoded with every read bounds-checked (message.ts).
import type { EventBase } from "../../core/base.ts";
import type { Event } from "../../core/event.ts";
import { EV } from "../../core/flags.ts";
import { readTextFile } from "../../ffi/sys.ts";
import { type AddressSpec, formatAddress, resolveAddress, type SocketAddress } from "../../ffi/sockaddr.ts";
import { BEV } from "../abstract-bufferevent.ts";
import { BufferEvent } from "../bufferevent.ts";
import { DatagramSocket } from "../datagram.ts";
import { parseHosts, parseResolvConf } from "./config.ts";
import { HOSTS_FILE, type HostsEntry, hostsEntry } from "./hosts.ts";
import {
  decodeResponse, DnsError, type DnsErrorCode, type DnsRecord, type DnsResponse, encodeQuery, rcodeError, RecordType,
  type RecordTypeName,
} from "./message.ts";

/** Where a Resolver finds nameservers and host names, how long it waits, and what it caches. */
export interface ResolverOptions {
  /** Nameservers to ask, in order (default: resolv.conf's). `{ host, port }`, port 53 by default. */
  nameservers?: readonly (AddressSpec | string)[];
  /** Path of resolv.conf (default /etc/resolv.conf; a missing file means the C library's defaults). */
  resolvConf?: string;
  /** Path of the hosts file (default /etc/hosts), or null to ask DNS for every name. */
  hostsFile?: string | null;
  /** Search domains and ndots (default: resolv.conf's). */
  search?: readonly string[];
  /** Names with fewer dots than this are tried with the search domains first. */
  ndots?: number;
  /** Time to wait for one answer, and how many times to ask each nameserver (default: resolv.conf's, else 5000 ms and 2). */
  timeoutMs?: number;
  /** How many times the nameservers are asked in turn before the lookup fails (default: resolv.conf's, else 2). */
  attempts?: number;
  /** Keep answers for their TTL (default true); at most this many names (default 1000). */
  cache?: boolean;
  /** Most names the cache holds (default 1000); the oldest go first. */
  maxCacheEntries?: number;
}

/** Called once with the records of the asked type, or an error. */
export type ResolveCallback = (error: DnsError | null, records: DnsRecord[]) => void;

/** An address lookup's answer. */
export interface LookupAddress {
  /** Whether the address is IPv4 or IPv6. */
  family: "ipv4" | "ipv6";
  /** The address in text form: "192.0.2.1", "2001:db8::1". */
  address: string;
}

/** A lookup in flight: cancel() calls its callback with CANCELLED now. */
export interface PendingLookup {
  /** Ends the lookup now: its callback runs with a CANCELLED error, and a later answer is ignored. */
  cancel(): void;
}

const TYPES: Record<RecordTypeName, number> = RecordType;
const MAX_TCP_ANSWER = 65535;

interface Query {
  id: number;
  hostname: string;
  type: number;
  typeName: RecordTypeName;
  candidates: string[];
  candidate: number;
  sent: number;
  server: number;
  timer: Event | null;
  tcp: BufferEvent | null;
  callback: ResolveCallback;
}

/**
 * A DNS resolver owned by one base.
 *
 * @example
 * ```ts
 * import { EventBase, Resolver } from "evffi";
 *
 * const base = new EventBase();
 * const resolver = new Resolver(base);
 * resolver.lookup("localhost", (err, addresses) => {
 *   console.log(err ?? addresses);            // [{ family: "ipv4", address: "127.0.0.1" }, ...]
 *   resolver.close();
 * });
 * base.loopSync();
 * ```
 */
export class Resolver {
  private readonly base: EventBase;
  private readonly servers: SocketAddress[];
  private readonly search: string[];
  private readonly ndots: number;
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly hosts: Map<string, HostsEntry>;
  private readonly cacheEnabled: boolean;
  private readonly maxCacheEntries: number;
  private readonly cache = new Map<string, { expires: number; records: DnsRecord[] }>();
  private readonly inFlight = new Map<number, Query>();
  private udp4: DatagramSocket | null = null;
  private udp6: DatagramSocket | null = null;
  private isClosed = false;

  /** A resolver on `base`, configured from resolv.conf and the hosts file unless `options` say otherwise. */
  constructor(base: EventBase, options: ResolverOptions = {}) {
    if (typeof options !== "object" || options === null) throw new TypeError(`options must be an object, got ${options === null ? "null" : typeof options}`);
    this.base = base;
    const confText = readTextFile(options.resolvConf ?? "/etc/resolv.conf");
    const conf = parseResolvConf(confText ?? "");
    this.servers = options.nameservers
      ? options.nameservers.map((s) => resolveAddress(typeof s === "string" ? { host: s, port: 53 } : { port: 53, ...s }))
      : conf.nameservers;
    if (this.servers.length === 0) throw new TypeError("nameservers must name at least one server");
    if (this.servers.some((s) => s.family === "unix")) throw new TypeError("a nameserver must be an IPv4 or IPv6 address");
    this.search = [...(options.search ?? conf.search)];
    this.ndots = options.ndots ?? conf.ndots;
    this.timeoutMs = options.timeoutMs ?? conf.timeoutMs;
    this.attempts = options.attempts ?? conf.attempts;
    if (!(this.timeoutMs > 0)) throw new RangeError(`timeoutMs must be > 0, got ${String(options.timeoutMs)}`);
    if (!Number.isInteger(this.attempts) || this.attempts < 1) throw new RangeError(`attempts must be an integer >= 1, got ${String(options.attempts)}`);
    const hostsPath = options.hostsFile === undefined ? HOSTS_FILE : options.hostsFile;
    this.hosts = hostsPath === null ? new Map() : parseHosts(readTextFile(hostsPath) ?? "");
    this.cacheEnabled = options.cache ?? true;
    this.maxCacheEntries = options.maxCacheEntries ?? 1000;
  }

  /**
   * Asks for the records of `type` for `name` (search domains applied as resolv.conf says) and calls
   * `callback` once, from the loop: `(null, records)`, or `(DnsError, [])` with NXDOMAIN, NODATA,
   * TIMEOUT, SERVFAIL, REFUSED, BADRESPONSE or CANCELLED.
   */
  query(name: string, type: RecordTypeName, callback: ResolveCallback): PendingLookup {
    this.checkOpen();
    if (typeof name !== "string" || name.length === 0) throw new TypeError(`name must be a non-empty string, got ${typeof name === "string" ? '""' : typeof name}`);
    if (!(type in TYPES)) throw new TypeError(`type must be one of ${Object.keys(TYPES).join(", ")}, got ${JSON.stringify(type)}`);
    if (typeof callback !== "function") throw new TypeError(`callback must be a function, got ${typeof callback}`);
    encodeQuery(0, name, 1); // validates the name now, not from the loop

    const key = `${type} ${name.toLowerCase()}`;
    const cached = this.cacheEnabled ? this.cache.get(key) : undefined;
    if (cached && cached.expires > this.base.now()) return this.later(callback, null, cached.records);
    // A name the hosts file knows is answered from it alone ("hosts: files dns"), even when it
    // lists no address of this family; so is a loopback name it does not list (RFC 6761).
    const entry = type === "A" || type === "AAAA" ? hostsEntry(this.hosts, name) : undefined;
    if (entry) {
      const addresses = type === "A" ? entry.v4 : entry.v6;
      if (addresses.length === 0) return this.later(callback, new DnsError("NODATA", name, "the hosts file lists no such address"), []);
      return this.later(callback, null, addresses.map((address): DnsRecord => ({ type: type as "A" | "AAAA", name, ttl: 0, address })));
    }
    const query: Query = {
      id: this.newId(), hostname: name, type: TYPES[type], typeName: type, candidates: this.candidates(name), candidate: 0,
      sent: 0, server: 0, timer: null, tcp: null,
      callback: (err, records) => {
        if (!err && this.cacheEnabled && records.length) this.remember(key, records);
        callback(err, records);
      },
    };
    this.inFlight.set(query.id, query);
    this.send(query);
    return { cancel: () => this.finish(query, new DnsError("CANCELLED", name), []) };
  }

  /** query() as a Promise (for `await base.loop()`; loopSync() runs no promise reactions while it blocks). */
  resolve(name: string, type: RecordTypeName = "A"): Promise<DnsRecord[]> {
    return new Promise((resolve, reject) => this.query(name, type, (err, records) => (err ? reject(err) : resolve(records))));
  }

  /**
   * The addresses of `host`: a numeric address as it is, a hosts-file name from the file, otherwise
   * A and AAAA records (`family` 4 or 6 asks for one kind only). IPv4 first.
   */
  lookup(host: string, callback: (error: DnsError | null, addresses: LookupAddress[]) => void, options: { family?: 0 | 4 | 6 } = {}): PendingLookup {
    this.checkOpen();
    if (typeof host !== "string" || host.length === 0) throw new TypeError(`host must be a non-empty string, got ${typeof host}`);
    const family = options.family ?? 0;
    if (family !== 0 && family !== 4 && family !== 6) throw new RangeError(`family must be 0, 4 or 6, got ${String(family)}`);
    // A numeric address needs no lookup (resolveAddress also knows "localhost": that one is a name).
    if (/^[\d.]+$|:/.test(host)) {
      const literal = resolveAddress({ host: host.replace(/^\[|\]$/g, ""), port: 0 });
      if (literal.family !== "unix") return this.later(callback, null, [{ family: literal.family, address: literal.host }]);
    }
    const types: RecordTypeName[] = family === 4 ? ["A"] : family === 6 ? ["AAAA"] : ["A", "AAAA"];
    const found: LookupAddress[][] = types.map(() => []);
    const errors: DnsError[] = [];
    let left = types.length;
    const pending = types.map((type, i) =>
      this.query(host, type, (err, records) => {
        if (err) errors.push(err);
        for (const r of records) if (r.type === "A" || r.type === "AAAA") found[i]!.push({ family: r.type === "A" ? "ipv4" : "ipv6", address: r.address });
        if (--left > 0) return;
        const all = found.flat();
        callback(all.length ? null : errors[0] ?? new DnsError("NODATA", host), all);
      })
    );
    return { cancel: () => pending.forEach((p) => p.cancel()) };
  }

  /** The names of an IPv4 or IPv6 address (PTR records under in-addr.arpa or ip6.arpa). */
  reverse(address: string, callback: ResolveCallback): PendingLookup {
    const addr = resolveAddress({ host: address, port: 0 });
    let name: string;
    if (addr.family === "unix") throw new TypeError(`address must be an IPv4 or IPv6 address, got ${JSON.stringify(address)}`);
    if (addr.family === "ipv4") name = `${addr.host.split(".").reverse().join(".")}.in-addr.arpa.`;
    else {
      const nibbles = expandIpv6(addr.host).flatMap((g) => [g >> 12, (g >> 8) & 15, (g >> 4) & 15, g & 15]);
      name = `${nibbles.reverse().map((n) => n.toString(16)).join(".")}.ip6.arpa.`;
    }
    return this.query(name, "PTR", callback);
  }

  /** Cancels every lookup in flight (their callbacks get CANCELLED) and closes the sockets. */
  close(): void {
    if (this.isClosed) return;
    for (const q of [...this.inFlight.values()]) this.finish(q, new DnsError("CANCELLED", q.hostname), []);
    this.isClosed = true;
    this.udp4?.close();
    this.udp6?.close();
  }

  /** Whether close() was called. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Same as close(), for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  // ---- internals ------------------------------------------------------------------------------

  private checkOpen(): void {
    if (this.isClosed) throw new Error("this Resolver is closed");
  }

  /**
   * Calls back from the loop, never from inside the call that asked. cancel() removes the event,
   * so a cancelled answer leaves nothing on the base.
   */
  private later<T>(callback: (err: DnsError | null, value: T) => void, err: DnsError | null, value: T): PendingLookup {
    const event = this.base.timer(0, () => {
      event.close();
      callback(err, value);
    });
    return { cancel: () => event.close() };
  }

  private newId(): number {
    const buf = new Uint16Array(1);
    do crypto.getRandomValues(buf);
    while (this.inFlight.has(buf[0]!));
    return buf[0]!;
  }

  private candidates(name: string): string[] {
    if (name.endsWith(".")) return [name.slice(0, -1)];
    const dots = name.split(".").length - 1;
    const searched = this.search.map((d) => `${name}.${d}`);
    return dots >= this.ndots ? [name, ...searched] : [...searched, name];
  }

  private socketFor(server: SocketAddress): DatagramSocket {
    const make = (type: "udp4" | "udp6") => new DatagramSocket(this.base, type, { maxMessageSize: 4096, batch: 4, onMessage: (data, from) => this.onDatagram(data, from) });
    // Open only while a query is in flight: an idle resolver holds no fd and keeps no loop running,
    // and each burst of queries goes out from a new random source port.
    return server.family === "ipv6" ? (this.udp6 ??= make("udp6")) : (this.udp4 ??= make("udp4"));
  }

  private send(q: Query): void {
    const server = this.servers[q.server % this.servers.length]!;
    q.sent++;
    q.timer?.close();
    q.timer = this.base.timer(this.timeoutMs, () => this.retry(q, "TIMEOUT"));
    const message = encodeQuery(q.id, q.candidates[q.candidate]!, q.type);
    try {
      this.socketFor(server).send(message, server);
    } catch {
      // An unreachable server fails like one that does not answer: the timer moves on.
    }
  }

  /** Next server, or the same ones again, until every attempt is used; then the error. */
  private retry(q: Query, code: DnsErrorCode): void {
    q.tcp?.close();
    q.tcp = null;
    if (q.sent >= this.attempts * this.servers.length) return this.finish(q, new DnsError(code, q.hostname), []);
    q.server++;
    this.inFlight.delete(q.id);
    q.id = this.newId(); // a late answer to the previous try no longer matches
    this.inFlight.set(q.id, q);
    this.send(q);
  }

  private onDatagram(data: Uint8Array, from: SocketAddress | null): void {
    let response: DnsResponse;
    try {
      response = decodeResponse(data);
    } catch {
      return; // garbage, possibly not even for us: the query's timer still runs
    }
    const q = this.inFlight.get(response.id);
    if (!q || !from) return;
    const server = this.servers[q.server % this.servers.length]!;
    // Not from the server asked, or not an answer to the question asked: dropped, as a forgery
    // would be; the query's timer still runs.
    if (formatAddress(from) !== formatAddress(server) || !this.answersQuestion(q, response)) return;
    this.answer(q, response);
  }

  private answersQuestion(q: Query, response: DnsResponse): boolean {
    const asked = q.candidates[q.candidate]!;
    return response.question !== null && response.question.type === q.type && response.question.name.toLowerCase() === asked.toLowerCase();
  }

  private answer(q: Query, response: DnsResponse): void {
    if (response.truncated && q.tcp === null) return this.askOverTcp(q);
    const code = rcodeError(response.rcode);
    if (code === "SERVFAIL" || code === "REFUSED" || code === "NOTIMP" || code === "FORMERR") return this.retry(q, code);
    const records = response.answers.filter((r) => r.type === q.typeName);
    if (code === "NXDOMAIN" || records.length === 0) {
      if (q.candidate + 1 < q.candidates.length) {
        q.candidate++;
        q.sent = 0;
        q.server = 0;
        return this.retry(q, code ?? "NODATA");
      }
      return this.finish(q, new DnsError(code ?? "NODATA", q.hostname), []);
    }
    this.finish(q, null, records);
  }

  private askOverTcp(q: Query): void {
    const server = this.servers[q.server % this.servers.length]!;
    const message = encodeQuery(q.id, q.candidates[q.candidate]!, q.type);
    const framed = new Uint8Array(2 + message.byteLength);
    new DataView(framed.buffer).setUint16(0, message.byteLength);
    framed.set(message, 2);
    const tcp = new BufferEvent(this.base, -1);
    q.tcp = tcp;
    tcp.setCallbacks((b) => {
      const input = b.input;
      if (input.length < 2) return;
      const head = input.copyOut(2);
      const length = (head[0]! << 8) | head[1]!;
      if (input.length < 2 + length) return;
      b.drainInput(2);
      const body = b.read(length);
      let response: DnsResponse;
      try {
        response = decodeResponse(body);
      } catch {
        return this.retry(q, "BADRESPONSE");
      }
      if (response.id !== q.id || !this.answersQuestion(q, response)) return this.retry(q, "BADRESPONSE");
      q.tcp = null;
      b.close();
      this.answer(q, { ...response, truncated: false });
    }, null, (b, what) => {
      if (what & BEV.CONNECTED) return;
      if (q.tcp === b) this.retry(q, what & BEV.TIMEOUT ? "TIMEOUT" : "BADRESPONSE");
    });
    tcp.setWatermark(EV.READ, 0, 2 + MAX_TCP_ANSWER);
    tcp.connect(server);
    tcp.write(framed);
    tcp.enable(EV.READ);
  }

  private finish(q: Query, err: DnsError | null, records: DnsRecord[]): void {
    if (this.inFlight.get(q.id) !== q) return;
    this.inFlight.delete(q.id);
    q.timer?.close();
    q.timer = null;
    q.tcp?.close();
    q.tcp = null;
    if (this.inFlight.size === 0) {
      this.udp4?.close();
      this.udp6?.close();
      this.udp4 = this.udp6 = null;
    }
    q.callback(err, records);
  }

  private remember(key: string, records: DnsRecord[]): void {
    const ttl = Math.min(...records.map((r) => r.ttl));
    if (ttl <= 0) return;
    if (this.cache.size >= this.maxCacheEntries) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, { expires: this.base.now() + ttl * 1000, records });
  }
}

function expandIpv6(host: string): number[] {
  const [head = "", tail] = host.split("::");
  const part = (s: string) => (s ? s.split(":").map((g) => parseInt(g, 16)) : []);
  const h = part(head), t = part(tail ?? "");
  return tail === undefined ? h : [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
}
