// Deno's own TCP echo server (Deno.listen), for bench/echo.ts.
// Usage: deno run -A bench/servers/deno-echo.ts PORT [--pipe]
// Default: a read/write loop per connection (64 KiB buffer, write until all is sent); --pipe:
// conn.readable.pipeTo(conn.writable) instead. See docs/benchmarks.md for which measured faster.
interface Conn { read(p: Uint8Array): Promise<number | null>; write(p: Uint8Array): Promise<number>; close(): void; readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> }
declare const Deno: { listen(o: { hostname: string; port: number }): AsyncIterable<Conn>; args: string[] };
const port = Number(Deno.args.find((a) => /^\d+$/.test(a)) ?? 7000);
const pipe = Deno.args.includes("--pipe");

async function loop(conn: Conn): Promise<void> {
  const buf = new Uint8Array(64 * 1024);
  try {
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      for (let at = 0; at < n;) at += await conn.write(buf.subarray(at, n));
    }
  } catch { /* reset by the peer */ }
  try { conn.close(); } catch { /* already closed */ }
}

const listener = Deno.listen({ hostname: "127.0.0.1", port });
console.log(`Deno.listen echo (${pipe ? "pipeTo" : "read/write loop"}) on ${port}`);
for await (const conn of listener) {
  if (pipe) conn.readable.pipeTo(conn.writable).catch(() => {});
  else void loop(conn);
}
export {};
