import { bearerToken } from './bearer.js';
import { insufficientScope, invalidToken, missingToken, unavailable } from './errors.js';
import { Introspector } from './introspector.js';
import { JwtVerifier } from './jwt-verifier.js';
import { checkOptions, type ResourceServerOptions } from './options.js';
import type { Principal } from './principal.js';

/**
 * The framework-free core: from an Authorization header (and the scopes a route needs)
 * to a Principal, or a BearerError that says how to answer.
 */
export class ResourceServer {
  private readonly jwt: JwtVerifier;
  private readonly introspector: Introspector | undefined;
  private readonly now: () => number;

  constructor(readonly options: ResourceServerOptions) {
    checkOptions(options);
    this.jwt = new JwtVerifier(options);
    this.introspector = options.introspection ? new Introspector(options.introspection, options) : undefined;
    this.now = options.now ?? Date.now;
  }

  get realm(): string | undefined {
    return this.options.realm;
  }

  async authenticate(authorization: string | readonly string[] | undefined, scopes: readonly string[] = []): Promise<Principal> {
    const token = bearerToken(authorization);
    if (token === undefined) throw missingToken();
    const principal = await this.verify(token);
    // RFC 9449 §7.2: a DPoP-bound token (cnf.jkt) presented as Bearer is a token without its
    // key. This package does not verify DPoP proofs yet, so it refuses such tokens outright.
    if (principal.claims.cnf !== undefined) throw invalidToken('the token is DPoP-bound: it cannot be used as a Bearer token');
    requireScopes(principal, scopes);
    return principal;
  }

  /** A token's Principal when it is valid, unexpired, for this API and not revoked. */
  async verify(token: string): Promise<Principal> {
    // Tessera's opaque tokens are base64url without dots; every JWS compact form has two.
    let principal = token.includes('.') ? await this.jwt.verify(token) : await this.introspect(token);
    const source = this.options.revocations;
    if (!source) return principal;
    if (principal.verifiedBy === 'jwt' && this.isStale(source.freshAt())) {
      if (this.options.onStale !== 'introspect') throw unavailable('the revocation feed is stale');
      principal = await this.introspect(token);
    }
    const claims = principal.claims;
    const revocation = source.revokedBy({
      sid: principal.sessionId,
      sub: principal.subject,
      client_id: principal.clientId,
      jti: principal.tokenId,
      iat: typeof claims.iat === 'number' ? claims.iat : undefined,
    });
    if (revocation) throw invalidToken('the token has been revoked');
    return principal;
  }

  private introspect(token: string): Promise<Principal> {
    if (!this.introspector) throw invalidToken('not a JWT, and introspection is not configured');
    return this.introspector.introspect(token);
  }

  private isStale(freshAt: number | undefined): boolean {
    return freshAt === undefined || this.now() - freshAt > (this.options.maxStaleness ?? 30) * 1000;
  }
}

/** 403 insufficient_scope unless the principal holds every scope named (RFC 6750 §3.1). */
export function requireScopes(principal: Principal, scopes: readonly string[]): void {
  if (scopes.some((scope) => !principal.scopes.includes(scope))) throw insufficientScope(scopes);
}
