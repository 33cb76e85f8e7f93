import { Inject, Injectable } from '@nestjs/common';
import type { ResolvedConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { TokenLookup } from '../oauth/access-token/token-lookup.service.js';
import { OAuthError } from '../oauth/errors/oauth-error.js';
import type { Principal } from './principal.js';

const REALM = 'realm="tessera"';
// RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

/** RFC 6750 §3: the challenge, with an error only when a token was presented. */
export function bearerChallenge(error?: string, extra = ''): Record<string, string> {
  return { 'WWW-Authenticate': `Bearer ${REALM}${error ? `, error="${error}"` : ''}${extra}` };
}

/**
 * Turns an Authorization header into a principal exactly as introspection judges the
 * token (signature, iss, exp, family alive, user enabled, jti not revoked; JWT or
 * opaque), so a revocation or a disabling refuses the token at once.
 */
@Injectable()
export class BearerAuthenticator {
  private readonly audiences: ReadonlySet<string>;

  constructor(
    private readonly lookup: TokenLookup,
    @Inject(CONFIG) config: ResolvedConfig,
  ) {
    this.audiences = new Set([config.accessTokenAudience, config.issuer]);
  }

  async authenticate(authorization: string | undefined): Promise<Principal> {
    // RFC 6750 §3.1: a request without credentials gets a challenge and no error code.
    if (authorization === undefined || !/^Bearer(\s|$)/i.test(authorization)) {
      throw new OAuthError('invalid_token', 'a Bearer access token is required', bearerChallenge());
    }
    const match = BEARER.exec(authorization);
    if (!match) {
      throw new OAuthError('invalid_request', 'the Authorization header is not a valid Bearer credential', bearerChallenge('invalid_request'));
    }
    const principal = await this.verify(match[1]);
    if (!principal) throw new OAuthError('invalid_token', 'the access token is invalid, expired or revoked', bearerChallenge('invalid_token'));
    return principal;
  }

  private async verify(token: string): Promise<Principal | undefined> {
    const found = await this.lookup.find(token, 'access_token');
    // A refresh token is for the authorization server's token endpoint only (RFC 6749 §1.5).
    if (!found || found.kind === 'refresh') return undefined;
    const description = await this.lookup.describe(found);
    if (!description) return undefined;
    // RFC 9068 §4: the token must be meant for this server.
    const audiences = typeof description.aud === 'string' ? [description.aud] : (description.aud ?? []);
    if (!audiences.some((aud) => this.audiences.has(aud))) return undefined;
    return {
      userId: description.sid === undefined ? undefined : description.sub,
      clientId: description.client_id,
      scope: description.scope.split(' ').filter(Boolean),
      sid: description.sid,
      jti: description.jti,
    };
  }
}
