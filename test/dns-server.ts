// A small DNS server for tests, on 127.0.0.1 (UDP, and TCP on the same port when asked), with
// helpers to build its replies, and the resolv.conf and hosts files a test's Resolver reads.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hangGuard } from "./helpers.ts";
import { BufferEvent, DatagramSocket, EV, type EventBase, Listener } from "./deps.ts";

const enc = new TextEncoder();
export interface Question { id: number; name: string; type: number }
export function parseQuestion(q: Uint8Array): Question {
  const labels: string[] = [];
  let at = 12;
  while (q[at]) {
    labels.push(new TextDecoder().decode(q.subarray(at + 1, at + 1 + q[at]!)));
    at += 1 + q[at]!;
  }
  return { id: (q[0]! << 8) | q[1]!, name: labels.join("."), type: (q[at + 1]! << 8) | q[at + 2]! };
}
export function name(n: string): number[] {
  return [...n.split(".").flatMap((l) => [l.length, ...enc.encode(l)]), 0];
}
export type Answer = { type: number; ttl?: number; data: number[] };
export function reply(q: Question, answers: Answer[], { rcode = 0, tc = false, id = q.id, qname = q.name } = {}): Uint8Array {
  const out = [id >> 8, id & 255, 0x81 | (tc ? 2 : 0), 0x80 | rcode, 0, 1, 0, answers.length, 0, 0, 0, 0, ...name(qname), q.type >> 8, q.type & 255, 0, 1];
  for (const a of answers) {
    const ttl = a.ttl ?? 300;
    out.push(0xc0, 12, a.type >> 8, a.type & 255, 0, 1, ttl >>> 24, (ttl >> 16) & 255, (ttl >> 8) & 255, ttl & 255, a.data.length >> 8, a.data.length & 255, ...a.data);
  }
  return new Uint8Array(out);
}
export const A = (ip: string, ttl?: number): Answer => ({ type: 1, ttl, data: ip.split(".").map(Number) });

/** A DNS server on 127.0.0.1 (UDP, and TCP on the same port number when `tcp` is given). */
export function dnsServer(base: EventBase, udp: (q: Question) => Uint8Array | Uint8Array[] | null, tcp?: (q: Question) => Uint8Array) {
  const seen: Question[] = [];
  for (let tries = 0; ; tries++) {
    const sock = new DatagramSocket(base, "udp4", {
      bind: { host: "127.0.0.1", port: 0 },
      onMessage: (data, from, { socket }) => {
        const q = parseQuestion(data);
        seen.push(q);
        const out = udp(q);
        for (const m of out === null ? [] : Array.isArray(out) ? out : [out]) socket.send(m, from!);
      },
    });
    const port = (sock.address as { port: number }).port;
    if (!tcp) return { port, seen, close: () => sock.close() };
    try {
      const listener = new Listener(base, { host: "127.0.0.1", port }, (fd) => {
        const bev = new BufferEvent(base, fd);
        bev.setCallbacks((b) => {
          if (b.input.length < 2) return;
          const head = b.input.copyOut(2);
          const len = (head[0]! << 8) | head[1]!;
          if (b.input.length < 2 + len) return;
          b.drainInput(2);
          const answer = tcp(parseQuestion(b.read(len)));
          b.write(new Uint8Array([answer.byteLength >> 8, answer.byteLength & 255]));
          b.write(answer);
        }, null, (b) => b.close());
        bev.enable(EV.READ);
      });
      return { port, seen, close: () => { sock.close(); listener.close(); } };
    } catch (err) {
      sock.close();
      if (tries > 20) throw err;
    }
  }
}

/**
 * A resolv.conf naming an unreachable nameserver (tests pass their server's address) with the
 * search domain corp.test, and a hosts file with localhost, printer.lan and any `extraHosts` lines,
 * in a new temporary directory the caller removes.
 */
export function dnsFiles(extraHosts = ""): { dir: string; resolvConf: string; hostsFile: string } {
  const dir = mkdtempSync(join(tmpdir(), "evffi-dns-"));
  const resolvConf = join(dir, "resolv.conf"), hostsFile = join(dir, "hosts");
  // The 1 s answer timeout only ends a lost query; under an emulator one local round trip can take longer.
  writeFileSync(resolvConf, `nameserver 192.0.2.53\nsearch corp.test\noptions ndots:1 timeout:${hangGuard(1000) / 1000} attempts:1\n`);
  writeFileSync(hostsFile, "127.0.0.1 localhost\n::1 localhost ip6-localhost\n10.9.8.7 printer.lan printer # the printer\n" + extraHosts);
  return { dir, resolvConf, hostsFile };
}

