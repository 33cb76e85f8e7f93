import type { Clock } from './clock.js';
import { LruCache } from './lru-cache.js';

/**
 * Records read from the database at most `maxAgeMs` ago (REVOCATION_MAX_STALENESS_MS
 * where it backs authentication), so a hot path does without a round trip while a change
 * made elsewhere is honoured no longer than a revocation is unknown. Bounded by
 * `capacity`; an undefined answer (no such record) is never kept.
 */
export class RecentCache<K, V> {
  private readonly entries: LruCache<K, { readonly value: V; readonly at: number }>;

  constructor(
    capacity: number,
    private readonly maxAgeMs: number,
    private readonly clock: Clock,
  ) {
    this.entries = new LruCache(capacity);
  }

  async get(key: K, load: () => Promise<V | undefined>): Promise<V | undefined> {
    const now = this.clock.now();
    const hit = this.entries.get(key);
    // A clock that stepped back makes the age negative: not proof of freshness.
    if (hit && now >= hit.at && now - hit.at <= this.maxAgeMs) return hit.value;
    const value = await load();
    if (value === undefined) this.entries.delete(key);
    else this.entries.set(key, { value, at: now });
    return value;
  }

  /** Forgets `key`: a change made in this process is seen at once. */
  delete(key: K): void {
    this.entries.delete(key);
  }
}
