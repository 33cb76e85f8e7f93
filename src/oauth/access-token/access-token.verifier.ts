import { Inject, Injectable } from '@nestjs/common';
import { LruCache } from '../../common/lru-cache.js';
import type { ResolvedConfig } from '../../config/config.js';
import { CONFIG } from '../../config/config.module.js';
import { Metrics } from '../../metrics/metrics.js';
import { verifySignature } from '../keys/jws.js';
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
  /** RFC 9449 §6.1: the thumbprint of the DPoP key the token is bound to */
  readonly cnf?: { readonly jkt: string };
}

// Far above any token Tessera signs; a longer string is not worth decoding.
const MAX_TOKEN_LENGTH = 8_192;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
// RFC 8725 §2.1, §3.1: nothing in the header may choose the key or the algorithm. Tessera
// signs exactly these members, so any other (jku, x5u, jwk, x5c, crit, …) is refused.
const HEADER_MEMBERS = new Set(['alg', 'typ', 'kid']);

interface ParsedJws {
  readonly alg: string;
  readonly kid: string;
  readonly signingInput: string;
  readonly payload: string;
  readonly signature: Buffer;
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
    const jws = parseJws(token);
    if (!jws) return undefined;
    let key = this.keys.verificationKey(jws.kid);
    if (!key) {
      await this.keys.reloadForUnknownKid();
      key = this.keys.verificationKey(jws.kid);
    }
    // RFC 8725 §3.1: the algorithm must be the one the key was made for.
    if (!key || key.alg !== jws.alg) return undefined;
    if (!verifySignature(key.alg, key.key, jws.signingInput, jws.signature)) return undefined;
    const claims = claimsOf(jws.payload, this.config.issuer);
    if (claims) this.verified.set(token, claims);
    return claims;
  }
}

function parseJws(token: string): ParsedJws | undefined {
  if (token.length > MAX_TOKEN_LENGTH) return undefined;
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((part) => BASE64URL.test(part))) return undefined;
  const [header, payload, signature] = parts;
  const members = jsonObject(header);
  if (!members || Object.keys(members).some((name) => !HEADER_MEMBERS.has(name))) return undefined;
  const { alg, kid, typ } = members;
  if (typ !== ACCESS_TOKEN_TYP || typeof alg !== 'string' || typeof kid !== 'string') return undefined;
  return { alg, kid, signingInput: `${header}.${payload}`, payload, signature: Buffer.from(signature, 'base64url') };
}

function claimsOf(payload: string, issuer: string): AccessTokenClaims | undefined {
  const claims = jsonObject(payload);
  if (!claims || claims.iss !== issuer) return undefined;
  const { sub, aud, exp, iat, jti, client_id: clientId, scope, sid, cnf } = claims;
  if (!Number.isSafeInteger(exp) || !Number.isSafeInteger(iat)) return undefined;
  if (!nonEmpty(sub) || !nonEmpty(jti) || !nonEmpty(clientId) || typeof scope !== 'string') return undefined;
  if (!nonEmpty(aud) && !(Array.isArray(aud) && aud.length > 0 && aud.every(nonEmpty))) return undefined;
  if (sid !== undefined && !nonEmpty(sid)) return undefined;
  const jkt: unknown = (cnf as { jkt?: unknown } | undefined)?.jkt;
  if (cnf !== undefined && !nonEmpty(jkt)) return undefined;
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
    ...(nonEmpty(jkt) ? { cnf: Object.freeze({ jkt }) } : {}),
  });
}

function jsonObject(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}
