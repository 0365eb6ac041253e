/**
 * A Map that allocates its table on the first entry. An empty `Map` costs about 210 B of heap (its
 * object and a hash table for four entries); a room keeps several that most rooms never fill (who
 * holds which client id, other nodes' presence and leases), so an idle room holds this object
 * only (32 B). Holds the subset of Map's interface the room uses.
 */
export class LazyMap<K, V> implements Iterable<[K, V]> {
  private map: Map<K, V> | null = null;

  get size(): number {
    return this.map?.size ?? 0;
  }

  get(key: K): V | undefined {
    return this.map?.get(key);
  }

  has(key: K): boolean {
    return this.map?.has(key) ?? false;
  }

  set(key: K, value: V): this {
    if (this.map === null) this.map = new Map();
    this.map.set(key, value);
    return this;
  }

  delete(key: K): boolean {
    return this.map?.delete(key) ?? false;
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return (this.map ?? EMPTY)[Symbol.iterator]() as IterableIterator<[K, V]>;
  }
}

const EMPTY: ReadonlyMap<unknown, unknown> = new Map();
