// Prints the backends this machine has, and why the others are missing; the test runner's
// closing summary uses it to say which backends the suite ran on.
import { methodAvailability } from "../src/mod.ts";

for (const m of methodAvailability()) {
  console.log(m.available ? `  ${m.method}: tested` : `  ${m.method}: skipped (${m.reason})`);
}
