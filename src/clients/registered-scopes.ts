import type { Clock } from '../common/clock.js';

/**
 * The union of the scopes clients are registered with (RFC 8414 `scopes_supported`),
 * read at most once per `maxAgeMs`: the metadata document is public and must not cost a
 * query per fetch. A change made in this process is seen at once (invalidate); one made
 * by another process within `maxAgeMs`. When the database cannot be read the last known
 * union is kept: §2 lets a server leave scopes out, never makes the document fail.
 */
export class RegisteredScopes {
  private known: readonly string[] = [];
  private readAt = Number.NEGATIVE_INFINITY;
  private reading: Promise<readonly string[]> | undefined;

  constructor(
    private readonly load: () => Promise<readonly string[]>,
    private readonly maxAgeMs: number,
    private readonly clock: Clock,
    private readonly onError: (error: unknown) => void,
  ) {}

  get(): Promise<readonly string[]> {
    const now = this.clock.now();
    // A clock that stepped back makes the age negative: not proof of freshness.
    if (now >= this.readAt && now - this.readAt <= this.maxAgeMs) return Promise.resolve(this.known);
    this.reading ??= this.read(now).finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }

  invalidate(): void {
    this.readAt = Number.NEGATIVE_INFINITY;
  }

  private async read(now: number): Promise<readonly string[]> {
    try {
      this.known = Object.freeze([...(await this.load())]);
    } catch (error) {
      this.onError(error);
    }
    // After a failure too: an outage costs one attempt per maxAgeMs, not one per request.
    this.readAt = now;
    return this.known;
  }
}
