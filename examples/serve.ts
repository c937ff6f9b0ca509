// A fetch-style server, in the shape of Bun.serve and Deno.serve: Web Request in, Web Response out,
// with a streamed body on /stream. Run: node scripts/run.mjs examples/serve.ts [-- PORT]
// (--self-test: pick a free port, fetch from itself, close, exit).
import { scriptArgs, serve } from "../src/mod.ts";

const args = scriptArgs();
const selfTest = args.includes("--self-test");
const port = Number(args.find((a: string) => /^\d+$/.test(a)) ?? (selfTest ? 0 : 8080));

const server = serve({
  port,
  fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/stream") {
      let n = 0;
      return new Response(new ReadableStream({
        pull(controller) {
          if (n === 3) controller.close();
          else controller.enqueue(new TextEncoder().encode(`part ${++n}\n`));
        },
      }));
    }
    return new Response("Hello, World!");
  },
});
console.log(`listening on ${server.url} (all interfaces)`);

if (selfTest) {
  const base = `http://127.0.0.1:${server.port}`;
  console.log(await (await fetch(`${base}/`)).text());
  console.log((await (await fetch(`${base}/stream`)).text()).trim().split("\n").join(" / "));
  await server.close();
}
await server.finished;
