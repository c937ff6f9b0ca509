// The smallest evffi program: an epoll (or kqueue/poll) reactor waiting on a socketpair.
//   node scripts/run.mjs examples/hello.ts       (runs it on Bun, then on Deno)
import { EventBase, EV, sys, runtimeVersion } from "../src/mod.ts";

const base = new EventBase();
const [a, b] = sys.socketpair();

base.event(b, EV.READ | EV.PERSIST, (fd, _what, ev) => {
  const bytes = sys.read(fd, 64);
  console.log(`[${base.method} on ${runtimeVersion}] fd ${fd} readable: ${new TextDecoder().decode(bytes ?? new Uint8Array())}`);
  ev.close();
}).add();

base.timer(10, () => sys.write(a, "hello from a timer, through a socketpair"));
const rc = base.loopSync(); // returns 1 once no events are left
console.log(`loop returned ${rc}`);
sys.close(a);
sys.close(b);
base.close();
