// The timer heap (libevent regress heap/): randomized inserts and erasures, heap property checked.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { TimerHeap, type HeapNode } from "../src/core/minheap.ts";

/** A node that remembers the deadline it was given, to compare with what the heap holds. */
interface Node extends HeapNode {
  deadline: number;
}

function node(deadline: number): Node {
  return { deadline, heapIndex: -1 };
}

function push(heap: TimerHeap<Node>, n: Node): void {
  heap.push(n, n.deadline);
}

function checkHeap(heap: TimerHeap<Node>): void {
  const nodes = heap.toArray();
  nodes.forEach((n, i) => {
    assert.equal(n.heapIndex, i, `node at ${i} knows its index`);
    assert.equal(heap.deadlineAt(i), n.deadline, `the deadline at ${i} is its node's`);
    assert.equal(heap.deadlineOf(n), n.deadline);
    if (i > 0) assert.ok(heap.deadlineAt(TimerHeap.parentOf(i)) <= heap.deadlineAt(i), `heap property at ${i}`);
  });
}

// A small deterministic PRNG so a failure reproduces.
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

describe("heap", () => {
  it("keeps the heap property through 1,024 random inserts and erasures", () => {
    const rand = prng(12345);
    const heap = new TimerHeap<Node>();
    const nodes = Array.from({ length: 1024 }, () => node(Math.floor(rand() * 10_000)));
    for (const n of nodes) push(heap, n);
    checkHeap(heap);
    for (let i = 0; i < 1024; i += 2) assert.ok(heap.remove(nodes[i]));
    checkHeap(heap);
    assert.equal(heap.size, 512);
    for (let i = 0; i < 1024; i += 2) assert.equal(nodes[i].heapIndex, -1);
    let last = -Infinity;
    while (heap.size) {
      assert.equal(heap.topDeadline(), heap.top()!.deadline);
      const top = heap.pop()!;
      assert.ok(top.deadline >= last, "pops in deadline order");
      last = top.deadline;
    }
    assert.equal(heap.topDeadline(), Infinity);
  });

  it("interleaves operations randomly and agrees with a sorted reference", () => {
    const rand = prng(99);
    const heap = new TimerHeap<Node>();
    const live = new Set<Node>();
    for (let step = 0; step < 20_000; step++) {
      const r = rand();
      if (r < 0.5 || live.size === 0) {
        const n = node(rand() * 1000);
        push(heap, n);
        live.add(n);
      } else if (r < 0.75) {
        const victim = [...live][Math.floor(rand() * live.size)];
        assert.ok(heap.remove(victim));
        live.delete(victim);
      } else if (r < 0.9) {
        const min = Math.min(...[...live].map((n) => n.deadline));
        const top = heap.pop()!;
        assert.equal(top.deadline, min);
        live.delete(top);
      } else {
        const n = [...live][Math.floor(rand() * live.size)];
        n.deadline = rand() * 1000;
        heap.update(n, n.deadline);
      }
      if (step % 1000 === 0) checkHeap(heap);
    }
    checkHeap(heap);
    assert.equal(heap.size, live.size);
  });

  it("grows past its initial storage and shrinks back as it drains, keeping every deadline", () => {
    const rand = prng(7);
    const heap = new TimerHeap<Node>();
    const nodes = Array.from({ length: 5000 }, () => node(rand() * 100));
    for (const n of nodes) push(heap, n);
    checkHeap(heap);
    // Remove from the middle so the shrinking copies a heap that is not a prefix of pops.
    for (let i = 0; i < 4000; i++) assert.ok(heap.remove(nodes[i]));
    checkHeap(heap);
    const rest = nodes.slice(4000).map((n) => n.deadline).sort((a, b) => a - b);
    const popped: number[] = [];
    while (heap.size) popped.push(heap.pop()!.deadline);
    assert.deepEqual(popped, rest);
    push(heap, nodes[0]);
    checkHeap(heap);
  });

  it("pops equal deadlines in insertion order, also after removals and updates", () => {
    const heap = new TimerHeap<Node & { id: number }>();
    const nodes = Array.from({ length: 50 }, (_, id) => ({ deadline: 7, heapIndex: -1, id }));
    for (const n of nodes) heap.push(n, n.deadline);
    for (let i = 0; i < 50; i += 5) heap.remove(nodes[i]);
    // An update counts as a new insertion among equal deadlines: node 1 goes last.
    heap.update(nodes[1], 7);
    const order: number[] = [];
    while (heap.size) order.push(heap.pop()!.id);
    const expected = nodes.map((n) => n.id).filter((id) => id % 5 !== 0 && id !== 1);
    assert.deepEqual(order, [...expected, 1]);
  });

  it("keeps insertion order among equal deadlines across the 32-bit wrap of its sequence", () => {
    const heap = new TimerHeap<Node & { id: number }>();
    (heap as unknown as { nextSeq: number }).nextSeq = 2 ** 32 - 3;
    const nodes = Array.from({ length: 8 }, (_, id) => ({ deadline: 3, heapIndex: -1, id }));
    for (const n of nodes) heap.push(n, n.deadline);
    const order: number[] = [];
    while (heap.size) order.push(heap.pop()!.id);
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it("removing a node that is not in the heap is a no-op", () => {
    const heap = new TimerHeap<Node>();
    const a = node(1);
    assert.equal(heap.remove(a), false);
    push(heap, a);
    assert.equal(heap.remove(a), true);
    assert.equal(heap.remove(a), false);
    assert.equal(heap.size, 0);
  });
});
