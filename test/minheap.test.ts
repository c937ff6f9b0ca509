// The timer heap (libevent regress heap/): randomized inserts and erasures, heap property checked.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { TimerHeap, type HeapNode } from "../src/core/minheap.ts";

function checkHeap(heap: TimerHeap<HeapNode>): void {
  const nodes = heap.toArray();
  nodes.forEach((node, i) => {
    assert.equal(node.heapIndex, i, `node at ${i} knows its index`);
    if (i > 0) assert.ok(nodes[(i - 1) >> 1].deadline <= node.deadline, `heap property at ${i}`);
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
    const heap = new TimerHeap<HeapNode>();
    const nodes: HeapNode[] = Array.from({ length: 1024 }, () => ({ deadline: Math.floor(rand() * 10_000), heapIndex: -1 }));
    for (const n of nodes) heap.push(n);
    checkHeap(heap);
    for (let i = 0; i < 1024; i += 2) assert.ok(heap.remove(nodes[i]));
    checkHeap(heap);
    assert.equal(heap.size, 512);
    for (let i = 0; i < 1024; i += 2) assert.equal(nodes[i].heapIndex, -1);
    let last = -Infinity;
    while (heap.size) {
      const top = heap.pop()!;
      assert.ok(top.deadline >= last, "pops in deadline order");
      last = top.deadline;
    }
  });

  it("interleaves operations randomly and agrees with a sorted reference", () => {
    const rand = prng(99);
    const heap = new TimerHeap<HeapNode>();
    const live = new Set<HeapNode>();
    for (let step = 0; step < 20_000; step++) {
      const r = rand();
      if (r < 0.5 || live.size === 0) {
        const n = { deadline: rand() * 1000, heapIndex: -1 };
        heap.push(n);
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
        heap.update(n);
      }
      if (step % 1000 === 0) checkHeap(heap);
    }
    checkHeap(heap);
    assert.equal(heap.size, live.size);
  });

  it("pops equal deadlines in insertion order, also after removals and updates", () => {
    const heap = new TimerHeap<HeapNode & { id: number }>();
    const nodes = Array.from({ length: 50 }, (_, id) => ({ deadline: 7, heapIndex: -1, id }));
    for (const n of nodes) heap.push(n);
    for (let i = 0; i < 50; i += 5) heap.remove(nodes[i]);
    // An update counts as a new insertion among equal deadlines: node 1 goes last.
    nodes[1].deadline = 7;
    heap.update(nodes[1]);
    const order: number[] = [];
    while (heap.size) order.push(heap.pop()!.id);
    const expected = nodes.map((n) => n.id).filter((id) => id % 5 !== 0 && id !== 1);
    assert.deepEqual(order, [...expected, 1]);
  });

  it("removing a node that is not in the heap is a no-op", () => {
    const heap = new TimerHeap<HeapNode>();
    const a = { deadline: 1, heapIndex: -1 };
    assert.equal(heap.remove(a), false);
    heap.push(a);
    assert.equal(heap.remove(a), true);
    assert.equal(heap.remove(a), false);
    assert.equal(heap.size, 0);
  });
});
