// The control-message reader of datagram sockets on crafted buffers: what the kernel might write,
// cut short, or of kinds not asked for. Reading stays inside the bytes reported and the slot.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { constants as C, layout as L } from "../src/ffi/mod.ts";
import { CONTROL_SLOT, readControl, type ReceivedControl } from "../src/net/datagram-cmsg.ts";

const CM = L.cmsghdr;
const align = (n: number) => (n + CM.align - 1) & ~(CM.align - 1);
const fresh = (): ReceivedControl => ({ localAddress: "stale", interfaceIndex: 99, segmentSize: 99 });

/** Writes one control message at `at` whose cmsg_len is `len` (default: header + data). */
function put(view: DataView, at: number, level: number, type: number, data: number[], len = CM.data + data.length): number {
  if (CM.lenSize === 8) view.setBigUint64(at + CM.len, BigInt(len), true);
  else view.setUint32(at + CM.len, len, true);
  view.setInt32(at + CM.level, level, true);
  view.setInt32(at + CM.type, type, true);
  data.forEach((b, i) => view.setUint8(at + CM.data + i, b));
  return at + align(CM.data + data.length);
}

const le32 = (v: number) => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff];
const ipv6Info = (ifindex: number) => [...Array(15).fill(0), 1, ...le32(ifindex)];

describe("datagram control messages", () => {
  it("reads IPv6 packet info and a GRO segment size, and resets what a datagram lacks", () => {
    const view = new DataView(new ArrayBuffer(CONTROL_SLOT * 2));
    let end = put(view, 0, C.IPPROTO_IPV6, C.IPV6_PKTINFO, ipv6Info(3));
    if (C.UDP_GRO !== 0) end = put(view, end, C.SOL_UDP, C.UDP_GRO, le32(1200));
    const out = fresh();
    readControl(view, 0, end, out);
    assert.deepEqual(out, { localAddress: "::1", interfaceIndex: 3, segmentSize: C.UDP_GRO !== 0 ? 1200 : 0 });
    readControl(view, CONTROL_SLOT, 0, out);
    assert.deepEqual(out, { localAddress: null, interfaceIndex: 0, segmentSize: 0 });
  });

  it("skips messages of other kinds and ones too short for their type", () => {
    const view = new DataView(new ArrayBuffer(CONTROL_SLOT));
    let end = put(view, 0, C.SOL_SOCKET, C.SCM_RIGHTS, le32(7));
    end = put(view, end, C.IPPROTO_IPV6, C.IPV6_PKTINFO, [1, 2, 3, 4]); // 4 of the 20 bytes
    end = put(view, end, C.IPPROTO_IPV6, C.IPV6_PKTINFO, ipv6Info(5));
    const out = fresh();
    readControl(view, 0, end, out);
    assert.deepEqual(out, { localAddress: "::1", interfaceIndex: 5, segmentSize: 0 });
  });

  it("stops at a length that is shorter than a header, or runs past the bytes reported or the slot", () => {
    const view = new DataView(new ArrayBuffer(CONTROL_SLOT * 2));
    const cases: [string, number, number][] = [
      ["a length shorter than the header", CM.data - 1, CONTROL_SLOT],
      ["a length past the bytes reported", CM.data + 20, CM.data + 19],
      ["a length past the slot", CONTROL_SLOT + 8, CONTROL_SLOT * 2],
      ["a zero length", 0, CONTROL_SLOT],
    ];
    for (const [what, len, reported] of cases) {
      new Uint8Array(view.buffer).fill(0);
      put(view, 0, C.IPPROTO_IPV6, C.IPV6_PKTINFO, ipv6Info(5), len);
      const out = fresh();
      readControl(view, 0, reported, out);
      assert.deepEqual(out, { localAddress: null, interfaceIndex: 0, segmentSize: 0 }, what);
    }
  });

  it("a reported length shorter than one header reads nothing", () => {
    const view = new DataView(new ArrayBuffer(CONTROL_SLOT));
    put(view, 0, C.IPPROTO_IPV6, C.IPV6_PKTINFO, ipv6Info(5));
    const out = fresh();
    readControl(view, 0, CM.data - 1, out);
    assert.equal(out.localAddress, null);
  });
});
