// serve(): the fetch-style server, driven by the runtime's own fetch() as the client, on every
// backend (a base given to serve()) and on a base of its own.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EventBase, serve, type Server, type ServeOptions } from "./deps.ts";
import { backendVariants } from "./helpers.ts";

/** Runs `fn` against serve(options) on a base of `variant`, then closes both. */
async function serving(options: Omit<ServeOptions, "port" | "base">, variantOptions: ConstructorParameters<typeof EventBase>[0],
  fn: (server: Server) => Promise<void>): Promise<void> {
  const base = new EventBase(variantOptions);
  const server = serve({ ...options, port: 0, hostname: "127.0.0.1", base });
  const loop = base.loop();
  try {
    await fn(server);
  } finally {
    await server.close();
    base.loopBreak();
    await loop;
    base.close();
  }
}

for (const variant of backendVariants()) {
  describe(`serve() on ${variant.label}`, () => {
    it("passes a Web Request to fetch and sends its Response (status, headers, body)", async () => {
      await serving({
        fetch: async (req) => {
          const url = new URL(req.url);
          return new Response(`${req.method} ${url.pathname}${url.search} ${req.headers.get("x-test")} ${await req.text()}`, {
            status: 201, headers: { "x-answer": "42", "content-type": "text/x-test" },
          });
        },
      }, variant.options, async (server) => {
        const res = await fetch(new URL("/path?q=1", server.url), { method: "POST", headers: { "x-test": "yes" }, body: "payload" });
        assert.equal(res.status, 201);
        assert.equal(res.headers.get("x-answer"), "42");
        assert.equal(res.headers.get("content-type"), "text/x-test");
        assert.equal(await res.text(), "POST /path?q=1 yes payload");
      });
    });

    it("a body made from a string or bytes goes out with Content-Length; each Set-Cookie on its own line", async () => {
      await serving({
        fetch: (req) => {
          const headers = new Headers([["set-cookie", "a=1"], ["set-cookie", "b=2"], ["x-list", "1"]]);
          headers.append("x-list", "2");
          const body = new URL(req.url).pathname === "/bytes" ? new TextEncoder().encode("bytes body") : "string body";
          return new Response(body, { headers });
        },
      }, variant.options, async (server) => {
        for (const [path, text] of [["/string", "string body"], ["/bytes", "bytes body"]]) {
          const res = await fetch(new URL(path, server.url));
          assert.equal(res.headers.get("content-length"), String(text.length));
          assert.equal(res.headers.get("transfer-encoding"), null);
          assert.deepEqual(res.headers.getSetCookie(), ["a=1", "b=2"]);
          assert.equal(res.headers.get("x-list"), "1, 2");
          assert.equal(await res.text(), text);
        }
      });
    });

    it("streams a response body as it is produced, and a HEAD gets no body", async () => {
      await serving({
        fetch: () => {
          let n = 0;
          return new Response(new ReadableStream({
            pull(controller) {
              if (n === 5) controller.close();
              else controller.enqueue(new TextEncoder().encode(`piece ${n++};`));
            },
          }));
        },
      }, variant.options, async (server) => {
        const res = await fetch(server.url);
        assert.equal(res.headers.get("transfer-encoding"), "chunked");
        assert.equal(await res.text(), "piece 0;piece 1;piece 2;piece 3;piece 4;");
        const head = await fetch(server.url, { method: "HEAD" });
        assert.equal(head.status, 200);
        assert.equal(await head.text(), "");
      });
    });

    it("streams a request body to fetch as it arrives", async () => {
      let release: (() => void) | null = null;
      const gate = new Promise<void>((resolve) => (release = resolve));
      await serving({
        fetch: async (req) => {
          const reader = req.body!.getReader();
          const first = await reader.read(); // arrives before the client has sent the rest
          release!();
          let rest = "";
          for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
          return new Response(`${new TextDecoder().decode(first.value)}|${rest}`);
        },
      }, variant.options, async (server) => {
        const body = new ReadableStream<Uint8Array>({
          async start(c) {
            c.enqueue(new TextEncoder().encode("first"));
            await gate;
            c.enqueue(new TextEncoder().encode("second"));
            c.close();
          },
        });
        const res = await fetch(server.url, { method: "POST", body, duplex: "half" } as RequestInit);
        assert.equal(await res.text(), "first|second");
      });
    });

    it("a live stream's first piece reaches the client before the second is produced", async () => {
      let controller: ReadableStreamDefaultController<Uint8Array> | null = null;
      await serving({
        fetch: () => new Response(new ReadableStream<Uint8Array>({
          start(c) {
            controller = c;
            c.enqueue(new TextEncoder().encode("first;"));
          },
        })),
      }, variant.options, async (server) => {
        const res = await fetch(server.url);
        const reader = res.body!.getReader();
        const one = await reader.read();
        assert.equal(new TextDecoder().decode(one.value), "first;");
        controller!.enqueue(new TextEncoder().encode("second"));
        controller!.close();
        let rest = "";
        for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
        assert.equal(rest, "second");
      });
    });

    it("a throwing fetch gives 500 and reaches onError; a Response from onError is sent instead", async () => {
      const errors: unknown[] = [];
      await serving({
        fetch: (req) => {
          if (req.url.endsWith("/reject")) return Promise.reject(new Error("rejected"));
          throw new Error("thrown");
        },
        onError: (e) => {
          errors.push(e);
          if ((e as Error).message === "rejected") return new Response("handled", { status: 503 });
        },
      }, variant.options, async (server) => {
        const thrown = await fetch(server.url);
        assert.equal(thrown.status, 500);
        await thrown.arrayBuffer();
        const rejected = await fetch(new URL("/reject", server.url));
        assert.equal(rejected.status, 503);
        assert.equal(await rejected.text(), "handled");
        assert.deepEqual(errors.map((e) => (e as Error).message), ["thrown", "rejected"]);
      });
    });
  });
}

describe("serve() on a base of its own", () => {
  it("listens on 0.0.0.0 by default, closes on an AbortSignal, and with Symbol.asyncDispose", async () => {
    const controller = new AbortController();
    const server = serve({ port: 0, signal: controller.signal, fetch: () => new Response("hi") });
    assert.equal(server.hostname, "0.0.0.0");
    const res = await fetch(`http://127.0.0.1:${server.port}/`);
    assert.equal(await res.text(), "hi");
    controller.abort();
    await server.finished;
    assert.equal(server.closed, true);
    await assert.rejects(fetch(`http://127.0.0.1:${server.port}/`));

    const second = serve({ port: 0, hostname: "localhost", fetch: () => new Response("bye") });
    assert.equal(second.hostname, "127.0.0.1", "a name from the hosts file, bound by its address");
    assert.equal(await (await fetch(second.url)).text(), "bye");
    await second[Symbol.asyncDispose]();
    assert.equal(second.closed, true);
  });

  it("rejects bad options, naming the value", () => {
    assert.throws(() => serve(null as unknown as ServeOptions), { name: "TypeError", message: /null/ });
    assert.throws(() => serve({ port: 0, fetch: "x" } as unknown as ServeOptions), { name: "TypeError", message: /fetch.*string/ });
    assert.throws(() => serve({ port: 0, hostname: "no-such-host.invalid", fetch: () => new Response("") }), {
      name: "TypeError", message: /"no-such-host\.invalid" is not in \/etc\/hosts/,
    });
  });
});
