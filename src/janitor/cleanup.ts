/** The tables the janitor deletes from, in the order one pass visits them. */
export const CLEANUP_TABLES = [
  'opaque_access_tokens',
  'refresh_tokens',
  'families',
  'revoked_access_tokens',
  'revocation_events',
  'audit_events',
  'login_throttle',
  'authorization_codes',
  'pushed_authorization_requests',
  'login_sessions',
  'dpop_proofs',
  'backchannel_logouts',
  'webauthn_challenges',
  'second_factor_challenges',
  'console_sessions',
] as const;

export type CleanupTable = (typeof CLEANUP_TABLES)[number];

/** Rows deleted per table by one pass. */
export type CleanupCounts = Record<CleanupTable, number>;

/**
 * One batched delete per kind of row that nothing needs any more. Each call deletes at
 * most `limit` rows in one short statement, skipping rows another transaction has locked
 * (a rotation holds its family's row), and answers how many it deleted.
 */
export interface CleanupBatches {
  /** Opaque access tokens that expired before `before`. */
  expiredOpaqueTokens(before: Date, limit: number): Promise<number>;
  /** Refresh tokens of families whose absolute expiry is before `before`. */
  tokensOfEndedFamilies(before: Date, limit: number): Promise<number>;
  /** Families whose absolute expiry is before `before` and that have no refresh token left. */
  endedFamilies(before: Date, limit: number): Promise<number>;
  /** Records of revoked access tokens that expired before `before`. */
  expiredRevokedJtis(before: Date, limit: number): Promise<number>;
  /**
   * Revocation-feed events relevant until before `untilBefore` and created before
   * `createdBefore`. A Shared Signals stream that had one of them queued, unacknowledged,
   * is marked as fallen behind (it gets an events-lost notice) in the same statement.
   */
  spentRevocationEvents(untilBefore: Date, createdBefore: Date, limit: number): Promise<number>;
  /** Audit events that occurred before `before`. */
  auditEventsBefore(before: Date, limit: number): Promise<number>;
  /** Login-throttle rows past their own expires_at (they no longer slow anyone). */
  expiredLoginThrottles(before: Date, limit: number): Promise<number>;
  /** Authorization codes, used or not, that expired before `before`. */
  expiredAuthorizationCodes(before: Date, limit: number): Promise<number>;
  /** Pushed authorization requests that expired before `before`. */
  expiredPushedRequests(before: Date, limit: number): Promise<number>;
  /** Login sessions ended, or past either expiry, before `before`. */
  endedLoginSessions(before: Date, limit: number): Promise<number>;
  /** DPoP proofs whose iat window closed before `before`: they would be refused as stale anyway. */
  expiredDpopProofs(before: Date, limit: number): Promise<number>;
  /** Back-channel logouts delivered or given up, of sessions that ended before `before`. */
  settledBackchannelLogouts(before: Date, limit: number): Promise<number>;
  /** WebAuthn challenges never presented, expired before `before`. */
  expiredWebauthnChallenges(before: Date, limit: number): Promise<number>;
  /** Second-step challenges (a password proven, the code or passkey still asked), used or not, expired before `before`. */
  expiredSecondFactorChallenges(before: Date, limit: number): Promise<number>;
  /** Admin console sessions, signed in or never finished (anyone may start one), that expired before `before`. */
  expiredConsoleSessions(before: Date, limit: number): Promise<number>;
}

/** Owned by janitor/; implemented in persistence/. */
export abstract class JanitorStore {
  /**
   * Runs `work` while holding the cluster-wide janitor lease, so one process cleans at a
   * time. When another process holds it: waits for it when `wait`, otherwise answers
   * undefined without running `work`.
   */
  abstract exclusively<T>(wait: boolean, work: (batches: CleanupBatches) => Promise<T>): Promise<T | undefined>;
}
