// Shared by the benchmarks that spawn servers (bench/http.ts, bench/echo.ts): waiting for a
// server's port to open, and the median of a round's figures.
import { connect } from "node:net";

/** Resolves once 127.0.0.1:`port` accepts a connection; rejects after `ms`. */
export function waitForPort(port: number, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const s = connect(port, "127.0.0.1");
      s.on("connect", () => { s.destroy(); resolve(); });
      s.on("error", () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`port ${port} never opened`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/** The median of `list` (the upper one for an even count). */
export function median(list: readonly number[]): number {
  return [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
}
