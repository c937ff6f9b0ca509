// Names this machine answers for itself, without asking a nameserver: the hosts file (hosts(5)) and
// the loopback names of RFC 6761 ("localhost" and anything under ".localhost"), which resolve to
// the loopback addresses even where the hosts file does not list them (a container's /etc/hosts
// often lacks "::1 localhost"; some lack localhost altogether).
//
// Reading a small local file is the only kind of lookup evffi does synchronously: it is what lets a
// Listener, which binds in its constructor, take a host name (see hostsAddress).
import { readTextFile } from "../../ffi/sys.ts";
import { resolveAddress, type SocketAddress } from "../../ffi/sockaddr.ts";
import { parseHosts } from "./config.ts";

/** The addresses a hosts file gives one name, IPv4 and IPv6 apart. */
export interface HostsEntry {
  v4: string[];
  v6: string[];
}

/** The default hosts file. */
export const HOSTS_FILE = "/etc/hosts";

/** A name in lower case without its final dot, as the hosts file's keys are kept. */
export function hostsKey(name: string): string {
  return name.toLowerCase().replace(/\.$/, "");
}

/** Whether `name` is "localhost" or under ".localhost" (RFC 6761: always the loopback addresses). */
export function isLoopbackName(name: string): boolean {
  const key = hostsKey(name);
  return key === "localhost" || key.endsWith(".localhost");
}

/** The loopback addresses, for a loopback name the hosts file does not list. */
export function loopbackEntry(): HostsEntry {
  return { v4: ["127.0.0.1"], v6: ["::1"] };
}

/**
 * The entry for `name` in `hosts` (a parsed hosts file), else the loopback addresses for a
 * loopback name, else undefined (the name is for DNS to answer).
 */
export function hostsEntry(hosts: ReadonlyMap<string, HostsEntry>, name: string): HostsEntry | undefined {
  const key = hostsKey(name);
  return hosts.get(key) ?? (isLoopbackName(key) ? loopbackEntry() : undefined);
}

/** Whether `host` is a numeric IPv4 or IPv6 address (brackets allowed), not a name. */
export function isNumericHost(host: string): boolean {
  if (host === "localhost") return false; // resolveAddress maps this one name itself
  try {
    return resolveAddress({ host, port: 0 }).family !== "unix";
  } catch {
    return false;
  }
}

/**
 * The address to bind for `{ host, port }` when host is a name: the first address the hosts file
 * lists for it (IPv4 before IPv6), or a loopback name's loopback address. Synchronous: it reads the
 * file and asks no nameserver. Throws a TypeError naming the name and the file when neither knows it.
 *
 * @example
 * ```ts
 * hostsAddress("localhost", 8080);   // { family: "ipv4", host: "127.0.0.1", port: 8080 }
 * ```
 */
export function hostsAddress(name: string, port: number, hostsFile: string = HOSTS_FILE): SocketAddress {
  const entry = hostsEntry(parseHosts(readTextFile(hostsFile) ?? ""), name);
  const host = entry?.v4[0] ?? entry?.v6[0];
  if (host === undefined) {
    throw new TypeError(
      `host ${JSON.stringify(name)} is not in ${hostsFile}: a listening socket binds a numeric address or a name the hosts file ` +
        "lists (asking DNS would make listening asynchronous); resolve it first with a Resolver and pass the address",
    );
  }
  return resolveAddress({ host, port });
}
