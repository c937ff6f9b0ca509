// The resolver a base uses when a caller names a host and passes no Resolver of its own (as
// libevent's bufferevent_socket_connect_hostname takes a NULL evdns_base): one per base, made on
// first use from /etc/resolv.conf and /etc/hosts. It costs nothing while idle: a Resolver holds no
// fd and keeps no loop running between lookups, so the base needs no hook to close it.
import type { EventBase } from "../../core/base.ts";
import { Resolver } from "./resolver.ts";

const perBase = new WeakMap<EventBase, Resolver>();

/** The base's own resolver, made now if it has none yet (or the one it had was closed). */
export function baseResolver(base: EventBase): Resolver {
  let resolver = perBase.get(base);
  if (resolver === undefined || resolver.closed) {
    resolver = new Resolver(base);
    perBase.set(base, resolver);
  }
  return resolver;
}
