import { Injectable } from '@nestjs/common';
import type { Client } from '../../clients/client.js';
import { RefreshTokensService } from '../../sessions/refresh-tokens.service.js';
import { SessionRevoker } from '../../sessions/session-revoker.service.js';
import { AccessTokenStatus } from '../access-token/access-token-status.service.js';
import { type FoundToken, TokenLookup } from '../access-token/token-lookup.service.js';
import { type ClientCredentials, ClientAuthService } from '../client-auth/client-auth.service.js';
import { OAuthError } from '../errors/oauth-error.js';

/**
 * RFC 7009 token revocation. Unknown, malformed and already revoked tokens all answer
 * the same 200 (§2.2); only a live token of another client is refused (§2.1).
 */
@Injectable()
export class RevocationService {
  constructor(
    private readonly clientAuth: ClientAuthService,
    private readonly lookup: TokenLookup,
    private readonly accessTokens: AccessTokenStatus,
    private readonly revoker: SessionRevoker,
    private readonly refreshTokens: RefreshTokensService,
  ) {}

  async revoke(credentials: ClientCredentials): Promise<void> {
    const { form } = credentials;
    // RFC 7009 §2.1: confidential clients authenticate; public ones (auth method none)
    // identify themselves and may revoke their own tokens.
    const client = await this.clientAuth.authenticate(credentials, { recent: true });
    const token = form.require('token');
    const hint = form.get('token_type_hint');
    // A client revoking one of its own refresh or opaque access tokens is served by one
    // grouped statement per kind tried, without a read first: the hinted kind, or, with
    // no hint (what most client libraries send), both at once, since a random token is
    // found by its keyed hash as one kind or neither. Anything else is looked up.
    const tried = kindsToTry(token, hint);
    const revoked = await Promise.all(tried.map((kind) => this.revokeAsOwner(kind, token, client)));
    if (revoked.includes(true)) return;
    const found = await this.lookup.find(token, hint);
    if (!found) return;
    // Its own token of a kind tried that no statement revoked: ended already.
    if (found.clientId === client.id && found.kind !== 'jwt' && tried.includes(found.kind)) return;
    if (found.clientId !== client.id) {
      // RFC 7009 §2.1: the server first validates that the token was issued to the client.
      // It stays live; a dead one answers like an unknown one.
      if (await this.lookup.describe(found)) throw OAuthError.invalidRequest('the token was not issued to this client');
      return;
    }
    await this.revokeOwn(found, client);
  }

  private revokeAsOwner(kind: 'refresh' | 'opaque', token: string, client: Client): Promise<boolean> {
    const actor = actorOf(client);
    return kind === 'refresh'
      ? this.refreshTokens.revokeAsOwner(token, client.id, actor)
      : this.accessTokens.revokeOpaqueAsOwner(token, { actor, clientId: client.id });
  }

  private async revokeOwn(found: FoundToken, client: Client): Promise<void> {
    const by = { actor: actorOf(client), clientId: client.id };
    switch (found.kind) {
      case 'refresh':
        // RFC 7009 §2.1: revoking a refresh token SHOULD invalidate the access tokens of
        // the same grant: the whole family, and every access token carrying its sid.
        await this.revoker.revoke([found.record.family.id], 'revoked', by.actor);
        return;
      // An access token's audit event is written by its revocation's own statement.
      case 'jwt':
        await this.accessTokens.revokeJwt(found.claims, by);
        return;
      case 'opaque':
        await this.accessTokens.revokeOpaque(found.record, by);
    }
  }
}

/** The audit log's actor for what a client does itself. */
function actorOf(client: Client): string {
  return `client:${client.id}`;
}

/**
 * The kinds of random token to revoke as the client's own, for a token shaped like one:
 * the one the hint names, or both when it names neither (RFC 7009 §2.1: an unknown hint
 * is ignored).
 */
function kindsToTry(token: string, hint: string | undefined): ReadonlyArray<'refresh' | 'opaque'> {
  if (!TokenLookup.mayBeRandom(token)) return [];
  if (hint === 'refresh_token') return ['refresh'];
  if (hint === 'access_token') return ['opaque'];
  return ['refresh', 'opaque'];
}
