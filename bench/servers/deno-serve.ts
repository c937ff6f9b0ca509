// Deno's own HTTP server, for bench/http.ts.
declare const Deno: { serve(o: unknown, h: () => Response): unknown; args: string[] };
const port = Number(Deno.args[0] ?? 8080);
Deno.serve({ port, hostname: "127.0.0.1", onListen() {} }, () => new Response("Hello, World!"));
console.log(`Deno.serve on ${port}`);
export {};
