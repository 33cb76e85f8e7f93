import type { Page, PageRequest } from '../common/page.js';

/** One login session: the unit of revocation. Its refresh tokens form one chain. */
export interface Family {
  readonly id: string;
  readonly userId: string;
  readonly clientId: string;
  /** the scope granted at login; a refresh may narrow it, never widen it */
  readonly scope: string;
  readonly createdAt: Date;
  readonly lastUsedAt: Date;
  readonly idleExpiresAt: Date;
  readonly absoluteExpiresAt: Date;
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly revokedAt: Date | null;
  readonly revokedReason: string | null;
  /**
   * RFC 9449 §5: the thumbprint of the DPoP key the family's refresh tokens are bound to,
   * set when it starts and never changed; null (or absent) when unbound
   */
  readonly dpopJkt?: string | null;
}

export type ReuseReason = 'after_grace' | 'stale_ancestor' | 'other_client';

/** Why a family ended; recorded on the family and in the audit log. */
export type RevocationReason =
  | 'refresh_token_reuse'
  | 'code_reuse'
  | 'expired'
  | 'logout'
  | 'revoked'
  | 'admin'
  | 'user_disabled'
  | 'client_deleted'
  | 'password_changed';

/** What the store read, under the family's row lock, about a presented refresh token. */
export interface RefreshSnapshot {
  readonly family: Family;
  readonly userDisabled: boolean;
  readonly usedAt: Date | null;
  /** the successor has itself been used: the presented token is a stale ancestor */
  readonly successorUsed: boolean;
  /** the successor sealed under the presented token, while the grace window lasts */
  readonly sealedSuccessor: Buffer | null;
}

export type RefreshVerdict =
  | { readonly kind: 'rotate' }
  | { readonly kind: 'grace' }
  | { readonly kind: 'reuse'; readonly reason: ReuseReason }
  | { readonly kind: 'expired' }
  | { readonly kind: 'reject'; readonly reason: 'revoked' | 'user_disabled' | 'invalid_scope' | 'dpop_key_mismatch' };

/** The successor prepared before the transaction, so the lock is held for SQL only. */
export interface PreparedSuccessor {
  readonly hash: Buffer;
  /** the successor token sealed under a key derived from the presented token */
  readonly sealed: Buffer;
}

/**
 * What a plain rotation must match besides the token's own state, so the store can
 * rotate in one guarded statement before reading anything: the authenticated client,
 * and the narrower scope asked for (undefined keeps the family's).
 */
export interface RotationGuard {
  readonly clientId: string;
  readonly requestedScope: readonly string[] | undefined;
  /** the key of the DPoP proof sent with the refresh, if any */
  readonly dpopJkt: string | undefined;
}

export interface RefreshOutcome {
  readonly verdict: RefreshVerdict;
  /** the family as it stands after the transaction */
  readonly family: Family;
  readonly sealedSuccessor: Buffer | null;
}

export interface NewFamily {
  readonly family: Family;
  readonly firstTokenHash: Buffer;
}

/**
 * A family prepared before its user, client and scope are known: an authorization code's
 * redemption reads them from the code in the statement that starts the family.
 */
export interface FamilyStart {
  readonly family: Omit<Family, 'userId' | 'clientId' | 'scope'>;
  readonly firstTokenHash: Buffer;
}

/** A refresh token as introspection and revocation see it (RFC 7662 §2.2, RFC 7009 §2.1). */
export interface RefreshTokenRecord {
  readonly family: Family;
  readonly issuedAt: Date;
  readonly usedAt: Date | null;
  readonly username: string;
  readonly userDisabled: boolean;
}

/** Owned by sessions/; implemented in persistence/. */
export abstract class FamilyStore {
  /** Starts a family for an enabled user; false (and nothing written) when the user is disabled or gone. */
  abstract start(input: NewFamily): Promise<boolean>;

  /**
   * Locks the family of `tokenHash`, lets `judge` decide on a consistent snapshot and
   * applies the verdict in the same transaction: rotate (exactly one successor), reuse
   * or expiry (the family is revoked). Undefined when no such token exists.
   * A revocation appends its revocation events, relevant until `relevantUntil`, in the
   * same transaction.
   */
  abstract refresh(
    tokenHash: Buffer,
    guard: RotationGuard,
    judge: (snapshot: RefreshSnapshot) => RefreshVerdict,
    successor: PreparedSuccessor,
    now: Date,
    idleTtlSeconds: number,
    relevantUntil: Date,
  ): Promise<RefreshOutcome | undefined>;

  /**
   * Revokes live families, appends one revocation event per family, relevant until
   * `relevantUntil`, and records each in the audit log (`session_revoked`), in one
   * transaction; returns the families this call revoked.
   */
  abstract revoke(ids: readonly string[], reason: RevocationReason, actor: string, now: Date, relevantUntil: Date): Promise<Family[]>;

  /**
   * As `revoke`, for the family of the refresh token with this hash, and only when
   * `clientId` is its client: found and revoked in one statement, without a read first.
   * The family revoked; undefined when none was (no such token, another client's, or a
   * family already ended: `describe` tells them apart).
   */
  abstract revokeByToken(tokenHash: Buffer, clientId: string, reason: RevocationReason, actor: string, now: Date, relevantUntil: Date): Promise<Family | undefined>;

  /** The refresh token with this hash, its family and its user; undefined when unknown. */
  abstract describe(tokenHash: Buffer): Promise<RefreshTokenRecord | undefined>;

  /** The ids of a user's families that are not revoked. */
  abstract liveIdsOfUser(userId: string): Promise<string[]>;

  abstract findById(id: string): Promise<Family | undefined>;

  /** A user's families, revoked ones included, newest first (admin and self-service listings). */
  abstract listOfUser(userId: string, page: PageRequest, liveOnly?: boolean): Promise<Page<Family>>;

  /**
   * Forgets the sealed successors sealed at or before `usedBefore` (their grace window has
   * closed), `batchSize` per statement, on one process of the cluster at a time:
   * 0 when another process is sweeping.
   */
  abstract wipeSealedSuccessors(usedBefore: Date, batchSize: number): Promise<number>;
}
