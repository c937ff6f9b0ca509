// The committed layout, constant, errno and signal tables for this host against what the C
// compiler says (scripts/print-layout.sh). Skipped, with the reason, when there is no compiler.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { type Layout, arch, constantTables, errnoTables, layouts, os, platform, signalTables } from "../src/ffi/mod.ts";

const script = new URL("../scripts/print-layout.sh", import.meta.url).pathname;
// The compiler must build for this runtime's CPU: under emulation (npm run test:arm64) the host's
// own cc answers for x86_64, so test:arm64 names a cross compiler in CC.
const cc = process.env.CC ?? "cc";
const target = spawnSync(cc, ["-dumpmachine"], { encoding: "utf8" }).stdout?.trim() ?? "";
const targetArch = target.startsWith("x86_64") ? "x64" : target.startsWith("aarch64") ? "arm64" : target;
const run = spawnSync("bash", [script], { encoding: "utf8" });
const noCompiler = run.status === 3 ? `no C compiler: ${run.stderr.trim()}` :
  target !== "" && targetArch !== arch ? `the C compiler (${cc}) builds for ${target}, not for this ${arch} runtime; name one in CC` : false;
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
    if ("in_pktinfo.size" in c) {
      pairs.push(["in_pktinfo", L.in_pktinfo.size, "in_pktinfo.size"], ["in_pktinfo.ifindex", L.in_pktinfo.ifindex, "in_pktinfo.ipi_ifindex"],
        ["in_pktinfo.specDst", L.in_pktinfo.specDst, "in_pktinfo.ipi_spec_dst"], ["in_pktinfo.addr", L.in_pktinfo.addr, "in_pktinfo.ipi_addr"]);
    }
    pairs.push(["in6_pktinfo", L.in6_pktinfo.size, "in6_pktinfo.size"], ["in6_pktinfo.addr", L.in6_pktinfo.addr, "in6_pktinfo.ipi6_addr"],
      ["in6_pktinfo.ifindex", L.in6_pktinfo.ifindex, "in6_pktinfo.ipi6_ifindex"]);
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
    const ours = errnoTables[os];
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

// What the code uses, read from its sources, against the tables of every OS and platform: a name
// or field used anywhere must be in each table, so a port to a platform nobody here runs cannot
// read undefined (NaN offsets, a 0 flag) where the host's table had a value.
const srcDir = new URL("../src/", import.meta.url).pathname;
function sources(dir: string): { path: string; text: string }[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith(".ts") ? [{ path: path.slice(srcDir.length), text: readFileSync(path, "utf8") }] : [];
  });
}
const files = sources(srcDir);

/** Names used as `C.X` or `constants.X`, `Errno.X`, and struct fields as `L.s.f`, `layout.s.f` or through `const M = L.s`. */
function usedNames() {
  const constants = new Set<string>(), errnos = new Set<string>(), fields = new Map<string, Set<string>>();
  const addField = (struct: string, field: string) => {
    if (!fields.has(struct)) fields.set(struct, new Set());
    fields.get(struct)!.add(field);
  };
  for (const { text } of files) {
    for (const m of text.matchAll(/\b(?:C|constants)\.([A-Z][A-Z0-9_]*[A-Z0-9])\b/g)) constants.add(m[1]);
    for (const m of text.matchAll(/\bErrno\.([A-Z][A-Z0-9]+)\b/g)) errnos.add(m[1]);
    for (const m of text.matchAll(/(?<![\w/])(?:L|layout)\.([a-z][a-z0-9_]*)\.([a-zA-Z]+)\b/g)) addField(m[1], m[2]);
    // An alias (`const A = L.sockaddr_in`) covers the text up to the next declaration of that name.
    const aliases = [...text.matchAll(/\b([A-Z][A-Za-z0-9]*) = (?:L|layout)\.([a-z][a-z0-9_]*)\b(?!\.)/g)];
    aliases.forEach((m, i) => {
      const [, alias, struct] = m;
      const next = aliases.slice(i + 1).find((o) => o[1] === alias);
      const region = text.slice(m.index, next?.index ?? text.length);
      if (!fields.has(struct)) fields.set(struct, new Set());
      for (const u of region.matchAll(new RegExp(`\\b${alias}\\.([a-zA-Z]+)\\b`, "g"))) addField(struct, u[1]);
    });
  }
  return { constants, errnos, fields };
}

// Structs that exist only where their mechanism does (size 0 elsewhere, never read there).
const linuxOnlyStructs = new Set(["epoll_event", "itimerspec"]);
/** Structs an OS lacks (their size is 0 in its table): sockaddr_dl is the BSDs', in_pktinfo not FreeBSD's. */
const structsAbsentOn: Record<string, Set<string>> = { linux: new Set(["sockaddr_dl"]), freebsd: new Set(["in_pktinfo"]) };
// Constants that are 0 on an OS because the OS lacks the feature (the code checks before use).
const absentOn: Record<string, Set<string>> = {
  darwin: new Set([
    "SOCK_NONBLOCK", "SOCK_CLOEXEC", "MSG_CMSG_CLOEXEC", "POLLRDHUP", "P_PIDFD", "TCP_DEFER_ACCEPT", "TCP_INFO", "SO_BINDTODEVICE",
    "IP_TRANSPARENT", "CLOCK_REALTIME_COARSE", "UDP_SEGMENT", "UDP_GRO",
  ]),
  freebsd: new Set(["POLLRDHUP", "P_PIDFD", "TCP_DEFER_ACCEPT", "TCP_INFO", "SO_BINDTODEVICE", "IP_TRANSPARENT", "P_PID", "IP_PKTINFO", "UDP_SEGMENT", "UDP_GRO"]),
};

describe("every table has what the code uses, on every OS", () => {
  const used = usedNames();

  it("found the uses in src/ (the scan itself works)", () => {
    assert.ok(used.constants.has("O_NONBLOCK") && used.constants.size > 40, `constants: ${used.constants.size}`);
    assert.ok(used.errnos.has("EAGAIN"), "errno names");
    assert.ok(used.fields.get("msghdr")?.has("controllen") && used.fields.get("kevent")?.has("filter"), "struct fields, aliases included");
  });

  for (const [name, table] of Object.entries(constantTables)) {
    it(`constants: ${name}`, () => {
      const linux = constantTables.linux as Record<string, number>;
      const t = table as Record<string, number>;
      const missing = [...used.constants].filter((k) => !Number.isInteger(t[k]));
      assert.deepEqual(missing, [], "used, but not an integer in this table");
      if (name !== "linux") {
        const zero = [...used.constants].filter((k) => t[k] === 0 && linux[k] !== 0 && !k.startsWith("EPOLL") && !/^(EFD|TFD)_/.test(k));
        assert.deepEqual(zero.filter((k) => !absentOn[name].has(k)), [], "0 here, non-zero on Linux, and not known to be absent");
      }
    });
  }

  for (const [name, table] of Object.entries(errnoTables)) {
    it(`errno names: ${name}`, () => {
      const t = table as Record<string, number>;
      const missing = [...used.errnos].filter((k) => !Number.isInteger(t[k]) && k !== "EWOULDBLOCK");
      assert.deepEqual(missing, []);
      const numbers = Object.values(t);
      assert.equal(new Set(numbers).size, numbers.length - (name === "freebsd" ? 1 : 0), "distinct numbers (FreeBSD's ENOTSUP is EOPNOTSUPP)");
    });
  }

  for (const [key, layout] of Object.entries(layouts)) {
    it(`struct layouts: ${key}`, () => {
      const l = layout as unknown as Record<string, Record<string, number | null>>;
      const problems: string[] = [];
      for (const [struct, fieldsUsed] of used.fields) {
        const entry = l[struct];
        if (!entry) {
          problems.push(`${struct}: no entry`);
          continue;
        }
        const exists = !(linuxOnlyStructs.has(struct) && !key.startsWith("linux")) && !structsAbsentOn[key.split("-")[0]!]?.has(struct);
        if (exists && !(typeof entry.size === "number" && entry.size > 0)) problems.push(`${struct}.size: ${entry.size}`);
        // cmsghdr's data starts at CMSG_ALIGN(sizeof(struct cmsghdr)), past the struct's own end.
        const end = typeof entry.align === "number" ? Math.ceil((entry.size as number) / entry.align) * entry.align : entry.size as number;
        for (const field of fieldsUsed) {
          const v = entry[field];
          if (v === undefined || (v !== null && (!Number.isInteger(v) || v < 0 || (exists && field !== "size" && v > end && !/Size$|^align$/.test(field))))) {
            problems.push(`${struct}.${field}: ${v}`);
          }
        }
      }
      assert.deepEqual(problems, []);
      const kq = (layout as Layout).kevent;
      assert.equal(kq.size, key.startsWith("freebsd") ? 64 : 32, "FreeBSD 12+ has ext[4] after udata");
    });
  }
});
