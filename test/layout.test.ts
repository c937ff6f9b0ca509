// The committed layout, constant, errno and signal tables for this host against what the C
// compiler says (scripts/print-layout.sh). Skipped, with the reason, when there is no compiler.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { constantTables, errnoTables, layouts, os, platform, signalTables } from "../src/ffi/mod.ts";

const script = new URL("../scripts/print-layout.sh", import.meta.url).pathname;
const run = spawnSync("bash", [script], { encoding: "utf8" });
const noCompiler = run.status === 3 ? `no C compiler: ${run.stderr.trim()}` : false;
const host = run.status === 0 ? JSON.parse(run.stdout) as Record<string, Record<string, number>> : null;

describe(`layout tables for ${platform}`, { skip: noCompiler }, () => {
  it("the C compiler ran", () => assert.equal(run.status, 0, run.stderr));

  it("struct sizes and offsets match the headers", () => {
    const L = layouts[platform];
    const c = host!.layout;
    const pairs: [string, number, string][] = [
      ["pollfd", L.pollfd.size, "pollfd.size"], ["pollfd.fd", L.pollfd.fd, "pollfd.fd"],
      ["pollfd.events", L.pollfd.events, "pollfd.events"], ["pollfd.revents", L.pollfd.revents, "pollfd.revents"],
      ["fd_set", L.fd_set.size, "fd_set.size"],
      ["msghdr", L.msghdr.size, "msghdr.size"], ["msghdr.name", L.msghdr.name, "msghdr.msg_name"],
      ["msghdr.namelen", L.msghdr.namelen, "msghdr.msg_namelen"], ["msghdr.iov", L.msghdr.iov, "msghdr.msg_iov"],
      ["msghdr.iovlen", L.msghdr.iovlen, "msghdr.msg_iovlen"], ["msghdr.control", L.msghdr.control, "msghdr.msg_control"],
      ["msghdr.controllen", L.msghdr.controllen, "msghdr.msg_controllen"], ["msghdr.flags", L.msghdr.flags, "msghdr.msg_flags"],
      ["iovec", L.iovec.size, "iovec.size"], ["iovec.base", L.iovec.base, "iovec.iov_base"], ["iovec.len", L.iovec.len, "iovec.iov_len"],
      ["cmsghdr", L.cmsghdr.size, "cmsghdr.size"], ["cmsghdr.len", L.cmsghdr.len, "cmsghdr.cmsg_len"],
      ["cmsghdr.level", L.cmsghdr.level, "cmsghdr.cmsg_level"], ["cmsghdr.type", L.cmsghdr.type, "cmsghdr.cmsg_type"],
      ["cmsghdr.data", L.cmsghdr.data, "cmsghdr.data"],
      ["timespec", L.timespec.size, "timespec.size"], ["timespec.sec", L.timespec.sec, "timespec.tv_sec"],
      ["timespec.nsec", L.timespec.nsec, "timespec.tv_nsec"],
      ["timeval", L.timeval.size, "timeval.size"], ["timeval.sec", L.timeval.sec, "timeval.tv_sec"], ["timeval.usec", L.timeval.usec, "timeval.tv_usec"],
      ["sockaddr_in", L.sockaddr_in.size, "sockaddr_in.size"], ["sockaddr_in.family", L.sockaddr_in.family, "sockaddr_in.sin_family"],
      ["sockaddr_in.port", L.sockaddr_in.port, "sockaddr_in.sin_port"], ["sockaddr_in.addr", L.sockaddr_in.addr, "sockaddr_in.sin_addr"],
      ["sockaddr_in6", L.sockaddr_in6.size, "sockaddr_in6.size"], ["sockaddr_in6.port", L.sockaddr_in6.port, "sockaddr_in6.sin6_port"],
      ["sockaddr_in6.flowinfo", L.sockaddr_in6.flowinfo, "sockaddr_in6.sin6_flowinfo"], ["sockaddr_in6.addr", L.sockaddr_in6.addr, "sockaddr_in6.sin6_addr"],
      ["sockaddr_in6.scope_id", L.sockaddr_in6.scope_id, "sockaddr_in6.sin6_scope_id"],
      ["sockaddr_un", L.sockaddr_un.size, "sockaddr_un.size"], ["sockaddr_un.path", L.sockaddr_un.path, "sockaddr_un.sun_path"],
      ["rlimit", L.rlimit.size, "rlimit.size"], ["rlimit.cur", L.rlimit.cur, "rlimit.rlim_cur"], ["rlimit.max", L.rlimit.max, "rlimit.rlim_max"],
      ["siginfo", L.siginfo.size, "siginfo.size"], ["siginfo.signo", L.siginfo.signo, "siginfo.si_signo"],
      ["siginfo.code", L.siginfo.code, "siginfo.si_code"], ["siginfo.pid", L.siginfo.pid, "siginfo.si_pid"],
      ["siginfo.status", L.siginfo.status, "siginfo.si_status"],
    ];
    if ("epoll_event.size" in c) {
      pairs.push(["epoll_event", L.epoll_event.size, "epoll_event.size"], ["epoll_event.events", L.epoll_event.events, "epoll_event.events"],
        ["epoll_event.data", L.epoll_event.data, "epoll_event.data"], ["itimerspec", L.itimerspec.size, "itimerspec.size"],
        ["itimerspec.value", L.itimerspec.value, "itimerspec.it_value"]);
    }
    if ("kevent.size" in c) {
      pairs.push(["kevent", L.kevent.size, "kevent.size"], ["kevent.filter", L.kevent.filter, "kevent.filter"],
        ["kevent.flags", L.kevent.flags, "kevent.flags"], ["kevent.data", L.kevent.data, "kevent.data"], ["kevent.udata", L.kevent.udata, "kevent.udata"]);
    }
    const wrong = pairs.filter(([, ours, key]) => c[key] !== ours).map(([name, ours, key]) => `${name}: table ${ours}, C ${c[key]}`);
    assert.deepEqual(wrong, []);
  });

  it("constants match the headers", () => {
    const ours = constantTables[os] as unknown as Record<string, number>;
    const c = host!.constants;
    // Unsigned C values (EPOLLET) come out as they are; compare as 32-bit patterns.
    const wrong = Object.keys(c).filter((k) => k in ours && (ours[k] >>> 0) !== (c[k] >>> 0)).map((k) => `${k}: table ${ours[k]}, C ${c[k]}`);
    assert.deepEqual(wrong, []);
    assert.ok(Object.keys(c).length > 40, "the compiler answered for the constants");
  });

  it("errno numbers match the headers", () => {
    const ours = errnoTables[os as "linux" | "darwin"];
    const c = host!.errno;
    const wrong = Object.keys(c).filter((k) => k in ours && ours[k] !== c[k]).map((k) => `${k}: table ${ours[k]}, C ${c[k]}`);
    assert.deepEqual(wrong, []);
    const missing = Object.keys(c).filter((k) => !(k in ours) && !["EWOULDBLOCK", "ENOTSUP", "EDEADLOCK"].includes(k));
    assert.deepEqual(missing, [], "every errno the headers define has a name in the table");
  });

  it("signal numbers match the headers", () => {
    const ours = signalTables[os];
    const c = host!.signals;
    const wrong = Object.keys(c).filter((k) => k in ours && ours[k] !== c[k]).map((k) => `${k}: table ${ours[k]}, C ${c[k]}`);
    assert.deepEqual(wrong, []);
  });
});
