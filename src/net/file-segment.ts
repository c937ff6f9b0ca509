// A range of a file held by an EvBuffer (libevent's evbuffer_file_segment): the bytes stay in the
// file until they are sent, by sendfile() where the system has Linux's, so a server sends a file
// without copying it through JS memory. Anything that needs the bytes themselves (copyOut, search,
// peek, ...) reads them in with pread() first.
import { Errno, SyscallError, errnoCell, libcPath, openLibrary, os, u64arg } from "../ffi/mod.ts";
import type { U64Arg } from "../ffi/mod.ts";

interface FileCalls {
  /** Linux: sendfile(out_fd, in_fd, off_t *offset, size_t count); the kernel advances *offset. */
  sendfile(outFd: number, inFd: number, offset: BigInt64Array, count: U64Arg): number;
  pread(fd: number, buf: Uint8Array, count: U64Arg, offset: U64Arg): number;
}

// Bound here rather than in the shared libc table: only file segments use them. macOS and the BSDs
// have a sendfile with another signature (and headers/trailers), so it is bound on Linux only and
// elsewhere a segment is read in and sent like any other bytes.
/** Whether segments go to the kernel with sendfile (Linux) or are read in first (elsewhere). */
export const hasSendfile: boolean = os === "linux";

const calls = openLibrary<FileCalls>(libcPath, {
  pread: { args: ["i32", "buf", "u64", "i64"], result: "i32" },
  ...(hasSendfile ? { sendfile: { args: ["i32", "i32", "buf", "u64"], result: "i32" } } : {}),
}).symbols;

// sendfile's in/out offset: one per thread, passed as a view for a one-shot call.
const offsetCell = new BigInt64Array(1);

/** Shared by the pieces of one added range (a removeBuffer() may split it between buffers). */
export class FileSegment {
  /** Pieces not yet drained; `release` runs when the last one goes. */
  private pieces = 1;
  constructor(readonly fd: number, private readonly release: (() => void) | null) {}

  /** Another piece now refers to the segment. */
  share(): void {
    this.pieces++;
  }

  /** A piece is done; returns the release callback to run if it was the last one. */
  done(): (() => void) | null {
    return --this.pieces === 0 ? this.release : null;
  }
}

/**
 * Sends up to `count` bytes of `fd`'s file from `offset` to `outFd`. Returns the bytes sent, or -1
 * with errno set (EAGAIN when the socket is full), as the syscall does.
 */
export function sendFileRange(outFd: number, fd: number, offset: number, count: number): number {
  offsetCell[0] = BigInt(offset);
  return calls.sendfile(outFd, fd, offsetCell, u64arg(count));
}

/** Reads exactly into.length bytes of `fd` from `offset` (retrying short reads); throws on EOF or error. */
export function readFileRange(fd: number, offset: number, into: Uint8Array): void {
  let at = 0;
  while (at < into.length) {
    const n = calls.pread(fd, at === 0 ? into : into.subarray(at), u64arg(into.length - at), u64arg(offset + at));
    if (n === -1) {
      const errno = errnoCell[0];
      if (errno === Errno.EINTR) continue;
      throw new SyscallError("pread", errno, [fd, `<${into.length - at} bytes>`, into.length - at, offset + at]);
    }
    if (n === 0) throw new RangeError(`file segment of fd ${fd} ends at byte ${offset + at}, before the ${into.length} bytes added from offset ${offset}`);
    at += n;
  }
}
