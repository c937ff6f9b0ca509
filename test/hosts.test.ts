// The hosts file and loopback names: what a Listener binds for a host name, and what the Resolver
// answers without asking a nameserver. Reads files only (no socket), so no backend loop.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hostsAddress, isLoopbackName, isNumericHost } from "../src/net/dns/hosts.ts";

describe("hosts file names", () => {
  it("binds the first address the file lists, IPv4 before IPv6; loopback names without the file; a clear error otherwise", () => {
    const dir = mkdtempSync(join(tmpdir(), "evffi-hosts-"));
    const file = join(dir, "hosts");
    try {
      writeFileSync(file, "# comment\n::1 both.lan v6only.lan\n10.1.2.3 both.lan Mixed.Case\nnot-an-address broken.lan\n");
      assert.deepEqual(hostsAddress("both.lan", 80, file), { family: "ipv4", host: "10.1.2.3", port: 80 });
      assert.deepEqual(hostsAddress("v6only.lan", 81, file), { family: "ipv6", host: "::1", port: 81 });
      assert.deepEqual(hostsAddress("mixed.case.", 82, file), { family: "ipv4", host: "10.1.2.3", port: 82 }, "case and a final dot do not matter");
      assert.deepEqual(hostsAddress("localhost", 83, file), { family: "ipv4", host: "127.0.0.1", port: 83 }, "unlisted, still loopback (RFC 6761)");
      assert.deepEqual(hostsAddress("api.localhost", 84, file), { family: "ipv4", host: "127.0.0.1", port: 84 });
      assert.throws(() => hostsAddress("broken.lan", 85, file), { name: "TypeError", message: new RegExp(`"broken.lan" is not in ${file}`) });
      assert.throws(() => hostsAddress("elsewhere.lan", 86, join(dir, "missing")), { name: "TypeError", message: /"elsewhere.lan" is not in .*missing/ });
      assert.throws(() => hostsAddress("both.lan", 70000, file), { name: "RangeError", message: /70000/ });
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it("tells names from numeric addresses", () => {
    for (const numeric of ["127.0.0.1", "::1", "[::1]", "fe80::1%2", "::ffff:10.0.0.1"]) assert.equal(isNumericHost(numeric), true, numeric);
    for (const name of ["localhost", "example.com", "1.2.3", "300.1.1.1", "a:b:c"]) assert.equal(isNumericHost(name), false, name);
    assert.equal(isLoopbackName("LocalHost."), true);
    assert.equal(isLoopbackName("x.localhost"), true);
    assert.equal(isLoopbackName("localhost.example"), false);
  });
});
