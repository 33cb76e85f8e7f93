import { unavailable } from './errors.js';

/**
 * Where the jti of accepted DPoP proofs is remembered (RFC 9449 §11.1), until their iat
 * window closes. Implement it over a store every instance of the API shares (Redis
 * `SET key 1 NX PXAT expiresAt`, a database row with a unique key) to refuse a proof
 * replayed to another instance.
 */
export interface DpopReplayStore {
  /**
   * True the first time `key` is claimed, false while an earlier claim is remembered.
   * `expiresAt` (ms since the epoch) is when the key may be forgotten. Rejecting the
   * promise refuses the request with 503: a proof is never accepted unremembered.
   */
  claim(key: string, expiresAt: number): boolean | Promise<boolean>;
}

/**
 * The default store: this process's memory, so it refuses a proof replayed to this
 * process only. Bounded: when `maxEntries` proofs within their window are remembered, a
 * new one is refused with 503 rather than an old one forgotten (which would let it be
 * replayed). Entries are swept in the order they came, which is nearly their expiry order.
 */
export class MemoryReplayStore implements DpopReplayStore {
  private readonly entries = new Map<string, number>();

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number,
  ) {
    if (!(maxEntries > 0)) throw new TypeError('the DPoP replay cache needs room for at least one proof');
  }

  claim(key: string, expiresAt: number): boolean {
    const now = this.now();
    this.sweep(now);
    const until = this.entries.get(key);
    if (until !== undefined && until > now) return false;
    if (this.entries.size >= this.maxEntries) throw unavailable('the DPoP replay cache is full');
    this.entries.delete(key);
    this.entries.set(key, expiresAt);
    return true;
  }

  get size(): number {
    return this.entries.size;
  }

  private sweep(now: number): void {
    for (const [key, until] of this.entries) {
      if (until > now) break;
      this.entries.delete(key);
    }
  }
}
