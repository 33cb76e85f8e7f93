import { timingSafeEqual } from 'node:crypto';
import { bearerToken, tokenCredentials } from './bearer.js';
import { verifyDpopProof } from './dpop-proof.js';
import { type DpopReplayStore, MemoryReplayStore } from './dpop-replay.js';
import {
  BearerError,
  bearerResponse,
  type BearerResponse,
  insufficientScope,
  invalidDpopProof,
  invalidRequest,
  invalidToken,
  missingToken,
  underScheme,
  unavailable,
} from './errors.js';
import { Introspector } from './introspector.js';
import { JwtVerifier } from './jwt-verifier.js';
import { checkOptions, DEFAULT_DPOP_ALGORITHMS, type ResourceServerOptions } from './options.js';
import type { Principal } from './principal.js';

/** What the adapters hand the core of one HTTP request. */
export interface ProtectedRequest {
  readonly method: string;
  /** the absolute URL the client addressed (publicRequestUrl), for a DPoP proof's htu */
  readonly url: string | undefined;
  readonly authorization: string | readonly string[] | undefined;
  /** the DPoP header (RFC 9449 §4.1) */
  readonly dpop: string | readonly string[] | undefined;
}

/**
 * The framework-free core: from an Authorization header (and the scopes a route needs)
 * to a Principal, or a BearerError that says how to answer.
 */
export class ResourceServer {
  private readonly jwt: JwtVerifier;
  private readonly introspector: Introspector | undefined;
  private readonly now: () => number;
  private readonly dpopAlgorithms: readonly string[];
  private readonly replays: DpopReplayStore;

  constructor(readonly options: ResourceServerOptions) {
    checkOptions(options);
    this.jwt = new JwtVerifier(options);
    this.introspector = options.introspection ? new Introspector(options.introspection, options) : undefined;
    this.now = options.now ?? Date.now;
    this.dpopAlgorithms = options.dpop?.algorithms ?? DEFAULT_DPOP_ALGORITHMS;
    this.replays = options.dpop?.replayStore ?? new MemoryReplayStore(options.dpop?.replayCacheSize ?? 10_000, this.now);
  }

  get realm(): string | undefined {
    return this.options.realm;
  }

  /** The HTTP answer to a refusal, with this server's realm and DPoP algorithms. */
  response(error: BearerError): BearerResponse {
    return bearerResponse(error, this.options.realm, this.dpopAlgorithms);
  }

  /**
   * `Authorization: Bearer` only: what a caller without the request's method and URL can
   * check. A DPoP-bound token is refused here (RFC 9449 §7.2); authenticateRequest takes both.
   */
  async authenticate(authorization: string | readonly string[] | undefined, scopes: readonly string[] = []): Promise<Principal> {
    const token = bearerToken(authorization);
    if (token === undefined) throw missingToken();
    return this.authenticateBearer(token, scopes);
  }

  /** A request with `Authorization: Bearer` or `Authorization: DPoP` and its proof (RFC 9449 §7). */
  async authenticateRequest(request: ProtectedRequest, scopes: readonly string[] = []): Promise<Principal> {
    const credentials = tokenCredentials(request.authorization);
    if (credentials === undefined) throw missingToken();
    if (credentials.scheme === 'Bearer') return this.authenticateBearer(credentials.token, scopes);
    try {
      const principal = await this.verifyDpop(credentials.token, request);
      requireScopes(principal, scopes);
      return principal;
    } catch (error) {
      throw error instanceof BearerError ? underScheme(error, 'DPoP') : error;
    }
  }

  private async authenticateBearer(token: string, scopes: readonly string[]): Promise<Principal> {
    const principal = await this.verify(token);
    // RFC 9449 §7.2: a DPoP-bound token (cnf) presented as Bearer is a token without its key.
    if (principal.claims.cnf !== undefined) {
      throw underScheme(invalidToken('the token is DPoP-bound: send it with the DPoP scheme and a proof'), 'DPoP');
    }
    requireScopes(principal, scopes);
    return principal;
  }

  /**
   * RFC 9449 §7.1: a proof for this request and this token (ath), the token valid, bound
   * to the proof's key, and the proof not seen before. The proof is checked first: it needs
   * no network, and a request without one costs no introspection.
   */
  private async verifyDpop(token: string, request: ProtectedRequest): Promise<Principal> {
    const proof = singleProof(request.dpop);
    if (request.url === undefined) throw invalidRequest('the request URL cannot be determined (no Host header)');
    const now = this.now();
    const verified = await verifyDpopProof(proof, {
      htm: request.method,
      htu: request.url,
      accessToken: token,
      now,
      iatWindow: this.options.dpop?.iatWindow ?? 60,
      algorithms: this.dpopAlgorithms,
    });
    const principal = await this.verify(token);
    if (principal.boundKey === undefined) throw invalidToken('the token is not DPoP-bound: send it with the Bearer scheme');
    if (!sameText(principal.boundKey, verified.jkt)) throw invalidDpopProof('the token is bound to another key than the DPoP proof');
    // §11.1: a jti is unique per key; remembered until the proof would be stale anyway.
    const until = (verified.iat + (this.options.dpop?.iatWindow ?? 60)) * 1000 + 1000;
    let first: boolean;
    try {
      first = await this.replays.claim(`${verified.jkt}.${verified.jti}`, until);
    } catch (error) {
      if (error instanceof BearerError) throw error;
      throw unavailable('the DPoP replay store cannot be reached');
    }
    if (!first) throw invalidDpopProof('the DPoP proof has been used before');
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

/** §4.3 check 1: exactly one proof; a missing one refuses a DPoP-scheme request. */
function singleProof(header: string | readonly string[] | undefined): string {
  if (header === undefined || header === '') throw invalidDpopProof('a DPoP proof is required with a DPoP access token');
  if (typeof header !== 'string') {
    if (header.length !== 1) throw invalidDpopProof('a request carries at most one DPoP proof');
    return singleProof(header[0]);
  }
  return header.trim();
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** 403 insufficient_scope unless the principal holds every scope named (RFC 6750 §3.1). */
export function requireScopes(principal: Principal, scopes: readonly string[]): void {
  if (scopes.some((scope) => !principal.scopes.includes(scope))) throw insufficientScope(scopes);
}
