import { Injectable } from '@nestjs/common';
import { bearerChallenge } from '../../auth-guard/bearer-authenticator.service.js';
import type { Principal } from '../../auth-guard/principal.js';
import type { User } from '../../users/user.js';
import { UsersService } from '../../users/users.service.js';
import { OAuthError } from '../errors/oauth-error.js';
import { OPENID_SCOPE } from './oidc-scopes.js';

/** OIDC Core §5.3.2: `sub` always; the other members only when the user has a value. */
export interface UserinfoClaims {
  sub: string;
  preferred_username?: string;
  name?: string;
  email?: string;
  email_verified?: boolean;
}

/** The claims each scope releases (OIDC Core §5.4), of the ones Tessera keeps. */
const SCOPE_CLAIMS: Readonly<Record<string, (user: User) => Omit<UserinfoClaims, 'sub'>>> = {
  profile: (user) => ({ preferred_username: user.username, ...(user.name === null ? {} : { name: user.name }) }),
  email: (user) => (user.email === null ? {} : { email: user.email, email_verified: user.emailVerified }),
};

/** OIDC Core §5.3: the claims about the user an access token with scope openid speaks for. */
@Injectable()
export class UserinfoService {
  constructor(private readonly users: UsersService) {}

  async claimsFor(principal: Principal): Promise<UserinfoClaims> {
    if (!principal.scope.includes(OPENID_SCOPE)) {
      // RFC 6750 §3.1: the token is good, but not for this resource.
      throw new OAuthError('insufficient_scope', 'the access token lacks scope openid', bearerChallenge('insufficient_scope', `, scope="${OPENID_SCOPE}"`));
    }
    // A client_credentials token speaks for no user; a user deleted or disabled since is no one either.
    const user = principal.userId === undefined ? undefined : await this.users.findById(principal.userId);
    if (!user || user.disabledAt !== null) {
      throw new OAuthError('invalid_token', 'the access token does not represent an enabled user', bearerChallenge('invalid_token'));
    }
    const claims: UserinfoClaims = { sub: user.id };
    for (const scope of principal.scope) Object.assign(claims, SCOPE_CLAIMS[scope]?.(user));
    return claims;
  }
}
