// What bench/servers/bare-http.ts and bare-web-http.ts share: a listening socket on 127.0.0.1:PORT
// (the first numeric argument) in an epoll set, the buffers their loops read and write, and the
// one fixed answer they send. Their loops stay apart, each as bare as its measurement needs.
import { constants as C, layout, libc, scriptArgs, sys, u64arg } from "../../src/ffi/mod.ts";
import { encodeAddress, resolveAddress } from "../../src/ffi/sockaddr.ts";

export const port = Number(scriptArgs().find((a) => /^\d+$/.test(a)) ?? 8080);
export const listenFd = sys.streamSocket(C.AF_INET);
sys.setsockoptInt(listenFd, C.SOL_SOCKET, C.SO_REUSEADDR, 1);
const { bytes, length } = encodeAddress(resolveAddress({ host: "127.0.0.1", port }));
if (libc.bind(listenFd, bytes, length) === -1 || libc.listen(listenFd, 511) === -1) throw new Error(`cannot listen on ${port}`);

export const ep = libc.epoll_create1(C.EPOLL_CLOEXEC);
/** An epoll_event's size and its data field's offset, in 32-bit words. */
export const STRIDE = layout.epoll_event.size / 4;
export const DATA = layout.epoll_event.data / 4;
const ctl = new Uint32Array(4);
const ctlBytes = new Uint8Array(ctl.buffer, 0, layout.epoll_event.size);
/** Adds fd to the epoll set for reading, its number as the event's data. */
export function watch(fd: number): void {
  ctl[0] = C.EPOLLIN;
  ctl[DATA] = fd;
  libc.epoll_ctl(ep, C.EPOLL_CTL_ADD, fd, ctlBytes);
}
watch(listenFd);

export const response = new TextEncoder().encode("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!");
export const responseLength = u64arg(response.length);
export const input = new Uint8Array(new ArrayBuffer(16384));
export const inputLength = u64arg(input.length);
export const events = new Uint32Array(256 * STRIDE);
export const eventBytes = new Uint8Array(events.buffer);
/** The int 1, for setsockopt(TCP_NODELAY). */
export const one = new Int32Array([1]);
