import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { ResolvedConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import type { TokenDescription } from '../oauth/access-token/token-description.js';
import { TokenLookup } from '../oauth/access-token/token-lookup.service.js';
import { type DpopHttpRequest, DpopService, dpopChallenge, resourceRefusal } from '../oauth/dpop/dpop.service.js';
import { OAuthError } from '../oauth/errors/oauth-error.js';
import type { Principal } from './principal.js';

const REALM = 'realm="tessera"';
// RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token; RFC 9449 §7.1 the same for "DPoP".
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;
const DPOP = /^DPoP +([A-Za-z0-9\-._~+/]+=*)$/i;

/** RFC 6750 §3: the challenge, with an error only when a token was presented. */
export function bearerChallenge(error?: string, extra = ''): Record<string, string> {
  return { 'WWW-Authenticate': `Bearer ${REALM}${error ? `, error="${error}"` : ''}${extra}` };
}

/** What authentication reads of a request to a protected resource. */
export interface ResourceRequest extends DpopHttpRequest {
  readonly authorization: string | undefined;
  /** the path requested, without its query: with ISSUER, the htu a DPoP proof must name */
  readonly path: string;
}

export function resourceRequestOf(request: FastifyRequest): ResourceRequest {
  const query = request.url.indexOf('?');
  return {
    authorization: request.headers.authorization,
    method: request.method,
    path: query === -1 ? request.url : request.url.slice(0, query),
    rawHeaders: request.raw.rawHeaders,
  };
}

/**
 * Turns an Authorization header into a principal exactly as introspection judges the
 * token (signature, iss, exp, family alive, user enabled, jti not revoked; JWT or
 * opaque), so a revocation or a disabling refuses the token at once. A DPoP-bound token
 * is accepted only as `DPoP <token>` with a proof of its key (RFC 9449 §7).
 */
@Injectable()
export class BearerAuthenticator {
  private readonly audiences: ReadonlySet<string>;

  constructor(
    private readonly lookup: TokenLookup,
    private readonly dpop: DpopService,
    @Inject(CONFIG) config: ResolvedConfig,
  ) {
    this.audiences = new Set([config.accessTokenAudience, config.issuer]);
  }

  async authenticate(request: ResourceRequest): Promise<Principal> {
    const { authorization } = request;
    if (authorization !== undefined && /^DPoP(\s|$)/i.test(authorization)) return this.authenticateDpop(request, authorization);
    // RFC 6750 §3.1: a request without credentials gets a challenge and no error code.
    if (authorization === undefined || !/^Bearer(\s|$)/i.test(authorization)) {
      throw new OAuthError('invalid_token', 'a Bearer access token is required', bearerChallenge());
    }
    const match = BEARER.exec(authorization);
    if (!match) {
      throw new OAuthError('invalid_request', 'the Authorization header is not a valid Bearer credential', bearerChallenge('invalid_request'));
    }
    const description = await this.verify(match[1]);
    if (!description) throw new OAuthError('invalid_token', 'the access token is invalid, expired or revoked', bearerChallenge('invalid_token'));
    // RFC 9449 §7.2: a bound token sent as Bearer is a token without its key, refused.
    if (description.cnf) {
      throw new OAuthError('invalid_token', 'a DPoP-bound access token needs the DPoP scheme and a proof', dpopChallenge('invalid_token'));
    }
    return principalOf(description);
  }

  /** RFC 9449 §7.1: the token, a proof for this request and this token, and the token bound to the proof's key. */
  private async authenticateDpop(request: ResourceRequest, authorization: string): Promise<Principal> {
    const match = DPOP.exec(authorization);
    if (!match) {
      throw new OAuthError('invalid_request', 'the Authorization header is not a valid DPoP credential', dpopChallenge('invalid_request'));
    }
    const proof = this.dpop.proofAtResource(request, request.path, match[1]);
    const description = await this.verify(match[1]);
    if (!description) throw new OAuthError('invalid_token', 'the access token is invalid, expired or revoked', dpopChallenge('invalid_token'));
    // §4.3 check 12: the proof must be signed by the key the token is bound to.
    if (description.cnf?.jkt !== proof.jkt) throw resourceRefusal('the access token is not bound to the key of the DPoP proof');
    await this.dpop.acceptAtResource(proof);
    return principalOf(description);
  }

  private async verify(token: string): Promise<TokenDescription | undefined> {
    const found = await this.lookup.find(token, 'access_token');
    // A refresh token is for the authorization server's token endpoint only (RFC 6749 §1.5).
    if (!found || found.kind === 'refresh') return undefined;
    const description = await this.lookup.describe(found);
    if (!description) return undefined;
    // RFC 9068 §4: the token must be meant for this server.
    const audiences = typeof description.aud === 'string' ? [description.aud] : (description.aud ?? []);
    return audiences.some((aud) => this.audiences.has(aud)) ? description : undefined;
  }
}

function principalOf(description: TokenDescription): Principal {
  return {
    userId: description.sid === undefined ? undefined : description.sub,
    clientId: description.client_id,
    scope: description.scope.split(' ').filter(Boolean),
    sid: description.sid,
    jti: description.jti,
  };
}
