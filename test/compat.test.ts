// libevent's C names, ported line for line from the shape of its regress tests.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as ev from "../src/compat.ts";
import { rmSync } from "node:fs";
import { BEV, BufferEvent, Listener, Resolver, sys } from "./deps.ts";
import { dnsFiles, dnsServer, reply } from "./dns-server.ts";
import { backendVariants, hangGuard } from "./helpers.ts";

for (const variant of backendVariants()) {
  describe(`compat on ${variant.label}`, () => {
    const newBase = () => {
      const cfg = ev.event_config_new();
      const changelist = variant.options.method === "epoll (with changelist)";
      for (const m of ev.event_get_supported_methods()) {
        if (m !== variant.options.method && !(changelist && m === "epoll")) ev.event_config_avoid_method(cfg, m);
      }
      ev.event_config_set_flag(cfg, ev.EVENT_BASE_FLAG_IGNORE_ENV);
      if (changelist) ev.event_config_set_flag(cfg, ev.EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
      if (variant.options.preciseTimer) ev.event_config_set_flag(cfg, ev.EVENT_BASE_FLAG_PRECISE_TIMER);
      const base = ev.event_base_new_with_config(cfg);
      ev.event_config_free(cfg);
      assert.ok(base, String(ev.event_get_last_error()));
      assert.equal(ev.event_base_get_method(base), variant.options.method);
      return base;
    };

    it("event_new / event_add with a timeval / event_base_dispatch", () => {
      const base = newBase();
      const [a, b] = sys.socketpair();
      try {
        const log: string[] = [];
        const rd = ev.event_new(base, b, ev.EV_READ | ev.EV_PERSIST, (fd, what, arg) => {
          log.push(`read ${what} ${arg}`);
          sys.read(fd, 16);
          ev.event_del(rd!);
        }, "cookie");
        assert.ok(rd);
        assert.equal(ev.event_add(rd, null), 0);
        const t = ev.evtimer_new(base, (_fd, what, arg) => {
          log.push(`timer ${what} ${arg === t}`);
          sys.write(a, "x");
        }, ev.event_self_cbarg());
        assert.equal(ev.evtimer_add(t!, { tv_sec: 0, tv_usec: 2000 }), 0);
        assert.equal(ev.evtimer_pending(t!, null), ev.EV_TIMEOUT);
        assert.equal(ev.event_base_dispatch(base), 1);
        assert.deepEqual(log, [`timer ${ev.EV_TIMEOUT} true`, `read ${ev.EV_READ} cookie`]);
        ev.event_free(rd);
        ev.event_free(t!);
      } finally {
        ev.event_base_free(base);
        sys.close(a);
        sys.close(b);
      }
    });

    it("event_pending fills the expiry as wall-clock time; failures return -1", () => {
      const base = newBase();
      try {
        const e = ev.evtimer_new(base, () => {}, null)!;
        ev.event_add(e, { tv_sec: 10, tv_usec: 0 });
        const tv = { tv_sec: 0, tv_usec: 0 };
        assert.equal(ev.event_pending(e, ev.EV_TIMEOUT, tv), ev.EV_TIMEOUT);
        const expiry = tv.tv_sec * 1000 + tv.tv_usec / 1000;
        assert.ok(Math.abs(expiry - (Date.now() + 10_000)) < 2000, `expiry ${expiry}`);
        const [x, y] = sys.socketpair();
        sys.close(x);
        sys.close(y);
        const bad = ev.event_new(base, x, ev.EV_READ, () => {}, null)!;
        if (!variant.label.includes("changelist")) {
          assert.equal(ev.event_add(bad, null), -1);
          assert.match(String(ev.event_get_last_error()), /EBADF/);
        }
        assert.equal(ev.event_base_priority_init(base, 0), -1);
        assert.equal(ev.event_base_priority_init(base, 4), 0);
        assert.equal(ev.event_base_get_npriorities(base), 4);
      } finally {
        ev.event_base_free(base);
      }
    });

    it("event_base_once, loopexit, got_exit and common timeouts", () => {
      const base = newBase();
      try {
        let onceRan = 0;
        assert.equal(ev.event_base_once(base, -1, ev.EV_TIMEOUT, (_fd, _w, arg) => void (onceRan = arg as number), 42, null), 0);
        const common = ev.event_base_init_common_timeout(base, { tv_sec: 0, tv_usec: 1000 })!;
        let commonRan = 0;
        for (let i = 0; i < 10; i++) ev.event_add(ev.evtimer_new(base, () => void commonRan++, null)!, common);
        ev.evtimer_add(ev.evtimer_new(base, () => {}, null)!, { tv_sec: 60, tv_usec: 0 });
        assert.equal(ev.event_base_loopexit(base, { tv_sec: 0, tv_usec: 20_000 }), 0);
        assert.equal(ev.event_base_dispatch(base), 0);
        assert.equal(ev.event_base_got_exit(base), 1);
        assert.equal(onceRan, 42);
        assert.equal(commonRan, 10);
        const tv = { tv_sec: 0, tv_usec: 0 };
        ev.event_base_gettimeofday_cached(base, tv);
        assert.ok(Math.abs(tv.tv_sec - Date.now() / 1000) < 5);
        assert.equal(ev.event_base_get_num_events(base, ev.EVENT_BASE_COUNT_ADDED), 1);
        assert.match(ev.event_base_dump_events(base), /Inserted events/);
      } finally {
        ev.event_base_free(base);
      }
    });

    it("event_base_free from a callback frees the base when the loop returns", () => {
      const base = newBase();
      const [a, b] = sys.socketpair();
      try {
        const log: string[] = [];
        const rd = ev.event_new(base, b, ev.EV_READ | ev.EV_PERSIST, () => log.push("read"), null)!;
        ev.event_add(rd, null);
        const t = ev.evtimer_new(base, () => {
          ev.event_base_free(base);
          log.push(`freed; closed now: ${base.closed}`);
          sys.write(a, "x");
        }, null)!;
        ev.evtimer_add(t, { tv_sec: 0, tv_usec: 1000 });
        assert.equal(ev.event_base_dispatch(base), 0);
        assert.deepEqual(log, ["freed; closed now: false"]);
        assert.ok(base.closed);
        // The fd's registration went with the base: nothing holds b.
        assert.equal(rd.isPending, false);
      } finally {
        ev.event_base_free(base);
        sys.close(a);
        sys.close(b);
      }
    });

    it("event_base_free from host code during await loop() frees the base when the loop returns", async () => {
      const base = newBase();
      try {
        const far = ev.evtimer_new(base, () => assert.fail("the far timer fired"), null)!;
        ev.evtimer_add(far, { tv_sec: 60, tv_usec: 0 });
        setTimeout(() => ev.event_base_free(base), 10);
        assert.equal(await base.loop(), 0);
        assert.ok(base.closed);
      } finally {
        ev.event_base_free(base);
      }
    });

    it("EventBase.close() inside a callback throws and leaves the base running and consistent", () => {
      const base = newBase();
      try {
        let thrown: unknown;
        ev.evtimer_add(ev.evtimer_new(base, () => {
          try {
            base.close();
          } catch (err) {
            thrown = err;
          }
        }, null)!, { tv_sec: 0, tv_usec: 0 });
        assert.equal(ev.event_base_dispatch(base), 1);
        assert.match(String(thrown), /while its loop is running/);
        assert.equal(base.closed, false);
        base.checkIntegrity();
      } finally {
        ev.event_base_free(base);
      }
    });

    it("bufferevent_socket_connect_hostname connects by name; bufferevent_socket_get_dns_error says why it could not", () => {
      const base = newBase();
      const listener = new Listener(base, { host: "127.0.0.1", port: 0 }, (fd) => sys.close(fd));
      const server = dnsServer(base, (q) => reply(q, [], { rcode: 3 }));
      const { dir, resolvConf, hostsFile } = dnsFiles("127.0.0.1 app.lan\n");
      try {
        const resolver = new Resolver(base, { resolvConf, hostsFile, nameservers: [{ host: "127.0.0.1", port: server.port }] });
        const port = (listener.address as { port: number }).port;
        const outcome = (name: string, family: number) => {
          const bev = new BufferEvent(base, -1);
          let what = 0;
          bev.setCallbacks(null, null, (b, w) => {
            what = w;
            ev.event_base_loopbreak(base);
          });
          assert.equal(ev.bufferevent_socket_connect_hostname(bev, resolver, family, name, port), 0, String(ev.event_get_last_error()));
          ev.event_base_dispatch(base);
          const dnsError = ev.bufferevent_socket_get_dns_error(bev);
          bev.close();
          return what & BEV.CONNECTED ? "connected" : `${what & BEV.ERROR ? "error" : what} ${dnsError?.code}`;
        };
        assert.equal(outcome("app.lan", ev.AF_UNSPEC), "connected");
        assert.equal(outcome("app.lan", ev.AF_INET), "connected");
        assert.equal(outcome("gone.test.", ev.AF_UNSPEC), "error NXDOMAIN");
        const bev = new BufferEvent(base, -1);
        assert.equal(ev.bufferevent_socket_connect_hostname(bev, null, 12345, "app.lan", port), -1);
        assert.match(String(ev.event_get_last_error()), /RangeError: family must be AF_UNSPEC, AF_INET or AF_INET6, got 12345/);
        assert.equal(ev.bufferevent_socket_get_dns_error(bev), null);
        bev.close();
        resolver.close();
        base.checkIntegrity();
      } finally {
        listener.close();
        server.close();
        rmSync(dir, { recursive: true });
      }
    });

    it("evwatch_prepare_new / evwatch_check_new around the wait, evwatch_prepare_get_timeout, evwatch_free from the callback", () => {
      const base = newBase();
      try {
        const log: string[] = [];
        const tv = { tv_sec: -1, tv_usec: -1 };
        let told = -1;
        const prepare = ev.evwatch_prepare_new(base, (w, info, arg) => {
          if (told === -1) told = ev.evwatch_prepare_get_timeout(info, tv);
          log.push(`prepare ${arg} ${w === prepare}`);
        }, "p");
        const check = ev.evwatch_check_new(base, (w, _info, arg) => {
          log.push(`check ${arg}`);
          ev.evwatch_free(w);
        }, "c");
        assert.ok(prepare && check);
        assert.equal(ev.evwatch_base(prepare), base);
        const timer = ev.evtimer_new(base, () => {
          log.push("timer");
          ev.evwatch_free(prepare);
        }, null);
        // Long enough to be still ahead at the first prepare, even under an emulator.
        const waitUs = hangGuard(20) * 1000;
        ev.evtimer_add(timer!, { tv_sec: 0, tv_usec: waitUs });
        assert.equal(ev.event_base_dispatch(base), 1);
        assert.deepEqual(log.slice(0, 2), ["prepare p true", "check c"]);
        assert.equal(log.at(-1), "timer");
        assert.equal(log.filter((l) => l === "check c").length, 1, "freed from its own callback, it ran once");
        assert.equal(told, 1);
        assert.ok(tv.tv_sec === 0 && tv.tv_usec > 0 && tv.tv_usec <= waitUs, `told ${JSON.stringify(tv)}`);
        ev.event_free(timer!);
        base.checkIntegrity();
      } finally {
        ev.event_base_free(base);
      }
    });
  });
}

describe("compat: evwatch", () => {
  it("evwatch_prepare_get_timeout returns 0 when the loop waits until an event; a bad callback yields null and a TypeError", () => {
    const base = ev.event_base_new()!;
    try {
      const [a, b] = sys.socketpair();
      const tv = { tv_sec: 7, tv_usec: 7 };
      let told = -1;
      const w = ev.evwatch_prepare_new(base, (_w, info) => {
        told = ev.evwatch_prepare_get_timeout(info, tv);
        sys.write(a, "x");
      }, null);
      const rd = ev.event_new(base, b, ev.EV_READ, () => void sys.read(b, 8), null);
      ev.event_add(rd!, null);
      assert.equal(ev.event_base_dispatch(base), 1);
      assert.equal(told, 0);
      assert.deepEqual(tv, { tv_sec: 7, tv_usec: 7 }, "left alone");
      ev.evwatch_free(w!);
      ev.event_free(rd!);
      sys.close(a);
      sys.close(b);
      assert.equal(ev.evwatch_check_new(base, 5 as never, null), null);
      assert.match(String(ev.event_get_last_error()), /TypeError: evwatch_check_new callback must be a function, got number/);
    } finally {
      ev.event_base_free(base);
    }
  });
});

describe("compat: configuration", () => {
  it("requiring a feature no backend has yields null and a reason", () => {
    const cfg = ev.event_config_new();
    for (const m of ev.event_get_supported_methods()) ev.event_config_avoid_method(cfg, m);
    assert.equal(ev.event_base_new_with_config(cfg), null);
    assert.match(String(ev.event_get_last_error()), /no event backend qualifies/);
  });
});
