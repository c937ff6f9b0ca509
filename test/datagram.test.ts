// DatagramSocket: UDP over IPv4 and IPv6, Unix datagram sockets (paths and abstract names) and
// seqpacket sockets, batching both ways, truncation, errors; real sockets on every backend.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { DatagramSocket, EVLOOP, os, SyscallError, sys, type SocketAddress } from "./deps.ts";
import { constants as K } from "../src/ffi/mod.ts";
import { backendVariants, withBase } from "./helpers.ts";

const openFds = () => readdirSync("/proc/self/fd").length;
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const portOf = (a: SocketAddress) => (a as { port: number }).port;
/** Linux's loopback is all of 127/8: a second local address to tell apart from 127.0.0.1. */
const localIpv4 = os === "linux" ? ["127.0.0.1", "127.0.0.2"] : ["127.0.0.1"];
const loIndex = existsSync("/sys/class/net/lo/ifindex") ? Number(readFileSync("/sys/class/net/lo/ifindex", "utf8")) : null;
const linuxOnly = os === "linux" ? false : "UDP segmentation offload is Linux's";
/** `count` segments of `size` bytes, segment i filled with i, then `rest` bytes of `count`. */
function segments(count: number, size: number, rest: number): Uint8Array {
  const data = new Uint8Array(count * size + rest);
  for (let i = 0; i <= count; i++) data.fill(i, i * size, Math.min((i + 1) * size, data.length));
  return data;
}

for (const variant of backendVariants()) {
  describe(`datagram sockets on ${variant.label}`, () => {
    it("UDP over IPv4: an echo round trip, with the sender's address", () => {
      withBase(variant, (base) => {
        const got: string[] = [];
        let seenFrom: SocketAddress | null = null;
        using server = new DatagramSocket(base, "udp4", {
          bind: { port: 0 },
          onMessage: (data, from, { socket }) => {
            seenFrom = from;
            assert.ok(socket.send(data, from!));
          },
        });
        using client = new DatagramSocket(base, "udp4", {
          connect: server.address,
          onMessage: (data) => {
            got.push(text(data));
            base.loopBreak();
          },
        });
        assert.ok(client.send("ping"));
        base.loopSync();
        assert.deepEqual(got, ["ping"]);
        assert.deepEqual(seenFrom, client.address);
      });
    });

    it("UDP over IPv6 (::1)", () => {
      withBase(variant, (base) => {
        let got = "";
        using server = new DatagramSocket(base, "udp6", {
          bind: { host: "::1", port: 0 },
          onMessage: (data, from) => {
            got = `${text(data)} from ${from?.family}`;
            base.loopBreak();
          },
        });
        using client = new DatagramSocket(base, "udp6");
        client.send("hello", server.address);
        base.loopSync();
        assert.equal(got, "hello from ipv6");
      });
    });

    it("sendBatch sends many in one call and the receiver takes them in batches, in order", () => {
      withBase(variant, (base) => {
        const got: string[] = [];
        using server = new DatagramSocket(base, "udp4", {
          bind: { port: 0 },
          batch: 8,
          receiveBufferSize: 1 << 20,
          onMessage: (data) => {
            got.push(text(data));
            if (got.length === 100) base.loopBreak();
          },
        });
        using client = new DatagramSocket(base, "udp4", { connect: server.address });
        const messages = Array.from({ length: 100 }, (_, i) => ({ data: `m${i}` }));
        assert.equal(client.sendBatch(messages.slice(0, 50)), 50);
        assert.equal(client.sendBatch(messages.slice(50).map((m) => ({ ...m, to: server.address }))), 50);
        base.loopSync();
        assert.deepEqual(got, messages.map((m) => m.data));
      });
    });

    it("a datagram longer than maxMessageSize arrives cut, marked truncated", () => {
      withBase(variant, (base) => {
        const got: [string, boolean][] = [];
        using server = new DatagramSocket(base, "udp4", {
          bind: { port: 0 },
          maxMessageSize: 8,
          onMessage: (data, _from, info) => {
            got.push([text(data), info.truncated]);
            if (got.length === 2) base.loopBreak();
          },
        });
        using client = new DatagramSocket(base, "udp4", { connect: server.address });
        client.send("0123456789abcdef");
        client.send("short");
        base.loopSync();
        assert.deepEqual(got, [["01234567", true], ["short", false]]);
      });
    });

    it("Unix datagram sockets on a path, and on an abstract name (Linux)", () => {
      withBase(variant, (base) => {
        const path = join(tmpdir(), `evffi-dgram-${process.pid}-${Math.random().toString(36).slice(2)}.sock`);
        const names = [path, ...(os === "linux" ? [`@evffi-dgram-${process.pid}-${Math.random().toString(36).slice(2)}`] : [])];
        try {
          for (const name of names) {
            let got = "";
            using server = new DatagramSocket(base, "unix", {
              bind: { path: name },
              onMessage: (data) => {
                got = text(data);
                base.loopBreak();
              },
            });
            assert.deepEqual(server.address, { family: "unix", path: name });
            using client = new DatagramSocket(base, "unix", { connect: { path: name } });
            client.send(`to ${name}`);
            base.loopSync();
            assert.equal(got, `to ${name}`);
          }
        } finally {
          rmSync(path, { force: true });
        }
      });
    });

    it("fromFd wraps a seqpacket socketpair and keeps message boundaries", () => {
      withBase(variant, (base) => {
        const [a, b] = sys.socketpair(K.SOCK_SEQPACKET);
        const got: string[] = [];
        using left = DatagramSocket.fromFd(base, a);
        using right = DatagramSocket.fromFd(base, b, {
          onMessage: (data) => {
            got.push(text(data));
            if (got.length === 3) base.loopBreak();
          },
        });
        assert.equal(left.type, "unix-seqpacket");
        assert.equal(right.type, "unix-seqpacket");
        for (const m of ["one", "two", "three"]) assert.ok(left.send(m));
        base.loopSync();
        assert.deepEqual(got, ["one", "two", "three"]);
      });
    });

    it("pause() leaves datagrams queued in the kernel and lets the loop end; resume() delivers them", () => {
      withBase(variant, (base) => {
        const got: string[] = [];
        using server = new DatagramSocket(base, "udp4", { bind: { port: 0 }, onMessage: (d) => void got.push(text(d)) });
        using client = new DatagramSocket(base, "udp4", { connect: server.address });
        server.pause();
        client.send("queued");
        assert.equal(base.loopSync(), 1, "nothing watched: the loop returns at once");
        assert.deepEqual(got, []);
        server.resume();
        base.loopSync(EVLOOP.ONCE);
        assert.deepEqual(got, ["queued"]);
      });
    });

    it("packetInfo: a server on 0.0.0.0 learns the address each datagram was sent to, and answers from it", () => {
      withBase(variant, (base) => {
        const seen: [string | null, number][] = [];
        using server = new DatagramSocket(base, "udp4", {
          bind: { host: "0.0.0.0", port: 0 },
          packetInfo: true,
          onMessage: (data, from, info) => {
            seen.push([info.localAddress, info.interfaceIndex]);
            assert.ok(info.socket.send(data, from, info));
          },
        });
        const replies: string[] = [];
        using client = new DatagramSocket(base, "udp4", {
          onMessage: (data, from) => {
            replies.push(`${text(data)} from ${(from as { host: string }).host}`);
            if (replies.length === localIpv4.length) base.loopBreak();
          },
        });
        for (const host of localIpv4) client.send(`to ${host}`, { host, port: portOf(server.address) });
        base.loopSync();
        assert.deepEqual(seen.map(([a]) => a), localIpv4);
        for (const [, index] of seen) assert.equal(index, loIndex ?? index, "the loopback interface's index");
        assert.ok(seen.every(([, index]) => index > 0));
        assert.deepEqual(replies, localIpv4.map((h) => `to ${h} from ${h}`));
      });
    });

    it("packetInfo over IPv6: a server on :: sees ::1 and the interface, and answers from ::1", () => {
      withBase(variant, (base) => {
        let seen: [string | null, number] = [null, 0];
        using server = new DatagramSocket(base, "udp6", {
          bind: { host: "::", port: 0 },
          packetInfo: true,
          onMessage: (data, from, info) => {
            seen = [info.localAddress, info.interfaceIndex];
            info.socket.send(data, from, info);
          },
        });
        let reply = "";
        using client = new DatagramSocket(base, "udp6", {
          onMessage: (data, from) => {
            reply = `${text(data)} from ${(from as { host: string }).host}`;
            base.loopBreak();
          },
        });
        client.send("six", { host: "::1", port: portOf(server.address) });
        base.loopSync();
        assert.equal(seen[0], "::1");
        assert.equal(seen[1], loIndex ?? seen[1]);
        assert.ok(seen[1] > 0);
        assert.equal(reply, "six from ::1");
      });
    });

    it("send() with a localAddress: a socket on 0.0.0.0 sends from the address chosen", { skip: localIpv4.length < 2 && "no second local address" }, () => {
      withBase(variant, (base) => {
        const froms: string[] = [];
        using server = new DatagramSocket(base, "udp4", {
          bind: { port: 0 },
          onMessage: (_d, from) => {
            froms.push((from as { host: string }).host);
            if (froms.length === 2) base.loopBreak();
          },
        });
        using client = new DatagramSocket(base, "udp4", { bind: { host: "0.0.0.0", port: 0 } });
        assert.ok(client.send("a", server.address, { localAddress: "127.0.0.2" }));
        assert.ok(client.send("b", server.address, { localAddress: "127.0.0.1", interfaceIndex: loIndex ?? 0 }));
        base.loopSync();
        assert.deepEqual(froms, ["127.0.0.2", "127.0.0.1"]);
      });
    });

    it("GSO: one send of 10 x 1000 + 300 bytes arrives at a plain receiver as 11 datagrams", { skip: linuxOnly }, () => {
      withBase(variant, (base) => {
        const got: Uint8Array[] = [];
        using server = new DatagramSocket(base, "udp4", {
          bind: { port: 0 },
          onMessage: (data) => {
            got.push(data.slice());
            if (got.length === 11) base.loopBreak();
          },
        });
        using client = new DatagramSocket(base, "udp4", { connect: server.address });
        const data = segments(10, 1000, 300);
        assert.ok(client.send(data, null, { segmentSize: 1000 }));
        base.loopSync();
        assert.deepEqual(got.map((d) => d.length), [...Array(10).fill(1000), 300]);
        assert.deepEqual(got.map((d) => d.every((b) => b === d[0]) ? d[0] : -1), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      });
    });

    it("GRO: a coalesced run is split back into its datagrams, and lone datagrams stay whole", { skip: linuxOnly }, () => {
      withBase(variant, (base) => {
        const got: number[][] = [];
        let expected = 0;
        using server = new DatagramSocket(base, "udp4", {
          bind: { port: 0 },
          gro: true,
          onMessage: (data, _from, info) => {
            assert.equal(info.truncated, false);
            got.push([data.length, data[0]!, data[data.length - 1]!]);
            if (got.length === expected) base.loopBreak();
          },
        });
        using client = new DatagramSocket(base, "udp4", { connect: server.address });
        // Over loopback a GSO send reaches a GRO socket still coalesced, with its segment size.
        expected = 9 + 2;
        assert.ok(client.send(segments(8, 1200, 7), null, { segmentSize: 1200 }));
        assert.ok(client.send(new Uint8Array(5000).fill(42)));
        assert.ok(client.send(new Uint8Array(1).fill(43)));
        base.loopSync();
        assert.deepEqual(got, [
          ...Array.from({ length: 8 }, (_, i) => [1200, i, i]), [7, 8, 8], [5000, 42, 42], [1, 43, 43],
        ]);
      });
    });

    it("a connected UDP socket reports the peer's ECONNREFUSED to onError, and the loop goes on", () => {
      withBase(variant, (base) => {
        // A bound socket closed again: its port has nobody listening.
        const probe = new DatagramSocket(base, "udp4", { bind: { port: 0 } });
        const deadPort = (probe.address as { port: number }).port;
        probe.close();
        const errors: string[] = [];
        using client = new DatagramSocket(base, "udp4", {
          connect: { port: deadPort },
          onMessage: () => assert.fail("nothing should arrive"),
          onError: (err) => {
            errors.push(err.code);
            base.loopBreak();
          },
        });
        client.send("anyone?");
        base.timer(2000, () => base.loopBreak());
        base.loopSync();
        assert.deepEqual(errors, ["ECONNREFUSED"]);
        assert.equal(base.loopSync(EVLOOP.NONBLOCK), 0, "the socket stays watched and the base usable");
      });
    });
  });
}

describe("datagram sockets: multicast membership", () => {
  // Membership only: nothing is sent, since a multicast datagram would leave through the default
  // route rather than loopback.
  it("joins and leaves an IPv4 group on the loopback interface; a second leave is the kernel's EADDRNOTAVAIL", () => {
    withBase(backendVariants()[0]!, (base) => {
      using s = new DatagramSocket(base, "udp4", { bind: { host: "0.0.0.0", port: 0 } });
      s.joinGroup("239.255.10.20", "127.0.0.1").setMulticastTtl(1).setMulticastLoopback(false);
      s.leaveGroup("239.255.10.20", "127.0.0.1");
      assert.throws(() => s.leaveGroup("239.255.10.20", "127.0.0.1"), (e: Error) => e instanceof SyscallError && e.code === "EADDRNOTAVAIL");
      assert.throws(() => s.joinGroup("ff02::1"), /udp4 socket cannot join the ipv6 group/);
      assert.throws(() => s.setMulticastTtl(256), RangeError);
      using u = new DatagramSocket(base, "unix");
      assert.throws(() => u.joinGroup("239.255.10.20"), /multicast needs a UDP socket/);
    });
  });
});

describe("datagram sockets: bad input", () => {
  it("names the bad value, leaks no fd, and refuses use after close", () => {
    withBase(backendVariants()[0]!, (base) => {
      const before = openFds();
      assert.throws(() => new DatagramSocket(base, "tcp" as never), (e: Error) => e instanceof TypeError && /"tcp"/.test(e.message));
      assert.throws(() => new DatagramSocket(base, "udp4", { bind: { path: "/tmp/x" } }), /udp4 socket cannot use the unix address/);
      assert.throws(() => new DatagramSocket(base, "udp4", { maxMessageSize: 0 }), RangeError);
      const taken = new DatagramSocket(base, "udp4", { bind: { port: 0 } });
      assert.throws(() => new DatagramSocket(base, "udp4", { bind: taken.address }), (e: Error) => e instanceof SyscallError && e.code === "EADDRINUSE");
      taken.close();
      const [s1, s2] = sys.socketpair();
      assert.throws(() => DatagramSocket.fromFd(base, s1), /not a datagram or seqpacket socket/);
      sys.close(s1);
      sys.close(s2);
      assert.throws(() => new DatagramSocket(base, "unix", { packetInfo: true }), /packetInfo needs a UDP socket, this one is unix/);
      assert.throws(() => new DatagramSocket(base, "unix-seqpacket", { gro: true }), /gro needs a UDP socket/);
      const udp = new DatagramSocket(base, "udp4", { bind: { port: 0 } });
      for (const segmentSize of [0, 65508, 1.5, -1]) {
        assert.throws(() => udp.send("x", udp.address, { segmentSize }), (e: Error) => e instanceof RangeError && e.message.includes(`segmentSize`) && e.message.includes(`${segmentSize} (number)`));
      }
      assert.throws(() => udp.send("x", udp.address, { segmentSize: "10" as never }), (e: Error) => e instanceof TypeError && e.message.includes('"10" (string)'));
      assert.throws(() => udp.send("x", udp.address, { localAddress: "::1" }), /udp4 socket cannot send from the ipv6 address "::1"/);
      assert.throws(() => udp.send("x", udp.address, { localAddress: "localhost" }), (e: Error) => e instanceof TypeError && /"localhost" \(string\)/.test(e.message));
      assert.throws(() => udp.send("x", udp.address, { interfaceIndex: -1 }), RangeError);
      assert.throws(() => udp.send("x", udp.address, null as never), /send options must be an object, got null/);
      assert.throws(() => udp.send("x", null, { segmentSize: 100 }), /not connected/);
      udp.close();
      const dgram = new DatagramSocket(base, "unix");
      assert.throws(() => dgram.send("x", { path: "/nonexistent" }, {}), /send options need a UDP socket/);
      dgram.close();
      const lone = new DatagramSocket(base, "udp4");
      assert.throws(() => lone.send("x"), /not connected/);
      assert.throws(() => lone.send(42 as never, { port: 9 }), TypeError);
      lone.close();
      assert.ok(lone.closed);
      assert.throws(() => lone.send("x", { port: 9 }), /closed/);
      assert.equal(openFds(), before, "no fd leaked");
      assert.equal(base.count(), 0, "no event left behind");
    });
  });
});
