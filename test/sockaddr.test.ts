// Socket addresses: encoding and decoding IPv4, IPv6 and Unix-domain addresses, and what is refused.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { decodeAddress, encodeAddress, formatAddress, resolveAddress } from "../src/ffi/sockaddr.ts";

describe("sockaddr", () => {
  it("encodes and decodes IPv4, IPv6 and Unix addresses", () => {
    for (const spec of [{ host: "127.0.0.1", port: 8080 }, { host: "::1", port: 443 }, { host: "fe80::1:2", port: 1 }, { path: "/tmp/evffi.sock" }]) {
      const addr = resolveAddress(spec);
      const { bytes, length } = encodeAddress(addr);
      const back = decodeAddress(bytes, length);
      assert.equal(formatAddress(back), formatAddress(addr));
    }
  });
  it("rejects names it cannot resolve and bad ports, naming the value", () => {
    assert.throws(() => resolveAddress({ host: "example.com", port: 80 }), { name: "TypeError", message: /example\.com/ });
    assert.throws(() => resolveAddress({ host: "127.0.0.1", port: 70000 }), { name: "RangeError", message: /70000/ });
    assert.throws(() => resolveAddress({ path: "x".repeat(200) }), RangeError);
  });
});
