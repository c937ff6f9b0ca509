// The timer heap: a binary min-heap of events keyed on their deadline. Each event keeps its own
// position (`heapIndex`, -1 when absent) so removal is O(log n) without a search.
//
// Sifting moves a "hole" instead of swapping: the moving element is held aside, parents (or
// children) slide into the hole one level at a time, and the element is written once where the
// hole stops. That is one write per level instead of a three-write swap.

export interface HeapNode {
  deadline: number;
  heapIndex: number;
}

export class TimerHeap<T extends HeapNode> {
  private nodes: T[] = [];

  get size(): number {
    return this.nodes.length;
  }

  /** The node with the earliest deadline, or undefined. */
  top(): T | undefined {
    return this.nodes[0];
  }

  /** Inserts `node` (which must not be in a heap). */
  push(node: T): void {
    const nodes = this.nodes;
    nodes.push(node); // grow by one; the hole starts at the end
    this.siftUp(nodes.length - 1, node);
  }

  /** Removes and returns the earliest node. */
  pop(): T | undefined {
    const nodes = this.nodes;
    const top = nodes[0];
    if (top === undefined) return undefined;
    this.removeAt(0);
    return top;
  }

  /** Removes `node` if it is in this heap. Returns whether it was. */
  remove(node: T): boolean {
    const i = node.heapIndex;
    if (i < 0 || this.nodes[i] !== node) return false;
    this.removeAt(i);
    return true;
  }

  /** Re-positions `node` after its deadline changed. */
  update(node: T): void {
    const i = node.heapIndex;
    if (i > 0 && this.nodes[(i - 1) >> 1].deadline > node.deadline) this.siftUp(i, node);
    else this.siftDown(i, node);
  }

  /** The nodes in heap order (for debugging and tests). */
  toArray(): readonly T[] {
    return this.nodes;
  }

  private removeAt(i: number): void {
    const nodes = this.nodes;
    const removed = nodes[i];
    removed.heapIndex = -1;
    const last = nodes.pop()!;
    if (last === removed) {
      // The heap lets go of its storage when it empties (libevent's never shrinks).
      if (nodes.length === 0 && i === 0) this.nodes = [];
      return;
    }
    // Fill the hole at i with the former last element, moving it up or down as needed.
    if (i > 0 && nodes[(i - 1) >> 1].deadline > last.deadline) this.siftUp(i, last);
    else this.siftDown(i, last);
  }

  private siftUp(hole: number, node: T): void {
    const nodes = this.nodes;
    const key = node.deadline;
    while (hole > 0) {
      const parentIndex = (hole - 1) >> 1;
      const parent = nodes[parentIndex];
      if (parent.deadline <= key) break;
      nodes[hole] = parent;
      parent.heapIndex = hole;
      hole = parentIndex;
    }
    nodes[hole] = node;
    node.heapIndex = hole;
  }

  private siftDown(hole: number, node: T): void {
    const nodes = this.nodes;
    const n = nodes.length;
    const key = node.deadline;
    for (;;) {
      let child = 2 * hole + 1;
      if (child >= n) break;
      if (child + 1 < n && nodes[child + 1].deadline < nodes[child].deadline) child++;
      const c = nodes[child];
      if (c.deadline >= key) break;
      nodes[hole] = c;
      c.heapIndex = hole;
      hole = child;
    }
    nodes[hole] = node;
    node.heapIndex = hole;
  }
}
