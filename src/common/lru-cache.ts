interface Entry<V> {
  value: V;
  /** when the entry was last inserted or moved to the recent end */
  tick: number;
}

/**
 * A size-bounded, approximately least-recently-used map. A Map iterates in insertion
 * order, so moving an entry to the end on a hit keeps the coldest entry first, where
 * eviction finds it. Entries among the newest quarter are not moved on a hit (they are
 * far from eviction anyway): a hot key, such as a token a resource server presents again
 * and again, costs one lookup instead of a delete and an insert.
 * Capacity 0 stores nothing: the cache is off.
 */
export class LruCache<K, V> {
  private readonly entries = new Map<K, Entry<V>>();
  private readonly slack: number;
  private tick = 0;

  constructor(readonly capacity: number) {
    this.slack = Math.floor(capacity / 4);
  }

  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (this.tick - entry.tick > this.slack) {
      this.entries.delete(key);
      entry.tick = ++this.tick;
      this.entries.set(key, entry);
    }
    return entry.value;
  }

  set(key: K, value: V): void {
    if (this.capacity <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, { value, tick: ++this.tick });
    if (this.entries.size > this.capacity) {
      const coldest = this.entries.keys().next();
      if (!coldest.done) this.entries.delete(coldest.value);
    }
  }

  delete(key: K): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
