import { LruCache } from '../common/lru-cache.js';

interface Window {
  readonly startedAt: number;
  failures: number;
}

/**
 * Failures per key in fixed windows, in this process's memory only: for hot paths where
 * a database write per request would cost more than the attack. Bounded: at most
 * `capacity` keys, the coldest forgotten first.
 */
export class FailureWindow {
  private readonly windows: LruCache<string, Window>;

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs: number,
    capacity: number,
  ) {
    this.windows = new LruCache(maxFailures > 0 ? capacity : 0);
  }

  /** Seconds until `key` may try again; 0 while it is under the limit (or there is none). */
  retryAfter(key: string, nowMs: number): number {
    const window = this.current(key, nowMs);
    if (!window || window.failures < this.maxFailures) return 0;
    return Math.max(1, Math.ceil((window.startedAt + this.windowMs - nowMs) / 1000));
  }

  fail(key: string, nowMs: number): void {
    if (this.maxFailures <= 0) return;
    const window = this.current(key, nowMs);
    if (window) window.failures += 1;
    else this.windows.set(key, { startedAt: nowMs, failures: 1 });
  }

  private current(key: string, nowMs: number): Window | undefined {
    const window = this.windows.get(key);
    // A window that is over, or one from a clock that went backwards, counts no more.
    if (!window || nowMs >= window.startedAt + this.windowMs || nowMs < window.startedAt) return undefined;
    return window;
  }
}
