import { createRemoteJWKSet, errors, jwtVerify } from 'jose';
import { invalidToken, unavailable } from './errors.js';
import { DEFAULT_ALGORITHMS, type ResourceServerOptions } from './options.js';
import { type Principal, principalFrom } from './principal.js';

// RFC 9068 §2.2: the claims every JWT access token carries.
const REQUIRED_CLAIMS = ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'];

/** Offline verification of RFC 9068 access tokens against the issuer's JWKS (§4). */
export class JwtVerifier {
  private readonly jwks: ReturnType<typeof createRemoteJWKSet>;
  private readonly algorithms: string[];
  private readonly skew: number;
  private readonly now: () => number;

  constructor(private readonly options: ResourceServerOptions) {
    // Cached, and refetched (at most every 30 s) when a token names a kid it does not hold,
    // so a key rotation at Tessera needs nothing here.
    this.jwks = createRemoteJWKSet(new URL(options.jwksUri ?? `${options.issuer}/oauth/jwks`));
    this.algorithms = [...(options.algorithms ?? DEFAULT_ALGORITHMS)];
    this.skew = options.clockSkew ?? 5;
    this.now = options.now ?? Date.now;
  }

  async verify(token: string): Promise<Principal> {
    const now = this.now();
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.jwks, {
        issuer: this.options.issuer,
        audience: [this.options.audience].flat(),
        // Compared without `application/` and case-insensitively: at+jwt is application/at+jwt.
        typ: 'at+jwt',
        algorithms: this.algorithms,
        requiredClaims: REQUIRED_CLAIMS,
        clockTolerance: this.skew,
        currentDate: new Date(now),
      }));
    } catch (error) {
      throw classify(error);
    }
    // jose checks iat only with maxTokenAge; a token from the future is not a token yet.
    if (typeof payload.iat !== 'number' || payload.iat > now / 1000 + this.skew) throw invalidToken('the token is not valid yet');
    if (typeof payload.client_id !== 'string' || typeof payload.sub !== 'string') throw invalidToken('the token lacks sub or client_id');
    return principalFrom(payload, 'jwt');
  }
}

/** A JWKS that cannot be had is our problem (503); anything else about the token is 401. */
function classify(error: unknown) {
  // jose's generic error is the JWKS answering anything but 200; a non-JOSE one, the network.
  const keysAway =
    !(error instanceof errors.JOSEError) || error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || error.code === 'ERR_JOSE_GENERIC';
  if (keysAway) return unavailable('the signing keys cannot be fetched');
  if (error instanceof errors.JWTExpired) return invalidToken('the token has expired');
  return invalidToken('the token is not a valid access token for this resource');
}
