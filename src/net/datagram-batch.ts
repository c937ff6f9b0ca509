// sendmmsg(2) for DatagramSocket.sendBatch: many datagrams in one syscall. Everything C reads
// (payloads, addresses, iovecs, the mmsghdr array) must sit where it cannot move, so it is copied
// into memory kept per socket and grown as needed: a steady stream of batches allocates nothing.
import { constants as C, Errno, errnoCell, layout as L, libc, setU64, StableBuffer, SyscallError } from "../ffi/mod.ts";

const M = L.msghdr, IOV = L.iovec;

/** struct mmsghdr: a msghdr and the unsigned length the kernel fills in, padded to 8 bytes. */
export const MMSG_SIZE = (M.size + 4 + 7) & ~7;

/** Writes a size_t (8 bytes) or an int / socklen_t (4) field of a msghdr. */
export function writeSize(view: DataView, offset: number, size: 4 | 8, value: number): void {
  if (size === 8) view.setBigUint64(offset, BigInt(value), true);
  else view.setUint32(offset, value, true);
}

/** The memory of one socket's sendmmsg batches. Not thread-shared. */
export class BatchSender {
  private messages = 0;
  private bytes = 0;
  private payload = new StableBuffer(1);
  private names = new StableBuffer(1);
  private iov = new StableBuffer(1);
  private headers = new StableBuffer(1);

  /**
   * Sends `datas[i]` to `names[i]` (an encoded sockaddr, or null on a connected socket) with one
   * sendmmsg(2). Returns how many the kernel took; 0 on EAGAIN; throws SyscallError otherwise.
   */
  send(fd: number, datas: Uint8Array[], names: ({ bytes: Uint8Array; length: number } | null)[]): number {
    const count = datas.length;
    this.reserve(count, datas.reduce((sum, d) => sum + d.byteLength, 0));
    const { payload, names: nameMemory, iov, headers } = this;
    let at = 0;
    for (let i = 0; i < count; i++) {
      const d = datas[i]!;
      payload.bytes.set(d, at);
      setU64(iov.view, i * IOV.size + IOV.base, payload.at(at));
      setU64(iov.view, i * IOV.size + IOV.len, d.byteLength);
      at += d.byteLength;
      const h = i * MMSG_SIZE;
      setU64(headers.view, h + M.iov, iov.at(i * IOV.size));
      writeSize(headers.view, h + M.iovlen, M.iovlenSize, 1);
      const name = names[i];
      if (name) nameMemory.bytes.set(name.bytes.subarray(0, name.length), i * 128);
      setU64(headers.view, h + M.name, name ? nameMemory.at(i * 128) : 0);
      headers.view.setUint32(h + M.namelen, name ? name.length : 0, true);
    }
    const n = libc.sendmmsg(fd, headers.bytes, count, C.MSG_NOSIGNAL);
    if (n === -1) {
      const errno = errnoCell[0];
      if (errno === Errno.EAGAIN) return 0;
      throw new SyscallError("sendmmsg", errno, [fd, `<${count} datagrams>`]);
    }
    return n;
  }

  private reserve(messages: number, bytes: number): void {
    if (this.messages >= messages && this.bytes >= bytes) return;
    const m = Math.max(messages, this.messages), b = Math.max(bytes, this.bytes, 1);
    this.messages = m;
    this.bytes = b;
    this.payload = new StableBuffer(b);
    this.names = new StableBuffer(m * 128);
    this.iov = new StableBuffer(m * IOV.size);
    this.headers = new StableBuffer(m * MMSG_SIZE);
  }
}
