// The README's first example, line for line (test/examples.test.ts checks that they match and
// that it answers): a fetch-style HTTP server. Run: node scripts/run.mjs examples/hello-serve.ts
// and open http://127.0.0.1:8080/ (Ctrl-C stops it).
import { serve } from "../src/mod.ts";

const server = serve({
  port: 8080,
  fetch(request) {
    const { pathname } = new URL(request.url);
    return new Response(`Hello from evffi: you asked for ${pathname}\n`);
  },
});
console.log(`listening on ${server.url}`);
