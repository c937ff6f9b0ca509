// The timer heap: a 4-ary min-heap of nodes keyed on (deadline, insertion sequence). Each node
// keeps its own position (`heapIndex`, -1 when absent) so removal is O(log n) without a search.
//
// Four children per node, as in libuv's and Go's timer heaps: the tree is half as deep as a binary
// one, and every level a node moves through is a write to that node's heapIndex, a likely cache
// miss with many timers. A node's four children's deadlines are adjacent in the key array (one
// cache line), so the extra comparisons per level cost little. Measured on 1e6 timers
// (bench/timers-million.ts), see docs/benchmarks.md.
//
// The heap, not the node, holds the deadline: it sits in a Float64Array parallel to the nodes.
// A deadline is a fractional number of ms, and a double kept in an object field costs V8 a boxed
// HeapNumber besides the field (16 + 8 bytes per Event on Deno, a new box on every re-arm); in a
// typed array it costs 8 bytes and no allocation. The heap also reads only its own arrays when it
// compares, instead of following a pointer to each node.
//
// Equal deadlines are common (the coarse clock ticks every few ms, and programs add many timers
// with the same timeout), and they must fire in the order they were added, as libevent's and
// libuv's do. A plain deadline heap does not do that: after a pop, the last leaf moves to the root
// and, being equal, stays there, so twelve equal timers fire 0, 11, 10, ... 1. An insertion
// sequence number, in a third parallel array, breaks ties. It is 32 bits and compared modulo 2^32
// (the sign of the wrapped difference), which orders any two nodes added fewer than 2^31
// insertions apart; only equal deadlines ever consult it.
//
// Sifting moves a "hole" instead of swapping: the moving element is held aside, parents (or
// children) slide into the hole one level at a time, and the element is written once where the
// hole stops. That is one write per level instead of a three-write swap.

export interface HeapNode {
  heapIndex: number;
}

const INITIAL_CAPACITY = 64;

export class TimerHeap<T extends HeapNode> {
  private nodes: T[] = [];
  /** keys[i] is the deadline of nodes[i]. */
  private keys = new Float64Array(INITIAL_CAPACITY);
  /** seqs[i] is the insertion sequence of nodes[i], modulo 2^32. */
  private seqs = new Uint32Array(INITIAL_CAPACITY);
  private nextSeq = 0;

  get size(): number {
    return this.nodes.length;
  }

  /** The node with the earliest deadline (the earliest added among equals), or undefined. */
  top(): T | undefined {
    return this.nodes[0];
  }

  /** The earliest deadline, or Infinity when the heap is empty. */
  topDeadline(): number {
    return this.nodes.length === 0 ? Infinity : this.keys[0];
  }

  /** The deadline of `node`, which must be in this heap. */
  deadlineOf(node: T): number {
    return this.keys[node.heapIndex];
  }

  /** Inserts `node` (which must not be in a heap) with `deadline`. */
  push(node: T, deadline: number): void {
    const n = this.nodes.length;
    if (n === this.keys.length) this.resize(2 * n);
    // Grow by one; the hole starts at the end.
    this.nodes.push(node);
    this.siftUp(n, node, deadline, this.takeSeq());
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

  /** Gives `node` (in this heap) a new deadline; it counts as added now among equals. */
  update(node: T, deadline: number): void {
    const i = node.heapIndex;
    const seq = this.takeSeq();
    if (i > 0 && this.before(deadline, seq, (i - 1) >> 2)) this.siftUp(i, node, deadline, seq);
    else this.siftDown(i, node, deadline, seq);
  }

  /** The nodes in heap order (for debugging and tests). */
  toArray(): readonly T[] {
    return this.nodes;
  }

  /** The deadline of the node at `i`. */
  deadlineAt(i: number): number {
    return this.keys[i];
  }

  /** The index of the parent of the node at `i` (> 0). */
  static parentOf(i: number): number {
    return (i - 1) >> 2;
  }

  /** Whether the node at `i` comes before the node at `j`. */
  precedes(i: number, j: number): boolean {
    return this.before(this.keys[i], this.seqs[i], j);
  }

  private takeSeq(): number {
    const seq = this.nextSeq;
    this.nextSeq = (seq + 1) >>> 0;
    return seq;
  }

  /** Whether a node keyed (deadline, seq) comes before the node at `i`. */
  private before(deadline: number, seq: number, i: number): boolean {
    const other = this.keys[i];
    return deadline < other || (deadline === other && ((seq - this.seqs[i]) | 0) < 0);
  }

  private resize(capacity: number): void {
    const keys = new Float64Array(capacity);
    const seqs = new Uint32Array(capacity);
    const n = this.nodes.length;
    keys.set(this.keys.subarray(0, n));
    seqs.set(this.seqs.subarray(0, n));
    this.keys = keys;
    this.seqs = seqs;
  }

  private removeAt(i: number): void {
    const nodes = this.nodes;
    const removed = nodes[i];
    removed.heapIndex = -1;
    const last = nodes.pop()!;
    const n = nodes.length;
    if (last !== removed) {
      // Fill the hole at i with the former last element, moving it up or down as needed.
      const lastKey = this.keys[n];
      const lastSeq = this.seqs[n];
      if (i > 0 && this.before(lastKey, lastSeq, (i - 1) >> 2)) this.siftUp(i, last, lastKey, lastSeq);
      else this.siftDown(i, last, lastKey, lastSeq);
    }
    // The heap gives storage back as it drains (libevent's never shrinks).
    if (n === 0) {
      this.nodes = [];
      if (this.keys.length > INITIAL_CAPACITY) this.resize(INITIAL_CAPACITY);
    } else if (n <= this.keys.length >> 2 && this.keys.length > INITIAL_CAPACITY) {
      this.resize(this.keys.length >> 1);
    }
  }

  private siftUp(hole: number, node: T, key: number, seq: number): void {
    const nodes = this.nodes;
    const keys = this.keys;
    const seqs = this.seqs;
    while (hole > 0) {
      const parentIndex = (hole - 1) >> 2;
      const pk = keys[parentIndex];
      if (pk < key || (pk === key && ((seqs[parentIndex] - seq) | 0) < 0)) break;
      const parent = nodes[parentIndex];
      nodes[hole] = parent;
      keys[hole] = pk;
      seqs[hole] = seqs[parentIndex];
      parent.heapIndex = hole;
      hole = parentIndex;
    }
    nodes[hole] = node;
    keys[hole] = key;
    seqs[hole] = seq;
    node.heapIndex = hole;
  }

  private siftDown(hole: number, node: T, key: number, seq: number): void {
    const nodes = this.nodes;
    const keys = this.keys;
    const seqs = this.seqs;
    const n = nodes.length;
    for (;;) {
      const first = 4 * hole + 1;
      if (first >= n) break;
      // The earliest of up to four children.
      let child = first;
      let ck = keys[first];
      const end = first + 4 < n ? first + 4 : n;
      for (let c = first + 1; c < end; c++) {
        const k = keys[c];
        if (k < ck || (k === ck && ((seqs[c] - seqs[child]) | 0) < 0)) {
          child = c;
          ck = k;
        }
      }
      if (key < ck || (key === ck && ((seq - seqs[child]) | 0) < 0)) break;
      const c = nodes[child];
      nodes[hole] = c;
      keys[hole] = ck;
      seqs[hole] = seqs[child];
      c.heapIndex = hole;
      hole = child;
    }
    nodes[hole] = node;
    keys[hole] = key;
    seqs[hole] = seq;
    node.heapIndex = hole;
  }
}
