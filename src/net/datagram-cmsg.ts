// Control messages of UDP sockets: packet info (the local address and interface a datagram arrived
// on, and the source address and interface to send from) and Linux's UDP segmentation offload
// (UDP_SEGMENT to send one buffer as many datagrams, UDP_GRO to receive coalesced ones).
//
// The receive side only reads: the kernel writes each datagram's control messages into a fixed
// slot of CONTROL_SLOT bytes, and readControl walks them without ever reading past what the
// kernel reported or past the slot. A message too short for its type, or of a type not asked
// for, is skipped. The send side builds one msghdr with its control messages in memory kept per
// socket (C reads it by address), so sending with options allocates only when a larger payload
// than before arrives.
import {
  addressBytes, checkInteger, constants as C, describeValue, Errno, errnoCell, errnoName, layout as L, libc, NotAvailableError,
  setU64, StableBuffer, SyscallError, ipv4Text, ipv6Text, cmsgLen, cmsgSpace,
} from "../ffi/mod.ts";

const M = L.msghdr, IOV = L.iovec, CM = L.cmsghdr;
const alignUp = (n: number) => (n + CM.align - 1) & ~(CM.align - 1);

/**
 * Control bytes per received datagram: room for IPv6 packet info (40 on Linux), or the BSDs'
 * destination address and interface (two messages), plus a GRO segment size.
 */
export const CONTROL_SLOT = 128;

/** The largest UDP payload over IPv4 (65535 - 20 - 8): the bound on a segment size. */
export const MAX_UDP_PAYLOAD = 65507;

/**
 * How to send one datagram beyond its bytes and destination (UDP). Every field is optional; a
 * received datagram's MessageInfo has the first two, so it can be passed as is to answer.
 *
 * @example
 * ```ts
 * import { DatagramSocket, EventBase } from "evffi";
 *
 * const base = new EventBase();
 * const peer = new DatagramSocket(base, "udp4", {
 *   bind: { host: "127.0.0.1", port: 0 },
 *   onMessage: (data, from) => {
 *     if (from?.family === "ipv4") console.log(`${data.length} bytes from ${from.host}`);
 *     if (data.length === 2) peer.close();
 *   },
 * });
 * // Bound to every address: the options pick the source address of each datagram.
 * const socket = new DatagramSocket(base, "udp4", { bind: { host: "0.0.0.0", port: 0 } });
 * socket.send(new Uint8Array(2400), peer.address, { segmentSize: 1200 }); // 2 datagrams, one syscall
 * socket.send("hi", peer.address, { localAddress: "127.0.0.1" });         // from this address
 * base.loopSync(); // prints: 1200 bytes from 127.0.0.1
 * // then "1200 bytes from 127.0.0.1" and "2 bytes from 127.0.0.1"
 * socket.close();
 * base.close();
 * ```
 */
export interface SendOptions {
  /**
   * Send from this local address (a numeric IPv4 or IPv6 address of the socket's family), for a
   * socket bound to 0.0.0.0 or ::: IP_PKTINFO's ipi_spec_dst, IPV6_PKTINFO's ipi6_addr, or
   * FreeBSD's IP_SENDSRCADDR. A received datagram's `info.localAddress` answers from where it arrived.
   */
  localAddress?: string | null;
  /** Send through this interface (an index, as `info.interfaceIndex` reports it); 0: the route decides. */
  interfaceIndex?: number;
  /**
   * Linux (4.18+) UDP segmentation: the kernel cuts the data into datagrams of this many bytes
   * (the last may be shorter) in one send. 1..65507; at most 64 segments (128 on recent kernels),
   * each within the path MTU.
   */
  segmentSize?: number;
}

/** What one datagram's control messages said; reset for each datagram. */
export interface ReceivedControl {
  localAddress: string | null;
  interfaceIndex: number;
  /** The GRO segment size of a coalesced datagram; 0 when it arrived alone. */
  segmentSize: number;
}

function readLength(view: DataView, at: number): number {
  return CM.lenSize === 8 ? Number(view.getBigUint64(at + CM.len, true)) : view.getUint32(at + CM.len, true);
}

/**
 * Reads the control messages the kernel wrote at `start` (`length` bytes by its account) into
 * `out`. Bounded by the slot: a length that runs past it, or is shorter than a header, ends the
 * walk; a message of another level or type, or too short for its type, is skipped.
 */
export function readControl(view: DataView, start: number, length: number, out: ReceivedControl): void {
  out.localAddress = null;
  out.interfaceIndex = 0;
  out.segmentSize = 0;
  const end = start + Math.min(length, CONTROL_SLOT);
  for (let at = start; at + CM.data <= end; ) {
    const len = readLength(view, at);
    if (len < CM.data || at + len > end) return;
    const level = view.getInt32(at + CM.level, true), type = view.getInt32(at + CM.type, true);
    const data = at + CM.data, size = len - CM.data;
    if (level === C.IPPROTO_IP) {
      if (type === C.IP_PKTINFO && C.IP_PKTINFO !== 0 && size >= L.in_pktinfo.size) {
        // ipi_addr is the header's destination; ipi_spec_dst the address a reply would come from
        // (they differ for broadcast); the destination is what IPv6 and the BSDs report too.
        out.interfaceIndex = view.getInt32(data + L.in_pktinfo.ifindex, true);
        out.localAddress = ipv4Text(view, data + L.in_pktinfo.addr);
      } else if (type === C.IP_RECVDSTADDR && C.IP_RECVDSTADDR !== 0 && size >= 4) {
        out.localAddress = ipv4Text(view, data);
      } else if (type === C.IP_RECVIF && C.IP_RECVIF !== 0 && size >= L.sockaddr_dl.index + 2) {
        out.interfaceIndex = view.getUint16(data + L.sockaddr_dl.index, true);
      }
    } else if (level === C.IPPROTO_IPV6 && type === C.IPV6_PKTINFO && size >= L.in6_pktinfo.size) {
      out.localAddress = ipv6Text(view, data + L.in6_pktinfo.addr);
      out.interfaceIndex = view.getUint32(data + L.in6_pktinfo.ifindex, true);
    } else if (level === C.SOL_UDP && type === C.UDP_GRO && C.UDP_GRO !== 0 && size >= 2) {
      // Linux writes an int; read it whole when it is there.
      out.segmentSize = size >= 4 ? view.getInt32(data, true) : view.getUint16(data, true);
    }
    at += alignUp(len);
  }
}

function setFlag(fd: number, level: number, name: number, what: string): void {
  const one = new Int32Array([1]);
  if (libc.setsockopt(fd, level, name, new Uint8Array(one.buffer), 4) === -1) {
    const errno = errnoCell[0];
    if (errno === Errno.ENOPROTOOPT || errno === Errno.EINVAL) throw new NotAvailableError(what, `this kernel refuses it: ${errnoName(errno)}`);
    throw new SyscallError("setsockopt", errno, [fd, what]);
  }
}

/**
 * Asks the kernel to report each datagram's local address and interface: IP_PKTINFO (Linux,
 * macOS) or IP_RECVDSTADDR and IP_RECVIF (FreeBSD) for IPv4, IPV6_RECVPKTINFO for IPv6.
 */
export function enablePacketInfo(fd: number, family: "ipv4" | "ipv6"): void {
  if (family === "ipv6") return setFlag(fd, C.IPPROTO_IPV6, C.IPV6_RECVPKTINFO, "IPV6_RECVPKTINFO");
  if (C.IP_PKTINFO !== 0) return setFlag(fd, C.IPPROTO_IP, C.IP_PKTINFO, "IP_PKTINFO");
  if (C.IP_RECVDSTADDR === 0) throw new NotAvailableError("IP_PKTINFO", "no packet info for IPv4");
  setFlag(fd, C.IPPROTO_IP, C.IP_RECVDSTADDR, "IP_RECVDSTADDR");
  setFlag(fd, C.IPPROTO_IP, C.IP_RECVIF, "IP_RECVIF");
}

/** Asks the kernel (Linux 5.0+) to hand over coalesced datagrams with their segment size. */
export function enableGro(fd: number): void {
  if (C.UDP_GRO === 0) throw new NotAvailableError("UDP_GRO", "UDP receive offload is Linux's");
  setFlag(fd, C.SOL_UDP, C.UDP_GRO, "UDP_GRO");
}

// Whether this kernel takes UDP_SEGMENT: asked once, by getsockopt, since a kernel without it
// would not refuse the control message but ignore it and send one large datagram.
let segmentationProbed: boolean | null = null;

function checkSegmentation(fd: number): void {
  if (C.UDP_SEGMENT === 0) throw new NotAvailableError("UDP_SEGMENT", "UDP segmentation offload is Linux's");
  if (segmentationProbed === null) {
    const value = new Int32Array(1), size = new Uint32Array([4]);
    segmentationProbed = libc.getsockopt(fd, C.SOL_UDP, C.UDP_SEGMENT, new Uint8Array(value.buffer), new Uint8Array(size.buffer)) === 0;
  }
  if (!segmentationProbed) throw new NotAvailableError("UDP_SEGMENT", "this kernel lacks it (Linux 4.18+)");
}

/** Throws TypeError/RangeError for a bad SendOptions, naming the field and the value. */
function checkOptions(options: SendOptions, family: "ipv4" | "ipv6"): number[] | null {
  if (typeof options !== "object" || options === null) throw new TypeError(`send options must be an object, got ${describeValue(options)}`);
  if (options.segmentSize !== undefined) checkInteger(options.segmentSize, "segmentSize", 1, MAX_UDP_PAYLOAD);
  if (options.interfaceIndex !== undefined) checkInteger(options.interfaceIndex, "interfaceIndex", 0, 0xffff_ffff);
  const local = options.localAddress;
  if (local === undefined || local === null) return null;
  if (typeof local !== "string") throw new TypeError(`localAddress must be a numeric IP address string, got ${describeValue(local)}`);
  const parsed = addressBytes(local);
  if (!parsed) throw new TypeError(`localAddress must be a numeric IP address, got ${describeValue(local)}`);
  if (parsed.family !== family) throw new TypeError(`a udp${family === "ipv4" ? 4 : 6} socket cannot send from the ${parsed.family} address ${JSON.stringify(local)}`);
  return parsed.bytes;
}

/** One sendmsg(2) with control messages, in memory kept per socket. Not thread-shared. */
export class ControlSender {
  private readonly msg = new StableBuffer(M.size);
  private readonly iov = new StableBuffer(IOV.size);
  private readonly name = new StableBuffer(128);
  private readonly control = new StableBuffer(CONTROL_SLOT);
  private payload = new StableBuffer(2048);

  /**
   * Sends `data` to `to` (an encoded sockaddr, or null on a connected socket) with the control
   * messages `options` ask for. Returns false on EAGAIN (nothing sent); throws SyscallError
   * (EINVAL for a segment size the kernel refuses, EMSGSIZE, EADDRNOTAVAIL for a local address
   * not on this host, ...), NotAvailableError where the OS lacks an option.
   */
  send(fd: number, family: "ipv4" | "ipv6", data: Uint8Array, to: { bytes: Uint8Array; length: number } | null, options: SendOptions): boolean {
    const local = checkOptions(options, family);
    const ifindex = options.interfaceIndex ?? 0;
    const segment = options.segmentSize;
    if (segment !== undefined) checkSegmentation(fd);
    if (this.payload.size < data.byteLength) this.payload = new StableBuffer(Math.max(data.byteLength, this.payload.size * 2));
    this.payload.bytes.set(data);
    setU64(this.iov.view, IOV.base, this.payload.address);
    setU64(this.iov.view, IOV.len, data.byteLength);
    const cv = this.control.view;
    this.control.bytes.fill(0);
    let used = 0;
    const add = (level: number, type: number, size: number): number => {
      const at = used;
      if (CM.lenSize === 8) setU64(cv, at + CM.len, cmsgLen(size));
      else cv.setUint32(at + CM.len, cmsgLen(size), true);
      cv.setInt32(at + CM.level, level, true);
      cv.setInt32(at + CM.type, type, true);
      used += cmsgSpace(size);
      return at + CM.data;
    };
    if (local !== null || ifindex !== 0) {
      if (family === "ipv6") {
        const at = add(C.IPPROTO_IPV6, C.IPV6_PKTINFO, L.in6_pktinfo.size);
        if (local) this.control.bytes.set(local, at + L.in6_pktinfo.addr);
        cv.setUint32(at + L.in6_pktinfo.ifindex, ifindex, true);
      } else if (C.IP_PKTINFO !== 0) {
        const at = add(C.IPPROTO_IP, C.IP_PKTINFO, L.in_pktinfo.size);
        cv.setInt32(at + L.in_pktinfo.ifindex, ifindex, true);
        if (local) this.control.bytes.set(local, at + L.in_pktinfo.specDst);
      } else if (C.IP_SENDSRCADDR !== 0 && ifindex === 0) {
        this.control.bytes.set(local!, add(C.IPPROTO_IP, C.IP_SENDSRCADDR, 4));
      } else {
        throw new NotAvailableError("IP_PKTINFO", ifindex !== 0 ? "no way to choose the sending interface for IPv4" : "no way to choose the source address");
      }
    }
    if (segment !== undefined) cv.setUint16(add(C.SOL_UDP, C.UDP_SEGMENT, 2), segment, true);
    const mv = this.msg.view;
    this.msg.bytes.fill(0);
    if (to) {
      this.name.bytes.set(to.bytes.subarray(0, to.length));
      setU64(mv, M.name, this.name.address);
      mv.setUint32(M.namelen, to.length, true);
    }
    setU64(mv, M.iov, this.iov.address);
    if (M.iovlenSize === 8) setU64(mv, M.iovlen, 1);
    else mv.setUint32(M.iovlen, 1, true);
    if (used > 0) setU64(mv, M.control, this.control.address);
    if (M.controllenSize === 8) setU64(mv, M.controllen, used);
    else mv.setUint32(M.controllen, used, true);
    if (libc.sendmsg(fd, this.msg.bytes, C.MSG_NOSIGNAL) === -1) {
      const errno = errnoCell[0];
      if (errno === Errno.EAGAIN) return false;
      throw new SyscallError("sendmsg", errno, [fd, `<${data.byteLength} bytes>`, JSON.stringify(options)]);
    }
    return true;
  }
}
