// The changelist (src/backends/changelist.ts): what reaches the kernel at the flush, per fd.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EV } from "./deps.ts";
import { Changelist } from "../src/backends/changelist.ts";

type Applied = [fd: number, kernel: number, wanted: number, emptied: boolean];

function flushed(list: Changelist): Applied[] {
  const got: Applied[] = [];
  list.flush((fd, kernel, wanted, emptied) => void got.push([fd, kernel, wanted, emptied]));
  return got;
}

describe("changelist", () => {
  it("an add and a delete of one fd within one iteration reach the kernel as nothing", () => {
    const list = new Changelist();
    list.record(5, 0, EV.READ);
    list.record(5, EV.READ, 0);
    assert.deepEqual(flushed(list), []);
    assert.equal(list.size, 0, "the flush empties the list");
  });

  it("changes to one fd merge: the kernel's bits from the first, the wanted bits from the last", () => {
    const list = new Changelist();
    list.record(7, EV.READ, EV.READ | EV.WRITE);
    list.record(7, EV.READ | EV.WRITE, EV.WRITE);
    assert.deepEqual(flushed(list), [[7, EV.READ, EV.WRITE, false]]);
  });

  it("a delete then a re-add of the same bits is applied, marked emptied (the fd may be another file now)", () => {
    const list = new Changelist();
    list.record(9, EV.READ, 0);
    list.record(9, 0, EV.READ);
    assert.deepEqual(flushed(list), [[9, EV.READ, EV.READ, true]]);
  });

  it("a change back to what the kernel has, never emptied, is skipped", () => {
    const list = new Changelist();
    list.record(3, EV.READ, EV.READ | EV.WRITE);
    list.record(3, EV.READ | EV.WRITE, EV.READ);
    assert.deepEqual(flushed(list), []);
  });

  it("keeps ET with the bits, and flushes fds in the order first queued", () => {
    const list = new Changelist();
    list.record(12, 0, EV.READ | EV.ET);
    list.record(4, 0, EV.WRITE);
    list.record(12, EV.READ | EV.ET, EV.READ | EV.WRITE | EV.ET);
    assert.deepEqual(flushed(list), [[12, 0, EV.READ | EV.WRITE | EV.ET, false], [4, 0, EV.WRITE, false]]);
  });

  it("clear() forgets queued changes", () => {
    const list = new Changelist();
    list.record(6, 0, EV.READ);
    list.clear();
    assert.deepEqual(flushed(list), []);
  });
});
