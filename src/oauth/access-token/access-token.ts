/** A reference access token (CONTRACT "Access tokens"): only its keyed hash is stored. */
export interface OpaqueAccessToken {
  readonly hash: Buffer;
  readonly jti: string;
  readonly clientId: string;
  /** the user id, or the client id for client_credentials */
  readonly subject: string;
  readonly userId: string | null;
  readonly familyId: string | null;
  readonly scope: string;
  readonly audience: string;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
  /** RFC 9449 §6.2: the DPoP key thumbprint the token is bound to, or null */
  readonly dpopJkt: string | null;
}

/** The stored token with what decides whether it is active. */
export interface OpaqueAccessTokenRecord extends OpaqueAccessToken {
  readonly revokedAt: Date | null;
  readonly familyRevoked: boolean;
  readonly username: string | null;
  readonly userDisabled: boolean;
}

/**
 * Access tokens in the database: opaque ones in full (as a hash), JWTs only once revoked,
 * by jti. Owned by oauth/access-token/ and oauth/token/; implemented in persistence/.
 */
export abstract class AccessTokenStore {
  abstract insertOpaque(token: OpaqueAccessToken): Promise<void>;

  abstract findOpaque(hash: Buffer): Promise<OpaqueAccessTokenRecord | undefined>;

  /**
   * Marks opaque tokens revoked, each only if its revoker's client is the token's client,
   * records their jtis in revoked_access_tokens and on the revocation feed, and writes one
   * access_token_revoked audit event for each, all in one statement; those it revoked (not
   * those already revoked, unknown, or another client's).
   */
  abstract revokeOpaque(revocations: readonly OpaqueRevocation[]): Promise<RevokedOpaqueToken[]>;

  /**
   * Remembers JWTs' jtis as revoked until they expire (CONTRACT: by jti, never by a hash
   * of the text), announces them on the revocation feed, and writes one
   * access_token_revoked audit event for each jti it newly revoked, all in one statement.
   */
  abstract revokeJtis(revocations: readonly JtiRevocation[]): Promise<void>;
}

/** Who revoked a token, for its audit event: written by the revocation's own statement, so one commit makes both durable. */
export interface Revoker {
  readonly actor: string;
  readonly clientId: string;
}

export interface OpaqueRevocation {
  readonly hash: Buffer;
  readonly revokedAt: Date;
  readonly by: Revoker;
}

export interface RevokedOpaqueToken {
  readonly hash: Buffer;
  readonly jti: string;
  readonly expiresAt: Date;
}

export interface JtiRevocation {
  readonly jti: string;
  readonly revokedAt: Date;
  readonly expiresAt: Date;
  /** the token's sid: the family the audit event names */
  readonly familyId: string | null;
  readonly by: Revoker;
}
