// Datagram sockets on the reactor: UDP over IPv4 and IPv6, Unix datagram sockets (paths and Linux
// abstract names such as systemd's NOTIFY_SOCKET), and Unix seqpacket sockets.
//
// Receiving drains the socket in batches: on Linux one recvmmsg(2) fills up to `batch` slots per
// call (one syscall for many datagrams, as libuv's UDP does); elsewhere recvfrom(2) is called per
// datagram. Each slot is `maxMessageSize` bytes of memory that C writes into, kept for the
// socket's life, so a receive allocates nothing but the sender's address. A datagram's bytes are a
// view into its slot, valid only during the callback. sendBatch() sends many with one sendmmsg(2).
// Packet info and UDP segmentation travel in control messages (datagram-cmsg.ts); a socket that
// asked for neither passes no control buffer, so its receive path is the plain one.
import type { EventBase } from "../core/base.ts";
import type { Event } from "../core/event.ts";
import { EV } from "../core/flags.ts";
import {
  constants as C, decodeAddress, encodeAddress, Errno, errnoCell, hasSymbol, layout as L, libc,
  resolveAddress, setU64, type SocketAddress, StableBuffer, SyscallError, sys, u64arg,
} from "../ffi/mod.ts";
import type { AddressSpec } from "../ffi/sockaddr.ts";
import { localAddress, peerAddress } from "./socket.ts";
import { describeDatagramSocket } from "./inspect.ts";
import { printAs } from "../ffi/mod.ts";
import { setMembership } from "./datagram-multicast.ts";
import { BatchSender, MMSG_SIZE, writeSize } from "./datagram-batch.ts";
import {
  CONTROL_SLOT, ControlSender, enableGro, enablePacketInfo, readControl, type ReceivedControl, type SendOptions,
} from "./datagram-cmsg.ts";

export type { SendOptions } from "./datagram-cmsg.ts";

/** What kind of datagram socket: UDP, or a Unix socket that keeps message boundaries. */
export type DatagramType = "udp4" | "udp6" | "unix" | "unix-seqpacket";

/** Called once per datagram: its bytes (a view valid only during the call) and who sent it. */
export type MessageCallback = (data: Uint8Array, from: SocketAddress | null, info: MessageInfo) => void;

/**
 * What else is known about a received datagram. One object per socket, refilled for each
 * datagram: read it during the call.
 *
 * @example
 * ```ts
 * import { DatagramSocket, EventBase } from "evffi";
 *
 * const base = new EventBase();
 * // An echo server on every address, answering from the address each datagram came to.
 * const server = new DatagramSocket(base, "udp4", {
 *   bind: { host: "0.0.0.0", port: 0 },
 *   packetInfo: true,
 *   onMessage: (data, from, info) => {
 *     if (info.truncated) return; // longer than maxMessageSize
 *     console.log(`to ${info.localAddress}`); // prints: to 127.0.0.1
 *     info.socket.send(data, from, info); // info carries localAddress and interfaceIndex
 *   },
 * });
 * const { port } = server.address as { port: number };
 * const client = new DatagramSocket(base, "udp4", {
 *   connect: { host: "127.0.0.1", port },
 *   onMessage: (data) => {
 *     console.log(new TextDecoder().decode(data)); // prints: ping
 *     client.close();
 *     server.close();
 *   },
 * });
 * client.send("ping");
 * base.loopSync();
 * base.close();
 * ```
 */
export interface MessageInfo {
  /** The datagram was longer than `maxMessageSize` and was cut (MSG_TRUNC). */
  truncated: boolean;
  /** The socket it arrived on. */
  socket: DatagramSocket;
  /**
   * With `packetInfo`: the local address the datagram was sent to (its IP header's destination),
   * which tells a socket bound to 0.0.0.0 or :: where to answer from. null without the option.
   */
  localAddress: string | null;
  /** With `packetInfo`: the index of the interface it arrived on; 0 without the option. */
  interfaceIndex: number;
}

/** How a DatagramSocket is opened (or which open socket it wraps), bound, connected and tuned. */
export interface DatagramOptions {
  /** Bind to this address: `{ port, host? }` (UDP; port 0 picks one) or `{ path }` (Unix; "@name" is abstract). */
  bind?: AddressSpec;
  /** Connect to this peer: send() then needs no address, and only its datagrams arrive. */
  connect?: AddressSpec;
  /** Called for each datagram; without it the socket only sends. */
  onMessage?: MessageCallback;
  /** Largest datagram received whole, in bytes (default 65536: any UDP datagram). */
  maxMessageSize?: number;
  /** Datagrams taken per recvmmsg(2) on Linux (default 16; memory is batch x maxMessageSize). */
  batch?: number;
  /** SO_REUSEADDR before binding (default false). */
  reuseAddr?: boolean;
  /** SO_REUSEPORT before binding: several sockets share the port, the kernel spreads datagrams. */
  reusePort?: boolean;
  /** SO_BROADCAST (IPv4: send to broadcast addresses). */
  broadcast?: boolean;
  /** SO_RCVBUF / SO_SNDBUF in bytes (the kernel may double or cap them). */
  receiveBufferSize?: number;
  /** SO_SNDBUF in bytes (the kernel may double or cap it). */
  sendBufferSize?: number;
  /**
   * Wrap this open socket instead of opening one (inherited, or one end of a socketpair); it must
   * be of `type`. The DatagramSocket owns it from then on. See DatagramSocket.fromFd().
   */
  fd?: number;
  /**
   * UDP: report each datagram's local address and interface in `info` (IP_PKTINFO,
   * IPV6_RECVPKTINFO; IP_RECVDSTADDR and IP_RECVIF on FreeBSD). `socket.send(reply, from, info)`
   * then answers from the address the datagram arrived at.
   */
  packetInfo?: boolean;
  /**
   * UDP on Linux 5.0+: let the kernel coalesce datagrams of one flow (UDP_GRO) and split them
   * back here, so onMessage still sees one call per datagram with its original boundaries. Each
   * receive slot is then at least 64 KiB. NotAvailableError where the kernel lacks it.
   */
  gro?: boolean;
  /** Called with receive errors other than EAGAIN (for a connected UDP socket: ECONNREFUSED). Default: thrown from the loop. */
  onError?: (err: SyscallError, socket: DatagramSocket) => void;
}

const M = L.msghdr;
const IOV = L.iovec;
const encoder = new TextEncoder();
/** Datagrams one readable event takes at most before the loop runs other events again. */
const MAX_BATCHES_PER_WAKE = 4;

function checkPositive(name: string, v: unknown, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > max) {
    throw new RangeError(`${name} must be an integer 1..${max}, got ${typeof v === "number" ? v : `${typeof v} ${String(v)}`}`);
  }
  return v;
}

function addressFamilyMatches(type: DatagramType, addr: SocketAddress): boolean {
  return type === "udp4" ? addr.family === "ipv4" : type === "udp6" ? addr.family === "ipv6" : addr.family === "unix";
}

/**
 * A datagram socket watched by an EventBase.
 *
 * @example
 * ```ts
 * import { DatagramSocket, EventBase } from "evffi";
 *
 * const base = new EventBase();
 * const server = new DatagramSocket(base, "udp4", {
 *   bind: { port: 0 },
 *   onMessage: (data, from, { socket }) => socket.send(data, from!),   // echo
 * });
 * const client = new DatagramSocket(base, "udp4", {
 *   connect: server.address,
 *   onMessage: (data) => {
 *     console.log(new TextDecoder().decode(data));                     // prints: ping
 *     client.close();
 *     server.close();
 *   },
 * });
 * client.send("ping");
 * base.loopSync();
 * base.close();
 * ```
 */
export class DatagramSocket {
  /** The socket's fd. */
  readonly fd: number;
  /** What kind of datagram socket this is: "udp4", "udp6", "unix" or "unix-seqpacket". */
  readonly type: DatagramType;
  private readonly event: Event | null;
  private readonly onMessage: MessageCallback | null;
  private readonly onErrorCallback: ((err: SyscallError, socket: DatagramSocket) => void) | null;
  private readonly maxMessageSize: number;
  private readonly batch: number;
  // Receive memory: `batch` slots, their iovecs, their sockaddrs and the mmsghdr array.
  private readonly slots: StableBuffer | null = null;
  private readonly names: StableBuffer | null = null;
  private readonly headers: StableBuffer | null = null;
  private readonly iovecs: StableBuffer | null = null;
  /** CONTROL_SLOT bytes per slot, only when packetInfo or gro asked for control messages. */
  private readonly control: StableBuffer | null = null;
  private readonly received: ReceivedControl = { localAddress: null, interfaceIndex: 0, segmentSize: 0 };
  /** Bytes per receive slot: maxMessageSize, or 64 KiB under GRO (a coalesced run). */
  private readonly slotSize: number;
  private sender: ControlSender | null = null;
  private readonly info: MessageInfo;
  private isClosed = false;
  private connected = false;
  private batchSender: BatchSender | null = null;

  /**
   * Opens a datagram socket of `type` on `base`, binds and connects it as `options` say, and
   * starts receiving if `onMessage` is given. Throws SyscallError (EADDRINUSE, ENOENT, ...) with
   * nothing left open.
   */
  constructor(base: EventBase, type: DatagramType, options: DatagramOptions = {}) {
    if (type !== "udp4" && type !== "udp6" && type !== "unix" && type !== "unix-seqpacket") {
      throw new TypeError(`type must be "udp4", "udp6", "unix" or "unix-seqpacket", got ${typeof type === "string" ? JSON.stringify(type) : typeof type}`);
    }
    if (typeof options !== "object" || options === null) throw new TypeError(`options must be an object, got ${options === null ? "null" : typeof options}`);
    if (options.onMessage !== undefined && typeof options.onMessage !== "function") {
      throw new TypeError(`onMessage must be a function, got ${typeof options.onMessage}`);
    }
    this.type = type;
    this.maxMessageSize = checkPositive("maxMessageSize", options.maxMessageSize ?? 65536, 1 << 20);
    this.batch = hasSymbol("recvmmsg") ? checkPositive("batch", options.batch ?? 16, 1024) : 1;
    this.onMessage = options.onMessage ?? null;
    this.onErrorCallback = options.onError ?? null;
    this.info = { truncated: false, socket: this, localAddress: null, interfaceIndex: 0 };
    if ((options.packetInfo || options.gro) && type !== "udp4" && type !== "udp6") {
      throw new TypeError(`${options.packetInfo ? "packetInfo" : "gro"} needs a UDP socket, this one is ${type}`);
    }
    this.slotSize = options.gro ? Math.max(this.maxMessageSize, 65536) : this.maxMessageSize;
    const bindTo = options.bind === undefined ? null : resolveAddress(options.bind);
    const peer = options.connect === undefined ? null : resolveAddress(options.connect);
    for (const addr of [bindTo, peer]) {
      if (addr && !addressFamilyMatches(type, addr)) {
        throw new TypeError(`a ${type} socket cannot use the ${addr.family} address ${JSON.stringify(addr)}`);
      }
    }
    const domain = type === "udp4" ? C.AF_INET : type === "udp6" ? C.AF_INET6 : C.AF_UNIX;
    if (options.fd === undefined) {
      this.fd = sys.socket(domain, type === "unix-seqpacket" ? C.SOCK_SEQPACKET : C.SOCK_DGRAM);
    } else {
      if (typeof options.fd !== "number" || !Number.isInteger(options.fd) || options.fd < 0) {
        throw new TypeError(`fd must be a non-negative integer, got ${typeof options.fd === "number" ? options.fd : `${typeof options.fd} ${String(options.fd)}`}`);
      }
      this.fd = options.fd;
      sys.setNonBlocking(this.fd);
      // A connected socket (a socketpair's end, an accepted seqpacket connection) sends without an address.
      this.connected = peerOf(this.fd) !== null;
    }
    try {
      if (options.reuseAddr) sys.setsockoptInt(this.fd, C.SOL_SOCKET, C.SO_REUSEADDR, 1);
      if (options.reusePort) sys.setsockoptInt(this.fd, C.SOL_SOCKET, C.SO_REUSEPORT, 1);
      if (options.broadcast) sys.setsockoptInt(this.fd, C.SOL_SOCKET, C.SO_BROADCAST, 1);
      if (options.receiveBufferSize !== undefined) {
        sys.setsockoptInt(this.fd, C.SOL_SOCKET, C.SO_RCVBUF, checkPositive("receiveBufferSize", options.receiveBufferSize, 2 ** 31 - 1));
      }
      if (options.sendBufferSize !== undefined) {
        sys.setsockoptInt(this.fd, C.SOL_SOCKET, C.SO_SNDBUF, checkPositive("sendBufferSize", options.sendBufferSize, 2 ** 31 - 1));
      }
      if (options.packetInfo) enablePacketInfo(this.fd, type === "udp6" ? "ipv6" : "ipv4");
      if (options.gro) enableGro(this.fd);
      if (bindTo) {
        const { bytes, length } = encodeAddress(bindTo);
        if (libc.bind(this.fd, bytes, length) === -1) throw new SyscallError("bind", errnoCell[0], [this.fd, bindTo]);
      }
      if (peer) this.connect(peer);
    } catch (err) {
      libc.close(this.fd);
      throw err;
    }
    if (this.onMessage) {
      const n = this.batch;
      this.slots = new StableBuffer(n * this.slotSize);
      this.names = new StableBuffer(n * 128);
      if (options.packetInfo || options.gro) this.control = new StableBuffer(n * CONTROL_SLOT);
      this.iovecs = new StableBuffer(n * IOV.size);
      this.headers = new StableBuffer(n * MMSG_SIZE);
      this.prepareHeaders();
      this.event = base.event(this.fd, EV.READ | EV.PERSIST, () => this.receiveAll());
      this.event.add();
    } else {
      this.event = null;
    }
  }

  /**
   * Wraps an open datagram or seqpacket socket (inherited, or one end of a socketpair), reading
   * its type from the socket itself (SO_TYPE, and the family of its local address). The
   * DatagramSocket owns the fd from then on.
   */
  static fromFd(base: EventBase, fd: number, options: Omit<DatagramOptions, "fd" | "bind"> = {}): DatagramSocket {
    if (typeof fd !== "number" || !Number.isInteger(fd) || fd < 0) {
      throw new TypeError(`fd must be a non-negative integer, got ${typeof fd === "number" ? fd : `${typeof fd} ${String(fd)}`}`);
    }
    const sockType = sys.getsockoptInt(fd, C.SOL_SOCKET, C.SO_TYPE);
    if (sockType !== C.SOCK_DGRAM && sockType !== C.SOCK_SEQPACKET) {
      throw new TypeError(`fd ${fd} is not a datagram or seqpacket socket (SO_TYPE ${sockType})`);
    }
    const family = localAddress(fd).family;
    const type: DatagramType = sockType === C.SOCK_SEQPACKET ? "unix-seqpacket" : family === "ipv4" ? "udp4" : family === "ipv6" ? "udp6" : "unix";
    return new DatagramSocket(base, type, { ...options, fd });
  }

  /** The local address (the port the kernel picked after `bind: { port: 0 }`). */
  get address(): SocketAddress {
    return localAddress(this.fd);
  }

  /** Sets the default destination; only datagrams from it arrive afterwards. */
  connect(peer: AddressSpec | SocketAddress): this {
    this.checkOpen();
    const addr = resolveAddress(peer);
    if (!addressFamilyMatches(this.type, addr)) throw new TypeError(`a ${this.type} socket cannot connect to the ${addr.family} address ${JSON.stringify(addr)}`);
    const { bytes, length } = encodeAddress(addr);
    if (libc.connect(this.fd, bytes, length) === -1) throw new SyscallError("connect", errnoCell[0], [this.fd, addr]);
    this.connected = true;
    return this;
  }

  /**
   * Sends one datagram, to `to` or (when connected) to the peer. Returns false when the socket's
   * send buffer is full (EAGAIN: nothing was sent); throws SyscallError otherwise (EMSGSIZE for a
   * datagram too large, ECONNREFUSED after a connected peer's ICMP error, ...).
   *
   * `options` (UDP) choose the source address and interface, or cut the data into datagrams of
   * `segmentSize` bytes in one syscall (Linux GSO); see SendOptions.
   *
   * @example
   * ```ts
   * import { DatagramSocket, EventBase } from "evffi";
   *
   * const base = new EventBase();
   * let datagrams = 0;
   * let bytes = 0;
   * const server = new DatagramSocket(base, "udp4", {
   *   bind: { host: "127.0.0.1", port: 0 },
   *   onMessage: (data) => {
   *     datagrams++;
   *     bytes += data.length;
   *     if (bytes === 12_004) server.close();
   *   },
   * });
   * const client = new DatagramSocket(base, "udp4");
   * client.send("ping", server.address);
   * client.send(new Uint8Array(12_000), server.address, { segmentSize: 1200 }); // 10 datagrams, one sendmsg(2)
   * base.loopSync();
   * console.log(`${datagrams} datagrams, ${bytes} bytes`); // prints: 11 datagrams, 12004 bytes
   * client.close();
   * base.close();
   * ```
   */
  send(data: Uint8Array | string, to?: AddressSpec | SocketAddress | null, options?: SendOptions): boolean {
    this.checkOpen();
    const bytes = typeof data === "string" ? encoder.encode(data) : data;
    if (!(bytes instanceof Uint8Array)) throw new TypeError(`data must be a Uint8Array or a string, got ${typeof data}`);
    if (options !== undefined) return this.sendWithOptions(bytes, to, options);
    let n: number;
    if (to === undefined || to === null) {
      if (!this.connected) throw new TypeError("send() needs a destination address: this socket is not connected");
      n = libc.send(this.fd, bytes, u64arg(bytes.byteLength), C.MSG_NOSIGNAL);
    } else {
      const addr = resolveAddress(to);
      const { bytes: name, length } = encodeAddress(addr);
      n = libc.sendto(this.fd, bytes, u64arg(bytes.byteLength), C.MSG_NOSIGNAL, name, length);
    }
    if (n === -1) {
      const errno = errnoCell[0];
      if (errno === Errno.EAGAIN) return false;
      throw new SyscallError(to ? "sendto" : "send", errno, [this.fd, `<${bytes.byteLength} bytes>`, to ?? null]);
    }
    return true;
  }

  private sendWithOptions(bytes: Uint8Array, to: AddressSpec | SocketAddress | null | undefined, options: SendOptions): boolean {
    if (this.type !== "udp4" && this.type !== "udp6") throw new TypeError(`send options need a UDP socket, this one is ${this.type}`);
    if ((to === undefined || to === null) && !this.connected) throw new TypeError("send() needs a destination address: this socket is not connected");
    const name = to === undefined || to === null ? null : encodeAddress(resolveAddress(to));
    return (this.sender ??= new ControlSender()).send(this.fd, this.type === "udp6" ? "ipv6" : "ipv4", bytes, name, options);
  }

  /**
   * Sends many datagrams with one sendmmsg(2) where the OS has it (one send each elsewhere).
   * Returns how many went out: fewer than given when the send buffer filled (send the rest later).
   */
  sendBatch(messages: readonly { data: Uint8Array | string; to?: AddressSpec | SocketAddress | null }[]): number {
    this.checkOpen();
    if (!Array.isArray(messages)) throw new TypeError(`messages must be an array, got ${typeof messages}`);
    if (messages.length === 0) return 0;
    if (!hasSymbol("sendmmsg")) {
      let sent = 0;
      for (const m of messages) {
        if (!this.send(m.data, m.to)) break;
        sent++;
      }
      return sent;
    }
    const datas = messages.map((m) => (typeof m.data === "string" ? encoder.encode(m.data) : m.data));
    const names = messages.map((m) => (m.to === undefined || m.to === null ? null : encodeAddress(resolveAddress(m.to))));
    if (!this.connected && names.some((n) => n === null)) throw new TypeError("every message needs a destination address: this socket is not connected");
    return (this.batchSender ??= new BatchSender()).send(this.fd, datas, names);
  }

  /** Joins an IPv4 or IPv6 multicast group (on `interfaceAddress`, an IPv4 address, or interface index for IPv6). */
  joinGroup(group: string, iface?: string | number): this {
    return this.membership(group, iface, true);
  }

  /** Leaves a multicast group joined with joinGroup(). */
  leaveGroup(group: string, iface?: string | number): this {
    return this.membership(group, iface, false);
  }

  /** Whether this host's own multicast datagrams loop back to its sockets (default on). */
  setMulticastLoopback(on: boolean): this {
    this.checkOpen();
    const v6 = this.type === "udp6";
    sys.setsockoptInt(this.fd, v6 ? C.IPPROTO_IPV6 : C.IPPROTO_IP, v6 ? C.IPV6_MULTICAST_LOOP : C.IP_MULTICAST_LOOP, on ? 1 : 0);
    return this;
  }

  /** Hops multicast datagrams may travel (TTL; default 1: this network only). */
  setMulticastTtl(ttl: number): this {
    this.checkOpen();
    if (!Number.isInteger(ttl) || ttl < 0 || ttl > 255) throw new RangeError(`ttl must be an integer 0..255, got ${String(ttl)}`);
    const v6 = this.type === "udp6";
    sys.setsockoptInt(this.fd, v6 ? C.IPPROTO_IPV6 : C.IPPROTO_IP, v6 ? C.IPV6_MULTICAST_HOPS : C.IP_MULTICAST_TTL, ttl);
    return this;
  }

  /**
   * Stops watching for datagrams (they wait in the socket's receive buffer) until resume(). A
   * paused socket does not keep `loopSync()` running: a resolver pauses its socket while no query
   * is in flight.
   */
  pause(): this {
    this.checkOpen();
    this.event?.del();
    return this;
  }

  /** Watches for datagrams again after pause(). */
  resume(): this {
    this.checkOpen();
    if (this.event && !this.event.isPending) this.event.add();
    return this;
  }

  /** Stops receiving and closes the fd. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.event?.close();
    libc.close(this.fd);
  }

  /** Whether close() was called. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Same as close(), for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  private membership(group: string, iface: string | number | undefined, join: boolean): this {
    this.checkOpen();
    setMembership(this.fd, this.type, group, iface, join);
    return this;
  }

  private checkOpen(): void {
    if (this.isClosed) throw new Error("this DatagramSocket is closed");
  }

  // The mmsghdr array points at fixed slots; only namelen (and the kernel's own fields) change.
  private prepareHeaders(): void {
    const headers = this.headers!, iov = this.iovecs!, slots = this.slots!, names = this.names!;
    for (let i = 0; i < this.batch; i++) {
      setU64(iov.view, i * IOV.size + IOV.base, slots.at(i * this.slotSize));
      setU64(iov.view, i * IOV.size + IOV.len, this.slotSize);
      const h = i * MMSG_SIZE;
      setU64(headers.view, h + M.name, names.at(i * 128));
      if (this.control) setU64(headers.view, h + M.control, this.control.at(i * CONTROL_SLOT));
      setU64(headers.view, h + M.iov, iov.at(i * IOV.size));
      writeSize(headers.view, h + M.iovlen, M.iovlenSize, 1);
    }
  }

  // recvmsg(2) into the first slot, for an OS without recvmmsg: the mmsghdr starts with the msghdr.
  private receiveOne(): number {
    const n = libc.recvmsg(this.fd, this.headers!.bytes, C.MSG_DONTWAIT);
    if (n >= 0) this.headers!.view.setUint32(M.size, n, true);
    return n === -1 ? -1 : 1;
  }

  // One received run with its control messages: packet info into `info`, and a GRO run cut back
  // into its datagrams (every one `segmentSize` bytes but the last).
  private deliverWithControl(h: number, start: number, from: SocketAddress | null): void {
    const hv = this.headers!.view, rc = this.received, info = this.info;
    readControl(this.control!.view, (h / MMSG_SIZE) * CONTROL_SLOT, readSize(hv, h + M.controllen, M.controllenSize), rc);
    info.localAddress = rc.localAddress;
    info.interfaceIndex = rc.interfaceIndex;
    const total = Math.min(hv.getUint32(h + M.size, true), this.slotSize);
    const step = rc.segmentSize > 0 ? rc.segmentSize : total;
    const cut = (hv.getInt32(h + M.flags, true) & C.MSG_TRUNC) !== 0;
    let at = 0;
    do {
      const length = Math.min(step, total - at);
      info.truncated = cut || length > this.maxMessageSize;
      this.onMessage!(this.slots!.bytes.subarray(start + at, start + at + Math.min(length, this.maxMessageSize)), from, info);
      at += Math.max(step, 1);
    } while (at < total && !this.isClosed);
  }

  private receiveAll(): void {
    const headers = this.headers!, slots = this.slots!, names = this.names!;
    const hv = headers.view;
    for (let round = 0; round < MAX_BATCHES_PER_WAKE && !this.isClosed; round++) {
      let n: number;
      if (this.control) {
        // The kernel overwrites msg_controllen with what it wrote: give each slot its room again.
        for (let i = 0; i < this.batch; i++) {
          hv.setUint32(i * MMSG_SIZE + M.namelen, 128, true);
          hv.setInt32(i * MMSG_SIZE + M.flags, 0, true);
          writeSize(hv, i * MMSG_SIZE + M.controllen, M.controllenSize, CONTROL_SLOT);
        }
        n = this.batch > 1 ? libc.recvmmsg(this.fd, headers.bytes, this.batch, C.MSG_DONTWAIT, null) : this.receiveOne();
      } else if (this.batch > 1) {
        for (let i = 0; i < this.batch; i++) {
          hv.setUint32(i * MMSG_SIZE + M.namelen, 128, true);
          hv.setInt32(i * MMSG_SIZE + M.flags, 0, true);
        }
        n = libc.recvmmsg(this.fd, headers.bytes, this.batch, C.MSG_DONTWAIT, null);
      } else {
        const len = new Uint32Array([128]);
        n = libc.recvfrom(this.fd, slots.bytes, u64arg(this.maxMessageSize), C.MSG_DONTWAIT | C.MSG_TRUNC, names.bytes, new Uint8Array(len.buffer));
        if (n >= 0) {
          hv.setUint32(M.namelen, len[0]!, true);
          hv.setUint32(M.size, n, true);
          hv.setInt32(M.flags, n > this.maxMessageSize ? C.MSG_TRUNC : 0, true);
          n = 1;
        }
      }
      if (n === -1) {
        let errno = errnoCell[0];
        if (errno === Errno.EINTR) return;
        // A peer's ICMP error that the backend already took from the kernel while reporting the
        // socket ready (libkqueue reads SO_ERROR, which clears it) leaves only EAGAIN here.
        if (errno === Errno.EAGAIN && (errno = this.event!.base.takeSocketError(this.fd)) === 0) return;
        const err = new SyscallError(this.batch > 1 ? "recvmmsg" : this.control ? "recvmsg" : "recvfrom", errno, [this.fd]);
        if (this.onErrorCallback) return this.onErrorCallback(err, this);
        throw err;
      }
      for (let i = 0; i < n && !this.isClosed; i++) {
        const h = i * MMSG_SIZE;
        const length = Math.min(hv.getUint32(h + M.size, true), this.maxMessageSize);
        const namelen = hv.getUint32(h + M.namelen, true);
        this.info.truncated = (hv.getInt32(h + M.flags, true) & C.MSG_TRUNC) !== 0;
        const from = namelen > 0 ? decodeAddress(names.bytes.subarray(i * 128, i * 128 + 128), namelen) : null;
        const start = i * this.slotSize;
        if (this.control) this.deliverWithControl(h, start, from);
        else this.onMessage!(slots.bytes.subarray(start, start + length), from, this.info);
      }
      if (n < this.batch) return;
    }
  }
}

function readSize(view: DataView, offset: number, size: 4 | 8): number {
  return size === 8 ? Number(view.getBigUint64(offset, true)) : view.getUint32(offset, true);
}


/** The connected peer's address, or null when the socket has none (ENOTCONN). */
function peerOf(fd: number): SocketAddress | null {
  try {
    return peerAddress(fd);
  } catch (err) {
    if (err instanceof SyscallError && err.code === "ENOTCONN") return null;
    throw err;
  }
}

printAs(DatagramSocket, describeDatagramSocket);
