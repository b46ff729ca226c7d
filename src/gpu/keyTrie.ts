// A map keyed by a sequence of values (objects by identity, numbers by value), walked one
// value at a time: the cache key of a bind group (its pipeline and buffers) or a uniform
// block (its words) costs a few Map lookups per dispatch instead of a string built each time.
interface Node<V> {
  next?: Map<unknown, Node<V>>;
  value?: V;
  has?: boolean;
}

export class KeyTrie<V> {
  private root: Node<V> = {};
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(key: Iterable<unknown>): V | undefined {
    let node: Node<V> | undefined = this.root;
    for (const part of key) {
      node = node.next?.get(part);
      if (!node) return undefined;
    }
    return node.value;
  }

  set(key: Iterable<unknown>, value: V): void {
    let node = this.root;
    for (const part of key) {
      node.next ??= new Map();
      let child = node.next.get(part);
      if (!child) node.next.set(part, (child = {}));
      node = child;
    }
    if (!node.has) this.count++;
    node.has = true;
    node.value = value;
  }

  /** Every value, then forgets them all. */
  clear(): V[] {
    const values: V[] = [];
    const walk = (node: Node<V>) => {
      if (node.has) values.push(node.value!);
      node.next?.forEach(walk);
    };
    walk(this.root);
    this.root = {};
    this.count = 0;
    return values;
  }
}
