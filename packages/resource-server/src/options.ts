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

export interface ResourceServerOptions {
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
  /** the `realm` of WWW-Authenticate */
  readonly realm?: string;
  /** ms since the epoch; default Date.now */
  readonly now?: () => number;
  readonly fetch?: typeof fetch;
}

export const DEFAULT_ALGORITHMS = ['ES256', 'EdDSA', 'RS256'] as const;

/** Refuses, when the server is built, settings that would accept forged tokens. */
export function checkOptions(options: ResourceServerOptions): void {
  if (!options.issuer) throw new TypeError('issuer is required');
  const audiences = [options.audience].flat();
  if (audiences.length === 0 || audiences.some((aud) => !aud)) throw new TypeError('audience is required');
  for (const alg of options.algorithms ?? DEFAULT_ALGORITHMS) {
    // RFC 8725 §3.1-3.2: an unsigned token, or one "signed" with a published key as HMAC secret.
    if (alg.toLowerCase() === 'none' || /^HS/i.test(alg)) throw new TypeError(`algorithm ${alg} may not be accepted`);
  }
  if ((options.algorithms ?? DEFAULT_ALGORITHMS).length === 0) throw new TypeError('algorithms may not be empty');
  if (options.onStale === 'introspect' && !options.introspection) throw new TypeError("onStale: 'introspect' needs introspection settings");
  if (options.onStale !== undefined && options.onStale !== 'introspect' && options.onStale !== 'fail-closed') {
    throw new TypeError(`onStale must be 'fail-closed' or 'introspect'`);
  }
}
