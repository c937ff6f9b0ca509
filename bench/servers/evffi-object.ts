// examples/http.ts's server with the handler most code writes: a new response object for every
// request ({ body: "Hello, World!" }), where the example answers keep-alive requests with bytes it
// built once. The difference between the two is what making and writing a response costs.
// Only for bench/http.ts ("evffi object (Bun)", "evffi object (Deno)").
//   bun bench/servers/evffi-object.ts PORT | deno run -A bench/servers/evffi-object.ts PORT
import { EventBase, HttpServer, scriptArgs } from "../../src/mod.ts";

const port = Number(scriptArgs().find((a: string) => /^\d+$/.test(a)) ?? 8080);
const base = new EventBase();
new HttpServer(base, { host: "127.0.0.1", port }, () => ({ body: "Hello, World!" }));
console.log(`evffi object server on ${port} (${base.method})`);
base.loopSync();
