import { Injectable } from '@nestjs/common';
import { AuditService } from '../../../audit/audit.service.js';
import type { Client } from '../../../clients/client.js';
import { RefreshTokensService } from '../../../sessions/refresh-tokens.service.js';
import { SecondFactorService } from '../../../second-factor/second-factor.service.js';
import { LocalStrategy } from '../../../users/local.strategy.js';
import { ADMIN_ROLE, type User } from '../../../users/user.js';
import { passwordWithinLimit } from '../../../users/users.service.js';
import { OAuthError } from '../../errors/oauth-error.js';
import { grantScope, requestedScope } from '../../scope.js';
import { AccessTokenIssuer } from '../access-token.issuer.js';
import type { GrantHandler, TokenRequest, TokenResponse } from '../grant-handler.js';
import { tokenResponse } from '../token-response.js';

/**
 * RFC 6749 §4.3, for the clients registered with it (RFC 9700 §2.4 deprecates it for
 * everyone else). Starts a family: one login session. Users with a second factor are
 * refused (invalid_grant): the grant has no second step.
 */
@Injectable()
export class PasswordGrant implements GrantHandler {
  readonly grantType = 'password';

  constructor(
    private readonly local: LocalStrategy,
    private readonly refreshTokens: RefreshTokensService,
    private readonly accessTokens: AccessTokenIssuer,
    private readonly audit: AuditService,
    private readonly secondFactors: SecondFactorService,
  ) {}

  async handle({ client, form, meta, dpopJkt }: TokenRequest): Promise<TokenResponse> {
    const username = form.require('username');
    const password = form.require('password');
    const requested = requestedScope(form);
    if (!passwordWithinLimit(password)) throw OAuthError.invalidRequest('password is longer than 1024 bytes');
    const user = await this.local.validate({ ip: meta.ip, clientId: client.id }, username, password);
    if (!user) {
      await this.audit.record({ type: 'login_failed', clientId: client.id, ip: meta.ip });
      // Never whether the username exists (RFC 9700 §4.16 and the contract).
      throw OAuthError.invalidGrant('invalid username or password');
    }
    await this.secondFactors.requirePasswordOnly(user.id, client.id, meta.ip);
    const scope = loginScope(user, client, requested);
    const { family, refreshToken } = await this.refreshTokens.start(user, client, scope.join(' '), meta, dpopJkt);
    await this.audit.record({ type: 'login_succeeded', userId: user.id, clientId: client.id, familyId: family.id, ip: meta.ip });
    const access = await this.accessTokens.issue({ client, grantType: this.grantType, subject: user.id, scope, sid: family.id, dpopJkt });
    // A client not registered for refresh_token could not use one: the session exists, the token is not handed out.
    return tokenResponse(access, scope, client.grantTypes.includes('refresh_token') ? refreshToken : undefined);
  }
}

/**
 * The scope of a new login session, here and at the browser login: the admin scope is
 * granted only to users with the admin role, and only when asked for. `unregistered`
 * scopes (the OpenID Connect ones, in the code flow) are granted too, only when asked for.
 */
export function loginScope(user: User, client: Client, requested: string[] | undefined, unregistered: readonly string[] = []): string[] {
  const registered = user.roles.includes(ADMIN_ROLE) ? client.scopes : client.scopes.filter((s) => s !== ADMIN_ROLE);
  return grantScope(requested, [...new Set([...registered, ...unregistered])], [ADMIN_ROLE, ...unregistered]);
}
