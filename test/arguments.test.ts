// Bad arguments are refused before they reach the FFI, in the same words on both runtimes: the
// value is quoted with its type; kernel failures name the syscall, its arguments and the errno.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EV, EventBase, Listener, SyscallError, constants as C, sys } from "./deps.ts";
import { describeValue } from "../src/ffi/mod.ts";
import { backendVariants, withBase } from "./helpers.ts";

function throwsWith(fn: () => unknown, type: typeof TypeError | typeof RangeError, message: RegExp): void {
  assert.throws(fn, (e: Error) => {
    assert.ok(e instanceof type, `${e?.constructor?.name}: ${e?.message}`);
    assert.match(e.message, message);
    return true;
  });
}

describe("arguments: describeValue", () => {
  it("quotes strings and names each type", () => {
    assert.equal(describeValue("3"), '"3" (string)');
    assert.equal(describeValue(1.5), "1.5 (number)");
    assert.equal(describeValue(2n), "2n (bigint)");
    assert.equal(describeValue(null), "null");
    assert.equal(describeValue(undefined), "undefined");
    assert.equal(describeValue([1, 2]), "an array of 2");
    assert.equal(describeValue(new Uint8Array(4)), "a Uint8Array of 4 bytes");
    assert.equal(describeValue({}), "an object");
  });
});

describe("arguments: the typed sys layer", () => {
  const bad: [string, () => unknown, typeof TypeError | typeof RangeError, RegExp][] = [
    ["close", () => sys.close("3" as never), TypeError, /^fd must be an integer file descriptor, got "3" \(string\)$/],
    ["read max", () => sys.read(0, -1), RangeError, /^max must be an integer in 0\.\.\d+, got -1 \(number\)$/],
    ["read fraction", () => sys.read(0, 1.5), RangeError, /got 1\.5 \(number\)/],
    ["read into", () => sys.read(0, [1] as never), TypeError, /max must be a byte count or a Uint8Array, got an array of 1/],
    ["write data", () => sys.write(1, 5 as never), TypeError, /^data must be a string or a Uint8Array, got 5 \(number\)$/],
    ["shutdown how", () => sys.shutdown(0, "bogus" as never), RangeError, /^how must be "read", "write" or "both", got "bogus" \(string\)$/],
    ["kill pid", () => sys.kill("1" as never, 0), TypeError, /^pid must be an integer, got "1" \(string\)$/],
    ["kill pid range", () => sys.kill(2 ** 40, 0), RangeError, /^pid must be an integer in/],
    ["kill sig", () => sys.kill(sys.getpid(), 65), RangeError, /^sig must be an integer in 0\.\.64, got 65 \(number\)$/],
    ["clockMs", () => sys.clockMs("x" as never), TypeError, /^clock must be an integer, got "x" \(string\)$/],
    ["eventfd", () => sys.eventfd("x" as never), TypeError, /^initval must be an integer/],
    ["eventfdWrite", () => sys.eventfdWrite(0, -1), RangeError, /^n must be an integer in 0\.\./],
    ["getsockoptInt", () => sys.getsockoptInt(0, "a" as never, 1), TypeError, /^level must be an integer, got "a" \(string\)$/],
    ["setsockoptInt", () => sys.setsockoptInt(0, C.SOL_SOCKET, C.SO_REUSEADDR, 2 ** 40), RangeError, /^value must be an integer in/],
    ["socket", () => sys.socket(C.AF_INET, 1.5), RangeError, /^type must be an integer in 0\.\.\d+, got 1\.5 \(number\)$/],
    ["dup", () => sys.dup(null as never), TypeError, /got null$/],
    ["raiseFdLimit", () => sys.raiseFdLimit("x" as never), TypeError, /^want must be an integer, got "x" \(string\)$/],
    ["isOpen", () => sys.isOpen(1.5), RangeError, /^fd must be an integer file descriptor, got 1\.5 \(number\)$/],
  ];
  for (const [name, fn, type, message] of bad) it(`${name} refuses a bad value`, () => throwsWith(fn, type, message));

  it("shutdown with a valid how still reaches the kernel (EBADF names the call)", () => {
    throwsWith(() => sys.shutdown(-1, "write"), Error, /^shutdown\(-1, "write"\) failed: EBADF/);
  });
});

describe("arguments: bases and events", () => {
  it("an unknown method lists the valid names", () => {
    throwsWith(() => new EventBase({ method: "bogus" }), RangeError, /^unknown method "bogus" \(string\); the methods are .*"poll".*"select"/);
  });

  for (const variant of backendVariants()) {
    it(`event() quotes a bad fd, events or callback with its type (${variant.label})`, () => {
      withBase(variant, (base) => {
        throwsWith(() => base.event("3" as never, EV.READ, () => {}), TypeError, /^fd must be an integer file descriptor, got "3" \(string\)$/);
        throwsWith(() => base.event(-2, EV.READ, () => {}), RangeError, /^fd must be an integer file descriptor >= -1, got -2 \(number\)$/);
        throwsWith(() => base.event(3, "2" as never, () => {}), TypeError, /^events must be EV bits \(a number\), got "2" \(string\)$/);
        throwsWith(() => base.event(3, EV.READ, "f" as never), TypeError, /^callback must be a function, got "f" \(string\)$/);
      });
    });

    it(`a port in use names bind, the fd and the address (${variant.label})`, () => {
      withBase(variant, (base) => {
        const first = new Listener(base, { host: "127.0.0.1", port: 0 }, (fd) => sys.close(fd));
        try {
          const port = first.address.family === "ipv4" ? first.address.port : 0;
          assert.throws(() => new Listener(base, { host: "127.0.0.1", port }, () => {}), (e: Error) => {
            assert.ok(e instanceof SyscallError);
            assert.equal(e.code, "EADDRINUSE");
            assert.match(e.message, new RegExp(`^bind\\(\\d+, 127\\.0\\.0\\.1:${port}\\) failed: EADDRINUSE`));
            return true;
          });
        } finally {
          first.close();
        }
      });
    });
  }
});
