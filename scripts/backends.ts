// Prints the backends this machine has, and why the others are missing; the test runner's
// closing summary uses it to say which backends the suite ran on.
import { methodAvailability } from "../src/mod.ts";
import { portable } from "../src/unstable-ffi.ts";

for (const m of methodAvailability()) {
  console.log(m.available ? `  ${m.method}: tested` : `  ${m.method}: skipped (${m.reason})`);
}
if (portable) console.log("  (portable paths forced by EVFFI_PORTABLE)");
