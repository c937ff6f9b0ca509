// What tests import from the library, in one place.
export * from "../src/mod.ts";
export { getEnv as getEnvForTests, hasSymbol, kqueueUnavailableReason, loadKqueue, portable } from "../src/ffi/mod.ts";
