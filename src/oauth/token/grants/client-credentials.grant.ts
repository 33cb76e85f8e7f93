import { Injectable } from '@nestjs/common';
import { ADMIN_ROLE } from '../../../users/user.js';
import { grantScope, requestedScope } from '../../scope.js';
import { AccessTokenIssuer } from '../access-token.issuer.js';
import type { GrantHandler, TokenRequest, TokenResponse } from '../grant-handler.js';
import { tokenResponse } from '../token-response.js';

/** RFC 6749 §4.4: an access token for the client itself; no refresh token (§4.4.3), no family. */
@Injectable()
export class ClientCredentialsGrant implements GrantHandler {
  readonly grantType = 'client_credentials';

  constructor(private readonly accessTokens: AccessTokenIssuer) {}

  async handle({ client, form, dpopJkt }: TokenRequest): Promise<TokenResponse> {
    // The admin scope belongs to users with the admin role, never to a client on its own.
    const allowed = client.scopes.filter((scope) => scope !== ADMIN_ROLE);
    const scope = grantScope(requestedScope(form), allowed);
    const access = await this.accessTokens.issue({ client, grantType: this.grantType, subject: client.id, scope, dpopJkt });
    return tokenResponse(access, scope);
  }
}
