import type { DpopReplayStore } from './dpop-replay.js';
import type { PublicUrlOptions } from './request-url.js';
import type { RevocationSource } from './revocation-view.js';

export interface IntrospectionOptions {
  /** default: `${issuer}/oauth/introspect` */
  readonly endpoint?: string;
  /** this API's own client at Tessera, created with `--introspect` */
  readonly clientId: string;
  readonly clientSecret: string;
  /** answers kept at most (default 1000) */
  readonly cacheSize?: number;
  /** seconds an active answer is reused, never past the token's exp (default 10; 0: no cache) */
  readonly cacheTtl?: number;
}

/** How DPoP proofs (RFC 9449 §7) are checked; DPoP-bound tokens are accepted only with one. */
export interface DpopOptions {
  /** proof algorithms accepted (default DEFAULT_DPOP_ALGORITHMS); `none` and HS* are refused */
  readonly algorithms?: readonly string[];
  /** seconds a proof's iat may lie from this server's clock, either way (default 60) */
  readonly iatWindow?: number;
  /** proofs the default in-memory replay store holds within their window (default 10000) */
  readonly replayCacheSize?: number;
  /** a store shared by every instance of the API; default: this process's memory only */
  readonly replayStore?: DpopReplayStore;
}

export interface ResourceServerOptions extends PublicUrlOptions {
  /** Tessera's ISSUER, exactly: the `iss` of its tokens */
  readonly issuer: string;
  /** this API's identifier: the `aud` its tokens must carry */
  readonly audience: string | readonly string[];
  /** default: `${issuer}/oauth/jwks` */
  readonly jwksUri?: string;
  /** JWS algorithms accepted (default ES256, EdDSA, RS256); `none` and HS* are refused */
  readonly algorithms?: readonly string[];
  /** seconds of clock difference tolerated on exp, nbf and iat (default 5) */
  readonly clockSkew?: number;
  /** needed for opaque tokens, and for `onStale: 'introspect'` */
  readonly introspection?: IntrospectionOptions;
  /** consulted before any token is accepted */
  readonly revocations?: RevocationSource;
  /** seconds the revocation source may go without news before it counts as stale (default 30) */
  readonly maxStaleness?: number;
  /** a stale source: refuse every JWT with 503 (default), or ask introspection instead */
  readonly onStale?: 'fail-closed' | 'introspect';
  /** DPoP proof settings; the adapters build each request's URL from publicUrl / trustProxy */
  readonly dpop?: DpopOptions;
  /** the `realm` of WWW-Authenticate */
  readonly realm?: string;
  /** ms since the epoch; default Date.now */
  readonly now?: () => number;
  readonly fetch?: typeof fetch;
}

export const DEFAULT_ALGORITHMS = ['ES256', 'EdDSA', 'RS256'] as const;
/** What Tessera accepts at its token endpoint, so any key a client got a bound token with works here. */
export const DEFAULT_DPOP_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const;

/** Refuses, when the server is built, settings that would accept forged tokens. */
export function checkOptions(options: ResourceServerOptions): void {
  if (!options.issuer) throw new TypeError('issuer is required');
  const audiences = [options.audience].flat();
  if (audiences.length === 0 || audiences.some((aud) => !aud)) throw new TypeError('audience is required');
  checkAlgorithms(options.algorithms ?? DEFAULT_ALGORITHMS, 'algorithms');
  // RFC 9449 §4.3 check 5: a proof "signed" with a MAC or nothing proves no key.
  checkAlgorithms(options.dpop?.algorithms ?? DEFAULT_DPOP_ALGORITHMS, 'dpop.algorithms');
  const window = options.dpop?.iatWindow;
  if (window !== undefined && !(window > 0 && window <= 300)) throw new TypeError('dpop.iatWindow must be between 0 and 300 seconds');
  if (options.publicUrl !== undefined && !/^https?:\/\/[^/?#]+(\/[^?#]*)?$/i.test(options.publicUrl)) {
    throw new TypeError('publicUrl must be an absolute http(s) URL without query or fragment');
  }
  if (options.onStale === 'introspect' && !options.introspection) throw new TypeError("onStale: 'introspect' needs introspection settings");
  if (options.onStale !== undefined && options.onStale !== 'introspect' && options.onStale !== 'fail-closed') {
    throw new TypeError(`onStale must be 'fail-closed' or 'introspect'`);
  }
}

function checkAlgorithms(algorithms: readonly string[], name: string): void {
  for (const alg of algorithms) {
    // RFC 8725 §3.1-3.2: an unsigned token, or one "signed" with a published key as HMAC secret.
    if (alg.toLowerCase() === 'none' || /^HS/i.test(alg)) throw new TypeError(`${name}: algorithm ${alg} may not be accepted`);
  }
  if (algorithms.length === 0) throw new TypeError(`${name} may not be empty`);
}
