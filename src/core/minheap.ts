// The timer heap: a binary min-heap of events keyed on (deadline, insertion sequence). Each event
// keeps its own position (`heapIndex`, -1 when absent) so removal is O(log n) without a search.
//
// Equal deadlines are common (the coarse clock ticks every few ms, and programs add many timers
// with the same timeout), and they must fire in the order they were added, as libevent's and
// libuv's do. A plain deadline heap does not do that: after a pop, the last leaf moves to the root
// and, being equal, stays there, so twelve equal timers fire 0, 11, 10, ... 1. The sequence number
// breaks ties. It lives in an array parallel to the nodes, not in the event, so the Event object
// does not grow by a field for the sake of its timer; the array moves with the nodes.
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
  /** seqs[i] is the insertion sequence of nodes[i]. */
  private seqs: number[] = [];
  /** The next sequence number; a double, exact up to 2^53 insertions. */
  private nextSeq = 0;

  get size(): number {
    return this.nodes.length;
  }

  /** The node with the earliest deadline (the earliest added among equals), or undefined. */
  top(): T | undefined {
    return this.nodes[0];
  }

  /** Inserts `node` (which must not be in a heap). */
  push(node: T): void {
    // Grow by one; the hole starts at the end.
    this.nodes.push(node);
    this.seqs.push(0);
    this.siftUp(this.nodes.length - 1, node, this.nextSeq++);
  }

  /** Removes and returns the earliest node. */
  pop(): T | undefined {
    const top = this.nodes[0];
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

  /** Re-positions `node` after its deadline changed; it counts as added now among equals. */
  update(node: T): void {
    const i = node.heapIndex;
    const seq = this.nextSeq++;
    if (i > 0 && this.before(node.deadline, seq, (i - 1) >> 1)) this.siftUp(i, node, seq);
    else this.siftDown(i, node, seq);
  }

  /** The nodes in heap order (for debugging and tests). */
  toArray(): readonly T[] {
    return this.nodes;
  }

  /** Whether the node at `i` comes before the node at `j`. */
  precedes(i: number, j: number): boolean {
    return this.before(this.nodes[i].deadline, this.seqs[i], j);
  }

  /** Whether a node keyed (deadline, seq) comes before the node at `i`. */
  private before(deadline: number, seq: number, i: number): boolean {
    const other = this.nodes[i].deadline;
    return deadline < other || (deadline === other && seq < this.seqs[i]);
  }

  private removeAt(i: number): void {
    const nodes = this.nodes;
    const removed = nodes[i];
    removed.heapIndex = -1;
    const last = nodes.pop()!;
    const lastSeq = this.seqs.pop()!;
    if (last === removed) {
      // The heap lets go of its storage when it empties (libevent's never shrinks).
      if (nodes.length === 0 && i === 0) {
        this.nodes = [];
        this.seqs = [];
      }
      return;
    }
    // Fill the hole at i with the former last element, moving it up or down as needed.
    if (i > 0 && this.before(last.deadline, lastSeq, (i - 1) >> 1)) this.siftUp(i, last, lastSeq);
    else this.siftDown(i, last, lastSeq);
  }

  private siftUp(hole: number, node: T, seq: number): void {
    const nodes = this.nodes;
    const seqs = this.seqs;
    const key = node.deadline;
    while (hole > 0) {
      const parentIndex = (hole - 1) >> 1;
      const parent = nodes[parentIndex];
      const pk = parent.deadline;
      if (pk < key || (pk === key && seqs[parentIndex] < seq)) break;
      nodes[hole] = parent;
      seqs[hole] = seqs[parentIndex];
      parent.heapIndex = hole;
      hole = parentIndex;
    }
    nodes[hole] = node;
    seqs[hole] = seq;
    node.heapIndex = hole;
  }

  private siftDown(hole: number, node: T, seq: number): void {
    const nodes = this.nodes;
    const seqs = this.seqs;
    const n = nodes.length;
    const key = node.deadline;
    for (;;) {
      let child = 2 * hole + 1;
      if (child >= n) break;
      let c = nodes[child];
      if (child + 1 < n) {
        const r = nodes[child + 1];
        if (r.deadline < c.deadline || (r.deadline === c.deadline && seqs[child + 1] < seqs[child])) {
          child++;
          c = r;
        }
      }
      const ck = c.deadline;
      if (key < ck || (key === ck && seq < seqs[child])) break;
      nodes[hole] = c;
      seqs[hole] = seqs[child];
      c.heapIndex = hole;
      hole = child;
    }
    nodes[hole] = node;
    seqs[hole] = seq;
    node.heapIndex = hole;
  }
}
