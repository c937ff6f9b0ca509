// The cost of one active socketpair among 100 / 1,000 / 9,000 idle ones, per backend: µs per loop
// iteration in which the active pair's byte is read and written again. epoll should stay flat;
// poll and select grow with the number of fds.   Run: node scripts/run.mjs bench/idle-fds.ts
import { EV, EVLOOP, EventBase, supportedMethods } from "../src/mod.ts";
import { constants as C, libc, runtimeVersion, sys, u64arg } from "../src/ffi/mod.ts";

const one = u64arg(1);
const byte = new Uint8Array([101]);
sys.raiseFdLimit(2 * 9000 + 200);
const rows: string[] = [];
for (const method of supportedMethods()) {
  const cells: string[] = [];
  for (const idle of [100, 1000, 9000]) {
    const base = new EventBase({ method, ignoreEnv: true });
    const fds: number[] = [];
    for (let i = 0; i < idle; i++) {
      const [a, b] = sys.socketpair(C.SOCK_STREAM, { nonBlocking: false });
      fds.push(a, b);
      base.event(b, EV.READ | EV.PERSIST, () => {}).add();
    }
    const [x, y] = sys.socketpair(C.SOCK_STREAM, { nonBlocking: false });
    fds.push(x, y);
    base.event(y, EV.READ | EV.PERSIST, () => {
      libc.recv(y, byte, one, 0);
      libc.send(x, byte, one, 0);
    }).add();
    libc.send(x, byte, one, 0);
    const iterations = idle >= 9000 ? 2000 : 20000;
    for (let i = 0; i < 200; i++) base.loopSync(EVLOOP.ONCE | EVLOOP.NONBLOCK);
    const t = performance.now();
    for (let i = 0; i < iterations; i++) base.loopSync(EVLOOP.ONCE | EVLOOP.NONBLOCK);
    cells.push(((performance.now() - t) * 1000 / iterations).toFixed(1));
    base.close();
    for (const fd of fds) libc.close(fd);
  }
  rows.push(`| ${method} | ${cells.join(" | ")} |`);
}
console.log(`# ${runtimeVersion}: µs per iteration, one active pair among N idle`);
console.log("| backend | 100 | 1,000 | 9,000 |\n|---|---|---|---|\n" + rows.join("\n"));
