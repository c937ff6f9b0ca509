// The bare responder of bare-http.ts on io_uring instead of epoll + recv/send: one io_uring_enter
// per loop turn submits every connection's send and next recv and collects the completions, so the
// kernel is entered once per ~60 requests instead of twice per request. Measured in bench/http.ts
// (--uring) to see whether batching the syscalls would move the floor: it did not (docs/benchmarks.md,
// run 9): the syscall entries are a small part of a request's cost, and wrk is the limit anyway.
// Linux x86_64 only (raw syscall numbers; kernel 6.6+ for NO_SQARRAY). Not a server to use.
//   bun bench/servers/uring-http.ts PORT | deno run -A bench/servers/uring-http.ts PORT
import {
  type NativePointer, addressOf, constants as C, libc, libcPath, nativeMemory, openLibrary, scriptArgs, sys,
} from "../../src/ffi/mod.ts";
import { encodeAddress, resolveAddress } from "../../src/ffi/sockaddr.ts";

// glibc has no io_uring wrappers: syscall(2), bound once per argument shape.
const uring = openLibrary<{
  io_uring_setup(nr: bigint, entries: number, params: Uint8Array): number;
  io_uring_enter(nr: bigint, fd: number, toSubmit: number, minComplete: number, flags: number, sig: bigint): number;
  mmap(addr: bigint, len: bigint, prot: number, flags: number, fd: number, off: bigint): NativePointer;
}>(libcPath, {
  io_uring_setup: { symbol: "syscall", args: ["i64", "i32", "buf"], result: "i32" },
  io_uring_enter: { symbol: "syscall", args: ["i64", "i32", "i32", "i32", "i32", "i64"], result: "i32" },
  mmap: { args: ["u64", "u64", "i32", "i32", "i32", "i64"], result: "ptr" },
}).symbols;
const SYS_io_uring_setup = 425n, SYS_io_uring_enter = 426n; // x86_64

const port = Number(scriptArgs().find((a) => /^\d+$/.test(a)) ?? 8080);
const listenFd = sys.streamSocket(C.AF_INET);
sys.setsockoptInt(listenFd, C.SOL_SOCKET, C.SO_REUSEADDR, 1);
const { bytes, length } = encodeAddress(resolveAddress({ host: "127.0.0.1", port }));
if (libc.bind(listenFd, bytes, length) === -1 || libc.listen(listenFd, 511) === -1) throw new Error(`cannot listen on ${port}`);

const ENTRIES = 1024;
const params = new Uint8Array(120);
const pv = new DataView(params.buffer);
const SINGLE_ISSUER = 1 << 12, DEFER_TASKRUN = 1 << 13, NO_SQARRAY = 1 << 16, CQSIZE = 1 << 3;
pv.setUint32(4, ENTRIES * 4, true);
pv.setUint32(8, SINGLE_ISSUER | DEFER_TASKRUN | NO_SQARRAY | CQSIZE, true);
const ring = uring.io_uring_setup(SYS_io_uring_setup, ENTRIES, params);
if (ring < 0) throw new Error("io_uring_setup failed");
// struct io_uring_params: sq_entries, cq_entries, flags, ..., then io_sqring_offsets at 40 (head,
// tail, ring_mask, ring_entries, flags, dropped, array) and io_cqring_offsets at 80 (head, tail,
// ring_mask, ring_entries, overflow, cqes). One mmap holds both rings (IORING_FEAT_SINGLE_MMAP);
// the 64-byte SQEs are a second one at IORING_OFF_SQES.
const u32 = (o: number) => pv.getUint32(o, true);
const sqEntries = u32(0), cqEntries = u32(4);
const sq = { head: u32(40), tail: u32(44), mask: u32(48) };
const cq = { head: u32(80), tail: u32(84), mask: u32(88), cqes: u32(100) };
const ringSize = Math.max(u32(40 + 24) + sqEntries * 4, sq.tail + 64, cq.cqes + cqEntries * 16);
const PROT_RW = 3, MAP_SHARED_POPULATE = 0x01 | 0x8000;
const ringMem = nativeMemory(uring.mmap(0n, BigInt(ringSize), PROT_RW, MAP_SHARED_POPULATE, ring, 0n), ringSize);
const sqeMem = nativeMemory(uring.mmap(0n, BigInt(sqEntries * 64), PROT_RW, MAP_SHARED_POPULATE, ring, 0x10000000n), sqEntries * 64);
const R = new Uint32Array(ringMem);
const sqes = new DataView(sqeMem);
const sqe32 = new Uint32Array(sqeMem);
const cqe32 = new Int32Array(ringMem, cq.cqes, cqEntries * 4);
const sqTailAt = sq.tail / 4, cqHeadAt = cq.head / 4, cqTailAt = cq.tail / 4;
const sqMask = R[sq.mask / 4], cqMask = R[cq.mask / 4];
let sqTail = R[sqTailAt];
let pending = 0;

const OP_ACCEPT = 13, OP_SEND = 26, OP_RECV = 27;
const SKIP_SUCCESS = 1 << 6;
/** Fills the next SQE: opcode, flags, fd, addr, len, the op's flags (accept4's / send's), user_data. */
function sqe(op: number, fd: number, addr: bigint, len: number, opFlags: number, data: number, flags = 0): void {
  const i = sqTail & sqMask;
  const o = i * 64;
  sqe32.fill(0, i * 16, i * 16 + 16);
  sqes.setUint8(o, op);
  sqes.setUint8(o + 1, flags);
  sqes.setInt32(o + 4, fd, true);
  sqes.setBigUint64(o + 16, addr, true);
  sqes.setUint32(o + 24, len, true);
  sqes.setUint32(o + 28, opFlags, true);
  sqe32[(o + 32) / 4] = data;
  sqTail = (sqTail + 1) >>> 0;
  pending++;
}

const responseText = new TextEncoder().encode("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!");
const response = new Uint8Array(new ArrayBuffer(responseText.length));
response.set(responseText);
const responseAddr = addressOf(response);
const BUF = 4096;
const MAX_FD = 2048; // one BUF-byte input region per fd number
const inputs = new Uint8Array(new ArrayBuffer(BUF * MAX_FD));
const inputsAddr = addressOf(inputs);
const one = new Int32Array([1]);

// user_data: ACCEPT for the accept, fd for a recv, SEND | fd for a send (whose CQE comes only on
// failure: IOSQE_CQE_SKIP_SUCCESS). A recv that completes with the request is followed by the send
// of the answer and the next recv, both submitted with the next io_uring_enter.
const ACCEPT = 0xffffff, SEND = 0x1000000;
sqe(OP_ACCEPT, listenFd, 0n, 0, C.SOCK_NONBLOCK | C.SOCK_CLOEXEC, ACCEPT);
const recvOn = (fd: number) => sqe(OP_RECV, fd, inputsAddr + BigInt(fd * BUF), BUF, 0, fd);
console.log(`io_uring HTTP on ${port}`);
const GETEVENTS = 1;
for (;;) {
  R[sqTailAt] = sqTail;
  const submitted = uring.io_uring_enter(SYS_io_uring_enter, ring, pending, 1, GETEVENTS, 0n);
  if (submitted < 0) throw new Error("io_uring_enter failed");
  pending = 0;
  let head = R[cqHeadAt];
  const tail = R[cqTailAt];
  while (head !== tail) {
    const at = (head & cqMask) * 4;
    const data = cqe32[at], res = cqe32[at + 2];
    head = (head + 1) >>> 0;
    if (data === ACCEPT) {
      if (res >= MAX_FD) libc.close(res);
      else if (res >= 0) {
        libc.setsockopt(res, C.IPPROTO_TCP, C.TCP_NODELAY, one, 4);
        recvOn(res);
      }
      sqe(OP_ACCEPT, listenFd, 0n, 0, C.SOCK_NONBLOCK | C.SOCK_CLOEXEC, ACCEPT);
      continue;
    }
    if (data & SEND) continue; // a failed send: the recv beside it reports the close
    const fd = data;
    if (res <= 0) {
      libc.close(fd);
      continue;
    }
    const base = fd * BUF;
    for (let k = base + 3; k < base + res; k++) {
      if (inputs[k] === 10 && inputs[k - 1] === 13 && inputs[k - 2] === 10 && inputs[k - 3] === 13) {
        sqe(OP_SEND, fd, responseAddr, response.length, C.MSG_NOSIGNAL, fd | SEND, SKIP_SUCCESS);
      }
    }
    recvOn(fd);
  }
  R[cqHeadAt] = head;
}
