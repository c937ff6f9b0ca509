// Passing file descriptors over an AF_UNIX socket: sendmsg/recvmsg with SCM_RIGHTS.
// The msghdr, iovec and control buffers hold each other's addresses, so they are StableBuffers
// built once per ScmRights and reused for every message.
import { errnoCell, libc } from "./libc.ts";
import { Errno, SyscallError } from "./errno.ts";
import { constants as C, layout as L } from "./layout.ts";
import { StableBuffer, setU64 } from "./native.ts";
import { portable } from "./portable.ts";

// MSG_CMSG_CLOEXEC (Linux, FreeBSD) marks received descriptors close-on-exec as they arrive;
// macOS lacks it (0 in its table), and there, or with the portable paths forced, each received
// descriptor is marked with fcntl instead, leaving a window in which a fork may inherit it.
const receiveFlags = portable ? 0 : C.MSG_CMSG_CLOEXEC;

const M = L.msghdr, IOV = L.iovec, CM = L.cmsghdr;
const alignUp = (n: number) => (n + CM.align - 1) & ~(CM.align - 1);
/** CMSG_SPACE(bytes) */
export const cmsgSpace = (bytes: number): number => alignUp(CM.data) + alignUp(bytes);
/** CMSG_LEN(bytes) */
export const cmsgLen = (bytes: number): number => alignUp(CM.data) + bytes;

/** What one ScmRights receive returned: the payload, the descriptors, and whether the kernel dropped some. */
export interface ReceivedFds {
  /** Payload bytes received (a copy); empty at end of stream. */
  data: Uint8Array;
  /** Descriptors received, close-on-exec (atomically where the OS has MSG_CMSG_CLOEXEC). */
  fds: number[];
  /** The kernel dropped descriptors for lack of control space (MSG_CTRUNC); the ones it did deliver are in `fds`. */
  truncated: boolean;
}

function writeSize(view: DataView, offset: number, size: 4 | 8, value: number | bigint) {
  if (size === 8) setU64(view, offset, value);
  else view.setUint32(offset, Number(value), true);
}

function readSize(view: DataView, offset: number, size: 4 | 8): number {
  return size === 8 ? Number(view.getBigUint64(offset, true)) : view.getUint32(offset, true);
}

/** Sends and receives descriptors with a payload over AF_UNIX sockets. Not thread-shared. */
export class ScmRights {
  /** Most descriptors one message carries. */
  readonly maxFds: number;
  /** Most payload bytes one message carries. */
  readonly maxPayload: number;
  private msg: StableBuffer;
  private iov: StableBuffer;
  private payload: StableBuffer;
  private control: StableBuffer;

  /** Allocates the message, iovec, payload and control buffers once, sized for `maxFds` (1..253) and `maxPayload`. */
  constructor({ maxFds = 16, maxPayload = 4096 } = {}) {
    if (!Number.isInteger(maxFds) || maxFds < 1 || maxFds > 253) throw new RangeError(`maxFds must be 1..253, got ${maxFds}`);
    if (!Number.isInteger(maxPayload) || maxPayload < 1) throw new RangeError(`maxPayload must be a positive integer, got ${maxPayload}`);
    this.maxFds = maxFds;
    this.maxPayload = maxPayload;
    this.msg = new StableBuffer(M.size);
    this.iov = new StableBuffer(IOV.size);
    this.payload = new StableBuffer(maxPayload);
    this.control = new StableBuffer(cmsgSpace(4 * maxFds));
  }

  private prepare(payloadLen: number, controlLen: number) {
    const iv = this.iov.view;
    setU64(iv, IOV.base, this.payload.address);
    setU64(iv, IOV.len, payloadLen);
    const mv = this.msg.view;
    this.msg.bytes.fill(0);
    setU64(mv, M.iov, this.iov.address);
    writeSize(mv, M.iovlen, M.iovlenSize, 1);
    if (controlLen > 0) setU64(mv, M.control, this.control.address);
    writeSize(mv, M.controllen, M.controllenSize, controlLen);
  }

  /**
   * Sends `fds` with `payload` (at least one byte: a stream socket carries descriptors only along
   * with data). Returns the payload bytes sent, or -1 on EAGAIN. The caller still owns `fds`.
   */
  send(sock: number, fds: readonly number[], payload: Uint8Array = new Uint8Array([0])): number {
    if (fds.length > this.maxFds) throw new RangeError(`cannot send ${fds.length} fds at once (maxFds is ${this.maxFds})`);
    if (payload.byteLength < 1 || payload.byteLength > this.maxPayload) {
      throw new RangeError(`payload must be 1..${this.maxPayload} bytes, got ${payload.byteLength}`);
    }
    for (const fd of fds) if (!Number.isInteger(fd) || fd < 0) throw new TypeError(`not a file descriptor: ${fd}`);
    this.payload.bytes.set(payload);
    const controlLen = fds.length ? cmsgSpace(4 * fds.length) : 0;
    this.prepare(payload.byteLength, controlLen);
    if (controlLen) {
      const cv = this.control.view;
      this.control.bytes.fill(0, 0, controlLen);
      writeSize(cv, CM.len, CM.lenSize, cmsgLen(4 * fds.length));
      cv.setInt32(CM.level, C.SOL_SOCKET, true);
      cv.setInt32(CM.type, C.SCM_RIGHTS, true);
      const dataAt = alignUp(CM.data);
      fds.forEach((fd, i) => cv.setInt32(dataAt + 4 * i, fd, true));
    }
    const n = libc.sendmsg(sock, this.msg.bytes, C.MSG_NOSIGNAL);
    if (n === -1) {
      const errno = errnoCell[0];
      if (errno === Errno.EAGAIN) return -1;
      throw new SyscallError("sendmsg", errno, [sock, `<${fds.length} fds, ${payload.byteLength} bytes>`]);
    }
    return n;
  }

  /** Receives one message. Returns null on EAGAIN. Every control message is walked. */
  receive(sock: number): ReceivedFds | null {
    this.prepare(this.maxPayload, this.control.size);
    const n = libc.recvmsg(sock, this.msg.bytes, receiveFlags);
    if (n === -1) {
      const errno = errnoCell[0];
      if (errno === Errno.EAGAIN) return null;
      throw new SyscallError("recvmsg", errno, [sock]);
    }
    const mv = this.msg.view;
    const flags = mv.getInt32(M.flags, true);
    const controlLen = readSize(mv, M.controllen, M.controllenSize);
    const fds: number[] = [];
    const cv = this.control.view;
    for (let at = 0; at + CM.data <= controlLen; ) {
      const len = readSize(cv, at + CM.len, CM.lenSize);
      if (len < CM.data) break;
      if (cv.getInt32(at + CM.level, true) === C.SOL_SOCKET && cv.getInt32(at + CM.type, true) === C.SCM_RIGHTS) {
        const count = Math.floor((len - alignUp(CM.data)) / 4);
        for (let i = 0; i < count; i++) fds.push(cv.getInt32(at + alignUp(CM.data) + 4 * i, true));
      }
      at += alignUp(len);
    }
    if (receiveFlags === 0) for (const fd of fds) libc.fcntl(fd, C.F_SETFD, C.FD_CLOEXEC);
    return { data: this.payload.bytes.slice(0, n), fds, truncated: (flags & C.MSG_CTRUNC) !== 0 };
  }
}
