// evffi's fetch-style serve(), for bench/http.ts: the same answer as Bun.serve and Deno.serve give.
import { scriptArgs, serve } from "../../src/mod.ts";

const port = Number(scriptArgs().find((a: string) => /^\d+$/.test(a)) ?? 8080);
serve({ port, hostname: "127.0.0.1", fetch: () => new Response("Hello, World!") });
console.log(`evffi serve() on ${port}`);
