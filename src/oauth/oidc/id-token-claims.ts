/** What an ID token states about one authentication (OIDC Core 1.0 §2). */
export interface IdTokenContext {
  readonly issuer: string;
  /** the user id: the same `sub` as access tokens and userinfo */
  readonly subject: string;
  readonly clientId: string;
  /** when the user entered their password; on refresh still that time (§12.2) */
  readonly authTime: Date;
  /** RFC 8176 methods of that authentication; on refresh still those (§12.2) */
  readonly amr: readonly string[];
  /** the Tessera login session, the `sid` logout refers to (Back-Channel Logout 1.0 §2.1) */
  readonly sid: string;
  /** the authorization request's nonce; never on refresh (§12.2) */
  readonly nonce?: string;
  /** seconds since the epoch */
  readonly now: number;
  /** seconds; no longer than the access tokens, whose signing keys stay published that long */
  readonly ttl: number;
}

export interface IdTokenClaims {
  readonly iss: string;
  readonly sub: string;
  readonly aud: string;
  readonly exp: number;
  readonly iat: number;
  readonly auth_time: number;
  readonly nonce?: string;
  readonly sid: string;
  readonly azp: string;
  readonly amr: readonly string[];
}

/**
 * The claims of an ID token (OIDC Core 1.0 §2, §3.1.3.6). `aud` is the client alone, so
 * `azp` repeats it (§2: required only with several audiences, harmless with one). `amr`
 * (RFC 8176 §2) is what the login proved: ["pwd"], or ["pwd", "otp", "mfa"] with a second factor.
 */
export function idTokenClaims(context: IdTokenContext): IdTokenClaims {
  return {
    iss: context.issuer,
    sub: context.subject,
    aud: context.clientId,
    exp: context.now + context.ttl,
    iat: context.now,
    auth_time: Math.floor(context.authTime.getTime() / 1000),
    ...(context.nonce === undefined ? {} : { nonce: context.nonce }),
    sid: context.sid,
    azp: context.clientId,
    amr: context.amr.length > 0 ? [...context.amr] : ['pwd'],
  };
}
