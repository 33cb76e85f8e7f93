/**
 * The revocation feed: one row per revocation that an access token can outlive, appended
 * in the transaction of the revocation itself. Every process tails it into its
 * RevocationView, so introspecting a JWT needs no database round trip.
 * `credential` (a user's password changed) revokes nothing: it rides the feed only so that
 * Shared Signals streams announce it (CAEP 1.0 §3.3), written in the same statement as the
 * change; the sessions the change ends produce their own `family` events.
 */
export type RevocationKind = 'family' | 'user' | 'jti' | 'client' | 'credential';

export interface RevocationEvent {
  /**
   * The event's place in the feed: positions become visible in increasing order without
   * gaps, so a reader that has seen one has seen every one below it.
   */
  readonly position: number;
  readonly kind: RevocationKind;
  /** family id, user id (user, credential), jti or client id */
  readonly subject: string;
  readonly createdAt: Date;
  /** after this, no token the event concerns can still be alive */
  readonly until: Date;
}

export interface FeedListener {
  /**
   * Events committed somewhere: the ones the notification carried, or undefined when it
   * carried none it could (too many for NOTIFY's payload) and only says "read the feed".
   */
  onNotify(events: readonly RevocationEvent[] | undefined): void;
  /** the notification channel is (again) connected: notifications may have been missed */
  onConnected(): void;
}

export interface FeedSubscription {
  close(): Promise<void>;
}

/** Owned by sessions/; implemented in persistence/. */
export abstract class RevocationEventStore {
  /** Events at positions above `after`, lowest first, at most `limit`. */
  abstract read(after: number, limit: number): Promise<RevocationEvent[]>;

  /**
   * Whether a live event concerns the token: its jti, its family, its client deleted, or
   * its user disabled at or after it was issued. For a view that could not hold every event.
   */
  abstract concerns(token: { jti: string; sid?: string; sub: string; iat: number; client_id: string }, now: Date): Promise<boolean>;

  /** Listens for commits of new events, reconnecting until closed. */
  abstract subscribe(listener: FeedListener): FeedSubscription;
}

/**
 * Verifiers may accept a token a little after its exp (clock skew between processes and
 * resource servers; RFC 7519 §4.1.4 allows "some small leeway"), so revocations are
 * remembered that much longer.
 */
export const REVOCATION_MARGIN_SECONDS = 60;

/**
 * When a family or user revocation stops mattering: every access token it concerns was
 * issued before it and lives at most ACCESS_TOKEN_TTL, and no new token can be issued
 * for a revoked family (rotation checks under the family lock) or a disabled user.
 */
export function revocationRelevantUntil(nowMs: number, accessTokenTtlSeconds: number): Date {
  return new Date(nowMs + (accessTokenTtlSeconds + REVOCATION_MARGIN_SECONDS) * 1000);
}

/**
 * When a client deletion stops mattering. A process may still authenticate the deleted
 * client from its cache for up to REVOCATION_MAX_STALENESS_MS and sign a token for it, so
 * the last token of the client expires at most that plus ACCESS_TOKEN_TTL after the
 * deletion. Until then every token carrying the client id is dead and the id cannot be
 * registered again (the event is the tombstone), so a `client` event needs no issue time.
 */
export function clientRevocationRelevantUntil(nowMs: number, accessTokenTtlSeconds: number, maxStalenessMs: number): Date {
  return new Date(revocationRelevantUntil(nowMs, accessTokenTtlSeconds).getTime() + maxStalenessMs);
}
