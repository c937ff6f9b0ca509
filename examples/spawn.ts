// A child process on the reactor: its stdout read as it comes, its exit code when it ends.
// Run: node scripts/run.mjs examples/spawn.ts [-- --self-test]
import process from "node:process";
import { BEV, EventBase, spawnProcess } from "../src/mod.ts";

const base = new EventBase();
const child = spawnProcess(base, ["sh", "-c", "for i in 1 2 3; do echo tick $i; sleep 0.01; done; exit 3"], {
  stdin: "ignore",
  onExit: (exit) => console.log(`child ${exit.pid} exited with code ${exit.code}`),
});
child.stdout!.setCallbacks((b) => process.stdout.write(new TextDecoder().decode(b.read())), null, (b, what) => {
  if (what & (BEV.EOF | BEV.ERROR)) b.close();
});
child.stderr!.setCallbacks((b) => process.stderr.write(new TextDecoder().decode(b.read())), null, (b) => b.close());
await base.loop();
child.close();
