import { Inject, Injectable } from '@nestjs/common';
import { LruCache } from '../../common/lru-cache.js';
import type { ResolvedConfig } from '../../config/config.js';
import { CONFIG } from '../../config/config.module.js';
import { Metrics } from '../../metrics/metrics.js';
import { jsonObject, parseCompactJws, signedByOwnKey } from '../keys/compact-jws.js';
import { ACCESS_TOKEN_TYP, KeysService } from '../keys/keys.service.js';

/** The claims of a Tessera JWT access token (RFC 9068 §2.2). */
export interface AccessTokenClaims {
  readonly iss: string;
  readonly sub: string;
  readonly aud: string | readonly string[];
  readonly exp: number;
  readonly iat: number;
  readonly jti: string;
  readonly client_id: string;
  readonly scope: string;
  readonly sid?: string;
}

/**
 * Decides whether a string is a JWT access token that this server signed: the key is
 * looked up by kid among the server's own publishable keys (nothing is ever fetched),
 * the algorithm is that key's, typ is at+jwt (RFC 9068 §4) and iss is this issuer.
 * Expiry and revocation are the caller's: they change, a signature does not, so
 * verified claims are kept in a bounded LRU and repeat introspections skip the crypto.
 */
@Injectable()
export class AccessTokenVerifier {
  private readonly verified: LruCache<string, AccessTokenClaims>;

  constructor(
    private readonly keys: KeysService,
    private readonly metrics: Metrics,
    @Inject(CONFIG) private readonly config: ResolvedConfig,
  ) {
    this.verified = new LruCache(config.introspectionCacheSize);
  }

  /** True when the string has the shape of a compact JWS (three dot-separated parts). */
  static looksLikeJwt(token: string): boolean {
    const first = token.indexOf('.');
    return first > 0 && token.indexOf('.', first + 1) > first;
  }

  /** The claims of a genuine access token of this server, or undefined. Expiry is not checked. */
  async verify(token: string): Promise<AccessTokenClaims | undefined> {
    const cached = this.verified.get(token);
    this.metrics.introspectionCache('verified_token', cached !== undefined);
    if (cached) return cached;
    const jws = parseCompactJws(token, ACCESS_TOKEN_TYP);
    if (!jws || !(await signedByOwnKey(this.keys, jws))) return undefined;
    const claims = claimsOf(jws.payload, this.config.issuer);
    if (claims) this.verified.set(token, claims);
    return claims;
  }
}

function claimsOf(payload: string, issuer: string): AccessTokenClaims | undefined {
  const claims = jsonObject(payload);
  if (!claims || claims.iss !== issuer) return undefined;
  const { sub, aud, exp, iat, jti, client_id: clientId, scope, sid } = claims;
  if (!Number.isSafeInteger(exp) || !Number.isSafeInteger(iat)) return undefined;
  if (!nonEmpty(sub) || !nonEmpty(jti) || !nonEmpty(clientId) || typeof scope !== 'string') return undefined;
  if (!nonEmpty(aud) && !(Array.isArray(aud) && aud.length > 0 && aud.every(nonEmpty))) return undefined;
  if (sid !== undefined && !nonEmpty(sid)) return undefined;
  return Object.freeze({
    iss: issuer,
    sub,
    aud,
    exp: exp as number,
    iat: iat as number,
    jti,
    client_id: clientId,
    scope,
    ...(sid === undefined ? {} : { sid }),
  });
}

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}
