// Multicast group membership for DatagramSocket: the ip_mreq / ipv6_mreq a join or leave passes.
import { constants as C, encodeAddress, errnoCell, layout as L, libc, resolveAddress, SyscallError } from "../ffi/mod.ts";

/**
 * Joins (or leaves) `group` on `fd`: IP_ADD_MEMBERSHIP with the local interface's IPv4 address,
 * or IPV6_JOIN_GROUP with an interface index; without `iface` the kernel picks the interface.
 */
export function setMembership(fd: number, type: string, group: string, iface: string | number | undefined, join: boolean): void {
  if (type !== "udp4" && type !== "udp6") throw new TypeError(`multicast needs a UDP socket, this one is ${type}`);
  const addr = resolveAddress({ host: group, port: 0 });
  if (addr.family !== (type === "udp4" ? "ipv4" : "ipv6")) throw new TypeError(`a ${type} socket cannot join the ${addr.family} group ${group}`);
  const raw = encodeAddress(addr).bytes;
  let req: Uint8Array;
  if (addr.family === "ipv4") {
    // struct ip_mreq: the group, then the local interface's address (0.0.0.0: the kernel picks).
    req = new Uint8Array(8);
    req.set(raw.subarray(L.sockaddr_in.addr, L.sockaddr_in.addr + 4), 0);
    if (iface !== undefined) {
      if (typeof iface !== "string") throw new TypeError(`an IPv4 group's interface is its address (a string), got ${typeof iface}`);
      const local = encodeAddress(resolveAddress({ host: iface, port: 0 })).bytes;
      req.set(local.subarray(L.sockaddr_in.addr, L.sockaddr_in.addr + 4), 4);
    }
  } else {
    // struct ipv6_mreq: the group, then the interface index (0: the kernel picks).
    req = new Uint8Array(20);
    req.set(raw.subarray(L.sockaddr_in6.addr, L.sockaddr_in6.addr + 16), 0);
    if (iface !== undefined) {
      if (typeof iface !== "number" || !Number.isInteger(iface) || iface < 0) throw new TypeError(`an IPv6 group's interface is its index (an integer), got ${String(iface)}`);
      new DataView(req.buffer).setUint32(16, iface, true);
    }
  }
  const level = addr.family === "ipv4" ? C.IPPROTO_IP : C.IPPROTO_IPV6;
  const name = addr.family === "ipv4" ? (join ? C.IP_ADD_MEMBERSHIP : C.IP_DROP_MEMBERSHIP) : (join ? C.IPV6_JOIN_GROUP : C.IPV6_LEAVE_GROUP);
  if (libc.setsockopt(fd, level, name, req, req.byteLength) === -1) {
    throw new SyscallError("setsockopt", errnoCell[0], [fd, join ? "join" : "leave", group]);
  }
}
