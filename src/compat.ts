// evffi: libevent's reactor for Bun and Deno.
export * from "./ffi/mod.ts";
