// The DNS resolver against a small DNS server written here, on 127.0.0.1: UDP answers, search
// domains, NXDOMAIN, truncation and the TCP retry, silent servers, malformed and spoofed replies,
// the cache, /etc/hosts-style files; every backend, both runtimes.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { DnsError, type DnsRecord, type EventBase, Resolver } from "./deps.ts";
import { decodeResponse, encodeQuery } from "../src/net/dns/message.ts";
import { A, dnsFiles as files, dnsServer, name, type Question, reply } from "./dns-server.ts";
import { backendVariants, hangGuard, withBase } from "./helpers.ts";

const enc = new TextEncoder();

function run(base: EventBase, start: (done: (value: unknown) => void) => void): unknown {
  let result: unknown = undefined;
  start((value) => {
    result = value;
    base.loopBreak();
  });
  const guard = base.timer(5000, () => base.loopBreak());
  base.loopSync();
  guard.close();
  return result;
}
const ask = (r: Resolver, n: string, t: Parameters<Resolver["query"]>[1] = "A") => (done: (v: unknown) => void) =>
  r.query(n, t, (err, records) => done(err ? err.code : records.map((x: DnsRecord) => ("address" in x ? x.address : "target" in x ? x.target : x))));

for (const variant of backendVariants()) {
  describe(`dns resolver on ${variant.label}`, () => {
    it("answers A and AAAA over UDP, caches by TTL, and honours search domains", () => {
      withBase(variant, (base) => {
        const server = dnsServer(base, (q) => {
          if (q.name === "web.corp.test" && q.type === 1) return reply(q, [A("10.0.0.1"), A("10.0.0.2")]);
          if (q.name === "web.corp.test" && q.type === 28) return reply(q, [{ type: 28, data: [0x20, 1, 0xd, 0xb8, ...new Array(11).fill(0), 1] }]);
          return reply(q, [], { rcode: 3 });
        });
        const { dir, resolvConf, hostsFile } = files();
        try {
          const eventsBefore = base.count();
          const r = new Resolver(base, { resolvConf, hostsFile, nameservers: [{ host: "127.0.0.1", port: server.port }] });
          assert.deepEqual(run(base, ask(r, "web")), ["10.0.0.1", "10.0.0.2"]);
          assert.equal(base.count(), eventsBefore, "an idle resolver watches nothing (its socket is closed)");
          assert.deepEqual(run(base, ask(r, "web", "AAAA")), ["2001:db8::1"]);
          const asked = server.seen.length;
          assert.deepEqual(run(base, ask(r, "web")), ["10.0.0.1", "10.0.0.2"], "from the cache");
          assert.equal(server.seen.length, asked, "the cached answer asked nobody");
          assert.deepEqual(server.seen.map((q) => q.name), ["web.corp.test", "web.corp.test"]);
          assert.equal(run(base, ask(r, "missing.example")), "NXDOMAIN");
          assert.deepEqual(server.seen.slice(asked).map((q) => q.name), ["missing.example", "missing.example.corp.test"], "ndots:1: as is first, then the search domain");
          r.close();
        } finally {
          server.close();
          rmSync(dir, { recursive: true });
        }
      });
    });

    it("asks again over TCP when the UDP answer is truncated", () => {
      withBase(variant, (base) => {
        const big = Array.from({ length: 40 }, (_, i) => A(`10.1.0.${i}`));
        const server = dnsServer(base, (q) => reply(q, big.slice(0, 2), { tc: true }), (q) => reply(q, big));
        const { dir, resolvConf, hostsFile } = files();
        try {
          const r = new Resolver(base, { resolvConf, hostsFile, nameservers: [{ host: "127.0.0.1", port: server.port }] });
          const got = run(base, ask(r, "many.test.")) as string[];
          assert.equal(got.length, 40);
          assert.equal(got[39], "10.1.0.39");
          r.close();
        } finally {
          server.close();
          rmSync(dir, { recursive: true });
        }
      });
    });

    it("moves past a silent server, times out when all are silent, and ignores forged and malformed replies", () => {
      withBase(variant, (base) => {
        const silent = dnsServer(base, () => null);
        const tricky = dnsServer(base, (q) => [
          new Uint8Array([1, 2, 3]), // cut short
          reply(q, [A("6.6.6.6")], { id: (q.id + 1) & 0xffff }), // another id
          reply(q, [A("6.6.6.7")], { qname: "other.test" }), // another question
          reply(q, [A("10.2.0.1")]),
        ]);
        const { dir, resolvConf, hostsFile } = files();
        try {
          const r = new Resolver(base, {
            // Short answer timeouts, stretched under an emulator, where a local round trip can take longer.
            resolvConf, hostsFile, timeoutMs: hangGuard(60), attempts: 1,
            nameservers: [{ host: "127.0.0.1", port: silent.port }, { host: "127.0.0.1", port: tricky.port }],
          });
          assert.deepEqual(run(base, ask(r, "svc.test.")), ["10.2.0.1"]);
          assert.equal(silent.seen.length, 1, "the silent server was asked first");
          r.close();
          const lonely = new Resolver(base, { resolvConf, hostsFile, timeoutMs: hangGuard(40), attempts: 2, nameservers: [{ host: "127.0.0.1", port: silent.port }] });
          assert.equal(run(base, ask(lonely, "svc.test.")), "TIMEOUT");
          assert.equal(silent.seen.length, 3, "asked once more (attempts: 2)");
          lonely.close();
        } finally {
          silent.close();
          tricky.close();
          rmSync(dir, { recursive: true });
        }
      });
    });

    it("lookup: numeric addresses as they are, the hosts file, then DNS; reverse and SRV/TXT records", () => {
      withBase(variant, (base) => {
        const server = dnsServer(base, (q) => {
          if (q.type === 12) return reply(q, [{ type: 12, data: name("gw.corp.test") }]);
          if (q.type === 33) return reply(q, [{ type: 33, data: [0, 10, 0, 5, 0x1f, 0x90, ...name("app.corp.test")] }]);
          if (q.type === 16) return reply(q, [{ type: 16, data: [5, ...enc.encode("hello"), 3, ...enc.encode("txt")] }]);
          return reply(q, [], { rcode: 3 });
        });
        const { dir, resolvConf, hostsFile } = files();
        try {
          const r = new Resolver(base, { resolvConf, hostsFile, nameservers: [{ host: "127.0.0.1", port: server.port }] });
          const lookup = (h: string) => (done: (v: unknown) => void) => r.lookup(h, (err, a) => done(err ? err.code : a));
          assert.deepEqual(run(base, lookup("192.0.2.1")), [{ family: "ipv4", address: "192.0.2.1" }]);
          assert.deepEqual(run(base, lookup("printer")), [{ family: "ipv4", address: "10.9.8.7" }]);
          assert.deepEqual(run(base, lookup("localhost")), [{ family: "ipv4", address: "127.0.0.1" }, { family: "ipv6", address: "::1" }]);
          assert.equal(server.seen.length, 0, "none of these asked DNS");
          assert.deepEqual(run(base, (done) => r.reverse("10.0.0.1", (e, recs) => done(e ?? recs.map((x) => "target" in x && x.target)))), ["gw.corp.test"]);
          assert.equal(server.seen[0]!.name, "1.0.0.10.in-addr.arpa");
          const srv = run(base, (done) => r.query("_http._tcp.corp.test.", "SRV", (e, recs) => done(e ?? recs))) as DnsRecord[];
          assert.deepEqual(srv.map((x) => x.type === "SRV" && [x.priority, x.weight, x.port, x.target]), [[10, 5, 8080, "app.corp.test"]]);
          const txt = run(base, (done) => r.query("note.corp.test.", "TXT", (e, recs) => done(e ?? recs))) as DnsRecord[];
          assert.deepEqual(txt.map((x) => x.type === "TXT" && x.text), [["hello", "txt"]]);
          r.close();
        } finally {
          server.close();
          rmSync(dir, { recursive: true });
        }
      });
    });
  });
}

describe("dns messages and bad input", () => {
  it("rejects forward and looping compression pointers, cut records and bad names", () => {
    const q: Question = { id: 7, name: "a.test", type: 1 };
    const good = reply(q, [A("1.2.3.4")]);
    assert.deepEqual(decodeResponse(good).answers.map((x) => "address" in x && x.address), ["1.2.3.4"]);
    const forward = good.slice();
    forward[good.length - 16] = 0xc0; // the answer's name now points...
    forward[good.length - 15] = 0xff; // ...past itself
    assert.throws(() => decodeResponse(forward), (e: Error) => e instanceof DnsError && e.code === "BADRESPONSE");
    const selfLoop = good.slice();
    selfLoop[12] = 0xc0;
    selfLoop[13] = 12; // the question's name points at itself
    assert.throws(() => decodeResponse(selfLoop), (e: Error) => e instanceof DnsError && e.code === "BADRESPONSE");
    assert.throws(() => decodeResponse(good.subarray(0, good.length - 2)), (e: Error) => e instanceof DnsError && e.code === "BADRESPONSE");
    assert.throws(() => encodeQuery(1, "a..b", 1), TypeError);
    assert.throws(() => encodeQuery(1, `${"x".repeat(64)}.test`, 1), /longer than 63/);
    withBase(backendVariants()[0]!, (base) => {
      const r = new Resolver(base, { nameservers: ["127.0.0.1"], hostsFile: null });
      assert.throws(() => r.query("", "A", () => {}), TypeError);
      assert.throws(() => r.query("x.test", "ANY" as never, () => {}), /type must be one of/);
      assert.throws(() => new Resolver(base, { nameservers: [{ path: "/x" } as never] }), TypeError);
      const cancelled: string[] = [];
      r.query("never.test.", "A", (e) => void cancelled.push(e!.code));
      r.close();
      assert.deepEqual(cancelled, ["CANCELLED"]);
      assert.throws(() => r.query("x.test", "A", () => {}), /closed/);
    });
  });
});
