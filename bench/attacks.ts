// Hostile-client measurements for bench/http.ts --attack: what a server holds while clients misbehave.
// Figures come from /proc (Linux): the server's resident memory and its open fds.
import { connect, type Socket } from "node:net";
import { readdirSync, readFileSync } from "node:fs";

/** The server's resident set now and its peak (VmRSS, VmHWM), in MiB; NaN where /proc is missing. */
export function rssMiB(pid: number): { now: number; peak: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
    return { now: kib("VmRSS") / 1024, peak: kib("VmHWM") / 1024 };
  } catch {
    return { now: NaN, peak: NaN };
  }
}

/** How many fds the process has open, or NaN. */
export function openFds(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return NaN;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One client pipelines GETs in batches of 1,024 as fast as the server takes them, up to `limit`
 * requests, for `seconds`, and reads the answers only when `read` is true. Returns the server's
 * peak RSS over the run, how many requests the client got out and how many answers it counted.
 */
async function pipeliner(pid: number, port: number, seconds: number, read: boolean, limit: number): Promise<{ peakMiB: number; startMiB: number; sent: number; answered: number }> {
  const startMiB = rssMiB(pid).now;
  const batch = Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n".repeat(1024));
  const socket = connect(port, "127.0.0.1");
  let sent = 0;
  let answered = 0;
  let running = true;
  if (read) {
    // Counting status lines is enough: every answer to these GETs starts with one. The last bytes
    // of each read are kept, so that a status line split between two reads is counted too.
    let carry = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      const data = Buffer.concat([carry, chunk]);
      for (let at = data.indexOf("HTTP/1."); at !== -1; at = data.indexOf("HTTP/1.", at + 7)) answered++;
      carry = data.subarray(Math.max(0, data.length - 6));
    });
  } else {
    socket.pause(); // never read: the answers pile up in the kernel, then in the server
  }
  socket.on("error", () => (running = false));
  socket.on("close", () => (running = false));
  await new Promise((resolve) => socket.once("connect", resolve));
  const pump = () => {
    while (running && sent < limit && socket.write(batch)) sent += 1024;
  };
  socket.on("drain", () => {
    sent += 1024;
    pump();
  });
  pump();
  let peakMiB = startMiB;
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end && running) {
    await sleep(100);
    peakMiB = Math.max(peakMiB, rssMiB(pid).now);
  }
  socket.destroy();
  return { peakMiB, startMiB, sent, answered };
}

/**
 * One client pipelines GETs as fast as the server takes them and never reads an answer, for
 * `seconds`. Returns the server's peak RSS over the run and how many requests the client got out.
 */
export async function neverReading(pid: number, port: number, seconds: number): Promise<{ peakMiB: number; startMiB: number; requestsSent: number }> {
  const r = await pipeliner(pid, port, seconds, false, Infinity);
  return { peakMiB: r.peakMiB, startMiB: r.startMiB, requestsSent: r.sent };
}

/**
 * The control for neverReading: one client pipelines `requests` GETs the same way but reads every
 * answer, for `seconds`. A server's peak RSS here is what serving that many requests costs at all
 * (its heap and code warming up), so the attack's own cost is the difference between the two.
 */
export async function reading(pid: number, port: number, seconds: number, requests: number): Promise<{ peakMiB: number; startMiB: number; answered: number }> {
  const r = await pipeliner(pid, port, seconds, true, requests);
  return { peakMiB: r.peakMiB, startMiB: r.startMiB, answered: r.answered };
}

/**
 * `count` clients each start a request head and add one byte to it every 5 s (slowloris), for
 * `seconds`. Returns the server's fds and RSS at the end, and how many of the clients it closed.
 */
export async function slowClients(pid: number, port: number, count: number, seconds: number): Promise<{ fdsBefore: number; fdsAtEnd: number; rssMiB: number; closedByServer: number }> {
  const fdsBefore = openFds(pid);
  const sockets: Socket[] = [];
  let closedByServer = 0;
  for (let i = 0; i < count; i++) {
    const s = connect(port, "127.0.0.1");
    s.on("error", () => {});
    s.on("close", () => closedByServer++);
    s.on("data", () => {});
    s.write("GET / HTTP/1.1\r\nHost: x\r\n");
    sockets.push(s);
    if (i % 100 === 99) await sleep(10); // let the backlog drain
  }
  const drip = setInterval(() => {
    for (const s of sockets) if (!s.destroyed) s.write("X");
  }, 5000);
  await sleep(seconds * 1000);
  clearInterval(drip);
  const result = { fdsBefore, fdsAtEnd: openFds(pid), rssMiB: rssMiB(pid).now, closedByServer };
  for (const s of sockets) {
    s.removeAllListeners("close");
    s.destroy();
  }
  return result;
}
