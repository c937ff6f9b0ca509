// Bun's own TCP echo server (Bun.listen), for bench/echo.ts. Usage: bun bench/servers/bun-echo.ts PORT
// socket.write() sends what the kernel takes now and returns the count; the rest is kept here and
// sent from drain(), in order. (The client bounds what is in flight, so this queue stays small.)
interface Sock { write(data: Uint8Array): number; end(): void; data: Uint8Array[] }
declare const Bun: {
  listen(o: {
    hostname: string; port: number;
    socket: {
      open(s: Sock): void; data(s: Sock, d: Uint8Array): void; drain(s: Sock): void;
      close(s: Sock): void; error(s: Sock, e: Error): void;
    };
  }): { port: number };
};
const port = Number(process.argv[2] ?? 7000);

function flush(s: Sock): void {
  const queue = s.data;
  while (queue.length > 0) {
    const head = queue[0]!;
    const n = s.write(head);
    if (n < head.length) {
      if (n > 0) queue[0] = head.subarray(n);
      return;
    }
    queue.shift();
  }
}

Bun.listen({
  hostname: "127.0.0.1",
  port,
  socket: {
    open(s) { s.data = []; },
    data(s, d) {
      if (s.data.length > 0) { s.data.push(d.slice()); flush(s); return; }
      const n = s.write(d);
      if (n < d.length) s.data.push(d.slice(Math.max(n, 0)));
    },
    drain(s) { flush(s); },
    close() {},
    error() {},
  },
});
console.log(`Bun.listen echo on ${port}`);
export {};
