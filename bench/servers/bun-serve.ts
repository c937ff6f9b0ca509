// Bun's own HTTP server, for bench/http.ts.
declare const Bun: { serve(o: unknown): unknown };
const port = Number(process.argv[2] ?? 8080);
Bun.serve({ port, hostname: "127.0.0.1", fetch: () => new Response("Hello, World!") });
console.log(`Bun.serve on ${port}`);
export {};
