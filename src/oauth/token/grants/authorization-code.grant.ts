import { Injectable } from '@nestjs/common';
import { AuthorizationCodesService } from '../../authorization/authorization-codes.service.js';
import { validCodeVerifier } from '../../authorization/pkce.js';
import { OAuthError } from '../../errors/oauth-error.js';
import { IdTokenIssuer } from '../../oidc/id-token.issuer.js';
import { AccessTokenIssuer } from '../access-token.issuer.js';
import type { GrantHandler, TokenRequest, TokenResponse } from '../grant-handler.js';
import { tokenResponse } from '../token-response.js';

/**
 * RFC 6749 §4.1.3 with PKCE (RFC 7636 §4.5), as OAuth 2.1 requires of every client.
 * Starts a family, rotated and revoked exactly like one started by the password grant.
 */
@Injectable()
export class AuthorizationCodeGrant implements GrantHandler {
  readonly grantType = 'authorization_code';

  constructor(
    private readonly codes: AuthorizationCodesService,
    private readonly accessTokens: AccessTokenIssuer,
    private readonly idTokens: IdTokenIssuer,
  ) {}

  async handle({ client, form, meta, dpopJkt }: TokenRequest): Promise<TokenResponse> {
    const code = form.require('code');
    const codeVerifier = form.require('code_verifier');
    if (!validCodeVerifier(codeVerifier)) {
      throw OAuthError.invalidRequest('code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636 §4.1)');
    }
    const redeemed = await this.codes.redeem(code, { client, codeVerifier, redirectUri: form.get('redirect_uri'), dpopJkt }, meta);
    const scope = redeemed.code.scope === '' ? [] : redeemed.code.scope.split(' ');
    const access = await this.accessTokens.issue({ client, grantType: this.grantType, subject: redeemed.code.userId, scope, sid: redeemed.family.id, dpopJkt });
    const idToken = this.idTokens.forCode(client, redeemed.code, redeemed.family, scope);
    // As for the password grant: the family exists either way, its token only for clients that can use one.
    return tokenResponse(access, scope, client.grantTypes.includes('refresh_token') ? redeemed.refreshToken : undefined, idToken);
  }
}
