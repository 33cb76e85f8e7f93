import type { Family, FamilyStart } from '../../sessions/family.js';

/** What an authorization code stands for; the code itself is never stored. */
export interface AuthorizationCode {
  readonly clientId: string;
  readonly userId: string;
  /** where the code was sent: the registered URI that was used */
  readonly redirectUri: string;
  /** RFC 6749 §4.1.3: the token request must repeat redirect_uri when the authorization request sent it */
  readonly redirectUriSent: boolean;
  /** the S256 code challenge (RFC 7636 §4.2) */
  readonly codeChallenge: string;
  /** RFC 9449 §10: the thumbprint of the DPoP key the redemption must prove, or null */
  readonly dpopJkt: string | null;
  /** the scope granted, space-separated */
  readonly scope: string;
  readonly nonce: string | null;
  /** when the user last entered their password (OIDC Core §2 auth_time) */
  readonly authTime: Date;
  /** what that login proved (RFC 8176 amr); the family it starts keeps it for its ID tokens */
  readonly amr: readonly string[];
  /** the Tessera login session the user authorized in; the family it starts is linked to it */
  readonly loginSessionId: string | null;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

/** What the token request presents besides the code; all of it must match the code's row. */
export interface RedemptionGuard {
  readonly clientId: string;
  /** the S256 challenge of the presented code_verifier */
  readonly codeChallenge: string;
  /** the presented redirect_uri, if any */
  readonly redirectUri: string | undefined;
  /** the key of the DPoP proof sent with the token request, if any */
  readonly dpopJkt: string | undefined;
  readonly now: Date;
}

export type RedemptionOutcome =
  /** the code was unused and matched: it is used now, and `family` started from it */
  | { readonly kind: 'redeemed'; readonly code: AuthorizationCode; readonly family: Family }
  /** the code was used before: the family it started is revoked (those it revoked now) */
  | { readonly kind: 'replayed'; readonly clientId: string; readonly userId: string; readonly revoked: Family[] }
  /**
   * unknown, expired, another client's, a wrong verifier or redirect URI, or its user
   * disabled or its login session logged out since it was issued: nothing changed
   */
  | { readonly kind: 'invalid' };


/** Owned by oauth/authorization; implemented in persistence/. */
export abstract class AuthorizationCodeStore {
  abstract insert(hash: Buffer, code: AuthorizationCode): Promise<void>;

  /**
   * Exactly once, across processes: atomically marks the code used only if it is unused,
   * unexpired and matches `guard` (one guarded UPDATE) while its user is enabled and its
   * login session not logged out, and starts `start` from it. A code that was used before
   * has the family it started revoked, announced on the revocation feed until
   * `relevantUntil`.
   */
  abstract redeem(hash: Buffer, guard: RedemptionGuard, start: FamilyStart, relevantUntil: Date): Promise<RedemptionOutcome>;
}
