import { Inject, Injectable } from '@nestjs/common';
import type { ResolvedConfig } from '../../config/config.js';
import { CONFIG } from '../../config/config.module.js';
import type { RefreshTokenRecord } from '../../sessions/family.js';
import { RefreshTokensService } from '../../sessions/refresh-tokens.service.js';
import type { OpaqueAccessTokenRecord } from './access-token.js';
import { AccessTokenStatus } from './access-token-status.service.js';
import { type AccessTokenClaims, AccessTokenVerifier } from './access-token.verifier.js';
import type { TokenDescription } from './token-description.js';

/** A token this server issued, whatever its state, and the client it was issued to. */
export type FoundToken =
  | { readonly kind: 'jwt'; readonly clientId: string; readonly claims: AccessTokenClaims }
  | { readonly kind: 'opaque'; readonly clientId: string; readonly record: OpaqueAccessTokenRecord }
  | { readonly kind: 'refresh'; readonly clientId: string; readonly record: RefreshTokenRecord };

// Refresh and opaque access tokens are base64url random strings (43 characters today);
// anything else cannot be one, and is not worth a database round trip.
const RANDOM_TOKEN = /^[A-Za-z0-9_-]{22,512}$/;

/**
 * Finds a presented token among every type this server issues (RFC 7662 §2.1, RFC 7009
 * §2.1: token_type_hint only orders the search; an unknown hint is ignored).
 */
@Injectable()
export class TokenLookup {
  constructor(
    private readonly verifier: AccessTokenVerifier,
    private readonly accessTokens: AccessTokenStatus,
    private readonly refreshTokens: RefreshTokensService,
    @Inject(CONFIG) private readonly config: ResolvedConfig,
  ) {}

  /** Whether `token` has the shape of a refresh or opaque access token. */
  static mayBeRandom(token: string): boolean {
    return RANDOM_TOKEN.test(token);
  }

  async find(token: string, hint: string | undefined): Promise<FoundToken | undefined> {
    // A JWT has dots, the random tokens have none: each shape can only be its own type.
    if (AccessTokenVerifier.looksLikeJwt(token)) {
      const claims = await this.verifier.verify(token);
      return claims && { kind: 'jwt', clientId: claims.client_id, claims };
    }
    if (!TokenLookup.mayBeRandom(token)) return undefined;
    const searches = hint === 'refresh_token' ? (['findRefresh', 'findOpaque'] as const) : (['findOpaque', 'findRefresh'] as const);
    for (const search of searches) {
      const found = await this[search](token);
      if (found) return found;
    }
    return undefined;
  }

  /** Its RFC 7662 §2.2 members when the token is active, else undefined. */
  async describe(found: FoundToken): Promise<TokenDescription | undefined> {
    switch (found.kind) {
      case 'jwt':
        return this.accessTokens.describeJwt(found.claims);
      case 'opaque':
        return this.accessTokens.describeOpaque(found.record);
      case 'refresh':
        return this.describeRefresh(found.record);
    }
  }

  private async findOpaque(token: string): Promise<FoundToken | undefined> {
    const record = await this.accessTokens.findOpaque(token);
    return record && { kind: 'opaque', clientId: record.clientId, record };
  }

  private async findRefresh(token: string): Promise<FoundToken | undefined> {
    const record = await this.refreshTokens.describe(token);
    return record && { kind: 'refresh', clientId: record.family.clientId, record };
  }

  private describeRefresh(record: RefreshTokenRecord): TokenDescription | undefined {
    if (!this.refreshTokens.isActive(record)) return undefined;
    const { family } = record;
    const expiresAt = Math.min(family.idleExpiresAt.getTime(), family.absoluteExpiresAt.getTime());
    return {
      scope: family.scope,
      client_id: family.clientId,
      username: record.username,
      sub: family.userId,
      iss: this.config.issuer,
      exp: Math.floor(expiresAt / 1000),
      iat: Math.floor(record.issuedAt.getTime() / 1000),
      sid: family.id,
      // RFC 9449 §5: a bound refresh token is useless without this key.
      ...(family.dpopJkt ? { cnf: { jkt: family.dpopJkt } } : {}),
    };
  }
}
