import type { BackchannelDelivery } from './backchannel-delivery.js';

/** Back-Channel Logout 1.0 §2.4 and RFC 8725 §3.11: explicit typing, so no ID token verifier takes one. */
export const LOGOUT_TOKEN_TYP = 'logout+jwt';
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** Long enough for clock skew and a slow receiver; the RP checks it within seconds of the POST. */
export const LOGOUT_TOKEN_TTL_SECONDS = 120;

export interface LogoutTokenClaims {
  readonly iss: string;
  readonly aud: string;
  readonly iat: number;
  readonly exp: number;
  readonly jti: string;
  readonly sub: string;
  readonly sid: string;
  readonly events: { readonly [BACKCHANNEL_LOGOUT_EVENT]: Record<string, never> };
}

/**
 * §2.4: iss, aud (the client), iat, exp, jti, events with the back-channel logout member
 * (an empty object), and sub and/or sid; Tessera sends both. A nonce is prohibited, so
 * none. The jti is the delivery's own, the same on every retry; iat and exp are those of
 * this attempt.
 */
export function logoutTokenClaims(delivery: BackchannelDelivery, issuer: string, nowSeconds: number): LogoutTokenClaims {
  return {
    iss: issuer,
    aud: delivery.clientId,
    iat: nowSeconds,
    exp: nowSeconds + LOGOUT_TOKEN_TTL_SECONDS,
    jti: delivery.jti,
    sub: delivery.subject,
    sid: delivery.sid,
    events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
  };
}
