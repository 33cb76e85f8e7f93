import { Injectable } from '@nestjs/common';
import { RefreshTokensService } from '../../../sessions/refresh-tokens.service.js';
import { IdTokenIssuer } from '../../oidc/id-token.issuer.js';
import { requestedScope } from '../../scope.js';
import { AccessTokenIssuer } from '../access-token.issuer.js';
import type { GrantHandler, TokenRequest, TokenResponse } from '../grant-handler.js';
import { tokenResponse } from '../token-response.js';

/** RFC 6749 §6 with rotation: every use returns the token's one successor. */
@Injectable()
export class RefreshTokenGrant implements GrantHandler {
  readonly grantType = 'refresh_token';

  constructor(
    private readonly refreshTokens: RefreshTokensService,
    private readonly accessTokens: AccessTokenIssuer,
    private readonly idTokens: IdTokenIssuer,
  ) {}

  async handle({ client, form, meta, dpopJkt }: TokenRequest): Promise<TokenResponse> {
    const presented = form.require('refresh_token');
    const requested = requestedScope(form);
    const { family, refreshToken } = await this.refreshTokens.rotate(presented, client, requested, meta, dpopJkt);
    // RFC 6749 §6: the new refresh token keeps the old scope; only the access token narrows.
    const scope = requested ?? family.scope.split(' ').filter(Boolean);
    const access = await this.accessTokens.issue({ client, grantType: this.grantType, subject: family.userId, scope, sid: family.id, dpopJkt });
    return tokenResponse(access, scope, refreshToken, await this.idTokens.forRefresh(client, family, scope));
  }
}
