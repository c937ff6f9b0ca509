// node:http, for bench/http.ts.
import { createServer } from "node:http";
const port = Number(process.argv[2] ?? 8080);
createServer((_req, res) => {
  res.writeHead(200, { "Content-Type": "text/plain" });
  res.end("Hello, World!");
}).listen(port, "127.0.0.1", () => console.log(`node:http on ${port}`));
