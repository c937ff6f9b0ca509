// What the resolver reads from the system: /etc/resolv.conf (nameservers, search domains, ndots,
// timeout, attempts; resolv.conf(5)) and /etc/hosts (hosts(5)). Unknown lines are ignored, as the
// C library ignores them.
import { resolveAddress, type SocketAddress } from "../../ffi/sockaddr.ts";

/** What resolv.conf says. */
export interface ResolvConf {
  nameservers: SocketAddress[];
  search: string[];
  ndots: number;
  timeoutMs: number;
  attempts: number;
}

/** Parses resolv.conf text; with no nameserver line, the C library's default (127.0.0.1) applies. */
export function parseResolvConf(text: string): ResolvConf {
  const conf: ResolvConf = { nameservers: [], search: [], ndots: 1, timeoutMs: 5000, attempts: 2 };
  for (const raw of text.split("\n")) {
    const line = raw.replace(/[#;].*$/, "").trim();
    if (!line) continue;
    const [key, ...values] = line.split(/\s+/);
    if (key === "nameserver" && values[0]) {
      try {
        conf.nameservers.push(resolveAddress({ host: values[0], port: 53 }));
      } catch {
        // not a numeric address: ignored, as the C library does
      }
    } else if ((key === "search" || key === "domain") && values.length) {
      conf.search = values.map((d) => d.replace(/\.$/, ""));
    } else if (key === "options") {
      for (const v of values) {
        const [opt, num] = v.split(":");
        const n = Number(num);
        if (!Number.isInteger(n) || n < 0) continue;
        if (opt === "ndots") conf.ndots = Math.min(n, 15);
        else if (opt === "timeout") conf.timeoutMs = Math.max(1, Math.min(n, 30)) * 1000;
        else if (opt === "attempts") conf.attempts = Math.max(1, Math.min(n, 5));
      }
    }
  }
  if (conf.nameservers.length === 0) conf.nameservers.push({ family: "ipv4", host: "127.0.0.1", port: 53 });
  return conf;
}

/** Parses hosts text into name -> addresses (lower-cased names, IPv4 and IPv6 kept apart). */
export function parseHosts(text: string): Map<string, { v4: string[]; v6: string[] }> {
  const hosts = new Map<string, { v4: string[]; v6: string[] }>();
  for (const raw of text.split("\n")) {
    const [address, ...names] = raw.replace(/#.*$/, "").trim().split(/\s+/);
    if (!address || names.length === 0) continue;
    let family: "ipv4" | "ipv6";
    try {
      family = resolveAddress({ host: address, port: 0 }).family as "ipv4" | "ipv6";
    } catch {
      continue;
    }
    for (const name of names) {
      const entry = hosts.get(name.toLowerCase()) ?? { v4: [], v6: [] };
      (family === "ipv4" ? entry.v4 : entry.v6).push(address);
      hosts.set(name.toLowerCase(), entry);
    }
  }
  return hosts;
}
